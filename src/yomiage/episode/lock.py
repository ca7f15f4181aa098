"""One yomiage at a time in an episode folder: an exclusive lock the kernel drops when we die.

The lock is flock(2) on `.yomiage.episode.lock` in the folder. The kernel releases it
when the process ends however it ends (kill -9 included), so holding it also
proves that no live run is writing there: what staging files are left are a
dead run's. A second run does not wait: it is refused with one line.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from yomiage.errors import OutputError

LOCK_FILE = ".yomiage.episode.lock"

_held: set[Path] = set()  # folders this process holds: taking one again is a no-op


@contextmanager
def episode_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for the block, or raise OutputError if another run holds it."""
    key = folder.resolve()
    if key in _held:
        yield
        return
    path = folder / LOCK_FILE
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        raise OutputError(f"{path}: cannot open the episode's lock ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                f"another yomiage is building {folder}; try again when it has finished"
            ) from None
        _held.add(key)
        try:
            yield
        finally:
            _held.discard(key)
            # Unlocked before closing: forked workers share the open file, and must not keep it.
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)
