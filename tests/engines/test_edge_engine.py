"""EdgeEngine against a stand-in of the edge-tts service: the real edge-tts client, real MP3."""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from edge_standin import EdgeStandIn

from yomiage.config import VoiceSettings, load_config
from yomiage.engines.edge import (
    VOICES_URL_ENV,
    WSS_URL_ENV,
    EdgeEngine,
    edge_prosody,
    japanese_voices,
    service_url,
    shipped_voices,
)
from yomiage.errors import ConfigError, SynthesisError

NEUTRAL = VoiceSettings(speed=1.0, pitch=0.0, volume=0.0)
TEXTS = ["こんにちは。", "今日はとてもいい天気ですね。", "はい。", "それでは、始めましょう。"]
LONG_PARAGRAPH = "東京都の新しい図書館では子どもたちが本を読む時間を楽しんでいる" * 180


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[EdgeStandIn]:
    with EdgeStandIn() as server:
        server.patch(monkeypatch)  # no proxies, no clock skew left by another test
        monkeypatch.setenv(WSS_URL_ENV, server.wss_url)
        monkeypatch.setenv(VOICES_URL_ENV, server.voices_url)
        yield server


@pytest.fixture(autouse=True)
def _no_leftovers(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No 'Task was destroyed' or unretrieved exceptions, and the loop thread has ended."""
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        yield
    assert not [r for r in caplog.records if r.name == "asyncio"]
    assert not [t for t in threading.enumerate() if t.name.startswith("yomiage-edge")]


def engine(**options: object) -> EdgeEngine:
    voice = options.pop("voice_settings", NEUTRAL)
    made = EdgeEngine(voice, "ja-JP-NanamiNeural", **{"timeout_s": 5.0, **options})  # type: ignore[arg-type]
    made.retry_base_s = 0.01
    return made


_HELD: list[socket.socket] = []  # bound, never listening: connections are refused, always


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # kept bound, so no other test's server can take the port
    _HELD.append(sock)
    return int(sock.getsockname()[1])


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize(
    ("speed", "pitch", "volume", "expected"),
    [
        (1.0, 0.0, 0.0, ("+0%", "+0Hz", "+0%")),
        (1.25, 0.0, 0.0, ("+25%", "+0Hz", "+0%")),
        (0.5, -12.0, -20.0, ("-50%", "-100Hz", "-90%")),
        (2.0, 12.0, 6.0, ("+100%", "+200Hz", "+100%")),
        (1.0, 2.0, -6.0, ("+0%", "+24Hz", "-50%")),
    ],
)
def test_prosody_in_edge_tts_terms(
    speed: float, pitch: float, volume: float, expected: tuple[str, str, str]
) -> None:
    assert edge_prosody(VoiceSettings(speed, pitch, volume)) == expected


def test_a_bad_voice_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"edge\.voice 'Nanami'"):
        EdgeEngine(NEUTRAL, "Nanami")


def test_from_config_and_identity() -> None:
    config = load_config()
    made = EdgeEngine.from_config(config)
    assert (made.voice, made.in_flight, made.retries, made.timeout_s) == (
        config.edge.voice,
        config.edge.in_flight,
        config.edge.retries,
        config.edge.timeout_s,
    )
    assert made.name == "edge" and made.spells_latin is False
    faster = EdgeEngine.from_config(
        dataclasses.replace(config, voice=VoiceSettings(speed=1.1, pitch=0.0, volume=0.0))
    )
    assert made.identity().startswith("edge/edge-tts 7.")
    assert made.identity().endswith("/ja-JP-NanamiNeural/rate=+0%/pitch=+0Hz/volume=+0%")
    assert faster.identity() != made.identity()


def test_service_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WSS_URL_ENV, raising=False)
    assert service_url().startswith("wss://speech.platform.bing.com/")
    monkeypatch.setenv(WSS_URL_ENV, "ws://127.0.0.1:1/edge/v1")
    assert (
        service_url()
        == "ws://127.0.0.1:1/edge/v1?TrustedClientToken=6A5AA1D4EAFF4E9FB37E23D68491D6F4"
    )
    monkeypatch.setenv(WSS_URL_ENV, "ws://127.0.0.1:1/edge/v1?TrustedClientToken=x")
    assert service_url() == "ws://127.0.0.1:1/edge/v1?TrustedClientToken=x"


# ------------------------------------------------------------------ synthesis


def test_texts_come_back_in_completion_order_with_their_indexes(standin: EdgeStandIn) -> None:
    # Longer answers take longer (0.5 s per audio second: 0.15 s apart at the least), so
    # the order they finish in is the service's, not the scheduler's on a busy machine.
    standin.pace_s = 0.5
    results = list(engine(in_flight=4).synthesize(TEXTS))
    assert sorted(index for index, _ in results) == [0, 1, 2, 3]
    for index, audio in results:
        assert audio.rate == 24_000
        assert audio.seconds == pytest.approx(standin.audio_seconds(TEXTS[index]), abs=0.12)
    # all four ran at once, so the shortest ones finish first
    seconds = [audio.seconds for _, audio in results]
    assert seconds[0] < seconds[-1]
    sent = {request.text for request in standin.requests}
    assert sent == set(TEXTS)
    assert {r.short_voice for r in standin.requests} == {"ja-JP-NanamiNeural"}


def test_prosody_reaches_the_service(standin: EdgeStandIn) -> None:
    faster = engine(voice_settings=VoiceSettings(speed=1.25, pitch=2.0, volume=-6.0))
    [(_, audio)] = list(faster.synthesize(["速く話します。"]))
    [request] = standin.requests
    assert (request.rate, request.pitch, request.volume) == ("+25%", "+24Hz", "-50%")
    assert audio.seconds == pytest.approx(standin.audio_seconds("速く話します。", "+25%"), abs=0.12)


def test_nothing_to_pronounce_is_silence_without_a_request(standin: EdgeStandIn) -> None:
    [(index, audio)] = list(engine().synthesize(["😀……"]))
    assert index == 0 and audio.seconds == 0
    assert standin.requests == []


def test_a_long_paragraph_goes_out_in_pieces_under_the_limit(standin: EdgeStandIn) -> None:
    assert len(LONG_PARAGRAPH.encode()) > 16_000
    standin.seconds_per_char = 0.01  # ten seconds of audio a piece, not two minutes
    [(_, audio)] = list(engine().synthesize([LONG_PARAGRAPH]))
    assert len(standin.requests) >= 6
    assert all(request.text_bytes < 4096 for request in standin.requests)
    assert all(request.message_bytes < 4096 + 1024 for request in standin.requests)
    assert sorted("".join(r.text for r in standin.requests)) == sorted(LONG_PARAGRAPH)
    expected = sum(standin.audio_seconds(r.text) for r in standin.requests)
    assert audio.seconds == pytest.approx(expected, abs=0.1 * len(standin.requests))


@pytest.mark.parametrize(
    ("kind", "options", "times"),
    [
        ("drop", {}, 1),  # after one audio message, no close frame, no turn.end
        ("drop", {"clean": True}, 1),
        ("no_audio", {}, 1),
        ("close_immediately", {}, 1),
        ("slow", {"seconds": 8.0}, 1),
        ("slow", {"seconds": 8.0, "stage": "handshake"}, 1),
        ("status", {"status": 503}, 2),
        ("status", {"status": 429}, 1),
        ("status", {"status": 403}, 2),  # edge-tts itself retries a 403 once: 2 for ours
    ],
)
def test_faults_are_retried(
    standin: EdgeStandIn, kind: str, options: dict[str, object], times: int
) -> None:
    standin.fail_next(kind, times=times, **options)  # type: ignore[arg-type]
    started = time.monotonic()
    timeout_s = 1.0 if kind == "slow" else 10.0
    [(index, audio)] = list(
        engine(timeout_s=timeout_s, retries=3).synthesize(["こんにちは、世界。"])
    )
    assert time.monotonic() - started < 6.0  # a slow (8 s) answer is given up after timeout_s
    assert index == 0
    assert audio.seconds == pytest.approx(standin.audio_seconds("こんにちは、世界。"), abs=0.12)
    assert standin.pending_faults == 0
    assert standin.connections == times + 1  # the stand-in saw the extra attempts


def test_a_fault_beyond_the_retries_is_one_clear_line(standin: EdgeStandIn) -> None:
    standin.fail_next("status", times=10, status=503)
    with pytest.raises(SynthesisError) as caught:
        list(engine(retries=2).synthesize(["あいうえおかきくけこさしすせそたちつてと、なにぬねの"]))
    message = str(caught.value)
    assert message == (
        "edge-tts failed on 「あいうえおかきくけこさしすせそたちつてと…」 after 3 attempts"
        " (HTTP 503 Invalid response status)"
    )
    assert standin.connections == 3


def test_a_refused_request_is_not_retried(standin: EdgeStandIn) -> None:
    standin.fail_next("status", times=5, status=400)
    with pytest.raises(SynthesisError, match="after 1 attempt \\(HTTP 400"):
        list(engine(retries=4).synthesize(["こんにちは。"]))
    assert standin.connections == 1


def test_a_failure_midway_comes_after_the_finished_texts(standin: EdgeStandIn) -> None:
    standin.delay_s = 0.5  # each request takes half a second
    texts = ["一つ目。", "二つ目。", "三つ目。", "四つ目。"]
    got: list[int] = []
    synthesis = engine(in_flight=1, retries=2).synthesize(texts)
    with pytest.raises(SynthesisError, match=r"「[三四]つ目。」 after 3 attempts \(cannot connect"):
        for index, _ in synthesis:
            got.append(index)
            if len(got) == 2:  # the third text is on the wire now: the service goes away
                # (the fourth may use up its attempts first, while the third waits to retry)
                standin.stop()
    assert got == [0, 1]


def test_stopping_early_cancels_the_rest(standin: EdgeStandIn) -> None:
    standin.delay_s = 0.3
    synthesis = engine(in_flight=2).synthesize(["あ。", "い。", "う。", "え。", "お。", "か。"])
    first = next(synthesis)
    synthesis.close()  # the pipeline was interrupted
    assert first[0] in range(6)
    assert len(standin.requests) < 6


@pytest.mark.parametrize(("in_flight", "most"), [(1, 1), (4, 4)])
def test_in_flight_limits_requests_at_once(standin: EdgeStandIn, in_flight: int, most: int) -> None:
    standin.delay_s = 0.2
    texts = [f"{n}番目の文です。" for n in range(8)]
    assert len(list(engine(in_flight=in_flight).synthesize(texts))) == 8
    assert standin.max_in_flight == most


# ------------------------------------------------------------------ probe and voices


def test_probe_answers_none_when_the_service_speaks(standin: EdgeStandIn) -> None:
    assert engine().probe() is None
    assert [r.text for r in standin.requests] == ["あ"]


def test_probe_gives_a_reason_quickly_when_the_port_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(WSS_URL_ENV, f"ws://127.0.0.1:{closed_port()}/edge/v1")
    started = time.monotonic()
    reason = engine().probe(timeout_s=1.0)
    assert time.monotonic() - started < 4.0
    assert reason is not None
    assert reason.startswith("cannot reach the edge-tts service (cannot connect to 127.0.0.1:")


def test_probe_gives_up_on_a_silent_service(standin: EdgeStandIn) -> None:
    standin.fail_next("slow", seconds=5.0, stage="handshake")
    started = time.monotonic()
    reason = engine().probe(timeout_s=0.5)
    assert time.monotonic() - started < 4.0  # not the 5 s the service would take
    assert reason == "cannot reach the edge-tts service (no answer in time)"
    assert standin.connections == 1  # no retries


def test_japanese_voices_from_the_service(standin: EdgeStandIn) -> None:
    voices, from_service = japanese_voices()
    assert from_service
    assert [(v.name, v.gender) for v in voices] == [
        ("ja-JP-KeitaNeural", "Male"),
        ("ja-JP-NanamiNeural", "Female"),
    ]
    assert voices[1].friendly_name == "Microsoft Nanami Online (Natural) - Japanese (Japan)"
    assert standin.voice_list_calls == 1


def test_japanese_voices_fall_back_to_the_shipped_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VOICES_URL_ENV, f"http://127.0.0.1:{closed_port()}/voices/list")
    voices, from_service = japanese_voices(timeout_s=1.0)
    assert not from_service
    assert voices == shipped_voices()
    assert {v.name for v in voices} == {"ja-JP-NanamiNeural", "ja-JP-KeitaNeural"}
