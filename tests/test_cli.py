"""The command line: the build contract, and every bad input as one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from yomiage import __version__
from yomiage.cli import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_build_prints_the_mp3_path_last_and_progress_on_stderr(tmp_path: Path) -> None:
    source = tmp_path / "note.txt"
    source.write_text("短い記事\n\n要約\n\nこれは短い記事です。\n", encoding="utf-8")
    code, out, err = _run(
        "build", str(source), "--out", str(tmp_path / "eps"), "--engine", "openjtalk"
    )
    assert code == 0, err
    mp3 = Path(out.strip().splitlines()[-1])
    assert mp3 == tmp_path / "eps" / "note" / "episode.mp3"
    assert mp3.stat().st_size > 10_000
    assert "done" in err and "chapters" in err
    assert str(mp3) not in err


def test_version_and_help() -> None:
    assert _run("--version")[1].strip() == f"yomiage {__version__}"
    code, out, _ = _run("build", "--help")
    assert code == 0 and "--engine" in out and "--config" in out


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (arguments, what the one error line must say)."""
    (tmp / "empty.txt").write_text("   \n\n", encoding="utf-8")
    (tmp / "chrome.txt").write_text("見出し画像\n\nスキ\n", encoding="utf-8")
    (tmp / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp / "latin1.txt").write_bytes("café naïve résumé déjà vu".encode("latin-1"))
    (tmp / "ok.txt").write_text("記事\n\n本文です。\n", encoding="utf-8")
    (tmp / "broken.yaml").write_text("voice:\n  speed: [1\n", encoding="utf-8")
    (tmp / "typo.yaml").write_text("voice:\n  sped: 1.2\n", encoding="utf-8")
    (tmp / "fast.yaml").write_text("voice:\n  speed: 9\n", encoding="utf-8")
    ok = str(tmp / "ok.txt")
    (tmp / "a-folder").mkdir()
    (tmp / "a-file").write_text("not a folder", encoding="utf-8")
    (tmp / "utf16.txt").write_bytes("記事\n\n本文です。\n".encode("utf-16"))
    return {
        "folder as source": (
            [str(tmp / "a-folder")],
            "a-folder: is a folder but not an episode folder (no script.yaml)",
        ),
        "utf-16 source": ([str(tmp / "utf16.txt")], "UTF-16 text is not supported"),
        "out is a file": ([ok, "--out", str(tmp / "a-file")], "cannot create the episode folder"),
        "missing source": ([str(tmp / "nope.txt")], "nope.txt: no such file"),
        "empty source": ([str(tmp / "empty.txt")], "empty.txt: the document is empty"),
        "only page chrome": ([str(tmp / "chrome.txt")], "chrome.txt: the document is empty"),
        "binary file": ([str(tmp / "binary.txt")], "binary.txt: looks like a binary file"),
        "undecodable": ([str(tmp / "latin1.txt")], "latin1.txt: cannot decode the text"),
        "invalid YAML": ([ok, "--config", str(tmp / "broken.yaml")], "broken.yaml:3: invalid YAML"),
        "unknown setting": (
            [ok, "--config", str(tmp / "typo.yaml")],
            "typo.yaml:2: unknown setting 'voice.sped'",
        ),
        "voice out of range": (
            [ok, "--config", str(tmp / "fast.yaml")],
            "fast.yaml:2: voice.speed must be between 0.5 and 2",
        ),
        "missing settings": (
            [ok, "--config", str(tmp / "no.yaml")],
            "no.yaml: no such settings file",
        ),
        "unknown engine": ([ok, "--engine", "espeak"], "unknown engine 'espeak'"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "folder as source",
        "utf-16 source",
        "out is a file",
        "missing source",
        "empty source",
        "only page chrome",
        "binary file",
        "undecodable",
        "invalid YAML",
        "unknown setting",
        "voice out of range",
        "missing settings",
        "unknown engine",
    ],
)
def test_bad_input_is_one_clear_line_and_a_nonzero_exit(tmp_path: Path, case: str) -> None:
    arguments, expected = _bad_inputs(tmp_path)[case]
    if "--out" not in arguments:
        arguments = [*arguments, "--out", str(tmp_path / "out")]
    code, out, err = _run("build", *arguments)
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.mp3"))
