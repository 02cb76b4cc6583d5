"""The compact on-disk encodings: positions as varints (archive/index/formats.py) and posting blocks without pickled
Python objects (archive/index/whoosh_io.py), each read back exactly, by the archive's readers and Whoosh's own."""

from __future__ import annotations

import functools
import io
import itertools
import pickle
import random
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.writing import PostingPool, SegmentWriter

from archive.extract.ingest import iter_articles
from archive.extract.report import IngestReport
from archive.index import whoosh_io
from archive.index.formats import VarintPositions, encode_positions, unvarints, unvarints_numpy, varints
from archive.index.schema import build_schema
from archive.index.whoosh_io import Values, decode_block, encode_block, leaf_readers
from archive.index.writer import add_to_index, article_fields, rebuild_index
from archive.search import engine
from archive.search.archive import Archive
from archive.search.query import Phrase, iter_positive


@pytest.mark.parametrize("numbers", [[], [0], [1, 127], [128], [300, 0, 16383, 16384], [2**40, 5], list(range(1000))])
def test_varints_read_back_what_was_written(numbers: list[int]) -> None:
    assert unvarints(varints(numbers)) == numbers


def test_varints_of_numbers_under_128_take_one_byte_each() -> None:
    assert len(varints([0, 5, 127] * 100)) == 300


def test_random_varint_streams_round_trip() -> None:
    rng = random.Random(7)
    for _ in range(200):
        numbers = [rng.choice([rng.randrange(128), rng.randrange(1 << 14), rng.randrange(1 << 35)])
                   for _ in range(rng.randrange(1, 60))]
        assert unvarints(varints(numbers)) == numbers


def test_numpy_varint_decoder_reads_what_the_plain_one_reads() -> None:
    rng = random.Random(11)
    for size in (1, 2, 7, 1000, 20000):
        # one-byte gaps dominate, as in postings; numbers up to 2**40 take six bytes
        numbers = [rng.choice([rng.randrange(128)] * 6 + [rng.randrange(1 << 14), rng.randrange(1 << 21),
                                                          rng.randrange(1 << 40)]) for _ in range(size)]
        decoded = unvarints_numpy(varints(numbers))
        assert decoded.dtype == np.int64
        assert decoded.tolist() == numbers == unvarints(varints(numbers))
    assert unvarints_numpy(varints([300])).tolist() == [300]
    assert unvarints_numpy(varints([5, 2**35 + 1, 0])).tolist() == [5, 2**35 + 1, 0]


@pytest.mark.parametrize("positions", [[0], [5], [3, 4, 200], [0, 130, 131, 20000]])
def test_positions_encoding_round_trips_and_counts(positions: list[int]) -> None:
    fmt = VarintPositions()
    encoded = fmt.encode(positions)
    assert encoded == encode_positions(positions)
    assert fmt.decode_positions(encoded) == positions
    assert fmt.decode_frequency(encoded) == len(positions)


def test_a_word_met_once_near_the_start_costs_one_byte_of_positions() -> None:
    assert len(VarintPositions().encode([42])) == 1


@pytest.mark.parametrize(("weights", "fixedsize", "values"), [
    ([1.0, 1.0, 1.0], 0, []),                                   # Existence: ids only
    ([2.0, 2.0, 2.0], 0, []),                                   # the same weight throughout
    ([1.0, 3.0, 2.0], None, [b"\x01", b"\x02\x05\x01", b"\x00\x07"]),  # term counts and positions
    ([0.5, 1.25, 2.0], None, [b"a", b"bc", b""]),                 # fractional weights, an empty value
    ([1.0, 1.0, 1.0], 4, [b"abcd", b"efgh", b"ijkl"]),            # fixed-size values
])
def test_posting_blocks_round_trip(weights: list[float], fixedsize: int | None, values: list[bytes]) -> None:
    ids = [3, 10, 4000]
    gaps, decoded_weights, decoded_values = decode_block(encode_block(ids, weights, values, fixedsize), 3, fixedsize)
    assert np.cumsum(gaps).tolist() == ids
    if all(w == 1.0 for w in weights):
        assert decoded_weights is None
    elif len(set(weights)) == 1:
        assert decoded_weights == weights[0]
    else:
        assert np.asarray(decoded_weights, dtype=np.float64).tolist() == weights
    if fixedsize == 0:
        assert decoded_values is None
    elif fixedsize:
        assert decoded_values == b"".join(values)
    else:
        assert list(decoded_values) == values


@pytest.mark.parametrize("fixedsize", [None, -1, 0, 2])
def test_a_one_posting_block_is_encoded_as_encode_block_encodes_it(fixedsize: int | None) -> None:
    for docnum in (0, 1, 127, 128, 40_000, 2**31 - 1):
        for weight in (1.0, 2.0, 0.5, 3.0, 1e9):
            for value in (b"", b"\x05", b"ab", bytes(range(127)), bytes(200)):
                expected = encode_block([docnum], [weight], [value] if value else [], fixedsize)
                assert whoosh_io.encode_one_posting(docnum, weight, value, fixedsize) == expected


@pytest.mark.parametrize("seed", range(3))
def test_positions_are_encoded_as_the_varints_of_their_gaps(seed: int) -> None:
    generator = random.Random(seed)
    cases = [[0], [127], [128], [127, 254], [127, 255], [128, 129], [3, 7], [1, 300, 301, 5000]]
    for _ in range(3000):
        start, spread = generator.randint(0, 3000), generator.choice([50, 500, 50_000])
        cases.append(sorted(generator.sample(range(start, start + spread), generator.randint(1, 40))))
    for positions in cases:
        gaps = [positions[0]] + [b - a for a, b in itertools.pairwise(positions)]
        assert encode_positions(positions) == varints(gaps)


def test_many_postings_decode_to_the_positions_of_each() -> None:
    fmt = VarintPositions()
    lists = [[0], [3, 4, 200], [], [130, 131, 20000], [7]]
    values = [fmt.encode(p) for p in lists if p]
    packed = Values.of(values)
    owner, positions = fmt.decode_many(packed.data, packed.offsets)
    grouped: dict[int, list[int]] = {}
    for index, position in zip(owner.tolist(), positions.tolist(), strict=True):
        grouped.setdefault(index, []).append(position)
    assert [grouped[i] for i in range(len(values))] == [p for p in lists if p]


@pytest.mark.parametrize("seed", range(4))
def test_many_random_postings_decode_to_their_positions_empty_and_multibyte_ones_included(seed: int) -> None:
    rng = random.Random(seed)
    fmt = VarintPositions()
    lists = [sorted(rng.sample(range(rng.choice([100, 5000, 100000])), rng.randrange(0, 6))) for _ in range(300)]
    if seed == 0:  # every gap under 128: one byte each
        lists = [[position % 120 for position in positions][:1] for positions in lists]
    values = [fmt.encode(p) for p in lists]
    packed = Values.of(values)
    owner, positions = fmt.decode_many(packed.data, packed.offsets)
    grouped: dict[int, list[int]] = {}
    for index, position in zip(owner.tolist(), positions.tolist(), strict=True):
        grouped.setdefault(index, []).append(position)
    assert [grouped.get(i, []) for i in range(len(lists))] == lists


@pytest.mark.parametrize(("small", "large"), [(50, 5000), (3000, 4000), (0, 10), (4000, 4000)])
def test_sorted_intersection_and_rows_equal_numpys_for_few_and_many(small: int, large: int) -> None:
    rng = np.random.default_rng(small + large)
    a = np.unique(rng.integers(0, 20000, small)).astype(np.int64)
    b = np.unique(rng.integers(0, 20000, large)).astype(np.int64)
    assert engine._sorted_intersection(a, b).tolist() == np.intersect1d(a, b).tolist()
    assert engine._sorted_intersection(b, a).tolist() == np.intersect1d(a, b).tolist()
    wanted = b[:: max(1, len(b) // (small + 1))]
    for count in (20000, 20000 * 64):  # a table over every document, then binary search
        assert engine._rows_of(b, wanted, count).tolist() == np.searchsorted(b, wanted).tolist()


@pytest.mark.parametrize("sizes", [(3000, 200), (20, 5000), (5000, 4000), (40000, 30000), (900, 800, 700), (1, 1)])
def test_unions_and_intersections_of_document_sets_equal_numpys_by_every_path(sizes: tuple[int, ...]) -> None:
    """Snapshot.union merges two small sets and masks larger ones or more of them; Snapshot.intersect searches a
    much smaller set in the larger or masks: each way gives numpy's answer (int32, ascending, no repeats)."""
    rng = np.random.default_rng(sum(sizes))
    count = 50_000
    parts = [np.unique(rng.integers(0, count, size)).astype(np.int32) for size in sizes]
    snapshot = SimpleNamespace(count=count, all_docs=np.arange(count, dtype=np.int32),
                               mask_of=lambda docs: engine.Snapshot.mask_of(snapshot, docs))
    union = engine.Snapshot.union(snapshot, parts)
    assert union.dtype == np.int32 and union.tolist() == functools.reduce(np.union1d, parts).tolist()
    assert engine.Snapshot.union(snapshot, [parts[0], parts[0][:0]]).tolist() == parts[0].tolist()
    for a, b in itertools.combinations(parts, 2):
        both = engine.Snapshot.intersect(snapshot, a, b)
        assert both.tolist() == np.intersect1d(a, b).tolist() == engine.Snapshot.intersect(snapshot, b, a).tolist()


def test_phrase_checks_over_all_candidates_at_once_match_the_one_by_one_check(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rebuild_index([seeds_dir], tmp_path / "index", workers=1)
    archive = Archive.open(tmp_path / "index")
    snap = archive._snapshot
    phrases = ['"الرئيس الروسي"', '"فلاديمير بوتين"', '"في موسكو"', '"الرئيس السوري بشار الأسد"', '"وزير الخارجية"']
    nodes = [leaf for q in phrases for leaf in iter_positive(archive.parse(q).root) if isinstance(leaf, Phrase)]
    together = [snap._phrase_docs(node, field).tolist() for node in nodes for field in node.fields]
    monkeypatch.setattr(engine, "many_positions_decoder", lambda reader, fieldname: None)
    one_by_one = [snap._phrase_docs(node, field).tolist() for node in nodes for field in node.fields]
    assert together == one_by_one and any(together)


def test_a_term_read_whole_equals_whoosh_walking_its_blocks(seeds_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole-term decoder (one byte range, every block's sections decoded together) gives exactly what Whoosh's
    block matcher gives, term by term, with blocks small enough that common words span many of them (blocks with
    compressed positions: tests/test_search_corpus.py)."""
    monkeypatch.setattr(whoosh_io, "POSTINGS_BLOCK", 2)
    rebuild_index([seeds_dir], tmp_path / "index", workers=1)
    archive = Archive.open(tmp_path / "index")
    reader = archive._snapshot.reader
    checked = multi_block = 0
    for segment, _ in leaf_readers(reader):
        terms = segment._terms
        for fieldname in ("title", "body"):
            fieldobj = segment.schema[fieldname]
            for btext in list(segment.lexicon(fieldname)):
                terminfo = terms.term_info(fieldname, btext)
                if terminfo.is_inlined():
                    continue
                fast = whoosh_io._decode_compact([(whoosh_io.term_bytes(terms, terminfo), 0)], True)
                slow = whoosh_io._decode(terms.matcher(fieldname, btext, fieldobj.format), fieldobj, True)
                assert fast.ids.tolist() == slow.ids.tolist()
                assert fast.weights.tolist() == slow.weights.tolist()
                assert fast.values is not None and slow.values is not None
                assert [fast.values.item(i) for i in range(len(fast))] == \
                    [slow.values.item(i) for i in range(len(slow))]
                checked += 1
                multi_block += len(fast) > 2
    assert checked > 1000 and multi_block > 50


def test_only_a_blocks_value_lengths_are_compressed() -> None:
    """compress_block leaves a block's head (section sizes, gaps, weights) and its values (positions) as
    encode_block wrote them and compresses the value lengths between them; expand_block gives back encode_block's
    bytes."""
    ids, weights = list(range(0, 3000, 7)), [float(1 + i % 3) for i in range(0, 3000, 7)]
    values = [encode_positions(list(range(i % 5, 400, 37))) for i in range(len(ids))]
    plain = encode_block(ids, weights, values, None)
    written, level = whoosh_io.compress_block(plain, 3)
    _, _, sizes, start = whoosh_io._block_header(plain)
    head = start + sizes[0] + sizes[1]
    positions = b"".join(values)
    assert level == 3 and written[:head] == plain[:head] and len(written) < len(plain)
    assert written.endswith(positions) and plain.endswith(positions)
    assert len(written) - len(positions) - head < sizes[2] / 4  # the lengths: 11 of 12 bytes are the same
    assert whoosh_io.expand_block(written, level) == plain
    assert whoosh_io.compress_block(plain, 0) == (plain, 0)
    small = encode_block([1, 2], [1.0, 1.0], [b"\x01", b"\x02"], None)
    assert whoosh_io.compress_block(small, 3) == (small, 0)  # too small to gain from zlib


def test_a_term_read_across_segments_at_once_equals_reading_segment_by_segment(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_postings decodes a term's byte ranges of every segment together, in global document numbers: the same
    ids, weights and positions as each segment decoded alone and shifted by its offset, on an archive of several
    segments (one per `add`) with blocks of 2 postings."""
    monkeypatch.setattr(whoosh_io, "POSTINGS_BLOCK", 2)
    seeds = sorted(seeds_dir.glob("*.txt"))
    rebuild_index(seeds[:2], tmp_path / "index", workers=1)
    for seed in seeds[2:]:
        add_to_index([seed], tmp_path / "index")
    reader = Archive.open(tmp_path / "index")._snapshot.reader
    leaves = leaf_readers(reader)
    assert len(leaves) >= 3
    words = {btext.decode("utf-8") for segment, _ in leaves for btext in segment.lexicon("body")}
    spanning = 0
    for word in sorted(words):
        together = whoosh_io.read_postings(reader, "body", word, with_values=True)
        parts = [(whoosh_io.read_segment_postings(segment, "body", word, True), offset) for segment, offset in leaves]
        parts = [(p, offset) for p, offset in parts if len(p)]
        spanning += len(parts) > 1
        assert together.ids.tolist() == [i + offset for p, offset in parts for i in p.ids.tolist()], word
        assert together.weights.tolist() == [w for p, _ in parts for w in p.weights.tolist()], word
        assert together.values is not None
        assert [together.values.item(i) for i in range(len(together))] == \
            [p.values.item(i) for p, _ in parts if p.values is not None for i in range(len(p))], word
    assert spanning > 50


def test_a_fields_terms_decoded_together_equal_whooshs_postings_term_by_term(seeds_dir: Path, tmp_path: Path) -> None:
    """field_postings decodes every term of a field of a segment in one call (the million ids of a large archive
    were read term by term): for the id, people, places and outlet fields of an archive of several segments, each
    term's document numbers are what Whoosh's own postings reader gives."""
    seeds = sorted(seeds_dir.glob("*.txt"))
    rebuild_index(seeds[:2], tmp_path / "index", workers=1)
    for seed in seeds[2:]:
        add_to_index([seed], tmp_path / "index")
    reader = Archive.open(tmp_path / "index")._snapshot.reader
    assert len(leaf_readers(reader)) >= 3
    for fieldname in ("id", "persons", "places", "source"):
        found = whoosh_io.field_postings(reader, fieldname)
        expected = {}
        for btext in reader.lexicon(fieldname):
            name = btext.decode("utf-8")
            expected[name] = sorted(reader.postings(fieldname, name).all_ids())
        assert {name: ids.tolist() for name, ids in found.items()} == expected, fieldname
        assert len(expected) >= (5 if fieldname == "id" else 2), fieldname


def test_values_taken_by_rows_are_those_postings_values_in_that_order() -> None:
    values = Values.of([b"a", b"", b"bcd", b"ef", b"g"])
    taken = values.take(np.array([4, 2, 1, 0]))
    assert [taken.item(i) for i in range(len(taken))] == [b"g", b"bcd", b"", b"a"]
    joined = Values.concat([values, Values.of([b"hi"])])
    assert [joined.item(i) for i in range(len(joined))] == [b"a", b"", b"bcd", b"ef", b"g", b"hi"]


@pytest.mark.parametrize("info", [(128, 5, 3.0, 3, 12, 200), (1024, 300_000, 1.0, 3, 1, 255),
                                  (3, 70_000, 12.5, 0, 0, 0), (5, 2**40, 1.0, 3, 4, 5), (1, 0, 0.5, 0, 0, 0),
                                  (200, 40_000, 2.0, 3, 9, 9)])
def test_block_info_read_in_place_equals_pickle(info: tuple) -> None:
    data = b"xx" + pickle.dumps(info, 2) + b"block data"
    parsed = whoosh_io._block_info(data, 2)
    assert parsed is not None
    assert parsed[:4] == info[:4] and data[parsed[4]:] == b"block data"
    assert whoosh_io._block_info(b"xx" + pickle.dumps(("a", 1), 2), 2) is None


def _segment_contents(generation: Path) -> tuple[dict, dict]:
    """(every file inside each compound segment by its name without the random segment id, each segment's document
    count and field lengths) of an index directory."""
    storage = FileStorage(str(generation))
    files, segments = {}, {}
    for number, segment in enumerate(storage.open_index(whoosh_io.INDEX_NAME)._segments()):
        compound_storage = segment.open_compound_file(storage)
        for name in compound_storage.list():
            files[(number, name.replace(segment.segment_id(), "SEGMENT"))] = compound_storage.open_file(name).read()
        segments[number] = (segment.doc_count_all(), dict(segment._fieldlengths))
    return files, segments


def _term_statistics(generation: Path) -> dict:
    ix = FileStorage(str(generation)).open_index(whoosh_io.INDEX_NAME)
    found = {}
    with ix.reader() as reader:
        for segment, _ in leaf_readers(reader):
            terms = segment._terms
            for fieldname in segment.indexed_field_names():
                for btext in segment.lexicon(fieldname):
                    info = terms.term_info(fieldname, btext)
                    stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                             info.max_weight(), info.min_id(), info.max_id())
                    found[(fieldname, btext)] = (stats, whoosh_io.term_bytes(terms, info))
    return found


def _hostile_documents() -> list[dict]:
    many = " ".join(["موسكو", "في", "دمشق"] * 2500)  # positions past the precomputed single-position codes
    return [
        {"id": "empty", "title": "", "body": "", "source": "", "persons": "", "places": "", "organizations": "",
         "day": 0, "url": "", "origin": ""},
        {"id": "stops", "title": "في من على", "body": "و في من على " * 30, "source": "x", "persons": "أ,ب",
         "places": "", "organizations": "", "day": 20200101, "url": "u", "origin": "o", "meta_section": "sport"},
        {"id": "long", "title": "مُحَمَّد " * 3, "body": many + " كلمة " + "x" * 300, "source": "y", "persons": "",
         "places": "دمشق", "organizations": "الأمم المتحدة", "day": 20231231, "url": "", "origin": "",
         "meta_section": "news", "meta_kind": "a"},
    ]


def test_segments_written_a_term_at_a_time_equal_whooshs_own_writer_byte_for_byte(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast writer (add_document analysing text fields with term_positions straight into _TermPool, field
    lengths kept as written, _write_pool making each term's blocks and term-info record at once) writes the very
    segment files that Whoosh's own SegmentWriter writes with the compact codec: its analyzer, its PostingPool,
    add_postings and the postings writer's add_posting; every file of the segment compared byte for byte."""
    documents = [article_fields(a) for a in iter_articles([seeds_dir], IngestReport())] * 3
    documents[4:4] = _hostile_documents()
    monkeypatch.setattr(whoosh_io, "POSTINGS_BLOCK", 4)  # many blocks per term, a last block of each size
    monkeypatch.setattr(whoosh_io, "SLOW_PATHS", Counter())

    def build(name: str, whooshs: bool) -> Path:
        generation = tmp_path / name
        generation.mkdir()
        whoosh_io.create_empty_index(generation, build_schema())
        if whooshs:
            ix = FileStorage(str(generation)).open_index(whoosh_io.INDEX_NAME)
            writer = SegmentWriter(ix, _lk=False, codec=whoosh_io.compact_codec())
            assert isinstance(writer.pool, PostingPool) and not isinstance(writer.schema["body"], whoosh_io.FastText)
            for document in documents:
                writer.add_document(**document)
            segments = [writer._finalize_segment()]
            writer.is_closed = True
        else:
            builder = whoosh_io.SegmentBuilder(generation)
            for document in documents:
                builder.add(document)
            segments = builder.finish()
        whoosh_io.commit_segments(generation, build_schema(), segments)
        return generation

    ours, whooshs = build("ours", False), build("whoosh", True)
    files, segments = _segment_contents(ours)
    assert len(files) >= 6 and segments[0][0] == len(documents)
    assert (files, segments) == _segment_contents(whooshs)
    statistics = _term_statistics(ours)
    assert len(statistics) > 1000 and statistics == _term_statistics(whooshs)
    assert not whoosh_io.SLOW_PATHS


def test_a_segment_with_documents_added_both_ways_equals_whooshs(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents the fast add_document leaves to Whoosh's (a per-document boost field here) mix with fast ones in one
    segment: their lengths are then read back from the columns, and the postings equal Whoosh's own pool's."""
    documents = [article_fields(a) for a in iter_articles([seeds_dir], IngestReport())] * 2
    documents[3] = {**documents[3], "_boost": 1.0}  # Whoosh's own add_document for this one
    monkeypatch.setattr(whoosh_io, "POSTINGS_BLOCK", 4)
    monkeypatch.setattr(whoosh_io, "SLOW_PATHS", Counter())

    def build(name: str, whooshs_pool: bool) -> dict:
        generation = tmp_path / name
        generation.mkdir()
        whoosh_io.create_empty_index(generation, build_schema())
        builder = whoosh_io.SegmentBuilder(generation)
        if whooshs_pool:
            builder.writer.pool = PostingPool(builder.writer._tempstorage, builder.writer.newsegment, limitmb=64)
        for document in documents:
            builder.add(document)
        whoosh_io.commit_segments(generation, build_schema(), builder.finish())
        return _segment_contents(generation)[0]

    assert build("ours", False) == build("whoosh", True)
    assert whoosh_io.SLOW_PATHS.pop("postings: a segment writer without the term pool or the compact codec") == 1
    assert not whoosh_io.SLOW_PATHS


def test_the_searcher_reads_its_segments_mapped_without_copying_them(seeds_dir: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    rebuild_index([seeds_dir], index_dir, workers=1)
    with Archive.open(index_dir) as archive:
        reader = archive._snapshot.reader
        for segment, _ in leaf_readers(reader):
            postfile = segment._terms._postfile
            assert isinstance(postfile, whoosh_io.MappedFile)
            assert isinstance(postfile._buf, memoryview)  # a view of the mapped segment, not a copy
            assert isinstance(postfile.file, whoosh_io._ViewStream)
        assert archive.search("موسكو").total > 0
        assert archive.get("c9d57f80e923a2873").title.startswith("الرئيسان الأسد وبوتين")


def test_a_mapped_files_stream_reads_as_a_bytes_stream_does() -> None:
    data = bytes(range(256)) * 3 + b"line one\nline two\nend"
    mapped = whoosh_io.MappedFile(memoryview(data))
    plain = io.BytesIO(data)
    for stream in (mapped, plain):
        stream.seek(5)
    assert mapped.read(10) == plain.read(10)
    assert mapped.tell() == plain.tell()
    mapped.seek(-21, io.SEEK_END), plain.seek(-21, io.SEEK_END)
    assert mapped.readline() == plain.readline() == b"line one\n"
    assert mapped.read() == plain.read()
    mapped.seek(3), plain.seek(3)
    mapped.seek(4, io.SEEK_CUR), plain.seek(4, io.SEEK_CUR)
    assert mapped.read(2) == plain.read(2)
    assert mapped.get(100, 7) == data[100:107] and mapped.get_int(8) == whoosh_io.MappedFile(data).get_int(8)
    part = mapped.subset(256, 256)
    assert part.get(0, 256) == data[256:512] and part.read(4) == data[256:260]
    lines = b"a\nbb\nccc"
    assert list(whoosh_io.MappedFile(memoryview(lines))) == [b"a\n", b"bb\n", b"ccc"] == list(io.BytesIO(lines))
