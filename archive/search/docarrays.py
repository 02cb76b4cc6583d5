"""Per-document arrays of an open index: what filters, facets and scoring read instead of Whoosh's objects.

Counting facets with Whoosh's `groupedby` scores every hit and walks Python objects per document (the pitfalls
in ../shared/DESIGN.md). Here the facet values of every document live in numpy arrays, loaded once per
opened index (read segment by segment by archive/search/segment_arrays.py, through archive/index/whoosh_io.py):

    source_id[doc]   index into source_names; len(source_names) for "unknown outlet"
    day[doc]         yyyymmdd, 0 = undated
    month_id[doc]    index into month_keys (sorted "yyyy-mm"); len(month_keys) for undated
    persons          pairs (pair_doc[i], pair_person[i]) sorted by doc, plus CSR offsets person_start[doc];
                     person_blocks[i]: what spellings of one person share (archive/search/person_merge.py), kept
                     here so that deciding which spellings are one person costs no name analysis at open
    title_len, body_len   field lengths, for BM25 scoring
    id_rank[doc]     the place of the article's id in sorted id order: the final tie-break of every sort (a sharded
                     index and a single one share article ids, not document numbers)
    live[doc]        False for documents deleted by `add` (updated articles)
    metadata[name]   a metadata facet (section, ...): its values, sorted, and value_id[doc], len(values) for "none"
    entities[name]   a facet of several names per document (place, organization): CSR pairs as for persons

so that facet counts over any set of matching document numbers are a few `np.bincount` calls, and filters
(persons, sources, date range, metadata values) are boolean masks. A metadata facet is any `meta_*` field of the
index (archive/index/schema.py): no code per field. Document numbers are the reader's global ones: a segment's
local numbers plus its offset.
"""

from __future__ import annotations

import json
import os
import threading
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from archive.index import kernels
from archive.index.schema import ENTITY_FIELDS

# Bump when the arrays or their meaning change: older cache files are then ignored and rewritten.
# 2: metadata facets (metadata_names, metadata_values_N, metadata_id_N)
# 3: spellings of one unregistered person merged (taken out again: a sharded index could not merge them alike)
# 4: id_rank (each document's place in sorted article-id order: the tie-break shared with a sharded index)
# 5: person names as the index holds them again (no merge of spellings at open)
# 6: places and organizations (entity_names_N, entity_doc_N, entity_name_N, entity_start_N)
# 7: person_blocks, own_merge (spellings of one person merged at open from the whole archive's counts:
#    person_merge.py)
# 8: own_entity_merge (spellings of one place or organization merged the same way)
# 9: lists of strings packed (pack_strings), every member deflated (save_arrays)
CACHE_FORMAT = 9


@dataclass
class MetadataFacet:
    """One metadata facet: its values (sorted) and each document's value id (len(values): none)."""
    values: list[str]
    value_id: np.ndarray


@dataclass
class NameFacet:
    """A facet of several names per document (places, organizations): every (document, name) pair sorted by
    document, with CSR offsets start[doc], as the person facet is held."""
    names: list[str]
    pair_doc: np.ndarray
    pair_name: np.ndarray
    start: np.ndarray
    # spellings merged into another (archive/search/person_merge.py): spelling -> the name its documents count under
    shown: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_postings(cls, postings: dict[str, np.ndarray], count: int) -> NameFacet:
        """From {name: its documents} (names sorted): the pairs by document, within a document by name."""
        names = [name for name in postings if name.strip()]
        doc_parts = [postings[name] for name in names]
        pair_doc = np.concatenate(doc_parts) if doc_parts else np.zeros(0, dtype=np.int32)
        pair_name = np.repeat(np.arange(len(names), dtype=np.int32), [len(part) for part in doc_parts])
        order = np.argsort(pair_doc, kind="stable")
        return cls.of_pairs(names, pair_doc[order], pair_name[order], count)

    @classmethod
    def of_pairs(cls, names: list[str], pair_doc: np.ndarray, pair_name: np.ndarray, count: int) -> NameFacet:
        """From pairs already sorted by document, over COUNT documents."""
        pair_doc = pair_doc.astype(np.int32, copy=False)
        return cls(names, pair_doc, pair_name.astype(np.int32, copy=False),
                   np.searchsorted(pair_doc, np.arange(count + 1)).astype(np.int64))

    def mask(self, names: list[str], count: int) -> np.ndarray:
        """Documents holding any of the given names (exact; a merged spelling finds every spelling of its name)."""
        wanted = _wanted(self.names, [self.shown.get(name, name) for name in names])
        mask = np.zeros(count, dtype=bool)
        mask[self.pair_doc[wanted[self.pair_name]]] = True
        return mask


# NamePairs holds its name numbers in 16 bits up to this many names, and walks its pairs with 32-bit positions below
# this many pairs.
_UINT16_NAMES = 1 << 16
_INT32_PAIRS = (1 << 31) - 1


@dataclass
class NamePairs:
    """Every multi-valued facet's (document, name) pairs in one CSR by document, the names numbered across the
    facets (person names first, then each entity facet's): the names of a set of documents are gathered once for
    all facets rather than once per facet. Derived from DocArrays' per-facet pairs when first needed."""
    facets: list[str]
    bounds: list[int]  # facet i's names are numbers bounds[i] .. bounds[i + 1] - 1
    name: np.ndarray   # by document: uint16 when every name number fits, else int32
    start: np.ndarray  # int64 CSR offsets: document d's names are name[start[d]:start[d + 1]]

    @classmethod
    def of(cls, facets: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, int]], count: int) -> NamePairs:
        """FACETS: name -> (pair_doc, pair_name, start, number of names), each sorted by document with CSR offsets.
        Each pair goes to its document's slice after the earlier facets' pairs of that document, in linear time."""
        bounds = [0]
        for *_, size in facets.values():
            bounds.append(bounds[-1] + size)
        start = np.zeros(count + 1, dtype=np.int64)
        for _, _, facet_start, _ in facets.values():
            start += facet_start
        name = np.zeros(int(start[-1]), dtype=np.int32)
        before = np.zeros(count, dtype=np.int64)  # per document: its pairs of the facets already placed
        for (pair_doc, pair_name, facet_start, _), first_name in zip(facets.values(), bounds, strict=False):
            docs = pair_doc.astype(np.int64)
            places = start[docs] + before[docs] + (np.arange(len(docs), dtype=np.int64) - facet_start[docs])
            name[places] = pair_name + first_name
            before += np.diff(facet_start)
        # half the bytes to gather when the names fit in 16 bits (the gather is most of a large set's facet cost)
        compact = name.astype(np.uint16) if bounds[-1] <= _UINT16_NAMES else name
        return cls(list(facets), bounds, compact, start)

    def counts(self, docs: np.ndarray) -> dict[str, np.ndarray]:
        """Per facet, how many of DOCS (document numbers, no repeats, in any order) hold each of its names: one
        compiled pass over the documents' CSR slices when the loops are built (archive/index/kernels.py); else the
        slices gathered into one index array (each slice continues the one before, so a running sum of ones with a
        jump at each slice's start walks them all), then one bincount."""
        every = kernels.name_counts(self.name, self.start, docs, self.bounds[-1])  # one pass, when built
        if every is not None:
            return {facet: every[self.bounds[i]:self.bounds[i + 1]] for i, facet in enumerate(self.facets)}
        every = np.zeros(self.bounds[-1], dtype=np.int64)
        starts = self.start[docs]
        ends = self.start[docs + 1]
        held = ends > starts
        if held.any():
            starts, ends = starts[held], ends[held]
            offsets = np.cumsum(ends - starts)
            # 32-bit steps and positions while the pairs allow (half the memory traffic of the two passes)
            wide: type[np.signedinteger[Any]] = np.int32 if len(self.name) < _INT32_PAIRS else np.int64
            steps = np.ones(int(offsets[-1]), dtype=wide)
            steps[0] = starts[0]
            steps[offsets[:-1]] = starts[1:] - ends[:-1] + 1
            places = np.cumsum(steps, dtype=wide)
            every = np.bincount(self.name.take(places), minlength=self.bounds[-1])  # take: ~2x indexing
        return {facet: every[self.bounds[i]:self.bounds[i + 1]] for i, facet in enumerate(self.facets)}


_ARRAY_FIELDS = ("live", "source_id", "day", "month_id", "pair_doc", "pair_person", "person_start", "title_len",
                 "body_len", "id_rank")


_NAME_FIELDS = ("source_names", "month_keys", "person_names", "person_blocks")


@dataclass
class DocArrays:
    count: int
    live: np.ndarray
    live_count: int
    source_names: list[str]
    source_id: np.ndarray
    day: np.ndarray
    month_keys: list[str]
    month_id: np.ndarray
    person_names: list[str]
    pair_doc: np.ndarray
    pair_person: np.ndarray
    person_start: np.ndarray
    title_len: np.ndarray
    body_len: np.ndarray
    id_rank: np.ndarray
    metadata: dict[str, MetadataFacet]
    # place, organization (archive/index/schema.py ENTITY_FIELDS): empty for a facet the index lacks
    entities: dict[str, NameFacet]
    person_blocks: list[str]  # spelling_block of each person name, "" for none
    # an index that is the whole archive: its decision on spellings of one person (spelling -> shown), once made
    own_merge: dict[str, str] | None = None
    own_merge_digest: str = ""  # person_merge.decision_digest() of the rules that made own_merge
    # the same decision for places and organizations: {facet: {spelling: shown}}, made with own_merge
    own_entity_merge: dict[str, dict[str, str]] = field(default_factory=dict)
    # per multi-valued facet, its counts over every live document (facet_counts' complement; made when first needed)
    live_totals: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    # the multi-valued facets' pairs in one CSR (made when first needed: name_pairs)
    _name_pairs: NamePairs | None = field(default=None, repr=False)

    # ------------------------------------------------------------ cache file

    def save(self, path: Path) -> None:
        """Write the arrays to `path` atomically (a temporary file beside it, then a rename)."""
        arrays = {name: getattr(self, name) for name in _ARRAY_FIELDS}
        # typed Any: numpy's stub would match `**names` against savez's `allow_pickle: bool` keyword
        names: dict[str, Any] = {name: pack_strings(getattr(self, name)) for name in _NAME_FIELDS}
        # metadata facets by number (their names may be any script; zip member names stay ASCII)
        names["metadata_names"] = pack_strings(self.metadata)
        for number, facet in enumerate(self.metadata.values()):
            names[f"metadata_values_{number}"] = pack_strings(facet.values)
            arrays[f"metadata_id_{number}"] = facet.value_id
        for number, entity in enumerate(self.entities.values()):
            names[f"entity_names_{number}"] = pack_strings(entity.names)
            arrays[f"entity_doc_{number}"] = entity.pair_doc
            arrays[f"entity_name_{number}"] = entity.pair_name
            arrays[f"entity_start_{number}"] = entity.start
        if self.own_merge is not None:
            names["own_merge_from"] = pack_strings(self.own_merge)
            names["own_merge_to"] = pack_strings(self.own_merge.values())
            names["own_merge_digest"] = pack_strings([self.own_merge_digest])
            for number, entity_facet in enumerate(ENTITY_FIELDS):
                merged = self.own_entity_merge.get(entity_facet, {})
                names[f"own_entity_merge_from_{number}"] = pack_strings(merged)
                names[f"own_entity_merge_to_{number}"] = pack_strings(merged.values())
        save_arrays(path, CACHE_FORMAT, self.count, {**arrays, **names})

    @classmethod
    def from_file(cls, path: Path, count: int) -> DocArrays | None:
        """The arrays saved by `save`, or None when the file is absent, unreadable or for another index."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format_version"][0]) != CACHE_FORMAT or int(data["count"][0]) != count:
                    return None
                values: dict[str, Any] = {name: data[name] for name in _ARRAY_FIELDS}
                values |= {name: unpack_strings(data[name]) for name in _NAME_FIELDS}
                values["metadata"] = {
                    name: MetadataFacet(unpack_strings(data[f"metadata_values_{number}"]),
                                        data[f"metadata_id_{number}"])
                    for number, name in enumerate(unpack_strings(data["metadata_names"]))}
                values["entities"] = {
                    name: NameFacet(unpack_strings(data[f"entity_names_{number}"]),
                                    data[f"entity_doc_{number}"], data[f"entity_name_{number}"],
                                    data[f"entity_start_{number}"])
                    for number, name in enumerate(ENTITY_FIELDS)}
                if "own_merge_from" in data.files:
                    values["own_merge"] = dict(zip(unpack_strings(data["own_merge_from"]),
                                                   unpack_strings(data["own_merge_to"]), strict=True))
                    values["own_merge_digest"] = unpack_strings(data["own_merge_digest"])[0]
                    values["own_entity_merge"] = {
                        facet: merged for number, facet in enumerate(ENTITY_FIELDS)
                        if (merged := dict(zip(unpack_strings(data[f"own_entity_merge_from_{number}"]),
                                               unpack_strings(data[f"own_entity_merge_to_{number}"]),
                                               strict=True)))}
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):  # damaged: made again
            return None
        return cls(count=count, live_count=int(values["live"].sum()), **values)

    # ------------------------------------------------------------ filters

    def persons_mask(self, names: list[str]) -> np.ndarray:
        """Documents naming any of the given persons (exact canonical names)."""
        wanted = _wanted(self.person_names, names)
        mask = np.zeros(self.count, dtype=bool)
        mask[self.pair_doc[wanted[self.pair_person]]] = True
        return mask

    def entity_mask(self, facet: str, names: list[str]) -> np.ndarray:
        """Documents naming any of the given places or organizations (FACET: "place", "organization")."""
        return self.entities[facet].mask(names, self.count)

    def sources_mask(self, names: list[str]) -> np.ndarray:
        """Documents from any of the given outlets (exact canonical names)."""
        return _wanted(self.source_names, names)[self.source_id]

    def metadata_mask(self, name: str, values: list[str]) -> np.ndarray:
        """Documents whose metadata facet NAME has any of the given values (exact); none for an unknown facet."""
        facet = self.metadata.get(name)
        if facet is None:
            return np.zeros(self.count, dtype=bool)
        return _wanted(facet.values, values)[facet.value_id]

    def date_mask(self, day_from: int | None, day_to: int | None, include_undated: bool) -> np.ndarray:
        mask = self.day > 0
        if day_from is not None:
            mask &= self.day >= day_from
        if day_to is not None:
            mask &= self.day <= day_to
        if include_undated:
            mask |= self.day == 0
        return mask

    # ------------------------------------------------------------ facets

    def facet_counts(self, docs: np.ndarray, facet_limit: int = 50) -> dict[str, list[tuple[str | None, int]]]:
        """Exact counts over the given (live) document numbers: persons (top facet_limit), sources
        (top facet_limit), months (chronological, undated last as None)."""
        sources = kernels.table_counts(self.source_id, docs, len(self.source_names) + 1)
        months = kernels.table_counts(self.month_id, docs, len(self.month_keys) + 1)
        names = self.name_counts(docs)
        return {
            "person": _top(self.person_names, names["person"], facet_limit),
            "source": _top(self.source_names, sources[: len(self.source_names)], facet_limit),
            "month": [(key, int(n)) for key, n in zip(self.month_keys, months[: len(self.month_keys)], strict=True)
                      if n] + ([(None, int(months[-1]))] if months[-1] else []),
            **{name: _top(facet.values, kernels.table_counts(facet.value_id, docs, len(facet.values) + 1)
                          [: len(facet.values)], facet_limit)
               for name, facet in self.metadata.items()},
            **{name: _top(entity.names, names[name], facet_limit)
               for name, entity in self.entities.items()},
        }

    def name_counts(self, docs: np.ndarray) -> dict[str, np.ndarray]:
        """How many of DOCS (live document numbers) hold each name of the multi-valued facets: "person" and the
        entity facets (place, organization).

        These are millions of (document, name) pairs in a large archive, so when DOCS are most of the live
        documents the names are counted over the live documents NOT in DOCS and subtracted from the counts over
        every live document (kept in live_totals): a query matching most of the archive costs what a rare one
        does, and at most half the live documents' names are ever gathered."""
        if len(docs) * 2 <= self.live_count:
            return self.name_pairs().counts(docs)
        outside = self.name_pairs().counts(np.flatnonzero(self.live & ~docs_mask(docs, self.count)))
        totals = self.live_name_totals()
        return {facet: totals[facet] - counts for facet, counts in outside.items()}

    def live_name_totals(self) -> dict[str, np.ndarray]:
        """How many live documents hold each name of the multi-valued facets ("person", place, organization):
        counted once per arrays and kept (live_totals)."""
        if not self.live_totals:
            self.live_totals.update(self.name_pairs().counts(np.flatnonzero(self.live)))
        return self.live_totals

    def changed(self, **changes: Any) -> DocArrays:
        """A copy with CHANGES (dataclass fields), without the counts and pairs derived from the old values."""
        return replace(self, **changes, live_totals={}, _name_pairs=None)

    def name_pairs(self) -> NamePairs:
        """The person and entity facets' pairs in one CSR, made on first use (two threads may both make it: the
        same arrays either way)."""
        if self._name_pairs is None:
            self._name_pairs = NamePairs.of(
                {"person": (self.pair_doc, self.pair_person, self.person_start, len(self.person_names)),
                 **{name: (facet.pair_doc, facet.pair_name, facet.start, len(facet.names))
                    for name, facet in self.entities.items()}}, self.count)
        return self._name_pairs

    def metadata_of(self, docnum: int) -> dict[str, str]:
        """The metadata facet values of one document."""
        found = {}
        for name, facet in self.metadata.items():
            number = int(facet.value_id[docnum])
            if number < len(facet.values):
                found[name] = facet.values[number]
        return found

    def month_of(self, docnum: int) -> str | None:
        index = int(self.month_id[docnum])
        return self.month_keys[index] if index < len(self.month_keys) else None


def save_arrays(path: Path, format_version: int, count: int, arrays: dict[str, Any]) -> None:
    """ARRAYS to the .npz file PATH, stamped with FORMAT_VERSION and COUNT (what a reader checks before trusting
    it), atomically: a temporary file beside it, then a rename (another process may be writing the same file).
    Every member is deflated at level 1, as np.savez_compressed would at level 6: the arrays of document numbers,
    days and name numbers shrink 2-7x and inflate at several hundred MB/s, and the file is read by np.load."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    members = {"format_version": np.array([format_version]), "count": np.array([count]), **arrays}
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for name, value in members.items():
                with out.open(f"{name}.npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asanyarray(value), allow_pickle=False)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def pack_strings(values: Iterable[str]) -> np.ndarray:
    """A list of strings as one array of bytes for a cache file: each string's UTF-8 followed by a NUL (a numpy
    array of str takes four bytes a letter and pads every string to the longest: a list of people's names 6-7x its
    UTF-8). A list with a NUL inside a string is kept as JSON instead, in an int8 array (unpack_strings reads both)."""
    values = list(values)
    text = "".join(value + "\0" for value in values)
    if text.count("\0") != len(values):
        return np.frombuffer(json.dumps(values, ensure_ascii=False).encode("utf-8", "surrogatepass"), dtype=np.int8)
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


def unpack_strings(array: np.ndarray) -> list[str]:
    """The list pack_strings packed into ARRAY."""
    if array.ndim != 1 or array.dtype not in (np.uint8, np.int8):
        raise ValueError(f"not a packed list of strings: {array.dtype} {array.shape}")
    if array.dtype == np.int8:
        values = json.loads(array.tobytes().decode("utf-8", "surrogatepass"))
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise ValueError("not a packed list of strings")
        return values
    return array.tobytes().decode("utf-8", "surrogatepass").split("\0")[:-1]


def docs_mask(docs: np.ndarray, count: int) -> np.ndarray:
    mask = np.zeros(count, dtype=bool)
    mask[docs] = True
    return mask


def _top(names: list[str], counts: np.ndarray, limit: int) -> list[tuple[str | None, int]]:
    """The `limit` largest counts, by count descending then by name (names are held sorted, so a stable sort on
    the count alone gives that order)."""
    if limit <= 0:
        return []
    compiled = kernels.top_counts(counts, limit)
    if compiled is not None:
        return [(names[i], int(counts[i])) for i in compiled]
    nonzero = np.flatnonzero(counts)
    if not len(nonzero):
        return []
    if len(nonzero) > limit * 4:
        # keep only counts that can reach the top `limit`, ties at the boundary included
        kth = np.partition(counts[nonzero], len(nonzero) - limit)[len(nonzero) - limit]
        nonzero = nonzero[counts[nonzero] >= kth]
    ranked = nonzero[np.argsort(-counts[nonzero], kind="stable")][:limit]
    return [(names[i], int(counts[i])) for i in ranked.tolist()]


def _wanted(all_names: list[str], names: list[str]) -> np.ndarray:
    """A boolean per name id (plus one for "none") marking the given names."""
    wanted = np.zeros(len(all_names) + 1, dtype=bool)
    index = {name: i for i, name in enumerate(all_names)}
    wanted[[index[name] for name in names if name in index]] = True
    return wanted
