"""Rules of written Japanese that several stages share, each stated once.

- Phrase boundaries come from budoux (Google's line-break model, Apache-2.0, pure
  Python): a cut between phrases (お客様と|ご当地グルメを) never splits a word or
  an honorific prefix from its noun, which a cut between characters can.
- Kinsoku: the characters a line may not start or end with (transcripts, covers).
- Script classes (hiragana, katakana, kanji, Latin) and the Latin word, a run that
  no break may fall inside (GPT-4o, 3.14, 1,000, e-mail, 10:30).
"""

from __future__ import annotations

import re
from functools import cache

import budoux

# Kinsoku shori: a line never starts with NO_LINE_START nor ends with NO_LINE_END.
NO_LINE_START = frozenset(
    "、。，．,.・：；:;!?！？)）]］}｝」』】〕〉》〙〗〟’”%％‰°℃…‥―ー〜～"
    "ゝゞヽヾ々〻"
    "ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ"
    " \u3000"
)
NO_LINE_END = frozenset("(（[［{｛「『【〔〈《〘〖〝‘“$＄¥￥£€#＃")

HIRAGANA, KATAKANA, KANJI, LATIN, OTHER = "hiragana", "katakana", "kanji", "latin", "other"
_SCRIPT_RANGES = (
    ("ぁ", "ゟ", HIRAGANA),
    ("゠", "ヿ", KATAKANA),
    ("ㇰ", "ㇿ", KATAKANA),
    ("ｦ", "ﾟ", KATAKANA),
    ("一", "鿿", KANJI),
    ("㐀", "䶿", KANJI),
    ("豈", "﫿", KANJI),
    ("\U00020000", "\U0003ffff", KANJI),
    ("々", "〇", KANJI),  # 々 〆 〇
    ("A", "Z", LATIN),
    ("a", "z", LATIN),
    ("0", "9", LATIN),
    ("Ａ", "Ｚ", LATIN),
    ("ａ", "ｚ", LATIN),
    ("０", "９", LATIN),
    ("À", "ɏ", LATIN),
)
JAPANESE_SCRIPTS = frozenset({HIRAGANA, KATAKANA, KANJI})

# A Latin word or a number, with the marks that join its parts inside it.
_LATIN_CHAR = r"[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f０-９Ａ-Ｚａ-ｚ]"
LATIN_WORD = re.compile(rf"{_LATIN_CHAR}+(?:[.,:'’\-_/+&@．，：－＿／]{_LATIN_CHAR}+)*")


def script_of(char: str) -> str:
    """HIRAGANA, KATAKANA, KANJI, LATIN (letters and digits) or OTHER."""
    for low, high, script in _SCRIPT_RANGES:
        if low <= char <= high:
            return script
    return OTHER


@cache
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


def phrase_ends(text: str) -> list[int]:
    """Offsets in `text` where a budoux phrase ends and the next begins."""
    ends: list[int] = []
    offset = 0
    for phrase in _parser().parse(text)[:-1] if text else []:
        offset += len(phrase)
        ends.append(offset)
    return ends
