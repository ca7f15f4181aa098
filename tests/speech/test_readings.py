"""Readings end to end: Latin words for Open JTalk, the review command, and the segment cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import user_lexicon
from fakes import FakeEngine
from typer.testing import CliRunner

from yomiage.cli import app
from yomiage.config import load_config
from yomiage.episode.build import build_episode, run_job
from yomiage.episode.jobs import SEGMENTS_DIR, folder_config, prepare_from_folder
from yomiage.episode.manifest import read_manifest
from yomiage.errors import ConfigError
from yomiage.speech import latin
from yomiage.speech.latin import ACRONYM, DICTIONARY, GUESSED, LatinReadings, spell
from yomiage.speech.lexicon import READINGS_FILE, Lexicon
from yomiage.speech.review import Term, review_target, write_stub
from yomiage.speech.spoken import Speech

SAMPLE = Path(__file__).parents[2] / "seeds" / "000_d963ebc8981accf9.txt"
runner = CliRunner()


def test_acronyms_are_spelled_as_people_spell_them() -> None:
    assert spell("GDP") == "ジーディーピー"
    assert spell("LLMs") == "エルエルエムズ"
    assert spell("AI") == "エーアイ"


def test_latin_words_are_looked_up_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[list[str]] = []

    def probe(words: list[str]) -> dict[str, tuple[str, str]]:
        asked.append(words)
        known = {"Google": "グーグル"}
        return {w: (known.get(w, ""), "ゲス") for w in words}

    monkeypatch.setattr(latin, "_probe_words", probe)
    cache = tmp_path / "words.json"
    readings = LatinReadings(cache).readings(["Google", "Zorblax", "GDP", "Zorblax"])
    assert {w: (r.reading, r.how) for w, r in readings.items()} == {
        "Google": ("Google", DICTIONARY),  # Open JTalk knows it: left as written
        "Zorblax": ("ゲス", GUESSED),
        "GDP": ("ジーディーピー", ACRONYM),
    }
    assert asked == [["GDP", "Google", "Zorblax"]]
    again = LatinReadings(cache).readings(["Zorblax", "Quux"])  # a new process, same folder
    assert asked[1:] == [["Quux"]] and again["Zorblax"].how == GUESSED
    data = json.loads(cache.read_text("utf-8"))
    data["versions"] = "another Open JTalk"
    cache.write_text(json.dumps(data), "utf-8")
    LatinReadings(cache).readings(["Zorblax"])
    assert asked[2:] == [["Zorblax"]]  # answers from other versions are not trusted


def test_speech_applies_the_lexicon_then_latin_readings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(latin, "_probe_words", lambda ws: {w: ("", "ゾーブラックス") for w in ws})
    speech = Speech(
        Lexicon.load(),
        LatinReadings(),
    )
    assert speech.spoken(["OpenAIのZorblaxとGDP（速報）は10:30に。"]) == [
        "オープンエーアイのゾーブラックスとジーディーピー、速報、は10時30分に。"
    ]
    assert Speech(Lexicon.load()).spoken(["Zorblax"]) == ["Zorblax"]  # an engine that reads it


ARTICLE = "# 記事\n\n## 一章\n\nZorblaxの話です。別の文です。\n\n## 二章\n\nまたZorblaxです。関係ない文です。\n"


def test_a_changed_reading_speaks_again_exactly_the_sentences_with_the_word(
    tmp_path: Path,
) -> None:
    source = tmp_path / "article.md"
    source.write_text(ARTICLE, encoding="utf-8")
    first = build_episode(source, load_config(), tmp_path / "out", engine=FakeEngine())
    folder = first.mp3.parent

    def rebuild() -> list[str]:
        engine = FakeEngine()
        run_job(prepare_from_folder(folder, folder_config(folder)), engine)
        return engine.calls

    (folder / READINGS_FILE).write_text("Zorblax: ゾーブラックス\n", encoding="utf-8")
    assert set(rebuild()) == {"ゾーブラックスの話です。", "またゾーブラックスです。"}
    user_lexicon().parent.mkdir(parents=True, exist_ok=True)
    user_lexicon().write_text("Zorblax: ゾルブラクス\n", encoding="utf-8")  # the episode's wins
    assert rebuild() == []
    (folder / READINGS_FILE).unlink()  # now the user's applies
    assert set(rebuild()) == {"ゾルブラクスの話です。", "またゾルブラクスです。"}
    manifest = read_manifest(folder)
    assert manifest is not None
    said = {s.text: s.spoken for c in manifest.chapters for s in c.segments}
    assert said["Zorblaxの話です。"] == "ゾルブラクスの話です。"


def test_open_jtalk_is_given_readings_for_english_words(tmp_path: Path) -> None:
    source = tmp_path / "article.md"
    source.write_text("# 記事\n\n## 本文\n\nOpenAIとSutskeverとZorblaxの話。\n", "utf-8")
    result = build_episode(source, load_config(), tmp_path / "out")  # the real engine
    manifest = read_manifest(result.mp3.parent)
    assert manifest is not None
    [said] = [
        s.spoken
        for c in manifest.chapters
        for s in c.segments
        if s.text == "OpenAIとSutskeverとZorblaxの話。"
    ]
    assert said.startswith("オープンエーアイとサツケバーと")
    assert not any(c.isascii() and c.isalpha() for c in said)  # nothing left to spell out
    words = json.loads((result.mp3.parent / SEGMENTS_DIR / "latin-words.json").read_text())
    assert "Zorblax" in words["words"]


def test_the_sample_has_no_word_spelled_out_that_people_would_not_spell(
    tmp_path: Path,
) -> None:
    terms = review_target(SAMPLE, load_config(), tmp_path)
    latin_terms = [t for t in terms if any(c.isascii() and c.isalpha() for c in t.surface)]
    assert {"OpenAI", "AGI", "GDP", "GPU", "Microsoft"} <= {t.surface for t in latin_terms}
    for term in latin_terms:
        words = [w for w in term.surface.replace("-", " ").split() if w.isalpha()]
        spelled = "".join(spell(w) for w in words)
        people_spell_it = all(w.isupper() and len(w) <= 5 for w in words)
        assert term.kana != spelled or people_spell_it, term
    by_surface = {t.surface: t for t in terms}
    assert by_surface["OpenAI"].kana == "オープンエーアイ"
    assert by_surface["OpenAI"].origin.startswith("yomiage/data/readings.yaml:")
    assert by_surface["AI"].count > 20
    assert any(t.how == "number" and t.surface == "2030年" for t in terms)


def test_the_review_command_writes_the_guesses_to_fix_and_checks(tmp_path: Path) -> None:
    mine = user_lexicon()
    mine.parent.mkdir(parents=True, exist_ok=True)
    mine.write_text("# my readings\nDwarkesh: ドワーケシュ\n", encoding="utf-8")
    args = ["readings", str(SAMPLE), "--out", str(tmp_path / "out")]
    listed = runner.invoke(app, [*args, "--write", str(mine), "--check"])
    assert listed.exit_code == 1, listed.stderr  # guesses remain: --check fails
    header, *rows = listed.stdout.strip().splitlines()
    assert header.split()[:2] == ["term", "spoken"]
    guessed = {row.split()[0] for row in rows if " guessed " in row}
    assert guessed and f"added {len(guessed)} guessed readings to {mine}" in listed.stderr
    written = yaml.safe_load(mine.read_text("utf-8"))
    assert written == {"Dwarkesh": "ドワーケシュ", **dict.fromkeys(guessed, "")}
    assert mine.read_text("utf-8").startswith("# my readings\n")  # nothing of theirs lost
    again = runner.invoke(app, [*args, "--write", str(mine), "--check"])
    assert again.exit_code == 1 and "added 0 guessed readings" in again.stderr

    filled = {word: "テスト" for word in guessed}  # the user fills the placeholders in
    mine.write_text(yaml.safe_dump({**written, **filled}, allow_unicode=True), "utf-8")
    reviewed = runner.invoke(app, [*args, "--check"])
    assert reviewed.exit_code == 0, reviewed.stdout
    assert "0 with a guessed reading" in reviewed.stderr


def test_write_keeps_a_linked_lexicon_and_its_mode_and_refuses_what_it_cannot_extend(
    tmp_path: Path,
) -> None:
    real = tmp_path / "dotfiles" / "readings.yaml"
    real.parent.mkdir()
    real.write_text("Foo: フー\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    terms = [Term("Zorblax", "ゾブラックス", GUESSED, "ch01", 1, kana="ゾブラックス")]
    assert write_stub(link, terms, "a.md") == 1
    assert link.is_symlink() and real.stat().st_mode & 0o777 == 0o640
    assert yaml.safe_load(real.read_text("utf-8")) == {"Foo": "フー", "Zorblax": ""}
    flow = tmp_path / "flow.yaml"
    flow.write_text("{Foo: フー}", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot add to it"):
        write_stub(flow, terms, "a.md")
    assert flow.read_text("utf-8") == "{Foo: フー}"
    sjis = tmp_path / "sjis.yaml"
    sjis.write_bytes("フー: ふう\n".encode("cp932"))
    with pytest.raises(ConfigError, match="cannot read the lexicon"):
        write_stub(sjis, terms, "a.md")


def test_a_broken_lexicon_stops_the_build_before_synthesis(tmp_path: Path) -> None:
    source = tmp_path / "article.md"
    source.write_text(ARTICLE, encoding="utf-8")
    first = build_episode(source, load_config(), tmp_path / "out", engine=FakeEngine())
    (first.mp3.parent / READINGS_FILE).write_text("Zorblax: [ゾー\n", "utf-8")
    result = runner.invoke(app, ["build", str(first.mp3.parent)])
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]  # after the note that auto chose Open JTalk
    assert last.startswith("error: ") and "readings.yaml:2: invalid YAML" in last
