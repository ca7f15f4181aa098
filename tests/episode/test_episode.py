"""The pipeline with a fake engine: the sample article's episode, resuming, atomic output."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import cover_png
from fakes import FakeEngine
from PIL import Image
from readers import ffmetadata_chapters

from yomiage.config import load_config
from yomiage.episode.build import build_episode
from yomiage.episode.chapters import CHAPTERS_DIR
from yomiage.episode.jobs import SEGMENTS_DIR
from yomiage.episode.lock import LOCK_FILE
from yomiage.episode.plan import script_utterances
from yomiage.errors import SynthesisError
from yomiage.script.build import build_script
from yomiage.source.read import read_source

SAMPLE = Path(__file__).parents[2] / "seeds" / "000_d963ebc8981accf9.txt"
TOPICS = [
    "AI、AGI、AIと人間のコラボレーション",
    "AIと人間が協力して研究を行うことの重要性",
    "エンドツーエンドのトレーニングとAIの将来",
    "AIモデルの新しいアイデアと理解、およびAI業界の競争とセキュリティ",
    "AIの進歩の偶然性、アライメント問題、および人間との関連性",
]
CHROME = ["見出し画像", "supported by", "サポート", "合わせて見て", "この記事が気に入ったら"]


def test_sample_script_reorders_the_article_into_an_episode() -> None:
    script = build_script(read_source(SAMPLE), load_config())
    titles = [c.title for c in script.chapters]
    assert titles == ["オープニング", "要約", *TOPICS, "筆者の感想", "エンディング"]
    assert script.chapters[-2].role == "impressions"
    assert script.chapters[-2].paragraphs[1].startswith("イリヤ・スツケヴァーの氏対談を見て")
    spoken = " ".join(u.text for u in script_utterances(script))
    for chrome in CHROME:
        assert chrome not in spoken


def test_sample_episode_has_every_chapter_in_the_mp3(tmp_path: Path) -> None:
    result = build_episode(SAMPLE, load_config(), tmp_path, engine=FakeEngine())
    listed = ffmetadata_chapters(result.mp3, tmp_path)
    assert len(listed) == 9
    assert [c["title"] for c in listed] == [
        "オープニング",
        "要約",
        *TOPICS,
        "筆者の感想",
        "エンディング",
    ]


def _article(folder: Path, extra: str = "") -> Path:
    source = folder / "article.md"
    source.write_text(
        "# 記事\n\n## 一章\n\n一つ目。二つ目。三つ目。\n\n## 二章\n\n四つ目。五つ目。" + extra,
        encoding="utf-8",
    )
    return source


def test_a_rebuild_with_nothing_changed_synthesizes_nothing(tmp_path: Path) -> None:
    source = _article(tmp_path)
    first = FakeEngine()
    build_episode(source, load_config(), tmp_path / "out", engine=first)
    again = FakeEngine()
    result = build_episode(source, load_config(), tmp_path / "out", engine=again)
    assert len(first.calls) == result.segments
    assert again.calls == []
    assert result.synthesized == 0


def test_the_same_sentence_twice_is_spoken_once(tmp_path: Path) -> None:
    source = tmp_path / "repeat.md"
    source.write_text("# 記事\n\n## 一章\n\n同じ文です。\n\n同じ文です。\n", encoding="utf-8")
    engine = FakeEngine()
    build_episode(source, load_config(), tmp_path / "out", engine=engine)
    assert engine.calls.count("同じ文です。") == 1


def test_a_failed_build_keeps_finished_segments_and_the_old_episode(tmp_path: Path) -> None:
    out = tmp_path / "out"
    source = _article(tmp_path)
    first = build_episode(source, load_config(), out, engine=FakeEngine())
    before = first.mp3.read_bytes()
    script_before = (first.mp3.parent / "script.yaml").read_text(encoding="utf-8")

    edited = _article(tmp_path, extra="六つ目。七つ目。八つ目。")
    failing = FakeEngine(fail_after=2)
    with pytest.raises(SynthesisError, match="fake engine failed"):
        build_episode(edited, load_config(), out, engine=failing)
    assert first.mp3.read_bytes() == before  # the previous episode is whole
    assert (first.mp3.parent / "script.yaml").read_text(encoding="utf-8") == script_before
    assert not list(first.mp3.parent.glob(".*partial"))

    resumed = FakeEngine()
    result = build_episode(edited, load_config(), out, engine=resumed)
    assert failing.calls == ["六つ目。", "七つ目。"]
    assert resumed.calls == ["八つ目。"]  # only what the failed build had not finished
    assert result.mp3.read_bytes() != before


def test_a_damaged_segment_is_synthesized_again(tmp_path: Path) -> None:
    source = _article(tmp_path)
    result = build_episode(source, load_config(), tmp_path / "out", engine=FakeEngine())
    segments = sorted((result.mp3.parent / SEGMENTS_DIR).glob("*.npz"))
    segments[0].write_bytes(b"half a segment")
    again = FakeEngine()
    edited = _article(tmp_path, "六つ目。")  # the episode must be rebuilt, so read
    result = build_episode(edited, load_config(), tmp_path / "out", engine=again)
    assert len(again.calls) == 2 and "六つ目。" in again.calls
    assert result.synthesized == 2


def test_settings_change_the_folder_name(tmp_path: Path) -> None:
    settings = tmp_path / "episode.yaml"
    settings.write_text("episode:\n  slug: my-show-01\n", encoding="utf-8")
    source = _article(tmp_path)
    result = build_episode(source, load_config(settings), tmp_path / "out", engine=FakeEngine())
    assert result.mp3 == tmp_path / "out" / "my-show-01" / "episode.mp3"


def test_cover_from_settings_is_embedded_as_front_cover(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    png = cover_png()
    (tmp_path / "cover.png").write_bytes(png)
    settings = tmp_path / "episode.yaml"
    settings.write_text("show:\n  cover: cover.png\n", encoding="utf-8")
    result = build_episode(
        _article(tmp_path), load_config(settings), tmp_path / "out", engine=FakeEngine()
    )
    [picture] = ID3(result.mp3).getall("APIC")
    cover = result.mp3.parent / "cover.jpg"  # fitted for players: a baseline RGB JPEG
    assert (picture.type, picture.mime, picture.data) == (3, "image/jpeg", cover.read_bytes())
    with Image.open(cover) as image:
        assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (1400, 1400))
        assert image.getpixel((700, 700)) == pytest.approx((30, 60, 90), abs=3)


def test_without_a_cover_one_is_drawn_with_the_show_and_title(tmp_path: Path) -> None:
    from mutagen.id3 import ID3

    result = build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine())
    [picture] = ID3(result.mp3).getall("APIC")
    assert picture.data == (result.mp3.parent / "cover.jpg").read_bytes()
    with Image.open(io.BytesIO(picture.data)) as image:
        assert image.size == (1400, 1400)
        assert len(set(image.convert("L").getdata())) > 10  # text on it, not a blank square


def test_chapters_and_transcript_files_agree_with_the_id3_chapters(tmp_path: Path) -> None:
    import json

    import webvtt
    from mutagen.id3 import ID3

    result = build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine())
    folder = result.mp3.parent
    chapters = json.loads((folder / "chapters.json").read_text("utf-8"))["chapters"]
    id3 = sorted(ID3(result.mp3).getall("CHAP"), key=lambda c: c.start_time)
    assert [round(c["startTime"] * 1000) for c in chapters] == [c.start_time for c in id3]
    cues = webvtt.from_string((folder / "transcript.vtt").read_text("utf-8"))
    spans = [(_ms(c.start), _ms(c.end)) for c in cues]
    assert spans and all(0 <= start < end for start, end in spans)
    assert max(end for _, end in spans) <= result.timeline.duration_ms
    [lyrics] = ID3(result.mp3).getall("USLT")
    assert "一つ目。" in lyrics.text and not (folder / "transcript.srt").exists()


def test_output_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    from yomiage.errors import OutputError

    blocker = tmp_path / "out"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot create the episode folder"):
        build_episode(_article(tmp_path), load_config(), blocker, engine=FakeEngine())
    (tmp_path / "out2").mkdir()
    (tmp_path / "out2" / "article").write_text("where the folder should be", encoding="utf-8")
    with pytest.raises(OutputError, match="a file stands where the episode folder should be"):
        build_episode(_article(tmp_path), load_config(), tmp_path / "out2", engine=FakeEngine())


def test_intro_previews_at_most_five_chapters(tmp_path: Path) -> None:
    source = tmp_path / "long.md"
    sections = "".join(f"## 話題{n}\n\n{n}番目の話です。\n\n" for n in range(1, 9))
    source.write_text("# 長い記事\n\n" + sections, encoding="utf-8")
    script = build_script(read_source(source), load_config())
    intro = "".join(script.chapters[0].paragraphs)
    assert "「話題5」など" in intro and "話題6" not in intro
    assert "全8パート" in intro


def test_a_sentence_the_engine_cannot_say_is_left_out(tmp_path: Path) -> None:
    engine = FakeEngine(silent=frozenset({"二つ目。"}))
    result = build_episode(_article(tmp_path), load_config(), tmp_path / "out", engine=engine)
    spoken = [s.text for s in result.timeline.sentences]
    assert "二つ目。" in engine.calls and "二つ目。" not in spoken
    assert "一つ目。" in spoken and "三つ目。" in spoken
    gap = result.timeline.sentences[spoken.index("三つ目。")].start_ms - (
        result.timeline.sentences[spoken.index("一つ目。")].end_ms
    )
    assert gap == load_config().pauses.sentence_ms  # no double pause where it was


def test_a_failed_encode_leaves_no_scraps_and_the_old_episode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yomiage.audio.ffmpeg import ffmpeg_exe
    from yomiage.errors import AudioError

    out = tmp_path / "out"
    first = build_episode(_article(tmp_path), load_config(), out, engine=FakeEngine())
    before = first.mp3.read_bytes()
    monkeypatch.setenv("YOMIAGE_FFMPEG", "/bin/false")  # an ffmpeg that always fails
    ffmpeg_exe.cache_clear()
    try:
        with pytest.raises(AudioError, match="ffmpeg failed"):
            build_episode(_article(tmp_path, "六つ目。"), load_config(), out, engine=FakeEngine())
    finally:
        monkeypatch.delenv("YOMIAGE_FFMPEG")
        ffmpeg_exe.cache_clear()
    assert first.mp3.read_bytes() == before
    leftovers = [
        p.name
        for p in first.mp3.parent.iterdir()
        if p.name.startswith(".") and p.name not in (SEGMENTS_DIR, CHAPTERS_DIR, LOCK_FILE)
    ]
    leftovers += [p.name for p in (first.mp3.parent / CHAPTERS_DIR).iterdir() if p.name[0] == "."]
    assert leftovers == []


def test_episode_files_follow_the_umask_not_0600(tmp_path: Path) -> None:
    import os

    previous = os.umask(0o022)
    try:
        result = build_episode(
            _article(tmp_path), load_config(), tmp_path / "out", engine=FakeEngine()
        )
    finally:
        os.umask(previous)
    segment = next((result.mp3.parent / SEGMENTS_DIR).glob("*.npz"))
    for path in (result.mp3, result.mp3.parent / "script.yaml", segment):
        assert path.stat().st_mode & 0o777 == 0o644, path


def _ms(stamp: str) -> int:
    hours, minutes, seconds = stamp.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)
