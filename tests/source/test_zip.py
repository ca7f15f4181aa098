"""An article in a zip archive, as Aozora Bunko hands its texts out."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pages
import pytest

from yomiage.errors import SourceError
from yomiage.source import read
from yomiage.source.read import read_any


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_the_one_text_in_an_aozora_zip_is_read_as_that_text(tmp_path: Path) -> None:
    text = tmp_path / "toudaimori.txt"
    text.write_bytes(pages.AOZORA_BYTES)
    archive = _zip(
        tmp_path / "12345_ruby_67890.zip",
        {"toudaimori.txt": pages.AOZORA_BYTES, "fig12345_01.png": b"\x89PNG\r\n\x1a\n"},
    )
    document, plain = read_any(archive), read_any(text)
    assert (document.title, document.author) == (pages.AOZORA_TITLE, pages.AOZORA_AUTHOR)
    assert document.sections == plain.sections and document.readings == plain.readings


def test_markdown_in_a_zip_is_markdown(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "post.zip", {"post/README.md": "# 題\n\n## 節\n\n本文です。\n".encode()}
    )
    document = read_any(archive)
    assert document.title == "題" and [s.heading for s in document.sections] == ["節"]


@pytest.mark.parametrize(
    ("members", "says"),
    [
        ({"a.txt": b"one", "b.txt": b"two"}, "2 text files in the archive (a.txt, b.txt); unpack"),
        ({"cover.png": b"\x89PNG"}, "0 text files in the archive (.txt, .md, .html)"),
    ],
)
def test_an_archive_without_one_text_is_one_line(
    tmp_path: Path, members: dict[str, bytes], says: str
) -> None:
    archive = _zip(tmp_path / "work.zip", members)
    with pytest.raises(SourceError) as caught:
        read_any(archive)
    assert str(caught.value).startswith(f"{archive}: {says}")


def test_a_broken_or_oversized_archive_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(SourceError) as caught:
        read_any(broken)
    assert str(caught.value) == f"{broken}: not a zip archive that can be read"
    bomb = _zip(tmp_path / "bomb.zip", {"big.txt": b"a" * 5000})
    monkeypatch.setattr(read, "MAX_UNZIPPED_BYTES", 4096)
    with pytest.raises(SourceError) as caught:
        read_any(bomb)
    assert str(caught.value) == f"{bomb}: big.txt unpacks to 5,000 bytes, not an article"


@pytest.mark.parametrize("path", ["/aozora/files/12345_ruby_67890.zip", "/dl/12345_ruby_67890.zip"])
def test_a_zip_at_a_url_is_read_as_the_text_in_it(path: str) -> None:
    with pages.serve() as base:
        document = read_any(base + path)
    assert (document.title, document.author) == (pages.AOZORA_TITLE, pages.AOZORA_AUTHOR)
    assert document.url == base + path
    assert [s.heading for s in document.sections] == ["一", "二"]
