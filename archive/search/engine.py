"""The search engine over one opened index generation: postings as arrays, match sets, filter masks, BM25F.

How it stays fast (the pitfalls in ../shared/DESIGN.md): Whoosh is the storage (term dictionary, postings,
stored fields), but matching, filtering, facet counting and scoring run on numpy arrays.

- Each query term's postings are read once as arrays of document numbers and term weights (an LRU keeps the
  recent ones), so a word with 15,000 matches costs a few block reads, not 15,000 matcher steps.
- AND / OR / NOT are set operations on sorted document-number arrays; phrases are checked with positions only on
  the documents that have all their words.
- Filters (persons, sources, date range) are boolean masks over per-document arrays loaded on open
  (archive/search/docarrays.py); facets are `np.bincount` over the matching documents: exact, whatever the hit
  count.
- BM25F scores (Whoosh's formula, title weighted by its field boost) are accumulated in one dense array.
- Repeats are cached per opened index: postings, match sets, filter masks, prefix expansions.

Thread safety: a Snapshot is immutable once built and shared by the threads of a Streamlit process. Everything
that reads Whoosh files runs under its lock (Whoosh's file objects seek); numpy work and the caches are safe
outside it.
"""

from __future__ import annotations

import contextlib
import copy
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archive.errors import ArchiveError
from archive.extract.entities import canonical_entity
from archive.extract.people import canonical_person
from archive.extract.sources import canonical_source
from archive.index import kernels
from archive.index.store import ARRAYS_CACHE_PREFIX, current_index_path, open_generation
from archive.index.whoosh_io import (
    Postings,
    many_positions_decoder,
    phrase_keys_reader,
    positions_decoder,
    read_postings,
    stored_fields,
)
from archive.search.cache import LRU
from archive.search.docarrays import DocArrays
from archive.search.person_merge import NO_MERGE, PersonMerge, decision_digest, merge_arrays, own_decision, position
from archive.search.query import MAX_PREFIX_TERMS, And, FieldMatch, Node, Not, Or, Phrase, Prefix, Word, iter_positive
from archive.search.segment_arrays import load_arrays
from archive.text.normalize import normalize

# BM25F constants: Whoosh's defaults, so scores read like Whoosh's.
BM25_B = 0.75
BM25_K1 = 1.2
# Postings kept in the term cache, counted in document numbers (8 bytes each with the weight).
TERM_CACHE_POSTINGS = 6_000_000
# Document numbers kept in the match-set cache (4 bytes each).
MATCH_CACHE_DOCS = 8_000_000
# Phrase checks key a (candidate, phrase start) pair as candidate * stride + start.
_POSITION_STRIDE = 1 << 32


@dataclass(frozen=True)
class CorpusStats:
    """What BM25 reads of the whole collection: for one index its own figures; for a sharded index the sums over
    every shard (Elasticsearch's dfs_query_then_fetch), so that a shard scores a document exactly as one index
    holding every article would. `doc_frequency` holds the live document frequency of each scored (field, term)."""
    live_count: int
    avg_length: dict[str, float]
    doc_frequency: dict[tuple[str, str], int]


def average_length(lengths: np.ndarray) -> float:
    """The mean field length, summed in float64: the lengths are whole numbers, so the sum is exact and a
    sharded index (summing its shards' sums) gets the very same float."""
    return float(lengths.sum(dtype=np.float64)) / len(lengths) if len(lengths) else 1.0


class Snapshot:
    """One opened index generation: Whoosh reader, per-document arrays, caches. Immutable once built."""

    def __init__(self, index_dir: Path, generation: Path) -> None:
        self.index_dir = index_dir
        self.path = generation
        # memory-mapped segments, read without copies (archive/index/whoosh_io.py MappedFile)
        self.index, self.reader = open_generation(index_dir, generation, mapped=True)
        self.toc_generation = self.index.latest_generation()
        self.lock = threading.RLock()
        # as the index holds them; `arrays` has the spellings of one person merged (archive/search/person_merge.py)
        self.raw_arrays = self._load_arrays()
        arrays = self.raw_arrays
        self.live = arrays.live
        self.count = arrays.count
        self.live_count = max(arrays.live_count, 1)
        live_title = arrays.title_len[arrays.live]
        live_body = arrays.body_len[arrays.live]
        self.avg_length = {"title": average_length(live_title), "body": average_length(live_body)}
        self.field_lengths = {"title": arrays.title_len, "body": arrays.body_len}
        self.all_docs = np.flatnonzero(arrays.live).astype(np.int32)
        # each document's place in the newest-first and oldest-first orders (undated last in both; ties by article
        # id, which a sharded index shares, unlike document numbers), so a date sort of any match set is one
        # integer sort
        id_rank = arrays.id_rank
        day = arrays.day.astype(np.int64)
        self.date_rank = {}
        for name, order in (("newest", np.lexsort((id_rank, -day))),
                            ("oldest", np.lexsort((id_rank, np.where(day > 0, day, np.iinfo(np.int64).max))))):
            rank = np.empty(self.count, dtype=np.int32)
            rank[order] = np.arange(self.count, dtype=np.int32)
            self.date_rank[name] = rank
        self.term_cache = LRU(200_000, TERM_CACHE_POSTINGS)
        self.match_cache = LRU(1024, MATCH_CACHE_DOCS)
        self.mask_cache = LRU(64)
        self.prefix_cache = LRU(1024)
        # fingerprints of article openings, for telling versions of one story apart (archive/search/versions.py)
        self.version_cache = LRU(20_000)
        self._source_lookup = {self._fold(name): i for i, name in enumerate(arrays.source_names)}
        self._entity_lookup = {facet: {self._fold(name): i for i, name in enumerate(entity.names)}
                               for facet, entity in arrays.entities.items()}
        # one index is the whole archive: it decides its own merge; a shard is told the collection's (sharded.py)
        self._use_person_merge(PersonMerge.of(arrays.own_merge or {}, arrays.own_entity_merge)
                               if self.decides_person_merge else NO_MERGE)

    # Whether this index decides which spellings are one person from its own counts (False for a shard).
    decides_person_merge = True

    def _use_person_merge(self, merge: PersonMerge) -> None:
        self.person_merge = merge
        self.arrays = merge_arrays(self.raw_arrays, merge)
        names = self.arrays.person_names
        self._person_lookup = {self._fold(name): i for i, name in enumerate(names)}
        for spelling, shown in merge.shown.items():  # any spelling of a merged person finds it
            at = position(names, shown)
            if at is not None:
                self._person_lookup.setdefault(self._fold(spelling), at)

    def with_person_merge(self, merge: PersonMerge) -> Snapshot:
        """This snapshot with MERGE applied (a shard told the collection's decision): the same reader, postings
        and prefix caches; fresh caches for what depends on person names (match sets, filter masks)."""
        if merge.key == self.person_merge.key:
            return self
        other = copy.copy(self)
        other.match_cache = LRU(1024, MATCH_CACHE_DOCS)
        other.mask_cache = LRU(64)
        other._use_person_merge(merge)
        return other

    def person_variants(self, names: Sequence[str]) -> dict[str, list[str]]:
        """{name: its other spellings} for the NAMES (shown spellings) that are merged people."""
        return self.person_merge.variants_of(names)

    def _load_arrays(self) -> DocArrays:
        """The per-document arrays, with this index's own decision on spellings of one person when it decides one,
        from the cache file of this exact index state when there is one; else joined from each segment's arrays
        (archive/search/segment_arrays.py: cached per segment, so after an `add` only the new segments are read)
        and saved for the next process to open it.
        The file lives inside the generation directory and is named by Whoosh's table-of-contents generation,
        which every `add` advances, so a stale file is never read."""
        count = self.reader.doc_count_all()
        cache = self.path / f"{ARRAYS_CACHE_PREFIX}{self.toc_generation}.npz"
        arrays = DocArrays.from_file(cache, count)
        fresh = arrays is None
        if arrays is None:
            with self.lock:
                arrays = load_arrays(self.reader, self.path)
        if self.decides_person_merge and (arrays.own_merge is None or arrays.own_merge_digest != decision_digest()):
            # the decision on spellings is made once per index state and rules (it needs the registry: ~0.5 s)
            decision = own_decision(arrays)
            arrays.own_merge, arrays.own_entity_merge = decision.shown, decision.entities
            arrays.own_merge_digest = decision_digest()
            fresh = True
        if not fresh:
            return arrays
        with contextlib.suppress(OSError):  # a read-only index is fine: the cache is only a speed-up
            arrays.save(cache)
            for stale in self.path.glob(f"{ARRAYS_CACHE_PREFIX}*.npz"):
                if stale != cache:
                    stale.unlink(missing_ok=True)
        return arrays

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.reader.close()

    def changed_on_disk(self) -> bool:
        try:
            generation = current_index_path(self.index_dir)
        except ArchiveError:
            return False  # keep serving the open index rather than losing it
        if generation.resolve() != self.path.resolve():
            return True
        try:
            # `add` commits a new table of contents into the same generation directory
            return self.index.latest_generation() != self.toc_generation
        except OSError:
            return False

    @staticmethod
    def _fold(text: str) -> str:
        return fold_name(text)

    # ------------------------------------------------------------ postings

    def postings(self, fieldname: str, term: str, with_values: bool = False) -> Postings:
        key = (fieldname, term, with_values)
        cached = self.term_cache.get(key)
        if cached is None and not with_values:  # a phrase just read them with positions: the same ids and weights
            cached = self.term_cache.get((fieldname, term, True))
        if cached is not None:
            return cached
        with self.lock:
            postings = read_postings(self.reader, fieldname, term, with_values)
        if len(postings):
            live = self.live[postings.ids]
            if not live.all():
                postings = postings.select(live)
        self.term_cache.put(key, postings, max(len(postings), 1) * (4 if with_values else 1))
        return postings

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return len(self.postings(fieldname, term))

    def approximate_doc_frequency(self, fieldname: str, term: str) -> int:
        """From the term's entry in the term index, without decoding its postings (which can cost a millisecond
        for a common term); counts deleted documents until the next rebuild, good enough for weighting."""
        cached = self.term_cache.get((fieldname, term, False))
        if cached is not None:
            return len(cached)
        with self.lock:
            return int(self.reader.doc_frequency(fieldname, term))

    def expand_prefix(self, prefixes: tuple[str, ...], fields: tuple[str, ...]) -> list[str]:
        """The most frequent index terms starting with any of the prefixes (bounded: MAX_PREFIX_TERMS)."""
        key = (prefixes, fields)
        cached = self.prefix_cache.get(key)
        if cached is not None:
            return cached
        scanned: dict[str, int] = {}
        with self.lock:
            for fieldname in fields:
                for prefix in prefixes:
                    for number, term in enumerate(self.reader.expand_prefix(fieldname, prefix)):
                        if number >= 4000:  # bounded work for very short prefixes
                            break
                        text = term.decode("utf-8") if isinstance(term, bytes) else term
                        if text not in scanned:
                            scanned[text] = 0
                        scanned[text] += self.reader.doc_frequency(fieldname, text)
        terms = sorted(scanned, key=lambda t: (-scanned[t], t))[:MAX_PREFIX_TERMS]
        self.prefix_cache.put(key, terms)
        return terms

    # ------------------------------------------------------------ matching

    def mask_of(self, docs: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.count, dtype=bool)
        mask[docs] = True
        return mask

    def intersect(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The documents in both of two ascending arrays: a binary search of the smaller in the larger when it is
        much smaller, else one compiled merge (when built; 1.5-3x faster than a mask over every document for sets
        of 3,000 to 60,000 in 300,000, as fast at 150,000) or a mask of the larger (faster than numpy's merge)."""
        if len(a) > len(b):
            a, b = b, a
        if not len(a):
            return a
        if len(a) * 16 < len(b):
            return _sorted_intersection(a, b)
        both = kernels.intersect_sorted(a, b)
        return a[self.mask_of(b)[a]] if both is None else both

    def union(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        """The documents in any of the ascending arrays. Two sets (a word's title and body documents) are merged in
        one compiled pass when the loops are built; without them, two that together are under a fifth of the
        archive are merged by a stable sort, which merges two sorted runs in linear time (two to three times faster
        than a mask over every document, and it does not grow with the archive). More sets, or larger ones, are
        marked in a mask."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return self.all_docs[:0]
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:
            either = kernels.union_sorted(parts[0], parts[1])  # one compiled merge, when built: 2-3x faster
            if either is not None:
                return either
        if len(parts) == 2 and (len(parts[0]) + len(parts[1])) * 5 <= self.count:
            merged = np.concatenate(parts).astype(np.int32, copy=False)
            merged.sort(kind="stable")
            first = np.empty(len(merged), dtype=bool)
            first[0] = True
            np.not_equal(merged[1:], merged[:-1], out=first[1:])
            return merged[first]
        mask = np.zeros(self.count, dtype=bool)
        for part in parts:
            mask[part] = True
        return np.flatnonzero(mask).astype(np.int32)

    def subtract(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not len(a) or not len(b):
            return a
        return a[~self.mask_of(b)[a]]

    def docs(self, node: Node) -> np.ndarray:
        """Sorted live document numbers matching node (cached)."""
        key = ("docs", node)
        cached = self.match_cache.get(key)
        if cached is not None:
            return cached
        docs = self._docs(node)
        self.match_cache.put(key, docs, max(len(docs), 1))
        return docs

    def _docs(self, node: Node) -> np.ndarray:
        if isinstance(node, Word):
            result = None
            for term in node.terms:
                found = self.union([self.postings(f, term).ids for f in node.fields])
                result = found if result is None else self.intersect(result, found)
                if not len(result):
                    break
            return result if result is not None else self.all_docs[:0]
        if isinstance(node, Phrase):
            return self.union([self._phrase_docs(node, f) for f in node.fields])
        if isinstance(node, Prefix):
            expansions = self.expand_prefix(node.prefixes, node.fields)
            return self.union([self.postings(f, t).ids for t in expansions for f in node.fields])
        if isinstance(node, FieldMatch):
            return np.flatnonzero(self.field_match_mask(node) & self.live).astype(np.int32)
        if isinstance(node, Not):
            return self.subtract(self.all_docs, self.docs(node.child))
        if isinstance(node, Or):
            return self.union([self.docs(child) for child in node.children])
        if isinstance(node, And):
            positives = [c for c in node.children if not isinstance(c, Not)]
            negatives = [c.child for c in node.children if isinstance(c, Not)]
            if positives:
                # cheapest first: small sets make the later intersections cheap
                sets = sorted((self.docs(c) for c in positives), key=len)
                result = sets[0]
                for other in sets[1:]:
                    if not len(result):
                        break
                    result = self.intersect(result, other)
            else:
                result = self.all_docs
            for negative in negatives:
                if not len(result):
                    break
                result = self.subtract(result, self.docs(negative))
            return result
        raise TypeError(f"unknown query node {node!r}")

    def _phrase_docs(self, node: Phrase, fieldname: str) -> np.ndarray:
        """Documents whose field has the phrase's terms at the phrase's relative positions."""
        terms = node.terms
        postings = [self.postings(fieldname, term, with_values=True) for term, _ in terms]
        if any(not len(p) for p in postings):
            return self.all_docs[:0]
        candidates = postings[0].ids
        for p in sorted(postings[1:], key=len):
            candidates = self.intersect(candidates, p.ids)
            if not len(candidates):
                return candidates
        rows = [_rows_of(p.ids, candidates, self.count) for p in postings]
        values = [p.values for p in postings if p.values is not None]
        if len(values) < len(postings):
            return candidates
        decode_many = many_positions_decoder(self.reader, fieldname)
        compiled_keys = phrase_keys_reader(self.reader, fieldname)
        if decode_many is not None:
            # every candidate at once: (candidate, start of the phrase) pairs that each term allows, intersected
            starts: np.ndarray | None = None
            for (_, offset), term_values, row in zip(terms, values, rows, strict=True):
                keys = None if compiled_keys is None else compiled_keys(term_values.data, term_values.offsets, row,
                                                                         offset)
                if keys is None:
                    chosen = term_values.take(row)
                    owner, positions = decode_many(chosen.data, chosen.offsets)
                    fits = positions >= offset  # the phrase cannot start before the field does
                    keys = _ascending(owner[fits] * _POSITION_STRIDE + (positions[fits] - offset))
                starts = keys if starts is None else _sorted_intersection(starts, keys)
                if not len(starts):
                    return candidates[:0]
            assert starts is not None
            owners = starts // _POSITION_STRIDE
            return candidates[owners[np.flatnonzero(np.diff(owners, prepend=-1))]]
        decode_positions = positions_decoder(self.reader, fieldname)
        if decode_positions is None:
            return candidates
        keep = np.zeros(len(candidates), dtype=bool)
        for index in range(len(candidates)):
            found: set[int] | None = None
            for (_, offset), term_values, row in zip(terms, values, rows, strict=True):
                positions = {pos - offset for pos in decode_positions(term_values.item(int(row[index])))}
                found = positions if found is None else found & positions
                if not found:
                    break
            keep[index] = bool(found)
        return candidates[keep]

    def field_match_mask(self, node: FieldMatch) -> np.ndarray:
        if node.field == "source":
            return self.arrays.sources_mask(self.resolve_sources([node.value]))
        if node.field in self.arrays.entities:
            return self.arrays.entity_mask(node.field, self.resolve_entities(node.field, [node.value]))
        return self.arrays.persons_mask(self.resolve_persons([node.value]))

    def resolve_sources(self, values: Sequence[str]) -> list[str]:
        return resolve_names(values, self.arrays.source_names, self._source_lookup, canonical_source)

    def resolve_persons(self, values: Sequence[str]) -> list[str]:
        return resolve_names(values, self.arrays.person_names, self._person_lookup, canonical_person)

    def resolve_entities(self, facet: str, values: Sequence[str]) -> list[str]:
        """The place or organization names (FACET) a filter value means: as for persons, through the registry's
        variants and Latin names (Egypt -> مصر, UN -> الأمم المتحدة)."""
        return resolve_names(values, self.arrays.entities[facet].names, self._entity_lookup[facet],
                             lambda value: canonical_entity(value, facet))

    def filter_mask(self, persons: Sequence[str], sources: Sequence[str], day_from: int | None,
                    day_to: int | None, include_undated: bool | None,
                    metadata: Mapping[str, Sequence[str]] | None = None,
                    entities: Mapping[str, Sequence[str]] | None = None) -> np.ndarray | None:
        """Live documents passing the filters, or None when there is no filter. METADATA: facet name -> values
        (any of them; several facets must all hold). ENTITIES: "place" / "organization" -> names, likewise."""
        # one name given as a plain string is one name, not a sequence of letters
        persons = [persons] if isinstance(persons, str) else list(persons or ())
        sources = [sources] if isinstance(sources, str) else list(sources or ())
        persons = tuple(sorted({p for p in persons if p and p.strip()}))
        sources = tuple(sorted({s for s in sources if s and s.strip()}))
        has_range = day_from is not None or day_to is not None
        wanted_metadata = normalize_metadata_filters(metadata)
        wanted_entities = normalize_metadata_filters(entities)
        if not persons and not sources and not has_range and not wanted_metadata and not wanted_entities:
            return None
        key = (persons, sources, day_from, day_to, bool(include_undated), wanted_metadata, wanted_entities)
        cached = self.mask_cache.get(key)
        if cached is not None:
            return cached
        mask = self.live.copy()
        if persons:
            mask &= self.arrays.persons_mask(self.resolve_persons(persons))
        if sources:
            mask &= self.arrays.sources_mask(self.resolve_sources(sources))
        if has_range:
            mask &= self.arrays.date_mask(day_from, day_to, bool(include_undated))
        for name, values in wanted_metadata:
            mask &= self.arrays.metadata_mask(name, list(values))
        for facet, values in wanted_entities:
            mask &= self.arrays.entity_mask(facet, self.resolve_entities(facet, values))
        self.mask_cache.put(key, mask)
        return mask

    # ------------------------------------------------------------ scoring

    def scored_terms(self, node: Node | None) -> list[tuple[str, str]]:
        """(field, term) of every positive word, phrase word and prefix expansion: what relevance counts."""
        return scored_pairs(node, self.expand_prefix)

    def scores(self, pairs: list[tuple[str, str]], docs: np.ndarray, corpus: CorpusStats | None = None) -> np.ndarray:
        """BM25F scores of docs (Whoosh's formula: per field, the weight already carries the field boost).
        CORPUS: the collection's statistics when this index is one shard of it (None: this index's own)."""
        if not len(docs) or not pairs:
            return np.zeros(len(docs), dtype=np.float32)
        total = np.zeros(self.count, dtype=np.float32)
        n = self.live_count if corpus is None else max(corpus.live_count, 1)
        avg_length = self.avg_length if corpus is None else corpus.avg_length
        for fieldname, term in pairs:
            postings = self.postings(fieldname, term)
            if not len(postings):
                continue
            frequency = len(postings) if corpus is None else corpus.doc_frequency[(fieldname, term)]
            idf = math.log(n / (frequency + 1)) + 1.0
            if kernels.bm25_add(total, postings.ids, postings.weights, self.field_lengths[fieldname], idf,
                                avg_length[fieldname], BM25_K1, BM25_B):
                continue  # the same sums in one compiled pass
            lengths = self.field_lengths[fieldname][postings.ids]
            tf = postings.weights
            norm = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / avg_length[fieldname])
            total[postings.ids] += idf * (tf * (BM25_K1 + 1)) / (tf + norm)
        return total[docs]

    def ordered(self, docs: np.ndarray, node: Node | None, sort: str, count: int | None,
                corpus: CorpusStats | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The first `count` (None: all) of DOCS in sort order, with their scores (relevance: BM25F on the
        node's scored terms, CORPUS: the collection's statistics for a shard)."""
        if sort == "relevance" and node is not None:
            scores = self.scores(self.scored_terms(node), docs, corpus)
            # ties broken by newer first, then by article id (not document number: a sharded index has the same
            # ids but other numbers), so pages never overlap and every index layout gives the same order
            if count is not None and count < len(docs):
                cut = np.argpartition(-scores, count - 1)[:count]
                threshold = scores[cut].min()
                cut = np.flatnonzero(scores >= threshold)
            else:
                cut = np.arange(len(docs))
            # the tie-breakers gathered for the cut only (a common word's match is a sixth of the archive)
            chosen = docs[cut]
            order = cut[np.lexsort((self.arrays.id_rank[chosen], -self.arrays.day[chosen], -scores[cut]))]
        else:
            scores = np.zeros(len(docs), dtype=np.float32)
            keys = self.date_rank["oldest" if sort == "oldest" else "newest"][docs]
            if count is not None and count < len(docs):
                cut = np.argpartition(keys, count - 1)[:count]
                order = cut[np.argsort(keys[cut])]
            else:
                order = np.argsort(keys)
        if count is not None:
            order = order[:count]
        return docs[order], scores[order]

    # ------------------------------------------------------------ stored documents

    def stored(self, docnum: int) -> dict[str, Any]:
        with self.lock:
            return stored_fields(self.reader, int(docnum))

    def docnum_of(self, article_id: str) -> int | None:
        postings = self.postings("id", str(article_id))
        return int(postings.ids[-1]) if len(postings) else None


def _ascending(keys: np.ndarray) -> np.ndarray:
    """KEYS sorted and without repeats. A phrase's (candidate, start) keys come in that order already (candidates
    ascending, a posting's positions ascending), so this is one comparison pass, not a sort (np.unique over the
    keys of two common words was a quarter of a phrase search at a million articles)."""
    if len(keys) < 2 or bool((keys[1:] > keys[:-1]).all()):
        return keys
    return np.unique(keys)


def _sorted_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The values in both of two ascending arrays without repeats: a binary search of the smaller in the larger when
    it is much smaller, else the two merged by a stable sort (which finds the two sorted runs and merges them in
    linear time) and the values met twice kept (half the time of the binary search for two common words' keys)."""
    if len(a) > len(b):
        a, b = b, a
    if not len(a):
        return a
    if len(a) * 16 < len(b):
        where = np.searchsorted(b, a)
        where[where == len(b)] = 0
        return a[b[where] == a]
    both = kernels.intersect_sorted(a, b)  # one compiled merge, when built
    if both is not None:
        return both
    merged = np.concatenate((a, b))
    merged.sort(kind="stable")
    return merged[:-1][merged[1:] == merged[:-1]]


def _rows_of(ids: np.ndarray, wanted: np.ndarray, count: int) -> np.ndarray:
    """Where each of WANTED (ascending document numbers, all in IDS) sits in IDS (ascending, under COUNT): a binary
    search for a few; for many, one compiled merge when built, else a table over every document number (a third of
    the time of the binary search for two common words)."""
    if len(wanted) * 32 < count:
        return np.searchsorted(ids, wanted)
    rows = kernels.rows_of(ids, wanted)  # one compiled merge, when built
    if rows is not None:
        return rows
    row_of = np.empty(count, dtype=np.int64)
    row_of[ids] = np.arange(len(ids), dtype=np.int64)
    return row_of[wanted]


def normalize_metadata_filters(metadata: Mapping[str, Sequence[str]] | None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Metadata filters as a sorted, hashable tuple ((facet, (values...)), ...), empty values dropped; one value
    given as a plain string is one value."""
    if not metadata:
        return ()
    wanted = []
    for name, values in metadata.items():
        values = [values] if isinstance(values, str) else list(values or ())
        kept = tuple(sorted({str(v).strip() for v in values if v is not None and str(v).strip()}))
        if kept:
            wanted.append((str(name), kept))
    return tuple(sorted(wanted))


def fold_name(text: str) -> str:
    """A person or outlet name as name lookups compare it: normalized, case-folded, spaces collapsed."""
    return " ".join(normalize(text).casefold().split())


def resolve_names(values: Sequence[str], names: list[str], lookup: dict[str, int], canonical: Any = None) -> list[str]:
    """The NAMES a filter value means (LOOKUP: folded name -> index in NAMES). Exact names win, then the registry's
    canonical name for the value (BBC -> بي بي سي عربي), then every name containing the value (normalized, any
    case)."""
    chosen: list[str] = []
    for value in values:
        folded = fold_name(value)
        if not folded:
            continue
        if folded in lookup:
            chosen.append(names[lookup[folded]])
            continue
        if canonical is not None:
            known = fold_name(canonical(value))
            if known in lookup:
                chosen.append(names[lookup[known]])
                continue
        chosen.extend(name for key, index in lookup.items() if folded in key for name in [names[index]])
    return list(dict.fromkeys(chosen))


def within(docs: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The documents the filter mask lets through (all of them without filters)."""
    return docs if mask is None else docs[mask[docs]]


def scored_pairs(node: Node | None, expand_prefix: Callable[[tuple[str, ...], tuple[str, ...]], list[str]] | None
                 = None) -> list[tuple[str, str]]:
    """(field, term) of every positive word, phrase word and (with EXPAND_PREFIX) prefix expansion of NODE: what
    relevance counts. Without EXPAND_PREFIX, prefixes count nothing (a sharded search resolves them beforehand)."""
    pairs: list[tuple[str, str]] = []
    for leaf in iter_positive(node):
        if isinstance(leaf, Word):
            pairs.extend((f, t) for t in leaf.terms for f in leaf.fields)
        elif isinstance(leaf, Phrase):
            pairs.extend((f, t) for t, _ in leaf.terms for f in leaf.fields)
        elif isinstance(leaf, Prefix) and expand_prefix is not None:
            pairs.extend((f, t) for t in expand_prefix(leaf.prefixes, leaf.fields) for f in leaf.fields)
    return list(dict.fromkeys(pairs))
