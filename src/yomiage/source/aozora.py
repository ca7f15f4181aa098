"""An Aozora Bunko text (青空文庫, Shift_JIS with CRLF) -> Document.

The header's first lines are the title and the author; the 【テキスト中に現れる
記号について】 block between its ----- rules, every ［＃…］ annotation and the
colophon from 底本： on are not read. A 見出し annotation makes its line a
section heading; 《》 ruby leaves the written word and records the reading
(ruby.py). Each line of the body is a paragraph, as Aozora Bunko writes them.
"""

from __future__ import annotations

import re

from yomiage.source.document import Document
from yomiage.source.plaintext import Block, Line, LineRules, tidy
from yomiage.source.ruby import spoken_readings, take_ruby

SYMBOLS_HEADING = "【テキスト中に現れる記号について】"
_RULE = re.compile(r"^-{10,}\s*$")
# Where the colophon starts: everything from here on is about the file, not the work.
_COLOPHON = re.compile(r"^\s*(底本：|底本:|［＃本文終わり］)")
_CREDITS = ("底本：", "入力：", "校正：", "青空文庫作成ファイル")
# 見出し levels; 大見出し is a section (level 2): the title is the header's, never a heading.
_LEVELS = {"大": 2, "中": 3, "小": 4}
# ［＃「一」は中見出し］: the quoted text on this line is a heading.
_NAMED_HEADING = re.compile(r"［＃「(?P<text>[^」]+)」は(?:同行|窓)?(?P<size>[大中小])見出し］")
# ［＃中見出し］一［＃中見出し終わり］
_WRAPPED_HEADING = re.compile(
    r"［＃(?:同行|窓)?(?P<size>[大中小])見出し］(?P<text>.+?)［＃(?:同行|窓)?[大中小]見出し終わり］"
)
# ※［＃「木＋世」、U+67BB、56-5］: a character outside JIS, named by its code point.
_GAIJI_CODE = re.compile(r"※［＃[^］]*?U\+(?P<code>[0-9A-Fa-f]{4,6})[^］]*］")
_GAIJI = re.compile(r"※［＃[^］]*］")
_ANNOTATION = re.compile(r"［＃[^］]*］")
_INDENT = re.compile(r"^[\u3000 \t]+")


def looks_like_aozora(text: str) -> bool:
    """Aozora Bunko's markers: its symbols block, its colophon (底本, 入力 and 校正 lines), or
    two of those with its annotations or ruby."""
    if SYMBOLS_HEADING in text:
        return True
    credits = sum(1 for credit in _CREDITS if re.search(f"^{credit}", text, re.MULTILINE))
    return credits >= 3 or (credits >= 2 and ("［＃" in text or "《" in text))


def read_aozora(text: str, rules: LineRules, name: str) -> Document:
    """`text` has \\n newlines already (read.decode_source)."""
    from yomiage.source.read import document_from_blocks  # read.py dispatches here

    lines = text.removeprefix("\ufeff").split("\n")
    header_end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    header = [line.strip() for line in lines[:header_end] if line.strip()]
    body_start = _body_start(lines, header_end)
    body_end = next(
        (i for i in range(body_start, len(lines)) if _COLOPHON.match(lines[i])), len(lines)
    )
    body = "\n".join(lines[body_start:body_end])
    body, ruby = take_ruby(body, any_reading=True)  # in Aozora Bunko 《》 is only ruby
    blocks = _blocks(body.split("\n"), body_start, rules)
    title, author = _title_and_author(header)
    document = document_from_blocks(title, blocks, name, readings=spoken_readings(ruby))
    return Document(document.title, document.sections, document.readings, author)


def read_aozora_body(
    title: str | None,
    author: str | None,
    body: str,
    readings: tuple[tuple[str, str], ...],
    rules: LineRules,
    name: str,
) -> Document:
    """The body of a work whose title, author and ruby were read elsewhere (the XHTML
    card of webpage.py): its lines, annotations and 見出し read as in a text file."""
    from yomiage.source.read import document_from_blocks  # read.py dispatches here

    blocks = _blocks(body.split("\n"), 0, rules)
    document = document_from_blocks(title, blocks, name, readings=readings)
    return Document(document.title, document.sections, readings, author)


def _body_start(lines: list[str], header_end: int) -> int:
    """After the symbols block when there is one (its second ----- rule), else the header."""
    rules = [i for i, line in enumerate(lines[: header_end + 60]) if _RULE.match(line)]
    if len(rules) >= 2 and any(SYMBOLS_HEADING in line for line in lines[rules[0] : rules[1]]):
        return rules[1] + 1
    return header_end


def _title_and_author(header: list[str]) -> tuple[str | None, str | None]:
    """The author is the header's last line (or the one before a translator's 〜訳);
    the lines above it are the title and its subtitle."""
    if len(header) < 2:
        return (header[0] if header else None), None
    by = -2 if len(header) > 2 and header[-1].endswith("訳") else -1
    return " ".join(header[:by]), header[by]


def _blocks(lines: list[str], offset: int, rules: LineRules) -> list[Block]:
    blocks: list[Block] = []
    for index, raw in enumerate(lines):
        number = offset + index + 1
        heading = _WRAPPED_HEADING.search(raw) or _NAMED_HEADING.search(raw)
        text = _GAIJI_CODE.sub(lambda m: chr(int(m.group("code"), 16)), raw)
        text = _ANNOTATION.sub("", _GAIJI.sub("", text))
        text = tidy(_INDENT.sub("", text))
        if not text or rules.is_chrome(text) or rules.is_separator(text):
            continue
        if heading is not None:
            level = _LEVELS[heading.group("size")]
            blocks.append(Block((Line(number, text),), level))
        else:
            blocks.append(Block((Line(number, text),)))
    return blocks
