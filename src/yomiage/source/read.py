"""Text or Markdown -> Document: title, sections with roles, page chrome removed.

Both formats become a flat list of blocks (headings and paragraphs, each with
its source line; plaintext.py and markdown.py) and then share one path here:
take the title, drop related-link sections, group blocks into sections, give
each section a role. Chrome patterns, related-link headings and role words are
tables in `data/*.yaml`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import regex

from yomiage.errors import SourceError
from yomiage.files import userfile
from yomiage.source.aozora import looks_like_aozora, read_aozora
from yomiage.source.document import Document, Role, Section
from yomiage.source.markdown import markdown_blocks
from yomiage.source.plaintext import (
    MAX_HEADING_CHARS,
    Block,
    compile_all,
    ends_like_sentence,
    is_related_heading,
    line_rules,
    load_table,
    plain_blocks,
    reads_as_prose,
)
from yomiage.source.ruby import spoken_readings, take_ruby
from yomiage.speech.split import speakable_share

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
# Aozora Bunko hands its texts out zipped; the one text in an archive is read. More
# than this unpacked is no article (and a zip bomb is stopped before it unpacks).
MAX_UNZIPPED_BYTES = 10 * 1024 * 1024
URL_SCHEMES = ("http://", "https://")
BINARY_CONTROL_SHARE = 0.05  # more control bytes than this in the file: not text
# Tab, newlines, form feed and ESC occur in real text files; other C0 controls and DEL do not.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in b"\t\n\r\f\x1b") + b"\x7f"
# For a legacy encoding to count as Japanese: shares among the non-ASCII characters.
MIN_JAPANESE_SHARE = 0.5  # kana, kanji, Japanese punctuation and full-width forms
MIN_KANA_SHARE = 0.05  # hiragana and katakana alone
MIN_SPEAKABLE_SHARE = 0.5  # of a body's letters and emoji: less, and the episode is mostly silence
_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]")
_KANA = re.compile(r"[\u3041-\u30ff]")
# Tried after UTF-8, in order: Windows' Shift_JIS, then EUC-JP (older Unix and blog exports).
_LEGACY_ENCODINGS = ("cp932", "euc_jp")
# Byte order marks of encodings we refuse by name (a UTF-16 file is full of NUL bytes
# and would otherwise be called binary). UTF-32 first: its LE mark starts like UTF-16's.
_UNSUPPORTED_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


@dataclass(frozen=True)
class _Roles:
    headings: tuple[tuple[Role, tuple[regex.Pattern[str], ...]], ...]
    impression_markers: tuple[str, ...]
    min_hits: int


# ---------------------------------------------------------------- public API


def read_any(source: str | Path, extra_chrome_patterns: Sequence[str] = ()) -> Document:
    """A URL (http, https), a saved page (.html, .htm), an Aozora Bunko text, or an article."""
    if is_url(source):
        return read_url(clean_url(str(source)), extra_chrome_patterns)
    return read_source(Path(source), extra_chrome_patterns)


def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.lower().startswith(URL_SCHEMES)


# Query parameters that say where a reader came from, not which page: a link shared
# with ?utm_source=twitter is the same article, and the same episode folder.
_TRACKING = re.compile(
    r"utm_[a-z]+|fbclid|gclid|yclid|msclkid|igshid|mc_cid|mc_eid|_ga|_gl|ref_src|s_cid",
    re.IGNORECASE,
)


def clean_url(url: str) -> str:
    """The page's address without its #fragment and tracking parameters, the host in
    lower case: what names the page in the manifest, its folder and the feed."""
    parts = urlsplit(url.strip())
    query = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in query if not _TRACKING.fullmatch(k)]
    netloc = parts.netloc.lower() if "@" not in parts.netloc else parts.netloc
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            parts.path,
            urlencode(kept) if kept != query else parts.query,
            "",
        )
    )


def read_url(url: str, extra_chrome_patterns: Sequence[str] = ()) -> Document:
    from yomiage.source.fetch import fetch

    page = fetch(url)
    if page.archive:
        document = read_bytes(page.archive, url, ".zip", extra_chrome_patterns)
        return dataclasses.replace(document, url=page.url)
    if page.is_html:
        from yomiage.source.webpage import read_page  # lxml and trafilatura: only for pages

        return read_page(
            page.text, url, url=page.url, extra_chrome_patterns=tuple(extra_chrome_patterns)
        )
    # Markdown by its type, or by its name (raw files are served as text/plain)
    suffix = Path(urlsplit(page.url).path).suffix.lower()
    markdown = "markdown" in page.content_type or suffix in MARKDOWN_SUFFIXES
    text = _normalise_newlines(page.text)
    document = _parse_any_text(text, markdown, extra_chrome_patterns, url)
    return Document(
        document.title, document.sections, document.readings, document.author, None, page.url
    )


def read_source(path: Path, extra_chrome_patterns: Sequence[str] = ()) -> Document:
    """Read a .txt or .md/.markdown article, a saved web page (.html, .htm) or an Aozora
    Bunko text; any other suffix is read as plain text."""
    try:
        data = userfile.read_bytes(path)  # a FIFO would block, a device never end
    except FileNotFoundError as error:
        raise SourceError(f"{path}: no such file") from error
    except userfile.NotRegularFile as error:
        raise SourceError(f"{path}: is {error}") from None
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror})") from error
    return read_bytes(data, str(path), path.suffix.lower(), extra_chrome_patterns)


def read_bytes(
    data: bytes, name: str, suffix: str, extra_chrome_patterns: Sequence[str] = ()
) -> Document:
    """A file's bytes, read by its suffix; a .zip by the one text in it."""
    if suffix == ".zip":
        member, data = text_in_zip(data, name)
        name, suffix = f"{name}:{member}", Path(member).suffix.lower()
    if suffix in HTML_SUFFIXES:
        from yomiage.source.fetch import decode_page
        from yomiage.source.webpage import read_page

        if _looks_binary(data):
            raise SourceError(f"{name}: looks like a binary file, not a web page")
        return read_page(
            decode_page(data, None), name, extra_chrome_patterns=tuple(extra_chrome_patterns)
        )
    text = decode_source(data, name)
    return _parse_any_text(text, suffix in MARKDOWN_SUFFIXES, extra_chrome_patterns, name)


def text_in_zip(data: bytes, name: str) -> tuple[str, bytes]:
    """(its name, its bytes) of the one text file (.txt, .md, .html) in a zip archive."""
    import io
    import zipfile

    readable = (".txt", *MARKDOWN_SUFFIXES, *HTML_SUFFIXES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            texts = [
                info
                for info in archive.infolist()
                if not info.is_dir() and info.filename.lower().endswith(readable)
                and not Path(info.filename).name.startswith(".")
            ]  # fmt: skip
            if len(texts) != 1:
                found = ", ".join(info.filename for info in texts[:5])
                raise SourceError(
                    f"{name}: {len(texts)} text files in the archive"
                    + (f" ({found}); unpack it and give one" if texts else " (.txt, .md, .html)")
                )
            info = texts[0]
            if info.file_size > MAX_UNZIPPED_BYTES:
                raise SourceError(
                    f"{name}: {info.filename} unpacks to {info.file_size:,} bytes, not an article"
                )
            with archive.open(info) as member:
                text = member.read(MAX_UNZIPPED_BYTES + 1)  # its header may say less
            if len(text) > MAX_UNZIPPED_BYTES:
                raise SourceError(f"{name}: {info.filename} unpacks to more than it says")
            return info.filename, text
    except zipfile.BadZipFile:
        raise SourceError(f"{name}: not a zip archive that can be read") from None
    except RuntimeError as error:  # an encrypted member
        raise SourceError(f"{name}: cannot unpack ({error})") from None


def _parse_any_text(
    text: str, markdown: bool, extra_chrome_patterns: Sequence[str], name: str
) -> Document:
    if not markdown and looks_like_aozora(text):
        return read_aozora(text, line_rules(extra_chrome_patterns, name), name)
    return parse_text(
        text, markdown=markdown, extra_chrome_patterns=extra_chrome_patterns, name=name
    )


def parse_text(
    text: str, *, markdown: bool, extra_chrome_patterns: Sequence[str] = (), name: str = "<text>"
) -> Document:
    """Parse an article. A chrome pattern drops every line it matches in full (case ignored).
    Without a title of its own the article is named after `name`'s file stem. Ruby
    (｜桟橋《さんばし》, 灯台《とうだい》) leaves the written word and records the reading."""
    rules = line_rules(extra_chrome_patterns, name)
    text, ruby = take_ruby(_normalise_newlines(text).removeprefix("\ufeff"))
    if markdown:
        front_title, blocks = markdown_blocks(text, rules, name)
    else:
        front_title, blocks = None, plain_blocks(text, rules)
    return document_from_blocks(front_title, blocks, name, readings=spoken_readings(ruby))


def document_from_blocks(
    front_title: str | None,
    blocks: list[Block],
    name: str,
    *,
    readings: tuple[tuple[str, str], ...] = (),
    stem: str | None = None,
) -> Document:
    """The path every format shares once it is blocks: title, related links, sections, roles.
    `front_title` is the title the source gives apart from its body (front matter, a
    page's metadata, a header); `stem` names a document that has none."""
    if not blocks and front_title is None:
        raise SourceError(f"{name}: the document is empty (no text to read aloud)")
    title, blocks = _take_title(front_title, blocks, stem or Path(name).stem)
    sections = _sections(_drop_related(blocks))
    if not sections:
        raise SourceError(f"{name}: only a title, no text to read aloud")
    _refuse_unpronounceable(sections, name)
    return Document(title=title, sections=sections, readings=readings)


def _refuse_unpronounceable(sections: Sequence[Section], name: str) -> None:
    """Text in scripts Open JTalk cannot say (Hangul, Cyrillic, emoji) comes out as
    silence: a document made mostly of it would be an episode of announced chapters
    with nothing in them."""
    body = "\n".join(p for section in sections for p in section.paragraphs)
    share = speakable_share(body)
    if share < MIN_SPEAKABLE_SHARE:
        raise SourceError(
            f"{name}: only {share:.0%} of the text can be pronounced (Japanese, Latin"
            " letters, digits); the rest (such as Hangul, Cyrillic or emoji) would be silence"
        )


def decode_source(data: bytes, name: str) -> str:
    """Bytes -> text with \\n newlines: UTF-8 (BOM or not), else Japanese CP932 or EUC-JP."""
    for bom, encoding in _UNSUPPORTED_BOMS:
        if data.startswith(bom):
            raise SourceError(f"{name}: {encoding} text is not supported; save it as UTF-8")
    if _looks_binary(data):
        raise SourceError(f"{name}: looks like a binary file, not text")
    try:
        return _normalise_newlines(data.decode("utf-8-sig"))  # also strips a BOM
    except UnicodeDecodeError:
        pass
    for encoding in _LEGACY_ENCODINGS:
        text = _decode_japanese(data, encoding)
        if text is not None:
            return _normalise_newlines(text)
    raise SourceError(f"{name}: cannot decode the text (expected UTF-8, Shift_JIS/CP932 or EUC-JP)")


# ---------------------------------------------------------------- decoding


def _looks_binary(data: bytes) -> bool:
    """One rule for the whole file: a NUL anywhere, or too many control bytes, is not
    text (a NUL after the first few KiB would otherwise reach the transcript)."""
    if b"\x00" in data:
        return True
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    return bool(data) and controls / len(data) > BINARY_CONTROL_SHARE


def _decode_japanese(data: bytes, encoding: str) -> str | None:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    # Latin-1 bytes (é, ü, ß) and EUC-JP often decode as CP932 kanji or half-width
    # katakana, but never as hiragana or full-width katakana, which Japanese is full of.
    non_ascii = "".join(char for char in text if not char.isascii())
    if not non_ascii:
        return None
    japanese = len(_JAPANESE.findall(non_ascii)) / len(non_ascii)
    kana = len(_KANA.findall(non_ascii)) / len(non_ascii)
    return text if japanese >= MIN_JAPANESE_SHARE and kana >= MIN_KANA_SHARE else None


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- title


def _take_title(front: str | None, blocks: list[Block], stem: str) -> tuple[str, list[Block]]:
    """A leading H1 (any leading plain-text heading), else the front matter title, else
    the first line of an opening paragraph if it reads like a title, else the file stem."""
    top = blocks[0].text if blocks and blocks[0].level == 1 else None
    # Zenn and friends keep the title in front matter and start the body with
    # "# はじめに": there an H1 on top is the first of several section headings.
    if top is not None and (front in (None, top) or _count_h1(blocks) == 1):
        return top, blocks[1:]
    if front is not None:
        return front, blocks
    if not blocks or blocks[0].level or blocks[0].is_list:
        return stem, blocks  # a "## 節" or a list on top names a part, not the article
    first, rest = blocks[0].lines[0].text, blocks[0].lines[1:]
    remainder = [Block(rest), *blocks[1:]] if rest else blocks[1:]
    # A long line with nothing after it is a one-paragraph article, not a title.
    if reads_as_prose(first) or (not remainder and len(first) > MAX_HEADING_CHARS):
        return stem, blocks
    return first, remainder


def _count_h1(blocks: list[Block]) -> int:
    return sum(1 for block in blocks if block.level == 1)


# ---------------------------------------------------------------- sections


def _drop_related(blocks: list[Block]) -> list[Block]:
    """Drop related-link headings with their sections, and a lone "あわせて読みたい"
    line (Markdown: **あわせて読みたい**) with the link lists right under it."""
    kept: list[Block] = []
    index = 0
    while index < len(blocks):
        block, after = blocks[index], blocks[index + 1 : index + 2]
        if is_related_heading(block.text) and (block.level or (after and after[0].is_list)):
            index = _end_of_related(blocks, index)
        else:
            kept.append(block)
            index += 1
    return kept


def _end_of_related(blocks: list[Block], start: int) -> int:
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


def _has_text(blocks: list[Block], start: int) -> bool:
    """Body text under the heading: not one more short link title like the heading."""
    level = blocks[start].level
    for block in blocks[start + 1 :]:
        if 0 < block.level <= level:
            return False
        if not block.level:
            return _reads_as_body(block)
    return False


def _reads_as_body(block: Block) -> bool:
    text = block.lines[-1].text
    return len(block.lines) > 1 or len(text) > MAX_HEADING_CHARS or ends_like_sentence(text)


def _sections(blocks: list[Block]) -> tuple[Section, ...]:
    """The shallowest heading level cuts sections; deeper headings become paragraphs.
    A heading with no text under it is kept as the last paragraph of the part before
    it, so nothing is lost and the reading order stays."""
    level = min((block.level for block in blocks if block.level), default=0)
    parts: list[tuple[Block | None, list[Block]]] = [(None, [])]
    for block in blocks:
        if block.level == level > 0:
            parts.append((block, []))
        else:
            parts[-1][1].append(block)
    kept: list[tuple[Block | None, list[Block]]] = []
    for heading, paragraphs in parts:
        if paragraphs:
            kept.append((heading, paragraphs))
        elif heading is not None:
            if not kept:
                kept.append((None, []))
            kept[-1][1].append(Block(heading.lines))
    return tuple(_section(heading, paragraphs) for heading, paragraphs in kept)


def _section(heading: Block | None, paragraphs: list[Block]) -> Section:
    texts = tuple(block.text for block in paragraphs)
    if heading is None:
        return Section(None, _lead_role(texts), texts, paragraphs[0].line)
    return Section(heading.text, _heading_role(heading.text), texts, heading.line)


@cache
def _roles_table() -> _Roles:
    table = load_table("roles.yaml")
    headings = tuple(
        (Role(role), compile_all(patterns, "roles.yaml"))
        for role, patterns in table["headings"].items()
    )
    markers = table["impressions"]
    return _Roles(headings, tuple(map(str, markers["markers"])), int(markers["min_hits"]))


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
