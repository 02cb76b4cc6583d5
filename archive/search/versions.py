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
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import numpy as np

from archive.search.engine import Snapshot
from archive.text.normalize import normalize

VERSION_CHARS = 1500
STRONG = 0.8
WEAK = 0.5
TITLE_OVERLAP = 0.5



# What two openings are compared by: their word pairs, and their title's words.
Fingerprint = tuple[frozenset[tuple[str, str]], frozenset[str]]


@dataclass
class Story:
    """A result: its best-ranked document and the other versions (document numbers; for a sharded index,
    (shard, document number) pairs)."""
    docnum: Any
    score: float
    versions: list[Any] = field(default_factory=list)


def fingerprint(snap: Snapshot, docnum: int) -> Fingerprint:
    cached = snap.version_cache.get(docnum)
    if cached is not None:
        return cast(Fingerprint, cached)
    stored = snap.stored(docnum)
    title_words = normalize(stored.get("title") or "").split()
    words = title_words + normalize((stored.get("body") or "")[:VERSION_CHARS]).split()
    value = (frozenset(itertools.pairwise(words)), frozenset(title_words))
    snap.version_cache.put(docnum, value)
    return value


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def similar_openings(first: Fingerprint, second: Fingerprint) -> bool:
    """Whether two articles of the same outlet and day are versions of one article (see the module's note)."""
    similarity = _jaccard(first[0], second[0])
    return similarity >= STRONG or (similarity >= WEAK and _jaccard(first[1], second[1]) >= TITLE_OVERLAP)


def are_versions(snap: Snapshot, first: int, second: int) -> bool:
    """Whether two documents of the same outlet and day are versions of one article (see the module's note)."""
    return similar_openings(fingerprint(snap, first), fingerprint(snap, second))


def _key(snap: Snapshot, docnum: int) -> tuple[int, int] | None:
    """Outlet and day; None when either is unknown (an undated or unattributed article is never collapsed)."""
    arrays = snap.arrays
    day = int(arrays.day[docnum])
    source = int(arrays.source_id[docnum])
    if not day or source >= len(arrays.source_names):
        return None
    return source, day


Doc = TypeVar("Doc", bound=Hashable)
Key = TypeVar("Key", bound=Hashable)


def collapse_ranked(ranked: Iterable[tuple[Doc, float]], wanted: int, key_of: Callable[[Doc], Key | None],
                    members: Callable[[Key], Sequence[Doc]], fingerprint_of: Callable[[Doc], Fingerprint]
                    ) -> list[Story]:
    """The first WANTED stories of the RANKED documents (best first), each with its versions among the matches:
    MEMBERS(key) gives the matches of an outlet and day in article-id order (so the versions' order is the same
    in every index layout). The one walk for a single index and for a sharded one (archive/search/sharded.py)."""
    stories: list[Story] = []
    by_key: dict[Key, list[Story]] = {}
    absorbed: set[Doc] = set()
    for docnum, score in ranked:
        if len(stories) >= wanted:
            break
        if docnum in absorbed:
            continue
        key = key_of(docnum)
        if key is not None:
            mark = fingerprint_of(docnum)
            earlier = next((s for s in by_key.get(key, ()) if similar_openings(fingerprint_of(s.docnum), mark)),
                           None)
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
        mark = fingerprint_of(docnum)
        for other in members(key):
            if other != docnum and other not in absorbed and similar_openings(mark, fingerprint_of(other)):
                story.versions.append(other)
                absorbed.add(other)
    return stories


def collapse(snap: Snapshot, ranked: np.ndarray, scores: np.ndarray, matches: np.ndarray, wanted: int) -> list[Story]:
    """The first WANTED stories of the RANKED documents (best first), each with its versions among MATCHES."""
    arrays = snap.arrays
    match_source = arrays.source_id[matches]
    match_day = arrays.day[matches]
    found: dict[tuple[int, int], list[int]] = {}

    def members(key: tuple[int, int]) -> list[int]:
        if key not in found:
            same = matches[(match_source == key[0]) & (match_day == key[1])]
            found[key] = same[np.argsort(arrays.id_rank[same], kind="stable")].tolist()
        return found[key]

    return collapse_ranked(zip(ranked.tolist(), scores.tolist(), strict=True), wanted, lambda d: _key(snap, d),
                           members, lambda d: fingerprint(snap, d))
