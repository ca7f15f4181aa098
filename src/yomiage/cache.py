"""A content-addressed store of synthesized segments, kept in the episode folder.

A segment's key is a hash of everything that makes its sound: the engine's
identity (engine, version, voice, settings) and the spoken text. Each segment
is written as soon as it is synthesized, atomically, so a build that is
interrupted keeps all finished work and never reads a half-written file.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

from yomiage.audio import Audio
from yomiage.files import ensure_folder, write_bytes_atomic


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
                return Audio(samples=stored["samples"].astype(np.float32), rate=int(stored["rate"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)  # damaged: synthesize it again
            return None

    def put(self, key: str, audio: Audio) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, samples=audio.samples, rate=np.int64(audio.rate))
        ensure_folder(self.folder)
        write_bytes_atomic(self._path(key), buffer.getvalue())
