"""Synthesis: the sentences the cache does not hold, spoken by the engine and cached one by one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from yomiage.audio.master import MASTER_RATE
from yomiage.audio.samples import resample
from yomiage.audio.timeline import Utterance
from yomiage.engines import Engine
from yomiage.episode.cache import SegmentCache
from yomiage.episode.plan import voice_of
from yomiage.episode.progress import Progress
from yomiage.errors import SynthesisError
from yomiage.script.build import Script


def speak(
    utterances: Sequence[Utterance],
    keys: Sequence[str],
    todo: set[str],
    script: Script,
    engine: Engine,
    cache: SegmentCache,
    progress: Progress,
) -> Iterator[str]:
    """Speak every key in `todo`; yield each key as soon as its segment is cached.

    The engine is given the sentences chapter by chapter, longest first within a
    chapter: the first chapters finish first and are encoded while the later
    ones are spoken, and the short sentences at each chapter's end keep the
    workers busy while the next chapter's long ones start. Each segment is
    cached the moment the engine returns it, so an interrupted build keeps
    everything finished.
    """
    # The same sentence may recur (a refrain, a repeated heading): speak it once.
    missing: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        if key in todo:
            missing.setdefault(key, []).append(index)
    progress.start_synthesis(
        total=len(utterances), cached=len(utterances) - sum(map(len, missing.values()))
    )
    groups = sorted(
        missing.values(),
        key=lambda group: (utterances[group[0]].chapter, -len(utterances[group[0]].said)),
    )
    texts = [utterances[group[0]].said for group in groups]
    voices = [voice_of(utterances[group[0]], engine) for group in groups]
    try:
        for position, spoken in engine.synthesize(texts, voices):
            # Resampled here, while the engine's workers are busy, and cached at the master rate.
            group = groups[position]
            cache.put(keys[group[0]], resample(spoken, MASTER_RATE))
            for index in group:
                progress.segment_done(script.chapters[utterances[index].chapter].title)
            yield keys[group[0]]
    except SynthesisError as exc:
        if exc.position is None or not 0 <= exc.position < len(groups):
            raise
        place = sentence_place(script, utterances, groups[exc.position][0])
        raise SynthesisError(f"{place}: {exc}", exc.position) from exc


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
