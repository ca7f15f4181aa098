"""`yomiage build SOURCE [SOURCE ...]` from URLs, a saved page and an Aozora Bunko text.

The pages come from a server on 127.0.0.1 (tests/pages.py). The voice is the fake
engine (the point here is what is read, from where, into which folder); every MP3
is read back with mutagen and ffmpeg's chapter listing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pages
import pytest
from fakes import FakeEngine
from mutagen.id3 import ID3
from readers import ffmetadata_chapters
from typer.testing import CliRunner

from yomiage import cli
from yomiage.publish.feed import write_feed

runner = CliRunner()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with pages.serve() as url:
        yield url


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr(cli, "_engine", lambda config: fake)
    return fake


def _build(*args: str) -> tuple[int, list[str], list[str]]:
    result = runner.invoke(cli.app, ["build", *args])
    return result.exit_code, result.stdout.splitlines(), result.stderr.strip().splitlines()


def test_several_urls_build_an_episode_each_and_a_bad_one_is_named_at_the_end(
    base: str, engine: FakeEngine, tmp_path: Path
) -> None:
    note, hatena, missing = (
        base + "/note/n1a2b3c",
        base + "/hatena/entry/2024/05/03/toudai",
        base + "/missing",
    )
    out = tmp_path / "out"
    empty = base + "/empty"
    code, stdout, stderr = _build(note, missing, hatena, empty, "--out", str(out))
    assert code == 1
    assert stdout == [
        str(out / "127-0-0-1-n1a2b3c" / "episode.mp3"),
        str(out / "127-0-0-1-toudai" / "episode.mp3"),
    ]
    assert stderr[-2:] == [
        f"failed: {missing}: HTTP 404 Not Found",
        f"failed: {empty}: no article found in the page",
    ]
    assert f"error: HTTP 404 Not Found: {missing}" in stderr
    # each source's lines start by naming it, in the order given
    assert [line for line in stderr if line.startswith("[")] == [
        f"[{n}/4] {url}" for n, url in enumerate((note, missing, hatena, empty), start=1)
    ]
    assert "Traceback" not in "\n".join(stderr)

    for mp3, url, title, sections in (
        (Path(stdout[0]), note, pages.NOTE_TITLE, pages.NOTE_SECTIONS),
        (Path(stdout[1]), hatena, pages.HATENA_TITLE, pages.HATENA_SECTIONS),
    ):
        tags = ID3(mp3)
        assert tags["WOAS"].url == url
        assert str(tags["TIT2"]) == title
        chapters = [c["title"] for c in ffmetadata_chapters(mp3, tmp_path)]
        assert chapters == ["オープニング", "はじめに", *sections, "エンディング"]
        manifest = json.loads((mp3.parent / "manifest.json").read_text("utf-8"))
        assert manifest["source"] == url  # the address, not a made-up path
        vtt = (mp3.parent / "transcript.vtt").read_text("utf-8")
        said = "\n".join(engine.calls)
        assert not [name for name, chrome in pages.CHROME.items() if chrome in said]
        assert not [name for name, chrome in pages.CHROME.items() if chrome in vtt]

    # The ruby's reading is what the engine was given; the transcript keeps the word.
    note_vtt = (Path(stdout[0]).parent / "transcript.vtt").read_text("utf-8")
    assert "大きな欅の並木道に出ました。" in note_vtt and "けやき" not in note_vtt
    assert any("大きなけやきの並木道に出ました。" in text for text in engine.calls)
    assert any("この、けやきは" in text or "このけやきは" in text for text in engine.calls)
    assert not any("欅" in text for text in engine.calls)
    assert any(f"{pages.NOTE_SITE}の記事をもとにお話しします。" in text for text in engine.calls)
    assert "readings:\n  欅: けやき\n" in (Path(stdout[0]).parent / "script.yaml").read_text(
        "utf-8"
    )

    write_feed(out, "https://podcast.example/show")
    items = ET.parse(out / "feed.xml").getroot().findall("./channel/item")
    assert sorted(item.findtext("link") or "" for item in items) == sorted([hatena, note])

    # Up to date: the same URL again builds nothing and prints the same path.
    code, again, stderr = _build(note, "--out", str(out))
    assert code == 0, stderr
    assert again == stdout[:1] and any("up to date" in line for line in stderr)

    # `yomiage readings` shows the ruby as the document's.
    result = runner.invoke(cli.app, ["readings", str(Path(stdout[0]).parent)])
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("欅"))
    assert row.split()[:2] == ["欅", "けやき"] and "document" in row.split()


def test_a_saved_page_and_an_aozora_text_in_one_run(engine: FakeEngine, tmp_path: Path) -> None:
    page = tmp_path / "zenn.html"
    page.write_text(pages.ZENN_PAGE, encoding="utf-8")
    aozora = tmp_path / "toudaimori.txt"
    aozora.write_bytes(pages.AOZORA_BYTES)
    out = tmp_path / "out"
    code, stdout, stderr = _build(str(page), str(aozora), "--out", str(out))
    assert code == 0, stderr
    assert stdout == [str(out / "zenn" / "episode.mp3"), str(out / "toudaimori" / "episode.mp3")]
    story = Path(stdout[1])
    assert str(ID3(story)["TIT2"]) == pages.AOZORA_TITLE
    assert [c["title"] for c in ffmetadata_chapters(story, tmp_path)] == [
        "オープニング",
        "一",
        "二",
        "エンディング",
    ]
    said = "\n".join(engine.calls)
    assert f"{pages.AOZORA_AUTHOR}の作品をもとにお話しします。" in said
    assert "小さなとうだいがありました。" in said.replace("、", "")
    assert [word for word in pages.AOZORA_NEVER if word in said] == []
    assert "WOAS" not in ID3(story)  # a file has no address


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "HTTP 404 Not Found: {url}"),
        ("/photo.png", "not a web page or text: {url} (image/png)"),
        ("/empty", "{url}: no article found in the page"),
    ],
)
def test_one_bad_url_is_one_line_and_exit_1(
    base: str, engine: FakeEngine, tmp_path: Path, path: str, message: str
) -> None:
    url = base + path
    code, stdout, stderr = _build(url, "--out", str(tmp_path / "out"))
    assert (code, stdout) == (1, [])
    assert stderr == [f"error: {message.format(url=url)}"]
    assert not (tmp_path / "out").exists()


def test_a_refused_connection_is_one_line(engine: FakeEngine, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{pages.closed_port()}/note"
    code, stdout, stderr = _build(url, "--out", str(tmp_path / "out"))
    assert (code, stdout, stderr) == (1, [], [f"error: connection refused: {url}"])


def test_one_slug_for_several_sources_is_refused(
    base: str, engine: FakeEngine, tmp_path: Path
) -> None:
    settings = tmp_path / "one.yaml"
    settings.write_text("episode:\n  slug: same\n", encoding="utf-8")
    code, stdout, stderr = _build(
        base + "/note/n1a2b3c", base + "/diary/rain", "--config", str(settings)
    )
    assert (code, stdout) == (1, [])
    assert len(stderr) == 1 and "episode.slug names one folder" in stderr[0]
    assert engine.calls == []


def test_readings_of_a_url_lists_the_pages_ruby_as_the_documents(base: str) -> None:
    result = runner.invoke(cli.app, ["readings", base + "/zenn/articles/small-cli"])
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("冪等"))
    assert row.split()[:2] == ["冪等", "べきとう"] and "document" in row.split()


def test_open_jtalk_says_the_ruby_and_the_transcript_keeps_the_word(tmp_path: Path) -> None:
    source = tmp_path / "minato.txt"
    source.write_text(
        "港の話\n\n古い｜桟橋《さじき》を渡りました。\n\n桟橋は木でできています。\n", "utf-8"
    )
    code, stdout, stderr = _build(str(source), "--out", str(tmp_path / "out"), "-e", "openjtalk")
    assert code == 0, stderr
    folder = Path(stdout[0]).parent
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    segments = [s for c in manifest["chapters"] for s in c["segments"]]
    pairs = {s["text"]: s["spoken"] for s in segments}
    assert pairs["古い桟橋を渡りました。"] == "古いさじきを渡りました。"
    assert pairs["桟橋は木でできています。"] == "さじきは木でできています。"  # marked once
    assert all(s["samples"] > 0 for s in segments)
    vtt = (folder / "transcript.vtt").read_text("utf-8")
    assert "桟橋" in vtt and "さじき" not in vtt
    assert [c["title"] for c in ffmetadata_chapters(Path(stdout[0]), tmp_path)] == [
        "オープニング",
        "はじめに",
        "エンディング",
    ]


def test_an_edited_script_of_a_web_episode_rebuilds_with_its_readings_and_address(
    base: str, engine: FakeEngine, tmp_path: Path
) -> None:
    url = base + "/note/n1a2b3c"
    code, stdout, stderr = _build(url, "--out", str(tmp_path / "out"))
    assert code == 0, stderr
    folder = Path(stdout[0]).parent
    script = folder / "script.yaml"
    edited = script.read_text("utf-8").replace(
        "- 皆さんも、いつもと違う角を曲がってみてはいかがでしょうか。",
        "- 皆さんも、近くの欅を探してみてください。",
    )
    assert edited != script.read_text("utf-8")
    script.write_text(edited, "utf-8")
    engine.calls.clear()
    code, stdout, stderr = _build(str(folder))
    assert code == 0, stderr
    assert engine.calls == ["皆さんも、近くのけやきを探してみてください。"]
    assert ID3(Path(stdout[0]))["WOAS"].url == url
    # Building from the page again would replace the edit: refused, naming the URL.
    code, stdout, stderr = _build(url, "--out", str(tmp_path / "out"))
    assert code == 1 and len(stderr) == 1 and "has edits that building from" in stderr[0]
    assert url in stderr[0]
    code, stdout, stderr = _build(url, "--out", str(tmp_path / "out"), "--force")
    assert code == 0, stderr
    assert "近くの欅" not in (folder / "script.yaml").read_text("utf-8")


@pytest.mark.parametrize(
    ("url", "folder"),
    [
        ("https://zenn.dev/someone/articles/small-cli", "zenn-dev-small-cli"),
        (
            "https://www.aozora.gr.jp/cards/000081/files/43737_19215.html",
            "aozora-gr-jp-43737_19215",
        ),
        ("http://127.0.0.1:8000/aozora/toudaimori.txt", "127-0-0-1-toudaimori"),
        ("https://example.com/notes/ruby.md", "example-com-ruby"),
        ("https://note.com/", "note-com"),
    ],
)
def test_a_web_page_gets_a_folder_from_its_host_and_last_path_part(url: str, folder: str) -> None:
    from yomiage.episode.jobs import url_slug

    assert url_slug(url) == folder


def test_a_shared_link_with_tracking_parameters_is_the_same_page_and_episode(
    base: str, engine: FakeEngine, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    page = base + "/note/n1a2b3c"
    shared = page + "?utm_source=twitter&fbclid=AbC#comments"
    code, stdout, stderr = _build(shared, "--out", str(out))
    assert code == 0, stderr
    assert stdout == [str(out / "127-0-0-1-n1a2b3c" / "episode.mp3")]
    assert str(ID3(stdout[0])["WOAS"]) == page
    manifest = json.loads((out / "127-0-0-1-n1a2b3c" / "manifest.json").read_text("utf-8"))
    assert manifest["source"] == page

    code, again, stderr = _build(page, "--out", str(out))  # the plain address later
    assert code == 0 and again == stdout, stderr
    assert any("up to date" in line for line in stderr)


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://Note.COM/x/n/n1?utm_source=x&utm_medium=y", "https://note.com/x/n/n1"),
        (
            "https://zenn.dev/a/articles/b?page=2&gclid=1#top",
            "https://zenn.dev/a/articles/b?page=2",
        ),
        ("http://example.com/?p=12", "http://example.com/?p=12"),
        ("https://example.com/a?q=%E6%AC%85&x=1", "https://example.com/a?q=%E6%AC%85&x=1"),
    ],
)
def test_clean_url_drops_only_fragments_and_tracking(url: str, clean: str) -> None:
    from yomiage.source.read import clean_url

    assert clean_url(url) == clean
