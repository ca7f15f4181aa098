"""Where the ffmpeg binary comes from, and running it with errors of our own.

The imageio-ffmpeg wheel ships a static ffmpeg (no ffprobe), so a fresh install
needs no system package. YOMIAGE_FFMPEG points at another binary if wanted.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from yomiage.errors import AudioError


@cache
def ffmpeg_exe() -> str:
    override = os.environ.get("YOMIAGE_FFMPEG")
    if override:
        return override
    import imageio_ffmpeg

    try:
        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:  # the wheel has no binary for this platform
        raise AudioError(f"no ffmpeg binary found: {exc}") from exc


def run_ffmpeg(args: Sequence[str], *, what: str) -> str:
    """Run ffmpeg quietly; return its stderr (where filters print), or raise AudioError."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except OSError as exc:
        raise AudioError(f"{what}: cannot run ffmpeg ({exc})") from exc
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        last = stderr.strip().splitlines()[-1] if stderr.strip() else "no message"
        raise AudioError(f"{what}: ffmpeg failed ({last})")
    return stderr


def decode_to_samples(path: Path, rate: int) -> npt.NDArray[np.float32]:
    """Decode any audio file to mono float32 samples at `rate`.

    Through a temporary file rather than a pipe: reading tens of megabytes from
    a pipe in Python takes longer than ffmpeg's decoding itself.
    """
    with tempfile.TemporaryDirectory(prefix="yomiage-") as folder:
        raw = Path(folder) / "decoded.f32"
        run_ffmpeg(
            ["-v", "error", "-i", str(path), "-ac", "1", "-ar", str(rate), "-f", "f32le", str(raw)],
            what=f"{path}: decoding",
        )
        return np.fromfile(raw, dtype="<f4").astype(np.float32, copy=False)


class Mp3Encoder:
    """An ffmpeg process encoding 16-bit mono PCM, fed piece by piece, to a CBR MP3.

    The encoder runs on its own core while the caller prepares the next piece.
    The file gets the Xing/Info frame (exact seeking in CBR files) and no tag:
    mutagen writes the one tag, ID3v2.3, afterwards. With info_frame=False it
    holds audio frames only, for mp3frames to lay end to end under one Info frame.
    """

    def __init__(
        self, path: Path, rate: int, bitrate_kbps: int, channels: int, *, info_frame: bool = True
    ) -> None:
        self.path = path
        command = [ffmpeg_exe(), "-hide_banner", "-v", "error", "-y"]
        command += ["-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0"]
        command += ["-ac", str(channels), "-codec:a", "libmp3lame", "-b:a", f"{bitrate_kbps}k"]
        command += ["-write_xing", "1" if info_frame else "0"]
        command += ["-id3v2_version", "0", "-f", "mp3", str(path)]
        # stderr goes to a file, not a pipe nobody reads while writing: a chatty
        # ffmpeg would fill the pipe, stop reading its input, and both would wait.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close or abort)
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stderr=self._stderr, stdout=subprocess.DEVNULL
            )
        except OSError as exc:
            self._stderr.close()
            raise AudioError(f"{path}: cannot run ffmpeg ({exc})") from exc

    def write(self, pcm: bytes) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(pcm)
        except BrokenPipeError:
            self._fail()

    def close(self) -> None:
        """Finish the file; raise AudioError with ffmpeg's own message if it failed."""
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError):  # ffmpeg died: wait() says so
            self._process.stdin.close()
        if self._process.wait() != 0:
            self._fail()
        self._stderr.close()

    def abort(self) -> None:
        self._process.kill()
        self._process.wait()
        self._stderr.close()

    def _fail(self) -> None:
        self._process.wait()
        self._stderr.seek(0)
        lines = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        self._stderr.close()
        raise AudioError(
            f"{self.path}: MP3 encoding: ffmpeg failed ({lines[-1] if lines else 'no message'})"
        )

    def __enter__(self) -> Mp3Encoder:
        return self

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
