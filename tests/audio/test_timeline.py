import itertools

import numpy as np
import pytest

from yomiage.audio.timeline import CHAPTER_LEAD_MS, Pauses, Utterance, assemble, plan_timeline

RATE = 1000  # one sample per millisecond keeps the arithmetic readable
PAUSES = Pauses(sentence=100, paragraph=300, chapter=1000, edge=50)
CHAPTERS = [("ch00", "はじめ"), ("ch01", "なか"), ("ch02", "おわり")]


def _utterances() -> list[Utterance]:
    return [
        Utterance(0, 0, "a"),
        Utterance(0, 0, "b"),
        Utterance(1, 0, "c"),
        Utterance(1, 1, "d"),
        Utterance(2, 0, "e"),
    ]


def test_offsets_follow_lengths_and_pauses() -> None:
    timeline = plan_timeline(_utterances(), [200] * 5, CHAPTERS, PAUSES, RATE)
    # edge, a, sentence pause, b, chapter pause, c, paragraph pause, d, chapter pause, e, edge
    assert timeline.offsets == (50, 350, 1550, 2050, 3250)
    assert timeline.total_samples == 3250 + 200 + 50


def test_chapters_are_contiguous_and_start_in_the_pause_before_their_first_word() -> None:
    timeline = plan_timeline(_utterances(), [200] * 5, CHAPTERS, PAUSES, RATE)
    marks = timeline.chapters
    assert [m.id for m in marks] == ["ch00", "ch01", "ch02"]
    assert marks[0].start_ms == 0
    assert marks[1].start_ms == 1550 - CHAPTER_LEAD_MS
    assert marks[2].start_ms == 3250 - CHAPTER_LEAD_MS
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(marks))
    assert marks[-1].end_ms == timeline.duration_ms


def test_chapter_lead_never_exceeds_half_the_chapter_pause() -> None:
    short = Pauses(sentence=100, paragraph=300, chapter=200, edge=0)
    timeline = plan_timeline(_utterances(), [200] * 5, CHAPTERS, short, RATE)
    first_word = timeline.offsets[2]
    assert timeline.chapters[1].start_ms == first_word - 100


def test_sentence_spans_carry_text_and_chapter() -> None:
    timeline = plan_timeline(_utterances(), [200, 100, 200, 200, 200], CHAPTERS, PAUSES, RATE)
    span = timeline.sentences[1]
    assert (span.chapter_id, span.text, span.start_ms, span.end_ms) == ("ch00", "b", 350, 450)


def test_assemble_places_each_segment_at_its_offset() -> None:
    timeline = plan_timeline(_utterances(), [3] * 5, CHAPTERS, PAUSES, RATE)
    segments = [np.full(3, i + 1, dtype=np.float32) for i in range(5)]
    mix = assemble(timeline, segments)
    assert len(mix) == timeline.total_samples
    for offset, segment in zip(timeline.offsets, segments, strict=False):
        assert np.array_equal(mix[offset : offset + 3], segment)
    assert np.count_nonzero(mix) == 15


def test_empty_episode_is_refused() -> None:
    with pytest.raises(ValueError):
        plan_timeline([], [], CHAPTERS, PAUSES, RATE)


def test_chapter_samples_cover_the_whole_episode_end_to_end() -> None:
    timeline = plan_timeline(
        _utterances(), [2001, 1999, 2003, 1997, 2011], CHAPTERS, PAUSES, 44_100
    )
    spans = timeline.chapter_samples()
    assert spans[0][0] == 0
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    assert spans[-1][1] == timeline.total_samples


def test_a_seam_of_silence_stands_on_both_sides_of_every_chapter_boundary() -> None:
    """Chapters encoded apart need silence where they meet, however short the chapter pause."""
    no_pause = Pauses(sentence=100, paragraph=300, chapter=0, edge=50)
    lengths = [200] * 5
    timeline = plan_timeline(_utterances(), lengths, CHAPTERS, no_pause, RATE, 64, seam=40)
    assert all(start % 64 == 0 for start in timeline.chapter_starts)
    for start in timeline.chapter_starts[1:]:
        before = max(o + n for o, n in zip(timeline.offsets, lengths, strict=True) if o < start)
        after = min(o for o in timeline.offsets if o >= start)
        assert start - before >= 40 and after - start >= 40
    # with the usual pause the seam changes nothing
    plain = plan_timeline(_utterances(), lengths, CHAPTERS, PAUSES, RATE)
    assert plan_timeline(_utterances(), lengths, CHAPTERS, PAUSES, RATE, seam=40) == plain
