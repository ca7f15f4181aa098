# mutagen ships py.typed but leaves its functions unannotated (as in publish/tags.py).
# mypy: allow-untyped-calls
"""Benchmark: the sample episode against a plain Open JTalk loop, and issue 13's targets.

    python scripts/benchmark.py [--runs 3] [--long [--long-minutes 60 180]] [SOURCE]

Each run builds the sample with Open JTalk and then times what a user does
next: rebuilding the folder with nothing changed, editing one sentence of the
middle chapter in script.yaml and rebuilding (`yomiage build EPISODE_DIR`),
`regen --chapter` of that chapter, and a rebuild with every segment cached but
no MP3 (only the join of the kept chapters). A plain sequential `pyopenjtalk.tts` loop over the
same text runs between builds, so machine noise hits both; figures are medians
over the runs, compared as ratios within this run. These run in this process,
so they leave out the CLI's start-up, timed on its own: `yomiage --version` and
`yomiage chapters EPISODE.mp3` as fresh processes, median of 5. Last, the peak
memory of one build through the CLI in a fresh process.

--long also builds generated documents of about an hour and three hours, once
each, through the CLI in a fresh process (wall time, audio length read back,
peak memory). Everything is printed as Markdown tables, ready for the README.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyopenjtalk
import yaml
from mutagen.mp3 import MP3

import yomiage
from yomiage.config import load_config
from yomiage.engines import make_engine
from yomiage.episode.build import BuildResult, build_episode, run_job
from yomiage.episode.jobs import EPISODE_FILE, SCRIPT_FILE, folder_config, prepare_from_folder
from yomiage.episode.plan import script_utterances
from yomiage.script.build import build_script
from yomiage.source.read import read_source
from yomiage.speech.latin import LatinReadings
from yomiage.speech.lexicon import Lexicon
from yomiage.speech.spoken import Speech

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "seeds" / "000_d963ebc8981accf9.txt"
STAGES = ("parse", "readings", "synthesis", "encoding", "tagging")
STARTUP_RUNS = 5
SAMPLE_EVERY_S = 0.25  # /proc is read this often during a measured build

# Issue 13's targets.
LOOP_RATIO_GOAL = 0.6  # build wall per audio second / the plain loop's
EDIT_GOAL = 0.20  # one chapter spoken again / a full build
UNCHANGED_GOAL = 0.05  # nothing changed / a full build
STARTUP_GOAL_S = 0.3
HOUR_RSS_GOAL_MB = 500.0  # largest process while building an hour of audio


# ------------------------------------------------------------ long documents

# The sample's sentences, lightly rewritten so that a guest's name, a year or an
# opener can be put in: every generated sentence then carries something of its
# own chapter, and no two are alike (the pipeline speaks a repeated sentence once).
GUEST_SENTENCES = (
    "{name}氏は、自分が複数の分野でブレークスルーを達成できた理由を、努力し続けたからだと述べています。",
    "{name}氏は、AIが{year}年までにGDPのどの程度を占めるかについて、正確な答えを出すのは難しいとしています。",
    "{name}氏は、マルチステップ推論の改善には、専用のトレーニングと基本モデルの改善が必要だと考えています。",
    "{name}氏は、AI研究の大部分がAIによって行われる時期について、明確な答えを持っていません。",
    "{name}氏は、AIが良いアイデアや洞察を提供すれば、研究のボトルネックが解消されると考えています。",
    "{name}氏の話を聞いて、その知的さに本当に感銘を受けました。",
    "{name}氏によると、AIはまだAGIには達しておらず、そこに至る具体的な時期は分かりません。",
    "{name}氏は、{year}年ごろには人間とAIの融合が起こる可能性もあると述べています。",
    "{name}氏が語る現在のAI技術の限界は、未来の扉を開く鍵のように感じられました。",
)
GENERAL_SENTENCES = (
    "ディープラーニング革命の最先端にいる研究者たちは、持続的な努力と正しい視点が成功の鍵だと説明しています。",
    "現在のパラダイムがAGIに至るかどうかは不明ですが、過去のさまざまなアイデアを統合する可能性があります。",
    "AIの進歩に伴い、そのアライメントも向上していくと予想されています。",
    "より理解しやすい小さなニューラルネットが、大きなニューラルネットの動作を検証する役割を果たすかもしれません。",
    "AIアライメント研究のための賞については、具体的な基準を設定するのは難しいようです。",
    "エンドツーエンドのトレーニングとは、大規模なモデルに適したアーキテクチャのことです。",
    "AIの進化により、人々はより賢明になり、人生の意味を見つける手助けが得られるかもしれません。",
    "具体的な未来の予測は困難であり、人々が自由に選択できる世界が望ましいとされています。",
    "新しいアイデアを生み出すことも重要ですが、既存の結果を理解して次の実験を計画することも大事です。",
    "新しいアイデアは新しい方法を提案するもので、理解は既存の方法の背後にある現象を把握することです。",
    "競合するAI企業の間で、研究の方向が収束し、分岐し、また収束する可能性があります。",
    "AIモデルのセキュリティは重要であり、重みの漏洩を防ぐには優れた専門家が必要です。",
    "スケーリング法則を真剣に考え、単語の予測精度と推論能力の関係を理解することが重要です。",
    "人々をモデルの教育に関わらせることは、モデルが良い振る舞いをするために有益だとされています。",
    "AIの発展には、データやGPUが同時に利用できるようになったことが大きく効いています。",
    "ディープラーニングは人間の脳からインスピレーションを得ていますが、適切なバランスが大切です。",
    "アライメント問題には、今の能力なら解決策がありますが、より賢いモデルでは困難になります。",
    "AIと人間の協働こそが発展の鍵だということに、特に驚かされました。",
    "AIと共に歩む未来にとって、お互いを高め合う関係性が重要なのだと痛感しました。",
)
# Put before a general sentence; each names the chapter's guest or its number.
OPENERS = (
    "{name}氏によれば、",
    "第{n}回の対談では、",
    "{name}氏との議論では、",
    "{name}氏の見方では、",
    "{name}氏が指摘したように、",
    "第{n}回の質疑では、",
)
CONNECTIVES = ("", "", "また、", "さらに、", "そして、", "一方で、")
SURNAMES = (
    *("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"),
    *("吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "清水", "森", "池田"),
)
GIVEN_NAMES = ("健一", "直樹", "美咲", "大輔", "由美", "翔太", "恵子", "拓也", "陽子", "浩二")
TOPICS = (
    "AIと人間のコラボレーション",
    "AIと人間が協力して研究を行うことの重要性",
    "エンドツーエンドのトレーニングとAIの将来",
    "AIモデルの新しいアイデアと理解",
    "AI業界の競争とセキュリティ",
    "AIの進歩の偶然性とアライメント問題",
)
# Measured on this generator's text with Open JTalk at speed 1.0, pauses and
# the show's lines included: 16,818 characters made 55.0 minutes, 50,414 made
# 161.3 (a short document says less a minute: the intro weighs more). At 309,
# 60 and 180 minutes asked made 60.6 and 177.9.
CHARS_PER_MINUTE = 309.0
MAX_SENTENCE_CHARS = 88  # the pipeline cuts a sentence past 90 characters at 、


def long_document(minutes: float) -> str:
    """A Markdown document of about `minutes` of Open JTalk audio, every sentence distinct.

    Chapters are sessions with a guest; each takes 16 to 22 of the sample-like
    sentences in its own order, each with the guest's name or the session's
    number in it, so no sentence repeats within or across chapters.
    """
    target_chars = minutes * CHARS_PER_MINUTE
    parts = [f"# 対談シリーズ「AIの未来を語る」{minutes:g}分版"]
    written = len(parts[0])  # the document's characters so far, as calibrated
    number = 0
    while written < target_chars:
        number += 1
        if number > len(SURNAMES) * len(GIVEN_NAMES):
            raise ValueError(f"{minutes} minutes is more than the guests' names can carry")
        name = (
            SURNAMES[(number - 1) % len(SURNAMES)]
            + GIVEN_NAMES[(number - 1) // len(SURNAMES) % len(GIVEN_NAMES)]
        )
        heading = f"## 第{number}回：{name}氏と語る{TOPICS[(number - 1) % len(TOPICS)]}"
        sentences = _chapter_sentences(number, name, target_chars - written - len(heading))
        chapter = [heading, *_paragraphs(sentences, random.Random(-number))]
        parts.extend(chapter)
        written += sum(len(part) + 2 for part in chapter)  # and the blank line before each
    return "\n\n".join(parts) + "\n"


def _chapter_sentences(number: int, name: str, chars_left: float) -> list[str]:
    rng = random.Random(number)
    templates = [*GUEST_SENTENCES, *GENERAL_SENTENCES]
    chosen = rng.sample(templates, rng.randint(16, 22))
    sentences: list[str] = []
    for index, template in enumerate(chosen):
        year = 2030 + (number * 7 + index) % 20
        sentence = template.format(name=name, year=year)
        if template in GENERAL_SENTENCES:
            opener = OPENERS[(number + index) % len(OPENERS)].format(name=name, n=number)
            connective = rng.choice(CONNECTIVES)
            sentence = connective + opener + sentence
            if len(sentence) > MAX_SENTENCE_CHARS:
                sentence = sentence[len(connective) :]
        sentences.append(sentence)
        chars_left -= len(sentence)
        if chars_left <= 0 and len(sentences) >= 3:
            break
    return sentences


def _paragraphs(sentences: list[str], rng: random.Random) -> list[str]:
    """Sentences grouped 2 to 4 to a paragraph."""
    paragraphs = []
    start = 0
    while start < len(sentences):
        size = rng.randint(2, 4)
        paragraphs.append("".join(sentences[start : start + size]))
        start += size
    return paragraphs


# ------------------------------------------------------------ in-process runs


def build_once(source: Path, out: Path) -> tuple[float, BuildResult]:
    start = time.perf_counter()
    config = load_config()
    result = build_episode(source, config, out, engine=make_engine("openjtalk", config))
    return time.perf_counter() - start, result


def rebuild_once(folder: Path, regen: list[str] | None = None) -> tuple[float, BuildResult]:
    """`yomiage build EPISODE_DIR`, or `yomiage regen EPISODE_DIR --chapter ...`."""
    start = time.perf_counter()
    job = prepare_from_folder(folder, folder_config(folder), regen or [])
    result = run_job(job, make_engine(job.config.engine.name, job.config))
    return time.perf_counter() - start, result


def plain_loop(texts: list[str]) -> tuple[float, float]:
    """Wall seconds and audio seconds of `pyopenjtalk.tts` over every sentence, one by one."""
    start = time.perf_counter()
    audio_seconds = 0.0
    for text in texts:
        samples, rate = pyopenjtalk.tts(text)
        audio_seconds += len(samples) / rate
    return time.perf_counter() - start, audio_seconds


def edit_middle_chapter(folder: Path) -> str:
    """Change one sentence of the middle chapter in script.yaml, as a person would.

    The chapter's last paragraph gets a word in front: its first sentence is new
    (the chapter's first paragraph is its spoken title). Returns the chapter's id.
    """
    path = folder / SCRIPT_FILE
    script = yaml.safe_load(path.read_text(encoding="utf-8"))
    chapter = script["chapters"][len(script["chapters"]) // 2]
    chapter["paragraphs"][-1] = "改めて言えば、" + chapter["paragraphs"][-1]
    path.write_text(yaml.safe_dump(script, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(chapter["id"])


@dataclass
class Runs:
    walls: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STAGES})
    unchanged: list[float] = field(default_factory=list)
    edited: list[float] = field(default_factory=list)
    edited_spoken: list[int] = field(default_factory=list)
    regens: list[float] = field(default_factory=list)
    regen_synthesis: list[float] = field(default_factory=list)
    reassembled: list[float] = field(default_factory=list)
    loop_walls: list[float] = field(default_factory=list)
    loop_audio: float = 0.0
    chapter: str = ""
    result: BuildResult | None = None


def loop_texts(source: Path) -> list[str]:
    """What the build's engine is given for `source`: the same text, readings applied."""
    script = build_script(read_source(source), load_config())
    speech = Speech(Lexicon.load(), LatinReadings())
    texts = [u.said for u in script_utterances(script, speech)]
    pyopenjtalk.g2p("あ")  # the loop gets a loaded dictionary for free, as a warm process would
    return texts


def run_sample(source: Path, runs: int, folder: Path) -> Runs:
    texts = loop_texts(source)
    measured = Runs()
    for run in range(runs):
        wall, result = build_once(source, folder / f"run{run}")
        measured.walls.append(wall)
        for stage in STAGES:
            measured.stages[stage].append(result.seconds.get(stage, 0.0))
        episode = result.mp3.parent
        measured.unchanged.append(rebuild_once(episode)[0])
        measured.chapter = edit_middle_chapter(episode)
        edit_wall, edit_result = rebuild_once(episode)
        measured.edited.append(edit_wall)
        measured.edited_spoken.append(edit_result.synthesized)
        regen_wall, regen_result = rebuild_once(episode, [measured.chapter])
        measured.regens.append(regen_wall)
        measured.regen_synthesis.append(regen_result.seconds.get("synthesis", 0.0))
        (episode / EPISODE_FILE).unlink()
        measured.reassembled.append(rebuild_once(episode)[0])
        loop_wall, measured.loop_audio = plain_loop(texts)
        measured.loop_walls.append(loop_wall)
        measured.result = result
        print(
            f"run {run + 1}/{runs}: build {wall:.2f} s, edit {edit_wall:.2f} s, "
            f"regen {regen_wall:.2f} s, plain loop {loop_wall:.2f} s",
            file=sys.stderr,
            flush=True,
        )
    return measured


# ------------------------------------------------------------ subprocesses


def yomiage_env() -> dict[str, str]:
    """The environment for a child that runs the same yomiage as this process."""
    env = dict(os.environ)
    src = str(Path(yomiage.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    return env


def yomiage_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "yomiage.cli", *args]


def startup_seconds(*args: str) -> float:
    """Median wall time of `yomiage ARGS` as a fresh process."""
    env, times = yomiage_env(), []
    for _ in range(STARTUP_RUNS):
        start = time.perf_counter()
        subprocess.run(yomiage_command(*args), env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def process_tree(root: int) -> list[int]:
    """`root` and every process descended from it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_memory_mb(root: int) -> tuple[float, float]:
    """Total proportional and resident memory (PSS, RSS) of `root`'s process tree, in MB."""
    pss = rss = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
                for line in rollup:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except (OSError, ValueError):
            continue
    return pss / 1024, rss / 1024


def measure_build(source: Path, out: Path) -> dict[str, Any]:
    """`yomiage build SOURCE --out OUT --engine openjtalk` in a child, measured.

    Run in a fresh process (main's --measure-build): RUSAGE_CHILDREN then holds
    only this build's processes, its largest one being the peak.
    """
    command = yomiage_command("build", str(source), "--out", str(out), "--engine", "openjtalk")
    peak_pss = peak_rss = 0.0
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        start = next_sample = time.perf_counter()
        child = subprocess.Popen(command, env=yomiage_env(), stdout=stdout, stderr=stderr)
        while True:
            try:
                child.wait(timeout=0.05)
                break
            except subprocess.TimeoutExpired:
                if time.perf_counter() < next_sample:
                    continue
            sampled = time.perf_counter()
            pss, rss = tree_memory_mb(child.pid)
            peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
            # The kernel walks every page table for smaps_rollup (0.1 s for a build's
            # three processes): sampling stays under 2% of a core, off the build's two.
            cost = time.perf_counter() - sampled
            next_sample = sampled + max(SAMPLE_EVERY_S, 50 * cost)
        wall = time.perf_counter() - start
        maxrss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        stdout.seek(0)
        stderr.seek(0)
        printed = stdout.read().decode("utf-8", "replace").strip().splitlines()
        errors = stderr.read().decode("utf-8", "replace").strip().splitlines()
    if child.returncode != 0 or not printed:
        return {"error": (errors or ["no output"])[-1], "returncode": child.returncode}
    return {
        "wall_s": wall,
        "mp3": printed[-1],
        "maxrss_mb": maxrss_mb,
        "peak_pss_mb": peak_pss,
        "peak_rss_mb": peak_rss,
    }


def measured_build(source: Path, out: Path) -> dict[str, Any]:
    """measure_build in a fresh process, so children of this one do not count."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure-build", str(source), str(out)],
        env=yomiage_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if "error" in figures:
        sys.exit(f"building {source} failed: {figures['error']}")
    figures["audio_s"] = mp3_seconds(Path(figures["mp3"]))
    return figures


def mp3_seconds(path: Path) -> float:
    """The MP3's length as a player reads it."""
    info = MP3(path).info
    assert info is not None
    return float(info.length)


@dataclass
class LongRun:
    minutes: float  # asked for
    chars: int
    chapters: int
    figures: dict[str, Any]
    loop_per_audio: float  # the plain loop over the sample, just before and after


def run_long(minutes: float, folder: Path, texts: list[str]) -> LongRun:
    """One build of a generated document, between two plain loops over the sample's text."""
    document = long_document(minutes)
    source = folder / f"long_{minutes:g}min.md"
    source.write_text(document, encoding="utf-8")
    before, audio = plain_loop(texts)
    print(f"building the {minutes:g}-minute document ...", file=sys.stderr, flush=True)
    figures = measured_build(source, folder / "out")
    shutil.rmtree(Path(figures["mp3"]).parent)  # hours of segments: gone before the next
    after, _ = plain_loop(texts)
    chapters = document.count("\n## ")
    return LongRun(minutes, len(document), chapters, figures, (before + after) / 2 / audio)


# ------------------------------------------------------------ report


def ratio_row(what: str, measured: float | None, goal: float, unit: str = "") -> str:
    if measured is None:
        return f"| {what} | not measured | ≤ {goal:g}{unit} | - |"
    verdict = "pass" if measured <= goal else "**fail**"
    digits = {"": 3, " MB": 0}.get(unit, 2)
    shown = f"{measured:.{digits}f}{unit}"
    return f"| {what} | {shown} | ≤ {goal:g}{unit} | {verdict} |"


def git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return done.stdout.strip()


def report(
    source: Path,
    measured: Runs | None,
    runs: int,
    startup: dict[str, float],
    sample_memory: dict[str, Any] | None,
    long_runs: list[LongRun],
    load_before: float,
) -> None:
    today = datetime.date.today().isoformat()
    print(
        f"\nyomiage {yomiage.__version__} at {git_commit()}, {today}, {os.cpu_count()} cores, "
        f"load average {load_before:.2f} before and {os.getloadavg()[0]:.2f} after"
    )
    build_ratio = edit_ratio = regen_ratio = unchanged_ratio = None
    if measured is not None and measured.result is not None:
        result = measured.result
        wall = statistics.median(measured.walls)
        loop_wall = statistics.median(measured.loop_walls)
        per_audio = wall / result.audio_seconds
        loop_per_audio = loop_wall / measured.loop_audio
        build_ratio = per_audio / loop_per_audio
        edit_ratio = statistics.median(measured.edited) / wall
        regen_ratio = statistics.median(measured.regens) / wall
        unchanged_ratio = statistics.median(measured.unchanged) / wall
        chapter = measured.chapter
        sentences = sum(1 for s in result.timeline.sentences if s.chapter_id == chapter)
        stages = " / ".join(f"{statistics.median(measured.stages[s]):.2f}" for s in STAGES)
        spoken = sorted(set(measured.edited_spoken))
        print(f"\n{source.name}, median of {runs} run{'s' if runs != 1 else ''}:\n")
        print("| what | figure |")
        print("| --- | --- |")
        print(
            f"| episode audio | {result.audio_seconds:.1f} s "
            f"({len(result.timeline.chapters)} chapters, {result.segments} sentences) |"
        )
        print(f"| build wall time | {wall:.2f} s, real-time factor {per_audio:.4f} |")
        print(f"| {' / '.join(STAGES)} | {stages} s |")
        print(
            f"| plain `pyopenjtalk.tts` loop (the same spoken text) | {loop_wall:.2f} s for "
            f"{measured.loop_audio:.1f} s of speech: {loop_per_audio:.4f} s per audio second |"
        )
        print(f"| build vs loop, per audio second | **{build_ratio:.2f}x** |")
        for what, times in (
            ("`build EPISODE_DIR`, nothing changed", measured.unchanged),
            (
                f"one sentence of {chapter} edited in script.yaml, `build EPISODE_DIR` "
                f"({'/'.join(map(str, spoken))} spoken)",
                measured.edited,
            ),
            (
                f"`regen --chapter {chapter}` ({sentences} of {result.segments} sentences)",
                measured.regens,
            ),
            ("`build EPISODE_DIR`, MP3 deleted, every sentence cached", measured.reassembled),
        ):
            seconds = statistics.median(times)
            print(f"| {what} | {seconds:.2f} s ({seconds / wall:.1%} of a build) |")
        print(f"| regen's synthesis | {statistics.median(measured.regen_synthesis):.2f} s |")
        print(
            f"| loudness / true peak of the MP3 | {result.master.loudness_lufs:.2f} LUFS / "
            f"{result.master.true_peak_dbtp:.2f} dBTP, encoded {result.master.encodes}x |"
        )
    if sample_memory is not None:
        print(f"| peak memory of a build | {_memory(sample_memory)} |")
    for what, seconds in startup.items():
        print(f"| `{what}`, a fresh process (median of {STARTUP_RUNS}) | {seconds:.2f} s |")

    if long_runs:
        print(
            "\nGenerated long documents, built once each through the CLI in a fresh process; "
            "the loop is the plain loop over the sample just before and after:\n"
        )
        print("| document | audio | wall | wall per audio s | vs loop | peak memory |")
        print("| --- | --- | --- | --- | --- | --- |")
    for run in long_runs:
        audio, wall = run.figures["audio_s"], run.figures["wall_s"]
        versus = f"{wall / audio / run.loop_per_audio:.2f}x"
        print(
            f"| {run.minutes:g} min asked: {run.chars:,} characters, {run.chapters} chapters "
            f"| {audio / 60:.1f} min | {wall:.0f} s | {wall / audio:.4f} | {versus} "
            f"| {_memory(run.figures)} |"
        )

    hour = next((r for r in long_runs if r.minutes == 60), None)
    print("\nIssue 13's targets:\n")
    print("| target | measured | goal | result |")
    print("| --- | --- | --- | --- |")
    print(ratio_row("build wall per audio s / plain loop's", build_ratio, LOOP_RATIO_GOAL, "x"))
    print(ratio_row("one sentence edited, rebuild / full build", edit_ratio, EDIT_GOAL))
    print(ratio_row("`regen --chapter` / full build", regen_ratio, EDIT_GOAL))
    print(ratio_row("nothing changed, rebuild / full build", unchanged_ratio, UNCHANGED_GOAL))
    for what, seconds in startup.items():
        print(ratio_row(f"`{what}`", seconds, STARTUP_GOAL_S, " s"))
    hour_rss = hour.figures["maxrss_mb"] if hour else None
    print(ratio_row("one hour: largest process", hour_rss, HOUR_RSS_GOAL_MB, " MB"))


def _memory(figures: dict[str, Any]) -> str:
    return (
        f"{figures['maxrss_mb']:.0f} MB largest process; all processes at once (sampled): "
        f"{figures['peak_pss_mb']:.0f} MB PSS, {figures['peak_rss_mb']:.0f} MB RSS"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SAMPLE)
    parser.add_argument("--runs", type=int, default=3, help="sample builds (0: none)")
    parser.add_argument("--long", action="store_true", help="also build the long documents")
    parser.add_argument(
        "--long-minutes", type=float, nargs="+", default=[60.0, 180.0], metavar="MINUTES"
    )
    parser.add_argument("--measure-build", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_build:  # the fresh parent of one measured build
        print(json.dumps(measure_build(*args.measure_build)))
        return

    load_before = os.getloadavg()[0]
    measured: Runs | None = None
    startup: dict[str, float] = {}
    sample_memory = None
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        if args.runs > 0:
            measured = run_sample(args.source, args.runs, folder)
            assert measured.result is not None
            print("timing start-up ...", file=sys.stderr, flush=True)
            startup["yomiage --version"] = startup_seconds("--version")
            mp3 = str(measured.result.mp3)
            startup["yomiage chapters EPISODE.mp3"] = startup_seconds("chapters", mp3)
            print("measuring a build's memory ...", file=sys.stderr, flush=True)
            sample_memory = measured_build(args.source, folder / "memory")
        long_runs = []
        if args.long:
            texts = loop_texts(SAMPLE)
            long_runs = [run_long(m, folder, texts) for m in args.long_minutes]
    report(args.source, measured, args.runs, startup, sample_memory, long_runs, load_before)


if __name__ == "__main__":
    main()
