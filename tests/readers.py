"""Real readers for the MP3s the tests produce: ffmpeg's own chapter listing and loudness meter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from yomiage.audio.ffmpeg import run_ffmpeg


def ffmetadata_chapters(mp3: Path, tmp_path: Path) -> list[dict[str, str]]:
    """The chapters as ffmpeg sees them (`ffmpeg -i EP.mp3 -f ffmetadata`): each [CHAPTER] as a dict."""
    out = tmp_path / f"{mp3.stem}.ffmetadata.txt"
    run_ffmpeg(["-y", "-i", str(mp3), "-f", "ffmetadata", str(out)], what="list chapters")
    chapters: list[dict[str, str]] = []
    for line in out.read_text(encoding="utf-8").splitlines():
        if line == "[CHAPTER]":
            chapters.append({})
        elif chapters and "=" in line and not line.startswith(("#", ";")):
            key, _, value = line.partition("=")
            chapters[-1][key] = re.sub(r"\\(.)", r"\1", value)  # ffmetadata escapes =;#\
    return chapters


def chapter_start_ms(chapter: dict[str, str]) -> float:
    numerator, denominator = chapter["TIMEBASE"].split("/")
    return int(chapter["START"]) * 1000 * int(numerator) / int(denominator)


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float


def ebur128(path: Path) -> Loudness:
    """Integrated loudness and true peak as ffmpeg's ebur128 filter measures them."""
    log = run_ffmpeg(
        ["-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"], what="measure loudness"
    )
    summary = log[log.rindex("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    assert integrated and peak, summary
    return Loudness(float(integrated.group(1)), float(peak.group(1)))
