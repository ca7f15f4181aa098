"""Document + settings -> Script: the episode's chapters in the order they are spoken.

The order is intro, then the document's sections by role (lead, overview,
topics in source order, the author's impressions, closing; settable), then the
outro. scriptfile.py writes it to script.yaml, where a person can read and edit it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yomiage.config import Config, ScriptSettings
from yomiage.errors import ConfigError
from yomiage.source.document import Document, Role, Section
from yomiage.speech.split import split_sentences

INTRO, OUTRO, PART = "intro", "outro", "part"
# A filled template is spoken: longer than this is a mistake (a huge title in it), not a script.
MAX_FILLED_CHARS = 20_000


@dataclass(frozen=True)
class Chapter:
    id: str
    title: str
    role: str  # a Role value, or intro / outro / part
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Script:
    """`readings` are the document's own (ruby): (written word, reading), spoken
    wherever the word is, below the user's and the episode's lexicons."""

    title: str
    description: str
    chapters: tuple[Chapter, ...]
    readings: tuple[tuple[str, str], ...] = ()


def build_script(document: Document, config: Config) -> Script:
    settings = config.script
    show, host = config.show.name, config.show.host
    body = [
        _with_lead(chapter_lead(config, title), title, role, paras)
        for title, role, paras in _body(document, settings)
    ]
    title = config.episode.title or document.title
    titles = [chapter_title for chapter_title, _, _ in body]
    # Titles that only number the chapters (Aozora's 一, 二; パート1) tell a listener
    # nothing: the template lines that would list them are not said.
    listing = not all(_only_numbers(t, settings) for t in titles)
    fields = {
        "show": show,
        "host": host,
        "title": title,
        "chapter_list": _chapter_list(titles),
        "chapter_count": str(len(body)),
    }
    fields["source"] = config.episode.source or _source_phrase(document, settings, fields)
    intro = _template_paragraphs("intro", settings.intro, fields, listing)
    outro = _template_paragraphs("outro", settings.outro, fields, listing)
    parts = [(settings.titles[INTRO], INTRO, intro), *body, (settings.titles[OUTRO], OUTRO, outro)]
    spoken = [part for part in parts if part[2]]
    # Numbered from 1, as `yomiage chapters` lists them and `regen --chapter` takes them.
    chapters = tuple(
        Chapter(id=chapter_id(number), title=chapter_title, role=role, paragraphs=paragraphs)
        for number, (chapter_title, role, paragraphs) in enumerate(spoken, start=1)
    )
    description = config.episode.description or _describe(document)
    return Script(
        title=title, description=description, chapters=chapters, readings=document.readings
    )


def _source_phrase(document: Document, settings: ScriptSettings, fields: dict[str, str]) -> str:
    """Where the text comes from: the page's site, else the work's author, else the phrase."""
    if document.site:
        return _fill("site_phrase", settings.site_phrase, site=document.site)
    if document.author:
        return _fill("author_phrase", settings.author_phrase, author=document.author)
    return _fill("source_phrase", settings.source_phrase, **fields)


def chapter_id(number: int) -> str:
    return f"ch{number:02d}"


def chapter_lead(config: Config, title: str) -> str:
    """What is said before a chapter's text: its title, as the show says it."""
    return _fill(
        "chapter_lead",
        config.script.chapter_lead,
        show=config.show.name,
        host=config.show.host,
        title=title,
    )


def host_lines(script: Script, config: Config) -> frozenset[tuple[int, int]]:
    """(chapter, paragraph) of the lines the show speaks, not the article.

    The intro, the outro and each chapter's lead (its spoken title, as long as
    script.yaml still has it as the chapter's first paragraph).
    """
    lines: set[tuple[int, int]] = set()
    for index, chapter in enumerate(script.chapters):
        if chapter.role in (INTRO, OUTRO):
            lines.update((index, paragraph) for paragraph in range(len(chapter.paragraphs)))
        elif chapter.paragraphs and chapter.paragraphs[0] == chapter_lead(config, chapter.title):
            lines.add((index, 0))
    return frozenset(lines)


# The intro previews at most this many chapter titles, then says など.
PREVIEW_TITLES = 5


def _chapter_list(titles: list[str]) -> str:
    listed = "、".join(f"「{t}」" for t in titles[:PREVIEW_TITLES])
    return listed + ("など" if len(titles) > PREVIEW_TITLES else "")


def _body(document: Document, settings: ScriptSettings) -> list[tuple[str, str, tuple[str, ...]]]:
    """The document's sections as (title, role, paragraphs), ordered by role."""
    sections = [s for s in document.sections if s.paragraphs]
    if len(sections) == 1 and sections[0].heading is None:
        return _split_headingless(sections[0], settings)
    rank = {role: index for index, role in enumerate(settings.order)}
    # Roles left out of script.order keep their place after the listed ones.
    ordered = sorted(sections, key=lambda s: rank.get(s.role.value, len(rank)))
    return [(_title(s, settings), s.role.value, s.paragraphs) for s in ordered]


def _title(section: Section, settings: ScriptSettings) -> str:
    if section.heading:
        return section.heading
    return settings.titles.get(section.role.value) or settings.titles[Role.LEAD.value]


def _split_headingless(
    section: Section, settings: ScriptSettings
) -> list[tuple[str, str, tuple[str, ...]]]:
    """A document with no headings: chapters of about max_chapter_chars, cut at paragraphs."""
    chunks: list[list[str]] = [[]]
    for paragraph in section.paragraphs:
        if chunks[-1] and sum(map(len, chunks[-1])) + len(paragraph) > settings.max_chapter_chars:
            chunks.append([])
        chunks[-1].append(paragraph)
    if len(chunks) == 1:
        return [(_title(section, settings), section.role.value, tuple(chunks[0]))]
    return [
        (_fill("titles.part", settings.titles[PART], number=str(number)), PART, tuple(chunk))
        for number, chunk in enumerate(chunks, start=1)
    ]


def _with_lead(
    lead: str, title: str, role: str, paragraphs: tuple[str, ...]
) -> tuple[str, str, tuple[str, ...]]:
    """Say the chapter's title before its text, so a listener knows where they are."""
    return title, role, (lead, *paragraphs) if lead.strip() else paragraphs


def _template_paragraphs(
    key: str, template: str, fields: dict[str, str], listing: bool = True
) -> tuple[str, ...]:
    """A filled template; each of its lines is a paragraph. Without `listing`, the
    lines that list the chapters are left out."""
    if not listing:
        template = "\n".join(line for line in template.splitlines() if "{chapter_list}" not in line)
    text = _fill(key, template, **fields)
    return tuple(line.strip() for line in text.splitlines() if line.strip())


# A bare number and nothing else: 一, 3, ３, Ⅳ, IV. (第二章 or 一章 still says
# what the part is, and stays listed.)
_NUMBER_ONLY = re.compile(r"[〇零一二三四五六七八九十百千]+|[0-9０-９]+|[ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫ]+|[IVX]+")


def _only_numbers(title: str, settings: ScriptSettings) -> bool:
    """Whether a chapter's title only numbers it (a headingless part's too)."""
    text = title.strip().rstrip("。．.、")
    if _NUMBER_ONLY.fullmatch(text):
        return True
    before, number, after = settings.titles["part"].partition("{number}")
    middle = text.removeprefix(before).removesuffix(after)
    return bool(number) and text != middle and middle.isdigit()


def _fill(key: str, template: str, **fields: str) -> str:
    """script.`key` filled in; config.py refused format specs, so only the fields add length."""
    text = template.format(**fields)
    if len(text) > MAX_FILLED_CHARS:
        raise ConfigError(
            f"script.{key} filled in is {len(text):,} characters, over {MAX_FILLED_CHARS:,}: "
            "is a title or a template far too long?"
        )
    return text


def _describe(document: Document, max_chars: int = 200) -> str:
    """The episode description: the first sentences of the overview, or of the first section."""
    sections = sorted(document.sections, key=lambda s: s.role is not Role.OVERVIEW)
    sentences = [
        s for section in sections[:1] for p in section.paragraphs for s in split_sentences(p)
    ]
    description = ""
    for sentence in sentences:
        if description and len(description) + len(sentence) > max_chars:
            break
        description += sentence
    return description or document.title
