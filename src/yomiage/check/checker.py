"""`yomiage check`: listen to an episode's MP3 and flag the sentences not said as written.

    manifest.json -> sentence spans -> MP3 at 16 kHz -> Whisper -> kana -> CER and length

A sentence of MIN_CER_MORAE or more is flagged when its kana error rate is
over `check.max_cer`, and any sentence when its voiced length is far from what
its morae need at the episode's own pace (the median seconds per mora over its
sentences, so that a slower voice or `voice.speed` needs no setting): a reply
cut short is short, a reply with other words is usually both wrong and off in
length.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yomiage.check.kana import cer, comparable, edits, episode_speech, kana_for, morae
from yomiage.check.listen import (
    RATE,
    Span,
    clip,
    decode_episode,
    sentence_spans,
    transcribe,
    voiced_seconds,
)
from yomiage.check.model import choose_model, load_model
from yomiage.check.report import ChapterCheck, CheckReport, SentenceCheck
from yomiage.config import CheckSettings
from yomiage.engines.openjtalk import usable_cores
from yomiage.episode.jobs import EPISODE_FILE
from yomiage.episode.manifest import (
    MANIFEST_FILE,
    Manifest,
    SegmentRecord,
    file_sha256,
    read_manifest,
)
from yomiage.errors import CheckError

MIN_PACE_MORAE = 6  # sentences this long or longer set the episode's pace
# Heard alone, one or two morae come back as other words (Whisper base: 一 -> 1位,
# 二 -> いや): shorter sentences are judged by their length only.
MIN_CER_MORAE = 3


@dataclass(frozen=True)
class Heard:
    """One sentence as the recogniser heard it, before it is judged."""

    span: Span
    segment: SegmentRecord
    heard: str
    expected_kana: str  # g2p's, long-vowel marks kept: they count as morae
    heard_kana: str
    seconds: float


def episode_of(target: Path) -> tuple[Path, Path]:
    """(folder, MP3) for an episode folder or the MP3 in one."""
    if target.is_dir():
        folder, mp3 = target, target / EPISODE_FILE
    else:
        folder, mp3 = target.parent, target
    if not mp3.is_file():
        raise CheckError(f"{mp3}: no such MP3")
    return folder, mp3


def check_episode(
    target: Path,
    settings: CheckSettings,
    started: Callable[[int], None] = lambda total: None,
    advance: Callable[[int], None] = lambda n: None,
) -> CheckReport:
    """Hear every sentence of the episode at `target` and judge it; writes nothing."""
    folder, mp3 = episode_of(target)
    manifest = _manifest_of(folder, mp3)
    choice = choose_model(settings.model)
    model = load_model(choice, usable_cores())
    audio = decode_episode(mp3)
    spans = sentence_spans(manifest, settings.pad_ms / 1000)
    if not spans:
        raise CheckError(f"{folder / MANIFEST_FILE}: the episode has no spoken sentences")
    started(len(spans))
    heard = transcribe(model, audio, spans, advance)
    segments = [manifest.chapters[s.chapter].segments[s.segment] for s in spans]
    kana = kana_for([s.spoken for s in segments] + heard, episode_speech(folder))
    sentences = [
        Heard(span, segment, text, expected, got, voiced_seconds(clip(audio, span)))
        for span, segment, text, expected, got in zip(
            spans, segments, heard, kana[: len(spans)], kana[len(spans) :], strict=True
        )
    ]
    pace = episode_pace(sentences)
    judged = {(h.span.chapter, h.span.segment): judge(h, pace, settings) for h in sentences}
    chapters = []
    for c, chapter in enumerate(manifest.chapters):
        checks = tuple(judged[c, s] for s in range(len(chapter.segments)) if (c, s) in judged)
        chapters.append(ChapterCheck(chapter.id, chapter.title, _cer(checks), checks))
    every = tuple(s for c in chapters for s in c.sentences)
    return CheckReport(
        file_sha256(mp3) or "", choice.label, _cer(every), pace, len(audio) / RATE, tuple(chapters)
    )


def _manifest_of(folder: Path, mp3: Path) -> Manifest:
    manifest = read_manifest(folder)
    if manifest is None:
        raise CheckError(
            f"{folder}: no readable {MANIFEST_FILE} beside {mp3.name}, so the sentences "
            f"cannot be found in it; build the episode with yomiage"
        )
    if file_sha256(mp3) != manifest.mp3_sha256:
        raise CheckError(
            f"{mp3} is not the MP3 {MANIFEST_FILE} describes: "
            f"rebuild it with `yomiage build {folder}`"
        )
    return manifest


def episode_pace(sentences: list[Heard]) -> float:
    """Median voiced seconds per mora over the longer sentences (all, if none is long)."""
    long = [h for h in sentences if morae(h.expected_kana) >= MIN_PACE_MORAE] or sentences
    paces = [h.seconds / morae(h.expected_kana) for h in long if morae(h.expected_kana)]
    return statistics.median(paces) if paces else 0.0


def judge(heard: Heard, pace: float, settings: CheckSettings) -> SentenceCheck:
    expected, got = comparable(heard.expected_kana), comparable(heard.heard_kana)
    rate = cer(expected, got)
    needed = morae(heard.expected_kana) * pace
    reasons = []
    if rate > settings.max_cer and morae(heard.expected_kana) >= MIN_CER_MORAE:
        reasons.append(f"kana error rate {rate:.2f} is over {settings.max_cer:g}")
    if heard.seconds < needed * settings.short_ratio - settings.slack_s:
        reasons.append(f"too short: {heard.seconds:.1f} s where its text needs {needed:.1f} s")
    elif heard.seconds > needed * settings.long_ratio + settings.slack_s:
        reasons.append(f"too long: {heard.seconds:.1f} s where its text needs {needed:.1f} s")
    segment = heard.segment
    return SentenceCheck(
        segment.key,
        segment.text,
        segment.spoken,
        heard.heard,
        expected,
        got,
        rate,
        heard.seconds,
        needed,
        tuple(reasons),
    )


def _cer(sentences: tuple[SentenceCheck, ...]) -> float:
    """Edits over expected kana across `sentences` (a long sentence weighs more)."""
    total = sum(len(s.expected_kana) for s in sentences)
    wrong = sum(edits(s.expected_kana, s.heard_kana) for s in sentences)
    return wrong / total if total else 0.0
