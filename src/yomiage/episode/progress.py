"""What the pipeline tells a progress display while it works."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What the pipeline tells a progress display; the CLI draws it with rich."""

    def stage(self, name: str) -> None: ...

    def start_synthesis(self, total: int, cached: int) -> None: ...

    def segment_done(self, chapter_title: str) -> None: ...


class QuietProgress:
    def stage(self, name: str) -> None:
        pass

    def start_synthesis(self, total: int, cached: int) -> None:
        pass

    def segment_done(self, chapter_title: str) -> None:
        pass
