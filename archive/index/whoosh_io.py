"""Every use of Whoosh's internals, in one module: the fast paths of reading and writing an index.

Whoosh is the storage (term dictionary, postings, stored fields, columns); its public API walks postings one by
one in Python, which costs 10-100x what the archive needs. The fast paths here reach under it:

reading (the searcher's per-document arrays and postings)
    `MappedFile`        a segment's files read straight from the memory-mapped segment, no copy, no system call
    `read_postings`     W3 posting blocks decoded straight into numpy (one unpickle per block of 128 postings)
    `field_postings`    every term of a small-vocabulary field in term-dictionary order (outlets, persons)
    `lengths_column`, `day_column`, `deleted_docs`    whole columns as arrays
writing (the index processes)
    `SegmentBuilder`    one segment per process into a shared generation directory (as MpWriter(multisegment=True))
    `_FastSegmentWriter`    Whoosh's add_document with the text fields analysed by `term_positions` straight into
                        the term pool (`_TermPool`), and each term's blocks and term-info record made at once
                        (`_write_pool`): the segment files byte for byte as Whoosh's own SegmentWriter writes them
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
import io
import itertools
import pickle
import shutil
import struct
import zlib
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
)
from whoosh.fields import TEXT, Schema
from whoosh.filedb import compound
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import TOC, clean_files
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from archive.index import kernels
from archive.index.formats import (
    VarintPositions,
    encode_positions,
    stored_fields_column,
    unvarints,
    unvarints_numpy,
    varints,
)
from archive.index.store import INDEX_NAME
from archive.text.analysis import ArabicAnalyzer

# Memory each Whoosh segment writer may use for postings before spilling sorted runs to disk.
WRITER_LIMIT_MB = 512
# Articles per segment. The term pool (_TermPool) holds a segment's postings in memory (about 100 MB per 12,000
# articles of the shared corpus; Whoosh's own pool took 350 MB), so a segment is never spilled to disk and merged
# (see SegmentBuilder); fewer segments make a search's term lookups fewer (one per segment and field).
SEGMENT_ARTICLES = 40_000
# Postings per block (Whoosh's default is 128). The archive reads a term's postings whole (_decode_compact), so a
# block is only a unit of framing and compression: 1,024 makes a common word's 200,000 postings 200 blocks instead
# of 1,600 (a fixed Python cost each), and compresses better. Any block size reads back the same.
POSTINGS_BLOCK = 1024
# Value-length sections of fewer bytes than this (a block of fewer postings) are not compressed (compress_block).
MIN_COMPRESSED_BLOCK = 64

# zlib level for posting blocks' value lengths (Whoosh's default is 3): see bench/indexing.py for the size/speed trade.
POSTINGS_COMPRESSION = 3

# The byte size of a block's compressed value lengths, written before them.
_COMPRESSED_SIZE = struct.Struct("<I")


def compress_block(data: bytes, compression: int) -> tuple[bytes, int]:
    """A block (encode_block's bytes) as written, and the compression level its info records (0: stored as it is).

    Only the block's value lengths are compressed (its size, then the zlib stream, in their place): the head
    (section sizes, document-number gaps, weights) is kept as written, so a word's documents and frequencies, what
    most queries read, need no inflating; so are the values (positions), which only phrases read and zlib barely
    shrinks (8% on the shared corpus, against 2.7x for the head and more for the lengths, mostly one byte each).
    Whole blocks compressed made every query inflate every block. Each block records its own compression: a small
    section (a rare word's few postings, most blocks of an index) is kept as it is, as zlib's header and checksum
    would make it larger and cost a call each; so is one zlib does not shrink."""
    if not compression:
        return data, 0
    _, _, sizes, start = _block_header(data)
    lengths = start + sizes[0] + sizes[1]
    values = lengths + sizes[2]
    if sizes[2] < MIN_COMPRESSED_BLOCK:
        return data, 0
    compressed = zlib.compress(data[lengths:values], compression)
    if len(compressed) + _COMPRESSED_SIZE.size >= sizes[2]:
        return data, 0
    return data[:lengths] + _COMPRESSED_SIZE.pack(len(compressed)) + compressed + data[values:], compression


def expand_block(data: bytes, compression: int) -> bytes:
    """A block as encode_block made it, from its bytes as compress_block wrote them."""
    if not compression:
        return data
    _, _, sizes, start = _block_header(data)
    head = start + sizes[0] + sizes[1]
    lengths, values = _expand_lengths(data, head)
    return data[:head] + lengths + data[values:]


def _expand_lengths(block: bytes, position: int) -> tuple[bytes, int]:
    """The value lengths compressed at POSITION of a block, inflated, and where its values start."""
    (size,) = _COMPRESSED_SIZE.unpack_from(block, position)
    position += _COMPRESSED_SIZE.size
    return zlib.decompress(block[position:position + size]), position + size


# Slow (public API) paths taken, by reason: empty while Whoosh behaves as the fast paths expect.
SLOW_PATHS: Counter[str] = Counter()


def _slow(reason: str) -> None:
    SLOW_PATHS[reason] += 1


# ---------------------------------------------------------------- reading postings and columns

# struct typecodes of Whoosh numeric columns -> numpy (the columns are big-endian)
_NUMPY_CODES = {"B": "u1", "H": "u2", "I": "u4", "Q": "u8", "b": "i1", "h": "i2", "i": "i4", "q": "i8"}


_EMPTY_IDS = np.zeros(0, dtype=np.int32)


_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class Values:
    """The encoded values (positions) of many postings as one byte array and where each starts: a common word's
    200,000 postings are two arrays, not 200,000 bytes objects, and a phrase check gathers the candidates' values
    with one numpy index."""
    data: np.ndarray  # uint8
    offsets: np.ndarray  # int64, one more than there are postings: value i is data[offsets[i]:offsets[i + 1]]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def of(cls, values: list[bytes]) -> Values:
        offsets = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(np.fromiter(map(len, values), dtype=np.int64, count=len(values)), out=offsets[1:])
        return cls(np.frombuffer(b"".join(values), dtype=np.uint8), offsets)

    @classmethod
    def concat(cls, parts: list[Values]) -> Values:
        if len(parts) == 1:
            return parts[0]
        sizes = np.cumsum([0] + [int(p.offsets[-1]) for p in parts[:-1]])
        offsets = np.concatenate([parts[0].offsets[:1]] + [p.offsets[1:] + size for p, size in zip(parts, sizes,
                                                                                                    strict=True)])
        return cls(np.concatenate([p.data for p in parts]), offsets)

    def take(self, rows: np.ndarray) -> Values:
        """The values of the postings at ROWS (ascending or not), in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.offsets[rows]
        lengths = self.offsets[rows + 1] - starts
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        index = np.arange(int(offsets[-1]), dtype=np.int64) + np.repeat(starts - offsets[:-1], lengths)
        return Values(self.data[index], offsets)

    def item(self, row: int) -> bytes:
        return self.data[self.offsets[row]:self.offsets[row + 1]].tobytes()


@dataclass
class Postings:
    """The postings of one term in one field: document numbers (ascending), term weights and, on request,
    the encoded per-posting values (positions) for phrase checks."""
    ids: np.ndarray
    weights: np.ndarray
    values: Values | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def select(self, keep: np.ndarray) -> Postings:
        """The postings where the boolean KEEP is true."""
        values = None if self.values is None else self.values.take(np.flatnonzero(keep))
        return Postings(self.ids[keep], self.weights[keep], values)


EMPTY_POSTINGS = Postings(_EMPTY_IDS, _EMPTY_WEIGHTS, Values(np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64)))


class _ViewStream:
    """A read-only stream over a memoryview (or bytes) that copies only what is read (io.BytesIO copies its whole
    buffer when made)."""

    def __init__(self, view: Any) -> None:
        self._view = view
        self._position = 0

    def read(self, size: int | None = -1) -> bytes:
        end = len(self._view) if size is None or size < 0 else min(len(self._view), self._position + size)
        data = bytes(self._view[self._position:end])
        self._position = max(self._position, end)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        rest = bytes(self._view[self._position:])
        end = rest.find(b"\n") + 1 or len(rest)
        if size is not None and size >= 0:
            end = min(end, size)
        self._position += end
        return rest[:end]

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._view)}[whence]
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        self._view = b""


class MappedFile(BufferFile):
    """A file of a compound segment opened with mmap: Whoosh's BufferFile (reads are slices of the mapped segment),
    without the io.BytesIO copy Whoosh makes of the whole file when it opens it (every segment's postings and terms
    copied into memory on each open: why the archive once read segments with plain file reads, a seek and a read
    system call per term lookup, two million of them to build a 300,000-article archive's per-document arrays).
    Installed in place of Whoosh's class for compound segments below."""

    def __init__(self, buf: Any, name: str | None = None, onclose: Any = None) -> None:
        super().__init__(b"", name=name, onclose=onclose)
        self._buf = buf
        self.file = _ViewStream(buf)

    def subset(self, position: int, length: int, name: str | None = None) -> MappedFile:
        return MappedFile(self._buf[position:position + length], name=name or self._name)


# Whoosh's compound segments make their files with this name (whoosh/filedb/compound.py CompoundStorage.open_file).
compound.BufferFile = MappedFile


def leaf_readers(reader: Any) -> list[tuple[Any, int]]:
    """(segment reader, docnum offset) for each segment; a single-segment reader is its own leaf."""
    leaves = reader.leaf_readers()
    return list(leaves) if leaves else [(reader, 0)]


def stored_fields(reader: Any, docnum: int) -> dict[str, Any]:
    """reader.stored_fields(DOCNUM) of an archive's index, without Whoosh's layers: its reader of many segments finds
    the segment, and each segment copies the fields into a new dict checking every name against the schema (a glob
    match for the metadata fields): about a third of the cost of a hit's stored fields. An index is never read
    with another schema than its own (schema.versions), so the check never drops a field."""
    leaves = reader.leaf_readers()
    if len(leaves) == 1:
        reader = leaves[0][0]
    elif leaves:
        number, docnum = reader._segment_and_docnum(docnum)
        reader = reader.readers[number]
    perdoc = getattr(reader, "_perdoc", None)
    if type(perdoc) is not CompactPerDocReader or reader.is_closed or docnum < 0:
        _slow("stored fields: not a compact segment")
        return dict(reader.stored_fields(docnum))
    return perdoc.stored_fields(docnum)


def read_segment_postings(segment: Any, fieldname: str, text: str, with_values: bool = False) -> Postings:
    """All postings of a term in one segment, as numpy arrays of LOCAL document numbers.

    Deleted documents are included (callers mask them with `live`). A term of a compact segment (every segment the
    archive writes) is read as one byte range and its blocks decoded together with numpy (`_decode_compact`);
    Whoosh's own W3 blocks are read block by block (one unpickle per block); any other codec falls back to the
    public matcher interface.
    """
    found = _locate(segment, fieldname, text, with_values)
    return found if isinstance(found, Postings) else _decode_compact([(found, 0)], with_values)


def _locate(segment: Any, fieldname: str, text: str, with_values: bool) -> bytes | memoryview | Postings:
    """A term's postings in one segment: the byte range of a compact segment's term (decoded by the caller, with
    other segments' ranges), or the postings decoded another way (absent, inlined, another codec)."""
    fieldobj = segment.schema[fieldname]
    try:
        btext = fieldobj.to_bytes(text)
    except (ValueError, TypeError, UnicodeError):  # a text the field cannot hold (a word for a numeric field)
        return EMPTY_POSTINGS
    terms = getattr(segment, "_terms", None)
    if terms is None:
        _slow("postings: segment without a W3 term dictionary")
        return _read_with_matcher(segment, fieldname, text, with_values)
    compact = isinstance(getattr(terms, "_codec", None), CompactCodec)
    if compact:
        extent = _term_extent(terms, fieldname, btext)
        if extent is None:
            return EMPTY_POSTINGS
        if isinstance(extent, tuple):
            return _posting_range(terms._postfile, *extent)
    try:
        terminfo = terms.term_info(fieldname, btext)
    except (KeyError, TermNotFound):
        return EMPTY_POSTINGS
    if compact and not terminfo.is_inlined():
        return term_bytes(terms, terminfo)
    return _decode(terms.matcher(fieldname, btext, fieldobj.format), fieldobj, with_values)


# Whoosh's hash file of terms (whoosh/filedb/filetables.py HashReader): a slot is (key hash, item position), an item
# (key length, value length, key, value); a term's value is a W3TermInfo (whoosh/codec/whoosh3.py): its fixed head,
# then the postings' offset and length when they are not inlined.
_HASH_SLOT = struct.Struct("!Iq")
_HASH_ITEM = struct.Struct("!ii")
_TERM_INFO_HEAD = struct.calcsize("!BfIBBfII")
_TERM_EXTENT = struct.Struct("!qi")


def _term_extent(terms: Any, fieldname: str, btext: bytes) -> tuple[int, int] | bool | None:
    """(offset, length) of a term's postings in its mapped segment's postings file, read from the terms' hash file
    in place as HashReader.ranges_for_key and W3TermInfo.from_bytes read it, without their generator, copies and
    objects (a term is looked up once per segment and field: 100 lookups for two words at a million articles,
    15-30 us each the Whoosh way); None when the term is absent; False when this way cannot tell (postings
    inlined in the term's entry, or a terms file not mapped): then Whoosh's own lookup answers."""
    table = terms._tindex
    view = getattr(table.dbfile, "_buf", None)
    if not isinstance(view, memoryview):
        return False
    key = terms._keycoder(fieldname, btext)
    keyhash = table.hashfn(key)
    start, slots = table.tables[keyhash & 255]
    if not slots:
        return None
    end = start + slots * _HASH_SLOT.size
    slot = start + (keyhash >> 8) % slots * _HASH_SLOT.size
    for _ in range(slots):
        slot_hash, item = _HASH_SLOT.unpack_from(view, slot)
        if not item:
            return None
        if slot_hash == keyhash:
            key_length, value_length = _HASH_ITEM.unpack_from(view, item)
            key_start = item + _HASH_ITEM.size
            if key_length == len(key) and view[key_start:key_start + key_length] == key:
                value = key_start + key_length
                if view[value] or value_length < _TERM_INFO_HEAD + _TERM_EXTENT.size:
                    return False  # inlined postings (flags set)
                offset, length = _TERM_EXTENT.unpack_from(view, value + _TERM_INFO_HEAD)
                return offset, length
        slot += _HASH_SLOT.size
        if slot == end:
            slot = start
    return None


_BLOCK_LENGTH = struct.Struct("!i")


def term_bytes(terms: Any, terminfo: Any) -> bytes | memoryview:
    """The byte range of a (not inlined) term's postings in its segment's postings file: a view of the mapped
    segment, not a copy, when the segment is mapped (a common word's range is a few hundred kilobytes per segment,
    and the compiled decoder reads it in place)."""
    offset, length = terminfo.extent()
    if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps the length as struct.unpack's 1-tuple
        (length,) = length
    return _posting_range(terms._postfile, offset, length)


def _posting_range(postfile: Any, offset: int, length: int) -> bytes | memoryview:
    """LENGTH bytes at OFFSET of a segment's postings file: a view when the segment is mapped, else a copy."""
    if isinstance(postfile, MappedFile) and isinstance(postfile._buf, memoryview):
        return postfile._buf[offset:offset + length]
    return postfile.get(offset, length)


def _decode_compact(ranges: Sequence[tuple[bytes | memoryview, int]], with_values: bool,
                    range_sizes: list[int] | None = None) -> Postings:
    """A term's postings from its whole byte range in each of one or more compact segments, (range, the segment's
    first global document number) in document order: Whoosh's block framing (magic, then per block a length, a
    pickled info tuple and the data) walked in one loop, the blocks' sections gathered, and each kind of section
    decoded once for the whole term, every segment at once, with numpy (segment by segment, a common word of a
    25-segment archive paid numpy's per-call costs 25 times).

    The ranges may also be different terms' (field_postings): each block's first number is made relative to the
    previous block's last whatever their order, so the ids come out right; RANGE_SIZES, when given, receives how
    many postings each range holds."""
    if range_sizes is None and ranges:
        # every block in one compiled loop, when built (inflating with this module's zlib, as the Python way does)
        decoded = kernels.decode_postings(list(ranges), with_values, zlib.decompress)
        if decoded is not None:
            ids, weights, raw_values = decoded
            return Postings(ids, weights, None if raw_values is None else Values(*raw_values))
    counts: list[int] = []
    last_ids: list[int] = []  # global
    block_offsets: list[int] = []  # the first global document number of each block's segment
    id_parts: list[bytes] = []
    weight_kinds: list[int] = []
    weight_parts: dict[int, list[bytes]] = {_WEIGHTS_SAME: [], _WEIGHTS_INTS: [], _WEIGHTS_FLOATS: []}
    length_parts: list[bytes] = []
    value_parts: list[bytes] = []
    for view, offset in ranges:
        data = bytes(view)  # a view of a mapped segment: its blocks are sliced many times below
        if data[:4] != WHOOSH3_HEADER_MAGIC:
            raise ValueError("not a W3 postings list")
        first_block = len(counts)
        position = 4
        while True:
            (block_length,) = _BLOCK_LENGTH.unpack_from(data, position)
            end = position + 4 + abs(block_length)
            info = _block_info(data, position + 4)
            if info is None:  # not the pickle Whoosh's writer makes: let pickle read it
                stream = io.BytesIO(data)
                stream.seek(position + 4)
                info = (*pickle.load(stream)[:4], stream.tell())
            count, last_id, _, compression, start = info
            block = data[start:end]
            weight_kind, value_kind, sizes, start = _block_header(block)
            id_end = start + sizes[0]
            weight_end = id_end + sizes[1]
            length_end = weight_end + sizes[2]
            counts.append(count)
            last_ids.append(last_id + offset)
            block_offsets.append(offset)
            id_parts.append(block[start:id_end])
            weight_kinds.append(weight_kind)
            if weight_kind != _WEIGHTS_ONE:
                weight_parts[weight_kind].append(block[id_end:weight_end])
            if with_values:
                if value_kind == _VALUES_VARIABLE and compression:  # the lengths alone are compressed
                    lengths, values_start = _expand_lengths(block, weight_end)
                    length_parts.append(lengths)
                    value_parts.append(block[values_start:])
                elif value_kind == _VALUES_VARIABLE:
                    length_parts.append(block[weight_end:length_end])
                    value_parts.append(block[length_end:])
                else:  # no values kept, or fixed-size ones (no text field of the archive): empty values
                    length_parts.append(bytes(count))
            if block_length < 0:
                break
            position = end
        if range_sizes is not None:
            range_sizes.append(sum(counts[first_block:]))
    if not counts:
        return EMPTY_POSTINGS
    counts_array = np.asarray(counts, dtype=np.int64)
    gaps = _unvarints_array(b"".join(id_parts))
    # each block's first number is its segment's local document number: make it a gap from the previous block's
    # last, in global numbers
    firsts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts_array[:-1], out=firsts[1:])
    gaps[firsts] += np.asarray(block_offsets, dtype=np.int64) - np.asarray([0, *last_ids[:-1]], dtype=np.int64)
    ids = np.cumsum(gaps).astype(np.int32)
    kinds = np.repeat(np.asarray(weight_kinds, dtype=np.int8), counts_array)
    weights = np.ones(len(ids), dtype=np.float32)
    if weight_parts[_WEIGHTS_SAME]:
        same = np.frombuffer(b"".join(weight_parts[_WEIGHTS_SAME]), dtype="<f4")
        blocks_same = np.asarray(weight_kinds, dtype=np.int8) == _WEIGHTS_SAME
        weights[kinds == _WEIGHTS_SAME] = np.repeat(same, counts_array[blocks_same])
    if weight_parts[_WEIGHTS_INTS]:
        weights[kinds == _WEIGHTS_INTS] = _unvarints_array(b"".join(weight_parts[_WEIGHTS_INTS]))
    if weight_parts[_WEIGHTS_FLOATS]:
        weights[kinds == _WEIGHTS_FLOATS] = np.frombuffer(b"".join(weight_parts[_WEIGHTS_FLOATS]), dtype="<f4")
    values = None
    if with_values:
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(_unvarints_array(b"".join(length_parts)), out=offsets[1:])
        values = Values(np.frombuffer(b"".join(value_parts), dtype=np.uint8), offsets)
    return Postings(ids, weights, values)


_PICKLE_DOUBLE = struct.Struct(">d")


def _block_info(data: bytes, position: int) -> tuple[int, int, float, int, int] | None:
    """(postings, last document number, maximum weight, compression, where the block's data starts) from the
    block's info tuple at POSITION, as pickle protocol 2 writes a tuple of small ints and a float: read in place,
    as pickle.load costs ten times more per block. None for anything else."""
    if data[position:position + 3] != b"\x80\x02(":
        return None
    position += 3
    items: list[Any] = []
    for _ in range(6):
        op = data[position]
        if op == 0x4B:  # K: one-byte int
            items.append(data[position + 1])
            position += 2
        elif op == 0x4D:  # M: two-byte int
            items.append(data[position + 1] | data[position + 2] << 8)
            position += 3
        elif op == 0x4A:  # J: four-byte signed int
            items.append(int.from_bytes(data[position + 1:position + 5], "little", signed=True))
            position += 5
        elif op == 0x47:  # G: a double
            items.append(_PICKLE_DOUBLE.unpack_from(data, position + 1)[0])
            position += 9
        elif op == 0x8A:  # LONG1: a length byte, then a little-endian signed int
            size = data[position + 1]
            items.append(int.from_bytes(data[position + 2:position + 2 + size], "little", signed=True))
            position += 2 + size
        else:
            return None
    if data[position:position + 4] != b"tq\x00.":
        return None
    return items[0], items[1], items[2], items[3], position + 4


def _block_header(block: bytes) -> tuple[int, int, list[int], int]:
    """(weight kind, value kind, the byte sizes of the id, weight and length sections, where the ids start) of a
    block written by encode_block."""
    if block[2] < 0x80 and block[3] < 0x80 and block[4] < 0x80:
        return block[0], block[1], [block[2], block[3], block[4]], 5
    position, sizes = 2, []
    for _ in range(3):
        number, shift = 0, 0
        while True:
            byte = block[position]
            position += 1
            number |= (byte & 0x7F) << shift
            if byte < 0x80:
                break
            shift += 7
        sizes.append(number)
    return block[0], block[1], sizes, position


def _unvarints_array(data: bytes) -> np.ndarray:
    raw = np.frombuffer(data, dtype=np.uint8)
    if not len(raw) or raw.max() < 0x80:
        return raw.astype(np.int64)
    return unvarints_numpy(data)


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
                values.extend([b""] * count)
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    return Postings(np.concatenate(id_blocks).astype(np.int32), np.concatenate(weight_blocks),
                    None if values is None else Values.of(values))


def _drain(matcher: Any, with_values: bool) -> Postings:
    ids, weights, values = [], [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        if with_values:
            values.append(matcher.value())
        matcher.next()
    return Postings(np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float32),
                    Values.of([v if isinstance(v, bytes) else b"" for v in values]) if with_values else None)


def _read_with_matcher(segment: Any, fieldname: str, text: str, with_values: bool) -> Postings:
    try:
        matcher = segment.postings(fieldname, text)
    except TermNotFound:
        return EMPTY_POSTINGS
    return _drain(matcher, with_values)


def read_postings(reader: Any, fieldname: str, text: str, with_values: bool = False) -> Postings:
    """All postings of a term over every segment, with global document numbers: the compact segments' byte ranges
    decoded together, any other segment's postings on their own."""
    located = [(_locate(segment, fieldname, text, with_values), offset) for segment, offset in leaf_readers(reader)]
    ranges = [(found, offset) for found, offset in located if not isinstance(found, Postings)]
    if ranges and all(not isinstance(found, Postings) or not len(found) for found, _ in located):
        return _decode_compact(ranges, with_values)
    # another codec among the segments (not written by the archive): segment by segment, in document order
    parts = [(found if isinstance(found, Postings) else _decode_compact([(found, 0)], with_values), offset)
             for found, offset in located]
    parts = [(postings, offset) for postings, offset in parts if len(postings)]
    if not parts:
        return EMPTY_POSTINGS
    if len(parts) == 1 and parts[0][1] == 0:
        return parts[0][0]
    ids = np.concatenate([p.ids + offset for p, offset in parts]).astype(np.int32)
    weights = np.concatenate([p.weights for p, _ in parts])
    values = None
    if with_values:
        values = Values.concat([p.values for p, _ in parts if p.values is not None])
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
        # a compact segment's terms are decoded all at once (a per-term matcher made opening a million-article
        # archive read its million ids in 37 s of CPU, 12 s so); others, and inlined terms, one by one
        names: list[str] = []
        ranges: list[tuple[bytes | memoryview, int]] = []
        for btext, terminfo in segment.iter_field(fieldname):
            name = fieldobj.from_bytes(btext) if isinstance(btext, bytes) else btext
            if isinstance(codec, CompactCodec) and not terminfo.is_inlined():
                names.append(name)
                ranges.append((term_bytes(terms, terminfo), offset))
                continue
            matcher = codec.postings_reader(terms._postfile, terminfo, fieldobj.format)
            parts.setdefault(name, []).append(_decode(matcher, fieldobj, False).ids + offset)
        if ranges:
            sizes: list[int] = []
            ids = _decode_compact(ranges, False, sizes).ids
            for name, part in zip(names, np.split(ids, np.cumsum(sizes)[:-1]), strict=True):
                parts.setdefault(name, []).append(part)
    return {name: (arrays[0] if len(arrays) == 1 else np.concatenate(arrays)).astype(np.int32)
            for name, arrays in sorted(parts.items())}


def field_names_with_prefix(reader: Any, prefix: str) -> list[str]:
    """The indexed fields whose names start with PREFIX (glob fields: one per metadata facet met in the index)."""
    return sorted(name for name in reader.indexed_field_names() if name.startswith(prefix))


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
    """What `TEXT.index(text)` yields with the VarintPositions format, term for term and byte for byte, without
    Whoosh's per-token bookkeeping and without encoding the positions of the many terms that occur once in an
    article (their encodings are precomputed). The archive's own analyzer is run as `term_positions` (no Token per
    word); any other analyzer is followed token by token."""
    field_boost = float(fieldobj.format.field_boost)
    if _is_arabic_analyzer(fieldobj.analyzer):
        positions = kernels.analysed_positions(text)
    else:
        positions = {}
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
            yield term.encode("utf-8"), len(found), len(found) * field_boost, encode_positions(found)


_ARABIC_ANALYZER = ArabicAnalyzer()


def _is_arabic_analyzer(analyzer: Any) -> bool:
    """Whether ANALYZER is the archive's (the same tokenizer pattern and term filter), which `term_positions`
    reproduces; the schema unpickled from an index holds its own equal copy."""
    return analyzer is _ARABIC_ANALYZER or analyzer == _ARABIC_ANALYZER


# the encodings of every position a word met once can have in an ordinary article, computed once
_SINGLE_POSITION = [encode_positions([position]) for position in range(4096)]


# ---------------------------------------------------------------- compact posting blocks

# Block data flags: how the weights and the values of a block are written.
_WEIGHTS_ONE, _WEIGHTS_SAME, _WEIGHTS_INTS, _WEIGHTS_FLOATS = 0, 1, 2, 3
_VALUES_NONE, _VALUES_VARIABLE, _VALUES_FIXED = 0, 1, 2
_FLOAT = struct.Struct("<f")


class CompactPostingsWriter(W3PostingsWriter):
    """Whoosh's W3 posting blocks with compact data: document-number gaps, integer weights and value lengths as
    varints, the values (positions) concatenated, instead of a pickled tuple of Python objects (a float weight
    pickles to 9 bytes, and every bytes value, pickled with protocol 2, to a codecs.encode call). The block headers
    (counts, last id, maximum weight, lengths) stay Whoosh's, so its matchers skip blocks as before."""

    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        databytes = encode_block(self._ids, self._weights, self._values, self._format.fixed_value_size())
        databytes, comp = compress_block(databytes, self._compression)
        ids = self._ids
        infobytes = pickle.dumps((len(ids), ids[-1], self._maxweight, comp, length_to_byte(self._minlength),
                                  length_to_byte(self._maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


def encode_block(ids: Any, weights: Any, values: list[bytes], fixedsize: int | None) -> bytes:
    """A block's postings as: weight kind, value kind, the byte sizes of the three varint sections, then the
    document-number gaps, the weights, the value lengths (varints) and the values. Written for the common block,
    a rare word's handful of postings: list operations done in C, no numpy below _NUMPY_FROM postings."""
    count = len(ids)
    ids = ids.tolist() if hasattr(ids, "tolist") else list(ids)
    gaps = [b - a for a, b in zip([0, *ids[:-1]], ids, strict=True)]
    id_bytes = varints(gaps)
    floats = weights.tolist() if hasattr(weights, "tolist") else list(weights)
    first = floats[0]
    if floats.count(first) == count:
        weight_kind, weight_bytes = (_WEIGHTS_ONE, b"") if first == 1.0 else (_WEIGHTS_SAME, _FLOAT.pack(first))
    else:
        whole = [int(w) for w in floats]
        if whole == floats and min(whole) >= 0:
            weight_kind, weight_bytes = _WEIGHTS_INTS, varints(whole)
        else:
            weight_kind, weight_bytes = _WEIGHTS_FLOATS, array("f", floats).tobytes()
    if fixedsize == 0 or not values:
        value_kind, value_bytes, lengths = _VALUES_NONE, b"", b""
    elif fixedsize is not None and fixedsize > 0:
        value_kind, value_bytes, lengths = _VALUES_FIXED, b"".join(values), b""
    else:
        if len(values) != count:
            raise ValueError("a block's values do not match its postings")
        value_kind, value_bytes, lengths = _VALUES_VARIABLE, b"".join(values), varints([len(v) for v in values])
    header = [weight_kind, value_kind, len(id_bytes), len(weight_bytes), len(lengths)]
    return (bytes(header) if max(header) < 0x80 else varints(header)) + id_bytes + weight_bytes + lengths + value_bytes


def encode_one_posting(docnum: int, weight: float, value: bytes, fixedsize: int | None) -> bytes:
    """encode_block([docnum], [weight], [value] if value else [], fixedsize), for the one-posting block (most
    blocks of a segment) without the lists."""
    id_bytes = bytes((docnum,)) if 0 <= docnum < 0x80 else varints([docnum])
    if weight == 1.0:
        weight_kind, weight_bytes = _WEIGHTS_ONE, b""
    else:
        weight_kind, weight_bytes = _WEIGHTS_SAME, _FLOAT.pack(weight)
    if fixedsize == 0 or not value:
        return bytes((weight_kind, _VALUES_NONE, len(id_bytes), len(weight_bytes), 0)) + id_bytes + weight_bytes
    if fixedsize is not None and fixedsize > 0:
        return bytes((weight_kind, _VALUES_FIXED, len(id_bytes), len(weight_bytes), 0)) + id_bytes + weight_bytes \
            + value
    lengths = bytes((len(value),)) if len(value) < 0x80 else varints([len(value)])
    return bytes((weight_kind, _VALUES_VARIABLE, len(id_bytes), len(weight_bytes), len(lengths))) + id_bytes \
        + weight_bytes + lengths + value


def decode_block(data: bytes, count: int, fixedsize: int | None) -> tuple[list[int], Any, Any]:
    """(document-number gaps, weights: None for all 1.0 / a float for all the same / a list, values) of a block
    written by encode_block: the shape of Whoosh's own block data, so its matchers and ours read either."""
    weight_kind, value_kind, sizes, position = _block_header(data)
    id_end = position + sizes[0]
    gaps = unvarints(data[position:id_end])
    weight_end = id_end + sizes[1]
    weights: Any
    if weight_kind == _WEIGHTS_ONE:
        weights = None
    elif weight_kind == _WEIGHTS_SAME:
        weights = _FLOAT.unpack(data[id_end:weight_end])[0]
    elif weight_kind == _WEIGHTS_INTS:
        weights = [float(w) for w in unvarints(data[id_end:weight_end])]
    else:
        weights = array("f", data[id_end:weight_end]).tolist()
    length_end = weight_end + sizes[2]
    values: Any
    if value_kind == _VALUES_NONE:
        values = None if fixedsize == 0 else ()
    elif value_kind == _VALUES_FIXED:
        values = data[length_end:]
    else:
        values, start = [], length_end
        for length in unvarints(data[weight_end:length_end]):
            values.append(data[start:start + length])
            start += length
    return gaps, weights, values


class CompactLeafMatcher(W3LeafMatcher):
    """Reads CompactPostingsWriter blocks; everything else (block headers, skipping) is Whoosh's."""

    def _read_data(self) -> None:
        data = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        self._data = decode_block(expand_block(data, self._compression), self._blocklength, self._fixedsize)

    def _read_ids(self) -> None:
        """Whoosh's matchers get plain ints (document numbers end up in sets and pickled deletion lists)."""
        if self._data is None:
            self._read_data()
        self._ids = tuple(itertools.accumulate(self._data[0]))

    def _read_weights(self) -> None:
        """As Whoosh's: an array("f") whose items are Python floats, so its scorers compute as before."""
        if self._data is None:
            self._read_data()
        if isinstance(self._data[1], list):
            self._weights = array("f", self._data[1])
        else:
            super()._read_weights()


def compact_codec() -> CompactCodec:
    """The codec every segment of the archive is written with (by a rebuild's index processes and by `add`)."""
    return CompactCodec(blocklimit=POSTINGS_BLOCK, compression=POSTINGS_COMPRESSION)


class CompactCodec(W3Codec):
    """Whoosh's W3 codec with compact posting blocks (CompactPostingsWriter). Segments record their codec, so an
    index may mix these segments with plain W3 ones (written by `add`'s Whoosh writer before it merges them); the
    segment pickles this class by name: it must stay importable here, and a change of the block encoding bumps
    SCHEMA_VERSION."""

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        if byteids:  # term vectors: not used by the archive's schema, left to Whoosh
            return super().postings_writer(dbfile, byteids)
        return CompactPostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=False,
                                     compression=self._compression, inlinelimit=self._inlinelimit)

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def per_document_writer(self, storage: Any, segment: Any) -> Any:
        return CompactPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> Any:
        return CompactPerDocReader(storage, segment)


# Whoosh's name for the column of stored fields.
_STORED = "_stored"


class CompactPerDocWriter(W3PerDocWriter):
    """Whoosh's per-document writer, the stored fields compressed with the archive's dictionary
    (archive/index/formats.py StoredFieldsColumn): a fifth smaller than Whoosh's plain zlib."""

    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, stored_fields_column() if fieldname == _STORED else column)


class CompactPerDocReader(W3PerDocReader):
    """Reads what CompactPerDocWriter wrote; everything but the stored fields is Whoosh's."""

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        found = self._cached_reader(_STORED, stored_fields_column())[docnum]
        return {} if found is None else found


def fast_path_applies(fieldobj: object) -> bool:
    """Only for plain TEXT fields with the VarintPositions format, whose encoding the fast path reproduces."""
    return type(fieldobj) is TEXT and type(getattr(fieldobj, "format", None)) is VarintPositions


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

    def field(self, fieldname: str, default: int = 0) -> list[int | None]:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            read = self._reader.doc_field_length
            lengths = self._lengths[fieldname] = [read(doc, fieldname, default) for doc in range(self._doc_count)]
        return lengths

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        return self.field(fieldname, default)[docnum]

    def close(self) -> None:
        self._reader.close()


# A term's postings in the pool: document numbers, weights and encoded values (positions), in document order.
_TermPostings = tuple[Any, Any, list[bytes]]


class _PositionsColumn:
    """A text field's postings in the order their documents came, one entry per (document, term): the term, the
    document, how often it occurs and its encoded positions. A document's terms are added with four C-level
    extends, not a Python step per term; `by_term` groups them by term once, when the segment is written."""

    def __init__(self, field_boost: float) -> None:
        self.field_boost = field_boost
        self.terms: list[str] = []
        self.docs = array("i")
        self.counts = array("i")
        self.values: list[bytes] = []

    def add(self, docnum: int, positions: dict[str, list[int]]) -> int:
        found = positions.values()
        self.terms += positions
        self.docs.extend(itertools.repeat(docnum, len(positions)))
        start = len(self.counts)
        self.counts.extend(map(len, found))
        self.values += map(_encode_positions, found)
        return sum(self.counts[start:])

    def by_term(self) -> Iterator[tuple[bytes, _TermPostings]]:
        """(term bytes, (documents, weights, values)) in byte order of the terms, each term's postings in the order
        they came; consumes the column. The weights are the counts times the field's boost rounded to float32, as
        Whoosh's array("f") of weights holds them. Made a term at a time from numpy arrays, and each part of the
        column freed once reordered: no Python object per posting is made for a whole field at once (a
        40,000-article segment's body has about 6 million postings)."""
        terms, self.terms = self.terms, []
        if not terms:
            return
        labels: dict[str, int] = {}
        # each posting labelled by the index of its term's first posting
        label_of = np.fromiter(map(labels.setdefault, terms, itertools.count()), dtype=np.int32, count=len(terms))
        del labels
        order = np.argsort(label_of, kind="stable")
        grouped = label_of[order]
        del label_of
        first = np.flatnonzero(np.concatenate(([True], grouped[1:] != grouped[:-1])))
        starts = first.tolist()
        ends = [*starts[1:], len(order)]
        group_terms = [term.encode("utf-8") for term in map(terms.__getitem__, grouped[first].tolist())]
        del grouped, first, terms
        docs = np.frombuffer(self.docs, dtype=np.int32)[order]
        self.docs = array("i")
        weights = (np.frombuffer(self.counts, dtype=np.int32)[order].astype(np.float64)
                   * self.field_boost).astype(np.float32)
        self.counts = array("i")
        values = np.empty(len(self.values), dtype=object)
        values[:] = self.values
        self.values = []
        values = values[order]
        del order
        for group in sorted(range(len(group_terms)), key=group_terms.__getitem__):
            start, end = starts[group], ends[group]
            yield group_terms[group], (docs[start:end].tolist(), weights[start:end].tolist(),
                                       values[start:end].tolist())


def _encode_positions(positions: list[int]) -> bytes:
    if len(positions) == 1 and positions[0] < len(_SINGLE_POSITION):
        return _SINGLE_POSITION[positions[0]]
    return encode_positions(positions)


class _TermPool:
    """The postings of the segment being written, grouped by field and term: instead of Whoosh's PostingPool (a
    tuple per posting, its size reckoned, all of them sorted at the end, ~150 bytes each), three appends per
    posting for the fields Whoosh's interface gives (`add`: ids, keywords, numbers), and for the text fields a
    column of (term, document) entries (`add_positions`: four extends per document), grouped by term with numpy
    when the segment is written. A SegmentBuilder's segment is bounded (SEGMENT_ARTICLES), so the pool is never
    spilled to disk. Written out term by term by _write_pool."""

    def __init__(self) -> None:
        self.fields: dict[str, dict[bytes, tuple[array, array, list[bytes]]]] = {}
        self.columns: dict[str, _PositionsColumn] = {}
        self.in_order = True  # document numbers came ascending (always, unless a merge adds another segment's)
        self._last_doc = -1

    def fieldnames(self) -> list[str]:
        return sorted(set(self.fields) | set(self.columns))

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """Whoosh's pool interface: one (field, term bytes, document, weight, value) posting."""
        fieldname, btext, docnum, weight, value = item
        if docnum < self._last_doc:
            self.in_order = False
        self._last_doc = docnum
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        entry = terms.get(btext)
        if entry is None:
            terms[btext] = (array("i", (docnum,)), array("f", (weight,)), [value or b""])
        else:
            entry[0].append(docnum)
            entry[1].append(weight)
            entry[2].append(value or b"")

    def add_positions(self, fieldname: str, docnum: int, positions: dict[str, list[int]], field_boost: float) -> int:
        """A text field's postings of one document from its terms' positions (archive.text.analysis.term_positions):
        what `add` receives from fast_text_postings, without a step per term. Returns the field's length (the number
        of positions), as Whoosh counts it for a scorable field."""
        if docnum < self._last_doc:
            self.in_order = False
        self._last_doc = docnum
        column = self.columns.get(fieldname)
        if column is None:
            column = self.columns[fieldname] = _PositionsColumn(field_boost)
        elif column.field_boost != field_boost:
            raise ValueError(f"field {fieldname!r} given two boosts")
        return column.add(docnum, positions)

    def sorted_terms(self, fieldname: str) -> Iterator[tuple[bytes, _TermPostings]]:
        """A field's terms as (bytes, postings) in byte order, the postings in document order."""
        keyed: list[tuple[bytes, _TermPostings]] = list(self.fields.get(fieldname, {}).items())
        column = self.columns.get(fieldname)
        in_order = self.in_order
        if column is not None:
            if not keyed and in_order:
                yield from column.by_term()
                return
            # documents of the field came both ways (rare): merge a term's two parts
            merged: dict[bytes, _TermPostings] = dict(keyed)
            for btext, (ids, weights, values) in column.by_term():
                if btext in merged:
                    before = merged[btext]
                    ids, weights, values = [*before[0], *ids], [*before[1], *weights], before[2] + values
                    in_order = False
                merged[btext] = (ids, weights, values)
            keyed = list(merged.items())
        items = sorted(keyed, key=lambda item: item[0])
        if not in_order:
            items = [(btext, _in_document_order(postings)) for btext, postings in items]
        yield from items

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        """Whoosh's pool interface: every posting, sorted by field, term and document."""
        for fieldname in self.fieldnames():
            for btext, (ids, weights, values) in self.sorted_terms(fieldname):
                for docnum, weight, value in zip(ids, weights, values, strict=True):
                    yield fieldname, btext, docnum, weight, value

    def cleanup(self) -> None:
        self.fields.clear()
        self.columns.clear()


def _in_document_order(postings: _TermPostings) -> _TermPostings:
    ids, weights, values = postings
    if list(ids) == sorted(ids):
        return postings
    order = sorted(range(len(ids)), key=ids.__getitem__)  # stable: a document's postings keep their order
    return [ids[i] for i in order], [weights[i] for i in order], [values[i] for i in order]


# W3TermInfo's fixed part: flags, total weight, document frequency, minimum and maximum length bytes, maximum
# weight, first and last document (whoosh/codec/whoosh3.py), then the postings' offset and length.
_TERM_INFO = struct.Struct("!BfIBBfII")
_TERM_EXTENT = struct.Struct("!qi")
_FIELD_ID = struct.Struct("!H")
_BLOCK_INFO_LENGTH = struct.Struct("!i")


def _write_pool(fieldwriter: Any, schema: Schema, lengths: dict[str, bytearray] | _LengthsOfNewSegment | None,
                pool: _TermPool) -> None:
    """What Whoosh's FieldWriter.add_postings writes for the pool's postings, byte for byte (a test compares the
    segment files with Whoosh's own writer's), but a term at a time: each term's blocks, with their info tuples, and
    its term-info record are made here in one pass and written with one call, instead of add_posting called for
    every posting and Whoosh's postings writer and term-info objects made and asked for every term.

    LENGTHS: each document's length byte (length_to_byte) per scorable field, as the fast add_document records
    them; or the lengths read back from the per-document columns (Whoosh's add_document, as a merge adds)."""
    block = POSTINGS_BLOCK
    compression = getattr(fieldwriter._codec, "_compression", POSTINGS_COMPRESSION)
    for fieldname in pool.fieldnames():
        fieldobj = schema[fieldname]
        fieldwriter.start_field(fieldname, fieldobj)
        postfile = fieldwriter._postfile
        add_term = fieldwriter._tindex.add
        field_id = _FIELD_ID.pack(fieldwriter._fieldid)
        fixedsize = fieldobj.format.fixed_value_size()
        if isinstance(lengths, _LengthsOfNewSegment):
            field_bytes: Any = [length_to_byte(n) if n else 0 for n in lengths.field(fieldname)]
        else:
            field_bytes = None if lengths is None else lengths.get(fieldname)
        # where the next term's postings start: counted here, not asked of the file (a Python call and a seek
        # each time: 3% of a rebuild's CPU for the three asks per term)
        position = postfile.tell()
        for btext, (ids, weights, values) in pool.sorted_terms(fieldname):
            if ids[0] < 0:  # Whoosh's spelling-only items (docnum -1): not postings
                continue
            start = position
            count = len(ids)
            if count == 1:  # most terms of a segment (a rare word's one article): what the loop below writes for it
                docnum, weight, value = ids[0], weights[0], values[0]
                block_max = max(0, weight)
                length_byte = 0 if field_bytes is None else field_bytes[docnum]
                data, comp = compress_block(encode_one_posting(docnum, weight, value, fixedsize), compression)
                info = pickle.dumps((1, docnum, block_max, comp, length_byte, length_byte), 2)
                record = WHOOSH3_HEADER_MAGIC + _BLOCK_INFO_LENGTH.pack(-len(info) - len(data)) + info + data
                postfile.write(record)
                position += len(record)
                add_term(field_id + btext,
                         _TERM_INFO.pack(0, 0 + weight, 1, length_byte, length_byte, max(0, block_max), docnum, docnum)
                         + _TERM_EXTENT.pack(start, len(record)))
                continue
            parts = [WHOOSH3_HEADER_MAGIC]
            total_weight: float = 0
            max_weight: float = 0
            min_byte = max_byte = 0
            for first in range(0, count, block):
                end = min(first + block, count)
                chunk_ids = ids[first:end]
                chunk_weights = weights[first:end]
                block_max = max(0, max(chunk_weights))
                if field_bytes is None:
                    block_min_byte = block_max_byte = 0
                else:
                    found = [b for b in map(field_bytes.__getitem__, chunk_ids) if b]
                    block_min_byte = min(found) if found else 0
                    block_max_byte = max(found) if found else 0
                    if block_min_byte and (not min_byte or block_min_byte < min_byte):
                        min_byte = block_min_byte
                    max_byte = max(max_byte, block_max_byte)
                chunk_values = values[first:end]
                data = encode_block(chunk_ids, chunk_weights, [v for v in chunk_values if v] if b"" in chunk_values
                                    else chunk_values, fixedsize)
                data, comp = compress_block(data, compression)
                info = pickle.dumps((end - first, chunk_ids[-1], block_max, comp, block_min_byte, block_max_byte), 2)
                size = len(info) + len(data)
                parts += (_BLOCK_INFO_LENGTH.pack(-size if end == count else size), info, data)
                total_weight += sum(chunk_weights)  # as W3TermInfo.add_block sums a block's weights
                max_weight = max(max_weight, block_max)
            record = b"".join(parts)
            postfile.write(record)
            position += len(record)
            add_term(field_id + btext,
                     _TERM_INFO.pack(0, total_weight, count, min_byte, max_byte, max_weight, ids[0], ids[-1])
                     + _TERM_EXTENT.pack(start, len(record)))
        fieldwriter.finish_field()


class _FastSegmentWriter(SegmentWriter):
    """Whoosh's SegmentWriter with the postings pooled by term and written a term at a time (_TermPool,
    _write_pool), the text fields analysed straight into the pool (term_positions), and each document's field
    lengths kept as they are written instead of read back from the lengths columns: the same segment files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool = _TermPool()
        # per field name: (field, its kind: "arabic" text / "index" / "", stored, column type, scorable)
        self._plans: dict[str, tuple[Any, str, bool, Any, bool]] = {}
        self._length_bytes: dict[str, bytearray] = {}
        self._fast_documents = 0  # documents added by the fast add_document (the others' lengths are read back)

    def _plan(self, fieldname: str) -> tuple[Any, str, bool, Any, bool] | None:
        plan = self._plans.get(fieldname)
        if plan is None:
            if fieldname.startswith("_") or fieldname not in self.schema:
                return None  # Whoosh's per-document boosts and custom stored values, or an unknown field's error
            field = self.schema[fieldname]
            if field.separate_spelling() or field.vector:
                return None
            kind = ""
            if field.indexed:
                kind = "arabic" if (type(field) is FastText and _is_arabic_analyzer(field.analyzer)) else "index"
            plan = self._plans[fieldname] = (field, kind, bool(field.stored), field.column_type,
                                             bool(field.scorable))
        return plan

    def add_document(self, **fields: Any) -> None:
        """Whoosh's add_document for the archive's documents, step for step (fields in name order, the stored
        values, lengths and columns given to the per-document writer alike), with the text fields' postings added
        to the pool from their terms' positions. Documents with anything else (boosts, spelling or vector fields,
        another pool) take Whoosh's own way."""
        pool = self.pool
        names = sorted(fields)
        plans = [plan for plan in map(self._plan, names) if plan is not None]
        if len(plans) != len(names) or not isinstance(pool, _TermPool):
            super().add_document(**fields)
            return
        self._check_state()
        perdocwriter = self.perdocwriter
        docnum = self.docnum
        perdocwriter.start_doc(docnum)
        try:
            for fieldname, (field, kind, stored, column, scorable) in zip(names, plans, strict=True):
                value = fields[fieldname]
                if value is None:
                    continue
                length = 0
                if kind == "arabic" and isinstance(value, str):
                    length = pool.add_positions(fieldname, docnum, kernels.analysed_positions(value),
                                                float(field.format.field_boost))
                    if not scorable:
                        length = 0
                elif kind:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        if scorable:
                            length += freq
                        pool.add((fieldname, tbytes, docnum, weight * 1.0, vbytes))
                if length and scorable:
                    lengths = self._length_bytes.get(fieldname)
                    if lengths is None:
                        lengths = self._length_bytes[fieldname] = bytearray()
                    if len(lengths) <= docnum:
                        lengths.extend(bytes(docnum + 1 - len(lengths)))
                    lengths[docnum] = length_to_byte(length)
                perdocwriter.add_field(fieldname, field, value if stored else None, length)
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1
        self._fast_documents += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        if isinstance(self.pool, _TermPool) and isinstance(self.codec, CompactCodec):
            lengths: Any = None
            if self.codec.length_stats:
                # lengths recorded by add_document, unless some document came another way (then read them back)
                if self._fast_documents != self.docnum:
                    lengths = _LengthsOfNewSegment(self.per_document_reader(), self.docnum)
                else:
                    lengths = {name: self._padded(found) for name, found in self._length_bytes.items()}
            _write_pool(self.fieldwriter, self.schema, lengths, self.pool)
            if isinstance(lengths, _LengthsOfNewSegment):
                lengths.close()
        else:
            _slow("postings: a segment writer without the term pool or the compact codec")
            reader = self.per_document_reader() if self.codec.length_stats else None
            lengths = _LengthsOfNewSegment(reader, self.docnum) if reader is not None else None
            self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
            if reader is not None:
                reader.close()
        self.fieldwriter.close()

    def _padded(self, found: bytearray) -> bytearray:
        return found + bytes(max(0, self.docnum - len(found)))

class SegmentBuilder:
    """Writes Whoosh segments into a generation directory; the caller lists the finished segments in the TOC.

    The index must exist there already (an empty table of contents). Several builders, one per process, can write
    into the same directory at once: segment file names are random, and none of them touches the TOC. A segment is
    closed every SEGMENT_ARTICLES articles and a new one begun, so a builder's postings pool stays in memory
    (Whoosh spills a pool past `limitmb` to sorted runs on disk and merges them in Python at the end: the cost
    that made a rebuild's per-article time grow with the archive) and its memory stays flat however many articles
    it is given."""

    def __init__(self, generation_dir: Path, limitmb: int = WRITER_LIMIT_MB,
                 segment_articles: int | None = None) -> None:
        self.generation_dir = generation_dir
        self.limitmb = limitmb
        self.segment_articles = segment_articles or SEGMENT_ARTICLES
        self.count = 0
        self.finished: list[Any] = []
        self.writer = self._new_writer()
        self.in_segment = 0

    def _new_writer(self) -> Any:
        ix = FileStorage(str(self.generation_dir)).open_index(INDEX_NAME)
        writer = _FastSegmentWriter(ix, _lk=False, limitmb=self.limitmb, codec=compact_codec())
        writer.schema = with_fast_text_fields(writer.schema)
        return writer

    def add(self, document: dict[str, Any]) -> None:
        if self.in_segment >= self.segment_articles:
            self.finished.append(self._close(self.writer))
            self.writer = self._new_writer()
            self.in_segment = 0
        self.writer.add_document(**document)
        self.count += 1
        self.in_segment += 1

    def _close(self, writer: Any) -> Any:
        try:
            return writer._finalize_segment()
        finally:
            # Its temporary directory (MAIN.tmp) is shared with the other builders: commit_segments removes it.
            writer.is_closed = True

    def finish(self) -> list[Any]:
        """The finished segments (none when nothing was added)."""
        if self.in_segment:
            self.finished.append(self._close(self.writer))
        else:
            self.writer._close_segment()
            self.writer.is_closed = True
        return self.finished

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


def many_positions_decoder(reader: Any, fieldname: str) -> Any | None:
    """The field format's vectorised decoder of many postings' positions (VarintPositions.decode_many), or None
    for a format without one (then positions_decoder serves, one posting at a time)."""
    return getattr(reader.schema[fieldname].format, "decode_many", None)


def phrase_keys_reader(reader: Any, fieldname: str) -> Any | None:
    """kernels.phrase_keys for a field whose positions are VarintPositions (what it decodes) when the compiled
    loops are built, else None (then many_positions_decoder serves)."""
    if kernels.COMPILED is None or not isinstance(reader.schema[fieldname].format, VarintPositions):
        return None
    return kernels.phrase_keys


def latest_toc_generation(index_path: Path) -> int:
    """The newest table-of-contents generation in INDEX_PATH (-1 when none), by listing the directory only:
    FileIndex would also read and unpickle the table of contents, too slow to ask on every interaction."""
    return TOC._latest_generation(FileStorage(str(index_path), readonly=True), INDEX_NAME)
