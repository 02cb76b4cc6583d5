"""How the archive encodes what Whoosh stores: the postings format of the text fields (Whoosh's public extension
point for a posting's value, here the word's positions in the document, for phrases), and the column of each
article's stored fields.

The schema pickles the format classes by name into every index: they must stay importable from this module, and any
change to an encoding bumps SCHEMA_VERSION (archive/index/schema.py).
"""

from __future__ import annotations

import functools
import hashlib
import operator
import zlib
from collections.abc import Iterable
from typing import Any

import numpy as np
from whoosh.columns import PickleColumn, VarBytesColumn
from whoosh.formats import Positions

from archive.resources import DATA_DIR

# The preset dictionary an article's stored fields are compressed with (bench/build_stored_dictionary.py builds it
# from the shared corpus): Arabic news' most frequent words, then the stored fields' names as pickled. Its digest is
# one of the versions an index records (schema.versions), so an index is never read with another dictionary.
STORED_DICTIONARY_FILE = DATA_DIR / "stored-fields.zdict"
# deflate level for stored fields: with the dictionary, level 5 makes them 20-23% smaller than Whoosh's plain zlib
# at level 3 on each outlet of the shared corpus when the dictionary is built without it, for 0.07-0.13 ms more CPU
# per article written (level 6: 23-26%, but twice the time; `bench/build_stored_dictionary.py --evaluate`)
STORED_COMPRESSION = 5


def encode_positions(positions: list[int]) -> bytes:
    """The gaps between ascending positions as varints. The index processes encode every posting's positions: a
    word met twice near the start takes one `bytes` call, and the gaps of longer lists are taken in C (map over
    the list and its shift)."""
    if len(positions) == 2:
        first, second = positions
        if first < 0x80 and second - first < 0x80:
            return bytes((first, second - first))
    gaps = [positions[0], *map(operator.sub, positions[1:], positions[:-1])]
    return bytes(gaps) if max(gaps) < 0x80 else varints(gaps)


# Blocks of more postings than this are encoded and decoded with numpy; smaller ones (most: a rare word's) in plain
# Python, where numpy's call overhead would cost more than the work.
_NUMPY_FROM = 24


def varints(numbers: Iterable[int]) -> bytes:
    """Unsigned LEB128 of non-negative integers: seven bits a byte, the high bit set on all but a number's last."""
    if not isinstance(numbers, list):
        numbers = numbers.tolist() if isinstance(numbers, np.ndarray) else list(numbers)
    if not numbers or max(numbers) < 0x80:
        return bytes(numbers)  # the common case, done in C
    if len(numbers) > _NUMPY_FROM and max(numbers) < 1 << 35:
        return _varints_numpy(np.asarray(numbers, dtype=np.uint64))
    out = bytearray()
    for number in numbers:
        while number >= 0x80:
            out.append((number & 0x7F) | 0x80)
            number >>= 7
        out.append(number)
    return bytes(out)


def _varints_numpy(values: np.ndarray) -> bytes:
    widths = np.ones(len(values), dtype=np.int64)
    for bits in (7, 14, 21, 28):
        widths += values >= (1 << bits)
    starts = np.cumsum(widths) - widths
    out = np.zeros(int(widths.sum()), dtype=np.uint8)
    for k in range(int(widths.max())):
        chosen = widths > k
        more = (widths[chosen] > k + 1).astype(np.uint8) << 7
        out[starts[chosen] + k] = ((values[chosen] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8) | more
    return out.tobytes()


def unvarints(data: bytes) -> list[int]:
    """The integers of a LEB128 byte string."""
    if not data or max(data) < 0x80:
        return list(data)
    if len(data) > 4 * _NUMPY_FROM:
        return unvarints_numpy(data).tolist()
    numbers, number, shift = [], 0, 0
    for byte in data:
        number |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            numbers.append(number)
            number, shift = 0, 0
    return numbers


def unvarints_numpy(data: bytes) -> np.ndarray:
    """The varints of DATA as int64, decoded with numpy a byte rank at a time: every number's first byte, then the
    second byte of those that have one, and so on (most gaps take one byte, so each rank is a fraction of the
    one before; twice as fast as shifting every byte by its rank and summing per number)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    more = raw >= 0x80
    if not more.any():
        return raw.astype(np.int64)
    starts_here = np.empty(len(raw), dtype=bool)
    starts_here[0] = True
    starts_here[1:] = ~more[:-1]
    first = np.flatnonzero(starts_here)
    numbers = (raw[first] & 0x7F).astype(np.int64)
    longer = np.flatnonzero(more[first])  # the numbers that go on to a next byte
    rank = 1
    while len(longer):
        byte_at = first[longer] + rank
        numbers[longer] |= (raw[byte_at] & 0x7F).astype(np.int64) << (7 * rank)
        longer = longer[more[byte_at]]
        rank += 1
    return numbers


class VarintPositions(Positions):
    """Whoosh's Positions format with a compact encoding of each posting's positions: the gaps as varints (one byte
    for a gap under 128), instead of a 4-byte count followed by a pickled list (13 bytes for a word met once). The
    count is the number of varints. The schema pickles this class by name: it must stay importable here, and any
    change to its encoding bumps SCHEMA_VERSION."""

    def encode(self, poslist: list[int]) -> bytes:
        if not poslist:
            return b""
        return encode_positions(list(poslist))

    def decode_positions(self, valuestring: bytes) -> list[int]:
        positions, position = [], 0
        for gap in unvarints(valuestring):
            position += gap
            positions.append(position)
        return positions

    def decode_frequency(self, valuestring: bytes) -> int:
        return sum(1 for byte in valuestring if byte < 0x80)

    def decode_many(self, data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of many postings at once: (the posting each position belongs to, the position), decoded
        with numpy from their concatenated varints DATA (uint8), posting i's being data[offsets[i]:offsets[i+1]]
        (a phrase check over thousands of candidate articles)."""
        count = len(offsets) - 1
        if count <= 0 or not len(data):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ends = data < 0x80
        if ends.all():  # every gap under 128: a byte each
            gaps = data.astype(np.int64)
            numbers = np.diff(offsets)
        else:
            gaps = unvarints_numpy(data.tobytes())
            ended = np.zeros(len(data) + 1, dtype=np.int64)  # how many numbers end before each byte
            np.cumsum(ends, out=ended[1:])
            numbers = ended[offsets[1:]] - ended[offsets[:-1]]
        owner = np.repeat(np.arange(count, dtype=np.int64), numbers)
        totals = np.cumsum(gaps)
        first = np.cumsum(numbers) - numbers  # where each posting's numbers start
        before = np.zeros(count, dtype=np.int64)  # the running total before each posting's first number
        held = numbers > 0
        before[held] = totals[first[held]] - gaps[first[held]]
        return owner, totals - before[owner]


@functools.cache
def stored_dictionary() -> bytes:
    return STORED_DICTIONARY_FILE.read_bytes()


def stored_dictionary_digest() -> str:
    return hashlib.sha256(stored_dictionary()).hexdigest()[:16]


class StoredFieldsColumn(VarBytesColumn):
    """Each document's stored fields (Whoosh pickles them to bytes) compressed on their own, as Whoosh's
    CompressedBytesColumn does, but with raw deflate and the preset dictionary: a single article of Arabic prose
    compresses poorly from an empty window, and one article must stay readable alone."""

    def __init__(self, dictionary: bytes, level: int = STORED_COMPRESSION) -> None:
        self._dictionary = dictionary
        self._level = level

    def writer(self, dbfile: Any) -> Any:
        return _StoredFieldsWriter(dbfile, self._dictionary, self._level)

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> Any:
        return _StoredFieldsReader(dbfile, basepos, length, doccount, self._dictionary)


class _StoredFieldsWriter(VarBytesColumn.Writer):
    def __init__(self, dbfile: Any, dictionary: bytes, level: int) -> None:
        super().__init__(dbfile)
        # a compressor primed with the dictionary, copied for each document (cheaper than priming one each time)
        self._primed = zlib.compressobj(level, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary)

    def add(self, docnum: int, v: bytes) -> None:
        compressor = self._primed.copy()
        super().add(docnum, compressor.compress(v) + compressor.flush())


class _StoredFieldsReader(VarBytesColumn.Reader):
    def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int, dictionary: bytes) -> None:
        super().__init__(dbfile, basepos, length, doccount)
        self._dictionary = dictionary

    def _inflate(self, v: bytes) -> bytes:
        decompressor = zlib.decompressobj(-15, self._dictionary)
        return decompressor.decompress(v) + decompressor.flush()

    def __getitem__(self, docnum: int) -> bytes:
        v = super().__getitem__(docnum)
        return self._inflate(v) if v else v

    def __iter__(self) -> Any:
        for v in super().__iter__():
            yield self._inflate(v) if v else v


@functools.cache
def stored_fields_column() -> PickleColumn:
    """The column of stored fields of the archive's segments (archive/index/whoosh_io.py CompactCodec): one
    stateless description, not one made per document read."""
    return PickleColumn(StoredFieldsColumn(stored_dictionary()))
