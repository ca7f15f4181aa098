"""The benchmark's long documents: every sentence distinct, and as long as asked."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from yomiage.source.read import parse_text
from yomiage.speech.split import MAX_SENTENCE_CHARS, split_sentences

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "benchmark.py"


@pytest.fixture(scope="module")
def benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["benchmark"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_every_sentence_the_pipeline_speaks_is_distinct(benchmark: ModuleType) -> None:
    document = benchmark.long_document(60)
    spoken = split_sentences(document)
    assert len(spoken) > 300
    assert len(set(spoken)) == len(spoken)
    # each written sentence is spoken whole: none is cut into pieces that could repeat
    written = [s for line in document.splitlines() for s in line.split("。") if s]
    assert all(len(s) < MAX_SENTENCE_CHARS for s in written)
    assert "{" not in document and "}" not in document


def test_chapters_are_markdown_sections_with_distinct_titles(benchmark: ModuleType) -> None:
    document = parse_text(benchmark.long_document(30), markdown=True, name="long.md")
    headings = [s.heading for s in document.sections if s.paragraphs]
    assert len(headings) > 5
    assert len(set(headings)) == len(headings)
    assert document.title.startswith("対談シリーズ")


def test_the_length_scales_with_the_minutes_asked(benchmark: ModuleType) -> None:
    hour, three = benchmark.long_document(60), benchmark.long_document(180)
    assert abs(len(hour) / (60 * benchmark.CHARS_PER_MINUTE) - 1) < 0.03
    assert abs(len(three) / len(hour) - 3) < 0.05
    assert len(set(split_sentences(three))) == len(split_sentences(three))
