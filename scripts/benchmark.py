"""Benchmark: build the sample episode and compare with a plain Open JTalk loop.

    python scripts/benchmark.py [--runs 3] [SOURCE]

Prints the audio length, wall time, real-time factor, time per stage, peak
memory, and the same text spoken by a sequential `pyopenjtalk.tts` loop, all as
medians over the runs (the two are interleaved, so machine noise hits both).
After each build it also times what a user does next: rebuilding the folder
with nothing changed, rebuilding it with every segment cached but no MP3 (one
assembly pass), and regenerating one chapter (`regen --chapter`).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyopenjtalk

from yomiage.config import load_config
from yomiage.engines import make_engine
from yomiage.episode.build import BuildResult, build_episode, run_job
from yomiage.episode.jobs import EPISODE_FILE, folder_config, prepare_from_folder
from yomiage.episode.plan import script_utterances
from yomiage.script.build import build_script
from yomiage.source.read import read_source
from yomiage.speech.latin import LatinReadings
from yomiage.speech.lexicon import Lexicon
from yomiage.speech.spoken import Speech

SAMPLE = Path(__file__).resolve().parent.parent / "seeds" / "000_d963ebc8981accf9.txt"
STAGES = ("parse", "readings", "synthesis", "encoding", "tagging")


def build_once(source: Path, out: Path) -> tuple[float, BuildResult]:
    start = time.perf_counter()
    config = load_config()
    result = build_episode(source, config, out, engine=make_engine("openjtalk", config))
    return time.perf_counter() - start, result


def rebuild_once(folder: Path, regen: list[str] | None = None) -> tuple[float, BuildResult]:
    """`yomiage build EPISODE_DIR`, or `yomiage regen EPISODE_DIR --chapter ...`."""
    start = time.perf_counter()
    job = prepare_from_folder(folder, folder_config(folder), regen or [])
    result = run_job(job, make_engine(job.config.engine.name, job.config))
    return time.perf_counter() - start, result


def plain_loop(texts: list[str]) -> tuple[float, float]:
    """Wall seconds and audio seconds of `pyopenjtalk.tts` over every sentence, one by one."""
    start = time.perf_counter()
    audio_seconds = 0.0
    for text in texts:
        samples, rate = pyopenjtalk.tts(text)
        audio_seconds += len(samples) / rate
    return time.perf_counter() - start, audio_seconds


def build_peak_rss_mb(source: Path, out: Path) -> float:
    """Peak resident memory of one build run in a fresh process (with its workers and ffmpeg)."""
    code = (
        "import sys; from pathlib import Path; from yomiage.config import load_config; "
        "from yomiage.episode.build import build_episode; "
        "from yomiage.engines import make_engine; c = load_config(); "
        "build_episode(Path(sys.argv[1]), c, Path(sys.argv[2]), engine=make_engine('openjtalk', c))"
    )
    subprocess.run([sys.executable, "-c", code, str(source), str(out)], check=True)
    # Linux reports KiB: the largest of every process waited for so far, so this
    # runs before anything else in the benchmark starts a process.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def regen_chapter(result: BuildResult) -> str:
    """The chapter a user would regenerate: the middle one (a topic, not the intro)."""
    return result.timeline.chapters[len(result.timeline.chapters) // 2].id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        peak_mb = build_peak_rss_mb(args.source, Path(folder))
    # The loop speaks what the build's engine is given: the same text, readings applied.
    script = build_script(read_source(args.source), load_config())
    speech = Speech(Lexicon.load(), LatinReadings())
    texts = [u.said for u in script_utterances(script, speech)]
    pyopenjtalk.g2p("あ")  # the loop gets a loaded dictionary for free, as a warm process would

    walls, stage_times, loop_walls = [], {s: [] for s in STAGES}, []
    unchanged, reassembled, regens, regen_synthesis = [], [], [], []
    result: BuildResult | None = None
    loop_audio = 0.0
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            wall, result = build_once(args.source, Path(folder) / f"run{run}")
            walls.append(wall)
            for stage in STAGES:
                stage_times[stage].append(result.seconds.get(stage, 0.0))
            episode = result.mp3.parent
            unchanged.append(rebuild_once(episode)[0])
            (episode / EPISODE_FILE).unlink()
            reassembled.append(rebuild_once(episode)[0])
            chapter = regen_chapter(result)
            regen_wall, regen_result = rebuild_once(episode, [chapter])
            regens.append(regen_wall)
            regen_synthesis.append(regen_result.seconds["synthesis"])
            loop_wall, loop_audio = plain_loop(texts)
            loop_walls.append(loop_wall)
            print(
                f"run {run + 1}: build {wall:.2f} s, regen {regen_wall:.2f} s, "
                f"plain loop {loop_wall:.2f} s",
                flush=True,
            )
    assert result is not None

    wall = statistics.median(walls)
    loop_wall = statistics.median(loop_walls)
    per_audio = wall / result.audio_seconds
    loop_per_audio = loop_wall / loop_audio
    print()
    print(f"source                      {args.source.name}")
    print(f"chapters / sentences        {len(result.timeline.chapters)} / {result.segments}")
    print(f"episode audio               {result.audio_seconds:.1f} s")
    print(f"build wall (median of {args.runs})    {wall:.2f} s")
    print(f"real-time factor            {per_audio:.4f} (wall s per audio s)")
    for stage in STAGES:
        seconds = statistics.median(stage_times[stage])
        print(f"  {stage:<25} {seconds:6.2f} s  ({seconds / wall:5.1%})")
    chapter = regen_chapter(result)
    sentences = sum(1 for s in result.timeline.sentences if s.chapter_id == chapter)
    for label, times in (
        ("rebuild, nothing changed", unchanged),
        ("rebuild, no MP3, all cached", reassembled),
        (f"regen {chapter} ({sentences} sentences)", regens),
    ):
        seconds = statistics.median(times)
        print(f"{label:<28}{seconds:6.2f} s  ({seconds / wall:5.1%} of a build)")
    print(f"  of which synthesis        {statistics.median(regen_synthesis):6.2f} s")
    print(f"plain pyopenjtalk.tts loop  {loop_wall:.2f} s for {loop_audio:.1f} s of speech")
    print(f"  loop wall per audio s     {loop_per_audio:.4f}")
    print(f"build / loop, per audio s   {per_audio / loop_per_audio:.2f}x")
    print(
        f"loudness / true peak        {result.master.loudness_lufs:.2f} LUFS / "
        f"{result.master.true_peak_dbtp:.2f} dBTP ({result.master.encodes} encode)"
    )
    print(f"peak memory of a build      {peak_mb:.0f} MB (its largest process)")


if __name__ == "__main__":
    main()
