"""Where the ffmpeg binary comes from, and running it with errors of our own.

The imageio-ffmpeg wheel ships a static ffmpeg (no ffprobe), so a fresh install
needs no system package. YOMIAGE_FFMPEG points at another binary if wanted.
"""

from __future__ import annotations

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


def run_ffmpeg(args: Sequence[str], *, input_bytes: bytes | None = None, what: str) -> str:
    """Run ffmpeg quietly; return its stderr (where filters print), or raise AudioError."""
    command = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        done = subprocess.run(command, input=input_bytes, capture_output=True, check=False)
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
