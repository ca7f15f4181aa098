"""The pipeline, assembled in one place: source -> script -> speech -> MP3 with chapters.

    source text -> Document -> Script -> utterances -> segments -> Timeline
                -> mastered MP3 -> ID3 tags and chapters

Only synthesis and the audio steps touch the outside world. The finished MP3
and script.yaml replace the old ones only once everything has succeeded.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from yomiage.audio import Samples, resample
from yomiage.cache import SegmentCache, segment_key
from yomiage.config import Config, PauseSettings
from yomiage.engines import Audio, Engine, make_engine
from yomiage.errors import SynthesisError
from yomiage.files import ensure_folder, replace_file, write_text_atomic
from yomiage.master import MASTER_RATE, MasterReport, master_to_mp3
from yomiage.script import Script, build_script, script_to_yaml
from yomiage.source import read_source
from yomiage.speech.split import split_sentences
from yomiage.tags import EpisodeTags, write_tags
from yomiage.timeline import Pauses, Timeline, Utterance, assemble, plan_timeline

EPISODE_FILE = "episode.mp3"
SCRIPT_FILE = "script.yaml"
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


@dataclass
class BuildResult:
    mp3: Path
    script: Script
    timeline: Timeline
    master: MasterReport
    engine: str
    segments: int  # distinct sentences: one cached segment each
    synthesized: int  # of those, how many the engine spoke in this build
    seconds: dict[str, float] = field(default_factory=dict)  # wall time per stage

    @property
    def audio_seconds(self) -> float:
        return self.timeline.total_samples / self.timeline.rate


def build_episode(
    source: Path,
    config: Config,
    out_dir: Path,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Build the episode of `source` into out_dir/<slug>/ and return what was made."""
    progress = progress or QuietProgress()
    seconds: dict[str, float] = {}
    with _timed(seconds, "parse"):
        progress.stage("reading the source")
        document = read_source(source, config.source.chrome_patterns)
        script = build_script(document, config)
    engine = engine or make_engine(config.engine.name, config)
    folder = ensure_folder(episode_folder(source, config, out_dir))

    utterances = script_utterances(script)
    unique_texts = {u.text for u in utterances}  # a repeated sentence is spoken once
    with _timed(seconds, "synthesis"):
        audios, synthesized = synthesize(utterances, script, engine, folder, progress)
    # Sentences the engine could not pronounce came back empty: leave them out.
    spoken = [(u, a) for u, a in zip(utterances, audios, strict=True) if len(a.samples)]
    if not spoken:
        raise SynthesisError(
            f"{source}: the {engine.name} engine produced no sound for any sentence"
        )
    utterances, audios = [u for u, _ in spoken], [a for _, a in spoken]
    with _timed(seconds, "assembly"):
        progress.stage("assembling")
        timeline, mix = assemble_episode(script, utterances, audios, config.pauses)
        del audios  # the mix holds them now: keep peak memory down
    staging = folder / f".{EPISODE_FILE}.partial"
    try:
        with _timed(seconds, "mastering"):
            progress.stage("mastering and encoding")
            report = master_to_mp3(mix, timeline.chapter_samples(), config.master, staging)
        with _timed(seconds, "tagging"):
            progress.stage("writing tags and chapters")
            write_tags(staging, episode_tags(script, config), timeline.chapters)
            write_text_atomic(folder / SCRIPT_FILE, script_to_yaml(script))
            mp3 = folder / EPISODE_FILE
            replace_file(staging, mp3)
    finally:
        staging.unlink(missing_ok=True)
    return BuildResult(
        mp3, script, timeline, report, engine.name, len(unique_texts), synthesized, seconds
    )


def assemble_episode(
    script: Script, utterances: list[Utterance], audios: list[Audio], pauses: PauseSettings
) -> tuple[Timeline, Samples]:
    """Plan where every sentence goes, then lay them out in one buffer."""
    segments = [audio.samples for audio in audios]
    timeline = plan_timeline(
        utterances,
        [len(s) for s in segments],
        [(c.id, c.title) for c in script.chapters],
        Pauses.from_ms(
            pauses.sentence_ms, pauses.paragraph_ms, pauses.chapter_ms, pauses.edge_ms, MASTER_RATE
        ),
        MASTER_RATE,
    )
    return timeline, assemble(timeline, segments)


def script_utterances(script: Script) -> list[Utterance]:
    return [
        Utterance(chapter_index, paragraph_index, sentence)
        for chapter_index, chapter in enumerate(script.chapters)
        for paragraph_index, paragraph in enumerate(chapter.paragraphs)
        for sentence in split_sentences(paragraph)
    ]


def synthesize(
    utterances: list[Utterance], script: Script, engine: Engine, folder: Path, progress: Progress
) -> tuple[list[Audio], int]:
    """Audio for every utterance: from the segment cache, or from the engine (then cached)."""
    cache = SegmentCache(folder / SEGMENTS_DIR)
    identity = engine.identity()
    keys = [segment_key(identity, u.text) for u in utterances]
    audios: list[Audio | None] = [cache.get(key) for key in keys]
    audios = [None if a is None else resample(a, MASTER_RATE) for a in audios]  # a no-op today
    # The same sentence may recur (a refrain, a repeated heading): speak it once.
    missing: dict[str, list[int]] = {}
    for index, audio in enumerate(audios):
        if audio is None:
            missing.setdefault(keys[index], []).append(index)
    progress.start_synthesis(
        total=len(utterances), cached=len(utterances) - sum(map(len, missing.values()))
    )
    todo = list(missing.values())
    for position, spoken in engine.synthesize([utterances[group[0]].text for group in todo]):
        # Resampled here, while the engine's workers are busy, and cached at the master rate.
        audio = resample(spoken, MASTER_RATE)
        group = todo[position]
        cache.put(keys[group[0]], audio)
        for index in group:
            audios[index] = audio
            progress.segment_done(script.chapters[utterances[index].chapter].title)
    finished = [audio for audio in audios if audio is not None]
    if len(finished) != len(audios):
        raise SynthesisError(f"the {engine.name} engine returned no audio for some sentences")
    return finished, len(todo)


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


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
