"""Sidecar files made from the one Timeline: chapters JSON, WebVTT, SRT, USLT transcript.

Every time here is one of the Timeline's millisecond values, the very numbers
the ID3 CHAP frames carry, so a player that merges the JSON chapters with the
ID3 ones, or shows the transcript as it plays, finds them in agreement.
All functions are pure: they return text, and the caller writes the files.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass

from yomiage.audio.timeline import SentenceSpan, Timeline
from yomiage.writing import (
    HIRAGANA,
    JAPANESE_SCRIPTS,
    LATIN_WORD,
    NO_LINE_END,
    NO_LINE_START,
    phrase_ends,
    script_of,
)

CHAPTERS_FILE = "chapters.json"
VTT_FILE = "transcript.vtt"
SRT_FILE = "transcript.srt"
CHAPTERS_VERSION = "1.2.0"  # Podcasting 2.0 JSON chapters

LINE_CHARS = 32  # at most this many characters (code points, spaces included) a line
CUE_LINES = 2  # at most this many lines a cue; a longer sentence takes several cues
ARROW = "-->"  # ends a cue's text in both formats, so never left in one
SAFE_ARROW = "--＞"  # SRT and NOTEs have no escapes: same look, same length

# Line breaking as data: kinsoku (writing.py, shared with covers) and the cost of a
# break of each kind; a break is cheapest after the end of a clause, then between
# budoux phrases (お客様と|ご当地), and dearest inside a phrase (お|客様).
CLAUSE_END = frozenset("。！？!?.")
PHRASE_END = frozenset("、，,」』）)］]｝}〕〉》】”’：；:; \u3000")
OPENING = frozenset("「『（(［[｛{〔〈《【“‘")
UNSPLIT_RUNS = frozenset("…‥―—-ー〜～")  # ……, ――, -- read as one mark
BREAK_PENALTY = {
    "clause": 0,
    "phrase": 256,
    # between phrases, best where hiragana ends one (公園まで|散歩), not before more (と|する)
    "after_kana": 512,
    "between_phrases": 640,
    "japanese": 900,  # inside a phrase: お|客様, 出|かける
    "other": 1024,
    # against the rules, made only when nothing else fits (a URL longer than a line)
    "forced_at_join": 1024,
    "forced": 2048,
}
FORCED = frozenset({"forced_at_join", "forced"})
WORD_JOINS = frozenset("/-._:?&=#")  # where a forced break inside a URL reads best
CUE_BREAK_WEIGHT = 2  # the screen changes there: worth a better break than within a cue

# (forced breaks, lines, penalty), compared in that order: a break inside a
# word only when nothing else fits, then the fewest lines, then the best breaks.
_Cost = tuple[int, int, int]


@dataclass(frozen=True)
class Cue:
    """One caption as shown: its lines as written, and its span in milliseconds."""

    chapter_id: str
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]


# --- chapters ------------------------------------------------------------------------


def chapters_json(timeline: Timeline) -> str:
    """Podcasting 2.0 chapters: the ID3 chapters' own milliseconds, in seconds."""
    document = {
        "version": CHAPTERS_VERSION,
        "chapters": [
            {"startTime": c.start_ms / 1000, "endTime": c.end_ms / 1000, "title": c.title}
            for c in timeline.chapters
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# --- transcripts ---------------------------------------------------------------------


def webvtt(timeline: Timeline) -> str:
    """A WebVTT transcript, a NOTE with its title before each chapter's first cue."""
    titles = {c.id: _one_line(c.title).replace(ARROW, SAFE_ARROW) for c in timeline.chapters}
    blocks = ["WEBVTT"]
    chapter: str | None = None
    for cue in cues(timeline):
        if cue.chapter_id != chapter and titles.get(cue.chapter_id):
            blocks.append(f"NOTE {titles[cue.chapter_id]}")
        chapter = cue.chapter_id
        # escaping > also breaks up any --> in the text
        text = "\n".join(html.escape(line, quote=False) for line in cue.lines)
        blocks.append(f"{_timestamp(cue.start_ms, '.')} --> {_timestamp(cue.end_ms, '.')}\n{text}")
    return "\n\n".join(blocks) + "\n"


def srt(timeline: Timeline) -> str:
    """A SubRip transcript, numbered from 1; the same cues as the WebVTT one."""
    blocks = [
        f"{number}\n{_timestamp(cue.start_ms, ',')} --> {_timestamp(cue.end_ms, ',')}\n"
        + "\n".join(line.replace(ARROW, SAFE_ARROW) for line in cue.lines)
        for number, cue in enumerate(cues(timeline), start=1)
    ]
    return "".join(f"{block}\n\n" for block in blocks)


def transcript_text(timeline: Timeline) -> str:
    """The plain transcript (ID3 USLT): each chapter's title, then its sentences."""
    sections = []
    for chapter in timeline.chapters:
        texts = [_one_line(s.text) for s in timeline.sentences if s.chapter_id == chapter.id]
        texts = [t for t in texts if t]
        title = _one_line(chapter.title)
        if texts and texts[0].rstrip("。.!！?？") == title:
            texts = texts[1:]  # the spoken chapter lead says the title the line above shows
        body = _join_sentences(texts)
        sections.append(f"{title}\n{body}" if body else title)
    return "\n\n".join(sections)


def cues(timeline: Timeline) -> list[Cue]:
    """Every sentence as one or more cues, in time order, each inside its sentence."""
    return [cue for sentence in timeline.sentences for cue in _sentence_cues(sentence)]


def _sentence_cues(sentence: SentenceSpan) -> list[Cue]:
    text = _one_line(sentence.text)
    if not text:
        return []
    lines = break_lines(text)
    groups = [tuple(lines[k : k + CUE_LINES]) for k in range(0, len(lines), CUE_LINES)]
    try:
        bounds = _split_span(sentence.start_ms, sentence.end_ms, [len("".join(g)) for g in groups])
    except ValueError as exc:
        raise ValueError(f"sentence {text[:20]!r} in {sentence.chapter_id}: {exc}") from None
    return [
        Cue(sentence.chapter_id, start, end, group)
        for group, (start, end) in zip(groups, itertools.pairwise(bounds), strict=True)
    ]


def _split_span(start: int, end: int, weights: Sequence[int]) -> list[int]:
    """Bounds that share start..end among parts in proportion to weights.

    Each part first gets 1 ms, so no cue is empty even after rounding, and the
    rest is shared out; the last bound is exactly `end`.
    """
    spare = end - start - len(weights)
    if spare < 0:
        raise ValueError(f"{end - start} ms is too short for {len(weights)} cue(s)")
    total = sum(weights)
    bounds, done = [start], 0
    for count, weight in enumerate(weights, start=1):
        done += weight
        bounds.append(start + count + (spare * done + total // 2) // total)
    return bounds


def _timestamp(ms: int, separator: str) -> str:
    """HH:MM:SS.mmm (WebVTT) or HH:MM:SS,mmm (SRT)."""
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _one_line(text: str) -> str:
    """A line break inside a text would end the cue, or start a new one."""
    return " ".join(text.splitlines()).strip()


def _join_sentences(texts: Sequence[str]) -> str:
    """Japanese sentences run on; one ending in ASCII ("Hello.") gets a space after it."""
    joined = ""
    for text in texts:
        if joined and joined[-1].isascii() and not joined[-1].isspace():
            joined += " "
        joined += text
    return joined


# --- line breaking -------------------------------------------------------------------


def break_lines(text: str) -> list[str]:
    """The text as lines of at most LINE_CHARS characters, joining back to the text.

    Fewest lines first (so fewest cues), then the cheapest breaks: after 。！？,
    then after 、」 or a space, then between Japanese characters. A break inside
    a Latin word or number, or against the kinsoku rules, is made only when no
    other layout fits, such as a URL longer than a line.
    """
    if len(text) <= LINE_CHARS:
        return [text]
    breaks = _breaks(text)
    # best[(i, odd)]: the cheapest layout of text[:i] as whole lines, odd when
    # it has an odd number of lines (the next break then ends a cue)
    best: dict[tuple[int, bool], tuple[_Cost, int]] = {(0, False): ((0, 0, 0), 0)}
    for i in range(len(text)):
        for odd in (False, True):
            if (i, odd) in best:
                _extend(best, text, breaks, i, odd)
    _, odd = min((best[(len(text), o)][0], o) for o in (False, True) if (len(text), o) in best)
    ends = [len(text)]
    while ends[-1] > 0:
        ends.append(best[(ends[-1], odd)][1])
        odd = not odd
    cuts = ends[::-1]
    return [text[a:b] for a, b in itertools.pairwise(cuts)]


def _extend(
    best: dict[tuple[int, bool], tuple[_Cost, int]],
    text: str,
    breaks: Sequence[tuple[bool, int]],
    i: int,
    odd: bool,
) -> None:
    """Try every next line from position i, keeping the cheapest way to each end."""
    (forced, lines, penalty), _ = best[(i, odd)]
    for j in range(i + 1, min(i + LINE_CHARS, len(text)) + 1):
        cost = penalty + (LINE_CHARS - (j - i)) ** 2  # even lines read best
        against_rules = False
        if j < len(text):
            against_rules, at_j = breaks[j]
            cost += at_j * (CUE_BREAK_WEIGHT if odd else 1)
        candidate = (forced + against_rules, lines + 1, cost)
        state = (j, not odd)
        if state not in best or candidate < best[state][0]:
            best[state] = (candidate, i)


def _breaks(text: str) -> list[tuple[bool, int]]:
    """For a break before each character: is it against the rules, and its penalty."""
    inside = {i for m in LATIN_WORD.finditer(text) for i in range(m.start() + 1, m.end())}
    phrases = set(phrase_ends(text))
    kinds = [
        _break_kind(text[i - 1], text[i], i in inside, i in phrases) for i in range(1, len(text))
    ]
    return [(False, 0), *((kind in FORCED, BREAK_PENALTY[kind]) for kind in kinds)]


def _break_kind(before: str, after: str, in_word: bool, between_phrases: bool) -> str:
    if (
        in_word
        or after in NO_LINE_START
        or before in NO_LINE_END
        or (before == after and before in UNSPLIT_RUNS)
        or (before == "-" and after == ">")
    ):
        return "forced_at_join" if before in WORD_JOINS else "forced"
    if before in CLAUSE_END:
        return "clause"
    if before in PHRASE_END or after in OPENING:
        return "phrase"
    if between_phrases:
        kana_ends = script_of(before) == HIRAGANA and script_of(after) != HIRAGANA
        return "after_kana" if kana_ends else "between_phrases"
    if script_of(before) in JAPANESE_SCRIPTS and script_of(after) in JAPANESE_SCRIPTS:
        return "japanese"
    return "other"
