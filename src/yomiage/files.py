"""Writing into the episode folder: whole files or nothing, and errors that name the path."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from yomiage.errors import OutputError


def ensure_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}: a file stands where the episode folder should be") from None
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the episode folder ({exc.strerror})") from None
    return folder


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: a reader never sees half of it."""
    try:
        handle, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600; others may read the episode
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask (it can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def replace_file(staging: Path, final: Path) -> None:
    """Move a finished file into place in one step; the old one stays whole until then."""
    try:
        staging.replace(final)
    except OSError as exc:
        raise OutputError(f"{final}: cannot replace the episode ({exc.strerror})") from None


def read_text_or_none(path: Path) -> str | None:
    """A text file's content; None when it is missing or unreadable."""
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_text_if_changed(path: Path, text: str) -> None:
    """Write `path` only when its content differs: unchanged files keep their time stamp."""
    if read_text_or_none(path) != text:
        write_text_atomic(path, text)
