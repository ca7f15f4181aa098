"""Text for the ear: the normaliser on a table of what Japanese articles contain."""

from __future__ import annotations

import pytest

from yomiage.speech.normalize import normalize

CASES = {
    # NFKC: full-width Latin and digits, half-width katakana; never NFKD
    "ＯｐｅｎＡＩは２０２４年に": "OpenAIは2024年に",
    "ｶﾀｶﾅ": "カタカナ",
    "がぎぐげご": "がぎぐげご",
    # dates and times
    "2024/11/29に公開": "2024年11月29日に公開",
    "2024-01-05の発表": "2024年1月5日の発表",
    "2024.3.1から": "2024年3月1日から",
    "2024/11の記事": "2024年11月の記事",
    "2024/13/40": "2024/13/40",  # not a date: left alone
    "10:30から": "10時30分から",
    "9:00開始": "9時開始",
    "比率は16:9": "比率は16対9",  # a ratio, not a time
    "縮尺は1:50": "縮尺は1対50",
    "10:30。": "10時30分。",
    "20:00〜22:00": "20時から22時",
    "3月1日〜5日": "3月1日から5日",
    "100円〜200円": "100円から200円",
    "2024–2025年": "2024から2025年",
    "2024-2025年度": "2024から2025年度",
    "03-1234-5678": "03-1234-5678",  # a phone number is no range
    "最低気温は-3度": "最低気温はマイナス3度",
    "気温−3度": "気温マイナス3度",
    "12月1日（月）": "12月1日 月曜日",
    "Mixtral 8x7B": "Mixtral 8x7B",  # a name, not a product
    "5*3=15": "5かける3イコール15",
    "OpenAI'sの": "OpenAIの",
    "Pokémon": "Pokemon",
    "【ワシントン＝共同】": "【ワシントン、共同】",
    "経済的齟齬（そご）が": "経済的齟齬が",  # the reading cannot cover five kanji
    # numbers, ranges, counters, percentages
    "売上は1,234,567円": "売上は1234567円",
    "3〜5人": "3から5人",
    "3～5人": "3から5人",
    "10~20%": "10から20パーセント",
    "50%増": "50パーセント増",
    "５０％増": "50パーセント増",
    "-5度": "マイナス5度",
    "1920x1080": "1920かける1080",
    "4日間と1セント": "4日間と1セント",  # counters stay digits: the engine reads them
    "GPT-4とGPT-3.5": "GPT-4とGPT-3.5",
    # links and addresses
    "詳しくは https://example.com/a?b=1 を参照。": "詳しくは リンク を参照。",
    "www.example.jp で": "リンク で",
    "連絡は a.b@example.co.jp まで": "連絡は メールアドレス まで",
    # brackets: readings and asides
    "齟齬（そご）がある": "そごがある",
    "イリヤ(OpenAI Chief Scientist)は": "イリヤ、OpenAI Chief Scientist、は",
    "結果（速報）。": "結果、速報。",
    "（）空": "空",
    # symbols and marks
    "AIについて〜": "AIについて",
    "〜について": "について",
    "A&B": "AアンドB",
    "1+1=2": "1プラス1イコール2",
    "スキ❤️してね": "スキしてね",
    "※注意": "注意",
    "→次へ": "次へ",
    "snake_case": "snake case",
    "Scientist) - Building AGI, Alignment": "Scientist、Building AGI、Alignment",
    "AI——人間": "AI、人間",
    "1,000と2,3": "1000と2、3",
    "見出し　全角スペース": "見出し 全角スペース",
}


@pytest.mark.parametrize(("written", "spoken"), list(CASES.items()))
def test_normalize(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


def test_readings_apply_to_the_text_as_written_after_nfkc() -> None:
    lexicon = {"C#": "シーシャープ", "1,000円": "せんえん"}

    def readings(text: str) -> str:
        for surface, reading in lexicon.items():
            text = text.replace(surface, reading)
        return text

    assert normalize("Ｃ＃で１,０００円", readings) == "シーシャープでせんえん"
    assert normalize("C#で1,000円") == "Cで1000円"  # without the lexicon the mark is lost
