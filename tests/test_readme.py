"""The README's two set-up commands stay true: CI runs the test command verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", quick_start)


def test_quick_start_has_a_build_command_and_a_test_command() -> None:
    build, test = _commands()
    assert "yomiage build seeds/" in build
    seed = build.split("yomiage build ", 1)[1].split()[0]
    assert (ROOT / seed).is_file()
    assert "'.[test]'" in test and test.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, test = _commands()
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci_lines


def test_the_readme_and_the_package_layout_name_the_same_stages() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    how = readme.split("## How it works", 1)[1].split("\n## ", 1)[0]
    described = set(re.findall(r"^\| `(\w+)/` \|", how, flags=re.M))
    packages = {p.parent.name for p in (ROOT / "src" / "yomiage").glob("*/__init__.py")}
    assert described == packages - {"files"}  # files/ is shared plumbing, not a stage
    folders = [p for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name[0] not in "_."]
    tests = {p.name for p in folders if p.name != "data"}
    assert tests <= packages  # tests/ mirrors the folders
