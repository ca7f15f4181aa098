"""A stand-in for Microsoft's Edge read-aloud service, on 127.0.0.1, for the real edge-tts client.

No machine running the tests reaches speech.platform.bing.com, so this serves its two
endpoints with aiohttp, in a thread with its own event loop:

- the WebSocket `.../readaloud/edge/v1`: the client sends a `speech.config` text frame and an
  `ssml` text frame; the answer is `turn.start`, binary `audio` frames (a 2-byte big-endian
  header length, the headers, then MP3 bytes), `audio.metadata` frames (one boundary each,
  offsets in 100 ns ticks), an empty `audio` frame with no Content-Type, and `turn.end`;
- `.../readaloud/voices/list`: the JSON list of voices.

Like the real service it checks the Sec-MS-GEC token against its own clock (`clock_offset_s`
shifts that clock) and answers a bad one with 403 and a Date header, which edge-tts uses to
correct its clock and retry once. The audio is real MP3 (24 kHz mono, 48 kbit/s CBR, no
Xing/Info frame, as `audio-24khz-48kbitrate-mono-mp3` arrives), made by the project's own
`Mp3Encoder`: a voiced tone whose length follows the text, or with `speech="openjtalk"` the
text really spoken by Open JTalk, so that a speech recogniser can hear it. An unknown voice
gets turn.start and turn.end with no audio, as the real service does (edge-tts raises
NoAudioReceived).

The service also fails silently, and `fail_text` plays that for one text: a reply cut short
("cut_short"), or the audio of other words ("other_words"); the boundaries and every frame
look as usual, so the client sees nothing wrong.

    with EdgeStandIn() as standin:
        standin.patch(monkeypatch)  # edge-tts now talks to the stand-in
        standin.fail_next("drop", after_messages=1)
        standin.fail_text("二つ目の文", "cut_short", keep=0.4)
        ...
        assert standin.requests[0].text == "..."
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import re
import socket
import tempfile
import threading
import time
import uuid
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from xml.sax.saxutils import escape, unescape

import numpy as np
import numpy.typing as npt
from aiohttp import WSCloseCode, WSMsgType, web

from yomiage.audio.ffmpeg import Mp3Encoder
from yomiage.audio.samples import Audio, resample

if TYPE_CHECKING:
    import pytest

TRUSTED_CLIENT_TOKEN = "6A5AA1D4EAFF4E9FB37E23D68491D6F4"
BASE_PATH = "/consumer/speech/synthesize/readaloud"
WSS_PATH = f"{BASE_PATH}/edge/v1"
VOICES_PATH = f"{BASE_PATH}/voices/list"
OUTPUT_FORMAT = "audio-24khz-48kbitrate-mono-mp3"
SAMPLE_RATE = 24_000
BITRATE_KBPS = 48
TICKS_PER_SECOND = 10_000_000
FRAMES_PER_MESSAGE = 20  # 20 MP3 frames of 24 ms: about 0.5 s of audio per binary message

FaultKind = Literal["drop", "no_audio", "slow", "status", "close_immediately"]
FAULT_KINDS: tuple[str, ...] = ("drop", "no_audio", "slow", "status", "close_immediately")
# Faults the client cannot see: they answer every request for one text, until clear().
SilentFault = Literal["cut_short", "other_words"]
SILENT_FAULTS: tuple[str, ...] = ("cut_short", "other_words")
Speech = Literal["tone", "openjtalk"]


def _voice(locale: str, name: str, gender: str, friendly: str) -> dict[str, Any]:
    return {
        "Name": f"Microsoft Server Speech Text to Speech Voice ({locale}, {name})",
        "ShortName": f"{locale}-{name}",
        "Gender": gender,
        "Locale": locale,
        "SuggestedCodec": OUTPUT_FORMAT,
        "FriendlyName": f"Microsoft {friendly} Online (Natural) - {friendly_language(locale)}",
        "Status": "GA",
        "VoiceTag": {
            "ContentCategories": ["General"],
            "VoicePersonalities": ["Friendly", "Positive"],
        },
    }


def friendly_language(locale: str) -> str:
    return {
        "ja-JP": "Japanese (Japan)",
        "en-US": "English (United States)",
        "zh-CN": "Chinese (Mainland)",
    }.get(locale, locale)


VOICES: list[dict[str, Any]] = [
    _voice("en-US", "EmmaMultilingualNeural", "Female", "Emma Multilingual"),
    _voice("en-US", "GuyNeural", "Male", "Guy"),
    _voice("ja-JP", "KeitaNeural", "Male", "Keita"),
    _voice("ja-JP", "NanamiNeural", "Female", "Nanami"),
    _voice("zh-CN", "XiaoxiaoNeural", "Female", "Xiaoxiao"),
]


@dataclass(frozen=True)
class Request:
    """One SSML request as the stand-in received it."""

    text: str  # the spoken text, XML entities unescaped
    escaped_text: str  # as it stood in the SSML
    text_bytes: int  # UTF-8 length of the escaped text (edge-tts splits at 4096)
    ssml: str  # the <speak> document
    message_bytes: int  # UTF-8 length of the whole ssml frame, headers included
    voice: str  # as sent: "Microsoft Server Speech Text to Speech Voice (ja-JP, NanamiNeural)"
    short_voice: str  # "ja-JP-NanamiNeural"
    rate: str  # "+0%"
    pitch: str  # "+0Hz"
    volume: str  # "+0%"
    boundaries: tuple[str, ...]  # the boundary types speech.config asked for
    output_format: str
    request_id: str
    connection_id: str
    fault: str | None  # the fault this request was answered with, if any


@dataclass
class _Fault:
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Connection:
    connection_id: str
    fault: _Fault | None
    boundaries: tuple[str, ...] = ("SentenceBoundary",)
    output_format: str = OUTPUT_FORMAT


class EdgeStandIn:
    """The Edge read-aloud service on 127.0.0.1, started and stopped as a context manager.

    `delay_s` is waited before answering every request (simulated service latency), and
    `pace_s` for every second of the audio it answers with (a longer answer takes longer);
    `seconds_per_char` and `min_seconds` size the audio, divided by the prosody rate
    (+25% gives audio 1/1.25 as long); `clock_offset_s` sets the service's clock ahead of
    this machine's, so the client's first token is refused with 403 until it corrects its
    skew; `check_token=False` accepts any Sec-MS-GEC. `speech="openjtalk"` speaks the text
    with Open JTalk (at the prosody rate) instead of the tone, for tests that listen to it.
    """

    def __init__(
        self,
        *,
        delay_s: float = 0.0,
        pace_s: float = 0.0,
        seconds_per_char: float = 0.12,
        min_seconds: float = 0.3,
        clock_offset_s: float = 0.0,
        check_token: bool = True,
        speech: Speech = "tone",
    ) -> None:
        self.speech = speech
        self.delay_s = delay_s
        self.pace_s = pace_s
        self.seconds_per_char = seconds_per_char
        self.min_seconds = min_seconds
        self.clock_offset_s = clock_offset_s
        self.check_token = check_token
        self.requests: list[Request] = []
        self.connections = 0  # WebSocket upgrade attempts, refused ones included
        self.rejected: list[int] = []  # HTTP statuses of refused upgrades and voice lists
        self.voice_list_calls = 0
        self.max_in_flight = 0
        self._in_flight = 0
        self._faults: deque[_Fault] = deque()
        self._text_faults: dict[str, _Fault] = {}
        self._tts_lock = threading.Lock()  # one Open JTalk call at a time
        self._lock = threading.Lock()
        self._mp3_cache: dict[tuple[str, str, float], tuple[bytes, float]] = {}
        self._handlers: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- URLs ------------------------------------------------------------------------------

    @property
    def wss_url(self) -> str:
        """What edge_tts.communicate.WSS_URL becomes; the client appends its own parameters."""
        return f"ws://127.0.0.1:{self.port}{WSS_PATH}?TrustedClientToken={TRUSTED_CLIENT_TOKEN}"

    @property
    def voices_url(self) -> str:
        """What edge_tts.voices.VOICE_LIST becomes; the client appends &Sec-MS-GEC=..."""
        return (
            f"http://127.0.0.1:{self.port}{VOICES_PATH}?trustedclienttoken={TRUSTED_CLIENT_TOKEN}"
        )

    def patch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Point edge-tts (its module constants, and yomiage's YOMIAGE_EDGE_* variables) at the
        stand-in, with no proxy and no clock skew left by other tests."""
        import edge_tts.communicate
        import edge_tts.drm
        import edge_tts.voices

        monkeypatch.setattr(edge_tts.communicate, "WSS_URL", self.wss_url)
        monkeypatch.setattr(edge_tts.voices, "VOICE_LIST", self.voices_url)
        monkeypatch.setattr(edge_tts.drm.DRM, "clock_skew_seconds", 0.0)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "WS_PROXY", "WSS_PROXY", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(name.lower(), raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        # where yomiage's edge engine looks for the service (tests/conftest.py closes them)
        monkeypatch.setenv("YOMIAGE_EDGE_WSS_URL", self.wss_url)
        monkeypatch.setenv("YOMIAGE_EDGE_VOICES_URL", self.voices_url)

    # -- faults and records ----------------------------------------------------------------

    def fail_next(self, kind: FaultKind, times: int = 1, **options: Any) -> None:
        """Answer the next `times` connections (one per edge-tts request) with a fault.

        - "drop": send `after_messages` (1) audio messages, then close the TCP connection
          with no close frame and no turn.end (`clean=True` sends a close frame instead);
        - "no_audio": turn.start then turn.end, no audio;
        - "slow": wait `seconds` (5.0) before answering the SSML request, or with
          `stage="handshake"` before answering the WebSocket upgrade;
        - "status": refuse the upgrade with HTTP `status` (503), with a Date header from
          the stand-in's clock plus `skew_s` (0);
        - "close_immediately": accept the upgrade, then close at once.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.extend(_Fault(kind, dict(options)) for _ in range(times))

    def fail_text(self, text: str, kind: SilentFault, **options: Any) -> None:
        """Answer every request whose text contains `text` wrongly, with no sign of it.

        - "cut_short": only the first `keep` (0.4) of its audio;
        - "other_words": the audio of `words` (another sentence) instead.
        """
        if kind not in SILENT_FAULTS:
            raise ValueError(f"unknown silent fault {kind!r}; one of {', '.join(SILENT_FAULTS)}")
        with self._lock:
            self._text_faults[text] = _Fault(kind, dict(options))

    def clear(self) -> None:
        """Forget the recorded requests and any queued or per-text faults."""
        with self._lock:
            self.requests.clear()
            self.rejected.clear()
            self._faults.clear()
            self._text_faults.clear()
            self.connections = 0
            self.voice_list_calls = 0
            self.max_in_flight = 0

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def audio_seconds(self, text: str, rate: str = "+0%") -> float:
        """How long the stand-in speaks `text` at prosody `rate`."""
        seconds = max(self.min_seconds, self.seconds_per_char * len(text))
        return seconds / _rate_factor(rate)

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> EdgeStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Listen (again): on a free port the first time, on the same port after stop()."""
        if self._loop is None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._thread = threading.Thread(
                target=loop.run_forever, name="edge-standin", daemon=True
            )
            self._thread.start()
        if self._runner is not None:
            return
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)

    def stop(self) -> None:
        """Stop listening: connections are refused until start() is called again."""
        if self._loop is not None and self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)

    def close(self) -> None:
        self.stop()
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()
        self._loop = None
        self._thread = None

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get(WSS_PATH, self._speech)
        app.router.add_get(VOICES_PATH, self._voices)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._runner = runner

    async def _stop(self) -> None:
        runner, self._runner = self._runner, None
        for task in list(self._handlers):
            task.cancel()
        if runner is not None:
            await runner.cleanup()

    # -- the voices list -------------------------------------------------------------------

    async def _voices(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self.voice_list_calls += 1
        refused = self._check_query(request, "trustedclienttoken")
        if refused is not None:
            return refused
        return web.Response(
            text=json.dumps(VOICES, ensure_ascii=False),
            content_type="application/json",
            headers={"Date": self._http_date()},
        )

    # -- the WebSocket ---------------------------------------------------------------------

    async def _speech(self, request: web.Request) -> web.StreamResponse:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            return await self._speech_session(request)
        finally:
            self._handlers.discard(task)

    async def _speech_session(self, request: web.Request) -> web.StreamResponse:
        with self._lock:
            self.connections += 1
            fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.kind == "status":
            status = int(fault.options.get("status", 503))
            with self._lock:
                self.rejected.append(status)
            skew = float(fault.options.get("skew_s", 0.0))
            return web.Response(status=status, headers={"Date": self._http_date(skew)})
        if fault is not None and fault.kind == "slow" and fault.options.get("stage") == "handshake":
            await asyncio.sleep(float(fault.options.get("seconds", 5.0)))
        refused = self._check_query(request, "TrustedClientToken")
        if refused is not None:
            return refused

        ws = web.WebSocketResponse(compress=True, max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        if fault is not None and fault.kind == "close_immediately":
            await ws.close()
            return ws
        connection = _Connection(request.query.get("ConnectionId", ""), fault)
        with contextlib.suppress(ConnectionError):  # the client went away mid-answer
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                headers, body = _parse_text_frame(message.data)
                path = headers.get("Path")
                if path == "speech.config":
                    _configure(connection, body)
                elif path == "ssml":
                    fault, connection.fault = connection.fault, None  # one request only
                    frame = message.data
                    if not await self._answer(ws, request, connection, headers, frame, fault):
                        break
        return ws

    async def _answer(
        self,
        ws: web.WebSocketResponse,
        http: web.Request,
        connection: _Connection,
        headers: dict[str, str],
        frame: str,
        fault: _Fault | None,
    ) -> bool:
        """Answer one SSML request; False when the connection was closed on purpose."""
        _, ssml = frame.split("\r\n\r\n", 1)
        parsed = _parse_ssml(ssml)
        request_id = headers.get("X-RequestId", uuid.uuid4().hex)
        silent = self._text_fault(parsed["text"])
        record = Request(
            text=parsed["text"],
            escaped_text=parsed["escaped_text"],
            text_bytes=len(parsed["escaped_text"].encode("utf-8")),
            ssml=ssml,
            message_bytes=len(frame.encode("utf-8")),
            voice=parsed["voice"],
            short_voice=_short_voice(parsed["voice"]),
            rate=parsed["rate"],
            pitch=parsed["pitch"],
            volume=parsed["volume"],
            boundaries=connection.boundaries,
            output_format=connection.output_format,
            request_id=request_id,
            connection_id=connection.connection_id,
            fault=fault.kind if fault is not None else silent.kind if silent else None,
        )
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            if self.pace_s:
                await asyncio.sleep(self.pace_s * self.audio_seconds(record.text, record.rate))
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(float(fault.options.get("seconds", 5.0)))
            return await self._speak(ws, http, record, fault)
        finally:
            with self._lock:
                self._in_flight -= 1

    async def _speak(
        self, ws: web.WebSocketResponse, http: web.Request, record: Request, fault: _Fault | None
    ) -> bool:
        rid = record.request_id
        turn_start = {"context": {"serviceTag": uuid.uuid4().hex}}
        await ws.send_str(_text_frame(rid, "turn.start", json.dumps(turn_start)))
        known = any(voice["Name"] == record.voice for voice in VOICES)
        if (fault is None or fault.kind != "no_audio") and known:
            silent = self._text_fault(record.text)
            said = str(silent.options["words"]) if silent and silent.kind == "other_words" else ""
            keep = float(silent.options.get("keep", 0.4)) if silent else 1.0
            if silent is None or silent.kind != "cut_short":
                keep = 1.0
            mp3, seconds = await asyncio.to_thread(
                self._mp3, said or record.text, record.rate, keep
            )
            # The boundaries are those of the text asked for, whatever the audio holds.
            metadata = _boundaries(record.text, seconds, record.boundaries)
            stream_id = uuid.uuid4().hex.upper()
            frame_bytes = _frame_length(mp3)
            step = FRAMES_PER_MESSAGE * frame_bytes
            bytes_per_tick = BITRATE_KBPS * 1000 / 8 / TICKS_PER_SECOND
            drop_after = (
                int(fault.options.get("after_messages", 1))
                if fault is not None and fault.kind == "drop"
                else None
            )
            for sent, start in enumerate(range(0, len(mp3), step)):
                if drop_after is not None and sent >= drop_after:
                    assert fault is not None
                    await self._drop(ws, http, clean=bool(fault.options.get("clean", False)))
                    return False
                chunk_end_ticks = (start + step) / bytes_per_tick
                while metadata and metadata[0]["Data"]["Offset"] < chunk_end_ticks:
                    body = json.dumps({"Metadata": [metadata.pop(0)]}, ensure_ascii=False)
                    await ws.send_str(_text_frame(rid, "audio.metadata", body))
                await ws.send_bytes(_audio_frame(rid, stream_id, mp3[start : start + step]))
            for entry in metadata:
                body = json.dumps({"Metadata": [entry]}, ensure_ascii=False)
                await ws.send_str(_text_frame(rid, "audio.metadata", body))
            await ws.send_bytes(_audio_frame(rid, stream_id, b""))
        await ws.send_str(_text_frame(rid, "turn.end", "{}"))
        return True

    @staticmethod
    async def _drop(ws: web.WebSocketResponse, http: web.Request, *, clean: bool) -> None:
        if clean:
            await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"dropped")
            return
        transport = http.transport
        if transport is not None:
            transport.close()  # flushes what was sent, then FIN: no close frame

    # -- helpers ---------------------------------------------------------------------------

    def _now(self) -> float:
        return time.time() + self.clock_offset_s

    def _http_date(self, skew_s: float = 0.0) -> str:
        return email.utils.formatdate(self._now() + skew_s, usegmt=True)

    def _check_query(self, request: web.Request, token_key: str) -> web.Response | None:
        """403 with the service's Date, as the real service answers a stale Sec-MS-GEC."""
        query = request.query
        ok = query.get(token_key) == TRUSTED_CLIENT_TOKEN and "Sec-MS-GEC-Version" in query
        if ok and self.check_token:
            ok = query.get("Sec-MS-GEC", "") in _valid_tokens(self._now())
        if ok:
            return None
        with self._lock:
            self.rejected.append(403)
        return web.Response(status=403, headers={"Date": self._http_date()})

    def _text_fault(self, text: str) -> _Fault | None:
        with self._lock:
            return next((f for t, f in self._text_faults.items() if t in text), None)

    def _mp3(self, text: str, rate: str, keep: float = 1.0) -> tuple[bytes, float]:
        """The MP3 of `text` at prosody `rate`, only its first `keep` part; and the whole length."""
        key = (text, rate, keep)
        with self._lock:
            cached = self._mp3_cache.get(key)
        if cached is not None:
            return cached
        speech = self._speech_samples(text, rate)
        pcm = (speech[: round(len(speech) * keep)] * 32767).astype("<i2").tobytes()
        with tempfile.TemporaryDirectory(prefix="edge-standin-") as folder:
            path = Path(folder) / "speech.mp3"
            with Mp3Encoder(path, SAMPLE_RATE, BITRATE_KBPS, 1) as encoder:
                encoder.write(pcm)
            answer = (_strip_info_frame(path.read_bytes()), len(speech) / SAMPLE_RATE)
        with self._lock:
            self._mp3_cache[key] = answer
        return answer

    def _speech_samples(self, text: str, rate: str) -> npt.NDArray[np.float32]:
        if self.speech == "tone":
            return _voiced_tone(text, round(self.audio_seconds(text, rate) * SAMPLE_RATE))
        import pyopenjtalk

        with self._tts_lock:
            samples, rate_hz = pyopenjtalk.tts(text, speed=_rate_factor(rate))
        # Open JTalk speaks at 48 kHz on an int16 scale that may exceed it: bring the peak to -6 dB.
        spoken = Audio(np.asarray(samples, np.float32), int(rate_hz))
        speech = resample(spoken, SAMPLE_RATE).samples
        peak = float(np.max(np.abs(speech))) if len(speech) else 0.0
        return (speech * (0.5 / peak if peak else 0.0)).astype(np.float32)


# -- the wire format -------------------------------------------------------------------------


def _text_frame(request_id: str, path: str, body: str) -> str:
    return (
        f"X-RequestId:{request_id}\r\n"
        "Content-Type:application/json; charset=utf-8\r\n"
        f"Path:{path}\r\n\r\n{body}"
    )


def _audio_frame(request_id: str, stream_id: str, data: bytes) -> bytes:
    """Binary audio message; the closing one has no data and no Content-Type."""
    content_type = "Content-Type:audio/mpeg\r\n" if data else ""
    headers = (
        f"X-RequestId:{request_id}\r\n{content_type}X-StreamId:{stream_id}\r\nPath:audio\r\n"
    ).encode("ascii")
    return len(headers).to_bytes(2, "big") + headers + data


def _parse_text_frame(frame: str) -> tuple[dict[str, str], str]:
    head, _, body = frame.partition("\r\n\r\n")
    headers: dict[str, str] = {}
    for line in head.split("\r\n"):
        key, _, value = line.partition(":")
        headers[key.strip()] = value.strip()
    return headers, body


def _configure(connection: _Connection, body: str) -> None:
    try:
        synthesis = json.loads(body)["context"]["synthesis"]["audio"]
    except (ValueError, KeyError, TypeError):
        return
    options = synthesis.get("metadataoptions", {})
    boundaries = []
    if str(options.get("sentenceBoundaryEnabled", "false")).lower() == "true":
        boundaries.append("SentenceBoundary")
    if str(options.get("wordBoundaryEnabled", "false")).lower() == "true":
        boundaries.append("WordBoundary")
    connection.boundaries = tuple(boundaries)
    connection.output_format = str(synthesis.get("outputFormat", OUTPUT_FORMAT))


_VOICE = re.compile(r"<voice\s+name=['\"]([^'\"]*)['\"]\s*>")
_PROSODY = re.compile(r"<prosody\s+([^>]*)>(.*)</prosody>", re.DOTALL)
_ATTRIBUTE = re.compile(r"(\w+)=['\"]([^'\"]*)['\"]")


def _parse_ssml(ssml: str) -> dict[str, str]:
    voice = _VOICE.search(ssml)
    prosody = _PROSODY.search(ssml)
    attributes = dict(_ATTRIBUTE.findall(prosody.group(1))) if prosody else {}
    escaped_text = prosody.group(2) if prosody else re.sub(r"<[^>]*>", "", ssml)
    return {
        "voice": voice.group(1) if voice else "",
        "rate": attributes.get("rate", "+0%"),
        "pitch": attributes.get("pitch", "+0Hz"),
        "volume": attributes.get("volume", "+0%"),
        "escaped_text": escaped_text,
        "text": unescape(escaped_text),
    }


def _short_voice(voice: str) -> str:
    """'Microsoft Server Speech Text to Speech Voice (ja-JP, NanamiNeural)' -> 'ja-JP-NanamiNeural'."""
    match = re.fullmatch(r"Microsoft Server Speech Text to Speech Voice \(([^,]+),\s*(.+)\)", voice)
    return f"{match.group(1)}-{match.group(2)}" if match else voice


def _rate_factor(rate: str) -> float:
    match = re.fullmatch(r"([+-]\d+)%", rate)
    return max(0.25, 1 + int(match.group(1)) / 100) if match else 1.0


def _valid_tokens(now: float) -> set[str]:
    """Sec-MS-GEC for the service's five-minute window and its neighbours."""
    from edge_tts.drm import generate_sec_ms_gec_v2

    return {generate_sec_ms_gec_v2(now + shift) for shift in (-300, 0, 300)}


# -- the audio -------------------------------------------------------------------------------

_SENTENCE_END = "。！？!?\n"
_PUNCTUATION = set("、。，．,.！？!?「」『』（）()[]{}<>＜＞・…―ー〜~：:；;\"' \u3000\n\t")


def _voiced_tone(text: str, samples: int) -> npt.NDArray[np.float32]:
    """A pulse-rich tone, one syllable-like swell per character, its pitch set by the character.

    Punctuation and spaces are pauses. Deterministic: the same text gives the same samples.
    """
    out = np.zeros(samples, np.float32)
    if samples == 0:
        return out
    characters = text or " "
    bounds = np.linspace(0, samples, len(characters) + 1).astype(int)
    f0 = np.full(samples, 140.0)
    gain = np.zeros(samples)
    for character, start, end in zip(characters, bounds[:-1], bounds[1:], strict=True):
        if end <= start or (character in _PUNCTUATION and character != "ー"):
            continue
        length = end - start
        f0[start:end] = 110 + zlib.crc32(character.encode("utf-8")) % 90
        gain[start:end] = np.sin(np.pi * np.arange(length) / length) ** 0.6
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voice = sum(np.sin(k * phase) / k for k in range(1, 12))
    out[:] = 0.25 * voice * gain
    return out


def _boundaries(text: str, seconds: float, kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """audio.metadata entries, in order of offset: sentences and/or word-like runs."""
    ticks_per_char = seconds * TICKS_PER_SECOND / max(1, len(text))
    entries: list[tuple[int, int, str]] = []
    if "SentenceBoundary" in kinds:
        entries += [(start, end, "SentenceBoundary") for start, end in _sentences(text)]
    if "WordBoundary" in kinds:
        entries += [(start, end, "WordBoundary") for start, end in _words(text)]
    entries.sort()
    metadata = []
    for start, end, kind in entries:
        spoken = escape(text[start:end])  # edge-tts unescapes what it gets
        metadata.append(
            {
                "Type": kind,
                "Data": {
                    "Offset": round(start * ticks_per_char),
                    "Duration": round((end - start) * ticks_per_char),
                    "text": {"Text": spoken, "Length": len(spoken), "BoundaryType": kind},
                },
            }
        )
    return metadata


def _sentences(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for index, character in enumerate(text):
        if character in _SENTENCE_END:
            if text[start : index + 1].strip():
                yield start, index + 1
            start = index + 1
    if text[start:].strip():
        yield start, len(text)


def _script(character: str) -> str:
    code = ord(character)
    if character in _PUNCTUATION and character != "ー":
        return ""
    if 0x3040 <= code <= 0x309F:
        return "hiragana"
    if 0x30A0 <= code <= 0x30FF:
        return "katakana"
    if 0x4E00 <= code <= 0x9FFF or character in "々〆":
        return "kanji"
    return "other"


def _words(text: str) -> Iterator[tuple[int, int]]:
    """Runs of one script: a crude stand-in for the service's Japanese word breaking."""
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or _script(text[index]) != _script(text[start]):
            if _script(text[start]):
                yield start, index
            start = index


# MPEG-2 Layer III (24 kHz) bitrates, kbit/s, by index; MPEG-1 for completeness.
_BITRATES = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def _frame_length(mp3: bytes, at: int = 0) -> int:
    """Bytes of the MP3 frame at `at`, from its header."""
    b1, b2 = mp3[at + 1], mp3[at + 2]
    if mp3[at] != 0xFF or b1 & 0xE0 != 0xE0 or (b1 >> 1) & 3 != 1:
        raise ValueError(f"no MPEG Layer III frame header at byte {at}")
    version = (b1 >> 3) & 3
    bitrate = _BITRATES[3 if version == 3 else 2][b2 >> 4] * 1000
    rate = _SAMPLE_RATES[version][(b2 >> 2) & 3]
    padding = (b2 >> 1) & 1
    return (144 if version == 3 else 72) * bitrate // rate + padding


def _strip_info_frame(mp3: bytes) -> bytes:
    """Drop the encoder's Xing/Info frame: the service streams bare audio frames."""
    first = _frame_length(mp3)
    if b"Xing" in mp3[:first] or b"Info" in mp3[:first]:
        return mp3[first:]
    return mp3


def run_standin_forever() -> None:  # pragma: no cover - for trying it by hand
    with EdgeStandIn() as standin:
        print(standin.wss_url, standin.voices_url, sep="\n")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":  # pragma: no cover
    run_standin_forever()
