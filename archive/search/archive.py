"""The library API used by the command line and the app: an open archive index and what can be asked of it.

    archive = Archive.open("index")
    result = archive.search("بوتين موسكو", persons=["فلاديمير بوتين"], date_from=date(2018, 1, 1))
    result.total, result.hits[0].snippet, result.facets["month"]

A facade over the rooms of archive/search/: the query parser (query.py), the engine over arrays (engine.py: match
sets, masks, BM25F), did-you-mean (suggest.py), similar and same-story (related.py), snippets and result types
(snippets.py, results.py). Only the page is ranked and rendered: the top `page * limit` picked with
`argpartition`, one snippet built per hit.

An Archive may be shared by the threads of a Streamlit process. A rebuild or `add` is picked up by
`reload_if_changed()`, which swaps in a new snapshot; searches already running finish on the old one.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from archive.article import Article
from archive.errors import ArchiveError
from archive.index.schema import ENTITY_FIELDS, date_to_day, day_to_date, versions
from archive.index.shards import shard_count
from archive.index.store import check_versions, current_index_path, read_build_info
from archive.search.cache import LRU
from archive.search.engine import Snapshot, within
from archive.search.facet_filters import (
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
from archive.search.query import (
    Node,
    ParsedQuery,
    Phrase,
    Prefix,
    Word,
    has_implicit_and,
    iter_positive,
    parse,
    with_match,
)
from archive.search.related import same_story_docs, similar_docs
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
from archive.search.sharded import ShardedArchive
from archive.search.snippets import highlight_text
from archive.search.suggest import suggest_queries
from archive.search.versions import collapse as collapse_versions


def _day(value: datetime.date | None) -> int | None:
    """A filter bound as a day number; None when the bound is not set."""
    return None if value is None else date_to_day(value)


@dataclass
class _Query:
    parsed: ParsedQuery
    node: Node | None
    match_used: str
    fell_back: bool
    docs: np.ndarray
    notices: list[Notice] = field(default_factory=list)


def _filters_set(persons: Sequence[str], sources: Sequence[str], date_from: datetime.date | None,
                 date_to: datetime.date | None, metadata: tuple[tuple[str, tuple[str, ...]], ...]) -> list[str]:
    """The names of the filters in use (person, source, date, metadata facet names), for the notices."""
    names = [name for name, used in (("person", any(p and str(p).strip() for p in persons or ())),
                                     ("source", any(s and str(s).strip() for s in sources or ())),
                                     ("date", date_from is not None or date_to is not None)) if used]
    return names + [name for name, _ in metadata]


class Archive:
    """An open archive index. Cheap to keep open for the whole process; safe to share between threads."""

    def __init__(self, index_dir: Path, snapshot: Snapshot) -> None:
        self.index_dir = index_dir
        self._snapshot = snapshot
        self._reload_lock = threading.Lock()
        self._parse_cache = LRU(2048)

    @classmethod
    def open(cls, index_dir: str | Path) -> Archive | ShardedArchive:
        """The live index; a sharded one (`rebuild-index --shards N`) as a ShardedArchive with the same methods,
        its shards searched side by side in this process (archive/search/sharded.py)."""
        index_dir = Path(index_dir)
        generation = current_index_path(index_dir)
        check_versions(index_dir)
        if shard_count(generation) > 1:
            return ShardedArchive.open_local(index_dir, generation)
        return cls(index_dir, Snapshot(index_dir, generation))

    @classmethod
    def prepare(cls, index_dir: str | Path) -> float:
        """Opens the live index once, so that the searcher's per-document arrays (and the decision on spellings of
        one person) are built and cached in the generation by the command that wrote it, not by the first search
        after it: about 1 s for 30,000 articles, 100 s for a million. The seconds it took."""
        started = time.perf_counter()
        with cls.open(index_dir):
            pass
        return time.perf_counter() - started

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
            generation = current_index_path(self.index_dir)
            check_versions(self.index_dir)
            self._snapshot = Snapshot(self.index_dir, generation)
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
        """The query, names widened to every spelling: registered people's, and the spellings this archive merged
        (archive/search/names.py)."""
        merge = self._snapshot.person_merge
        cached = self._parse_cache.get((query, merge.key))
        if cached is None:
            cached = widen_person_names(parse(query), merge)
            self._parse_cache.put((query, merge.key), cached)
        return cached

    def _match(self, snap: Snapshot, query: str, match: str | None, mask: np.ndarray | None,
               filters_set: Sequence[str] = ()) -> _Query:
        if match is not None and match not in MATCHES:
            raise ValueError(f"match must be one of {', '.join(MATCHES)}, not {match!r}")
        parsed = self.parse(query)
        notices = list(parsed.notices)
        if parsed.root is None:
            if query.strip():
                return _Query(parsed, None, match or "all", False, snap.all_docs[:0], notices)
            return _Query(parsed, None, match or "all", False, within(snap.all_docs, mask), notices)
        match_used = match or "all"
        node = with_match(parsed.root, match_used)
        unfiltered = snap.docs(node)
        docs = within(unfiltered, mask)
        fell_back = False
        if match is None and not len(docs) and has_implicit_and(parsed.root):
            any_node = with_match(parsed.root, "any")
            any_docs = within(snap.docs(any_node), mask)
            if len(any_docs):  # a fallback that finds nothing either would only claim to show something
                node, docs, match_used, fell_back = any_node, any_docs, "any", True
                notices.insert(0, FALLBACK_NOTICE)
        if not len(docs) and mask is not None and len(unfiltered):
            key = "matches_without_filters" if len(filters_set) > 1 else "matches_without_filter"
            notices.append(Notice(key, count=len(unfiltered), filters=list(filters_set)))
        return _Query(parsed, node, match_used, fell_back, docs, notices)

    def _order(self, snap: Snapshot, q: _Query, sort: str, count: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The first `count` (None: all) matching docs in sort order, with their scores."""
        return snap.ordered(q.docs, q.node, sort, count)

    def search(self, query: str = "", *, persons: Sequence[str] = (), sources: Sequence[str] = (),
               places: Sequence[str] = (), organizations: Sequence[str] = (),
               date_from: datetime.date | None = None, date_to: datetime.date | None = None,
               include_undated: bool | None = None, sort: str | None = None, match: str | None = None,
               limit: int = 10, page: int = 1, facet_limit: int = 50, facets: MetadataFilters | None = None,
               collapse: bool = False) -> SearchResult:
        """One page of results. FACETS filters by metadata facets ({"section": ["sport"]}: any of the values;
        several facets must all hold). COLLAPSE: versions of one article (same outlet and day, lightly edited;
        archive/search/versions.py) become one hit with the others in `hit.versions`; `total` still counts
        articles."""
        started = time.perf_counter()
        query = query if isinstance(query, str) else str(query or "")
        if sort is not None and sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        limit = max(1, min(int(limit), MAX_LIMIT))
        page = max(1, int(page))
        snap = self._snapshot
        metadata = self._resolve_metadata(snap, facets)
        entities = entity_filters(places, organizations)
        mask = snap.filter_mask(persons, sources, _day(date_from), _day(date_to), include_undated, dict(metadata),
                                entities)
        q = self._match(snap, query, match, mask, _filters_set(persons, sources, date_from, date_to, metadata)
                        + entity_filters_set(entities))
        if sort is None:
            sort = "relevance" if q.node is not None else "newest"
        facet_counts = snap.arrays.facet_counts(q.docs, facet_limit)
        first = (page - 1) * limit
        terms = self._highlight_terms(snap, q.node)
        if collapse:
            hits = self._collapsed_page(snap, q, sort, first, limit, terms)
        else:
            page_docs, page_scores = self._order(snap, q, sort, first + limit)
            page_docs, page_scores = page_docs[first:], page_scores[first:]
            hits = [self._hit(snap, int(d), float(s), terms) for d, s in zip(page_docs, page_scores, strict=True)]
        # "did you mean" when nothing is found, and also when a fallback hides that a word is unknown
        wants_suggestions = q.parsed.root is not None and (not len(q.docs) or q.fell_back)
        suggestions = self.suggest(query) if wants_suggestions else []
        notices = [*q.notices, *self._unknown_names(snap, q.parsed.root, persons, sources, facets),
                   *unknown_entity_notices(q.parsed.root, entities, snap.resolve_entities),
                   *merged_person_notices(q.parsed.root, persons, snap.resolve_persons,
                                          snap.person_merge.spellings_of)]
        if suggestions:
            notices.append(Notice("nothing_found_did_you_mean" if not len(q.docs) else "unknown_words_did_you_mean",
                                  suggestions=list(suggestions)))
        return SearchResult(
            query=query, total=len(q.docs), took_ms=round((time.perf_counter() - started) * 1000, 2),
            page=page, limit=limit, hits=hits, match_used=q.match_used, fell_back=q.fell_back,
            normalized_query=q.parsed.describe(), suggestions=suggestions, facets=facet_counts,
            notice="; ".join(notices) if notices else None, sort=sort, notices=notices,
            metadata_facets=list(snap.arrays.metadata),
            person_variants=snap.person_variants([str(name) for name, _ in facet_counts["person"]]),
            person_spellings=person_spellings([str(name) for name, _ in facet_counts["person"]], snap.person_merge),
            entity_variants=snap.person_merge.facet_variants(facet_counts))

    def _collapsed_page(self, snap: Snapshot, q: _Query, sort: str, first: int, limit: int,
                        terms: set[str]) -> list[Hit]:
        """The page's stories: the ranked matches walked until `first + limit` stories are found (a story's
        versions do not take places of their own), more of the ranking read while versions were absorbed."""
        wanted = first + limit
        count = wanted * 2
        while True:
            ranked, scores = self._order(snap, q, sort, count)
            stories = collapse_versions(snap, ranked, scores, q.docs, wanted)
            if len(stories) >= wanted or len(ranked) >= len(q.docs):
                break
            count *= 4
        hits = []
        for story in stories[first:wanted]:
            hit = self._hit(snap, story.docnum, story.score, terms)
            hit.versions = [self._hit(snap, docnum, 0.0, terms) for docnum in story.versions]
            hits.append(hit)
        return hits

    @staticmethod
    def _resolve_metadata(snap: Snapshot, facets: MetadataFilters | None) -> ResolvedFilters:
        """Metadata filters resolved against this index's facets and values (archive/search/facet_filters.py)."""
        return resolve_metadata(_known_metadata(snap), facets)

    @classmethod
    def _unknown_names(cls, snap: Snapshot, root: Node | None, persons: Sequence[str],
                       sources: Sequence[str], facets: MetadataFilters | None = None) -> list[Notice]:
        """Notices for person / source names and metadata facet values matching nothing in the archive."""
        return [*unknown_name_notices(root, persons, sources, snap.resolve_persons, snap.resolve_sources),
                *unknown_metadata_notices(_known_metadata(snap), facets)]

    def _highlight_terms(self, snap: Snapshot, node: Node | None) -> set[str]:
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

    @staticmethod
    def _hit(snap: Snapshot, docnum: int, score: float, terms: set[str]) -> Hit:
        return build_hit(snap.stored(docnum), int(snap.arrays.day[docnum]), docnum, score, terms,
                         snap.arrays.metadata_of(docnum))

    def iter_matches(self, query: str = "", *, persons: Sequence[str] = (), sources: Sequence[str] = (),
                     places: Sequence[str] = (), organizations: Sequence[str] = (),
                     date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                     include_undated: bool | None = None, sort: str | None = None,
                     match: str | None = None, facets: MetadataFilters | None = None) -> Iterator[dict[str, Any]]:
        """Every matching article (for export), in the search's order: id, title, source, date, persons, url, body,
        then its metadata facets by name."""
        snap = self._snapshot
        metadata = self._resolve_metadata(snap, facets)
        entities = entity_filters(places, organizations)
        mask = snap.filter_mask(persons, sources, _day(date_from), _day(date_to), include_undated, dict(metadata),
                                entities)
        q = self._match(snap, query, match, mask)
        sort = sort or ("relevance" if q.node is not None else "newest")
        docs, _ = self._order(snap, q, sort, None)
        for docnum in docs.tolist():
            stored = snap.stored(docnum)
            published = day_to_date(int(snap.arrays.day[docnum]))
            yield {"id": str(stored.get("id")), "title": stored.get("title") or "",
                   "source": stored.get("source") or None,
                   "date": published.isoformat() if published else None,
                   "persons": persons_of(stored), "url": stored.get("url") or None, "body": stored.get("body") or "",
                   "places": persons_of(stored, "places"), "organizations": persons_of(stored, "organizations"),
                   **snap.arrays.metadata_of(docnum)}

    def coverage(self, query: str = "", *, persons: Sequence[str] = (), sources: Sequence[str] = (),
                 places: Sequence[str] = (), organizations: Sequence[str] = (),
                 date_from: datetime.date | None = None, date_to: datetime.date | None = None,
                 include_undated: bool | None = None, match: str | None = None,
                 facets: MetadataFilters | None = None, top_sources: int = 6) -> list[dict[str, Any]]:
        """Coverage over time by outlet for the top outlets of the matches: per outlet and month, the matching
        articles (`count`), all of that outlet's articles that month (`outlet_total`) and their ratio (`share`,
        0..1): normalized coverage, as Media Cloud draws it, so an outlet publishing ten times more does not look
        ten times more interested. Undated articles have no month and are left out."""
        snap = self._snapshot
        metadata = self._resolve_metadata(snap, facets)
        entities = entity_filters(places, organizations)
        mask = snap.filter_mask(persons, sources, _day(date_from), _day(date_to), include_undated, dict(metadata),
                                entities)
        q = self._match(snap, query, match, mask)
        arrays = snap.arrays
        months = len(arrays.month_keys) + 1
        outlets = len(arrays.source_names) + 1

        def per_outlet_month(docs: np.ndarray) -> np.ndarray:
            cells = arrays.source_id[docs].astype(np.int64) * months + arrays.month_id[docs]
            return np.bincount(cells, minlength=outlets * months).reshape(outlets, months)

        matched = per_outlet_month(q.docs)
        totals = snap.version_cache.get("outlet-month totals")
        if totals is None:
            totals = per_outlet_month(snap.all_docs)
            snap.version_cache.put("outlet-month totals", totals)
        by_outlet = matched[: len(arrays.source_names), : len(arrays.month_keys)].sum(axis=1)
        top = [int(i) for i in np.argsort(-by_outlet, kind="stable")[:top_sources] if by_outlet[i]]
        rows = []
        for outlet in top:
            for month in np.flatnonzero(matched[outlet, : len(arrays.month_keys)]).tolist():
                count, total = int(matched[outlet, month]), int(totals[outlet, month])
                rows.append({"source": arrays.source_names[outlet], "month": arrays.month_keys[month], "count": count,
                             "outlet_total": total, "share": count / total if total else 0.0})
        return rows

    # ------------------------------------------------------------ articles

    def get(self, article_id: str) -> Article | None:
        snap = self._snapshot
        docnum = snap.docnum_of(article_id)
        if docnum is None:
            return None
        stored = snap.stored(docnum)
        return Article(id=str(stored.get("id")), title=stored.get("title") or "", body=stored.get("body") or "",
                       source=stored.get("source") or None, published=day_to_date(int(snap.arrays.day[docnum])),
                       url=stored.get("url") or None, persons=persons_of(stored),
                       places=persons_of(stored, "places"), organizations=persons_of(stored, "organizations"),
                       metadata=snap.arrays.metadata_of(docnum), origin=str(stored.get("origin") or ""))

    def highlight_body(self, article_id: str, query: str) -> str:
        """The whole body HTML-escaped, the query's words marked; '' for an unknown id."""
        snap = self._snapshot
        docnum = snap.docnum_of(article_id)
        if docnum is None:
            return ""
        body = snap.stored(docnum).get("body") or ""
        return highlight_text(body, self._highlight_terms(snap, self.parse(query or "").root))

    def similar(self, article_id: str, limit: int = 5) -> list[Hit]:
        """More like this: articles sharing the article's most distinctive terms, best first."""
        snap = self._snapshot
        return [self._hit(snap, docnum, score, terms) for docnum, score, terms in similar_docs(snap, article_id, limit)]

    def same_story(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Other outlets' articles on the same story (archive/search/related.py says how they are chosen)."""
        snap = self._snapshot
        return [self._hit(snap, docnum, score, terms)
                for docnum, score, terms in same_story_docs(snap, article_id, limit)]

    # ------------------------------------------------------------ did you mean

    def suggest(self, query: str, limit: int = 5) -> list[str]:
        """Queries that would find something (archive/search/suggest.py)."""
        return suggest_queries(self._snapshot, self.parse, query, limit)

    # ------------------------------------------------------------ stats

    def stats(self, top_people: int = 50) -> dict[str, Any]:
        snap = self._snapshot
        arrays = snap.arrays
        docs = snap.all_docs
        sources = np.bincount(arrays.source_id[docs], minlength=len(arrays.source_names) + 1)
        names = arrays.name_counts(docs)
        dated = arrays.day[docs][arrays.day[docs] > 0]
        try:
            info: dict[str, Any] = read_build_info(self.index_dir)
        except ArchiveError:  # a damaged build record does not stop the statistics of a readable index
            info = {}
        index_bytes = sum(p.stat().st_size for p in snap.path.iterdir() if p.is_file())

        return {
            "articles": len(docs),
            "sources": dict(ranked_counts(arrays.source_names, sources[: len(arrays.source_names)])),
            "unknown_source": int(sources[-1]),
            **name_stats({"person": (arrays.person_names, names["person"]),
                          **{facet: (arrays.entities[facet].names, names[facet]) for facet in ENTITY_FIELDS}},
                         top_people),
            # day numbers > 0 are written by date_to_day() from real dates, so they convert back to a date
            "date_range": ([cast(datetime.date, day_to_date(int(dated.min()))).isoformat(),
                            cast(datetime.date, day_to_date(int(dated.max()))).isoformat()]
                           if len(dated) else None),
            "undated": int(len(docs) - len(dated)),
            "index_dir": str(snap.path),
            "index_bytes": int(index_bytes),
            "built_at": info.get("built_at"),
            "build_seconds": info.get("seconds", info.get("build_seconds")),
            "inputs": info.get("inputs"),
            "versions": info.get("versions") or versions(),
        }


def _known_metadata(snap: Snapshot) -> dict[str, list[str]]:
    return {name: facet.values for name, facet in snap.arrays.metadata.items()}


__all__ = ["FALLBACK_NOTICE", "MATCHES", "SORTS", "Archive", "Hit", "SearchResult"]
