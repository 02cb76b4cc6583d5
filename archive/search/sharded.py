"""Searching a sharded index: each shard answers for its own articles, and the answers merge into exactly the
answer one index holding every article gives (archive/index/shards.py: the layout).

    archive = Archive.open("index")          # a sharded generation opens as a ShardedArchive, same methods
    archive.search("بوتين", persons=["فلاديمير بوتين"]).facets["person"]

What keeps the merged answer identical to one index's:

- **Collection-wide statistics** (Elasticsearch's dfs_query_then_fetch): BM25's article count, mean field lengths
  and each scored term's document frequency are summed over the shards before any shard scores
  (engine.CorpusStats), so a shard scores an article as one index would, to the last bit of the float32.
- **One resolution for the whole collection**: person and outlet names given as filters or `person:` / `source:`
  are resolved against every shard's names here (a name one shard lacks must not fall back to a substring match
  there), prefixes are expanded to the collection's most frequent terms, and the query tree the shards receive
  carries the result (ResolvedFieldMatch, words in place of prefixes).
- **A total order**: every sort ends on the article id, which a shard and a single index share (document numbers
  differ between layouts); a shard returns its best `first + limit`, and the best of those are the best overall.
- **Exact facets**: each shard counts every match under every name; counts are added name by name.
- **One decision on spellings**: which spellings are one person (archive/search/person_merge.py) is decided here
  from the counts of every shard added up, as one index decides from its own, and every shard applies that decision
  before it counts or filters (a shard deciding from its own counts would merge differently).
- **The fallback** (any word when no article has them all) is decided on the collection's total: a shard computes
  its any-word answer whenever it has no all-word match, which every shard has when the collection has none.
- **Metadata facets** (section, ...) are resolved against the collection's values (archive/search/facet_filters.py)
  and counted like the others; **versions** of one article, which may sit in different shards (same outlet and
  day, other ids), are collapsed here by the single index's own walk (versions.collapse_ranked), the shards giving
  the openings' fingerprints of each outlet and day met; **coverage** adds the shards' outlet-by-month counts.

Where shards run is the backend's business: `LocalShards` (this process; shards searched side by side in threads)
or the Dask cluster's workers (archive/cluster/search.py). Both run the same `Shard` methods.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from archive.article import Article
from archive.extract.entities import canonical_entity
from archive.extract.people import canonical_person
from archive.extract.sources import canonical_source
from archive.index.schema import ENTITY_FIELDS, date_to_day, day_to_date, versions
from archive.index.shards import shard_count, shard_dirs, shard_of, toc_generation
from archive.index.store import check_versions, current_index_path, directory_bytes, read_build_info
from archive.index.whoosh_io import field_terms
from archive.search.cache import LRU
from archive.search.docarrays import _top
from archive.search.engine import CorpusStats, Snapshot, fold_name, resolve_names, scored_pairs, within
from archive.search.facet_filters import (
    EntityFilters,
    MetadataFilters,
    ResolvedFilters,
    entity_filters,
    entity_filters_set,
    merged_person_notices,
    resolve_metadata,
    unknown_entity_notices,
    unknown_metadata_notices,
    unknown_name_notices,
)
from archive.search.names import person_spellings, widen_person_names
from archive.search.notices import Notice
from archive.search.person_merge import (
    NO_MERGE,
    PersonMerge,
    decide,
    decision_digest,
    live_entity_counts,
    live_person_counts,
)
from archive.search.query import (
    And,
    FieldMatch,
    Node,
    Not,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    Word,
    has_implicit_and,
    iter_positive,
    parse,
    with_match,
)
from archive.search.related import (
    SAME_STORY_MIN_SHARE,
    SIMILAR_TERMS,
    best_first,
    candidate_terms,
    key_terms_of,
    neighbour_scores,
    same_story_mask,
)
from archive.search.results import (
    FALLBACK_NOTICE,
    MATCHES,
    MAX_LIMIT,
    SORTS,
    Hit,
    SearchResult,
    build_hit,
    name_stats,
    persons_of,
    ranked_counts,
)
from archive.search.snippets import highlight_text
from archive.search.suggest import suggest_queries
from archive.search.versions import Fingerprint, Story, collapse_ranked, fingerprint

# A page this deep or shallower is rendered by the shards in the same round as the search (each builds the hits
# of its own best `first + limit`); deeper pages fetch only the page's hits in a second round.
INLINE_HITS_UP_TO = 50
# Stored articles per request when exporting every match.
EXPORT_BATCH = 256
FACETS = ("person", "source", "month", *ENTITY_FIELDS)
# Facet keys of a shard's answer for metadata facets ("meta:section"): apart from person/source/month whatever
# the facet is called.
META = "meta:"


# ---------------------------------------------------------------- what travels between coordinator and shards

@dataclass(frozen=True)
class ResolvedFieldMatch(FieldMatch):
    """`person:` / `source:` resolved against the whole collection's names (the shards do not resolve)."""
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filters:
    """Resolved filters: None for a filter not given; an empty tuple for one matching no name at all."""
    persons: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None
    day_from: int | None = None
    day_to: int | None = None
    include_undated: bool = False
    metadata: ResolvedFilters = ()  # metadata facet -> values, resolved against the collection's values
    entities: ResolvedFilters = ()  # place / organization -> names, resolved against the collection's names

    @property
    def active(self) -> bool:
        return self.persons is not None or self.sources is not None or self.day_from is not None \
            or self.day_to is not None or bool(self.metadata) or bool(self.entities)


@dataclass(frozen=True)
class ShardQuery:
    node: Node | None  # the all-words tree, resolved; None: browse (or nothing, see `nothing`)
    any_node: Node | None  # the any-words tree when the fallback may be needed
    nothing: bool  # a query with nothing searchable: no article matches
    filters: Filters
    sort: str
    count: int | None  # how many of the shard's best to return; None: every match
    corpus: CorpusStats | None
    facets: bool = True
    hit_terms: frozenset[str] | None = None  # build the candidates' hits, marking these terms; None: don't


@dataclass
class ShardPart:
    """One shard's answer for one variant (all words, or the any-word fallback)."""
    total: int
    unfiltered: int
    facets: dict[str, tuple[np.ndarray, np.ndarray]]  # facet -> (local name ids, counts), nonzero only
    docnums: np.ndarray
    scores: np.ndarray
    days: np.ndarray
    ids: list[str]
    source_ids: np.ndarray  # the candidates' outlets, in this shard's name ids
    hits: list[Hit] | None = None


@dataclass
class ShardInfo:
    number: int
    source_names: list[str]
    person_names: list[str]
    month_keys: list[str]
    live_count: int
    length_sums: dict[str, float]
    toc_generation: int
    metadata: dict[str, list[str]]  # metadata facet -> its values in this shard (sorted)
    entity_names: dict[str, list[str]] = field(default_factory=dict)  # place / organization -> names (sorted)
    person_counts: list[int] = field(default_factory=list)  # live articles naming each person
    person_blocks: list[str] = field(default_factory=list)  # spelling_block of each person name ("" for none)
    person_merge_key: str = ""  # the spellings decision the shard applied (PersonMerge.key)
    # place / organization -> {name: live articles naming it}, for the collection's decision on their spellings
    entity_counts: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class NeighbourQuery:
    terms: tuple[str, ...]
    corpus: CorpusStats
    own_id: str
    same_story: bool
    own_source: str | None
    own_day: int
    limit: int


# ---------------------------------------------------------------- one shard

class ShardSnapshot(Snapshot):
    """A shard opened for searching: a Snapshot that takes person / outlet names already resolved for the whole
    collection (a plain `person:` would be resolved against this shard's names alone), and that merges spellings of
    one person as the collection decided (with_person_merge), never from its own counts."""

    decides_person_merge = False

    def field_match_mask(self, node: FieldMatch) -> np.ndarray:
        if isinstance(node, ResolvedFieldMatch):
            names = list(node.names)
            if node.field == "source":
                return self.arrays.sources_mask(names)
            if node.field in self.arrays.entities:
                return self.arrays.entity_mask(node.field, names)
            return self.arrays.persons_mask(names)
        return super().field_match_mask(node)


class Shard:
    """The operations a coordinator asks of one shard; run in this process or on a Dask worker."""

    def __init__(self, index_dir: Path, path: Path, number: int) -> None:
        self.number = number
        self.snap = ShardSnapshot(index_dir, path)
        # article ids in sorted order: id_rank indexes it, so a document's id costs no stored-field read
        with self.snap.lock:
            self.sorted_ids = field_terms(self.snap.reader, "id")

    def close(self) -> None:
        self.snap.close()

    def with_person_merge(self, merge: PersonMerge) -> Shard:
        """This shard with the collection's decision on spellings applied (the same open index underneath)."""
        if merge.key == self.snap.person_merge.key:
            return self
        other = copy.copy(self)
        other.snap = self.snap.with_person_merge(merge)  # type: ignore[assignment]
        return other

    def describe(self) -> ShardInfo:
        arrays = self.snap.arrays
        counts = live_person_counts(arrays)
        return ShardInfo(
            number=self.number, source_names=list(arrays.source_names), person_names=list(arrays.person_names),
            month_keys=list(arrays.month_keys), live_count=int(arrays.live_count),
            length_sums={name: float(lengths[arrays.live].sum(dtype=np.float64))
                         for name, lengths in self.snap.field_lengths.items()},
            toc_generation=self.snap.toc_generation,
            metadata={name: list(facet.values) for name, facet in arrays.metadata.items()},
            entity_names={name: list(entity.names) for name, entity in arrays.entities.items()},
            person_counts=[counts.get(name, 0) for name in arrays.person_names],
            person_blocks=list(arrays.person_blocks), person_merge_key=self.snap.person_merge.key,
            entity_counts=live_entity_counts(arrays))

    def set_caching(self, enabled: bool | None) -> None:
        """Empty the caches; with ENABLED True/False also switch them on/off."""
        snap = self.snap
        for cache in (snap.term_cache, snap.match_cache, snap.mask_cache, snap.prefix_cache):
            if enabled is not None:
                cache.enabled = enabled
            cache.clear()

    # ------------------------------------------------------------ statistics

    def doc_frequencies(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        return [self.snap.doc_frequency(fieldname, term) for fieldname, term in pairs]

    def approximate_doc_frequencies(self, terms: Sequence[str]) -> list[int]:
        return [self.snap.approximate_doc_frequency("body", term) for term in terms]

    def prefix_terms(self, prefixes: tuple[str, ...], fields: tuple[str, ...]) -> dict[tuple[str, str], list[str]]:
        """For each (field, prefix): the first 4,000 index terms starting with it, in term order. The union of
        every shard's lists holds the collection's first 4,000 (a term's rank in a shard is at most its rank in the
        collection)."""
        found: dict[tuple[str, str], list[str]] = {}
        with self.snap.lock:
            for fieldname in fields:
                for prefix in prefixes:
                    terms = []
                    for number, term in enumerate(self.snap.reader.expand_prefix(fieldname, prefix)):
                        if number >= 4000:
                            break
                        terms.append(term.decode("utf-8") if isinstance(term, bytes) else term)
                    found[(fieldname, prefix)] = terms
        return found

    def raw_doc_frequencies(self, pairs: Sequence[tuple[str, str]]) -> list[int]:
        """From the term index (deleted documents included), as prefix expansion ranks them."""
        with self.snap.lock:
            return [int(self.snap.reader.doc_frequency(fieldname, term)) for fieldname, term in pairs]

    def terms_within(self, fieldname: str, text: str, maxdist: int, prefix: int) -> list[str]:
        with self.snap.lock:
            return sorted(term.decode("utf-8") if isinstance(term, bytes) else term
                          for term in self.snap.reader.terms_within(fieldname, text, maxdist, prefix=prefix))

    # ------------------------------------------------------------ search

    def _mask(self, filters: Filters) -> np.ndarray | None:
        if not filters.active:
            return None
        snap = self.snap
        key = ("resolved", filters)
        cached = snap.mask_cache.get(key)
        if cached is not None:
            return cached
        mask = snap.live.copy()
        if filters.persons is not None:
            mask &= snap.arrays.persons_mask(list(filters.persons))
        if filters.sources is not None:
            mask &= snap.arrays.sources_mask(list(filters.sources))
        if filters.day_from is not None or filters.day_to is not None:
            mask &= snap.arrays.date_mask(filters.day_from, filters.day_to, filters.include_undated)
        for name, values in filters.metadata:
            mask &= snap.arrays.metadata_mask(name, list(values))
        for name, values in filters.entities:
            mask &= snap.arrays.entity_mask(name, list(values))
        snap.mask_cache.put(key, mask)
        return mask

    def search(self, query: ShardQuery) -> dict[str, ShardPart]:
        """"all": the answer for the all-words tree (or browsing); "any" too when the fallback may be needed and
        this shard has no all-words match."""
        snap = self.snap
        mask = self._mask(query.filters)
        if query.node is None:
            docs = snap.all_docs[:0] if query.nothing else within(snap.all_docs, mask)
            return {"all": self._part(query, None, docs, len(docs))}
        unfiltered = snap.docs(query.node)
        docs = within(unfiltered, mask)
        parts = {"all": self._part(query, query.node, docs, len(unfiltered))}
        if query.any_node is not None and not len(docs):
            any_docs = within(snap.docs(query.any_node), mask)
            parts["any"] = self._part(query, query.any_node, any_docs, len(any_docs))
        return parts

    def _part(self, query: ShardQuery, node: Node | None, docs: np.ndarray, unfiltered: int) -> ShardPart:
        snap = self.snap
        arrays = snap.arrays
        facets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if query.facets and len(docs):
            counts = {
                "source": np.bincount(arrays.source_id[docs], minlength=len(arrays.source_names) + 1),
                "month": np.bincount(arrays.month_id[docs], minlength=len(arrays.month_keys) + 1),
                **arrays.name_counts(docs),  # "person", place, organization
                **{META + name: np.bincount(facet.value_id[docs], minlength=len(facet.values) + 1)
                   for name, facet in arrays.metadata.items()},
            }
            for name, values in counts.items():
                nonzero = np.flatnonzero(values)
                facets[name] = (nonzero.astype(np.int32), values[nonzero].astype(np.int64))
        top, scores = snap.ordered(docs, node, query.sort, query.count, query.corpus)
        ids = [self.sorted_ids[rank] for rank in arrays.id_rank[top].tolist()]
        hits = None
        if query.hit_terms is not None:
            hits = self.hits(top, scores, query.hit_terms)
        return ShardPart(total=len(docs), unfiltered=unfiltered, facets=facets, docnums=top, scores=scores,
                         days=arrays.day[top].astype(np.int32), ids=ids, source_ids=arrays.source_id[top], hits=hits)

    def _variant_docs(self, query: ShardQuery, variant: str) -> np.ndarray:
        """The matches of one variant of a query ("all", or "any": the fallback), as `search` finds them."""
        snap = self.snap
        mask = self._mask(query.filters)
        node = query.any_node if variant == "any" else query.node
        if node is None:
            return snap.all_docs[:0] if query.nothing else within(snap.all_docs, mask)
        return within(snap.docs(node), mask)

    def version_members(self, query: ShardQuery, variant: str, keys: Sequence[tuple[str, int]]
                        ) -> dict[tuple[str, int], list[tuple[int, str, Fingerprint]]]:
        """For each (outlet, day): this shard's matches of that outlet and day, as (document number, article id,
        fingerprint of the opening): what collapsing versions compares."""
        snap = self.snap
        arrays = snap.arrays
        docs = self._variant_docs(query, variant)
        source_id = {name: number for number, name in enumerate(arrays.source_names)}
        match_source, match_day = arrays.source_id[docs], arrays.day[docs]
        found: dict[tuple[str, int], list[tuple[int, str, Fingerprint]]] = {}
        for source, day in keys:
            if source not in source_id:
                continue
            same = docs[(match_source == source_id[source]) & (match_day == day)]
            if len(same):
                found[(source, day)] = [(docnum, self.sorted_ids[int(arrays.id_rank[docnum])],
                                         fingerprint(snap, docnum)) for docnum in same.tolist()]
        return found

    def coverage_part(self, query: ShardQuery) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per variant ("all"; "any" too when the fallback may be needed and this shard has no all-words match):
        (matches by outlet and month, every live article by outlet and month), in this shard's name ids, the last
        row "unknown outlet", the last column "undated"."""
        snap = self.snap
        arrays = snap.arrays
        months = len(arrays.month_keys) + 1
        outlets = len(arrays.source_names) + 1

        def per_outlet_month(docs: np.ndarray) -> np.ndarray:
            cells = arrays.source_id[docs].astype(np.int64) * months + arrays.month_id[docs]
            return np.bincount(cells, minlength=outlets * months).reshape(outlets, months)

        totals = snap.version_cache.get("outlet-month totals")
        if totals is None:
            totals = per_outlet_month(snap.all_docs)
            snap.version_cache.put("outlet-month totals", totals)
        docs = self._variant_docs(query, "all")
        found = {"all": (per_outlet_month(docs), totals)}
        if query.any_node is not None and query.node is not None and not len(docs):
            found["any"] = (per_outlet_month(self._variant_docs(query, "any")), totals)
        return found

    # ------------------------------------------------------------ documents

    def hits(self, docnums: np.ndarray, scores: np.ndarray, terms: frozenset[str] | set[str]) -> list[Hit]:
        snap = self.snap
        return [build_hit(snap.stored(int(d)), int(snap.arrays.day[int(d)]), int(d), float(s), set(terms),
                          snap.arrays.metadata_of(int(d)))
                for d, s in zip(np.asarray(docnums).tolist(), np.asarray(scores).tolist(), strict=True)]

    def export_records(self, docnums: Sequence[int]) -> list[dict[str, Any]]:
        snap = self.snap
        records = []
        for docnum in docnums:
            stored = snap.stored(int(docnum))
            published = day_to_date(int(snap.arrays.day[int(docnum)]))
            records.append({"id": str(stored.get("id")), "title": stored.get("title") or "",
                            "source": stored.get("source") or None,
                            "date": published.isoformat() if published else None,
                            "persons": persons_of(stored), "url": stored.get("url") or None,
                            "body": stored.get("body") or "", "places": persons_of(stored, "places"),
                            "organizations": persons_of(stored, "organizations"),
                            **snap.arrays.metadata_of(int(docnum))})
        return records

    def article(self, article_id: str) -> tuple[dict[str, Any], int, dict[str, str]] | None:
        """(stored fields, day number, metadata facets) of an article, None when this shard does not hold it."""
        docnum = self.snap.docnum_of(article_id)
        if docnum is None:
            return None
        return self.snap.stored(docnum), int(self.snap.arrays.day[docnum]), self.snap.arrays.metadata_of(docnum)

    def highlight(self, article_id: str, terms: frozenset[str]) -> str:
        found = self.article(article_id)
        if found is None:
            return ""
        return highlight_text(found[0].get("body") or "", set(terms))

    def neighbours(self, query: NeighbourQuery) -> tuple[list[tuple[float, Hit]], float | None]:
        """This shard's best `limit` articles on the key terms (same story: other outlets, near dates), as hits;
        and the article's own score when this shard holds it."""
        snap = self.snap
        docs, scores = neighbour_scores(snap, list(query.terms), query.corpus)
        own_doc = snap.docnum_of(query.own_id)
        own_score = None
        if own_doc is not None:
            at = int(np.searchsorted(docs, own_doc))
            own_score = float(scores[at]) if at < len(docs) and docs[at] == own_doc else 0.0
            keep = docs != own_doc
            docs, scores = docs[keep], scores[keep]
        if query.same_story:
            names = snap.arrays.source_names
            if query.own_source is None:
                own_source_id = len(names)  # "unknown outlet"
            else:
                own_source_id = names.index(query.own_source) if query.own_source in names else -1
            keep = same_story_mask(snap, docs, scores, own_source_id, query.own_day, 0.0)
            docs, scores = docs[keep], scores[keep]
        top = best_first(snap, docs, scores)[:query.limit]
        hits = self.hits(docs[top], scores[top], frozenset(query.terms))
        # the unrounded scores: the coordinator ranks and thresholds on them, as one index would
        return list(zip(scores[top].tolist(), hits, strict=True)), own_score

    def stats_part(self) -> dict[str, Any]:
        snap = self.snap
        arrays = snap.arrays
        docs = snap.all_docs
        dated = arrays.day[docs][arrays.day[docs] > 0]
        names = arrays.name_counts(docs)
        return {
            "articles": len(docs),
            "sources": np.bincount(arrays.source_id[docs], minlength=len(arrays.source_names) + 1),
            **names,  # "person", place, organization
            "first_day": int(dated.min()) if len(dated) else None,
            "last_day": int(dated.max()) if len(dated) else None,
            "undated": int(len(docs) - len(dated)),
            "index_bytes": directory_bytes(snap.path),
        }


# ---------------------------------------------------------------- where the shards run

class ShardBackend(Protocol):
    """Runs Shard methods: `run_all` on every shard (one call each, same order as the shards), `run_some` on the
    shards named."""
    count: int

    def run_all(self, method: str, *args: Any) -> list[Any]: ...

    def run_some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]: ...

    def set_person_merge(self, merge: PersonMerge) -> list[ShardInfo]:
        """Every shard applies MERGE from now on; returns their `describe()` under it."""
        ...

    def close(self) -> None: ...


class LocalShards:
    """Every shard open in this process; a search asks them side by side on a thread pool (numpy and file reads
    release the GIL for part of the work)."""

    def __init__(self, index_dir: Path, generation: Path, count: int, threads: int | None = None) -> None:
        self.count = count
        self.directories = shard_dirs(generation, count)
        self.threads = max(1, min(count, threads or 2))
        self.pool = ThreadPoolExecutor(self.threads, thread_name_prefix="news-archive-shard") \
            if self.threads > 1 else None
        opened: list[Shard] = []
        try:
            for number, directory in enumerate(self.directories):
                opened.append(Shard(index_dir, directory, number))
        except BaseException:
            for shard in opened:
                shard.close()
            raise
        self.shards = opened

    def run_all(self, method: str, *args: Any) -> list[Any]:
        if self.pool is None:
            return [getattr(shard, method)(*args) for shard in self.shards]
        return list(self.pool.map(lambda shard: getattr(shard, method)(*args), self.shards))

    def run_some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]:
        return {number: getattr(self.shards[number], method)(*args) for number, (method, args) in calls.items()}

    def set_person_merge(self, merge: PersonMerge) -> list[ShardInfo]:
        self.shards = [shard.with_person_merge(merge) for shard in self.shards]
        return [shard.describe() for shard in self.shards]

    def close(self) -> None:
        for shard in self.shards:
            shard.close()
        if self.pool is not None:
            self.pool.shutdown(wait=False)


# ---------------------------------------------------------------- the collection, as the coordinator sees it

class Collection:
    """The merged view of every shard's names and statistics, and the map from each shard's name ids to the
    collection's."""

    def __init__(self, infos: list[ShardInfo], merge: PersonMerge = NO_MERGE) -> None:
        self.infos = infos
        self.person_merge = merge
        self.names: dict[str, list[str]] = {
            "source": sorted({n for info in infos for n in info.source_names}),
            "person": sorted({n for info in infos for n in info.person_names}),
            "month": sorted({n for info in infos for n in info.month_keys}),
            **{facet: sorted({n for info in infos for n in info.entity_names.get(facet, ())})
               for facet in ENTITY_FIELDS},
        }
        # metadata facets: each facet's values over every shard, facets in name order (as DocArrays holds them)
        self.metadata: dict[str, list[str]] = {
            name: sorted({v for info in infos for v in info.metadata.get(name, ())})
            for name in sorted({name for info in infos for name in info.metadata})}
        self.names.update({META + name: values for name, values in self.metadata.items()})
        self.local_to_global: list[dict[str, np.ndarray]] = []
        for info in infos:
            maps = {}
            for facet, local in (("source", info.source_names), ("person", info.person_names),
                                 ("month", info.month_keys),
                                 *((facet, info.entity_names.get(facet, [])) for facet in ENTITY_FIELDS),
                                 *((META + name, info.metadata.get(name, [])) for name in self.metadata)):
                index = {name: i for i, name in enumerate(self.names[facet])}
                # the extra last id ("unknown outlet", "undated") maps to the collection's
                maps[facet] = np.array([index[name] for name in local] + [len(self.names[facet])], dtype=np.int64)
            self.local_to_global.append(maps)
        live = sum(info.live_count for info in infos)
        self.live_count = max(live, 1)  # as Snapshot.live_count
        self.avg_length = {name: (sum(info.length_sums[name] for info in infos) / live if live else 1.0)
                           for name in ("title", "body")}
        self.lookup = {facet: {fold_name(name): i for i, name in enumerate(self.names[facet])}
                       for facet in ("source", "person", *ENTITY_FIELDS)}
        person_number = {name: i for i, name in enumerate(self.names["person"])}
        for spelling, shown in merge.shown.items():  # any spelling of a merged person finds it, as in one index
            if shown in person_number:
                self.lookup["person"].setdefault(fold_name(spelling), person_number[shown])
        self.toc_generations = [info.toc_generation for info in infos]

    def resolve_sources(self, values: Sequence[str]) -> list[str]:
        return resolve_names(values, self.names["source"], self.lookup["source"], canonical_source)

    def resolve_persons(self, values: Sequence[str]) -> list[str]:
        return resolve_names(values, self.names["person"], self.lookup["person"], canonical_person)

    def resolve_entities(self, facet: str, values: Sequence[str]) -> list[str]:
        return resolve_names(values, self.names[facet], self.lookup[facet],
                             lambda value: canonical_entity(value, facet))

    def person_variants(self, names: Sequence[str]) -> dict[str, list[str]]:
        """As Snapshot.person_variants, for the collection."""
        return self.person_merge.variants_of(names)

    def merge_counts(self, facet: str, parts: Sequence[tuple[int, tuple[np.ndarray, np.ndarray]]]) -> np.ndarray:
        """Counts under the collection's names (plus the last "none" slot) from (shard, (local ids, counts))."""
        total = np.zeros(len(self.names[facet]) + 1, dtype=np.int64)
        for shard, (ids, counts) in parts:
            np.add.at(total, self.local_to_global[shard][facet][ids], counts)
        return total

    def facets(self, parts: Sequence[tuple[int, ShardPart]], facet_limit: int
               ) -> dict[str, list[tuple[str | None, int]]]:
        """Exactly DocArrays.facet_counts of one index holding every shard's matches."""
        counts = {facet: self.merge_counts(facet, [(shard, part.facets[facet]) for shard, part in parts
                                                   if facet in part.facets])
                  for facet in (*FACETS, *(META + name for name in self.metadata))}
        months = counts["month"]
        month_names = self.names["month"]
        return {
            "person": _top(self.names["person"], counts["person"][: len(self.names["person"])], facet_limit),
            "source": _top(self.names["source"], counts["source"][: len(self.names["source"])], facet_limit),
            "month": [(key, int(n)) for key, n in zip(month_names, months[: len(month_names)], strict=True) if n]
            + ([(None, int(months[-1]))] if months[-1] else []),
            **{name: _top(values, counts[META + name][: len(values)], facet_limit)
               for name, values in self.metadata.items()},
            **{facet: _top(self.names[facet], counts[facet][: len(self.names[facet])], facet_limit)
               for facet in ENTITY_FIELDS},
        }


# The collection's decision on spellings, kept in the generation directory per state of the shards (their TOC
# generations) and rules, so that opening a sharded index again costs no name comparisons.
MERGE_CACHE_PREFIX = "person-merge-"


def open_collection(backend: ShardBackend, generation: Path | None = None) -> Collection:
    """The collection of BACKEND's shards, with the spellings of one person merged as one index holding every
    article would merge them: decided once from the shards' counts added up (or read from the decision kept in
    GENERATION for this very state), then applied by every shard."""
    infos = backend.run_all("describe")
    key = hashlib.sha1(json.dumps([[info.toc_generation for info in infos], decision_digest()]).encode())
    cache = generation / f"{MERGE_CACHE_PREFIX}{key.hexdigest()[:16]}.json" if generation is not None else None
    merge = _read_merge(cache)
    if merge is None:
        counts: dict[str, int] = {}
        blocks: dict[str, str] = {}
        for info in infos:
            for name, count, block in zip(info.person_names, info.person_counts, info.person_blocks, strict=True):
                counts[name] = counts.get(name, 0) + count
                blocks[name] = block
        entity_counts: dict[str, dict[str, int]] = {}
        for info in infos:
            for facet, found in info.entity_counts.items():
                totals = entity_counts.setdefault(facet, {})
                for name, count in found.items():
                    totals[name] = totals.get(name, 0) + count
        merge = decide({name: count for name, count in counts.items() if count}, blocks, entity_counts)
        _write_merge(cache, merge)
    return Collection(backend.set_person_merge(merge), merge)


def _read_merge(path: Path | None) -> PersonMerge | None:
    if path is None:
        return None
    try:
        return PersonMerge.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def _write_merge(path: Path | None, merge: PersonMerge) -> None:
    """Keep the decision beside the shards (atomically); a read-only index just decides again next time."""
    if path is None:
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with contextlib.suppress(OSError):
        try:
            temporary.write_text(json.dumps(merge.to_json(), ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, path)
            for stale in path.parent.glob(f"{MERGE_CACHE_PREFIX}*.json"):
                if stale != path:
                    stale.unlink(missing_ok=True)
        finally:
            temporary.unlink(missing_ok=True)


def _filters_set(persons: Sequence[str], sources: Sequence[str], date_from: datetime.date | None,
                 date_to: datetime.date | None, metadata: ResolvedFilters) -> list[str]:
    """The names of the filters in use (person, source, date, metadata facet names), for the notices: as
    archive.py's."""
    names = [name for name, used in (("person", any(p and str(p).strip() for p in persons or ())),
                                     ("source", any(s and str(s).strip() for s in sources or ())),
                                     ("date", date_from is not None or date_to is not None)) if used]
    return names + [name for name, _ in metadata]


def _walk(node: Node | None) -> Iterator[Node]:
    """Every node of a tree, negated ones included."""
    if node is None:
        return
    yield node
    if isinstance(node, And | Or):
        for child in node.children:
            yield from _walk(child)
    elif isinstance(node, Not):
        yield from _walk(node.child)




def _sort_key(sort: str, score: float, day: int, article_id: str) -> tuple[Any, ...]:
    """The total order of every index layout: relevance = score, newer, id; date sorts = day (undated last), id."""
    if sort == "relevance":
        return (-score, -day, article_id)
    return (day == 0, -day if sort == "newest" else day, article_id)


class _MergedReader:
    """What did-you-mean reads of an index reader: its terms near a word, here from every shard."""

    def __init__(self, backend: ShardBackend) -> None:
        self.backend = backend

    def terms_within(self, fieldname: str, text: str, maxdist: int, prefix: int = 0) -> list[str]:
        found = self.backend.run_all("terms_within", fieldname, text, maxdist, prefix)
        return sorted({term for terms in found for term in terms})


class _CollectionView:
    """The part of a Snapshot did-you-mean uses, answered for the whole collection."""

    def __init__(self, archive: ShardedArchive) -> None:
        self.archive = archive
        self.lock = contextlib.nullcontext()
        self.reader = _MergedReader(archive.backend)

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return self.archive.doc_frequencies([(fieldname, term)])[(fieldname, term)]


# ---------------------------------------------------------------- the facade

class ShardedArchive:
    """An open sharded index: the methods of archive.search.archive.Archive, answered by merging the shards'."""

    def __init__(self, index_dir: Path, generation: Path, backend: ShardBackend,
                 reopen: Callable[[Path, int], ShardBackend] | None = None) -> None:
        self.index_dir = index_dir
        self.generation = generation
        self.backend = backend
        self._reopen = reopen
        self._reload_lock = threading.Lock()
        self._parse_cache = LRU(2048)
        self._df_cache = LRU(200_000)
        self._prefix_cache = LRU(1024)
        self.collection = open_collection(backend, generation)

    @classmethod
    def open_local(cls, index_dir: Path, generation: Path, threads: int | None = None) -> ShardedArchive:
        count = shard_count(generation)
        return cls(index_dir, generation, LocalShards(index_dir, generation, count, threads),
                   lambda path, shards: LocalShards(index_dir, path, shards, threads))

    @property
    def shards(self) -> int:
        return self.backend.count

    @property
    def path(self) -> Path:
        return self.generation

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> ShardedArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def changed_on_disk(self) -> bool:
        try:
            generation = current_index_path(self.index_dir)
        except Exception:  # keep serving the open index rather than losing it
            return False
        if generation.resolve() != self.generation.resolve():
            return True
        try:
            return [toc_generation(d) for d in shard_dirs(generation, self.shards)] != \
                self.collection.toc_generations
        except OSError:
            return False

    def reload_if_changed(self) -> bool:
        with self._reload_lock:
            if self._reopen is None or not self.changed_on_disk():
                return False
            generation = current_index_path(self.index_dir)
            check_versions(self.index_dir)
            backend = self._reopen(generation, shard_count(generation))
            collection = open_collection(backend, generation)
            old = self.backend
            self.backend, self.collection, self.generation = backend, collection, generation
            for cache in (self._df_cache, self._prefix_cache):
                cache.clear()
            old.close()
            return True

    def clear_caches(self) -> None:
        for cache in (self._df_cache, self._prefix_cache, self._parse_cache):
            cache.clear()
        self.backend.run_all("set_caching", None)

    def set_caching(self, enabled: bool) -> None:
        for cache in (self._df_cache, self._prefix_cache, self._parse_cache):
            cache.enabled = enabled
            cache.clear()
        self.backend.run_all("set_caching", enabled)

    # ------------------------------------------------------------ collection statistics

    def parse(self, query: str) -> ParsedQuery:
        """As Archive.parse: names widened to every spelling, registered and merged (archive/search/names.py)."""
        merge = self.collection.person_merge
        cached = self._parse_cache.get((query, merge.key))
        if cached is None:
            cached = widen_person_names(parse(query), merge)
            self._parse_cache.put((query, merge.key), cached)
        return cached

    def doc_frequencies(self, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Live document frequencies over every shard (one round for all the pairs not cached)."""
        found: dict[tuple[str, str], int] = {}
        missing = []
        for pair in dict.fromkeys(pairs):
            cached = self._df_cache.get(pair)
            if cached is None:
                missing.append(pair)
            else:
                found[pair] = cached
        if missing:
            per_shard = self.backend.run_all("doc_frequencies", missing)
            for number, pair in enumerate(missing):
                found[pair] = sum(frequencies[number] for frequencies in per_shard)
                self._df_cache.put(pair, found[pair])
        return found

    def expand_prefixes(self, leaves: list[Prefix]) -> dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]]:
        """Each prefix's expansion over the collection: what Snapshot.expand_prefix gives on one index."""
        expansions: dict[tuple[tuple[str, ...], tuple[str, ...]], list[str]] = {}
        for leaf in leaves:
            key = (leaf.prefixes, leaf.fields)
            if key in expansions:
                continue
            cached = self._prefix_cache.get(key)
            if cached is not None:
                expansions[key] = cached
                continue
            lists = self.backend.run_all("prefix_terms", leaf.prefixes, leaf.fields)
            scanned_pairs: list[tuple[str, str]] = []
            for fieldname in leaf.fields:
                for prefix in leaf.prefixes:
                    first = sorted({t for terms in lists for t in terms[(fieldname, prefix)]})[:4000]
                    scanned_pairs.extend((fieldname, t) for t in first)
            counts = self.backend.run_all("raw_doc_frequencies", scanned_pairs)
            scanned: dict[str, int] = {}
            for number, (_, term) in enumerate(scanned_pairs):
                scanned[term] = scanned.get(term, 0) + sum(shard_counts[number] for shard_counts in counts)
            terms = sorted(scanned, key=lambda t: (-scanned[t], t))[:64]
            self._prefix_cache.put(key, terms)
            expansions[key] = terms
        return expansions

    def _resolve_tree(self, node: Node | None, expansions: dict[Any, list[str]]) -> Node | None:
        """The tree the shards evaluate: prefixes replaced by their expansion's words, person / outlet matches by
        the names they resolve to."""
        if node is None:
            return None
        if isinstance(node, Prefix):
            words = tuple(Word(term, (term,), node.fields) for term in expansions[(node.prefixes, node.fields)])
            return Or(words)
        if isinstance(node, FieldMatch):
            if node.field in ENTITY_FIELDS:
                return ResolvedFieldMatch(node.field, node.value,
                                          tuple(self.collection.resolve_entities(node.field, [node.value])))
            resolve = self.collection.resolve_sources if node.field == "source" else self.collection.resolve_persons
            return ResolvedFieldMatch(node.field, node.value, tuple(resolve([node.value])))
        if isinstance(node, And):
            return And(tuple(cast(Node, self._resolve_tree(c, expansions)) for c in node.children), node.implicit)
        if isinstance(node, Or):
            return Or(tuple(cast(Node, self._resolve_tree(c, expansions)) for c in node.children))
        if isinstance(node, Not):
            return Not(cast(Node, self._resolve_tree(node.child, expansions)))
        return node

    def _filters(self, persons: Sequence[str], sources: Sequence[str], date_from: datetime.date | None,
                 date_to: datetime.date | None, include_undated: bool | None,
                 facets: MetadataFilters | None = None, entities: EntityFilters | None = None) -> Filters:
        persons = [persons] if isinstance(persons, str) else list(persons or ())
        sources = [sources] if isinstance(sources, str) else list(sources or ())
        wanted_persons = sorted({p for p in persons if p and p.strip()})
        wanted_sources = sorted({s for s in sources if s and s.strip()})
        return Filters(
            persons=tuple(self.collection.resolve_persons(wanted_persons)) if wanted_persons else None,
            sources=tuple(self.collection.resolve_sources(wanted_sources)) if wanted_sources else None,
            day_from=None if date_from is None else date_to_day(date_from),
            day_to=None if date_to is None else date_to_day(date_to),
            include_undated=bool(include_undated),
            metadata=resolve_metadata(self.collection.metadata, facets),
            entities=tuple((facet, tuple(self.collection.resolve_entities(facet, sorted(set(values)))))
                           for facet, values in sorted((entities or {}).items())))

    def _highlight_terms(self, node: Node | None, expansions: dict[Any, list[str]]) -> set[str]:
        terms: set[str] = set()
        for leaf in iter_positive(node):
            if isinstance(leaf, Word):
                terms.update(leaf.terms)
            elif isinstance(leaf, Phrase):
                terms.update(t for t, _ in leaf.terms)
            elif isinstance(leaf, Prefix):
                terms.update(expansions[(leaf.prefixes, leaf.fields)])
        return terms

    # ------------------------------------------------------------ search

    def _plan(self, query: str, match: str | None, filters: Filters, sort: str | None, count: int | None,
              facets: bool, inline_hits: bool) -> tuple[ShardQuery, ParsedQuery, dict[Any, list[str]]]:
        if match is not None and match not in MATCHES:
            raise ValueError(f"match must be one of {', '.join(MATCHES)}, not {match!r}")
        if sort is not None and sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        parsed = self.parse(query)
        root = parsed.root
        expansions = self.expand_prefixes([n for n in _walk(root) if isinstance(n, Prefix)])
        node = any_node = None
        if root is not None:
            node = self._resolve_tree(with_match(root, match or "all"), expansions)
            if match is None and has_implicit_and(root):
                any_node = self._resolve_tree(with_match(root, "any"), expansions)
        sort = sort or ("relevance" if root is not None else "newest")
        corpus = None
        if sort == "relevance" and node is not None:
            probe = scored_pairs(node)  # a resolved tree: no prefixes left
            corpus = CorpusStats(self.collection.live_count, self.collection.avg_length,
                                 self.doc_frequencies(probe))
        terms = frozenset(self._highlight_terms(root, expansions)) if inline_hits else None
        plan = ShardQuery(node=node, any_node=any_node, nothing=root is None and bool(query.strip()),
                          filters=filters, sort=sort, count=count, corpus=corpus, facets=facets, hit_terms=terms)
        return plan, parsed, expansions

    def _merge(self, plan: ShardQuery, answers: list[dict[str, ShardPart]]) -> tuple[str, list[ShardPart]]:
        """Which variant answers ("all", or "any" when the fallback applies), and each shard's part of it."""
        parts = [answer["all"] for answer in answers]
        if plan.any_node is not None and not sum(p.total for p in parts):
            fallback = [answer["any"] for answer in answers if "any" in answer]
            if len(fallback) == len(answers) and sum(p.total for p in fallback) > 0:
                return "any", fallback
        return "all", parts

    @staticmethod
    def _ranked(sort: str, node: Node | None, parts: list[ShardPart]) -> list[tuple[int, int, float]]:
        """(shard, docnum, score) of every candidate, best first."""
        effective = sort if node is not None or sort != "relevance" else "newest"
        candidates = []
        for shard, part in enumerate(parts):
            for docnum, score, day, article_id in zip(part.docnums.tolist(), part.scores.tolist(),
                                                     part.days.tolist(), part.ids, strict=True):
                candidates.append((_sort_key(effective, score, day, article_id), shard, docnum, score))
        candidates.sort(key=lambda candidate: candidate[0])
        return [(shard, docnum, score) for _, shard, docnum, score in candidates]

    def _ranked_with_keys(self, sort: str, node: Node | None, parts: list[ShardPart]
                          ) -> list[tuple[int, int, float, tuple[str, int] | None]]:
        """_ranked with each candidate's outlet and day (None when either is unknown: never collapsed)."""
        keys: dict[tuple[int, int], tuple[str, int] | None] = {}
        for shard, part in enumerate(parts):
            names = self.collection.infos[shard].source_names
            for docnum, day, source in zip(part.docnums.tolist(), part.days.tolist(), part.source_ids.tolist(),
                                           strict=True):
                keys[(shard, docnum)] = (names[source], day) if day and source < len(names) else None
        return [(shard, docnum, score, keys[(shard, docnum)])
                for shard, docnum, score in self._ranked(sort, node, parts)]

    def search(self, query: str = "", *, persons: Sequence[str] = (), sources: Sequence[str] = (),
               places: Sequence[str] = (), organizations: Sequence[str] = (),
               date_from: datetime.date | None = None, date_to: datetime.date | None = None,
               include_undated: bool | None = None, sort: str | None = None, match: str | None = None,
               limit: int = 10, page: int = 1, facet_limit: int = 50, facets: MetadataFilters | None = None,
               collapse: bool = False) -> SearchResult:
        """Archive.search over the shards: FACETS filters by metadata facets, COLLAPSE folds versions of one
        article into one hit (see archive/search/archive.py)."""
        started = time.perf_counter()
        query = query if isinstance(query, str) else str(query or "")
        limit = max(1, min(int(limit), MAX_LIMIT))
        page = max(1, int(page))
        first = (page - 1) * limit
        entities = entity_filters(places, organizations)
        filters = self._filters(persons, sources, date_from, date_to, include_undated, facets, entities)
        inline = first + limit <= INLINE_HITS_UP_TO and not collapse
        plan, parsed, expansions = self._plan(query, match, filters, sort, (first + limit) * 2 if collapse
                                              else first + limit, True, inline)
        answers = self.backend.run_all("search", plan)
        variant, parts = self._merge(plan, answers)
        node = plan.any_node if variant == "any" else plan.node
        total = sum(p.total for p in parts)
        if collapse:
            hits = self._collapsed_page(plan, variant, parts, total, first, limit, parsed.root, expansions)
        else:
            ranked = self._ranked(plan.sort, node, parts)[first:first + limit]
            hits = self._page_hits(ranked, parts, parsed.root, expansions)
        notices = list(parsed.notices)
        fell_back = variant == "any"
        if fell_back:
            notices.insert(0, FALLBACK_NOTICE)
        unfiltered = sum(p.unfiltered for p in parts)
        if not total and filters.active and parsed.root is not None and unfiltered:
            filters_set = _filters_set(persons, sources, date_from, date_to, filters.metadata) \
                + entity_filters_set(entities)
            key = "matches_without_filters" if len(filters_set) > 1 else "matches_without_filter"
            notices.append(Notice(key, count=unfiltered, filters=filters_set))
        wants_suggestions = parsed.root is not None and (not total or fell_back)
        suggestions = self.suggest(query) if wants_suggestions else []
        notices.extend(self._unknown_names(parsed.root, persons, sources, facets))
        notices.extend(unknown_entity_notices(parsed.root, entities, self.collection.resolve_entities))
        notices.extend(merged_person_notices(parsed.root, persons, self.collection.resolve_persons,
                                             self.collection.person_merge.spellings_of))
        if suggestions:
            notices.append(Notice("nothing_found_did_you_mean" if not total else "unknown_words_did_you_mean",
                                  suggestions=list(suggestions)))
        facet_counts = self.collection.facets(list(enumerate(parts)), facet_limit)
        return SearchResult(
            query=query, total=total, took_ms=round((time.perf_counter() - started) * 1000, 2), page=page,
            limit=limit, hits=hits, match_used="any" if fell_back else (match or "all"), fell_back=fell_back,
            normalized_query=parsed.describe(), suggestions=suggestions, facets=facet_counts,
            notice="; ".join(notices) if notices else None, sort=plan.sort, notices=notices,
            metadata_facets=list(self.collection.metadata),
            person_variants=self.collection.person_variants([str(name) for name, _ in facet_counts["person"]]),
            person_spellings=person_spellings([str(name) for name, _ in facet_counts["person"]],
                                              self.collection.person_merge),
            entity_variants=self.collection.person_merge.facet_variants(facet_counts))

    def _collapsed_page(self, plan: ShardQuery, variant: str, parts: list[ShardPart], total: int, first: int,
                        limit: int, root: Node | None, expansions: dict[Any, list[str]]) -> list[Hit]:
        """Archive._collapsed_page over the shards: the ranked candidates walked by versions.collapse_ranked until
        `first + limit` stories are found, each outlet and day met answered by every shard (versions of one
        article may sit in different shards), more of the ranking asked for while versions were absorbed."""
        wanted = first + limit
        count = wanted * 2
        node = plan.any_node if variant == "any" else plan.node
        members: dict[tuple[str, int], list[tuple[int, int]]] = {}
        fingerprints: dict[tuple[int, int], Fingerprint] = {}
        while True:
            candidates = self._ranked_with_keys(plan.sort, node, parts)[:count]
            keys = list(dict.fromkeys(key for *_, key in candidates if key is not None and key not in members))
            if keys:
                found: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
                for shard, answer in enumerate(self.backend.run_all("version_members", plan, variant, keys)):
                    for key, docs in answer.items():
                        for docnum, article_id, mark in docs:
                            found.setdefault(key, []).append((article_id, shard, docnum))
                            fingerprints[(shard, docnum)] = mark
                for key in keys:  # in article-id order, as a single index lists them
                    members[key] = [(shard, docnum) for _, shard, docnum in sorted(found.get(key, []))]
            doc_keys = {(shard, docnum): key for shard, docnum, _, key in candidates}
            stories = collapse_ranked([((shard, docnum), score) for shard, docnum, score, _ in candidates], wanted,
                                      doc_keys.get, lambda key: members.get(key, []),
                                      lambda doc: fingerprints[doc])
            if len(stories) >= wanted or len(candidates) >= total:
                break
            count *= 4
            parts = self._merge(plan, self.backend.run_all("search", replace(plan, count=count, facets=False)))[1]
        return self._story_hits(stories[first:wanted], root, expansions)

    def _story_hits(self, stories: list[Story], root: Node | None, expansions: dict[Any, list[str]]) -> list[Hit]:
        """The hits of a page of stories, each with its versions' hits (scored 0, as on one index)."""
        terms = frozenset(self._highlight_terms(root, expansions))
        wanted: dict[int, tuple[list[int], list[float]]] = {}
        for story in stories:
            for (shard, docnum), score in [(story.docnum, story.score), *((v, 0.0) for v in story.versions)]:
                docnums, scores = wanted.setdefault(shard, ([], []))
                docnums.append(docnum)
                scores.append(score)
        fetched = self.backend.run_some({shard: ("hits", (np.array(docnums, dtype=np.int64),
                                                          np.array(scores, np.float32), terms))
                                         for shard, (docnums, scores) in wanted.items()})
        # a story's document is never another's version: each document was asked for once
        by_doc = {(shard, hit.docnum): hit for shard, hits in fetched.items() for hit in hits}
        page = []
        for story in stories:
            hit = by_doc[story.docnum]
            hit.versions = [by_doc[version] for version in story.versions]
            page.append(hit)
        return page

    def _page_hits(self, ranked: list[tuple[int, int, float]], parts: list[ShardPart], root: Node | None,
                   expansions: dict[Any, list[str]]) -> list[Hit]:
        inline = {(shard, hit.docnum): hit for shard, part in enumerate(parts) for hit in (part.hits or [])}
        if all((shard, docnum) in inline for shard, docnum, _ in ranked):
            return [inline[(shard, docnum)] for shard, docnum, _ in ranked]
        terms = frozenset(self._highlight_terms(root, expansions))
        wanted: dict[int, tuple[list[int], list[float]]] = {}
        for shard, docnum, score in ranked:
            wanted.setdefault(shard, ([], []))
            wanted[shard][0].append(docnum)
            wanted[shard][1].append(score)
        fetched = self.backend.run_some({shard: ("hits", (np.array(docnums), np.array(scores, np.float32), terms))
                                         for shard, (docnums, scores) in wanted.items()})
        by_doc = {(shard, hit.docnum): hit for shard, hits in fetched.items() for hit in hits}
        return [by_doc[(shard, docnum)] for shard, docnum, _ in ranked]

    def _unknown_names(self, root: Node | None, persons: Sequence[str], sources: Sequence[str],
                       facets: MetadataFilters | None = None) -> list[Notice]:
        collection = self.collection
        return [*unknown_name_notices(root, persons, sources, collection.resolve_persons, collection.resolve_sources),
                *unknown_metadata_notices(collection.metadata, facets)]

    def iter_matches(self, query: str = "", *, persons: Sequence[str] = (), sources: Sequence[str] = (),
                     places: Sequence[str] = (), organizations: Sequence[str] = (),
                     date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                     include_undated: bool | None = None, sort: str | None = None,
                     match: str | None = None, facets: MetadataFilters | None = None) -> Iterator[dict[str, Any]]:
        """Every matching article (for export), in the search's order, fetched from the shards in batches."""
        entities = entity_filters(places, organizations)
        filters = self._filters(persons, sources, date_from, date_to, include_undated, facets, entities)
        plan, _, _ = self._plan(query, match, filters, sort, None, False, False)
        variant, parts = self._merge(plan, self.backend.run_all("search", plan))
        ranked = self._ranked(plan.sort, plan.any_node if variant == "any" else plan.node, parts)
        for start in range(0, len(ranked), EXPORT_BATCH):
            batch = ranked[start:start + EXPORT_BATCH]
            wanted: dict[int, list[int]] = {}
            for shard, docnum, _ in batch:
                wanted.setdefault(shard, []).append(docnum)
            fetched = self.backend.run_some({shard: ("export_records", (docnums,))
                                             for shard, docnums in wanted.items()})
            records = {(shard, docnum): record for shard, docnums in wanted.items()
                       for docnum, record in zip(docnums, fetched[shard], strict=True)}
            for shard, docnum, _ in batch:
                yield records[(shard, docnum)]

    def coverage(self, query: str = "", *, persons: Sequence[str] = (), sources: Sequence[str] = (),
                 places: Sequence[str] = (), organizations: Sequence[str] = (),
                 date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                 include_undated: bool | None = None, match: str | None = None,
                 facets: MetadataFilters | None = None, top_sources: int = 6) -> list[dict[str, Any]]:
        """Archive.coverage over the shards: each shard's outlet-by-month counts (of the matches, and of every
        article) added under the collection's names, then the same top outlets and shares."""
        entities = entity_filters(places, organizations)
        filters = self._filters(persons, sources, date_from, date_to, include_undated, facets, entities)
        # a date sort: no collection statistics to gather, coverage does not rank
        plan, _, _ = self._plan(query, match, filters, "newest", None, False, False)
        answers = self.backend.run_all("coverage_part", plan)
        variant = "all"
        if plan.any_node is not None and not sum(int(a["all"][0].sum()) for a in answers) \
                and all("any" in a for a in answers) and sum(int(a["any"][0].sum()) for a in answers) > 0:
            variant = "any"
        collection = self.collection
        source_names, month_keys = collection.names["source"], collection.names["month"]
        matched = np.zeros((len(source_names) + 1, len(month_keys) + 1), dtype=np.int64)
        totals = np.zeros_like(matched)
        for shard, answer in enumerate(answers):
            rows = collection.local_to_global[shard]["source"][:, None]
            columns = collection.local_to_global[shard]["month"][None, :]
            shard_matched, shard_totals = answer[variant]
            np.add.at(matched, (rows, columns), shard_matched)
            np.add.at(totals, (rows, columns), shard_totals)
        by_outlet = matched[: len(source_names), : len(month_keys)].sum(axis=1)
        top = [int(i) for i in np.argsort(-by_outlet, kind="stable")[:top_sources] if by_outlet[i]]
        found = []
        for outlet in top:
            for month in np.flatnonzero(matched[outlet, : len(month_keys)]).tolist():
                count, total = int(matched[outlet, month]), int(totals[outlet, month])
                found.append({"source": source_names[outlet], "month": month_keys[month], "count": count,
                              "outlet_total": total, "share": count / total if total else 0.0})
        return found

    # ------------------------------------------------------------ articles

    def _article(self, article_id: str) -> tuple[dict[str, Any], int, dict[str, str]] | None:
        home = shard_of(str(article_id), self.shards)
        return self.backend.run_some({home: ("article", (str(article_id),))})[home]

    def get(self, article_id: str) -> Article | None:
        found = self._article(article_id)
        if found is None:
            return None
        stored, day, metadata = found
        return Article(id=str(stored.get("id")), title=stored.get("title") or "", body=stored.get("body") or "",
                       source=stored.get("source") or None, published=day_to_date(day),
                       url=stored.get("url") or None, persons=persons_of(stored), metadata=metadata,
                       places=persons_of(stored, "places"), organizations=persons_of(stored, "organizations"),
                       origin=str(stored.get("origin") or ""))

    def highlight_body(self, article_id: str, query: str) -> str:
        root = self.parse(query or "").root
        expansions = self.expand_prefixes([n for n in _walk(root) if isinstance(n, Prefix)])
        home = shard_of(str(article_id), self.shards)
        terms = frozenset(self._highlight_terms(root, expansions))
        return self.backend.run_some({home: ("highlight", (str(article_id), terms))})[home]

    def _related(self, article_id: str, limit: int, same_story: bool) -> list[Hit]:
        found = self._article(article_id)
        if found is None:
            return []
        stored, day, _ = found
        candidates = list(candidate_terms(stored))

        def approximate(terms: list[str]) -> list[int]:
            counts = self.backend.run_all("approximate_doc_frequencies", terms)
            return [sum(shard_counts[number] for shard_counts in counts) for number in range(len(terms))]

        frequencies = dict(zip(candidates, approximate(candidates), strict=True))
        terms = key_terms_of(stored, SIMILAR_TERMS, self.collection.live_count,
                             lambda wanted: [frequencies[t] for t in wanted])
        pairs = [(f, t) for t in terms for f in ("title", "body")]
        corpus = CorpusStats(self.collection.live_count, self.collection.avg_length, self.doc_frequencies(pairs))
        request = NeighbourQuery(terms=tuple(terms), corpus=corpus, own_id=str(stored.get("id")),
                                 same_story=same_story, own_source=stored.get("source") or None, own_day=day,
                                 limit=limit)
        answers = self.backend.run_all("neighbours", request)
        own = next((score for _, score in answers if score is not None), 0.0)
        if same_story and own <= 0:
            return []
        scored = [pair for shard_hits, _ in answers for pair in shard_hits]
        if same_story:
            scored = [(score, hit) for score, hit in scored if score >= SAME_STORY_MIN_SHARE * own]
        scored.sort(key=lambda pair: (-pair[0], pair[1].id))
        return [hit for _, hit in scored[:limit]]

    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        return self._related(article_id, limit, False)

    def same_story(self, article_id: str, limit: int = 5) -> list[Hit]:
        return self._related(article_id, limit, True)

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        return suggest_queries(cast(Snapshot, _CollectionView(self)), self.parse, query, limit)

    # ------------------------------------------------------------ stats

    def stats(self, top_people: int = 50) -> dict[str, Any]:
        parts = self.backend.run_all("stats_part")
        collection = self.collection
        sources = np.zeros(len(collection.names["source"]) + 1, dtype=np.int64)
        for shard, part in enumerate(parts):
            np.add.at(sources, collection.local_to_global[shard]["source"], part["sources"])
        names = {}
        for facet in ("person", *ENTITY_FIELDS):
            totals = np.zeros(len(collection.names[facet]) + 1, dtype=np.int64)
            for shard, part in enumerate(parts):
                np.add.at(totals, collection.local_to_global[shard][facet][:-1], part[facet])
            names[facet] = (collection.names[facet], totals[:-1])
        first_days = [p["first_day"] for p in parts if p["first_day"] is not None]
        last_days = [p["last_day"] for p in parts if p["last_day"] is not None]
        try:
            info: dict[str, Any] = read_build_info(self.index_dir)
        except Exception:  # a damaged build record does not stop the statistics of a readable index
            info = {}
        date_range = None
        if first_days:
            date_range = [cast(datetime.date, day_to_date(min(first_days))).isoformat(),
                          cast(datetime.date, day_to_date(max(last_days))).isoformat()]
        source_names = collection.names["source"]
        return {
            "articles": sum(p["articles"] for p in parts),
            "sources": dict(ranked_counts(source_names, sources[: len(source_names)])),
            "unknown_source": int(sources[-1]),
            **name_stats(names, top_people),
            "date_range": date_range,
            "undated": sum(p["undated"] for p in parts),
            "index_dir": str(self.generation),
            "index_bytes": directory_bytes(self.generation),
            "built_at": info.get("built_at"),
            "build_seconds": info.get("seconds", info.get("build_seconds")),
            "inputs": info.get("inputs"),
            "versions": info.get("versions") or versions(),
            "shards": [{"shard": number, "articles": p["articles"], "index_bytes": p["index_bytes"]}
                       for number, p in enumerate(parts)],
        }


__all__ = ["LocalShards", "Shard", "ShardBackend", "ShardedArchive"]
