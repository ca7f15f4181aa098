"""The pipeline, stage after stage: source -> script -> speech -> MP3 with chapters.

    source text -> Document -> Script -> utterances -> segments -> Timeline
                -> mastered MP3 -> ID3 tags and chapters

jobs.py prepares a build from an article or from an episode folder's edited
script.yaml; run_job does the rest, through the stages' own modules:
plan.py (what is said, under which keys, and whether the MP3 is current),
synthesize.py (what the cache lacks, spoken and cached), assemble.py (the
timeline, the mix, cover and sidecars) and records.py (script.yaml,
settings.yaml, manifest.json). Every sentence whose segment is cached is
reused and only the others are spoken; an episode whose inputs did not change
is left as it is. Only synthesis and the audio steps touch the outside world.
The MP3 replaces the old one in one step once it is complete; cover.jpg, the
sidecars (chapters.json, transcripts), script.yaml, settings.yaml and
manifest.json are then written one after another, each in one step. A crash
between them leaves the manifest behind the MP3, so the next build is not
"up to date" and writes them all again.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from yomiage.audio.loudness import integrated_lufs
from yomiage.audio.master import (
    MasterReport,
)
from yomiage.audio.mp3frames import join_chapters
from yomiage.audio.timeline import Timeline, Utterance
from yomiage.config import Config, MasterSettings
from yomiage.engines import Engine, check_reachable, make_engine
from yomiage.episode.assemble import (
    chapter_music,
    episode_timeline,
    make_cover,
    timeline_pauses,
    write_sidecars,
)
from yomiage.episode.cache import SegmentCache
from yomiage.episode.chapters import (
    CHAPTERS_DIR,
    ChapterEncoder,
    ChapterStore,
    ChapterUnit,
    EncodedChapter,
    chapter_key,
    chapter_units,
    encode_unit,
)
from yomiage.episode.jobs import (
    COVER_FILE,
    EPISODE_FILE,
    SEGMENTS_DIR,
    Job,
    prepare_from_source,
)
from yomiage.episode.lock import episode_lock
from yomiage.episode.manifest import (
    MANIFEST_FILE,
    file_sha256,
    write_manifest,
)
from yomiage.episode.plan import (
    episode_tags,
    hash_inputs,
    is_up_to_date,
    keys_to_synthesize,
    script_utterances,
    segment_keys,
    speech_for,
)
from yomiage.episode.progress import Progress, QuietProgress
from yomiage.episode.records import episode_manifest, keys_of, write_records
from yomiage.episode.synthesize import speak
from yomiage.errors import OutputError, SynthesisError
from yomiage.files.atomic import (
    ensure_folder,
    remove_staging,
    replace_file,
    staging_file,
)
from yomiage.publish.sidecars import transcript_text
from yomiage.publish.tags import write_tags
from yomiage.script.build import Script, host_lines


@dataclass
class BuildResult:
    mp3: Path
    script: Script
    timeline: Timeline
    master: MasterReport
    engine: str
    segments: int  # distinct sentences: one cached segment each
    synthesized: int  # of those, how many the engine spoke in this build
    up_to_date: bool = False  # nothing changed: the MP3 was left as it was
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage
    encoded: int = 0  # chapters mastered and encoded in this build; the others were copied

    @property
    def audio_seconds(self) -> float:
        return self.timeline.total_samples / self.timeline.rate


def build_episode(
    source: str | Path,
    config: Config,
    out_dir: Path,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> BuildResult:
    """Build the episode of `source` into out_dir/<slug>/ and return what was made."""
    start = time.perf_counter()
    job = prepare_from_source(source, config, out_dir, force=force)
    parsed = time.perf_counter() - start
    result = run_job(job, engine or make_engine(config.engine.name, config), progress)
    result.seconds["parse"] = parsed
    return result


def run_job(job: Job, engine: Engine, progress: Progress | None = None) -> BuildResult:
    """Synthesize what is missing, then assemble, master and tag the episode.

    The whole run holds the episode folder's lock: a second run in the same
    folder is refused, and what staging files a killed run left are removed.
    """
    folder = ensure_folder(job.folder)
    with episode_lock(folder):
        if file_sha256(folder / MANIFEST_FILE) != job.manifest_sha256:
            raise OutputError(
                f"another yomiage built {folder} after this run read it; run it again"
            )
        remove_staging(folder)
        return _run_locked(job, engine, progress or QuietProgress())


def _run_locked(job: Job, engine: Engine, progress: Progress) -> BuildResult:
    seconds: dict[str, float] = {}
    folder = job.folder
    with _timed(seconds, "readings"):  # the first build looks up English words
        progress.stage("preparing readings")
        speech = speech_for(folder, engine, job.script)
        utterances = script_utterances(job.script, speech, host_lines(job.script, job.config))
    keys = segment_keys(utterances, engine)
    inputs_hash = hash_inputs(job, utterances, keys, engine)
    if is_up_to_date(job, inputs_hash):
        assert job.previous is not None
        write_records(job, job.previous, engine)
        unchanged = _unchanged_result(job, utterances, engine)
        write_sidecars(folder, unchanged.timeline, job.config)  # if one was deleted
        if not (folder / COVER_FILE).is_file():
            make_cover(job, folder / COVER_FILE)  # the same picture the MP3 holds
        return unchanged

    cache = SegmentCache(folder / SEGMENTS_DIR)
    store = ChapterStore(folder / CHAPTERS_DIR)
    todo = keys_to_synthesize(job, utterances, keys, cache)
    units = chapter_units([(c.id, c.title) for c in job.script.chapters], utterances, keys)
    ends = {unit.index: (n == 0, n == len(units) - 1) for n, unit in enumerate(units)}

    pauses = timeline_pauses(job.config)  # with room for the music

    def key_of(unit: ChapterUnit) -> str | None:
        first, last = ends[unit.index]
        music = chapter_music(job.config.music, first=first, last=last)
        return chapter_key(
            unit,
            utterances,
            cache,
            pauses,
            job.config.master,
            first=first,
            last=last,
            music=music,
        )

    def encode(unit: ChapterUnit) -> EncodedChapter | None:
        key = key_of(unit)
        if key is None:
            raise SynthesisError(f"chapter {unit.index + 1} 「{unit.title}」: a segment is missing")
        first, last = ends[unit.index]
        music = chapter_music(job.config.music, first=first, last=last)
        return store.get(key) or encode_unit(
            unit,
            key,
            utterances,
            cache,
            store,
            pauses,
            job.config.master,
            first=first,
            last=last,
            music=music,
        )

    encoded: dict[int, EncodedChapter | None] = {}  # None: every sentence came back silent
    waiting: dict[int, set[str]] = {}  # chapters to encode, and the keys they wait for
    for unit in units:
        key = None if set(unit.keys) & todo else key_of(unit)
        found = store.get(key) if key else None
        if found is not None:
            encoded[unit.index] = found  # its frames are copied as they are
            continue
        # To be encoded: a damaged segment it takes from the cache is spoken again.
        todo |= {k for k in unit.keys if k not in todo and cache.get(k) is None}
        waiting[unit.index] = set(unit.keys) & todo
    if todo:
        # An unreachable service, a model that does not load: a clear error now, not retries.
        progress.stage(f"starting {engine.name}")  # a model loads here: seconds
        check_reachable(engine)
    if job.speaks_again and job.previous is not None:
        # New takes replace cached ones under the same keys: until the new MP3 is
        # made, the old one must not pass for up to date.
        write_manifest(folder, dataclasses.replace(job.previous, inputs_hash=""))
    progress.start_encoding(total=len(units), reused=len(encoded))
    by_index = {unit.index: unit for unit in units}
    encoder = ChapterEncoder(encode)

    def hand_over_ready() -> None:
        for index, keys_left in waiting.items():
            if not keys_left and not encoder.submitted(index):
                encoder.submit(by_index[index])
        for index in encoder.finished():
            progress.chapter_encoded(by_index[index].title)

    synthesized = 0
    try:
        with _timed(seconds, "synthesis"):
            for key in speak(utterances, keys, todo, job.script, engine, cache, progress):
                synthesized += 1
                for keys_left in waiting.values():
                    keys_left.discard(key)
                hand_over_ready()
        with _timed(seconds, "encoding"):  # what is left once the engine has finished
            hand_over_ready()
            progress.stage("encoding")
            encoded.update(encoder.results())
            hand_over_ready()
    finally:
        encoder.close()
    heard = [unit for unit in units if encoded.get(unit.index) is not None]
    if not heard:
        raise SynthesisError(
            f"{folder}: the {engine.name} engine produced no sound for any sentence"
        )
    if len(heard) != len(units):  # a chapter came back silent: its neighbours open or close
        ends = {unit.index: (n == 0, n == len(heard) - 1) for n, unit in enumerate(heard)}
        encoded.update({unit.index: encode(unit) for unit in heard})
    chapters = [encoded[unit.index] for unit in heard]
    lengths = [0] * len(utterances)
    for unit, chapter in zip(heard, chapters, strict=True):
        assert chapter is not None
        for member, length in zip(unit.members, chapter.lengths, strict=True):
            lengths[member] = length
    timeline = episode_timeline(job.script, utterances, lengths, job.config)
    report = _report([c for c in chapters if c is not None], store, job.config.master)
    staging = staging_file(folder / EPISODE_FILE)
    cover_staging = staging_file(folder / COVER_FILE)
    try:
        with _timed(seconds, "tagging"):
            progress.stage("writing tags, chapters and transcript")
            join_chapters(
                [store.frames(c.key) for c in chapters if c is not None],
                staging,
                timeline.total_samples,
                bitrate_kbps=job.config.master.bitrate_kbps,
                channels=job.config.master.channels,
            )
            make_cover(job, cover_staging)
            tags = episode_tags(job.script, job.config, cover_staging, transcript_text(timeline))
            write_tags(staging, tags, timeline.chapters)
            mp3 = folder / EPISODE_FILE
            replace_file(staging, mp3)
            replace_file(cover_staging, folder / COVER_FILE)
            write_sidecars(folder, timeline, job.config)
    finally:
        staging.unlink(missing_ok=True)
        cover_staging.unlink(missing_ok=True)
    manifest = episode_manifest(
        job, engine, utterances, keys, lengths, timeline, report, inputs_hash
    )
    write_records(job, manifest, engine)
    cache.prune(keep=set(keys) | keys_of(job.previous))
    store.prune(keep={c.key for c in chapters if c is not None})
    fresh = sum(1 for c in chapters if c is not None and c.encodes)
    return BuildResult(
        mp3,
        job.script,
        timeline,
        report,
        engine.name,
        len(set(keys)),
        synthesized,
        False,
        seconds,
        fresh,
    )


def _report(
    chapters: list[EncodedChapter], store: ChapterStore, settings: MasterSettings
) -> MasterReport:
    """The episode's level from its chapters' own measures: the loudness gated over
    every chapter's 100 ms steps together, the true peak the highest of theirs."""
    energies = np.concatenate([store.energies(c.key) for c in chapters])
    return MasterReport(
        tuple(c.gain_db for c in chapters),
        integrated_lufs(energies),
        max(c.true_peak_dbtp for c in chapters),
        sum(c.encodes for c in chapters),
        settings.true_peak_dbtp,
        max(c.margin_db for c in chapters),
    )


def _unchanged_result(job: Job, utterances: list[Utterance], engine: Engine) -> BuildResult:
    """What the last build made, from its manifest: the timeline is planned again from it."""
    previous = job.previous
    assert previous is not None
    lengths = [s.samples for c in previous.chapters for s in c.segments]
    timeline = episode_timeline(job.script, utterances, lengths, job.config)
    report = MasterReport(
        tuple(gain for gain in previous.chapter_gains_db if gain is not None),
        previous.loudness_lufs,
        previous.true_peak_dbtp,
        0,
        job.config.master.true_peak_dbtp,
        previous.limiter_margin_db,
    )
    distinct = len({s.key for c in previous.chapters for s in c.segments})
    return BuildResult(
        job.folder / EPISODE_FILE, job.script, timeline, report, engine.name, distinct, 0, True
    )


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
