"""The engine's answers equal Whoosh's own query evaluation on real articles.

For the benchmark queries (bench/queries.txt: words, two words, quoted phrases, OR, exclusions; filters left out)
and the corpus's most common words and word pairs as phrases, over a sample of the shared corpus indexed with
small posting blocks (so common words span many blocks), the engine's matching documents are exactly those
Whoosh's searcher finds for the same query tree, and for queries without phrases (Whoosh scores a phrase as one
unit, the engine by its words) its relevance scores are Whoosh's BM25F scores, rank by rank.
The speed work (whole-term decoding, positions kept as one array, vectorised phrases, caches) is checked here
against the library's slow, obviously faithful path: it must never change an answer.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from corpus_support import write_corpus_sample
from whoosh import query as wq
from whoosh.scoring import BM25F

from archive.index import whoosh_io
from archive.index.writer import rebuild_index
from archive.search.archive import Archive
from archive.search.engine import BM25_B, BM25_K1, CorpusStats
from archive.search.query import And, Node, Not, Or, Phrase, Prefix, Word, iter_positive

SAMPLE = 2000
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.corpus


def _benchmark_queries(sample: Path) -> list[str]:
    queries = []
    for line in (ROOT / "bench" / "queries.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" not in line and "*" not in line and ":" not in line:
            queries.append(line.strip())
    words: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for line in sample.read_text(encoding="utf-8").splitlines()[:500]:
        tokens = re.findall(r"[\u0621-\u064a]{3,}", line)
        words.update(tokens)
        pairs.update(itertools.pairwise(tokens))
    queries += [w for w, _ in words.most_common(15)]
    queries += [f'"{a} {b}"' for (a, b), _ in pairs.most_common(15)]
    return list(dict.fromkeys(queries))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, corpus_path: Path) -> tuple[Archive, list[str]]:
    base = tmp_path_factory.mktemp("exact")
    data = write_corpus_sample(corpus_path, base / "sample.jsonl", SAMPLE)
    patch = pytest.MonkeyPatch()
    patch.setattr(whoosh_io, "POSTINGS_BLOCK", 16)  # many blocks per common word (index processes fork)
    try:
        rebuild_index([data], base / "index", workers=1)
    finally:
        patch.undo()
    return Archive.open(base / "index"), _benchmark_queries(data)


class _Untranslatable(Exception):
    pass


def _to_whoosh(node: Node) -> wq.Query:
    """The same query as Whoosh's query objects (AND / OR / NOT / terms in several fields / exact phrases)."""
    if isinstance(node, Word):
        return wq.And([wq.Or([wq.Term(f, t) for f in node.fields]) for t in node.terms])
    if isinstance(node, Phrase):
        offsets = [offset for _, offset in node.terms]
        if offsets != list(range(len(offsets))):
            raise _Untranslatable("a phrase with stop-word gaps")
        return wq.Or([wq.Phrase(f, [t for t, _ in node.terms], slop=1) for f in node.fields])
    if isinstance(node, And):
        positives = [_to_whoosh(c) for c in node.children if not isinstance(c, Not)]
        negatives = [_to_whoosh(c.child) for c in node.children if isinstance(c, Not)]
        if not positives:
            raise _Untranslatable("nothing positive")
        found: wq.Query = wq.And(positives)
        return wq.AndNot(found, wq.Or(negatives)) if negatives else found
    if isinstance(node, Or):
        return wq.Or([_to_whoosh(c) for c in node.children])
    if isinstance(node, Prefix):
        raise _Untranslatable("prefixes are expanded by the engine")
    raise _Untranslatable(type(node).__name__)


def test_matches_and_relevance_scores_equal_whooshs_own_search(built: tuple[Archive, list[str]]) -> None:
    archive, queries = built
    snap = archive._snapshot
    compared = phrases = multi_block = scored = 0
    with snap.index.searcher(weighting=BM25F(B=BM25_B, K1=BM25_K1)) as searcher:
        for text in queries:
            parsed = archive.parse(text)
            if parsed.root is None:
                continue
            try:
                whoosh_query = _to_whoosh(parsed.root)
            except _Untranslatable:
                continue
            expected = {hit.docnum: hit.score for hit in searcher.search(whoosh_query, limit=None)}
            docs = snap.docs(parsed.root)
            assert sorted(docs.tolist()) == sorted(expected), text
            result = archive.search(text, match="all", limit=10)
            assert result.total == len(expected), text
            has_phrase = any(isinstance(leaf, Phrase) for leaf in iter_positive(parsed.root))
            if expected and not has_phrase:  # Whoosh scores a phrase as one unit, the engine by its words
                # BM25F with the collection figures Whoosh uses (its running total of exact field lengths for the
                # average: the engine averages the live documents' stored, byte-quantized lengths, exact under
                # deletions and across shards), so the formula, the term weights and the per-document lengths are
                # what is compared
                pairs = snap.scored_terms(parsed.root)
                whoosh_figures = CorpusStats(searcher.doc_count_all(),
                                             {f: searcher.avg_field_length(f) for f in ("title", "body")},
                                             {(f, t): searcher.doc_frequency(f, t) for f, t in pairs})
                ours = np.sort(snap.scores(pairs, docs, whoosh_figures))[::-1][:10]
                theirs = np.sort(np.array(list(expected.values()), dtype=np.float64))[::-1][:10]
                np.testing.assert_allclose(ours, theirs, rtol=1e-5, err_msg=text)
                scored += 1
            compared += 1
            phrases += text.startswith('"')
            multi_block += len(docs) > 16 * 4
    assert compared >= 150 and phrases >= 20 and multi_block >= 20 and scored >= 100, \
        (compared, phrases, multi_block, scored)
