"""Versions of one story: the same outlet republishing an article on the same day, lightly edited (a new headline,
a corrected paragraph). Search results collapse them into one result with "N versions"; other outlets' coverage
of the story is not a version (that is same-story coverage, archive/search/related.py).

Two articles are versions when they come from the same outlet, carry the same publication date, and their
openings (title and the first VERSION_CHARS characters of the body, normalized) share most word pairs: a Jaccard
similarity of word bigrams of at least STRONG, or at least WEAK when their titles also share half their words.
Measured on the shared corpus (679,278 same-outlet same-day pairs): 99.5% of pairs are under 0.1; different
stories of a busy news day with the outlet's boilerplate reach 0.5–0.7 (short video items), so a body match alone
needs 0.8, and the republished edits seen there (the same text under a reworded headline) sit at 0.85–1.0.

Only the page being shown is collapsed: the ranked documents are walked until the page has its results, and each
result's later versions are found among the matches of its outlet and day.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from archive.search.engine import Snapshot
from archive.text.normalize import normalize

VERSION_CHARS = 1500
STRONG = 0.8
WEAK = 0.5
TITLE_OVERLAP = 0.5



@dataclass
class Story:
    """A result: its best-ranked document and the other versions (document numbers)."""
    docnum: int
    score: float
    versions: list[int] = field(default_factory=list)


def _fingerprint(snap: Snapshot, docnum: int) -> tuple[frozenset[tuple[str, str]], frozenset[str]]:
    cached = snap.version_cache.get(docnum)
    if cached is not None:
        return cached
    stored = snap.stored(docnum)
    title_words = normalize(stored.get("title") or "").split()
    words = title_words + normalize((stored.get("body") or "")[:VERSION_CHARS]).split()
    value = (frozenset(itertools.pairwise(words)), frozenset(title_words))
    snap.version_cache.put(docnum, value)
    return value


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def are_versions(snap: Snapshot, first: int, second: int) -> bool:
    """Whether two documents of the same outlet and day are versions of one article (see the module's note)."""
    pairs_a, title_a = _fingerprint(snap, first)
    pairs_b, title_b = _fingerprint(snap, second)
    similarity = _jaccard(pairs_a, pairs_b)
    return similarity >= STRONG or (similarity >= WEAK and _jaccard(title_a, title_b) >= TITLE_OVERLAP)


def _key(snap: Snapshot, docnum: int) -> tuple[int, int] | None:
    """Outlet and day; None when either is unknown (an undated or unattributed article is never collapsed)."""
    arrays = snap.arrays
    day = int(arrays.day[docnum])
    source = int(arrays.source_id[docnum])
    if not day or source >= len(arrays.source_names):
        return None
    return source, day


def collapse(snap: Snapshot, ranked: np.ndarray, scores: np.ndarray, matches: np.ndarray, wanted: int) -> list[Story]:
    """The first WANTED stories of the RANKED documents (best first), each with its versions among MATCHES."""
    stories: list[Story] = []
    by_key: dict[tuple[int, int], list[Story]] = {}
    absorbed: set[int] = set()
    arrays = snap.arrays
    match_source = arrays.source_id[matches]
    match_day = arrays.day[matches]
    for docnum, score in zip(ranked.tolist(), scores.tolist(), strict=True):
        if len(stories) >= wanted:
            break
        if docnum in absorbed:
            continue
        key = _key(snap, docnum)
        if key is not None:
            earlier = next((s for s in by_key.get(key, ()) if are_versions(snap, s.docnum, docnum)), None)
            if earlier is not None:  # ranked below its story but not yet seen as its version
                earlier.versions.append(docnum)
                absorbed.add(docnum)
                continue
        story = Story(docnum, score)
        stories.append(story)
        if key is None:
            continue
        by_key.setdefault(key, []).append(story)
        # its versions anywhere among the matches (they may rank pages below it)
        same = matches[(match_source == key[0]) & (match_day == key[1])]
        for other in same.tolist():
            if other != docnum and other not in absorbed and are_versions(snap, docnum, other):
                story.versions.append(other)
                absorbed.add(other)
    return stories
