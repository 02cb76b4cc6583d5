"""Speed of the Arabic analyzer against Whoosh's StandardAnalyzer on the same real news text.

    .venv/bin/python bench/analyzer.py [--articles N] [--repeats R]

Takes the first N articles (title + body) of the shared corpus (../shared/corpora/ant-multisource.jsonl.gz; by
default all 30,101 of them, 7.6 million words) and runs each analyzer over every text the way the indexer does
(positions and character offsets on), R times, alternating. Before each Arabic run its per-word caches are
cleared, so every run includes the cost of analysing each distinct word once, as a fresh indexing process would.
The best run of each is kept, timed in CPU seconds of this process (the machine is shared). Reports terms per
second of each and the time ratio Arabic / Standard (target: at most 1.3), prints a summary and
writes bench/results/analyzer.json.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from whoosh.analysis import StandardAnalyzer  # noqa: E402

from archive.text import analysis, stemmer  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
RESULTS = ROOT / "bench" / "results" / "analyzer.json"
TARGET_RATIO = 1.3


def load_texts(limit: int) -> list[str]:
    texts = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            texts.append(f"{record.get('title') or ''}\n{record.get('body') or ''}")
            if limit and len(texts) >= limit:
                break
    return texts


def clear_caches() -> None:
    analysis.clear_caches()
    stemmer.stem.cache_clear()


def run(analyzer, texts: list[str]) -> tuple[float, int]:
    started = time.process_time()
    terms = 0
    for text in texts:
        for _token in analyzer(text, positions=True, chars=True, mode="index"):
            terms += 1
    return time.process_time() - started, terms


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=0, help="articles to analyse (default 0: the whole corpus)")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    if not CORPUS.exists():
        print(f"shared corpus not found at {CORPUS}: analyzer benchmark skipped")
        return 0

    texts = load_texts(args.articles)
    chars = sum(len(text) for text in texts)
    arabic, standard = analysis.ArabicAnalyzer(), StandardAnalyzer()
    best: dict[str, tuple[float, int]] = {}
    for _ in range(args.repeats):
        for name, analyzer in (("standard", standard), ("arabic", arabic)):
            if name == "arabic":
                clear_caches()
            seconds, terms = run(analyzer, texts)
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, terms)
    # the same text once more with the caches already warm: a long-running process (search, `add`)
    warm_seconds, _ = run(arabic, texts)

    arabic_seconds, arabic_terms = best["arabic"]
    standard_seconds, standard_terms = best["standard"]
    ratio = arabic_seconds / standard_seconds
    result = {
        "analysis_version": analysis.ANALYSIS_VERSION,
        "articles": len(texts),
        "characters": chars,
        "repeats": args.repeats,
        "arabic": {"seconds": round(arabic_seconds, 3), "terms": arabic_terms,
                   "terms_per_second": round(arabic_terms / arabic_seconds),
                   "warm_cache_seconds": round(warm_seconds, 3)},
        "standard": {"seconds": round(standard_seconds, 3), "terms": standard_terms,
                     "terms_per_second": round(standard_terms / standard_seconds)},
        "time_ratio_arabic_over_standard": round(ratio, 3),
        "warm_time_ratio": round(warm_seconds / standard_seconds, 3),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(texts)} articles, {chars / 1e6:.1f} M characters, best of {args.repeats}")
    print(f"  ArabicAnalyzer:   {arabic_terms:>9} terms in {arabic_seconds:6.2f} s = "
          f"{arabic_terms / arabic_seconds:>9,.0f} terms/s (warm caches: {warm_seconds:.2f} s)")
    print(f"  StandardAnalyzer: {standard_terms:>9} terms in {standard_seconds:6.2f} s = "
          f"{standard_terms / standard_seconds:>9,.0f} terms/s")
    print(f"  time ratio Arabic/Standard: {ratio:.2f} (target <= {TARGET_RATIO}: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'}); warm: {warm_seconds / standard_seconds:.2f}")
    print(f"  -> {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
