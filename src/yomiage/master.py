"""Mastering: every chapter to the target loudness, a true-peak limiter, CBR MP3.

Each chapter is brought to the target loudness on its own (BS.1770, gated), so
the episode as a whole lands on the target too, and a chapter keeps its level
when another one is re-synthesized. Levels are never set sentence by sentence:
that makes the level pump.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

from yomiage.config import MasterSettings
from yomiage.audio import Audio, Samples
from yomiage.errors import AudioError
from yomiage.ffmpeg import ffmpeg_exe

MASTER_RATE = 44_100
OVERSAMPLE = 4  # BS.1770 true peak: 4x oversampling
LIMITER_WINDOW_S = 0.010  # attack and release of the limiter's gain
_CHUNK = MASTER_RATE * 10


@dataclass(frozen=True)
class MasterReport:
    chapter_gains_db: tuple[float, ...]
    limited_samples: int  # how many samples the limiter turned down


def to_master_rate(audio: Audio) -> Samples:
    """Resample a segment to 44.1 kHz with a proper anti-aliasing filter."""
    if audio.rate == MASTER_RATE:
        return audio.samples
    divisor = math.gcd(MASTER_RATE, audio.rate)
    resampled = resample_poly(audio.samples, MASTER_RATE // divisor, audio.rate // divisor)
    return np.asarray(resampled, dtype=np.float32)


def loudness_lufs(samples: Samples, rate: int = MASTER_RATE) -> float:
    """Integrated loudness (BS.1770-4, gated); -inf for silence or very short audio."""
    if len(samples) < rate // 2:
        return -math.inf
    with warnings.catch_warnings():  # pyloudnorm warns on clipping; we measure floats
        warnings.simplefilter("ignore")
        return float(pyloudnorm.Meter(rate).integrated_loudness(samples.astype(np.float64)))


def master(mix: Samples, chapters: Sequence[tuple[int, int]], settings: MasterSettings) -> tuple[Samples, MasterReport]:
    """Normalise each chapter's span to the target loudness, then limit true peaks."""
    out = mix.copy()
    gains: list[float] = []
    for start, end in chapters:
        level = loudness_lufs(out[start:end])
        gain_db = 0.0 if math.isinf(level) else settings.loudness_lufs - level
        out[start:end] *= np.float32(10 ** (gain_db / 20))
        gains.append(round(gain_db, 2))
    limited, count = limit_true_peak(out, settings.true_peak_dbtp)
    return limited, MasterReport(tuple(gains), count)


def true_peak_envelope(samples: Samples) -> Samples:
    """Per sample, the highest absolute value of the 4x oversampled signal around it."""
    envelope = np.empty(len(samples), dtype=np.float32)
    margin = 64  # enough for the resampling filter to settle at chunk edges
    for start in range(0, len(samples), _CHUNK):
        stop = min(start + _CHUNK, len(samples))
        lo, hi = max(0, start - margin), min(len(samples), stop + margin)
        over = resample_poly(samples[lo:hi].astype(np.float64), OVERSAMPLE, 1)
        peaks = np.abs(over).reshape(-1, OVERSAMPLE).max(axis=1)
        envelope[start:stop] = np.maximum(peaks[start - lo : stop - lo], np.abs(samples[start:stop]))
    return envelope


def true_peak_dbtp(samples: Samples) -> float:
    peak = float(true_peak_envelope(samples).max()) if len(samples) else 0.0
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def limit_true_peak(samples: Samples, ceiling_dbtp: float, rate: int = MASTER_RATE) -> tuple[Samples, int]:
    """A look-ahead limiter: no true peak above the ceiling, gain eased over a short window.

    The needed gain is first held at its minimum over a window either side, then
    averaged over a window of the same width; every average then includes the
    minimum around its own sample, so the smoothed gain never exceeds what any
    sample needs, and the ceiling holds with no overshoot.
    """
    ceiling = 10 ** (ceiling_dbtp / 20)
    envelope = true_peak_envelope(samples)
    needed = np.minimum(1.0, ceiling / np.maximum(envelope, 1e-9)).astype(np.float32)
    count = int(np.count_nonzero(needed < 1.0))
    if count == 0:
        return samples, 0
    width = 2 * round(LIMITER_WINDOW_S * rate) + 1
    gain = uniform_filter1d(minimum_filter1d(needed, size=width, mode="nearest"), size=width, mode="nearest")
    # Float rounding in the average may leave a hair above the need: clamp it.
    gain = np.minimum(gain, needed)
    return (samples * gain).astype(np.float32), count


def export_mp3(samples: Samples, path: Path, settings: MasterSettings) -> None:
    """Encode through pydub and the imageio-ffmpeg binary: CBR, 44.1 kHz, Xing/Info header."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    segment = _pydub().AudioSegment(data=pcm.tobytes(), sample_width=2, frame_rate=MASTER_RATE, channels=1)
    parameters = [
        "-ac", str(settings.channels),
        "-write_xing", "1",  # the "Info" frame: exact seeking in CBR files
        "-id3v2_version", "0",  # mutagen writes the one tag, ID3v2.3, afterwards
    ]  # fmt: skip
    try:
        segment.export(str(path), format="mp3", bitrate=f"{settings.bitrate_kbps}k", parameters=parameters)
    except Exception as exc:  # pydub raises CouldntEncodeError or OSError with ffmpeg's text
        message = str(exc).strip().splitlines()
        raise AudioError(f"{path}: MP3 encoding failed ({message[-1] if message else exc})") from exc


def _pydub():  # type: ignore[no-untyped-def]
    """pydub, pointed at the bundled ffmpeg before it looks for one on PATH (and warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        import pydub
    pydub.AudioSegment.converter = ffmpeg_exe()
    return pydub
