"""feed.xml: the RSS 2.0 feed of every episode in an output folder, for podcast players.

The output folder holds one folder per episode (OUTPUT_DIR/<slug>/); the feed
lies beside them and links to each episode's MP3 and sidecar files under one
base URL. Players key episodes by guid and compare enclosure lengths with what
they download, so the guid depends only on the slug (it survives rebuilds and a
new base URL) and the length is the MP3's size on disk, measured when the feed
is written.
"""

from __future__ import annotations

import datetime
import email.utils
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from yomiage.config import Config, ShowSettings, load_config
from yomiage.episode.jobs import COVER_FILE, EPISODE_FILE, SCRIPT_FILE, folder_config
from yomiage.episode.manifest import MANIFEST_FILE, read_manifest
from yomiage.errors import ConfigError, OutputError, YomiageError
from yomiage.files.atomic import write_bytes_atomic
from yomiage.publish.sidecars import CHAPTERS_FILE, SRT_FILE, VTT_FILE
from yomiage.script.scriptfile import read_script

FEED_FILE = "feed.xml"
LANGUAGE = "ja"
# Asia/Tokyo keeps no daylight saving time, so a fixed offset is exact and needs no tzdata.
JST = datetime.timezone(datetime.timedelta(hours=9), "JST")
PUBLISH_TIME = datetime.time(6, 0, tzinfo=JST)  # an episode's date says the day, not the hour

# Namespace prefixes are written literally (tags like "itunes:image") and declared
# on <rss>: ET.register_namespace would change ElementTree for the whole process.
NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}
# Files beside an episode's MP3 that its item links to when they exist.
SIDECARS = (
    (CHAPTERS_FILE, "podcast:chapters", {"type": "application/json+chapters"}),
    (VTT_FILE, "podcast:transcript", {"type": "text/vtt", "language": LANGUAGE, "rel": "captions"}),
    (
        SRT_FILE,
        "podcast:transcript",
        {"type": "application/x-subrip", "language": LANGUAGE, "rel": "captions"},
    ),
)
# Characters XML 1.0 forbids; a title typed with a YAML escape could hold one.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class FeedEpisode:
    """What the feed says of one episode folder, read from its files."""

    slug: str  # the folder's name
    title: str
    description: str
    date: datetime.date
    duration_ms: int
    mp3_bytes: int  # the MP3's size on disk
    built: datetime.datetime  # when its MP3 was written (never later than when it was read)
    sidecars: tuple[str, ...]  # names from SIDECARS present in the folder
    has_cover: bool
    source_url: str | None = None  # the article's page (episode.source_url): the item's <link>


@dataclass(frozen=True)
class Skipped:
    folder: Path
    reason: str


@dataclass(frozen=True)
class Feed:
    """A written feed: where it is, its address, what it lists and which folders it left out."""

    path: Path
    url: str
    episodes: tuple[FeedEpisode, ...]  # newest first
    skipped: tuple[Skipped, ...]


def write_feed(output_dir: Path, base_url: str, config: Config | None = None) -> Path:
    """Write OUTPUT_DIR/feed.xml and return its path; see publish_feed."""
    return publish_feed(output_dir, base_url, config).path


def publish_feed(output_dir: Path, base_url: str, config: Config | None = None) -> Feed:
    """Write OUTPUT_DIR/feed.xml (and the channel's cover.jpg) for every finished episode."""
    feed, xml = render_feed(output_dir, base_url, config)
    write_bytes_atomic(feed.path, xml)
    return feed


def render_feed(
    output_dir: Path, base_url: str, config: Config | None = None, *, channel_cover: bool = True
) -> tuple[Feed, bytes]:
    """The feed for every finished episode, as bytes; feed.xml itself is not written.

    The show's settings come from `config`, else from the newest episode's
    settings.yaml, else the defaults. Folders without an MP3 and a manifest, or
    in the middle of a build, are left out and listed in the result with the
    reason. `channel_cover` (re)writes OUTPUT_DIR/cover.jpg.
    """
    base = check_base_url(base_url)
    if not output_dir.is_dir():
        raise OutputError(f"{output_dir}: no such output folder")
    episodes, skipped = find_episodes(output_dir)
    show = config.show if config is not None else _newest_show(output_dir, episodes)
    if channel_cover:
        _write_channel_cover(show, output_dir)
    root = feed_xml(show, episodes, base)
    ET.indent(root)
    xml = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    feed = Feed(output_dir / FEED_FILE, file_url(base, FEED_FILE), tuple(episodes), tuple(skipped))
    return feed, xml


# ---------------------------------------------------------------- URLs


def check_base_url(base_url: str) -> str:
    """The base URL without trailing or doubled slashes; ConfigError unless http(s) with a host."""
    problem = _base_url_problem(base_url)
    if problem:
        raise ConfigError(
            f"base URL {base_url!r} {problem}: give the address players reach the output "
            "folder at, such as http://192.168.1.20:8000"
        )
    parts = urlsplit(base_url)
    path = "/".join(quote(p, safe="%:@!$&'()*+,;=~") for p in parts.path.split("/") if p)
    return f"{parts.scheme.lower()}://{parts.netloc}" + (f"/{path}" if path else "")


def _base_url_problem(base_url: str) -> str | None:
    if not base_url.isascii() or any(c.isspace() for c in base_url):
        return "must be plain ASCII without spaces"
    parts = urlsplit(base_url)
    if parts.scheme.lower() not in ("http", "https"):
        return "must start with http:// or https://"
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # urlsplit checks the port only when asked
        port_ok = False
    if not parts.hostname or not port_ok:
        return "needs a host (and a valid port, if any)"
    if parts.query or parts.fragment or parts.username is not None:
        return "must not carry a query, a fragment or a user name"
    return None


def file_url(base: str, *segments: str) -> str:
    """base/segment/...; each segment percent-encoded as UTF-8 (slugs may be Japanese)."""
    return "/".join([base, *(quote(segment, safe="") for segment in segments)])


# ---------------------------------------------------------------- reading the folders


def find_episodes(output_dir: Path) -> tuple[list[FeedEpisode], list[Skipped]]:
    """Every finished episode under output_dir, newest first, and the folders left out."""
    episodes: list[FeedEpisode] = []
    skipped: list[Skipped] = []
    for folder in sorted(output_dir.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue  # staging and cache folders, feed.xml, cover.jpg: not episodes
        if not _utf8_name(folder.name):
            skipped.append(Skipped(folder, "its name is not UTF-8 text: rename the folder"))
            continue
        try:
            episodes.append(read_episode(folder))
        except _NotAnEpisode as exc:
            skipped.append(Skipped(folder, str(exc)))
    # Same-day episodes share a pubDate; the slug keeps their order stable.
    episodes.sort(key=lambda e: e.slug)
    episodes.sort(key=lambda e: e.date, reverse=True)
    return episodes, skipped


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes in the name (a Shift_JIS zip)
        return False
    return True


class _NotAnEpisode(Exception):
    """A folder the feed leaves out; the message says why."""


def read_episode(folder: Path) -> FeedEpisode:
    mp3 = folder / EPISODE_FILE
    if not mp3.is_file():
        raise _NotAnEpisode(f"no {EPISODE_FILE}")
    manifest = read_manifest(folder)
    if manifest is None:
        raise _NotAnEpisode(f"no readable {MANIFEST_FILE} (build the episode again)")
    try:
        date = datetime.date.fromisoformat(manifest.date)
    except ValueError:
        raise _NotAnEpisode(f"{MANIFEST_FILE} has no valid date ({manifest.date!r})") from None
    try:
        script = read_script(folder / SCRIPT_FILE)
        stat = mp3.stat()
    except YomiageError as exc:
        raise _NotAnEpisode(str(exc)) from None
    except OSError as exc:
        raise _NotAnEpisode(f"cannot read {EPISODE_FILE} ({exc.strerror})") from None
    size = stat.st_size
    if size != manifest.mp3_bytes:  # the MP3 was replaced and its manifest not yet written
        raise _NotAnEpisode("being built: its MP3 and manifest disagree; try again after the build")
    return FeedEpisode(
        slug=folder.name,
        title=script.title,
        description=script.description,
        date=date,
        duration_ms=manifest.duration_ms,
        mp3_bytes=size,
        built=_recorded_time(stat.st_mtime),
        sidecars=tuple(name for name, _, _ in SIDECARS if (folder / name).is_file()),
        has_cover=(folder / COVER_FILE).is_file(),
        source_url=_source_url(folder),
    )


def _source_url(folder: Path) -> str | None:
    """The page the episode was made from, as its settings.yaml records it."""
    try:
        return folder_config(folder).episode.source_url
    except YomiageError:  # settings the feed cannot read: the item goes without a link
        return None


def _recorded_time(mtime: float) -> datetime.datetime:
    """A file's time, to the second (as RSS gives it); a clock set wrong must not give a future."""
    at = datetime.datetime.fromtimestamp(int(mtime), datetime.timezone.utc)
    return min(at, datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0))


def _newest_show(output_dir: Path, episodes: list[FeedEpisode]) -> ShowSettings:
    """The show as the newest episode was built with it; the defaults without episodes."""
    if not episodes:
        return load_config().show
    folder = output_dir / episodes[0].slug
    try:
        return folder_config(folder).show
    except ConfigError as exc:
        raise ConfigError(
            f"{exc} (the feed takes the show's settings from the newest episode, "
            f"{folder.name}; give them with --config instead)"
        ) from None


def _write_channel_cover(show: ShowSettings, output_dir: Path) -> None:
    """OUTPUT_DIR/cover.jpg: the show's cover if set, else one drawn with the show's name."""
    from yomiage.publish import cover  # here: Pillow and the font load only when a feed is written

    dest = output_dir / COVER_FILE  # both write it whole: a player never gets half of it
    if show.cover is not None:
        cover.prepare_cover(show.cover, dest)
    else:
        cover.draw_cover(show.name, None, dest)


# ---------------------------------------------------------------- the XML


def feed_xml(show: ShowSettings, episodes: list[FeedEpisode], base: str) -> ET.Element:
    """The <rss> element; pure, so that tests can read it without any files.

    It holds no "now": fetched twice, an unchanged folder gives the same feed.
    """
    rss = ET.Element("rss", {"version": "2.0"})
    for prefix, uri in NAMESPACES.items():
        rss.set(f"xmlns:{prefix}", uri)
    channel = ET.SubElement(rss, "channel")
    built = max((episode.built for episode in episodes), default=None)
    _channel(channel, show, base, built)
    for episode in episodes:
        _item(ET.SubElement(channel, "item"), episode, base)
    return rss


def _channel(
    channel: ET.Element, show: ShowSettings, base: str, built: datetime.datetime | None
) -> None:
    cover = file_url(base, COVER_FILE)
    _add(channel, "title", show.name)
    _add(channel, "link", base + "/")
    _add(channel, "description", show.description)
    _add(channel, "language", LANGUAGE)
    if built is not None:  # the newest episode's time: the feed changes when an episode does
        _add(channel, "lastBuildDate", email.utils.format_datetime(built))
    _add(channel, "generator", "yomiage")
    feed_url = file_url(base, FEED_FILE)
    _add(channel, "atom:link", href=feed_url, rel="self", type="application/rss+xml")
    image = ET.SubElement(channel, "image")  # plain RSS readers look here, not at itunes:image
    _add(image, "url", cover)
    _add(image, "title", show.name)
    _add(image, "link", base + "/")
    _add(channel, "itunes:image", href=cover)
    _add(channel, "itunes:author", show.host)
    _add(channel, "itunes:category", text=show.category)  # Apple's names, checked on load
    _add(channel, "itunes:explicit", "true" if show.explicit else "false")
    _add(channel, "itunes:type", "episodic")


def _item(item: ET.Element, episode: FeedEpisode, base: str) -> None:
    slug = episode.slug
    _add(item, "title", episode.title)
    if episode.source_url:
        _add(item, "link", episode.source_url)
    if episode.description:
        _add(item, "description", episode.description)
    mp3 = file_url(base, slug, EPISODE_FILE)
    _add(item, "enclosure", url=mp3, length=str(episode.mp3_bytes), type="audio/mpeg")
    _add(item, "guid", episode_guid(slug), isPermaLink="false")
    _add(item, "pubDate", email.utils.format_datetime(publish_time(episode.date, episode.built)))
    _add(item, "itunes:duration", str((episode.duration_ms + 500) // 1000))
    if episode.has_cover:
        _add(item, "itunes:image", href=file_url(base, slug, COVER_FILE))
    for name, tag, attributes in SIDECARS:
        if name in episode.sidecars:
            _add(item, tag, url=file_url(base, slug, name), **attributes)


def episode_guid(slug: str) -> str:
    """Stable for the folder: rebuilds, edits and a new base URL keep it; renaming does not."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "yomiage:" + slug))


def publish_time(date: datetime.date, built: datetime.datetime) -> datetime.datetime:
    """06:00 JST on the episode's day, or when it was built if that is earlier.

    Players hide items dated in the future; the build time (recorded, never in
    the future) keeps a dated-ahead episode visible and its pubDate stable.
    """
    at = datetime.datetime.combine(date, PUBLISH_TIME)
    return min(at, built.astimezone(JST))


def _add(
    parent: ET.Element, tag: str, content: str | None = None, /, **attributes: str
) -> ET.Element:
    """A child element; positional `content` leaves `text` free for itunes:category's attribute."""
    element = ET.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attributes.items()})
    if content is not None:
        element.text = _NOT_XML.sub("", content)
    return element
