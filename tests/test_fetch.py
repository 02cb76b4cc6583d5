"""`add FEED_URL`: the feed and its entries' pages fetched politely — robots.txt obeyed, a user agent naming the
product, a timeout, a delay between requests to one host — and resumably: entries already in the archive are not
fetched again. A local HTTP server on 127.0.0.1 serves saved feeds and pages (a slow page, a 404, a redirect, a path
robots.txt forbids, an image); nothing goes to the network."""

from __future__ import annotations

import html
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive.extract.fetch import USER_AGENT, Fetcher, FetchError
from archive.extract.records import ReadOptions
from archive.index.writer import add_to_index, rebuild_index
from archive.search.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

STORIES = {
    "1": ("ماكرون يستقبل فيصل بن فرحان في الإليزيه لبحث التصعيد في المنطقة",
          "باريس - استقبل الرئيس الفرنسي إيمانويل ماكرون وزير الخارجية السعودي فيصل بن فرحان في قصر الإليزيه، "
          "وبحث الجانبان سبل خفض التصعيد في المنطقة وإيصال المساعدات الإنسانية إلى المدنيين."),
    "2": ("غوتيريش يدعو إلى مضاعفة تمويل مواجهة الجفاف في منطقة الساحل",
          "نيويورك - دعا الأمين العام للأمم المتحدة أنطونيو غوتيريش الدول المانحة إلى مضاعفة تمويل برامج مواجهة "
          "الجفاف في منطقة الساحل، محذرا من أن ملايين الأشخاص مهددون بانعدام الأمن الغذائي."),
}


def news_page(base: str, number: str) -> bytes:
    title, story = STORIES[number]
    url = f"{base}/news/{number}.html"
    return (f'<!DOCTYPE html><html lang="ar"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'<link rel="canonical" href="{url}"><meta property="article:published_time" content="2024-03-0{number}">'
            f'</head><body><nav><a href="/">الرئيسية</a> <a href="/world">العالم</a></nav><article>'
            f'<h1>{html.escape(title)}</h1><p>{html.escape(story)}</p></article>'
            f'<footer>جميع الحقوق محفوظة</footer></body></html>').encode()


def feed(base: str, paths: list[str]) -> bytes:
    items = "".join(f"<item><title>خبر {n}</title><link>{base}{path}</link>"
                    f"<pubDate>Tue, 0{n % 9 + 1} Mar 2024 10:00:00 +0300</pubDate>"
                    f"<description>ملخص الخبر رقم {n} كما ينشره الموقع في خلاصته</description></item>"
                    for n, path in enumerate(paths, start=1))
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>موقع الأخبار المحلي</title>"
            f"<link>{base}/</link>{items}</channel></rss>").encode()


FEED_PATHS = ["/news/1.html", "/old/2", "/news/missing.html", "/news/slow.html", "/private/4.html", "/news/photo"]


class Site:
    """The routes of the local server, and a log of every request (path, user agent)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []
        self.base = ""

    def respond(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"
        if path == "/feeds/news.rss":
            return 200, {"Content-Type": "application/rss+xml"}, feed(self.base, FEED_PATHS)
        if path == "/feeds/small.rss":
            return 200, {"Content-Type": "application/rss+xml"}, feed(self.base, ["/news/1.html"])
        if path.startswith("/news/") and path.removeprefix("/news/").removesuffix(".html") in STORIES:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, news_page(
                self.base, path.removeprefix("/news/").removesuffix(".html"))
        if path == "/old/2":
            return 301, {"Location": f"{self.base}/news/2.html"}, b""
        if path == "/news/slow.html":
            time.sleep(2.5)
            return 200, {"Content-Type": "text/html"}, b"<html><body><p>too late</p></body></html>"
        if path == "/news/photo":
            return 200, {"Content-Type": "image/jpeg"}, b"\xff\xd8\xff" + bytes(100)
        return 404, {"Content-Type": "text/html"}, b"<html><body>not found</body></html>"


@pytest.fixture
def site() -> Iterator[Site]:
    routes = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            routes.log.append((self.path, self.headers.get("User-Agent", "")))
            status, headers, body = routes.respond(self.path)
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the slow page's timeout)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    routes.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield routes
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def seed_index(tmp_path: Path) -> Path:
    index = tmp_path / "index"
    rebuild_index([SEEDS], index, workers=1)
    return index


def quick_fetcher() -> Fetcher:
    return Fetcher(timeout=1.0, delay=0.05)


def requested(site: Site) -> list[str]:
    return [path for path, _ in site.log]


@pytest.mark.timeout(60)
def test_add_feed_url_fetches_each_entrys_page_politely_and_reports_what_it_could_not(
        site: Site, seed_index: Path) -> None:
    summary = add_to_index([f"{site.base}/feeds/news.rss"], seed_index, options=ReadOptions(fetcher=quick_fetcher()))
    assert summary.indexed == 2
    reasons = {s.origin.rsplit(":#", 1)[1]: s.reason for s in summary.skipped}
    assert reasons["3"].startswith("not fetched: HTTP 404")
    assert reasons["4"] == f"not fetched: timed out after 1 s: {site.base}/news/slow.html"
    assert reasons["5"] == f"not fetched: robots.txt forbids {site.base}/private/4.html"
    assert reasons["6"] == f"not HTML: image/jpeg for {site.base}/news/photo"
    paths = requested(site)
    assert "/private/4.html" not in paths and paths.count("/robots.txt") == 1 and paths[0] == "/robots.txt"
    assert {agent for _, agent in site.log} == {USER_AGENT} and USER_AGENT.startswith("news-archive/")
    with Archive.open(seed_index) as archive:
        found = {hit.title: hit for hit in archive.search("", limit=50).hits}
        assert {title for title, _ in STORIES.values()} <= set(found)
        redirected = archive.get(found[STORIES["2"][0]].id)
        assert redirected is not None and redirected.url == f"{site.base}/news/2.html"  # where the redirect led
        assert redirected.persons == ["أنطونيو غوتيريش"] and redirected.date_iso == "2024-03-02"


@pytest.mark.timeout(60)
def test_adding_the_same_feed_again_does_not_fetch_the_pages_already_in_the_archive(
        site: Site, seed_index: Path) -> None:
    url = f"{site.base}/feeds/news.rss"
    add_to_index([url], seed_index, options=ReadOptions(fetcher=quick_fetcher()))
    site.log.clear()
    again = add_to_index([url], seed_index, options=ReadOptions(fetcher=quick_fetcher()))
    paths = requested(site)
    assert "/news/1.html" not in paths  # already in the archive
    assert "/news/missing.html" in paths  # skipped last time: tried again
    assert again.duplicates == 1  # entry 1, known by its link
    # entry 2's feed link (/old/2) redirects to the URL its article is filed under (/news/2.html): the link alone
    # does not tell it is already there, so it is fetched again and updated in place, never added twice
    assert "/old/2" in paths and (again.indexed, again.updated) == (1, 1)
    with Archive.open(seed_index) as archive:
        assert archive.search("", limit=50).total == 5 + 2


def test_the_delay_between_requests_to_one_host_and_robots_crawl_delay_are_kept() -> None:
    now = [100.0]
    slept: list[float] = []
    requests: list[str] = []

    class Response:
        def __init__(self, url: str, body: bytes) -> None:
            self.url, self.body, self.status = url, body, 200
            self.headers = Message()
            self.headers["Content-Type"] = "text/plain" if url.endswith("robots.txt") else "text/html"

        def read(self, limit: int = -1) -> bytes:
            return self.body

        def geturl(self) -> str:
            return self.url

        def getcode(self) -> int:
            return 200

        def __enter__(self) -> Response:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

    def opener(request: urllib.request.Request, timeout: float) -> Response:
        requests.append(request.full_url)
        now[0] += 0.2  # each request takes 0.2 s
        if request.full_url == "https://slow-site.example/robots.txt":
            return Response(request.full_url, b"User-agent: *\nCrawl-delay: 5\n")
        if request.full_url.endswith("robots.txt"):
            raise urllib.error.HTTPError(request.full_url, 404, "Not Found", Message(), None)
        return Response(request.full_url, b"<html></html>")

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 2))
        now[0] += seconds

    fetcher = Fetcher(opener=opener, clock=lambda: now[0], sleep=sleep, delay=2.0)
    fetcher.get("https://news.example/a")  # robots.txt (404: all allowed), then the page after the delay
    fetcher.get("https://news.example/b")
    fetcher.get("https://other.example/c")  # another host: its own robots.txt, no wait for the first host
    fetcher.get("https://slow-site.example/d")
    fetcher.get("https://slow-site.example/e")
    assert requests == ["https://news.example/robots.txt", "https://news.example/a", "https://news.example/b",
                        "https://other.example/robots.txt", "https://other.example/c",
                        "https://slow-site.example/robots.txt", "https://slow-site.example/d",
                        "https://slow-site.example/e"]
    # 2 s from the end of one response to the next request to that host (robots.txt's included); 5 s where
    # robots.txt asks for it; none before the first request to a host
    assert slept == [2.0, 2.0, 2.0, 5.0, 5.0]


def test_robots_txt_that_cannot_be_read_forbids_the_host_and_a_missing_one_allows_it() -> None:
    def opener(request: urllib.request.Request, timeout: float) -> object:
        if "down.example" in request.full_url:
            raise urllib.error.HTTPError(request.full_url, 503, "Unavailable", Message(), None)
        if "locked.example" in request.full_url:
            raise urllib.error.HTTPError(request.full_url, 403, "Forbidden", Message(), None)
        raise urllib.error.URLError(TimeoutError("timed out"))

    fetcher = Fetcher(opener=opener, sleep=lambda s: None, delay=0)
    for host, status in (("down.example", "503"), ("locked.example", "403")):
        with pytest.raises(FetchError, match=f"robots.txt could not be read.*HTTP {status}"):
            fetcher.get(f"https://{host}/page")
    with pytest.raises(FetchError, match=r"robots.txt could not be read.*timed out"):
        fetcher.get("https://unreachable.example/page")  # no answer at all: not crawled either (RFC 9309)


@pytest.mark.timeout(90)
def test_command_line_add_of_a_feed_url_prints_the_summary(site: Site, seed_index: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "archive", "add", f"{site.base}/feeds/small.rss",
                           "--index", str(seed_index)], cwd=ROOT, capture_output=True, text=True, timeout=80)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("added 1 article (0 updated in place), skipped 0, 0 duplicates")
    unreachable = subprocess.run([sys.executable, "-m", "archive", "add", "http://127.0.0.1:9/feed.rss",
                                  "--index", str(seed_index)], cwd=ROOT, capture_output=True, text=True, timeout=80)
    assert unreachable.returncode == 0
    assert "skipped http://127.0.0.1:9/feed.rss: not fetched:" in unreachable.stderr
