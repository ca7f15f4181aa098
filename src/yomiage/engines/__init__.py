"""Text-to-speech engines behind one small protocol, found by name in ENGINES.

`auto` (the default) is not an engine but a choice, made once for the whole
episode: the first of AUTO_ORDER that can speak now (edge when its service
answers, else Kokoro when its model loads, else Open JTalk), each engine
passed over said in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

from yomiage.config import AUTO_ENGINE, ENGINE_NAMES, Config
from yomiage.engines.base import Audio, Engine, VoiceInfo
from yomiage.engines.openjtalk import OpenJTalkEngine
from yomiage.errors import ConfigError, SynthesisError

EngineFactory = Callable[[Config], Engine]
AUTO_PROBE_S = 3.0  # how long `auto` waits for the edge service before going offline
AUTO_ORDER = ("edge", "kokoro", "openjtalk")
# What `auto` says of each engine it passes over: the one it tries next.
_OFFLINE_WORDS = {"kokoro": "Kokoro (offline)", "openjtalk": "Open JTalk (offline)"}


def _edge(config: Config) -> Engine:
    from yomiage.engines.edge import EdgeEngine  # here: edge-tts and aiohttp load only if used

    return EdgeEngine.from_config(config)


def _kokoro(config: Config) -> Engine:
    from yomiage.engines.kokoro import KokoroEngine  # numpy only; the model loads in probe()

    return KokoroEngine.from_config(config)


ENGINES: dict[str, EngineFactory] = {
    "openjtalk": OpenJTalkEngine.from_config,
    "edge": _edge,
    "kokoro": _kokoro,
}
assert set(ENGINES) == set(ENGINE_NAMES) == set(AUTO_ORDER), "config.ENGINE_NAMES is the list"


def make_engine(name: str, config: Config) -> Engine:
    """The engine called `name`; for `auto`, see choose_engine (this one says nothing)."""
    return choose_engine(name, config)[0]


def choose_engine(name: str, config: Config) -> tuple[Engine, list[str]]:
    """The engine for `name`, and for `auto` one line per engine it passed over, and why."""
    if name != AUTO_ENGINE:
        try:
            factory = ENGINES[name]
        except KeyError:
            known = ", ".join([AUTO_ENGINE, *sorted(ENGINES)])
            raise ConfigError(f"unknown engine '{name}' (known: {known})") from None
        return factory(config), []
    notes: list[str] = []
    for candidate, after in pairwise(AUTO_ORDER):
        try:
            engine = ENGINES[candidate](config)
            problem = engine.probe(AUTO_PROBE_S)
        except ConfigError as exc:  # a setting this engine cannot honour (Kokoro: pitch)
            problem = str(exc)
        if problem is None:
            return engine, notes
        notes.append(f"{problem}: speaking with {_OFFLINE_WORDS[after]} for the whole episode")
    return ENGINES[AUTO_ORDER[-1]](config), notes


def engine_voices(name: str, config: Config) -> tuple[list[VoiceInfo], str | None]:
    """The Japanese voices `name` offers, and a note when they are not the engine's own list."""
    return ENGINES[name](config).voices()


def check_reachable(engine: Engine) -> None:
    """Before synthesis: a clear error now when the engine cannot speak (no service, no model)."""
    if (problem := engine.probe(AUTO_PROBE_S)) is not None:
        others = ", ".join(f"--engine {n}" for n in AUTO_ORDER if n != engine.name)
        raise SynthesisError(f"{problem}; to build with another engine, use {others}")


__all__ = [
    "AUTO_ORDER",
    "ENGINES",
    "Audio",
    "Engine",
    "VoiceInfo",
    "check_reachable",
    "choose_engine",
    "engine_voices",
    "make_engine",
]
