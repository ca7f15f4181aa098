"""The music files and the music layer on their own: pydub through our ffmpeg, every format,
no ffprobe, no PATH; the layer's levels, its silent seams, its loops and fades."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tones import STING_HZ, THEME_HZ, band_db, theme_file, tone, write_wav

from yomiage.audio.ffmpeg import ffmpeg_exe
from yomiage.audio.loudness import loudness_lufs
from yomiage.audio.mp3frames import LEAD_SILENCE
from yomiage.audio.music import (
    DUCK_RAMP_S,
    ChapterMusic,
    chapter_music,
    music_lufs,
    music_pauses,
    segment_samples,
)
from yomiage.audio.timeline import Pauses
from yomiage.config import load_config
from yomiage.files.music import MusicFileError, check_music, load_music, pydub_audio_segment

RATE = 44_100


@pytest.mark.parametrize("name", ["theme.mp3", "theme.wav", "theme.flac", "theme.ogg", "theme.m4a"])
def test_every_format_loads_mono_at_the_master_rate_in_32_bits(tmp_path: Path, name: str) -> None:
    path = theme_file(tmp_path, name, THEME_HZ, 2.0, rate=48_000, channels=2)
    music = load_music(path)
    segment = music.segment
    assert (segment.frame_rate, segment.channels, segment.sample_width) == (RATE, 1, 4)
    assert music.seconds == pytest.approx(2.0, abs=0.06)  # lossy codecs pad a little
    samples = segment_samples(segment)
    middle = samples[RATE // 2 : 3 * RATE // 2]
    assert band_db(middle, RATE, THEME_HZ) == pytest.approx(-6.0, abs=0.5)  # the tone, at 0.5
    assert band_db(middle, RATE, 3000) < -60  # and nothing else: resampled cleanly


def test_files_load_without_ffprobe_or_ffmpeg_on_path(tmp_path: Path) -> None:
    """In a fresh interpreter with an empty PATH, and every warning an error."""
    path = theme_file(tmp_path, "theme.m4a", THEME_HZ, 1.0)
    code = (
        "import warnings, sys; warnings.simplefilter('error');"
        "from pathlib import Path;"
        "from yomiage.files.music import load_music;"
        f"print(round(load_music(Path({str(path)!r})).seconds, 1));"
        "import pydub; from yomiage.audio.ffmpeg import ffmpeg_exe;"
        "print(pydub.AudioSegment.converter == ffmpeg_exe())"
    )
    env = {"PATH": "", "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1.0", "True"]


def test_pydub_warnings_are_silenced_only_where_it_is_imported() -> None:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pydub_audio_segment()
        warnings.warn("still shown", DeprecationWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["still shown"]
    assert pydub_audio_segment().converter == ffmpeg_exe()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"\x00garbage" * 500), "does not decode as mp3 audio"),
        (lambda p: p.write_bytes(b""), "does not decode as mp3 audio"),
        (lambda p: None, "no such music file"),
        (lambda p: p.mkdir(), "a folder, not a regular file"),
    ],
)
def test_a_file_that_is_not_music_is_one_message(
    tmp_path: Path, make: object, message: str
) -> None:
    path = tmp_path / "theme.mp3"
    make(path)  # type: ignore[operator]
    with pytest.raises(MusicFileError, match=message):
        load_music(path)


def test_length_limits(tmp_path: Path) -> None:
    path = theme_file(tmp_path, "sting.wav", STING_HZ, 1.0)
    assert check_music(path, 0.5, 3.0) == path.resolve()
    with pytest.raises(
        MusicFileError, match=r"sting\.wav is 1\.0 s long; it must last at least 2 s"
    ):
        check_music(path, 2.0, None)
    with pytest.raises(MusicFileError, match=r"it must last at most 0\.5 s"):
        check_music(path, 0.1, 0.5)
    write_wav(tmp_path / "silent.wav", np.zeros(RATE, np.float32))
    with pytest.raises(MusicFileError, match=r"silent\.wav is silent"):
        load_music(tmp_path / "silent.wav")


# ---------------------------------------------------------------- the layer


def _settings(tmp_path: Path, extra: str = "") -> ChapterMusic:
    theme_file(tmp_path, "theme.wav", THEME_HZ, 3.0)  # full scale would clip a 16-bit mix
    theme_file(tmp_path, "sting.wav", STING_HZ, 0.5)
    settings = tmp_path / "settings.yaml"
    settings.write_text(
        "music:\n  intro: theme.wav\n  outro: theme.wav\n  sting: sting.wav\n"
        "  intro_solo_s: 1.5\n  outro_tail_s: 2.5\n  fade_s: 1.0\n" + extra,
        encoding="utf-8",
    )
    config = load_config(settings).music
    assert config.intro is not None and config.sting is not None
    theme, sting = load_music(config.intro), load_music(config.sting)
    return ChapterMusic(config, intro=theme, outro=theme, sting=sting)


def test_the_intro_layer_is_level_db_under_the_voice_and_silent_in_the_seam(
    tmp_path: Path,
) -> None:
    music = _settings(tmp_path)
    music = ChapterMusic(music.settings, intro=music.intro)
    length = 10 * RATE
    words = [(round(1.9 * RATE), round(4.0 * RATE)), (round(4.5 * RATE), round(7.0 * RATE))]
    layer = chapter_music(length, words, -20.0, music, RATE, first=True, last=False, seam=2304)
    solo = layer[RATE // 4 : round(1.4 * RATE)]
    assert loudness_lufs(solo, RATE) == pytest.approx(-20.0 - 6.0, abs=0.3)  # level_db
    ducked = layer[words[0][0] : words[1][1]]
    assert loudness_lufs(ducked, RATE) == pytest.approx(-26.0 - 14.0, abs=0.5)  # duck_db
    assert not layer[round(7.0 * RATE) + RATE + 50 :].any()  # faded out over fade_s
    assert not layer[length - LEAD_SILENCE :].any()


def test_the_theme_loops_with_a_crossfade_and_ends_back_timed(tmp_path: Path) -> None:
    music = _settings(tmp_path)
    music = ChapterMusic(music.settings, outro=music.outro)
    length = 12 * RATE  # a 3 s theme under 6.5 s of words and a 2.5 s tail: looped
    words = [(round(0.5 * RATE), round(7.0 * RATE))]
    layer = chapter_music(length, words, -20.0, music, RATE, first=False, last=True, seam=2304)
    assert not layer[:2304].any()  # the seam after the previous chapter
    under = layer[words[0][0] + RATE // 2 : words[0][1]]
    envelope = np.abs(under).reshape(-1, 441).max(axis=1)  # 10 ms peaks: no gap at a repeat
    assert envelope.min() > 0.5 * envelope.max()
    tail = layer[words[0][1] + round((DUCK_RAMP_S + 0.1) * RATE) : words[0][1] + RATE]
    assert loudness_lufs(tail, RATE) == pytest.approx(-26.0, abs=0.5)
    end = words[0][1] + round(2.5 * RATE)
    assert not layer[end:].any()  # outro_tail_s, then the edge pause in silence


def test_nothing_clips_however_far_the_voice_is_above_the_music(tmp_path: Path) -> None:
    """A theme at full scale brought up 30 dB: the samples go far over 1.0, as the voice's
    may, and mastering brings them down; pydub's 32-bit steps saturated nothing on the way."""
    path = write_wav(tmp_path / "loud.wav", tone(THEME_HZ, 3.0, amplitude=1.0))
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"music:\n  intro: {path}\n  intro_solo_s: 1.5\n  level_db: 0\n", "utf-8")
    music = ChapterMusic(load_config(settings).music, intro=load_music(path))
    layer = chapter_music(
        6 * RATE, [(2 * RATE, 4 * RATE)], 10.0, music, RATE, first=True, last=False, seam=2304
    )
    solo = layer[RATE // 4 : RATE]
    expected = 10 ** ((10.0 - music_lufs(music.intro)) / 20)  # type: ignore[arg-type]
    assert np.abs(solo).max() == pytest.approx(expected, rel=0.01)  # a sine's peak, not clipped
    assert band_db(solo / expected, RATE, THEME_HZ) == pytest.approx(0.0, abs=0.2)


def test_pauses_make_room_for_the_music(tmp_path: Path) -> None:
    music = _settings(tmp_path)
    plain = Pauses(100, 300, RATE, 500)
    assert music.sting is not None
    room = music_pauses(plain, music.settings, music.sting, RATE, 2304)
    assert room.opening == round((1.5 + DUCK_RAMP_S) * RATE)
    assert room.closing == round(2.5 * RATE) + 500
    assert room.first_tail == RATE + 2304
    assert room.lead == 2304 + music.sting.samples + round(0.25 * RATE)


def test_an_outro_with_no_room_before_its_first_word_still_comes_in(tmp_path: Path) -> None:
    """pauses.chapter_ms: 0 leaves only the seam before the outro's first word."""
    music = _settings(tmp_path)
    music = ChapterMusic(music.settings, outro=music.outro)
    words = [(2304, 3 * RATE)]
    layer = chapter_music(6 * RATE, words, -20.0, music, RATE, first=False, last=True, seam=2304)
    assert not layer[:2304].any()
    assert loudness_lufs(layer[RATE : 3 * RATE], RATE) == pytest.approx(-40.0, abs=0.5)
