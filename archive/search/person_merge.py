"""Spellings of one unregistered person merged across the whole archive, at open.

An article's people are indexed as the article spells them (فيليب كوتينيو here, فيليبي كوتينيو there). Which
spellings are one person is decided from the names of the WHOLE archive and the number of articles naming each
(archive/extract/people.py: merge_spellings), so the answer cannot depend on how the archive is laid out:

- one index: from its own live counts, when it is opened (archive/search/engine.py: Snapshot);
- a sharded index: the coordinator adds up every shard's counts, decides once, and every shard applies that one
  decision (archive/search/sharded.py; on a Dask cluster the decision travels to the workers with each request,
  archive/cluster/search.py).

Applied to the per-document arrays (archive/search/docarrays.py), a merged person is one facet entry under its
shown spelling (the registry's name, else the most frequent one), counted once per article whatever spelling the
article uses; the other spellings are its `variants`, and a filter or `person:` with any of them finds all.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import cast

import numpy as np

from archive.extract.people import merge_spellings
from archive.search.docarrays import DocArrays


@dataclass(frozen=True)
class PersonMerge:
    """The decision for one archive: every spelling of a merged person -> the spelling shown (which maps to
    itself). Spellings not listed stay as they are."""
    shown: dict[str, str]
    key: str = field(default="", compare=False)  # a digest of `shown`: which decision a shard applied

    @classmethod
    def of(cls, shown: Mapping[str, str]) -> PersonMerge:
        ordered = dict(sorted(shown.items()))
        digest = hashlib.sha1("\n".join(f"{a}\t{b}" for a, b in ordered.items()).encode("utf-8")).hexdigest()
        return cls(ordered, digest[:16])

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], blocks: Mapping[str, str | None] | None = None) -> PersonMerge:
        """The decision for an archive whose people are COUNTS (spelling -> live articles naming it)."""
        return cls.of(merge_spellings(counts, blocks))

    def variants(self) -> dict[str, list[str]]:
        """{shown spelling: its other spellings (sorted)}."""
        return {shown: list(others) for shown, others in self._variants.items()}

    @cached_property
    def _variants(self) -> dict[str, tuple[str, ...]]:
        found: dict[str, list[str]] = {}
        for spelling, shown in self.shown.items():
            if spelling != shown:
                found.setdefault(shown, []).append(spelling)
        return {shown: tuple(sorted(others)) for shown, others in found.items()}

    def spellings_of(self, shown: str) -> list[str]:
        """The shown spelling first, then its variants; just [shown] for a person not merged. A dictionary
        lookup: the facet's names are asked on every search."""
        return [shown, *self._variants.get(shown, ())]

    def variants_of(self, names: Sequence[str]) -> dict[str, list[str]]:
        """{name: its other spellings} for the NAMES (shown spellings) that are merged people."""
        return {name: list(self._variants[name]) for name in names if name in self._variants}

    def __len__(self) -> int:
        return len(self.shown)


NO_MERGE = PersonMerge.of({})


def live_person_counts(arrays: DocArrays) -> dict[str, int]:
    """{spelling: live articles naming it} of one index (or shard), as the arrays hold the names."""
    counts = np.bincount(arrays.pair_person[arrays.live[arrays.pair_doc]], minlength=len(arrays.person_names))
    return {name: int(n) for name, n in zip(arrays.person_names, counts.tolist(), strict=True) if n}


def decide(counts: Mapping[str, int], blocks: Mapping[str, str]) -> PersonMerge:
    """The decision from whole-archive COUNTS, with BLOCKS (name -> its spelling_block, "" for none) where known."""
    return PersonMerge.from_counts(counts, {name: block or None for name, block in blocks.items()})


def own_decision(arrays: DocArrays) -> PersonMerge:
    """The decision for an index that is the whole archive, from its own live counts."""
    return decide(live_person_counts(arrays), dict(zip(arrays.person_names, arrays.person_blocks, strict=True)))


def position(names: list[str], name: str) -> int | None:
    """Where NAME is in the sorted NAMES (None: absent), without a dictionary of every name."""
    at = bisect.bisect_left(names, name)
    return at if at < len(names) and names[at] == name else None


def merge_person_arrays(arrays: DocArrays, merge: PersonMerge) -> DocArrays:
    """ARRAYS with the spellings of each merged person as one person (named by its shown spelling, names kept
    sorted), each article counted once for it. Unchanged when none of its names is merged. The work per name is a
    set lookup; the rest is per merged spelling or numpy (a few tens of ms for 100,000 names)."""
    names = arrays.person_names
    dropped = {spelling for spelling, shown in merge.shown.items() if spelling != shown}
    kept = np.fromiter((name not in dropped for name in names), dtype=bool, count=len(names))
    if kept.all():
        return arrays
    dropped_at = np.flatnonzero(~kept).tolist()
    # the names stay sorted: drop the merged-away spellings; a shown spelling only another shard holds is added
    missing = sorted({merge.shown[names[at]] for at in dropped_at} - {names[at] for at in np.flatnonzero(kept).tolist()
                                                                      if names[at] in merge.shown})
    if missing:
        block_of = {merge.shown[names[at]]: arrays.person_blocks[at] for at in dropped_at}
        pairs = sorted([*zip(itertools.compress(names, kept), itertools.compress(arrays.person_blocks, kept),
                             strict=True), *((name, block_of[name]) for name in missing)])
        new_names, blocks = [name for name, _ in pairs], [block for _, block in pairs]
        number = {name: i for i, name in enumerate(new_names)}
        remap = np.fromiter((number[merge.shown.get(name, name)] for name in names), dtype=np.int32,
                            count=len(names))
    else:
        new_names = list(itertools.compress(names, kept))
        blocks = list(itertools.compress(arrays.person_blocks, kept))
        remap = (np.cumsum(kept) - 1).astype(np.int32)  # a kept name's place among the kept
        for at in dropped_at:
            remap[at] = remap[cast(int, position(names, merge.shown[names[at]]))]
    pair_doc = arrays.pair_doc
    pair_person = remap[arrays.pair_person] if len(arrays.pair_person) else arrays.pair_person
    # an article naming two spellings of one person counts once: drop the repeated (doc, person) pairs, which can
    # only be pairs of merged people
    merged_ids = np.zeros(len(new_names), dtype=bool)
    shown_at = [position(new_names, shown) for shown in set(merge.shown.values())]
    merged_ids[[at for at in shown_at if at is not None]] = True
    candidates = np.flatnonzero(merged_ids[pair_person])
    if len(candidates):
        keys = pair_doc[candidates].astype(np.int64) * len(new_names) + pair_person[candidates]
        _, first = np.unique(keys, return_index=True)
        if len(first) < len(candidates):
            keep = np.ones(len(pair_doc), dtype=bool)
            keep[candidates] = False
            keep[candidates[first]] = True
            pair_doc, pair_person = pair_doc[keep], pair_person[keep]
    person_start = np.searchsorted(pair_doc, np.arange(arrays.count + 1)).astype(np.int64)
    return replace(arrays, person_names=new_names, pair_doc=pair_doc, pair_person=pair_person.astype(np.int32),
                   person_start=person_start, person_blocks=blocks)
