"""Markdown -> blocks, from markdown-it-py's CommonMark tokens, with GitHub's additions
parsed by markdown-it itself and mdit-py-plugins: tables, ~~, task lists, alerts,
autolinks, footnotes, $math$ and YAML front matter.

Only what a reader would say survives: headings, paragraphs, list items (one line
each), table rows (cells joined with 、), quoted text and footnotes (where written).
Code, math, HTML, images and rules are never read; links keep their text and bare
URLs go (plaintext.tidy). Lists and quotes nest as deep as MAX_NESTING allows;
deeper than that is refused with the line, never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin

from yomiage.errors import SourceError
from yomiage.files import safeyaml
from yomiage.source.plaintext import Block, Line, LineRules, reads_as_prose, tidy

_YAML_KEY = re.compile(r"\s*[A-Za-z_][\w-]*:")
# markdown-it's limit of nested blocks (20 by default: a list 15 deep lost its last
# items); each list level takes two (list, item), each quote one.
MAX_NESTING = 100

_LIST_OPEN = frozenset({"bullet_list_open", "ordered_list_open"})
_LIST_CLOSE = frozenset({"bullet_list_close", "ordered_list_close"})
# Blocks never read aloud; outside a list each one ends the list being collected.
_UNREAD = frozenset(
    {"fence", "code_block", "html_block", "hr", "table_open", "table_close", "math_block"}
)
# Inline text that is a label, not the article: an alert's "Note" title.
_UNREAD_INLINE = frozenset({"alert_title_open"})
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
    # Math is never read; but "$10、\\$x$" opens with a price, and is text (see _parser).
    "math_inline": lambda token: _price(token.content),
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
    # A footnote mark with no note for it, which the footnote plugin leaves as text.
    (re.compile(r"\[\^[^\]\s]+\]"), ""),
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
def _parser(front_matter: bool = True) -> MarkdownIt:
    # text_join would merge escapes into plain text; keep them apart (see _SHIELD).
    parser = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING})
    parser.enable(["table", "strikethrough"]).disable("text_join")
    parser.options["tasklists"] = True  # "- [ ] 項目": the box is markup, not text
    parser.options["alerts"] = True  # "> [!NOTE]"
    parser.use(gfm_autolink_plugin).use(footnote_plugin, inline=False)
    # Notes are read where they are written, referenced or not: the tail rule would
    # move them to the end and drop the ones no mark points to.
    parser.disable("footnote_tail")
    # $a^2$ and $$ blocks are math; "$5と$10" is two prices (math never follows a space
    # or ends before a digit), and a blank line ends a $$ block left open.
    parser.use(
        dollarmath_plugin,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        double_inline=True,  # $$b$$ inside a sentence
    )
    return parser.use(front_matter_plugin) if front_matter else parser


def markdown_blocks(text: str, rules: LineRules, name: str) -> tuple[str | None, list[Block]]:
    """The front matter title (if any) and the blocks of the body."""
    tokens = _parser().parse(text)
    title: str | None = None
    if tokens and tokens[0].type == "front_matter":
        meta = _front_matter(tokens[0].content, name)
        if meta is None:  # prose between two horizontal rules, not YAML
            tokens = _parser(front_matter=False).parse(text)
        else:
            title = _title(meta)
    _refuse_lost_nesting(tokens, name)
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
        elif kind == "inline" and tokens[index - 1].type not in _UNREAD_INLINE:
            _inline_block(out, tokens[index - 1], token, in_list=depth > 0)
        elif kind == "tr_close":
            out.end_row()
        elif kind in _UNREAD and (depth == 0 or kind.startswith("table")):
            out.flush()
    out.flush()
    return title, out.blocks


def _price(math: str) -> str:
    """What dollarmath took for math, as text when it opens with a digit: prices."""
    if not math[:1].isdigit():
        return ""
    return f"${math.replace(chr(92) + '$', '$')}$".translate(_SHIELD)


def _refuse_lost_nesting(tokens: list[Token], name: str) -> None:
    """markdown-it stops reading a block nested MAX_NESTING deep and drops the rest."""
    for token in tokens:
        if token.level >= MAX_NESTING - 1:
            line = next((t.map[0] + 1 for t in reversed(tokens[: tokens.index(token)]) if t.map), 1)
            raise SourceError(
                f"{name}:{line}: lists or quotes nested too deep to read (more than"
                f" {MAX_NESTING // 2} lists or {MAX_NESTING} quotes deep); flatten them"
            )


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


def _front_matter(block: str, name: str) -> dict[object, object] | None:
    """The YAML mapping of a leading --- block, or None when it is not YAML at all
    (prose between two horizontal rules) or not a mapping."""
    try:
        meta = safeyaml.safe_load(block)
    except yaml.YAMLError as error:
        if not _YAML_KEY.match(block):
            return None
        problem = getattr(error, "problem", None) or "cannot parse"
        mark = getattr(error, "problem_mark", None)
        where = f"{name}:{mark.line + 2}" if mark else name  # the block starts on line 2
        raise SourceError(f"{where}: invalid YAML front matter ({problem})") from None
    return meta if isinstance(meta, dict) else None


def _title(meta: dict[object, object]) -> str | None:
    title = meta.get("title")
    title_text = tidy(str(title)) if title is not None else ""
    return title_text or None
