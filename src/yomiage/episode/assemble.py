"""Assembly: the timeline, the cover and the sidecars beside the MP3."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from yomiage.audio.master import (
    MASTER_RATE,
    MP3_FRAME,
)
from yomiage.audio.mp3frames import LEAD_SILENCE
from yomiage.audio.timeline import Pauses, Timeline, Utterance, plan_timeline
from yomiage.config import Config, MusicSettings
from yomiage.episode.jobs import Job
from yomiage.errors import AudioError
from yomiage.files.atomic import write_text_if_changed
from yomiage.publish.cover import draw_cover, prepare_cover
from yomiage.publish.sidecars import (
    CHAPTERS_FILE,
    SRT_FILE,
    VTT_FILE,
    chapters_json,
    srt,
    webvtt,
)
from yomiage.script.build import Script

if TYPE_CHECKING:  # pydub loads only for an episode with music
    from yomiage.audio.music import ChapterMusic
    from yomiage.files.music import Music


def episode_timeline(
    script: Script, utterances: Sequence[Utterance], lengths: Sequence[int], config: Config
) -> Timeline:
    """Where every heard sentence and every chapter sits: the utterances given
    silent ones (length 0) are left out, as the chapters' frames leave them out."""
    heard = [(u, n) for u, n in zip(utterances, lengths, strict=True) if n]
    return plan_timeline(
        [u for u, _ in heard],
        [n for _, n in heard],
        [(c.id, c.title) for c in script.chapters],
        timeline_pauses(config),
        MASTER_RATE,
        MP3_FRAME,
        LEAD_SILENCE,
    )


def timeline_pauses(config: Config) -> Pauses:
    """The pauses in samples, with room for the music the settings give."""
    pauses = config.pauses
    plain = Pauses.from_ms(
        pauses.sentence_ms, pauses.paragraph_ms, pauses.chapter_ms, pauses.edge_ms, MASTER_RATE
    )
    if not any((config.music.intro, config.music.outro, config.music.sting)):
        return plain
    from yomiage.audio.music import music_pauses  # pydub: only with music

    sting = load_music(config.music.sting) if config.music.sting else None
    return music_pauses(plain, config.music, sting, MASTER_RATE, LEAD_SILENCE)


def chapter_music(settings: MusicSettings, *, first: bool, last: bool) -> ChapterMusic | None:
    """The music that sounds in a chapter: the intro's theme in the first, the outro's
    in the last (when it is not also the first), a sting in every one after the first."""
    from yomiage.audio.music import ChapterMusic

    music = ChapterMusic(
        settings,
        intro=load_music(settings.intro) if first and settings.intro else None,
        outro=load_music(settings.outro) if last and not first and settings.outro else None,
        sting=load_music(settings.sting) if not first and settings.sting else None,
    )
    return music if music else None


def load_music(path: Path) -> Music:
    from yomiage.files.music import MusicFileError
    from yomiage.files.music import load_music as load

    try:
        return load(path)
    except MusicFileError as exc:  # changed since the settings were checked
        raise AudioError(f"music: {exc}") from None


def make_cover(job: Job, dest: Path) -> None:
    """The episode's cover: the show's own, fitted, or one drawn with the show and title."""
    if job.config.show.cover is not None:
        prepare_cover(job.config.show.cover, dest)
    else:
        draw_cover(job.config.show.name, job.script.title, dest)


def write_sidecars(folder: Path, timeline: Timeline, config: Config) -> None:
    """chapters.json and the transcript beside the MP3, from the timeline its chapters came from."""
    files = {CHAPTERS_FILE: chapters_json(timeline), VTT_FILE: webvtt(timeline)}
    if config.publish.srt:
        files[SRT_FILE] = srt(timeline)
    else:
        (folder / SRT_FILE).unlink(missing_ok=True)  # from an earlier build: it would go stale
    for name, text in files.items():
        write_text_if_changed(folder / name, text)
