"""Latin words no lexicon entry covers, for an engine that would spell them out.

Open JTalk reads the English words its dictionary knows (Google, Microsoft,
iPhone) and spells every other one letter by letter: Sutskever comes out as
エスユーティーエスケーイーブイイーアール. For each such word we decide once:

- dictionary: Open JTalk knows it; leave it as written.
- acronym: up to five capitals (GDP, LLMs): spelled, as people spell them,
  from our letter table (Open JTalk drops some letters, AGI -> Ａジーアイ).
- guessed: any other word gets a katakana reading from the e2k model
  (English to katakana, trained on Wiktionary and JMdict). `yomiage readings`
  lists every guess, so the user can put a better reading in a lexicon.

Asking Open JTalk and e2k happens in a child process (speech/probe.py): loading
them costs about a second and starts native threads, which the synthesis
workers forked later must not inherit. Answers are kept in a JSON file in the
episode folder, so a rebuild asks nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from yomiage.errors import SynthesisError
from yomiage.files.atomic import ensure_folder, write_text_atomic

# A Latin word; one right after a digit is a unit (10kg, 16GB, 4K) that Open
# JTalk reads well in context, so it is left to it.
LATIN_WORD = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]+")
_ACRONYM = re.compile(r"[A-Za-z]|[A-Z]{2,5}s?")  # a single letter (Xで, USB-C) or GDP, LLMs
# The letters of an acronym as people say them: GDP is ジーディーピー.
LETTERS = {
    "A": "エー", "B": "ビー", "C": "シー", "D": "ディー", "E": "イー", "F": "エフ",
    "G": "ジー", "H": "エイチ", "I": "アイ", "J": "ジェー", "K": "ケー", "L": "エル",
    "M": "エム", "N": "エヌ", "O": "オー", "P": "ピー", "Q": "キュー", "R": "アール",
    "S": "エス", "T": "ティー", "U": "ユー", "V": "ブイ", "W": "ダブリュー", "X": "エックス",
    "Y": "ワイ", "Z": "ゼット",
}  # fmt: skip
DICTIONARY, ACRONYM, GUESSED = "dictionary", "acronym", "guessed"


@dataclass(frozen=True)
class WordReading:
    word: str
    reading: str  # what the engine is given: the word itself when the dictionary knows it
    how: str  # DICTIONARY, ACRONYM or GUESSED


def spell(word: str) -> str:
    """An acronym letter by letter: GDP -> ジーディーピー, LLMs -> エルエルエムズ."""
    plural = len(word) > 1 and word.endswith("s") and not word.isupper()
    letters = word[:-1] if plural else word
    return "".join(LETTERS[c] for c in letters.upper()) + ("ズ" if plural else "")


class LatinReadings:
    """Readings for Latin words, asked of Open JTalk and e2k once per word and kept."""

    def __init__(self, cache_file: Path | None = None, save: bool = True) -> None:
        self.cache_file = cache_file
        self.save = save  # False for a dry run: look up, but write nothing
        self._known: dict[str, tuple[str, str]] = self._load()

    def readings(self, words: Iterable[str]) -> dict[str, WordReading]:
        unique = sorted(set(words))
        missing = [w for w in unique if w not in self._known]
        if missing:
            self._known.update(_probe_words(missing))
            self._save()
        return {w: _decide(w, *self._known[w]) for w in unique}

    def _load(self) -> dict[str, tuple[str, str]]:
        if self.cache_file is None:
            return {}
        try:
            data = json.loads(self.cache_file.read_text("utf-8"))
            if data.get("versions") != _versions():
                return {}  # another Open JTalk or e2k may answer otherwise
            return {w: (str(a), str(b)) for w, (a, b) in data["words"].items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    def _save(self) -> None:
        if self.cache_file is None or not self.save:
            return
        ensure_folder(self.cache_file.parent)
        data = {"versions": _versions(), "words": self._known}
        write_text_atomic(self.cache_file, json.dumps(data, ensure_ascii=False, indent=0))


def _decide(word: str, dictionary_kana: str, guess: str) -> WordReading:
    if dictionary_kana:
        return WordReading(word, word, DICTIONARY)
    if _ACRONYM.fullmatch(word):
        return WordReading(word, spell(word), ACRONYM)
    return WordReading(word, guess, GUESSED)


def _versions() -> str:
    return f"pyopenjtalk-plus {version('pyopenjtalk-plus')}, e2k {version('e2k')}"


def _probe_words(words: list[str]) -> dict[str, tuple[str, str]]:
    """word -> (kana when Open JTalk's dictionary knows it else "", e2k's guess)."""
    answers = probe({"words": words})
    pairs = [(str(answer[0]), str(answer[1])) for answer in answers if isinstance(answer, list)]
    return dict(zip(words, pairs, strict=True))


def kana_of(texts: list[str]) -> list[str]:
    """The kana Open JTalk says for each text, as `pyopenjtalk.g2p(text, kana=True)` gives it."""
    return [str(k) for k in probe({"kana": texts})]


def probe(request: dict[str, list[str]]) -> list[object]:
    """Ask speech/probe.py, in a child process, and return its answers."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "yomiage.speech.probe"],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynthesisError(f"cannot look up readings of English words ({exc})") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SynthesisError(f"looking up readings of English words failed: {last}")
    try:
        answers = json.loads(done.stdout)
    except ValueError:
        answers = None
    if not isinstance(answers, list) or len(answers) != len(next(iter(request.values()))):
        raise SynthesisError("looking up readings of English words gave no usable answer")
    return answers
