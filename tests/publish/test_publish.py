"""Sidecar files from one Timeline, read back by real parsers: json, webvtt-py, and a strict SRT reader.

Line rule checked here: a cue has 1 or 2 lines, each at most 32 characters
(Python code points, spaces and punctuation included, counted on the text as
written, before VTT escaping), and the lines of a sentence's cues, concatenated
with nothing between them, give back the sentence exactly.
"""

from __future__ import annotations

import io
import itertools
import json
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
import webvtt

from yomiage.audio.timeline import (
    CHAPTER_LEAD_MS,
    ChapterMark,
    Pauses,
    SentenceSpan,
    Timeline,
    Utterance,
    plan_timeline,
)
from yomiage.publish import sidecars as publish
from yomiage.publish.sidecars import break_lines, chapters_json, cues, srt, transcript_text

RATE = 1000  # one sample per millisecond: sample offsets read as milliseconds
PAUSES = Pauses(sentence=300, paragraph=700, chapter=1500, edge=200)
MS_PER_CHAR = 130  # about how fast Open JTalk reads Japanese
MAX_LINE = 32
LATIN = re.compile(r"[0-9A-Za-z]+(?:[.,:'\-/][0-9A-Za-z]+)*")  # words and numbers: never split

TWO_CUES = (  # 65 to 128 characters: 3 or 4 lines
    "人工知能の研究は長い歴史を持っていますが、ここ数年の進歩は特に目覚ましく、"
    "医療や教育をはじめとする多くの分野で実用化が進んでいると言われています。"
)
THREE_CUES = (  # over 128 characters
    "この記事では、大規模言語モデルを使った日本語テキストの自動要約について、"
    "その仕組みと限界を、実際のニュース記事を例にしながら、できるだけ専門用語を使わずに説明し、"
    "最後に私たちが日々の仕事でどのように使っているかを紹介したうえで、今後の課題と展望についても簡単に触れます。"
)
# A Latin word or a number straddles character 32, where a greedy cut would land.
LATIN_AT_32 = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふ Kubernetes 1.29.3 と Python 3.12.1 と GPT-4o を比べた結果、12,345,678 件の記録が残りました。"
NUMBERS_AT_32 = "二〇二四年の売上高は前年比で大きく伸び、第三四半期だけで1,234,567,890円に達したと発表されました。"
SPECIAL = "条件は a < b && b > c で、<b>太字</b> や AT&T、矢印 --> も、そのまま表示されること。"
ARROWS = "a-->b--->c と --> と <!-- --> と &amp; と &lt; の文字列は、字幕の中で文字どおりに見えなければならず、決して手がかりとして読まれてはならない。"
URL = "詳しくは https://example.com/articles/2024/05/07/very-long-path-name-for-testing.html をご覧ください。"
COMMA_REACHABLE = "今日は天気が良いので、少し遠くの公園まで歩いて行くことにしました。"
KINSOKU = "「いっしょに行こう」と彼は言った。ちょっと待って、ショッピングモールのエスカレーターで――ほんの少しだけ……お待ちください。"

assert 64 < len(TWO_CUES) <= 128 < len(THREE_CUES)
assert all(len(text) > 64 for text in (LATIN_AT_32, ARROWS, URL))

CHAPTERS = [
    ("はじめに", ["こんにちは。", "今日は長い文を読み上げます。", TWO_CUES]),
    ("本題：技術 & <未来>", [THREE_CUES, LATIN_AT_32, NUMBERS_AT_32, SPECIAL, ARROWS]),
    ("おわりに", [URL, KINSOKU, "以上です。"]),
]


def make_timeline(chapters: Sequence[tuple[str, Sequence[str]]]) -> Timeline:
    """A Timeline as the pipeline plans it: each sentence lasts MS_PER_CHAR per character."""
    utterances = [
        Utterance(chapter, 0, text) for chapter, (_, texts) in enumerate(chapters) for text in texts
    ]
    lengths = [MS_PER_CHAR * len(u.text) for u in utterances]
    ids = [(f"ch{n:02d}", title) for n, (title, _) in enumerate(chapters)]
    return plan_timeline(utterances, lengths, ids, PAUSES, RATE)


TIMELINE = make_timeline(CHAPTERS)


# --- readers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadCue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]  # as displayed: entities decoded


def unescape_vtt(line: str) -> str:
    """Decode exactly the three escapes the writer uses; any other & or < is an error."""
    assert "<" not in line and ">" not in line, line  # so no --> either
    assert not re.search(r"&(?!amp;|lt;|gt;)", line), line
    entities = {"amp": "&", "lt": "<", "gt": ">"}
    return re.sub(r"&(amp|lt|gt);", lambda m: entities[m[1]], line)


def read_vtt(text: str) -> tuple[webvtt.WebVTT, list[ReadCue]]:
    assert text.startswith("WEBVTT\n\n")
    parsed = webvtt.from_string(text, strict=True)
    read = [
        ReadCue(
            c.start_time.in_milliseconds(),
            c.end_time.in_milliseconds(),
            tuple(unescape_vtt(line) for line in c.lines),
        )
        for c in parsed.captions
    ]
    # webvtt-py saw no cue tags: every < was escaped
    assert all(c.text == c.raw_text for c in parsed.captions)
    return parsed, read


SRT_TIMES = re.compile(r"(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})")


def read_srt(text: str) -> list[ReadCue]:
    """A strict SubRip reader: numbered blocks from 1, HH:MM:SS,mmm, text, a blank line."""
    assert text.endswith("\n\n") or text == ""
    read = []
    for number, block in enumerate(text[:-2].split("\n\n") if text else [], start=1):
        index, times, *lines = block.split("\n")
        assert index == str(number)
        match = SRT_TIMES.fullmatch(times)
        assert match, times
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, match.groups())
        assert max(m1, s1, m2, s2) < 60
        assert lines and all(line.strip() and "-->" not in line for line in lines), block
        read.append(
            ReadCue(
                ((h1 * 60 + m1) * 60 + s1) * 1000 + ms1,
                ((h2 * 60 + m2) * 60 + s2) * 1000 + ms2,
                tuple(lines),
            )
        )
    return read


# --- the checks every transcript must pass ------------------------------------------------


def assert_cues_fit(timeline: Timeline, read: Sequence[ReadCue]) -> None:
    """Inside the audio, in order, no overlap, at most 2 lines of at most 32 characters."""
    for cue in read:
        assert 0 <= cue.start_ms < cue.end_ms <= timeline.duration_ms
        assert 1 <= len(cue.lines) <= 2, cue
        assert all(1 <= len(line) <= MAX_LINE for line in cue.lines), cue
    for before, after in itertools.pairwise(read):
        assert before.end_ms <= after.start_ms


def sentence_cues(timeline: Timeline, read: Sequence[ReadCue]) -> list[list[ReadCue]]:
    """The cues of each sentence, by time; every cue belongs to exactly one sentence."""
    groups = [
        [c for c in read if s.start_ms <= c.start_ms and c.end_ms <= s.end_ms]
        for s in timeline.sentences
    ]
    assert sum(map(len, groups)) == len(read)
    return groups


def assert_sentences_given_back(
    timeline: Timeline, read: Sequence[ReadCue], shown: dict[str, str] | None = None
) -> None:
    """Each sentence's cues span it exactly and their lines join to its text (as shown)."""
    for sentence, group in zip(timeline.sentences, sentence_cues(timeline, read), strict=True):
        expected = sentence.text
        for old, new in (shown or {}).items():
            expected = expected.replace(old, new)
        assert "".join(line for c in group for line in c.lines) == expected
        assert (group[0].start_ms, group[-1].end_ms) == (sentence.start_ms, sentence.end_ms)
        assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(group))


def assert_no_latin_word_split(timeline: Timeline, read: Sequence[ReadCue]) -> None:
    lines = [line for c in read for line in c.lines]
    for sentence in timeline.sentences:
        for word in LATIN.findall(sentence.text):
            if len(word) <= MAX_LINE:
                assert any(word in line for line in lines), word


# --- WebVTT ----------------------------------------------------------------------------


def test_webvtt_is_valid_and_gives_back_every_sentence() -> None:
    _, read = read_vtt(publish.webvtt(TIMELINE))
    assert_cues_fit(TIMELINE, read)
    assert_sentences_given_back(TIMELINE, read)
    assert_no_latin_word_split(TIMELINE, read)


def test_long_sentences_take_several_cues_timed_by_their_characters() -> None:
    _, read = read_vtt(publish.webvtt(TIMELINE))
    groups = dict(
        zip([s.text for s in TIMELINE.sentences], sentence_cues(TIMELINE, read), strict=True)
    )
    assert len(groups[TWO_CUES]) == 2
    assert len(groups[THREE_CUES]) == 3
    for text in (TWO_CUES, THREE_CUES, LATIN_AT_32):
        group = groups[text]
        span = group[-1].end_ms - group[0].start_ms
        for cue in group:
            share = span * len("".join(cue.lines)) / len(text)
            # each cue is given 1 ms first, so that rounding never leaves one empty
            assert abs((cue.end_ms - cue.start_ms) - share) <= len(group)


def test_lines_break_after_punctuation_when_they_can() -> None:
    assert break_lines(COMMA_REACHABLE) == [
        "今日は天気が良いので、",
        "少し遠くの公園まで歩いて行くことにしました。",
    ]
    assert break_lines(TWO_CUES)[0] == "人工知能の研究は長い歴史を持っていますが、"
    # with no 、 in reach, after a particle rather than inside a word (はじめとする|多く)
    assert break_lines(TWO_CUES)[1].endswith("とする")


def test_kinsoku_no_line_starts_with_closing_marks_or_ends_with_opening_ones() -> None:
    for text in (KINSOKU, THREE_CUES, SPECIAL, NUMBERS_AT_32, LATIN_AT_32):
        lines = break_lines(text)
        assert "".join(lines) == text
        for line in lines[1:]:
            assert line[0] not in "、。」』）ーっゃゅょッャュョ…― ", line
        for line in lines[:-1]:
            assert line[-1] not in "「『（", line


def test_numbers_and_latin_words_are_never_cut() -> None:
    for text in (LATIN_AT_32, NUMBERS_AT_32, SPECIAL):
        cut = list(itertools.accumulate(len(line) for line in break_lines(text)))[:-1]
        for word in LATIN.finditer(text):
            assert not any(word.start() < at < word.end() for at in cut), word.group()


def test_a_word_longer_than_a_line_is_cut_but_nothing_is_lost() -> None:
    lines = break_lines(URL)
    assert "".join(lines) == URL
    assert all(len(line) <= MAX_LINE for line in lines)


def test_special_characters_are_escaped_and_come_back() -> None:
    text = publish.webvtt(TIMELINE)
    assert "a &lt; b &amp;&amp; b &gt; c" in text
    assert "&lt;b&gt;太字&lt;/b&gt;" in text
    assert "--&gt;" in text
    assert text.count("-->") == len(cues(TIMELINE))  # only the timing arrows


def test_chapter_titles_stand_as_notes_before_each_chapter() -> None:
    parsed, _ = read_vtt(publish.webvtt(TIMELINE))
    assert parsed.header_comments == ["はじめに"]  # before the first cue: the file's header
    firsts = {
        ch: min(i for i, c in enumerate(cues(TIMELINE)) if c.chapter_id == ch)
        for ch in ("ch01", "ch02")
    }
    assert parsed.captions[firsts["ch01"]].comments == ["本題：技術 & <未来>"]
    assert parsed.captions[firsts["ch02"]].comments == ["おわりに"]
    noted = [i for i, c in enumerate(parsed.captions) if c.comments]
    assert noted == sorted(firsts.values())


def test_a_title_with_an_arrow_or_a_line_break_keeps_the_note_valid() -> None:
    timeline = make_timeline([("前半", ["一。"]), ("A --> B\nC", ["二。"])])
    parsed, read = read_vtt(publish.webvtt(timeline))
    assert [c.comments for c in parsed.captions] == [[], ["A --＞ B C"]]
    assert_cues_fit(timeline, read)


def test_small_episode_golden() -> None:
    timeline = make_timeline(
        [("はじめに", ["こんにちは。"]), ("本題", ["A&B <c>。", "さようなら。"])]
    )
    assert publish.webvtt(timeline) == (
        "WEBVTT\n"
        "\n"
        "NOTE はじめに\n"
        "\n"
        "00:00:00.200 --> 00:00:00.980\n"
        "こんにちは。\n"
        "\n"
        "NOTE 本題\n"
        "\n"
        "00:00:02.480 --> 00:00:03.520\n"
        "A&amp;B &lt;c&gt;。\n"
        "\n"
        "00:00:03.820 --> 00:00:04.600\n"
        "さようなら。\n"
    )
    assert srt(timeline) == (
        "1\n00:00:00,200 --> 00:00:00,980\nこんにちは。\n\n"
        "2\n00:00:02,480 --> 00:00:03,520\nA&B <c>。\n\n"
        "3\n00:00:03,820 --> 00:00:04,600\nさようなら。\n\n"
    )
    assert timeline.chapters[1].start_ms == 2480 - CHAPTER_LEAD_MS  # in the pause before A&B
    assert json.loads(chapters_json(timeline)) == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0.0, "endTime": 2.08, "title": "はじめに"},
            {"startTime": 2.08, "endTime": 4.8, "title": "本題"},
        ],
    }
    assert transcript_text(timeline) == "はじめに\nこんにちは。\n\n本題\nA&B <c>。さようなら。"


def test_hour_long_timestamps() -> None:
    start = ((1 * 60 + 2) * 60 + 5) * 1000 + 42  # 01:02:05.042
    timeline = Timeline(
        rate=RATE,
        total_samples=start + 5000,
        offsets=(start,),
        chapters=(ChapterMark("ch00", "唯一", 0, start + 5000),),
        sentences=(SentenceSpan("ch00", "一時間後の文。", start, start + 1000),),
        chapter_starts=(0,),
    )
    assert "01:02:05.042 --> 01:02:06.042" in publish.webvtt(timeline)
    assert "01:02:05,042 --> 01:02:06,042" in srt(timeline)


def test_a_line_break_in_a_sentence_becomes_a_space() -> None:
    timeline = make_timeline([("章", ["一行目\n二行目。"])])
    _, read = read_vtt(publish.webvtt(timeline))
    assert [c.lines for c in read] == [("一行目 二行目。",)]


def test_a_sentence_too_short_for_its_cues_is_refused() -> None:
    timeline = Timeline(
        rate=RATE,
        total_samples=1000,
        offsets=(0,),
        chapters=(ChapterMark("ch00", "章", 0, 1000),),
        sentences=(SentenceSpan("ch00", THREE_CUES, 100, 102),),  # 3 cues in 2 ms
        chapter_starts=(0,),
    )
    with pytest.raises(ValueError, match="too short for 3 cue"):
        publish.webvtt(timeline)


@pytest.mark.parametrize("seed", range(20))
def test_random_text_keeps_every_rule(seed: int) -> None:
    """Random mixes of kana, kanji, punctuation, Latin, digits, spaces and markup."""
    rng = random.Random(seed)
    pieces = [
        *"あいうえおかきくけこをはがにでと漢字読上東京都",
        *"、。「」ー！？&<>- ",
        "Python",
        "3.14",
        "1,000",
        "-->",
        "ｶﾀｶﾅ",
        "🎧",
    ]
    sentences = [
        "".join(rng.choice(pieces) for _ in range(rng.randint(1, 90))).strip() or "あ"
        for _ in range(12)
    ]
    timeline = make_timeline([("一", sentences[:6]), ("二", sentences[6:])])
    _, read = read_vtt(publish.webvtt(timeline))
    assert_cues_fit(timeline, read)
    assert_sentences_given_back(timeline, read)
    srt_read = read_srt(srt(timeline))
    assert_cues_fit(timeline, srt_read)
    assert_sentences_given_back(timeline, srt_read, {"-->": "--＞"})


# --- SRT -------------------------------------------------------------------------------


def test_srt_parses_and_matches_the_webvtt_cues() -> None:
    text = srt(TIMELINE)
    read = read_srt(text)
    assert_cues_fit(TIMELINE, read)
    assert_sentences_given_back(TIMELINE, read, {"-->": "--＞"})
    _, vtt_read = read_vtt(publish.webvtt(TIMELINE))
    assert [(c.start_ms, c.end_ms) for c in read] == [(c.start_ms, c.end_ms) for c in vtt_read]
    # webvtt-py's own SRT reader agrees
    parsed = webvtt.from_buffer(io.StringIO(text), format="srt")
    assert [
        (c.start_time.in_milliseconds(), c.end_time.in_milliseconds()) for c in parsed.captions
    ] == [(c.start_ms, c.end_ms) for c in read]
    assert [tuple(c.lines) for c in parsed.captions] == [c.lines for c in read]


# --- chapters JSON ---------------------------------------------------------------------


def test_chapters_json_matches_the_id3_chapters_to_the_millisecond() -> None:
    text = chapters_json(TIMELINE)
    assert "はじめに" in text  # not \\u-escaped
    document = json.loads(text)
    assert document["version"] == "1.2.0"
    chapters = document["chapters"]
    assert [c["title"] for c in chapters] == [m.title for m in TIMELINE.chapters]
    assert [c["startTime"] for c in chapters] == [m.start_ms / 1000 for m in TIMELINE.chapters]
    assert [c["endTime"] for c in chapters] == [m.end_ms / 1000 for m in TIMELINE.chapters]
    assert [round(c["startTime"] * 1000) for c in chapters] == [
        m.start_ms for m in TIMELINE.chapters
    ]
    starts = [c["startTime"] for c in chapters]
    assert starts[0] == 0.0 and starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(isinstance(c["startTime"], float) for c in chapters)
    assert chapters[-1]["endTime"] == TIMELINE.duration_ms / 1000


# --- plain transcript ------------------------------------------------------------------


def test_transcript_text_has_titles_and_joined_sentences() -> None:
    timeline = make_timeline(
        [("はじめに", ["こんにちは。", "今日は晴れ。"]), ("本題", ["Hello.", "World!", "終わり。"])]
    )
    assert (
        transcript_text(timeline)
        == "はじめに\nこんにちは。今日は晴れ。\n\n本題\nHello. World! 終わり。"
    )


def test_file_names() -> None:
    assert (publish.CHAPTERS_FILE, publish.VTT_FILE, publish.SRT_FILE) == (
        "chapters.json",
        "transcript.vtt",
        "transcript.srt",
    )
