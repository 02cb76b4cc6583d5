"""Cost as the archive grows, beside Lucene in the same run: rebuild rate, peak memory of every process, index size,
search latency cold and warm, at 30k, 100k, 300k and 1M articles.

    .venv/bin/python bench/scale.py                          # 30,000 / 100,000 / 300,000 articles
    .venv/bin/python bench/scale.py --sizes 1000000          # the million (make bench-1m)
    .venv/bin/python bench/scale.py --sizes 30000 --keep     # keep the generated corpus and indexes for a look
    .venv/bin/python bench/scale.py --sizes 1000000 --work DIR --search-only   # search again on a kept run

The corpora are DERIVED from the shared corpus (30,101 real articles of five outlets), generated into a temporary
folder and never committed (`make_corpus`):

- article j takes a real article as its base (a fixed shuffle of the corpus, cycled): its title, category, outlet
  and date; its body has as many sentences as the base's, the base's first sentence then sentences drawn from
  articles of the same outlet and section, grouped two or three to a paragraph. Text stays real news prose of that
  outlet and the length distribution is the corpus's, but no PARAGRAPH recurs verbatim: recombining whole
  paragraphs repeated each one ~10 times at 300k and ~33 times at 1M, so the product's learned-boilerplate pass
  (paragraphs recurring in 4+ articles of an outlet) rightly removed them and a third of the articles fell
  below the minimum length, which no real archive does;
- ids `scale-<j>`, and the base URL with `?copy=<j>` (the product deduplicates by URL and by content; neither
  collides);
- outlets spread as a large archive has them: the base's outlet for half the copies beyond the first, otherwise one
  of the registry's outlets (archive/data/outlets.json) drawn with Zipf weights, so an archive of 1M holds dozens of
  outlets with a long tail;
- dates: the base's date moved back by whole years for each pass over the corpus (up to 15 years) and by up to 90
  days either way, so the months facet spans a realistic period.

For each size, in this order, on the same machine in the same hour:
1. the product's rebuild end to end (`news-archive rebuild-index FILE --workers 2`: reading, extraction, analysis,
   writing, swap, the searcher's arrays cached), wall time and the peak RSS of every process of the tree (sampled
   every 0.2 s), and the bytes of the whole generation directory the command leaves (cached arrays included);
2. Lucene 8.8 (../shared/peers/lucene, ArabicAnalyzer, 2 indexing threads) on the same corpus file;
3. search: the same queries for both (AND, top 10 with a highlighted snippet each, exact total, facet counts over
   every match): the benchmark queries (bench/queries.txt without their filters), quoted phrases of the corpus's
   most frequent word pairs, and its most frequent words. The product in a fresh process: cold (every cache cleared
   before each query) and warm (postings of the terms already seen kept: the app's steady state); Lucene after 3
   warm-up passes (its JVM and caches warm), the median of its passes.
Results go to bench/results/scale.json and a table; every figure of the product is also a ratio to Lucene.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import gzip
import itertools
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from corpus_sample import CORPUS  # beside this script

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "scale.json"
QUERIES = ROOT / "bench" / "queries.txt"
PEER = ROOT.parent / "shared" / "peers" / "lucene"
SIZES = [30_000, 100_000, 300_000]
SEED = 20261128
MAX_YEARS_BACK = 15
PHRASES = 40
COMMON_WORDS = 30


# ---------------------------------------------------------------- the derived corpus


def _paragraphs(body: str) -> list[str]:
    return [p.strip() for p in body.split("\n") if p.strip()]


_SENTENCE_END = re.compile(r"(?<=[.!؟?])\s+")


def _sentences(body: str) -> list[str]:
    return [s for p in _paragraphs(body) for s in _SENTENCE_END.split(p) if s.strip()]


def _recombined(first: str, count: int, pool: list[str], rng: random.Random) -> list[str]:
    """COUNT sentences (FIRST, then drawn from POOL) grouped 2-3 to a paragraph."""
    chosen = [first] + [rng.choice(pool) for _ in range(max(count, 2) - 1)] if pool else [first]
    paragraphs: list[str] = []
    i = 0
    while i < len(chosen):
        take = 3 if len(chosen) - i in (3, 5) or rng.random() < 0.3 else 2
        paragraphs.append(" ".join(chosen[i: i + take]))
        i += take
    return paragraphs


def _outlet_names() -> list[str]:
    data = json.loads((ROOT / "archive" / "data" / "outlets.json").read_text(encoding="utf-8"))
    outlets = data["outlets"] if isinstance(data, dict) else data
    return [o["name"] for o in outlets if isinstance(o, dict) and o.get("name")]


def make_corpus(size: int, path: Path, seed: int = SEED) -> dict:
    """Write SIZE derived articles to PATH (JSONL); returns how they were made (counts of outlets and years)."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as stream:
        records = [json.loads(line) for line in stream]
    records = [r for r in records if _sentences(r.get("body") or "")]
    rng = random.Random(seed)
    order = list(range(len(records)))
    rng.shuffle(order)
    pools: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
    for record in records:
        pools[(record.get("source") or "", record.get("category") or "")].extend(_sentences(record["body"])[1:])
    outlets = _outlet_names()
    weights = [1 / (rank + 1) for rank in range(len(outlets))]
    outlet_counts: collections.Counter[str] = collections.Counter()
    years: collections.Counter[int] = collections.Counter()
    with open(path, "w", encoding="utf-8") as out:
        for j in range(size):
            base = records[order[j % len(records)]]
            copy = j // len(records)
            sentences = _sentences(base["body"])
            pool = pools[(base.get("source") or "", base.get("category") or "")]
            body = _recombined(sentences[0], len(sentences), pool, rng)
            source = base.get("source") or ""
            if copy and rng.random() < 0.5:
                source = rng.choices(outlets, weights)[0]
            date = base.get("date") or ""
            if date:
                day = datetime.date.fromisoformat(date[:10])
                shift = datetime.timedelta(days=rng.randint(-90, 90))
                try:
                    day = day.replace(year=day.year - copy % (MAX_YEARS_BACK + 1)) + shift
                except ValueError:  # 29 February of a year that has none
                    day = day.replace(day=28, year=day.year - copy % (MAX_YEARS_BACK + 1)) + shift
                date = day.isoformat()
                years[day.year] += 1
            outlet_counts[source] += 1
            url = base.get("url") or ""
            record = {"id": f"scale-{j}", "title": base.get("title") or "", "body": "\n".join(body),
                      "source": source, "date": date, "url": f"{url}?copy={j}" if url else "",
                      "category": base.get("category") or ""}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {"articles": size, "outlets": len(outlet_counts), "top_outlets": outlet_counts.most_common(5),
            "years": [min(years), max(years)] if years else None, "bytes": path.stat().st_size}


# ---------------------------------------------------------------- queries


def benchmark_queries(corpus: Path, sample: int = 20_000) -> list[tuple[str, str]]:
    """(kind, query) for both systems: bench/queries.txt without its filters (words, two words, phrases, variants),
    the PHRASES most frequent word pairs as quoted phrases, and the COMMON_WORDS most frequent words."""
    queries: list[tuple[str, str]] = []
    for line in QUERIES.read_text(encoding="utf-8").split("\n"):
        if not line.strip() or line.startswith("#") or "\t" in line:
            continue  # filtered queries have no Lucene counterpart in the peer's protocol
        text = line.strip()
        if re.search(r"[*:()|&!]|\b(OR|AND|NOT)\b|^-| -", text):
            continue  # operators spelled differently by the two query languages
        kind = "phrase" if text.startswith('"') else ("word" if len(text.split()) == 1 else "words")
        queries.append((kind, text))
    words: collections.Counter[str] = collections.Counter()
    pairs: collections.Counter[tuple[str, str]] = collections.Counter()
    stop = set((ROOT / "archive" / "data" / "stopwords.txt").read_text(encoding="utf-8").split())
    with open(corpus, encoding="utf-8") as stream:
        for number, line in enumerate(stream):
            if number >= sample:
                break
            tokens = re.findall(r"[\u0621-\u064a]{2,}", json.loads(line)["body"])
            words.update(t for t in tokens if t not in stop)
            pairs.update((a, b) for a, b in itertools.pairwise(tokens) if a not in stop and b not in stop)
    queries += [("phrase-common", f'"{a} {b}"') for (a, b), _ in pairs.most_common(PHRASES)]
    queries += [("word-common", word) for word, _ in words.most_common(COMMON_WORDS)]
    return list(dict.fromkeys(queries))


# ---------------------------------------------------------------- running and sampling processes


class TreeSampler:
    """Peak RSS of a process and every descendant, sampled every 0.2 s while it runs."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peaks: dict[int, tuple[str, float]] = {}
        self.peak_total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                break
            total = 0.0
            for process in processes:
                try:
                    rss = process.memory_info().rss / 2**20
                    role = "main" if process.pid == self.root.pid else process.name()
                except psutil.Error:
                    continue
                total += rss
                if rss > self.peaks.get(process.pid, ("", 0.0))[1]:
                    self.peaks[process.pid] = (role, rss)
            self.peak_total = max(self.peak_total, total)
            self._stop.wait(0.2)

    def stop(self) -> dict:
        self._stop.set()
        self._thread.join()
        by_role: dict[str, list[float]] = collections.defaultdict(list)
        for role, rss in self.peaks.values():
            by_role[role].append(round(rss, 1))
        return {"peak_total_mb": round(self.peak_total, 1), "peak_by_process_mb": dict(by_role)}


def run_sampled(command: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float, dict]:
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    sampler = TreeSampler(process.pid)
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    memory = sampler.stop()
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr), wall, memory


def directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# ---------------------------------------------------------------- the product


def product_rebuild(corpus: Path, index_dir: Path, workers: int) -> dict:
    result, wall, memory = run_sampled([sys.executable, "-m", "archive", "rebuild-index", str(corpus), "--index",
                                        str(index_dir), "--workers", str(workers), "--quiet"], cwd=ROOT)
    if result.returncode:
        raise SystemExit(f"rebuild failed: {result.stderr.strip()[-500:]}")
    generation = index_dir / (index_dir / "CURRENT").read_text().strip()
    info = json.loads((generation / "build.json").read_text())
    articles = info["articles"]
    # the whole generation as the command left it: segments, build record, the learned boilerplate, and the
    # searcher's cached arrays written by the command's last step (derived, but on the user's disk all the same)
    size = directory_bytes(generation)
    cached = sum(p.stat().st_size for p in generation.glob("*arrays-*.npz"))
    return {"articles": articles, "wall_seconds": round(wall, 1), "articles_per_second": round(articles / wall, 1),
            "index_bytes": size, "bytes_per_article": round(size / articles), "cached_arrays_bytes": cached,
            "index_bytes_without_cached_arrays": size - cached,
            "summary": result.stdout.strip(), **memory,
            "peak_mb_per_1000_articles": round(memory["peak_total_mb"] / articles * 1000, 2)}


def product_search(index_dir: Path, queries: list[tuple[str, str]]) -> dict:
    """In a fresh process: one warm-up pass, then warm and cold passes (see the module docstring)."""
    spec = json.dumps({"index": str(index_dir), "queries": queries})
    child = subprocess.run([sys.executable, __file__, "--child-search"], input=spec, capture_output=True, text=True,
                           cwd=ROOT)
    if child.returncode:
        raise SystemExit(f"search run failed: {child.stderr.strip()[-500:]}")
    return json.loads(child.stdout)


def _child_search() -> None:
    import psutil

    sys.path.insert(0, str(ROOT))
    from archive.search.archive import Archive
    from archive.text.analysis import WORD_PATTERN, term_of

    spec = json.loads(sys.stdin.read())
    queries = [tuple(q) for q in spec["queries"]]
    started = time.perf_counter()
    archive = Archive.open(spec["index"])
    open_seconds = time.perf_counter() - started
    snap = archive._snapshot

    def timed(query: str) -> tuple[float, int]:
        began = time.perf_counter()
        result = archive.search(query, limit=10)
        return (time.perf_counter() - began) * 1000, result.total

    totals = {}
    for _, query in queries:  # warm-up
        totals[query] = timed(query)[1]
    report: dict = {"open_seconds": round(open_seconds, 2),
                    "rss_mb_open": round(psutil.Process().memory_info().rss / 2**20, 1)}
    per_query: dict[str, dict[str, float]] = collections.defaultdict(dict)
    for state in ("warm", "cold"):
        times: dict[str, list[float]] = collections.defaultdict(list)
        for kind, query in queries:
            if state == "cold":
                archive.clear_caches()
            else:
                for cache in (snap.match_cache, snap.mask_cache, snap.prefix_cache, archive._parse_cache):
                    cache.clear()
            ms = timed(query)[0]
            times[kind].append(ms)
            per_query[query][state] = round(ms, 2)
        every = [t for values in times.values() for t in values]
        report[state] = _latency(every) | {"by_kind": {k: _latency(v) for k, v in sorted(times.items())}}
    report["per_query"] = per_query
    # the words of each query the product searches (stop words and punctuation aside), for same_words below
    report["searched_words"] = {query: sorted({word for word in re.findall(WORD_PATTERN, query) if term_of(word)})
                                for _, query in queries}
    report["rss_mb"] = round(psutil.Process().memory_info().rss / 2**20, 1)
    report["totals"] = totals
    print(json.dumps(report))


def _latency(times: list[float]) -> dict:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 2), "p95_ms": round(p95, 2),
            "max_ms": round(ordered[-1], 2), "queries": len(ordered)}


# ---------------------------------------------------------------- Lucene


def lucene_ready() -> str | None:
    """None when the peer is built (building it if javac is there), else why not."""
    work = Path(os.environ.get("LUCENE_PEER_WORK") or Path(tempfile.gettempdir()) / "lucene-peer")
    if (work / "build" / "classpath.txt").exists():
        return None
    if not shutil.which("javac"):
        return "javac is missing (apt-get install -y openjdk-17-jdk-headless)"
    built = subprocess.run(["sh", str(PEER / "build.sh")], capture_output=True, text=True)
    return None if built.returncode == 0 else f"the Lucene peer did not build: {built.stderr.strip()[-300:]}"


def lucene_index(corpus: Path, index_dir: Path) -> dict:
    out = index_dir.with_suffix(".index.json")
    result, wall, memory = run_sampled(["sh", str(PEER / "run.sh"), "index", "--corpus", str(corpus), "--index",
                                        str(index_dir), "--analyzer", "arabic", "--threads", "2", "--out", str(out)])
    if result.returncode:
        raise SystemExit(f"Lucene index failed: {result.stderr.strip()[-500:]}")
    figures = json.loads(out.read_text())
    articles = int(figures.get("docs") or figures.get("num_docs") or 0)
    size = directory_bytes(index_dir)
    return {"articles": articles, "wall_seconds": round(wall, 1),
            "articles_per_second": round(articles / wall, 1) if articles else None,
            "reported": {k: v for k, v in figures.items() if not isinstance(v, dict | list)},
            "index_bytes": size, "bytes_per_article": round(size / articles) if articles else None, **memory}


def lucene_search(index_dir: Path, queries: list[tuple[str, str]], work: Path) -> dict:
    tsv = work / "lucene-queries.tsv"
    tsv.write_text("qid\tkind\tquery\n" + "".join(f"q{i}\t{kind}\t{query}\n" for i, (kind, query) in
                                                   enumerate(queries)), encoding="utf-8")
    out = work / "lucene-search.json"
    result = subprocess.run(["sh", str(PEER / "run.sh"), "search", "--index", str(index_dir), "--analyzer", "arabic",
                             "--queries", str(tsv), "--op", "AND", "--warmup", "3", "--passes", "3", "--out",
                             str(out)], capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"Lucene search failed: {result.stderr.strip()[-500:]}")
    data = json.loads(out.read_text())
    times: dict[str, list[float]] = collections.defaultdict(list)
    totals = {}
    per_query = {}
    for entry in data["queries"]:
        times[entry["kind"]].append(statistics.median(entry["ms"]))
        totals[entry["query"]] = entry["total_hits"]
        per_query[entry["query"]] = round(statistics.median(entry["ms"]), 2)
    every = [t for values in times.values() for t in values]
    return _latency(every) | {"by_kind": {k: _latency(v) for k, v in sorted(times.items())}, "totals": totals,
                              "per_query": per_query}


def lucene_stopwords() -> set[str]:
    """The stop words of Lucene's ArabicAnalyzer, from the peer's analyzers jar (empty when it cannot be read).
    Lucene drops them before normalizing, so a query word among them is not searched at all."""
    work = Path(os.environ.get("LUCENE_PEER_WORK") or Path(tempfile.gettempdir()) / "lucene-peer")
    for jar in (work / "build" / "classpath.txt").read_text().strip().split(":"):
        if "analyzers-common" in jar:
            with zipfile.ZipFile(jar) as archive, contextlib.suppress(KeyError):
                text = archive.read("org/apache/lucene/analysis/ar/stopwords.txt").decode("utf-8")
                return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}
    return set()


def same_words(ours: dict, theirs: dict, searched: dict[str, list[str]], stopwords: set[str]) -> dict:
    """Latency over the queries both engines search word for word: those with no word that the product searches
    and Lucene drops as a stop word (على, also the common spelling of the name علي, is the one that matters: Lucene
    answers "اتفاق على" as "اتفاق")."""
    kept = [query for query, words in searched.items() if not set(words) & stopwords]
    dropped = sorted(set(searched) - set(kept))
    if not kept:
        return {}
    figures: dict = {"queries": len(kept), "left_out": dropped}
    for state in ("cold", "warm"):
        figures[state] = _latency([ours["per_query"][q][state] for q in kept])
    figures["lucene"] = _latency([theirs["per_query"][q] for q in kept])
    for state in ("cold", "warm"):
        for figure in ("median_ms", "p95_ms"):
            figures[f"{state}_{figure.removesuffix('_ms')}_ratio"] = _ratio(figures[state][figure],
                                                                           figures["lucene"][figure])
    return figures


# ---------------------------------------------------------------- one size


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 2) if ours and theirs else None


def measure_size(size: int, work: Path, workers: int, with_lucene: bool) -> dict:
    corpus = work / f"corpus-{size}.jsonl"
    print(f"[{size:,}] generating the corpus ...", flush=True)
    made = make_corpus(size, corpus)
    queries = benchmark_queries(corpus)
    load = os.getloadavg()[0]
    print(f"[{size:,}] product rebuild ...", flush=True)
    ours_index = work / f"product-{size}"
    rebuild = product_rebuild(corpus, ours_index, workers)
    print(f"[{size:,}]   {rebuild['articles_per_second']:,} articles/s, {rebuild['bytes_per_article']:,} B/article, "
          f"peak {rebuild['peak_total_mb']:,} MB", flush=True)
    report: dict = {"size": size, "corpus": made, "queries": len(queries), "load_before": round(load, 2),
                    "product": {"rebuild": rebuild}}
    if with_lucene:
        print(f"[{size:,}] Lucene index ...", flush=True)
        lucene_dir = work / f"lucene-{size}"
        report["lucene"] = {"index": lucene_index(corpus, lucene_dir)}
        print(f"[{size:,}]   {report['lucene']['index']['articles_per_second']:,} articles/s", flush=True)
    measure_search(report, size, work, with_lucene, queries)
    report["load_after"] = round(os.getloadavg()[0], 2)
    return report


def measure_search(report: dict, size: int, work: Path, with_lucene: bool, queries: list[tuple[str, str]]) -> None:
    """The search half of a size's run, into REPORT (which holds its rebuild and Lucene index figures): the product
    and Lucene on the same queries, then the ratios."""
    print(f"[{size:,}] product search ...", flush=True)
    report["product"]["search"] = product_search(work / f"product-{size}", queries)
    if with_lucene:
        print(f"[{size:,}] Lucene search ...", flush=True)
        report["lucene"]["search"] = lucene_search(work / f"lucene-{size}", queries, work)
        ours, theirs = report["product"], report["lucene"]
        report["ratios"] = {
            "rebuild_rate": _ratio(ours["rebuild"]["articles_per_second"], theirs["index"]["articles_per_second"]),
            "bytes_per_article": _ratio(ours["rebuild"]["bytes_per_article"], theirs["index"]["bytes_per_article"]),
            "cold_median": _ratio(ours["search"]["cold"]["median_ms"], theirs["search"]["median_ms"]),
            "cold_p95": _ratio(ours["search"]["cold"]["p95_ms"], theirs["search"]["p95_ms"]),
            "warm_median": _ratio(ours["search"]["warm"]["median_ms"], theirs["search"]["median_ms"]),
            "warm_p95": _ratio(ours["search"]["warm"]["p95_ms"], theirs["search"]["p95_ms"]),
        }
        report["same_words"] = same_words(ours["search"], theirs["search"], ours["search"].pop("searched_words"),
                                          lucene_stopwords())
        ours_totals, lucene_totals = ours["search"].pop("totals"), theirs["search"].pop("totals")
        same = sum(1 for q, n in ours_totals.items() if lucene_totals.get(q) == n)
        report["totals_equal_to_lucene"] = f"{same} of {len(ours_totals)} queries"
    else:
        report["product"]["search"].pop("totals", None)
        report["product"]["search"].pop("searched_words", None)


def search_again(size: int, work: Path, previous: dict) -> dict:
    """Search re-measured on the corpus and indexes a run kept (--keep --work WORK), after a change to search alone:
    the rebuild and Lucene index figures stay the earlier run's (PREVIOUS, that size's report), marked as such."""
    corpus = work / f"corpus-{size}.jsonl"
    missing = [p for p in (corpus, work / f"product-{size}", work / f"lucene-{size}") if not p.exists()]
    if missing:
        raise SystemExit(f"--search-only needs the kept corpus and indexes of a run: missing {missing[0]}")
    if "lucene" not in previous:
        raise SystemExit(f"--search-only: the results hold no Lucene index figures for {size:,} articles")
    report = json.loads(json.dumps(previous))  # a copy: the earlier report is kept as it was
    report["rebuild_measured"] = {"at": previous.get("measured_at"), "commit": previous.get("commit"),
                                  "note": "rebuild and Lucene index figures of this earlier run, on the same corpus; "
                                          "search measured again"}
    report["load_before"] = round(os.getloadavg()[0], 2)
    for stale in ("ratios", "same_words", "totals_equal_to_lucene"):
        report.pop(stale, None)
    measure_search(report, size, work, True, benchmark_queries(corpus))
    report["load_after"] = round(os.getloadavg()[0], 2)
    return report


def print_table(reports: list[dict]) -> None:
    print(f"\n{'articles':>10} {'rebuild/s':>10} {'lucene/s':>9} {'ratio':>6} {'KB/art':>7} {'peak MB':>8} "
          f"{'cold p50':>9} {'p95':>7} {'warm p50':>9} {'p95':>7} {'lucene p50':>11} {'p95':>7}")
    for r in reports:
        ours, lu = r["product"], r.get("lucene", {})
        print(f"{r['size']:>10,} {ours['rebuild']['articles_per_second']:>10,} "
              f"{lu.get('index', {}).get('articles_per_second', 0) or 0:>9,} "
              f"{(r.get('ratios') or {}).get('rebuild_rate') or 0:>6} "
              f"{ours['rebuild']['bytes_per_article'] / 1024:>7.2f} {ours['rebuild']['peak_total_mb']:>8,} "
              f"{ours['search']['cold']['median_ms']:>9} {ours['search']['cold']['p95_ms']:>7} "
              f"{ours['search']['warm']['median_ms']:>9} {ours['search']['warm']['p95_ms']:>7} "
              f"{lu.get('search', {}).get('median_ms', '-'):>11} {lu.get('search', {}).get('p95_ms', '-'):>7}")
        if same := r.get("same_words"):
            print(f"{'':>10} the {same['queries']} queries both search word for word: cold "
                  f"{same['cold_median_ratio']} / {same['cold_p95_ratio']}, warm {same['warm_median_ratio']} / "
                  f"{same['warm_p95_ratio']} x Lucene (median / p95)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-lucene", action="store_true", help="the product alone")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora and indexes")
    parser.add_argument("--work", type=Path, help="folder for corpora and indexes (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--search-only", action="store_true",
                        help="search again on the corpus and indexes a --keep run left in --work (after a change to "
                             "search alone); the rebuild figures stay that run's")
    parser.add_argument("--child-search", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_search:
        _child_search()
        return 0
    if not CORPUS.exists():
        print(f"the shared corpus is missing ({CORPUS}): nothing to derive the corpora from", file=sys.stderr)
        return 1
    with_lucene = not args.no_lucene
    if with_lucene and (why := lucene_ready()):
        print(f"Lucene is not available ({why}); measuring the product alone", file=sys.stderr)
        with_lucene = False
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    if args.search_only and (args.work is None or not with_lucene):
        print("--search-only needs --work (the folder a --keep run left) and Lucene", file=sys.stderr)
        return 1
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    reports = []
    earlier = {r["size"]: r for r in previous.get("runs", [])} if isinstance(previous, dict) else {}
    try:
        for size in args.sizes:
            if args.search_only:
                if size not in earlier:
                    print(f"--search-only: no earlier run of {size:,} articles in {args.out}", file=sys.stderr)
                    return 1
                reports.append(search_again(size, work, earlier[size]))
                continue
            reports.append(measure_size(size, work, args.workers, with_lucene))
            for leftover in work.glob(f"*-{size}*"):
                if not args.keep:
                    shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print_table(reports)
    runs = {str(r["size"]): r for r in previous.get("runs", [])} if isinstance(previous, dict) else {}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    superseded = list(previous.get("superseded_runs", [])) if isinstance(previous, dict) else []
    for report in reports:
        report["measured_at"] = datetime.datetime.now().isoformat(timespec="minutes")
        report["commit"] = commit.stdout.strip() or None
        if str(report["size"]) in runs:  # the run it replaces is kept, not lost
            superseded.append(runs[str(report["size"])])
        runs[str(report["size"])] = report
    # the file's other entries (earlier runs kept by hand, notes) are kept as they are
    kept = previous if isinstance(previous, dict) else {}
    args.out.write_text(json.dumps({**kept, "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                        "platform": platform.platform()},
                                    "runs": sorted(runs.values(), key=lambda r: r["size"]),
                                    "superseded_runs": superseded},
                                   ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
