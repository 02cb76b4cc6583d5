"""Articles related to one article: "more like this" and the same story told by other outlets.

Both score the archive on the article's key terms: the SIMILAR_TERMS terms of its title (counted twice) and body
with the highest tf-idf, leaving out terms in more than a fifth of the archive. Document frequencies come from the
term index without decoding postings (a common term's postings cost a millisecond to decode).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from archive.index.schema import day_to_date
from archive.search.engine import CorpusStats, Snapshot
from archive.text.analysis import analyze_terms

# Key terms of an article for "more like this" and "same story".
SIMILAR_TERMS = 15
SAME_STORY_DAYS = 3
SAME_STORY_MIN_SHARE = 0.3

# (docnum, score, the key terms to highlight)
Related = list[tuple[int, float, set[str]]]


def key_terms(snap: Snapshot, docnum: int, count: int) -> list[str]:
    return key_terms_of(snap.stored(docnum), count, snap.live_count,
                        lambda terms: [snap.approximate_doc_frequency("body", term) for term in terms])


def candidate_terms(stored: dict[str, Any]) -> Counter[str]:
    """The terms of an article that may characterise it, with their frequencies (the title counted twice)."""
    text = (stored.get("title") or "") + "\n" + (stored.get("title") or "") + "\n" + (stored.get("body") or "")
    return Counter(term for term in analyze_terms(text) if len(term) >= 3 and not term.isdigit())


def key_terms_of(stored: dict[str, Any], count: int, n: int,
                 doc_frequencies: Callable[[list[str]], list[int]]) -> list[str]:
    """The COUNT terms of a stored article with the highest tf-idf in a collection of N live articles;
    DOC_FREQUENCIES gives the body document frequencies of a list of terms at once (a sharded index asks every
    shard in one round)."""
    frequencies = candidate_terms(stored)
    terms = list(frequencies)
    weighted = []
    for term, df in zip(terms, doc_frequencies(terms), strict=True):
        tf = frequencies[term]
        df = df or 1
        if n >= 200 and df > n * 0.2:  # too common to characterise an article
            continue
        weighted.append(((1 + math.log(tf)) * math.log((n + 1) / df), term))
    weighted.sort(reverse=True)
    return [term for _, term in weighted[:count]]


def neighbour_scores(snap: Snapshot, terms: list[str], corpus: CorpusStats | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Every document holding a key term, with its score on the key terms (title and body)."""
    pairs = [(f, t) for t in terms for f in ("title", "body")]
    docs = snap.union([snap.postings(f, t).ids for f, t in pairs])
    return docs, snap.scores(pairs, docs, corpus)


def _scored_neighbours(snap: Snapshot, article_id: str, terms_count: int
                       ) -> tuple[int, np.ndarray, np.ndarray, float, set[str]]:
    """The article's key terms scored over the archive: (its docnum, other docs, their scores, its own score,
    the key terms); docnum -1 for an unknown id."""
    docnum = snap.docnum_of(article_id)
    if docnum is None:
        return -1, snap.all_docs[:0], np.zeros(0, np.float32), 0.0, set()
    terms = key_terms(snap, docnum, terms_count)
    docs, scores = neighbour_scores(snap, terms)
    at = int(np.searchsorted(docs, docnum))
    own = float(scores[at]) if at < len(docs) and docs[at] == docnum else 0.0
    keep = docs != docnum
    return docnum, docs[keep], scores[keep], own, set(terms)


def similar_docs(snap: Snapshot, article_id: str, limit: int = 5) -> Related:
    """More like this: articles sharing the article's most distinctive terms, best first."""
    docnum, docs, scores, _, terms = _scored_neighbours(snap, article_id, SIMILAR_TERMS)
    if docnum < 0 or not len(docs):
        return []
    top = best_first(snap, docs, scores)[:limit]
    return [(int(docs[i]), float(scores[i]), terms) for i in top]


def best_first(snap: Snapshot, docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Positions of DOCS by score, ties by article id (the order a sharded index gives too)."""
    return np.lexsort((snap.arrays.id_rank[docs], -scores))


def same_story_docs(snap: Snapshot, article_id: str, limit: int = 5) -> Related:
    """Other outlets' articles on the same story: a different source, published within SAME_STORY_DAYS days
    (undated articles only match undated), and scoring at least SAME_STORY_MIN_SHARE of the article's own score
    on its key terms."""
    docnum, docs, scores, own, terms = _scored_neighbours(snap, article_id, SIMILAR_TERMS)
    if docnum < 0 or not len(docs) or own <= 0:
        return []
    arrays = snap.arrays
    keep = same_story_mask(snap, docs, scores, int(arrays.source_id[docnum]), int(arrays.day[docnum]), own)
    docs, scores = docs[keep], scores[keep]
    top = best_first(snap, docs, scores)[:limit]
    return [(int(docs[i]), float(scores[i]), terms) for i in top]


def same_story_mask(snap: Snapshot, docs: np.ndarray, scores: np.ndarray, own_source_id: int, own_day: int,
                    own_score: float) -> np.ndarray:
    """Which of DOCS tell the same story as an article of outlet OWN_SOURCE_ID (an id of this index's outlets; -1
    for an outlet it does not hold), published on OWN_DAY, scoring OWN_SCORE on its own key terms."""
    arrays = snap.arrays
    keep = (arrays.source_id[docs] != own_source_id) & (scores >= SAME_STORY_MIN_SHARE * own_score)
    own_date = day_to_date(own_day)
    if own_date is not None:
        days = arrays.day[docs]
        ordinals = np.array([(day_to_date(int(d)) or own_date).toordinal() if d else -10**6 for d in days.tolist()])
        keep &= np.abs(ordinals - own_date.toordinal()) <= SAME_STORY_DAYS
    else:
        keep &= arrays.day[docs] == 0
    return keep
