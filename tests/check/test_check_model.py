"""The speech recognition model: the packaged Whisper base joined once, and clear failures."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest

from yomiage.check import model
from yomiage.check.model import INSTALL_HINT, choose_model, load_model, packaged_model_folder
from yomiage.config import load_config
from yomiage.errors import CheckError, ConfigError


def _part_sizes() -> int:
    total = 0
    for dist, files in model.PACKAGED_PARTS:
        distribution = metadata.distribution(dist)
        for file in distribution.files or ():
            if file.name.startswith("model.bin.part") and file.name in files:
                total += Path(str(distribution.locate_file(file))).stat().st_size
    return total


def test_the_packaged_model_is_joined_once_into_the_cache(tmp_path: Path) -> None:
    folder = packaged_model_folder(tmp_path)
    joined = folder / "model.bin"
    assert joined.stat().st_size == _part_sizes() > 100_000_000
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        assert (folder / name).stat().st_size > 1000
    before = joined.stat()
    assert packaged_model_folder(tmp_path) == folder
    after = joined.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no scratch left behind


def test_the_default_model_goes_to_the_folder_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(model.MODEL_CACHE_ENV, str(tmp_path / "cache"))
    choice = choose_model(None)
    assert Path(choice.source).parent == tmp_path / "cache"
    assert "whisper-base" in choice.label


def test_a_missing_model_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        model, "PACKAGED_PARTS", (("yomiage-no-such-model-package", ("model.bin.part1",)),)
    )
    with pytest.raises(CheckError, match="yomiage-no-such-model-package is not installed") as err:
        choose_model(None)
    assert INSTALL_HINT in str(err.value) and "\n" not in str(err.value)


def test_a_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match=r"no model\.bin"):
        choose_model(str(tmp_path))


def test_a_size_name_that_is_not_downloaded_fails_in_one_line() -> None:
    # HF_HUB_OFFLINE=1 (tests/conftest.py): faster-whisper looks only in the local hub cache.
    with pytest.raises(CheckError, match="cannot load the speech recognition model 'tiny'") as err:
        load_model(choose_model("tiny"), threads=1)
    assert "\n" not in str(err.value)


def test_check_settings_are_checked_on_load(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("check:\n  model: small\n  max_cer: 1.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings\.yaml:3: check\.max_cer must be between 0"):
        load_config(settings)
    settings.write_text("check:\n  model: small\n", encoding="utf-8")
    assert load_config(settings).check.model == "small"
    assert load_config().check.model is None  # the packaged model
