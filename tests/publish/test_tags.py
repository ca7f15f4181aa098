# mypy: allow-untyped-calls
# (mutagen ships py.typed but leaves its functions unannotated)
"""ID3 tags and chapters on a real MP3, read back by mutagen and by ffmpeg itself."""

from __future__ import annotations

import datetime
import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from mutagen.id3 import CHAP, ID3, TIT2, CTOCFlags
from readers import ffmetadata_chapters

from yomiage.audio.ffmpeg import run_ffmpeg
from yomiage.audio.timeline import ChapterMark
from yomiage.errors import AudioError
from yomiage.publish.tags import EpisodeTags, read_chapters, write_tags

LONG_TITLE = "日本語の長い章題は" * 8 + "終わり"  # 75 characters: 150+ bytes even in UTF-16
assert len(LONG_TITLE.encode("utf-16")) > 128

# ch01's long title and ch02's short one make mutagen's size-sorted order differ
# from time order, so the raw-order test would catch a regression.
CHAPTERS = [
    ChapterMark("ch00", "はじめに", 0, 1500),
    ChapterMark("ch01", LONG_TITLE, 1500, 3000),
    ChapterMark("ch02", "本題", 3000, 4500),
    ChapterMark("ch03", "おわりに：まとめ", 4500, 6000),
]
TAGS = EpisodeTags(
    title="第一回 読み上げテスト",
    host="山田 太郎",
    show="よみあげラジオ",
    description="記事を読み上げた番組です。",
    date=datetime.date(2024, 5, 7),
    source_url="https://example.jp/記事/1?q=a b",
)
ENCODE_SINE = [  # the docs' own recipe: 6 s, mono, 44.1 kHz, CBR 96k
    *("-f", "lavfi", "-i", "sine=frequency=440:duration=6"),
    *("-ac", "1", "-ar", "44100", "-c:a", "libmp3lame", "-b:a", "96k"),
]
WOAS_URL = "https://example.jp/%E8%A8%98%E4%BA%8B/1?q=a%20b"  # Latin-1 frame: percent-encoded
FFMPEG_DELAY_MS = 60  # ffmpeg shifts starts by the encoder delay (docs/podcast-output.md)
# As publish.transcript_text lays it out: titles, run-on sentences, blank lines;
# several kilobytes, far larger than any other frame, with ID3/ffmetadata specials.
TRANSCRIPT = "\n\n".join(
    f"{mark.title}\n" + f"第{n}章の本文です。記号も入ります：=;#\\&<>「」。" * 40
    for n, mark in enumerate(CHAPTERS)
)


# --- fixtures and helpers -------------------------------------------------------------


@pytest.fixture(scope="session")
def encoded_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 6 s CBR sine MP3 straight from ffmpeg (with ffmpeg's own v2.4 TSSE tag)."""
    out = tmp_path_factory.mktemp("audio") / "sine.mp3"
    run_ffmpeg([*ENCODE_SINE, str(out)], what="encode test mp3")
    return out


@pytest.fixture
def mp3(encoded_mp3: Path, tmp_path: Path) -> Path:
    """A fresh copy per test, so each test tags an untouched ffmpeg output."""
    return Path(shutil.copy(encoded_mp3, tmp_path / "ep.mp3"))


@pytest.fixture
def tagged(mp3: Path) -> Path:
    write_tags(mp3, TAGS, CHAPTERS)
    return mp3


def make_png() -> bytes:
    """A valid 1x1 grey PNG, built by hand."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\x80")  # filter byte + one pixel
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def raw_frames(mp3: Path) -> list[tuple[str, bytes]]:
    """Top-level (frame id, body) pairs in the order they stand in a v2.3 tag."""
    data = mp3.read_bytes()
    assert data[:4] == b"ID3\x03"
    size = sum(b << (7 * (3 - i)) for i, b in enumerate(data[6:10]))  # synchsafe
    frames, pos = [], 10
    while pos + 10 <= 10 + size and data[pos : pos + 4] != b"\x00\x00\x00\x00":
        frame_id, frame_size = (
            data[pos : pos + 4].decode("ascii"),
            int.from_bytes(data[pos + 4 : pos + 8], "big"),
        )
        frames.append((frame_id, data[pos + 10 : pos + 10 + frame_size]))
        pos += 10 + frame_size
    return frames


def load(mp3: Path) -> ID3:
    """The tag as stored: no translation to v2.4 (which would fold TYER/TDAT into TDRC)."""
    return ID3(mp3, translate=False)


# --- mutagen reads back every frame ---------------------------------------------------


def test_episode_frames_round_trip(tagged: Path) -> None:
    tag = load(tagged)
    assert tag.version == (2, 3, 0)
    assert tag["TIT2"].text == [TAGS.title]
    assert tag["TPE1"].text == [TAGS.host]
    assert tag["TALB"].text == [TAGS.show]
    assert tag["TCON"].text == ["Podcast"]
    assert tag["TYER"].text == ["2024"]
    assert tag["TDAT"].text == ["0705"]  # DDMM
    assert tag["TLAN"].text == ["jpn"]
    comm = tag.getall("COMM")
    assert len(comm) == 1
    assert (comm[0].lang, comm[0].desc, comm[0].text) == ("jpn", "", [TAGS.description])
    assert tag["WOAS"].url == WOAS_URL
    assert all(tag[key].encoding == 1 for key in ("TIT2", "TPE1", "TALB", "TCON", "TLAN"))
    assert not tag.getall("APIC")


def test_exactly_the_frames_written(tagged: Path) -> None:
    episode = ["TIT2", "TPE1", "TALB", "TCON", "TYER", "TDAT", "TLAN", "COMM::jpn", "WOAS"]
    chapters = ["CTOC:toc", *(f"CHAP:{c.id}" for c in CHAPTERS)]
    assert sorted(load(tagged).keys()) == sorted(episode + chapters)


def test_ctoc_and_chap_frames(tagged: Path) -> None:
    tag = load(tagged)
    tocs = tag.getall("CTOC")
    assert len(tocs) == 1
    toc = tocs[0]
    assert toc.element_id == "toc"
    assert toc.flags == CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED == 3
    assert toc.child_element_ids == [c.id for c in CHAPTERS]
    assert toc.sub_frames["TIT2"].text == ["目次"]
    for mark in CHAPTERS:
        chap = tag[f"CHAP:{mark.id}"]
        assert (chap.start_time, chap.end_time) == (mark.start_ms, mark.end_ms)
        assert (chap.start_offset, chap.end_offset) == (0xFFFFFFFF, 0xFFFFFFFF)
        assert chap.sub_frames["TIT2"].text == [mark.title]
        assert chap.sub_frames["TIT2"].encoding == 1


def test_no_id3v1_even_if_one_was_there(mp3: Path) -> None:
    with mp3.open("ab") as f:  # an old ID3v1 tag at the end
        f.write(b"TAG" + b"old title".ljust(125, b"\x00"))
    write_tags(mp3, TAGS, CHAPTERS)
    assert mp3.read_bytes()[-128:][:3] != b"TAG"


def test_raw_chap_frames_in_time_order(tagged: Path) -> None:
    frames = raw_frames(tagged)
    chap_ids = [body.split(b"\x00", 1)[0].decode("ascii") for fid, body in frames if fid == "CHAP"]
    assert chap_ids == [c.id for c in CHAPTERS]
    assert [fid for fid, _ in frames].count("CTOC") == 1


# --- transcript (USLT) ---------------------------------------------------------------


@pytest.fixture
def with_transcript(mp3: Path) -> Path:
    write_tags(mp3, EpisodeTags(**{**TAGS.__dict__, "transcript": TRANSCRIPT}), CHAPTERS)
    return mp3


def test_transcript_is_one_uslt_frame(with_transcript: Path) -> None:
    tag = load(with_transcript)
    (uslt,) = tag.getall("USLT")
    assert (uslt.encoding, uslt.lang, uslt.desc) == (1, "jpn", "")
    assert uslt.text == TRANSCRIPT
    assert "USLT::jpn" in tag
    assert read_chapters(with_transcript) == CHAPTERS


def test_no_uslt_without_a_transcript(tagged: Path) -> None:
    assert not load(tagged).getall("USLT")


def test_raw_chap_frames_stay_last_and_in_time_order_with_a_transcript(
    with_transcript: Path,
) -> None:
    ids = [fid for fid, _ in raw_frames(with_transcript)]
    assert ids.index("USLT") < ids.index("CHAP")
    assert ids[-len(CHAPTERS) :] == ["CHAP"] * len(CHAPTERS)
    chap_ids = [
        body.split(b"\x00", 1)[0].decode("ascii")
        for fid, body in raw_frames(with_transcript)
        if fid == "CHAP"
    ]
    assert chap_ids == [c.id for c in CHAPTERS]


def test_ffmpeg_reads_the_transcript_and_every_chapter(
    with_transcript: Path, tmp_path: Path
) -> None:
    listed = ffmetadata_chapters(with_transcript, tmp_path)
    assert [c["title"] for c in listed] == [c.title for c in CHAPTERS]
    for seen, mark in zip(listed, CHAPTERS, strict=True):
        assert abs(int(seen["START"]) - mark.start_ms) <= FFMPEG_DELAY_MS
    # ffmpeg names USLT "lyrics-LANG"; ffmetadata escapes newlines and =;#\ with a backslash
    text = (tmp_path / f"{with_transcript.stem}.ffmetadata.txt").read_text(encoding="utf-8")
    value = re.search(r"^lyrics-jpn=((?:[^\\\n]|\\.)*)$", text, re.MULTILINE | re.DOTALL)
    assert value is not None
    assert re.sub(r"\\(.)", r"\1", value.group(1), flags=re.DOTALL) == TRANSCRIPT


# --- ffmpeg's own reading -------------------------------------------------------------


def test_ffmpeg_lists_every_chapter_in_order(tagged: Path, tmp_path: Path) -> None:
    listed = ffmetadata_chapters(tagged, tmp_path)
    assert [c["title"] for c in listed] == [c.title for c in CHAPTERS]  # the long one too
    assert all(c["TIMEBASE"] == "1/1000" for c in listed)
    for seen, mark in zip(listed, CHAPTERS, strict=True):
        assert abs(int(seen["START"]) - mark.start_ms) <= FFMPEG_DELAY_MS
        assert abs(int(seen["END"]) - mark.end_ms) <= FFMPEG_DELAY_MS


# --- read_chapters --------------------------------------------------------------------


def test_read_chapters_returns_what_was_written(tagged: Path) -> None:
    assert read_chapters(tagged) == CHAPTERS


def test_read_chapters_without_ctoc_sorts_by_time(mp3: Path) -> None:
    tag = ID3()
    for mark in reversed(CHAPTERS):
        tag.add(
            CHAP(
                element_id=mark.id,
                start_time=mark.start_ms,
                end_time=mark.end_ms,
                sub_frames=[TIT2(encoding=1, text=[mark.title])],
            )
        )
    tag.save(mp3, v2_version=3)
    assert read_chapters(mp3) == CHAPTERS


def test_read_chapters_of_untagged_file_is_empty(tmp_path: Path) -> None:
    bare = tmp_path / "bare.mp3"
    bare.write_bytes(b"\xff\xfb\x90\x00" + bytes(400))
    assert read_chapters(bare) == []


def test_read_chapters_of_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"missing\.mp3"):
        read_chapters(tmp_path / "missing.mp3")


# --- cover ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "mime"),
    [(make_png(), "image/png"), (b"\xff\xd8\xff\xe0" + bytes(64), "image/jpeg")],
)
def test_cover_is_front_cover_with_mime_from_magic(
    mp3: Path, tmp_path: Path, image: bytes, mime: str
) -> None:
    cover = tmp_path / "cover.bin"  # the name says nothing; the bytes do
    cover.write_bytes(image)
    write_tags(mp3, EpisodeTags(**{**TAGS.__dict__, "cover": cover}), CHAPTERS)
    (apic,) = load(mp3).getall("APIC")
    assert (apic.type, apic.mime, apic.data) == (3, mime, image)


def test_cover_that_is_not_an_image(mp3: Path, tmp_path: Path) -> None:
    cover = tmp_path / "cover.png"
    cover.write_text("not a picture")
    with pytest.raises(AudioError, match=r"cover\.png.*neither JPEG nor PNG"):
        write_tags(mp3, EpisodeTags(**{**TAGS.__dict__, "cover": cover}), CHAPTERS)


def test_missing_cover(mp3: Path, tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"nope\.jpg"):
        write_tags(mp3, EpisodeTags(**{**TAGS.__dict__, "cover": tmp_path / "nope.jpg"}), CHAPTERS)


# --- validation -----------------------------------------------------------------------


def mark(id: str, title: str, start: int, end: int) -> ChapterMark:
    return ChapterMark(id, title, start, end)


@pytest.mark.parametrize(
    ("chapters", "message"),
    [
        ([], "no chapters"),
        ([mark("", "a", 0, 10)], "printable ASCII"),
        ([mark("章1", "a", 0, 10)], "printable ASCII"),
        ([mark("ch\x00", "a", 0, 10)], "printable ASCII"),
        ([mark("toc", "a", 0, 10)], "printable ASCII and not 'toc'"),
        ([mark("ch00", "a", 0, 10), mark("ch00", "b", 10, 20)], "used twice"),
        ([mark("ch00", "", 0, 10)], "no title"),
        ([mark("ch00", "  ", 0, 10)], "no title"),
        ([mark("ch00", "a", 5, 10)], "first chapter starts at 5 ms"),
        (
            [mark("ch00", "a", 0, 10), mark("ch01", "b", 12, 20)],
            "ends at 10 ms but 'ch01' starts at 12",
        ),
        (
            [mark("ch00", "a", 0, 10), mark("ch01", "b", 8, 20)],
            "ends at 10 ms but 'ch01' starts at 8",
        ),
        ([mark("ch00", "a", 0, 10), mark("ch01", "b", 10, 10)], "not a forward span"),
        ([mark("ch00", "a", 0, 0)], "not a forward span"),
        ([mark("ch00", "a", 0, 2**32)], "not a forward span"),
    ],
)
def test_bad_chapters_are_refused(mp3: Path, chapters: list[ChapterMark], message: str) -> None:
    before = mp3.read_bytes()
    with pytest.raises(AudioError, match=re.escape(message)) as caught:
        write_tags(mp3, TAGS, chapters)
    assert str(mp3) in str(caught.value)
    assert mp3.read_bytes() == before  # nothing written


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("host", " "),
        ("show", ""),
        ("toc_title", ""),
        ("language", "ja"),
        ("transcript", ""),
        ("transcript", " \n "),
    ],
)
def test_bad_episode_tags_are_refused(field: str, value: str) -> None:
    with pytest.raises(AudioError, match=field.replace("_title", "")):
        EpisodeTags(**{**TAGS.__dict__, field: value})


def test_missing_mp3_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "absent.mp3"
    with pytest.raises(AudioError, match=r"absent\.mp3"):
        write_tags(target, TAGS, CHAPTERS)
    assert not target.exists()


# --- re-tagging -----------------------------------------------------------------------


def test_retagging_leaves_one_tag_with_the_new_values(tagged: Path, tmp_path: Path) -> None:
    assert "TSSE" not in load(tagged)  # ffmpeg's own frame went on the first pass
    new_tags = EpisodeTags(
        title="第二回",
        host="佐藤 花子",
        show="よみあげラジオ",
        description="二回目。",
        date=datetime.date(2025, 12, 31),
    )
    new_chapters = [ChapterMark("a", "前半", 0, 3000), ChapterMark("b", "後半", 3000, 6000)]
    write_tags(tagged, new_tags, new_chapters)

    data = tagged.read_bytes()
    assert len(re.findall(rb"ID3[\x02-\x04]\x00", data)) == 1
    tag = load(tagged)
    assert tag.version == (2, 3, 0)
    assert sorted(tag.keys()) == sorted(
        [
            "TIT2",
            "TPE1",
            "TALB",
            "TCON",
            "TYER",
            "TDAT",
            "TLAN",
            "COMM::jpn",
            "CTOC:toc",
            "CHAP:a",
            "CHAP:b",
        ]
    )
    assert (tag["TIT2"].text, tag["TYER"].text, tag["TDAT"].text) == (
        ["第二回"],
        ["2025"],
        ["3112"],
    )
    assert read_chapters(tagged) == new_chapters
    assert [c["title"] for c in ffmetadata_chapters(tagged, tmp_path)] == ["前半", "後半"]
