"""Issue 10, text part: what used to be lost, misread or refused, on real parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from yomiage.errors import SourceError
from yomiage.source import read_source

# ---------------------------------------------------------------- NUL bytes


@pytest.mark.parametrize("offset", [10, 9000, 200_000], ids=["early", "after-8k", "late"])
def test_a_nul_byte_anywhere_is_binary(tmp_path: Path, offset: int) -> None:
    body = ("本文です。" * 30000).encode()
    path = tmp_path / "article.txt"
    path.write_bytes(b"# title\n\n" + body[:offset] + b"\x00" + body[offset:])
    with pytest.raises(SourceError, match="looks like a binary file"):
        read_source(path)


def test_control_bytes_late_in_a_file_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(("本文です。\n" * 1000).encode() + bytes(range(1, 9)) * 4000)
    with pytest.raises(SourceError, match="looks like a binary file"):
        read_source(path)
