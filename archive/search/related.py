"""Articles related to one article: "more like this" and the same story told by other outlets.

Both score the archive on the article's key terms: the SIMILAR_TERMS terms of its title (counted twice) and body
with the highest tf-idf, leaving out terms in more than a fifth of the archive. Document frequencies come from the
term index without decoding postings (a common term's postings cost a millisecond to decode).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from archive.index.schema import day_to_date
from archive.search.engine import Snapshot
from archive.text.analysis import analyze_terms

# Key terms of an article for "more like this" and "same story".
SIMILAR_TERMS = 15
SAME_STORY_DAYS = 3
SAME_STORY_MIN_SHARE = 0.3

# (docnum, score, the key terms to highlight)
Related = list[tuple[int, float, set[str]]]


def key_terms(snap: Snapshot, docnum: int, count: int) -> list[str]:
    stored = snap.stored(docnum)
    text = (stored.get("title") or "") + "\n" + (stored.get("title") or "") + "\n" + (stored.get("body") or "")
    frequencies = Counter(analyze_terms(text))
    n = snap.live_count
    weighted = []
    for term, tf in frequencies.items():
        if len(term) < 3 or term.isdigit():
            continue
        df = snap.approximate_doc_frequency("body", term) or 1
        if n >= 200 and df > n * 0.2:  # too common to characterise an article
            continue
        weighted.append(((1 + math.log(tf)) * math.log((n + 1) / df), term))
    weighted.sort(reverse=True)
    return [term for _, term in weighted[:count]]


def _scored_neighbours(snap: Snapshot, article_id: str, terms_count: int
                       ) -> tuple[int, np.ndarray, np.ndarray, float, set[str]]:
    """The article's key terms scored over the archive: (its docnum, other docs, their scores, its own score,
    the key terms); docnum -1 for an unknown id."""
    docnum = snap.docnum_of(article_id)
    if docnum is None:
        return -1, snap.all_docs[:0], np.zeros(0, np.float32), 0.0, set()
    terms = key_terms(snap, docnum, terms_count)
    pairs = [(f, t) for t in terms for f in ("title", "body")]
    docs = snap.union([snap.postings(f, t).ids for f, t in pairs])
    scores = snap.scores(pairs, docs)
    at = int(np.searchsorted(docs, docnum))
    own = float(scores[at]) if at < len(docs) and docs[at] == docnum else 0.0
    keep = docs != docnum
    return docnum, docs[keep], scores[keep], own, set(terms)


def similar_docs(snap: Snapshot, article_id: str, limit: int = 5) -> Related:
    """More like this: articles sharing the article's most distinctive terms, best first."""
    docnum, docs, scores, _, terms = _scored_neighbours(snap, article_id, SIMILAR_TERMS)
    if docnum < 0 or not len(docs):
        return []
    top = np.argsort(-scores, kind="stable")[:limit]
    return [(int(docs[i]), float(scores[i]), terms) for i in top]


def same_story_docs(snap: Snapshot, article_id: str, limit: int = 5) -> Related:
    """Other outlets' articles on the same story: a different source, published within SAME_STORY_DAYS days
    (undated articles only match undated), and scoring at least SAME_STORY_MIN_SHARE of the article's own score
    on its key terms."""
    docnum, docs, scores, own, terms = _scored_neighbours(snap, article_id, SIMILAR_TERMS)
    if docnum < 0 or not len(docs) or own <= 0:
        return []
    arrays = snap.arrays
    own_source = arrays.source_id[docnum]
    keep = (arrays.source_id[docs] != own_source) & (scores >= SAME_STORY_MIN_SHARE * own)
    own_date = day_to_date(int(arrays.day[docnum]))
    if own_date is not None:
        days = arrays.day[docs]
        ordinals = np.array([(day_to_date(int(d)) or own_date).toordinal() if d else -10**6 for d in days.tolist()])
        keep &= np.abs(ordinals - own_date.toordinal()) <= SAME_STORY_DAYS
    else:
        keep &= arrays.day[docs] == 0
    docs, scores = docs[keep], scores[keep]
    top = np.argsort(-scores, kind="stable")[:limit]
    return [(int(docs[i]), float(scores[i]), terms) for i in top]
