"""Script sentences -> the text each engine is given: normalised, with readings applied.

The spoken text, not the written one, goes into a segment's cache key, so a
changed reading re-synthesizes exactly the sentences that contain the word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from yomiage.speech.latin import LATIN_WORD, LatinReadings, WordReading
from yomiage.speech.lexicon import Lexicon
from yomiage.speech.normalize import normalize


@dataclass(frozen=True)
class Speech:
    """How sentences are said: the lexicon, and Latin words' readings if the engine needs them."""

    lexicon: Lexicon
    latin: LatinReadings | None = None  # None: the engine reads English itself

    def spoken(self, sentences: Sequence[str]) -> list[str]:
        """Each sentence as its engine should be given it."""
        normalized = [normalize(s, self.lexicon.apply) for s in sentences]
        if self.latin is None:
            return normalized
        readings = self.word_readings(normalized)
        return [LATIN_WORD.sub(lambda m: readings[m.group()].reading, text) for text in normalized]

    def word_readings(self, normalized: Sequence[str]) -> dict[str, WordReading]:
        """How each Latin word left after the lexicon will be said."""
        if self.latin is None:
            return {}
        words = {m.group() for text in normalized for m in LATIN_WORD.finditer(text)}
        return self.latin.readings(words)
