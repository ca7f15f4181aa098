# mutagen ships py.typed but leaves its functions unannotated, so calling them
# would fail --strict everywhere in this module.
# mypy: allow-untyped-calls
"""ID3 frames and chapters for a finished episode, written with mutagen.

The tag is ID3v2.3 with UTF-16 text: under v2.4 ffmpeg drops any chapter whose
sub-frame is 128 bytes or more (a long Japanese title), and v2.3 has no UTF-8.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    TIT2,
    USLT,
    WOAS,
    CTOCFlags,
    Frame,
    Frames,
    ID3NoHeaderError,
)
from mutagen.id3._tags import save_frame

from yomiage.audio.timeline import ChapterMark
from yomiage.errors import AudioError
from yomiage.files.image import image_mime

TOC_ID = "toc"
UTF16 = 1  # the only Unicode text encoding ID3v2.3 has
NO_OFFSET = 0xFFFFFFFF  # CHAP byte offsets unused: players seek by time
FRONT_COVER = 3


@dataclass(frozen=True)
class EpisodeTags:
    """What the ID3 tag says about one episode, apart from its chapters."""

    title: str
    host: str
    show: str
    description: str
    date: datetime.date
    language: str = "jpn"
    cover: Path | None = None
    source_url: str | None = None
    toc_title: str = "目次"
    transcript: str | None = None  # the episode's text, as publish.transcript_text gives it

    def __post_init__(self) -> None:
        # mutagen silently skips an empty text frame; COMM needs a 3-letter code
        for name in ("title", "host", "show", "toc_title"):
            if not getattr(self, name).strip():
                raise AudioError(f"episode tags: {name} is empty")
        if not (len(self.language) == 3 and self.language.isascii() and self.language.isalpha()):
            raise AudioError(f"episode tags: language {self.language!r} is not a 3-letter code")
        if self.transcript is not None and not self.transcript.strip():
            # an empty USLT frame is written, and shows as a blank transcript
            raise AudioError("episode tags: transcript is empty (None leaves it out)")


class _TimeOrderedID3(ID3):
    """An ID3 tag that writes its CHAP frames last, in time order.

    mutagen's ID3._write sorts frames by (importance, byte size, frame key), so
    CHAP frames land shortest first and a long title moves its chapter to the
    end; ffmpeg then lists chapters in that file order. mutagen has no public
    hook for frame order, so this overrides _write and serialises the CHAP
    frames itself with mutagen's own save_frame. tests/test_tags.py checks the
    bytes, so a mutagen change here shows up as a failing test.
    """

    def _write(self, config: Any) -> bytearray:
        chapters = sorted(self.getall("CHAP"), key=lambda chap: chap.start_time)
        self.delall("CHAP")
        try:
            data: bytearray = super()._write(config)
        finally:
            for chap in chapters:
                self.add(chap)
        return data + b"".join(save_frame(chap, config=config) for chap in chapters)


def write_tags(mp3: Path, tags: EpisodeTags, chapters: Sequence[ChapterMark]) -> None:
    """Replace whatever tag mp3 has with one ID3v2.3 tag: episode frames and chapters."""
    problems = list(_chapter_problems(chapters))
    if problems:
        raise AudioError(f"{mp3}: bad chapters: {'; '.join(problems)}")
    if not mp3.is_file():  # mutagen would create an empty file and tag it
        raise AudioError(f"{mp3}: no such file to tag")
    frames = [*_episode_frames(tags), *_chapter_frames(chapters, tags.toc_title)]
    if tags.cover is not None:
        frames.append(_cover_frame(tags.cover))
    # A fresh tag, not the loaded one: every old frame goes (ffmpeg's v2.4 TSSE,
    # earlier chapters); save() measures the old tag on disk and replaces it.
    tag = _TimeOrderedID3()
    for frame in frames:
        tag.add(frame)
    try:
        # v1=0 strips any ID3v1 (it cannot hold Japanese); mutagen's default v1=1
        # would keep and rewrite one already there.
        tag.save(mp3, v1=0, v2_version=3)
    except MutagenError as exc:
        raise AudioError(f"{mp3}: cannot write the ID3 tag ({exc})") from exc


def read_chapters(mp3: Path) -> list[ChapterMark]:
    """The chapters in mp3's tag, in the top-level CTOC's order (else by start time)."""
    try:
        tag = ID3(mp3, load_v1=False)
    except ID3NoHeaderError:
        return []
    except MutagenError as exc:
        raise AudioError(f"{mp3}: cannot read the ID3 tag ({exc})") from exc
    tops = [toc for toc in tag.getall("CTOC") if toc.flags & CTOCFlags.TOP_LEVEL]
    order = list(tops[0].child_element_ids) if tops else []
    marks = [
        ChapterMark(chap.element_id, _subframe_title(chap), chap.start_time, chap.end_time)
        for chap in tag.getall("CHAP")
    ]
    # listed chapters in CTOC order, then any the CTOC leaves out by time
    rank = {element_id: i for i, element_id in enumerate(order)}
    return sorted(marks, key=lambda m: (rank.get(m.id, len(rank)), m.start_ms))


def _chapter_problems(chapters: Sequence[ChapterMark]) -> Iterator[str]:
    """Every way the chapters break the rules players rely on, as messages."""
    if not chapters:
        yield "no chapters"
        return
    ids = [c.id for c in chapters]
    for c in chapters:
        if not c.id or not c.id.isascii() or not c.id.isprintable() or c.id == TOC_ID:
            yield f"chapter id {c.id!r} must be printable ASCII and not {TOC_ID!r}"
        if ids.count(c.id) > 1:
            yield f"chapter id {c.id!r} is used twice"
        if not c.title.strip():
            yield f"chapter {c.id!r} has no title"
        if not 0 <= c.start_ms < c.end_ms < NO_OFFSET:
            yield f"chapter {c.id!r} spans {c.start_ms}-{c.end_ms} ms, not a forward span"
    if chapters[0].start_ms != 0:
        yield f"first chapter starts at {chapters[0].start_ms} ms, not 0"
    for before, after in itertools.pairwise(chapters):
        if before.end_ms != after.start_ms:
            yield (
                f"chapter {before.id!r} ends at {before.end_ms} ms"
                f" but {after.id!r} starts at {after.start_ms} ms"
            )


def _episode_frames(tags: EpisodeTags) -> list[Frame]:
    """The episode's own frames; text frames from a table of frame id -> value."""
    text = {
        "TIT2": tags.title,
        "TPE1": tags.host,
        "TALB": tags.show,
        "TCON": "Podcast",
        "TYER": f"{tags.date.year:04d}",
        "TDAT": f"{tags.date.day:02d}{tags.date.month:02d}",  # v2.3 dates are DDMM
        "TLAN": tags.language,
    }
    frames: list[Frame] = [Frames[fid](encoding=UTF16, text=[value]) for fid, value in text.items()]
    frames.append(COMM(encoding=UTF16, lang=tags.language, desc="", text=[tags.description]))
    if tags.transcript is not None:
        frames.append(USLT(encoding=UTF16, lang=tags.language, desc="", text=tags.transcript))
    if tags.source_url is not None:
        # WOAS is Latin-1: percent-encode a Japanese path or query, keep the rest
        frames.append(WOAS(url=quote(tags.source_url, safe=":/?#[]@!$&'()*+,;=%~")))
    return frames


def _chapter_frames(chapters: Sequence[ChapterMark], toc_title: str) -> list[Frame]:
    """One top-level ordered CTOC listing every chapter, and one CHAP per chapter."""
    toc = CTOC(
        element_id=TOC_ID,
        flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
        child_element_ids=[c.id for c in chapters],
        sub_frames=[TIT2(encoding=UTF16, text=[toc_title])],
    )
    chaps = [
        CHAP(
            element_id=c.id,
            start_time=c.start_ms,
            end_time=c.end_ms,
            start_offset=NO_OFFSET,
            end_offset=NO_OFFSET,
            sub_frames=[TIT2(encoding=UTF16, text=[c.title])],
        )
        for c in chapters
    ]
    return [toc, *chaps]


def _cover_frame(cover: Path) -> Frame:
    """APIC front cover; the type comes from the file's magic bytes, not its name."""
    try:
        data = cover.read_bytes()
    except OSError as exc:
        raise AudioError(f"{cover}: cannot read the cover image ({exc.strerror})") from exc
    mime = image_mime(data)
    if mime is None:
        raise AudioError(f"{cover}: the cover is neither JPEG nor PNG")
    # desc is empty, so Latin-1 (encoding 0) is enough
    return APIC(encoding=0, mime=mime, type=FRONT_COVER, desc="", data=data)


def _subframe_title(chap: Any) -> str:
    titles = [str(f) for f in chap.sub_frames.getall("TIT2")]
    return titles[0] if titles else ""
