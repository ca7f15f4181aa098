"""Web pages and an Aozora Bunko text written for the tests, and a local server for them.

The markup imitates the shape of note, Zenn and Hatena Blog articles (their kind
of class names, chrome and boxes) with text written here; nothing is copied
from a real page. Every page has headings, chrome, code, ruby and comments.
Words that must never be spoken carry a marker (NAV, LIKE, ...) in CHROME so a
test can look for each; ARTICLE lists sentences that must be spoken.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import select
import socket
import ssl
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# Texts of page chrome: none may reach the script.
CHROME = {
    "nav": "カテゴリ一覧へ移動",
    "like": "スキを送る",
    "follow": "フォローする",
    "share": "この記事をシェアする",
    "support": "記事をサポートしてチップを贈る",
    "comment": "とても参考になりました、ありがとうございます",
    "related": "関連記事の見出しテキスト",
    "ad": "スポンサーリンク",
    "tags": "#散歩日和",
    "profile": "都内在住のエンジニアです。週末は写真を撮っています",
    "footer": "利用規約とプライバシーポリシー",
    "toc": "目次に並ぶ見出し",
    "code": "print_hello_world",
    "alt": "海辺に立つ白い灯台の写真",
    "caption": "図一 灯台の全景",
}

NOTE_TITLE = "朝の散歩で見つけた欅の並木道"
NOTE_SITE = "てくてく帳"
NOTE_PAGE = f"""<!DOCTYPE html>
<html lang="ja"><head>
<meta charset="utf-8">
<title>{NOTE_TITLE}｜{NOTE_SITE}</title>
<meta property="og:title" content="{NOTE_TITLE}｜{NOTE_SITE}">
<meta property="og:site_name" content="{NOTE_SITE}">
<meta name="author" content="散歩好きの山田">
</head><body>
<header class="o-header"><nav class="o-navbar"><a href="/">ホーム</a> <a href="/c">{CHROME["nav"]}</a></nav></header>
<main class="o-main">
<article class="o-noteContent">
  <figure class="o-noteEyecatch"><img src="/eye.jpg" alt="{CHROME["alt"]}"><figcaption>{CHROME["caption"]}</figcaption></figure>
  <h1 class="o-noteContentHeader__title">{NOTE_TITLE}</h1>
  <div class="o-noteContentHeader__info"><a class="o-noteContentHeader__name" href="/u">散歩好きの山田</a>
    <button class="a-button o-followButton">{CHROME["follow"]}</button></div>
  <div class="note-common-styles__textnote-body" data-name="body">
    <p>毎朝六時に家を出て、近所の公園まで歩くことにしています。今朝はいつもと違う道を選び、大きな<ruby>欅<rp>（</rp><rt>けやき</rt><rp>）</rp></ruby>の並木道に出ました。</p>
    <p>枝の間から差し込む光がとてもきれいで、しばらく立ち止まって見上げていました。</p>
    <h2>並木道の歴史</h2>
    <p>案内板によると、この欅は七十年ほど前に植えられたそうです。戦後の街づくりの中で、日陰を作るために選ばれた木だと書かれていました。</p>
    <ul><li>植えられたのは七十年ほど前</li><li>全部で四十二本</li><li>秋には葉が黄色く色づく</li></ul>
    <pre class="code"><code>def {CHROME["code"]}():\n    print("hello")</code></pre>
    <h2>歩いてみて感じたこと</h2>
    <p>同じ街に住んでいても、知らない道はまだたくさんあります。明日はさらに別の道を歩いてみるつもりです。</p>
    <p>皆さんも、いつもと違う角を曲がってみてはいかがでしょうか。</p>
  </div>
  <div class="o-noteContentFooter">
    <div class="m-likeButton"><button class="o-noteLikeV3">{CHROME["like"]}</button> 128</div>
    <div class="o-shareButtons">{CHROME["share"]}</div>
    <div class="o-hashtagList"><a class="a-tag" href="/hashtag/sanpo">{CHROME["tags"]}</a></div>
    <section class="o-noteSupport"><h3>{CHROME["support"]}</h3><p>応援していただけると励みになります。</p></section>
    <section class="o-creatorProfile"><p>{CHROME["profile"]}</p></section>
  </div>
  <section class="o-commentArea" id="comments"><h2>コメント</h2>
    <div class="o-commentAreaList__item"><p>{CHROME["comment"]}</p></div></section>
  <section class="o-relatedNotes"><h2>こちらもおすすめ</h2><ul><li><a href="/n2">{CHROME["related"]}</a></li></ul></section>
</article>
</main>
<footer class="o-footer"><p>{CHROME["footer"]}</p></footer>
</body></html>
"""
NOTE_SPOKEN = (
    "毎朝六時に家を出て、近所の公園まで歩くことにしています。",
    "案内板によると、この欅は七十年ほど前に植えられたそうです。",
    "全部で四十二本",
    "明日はさらに別の道を歩いてみるつもりです。",
)
NOTE_SECTIONS = ("並木道の歴史", "歩いてみて感じたこと")

ZENN_TITLE = "小さなCLIを作って学んだ三つのこと"
ZENN_SITE = "ゼン風テック"
ZENN_PAGE = f"""<!DOCTYPE html>
<html lang="ja"><head>
<meta charset="UTF-8">
<title>{ZENN_TITLE}</title>
<meta property="og:title" content="{ZENN_TITLE}">
<meta property="og:site_name" content="{ZENN_SITE}">
</head><body>
<header class="Header_container"><a href="/">{ZENN_SITE}</a> <nav><a href="/topics">{CHROME["nav"]}</a></nav></header>
<div class="View_container">
<article class="ArticleMain">
  <header class="ArticleHeader"><h1 class="ArticleHeader_title">{ZENN_TITLE}</h1>
    <div class="ArticleHeader_topics"><a class="TopicLink" href="/t">{CHROME["tags"]}</a></div></header>
  <aside class="ArticleSidebar"><div class="TableOfContents toc"><p>{CHROME["toc"]}</p></div>
    <div class="LikeButton_container"><button>{CHROME["like"]}</button></div></aside>
  <section class="znc BodyContent">
    <p>週末に、ファイルの中の単語を数える小さなコマンドを作りました。作りながら気づいたことを三つにまとめます。</p>
    <h2 id="h1">引数の扱いは最初に決める</h2>
    <p>後から引数を増やすと、使い方の説明がすぐに古くなります。最初に全部の使い方を書き出してから作り始めるのがおすすめです。</p>
    <div class="code-block-container"><pre><code class="language-python">import sys\nargs = sys.argv  # {CHROME["code"]}</code></pre></div>
    <h2 id="h2">エラーは一行で伝える</h2>
    <p>長いエラー表示は読まれません。何がどこで起きたのかを一行で伝えると、使う人がすぐに直せます。<ruby>冪等<rt>べきとう</rt></ruby>な処理にしておくと、やり直しも簡単です。</p>
    <h3>具体例</h3>
    <p>ファイルが見つからないときは、そのファイル名だけを示します。冪等であることも説明に書きました。</p>
    <h2 id="h3">テストは本物で</h2>
    <p>偽物のファイルではなく、実際に書き出したファイルで試すと、思わぬ違いに気づけます。</p>
    <blockquote>小さく作って、早く使ってみる。それが一番の近道でした。</blockquote>
    <table><thead><tr><th>作業</th><th>かかった時間</th></tr></thead>
      <tbody><tr><td>設計</td><td>二時間</td></tr><tr><td>実装</td><td>五時間</td></tr></tbody></table>
  </section>
  <div class="ArticleFooter"><div class="SocialButtons share">{CHROME["share"]}</div>
    <div class="AuthorProfile profile"><p>{CHROME["profile"]}</p><button class="FollowButton">{CHROME["follow"]}</button></div>
    <div class="Support_box"><p>{CHROME["support"]}</p></div></div>
  <section class="Comments_container" id="discussion"><h2>ディスカッション</h2><div class="Comment"><p>{CHROME["comment"]}</p></div></section>
</article>
<section class="RelatedArticles"><h2>関連する記事</h2><a href="/a">{CHROME["related"]}</a></section>
</div>
<footer class="Footer_container"><p>{CHROME["footer"]}</p></footer>
</body></html>
"""
ZENN_SPOKEN = (
    "週末に、ファイルの中の単語を数える小さなコマンドを作りました。",
    "長いエラー表示は読まれません。",
    "偽物のファイルではなく、実際に書き出したファイルで試すと、思わぬ違いに気づけます。",
    "小さく作って、早く使ってみる。それが一番の近道でした。",  # a quote
    "設計、二時間\n実装、五時間",  # table rows, cells joined with 、
)
ZENN_SECTIONS = ("引数の扱いは最初に決める", "エラーは一行で伝える", "テストは本物で")

HATENA_TITLE = "灯台めぐりの旅 三日目"
HATENA_SITE = "灯台と港の日記"
HATENA_PAGE = f"""<!DOCTYPE html>
<html lang="ja"><head>
<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">
<title>{HATENA_TITLE} - {HATENA_SITE}</title>
<meta property="og:title" content="{HATENA_TITLE} - {HATENA_SITE}">
<meta property="og:site_name" content="{HATENA_SITE}">
</head><body>
<div id="globalheader-container"><nav>{CHROME["nav"]}</nav></div>
<div id="container"><div id="content">
<div id="main"><div id="main-inner">
<article class="entry hentry">
  <header class="entry-header"><h1 class="entry-title"><a href="/entry/1">{HATENA_TITLE}</a></h1>
    <div class="entry-categories categories"><a class="entry-category-link">{CHROME["tags"]}</a></div></header>
  <div class="entry-content hatenablog-entry">
    <div class="sentry-ad"><p>{CHROME["ad"]}</p></div>
    <ul class="table-of-contents"><li><a href="#a">{CHROME["toc"]}</a></li></ul>
    <p>三日目は、岬の先にある古い灯台を訪ねました。港から坂道を三十分ほど登ると、白い塔が見えてきます。</p>
    <h3 id="a">灯台の中へ</h3>
    <p>この灯台は明治の終わりに建てられ、今も船の目印として光を放っています。<ruby>螺旋<rt>らせん</rt></ruby>階段を上ると、海が一面に広がっていました。</p>
    <p><img src="/f/tower.jpg" alt="{CHROME["alt"]}"></p>
    <pre class="code">{CHROME["code"]}</pre>
    <h3>港の食堂で</h3>
    <p>帰り道、港の食堂で焼き魚の定食を食べました。店の人が、灯台の灯りは二十キロ先まで届くと教えてくれました。</p>
    <p>螺旋階段の話をすると、子どもの頃によく上ったと笑っていました。</p>
  </div>
  <footer class="entry-footer">
    <div class="hatena-star-container">{CHROME["like"]}</div>
    <div class="entry-share-button"><a>{CHROME["share"]}</a></div>
    <div class="related-entries"><h2>関連記事</h2><p>{CHROME["related"]}</p></div>
    <div class="comment-box"><ul class="comment"><li><p>{CHROME["comment"]}</p></li></ul></div>
  </footer>
</article>
</div></div>
<aside id="box2"><div class="hatena-module hatena-module-profile"><p>{CHROME["profile"]}</p><a class="hatena-follow-button">{CHROME["follow"]}</a></div></aside>
</div></div>
<footer id="footer"><p>{CHROME["footer"]}</p><p>{CHROME["support"]}</p></footer>
</body></html>
"""
HATENA_SPOKEN = (
    "三日目は、岬の先にある古い灯台を訪ねました。",
    "この灯台は明治の終わりに建てられ、今も船の目印として光を放っています。",
    "帰り道、港の食堂で焼き魚の定食を食べました。",
)
HATENA_SECTIONS = ("灯台の中へ", "港の食堂で")

# A diary in EUC-JP that says nowhere which charset it is: only detection can tell.
DIARY_TITLE = "雨の日の図書館"
DIARY_PAGE = f"""<html><head><title>{DIARY_TITLE}</title></head><body>
<div class="menu">{CHROME["nav"]}</div>
<div class="day"><h1>{DIARY_TITLE}</h1>
<div class="body">
<p>朝から雨が降っていたので、駅前の図書館で一日を過ごしました。窓際の席は人気があって、開館と同時に埋まってしまいます。</p>
<h2>借りた本</h2>
<p>旅の<ruby>随筆<rt>ずいひつ</rt></ruby>を二冊と、料理の本を一冊借りました。随筆の一冊は、五十年前に書かれたものですが、今読んでも新しく感じられます。料理の本には、雨の日にぴったりの温かいスープの作り方が載っていました。</p>
<h2>帰り道</h2>
<p>夕方には雨が上がり、水たまりに街の灯りが映っていました。ゆっくり歩いて帰りました。明日は借りた本を読みながら、スープを作ってみようと思います。</p>
<pre>{CHROME["code"]}</pre>
</div>
<div class="comment"><p>{CHROME["comment"]}</p></div>
</div></body></html>
"""
DIARY_SPOKEN = ("朝から雨が降っていたので、駅前の図書館で一日を過ごしました。",)

# A page with links and chrome but no article.
EMPTY_PAGE = f"""<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>トップ</title></head>
<body><header><nav>{CHROME["nav"]}</nav></header>
<ul class="menu"><li><a href="/a">新着</a></li><li><a href="/b">人気</a></li></ul>
<footer>{CHROME["footer"]}</footer></body></html>
"""

AOZORA_TITLE = "灯台守の話"
AOZORA_AUTHOR = "海野灯子"
# Aozora Bunko's layout: header, symbols block, body with 見出し and ruby, colophon.
AOZORA_TEXT = f"""{AOZORA_TITLE}
{AOZORA_AUTHOR}

-------------------------------------------------------
【テキスト中に現れる記号について】

《》：ルビ
（例）灯台《とうだい》

｜：ルビの付く文字列の始まりを特定する記号
（例）古い｜桟橋《さんばし》

［＃］：入力者注　主に外字の説明や、傍点の位置の指定
-------------------------------------------------------

［＃３字下げ］一［＃「一」は中見出し］

　岬の先に、小さな灯台《とうだい》がありました。灯台の下には古い｜桟橋《さんばし》があり、毎朝漁師たちが舟を出します。
　灯台守の老人は、毎晩灯りをともし、朝になると消しました。［＃「消しました」に傍点］

［＃３字下げ］二［＃「二」は中見出し］

　ある冬の夜、嵐が来ました。老人は一晩中、灯台の灯りを守り続けました。
　夜が明けると、桟橋には無事に戻った舟が並んでいました。


底本：「海辺の物語集」架空書房
　　　1999（平成11）年4月1日第1刷発行
入力：試験入力者
校正：試験校正者
2024年1月1日作成
青空文庫作成ファイル：
このファイルは、インターネットの図書館、青空文庫で作られました。入力、校正、制作にあたったのは、ボランティアの皆さんです。
"""
AOZORA_NEVER = (
    "テキスト中に現れる記号",
    "ルビの付く文字列",
    "底本",
    "入力者",
    "試験校正者",
    "ボランティア",
    "傍点",
    "［＃",
    "《",
    "｜",
)
AOZORA_BYTES = AOZORA_TEXT.replace("\n", "\r\n").encode("cp932")

# The same work as Aozora Bunko's XHTML card shows it: Shift_JIS declared in <?xml?>
# and <meta>, ruby as <rb>/<rp>/<rt>, 見出し as h3 classes, the colophon and notes
# outside div.main_text.
AOZORA_CARD = f"""<?xml version="1.0" encoding="Shift_JIS"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="ja">
<head>
<meta http-equiv="Content-Type" content="text/html;charset=Shift_JIS" />
<title>{AOZORA_AUTHOR} {AOZORA_TITLE}</title>
<meta name="DC.Title" content="{AOZORA_TITLE}" />
<meta name="DC.Creator" content="{AOZORA_AUTHOR}" />
<meta name="DC.Publisher" content="青空文庫" />
</head>
<body>
<div class="metadata">
<h1 class="title">{AOZORA_TITLE}</h1>
<h2 class="author">{AOZORA_AUTHOR}</h2>
<br /><br />
</div>
<div id="contents" style="display:none"></div><div class="main_text"><br />
<h3 class="naka-midashi"><a class="midashi_anchor" id="midashi10">一</a></h3>
<br />
<div class="jisage_1" style="margin-left: 1em">　岬の先に、小さな<ruby><rb>灯台</rb><rp>（</rp><rt>とうだい</rt><rp>）</rp></ruby>がありました。灯台の下には古い<ruby><rb>桟橋</rb><rp>（</rp><rt>さんばし</rt><rp>）</rp></ruby>があり、毎朝漁師たちが舟を出します。<br /></div>
　灯台守の老人は、毎晩灯りをともし、朝になると<em class="sesame_dot">消しました</em>。<br />
<br />
<h3 class="naka-midashi"><a class="midashi_anchor" id="midashi20">二</a></h3>
<br />
　ある冬の夜、嵐が来ました。老人は一晩中、灯台の灯りを守り続けました。<br />
　夜が明けると、桟橋には無事に戻った舟が並んでいました。<br />
</div>
<div class="bibliographical_information">
<hr /><br />
底本：「海辺の物語集」架空書房<br />
入力：試験入力者<br />
校正：試験校正者<br />
青空文庫作成ファイル：<br />
このファイルは、インターネットの図書館、青空文庫で作られました。入力、校正、制作にあたったのは、ボランティアの皆さんです。<br />
</div>
<div class="notation_notes">
<hr /><br />
●表記について<br />
<ul><li>このファイルは W3C 勧告 XHTML1.1 にそった形式で作成されています。</li></ul>
</div>
</body>
</html>
"""
AOZORA_CARD_NEVER = (*AOZORA_NEVER, "表記について", "XHTML", "青空文庫", "（", "）")


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


AOZORA_ZIP = _zipped("toudaimori.txt", AOZORA_BYTES)  # as Aozora Bunko hands it out

BIG_BYTES = 300_000  # served by /huge; the tests lower fetch.MAX_BYTES below it
SLOW_S = 2.0  # /slow answers after this; the tests lower the timeout below it
TRICKLE_S = 0.05  # /trickle sends a byte this often


@dataclass(frozen=True)
class Route:
    status: int
    content_type: str
    body: bytes
    location: str | None = None


ROUTES = {
    "/note/n1a2b3c": Route(200, "text/html; charset=utf-8", NOTE_PAGE.encode("utf-8")),
    "/zenn/articles/small-cli": Route(200, "text/html; charset=UTF-8", ZENN_PAGE.encode("utf-8")),
    # The charset only in the page's own <meta http-equiv>.
    "/hatena/entry/2024/05/03/toudai": Route(200, "text/html", HATENA_PAGE.encode("cp932")),
    "/diary/rain": Route(200, "text/html", DIARY_PAGE.encode("euc_jp")),
    # A header that says UTF-8 over Shift_JIS bytes: the page's own <meta> is right.
    "/hatena/lying-header": Route(200, "text/html; charset=utf-8", HATENA_PAGE.encode("cp932")),
    "/aozora/toudaimori.txt": Route(200, "text/plain", AOZORA_BYTES),
    "/aozora/cards/toudaimori.html": Route(200, "text/html", AOZORA_CARD.encode("cp932")),
    "/aozora/files/12345_ruby_67890.zip": Route(200, "application/zip", AOZORA_ZIP),
    "/dl/12345_ruby_67890.zip": Route(200, "application/octet-stream", AOZORA_ZIP),
    "/notes/ruby.md": Route(
        200,
        "text/plain; charset=utf-8",
        "# 港の話\n\n## 朝\n\n古い｜桟橋《さんばし》を渡る。\n\n```\ncode_in_fence\n```\n".encode(),
    ),
    "/empty": Route(200, "text/html; charset=utf-8", EMPTY_PAGE.encode("utf-8")),
    "/old-note": Route(301, "text/html", b"", location="/note/n1a2b3c"),
    "/missing": Route(404, "text/html", b"<h1>Not Found</h1>"),
    "/broken": Route(500, "text/html", b"<h1>oops</h1>"),
    "/photo.png": Route(200, "image/png", b"\x89PNG\r\n\x1a\n" + bytes(64)),
    "/photo": Route(200, "text/plain", b"\x89PNG\r\n\x1a\n" + bytes(64)),  # mislabelled
    "/huge": Route(200, "text/html", b"<html><body><p>" + b"a" * BIG_BYTES + b"</p></body></html>"),
}


class _Handler(BaseHTTPRequestHandler):
    agents: list[str] = []  # noqa: RUF012 - the User-Agent of every request, for the tests

    def do_GET(self) -> None:
        self.agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/trickle":
            self._trickle()
            return
        if self.path.startswith("/loop"):  # redirects without end
            self.send_response(302)
            self.send_header("Location", f"/loop{len(self.path)}")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(SLOW_S)
        route = ROUTES.get(self.path, Route(404, "text/plain", b"no such page"))
        if self.path == "/slow":
            route = ROUTES["/note/n1a2b3c"]
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        if route.location:
            self.send_header("Location", route.location)
        self.end_headers()
        # the client may give up (the size limit), as a browser would
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(route.body)

    def _trickle(self) -> None:
        """A page that comes a byte every TRICKLE_S: each read is answered, the whole never."""
        body = NOTE_PAGE.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for byte in body:  # until the client gives up
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(TRICKLE_S)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output clean


@contextmanager
def serve(tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Serve ROUTES on 127.0.0.1 (a free port) in a thread; yields the base URL.
    With `tls` (certificate, key) it is https."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no one has signed, and its key (by openssl)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _ProxyHandler(BaseHTTPRequestHandler):
    """A forward proxy as a company network has one: GET of a whole address for http,
    CONNECT for https (a tunnel of bytes it cannot read). It writes down what it was asked."""

    seen: list[tuple[str, str, str]]  # (method, target, Proxy-Authorization), set per server
    password: str | None  # Basic credentials it asks for, None: anyone may use it

    def _allowed(self) -> bool:
        auth = self.headers.get("Proxy-Authorization", "")
        self.seen.append((self.command, self.path, auth))
        if self.password is None or auth == self.password:
            return True
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="proxy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_GET(self) -> None:
        if not self._allowed():
            return
        parts = urlsplit(self.path)
        upstream = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        upstream.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        reply = upstream.getresponse()
        body = reply.read()
        self.send_response(reply.status)
        for name in ("Content-Type", "Location"):
            if reply.headers.get(name):
                self.send_header(name, reply.headers[name])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        upstream.close()

    def do_CONNECT(self) -> None:
        if not self._allowed():
            return
        host, _, port = self.path.rpartition(":")
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.send_response(200, "Connection established")
            self.end_headers()
            ends = [self.connection, upstream]
            while True:
                ready, _, _ = select.select(ends, [], [], 10)
                if not ready:
                    return
                for end in ready:
                    data = end.recv(65536)
                    if not data:
                        return
                    (upstream if end is self.connection else self.connection).sendall(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_proxy(password: str | None = None) -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    """A proxy on 127.0.0.1: yields its address and the list of what it was asked."""
    seen: list[tuple[str, str, str]] = []
    handler = type("Proxy", (_ProxyHandler,), {"seen": seen, "password": password})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
