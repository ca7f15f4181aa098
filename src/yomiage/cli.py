"""The command line: options -> settings -> one library call; errors -> one line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from yomiage import __version__
from yomiage.config import load_config
from yomiage.engines import ENGINES, make_engine
from yomiage.episode import SEGMENTS_DIR, build_episode, episode_folder
from yomiage.errors import YomiageError

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


@app.command()
def build(
    source: Annotated[
        Path, typer.Argument(help="The article: plain text (.txt) or Markdown (.md).")
    ],
    config_file: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Episode settings (YAML) over the defaults."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for episodes.")] = Path("output"),
    engine: Annotated[
        str | None,
        typer.Option("--engine", "-e", help=f"Speech engine: {', '.join(ENGINES)}."),
    ] = None,
) -> None:
    """Build the episode of SOURCE into OUT/<slug>/episode.mp3 (its path is printed last)."""
    try:
        config = load_config(config_file)
        chosen = make_engine(engine or config.engine.name, config)
    except YomiageError as exc:
        _fail(str(exc))
    try:
        with RichProgress() as progress:
            result = build_episode(source, config, out, engine=chosen, progress=progress)
    except YomiageError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        kept = episode_folder(source, config, out) / SEGMENTS_DIR
        _fail(f"interrupted; the finished segments are kept in {kept}", code=130)
    minutes, secs = divmod(round(result.audio_seconds), 60)
    level = result.master
    err.print(
        f"[green]done[/]: {len(result.timeline.chapters)} chapters, {minutes}:{secs:02d}, "
        f"{level.loudness_lufs:.1f} LUFS, true peak {level.true_peak_dbtp:.1f} dBTP; "
        f"{result.synthesized} of {result.segments} sentences synthesized ({result.engine})",
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


def _fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]error[/]: {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class RichProgress:
    """A progress bar over segments on standard error, naming the chapter being spoken."""

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


def _short(title: str, cells: int = 34) -> str:
    """The title cut or padded to a fixed screen width (kanji take two cells): the bar stays put."""
    if cell_len(title) > cells:
        title = set_cell_size(title, cells - 1) + "…"
    return set_cell_size(title, cells)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
