"""Every package the code imports is declared in pyproject.toml, so an install has it."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # standard library from Python 3.11

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "yomiage").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"yomiage", "__future__"}


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    return {
        _canonical(re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0])
        for spec in project["dependencies"]
    }


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_package_is_a_declared_dependency() -> None:
    distributions = packages_distributions()
    declared = _declared()
    missing = sorted(
        module
        for module in _imported_modules()
        if not declared & {_canonical(d) for d in distributions.get(module, [module])}
    )
    assert missing == []
