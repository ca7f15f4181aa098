"""What a run may do to an episode folder: one run at a time, whole files, no orphans.

Real processes where the question is about processes: a second `yomiage` run
against a held lock, a build killed with SIGTERM or SIGKILL in the middle of
Open JTalk's synthesis (its workers are looked up in /proc), a real ffmpeg made
to talk on stderr while it encodes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fakes import FakeEngine
from typer.testing import CliRunner

from yomiage.cli import app
from yomiage.config import load_config
from yomiage.episode import (
    BuildResult,
    build_episode,
)

runner = CliRunner()

ARTICLE = (
    "# 記事\n\n"
    "## 一章\n\n一つ目の文です。二つ目の文です。\n\n"
    "## 二章\n\n三つ目の文です。四つ目の文です。\n"
)


def _built(tmp_path: Path, name: str = "article", text: str = ARTICLE) -> BuildResult:
    source = tmp_path / f"{name}.md"
    source.write_text(text, encoding="utf-8")
    return build_episode(source, load_config(), tmp_path / "out", engine=FakeEngine())


def _yomiage(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own."""
    command = [sys.executable, "-m", "yomiage.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _one_line_error(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 1, done.stderr
    assert words in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# ---------------------------------------------------------------- chapters named oddly


def test_regen_of_a_superscript_digit_is_one_line(tmp_path: Path) -> None:
    folder = _built(tmp_path).mp3.parent
    done = runner.invoke(app, ["regen", str(folder), "--chapter", "²"])
    assert done.exit_code == 1
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert "no chapter '²'" in done.stderr
