from yomiage.speech.split import is_speakable, split_sentences


def test_splits_at_japanese_stops_and_keeps_the_stop() -> None:
    assert split_sentences("今日は晴れです。明日は雨？本当に！") == [
        "今日は晴れです。",
        "明日は雨？",
        "本当に！",
    ]


def test_line_breaks_end_sentences() -> None:
    assert split_sentences("見出しのような行\n次の行です。") == ["見出しのような行", "次の行です。"]


def test_closing_quote_stays_with_its_sentence() -> None:
    assert split_sentences("「はい。」「いいえ。」") == ["「はい。」", "「いいえ。」"]


def test_a_quote_closed_mid_sentence_does_not_end_it() -> None:
    assert split_sentences("彼は「そうだ。」と言った。次へ。") == [
        "彼は「そうだ。」と言った。",
        "次へ。",
    ]


def test_ascii_period_is_not_a_sentence_end() -> None:
    # Version numbers and abbreviations stay whole.
    assert split_sentences("GPT-4.0 と Python 3.11 の話。") == ["GPT-4.0 と Python 3.11 の話。"]


def test_repeated_stops_stay_together() -> None:
    assert split_sentences("えっ！？そうなの…。") == ["えっ！？", "そうなの…。"]


def test_long_sentence_is_cut_at_commas_without_breaking_words() -> None:
    clause = "あ" * 40 + "、"
    sentence = clause * 5 + "おわり。"
    pieces = split_sentences(sentence, max_chars=90)
    assert "".join(pieces) == sentence
    assert all(len(p) <= 90 for p in pieces)
    assert len(pieces) == 3
    assert all(p.endswith("、") for p in pieces[:-1])


def test_a_long_clause_without_commas_is_not_cut() -> None:
    sentence = "い" * 150 + "。"
    assert split_sentences(sentence, max_chars=90) == [sentence]


def test_parts_with_nothing_to_say_are_dropped() -> None:
    assert split_sentences("😀😀\n。。。\n――\n★☆\n本文です。") == ["本文です。"]


def test_speakable() -> None:
    assert is_speakable("ＡＩ")
    assert is_speakable("123")
    assert is_speakable("か")
    assert not is_speakable("！？…")
    assert not is_speakable("👍🎉")
    assert not is_speakable("___")
    assert not is_speakable("")
