"""The per-document arrays (archive/search/docarrays.py) read segment by segment, each segment's cached beside it.

Whoosh segments never change once written (an `add` writes new ones, deletes by marking, and merges small ones
into a new segment), so what the arrays hold for one segment, in its local document numbers and with its own
sorted name lists, is kept in `segment-arrays-<segment id>.npz` in the generation directory. Opening the index
after an `add` then reads the postings of the new segments only and joins every segment's arrays: the names of
each facet united and sorted, each segment's name numbers mapped onto them, document numbers shifted by the
segment's offset. The result is exactly what reading the whole index gives (tests/test_segment_arrays.py);
at a million articles reading it whole takes minutes of CPU, joining cached segments seconds.

Deletions are not cached: they are read from the table of contents at every open (they change with each `add`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archive.extract.people import spelling_block
from archive.index.schema import ENTITY_FIELDS, METADATA_PREFIX, day_to_month, month_key
from archive.index.store import SEGMENT_ARRAYS_PREFIX
from archive.index.whoosh_io import (
    day_column,
    deleted_docs,
    field_names_with_prefix,
    field_postings,
    leaf_readers,
    lengths_column,
)
from archive.search.docarrays import (
    DocArrays,
    MetadataFacet,
    NameFacet,
    pack_strings,
    save_arrays,
    unpack_strings,
)

# Bump when what a segment's file holds changes: older files are then ignored and rewritten.
SEGMENT_FORMAT = 2

# spelling blocks by name, shared by the segments of a load (most names recur in many segments)
_spelling_block = functools.lru_cache(maxsize=500_000)(spelling_block)

# the multi-valued facets of a segment: "person" and the entity facets, by the index field holding each
NAME_FIELDS = {"person": "persons", **ENTITY_FIELDS}


@dataclass
class SegmentArrays:
    """One segment's share of DocArrays, in its local document numbers and names."""
    count: int
    day: np.ndarray
    title_len: np.ndarray
    body_len: np.ndarray
    sources: MetadataFacet           # outlet names (sorted) and each document's, len(values) for none
    ids: np.ndarray                  # the article ids, sorted (a numpy array of str)
    id_rank: np.ndarray              # each document's place in `ids`
    names: dict[str, NameFacet]      # NAME_FIELDS' facets: (document, name) pairs by document
    person_blocks: list[str]         # spelling_block of each person name ("" for none)
    metadata: dict[str, MetadataFacet]

    @classmethod
    def read(cls, segment: Any) -> SegmentArrays:
        """From the segment's postings and columns (its deletions aside)."""
        count = segment.doc_count_all()
        ids = field_postings(segment, "id")
        id_rank = np.zeros(count, dtype=np.int32)
        for rank, docs in enumerate(ids.values()):
            id_rank[docs] = rank
        names = {facet: NameFacet.from_postings(field_postings(segment, fieldname), count)
                 for facet, fieldname in NAME_FIELDS.items()}
        metadata = {}
        for fieldname in ["source", *field_names_with_prefix(segment, METADATA_PREFIX)]:
            by_value = {value: docs for value, docs in field_postings(segment, fieldname).items() if value.strip()}
            if not by_value and fieldname != "source":
                continue
            value_id = np.full(count, len(by_value), dtype=np.int32)
            for number, docs in enumerate(by_value.values()):
                value_id[docs] = number
            metadata[fieldname] = MetadataFacet(list(by_value), value_id)
        sources = metadata.pop("source")
        return cls(count, day_column(segment), lengths_column(segment, "title"), lengths_column(segment, "body"),
                   sources, np.array(list(ids), dtype=str), id_rank, names,
                   [_spelling_block(name) or "" for name in names["person"].names],
                   {name.removeprefix(METADATA_PREFIX): facet for name, facet in metadata.items()})

    # ------------------------------------------------------------ cache file

    def save(self, path: Path) -> None:
        """Written atomically (a temporary file beside it, then a rename)."""
        arrays: dict[str, Any] = {"day": self.day, "title_len": self.title_len, "body_len": self.body_len,
                                  "source_id": self.sources.value_id, "id_rank": self.id_rank,
                                  "source_names": pack_strings(self.sources.values),
                                  "ids": pack_strings(self.ids.tolist()),
                                  "person_blocks": pack_strings(self.person_blocks)}
        for facet, names in self.names.items():
            arrays[f"names_{facet}"] = pack_strings(names.names)
            arrays[f"pair_doc_{facet}"] = names.pair_doc
            arrays[f"pair_name_{facet}"] = names.pair_name
        # metadata facets by number (their names may be any script; zip member names stay ASCII)
        arrays["metadata_names"] = pack_strings(self.metadata)
        for number, values in enumerate(self.metadata.values()):
            arrays[f"metadata_values_{number}"] = pack_strings(values.values)
            arrays[f"metadata_id_{number}"] = values.value_id
        save_arrays(path, SEGMENT_FORMAT, self.count, arrays)

    @classmethod
    def from_file(cls, path: Path, count: int) -> SegmentArrays | None:
        """The arrays saved by `save`, or None when the file is absent, unreadable or for another segment."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if int(data["format_version"][0]) != SEGMENT_FORMAT or int(data["count"][0]) != count:
                    return None

                def strings(key: str) -> list[str]:
                    return unpack_strings(data[key])

                names = {facet: NameFacet.of_pairs(strings(f"names_{facet}"), data[f"pair_doc_{facet}"],
                                                   data[f"pair_name_{facet}"], count)
                         for facet in NAME_FIELDS}
                metadata = {str(name): MetadataFacet(strings(f"metadata_values_{number}"),
                                                     data[f"metadata_id_{number}"])
                            for number, name in enumerate(strings("metadata_names"))}
                return cls(count, data["day"], data["title_len"], data["body_len"],
                           MetadataFacet(strings("source_names"), data["source_id"]),
                           np.array(strings("ids"), dtype=str),
                           data["id_rank"], names, strings("person_blocks"), metadata)
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile, zlib.error):  # damaged: made again
            return None


def segment_arrays(segment: Any, cache_dir: Path | None) -> SegmentArrays:
    """The segment's arrays from its cache file in CACHE_DIR when there is one, else read and saved there (a
    read-only index is fine: the cache is only a speed-up)."""
    name = _cache_name(segment)
    if cache_dir is None or name is None:
        return SegmentArrays.read(segment)
    path = cache_dir / name
    count = segment.doc_count_all()
    arrays = SegmentArrays.from_file(path, count)
    if arrays is None:
        arrays = SegmentArrays.read(segment)
        with contextlib.suppress(OSError):
            arrays.save(path)
    return arrays


def _cache_name(segment: Any) -> str | None:
    """The name of a segment's cache file; None for a reader that is no segment (an empty index's)."""
    described = segment.segment() if hasattr(segment, "segment") else None
    return None if described is None else f"{SEGMENT_ARRAYS_PREFIX}{described.segment_id()}.npz"


def load_arrays(reader: Any, cache_dir: Path | None = None) -> DocArrays:
    """The whole index's DocArrays, segment by segment (cached in CACHE_DIR when given; the files of segments no
    longer in the index are removed)."""
    leaves = leaf_readers(reader)
    parts = [segment_arrays(segment, cache_dir) for segment, _ in leaves]
    if cache_dir is not None:
        keep = {_cache_name(segment) for segment, _ in leaves}
        for stale in cache_dir.glob(f"{SEGMENT_ARRAYS_PREFIX}*.npz"):
            if stale.name not in keep:
                stale.unlink(missing_ok=True)
    live = np.ones(sum(part.count for part in parts), dtype=bool)
    for segment, offset in leaves:
        live[[offset + docnum for docnum in deleted_docs(segment)]] = False
    return join(parts, live)


def join(parts: list[SegmentArrays], live: np.ndarray) -> DocArrays:
    """One DocArrays of the segments PARTS in document order, LIVE marking their documents not deleted."""
    count = len(live)
    offsets = np.cumsum([0] + [part.count for part in parts])
    day = _concatenate([part.day for part in parts], np.int32)

    source_names, source_id = _join_values([part.sources for part in parts])

    _, id_maps = _united([part.ids for part in parts])
    id_rank = _concatenate([mapping[part.id_rank] if len(mapping) else part.id_rank
                            for part, mapping in zip(parts, id_maps, strict=True)], np.int32)

    name_facets = {facet: _join_names([part.names[facet] for part in parts], offsets, count)
                   for facet in NAME_FIELDS}
    persons = name_facets.pop("person")
    blocks = dict(pair for part in parts
                  for pair in zip(part.names["person"].names, part.person_blocks, strict=True))

    months = day_to_month(day)
    month_values = np.unique(months[(day > 0) & live])
    month_keys = [month_key(m) for m in month_values.tolist()]
    month_id = np.full(count, len(month_keys), dtype=np.int32)
    dated = day > 0
    month_id[dated] = np.searchsorted(month_values, months[dated]).astype(np.int32)
    # a deleted document's month may be absent from month_values: it is never counted (live mask)
    month_id[dated & (month_id >= len(month_keys))] = len(month_keys)

    metadata = {}
    for name in sorted({name for part in parts for name in part.metadata}):
        values, value_id = _join_values([part.metadata.get(name) or MetadataFacet([], np.full(part.count, 0, np.int32))
                                         for part in parts])
        metadata[name] = MetadataFacet(values, value_id)
    return DocArrays(count, live, int(live.sum()), source_names, source_id, day, month_keys, month_id,
                     persons.names, persons.pair_doc, persons.pair_name, persons.start,
                     _concatenate([part.title_len for part in parts], np.float32),
                     _concatenate([part.body_len for part in parts], np.float32), id_rank, metadata, name_facets,
                     [blocks[name] for name in persons.names])


def _concatenate(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.zeros(0, dtype=dtype)


def _united(lists: list[list[str]] | list[np.ndarray]) -> tuple[list[str], list[np.ndarray]]:
    """The sorted union of sorted name lists, and for each list its names' numbers in the union (numpy sorts str
    by code point, as Python does)."""
    if not lists:
        return [], []
    every = np.concatenate([np.asarray(names, dtype=str) for names in lists])
    union, inverse = np.unique(every, return_inverse=True)
    bounds = np.cumsum([0] + [len(names) for names in lists])
    return union.tolist(), [inverse[start:end].astype(np.int32) for start, end in itertools.pairwise(bounds)]


def _join_values(facets: list[MetadataFacet]) -> tuple[list[str], np.ndarray]:
    """A single-valued facet's united values and every document's number in them (len(values): none)."""
    values, maps = _united([facet.values for facet in facets])
    # each segment's "none" (its len(values)) maps to the union's
    return values, _concatenate([np.append(mapping, len(values)).astype(np.int32)[facet.value_id]
                                 for facet, mapping in zip(facets, maps, strict=True)], np.int32)


def _join_names(facets: list[NameFacet], offsets: np.ndarray, count: int) -> NameFacet:
    """A multi-valued facet's segments joined: names united, pairs shifted and renumbered (still by document, and
    within a document by name, as reading the whole index orders them)."""
    names, maps = _united([facet.names for facet in facets])
    pair_doc = _concatenate([facet.pair_doc.astype(np.int64) + offset
                             for facet, offset in zip(facets, offsets, strict=False)], np.int32)
    pair_name = _concatenate([mapping[facet.pair_name] if len(facet.pair_name) else facet.pair_name
                              for facet, mapping in zip(facets, maps, strict=True)], np.int32)
    return NameFacet.of_pairs(names, pair_doc, pair_name, count)
