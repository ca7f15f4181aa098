"""Text-to-speech engines behind one small protocol, found by name in ENGINES."""

from __future__ import annotations

from collections.abc import Callable

from yomiage.config import Config
from yomiage.engines.base import Audio, Engine
from yomiage.engines.openjtalk import OpenJTalkEngine
from yomiage.errors import ConfigError

EngineFactory = Callable[[Config], Engine]

ENGINES: dict[str, EngineFactory] = {
    "openjtalk": OpenJTalkEngine.from_config,
}


def make_engine(name: str, config: Config) -> Engine:
    try:
        factory = ENGINES[name]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise ConfigError(f"unknown engine '{name}' (known: {known})") from None
    return factory(config)


__all__ = ["ENGINES", "Audio", "Engine", "make_engine"]
