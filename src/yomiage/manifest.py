"""manifest.json: what an episode folder's MP3 was made of, for rebuilding only what changed.

Per chapter and segment it records the segment's cache key, its length and its
position in the MP3; for the episode, the engine and voice used, the versions,
and fingerprints of the inputs and of the files written. A build reads it to
tell an unchanged episode (nothing to do) from an edited script, and keeps the
episode's date and limiter margin so that a rebuild sounds like the last one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yomiage.files import write_text_atomic

MANIFEST_FILE = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class SegmentRecord:
    key: str  # the segment cache key
    text: str
    samples: int  # length at the master rate; 0 when the engine gave silence
    start_ms: int | None  # where it starts in the MP3; None when left out (silent)


@dataclass(frozen=True)
class ChapterRecord:
    id: str
    title: str
    start_ms: int | None  # None when every sentence came back silent
    end_ms: int | None
    segments: tuple[SegmentRecord, ...]


@dataclass(frozen=True)
class Manifest:
    yomiage: str  # version that built the episode
    engine: str
    engine_identity: str  # engine, its version, the voice and every voice setting
    date: str  # the episode's date, kept across rebuilds
    source: str | None  # the article it was built from, if any
    script_sha256: str  # script.yaml as the build left it: a later edit shows
    script_edited: bool  # the build read a hand-edited script.yaml
    settings_sha256: str
    fingerprint: str  # of every input that makes the MP3's bytes
    mp3_sha256: str
    mp3_bytes: int
    limiter_margin_db: float
    chapter_gains_db: tuple[float, ...]
    loudness_lufs: float
    true_peak_dbtp: float
    duration_ms: int
    chapters: tuple[ChapterRecord, ...]


def write_manifest(folder: Path, manifest: Manifest) -> None:
    data = {"format": FORMAT, **dataclasses.asdict(manifest)}
    write_text_atomic(folder / MANIFEST_FILE, json.dumps(data, ensure_ascii=False, indent=1))


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest; None when there is none, or it is damaged or from another format.

    Without a manifest a build still reuses every cached segment (their keys are
    content hashes); it only cannot tell that the MP3 is already up to date.
    """
    try:
        data = json.loads((folder / MANIFEST_FILE).read_text("utf-8"))
        if data.pop("format") != FORMAT:
            return None
        chapters = tuple(
            ChapterRecord(
                **{
                    **chapter,
                    "segments": tuple(SegmentRecord(**s) for s in chapter["segments"]),
                }
            )
            for chapter in data.pop("chapters")
        )
        gains = tuple(data.pop("chapter_gains_db"))
        return Manifest(**data, chapters=chapters, chapter_gains_db=gains)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def fingerprint(*parts: Any) -> str:
    """A hash of JSON-able parts, stable across runs and machines."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
