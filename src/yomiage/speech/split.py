"""Cut text into the sentences the engine speaks one at a time.

Sentences end at 。！？ (and their ASCII forms) and at line breaks; a closing
bracket or quote right after the stop stays with its sentence. A sentence too
long for a comfortable breath is cut again at 、. Parts that would make no
sound (only punctuation, symbols or emoji) are dropped.
"""

from __future__ import annotations

import re
import unicodedata

# A stop, then any closing brackets/quotes that belong to the same sentence.
_SENTENCE_END = re.compile(r"[。．！？!?]+[」』）)】〉》\"'’”]*|\n+")
_CLOSERS = "」』）)】〉》\"'’”"
_COMMA_CUT = re.compile(r"(?<=[、，,])")
# What Open JTalk can pronounce: kana (not the bare length mark ー or ・), kanji,
# Latin letters and digits. Other scripts (Hangul, Cyrillic, accented letters)
# and marks such as 々 or ー on their own come out as silence.
_SPEAKABLE = re.compile(r"[ぁ-ゖァ-ヺ一-鿿㐀-䶿A-Za-z0-9]")

MAX_SENTENCE_CHARS = 90


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


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    """Cut an over-long sentence at 、 into pieces of at most `max_chars` where possible."""
    if len(sentence) <= max_chars:
        return [sentence] if sentence else []
    pieces: list[str] = []
    current = ""
    for clause in _COMMA_CUT.split(sentence):
        if current and len(current) + len(clause) > max_chars:
            pieces.append(current)
            current = ""
        current += clause
    if current:
        pieces.append(current)
    # A clause with no 、 in it stays whole: never cut inside a word.
    return [p.strip() for p in pieces if p.strip()]
