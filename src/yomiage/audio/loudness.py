"""Loudness as ITU-R BS.1770-4 defines it: K-weighting, 400 ms blocks, two gates.

The K-weighted energy is kept per 100 ms step, so one filter pass over the mix
serves every chapter, and a gain applied to a chapter is just a factor on its
steps (the filter is linear): normalising chapters costs one pass, not one each.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.signal import sosfilt

from yomiage.audio.samples import Samples

STEP_S = 0.1  # gating blocks are 400 ms, overlapping by 75%: four steps each
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
_OFFSET = -0.691  # BS.1770's constant between K-weighted power and LUFS

Energies = npt.NDArray[np.float64]


def k_weighting(rate: int) -> npt.NDArray[np.float64]:
    """The two K-weighting biquads (high shelf, then high pass) as SOS rows for `rate`.

    Coefficients from the analog prototype, as libebur128 does, so any rate works.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2 * (k * k - 1) / a0,
        (1 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1 + k / q + k * k
    high_pass = [1.0, -2.0, 1.0, 1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]
    return np.array([shelf, high_pass])


def step_energies(samples: Samples, rate: int) -> Energies:
    """Mean K-weighted power of each 100 ms step (a last partial step is dropped).

    Filtered ten seconds at a time, carrying the filter state across, so memory
    stays small however long the episode.
    """
    step = round(STEP_S * rate)
    sos = k_weighting(rate).astype(np.float32)
    state = np.zeros((sos.shape[0], 2), dtype=np.float32)
    usable = len(samples) // step * step
    chunk = 100 * step
    energies = np.empty(usable // step, dtype=np.float64)
    for start in range(0, usable, chunk):
        piece = samples[start : min(start + chunk, usable)].astype(np.float32)  # a copy
        # In silence the filters' state decays into denormal floats, which the CPU
        # handles up to 30 times slower; a -180 dB tone at Nyquist keeps it normal.
        piece[0::2] += np.float32(1e-9)
        piece[1::2] -= np.float32(1e-9)
        weighted, state = sosfilt(sos, piece, zi=state)
        steps = weighted.reshape(-1, step)
        energies[start // step : start // step + len(steps)] = np.einsum(
            "ij,ij->i", steps, steps, dtype=np.float64
        )
    return energies / step


def integrated_lufs(energies: Energies) -> float:
    """Gated integrated loudness from step energies; -inf when nothing passes the gates."""
    if len(energies) < 4:
        return -math.inf
    blocks = (energies[:-3] + energies[1:-2] + energies[2:-1] + energies[3:]) / 4
    with np.errstate(divide="ignore"):
        levels = _OFFSET + 10 * np.log10(blocks)
    blocks, levels = blocks[levels > ABSOLUTE_GATE_LUFS], levels[levels > ABSOLUTE_GATE_LUFS]
    if len(blocks) == 0:
        return -math.inf
    relative_gate = _OFFSET + 10 * math.log10(blocks.mean()) + RELATIVE_GATE_LU
    return _OFFSET + 10 * math.log10(blocks[levels > relative_gate].mean())


def loudness_lufs(samples: Samples, rate: int) -> float:
    return integrated_lufs(step_energies(samples, rate))
