"""Assembly: the timeline, the cover and the sidecars beside the MP3."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from yomiage.audio.master import (
    MASTER_RATE,
    MP3_FRAME,
)
from yomiage.audio.mp3frames import LEAD_SILENCE
from yomiage.audio.timeline import Pauses, Timeline, Utterance, plan_timeline
from yomiage.config import Config, PauseSettings
from yomiage.episode.jobs import Job
from yomiage.files.atomic import write_text_if_changed
from yomiage.publish.cover import draw_cover, prepare_cover
from yomiage.publish.sidecars import (
    CHAPTERS_FILE,
    SRT_FILE,
    VTT_FILE,
    chapters_json,
    srt,
    webvtt,
)
from yomiage.script.build import Script


def episode_timeline(
    script: Script, utterances: Sequence[Utterance], lengths: Sequence[int], pauses: PauseSettings
) -> Timeline:
    """Where every heard sentence and every chapter sits: the utterances given
    silent ones (length 0) are left out, as the chapters' frames leave them out."""
    heard = [(u, n) for u, n in zip(utterances, lengths, strict=True) if n]
    return plan_timeline(
        [u for u, _ in heard],
        [n for _, n in heard],
        [(c.id, c.title) for c in script.chapters],
        timeline_pauses(pauses),
        MASTER_RATE,
        MP3_FRAME,
        LEAD_SILENCE,
    )


def timeline_pauses(pauses: PauseSettings) -> Pauses:
    return Pauses.from_ms(
        pauses.sentence_ms, pauses.paragraph_ms, pauses.chapter_ms, pauses.edge_ms, MASTER_RATE
    )


def make_cover(job: Job, dest: Path) -> None:
    """The episode's cover: the show's own, fitted, or one drawn with the show and title."""
    if job.config.show.cover is not None:
        prepare_cover(job.config.show.cover, dest)
    else:
        draw_cover(job.config.show.name, job.script.title, dest)


def write_sidecars(folder: Path, timeline: Timeline, config: Config) -> None:
    """chapters.json and the transcript beside the MP3, from the timeline its chapters came from."""
    files = {CHAPTERS_FILE: chapters_json(timeline), VTT_FILE: webvtt(timeline)}
    if config.publish.srt:
        files[SRT_FILE] = srt(timeline)
    else:
        (folder / SRT_FILE).unlink(missing_ok=True)  # from an earlier build: it would go stale
    for name, text in files.items():
        write_text_if_changed(folder / name, text)
