"""manifest.json: what an episode folder's MP3 was made of, for rebuilding only what changed.

Per chapter and segment it records the segment's cache key, its length and its
position in the MP3; for the episode, the engine and voice used, the versions,
and fingerprints of the inputs and of the files written. A build reads it to
tell an unchanged episode (nothing to do) from an edited script, and keeps the
episode's date and limiter margin so that a rebuild sounds like the last one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from yomiage.files.atomic import write_text_atomic

MANIFEST_FILE = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class SegmentRecord:
    key: str  # the segment cache key
    text: str  # as written
    spoken: str  # as the engine was given it
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
    script_edited: bool  # it holds hand edits (the build read it from the folder)
    settings_sha256: str  # settings.yaml likewise
    settings_edited: bool
    inputs_hash: str  # of every input that makes the MP3's bytes; "" while a regen runs
    mp3_sha256: str
    mp3_bytes: int
    limiter_margin_db: float
    chapter_gains_db: tuple[float | None, ...]  # per script chapter; None: it was silent
    loudness_lufs: float
    true_peak_dbtp: float
    duration_ms: int
    chapters: tuple[ChapterRecord, ...]


_Record = TypeVar("_Record", "Manifest", "ChapterRecord", "SegmentRecord")


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
        if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
            return None
        return _typed(Manifest, data)
    except (OSError, ValueError):  # ValueError: bad JSON, or a field of the wrong type
        return None


def _typed(cls: type[_Record], data: object) -> _Record:
    """`cls` built from JSON data, every field checked against its annotation."""
    hints = typing.get_type_hints(cls)
    if not isinstance(data, dict) or set(data) != set(hints):
        raise ValueError(f"{cls.__name__}: wrong fields")
    return cls(**{name: _field(data[name], hint) for name, hint in hints.items()})


def _field(value: object, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(hint):
            with contextlib.suppress(ValueError):
                return _field(value, option)
        raise ValueError(f"{value!r} is none of {hint}")
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{value!r} is not a list")
        return tuple(_field(item, typing.get_args(hint)[0]) for item in value)
    if hint in (ChapterRecord, SegmentRecord):
        return _typed(hint, value)
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is type(None) and value is None:
        return None
    if hint in (str, int, bool) and type(value) is hint:
        return value
    raise ValueError(f"{value!r} is not a {hint}")


def fingerprint(*parts: Any) -> str:
    """A hash of JSON-able parts, stable across runs and machines."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None
