"""Articles from a URL, a saved page and an Aozora Bunko text, and ruby readings in any format.

Pages come from a server on 127.0.0.1 (tests/pages.py); no test reaches the network.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pages
import pytest

from yomiage.config import load_config
from yomiage.errors import SourceError
from yomiage.script.build import build_script
from yomiage.script.scriptfile import parse_script, script_to_yaml
from yomiage.source import fetch
from yomiage.source.document import Document
from yomiage.source.read import parse_text, read_any
from yomiage.speech.lexicon import lexicon_for
from yomiage.speech.spoken import Speech


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with pages.serve() as url:
        yield url


def _said(document: Document) -> str:
    """Everything of the document that would be read: title, headings, paragraphs."""
    parts = [document.title]
    for section in document.sections:
        parts.extend([section.heading or "", *section.paragraphs])
    return "\n".join(parts)


def _never_spoken(text: str) -> list[str]:
    return [name for name, chrome in pages.CHROME.items() if chrome in text]


PAGES = {
    "note": (
        "/note/n1a2b3c",
        pages.NOTE_TITLE,
        pages.NOTE_SITE,
        pages.NOTE_SPOKEN,
        pages.NOTE_SECTIONS,
        ("欅", "けやき"),
    ),
    "zenn": (
        "/zenn/articles/small-cli",
        pages.ZENN_TITLE,
        pages.ZENN_SITE,
        pages.ZENN_SPOKEN,
        pages.ZENN_SECTIONS,
        ("冪等", "べきとう"),
    ),
    "hatena in Shift_JIS, charset in <meta> only": (
        "/hatena/entry/2024/05/03/toudai",
        pages.HATENA_TITLE,
        pages.HATENA_SITE,
        pages.HATENA_SPOKEN,
        pages.HATENA_SECTIONS,
        ("螺旋", "らせん"),
    ),
    "Shift_JIS under a header that says UTF-8": (
        "/hatena/lying-header",
        pages.HATENA_TITLE,
        pages.HATENA_SITE,
        pages.HATENA_SPOKEN,
        pages.HATENA_SECTIONS,
        ("螺旋", "らせん"),
    ),
    "EUC-JP diary, charset only detectable": (
        "/diary/rain",
        pages.DIARY_TITLE,
        None,
        pages.DIARY_SPOKEN,
        ("借りた本", "帰り道"),
        ("随筆", "ずいひつ"),
    ),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_reads_as_its_article_without_the_page_around_it(base: str, name: str) -> None:
    path, title, site, spoken, sections, ruby = PAGES[name]
    document = read_any(base + path)
    assert document.title == title  # the article's, without " | site"
    assert document.site == site
    assert document.url == base + path
    said = _said(document)
    for sentence in spoken:
        assert sentence in said
    assert [s.heading for s in document.sections if s.heading] == list(sections)
    assert _never_spoken(said) == []
    assert "print" not in said and "hello" not in said  # code blocks
    assert ruby in document.readings
    assert ruby[0] in said and ruby[1] not in said  # the written word stays


def test_lists_are_read_item_by_item(base: str) -> None:
    history = read_any(base + "/note/n1a2b3c").sections[1]
    assert history.paragraphs[1:] == (
        "植えられたのは七十年ほど前\n全部で四十二本\n秋には葉が黄色く色づく",
    )


def test_redirects_are_followed_and_the_request_names_yomiage(base: str) -> None:
    pages._Handler.agents.clear()
    document = read_any(base + "/old-note")
    assert document.title == pages.NOTE_TITLE
    assert document.url == base + "/note/n1a2b3c"  # where the article is
    assert pages._Handler.agents and all(a.startswith("yomiage/") for a in pages._Handler.agents)


def test_a_plain_text_url_is_read_as_text_and_an_aozora_text_as_one(base: str) -> None:
    document = read_any(base + "/aozora/toudaimori.txt")
    assert (document.title, document.author) == (pages.AOZORA_TITLE, pages.AOZORA_AUTHOR)
    assert document.url == base + "/aozora/toudaimori.txt"


def test_an_aozora_xhtml_card_reads_as_its_text_file_does(base: str, tmp_path: Path) -> None:
    text = read_any(base + "/aozora/toudaimori.txt")
    url = base + "/aozora/cards/toudaimori.html"
    card = read_any(url)
    assert (card.title, card.author, card.site, card.url) == (
        pages.AOZORA_TITLE,
        pages.AOZORA_AUTHOR,
        None,  # the intro names the author's work, not 青空文庫's article
        url,
    )
    assert [(s.heading, s.paragraphs) for s in card.sections] == [
        (s.heading, s.paragraphs) for s in text.sections
    ]
    assert card.readings == text.readings == (("灯台", "とうだい"), ("桟橋", "さんばし"))
    said = _said(card)
    assert not [word for word in pages.AOZORA_CARD_NEVER if word in said]
    saved = tmp_path / "toudaimori.html"  # the card saved from the browser
    saved.write_bytes(pages.AOZORA_CARD.encode("cp932"))
    assert read_any(saved).sections == card.sections
    intro = build_script(card, load_config()).chapters[0].paragraphs
    assert f"{pages.AOZORA_AUTHOR}の作品をもとにお話しします。" in intro


def _errors(base: str) -> dict[str, tuple[str, str]]:
    """name -> (URL, what the one line says)."""
    refused = f"http://127.0.0.1:{pages.closed_port()}/article"
    return {
        "404": (base + "/missing", f"HTTP 404 Not Found: {base}/missing"),
        "500": (base + "/broken", f"HTTP 500 Internal Server Error: {base}/broken"),
        "not a page": (
            base + "/photo.png",
            f"not a web page or text: {base}/photo.png (image/png)",
        ),
        "binary as text": (
            base + "/photo",
            f"not a web page or text: {base}/photo (binary data as text/plain)",
        ),
        "timeout": (base + "/slow", f"timed out after 0.5 s: {base}/slow"),
        "too big": (base + "/huge", f"larger than 0 MiB, not an article: {base}/huge"),
        "no article": (base + "/empty", f"{base}/empty: no article found in the page"),
        "refused": (refused, f"connection refused: {refused}"),
    }


@pytest.mark.parametrize(
    "case",
    ["404", "500", "not a page", "binary as text", "timeout", "too big", "no article", "refused"],
)
def test_a_bad_url_is_one_line_naming_it(
    base: str, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "CONNECT_TIMEOUT_S", 0.5)  # /slow answers after 2 s
    monkeypatch.setattr(fetch, "MAX_BYTES", 100_000)  # /huge sends 300 kB
    url, message = _errors(base)[case]
    with pytest.raises(SourceError) as caught:
        read_any(url)
    assert str(caught.value) == message


def test_the_whole_fetch_has_a_deadline(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every read of /trickle is answered within the read timeout; the whole never comes.
    monkeypatch.setattr(fetch, "DEADLINE_S", 0.8)
    start = time.monotonic()
    with pytest.raises(SourceError) as caught:
        read_any(base + "/trickle")
    assert str(caught.value) == f"timed out after 0.8 s: {base}/trickle"
    assert time.monotonic() - start < 0.8 + 0.5


def test_redirects_without_end_are_one_line(base: str) -> None:
    with pytest.raises(SourceError) as caught:
        read_any(base + "/loop")
    assert str(caught.value) == f"more than 10 redirects: {base}/loop"


# ---------------------------------------------------------------- saved pages


def test_saved_html_files_read_like_fetched_pages(tmp_path: Path) -> None:
    note = tmp_path / "note.html"
    note.write_text(pages.NOTE_PAGE, encoding="utf-8")
    hatena = tmp_path / "hatena.htm"
    hatena.write_bytes(pages.HATENA_PAGE.encode("cp932"))  # Shift_JIS, said in <meta>
    for path, title, spoken in (
        (note, pages.NOTE_TITLE, pages.NOTE_SPOKEN),
        (hatena, pages.HATENA_TITLE, pages.HATENA_SPOKEN),
    ):
        document = read_any(path)
        assert document.title == title and document.url is None
        said = _said(document)
        assert all(sentence in said for sentence in spoken)
        assert _never_spoken(said) == []


def test_a_saved_page_with_no_article_is_one_line(tmp_path: Path) -> None:
    empty = tmp_path / "top.html"
    empty.write_text(pages.EMPTY_PAGE, encoding="utf-8")
    with pytest.raises(SourceError, match=r"top.html: no article found in the page$"):
        read_any(empty)


# ---------------------------------------------------------------- Aozora Bunko


def test_an_aozora_text_gives_title_author_headings_and_readings(tmp_path: Path) -> None:
    path = tmp_path / "toudaimori.txt"
    path.write_bytes(pages.AOZORA_BYTES)  # Shift_JIS with CRLF, as Aozora Bunko ships it
    document = read_any(path)
    assert document.title == pages.AOZORA_TITLE
    assert document.author == pages.AOZORA_AUTHOR
    assert [s.heading for s in document.sections] == ["一", "二"]
    assert document.sections[0].paragraphs[0] == (
        "岬の先に、小さな灯台がありました。灯台の下には古い桟橋があり、毎朝漁師たちが舟を出します。"
    )
    assert document.readings == (("灯台", "とうだい"), ("桟橋", "さんばし"))
    said = _said(document)
    assert [word for word in pages.AOZORA_NEVER if word in said] == []
    assert "\r" not in said


def test_aozora_wrapped_headings_and_characters_outside_jis(tmp_path: Path) -> None:
    text = (
        "題名\n著者\n\n［＃中見出し］最初の章［＃中見出し終わり］\n"
        "　※［＃「木＋世」、U+67BB、56-5］の木がある。［＃「木」に傍点］\n\n"
        "底本：「本」\n入力：誰か\n校正：誰か\n"
    )
    path = tmp_path / "short.txt"
    path.write_text(text, encoding="utf-8")
    document = read_any(path)
    assert [s.heading for s in document.sections] == ["最初の章"]
    assert document.sections[0].paragraphs == ("枻の木がある。",)


# ---------------------------------------------------------------- ruby in text


def test_ruby_in_plain_text_and_markdown() -> None:
    text = "古い港\n\n｜桟橋《さんばし》を渡ると灯台《とうだい》が見えます。\n\n桟橋は木でできています。\n"
    markdown = "# 古い港\n\n|桟橋《さんばし》を渡ると灯台《とうだい》が見えます。\n\n## 続き\n\n桟橋は木でできています。\n"
    for document in (parse_text(text, markdown=False), parse_text(markdown, markdown=True)):
        assert document.title == "古い港"
        said = _said(document)
        assert "桟橋を渡ると灯台が見えます。" in said
        assert "《" not in said and "|" not in said and "｜" not in said
        assert document.readings == (("桟橋", "さんばし"), ("灯台", "とうだい"))


def test_a_reading_given_once_is_said_everywhere_and_the_first_one_wins() -> None:
    document = parse_text(
        "題\n\n桟橋《さんばし》を渡る。\n\n桟橋《さじき》は古い。灯台もある。本日《重要》。\n",
        markdown=False,
    )
    assert document.readings == (("桟橋", "さんばし"),)
    assert "本日《重要》。" in _said(document)  # 《》 quoting, not ruby: kept as written
    script = build_script(document, load_config())
    speech = Speech(lexicon_for(None, script.readings))
    assert speech.spoken(["桟橋は古い。", "灯台もある。"]) == ["さんばしは古い。", "灯台もある。"]


def test_the_users_lexicon_corrects_a_documents_reading(tmp_path: Path) -> None:
    (tmp_path / "readings.yaml").write_text("桟橋: さじき\n", encoding="utf-8")
    lexicon = lexicon_for(tmp_path, (("桟橋", "さんばし"), ("灯台", "とうだい")))
    assert lexicon.apply("桟橋と灯台") == "さじきととうだい"
    assert {e.surface: e.origin for e in lexicon.entries()}["灯台"] == "document"


def test_readings_are_kept_in_script_yaml_and_read_back() -> None:
    document = parse_text("題\n\n灯台《とうだい》が見える。\n", markdown=False)
    script = build_script(document, load_config())
    text = script_to_yaml(script)
    assert "readings:\n  灯台: とうだい\n" in text
    assert parse_script(text, "script.yaml").readings == (("灯台", "とうだい"),)


def test_the_intro_names_the_site_or_the_author(base: str) -> None:
    config = load_config()
    note = build_script(read_any(base + "/note/n1a2b3c"), config)
    assert f"{pages.NOTE_SITE}の記事をもとにお話しします。" in note.chapters[0].paragraphs
    aozora = build_script(read_any(base + "/aozora/toudaimori.txt"), config)
    assert f"{pages.AOZORA_AUTHOR}の作品をもとにお話しします。" in aozora.chapters[0].paragraphs


def test_a_host_that_does_not_resolve_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_such_host(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)  # no resolver is asked
    with pytest.raises(SourceError) as caught:
        read_any("https://no-such-host.invalid/entry")
    assert str(caught.value) == "cannot find the host (DNS): https://no-such-host.invalid/entry"


def test_without_og_tags_the_title_tells_the_article_from_the_site(tmp_path: Path) -> None:
    body = (
        "<p>今日は朝から雨が降っていました。傘を持って駅まで歩き、電車で会社に向かいました。"
        "駅のホームは混んでいて、いつもより一本遅い電車に乗りました。</p><h2>午後</h2>"
        "<p>午後は晴れて、帰りは歩いて帰りました。途中で本屋に寄り、雑誌を一冊買いました。"
        "夕焼けがきれいな一日の終わりでした。</p>"
    )
    for logo in ("日々のメモ帳", "雨の日の通勤"):  # the <h1> is the site's logo, or the title
        page = tmp_path / "post.html"
        page.write_text(
            "<html><head><title>雨の日の通勤 - 日々のメモ帳</title></head><body>"
            f'<div class="logo"><h1>{logo}</h1></div><div class="post">'
            f'<h2 class="post-title">雨の日の通勤</h2>{body}</div></body></html>',
            encoding="utf-8",
        )
        document = read_any(page)
        assert (document.title, document.site) == ("雨の日の通勤", "日々のメモ帳")
        assert [s.heading for s in document.sections] == [None, "午後"]


def test_a_markdown_file_at_a_url_is_read_as_markdown(base: str) -> None:
    document = read_any(base + "/notes/ruby.md")
    assert document.title == "港の話"
    assert [(s.heading, s.paragraphs) for s in document.sections] == [("朝", ("古い桟橋を渡る。",))]
    assert document.readings == (("桟橋", "さんばし"),)


def test_a_saved_page_knows_its_address_from_og_url(tmp_path: Path) -> None:
    page = tmp_path / "saved.html"
    address = '<meta property="og:url" content="https://note.example/yamada/n/n1a2b3c">'
    page.write_text(pages.NOTE_PAGE.replace("<head>", "<head>" + address, 1), encoding="utf-8")
    document = read_any(page)
    assert document.url == "https://note.example/yamada/n/n1a2b3c"
    assert document.author is None  # a page's intro names its site, not "〜の作品"


def test_a_wordpress_post_is_not_taken_for_tags_by_its_classes(tmp_path: Path) -> None:
    comments = "".join(
        f'<li class="comment"><p>コメント{n}です。とても良い記事でした。次回も楽しみにしています。</p></li>'
        for n in range(12)
    )
    page = tmp_path / "wp.html"
    page.write_text(
        '<html><head><meta property="og:title" content="庭の手入れ">'
        '<meta property="og:site_name" content="緑の庭"></head><body>'
        '<div class="post-7 post type-post category-garden tag-spring">'
        "<p>春になったので、庭の手入れを始めました。まずは冬の間に伸びた枝を切りそろえます。"
        "次に土を耕して、肥料を混ぜ込みました。</p><h2>植えた花</h2>"
        "<p>今年はチューリップとパンジーを植えました。咲くのが今から楽しみです。</p>"
        '<div class="entry-tags tags"><a>#春</a></div></div>'
        f'<div id="comments" class="comments-area"><ol>{comments}</ol></div></body></html>',
        encoding="utf-8",
    )
    document = read_any(page)
    said = _said(document)
    assert "春になったので、庭の手入れを始めました。" in said
    assert [s.heading for s in document.sections] == [None, "植えた花"]
    assert "コメント" not in said and "#春" not in said


@pytest.mark.skipif(shutil.which("openssl") is None, reason="makes its certificate with openssl")
def test_https_checks_the_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = pages.self_signed(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pages.serve(tls=(cert, key)) as base:
        url = base + "/zenn/articles/small-cli"
        with pytest.raises(SourceError) as caught:
            read_any(url)  # signed by no one the system trusts
        assert str(caught.value) == f"TLS failed (CERTIFICATE_VERIFY_FAILED): {url}"
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # now trusted, as a company CA would be
        assert read_any(url).title == pages.ZENN_TITLE


def test_an_aozora_header_with_a_subtitle_and_a_translator(tmp_path: Path) -> None:
    path = tmp_path / "honyaku.txt"
    text = "海の物語\n――第一部――\n架空作家\n試験訳者訳\n\n　波が寄せる。\n\n底本：「本」\n入力：誰か\n校正：誰か\n"
    path.write_bytes(text.replace("\n", "\r\n").encode("cp932"))
    document = read_any(path)
    assert (document.title, document.author) == ("海の物語 ――第一部――", "架空作家")
    assert _said(document).endswith("波が寄せる。")


def test_a_page_comes_through_the_proxy_the_environment_names(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pages.serve_proxy() as (proxy, seen):
        monkeypatch.setenv("http_proxy", proxy)
        url = base + "/note/n1a2b3c"
        assert read_any(url).title == pages.NOTE_TITLE
        assert seen == [("GET", url, "")]  # the whole address, as a proxy is asked
        monkeypatch.setenv("no_proxy", "127.0.0.1")  # listed: straight to the site
        assert read_any(url).title == pages.NOTE_TITLE
        assert len(seen) == 1


def test_a_proxy_that_wants_a_password_gets_the_one_in_its_address(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pages.serve_proxy(password="Basic eWFtYWRhOnPDqWNyZXQ=") as (proxy, seen):
        url = base + "/zenn/articles/small-cli"
        monkeypatch.setenv("HTTP_PROXY", proxy.replace("//", "//yamada:s%C3%A9cret@"))
        assert read_any(url).title == pages.ZENN_TITLE  # user yamada, password sécret
        monkeypatch.setenv("HTTP_PROXY", proxy)
        with pytest.raises(SourceError) as caught:
            read_any(url)
        assert str(caught.value) == f"HTTP 407 Proxy Authentication Required: {url}"
    assert [auth for _, _, auth in seen] == ["Basic eWFtYWRhOnPDqWNyZXQ=", ""]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="makes its certificate with openssl")
def test_https_goes_through_the_proxy_in_a_tunnel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = pages.self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with pages.serve(tls=(cert, key)) as site, pages.serve_proxy() as (proxy, seen):
        monkeypatch.setenv("https_proxy", proxy)
        assert read_any(site + "/zenn/articles/small-cli").title == pages.ZENN_TITLE
        assert seen == [("CONNECT", site.removeprefix("https://"), "")]


def test_a_proxy_that_is_not_there_is_named_in_the_line(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = pages.closed_port()
    monkeypatch.setenv("http_proxy", f"127.0.0.1:{port}")  # no scheme, as people write it
    url = base + "/note/n1a2b3c"
    with pytest.raises(SourceError) as caught:
        read_any(url)
    assert str(caught.value) == f"connection refused: {url} (through the proxy 127.0.0.1:{port})"
    monkeypatch.setenv("http_proxy", "socks5://127.0.0.1:1080")
    with pytest.raises(SourceError) as caught:
        read_any(url)
    assert str(caught.value) == (
        "http_proxy is not a proxy's http:// address: socks5://127.0.0.1:1080"
    )
