"""Synthesis: the sentences the cache does not hold, spoken by the engine and cached one by one."""

from __future__ import annotations

from collections.abc import Sequence

from yomiage.audio.master import MASTER_RATE
from yomiage.audio.samples import resample
from yomiage.audio.timeline import Utterance
from yomiage.engines import Audio, Engine
from yomiage.episode.cache import SegmentCache
from yomiage.episode.plan import voice_of
from yomiage.episode.progress import Progress
from yomiage.errors import SynthesisError
from yomiage.script.build import Script


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
    voices = [voice_of(utterances[group[0]], engine) for group in groups]
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
