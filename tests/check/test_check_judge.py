"""How a heard sentence is judged: its kana error rate, and its length at the episode's pace."""

from __future__ import annotations

from pathlib import Path

import pytest

from yomiage.check.checker import MIN_CER_MORAE, Heard, judge
from yomiage.check.kana import episode_speech, kana_for, morae
from yomiage.check.listen import Span
from yomiage.config import load_config
from yomiage.episode.manifest import SegmentRecord

PACE = 0.13  # seconds per mora, about the sample's


def _heard(tmp_path: Path, text: str, heard: str, seconds: float | None = None) -> Heard:
    expected, got = kana_for([text, heard], episode_speech(tmp_path))
    length = morae(expected) * PACE if seconds is None else seconds
    segment = SegmentRecord("k", text, text, round(length * 44100), 0)
    return Heard(Span(0, 0, 0.0, length), segment, heard, expected, got, length)


@pytest.mark.parametrize(("text", "heard"), [("一。", "1位"), ("二。", "いや")])
def test_a_chapter_said_as_one_number_is_not_flagged_for_what_whisper_wrote(
    tmp_path: Path, text: str, heard: str
) -> None:
    sentence = _heard(tmp_path, text, heard)
    assert morae(sentence.expected_kana) < MIN_CER_MORAE
    check = judge(sentence, PACE, load_config().check)
    assert check.cer > load_config().check.max_cer  # heard wrong, and said so in the report
    assert check.reasons == ()


def test_a_short_sentence_is_still_flagged_when_its_length_is_far_off(tmp_path: Path) -> None:
    check = judge(_heard(tmp_path, "二。", "いや", seconds=3.0), PACE, load_config().check)
    assert [r.split(":")[0] for r in check.reasons] == ["too long"]


def test_three_morae_and_more_are_flagged_for_other_words(tmp_path: Path) -> None:
    check = judge(_heard(tmp_path, "灯台の中へ。", "全然ちがう言葉"), PACE, load_config().check)
    assert any(r.startswith("kana error rate") for r in check.reasons)
    assert (
        judge(_heard(tmp_path, "灯台の中へ。", "東大の中へ"), PACE, load_config().check).reasons
        == ()
    )
