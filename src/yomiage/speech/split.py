"""Cut text into the sentences the engine speaks one at a time.

Sentences end at 。！？ (and their ASCII forms) and at line breaks; a closing
bracket or quote right after the stop stays with its sentence. A sentence too
long for a comfortable breath is cut again at 、, and a clause longer than
MAX_CLAUSE_CHARS at phrase boundaries (writing.py) or spaces, so every piece
stays far below what an engine accepts (Open JTalk refuses 8,000 characters:
"Input text is too long"; edge-tts 4,096 bytes), whatever punctuation it lacks.
Parts that would make no sound (only punctuation, symbols or emoji) are dropped.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence

from yomiage.writing import phrase_ends

# A stop, then any closing brackets/quotes that belong to the same sentence.
_SENTENCE_END = re.compile(r"[。．！？!?]+[」』）)】〉》\"'’”]*|\n+")
_CLOSERS = "」』）)】〉》\"'’”"
_COMMA = re.compile(r"[、，,]")
_SPACE = re.compile(r"\s+")
# What Open JTalk can pronounce: kana (not the bare length mark ー or ・), kanji,
# Latin letters and digits. Other scripts (Hangul, Cyrillic, accented letters)
# and marks such as 々 or ー on their own come out as silence.
_SPEAKABLE = re.compile(r"[ぁ-ゖァ-ヺ一-鿿㐀-䶿A-Za-z0-9]")

MAX_SENTENCE_CHARS = 90
# A clause with no 、 stays whole up to this length (a pause inside it would be heard);
# past it, it is cut at phrases: far below what any engine accepts.
MAX_CLAUSE_CHARS = 200


def split_sentences(text: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[str]:
    """The spoken sentences of `text`, in order, each at most about `max_chars` long."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _continues_after_quote(text, match):
            continue
        sentences.extend(_cut_long(text[start : match.end()].strip(), max_chars))
        start = match.end()
    sentences.extend(_cut_long(text[start:].strip(), max_chars))
    return [s for s in sentences if is_speakable(s)]


def _continues_after_quote(text: str, match: re.Match[str]) -> bool:
    """「そうだ。」と言った: a quote closed mid-sentence does not end the sentence."""
    closes_quote = match.group()[-1] in _CLOSERS
    following = text[match.end() : match.end() + 1]
    return closes_quote and following != "" and not following.isspace() and following not in "「『"


def is_speakable(text: str) -> bool:
    """True when `text` has something to pronounce, not only symbols or emoji."""
    return _SPEAKABLE.search(unicodedata.normalize("NFKC", text)) is not None


def speakable_share(text: str) -> float:
    """The share of `text`'s letters, digits and emoji that Open JTalk can pronounce
    (1.0 for text with none of them: punctuation alone is not a script it lacks)."""
    content = [c for c in unicodedata.normalize("NFKC", text) if _is_content(c)]
    if not content:
        return 1.0
    return sum(1 for c in content if _SPEAKABLE.match(c)) / len(content)


def _is_content(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN" or unicodedata.category(char) == "So"


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    """Cut an over-long sentence at 、 into pieces of at most `max_chars` where it can;
    a clause longer than MAX_CLAUSE_CHARS at phrase boundaries or spaces, and only
    as a last resort (one unbroken word) anywhere."""
    if len(sentence) <= max_chars:
        return [sentence] if sentence else []
    pieces: list[str] = []
    commas = [m.end() for m in _COMMA.finditer(sentence)]
    for clause in _pack(sentence, commas, max_chars, hard=False):
        if len(clause) <= max(max_chars, MAX_CLAUSE_CHARS):
            pieces.append(clause)
            continue
        cuts = sorted({*phrase_ends(clause), *(m.end() for m in _SPACE.finditer(clause))})
        pieces.extend(_pack(clause, cuts, max(max_chars, MAX_CLAUSE_CHARS), hard=True))
    return [p.strip() for p in pieces if p.strip()]


def _pack(text: str, cuts: Sequence[int], max_chars: int, *, hard: bool) -> list[str]:
    """`text` cut at the fewest of `cuts` (sorted offsets) that keep pieces within
    `max_chars`. Where no cut is in reach, `hard` cuts at `max_chars`; otherwise the
    stretch runs to the next cut, for the caller to cut finer."""
    candidates = [*cuts, len(text)]
    pieces: list[str] = []
    start = 0
    while start < len(text):
        reach = bisect_right(candidates, start + max_chars) - 1
        if reach >= 0 and candidates[reach] > start:
            end = candidates[reach]
        elif hard:
            end = start + max_chars
        else:
            end = candidates[bisect_right(candidates, start)]
        pieces.append(text[start:end])
        start = end
    return pieces
