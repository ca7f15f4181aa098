"""Written Japanese -> text for the ear: what a reader would say for dates, symbols, URLs.

Every engine gets the same normalised text. NFKC first (full-width Ｏｐｅｎ and
１２３ become ASCII, half-width ｶﾅ full-width), never NFKD, which would split
が into か and a combining mark. Numbers with counters (4日間, 1セント, 3人)
are left as digits: Open JTalk and the neural voices read them with the right
counter sound, and a lexicon entry fixes any that come out wrong.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Marks with a word a listener expects to hear, and marks that are only layout.
SYMBOL_WORDS = {
    "&": "アンド",
    "@": "アット",
    "→": "、",
    "⇒": "、",
    "←": "、",
    "※": "",
    "★": "",
    "☆": "",
    "●": "",
    "○": "",
    "■": "",
    "□": "",
    "◆": "",
    "◇": "",
    "▼": "",
    "▲": "",
    "♪": "",
    "#": "",
    "*": "",
    "|": "、",
    "_": " ",
    "`": "",
    "(": "",  # brackets left unpaired once asides are read
    ")": "",
}

_URL = re.compile(r"(?:https?://|www\.)[\w\-.~:/?#\[\]@!$&'()*+,;=%]+", re.ASCII)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.ASCII)
_DATE = re.compile(r"(?<!\d)(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?!\d)")
_YEAR_MONTH = re.compile(r"(?<!\d)(\d{4})/(\d{1,2})(?![\d/])")
_TIME = re.compile(r"(?<![\d:])([01]?\d|2[0-4]):([0-5]\d)(?![\d:])")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_RANGE = re.compile(r"(?<=[\d０-９])\s*[~〜～]\s*(?=[\d０-９])")
_WAVE_DASH = re.compile(r"[〜～~]+")
_PERCENT = re.compile(r"(?<=\d)\s*%")
_NEGATIVE = re.compile(r"(?<![\w.])-(?=\d)")
_PLUS = re.compile(r"(?<=[\w])\s*\+\s*(?=[\w])")
_TIMES = re.compile(r"(?<=\d)\s*[×xX]\s*(?=\d)")
_EQUALS = re.compile(r"(?<=\w)\s*=\s*(?=\w)")
# A dash standing between words, and an English comma: pauses, as 、 is.
_SPACED_DASH = re.compile(r"\s+[-‐–—―]+\s+|\s*[–—―]{1,2}\s*")
_ENGLISH_COMMA = re.compile(r"\s*,\s*")  # after thousands separators are gone
# 齟齬（そご）: a reading given after the kanji; say the reading once.
_RUBY = re.compile(r"[一-鿿々〆]+[（(]([ぁ-ゖァ-ヺー]+)[）)]")
# Other asides in brackets: say them, set off by pauses.
_ASIDE = re.compile(r"\s*[（(]([^（()）]*)[）)]\s*")
_EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_PAUSES = re.compile(r"(?:\s*、\s*)+")
_PAUSE_BEFORE_STOP = re.compile(r"、+(?=[。！？!?」』]|$)")
_SPACES = re.compile(r"[ \t\u3000]+")


def normalize(text: str, readings: Callable[[str], str] | None = None) -> str:
    """`text` as it should be spoken.

    `readings` (a lexicon) runs after NFKC and links, before any other rule, so
    its entries match the article's own spelling: C#, GPT-4, 1,000円.
    """
    text = before_readings(text)
    if readings is not None:
        text = readings(text)
    for rule in RULES:
        text = rule(text)
    return text.strip()


def before_readings(text: str) -> str:
    """`text` as the lexicon sees it: NFKC, links replaced."""
    return _links(_nfkc(text))


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _links(text: str) -> str:
    # The address itself is noise to a listener; "リンク" keeps the sentence whole.
    return _EMAIL.sub("メールアドレス", _URL.sub("リンク", text))


def _dates_and_times(text: str) -> str:
    text = _DATE.sub(lambda m: _date(*m.groups()), text)
    text = _YEAR_MONTH.sub(lambda m: _date(m.group(1), m.group(2)), text)
    return _TIME.sub(lambda m: _clock(m.group(1), m.group(2)), text)


def _date(year: str, month: str, day: str | None = None) -> str:
    if not 1 <= int(month) <= 12 or (day is not None and not 1 <= int(day) <= 31):
        return f"{year}/{month}" + (f"/{day}" if day else "")
    return f"{int(year)}年{int(month)}月" + (f"{int(day)}日" if day else "")


def _clock(hours: str, minutes: str) -> str:
    return f"{int(hours)}時" + (f"{int(minutes)}分" if int(minutes) else "")


def _numbers(text: str) -> str:
    text = _THOUSANDS.sub("", text)  # 1,000 is one number, not 1 and 000
    text = _RANGE.sub("から", text)  # 3〜5人
    text = _PERCENT.sub("パーセント", text)
    text = _NEGATIVE.sub("マイナス", text)
    return _TIMES.sub("かける", text)


def _symbols(text: str) -> str:
    text = _SPACED_DASH.sub("、", text)
    text = _ENGLISH_COMMA.sub("、", text)
    text = _PLUS.sub("プラス", text)
    text = _EQUALS.sub("イコール", text)
    text = _WAVE_DASH.sub("", text)  # 〜について, ありがとう〜: a drawn-out sound, not a word
    text = _EMOJI.sub("", text)
    return text.translate(_SYMBOL_TABLE)


_SYMBOL_TABLE = str.maketrans(SYMBOL_WORDS)


def _brackets(text: str) -> str:
    text = _RUBY.sub(r"\1", text)
    return _ASIDE.sub(lambda m: f"、{m.group(1).strip()}、" if m.group(1).strip() else "", text)


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = _PAUSES.sub("、", text)
    text = _PAUSE_BEFORE_STOP.sub("", text)
    return text.lstrip("、 ")


# After NFKC, links and the lexicon, in this order.
RULES: tuple[Callable[[str], str], ...] = (
    _dates_and_times,
    _numbers,
    _brackets,
    _symbols,
    _tidy,
)
