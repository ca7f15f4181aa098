"""The engine protocol: what every text-to-speech engine offers the pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from yomiage.audio.samples import Audio, Samples

__all__ = ["Audio", "Engine", "Samples", "VoiceInfo"]


@dataclass(frozen=True)
class VoiceInfo:
    name: str  # what the engine's voice setting takes
    gender: str
    description: str


class Engine(Protocol):
    name: str
    # True when the engine spells English words it does not know letter by
    # letter (Open JTalk): the pipeline then gives it katakana readings for them.
    spells_latin: bool
    # True when the same text always gives the same audio (Open JTalk): speaking
    # a sentence again cannot fix it, only another reading of its text can.
    deterministic: bool
    voice: str  # the reader's voice: the article is read in it
    # The show's own lines (intro, outro, chapter titles) are read in this one;
    # None: in the reader's voice.
    host_voice: str | None

    def identity(self, voice: str | None = None) -> str:
        """Engine, version, voice (None: the reader's) and every voice setting.

        Part of the segment cache key, so a changed setting or voice never reuses old audio.
        """
        ...

    def probe(self, timeout_s: float = 3.0) -> str | None:
        """None when the engine can speak now, else why not, within about timeout_s.

        An engine with a model loads it here (once), a service is asked to
        speak a tiny text; the answer is kept, so asking again costs nothing.
        """
        ...

    def voices(self) -> tuple[list[VoiceInfo], str | None]:
        """The Japanese voices it offers, and a note when the list is not the engine's own."""
        ...

    def synthesize(
        self, texts: Sequence[str], voices: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Audio]]:
        """Speak each text, in voices[i] (default: the reader's voice); yield (index, audio).

        Texts are started in the order given: the caller puts first what it
        needs first (the pipeline: chapter by chapter, longest first within one).

        Yielding in completion order lets the caller store every finished segment
        at once, so an interrupted build loses only the segments in flight.
        """
        ...
