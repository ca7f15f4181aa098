"""Regenerating with the real Open JTalk engine and ffmpeg: the other chapters keep their sound.

An edit to one chapter moves the chapters after it; decoded from the MP3, each
other chapter must be the same audio at the same level, found where its new
ID3 chapter time says.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml
from readers import chapter_start_ms, ffmetadata_chapters
from typer.testing import CliRunner

from yomiage.audio.ffmpeg import decode_to_samples
from yomiage.audio.loudness import loudness_lufs
from yomiage.audio.master import MASTER_RATE
from yomiage.cli import app
from yomiage.config import load_config
from yomiage.episode.build import BuildResult, build_episode, run_job
from yomiage.episode.jobs import SCRIPT_FILE, folder_config, prepare_from_folder
from yomiage.publish.tags import read_chapters

ARTICLE = (
    "# 短い記事\n\n"
    "## 一章\n\nこれは最初の章です。\n\n"
    "## 二章\n\nここを後で書き直します。\n\n"
    "## 三章\n\n三番目の章は変わりません。\n\n"
    "## 四章\n\n最後の章も同じです。\n"
)
EDITED = "ch03"  # 二章: intro is ch01
runner = CliRunner()


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    folder = tmp_path_factory.mktemp("regen")
    source = folder / "article.md"
    source.write_text(ARTICLE, encoding="utf-8")
    return build_episode(source, load_config(), folder / "out")


def _copy(first: BuildResult, tmp_path: Path) -> Path:
    """A copy of the first episode's folder, so each test edits its own."""
    folder = tmp_path / "episode"
    shutil.copytree(first.mp3.parent, folder)
    return folder


def _rebuild(folder: Path, regen: list[str] | None = None) -> BuildResult:
    from yomiage.engines import make_engine

    config = folder_config(folder)
    job = prepare_from_folder(folder, config, regen or [])
    return run_job(job, make_engine(config.engine.name, config))


def _best_match(old: np.ndarray, new: np.ndarray, max_lag: int) -> tuple[int, float]:
    """The lag of `new` against `old` (in samples) where they match best, and the SNR there in dB."""
    best = (0, -np.inf)
    for lag in range(-max_lag, max_lag + 1):
        a = old[max_lag : len(old) - max_lag]
        b = new[max_lag + lag : len(new) - max_lag + lag]
        n = min(len(a), len(b))
        snr = 10 * np.log10(np.sum(a[:n] ** 2) / max(np.sum((a[:n] - b[:n]) ** 2), 1e-20))
        if snr > best[1]:
            best = (lag, float(snr))
    return best


def test_after_an_edit_the_other_chapters_sound_the_same_where_id3_says(
    first: BuildResult, tmp_path: Path
) -> None:
    folder = _copy(first, tmp_path)
    path = folder / SCRIPT_FILE
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    [chapter] = [c for c in script["chapters"] if c["id"] == EDITED]
    chapter["paragraphs"].append("書き直して、一文を足しました。")
    path.write_text(yaml.safe_dump(script, allow_unicode=True, sort_keys=False), encoding="utf-8")

    again = _rebuild(folder)
    assert again.synthesized == 1

    marks = read_chapters(again.mp3)
    assert marks == list(again.timeline.chapters)  # ID3 says what the timeline planned
    listed = ffmetadata_chapters(again.mp3, tmp_path)
    assert [c["title"] for c in listed] == [m.title for m in marks]
    for chapter, mark in zip(listed, marks, strict=True):
        assert abs(chapter_start_ms(chapter) - mark.start_ms) <= 60  # ffmpeg's start padding
    old_marks = {m.id: m for m in first.timeline.chapters}
    edited = [m.id for m in marks].index(EDITED)
    assert marks[edited + 1].start_ms > old_marks[marks[edited + 1].id].start_ms  # moved later

    old_audio = decode_to_samples(first.mp3, MASTER_RATE)
    new_audio = decode_to_samples(again.mp3, MASTER_RATE)
    for mark in marks:
        if mark.id == EDITED:
            continue
        old = old_marks[mark.id]
        assert mark.end_ms - mark.start_ms == old.end_ms - old.start_ms
        a = old_audio[_samples(old.start_ms) : _samples(old.end_ms)]
        b = new_audio[_samples(mark.start_ms) : _samples(mark.end_ms)]
        # found within half a millisecond of where the new ID3 time puts it ...
        lag, snr = _best_match(a, b, max_lag=MASTER_RATE // 100)
        assert abs(lag) <= MASTER_RATE // 2000, (mark.title, lag)
        # ... as the same audio (MP3 coding noise aside) at the same level
        print(
            "SNR",
            mark.title,
            lag,
            snr,
            loudness_lufs(b, MASTER_RATE) - loudness_lufs(a, MASTER_RATE),
        )
        assert snr > 30, (mark.title, snr)
        level = loudness_lufs(b, MASTER_RATE) - loudness_lufs(a, MASTER_RATE)
        assert abs(level) < 0.02, (mark.title, level)


def test_regen_through_the_cli_speaks_one_chapter_again(first: BuildResult, tmp_path: Path) -> None:
    folder = _copy(first, tmp_path)
    spoken = [s for s in first.timeline.sentences if s.chapter_id == EDITED]
    dry = runner.invoke(app, ["regen", str(folder), "--chapter", "3", "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert f"would synthesize {len(spoken)} of {first.segments} sentences" in dry.stdout

    result = runner.invoke(app, ["regen", str(folder), "--chapter", "3"])
    assert result.exit_code == 0, result.stderr
    assert f"{len(spoken)} of {first.segments} sentences synthesized" in result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(folder / "episode.mp3")
    # Open JTalk says the same text the same way: the episode sounds as it did
    old = decode_to_samples(first.mp3, MASTER_RATE)
    new = decode_to_samples(folder / "episode.mp3", MASTER_RATE)
    assert len(old) == len(new)
    assert np.max(np.abs(old - new)) < 1e-3

    table = runner.invoke(app, ["chapters", str(folder)])
    assert table.exit_code == 0, table.stderr
    rows = table.stdout.strip().splitlines()[1:]
    assert [row.split()[1] for row in rows] == [m.id for m in first.timeline.chapters]
    assert rows[2].split()[-1] == "二章"

    unchanged = runner.invoke(app, ["build", str(folder)])
    assert unchanged.exit_code == 0, unchanged.stderr
    assert "up to date" in unchanged.stderr


def _samples(ms: int) -> int:
    return round(ms * MASTER_RATE / 1000)


def test_a_killed_build_resumes_with_only_the_missing_segments(tmp_path: Path) -> None:
    """kill -9 in the middle of synthesis: every segment finished before it is kept and used."""
    import os
    import signal
    import subprocess
    import sys
    import time

    source = tmp_path / "long.md"
    sentences = "".join(f"これは{n}番目の、少し長めの文章でございます。" for n in range(1, 26))
    source.write_text(f"# 長い記事\n\n## 本文\n\n{sentences}\n", encoding="utf-8")
    command = [sys.executable, "-m", "yomiage.cli", "build", str(source), "--out", str(tmp_path)]
    segments = tmp_path / "long" / ".segments"
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while len(list(segments.glob("*.npz"))) < 5 and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the build and its synthesis workers
    process.wait()
    kept = len(list(segments.glob("*.npz")))
    assert kept >= 5 and not (tmp_path / "long" / "episode.mp3").exists()

    resumed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    done = re.search(r"(\d+) of (\d+) sentences synthesized", resumed.stderr)
    assert done, resumed.stderr
    synthesized, total = int(done.group(1)), int(done.group(2))
    assert synthesized == total - kept
