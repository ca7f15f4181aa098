"""Ruby readings written in text: ｜桟橋《さんばし》 and 灯台《とうだい》.

One notation, shared by Aozora Bunko, 小説家になろう and カクヨム, and read the
same way in plain text, Markdown and Aozora files: a base marked with ｜ (or |)
up to 《, else the run of kanji right before 《. The written word stays in the
text; the reading is recorded, and a reading given once applies to the same
word everywhere in the document (authors mark a word only at its first use).
HTML's <ruby> is read in webpage.py into the same pairs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Kanji (with 々 〆 〇 ヶ, which Aozora counts as kanji) before 《…》, or any base after ｜.
_KANJI = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆〇〻ヶ]"
_MARKED = r"[｜|](?P<marked>[^｜|《》\s][^｜|《》\n]*?)《(?P<a>[^《》\n]+)》"  # ｜桟橋《さんばし》
_KANJI_RUN = rf"(?P<kanji>{_KANJI}+)《(?P<b>[^《》\n]+)》"  # 灯台《とうだい》
RUBY = re.compile(f"{_MARKED}|{_KANJI_RUN}")
# A reading that can be spoken: kana only (ruby is also used for glosses, e.g. 《Love》).
_KANA_READING = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30feー・ 　]+")


def take_ruby(text: str, *, any_reading: bool = False) -> tuple[str, list[tuple[str, str]]]:
    """`text` with each ruby replaced by its written base, and the (base, reading) pairs.

    Outside Aozora Bunko texts 《》 also quote (本日《重要》): only a kana reading
    is taken for ruby there, unless `any_reading`."""
    found: list[tuple[str, str]] = []

    def base(match: re.Match[str]) -> str:
        written = match.group("marked") or match.group("kanji")
        reading = match.group("a") or match.group("b")
        if not any_reading and not is_kana(reading):
            return match.group()
        found.append((written, reading))
        return written

    return RUBY.sub(base, text), found


def is_kana(reading: str) -> bool:
    return _KANA_READING.fullmatch(reading) is not None


def spoken_readings(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Each word's first kana reading, in order: later ones for the same word, and glosses
    that are not kana, are left out (a reading applies to the word everywhere)."""
    readings: dict[str, str] = {}
    for written, reading in pairs:
        word, said = written.strip(), reading.replace(" ", "").replace("　", "")
        if word and word != said and is_kana(said) and word not in readings:
            readings[word] = said
    return tuple(readings.items())
