"""A content-addressed store of synthesized segments, kept in the episode folder.

A segment's key is a hash of everything that makes its sound: the engine's
identity (engine, version, voice, settings) and the spoken text. Each segment
is written as soon as it is synthesized, atomically, so a build that is
interrupted keeps all finished work and never reads a half-written file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import time
import zipfile
from pathlib import Path

import numpy as np

from yomiage.audio.samples import Audio
from yomiage.files.atomic import ensure_folder, write_bytes_atomic

# A temporary file this old is left from a killed process, not one being written.
SCRAP_AGE_S = 3600


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")


def _is_sound(audio: Audio) -> bool:
    """What a segment must be to be mixed in: mono samples, a sample rate, finite values."""
    samples = audio.samples
    return audio.rate > 0 and samples.ndim == 1 and bool(np.isfinite(samples).all())


def segment_key(engine_identity: str, text: str) -> str:
    return hashlib.sha256(f"{engine_identity}\n{text}".encode()).hexdigest()[:32]


class SegmentCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def get(self, key: str) -> Audio | None:
        path = self._path(key)
        try:
            with np.load(path) as stored:
                samples, rate = stored["samples"], stored["rate"]
                audio = Audio(samples=samples.astype(np.float32), rate=int(rate))
        except OSError:  # missing, or unreadable now: synthesize it again, keep the file
            return None
        except (ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile):
            audio = None  # a write cut short by a crash, or not a segment at all
        if audio is None or not _is_sound(audio):
            with contextlib.suppress(OSError):
                path.unlink()  # damaged: synthesize it again
            return None
        return audio

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def take(self, key: str) -> tuple[int, int] | None:
        """Which recording of `key` the cache holds: the file's mtime and size.

        A regen speaks a sentence again under the same key; the chapter that
        holds it must then be encoded again, though its keys are the same.
        """
        try:
            stat = self._path(key).stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def prune(self, keep: set[str]) -> int:
        """Delete segments whose key is not in `keep`, and scraps of killed writes; return how many.

        Called after a successful build with the keys of this build and the
        last one, so undoing an edit costs nothing but old takes do not pile up.
        A cache that is a symbolic link is shared with other episodes, whose
        segments this episode cannot tell from its own old takes: it is left whole.
        """
        removed = 0
        if self.folder.is_symlink():
            return 0
        try:
            entries = list(self.folder.iterdir())
        except OSError:
            return 0
        stale_before = time.time() - SCRAP_AGE_S
        for path in entries:
            unused = path.suffix == ".npz" and path.stem not in keep
            scrap = path.suffix == ".tmp" and _mtime(path) < stale_before
            if unused or scrap:
                with contextlib.suppress(OSError):  # gone or read-only: try again next build
                    path.unlink()
                    removed += 1
        return removed

    def put(self, key: str, audio: Audio) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, samples=audio.samples, rate=np.int64(audio.rate))
        ensure_folder(self.folder)
        write_bytes_atomic(self._path(key), buffer.getvalue())
