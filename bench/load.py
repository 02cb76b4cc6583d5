"""Concurrent searches on the shared corpus index: 8 threads for 30 s against one open Archive (as the sessions of
one Streamlit process share it), mixed queries (bench/queries.txt's texts, filters, sorts, paging, a few hostile
ones). Reports throughput, latency median/p95/max, errors, and whether every answer equalled the single-threaded
answer; then the same for 1 thread, for comparison; then, when Debian's chromium is there, 5 browser sessions of
the app at once (open, query, person filter, outlet filter) with their step timings.

    .venv/bin/python bench/load.py [--seconds 30] [--threads 8] [--no-browser]   -> bench/results/load.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from hostile_queries import CORPUS, machine, open_corpus_index  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "load.json"
QUERY_FILE = ROOT / "bench" / "queries.txt"


def load_queries(archive) -> list[dict]:
    from hostile import hostile_queries, mixed_queries

    texts = []
    if QUERY_FILE.exists():
        for line in QUERY_FILE.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                texts.append(line.split("\t")[0])
    queries = [{"query": text} for text in texts[:120]]
    queries += [q for q in mixed_queries() if "sources" not in q]
    stats = archive.stats()
    people = list(stats.get("people", {}))[:4]
    sources = list(stats.get("sources", {}))[:3]
    queries += [{"query": "", "persons": [name]} for name in people]
    queries += [{"query": "روسيا", "sources": [source], "sort": "newest"} for source in sources]
    queries += [{"query": "الرئيس", "persons": people[:2], "sources": sources[:2], "page": 2}]
    queries += [{"query": q.text} for q in hostile_queries()[::5] if "OR" not in q.text[:40]]
    return queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"the shared corpus is not at {CORPUS}: nothing to measure")
        return 1
    from hostile import run_concurrent_searches

    before = machine()
    archive = open_corpus_index()
    queries = load_queries(archive)
    print(f"{len(queries)} queries, {args.threads} threads x {args.seconds:.0f} s", flush=True)
    concurrent = run_concurrent_searches(archive, queries, threads=args.threads, seconds=args.seconds)
    print("  threads:", concurrent.summary(), flush=True)
    single = run_concurrent_searches(archive, queries, threads=1, seconds=min(args.seconds, 10.0))
    print("  single: ", single.summary(), flush=True)
    report = {
        "what": "Archive.search from THREADS threads on one open index of the shared corpus; every answer compared "
                "with the single-threaded answer (hits, scores, snippets, facets)",
        "articles": archive.stats()["articles"], "queries": len(queries),
        "concurrent": concurrent.summary(), "single_thread": single.summary(),
        "errors_sample": concurrent.errors[:5], "mismatches_sample": concurrent.mismatches[:5],
        "machine_before": before,
    }
    if not args.no_browser:
        report["browser_sessions"] = browser_sessions()
        print("  browser:", {k: v for k, v in report["browser_sessions"].items() if k != "per_session"})
    report["machine_after"] = machine()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    failed = concurrent.errors or concurrent.mismatches or report.get("browser_sessions", {}).get("errors")
    return 1 if failed else 0


def browser_sessions() -> dict:
    """5 sessions of the app at once on the test index of tests/browser_support.py (seeds and their paragraphs)."""
    import tempfile

    from browser_support import build_test_index, chromium_missing_reason, streamlit_server
    from hostile import run_browser_sessions

    from archive.search.archive import Archive

    missing = chromium_missing_reason()
    if missing:
        return {"skipped": missing}
    with tempfile.TemporaryDirectory() as folder:
        index_dir = build_test_index(Path(folder))
        with streamlit_server(index_dir) as base_url:
            return run_browser_sessions(base_url, Archive.open(index_dir), sessions=5)


if __name__ == "__main__":
    sys.exit(main())
