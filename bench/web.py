"""Speed of reading news from the web: saved HTML pages, a WARC of them, and an RSS feed, on one core.

    .venv/bin/python bench/web.py [--articles N]

Pages are built from N records of the shared corpus (default 1,600: every 18th record), each in one of the four
outlet layouts of tests/web_pages.py in turn (JSON-LD, @graph, Open Graph, a Windows-1256 table layout), with
navigation, teasers, comments and footer around the story: ~6 KB of HTML. Real pages carry far more markup (inline
scripts and styles, mega-menus, link-heavy footers: 50-300 KB), so every pass is run twice: on those pages ("lean"),
and on the same pages with 60 KB of such markup added ("heavy").
  pages        build_article on each page: decoding, metadata (JSON-LD, Open Graph, htmldate), trafilatura, the
               product's cleaning, dates, outlet and people; per layout and overall
  stages       the same pages through each stage alone: parsing, page metadata, trafilatura
  warc         the pages written into a .warc.gz with warcio (a request record beside each response): reading alone
               (records/s, MB/s of the compressed file), then reading + extraction with 1 and 2 worker processes
  feed         an RSS feed of the same articles, each entry's full text in content:encoded: entries/s
Rates are per CPU second of this process (wall time for the 2-worker run): the machine is shared. Writes
bench/results/web.json and prints a summary.
"""

from __future__ import annotations

import argparse
import gzip
import html
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from warcio.statusandheaders import StatusAndHeaders  # noqa: E402
from warcio.warcwriter import WARCWriter  # noqa: E402
from web_pages import LAYOUTS, page_bytes  # noqa: E402

from archive.extract.builder import build_article  # noqa: E402
from archive.extract.ingest import iter_articles  # noqa: E402
from archive.extract.readers import iter_raw_records  # noqa: E402
from archive.extract.records import RawRecord  # noqa: E402
from archive.extract.report import IngestReport  # noqa: E402
from archive.extract.web import decode_page, main_text, page_facts, parse_html  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
RESULTS = ROOT / "bench" / "results" / "web.json"
EVERY = 18
# the bulk of a real news page that is not the story: scripts, styles, a mega-menu, a footer of links (~60 KB)
HEAVY_MARKUP = (
    "<script>" + "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}" * 150 + "</script>"
    + "<style>" + ".menu li a{color:#333;padding:4px 8px;display:block}" * 300 + "</style>"
    + "<div class='mega-menu'>" + "".join(f"<a href='/section/{n}'>قسم الأخبار رقم {n}</a>" for n in range(400))
    + "</div>").encode()


def cpu(function):  # type: ignore[no-untyped-def]
    started = time.process_time()
    result = function()
    return result, time.process_time() - started


def sample(count: int) -> list[dict]:
    records = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as stream:
        for number, line in enumerate(stream):
            if number % EVERY == 0:
                records.append(json.loads(line))
                if len(records) >= count:
                    break
    return records


def write_warc(path: Path, pages: list[tuple[dict, str, bytes]]) -> None:
    with open(path, "wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for record, layout, data in pages:
            url = record["url"] + ("" if layout == "jsonld" else f"?layout={layout}")
            request = StatusAndHeaders("GET / HTTP/1.1", [("User-Agent", "bench")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=io.BytesIO(b""),
                                                          http_headers=request))
            charset = "windows-1256" if layout == "legacy" else "utf-8"
            http = StatusAndHeaders("200 OK", [("Content-Type", f"text/html; charset={charset}")],
                                    protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(data),
                                                          http_headers=http))


def rss(records: list[dict]) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(r['title'])}</title><link>{html.escape(r['url'])}</link>"
        f"<pubDate>{r['date']}T10:00:00+03:00</pubDate><content:encoded><![CDATA["
        + "".join(f"<p>{html.escape(line)}</p>" for line in r["body"].split("\n") if line.strip())
        + "]]></content:encoded></item>" for r in records)
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
            "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>سكاي نيوز عربية</title>"
            f"{items}</channel></rss>").encode()


def heavy(data: bytes) -> bytes:
    at = data.find(b"<body")
    at = data.find(b">", at) + 1 if at >= 0 else 0
    return data[:at] + HEAVY_MARKUP + data[at:] + HEAVY_MARKUP[:20_000]


def measure(pages: list[tuple[dict, str, bytes]], records: list[dict]) -> dict:
    """Every pass over PAGES (module docstring)."""
    build_article(RawRecord(origin="warm", body="", html=pages[0][2]))  # registries and extractor loaded
    per_layout: dict[str, float] = defaultdict(float)
    per_layout_count: dict[str, int] = defaultdict(int)
    articles = 0
    started = time.process_time()
    for _record, layout, data in pages:
        layout_started = time.process_time()
        result = build_article(RawRecord(origin=layout, body="", html=data, arabic_only=True))
        per_layout[layout] += time.process_time() - layout_started
        per_layout_count[layout] += 1
        articles += not hasattr(result, "reason")
    pages_cpu = time.process_time() - started

    texts = [decode_page(data) for _, _, data in pages]
    trees, parse_cpu = cpu(lambda: [parse_html(text) for text in texts])
    _, facts_cpu = cpu(lambda: [page_facts(tree, text, None) for tree, text in zip(trees, texts, strict=True)])
    _, text_cpu = cpu(lambda: [main_text(tree, None) for tree in trees])

    with tempfile.TemporaryDirectory() as folder:
        warc = Path(folder) / "pages.warc.gz"
        write_warc(warc, pages)
        warc_mb = warc.stat().st_size / 2**20
        read, read_cpu = cpu(lambda: sum(1 for _ in iter_raw_records([warc], IngestReport())))
        one_report = IngestReport()
        _, one_cpu = cpu(lambda: sum(1 for _ in iter_articles([warc], one_report, workers=1)))
        two_report = IngestReport()
        wall = time.perf_counter()
        sum(1 for _ in iter_articles([warc], two_report, workers=2))
        two_wall = time.perf_counter() - wall
        feed = Path(folder) / "feed.rss"
        feed.write_bytes(rss(records))
        entries, feed_cpu = cpu(lambda: sum(1 for _ in iter_articles([feed], IngestReport())))

    count = len(pages)
    return {
        "pages": count,
        "html_kb_median": round(statistics.median(len(d) for _, _, d in pages) / 1024, 1),
        "html_mb": round(sum(len(d) for _, _, d in pages) / 2**20, 1),
        "articles": articles,
        "pages_per_second": round(count / pages_cpu, 1),
        "pages_per_second_by_layout": {layout: round(per_layout_count[layout] / seconds, 1)
                                       for layout, seconds in per_layout.items()},
        "stage_ms_per_page": {"parse": round(1000 * parse_cpu / count, 2),
                              "metadata": round(1000 * facts_cpu / count, 2),
                              "trafilatura": round(1000 * text_cpu / count, 2),
                              "whole_build_article": round(1000 * pages_cpu / count, 2)},
        "warc": {"compressed_mb": round(warc_mb, 1), "records_read": read,
                 "read_only_records_per_second": round(read / read_cpu),
                 "read_only_mb_per_second": round(warc_mb / read_cpu, 1),
                 "one_core_pages_per_second": round(one_report.read / one_cpu, 1), "summary": one_report.summary(),
                 "two_workers_pages_per_second_wall": round(two_report.read / two_wall, 1)},
        "feed": {"entries": entries, "entries_per_second": round(entries / feed_cpu, 1)},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1600, help="corpus records to build pages from")
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"shared corpus not found at {CORPUS}: nothing to measure")
        return 1
    records = sample(args.articles)
    pages = [(record, LAYOUTS[number % len(LAYOUTS)], page_bytes(record, LAYOUTS[number % len(LAYOUTS)]))
             for number, record in enumerate(records)]
    result = {
        "corpus_records": len(records),
        "lean": measure(pages, records),
        "heavy": measure([(record, layout, heavy(data)) for record, layout, data in pages], records),
        "python": platform.python_version(),
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),  # 2 cores: above ~1, wall-time figures suffer
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
