"""Chapters encoded apart and joined under one Info frame: checked with real ffmpeg and mutagen."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import mutagen.mp3
import numpy as np
import pytest
from mutagen.mp3._util import XingHeader

from yomiage.audio.ffmpeg import decode_to_samples, ffmpeg_exe
from yomiage.audio.mp3frames import (
    DECODER_DELAY,
    FRAME_SAMPLES,
    LAME_DELAY,
    LEAD_SILENCE,
    SAMPLE_RATE,
    crc16,
    decode_chapter,
    encode_chapter,
    join_chapters,
    read_frames,
    read_info,
)
from yomiage.errors import AudioError

RATE = SAMPLE_RATE
PAUSE = round(0.2 * RATE)  # each side of a chapter boundary: 400 ms of digital silence
BURST = RATE // 2
FORMATS = [(96, 1), (128, 2)]  # (kbps, channels)


def _chapter(frames: int | None, frequency: float, samples: int = 0) -> np.ndarray:
    """Tone bursts separated by exact zeros, with PAUSE of silence at both ends.

    `frames` whole frames long, or `samples` long for the last chapter.
    """
    length = frames * FRAME_SAMPLES if frames is not None else samples
    span = np.zeros(length, np.float32)
    window = np.hanning(BURST)
    t = np.arange(BURST) / RATE
    start = PAUSE
    while start + BURST + PAUSE <= length:
        span[start : start + BURST] = 0.3 * np.sin(2 * np.pi * frequency * t) * window
        start += BURST + PAUSE // 2
    return span


def _bursts(span: np.ndarray) -> list[int]:
    """Where each burst starts: the first non-zero sample after a run of zeros."""
    loud = span != 0
    return np.flatnonzero(loud & ~np.concatenate(([False], loud[:-1]))).tolist()


@dataclass
class Episode:
    folder: Path
    kbps: int
    channels: int
    spans: list[np.ndarray]
    paths: list[Path]
    path: Path
    frames: int

    @property
    def starts(self) -> list[int]:
        return np.cumsum([0] + [len(span) for span in self.spans[:-1]]).tolist()

    @property
    def timeline(self) -> np.ndarray:
        return np.concatenate(self.spans)


def _build(folder: Path, spans: list[np.ndarray], kbps: int, channels: int) -> Episode:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, span in enumerate(spans):
        path = folder / f"chapter-{index}.mp3"
        last = index == len(spans) - 1
        made = encode_chapter(span, path, bitrate_kbps=kbps, channels=channels, last=last)
        assert made.samples == len(span) and made.size == path.stat().st_size
        if not last:
            assert made.frames * FRAME_SAMPLES == len(span)
        paths.append(path)
    total = sum(len(span) for span in spans)
    episode = folder / "episode.mp3"
    frames = join_chapters(paths, episode, total, bitrate_kbps=kbps, channels=channels)
    return Episode(folder, kbps, channels, spans, paths, episode, frames)


def _decode(path: Path, channels: int) -> tuple[np.ndarray, str]:
    """All channels as float32, (samples, channels); and what ffmpeg warned about."""
    done = _ffmpeg("-v", "warning", "-i", str(path), "-f", "f32le", "-")
    decoded = np.frombuffer(done.stdout, dtype="<f4").reshape(-1, channels)
    return decoded, done.stderr.decode()


def _ffmpeg_log(path: Path) -> str:
    return _ffmpeg("-v", "debug", "-i", str(path), "-f", "null", "-").stderr.decode()


def _ffmpeg(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", *args], capture_output=True, check=True
    )


@pytest.fixture(scope="module", params=FORMATS, ids=["mono-96k", "stereo-128k"])
def episode(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Episode:
    kbps, channels = request.param
    spans = [
        _chapter(110, 330.0),
        _chapter(130, 440.0),
        _chapter(100, 550.0),
        _chapter(None, 660.0, samples=3 * RATE + 123),  # the last: any length
    ]
    return _build(tmp_path_factory.mktemp("episode"), spans, kbps, channels)


def test_decodes_to_exactly_the_timeline_with_no_warning(episode: Episode) -> None:
    decoded, warnings = _decode(episode.path, episode.channels)
    timeline = episode.timeline
    assert warnings == ""
    assert len(decoded) == len(timeline)
    for channel in decoded.T:
        # A level change (LAME scales by about 0.95, ffmpeg's mono-to-stereo by 0.71);
        # beyond that only coding noise.
        gain = float(channel @ timeline / (timeline @ timeline))
        assert 0.6 < gain < 1.0
        noise = channel - gain * timeline
        assert np.sqrt(np.mean(noise**2)) < 0.02 * gain * np.sqrt(np.mean(timeline**2))


def test_every_burst_starts_where_planned(episode: Episode) -> None:
    decoded = _decode(episode.path, episode.channels)[0][:, 0]
    timeline = episode.timeline
    onsets = _bursts(timeline)
    assert len(onsets) == sum(len(_bursts(span)) for span in episode.spans) >= 16
    for onset in onsets:
        planned = timeline[onset : onset + BURST]
        near = decoded[onset - 50 : onset + BURST + 50]
        lag = int(np.argmax(np.correlate(near, planned, "valid"))) - 50
        assert lag == 0, f"burst at {onset} decoded {lag} samples off"


def test_silence_stays_digital_zero_across_boundaries(episode: Episode) -> None:
    """The pause around each boundary, the next chapter's priming included, decodes as
    exact zeros, up to where MP3 spreads the next burst ahead of itself."""
    decoded = _decode(episode.path, episode.channels)[0]
    for start in episode.starts[1:]:
        assert not decoded[start - PAUSE : start + PAUSE - LEAD_SILENCE].any()


def test_mutagen_and_the_info_tag_agree_on_frames_and_length(episode: Episode) -> None:
    total = len(episode.timeline)
    size = episode.path.stat().st_size
    chapter_frames = [len(read_frames(path)) for path in episode.paths]
    assert episode.frames == sum(chapter_frames)
    assert chapter_frames[:-1] == [len(span) // FRAME_SAMPLES for span in episode.spans[:-1]]

    info = mutagen.mp3.MP3(episode.path).info
    assert abs(info.length - total / RATE) < 0.001
    assert info.length * RATE == pytest.approx(total, abs=1e-6)
    assert info.bitrate_mode == mutagen.mp3.BitrateMode.CBR
    assert round(info.bitrate / 1000) == episode.kbps
    assert info.channels == episode.channels

    tag = read_info(episode.path)
    with episode.path.open("rb") as file:
        file.seek(4 + (17 if episode.channels == 1 else 32))
        xing = XingHeader(file)
    assert xing.is_info and xing.lame_header is not None
    assert xing.frames == tag.frames == episode.frames
    assert xing.bytes == tag.stream_bytes == tag.music_length == size
    assert xing.lame_header.encoder_delay_start == tag.delay == LAME_DELAY
    padding = episode.frames * FRAME_SAMPLES - LAME_DELAY - total
    assert xing.lame_header.encoder_padding_end == tag.padding == padding
    assert tag.samples == total
    assert tag.bitrate_kbps == episode.kbps
    assert tag.tag_crc_ok
    audio = episode.path.read_bytes()[tag.info_frame_bytes :]
    assert tag.music_crc == crc16(audio)
    assert tag.toc[0] == 0 and list(tag.toc) == sorted(tag.toc) and tag.toc[-1] > 240

    log = _ffmpeg_log(episode.path)
    assert f"pad {LAME_DELAY} {padding}" in log
    assert f"skip {DECODER_DELAY} " in log
    # ffmpeg exports the tag's encoder only when the tag CRC is right.
    assert "encoder         : LAME4.1a" in log
    assert "Skipping 0 bytes of junk" in log and "mismatch" not in log.lower()


def test_chapter_decodes_alone_as_it_plays_in_the_episode(episode: Episode) -> None:
    whole = decode_to_samples(episode.path, RATE)
    for path, start, span in zip(episode.paths, episode.starts, episode.spans, strict=True):
        alone = decode_chapter(path, len(span))
        assert np.array_equal(alone, whole[start : start + len(span)])


@pytest.mark.parametrize("extra_frames", [0, 7], ids=["same-length", "longer"])
def test_regen_copies_the_other_chapters_and_they_decode_the_same(
    episode: Episode, extra_frames: int
) -> None:
    before = _decode(episode.path, episode.channels)[0]
    old_bytes = episode.path.read_bytes()
    folder = episode.folder / f"regen-{extra_frames}"
    folder.mkdir()
    paths = []
    for path in episode.paths:  # the unchanged chapters are copied as files
        copy = folder / path.name
        copy.write_bytes(path.read_bytes())
        paths.append(copy)
    changed = 1
    new_span = _chapter(len(episode.spans[changed]) // FRAME_SAMPLES + extra_frames, 880.0)
    encode_chapter(
        new_span, paths[changed], bitrate_kbps=episode.kbps, channels=episode.channels, last=False
    )
    spans = list(episode.spans)
    spans[changed] = new_span
    total = sum(len(span) for span in spans)
    again = folder / "episode.mp3"
    join_chapters(paths, again, total, bitrate_kbps=episode.kbps, channels=episode.channels)
    after, warnings = _decode(again, episode.channels)
    assert warnings == "" and len(after) == total

    new_bytes = again.read_bytes()
    old_info, new_info = read_info(episode.path), read_info(again)
    old_at, new_at = old_info.info_frame_bytes, new_info.info_frame_bytes
    new_starts = np.cumsum([0] + [len(span) for span in spans[:-1]]).tolist()
    for index in range(len(spans)):
        size = paths[index].stat().st_size
        if index != changed:
            assert new_bytes[new_at : new_at + size] == old_bytes[old_at : old_at + size]
            old, new = episode.starts[index], new_starts[index]
            length = len(spans[index])
            # Bit for bit, the chapter right after the changed one included.
            assert np.array_equal(after[new : new + length], before[old : old + length])
        new_at += size
        old_at += episode.paths[index].stat().st_size
    assert new_at == len(new_bytes)
    start = new_starts[changed]
    onsets = [start + onset for onset in _bursts(new_span)]
    for onset in onsets:
        planned = new_span[onset - start : onset - start + BURST]
        near = after[onset - 50 : onset + BURST + 50, 0]
        assert int(np.argmax(np.correlate(near, planned, "valid"))) == 50


def test_our_crc_is_lames_on_ffmpegs_own_info_frame(tmp_path: Path) -> None:
    """ffmpeg's muxer writes the music CRC over the audio frames, and in stereo the
    tag CRC over the same 190 bytes we cover; read_info reads its frame too."""
    rng = np.random.default_rng(7)
    noise = (0.1 * rng.standard_normal(2 * RATE)).astype(np.float32)
    raw = tmp_path / "noise.s16"
    raw.write_bytes(np.round(noise * 32767).astype("<i2").tobytes())
    path = tmp_path / "ffmpeg.mp3"
    pcm = ("-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", str(raw))
    lame = ("-ac", "2", "-c:a", "libmp3lame", "-b:a", "128k", "-write_xing", "1")
    _ffmpeg("-v", "error", *pcm, *lame, "-id3v2_version", "0", str(path))
    tag = read_info(path)
    data = path.read_bytes()
    assert tag.music_crc == crc16(data[tag.info_frame_bytes :])
    assert tag.tag_crc_ok
    assert tag.delay == LAME_DELAY and tag.samples == 2 * RATE
    assert tag.stream_bytes == len(data)


@pytest.mark.parametrize("length", [0, 1, 255, 256, 4095, 4096, 4097, 70_001])
def test_crc16_matches_the_bitwise_definition(length: int) -> None:
    data = np.random.default_rng(length).integers(0, 256, length, dtype=np.uint8).tobytes()
    expected = 0
    for byte in data:
        expected ^= byte
        for _ in range(8):
            expected = (expected >> 1) ^ 0xA001 if expected & 1 else expected >> 1
    assert crc16(data) == expected
    assert crc16(data[length // 3 :], crc16(data[: length // 3])) == expected
    assert crc16(b"123456789") == 0xBB3D  # the catalogue's check value for CRC-16/ARC


def test_lame_writes_one_frame_more_than_a_chapter_keeps(tmp_path: Path) -> None:
    """What the scheme relies on: n samples in, ceil(n / 1152) + 1 frames out; and a
    chapter file keeps exactly its span's frames."""
    span = _chapter(40, 500.0)
    made = encode_chapter(span, tmp_path / "c.mp3", bitrate_kbps=96, channels=1, last=False)
    assert made.frames == 40 == len(read_frames(made.path))
    fed = len(span) - DECODER_DELAY
    last = encode_chapter(span[:fed], tmp_path / "l.mp3", bitrate_kbps=96, channels=1, last=True)
    assert last.frames == -(-fed // FRAME_SAMPLES) + 1 == 41


def _one_line(error: pytest.ExceptionInfo[AudioError], *words: str) -> None:
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_refuses_what_is_not_bare_mp3_frames(tmp_path: Path, episode: Episode) -> None:
    text = tmp_path / "notes.mp3"
    text.write_text("not audio at all\n")
    with pytest.raises(AudioError) as error:
        read_frames(text)
    _one_line(error, str(text), "byte 0")

    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(AudioError) as error:
        join_chapters([empty], tmp_path / "out.mp3", 1, bitrate_kbps=96, channels=1)
    _one_line(error, str(empty), "empty")

    cut = tmp_path / "cut.mp3"
    cut.write_bytes(episode.paths[0].read_bytes()[:-100])
    with pytest.raises(AudioError) as error:
        join_chapters(
            [cut, *episode.paths[1:]],
            tmp_path / "out.mp3",
            len(episode.timeline),
            bitrate_kbps=episode.kbps,
            channels=episode.channels,
        )
    _one_line(error, str(cut), "truncated")
    assert not (tmp_path / "out.mp3").exists()

    with pytest.raises(AudioError) as error:  # an episode, Info frame and all
        read_frames(episode.path)
    _one_line(error, str(episode.path), "Info frame")

    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00" + episode.paths[0].read_bytes())
    with pytest.raises(AudioError) as error:
        decode_chapter(tagged, FRAME_SAMPLES)
    _one_line(error, str(tagged), "ID3")


def test_refuses_chapters_of_another_format_or_length(tmp_path: Path, episode: Episode) -> None:
    other = 64 if episode.kbps != 64 else 96
    with pytest.raises(AudioError) as error:
        join_chapters(
            episode.paths,
            tmp_path / "out.mp3",
            len(episode.timeline),
            bitrate_kbps=other,
            channels=episode.channels,
        )
    _one_line(error, str(episode.paths[0]), f"not {other} kbps")
    with pytest.raises(AudioError) as error:  # a sample count the frames cannot play
        join_chapters(
            episode.paths,
            tmp_path / "out.mp3",
            len(episode.timeline) + FRAME_SAMPLES,
            bitrate_kbps=episode.kbps,
            channels=episode.channels,
        )
    _one_line(error, "cannot play")
    with pytest.raises(AudioError) as error:  # it would be emptied before it is read
        join_chapters(
            episode.paths, episode.paths[1], 1, bitrate_kbps=episode.kbps, channels=episode.channels
        )
    _one_line(error, str(episode.paths[1]), "one of the chapters")
    assert read_frames(episode.paths[1])


def test_refuses_spans_that_would_lose_sound(tmp_path: Path) -> None:
    dest = tmp_path / "c.mp3"
    span = _chapter(40, 440.0)
    assert span.any()
    with pytest.raises(AudioError) as error:
        encode_chapter(span[:-1], dest, bitrate_kbps=96, channels=1, last=False)
    _one_line(error, str(dest), "whole 1152-sample frames")
    loud_end = span.copy()
    loud_end[-10] = 0.1
    with pytest.raises(AudioError) as error:
        encode_chapter(loud_end, dest, bitrate_kbps=96, channels=1, last=False)
    _one_line(error, str(dest), "not silent")
    with pytest.raises(AudioError) as error:
        encode_chapter(span, dest, bitrate_kbps=96, channels=1, last=True, gain=4.0)
    _one_line(error, str(dest), "clip")
    assert not dest.exists() and list(tmp_path.iterdir()) == []  # no part file left behind


@pytest.mark.parametrize(("kbps", "channels"), FORMATS, ids=["mono-96k", "stereo-128k"])
def test_sound_up_to_the_limits_still_decodes_alone_as_in_the_episode(
    tmp_path: Path, kbps: int, channels: int
) -> None:
    """Noise from LEAD_SILENCE after each chapter's start (from its very start in the
    first) to DECODER_DELAY before its end: each chapter decodes alone as it plays,
    and a regenerated middle chapter leaves both neighbours bit for bit the same."""
    rng = np.random.default_rng(kbps)

    def noisy(frames: int, lead: int, end: int) -> np.ndarray:
        span = np.zeros(frames * FRAME_SAMPLES, np.float32)
        span[lead:end] = np.clip(0.25 * rng.standard_normal(end - lead), -0.9, 0.9)
        return span

    spans = [noisy(40, 0, 40 * FRAME_SAMPLES - DECODER_DELAY)]
    spans += [
        noisy(frames, LEAD_SILENCE, frames * FRAME_SAMPLES - DECODER_DELAY) for frames in (30, 35)
    ]
    spans.append(noisy(20, LEAD_SILENCE, 20 * FRAME_SAMPLES - 100)[: 20 * FRAME_SAMPLES - 77])
    first = _build(tmp_path / "first", list(spans), kbps, channels)
    decoded, warnings = _decode(first.path, channels)
    assert warnings == "" and len(decoded) == len(first.timeline)
    mono = decode_to_samples(first.path, RATE)  # downmixed as decode_chapter does
    for path, start, span in zip(first.paths, first.starts, spans, strict=True):
        assert np.array_equal(decode_chapter(path, len(span)), mono[start : start + len(span)])

    spans[1] = noisy(33, LEAD_SILENCE, 33 * FRAME_SAMPLES - DECODER_DELAY)
    second = _build(tmp_path / "second", spans, kbps, channels)
    again = _decode(second.path, channels)[0]
    for index in (0, 2, 3):
        # LAME is deterministic: encoding the same span again gives the same bytes.
        assert second.paths[index].read_bytes() == first.paths[index].read_bytes()
        old, new, length = first.starts[index], second.starts[index], len(spans[index])
        assert np.array_equal(again[new : new + length], decoded[old : old + length])
