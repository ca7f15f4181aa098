"""Where every sentence and chapter sits in the finished audio.

One Timeline feeds the ID3 chapters, and later the chapters JSON and the
transcript, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads in assemble: reading chapters back needs only the marks
    from yomiage.audio.samples import Samples


@dataclass(frozen=True)
class ChapterMark:
    """A chapter as players see it: id, title and its span in milliseconds."""

    id: str
    title: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Utterance:
    """One sentence to speak, and where it stands in the script."""

    chapter: int  # index into the script's chapters
    paragraph: int  # index into that chapter's paragraphs
    text: str  # as written: what a transcript shows
    # What the engine is given (normalised, readings applied), filled in by
    # script_utterances when it is given a Speech; until then the text stands for it.
    spoken: str = ""
    host: bool = False  # the show's line (intro, outro, a chapter's title), not the article's

    @property
    def said(self) -> str:
        return self.spoken or self.text


@dataclass(frozen=True)
class SentenceSpan:
    chapter_id: str
    text: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Timeline:
    """Sample-exact positions of every utterance, and the chapters players show.

    `offsets[i]` is where utterance i starts, in samples at `rate`.
    """

    rate: int
    total_samples: int
    offsets: tuple[int, ...]
    chapters: tuple[ChapterMark, ...]
    sentences: tuple[SentenceSpan, ...]
    chapter_starts: tuple[int, ...]  # in samples: the marks' start_ms, unrounded

    @property
    def duration_ms(self) -> int:
        return _ms(self.total_samples, self.rate)

    def chapter_samples(self) -> list[tuple[int, int]]:
        """Each chapter's span in samples, end to end from the first sample to the last."""
        starts = self.chapter_starts
        return list(zip(starts, [*starts[1:], self.total_samples], strict=True))


@dataclass(frozen=True)
class Pauses:
    """Silence in samples: between sentences, paragraphs, chapters, and at both ends."""

    sentence: int
    paragraph: int
    chapter: int
    edge: int
    # Room for music (audio/music.py); None or 0: the plain pauses.
    opening: int | None = None  # before the episode's first word; None: edge
    closing: int | None = None  # after its last word; None: edge
    lead: int | None = None  # before the first word of every later chapter; None: see below
    first_tail: int = 0  # at least this after the first chapter's last word

    @classmethod
    def from_ms(cls, sentence: int, paragraph: int, chapter: int, edge: int, rate: int) -> Pauses:
        return cls(*(round(ms * rate / 1000) for ms in (sentence, paragraph, chapter, edge)))


# A chapter mark stands this far before the chapter's first word (at most half
# the pause), so a player's seek lands in silence, not on a clipped syllable.
CHAPTER_LEAD_MS = 400


def plan_timeline(
    utterances: Sequence[Utterance],
    lengths: Sequence[int],
    chapters: Sequence[tuple[str, str]],
    pauses: Pauses,
    rate: int,
    chapter_grid: int = 1,
    seam: int = 0,
) -> Timeline:
    """Lay utterances end to end with pauses; `chapters` are (id, title) by index.

    Each chapter after the first starts on a multiple of `chapter_grid` samples
    (its pause made up to chapter_grid - 1 samples longer), and at least `seam`
    samples of silence follow a chapter's last word. With the MP3 frame size as
    the grid, every chapter is a whole number of frames, encoded on its own: an
    edit that makes one chapter longer or shorter moves the chapters after it by
    whole frames, and their frames are copied as they were.
    """
    if not utterances:
        raise ValueError("an episode needs at least one utterance")
    groups: list[tuple[int, list[int]]] = []  # chapter index, utterance indices
    for index, utterance in enumerate(utterances):
        if not groups or groups[-1][0] != utterance.chapter:
            groups.append((utterance.chapter, []))
        groups[-1][1].append(index)
    offsets: list[int] = []
    chapter_starts: list[tuple[int, int]] = []
    position = 0
    for n, (chapter, members) in enumerate(groups):
        layout = chapter_layout(
            [utterances[i] for i in members],
            [lengths[i] for i in members],
            pauses,
            rate,
            first=n == 0,
            last=n == len(groups) - 1,
            chapter_grid=chapter_grid,
            seam=seam,
        )
        chapter_starts.append((chapter, position))
        offsets.extend(position + offset for offset in layout.offsets)
        position += layout.length
    total = position
    marks = tuple(
        ChapterMark(
            id=chapters[index][0],
            title=chapters[index][1],
            start_ms=_ms(start, rate),
            end_ms=_ms(chapter_starts[n + 1][1], rate)
            if n + 1 < len(chapter_starts)
            else _ms(total, rate),
        )
        for n, (index, start) in enumerate(chapter_starts)
    )
    sentences = tuple(
        SentenceSpan(chapters[u.chapter][0], u.text, _ms(off, rate), _ms(off + length, rate))
        for u, off, length in zip(utterances, offsets, lengths, strict=True)
    )
    return Timeline(
        rate, total, tuple(offsets), marks, sentences, tuple(s for _, s in chapter_starts)
    )


@dataclass(frozen=True)
class ChapterLayout:
    """One chapter on its own: where its utterances start, from the chapter's first sample."""

    offsets: tuple[int, ...]
    length: int  # samples up to the next chapter's start (or the episode's end)


def chapter_layout(
    utterances: Sequence[Utterance],
    lengths: Sequence[int],
    pauses: Pauses,
    rate: int,
    *,
    first: bool,
    last: bool,
    chapter_grid: int = 1,
    seam: int = 0,
) -> ChapterLayout:
    """A chapter's layout depends on nothing outside it: so it can be mastered and
    encoded as soon as its own sentences are spoken.

    The first chapter opens with the edge pause; the others with the lead (a mark
    stands CHAPTER_LEAD_MS before the first word, at most half the chapter pause).
    Music makes room for itself through `pauses` (opening, closing, lead, first_tail).
    A chapter ends where the next one starts: the chapter pause after its last
    word, less the next one's lead, rounded up to the grid; the last chapter ends
    with the edge pause. However short the chapter pause, at least `seam`
    samples of silence stand on each side of a boundary between chapters.
    """
    lead = max(min(round(CHAPTER_LEAD_MS * rate / 1000), pauses.chapter // 2), seam)
    if pauses.lead is not None:
        lead = max(pauses.lead, seam)
    opening = pauses.edge if pauses.opening is None else pauses.opening
    position = opening if first else lead
    offsets: list[int] = []
    previous: Utterance | None = None
    for utterance, length in zip(utterances, lengths, strict=True):
        if previous is not None:
            position += _gap(previous, utterance, pauses)
        offsets.append(position)
        position += length
        previous = utterance
    if last:
        closing = pauses.edge if pauses.closing is None else pauses.closing
        return ChapterLayout(tuple(offsets), position + closing)
    tail = max(pauses.chapter - lead, seam, pauses.first_tail if first else 0)
    length = -(-(position + tail) // chapter_grid) * chapter_grid  # rounded up
    return ChapterLayout(tuple(offsets), length)


def _gap(previous: Utterance, current: Utterance, pauses: Pauses) -> int:
    if current.chapter != previous.chapter:
        return pauses.chapter
    if current.paragraph != previous.paragraph:
        return pauses.paragraph
    return pauses.sentence


def _ms(samples: int, rate: int) -> int:
    return round(samples * 1000 / rate)


def assemble(timeline: Timeline, segments: Sequence[Samples]) -> Samples:
    """Place every segment at its offset in one silent buffer: the episode's raw mix.

    Done in float32 with numpy rather than by appending pydub segments: the
    positions are the very numbers the chapter marks came from, and float keeps
    the engine's peaks above full scale for mastering to bring down.
    """
    import numpy as np

    mix = np.zeros(timeline.total_samples, dtype=np.float32)
    for offset, samples in zip(timeline.offsets, segments, strict=True):
        mix[offset : offset + len(samples)] = samples
    return mix
