"""Loudness meter, limiter and encoder: checked against ffmpeg's own meter."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np
import pytest
from readers import ebur128

from yomiage.audio.ffmpeg import decode_to_samples
from yomiage.audio.loudness import loudness_lufs
from yomiage.audio.master import (
    MASTER_RATE,
    MP3_FRAME,
    codec_gain,
    export_mp3,
    limit_peaks,
    true_peak_dbtp,
)
from yomiage.config import MasterSettings
from yomiage.errors import AudioError

RATE = MASTER_RATE
SETTINGS = MasterSettings(loudness_lufs=-16.0, true_peak_dbtp=-1.5, bitrate_kbps=96, channels=1)


def _sine(
    frequency: float, amplitude: float, seconds: float = 5.0, phase: float = 0.0
) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * frequency * t + phase)).astype(np.float32)


def _speechlike(seconds: float = 8.0) -> np.ndarray:
    """Harmonic 'speech' with syllables and pauses, peaking above full scale like Open JTalk."""
    t = np.arange(int(seconds * RATE)) / RATE
    voice = sum(np.sin(2 * np.pi * 130 * k * t) / k for k in range(1, 30))
    syllables = 0.5 * (1 - np.cos(2 * np.pi * 4 * t)) * (np.sin(2 * np.pi * 0.4 * t) > -0.4)
    return (0.7 * voice * syllables).astype(np.float32)


def test_a_full_scale_1khz_sine_reads_minus_3_lufs() -> None:
    # BS.1770's own calibration: a 0 dBFS 997 Hz sine in one channel is -3.01 LUFS
    assert loudness_lufs(_sine(997, 1.0), RATE) == pytest.approx(-3.01, abs=0.05)
    assert loudness_lufs(_sine(997, 0.5), RATE) == pytest.approx(-9.03, abs=0.05)


def test_gating_ignores_silence() -> None:
    tone = _sine(997, 0.5, seconds=3)
    with_pauses = np.concatenate([tone, np.zeros(RATE * 6, dtype=np.float32), tone])
    # blocks that straddle the edges of the pause count a little, as in BS.1770
    assert loudness_lufs(with_pauses, RATE) == pytest.approx(loudness_lufs(tone, RATE), abs=0.3)
    assert loudness_lufs(np.zeros(RATE * 2, dtype=np.float32), RATE) == -math.inf


def test_meter_agrees_with_ffmpeg_on_peaky_audio(tmp_path: Path) -> None:
    signal = _speechlike() * 0.3  # below full scale: a WAV file would clip it
    wav = tmp_path / "speech.wav"
    with wave.open(str(wav), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(RATE)
        file.writeframes(np.round(signal * 32767).astype("<i2").tobytes())
    assert loudness_lufs(signal, RATE) == pytest.approx(ebur128(wav).integrated_lufs, abs=0.15)


def test_true_peak_sees_peaks_between_samples() -> None:
    # A sine at a quarter of the rate, sampled 45 degrees off its crests:
    # every sample is at 0.707 but the waveform reaches 1.0 between them.
    signal = _sine(RATE / 4, 1.0, seconds=1, phase=math.pi / 4)
    assert 20 * math.log10(np.abs(signal).max()) == pytest.approx(-3.01, abs=0.05)
    assert true_peak_dbtp(signal) == pytest.approx(0.0, abs=0.3)


def test_limiter_holds_the_ceiling_and_leaves_quiet_audio_alone() -> None:
    signal = _speechlike() * 2.0
    limited = limit_peaks(signal, -3.0)
    assert 20 * math.log10(np.abs(limited).max()) <= -3.0 + 1e-4
    gain = np.divide(limited, signal, out=np.ones_like(signal), where=np.abs(signal) > 1e-6)
    assert gain.max() <= 1.0 + 1e-6
    quiet = _sine(440, 0.1)
    assert np.array_equal(limit_peaks(quiet, -3.0), quiet)


def test_codec_gain_is_measured_not_assumed() -> None:
    gain = codec_gain(96)
    assert 0.8 < gain <= 1.05


def test_chapters_mastered_apart_hit_loudness_and_peak_targets(tmp_path: Path) -> None:
    from yomiage.audio.master import master_chapter_frames
    from yomiage.audio.mp3frames import join_chapters

    pause = np.zeros(RATE // 5, dtype=np.float32)
    loud = np.concatenate([pause, _speechlike(seconds=6), pause])
    loud = np.concatenate([loud, np.zeros(-len(loud) % MP3_FRAME, dtype=np.float32)])
    quiet = np.concatenate([pause, 0.3 * _speechlike(seconds=6), pause])  # brought up to level
    spans = [(loud, False, tmp_path / "a.mp3"), (quiet, True, tmp_path / "b.mp3")]
    reports = [master_chapter_frames(s, SETTINGS, path, last=last) for s, last, path in spans]
    mp3 = tmp_path / "master.mp3"
    total = len(loud) + len(quiet)
    join_chapters([p for _, _, p in spans], mp3, total, bitrate_kbps=96, channels=1)
    measured = ebur128(mp3)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert measured.true_peak_dbtp <= -1.0
    assert all(r.true_peak_dbtp <= SETTINGS.true_peak_dbtp for r in reports)
    assert reports[1].gain_db - reports[0].gain_db == pytest.approx(10.46, abs=0.3)
    decoded = decode_to_samples(mp3, RATE)
    assert len(decoded) == total
    levels = [loudness_lufs(decoded[: len(loud)], RATE), loudness_lufs(decoded[len(loud) :], RATE)]
    assert levels[0] == pytest.approx(levels[1], abs=0.5)
    # each chapter's own measure, taken on its frames alone, is what the episode plays
    assert [r.loudness_lufs for r in reports] == pytest.approx(levels, abs=0.05)


def test_export_refuses_to_clip(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="would clip"):
        export_mp3(np.full(RATE, 1.5, dtype=np.float32), tmp_path / "x.mp3", SETTINGS)


def test_stereo_option_encodes_two_channels_at_128k(tmp_path: Path) -> None:
    from mutagen.mp3 import MP3

    stereo = MasterSettings(-16.0, -1.5, 128, 2)
    export_mp3(_sine(440, 0.3, seconds=2), tmp_path / "s.mp3", stereo)
    info = MP3(tmp_path / "s.mp3").info
    assert info.channels == 2
    assert info.bitrate == pytest.approx(128_000, abs=100)
