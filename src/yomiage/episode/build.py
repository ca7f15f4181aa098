"""The pipeline, assembled in one place: source -> script -> speech -> MP3 with chapters.

    source text -> Document -> Script -> utterances -> segments -> Timeline
                -> mastered MP3 -> ID3 tags and chapters

jobs.py prepares a build from an article or from an episode folder's edited
script.yaml; run_job does the rest. Every sentence whose segment is cached is
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
import datetime
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from yomiage import __version__
from yomiage.audio.master import (
    FIRST_MARGIN_DB,
    MASTER_RATE,
    MP3_FRAME,
    MasterReport,
    master_to_mp3,
)
from yomiage.audio.samples import Samples, resample
from yomiage.audio.timeline import Pauses, Timeline, Utterance, assemble, plan_timeline
from yomiage.config import Config, PauseSettings, episode_settings_yaml
from yomiage.engines import ENGINES, Audio, Engine, check_reachable, make_engine
from yomiage.episode.cache import SegmentCache, segment_key
from yomiage.episode.jobs import (
    COVER_FILE,
    EPISODE_FILE,
    SCRIPT_FILE,
    SEGMENTS_DIR,
    SETTINGS_FILE,
    Job,
    prepare_from_folder,
    prepare_from_source,
    settings_hold,
)
from yomiage.episode.lock import episode_lock
from yomiage.episode.manifest import (
    MANIFEST_FILE,
    ChapterRecord,
    Manifest,
    SegmentRecord,
    file_sha256,
    fingerprint,
    read_manifest,
    write_manifest,
)
from yomiage.errors import OutputError, ScriptError, SynthesisError
from yomiage.files.atomic import (
    ensure_folder,
    remove_staging,
    replace_file,
    staging_file,
    write_text_atomic,
    write_text_if_changed,
)
from yomiage.publish.cover import draw_cover, prepare_cover
from yomiage.publish.sidecars import (
    CHAPTERS_FILE,
    SRT_FILE,
    VTT_FILE,
    chapters_json,
    srt,
    transcript_text,
    webvtt,
)
from yomiage.publish.tags import EpisodeTags, write_tags
from yomiage.script.build import Script, host_lines
from yomiage.speech.latin import LatinReadings
from yomiage.speech.lexicon import lexicon_for
from yomiage.speech.split import is_speakable, split_sentences
from yomiage.speech.spoken import Speech

__all__ = [
    "EPISODE_FILE",
    "SCRIPT_FILE",
    "SEGMENTS_DIR",
    "SETTINGS_FILE",
    "BuildPlan",
    "BuildResult",
    "Job",
    "build_episode",
    "plan_job",
    "prepare_from_folder",
    "prepare_from_source",
    "run_job",
]
# Raised when what a build writes into the MP3 changes (2: cover and USLT), so
# that episodes built before are rebuilt rather than called up to date.
OUTPUT_FORMAT = 2
LATIN_WORDS_FILE = "latin-words.json"  # in .segments: Open JTalk's and e2k's answers


class Progress(Protocol):
    """What the pipeline tells a progress display; the CLI draws it with rich."""

    def stage(self, name: str) -> None: ...

    def start_synthesis(self, total: int, cached: int) -> None: ...

    def segment_done(self, chapter_title: str) -> None: ...


class QuietProgress:
    def stage(self, name: str) -> None:
        pass

    def start_synthesis(self, total: int, cached: int) -> None:
        pass

    def segment_done(self, chapter_title: str) -> None:
        pass


@dataclass(frozen=True)
class ChapterPlan:
    id: str
    title: str
    segments: int
    to_synthesize: int


@dataclass(frozen=True)
class BuildPlan:
    """What a build would do: which chapters need speech, and whether the MP3 is current."""

    chapters: tuple[ChapterPlan, ...]
    segments: int  # distinct sentences
    to_synthesize: int  # of those, how many the engine would speak
    up_to_date: bool  # the MP3 was built from exactly these inputs: nothing to do


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

    @property
    def audio_seconds(self) -> float:
        return self.timeline.total_samples / self.timeline.rate


# ---------------------------------------------------------------- preparing a job


def build_episode(
    source: Path,
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


# ---------------------------------------------------------------- planning


def plan_job(job: Job, engine: Engine) -> BuildPlan:
    """What run_job would do, without doing it: reads the manifest, the MP3 and the cache."""
    speech = speech_for(job.folder, engine, save=False)
    utterances = script_utterances(job.script, speech, host_lines(job.script, job.config))
    keys = _segment_keys(utterances, engine)
    up_to_date = _is_up_to_date(job, _inputs_hash(job, utterances, keys, engine))
    if up_to_date:
        todo: set[str] = set()
    else:
        todo = _keys_to_synthesize(job, utterances, keys, SegmentCache(job.folder / SEGMENTS_DIR))
    chapters = []
    for index, chapter in enumerate(job.script.chapters):
        chapter_keys = {k for u, k in zip(utterances, keys, strict=True) if u.chapter == index}
        chapters.append(
            ChapterPlan(chapter.id, chapter.title, len(chapter_keys), len(chapter_keys & todo))
        )
    return BuildPlan(tuple(chapters), len(set(keys)), len(todo), up_to_date)


def _segment_keys(utterances: list[Utterance], engine: Engine) -> list[str]:
    """One key per utterance, from the text and the engine in the voice that speaks it."""
    identities = {voice: engine.identity(voice) for voice in {engine.voice, _host_voice(engine)}}
    return [segment_key(identities[_voice_of(u, engine)], u.said) for u in utterances]


def _host_voice(engine: Engine) -> str:
    return engine.host_voice or engine.voice


def _voice_of(utterance: Utterance, engine: Engine) -> str:
    """The show's lines in the host's voice when the engine has one; the article in the reader's."""
    return _host_voice(engine) if utterance.host else engine.voice


def _keys_to_synthesize(
    job: Job, utterances: list[Utterance], keys: list[str], cache: SegmentCache
) -> set[str]:
    """Keys of chapters and sentences to regenerate, and keys the cache does not hold."""
    regen = {i for i, c in enumerate(job.script.chapters) if c.id in job.regen}
    return {
        key
        for u, key in zip(utterances, keys, strict=True)
        if u.chapter in regen or key in job.regen_keys or not cache.has(key)
    }


def _inputs_hash(job: Job, utterances: list[Utterance], keys: list[str], engine: Engine) -> str:
    """A hash of everything that makes the MP3's bytes: if it matches, the MP3 is current."""
    tags = episode_tags(job.script, job.config)
    show_cover = job.config.show.cover
    cover = file_sha256(show_cover) if show_cover else None  # its bytes, not where it lies
    return fingerprint(
        __version__,
        OUTPUT_FORMAT,
        engine.identity(),
        [(c.id, c.title) for c in job.script.chapters],
        [(u.chapter, u.paragraph, key) for u, key in zip(utterances, keys, strict=True)],
        dataclasses.asdict(job.config.pauses),
        dataclasses.asdict(job.config.master),
        dataclasses.asdict(tags),
        cover,
    )


def _is_up_to_date(job: Job, inputs_hash: str) -> bool:
    """The MP3 is the one the last build made from exactly these inputs; no regen asked."""
    previous = job.previous
    return (
        not job.speaks_again
        and previous is not None
        and previous.inputs_hash == inputs_hash
        and file_sha256(job.folder / EPISODE_FILE) == previous.mp3_sha256
    )


# ---------------------------------------------------------------- running


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
        speech = speech_for(folder, engine)
        utterances = script_utterances(job.script, speech, host_lines(job.script, job.config))
    keys = _segment_keys(utterances, engine)
    inputs_hash = _inputs_hash(job, utterances, keys, engine)
    if _is_up_to_date(job, inputs_hash):
        assert job.previous is not None
        _write_records(job, job.previous, engine)
        unchanged = _unchanged_result(job, utterances, engine)
        write_sidecars(folder, unchanged.timeline, job.config)  # if one was deleted
        if not (folder / COVER_FILE).is_file():
            make_cover(job, folder / COVER_FILE)  # the same picture the MP3 holds
        return unchanged

    cache = SegmentCache(folder / SEGMENTS_DIR)
    todo = _keys_to_synthesize(job, utterances, keys, cache)
    if todo:
        # An unreachable service, a model that does not load: a clear error now, not retries.
        progress.stage(f"starting {engine.name}")  # a model loads here: seconds
        check_reachable(engine)
    if job.speaks_again and job.previous is not None:
        # New takes replace cached ones under the same keys: until the new MP3 is
        # made, the old one must not pass for up to date.
        write_manifest(folder, dataclasses.replace(job.previous, inputs_hash=""))
    with _timed(seconds, "synthesis"):
        audios, synthesized = synthesize(
            utterances, keys, todo, job.script, engine, cache, progress
        )
    lengths = [len(a.samples) for a in audios]
    # Sentences the engine could not pronounce came back empty: leave them out.
    heard = [(u, a) for u, a in zip(utterances, audios, strict=True) if len(a.samples)]
    if not heard:
        raise SynthesisError(
            f"{folder}: the {engine.name} engine produced no sound for any sentence"
        )
    with _timed(seconds, "assembly"):
        progress.stage("assembling")
        timeline, mix = assemble_episode(
            job.script, [u for u, _ in heard], [a for _, a in heard], job.config.pauses
        )
        del audios, heard  # the mix holds them now: keep peak memory down
    staging = staging_file(folder / EPISODE_FILE)
    cover_staging = staging_file(folder / COVER_FILE)
    margin = job.previous.limiter_margin_db if job.previous else FIRST_MARGIN_DB
    try:
        with _timed(seconds, "mastering"):
            progress.stage("mastering and encoding")
            report = master_to_mp3(
                mix, timeline.chapter_samples(), job.config.master, staging, margin
            )
        with _timed(seconds, "tagging"):
            progress.stage("writing tags, chapters and transcript")
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
    manifest = _manifest(job, engine, utterances, keys, lengths, timeline, report, inputs_hash)
    _write_records(job, manifest, engine)
    cache.prune(keep=set(keys) | _keys_of(job.previous))
    return BuildResult(
        mp3, job.script, timeline, report, engine.name, len(set(keys)), synthesized, False, seconds
    )


def _write_records(job: Job, manifest: Manifest, engine: Engine) -> None:
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


def _manifest(
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
        source=str(job.source.resolve()) if job.source else None,
        # _write_records fills in the hashes and flags of the files it writes.
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


def _unchanged_result(job: Job, utterances: list[Utterance], engine: Engine) -> BuildResult:
    """What the last build made, from its manifest: the timeline is planned again from it."""
    previous = job.previous
    assert previous is not None
    lengths = [s.samples for c in previous.chapters for s in c.segments]
    spoken = [(u, n) for u, n in zip(utterances, lengths, strict=True) if n]
    timeline = plan_timeline(
        [u for u, _ in spoken],
        [n for _, n in spoken],
        [(c.id, c.title) for c in job.script.chapters],
        _pauses(job.config.pauses),
        MASTER_RATE,
        MP3_FRAME,
    )
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


def _keys_of(manifest: Manifest | None) -> set[str]:
    if manifest is None:
        return set()
    return {s.key for c in manifest.chapters for s in c.segments}


def assemble_episode(
    script: Script, utterances: list[Utterance], audios: list[Audio], pauses: PauseSettings
) -> tuple[Timeline, Samples]:
    """Plan where every sentence goes, then lay them out in one buffer."""
    segments = [audio.samples for audio in audios]
    timeline = plan_timeline(
        utterances,
        [len(s) for s in segments],
        [(c.id, c.title) for c in script.chapters],
        _pauses(pauses),
        MASTER_RATE,
        MP3_FRAME,
    )
    return timeline, assemble(timeline, segments)


def _pauses(pauses: PauseSettings) -> Pauses:
    return Pauses.from_ms(
        pauses.sentence_ms, pauses.paragraph_ms, pauses.chapter_ms, pauses.edge_ms, MASTER_RATE
    )


def script_utterances(
    script: Script, speech: Speech | None = None, host: frozenset[tuple[int, int]] = frozenset()
) -> list[Utterance]:
    """Every sentence of the script in order; with `speech`, also what the engine is given.

    `host` holds the (chapter, paragraph) of the show's own lines (script.host_lines).
    """
    written = [
        Utterance(
            chapter_index, paragraph_index, sentence, host=(chapter_index, paragraph_index) in host
        )
        for chapter_index, chapter in enumerate(script.chapters)
        for paragraph_index, paragraph in enumerate(chapter.paragraphs)
        for sentence in split_sentences(paragraph)
    ]
    if speech is None:
        return written
    spoken = speech.spoken([u.text for u in written])
    utterances = [
        dataclasses.replace(u, spoken=s)
        for u, s in zip(written, spoken, strict=True)
        if is_speakable(s)  # a sentence that was only a mark or a link reference
    ]
    _refuse_silent_chapters(script, utterances)
    return utterances


def _refuse_silent_chapters(script: Script, utterances: Sequence[Utterance]) -> None:
    """A chapter with nothing to pronounce would be missing from the MP3 while the
    intro announces it: refused, before anything is synthesized."""
    spoken = {u.chapter for u in utterances}
    for index, chapter in enumerate(script.chapters):
        if index not in spoken:
            raise ScriptError(
                f"chapter {index + 1} 「{chapter.title}」 has nothing a Japanese voice can"
                " pronounce (only Hangul, emoji or other scripts it has no reading for);"
                " write it in Japanese or remove it"
            )


def speech_for(folder: Path, engine: Engine, save: bool = True) -> Speech:
    """The readings for an episode in `folder`, for `engine`."""
    latin = None
    if engine.spells_latin:
        latin = LatinReadings(folder / SEGMENTS_DIR / LATIN_WORDS_FILE, save=save)
    return Speech(lexicon_for(folder), latin)


def synthesize(
    utterances: list[Utterance],
    keys: list[str],
    todo: set[str],
    script: Script,
    engine: Engine,
    cache: SegmentCache,
    progress: Progress,
) -> tuple[list[Audio], int]:
    """Audio for every utterance, and how many texts the engine spoke.

    Keys in `todo`, and any segment missing or damaged in the cache, go to the
    engine. Each segment is cached the moment the engine returns it, so an
    interrupted build keeps everything finished.
    """
    audios: list[Audio | None] = [None if key in todo else cache.get(key) for key in keys]
    audios = [None if a is None else resample(a, MASTER_RATE) for a in audios]  # a no-op today
    # The same sentence may recur (a refrain, a repeated heading): speak it once.
    missing: dict[str, list[int]] = {}
    for index, audio in enumerate(audios):
        if audio is None:
            missing.setdefault(keys[index], []).append(index)
    progress.start_synthesis(
        total=len(utterances), cached=len(utterances) - sum(map(len, missing.values()))
    )
    groups = list(missing.values())
    texts = [utterances[group[0]].said for group in groups]
    voices = [_voice_of(utterances[group[0]], engine) for group in groups]
    try:
        for position, spoken in engine.synthesize(texts, voices):
            # Resampled here, while the engine's workers are busy, and cached at the master rate.
            audio = resample(spoken, MASTER_RATE)
            group = groups[position]
            cache.put(keys[group[0]], audio)
            for index in group:
                audios[index] = audio
                progress.segment_done(script.chapters[utterances[index].chapter].title)
    except SynthesisError as exc:
        if exc.position is None or not 0 <= exc.position < len(groups):
            raise
        place = sentence_place(script, utterances, groups[exc.position][0])
        raise SynthesisError(f"{place}: {exc}", exc.position) from exc
    finished = [audio for audio in audios if audio is not None]
    if len(finished) != len(audios):
        raise SynthesisError(f"the {engine.name} engine returned no audio for some sentences")
    return finished, len(groups)


def sentence_place(script: Script, utterances: Sequence[Utterance], index: int) -> str:
    """Where utterances[index] stands: chapter N 「title」, paragraph P, sentence S."""
    utterance = utterances[index]
    sentence = 1 + sum(
        1
        for other in utterances[:index]
        if (other.chapter, other.paragraph) == (utterance.chapter, utterance.paragraph)
    )
    chapter = script.chapters[utterance.chapter]
    return (
        f"chapter {utterance.chapter + 1} 「{chapter.title}」, "
        f"paragraph {utterance.paragraph + 1}, sentence {sentence}"
    )


def episode_tags(
    script: Script, config: Config, cover: Path | None = None, transcript: str | None = None
) -> EpisodeTags:
    return EpisodeTags(
        title=script.title,
        host=config.show.host,
        show=config.show.name,
        description=script.description,
        date=config.episode.date or datetime.date.today(),
        cover=cover,
        source_url=config.episode.source_url,
        transcript=transcript,
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


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
