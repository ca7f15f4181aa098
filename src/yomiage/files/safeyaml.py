"""Every YAML yomiage reads goes through this one loader, which has limits.

Settings, scripts, readings and front matter are small, hand-written and shallow.
None of them needs anchors and aliases, and aliases are what let a few hundred
bytes (a "billion laughs" file) expand into gigabytes. So an alias is refused, and
the text's size and nesting depth are capped. A refusal is a YAML error with a
line, so callers report it as `file:line: invalid YAML (...)` like any other.
Dates stay text: a bad date gets the caller's message, not a crash.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from yomiage.errors import YomiageError

# A long book's script.yaml is well under 2 MB; the pure-Python parser takes seconds there.
MAX_CHARS = 2_000_000
MAX_DEPTH = 20  # settings nest 3 deep, a script 4


class LimitError(yaml.MarkedYAMLError):
    """The YAML is well formed but beyond what yomiage accepts."""


class _Loader(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Any = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            problem = f"alias *{event.anchor}: yomiage's YAML files do not use anchors and aliases"
            raise LimitError(problem=problem, problem_mark=mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                problem = f"nested more than {MAX_DEPTH} levels deep"
                raise LimitError(problem=problem, problem_mark=mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _date_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _date_as_text)


def parse(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree (for line numbers); yaml.YAMLError when bad or too big."""
    if len(text) > MAX_CHARS:
        line = text.count("\n", 0, MAX_CHARS) + 1
        mark = yaml.Mark("", MAX_CHARS, line - 1, 0, None, 0)
        raise LimitError(problem=f"longer than {MAX_CHARS:,} characters", problem_mark=mark)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, node


def safe_load(text: str) -> Any:
    """yaml.safe_load with the limits; raises yaml.YAMLError."""
    return parse(text)[0]


def load(text: str, name: str, error: type[YomiageError]) -> tuple[Any, yaml.Node | None]:
    """parse(), with any problem raised as `error("name:line: invalid YAML (...)")`."""
    try:
        return parse(text)
    except yaml.YAMLError as exc:
        raise error(error_message(exc, text, name)) from None


def compose(text: str, name: str, error: type[YomiageError]) -> yaml.Node | None:
    """The node tree alone, for readers that check each node and name its line."""
    return load(text, name, error)[1]


def error_message(exc: yaml.YAMLError, text: str, name: str) -> str:
    """`name:line: invalid YAML (what)`, for parser errors and bad characters alike.

    Only PyYAML's description of the problem is quoted, never the text itself:
    a file read by mistake (a symlink to a secret) must not end up on screen.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        line: int | None = mark.line + 1
    elif isinstance(exc, yaml.reader.ReaderError):  # a control character: only an offset
        line = text.count("\n", 0, exc.position) + 1
    else:
        line = None
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "cannot parse"
    return (
        f"{name}:{line}: invalid YAML ({problem})" if line else f"{name}: invalid YAML ({problem})"
    )


# What a key someone typed looks like; anything else may be a line of a file
# read by mistake (a script.yaml linked to /etc/shadow) and is not repeated.
_KEY_LIKE = re.compile(r"[\w.\-]{1,40}")


def quoted_key(key: str) -> str:
    """'key' for an error message, or a description of it when it does not look like a key."""
    return f"'{key}'" if _KEY_LIKE.fullmatch(key) else "<not shown: not a key name>"
