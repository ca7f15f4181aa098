"""Reading a file a user names (article, settings, script, readings, cover): regular files only.

Opening a FIFO for reading blocks until a writer comes, and a device such as
/dev/zero never ends, so such a path is refused with one line instead of hanging.
The open itself does not block (O_NONBLOCK); the type is checked on the open
file, so a path swapped after a check cannot slip through.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path is a folder, FIFO, device or socket; str() says which."""

    def __init__(self, kind: str) -> None:
        super().__init__(errno.EINVAL, f"{kind}, not a regular file")

    def __str__(self) -> str:
        return str(self.strerror)


def kind_of(mode: int) -> str:
    """What a file that is not a regular one is, for a message: 'a FIFO (named pipe)'."""
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


def open_regular(path: Path) -> BinaryIO:
    """The file opened for reading; NotRegularFile (an OSError) unless it is a regular file."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(kind_of(mode))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path) -> bytes:
    with open_regular(path) as file:
        return file.read()


def read_text(path: Path, encoding: str = "utf-8-sig") -> str:
    """The file as text; OSError (NotRegularFile among them) or UnicodeDecodeError."""
    return read_bytes(path).decode(encoding)
