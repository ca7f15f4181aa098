"""The Edge service stand-in speaks the protocol: the real edge-tts client runs against it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import edge_tts
import edge_tts.drm
import numpy as np
import pytest
from edge_standin import EdgeStandIn
from edge_tts.exceptions import NoAudioReceived
from edge_tts.typing import TTSChunk

from yomiage.audio.ffmpeg import decode_to_samples

TEXT = "こんにちは。今日は晴れです。"
NANAMI = "ja-JP-NanamiNeural"


@pytest.fixture(scope="module")
def shared_standin() -> Iterator[EdgeStandIn]:
    with EdgeStandIn() as standin:
        yield standin


@pytest.fixture
def standin(shared_standin: EdgeStandIn, monkeypatch: pytest.MonkeyPatch) -> EdgeStandIn:
    shared_standin.clear()
    shared_standin.delay_s = 0.0
    shared_standin.start()  # in case a test stopped it
    shared_standin.patch(monkeypatch)
    return shared_standin


def speak(text: str = TEXT, voice: str = NANAMI, **options: Any) -> list[TTSChunk]:
    async def collect() -> list[TTSChunk]:
        return [chunk async for chunk in edge_tts.Communicate(text, voice, **options).stream()]

    return asyncio.run(collect())


def audio_of(chunks: list[TTSChunk]) -> bytes:
    return b"".join(chunk["data"] for chunk in chunks if chunk["type"] == "audio")


def boundaries(chunks: list[TTSChunk]) -> list[tuple[str, float, str]]:
    return [(c["type"], c["offset"], c["text"]) for c in chunks if c["type"] != "audio"]


def decoded_seconds(mp3: bytes, tmp_path: Path) -> tuple[float, float]:
    """Duration and RMS of the MP3 as ffmpeg decodes it."""
    path = tmp_path / "speech.mp3"
    path.write_bytes(mp3)
    samples = decode_to_samples(path, 24_000)
    return len(samples) / 24_000, float(np.sqrt(np.mean(samples**2)))


def test_the_real_client_gets_mp3_and_sentence_boundaries(
    standin: EdgeStandIn, tmp_path: Path
) -> None:
    chunks = speak()

    audio = [chunk for chunk in chunks if chunk["type"] == "audio"]
    assert len(audio) > 1  # streamed over several binary messages, as the service does
    seconds, rms = decoded_seconds(audio_of(chunks), tmp_path)
    assert seconds == pytest.approx(0.12 * len(TEXT), abs=0.1)
    assert rms > 0.05  # a voiced tone, not silence
    # edge-tts 7 asks for sentence boundaries only, unless boundary="WordBoundary"
    assert boundaries(chunks) == [
        ("SentenceBoundary", 0, "こんにちは。"),
        ("SentenceBoundary", 6 * 0.12 * 10_000_000, "今日は晴れです。"),
    ]
    [request] = standin.requests
    assert (request.text, request.short_voice, request.rate) == (TEXT, NANAMI, "+0%")
    assert request.voice == "Microsoft Server Speech Text to Speech Voice (ja-JP, NanamiNeural)"
    assert (request.pitch, request.volume) == ("+0Hz", "+0%")
    assert request.text_bytes == len(TEXT.encode("utf-8"))
    assert request.message_bytes > len(request.ssml.encode("utf-8")) > request.text_bytes
    assert request.boundaries == ("SentenceBoundary",)
    assert request.output_format == "audio-24khz-48kbitrate-mono-mp3"
    assert request.fault is None
    assert standin.max_in_flight == 1


def test_word_boundaries_prosody_and_escaped_text(standin: EdgeStandIn, tmp_path: Path) -> None:
    text = "A&Bの<値>です。"
    chunks = speak(text, rate="+25%", pitch="-5Hz", volume="+10%", boundary="WordBoundary")

    [request] = standin.requests
    assert request.text == text
    assert request.escaped_text == "A&amp;Bの&lt;値&gt;です。"
    assert request.text_bytes == len(request.escaped_text.encode("utf-8"))
    assert (request.rate, request.pitch, request.volume) == ("+25%", "-5Hz", "+10%")
    assert request.boundaries == ("WordBoundary",)
    assert [(kind, word) for kind, _, word in boundaries(chunks)] == [
        ("WordBoundary", "A&B"),
        ("WordBoundary", "の"),
        ("WordBoundary", "値"),
        ("WordBoundary", "です"),
    ]
    seconds, _ = decoded_seconds(audio_of(chunks), tmp_path)
    assert seconds == pytest.approx(0.12 * len(text) / 1.25, abs=0.1)


def test_a_long_text_is_one_connection_per_4096_byte_piece(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "今日は晴れです。\n" * 300  # 7500 bytes: edge-tts sends two SSML requests
    with EdgeStandIn(seconds_per_char=0.005) as standin:
        standin.patch(monkeypatch)
        chunks = speak(text)

    assert len(standin.requests) == 2
    assert len({request.connection_id for request in standin.requests}) == 2
    assert all(request.text_bytes <= 4096 for request in standin.requests)
    sent = "".join(request.text for request in standin.requests)
    assert sent.replace("\n", "") == text.replace("\n", "")  # each piece is stripped
    offsets = [offset for _, offset, _ in boundaries(chunks)]
    assert len(offsets) == 300
    assert offsets == sorted(offsets)  # the client shifts the second piece by the first's bytes


def test_edge_tts_does_not_split_text_without_spaces_or_newlines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """edge-tts 7.3.1 looks for a UTF-8 split point in the whole remaining text rather than
    in its first 4096 bytes, so unbroken Japanese goes out as one oversized request."""
    text = "今日は晴れです。" * 300  # 7200 bytes, no space, no newline
    with EdgeStandIn(seconds_per_char=0.005) as standin:
        standin.patch(monkeypatch)
        speak(text)

    [request] = standin.requests
    assert request.text_bytes == 7200


def test_an_unknown_voice_gets_no_audio(standin: EdgeStandIn) -> None:
    with pytest.raises(NoAudioReceived):
        speak(voice="ja-JP-NoSuchNeural")
    assert standin.requests[0].short_voice == "ja-JP-NoSuchNeural"


def test_no_audio_and_close_immediately_raise_no_audio_received(standin: EdgeStandIn) -> None:
    standin.fail_next("no_audio")
    with pytest.raises(NoAudioReceived):
        speak()
    standin.fail_next("close_immediately")
    with pytest.raises(NoAudioReceived):
        speak()
    assert [request.fault for request in standin.requests] == ["no_audio"]
    assert standin.connections == 2
    assert speak()  # faults are used up


def test_status_503_raises_a_handshake_error(standin: EdgeStandIn) -> None:
    standin.fail_next("status", status=503)
    with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
        speak()
    assert raised.value.status == 503
    assert raised.value.headers is not None and "Date" in raised.value.headers
    assert standin.rejected == [503]
    assert standin.requests == []


@pytest.mark.parametrize("clean", [False, True])
def test_a_dropped_connection_truncates_the_audio_silently(
    standin: EdgeStandIn, clean: bool
) -> None:
    """edge-tts raises nothing when the connection ends before turn.end: it only checks that
    some audio came. Callers must check the audio against the text themselves."""
    whole = audio_of(speak())
    standin.fail_next("drop", after_messages=1, clean=clean)

    chunks = speak()

    assert 0 < len(audio_of(chunks)) < len(whole)
    assert [text for _, _, text in boundaries(chunks)] == ["こんにちは。"]  # one sentence lost
    assert standin.requests[-1].fault == "drop"


def test_drop_before_any_audio_raises_no_audio_received(standin: EdgeStandIn) -> None:
    standin.fail_next("drop", after_messages=0)
    with pytest.raises(NoAudioReceived):
        speak()


def test_slow_handshake_trips_the_receive_timeout(standin: EdgeStandIn) -> None:
    standin.fail_next("slow", seconds=3, stage="handshake")
    started = time.monotonic()
    with pytest.raises(aiohttp.ServerTimeoutError):  # also a TimeoutError
        speak(receive_timeout=1)
    assert time.monotonic() - started < 2.5


def test_slow_answer_is_not_bounded_by_receive_timeout(standin: EdgeStandIn) -> None:
    """aiohttp drops the session's sock_read timeout once the WebSocket is open (edge-tts
    passes none to ws_connect), so receive_timeout does not cover a service that stalls."""
    standin.fail_next("slow", seconds=2)

    async def stalled() -> None:
        async for _ in edge_tts.Communicate(TEXT, NANAMI, receive_timeout=1).stream():
            pass

    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):  # TimeoutError itself from Python 3.11
        asyncio.run(asyncio.wait_for(stalled(), 1.6))
    assert time.monotonic() - started >= 1.5  # the client's own 1 s never fired
    assert standin.requests[0].fault == "slow"


def test_a_403_is_retried_once_after_the_clock_check(standin: EdgeStandIn) -> None:
    standin.fail_next("status", status=403)
    assert audio_of(speak())
    assert standin.rejected == [403]
    assert standin.connections == 2
    assert len(standin.requests) == 1
    assert abs(edge_tts.drm.DRM.clock_skew_seconds) < 2  # the Date said "now"


def test_two_403s_in_a_row_fail(standin: EdgeStandIn) -> None:
    standin.fail_next("status", times=2, status=403)
    with pytest.raises(aiohttp.WSServerHandshakeError) as raised:
        speak()
    assert raised.value.status == 403


def test_a_skewed_service_clock_is_learnt_from_the_403(monkeypatch: pytest.MonkeyPatch) -> None:
    with EdgeStandIn(clock_offset_s=3600) as standin:
        standin.patch(monkeypatch)
        assert audio_of(speak())  # refused once (stale Sec-MS-GEC), then right
        assert audio_of(speak())  # the client keeps its corrected clock
        assert standin.rejected == [403]
        assert edge_tts.drm.DRM.clock_skew_seconds == pytest.approx(3600, abs=2)


def test_list_voices_has_the_japanese_voices(standin: EdgeStandIn) -> None:
    voices = asyncio.run(edge_tts.list_voices())
    japanese = {voice["ShortName"]: voice for voice in voices if voice["Locale"] == "ja-JP"}
    assert set(japanese) == {"ja-JP-NanamiNeural", "ja-JP-KeitaNeural"}
    assert japanese["ja-JP-NanamiNeural"]["Gender"] == "Female"
    assert japanese["ja-JP-KeitaNeural"]["Gender"] == "Male"
    assert len(voices) > len(japanese)
    manager = asyncio.run(edge_tts.VoicesManager.create())
    assert {v["ShortName"] for v in manager.find(Language="ja")} == set(japanese)


def test_stop_makes_it_unreachable_and_start_brings_it_back(standin: EdgeStandIn) -> None:
    url = standin.wss_url
    standin.stop()
    with pytest.raises(aiohttp.ClientConnectorError):
        speak()
    standin.start()
    assert standin.wss_url == url
    assert audio_of(speak())


def test_concurrent_requests_with_latency(standin: EdgeStandIn) -> None:
    standin.delay_s = 0.3
    speak()  # encode once: the stand-in caches audio per text

    async def many() -> list[list[TTSChunk]]:
        async def one() -> list[TTSChunk]:
            return [c async for c in edge_tts.Communicate(TEXT, NANAMI).stream()]

        return await asyncio.gather(*(one() for _ in range(4)))

    started = time.monotonic()
    results = asyncio.run(many())
    elapsed = time.monotonic() - started

    assert all(audio_of(chunks) for chunks in results)
    assert standin.max_in_flight == 4
    assert 0.3 <= elapsed < 2.5  # side by side: one after another would take 4 x the delay


def test_faults_are_quiet(standin: EdgeStandIn, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    standin.fail_next("drop")
    speak()
    standin.fail_next("close_immediately")
    with pytest.raises(NoAudioReceived):
        speak()
    standin.fail_next("status", status=503)
    with pytest.raises(aiohttp.WSServerHandshakeError):
        speak()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
