"""The command line: options -> settings -> one library call; errors -> one line."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from yomiage import __version__
from yomiage.errors import ConfigError, OutputError, YomiageError

# Each command imports the stages it calls, inside it: `yomiage --version` or
# `yomiage chapters` must not wait for scipy, the recogniser or the speech engines.
if TYPE_CHECKING:
    from yomiage.check.report import CheckReport
    from yomiage.config import CheckSettings, Config
    from yomiage.engines import Engine
    from yomiage.episode.jobs import Job
    from yomiage.episode.plan import BuildPlan

app = typer.Typer(
    help="読み上げ: turn a Japanese article into a chaptered podcast episode.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"yomiage {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """読み上げ: turn a Japanese article into a chaptered podcast episode."""


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Episode settings (YAML) over the defaults."),
]
EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        "-e",
        # Written out, not joined from config's names: --version and chapters need no
        # settings (tests/test_cli.py checks that it names every engine there is).
        help="Speech engine: auto (edge when its service answers, else kokoro, "
        "else openjtalk), openjtalk, edge, kokoro.",
    ),
]
DryRunOption = Annotated[
    bool,
    typer.Option("--dry-run", help="Only list which chapters and segments would be synthesized."),
]


@app.command()
def build(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="Articles (.txt, .md, .html, an Aozora Bunko text or its .zip), web page URLs, or "
            "episode folders to rebuild from their script.yaml; several make an episode each.",
            metavar="SOURCE|URL|EPISODE_DIR...",
        ),
    ],
    config_file: ConfigOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Folder for episodes (default: output)."),
    ] = None,
    engine: EngineOption = None,
    dry_run: DryRunOption = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Building from an article: replace hand edits to the episode's "
            "script.yaml and settings.yaml.",
        ),
    ] = False,
) -> None:
    """Build the episode of each SOURCE into OUT/<slug>/, or rebuild EPISODE_DIR after edits.

    Only sentences whose text or voice changed are synthesized; each MP3's path is printed
    on a line of its own. With several sources, one that fails does not stop the others:
    each failure is named at the end, and the exit status is 1.
    """
    if len(targets) == 1:
        with _one_line_errors():
            _build_one(targets[0], config_file, out, engine, dry_run, force)
        return
    with _one_line_errors():
        _refuse_one_slug_for_many(config_file)
    failed: list[tuple[str, str]] = []
    for number, target in enumerate(targets):
        # Which source the lines that follow are about (stdout keeps only the MP3s).
        err.print(
            f"[{number + 1}/{len(targets)}] {escape(target)}", highlight=False, soft_wrap=True
        )
        try:
            _build_one(target, config_file, out, engine, dry_run, force)
        # Ctrl-C during synthesis ends the run in _run (exit 130): the rest are not built.
        except KeyboardInterrupt:  # while fetching or reading: no synthesis had started
            _fail(f"interrupted at {target}, source {number + 1} of {len(targets)}", code=130)
        except YomiageError as exc:
            err.print(f"[red]error[/]: {escape(str(exc))}", highlight=False, soft_wrap=True)
            failed.append((target, str(exc)))
    for target, reason in failed:
        # Most reasons name the source first or last: the line names it once.
        reason = reason.removeprefix(f"{target}: ").removesuffix(f": {target}")
        err.print(f"failed: {escape(target)}: {escape(reason)}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def _build_one(
    target: str,
    config_file: Path | None,
    out: Path | None,
    engine: str | None,
    dry_run: bool,
    force: bool,
) -> None:
    from yomiage.config import load_config
    from yomiage.episode.jobs import (
        check_episode_folder,
        episode_folder_of,
        prepare_from_folder,
        prepare_from_source,
    )
    from yomiage.source.read import is_url

    folder = None if is_url(target) else episode_folder_of(Path(target))
    if folder is not None:
        check_episode_folder(folder)
        if out is not None or force:
            option = "--out" if out is not None else "--force"
            raise ConfigError(f"{option} applies to building from an article, not to {folder}")
        config = _folder_config(folder, config_file, engine)
        job = prepare_from_folder(folder, config)
    else:
        config = _with_engine(load_config(*_given(config_file)), engine)
        source: str | Path = target if is_url(target) else Path(target)
        job = prepare_from_source(source, config, out or Path("output"), force=force)
    _run(job, _engine(job.config), dry_run)


def _refuse_one_slug_for_many(config_file: Path | None) -> None:
    """episode.slug names one folder: several sources would build over each other there."""
    from yomiage.config import load_config

    if load_config(*_given(config_file)).episode.slug:
        raise ConfigError(
            f"{config_file}: episode.slug names one folder, so it cannot be used with "
            "several sources; leave it out (each episode gets a folder of its own)"
        )


@app.command()
def regen(
    folder: Annotated[Path, typer.Argument(help="The episode folder.", metavar="EPISODE_DIR")],
    chapter: Annotated[
        list[str] | None,
        typer.Option(
            "--chapter",
            help="Chapter to speak again: its number in `yomiage chapters`, or its id. Repeatable.",
        ),
    ] = None,
    flagged: Annotated[
        bool,
        typer.Option("--flagged", help="Speak again the sentences the last check flagged."),
    ] = False,
    config_file: ConfigOption = None,
    engine: EngineOption = None,
    dry_run: DryRunOption = False,
) -> None:
    """Speak chapters or flagged sentences of EPISODE_DIR again and rebuild the MP3 around them."""
    from yomiage.check.report import flagged_keys
    from yomiage.episode.jobs import EPISODE_FILE, SCRIPT_FILE, prepare_from_folder

    with _one_line_errors():
        if not chapter and not flagged:
            _fail("say what to speak again: --chapter N (repeatable) or --flagged")
        config = _folder_config(folder, config_file, engine)
        keys = flagged_keys(folder, folder / EPISODE_FILE) if flagged else ()
        if flagged and not keys and not chapter:
            err.print(
                f"nothing to do: the last check of {escape(str(folder))} flagged no sentence",
                highlight=False,
                soft_wrap=True,
            )
            return
        job = prepare_from_folder(folder, config, regen=chapter or (), regen_keys=keys)
        speaker = _engine(job.config)
        if keys and speaker.deterministic:
            _fail(
                f"the {speaker.name} engine says a text the same way every time, so a new take "
                f"of the {len(keys)} flagged sentences would sound the same: fix how they are "
                f"read (`yomiage readings {folder}`, then a lexicon entry) or their text in "
                f"{folder / SCRIPT_FILE}, and `yomiage build {folder}`"
            )
        _run(job, speaker, dry_run)


@app.command()
def check(
    target: Annotated[
        Path,
        typer.Argument(help="An episode folder, or its MP3.", metavar="EPISODE_DIR|EPISODE.mp3"),
    ],
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the report to this file.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="A faster-whisper size name (small) or a model folder; "
            "default: check.model, else the packaged Whisper base.",
            metavar="NAME|PATH",
        ),
    ] = None,
    config_file: ConfigOption = None,
) -> None:
    """Listen to every sentence and flag those not said as written (report in check.json).

    Exit 0 when nothing is flagged, 1 when a sentence is, 2 when the check itself fails.
    """
    from yomiage.check.checker import check_episode, episode_of
    from yomiage.check.report import REPORT_FILE, write_report

    try:
        folder, _ = episode_of(target)
        settings = _check_settings(folder, config_file, model)
        progress = ListeningProgress()
        with progress:
            report = check_episode(target, settings, progress.start, progress.advance)
        write_report(folder / REPORT_FILE, report)
        if json_file is not None:
            write_report(json_file, report)
    except YomiageError as exc:
        _fail(str(exc), code=2)
    except KeyboardInterrupt:
        _fail("interrupted; no report was written", code=130)
    _print_report(report, folder)
    raise typer.Exit(1 if report.flagged else 0)


def _check_settings(folder: Path, config_file: Path | None, model: str | None) -> CheckSettings:
    """check: from the defaults, the folder's settings.yaml and --config; --model over them."""
    from yomiage.config import SettingError, load_config
    from yomiage.episode.jobs import SETTINGS_FILE, folder_config

    recorded = folder / SETTINGS_FILE
    config = (
        folder_config(folder, *_given(config_file))
        if recorded.is_file()
        else load_config(*_given(config_file))
    )
    if model is None:
        return config.check
    try:
        return replace(config.check, model=model)
    except SettingError as exc:
        raise ConfigError(f"--model: {exc}") from None


def _print_report(report: CheckReport, folder: Path) -> None:
    """A row per chapter on standard output, then each flagged sentence, then the verdict."""
    from yomiage.check.report import REPORT_FILE

    out = Console(width=200, soft_wrap=True, highlight=False)
    table = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("#", "id", "title", "CER", "flagged"):
        right = column in ("#", "CER")
        table.add_column(column, no_wrap=True, justify="right" if right else "left")
    for number, chapter in enumerate(report.chapters, start=1):
        flags = f"[red]{chapter.flagged}[/]" if chapter.flagged else "0"
        table.add_row(str(number), chapter.id, escape(chapter.title), f"{chapter.cer:.3f}", flags)
    out.print(table)
    for chapter, sentence in report.flagged_sentences():
        out.print(f"\n[bold]{chapter.id}[/] {escape(sentence.text)}")
        if sentence.spoken != sentence.text:
            out.print(f"  given:  {escape(sentence.spoken)}")
        out.print(f"  heard:  {escape(sentence.heard) or '(nothing)'}")
        out.print(f"  why:    {escape('; '.join(sentence.reasons))}")
    total = sum(len(c.sentences) for c in report.chapters)
    verdict = "[red]flagged[/]" if report.flagged else "[green]all heard right[/]"
    err.print(
        f"{verdict}: {report.flagged} of {total} sentences; kana error rate "
        f"{report.mean_cer:.3f} ({escape(report.model)}); report in "
        f"{escape(str(folder / REPORT_FILE))}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def readings(
    target: Annotated[
        str,
        typer.Argument(
            help="The article or web page URL, or an episode folder.",
            metavar="SOURCE|URL|EPISODE_DIR",
        ),
    ],
    config_file: ConfigOption = None,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for episodes, to find the episode's lexicon."),
    ] = Path("output"),
    write: Annotated[
        Path | None,
        typer.Option(
            "--write",
            help="Add the guessed readings to this lexicon file, to correct them there.",
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 when a term has only a guessed reading.")
    ] = False,
) -> None:
    """How every English word, number and lexicon term will be read, before synthesis."""
    from yomiage.config import load_config
    from yomiage.episode.jobs import episode_folder_of
    from yomiage.episode.lock import episode_lock
    from yomiage.source.read import is_url
    from yomiage.speech.review import episode_dir_for, lexicons_read, review_target, write_stub

    try:
        source: str | Path = target if is_url(target) else Path(target)
        folder = None if isinstance(source, str) else episode_folder_of(source)
        config = (
            _folder_config(folder, config_file, None)
            if folder is not None
            else load_config(*_given(config_file))
        )
        # --write may add to the episode's own lexicon: not while a build of it runs.
        # It writes before the table is drawn, so that its error is the one line said.
        episode = episode_dir_for(source, config, out)
        writing = write is not None and episode.is_dir()
        with episode_lock(episode) if writing else nullcontext():
            terms = review_target(source, config, out)
            name = target if isinstance(source, str) else source.name
            added = write_stub(write, terms, name) if write is not None else 0
        table = Table(box=None, pad_edge=False, show_edge=False)
        for column in ("term", "spoken as", "Open JTalk says", "how", "count", "first in"):
            table.add_column(column, no_wrap=True)
        for term in terms:
            how = f"[yellow]{term.how}[/]" if term.needs_reading else term.how
            table.add_row(
                escape(term.surface),
                escape(term.spoken),
                escape(term.kana),
                how,
                str(term.count),
                term.chapter,
            )
        Console(width=200, soft_wrap=True, highlight=False).print(table)
        guessed = sum(1 for t in terms if t.needs_reading)
        err.print(
            f"{len(terms)} terms; {guessed} with a guessed reading (no lexicon entry)",
            highlight=False,
            soft_wrap=True,
        )
        if write is not None:
            err.print(f"added {added} guessed readings to {write}", highlight=False, soft_wrap=True)
            read = [p.resolve() for p in lexicons_read(source, config, out)]
            if write.resolve() not in read:
                err.print(
                    f"[yellow]note[/]: builds do not read {escape(str(write))}; fill it in "
                    f"and move it to {escape(str(read[0]))} (every episode) or "
                    f"{escape(str(read[1]))} (this one)",
                    highlight=False,
                    soft_wrap=True,
                )
    except YomiageError as exc:
        _fail(str(exc))
    if check and guessed:
        raise typer.Exit(1)


@app.command()
def voices(
    engine: Annotated[
        str | None, typer.Option("--engine", "-e", help="Only this engine's voices.")
    ] = None,
) -> None:
    """The Japanese voices each engine offers (edge's from its service, else the shipped list)."""
    from yomiage.config import load_config
    from yomiage.engines import ENGINES, engine_voices

    names = [engine] if engine else sorted(ENGINES)
    unknown = [n for n in names if n not in ENGINES]
    if unknown:
        _fail(f"unknown engine '{unknown[0]}' (known: {', '.join(sorted(ENGINES))})")
    try:
        for name in names:
            listed, note = engine_voices(name, load_config())
            if note:
                err.print(f"[yellow]note[/]: {escape(note)}", highlight=False, soft_wrap=True)
            for voice in listed:
                typer.echo(f"{name:<10} {voice.name:<28} {voice.gender:<7} {voice.description}")
    except YomiageError as exc:
        _fail(str(exc))


@app.command()
def chapters(
    target: Annotated[
        Path, typer.Argument(help="An episode folder or an MP3.", metavar="EPISODE_DIR|FILE.mp3")
    ],
) -> None:
    """List the chapters of an episode as players see them, read back from the MP3."""
    from yomiage.publish.tags import read_chapters  # mutagen, and no more

    mp3 = target
    if target.is_dir():  # the episode stage (source, script) loads only to name its MP3
        from yomiage.episode.jobs import EPISODE_FILE

        mp3 = target / EPISODE_FILE
    try:
        if not mp3.is_file():
            raise OutputError(f"{mp3}: no such MP3")
        marks = read_chapters(mp3)
    except YomiageError as exc:
        _fail(str(exc))
    if not marks:
        _fail(f"{mp3}: the MP3 has no chapters")
    width = max(len(m.id) for m in marks)
    typer.echo(f"{'#':>3}  {'id':<{width}}  {'start':>9}  {'end':>9}  title")
    for number, mark in enumerate(marks, start=1):
        typer.echo(
            f"{number:>3}  {mark.id:<{width}}  {_clock(mark.start_ms):>9}  "
            f"{_clock(mark.end_ms):>9}  {mark.title}"
        )


OutputDirArgument = Annotated[
    Path,
    typer.Argument(help="The folder of episodes (the --out of build).", metavar="OUTPUT_DIR"),
]
ShowConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Show settings (YAML) over the defaults; default: the newest episode's settings.",
    ),
]


@app.command()
def feed(
    output_dir: OutputDirArgument,
    base_url: Annotated[
        str,
        typer.Option("--base-url", help="The address OUTPUT_DIR is served at (http or https)."),
    ],
    config_file: ShowConfigOption = None,
) -> None:
    """Write OUTPUT_DIR/feed.xml, the podcast feed of every episode; its path is printed last."""
    from yomiage.config import load_config
    from yomiage.publish.feed import publish_feed

    try:
        config = load_config(config_file) if config_file is not None else None
        written = publish_feed(output_dir, base_url, config)
    except YomiageError as exc:
        _fail(str(exc))
    for skipped in written.skipped:
        err.print(
            f"[yellow]skipped[/] {escape(skipped.folder.name)}: {escape(skipped.reason)}",
            highlight=False,
            soft_wrap=True,
        )
    err.print(
        f"episodes in the feed: {len(written.episodes)}; subscribe at {escape(written.url)}",
        highlight=False,
        soft_wrap=True,
    )
    typer.echo(str(written.path))


@app.command()
def serve(
    output_dir: OutputDirArgument,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on; 0.0.0.0 is every one.")
    ] = "0.0.0.0",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port (0: any free one).")
    ] = 8000,
    config_file: ShowConfigOption = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            help="The address players reach this server at, if not this machine's own "
            "(a port forward, a proxy).",
        ),
    ] = None,
) -> None:
    """Serve OUTPUT_DIR over HTTP for players on this network; the feed's URL is printed last.

    The feed is made for this server's address on every request, so it lists
    episodes built meanwhile; OUTPUT_DIR/feed.xml is left as it is. Ctrl-C stops.
    """
    from yomiage.config import load_config
    from yomiage.publish.serve import serve as serve_folder

    try:
        config = load_config(config_file) if config_file is not None else None
        serve_folder(output_dir, host, port, base_url=base_url, config=config)
    except YomiageError as exc:
        _fail(str(exc))


def _given(config_file: Path | None) -> list[Path]:
    return [config_file] if config_file is not None else []


def _folder_config(folder: Path, config_file: Path | None, engine: str | None) -> Config:
    """Defaults, then the folder's recorded settings.yaml, then --config, then --engine."""
    from yomiage.episode.jobs import check_episode_folder, folder_config

    check_episode_folder(folder)
    return _with_engine(folder_config(folder, *_given(config_file)), engine)


def _with_engine(config: Config, engine: str | None) -> Config:
    """--engine over the settings, checked like a setting, and recorded with the episode."""
    from yomiage.config import EngineSettings, SettingError

    if engine is None:
        return config
    try:
        return replace(config, engine=EngineSettings(engine, config.engine.workers))
    except SettingError as exc:
        raise ConfigError(f"--engine: {exc}") from None


def _engine(config: Config) -> Engine:
    """The engine to speak with; `auto` says in one line each engine it passed over, and why."""
    from yomiage.engines import choose_engine

    engine, notes = choose_engine(config.engine.name, config)
    for note in notes:
        err.print(f"[yellow]note[/]: {escape(note)}", highlight=False, soft_wrap=True)
    return engine


def _run(job: Job, engine: Engine, dry_run: bool) -> None:
    if dry_run:
        from yomiage.episode.plan import plan_job

        _print_plan(job, plan_job(job, engine))
        return
    from yomiage.episode.build import run_job  # mastering (scipy) and covers (Pillow) with it
    from yomiage.episode.jobs import SEGMENTS_DIR

    try:
        with _sigterm_as_interrupt(), RichProgress() as progress:
            result = run_job(job, engine, progress)
    except KeyboardInterrupt as exc:
        kept = job.folder / SEGMENTS_DIR
        how, code = ("terminated", 143) if isinstance(exc, Terminated) else ("interrupted", 130)
        _fail(f"{how}; the finished segments are kept in {kept}", code=code)
    minutes, secs = divmod(round(result.audio_seconds), 60)
    level = result.master
    if result.up_to_date:
        err.print(
            f"[green]up to date[/]: {len(result.timeline.chapters)} chapters, "
            f"{minutes}:{secs:02d}; nothing changed, the MP3 is left as it was",
            highlight=False,
            soft_wrap=True,
        )
        typer.echo(str(result.mp3))
        return
    err.print(
        f"[green]done[/]: {len(result.timeline.chapters)} chapters, {minutes}:{secs:02d}, "
        f"{level.loudness_lufs:.1f} LUFS, true peak {level.true_peak_dbtp:.1f} dBTP; "
        f"{result.synthesized} of {result.segments} sentences synthesized, "
        f"{result.encoded} of {len(result.timeline.chapters)} chapters encoded ({result.engine})",
        highlight=False,
        soft_wrap=True,
    )
    if not level.peak_held:
        err.print(
            f"[yellow]warning[/]: true peak {level.true_peak_dbtp:.1f} dBTP is above the "
            f"{level.peak_ceiling_dbtp:.1f} dBTP ceiling after {level.encodes} encodes",
            highlight=False,
            soft_wrap=True,
        )
    typer.echo(str(result.mp3))


def _print_plan(job: Job, plan: BuildPlan) -> None:
    """The dry run's answer, on standard output: a line per chapter, then the total."""
    from yomiage.episode.jobs import EPISODE_FILE

    width = max(len(c.id) for c in plan.chapters)
    for number, chapter in enumerate(plan.chapters, start=1):
        typer.echo(
            f"{number:>3}  {chapter.id:<{width}}  {chapter.to_synthesize:>3} of "
            f"{chapter.segments:>3} to synthesize  {chapter.title}"
        )
    if plan.up_to_date:
        typer.echo(f"nothing to do: {job.folder / EPISODE_FILE} is up to date")
        return
    touched = sum(1 for c in plan.chapters if c.to_synthesize)
    typer.echo(
        f"would synthesize {plan.to_synthesize} of {plan.segments} sentences "
        f"in {touched} chapters, then build {job.folder / EPISODE_FILE}"
    )


def _clock(ms: int) -> str:
    """0:32.512, or 1:02:03.456 past an hour."""
    minutes, millis = divmod(ms, 60_000)
    hours, minutes = divmod(minutes, 60)
    seconds = f"{millis // 1000:02d}.{millis % 1000:03d}"
    return f"{hours}:{minutes:02d}:{seconds}" if hours else f"{minutes}:{seconds}"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C: the same clean-up runs (workers, staging files, the lock)."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """While a build runs, SIGTERM stops it as Ctrl-C does, instead of killing it mid-write."""
    before = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Our errors as one line and exit 1; Ctrl-C before synthesis as one line and exit 130."""
    try:
        yield
    except YomiageError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted before synthesis; nothing was changed", code=130)


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error[/]: {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class RichProgress:
    """Progress bars on standard error: sentences spoken, naming the chapter being
    spoken, and chapters encoded, which runs alongside from the first chapter on."""

    def __init__(self) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=not err.is_terminal,
            # No refresh thread: the synthesis pool may fork, which needs a single thread.
            auto_refresh=False,
        )
        self._task = self._bar.add_task("starting", total=None)
        self._encoding: TaskID | None = None

    def __enter__(self) -> RichProgress:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def stage(self, name: str) -> None:
        self._bar.update(self._task, description=_short(name), refresh=True)

    def start_synthesis(self, total: int, cached: int) -> None:
        self._bar.update(
            self._task,
            total=total,
            completed=cached,
            description=_short("synthesizing"),
            refresh=True,
        )

    def segment_done(self, chapter_title: str) -> None:
        self._bar.update(self._task, advance=1, description=_short(chapter_title), refresh=True)

    def start_encoding(self, total: int, reused: int) -> None:
        description = _short("encoding chapters")
        self._encoding = self._bar.add_task(description, total=total, completed=reused)
        self._bar.refresh()

    def chapter_encoded(self, chapter_title: str) -> None:
        if self._encoding is not None:
            description = _short(f"encoded {chapter_title}")
            self._bar.update(self._encoding, advance=1, description=description, refresh=True)


class ListeningProgress(RichProgress):
    """The same bar over the sentences being heard."""

    def start(self, total: int) -> None:
        self._bar.update(
            self._task, total=total, completed=0, description=_short("listening"), refresh=True
        )

    def advance(self, sentences: int) -> None:
        self._bar.update(self._task, advance=sentences, refresh=True)


def _short(title: str, cells: int = 34) -> str:
    """The title cut or padded to a fixed screen width (kanji take two cells): the bar stays put."""
    if cell_len(title) > cells:
        title = set_cell_size(title, cells - 1) + "…"
    return set_cell_size(title, cells)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
