"""What a run may do to an episode folder: one run at a time, whole files, no orphans.

Real processes where the question is about processes: a second `yomiage` run
against a held lock, a build killed with SIGTERM or SIGKILL in the middle of
Open JTalk's synthesis (its workers are looked up in /proc), a real ffmpeg made
to talk on stderr while it encodes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEngine
from typer.testing import CliRunner

from yomiage.audio.ffmpeg import Mp3Encoder, ffmpeg_exe
from yomiage.cli import app
from yomiage.config import load_config
from yomiage.episode.build import BuildResult, build_episode, run_job
from yomiage.episode.cache import SegmentCache
from yomiage.episode.jobs import (
    EPISODE_FILE,
    SCRIPT_FILE,
    SEGMENTS_DIR,
    folder_config,
    prepare_from_folder,
)
from yomiage.episode.lock import episode_lock
from yomiage.episode.manifest import read_manifest
from yomiage.errors import OutputError
from yomiage.files.atomic import write_text_atomic

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


# ---------------------------------------------------------------- one run per folder


def test_a_second_run_is_refused_while_another_holds_the_folder(tmp_path: Path) -> None:
    folder = _built(tmp_path).mp3.parent
    mp3 = (folder / EPISODE_FILE).read_bytes()
    live = folder / f".{EPISODE_FILE}.live-run.partial"  # the holder's staging file
    with episode_lock(folder):
        live.write_bytes(b"half an MP3")
        building = _yomiage("build", str(folder), "--engine", "openjtalk")
        regenerating = _yomiage("regen", str(folder), "--chapter", "1", "--engine", "openjtalk")
        lexicon = folder / "readings.yaml"
        writing = _yomiage("readings", str(folder), "--write", str(lexicon))
    for done in (building, regenerating, writing):
        _one_line_error(done, f"another yomiage is building {folder}")
    assert (folder / EPISODE_FILE).read_bytes() == mp3
    assert live.read_bytes() == b"half an MP3"  # a live run's staging file is never removed
    assert not lexicon.exists()


def test_a_job_made_stale_by_another_run_is_refused(tmp_path: Path) -> None:
    """Two runs that read the folder before either locked it: the second must not build."""
    folder = _built(tmp_path).mp3.parent
    first = prepare_from_folder(folder, folder_config(folder), ["1"])
    second = prepare_from_folder(folder, folder_config(folder), ["2"])
    run_job(first, FakeEngine(rate=22_050))  # another voice: the manifest changes
    engine = FakeEngine()
    with pytest.raises(OutputError, match=r"another yomiage built .* after this run read it"):
        run_job(second, engine)
    assert engine.calls == []


def test_staging_files_of_killed_runs_are_removed_even_when_up_to_date(tmp_path: Path) -> None:
    folder = _built(tmp_path).mp3.parent
    dead = [
        folder / f".{EPISODE_FILE}.partial",  # the name before staging names were per run
        folder / f".{EPISODE_FILE}.k1ll3d.partial",
        folder / ".cover.jpg.k1ll3d.partial",
        folder / ".manifest.json.k1ll3d.tmp",
    ]
    for path in dead:
        path.write_bytes(b"left by a kill -9")
    again = run_job(prepare_from_folder(folder, folder_config(folder)), FakeEngine())
    assert again.up_to_date
    assert [p.name for p in dead if p.exists()] == []


# ---------------------------------------------------------------- only regular files


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _special(path: Path, kind: str) -> socket.socket | None:
    """Make a FIFO, a socket or a device (a copy of /dev/null's) at `path`."""
    if kind == "fifo":
        _fifo(path)
        return None
    if kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.stat("/dev/null").st_rdev)
        except PermissionError:
            pytest.skip("making a device needs root")
        return None
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return server


@pytest.mark.parametrize("kind", ["fifo", "socket", "device"])
def test_an_atomic_write_refuses_a_special_file_and_leaves_it(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "settings.yaml"
    server = _special(target, kind)
    try:
        with pytest.raises(OutputError, match="not a regular file"):
            write_text_atomic(target, "voice: {}\n")
        assert not stat.S_ISREG(target.lstat().st_mode)
        assert [p.name for p in tmp_path.iterdir()] == ["settings.yaml"]  # no temporary left
    finally:
        if server is not None:
            server.close()


def test_readings_write_to_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    source = tmp_path / "article.md"
    source.write_text("# 記事\n\n## 一章\n\nQuuxbarやFrobnicateの話です。\n", encoding="utf-8")
    fifo = _fifo(tmp_path / "readings.yaml")
    done = _yomiage(
        "readings", str(source), "--out", str(tmp_path), "--write", str(fifo), timeout=60
    )
    _one_line_error(done, f"{fifo}: not a regular file (a FIFO)")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_readings_write_to_a_symlink_loop_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "article.md"
    source.write_text("# 記事\n\n## 一章\n\nQuuxbarの話です。\n", encoding="utf-8")
    loop = tmp_path / "a.yaml"
    loop.symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(loop)
    done = runner.invoke(
        app, ["readings", str(source), "--out", str(tmp_path), "--write", str(loop)]
    )
    assert done.exit_code == 1, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert f"{loop}: a symbolic link loop" in done.stderr


# ---------------------------------------------------------------- workers die with the build


def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid`, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped (a container's init may never reap it)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="parent-death signals and /proc are Linux's")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_build_leaves_no_worker_running(tmp_path: Path, signum: int) -> None:
    source = tmp_path / "long.md"
    sentences = "".join(f"これは{n}番目の、少し長めの文章でございます。" for n in range(1, 41))
    source.write_text(f"# 長い記事\n\n## 本文\n\n{sentences}\n", encoding="utf-8")
    settings = tmp_path / "two.yaml"
    settings.write_text("engine:\n  name: openjtalk\n  workers: 2\n", encoding="utf-8")
    command = [sys.executable, "-m", "yomiage.cli", "build", str(source), "--out", str(tmp_path)]
    process = subprocess.Popen(
        [*command, "--config", str(settings)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so that the test can clean up whatever is left
    )
    segments = tmp_path / "long" / SEGMENTS_DIR
    deadline = time.monotonic() + 120
    try:
        while not list(segments.glob("*.npz")) and time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.02)
        workers = _children(process.pid)
        assert len(workers) == 2
        os.kill(process.pid, signum)  # the build only, as `kill` or a service manager does
        process.wait(timeout=60)
        stopping = time.monotonic() + 10
        while any(map(_alive, workers)) and time.monotonic() < stopping:
            time.sleep(0.05)
        assert [pid for pid in workers if _alive(pid)] == []
    finally:
        # The session's group outlives the build while any orphan is in it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert process.stderr is not None
    stderr = process.stderr.read().decode()
    if signum == signal.SIGTERM:
        assert process.returncode == 143, stderr
        assert "terminated; the finished segments are kept" in stderr
        assert "Traceback" not in stderr
    assert not list((tmp_path / "long").glob(".*.partial"))


# ---------------------------------------------------------------- a shared segment cache


def test_a_shared_segment_cache_is_not_pruned_by_another_episode(tmp_path: Path) -> None:
    shared = tmp_path / "shared-segments"
    shared.mkdir()
    for name in ("one", "two"):
        (tmp_path / "out" / name).mkdir(parents=True)
        (tmp_path / "out" / name / SEGMENTS_DIR).symlink_to(shared)
    first = _built(tmp_path, "one")
    other = ARTICLE.replace("文です", "ことです")
    second = _built(tmp_path, "two", other)
    # The second episode is rebuilt twice with new sentences: a prune would take old takes.
    for version in ("一", "二"):
        script = second.mp3.parent / SCRIPT_FILE
        text = script.read_text(encoding="utf-8").replace("三つ目", f"版その{version}の三つ目")
        script.write_text(text, encoding="utf-8")
        folder = second.mp3.parent
        run_job(prepare_from_folder(folder, folder_config(folder)), FakeEngine())
    engine = FakeEngine()
    first_folder = first.mp3.parent
    (first_folder / EPISODE_FILE).unlink()  # not up to date: every segment is read again
    run_job(prepare_from_folder(first_folder, folder_config(first_folder)), engine)
    assert engine.calls == []


# ---------------------------------------------------------------- damaged segments


DAMAGED = {
    "rate 0": (np.zeros(100, np.float32), np.int64(0)),
    "two channels": (np.zeros((100, 2), np.float32), np.int64(44_100)),
    "a scalar": (np.float32(0.5), np.int64(44_100)),
    "two rates": (np.zeros(100, np.float32), np.array([44_100, 48_000])),
    "NaN": (np.array([0.1, np.nan, 0.2], np.float32), np.int64(44_100)),
    "Inf": (np.array([0.1, np.inf, 0.2], np.float32), np.int64(44_100)),
}


@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_damaged_segment_is_dropped_to_be_spoken_again(tmp_path: Path, damage: str) -> None:
    samples, rate = DAMAGED[damage]
    cache = SegmentCache(tmp_path)
    np.savez(tmp_path / "k.npz", samples=samples, rate=rate)
    assert cache.get("k") is None
    assert not (tmp_path / "k.npz").exists()


def test_a_rebuild_speaks_a_segment_with_nan_again_and_mixes_no_nan(tmp_path: Path) -> None:
    first = _built(tmp_path)
    folder = first.mp3.parent
    manifest = read_manifest(folder)
    assert manifest is not None
    damaged = manifest.chapters[1].segments[0]
    path = folder / SEGMENTS_DIR / f"{damaged.key}.npz"
    with np.load(path) as stored:
        samples = stored["samples"].copy()
    samples[::7] = np.nan
    np.savez(path, samples=samples, rate=np.int64(first.timeline.rate))
    (folder / EPISODE_FILE).unlink()
    engine = FakeEngine()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # NaN in arithmetic warns
        run_job(prepare_from_folder(folder, folder_config(folder)), engine)
    assert engine.calls == [damaged.spoken]


# ---------------------------------------------------------------- chapters named oddly


def test_regen_of_a_superscript_digit_is_one_line(tmp_path: Path) -> None:
    folder = _built(tmp_path).mp3.parent
    done = runner.invoke(app, ["regen", str(folder), "--chapter", "²"])
    assert done.exit_code == 1
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert "no chapter '²'" in done.stderr


# ---------------------------------------------------------------- ffmpeg that talks


def test_the_mp3_encoder_survives_a_chatty_ffmpeg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real ffmpeg at -v debug, with a line per packet: far more than a pipe's 64 KiB."""
    real = ffmpeg_exe()
    chatty = tmp_path / "ffmpeg"
    chatty.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        "args = ['debug' if a == 'error' else a for a in sys.argv[1:]]\n"
        f"os.execv({real!r}, [{real!r}, '-debug_ts', *args])\n",
        encoding="utf-8",
    )
    chatty.chmod(0o755)
    monkeypatch.setenv("YOMIAGE_FFMPEG", str(chatty))
    ffmpeg_exe.cache_clear()
    try:
        mp3 = tmp_path / "chatty.mp3"
        rate = 44_100
        tone = (np.sin(np.arange(rate) * 2 * np.pi * 440 / rate) * 8000).astype("<i2").tobytes()
        encoder = Mp3Encoder(mp3, rate, 96, 1)
        finished = threading.Event()

        def encode() -> None:
            with encoder:
                for _ in range(120):  # two minutes of audio, a second at a time
                    encoder.write(tone)
            finished.set()

        worker = threading.Thread(target=encode, daemon=True)
        worker.start()
        worker.join(timeout=60)
        if not finished.is_set():
            encoder.abort()  # the deadlock: free the thread, then fail
        assert finished.is_set(), "ffmpeg and the encoder waited on each other"
        assert mp3.stat().st_size > 100 * 96_000 / 8
    finally:
        ffmpeg_exe.cache_clear()


def test_the_mp3_encoder_still_reports_ffmpeg_s_error(tmp_path: Path) -> None:
    from yomiage.errors import AudioError

    broken = Mp3Encoder(tmp_path / "no-such-folder" / "x.mp3", 44_100, 96, 1)
    with pytest.raises(AudioError, match=r"MP3 encoding: ffmpeg failed \(.+\)"), broken as encoder:
        encoder.write(b"\0\0" * 44_100)
