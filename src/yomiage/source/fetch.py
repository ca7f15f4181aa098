"""Fetching a web page: redirects followed, time and size limited, decoded to text.

urllib from the standard library is enough for one GET: it follows redirects
and takes a timeout for connecting and for each read; the deadline over the
whole transfer and the size limit are kept here, reading in chunks. Every
failure becomes one SourceError line naming the URL (and the HTTP status).
The charset is the header's, else the page's <meta>, else detected
(charset-normalizer); Shift_JIS is read as Windows' superset, CP932.
"""

from __future__ import annotations

import http
import http.client
import re
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message

from yomiage import __version__
from yomiage.errors import SourceError

USER_AGENT = f"yomiage/{__version__} (article to podcast; +https://github.com/yomiage)"
HEADERS = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Language": "ja, en;q=0.5"}
CONNECT_TIMEOUT_S = 10.0  # to connect, and for each read to answer
DEADLINE_S = 30.0  # for the whole fetch: a server trickling bytes is given up on too
MAX_BYTES = 5 * 1024 * 1024  # more than any article; a bigger body is refused, not cut
CHUNK_BYTES = 64 * 1024
# What can be an article; anything else (images, PDFs, archives) is refused.
TEXT_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "application/xml", "text/plain", "text/markdown",
     "text/x-markdown"}
)  # fmt: skip
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xml"})
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE
)
# Names a page may give for Shift_JIS: all decoded as CP932, which most such pages are.
_SHIFT_JIS = frozenset(
    {"shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "ms932", "cp932"}
)


@dataclass(frozen=True)
class Fetched:
    url: str  # where the page was found, after redirects
    text: str
    content_type: str

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES


def fetch(url: str) -> Fetched:
    """GET `url` within the limits above; SourceError says in one line why not."""
    request = urllib.request.Request(url, headers=HEADERS)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT_S) as response:
            kind = response.headers.get_content_type()
            if kind not in TEXT_TYPES:
                raise SourceError(f"not a web page or text: {url} ({kind})")
            data = _read_limited(response, url, start)
            if b"\x00" in data:  # an image or archive sent without its type
                raise SourceError(f"not a web page or text: {url} (binary data as {kind})")
            final = response.geturl()
            headers: Message = response.headers
    except urllib.error.HTTPError as error:
        reason = error.reason or _phrase(error.code)  # HTTP/2-style replies give none
        raise SourceError(f"HTTP {error.code} {reason}: {url}") from None
    except urllib.error.URLError as error:
        raise SourceError(f"{_why(error.reason)}: {url}") from None
    except TimeoutError:
        raise SourceError(f"timed out after {CONNECT_TIMEOUT_S:g} s: {url}") from None
    except (OSError, ValueError) as error:  # a reset connection, a malformed URL
        raise SourceError(f"cannot fetch {url}: {error}") from None
    text = decode_page(data, headers.get_content_charset())
    return Fetched(final, text, kind)


def _read_limited(response: http.client.HTTPResponse, url: str, start: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() - start > DEADLINE_S:
            raise SourceError(f"timed out after {DEADLINE_S:g} s: {url}")
        chunk = response.read(CHUNK_BYTES)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > MAX_BYTES:
            raise SourceError(
                f"larger than {MAX_BYTES // (1024 * 1024)} MiB, not an article: {url}"
            )
        chunks.append(chunk)


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return "error"


def _why(reason: object) -> str:
    """urllib's reason for a failed connection, as a person would say it."""
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"timed out after {CONNECT_TIMEOUT_S:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "cannot find the host (DNS)"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({reason.reason or reason})"
    return f"cannot fetch ({reason})"


def decode_page(data: bytes, header_charset: str | None) -> str:
    """The header's charset, else the page's <meta charset>, else a detected one.

    A named charset the bytes are not in (a header saying UTF-8 over a Shift_JIS
    page) gives way to the next; when none fits, the first named one is used
    with the few bad bytes replaced.
    """
    named = [name for name in (header_charset, _meta_charset(data)) if name]
    for name in named:
        text = _decode(data, name, "strict")
        if text is not None:
            return text
    from charset_normalizer import from_bytes  # only for a page that names no charset

    best = from_bytes(data).best()
    if best is not None:
        text = _decode(data, best.encoding, "strict")
        if text is not None:
            return text
    for name in [*named, "utf-8"]:
        text = _decode(data, name, "replace")
        if text is not None:
            return text
    return data.decode("utf-8", errors="replace")


def _meta_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:8192])
    return match.group(1).decode("ascii") if match else None


def _decode(data: bytes, name: str, errors: str) -> str | None:
    encoding = "cp932" if name.strip().lower() in _SHIFT_JIS else name.strip()
    try:
        return data.decode(encoding, errors=errors).removeprefix("\ufeff")
    except (LookupError, UnicodeDecodeError):  # unknown, or not this page's: the next way
        return None
