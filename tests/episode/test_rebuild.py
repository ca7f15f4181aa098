"""Rebuilding only what changed, with a fake engine that records every text it is asked for.

An episode folder remembers its script, settings and segments: a rebuild with
nothing changed speaks nothing, an edited chapter speaks only its new
sentences, `regen` speaks exactly the chapters named, and an interrupted
build resumes with only what was missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import yaml
from conftest import cover_png
from fakes import FakeEngine

from yomiage.audio.samples import Audio
from yomiage.config import load_config
from yomiage.episode.build import BuildResult, build_episode, run_job
from yomiage.episode.jobs import (
    EPISODE_FILE,
    SCRIPT_FILE,
    SEGMENTS_DIR,
    SETTINGS_FILE,
    folder_config,
    prepare_from_folder,
)
from yomiage.episode.manifest import MANIFEST_FILE, read_manifest
from yomiage.episode.plan import plan_job
from yomiage.errors import ScriptError, SynthesisError
from yomiage.publish.tags import read_chapters

ARTICLE = (
    "# 記事\n\n"
    "## 一章\n\n一つ目の文です。二つ目の文です。\n\n"
    "## 二章\n\n三つ目の文です。四つ目の文です。\n\n"
    "## 三章\n\n五つ目の文です。六つ目の文です。\n"
)


def _article(folder: Path, text: str = ARTICLE) -> Path:
    source = folder / "article.md"
    source.write_text(text, encoding="utf-8")
    return source


def _first_build(tmp_path: Path, engine: FakeEngine | None = None) -> BuildResult:
    return build_episode(
        _article(tmp_path), load_config(), tmp_path / "out", engine=engine or FakeEngine()
    )


def _rebuild(folder: Path, engine: FakeEngine, regen: Sequence[str] = ()) -> BuildResult:
    """What `yomiage build EPISODE_DIR` (or `regen`) does, with the folder's own settings."""
    job = prepare_from_folder(folder, folder_config(folder), regen)
    return run_job(job, engine)


def _edit_script(folder: Path, chapter_id: str, paragraphs: list[str]) -> None:
    path = folder / SCRIPT_FILE
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    [chapter] = [c for c in script["chapters"] if c["id"] == chapter_id]
    chapter["paragraphs"] = paragraphs
    path.write_text(yaml.safe_dump(script, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _chapter_texts(result: BuildResult, chapter_id: str) -> set[str]:
    return {s.text for s in result.timeline.sentences if s.chapter_id == chapter_id}


def test_a_rebuild_with_nothing_changed_speaks_nothing_and_keeps_the_mp3(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    before, mtime = first.mp3.read_bytes(), first.mp3.stat().st_mtime_ns

    for again in (
        build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine()),
        _rebuild(folder, engine := FakeEngine()),
    ):
        assert again.up_to_date and again.synthesized == 0
        assert first.mp3.read_bytes() == before and first.mp3.stat().st_mtime_ns == mtime
        assert again.timeline == first.timeline  # planned again from the manifest
    assert engine.calls == []


def test_a_deleted_mp3_is_rebuilt_from_the_cache_alone(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    first.mp3.unlink()
    again = _rebuild(first.mp3.parent, engine := FakeEngine())
    assert engine.calls == [] and not again.up_to_date
    assert again.mp3.is_file() and again.timeline == first.timeline


def test_editing_one_chapter_speaks_only_its_new_sentences(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    _edit_script(folder, "ch03", ["二章。", "三つ目の文です。書き直した文です。"])
    engine = FakeEngine()
    again = _rebuild(folder, engine)
    assert engine.calls == ["書き直した文です。"]
    assert again.synthesized == 1
    assert _chapter_texts(again, "ch03") == {"二章。", "三つ目の文です。", "書き直した文です。"}
    # the chapters after it moved, and the MP3's chapters say so
    assert [(c.id, c.start_ms) for c in read_chapters(again.mp3)] == [
        (c.id, c.start_ms) for c in again.timeline.chapters
    ]
    moved = [
        b.start_ms - a.start_ms
        for a, b in zip(first.timeline.chapters, again.timeline.chapters, strict=True)
    ]
    assert moved[:3] == [0, 0, 0] and moved[3] > 0 and abs(moved[3] - moved[4]) <= 1  # ms rounding


def test_regen_speaks_exactly_the_named_chapter(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    for reference in ("3", "ch03"):  # its number in the chapter list, or its id
        engine = FakeEngine()
        result = _rebuild(folder, engine, regen=[reference])
        assert sorted(engine.calls) == sorted(_chapter_texts(first, "ch03"))
        assert result.synthesized == len(engine.calls) and not result.up_to_date
        assert result.timeline == first.timeline


def test_regen_of_an_edited_chapter_also_speaks_other_edits(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    _edit_script(folder, "ch04", ["三章。", "新しい文です。"])
    engine = FakeEngine()
    _rebuild(folder, engine, regen=["2"])
    assert sorted(engine.calls) == sorted(_chapter_texts(first, "ch02") | {"新しい文です。"})


@pytest.mark.parametrize("reference", ["0", "9", "ch99", "二章", ""])
def test_regen_of_an_unknown_chapter_is_refused_before_anything_runs(
    tmp_path: Path, reference: str
) -> None:
    first = _first_build(tmp_path)
    with pytest.raises(ScriptError, match=r"no chapter .*chapters 1 to 5 \(ch01 to ch05\)"):
        _rebuild(first.mp3.parent, FakeEngine(), regen=[reference])


def test_an_interrupted_rebuild_resumes_with_only_the_missing_segments(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    before = first.mp3.read_bytes()
    new = ["一つ目の新文です。", "二つ目の新文です。", "三つ目の新文です。"]
    _edit_script(folder, "ch02", ["一章。", *new])
    failing = FakeEngine(fail_after=2)
    with pytest.raises(SynthesisError):
        _rebuild(folder, failing)
    assert first.mp3.read_bytes() == before  # the old episode stays whole
    resumed = FakeEngine()
    _rebuild(folder, resumed)
    assert failing.calls == new[:2] and resumed.calls == new[2:]


class _InterruptedEngine(FakeEngine):
    """Ctrl-C arrives while the engine speaks its third text."""

    def synthesize(
        self, texts: Sequence[str], voices: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Audio]]:
        for index, audio in super().synthesize(texts, voices):
            if len(self.calls) == 3:
                raise KeyboardInterrupt
            yield index, audio


def test_ctrl_c_keeps_every_finished_segment(tmp_path: Path) -> None:
    engine = _InterruptedEngine()
    with pytest.raises(KeyboardInterrupt):
        _first_build(tmp_path, engine)
    folder = tmp_path / "out" / "article"
    assert not (folder / EPISODE_FILE).exists()
    assert len(list((folder / SEGMENTS_DIR).glob("*.npz"))) == 2
    resumed = FakeEngine()
    result = _first_build(tmp_path, resumed)
    assert set(resumed.calls).isdisjoint(engine.calls[:2])
    assert len(resumed.calls) == result.segments - 2


BROKEN_SCRIPTS = {
    "no text": (
        lambda t: t.replace(
            "  - 二章。\n  - 三つ目の文です。四つ目の文です。\n", "  - 「」。\n  - ・・・\n"
        ),
        r"chapter 3 \(二章\) has no text to speak",
    ),
    "invalid YAML": (lambda t: t.replace("- id: ch03", "- id: [ch03", 1), "invalid YAML"),
    "unknown key": (lambda t: t.replace("  paragraphs:", "  paragraph:", 1), "unknown key"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_SCRIPTS))
def test_a_broken_script_is_refused_and_nothing_is_overwritten(tmp_path: Path, case: str) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    records = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    script = folder / SCRIPT_FILE
    text = script.read_text(encoding="utf-8")
    edit, message = BROKEN_SCRIPTS[case]
    broken = edit(text)
    assert broken != text
    script.write_text(broken, encoding="utf-8")
    with pytest.raises(ScriptError, match=rf"script\.yaml:\d+: .*({message})"):
        _rebuild(folder, engine := FakeEngine())
    assert engine.calls == []
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == {**records, SCRIPT_FILE: broken.encode()}


def test_building_the_article_again_refuses_to_replace_an_edited_script(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    _edit_script(folder, "ch02", ["一章。", "手で直した文です。"])
    edited = (folder / SCRIPT_FILE).read_text(encoding="utf-8")
    with pytest.raises(
        ScriptError, match=r"has edits that building from article\.md would replace"
    ):
        build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine())
    assert (folder / SCRIPT_FILE).read_text(encoding="utf-8") == edited

    _rebuild(folder, FakeEngine())  # the edits are in the episode now: still refused
    with pytest.raises(ScriptError, match="has edits"):
        build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine())

    engine = FakeEngine()
    result = build_episode(
        _article(tmp_path), load_config(), tmp_path / "out", engine=engine, force=True
    )
    assert engine.calls == []  # every sentence of the article is still cached
    assert "手で直した文です。" not in {s.text for s in result.timeline.sentences}
    # and from now on the script is the article's again: no refusal
    build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine())


def test_settings_are_recorded_and_a_folder_rebuild_uses_them(tmp_path: Path) -> None:
    settings = tmp_path / "show.yaml"
    settings.write_text(
        "show:\n  name: テスト放送\nepisode:\n  date: 2026-01-02\npauses:\n  sentence_ms: 200\n",
        encoding="utf-8",
    )
    first = build_episode(
        _article(tmp_path), load_config(settings), tmp_path / "out", engine=FakeEngine()
    )
    folder = first.mp3.parent
    recorded = yaml.safe_load((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert recorded["show"]["name"] == "テスト放送" and recorded["pauses"]["sentence_ms"] == 200
    assert _rebuild(folder, FakeEngine()).up_to_date  # same settings: same episode

    text = (folder / SETTINGS_FILE).read_text(encoding="utf-8")
    (folder / SETTINGS_FILE).write_text(text.replace("sentence_ms: 200", "sentence_ms: 600"))
    engine = FakeEngine()
    again = _rebuild(folder, engine)
    assert engine.calls == [] and not again.up_to_date  # new pauses: reassembled, not re-spoken
    assert again.timeline.duration_ms > first.timeline.duration_ms


def test_the_episode_keeps_its_first_date(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    manifest = read_manifest(first.mp3.parent)
    assert manifest is not None
    data = json.loads((first.mp3.parent / MANIFEST_FILE).read_text(encoding="utf-8"))
    data["date"] = "2020-02-29"  # as if built that day
    (first.mp3.parent / MANIFEST_FILE).write_text(json.dumps(data), encoding="utf-8")
    build_episode(
        _article(tmp_path, ARTICLE + "\n七つ目の文です。\n"),
        load_config(),
        tmp_path / "out",
        engine=FakeEngine(),
    )
    recorded = yaml.safe_load((first.mp3.parent / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert recorded["episode"]["date"] == "2020-02-29"


def test_the_manifest_records_every_segment_where_it_is_heard(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    manifest = read_manifest(first.mp3.parent)
    assert manifest is not None
    assert manifest.engine == "fake" and manifest.engine_identity == FakeEngine().identity()
    assert [c.id for c in manifest.chapters] == [c.id for c in first.timeline.chapters]
    segments = [s for c in manifest.chapters for s in c.segments]
    assert [(s.text, s.start_ms) for s in segments] == [
        (s.text, s.start_ms) for s in first.timeline.sentences
    ]
    for chapter, mark in zip(manifest.chapters, first.timeline.chapters, strict=True):
        assert (chapter.start_ms, chapter.end_ms) == (mark.start_ms, mark.end_ms)
    cached = {p.stem for p in (first.mp3.parent / SEGMENTS_DIR).glob("*.npz")}
    assert cached == {s.key for s in segments}
    assert manifest.mp3_bytes == first.mp3.stat().st_size


def test_a_changed_voice_speaks_everything_again(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    engine = FakeEngine(rate=22_050)  # another identity: another voice
    again = _rebuild(first.mp3.parent, engine)
    assert again.synthesized == first.segments == len(engine.calls)


def test_old_takes_are_pruned_but_the_last_build_is_kept(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    segments = folder / SEGMENTS_DIR
    _edit_script(folder, "ch02", ["一章。", "版その一です。"])
    _rebuild(folder, FakeEngine())
    _edit_script(folder, "ch02", ["一章。", "版その二です。"])
    _rebuild(folder, FakeEngine())
    manifest = read_manifest(folder)
    assert manifest is not None
    texts = {s.text for c in manifest.chapters for s in c.segments}
    assert "版その二です。" in texts
    # The first build's sentences of ch02 are gone; the previous build's are kept for an undo.
    assert len(list(segments.glob("*.npz"))) == len(texts) + 1
    _edit_script(folder, "ch02", ["一章。", "版その一です。"])
    engine = FakeEngine()
    _rebuild(folder, engine)
    assert engine.calls == []


def test_a_dry_run_counts_what_would_be_spoken_and_writes_nothing(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    _edit_script(folder, "ch03", ["二章。", "新しい一文です。", "もう一つ新しい文です。"])
    files = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    engine = FakeEngine()
    plan = plan_job(prepare_from_folder(folder, load_config(), ["5"]), engine)
    assert engine.calls == []
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == files
    counts = {c.id: (c.to_synthesize, c.segments) for c in plan.chapters}
    assert counts["ch03"] == (2, 3)
    assert counts["ch05"] == (3, 3)  # regen: every sentence, cached or not
    assert counts["ch02"] == (0, 3)
    assert plan.to_synthesize == 5 and not plan.up_to_date
    unchanged = plan_job(prepare_from_folder(folder, load_config()), engine)
    assert unchanged.to_synthesize == 2


# ---------------------------------------------------------------- nothing is lost


def test_settings_edited_in_the_folder_are_not_replaced_by_an_article_build(
    tmp_path: Path,
) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    settings = folder / SETTINGS_FILE
    settings.write_text(
        settings.read_text("utf-8").replace("sentence_ms: 350", "sentence_ms: 500"), "utf-8"
    )
    _rebuild(folder, FakeEngine())  # the edit is in the episode now, and stays an edit
    edited = settings.read_text("utf-8")
    with pytest.raises(ScriptError, match=r"settings\.yaml has edits .* --config"):
        build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine())
    assert settings.read_text("utf-8") == edited
    # the way out the message gives works
    result = build_episode(
        _article(tmp_path), load_config(settings), tmp_path / "out", engine=FakeEngine()
    )
    assert result.up_to_date


def test_another_article_with_the_same_folder_name_is_refused(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    with pytest.raises(ScriptError, match=r"holds the episode of .*article\.md.* episode\.slug"):
        build_episode(
            _article(other, ARTICLE.replace("一つ目", "別の")),
            load_config(),
            tmp_path / "out",
            engine=FakeEngine(),
        )
    data = json.loads((first.mp3.parent / MANIFEST_FILE).read_text("utf-8"))
    data["date"] = "2020-02-29"
    (first.mp3.parent / MANIFEST_FILE).write_text(json.dumps(data), "utf-8")
    replaced = build_episode(
        _article(other, ARTICLE.replace("一つ目", "別の")),
        load_config(),
        tmp_path / "out",
        engine=FakeEngine(),
        force=True,
    )
    manifest = read_manifest(replaced.mp3.parent)
    assert manifest is not None and manifest.date != "2020-02-29"  # not the other one's date
    assert manifest.source == str((other / "article.md").resolve())


def test_an_interrupted_regen_leaves_the_episode_to_be_rebuilt(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    with pytest.raises(SynthesisError):
        _rebuild(folder, FakeEngine(fail_after=1), regen=["ch02"])
    again = _rebuild(folder, engine := FakeEngine())
    assert not again.up_to_date and engine.calls == []  # reassembled with the new take


def test_a_damaged_manifest_is_no_crash(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    path = first.mp3.parent / MANIFEST_FILE
    for damage in ({"date": None}, {"limiter_margin_db": "x"}, {"chapters": [{}]}):
        data = json.loads(path.read_text("utf-8"))
        path.write_text(json.dumps({**data, **damage}), "utf-8")
        assert read_manifest(first.mp3.parent) is None
        result = build_episode(
            _article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine()
        )
        assert not result.up_to_date and read_manifest(first.mp3.parent) is not None
    path.write_text("{ not json", "utf-8")
    assert read_manifest(first.mp3.parent) is None


def test_an_up_to_date_episode_needs_no_segments(tmp_path: Path) -> None:
    import shutil

    first = _first_build(tmp_path)
    shutil.rmtree(first.mp3.parent / SEGMENTS_DIR)
    again = _rebuild(first.mp3.parent, engine := FakeEngine())
    assert again.up_to_date and engine.calls == []


def test_a_relative_cover_does_not_make_the_folder_build_redo_the_episode(
    tmp_path: Path,
) -> None:
    png = cover_png()
    (tmp_path / "cover.png").write_bytes(png)
    settings = tmp_path / "show.yaml"
    settings.write_text("show:\n  cover: cover.png\n", "utf-8")
    first = build_episode(
        _article(tmp_path), load_config(settings), tmp_path / "out", engine=FakeEngine()
    )
    assert _rebuild(first.mp3.parent, FakeEngine()).up_to_date
    (tmp_path / "cover.png").write_bytes(png + b"\0")  # same path, other picture
    assert not _rebuild(first.mp3.parent, FakeEngine()).up_to_date


def test_comments_in_settings_yaml_survive_a_rebuild(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    settings = first.mp3.parent / SETTINGS_FILE
    settings.write_text("# my notes\n" + settings.read_text("utf-8"), "utf-8")
    _rebuild(first.mp3.parent, FakeEngine(), regen=["1"])
    assert settings.read_text("utf-8").startswith("# my notes\n")


def test_regen_numbers_follow_the_mp3_chapter_list(tmp_path: Path) -> None:
    first = _first_build(tmp_path)
    folder = first.mp3.parent
    path = folder / SCRIPT_FILE
    script = yaml.safe_load(path.read_text("utf-8"))
    script["chapters"] = [c for c in script["chapters"] if c["id"] != "ch02"]
    path.write_text(yaml.safe_dump(script, allow_unicode=True, sort_keys=False), "utf-8")
    engine = FakeEngine()
    _rebuild(folder, engine, regen=["3"])  # the MP3 still lists ch02: 3 is ch03
    assert sorted(engine.calls) == sorted(_chapter_texts(first, "ch03"))
    # now the MP3 lists ch01 ch03 ch04 ch05: 2 is ch03 again
    engine = FakeEngine()
    _rebuild(folder, engine, regen=["2"])
    assert sorted(engine.calls) == sorted(_chapter_texts(first, "ch03"))
    script["chapters"] = [c for c in script["chapters"] if c["id"] != "ch03"]
    path.write_text(yaml.safe_dump(script, allow_unicode=True, sort_keys=False), "utf-8")
    with pytest.raises(ScriptError, match=r"chapter 2 \(ch03\) is no longer in script\.yaml"):
        _rebuild(folder, FakeEngine(), regen=["2"])
