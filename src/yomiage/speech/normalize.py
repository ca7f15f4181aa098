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
    "=": "、",  # 【ワシントン＝共同】: a byline's separator
    "(": "",  # brackets left unpaired once asides are read
    ")": "",
}

_URL = re.compile(r"(?:https?://|www\.)[\w\-.~:/?#\[\]@!$&'()*+,;=%]+", re.ASCII)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", re.ASCII)
_ACCENTED = re.compile(r"[À-ÖØ-öø-ɏ]")  # Latin letters with accents: Pokémon, François
_POSSESSIVE = re.compile(r"(?<=[A-Za-z])['’]s(?![A-Za-z])")  # OpenAI's: said as OpenAI
_DATE = re.compile(r"(?<!\d)(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(?!\d)")
_YEAR_MONTH = re.compile(r"(?<!\d)(\d{4})/(\d{1,2})(?![\d/])")
# 5/10 on its own: a month and day (5月10日), or a fraction (1/2の確率: 2分の1).
_MONTH_DAY = re.compile(r"(?<![\dA-Za-z/.])(\d{1,2})/(\d{1,2})(?![\d/.])")
_FRACTION_WORDS = ("確率", "割合", "カップ", "程度", "以上", "以下", "未満", "倍", "サイズ", "約")
_TIME = re.compile(r"(?<![\d:.])([01]?\d|2[0-4]):([0-5]\d)(?![\d:])")
_RATIO = re.compile(r"(?<![\d:.])(\d+):(\d+)(?![\d:])")  # 16:9, 3:1 (what is left)
_RATIO_WORDS = ("比", "縮尺", "率", "スケール", "対戦", "スコア")
_WEEKDAY = re.compile(r"[（(]([月火水木金土日])(?:曜日?)?[）)]")  # 12月1日（月）
# 齟齬（そご）: a reading given after as many kanji as it can cover: say it instead.
_RUBY = re.compile(r"([一-鿿々〆]+)[（(]([ぁ-ゖァ-ヺー]+)[）)]")
# Other asides in brackets: said, set off by pauses.
_ASIDE = re.compile(r"\s*[（(]([^（()）]*)[）)]\s*")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# A range: a number (with its counter) then 〜 or a dash, then a number: 3〜5人, 20時〜22時.
_RANGE = re.compile(r"(?<=[\d時分日月年円万億人個件回%])\s*[~〜～–—]\s*(?=\d)")
# A dash between two numbers with a counter after them: 第3-4章, 3-4人. A phone or
# postal number (03-1234-5678, 123-4567) has no counter right after its digits.
_COUNTED_RANGE = re.compile(r"(?<![\dA-Za-z\-])(\d+)\s*[-‐−–]\s*(\d+)(?=[一-鿿ァ-ヺ])")
_YEAR_RANGE = re.compile(r"(?<![\d-])((?:19|20)\d\d)\s*-\s*((?:19|20)\d\d)(?![\d-])")  # 2024-2025年
_PERCENT = re.compile(r"(?<=\d)\s*%")
_MINUS = re.compile(r"(?<![A-Za-z0-9.])[-−](?=\d)")  # -3度, 気温−3度; not GPT-4, 03-1234
_TIMES = re.compile(r"(?<![A-Za-z0-9])(\d+)\s*([×xX*])\s*(\d+)(?![A-Za-z0-9])")  # not 8x7B, 0x1F
_PLUS = re.compile(r"(?<=[A-Za-z0-9])\s*\+\s*(?=[A-Za-z0-9])")
_EQUALS = re.compile(r"(?<=[A-Za-z0-9])\s*=\s*(?=[A-Za-z0-9])")  # 1+1=2; not 【ワシントン＝共同】
_SPACED_DASH = re.compile(r"\s+[-‐–—―]+\s+|\s*[–—―]{1,2}\s*")  # a dash between words: a pause
_ENGLISH_COMMA = re.compile(r"\s*,\s*")  # once thousands separators are gone
# 〜 between two words (東京〜大阪, 月曜〜金曜) is a range; after hiragana it is a
# drawn-out sound (ありがとう〜, について〜), and at either end of a phrase only a mark.
_WORD_RANGE = re.compile(r"(?<=[一-鿿々ァ-ヺA-Za-z0-9])\s*[〜～~]\s*(?=[一-鿿ァ-ヺA-Za-z0-9])")
_WAVE_DASH = re.compile(r"[〜～~]+")  # 〜について, ありがとう〜: a drawn-out sound, not a word
_EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")
_PAUSES = re.compile(r"(?:\s*、\s*)+")
_PAUSE_BEFORE_STOP = re.compile(r"、+(?=[。！？!?」』]|$)")
_SPACES = re.compile(r"[ \t\u3000]+")
_SYMBOLS = re.compile("|".join(map(re.escape, SYMBOL_WORDS)))


def normalize(text: str, readings: Callable[[str], str] | None = None) -> str:
    """`text` as it should be spoken.

    `readings` (a lexicon) runs after NFKC and links, before any other rule, so
    its entries match the article's own spelling: C#, GPT-4, 1,000円.
    """
    text = before_readings(text)
    if readings is not None:
        text = readings(text)
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    return text.strip()


def before_readings(text: str) -> str:
    """`text` as the lexicon sees it: NFKC, links replaced, accents and possessives gone."""
    text = unicodedata.normalize("NFKC", text)
    text = _EMAIL.sub("メールアドレス", _URL.sub("リンク", text))
    text = _ACCENTED.sub(lambda m: _without_accent(m.group()), text)
    return _POSSESSIVE.sub("", text)


def _without_accent(letter: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", letter) if not unicodedata.combining(c))


def _date(match: re.Match[str]) -> str:
    year, month, day = match.group(1), match.group(2), match.groups()[2:3]
    if not 1 <= int(month) <= 12 or (day and day[0] and not 1 <= int(day[0]) <= 31):
        return match.group()
    return f"{int(year)}年{int(month)}月" + (f"{int(day[0])}日" if day and day[0] else "")


def _month_day(match: re.Match[str]) -> str:
    """5/10 -> 5月10日; 1/2 next to a word of fractions, or no valid date, -> 2分の1."""
    first, second = int(match.group(1)), int(match.group(2))
    around = match.string[max(0, match.start() - 2) : match.end() + 4]
    fraction = any(word in around for word in _FRACTION_WORDS)
    if not fraction and 1 <= first <= 12 and 1 <= second <= 31:
        return f"{first}月{second}日"
    return f"{second}分の{first}" if second else match.group()


def _clock(match: re.Match[str]) -> str:
    """10:30 -> 10時30分; after a word of ratios (縮尺は1:50) -> 1対50."""
    hours, minutes = match.group(1), match.group(2)
    before = match.string[max(0, match.start() - 6) : match.start()]
    if any(word in before for word in _RATIO_WORDS):
        return f"{int(hours)}対{int(minutes)}"
    return f"{int(hours)}時" + (f"{int(minutes)}分" if int(minutes) else "")


def _ruby(match: re.Match[str]) -> str:
    """The reading replaces the kanji when it can cover them all; else the gloss goes."""
    kanji, reading = match.group(1), match.group(2)
    return reading if len(reading) >= len(kanji) else kanji


def _aside(match: re.Match[str]) -> str:
    inner = match.group(1).strip()
    return f"、{inner}、" if inner else ""


_Replacement = str | Callable[[re.Match[str]], str]

# Applied in this order, after NFKC, links and the lexicon; each line's order matters.
RULES: tuple[tuple[re.Pattern[str], _Replacement], ...] = (
    (_DATE, _date),
    (_YEAR_MONTH, _date),
    (_MONTH_DAY, _month_day),
    (_TIME, _clock),
    (_RATIO, r"\1対\2"),
    (_WEEKDAY, r" \1曜日"),  # before asides: a weekday is not an aside
    (_RUBY, _ruby),
    (_ASIDE, _aside),
    (_THOUSANDS, ""),  # 1,000 is one number, not 1 and 000
    (_YEAR_RANGE, r"\1から\2"),
    (_RANGE, "から"),  # before the wave dash and dashes lose their meaning
    (_COUNTED_RANGE, r"\1から\2"),
    (_WORD_RANGE, "から"),
    (_PERCENT, "パーセント"),
    (_MINUS, "マイナス"),
    (_TIMES, r"\1かける\3"),
    (_PLUS, "プラス"),
    (_EQUALS, "イコール"),
    (_SPACED_DASH, "、"),
    (_ENGLISH_COMMA, "、"),
    (_WAVE_DASH, ""),
    (_EMOJI, ""),
    (_SYMBOLS, lambda m: SYMBOL_WORDS[m.group()]),
    (_SPACES, " "),
    (_PAUSES, "、"),
    (_PAUSE_BEFORE_STOP, ""),
    (re.compile(r"^[、 ]+"), ""),
)
