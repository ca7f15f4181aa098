"""Text-to-speech engines behind one small protocol, found by name in ENGINES.

`auto` (the default) is not an engine but a choice: edge when its service
answers within a few seconds, else Open JTalk for the whole episode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from yomiage.config import AUTO_ENGINE, Config
from yomiage.engines.base import Audio, Engine
from yomiage.engines.openjtalk import OpenJTalkEngine
from yomiage.errors import ConfigError, SynthesisError

EngineFactory = Callable[[Config], Engine]
AUTO_PROBE_S = 3.0  # how long `auto` waits for the edge service before going offline


def _edge(config: Config) -> Engine:
    from yomiage.engines.edge import EdgeEngine  # here: edge-tts and aiohttp load only if used

    return EdgeEngine.from_config(config)


ENGINES: dict[str, EngineFactory] = {
    "openjtalk": OpenJTalkEngine.from_config,
    "edge": _edge,
}


def make_engine(name: str, config: Config) -> Engine:
    """The engine called `name`; for `auto`, see choose_engine (this one says nothing)."""
    return choose_engine(name, config)[0]


def choose_engine(name: str, config: Config) -> tuple[Engine, str | None]:
    """The engine for `name`, and for `auto` a line saying why it is Open JTalk, if it is."""
    if name == AUTO_ENGINE:
        edge = _edge(config)
        problem = edge_problem(edge)
        if problem is None:
            return edge, None
        note = f"{problem}: speaking with Open JTalk (offline) for the whole episode"
        return OpenJTalkEngine.from_config(config), note
    try:
        factory = ENGINES[name]
    except KeyError:
        known = ", ".join([AUTO_ENGINE, *sorted(ENGINES)])
        raise ConfigError(f"unknown engine '{name}' (known: {known})") from None
    return factory(config), None


def edge_problem(engine: Engine, timeout_s: float = AUTO_PROBE_S) -> str | None:
    """Why the edge service cannot be used now (None: it answered), within timeout_s."""
    probe = getattr(engine, "probe", None)
    return None if probe is None else probe(timeout_s)


@dataclass(frozen=True)
class VoiceInfo:
    name: str
    gender: str
    description: str


OPEN_JTALK_VOICES = [
    VoiceInfo("mei_normal", "Female", "Open JTalk's HTS voice, shipped in pyopenjtalk-plus"),
]


def engine_voices(name: str, config: Config) -> tuple[list[VoiceInfo], str | None]:
    """The Japanese voices `name` offers, and a note when they are not the service's own list."""
    if name != "edge":
        return OPEN_JTALK_VOICES, None
    from yomiage.engines.edge import japanese_voices

    voices, from_service = japanese_voices()
    listed = [VoiceInfo(v.name, v.gender, v.friendly_name) for v in voices]
    note = None if from_service else "the edge-tts service does not answer: the shipped list"
    return listed, note


def check_reachable(engine: Engine) -> None:
    """Before synthesis with edge: a clear error within seconds when its service is down."""
    if engine.name == "edge" and (problem := edge_problem(engine)) is not None:
        raise SynthesisError(f"{problem}; to build offline, use --engine openjtalk")


__all__ = [
    "ENGINES",
    "Audio",
    "Engine",
    "VoiceInfo",
    "check_reachable",
    "choose_engine",
    "engine_voices",
    "make_engine",
]
