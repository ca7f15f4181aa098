"""The check's findings: per sentence what should have been said and what was heard.

Kept in the episode folder as check.json, keyed to the sha256 of the MP3 that
was heard, so `regen --flagged` never acts on a report of another MP3.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from yomiage.episode.manifest import file_sha256
from yomiage.errors import CheckError
from yomiage.files.atomic import write_text_atomic

REPORT_FILE = "check.json"
FORMAT = 1


@dataclass(frozen=True)
class SentenceCheck:
    key: str  # the segment's cache key
    text: str  # as written
    spoken: str  # as the engine was given it
    heard: str  # what the recogniser wrote
    expected_kana: str  # both sides as compared
    heard_kana: str
    cer: float
    seconds: float  # voiced length in the MP3
    expected_seconds: float  # what its morae need at the episode's pace
    reasons: tuple[str, ...]  # why it is flagged; empty: it is not

    @property
    def flagged(self) -> bool:
        return bool(self.reasons)


@dataclass(frozen=True)
class ChapterCheck:
    id: str
    title: str
    cer: float  # edits over expected kana, over the chapter's sentences
    sentences: tuple[SentenceCheck, ...]

    @property
    def flagged(self) -> int:
        return sum(1 for s in self.sentences if s.flagged)


@dataclass(frozen=True)
class CheckReport:
    mp3_sha256: str  # of the MP3 that was heard
    model: str
    mean_cer: float  # edits over expected kana, over the whole episode
    seconds_per_mora: float  # the episode's pace, which expected lengths are measured by
    audio_seconds: float
    chapters: tuple[ChapterCheck, ...]

    @property
    def flagged(self) -> int:
        return sum(c.flagged for c in self.chapters)

    def flagged_sentences(self) -> list[tuple[ChapterCheck, SentenceCheck]]:
        return [(c, s) for c in self.chapters for s in c.sentences if s.flagged]


def report_json(report: CheckReport) -> str:
    chapters = [
        {
            "id": chapter.id,
            "title": chapter.title,
            "cer": round(chapter.cer, 4),
            "flagged": chapter.flagged,
            "sentences": [_sentence_json(s) for s in chapter.sentences],
        }
        for chapter in report.chapters
    ]
    data = {
        "format": FORMAT,
        "mp3_sha256": report.mp3_sha256,
        "model": report.model,
        "mean_cer": round(report.mean_cer, 4),
        "flagged": report.flagged,
        "seconds_per_mora": round(report.seconds_per_mora, 4),
        "audio_seconds": round(report.audio_seconds, 3),
        "chapters": chapters,
    }
    return json.dumps(data, ensure_ascii=False, indent=1)


def _sentence_json(sentence: SentenceCheck) -> dict[str, Any]:
    data = asdict(sentence)
    data["reasons"] = list(sentence.reasons)
    data["flagged"] = sentence.flagged
    for name in ("cer", "seconds", "expected_seconds"):
        data[name] = round(data[name], 3)
    return data


def write_report(path: Path, report: CheckReport) -> None:
    write_text_atomic(path, report_json(report))


def flagged_keys(folder: Path, mp3: Path) -> tuple[str, ...]:
    """Segment keys the folder's last check flagged, if that check heard this very MP3."""
    path = folder / REPORT_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError("another format")
        heard = str(data["mp3_sha256"])
        keys = [
            str(s["key"]) for c in data["chapters"] for s in c["sentences"] if s["flagged"] is True
        ]
    except FileNotFoundError:
        message = f"{folder}: no {REPORT_FILE}; run `yomiage check {folder}` first"
        raise CheckError(message) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckError(f"{path}: not a report yomiage can read ({exc}); check again") from None
    if heard != file_sha256(mp3):
        raise CheckError(
            f"{path} is the report of another {mp3.name} (it changed since): "
            f"run `yomiage check {folder}` again"
        )
    return tuple(dict.fromkeys(keys))
