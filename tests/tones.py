"""Music for the tests: numpy tones written as WAV, and encoded by our ffmpeg to other formats;
and a meter of one frequency band, to hear where a tone is in a decoded episode."""

from __future__ import annotations

import math
import wave
from pathlib import Path

import numpy as np

from yomiage.audio.ffmpeg import run_ffmpeg

THEME_HZ = 3500  # above every harmonic of FakeEngine's voice (at most 11 x 189 Hz)
STING_HZ = 5000
OTHER_HZ = 3000  # a second theme, for "the file changed"


def tone(hz: float, seconds: float, rate: int = 44_100, amplitude: float = 0.5) -> np.ndarray:
    """A sine with 10 ms fades at both ends."""
    t = np.arange(round(seconds * rate)) / rate
    edge = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)
    return (amplitude * np.sin(2 * np.pi * hz * t) * edge).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, rate: int = 44_100, channels: int = 1) -> Path:
    """16-bit PCM WAV; with channels=2 the same signal on both."""
    pcm = np.round(np.clip(samples, -1, 1) * 32767).astype("<i2")
    if channels == 2:
        pcm = np.repeat(pcm, 2)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(channels)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(pcm.tobytes())
    return path


def encode(wav: Path, dest: Path) -> Path:
    """The WAV in the format dest's name ends in (mp3, flac, ogg, m4a), by our ffmpeg."""
    codec = {".mp3": "libmp3lame", ".flac": "flac", ".ogg": "libvorbis", ".m4a": "aac"}
    run_ffmpeg(
        ["-v", "error", "-y", "-i", str(wav), "-codec:a", codec[dest.suffix], str(dest)],
        what=f"encode {dest.name}",
    )
    return dest


def theme_file(folder: Path, name: str, hz: float, seconds: float, **wav: int) -> Path:
    """A tone as `name` (its ending picks the format), through a WAV when it is not one."""
    wav_path = folder / (Path(name).stem + ".src.wav")
    write_wav(wav_path, tone(hz, seconds, wav.get("rate", 44_100)), **wav)
    dest = folder / name
    if dest.suffix == ".wav":
        wav_path.replace(dest)
        return dest
    return encode(wav_path, dest)


def band_db(samples: np.ndarray, rate: int, hz: float, width: float = 150.0) -> float:
    """The level of what lies within `width` Hz around `hz`, in dB of full-scale RMS."""
    if len(samples) < rate // 20:
        raise ValueError("a window of at least 50 ms is needed")
    window = np.hanning(len(samples))
    spectrum = np.fft.rfft(samples * window)
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    band = np.abs(spectrum[(freqs > hz - width / 2) & (freqs < hz + width / 2)]) ** 2
    power = 2 * band.sum() / (np.sum(window**2) * len(samples))  # mean square of the band
    return 10 * math.log10(max(power, 1e-20)) + 3.01  # a sine's RMS: peak - 3 dB; full scale 0


def window(samples: np.ndarray, rate: int, start_s: float, end_s: float) -> np.ndarray:
    assert end_s - start_s >= 0.05, (start_s, end_s)
    return samples[round(start_s * rate) : round(end_s * rate)]
