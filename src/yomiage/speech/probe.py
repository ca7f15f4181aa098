"""Child process for latin.py: ask Open JTalk and e2k, answer in JSON on standard output.

    {"words": [...]}  ->  [[dictionary kana or "", e2k guess], ...]
    {"kana": [...]}   ->  [kana Open JTalk says, ...]

Run as `python -m yomiage.speech.probe` with the request on standard input.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import Any

# Parts of speech Open JTalk gives a Latin word it does not know: a "filler"
# spelled letter by letter, or single letters as symbols.
_SPELLED = {("フィラー", "*"), ("記号", "アルファベット")}


def dictionary_kana(word: str) -> str:
    """The kana Open JTalk's dictionary gives `word`, or "" when it would spell it out."""
    import pyopenjtalk

    nodes = pyopenjtalk.run_frontend(word)
    for node in nodes:
        written = unicodedata.normalize("NFKC", node["string"])
        latin = any(c.isascii() and c.isalpha() for c in written)
        if latin and (node["pos"], node["pos_group1"]) in _SPELLED:
            return ""
    return "".join(str(node["pron"]) for node in nodes).replace("’", "")


def main() -> None:
    request = json.loads(sys.stdin.read())
    if "words" in request:
        answers: list[Any] = []
        guesser = None
        for word in request["words"]:
            known = dictionary_kana(word)
            guess = ""
            if not known:
                if guesser is None:
                    from e2k import C2K  # type: ignore[import-untyped]

                    guesser = C2K()
                guess = guesser(word.lower())
            answers.append([known, guess])
    else:
        import pyopenjtalk

        answers = [pyopenjtalk.g2p(text, kana=True) for text in request["kana"]]
    json.dump(answers, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
