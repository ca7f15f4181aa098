"""split_for_edge: pieces the edge-tts service takes in one request, cut where a reader would."""

from __future__ import annotations

import itertools
import re
import time
from xml.sax.saxutils import escape

import pytest

from yomiage.engines.edge_split import split_for_edge
from yomiage.speech.split import is_speakable

# A paragraph of real-looking Japanese with no spaces and no punctuation at all.
NO_BREAKS = "東京都の新しい図書館では子どもたちが本を読む時間を楽しんでいる" * 180
ONLY_COMMAS = "今日は朝から雨が降っていて、" * 400
LATIN_AT_LIMIT = "バージョン3.14.159をPython3で試した結果" * 200
AMPERSANDS = "A&B<C>D" * 10 + "の関係"


def escaped_bytes(piece: str) -> int:
    return len(escape(piece).encode("utf-8"))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


CASES = [
    # (name, text, max_bytes, expected pieces or None to check only the invariants)
    ("short text is one piece", "こんにちは。", 3000, ["こんにちは。"]),
    ("empty", "", 3000, []),
    ("whitespace only", " \n\t ", 3000, []),
    ("emoji only", "😀🎉", 3000, []),
    ("punctuation only", "……！？", 3000, []),
    (
        "cut after the sentence end, not at the comma",
        "今日は晴れ、明日は雨。あさっては雪、しあさっては霧です",
        60,
        ["今日は晴れ、明日は雨。", "あさっては雪、しあさっては霧です"],
    ),
    (
        "a closing quote stays with its sentence",
        "彼は「行く！」と言った。そして本当に行ってしまった",
        48,
        ["彼は「行く！」と言った。", "そして本当に行ってしまった"],
    ),
    (
        "comma before space",
        "りんごとみかん、バナナ and grapes もある",
        30,
        ["りんごとみかん、", "バナナ and grapes もある"],
    ),
    ("space when nothing better", "abc defghij klmnop", 8, ["abc", "defghij", "klmnop"]),
    (
        "after a particle, before a kanji",
        "わたしは東京都庁舎",
        16,
        ["わたしは", "東京都庁舎"],
    ),
    (
        "never inside a number or a Latin word",
        "価格は12345円でPythonistaが買う",
        24,
        ["価格は12345円で", "Pythonistaが買う"],
    ),
    ("a Latin word longer than the limit is cut", "abcdefghijklmnopqrst", 8, None),
    ("kana with no other break", "あ" * 20, 9, ["あああ"] * 6 + ["ああ"]),
    ("emoji-only pieces in the middle are dropped", "はい。" + "😀" * 30 + "。いいえ", 24, None),
    ("combining marks stay on their base", "か\u3099" * 30, 20, None),
    ("emoji sequences stay whole", "👨\u200d👩\u200d👧" * 10 + "家族", 24, None),
    ("astral kanji", "𠮷野家の𠮷" * 50, 40, None),
    ("no spaces, no punctuation, 16,000 bytes", NO_BREAKS, 3000, None),
    ("only 、", ONLY_COMMAS, 3000, None),
    ("Latin and numbers at the limit", LATIN_AT_LIMIT, 3000, None),
    ("& < > counted escaped", AMPERSANDS, 24, None),
    ("& < > near the default limit", "漢" * 995 + "&&&&" + "漢" * 10, 3000, None),
]


@pytest.mark.parametrize(
    ("name", "text", "max_bytes", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_split_for_edge(name: str, text: str, max_bytes: int, expected: list[str] | None) -> None:
    pieces = split_for_edge(text, max_bytes)
    if expected is not None:
        assert pieces == expected
    for piece in pieces:
        assert escaped_bytes(piece) <= max_bytes, piece
        assert piece == piece.strip()
        assert is_speakable(piece)
        piece.encode("utf-8")  # no lone surrogate
    # Joined, the pieces give back the text, less dropped pieces and whitespace at the cuts.
    kept = squeeze("".join(pieces))
    assert kept in squeeze(text) or _is_subsequence(kept, squeeze(text))
    if not re.search(r"[\U0001F000-\U0001FAFF]|^[\W]*$", text):  # nothing to drop
        assert kept == squeeze(text)


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(char in it for char in short)


def test_a_16000_byte_paragraph_with_no_breaks_is_cut_between_words() -> None:
    assert len(NO_BREAKS.encode()) > 16_000
    pieces = split_for_edge(NO_BREAKS)
    assert len(pieces) == 6  # 16,740 bytes: five full pieces and the rest
    assert "".join(pieces) == NO_BREAKS
    assert all(2900 < escaped_bytes(p) <= 3000 for p in pieces[:-1])
    # every cut is where the script changes after a particle or before kanji
    for left, right in itertools.pairwise(pieces):
        assert re.match(r"[\u3041-\u309f]", left[-1]) and not re.match(r"[\u3041-\u309f]", right[0])


def test_only_commas_cut_after_a_comma() -> None:
    pieces = split_for_edge(ONLY_COMMAS)
    assert len(pieces) > 1
    assert all(piece.endswith("、") for piece in pieces)
    assert "".join(pieces) == ONLY_COMMAS


def test_latin_words_and_numbers_stay_whole() -> None:
    pieces = split_for_edge(LATIN_AT_LIMIT)
    assert "".join(pieces) == LATIN_AT_LIMIT
    for left, right in itertools.pairwise(pieces):
        assert not (
            left[-1].isascii() and left[-1].isalnum() and right[0].isascii() and right[0].isalnum()
        )
        assert not (left[-1] in ".," or right[0] in ".,")


def test_escaping_is_counted() -> None:
    # 24 raw bytes would fit 3 copies; escaped, "A&B<C>D" is 7 + 4 + 3 + 3 = 17 bytes.
    pieces = split_for_edge("A&B<C>D" * 3, 24)
    assert all(escaped_bytes(p) <= 24 for p in pieces)
    assert "".join(pieces) == "A&B<C>D" * 3
    text = "漢" * 995 + "&&&&" + "漢" * 10  # 2985 raw bytes before the &s: 3005 escaped
    assert all(escaped_bytes(p) <= 3000 for p in split_for_edge(text))


def test_surrogate_pairs_are_never_split() -> None:
    text = "あ\ud842\udfb7" * 40  # 𠮷 as a surrogate pair, as from surrogatepass decoding
    pieces = split_for_edge(text, 20)
    assert len(pieces) > 1
    assert all(p.count("\ud842") == p.count("\udfb7") for p in pieces)
    assert all(not ("\udc00" <= p[0] <= "\udfff") for p in pieces)
    assert all(not ("\ud800" <= p[-1] <= "\udbff") for p in pieces)


def test_a_too_small_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 8"):
        split_for_edge("あ", 4)


def test_is_fast() -> None:
    text = NO_BREAKS * 10  # 160 kB
    started = time.perf_counter()
    split_for_edge(text)
    assert time.perf_counter() - started < 1.0
