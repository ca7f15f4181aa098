"""What was said and what was heard, made comparable as kana and scored by edit distance.

Both sides go the same way: our normaliser and lexicon (speech/), English
words read as the Open JTalk pipeline reads them, then Open JTalk's g2p
(`pyopenjtalk.g2p(text, kana=True)`, asked in a child process). Whisper writes
digits, Latin words and kanji where the engine was given kana; after this they
are all katakana. Then only the sounds are kept: spellings of one sound are made
one (ヲ/オ, ヅ/ズ, ヴァ/バ), a long-vowel mark becomes the vowel it lengthens
(コーヒー and こおひい are both コオヒイ), and punctuation is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from yomiage.check.model import INSTALL_HINT
from yomiage.episode.jobs import SEGMENTS_DIR
from yomiage.episode.plan import LATIN_WORDS_FILE
from yomiage.errors import CheckError
from yomiage.speech.latin import LatinReadings, kana_of
from yomiage.speech.lexicon import lexicon_for
from yomiage.speech.spoken import Speech

# Spellings that sound the same, longest first.
SAME_SOUND = (
    ("ヴァ", "バ"), ("ヴィ", "ビ"), ("ヴェ", "ベ"), ("ヴォ", "ボ"), ("ヴ", "ブ"),
    ("ヲ", "オ"), ("ヅ", "ズ"), ("ヂ", "ジ"), ("ヰ", "イ"), ("ヱ", "エ"), ("ヮ", "ワ"),
)  # fmt: skip
# The vowel each kana ends in: what a long-vowel mark after it stands for.
VOWELS = {
    "ア": "アカサタナハマヤラワガザダバパァャヮ",
    "イ": "イキシチニヒミリギジヂビピィ",
    "ウ": "ウクスツヌフムユルグズヅブプゥュヴ",
    "エ": "エケセテネヘメレゲゼデベペェ",
    "オ": "オコソトノホモヨロヲゴゾドボポォョ",
}
_VOWEL_OF = {kana: vowel for vowel, row in VOWELS.items() for kana in row}
_LONG = re.compile(r"(?<=([ァ-ヶ]))ー+")
_NOT_A_SOUND = re.compile(r"[^ァ-ヶ]")  # everything but katakana letters: marks, leftovers
# Small kana that make one mora with the kana before them (キャ, ティ); ッ and ン are morae.
_GLIDES = frozenset("ァィゥェォャュョヮ")


def comparable(kana: str) -> str:
    """Katakana from g2p reduced to its sounds: what both sides are compared as."""
    for spelling, sound in SAME_SOUND:
        kana = kana.replace(spelling, sound)
    kana = _LONG.sub(lambda m: _VOWEL_OF.get(m.group(1), "") * len(m.group()), kana)
    return _NOT_A_SOUND.sub("", kana)


def morae(kana: str) -> int:
    """How many morae g2p's katakana holds (long-vowel marks count: they take time)."""
    return sum(1 for c in kana if ("ァ" <= c <= "ヶ" or c == "ー") and c not in _GLIDES)


def edits(expected: str, heard: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), by rapidfuzz."""
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:  # the check extra is not installed
        raise CheckError(f"rapidfuzz is not installed: {INSTALL_HINT}") from None
    return int(Levenshtein.distance(expected, heard))


def cer(expected: str, heard: str) -> float:
    """Character error rate of `heard` against `expected`; 0 for two empty texts."""
    if not expected:
        return 0.0 if not heard else 1.0
    return edits(expected, heard) / len(expected)


def episode_speech(folder: Path) -> Speech:
    """The episode's readings, English words included, without writing to its folder.

    English words are read the Open JTalk way whatever the engine was: Whisper
    writes "AI" or "Google" for what a neural voice said, and the engine's own
    text holds the same words, so both sides become the same kana.
    """
    latin = LatinReadings(folder / SEGMENTS_DIR / LATIN_WORDS_FILE, save=False)
    return Speech(lexicon_for(folder, _script_readings(folder)), latin)


def _script_readings(folder: Path) -> tuple[tuple[str, str], ...]:
    """The document's readings the episode was built with (script.yaml's `readings:`)."""
    from yomiage.episode.jobs import SCRIPT_FILE
    from yomiage.errors import ScriptError
    from yomiage.script.scriptfile import read_script

    try:
        return read_script(folder / SCRIPT_FILE).readings
    except ScriptError:  # no script: the check says so itself, where it reads the episode
        return ()


def kana_for(texts: Sequence[str], speech: Speech) -> list[str]:
    """Open JTalk's katakana for each text after our normaliser and readings."""
    spoken = speech.spoken(list(texts))
    wanted = [i for i, text in enumerate(spoken) if text.strip()]
    answers = kana_of([spoken[i] for i in wanted]) if wanted else []
    kana = [""] * len(texts)
    for index, answer in zip(wanted, answers, strict=True):
        kana[index] = answer
    return kana
