"""`yomiage readings`: every term whose reading a podcaster should see before synthesis.

For each Latin-alphabet word, number expression and lexicon hit in the script:
what the engine will be given, the kana Open JTalk will say for it, and how
that reading was found (lexicon, Open JTalk's dictionary, an acronym spelled
out, a guess). Guesses are what to check: `--write` puts them in a lexicon
file, where a wrong one is corrected once for every episode.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from yomiage.config import Config
from yomiage.episode.jobs import (
    SCRIPT_FILE,
    SEGMENTS_DIR,
    check_episode_folder,
    episode_folder,
    episode_folder_of,
)
from yomiage.episode.plan import LATIN_WORDS_FILE, script_utterances
from yomiage.errors import ConfigError
from yomiage.files import safeyaml
from yomiage.files.atomic import (
    check_replaceable,
    ensure_folder,
    read_regular_text,
    resolved,
    write_text_atomic,
)
from yomiage.script.build import Script, build_script
from yomiage.script.scriptfile import read_script
from yomiage.source.read import is_url, read_any
from yomiage.speech.latin import GUESSED, LATIN_WORD, LatinReadings, WordReading, kana_of
from yomiage.speech.lexicon import (
    DOCUMENT,
    READINGS_FILE,
    Lexicon,
    lexicon_for,
    user_lexicon_path,
)
from yomiage.speech.normalize import before_readings, normalize
from yomiage.speech.spoken import Speech

LEXICON, NUMBER = "lexicon", "number"
# A number as it will be said, after normalisation: with its counter or unit,
# chained (2024年11月29日, 3月1日から5日) so it is read in context.
_AMOUNT = r"\d[\d.]*(?:パーセント|[ァ-ヺー]+|[一-鿿々]{1,3})?"
_NUMBER = re.compile(rf"(?:マイナス)?{_AMOUNT}(?:(?:から|かける)?{_AMOUNT})*")


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


def review_target(target: Path | str, config: Config, out_dir: Path) -> list[Term]:
    """The terms of an article, or of an episode folder's script, with the readings that apply.

    The lexicons are the shipped one, the user's, and the episode folder's
    (where the article's episode goes, or the folder given).
    """
    folder = episode_dir_for(target, config, out_dir)
    if _folder_of(target) is not None:
        check_episode_folder(folder)
        script = read_script(folder / SCRIPT_FILE)
    else:
        script = build_script(read_any(target, config.source.chrome_patterns), config)
    # The episode's answers about English words, when it has been built: kept up to date.
    words = LatinReadings(folder / SEGMENTS_DIR / LATIN_WORDS_FILE, save=folder.is_dir())
    return review(script, Speech(lexicon_for(folder, script.readings), words))


def episode_dir_for(target: Path | str, config: Config, out_dir: Path) -> Path:
    """The episode folder `target` is, or that the article's (or page's) episode goes to."""
    return _folder_of(target) or episode_folder(target, config, out_dir)


def _folder_of(target: Path | str) -> Path | None:
    return None if is_url(target) else episode_folder_of(Path(target))


def lexicons_read(target: Path | str, config: Config, out_dir: Path) -> list[Path]:
    """The lexicon files a build of `target` reads, besides the shipped one."""
    return [user_lexicon_path(), episode_dir_for(target, config, out_dir) / READINGS_FILE]


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
        how = DOCUMENT if entry.origin == DOCUMENT else LEXICON
        yield Term(entry.surface, entry.reading, how, chapter, 1, entry.origin)
    counts = Counter(m.group() for m in LATIN_WORD.finditer(said))
    for word, count in counts.items():
        reading = words[word]
        yield Term(word, reading.reading, reading.how, chapter, count)
    for match in _NUMBER.finditer(said):
        yield Term(match.group(), match.group(), NUMBER, chapter, 1)


def _counted(term: Term, more: int) -> Term:
    return dataclasses.replace(term, count=term.count + more)


def _with_kana(term: Term, kana: str) -> Term:
    return dataclasses.replace(term, kana=kana)


def write_stub(path: Path, terms: list[Term], source: str) -> int:
    """Add a placeholder for every guessed term the lexicon at `path` lacks; return how many.

    Placeholders have an empty reading (ignored until filled in) and the guess
    and Open JTalk's kana in a comment. Entries already there are never touched;
    a symlinked lexicon is written through its link, with its mode kept.
    """
    target = resolved(path)
    check_replaceable(target)  # before reading it: a FIFO would never answer
    try:
        existing = read_regular_text(target) if target.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the lexicon ({exc})") from None
    present = {e.casefold() for e in _surfaces(existing, path)}
    missing = [t for t in terms if t.needs_reading and t.surface.casefold() not in present]
    if not missing:
        return 0
    lines = [] if existing.strip() else list(STUB_HEADER)
    lines.append(f"# guessed for {source}: fill in the readings, or delete the line")
    for term in missing:
        key = yaml.safe_dump(term.surface, allow_unicode=True).removesuffix("\n...\n").strip()
        lines.append(
            f'{key}: ""  # guess {term.spoken}, Open JTalk says {term.kana}; {term.chapter}'
        )
    separator = "\n" if existing and not existing.endswith("\n") else ""
    text = existing + separator + "\n".join(lines) + "\n"
    try:
        combined = {s.casefold() for s in _surfaces(text, path)}
    except ConfigError:  # e.g. a {flow: mapping}, which lines cannot be added to
        combined = set()
    if not combined or not combined >= present:
        raise ConfigError(f"{path}: cannot add to it: write it as one `surface: reading` per line")
    Lexicon.parse(text, str(path))  # still a valid lexicon
    mode = target.stat().st_mode & 0o7777 if target.exists() else None
    ensure_folder(target.parent)
    write_text_atomic(target, text)
    if mode is not None:
        target.chmod(mode)
    return len(missing)


STUB_HEADER = (
    "# Readings for yomiage: surface: reading (katakana). Latin surfaces match",
    "# whole words in any case; an empty reading is ignored until filled in.",
)


def _surfaces(text: str, path: Path) -> set[str]:
    try:
        data = safeyaml.safe_load(text)
    except yaml.YAMLError:
        raise ConfigError(f"{path}: not valid YAML; fix it before adding to it") from None
    if data is None:
        return set()
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a lexicon (a mapping of surface: reading)")
    return {unicodedata.normalize("NFKC", str(key)) for key in data}
