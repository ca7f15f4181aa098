"""`yomiage check` with the real Whisper model on short real episodes, and `regen --flagged`.

Open JTalk speaks one episode; the other goes through the real edge-tts client to the
stand-in of Microsoft's service, speaking with Open JTalk's voice so that Whisper can
hear it, and failing silently for two sentences: one reply cut short, one the audio of
other words. Exactly those two must be flagged, and a new take of them clears them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from edge_standin import EdgeStandIn
from typer.testing import CliRunner

from yomiage.audio.ffmpeg import decode_to_samples
from yomiage.check.report import REPORT_FILE
from yomiage.cli import app
from yomiage.episode.manifest import file_sha256, read_manifest

ARTICLE = (
    "# 週末の記録\n\n"
    "## 天気\n\n"
    "今日は朝から雨が降っていて、とても寒い一日でした。午後になると、少しだけ晴れ間が見えました。\n\n"
    "## 買い物\n\n"
    "駅前の新しいパン屋で、焼きたてのパンを買いました。帰り道に、近くの公園を散歩しました。\n"
)
# A short intro and outro, and no spoken chapter titles: few sentences to hear.
SETTINGS = (
    "show: {name: 朝のラジオ, host: 山田}\n"
    "script:\n"
    '  intro: "{show}へようこそ。"\n'
    '  outro: "お聞きいただき、ありがとうございました。"\n'
    '  chapter_lead: ""\n'
)
CUT = "今日は朝から雨が降っていて、とても寒い一日でした。"
SWAPPED = "駅前の新しいパン屋で、焼きたてのパンを買いました。"
PROBE_TEXT = "あ"  # the edge engine asks the service to say this before it synthesizes
OTHER_WORDS = "来週の会議は、午後三時から第二会議室で始まります。"
runner = CliRunner()


def _build(tmp_path: Path, *options: str) -> Path:
    source = tmp_path / "weekend.md"
    source.write_text(ARTICLE, encoding="utf-8")
    settings = tmp_path / "settings.yaml"
    settings.write_text(SETTINGS, encoding="utf-8")
    result = runner.invoke(
        app, ["build", str(source), "-c", str(settings), "--out", str(tmp_path / "out"), *options]
    )
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1]).parent


def _check(target: Path, *options: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["check", str(target), *options])
    return result.exit_code, result.stdout, result.stderr


def _report(folder: Path) -> dict:
    return json.loads((folder / REPORT_FILE).read_text("utf-8"))


def _flagged(report: dict) -> list[str]:
    return [s["text"] for c in report["chapters"] for s in c["sentences"] if s["flagged"]]


@dataclass(frozen=True)
class Checked:
    folder: Path
    code: int
    out: str
    err: str
    json_file: Path


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """The episode spoken by Open JTalk, checked once (naming its MP3, with --json)."""
    tmp_path = tmp_path_factory.mktemp("check")
    folder = _build(tmp_path, "--engine", "openjtalk")
    code, out, err = _check(folder / "episode.mp3", "--json", str(tmp_path / "report.json"))
    return Checked(folder, code, out, err, tmp_path / "report.json")


@pytest.fixture
def episode(checked: Checked, tmp_path: Path) -> Path:
    """A copy of the checked episode folder, check.json included, for a test to change."""
    return Path(shutil.copytree(checked.folder, tmp_path / "episode"))


def test_a_clean_episode_passes_and_the_report_is_kept_keyed_to_the_mp3(
    checked: Checked,
) -> None:
    assert checked.code == 0, checked.err
    assert "0 of 6 sentences" in checked.err
    for chapter_id in ("ch01", "ch02", "ch03", "ch04"):
        assert chapter_id in checked.out
    folder = checked.folder
    report = _report(folder)
    assert report == json.loads(checked.json_file.read_text("utf-8"))
    assert report["mp3_sha256"] == file_sha256(folder / "episode.mp3")
    assert report["flagged"] == 0 and report["mean_cer"] < 0.15
    assert [c["title"] for c in report["chapters"]] == [
        "オープニング",
        "天気",
        "買い物",
        "エンディング",
    ]
    sentences = [s for c in report["chapters"] for s in c["sentences"]]
    assert [s["text"] for s in sentences][1:3] == [
        CUT,
        "午後になると、少しだけ晴れ間が見えました。",
    ]
    for sentence in sentences:
        assert {"text", "spoken", "heard", "cer", "flagged"} <= set(sentence)
        assert sentence["heard"] and sentence["cer"] < 0.35
    manifest = read_manifest(folder)
    assert manifest is not None
    assert [s["spoken"] for s in sentences] == [
        s.spoken for c in manifest.chapters for s in c.segments
    ]


def test_a_new_take_from_open_jtalk_cannot_help_and_regen_says_so(episode: Path) -> None:
    strict = episode.parent / "strict.yaml"
    strict.write_text("check: {max_cer: 0.0, short_ratio: 0.99, long_ratio: 1.01, slack_s: 0}\n")
    code, _, err = _check(episode, "-c", str(strict))
    assert code == 1, err  # with no tolerance, something is flagged
    mp3_before = file_sha256(episode / "episode.mp3")
    result = runner.invoke(app, ["regen", str(episode), "--flagged"])
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert "openjtalk" in message and "yomiage readings" in message and "script.yaml" in message
    assert file_sha256(episode / "episode.mp3") == mp3_before


def test_regen_flagged_refuses_the_report_of_another_mp3(episode: Path) -> None:
    with (episode / "episode.mp3").open("ab") as mp3:
        mp3.write(b"\0")  # the MP3 changed since it was checked
    result = runner.invoke(app, ["regen", str(episode), "--flagged"])
    assert result.exit_code == 1
    assert "report of another episode.mp3" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    code, _, err = _check(episode)  # and check will not read positions into another MP3
    assert code == 2 and "is not the MP3 manifest.json describes" in err


def test_failures_are_one_line_and_exit_2(episode: Path, tmp_path: Path) -> None:
    code, _, err = _check(episode, "--model", str(tmp_path / "nowhere"))
    assert code == 2 and "no model.bin" in err and len(err.strip().splitlines()) == 1
    code, _, err = _check(episode, "--model", "tiny")  # not downloaded, and no hub here
    assert code == 2 and "cannot load the speech recognition model 'tiny'" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = _check(tmp_path / "missing")
    assert code == 2 and "no such MP3" in err
    (episode / "manifest.json").unlink()
    code, _, err = _check(episode)
    assert code == 2 and "manifest.json" in err and len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------- edge, failing silently


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[EdgeStandIn]:
    with EdgeStandIn(speech="openjtalk") as server:
        server.patch(monkeypatch)
        yield server


def test_the_stand_in_cuts_a_reply_short_or_speaks_other_words_for_one_text(
    standin: EdgeStandIn, tmp_path: Path
) -> None:
    mp3, full = standin._mp3(CUT, "+0%")
    cut, said_full = standin._mp3(CUT, "+0%", keep=0.4)
    assert said_full == full  # the boundaries still claim the whole sentence
    for name, data in (("full", mp3), ("cut", cut)):
        (tmp_path / f"{name}.mp3").write_bytes(data)
    seconds = {
        n: len(decode_to_samples(tmp_path / f"{n}.mp3", 16_000)) / 16_000 for n in ("full", "cut")
    }
    assert seconds["cut"] == pytest.approx(0.4 * seconds["full"], abs=0.1)
    assert full == pytest.approx(seconds["full"], abs=0.1) and full > 2.0


def test_an_episode_spoken_through_silent_faults_gets_exactly_those_sentences_flagged(
    standin: EdgeStandIn, tmp_path: Path
) -> None:
    standin.fail_text(CUT, "cut_short", keep=0.4)
    standin.fail_text(SWAPPED, "other_words", words=OTHER_WORDS)
    folder = _build(tmp_path, "--engine", "edge")
    assert sorted(r.text for r in standin.requests if r.fault) == sorted([CUT, SWAPPED])

    code, out, err = _check(folder)
    assert code == 1, err
    report = _report(folder)
    assert sorted(_flagged(report)) == sorted([CUT, SWAPPED])
    assert report["flagged"] == 2 and "2 of 6 sentences" in err
    by_text = {s["text"]: s for c in report["chapters"] for s in c["sentences"]}
    assert any("too short" in reason for reason in by_text[CUT]["reasons"])
    assert any("kana error rate" in reason for reason in by_text[SWAPPED]["reasons"])
    assert "会議" in by_text[SWAPPED]["heard"]  # what was heard is shown
    assert SWAPPED in out and "heard:" in out and "why:" in out

    standin.clear()  # the service is healthy again
    result = runner.invoke(app, ["regen", str(folder), "--flagged"])
    assert result.exit_code == 0, result.stderr
    spoken_again = [r.text for r in standin.requests if r.text != PROBE_TEXT]
    assert sorted(spoken_again) == sorted([CUT, SWAPPED])  # exactly those, nothing else
    code, _, err = _check(folder)
    assert code == 0, err
    assert _flagged(_report(folder)) == []


def test_regen_needs_something_to_speak_again_and_a_clean_report_needs_nothing(
    episode: Path,
) -> None:
    result = runner.invoke(app, ["regen", str(episode)])
    assert result.exit_code == 1 and "--chapter N (repeatable) or --flagged" in result.stderr
    mp3_before = file_sha256(episode / "episode.mp3")
    result = runner.invoke(app, ["regen", str(episode), "--flagged"])  # check.json: 0 flagged
    assert result.exit_code == 0 and "flagged no sentence" in result.stderr
    assert file_sha256(episode / "episode.mp3") == mp3_before
