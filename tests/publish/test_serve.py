"""The output folder over HTTP: what players ask for (ranges), and nothing outside the folder.

Requests go through http.client or a raw socket: urllib would clean up the `..`
and the encodings that the traversal tests must send as they are.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import os
import socket
import threading
import urllib.request
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import podcastparser
import pytest
from fakes import FakeEngine
from typer.testing import CliRunner

from yomiage.cli import app
from yomiage.config import load_config
from yomiage.episode.build import build_episode
from yomiage.errors import ConfigError, OutputError
from yomiage.publish.serve import ByteRange, Unsatisfiable, feed_host, make_server, parse_range

SECRET = b"TOP-SECRET-BYTES"
AUDIO = bytes(range(256)) * 40  # 10240 bytes, every offset distinguishable mod 256
SIZE = len(AUDIO)
JAPANESE = "/%E4%BA%8C%E6%9C%AC%E7%9B%AE"  # /二本目


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An output folder, with a secret file beside it that must never be served."""
    (tmp_path / "secret").write_bytes(SECRET)
    (tmp_path / "secret.mp3").write_bytes(SECRET)
    out = tmp_path / "out"
    episode = out / "二本目"
    episode.mkdir(parents=True)
    (episode / "episode.mp3").write_bytes(AUDIO)
    (episode / "chapters.json").write_text('{"version": "1.2.0", "chapters": []}', "utf-8")
    (episode / "transcript.vtt").write_text("WEBVTT\n", "utf-8")
    (episode / "transcript.srt").write_text("1\n", "utf-8")
    (episode / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (episode / "script.yaml").write_text("title: x\n", "utf-8")
    (episode / "manifest.json").write_text('{"source": "/home/me/article.md"}', "utf-8")
    (out / "feed.xml").write_text("<rss/>", "utf-8")
    for name in ("empty", "alias", "outside", "cache"):
        (out / name).mkdir()
    (out / "empty" / "episode.mp3").write_bytes(b"")
    (out / ".segments").mkdir()
    (out / ".segments" / "cached.mp3").write_bytes(AUDIO)
    (out / "outside" / "episode.mp3").symlink_to(tmp_path / "secret.mp3")
    (out / "outside-folder").symlink_to(tmp_path, target_is_directory=True)
    # a link that stays inside, to a published file
    (out / "alias" / "episode.mp3").symlink_to(episode / "episode.mp3")
    # a published name linking to a hidden file
    (out / "cache" / "episode.mp3").symlink_to(out / ".segments" / "cached.mp3")
    return out


@pytest.fixture
def port(root: Path) -> Iterator[int]:
    server = make_server(root, "127.0.0.1", 0, quiet=True)
    # a short poll: shutdown() waits for it, after every test
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _request(
    port: int, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Send `path` exactly as given; the status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _raw(port: int, request_line: bytes) -> bytes:
    """A request http.client would refuse to send (NUL, backslash); the raw answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request_line + b"\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_a_file_is_served_whole_with_its_length_and_type(port: int) -> None:
    status, headers, body = _request(port, f"{JAPANESE}/episode.mp3")
    assert status == 200 and body == AUDIO
    assert headers["Content-Type"] == "audio/mpeg"
    assert headers["Content-Length"] == str(SIZE)
    assert headers["Accept-Ranges"] == "bytes"


def test_head_sends_the_headers_without_the_body(port: int) -> None:
    status, headers, body = _request(port, f"{JAPANESE}/episode.mp3", "HEAD")
    assert status == 200 and body == b""
    assert headers["Content-Length"] == str(SIZE) and headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, SIZE - 1),
        ("bytes=-50", SIZE - 50, SIZE - 1),
        ("bytes=5000-5000", 5000, 5000),
        ("bytes=10000-99999", 10000, SIZE - 1),  # past the end: up to the end
        ("bytes=-99999", 0, SIZE - 1),  # more than there is: all of it
        (" bytes=0-0 ", 0, 0),
        ("Bytes=1-2", 1, 2),  # the unit is case-insensitive
    ],
)
def test_a_single_range_gets_exactly_those_bytes(
    port: int, header: str, start: int, end: int
) -> None:
    status, headers, body = _request(port, f"{JAPANESE}/episode.mp3", headers={"Range": header})
    assert status == 206
    assert body == AUDIO[start : end + 1]
    assert headers["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert headers["Content-Length"] == str(end - start + 1)


def test_head_of_a_range_names_the_range(port: int) -> None:
    status, headers, body = _request(
        port, f"{JAPANESE}/episode.mp3", "HEAD", headers={"Range": "bytes=0-1"}
    )
    assert (status, body) == (206, b"")
    assert headers["Content-Range"] == f"bytes 0-1/{SIZE}"


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", "bytes=20000-20010", "bytes=-0"])
def test_a_range_past_the_end_is_416(port: int, header: str) -> None:
    status, headers, body = _request(port, f"{JAPANESE}/episode.mp3", headers={"Range": header})
    assert status == 416
    assert headers["Content-Range"] == f"bytes */{SIZE}"
    assert AUDIO[:16] not in body


def test_any_range_of_an_empty_file_is_416(port: int) -> None:
    status, headers, _ = _request(port, "/empty/episode.mp3", headers={"Range": "bytes=0-"})
    assert status == 416 and headers["Content-Range"] == "bytes */0"
    status, headers, body = _request(port, "/empty/episode.mp3")
    assert (status, body, headers["Content-Length"]) == (200, b"", "0")


@pytest.mark.parametrize(
    "header", ["bytes=5-2", "bytes=0-1,5-6", "items=0-1", "bytes=x-y", "bytes=1-" + "9" * 5000]
)
def test_a_range_header_we_do_not_answer_gets_the_whole_file(port: int, header: str) -> None:
    status, headers, body = _request(port, f"{JAPANESE}/episode.mp3", headers={"Range": header})
    assert status == 200 and body == AUDIO and "Content-Range" not in headers


def test_if_range_sends_the_whole_file_once_it_changed(port: int) -> None:
    _, headers, _ = _request(port, f"{JAPANESE}/episode.mp3", "HEAD")
    for validator in (headers["ETag"], headers["Last-Modified"]):
        status, _, body = _request(
            port,
            f"{JAPANESE}/episode.mp3",
            headers={"Range": "bytes=0-9", "If-Range": validator},
        )
        assert (status, body) == (206, AUDIO[:10])
    status, _, body = _request(
        port, f"{JAPANESE}/episode.mp3", headers={"Range": "bytes=0-9", "If-Range": '"old"'}
    )
    assert (status, body) == (200, AUDIO)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feed.xml", "application/rss+xml"),
        (f"{JAPANESE}/chapters.json", "application/json"),
        (f"{JAPANESE}/transcript.vtt", "text/vtt"),
        (f"{JAPANESE}/transcript.srt", "application/x-subrip"),
        (f"{JAPANESE}/cover.jpg", "image/jpeg"),
        ("/alias/episode.mp3", "audio/mpeg"),  # a symlink that stays inside the folder
    ],
)
def test_content_types(port: int, path: str, content_type: str) -> None:
    status, headers, _ = _request(port, path)
    assert status == 200
    assert headers["Content-Type"].split(";")[0] == content_type


TRAVERSALS = [
    "/../secret",
    "/../secret.mp3",
    "/%2e%2e/secret.mp3",
    "/%2E%2E%2Fsecret.mp3",
    "/%252e%252e/secret.mp3",
    "/%252e%252e%252fsecret.mp3",
    "/..%5csecret.mp3",
    "/..%5Csecret.mp3",
    "/%2e%2e%5csecret.mp3",
    "//etc/passwd",
    "/%2Fetc%2Fpasswd",
    "/" + "%2e%2e/" * 10 + "etc/passwd",
    "/outside/episode.mp3",  # a symlink to a file outside
    "/outside-folder/secret.mp3",  # through a symlinked folder
    f"{JAPANESE}/manifest.json",  # the article's path on this machine: never served
    "/./feed.xml",
    "/feed.xml%00.mp3",
    "/.segments/cached.mp3",  # hidden: the cache, staging files
    "/%2esegments/cached.mp3",
    "/cache/episode.mp3",
    f"{JAPANESE}/script.yaml",  # not a type we serve
    "/nothing.mp3",
    "/feed.xml/",
    "http://127.0.0.1/feed.xml",  # absolute-form: not ours to proxy
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_the_folder_or_hidden_is_served(port: int, path: str) -> None:
    for method in ("GET", "HEAD"):
        status, _, body = _request(port, path, method)
        assert status == 404, path
        assert SECRET not in body and AUDIO[:64] not in body


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /..\\secret.mp3 HTTP/1.1",
        b"GET /feed.xml\x00 HTTP/1.1",
        b"GET /\xe4\xba\x8c\xe6\x9c\xac\xe7\x9b\xae/..\\..\\secret.mp3 HTTP/1.1",
    ],
)
def test_raw_backslashes_and_nul_bytes_are_404(port: int, request_line: bytes) -> None:
    answer = _raw(port, request_line)
    assert answer.startswith((b"HTTP/1.1 404", b"HTTP/1.1 400", b"HTTP/1.0 400"))
    assert SECRET not in answer


def test_a_raw_utf8_path_finds_the_japanese_folder(port: int) -> None:
    answer = _raw(port, "GET /二本目/transcript.vtt HTTP/1.1".encode())
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"WEBVTT\n")


@pytest.mark.parametrize("path", ["/", JAPANESE, f"{JAPANESE}/", "/outside-folder"])
def test_folders_are_never_listed(port: int, path: str) -> None:
    status, _, body = _request(port, path)
    assert status == 404 and b"episode.mp3" not in body


def test_other_methods_are_refused(port: int) -> None:
    status, _, _ = _request(port, "/feed.xml", "POST")
    assert status == 501


def test_one_connection_serves_several_requests(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for path, expected in (("/nothing.mp3", 404), ("/feed.xml", 206), ("/", 404)):
            connection.request("GET", path, headers={"Range": "bytes=0-2"})
            response = connection.getresponse()
            body = response.read()
            assert response.status == expected
        assert body and connection.sock is not None  # the same socket all along
    finally:
        connection.close()


def test_parse_range() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=2-4", 10) == ByteRange(2, 4)
    assert parse_range("bytes=-3", 10) == ByteRange(7, 9)
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=0-", 0)
    assert ByteRange(2, 4).length == 3


def test_make_server_refuses_a_missing_folder_and_a_taken_port(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no such output folder"):
        make_server(tmp_path / "nowhere", "127.0.0.1", 0)
    first = make_server(tmp_path, "127.0.0.1", 0, quiet=True)
    try:
        with pytest.raises(ConfigError, match=r"cannot listen on 127\.0\.0\.1"):
            make_server(tmp_path, "127.0.0.1", int(first.server_address[1]))
    finally:
        first.server_close()


def test_feed_host() -> None:
    assert feed_host("192.168.1.20") == ("192.168.1.20", True)
    assert feed_host("127.0.0.1") == ("127.0.0.1", False)
    address, _ = feed_host("0.0.0.0")
    ipaddress.IPv4Address(address)  # a LAN address, or 127.0.0.1 without a network


# ---------------------------------------------------------------- yomiage serve


@pytest.fixture
def built(tmp_path: Path) -> Path:
    source = tmp_path / "article.md"
    source.write_text("# 記事\n\n## 一章\n\n一つ目の文です。\n", encoding="utf-8")
    settings = tmp_path / "settings.yaml"
    settings.write_text("episode:\n  slug: 二本目\n", encoding="utf-8")
    build_episode(source, load_config(settings), tmp_path / "out", engine=FakeEngine())
    return tmp_path / "out"


def test_the_serve_command_serves_a_feed_a_player_can_follow(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed's URL is printed last; the feed and every enclosure come from the server."""
    fetched: dict[str, Any] = {}
    serve_forever = ThreadingHTTPServer.serve_forever

    def serve_then_ctrl_c(server: ThreadingHTTPServer, poll_interval: float = 0.5) -> None:
        thread = threading.Thread(target=serve_forever, args=(server, 0.01), daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
            with urllib.request.urlopen(url, timeout=10) as response:
                fetched["feed"] = podcastparser.parse(url, io.BytesIO(response.read()))
            for episode in fetched["feed"]["episodes"]:
                with urllib.request.urlopen(episode["enclosures"][0]["url"]) as response:
                    fetched[episode["title"]] = response.read()
        finally:
            server.shutdown()
            thread.join(5)
        raise KeyboardInterrupt  # the user's Ctrl-C

    published = built / "feed.xml"
    published.write_text("<rss>the uploaded feed, for the public address</rss>", "utf-8")
    monkeypatch.setattr(ThreadingHTTPServer, "serve_forever", serve_then_ctrl_c)
    result = CliRunner().invoke(app, ["serve", str(built), "--host", "127.0.0.1", "--port", "0"])
    assert published.read_text("utf-8").startswith("<rss>the uploaded")  # left alone
    assert result.exit_code == 0, result.stderr
    url = result.stdout.strip().splitlines()[-1]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/feed.xml")
    [episode] = fetched["feed"]["episodes"]
    enclosure = episode["enclosures"][0]
    assert enclosure["url"] == url.removesuffix("feed.xml") + JAPANESE[1:] + "/episode.mp3"
    mp3 = (built / "二本目" / "episode.mp3").read_bytes()
    assert fetched[episode["title"]] == mp3 and enclosure["file_size"] == len(mp3)


def test_the_served_feed_lists_episodes_built_while_serving(built: Path, tmp_path: Path) -> None:
    from yomiage.publish.feed import render_feed

    server = make_server(built, "127.0.0.1", 0, quiet=True)
    handler = server.RequestHandlerClass
    base = f"http://127.0.0.1:{server.server_address[1]}"
    handler.feed = staticmethod(lambda: render_feed(built, base, channel_cover=False)[1])  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        before = _request(int(server.server_address[1]), "/feed.xml")[2]
        source = tmp_path / "later.md"
        source.write_text("# 後の回\n\n## 本文\n\n後から作った回です。\n", "utf-8")
        build_episode(source, load_config(), built, engine=FakeEngine())
        after = _request(int(server.server_address[1]), "/feed.xml")[2]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert "後の回".encode() not in before and "後の回".encode() in after


def test_the_serve_command_reports_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", str(tmp_path / "nowhere"), "--port", "0"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "no such output folder" in result.stderr


def test_symlink_fixture_sanity(root: Path) -> None:
    """The traversal tests mean something only if the links really lead outside."""
    assert (root / "outside" / "episode.mp3").read_bytes() == SECRET
    assert os.path.realpath(root / "outside-folder") == str(root.parent)
