"""Every use of Whoosh's internals, in one module: the fast paths of reading and writing an index.

Whoosh is the storage (term dictionary, postings, stored fields, columns); its public API walks postings one by
one in Python, which costs 10-100x what the archive needs. The fast paths here reach under it:

reading (the searcher's per-document arrays and postings)
    `read_postings`     W3 posting blocks decoded straight into numpy (one unpickle per block of 128 postings)
    `field_postings`    every term of a small-vocabulary field in term-dictionary order (outlets, persons)
    `lengths_column`, `day_column`, `deleted_docs`    whole columns as arrays
writing (the index processes)
    `SegmentBuilder`    one segment per process into a shared generation directory (as MpWriter(multisegment=True))
    `fast_text_postings`    TEXT postings without Whoosh's per-token bookkeeping, byte for byte the same
    `commit_segments`   the table of contents listing the built segments

Each fast path checks the shape it relies on and otherwise takes Whoosh's public (slow) way, counting it in
SLOW_PATHS by reason. Whoosh is pinned (whoosh-reloaded 2.7.5, frozen), so the slow paths should never run;
tests/test_whoosh_io.py builds and searches an index and asserts SLOW_PATHS stays empty, so a change of Whoosh's
behaviour is seen instead of silently costing speed.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.index import TOC, clean_files
from whoosh.reading import TermNotFound
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from archive.index.store import INDEX_NAME

# Memory each Whoosh segment writer may use for postings before spilling sorted runs to disk.
WRITER_LIMIT_MB = 512
# zlib level for posting blocks (Whoosh's default is 3): see bench/indexing.py for the size/speed trade.
POSTINGS_COMPRESSION = 3

# Slow (public API) paths taken, by reason: empty while Whoosh behaves as the fast paths expect.
SLOW_PATHS: Counter[str] = Counter()


def _slow(reason: str) -> None:
    SLOW_PATHS[reason] += 1


# ---------------------------------------------------------------- reading postings and columns

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
    except (ValueError, TypeError, UnicodeError):  # a text the field cannot hold (a word for a numeric field)
        return EMPTY_POSTINGS
    terms = getattr(segment, "_terms", None)
    if terms is None:
        _slow("postings: segment without a W3 term dictionary")
        return _read_with_matcher(segment, fieldname, text, with_values)
    if (fieldname, btext) not in terms:
        return EMPTY_POSTINGS
    return _decode(terms.matcher(fieldname, btext, fieldobj.format), fieldobj, with_values)


def _decode(matcher: Any, fieldobj: Any, with_values: bool) -> Postings:
    if not hasattr(matcher, "_read_data") or getattr(matcher, "_byteids", False):
        _slow("postings: not a W3 block matcher")
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
    except TermNotFound:
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
        terms = getattr(segment, "_terms", None)
        codec = getattr(segment, "_codec", None)
        if terms is None or codec is None:  # not the W3 codec: the public, slower way
            _slow("field postings: segment without a W3 term dictionary")
            for name in field_terms(segment, fieldname):
                parts.setdefault(name, []).append(read_segment_postings(segment, fieldname, name).ids + offset)
            continue
        for btext, terminfo in segment.iter_field(fieldname):
            name = fieldobj.from_bytes(btext) if isinstance(btext, bytes) else btext
            matcher = codec.postings_reader(terms._postfile, terminfo, fieldobj.format)
            parts.setdefault(name, []).append(_decode(matcher, fieldobj, False).ids + offset)
    return {name: (arrays[0] if len(arrays) == 1 else np.concatenate(arrays)).astype(np.int32)
            for name, arrays in sorted(parts.items())}


def field_terms(reader: Any, fieldname: str) -> list[str]:
    """Every distinct term of a field (all segments)."""
    terms: set[str] = set()
    for segment, _ in leaf_readers(reader):
        with contextlib.suppress(KeyError):  # a segment without the field
            terms.update(segment.field_terms(fieldname))
    return sorted(terms)


def lengths_column(segment: Any, fieldname: str) -> np.ndarray:
    """Field length of every document of a segment (Whoosh stores them as one byte, lossy above 100)."""
    count = segment.doc_count_all()
    perdoc = getattr(segment, "_perdoc", None)
    if perdoc is None or not hasattr(perdoc, "_cached_reader"):
        _slow("lengths: segment without a W3 per-document reader")
        return np.array([segment.doc_field_length(d, fieldname, 0) or 0 for d in range(count)], dtype=np.float32)
    colreader = perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
    if colreader is None:
        return np.zeros(count, dtype=np.float32)
    raw = np.frombuffer(colreader._dbfile.get(colreader._basepos, colreader._count), dtype=np.uint8)
    lengths = np.zeros(count, dtype=np.float32)
    lengths[: len(raw)] = _BYTE_TO_LENGTH[raw[:count]]
    return lengths


_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float32)


def day_column(segment: Any) -> np.ndarray:
    """The `day` column of every document of a segment (yyyymmdd, 0 for undated)."""
    count = segment.doc_count_all()
    fieldobj = segment.schema["day"]
    colreader = segment.column_reader("day", translate=False) if segment.has_column("day") else None
    typecode = getattr(colreader, "_typecode", None)
    if typecode in _NUMPY_CODES and colreader is not None and hasattr(colreader, "_dbfile"):
        raw = colreader._dbfile.get(colreader._basepos, colreader._count * colreader._fixedlen)
        values = np.frombuffer(raw, dtype=np.dtype(">" + _NUMPY_CODES[typecode]))
        days = np.full(count, int(colreader._default), dtype=np.int64)
        days[: len(values)] = values[:count]
        # the column holds Whoosh's "sortable" form; it must equal the field's own decoding
        if all(fieldobj.from_column_value(int(days[d])) == int(days[d]) for d in range(min(count, 3))):
            return days.astype(np.int32)
    _slow("days: not a fixed-width column of plain integers")
    return np.array([int(segment.stored_fields(d).get("day") or 0) for d in range(count)], dtype=np.int32)


def deleted_docs(segment: Any) -> list[int]:
    """Local numbers of the segment's deleted documents (replaced by `add`), ascending."""
    if not segment.has_deletions():
        return []
    deleted = getattr(segment, "deleted_docs_set", None)
    if deleted is None:
        _slow("deletions: segment without a deleted-documents set")
        return [d for d in range(segment.doc_count_all()) if segment.is_deleted(d)]
    return sorted(deleted)


# ---------------------------------------------------------------- writing segments

def fast_text_postings(fieldobj: TEXT, text: str) -> Iterator[tuple[bytes, int, float, bytes]]:
    """What `TEXT.index(text)` yields with the Positions format, term for term and byte for byte, from the field's
    own analyzer (so any change of analysis is followed), but without Whoosh's per-token bookkeeping and without
    pickling the positions of the many terms that occur once in an article (their encodings are precomputed)."""
    field_boost = float(fieldobj.format.field_boost)
    positions: dict[str, list[int]] = {}
    for token in fieldobj.analyzer(text, positions=True, boosts=True, mode="index"):
        if token.boost != 1.0:  # a boosting filter: leave the weights to Whoosh
            _slow("text postings: a token with a boost")
            yield from TEXT.index(fieldobj, text)
            return
        found = positions.get(token.text)
        if found is None:
            positions[token.text] = [token.pos]
        else:
            found.append(token.pos)
    single = _SINGLE_POSITION
    for term, found in positions.items():
        if len(found) == 1 and 0 <= found[0] < len(single):
            yield term.encode("utf-8"), 1, field_boost, single[found[0]]
        else:
            yield term.encode("utf-8"), len(found), len(found) * field_boost, _encode_positions(found)


def _encode_positions(positions: list[int]) -> bytes:
    """Whoosh's Positions.encode: the count, then the pickled list of gaps between positions."""
    deltas = [positions[0]] + [positions[i] - positions[i - 1] for i in range(1, len(positions))]
    return pack_uint(len(deltas)) + _dumps(deltas, 2)


_dumps = pickle.dumps


_SINGLE_POSITION = [_encode_positions([position]) for position in range(4096)]


def fast_path_applies(fieldobj: object) -> bool:
    """Only for plain TEXT fields with Whoosh's Positions format, whose encoding the fast path reproduces."""
    return type(fieldobj) is TEXT and type(getattr(fieldobj, "format", None)) is Positions


class FastText(TEXT):
    """A TEXT field whose indexing takes the fast path. It only ever lives in a segment writer's private copy of
    the schema; the schema pickled into the index keeps Whoosh's plain TEXT."""

    def index(self, value, **kwargs):
        if isinstance(value, str) and not kwargs:
            return fast_text_postings(self, value)
        return super().index(value, **kwargs)


def with_fast_text_fields(schema: Schema) -> Schema:
    fast = copy.copy(schema)
    fast._fields = dict(schema._fields)
    for name, fieldobj in schema._fields.items():
        if fast_path_applies(fieldobj):
            replacement = copy.copy(fieldobj)
            replacement.__class__ = FastText
            fast._fields[name] = replacement
    return fast


class _LengthsOfNewSegment:
    """Field lengths of the segment being written, read once per document and field instead of once per posting
    (Whoosh's add_postings asks for the length of every posting's document: a column read each time)."""

    def __init__(self, per_document_reader: Any, doc_count: int) -> None:
        self._reader = per_document_reader
        self._doc_count = doc_count
        self._lengths: dict[str, list[int | None]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            read = self._reader.doc_field_length
            lengths = self._lengths[fieldname] = [read(doc, fieldname, default) for doc in range(self._doc_count)]
        return lengths[docnum]


class _FastSegmentWriter(SegmentWriter):
    """Whoosh's SegmentWriter with field lengths cached while the postings are written (same output)."""

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _LengthsOfNewSegment(reader, self.docnum) if reader is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if reader is not None:
            reader.close()


class SegmentBuilder:
    """Writes one Whoosh segment into a generation directory; the caller lists the finished segments in the TOC.

    The index must exist there already (an empty table of contents). Several builders, one per process, can write
    into the same directory at once: segment file names are random, and none of them touches the TOC."""

    def __init__(self, generation_dir: Path, limitmb: int = WRITER_LIMIT_MB) -> None:
        ix = FileStorage(str(generation_dir)).open_index(INDEX_NAME)
        codec = W3Codec(compression=POSTINGS_COMPRESSION)
        self.writer = _FastSegmentWriter(ix, _lk=False, limitmb=limitmb, codec=codec)
        self.writer.schema = with_fast_text_fields(self.writer.schema)
        self.count = 0

    def add(self, document: dict[str, Any]) -> None:
        self.writer.add_document(**document)
        self.count += 1

    def finish(self) -> Any | None:
        """The finished segment, or None when nothing was added."""
        writer = self.writer
        try:
            if self.count:
                return writer._finalize_segment()
            writer._close_segment()
            return None
        finally:
            # Its temporary directory (MAIN.tmp) is shared with the other builders: commit_segments removes it.
            writer.is_closed = True

    def cancel(self) -> None:
        """Closes the files; the generation directory is discarded by the caller. Not writer.cancel(): that
        destroys the temporary directory the other builders are still using."""
        with contextlib.suppress(OSError, ValueError):  # files a failure may already have closed
            self.writer._close_segment()
        self.writer.is_closed = True


def create_empty_index(generation_dir: Path, schema: Schema) -> None:
    storage = FileStorage(str(generation_dir)).create()
    storage.create_index(schema, indexname=INDEX_NAME)


def commit_segments(generation_dir: Path, schema: Schema, segments: list[Any]) -> None:
    """The table of contents listing the segments the builders wrote: the moment they become an index."""
    storage = FileStorage(str(generation_dir))
    generation = TOC._latest_generation(storage, INDEX_NAME) + 1
    TOC(schema, segments, generation).write(storage, INDEX_NAME)
    clean_files(storage, INDEX_NAME, generation, segments)
    shutil.rmtree(generation_dir / f"{INDEX_NAME}.tmp", ignore_errors=True)


def positions_decoder(reader: Any, fieldname: str) -> Any | None:
    """The function turning a posting's stored value into its positions (Whoosh's Positions format), or None when
    the field keeps no positions (then a phrase can only be checked as words)."""
    decode = getattr(reader.schema[fieldname].format, "decode_positions", None)
    if decode is None:
        _slow("phrases: a field without positions")
    return decode


def latest_toc_generation(index_path: Path) -> int:
    """The newest table-of-contents generation in INDEX_PATH (-1 when none), by listing the directory only:
    FileIndex would also read and unpickle the table of contents, too slow to ask on every interaction."""
    return TOC._latest_generation(FileStorage(str(index_path), readonly=True), INDEX_NAME)
