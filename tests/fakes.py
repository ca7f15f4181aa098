"""A fake engine for fast unit tests: deterministic audio whose length is set by the text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import numpy as np

from yomiage.audio.samples import Audio
from yomiage.engines.base import VoiceInfo
from yomiage.errors import SynthesisError

SECONDS_PER_CHARACTER = 0.06


class FakeEngine:
    """Speaks a voiced-sounding tone per text and records every text it was asked for.

    `fail_after` makes it raise SynthesisError once that many texts were spoken,
    like an engine that dies midway through a build.
    """

    name = "fake"
    spells_latin = False  # the pipeline tests need no Open JTalk lookups
    deterministic = True
    voice = "reader"

    def __init__(
        self,
        rate: int = 24_000,
        fail_after: int | None = None,
        silent: frozenset[str] = frozenset(),
        host_voice: str | None = None,
    ) -> None:
        self.rate = rate
        self.host_voice = host_voice
        self.fail_after = fail_after
        self.silent = silent  # texts it "cannot pronounce": empty audio, as Open JTalk gives
        self.calls: list[str] = []
        self.voices_asked: list[tuple[str, str]] = []  # (voice, text) of every call

    def identity(self, voice: str | None = None) -> str:
        return f"fake/1/rate={self.rate}" + ("" if voice in (None, self.voice) else f"/{voice}")

    def probe(self, timeout_s: float = 3.0) -> str | None:
        return None

    def voices(self) -> tuple[list[VoiceInfo], str | None]:
        return [VoiceInfo(self.voice, "Female", "a fake voice")], None

    def synthesize(
        self, texts: Sequence[str], voices: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Audio]]:
        for index, text in enumerate(texts):
            if self.fail_after is not None and len(self.calls) >= self.fail_after:
                raise SynthesisError(f"fake engine failed on 「{text[:20]}」", index)
            voice = self.voice if voices is None else voices[index]
            self.calls.append(text)
            self.voices_asked.append((voice, text))
            samples = (
                np.zeros(0, np.float32)
                if text in self.silent
                else speechlike(text + ("" if voice == self.voice else voice), self.rate)
            )
            yield index, Audio(samples, self.rate)


def speechlike(text: str, rate: int) -> np.ndarray:
    """A pitched pulse-rich tone with a syllable-rate envelope; its pitch comes from the text."""
    seconds = max(0.3, SECONDS_PER_CHARACTER * len(text))
    t = np.arange(int(seconds * rate)) / rate
    pitch = 110 + int(hashlib.sha256(text.encode()).hexdigest()[:4], 16) % 80
    voice = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 12))
    envelope = (
        0.5 * (1 - np.cos(2 * np.pi * 4 * t)) * np.minimum(1, np.minimum(t, seconds - t) * 20)
    )
    return (0.3 * voice * envelope).astype(np.float32)
