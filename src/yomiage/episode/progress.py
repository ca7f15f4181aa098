"""What the pipeline tells a progress display while it works."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """What the pipeline tells a progress display; the CLI draws it with rich.

    Synthesis and encoding run at the same time: sentences are spoken while the
    chapters already spoken are mastered and encoded.
    """

    def stage(self, name: str) -> None: ...

    def start_synthesis(self, total: int, cached: int) -> None: ...

    def segment_done(self, chapter_title: str) -> None: ...

    def start_encoding(self, total: int, reused: int) -> None:
        """`total` chapters, of which `reused` keep the frames they had."""

    def chapter_encoded(self, chapter_title: str) -> None: ...


class QuietProgress:
    def stage(self, name: str) -> None:
        pass

    def start_synthesis(self, total: int, cached: int) -> None:
        pass

    def segment_done(self, chapter_title: str) -> None:
        pass

    def start_encoding(self, total: int, reused: int) -> None:
        pass

    def chapter_encoded(self, chapter_title: str) -> None:
        pass
