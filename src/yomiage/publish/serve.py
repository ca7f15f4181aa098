"""A small HTTP server for the output folder, so that a phone on the same network can subscribe.

Podcast players fetch the feed, then the MP3 in byte ranges (to start playing
before the download ends, and to seek), so single ranges are answered with 206.
The feed is made afresh for every request, for this server's address, so it
lists what was built since, and OUTPUT_DIR/feed.xml (the one to upload) is
left alone. Only the published files are served (PUBLISHED): the request path
is decoded once, checked segment by segment, resolved (symlinks included) and
compared with the folder's real path; anything else is a 404, as is a folder.
"""

from __future__ import annotations

import email.utils
import os
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import unquote_to_bytes

from yomiage.config import Config
from yomiage.episode.jobs import COVER_FILE, EPISODE_FILE
from yomiage.errors import ConfigError, OutputError, YomiageError
from yomiage.publish.feed import FEED_FILE, Feed, render_feed
from yomiage.publish.sidecars import CHAPTERS_FILE, SRT_FILE, VTT_FILE

# The files a player needs, by their place: the feed and the show's cover at
# the top, an episode's files in its folder. Settings, manifests, scripts and
# caches are never served (a manifest holds the article's path on this machine).
PUBLISHED_TOP = frozenset({FEED_FILE, COVER_FILE})
PUBLISHED_IN_EPISODE = frozenset({EPISODE_FILE, CHAPTERS_FILE, VTT_FILE, SRT_FILE, COVER_FILE})
CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".xml": "application/rss+xml; charset=utf-8",
    ".json": "application/json",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
CHUNK = 64 * 1024
# At most 18 digits: Python refuses to parse a huge number, and no file is that large.
_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})", re.IGNORECASE)


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """The Range header asks only for bytes past the end of the file: 416."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range `header` asks for; None for the whole file.

    A header we do not answer (several ranges, another unit, malformed, last
    before first) is ignored, as RFC 9110 allows: the client gets the whole file.
    """
    match = _RANGE.fullmatch((header or "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # bytes=-n: the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise Unsatisfiable
    return ByteRange(start, min(end, size - 1))


def resolve_request_path(root: Path, raw_path: str) -> Path | None:
    """The regular file under `root` (a resolved folder) that `raw_path` names, or None.

    `raw_path` is the request target as http.server gives it (Latin-1 decoded
    bytes). It is percent-decoded once: "%252e" stays the literal name "%2e".
    """
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    if not path.startswith("/"):
        return None  # absolute-form or "*": not a file of ours
    try:
        decoded = unquote_to_bytes(path.encode("latin-1")).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    segments = decoded[1:].split("/")
    if not all(_plain_name(segment) for segment in segments) or not _published(segments):
        return None
    try:
        # strict: a dangling symlink or missing file fails here; resolve follows every link
        target = root.joinpath(*segments).resolve(strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python 3.10 to 3.12
        return None
    if not target.is_relative_to(root) or not target.is_file():
        return None
    if not _published(list(target.relative_to(root).parts)):
        return None  # a published name linking to an unpublished file
    return target if target.suffix.lower() in CONTENT_TYPES else None


def _published(segments: list[str]) -> bool:
    if len(segments) == 1:
        return segments[0] in PUBLISHED_TOP
    return len(segments) == 2 and segments[1] in PUBLISHED_IN_EPISODE


def _plain_name(segment: str) -> bool:
    """One file or folder name: not empty, not hidden (nor . or ..), no separator or NUL."""
    return (
        bool(segment)
        and not segment.startswith(".")
        and not any(c in segment for c in "/\\\0")
        and not Path(segment).is_absolute()
        and not Path(segment).drive  # C: on Windows
    )


class OutputHandler(BaseHTTPRequestHandler):
    """GET and HEAD of files under `root`; other methods get http.server's 501."""

    root: Path  # set on the subclass make_server creates
    quiet: bool = False
    feed: Callable[[], bytes] | None = None  # the feed for this server's address, made fresh
    protocol_version = "HTTP/1.1"  # keep-alive: players make many range requests
    server_version = "yomiage"
    timeout = 120  # seconds: an idle keep-alive connection gives its thread back

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        if self.feed is not None and self.path.split("?", 1)[0] == f"/{FEED_FILE}":
            try:
                xml = self.feed()
            except YomiageError as exc:  # a typo in an episode's settings.yaml: that file's fault
                self._log_line(f"/{FEED_FILE}: {exc}")
                self._status(HTTPStatus.INTERNAL_SERVER_ERROR, send_body)
                return
            self._send_feed(xml, send_body)
            return
        target = resolve_request_path(self.root, self.path)
        if target is None:
            self._status(HTTPStatus.NOT_FOUND, send_body)
            return
        try:
            with target.open("rb") as file:
                self._send_file(file, target, send_body)
        except OSError:  # vanished or unreadable between the check and the open
            self._status(HTTPStatus.NOT_FOUND, send_body)

    def _send_file(self, file: BinaryIO, target: Path, send_body: bool) -> None:
        stat = os.fstat(file.fileno())
        size = stat.st_size
        validators = {
            "ETag": f'"{stat.st_mtime_ns:x}-{size:x}"',
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
        }
        try:
            wanted = self._range(size, validators)
        except Unsatisfiable:
            self._status(
                HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                send_body,
                (("Content-Range", f"bytes */{size}"),),
            )
            return
        part = wanted or ByteRange(0, size - 1)
        self.send_response(HTTPStatus.PARTIAL_CONTENT if wanted else HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPES[target.suffix.lower()])
        self.send_header("Content-Length", str(part.length))
        self.send_header("Accept-Ranges", "bytes")
        if wanted:
            self.send_header("Content-Range", f"bytes {part.start}-{part.end}/{size}")
        for name, value in validators.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self._copy(file, part)

    def _send_feed(self, xml: bytes, send_body: bool) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", CONTENT_TYPES[".xml"])
        self.send_header("Content-Length", str(len(xml)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if send_body:
            self.wfile.write(xml)

    def end_headers(self) -> None:
        # Web players fetch chapters and transcripts from another origin (Podcasting 2.0).
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def _range(self, size: int, validators: dict[str, str]) -> ByteRange | None:
        """The range to send; If-Range that no longer matches (the MP3 was rebuilt) means all."""
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range.strip() not in validators.values():
            return None
        return parse_range(self.headers.get("Range"), size)

    def _copy(self, file: BinaryIO, part: ByteRange) -> None:
        """Stream the range in chunks: an episode is never read into memory whole."""
        file.seek(part.start)
        left = part.length
        try:
            while left > 0:
                chunk = file.read(min(CHUNK, left))
                if not chunk:  # the file shrank while we sent it: the body is short,
                    self.close_connection = True  # so the connection cannot be reused
                    break
                self.wfile.write(chunk)
                left -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # players drop range requests when they seek

    def _status(
        self, status: HTTPStatus, send_body: bool, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """A short plain-text answer; send_error could not add Content-Range to a 416."""
        body = f"{status.value} {status.phrase}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        if not self.quiet:
            self._log_line(format % args)

    def _log_line(self, message: str) -> None:
        """One line on stderr, even when quiet; control characters escaped (a request's
        path must not drive the terminal)."""
        line = message.translate(self._control_char_table)  # type: ignore[attr-defined]
        sys.stderr.write(f"{self.address_string()} {line}\n")


def make_server(
    output_dir: Path, host: str = "0.0.0.0", port: int = 8000, *, quiet: bool = False
) -> ThreadingHTTPServer:
    """A server for output_dir, bound and ready for serve_forever(); port 0 takes a free port."""
    if not output_dir.is_dir():
        raise OutputError(f"{output_dir}: no such output folder")

    class Handler(OutputHandler):  # a class per server: each serves its own folder
        pass

    Handler.root = output_dir.resolve()
    Handler.quiet = quiet
    server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
    try:
        return server_class((host, port), Handler)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def serve(
    output_dir: Path,
    host: str = "0.0.0.0",
    port: int = 8000,
    base_url: str | None = None,
    config: Config | None = None,
) -> None:
    """Serve output_dir until Ctrl-C, printing the feed's URL to subscribe to.

    `base_url` overrides the address the feed gives (a proxy, a port forward);
    by default it is this machine's LAN address and the bound port.
    """
    server = make_server(output_dir, host, port)
    try:
        if base_url is None:
            address, lan_found = feed_host(host)
            base_url = f"http://{_url_host(address)}:{server.server_address[1]}"
        else:
            lan_found = True
        feed, _ = render_feed(output_dir, base_url, config)  # checks, and draws the cover
        handler = cast("type[OutputHandler]", server.RequestHandlerClass)
        address_of_feed = base_url  # bound now: each request gets the feed for it
        handler.feed = staticmethod(
            lambda: render_feed(output_dir, address_of_feed, config, channel_cover=False)[1]
        )
        _print_feed(feed, lan_found, server.server_address[1])
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a user stops serving: not an error
    finally:
        server.server_close()


def _print_feed(feed: Feed, lan_found: bool, port: int) -> None:
    for skipped in feed.skipped:
        print(f"skipped {skipped.folder.name}: {skipped.reason}", file=sys.stderr)
    if not feed.episodes:
        print("note: no episode to list yet; build one into this folder", file=sys.stderr)
    where = (
        "subscribe in a podcast app on this network to:"
        if lan_found
        else "only this machine can reach it; for a phone, serve with --host 0.0.0.0 "
        "while on the phone's network. The feed:"
    )
    print(f"serving on port {port} (Ctrl-C stops); {where}", file=sys.stderr)
    print(feed.url, flush=True)


def feed_host(host: str) -> tuple[str, bool]:
    """The address to put in the feed, and whether a phone on the network can likely reach it.

    A server bound to one address is reached there. Bound to every address, the
    LAN address is the one the default route leaves from: connecting a UDP
    socket picks that route without sending a packet, so no network is needed.
    """
    if host not in ("", "0.0.0.0", "::"):
        return host, host not in ("127.0.0.1", "localhost", "::1")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.254.254.254", 1))  # a private address: no packet leaves
            address = str(probe.getsockname()[0])
        except OSError:  # no route at all (no network): this machine only
            return "127.0.0.1", False
    if address.startswith(("0.", "127.")):
        return "127.0.0.1", False
    return address, True


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address
