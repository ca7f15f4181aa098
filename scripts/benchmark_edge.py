"""Benchmark: edge-tts synthesis throughput against the tests' stand-in of the service.

    python scripts/benchmark_edge.py [--runs 3] [--latency 0.4] [SOURCE]

No machine here reaches Microsoft's service, so the sample's sentences are
spoken by the stand-in (tests/edge_standin.py), which answers each request
after `--latency` seconds, as the real service does over a network. The real
edge-tts client, our splitting, retries and concurrency all run. Prints the
wall time and sentences per second with 1 request in flight and with N, as
medians over the runs, and the speed-up.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the stand-in lives with the tests

from edge_standin import EdgeStandIn  # noqa: E402

from yomiage.config import load_config  # noqa: E402
from yomiage.engines.edge import EdgeEngine  # noqa: E402
from yomiage.episode.build import script_utterances  # noqa: E402
from yomiage.script.build import build_script  # noqa: E402
from yomiage.source.read import read_source  # noqa: E402

SAMPLE = HERE.parent / "seeds" / "000_d963ebc8981accf9.txt"


def synthesize_all(texts: list[str], in_flight: int) -> float:
    config = load_config()
    config = dataclasses.replace(config, edge=dataclasses.replace(config.edge, in_flight=in_flight))
    engine = EdgeEngine.from_config(config)
    start = time.perf_counter()
    done = sum(1 for _ in engine.synthesize(texts))
    assert done == len(texts)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.4, help="seconds per request")
    args = parser.parse_args()

    texts = [
        u.text for u in script_utterances(build_script(read_source(args.source), load_config()))
    ]
    in_flight = load_config().edge.in_flight
    with EdgeStandIn(delay_s=args.latency) as standin:
        os.environ["YOMIAGE_EDGE_WSS_URL"] = standin.wss_url
        walls: dict[int, list[float]] = {1: [], in_flight: []}
        for run in range(args.runs):
            for n in walls:
                walls[n].append(synthesize_all(texts, n))
            print(
                f"run {run + 1}: "
                + ", ".join(f"{n} in flight {w[-1]:.2f} s" for n, w in walls.items())
            )
        most = standin.max_in_flight
    print()
    print(f"sentences                   {len(texts)} ({args.latency:.2f} s service latency each)")
    for n, times in walls.items():
        wall = statistics.median(times)
        rate = len(texts) / wall
        print(f"{n} in flight (median of {args.runs})  {wall:6.2f} s  {rate:5.1f} sentences/s")
    speedup = statistics.median(walls[1]) / statistics.median(walls[in_flight])
    print(f"speed-up with {in_flight} in flight    {speedup:.2f}x")
    print(f"most requests at once seen by the service: {most}")


if __name__ == "__main__":
    main()
