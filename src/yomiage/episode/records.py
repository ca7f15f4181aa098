"""The folder's records: script.yaml, settings.yaml and manifest.json after a build."""

from __future__ import annotations

import dataclasses
import datetime

from yomiage import __version__
from yomiage.audio.master import MasterReport
from yomiage.audio.timeline import Timeline, Utterance
from yomiage.config import episode_settings_yaml
from yomiage.engines import ENGINES, Engine
from yomiage.episode.jobs import (
    EPISODE_FILE,
    SCRIPT_FILE,
    SETTINGS_FILE,
    Job,
    settings_hold,
)
from yomiage.episode.manifest import (
    ChapterRecord,
    Manifest,
    SegmentRecord,
    file_sha256,
    read_manifest,
    write_manifest,
)
from yomiage.files.atomic import (
    write_text_atomic,
    write_text_if_changed,
)


def write_records(job: Job, manifest: Manifest, engine: Engine) -> None:
    """script.yaml (when built from an article), settings.yaml, then manifest.json.

    Each is written only when its content changed: a user's comments in
    settings.yaml survive, and an up-to-date build of a read-only folder works.
    settings.yaml names the engine that spoke, never `auto`: a rebuild of the
    folder keeps that engine, so an episode never mixes engines.
    """
    folder, previous = job.folder, job.previous
    if job.script_text is not None:
        write_text_if_changed(folder / SCRIPT_FILE, job.script_text)
    config = job.config
    if engine.name in ENGINES:
        config = dataclasses.replace(
            config, engine=dataclasses.replace(config.engine, name=engine.name)
        )
    settings_path = folder / SETTINGS_FILE
    settings_before = file_sha256(settings_path)
    if not settings_hold(settings_path, config):
        write_text_atomic(settings_path, episode_settings_yaml(config))
    script_sha, settings_sha = file_sha256(folder / SCRIPT_FILE), file_sha256(settings_path)
    if job.script_text is not None:  # built from the article: its own script and settings
        script_edited = settings_edited = False
    else:  # built from the folder: edited unless still what the last build recorded
        script_edited = (
            previous is None or previous.script_edited or script_sha != previous.script_sha256
        )
        settings_edited = (
            previous is None
            or previous.settings_edited
            or settings_before != previous.settings_sha256
            or settings_sha != settings_before
        )
    recorded = dataclasses.replace(
        manifest,
        script_sha256=script_sha or "",
        script_edited=script_edited,
        settings_sha256=settings_sha or "",
        settings_edited=settings_edited,
    )
    if recorded != previous or read_manifest(folder) != recorded:
        write_manifest(folder, recorded)


def episode_manifest(
    job: Job,
    engine: Engine,
    utterances: list[Utterance],
    keys: list[str],
    lengths: list[int],
    timeline: Timeline,
    report: MasterReport,
    inputs_hash: str,
) -> Manifest:
    # The timeline holds the utterances that were heard, in order: pair them up.
    heard_starts = iter(timeline.offsets)
    starts = [
        round(next(heard_starts) * 1000 / timeline.rate) if length else None for length in lengths
    ]
    marks = {mark.id: mark for mark in timeline.chapters}
    chapters = []
    for index, chapter in enumerate(job.script.chapters):
        segments = tuple(
            SegmentRecord(key, u.text, u.said, length, start)
            for u, key, length, start in zip(utterances, keys, lengths, starts, strict=True)
            if u.chapter == index
        )
        mark = marks.get(chapter.id)
        chapters.append(
            ChapterRecord(
                chapter.id,
                chapter.title,
                mark.start_ms if mark else None,
                mark.end_ms if mark else None,
                segments,
            )
        )
    mp3 = job.folder / EPISODE_FILE
    date = job.config.episode.date or datetime.date.today()
    gains = dict(zip([m.id for m in timeline.chapters], report.chapter_gains_db, strict=True))
    return Manifest(
        yomiage=__version__,
        engine=engine.name,
        engine_identity=engine.identity(),
        date=date.isoformat(),
        source=job.source,
        # write_records fills in the hashes and flags of the files it writes.
        script_sha256="",
        script_edited=False,
        settings_sha256="",
        settings_edited=False,
        inputs_hash=inputs_hash,
        mp3_sha256=file_sha256(mp3) or "",
        mp3_bytes=mp3.stat().st_size,
        limiter_margin_db=report.margin_db,
        chapter_gains_db=tuple(gains.get(c.id) for c in job.script.chapters),
        loudness_lufs=round(report.loudness_lufs, 2),
        true_peak_dbtp=round(report.true_peak_dbtp, 2),
        duration_ms=timeline.duration_ms,
        chapters=tuple(chapters),
    )


def keys_of(manifest: Manifest | None) -> set[str]:
    if manifest is None:
        return set()
    return {s.key for c in manifest.chapters for s in c.segments}
