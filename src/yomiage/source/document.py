"""The parsed source document: what source.py produces and script.py consumes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Role(str, Enum):
    """What a section is for; the script builder orders chapters by role."""

    LEAD = "lead"  # untitled opening text that is not the author's impressions
    OVERVIEW = "overview"  # 要約, 概要, summary
    TOPIC = "topic"  # any ordinary section
    IMPRESSIONS = "impressions"  # 感想: the author's own view
    CLOSING = "closing"  # まとめ, おわりに


@dataclass(frozen=True)
class Section:
    """One part of the document: an optional heading and its paragraphs.

    `paragraphs` hold plain text ready for the ear: no Markdown markup, no code,
    no bare URLs. `line` is the 1-based source line where the section starts, so
    errors and reviews can point at it.
    """

    heading: str | None
    role: Role
    paragraphs: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Document:
    """`readings` are (written word, its reading) pairs the document gives itself (ruby):
    each applies wherever the word appears. `url` and `site` are set for a web page,
    `author` where the source names one (an Aozora Bunko header)."""

    title: str
    sections: tuple[Section, ...]
    readings: tuple[tuple[str, str], ...] = ()
    author: str | None = None
    site: str | None = None
    url: str | None = None
