"""Word-vector clusters for the name recognizer (archive/data/word_vector_clusters.tsv), from the shared corpus.

    .venv/bin/pip install -e '.[train]'          # gensim, for this script only
    .venv/bin/python bench/build_word_vectors.py  # about 5 minutes on one core

A skip-gram word2vec (gensim) over the shared corpus's sentences (normalized, tokenized as the recognizer
tokenizes, cut at stops and line ends: bench/train_ner.py's sentences), with a narrow window (two words each side)
so that words fall together by the slot they fill (given names, transliterated family names, verbs of saying)
more than by topic; then k-means (fixed seed) at three granularities, COARSE to FINE. The recognizer takes the
three cluster ids of a word as features of its own and lends the middle one to its neighbours
(archive/extract/ner.py word_features): a name the training data never showed ("بنحسي", "ستانيشيف" are not in
NewsFANE's training blocks) falls in a cluster of names that it did show. These add to bench/build_clusters.py's
distributional clusters (a word's immediate neighbours, counted), which they do not replace.

Deterministic on one machine (one worker thread, fixed seeds); another BLAS may round the vectors differently.
Needs ../shared/corpora/ant-multisource.jsonl.gz.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_clusters import kmeans  # noqa: E402  (beside this script)

from archive.extract.ner import (  # noqa: E402
    STOP_CLASS,
    TOKEN,
    VECTOR_CLUSTERS_FILE,
)
from archive.text.normalize import normalize  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
_SENTENCE_END = re.compile(f"[\n{STOP_CLASS}]+")
MIN_COUNT = 5
DIMENSIONS = 100
WINDOW = 2
EPOCHS = 5
GRANULARITIES = (64, 256, 1024)
SEED = 14


def write_sentences(out: Path) -> int:
    """The corpus's sentences of three words or more, a line each, words separated by spaces; returns the words."""
    words = 0
    with gzip.open(CORPUS, "rt", encoding="utf-8") as corpus, out.open("w", encoding="utf-8") as lines:
        for line in corpus:
            record = json.loads(line)
            text = normalize((record.get("title") or "") + "\n" + (record.get("body") or ""))
            for part in _SENTENCE_END.split(text):
                tokens = TOKEN.findall(part)
                if len(tokens) > 2:
                    lines.write(" ".join(tokens) + "\n")
                    words += len(tokens)
    return words


def main() -> int:
    if not CORPUS.exists():
        print(f"shared corpus not found at {CORPUS}")
        return 1
    try:
        from gensim.models import Word2Vec
        from gensim.models.word2vec import LineSentence
    except ImportError:
        print("gensim is not installed: .venv/bin/pip install -e '.[train]'")
        return 1
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        sentences = Path(folder) / "sentences.txt"
        words = write_sentences(sentences)
        model = Word2Vec(LineSentence(str(sentences)), vector_size=DIMENSIONS, window=WINDOW, min_count=MIN_COUNT,
                         sg=1, negative=10, epochs=EPOCHS, workers=1, seed=SEED)
    vocabulary = model.wv.index_to_key
    vectors = model.wv.vectors / np.linalg.norm(model.wv.vectors, axis=1, keepdims=True)
    kept = [i for i, word in enumerate(vocabulary) if word[0].isalpha()]
    points = vectors[kept].astype(np.float32)
    rng = np.random.default_rng(SEED)
    columns = [kmeans(points, k, rng) for k in GRANULARITIES]
    lines = [f"# word<TAB>cluster of {'<TAB>cluster of '.join(map(str, GRANULARITIES))}: skip-gram word2vec "
             f"({DIMENSIONS} dimensions, window {WINDOW}) of the {len(kept)} normalized words met {MIN_COUNT}+ times "
             f"in {words} words of ant-multisource.jsonl.gz, k-means. Built by bench/build_word_vectors.py."]
    lines += ["\t".join([vocabulary[i], *(str(column[n]) for column in columns)]) for n, i in enumerate(kept)]
    VECTOR_CLUSTERS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {VECTOR_CLUSTERS_FILE.relative_to(ROOT)}: {len(kept)} words in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
