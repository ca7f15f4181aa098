"""Whole episodes spoken by the real Kokoro model, read back with mutagen and ffmpeg.

`auto` with no network (the edge service is a closed port in every test)
chooses Kokoro; when Kokoro's model does not load it says so and goes on to
Open JTalk. A host voice reads the show's lines: heard as a lower voice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from readers import ebur128, ffmetadata_chapters
from test_engine_kokoro import median_pitch_hz
from typer.testing import CliRunner

from yomiage.cli import app
from yomiage.episode.cache import SegmentCache
from yomiage.episode.jobs import SEGMENTS_DIR
from yomiage.episode.manifest import read_manifest

ARTICLE = "# ここの記事\n\n## 一章\n\n今日はいい天気ですね。\n\n## 二章\n\n明日も晴れるでしょう。\n"
SHORT_SHOW = (  # a short intro and outro keep the real model's work small
    "script:\n"
    "  intro: '{show}へようこそ。今日は「{title}」です。'\n"
    "  outro: 'お聞きいただき、ありがとうございました。'\n"
)
TITLES = ["オープニング", "一章", "二章", "エンディング"]
runner = CliRunner()


def _build(tmp_path: Path, settings: str, *args: str) -> tuple[int, str, Path | None]:
    source = tmp_path / "kokoro.md"
    source.write_text(ARTICLE, encoding="utf-8")
    config = tmp_path / "settings.yaml"
    config.write_text(SHORT_SHOW + settings, encoding="utf-8")
    result = runner.invoke(
        app, ["build", str(source), "--out", str(tmp_path / "out"), "--config", str(config), *args]
    )
    out = result.stdout.strip().splitlines()
    return result.exit_code, result.stderr, Path(out[-1]).parent if out else None


def _assert_valid_episode(folder: Path, engine: str, tmp_path: Path) -> None:
    mp3 = folder / "episode.mp3"
    info = MP3(mp3).info
    assert (info.sample_rate, info.channels) == (44_100, 1) and info.length > 5
    assert [str(c.sub_frames["TIT2"]) for c in ID3(mp3).getall("CHAP")] == TITLES
    assert [c["title"] for c in ffmetadata_chapters(mp3, tmp_path)] == TITLES
    assert abs(ebur128(mp3).integrated_lufs - -16.0) <= 1.0
    manifest = read_manifest(folder)
    assert manifest is not None and manifest.engine == engine
    settings = yaml.safe_load((folder / "settings.yaml").read_text("utf-8"))
    assert settings["engine"]["name"] == engine  # recorded: a rebuild keeps the engine


def test_engine_kokoro_with_a_host_voice(tmp_path: Path) -> None:
    code, err, folder = _build(
        tmp_path, "kokoro:\n  voice: jf_alpha\n  host_voice: jm_kumo\n", "--engine", "kokoro"
    )
    assert code == 0, err
    assert folder is not None and "(kokoro)" in err and "note:" not in err
    _assert_valid_episode(folder, "kokoro", tmp_path)
    manifest = read_manifest(folder)
    assert manifest is not None and "/jf_alpha/" in manifest.engine_identity
    cache = SegmentCache(folder / SEGMENTS_DIR)
    segments = {s.text: s.key for c in manifest.chapters for s in c.segments}
    pitch = {}
    for text in ("よみあげラジオへようこそ。", "今日はいい天気ですね。"):
        audio = cache.get(segments[text])
        assert audio is not None
        pitch[text] = median_pitch_hz(audio.samples, audio.rate)
    # The intro is heard in the male host's voice, the article in the female reader's.
    assert pitch["よみあげラジオへようこそ。"] < 0.75 * pitch["今日はいい天気ですね。"]


@pytest.mark.kokoro_in_auto
def test_auto_with_no_network_speaks_with_kokoro(tmp_path: Path) -> None:
    code, err, folder = _build(tmp_path, "")
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "cannot reach the edge-tts service" in notes[0]
    assert notes[0].endswith("speaking with Kokoro (offline) for the whole episode")
    assert folder is not None
    _assert_valid_episode(folder, "kokoro", tmp_path)


@pytest.mark.kokoro_in_auto
def test_auto_goes_on_to_open_jtalk_when_kokoros_model_does_not_load(tmp_path: Path) -> None:
    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    code, err, folder = _build(tmp_path, "kokoro:\n  model: broken.onnx\n")
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert len(notes) == 2
    assert notes[0].endswith("speaking with Kokoro (offline) for the whole episode")
    assert "the Kokoro model failed to load" in notes[1]
    assert notes[1].endswith("speaking with Open JTalk (offline) for the whole episode")
    assert folder is not None
    _assert_valid_episode(folder, "openjtalk", tmp_path)


def test_engine_kokoro_with_a_model_that_does_not_load_is_one_clear_line(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    code, err, _ = _build(tmp_path, "kokoro:\n  model: broken.onnx\n", "--engine", "kokoro")
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("error: the Kokoro model failed to load")
    assert "--engine openjtalk" in line
    assert not list((tmp_path / "out").rglob("*.mp3"))
