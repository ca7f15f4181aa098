"""Mastering: each chapter to the target loudness, peaks limited, a CBR MP3 checked.

Each chapter is brought to the target loudness on its own (BS.1770, gated), so
the episode as a whole lands on the target too, and a chapter keeps its level
when another one is re-synthesized. Levels are never set sentence by sentence:
that makes the level pump.

MP3 encoding changes the signal in two ways we correct for: LAME scales its
output (by 0.95 in the builds we ship, about -0.45 dB), and its coding noise
raises true peaks by a dB or two at podcast bitrates. The first is measured
once on a test tone and compensated; the second is checked on each chapter's
own decoded frames, and only that chapter limited harder and encoded again if a
peak got through.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d, uniform_filter1d
from scipy.signal import firwin, upfirdn

from yomiage.audio.ffmpeg import Mp3Encoder, decode_to_samples
from yomiage.audio.loudness import Energies, integrated_lufs, loudness_lufs, step_energies
from yomiage.audio.mp3frames import decode_chapter, encode_chapter
from yomiage.audio.samples import Samples
from yomiage.config import MasterSettings
from yomiage.errors import AudioError

MASTER_RATE = 44_100
MP3_FRAME = 1152  # samples per MPEG-1 Layer III frame
LIMITER_WINDOW_S = 0.010  # attack and release of the limiter's gain
# Room left under the true-peak target for inter-sample peaks and MP3 coding
# noise (2 to 2.5 dB at 96 kbps for Open JTalk's voice); checked after encoding.
FIRST_MARGIN_DB = 3.0
MAX_ENCODES = 3
MAX_LIMIT_PASSES = 4
LOUDNESS_TOLERANCE_LU = 0.2

# True peak per BS.1770: 4x oversampling through a 48-tap low-pass filter.
OVERSAMPLE = 4
_OVERSAMPLING_FILTER = (OVERSAMPLE * firwin(48, 1 / OVERSAMPLE, window=("kaiser", 6.0))).astype(
    np.float32
)
_BLOCK = 2048
# Inter-sample peaks in real audio stay within 3 dB of the sample peak, so
# blocks quieter than that below the level of interest need no oversampling.
_QUIET_BELOW_CEILING = 10 ** (-3 / 20)


@dataclass(frozen=True)
class MasterReport:
    chapter_gains_db: tuple[float, ...]
    loudness_lufs: float  # measured on the decoded MP3
    true_peak_dbtp: float  # measured on the decoded MP3
    encodes: int
    peak_ceiling_dbtp: float  # what the true peak had to stay under
    margin_db: float  # how far under it the limiter was set, for the last encode

    @property
    def peak_held(self) -> bool:
        return self.true_peak_dbtp <= self.peak_ceiling_dbtp


@dataclass(frozen=True)
class ChapterMaster:
    """A chapter mastered and encoded to its own frames, as measured on those frames."""

    gain_db: float
    margin_db: float  # how far under the ceiling the limiter was set, for the last encode
    true_peak_dbtp: float  # of the chapter's decoded frames
    encodes: int
    frames: int
    energies: Energies  # K-weighted power per 100 ms of the decoded frames (loudness.py)

    @property
    def loudness_lufs(self) -> float:
        return integrated_lufs(self.energies)


def master_chapter_frames(
    span: Samples,
    settings: MasterSettings,
    dest: Path,
    *,
    last: bool,
    first_margin_db: float = FIRST_MARGIN_DB,
) -> ChapterMaster:
    """Master one chapter's span and encode it to bare MP3 frames at `dest`.

    The true peak is checked on this chapter's frames alone, decoded as the
    episode will play them; if a peak got through, only this chapter is
    limited harder and encoded again.
    """
    codec = 1 / codec_gain(settings.bitrate_kbps)  # the encoder turns the level down a little
    margin = max(first_margin_db, FIRST_MARGIN_DB)
    for encodes in range(1, MAX_ENCODES + 1):
        ceiling = settings.true_peak_dbtp - margin
        mastered, gain = master_chapter(span, settings.loudness_lufs, ceiling)
        frames = encode_chapter(
            mastered,
            dest,
            bitrate_kbps=settings.bitrate_kbps,
            channels=settings.channels,
            last=last,
            gain=codec,
        )
        del mastered
        decoded = decode_chapter(dest, len(span))
        peak = true_peak_dbtp(decoded, floor_dbtp=settings.true_peak_dbtp)
        if peak <= settings.true_peak_dbtp or encodes == MAX_ENCODES:
            break
        margin += peak - settings.true_peak_dbtp + 0.2
    energies = step_energies(decoded, MASTER_RATE)
    return ChapterMaster(gain, margin, peak, encodes, frames.frames, energies)


def master_chapter(
    chapter: Samples, target_lufs: float, ceiling_db: float
) -> tuple[Samples, float]:
    """One chapter at the target loudness with its peaks under the ceiling; and the gain used.

    Limiting lowers the loudness (more for peaky voices), so the loudness is
    measured again after limiting and the gain corrected, until it is within
    LOUDNESS_TOLERANCE_LU of the target.
    """
    gain = _gain_to_target(chapter, target_lufs)
    for _ in range(MAX_LIMIT_PASSES):
        mastered = chapter * np.float32(10 ** (gain / 20))
        _limit_in_place(mastered, ceiling_db)
        error = _gain_to_target(mastered, target_lufs)
        if abs(error) <= LOUDNESS_TOLERANCE_LU:
            break
        gain += error
    return mastered, round(gain, 2)


def _gain_to_target(samples: Samples, target_lufs: float) -> float:
    level = loudness_lufs(samples, MASTER_RATE)
    return 0.0 if math.isinf(level) else target_lufs - level


def to_pcm(samples: Samples, gain: float, path: Path) -> bytes:
    """16-bit little-endian PCM of `samples` times `gain`; refuses to clip."""
    peak = float(np.abs(samples).max()) * gain if len(samples) else 0.0
    if peak > 1.0:  # mastering keeps peaks below full scale; never clip silently
        raise AudioError(f"{path}: refusing to encode a signal that would clip (peak {peak:.2f})")
    pcm: bytes = np.round(samples * np.float32(32767.0 * gain)).astype("<i2").tobytes()
    return pcm


def true_peak_dbtp(samples: Samples, floor_dbtp: float = -math.inf) -> float:
    """The highest true peak (4x oversampled), in dBTP.

    Blocks with no sample above floor_dbtp - 3 dB are not oversampled: callers
    that only ask whether a peak passes a limit pass the limit as the floor.
    """
    if len(samples) == 0:
        return -math.inf
    floor = 10 ** (floor_dbtp / 20) * _QUIET_BELOW_CEILING if floor_dbtp > -math.inf else 0.0
    peak = float(_block_peaks(samples).max())
    delay = (len(_OVERSAMPLING_FILTER) - 1) // 2
    for lo, hi in _loud_spans(samples, floor, pad=delay):
        over = upfirdn(_OVERSAMPLING_FILTER, samples[lo:hi], up=OVERSAMPLE)
        peak = max(peak, float(over.max()), -float(over.min()))
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def _block_peaks(samples: Samples) -> Samples:
    """The highest absolute sample of each _BLOCK-long block (the last may be shorter)."""
    whole = len(samples) // _BLOCK * _BLOCK
    blocks = samples[:whole].reshape(-1, _BLOCK)
    peaks = np.maximum(blocks.max(axis=1), -blocks.min(axis=1))  # no full-length temporary
    if whole < len(samples):
        tail = samples[whole:]
        peaks = np.append(peaks, max(float(tail.max()), -float(tail.min())))
    return np.asarray(peaks, dtype=np.float32)


def _loud_spans(samples: Samples, floor: float, pad: int) -> list[tuple[int, int]]:
    """Sample spans covering every block with a sample at or above `floor`, padded by `pad`.

    Nearby loud blocks are merged, so a whole sentence is usually one span.
    """
    loud = _block_peaks(samples) >= floor
    # Merge runs separated by up to 4 quiet blocks (about 0.2 s): fewer, longer calls.
    loud = maximum_filter1d(loud, size=5)
    edges = np.diff(np.concatenate(([0], loud.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [
        (max(0, first * _BLOCK - pad), min(len(samples), last * _BLOCK + pad))
        for first, last in zip(starts.tolist(), ends.tolist(), strict=True)
    ]


def limit_peaks(samples: Samples, ceiling_db: float, rate: int = MASTER_RATE) -> Samples:
    """A copy of `samples` with no sample above the ceiling; see _limit_in_place."""
    out: Samples = samples.copy()
    _limit_in_place(out, ceiling_db, rate)
    return out


def _limit_in_place(samples: Samples, ceiling_db: float, rate: int = MASTER_RATE) -> None:
    """A look-ahead limiter: no sample above the ceiling, gain eased over a short window.

    The needed gain is first held at its minimum over a window either side, then
    averaged over a window of the same width; every average then includes only
    values at or below its own sample's need, so the smoothed gain never exceeds
    what any sample needs and the ceiling holds with no overshoot. Only the spans
    around samples over the ceiling are computed; elsewhere the gain is 1.
    Inter-sample peaks are left to the margin below the true-peak target, which
    the encoded file is checked against.
    """
    ceiling = np.float32(10 ** (ceiling_db / 20))
    width = 2 * round(LIMITER_WINDOW_S * rate) + 1
    for lo, hi in _loud_spans(samples, np.nextafter(ceiling, np.float32(2)), pad=width):
        span = np.abs(samples[lo:hi])
        needed = np.minimum(np.float32(1.0), ceiling / np.maximum(span, np.float32(1e-9)))
        held = minimum_filter1d(needed, size=width, mode="nearest")
        samples[lo:hi] *= np.minimum(uniform_filter1d(held, size=width, mode="nearest"), needed)


@cache
def codec_gain(bitrate_kbps: int) -> float:
    """How much the MP3 encoder scales the level: a 1 kHz tone in, RMS ratio out."""
    t = np.arange(MASTER_RATE) / MASTER_RATE
    tone = (0.25 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    settings = MasterSettings(-16.0, -1.0, bitrate_kbps, 1)
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "tone.mp3"
        export_mp3(tone, probe, settings)
        decoded = decode_to_samples(probe, MASTER_RATE)
    middle = slice(MASTER_RATE // 4, 3 * MASTER_RATE // 4)  # away from encoder delay and padding
    return float(np.sqrt(np.mean(decoded[middle] ** 2)) / np.sqrt(np.mean(tone[middle] ** 2)))


def export_mp3(samples: Samples, path: Path, settings: MasterSettings, gain: float = 1.0) -> None:
    """Encode `samples` times `gain`, as they are, to a CBR MP3 with no tag."""
    with Mp3Encoder(path, MASTER_RATE, settings.bitrate_kbps, settings.channels) as encoder:
        encoder.write(to_pcm(samples, gain, path))
