"""Whole episodes spoken by edge-tts, against the stand-in of its service on 127.0.0.1.

The real edge-tts client runs; the stand-in sends real MP3. These prove the
engine inside the pipeline: a full build, `--engine auto` choosing it or
falling back, `--engine edge` failing fast, voices, and a failure midway.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from edge_standin import EdgeStandIn
from readers import ffmetadata_chapters
from typer.testing import CliRunner

from yomiage.cli import app
from yomiage.config import load_config
from yomiage.engines import make_engine
from yomiage.episode.build import build_episode
from yomiage.episode.jobs import SEGMENTS_DIR
from yomiage.episode.manifest import read_manifest
from yomiage.errors import SynthesisError

ARTICLE = (
    "# エッジの記事\n\n"
    "## 一章\n\nOpenAIの話です。二つ目の文です。\n\n"
    "## 二章\n\n三つ目の文です。四つ目の文です。\n"
)
runner = CliRunner()


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[EdgeStandIn]:
    with EdgeStandIn() as server:
        server.patch(monkeypatch)
        yield server


def _article(tmp_path: Path) -> Path:
    source = tmp_path / "edge.md"
    source.write_text(ARTICLE, encoding="utf-8")
    return source


def _build(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["build", *args])
    return result.exit_code, result.stdout, result.stderr


def test_auto_speaks_a_whole_episode_with_edge_when_the_service_answers(
    standin: EdgeStandIn, tmp_path: Path
) -> None:
    code, out, err = _build(str(_article(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 0, err
    assert "note:" not in err and "(edge)" in err
    mp3 = Path(out.strip().splitlines()[-1])
    listed = ffmetadata_chapters(mp3, tmp_path)
    assert [c["title"] for c in listed] == ["オープニング", "一章", "二章", "エンディング"]
    manifest = read_manifest(mp3.parent)
    assert manifest is not None and manifest.engine == "edge"
    assert "ja-JP-NanamiNeural" in manifest.engine_identity
    settings = yaml.safe_load((mp3.parent / "settings.yaml").read_text("utf-8"))
    assert settings["engine"]["name"] == "edge"  # recorded: a rebuild keeps the engine
    # edge reads English itself: no katakana substitution, the lexicon still applies
    spoken = {s.spoken for c in manifest.chapters for s in c.segments}
    assert "オープンエーアイの話です。" in spoken
    sent = {r.text for r in standin.requests}
    assert "三つ目の文です。" in sent and all(
        r.short_voice == "ja-JP-NanamiNeural" for r in standin.requests
    )

    before = len(standin.requests)
    code, _, err = _build(str(mp3.parent))  # nothing changed: nothing asked of the service
    assert code == 0 and "up to date" in err and len(standin.requests) == before


def test_auto_falls_back_to_open_jtalk_in_one_line_when_the_service_is_down(
    tmp_path: Path,
) -> None:
    code, out, err = _build(str(_article(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert (
        len(notes) == 1 and "speaking with Open JTalk (offline) for the whole episode" in notes[0]
    )
    folder = Path(out.strip().splitlines()[-1]).parent
    manifest = read_manifest(folder)
    assert manifest is not None and manifest.engine == "openjtalk"
    settings = yaml.safe_load((folder / "settings.yaml").read_text("utf-8"))
    assert settings["engine"]["name"] == "openjtalk"


def test_engine_edge_with_the_service_down_is_a_clear_error_within_seconds(
    tmp_path: Path,
) -> None:
    start = time.monotonic()
    code, out, err = _build(
        str(_article(tmp_path)), "--out", str(tmp_path / "out"), "--engine", "edge"
    )
    assert code == 1 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith("error: cannot reach the edge-tts service")
    assert "--engine openjtalk" in line
    assert time.monotonic() - start < 10
    assert not list((tmp_path / "out").rglob("*.mp3"))


def test_a_failure_midway_keeps_the_finished_segments(standin: EdgeStandIn, tmp_path: Path) -> None:
    import dataclasses
    import threading

    config = load_config()
    config = dataclasses.replace(config, edge=dataclasses.replace(config.edge, in_flight=1))
    source = _article(tmp_path)
    engine = make_engine("edge", config)
    engine.retry_base_s = 0.01  # type: ignore[attr-defined]
    standin.delay_s = 0.1  # time for the watcher below to see the fifth request

    def go_down_after_five_requests() -> None:
        deadline = time.monotonic() + 30
        while len(standin.requests) < 5 and time.monotonic() < deadline:
            time.sleep(0.005)
        standin.fail_next("status", times=100, status=503)  # down for good...

    watcher = threading.Thread(target=go_down_after_five_requests, daemon=True)
    watcher.start()
    with pytest.raises(SynthesisError, match=r"edge-tts failed on 「.*」 after \d+ attempts"):
        build_episode(source, config, tmp_path / "out", engine=engine)
    watcher.join(5)
    standin.clear()  # ...and comes back
    cached = len(list((tmp_path / "out" / "edge" / SEGMENTS_DIR).glob("*.npz")))
    assert cached >= 3  # the probe and the first sentences went through before the failure
    result = build_episode(source, config, tmp_path / "out", engine=make_engine("edge", config))
    assert result.synthesized == result.segments - cached


def test_rebuilding_an_edge_episode_offline_is_refused_not_revoiced(
    standin: EdgeStandIn, tmp_path: Path
) -> None:
    source = _article(tmp_path)
    code, out, err = _build(str(source), "--out", str(tmp_path / "out"))
    assert code == 0 and "(edge)" in err
    mp3 = Path(out.strip().splitlines()[-1])
    before = mp3.read_bytes()
    standin.stop()  # the network is gone
    code, _, err = _build(str(source), "--out", str(tmp_path / "out"))
    assert code == 0 and "up to date" in err  # nothing to say: no service needed
    source.write_text(ARTICLE + "\n五つ目の文です。\n", encoding="utf-8")
    code, out, err = _build(str(source), "--out", str(tmp_path / "out"))
    assert code == 1 and out == ""
    assert err.strip().splitlines()[-1].startswith("error: cannot reach the edge-tts service")
    assert mp3.read_bytes() == before  # not re-voiced by Open JTalk


def test_voices_lists_the_services_japanese_voices_or_the_shipped_list(
    standin: EdgeStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = runner.invoke(app, ["voices", "--engine", "edge"])
    assert listed.exit_code == 0, listed.stderr
    names = [line.split()[1] for line in listed.stdout.strip().splitlines()]
    assert "ja-JP-NanamiNeural" in names and "ja-JP-KeitaNeural" in names
    assert all(name.startswith("ja-JP-") for name in names) and listed.stderr == ""
    assert standin.voice_list_calls >= 1

    monkeypatch.setenv("YOMIAGE_EDGE_VOICES_URL", "http://127.0.0.1:9/voices/list")
    offline = runner.invoke(app, ["voices"])
    assert offline.exit_code == 0, offline.stderr
    assert "shipped list" in offline.stderr
    engines = {line.split()[0] for line in offline.stdout.strip().splitlines()}
    assert engines == {"edge", "kokoro", "openjtalk"}
