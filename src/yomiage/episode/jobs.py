"""Preparing a build, from an article or from an episode folder's edited script.yaml.

Everything a build needs is settled here, before any synthesis: the script, the
folder, the settings (the episode keeps the date of its first build), and the
chapters to speak again. A build that would throw away hand edits, or put one
article's episode over another's, is refused here with a way forward.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from yomiage.config import AUTO_ENGINE, Config, load_config
from yomiage.episode.manifest import MANIFEST_FILE, Manifest, file_sha256, read_manifest
from yomiage.errors import ConfigError, ScriptError, SourceError, YomiageError
from yomiage.files.atomic import read_text_or_none
from yomiage.script.build import Chapter, Script, build_script
from yomiage.script.scriptfile import read_script, script_to_yaml
from yomiage.source.read import clean_url, is_url, read_any

EPISODE_FILE = "episode.mp3"
SCRIPT_FILE = "script.yaml"
SETTINGS_FILE = "settings.yaml"
SEGMENTS_DIR = ".segments"
COVER_FILE = "cover.jpg"  # the episode's cover, also embedded in the MP3


@dataclass(frozen=True)
class Job:
    """One build to do: the script, the folder it goes to, and what to speak again."""

    folder: Path
    script: Script
    config: Config  # with the episode's date settled
    source: str | None  # the article (resolved path, or URL), when building from one
    script_text: str | None  # script.yaml to write; None when the build reads the folder's
    previous: Manifest | None  # the last build of this same episode, if any
    regen: frozenset[str] = frozenset()  # chapter ids to synthesize even when cached
    regen_keys: frozenset[str] = frozenset()  # segment keys likewise (regen --flagged)
    # manifest.json's hash when the job was prepared: run_job, under the folder's
    # lock, refuses a job that another run's build has made stale since.
    manifest_sha256: str | None = None

    @property
    def speaks_again(self) -> bool:
        """Whether some cached sentences are to get a new take."""
        return bool(self.regen or self.regen_keys)


def prepare_from_source(
    source: str | Path, config: Config, out_dir: Path, force: bool = False
) -> Job:
    """A job for the article at `source` (a file, or an http(s) URL); its script replaces
    the folder's script.yaml. A web page's address becomes the episode's source_url.

    Refuses, unless `force`, to replace hand edits to the folder's script.yaml
    or settings.yaml, or an episode made from another article.
    """
    document = read_any(source, config.source.chrome_patterns)
    if document.url and config.episode.source_url is None:
        episode = dataclasses.replace(config.episode, source_url=document.url)
        config = dataclasses.replace(config, episode=episode)
    script = build_script(document, config)
    folder = episode_folder(source, config, out_dir)
    seen = file_sha256(folder / MANIFEST_FILE)
    previous = read_manifest(folder)
    identity = source_identity(source)
    if previous is not None and previous.source != identity:
        previous = None  # another article's episode: inherit nothing from it
    config = _with_date(config, previous)
    config = _keep_engine(config, previous)
    script_text = script_to_yaml(script)
    if not force:
        _refuse_to_lose_work(folder, previous, source_name(source), script_text, config)
    return Job(folder, script, config, identity, script_text, previous, manifest_sha256=seen)


def source_identity(source: str | Path) -> str:
    """How the manifest names the source: a URL as given, a file by its full path."""
    return clean_url(str(source)) if is_url(source) else str(Path(source).resolve())


def source_name(source: str | Path) -> str:
    """The source as messages name it: a URL whole, a file by its name."""
    return str(source) if is_url(source) else Path(source).name


def prepare_from_folder(
    folder: Path, config: Config, regen: Sequence[str] = (), regen_keys: Sequence[str] = ()
) -> Job:
    """A job that rebuilds an episode folder from its (edited) script.yaml.

    `regen` names chapters to synthesize again even where they are cached: by
    their number in the MP3's chapter list (as `yomiage chapters` shows it), or id.
    `regen_keys` names single sentences by segment key (the ones a check flagged).
    """
    check_episode_folder(folder)
    seen = file_sha256(folder / MANIFEST_FILE)
    script = read_script(folder / SCRIPT_FILE)
    previous = read_manifest(folder)
    listed = _listed_chapter_ids(folder, script)
    chosen = frozenset(find_chapter(script, listed, reference, folder).id for reference in regen)
    source = previous.source if previous and previous.source else None
    config = _with_date(config, previous)
    return Job(
        folder,
        script,
        config,
        source,
        None,
        previous,
        chosen,
        regen_keys=frozenset(regen_keys),
        manifest_sha256=seen,
    )


def folder_config(folder: Path, *more: Path) -> Config:
    """Defaults, then the settings the folder was built with, then `more` files."""
    recorded = folder / SETTINGS_FILE
    return load_config(*([recorded] if recorded.is_file() else []), *more)


def episode_folder_of(target: Path) -> Path | None:
    """The episode folder `target` names: the folder itself, or the folder of its script.yaml."""
    if target.is_dir():
        return target
    if target.name == SCRIPT_FILE and (target.parent / EPISODE_FILE).exists():
        return target.parent
    return None


def check_episode_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise SourceError(f"{folder}: no such episode folder")
    if not (folder / SCRIPT_FILE).is_file():
        raise SourceError(f"{folder}: is a folder but not an episode folder (no {SCRIPT_FILE})")


def find_chapter(script: Script, listed: Sequence[str], reference: str, folder: Path) -> Chapter:
    """The chapter `reference` names: its number in `listed` (ids, from 1) or its id."""
    by_id = {chapter.id: chapter for chapter in script.chapters}
    chosen = reference
    # ASCII digits only: str.isdigit() is also true of ² and ①, which int() refuses.
    if reference.isascii() and reference.isdigit() and 1 <= int(reference) <= len(listed):
        chosen = listed[int(reference) - 1]
    if chosen in by_id:
        return by_id[chosen]
    if chosen != reference:
        raise ScriptError(
            f"{folder}: chapter {reference} ({chosen}) is no longer in {SCRIPT_FILE}; "
            f"name a chapter by its id there"
        )
    raise ScriptError(
        f"{folder}: no chapter {reference!r}; the episode has chapters 1 to {len(listed)} "
        f"({listed[0]} to {listed[-1]}), see `yomiage chapters {folder}`"
    )


def _listed_chapter_ids(folder: Path, script: Script) -> list[str]:
    """Chapter ids as `yomiage chapters` numbers them: the MP3's, else the script's."""
    from yomiage.publish.tags import read_chapters  # mutagen: only when a chapter is named

    with suppress(YomiageError, OSError):
        marks = read_chapters(folder / EPISODE_FILE)
        if marks:
            return [mark.id for mark in marks]
    return [chapter.id for chapter in script.chapters]


def _refuse_to_lose_work(
    folder: Path, previous: Manifest | None, name: str, script_text: str, config: Config
) -> None:
    script_path = folder / SCRIPT_FILE
    current = read_text_or_none(script_path)
    if current is None or (current == script_text and _settings_match(folder, config)):
        return  # a new episode, or nothing of the old one would change
    if previous is None:
        made_from = read_manifest(folder)
        what = f"the episode of {made_from.source}" if made_from else "an episode"
        raise ScriptError(
            f"{folder} holds {what}, not one made from {name}: set episode.slug to "
            f"build into another folder, or add --force to replace it"
        )
    script_edited = previous.script_edited or file_sha256(script_path) != previous.script_sha256
    if current != script_text and script_edited:
        raise ScriptError(
            f"{script_path} has edits that building from {name} would replace: "
            f"rebuild from them with `yomiage build {folder}`, or add --force to "
            f"start again from {name}"
        )
    settings_path = folder / SETTINGS_FILE
    settings_edited = (
        previous.settings_edited or file_sha256(settings_path) != previous.settings_sha256
    )
    if not _settings_match(folder, config) and settings_edited:
        raise ScriptError(
            f"{settings_path} has edits that building from {name} would replace: "
            f"pass it with --config {settings_path}, or add --force to replace it"
        )


def _settings_match(folder: Path, config: Config) -> bool:
    """Whether the folder's settings.yaml holds exactly these settings (or is absent)."""
    path = folder / SETTINGS_FILE
    return not path.exists() or settings_hold(path, config)


def settings_hold(path: Path, config: Config) -> bool:
    """Whether the settings file at `path` gives exactly `config` (False when it is absent)."""
    if not path.exists():
        return False
    try:
        return load_config(path) == config
    except ConfigError:
        return False


def _keep_engine(config: Config, previous: Manifest | None) -> Config:
    """`auto` over an existing episode means the engine that spoke it: never a mixed episode,
    and never an edge episode silently re-voiced by Open JTalk because the network is down."""
    from yomiage.engines import ENGINES

    if config.engine.name != AUTO_ENGINE or previous is None or previous.engine not in ENGINES:
        return config
    engine = dataclasses.replace(config.engine, name=previous.engine)
    return dataclasses.replace(config, engine=engine)


def _with_date(config: Config, previous: Manifest | None) -> Config:
    """The episode keeps the date of its first build unless the settings give one."""
    if config.episode.date is not None:
        return config
    date = datetime.date.today()
    if previous is not None:
        with suppress(ValueError):
            date = datetime.date.fromisoformat(previous.date)
    return dataclasses.replace(config, episode=dataclasses.replace(config.episode, date=date))


def episode_folder(source: str | Path, config: Config, out_dir: Path) -> Path:
    if config.episode.slug:
        return out_dir / config.episode.slug
    if is_url(source):
        return out_dir / url_slug(str(source))
    return out_dir / slugify(Path(source).stem)


def url_slug(url: str) -> str:
    """A folder for a web page: its host and the last part of its path
    (zenn-dev-small-cli), stable however the page's title changes."""
    parts = urlsplit(clean_url(url))
    host = (parts.hostname or "page").removeprefix("www.")
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    last = re.sub(r"\.(?:html?|php|aspx?|txt|md)$", "", last, flags=re.IGNORECASE)
    return slugify(f"{host}-{last}" if last else host)


def slugify(name: str) -> str:
    """A folder name that is safe everywhere; Japanese letters are kept."""
    slug = re.sub(r"[^\w\-]+", "-", name, flags=re.UNICODE).strip("-_.")
    return slug[:80] or "episode"
