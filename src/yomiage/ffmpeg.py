"""Where the ffmpeg binary comes from, and running it with errors of our own.

The imageio-ffmpeg wheel ships a static ffmpeg (no ffprobe), so a fresh install
needs no system package. YOMIAGE_FFMPEG points at another binary if wanted.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from functools import cache

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
