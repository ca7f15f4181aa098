import dataclasses
import datetime
from pathlib import Path

import pytest
import yaml
from conftest import cover_png

from yomiage.config import EPISODE_SECTIONS, Config, episode_settings_yaml, load_config
from yomiage.errors import ConfigError

PNG_1x1 = cover_png()  # the name is historical: a valid 1400 px square cover


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


# ---------------------------------------------------------------- layered files


def _file(path: Path, *lines: str) -> Path:
    """A settings file made of `lines`, numbered from 1 as the error messages count them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _config_error(*paths: Path) -> str:
    with pytest.raises(ConfigError) as error:
        load_config(*paths)
    message = str(error.value)
    assert "\n" not in message
    return message


def test_each_file_overrides_the_defaults_and_the_files_before_it(tmp_path: Path) -> None:
    first = _file(
        tmp_path / "episode" / "settings.yaml",
        "show:",
        "  name: 第一の番組",
        "voice:",
        "  speed: 1.2",
        "  pitch: 2",
        "episode:",
        "  title: 第一の題",
    )
    second = _file(
        tmp_path / "override.yaml",
        "voice:",
        "  speed: 0.8",
        "master:",
        "  channels: 2",
        "episode:",
        "  source: 山田さんのブログ",
    )
    defaults = load_config()
    config = load_config(first, second)
    assert config.show.name == "第一の番組"  # first file, not overridden
    assert config.voice.speed == 0.8  # second file wins
    assert config.voice.pitch == 2.0  # first file, same section as an overridden key
    assert config.master.channels == 2  # second file only
    assert config.episode.title == "第一の題"
    assert config.episode.source == "山田さんのブログ"
    assert config.show.host == defaults.show.host  # nobody set it
    assert config.voice.volume == defaults.voice.volume
    assert config.master.bitrate_kbps == defaults.master.bitrate_kbps
    assert config.script == defaults.script

    reversed_order = load_config(second, first)
    assert reversed_order.voice.speed == 1.2  # the last file wins
    assert reversed_order.master.channels == 2
    assert dataclasses.replace(reversed_order, voice=config.voice) == config


def test_three_files_apply_in_order(tmp_path: Path) -> None:
    files = [_file(tmp_path / f"{n}.yaml", "voice:", f"  speed: {n / 10 + 1}") for n in (1, 2, 3)]
    assert load_config(*files).voice.speed == 1.3
    assert load_config(files[2], files[0], files[1]).voice.speed == 1.2


def test_a_later_empty_file_or_section_changes_nothing(tmp_path: Path) -> None:
    first = _file(tmp_path / "a.yaml", "voice:", "  speed: 1.4", "show:", "  name: 番組")
    empty = _file(tmp_path / "b.yaml", "# nothing here")
    empty_section = _file(tmp_path / "c.yaml", "voice:", "  # speed: 0.6")
    assert load_config(first, empty) == load_config(first)
    assert load_config(first, empty_section) == load_config(first)
    assert load_config(first, empty).voice.speed == 1.4


def test_a_later_file_can_set_back_an_optional_value_to_null(tmp_path: Path) -> None:
    first = _file(tmp_path / "a.yaml", "episode:", "  title: 題", "  source: 出典")
    second = _file(tmp_path / "b.yaml", "episode:", "  source: null")
    config = load_config(first, second)
    assert config.episode.title == "題"
    assert config.episode.source is None


def test_a_later_file_may_give_a_fraction_where_an_earlier_gave_a_whole_number(
    tmp_path: Path,
) -> None:
    first = _file(tmp_path / "a.yaml", "voice:", "  speed: 1")
    second = _file(tmp_path / "b.yaml", "voice:", "  speed: 1.5")
    assert load_config(second).voice.speed == 1.5  # alone it is fine
    assert load_config(first, second).voice.speed == 1.5


def test_a_later_file_may_give_a_number_as_text(tmp_path: Path) -> None:
    first = _file(tmp_path / "a.yaml", "episode:", "  title: 題")
    second = _file(tmp_path / "b.yaml", "episode:", "  title: 2025")
    assert load_config(second).episode.title == "2025"  # alone it is fine
    assert load_config(first, second).episode.title == "2025"


def test_a_later_file_can_replace_an_out_of_range_value(tmp_path: Path) -> None:
    first = _file(tmp_path / "a.yaml", "voice:", "  speed: 3.5")
    second = _file(tmp_path / "b.yaml", "voice:", "  speed: 1.5")
    assert load_config(first, second).voice.speed == 1.5


@pytest.mark.parametrize(
    ("first_lines", "second_lines", "culprit", "line", "phrase"),
    [
        pytest.param(
            ["voice:", "  speed: 1.2"],
            ["show:", "  name: 番組", "", "voice:", "  speed: 3.5"],
            "second",
            5,
            "voice.speed must be between 0.5 and 2, not 3.5",
            id="range-in-second",
        ),
        pytest.param(
            ["show:", "  name: 番組", "voice:", "  pitch: 20"],
            ["voice:", "  speed: 1.2"],
            "first",
            4,
            "voice.pitch must be between -12 and 12, not 20",
            id="range-in-first-same-section",
        ),
        pytest.param(
            ["voice:", "  speed: 2.5"],
            ["master:", "  channels: 2", "voice:", "", "  speed: 3"],
            "second",
            5,
            "voice.speed must be between 0.5 and 2, not 3",
            id="bad-in-both-the-later-wins",
        ),
        pytest.param(
            ["episode:", "  title: 題", "  date: 2024-02-30"],
            ["episode:", "  title: 別の題"],
            "first",
            3,
            "episode.date must be YYYY-MM-DD, not '2024-02-30'",
            id="date-in-first",
        ),
        pytest.param(
            ["voice:", "  speed: 1.2"],
            ["# comment", "voice:", "  speed: fast"],
            "second",
            3,
            "'voice.speed' must be a number",
            id="type-in-second",
        ),
        pytest.param(
            ["voice:", "  speed: fast"],
            ["voice:", "  speed: 1.2"],
            "first",
            2,
            "'voice.speed' must be a number",
            id="type-in-first-is-not-hidden",
        ),
        pytest.param(
            ["show:", "  name: 番組"],
            ["show:", "  nam: 番組"],
            "second",
            2,
            "unknown setting 'show.nam'",
            id="unknown-key-in-second",
        ),
        pytest.param(
            ["script:", "  intro: '{show}へ'"],
            ["script:", "  titles:", "    outro: '{number}'"],
            "second",
            3,
            "script.titles.outro uses unknown field {number}",
            id="template-in-second",
        ),
        pytest.param(
            ["show:", "  name: 番組"],
            ["voice: {speed: 1.0, volume: 9}"],
            "second",
            1,
            "voice.volume must be between -20 and 6, not 9",
            id="flow-mapping-in-second",
        ),
        pytest.param(
            ["show:", "  name: 番組"],
            ["show:", "  name: [a"],
            "second",
            3,
            "invalid YAML",
            id="yaml-in-second",
        ),
        pytest.param(
            ["- a"],
            ["show:", "  name: 番組"],
            "first",
            1,
            "settings must be a mapping",
            id="list-in-first",
        ),
    ],
)
def test_a_bad_value_names_the_file_and_line_that_set_it(
    tmp_path: Path,
    first_lines: list[str],
    second_lines: list[str],
    culprit: str,
    line: int,
    phrase: str,
) -> None:
    first = _file(tmp_path / "episode" / "settings.yaml", *first_lines)
    second = _file(tmp_path / "config" / "settings.yaml", *second_lines)
    message = _config_error(first, second)
    path = first if culprit == "first" else second
    assert message.startswith(f"{path}:{line}: "), message
    assert phrase in message, message


def test_a_missing_later_file_is_named(tmp_path: Path) -> None:
    first = _file(tmp_path / "a.yaml", "voice:", "  speed: 1.2")
    missing = tmp_path / "nope.yaml"
    assert _config_error(first, missing) == f"{missing}: no such settings file"


# ---------------------------------------------------------------- relative cover


def test_a_relative_cover_is_relative_to_the_file_that_set_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_file(tmp_path / "elsewhere" / "x.txt", "").parent)  # not the cwd
    (tmp_path / "episode" / "art").mkdir(parents=True)
    (tmp_path / "episode" / "art" / "cover.png").write_bytes(PNG_1x1)
    first = _file(tmp_path / "episode" / "settings.yaml", "show:", "  cover: art/cover.png")
    second = _file(tmp_path / "config" / "override.yaml", "show:", "  name: 別の番組")

    config = load_config(first, second)
    assert config.show.cover == tmp_path / "episode" / "art" / "cover.png"
    assert config.show.name == "別の番組"
    assert load_config(second, first).show.cover == tmp_path / "episode" / "art" / "cover.png"


def test_a_later_file_sets_a_cover_relative_to_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for folder in ("episode", "config"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "cover.png").write_bytes(PNG_1x1)
    (tmp_path / "cover.png").write_bytes(PNG_1x1)  # in the cwd: must not be picked
    first = _file(tmp_path / "episode" / "settings.yaml", "show:", "  cover: cover.png")
    second = _file(tmp_path / "config" / "override.yaml", "show:", "  cover: ./cover.png")
    assert load_config(first, second).show.cover == tmp_path / "config" / "cover.png"
    assert load_config(second, first).show.cover == tmp_path / "episode" / "cover.png"


def test_a_later_file_can_remove_the_cover(tmp_path: Path) -> None:
    (tmp_path / "cover.png").write_bytes(PNG_1x1)
    first = _file(tmp_path / "a.yaml", "show:", "  cover: cover.png")
    second = _file(tmp_path / "sub" / "b.yaml", "show:", "  cover: null")
    assert load_config(first, second).show.cover is None


def test_a_missing_relative_cover_names_the_file_that_set_it(tmp_path: Path) -> None:
    (tmp_path / "episode").mkdir()
    (tmp_path / "episode" / "cover.png").write_bytes(PNG_1x1)  # next to the first file only
    first = _file(tmp_path / "episode" / "settings.yaml", "show:", "  cover: cover.png")
    second = _file(
        tmp_path / "config" / "override.yaml",
        "voice:",
        "  speed: 1.1",
        "show:",
        "  cover: cover.png",
    )
    message = _config_error(first, second)
    assert message == (
        f"{second}:4: show.cover: no such image file {tmp_path / 'config' / 'cover.png'}"
    )


def test_an_absolute_cover_stays_as_given(tmp_path: Path) -> None:
    cover = tmp_path / "images" / "cover.png"
    cover.parent.mkdir()
    cover.write_bytes(PNG_1x1)
    first = _file(tmp_path / "episode" / "settings.yaml", "show:", f"  cover: '{cover}'")
    second = _file(tmp_path / "config" / "override.yaml", "voice:", "  speed: 1.1")
    assert load_config(first, second).show.cover == cover


# ---------------------------------------------------------------- settings.yaml


def _settings_round_trip(config: Config, path: Path) -> Config:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(episode_settings_yaml(config), encoding="utf-8")
    return load_config(path)


def test_default_settings_round_trip(tmp_path: Path) -> None:
    defaults = load_config()
    assert _settings_round_trip(defaults, tmp_path / "settings.yaml") == defaults


def test_episode_settings_round_trip_with_date_cover_and_every_section(tmp_path: Path) -> None:
    cover = tmp_path.resolve() / "art" / "cover.png"
    cover.parent.mkdir()
    cover.write_bytes(PNG_1x1)
    base = load_config()
    config = dataclasses.replace(
        base,
        show=dataclasses.replace(
            base.show, name="yes", host="ホスト", description="一行目\n二行目", cover=cover
        ),
        episode=dataclasses.replace(
            base.episode,
            title="2024",
            description="説明: コロン # 記号",
            source="null",
            source_url="https://example.com/a?b=1#c",
            date=datetime.date(2024, 5, 1),
            slug="ep-01",
        ),
        engine=dataclasses.replace(base.engine, workers=4),
        voice=dataclasses.replace(base.voice, speed=1.25, pitch=-2.5, volume=-3.0),
        pauses=dataclasses.replace(base.pauses, sentence_ms=300, chapter_ms=2000),
        master=dataclasses.replace(
            base.master, loudness_lufs=-19.0, true_peak_dbtp=-2.0, bitrate_kbps=128, channels=2
        ),
    )
    # written to another folder: the cover is written as an absolute path
    path = tmp_path / "out" / "episode" / "settings.yaml"
    back = _settings_round_trip(config, path)
    assert back == config
    assert back.episode.date == datetime.date(2024, 5, 1)
    assert back.show.cover == cover
    assert back.episode.title == "2024"
    assert back.episode.source == "null"

    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ")  # a header tells a person what the file is
    assert "name: ホスト" not in text and "host: ホスト" in text  # Japanese as is
    data = yaml.safe_load(text)
    assert tuple(data) == EPISODE_SECTIONS
    assert data["show"]["cover"] == str(cover)
    assert str(data["episode"]["date"]) == "2024-05-01"
    # written again from what was read: the same text
    assert episode_settings_yaml(back) == episode_settings_yaml(config)


def test_a_cover_read_relative_is_written_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path.resolve() / "episode"
    folder.mkdir()
    (folder / "cover.png").write_bytes(PNG_1x1)
    config = load_config(_file(folder / "settings.yaml", "show:", "  cover: cover.png"))
    monkeypatch.chdir(tmp_path)
    moved = _settings_round_trip(config, tmp_path / "elsewhere" / "settings.yaml")
    assert moved.show.cover == folder / "cover.png"
    assert moved == config


def test_an_override_file_on_top_of_settings_yaml_changes_only_what_it_names(
    tmp_path: Path,
) -> None:
    base = load_config()
    config = dataclasses.replace(
        base,
        episode=dataclasses.replace(base.episode, title="題", date=datetime.date(2023, 12, 31)),
        voice=dataclasses.replace(base.voice, speed=1.3),
    )
    settings = tmp_path / "episode" / "settings.yaml"
    _settings_round_trip(config, settings)
    override = _file(tmp_path / "override.yaml", "voice:", "  pitch: 1.5")
    layered = load_config(settings, override)
    assert layered == dataclasses.replace(
        config, voice=dataclasses.replace(config.voice, pitch=1.5)
    )


# ---------------------------------------------------------------- music


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("music:\n  duck_db: 5\n", "episode.yaml:2: music.duck_db must be between 10 and 40"),
        ("music:\n  level_db: 3\n", "episode.yaml:2: music.level_db must be between -30 and 0"),
        ("music:\n  sting_db: -31\n", "episode.yaml:2: music.sting_db must be between -30 and 0"),
        ("music:\n  intro_solo_s: 0\n", "episode.yaml:2: music.intro_solo_s must be between"),
        ("music:\n  fade_s: 0.1\n", "episode.yaml:2: music.fade_s must be between 0.5 and 10"),
        (
            "music:\n  outro_tail_s: 3\n  fade_s: 4\n",
            "episode.yaml:3: music.fade_s (4) must not be longer than music.outro_tail_s (3)",
        ),
        ("music:\n  intro: [a]\n", "episode.yaml:2: 'music.intro' must be text"),
        ("music:\n  sting: chime.wav\n", "episode.yaml:2: music.sting: no such music file"),
        ("music:\n  tempo: 120\n", "episode.yaml:2: unknown setting 'music.tempo'"),
    ],
)
def test_bad_music_settings_name_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(_write(tmp_path, text))
    assert str(error.value).startswith(str(tmp_path / "episode.yaml") + ":")
    assert expected.split(":", 1)[1] in str(error.value)
    assert "\n" not in str(error.value)


def test_music_is_relative_to_the_settings_file_and_recorded_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tones import STING_HZ, THEME_HZ, theme_file

    folder = tmp_path.resolve() / "show"
    (folder / "music").mkdir(parents=True)
    theme_file(folder / "music", "theme.flac", THEME_HZ, 6.0)
    theme_file(folder / "music", "chime.ogg", STING_HZ, 0.5)
    settings = _file(
        folder / "settings.yaml",
        "music:",
        "  intro: music/theme.flac",
        "  outro: music/theme.flac",
        "  sting: music/chime.ogg",
        "  duck_db: 20",
    )
    config = load_config(settings)
    assert config.music.intro == config.music.outro == folder / "music" / "theme.flac"
    assert config.music.sting == folder / "music" / "chime.ogg"
    assert config.music.duck_db == 20.0 and config.music.level_db == -6.0
    monkeypatch.chdir(tmp_path)
    moved = _settings_round_trip(config, tmp_path / "elsewhere" / "settings.yaml")
    assert moved == config  # settings.yaml records the music, by absolute path


def test_no_music_by_default_and_no_pydub_for_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from yomiage.config import load_config; m = load_config().music;"
        "print(m.intro, m.outro, m.sting, 'pydub' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["None", "None", "None", "False"], done.stderr
