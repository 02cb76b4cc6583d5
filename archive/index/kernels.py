"""The compiled inner loops of search (archive/index/_kernels.c), when the install could build them.

setup.py builds the extension where a C compiler is found and goes on without it where none is; every caller keeps
its numpy version and uses it when `COMPILED` is None (the results are the same, only slower). The loops read
little-endian bytes, so a big-endian host uses the numpy versions too.

Set NEWS_ARCHIVE_NO_KERNELS=1 to compare the two ways on one install.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import ModuleType

import numpy as np

from archive.text.analysis import IN_WORD_RANGES, TERM_CACHE, remember_term, term_positions

_built: ModuleType | None
try:
    from archive.index import _kernels as _built
except ImportError:  # built without a C compiler: the numpy versions
    _built = None

# the compiled loops, or None: not built, turned off, or a big-endian host
COMPILED: ModuleType | None = None if os.environ.get("NEWS_ARCHIVE_NO_KERNELS") or sys.byteorder != "little" \
    else _built


def state() -> str:
    """What searches in this process use, for `stats`: "compiled", or why not."""
    if COMPILED is not None:
        return "compiled"
    if _built is None:
        return "numpy (not built: no C compiler at install; `pip install -e .` again with one)"
    if os.environ.get("NEWS_ARCHIVE_NO_KERNELS"):
        return "numpy (NEWS_ARCHIVE_NO_KERNELS is set)"
    return "numpy (a big-endian host)"


def name_counts(names: np.ndarray, starts: np.ndarray, docs: np.ndarray, bins: int) -> np.ndarray | None:
    """How many of DOCS hold each name: one count per name number below BINS, over names[starts[d]:starts[d + 1]]
    of each document d of DOCS (no repeats). None without the compiled loops."""
    if COMPILED is None:
        return None
    counts = np.zeros(bins, dtype=np.int64)
    docs = np.ascontiguousarray(docs if docs.dtype in (np.int32, np.int64) else docs.astype(np.int64))
    COMPILED.name_counts(np.ascontiguousarray(names), names.itemsize,
                         np.ascontiguousarray(starts, dtype=np.int64), docs, docs.itemsize, counts)
    return counts


def table_counts(table: np.ndarray, docs: np.ndarray, bins: int) -> np.ndarray:
    """np.bincount(table[docs], minlength=bins) for a one-valued facet's table (value number per document): in one
    compiled pass when built and the table is int32."""
    if COMPILED is None or table.dtype != np.int32 or docs.dtype not in (np.int32, np.int64):
        return np.bincount(table[docs], minlength=bins)
    counts = np.zeros(bins, dtype=np.int64)
    docs = np.ascontiguousarray(docs)
    COMPILED.table_counts(np.ascontiguousarray(table), docs, docs.itemsize, counts)
    return counts


def decode_postings(ranges: list[tuple[bytes | memoryview, int]], with_values: bool = False,
                    decompress: Callable[[bytes], bytes] | None = None) \
        -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None] | None:
    """(document numbers int32, weights float32, values) of a term's compact posting ranges ((bytes, the segment's
    first document number), in document order); the values, WITH_VALUES, as (the values' bytes uint8, offsets int64:
    value i is data[offsets[i]:offsets[i + 1]]), else None. None without the compiled loops or for a block layout
    they do not know (the caller then decodes it in Python). DECOMPRESS inflates the compressed value lengths
    (zlib.decompress when None)."""
    if COMPILED is None:
        return None
    decoded = COMPILED.decode_postings(ranges, with_values, decompress)
    if decoded is None:
        return None
    ids, weights = np.frombuffer(decoded[0], dtype=np.int32), np.frombuffer(decoded[1], dtype=np.float32)
    if not with_values:
        return ids, weights, None
    return ids, weights, (np.frombuffer(decoded[3], dtype=np.uint8), np.frombuffer(decoded[2], dtype=np.int64))


def bm25_add(totals: np.ndarray, ids: np.ndarray, frequencies: np.ndarray, lengths: np.ndarray, idf: float,
             average: float, k1: float, b: float) -> bool:
    """Adds one term's BM25 score of each posting (IDS int32, FREQUENCIES float32) to TOTALS (float32, one per
    document; LENGTHS float32 beside it), rounded as engine.scores' numpy formula rounds it. False (nothing done)
    without the compiled loops."""
    if COMPILED is None or totals.dtype != np.float32 or lengths.dtype != np.float32:
        return False
    COMPILED.bm25_add(totals, np.ascontiguousarray(ids, dtype=np.int32),
                      np.ascontiguousarray(frequencies, dtype=np.float32), np.ascontiguousarray(lengths),
                      idf, average, k1, b)
    return True


def phrase_keys(data: np.ndarray, offsets: np.ndarray, rows: np.ndarray, offset: int) -> np.ndarray | None:
    """A phrase word's keys: for the candidate at each place c of ROWS (the rows of the word's postings, whose
    VarintPositions values are data[offsets[r]:offsets[r + 1]]), c * 2**32 + (position - OFFSET) for each of its
    positions at OFFSET or later, ascending, without repeats (int64). None without the compiled loops, or for
    values they cannot read in order."""
    if COMPILED is None:
        return None
    keys = COMPILED.phrase_keys(np.ascontiguousarray(data, dtype=np.uint8), np.ascontiguousarray(offsets,
                                dtype=np.int64), np.ascontiguousarray(rows, dtype=np.int64), offset)
    return None if keys is None else np.frombuffer(keys, dtype=np.int64)


def intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The values of two ascending arrays (both int64, or both int32) in both, without repeats, by one merge. None
    without the compiled loops (or for other types)."""
    if COMPILED is None or a.dtype != b.dtype or a.dtype not in (np.int32, np.int64):
        return None
    both = COMPILED.intersect_sorted(np.ascontiguousarray(a), np.ascontiguousarray(b), a.itemsize)
    return np.frombuffer(both, dtype=a.dtype)


def union_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The values of two ascending int32 arrays (each without repeats) in either, ascending, by one merge. None
    without the compiled loops (or for other types)."""
    if COMPILED is None or a.dtype != np.int32 or b.dtype != np.int32:
        return None
    return np.frombuffer(COMPILED.union_sorted(np.ascontiguousarray(a), np.ascontiguousarray(b)), dtype=np.int32)


def rows_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray | None:
    """Where each of WANTED (ascending int32 document numbers, all in IDS) sits in IDS (ascending int32), by one
    merge. None without the compiled loops, for other types, or when one of WANTED is not in IDS."""
    if COMPILED is None or ids.dtype != np.int32 or wanted.dtype != np.int32:
        return None
    rows = COMPILED.rows_of(np.ascontiguousarray(ids), np.ascontiguousarray(wanted))
    return None if rows is None else np.frombuffer(rows, dtype=np.int64)


def word_matches(text: str, wanted: dict[str, int], stop: bool, window: int) -> list[tuple[int, int, str]] | None:
    """archive/search/snippets.py find_matches of TEXT for the terms numbered in WANTED ({term: 0 .. n - 1}), in
    one compiled pass (the words' terms from the analyzer's TERM_CACHE); None without the compiled loops."""
    if COMPILED is None:
        return None
    return COMPILED.word_matches(text, TERM_CACHE, remember_term, IN_WORD_RANGES, wanted, stop, window)


def top_counts(counts: np.ndarray, limit: int) -> list[int] | None:
    """The numbers of the LIMIT largest nonzero COUNTS, by count descending then number ascending, in one compiled
    pass; None without the compiled loops or for counts other than a one-dimensional int32 or int64 array."""
    if COMPILED is None or counts.dtype not in (np.int32, np.int64) or counts.ndim != 1:
        return None
    return COMPILED.top_counts(np.ascontiguousarray(counts), counts.itemsize, limit)


def analysed_positions(text: str) -> dict[str, list[int]]:
    """archive.text.analysis.term_positions(TEXT) (each index term with its positions), in one compiled pass over
    the text when built: the words found and numbered in C, their terms read from the analyzer's TERM_CACHE, the
    words met for the first time analysed by remember_term."""
    if COMPILED is None:
        return term_positions(text)
    return COMPILED.term_positions(text, TERM_CACHE, remember_term, IN_WORD_RANGES)
