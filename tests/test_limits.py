"""Hostile input that used to exhaust the machine, hang, or leak a file: refused with one line."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from yomiage.config import load_config
from yomiage.errors import ConfigError, ScriptError, SourceError
from yomiage.script.scriptfile import read_script
from yomiage.source.read import read_source
from yomiage.speech.lexicon import Lexicon

SRC = Path(__file__).resolve().parents[1] / "src"
MEMORY_CAP = 1_500_000_000  # bytes of address space for a child that loads one bomb


def _bomb(levels: int = 9, width: int = 9) -> list[str]:
    """A "billion laughs" in mappings: width**levels leaves from a few hundred bytes."""
    keys = [f"k{i}" for i in range(width)]
    lines = ["l0: &l0 {" + ", ".join(f"{k}: lol" for k in keys) + "}"]
    for level in range(1, levels):
        refs = ", ".join(f"{k}: *l{level - 1}" for k in keys)
        lines.append(f"l{level}: &l{level} {{{refs}}}")
    return lines


def _settings_bomb() -> str:
    # under a known section, so every loader walks into it
    body = "\n".join("  " + line for line in _bomb())
    return f"show:\n  name: x\nscript:\n  titles:\n{body}\n"


BOMBS = {
    "front matter": ("article.md", "---\n" + "\n".join(_bomb()) + "\ntitle: *l8\n---\n本文。\n"),
    "settings": ("settings.yaml", _settings_bomb()),
    "script": ("script.yaml", "\n".join(_bomb()) + "\ntitle: *l8\nchapters: [*l8]\n"),
    "readings": ("readings.yaml", "\n".join(_bomb()) + "\n東京: *l8\n"),
}
_LOAD = """
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote
from yomiage.errors import YomiageError
kind, path = sys.argv[1], Path(sys.argv[2])
try:
    if kind == "front matter":
        from yomiage.source.read import read_source; read_source(path)
    elif kind == "settings":
        from yomiage.config import load_config; load_config(path)
    elif kind == "script":
        from yomiage.script.scriptfile import read_script; read_script(path)
    else:
        from yomiage.speech.lexicon import Lexicon; Lexicon.load(path)
except YomiageError as exc:
    print(exc)
"""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_yaml_alias_bombs_are_refused_quickly_with_a_line(kind: str, tmp_path: Path) -> None:
    name, text = BOMBS[kind]
    assert len(text.encode()) < 1200
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", _LOAD, kind, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_cap_memory,
        env={**os.environ, "PYTHONPATH": str(SRC)},
    )
    assert result.returncode == 0, result.stderr[-500:]  # not a MemoryError traceback
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(str(path))
    assert "alias *l" in lines[0] and "invalid YAML" in lines[0]
    assert time.monotonic() - started < 30


def test_deep_nesting_and_huge_yaml_are_refused_with_the_line(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("show:\n  name: " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"deep\.yaml:2: invalid YAML \(nested more than"):
        load_config(deep)
    big = tmp_path / "script.yaml"
    big.write_text("title: t\n# " + "あ" * 2_100_000 + "\n", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"script\.yaml:2: invalid YAML \(longer than"):
        read_script(big)


def test_plain_yaml_still_loads_dates_as_text(tmp_path: Path) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text("episode:\n  date: 2026-11-30\n  title: 題\n", encoding="utf-8")
    config = load_config(path)
    assert config.episode.date is not None and config.episode.date.isoformat() == "2026-11-30"


# ---------------------------------------------------------------- special files


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def _alarm_after(seconds: int) -> None:
    """A hang becomes a failure (SIGALRM interrupts the blocked open), not a stuck suite."""
    import signal

    def _timeout(signum: int, frame: object) -> None:
        raise TimeoutError("hung on a FIFO")

    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)


@pytest.fixture
def no_hang() -> object:
    import signal

    _alarm_after(5)
    yield None
    signal.alarm(0)


@pytest.mark.usefixtures("no_hang")
def test_a_cover_that_is_a_fifo_is_refused(fifo: Path, tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"show:\n  cover: {fifo}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings\.yaml:2: show\.cover: .*FIFO"):
        load_config(settings)


@pytest.mark.usefixtures("no_hang")
def test_named_files_that_are_fifos_or_devices_are_refused(fifo: Path) -> None:
    with pytest.raises(ConfigError, match=r"pipe: cannot read settings \(a FIFO"):
        load_config(fifo)
    with pytest.raises(ScriptError, match=r"pipe: cannot read the script \(a FIFO"):
        read_script(fifo)
    with pytest.raises(ConfigError, match=r"pipe: cannot read the readings \(a FIFO"):
        Lexicon.load(fifo)
    with pytest.raises(SourceError, match=r"pipe: .*FIFO"):
        read_source(fifo)
    with pytest.raises(ConfigError, match=r"/dev/zero: cannot read settings \(a character device"):
        load_config(Path("/dev/zero"))


# ---------------------------------------------------------------- what errors quote


SECRET = "root:$6$hunter2SALT$hashhashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


@pytest.mark.parametrize(
    ("name", "load", "expected"),
    [
        ("script.yaml", read_script, "the script: unknown key"),
        ("settings.yaml", load_config, "unknown setting"),
    ],
)
def test_a_file_linked_to_a_secret_is_not_quoted(
    tmp_path: Path, name: str, load: Any, expected: str
) -> None:
    secret = tmp_path / "shadow"
    secret.write_text(SECRET, encoding="utf-8")
    link = tmp_path / name
    link.symlink_to(secret)
    with pytest.raises((ScriptError, ConfigError)) as raised:
        load(link)
    assert "hunter2" not in str(raised.value) and "$6$" not in str(raised.value)
    assert str(raised.value).startswith(f"{link}:1: {expected}")


def test_a_readings_file_linked_to_a_secret_does_not_quote_its_values(tmp_path: Path) -> None:
    secret = tmp_path / ".env"
    secret.write_text("API_KEY: sk-live-SECRET123\n", encoding="utf-8")
    link = tmp_path / "readings.yaml"
    link.symlink_to(secret)
    with pytest.raises(ConfigError) as raised:
        Lexicon.load(link)
    assert "SECRET123" not in str(raised.value)
    assert str(raised.value).startswith(f"{link}:1: 'API_KEY': the reading must be kana")


def test_a_typed_unknown_key_is_still_named(tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text("voice:\n  sped: 1.2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"settings\.yaml:2: unknown setting 'voice\.sped'"):
        load_config(settings)


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize(
    ("template", "shown"),
    [
        ("{show:>10}です", "{show:>10}"),
        ("{show:>3000000000}", "{show:>3000000000}"),
        ("{title:.3}", "{title:.3}"),
        ("{host!r}さん", "{host!r}"),
    ],
)
def test_templates_with_a_format_spec_are_refused_on_load(
    tmp_path: Path, template: str, shown: str
) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(f"script:\n  intro: '{template}'\n", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(
        f"{path}:2: script.intro is not a valid template: {shown} has a format"
    )
    assert time.monotonic() - started < 5


def test_a_filled_template_longer_than_the_cap_is_refused() -> None:
    from yomiage.script.build import MAX_FILLED_CHARS, build_script
    from yomiage.source.document import Document, Role, Section

    section = Section(heading="話題", role=Role.TOPIC, paragraphs=("本文です。",), line=1)
    huge = Document(title="長" * (MAX_FILLED_CHARS + 1), sections=(section,))
    with pytest.raises(ConfigError, match=r"script\.intro filled in is 20,0\d\d characters"):
        build_script(huge, load_config())
    normal = Document(title="短い題", sections=(section,))
    assert any("短い題" in p for p in build_script(normal, load_config()).chapters[0].paragraphs)


# ---------------------------------------------------------------- chrome patterns


def test_a_backtracking_chrome_pattern_is_an_error_naming_it() -> None:
    from yomiage.source.read import parse_text

    text = "タイトル\n\n本文です。\n" + "a" * 40 + "!\n"
    started = time.monotonic()
    with pytest.raises(SourceError) as raised:
        parse_text(text, markdown=False, extra_chrome_patterns=["(a|aa)+$"], name="art.txt")
    message = str(raised.value)
    assert message.startswith("art.txt: chrome pattern '(a|aa)+$' took over 0.25 s")
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("markdown", [False, True])
def test_nested_repeats_from_the_issue_finish_at_once(markdown: bool) -> None:
    from yomiage.source.read import parse_text

    text = "# タイトル\n\n本文です。\n\n" + "a" * 30 + "!\n\n広告です\n"
    started = time.monotonic()
    document = parse_text(
        text, markdown=markdown, extra_chrome_patterns=["(a+)+$", "広告.*"], name="art"
    )
    assert time.monotonic() - started < 2
    paragraphs = [p for section in document.sections for p in section.paragraphs]
    assert any(p.startswith("aaa") for p in paragraphs)  # not matched: "!" follows
    assert not any("広告" in p for p in paragraphs)  # the user's plain pattern still drops


# ---------------------------------------------------------------- serve


def test_serve_answers_500_for_a_broken_settings_yaml_and_keeps_serving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import http.client
    import threading

    from fakes import FakeEngine

    from yomiage.episode.build import build_episode
    from yomiage.publish.feed import render_feed
    from yomiage.publish.serve import make_server

    source = tmp_path / "article.md"
    source.write_text("# 記事\n\n## 一章\n\n一つ目の文です。\n", encoding="utf-8")
    out = tmp_path / "out"
    build_episode(source, load_config(), out, engine=FakeEngine())
    [episode] = [folder for folder in out.iterdir() if folder.is_dir()]
    (episode / "settings.yaml").write_text("voice:\n  speed: 1.0\n pitch: 0\n", "utf-8")

    server = make_server(out, "127.0.0.1", 0, quiet=True)
    port = int(server.server_address[1])
    handler: Any = server.RequestHandlerClass
    handler.feed = staticmethod(
        lambda: render_feed(out, f"http://127.0.0.1:{port}", channel_cover=False)[1]
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    answers = []
    try:
        for path in ("/feed.xml", "/feed.xml", f"/{quote(episode.name)}/episode.mp3"):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path)
            response = connection.getresponse()
            answers.append((response.status, response.read()))
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert [status for status, _ in answers] == [500, 500, 200]
    assert answers[0][1] == b"500 Internal Server Error\n"
    assert answers[2][1] == (episode / "episode.mp3").read_bytes()
    logged = capsys.readouterr().err.splitlines()
    assert len(logged) == 2  # one line per failed request, no traceback
    assert f"{episode / 'settings.yaml'}:3: invalid YAML" in logged[0]


# ---------------------------------------------------------------- feed


@pytest.mark.parametrize("days_ahead", [0, 30])
def test_the_feed_is_the_same_on_every_fetch(tmp_path: Path, days_ahead: int) -> None:
    """Today's episode (before 06:00 JST too) and a future-dated one: pubDate is recorded."""
    import datetime
    import email.utils
    import xml.etree.ElementTree as ET

    from fakes import FakeEngine

    from yomiage.episode.build import build_episode
    from yomiage.publish.feed import JST, render_feed

    day = datetime.datetime.now(JST).date() + datetime.timedelta(days=days_ahead)
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"episode:\n  date: {day.isoformat()}\n  slug: ep\n", "utf-8")
    source = tmp_path / "article.md"
    source.write_text("# 記事\n\n## 一章\n\n一つ目の文です。\n", encoding="utf-8")
    out = tmp_path / "out"
    build_episode(source, load_config(settings), out, engine=FakeEngine())
    mp3 = out / "ep" / "episode.mp3"
    two_hours_ago = time.time() - 7200  # as if built at 04:00 for a 06:00 episode
    os.utime(mp3, (two_hours_ago, two_hours_ago))

    first = render_feed(out, "http://127.0.0.1:8000", channel_cover=False)[1]
    time.sleep(1.1)  # RSS dates have seconds: "now" would differ by now
    second = render_feed(out, "http://127.0.0.1:8000", channel_cover=False)[1]
    assert first == second
    pub_date = email.utils.parsedate_to_datetime(ET.fromstring(first).findtext(".//pubDate") or "")
    six_am = datetime.datetime.combine(day, datetime.time(6, tzinfo=JST))
    built = datetime.datetime.fromtimestamp(int(two_hours_ago), datetime.timezone.utc)
    assert pub_date == min(six_am, built)
    assert pub_date <= datetime.datetime.now(datetime.timezone.utc)


# ---------------------------------------------------------------- the edge probe


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Any:
    from edge_standin import EdgeStandIn

    with EdgeStandIn() as server:
        server.patch(monkeypatch)
        yield server


@pytest.mark.parametrize(
    ("kind", "times"), [("drop", 2), ("close_immediately", 2), ("no_audio", 1), ("status", 1)]
)
def test_the_edge_probe_retries_like_synthesis(standin: Any, kind: str, times: int) -> None:
    """A service that fails the first requests is reachable: --engine edge and auto use it."""
    from yomiage.engines import check_reachable, choose_engine

    config = load_config()
    options = {"after_messages": 0} if kind == "drop" else {}  # the probe's "あ" is one message
    standin.fail_next(kind, times=times, **options)
    started = time.monotonic()
    engine, notes = choose_engine("auto", config)
    assert engine.name == "edge" and notes == []
    assert time.monotonic() - started < 4.0  # within the probe's 3 s, and a margin
    assert standin.connections == times + 1
    standin.fail_next(kind, times=times, **options)
    check_reachable(choose_engine("edge", config)[0])  # --engine edge: no "cannot reach"


def test_the_edge_probe_still_gives_up_by_its_deadline(standin: Any) -> None:
    from yomiage.engines import choose_engine

    standin.fail_next("drop", times=50, after_messages=0)
    started = time.monotonic()
    engine, notes = choose_engine("auto", load_config())
    assert time.monotonic() - started < 4.5
    assert engine.name == "openjtalk"  # tests/conftest.py: auto goes from edge to Open JTalk
    assert len(notes) == 1 and notes[0].startswith("cannot reach the edge-tts service (")
