"""script.yaml: the episode's script as a person reads and edits it, and reads back.

A build writes the script it made; `yomiage build EPISODE_DIR` and `yomiage
regen` read the (edited) file back. Reading checks everything a hand edit can
break and names the line: invalid YAML, a missing title, a chapter with no text,
a repeated chapter id, a key that is not ours.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from yomiage.errors import ScriptError
from yomiage.files import safeyaml, userfile
from yomiage.script.build import Chapter, Script, chapter_id
from yomiage.speech.split import is_speakable

HEADER = (
    "# yomiage episode script: what the episode says, chapter by chapter.\n"
    "# Edit it, then run `yomiage build <this folder>`: only the sentences you\n"
    "# changed are spoken again. Each paragraph is one item; sentences are cut\n"
    "# at 。！？ and line breaks. Chapter ids name the chapters in the MP3.\n"
)
TOP_KEYS = ("title", "description", "readings", "chapters")
CHAPTER_KEYS = ("id", "title", "role", "paragraphs")
# A chapter id is written into the MP3 (CHAP element id): short printable ASCII.
_CHAPTER_ID = re.compile(r"[A-Za-z0-9_\-]{1,32}")
RESERVED_IDS = frozenset({"toc"})  # the table of contents' own id
_LATIN = re.compile(r"[A-Za-z]")


def script_to_yaml(script: Script) -> str:
    data: dict[str, object] = {"title": script.title, "description": script.description}
    if script.readings:
        data["readings"] = dict(script.readings)
    data |= {
        "chapters": [
            {"id": c.id, "title": c.title, "role": c.role, "paragraphs": list(c.paragraphs)}
            for c in script.chapters
        ],
    }
    body = yaml.dump(data, Dumper=_ScriptDumper, allow_unicode=True, sort_keys=False, width=10_000)
    return HEADER + body


class _ScriptDumper(yaml.SafeDumper):
    """Writes text with line breaks as a literal block (|), as a person would type it."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_ScriptDumper.add_representer(str, _represent_text)


# ---------------------------------------------------------------- reading back


def read_script(path: Path) -> Script:
    """The script in `path`, checked; ScriptError names the file and line of any problem."""
    try:
        text = userfile.read_text(path)
    except FileNotFoundError:
        raise ScriptError(f"{path}: no script.yaml here; is this an episode folder?") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"{path}: cannot read the script ({exc})") from None
    return parse_script(text, str(path))


def parse_script(text: str, name: str) -> Script:
    root = safeyaml.compose(text, name, ScriptError)
    if root is None:
        raise ScriptError(f"{name}: the script is empty")
    top = _mapping(root, name, "the script", TOP_KEYS)
    if "chapters" not in top:
        raise ScriptError(f"{_at(name, root)}: the script has no 'chapters' list")
    chapter_nodes = top["chapters"]
    if not isinstance(chapter_nodes, yaml.SequenceNode) or not chapter_nodes.value:
        raise ScriptError(f"{_at(name, chapter_nodes)}: 'chapters' must be a list of chapters")
    chapters = [
        _chapter(node, number, name) for number, node in enumerate(chapter_nodes.value, start=1)
    ]
    _give_ids(chapters, chapter_nodes.value, name)
    title = _text(top.get("title"), name, "the episode's 'title'", root)
    description = _optional_text(top.get("description"), name, "'description'")
    readings = _readings(top.get("readings"), name)
    return Script(title=title, description=description, chapters=tuple(chapters), readings=readings)


def _readings(node: yaml.Node | None, name: str) -> tuple[tuple[str, str], ...]:
    """`readings:`, a mapping of word: reading (kana); absent or empty is none."""
    if node is None or (isinstance(node, yaml.ScalarNode) and not str(node.value).strip()):
        return ()
    if not isinstance(node, yaml.MappingNode):
        raise ScriptError(f"{_at(name, node)}: 'readings' must be a mapping of word: reading")
    readings: dict[str, str] = {}
    for key_node, value_node in node.value:
        word = _text(key_node, name, "a word in 'readings'")
        if word in readings:
            raise ScriptError(f"{_at(name, key_node)}: 'readings': {word!r} is given twice")
        reading = _text(value_node, name, f"the reading of {word!r} in 'readings'", key_node)
        if _LATIN.search(reading):
            raise ScriptError(f"{_at(name, value_node)}: the reading of {word!r} must be kana")
        readings[word] = reading
    return tuple(readings.items())


def _chapter(node: yaml.Node, number: int, name: str) -> Chapter:
    what = f"chapter {number}"
    fields = _mapping(node, name, what, CHAPTER_KEYS)
    title = _text(fields.get("title"), name, f"{what}'s 'title'", node)
    what = f"chapter {number} ({title})"
    paragraphs_node = fields.get("paragraphs")
    if not isinstance(paragraphs_node, yaml.SequenceNode):
        where = _at(name, paragraphs_node or node)
        raise ScriptError(f"{where}: {what} needs 'paragraphs', a list of texts to speak")
    paragraphs = tuple(
        _text(item, name, f"a paragraph of {what}") for item in paragraphs_node.value
    )
    if not any(is_speakable(p) for p in paragraphs):
        raise ScriptError(f"{_at(name, paragraphs_node)}: {what} has no text to speak")
    role = _text(fields["role"], name, f"{what}'s 'role'") if "role" in fields else "topic"
    given_id = _text(fields["id"], name, f"{what}'s 'id'") if "id" in fields else ""
    if given_id and (not _CHAPTER_ID.fullmatch(given_id) or given_id in RESERVED_IDS):
        raise ScriptError(
            f"{_at(name, fields['id'])}: {what}: id {given_id!r} must be 1 to 32 ASCII "
            "letters, digits, - or _ (and not 'toc')"
        )
    return Chapter(id=given_id, title=title, role=role, paragraphs=paragraphs)


def _give_ids(chapters: list[Chapter], nodes: list[yaml.Node], name: str) -> None:
    """Check ids are unique; a chapter added without one gets the first free chNN."""
    seen: dict[str, int] = {}
    for number, (chapter, node) in enumerate(zip(chapters, nodes, strict=True), start=1):
        if chapter.id in seen:
            raise ScriptError(
                f"{_at(name, node)}: chapter {number} ({chapter.title}) has id "
                f"{chapter.id!r}, already used by chapter {seen[chapter.id]}"
            )
        if chapter.id:
            seen[chapter.id] = number
    taken = set(seen)
    for index, chapter in enumerate(chapters):
        if not chapter.id:
            number = index + 1
            while chapter_id(number) in taken:
                number += 1
            taken.add(chapter_id(number))
            chapters[index] = Chapter(
                chapter_id(number), chapter.title, chapter.role, chapter.paragraphs
            )


def _mapping(node: yaml.Node, name: str, what: str, keys: tuple[str, ...]) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        raise ScriptError(f"{_at(name, node)}: {what} must be a mapping of {', '.join(keys)}")
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key not in keys:
            raise ScriptError(
                f"{_at(name, key_node)}: {what}: unknown key {safeyaml.quoted_key(key)} "
                f"(known: {', '.join(keys)})"
            )
        if key in fields:  # YAML would keep only the last one: an edit would vanish
            raise ScriptError(f"{_at(name, key_node)}: {what}: '{key}' is given twice")
        fields[key] = value_node
    return fields


def _text(node: yaml.Node | None, name: str, what: str, parent: yaml.Node | None = None) -> str:
    """A scalar as text (a number is fine as text); blank or missing is an error."""
    if node is None:
        raise ScriptError(f"{_at(name, parent)}: {what} is missing")
    if not isinstance(node, yaml.ScalarNode):
        raise ScriptError(f"{_at(name, node)}: {what} must be text")
    value = str(node.value)
    is_null = node.tag == "tag:yaml.org,2002:null" or (
        node.style is None and value in ("", "~", "null", "Null", "NULL")
    )
    if is_null or not value.strip():
        raise ScriptError(f"{_at(name, node)}: {what} is empty")
    return value.strip("\n") if node.style in ("|", ">") else value


def _optional_text(node: yaml.Node | None, name: str, what: str) -> str:
    if node is None or (
        isinstance(node, yaml.ScalarNode)
        and (node.tag == "tag:yaml.org,2002:null" or not str(node.value).strip())
    ):
        return ""
    return _text(node, name, what)


def _at(name: str, node: yaml.Node | None) -> str:
    return f"{name}:{node.start_mark.line + 1}" if node is not None else name
