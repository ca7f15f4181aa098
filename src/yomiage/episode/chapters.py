"""Chapters encoded on their own: each one's MP3 frames kept in .chapters/, keyed by
what the chapter is made of and how it is mastered.

A chapter's frames depend only on its own sentences (their recordings), its
pauses, the music that sounds in it, the mastering settings, the encoder and
whether it opens or closes the episode, never on the chapters around it
(audio/mp3frames.py explains why the decoded samples do not either). A rebuild
looks each chapter's key up: a chapter whose key is there is copied as it was,
and only the others are mastered and encoded. A chapter's frames are written
in one step, then its record; it counts only once the record is there. So a
build killed half-way keeps the chapters it finished, and the next build
starts from them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from yomiage.audio.ffmpeg import ffmpeg_exe
from yomiage.audio.loudness import loudness_lufs
from yomiage.audio.master import MASTER_RATE, MP3_FRAME, ChapterMaster, master_chapter_frames
from yomiage.audio.mp3frames import LEAD_SILENCE
from yomiage.audio.timeline import Pauses, Utterance, chapter_layout
from yomiage.config import MasterSettings
from yomiage.episode.cache import SegmentCache
from yomiage.episode.manifest import fingerprint
from yomiage.errors import SynthesisError
from yomiage.files.atomic import ensure_folder, write_bytes_atomic, write_text_atomic

if TYPE_CHECKING:
    from yomiage.audio.music import ChapterMusic

CHAPTERS_DIR = ".chapters"  # in the episode folder, beside .segments
FRAMES_FORMAT = 2  # raised when what a chapter's frames hold changes


@dataclass(frozen=True)
class ChapterUnit:
    """One script chapter as the encoder sees it: its utterances and their segment keys."""

    index: int  # into the script's chapters
    title: str
    members: tuple[int, ...]  # indices into the build's utterances
    keys: tuple[str, ...]


@dataclass(frozen=True)
class EncodedChapter:
    """What a chapter's frames stand for, read back from its record."""

    key: str
    frames: int
    samples: int  # the chapter's span in the episode
    lengths: tuple[int, ...]  # each utterance's length at the master rate; 0: silent
    gain_db: float
    margin_db: float
    true_peak_dbtp: float
    loudness_lufs: float
    encodes: int  # 0 when the frames were there already


class ChapterStore:
    """.chapters/<key>.mp3 (bare frames), <key>.json (the record) and <key>.npy
    (the decoded frames' loudness per 100 ms, for the episode's loudness)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def frames(self, key: str) -> Path:
        return self.folder / f"{key}.mp3"

    def get(self, key: str) -> EncodedChapter | None:
        """The chapter under `key`, if its record, loudness and frames are all there."""
        try:
            data = json.loads((self.folder / f"{key}.json").read_text("utf-8"))
            size = data.pop("bytes")
            chapter = EncodedChapter(**{**data, "lengths": tuple(data["lengths"]), "encodes": 0})
            if chapter.key != key or size != self.frames(key).stat().st_size:
                return None
            if not (self.folder / f"{key}.npy").is_file():
                return None
        except (OSError, ValueError, TypeError, KeyError):  # missing or damaged: encode it again
            return None
        return chapter

    def energies(self, key: str) -> np.ndarray:
        return np.asarray(np.load(self.folder / f"{key}.npy"), dtype=np.float64)

    def put(self, chapter: EncodedChapter, energies: np.ndarray) -> None:
        """The record and loudness of frames already written under chapter.key."""
        record = dataclasses.asdict(chapter)
        del record["encodes"]
        record["bytes"] = self.frames(chapter.key).stat().st_size
        buffer = _npy(energies)
        write_bytes_atomic(self.folder / f"{chapter.key}.npy", buffer)
        write_text_atomic(self.folder / f"{chapter.key}.json", json.dumps(record))

    def prune(self, keep: set[str]) -> None:
        """Remove chapters no longer in use, and the temporary files of killed builds
        (under the folder's lock no other build is writing here)."""
        if not self.folder.is_dir() or self.folder.is_symlink():
            return  # shared with another episode: never pruned from here
        for path in self.folder.iterdir():
            if path.name.startswith(".") or path.name.split(".")[0] not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()


def chapter_units(
    chapters: Sequence[tuple[str, str]], utterances: Sequence[Utterance], keys: Sequence[str]
) -> list[ChapterUnit]:
    units = []
    for index, (_, title) in enumerate(chapters):
        members = tuple(i for i, u in enumerate(utterances) if u.chapter == index)
        if members:
            units.append(ChapterUnit(index, title, members, tuple(keys[i] for i in members)))
    return units


def chapter_key(
    unit: ChapterUnit,
    utterances: Sequence[Utterance],
    cache: SegmentCache,
    pauses: Pauses,
    master: MasterSettings,
    *,
    first: bool,
    last: bool,
    music: ChapterMusic | None = None,
) -> str | None:
    """The key of the chapter's frames; None while a segment is not recorded yet.

    Of the music, only what sounds in this chapter and the room made for it here:
    a new outro theme changes the last chapter's key and no other.
    """
    takes = [cache.take(key) for key in unit.keys]
    if any(take is None for take in takes):
        return None
    room = {
        "lead": pauses.lead,  # every chapter's tail is the chapter pause less the next one's lead
        "opening": pauses.opening if first else None,
        "first_tail": pauses.first_tail if first else None,
        "closing": pauses.closing if last else None,
    }
    plain = (pauses.sentence, pauses.paragraph, pauses.chapter, pauses.edge)
    return fingerprint(
        FRAMES_FORMAT,
        ffmpeg_exe(),  # its path names the build of ffmpeg and LAME
        MASTER_RATE,
        plain,
        room,
        music.key() if music else None,
        dataclasses.asdict(master),
        first,
        last,
        [
            (utterances[i].paragraph, key, take)
            for i, key, take in zip(unit.members, unit.keys, takes, strict=True)
        ],
    )[:32]


def encode_unit(
    unit: ChapterUnit,
    key: str,
    utterances: Sequence[Utterance],
    cache: SegmentCache,
    store: ChapterStore,
    pauses: Pauses,
    master: MasterSettings,
    *,
    first: bool,
    last: bool,
    music: ChapterMusic | None = None,
) -> EncodedChapter | None:
    """Lay the chapter's segments out, mix its music in, master it and encode it to
    its own frames; None when every sentence of it came back silent.

    Only this chapter's samples are in memory, whatever the episode's length.
    """
    segments = []
    for key_of in unit.keys:
        audio = cache.get(key_of)
        if audio is None:
            raise SynthesisError(f"chapter {unit.index + 1} 「{unit.title}」: a segment is missing")
        segments.append(audio.samples)
    lengths = tuple(len(s) for s in segments)
    heard = [n for n, length in enumerate(lengths) if length]
    if not heard:
        return None
    layout = chapter_layout(
        [utterances[unit.members[n]] for n in heard],
        [lengths[n] for n in heard],
        pauses,
        MASTER_RATE,
        first=first,
        last=last,
        chapter_grid=MP3_FRAME,
        seam=LEAD_SILENCE,
    )
    span = np.zeros(layout.length, dtype=np.float32)
    for n, offset in zip(heard, layout.offsets, strict=True):
        span[offset : offset + lengths[n]] = segments[n]
    del segments
    if music:
        from yomiage.audio.music import chapter_music  # pydub: only with music

        words = [
            (offset, offset + lengths[n]) for n, offset in zip(heard, layout.offsets, strict=True)
        ]
        voice = loudness_lufs(span, MASTER_RATE)
        if math.isinf(voice):  # too quiet to gate: the music as loud as a voice at the target
            voice = master.loudness_lufs
        span += chapter_music(
            layout.length, words, voice, music, MASTER_RATE, first=first, last=last,
            seam=LEAD_SILENCE,
        )  # fmt: skip
    ensure_folder(store.folder)
    mastered: ChapterMaster = master_chapter_frames(span, master, store.frames(key), last=last)
    chapter = EncodedChapter(
        key=key,
        frames=mastered.frames,
        samples=layout.length,
        lengths=lengths,
        gain_db=mastered.gain_db,
        margin_db=round(mastered.margin_db, 3),
        true_peak_dbtp=round(mastered.true_peak_dbtp, 3),
        loudness_lufs=round(mastered.loudness_lufs, 3),
        encodes=mastered.encodes,
    )
    store.put(chapter, mastered.energies)
    return chapter


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array, dtype=np.float64))
    return buffer.getvalue()


class ChapterEncoder:
    """Masters and encodes chapters on a thread of its own while synthesis goes on.

    The thread starts with the first chapter handed over: by then the engine's
    worker processes are forked (a fork must not happen while another Python
    thread holds a lock). Chapters are encoded one at a time, in the order they
    become ready, so only one chapter's samples are held for encoding.
    """

    def __init__(self, encode: Callable[[ChapterUnit], EncodedChapter | None]) -> None:
        self._encode = encode
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[int, Future[EncodedChapter | None]] = {}
        self._reported: set[int] = set()

    def submit(self, unit: ChapterUnit) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="yomiage-encode")
        self._futures[unit.index] = self._pool.submit(self._encode, unit)

    def submitted(self, index: int) -> bool:
        return index in self._futures

    def finished(self) -> list[int]:
        """Chapters finished since the last call; raises what an encode raised."""
        done = [i for i, f in self._futures.items() if i not in self._reported and f.done()]
        for index in done:
            self._futures[index].result()  # an encoding error stops the build here
            self._reported.add(index)
        return done

    def results(self) -> dict[int, EncodedChapter | None]:
        """Wait for every chapter submitted; raise the first error."""
        return {index: future.result() for index, future in self._futures.items()}

    def close(self) -> None:
        """Cancel what has not started and wait for the chapter being encoded."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
