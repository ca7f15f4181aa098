"""Issue 10, text part: what used to be lost, misread or refused, on real parts."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from yomiage.audio.samples import Audio, resample
from yomiage.errors import SourceError
from yomiage.source.read import read_source

# ---------------------------------------------------------------- NUL bytes


@pytest.mark.parametrize("offset", [10, 9000, 200_000], ids=["early", "after-8k", "late"])
def test_a_nul_byte_anywhere_is_binary(tmp_path: Path, offset: int) -> None:
    body = ("本文です。" * 30000).encode()
    path = tmp_path / "article.txt"
    path.write_bytes(b"# title\n\n" + body[:offset] + b"\x00" + body[offset:])
    with pytest.raises(SourceError, match="looks like a binary file"):
        read_source(path)


def test_control_bytes_late_in_a_file_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(("本文です。\n" * 1000).encode() + bytes(range(1, 9)) * 4000)
    with pytest.raises(SourceError, match="looks like a binary file"):
        read_source(path)


# ---------------------------------------------------------------- resampling


def _alias_db(source_rate: int, target_rate: int, tone_hz: float) -> float:
    """Level of everything the resampler left at `target_rate` from a tone above its
    Nyquist frequency, in dB relative to the tone (a perfect filter leaves nothing)."""
    seconds = 1.0
    t = np.arange(int(source_rate * seconds)) / source_rate
    tone = (0.5 * np.sin(2 * np.pi * tone_hz * t)).astype(np.float32)
    out = resample(Audio(tone, source_rate), target_rate).samples.astype(np.float64)
    middle = out[len(out) // 4 : -len(out) // 4]  # away from the filter's edges
    return float(20 * np.log10(np.sqrt(np.mean(middle**2)) / (0.5 / np.sqrt(2)) + 1e-20))


def test_resampling_48k_to_44k1_leaves_no_audible_alias() -> None:
    level = _alias_db(48_000, 44_100, 23_000.0)  # 23 kHz: above 44.1 kHz's Nyquist (22.05)
    assert level < -100, f"alias at {level:.1f} dB"


def test_resampling_keeps_a_tone_in_band() -> None:
    rate = 24_000
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    out = resample(Audio(tone, rate), 44_100)
    assert out.rate == 44_100 and abs(len(out.samples) - 44_100) <= 1
    middle = out.samples[11_025:-11_025].astype(np.float64)
    assert abs(np.sqrt(np.mean(middle**2)) - 0.5 / np.sqrt(2)) < 0.005


# ---------------------------------------------------------------- normaliser

SAID = {
    # written: (normalised text, what Open JTalk must say in it)
    "東京〜大阪": ("東京から大阪", "トーキョーカラオーサカ"),
    "月曜～金曜の営業": ("月曜から金曜の営業", "ゲツヨーカラキンヨー"),
    "5/10に開催": ("5月10日に開催", "ゴガツトーカニカイサイ"),
    "12/25(水)のクリスマス": ("12月25日 水曜日のクリスマス", "ジューニガツニジューゴニチ"),
    "第3-4章": ("第3から4章", "ダイサンカラヨンショー"),
    "3-4人で": ("3から4人で", "サンカラヨニンデ"),
    "1/2の確率": ("2分の1の確率", "ニブンノイチノカクリツ"),
}
UNCHANGED = ["03-1234-5678", "〒123-4567", "ありがとう〜", "〜について", "GPT-4", "v1/2"]


@pytest.mark.parametrize("written", list(SAID))
def test_the_normaliser_says_ranges_and_dates(written: str) -> None:
    import pyopenjtalk

    from yomiage.speech.normalize import normalize

    text, kana = SAID[written]
    assert normalize(written) == text
    assert kana in pyopenjtalk.g2p(text, kana=True)


@pytest.mark.parametrize("written", UNCHANGED)
def test_the_normaliser_leaves_numbers_that_are_no_range_or_date(written: str) -> None:
    from yomiage.speech.normalize import normalize

    assert "から" not in normalize(written) and "月" not in normalize(written)


# ---------------------------------------------------------------- long sentences

UNBROKEN = ("今日は東京で新しい技術の発表会が開かれて多くの人が集まった" * 300)[:8000]


def test_a_long_sentence_without_punctuation_is_cut_at_phrases() -> None:
    import pyopenjtalk

    from yomiage.speech.split import MAX_CLAUSE_CHARS, split_sentences

    with pytest.raises(RuntimeError, match="too long"):
        pyopenjtalk.run_frontend(UNBROKEN)  # what the engine was given before
    pieces = split_sentences(UNBROKEN)
    assert "".join(pieces) == UNBROKEN  # nothing lost, nothing added
    assert max(map(len, pieces)) <= MAX_CLAUSE_CHARS
    # Every cut falls between Open JTalk's own words, never inside one.
    words = [node["string"] for node in pyopenjtalk.run_frontend(UNBROKEN[:3000])]
    word_ends = {sum(map(len, words[: i + 1])) for i in range(len(words))}
    offset = 0
    for piece in pieces[:-1]:
        offset += len(piece)
        if offset <= 3000:
            assert offset in word_ends, piece[-5:]


def test_a_long_run_of_latin_letters_is_cut_at_spaces_or_hard() -> None:
    from yomiage.speech.split import MAX_CLAUSE_CHARS, split_sentences

    words = " ".join(["pronunciation"] * 200)
    assert max(map(len, split_sentences(words))) <= MAX_CLAUSE_CHARS
    assert all(p.endswith("pronunciation") for p in split_sentences(words))
    assert max(map(len, split_sentences("x" * 1000))) <= MAX_CLAUSE_CHARS


def test_an_engine_failure_names_the_chapter_and_the_sentence(tmp_path: Path) -> None:
    from fakes import FakeEngine

    from yomiage.config import load_config
    from yomiage.episode.build import build_episode
    from yomiage.errors import SynthesisError

    source = tmp_path / "article.md"
    source.write_text("# 記事\n\n## 一章\n\n一つ目。\n\n## 二章\n\n四つ目。五つ目。\n", "utf-8")
    order = FakeEngine()
    build_episode(source, load_config(), tmp_path / "first", engine=order)
    failing = FakeEngine(fail_after=order.calls.index("五つ目。"))
    with pytest.raises(SynthesisError) as error:
        build_episode(source, load_config(), tmp_path / "out", engine=failing)
    message = str(error.value)
    # Chapter 1 is the intro; paragraph 1 of a chapter is its spoken title.
    assert message.startswith("chapter 3 「二章」, paragraph 2, sentence 2: ")
    assert message.endswith("fake engine failed on 「五つ目。」")


def test_open_jtalk_says_which_text_it_failed_on() -> None:
    from yomiage.config import load_config
    from yomiage.engines.openjtalk import OpenJTalkEngine
    from yomiage.errors import SynthesisError

    engine = OpenJTalkEngine(load_config().voice, workers=1)
    with pytest.raises(SynthesisError, match="too long") as error:
        list(engine.synthesize(["短い文です。", "あ", UNBROKEN]))
    assert error.value.position == 2


# ---------------------------------------------------------------- unpronounceable text

PRONOUNCEABLE = {
    "한국어 텍스트입니다.": False,
    "😀😀🎉": False,
    "Привет": False,
    "々ー": False,
    "本文です。": True,
    "abc": True,
    "123": True,
}


@pytest.mark.parametrize("text", list(PRONOUNCEABLE))
def test_what_counts_as_pronounceable_is_what_open_jtalk_says(text: str) -> None:
    import pyopenjtalk

    from yomiage.speech.split import is_speakable

    assert bool(pyopenjtalk.g2p(text)) is PRONOUNCEABLE[text]
    assert is_speakable(text) is PRONOUNCEABLE[text]


@pytest.mark.parametrize(
    "section", ["## 한국어\n\n한국어 텍스트입니다.\n", "## 😀\n\n😀😀🎉\n"], ids=["korean", "emoji"]
)
def test_a_chapter_with_nothing_to_pronounce_is_refused_before_synthesis(
    tmp_path: Path, section: str
) -> None:
    from fakes import FakeEngine

    from yomiage.config import load_config
    from yomiage.episode.build import build_episode
    from yomiage.errors import ScriptError

    source = tmp_path / "article.md"
    body = "今日は晴れです。明日も晴れです。" * 3
    source.write_text(f"# 記事\n\n## はじめに\n\n{body}\n\n{section}", encoding="utf-8")
    engine = FakeEngine()
    with pytest.raises(
        ScriptError, match=r"^chapter 3 「.+」 has nothing a Japanese voice can pronounce"
    ):
        build_episode(source, load_config(), tmp_path / "out", engine=engine)
    assert engine.calls == []  # decided before anything was spoken
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.mp3"))


def test_a_document_mostly_in_another_script_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "korean.md"
    source.write_text("# 記事\n\n## 本文\n\n" + "한국어 텍스트입니다. " * 20 + "\n", "utf-8")
    with pytest.raises(SourceError, match=r"korean\.md: only \d+% of the text can be pronounced"):
        read_source(source)


# ---------------------------------------------------------------- line breaks

PREFIXED = "はお客様のためにご当地グルメを紹介しますのでぜひ来てください"


def _splits_a_prefix(lines: Sequence[str]) -> bool:
    """A line ending in お or ご with the noun on the next line: お|客様, ご|当地."""
    return any(a.endswith(("お", "ご")) and b[:1] in "客当" for a, b in itertools.pairwise(lines))


@pytest.mark.parametrize("lead", range(15, 32))
def test_transcript_lines_keep_honorific_prefixes_with_their_nouns(lead: int) -> None:
    from yomiage.publish.sidecars import break_lines

    lines = break_lines("あ" * lead + PREFIXED)
    assert "".join(lines) == "あ" * lead + PREFIXED
    assert not _splits_a_prefix(lines), lines


@pytest.mark.parametrize(
    "title", ["ようこそお客様ご当地ラーメン大集合スペシャル", "本日のお客様ご当地自慢大会の記録"]
)
def test_cover_lines_keep_honorific_prefixes_with_their_nouns(title: str) -> None:
    from yomiage.publish.cover import layout_cover

    layout = layout_cover("よみあげラジオ", title)
    assert layout.title is not None
    assert not _splits_a_prefix(layout.title.lines), layout.title.lines


def test_one_kinsoku_table_for_transcripts_and_covers() -> None:
    from yomiage import writing
    from yomiage.publish import cover
    from yomiage.publish import sidecars as publish

    for module in (cover, publish):
        assert module.NO_LINE_START is writing.NO_LINE_START
        assert module.NO_LINE_END is writing.NO_LINE_END
    # the marks the two tables had each lost
    assert set("℃°‰―〟ㇰㇿ") <= writing.NO_LINE_START


# ---------------------------------------------------------------- the font


def test_the_cover_font_ships_with_yomiage_and_its_licence() -> None:
    import yomiage
    from yomiage.publish.cover import font_path

    path = font_path()
    assert path.parent.parent.parent == Path(yomiage.__file__).parent  # yomiage/data/fonts
    assert (path.parent / "IPA_Font_License_Agreement_v1.0.txt").is_file()
    pyproject = Path(__file__).parent.parent / "pyproject.toml"
    assert "matplotlib" not in pyproject.read_text("utf-8")  # no plotting library for a font


# ---------------------------------------------------------------- Markdown


def _markdown_paragraphs(text: str) -> list[str]:
    from yomiage.source.read import parse_text

    document = parse_text(text, markdown=True, name="deep.md")
    return [p for section in document.sections for p in section.paragraphs]


def test_a_list_15_deep_keeps_every_item() -> None:
    items = "\n".join("  " * depth + f"- 項目{depth}です" for depth in range(15))
    spoken = "\n".join(_markdown_paragraphs(f"# 題\n\n本文です。\n\n{items}\n"))
    assert [f"項目{depth}です" in spoken for depth in range(15)] == [True] * 15


def test_quotes_20_deep_keep_every_line() -> None:
    quotes = "\n".join(">" * (depth + 1) + f" 引用{depth}です。" for depth in range(20))
    spoken = "\n".join(_markdown_paragraphs(f"# 題\n\n本文です。\n\n{quotes}\n"))
    assert [f"引用{depth}です" in spoken for depth in range(20)] == [True] * 20


def test_nesting_too_deep_to_read_is_refused_with_its_line() -> None:
    from yomiage.source.read import parse_text

    text = "# 題\n\n本文です。\n\n" + ">" * 300 + " 深すぎる引用。\n"
    with pytest.raises(SourceError, match=r"^deep\.md:5: lists or quotes nested too deep"):
        parse_text(text, markdown=True, name="deep.md")


def test_a_footnote_with_a_second_paragraph_is_read_whole() -> None:
    text = "# 題\n\n本文です[^1]。\n\n[^1]: 注釈の一段落目。\n\n    注釈の二段落目。\n"
    assert _markdown_paragraphs(text) == ["本文です。", "注釈の一段落目。", "注釈の二段落目。"]


def test_math_and_prices_in_one_paragraph() -> None:
    text = "# 題\n\n式$x^2$は$5と$10の差です。\n\n$$\nE = mc^2\n$$\n\n- [x] 済み\n"
    assert _markdown_paragraphs(text) == ["式は$5と$10の差です。", "済み"]


def test_a_footnote_no_mark_points_to_is_still_read() -> None:
    text = "# 題\n\n本文です。\n\n[^1]: 参照されない注釈。\n\n後の段落。\n"
    assert _markdown_paragraphs(text) == ["本文です。", "参照されない注釈。", "後の段落。"]
