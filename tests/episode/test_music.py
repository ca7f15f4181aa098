"""Theme music, ducking, stings and fades on a real episode, heard back in the decoded MP3.

The music is made here: a 3500 Hz tone for the theme and a 5000 Hz one for the
sting, above everything FakeEngine's voice holds (its harmonics stop near
2 kHz), so a band meter around each tone hears the music alone. Where to listen
comes from the episode's own timeline, which chapters.json, the ID3 chapters and
ffmpeg's listing are checked to agree with.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEngine
from mutagen.id3 import ID3
from readers import chapter_start_ms, ebur128, ffmetadata_chapters
from tones import OTHER_HZ, STING_HZ, THEME_HZ, band_db, theme_file, window
from typer.testing import CliRunner

from yomiage.audio.ffmpeg import decode_to_samples
from yomiage.audio.loudness import loudness_lufs
from yomiage.audio.master import MASTER_RATE, MP3_FRAME, true_peak_dbtp
from yomiage.audio.mp3frames import read_frames, read_info
from yomiage.audio.music import DUCK_RAMP_S
from yomiage.cli import app
from yomiage.config import load_config
from yomiage.episode.build import BuildResult, build_episode, run_job
from yomiage.episode.jobs import folder_config, prepare_from_folder
from yomiage.publish.sidecars import CHAPTERS_FILE
from yomiage.publish.tags import read_chapters

RATE = MASTER_RATE
ARTICLE = (
    "# 音楽のある記事\n\n"
    "## 一章\n\nこれは最初の章です。短い文が続きます。\n\n"
    "## 二章\n\nここは二番目の章です。ここも短い文です。\n\n"
    "## 三章\n\n三番目の章は変わりません。\n"
)
SETTINGS = (
    "music:\n  intro: music/theme.mp3\n  outro: music/outro.wav\n  sting: music/sting.wav\n"
    "  outro_tail_s: 4.5\n"
)
CONTENT = "ch03"  # 二章: the intro is ch01, 一章 ch02


def _music(folder: Path) -> None:
    music = folder / "music"
    music.mkdir(exist_ok=True)
    # an MP3 at 48 kHz in stereo: loaded, mixed down and resampled
    theme_file(music, "theme.mp3", THEME_HZ, 9.0, rate=48_000, channels=2)
    theme_file(music, "outro.wav", THEME_HZ, 5.0)  # shorter than its place: looped
    theme_file(music, "sting.wav", STING_HZ, 0.8)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    folder = tmp_path_factory.mktemp("music")
    _music(folder)
    (folder / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    (folder / "article.md").write_text(ARTICLE, encoding="utf-8")
    config = load_config(folder / "settings.yaml")
    return build_episode(folder / "article.md", config, folder / "out", engine=FakeEngine())


@pytest.fixture(scope="module")
def decoded(built: BuildResult) -> np.ndarray:
    samples = decode_to_samples(built.mp3, RATE)
    assert len(samples) == built.timeline.total_samples
    return samples


def _level(samples: np.ndarray, start_s: float, end_s: float, hz: float = THEME_HZ) -> float:
    return band_db(window(samples, RATE, start_s, end_s), RATE, hz)


def _sentences(built: BuildResult, chapter_id: str) -> list[tuple[float, float]]:
    return [
        (s.start_ms / 1000, s.end_ms / 1000)
        for s in built.timeline.sentences
        if s.chapter_id == chapter_id
    ]


def _floor(built: BuildResult, decoded: np.ndarray) -> float:
    """The theme's band where no music plays: under a content chapter's words."""
    start, end = _sentences(built, CONTENT)[-1]
    return _level(decoded, start, end)


def test_the_theme_plays_alone_from_the_start_then_ducks_under_the_intro(
    built: BuildResult, decoded: np.ndarray
) -> None:
    intro = built.timeline.chapters[0]
    assert intro.start_ms == 0
    words = _sentences(built, intro.id)
    first_word = words[0][0]
    assert first_word == pytest.approx(4.0 + DUCK_RAMP_S, abs=0.01)  # music.intro_solo_s
    at_once = _level(decoded, 0.0, 0.1)
    solo = _level(decoded, 0.5, first_word - DUCK_RAMP_S - 0.1)
    ducked = min(_level(decoded, start + 0.05, end) for start, end in words)
    floor = _floor(built, decoded)
    print(f"theme: solo {solo:.1f} dB, under the words {ducked:.1f} dB, none {floor:.1f} dB")
    assert at_once > solo - 6  # there from the first moment
    assert solo > -25  # as loud as a theme alone is: level_db under the voice
    assert solo - ducked >= 10  # ducked by at least 10 dB under every sentence
    assert solo - ducked <= 20  # music.duck_db is 14
    assert ducked - floor >= 30  # and still plainly there


def test_the_intro_theme_fades_out_before_the_first_content_chapter(
    built: BuildResult, decoded: np.ndarray
) -> None:
    intro, first_content = built.timeline.chapters[:2]
    last_word = _sentences(built, intro.id)[-1][1]
    boundary = first_content.start_ms / 1000
    assert boundary - last_word >= 2.0  # music.fade_s of room after the last word
    fading = [_level(decoded, last_word + t, last_word + t + 0.25) for t in (0.1, 0.8, 1.5)]
    print("intro fade:", [f"{level:.1f}" for level in fading])
    assert fading[0] > fading[1] > fading[2]
    end = built.timeline.chapter_samples()[0][1]
    assert not decoded[end - 1105 : end].any()  # the seam before the next chapter is silence


def test_no_theme_under_the_article(built: BuildResult, decoded: np.ndarray) -> None:
    solo = _level(decoded, 0.5, 3.5)
    for mark in built.timeline.chapters[1:-1]:
        level = _level(decoded, mark.start_ms / 1000, mark.end_ms / 1000)
        print(f"theme band in {mark.title}: {level:.1f} dB")
        assert level < solo - 60, mark.title


def test_the_outro_theme_comes_in_under_the_words_plays_on_and_fades_at_the_end(
    built: BuildResult, decoded: np.ndarray
) -> None:
    outro = built.timeline.chapters[-1]
    words = _sentences(built, outro.id)
    last_word = words[-1][1]
    end = built.timeline.total_samples / RATE
    assert end - last_word == pytest.approx(4.5 + 0.5, abs=0.01)  # outro_tail_s + edge_ms
    ducked = max(_level(decoded, start + 0.05, stop) for start, stop in words)
    tail = _level(decoded, last_word + DUCK_RAMP_S + 0.2, last_word + 2.4)
    solo = _level(decoded, 0.5, 3.5)
    floor = _floor(built, decoded)
    fade = [_level(decoded, end - 0.5 - t, end - 0.5 - t + 0.25) for t in (1.9, 1.2, 0.5)]
    print(f"outro: under the words {ducked:.1f} dB, after them {tail:.1f} dB, fade {fade}")
    assert ducked - floor >= 30  # it came in under the words
    assert tail - ducked >= 10  # and up after them, near the intro's solo
    assert abs(tail - solo) <= 3
    assert fade[0] > fade[1] > fade[2]
    assert _level(decoded, end - 0.4, end) < tail - 60  # faded out, then the edge pause


def test_a_sting_at_each_chapter_change_never_over_words(
    built: BuildResult, decoded: np.ndarray
) -> None:
    floor = _level(decoded, *_sentences(built, CONTENT)[-1], hz=STING_HZ)
    first_mark, *later = built.timeline.chapters
    assert _level(decoded, 0.0, first_mark.end_ms / 1000, STING_HZ) < floor + 10
    for mark in later:
        start = mark.start_ms / 1000
        first_word = _sentences(built, mark.id)[0][0]
        sting = _level(decoded, start + 0.06, start + 0.86, STING_HZ)
        under_words = max(_level(decoded, a, b, STING_HZ) for a, b in _sentences(built, mark.id))
        print(f"sting at {mark.title}: {sting:.1f} dB; under its words {under_words:.1f} dB")
        assert sting - floor >= 40, mark.title
        assert under_words < sting - 40, mark.title  # over before the first word
        assert first_word - start >= 0.052 + 0.8 + 0.25 - 0.01  # seam, sting, gap


def test_loudness_and_true_peak_hold_for_the_episode_and_every_chapter(
    built: BuildResult, decoded: np.ndarray
) -> None:
    for mark, (start, end) in zip(
        built.timeline.chapters, built.timeline.chapter_samples(), strict=True
    ):
        chapter = decoded[start:end]
        lufs, peak = loudness_lufs(chapter, RATE), true_peak_dbtp(chapter)
        print(f"{mark.title}: {lufs:.2f} LUFS, {peak:.2f} dBTP")
        assert lufs == pytest.approx(-16.0, abs=1.0), mark.title
        assert peak <= -1.0, mark.title
    measured = ebur128(built.mp3)
    print(f"episode (ffmpeg ebur128): {measured}")
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=1.0)
    assert measured.true_peak_dbtp <= -1.0
    assert built.master.true_peak_dbtp <= -1.0


def test_chapters_json_id3_and_ffmpeg_agree(built: BuildResult, tmp_path: Path) -> None:
    marks = built.timeline.chapters
    document = json.loads((built.mp3.parent / CHAPTERS_FILE).read_text("utf-8"))
    assert [(c["startTime"], c["endTime"]) for c in document["chapters"]] == [
        (m.start_ms / 1000, m.end_ms / 1000) for m in marks
    ]
    tagged = read_chapters(built.mp3)
    assert [(c.start_ms, c.end_ms, c.title) for c in tagged] == [
        (m.start_ms, m.end_ms, m.title) for m in marks
    ]
    listed = ffmetadata_chapters(built.mp3, tmp_path)
    assert [c["title"] for c in listed] == [m.title for m in marks]
    for chapter, mark in zip(listed, marks, strict=True):
        # ffmpeg lists them less the 1105 samples it skips at the start (25 ms), as without music
        assert chapter_start_ms(chapter) == pytest.approx(mark.start_ms, abs=60)
    assert all(start % MP3_FRAME == 0 for start in built.timeline.chapter_starts)


# ---------------------------------------------------------------- rebuilds


def _copy(built: BuildResult, tmp_path: Path) -> Path:
    """The episode folder and its music, copied; its settings.yaml names the copied music."""
    source = built.mp3.parent
    copy = tmp_path / "copy"
    shutil.copytree(source.parent.parent / "music", copy / "music")
    folder = Path(shutil.copytree(source, copy / "out" / source.name))
    settings = folder / "settings.yaml"
    old = str((source.parent.parent / "music").resolve())
    settings.write_text(
        settings.read_text("utf-8").replace(old, str((copy / "music").resolve())), "utf-8"
    )
    return folder


def _frames_by_chapter(result: BuildResult, tmp_path: Path) -> dict[str, list[bytes]]:
    data = result.mp3.read_bytes()
    stream = tmp_path / f"{len(data)}.stream"
    stream.write_bytes(data[ID3(result.mp3).size :])
    frames = tmp_path / f"{len(data)}.frames"
    frames.write_bytes(stream.read_bytes()[read_info(stream).info_frame_bytes :])
    raw = frames.read_bytes()
    audio = [raw[offset : offset + size] for offset, size in read_frames(frames)]
    starts = [s // MP3_FRAME for s in result.timeline.chapter_starts]
    ends = [*starts[1:], len(audio)]
    marks = result.timeline.chapters
    return {m.id: audio[a:b] for m, a, b in zip(marks, starts, ends, strict=True)}


def test_a_content_regen_leaves_the_music_chapters_byte_identical(
    built: BuildResult, tmp_path: Path
) -> None:
    folder = _copy(built, tmp_path)
    config = folder_config(folder)
    assert config.music.intro == (tmp_path / "copy" / "music" / "theme.mp3").resolve()
    again = run_job(prepare_from_folder(folder, config, [CONTENT]), FakeEngine())
    assert again.encoded == 1
    before, after = _frames_by_chapter(built, tmp_path), _frames_by_chapter(again, tmp_path)
    for mark in built.timeline.chapters:
        if mark.id != CONTENT:
            assert after[mark.id] == before[mark.id], mark.title


def test_nothing_changed_is_up_to_date_and_a_new_outro_remixes_only_the_last_chapter(
    built: BuildResult, tmp_path: Path
) -> None:
    folder = _copy(built, tmp_path)
    same = run_job(prepare_from_folder(folder, folder_config(folder)), FakeEngine())
    assert same.up_to_date
    theme_file(tmp_path / "copy" / "music", "outro.wav", OTHER_HZ, 5.0)  # same name, new sound
    again = run_job(prepare_from_folder(folder, folder_config(folder)), FakeEngine())
    assert not again.up_to_date
    assert again.encoded == 1 and again.synthesized == 0
    before, after = _frames_by_chapter(built, tmp_path), _frames_by_chapter(again, tmp_path)
    outro = built.timeline.chapters[-1].id
    assert after[outro] != before[outro]
    assert all(after[m.id] == before[m.id] for m in built.timeline.chapters[:-1])
    decoded = decode_to_samples(again.mp3, RATE)
    last_word = again.timeline.sentences[-1].end_ms / 1000
    tail = (last_word + 0.6, last_word + 2.4)
    assert _level(decoded, *tail, hz=OTHER_HZ) - _level(decoded, *tail, hz=THEME_HZ) > 30


def test_a_new_intro_theme_remixes_only_the_first_chapter(
    built: BuildResult, tmp_path: Path
) -> None:
    folder = _copy(built, tmp_path)
    music = tmp_path / "copy" / "music"
    theme_file(music, "theme.mp3", OTHER_HZ, 9.0, rate=48_000, channels=2)
    again = run_job(prepare_from_folder(folder, folder_config(folder)), FakeEngine())
    assert again.encoded == 1 and again.synthesized == 0
    before, after = _frames_by_chapter(built, tmp_path), _frames_by_chapter(again, tmp_path)
    intro = built.timeline.chapters[0].id
    assert after[intro] != before[intro]
    assert all(after[m.id] == before[m.id] for m in built.timeline.chapters[1:])
    assert again.timeline == built.timeline  # the same length: every chapter where it was
    decoded = decode_to_samples(again.mp3, RATE)
    assert _level(decoded, 0.5, 3.5, OTHER_HZ) - _level(decoded, 0.5, 3.5, THEME_HZ) > 30


# ---------------------------------------------------------------- bad music files


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "settings.yaml:2: music.intro: no such music file"),
        ("garbage", "settings.yaml:2: music.intro: {music}/theme.mp3 does not decode as mp3"),
        ("too short", "settings.yaml:2: music.intro: {music}/theme.mp3 is 2.0 s long; it must"),
        ("long sting", "settings.yaml:4: music.sting: {music}/sting.wav is 4.0 s long; it must"),
        ("not audio", "settings.yaml:2: music.intro: {music}/theme.txt is not a music file"),
    ],
)
def test_a_bad_music_file_is_one_line_naming_it_before_any_synthesis(
    tmp_path: Path, case: str, expected: str
) -> None:
    _music(tmp_path)
    music = tmp_path / "music"
    settings = SETTINGS
    if case == "missing":
        (music / "theme.mp3").unlink()
    elif case == "garbage":
        (music / "theme.mp3").write_bytes(np.random.default_rng(1).bytes(5000))
    elif case == "too short":
        theme_file(music, "theme.mp3", THEME_HZ, 2.0)
    elif case == "long sting":
        theme_file(music, "sting.wav", STING_HZ, 4.0)
    else:
        (music / "theme.txt").write_text("not music", "utf-8")
        settings = settings.replace("theme.mp3", "theme.txt")
    (tmp_path / "settings.yaml").write_text(settings, encoding="utf-8")
    (tmp_path / "article.md").write_text(ARTICLE, encoding="utf-8")
    arguments = ["build", str(tmp_path / "article.md"), "--config", str(tmp_path / "settings.yaml")]
    result = CliRunner().invoke(app, [*arguments, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected.format(music=music.resolve() if case != "missing" else music) in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # stopped before any synthesis


# ---------------------------------------------------------------- a real voice


def test_with_open_jtalk_the_theme_ducks_under_a_real_voice_and_levels_hold(
    tmp_path: Path,
) -> None:
    """A real voice has energy at the theme's frequency too: a 20 Hz band around the tone
    still tells the theme from the voice (the voice alone, in the article, is far lower)."""
    from yomiage.engines import make_engine

    theme_file(tmp_path, "theme.wav", THEME_HZ, 8.0)
    theme_file(tmp_path, "sting.wav", STING_HZ, 0.6)
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "music:\n  intro: theme.wav\n  outro: theme.wav\n  sting: sting.wav\n", encoding="utf-8"
    )
    (tmp_path / "article.md").write_text("# 記事\n\n## 一章\n\n本文です。\n", encoding="utf-8")
    config = load_config(settings)
    built = build_episode(
        tmp_path / "article.md", config, tmp_path / "out", engine=make_engine("openjtalk", config)
    )
    decoded = decode_to_samples(built.mp3, RATE)

    def band(start: float, end: float, hz: float = THEME_HZ) -> float:
        return band_db(window(decoded, RATE, start, end), RATE, hz, width=20)

    intro, article, outro = built.timeline.chapters
    solo = band(0.5, _sentences(built, intro.id)[0][0] - DUCK_RAMP_S - 0.1)
    ducked = max(band(a, b) for a, b in _sentences(built, intro.id))
    voice_alone = max(band(a, b) for a, b in _sentences(built, article.id))
    last_word = _sentences(built, outro.id)[-1][1]
    tail = band(last_word + DUCK_RAMP_S + 0.2, last_word + 3.0)
    sting = band(article.start_ms / 1000 + 0.06, article.start_ms / 1000 + 0.6, STING_HZ)
    print(
        f"open jtalk: solo {solo:.1f}, ducked {ducked:.1f}, voice alone {voice_alone:.1f},"
        f" outro tail {tail:.1f}, sting {sting:.1f} dB"
    )
    assert solo - ducked >= 10
    assert ducked - voice_alone >= 8  # the ducked theme is still heard over the voice's own
    assert abs(tail - solo) <= 3
    assert sting > -30
    for mark, (start, end) in zip(
        built.timeline.chapters, built.timeline.chapter_samples(), strict=True
    ):
        lufs, peak = loudness_lufs(decoded[start:end], RATE), true_peak_dbtp(decoded[start:end])
        print(f"open jtalk {mark.title}: {lufs:.2f} LUFS, {peak:.2f} dBTP")
        assert lufs == pytest.approx(-16.0, abs=1.0) and peak <= -1.0, mark.title
    measured = ebur128(built.mp3)
    assert measured.integrated_lufs == pytest.approx(-16.0, abs=1.0)
    assert measured.true_peak_dbtp <= -1.0


def test_through_the_command_line_a_new_sting_remixes_the_chapters_it_sounds_in(
    tmp_path: Path,
) -> None:
    """`yomiage build` with music, then on the folder: up to date, until the sting changes."""
    _music(tmp_path)
    (tmp_path / "settings.yaml").write_text(SETTINGS, encoding="utf-8")
    (tmp_path / "article.md").write_text(ARTICLE, encoding="utf-8")
    runner = CliRunner()
    arguments = ["build", str(tmp_path / "article.md"), "--config", str(tmp_path / "settings.yaml")]
    first = runner.invoke(
        app, [*arguments, "--out", str(tmp_path / "out"), "--engine", "openjtalk"]
    )
    assert first.exit_code == 0, first.stderr
    folder = Path(first.stdout.strip().splitlines()[-1]).parent
    same = runner.invoke(app, ["build", str(folder), "--dry-run"])
    assert same.stdout.strip().splitlines()[-1].endswith("is up to date"), same.stdout
    theme_file(tmp_path / "music", "sting.wav", OTHER_HZ, 0.8)  # as long: no chapter moves
    again = runner.invoke(app, ["build", str(folder)])
    assert again.exit_code == 0, again.stderr
    assert "4 of 5 chapters encoded" in again.stderr  # every chapter but the first
