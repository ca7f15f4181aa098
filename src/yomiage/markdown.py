"""Markdown -> blocks, from markdown-it-py's CommonMark tokens (plus tables and ~~).

Only what a reader would say survives: headings, paragraphs, list items (one line
each), table rows (cells joined with 、) and quoted text. Code, HTML, images and
rules are never read; links keep their text and bare URLs go (plaintext.tidy).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from yomiage import safeyaml
from yomiage.errors import SourceError
from yomiage.plaintext import Block, Line, LineRules, reads_as_prose, tidy

_FRONT_MATTER_END = frozenset({"---", "..."})
_YAML_KEY = re.compile(r"\s*[A-Za-z_][\w-]*:")
# "[^1]: 注釈" would be swallowed as a link definition ("注釈" its address): keep it text.
_FOOTNOTE_DEFINITION = re.compile(r"^( {0,3})\[\^", re.MULTILINE)

_LIST_OPEN = frozenset({"bullet_list_open", "ordered_list_open"})
_LIST_CLOSE = frozenset({"bullet_list_close", "ordered_list_close"})
# Blocks never read aloud; outside a list each one ends the list being collected.
_UNREAD = frozenset({"fence", "code_block", "html_block", "hr", "table_open", "table_close"})
_CELL_OPEN = frozenset({"th_open", "td_open"})

# Inline tokens that are read, and how. Every other inline token (emphasis, link and
# strikethrough marks, images, HTML tags) is dropped, leaving the text between.
# (and $ and : so that code and escapes never look like math or an emoji shortcode)
_MARKS = {"*": "\ue02a", "_": "\ue05f", "~": "\ue07e", "$": "\ue024", ":": "\ue03a"}
_SHIELD = str.maketrans(_MARKS)
_UNSHIELD = str.maketrans({stand_in: mark for mark, stand_in in _MARKS.items()})
_INLINE_TEXT: dict[str, Callable[[Token], str]] = {
    "text": lambda token: token.content,
    # An escaped or coded * _ ~ is meant literally: shield it from _TEXT_RULES.
    "text_special": lambda token: token.content.translate(_SHIELD),
    "code_inline": lambda token: token.content.translate(_SHIELD),
    "softbreak": lambda token: "\n",
    "hardbreak": lambda token: "\n",
}
_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HIDDEN_TAG = re.compile(r"<(script|style)\b", re.IGNORECASE)  # contents never read

# Rewrites of the rendered text, in order.
_TEXT_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Emphasis CommonMark leaves as literal marks: it will not close ** before a
    # Japanese letter after a bracket ("**「強調」**と"), nor take _ inside a word.
    # Never between ASCII letters or digits: snake_case_name, 5*3*2.
    (re.compile(r"(?<![A-Za-z0-9])(\*{1,3}|_{1,3}|~~)(\S(?:.*?\S)?)\1(?![A-Za-z0-9])"), r"\2"),
    (re.compile(r"\[\^[^\]\s]+\]:?"), ""),  # footnote marks [^1], and [^1]: before a note
    (re.compile(r"^\[[ xX]\]\s+", re.MULTILINE), ""),  # task list boxes
    # Math is never read: "$$" display blocks (the paragraph from a $$ line to the next)
    # and "$a^2$" inline (not starting with a digit). A price keeps its "$": "$5",
    # "$5 and $10", "$5と$10".
    (re.compile(r"^[ \t]*\$\$.*?\$\$[ \t]*$", re.MULTILINE | re.DOTALL), ""),
    (re.compile(r"\$\$[^$\n]+\$\$"), ""),
    (re.compile(r"(?<![$A-Za-z0-9])\$(?=[^\s$0-9])[^$\n]*?(?<=\S)\$(?![$A-Za-z0-9])"), ""),
    # GitHub alerts "> [!NOTE]": the marker goes, the text stays.
    (re.compile(r"^[ \t]*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*", re.MULTILINE), ""),
    # Emoji shortcodes ":rocket:", ":+1:"; never times (10:30) nor "注意:" labels.
    (re.compile(r"(?<![A-Za-z0-9:]):(?:[a-z][a-z0-9_\-]*|\+1|-1):(?![A-Za-z0-9:])"), ""),
    # Zenn/Qiita boxes ":::message", ":::details タイトル", ":::": keep only the title.
    (
        re.compile(
            r"^:{3,}[ \t]*(?:(?:message|details|note)\b)?(?:[ \t]+(?:alert|info|warn))?[ \t]*",
            re.MULTILINE,
        ),
        "",
    ),
)


@cache
def _parser() -> MarkdownIt:
    # text_join would merge escapes into plain text; keep them apart (see _SHIELD).
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("text_join")


def markdown_blocks(text: str, rules: LineRules, name: str) -> tuple[str | None, list[Block]]:
    """The front matter title (if any) and the blocks of the body."""
    title, body = _split_front_matter(text, name)
    tokens = _parser().parse(_FOOTNOTE_DEFINITION.sub(r"\1\\[^", body))
    out = _Collector(rules)
    depth = 0  # of nested lists
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in _LIST_OPEN:
            # Lists right after one another ("-" items then "*" items) read as one list.
            if depth == 0 and not (index and tokens[index - 1].type in _LIST_CLOSE):
                out.flush()
            depth += 1
        elif kind in _LIST_CLOSE:
            depth -= 1
        elif kind == "inline":
            _inline_block(out, tokens[index - 1], token, in_list=depth > 0)
        elif kind == "tr_close":
            out.end_row()
        elif kind in _UNREAD and (depth == 0 or kind.startswith("table")):
            out.flush()
    out.flush()
    return title, out.blocks


def _inline_block(out: _Collector, opener: Token, inline: Token, *, in_list: bool) -> None:
    text, line = _render_inline(inline), (inline.map or [0])[0] + 1
    if opener.type in _CELL_OPEN:
        out.cell(line, text)
    elif opener.type == "heading_open" and not _rule_under_prose(opener, text):
        out.heading(line, int(opener.tag[1:]), text)
    else:
        out.paragraph(line, text, is_list=in_list)


def _rule_under_prose(opener: Token, text: str) -> bool:
    """'本文です。' on the line above '---' is a paragraph and a rule to its writer,
    though CommonMark makes it a heading: a sentence is never a heading."""
    return opener.markup == "-" and (reads_as_prose(text) or "\n" in text)


def _render_inline(inline: Token) -> str:
    """Inline tokens -> plain text with \\n between source lines."""
    parts: list[str] = []
    hidden = ""  # the closing tag of a <script> or <style> being skipped
    for token in inline.children or ():
        if hidden:
            hidden = "" if token.content.lower().startswith(hidden) else hidden
        elif token.type in _INLINE_TEXT:
            parts.append(_INLINE_TEXT[token.type](token))
        elif token.type == "html_inline" and _BREAK_TAG.fullmatch(token.content):
            parts.append("\n")
        elif token.type == "html_inline" and (tag := _HIDDEN_TAG.match(token.content)):
            hidden = f"</{tag.group(1).lower()}"
    text = "".join(parts)
    for pattern, replacement in _TEXT_RULES:
        text = pattern.sub(replacement, text)
    return text.translate(_UNSHIELD)


@dataclass
class _Collector:
    """Collects tidied lines into paragraph, list and table blocks."""

    rules: LineRules
    blocks: list[Block] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    is_list: bool = False
    cells: list[Line] = field(default_factory=list)

    def paragraph(self, number: int, text: str, *, is_list: bool) -> None:
        """A list item joins the list being collected; a paragraph stands alone."""
        if not (is_list and self.is_list):
            self.flush()
        self.is_list = is_list
        for offset, raw in enumerate(text.split("\n")):
            self.add(Line(number + offset, tidy(raw)))
        if not is_list:
            self.flush()

    def heading(self, number: int, level: int, text: str) -> None:
        self.flush()
        line = tidy(" ".join(text.split("\n")))
        if line and not self.rules.is_chrome(line) and not self.rules.is_separator(line):
            self.blocks.append(Block((Line(number, line),), level))

    def cell(self, number: int, text: str) -> None:
        self.cells.append(Line(number, tidy(" ".join(text.split("\n")))))

    def end_row(self) -> None:
        """A table row is one line: its cells joined with 、 (empty cells left out)."""
        text = "、".join(cell.text for cell in self.cells if cell.text)
        if text:  # article content: a row "| 2024 | 12 |" is not a like counter
            self.is_list = False
            self.lines.append(Line(self.cells[0].number, text))
        self.cells = []

    def add(self, line: Line) -> None:
        if self.rules.is_separator(line.text):
            self.flush()  # "ーーーー" inside a paragraph splits it, like a blank line
        elif line.text and not self.rules.is_chrome(line.text):
            self.lines.append(line)

    def flush(self) -> None:
        if self.lines:
            self.blocks.append(Block(tuple(self.lines), is_list=self.is_list))
        self.lines = []


# ---------------------------------------------------------------- front matter


def _split_front_matter(text: str, name: str) -> tuple[str | None, str]:
    """The `title:` of a leading --- YAML block, and the text with that block blanked
    out (markdown-it does not know front matter; line numbers must stay right)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None, text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in _FRONT_MATTER_END), None)
    if end is None:
        return None, text  # a lone --- at the top is a horizontal rule
    block = "\n".join(lines[1:end])
    try:
        meta = safeyaml.safe_load(block)
    except yaml.YAMLError as error:
        if not _YAML_KEY.match(block):
            return None, text  # prose between two horizontal rules
        problem = getattr(error, "problem", None) or "cannot parse"
        raise SourceError(f"{name}: invalid YAML front matter ({problem})") from error
    if not isinstance(meta, dict):
        return None, text
    title = meta.get("title")
    title_text = tidy(str(title)) if title is not None else ""
    return title_text or None, "\n" * (end + 1) + "\n".join(lines[end + 1 :])
