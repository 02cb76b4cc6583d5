"""Word clusters for the name recognizer (archive/data/word_clusters.tsv), from the shared corpus.

    .venv/bin/python bench/build_clusters.py

Words that occur in the same contexts fall in the same cluster (given names with given names, transliterated
family names with each other, verbs of saying with each other), which lets the recognizer generalize from the
few thousand names of its training data to names it never saw. Method: for each word met at least MIN_COUNT
times, counts of the CONTEXT_WORDS most frequent words right before and right after it; positive PMI; the top
DIMENSIONS principal directions; k-means (fixed seed) into COARSE and FINE clusters. Deterministic for the
same corpus. Takes a few minutes on one core. Needs ../shared/corpora/ant-multisource.jsonl.gz.
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.extract.ner import CLUSTERS_FILE, TOKEN  # noqa: E402
from archive.text.normalize import normalize  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
MIN_COUNT = 5
CONTEXT_WORDS = 1000
DIMENSIONS = 64
COARSE, FINE = 64, 512
SEED = 14


def sentences():
    with gzip.open(CORPUS, "rt", encoding="utf-8") as corpus:
        for line in corpus:
            record = json.loads(line)
            text = normalize((record.get("title") or "") + "\n" + (record.get("body") or ""))
            yield [token.group() for token in TOKEN.finditer(text)]


def kmeans(points: np.ndarray, k: int, rng: np.random.Generator, iterations: int = 15) -> np.ndarray:
    centres = points[rng.choice(len(points), k, replace=False)].copy()
    labels = np.zeros(len(points), dtype=np.int32)
    for _ in range(iterations):
        distances = (points ** 2).sum(1)[:, None] - 2 * points @ centres.T + (centres ** 2).sum(1)[None, :]
        labels = distances.argmin(1).astype(np.int32)
        for j in range(k):
            members = points[labels == j]
            if len(members):
                centres[j] = members.mean(0)
    return labels


def main() -> int:
    if not CORPUS.exists():
        print(f"shared corpus not found at {CORPUS}")
        return 1
    started = time.perf_counter()
    documents = list(sentences())
    counts = Counter(word for words in documents for word in words)
    vocabulary = sorted((w for w, c in counts.items() if c >= MIN_COUNT and w[0].isalpha()),
                        key=lambda w: (-counts[w], w))
    index = {w: i for i, w in enumerate(vocabulary)}
    contexts = {w: i for i, w in enumerate(vocabulary[:CONTEXT_WORDS])}
    matrix = np.zeros((len(vocabulary), 2 * CONTEXT_WORDS), dtype=np.float32)
    for words in documents:
        ids = [index.get(w, -1) for w in words]
        ctx = [contexts.get(w, -1) for w in words]
        for i in range(1, len(words) - 1):
            row = ids[i]
            if row < 0:
                continue
            if ctx[i - 1] >= 0:
                matrix[row, ctx[i - 1]] += 1
            if ctx[i + 1] >= 0:
                matrix[row, CONTEXT_WORDS + ctx[i + 1]] += 1
    total = matrix.sum()
    row_sums = matrix.sum(1, keepdims=True) + 1e-9
    col_sums = matrix.sum(0, keepdims=True) + 1e-9
    ppmi = np.maximum(np.log((matrix * total) / (row_sums @ col_sums) + 1e-12), 0).astype(np.float32)
    covariance = ppmi.T @ ppmi
    _, vectors = np.linalg.eigh(covariance)
    projected = ppmi @ vectors[:, -DIMENSIONS:]
    projected /= np.linalg.norm(projected, axis=1, keepdims=True) + 1e-9
    rng = np.random.default_rng(SEED)
    coarse = kmeans(projected, COARSE, rng)
    fine = kmeans(projected, FINE, rng)
    lines = [f"# word<TAB>coarse cluster<TAB>fine cluster: {len(vocabulary)} normalized words met {MIN_COUNT}+ times "
             f"in {len(documents)} articles of ant-multisource.jsonl.gz. Built by bench/build_clusters.py."]
    lines += [f"{w}\t{coarse[i]}\t{fine[i]}" for i, w in enumerate(vocabulary)]
    CLUSTERS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {CLUSTERS_FILE.relative_to(ROOT)}: {len(vocabulary)} words in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
