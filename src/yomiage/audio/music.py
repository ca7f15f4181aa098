"""Theme music and stings under a chapter's voice, made with pydub, handed back as samples.

pydub does the production work: the theme looped with crossfades when it is
shorter than its place, faded in and out, ducked under the host's words with
fades between the levels, the pieces overlaid on silence. It works in 32-bit
samples and only ever lowers the level, so nothing clips; the level against
the voice is then set in float, and the music added to the chapter's speech
span before mastering (which brings the whole chapter to its loudness and
true peak). Where the music sits comes from the chapter's layout, the very
numbers its words' times come from:

- intro (the first chapter): the theme starts at sample 0 and plays alone
  until DUCK_RAMP_S before the first word (the layout gives music.intro_solo_s
  for it), goes down by music.duck_db under the words, and fades out over
  music.fade_s after the last one, LEAD_SILENCE before the chapter's end;
- outro (the last chapter): the theme comes in under the first word, ducked,
  comes up after the last word and plays on for music.outro_tail_s, fading out
  over its last music.fade_s; it is back-timed, so it ends where the theme does;
- sting (every chapter after the first): right after the seam of silence at
  the chapter's start, STING_GAP_S before its first word.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from yomiage.audio.loudness import loudness_lufs
from yomiage.audio.samples import Samples
from yomiage.audio.timeline import Pauses
from yomiage.config import MusicSettings
from yomiage.files.music import SAMPLE_WIDTH, Music

if TYPE_CHECKING:
    from pydub import AudioSegment

DUCK_RAMP_S = 0.4  # the theme goes down, or comes back up, over this long
STING_GAP_S = 0.25  # between a sting's end and the chapter's first word
FADE_IN_S = 0.03  # the intro theme's first moment: no click at sample 0
LOOP_CROSSFADE_S = 0.5  # between repeats of a theme shorter than its place
_FULL_SCALE = float(1 << (8 * SAMPLE_WIDTH - 1))


@dataclass(frozen=True)
class ChapterMusic:
    """The music that sounds in one chapter: the intro's theme, the outro's, a sting."""

    settings: MusicSettings
    intro: Music | None = None
    outro: Music | None = None
    sting: Music | None = None

    def __bool__(self) -> bool:
        return any((self.intro, self.outro, self.sting))

    def key(self) -> list[tuple[object, ...]]:
        """What of the music makes this chapter's frames: for its key in .chapters/."""
        s = self.settings
        parts: list[tuple[object, ...]] = []
        if self.intro is not None:
            parts.append(("intro", self.intro.sha256, s.level_db, s.duck_db, s.intro_solo_s))
        if self.outro is not None:
            parts.append(("outro", self.outro.sha256, s.level_db, s.duck_db, s.outro_tail_s))
        if self.intro is not None or self.outro is not None:
            parts.append(("fade", s.fade_s))
        if self.sting is not None:
            parts.append(("sting", self.sting.sha256, s.sting_db))
        return parts


def music_pauses(
    pauses: Pauses, settings: MusicSettings, sting: Music | None, rate: int, seam: int
) -> Pauses:
    """The pauses with room for the music: the intro theme's solo before the first word
    and its fade after the intro, the outro theme's tail, a sting before each chapter."""
    changes: dict[str, int] = {}
    if settings.intro is not None:
        changes["opening"] = round((settings.intro_solo_s + DUCK_RAMP_S) * rate)
        changes["first_tail"] = round(settings.fade_s * rate) + seam
    if settings.outro is not None:
        changes["closing"] = round(settings.outro_tail_s * rate) + pauses.edge
    if sting is not None:
        changes["lead"] = seam + sting.samples + round(STING_GAP_S * rate)
    return replace(pauses, **changes)


def chapter_music(
    length: int,
    words: list[tuple[int, int]],
    voice_lufs: float,
    music: ChapterMusic,
    rate: int,
    *,
    first: bool,
    last: bool,
    seam: int,
) -> Samples:
    """The music layer of a chapter `length` samples long whose words span `words`.

    Silent in the seam at each end that borders another chapter, so the chapter's
    frames join as they do without music (audio/mp3frames.py).
    """
    first_word, last_word = words[0][0], words[-1][1]
    settings = music.settings
    to_ms = _Ms(rate)
    pieces: list[tuple[int, AudioSegment, float]] = []  # where, what, its gain in float
    if first and music.intro is not None:
        end = min(last_word + round(settings.fade_s * rate), length - (0 if last else seam))
        bed = _loop(music.intro.segment, to_ms.up(end), backwards=False)
        bed = bed.fade_in(to_ms(FADE_IN_S * rate))
        down = to_ms(first_word) - to_ms(DUCK_RAMP_S * rate)
        bed = bed.fade(to_gain=-settings.duck_db, start=max(0, down), end=to_ms(first_word))
        bed = bed.get_sample_slice(0, end)
        bed = bed.fade_out(to_ms(end - last_word))
        pieces.append((0, bed, _gain(voice_lufs + settings.level_db, music.intro)))
    sting_end = seam
    if not first and music.sting is not None:
        gain = _gain(voice_lufs + settings.sting_db, music.sting)
        pieces.append((seam, music.sting.segment, gain))
        sting_end = seam + music.sting.samples + to_ms.rate // 1000  # its start rounds up
    if last and not first and music.outro is not None:
        start = max(sting_end, first_word - round(DUCK_RAMP_S * rate))
        end = last_word + round(settings.outro_tail_s * rate)
        bed = _loop(music.outro.segment, to_ms.up(end - start), backwards=True)
        bed = bed.get_sample_slice(int(bed.frame_count()) - (end - start), None)
        into = max(1, to_ms(first_word - start))  # chapter_ms near 0 leaves only the seam
        bed = bed.fade(from_gain=-120.0, to_gain=-settings.duck_db, start=0, end=into)
        up = to_ms(last_word - start)
        bed = bed.fade(to_gain=settings.duck_db, start=up, end=up + to_ms(DUCK_RAMP_S * rate))
        bed = bed.fade_out(to_ms(settings.fade_s * rate))
        pieces.append((start, bed, _gain(voice_lufs + settings.level_db, music.outro)))
    if not pieces:
        return np.zeros(length, dtype=np.float32)
    # Laid on silence at the chapter's length, every piece at or under its own level:
    # the loudest is brought to its gain in float afterwards, so pydub only lowers.
    top = max(gain for _, _, gain in pieces)
    # two milliseconds over: pydub's slices end on whole milliseconds
    layer = pieces[0][1]._spawn(bytes((length + 2 * rate // 1000) * SAMPLE_WIDTH))
    for offset, piece, gain in pieces:
        piece = piece.apply_gain(20 * math.log10(gain / top)) if gain < top else piece
        # gain_during_overlay would step the level in one sample (a click on a held
        # note): the ducking is made with fades above, the overlays only place.
        layer = layer.overlay(piece, position=to_ms.up(offset) - 1 if offset else 0)
    samples: Samples = segment_samples(layer)[:length] * np.float32(top)
    assert len(samples) == length
    if not first:
        samples[:seam] = 0.0  # by the layout there is nothing there; kept so by construction
    if not last:
        samples[length - seam :] = 0.0
    return samples


class _Ms:
    """Sample counts as pydub's milliseconds."""

    def __init__(self, rate: int) -> None:
        self.rate = rate

    def __call__(self, samples: float) -> int:
        return round(samples * 1000 / self.rate)

    def up(self, samples: int) -> int:
        """At least `samples` (one more millisecond than the ceiling, for pydub's rounding)."""
        return -(-samples * 1000 // self.rate) + 1


def _loop(theme: AudioSegment, ms: int, *, backwards: bool) -> AudioSegment:
    """The theme repeated, crossfaded, until it lasts `ms`: from its start, or (backwards)
    back from its end, so that a back-timed theme still ends as it ends."""
    crossfade = min(round(LOOP_CROSSFADE_S * 1000), len(theme) // 4)
    looped = theme
    while len(looped) < ms:
        looped = theme.append(looped, crossfade) if backwards else looped.append(theme, crossfade)
    return looped


def _gain(target_lufs: float, music: Music) -> float:
    """The factor that brings the file, as loaded, to `target_lufs`."""
    return float(10 ** ((target_lufs - music_lufs(music)) / 20))


def music_lufs(music: Music) -> float:
    """The file's integrated loudness, measured once per content."""
    if music.sha256 not in _LEVELS:
        level = loudness_lufs(segment_samples(music.segment), int(music.segment.frame_rate))
        _LEVELS[music.sha256] = level if not math.isinf(level) else -70.0  # too short to gate
    return _LEVELS[music.sha256]


_LEVELS: dict[str, float] = {}


def segment_samples(segment: AudioSegment) -> Samples:
    """pydub's 32-bit samples as float32, 1.0 at full scale."""
    ints = np.frombuffer(segment.raw_data, dtype="<i4")
    return (ints / _FULL_SCALE).astype(np.float32)
