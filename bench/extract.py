"""Speed of reading and extraction over the shared corpus, on one core.

    .venv/bin/python bench/extract.py [--articles N]

Three passes over the first N records of ../shared/corpora/ant-multisource.jsonl.gz (default: all 30,101):
  read         iter_raw_records alone (gzip + JSON + sanitizing);
  as_given     read + build_articles + dedup, as `rebuild-index` runs it: the corpus gives title, source and date,
               so extraction is cleaning, title check, source mapping and people;
  text_only    read + build_articles with only the body kept, so every facet is extracted from the text
               (title, date, outlet, people), as for a folder of raw .txt files.
Rates are articles per CPU second of this process (the machine is shared, wall time is noisy; the load average
before and after is recorded, since other work on the cores slows CPU time too); target (issue 14): at least
1,000 articles/s for as_given. Writes bench/results/extract.json and prints a summary.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.article import Deduplicator  # noqa: E402
from archive.extract.builder import build_article, build_articles  # noqa: E402
from archive.extract.readers import RawRecord, iter_raw_records  # noqa: E402
from archive.extract.report import IngestReport  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
RESULTS = ROOT / "bench" / "results" / "extract.json"
TARGET = 1000


def timed(function):
    started_cpu, started_wall = time.process_time(), time.perf_counter()
    result = function()
    return result, time.process_time() - started_cpu, time.perf_counter() - started_wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=0, help="first N records only (default: all)")
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"shared corpus not found at {CORPUS}: nothing to measure")
        return 1
    limit = args.articles or None
    load_before = os.getloadavg()[0]

    def read() -> list[RawRecord]:
        return list(itertools.islice(iter_raw_records([CORPUS], IngestReport()), limit))

    records, read_cpu, read_wall = timed(read)
    build_article(records[0])  # load the registries outside the timings

    def as_given() -> IngestReport:
        report = IngestReport()
        dedup = Deduplicator()
        for result in build_articles(itertools.islice(iter_raw_records([CORPUS], report), limit)):
            report.add(result, dedup)
        return report

    report, given_cpu, given_wall = timed(as_given)
    bare = [RawRecord(origin=r.origin, body=r.body) for r in records]

    def text_only() -> int:
        return sum(1 for result in build_articles(bare) if not hasattr(result, "reason"))

    _, text_cpu, text_wall = timed(text_only)
    count = len(records)
    result = {
        "articles": count,
        "characters": sum(len(r.body) for r in records),
        "summary": report.summary(),
        "read": {"cpu_seconds": round(read_cpu, 2), "wall_seconds": round(read_wall, 2),
                 "articles_per_second": round(count / read_cpu)},
        "as_given": {"cpu_seconds": round(given_cpu, 2), "wall_seconds": round(given_wall, 2),
                     "articles_per_second": round(count / given_cpu)},
        "text_only_extraction": {"cpu_seconds": round(text_cpu, 2), "wall_seconds": round(text_wall, 2),
                                 "articles_per_second": round(count / text_cpu)},
        "target_articles_per_second": TARGET,
        "meets_target": count / given_cpu >= TARGET,
        "python": platform.python_version(),
        "load_average_1m": {"before": round(load_before, 1), "after": round(os.getloadavg()[0], 1),
                            "cores": os.cpu_count()},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(report.summary())
    print(f"read only:        {result['read']['articles_per_second']:>6} articles/s")
    print(f"read + extract:   {result['as_given']['articles_per_second']:>6} articles/s (target {TARGET})")
    print(f"text-only facets: {result['text_only_extraction']['articles_per_second']:>6} articles/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
