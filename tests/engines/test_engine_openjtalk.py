"""The real Open JTalk engine, on short text."""

import numpy as np
import pytest

from yomiage.config import VoiceSettings, load_config
from yomiage.engines import make_engine
from yomiage.engines.openjtalk import OpenJTalkEngine
from yomiage.errors import ConfigError

NORMAL = VoiceSettings(speed=1.0, pitch=0.0, volume=0.0)


def _speak(engine: OpenJTalkEngine, texts: list[str]) -> dict[int, np.ndarray]:
    return {index: audio.samples for index, audio in engine.synthesize(texts)}


def test_speaks_japanese_as_float_samples_with_headroom() -> None:
    engine = OpenJTalkEngine(NORMAL, workers=1)
    [(index, audio)] = list(engine.synthesize(["今日はいい天気ですね。"]))
    assert index == 0
    assert audio.rate == 48_000
    assert audio.samples.dtype == np.float32
    assert 0.8 < audio.seconds < 4.0
    peak = float(np.abs(audio.samples).max())
    assert 0.05 < peak < 4.0  # full scale is 1.0; Open JTalk may pass it, nothing is clipped
    assert np.sqrt(np.mean(audio.samples**2)) > 0.01


def test_speed_setting_changes_duration() -> None:
    text = ["ゆっくり話すと長くなります。"]
    normal = _speak(OpenJTalkEngine(NORMAL, workers=1), text)[0]
    fast = _speak(OpenJTalkEngine(VoiceSettings(1.5, 0.0, 0.0), workers=1), text)[0]
    assert len(fast) < 0.8 * len(normal)


def test_pool_returns_every_text_once_and_matches_in_process_audio() -> None:
    texts = ["一つ目の文です。", "二つ目。", "三つ目の、少し長めの文章です。", "四。"]
    pooled = _speak(OpenJTalkEngine(NORMAL, workers=2), texts)
    assert sorted(pooled) == [0, 1, 2, 3]
    alone = _speak(OpenJTalkEngine(NORMAL, workers=1), texts[:1])[0]
    assert np.array_equal(pooled[0], alone)  # deterministic, whichever process spoke it


def test_identity_covers_every_voice_setting() -> None:
    identities = {
        OpenJTalkEngine(voice, 1).identity()
        for voice in (
            NORMAL,
            VoiceSettings(1.1, 0, 0),
            VoiceSettings(1, 1, 0),
            VoiceSettings(1, 0, -3),
        )
    }
    assert len(identities) == 4
    assert "pyopenjtalk-plus" in OpenJTalkEngine(NORMAL, 1).identity()


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown engine 'nope'"):
        make_engine("nope", load_config())
