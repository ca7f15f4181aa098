"""Open JTalk through pyopenjtalk-plus: offline, dictionary and voice in the wheel.

Open JTalk is single-threaded, so an episode's sentences are spread over a pool
of worker processes, one per core.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from importlib.metadata import version
from itertools import islice
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from typing import TypeVar

import numpy as np

from yomiage.audio.samples import Audio, Samples
from yomiage.config import Config, VoiceSettings
from yomiage.engines.base import VoiceInfo
from yomiage.errors import SynthesisError

T = TypeVar("T")
R = TypeVar("R")

# pyopenjtalk returns float64 samples on an int16 scale whose peaks can pass
# 32767; dividing (not clipping) keeps them, and mastering sets the level.
INT16_SCALE = 32768.0


@dataclass(frozen=True)
class _Request:
    text: str
    speed: float
    half_tone: float
    gain: float


def _speak(request: _Request) -> tuple[Samples, int]:
    """Runs in a worker process: one sentence to float32 samples."""
    import pyopenjtalk

    samples, rate = pyopenjtalk.tts(request.text, speed=request.speed, half_tone=request.half_tone)
    scaled = (np.asarray(samples, dtype=np.float64) * (request.gain / INT16_SCALE)).astype(
        np.float32
    )
    return scaled, int(rate)


def _warm_up(parent: int) -> None:
    """Die with the parent, then load the dictionary and voice before the first real sentence."""
    _die_with_parent(parent)
    import pyopenjtalk

    pyopenjtalk.g2p("あ")


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when its parent dies, even by SIGKILL.

    Without it a killed build leaves its workers running, each holding Open
    JTalk's dictionary and voice (about 168 MB). Elsewhere the pool's own
    shutdown is all there is.
    """
    if sys.platform != "linux":
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not allowed here (a sandbox): the pool's shutdown still ends the worker
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


VOICE = VoiceInfo("mei_normal", "Female", "Open JTalk's HTS voice, shipped in pyopenjtalk-plus")


class OpenJTalkEngine:
    name = "openjtalk"
    spells_latin = True
    deterministic = True  # the same text and settings give the same samples
    voice: str = VOICE.name  # its only voice: the show's lines are read in it too
    host_voice: str | None = None

    def __init__(self, settings: VoiceSettings, workers: int = 0) -> None:
        self.settings = settings
        self.workers = workers or usable_cores()

    @classmethod
    def from_config(cls, config: Config) -> OpenJTalkEngine:
        return cls(config.voice, config.engine.workers)

    def identity(self, voice: str | None = None) -> str:
        v = self.settings
        return (
            f"openjtalk/pyopenjtalk-plus {version('pyopenjtalk-plus')}/default voice"
            f"/speed={v.speed:g}/pitch={v.pitch:g}/volume={v.volume:g}"
        )

    def probe(self, timeout_s: float = 3.0) -> str | None:
        return None  # dictionary and voice are in the wheel

    def voices(self) -> tuple[list[VoiceInfo], str | None]:
        return [VOICE], None

    def synthesize(
        self, texts: Sequence[str], voices: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Audio]]:
        if voices is not None and set(voices) - {self.voice}:
            raise SynthesisError(f"Open JTalk has one voice, {self.voice}, not {set(voices)}")
        v = self.settings
        requests = [_Request(text, v.speed, v.pitch, 10 ** (v.volume / 20)) for text in texts]
        if self.workers <= 1 or len(requests) <= 2:
            for index, request in enumerate(requests):
                yield index, _audio_of(request, partial(_speak, request), index)
            return
        yield from self._synthesize_in_pool(requests)

    def _synthesize_in_pool(self, requests: list[_Request]) -> Iterator[tuple[int, Audio]]:
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(requests)),
            mp_context=_process_context(),
            initializer=_warm_up,
            initargs=(os.getpid(),),
        )
        try:
            for index, future in in_completion_order(pool, _speak, requests, self.workers):
                yield index, _audio_of(requests[index], future.result, index)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def in_completion_order(
    pool: Executor,
    speak: Callable[[T], R],
    requests: Sequence[T],
    workers: int,
) -> Iterator[tuple[int, Future[R]]]:
    """Submit `speak(request)` to the pool in the order given; yield (index, future) as each ends.

    The caller orders the requests (the pipeline: chapter by chapter, longest
    first within a chapter). A few requests per worker are in flight, not all:
    an interrupted build then has little work to throw away.
    """
    queue = iter(range(len(requests)))
    pending = {pool.submit(speak, requests[i]): i for i in islice(queue, 2 * workers)}
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield pending.pop(future), future
            for index in islice(queue, 1):
                pending[pool.submit(speak, requests[index])] = index


def usable_cores() -> int:
    """Cores this process may run on (sched_getaffinity is Linux-only)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _process_context() -> BaseContext:
    """fork where it is safe, spawn elsewhere.

    fork starts a worker in milliseconds where spawn spends a second importing,
    but a lock held by another Python thread would stay locked forever in the
    child, so fork is used only on Linux while no other Python thread runs (the
    CLI's progress bar has no refresh thread for this reason). Native threads
    of numpy's BLAS are fork-safe; Python 3.12+ still warns about them with a
    DeprecationWarning, which is expected.
    """
    if sys.platform == "linux" and threading.active_count() == 1:
        return get_context("fork")
    return get_context("spawn")


def _audio_of(
    request: _Request, produce: Callable[[], tuple[Samples, int]], position: int
) -> Audio:
    """Call `produce` and turn any engine failure into a SynthesisError naming the text."""
    try:
        samples, rate = produce()
    except BrokenProcessPool as exc:
        raise SynthesisError(f"Open JTalk worker process died ({exc})") from exc
    except Exception as exc:  # pyopenjtalk raises plain RuntimeError/ValueError
        message = f"Open JTalk failed on 「{request.text[:40]}」: {exc}"
        raise SynthesisError(message, position) from exc
    # Text Open JTalk cannot pronounce (a stray symbol) comes back empty: that
    # is silence to skip, not a failure.
    return Audio(samples=samples, rate=rate)
