"""The readings lexicon: how to say a name or term, from YAML, applied before any engine.

Three layers, each overriding the one before: the lexicon shipped with yomiage
(data/readings.yaml), the user's own for every episode
(~/.config/yomiage/readings.yaml, or the file YOMIAGE_READINGS names), and the
episode's (readings.yaml in its folder). An entry is

    surface: reading                      # Latin: whole words, any case
    surface: {reading: ..., case: exact, whole_word: false}

A surface with no reading ("") is a placeholder still to fill in (`yomiage
readings --write` adds them): it is ignored. Across all layers the longest
surface wins, so an entry for "Altman" does not change a shipped "Sam Altman":
add "Sam Altman" too.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from yomiage.errors import ConfigError
from yomiage.files import safeyaml, userfile

READINGS_FILE = "readings.yaml"
DEFAULT_NAME = "yomiage/data/readings.yaml"
ENTRY_KEYS = ("reading", "case", "whole_word")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(frozen=True)
class Entry:
    surface: str  # NFKC, as it is matched
    reading: str
    exact_case: bool
    whole_word: bool
    origin: str  # file:line, for the review table and messages

    @property
    def key(self) -> str:
        return self.surface if self.exact_case else self.surface.casefold()


class Lexicon:
    """Entries by surface; later entries override earlier ones with the same surface."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._exact: dict[str, Entry] = {}
        self._folded: dict[str, Entry] = {}
        for entry in entries:
            # An entry replaces any earlier one of the same surface, whatever its case rule.
            self._exact.pop(entry.surface, None)
            self._folded.pop(entry.surface.casefold(), None)
            (self._exact if entry.exact_case else self._folded)[entry.key] = entry
        self._pattern = _compile(self.entries())

    def entries(self) -> list[Entry]:
        return [*self._exact.values(), *self._folded.values()]

    def __len__(self) -> int:
        return len(self._exact) + len(self._folded)

    def apply(self, text: str) -> str:
        """`text` with every surface replaced by its reading (longest match first)."""
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.entry_for(m.group()).reading, text)

    def hits(self, text: str) -> Iterator[Entry]:
        """The entries `text` uses, in order of appearance."""
        if self._pattern is not None:
            for match in self._pattern.finditer(text):
                yield self.entry_for(match.group())

    def entry_for(self, matched: str) -> Entry:
        matched = " ".join(matched.split())  # surfaces of several words match any spacing
        return self._exact.get(matched) or self._folded[matched.casefold()]

    @classmethod
    def parse(cls, text: str, name: str) -> Lexicon:
        """The entries of one lexicon file's text; ConfigError names the line of a problem."""
        return cls(_parse(text, name))

    @classmethod
    def load(cls, *paths: Path, document: Iterable[tuple[str, str]] = ()) -> Lexicon:
        """The shipped lexicon, then the document's readings, then each of `paths` that
        exists, in order."""
        shipped = resources.files("yomiage") / "data" / READINGS_FILE
        entries = list(_parse(shipped.read_text("utf-8"), DEFAULT_NAME))
        entries.extend(document_entries(document))
        for path in paths:
            if path.exists():  # a FIFO or folder in its place is an error, not "no readings"
                entries.extend(_parse(_read(path), str(path)))
        return cls(entries)


def user_lexicon_path() -> Path:
    """The user's lexicon for every episode: $YOMIAGE_READINGS, else under XDG_CONFIG_HOME."""
    if named := os.environ.get("YOMIAGE_READINGS"):
        path = Path(named).expanduser()
        if not path.is_file():  # a typo here would silently drop every reading in it
            raise ConfigError(f"YOMIAGE_READINGS names {path}, which is not a file")
        return path
    config_home = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config_home) / "yomiage" / READINGS_FILE


def lexicon_for(folder: Path | None, document: Iterable[tuple[str, str]] = ()) -> Lexicon:
    """Shipped, then the document's own (its ruby), then the user's, then the episode
    folder's readings: a person's lexicon corrects a document's reading, not the reverse."""
    paths = [user_lexicon_path()]
    if folder is not None:
        paths.append(folder / READINGS_FILE)
    return Lexicon.load(*paths, document=document)


DOCUMENT = "document"  # the origin of a reading the document gives (ruby)


def document_entries(readings: Iterable[tuple[str, str]]) -> Iterator[Entry]:
    """The document's (written word, reading) pairs as entries: exact, inside words too."""
    for written, reading in readings:
        surface = unicodedata.normalize("NFKC", written).strip()
        said = unicodedata.normalize("NFKC", reading).strip()
        if surface and said and not _LATIN.search(said):
            yield Entry(surface, said, exact_case=True, whole_word=False, origin=DOCUMENT)


def _compile(entries: list[Entry]) -> re.Pattern[str] | None:
    if not entries:
        return None
    alternatives = [_alternative(e) for e in sorted(entries, key=lambda e: -len(e.surface))]
    return re.compile("|".join(alternatives))


def _alternative(entry: Entry) -> str:
    body = r"\s+".join(re.escape(word) for word in entry.surface.split())  # Sam  Altman too
    if not entry.exact_case:
        body = f"(?i:{body})"
    first, last = entry.surface[0], entry.surface[-1]
    # A number is never cut: 1日 is not the end of 11日, GPT-4 not the start of GPT-4.1.
    if first.isdigit():
        body = r"(?<![0-9])" + body
    if last.isdigit():
        body += r"(?![0-9]|\.[0-9])"
    if entry.whole_word:  # no letter may touch a Latin edge: AI, not AIM or MAIL
        if first.isascii() and first.isalpha():
            body = r"(?<![A-Za-z])" + body
        if last.isascii() and last.isalpha():
            body += r"(?![A-Za-z])"
    return body


# ---------------------------------------------------------------- reading YAML


def _read(path: Path) -> str:
    try:
        return userfile.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the readings ({exc})") from None


def _parse(text: str, name: str) -> Iterator[Entry]:
    root = safeyaml.compose(text, name, ConfigError)
    if root is None:
        return
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{name}:1: readings must be a mapping of surface: reading")
    seen: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        where = f"{name}:{line}"
        if not isinstance(key_node, yaml.ScalarNode):
            raise ConfigError(f"{where}: a surface must be text")
        surface = unicodedata.normalize("NFKC", str(key_node.value)).strip()
        if not surface:
            raise ConfigError(f"{where}: an empty surface")
        entry = _entry(surface, value_node, where)
        # Latin surfaces match in any case by default: Foo and foo are the same entry.
        same = surface if entry is None or entry.exact_case else surface.casefold()
        if same in seen:
            raise ConfigError(f"{where}: '{surface}' is given twice (also line {seen[same]})")
        seen[same] = line
        if entry is not None:
            yield entry


def _entry(surface: str, node: yaml.Node, where: str) -> Entry | None:
    latin = _LATIN.search(surface) is not None
    options: dict[str, str] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in ENTRY_KEYS or not isinstance(value_node, yaml.ScalarNode):
                known = ", ".join(ENTRY_KEYS)
                raise ConfigError(f"{where}: '{surface}': unknown option '{key}' (known: {known})")
            options[key] = str(value_node.value)
    elif isinstance(node, yaml.ScalarNode):
        options["reading"] = "" if node.tag.endswith(":null") else str(node.value)
    else:
        raise ConfigError(f"{where}: '{surface}': give a reading, or a mapping with 'reading'")
    reading = unicodedata.normalize("NFKC", options.get("reading", "")).strip()
    if not reading:
        return None  # a stub from `yomiage readings --write`, not filled in yet
    if _LATIN.search(reading):
        # the value is not repeated: a file linked here by mistake may hold a secret
        raise ConfigError(f"{where}: '{surface}': the reading must be kana, not Latin letters")
    case = options.get("case", "any" if latin else "exact")
    if case not in ("any", "exact"):
        raise ConfigError(f"{where}: '{surface}': case must be 'any' or 'exact', not {case!r}")
    whole = options.get("whole_word", "true" if latin else "false").lower()
    if whole not in ("true", "false"):
        raise ConfigError(f"{where}: '{surface}': whole_word must be true or false")
    return Entry(surface, reading, case == "exact", whole == "true", where)
