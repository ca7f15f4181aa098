"""The readings lexicon: matching rules, precedence of the three layers, and clear errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import user_lexicon

from yomiage.errors import ConfigError
from yomiage.speech.lexicon import READINGS_FILE, Entry, Lexicon, lexicon_for


def _entry(surface: str, reading: str, exact: bool = False, whole: bool = True) -> Entry:
    return Entry(surface, reading, exact, whole, "test:1")


def test_latin_surfaces_match_whole_words_in_any_case() -> None:
    lexicon = Lexicon([_entry("AI", "エーアイ"), _entry("OpenAI", "オープンエーアイ")])
    assert (
        lexicon.apply("OpenAIのAIとopenaiとai")
        == "オープンエーアイのエーアイとオープンエーアイとエーアイ"
    )
    assert lexicon.apply("MAIL AIM FAIR") == "MAIL AIM FAIR"  # inside other words: no
    assert lexicon.apply("Ai2とAI2.0") == "エーアイ2とエーアイ2.0"  # a number may follow


def test_numbers_are_never_cut() -> None:
    lexicon = Lexicon(
        [_entry("1日", "ツイタチ", exact=True, whole=False), _entry("Sam Altman", "サム")]
    )
    assert lexicon.apply("1日と11日と21日") == "ツイタチと11日と21日"
    assert lexicon.apply("Sam  Altman") == "サム"  # however many spaces


def test_a_version_number_is_not_cut_after_its_first_digit() -> None:
    lexicon = Lexicon([_entry("GPT-4", "ジーピーティーフォー")])
    assert lexicon.apply("GPT-4とGPT-4.1") == "ジーピーティーフォーとGPT-4.1"


def test_longest_surface_wins() -> None:
    lexicon = Lexicon([_entry("GPT", "ジーピーティー"), _entry("GPT-4", "ジーピーティーフォー")])
    assert lexicon.apply("GPT-4とGPT") == "ジーピーティーフォーとジーピーティー"


def test_exact_case_and_japanese_surfaces() -> None:
    lexicon = Lexicon(
        [_entry("Go", "ゴー", exact=True), _entry("この方", "このかた", exact=True, whole=False)]
    )
    assert lexicon.apply("Goで書く。go home。この方は") == "ゴーで書く。go home。このかたは"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_episode_overrides_the_user_who_overrides_the_shipped_lexicon(
    tmp_path: Path,
) -> None:
    shipped = Lexicon.load()
    assert shipped.apply("OpenAI") != "OpenAI"  # the shipped lexicon knows it
    _write(user_lexicon(), "OpenAI: オープンエイアイ\nSutskever: スツケヴァー\n")
    folder = tmp_path / "episode"
    _write(folder / READINGS_FILE, "Sutskever: サツケバー\n")
    lexicon = lexicon_for(folder)
    assert lexicon.apply("OpenAIのSutskever") == "オープンエイアイのサツケバー"
    assert lexicon_for(None).apply("Sutskever") == "スツケヴァー"
    assert lexicon_for(tmp_path / "none").apply("Sutskever") == "スツケヴァー"


def test_yomiage_readings_names_the_users_lexicon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "mine.yaml", "Dwarkesh: ドワーケシュ\n")
    monkeypatch.setenv("YOMIAGE_READINGS", str(path))
    assert lexicon_for(None).apply("Dwarkesh") == "ドワーケシュ"


def test_a_missing_yomiage_readings_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YOMIAGE_READINGS", str(tmp_path / "typo.yaml"))
    with pytest.raises(
        ConfigError, match=r"YOMIAGE_READINGS names .*typo\.yaml, which is not a file"
    ):
        lexicon_for(None)


def test_an_empty_reading_is_a_stub_and_ignored(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.yaml", 'Zorblax: ""\nQuuxly:\n')
    assert Lexicon.load(path).apply("Zorblax Quuxly") == "Zorblax Quuxly"


def test_the_rules_can_be_given_per_entry(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "r.yaml",
        "note: {reading: ノート, case: exact}\n町: {reading: ちょう, whole_word: false}\n",
    )
    lexicon = Lexicon.load(path)
    assert lexicon.apply("noteとNoteの町") == "ノートとNoteのちょう"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("OpenAI: [オープン\n", "r.yaml:2: invalid YAML"),
        ("- OpenAI\n", "r.yaml:1: readings must be a mapping"),
        ("a: エー\nOpenAI: OpenAI\n", "r.yaml:2: 'OpenAI': the reading must be kana"),
        ("a: エー\na: エイ\n", "r.yaml:2: 'a' is given twice (also line 1)"),
        ("Foo: フー\nfoo: フウ\n", "r.yaml:2: 'foo' is given twice (also line 1)"),
        ("Go: {reading: ゴー, case: upper}\n", "r.yaml:1: 'Go': case must be 'any' or 'exact'"),
        ("Go: {reading: ゴー, whole: yes}\n", "r.yaml:1: 'Go': unknown option 'whole'"),
        ("Go: {reading: ゴー, whole_word: maybe}\n", "whole_word must be true or false"),
        ("Go: [ゴー]\n", "r.yaml:1: 'Go': give a reading"),
    ],
)
def test_a_broken_lexicon_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path / "r.yaml", text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        Lexicon.load(path)
