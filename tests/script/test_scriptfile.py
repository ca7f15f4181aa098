"""script.yaml: written from a Script, read back equal, and every broken edit named by line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from yomiage.config import load_config
from yomiage.errors import ScriptError
from yomiage.script.build import Chapter, Script, build_script
from yomiage.script.scriptfile import HEADER, parse_script, read_script, script_to_yaml
from yomiage.source.document import Document, Role, Section

NAME = "script.yaml"

DOCUMENT = Document(
    title="テストの記事：読み上げ",
    sections=(
        Section("要約", Role.OVERVIEW, ("この記事の要約です。二文目です。",), 1),
        Section(
            "話題A",
            Role.TOPIC,
            ("一行目です。\n二行目です。", "「引用」と、記号：#や - も含む段落！"),
            3,
        ),
        Section(None, Role.IMPRESSIONS, ("僕はとても感動した。",), 9),
    ),
)


def _yaml(*lines: str) -> str:
    """Lines of a script.yaml, numbered from 1 as the error messages count them."""
    return "\n".join(lines) + "\n"


def _parse_error(text: str) -> str:
    with pytest.raises(ScriptError) as error:
        parse_script(text, NAME)
    message = str(error.value)
    assert "\n" not in message  # the CLI prints it as one line
    return message


def _chapter(title: str = "話題", *, id: str | None = None, para: str = "本文です。") -> list[str]:
    head = [f"  - id: {id}", f"    title: {title}"] if id is not None else [f"  - title: {title}"]
    return [*head, "    paragraphs:", f"      - {para}"]


# ---------------------------------------------------------------- round trip


def test_a_built_script_round_trips_through_yaml() -> None:
    script = build_script(DOCUMENT, load_config())
    # preconditions: the script has what this test is about
    assert "一行目です。\n二行目です。" in script.chapters[2].paragraphs
    assert script.description == "この記事の要約です。二文目です。"

    text = script_to_yaml(script)
    back = parse_script(text, NAME)

    assert back == script
    assert back.title == "テストの記事：読み上げ"
    assert back.description == "この記事の要約です。二文目です。"
    assert [c.id for c in back.chapters] == ["ch01", "ch02", "ch03", "ch04", "ch05"]
    assert [c.title for c in back.chapters] == [
        "オープニング",
        "要約",
        "話題A",
        "筆者の感想",
        "エンディング",
    ]
    assert [c.role for c in back.chapters] == ["intro", "overview", "topic", "impressions", "outro"]
    assert back.chapters[2].paragraphs == (
        "話題A。",
        "一行目です。\n二行目です。",
        "「引用」と、記号：#や - も含む段落！",
    )


def test_written_yaml_is_readable_japanese_with_line_breaks_as_literal_blocks() -> None:
    text = script_to_yaml(build_script(DOCUMENT, load_config()))
    assert text.startswith(HEADER)
    assert "  - |-\n    一行目です。\n    二行目です。\n" in text  # as a person would type it
    assert "  - 「引用」と、記号：#や - も含む段落！\n" in text  # Japanese as is, not escaped
    assert "\\u" not in text
    data = yaml.safe_load(text)
    assert list(data) == ["title", "description", "chapters"]
    assert list(data["chapters"][0]) == ["id", "title", "role", "paragraphs"]


def test_read_script_reads_what_script_to_yaml_wrote(tmp_path: Path) -> None:
    script = build_script(DOCUMENT, load_config())
    path = tmp_path / "script.yaml"
    path.write_text(script_to_yaml(script), encoding="utf-8")
    assert read_script(path) == script


@pytest.mark.parametrize(
    "text",
    [
        "null",
        "~",
        "yes",
        "No",
        "123",
        "0x1F",
        "1e3",
        "2024-05-01",
        "- 箇条書き",
        "# 見出し",
        "注意: コロンのあと",
        "a # b",
        "'引用符",
        '"引用符',
        "{波括弧}",
        "[角括弧]",
        "&anchor",
        "*alias",
        "!tag",
        "%directive",
        "@mention",
        " 先頭に空白",
        "末尾に空白 ",
        "\u3000全角空白で始まる",
        "タブ\tを含む",
        "絵文字😀を含む",
        "一行目\n\n三行目",
        "一行目 \n行末に空白",
        " 先頭に空白\n二行目",
        "一行目\n  字下げした二行目",
        "一行目\n---\n三行目",
        "一行目\r\n二行目",
    ],
)
def test_tricky_text_round_trips(text: str) -> None:
    script = Script(
        title=text,
        description=text,
        chapters=(
            Chapter(id="ch01", title=text, role="topic", paragraphs=(text, "本文です。")),
            Chapter(id="my-chapter_2", title="二章", role="closing", paragraphs=("終わり。",)),
        ),
    )
    assert parse_script(script_to_yaml(script), NAME) == script


# ---------------------------------------------------------------- broken scripts


@pytest.mark.parametrize(
    ("text", "line", "phrase"),
    [
        pytest.param(
            _yaml("title: [題名", "chapters:", "  - title: a"),
            2,
            "invalid YAML (expected ',' or ']'",
            id="unclosed-bracket",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter(para="'閉じていない引用")),
            6,
            "invalid YAML (found unexpected end of stream)",
            id="unclosed-quote",
        ),
        pytest.param(
            _yaml("title: 題名: 副題", "chapters: []"),
            1,
            "invalid YAML (mapping values are not allowed here)",
            id="colon-in-plain-title",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", "\t- title: a"),
            3,
            "invalid YAML (found character '\\t' that cannot start any token)",
            id="tab-indent",
        ),
        pytest.param(
            _yaml("title: 題名", "---", "title: 別"),
            2,
            "invalid YAML (but found another document)",
            id="two-documents",
        ),
        pytest.param("", None, "the script is empty", id="empty-file"),
        pytest.param("# コメントだけ\n\n", None, "the script is empty", id="only-comments"),
        pytest.param(
            HEADER + _yaml("- 話題", "- まとめ"),
            5,
            "the script must be a mapping of title, description, readings, chapters",
            id="top-level-list",
        ),
        pytest.param(
            _yaml("ただの文章"),
            1,
            "the script must be a mapping of title, description, readings, chapters",
            id="top-level-text",
        ),
        pytest.param(
            HEADER + _yaml("title: 題名", "description: 説明"),
            5,
            "the script has no 'chapters' list",
            id="no-chapters-key",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters: []"),
            2,
            "'chapters' must be a list of chapters",
            id="chapters-empty-list",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", "", "description: 説明"),
            2,
            "'chapters' must be a list of chapters",
            id="chapters-null",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters: 話題"),
            2,
            "'chapters' must be a list of chapters",
            id="chapters-text",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", "  title: 話題", "  paragraphs: [本文]"),
            3,
            "'chapters' must be a list of chapters",
            id="chapters-mapping",
        ),
        pytest.param(
            _yaml("title: 題名", "author: 山田", "chapters:", *_chapter()),
            2,
            "the script: unknown key 'author' (known: title, description, readings, chapters)",
            id="unknown-top-level-key",
        ),
        pytest.param(
            _yaml(
                "title: 題名", "chapters:", *_chapter("一章"), "  - title: 二章", "    paragraph:"
            ),
            7,
            "chapter 2: unknown key 'paragraph' (known: id, title, role, paragraphs)",
            id="unknown-chapter-key",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", "  - 話題"),
            3,
            "chapter 1 must be a mapping of id, title, role, paragraphs",
            id="chapter-is-text",
        ),
        pytest.param(
            _yaml(
                "title: 題名", "chapters:", *_chapter("一章"), "  - id: x", "    paragraphs: [本文]"
            ),
            6,
            "chapter 2's 'title' is missing",
            id="chapter-without-title",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", "  - title: ''", "    paragraphs: [本文]"),
            3,
            "chapter 1's 'title' is empty",
            id="title-empty-quotes",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", "  - title: '  '", "    paragraphs: [本文]"),
            3,
            "chapter 1's 'title' is empty",
            id="title-spaces",
        ),
        pytest.param(
            _yaml(
                "title: 題名", "chapters:", "  - id: x", "    title:", "", "    paragraphs: [本文]"
            ),
            4,
            "chapter 1's 'title' is empty",
            id="title-left-blank",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", "  - title: [一, 二]", "    paragraphs: [本文]"),
            3,
            "chapter 1's 'title' must be text",
            id="title-list",
        ),
        pytest.param(
            _yaml(
                "title: 題名", "chapters:", *_chapter("一章"), "  - title: 二章", "    role: topic"
            ),
            6,
            "chapter 2 (二章) needs 'paragraphs', a list of texts to speak",
            id="chapter-without-paragraphs",
        ),
        pytest.param(
            _yaml(
                "title: 題名", "chapters:", "  - title: 一章", "    paragraphs:", "  - title: 二章"
            ),
            4,
            "chapter 1 (一章) needs 'paragraphs', a list of texts to speak",
            id="paragraphs-null",
        ),
        pytest.param(
            _yaml(
                "title: 題名", "chapters:", "  - title: 一章", "    paragraphs:", "      本文です。"
            ),
            5,
            "chapter 1 (一章) needs 'paragraphs', a list of texts to speak",
            id="paragraphs-text",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章"), "      - 注意: ここは大事です。"),
            6,
            "a paragraph of chapter 1 (一章) must be text",
            id="paragraph-mapping",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章"), "      - ''"),
            6,
            "a paragraph of chapter 1 (一章) is empty",
            id="blank-paragraph",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", "  - title: 一章", "    paragraphs: []"),
            4,
            "chapter 1 (一章) has no text to speak",
            id="paragraphs-empty-list",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章"), *_chapter("二章", para="'   '")),
            8,
            "a paragraph of chapter 2 (二章) is empty",
            id="only-paragraph-blank",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章"), *_chapter("二章", para="。。。")),
            8,
            "chapter 2 (二章) has no text to speak",
            id="only-punctuation",
        ),
        pytest.param(
            _yaml(
                "title: 題名",
                "chapters:",
                "  - title: 一章",
                "    paragraphs:",
                "      - ★☆♪",
                "      - '!?…'",
            ),
            5,
            "chapter 1 (一章) has no text to speak",
            id="only-symbols",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章", id="第1章")),
            3,
            "chapter 1 (一章): id '第1章' must be 1 to 32 ASCII letters, digits, - or _ (and not 'toc')",
            id="id-non-ascii",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章"), *_chapter("二章", id="ch 02")),
            6,
            "chapter 2 (二章): id 'ch 02' must be 1 to 32 ASCII",
            id="id-with-space",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章", id="toc")),
            3,
            "chapter 1 (一章): id 'toc' must be 1 to 32 ASCII letters, digits, - or _ (and not 'toc')",
            id="id-toc",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章", id="a" * 33)),
            3,
            f"chapter 1 (一章): id '{'a' * 33}' must be 1 to 32 ASCII",
            id="id-too-long",
        ),
        pytest.param(
            _yaml("title: 題名", "chapters:", *_chapter("一章", id="ch/01")),
            3,
            "chapter 1 (一章): id 'ch/01' must be 1 to 32 ASCII",
            id="id-with-slash",
        ),
        pytest.param(
            _yaml(
                "title: 題名",
                "chapters:",
                "  - title: 一章",
                "    paragraphs: [本文]",
                "    id: ''",
            ),
            5,
            "chapter 1 (一章)'s 'id' is empty",
            id="id-empty",
        ),
        pytest.param(
            _yaml(
                "title: 題名",
                "chapters:",
                *_chapter("一章", id="intro"),
                *_chapter("二章", id="body"),
                *_chapter("三章", id="intro"),
            ),
            11,
            "chapter 3 (三章) has id 'intro', already used by chapter 1",
            id="duplicate-id",
        ),
        pytest.param(
            _yaml(
                "title: 題名",
                "chapters:",
                *_chapter("一章", id="7"),
                *_chapter("二章", id="7"),
            ),
            7,
            "chapter 2 (二章) has id '7', already used by chapter 1",
            id="duplicate-numeric-id",
        ),
        pytest.param(
            _yaml(
                "title: 題名", "chapters:", "  - title: 一章", "    role:", "    paragraphs: [本文]"
            ),
            4,
            "chapter 1 (一章)'s 'role' is empty",
            id="role-blank",
        ),
        pytest.param(
            HEADER + _yaml("", "description: 説明", "chapters:", *_chapter()),
            6,
            "the episode's 'title' is missing",
            id="episode-title-missing",
        ),
        pytest.param(
            _yaml("title: ''", "chapters:", *_chapter()),
            1,
            "the episode's 'title' is empty",
            id="episode-title-blank",
        ),
        pytest.param(
            _yaml("title: 題名", "description: [一, 二]", "chapters:", *_chapter()),
            2,
            "'description' must be text",
            id="description-list",
        ),
    ],
)
def test_broken_script_names_line_and_problem(text: str, line: int | None, phrase: str) -> None:
    message = _parse_error(text)
    where = f"{NAME}:{line}: " if line is not None else f"{NAME}: "
    assert message.startswith(where), message
    assert phrase in message, message


def test_the_first_problem_in_file_order_is_the_one_reported() -> None:
    text = _yaml(
        "title: 題名",
        "chapters:",
        *_chapter("一章", para="'  '"),  # line 5: blank paragraph
        "  - title: ''",  # line 6: blank title
        "    paragraphs: [本文]",
    )
    assert _parse_error(text) == f"{NAME}:5: a paragraph of chapter 1 (一章) is empty"


def test_a_control_character_is_named_by_line() -> None:
    text = _yaml("title: 題名", "chapters:", *_chapter("一章", para="本文\x07です。"))
    message = _parse_error(text)
    assert message.startswith(f"{NAME}:5: invalid YAML"), message


def test_a_repeated_key_is_an_error() -> None:
    text = _yaml(
        "title: 題名",
        "chapters:",
        "  - title: 一章",
        "    paragraphs:",
        "      - 消えてはいけない段落。",
        "    paragraphs:",
        "      - 二つ目の段落。",
    )
    message = _parse_error(text)
    assert message.startswith(f"{NAME}:6: "), message
    assert "'paragraphs'" in message, message


# ---------------------------------------------------------------- lenient reading


def test_chapters_without_id_get_the_first_free_number() -> None:
    text = _yaml(
        "title: 題名",
        "chapters:",
        *_chapter("一章"),  # ch01 is given to chapter 2 -> ch02
        *_chapter("二章", id="ch01"),
        *_chapter("三章"),  # ch03 is given to chapter 4 -> ch04
        *_chapter("四章", id="ch03"),
        *_chapter("五章"),  # ch05 is free
        *_chapter("六章", id="summary"),
        *_chapter("七章"),  # ch07 is free
    )
    script = parse_script(text, NAME)
    assert [c.id for c in script.chapters] == [
        "ch02",
        "ch01",
        "ch04",
        "ch03",
        "ch05",
        "summary",
        "ch07",
    ]
    assert [c.title for c in script.chapters] == [
        "一章",
        "二章",
        "三章",
        "四章",
        "五章",
        "六章",
        "七章",
    ]


def test_an_id_given_later_is_not_taken_by_an_earlier_chapter() -> None:
    text = _yaml(
        "title: 題名",
        "chapters:",
        *_chapter("一章"),
        *_chapter("二章"),
        *_chapter("三章", id="ch02"),
    )
    assert [c.id for c in parse_script(text, NAME).chapters] == ["ch01", "ch03", "ch02"]


def test_a_chapter_added_by_hand_without_id_or_role() -> None:
    text = _yaml(
        "title: 題名",
        "chapters:",
        "  - id: ch01",
        "    title: 一章",
        "    role: intro",
        "    paragraphs: [ようこそ。]",
        "  - title: 足した章",
        "    paragraphs:",
        "      - 手で書き足しました。",
        "  - id: ch02",
        "    title: 二章",
        "    role: outro",
        "    paragraphs: [さようなら。]",
    )
    script = parse_script(text, NAME)
    assert script.chapters[1] == Chapter(
        id="ch03", title="足した章", role="topic", paragraphs=("手で書き足しました。",)
    )
    assert [c.role for c in script.chapters] == ["intro", "topic", "outro"]


@pytest.mark.parametrize(
    "description_lines",
    [
        pytest.param([], id="missing"),
        pytest.param(["description:"], id="left-blank"),
        pytest.param(["description: ''"], id="empty-quotes"),
        pytest.param(["description: '   '"], id="spaces"),
        pytest.param(["description: |", ""], id="empty-block"),
        pytest.param(
            ["description: ~"],
            id="tilde",
        ),
        pytest.param(
            ["description: null"],
            id="null",
        ),
    ],
)
def test_missing_or_empty_description_is_empty_text(description_lines: list[str]) -> None:
    text = _yaml("title: 題名", *description_lines, "chapters:", *_chapter())
    assert parse_script(text, NAME).description == ""


def test_numbers_are_read_as_text() -> None:
    text = _yaml(
        "title: 2024",
        "description: 3.14",
        "chapters:",
        "  - id: 7",
        "    title: 1.50",
        "    paragraphs:",
        "      - 100",
        "      - 0x1F",
    )
    script = parse_script(text, NAME)
    assert script.title == "2024"
    assert script.description == "3.14"
    assert script.chapters[0] == Chapter(
        id="7", title="1.50", role="topic", paragraphs=("100", "0x1F")
    )


def test_yaml_words_quoted_are_text() -> None:
    text = _yaml("title: 'null'", "chapters:", "  - title: 'yes'", "    paragraphs: ['~', 本文]")
    script = parse_script(text, NAME)
    assert script.title == "null"
    assert script.chapters[0].title == "yes"
    assert script.chapters[0].paragraphs == ("~", "本文")


def test_block_paragraphs_lose_only_their_final_line_break() -> None:
    text = _yaml(
        "title: 題名",
        "chapters:",
        "  - title: 一章",
        "    paragraphs:",
        "      - |",
        "        一行目",
        "        二行目",
        "      - >",
        "        折り返した",
        "        一文です。",
        "      - 普通の段落",
    )
    paragraphs = parse_script(text, NAME).chapters[0].paragraphs
    assert paragraphs == ("一行目\n二行目", "折り返した 一文です。", "普通の段落")


def test_a_chapter_with_one_blank_and_one_spoken_paragraph_is_still_an_error() -> None:
    text = _yaml("title: 題名", "chapters:", "  - title: 一章", "    paragraphs: [本文です。, '']")
    assert _parse_error(text) == f"{NAME}:4: a paragraph of chapter 1 (一章) is empty"


def test_symbols_next_to_text_are_fine() -> None:
    text = _yaml("title: 題名", "chapters:", "  - title: 一章", "    paragraphs: [★☆♪, 本文です。]")
    assert parse_script(text, NAME).chapters[0].paragraphs == ("★☆♪", "本文です。")


def test_byte_order_mark_is_fine(tmp_path: Path) -> None:
    text = _yaml("title: 題名", "chapters:", *_chapter("一章"))
    expected = Script(
        title="題名",
        description="",
        chapters=(Chapter(id="ch01", title="一章", role="topic", paragraphs=("本文です。",)),),
    )
    path = tmp_path / "script.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert read_script(path) == expected
    assert parse_script("\ufeff" + text, NAME) == expected


def test_a_bom_file_still_counts_lines_from_one(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    text = _yaml("title: 題名", "chapters:", "  - title: ''", "    paragraphs: [本文]")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with pytest.raises(ScriptError) as error:
        read_script(path)
    assert str(error.value) == f"{path}:3: chapter 1's 'title' is empty"


# ---------------------------------------------------------------- read_script


def test_missing_script_file(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    with pytest.raises(ScriptError) as error:
        read_script(path)
    assert str(error.value) == f"{path}: no script.yaml here; is this an episode folder?"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xfe\x00\x00garbage", id="binary"),
        pytest.param("title: 題名\n".encode("shift_jis"), id="shift-jis"),
        pytest.param(b"title: ok\nchapters:\n  - title: \xe3\x81\n", id="cut-utf8"),
    ],
)
def test_undecodable_script_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "script.yaml"
    path.write_bytes(data)
    with pytest.raises(ScriptError) as error:
        read_script(path)
    message = str(error.value)
    assert message.startswith(f"{path}: cannot read the script (")
    assert "can't decode" in message
    assert "\n" not in message


def test_a_folder_named_script_yaml(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    path.mkdir()
    with pytest.raises(ScriptError) as error:
        read_script(path)
    assert str(error.value).startswith(f"{path}: cannot read the script (")


def test_read_script_names_the_file_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "ep" / "script.yaml"
    path.parent.mkdir()
    path.write_text(_yaml("title: 題名", "chapters: []"), encoding="utf-8")
    with pytest.raises(ScriptError) as error:
        read_script(path)
    assert str(error.value) == f"{path}:2: 'chapters' must be a list of chapters"
