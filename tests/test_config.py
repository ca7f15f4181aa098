from pathlib import Path

import pytest

from yomiage.config import load_config
from yomiage.errors import ConfigError

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000005000157a6fc0a0000000049454e44ae426082"
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "episode.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_load_and_are_checked() -> None:
    config = load_config()
    assert config.voice.speed == 1.0
    assert config.master.loudness_lufs == -16.0
    assert config.master.bitrate_kbps == 96
    assert config.master.channels == 1
    assert config.script.order[:2] == ("lead", "overview")


def test_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "show:\n  name: テスト番組\nvoice:\n  speed: 1.2\nscript:\n  titles:\n    intro: はじまり\n",
    )
    config = load_config(path)
    assert config.show.name == "テスト番組"
    assert config.show.host == load_config().show.host
    assert config.voice.speed == 1.2
    assert config.voice.pitch == 0.0
    assert config.script.titles["intro"] == "はじまり"
    assert config.script.titles["outro"] == "エンディング"


def test_empty_user_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, "# nothing\n")) == load_config()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("show:\n  name: a\n  colour: red\n", "episode.yaml:3: unknown setting 'show.colour'"),
        ("voices:\n  speed: 1\n", "episode.yaml:1: unknown setting 'voices'"),
        ("voice:\n  speed: 3.5\n", "episode.yaml:2: voice.speed must be between 0.5 and 2"),
        ("voice:\n\n  pitch: -20\n", "episode.yaml:3: voice.pitch must be between -12 and 12"),
        ("voice:\n  volume: 10\n", "episode.yaml:2: voice.volume must be between -20 and 6"),
        ("voice:\n  speed: fast\n", "episode.yaml:2: 'voice.speed' must be a number"),
        (
            "pauses:\n  chapter_ms: 1.5\n",
            "episode.yaml:2: 'pauses.chapter_ms' must be a whole number",
        ),
        ("voice: 1\n", "episode.yaml:1: 'voice' must be a mapping of settings"),
        ("show:\n  name: [a\n", "episode.yaml:3: invalid YAML"),
        ("show:\n\tname: a\n", "episode.yaml:2: invalid YAML"),
        ("- a\n- b\n", "episode.yaml:1: settings must be a mapping"),
        (
            "script:\n  intro: '{shw}へようこそ'\n",
            "episode.yaml:2: script.intro uses unknown field {shw}",
        ),
        ("script:\n  order: [topic, topic]\n", "episode.yaml:2: script.order must list each of"),
        ("script:\n  titles:\n    foo: x\n", "episode.yaml:3: unknown setting 'script.titles.foo'"),
        ("episode:\n  date: 2024-13-01\n", "episode.yaml:2: episode.date must be YYYY-MM-DD"),
        ("master:\n  channels: 3\n", "episode.yaml:2: master.channels must be 1 or 2"),
        ("show:\n  cover: missing.png\n", "episode.yaml:2: show.cover: no such image file"),
    ],
)
def test_bad_settings_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(str(tmp_path / expected.split(":")[0]) + ":")
    assert expected.split(":", 1)[1] in message
    assert "\n" not in message


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such settings file"):
        load_config(tmp_path / "nope.yaml")


def test_cover_is_relative_to_the_settings_file_and_must_be_an_image(tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_bytes(PNG_1x1)
    (tmp_path / "notes.txt").write_text("not an image")
    config = load_config(_write(tmp_path, "show:\n  cover: cover.png\n"))
    assert config.show.cover == tmp_path / "cover.png"
    with pytest.raises(ConfigError, match="neither a JPEG nor a PNG"):
        load_config(_write(tmp_path, "show:\n  cover: notes.txt\n"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "episode:\n  slug: ../escaped\n",
            "episode.yaml:2: episode.slug must be a plain folder name",
        ),
        ("episode:\n  slug: .\n", "episode.yaml:2: episode.slug must be a plain folder name"),
        ("episode:\n  slug: a/b\n", "episode.yaml:2: episode.slug must be a plain folder name"),
        ("episode:\n  title: [前編, 後編]\n", "episode.yaml:2: 'episode.title' must be text"),
        ("episode:\n  title: '  '\n", "episode.yaml:2: episode.title must not be empty"),
        ("show:\n  host: ''\n", "episode.yaml:2: show.host must not be empty"),
        (
            "script:\n  titles:\n    intro: ''\n",
            "episode.yaml:3: script.titles.intro must not be empty",
        ),
        (
            "script:\n  chapter_lead: '{chapter_list}'\n",
            "episode.yaml:2: script.chapter_lead uses unknown field {chapter_list}",
        ),
        (
            "script:\n  source_phrase: '{source}'\n",
            "episode.yaml:2: script.source_phrase uses unknown field {source}",
        ),
        ("engine:\n  name: espeak\n", "episode.yaml:2: unknown engine 'espeak'"),
        ("voice:\n  speed:\n", "episode.yaml:2: 'voice.speed' must not be empty"),
        ("show:\n  name: null\n", "episode.yaml:2: 'show.name' must not be empty"),
        (
            "script:\n  intro: 'こんにちは{}'\n",
            "episode.yaml:2: script.intro is not a valid template",
        ),
        (
            "script:\n  chapter_lead: '{title:>{w}}'\n",
            "episode.yaml:2: script.chapter_lead is not a valid template",
        ),
        (
            "script:\n  titles:\n    intro: 'オープニング{number}'\n",
            "episode.yaml:3: script.titles.intro uses unknown field {number}",
        ),
        (
            "source:\n  chrome_patterns: ['(']\n",
            "episode.yaml:2: source.chrome_patterns: '(' is not a valid pattern",
        ),
    ],
)
def test_more_bad_settings_are_caught_on_load(tmp_path: Path, text: str, expected: str) -> None:
    """Unsafe slugs, empty values, broken templates, bad patterns: all on load, with the line."""
    name, line, message = expected.split(":", 2)
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, text))
    assert str(error.value).startswith(f"{tmp_path / name}:{line}: ")
    assert message.strip() in str(error.value)


def test_a_number_where_text_is_expected_is_taken_as_text(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "episode:\n  title: 2024\n  slug: ep-01\n"))
    assert config.episode.title == "2024"
    assert config.episode.slug == "ep-01"


def test_chapter_lead_may_name_the_show_and_host(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, "script:\n  chapter_lead: '{show}、{title}。'\n"))
    assert config.script.chapter_lead == "{show}、{title}。"


def test_cover_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    with pytest.raises(ConfigError, match="is a folder, not an image"):
        load_config(_write(tmp_path, "show:\n  cover: art\n"))


def test_an_empty_section_means_its_defaults(tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, "voice:\n  # speed: 1.2\n")) == load_config()
