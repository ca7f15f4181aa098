"""Plain text -> blocks, and the line model and line rules Markdown shares with it.

Plain text is the base format: markdown.py renders every Markdown block down to
plain lines, and both then go through the same tidying (URLs cut out) and the
same tables from `data/chrome.yaml` (page chrome, separators, related links).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import regex

from yomiage.errors import ConfigError, SourceError
from yomiage.files import safeyaml

MAX_HEADING_CHARS = 40  # a plain-text line longer than this is prose, never a heading

# A bare URL (or an autolink's <https://…>, or www.…), with the spaces around it.
# Parentheses are left out so "サイト(https://…)" keeps its closing bracket (and both go).
_URL = re.compile(r"[ \t]*<?(?:https?://|www\.)[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+>?[ \t]*")
# Brackets left empty by a URL: "公式サイト（https://…）", "「https://…」", Hatena's
# "[https://…:embed:cite]" (the URL pattern eats the ":embed:cite" too).
_EMPTY_BRACKETS = re.compile(r"[（(\[［「【]\s*[）)\]］」】]")
_SPACES = re.compile(r"[ \t]+")
_SENTENCE_END = re.compile(r"[。．！？!?.：:、,][」』）)]*$")
# A line ending in 。 is prose, never a title ("！" and "？" end many blog titles).
_PROSE = re.compile(r"[。．][」』）)]*$")
# Plain-text lines that announce a heading even without a blank line after them.
_HEADING_MARKER = re.compile(
    r"^([■□●◆◇▼▽★☆◎]|#{1,6}[ \t\u3000]+\S|【[^】]+】$|第[0-9０-９一二三四五六七八九十]+[章節部回])"
)
# Marks made for the eye, not the ear: "■ 背景" -> "背景", "## 背景" -> "背景".
_MARKER_SYMBOL = re.compile(r"^([■□●◆◇▼▽★☆◎]|#{1,6}(?=[ \t\u3000]))\s*")
_BRACKETED = re.compile(r"【([^】]+)】")
# A numbered line ("1. 収入", "２．準備", "3) 手順", "Q. なぜ？", "Q1．") standing alone
# is a heading whatever its last character.
_NUMBERED = re.compile(r"^([0-9０-９]{1,3}[.．)）]|[QＱ][0-9０-９]{0,3}[.．:：])")
# A title that asks or exclaims: "なぜ不安になるのか？", "確定申告は早めに！".
_ASKS_OR_EXCLAIMS = re.compile(r"[！？!?][」』）)]*$")

# Hatena Blog notation never read aloud: images "[f:id:…]", product cards
# "[asin:…:detail]", formulas "[tex:…]", "[g:…]", "[map:…]", "[gist:…]", footnote
# marks "[*1]" and "(*1)". The note of "((注釈))" is kept, its marks go; a pasted
# page's note line "*1:注釈" keeps its text.
_HATENA: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[(?:f|asin|isbn|tex|g|map|gist|google|wikipedia|amazon):[^\]\n]*\]"), ""),
    (re.compile(r"[\[(（]\*[0-9]+[\])）]"), ""),
    (re.compile(r"\(\((.+?)\)\)"), r"\1"),
    (re.compile(r"^\*[0-9]+[:：]\s*"), ""),
)


@dataclass(frozen=True)
class Line:
    number: int  # 1-based, in the original file
    text: str


@dataclass(frozen=True)
class Block:
    """A heading (level 1-6) or a paragraph (level 0) on its way to a Section."""

    lines: tuple[Line, ...]
    level: int = 0
    is_list: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def line(self) -> int:
        return self.lines[0].number


# A pattern that backtracks without end ((a|aa)+$ on a line of a's) is stopped here.
MATCH_TIMEOUT_S = 0.25


@dataclass(frozen=True)
class LineRules:
    """Whole-line patterns from chrome.yaml (plus the user's own chrome patterns).

    They are `regex` patterns, matched with a time limit: a user's pattern can
    take minutes on one line, and that is an error naming it, not a hang.
    """

    chrome: tuple[regex.Pattern[str], ...]
    separators: tuple[regex.Pattern[str], ...]
    name: str = "<text>"  # the document, for the error

    def is_chrome(self, line: str) -> bool:
        return self._matches(self.chrome, line)

    def is_separator(self, line: str) -> bool:
        """A decorative rule ("ーーーー", "＊＊＊"): dropped, and it ends a paragraph."""
        return self._matches(self.separators, line)

    def _matches(self, patterns: Sequence[regex.Pattern[str]], line: str) -> bool:
        text = line.strip()
        for pattern in patterns:
            try:
                if pattern.fullmatch(text, timeout=MATCH_TIMEOUT_S):
                    return True
            except TimeoutError:
                raise SourceError(
                    f"{self.name}: chrome pattern {pattern.pattern!r} took over "
                    f"{MATCH_TIMEOUT_S:g} s on the line {text[:40]!r}: it backtracks "
                    "(nested repeats such as (a+)+ or (a|aa)+); simplify it"
                ) from None
        return False


# ---------------------------------------------------------------- tables


def load_table(filename: str) -> dict[str, Any]:
    resource = files("yomiage") / "data" / filename
    table = safeyaml.safe_load(resource.read_text(encoding="utf-8"))
    if not isinstance(table, dict):
        raise ConfigError(f"{resource}: expected a mapping at the top level")
    return table


def compile_all(patterns: Sequence[str], where: str) -> tuple[regex.Pattern[str], ...]:
    compiled = []
    for pattern in map(str, patterns):
        try:
            compiled.append(regex.compile(pattern, regex.IGNORECASE))
        except regex.error as error:
            raise ConfigError(f"{where}: invalid pattern {pattern!r}: {error}") from error
    return tuple(compiled)


@cache
def _chrome_table() -> tuple[LineRules, tuple[regex.Pattern[str], ...]]:
    table = load_table("chrome.yaml")
    rules = LineRules(
        compile_all(table["lines"], "chrome.yaml"),
        compile_all(table["separators"], "chrome.yaml"),
    )
    return rules, compile_all(table["related_headings"], "chrome.yaml")


def line_rules(extra_chrome_patterns: Sequence[str], name: str) -> LineRules:
    """The shipped tables plus the user's chrome patterns (named in any error)."""
    extra: list[regex.Pattern[str]] = []
    for pattern in extra_chrome_patterns:
        try:
            extra.append(regex.compile(pattern, regex.IGNORECASE))
        except regex.error as error:
            raise SourceError(f"{name}: invalid chrome pattern {pattern!r}: {error}") from error
    shipped = _chrome_table()[0]
    return LineRules((*shipped.chrome, *extra), shipped.separators, name)


def is_related_heading(text: str) -> bool:
    short = len(text) <= MAX_HEADING_CHARS and "\n" not in text
    return short and any(p.search(text) for p in _chrome_table()[1])


def ends_like_sentence(line: str) -> bool:
    """Ends in 。！？.:、 (a closing bracket may follow)."""
    return _SENTENCE_END.search(line) is not None


def reads_as_prose(line: str) -> bool:
    return _PROSE.search(line) is not None


def tidy(text: str) -> str:
    """Cut out URLs (never read letter by letter) and Hatena notation, tidy the spaces."""
    for pattern, replacement in _HATENA:
        text = pattern.sub(replacement, text)
    text = _URL.sub(lambda url: _gap(text, url), text)
    return _SPACES.sub(" ", _EMPTY_BRACKETS.sub("", text)).strip()


def _gap(text: str, url: re.Match[str]) -> str:
    """What stays where a URL was: a space between English words, nothing in Japanese."""
    before, after = text[url.start() - 1 : url.start()], text[url.end() : url.end() + 1]
    return " " if (before + after).isascii() and before.strip() and after.strip() else ""


# ---------------------------------------------------------------- plain text


def plain_blocks(text: str, rules: LineRules) -> list[Block]:
    """Paragraphs are runs of non-blank lines; short lone lines may be headings."""
    groups = _line_groups(text, rules)
    blocks: list[Block] = []
    for index, group in enumerate(groups):
        following = groups[index + 1] if index + 1 < len(groups) else None
        blocks.extend(_classify_group(group, following))
    return blocks


def _line_groups(text: str, rules: LineRules) -> list[list[Line]]:
    groups: list[list[Line]] = [[]]
    for number, raw in enumerate(text.split("\n"), start=1):
        line = tidy(raw)
        # A separator ends the paragraph like a blank line; chrome and a lone URL
        # vanish without splitting the paragraph around them.
        if not raw.strip() or rules.is_separator(raw):
            groups.append([])
        elif line and not (rules.is_chrome(raw) or rules.is_chrome(line)):
            groups[-1].append(Line(number, line))
    return [group for group in groups if group]


def _classify_group(group: list[Line], following: list[Line] | None) -> list[Block]:
    """The plain-text heading rule. A short line (<= MAX_HEADING_CHARS) is a heading when
    - it stands alone, does not end like a sentence (。！？.:、) and more text follows, or
    - it stands alone, ends in ！ or ？ and a longer paragraph of prose follows, or
    - it stands alone, is numbered ("1." "2)" "Q.") and does not end in 。, or
    - it stands alone and introduces related links ("あわせて読みたい"), or
    - it starts with a marker (■ ● ◆ ▼ ## 【…】 第N章) and more text follows, even on
      the next line (but not when the next line has a marker too: that is a bullet list)."""
    first = group[0]
    if len(first.text) > MAX_HEADING_CHARS:
        return _paragraph(group)
    lone, followed = len(group) == 1, following is not None
    marked = _HEADING_MARKER.match(first.text) is not None
    plain_heading = lone and (
        (followed and _reads_as_title(first.text, following)) or is_related_heading(first.text)
    )
    marked_heading = marked and (followed if lone else not _HEADING_MARKER.match(group[1].text))
    if not (plain_heading or marked_heading):
        return _paragraph(group)
    heading = Block((Line(first.number, _heading_text(first.text)),), level=1)
    return [heading, *_paragraph(group[1:])]


def _reads_as_title(line: str, following: Sequence[Line] | None) -> bool:
    if _SENTENCE_END.search(line) is None:
        return True
    if _NUMBERED.match(line):
        return not reads_as_prose(line)
    return _ASKS_OR_EXCLAIMS.search(line) is not None and _is_body(line, following)


def _is_body(line: str, following: Sequence[Line] | None) -> bool:
    """Prose longer than the line above it, ending like a sentence: the body of a title."""
    if not following:
        return False
    text = "".join(next_line.text for next_line in following)
    return len(text) > len(line) and _SENTENCE_END.search(following[-1].text) is not None


def _heading_text(line: str) -> str:
    text = _MARKER_SYMBOL.sub("", line)
    bracketed = _BRACKETED.fullmatch(text)
    return bracketed.group(1).strip() if bracketed else text


def _paragraph(group: Sequence[Line]) -> list[Block]:
    return [Block(tuple(group))] if group else []
