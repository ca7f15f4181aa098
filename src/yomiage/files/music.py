"""The user's music files, read with pydub through our own ffmpeg.

pydub is imported here only, with its import-time warnings silenced here only:
it warns that no ffmpeg is on PATH (we never use PATH: the converter is set to
the imageio-ffmpeg binary) and that audioop is deprecated. The imageio-ffmpeg
wheel has no ffprobe, so every file is read through
AudioSegment.from_file_using_temporary_files with the format given: ffmpeg
converts it to WAV and pydub never asks ffprobe what it holds (from_file does,
unless a decoder is forced).

A file is kept as pydub has it, mono at the master rate with 32-bit samples:
every later step (fades, ducking, overlays) only lowers the level, so nothing
clips; the level against the voice is set afterwards, in float.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from yomiage.files import userfile

if TYPE_CHECKING:
    from pydub import AudioSegment

SAMPLE_WIDTH = 4  # bytes: 32-bit samples, headroom for every gain pydub applies
# ffmpeg's demuxer for each file name ending; pydub passes it as `-f`.
FORMATS = {".mp3": "mp3", ".wav": "wav", ".flac": "flac", ".m4a": "mp4", ".ogg": "ogg"}


class MusicFileError(ValueError):
    """A music file is missing, unreadable, not audio, or too short or long; str() says which."""


@dataclass(frozen=True)
class Music:
    """A music file as the mix uses it, and the hash of its bytes (what rebuilds key on)."""

    path: Path
    segment: AudioSegment
    sha256: str

    @property
    def seconds(self) -> float:
        return self.samples / int(self.segment.frame_rate)

    @property
    def samples(self) -> int:
        return len(self.segment.raw_data) // SAMPLE_WIDTH


def pydub_audio_segment() -> type[AudioSegment]:
    """pydub's AudioSegment, its converter set to our ffmpeg, its import warnings silenced."""
    from yomiage.audio.ffmpeg import ffmpeg_exe

    with warnings.catch_warnings():
        # RuntimeWarning: no ffmpeg/avconv on PATH; DeprecationWarning: audioop.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pydub import AudioSegment

    AudioSegment.converter = ffmpeg_exe()
    segment_type: type[AudioSegment] = AudioSegment
    return segment_type


def check_music(path: Path, shortest_s: float, longest_s: float | None) -> Path:
    """The file's resolved path, once it is known to decode and to be long enough."""
    music = load_music(path)
    if music.seconds < shortest_s:
        raise MusicFileError(
            f"{path} is {music.seconds:.1f} s long; it must last at least {shortest_s:g} s"
        )
    if longest_s is not None and music.seconds > longest_s:
        raise MusicFileError(
            f"{path} is {music.seconds:.1f} s long; it must last at most {longest_s:g} s"
        )
    return music.path


def load_music(path: Path) -> Music:
    """The file decoded, mono at the master rate, 32-bit; cached while the file is unchanged."""
    try:
        resolved = path.resolve()
        stat = resolved.stat()
    except FileNotFoundError:
        raise MusicFileError(f"no such music file {path}") from None
    except OSError as exc:
        raise MusicFileError(f"cannot read {path} ({exc.strerror})") from None
    return _load(resolved, stat.st_mtime_ns, stat.st_size)


@cache
def _load(path: Path, mtime_ns: int, size: int) -> Music:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise MusicFileError(f"{path} is not a music file yomiage reads ({known})")
    try:
        data = userfile.read_bytes(path)  # a FIFO or a device is refused, not waited on
    except OSError as exc:
        raise MusicFileError(f"cannot read {path} ({exc})") from None
    segment_type = pydub_audio_segment()
    from pydub.exceptions import CouldntDecodeError

    try:
        segment = segment_type.from_file_using_temporary_files(io.BytesIO(data), format=fmt)
    except CouldntDecodeError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        raise MusicFileError(
            f"{path} does not decode as {fmt} audio ({lines[-1] if lines else 'no message'})"
        ) from None
    except (OSError, EOFError, ValueError) as exc:  # a WAV header pydub cannot read
        raise MusicFileError(f"{path} does not decode as {fmt} audio ({exc})") from None
    if len(segment.raw_data) == 0:
        raise MusicFileError(f"{path} holds no audio")
    from yomiage.audio.master import MASTER_RATE

    segment = segment.set_channels(1).set_sample_width(SAMPLE_WIDTH)
    if segment.frame_rate != MASTER_RATE:
        segment = _resampled(segment, MASTER_RATE)
    if segment.max == 0:
        raise MusicFileError(f"{path} is silent")
    return Music(path, segment, hashlib.sha256(data).hexdigest())


def _resampled(segment: AudioSegment, rate: int) -> AudioSegment:
    """At the master rate through libsoxr, as the voices are (pydub's own ratecv aliases)."""
    import numpy as np

    from yomiage.audio.samples import Audio, resample

    full = float(1 << (8 * SAMPLE_WIDTH - 1))
    samples = np.asarray(segment.get_array_of_samples(), dtype=np.float64) / full
    audio = resample(Audio(samples.astype(np.float32), segment.frame_rate), rate)
    # soxr's filter can ring a hair over full scale on a file mastered to 0 dBFS
    peak = max(1.0, float(np.abs(audio.samples).max()))
    ints = np.round(audio.samples / peak * (full - 1)).astype("<i4")
    return segment._spawn(ints.tobytes(), overrides={"frame_rate": rate})
