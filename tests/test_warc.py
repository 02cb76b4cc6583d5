"""Web archives: WARC files written with warcio (the library crawlers use) and ARC files are read record by record.
Every 200 HTML response becomes an article with its target URI and capture date; revisits, non-200 responses and
non-HTML payloads are skipped with a reason; a URL or payload met twice is a duplicate; a file of hundreds of MB
is streamed in flat memory."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from web_pages import LAYOUTS, page_bytes

from archive.article import Article
from archive.extract.ingest import iter_articles
from archive.extract.readers import estimate_records
from archive.extract.records import ReadOptions
from archive.extract.report import IngestReport
from archive.extract.sources import canonical_source

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "web"
AAWSAT = "https://aawsat.com/العالم-العربي/4891234-ماكرون-وفيصل-بن-فرحان"
HESPRESS = "https://www.hespress.com/international/guterres-sahel.html"
ALJAZEERA = "https://www.aljazeera.net/news/2024/2/7/blinken-talks"
REASONS = {404: "Not Found", 200: "OK", 301: "Moved Permanently"}


class Archive:
    """A WARC being written, record by record, as a crawler would."""

    def __init__(self, stream: io.BufferedIOBase, gzip_records: bool) -> None:
        self.writer = WARCWriter(stream, gzip=gzip_records)
        self.writer.write_record(self.writer.create_warcinfo_record("test.warc", {"software": "tests/test_warc.py"}))

    def response(self, url: str, payload: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200,
                 date: str = "2024-03-06T08:00:00Z", extra_headers: list[tuple[str, str]] | None = None) -> None:
        request = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example"), ("User-Agent", "crawler")],
                                   is_http_request=True)
        self.writer.write_record(self.writer.create_warc_record(url, "request", payload=io.BytesIO(b""),
                                                                http_headers=request))
        headers = [("Content-Type", content_type), *(extra_headers or [])]
        http = StatusAndHeaders(f"{status} {REASONS.get(status, 'X')}", headers, protocol="HTTP/1.1")
        record = self.writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http,
                                                warc_headers_dict={"WARC-Date": date})
        self.writer.write_record(record)

    def revisit(self, url: str) -> None:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        record = self.writer.create_revisit_record(url, digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                                   refers_to_uri=url, refers_to_date="2024-03-06T08:00:00Z",
                                                   http_headers=http)
        self.writer.write_record(record)


def fixture_pages() -> dict[str, bytes]:
    return {
        AAWSAT: (FIXTURES / "aawsat-jsonld.html").read_bytes(),
        HESPRESS: (FIXTURES / "hespress-cp1256.html").read_bytes(),
        ALJAZEERA: gzip.decompress((FIXTURES / "aljazeera-opengraph.htm.gz").read_bytes()),
    }


def write_crawl(path: Path, gzip_records: bool) -> None:
    pages = fixture_pages()
    with open(path, "wb") as stream:
        crawl = Archive(stream, gzip_records)
        crawl.response(AAWSAT, pages[AAWSAT])
        crawl.response("https://aawsat.com/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(2000), "image/png")
        crawl.response(HESPRESS, pages[HESPRESS], "text/html; charset=windows-1256", date="2023-11-21T10:00:00Z")
        crawl.response("https://aawsat.com/missing", b"<html><body>not found</body></html>", status=404)
        crawl.response("http://aawsat.com/old", b"", status=301,
                       extra_headers=[("Location", "https://aawsat.com/new")])
        crawl.revisit(AAWSAT)
        crawl.response(AAWSAT + "?utm_source=rss", pages[AAWSAT])  # the same URL once tracking is removed
        crawl.response("https://www.hespress.com/amp/guterres-sahel.html", pages[HESPRESS],  # same payload
                       "text/html; charset=windows-1256")
        crawl.response(ALJAZEERA, pages[ALJAZEERA], "text/html")
        crawl.response("https://example-news.com/markets", (FIXTURES / "english-page.html").read_bytes())
        crawl.response("https://aawsat.com/app.js", b"console.log('x')", "application/javascript")


@pytest.mark.parametrize("suffix", [".warc", ".warc.gz"])
def test_a_crawl_gives_one_article_per_html_page_and_a_reason_for_every_other_record(
        tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"crawl{suffix}"
    write_crawl(path, gzip_records=suffix.endswith(".gz"))
    report = IngestReport()
    articles = list(iter_articles([path], report))
    # the page's canonical link wins over the captured URL (the Asharq Al-Awsat page's carries a tracking parameter,
    # which identity ignores); the other two pages have no canonical link of their own
    assert [a.url for a in articles] == [AAWSAT + "?utm_source=twitter", HESPRESS, ALJAZEERA]
    assert [a.provenance["url"] for a in articles] == ["canonical-link", "warc", "open-graph"]
    assert [a.source for a in articles] == ["الشرق الأوسط", "هسبريس", "الجزيرة"]
    assert [a.date_iso for a in articles] == ["2024-03-05", "2023-11-20", "2024-02-07"]
    assert articles[1].persons == ["أنطونيو غوتيريش"] and "مليار ونصف مليار دولار" in articles[1].body
    assert [a.captured for a in articles] == ["2024-03-06T08:00:00Z", "2023-11-21T10:00:00Z", "2024-03-06T08:00:00Z"]
    assert all(a.origin.startswith(f"{path}:@") for a in articles)
    reasons = sorted(skipped.reason.replace(str(path), "F") for skipped in report.skipped)
    assert reasons == sorted([
        "not HTML: image/png for https://aawsat.com/logo.png",
        "HTTP status: 404 for https://aawsat.com/missing",
        "HTTP status: 301 for http://aawsat.com/old (to https://aawsat.com/new)",
        f"revisit: no payload of its own, a re-capture of {AAWSAT}",
        "not Arabic: declared en, 0% of its letters are Arabic (index it anyway with --any-language)",
        "not HTML: application/javascript for https://aawsat.com/app.js",
    ])
    assert report.duplicates == 2  # the same URL with a tracking parameter; the same payload under an AMP URL
    # warcinfo and request records are not candidate articles; every response and revisit is accounted for
    assert report.read == 11 == len(articles) + len(report.skipped) + report.duplicates


def test_any_language_keeps_the_english_page_of_a_crawl(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_crawl(path, gzip_records=True)
    articles = list(iter_articles([path], IngestReport(), options=ReadOptions(any_language=True)))
    assert [a.language for a in articles][-1] == "en"
    assert articles[-1].url == "https://example-news.com/markets"


def test_an_arc_file_is_read_like_a_warc(tmp_path: Path) -> None:
    page = fixture_pages()[ALJAZEERA]
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + page
    description = b"1 0 InternetArchive\nURL IP-address Archive-date Content-type Archive-length\n"
    arc = b"filedesc://crawl.arc 0.0.0.0 20240207120000 text/plain %d\n%s\n" % (len(description), description)
    arc += b"%s 127.0.0.1 20240207120000 text/html %d\n%s\n" % (ALJAZEERA.encode(), len(body), body)
    path = tmp_path / "crawl.arc.gz"
    path.write_bytes(gzip.compress(arc))
    report = IngestReport()
    articles = list(iter_articles([path], report))
    assert [(a.url, a.date_iso, a.captured) for a in articles] == [(ALJAZEERA, "2024-02-07", "2024-02-07T12:00:00Z")]
    assert report.read == 1


def test_a_truncated_warc_keeps_the_pages_before_the_damage_and_reports_it(tmp_path: Path) -> None:
    whole = tmp_path / "whole.warc"
    write_crawl(whole, gzip_records=False)
    data = whole.read_bytes()
    cut = tmp_path / "cut.warc"
    cut.write_bytes(data[: data.index(b"revisit") + 40])  # inside the revisit's headers
    garbage = tmp_path / "garbage.warc.gz"
    garbage.write_bytes(b"this is not a web archive at all " * 10)
    report = IngestReport()
    articles = list(iter_articles([cut, garbage], report))
    assert [a.url.split("?")[0] for a in articles if a.url] == [AAWSAT, HESPRESS]
    unreadable = [s for s in report.skipped if s.kind == "unreadable archive"]
    assert {Path(s.origin.split(":@")[0]).name for s in unreadable} == {"cut.warc", "garbage.warc.gz"}
    assert report.read == len(articles) + len(report.skipped) + report.duplicates


def test_the_progress_estimate_counts_the_html_pages_of_a_warc(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    write_crawl(path, gzip_records=True)
    assert estimate_records([path]) == 6  # 200 HTML responses, before duplicates and language are judged


@pytest.mark.corpus
def test_a_crawl_of_corpus_pages_gives_back_each_article(corpus_path: Path, tmp_path: Path) -> None:
    records = []
    with gzip.open(corpus_path, "rt", encoding="utf-8") as stream:
        for number, line in enumerate(stream):
            if number % 997 == 3:
                records.append(json.loads(line))
    path = tmp_path / "corpus.warc.gz"
    with open(path, "wb") as stream:
        crawl = Archive(stream, gzip_records=True)
        for number, record in enumerate(records):
            layout = LAYOUTS[number % len(LAYOUTS)]
            charset = "windows-1256" if layout == "legacy" else "utf-8"
            crawl.response(record["url"], page_bytes(record, layout), f"text/html; charset={charset}")
    report = IngestReport()
    articles = {a.url: a for a in iter_articles([path], report, workers=2)}
    expected = [r for r in records if len(r["body"]) > 60]
    assert report.read == len(records)
    for record in expected:
        article = articles[record["url"]]
        assert isinstance(article, Article)
        assert article.title == " ".join(record["title"].split())
        assert article.source == canonical_source(record["source"])
        assert article.provenance["url"] in ("warc", "canonical-link", "open-graph")


# ---------------------------------------------------------------- streaming: flat memory on a file of hundreds of MB

MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    from archive.extract.ingest import iter_articles
    from archive.extract.report import IngestReport

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    warm = IngestReport()
    sum(1 for _ in iter_articles([sys.argv[2]], warm))  # imports, the extractor's caches, one page's work
    before = peak_mb()
    report = IngestReport()
    articles = sum(1 for _ in iter_articles([sys.argv[1]], report))
    print(json.dumps({"before_mb": before, "after_mb": peak_mb(), "articles": articles, "read": report.read,
                      "skipped": len(report.skipped), "duplicates": report.duplicates}))
""")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_warc_of_hundreds_of_megabytes_is_streamed_in_flat_memory(tmp_path: Path) -> None:
    pages = fixture_pages()
    big = tmp_path / "big.warc"
    images, page_copies = 110, 300
    with open(big, "wb") as stream:
        crawl = Archive(stream, gzip_records=False)
        for number in range(max(images, page_copies)):
            if number < images:  # 2.5 MB photos: the bulk of a real crawl's bytes
                crawl.response(f"https://aawsat.com/photo/{number}.jpg", os.urandom(2_500_000), "image/jpeg")
            if number < page_copies:
                for url, page in pages.items():
                    # each copy a distinct page: another URL and a comment that changes the payload's digest
                    crawl.response(f"{url}?copy={number}", page + f"<!-- copy {number} -->".encode(),
                                   "text/html; charset=windows-1256" if "hespress" in url else "text/html")
                    if number % 50 == 0:  # a 1 MB page now and then (inline scripts, a long comment thread)
                        crawl.response(f"{url}?copy={number}&big=1", page + b"<!--" + b"x" * 1_000_000 + b"-->",
                                       "text/html")
    size_mb = big.stat().st_size / 2**20
    assert size_mb > 250
    small = tmp_path / "small.warc"
    with open(small, "wb") as stream:
        Archive(stream, gzip_records=False).response(AAWSAT, pages[AAWSAT])
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(big), str(small)], cwd=ROOT,
                          capture_output=True, text=True, timeout=170)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    growth = result["after_mb"] - result["before_mb"]
    print(f"\n{size_mb:.0f} MB WARC: {result}, peak RSS growth {growth:.1f} MB")
    assert result["read"] == images + 3 * page_copies + 3 * (page_copies // 50)
    # every copy was read and extracted; the copies tell the same three stories, so they are duplicates of them
    assert result["articles"] == 3 and result["skipped"] == images
    assert result["read"] == result["articles"] + result["skipped"] + result["duplicates"]
    assert growth < 60, f"reading a {size_mb:.0f} MB WARC grew the process by {growth:.0f} MB"
