"""Benchmark: one MP3 encode of an episode against chapters encoded apart and joined.

    python scripts/benchmark_mp3frames.py [--runs 3] [--minutes 10] [--chapters 10]

Times, as medians over the runs, on a speech-like signal (harmonic syllables
between exact-zero pauses): encoding the whole episode as one chapter; as
--chapters chapters one after another; the same two at a time; and joining an
hour's worth of chapter frames (mono 96 kbps and stereo 128 kbps) into one file.
The encodes take turns within each run, so a busy machine slows them alike; the
CPU time (ours and ffmpeg's) is shown beside the wall time.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from yomiage.audio.mp3frames import FRAME_SAMPLES, SAMPLE_RATE, encode_chapter, join_chapters

RATE = SAMPLE_RATE
PAUSE = round(0.4 * RATE)  # each side of a chapter boundary


def speechlike(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Syllables of a harmonic voice, in sentences of 1 to 4 s between 0.3 to 0.6 s pauses."""
    out = np.zeros(round(seconds * RATE), np.float32)
    position = 0
    while True:
        sentence = round(rng.uniform(1, 4) * RATE)
        if position + sentence > len(out):
            return out
        t = np.arange(sentence) / RATE
        pitch = rng.uniform(100, 220)
        voice = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 20))
        syllables = np.maximum(0, np.sin(2 * np.pi * rng.uniform(3, 6) * t)) ** 2
        out[position : position + sentence] = 0.08 * voice * syllables
        position += sentence + round(rng.uniform(0.3, 0.6) * RATE)


def episode(minutes: float, chapters: int, seed: int = 0) -> list[np.ndarray]:
    """Chapter spans: pause, speech, pause; all but the last a whole number of frames."""
    rng = np.random.default_rng(seed)
    spans = []
    for index in range(chapters):
        body = speechlike(minutes * 60 / chapters - 2 * PAUSE / RATE, rng)
        span = np.concatenate([np.zeros(PAUSE, np.float32), body, np.zeros(PAUSE, np.float32)])
        if index < chapters - 1:
            span = np.pad(span, (0, -len(span) % FRAME_SAMPLES))
        spans.append(span)
    return spans


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """Wall time and CPU time (this process and the ffmpeg processes it ran)."""

    def cpu() -> float:
        whose = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        return sum(u.ru_utime + u.ru_stime for u in map(resource.getrusage, whose))

    wall, used = time.perf_counter(), cpu()
    work()
    return time.perf_counter() - wall, cpu() - used


def medians(times: list[tuple[float, float]]) -> str:
    wall = statistics.median(t[0] for t in times)
    return f"{wall:6.2f} s (CPU {statistics.median(t[1] for t in times):5.2f} s)"


def encode_all(
    spans: list[np.ndarray], folder: Path, kbps: int, channels: int, workers: int
) -> None:
    def one(index: int) -> None:
        last = index == len(spans) - 1
        path = folder / f"chapter-{index}.mp3"
        encode_chapter(spans[index], path, bitrate_kbps=kbps, channels=channels, last=last)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, range(len(spans))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--chapters", type=int, default=10)
    args = parser.parse_args()
    whole = np.concatenate(episode(args.minutes, args.chapters))
    split = episode(args.minutes, args.chapters)
    print(f"{args.minutes:g} min of mono 96 kbps, medians of {args.runs}:")
    ways = {
        "1 chapter": ([whole], 1),
        f"{args.chapters} chapters, one by one": (split, 1),
        f"{args.chapters} chapters, two at a time": (split, 2),
    }
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for _ in range(args.runs):
            for way, (spans, workers) in ways.items():
                times[way].append(timed(partial(encode_all, spans, folder, 96, 1, workers)))
    for way, measured in times.items():
        print(f"  {way + ':':28} {medians(measured)}")
    for kbps, channels in ((96, 1), (128, 2)):
        print(join_an_hour(kbps, channels, args.runs))


def join_an_hour(kbps: int, channels: int, runs: int) -> str:
    """The same chapter's frames over and over for an hour, a short last chapter, joined."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        six = episode(6.0, 2, seed=1)
        middle = folder / "three-minutes.mp3"
        made = encode_chapter(six[0], middle, bitrate_kbps=kbps, channels=channels, last=False)
        ending = folder / "last.mp3"
        tail = six[1][: 10 * RATE]
        encode_chapter(tail, ending, bitrate_kbps=kbps, channels=channels, last=True)
        repeats = round(3600 / (made.samples / RATE))
        paths = [middle] * repeats + [ending]
        total = repeats * made.samples + len(tail)
        out = folder / "episode.mp3"
        measured = [
            timed(lambda: join_chapters(paths, out, total, bitrate_kbps=kbps, channels=channels))
            for _ in range(runs)
        ]
        size = out.stat().st_size / 1e6
    return (
        f"join {total / RATE / 60:.1f} min, {kbps} kbps {channels} ch"
        f" ({repeats + 1} chapters, {size:.1f} MB): {medians(measured)}"
    )


if __name__ == "__main__":
    main()
