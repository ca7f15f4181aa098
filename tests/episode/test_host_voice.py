"""The show's own lines (intro, outro, each chapter's spoken title) in the host's voice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from edge_standin import EdgeStandIn
from fakes import FakeEngine

from yomiage.config import load_config
from yomiage.engines import make_engine
from yomiage.episode.build import build_episode, run_job
from yomiage.episode.jobs import folder_config, prepare_from_folder
from yomiage.script.build import build_script, host_lines
from yomiage.source.read import read_source

ARTICLE = (
    "# 声の記事\n\n## 一章\n\n一つ目の文です。二つ目の文です。\n\n## 二章\n\n三つ目の文です。\n"
)
INTRO_FIRST = "よみあげラジオへようこそ。"
OUTRO_LAST = "よみあげラジオ、ホストのよみあげでした。"
ARTICLE_LINES = {"一つ目の文です。", "二つ目の文です。", "三つ目の文です。"}


def _article(folder: Path) -> Path:
    source = folder / "voices.md"
    source.write_text(ARTICLE, encoding="utf-8")
    return source


def test_host_lines_are_the_intro_the_outro_and_each_spoken_title(tmp_path: Path) -> None:
    config = load_config()
    script = build_script(read_source(_article(tmp_path)), config)
    lines = host_lines(script, config)
    roles = [c.role for c in script.chapters]
    assert roles[0] == "intro" and roles[-1] == "outro"
    said = {script.chapters[c].paragraphs[p] for c, p in lines}
    assert "一章。" in said and "二章。" in said
    assert all((0, p) in lines for p in range(len(script.chapters[0].paragraphs)))
    assert not said & {p for c in script.chapters for p in c.paragraphs if "つ目の文" in p}


def test_the_host_voice_reads_the_shows_lines_and_the_reader_the_article(
    tmp_path: Path,
) -> None:
    engine = FakeEngine(host_voice="host")
    result = build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=engine)
    voice_of = dict((text, voice) for voice, text in engine.voices_asked)
    assert {voice_of[t] for t in ARTICLE_LINES} == {"reader"}
    assert voice_of[INTRO_FIRST] == voice_of[OUTRO_LAST] == "host"
    assert voice_of["一章。"] == voice_of["二章。"] == "host"

    # The voice is in the segment key: without a host voice only the show's lines change.
    folder = result.mp3.parent
    job = prepare_from_folder(folder, folder_config(folder), [])
    again = FakeEngine()
    run_job(job, again)
    assert INTRO_FIRST in again.calls and "一章。" in again.calls
    assert not set(again.calls) & ARTICLE_LINES


def test_a_sentence_said_by_both_voices_is_spoken_once_in_each(tmp_path: Path) -> None:
    source = tmp_path / "same.md"
    source.write_text("# 題\n\n## 一章\n\n一章。本文です。\n", encoding="utf-8")
    engine = FakeEngine(host_voice="host")
    build_episode(source, load_config(), tmp_path / "out", engine=engine)
    assert ("host", "一章。") in engine.voices_asked and ("reader", "一章。") in engine.voices_asked


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[EdgeStandIn]:
    with EdgeStandIn() as server:
        server.patch(monkeypatch)
        yield server


def test_edge_host_voice_speaks_the_intro(standin: EdgeStandIn, tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("edge:\n  host_voice: ja-JP-KeitaNeural\n", encoding="utf-8")
    config = load_config(settings)
    build_episode(_article(tmp_path), config, tmp_path / "out", engine=make_engine("edge", config))
    voice_of = {r.text: r.short_voice for r in standin.requests}
    assert voice_of[INTRO_FIRST] == "ja-JP-KeitaNeural"
    assert voice_of["一章。"] == "ja-JP-KeitaNeural"
    assert {voice_of[t] for t in ARTICLE_LINES} == {"ja-JP-NanamiNeural"}


def test_a_bad_host_voice_is_refused_with_its_line(tmp_path: Path) -> None:
    from yomiage.errors import ConfigError

    settings = tmp_path / "settings.yaml"
    settings.write_text("edge:\n  host_voice: Keita\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings.yaml:2: edge.host_voice must be"):
        load_config(settings)
    settings.write_text("kokoro:\n  host_voice: Kumo!\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings.yaml:2: kokoro.host_voice must be"):
        load_config(settings)
