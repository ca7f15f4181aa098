"""Chapters encoded on their own, with the real Open JTalk, LAME (ffmpeg) and mutagen.

An edit encodes only the chapter it touches: the others keep their very frames,
which decode to the very same samples, and the one Info frame makes ffmpeg and
mutagen play exactly the planned length.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from readers import chapter_start_ms, ebur128, ffmetadata_chapters

from yomiage.audio.ffmpeg import decode_to_samples, run_ffmpeg
from yomiage.audio.loudness import loudness_lufs
from yomiage.audio.master import MASTER_RATE, MP3_FRAME, true_peak_dbtp
from yomiage.audio.mp3frames import read_frames, read_info
from yomiage.config import load_config
from yomiage.engines import make_engine
from yomiage.episode.build import BuildResult, build_episode, run_job
from yomiage.episode.chapters import CHAPTERS_DIR
from yomiage.episode.jobs import SCRIPT_FILE, folder_config, prepare_from_folder

ARTICLE = (
    "# 章ごとの記事\n\n"
    "## 一章\n\nこれは最初の章です。短い文が続きます。\n\n"
    "## 二章\n\nここを後で書き直します。\n\n"
    "## 三章\n\n三番目の章は変わりません。\n\n"
    "## 四章\n\n最後の章も同じです。\n"
)
EDITED = "ch03"  # 二章: the intro is ch01


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    folder = tmp_path_factory.mktemp("frames")
    source = folder / "article.md"
    source.write_text(ARTICLE, encoding="utf-8")
    config = load_config()
    return build_episode(source, config, folder / "out", engine=make_engine("openjtalk", config))


def _copy(first: BuildResult, tmp_path: Path) -> Path:
    folder = tmp_path / "episode"
    shutil.copytree(first.mp3.parent, folder)
    return folder


def _edit(folder: Path, chapter_ids: list[str]) -> None:
    path = folder / SCRIPT_FILE
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    for chapter in script["chapters"]:
        if chapter["id"] in chapter_ids:
            chapter["paragraphs"].append(f"{chapter['title']}に、一文を書き足しました。")
    path.write_text(yaml.safe_dump(script, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _rebuild(folder: Path) -> BuildResult:
    config = folder_config(folder)
    return run_job(prepare_from_folder(folder, config, []), make_engine("openjtalk", config))


def _audio_frames(mp3: Path, tmp_path: Path) -> tuple[Path, list[bytes]]:
    """The MP3's stream (after its ID3 tag) in a file, and its audio frames (after the Info frame)."""
    data = mp3.read_bytes()
    stream = tmp_path / f"{mp3.parent.name}-{len(data)}.stream"
    stream.write_bytes(data[ID3(mp3).size :])
    info_bytes = read_info(stream).info_frame_bytes
    frames = tmp_path / f"{mp3.parent.name}-{len(data)}.frames"
    frames.write_bytes(stream.read_bytes()[info_bytes:])
    raw = frames.read_bytes()
    return stream, [raw[offset : offset + size] for offset, size in read_frames(frames)]


def _frames_by_chapter(result: BuildResult, tmp_path: Path) -> dict[str, list[bytes]]:
    """The MP3's audio frames, cut where its chapters start."""
    _, audio = _audio_frames(result.mp3, tmp_path)
    assert all(s % MP3_FRAME == 0 for s in result.timeline.chapter_starts)
    starts = [s // MP3_FRAME for s in result.timeline.chapter_starts]
    ends = [*starts[1:], len(audio)]
    marks = result.timeline.chapters
    return {m.id: audio[a:b] for m, a, b in zip(marks, starts, ends, strict=True)}


def _span(samples: np.ndarray, result: BuildResult, chapter_id: str) -> np.ndarray:
    spans = dict(
        zip(
            [m.id for m in result.timeline.chapters], result.timeline.chapter_samples(), strict=True
        )
    )
    start, end = spans[chapter_id]
    return samples[start:end]


def test_an_edit_encodes_one_chapter_and_the_others_keep_their_frames_and_samples(
    first: BuildResult, tmp_path: Path
) -> None:
    folder = _copy(first, tmp_path)
    _edit(folder, [EDITED])
    again = _rebuild(folder)
    assert again.synthesized == 1
    assert again.encoded == 1  # only the edited chapter was mastered and encoded

    old_frames = _frames_by_chapter(first, tmp_path)
    new_frames = _frames_by_chapter(again, tmp_path)
    old_audio = decode_to_samples(first.mp3, MASTER_RATE)
    new_audio = decode_to_samples(again.mp3, MASTER_RATE)
    assert len(new_audio) > len(old_audio)
    moved = False
    for mark in again.timeline.chapters:
        if mark.id == EDITED:
            assert new_frames[mark.id] != old_frames[mark.id]
            continue
        assert new_frames[mark.id] == old_frames[mark.id], mark.title  # the same bytes
        old, new = _span(old_audio, first, mark.id), _span(new_audio, again, mark.id)
        assert np.array_equal(old, new), mark.title  # and the same samples, bit for bit
        old_mark = next(m for m in first.timeline.chapters if m.id == mark.id)
        moved |= mark.start_ms > old_mark.start_ms
    assert moved  # the chapters after the edit moved later, and still decode the same

    # ffmpeg's own listing puts each chapter where the timeline says
    listed = ffmetadata_chapters(again.mp3, tmp_path)
    assert [c["title"] for c in listed] == [m.title for m in again.timeline.chapters]
    for chapter, mark in zip(listed, again.timeline.chapters, strict=True):
        assert abs(chapter_start_ms(chapter) - mark.start_ms) <= 60


def test_the_info_frame_gives_players_the_exact_length(first: BuildResult, tmp_path: Path) -> None:
    total = first.timeline.total_samples
    decoded = decode_to_samples(first.mp3, MASTER_RATE)
    assert len(decoded) == total  # ffmpeg trims the encoder delay and padding the tag gives
    info = MP3(first.mp3).info
    assert info.length * MASTER_RATE == pytest.approx(total, abs=1)
    assert info.sample_rate == MASTER_RATE and info.bitrate == 96_000
    stream, audio = _audio_frames(first.mp3, tmp_path)
    header = read_info(stream)
    assert header.frames == len(audio)  # every frame but the Info frame
    assert header.samples == total and header.tag_crc_ok
    assert header.stream_bytes == stream.stat().st_size
    log = run_ffmpeg(["-v", "warning", "-i", str(first.mp3), "-f", "null", "-"], what="decode")
    assert log.strip() == ""  # no complaint about the stream or its header


def test_every_chapter_and_the_episode_hold_loudness_and_true_peak(first: BuildResult) -> None:
    decoded = decode_to_samples(first.mp3, MASTER_RATE)
    for mark, (start, end) in zip(
        first.timeline.chapters, first.timeline.chapter_samples(), strict=True
    ):
        chapter = decoded[start:end]
        assert loudness_lufs(chapter, MASTER_RATE) == pytest.approx(-16.0, abs=0.5), mark.title
        assert true_peak_dbtp(chapter) <= -1.0, mark.title
    measured = ebur128(first.mp3)  # ffmpeg's own meter, on the whole episode
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=0.5)
    assert measured.true_peak_dbtp <= -1.0
    assert first.master.loudness_lufs == pytest.approx(measured.integrated_lufs, abs=0.3)
    assert first.master.true_peak_dbtp <= -1.0


def test_a_kill_during_encoding_keeps_the_episode_and_the_next_build_resumes(
    first: BuildResult, tmp_path: Path
) -> None:
    folder = _copy(first, tmp_path)
    before = (folder / "episode.mp3").read_bytes()
    edited = [m.id for m in first.timeline.chapters[1:-1]]  # every chapter of the article
    _edit(folder, edited)
    chapters = folder / CHAPTERS_DIR
    records = {p.name for p in chapters.glob("*.json")}
    command = [sys.executable, "-m", "yomiage.cli", "build", str(folder)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not {p.name for p in chapters.glob("*.json")} - records and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)  # the build, its workers and its encoder
    process.wait()
    assert (folder / "episode.mp3").read_bytes() == before  # the old episode, whole

    resumed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert resumed.returncode == 0, resumed.stderr
    done = re.search(r"(\d+) of (\d+) chapters encoded", resumed.stderr)
    assert done, resumed.stderr
    assert int(done.group(1)) < len(edited)  # what the killed build finished is kept
    fresh = _rebuild(_copy_edited(first, tmp_path, edited))
    assert (folder / "episode.mp3").read_bytes()[ID3(folder / "episode.mp3").size :] == (
        fresh.mp3.read_bytes()[ID3(fresh.mp3).size :]
    )  # the same audio as a build that was never interrupted


def _copy_edited(first: BuildResult, tmp_path: Path, edited: list[str]) -> Path:
    folder = tmp_path / "uninterrupted"
    shutil.copytree(first.mp3.parent, folder)
    _edit(folder, edited)
    return folder


def test_chapters_with_no_pause_between_them_still_join_exactly(tmp_path: Path) -> None:
    from fakes import FakeEngine

    settings = tmp_path / "settings.yaml"
    settings.write_text("pauses:\n  chapter_ms: 0\n", encoding="utf-8")
    source = tmp_path / "article.md"
    source.write_text(ARTICLE, encoding="utf-8")
    result = build_episode(source, load_config(settings), tmp_path / "out", engine=FakeEngine())
    decoded = decode_to_samples(result.mp3, MASTER_RATE)
    assert len(decoded) == result.timeline.total_samples
    assert len(result.timeline.chapters) == len(
        list((result.mp3.parent / CHAPTERS_DIR).glob("*.mp3"))
    )
