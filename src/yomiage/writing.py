"""Rules of written Japanese that several stages share: where a text may be cut.

Phrase boundaries come from budoux (Google's line-break model, Apache-2.0, pure
Python): a cut between phrases (お客様と|ご当地グルメを) never splits a word
or an honorific prefix from its noun, which a cut between characters does.
"""

from __future__ import annotations

from functools import cache

import budoux


@cache
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


def phrases(text: str) -> list[str]:
    """`text` cut into phrases; joined they give `text` back, character for character."""
    return _parser().parse(text) if text else []


def phrase_ends(text: str) -> list[int]:
    """Offsets in `text` where a phrase ends (a cut may go there), the last one excluded."""
    ends: list[int] = []
    offset = 0
    for phrase in phrases(text)[:-1]:
        offset += len(phrase)
        ends.append(offset)
    return ends
