"""An episode built end to end with the real Open JTalk engine and the real ffmpeg,
then read back with mutagen and with ffmpeg's own chapter listing and loudness meter."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml
from mutagen.id3 import ID3
from mutagen.mp3 import MP3, BitrateMode
from readers import chapter_start_ms, ebur128, ffmetadata_chapters

from yomiage.audio.ffmpeg import decode_to_samples
from yomiage.config import load_config
from yomiage.episode.build import BuildResult, build_episode

ARTICLE = """\
# 短いテスト記事

私はこの話がとても面白いと思った。

## 概要

これは短いテストの記事です。

## 最初の話題

一つ目の話題について話します。
"""

EXPECTED_TITLES = ["オープニング", "概要", "最初の話題", "筆者の感想", "エンディング"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    folder = tmp_path_factory.mktemp("e2e")
    source = folder / "short.md"
    source.write_text(ARTICLE, encoding="utf-8")
    return build_episode(source, load_config(), folder / "output")


def test_episode_lands_in_the_slug_folder_with_its_script(built: BuildResult) -> None:
    folder = built.mp3.parent
    assert built.mp3 == folder / "episode.mp3"
    assert folder.name == "short"
    script = yaml.safe_load((folder / "script.yaml").read_text(encoding="utf-8"))
    assert [c["title"] for c in script["chapters"]] == EXPECTED_TITLES
    assert not list(folder.glob("*.partial"))
    assert built.synthesized == built.segments > 5


def test_audio_is_cbr_96k_mono_44k_with_an_info_header(built: BuildResult) -> None:
    info = MP3(built.mp3).info
    assert (info.sample_rate, info.channels, info.bitrate) == (44_100, 1, 96_000)
    assert info.bitrate_mode == BitrateMode.CBR
    data = built.mp3.read_bytes()
    first_frame = ID3(built.mp3).size  # the tag comes first, then the first MPEG frame
    assert b"Info" in data[first_frame : first_frame + 200]
    assert abs(info.length - built.audio_seconds) < 0.1


def test_tags_read_back_with_mutagen(built: BuildResult) -> None:
    tags = ID3(built.mp3, translate=False)
    assert tags.version == (2, 3, 0)
    assert str(tags["TIT2"]) == "短いテスト記事"
    assert str(tags["TCON"]) == "Podcast"
    assert str(tags["TLAN"]) == "jpn"
    assert str(tags["TALB"]) == load_config().show.name
    [comment] = tags.getall("COMM")
    assert comment.lang == "jpn" and comment.text[0] == "これは短いテストの記事です。"
    [toc] = tags.getall("CTOC")
    assert toc.flags == 3
    chaps = {c.element_id: c for c in tags.getall("CHAP")}
    assert list(toc.child_element_ids) == sorted(chaps, key=lambda i: chaps[i].start_time)
    ordered = [chaps[i] for i in toc.child_element_ids]
    assert [str(c.sub_frames["TIT2"]) for c in ordered] == EXPECTED_TITLES
    assert ordered[0].start_time == 0
    assert all(a.end_time == b.start_time for a, b in itertools.pairwise(ordered))
    assert ordered[-1].end_time == built.timeline.duration_ms


def test_ffmpeg_lists_the_planned_chapters(built: BuildResult, tmp_path: Path) -> None:
    listed = ffmetadata_chapters(built.mp3, tmp_path)
    assert [c["title"] for c in listed] == EXPECTED_TITLES
    planned = [c.start_ms for c in built.timeline.chapters]
    for chapter, start in zip(listed, planned, strict=True):
        assert abs(chapter_start_ms(chapter) - start) <= 60


def test_chapters_start_in_silence_just_before_their_first_word(built: BuildResult) -> None:
    audio = decode_to_samples(built.mp3, 44_100)
    first_words = {}
    for sentence in built.timeline.sentences:
        first_words.setdefault(sentence.chapter_id, sentence.start_ms)
    for chapter in built.timeline.chapters[1:]:
        around = audio[int((chapter.start_ms - 30) * 44.1) : int((chapter.start_ms + 30) * 44.1)]
        assert float(np.abs(around).max()) < 0.01  # silence, not a clipped syllable
        assert 0 < first_words[chapter.id] - chapter.start_ms <= 500


def test_loudness_and_true_peak_measured_by_ffmpeg(built: BuildResult) -> None:
    measured = ebur128(built.mp3)
    assert abs(measured.integrated_lufs - -16.0) <= 1.0
    assert measured.true_peak_dbtp <= -1.0
    # our own meter, reported by the build, agrees with ffmpeg's
    assert abs(built.master.loudness_lufs - measured.integrated_lufs) <= 0.3


def test_chapter_levels_are_even(built: BuildResult) -> None:
    from yomiage.audio.loudness import loudness_lufs

    audio = decode_to_samples(built.mp3, 44_100)
    for chapter in built.timeline.chapters:
        span = audio[int(chapter.start_ms * 44.1) : int(chapter.end_ms * 44.1)]
        assert abs(loudness_lufs(span, 44_100) - -16.0) <= 1.0, chapter.title


def test_text_open_jtalk_cannot_say_is_skipped_not_fatal(tmp_path: Path) -> None:
    """A separator or a foreign-script line must not stop the build."""
    source = tmp_path / "odd.md"
    source.write_text(
        "# 記事\n\n## 本文\n\n最初の文です。\n\n々々々\n\n안녕하세요\n\n最後の文です。\n",
        encoding="utf-8",
    )
    result = build_episode(source, load_config(), tmp_path / "out")
    spoken = [s.text for s in result.timeline.sentences]
    assert "最初の文です。" in spoken and "最後の文です。" in spoken
    assert not any("々" in s or "안" in s for s in spoken)


def test_sidecars_agree_with_the_id3_chapters_and_the_audio(
    built: BuildResult, tmp_path: Path
) -> None:
    """chapters.json, the WebVTT transcript and the USLT frame, against the real MP3."""
    import json

    import webvtt
    from PIL import Image

    folder = built.mp3.parent
    chapters = json.loads((folder / "chapters.json").read_text(encoding="utf-8"))
    assert chapters["version"] == "1.2.0"
    id3 = sorted(ID3(built.mp3).getall("CHAP"), key=lambda c: c.start_time)
    assert len(chapters["chapters"]) == len(id3)
    for entry, chap in zip(chapters["chapters"], id3, strict=True):
        assert abs(entry["startTime"] * 1000 - chap.start_time) <= 10
        assert entry["title"] == chap.sub_frames["TIT2"].text[0]
    # ... and ffmpeg's own chapter listing, within its encoder-delay tolerance
    listed_chapters = ffmetadata_chapters(built.mp3, tmp_path)
    for entry, listed in zip(chapters["chapters"], listed_chapters, strict=True):
        assert abs(entry["startTime"] * 1000 - chapter_start_ms(listed)) <= 60

    audio_ms = len(decode_to_samples(built.mp3, 44_100)) * 1000 / 44_100
    cues = list(webvtt.from_string((folder / "transcript.vtt").read_text(encoding="utf-8")))
    spans = [(_stamp_ms(c.start), _stamp_ms(c.end)) for c in cues]
    assert len(cues) >= len(built.timeline.sentences)
    assert all(0 <= start < end <= audio_ms for start, end in spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # in order, no overlap
    spoken_text = "".join(line for c in cues for line in c.lines)
    for sentence in built.timeline.sentences:
        assert sentence.text in spoken_text

    [lyrics] = ID3(built.mp3).getall("USLT")
    titles = {c.title for c in built.timeline.chapters}
    for sentence in built.timeline.sentences:  # a chapter lead shows as its title line
        assert sentence.text in lyrics.text or sentence.text.rstrip("。") in titles
    assert "\n最初の話題\n一つ目の話題" in lyrics.text  # the title line, not title and lead
    [picture] = ID3(built.mp3).getall("APIC")
    assert picture.type == 3 and picture.data == (folder / "cover.jpg").read_bytes()
    with Image.open(folder / "cover.jpg") as cover:
        assert cover.format == "JPEG" and cover.size == (1400, 1400)


def _stamp_ms(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return (int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000
