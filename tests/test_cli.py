"""The command line: the build contract, and every bad input as one clear line."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

from yomiage import __version__
from yomiage.cli import EngineOption, app
from yomiage.config import AUTO_ENGINE, ENGINE_NAMES

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


def test_engine_help_names_every_engine_config_knows() -> None:
    # The help is written out in cli.py (so that --version loads no settings): it must
    # not fall behind config's list of engines.
    help_text = get_args(EngineOption)[1].help
    assert help_text.startswith(f"Speech engine: {AUTO_ENGINE} (")
    assert help_text.endswith(f"), {', '.join(ENGINE_NAMES)}.")


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
        "out is a file": (
            [ok, "--out", str(tmp / "a-file"), "--engine", "openjtalk"],
            "cannot create the episode folder",
        ),
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


# ---------------------------------------------------------------- episode folders


@pytest.fixture(scope="module")
def episode(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small episode built once with the real engine; tests copy it before editing."""
    folder = tmp_path_factory.mktemp("episode")
    source = folder / "note.md"
    source.write_text("# 記事\n\n## 一章\n\n本文です。\n\n## 二章\n\n次の文です。\n", "utf-8")
    code, out, err = _run("build", str(source), "--out", str(folder / "out"))
    assert code == 0, err
    return Path(out.strip().splitlines()[-1]).parent


def _copy(episode: Path, tmp_path: Path) -> Path:
    import shutil

    return Path(shutil.copytree(episode, tmp_path / "episode"))


def test_building_a_folder_with_nothing_changed_says_up_to_date(
    episode: Path, tmp_path: Path
) -> None:
    folder = _copy(episode, tmp_path)
    code, out, err = _run("build", str(folder), "--dry-run")
    assert code == 0, err
    assert out.strip().splitlines()[-1] == f"nothing to do: {folder / 'episode.mp3'} is up to date"
    for target in (folder, folder / "script.yaml"):  # the folder, or the script in it
        code, out, err = _run("build", str(target))
        assert code == 0, err
        assert "up to date" in err and out.strip() == str(folder / "episode.mp3")


def test_a_dry_run_lists_each_chapter_and_what_it_would_speak(
    episode: Path, tmp_path: Path
) -> None:
    folder = _copy(episode, tmp_path)
    script = folder / "script.yaml"
    script.write_text(
        script.read_text("utf-8").replace("- 次の文です。", "- 次の文を直しました。"), "utf-8"
    )
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    code, out, err = _run("build", str(folder), "--dry-run")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert [line.split()[:5] for line in lines[:-1]] == [
        ["1", "ch01", "0", "of", "5"],
        ["2", "ch02", "0", "of", "2"],
        ["3", "ch03", "1", "of", "2"],
        ["4", "ch04", "0", "of", "3"],
    ]
    assert lines[-1].startswith("would synthesize 1 of 12 sentences in 1 chapters")
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_chapters_lists_what_the_mp3_holds(episode: Path) -> None:
    code, out, err = _run("chapters", str(episode / "episode.mp3"))
    assert code == 0, err
    header, *rows = out.strip().splitlines()
    assert header.split() == ["#", "id", "start", "end", "title"]
    assert [row.split()[-1] for row in rows] == ["オープニング", "一章", "二章", "エンディング"]
    assert rows[0].split()[2] == "0:00.000"
    ends = [row.split()[3] for row in rows]
    starts = [row.split()[2] for row in rows]
    assert starts[1:] == ends[:-1]  # end to end, as players expect


def _folder_inputs(folder: Path, tmp: Path) -> dict[str, tuple[list[str], str]]:
    (tmp / "plain.mp3").write_bytes(b"\xff\xfb\x90\x00" + bytes(417))
    broken = tmp / "broken"
    import shutil

    shutil.copytree(folder, broken)
    script = broken / "script.yaml"
    script.write_text(script.read_text("utf-8").replace("paragraphs:", "paragraph:", 1), "utf-8")
    return {
        "--out with a folder": (
            ["build", str(folder), "--out", str(tmp)],
            "--out applies to building from an article",
        ),
        "--force with a folder": (["build", str(folder), "--force"], "--force applies"),
        "unknown chapter": (["regen", str(folder), "--chapter", "7"], "no chapter '7'"),
        "regen a non-episode": (["regen", str(tmp), "--chapter", "1"], "not an episode folder"),
        "regen a missing folder": (
            ["regen", str(tmp / "nope"), "--chapter", "1"],
            "no such episode",
        ),
        "broken script": (["build", str(broken)], "script.yaml:"),
        "chapters of nothing": (["chapters", str(tmp / "nope.mp3")], "nope.mp3: no such MP3"),
        "chapters of a bare mp3": (["chapters", str(tmp / "plain.mp3")], "has no chapters"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "--out with a folder",
        "--force with a folder",
        "unknown chapter",
        "regen a non-episode",
        "regen a missing folder",
        "broken script",
        "chapters of nothing",
        "chapters of a bare mp3",
    ],
)
def test_bad_folder_commands_are_one_clear_line(episode: Path, tmp_path: Path, case: str) -> None:
    arguments, expected = _folder_inputs(episode, tmp_path)[case]
    before = (episode / "episode.mp3").read_bytes()
    code, out, err = _run(*arguments)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], err
    assert (episode / "episode.mp3").read_bytes() == before
