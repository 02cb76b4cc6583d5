"""The scale-out measured on this machine: a sharded index built and searched on a real local Dask cluster (a
scheduler and 1 or 2 worker processes on 127.0.0.1), against the same work in one process.

    .venv/bin/python bench/cluster.py [--articles N] [--shards S] [--queries Q]

Writes bench/results/cluster.json: rebuild articles/s with 1 and 2 workers and their ratio; search latency
(median, p95) and throughput with 1 and 2 workers (2 client threads), the same queries on the sharded index in one
process and on one unsharded index; the scheduling overhead of one request round (a no-op task per shard); per-shard
figures (articles, bytes, build seconds) from which the README projects 10M and 100M articles.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cluster_support import local_cluster, read_queries  # noqa: E402

from archive.cluster.build import rebuild_on_cluster  # noqa: E402
from archive.cluster.connect import connect  # noqa: E402
from archive.cluster.search import open_on_cluster  # noqa: E402
from archive.index.store import current_index_path, read_build_info  # noqa: E402
from archive.index.writer import rebuild_index  # noqa: E402
from archive.search.archive import Archive  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
RESULTS = ROOT / "bench" / "results" / "cluster.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timings(archive, specs, threads: int = 1) -> dict:
    """Latency of each query (caches warm from one earlier pass), and queries/s with THREADS clients."""
    def run(spec):
        options = {k: v for k, v in spec.items() if k != "query"}
        started = time.perf_counter()
        archive.search(spec["query"], **options)
        return (time.perf_counter() - started) * 1000

    for spec in specs:
        run(spec)
    latencies = [run(spec) for spec in specs]
    done: list[float] = []
    started = time.perf_counter()

    def client(part):
        for spec in part:
            done.append(run(spec))

    workers = [threading.Thread(target=client, args=(specs[i::threads],)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    return {"median_ms": round(statistics.median(latencies), 2), "p95_ms": round(percentile(latencies, 0.95), 2),
            "queries_per_second": round(len(done) / seconds, 1), "client_threads": threads}


def round_trip_ms(archive, rounds: int = 50) -> float:
    """One request round with no work: a trivial task per shard, submitted and gathered."""
    archive.backend.run_all("set_caching", None)
    started = time.perf_counter()
    for _ in range(rounds):
        archive.backend.run_all("doc_frequencies", [])
    return round((time.perf_counter() - started) * 1000 / rounds, 2)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=0, help="first N articles of the corpus (0: all)")
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--queries", type=int, default=120)
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"the shared corpus is missing ({CORPUS})", file=sys.stderr)
        return 1
    specs = read_queries(ROOT / "bench" / "queries.txt")[:: max(1, 244 // args.queries)][: args.queries]
    report: dict = {"measured_at": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
                    "loadavg_before": list(os.getloadavg()), "shards": args.shards, "queries": len(specs)}
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch:
        root = Path(scratch)
        corpus = CORPUS
        if args.articles:
            corpus = root / "slice.jsonl.gz"
            with gzip.open(CORPUS, "rt", encoding="utf-8") as source, \
                    gzip.open(corpus, "wt", encoding="utf-8") as out:
                out.writelines(itertools.islice(source, args.articles))
        started = time.perf_counter()
        single = rebuild_index([corpus], root / "single", workers=2)
        report["one_process_rebuild"] = {"articles": single.indexed, "seconds": round(time.perf_counter() - started, 1),
                                         "articles_per_second": round(single.indexed / (time.perf_counter() - started),
                                                                      1), "workers": 2, "shards": 1}
        started = time.perf_counter()
        rebuild_index([corpus], root / "local-sharded", workers=2, shards=args.shards)
        report["one_process_sharded_rebuild_seconds"] = round(time.perf_counter() - started, 1)
        with Archive.open(root / "single") as archive:
            report["search_one_index"] = timings(archive, specs)
        with Archive.open(root / "local-sharded") as archive:
            report["search_sharded_one_process"] = timings(archive, specs)
        print(json.dumps(report, ensure_ascii=False), flush=True)
        for workers in (1, 2):
            with local_cluster(root / f"logs-{workers}", workers) as cluster:
                client = connect(cluster.address)
                index = root / f"cluster-{workers}"
                started = time.perf_counter()
                summary = rebuild_on_cluster([corpus], index, client, shards=args.shards)
                seconds = time.perf_counter() - started
                archive = open_on_cluster(index, client)
                searched = timings(archive, specs, threads=2)
                entry = {"rebuild_seconds": round(seconds, 1),
                         "rebuild_articles_per_second": round(summary.indexed / seconds, 1),
                         "search": searched, "request_round_ms": round_trip_ms(archive)}
                if workers == 2:
                    generation = current_index_path(index)
                    stats = archive.stats()
                    entry["per_shard"] = stats["shards"]
                    entry["index_bytes"] = stats["index_bytes"]
                    entry["build"] = {k: read_build_info(index).get(k) for k in ("cluster", "seconds", "articles")}
                    entry["generation"] = generation.name
                report[f"cluster_{workers}_workers"] = entry
                client.close()
                print(json.dumps({f"cluster_{workers}_workers": entry}, ensure_ascii=False), flush=True)
    one, two = report["cluster_1_workers"], report["cluster_2_workers"]
    report["ratios"] = {
        "rebuild_2_over_1_workers": round(two["rebuild_articles_per_second"] / one["rebuild_articles_per_second"], 2),
        "search_qps_2_over_1_workers": round(two["search"]["queries_per_second"]
                                             / one["search"]["queries_per_second"], 2),
        "cluster_2_workers_rebuild_over_one_process": round(two["rebuild_articles_per_second"]
                                                            / report["one_process_rebuild"]["articles_per_second"], 2),
        "cluster_search_median_over_one_index": round(two["search"]["median_ms"]
                                                      / report["search_one_index"]["median_ms"], 1),
    }
    report["loadavg_after"] = list(os.getloadavg())
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
