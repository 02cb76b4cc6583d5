"""Builds archive/data/lexicon.tsv, the word-frequency lexicon the stemmer checks bare proclitics against.

    .venv/bin/python bench/build_lexicon.py [CORPUS.jsonl.gz] [--min-count 3] [--out archive/data/lexicon.tsv]

Counts every word of the titles and bodies of the shared corpus (../shared/corpora/ant-multisource.jsonl.gz by
default), tokenized by the analyzer's own pattern and normalized by `archive.normalize.normalize` (so the counts
are of the forms the stemmer sees), keeps the Arabic-letter words met at least --min-count times, and writes them
as `word<TAB>count`, most frequent first. The file ships with the package, so the stemmer works without the corpus;
rerun this (and bump archive.analysis.ANALYSIS_VERSION) only to rebuild it from other text.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.text.analysis import WORD_PATTERN  # noqa: E402
from archive.text.normalize import normalize  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
DEFAULT_OUT = ROOT / "archive" / "data" / "lexicon.tsv"
ARABIC_WORD = re.compile("[\u0621-\u064a]+")


def count_words(corpus: Path) -> tuple[Counter[str], int]:
    word = re.compile(WORD_PATTERN)
    raw_counts: Counter[str] = Counter()
    articles = 0
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            raw_counts.update(word.findall(f"{record.get('title') or ''}\n{record.get('body') or ''}"))
            articles += 1
    counts: Counter[str] = Counter()
    for raw, count in raw_counts.items():
        for part in normalize(raw).split("_"):
            if ARABIC_WORD.fullmatch(part):
                counts[part] += count
    return counts, articles


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--min-count", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.corpus.exists():
        print(f"corpus not found: {args.corpus}", file=sys.stderr)
        return 1
    counts, articles = count_words(args.corpus)
    kept = sorted(((w, c) for w, c in counts.items() if c >= args.min_count), key=lambda wc: (-wc[1], wc[0]))
    with args.out.open("w", encoding="utf-8") as out:
        out.write(f"# normalized Arabic word<TAB>count, from {articles} articles of {args.corpus.name}; "
                  f"words met at least {args.min_count} times. Built by bench/build_lexicon.py.\n")
        for word, count in kept:
            out.write(f"{word}\t{count}\n")
    print(f"{len(kept)} words (of {len(counts)}) from {articles} articles -> {args.out} "
          f"({args.out.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
