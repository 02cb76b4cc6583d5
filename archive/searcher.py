"""Answers queries over the index: the library API used by the command line and the app.

    archive = Archive.open("index")
    result = archive.search("بوتين موسكو", persons=["فلاديمير بوتين"], date_from=date(2018, 1, 1))
    result.total, result.hits[0].snippet, result.facets["month"]

How it stays fast (DESIGN.md's pitfalls): Whoosh is the storage (term dictionary, postings, stored fields), but
matching, filtering, facet counting and scoring run on numpy arrays.

- Each query term's postings are read once as arrays of document numbers and term weights (an LRU keeps the
  recent ones), so a word with 15,000 matches costs a few block reads, not 15,000 matcher steps.
- AND / OR / NOT are set operations on sorted document-number arrays; phrases are checked with positions only on
  the documents that have all their words.
- Filters (persons, sources, date range) are boolean masks over per-document arrays loaded on open
  (archive/facets.py); facets are `np.bincount` over the matching documents: exact, whatever the hit count.
- Only the page is ranked and rendered: BM25F scores (Whoosh's formula, title weighted by its field boost) are
  accumulated in one dense array, the top `page * limit` picked with `argpartition`, and one snippet built per hit.
- Repeats are cached per opened index: parsed queries, match sets, filter masks.

Thread safety: an Archive may be shared by the threads of a Streamlit process. Everything that reads Whoosh files
runs under one lock per opened index (Whoosh's file objects seek); numpy work and the caches are safe outside it.
A rebuild or `add` is picked up by `reload_if_changed()`, which swaps in a new snapshot; searches already
running finish on the old one.
"""

from __future__ import annotations

import contextlib
import datetime
import html
import math
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archive.article import Article
from archive.errors import ArchiveError, IndexCorruptError, IndexMissingError, IndexVersionError
from archive.facets import DocArrays, Postings, read_postings
from archive.normalize import normalize
from archive.query import (
    MAX_PREFIX_TERMS,
    MAX_QUERY_CHARS,
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
from archive.snippets import find_matches, highlight_text, make_snippet

SORTS = ("relevance", "newest", "oldest")
MATCHES = ("all", "any")
# BM25F constants: Whoosh's defaults, so scores read like Whoosh's.
BM25_B = 0.75
BM25_K1 = 1.2
FALLBACK_NOTICE = "no article has all the words; showing articles with some of them"
MAX_LIMIT = 1000
INDEX_NAME = "MAIN"  # Whoosh's default index name, as the indexer writes it
# Cache file of the per-document arrays inside a generation directory: search-arrays-<TOC generation>.npz
ARRAYS_CACHE_PREFIX = "search-arrays-"
# Postings kept in the term cache, counted in document numbers (8 bytes each with the weight).
TERM_CACHE_POSTINGS = 6_000_000
# Document numbers kept in the match-set cache (4 bytes each).
MATCH_CACHE_DOCS = 8_000_000
# Key terms of an article for "more like this" and "same story".
SIMILAR_TERMS = 15
SAME_STORY_DAYS = 3
SAME_STORY_MIN_SHARE = 0.3
# Unknown words of one query that "did you mean" tries to correct.
MAX_SUGGESTED_WORDS = 3
MAX_FUZZY_CHARS = 12


# ---------------------------------------------------------------- results


@dataclass
class Hit:
    id: str
    title: str
    source: str | None
    date: datetime.date | None
    persons: list[str]
    score: float
    url: str | None
    snippet: str  # HTML-safe: escaped text, the matched words in <mark>
    plain_snippet: str  # no markup, not escaped: for terminals
    title_html: str = ""  # the title escaped, matched words in <mark>
    docnum: int = -1

    @property
    def date_iso(self) -> str | None:
        return self.date.isoformat() if self.date else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date_iso,
                "persons": list(self.persons), "score": self.score, "snippet": self.snippet}


@dataclass
class SearchResult:
    query: str
    total: int
    took_ms: float
    page: int
    limit: int
    hits: list[Hit]
    match_used: str
    fell_back: bool
    normalized_query: str
    suggestions: list[str]
    facets: dict[str, list[tuple[str | None, int]]]
    notice: str | None = None
    sort: str = "relevance"

    def to_dict(self) -> dict[str, Any]:
        """Exactly DESIGN.md's `search --json` object."""
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": self.took_ms,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {name: [[key, count] for key, count in pairs] for name, pairs in self.facets.items()},
        }

    def summary_line(self) -> str:
        shown = f"{self.total} article{'s' if self.total != 1 else ''}"
        what = f" for «{self.query}»" if self.query.strip() else ""
        terms = (f" (searched as: {self.normalized_query})"
                 if self.normalized_query and self.normalized_query != self.query.strip() else "")
        page = ""
        if self.total > self.limit:
            pages = math.ceil(self.total / self.limit)
            page = f", page {self.page} of {pages}"
        line = f"{shown}{what}{terms}{page}, by {self.sort}, in {self.took_ms:.1f} ms"
        if self.notice:
            line += f" — {self.notice}"
        if self.suggestions:
            line += " — did you mean: " + " | ".join(self.suggestions)
        return line


# ---------------------------------------------------------------- caches


class _LRU:
    """A small thread-safe LRU; `weight` bounds the total size when given."""

    def __init__(self, max_items: int, max_weight: int | None = None) -> None:
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_items = max_items
        self.max_weight = max_weight
        self.weight = 0
        self.enabled = True

    def get(self, key: Hashable) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any, weight: int = 1) -> None:
        if not self.enabled:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            self._items[key] = (value, weight)
            self.weight += weight
            while self._items and (len(self._items) > self.max_items
                                   or (self.max_weight is not None and self.weight > self.max_weight)):
                _, (_, dropped) = self._items.popitem(last=False)
                self.weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0


# ---------------------------------------------------------------- one opened index


def _resolve_index(index_dir: Path) -> Path:
    """The directory of the live index generation (the indexer's CURRENT pointer)."""
    from archive.indexer import current_index_path

    return Path(current_index_path(index_dir))


def _check_versions(index_dir: Path) -> None:
    """An index written by another analysis or schema version cannot be searched correctly: say so."""
    from archive.indexer import check_versions

    check_versions(index_dir)


class _Snapshot:
    """One opened index generation: Whoosh reader, per-document arrays, caches. Immutable once built."""

    def __init__(self, index_dir: Path, generation: Path) -> None:
        from whoosh.filedb.filestore import FileStorage

        self.index_dir = index_dir
        self.path = generation
        try:
            # Without mmap: Whoosh's compound-segment reader otherwise copies every mmapped segment into a BytesIO
            # (whoosh/filedb/structfile.py BufferFile), i.e. the whole index into RAM on each open (+189 MB and
            # ~0.4 s at 30,000 articles). Plain file reads cost a little per block; the term cache absorbs that.
            storage = FileStorage(str(generation), supports_mmap=False, readonly=True)
            self.index = storage.open_index(INDEX_NAME)
            self.toc_generation = self.index.latest_generation()
            self.reader = self.index.reader()
        except ArchiveError:
            raise
        except (AttributeError, ModuleNotFoundError, ImportError) as error:
            raise IndexVersionError(f"the index in {index_dir} was written by an incompatible version ({error}): "
                                    "run `news-archive rebuild-index`") from error
        except Exception as error:
            if not generation.exists():
                raise IndexMissingError(f"no index in {index_dir}: run `news-archive rebuild-index` first") from error
            raise IndexCorruptError(f"the index in {index_dir} cannot be read ({type(error).__name__}: {error}): "
                                    "run `news-archive rebuild-index`") from error
        self.lock = threading.RLock()
        self.arrays = self._load_arrays()
        arrays = self.arrays
        self.live = arrays.live
        self.count = arrays.count
        self.live_count = max(arrays.live_count, 1)
        live_title = arrays.title_len[arrays.live]
        live_body = arrays.body_len[arrays.live]
        self.avg_length = {
            "title": float(live_title.mean()) if len(live_title) else 1.0,
            "body": float(live_body.mean()) if len(live_body) else 1.0,
        }
        self.field_lengths = {"title": arrays.title_len, "body": arrays.body_len}
        self.all_docs = np.flatnonzero(arrays.live).astype(np.int32)
        # each document's place in the newest-first and oldest-first orders (undated last in both; ties by
        # document number), so a date sort of any match set is one integer sort
        docnums = np.arange(self.count, dtype=np.int64)
        day = arrays.day.astype(np.int64)
        self.date_rank = {}
        for name, order in (("newest", np.lexsort((-docnums, -day))),
                            ("oldest", np.lexsort((docnums, np.where(day > 0, day, np.iinfo(np.int64).max))))):
            rank = np.empty(self.count, dtype=np.int32)
            rank[order] = np.arange(self.count, dtype=np.int32)
            self.date_rank[name] = rank
        self.term_cache = _LRU(200_000, TERM_CACHE_POSTINGS)
        self.match_cache = _LRU(1024, MATCH_CACHE_DOCS)
        self.mask_cache = _LRU(64)
        self.prefix_cache = _LRU(1024)
        self._source_lookup = {self._fold(name): i for i, name in enumerate(arrays.source_names)}
        self._person_lookup = {self._fold(name): i for i, name in enumerate(arrays.person_names)}

    def _load_arrays(self) -> DocArrays:
        """The per-document arrays, from the cache file of this exact index state when there is one; else read
        from the index (person postings: ~0.7 s at 30,000 articles) and saved for the next process to open it.
        The file lives inside the generation directory and is named by Whoosh's table-of-contents generation,
        which every `add` advances, so a stale file is never read."""
        count = self.reader.doc_count_all()
        cache = self.path / f"{ARRAYS_CACHE_PREFIX}{self.toc_generation}.npz"
        arrays = DocArrays.from_file(cache, count)
        if arrays is not None:
            return arrays
        with self.lock:
            arrays = DocArrays.load(self.reader)
        with contextlib.suppress(OSError):  # a read-only index is fine: the cache is only a speed-up
            arrays.save(cache)
            for stale in self.path.glob(f"{ARRAYS_CACHE_PREFIX}*.npz"):
                if stale != cache:
                    stale.unlink(missing_ok=True)
        return arrays

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.reader.close()

    def changed_on_disk(self) -> bool:
        try:
            generation = _resolve_index(self.index_dir)
        except ArchiveError:
            return False  # keep serving the open index rather than losing it
        if generation.resolve() != self.path.resolve():
            return True
        try:
            # `add` commits a new table of contents into the same generation directory
            return self.index.latest_generation() != self.toc_generation
        except Exception:
            return False

    @staticmethod
    def _fold(text: str) -> str:
        return " ".join(normalize(text).casefold().split())

    # ------------------------------------------------------------ postings

    def postings(self, fieldname: str, term: str, with_values: bool = False) -> Postings:
        key = (fieldname, term, with_values)
        cached = self.term_cache.get(key)
        if cached is not None:
            return cached
        with self.lock:
            postings = read_postings(self.reader, fieldname, term, with_values)
        if len(postings):
            live = self.live[postings.ids]
            if not live.all():
                values = None
                if postings.values is not None:
                    values = [v for v, keep in zip(postings.values, live.tolist(), strict=True) if keep]
                postings = Postings(postings.ids[live], postings.weights[live], values)
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
            try:
                return int(self.reader.doc_frequency(fieldname, term))
            except Exception:  # a term the field never saw
                return 0

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
        if len(a) > len(b):
            a, b = b, a
        if not len(a):
            return a
        return a[self.mask_of(b)[a]]

    def union(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        parts = [p for p in parts if len(p)]
        if not parts:
            return self.all_docs[:0]
        if len(parts) == 1:
            return parts[0]
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
        fmt = self.reader.schema[fieldname].format
        if not hasattr(fmt, "decode_positions"):
            return candidates
        rows = [np.searchsorted(p.ids, candidates) for p in postings]
        keep = np.zeros(len(candidates), dtype=bool)
        with self.lock:
            for index in range(len(candidates)):
                starts = None
                for (_, offset), p, row in zip(terms, postings, rows, strict=True):
                    value = p.values[row[index]] if p.values is not None else None
                    if value is None:
                        starts = None
                        break
                    positions = {pos - offset for pos in fmt.decode_positions(value)}
                    starts = positions if starts is None else starts & positions
                    if not starts:
                        break
                keep[index] = bool(starts)
        return candidates[keep]

    def field_match_mask(self, node: FieldMatch) -> np.ndarray:
        if node.field == "source":
            return self.arrays.sources_mask(self.resolve_sources([node.value]))
        return self.arrays.persons_mask(self.resolve_persons([node.value]))

    def _resolve(self, values: Sequence[str], names: list[str], lookup: dict[str, int],
                 canonical: Any = None) -> list[str]:
        """Exact names win, then the registry's canonical name for the value (BBC -> بي بي سي عربي), then every
        name containing the value (normalized, any case)."""
        chosen: list[str] = []
        for value in values:
            folded = self._fold(value)
            if not folded:
                continue
            if folded in lookup:
                chosen.append(names[lookup[folded]])
                continue
            if canonical is not None:
                try:
                    known = self._fold(canonical(value))
                except Exception:
                    known = ""
                if known in lookup:
                    chosen.append(names[lookup[known]])
                    continue
            chosen.extend(name for key, index in lookup.items() if folded in key for name in [names[index]])
        return list(dict.fromkeys(chosen))

    def resolve_sources(self, values: Sequence[str]) -> list[str]:
        from archive.sources import canonical_source

        return self._resolve(values, self.arrays.source_names, self._source_lookup, canonical_source)

    def resolve_persons(self, values: Sequence[str]) -> list[str]:
        from archive.people import canonical_person

        return self._resolve(values, self.arrays.person_names, self._person_lookup, canonical_person)

    def filter_mask(self, persons: Sequence[str], sources: Sequence[str], day_from: int | None,
                    day_to: int | None, include_undated: bool | None) -> np.ndarray | None:
        """Live documents passing the filters, or None when there is no filter."""
        # one name given as a plain string is one name, not a sequence of letters
        persons = [persons] if isinstance(persons, str) else list(persons or ())
        sources = [sources] if isinstance(sources, str) else list(sources or ())
        persons = tuple(sorted({p for p in persons if p and p.strip()}))
        sources = tuple(sorted({s for s in sources if s and s.strip()}))
        has_range = day_from is not None or day_to is not None
        if not persons and not sources and not has_range:
            return None
        key = (persons, sources, day_from, day_to, bool(include_undated))
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
        self.mask_cache.put(key, mask)
        return mask

    # ------------------------------------------------------------ scoring

    def scored_terms(self, node: Node | None) -> list[tuple[str, str]]:
        """(field, term) of every positive word, phrase word and prefix expansion: what relevance counts."""
        pairs: list[tuple[str, str]] = []
        for leaf in iter_positive(node):
            if isinstance(leaf, Word):
                pairs.extend((f, t) for t in leaf.terms for f in leaf.fields)
            elif isinstance(leaf, Phrase):
                pairs.extend((f, t) for t, _ in leaf.terms for f in leaf.fields)
            elif isinstance(leaf, Prefix):
                pairs.extend((f, t) for t in self.expand_prefix(leaf.prefixes, leaf.fields) for f in leaf.fields)
        return list(dict.fromkeys(pairs))

    def scores(self, pairs: list[tuple[str, str]], docs: np.ndarray) -> np.ndarray:
        """BM25F scores of docs (Whoosh's formula: per field, the weight already carries the field boost)."""
        if not len(docs) or not pairs:
            return np.zeros(len(docs), dtype=np.float32)
        total = np.zeros(self.count, dtype=np.float32)
        n = self.live_count
        for fieldname, term in pairs:
            postings = self.postings(fieldname, term)
            if not len(postings):
                continue
            idf = math.log(n / (len(postings) + 1)) + 1.0
            lengths = self.field_lengths[fieldname][postings.ids]
            tf = postings.weights
            norm = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / self.avg_length[fieldname])
            total[postings.ids] += idf * (tf * (BM25_K1 + 1)) / (tf + norm)
        return total[docs]

    # ------------------------------------------------------------ stored documents

    def stored(self, docnum: int) -> dict[str, Any]:
        with self.lock:
            return self.reader.stored_fields(int(docnum))

    def docnum_of(self, article_id: str) -> int | None:
        postings = self.postings("id", str(article_id))
        return int(postings.ids[-1]) if len(postings) else None


# ---------------------------------------------------------------- helpers


def _within(docs: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """The documents the filter mask lets through (all of them without filters)."""
    return docs if mask is None else docs[mask[docs]]


def _day(value: datetime.date | None) -> int | None:
    return None if value is None else value.year * 10000 + value.month * 100 + value.day


def _date_of(day: int) -> datetime.date | None:
    if not day:
        return None
    try:
        return datetime.date(day // 10000, day // 100 % 100, day % 100)
    except ValueError:
        return None


def _persons_of(stored: dict[str, Any]) -> list[str]:
    value = stored.get("persons") or ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [name.strip() for name in str(value).split(",") if name.strip()]


def _title_html(title: str, terms: set[str]) -> str:
    return highlight_text(title, terms) if terms else html.escape(title)


@dataclass
class _Query:
    parsed: ParsedQuery
    node: Node | None
    match_used: str
    fell_back: bool
    docs: np.ndarray
    notices: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the public API


class Archive:
    """An open archive index. Cheap to keep open for the whole process; safe to share between threads."""

    def __init__(self, index_dir: Path, snapshot: _Snapshot) -> None:
        self.index_dir = index_dir
        self._snapshot = snapshot
        self._reload_lock = threading.Lock()
        self._parse_cache = _LRU(2048)

    @classmethod
    def open(cls, index_dir: str | Path) -> Archive:
        index_dir = Path(index_dir)
        generation = _resolve_index(index_dir)
        _check_versions(index_dir)
        return cls(index_dir, _Snapshot(index_dir, generation))

    def close(self) -> None:
        self._snapshot.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        """The directory of the index generation being searched."""
        return self._snapshot.path

    def reload_if_changed(self) -> bool:
        """Open the new index when a rebuild was swapped in or `add` changed it; True when it did."""
        with self._reload_lock:
            if not self._snapshot.changed_on_disk():
                return False
            generation = _resolve_index(self.index_dir)
            _check_versions(self.index_dir)
            self._snapshot = _Snapshot(self.index_dir, generation)
            # the old snapshot is left to the garbage collector: a search running on it finishes undisturbed
            return True

    def clear_caches(self) -> None:
        """Forget cached postings, match sets, masks and parses (benchmarks measure with and without them)."""
        snap = self._snapshot
        for cache in (snap.term_cache, snap.match_cache, snap.mask_cache, snap.prefix_cache, self._parse_cache):
            cache.clear()

    def set_caching(self, enabled: bool) -> None:
        snap = self._snapshot
        for cache in (snap.term_cache, snap.match_cache, snap.mask_cache, snap.prefix_cache, self._parse_cache):
            cache.enabled = enabled
            cache.clear()

    # ------------------------------------------------------------ search

    def parse(self, query: str) -> ParsedQuery:
        cached = self._parse_cache.get(query)
        if cached is None:
            cached = parse(query)
            self._parse_cache.put(query, cached)
        return cached

    def _match(self, snap: _Snapshot, query: str, match: str | None, mask: np.ndarray | None) -> _Query:
        if match is not None and match not in MATCHES:
            raise ValueError(f"match must be one of {', '.join(MATCHES)}, not {match!r}")
        parsed = self.parse(query)
        notices = list(parsed.notices)
        if parsed.root is None:
            if query.strip():
                return _Query(parsed, None, match or "all", False, snap.all_docs[:0], notices)
            return _Query(parsed, None, match or "all", False, _within(snap.all_docs, mask), notices)
        match_used = match or "all"
        node = with_match(parsed.root, match_used)
        unfiltered = snap.docs(node)
        docs = _within(unfiltered, mask)
        fell_back = False
        if match is None and not len(docs) and has_implicit_and(parsed.root):
            any_node = with_match(parsed.root, "any")
            any_docs = _within(snap.docs(any_node), mask)
            if len(any_docs):  # a fallback that finds nothing either would only claim to show something
                node, docs, match_used, fell_back = any_node, any_docs, "any", True
                notices.insert(0, FALLBACK_NOTICE)
        if not len(docs) and mask is not None and len(unfiltered):
            notices.append(f"{len(unfiltered)} articles match without the person, outlet and date filters")
        return _Query(parsed, node, match_used, fell_back, docs, notices)

    def _order(self, snap: _Snapshot, q: _Query, sort: str, count: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The first `count` (None: all) matching docs in sort order, with their scores."""
        docs = q.docs
        day = snap.arrays.day[docs]
        if sort == "relevance" and q.node is not None:
            scores = snap.scores(snap.scored_terms(q.node), docs)
            # ties broken by newer first, then by document number, so pages never overlap
            if count is not None and count < len(docs):
                cut = np.argpartition(-scores, count - 1)[:count]
                threshold = scores[cut].min()
                cut = np.flatnonzero(scores >= threshold)
            else:
                cut = np.arange(len(docs))
            order = cut[np.lexsort((docs[cut], -day[cut], -scores[cut]))]
        else:
            scores = np.zeros(len(docs), dtype=np.float32)
            keys = snap.date_rank["oldest" if sort == "oldest" else "newest"][docs]
            if count is not None and count < len(docs):
                cut = np.argpartition(keys, count - 1)[:count]
                order = cut[np.argsort(keys[cut])]
            else:
                order = np.argsort(keys)
        if count is not None:
            order = order[:count]
        return docs[order], scores[order]

    def search(self, query: str = "", *, persons: Sequence[str] = (), sources: Sequence[str] = (),
               date_from: datetime.date | None = None, date_to: datetime.date | None = None,
               include_undated: bool | None = None, sort: str | None = None, match: str | None = None,
               limit: int = 10, page: int = 1, facet_limit: int = 50) -> SearchResult:
        started = time.perf_counter()
        query = query if isinstance(query, str) else str(query or "")
        if sort is not None and sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        limit = max(1, min(int(limit), MAX_LIMIT))
        page = max(1, int(page))
        snap = self._snapshot
        mask = snap.filter_mask(persons, sources, _day(date_from), _day(date_to), include_undated)
        q = self._match(snap, query, match, mask)
        if sort is None:
            sort = "relevance" if q.node is not None else "newest"
        facets = snap.arrays.facet_counts(q.docs, facet_limit)
        first = (page - 1) * limit
        page_docs, page_scores = self._order(snap, q, sort, first + limit)
        page_docs, page_scores = page_docs[first:], page_scores[first:]
        terms = self._highlight_terms(snap, q.node)
        hits = [self._hit(snap, int(d), float(s), terms) for d, s in zip(page_docs, page_scores, strict=True)]
        # "did you mean" when nothing is found, and also when a fallback hides that a word is unknown
        wants_suggestions = q.parsed.root is not None and (not len(q.docs) or q.fell_back)
        suggestions = self.suggest(query) if wants_suggestions else []
        notices = [*q.notices, *self._unknown_names(snap, q.parsed.root, persons, sources)]
        if suggestions:
            notices.append(("nothing found" if not len(q.docs) else "some words are not in the archive")
                           + "; did you mean: " + " | ".join(suggestions))
        return SearchResult(
            query=query, total=len(q.docs), took_ms=round((time.perf_counter() - started) * 1000, 2),
            page=page, limit=limit, hits=hits, match_used=q.match_used, fell_back=q.fell_back,
            normalized_query=q.parsed.describe(), suggestions=suggestions, facets=facets,
            notice="; ".join(notices) if notices else None, sort=sort)

    @staticmethod
    def _unknown_names(snap: _Snapshot, root: Node | None, persons: Sequence[str],
                       sources: Sequence[str]) -> list[str]:
        """Notices for person / source names (filters or `person:` / `source:` in the query) matching nobody."""
        notices = []
        persons = [persons] if isinstance(persons, str) else list(persons or ())
        sources = [sources] if isinstance(sources, str) else list(sources or ())
        wanted_persons = [p for p in persons if p and p.strip()]
        wanted_sources = [s for s in sources if s and s.strip()]
        for leaf in iter_positive(root):
            if isinstance(leaf, FieldMatch):
                (wanted_persons if leaf.field == "person" else wanted_sources).append(leaf.value)
        for value in wanted_persons:
            if not snap.resolve_persons([value]):
                notices.append(f"no article names a person matching “{value}”")
        for value in wanted_sources:
            if not snap.resolve_sources([value]):
                notices.append(f"no outlet in the archive matches “{value}”")
        return notices

    def _highlight_terms(self, snap: _Snapshot, node: Node | None) -> set[str]:
        if node is None:
            return set()
        terms: set[str] = set()
        for leaf in iter_positive(node):
            if isinstance(leaf, Word):
                terms.update(leaf.terms)
            elif isinstance(leaf, Phrase):
                terms.update(t for t, _ in leaf.terms)
            elif isinstance(leaf, Prefix):
                terms.update(snap.expand_prefix(leaf.prefixes, leaf.fields))
        return terms

    def _hit(self, snap: _Snapshot, docnum: int, score: float, terms: set[str]) -> Hit:
        stored = snap.stored(docnum)
        body = stored.get("body") or ""
        title = stored.get("title") or ""
        snippet, plain = make_snippet(body, terms)
        return Hit(
            id=str(stored.get("id")), title=title, source=stored.get("source") or None,
            date=_date_of(int(snap.arrays.day[docnum])), persons=_persons_of(stored), score=round(score, 4),
            url=stored.get("url") or None, snippet=snippet, plain_snippet=plain,
            title_html=_title_html(title, terms), docnum=docnum)

    def iter_matches(self, query: str = "", *, persons: Sequence[str] = (), sources: Sequence[str] = (),
                     date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                     include_undated: bool | None = None, sort: str | None = None,
                     match: str | None = None) -> Iterator[dict[str, Any]]:
        """Every matching article (for export), in the search's order: id, title, source, date, persons, url, body."""
        snap = self._snapshot
        mask = snap.filter_mask(persons, sources, _day(date_from), _day(date_to), include_undated)
        q = self._match(snap, query, match, mask)
        sort = sort or ("relevance" if q.node is not None else "newest")
        docs, _ = self._order(snap, q, sort, None)
        for docnum in docs.tolist():
            stored = snap.stored(docnum)
            day = int(snap.arrays.day[docnum])
            yield {"id": str(stored.get("id")), "title": stored.get("title") or "",
                   "source": stored.get("source") or None,
                   "date": _date_of(day).isoformat() if _date_of(day) else None,
                   "persons": _persons_of(stored), "url": stored.get("url") or None, "body": stored.get("body") or ""}

    # ------------------------------------------------------------ articles

    def get(self, article_id: str) -> Article | None:
        snap = self._snapshot
        docnum = snap.docnum_of(article_id)
        if docnum is None:
            return None
        stored = snap.stored(docnum)
        return Article(id=str(stored.get("id")), title=stored.get("title") or "", body=stored.get("body") or "",
                       source=stored.get("source") or None, published=_date_of(int(snap.arrays.day[docnum])),
                       url=stored.get("url") or None, persons=_persons_of(stored),
                       origin=str(stored.get("origin") or ""))

    def highlight_body(self, article_id: str, query: str) -> str:
        """The whole body HTML-escaped, the query's words marked; '' for an unknown id."""
        snap = self._snapshot
        docnum = snap.docnum_of(article_id)
        if docnum is None:
            return ""
        body = snap.stored(docnum).get("body") or ""
        return highlight_text(body, self._highlight_terms(snap, self.parse(query or "").root))

    def _key_terms(self, snap: _Snapshot, docnum: int, count: int) -> list[str]:
        from archive.analysis import analyze_terms

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

    def _related(self, article_id: str, terms_count: int
                 ) -> tuple[_Snapshot, int, np.ndarray, np.ndarray, float, set[str]]:
        """The article's key terms scored over the archive: (snapshot, its docnum, other docs, their scores,
        its own score, the key terms)."""
        snap = self._snapshot
        docnum = snap.docnum_of(article_id)
        if docnum is None:
            empty = snap.all_docs[:0]
            return snap, -1, empty, np.zeros(0, np.float32), 0.0, set()
        terms = self._key_terms(snap, docnum, terms_count)
        pairs = [(f, t) for t in terms for f in ("title", "body")]
        docs = snap.union([snap.postings(f, t).ids for f, t in pairs])
        scores = snap.scores(pairs, docs)
        at = int(np.searchsorted(docs, docnum))
        own = float(scores[at]) if at < len(docs) and docs[at] == docnum else 0.0
        keep = docs != docnum
        return snap, docnum, docs[keep], scores[keep], own, set(terms)

    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        """More like this: articles sharing the article's most distinctive terms, best first."""
        snap, docnum, docs, scores, _, terms = self._related(article_id, SIMILAR_TERMS)
        if docnum < 0 or not len(docs):
            return []
        top = np.argsort(-scores, kind="stable")[:limit]
        return [self._hit(snap, int(docs[i]), float(scores[i]), terms) for i in top]

    def same_story(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Other outlets' articles on the same story: a different source, published within SAME_STORY_DAYS days
        (undated articles only match undated), and scoring at least SAME_STORY_MIN_SHARE of the article's own
        score on its key terms."""
        snap, docnum, docs, scores, own, terms = self._related(article_id, SIMILAR_TERMS)
        if docnum < 0 or not len(docs) or own <= 0:
            return []
        arrays = snap.arrays
        own_source = arrays.source_id[docnum]
        keep = (arrays.source_id[docs] != own_source) & (scores >= SAME_STORY_MIN_SHARE * own)
        own_day = int(arrays.day[docnum])
        if own_day:
            own_date = _date_of(own_day)
            days = arrays.day[docs]
            ordinals = np.array([(_date_of(int(d)) or own_date).toordinal() if d else -10**6 for d in days.tolist()])
            keep &= np.abs(ordinals - own_date.toordinal()) <= SAME_STORY_DAYS
        else:
            keep &= arrays.day[docs] == 0
        docs, scores = docs[keep], scores[keep]
        top = np.argsort(-scores, kind="stable")[:limit]
        return [self._hit(snap, int(docs[i]), float(scores[i]), terms) for i in top]

    # ------------------------------------------------------------ did you mean

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        """Queries that would find something: each unknown word replaced by the most frequent known word within
        one or two edits (Arabic letters; the corpus lexicon first, then the index's own terms)."""
        snap = self._snapshot
        # a suggestion rewrites only the part of the query the parser reads, never 10,000 pasted characters
        if len(query) > MAX_QUERY_CHARS:
            query = query[:MAX_QUERY_CHARS].rsplit(None, 1)[0] if " " in query[:MAX_QUERY_CHARS] else ""
        parsed = self.parse(query)
        words = [leaf for leaf in iter_positive(parsed.root) if isinstance(leaf, Word)]
        unknown = [w for w in words if any(not snap.doc_frequency("title", t) and not snap.doc_frequency("body", t)
                                           for t in w.terms)]
        if not unknown:
            return []
        # bounded work: a query of many unknown words (a pasted paragraph, a 1000-term OR chain) gets
        # corrections for its first few only
        unknown = unknown[:MAX_SUGGESTED_WORDS]
        options: list[tuple[str, list[str]]] = []
        for number, word in enumerate(unknown):
            with snap.lock:
                candidates = suggestions_for_word(word.raw, snap.reader, lambda t: snap.doc_frequency("body", t)
                                                  + snap.doc_frequency("title", t), index_search=number == 0)
            options.append((word.raw, candidates))
        results: list[str] = []
        for rank in range(limit):
            text = query
            changed = False
            for raw, candidates in options:
                if candidates:
                    text = text.replace(raw, candidates[min(rank, len(candidates) - 1)], 1)
                    changed = True
            if changed and text not in results and text != query:
                results.append(text)
        return results[:limit]

    # ------------------------------------------------------------ stats

    def stats(self, top_people: int = 50) -> dict[str, Any]:
        snap = self._snapshot
        arrays = snap.arrays
        docs = snap.all_docs
        sources = np.bincount(arrays.source_id[docs], minlength=len(arrays.source_names) + 1)
        people = arrays.person_counts(docs)
        dated = arrays.day[docs][arrays.day[docs] > 0]
        info: dict[str, Any] = {}
        try:
            from archive.indexer import read_build_info

            info = read_build_info(self.index_dir) or {}
        except Exception:
            info = {}
        index_bytes = sum(p.stat().st_size for p in snap.path.iterdir() if p.is_file())
        from archive.schema import versions

        return {
            "articles": len(docs),
            "sources": {name: int(n) for name, n in sorted(
                zip(arrays.source_names, sources[: len(arrays.source_names)], strict=True),
                key=lambda item: (-item[1], item[0])) if n},
            "unknown_source": int(sources[-1]),
            "people": {name: int(n) for name, n in
                       sorted(((name, n) for name, n in zip(arrays.person_names, people, strict=True) if n),
                              key=lambda item: (-item[1], item[0]))[:top_people]},
            "distinct_people": int(np.count_nonzero(people)),
            "date_range": ([_date_of(int(dated.min())).isoformat(), _date_of(int(dated.max())).isoformat()]
                           if len(dated) else None),
            "undated": int(len(docs) - len(dated)),
            "index_dir": str(snap.path),
            "index_bytes": int(index_bytes),
            "built_at": info.get("built_at"),
            "build_seconds": info.get("seconds", info.get("build_seconds")),
            "inputs": info.get("inputs"),
            "versions": info.get("versions") or versions(),
        }


# ---------------------------------------------------------------- did you mean: candidates

# The letters of normalized Arabic (no أ إ آ ى ة: normalization folds them), for one-edit variants.
_ARABIC_LETTERS = "ءابتثجحخدذرزسشصضطظعغفقكلمنهويئؤ"
_reverse_lexicon: dict[str, str] | None = None
_reverse_lock = threading.Lock()


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in _ARABIC_LETTERS]
    inserts = [a + c + b for a, b in splits for c in _ARABIC_LETTERS]
    return set(deletes + transposes + replaces + inserts)


def _surface_form(term: str) -> str:
    """The most frequent lexicon word whose index term is `term` (a stem reads badly as a suggestion)."""
    global _reverse_lexicon
    from archive.analysis import term_of
    from archive.stemmer import LEXICON

    with _reverse_lock:
        if _reverse_lexicon is None:
            reverse: dict[str, tuple[int, str]] = {}
            for word, count in LEXICON.items():
                stem = term_of(word)
                if stem and (stem not in reverse or count > reverse[stem][0]):
                    reverse[stem] = (count, word)
            _reverse_lexicon = {stem: word for stem, (_, word) in reverse.items()}
    return _reverse_lexicon.get(term, term)


def suggestions_for_word(raw: str, reader: Any, frequency: Any, limit: int = 5, index_search: bool = True) -> list[str]:
    """Known words close to `raw`: one edit away in the corpus lexicon (ranked by how common they are),
    else (with index_search) index terms up to two edits away (ranked by document frequency), for plain words of
    at most MAX_FUZZY_CHARS letters: Whoosh's edit-distance automaton grows with the word. Only words the index
    has."""
    from archive.analysis import term_of
    from archive.stemmer import LEXICON

    word = normalize(raw).casefold()
    if not word or len(word) > 40:
        return []
    own_term = term_of(word)
    found: dict[str, int] = {}
    for candidate in _edits1(word):
        count = LEXICON.get(candidate)
        if count:
            term = term_of(candidate)
            if term and term != own_term and frequency(term):
                found[candidate] = max(found.get(candidate, 0), count)
    if not found and index_search and own_term and 3 <= len(own_term) <= MAX_FUZZY_CHARS and own_term.isalpha():
        for fieldname in ("body", "title"):
            try:
                # two edits for short words; one for long ones, whose automaton would be slow to walk
                near = reader.terms_within(fieldname, own_term, 2 if len(own_term) <= 7 else 1, prefix=1)
            except Exception:
                near = []
            for term in near:
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                if text != own_term:
                    found[_surface_form(text)] = max(found.get(text, 0), frequency(text))
    return sorted(found, key=lambda w: (-found[w], w))[:limit]


def match_positions(text: str, query: str) -> list[tuple[int, int]]:
    """Character spans in text of the query's words (for callers that mark text themselves)."""
    parsed = parse(query)
    return [(start, end) for start, end, _ in find_matches(text, parsed.positive_terms())]


__all__ = ["Archive", "Hit", "SearchResult"]
