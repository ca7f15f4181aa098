"""What was said and what was heard, compared as kana: both sides made comparable the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from yomiage.check.kana import cer, comparable, episode_speech, kana_for, morae


@pytest.mark.parametrize(
    ("spoken", "heard"),
    [
        ("エーアイは2030年までに、ジーディーピーを変える。", "AIは2030年までにGDPを変える"),
        ("よみあげラジオへようこそ。", "読み上げラジオへようこそ"),
        ("にせんさんじゅうねんの話です。", "2030年の話です。"),
        ("オープンエーアイの共同創設者です。", "OpenAIの共同創設者です"),
        ("コーヒーを飲んだ。", "こおひいを飲んだ"),
    ],
)
def test_what_the_engine_was_given_and_what_whisper_writes_become_the_same_kana(
    tmp_path: Path, spoken: str, heard: str
) -> None:
    expected, got = kana_for([spoken, heard], episode_speech(tmp_path))
    assert comparable(expected) == comparable(got)
    assert cer(comparable(expected), comparable(got)) == 0.0


def test_other_words_are_far_apart_and_a_cut_short_sentence_is_missing_its_end(
    tmp_path: Path,
) -> None:
    full, other, cut = kana_for(
        [
            "今日は朝から雨が降っていて、とても寒い一日でした。",
            "来週の会議は午後三時からです。",
            "今日は朝から",
        ],
        episode_speech(tmp_path),
    )
    assert cer(comparable(full), comparable(other)) > 0.6
    assert cer(comparable(full), comparable(cut)) > 0.5


def test_comparable_keeps_only_sounds() -> None:
    assert comparable("コーヒーヲ、ノンダ。") == "コオヒイオノンダ"
    assert comparable("ンー、ッー") == "ンッ"  # nothing to lengthen: the mark goes
    assert comparable("ヴァイオリンヅクエ") == "バイオリンズクエ"
    assert comparable("ABC 123") == ""


def test_morae_count_a_glide_with_its_kana_and_a_long_mark_as_one() -> None:
    assert morae("キャット") == 3  # キャ ッ ト
    assert morae("コーヒー") == 4
    assert morae("、。") == 0


def test_cer_is_edits_over_the_expected_length() -> None:
    assert cer("アイウエ", "アイウ") == 0.25
    assert cer("アイウエ", "アイウエ") == 0.0
    assert cer("", "") == 0.0
    assert cer("", "ア") == 1.0


def test_the_documents_readings_in_script_yaml_make_both_sides_the_same(tmp_path: Path) -> None:
    # Ruby 強敵《とも》: the engine was given とも; a recogniser writes the word as written.
    from yomiage.script.build import Chapter, Script
    from yomiage.script.scriptfile import script_to_yaml

    chapter = Chapter("ch01", "話", "topic", ("強敵と歩いた。",))
    script = Script("話", "", (chapter,), readings=(("強敵", "とも"),))
    spoken, heard = "ともと歩いた。", "強敵と歩いた"
    plain = kana_for([spoken, heard], episode_speech(tmp_path))
    assert comparable(plain[0]) != comparable(plain[1])  # Open JTalk says キョーテキ
    (tmp_path / "script.yaml").write_text(script_to_yaml(script), encoding="utf-8")
    expected, got = kana_for([spoken, heard], episode_speech(tmp_path))
    assert comparable(expected) == comparable(got)
