"""Microsoft Edge's online neural voices, through the edge-tts client.

Every text is cut into pieces the service accepts (edge_split), each piece is
one WebSocket request, and at most `in_flight` requests run at once on an
asyncio loop in a background thread; the pipeline, plain sync code, gets each
text's audio through a queue as soon as all its pieces are back. A request
that fails on the network or the service's side is tried again with
exponential backoff; a text that still fails ends synthesis with a
SynthesisError, after every text finished before it was handed over.

The service address comes from YOMIAGE_EDGE_WSS_URL and YOMIAGE_EDGE_VOICES_URL
when set (tests point them at a stand-in), otherwise from edge-tts itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import queue
import random
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import edge_tts
import edge_tts.communicate
import edge_tts.constants
import edge_tts.voices
import numpy as np
from edge_tts.data_classes import TTSConfig
from edge_tts.exceptions import EdgeTTSException, UnknownResponse
from edge_tts.typing import Voice

from yomiage.audio.ffmpeg import decode_to_samples
from yomiage.audio.samples import Audio, Samples
from yomiage.engines.base import VoiceInfo as BaseVoiceInfo
from yomiage.engines.edge_split import split_for_edge
from yomiage.errors import AudioError, ConfigError, SynthesisError
from yomiage.files import safeyaml

if TYPE_CHECKING:
    from yomiage.config import Config, VoiceSettings

RATE = 24_000  # audio-24khz-48kbitrate-mono-mp3, what edge-tts asks the service for
# Relative pitch is given in Hz: semitones are turned into Hz around a typical voice.
REFERENCE_PITCH_HZ = 200.0
WSS_URL_ENV = "YOMIAGE_EDGE_WSS_URL"
VOICES_URL_ENV = "YOMIAGE_EDGE_VOICES_URL"
SHIPPED_VOICES = "edge_voices.yaml"


# ---------------------------------------------------------------- settings


def edge_prosody(voice: VoiceSettings) -> tuple[str, str, str]:
    """(rate, pitch, volume) as edge-tts takes them, from our speed, semitones and dB.

    speed 1.25 -> "+25%"; pitch +2 semitones -> "+24Hz" (around a 200 Hz voice);
    volume -6 dB -> "-50%" (amplitude). Checked by edge-tts's own TTSConfig.
    """
    rate = f"{round((voice.speed - 1) * 100):+d}%"
    pitch = f"{round(REFERENCE_PITCH_HZ * (2 ** (voice.pitch / 12) - 1)):+d}Hz"
    volume = f"{round((10 ** (voice.volume / 20) - 1) * 100):+d}%"
    _check_tts_config(edge_tts.constants.DEFAULT_VOICE, rate, pitch, volume)
    return rate, pitch, volume


def _check_tts_config(voice: str, rate: str, pitch: str, volume: str) -> None:
    try:
        TTSConfig(voice, rate, volume, pitch, "SentenceBoundary")
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"edge-tts refuses the voice settings: {exc}") from None


def service_url() -> str:
    """The WebSocket address of the speech service: YOMIAGE_EDGE_WSS_URL or edge-tts's own."""
    return _with_token(
        os.environ.get(WSS_URL_ENV), edge_tts.constants.WSS_URL, "TrustedClientToken"
    )


def voices_url() -> str:
    """The address of the voice list: YOMIAGE_EDGE_VOICES_URL or edge-tts's own."""
    return _with_token(
        os.environ.get(VOICES_URL_ENV), edge_tts.constants.VOICE_LIST, "trustedclienttoken"
    )


def _with_token(override: str | None, default: str, key: str) -> str:
    # edge-tts appends "&ConnectionId=..." and the like, so the address needs a query.
    if not override:
        return default
    if "?" in override:
        return override
    return f"{override}?{key}={edge_tts.constants.TRUSTED_CLIENT_TOKEN}"


# ---------------------------------------------------------------- voices


@dataclass(frozen=True)
class VoiceInfo:
    name: str  # what edge.voice takes: ja-JP-NanamiNeural
    gender: str
    friendly_name: str  # Microsoft Nanami Online (Natural) - Japanese (Japan)


def japanese_voices(timeout_s: float = 5.0) -> tuple[list[VoiceInfo], bool]:
    """The service's ja-JP voices and True; the shipped list and False when it cannot be reached."""
    try:
        voices = _run_soon(_list_voices(), timeout_s)
        found = [
            VoiceInfo(v["ShortName"], v["Gender"], v["FriendlyName"])
            for v in voices
            if v.get("Locale") == "ja-JP"
        ]
    except (*_SERVICE_ERRORS, KeyError, TypeError, AttributeError):  # unreachable, or odd
        return shipped_voices(), False
    return sorted(found, key=lambda v: v.name), True


async def _list_voices() -> list[Voice]:
    # edge_tts.voices reads VOICE_LIST when it builds the request.
    edge_tts.voices.VOICE_LIST = voices_url()  # type: ignore[attr-defined]
    return await edge_tts.list_voices()


def shipped_voices() -> list[VoiceInfo]:
    text = (resources.files("yomiage") / "data" / SHIPPED_VOICES).read_text("utf-8")
    return [
        VoiceInfo(str(v["name"]), str(v["gender"]), str(v["friendly_name"]))
        for v in safeyaml.safe_load(text)["voices"]
    ]


# ---------------------------------------------------------------- the engine


class _Truncated(Exception):
    """The connection ended before the service said the turn was over."""


# What a request may fail with that is worth trying again (see _retryable).
_SERVICE_ERRORS = (
    aiohttp.ClientError,
    asyncio.TimeoutError,
    OSError,  # TimeoutError, ConnectionResetError
    EdgeTTSException,
    _Truncated,
    ValueError,  # a garbled answer: bad JSON in the voice list
)


class _PieceFailed(Exception):
    """A piece failed for good: after how many attempts, and the last error."""

    def __init__(self, attempts: int, error: BaseException) -> None:
        super().__init__(attempts, error)
        self.attempts = attempts
        self.error = error


class EdgeEngine:
    name = "edge"
    spells_latin = False  # the neural voices read English words themselves
    deterministic = False  # a new request is a new take
    _answered = False  # the service spoke for probe() once: no need to ask again

    # Backoff before retry n (0-based): base * 2**n, +-25 %, at most max_delay_s.
    retry_base_s = 0.5
    retry_max_delay_s = 8.0

    def __init__(
        self,
        voice_settings: VoiceSettings,
        voice: str = "ja-JP-NanamiNeural",
        *,
        host_voice: str | None = None,
        in_flight: int = 4,
        retries: int = 3,
        timeout_s: float = 20.0,
        max_bytes: int = 3000,
    ) -> None:
        self.rate, self.pitch, self.volume = edge_prosody(voice_settings)
        for key, name in (("edge.voice", voice), ("edge.host_voice", host_voice)):
            try:
                if name is not None:
                    TTSConfig(name, self.rate, self.volume, self.pitch, "SentenceBoundary")
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{key} {name!r} is not an edge-tts voice name (like ja-JP-NanamiNeural)"
                ) from None
        if in_flight < 1 or retries < 0 or timeout_s <= 0:
            raise ConfigError("edge: in_flight must be >= 1, retries >= 0 and timeout_s > 0")
        self.voice = voice
        self.host_voice = host_voice
        self.in_flight = in_flight
        self.retries = retries
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes

    @classmethod
    def from_config(cls, config: Config) -> EdgeEngine:
        edge = config.edge
        return cls(
            config.voice,
            edge.voice,
            host_voice=edge.host_voice,
            in_flight=edge.in_flight,
            retries=edge.retries,
            timeout_s=edge.timeout_s,
        )

    def identity(self, voice: str | None = None) -> str:
        return (
            f"edge/edge-tts {edge_tts.__version__}/{voice or self.voice}"
            f"/rate={self.rate}/pitch={self.pitch}/volume={self.volume}"
        )

    def probe(self, timeout_s: float = 3.0) -> str | None:
        """None when the service speaks a tiny text within `timeout_s`, else why not.

        Once it has answered, it is not asked again: `auto` probes, then the
        check before synthesis would otherwise send a second request.
        """
        if self._answered:
            return None

        async def speak_once() -> bytes:
            # The retries synthesis makes, as far as the deadline allows: a service
            # that drops the first connection is not "unreachable".
            deadline = asyncio.get_running_loop().time() + timeout_s
            return await self._piece_mp3("あ", self.voice, asyncio.Semaphore(1), deadline)

        try:
            _run_soon(speak_once(), timeout_s + 1.0)  # the deadline inside ends it first
        except _PieceFailed as failed:
            return f"cannot reach the edge-tts service ({_describe(failed.error)})"
        except _SERVICE_ERRORS as exc:
            return f"cannot reach the edge-tts service ({_describe(exc)})"
        self._answered = True
        return None

    def voices(self) -> tuple[list[BaseVoiceInfo], str | None]:
        voices, from_service = japanese_voices()
        listed = [BaseVoiceInfo(v.name, v.gender, v.friendly_name) for v in voices]
        return (
            listed,
            None if from_service else "the edge-tts service does not answer: the shipped list",
        )

    # -- synthesis --------------------------------------------------------------------

    def synthesize(
        self, texts: Sequence[str], voices: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Audio]]:
        texts = list(texts)
        if not texts:
            return
        spoken_in = list(voices) if voices is not None else [self.voice] * len(texts)
        results: queue.Queue[tuple[int, Audio] | BaseException | None] = queue.Queue()
        runner = _LoopThread(lambda: self._speak_all(texts, spoken_in, results.put))
        runner.start()
        try:
            for _ in texts:
                result = _next_result(results, runner)
                if result is None:
                    raise SynthesisError("edge-tts stopped before every text was spoken")
                if isinstance(result, BaseException):
                    raise result
                yield result
        finally:
            runner.stop()

    async def _speak_all(
        self,
        texts: list[str],
        voices: list[str],
        put: Callable[[tuple[int, Audio] | BaseException | None], None],
    ) -> None:
        """Speak every text; put each (index, audio) as it finishes, then None or the error."""
        semaphore = asyncio.Semaphore(self.in_flight)
        tasks = [
            asyncio.ensure_future(self._speak_text(index, text, voice, semaphore))
            for index, (text, voice) in enumerate(zip(texts, voices, strict=True))
        ]
        try:
            for finished in asyncio.as_completed(tasks):
                put(await finished)
            put(None)
        except Exception as exc:  # handed to the caller's thread, which raises it
            put(exc)
        finally:
            await _cancel_all(tasks)

    async def _speak_text(
        self, index: int, text: str, voice: str, semaphore: asyncio.Semaphore
    ) -> tuple[int, Audio]:
        pieces = split_for_edge(text, self.max_bytes)
        if not pieces:  # nothing to pronounce: silence, as Open JTalk gives
            return index, Audio(np.zeros(0, np.float32), RATE)
        tasks = [
            asyncio.ensure_future(self._piece_mp3(piece, voice, semaphore)) for piece in pieces
        ]
        try:
            mp3s = await asyncio.gather(*tasks)
        except _PieceFailed as failed:
            times = "attempt" if failed.attempts == 1 else "attempts"
            raise SynthesisError(
                f"edge-tts failed on 「{_excerpt(text)}」 after {failed.attempts} {times}"
                f" ({_describe(failed.error)})",
                index,
            ) from failed.error
        finally:
            await _cancel_all(tasks)
        try:
            samples = await asyncio.to_thread(_decode, mp3s)
        except AudioError as exc:
            message = f"edge-tts audio for 「{_excerpt(text)}」: {exc}"
            raise SynthesisError(message, index) from exc
        return index, Audio(samples, RATE)

    async def _piece_mp3(
        self, piece: str, voice: str, semaphore: asyncio.Semaphore, deadline: float | None = None
    ) -> bytes:
        """One piece's MP3, tried up to 1 + retries times; by `deadline` (loop time) if given."""
        loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            attempt += 1
            left_s = self.timeout_s if deadline is None else deadline - loop.time()
            try:
                async with semaphore:
                    return await self._request(piece, voice, min(self.timeout_s, left_s))
            except _SERVICE_ERRORS as exc:
                delay = self.retry_delay(attempt - 1)
                too_late = deadline is not None and loop.time() + delay >= deadline
                if attempt > self.retries or not _retryable(exc) or too_late:
                    raise _PieceFailed(attempt, exc) from exc
            await asyncio.sleep(delay)

    def retry_delay(self, retry: int) -> float:
        delay = min(self.retry_max_delay_s, self.retry_base_s * 2.0**retry)
        return delay * random.uniform(0.75, 1.25)

    async def _request(self, piece: str, voice: str, timeout_s: float) -> bytes:
        """One request to the service: the MP3 bytes of `piece` in `voice`.

        `timeout_s` bounds the wait for each message (connecting included), not the
        whole answer, which for a long piece streams in over many seconds.
        """
        # edge-tts reads this module constant when it connects.
        edge_tts.communicate.WSS_URL = service_url()  # type: ignore[attr-defined]
        whole_seconds = max(1, math.ceil(timeout_s))
        communicate = edge_tts.Communicate(
            piece,
            voice,
            rate=self.rate,
            pitch=self.pitch,
            volume=self.volume,
            connect_timeout=whole_seconds,
            receive_timeout=whole_seconds,
        )
        audio = bytearray()
        stream = communicate.stream()
        try:
            while True:
                try:
                    chunk = await asyncio.wait_for(stream.__anext__(), timeout_s)
                except StopAsyncIteration:
                    break
                if chunk["type"] == "audio":
                    audio += chunk.get("data", b"")
        finally:
            await stream.aclose()
        # edge-tts moves a request's byte count to cumulative_audio_bytes at turn.end; bytes
        # still in chunk_audio_bytes mean the connection closed before the turn ended.
        if communicate.state["chunk_audio_bytes"]:
            raise _Truncated(f"connection closed after {len(audio)} bytes of audio")
        return bytes(audio)


def _retryable(exc: BaseException) -> bool:
    """Network trouble and the service's own errors; never a request it refused as bad."""
    if isinstance(exc, aiohttp.ClientResponseError):  # WSServerHandshakeError too
        return exc.status >= 500 or exc.status in (403, 429)
    return not isinstance(exc, (UnknownResponse, ValueError))


def _describe(exc: BaseException) -> str:
    """An error as a short line: no URLs with tokens, no tracebacks."""
    if isinstance(exc, aiohttp.ClientResponseError):
        text = f"HTTP {exc.status} {exc.message}".strip()
    elif isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        text = f"cannot connect to {exc.host}:{exc.port}: {reason}"
    elif isinstance(exc, asyncio.TimeoutError):
        text = "no answer in time"
    else:
        message = " ".join(str(exc).split())
        text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _excerpt(text: str, length: int = 20) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[:length] + "…"


def _decode(mp3s: list[bytes]) -> Samples:
    """The pieces' MP3s as one run of float32 samples at RATE."""
    with tempfile.TemporaryDirectory(prefix="yomiage-edge-") as folder:
        parts = []
        for number, mp3 in enumerate(mp3s):
            path = Path(folder) / f"piece{number}.mp3"
            path.write_bytes(mp3)
            parts.append(decode_to_samples(path, RATE))
    return np.concatenate(parts).astype(np.float32, copy=False)


async def _cancel_all(tasks: Sequence[asyncio.Future[Any]]) -> None:
    """Cancel what is still running and wait for it, so no task is left behind."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# ---------------------------------------------------------------- the loop thread


class _LoopThread:
    """An asyncio loop in a thread, running one coroutine; stop() cancels it and waits."""

    def __init__(self, make: Callable[[], Awaitable[None]]) -> None:
        self._make = make
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._main, name="yomiage-edge", daemon=True)
        self.done = threading.Event()
        self.failed: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def _main(self) -> None:
        try:
            with contextlib.suppress(asyncio.CancelledError):
                asyncio.run(self._run())
        except BaseException as exc:  # the loop died before reporting: never leave a waiter
            self.failed = exc
        finally:
            self.done.set()

    async def _run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._ready.set()
        await self._make()

    def stop(self) -> None:
        self._ready.wait(timeout=10)
        if self._loop is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(10)  # a daemon thread stuck in a resolver must not hold Ctrl-C


def _next_result(
    results: queue.Queue[tuple[int, Audio] | BaseException | None], runner: _LoopThread
) -> tuple[int, Audio] | BaseException | None:
    """The next result; if the loop thread died without one, its error (never a hang)."""
    while True:
        try:
            return results.get(timeout=1.0)
        except queue.Empty:
            if runner.done.is_set() and results.empty():
                return runner.failed or None


def _run_soon(awaitable: Awaitable[Any], timeout_s: float) -> Any:
    """Run a coroutine to the end within `timeout_s`, on a loop of its own."""

    async def bounded() -> Any:
        return await asyncio.wait_for(awaitable, timeout_s)

    outcome: list[Any] = []

    def main() -> None:
        try:
            outcome.append((True, asyncio.run(bounded())))
        except BaseException as exc:  # handed back to the caller's thread
            outcome.append((False, exc))

    # A thread of its own, so this works even when the caller runs an event loop.
    thread = threading.Thread(target=main, name="yomiage-edge-once", daemon=True)
    thread.start()
    # A resolver stuck in getaddrinfo (offline, a dead nameserver) outlives wait_for:
    # asyncio.run waits for its executor. Give up on the thread, not on the caller.
    thread.join(timeout_s + 1.0)
    if not outcome:
        raise TimeoutError(f"no answer in {timeout_s:g} s")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value
