"""Index build speed and size: `rebuild-index` over the first N articles of the shared corpus, 1 and 2 workers.

    .venv/bin/python bench/indexing.py                      # 3,000 / 10,000 / 30,101 articles, workers 1 and 2
    .venv/bin/python bench/indexing.py --sizes 3000 --workers 2

Each run is a fresh process doing what `news-archive rebuild-index FILE --workers W` does (reading, extraction,
analysis, writing, the atomic swap), timed from outside: wall seconds, CPU seconds of the process and all its
helpers (so a busy machine shows as wall >> CPU / cores), peak memory of the largest process, index bytes on disk.
A separate pass times reading + extraction alone, to show how the cost splits. The projection to 1,000,000
articles is linear in the 30,101-article figures (the per-article cost is reported per size to show whether it
grows). Writes bench/results/indexing.json and prints a table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus_sample import CORPUS, write_first_lines  # beside this script

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "indexing.json"
SIZES = [3000, 10000, 30101]
LUCENE_BYTES_PER_ARTICLE = 2048  # issue 4: Lucene 8.8 with its ArabicAnalyzer, ~2 KB per article
TARGET_ARTICLES_PER_SECOND = 600


def _child_main(mode: str, source: str, index_dir: str, workers: int) -> None:
    """Runs in a fresh interpreter: one rebuild (or extraction only), JSON on stdout."""
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    if mode == "extract":
        from archive.extract.ingest import iter_articles
        from archive.extract.report import IngestReport

        report = IngestReport()
        count = sum(1 for _ in iter_articles([source], report, workers=workers))
        print(json.dumps({"articles": count, "seconds": time.perf_counter() - started, **_peaks()}))
        return
    from archive.index.store import read_build_info
    from archive.index.writer import rebuild_index

    summary = rebuild_index([source], index_dir, workers=workers)
    info = read_build_info(index_dir)
    print(json.dumps({"articles": summary.indexed, "skipped": len(summary.skipped), "duplicates": summary.duplicates,
                      "seconds": summary.seconds, "index_bytes": info["index_bytes"], "segments": info["segments"],
                      **_peaks()}))


def _peaks() -> dict:
    """Peak resident memory of the rebuilding process and of its largest helper process (pool or index)."""
    return {"main_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "helper_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def _measure(mode: str, source: Path, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-index-") as index_dir:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        result = subprocess.run([sys.executable, __file__, "--child", mode, str(source), index_dir, str(workers)],
                                capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        raise SystemExit(f"{mode} run failed: {result.stderr.strip().splitlines()[-1:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    articles = figures["articles"]
    figures.update({
        "mode": mode, "workers": workers, "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
        "articles_per_second": round(articles / figures["seconds"], 1),
        "cpu_ms_per_article": round(1000 * cpu / articles, 2) if articles else None,
        # what the run would reach with the cores to itself: cores used / CPU seconds per article (an upper bound)
        "cpu_bound_articles_per_second": round(min(workers, os.cpu_count() or 1) / (cpu / articles)) if cpu else None,
        "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
    })
    if "index_bytes" in figures and articles:
        figures["bytes_per_article"] = round(figures["index_bytes"] / articles)
    figures["seconds"] = round(figures["seconds"], 2)
    return figures


def _git_commit() -> str | None:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return result.stdout.strip() or None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--no-extract-pass", action="store_true", help="skip timing extraction alone")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"shared corpus not found at {CORPUS}: nothing to measure", file=sys.stderr)
        return 1

    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as scratch:
        for size in args.sizes:
            source = write_first_lines(size, Path(scratch) / f"corpus-{size}.jsonl")
            for workers in args.workers:
                figures = _measure("rebuild", source, workers)
                figures["input_articles"] = size
                runs.append(figures)
                print(f"  rebuild {size:>6} articles, {workers} worker(s): {figures['articles_per_second']:>6.0f} "
                      f"articles/s, {figures['seconds']:.1f} s (load {figures['load_before']})", flush=True)
            if not args.no_extract_pass and size == max(args.sizes):
                for workers in args.workers:
                    figures = _measure("extract", source, workers)
                    figures["input_articles"] = size
                    runs.append(figures)
                    print(f"  extract {size:>6} articles, {workers} worker(s): "
                          f"{figures['articles_per_second']:>6.0f} articles/s", flush=True)

    rebuilds = [run for run in runs if run["mode"] == "rebuild"]
    largest = max(run["input_articles"] for run in rebuilds)
    projection = {}
    for run in rebuilds:
        if run["input_articles"] == largest and run["articles"]:
            scale = 1_000_000 / run["articles"]
            projection[f"workers_{run['workers']}"] = {
                "seconds": round(run["seconds"] * scale), "hours": round(run["seconds"] * scale / 3600, 2),
                "index_gb": round(run["index_bytes"] * scale / 1e9, 2),
            }
    result = {
        "benchmark": "indexing",
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "commit": _git_commit(),
        "corpus": str(CORPUS.name),
        "target_articles_per_second": TARGET_ARTICLES_PER_SECOND,
        "lucene_bytes_per_article": LUCENE_BYTES_PER_ARTICLE,
        "runs": runs,
        "projection_1m_articles": projection,
        "note": "wall-clock figures depend on machine load (load_before/after, 1-minute averages including this run); "
                "cpu_ms_per_article much less; cpu_bound_articles_per_second = cores used / CPU per article, an upper "
                "bound for an otherwise idle machine",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    print(f"\n{'mode':8} {'input':>7} {'workers':>7} {'articles':>8} {'s':>7} {'art/s':>7} {'cpu ms/art':>10} "
          f"{'cpu-bound':>9} {'MB main':>7} {'MB help':>7} {'bytes/art':>9} {'load':>5}")
    for run in runs:
        print(f"{run['mode']:8} {run['input_articles']:>7} {run['workers']:>7} {run['articles']:>8} "
              f"{run['seconds']:>7.1f} {run['articles_per_second']:>7.0f} {run['cpu_ms_per_article'] or 0:>10.2f} "
              f"{run['cpu_bound_articles_per_second'] or 0:>9} {run['main_peak_rss_mb']:>7.0f} "
              f"{run['helper_peak_rss_mb']:>7.0f} {run.get('bytes_per_article', ''):>9} {run['load_before']:>5.1f}")
    for key, figures in projection.items():
        print(f"projection to 1,000,000 articles, {key.replace('_', ' ')}: {figures['hours']} h, "
              f"index {figures['index_gb']} GB")
    print(f"written to {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _child_main(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
        sys.exit(0)
    sys.exit(main())
