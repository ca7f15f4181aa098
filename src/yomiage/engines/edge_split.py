"""Cut text into pieces the edge-tts service accepts in one request.

edge-tts cuts its text only at ASCII spaces and newlines, so a long Japanese
paragraph (no spaces) would go out whole, over the service's 4,096-byte limit.
Here every piece is at most `max_bytes` of UTF-8 *after* XML escaping (what
goes on the wire), cut at the most natural place the limit allows:

    1. a sentence end (。！？!? and closing brackets after them) or a line break
    2. a Japanese comma (、，)
    3. a space
    4. a change of script after a particle or around a Latin word (は|東京, 例|Python)
    5. any other change of script or bracket
    6. a character boundary outside a Latin word or number
    7. any character boundary that keeps a character whole (a base and its
       combining marks, an emoji sequence, a surrogate pair)

Within the best kind available, the cut is the last one that fits, so pieces are
as long as allowed. Pieces with nothing to pronounce are dropped.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from itertools import accumulate
from xml.sax.saxutils import escape

from yomiage.speech.split import is_speakable
from yomiage.writing import HIRAGANA, LATIN, LATIN_WORD, script_of

DEFAULT_MAX_BYTES = 3000

_STOPS = frozenset("。．！？!?")
_CLOSERS = frozenset("」』）)】〉》\"'’”")
_OPENERS = frozenset("「『（(【〈《“‘")
_COMMAS = frozenset("、，")
_STOPS_AND_CLOSERS = _STOPS | _CLOSERS


def split_for_edge(text: str, max_bytes: int = DEFAULT_MAX_BYTES) -> list[str]:
    """The speakable pieces of `text`, each at most `max_bytes` UTF-8 bytes once XML-escaped."""
    if max_bytes < 8:  # room for the widest escaped character (&amp; is 5 bytes, 😀 is 4)
        raise ValueError(f"max_bytes must be at least 8, not {max_bytes}")
    # ends[i]: escaped bytes of text[:i], so a piece text[a:b] costs ends[b] - ends[a].
    ends = [0, *accumulate(_cost(char) for char in text)]
    inside_token = _inside_latin_tokens(text)
    pieces: list[str] = []
    start = 0
    while start < len(text):
        # the furthest end that fits: ends[end] - ends[start] <= max_bytes
        end = bisect_right(ends, ends[start] + max_bytes) - 1
        cut = len(text) if end >= len(text) else _best_cut(text, start, end, inside_token)
        pieces.append(text[start:cut].strip())
        start = cut
    return [piece for piece in pieces if piece and is_speakable(piece)]


def _cost(char: str) -> int:
    return len(escape(char).encode("utf-8", "surrogatepass"))


def _inside_latin_tokens(text: str) -> bytearray:
    """inside[p] is 1 when position p (between text[p-1] and text[p]) is inside a Latin token."""
    inside = bytearray(len(text) + 1)
    for match in LATIN_WORD.finditer(text):
        inside[match.start() + 1 : match.end()] = b"\x01" * (match.end() - match.start() - 1)
    return inside


def _best_cut(text: str, start: int, end: int, inside_token: bytearray) -> int:
    """The best position p, start < p <= end, to end a piece at (see the module's list)."""
    best: dict[int, int] = {}  # kind -> its last position in the window
    for p in range(end, start, -1):
        kind = _cut_kind(text, p, inside_token)
        if kind == 1:
            return p
        if kind and kind not in best:
            best[kind] = p
    if best:
        return best[min(best)]
    # A single character wider than the window cannot happen (max_bytes >= 8), but a
    # glued sequence can be: cut it between code points, never inside a surrogate pair.
    for p in range(end, start, -1):
        if not _is_surrogate_pair(text[p - 1], text[p]):
            return p
    return start + 1


def _cut_kind(text: str, p: int, inside_token: bytearray) -> int:
    """How good a cut between text[p-1] and text[p] is: 1 (best) to 7, 0 when forbidden."""
    before, after = text[p - 1], text[p]
    if _glued(before, after):
        return 0
    if before == "\n" or (_ends_sentence(text, p) and after not in _STOPS_AND_CLOSERS):
        return 1
    if before in _COMMAS and after not in _COMMAS:
        return 2
    if before.isspace() or after.isspace():
        return 3
    if inside_token[p]:
        return 7
    script_before, script_after = script_of(before), script_of(after)
    if script_before != script_after:
        if script_before in (HIRAGANA, LATIN) or script_after == LATIN:
            return 4
        return 5
    if before in _CLOSERS or after in _OPENERS:
        return 5
    return 6


def _ends_sentence(text: str, p: int) -> bool:
    """text[:p] ends with a stop, perhaps followed by closing brackets or quotes."""
    i = p - 1
    while i >= 0 and text[i] in _CLOSERS:
        i -= 1
    return i >= 0 and text[i] in _STOPS


def _glued(before: str, after: str) -> bool:
    """True when `before` and `after` belong to one character as the reader sees it."""
    if _is_surrogate_pair(before, after) or (before == "\r" and after == "\n"):
        return True
    if "\u200d" in (before, after):  # zero-width joiner inside an emoji sequence
        return True
    # combining marks (the voiced mark ゙ too) and variation selectors
    if unicodedata.category(after) in ("Mn", "Mc", "Me"):
        return True
    if "\U0001f3fb" <= after <= "\U0001f3ff" or "\U000e0020" <= after <= "\U000e007f":
        return True  # skin tone modifiers, emoji tag sequences
    return "\U0001f1e6" <= before <= "\U0001f1ff" and "\U0001f1e6" <= after <= "\U0001f1ff"


def _is_surrogate_pair(before: str, after: str) -> bool:
    return "\ud800" <= before <= "\udbff" and "\udc00" <= after <= "\udfff"
