"""`yomiage readings`: every term whose reading a podcaster should see before synthesis.

For each Latin-alphabet word, number expression and lexicon hit in the script:
what the engine will be given, the kana Open JTalk will say for it, and how
that reading was found (lexicon, Open JTalk's dictionary, an acronym spelled
out, a guess). Guesses are what to check: `--write` puts them in a lexicon
file, where a wrong one is corrected once for every episode.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from yomiage.config import Config
from yomiage.episode import script_utterances
from yomiage.files import ensure_folder, write_text_atomic
from yomiage.jobs import SCRIPT_FILE, check_episode_folder, episode_folder, episode_folder_of
from yomiage.script import Script, build_script
from yomiage.scriptfile import read_script
from yomiage.source import read_source
from yomiage.speech.latin import GUESSED, LATIN_WORD, LatinReadings, WordReading, kana_of
from yomiage.speech.lexicon import lexicon_for
from yomiage.speech.normalize import before_readings, normalize
from yomiage.speech.spoken import Speech

LEXICON, NUMBER = "lexicon", "number"
# A number as a reader would say it in one breath: dates, times, ranges, and a
# number with its counter or unit (4日間, 1,000円, 50%, 3.5倍).
_NUMBER = re.compile(
    r"\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}"
    r"|\d{1,2}:\d{2}"
    r"|\d[\d,.]*\s*[~〜～]\s*\d[\d,.]*(?:%|[ァ-ヺー]+|[一-鿿々]{1,3})?"
    r"|\d[\d,.]*(?:%|[ァ-ヺー]+|[一-鿿々]{1,3})?"
)


@dataclass(frozen=True)
class Term:
    surface: str  # as written (NFKC)
    spoken: str  # what the engine is given for it
    how: str  # lexicon, dictionary, acronym, guessed or number
    chapter: str  # id of the first chapter it appears in
    count: int
    origin: str = ""  # the lexicon entry's file:line
    kana: str = ""  # what Open JTalk says for it

    @property
    def needs_reading(self) -> bool:
        return self.how == GUESSED


def review_target(target: Path, config: Config, out_dir: Path) -> list[Term]:
    """The terms of an article, or of an episode folder's script, with the readings that apply.

    The lexicons are the shipped one, the user's, and the episode folder's
    (where the article's episode goes, or the folder given).
    """
    folder = episode_folder_of(target)
    if folder is not None:
        check_episode_folder(folder)
        script = read_script(folder / SCRIPT_FILE)
    else:
        script = build_script(read_source(target, config.source.chrome_patterns), config)
        folder = episode_folder(target, config, out_dir)
    return review(script, Speech(lexicon_for(folder), LatinReadings()))


def review(script: Script, speech: Speech) -> list[Term]:
    """Every term of the script, in order of first appearance, with Open JTalk's kana."""
    utterances = script_utterances(script)
    normalized = [normalize(u.text, speech.lexicon.apply) for u in utterances]
    words = speech.word_readings(normalized)  # every word looked up at once
    terms: dict[tuple[str, str], Term] = {}
    for utterance, said in zip(utterances, normalized, strict=True):
        chapter = script.chapters[utterance.chapter].id
        for term in _terms(utterance.text, said, speech, words, chapter):
            key = (term.origin, term.surface)
            known = terms.get(key)
            terms[key] = term if known is None else _counted(known, term.count)
    found = list(terms.values())
    kana = kana_of([t.spoken for t in found]) if found else []
    return [_with_kana(t, k) for t, k in zip(found, kana, strict=True)]


def _terms(
    text: str, said: str, speech: Speech, words: dict[str, WordReading], chapter: str
) -> Iterator[Term]:
    """The lexicon hits, Latin words and number expressions of one sentence."""
    written = before_readings(text)
    for entry in speech.lexicon.hits(written):
        yield Term(entry.surface, entry.reading, LEXICON, chapter, 1, entry.origin)
    counts = Counter(m.group() for m in LATIN_WORD.finditer(said))
    for word, count in counts.items():
        reading = words[word]
        yield Term(word, reading.reading, reading.how, chapter, count)
    for match in _NUMBER.finditer(speech.lexicon.apply(written)):
        expression = match.group().strip()
        yield Term(expression, normalize(expression), NUMBER, chapter, 1)


def _counted(term: Term, more: int) -> Term:
    return Term(**{**term.__dict__, "count": term.count + more})


def _with_kana(term: Term, kana: str) -> Term:
    return Term(**{**term.__dict__, "kana": kana})


def write_stub(path: Path, terms: list[Term], source: str) -> int:
    """Add every guessed term not already in the lexicon at `path`; return how many."""
    existing = path.read_text("utf-8") if path.is_file() else ""
    present = _surfaces(existing)
    missing = [t for t in terms if t.needs_reading and t.surface not in present]
    if not missing:
        return 0
    lines = (
        []
        if existing
        else [
            "# Readings for yomiage: surface: reading (katakana). Latin surfaces match",
            "# whole words in any case. Correct the guesses below that sound wrong.",
        ]
    )
    lines.append(f"# guessed for {source}:")
    for term in missing:
        entry = yaml.safe_dump({term.surface: term.spoken}, allow_unicode=True).strip()
        lines.append(f"{entry}  # {term.chapter}; Open JTalk says {term.kana}")
    text = existing + ("\n" if existing and not existing.endswith("\n") else "")
    ensure_folder(path.parent)
    write_text_atomic(path, text + "\n".join(lines) + "\n")
    return len(missing)


def _surfaces(text: str) -> set[str]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return set()
    if not isinstance(data, dict):
        return set()
    return {unicodedata.normalize("NFKC", str(key)) for key in data}
