"""The engine protocol: what every text-to-speech engine offers the pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from yomiage.audio import Audio, Samples

__all__ = ["Audio", "Engine", "Samples"]


class Engine(Protocol):
    name: str
    # True when the engine spells English words it does not know letter by
    # letter (Open JTalk): the pipeline then gives it katakana readings for them.
    spells_latin: bool
    # True when the same text always gives the same audio (Open JTalk): speaking
    # a sentence again cannot fix it, only another reading of its text can.
    deterministic: bool

    def identity(self) -> str:
        """Engine, version, voice and every voice setting: what makes its audio what it is.

        Part of the segment cache key, so a changed setting never reuses old audio.
        """
        ...

    def synthesize(self, texts: Sequence[str]) -> Iterator[tuple[int, Audio]]:
        """Speak each text; yield (index into texts, audio) as each one finishes.

        Yielding in completion order lets the caller store every finished segment
        at once, so an interrupted build loses only the segments in flight.
        """
        ...
