"""source.py: text/Markdown -> Document.

Golden files: each input in tests/data/sources (NAME.txt or NAME.md) sits beside
NAME.expected.yaml, the Document it must become. After a deliberate change, run

    YOMIAGE_UPDATE_GOLDEN=1 pytest tests/source/test_source.py

and review every changed golden by hand before committing it.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from yomiage.errors import SourceError
from yomiage.source.document import Document, Role
from yomiage.source.read import decode_source, parse_text, read_source

SOURCES = Path(__file__).parents[1] / "data" / "sources"
INPUTS = sorted(p for p in SOURCES.iterdir() if p.suffix in {".txt", ".md"})
UPDATE = os.environ.get("YOMIAGE_UPDATE_GOLDEN") == "1"


# ---------------------------------------------------------------- golden files


def _as_data(document: Document) -> dict[str, Any]:
    return {
        "title": document.title,
        "sections": [
            {
                "heading": section.heading,
                "role": section.role.value,
                "line": section.line,
                "paragraphs": list(section.paragraphs),
            }
            for section in document.sections
        ],
    }


class _GoldenDumper(yaml.SafeDumper):
    """Multi-line paragraphs as | blocks, so a golden reads like the article."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_GoldenDumper.add_representer(str, _represent_str)


def _write_golden(path: Path, data: dict[str, Any]) -> None:
    header = f"# The Document that {path.name.replace('.expected.yaml', '')}.* must become.\n"
    body = yaml.dump(data, Dumper=_GoldenDumper, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(header + body, encoding="utf-8")


def test_every_golden_input_is_collected() -> None:
    assert len(INPUTS) >= 6
    assert {p.suffix for p in INPUTS} == {".txt", ".md"}


@pytest.mark.parametrize("source", INPUTS, ids=[p.name for p in INPUTS])
def test_golden(source: Path) -> None:
    expected_path = source.with_name(source.stem + ".expected.yaml")
    actual = _as_data(read_source(source))
    if UPDATE:
        _write_golden(expected_path, actual)
        pytest.skip(f"rewrote {expected_path.name}: review it by hand")
    assert expected_path.exists(), "no golden; run with YOMIAGE_UPDATE_GOLDEN=1 and review"
    expected = yaml.safe_load(expected_path.read_text(encoding="utf-8"))
    assert actual == expected


def test_sample_article() -> None:
    """The note.com sample, checked field by field independently of its golden."""
    document = read_source(SOURCES / "note_ilya_summary.txt")
    assert document.title == (
        "【要約】Ilya Sutskever (OpenAI Chief Scientist) - Building AGI, Alignment, Spies, "
        "Microsoft, & Enlightenment"
    )
    assert [(s.heading, s.role, s.line) for s in document.sections] == [
        (None, Role.IMPRESSIONS, 7),
        ("要約", Role.OVERVIEW, 9),
        ("AI、AGI、AIと人間のコラボレーション", Role.TOPIC, 14),
        ("AIと人間が協力して研究を行うことの重要性", Role.TOPIC, 18),
        ("エンドツーエンドのトレーニングとAIの将来", Role.TOPIC, 22),
        ("AIモデルの新しいアイデアと理解、およびAI業界の競争とセキュリティ", Role.TOPIC, 26),
        ("AIの進歩の偶然性、アライメント問題、および人間との関連性", Role.TOPIC, 30),
    ]
    assert document.sections[0].paragraphs[0].startswith("イリヤ・スツケヴァーの氏対談を見て")
    everything = "\n".join(
        [document.title, *(p for s in document.sections for p in (s.heading or "", *s.paragraphs))]
    )
    for chrome in (
        "見出し画像",
        "supported by",
        "合わせて見ておくといいかも",
        "この記事が気に入ったら",
    ):
        assert chrome not in everything


def test_shift_jis_input_really_is_cp932_with_crlf() -> None:
    data = (SOURCES / "shift_jis_memo.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp932")
    assert "\r\n" in text
    # ① and ～ exist in CP932 (Windows' Shift_JIS) but not in plain Shift_JIS.
    assert "①" in text and "～" in text
    with pytest.raises(UnicodeEncodeError):
        text.encode("shift_jis")


# ---------------------------------------------------------------- decoding


def test_cp932_bytes_made_at_test_time_decode_back() -> None:
    text = "第１回　勉強会のお知らせ\n日時：５月１０日（金）\n場所：②会議室、表示は～まで\n"
    assert decode_source(text.encode("cp932"), "memo.txt") == text


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbf" + "タイトル\n\n本文です。\n".encode())
    assert decode_source(path.read_bytes(), "bom.txt") == "タイトル\n\n本文です。\n"
    assert read_source(path).title == "タイトル"


def test_crlf_and_cr_become_lf() -> None:
    assert decode_source(b"a\r\nb\rc\n", "x.txt") == "a\nb\nc\n"


def test_crlf_keeps_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes("タイトル\r\n\r\n見出し\r\n\r\n本文です。\r\n".encode())
    document = read_source(path)
    assert [(s.heading, s.line, s.paragraphs) for s in document.sections] == [
        ("見出し", 3, ("本文です。",))
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        bytes(range(1, 32)) * 20 + "本文".encode(),  # control bytes, no NUL
    ],
    ids=["nul-bytes", "control-bytes"],
)
def test_binary_data_is_refused(data: bytes) -> None:
    with pytest.raises(SourceError) as error:
        decode_source(data, "picture.txt")
    assert str(error.value) == "picture.txt: looks like a binary file, not text"


def test_binary_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "image.md"
    path.write_bytes(b"GIF89a\x01\x00\x01\x00\x00\xff\x00,")
    with pytest.raises(SourceError, match=r"^.*image\.md: looks like a binary file, not text$"):
        read_source(path)


LATIN1_THAT_DECODES_AS_CP932 = b"Gro\xdfe Stra\xdfe \xbbZitat\xab"


def test_euc_jp_decodes() -> None:
    text = "昔のブログ\n\nこれはEUC-JPで保存された記事です。\n"
    assert decode_source(text.encode("euc_jp"), "old.txt") == text


@pytest.mark.parametrize(
    ("bom", "encoding", "codec"),
    [
        (b"\xff\xfe", "UTF-16", "utf-16-le"),
        (b"\xfe\xff", "UTF-16", "utf-16-be"),
        (b"\xff\xfe\x00\x00", "UTF-32", "utf-32-le"),
    ],
    ids=["utf16-le", "utf16-be", "utf32-le"],
)
def test_utf16_is_named_not_called_binary(
    tmp_path: Path, bom: bytes, encoding: str, codec: str
) -> None:
    """Windows Notepad's "Unicode" is UTF-16 with a BOM: full of NUL bytes, but text."""
    path = tmp_path / "notepad.txt"
    path.write_bytes(bom + "タイトル\r\n\r\n本文です。\r\n".encode(codec))
    with pytest.raises(SourceError) as error:
        read_source(path)
    assert str(error.value) == f"{path}: {encoding} text is not supported; save it as UTF-8"


@pytest.mark.parametrize(
    "data",
    [
        b"caf\xe9 na\xefve r\xe9sum\xe9",
        LATIN1_THAT_DECODES_AS_CP932,
        bytes(random.Random(20240501).randrange(0x80, 0x100) for _ in range(3000)),
    ],
    ids=["latin1", "latin1-valid-cp932", "random-high-bytes"],
)
def test_undecodable_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(SourceError) as error:
        decode_source(data, "notes.txt")
    assert str(error.value) == (
        "notes.txt: cannot decode the text (expected UTF-8, Shift_JIS/CP932 or EUC-JP)"
    )


def test_latin1_trap_really_decodes_as_cp932() -> None:
    """The case above is only a real test if CP932 accepts the bytes (as half-width kana)."""
    assert LATIN1_THAT_DECODES_AS_CP932.decode("cp932") == "Groﾟe Straﾟe ｻZitatｫ"


# ---------------------------------------------------------------- file errors


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.txt"
    with pytest.raises(SourceError) as error:
        read_source(path)
    assert str(error.value) == f"{path}: no such file"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as error:
        read_source(tmp_path)
    assert str(error.value) == f"{tmp_path}: is a folder, not a regular file"


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Simulated: the tests may run as root, who can read a chmod 000 file."""
    path = tmp_path / "locked.txt"
    path.write_text("タイトル\n\n本文です。\n", encoding="utf-8")

    def refuse(file: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr("yomiage.files.userfile.read_bytes", refuse)
    with pytest.raises(SourceError) as error:
        read_source(path)
    assert str(error.value) == f"{path}: cannot read (Permission denied)"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.txt", ""),
        ("blank.txt", "  \n\u3000\n\t\n"),
        ("chrome.txt", "見出し画像\n\nスキ\n12\n\n#AI #ChatGPT\nhttps://note.com/x/n/n1\n"),
        ("chrome.md", "---\ntags: [a]\n---\n\n![画像](a.png)\n\n```\ncode only\n```\n"),
    ],
)
def test_empty_documents(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError) as error:
        read_source(path)
    assert str(error.value) == f"{path}: the document is empty (no text to read aloud)"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("title.txt", "タイトルだけ\n"),
        ("title.md", "# タイトルだけ\n\n![画像](a.png)\n"),
        ("front.md", "---\ntitle: 題名\n---\n\n<!-- 下書き -->\n"),
    ],
)
def test_title_alone(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError) as error:
        read_source(path)
    assert str(error.value) == f"{path}: only a title, no text to read aloud"


@pytest.mark.parametrize("markdown", [False, True], ids=["text", "markdown"])
@pytest.mark.parametrize(
    "line",
    [
        "今日は近所の図書館で一日中本を読んで過ごしましたが、窓際の席はとても静かで思ったより集中できました",
        "短い記事です。",
    ],
    ids=["long", "sentence"],
)
def test_one_paragraph_article_is_named_after_the_file(markdown: bool, line: str) -> None:
    """A lone line of prose is the article, not its title."""
    document = parse_text(f"{line}\n", markdown=markdown, name="blog/2024-05-03-diary.txt")
    assert document.title == "2024-05-03-diary"
    assert [(s.heading, s.line, s.paragraphs) for s in document.sections] == [(None, 1, (line,))]


def test_first_line_ending_in_a_full_stop_is_not_the_title() -> None:
    text = "今日は雨でした。\n傘を忘れました。\n\n明日は晴れるそうです。\n"
    document = parse_text(text, markdown=False, name="rain.txt")
    assert document.title == "rain"
    assert document.sections[0].paragraphs == (
        "今日は雨でした。\n傘を忘れました。",
        "明日は晴れるそうです。",
    )


def test_long_title_with_text_under_it_stays_the_title() -> None:
    title = "【保存版】在宅勤務を三年続けて分かった、仕事場の作り方と一日のリズムの整え方のすべて"
    assert len(title) > 40
    document = parse_text(f"{title}\n\n本文です。\n", markdown=False)
    assert document.title == title


def test_invalid_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: [unclosed\n---\n\n本文です。\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"bad\.md:\d+: invalid YAML front matter"):
        read_source(path)


def test_text_between_two_rules_is_not_front_matter() -> None:
    text = "---\n区切りの間の本文です。\n---\n\n後ろの本文です。\n"
    document = parse_text(text, markdown=True, name="rules.md")
    # A sentence over "---" is a paragraph and a rule, though CommonMark reads a heading.
    assert document.title == "rules"
    assert [(s.heading, s.line, s.paragraphs) for s in document.sections] == [
        (None, 2, ("区切りの間の本文です。", "後ろの本文です。"))
    ]


# ---------------------------------------------------------------- chrome


ARTICLE_WITH_AD = "タイトル\n\nPR：この記事にはアフィリエイトリンクを含みます\n本文です。\n"


def test_extra_chrome_patterns_drop_whole_lines() -> None:
    plain = parse_text(ARTICLE_WITH_AD, markdown=False)
    assert plain.sections[0].paragraphs == (
        "PR：この記事にはアフィリエイトリンクを含みます\n本文です。",
    )
    cleaned = parse_text(ARTICLE_WITH_AD, markdown=False, extra_chrome_patterns=["pr：.*"])
    assert cleaned.sections[0].paragraphs == ("本文です。",)
    # A pattern must match the whole line: this one matches only a part.
    partial = parse_text(ARTICLE_WITH_AD, markdown=False, extra_chrome_patterns=["PR"])
    assert partial == plain


def test_extra_chrome_patterns_apply_to_markdown(tmp_path: Path) -> None:
    path = tmp_path / "ad.md"
    path.write_text("# タイトル\n\n**PR**\n\n本文です。\n", encoding="utf-8")
    document = read_source(path, extra_chrome_patterns=["PR"])
    assert document.sections[0].paragraphs == ("本文です。",)


def test_invalid_user_pattern_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as error:
        parse_text(ARTICLE_WITH_AD, markdown=False, extra_chrome_patterns=["ok", "(未閉じ"])
    assert str(error.value).startswith("<text>: invalid chrome pattern '(未閉じ': ")
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE_WITH_AD, encoding="utf-8")
    with pytest.raises(SourceError) as error:
        read_source(path, extra_chrome_patterns=["[abc"])
    assert str(error.value).startswith(f"{path}: invalid chrome pattern '[abc': ")
    assert "\n" not in str(error.value)


def test_urls_inside_sentences_are_cut_out() -> None:
    text = (
        "タイトル\n\n詳しくは https://example.com/a?b=1 を見てください。\n"
        "See https://x.org for more.\n"
    )
    document = parse_text(text, markdown=False)
    assert document.sections[0].paragraphs == ("詳しくはを見てください。\nSee for more.",)


# ---------------------------------------------------------------- plain-text headings


def _plain(text: str) -> list[tuple[str | None, tuple[str, ...]]]:
    return [(s.heading, s.paragraphs) for s in parse_text(text, markdown=False).sections]


def test_last_short_line_is_not_a_heading() -> None:
    assert _plain("タイトル\n\n本文です。\n\nではまた\n") == [(None, ("本文です。", "ではまた"))]


def test_short_line_ending_like_a_sentence_is_not_a_heading() -> None:
    assert _plain("タイトル\n\n以上です。\n\n本文です。\n") == [
        (None, ("以上です。", "本文です。"))
    ]


def test_long_line_is_not_a_heading() -> None:
    line = "これは四十文字をこえる長さの一行なので、句点で終わらないけれども見出しではない行です"
    assert len(line) > 40
    assert _plain(f"タイトル\n\n{line}\n\n本文です。\n") == [(None, (line, "本文です。"))]


def test_marked_line_on_top_of_its_paragraph_is_a_heading() -> None:
    text = "タイトル\n\n第2章 準備\n道具をそろえます。\n\n▼手順\n順に進めます。\n"
    assert _plain(text) == [("第2章 準備", ("道具をそろえます。",)), ("手順", ("順に進めます。",))]


@pytest.mark.parametrize(
    "separator",
    [
        "ーーーーーーーー",
        "――――",
        "＝＝＝",
        "======",
        "-----",
        "・・・・",
        "＊＊＊",
        "***",
        "〜〜〜〜",
        "* * *",
    ],
)
def test_separator_lines_are_never_read_nor_headings(separator: str) -> None:
    text = (
        f"タイトル\n\n本文です。\n{separator}\n続きです。\n\n{separator}\n\n"
        f"{separator}\nまとめ\n{separator}\n最後です。\n"
    )
    assert _plain(text) == [
        (None, ("本文です。", "続きです。")),
        ("まとめ", ("最後です。",)),
    ]


def test_short_lines_in_a_row_are_all_kept() -> None:
    text = (
        "映画を観てきた話\n\nこんにちは、山田です\n\n今日は先週観た映画の話をします\n\n"
        "ネタバレなしで感想を書きます。とても良かった。\n"
    )
    document = parse_text(text, markdown=False)
    assert document.title == "映画を観てきた話"
    spoken = [s.heading for s in document.sections] + [
        p for s in document.sections for p in s.paragraphs
    ]
    for line in text.split("\n")[1:]:
        assert not line or line in spoken
    assert [(s.heading, s.line, s.paragraphs) for s in document.sections] == [
        (None, 3, ("こんにちは、山田です",)),
        ("今日は先週観た映画の話をします", 5, ("ネタバレなしで感想を書きます。とても良かった。",)),
    ]


def test_empty_heading_stays_in_reading_order() -> None:
    text = "タイトル\n\n■ 前半\n前半の本文です。\n\n■ 後半\n\n■ 後半その一\n本文です。\n"
    assert _plain(text) == [
        ("前半", ("前半の本文です。", "後半")),
        ("後半その一", ("本文です。",)),
    ]


def test_hash_marked_line_is_a_heading_without_its_marks() -> None:
    text = "# 題名\n\n## 準備\n道具をそろえます。\n\n#AI #ブログ\n"
    document = parse_text(text, markdown=False)
    assert document.title == "題名"
    assert [(s.heading, s.paragraphs) for s in document.sections] == [
        ("準備", ("道具をそろえます。",))
    ]


def test_table_of_contents_is_not_read() -> None:
    text = "タイトル\n\n目次\n\nはじめに\n使い方\n\nはじめに\n\n本文です。\n"
    assert _plain(text) == [("はじめに", ("本文です。",))]


def test_hatena_markers_and_emptied_brackets_go() -> None:
    text = "タイトル\n\n[:contents]\n\n詳しくは[https://example.com/a:embed:cite]と「https://x.jp」へ。\n"
    assert _plain(text) == [(None, ("詳しくはとへ。",))]


def test_related_links_end_at_the_next_heading_with_text() -> None:
    text = (
        "タイトル\n\n本文です。\n\nあわせて読みたい\n\n記事A｜著者\nhttps://note.com/a\n\n"
        "記事B｜著者\n\n続き\n\n続きの本文です。\n"
    )
    assert _plain(text) == [(None, ("本文です。",)), ("続き", ("続きの本文です。",))]


@pytest.mark.parametrize(
    "heading", ["3. 確定申告は早めに！", "なぜ不安になるのか？", "Q. 営業は必要？", "２）準備する"]
)
def test_lone_question_exclamation_or_numbered_line_is_a_heading(heading: str) -> None:
    text = f"タイトル\n\n本文です。\n\n{heading}\n\nこれは本当に大事なことなので、最初に書いておきます。\n"
    assert _plain(text) == [
        (None, ("本文です。",)),
        (heading, ("これは本当に大事なことなので、最初に書いておきます。",)),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "タイトル\n\n本文です。\n\nすごい！\n\nほんと\n",  # nothing like a body follows
        "タイトル\n\n本文です。\n\n楽しかった！\n\nまた行く！\n",  # no longer prose follows
        "タイトル\n\n本文です。\n\n1. まず準備をします。\n\n次に手順を説明します。\n",  # 。
    ],
)
def test_exclamations_and_numbered_sentences_stay_prose(text: str) -> None:
    assert [heading for heading, _ in _plain(text)] == [None]


@pytest.mark.parametrize(
    "chrome",
    [
        "2024-05-03",
        "2024/5/3 21:15",
        "スポンサーリンク",
        "yuki_travel 1年前 読者になる",
        "Twitterで共有",
        "Facebookでシェア",
        "はてなブックマーク",
        "コメントを書く",
    ],
)
def test_hatena_page_chrome_lines_go(chrome: str) -> None:
    assert _plain(f"タイトル\n\n本文です。\n{chrome}\n続きです。\n") == [
        (None, ("本文です。\n続きです。",))
    ]


def test_hatena_related_articles_go_to_the_end() -> None:
    text = (
        "タイトル\n\n本文です。\n\nこの記事を読んだ人はこんな記事も読んでいます\n\n記事A\n\n記事B\n"
    )
    assert _plain(text) == [(None, ("本文です。",))]


@pytest.mark.parametrize(
    ("line", "spoken"),
    [
        ("写真です[f:id:a:20240501093000j:plain]。", "写真です。"),
        ("本[asin:4101010013:detail]と式[tex:x^2]と[g:hatena]と[gist:a/b]", "本と式とと"),
        ("散歩しました[*1]。", "散歩しました。"),
        ("うどんです。((大好物))", "うどんです。大好物"),
        ("*1:紅葉の季節は混む", "紅葉の季節は混む"),
    ],
)
def test_hatena_notation_is_not_read(line: str, spoken: str) -> None:
    assert _plain(f"タイトル\n\n{line}\n") == [(None, (spoken,))]


@pytest.mark.parametrize("heading", ["参考", "参考:", "参考：", "参考文献"])
def test_plain_reference_heading_is_related_links(heading: str) -> None:
    text = f"# タイトル\n\n本文です。\n\n## {heading}\n\n- [記事](https://a.example)\n"
    assert _markdown(text) == [(None, ("本文です。",))]


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("lead", "role"),
    [
        ("私は毎朝この道を通ります。", Role.LEAD),  # one marker
        ("私は私の道を通ります。", Role.LEAD),  # the same marker twice
        ("私はこの道が好きだと思う。", Role.IMPRESSIONS),  # two different markers
        ("この道は江戸時代に作られました。", Role.LEAD),
    ],
)
def test_untitled_lead_role(lead: str, role: Role) -> None:
    document = parse_text(f"タイトル\n\n{lead}\n", markdown=False)
    assert [(s.heading, s.role) for s in document.sections] == [(None, role)]


@pytest.mark.parametrize(
    ("heading", "role"),
    [
        ("TL;DR", Role.OVERVIEW),
        ("この記事のポイント", Role.OVERVIEW),
        ("個人的な感想", Role.IMPRESSIONS),
        ("Conclusion", Role.CLOSING),
        ("3. 最後に", Role.CLOSING),
        ("実装の詳細", Role.TOPIC),
    ],
)
def test_heading_role(heading: str, role: Role) -> None:
    document = parse_text(f"# タイトル\n\n## {heading}\n\n本文です。\n", markdown=True)
    assert [(s.heading, s.role) for s in document.sections] == [(heading, role)]


# ---------------------------------------------------------------- Markdown


def _markdown(text: str) -> list[tuple[str | None, tuple[str, ...]]]:
    return [(s.heading, s.paragraphs) for s in parse_text(text, markdown=True).sections]


@pytest.mark.parametrize(
    ("line", "spoken"),
    [
        (
            "`__init__.py` と snake_case_name はそのまま",
            "__init__.py と snake_case_name はそのまま",
        ),
        ("**太字**と*斜体*と_下線風_と~~取り消し~~", "太字と斜体と下線風と取り消し"),
        ("<b>タグ</b>は消え、&amp; は & になる", "タグは消え、& は & になる"),
        ("注釈つき[^1]の文と\\*エスケープ\\*", "注釈つきの文と*エスケープ*"),
        ("[リンク](https://a.example)と![画像](b.png)と<https://c.example>", "リンクとと"),
        ("**「強調」**と『*書名*』と__「下線」__", "「強調」と『書名』と「下線」"),  # CJK flanking
        ("\\*星\\*と`**code**`と\\_下\\_はそのまま", "*星*と**code**と_下_はそのまま"),
        ("本文<script>alert(1)</script>です<!-- メモ -->。", "本文です。"),
        ("一行目<br>二行目", "一行目\n二行目"),
        ("詳しくは https://a.example/x_y を見て www.b.example も", "詳しくはを見ても"),
        ("式$a^2$と$$b$$です", "式とです"),
        ("$5と$10、$5 and $10、\\$x$、`$y$`", "$5と$10、$5 and $10、$x$、$y$"),
        ("完成:rocket:です:+1: 10:30集合 注意: 熱い `:x:`", "完成です 10:30集合 注意: 熱い :x:"),
        ("> [!TIP]\n> 便利です。", "便利です。"),
        ("$$\nE = mc^2\n$$", None),
    ],
)
def test_inline_markup(line: str, spoken: str | None) -> None:
    text = f"# タイトル\n\n{line}\n\n本文。\n"
    assert _markdown(text) == [(None, (*([spoken] if spoken else []), "本文。"))]


def test_markdown_suffix_is_case_insensitive(tmp_path: Path) -> None:
    text = "# 題名\n\n**本文**です。\n"
    (tmp_path / "a.MARKDOWN").write_text(text, encoding="utf-8")
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    assert read_source(tmp_path / "a.MARKDOWN").sections[0].paragraphs == ("本文です。",)
    assert read_source(tmp_path / "a.txt").sections[0].paragraphs == ("**本文**です。",)


def test_unclosed_fence_hides_the_rest() -> None:
    assert _markdown("# タイトル\n\n本文です。\n\n~~~\nprint('x')\n\n後ろも全部コード\n") == [
        (None, ("本文です。",))
    ]


def test_without_h1_the_first_line_is_the_title() -> None:
    text = "題名の行\n二行目の本文です。\n\n## 節\n\n節の本文です。\n"
    document = parse_text(text, markdown=True)
    assert document.title == "題名の行"
    assert [(s.heading, s.line, s.paragraphs) for s in document.sections] == [
        (None, 2, ("二行目の本文です。",)),
        ("節", 4, ("節の本文です。",)),
    ]


def test_setext_headings() -> None:
    text = "題名\n===\n\n本文です。\n\n節の見出し\n---\n\n節の本文です。\n"
    document = parse_text(text, markdown=True)
    assert document.title == "題名"
    assert [(s.heading, s.line, s.paragraphs) for s in document.sections] == [
        (None, 4, ("本文です。",)),
        ("節の見出し", 6, ("節の本文です。",)),
    ]


def test_code_is_never_read_even_inside_lists() -> None:
    text = (
        "# タイトル\n\n- 手順です\n\n  ```sh\n  rm -rf build\n  ```\n"
        "- 次の手順\n\n      make install\n\n- 最後\n\n段落です。\n\n    インデントされたコード\n"
    )
    assert _markdown(text) == [(None, ("手順です\n次の手順\n最後", "段落です。"))]


def test_html_blocks_are_never_read() -> None:
    text = (
        "# タイトル\n\n<script>\nvar a = 1;\n\nvar b = 2;\n</script>\n\n"
        "<style>\np { color: red }\n</style>\n\n<!--\n下書きのメモ\n\nまだ非公開\n-->\n\n"
        '<div align="center">\n<img src="a.png">\n</div>\n\n本文です。\n'
    )
    assert _markdown(text) == [(None, ("本文です。",))]


def test_blocks_of_every_kind() -> None:
    text = (
        "# タイトル\n\n> 引用の一行目です。\n> 二行目です。\n\n***\n\n"
        "1. 一つ目\n   - 入れ子の項目\n2. [x] 済んだこと\n\n"
        "| 年 | 件数 |\n|---|---:|\n| 2024 | 12 |\n|  | 3 |\n\n"
        "前の段落です。\nーーーー\n後の段落です。\n"
    )
    assert _markdown(text) == [
        (
            None,
            (
                "引用の一行目です。\n二行目です。",
                "一つ目\n入れ子の項目\n済んだこと",
                "年、件数\n2024、12\n3",
                "前の段落です。",
                "後の段落です。",
            ),
        )
    ]


def test_sentence_above_dashes_is_a_paragraph_and_a_rule() -> None:
    text = "# タイトル\n\n最初の段落です。\n---\n\n次の段落です。\n"
    assert _markdown(text) == [(None, ("最初の段落です。", "次の段落です。"))]


def test_footnotes_and_zenn_boxes() -> None:
    text = (
        "# タイトル\n\n本文です[^1]。\n\n:::message alert\n大事なことです。\n:::\n\n"
        ":::details 答え\n答えは42です。\n:::\n\n@[card](https://zenn.dev/x)\n\n"
        "[^1]:補足の注釈です。\n"
    )
    assert _markdown(text) == [
        (None, ("本文です。", "大事なことです。", "答え\n答えは42です。", "補足の注釈です。"))
    ]


def test_h1_on_top_beats_the_front_matter_title() -> None:
    text = "---\ntitle: 前付けの題\n---\n\n# 本文の題\n\n本文です。\n\n## 節\n\n節の本文です。\n"
    document = parse_text(text, markdown=True)
    assert document.title == "本文の題"
    assert [(s.heading, s.line) for s in document.sections] == [(None, 7), ("節", 9)]
    later_h1 = parse_text("---\ntitle: 前付けの題\n---\n\n本文です。\n", markdown=True)
    assert later_h1.title == "前付けの題"


def test_h1_sections_under_a_front_matter_title() -> None:
    """Zenn style: the title in front matter, the body cut by # headings."""
    text = "---\ntitle: 記事の題\n---\n\n# はじめに\n\n本文です。\n\n# まとめ\n\n以上です。\n"
    document = parse_text(text, markdown=True)
    assert document.title == "記事の題"
    assert [(s.heading, s.line) for s in document.sections] == [("はじめに", 5), ("まとめ", 9)]


def test_a_lower_heading_on_top_is_not_the_title() -> None:
    text = "## はじめに\n\n本文です。\n\n## おわりに\n\n以上です。\n"
    document = parse_text(text, markdown=True, name="posts/my-first-post.md")
    assert document.title == "my-first-post"
    assert [(s.heading, s.line) for s in document.sections] == [
        ("はじめに", 1),
        ("おわりに", 5),
    ]


def test_markdown_empty_heading_is_kept() -> None:
    text = "# タイトル\n\n## 第一部\n\n## 準備\n\n本文です。\n"
    assert _markdown(text) == [(None, ("第一部",)), ("準備", ("本文です。",))]
