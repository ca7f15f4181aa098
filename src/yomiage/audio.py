"""Audio as it passes between stages: float32 mono samples and their rate."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.signal import resample_poly

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
    """The same audio at `rate`, through a proper anti-aliasing filter."""
    if audio.rate == rate:
        return audio
    divisor = math.gcd(rate, audio.rate)
    samples = resample_poly(audio.samples, rate // divisor, audio.rate // divisor)
    return Audio(np.asarray(samples, dtype=np.float32), rate)
