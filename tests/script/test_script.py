from dataclasses import replace

import pytest
import yaml

from yomiage.config import Config, load_config
from yomiage.script.build import build_script
from yomiage.script.scriptfile import script_to_yaml
from yomiage.source.document import Document, Role, Section


def _doc(*sections: Section) -> Document:
    return Document(title="テストの記事", sections=sections)


def _section(heading: str | None, role: Role, *paragraphs: str, line: int = 1) -> Section:
    return Section(
        heading=heading, role=role, paragraphs=paragraphs or (f"{heading}の本文です。",), line=line
    )


SOURCE_ORDER = _doc(
    _section(None, Role.IMPRESSIONS, "僕はとても感動した。"),
    _section("まとめ", Role.CLOSING),
    _section("話題A", Role.TOPIC),
    _section("要約", Role.OVERVIEW),
    _section("話題B", Role.TOPIC),
)


def test_chapters_are_reordered_by_role_with_intro_and_outro() -> None:
    script = build_script(SOURCE_ORDER, load_config())
    assert [c.title for c in script.chapters] == [
        "オープニング",
        "要約",
        "話題A",
        "話題B",
        "筆者の感想",
        "まとめ",
        "エンディング",
    ]
    assert [c.role for c in script.chapters] == [
        "intro", "overview", "topic", "topic", "impressions", "closing", "outro",
    ]  # fmt: skip
    assert [c.id for c in script.chapters] == [
        f"ch{i:02d}" for i in range(1, 8)
    ]  # numbered as listed


def test_order_comes_from_settings() -> None:
    config = load_config()
    custom = replace(
        config, script=replace(config.script, order=("impressions", "topic", "overview"))
    )
    script = build_script(SOURCE_ORDER, custom)
    # closing is not listed: it keeps its place after the listed roles
    assert [c.title for c in script.chapters][1:-1] == [
        "筆者の感想",
        "話題A",
        "話題B",
        "要約",
        "まとめ",
    ]


def test_intro_names_show_title_source_and_chapters() -> None:
    config = load_config()
    script = build_script(SOURCE_ORDER, config)
    intro = "".join(script.chapters[0].paragraphs)
    assert config.show.name in intro and config.show.host in intro
    assert "「テストの記事」" in intro
    assert "公開されている記事をもとに" in intro
    assert "「要約」、「話題A」、「話題B」、「筆者の感想」、「まとめ」" in intro
    assert "全5パート" in intro
    outro = "".join(script.chapters[-1].paragraphs)
    assert "「話題A」" in outro and config.show.name in outro


@pytest.mark.parametrize(
    "headings",
    [("一", "二", "三"), ("十一", "十二"), ("1", "２"), ("Ⅰ", "Ⅱ"), ("I", "II", "IV")],
)
def test_chapters_titled_only_by_numbers_are_not_listed_in_the_intro_or_outro(
    headings: tuple[str, ...],
) -> None:
    config = load_config()
    script = build_script(_doc(*(_section(h, Role.TOPIC) for h in headings)), config)
    intro, outro = script.chapters[0].paragraphs, script.chapters[-1].paragraphs
    assert not any("内容は" in p or "パートです" in p for p in intro)
    assert intro[0].startswith(config.show.name) and "「テストの記事」" in intro[1]
    assert not any("今回は" in p for p in outro)
    assert outro[-1].startswith(config.show.name)
    assert [c.title for c in script.chapters[1:-1]] == list(headings)  # still said at each


def test_chapters_named_as_chapters_keep_the_list() -> None:
    script = build_script(
        _doc(_section("一章", Role.TOPIC), _section("第二章", Role.TOPIC)), load_config()
    )
    assert any("「一章」、「第二章」" in p for p in script.chapters[0].paragraphs)


def test_one_real_title_among_numbers_keeps_the_list() -> None:
    script = build_script(
        _doc(_section("一", Role.TOPIC), _section("CLI", Role.TOPIC)), load_config()
    )
    assert any("「一」、「CLI」" in p for p in script.chapters[0].paragraphs)
    assert any("「一」、「CLI」" in p for p in script.chapters[-1].paragraphs)


def test_headingless_parts_are_not_listed() -> None:
    paragraphs = tuple(f"段落{i}。" + "あ" * 300 for i in range(4))
    script = build_script(_doc(Section(None, Role.LEAD, paragraphs, 1)), load_config())
    assert [c.title for c in script.chapters[1:-1]] == ["パート1", "パート2"]
    assert not any("パート1" in p for p in script.chapters[0].paragraphs)


def test_episode_source_setting_replaces_the_source_phrase() -> None:
    config = load_config()
    config = replace(config, episode=replace(config.episode, source="山田さんのブログ"))
    intro = "".join(build_script(SOURCE_ORDER, config).chapters[0].paragraphs)
    assert "山田さんのブログをもとに" in intro


def test_each_chapter_starts_by_saying_its_title() -> None:
    script = build_script(SOURCE_ORDER, load_config())
    assert script.chapters[2].paragraphs == ("話題A。", "話題Aの本文です。")


def test_description_comes_from_the_overview() -> None:
    script = build_script(SOURCE_ORDER, load_config())
    assert script.description == "要約の本文です。"


def test_headingless_document_is_cut_into_parts_at_paragraphs() -> None:
    paragraphs = tuple(f"段落{i}。" + "あ" * 300 for i in range(7))
    config: Config = load_config()
    script = build_script(_doc(Section(None, Role.LEAD, paragraphs, 1)), config)
    body = script.chapters[1:-1]
    assert [c.title for c in body] == ["パート1", "パート2", "パート3", "パート4"]
    assert all(
        sum(len(p) for p in c.paragraphs[1:]) <= config.script.max_chapter_chars for c in body
    )
    spoken = [p for c in body for p in c.paragraphs[1:]]
    assert tuple(spoken) == paragraphs  # nothing lost, nothing reordered


def test_short_headingless_document_is_one_chapter() -> None:
    script = build_script(_doc(Section(None, Role.LEAD, ("短い本文。",), 1)), load_config())
    assert [c.title for c in script.chapters] == ["オープニング", "はじめに", "エンディング"]


def test_script_yaml_round_trips_and_is_readable() -> None:
    script = build_script(SOURCE_ORDER, load_config())
    text = script_to_yaml(script)
    assert "話題Aの本文です。" in text  # Japanese written as is, not escaped
    data = yaml.safe_load(text)
    assert data["title"] == "テストの記事"
    assert [c["id"] for c in data["chapters"]] == [c.id for c in script.chapters]
    assert data["chapters"][2]["paragraphs"] == list(script.chapters[2].paragraphs)
