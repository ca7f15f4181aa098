"""A web page (fetched, or a saved .html) -> Document: the article, without the page around it.

Three steps. First the page's chrome is cut out of the HTML tree by what it is
(nav, footer, forms, code, images) and by what its class or id says it is
(like and share buttons, comments, related articles, ads, tags, profiles,
tables of contents), and ruby is turned into the written word with its reading
recorded. Then trafilatura finds the article in what is left and gives it as
XML: headings, paragraphs, lists, quotes and tables in reading order. Last,
those become the blocks every format shares (read.document_from_blocks).

trafilatura or readability-lxml, compared on the test pages (tests/pages.py): on
the raw pages readability kept every heading and no chrome but the code, and
gave the <title> whole ("記事｜サイト"); trafilatura kept a profile, a follow
button and an ad, and lost the headings of a page without <article> (its
fallback extractor). With the chrome cut first (below) neither keeps any chrome
and both keep the headings, except those lost ones, which _restore_headings
puts back. On the page with no article, trafilatura gave nothing and
readability an empty summary. trafilatura is used for what it gives besides:
og:title and the site's name, and a tree of head / p / list / item / table.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING

from yomiage.errors import SourceError
from yomiage.source.document import Document
from yomiage.source.plaintext import Block, Line, LineRules, line_rules, tidy
from yomiage.source.ruby import spoken_readings

if TYPE_CHECKING:
    from lxml import etree, html

# Elements never read aloud, whatever their class: page furniture, code and media.
UNREAD_TAGS = (
    "nav", "header", "footer", "aside", "form", "button", "input", "select", "textarea",
    "script", "style", "noscript", "template", "iframe", "object", "embed", "canvas",
    "pre", "figure", "figcaption", "img", "picture", "svg", "video",
    "audio", "map", "dialog", "menu",
)  # fmt: skip
# Words in a class or id (split at - _ and case changes) that name chrome: one table.
CHROME_WORDS = frozenset({
    "nav", "navbar", "navigation", "breadcrumb", "breadcrumbs", "menu", "sidebar", "footer",
    "header", "masthead", "share", "sharing", "social", "sns", "like", "likes", "follow",
    "subscribe", "support", "donate", "donation", "badge", "comment",
    "comments", "reply", "replies", "related", "recommend", "recommended", "popular",
    "ranking", "ad", "ads", "advert", "advertisement", "sponsor", "sponsored", "promo",
    "banner", "tag", "tags", "category", "categories", "profile", "author", "bio",
    "toc", "pager", "pagination", "newsletter", "cookie", "modal", "buttons", "widget",
    "archive", "relatedposts", "yarpp", "adsbygoogle", "sharedaddy",
})  # fmt: skip
# Class names that say chrome only as a whole (their words alone are article words).
CHROME_NAMES = ("table-of-contents", "hatena-star", "share-button", "sns-button", "entry-footer")
# A box whose class says chrome but that holds this share of the page's text or more
# is the article's own container (class="entry has-share-buttons"): kept.
MAX_CHROME_SHARE = 0.4
# Short texts that are always chrome, however they are marked up.
CHROME_TEXTS = re.compile(r"\s*(スポンサーリンク|スポンサードリンク|広告|PR|目次)\s*")
_WORD = re.compile(r"[A-Za-z][a-z]*|[A-Z]+(?![a-z])")
# Title separators sites put between the article's title and their own name.
_TITLE_SEPARATORS = re.compile(r"\s*(?:[|｜\-–—:：/／]|\s-\s)\s*")
_TAXONOMY = re.compile(r"(?:^|\s)(?:tag|category|categories)-\S*")
_HOST = re.compile(r"[A-Za-z0-9.\-:\[\]]+")
_XML_DECLARATION = re.compile(r"\A\ufeff?\s*<\?xml[^>]*\?>")
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_MATCH_CHARS = 20  # of the text after a heading, to find where trafilatura put it


def read_page(
    markup: str,
    name: str,
    *,
    url: str | None = None,
    extra_chrome_patterns: tuple[str, ...] | list[str] = (),
) -> Document:
    """The article in the page `markup`; `name` (the URL or file) is named in errors."""
    import trafilatura
    from lxml import etree, html

    try:
        # The text is decoded already; lxml refuses a str that still declares its bytes'
        # encoding (XHTML such as Aozora Bunko's cards opens <?xml ... encoding="Shift_JIS"?>).
        tree = html.document_fromstring(_XML_DECLARATION.sub("", markup, count=1))
    except (etree.ParserError, ValueError) as error:
        raise SourceError(f"{name}: cannot parse the page ({error})") from None
    meta = _meta(tree)
    readings = spoken_readings(_take_ruby(tree))
    card = _aozora_card(tree)
    if card is not None:  # a work as Aozora Bunko shows it: read as its text file is
        from yomiage.source.aozora import read_aozora_body

        title, author, body = card
        rules = line_rules(extra_chrome_patterns, name)
        document = read_aozora_body(title, author, body, readings, rules, name)
        return dataclasses.replace(document, url=url or meta.get("url"))
    _cut_chrome(tree)
    headings = _headings(tree)
    cleaned = html.tostring(tree, encoding="unicode")
    extracted = trafilatura.extract(
        cleaned,
        url=url,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        include_formatting=False,
        favor_precision=True,
        with_metadata=True,
    )
    if not extracted:
        raise SourceError(f"{name}: no article found in the page")
    doc = etree.fromstring(extracted.encode("utf-8"))
    # trafilatura falls back to the host name, which is no name to say in the intro
    named = doc.get("sitename") or ""
    site = meta.get("site") or (named if named and not _HOST.fullmatch(named) else None)
    found = meta.get("title") or doc.get("title") or meta.get("h1") or meta.get("page") or ""
    if "title" not in meta:  # no og:title: the <h1> may be the site's logo
        found, site = _title_from_page(found, site, meta.get("page") or "")
    title = _article_title(found, site)
    blocks = _restore_headings(
        list(_blocks(doc, line_rules(extra_chrome_patterns, name))), headings
    )
    if not any(not block.level for block in blocks):
        raise SourceError(f"{name}: no article found in the page")
    if blocks and blocks[0].level and blocks[0].text == title:
        blocks = blocks[1:]  # the title as the page shows it (an <h2 class="post-title">)
    from yomiage.source.read import document_from_blocks  # read.py dispatches here

    document = document_from_blocks(
        title or None, blocks, name, readings=readings, stem=_stem(url or name)
    )
    # No author: the intro names a page by its site ("{site}の記事"), never "{author}の作品".
    # A saved page's own address (og:url) is where it came from.
    return Document(document.title, document.sections, readings, None, site, url or meta.get("url"))


# ---------------------------------------------------------------- before extraction

# Aozora Bunko's XHTML: the work in div.main_text, its 見出し as h3-h5 of these classes
# (the sizes aozora.py reads in ［＃「一」は中見出し］); the colophon is outside it.
_AOZORA_HEADINGS = {"o-midashi": "大", "naka-midashi": "中", "ko-midashi": "小"}


def _aozora_card(tree: html.HtmlElement) -> tuple[str | None, str | None, str] | None:
    """(title, author, body as Aozora text lines) of an Aozora Bunko XHTML file."""
    main = tree.find_class("main_text")
    if not main or not tree.find_class("bibliographical_information"):
        return None
    body = main[0]
    for br in body.iter("br"):
        br.tail = "\n" + (br.tail or "")
    for heading in list(body.iter("h3", "h4", "h5")):
        size = next(
            (v for k, v in _AOZORA_HEADINGS.items() if k in (heading.get("class") or "")), "中"
        )
        text = " ".join(heading.text_content().split())
        _replace_with_text(heading, f"\n{text}［＃「{text}」は{size}見出し］\n")
    for gaiji in list(body.iter("img")):  # a character outside JIS, as a picture
        _drop(gaiji)

    return _class_text(tree, "title"), _class_text(tree, "author"), body.text_content()


def _class_text(tree: html.HtmlElement, name: str) -> str | None:
    found = tree.find_class(name)
    text = " ".join(found[0].text_content().split()) if found else ""
    return text or None


def _meta(tree: html.HtmlElement) -> dict[str, str]:
    """og:title, og:site_name and og:url; the first <h1> and the <title>."""
    found: dict[str, str] = {}
    wanted = {
        "og:title": "title",
        "twitter:title": "title",
        "og:site_name": "site",
        "application-name": "site",
        "og:url": "url",
    }
    for element in tree.iter("meta"):
        key = (element.get("property") or element.get("name") or "").strip().lower()
        content = " ".join((element.get("content") or "").split())
        if key in wanted and content and wanted[key] not in found:
            found[wanted[key]] = content
    for heading in tree.iter("h1"):
        text = " ".join(heading.text_content().split())
        if text:
            found["h1"] = text
            break
    title = tree.find(".//title")
    if title is not None and title.text_content().strip():
        found["page"] = " ".join(title.text_content().split())
    return found


def _article_title(title: str, site: str | None) -> str:
    """The article's title without the site's name a page adds to it ("記事 | サイト")."""
    if not site:
        return title
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1 and parts[-1].strip() == site.strip():
        return title[: title.rindex(parts[-1])].rstrip(" |｜-–—:：/／")
    if len(parts) > 1 and parts[0].strip() == site.strip():
        return title[len(parts[0]) :].lstrip(" |｜-–—:：/／")
    return title


def _title_from_page(found: str, site: str | None, page: str) -> tuple[str, str | None]:
    """A <title> of "記事 | サイト" tells which is which: a title found that is its last
    part is the site's name, and the article's title is the rest."""
    parts = [part for part in _TITLE_SEPARATORS.split(page) if part.strip()]
    if len(parts) < 2 or found.strip() not in (parts[0].strip(), parts[-1].strip()):
        return found, site
    if found.strip() == parts[-1].strip():
        return page[: page.rindex(parts[-1])].rstrip(" |｜-–—:：/／"), site or found
    return found, site or parts[-1].strip()


def _take_ruby(tree: html.HtmlElement) -> list[tuple[str, str]]:
    """<ruby>欅<rt>けやき</rt></ruby> -> 欅 in the text, (欅, けやき) recorded; <rp> removed."""
    pairs: list[tuple[str, str]] = []
    for ruby in list(tree.iter("ruby")):
        readings = "".join(rt.text_content() for rt in ruby.iter("rt"))
        for part in [*ruby.iter("rt"), *ruby.iter("rp"), *ruby.iter("rtc")]:
            _drop(part)
        written = ruby.text_content()
        if written.strip() and readings.strip():
            pairs.append((written.strip(), readings.strip()))
        _replace_with_text(ruby, written)
    return pairs


def _cut_chrome(tree: html.HtmlElement) -> None:
    for element in list(tree.iter(*UNREAD_TAGS)):
        if element.getparent() is not None:
            _drop(element)
    total = max(1, len(tree.text_content().strip()))
    for element in list(tree.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        if element.tag in ("html", "body", "main", "article"):
            continue
        if _is_chrome_box(element, total):
            _drop(element)
    for element in list(tree.iter()):  # hidden and ARIA-marked chrome
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        role = (element.get("role") or "").lower()
        hidden = element.get("hidden") is not None or element.get("aria-hidden") == "true"
        if hidden or role in ("navigation", "banner", "contentinfo", "complementary", "button"):
            _drop(element)


def _is_chrome_box(element: etree._Element, total: int) -> bool:
    """Named as chrome and not the bulk of the page, or only a chrome word (スポンサーリンク)."""
    text = element.text_content()
    if CHROME_TEXTS.fullmatch(text):
        return True
    return _says_chrome(element) and len(text.strip()) < MAX_CHROME_SHARE * total


def _says_chrome(element: etree._Element) -> bool:
    names = f"{element.get('class') or ''} {element.get('id') or ''}"
    # WordPress marks the post itself "category-news tag-python": those name its topics.
    names = _TAXONOMY.sub(" ", names)
    words = {word.lower() for word in _WORD.findall(names)}
    return bool(words & CHROME_WORDS) or any(name in names for name in CHROME_NAMES)


def _drop(element: etree._Element) -> None:
    """Remove `element` and what it holds, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _replace_with_text(element: etree._Element, text: str) -> None:
    element.tail = text + (element.tail or "")
    _drop(element)


def _headings(tree: html.HtmlElement) -> list[tuple[int, str, str]]:
    """(level, text, the start of the text after it) of each heading left in the page."""
    found = []
    for heading in tree.iter(*HEADING_TAGS):
        text = " ".join(heading.text_content().split())
        after = []
        for element in heading.itersiblings():
            if isinstance(element.tag, str) and element.tag in HEADING_TAGS:
                break
            after.append(element.text_content())
            if "".join(after).strip():
                break
        following = tidy(" ".join("".join(after).split()))[:_MATCH_CHARS]
        if text and following:
            found.append((int(heading.tag[1]), text, following))
    return found


def _restore_headings(blocks: list[Block], headings: list[tuple[int, str, str]]) -> list[Block]:
    """Headings trafilatura left out (its fallback extractors drop them on some pages),
    put back before the paragraph that followed them in the page."""
    present = {block.text for block in blocks if block.level}
    for level, text, following in headings:
        if text in present:
            continue
        for index, block in enumerate(blocks):
            if not block.level and block.text.startswith(following):
                line = Line(block.line, tidy(text))
                blocks.insert(index, Block((line,), level))
                present.add(text)
                break
    return blocks


# ---------------------------------------------------------------- after extraction


def _blocks(doc: etree._Element, rules: LineRules) -> list[Block]:
    """trafilatura's XML in order: <head rend="h2">, <p>, <list>/<item>, <quote>, <table>.
    The items of one list make one block, a line each, as in Markdown."""
    main = doc.find("main")
    blocks: list[Block] = []
    if main is None:
        return blocks
    open_list: etree._Element | None = None  # the list whose items the last block holds
    for number, element in enumerate(main.iter("head", "p", "item", "row", "quote"), start=1):
        if _inside(element, {"item", "row", "code"}):
            continue
        if element.tag == "quote" and element.find(".//p") is not None:
            continue  # its paragraphs come one by one
        lines = [tidy(line) for line in _text(element).split("\n")]
        kept = [line for line in lines if line and not rules.is_chrome(line)]
        kept = [line for line in kept if not rules.is_separator(line)]
        if not kept:
            continue
        if element.tag == "head":
            rend = element.get("rend") or "h2"
            level = int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2
            blocks.append(Block((Line(number, " ".join(kept)),), level))
        elif element.tag == "row":
            blocks.append(Block((Line(number, "、".join(kept)),)))
        elif element.tag == "item":
            new = tuple(Line(number, line) for line in kept)
            if open_list is not None and open_list is element.getparent():
                blocks[-1] = Block(blocks[-1].lines + new, is_list=True)
            else:
                blocks.append(Block(new, is_list=True))
            open_list = element.getparent()
            continue
        else:
            blocks.append(Block(tuple(Line(number, line) for line in kept)))
        open_list = None
    return blocks


def _inside(element: etree._Element, tags: set[str]) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _text(element: etree._Element) -> str:
    """The element's text; <lb/> is a line break, a table's cells a line each."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag == "cell":
            parts.append(_text(child) + "\n")
        else:  # inline code in a sentence is a word of it (a block of code is cut earlier)
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _stem(where: str) -> str:
    """A name for a page without any title: the last part of its path."""
    return re.sub(r"\.[A-Za-z]+$", "", where.rstrip("/").rsplit("/", 1)[-1]) or where
