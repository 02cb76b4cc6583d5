"""Search speed on the shared corpus: the archive's searcher against plain Whoosh on the same index.

    .venv/bin/python bench/search.py                # 3,000 / 10,000 / 30,101 articles -> bench/results/search.json
    .venv/bin/python bench/search.py --sizes 30101   # one size

For each size it builds (or reuses, when the versions match) an index of the first N corpus articles in
bench/work/ with `indexer.rebuild_index`, then measures in a fresh process (so RSS is that of one open index):

- ours: `Archive.search` with all three facets (person, source, month), exact total, top 10 with a snippet each,
  over the fixed query set bench/queries.txt, after one warm-up pass over the set, in three cache states:
    cold    every cache cleared before each query (postings read from Whoosh every time);
    warm    postings of terms already seen stay cached, but parsed queries, match sets and filter masks are
            cleared before each query: a new query in a running app (the headline figure);
    repeat  everything cached: the same query again (paging, a facet click re-running the query);
- plain: Whoosh used plainly on the same index and queries (opened with `whoosh.index.open_dir`): the issue's
  protocol, `searcher.search(q, filter=..., groupedby=source and day facets (days folded into months), limit=10)`,
  `len(results)`, `results[:10]` with `hit.highlights("body")`, falling back to an OR query when the AND finds
  nothing, as ours does; and the same with the persons facet added (allow_overlap), on every sixth query;
- RSS of the process after opening and after the passes; open time.

Then fits cost against size (log-log) to project to 1,000,000 articles. The machine (CPU count, load average
before and after) is recorded: the figures move with other work on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from corpus_sample import CORPUS, write_first_lines  # beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results" / "search.json"
QUERIES = ROOT / "bench" / "queries.txt"
FULL = 30101
TARGET_MEDIAN_MS = 10.0
TARGET_P95_MS = 40.0


# ---------------------------------------------------------------- query file


def read_queries(path: Path) -> list[dict]:
    """One query per line: the text, then TAB-separated person= source= from= to= sort= match= options."""
    queries = []
    for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
        if line.startswith("#"):
            continue
        text, *options = line.split("\t")
        spec: dict = {"query": text, "persons": [], "sources": []}
        for option in options:
            key, _, value = option.partition("=")
            if key == "person":
                spec["persons"].append(value)
            elif key == "source":
                spec["sources"].append(value)
            elif key in ("from", "to"):
                spec["date_" + key] = datetime.date.fromisoformat(value)
            elif key in ("sort", "match"):
                spec[key] = value
            else:
                raise SystemExit(f"{path}: unknown option {option!r} in line {line!r}")
        queries.append(spec)
    return queries


def kind_of(spec: dict) -> str:
    text = spec["query"]
    if spec["persons"] or spec["sources"] or "date_from" in spec:
        return "filtered"
    if not text.strip():
        return "browse"
    if '"' in text:
        return "phrase"
    if " OR " in text or " -" in text:
        return "boolean"
    if text.endswith("*"):
        return "prefix"
    return "two words" if len(text.split()) == 2 else "one word"


def search_options(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "query"}


# ---------------------------------------------------------------- index per size


def ensure_index(size: int, workers: int) -> tuple[Path, dict]:
    from archive.errors import ArchiveError
    from archive.index.store import check_versions
    from archive.index.writer import rebuild_index

    index_dir = WORK / f"index-{size}"
    try:
        info = check_versions(index_dir)
        if info.get("read") == size or (size >= FULL and info.get("articles")):
            return index_dir, info
    except ArchiveError:
        pass
    source = CORPUS if size >= FULL else write_first_lines(size, WORK / f"sample-{size}.jsonl")
    print(f"building the {size}-article index in {index_dir} ...", file=sys.stderr, flush=True)
    summary = rebuild_index([source], index_dir, workers=workers)
    print(summary.line(), file=sys.stderr, flush=True)
    return index_dir, check_versions(index_dir)


# ---------------------------------------------------------------- measuring (child process)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary_of(times: list[float]) -> dict:
    return {"median_ms": round(statistics.median(times), 2), "p95_ms": round(percentile(times, 0.95), 2),
            "max_ms": round(max(times), 2), "mean_ms": round(statistics.fmean(times), 2), "queries": len(times)}


def rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def measure(index_dir: Path, queries_path: Path, plain: bool) -> dict:
    from archive.search.archive import Archive

    queries = read_queries(queries_path)
    rss_before = rss_mb()
    started = time.perf_counter()
    archive = Archive.open(index_dir)
    open_ms = (time.perf_counter() - started) * 1000
    rss_open = rss_mb()

    def run(spec: dict):
        began, began_cpu = time.perf_counter(), time.process_time()
        result = archive.search(spec["query"], **search_options(spec))
        cpu_times.append((time.process_time() - began_cpu) * 1000)
        return (time.perf_counter() - began) * 1000, result

    cpu_times: list[float] = []

    for spec in queries:  # warm-up
        run(spec)
    snap = archive._snapshot
    results: dict = {}
    totals = {}
    # warm and repeat first, straight after the warm-up filled the term cache; cold last, since it empties it
    for state in ("warm", "repeat", "cold"):
        times, by_kind = [], {}
        if state == "cold":
            archive.clear_caches()
        cpu_times.clear()
        for spec in queries:
            if state == "cold":
                archive.clear_caches()
            elif state == "warm":
                for cache in (snap.match_cache, snap.mask_cache, snap.prefix_cache, archive._parse_cache):
                    cache.clear()
            took, result = run(spec)
            times.append(took)
            by_kind.setdefault(kind_of(spec), []).append(took)
            totals[spec["query"] + repr(search_options(spec))] = result.total
        # CPU time of this process: what the work costs, whatever else the shared machine is running
        cpu = summary_of(cpu_times)
        results[state] = summary_of(times) | {
            "cpu_median_ms": cpu["median_ms"], "cpu_p95_ms": cpu["p95_ms"],
            "by_kind": {kind: summary_of(values) for kind, values in sorted(by_kind.items())}}
    rss_warm = rss_mb()
    report = {"articles": snap.live_count, "open_ms": round(open_ms, 1), "rss_mb_before_open": rss_before,
              "rss_mb_open": rss_open, "rss_mb_after_queries": rss_warm, "ours": results}
    if plain:
        report["plain_whoosh"], report["plain_totals_agree"] = measure_plain(archive, queries, totals)
        sample = queries[::6]  # every sixth query: the persons facet makes plain Whoosh slow
        report["plain_whoosh_with_persons"], _ = measure_plain(archive, sample, totals, with_persons=True)
    return report


def measure_plain(archive, queries: list[dict], our_totals: dict, with_persons: bool = False) -> tuple[dict, dict]:
    """Whoosh used plainly, as in the issue's protocol: groupedby source and month (a `day` field facet folded
    into months), len(results), results[:10] with highlights. `with_persons` adds the persons facet
    (allow_overlap), which the protocol leaves out and which costs plain Whoosh far more."""
    from whoosh import index as whoosh_index
    from whoosh import query as wq
    from whoosh import sorting

    from archive.search.query import has_implicit_and, parse, with_match

    snap = archive._snapshot
    # opened the plain way (mmap and all), not through the archive's storage
    searcher = whoosh_index.open_dir(str(snap.path), indexname="MAIN").searcher()
    facets = {"source": sorting.FieldFacet("source"), "day": sorting.FieldFacet("day")}
    if with_persons:
        facets["person"] = sorting.FieldFacet("persons", allow_overlap=True)

    def resolve(node):
        return snap.resolve_sources([node.value]) if node.field == "source" else snap.resolve_persons([node.value])

    cpu_times: list[float] = []

    def run(spec: dict) -> tuple[float, int]:
        began, began_cpu = time.perf_counter(), time.process_time()
        parsed = parse(spec["query"])
        filters = []
        if spec["persons"]:
            filters.append(wq.Or([wq.Term("persons", p) for p in snap.resolve_persons(spec["persons"])]))
        if spec["sources"]:
            filters.append(wq.Or([wq.Term("source", s) for s in snap.resolve_sources(spec["sources"])]))
        if "date_from" in spec or "date_to" in spec:
            low = spec.get("date_from")
            high = spec.get("date_to")
            filters.append(wq.NumericRange("day", low and int(low.strftime("%Y%m%d")),
                                           high and int(high.strftime("%Y%m%d"))))
        filter_query = wq.And(filters) if filters else None
        query = to_whoosh(parsed.root, resolve)
        results = searcher.search(query, filter=filter_query, groupedby=facets, limit=10)
        if results.is_empty() and has_implicit_and(parsed.root):
            query = to_whoosh(with_match(parsed.root, "any"), resolve)
            results = searcher.search(query, filter=filter_query, groupedby=facets, limit=10)
        total = len(results)
        months: dict = {}
        for day, docs in results.groups("day").items():
            key = f"{day // 10000:04d}-{day // 100 % 100:02d}" if day else None
            months[key] = months.get(key, 0) + len(docs)
        for name in facets:
            if name != "day":
                results.groups(name)
        for hit in results[:10]:
            hit.highlights("body")
        cpu_times.append((time.process_time() - began_cpu) * 1000)
        return (time.perf_counter() - began) * 1000, total

    for spec in queries:  # warm-up
        run(spec)
    cpu_times.clear()
    times, by_kind, agree, disagree = [], {}, 0, []
    for spec in queries:
        took, total = run(spec)
        times.append(took)
        by_kind.setdefault(kind_of(spec), []).append(took)
        ours = our_totals.get(spec["query"] + repr(search_options(spec)))
        if ours == total:
            agree += 1
        else:
            disagree.append({"query": spec["query"], "ours": ours, "plain": total})
    cpu = summary_of(cpu_times)
    return (summary_of(times) | {"cpu_median_ms": cpu["median_ms"], "cpu_p95_ms": cpu["p95_ms"],
                                 "by_kind": {k: summary_of(v) for k, v in sorted(by_kind.items())}},
            {"agree": agree, "differ": disagree[:20], "differ_count": len(disagree)})


# ---------------------------------------------------------------- parent


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def fit_projection(sizes: list[int], values: list[float], target: int = 1_000_000) -> dict:
    """Least-squares line in log-log space: value = a * size^b, projected to `target`."""
    import math

    points = [(math.log(s), math.log(v)) for s, v in zip(sizes, values, strict=True) if v > 0]
    if len(points) < 2:
        return {"exponent": None, "projected": None}
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in points)
             / (sum((x - mean_x) ** 2 for x, _ in points) or 1.0))
    intercept = mean_y - slope * mean_x
    return {"exponent": round(slope, 3), "projected": round(math.exp(intercept + slope * math.log(target)), 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=f"3000,10000,{FULL}")
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-Whoosh comparison")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child mode: one index
    args = parser.parse_args()

    if args.measure:
        print(json.dumps(measure(args.measure, args.queries, not args.no_plain), ensure_ascii=False))
        return 0
    if not CORPUS.exists():
        print(f"bench/search.py: the shared corpus is not at {CORPUS}; nothing measured", file=sys.stderr)
        return 1
    sizes = [int(s) for s in args.sizes.split(",")]
    report: dict = {
        "benchmark": "search", "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_start": loadavg()},
        "queries": {"file": str(args.queries.relative_to(ROOT)) if args.queries.is_relative_to(ROOT)
                    else str(args.queries), "count": len(read_queries(args.queries))},
        "targets": {"median_ms": TARGET_MEDIAN_MS, "p95_ms": TARGET_P95_MS, "at_articles": FULL,
                    "headline_state": "warm"},
        "sizes": {},
    }
    for size in sizes:
        index_dir, info = ensure_index(size, args.workers)
        print(f"measuring {size} articles ...", file=sys.stderr, flush=True)
        command = [sys.executable, str(Path(__file__).resolve()), "--measure", str(index_dir),
                   "--queries", str(args.queries)] + (["--no-plain"] if args.no_plain else [])
        output = subprocess.run(command, capture_output=True, text=True, check=False)
        if output.returncode:
            print(output.stderr, file=sys.stderr)
            return 1
        figures = json.loads(output.stdout)
        figures["index_bytes"] = info.get("index_bytes")
        figures["index_bytes_per_article"] = (round(info["index_bytes"] / max(1, figures["articles"]))
                                              if info.get("index_bytes") else None)
        if "plain_whoosh" in figures:
            ours, plain = figures["ours"]["warm"], figures["plain_whoosh"]
            figures["plain_over_ours"] = {
                "median": round(plain["median_ms"] / max(ours["median_ms"], 1e-6), 1),
                "p95": round(plain["p95_ms"] / max(ours["p95_ms"], 1e-6), 1)}
        report["sizes"][str(size)] = figures
        warm = figures["ours"]["warm"]
        print(f"{size}: ours warm median {warm['median_ms']} ms p95 {warm['p95_ms']} ms (cpu {warm['cpu_median_ms']} / "
              f"{warm['cpu_p95_ms']}); cold median "
              f"{figures['ours']['cold']['median_ms']} ms p95 {figures['ours']['cold']['p95_ms']} ms; "
              f"rss {figures['rss_mb_after_queries']} MB"
              + (f"; plain median {figures['plain_whoosh']['median_ms']} ms p95 {figures['plain_whoosh']['p95_ms']}"
                 if "plain_whoosh" in figures else ""), file=sys.stderr, flush=True)
    measured = sorted(int(s) for s in report["sizes"])
    if len(measured) >= 2:
        rows = [report["sizes"][str(s)] for s in measured]
        report["projection_1m"] = {
            f"{state}_{stat}": fit_projection(measured, [r["ours"][state][f"{stat}_ms"] for r in rows])
            for state in ("cold", "warm") for stat in ("median", "p95")
        } | {"rss_mb": fit_projection(measured, [r["rss_mb_after_queries"] for r in rows]),
             "open_ms": fit_projection(measured, [r["open_ms"] for r in rows])}
    full = report["sizes"].get(str(FULL))
    if full:
        warm, cold = full["ours"]["warm"], full["ours"]["cold"]
        report["targets_met"] = {
            "warm": warm["median_ms"] <= TARGET_MEDIAN_MS and warm["p95_ms"] <= TARGET_P95_MS,
            "cold": cold["median_ms"] <= TARGET_MEDIAN_MS and cold["p95_ms"] <= TARGET_P95_MS}
    report["machine"]["load_average_end"] = loadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0



def to_whoosh(node, resolve_field=None):
    from whoosh import query as wq

    from archive.search.query import FieldMatch, Not, Or, Phrase, Prefix, Word

    """The same query as Whoosh query objects (title and body fields), for Whoosh's own search and the
    plain-Whoosh comparison in bench/search.py. `resolve_field(FieldMatch) -> list[str]` gives the canonical
    names a `source:` / `person:` value stands for (the searcher resolves them against the index)."""
    if node is None:
        return wq.Every()
    if isinstance(node, Word):
        parts = [wq.Or([wq.Term(f, t) for f in node.fields]) for t in node.terms]
        return parts[0] if len(parts) == 1 else wq.And(parts)
    if isinstance(node, Phrase):
        words = [t for t, _ in node.terms]
        # stop words leave gaps in the positions: allow exactly those
        slop = 1 + node.terms[-1][1] - (len(words) - 1)
        return wq.Or([wq.Phrase(f, words, slop=slop) for f in node.fields])
    if isinstance(node, Prefix):
        return wq.Or([wq.Prefix(f, p) for f in node.fields for p in node.prefixes])
    if isinstance(node, FieldMatch):
        names = resolve_field(node) if resolve_field else [node.value]
        fieldname = "source" if node.field == "source" else "persons"
        return wq.Or([wq.Term(fieldname, n) for n in names]) if names else wq.NullQuery
    if isinstance(node, Not):
        return wq.Not(to_whoosh(node.child, resolve_field))
    if isinstance(node, Or):
        return wq.Or([to_whoosh(c, resolve_field) for c in node.children])
    return wq.And([to_whoosh(c, resolve_field) for c in node.children])

if __name__ == "__main__":
    sys.exit(main())
