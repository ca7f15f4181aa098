"""Fetching a web page: redirects followed, time and size limited, decoded to text.

http.client from the standard library, driven here rather than through urllib,
so that every limit holds: a timeout to connect and for each read, a deadline
over the whole fetch (each read waits at most until it; a server trickling a
byte at a time is given up on too), a size limit (read in chunks, stopped
past it) and at most MAX_REDIRECTS redirects. Every failure becomes one
SourceError line naming the URL (and the HTTP status). The charset is the
header's, else the page's <meta>, else detected (charset-normalizer);
Shift_JIS is read as Windows' superset, CP932. A proxy is used as curl and
urllib use it: http_proxy / https_proxy (or HTTP_PROXY / HTTPS_PROXY) name it,
no_proxy lists the hosts that go direct; https goes through it with CONNECT.
"""

from __future__ import annotations

import http
import http.client
import re
import socket
import ssl
import time
import urllib.request
from base64 import b64encode
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

from yomiage import __version__
from yomiage.errors import SourceError

USER_AGENT = f"yomiage/{__version__} (article to podcast; +https://github.com/yomiage)"
HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
    "Accept-Language": "ja, en;q=0.5",
    "Accept-Encoding": "identity",  # the size limit counts what is read
}
CONNECT_TIMEOUT_S = 10.0  # to connect, and for each read to answer
DEADLINE_S = 30.0  # for the whole fetch, redirects included
MAX_BYTES = 5 * 1024 * 1024  # more than any article; a bigger body is refused, not cut
MAX_REDIRECTS = 10
CHUNK_BYTES = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# What can be an article; anything else (images, PDFs, archives) is refused.
TEXT_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "application/xml", "text/plain", "text/markdown",
     "text/x-markdown"}
)  # fmt: skip
# A zip archive (Aozora Bunko's texts come so): its bytes are handed on, not decoded.
ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed"})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xml"})
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE
)
# Names a page may give for Shift_JIS: all decoded as CP932, which most such pages are.
_SHIFT_JIS = frozenset(
    {"shift_jis", "shift-jis", "sjis", "x-sjis", "windows-31j", "ms932", "cp932"}
)
# A path or query as it may go on the request line: anything else percent-encoded.
_URL_SAFE = "/%:@!$&'()*+,;=-._~?"


@dataclass(frozen=True)
class Fetched:
    url: str  # where the page was found, after redirects
    text: str
    content_type: str
    archive: bytes = b""  # a zip archive's bytes (text is then empty)

    @property
    def is_html(self) -> bool:
        return self.content_type in HTML_TYPES


class _Deadline:
    """The time left of the fetch, for each wait on the network."""

    def __init__(self) -> None:
        self.end = time.monotonic() + DEADLINE_S

    def wait(self) -> float:
        """How long the next connect or read may wait; the deadline's end is its limit."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline")
        return min(CONNECT_TIMEOUT_S, left)

    def passed(self) -> bool:
        return time.monotonic() >= self.end


def fetch(url: str) -> Fetched:
    """GET `url` within the limits above; SourceError says in one line why not."""
    deadline = _Deadline()
    address = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, reason, headers, data = _get(address, url, deadline)
            location = headers.get("Location")
            if status in _REDIRECTS and location:
                address = urljoin(address, location.strip())
                continue
            if status >= 400:
                raise SourceError(f"HTTP {status} {reason or _phrase(status)}: {url}")
            kind = headers.get_content_type()
            if _is_zip(kind, address):
                return Fetched(address, "", "application/zip", archive=data)
            if b"\x00" in data:  # an image or archive sent without its type
                raise SourceError(f"not a web page or text: {url} (binary data as {kind})")
            return Fetched(address, decode_page(data, headers.get_content_charset()), kind)
    except TimeoutError:
        limit = DEADLINE_S if deadline.passed() else CONNECT_TIMEOUT_S
        raise SourceError(f"timed out after {limit:g} s: {url}") from None
    except OSError as error:
        proxy = proxy_for(urlsplit(address))
        via = f" (through the proxy {proxy.hostname}:{proxy.port or 80})" if proxy else ""
        raise SourceError(f"{_why(error)}: {url}{via}") from None
    except http.client.HTTPException as error:  # not HTTP at all, a reply cut short
        raise SourceError(f"not a valid HTTP reply ({type(error).__name__}): {url}") from None
    raise SourceError(f"more than {MAX_REDIRECTS} redirects: {url}")


def _get(
    address: str, url: str, deadline: _Deadline
) -> tuple[int, str, http.client.HTTPMessage, bytes]:
    """One request; the body only when it is text to read (not for redirects and errors)."""
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"not an http or https address: {address}")
    try:
        port = parts.port
    except ValueError:
        raise SourceError(f"not a valid port in {address}") from None
    target = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_URL_SAFE)
    asked = dict(HEADERS)
    proxy = proxy_for(parts)
    host, at = (parts.hostname, port) if proxy is None else _proxy_address(proxy)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        connection = http.client.HTTPSConnection(host, at, timeout=deadline.wait(), context=context)
        if proxy is not None:  # CONNECT through it; TLS is then with the site itself
            connection.set_tunnel(parts.hostname, port, headers=_proxy_auth(proxy))
    else:
        connection = http.client.HTTPConnection(host, at, timeout=deadline.wait())
        if proxy is not None:  # a proxy is asked for the whole address
            target = f"http://{parts.netloc.rpartition('@')[2]}{target}"
            asked.update(_proxy_auth(proxy))
    try:
        connection.request("GET", target, headers=asked)
        # Kept: getresponse hands the socket to the response (connection.sock goes None)
        sock = connection.sock
        response = connection.getresponse()
        headers = response.headers
        if response.status in _REDIRECTS or response.status >= 400:
            return response.status, response.reason, headers, b""
        kind = headers.get_content_type()
        if kind not in TEXT_TYPES and not _is_zip(kind, address):
            raise SourceError(f"not a web page or text: {url} ({kind})")
        return (
            response.status,
            response.reason,
            headers,
            _read_limited(sock, response, url, deadline),
        )
    finally:
        connection.close()


def _is_zip(kind: str, address: str) -> bool:
    """A zip by its type, or by its name where a server says only octet-stream."""
    named = urlsplit(address).path.lower().endswith(".zip")
    return kind in ZIP_TYPES or (named and kind == "application/octet-stream")


def proxy_for(parts: SplitResult) -> SplitResult | None:
    """The proxy the environment names for this address, None to go direct."""
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.netloc.rpartition("@")[2]):
        return None
    found = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if found.scheme != "http" or not found.hostname:
        raise SourceError(f"{parts.scheme}_proxy is not a proxy's http:// address: {proxy}")
    return found


def _proxy_address(proxy: SplitResult) -> tuple[str, int]:
    try:
        port = proxy.port
    except ValueError:
        raise SourceError(f"not a valid port in the proxy's address {proxy.geturl()}") from None
    return proxy.hostname or "", port or 80


def _proxy_auth(proxy: SplitResult) -> dict[str, str]:
    """Basic credentials for a proxy given as http://user:password@host:port."""
    if proxy.username is None:
        return {}
    pair = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
    return {"Proxy-Authorization": "Basic " + b64encode(pair.encode()).decode("ascii")}


def _read_limited(
    sock: socket.socket | None,
    response: http.client.HTTPResponse,
    url: str,
    deadline: _Deadline,
) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        wait = deadline.wait()  # raises once the deadline has passed
        if sock is not None:
            sock.settimeout(wait)  # and no read waits past it
        chunk = response.read1(CHUNK_BYTES)  # what has come, not a full chunk's wait
        if not chunk:
            if response.length:  # the connection closed before Content-Length bytes came
                raise http.client.IncompleteRead(b"".join(chunks), response.length)
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


def _why(reason: OSError) -> str:
    """A failed connection, as a person would say it."""
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "cannot find the host (DNS)"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({reason.reason or reason})"
    return f"cannot fetch ({reason.strerror or reason})"


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
