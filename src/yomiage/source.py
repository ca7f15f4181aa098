"""Text or Markdown -> Document: title, sections with roles, page chrome removed.

Both formats become a flat list of blocks (headings and paragraphs, each with
its source line) and then share one path: drop related-link sections, take the
title, group blocks into sections, give each section a role. Chrome patterns,
related-link headings and role words are tables in `data/*.yaml`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import yaml

from yomiage.document import Document, Role, Section
from yomiage.errors import ConfigError, SourceError

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
MAX_HEADING_CHARS = 40  # a plain-text line longer than this is prose, never a heading
BINARY_CONTROL_SHARE = 0.05  # more control bytes than this in the first 8 KiB: not text
# For CP932 to count as Japanese: shares among the non-ASCII characters it decodes to.
MIN_JAPANESE_SHARE = 0.5  # kana, kanji, Japanese punctuation and full-width forms
MIN_KANA_SHARE = 0.05  # hiragana and katakana alone
_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]")
_KANA = re.compile(r"[\u3041-\u30ff]")

# A bare URL or an autolink <https://…>, with the spaces around it. Parentheses are
# left out so "サイト(https://…)" keeps its closing bracket (and both then go).
_URL = re.compile(r"[ \t]*<?https?://[A-Za-z0-9\-._~:/?#@!$&'*+,;=%]+>?[ \t]*")
_EMPTY_BRACKETS = re.compile(r"[（(]\s*[）)]")  # left behind by "公式サイト（https://…）"
_SPACES = re.compile(r"[ \t]+")
_SENTENCE_END = re.compile(r"[。．！？!?.：:、,][」』）)]*$")
# Plain-text lines that announce a heading even without a blank line after them.
_HEADING_MARKER = re.compile(
    r"^([■□●◆◇▼▽★☆◎]|【[^】]+】$|第[0-9０-９一二三四五六七八九十]+[章節部回])"
)
_MARKER_SYMBOL = re.compile(r"^[■□●◆◇▼▽★☆◎]\s*")
_BRACKETED = re.compile(r"【([^】]+)】")

Matcher = Callable[[str], bool]
_Kind = Literal["paragraph", "list", "table"]


@dataclass(frozen=True)
class _Line:
    number: int  # 1-based, in the original file
    text: str


@dataclass(frozen=True)
class _Block:
    """A heading (level 1-6) or a paragraph (level 0) on its way to a Section."""

    lines: tuple[_Line, ...]
    level: int = 0
    is_list: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def line(self) -> int:
        return self.lines[0].number


@dataclass(frozen=True)
class _Chrome:
    lines: tuple[re.Pattern[str], ...]
    related_headings: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class _Roles:
    headings: tuple[tuple[Role, tuple[re.Pattern[str], ...]], ...]
    impression_markers: tuple[str, ...]
    min_hits: int


# ---------------------------------------------------------------- public API


def read_source(path: Path, extra_chrome_patterns: Sequence[str] = ()) -> Document:
    """Read a .txt or .md/.markdown article; any other suffix is read as plain text."""
    if not path.is_file():
        raise SourceError(f"{path}: no such file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot read the file ({error.strerror})") from error
    return parse_text(
        decode_source(data, str(path)),
        markdown=path.suffix.lower() in MARKDOWN_SUFFIXES,
        extra_chrome_patterns=extra_chrome_patterns,
        name=str(path),
    )


def parse_text(
    text: str, *, markdown: bool, extra_chrome_patterns: Sequence[str] = (), name: str = "<text>"
) -> Document:
    """Parse an article. A chrome pattern drops every line it matches in full (case ignored)."""
    is_chrome = _chrome_matcher(extra_chrome_patterns, name)
    text = _normalise_newlines(text).removeprefix("\ufeff")
    if markdown:
        title, blocks = _markdown_blocks(text, is_chrome, name)
    else:
        title, blocks = _plain_blocks(text, is_chrome)
    sections = _sections(_drop_related(blocks))
    if title is None or not sections:
        raise SourceError(f"{name}: the document is empty (no text to read aloud)")
    return Document(title=title, sections=sections)


def decode_source(data: bytes, name: str) -> str:
    """Bytes -> text with \\n newlines: UTF-8 (BOM or not), else Japanese CP932/Shift_JIS."""
    if _looks_binary(data):
        raise SourceError(f"{name}: looks like a binary file, not text")
    for decode in (_decode_utf8, _decode_cp932):
        text = decode(data)
        if text is not None:
            return _normalise_newlines(text)
    raise SourceError(f"{name}: cannot decode the text (expected UTF-8 or Shift_JIS/CP932)")


# ---------------------------------------------------------------- decoding


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    # Tab, newlines, form feed and ESC occur in real text files; other C0 controls do not.
    controls = sum(
        1 for byte in sample if (byte < 0x20 and byte not in b"\t\n\r\f\x1b") or byte == 0x7F
    )
    return bool(sample) and controls / len(sample) > BINARY_CONTROL_SHARE


def _decode_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")  # also strips a BOM
    except UnicodeDecodeError:
        return None


def _decode_cp932(data: bytes) -> str | None:
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        return None
    # Latin-1 bytes (é, ü, ß) often decode as CP932 kanji or half-width katakana, but
    # never as hiragana or full-width katakana, which any Japanese prose is full of.
    non_ascii = "".join(char for char in text if not char.isascii())
    if not non_ascii:
        return None
    japanese = len(_JAPANESE.findall(non_ascii)) / len(non_ascii)
    kana = len(_KANA.findall(non_ascii)) / len(non_ascii)
    return text if japanese >= MIN_JAPANESE_SHARE and kana >= MIN_KANA_SHARE else None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- tables


def _load_table(filename: str) -> dict[str, Any]:
    resource = files("yomiage") / "data" / filename
    table = yaml.safe_load(resource.read_text(encoding="utf-8"))
    if not isinstance(table, dict):
        raise ConfigError(f"{resource}: expected a mapping at the top level")
    return table


def _compile_all(patterns: Sequence[str], where: str) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(str(pattern), re.IGNORECASE) for pattern in patterns)
    except re.error as error:
        raise ConfigError(f"{where}: invalid pattern {error.pattern!r}: {error}") from error


@cache
def _chrome_table() -> _Chrome:
    table = _load_table("chrome.yaml")
    return _Chrome(
        _compile_all(table["lines"], "chrome.yaml"),
        _compile_all(table["related_headings"], "chrome.yaml"),
    )


@cache
def _roles_table() -> _Roles:
    table = _load_table("roles.yaml")
    headings = tuple(
        (Role(role), _compile_all(patterns, "roles.yaml"))
        for role, patterns in table["headings"].items()
    )
    markers = table["impressions"]
    return _Roles(headings, tuple(map(str, markers["markers"])), int(markers["min_hits"]))


def _chrome_matcher(extra_patterns: Sequence[str], name: str) -> Matcher:
    extra: list[re.Pattern[str]] = []
    for pattern in extra_patterns:
        try:
            extra.append(re.compile(pattern, re.IGNORECASE))
        except re.error as error:
            raise SourceError(f"{name}: invalid chrome pattern {pattern!r}: {error}") from error
    patterns = (*_chrome_table().lines, *extra)
    return lambda line: any(p.fullmatch(line.strip()) for p in patterns)


def _is_related_heading(text: str) -> bool:
    short = len(text) <= MAX_HEADING_CHARS and "\n" not in text
    return short and any(p.search(text) for p in _chrome_table().related_headings)


# ---------------------------------------------------------------- plain text


def _plain_blocks(text: str, is_chrome: Matcher) -> tuple[str | None, list[_Block]]:
    """Paragraphs are runs of non-blank lines; the first line is the title."""
    groups = _line_groups(text, is_chrome)
    blocks: list[_Block] = []
    for index, group in enumerate(groups):
        blocks.extend(_classify_group(group, followed=index + 1 < len(groups)))
    return _take_title(None, blocks)


def _line_groups(text: str, is_chrome: Matcher) -> list[list[_Line]]:
    groups: list[list[_Line]] = [[]]
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            groups.append([])
            continue
        # A chrome line vanishes without splitting the paragraph around it.
        line = _tidy(raw)
        if line and not is_chrome(raw):
            groups[-1].append(_Line(number, line))
    return [group for group in groups if group]


def _classify_group(group: list[_Line], *, followed: bool) -> list[_Block]:
    """The plain-text heading rule. A short line (<= MAX_HEADING_CHARS) is a heading when
    - it stands alone, does not end like a sentence (。！？.:、) and more text follows, or
    - it stands alone and introduces related links ("あわせて読みたい"), or
    - it starts with a marker (■ ● ◆ ▼ 【…】 第N章) and more text follows, even on the
      next line (but not when the next line has a marker too: that is a bullet list)."""
    first = group[0]
    if len(first.text) > MAX_HEADING_CHARS:
        return _paragraph(group)
    lone = len(group) == 1
    sentence = _SENTENCE_END.search(first.text) is not None
    marked = _HEADING_MARKER.match(first.text) is not None
    plain_heading = lone and ((followed and not sentence) or _is_related_heading(first.text))
    marked_heading = marked and (followed if lone else not _HEADING_MARKER.match(group[1].text))
    if not (plain_heading or marked_heading):
        return _paragraph(group)
    heading = _Block((_Line(first.number, _heading_text(first.text)),), level=1)
    return [heading, *_paragraph(group[1:])]


def _heading_text(line: str) -> str:
    """Drop marks made for the eye, not the ear: "■ 背景" -> "背景", "【まとめ】" -> "まとめ"."""
    text = _MARKER_SYMBOL.sub("", line)
    bracketed = _BRACKETED.fullmatch(text)
    return bracketed.group(1).strip() if bracketed else text


def _paragraph(group: Sequence[_Line]) -> list[_Block]:
    return [_Block(tuple(group))] if group else []


def _tidy(text: str) -> str:
    """Cut out URLs (never read letter by letter) and tidy the spaces."""
    text = _URL.sub(lambda url: _gap(text, url), text)
    return _SPACES.sub(" ", _EMPTY_BRACKETS.sub("", text)).strip()


def _gap(text: str, url: re.Match[str]) -> str:
    """What stays where a URL was: a space between English words, nothing in Japanese."""
    before, after = text[url.start() - 1 : url.start()], text[url.end() : url.end() + 1]
    return " " if (before + after).isascii() and before.strip() and after.strip() else ""


# ---------------------------------------------------------------- Markdown

_FRONT_MATTER_END = frozenset({"---", "..."})
_YAML_KEY = re.compile(r"\s*[A-Za-z_][\w-]*:")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_QUOTE = re.compile(r"^ {0,3}(> ?)+")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
_TABLE_DELIMITER = re.compile(r"^[\s|:-]*-[\s|:-]*$")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?(.*)$")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_INLINE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\]]*\](\([^)]*\)|\[[^\]]*\])"), ""),  # images, alt text too
    (re.compile(r"\[\^[^\]]+\]"), ""),  # footnote references [^1]
    (re.compile(r"\[([^\]]*)\](\([^)]*\)|\[[^\]]*\])"), r"\1"),  # links keep their text
    (re.compile(r"<(?!https?:)[A-Za-z/!][^>]*>"), ""),  # HTML tags
    (re.compile(r"(?<!\\)(\*+|~~)"), ""),  # * ** *** ~~ emphasis
    (re.compile(r"(?<![A-Za-z0-9\\])(_{1,2})(\S(?:.*?\S)?)\1(?![A-Za-z0-9])"), r"\2"),  # _em_
    (re.compile(r"\\([!-/:-@\[-`{-~])"), r"\1"),  # backslash escapes
)


@dataclass
class _BlockCollector:
    """Collects cleaned lines into paragraph, list and table blocks."""

    is_chrome: Matcher
    blocks: list[_Block]
    lines: list[_Line]
    kind: _Kind = "paragraph"

    def add(self, number: int, raw: str, kind: _Kind) -> None:
        text = _clean_inline(raw)
        if not text or self.is_chrome(text) or self.is_chrome(raw):
            return
        if kind != self.kind:
            self.flush()
        self.kind = kind
        self.lines.append(_Line(number, text))

    def heading(self, number: int, level: int, raw: str) -> None:
        self.flush()
        text = _clean_inline(raw)
        if text and not self.is_chrome(text):
            self.blocks.append(_Block((_Line(number, text),), level))

    def flush(self) -> None:
        if self.lines:
            self.blocks.append(_Block(tuple(self.lines), is_list=self.kind == "list"))
        self.lines = []

    def open_paragraph(self) -> bool:
        return bool(self.lines) and self.kind == "paragraph"

    def after_list(self) -> bool:
        return (self.kind == "list" and bool(self.lines)) or bool(
            not self.lines and self.blocks and self.blocks[-1].is_list
        )


def _markdown_blocks(text: str, is_chrome: Matcher, name: str) -> tuple[str | None, list[_Block]]:
    # Comments may span lines: blank them out but keep the line count.
    text = _HTML_COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    lines = text.split("\n")
    title, body_start = _front_matter(lines, name)
    out = _BlockCollector(is_chrome, [], [])
    fence = ""
    for number, raw in enumerate(lines[body_start:], start=body_start + 1):
        line = _QUOTE.sub("", raw)
        if fence:
            fence = "" if _closes_fence(line, fence) else fence
            continue
        fence = _markdown_line(out, number, line)
    out.flush()
    return _take_title(title, out.blocks)


def _markdown_line(out: _BlockCollector, number: int, line: str) -> str:
    """Feed one line to the collector; return the fence it opens, if any."""
    if fence := _FENCE.match(line):
        out.flush()
        return fence.group(1)  # code is never read aloud
    if not line.strip():
        out.flush()
    elif line.startswith(("    ", "\t")) and not out.open_paragraph() and not out.after_list():
        pass  # indented code
    elif heading := _ATX.match(line):
        out.heading(number, len(heading.group(1)), heading.group(2) or "")
    elif _RULE.match(line) or _LINK_DEFINITION.match(line):
        out.flush()
    elif "|" in line and _TABLE_DELIMITER.match(line):
        pass  # the |---|---| row under a table header
    elif line.strip().startswith("|"):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        out.add(number, "、".join(cell for cell in cells if cell), "table")
    elif item := _LIST_ITEM.match(line):
        out.add(number, item.group(1), "list")
    else:
        continues_item = out.after_list() and line.startswith((" ", "\t"))
        out.add(number, line, "list" if continues_item else "paragraph")
    return ""


def _closes_fence(line: str, fence: str) -> bool:
    """``` closes ```; a longer run of the same mark closes it too."""
    stripped = line.strip()
    return stripped.startswith(fence) and not stripped.strip(fence[0])


def _front_matter(lines: list[str], name: str) -> tuple[str | None, int]:
    """The `title:` of a leading --- YAML block and the index of the first body line."""
    if not lines or lines[0].strip() != "---":
        return None, 0
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in _FRONT_MATTER_END), None)
    if end is None:
        return None, 0  # a lone --- at the top is a horizontal rule
    block = "\n".join(lines[1:end])
    try:
        meta = yaml.safe_load(block)
    except yaml.YAMLError as error:
        if not _YAML_KEY.match(block):
            return None, 0  # prose between two horizontal rules
        problem = getattr(error, "problem", None) or "cannot parse"
        raise SourceError(f"{name}: invalid YAML front matter ({problem})") from error
    if not isinstance(meta, dict):
        return None, 0
    title = meta.get("title")
    title_text = _clean_inline(str(title)) if title is not None else ""
    return title_text or None, end + 1


def _take_title(title: str | None, blocks: list[_Block]) -> tuple[str | None, list[_Block]]:
    """Front matter title, else a leading H1, else the first line of text."""
    if blocks and blocks[0].level == 1:
        return title or blocks[0].text, blocks[1:]  # an H1 under a front matter title repeats it
    if title is not None or not blocks:
        return title, blocks
    first, rest = blocks[0], blocks[0].lines[1:]
    remainder = [_Block(rest, first.level, first.is_list)] if rest and not first.level else []
    return first.lines[0].text, [*remainder, *blocks[1:]]


def _clean_inline(text: str) -> str:
    """Markdown inline markup -> plain text; `code` keeps its text verbatim."""
    parts: list[str] = []
    position = 0
    for span in _CODE_SPAN.finditer(text):
        parts.append(_clean_prose(text[position : span.start()]))
        parts.append(span.group(2).strip())
        position = span.end()
    parts.append(_clean_prose(text[position:]))
    return _tidy("".join(parts))


def _clean_prose(text: str) -> str:
    for pattern, replacement in _INLINE_RULES:
        text = pattern.sub(replacement, text)
    return html.unescape(text)


# ---------------------------------------------------------------- sections


def _drop_related(blocks: list[_Block]) -> list[_Block]:
    """Drop related-link headings with their sections, and a lone "あわせて読みたい"
    line (Markdown: **あわせて読みたい**) with the link lists right under it."""
    kept: list[_Block] = []
    index = 0
    while index < len(blocks):
        block, after = blocks[index], blocks[index + 1 : index + 2]
        if _is_related_heading(block.text) and (block.level or (after and after[0].is_list)):
            index = _end_of_related(blocks, index)
        else:
            kept.append(block)
            index += 1
    return kept


def _end_of_related(blocks: list[_Block], start: int) -> int:
    """After a heading: the next heading at the same or a higher level that has text
    of its own (in plain text a link list's titles look like empty headings).
    After a lone line: the end of the lists under it."""
    level = blocks[start].level
    for index in range(start + 1, len(blocks)):
        if not level and not blocks[index].is_list:
            return index
        if 0 < blocks[index].level <= level and _has_text(blocks, index):
            return index
    return len(blocks)


def _has_text(blocks: list[_Block], start: int) -> bool:
    level = blocks[start].level
    for block in blocks[start + 1 :]:
        if 0 < block.level <= level:
            return False
        if not block.level:
            return True
    return False


def _sections(blocks: list[_Block]) -> tuple[Section, ...]:
    """The shallowest heading level cuts sections; deeper headings become paragraphs.
    A heading with no text under it makes no section."""
    level = min((block.level for block in blocks if block.level), default=0)
    sections: list[Section] = []
    heading: _Block | None = None
    paragraphs: list[_Block] = []
    for block in blocks:
        if block.level == level > 0:
            if paragraphs:
                sections.append(_section(heading, paragraphs))
            heading, paragraphs = block, []
        else:
            paragraphs.append(block)
    if paragraphs:
        sections.append(_section(heading, paragraphs))
    return tuple(sections)


def _section(heading: _Block | None, paragraphs: list[_Block]) -> Section:
    texts = tuple(block.text for block in paragraphs)
    if heading is None:
        return Section(None, _lead_role(texts), texts, paragraphs[0].line)
    return Section(heading.text, _heading_role(heading.text), texts, heading.line)


def _heading_role(heading: str) -> Role:
    for role, patterns in _roles_table().headings:
        if any(pattern.search(heading) for pattern in patterns):
            return role
    return Role.TOPIC


def _lead_role(paragraphs: Sequence[str]) -> Role:
    """Untitled opening text: the author's impressions, or a neutral lead."""
    roles = _roles_table()
    text = "\n".join(paragraphs)
    hits = sum(1 for marker in roles.impression_markers if marker in text)
    return Role.IMPRESSIONS if hits >= roles.min_hits else Role.LEAD
