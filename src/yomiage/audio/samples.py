"""Audio as it passes between stages: float32 mono samples and their rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import soxr

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Audio:
    """Mono speech: float32 samples where 1.0 is full scale, at `rate` Hz."""

    samples: Samples
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


def resample(audio: Audio, rate: int) -> Audio:
    """The same audio at `rate`, through libsoxr's very-high-quality filter: what lies
    above the new Nyquist frequency is left below -135 dB (scipy's resample_poly
    let a 23 kHz tone through at -11 dB going 48 -> 44.1 kHz)."""
    if audio.rate == rate:
        return audio
    samples = soxr.resample(audio.samples, audio.rate, rate, quality="VHQ")
    return Audio(np.asarray(samples, dtype=np.float32), rate)
