"""feed.xml: read back by real podcast clients' parsers (gPodder's podcastparser, feedparser).

The episodes are real builds with the fake engine, so every length, duration and
date in the feed is checked against the MP3 and manifest a build wrote.
"""

from __future__ import annotations

import datetime
import email.utils
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import feedparser
import podcastparser
import pytest
import yaml
from fakes import FakeEngine
from PIL import Image
from typer.testing import CliRunner

from yomiage.cli import app
from yomiage.config import load_config
from yomiage.episode.build import build_episode, run_job
from yomiage.episode.jobs import folder_config, prepare_from_folder
from yomiage.episode.manifest import MANIFEST_FILE, read_manifest
from yomiage.errors import ConfigError, OutputError
from yomiage.publish.feed import (
    FEED_FILE,
    NAMESPACES,
    FeedEpisode,
    episode_guid,
    feed_xml,
    publish_feed,
    write_feed,
)

BASE = "http://192.168.1.20:8000"
ARTICLE = "# {title}\n\n## 一章\n\n一つ目の文です。\n\n## 二章\n\n二つ目の文です。\n"
# slug -> (date, show name); the newest episode's show is the feed's
EPISODES = {
    "first": ("2026-11-01", "古い番組名"),
    "二本目": ("2026-11-15", "古い番組名"),
    "third": ("2026-11-20", "テスト番組"),
}
JAPANESE = "%E4%BA%8C%E6%9C%AC%E7%9B%AE"  # 二本目, percent-encoded UTF-8
PODCAST = "{" + NAMESPACES["podcast"] + "}"
ITUNES = "{" + NAMESPACES["itunes"] + "}"


def _config_yaml(folder: Path, slug: str, date: str, show: str) -> Path:
    path = folder / f"{slug}.yaml"
    settings = {
        "show": {"name": show, "host": "山田", "description": f"{show}の説明です。"},
        "episode": {"date": date, "slug": slug, "description": f"{slug}の回です。"},
    }
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder with three real episodes; copy it before changing anything."""
    work = tmp_path_factory.mktemp("built")
    for slug, (date, show) in EPISODES.items():
        source = work / f"article-{date}.md"
        source.write_text(ARTICLE.format(title=f"{slug}の記事"), encoding="utf-8")
        config = load_config(_config_yaml(work, slug, date, show))
        build_episode(source, config, work / "out", engine=FakeEngine())
    return work / "out"


@pytest.fixture
def out(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "out", symlinks=True))


def _gpodder(path: Path) -> dict[str, Any]:
    with path.open("rb") as stream:
        parsed: dict[str, Any] = podcastparser.parse(f"{BASE}/feed.xml", stream)
    return parsed


def _by_guid(episodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["guid"]: e for e in episodes}


def test_gpodder_reads_the_channel(out: Path) -> None:
    path = write_feed(out, BASE)
    assert path == out / FEED_FILE
    feed = _gpodder(path)
    assert feed["title"] == "テスト番組"  # the newest episode's show
    assert feed["description"] == "テスト番組の説明です。"
    assert feed["link"] == f"{BASE}/"
    assert feed["language"] == "ja"
    assert feed["itunes_author"] == "山田"
    assert feed["itunes_categories"] == [["Technology"]]  # the default show.category
    assert feed["explicit"] is False and feed["type"] == "episodic"
    assert feed["cover_url"] == f"{BASE}/cover.jpg"
    with Image.open(out / "cover.jpg") as cover:  # a show-level cover was drawn
        assert cover.format == "JPEG" and cover.size[0] == cover.size[1] >= 1400


def test_category_and_explicit_come_from_the_show_settings(out: Path, tmp_path: Path) -> None:
    settings = tmp_path / "show.yaml"
    settings.write_text("show:\n  category: Education\n  explicit: true\n", encoding="utf-8")
    feed = _gpodder(write_feed(out, BASE, load_config(settings)))
    assert feed["itunes_categories"] == [["Education"]] and feed["explicit"] is True


def test_every_enclosure_matches_its_mp3_and_manifest(out: Path) -> None:
    feed = _gpodder(write_feed(out, BASE))
    episodes = _by_guid(feed["episodes"])
    assert len(episodes) == len(EPISODES)
    for slug, (date, _) in EPISODES.items():
        episode = episodes[episode_guid(slug)]
        mp3 = out / slug / "episode.mp3"
        manifest = read_manifest(out / slug)
        assert manifest is not None
        [enclosure] = episode["enclosures"]
        assert enclosure["file_size"] == mp3.stat().st_size
        assert enclosure["mime_type"] == "audio/mpeg"
        assert episode["total_time"] == int(manifest.duration_ms / 1000 + 0.5)
        assert episode["title"] == f"{slug}の記事"
        assert episode["description"] == f"{slug}の回です。"
        six_in_tokyo = datetime.datetime.fromisoformat(f"{date}T06:00:00+09:00")
        assert episode["published"] == six_in_tokyo.timestamp()


def test_items_are_newest_first_with_urls_quoted(out: Path) -> None:
    feed = _gpodder(write_feed(out, BASE + "/"))
    urls = [e["enclosures"][0]["url"] for e in feed["episodes"]]
    assert urls == [
        f"{BASE}/third/episode.mp3",
        f"{BASE}/{JAPANESE}/episode.mp3",
        f"{BASE}/first/episode.mp3",
    ]


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("http://example.com", "http://example.com/first/episode.mp3"),
        ("https://example.com/pod/", "https://example.com/pod/first/episode.mp3"),
        ("HTTPS://example.com//pod//cast//", "https://example.com/pod/cast/first/episode.mp3"),
        ("http://[::1]:8000", "http://[::1]:8000/first/episode.mp3"),
    ],
)
def test_base_urls_are_joined_without_double_slashes(
    out: Path, base_url: str, expected: str
) -> None:
    root = ET.parse(write_feed(out, base_url)).getroot()
    urls = [str(e.get("url")) for e in root.iter("enclosure")]
    assert expected in urls
    assert not any("//" in url.split("://", 1)[1] for url in urls)


def test_feedparser_reads_it_as_a_well_formed_podcast(out: Path) -> None:
    parsed = feedparser.parse(str(write_feed(out, BASE)))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert set(NAMESPACES.values()) <= set(parsed.namespaces.values())
    assert parsed.feed.language == "ja"
    assert parsed.feed.image.href == f"{BASE}/cover.jpg"
    for entry in parsed.entries:
        assert entry.id in {episode_guid(slug) for slug in EPISODES}
        assert not entry.guidislink
        [link] = entry.enclosures
        assert link.type == "audio/mpeg"
        assert int(entry.itunes_duration) > 0
        # RFC 2822, at 06:00 in Tokyo
        assert entry.published.endswith("06:00:00 +0900")
        assert email.utils.parsedate_to_datetime(entry.published).utcoffset() == datetime.timedelta(
            hours=9
        )
        assert entry.published_parsed is not None


def test_the_guid_survives_a_rebuild_after_an_edit(out: Path) -> None:
    before = _by_guid(_gpodder(write_feed(out, BASE))["episodes"])
    folder = out / "二本目"
    script_path = folder / "script.yaml"
    script = yaml.safe_load(script_path.read_text(encoding="utf-8"))
    script["title"] = "書き直した題"
    script["chapters"][-1]["paragraphs"].append("足した文です。もう一つ足した文です。")
    script_path.write_text(yaml.safe_dump(script, allow_unicode=True), encoding="utf-8")
    run_job(prepare_from_folder(folder, folder_config(folder)), FakeEngine())

    after = _by_guid(_gpodder(write_feed(out, BASE))["episodes"])
    assert after.keys() == before.keys()
    edited = after[episode_guid("二本目")]
    assert edited["title"] == "書き直した題"
    size = (folder / "episode.mp3").stat().st_size
    assert edited["enclosures"][0]["file_size"] == size
    assert size != before[episode_guid("二本目")]["enclosures"][0]["file_size"]
    assert edited["total_time"] > before[episode_guid("二本目")]["total_time"]


def _write_sidecars(folder: Path) -> None:
    chapters = {"version": "1.2.0", "chapters": [{"startTime": 0.0, "title": "一章"}]}
    (folder / "chapters.json").write_text(json.dumps(chapters, ensure_ascii=False), "utf-8")
    (folder / "transcript.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\n一つ目\n", "utf-8")
    (folder / "transcript.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\n一つ目\n", "utf-8")
    Image.new("RGB", (1400, 1400), (10, 20, 30)).save(folder / "cover.jpg")


def test_chapters_transcripts_and_cover_are_linked_when_present(out: Path) -> None:
    _write_sidecars(out / "二本目")
    for name in ("cover.jpg", "chapters.json", "transcript.vtt"):  # as an older build left it
        (out / "first" / name).unlink()
    path = write_feed(out, BASE)
    folder_url = f"{BASE}/{JAPANESE}"
    episodes = _by_guid(_gpodder(path)["episodes"])
    assert episodes[episode_guid("二本目")]["episode_art_url"] == f"{folder_url}/cover.jpg"
    assert "episode_art_url" not in episodes[episode_guid("first")]
    # podcastparser 0.6 knows the podcast namespace only by its old GitHub address,
    # so the podcast: links are read with feedparser and ElementTree.
    entries = {e.id: e for e in feedparser.parse(str(path)).entries}
    assert entries[episode_guid("二本目")].podcast_chapters == {
        "url": f"{folder_url}/chapters.json",
        "type": "application/json+chapters",
    }
    assert "podcast_chapters" not in entries[episode_guid("first")]
    assert "podcast_transcript" not in entries[episode_guid("first")]

    items = {i.findtext("guid"): i for i in ET.parse(path).getroot().iter("item")}
    item = items[episode_guid("二本目")]
    [chapters] = item.findall(f"{PODCAST}chapters")
    assert chapters.attrib == {
        "url": f"{folder_url}/chapters.json",
        "type": "application/json+chapters",
    }
    transcripts = {t.get("type"): t.get("url") for t in item.findall(f"{PODCAST}transcript")}
    assert transcripts == {
        "text/vtt": f"{folder_url}/transcript.vtt",
        "application/x-subrip": f"{folder_url}/transcript.srt",
    }
    assert items[episode_guid("first")].find(f"{PODCAST}chapters") is None


def test_folders_without_an_mp3_or_manifest_are_skipped_and_named(out: Path) -> None:
    (out / "first" / MANIFEST_FILE).unlink()
    (out / "empty").mkdir()
    (out / ".hidden").mkdir()  # staging and cache folders are not episodes
    (out / "notes.txt").write_text("not a folder", encoding="utf-8")
    feed = publish_feed(out, BASE)
    assert [e.slug for e in feed.episodes] == ["third", "二本目"]
    reasons = {s.folder.name: s.reason for s in feed.skipped}
    assert reasons.keys() == {"first", "empty"}
    assert "manifest.json" in reasons["first"] and "episode.mp3" in reasons["empty"]
    assert len(_gpodder(feed.path)["episodes"]) == 2


def test_an_episode_in_the_middle_of_a_build_is_left_out(out: Path) -> None:
    with (out / "third" / "episode.mp3").open("ab") as mp3:
        mp3.write(b"\0" * 417)  # the MP3 is new, its manifest not written yet
    feed = publish_feed(out, BASE)
    assert "third" not in [e.slug for e in feed.episodes]
    assert "being built" in {s.folder.name: s.reason for s in feed.skipped}["third"]


def test_a_pub_date_is_never_after_the_build() -> None:
    import datetime

    from yomiage.publish.feed import JST, publish_time

    day = datetime.date(2026, 11, 29)
    early = datetime.datetime(2026, 11, 29, 2, 30, tzinfo=JST)  # built before 06:00 JST
    assert publish_time(day, early) == early
    late = datetime.datetime(2026, 11, 29, 21, 0, tzinfo=JST)
    assert publish_time(day, late) == datetime.datetime(2026, 11, 29, 6, 0, tzinfo=JST)


def test_a_given_config_sets_the_show_and_its_cover(out: Path, tmp_path: Path) -> None:
    Image.new("RGB", (1500, 1500), (200, 10, 10)).save(tmp_path / "show.png")
    settings = tmp_path / "show.yaml"
    settings.write_text(
        "show:\n  name: 別の番組\n  host: 佐藤\n  description: 別の説明\n  cover: show.png\n",
        encoding="utf-8",
    )
    feed = _gpodder(write_feed(out, BASE, load_config(settings)))
    assert (feed["title"], feed["itunes_author"], feed["description"]) == (
        "別の番組",
        "佐藤",
        "別の説明",
    )
    with Image.open(out / "cover.jpg") as cover:  # the PNG, prepared as a JPEG
        assert cover.format == "JPEG" and cover.size == (1500, 1500)
        red, green, _ = cover.convert("RGB").getpixel((700, 700))  # type: ignore[misc]
        assert red > 150 and green < 60


def test_an_empty_output_folder_gives_a_feed_of_the_default_show(tmp_path: Path) -> None:
    feed = publish_feed(tmp_path, BASE)
    assert feed.episodes == () and feed.skipped == ()
    parsed = _gpodder(feed.path)
    assert parsed["title"] == load_config().show.name and parsed["episodes"] == []
    # written atomically: no temporary files left beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cover.jpg", "feed.xml"]


BAD_BASE_URLS = [
    "",
    "example.com",
    "ftp://example.com/pod",
    "http://",
    "http:///pod",
    "http://example.com:port/",
    "http://example.com:0/",
    "http://example.com/?page=1",
    "http://example.com/#top",
    "http://user@example.com/",
    "http://exa mple.com/",
    "http://例え.jp/",
]


@pytest.mark.parametrize("base_url", BAD_BASE_URLS)
def test_a_bad_base_url_is_one_clear_error(out: Path, base_url: str) -> None:
    with pytest.raises(ConfigError, match=r"base URL .* such as http://"):
        write_feed(out, base_url)
    assert not (out / FEED_FILE).exists()


def test_a_missing_output_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no such output folder"):
        write_feed(tmp_path / "nowhere", BASE)


def _episode(**changes: Any) -> FeedEpisode:
    fields: dict[str, Any] = {
        "slug": "ep",
        "title": "題",
        "description": "",
        "date": datetime.date(2026, 1, 2),
        "duration_ms": 1499,
        "mp3_bytes": 10,
        "built": datetime.datetime(2026, 1, 2, 12, 0, tzinfo=datetime.timezone.utc),
        "sidecars": (),
        "has_cover": False,
    }
    return FeedEpisode(**{**fields, **changes})


def test_the_xml_rounds_durations_and_drops_characters_xml_forbids() -> None:
    show = load_config().show
    episodes = [
        _episode(slug="a", title="制御\x01文字\x1bの題"),
        _episode(slug="b", duration_ms=1500),
    ]
    text = ET.tostring(feed_xml(show, episodes, BASE), encoding="utf-8")
    parsed = podcastparser.parse(f"{BASE}/feed.xml", io.BytesIO(text))
    assert [e["title"] for e in parsed["episodes"]] == ["制御文字の題", "題"]
    assert [e["total_time"] for e in parsed["episodes"]] == [1, 2]
    assert b"<description" not in text.split(b"<item>")[1]  # no empty description


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_feed_command_prints_the_feed_path_last(out: Path) -> None:
    (out / "empty").mkdir()
    code, stdout, stderr = _cli("feed", str(out), "--base-url", BASE)
    assert code == 0, stderr
    assert stdout.strip().splitlines()[-1] == str(out / FEED_FILE)
    assert "skipped empty" in stderr and f"{BASE}/feed.xml" in stderr


def test_the_feed_command_takes_the_show_from_config(out: Path, tmp_path: Path) -> None:
    settings = tmp_path / "show.yaml"
    settings.write_text("show:\n  name: 設定の番組\n", encoding="utf-8")
    code, _, stderr = _cli("feed", str(out), "--base-url", BASE, "--config", str(settings))
    assert code == 0, stderr
    assert _gpodder(out / FEED_FILE)["title"] == "設定の番組"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "ftp://example.com"], "base URL 'ftp://example.com' must start with"),
        (["--base-url", BASE, "--config", "missing.yaml"], "missing.yaml: no such settings"),
    ],
)
def test_the_feed_command_reports_errors_in_one_line(
    out: Path, args: list[str], message: str
) -> None:
    code, stdout, stderr = _cli("feed", str(out), *args)
    assert code == 1 and stdout == ""
    [line] = stderr.strip().splitlines()
    assert line.startswith("error: ") and message in line
