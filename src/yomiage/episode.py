"""The pipeline, assembled in one place: source -> script -> speech -> MP3 with chapters.

    source text -> Document -> Script -> utterances -> segments -> Timeline
                -> mastered MP3 -> ID3 tags and chapters

A build starts from an article (prepare_from_source) or from an episode
folder's edited script.yaml (prepare_from_folder), then run_job does the rest:
every sentence whose segment is cached is reused, only the others are spoken,
and an episode whose inputs did not change is left as it is. Only synthesis
and the audio steps touch the outside world. The finished MP3, script.yaml,
settings.yaml and manifest.json replace the old ones only once everything has
succeeded.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from yomiage import __version__
from yomiage.audio import Samples, resample
from yomiage.cache import SegmentCache, segment_key
from yomiage.config import Config, PauseSettings, episode_settings_yaml
from yomiage.engines import Audio, Engine
from yomiage.errors import ScriptError, SourceError, SynthesisError
from yomiage.files import ensure_folder, replace_file, write_text_atomic
from yomiage.manifest import (
    ChapterRecord,
    Manifest,
    SegmentRecord,
    file_sha256,
    fingerprint,
    read_manifest,
    write_manifest,
)
from yomiage.master import FIRST_MARGIN_DB, MASTER_RATE, MP3_FRAME, MasterReport, master_to_mp3
from yomiage.script import Chapter, Script, build_script
from yomiage.scriptfile import read_script, script_to_yaml
from yomiage.source import read_source
from yomiage.speech.split import split_sentences
from yomiage.tags import EpisodeTags, write_tags
from yomiage.timeline import Pauses, Timeline, Utterance, assemble, plan_timeline

EPISODE_FILE = "episode.mp3"
SCRIPT_FILE = "script.yaml"
SETTINGS_FILE = "settings.yaml"
SEGMENTS_DIR = ".segments"


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
class Job:
    """One build to do: the script, the folder it goes to, and what to speak again."""

    folder: Path
    script: Script
    config: Config  # with the episode's date settled
    source: Path | None  # the article, when building from one
    script_text: str | None  # script.yaml to write; None when the build reads the folder's
    previous: Manifest | None
    regen: frozenset[str] = frozenset()  # chapter ids to synthesize even when cached


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
    result = run_job(job, engine or _engine(config), progress)
    result.seconds["parse"] = parsed
    return result


def prepare_from_source(source: Path, config: Config, out_dir: Path, force: bool = False) -> Job:
    """A job for the article at `source`; its script replaces the folder's script.yaml.

    Refuses, unless `force`, when that would throw away hand edits to the
    folder's script.yaml or settings.yaml.
    """
    document = read_source(source, config.source.chrome_patterns)
    script = build_script(document, config)
    folder = episode_folder(source, config, out_dir)
    previous = read_manifest(folder)
    script_text = script_to_yaml(script)
    if not force:
        _refuse_to_lose_edits(folder, previous, source, script_text)
    config = _with_date(config, previous)
    return Job(folder, script, config, source, script_text, previous)


def prepare_from_folder(folder: Path, config: Config, regen: Sequence[str] = ()) -> Job:
    """A job that rebuilds an episode folder from its (edited) script.yaml.

    `regen` names chapters (numbers from 1, or ids) to synthesize again even
    where their segments are cached.
    """
    check_episode_folder(folder)
    script = read_script(folder / SCRIPT_FILE)
    previous = read_manifest(folder)
    chosen = frozenset(find_chapter(script, reference, folder).id for reference in regen)
    source = Path(previous.source) if previous and previous.source else None
    return Job(folder, script, _with_date(config, previous), source, None, previous, chosen)


def check_episode_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise SourceError(f"{folder}: no such episode folder")
    if not (folder / SCRIPT_FILE).is_file():
        raise SourceError(f"{folder}: is a folder but not an episode folder (no {SCRIPT_FILE})")


def settings_files(folder: Path) -> list[Path]:
    """The settings an episode folder was built with, if it records them."""
    path = folder / SETTINGS_FILE
    return [path] if path.is_file() else []


def find_chapter(script: Script, reference: str, folder: Path) -> Chapter:
    """The chapter `reference` names: its number in the chapter list (from 1) or its id."""
    chapters = script.chapters
    if reference.isdigit() and 1 <= int(reference) <= len(chapters):
        return chapters[int(reference) - 1]
    for chapter in chapters:
        if chapter.id == reference:
            return chapter
    raise ScriptError(
        f"{folder}: no chapter {reference!r}; the episode has chapters 1 to {len(chapters)} "
        f"({chapters[0].id} to {chapters[-1].id}), see `yomiage chapters {folder}`"
    )


def _refuse_to_lose_edits(
    folder: Path, previous: Manifest | None, source: Path, script_text: str
) -> None:
    if previous is None:
        return  # built before manifests existed, or never: nothing recorded as edited
    script_path = folder / SCRIPT_FILE
    current = _read_text(script_path)
    replaced = current is not None and current != script_text
    edited = previous.script_edited or _sha(current or "") != previous.script_sha256
    if replaced and edited:
        raise ScriptError(
            f"{script_path} has edits that building from {source.name} would replace: "
            f"rebuild from them with `yomiage build {folder}`, or add --force to "
            f"start again from {source.name}"
        )
    settings_path = folder / SETTINGS_FILE
    settings = _read_text(settings_path)
    if settings is not None and _sha(settings) != previous.settings_sha256:
        raise ScriptError(
            f"{settings_path} has edits that building from {source.name} would replace: "
            f"pass it with --config {settings_path}, or add --force to replace it"
        )


def _with_date(config: Config, previous: Manifest | None) -> Config:
    """The episode keeps the date of its first build unless the settings give one."""
    if config.episode.date is not None:
        return config
    date = datetime.date.today()
    if previous is not None:
        with suppress(ValueError):
            date = datetime.date.fromisoformat(previous.date)
    return dataclasses.replace(config, episode=dataclasses.replace(config.episode, date=date))


def _engine(config: Config) -> Engine:
    from yomiage.engines import make_engine

    return make_engine(config.engine.name, config)


# ---------------------------------------------------------------- planning


def plan_job(job: Job, engine: Engine) -> BuildPlan:
    """What run_job would synthesize; reads only the cache's file names and the manifest."""
    utterances = script_utterances(job.script)
    keys = _segment_keys(utterances, engine)
    cache = SegmentCache(job.folder / SEGMENTS_DIR)
    todo = _keys_to_synthesize(job, utterances, keys, cache.has)
    chapters = tuple(
        ChapterPlan(
            chapter.id,
            chapter.title,
            segments=len({k for u, k in zip(utterances, keys, strict=True) if u.chapter == index}),
            to_synthesize=len(
                {k for u, k in zip(utterances, keys, strict=True) if u.chapter == index} & todo
            ),
        )
        for index, chapter in enumerate(job.script.chapters)
    )
    up_to_date = not todo and _is_up_to_date(job, _fingerprint(job, utterances, keys, engine))
    return BuildPlan(chapters, len(set(keys)), len(todo), up_to_date)


def _segment_keys(utterances: list[Utterance], engine: Engine) -> list[str]:
    identity = engine.identity()
    return [segment_key(identity, u.text) for u in utterances]


def _keys_to_synthesize(
    job: Job, utterances: list[Utterance], keys: list[str], cached: _HasKey
) -> set[str]:
    regen = {i for i, c in enumerate(job.script.chapters) if c.id in job.regen}
    return {
        key
        for u, key in zip(utterances, keys, strict=True)
        if u.chapter in regen or not cached(key)
    }


class _HasKey(Protocol):
    def __call__(self, key: str) -> bool: ...


def _fingerprint(job: Job, utterances: list[Utterance], keys: list[str], engine: Engine) -> str:
    """A hash of everything that makes the MP3's bytes: if it matches, the MP3 is current."""
    tags = episode_tags(job.script, job.config)
    cover = file_sha256(tags.cover) if tags.cover else None
    return fingerprint(
        __version__,
        engine.identity(),
        [c.id for c in job.script.chapters],
        [c.title for c in job.script.chapters],
        [(u.chapter, u.paragraph, key) for u, key in zip(utterances, keys, strict=True)],
        dataclasses.asdict(job.config.pauses),
        dataclasses.asdict(job.config.master),
        dataclasses.asdict(tags),
        cover,
    )


def _is_up_to_date(job: Job, inputs: str) -> bool:
    previous = job.previous
    return (
        previous is not None
        and previous.fingerprint == inputs
        and file_sha256(job.folder / EPISODE_FILE) == previous.mp3_sha256
    )


# ---------------------------------------------------------------- running


def run_job(job: Job, engine: Engine, progress: Progress | None = None) -> BuildResult:
    """Synthesize what is missing, then assemble, master and tag the episode."""
    progress = progress or QuietProgress()
    seconds: dict[str, float] = {}
    folder = ensure_folder(job.folder)
    utterances = script_utterances(job.script)
    keys = _segment_keys(utterances, engine)
    inputs = _fingerprint(job, utterances, keys, engine)
    cache = SegmentCache(folder / SEGMENTS_DIR)
    todo = _keys_to_synthesize(job, utterances, keys, cache.has)
    if not todo and _is_up_to_date(job, inputs) and job.previous is not None:
        _write_records(job, dataclasses.replace(job.previous))
        return _unchanged_result(job, utterances, engine)

    with _timed(seconds, "synthesis"):
        audios, synthesized = synthesize(
            utterances, keys, todo, job.script, engine, cache, progress
        )
    lengths = [len(a.samples) for a in audios]
    # Sentences the engine could not pronounce came back empty: leave them out.
    spoken = [(u, a) for u, a in zip(utterances, audios, strict=True) if len(a.samples)]
    if not spoken:
        raise SynthesisError(
            f"{folder}: the {engine.name} engine produced no sound for any sentence"
        )
    with _timed(seconds, "assembly"):
        progress.stage("assembling")
        timeline, mix = assemble_episode(
            job.script, [u for u, _ in spoken], [a for _, a in spoken], job.config.pauses
        )
        del audios, spoken  # the mix holds them now: keep peak memory down
    staging = folder / f".{EPISODE_FILE}.partial"
    margin = job.previous.limiter_margin_db if job.previous else FIRST_MARGIN_DB
    try:
        with _timed(seconds, "mastering"):
            progress.stage("mastering and encoding")
            report = master_to_mp3(
                mix, timeline.chapter_samples(), job.config.master, staging, margin
            )
        with _timed(seconds, "tagging"):
            progress.stage("writing tags and chapters")
            write_tags(staging, episode_tags(job.script, job.config), timeline.chapters)
            mp3 = folder / EPISODE_FILE
            replace_file(staging, mp3)
    finally:
        staging.unlink(missing_ok=True)
    manifest = _manifest(job, engine, utterances, keys, lengths, timeline, report, inputs)
    _write_records(job, manifest)
    cache.prune(keep=set(keys) | _keys_of(job.previous))
    return BuildResult(
        mp3, job.script, timeline, report, engine.name, len(set(keys)), synthesized, False, seconds
    )


def _write_records(job: Job, manifest: Manifest) -> None:
    """script.yaml (when built from an article), settings.yaml, then manifest.json."""
    if job.script_text is not None and _read_text(job.folder / SCRIPT_FILE) != job.script_text:
        write_text_atomic(job.folder / SCRIPT_FILE, job.script_text)
    settings_text = episode_settings_yaml(job.config)
    if _read_text(job.folder / SETTINGS_FILE) != settings_text:
        write_text_atomic(job.folder / SETTINGS_FILE, settings_text)
    script_sha = file_sha256(job.folder / SCRIPT_FILE) or ""
    if job.script_text is not None:
        edited = False  # script.yaml is what the article made
    else:  # built from the folder: edited unless it is still what the last build recorded
        previous = job.previous
        edited = previous is None or previous.script_edited or script_sha != previous.script_sha256
    write_manifest(
        job.folder,
        dataclasses.replace(
            manifest,
            script_sha256=script_sha,
            script_edited=edited,
            settings_sha256=_sha(settings_text),
        ),
    )


def _manifest(
    job: Job,
    engine: Engine,
    utterances: list[Utterance],
    keys: list[str],
    lengths: list[int],
    timeline: Timeline,
    report: MasterReport,
    inputs: str,
) -> Manifest:
    starts = iter(timeline.offsets)
    marks = {mark.id: mark for mark in timeline.chapters}
    chapters = []
    for index, chapter in enumerate(job.script.chapters):
        segments = tuple(
            SegmentRecord(
                key,
                u.text,
                length,
                round(next(starts) * 1000 / timeline.rate) if length else None,
            )
            for u, key, length in zip(utterances, keys, lengths, strict=True)
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
    return Manifest(
        yomiage=__version__,
        engine=engine.name,
        engine_identity=engine.identity(),
        date=date.isoformat(),
        source=str(job.source.resolve()) if job.source else None,
        # _write_records fills in the file hashes once the files are written.
        script_sha256="",
        script_edited=False,
        settings_sha256="",
        fingerprint=inputs,
        mp3_sha256=file_sha256(mp3) or "",
        mp3_bytes=mp3.stat().st_size,
        limiter_margin_db=report.margin_db,
        chapter_gains_db=report.chapter_gains_db,
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
        previous.chapter_gains_db,
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


def script_utterances(script: Script) -> list[Utterance]:
    return [
        Utterance(chapter_index, paragraph_index, sentence)
        for chapter_index, chapter in enumerate(script.chapters)
        for paragraph_index, paragraph in enumerate(chapter.paragraphs)
        for sentence in split_sentences(paragraph)
    ]


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
    for position, spoken in engine.synthesize([utterances[group[0]].text for group in groups]):
        # Resampled here, while the engine's workers are busy, and cached at the master rate.
        audio = resample(spoken, MASTER_RATE)
        group = groups[position]
        cache.put(keys[group[0]], audio)
        for index in group:
            audios[index] = audio
            progress.segment_done(script.chapters[utterances[index].chapter].title)
    finished = [audio for audio in audios if audio is not None]
    if len(finished) != len(audios):
        raise SynthesisError(f"the {engine.name} engine returned no audio for some sentences")
    return finished, len(groups)


def episode_tags(script: Script, config: Config) -> EpisodeTags:
    return EpisodeTags(
        title=script.title,
        host=config.show.host,
        show=config.show.name,
        description=script.description,
        date=config.episode.date or datetime.date.today(),
        cover=config.show.cover,
        source_url=config.episode.source_url,
    )


def episode_folder(source: Path, config: Config, out_dir: Path) -> Path:
    return out_dir / (config.episode.slug or slugify(source.stem))


def slugify(name: str) -> str:
    """A folder name that is safe everywhere; Japanese letters are kept."""
    slug = re.sub(r"[^\w\-]+", "-", name, flags=re.UNICODE).strip("-_.")
    return slug[:80] or "episode"


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
