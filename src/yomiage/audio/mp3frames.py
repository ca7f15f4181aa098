"""Chapters encoded one by one, their MP3 frames laid end to end under one Info frame.

A chapter is encoded by its own LAME process (ffmpeg's libmp3lame) to a file of
bare MPEG-1 Layer III frames: no Info frame, no tag. join_chapters writes the
episode as [Info frame][chapter 0's frames][chapter 1's frames]..., the Info
frame carrying the LAME tag (frame count, encoder delay and padding) of the
whole stream. A rebuild encodes only the chapters that changed and copies the
others' files: their frames are the same bytes, and they decode to the same
samples wherever they now sit (why is at the end of this note).

How the samples line up, each point measured with the bundled ffmpeg and its
LAME (tests/test_mp3frames.py):

- A decoder puts the first input sample of a LAME stream DECODER_DELAY = 1105
  samples after the start of its first frame: LAME's own delay of 576 (what the
  LAME tag's delay field holds, LAME_DELAY) plus 529 for the decoder's filterbank.
- For n input samples LAME writes ceil(n / 1152) + 1 frames.
- Chapter i spans samples [s_i, e_i) of the episode at 44.1 kHz, s_i a multiple
  of 1152. encode_chapter is given the whole span. A chapter that is not the
  last must span whole frames; it is fed span[:-1105] and keeps exactly
  (e_i - s_i) / 1152 frames, LAME's one frame more (its padding) dropped. Its
  content then decodes from s_i on. The span's last 1105 samples are not
  encoded, so they must be silent (encode_chapter refuses them otherwise): there
  the decoder plays the next chapter's first 1105 samples, LAME's priming, plus
  what it carries over from this chapter's last frame (its MDCT overlap and
  filterbank), as it would have for one encode of the whole episode.
- The last chapter is fed its whole span and keeps all its frames.
- The Info frame says F frames (the audio frames, not itself), delay 576 and
  padding F * 1152 - 576 - T for an episode of T samples. ffmpeg skips 576 + 529
  samples at the start and padding - 529 at the end; mutagen's length is
  (F * 1152 - 576 - padding) / 44100: both give exactly T samples.

What the decoder carries from one frame into the next lasts less than 1105
samples, so a chapter's span after its priming decodes bit for bit the same
whatever came before it. The priming itself is exact silence when the chapter's
first LEAD_SILENCE samples are silent (MP3 spreads a sound up to about 1430
samples ahead of it); then the span before it, the previous chapter's, decodes
the same whatever follows, and decode_chapter gives it exactly.

Use:
    for each chapter: encode_chapter(mastered[s:e], path, bitrate_kbps=..., channels=...,
                                     last=...) -> ChapterFrames
    join_chapters(paths, episode, T, bitrate_kbps=..., channels=...) -> frames
    decode_chapter(path, e - s) -> the chapter's span as the episode will play it
    read_frames(path), read_info(path): what a file holds, for checks and tests
"""

from __future__ import annotations

import mmap
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from yomiage.audio.ffmpeg import Mp3Encoder, decode_to_samples
from yomiage.errors import AudioError

SAMPLE_RATE = 44_100
FRAME_SAMPLES = 1152  # samples per MPEG-1 Layer III frame
LAME_DELAY = 576  # LAME's encoder delay: the LAME tag's delay field
FILTERBANK_DELAY = 529  # a decoder's own delay, which it adds to the tag's delay and padding
DECODER_DELAY = LAME_DELAY + FILTERBANK_DELAY  # 1105: from a stream's first frame to its input
# Silence a chapter should start with so that its priming decodes as zeros.
LEAD_SILENCE = 2 * FRAME_SAMPLES
MAX_TAG_FIELD = (1 << 12) - 1  # delay and padding are 12 bits each

_BITRATES_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0)
_MONO = 3  # channel mode: 0 stereo, 1 joint stereo, 2 dual channel, 3 mono
# The LAME tag's stereo-mode codes for the header's channel modes.
_LAME_STEREO_MODE = {0: 1, 1: 3, 2: 2, 3: 0}
_INFO_SIZE = 156  # "Info" to the tag CRC: the Xing part (120 bytes) and the LAME part (36)
_TOC_ENTRIES = 100
_XING_FLAGS = 0x0F  # frames, bytes, TOC and quality present
# mutagen reads the LAME part only after a version string starting "LAME" (ffmpeg
# takes LAME, Lavf or Lavc); the LAME inside the bundled ffmpeg calls itself 4.1 alpha.
_ENCODER_VERSION = b"LAME4.1a\x00"
_COPY_BLOCK = 1 << 20
_PCM_BLOCK = 1 << 18  # samples handed to the encoder at a time (6 s)


@dataclass(frozen=True)
class ChapterFrames:
    """A chapter's file of bare frames, and the span of the episode it stands for."""

    path: Path
    frames: int
    size: int  # in bytes
    samples: int  # the span's length: frames * 1152 for all chapters but the last


@dataclass(frozen=True)
class InfoTag:
    """The Xing/Info and LAME tag of an episode's first frame, as read back."""

    frames: int  # audio frames, not counting the Info frame
    stream_bytes: int  # the whole MPEG stream, Info frame included
    toc: tuple[int, ...]
    encoder: bytes
    bitrate_kbps: int  # the LAME tag's bitrate field
    delay: int
    padding: int
    music_length: int
    music_crc: int
    tag_crc: int
    tag_crc_ok: bool
    info_frame_bytes: int

    @property
    def samples(self) -> int:
        """The episode's length in samples, as ffmpeg and mutagen work it out."""
        return self.frames * FRAME_SAMPLES - self.delay - self.padding


@dataclass(frozen=True)
class _Header:
    bitrate_kbps: int
    padding: bool
    mode: int
    size: int  # the frame's length in bytes, header included


@dataclass(frozen=True)
class _FrameFile:
    path: Path
    first_word: int  # the first frame's header, as a big-endian 32-bit word
    bitrate_kbps: int
    mode: int
    offsets: npt.NDArray[np.int64]  # where each frame starts
    size: int

    @property
    def frames(self) -> int:
        return len(self.offsets)

    @property
    def channels(self) -> int:
        return 1 if self.mode == _MONO else 2


def encode_chapter(
    span: npt.NDArray[np.float32],
    dest: Path,
    *,
    bitrate_kbps: int,
    channels: int,
    last: bool,
    gain: float = 1.0,
) -> ChapterFrames:
    """Encode one chapter's span of the mastered episode (mono float32) to `dest`.

    `gain` scales the samples on the way to 16-bit PCM, as master.to_pcm does;
    a signal that would clip is refused. `dest` is replaced only once the
    frames are checked, so a failure leaves the previous file as it was.
    """
    length = len(span)
    if length == 0:
        raise AudioError(f"{dest}: an empty chapter cannot be encoded")
    if not last and length % FRAME_SAMPLES:
        raise AudioError(
            f"{dest}: a chapter before the last must span whole {FRAME_SAMPLES}-sample frames,"
            f" not {length} samples"
        )
    _refuse_clipping(span, gain, dest)
    fed = span
    if not last:
        if np.any(_pcm(span[-DECODER_DELAY:], gain)):
            raise AudioError(
                f"{dest}: the chapter's last {DECODER_DELAY} samples are not silent: the next"
                " chapter's start plays over them"
            )
        fed = span[:-DECODER_DELAY]
    handle, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(handle)
    part = Path(name)
    try:
        with Mp3Encoder(part, SAMPLE_RATE, bitrate_kbps, channels, info_frame=False) as encoder:
            # In pieces: LAME encodes one while the next is converted.
            for start in range(0, len(fed), _PCM_BLOCK):
                encoder.write(_pcm(fed[start : start + _PCM_BLOCK], gain).tobytes())
        found = _scan(part)
        _check_format(found, bitrate_kbps, channels)
        keep = found.frames if last else length // FRAME_SAMPLES
        if found.frames < keep:
            raise AudioError(f"{dest}: LAME wrote {found.frames} frames for {keep} frames' span")
        size = int(found.offsets[keep]) if keep < found.frames else found.size
        os.truncate(part, size)
        os.replace(part, dest)
    except OSError as exc:
        raise AudioError(f"{dest}: cannot write the chapter's frames ({exc.strerror})") from exc
    finally:
        part.unlink(missing_ok=True)
    return ChapterFrames(dest, keep, size, length)


def join_chapters(
    chapters: Sequence[Path],
    dest: Path,
    total_samples: int,
    *,
    bitrate_kbps: int,
    channels: int,
) -> int:
    """Write the episode to `dest`: one Info frame, then every chapter's frames; return
    the number of audio frames.

    Chapter files are copied in blocks, never held whole. `total_samples` is
    the episode's length T, which the LAME tag's padding makes the decoders play.
    """
    if not chapters:
        raise AudioError(f"{dest}: no chapters to join")
    if any(path.resolve() == dest.resolve() for path in chapters):
        raise AudioError(f"{dest}: is one of the chapters being joined")
    files = [_scan(path) for path in chapters]
    for found in files:
        _check_format(found, bitrate_kbps, channels)
        if found.mode != files[0].mode:
            raise AudioError(
                f"{found.path}: channel mode {found.mode}, but {files[0].path} has {files[0].mode}"
            )
    frames = sum(found.frames for found in files)
    padding = frames * FRAME_SAMPLES - LAME_DELAY - total_samples
    if not FILTERBANK_DELAY <= padding <= MAX_TAG_FIELD:
        raise AudioError(
            f"{dest}: {frames} frames cannot play {total_samples} samples"
            f" (the LAME tag's padding would be {padding})"
        )
    starts = np.cumsum([0] + [found.size for found in files[:-1]], dtype=np.int64)
    offsets = np.concatenate(
        [found.offsets + start for found, start in zip(files, starts, strict=True)]
    )
    audio_bytes = sum(found.size for found in files)

    def info(music_crc: int) -> bytes:
        return _info_frame(files[0], offsets, audio_bytes, padding, music_crc)

    try:
        with dest.open("wb") as out:
            out.write(bytes(len(info(0))))  # the Info frame is written last, with the CRC
            crc = 0
            for found in files:
                crc = _copy(found, out, crc)
            out.seek(0)
            out.write(info(crc))
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise AudioError(f"{dest}: cannot write the episode ({exc.strerror})") from exc
    except AudioError:
        dest.unlink(missing_ok=True)
        raise
    return frames


def decode_chapter(path: Path, samples: int) -> npt.NDArray[np.float32]:
    """A chapter's span of `samples` as the joined episode plays it (mono float32).

    The chapter is decoded followed by one silent frame, which plays what the
    decoder carries over from its last frame, as the next chapter's first frame
    does in the episode: that one codes silence too when the next chapter
    starts with LEAD_SILENCE samples of it.
    """
    found = _scan(path)
    if not 0 < samples <= found.frames * FRAME_SAMPLES:
        raise AudioError(f"{path}: {found.frames} frames cannot stand for {samples} samples")
    with tempfile.TemporaryDirectory(prefix="yomiage-") as folder:
        followed = Path(folder) / "chapter.mp3"
        try:
            with found.path.open("rb") as source, followed.open("wb") as out:
                shutil.copyfileobj(source, out, _COPY_BLOCK)
                out.write(_silent_frame(found.first_word))
        except OSError as exc:
            raise AudioError(f"{path}: cannot read ({exc.strerror})") from exc
        decoded = decode_to_samples(followed, SAMPLE_RATE)
    if len(decoded) != (found.frames + 1) * FRAME_SAMPLES:
        raise AudioError(f"{path}: decoded {len(decoded)} samples from {found.frames} frames")
    return decoded[DECODER_DELAY : DECODER_DELAY + samples]


def read_frames(path: Path) -> list[tuple[int, int]]:
    """Each frame's offset and size; raises AudioError for anything but bare
    MPEG-1 Layer III frames at 44.1 kHz of one bitrate."""
    found = _scan(path)
    ends = [*found.offsets[1:].tolist(), found.size]
    return [(start, end - start) for start, end in zip(found.offsets.tolist(), ends, strict=True)]


def read_info(path: Path) -> InfoTag:
    """The Info frame and LAME tag at the start of `path` (an episode join_chapters wrote)."""
    try:
        with path.open("rb") as file:
            head = file.read(4)
            header = _parse_header(int.from_bytes(head, "big")) if len(head) == 4 else None
            if header is None:
                raise AudioError(f"{path}: does not start with an MPEG-1 Layer III frame")
            frame = head + file.read(header.size - 4)
    except OSError as exc:
        raise AudioError(f"{path}: cannot read ({exc.strerror})") from exc
    at = _info_offset(header.mode)
    if len(frame) < header.size or frame[at : at + 4] not in (b"Info", b"Xing"):
        raise AudioError(f"{path}: its first frame holds no Info tag")
    if int.from_bytes(frame[at + 4 : at + 8], "big") != _XING_FLAGS:
        raise AudioError(f"{path}: the Info tag lacks frames, bytes, TOC or quality")
    lame = at + 120

    def number(start: int, size: int) -> int:
        return int.from_bytes(frame[start : start + size], "big")

    delays = number(lame + 21, 3)
    crc_at = at + _INFO_SIZE - 2
    return InfoTag(
        frames=number(at + 8, 4),
        stream_bytes=number(at + 12, 4),
        toc=tuple(frame[at + 16 : at + 116]),
        encoder=frame[lame : lame + 9],
        bitrate_kbps=frame[lame + 20],
        delay=delays >> 12,
        padding=delays & MAX_TAG_FIELD,
        music_length=number(lame + 28, 4),
        music_crc=number(lame + 32, 2),
        tag_crc=number(crc_at, 2),
        tag_crc_ok=number(crc_at, 2) == crc16(frame[:crc_at]),
        info_frame_bytes=header.size,
    )


def crc16(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-16/ARC (reflected polynomial 0x8005, no final xor), LAME's music and tag CRC.

    Long data is cut into equal lanes whose CRCs numpy computes side by side;
    they are then chained: a CRC with no final xor is linear, so the register
    after lane m is (the register before it, run over the lane's length in
    zero bytes) xor (lane m's own CRC from zero).
    """
    table = _crc_table()
    view = memoryview(data).cast("B")
    lanes = len(view) // _LANE
    if lanes >= 16:
        block = np.frombuffer(view, dtype=np.uint8, count=lanes * _LANE).reshape(lanes, _LANE)
        registers = np.zeros(lanes, dtype=np.uint16)
        for column in np.ascontiguousarray(block.T):
            registers = (registers >> 8) ^ table[(registers ^ column) & 0xFF]
        low, high = _zeros_tables(_LANE)
        for register in registers.tolist():
            crc = low[crc & 0xFF] ^ high[crc >> 8] ^ register
        view = view[lanes * _LANE :]
    entries = _crc_list()
    for byte in view.tobytes():
        crc = (crc >> 8) ^ entries[(crc ^ byte) & 0xFF]
    return crc


_LANE = 256


@cache
def _crc_table() -> npt.NDArray[np.uint16]:
    return np.array(_crc_list(), dtype=np.uint16)


@cache
def _crc_list() -> tuple[int, ...]:
    entries = []
    for value in range(256):
        for _ in range(8):
            value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1
        entries.append(value)
    return tuple(entries)


@cache
def _zeros_tables(count: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The register after `count` zero bytes, as two lookups: low byte and high byte."""
    entries = _crc_list()

    def run(register: int) -> int:
        for _ in range(count):
            register = (register >> 8) ^ entries[register & 0xFF]
        return register

    bits = [run(1 << bit) for bit in range(16)]

    def table(first: int) -> tuple[int, ...]:
        out = []
        for value in range(256):
            register = 0
            for bit in range(8):
                if value >> bit & 1:
                    register ^= bits[first + bit]
            out.append(register)
        return tuple(out)

    return table(0), table(8)


def _refuse_clipping(samples: npt.NDArray[np.float32], gain: float, path: Path) -> None:
    """As master.to_pcm does: mastering keeps peaks below full scale; never clip silently."""
    peak = float(np.abs(samples).max()) * gain if len(samples) else 0.0
    if peak > 1.0:
        raise AudioError(f"{path}: refusing to encode a signal that would clip (peak {peak:.2f})")


def _pcm(samples: npt.NDArray[np.float32], gain: float) -> npt.NDArray[np.int16]:
    """16-bit PCM of `samples` times `gain`, sample for sample as master.to_pcm makes it."""
    pcm: npt.NDArray[np.int16] = np.round(samples * np.float32(32767.0 * gain)).astype("<i2")
    return pcm


@cache
def _parse_header(word: int) -> _Header | None:
    """A frame header's fields, or None unless MPEG-1 Layer III at 44.1 kHz."""
    sync, version, layer = word >> 21, (word >> 19) & 3, (word >> 17) & 3
    bitrate = _BITRATES_KBPS[(word >> 12) & 15]
    if sync != 0x7FF or version != 3 or layer != 1 or not bitrate or (word >> 10) & 3 != 0:
        return None
    padding = bool((word >> 9) & 1)
    size = 144_000 * bitrate // SAMPLE_RATE + padding
    return _Header(bitrate, padding, (word >> 6) & 3, size)


def _info_offset(mode: int) -> int:
    """Where the Info tag starts in a frame: after the header and the side information."""
    return 4 + (17 if mode == _MONO else 32)


def _scan(path: Path) -> _FrameFile:
    """Split `path` into frames, refusing anything but one bitrate of bare MPEG-1 Layer III."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size == 0:
                raise AudioError(f"{path}: empty, not MP3 frames")
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _split(path, data, size)
    except OSError as exc:
        raise AudioError(f"{path}: cannot read ({exc.strerror})") from exc


def _split(path: Path, data: mmap.mmap, size: int) -> _FrameFile:
    offsets: list[int] = []
    first: _Header | None = None
    first_word = 0
    offset = 0
    while offset < size:
        word = int.from_bytes(data[offset : offset + 4], "big")
        header = _parse_header(word) if size - offset >= 4 else None
        if header is None:
            what = "an ID3 tag" if data[offset : offset + 3] == b"ID3" else "no frame"
            raise AudioError(
                f"{path}: {what} at byte {offset}, where an MPEG-1 Layer III frame"
                " at 44.1 kHz should start"
            )
        if first is None:
            first, first_word = header, word
            at = _info_offset(header.mode)
            if data[at : at + 4] in (b"Xing", b"Info") or data[36:40] == b"VBRI":
                raise AudioError(f"{path}: starts with an Info frame; chapters hold audio only")
        elif header.bitrate_kbps != first.bitrate_kbps or header.mode != first.mode:
            raise AudioError(
                f"{path}: the frame at byte {offset} is {header.bitrate_kbps} kbps, mode"
                f" {header.mode}; the first one {first.bitrate_kbps} kbps, mode {first.mode}"
            )
        if offset + header.size > size:
            raise AudioError(
                f"{path}: truncated: the frame at byte {offset} needs {header.size} bytes,"
                f" {size - offset} are left"
            )
        offsets.append(offset)
        offset += header.size
    assert first is not None
    array = np.array(offsets, dtype=np.int64)
    return _FrameFile(path, first_word, first.bitrate_kbps, first.mode, array, size)


def _check_format(found: _FrameFile, bitrate_kbps: int, channels: int) -> None:
    if found.bitrate_kbps != bitrate_kbps or found.channels != channels:
        raise AudioError(
            f"{found.path}: {found.bitrate_kbps} kbps with {found.channels} channel(s),"
            f" not {bitrate_kbps} kbps with {channels}"
        )


def _copy(found: _FrameFile, out: BinaryIO, crc: int) -> int:
    """Append a chapter's frames to `out` block by block; return the CRC carried on."""
    try:
        with found.path.open("rb") as file:
            left = found.size
            while left:
                block = file.read(min(_COPY_BLOCK, left))
                if not block:
                    raise AudioError(f"{found.path}: shrank while being copied")
                crc = crc16(block, crc)
                out.write(block)
                left -= len(block)
    except OSError as exc:
        raise AudioError(f"{found.path}: cannot read ({exc.strerror})") from exc
    return crc


def _info_frame(
    first: _FrameFile,
    offsets: npt.NDArray[np.int64],
    audio_bytes: int,
    padding: int,
    music_crc: int,
) -> bytes:
    """A silent frame of the audio's format carrying the Info and LAME tags.

    Laid out as LAME writes it for a CBR stream, with the fields LAME knows and we
    do not (lowpass, quality, noise shaping, replay gain) left zero, as ffmpeg does.
    """
    # The bitrate raised only if the frame is too small for the tags (never at
    # 64 kbps and up).
    word = _plain(first.first_word)
    at = _info_offset(first.mode)
    index = _BITRATES_KBPS.index(first.bitrate_kbps)
    while True:
        word = word & ~(15 << 12) | index << 12
        header = _parse_header(word)
        if header is not None and header.size >= at + _INFO_SIZE:
            break
        index += 1
        if index == 15:
            raise AudioError("no MPEG-1 bitrate makes a frame large enough for the Info tag")
    frames = len(offsets)
    total = header.size + audio_bytes
    # TOC: where each percent of the duration starts, in 256ths of the stream.
    picks = offsets[np.arange(_TOC_ENTRIES) * frames // _TOC_ENTRIES] + header.size
    toc = np.minimum(picks * 256 // total, 255).astype(np.uint8)
    toc[0] = 0
    frame = bytearray(_silent_frame(word))
    xing = b"Info" + _XING_FLAGS.to_bytes(4, "big") + frames.to_bytes(4, "big")
    xing += total.to_bytes(4, "big") + toc.tobytes() + bytes(4)  # quality: unknown
    misc = 1 << 6 | _LAME_STEREO_MODE[first.mode] << 2  # source rate 44.1 kHz, stereo mode
    lame = _ENCODER_VERSION
    lame += bytes([0x01, 0])  # tag revision 0, CBR; lowpass unknown
    lame += bytes(8)  # replay gain: peak, radio, audiophile
    lame += bytes([0, min(first.bitrate_kbps, 255)])  # encoding flags; the bitrate
    lame += (LAME_DELAY << 12 | padding).to_bytes(3, "big")
    lame += bytes([misc, 0]) + bytes(2)  # misc; mp3gain; surround and preset
    lame += total.to_bytes(4, "big") + music_crc.to_bytes(2, "big")
    tags = xing + lame
    assert len(tags) == _INFO_SIZE - 2
    frame[at : at + len(tags)] = tags
    # The tag CRC covers the frame up to itself (175 bytes in mono, 190 in stereo),
    # the range LAME writes and ffmpeg checks.
    crc_at = at + len(tags)
    frame[crc_at : crc_at + 2] = crc16(frame[:crc_at]).to_bytes(2, "big")
    return bytes(frame)


def _plain(word: int) -> int:
    """A frame header with no CRC, no padding slot and no joint-stereo flags."""
    return (word | 1 << 16) & ~(1 << 9) & ~(3 << 4)


def _silent_frame(word: int) -> bytes:
    """A frame of `word`'s format whose side information is zero: it codes silence."""
    plain = _plain(word)
    header = _parse_header(plain)
    assert header is not None
    return plain.to_bytes(4, "big") + bytes(header.size - 4)
