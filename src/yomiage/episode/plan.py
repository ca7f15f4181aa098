"""Planning a build: what is said, in which voice, under which keys, and if the MP3 is current."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from yomiage import __version__
from yomiage.audio.timeline import Utterance
from yomiage.config import Config
from yomiage.engines import Engine
from yomiage.episode.cache import SegmentCache, segment_key
from yomiage.episode.jobs import (
    EPISODE_FILE,
    SEGMENTS_DIR,
    Job,
)
from yomiage.episode.manifest import (
    file_sha256,
    fingerprint,
)
from yomiage.errors import ScriptError
from yomiage.publish.tags import EpisodeTags
from yomiage.script.build import Script, host_lines
from yomiage.speech.latin import LatinReadings
from yomiage.speech.lexicon import lexicon_for
from yomiage.speech.split import is_speakable, split_sentences
from yomiage.speech.spoken import Speech

# Raised when what a build writes into the MP3 changes (2: cover and USLT; 3:
# chapters encoded on their own under one Info frame; 4: theme music and stings), so
# that episodes built before are rebuilt rather than called up to date.
OUTPUT_FORMAT = 4


LATIN_WORDS_FILE = "latin-words.json"  # in .segments: Open JTalk's and e2k's answers


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


def plan_job(job: Job, engine: Engine) -> BuildPlan:
    """What run_job would do, without doing it: reads the manifest, the MP3 and the cache."""
    speech = speech_for(job.folder, engine, job.script, save=False)
    utterances = script_utterances(job.script, speech, host_lines(job.script, job.config))
    keys = segment_keys(utterances, engine)
    up_to_date = is_up_to_date(job, hash_inputs(job, utterances, keys, engine))
    if up_to_date:
        todo: set[str] = set()
    else:
        todo = keys_to_synthesize(job, utterances, keys, SegmentCache(job.folder / SEGMENTS_DIR))
    chapters = []
    for index, chapter in enumerate(job.script.chapters):
        chapter_keys = {k for u, k in zip(utterances, keys, strict=True) if u.chapter == index}
        chapters.append(
            ChapterPlan(chapter.id, chapter.title, len(chapter_keys), len(chapter_keys & todo))
        )
    return BuildPlan(tuple(chapters), len(set(keys)), len(todo), up_to_date)


def segment_keys(utterances: list[Utterance], engine: Engine) -> list[str]:
    """One key per utterance, from the text and the engine in the voice that speaks it."""
    identities = {voice: engine.identity(voice) for voice in {engine.voice, host_voice(engine)}}
    return [segment_key(identities[voice_of(u, engine)], u.said) for u in utterances]


def host_voice(engine: Engine) -> str:
    return engine.host_voice or engine.voice


def voice_of(utterance: Utterance, engine: Engine) -> str:
    """The show's lines in the host's voice when the engine has one; the article in the reader's."""
    return host_voice(engine) if utterance.host else engine.voice


def keys_to_synthesize(
    job: Job, utterances: list[Utterance], keys: list[str], cache: SegmentCache
) -> set[str]:
    """Keys of chapters and sentences to regenerate, and keys the cache does not hold."""
    regen = {i for i, c in enumerate(job.script.chapters) if c.id in job.regen}
    return {
        key
        for u, key in zip(utterances, keys, strict=True)
        if u.chapter in regen or key in job.regen_keys or not cache.has(key)
    }


def hash_inputs(job: Job, utterances: list[Utterance], keys: list[str], engine: Engine) -> str:
    """A hash of everything that makes the MP3's bytes: if it matches, the MP3 is current."""
    tags = episode_tags(job.script, job.config)
    show_cover = job.config.show.cover
    cover = file_sha256(show_cover) if show_cover else None  # its bytes, not where it lies
    music = job.config.music
    music_files = [
        file_sha256(path) if path else None for path in (music.intro, music.outro, music.sting)
    ]
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
        {
            key: value
            for key, value in dataclasses.asdict(music).items()
            if not isinstance(value, Path)
        },
        music_files,  # their bytes, likewise
    )


def is_up_to_date(job: Job, inputs_hash: str) -> bool:
    """The MP3 is the one the last build made from exactly these inputs; no regen asked."""
    previous = job.previous
    return (
        not job.speaks_again
        and previous is not None
        and previous.inputs_hash == inputs_hash
        and file_sha256(job.folder / EPISODE_FILE) == previous.mp3_sha256
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


def speech_for(folder: Path, engine: Engine, script: Script, save: bool = True) -> Speech:
    """The readings for the episode of `script` in `folder`, for `engine`."""
    latin = None
    if engine.spells_latin:
        latin = LatinReadings(folder / SEGMENTS_DIR / LATIN_WORDS_FILE, save=save)
    return Speech(lexicon_for(folder, script.readings), latin)


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
