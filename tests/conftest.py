"""Every test runs with its own empty user config; no test reaches the edge service or a model hub."""

from __future__ import annotations

import io
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

CLOSED_EDGE_URL = "ws://127.0.0.1:9/edge/v1?TrustedClientToken=0"  # port 9: nothing listens


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where `yomiage check` joins the packaged model: once per test session."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def _isolated_user_config(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, model_cache: Path
) -> None:
    home = tmp_path_factory.mktemp("config-home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    # No model is ever downloaded: a size name must be in the local hub cache, or fail.
    monkeypatch.setenv("YOMIAGE_MODEL_CACHE", str(model_cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("YOMIAGE_READINGS", raising=False)
    # A developer's proxy would carry the tests' 127.0.0.1 pages; the proxy tests set theirs.
    for name in ("http_proxy", "https_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    # The edge service is never reached from a test: `auto` finds this port closed
    # at once and speaks with Open JTalk; edge tests point it at their stand-in.
    monkeypatch.setenv("YOMIAGE_EDGE_WSS_URL", CLOSED_EDGE_URL)
    monkeypatch.setenv("YOMIAGE_EDGE_VOICES_URL", "http://127.0.0.1:9/voices/list")


@pytest.fixture(scope="session", autouse=True)
def _auto_offline_is_open_jtalk() -> Iterator[None]:
    """Offline, `auto` speaks with Kokoro. Most tests build with `auto` and are about the
    pipeline, not the voice: there it goes on to the much faster Open JTalk, keeping CI short.
    Session-wide, so that module fixtures building an episode see it too."""
    import yomiage.engines

    REAL_AUTO_ORDER.extend(yomiage.engines.AUTO_ORDER)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yomiage.engines, "AUTO_ORDER", ("edge", "openjtalk"))
        yield


REAL_AUTO_ORDER: list[str] = []


@pytest.fixture(autouse=True)
def _kokoro_in_auto(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests of auto's own choice carry the kokoro_in_auto marker and get the real order."""
    if request.node.get_closest_marker("kokoro_in_auto") is not None:
        monkeypatch.setattr("yomiage.engines.AUTO_ORDER", tuple(REAL_AUTO_ORDER))


def user_lexicon() -> Path:
    """Where the user's lexicon for every episode lives in this test."""
    from yomiage.speech.lexicon import user_lexicon_path

    return user_lexicon_path()


@cache
def cover_png(side: int = 1400, colour: tuple[int, int, int] = (30, 60, 90)) -> bytes:
    """A valid square PNG cover, as podcast players require (1400 to 3000 px)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (side, side), colour).save(buffer, "PNG")
    return buffer.getvalue()
