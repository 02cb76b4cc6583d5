"""Feed URLs given to `add` (or `rebuild-index`/`inspect`): the feed is fetched, then the page of each entry, politely.

Politeness: a user agent naming the product; robots.txt read once per host with urllib.robotparser and obeyed (its
Crawl-delay too, up to MAX_CRAWL_DELAY); a delay between two requests to the same host; a timeout on every request;
at most MAX_PAGE_BYTES read of a response. Per RFC 9309 a robots.txt that answers 401/403 or cannot be reached
(5xx, network error) forbids the whole host; one that is missing (404) allows it.

Resumable: an entry whose article is already in the archive (`ReadOptions.known_id` of the id its link gives) is
not fetched again; it is counted as a duplicate. An entry whose page cannot be fetched (timeout, HTTP error, robots.txt)
is skipped with the reason, so the next `add` of the same feed tries it again.

The opener (urllib's by default), the clock and the sleep are injectable: tests serve feeds and pages from a local
HTTP server and check the delays without waiting for them.
"""

from __future__ import annotations

import datetime
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from archive import __version__
from archive.article import derive_article_id
from archive.extract.feeds import feed_records
from archive.extract.records import RawRecord, ReadOptions
from archive.extract.report import IngestReport, Skipped
from archive.extract.web import MAX_PAGE_BYTES, looks_like_html

ROBOT_NAME = "news-archive"
USER_AGENT = f"{ROBOT_NAME}/{__version__} (searchable archive of Arabic news; obeys robots.txt)"
DEFAULT_TIMEOUT = 20.0  # seconds for one request
DEFAULT_DELAY = 1.0  # seconds between two requests to the same host
MAX_CRAWL_DELAY = 30.0  # a robots.txt Crawl-delay above this is capped (a day-long delay would stall the add)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def is_url(text: str) -> bool:
    return urlsplit(str(text)).scheme in ("http", "https")


class FetchError(Exception):
    """A URL that could not be fetched; the message is the one-line reason, STATUS the HTTP status if one came."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class FetchResult:
    url: str  # after redirects
    status: int
    content_type: str
    charset: str | None
    body: bytes


def _default_opener(request: urllib.request.Request, timeout: float) -> Any:
    return urllib.request.urlopen(request, timeout=timeout)


class Fetcher:
    """A polite HTTP client (module docstring). One instance per run: it remembers robots.txt and request times."""

    def __init__(self, *, opener: Callable[[urllib.request.Request, float], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 timeout: float = DEFAULT_TIMEOUT, delay: float = DEFAULT_DELAY, user_agent: str = USER_AGENT,
                 max_bytes: int = MAX_PAGE_BYTES) -> None:
        self.opener = opener or _default_opener
        self.clock, self.sleep = clock, sleep
        self.timeout, self.delay, self.user_agent, self.max_bytes = timeout, delay, user_agent, max_bytes
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._robots_unread: dict[str, str] = {}  # host -> why its robots.txt could not be read
        self.requests: list[str] = []  # every URL requested, in order (robots.txt included)

    # ------------------------------------------------------------ plumbing

    @staticmethod
    def _host(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc.lower()}"

    def _wait_for(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            wait = self._delay_for(host) - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)

    def _delay_for(self, host: str) -> float:
        robots = self._robots.get(host)
        crawl_delay = robots.crawl_delay(ROBOT_NAME) if robots is not None else None
        return max(self.delay, min(float(crawl_delay or 0), MAX_CRAWL_DELAY))

    def _request(self, url: str) -> FetchResult:
        host = self._host(url)
        self._wait_for(host)
        self.requests.append(url)
        request = urllib.request.Request(url, headers={
            "User-Agent": self.user_agent, "Accept": "text/html,application/xhtml+xml,application/rss+xml,"
                                                     "application/atom+xml,application/xml;q=0.9,*/*;q=0.5"})
        try:
            with self.opener(request, self.timeout) as response:
                body = response.read(self.max_bytes + 1)
                status = getattr(response, "status", None) or response.getcode() or 200
                final = response.geturl() or url
                content_type = response.headers.get_content_type() if response.headers else ""
                charset = response.headers.get_content_charset() if response.headers else None
        except urllib.error.HTTPError as error:
            raise FetchError(f"HTTP {error.code} {error.reason or ''}".rstrip() + f" for {url}", error.code) from None
        except TimeoutError:
            raise FetchError(f"timed out after {self.timeout:g} s: {url}") from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, TimeoutError):
                raise FetchError(f"timed out after {self.timeout:g} s: {url}") from None
            raise FetchError(f"{' '.join(str(reason).split())}: {url}") from None
        except (OSError, ValueError) as error:
            raise FetchError(f"{' '.join(str(error).split()) or type(error).__name__}: {url}") from None
        finally:
            self._last_request[host] = self.clock()
        if len(body) > self.max_bytes:
            raise FetchError(f"too large: over {self.max_bytes // (1024 * 1024)} MB at {url}")
        return FetchResult(url=final, status=status, content_type=content_type, charset=charset, body=body)

    # ------------------------------------------------------------ robots.txt

    def robots(self, url: str) -> urllib.robotparser.RobotFileParser:
        host = self._host(url)
        if host in self._robots:
            return self._robots[host]
        parser = urllib.robotparser.RobotFileParser(host + "/robots.txt")
        try:
            found = self._request(host + "/robots.txt")
            parser.parse(found.body.decode("utf-8", errors="replace").splitlines())
        except FetchError as error:
            if error.status is not None and 400 <= error.status < 500 and error.status not in (401, 403):
                parser.parse([])  # no robots.txt: everything is allowed
            else:
                parser.parse(["User-agent: *", "Disallow: /"])  # forbidden or unreachable: all is (RFC 9309)
                self._robots_unread[host] = str(error)
        self._robots[host] = parser
        return parser

    def allowed(self, url: str) -> bool:
        return self.robots(url).can_fetch(ROBOT_NAME, url)

    # ------------------------------------------------------------ the one public fetch

    def get(self, url: str) -> FetchResult:
        """The response to URL, robots.txt obeyed for it and for where it redirects; FetchError otherwise."""
        if not self.allowed(url):
            unread = self._robots_unread.get(self._host(url))
            if unread:
                raise FetchError(f"robots.txt could not be read, so the site is not crawled ({unread})")
            raise FetchError(f"robots.txt forbids {url}")
        result = self._request(url)
        if result.url != url and not self.allowed(result.url):
            raise FetchError(f"robots.txt forbids {result.url} (redirected from {url})")
        return result


def read_feed_url(url: str, report: IngestReport, options: ReadOptions) -> Iterator[RawRecord]:
    """The entries of the feed at URL, each with its page fetched for build_article to read (module docstring)."""
    fetcher = options.fetcher if options.fetcher is not None else Fetcher()
    try:
        feed = fetcher.get(url)
    except FetchError as error:
        report.read += 1
        report.skipped.append(Skipped(url, f"not fetched: {error}"))
        return
    for raw in feed_records(feed.body, url, report, options):
        if raw.url is None:
            yield raw  # an entry without a link: its own text is all there is
            continue
        if options.known_id is not None and options.known_id(derive_article_id(None, raw.url, "", "")):
            report.duplicates += 1  # already in the archive: not fetched again
            continue
        try:
            page = fetcher.get(raw.url)
        except FetchError as error:
            report.skipped.append(Skipped(raw.origin, f"not fetched: {error}"))
            continue
        if page.content_type not in _HTML_TYPES and not looks_like_html(page.body):
            report.skipped.append(Skipped(raw.origin, f"not HTML: {page.content_type or 'no content type'} "
                                                      f"for {page.url}"))
            continue
        raw.html, raw.charset = page.body, page.charset
        raw.captured = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        if page.url != raw.url:
            raw.url = page.url
            raw.provenance = {**(raw.provenance or {}), "url": "redirect"}
        yield raw
