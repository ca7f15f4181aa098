"""Benchmark: what theme music and stings cost a build, and what they cost the listen-back.

    python scripts/benchmark_music.py [--runs 3] [--engine openjtalk|kokoro] [--check] [SOURCE]

Builds the sample once (the speech is then cached) into two folders: one plain,
one with `music:` settings (a 16 s arpeggio as intro and outro theme, written
as MP3 by our ffmpeg, and a 0.6 s chime as the sting). Then, `--runs` times and
alternating, deletes each folder's chapter frames and MP3 and builds it again,
so that every chapter is laid out, mixed (or not), mastered and encoded, and
prints the medians and their ratio. `--check` also listens to both episodes
with `yomiage check` and prints the kana error rate per chapter.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from yomiage.audio.ffmpeg import ffmpeg_exe
from yomiage.check.checker import check_episode
from yomiage.config import load_config

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent / "seeds" / "000_d963ebc8981accf9.txt"
RATE = 44100
# C, Am, F, G as arpeggios of quarter-second notes, four times: 16 s
NOTES = (
    261.6, 329.6, 392.0, 523.3, 220.0, 261.6, 329.6, 440.0,
    174.6, 220.0, 261.6, 349.2, 196.0, 246.9, 293.7, 392.0,
)  # fmt: skip


def write_wav(path: Path, samples: np.ndarray) -> None:
    scaled = (samples / np.max(np.abs(samples)) * 0.5 * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(scaled.tobytes())


def write_music(folder: Path) -> Path:
    """The theme (MP3) and the sting (WAV), and settings naming them; returns the settings."""
    t = np.arange(int(RATE * 0.25)) / RATE
    envelope = np.exp(-t * 6)
    notes = [
        (np.sin(2 * np.pi * f * t) + 0.3 * np.sin(4 * np.pi * f * t)) * envelope for f in NOTES
    ]
    write_wav(folder / "theme.wav", np.concatenate(notes * 4))
    subprocess.run(
        [ffmpeg_exe(), "-y", "-loglevel", "error", "-i", str(folder / "theme.wav"),
         "-b:a", "128k", str(folder / "theme.mp3")],
        check=True,
    )  # fmt: skip
    t = np.arange(int(RATE * 0.6)) / RATE
    chime = (np.sin(2 * np.pi * 880 * t) + 0.5 * np.sin(2 * np.pi * 1320 * t)) * np.exp(-t * 5)
    write_wav(folder / "chime.wav", chime)
    settings = folder / "music.yaml"
    settings.write_text("music:\n  intro: theme.mp3\n  outro: theme.mp3\n  sting: chime.wav\n")
    return settings


def build(source: Path, out: Path, engine: str, settings: Path | None) -> tuple[float, str]:
    """(wall seconds, the done line) of one `yomiage build` through the CLI."""
    command = [sys.executable, "-m", "yomiage.cli", "build", str(source), "-o", str(out)]
    command += ["--engine", engine] + (["-c", str(settings)] if settings else [])
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    done = next(line for line in result.stderr.splitlines() if line.startswith("done:"))
    return wall, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", default="openjtalk")
    parser.add_argument("--check", action="store_true", help="listen to both with Whisper base")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = write_music(root)
        plain, music = root / "plain", root / "music"
        wall, done = build(args.source, plain, args.engine, None)
        print(f"first build: {wall:.1f} s; {done}")
        folder = next(p for p in plain.iterdir() if p.is_dir())
        shutil.copytree(folder, music / folder.name)  # the same cached speech
        walls: dict[str, list[float]] = {"plain": [], "music": []}
        for run in range(args.runs):
            for kind, out, given in (("plain", plain, None), ("music", music, settings)):
                episode = out / folder.name
                shutil.rmtree(episode / ".chapters", ignore_errors=True)
                (episode / "episode.mp3").unlink(missing_ok=True)
                wall, done = build(args.source, out, args.engine, given)
                walls[kind].append(wall)
                print(f"run {run + 1} {kind}: {wall:.2f} s; {done}")
        medians = {kind: statistics.median(values) for kind, values in walls.items()}
        print(
            f"\nevery chapter encoded again, median of {args.runs}: plain {medians['plain']:.2f} s,"
            f" with music {medians['music']:.2f} s: {medians['music'] / medians['plain']:.2f}x"
        )
        if args.check:
            config = load_config().check
            reports = {kind: check_episode(out / folder.name, config) for kind, out in
                       (("plain", plain), ("music", music))}  # fmt: skip
            print("\nkana CER per chapter (yomiage check, Whisper base): plain / with music")
            for a, b in zip(reports["plain"].chapters, reports["music"].chapters, strict=True):
                print(f"  {a.id}  {a.title[:20]:20}  {a.cer:.3f} / {b.cer:.3f}")
            print(f"  episode  {reports['plain'].mean_cer:.3f} / {reports['music'].mean_cer:.3f}")


if __name__ == "__main__":
    main()
