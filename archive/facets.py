"""Per-document arrays of an open index, and the fast reads of Whoosh postings they are built from.

Counting facets with Whoosh's `groupedby` scores every hit and walks Python objects per document (see DESIGN.md's
pitfalls). Here the facet values of every document live in numpy arrays, loaded once per opened index:

    source_id[doc]   index into source_names; len(source_names) for "unknown outlet"
    day[doc]         yyyymmdd, 0 = undated
    month_id[doc]    index into month_keys (sorted "yyyy-mm"); len(month_keys) for undated
    persons          pairs (pair_doc[i], pair_person[i]) sorted by doc, plus CSR offsets person_start[doc]
    title_len, body_len   field lengths, for BM25 scoring
    live[doc]        False for documents deleted by `add` (updated articles)

so that facet counts over any set of matching document numbers are a few `np.bincount` calls, and filters
(persons, sources, date range) are boolean masks. Document numbers are the reader's global ones: a segment's local
numbers plus its offset.
"""

from __future__ import annotations

import os
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# struct typecodes of Whoosh numeric columns -> numpy (the columns are big-endian)
_NUMPY_CODES = {"B": "u1", "H": "u2", "I": "u4", "Q": "u8", "b": "i1", "h": "i2", "i": "i4", "q": "i8"}
_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


@dataclass
class Postings:
    """The postings of one term in one field: document numbers (ascending), term weights and, on request,
    the encoded per-posting values (positions) for phrase checks."""
    ids: np.ndarray
    weights: np.ndarray
    values: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.ids)


EMPTY_POSTINGS = Postings(_EMPTY_IDS, _EMPTY_WEIGHTS, [])


def leaf_readers(reader: Any) -> list[tuple[Any, int]]:
    """(segment reader, docnum offset) for each segment; a single-segment reader is its own leaf."""
    leaves = reader.leaf_readers()
    return list(leaves) if leaves else [(reader, 0)]


def read_segment_postings(segment: Any, fieldname: str, text: str, with_values: bool = False) -> Postings:
    """All postings of a term in one segment, as numpy arrays of LOCAL document numbers.

    Deleted documents are included (callers mask them with `live`). Reads Whoosh's W3 posting blocks directly
    (one unpickle per block of 128 postings) instead of stepping a matcher posting by posting; any other
    codec falls back to the public matcher interface.
    """
    fieldobj = segment.schema[fieldname]
    try:
        btext = fieldobj.to_bytes(text)
    except Exception:
        return EMPTY_POSTINGS
    terms = getattr(segment, "_terms", None)
    if terms is None:
        return _read_with_matcher(segment, fieldname, text, with_values)
    try:
        if (fieldname, btext) not in terms:
            return EMPTY_POSTINGS
        matcher = terms.matcher(fieldname, btext, fieldobj.format)
    except Exception:
        return EMPTY_POSTINGS
    return _decode(matcher, fieldobj, with_values)


def _decode(matcher: Any, fieldobj: Any, with_values: bool) -> Postings:
    if not hasattr(matcher, "_read_data") or getattr(matcher, "_byteids", False):
        return _drain(matcher, with_values)
    id_blocks, weight_blocks = [], []
    values: list[Any] | None = [] if with_values else None
    fixedsize = fieldobj.format.fixed_value_size()
    while True:
        matcher._read_data()
        raw_ids, raw_weights, raw_values = matcher._data
        count = matcher._blocklength
        id_blocks.append(np.cumsum(np.asarray(raw_ids, dtype=np.int64)))
        if raw_weights is None:
            weight_blocks.append(np.ones(count, dtype=np.float32))
        elif isinstance(raw_weights, float):
            weight_blocks.append(np.full(count, raw_weights, dtype=np.float32))
        else:
            weight_blocks.append(np.asarray(raw_weights, dtype=np.float32))
        if values is not None:
            if fixedsize is None or fixedsize < 0:
                values.extend(raw_values)
            else:
                values.extend([None] * count)
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return Postings(np.concatenate(id_blocks).astype(np.int32), np.concatenate(weight_blocks), values)


def _drain(matcher: Any, with_values: bool) -> Postings:
    ids, weights, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if with_values:
            values.append(matcher.value())
        matcher.next()
    return Postings(np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32),
                    values if with_values else None)


def _read_with_matcher(segment: Any, fieldname: str, text: str, with_values: bool) -> Postings:
    try:
        matcher = segment.postings(fieldname, text)
    except Exception:
        return EMPTY_POSTINGS
    return _drain(matcher, with_values)


def read_postings(reader: Any, fieldname: str, text: str, with_values: bool = False) -> Postings:
    """All postings of a term over every segment, with global document numbers."""
    parts = []
    for segment, offset in leaf_readers(reader):
        postings = read_segment_postings(segment, fieldname, text, with_values)
        if len(postings):
            parts.append((postings, offset))
    if not parts:
        return EMPTY_POSTINGS
    if len(parts) == 1 and parts[0][1] == 0:
        return parts[0][0]
    ids = np.concatenate([p.ids + offset for p, offset in parts]).astype(np.int32)
    weights = np.concatenate([p.weights for p, _ in parts])
    values = None
    if with_values:
        values = [v for p, _ in parts for v in (p.values or [])]
    return Postings(ids, weights, values)


def field_postings(reader: Any, fieldname: str) -> dict[str, np.ndarray]:
    """term -> global document numbers, for every term of a (small-vocabulary) field, reading the term
    dictionary in order rather than looking each term up."""
    parts: dict[str, list[np.ndarray]] = {}
    fieldobj = reader.schema[fieldname]
    for segment, offset in leaf_readers(reader):
        try:
            terms = segment._terms
            codec = segment._codec
            items = list(segment.iter_field(fieldname))
        except Exception:
            items = None
        if items is None:  # not the W3 codec: the public, slower way
            for name in field_terms(segment, fieldname):
                parts.setdefault(name, []).append(read_segment_postings(segment, fieldname, name).ids + offset)
            continue
        for btext, terminfo in items:
            name = fieldobj.from_bytes(btext) if isinstance(btext, bytes) else btext
            matcher = codec.postings_reader(terms._postfile, terminfo, fieldobj.format)
            parts.setdefault(name, []).append(_decode(matcher, fieldobj, False).ids + offset)
    return {name: (arrays[0] if len(arrays) == 1 else np.concatenate(arrays)).astype(np.int32)
            for name, arrays in sorted(parts.items())}


def field_terms(reader: Any, fieldname: str) -> list[str]:
    """Every distinct term of a field (all segments)."""
    terms: set[str] = set()
    for segment, _ in leaf_readers(reader):
        try:
            terms.update(segment.field_terms(fieldname))
        except Exception:
            continue
    return sorted(terms)


def _lengths_column(segment: Any, fieldname: str) -> np.ndarray:
    """Field length of every document of a segment (Whoosh stores them as one byte, lossy above 100)."""
    count = segment.doc_count_all()
    perdoc = getattr(segment, "_perdoc", None)
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN
        from whoosh.util.numeric import byte_to_length

        colreader = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
        if colreader is None:
            return np.zeros(count, dtype=np.float32)
        raw = np.frombuffer(colreader._dbfile.get(colreader._basepos, colreader._count), dtype=np.uint8)
        table = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)
        lengths = np.zeros(count, dtype=np.float32)
        lengths[: len(raw)] = table[raw[:count]]
        return lengths
    except Exception:
        return np.array([segment.doc_field_length(d, fieldname, 0) or 0 for d in range(count)], dtype=np.float32)


def _day_column(segment: Any) -> np.ndarray:
    count = segment.doc_count_all()
    fieldobj = segment.schema["day"]
    try:
        colreader = segment.column_reader("day", translate=False)
        typecode = colreader._typecode
        raw = colreader._dbfile.get(colreader._basepos, colreader._count * colreader._fixedlen)
        values = np.frombuffer(raw, dtype=np.dtype(">" + _NUMPY_CODES[typecode]))
        days = np.full(count, int(colreader._default), dtype=np.int64)
        days[: len(values)] = values[:count]
        # the column holds Whoosh's "sortable" form; check it against the field's own decoding
        for docnum in range(min(count, 3)):
            if fieldobj.from_column_value(int(days[docnum])) != int(days[docnum]):
                raise ValueError("day column is not stored as plain integers")
        return days.astype(np.int32)
    except Exception:
        return np.array([int(segment.stored_fields(d).get("day") or 0) for d in range(count)], dtype=np.int32)


def _deleted(segment: Any) -> list[int]:
    try:
        if not segment.has_deletions():
            return []
        return sorted(segment.deleted_docs_set)
    except Exception:
        return [d for d in range(segment.doc_count_all()) if segment.is_deleted(d)]


# Bump when the arrays or their meaning change: older cache files are then ignored and rewritten.
CACHE_FORMAT = 1
_ARRAY_FIELDS = ("live", "source_id", "day", "month_id", "pair_doc", "pair_person", "person_start", "title_len",
                 "body_len")
_NAME_FIELDS = ("source_names", "month_keys", "person_names")


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

    @classmethod
    def load(cls, reader: Any) -> DocArrays:
        count = reader.doc_count_all()
        live = np.ones(count, dtype=bool)
        days, title_len, body_len = [], [], []
        for segment, offset in leaf_readers(reader):
            for docnum in _deleted(segment):
                live[offset + docnum] = False
            days.append(_day_column(segment))
            title_len.append(_lengths_column(segment, "title"))
            body_len.append(_lengths_column(segment, "body"))
        day = np.concatenate(days) if days else np.zeros(0, dtype=np.int32)

        # outlets: one term per document in the `source` field ("" and absent mean unknown)
        sources = {name: ids for name, ids in field_postings(reader, "source").items() if name.strip()}
        source_names = list(sources)
        source_id = np.full(count, len(source_names), dtype=np.int32)
        for number, name in enumerate(source_names):
            source_id[sources[name]] = number

        persons = {name: ids for name, ids in field_postings(reader, "persons").items() if name.strip()}
        person_names = list(persons)
        doc_parts, person_parts = [], []
        for number, name in enumerate(person_names):
            ids = persons[name]
            doc_parts.append(ids)
            person_parts.append(np.full(len(ids), number, dtype=np.int32))
        pair_doc = np.concatenate(doc_parts) if doc_parts else np.zeros(0, dtype=np.int32)
        pair_person = np.concatenate(person_parts) if person_parts else np.zeros(0, dtype=np.int32)
        order = np.argsort(pair_doc, kind="stable")
        pair_doc, pair_person = pair_doc[order], pair_person[order]
        person_start = np.searchsorted(pair_doc, np.arange(count + 1)).astype(np.int64)

        months = day // 100
        month_values = np.unique(months[(day > 0) & live])
        month_keys = [f"{m // 100:04d}-{m % 100:02d}" for m in month_values.tolist()]
        month_id = np.full(count, len(month_keys), dtype=np.int32)
        dated = day > 0
        month_id[dated] = np.searchsorted(month_values, months[dated]).astype(np.int32)
        # a deleted document's month may be absent from month_values: it is never counted (live mask)
        month_id[dated & (month_id >= len(month_keys))] = len(month_keys)
        return cls(count, live, int(live.sum()), source_names, source_id, day, month_keys, month_id,
                   person_names, pair_doc.astype(np.int32), pair_person.astype(np.int32), person_start,
                   np.concatenate(title_len) if title_len else np.zeros(0, np.float32),
                   np.concatenate(body_len) if body_len else np.zeros(0, np.float32))

    # ------------------------------------------------------------ cache file

    def save(self, path: Path) -> None:
        """Write the arrays to `path` atomically (a temporary file beside it, then a rename)."""
        arrays = {name: getattr(self, name) for name in _ARRAY_FIELDS}
        names = {name: np.array(getattr(self, name), dtype=str) for name in _NAME_FIELDS}
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(temporary, "wb") as out:
                np.savez(out, format_version=np.array([CACHE_FORMAT]), count=np.array([self.count]), **arrays, **names)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    @classmethod
    def from_file(cls, path: Path, count: int) -> DocArrays | None:
        """The arrays saved by `save`, or None when the file is absent, unreadable or for another index."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format_version"][0]) != CACHE_FORMAT or int(data["count"][0]) != count:
                    return None
                values: dict[str, Any] = {name: data[name] for name in _ARRAY_FIELDS}
                values |= {name: [str(v) for v in data[name].tolist()] for name in _NAME_FIELDS}
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            return None
        return cls(count=count, live_count=int(values["live"].sum()), **values)

    # ------------------------------------------------------------ filters

    def persons_mask(self, names: list[str]) -> np.ndarray:
        """Documents naming any of the given persons (exact canonical names)."""
        wanted = np.zeros(len(self.person_names) + 1, dtype=bool)
        index = {name: i for i, name in enumerate(self.person_names)}
        for name in names:
            if name in index:
                wanted[index[name]] = True
        mask = np.zeros(self.count, dtype=bool)
        mask[self.pair_doc[wanted[self.pair_person]]] = True
        return mask

    def sources_mask(self, names: list[str]) -> np.ndarray:
        wanted = np.zeros(len(self.source_names) + 1, dtype=bool)
        index = {name: i for i, name in enumerate(self.source_names)}
        for name in names:
            if name in index:
                wanted[index[name]] = True
        return wanted[self.source_id]

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
        sources = np.bincount(self.source_id[docs], minlength=len(self.source_names) + 1)
        months = np.bincount(self.month_id[docs], minlength=len(self.month_keys) + 1)
        persons = self.person_counts(docs)
        return {
            "person": _top(self.person_names, persons, facet_limit),
            "source": _top(self.source_names, sources[: len(self.source_names)], facet_limit),
            "month": [(key, int(n)) for key, n in zip(self.month_keys, months[: len(self.month_keys)], strict=True)
                      if n] + ([(None, int(months[-1]))] if months[-1] else []),
        }

    def person_counts(self, docs: np.ndarray) -> np.ndarray:
        size = len(self.person_names)
        if not len(docs) or not len(self.pair_doc):
            return np.zeros(size, dtype=np.int64)
        if len(docs) * 8 < self.count:
            # few matches: gather each matching document's person ids from the CSR slices
            starts = self.person_start[docs]
            lengths = self.person_start[docs + 1] - starts
            total = int(lengths.sum())
            if not total:
                return np.zeros(size, dtype=np.int64)
            shifts = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
            return np.bincount(self.pair_person[np.arange(total) + shifts], minlength=size)
        mask = np.zeros(self.count, dtype=bool)
        mask[docs] = True
        return np.bincount(self.pair_person[mask[self.pair_doc]], minlength=size)

    def month_of(self, docnum: int) -> str | None:
        index = int(self.month_id[docnum])
        return self.month_keys[index] if index < len(self.month_keys) else None


def _top(names: list[str], counts: np.ndarray, limit: int) -> list[tuple[str, int]]:
    """The `limit` largest counts, by count descending then by name (names are held sorted, so a stable sort on
    the count alone gives that order)."""
    nonzero = np.flatnonzero(counts)
    if not len(nonzero) or limit <= 0:
        return []
    if len(nonzero) > limit * 4:
        # keep only counts that can reach the top `limit`, ties at the boundary included
        kth = np.partition(counts[nonzero], len(nonzero) - limit)[len(nonzero) - limit]
        nonzero = nonzero[counts[nonzero] >= kth]
    ranked = nonzero[np.argsort(-counts[nonzero], kind="stable")][:limit]
    return [(names[i], int(counts[i])) for i in ranked.tolist()]
