"""Benchmark: `yomiage check` on the sample, spoken by Open JTalk and by edge (the stand-in).

    python scripts/benchmark_check.py [--runs 3] [--engine openjtalk|edge|both] [SOURCE]

Builds the sample with each engine into a temporary folder (edge: the real
edge-tts client against the tests' stand-in of the service, which speaks with
Open JTalk's voice so that the recogniser hears speech), then checks it
`--runs` times. Prints the kana error rate per chapter, the flagged sentences
(on a clean build, false alarms), and the check's wall time against the
episode's duration, as medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the stand-in lives with the tests

from edge_standin import EdgeStandIn  # noqa: E402

from yomiage.check.checker import check_episode  # noqa: E402
from yomiage.check.report import CheckReport  # noqa: E402
from yomiage.config import load_config  # noqa: E402
from yomiage.engines import make_engine  # noqa: E402
from yomiage.episode.build import build_episode  # noqa: E402

SAMPLE = HERE.parent / "seeds" / "000_d963ebc8981accf9.txt"


def measure(folder: Path, runs: int) -> tuple[CheckReport, list[float]]:
    walls, report = [], None
    for run in range(runs):
        start = time.perf_counter()
        report = check_episode(folder, load_config().check)
        walls.append(time.perf_counter() - start)
        print(f"  run {run + 1}: {walls[-1]:.1f} s for {report.audio_seconds:.1f} s of audio")
    assert report is not None
    return report, walls


def show(engine: str, report: CheckReport, walls: list[float]) -> None:
    sentences = sum(len(c.sentences) for c in report.chapters)
    print(f"\n{engine}: {len(report.chapters)} chapters, {sentences} sentences")
    for number, chapter in enumerate(report.chapters, start=1):
        print(f"  {number}  {chapter.id}  CER {chapter.cer:.3f}  flagged {chapter.flagged}")
    print(f"  episode CER {report.mean_cer:.3f}; pace {report.seconds_per_mora:.4f} s per mora")
    for _, sentence in report.flagged_sentences():
        why = "; ".join(sentence.reasons)
        print(f"  flagged: {sentence.text} | heard {sentence.heard} | {why}")
    wall = statistics.median(walls)
    print(
        f"  check {wall:.1f} s (median of {len(walls)}) for {report.audio_seconds:.1f} s: "
        f"{wall / report.audio_seconds:.3f} s per audio second"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", choices=("openjtalk", "edge", "both"), default="both")
    args = parser.parse_args()
    engines = ["openjtalk", "edge"] if args.engine == "both" else [args.engine]
    with tempfile.TemporaryDirectory(prefix="yomiage-check-") as out:
        for engine in engines:
            print(f"building the sample with {engine}")
            if engine == "edge":
                with EdgeStandIn(speech="openjtalk") as standin:
                    os.environ["YOMIAGE_EDGE_WSS_URL"] = standin.wss_url
                    built = build_episode(
                        args.source, load_config(), Path(out) / engine,
                        engine=make_engine("edge", load_config()),
                    )  # fmt: skip
            else:
                built = build_episode(
                    args.source, load_config(), Path(out) / engine,
                    engine=make_engine(engine, load_config()),
                )  # fmt: skip
            show(engine, *measure(built.mp3.parent, args.runs))


if __name__ == "__main__":
    main()
