"""Writing into the episode folder: whole files or nothing, and errors that name the path.

Every file yomiage writes goes through here, and only ever replaces a regular
file: a device, FIFO or socket at the target is refused, never replaced, and
never opened (a FIFO would block the reader forever).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

from yomiage.errors import OutputError
from yomiage.files.userfile import kind_of, read_text


def ensure_folder(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"{folder}: a file stands where the episode folder should be") from None
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the episode folder ({exc.strerror})") from None
    return folder


def check_replaceable(path: Path) -> None:
    """Refuse a target that exists and is not a regular file (a symlink counts as its target)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OutputError(f"{path}: a symbolic link loop, not a file") from None
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise OutputError(
            f"{path}: not a regular file ({kind_of(mode)}); yomiage writes only files"
        )


def resolved(path: Path) -> Path:
    """`path` with its symbolic links followed; OutputError for a loop of them."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # RuntimeError before Python 3.13, OSError (ELOOP) after
        raise OutputError(f"{path}: a symbolic link loop, not a file") from None


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write a whole file or nothing: a reader never sees half of it."""
    handle, temporary = _new_beside(path, ".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _new_beside(final: Path, suffix: str) -> tuple[int, Path]:
    """A new hidden file, open, in `final`'s folder and named after it, for this run alone."""
    check_replaceable(final)
    try:
        handle, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=suffix)
    except OSError as exc:
        raise OutputError(f"{final}: cannot write ({exc.strerror})") from None
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600; others may read the episode
    except OSError as exc:
        os.close(handle)
        Path(name).unlink(missing_ok=True)
        raise OutputError(f"{final}: cannot write ({exc.strerror})") from None
    return handle, Path(name)


def _umask() -> int:
    """The process umask (it can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def replace_file(staging: Path, final: Path) -> None:
    """Move a finished file into place in one step; the old one stays whole until then."""
    check_replaceable(final)
    try:
        staging.replace(final)
    except OSError as exc:
        raise OutputError(f"{final}: cannot replace the episode ({exc.strerror})") from None


def staging_file(final: Path) -> Path:
    """A new empty file beside `final` to build it in, named for this run alone.

    Its name starts with `.{final.name}.` and ends with `.partial`, so that
    remove_staging finds it again after a killed run.
    """
    handle, staging = _new_beside(final, ".partial")
    os.close(handle)
    return staging


def remove_staging(folder: Path) -> int:
    """Delete the staging files and temporary writes of killed runs in `folder`; return how many.

    Only safe while holding the folder's lock: a live run's files look the same.
    """
    removed = 0
    for pattern in (".*.partial", ".*.tmp"):
        for path in folder.glob(pattern):
            with contextlib.suppress(OSError):  # gone, or read-only: try again next build
                if stat.S_ISREG(path.lstat().st_mode):
                    path.unlink()
                    removed += 1
    return removed


def read_text_or_none(path: Path) -> str | None:
    """A regular text file's content; None when it is missing, unreadable or not a file."""
    try:
        return read_regular_text(path)
    except (OSError, UnicodeDecodeError):
        return None


def read_regular_text(path: Path) -> str:
    """A text file's content; OSError for anything but a regular file, and no wait on a FIFO."""
    return read_text(path, "utf-8")


def write_text_if_changed(path: Path, text: str) -> None:
    """Write `path` only when its content differs: unchanged files keep their time stamp."""
    if read_text_or_none(path) != text:
        write_text_atomic(path, text)
