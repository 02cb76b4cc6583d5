"""The compiled search loops (archive/index/_kernels.c) give exactly what the numpy and Python code they replace
gives: the same postings from the same index bytes, the same facet counts, the same BM25 scores to the last bit,
hence the same search results; damaged input makes them decline or raise, never read out of bounds."""

from __future__ import annotations

import itertools
import random
import re
import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from corpus_support import SampleIndex
from whoosh.reading import TermNotFound

from archive.index import kernels
from archive.index.formats import VarintPositions
from archive.index.whoosh_io import _decode_compact, _term_extent, leaf_readers, term_bytes
from archive.search import docarrays, snippets
from archive.search.archive import Archive
from archive.search.docarrays import NamePairs
from archive.text import analysis

needs_kernels = pytest.mark.skipif(kernels.COMPILED is None,
                                   reason="the compiled loops are not built here (no C compiler at install, or "
                                          "NEWS_ARCHIVE_NO_KERNELS is set): the numpy versions are in use")

# what a search of the corpus sample is compared on: words, frequent words, two words, phrases, a prefix, OR, NOT
QUERIES = ["مصر", "الرئيس", "عام", "ترامب", "رئيس مجلس", "الأمم المتحدة", '"البيت الأبيض"', '"رئيس الوزراء"',
           "اقتصاد*", "سوريا OR العراق", "النفط -السعودية", "كرة القدم", "فلسطين", "وزير الخارجية"]


def test_the_loops_are_built_where_a_c_compiler_is() -> None:
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler here: the install went on without the compiled loops, as setup.py allows")
    if kernels._built is None:
        pytest.fail("a C compiler is here but archive/index/_kernels.c was not built: `pip install -e .` again")
    assert kernels.COMPILED is not None or kernels.os.environ.get("NEWS_ARCHIVE_NO_KERNELS")


def test_stats_says_whether_search_is_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    if kernels.COMPILED is not None:
        assert kernels.state() == "compiled"
    monkeypatch.setattr(kernels, "COMPILED", None)
    monkeypatch.setattr(kernels, "_built", None)
    assert kernels.state().startswith("numpy (not built: no C compiler")
    monkeypatch.setattr(kernels, "_built", object())
    monkeypatch.setenv("NEWS_ARCHIVE_NO_KERNELS", "1")
    assert kernels.state() == "numpy (NEWS_ARCHIVE_NO_KERNELS is set)"


# ------------------------------------------------------------------ postings


def _ranges(index: SampleIndex, fieldname: str, limit: int) -> Iterator[tuple[str, list[tuple[Any, int]]]]:
    """(term, its compact byte ranges over every segment) for the LIMIT most frequent terms of FIELDNAME and as many
    others spread over the dictionary."""
    archive = Archive.open(index.path)
    reader = archive._snapshot.reader
    frequency: dict[str, int] = {}
    for segment, _ in leaf_readers(reader):
        for btext, terminfo in segment.iter_field(fieldname):
            text = btext.decode("utf-8")
            frequency[text] = frequency.get(text, 0) + terminfo.doc_frequency()
    common = sorted(frequency, key=lambda t: -frequency[t])[:limit]
    spread = sorted(frequency)[::max(1, len(frequency) // limit)]
    for text in dict.fromkeys(common + spread):
        ranges = []
        for segment, offset in leaf_readers(reader):
            terms = segment._terms
            try:
                info = terms.term_info(fieldname, text.encode("utf-8"))
            except (KeyError, TermNotFound):
                continue
            if not info.is_inlined():
                ranges.append((term_bytes(terms, info), offset))
        if ranges:
            yield text, ranges


@needs_kernels
@pytest.mark.corpus
@pytest.mark.parametrize(("fieldname", "with_values"), [("title", True), ("body", False), ("body", True),
                                                        ("persons", False)])
def test_compiled_decoder_reads_every_term_as_the_python_decoder(corpus_sample_index: SampleIndex, fieldname: str,
                                                                  with_values: bool,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    compared = multi_segment = compressed = 0
    for text, ranges in _ranges(corpus_sample_index, fieldname, 300):
        decoded = kernels.decode_postings(ranges, with_values)
        assert decoded is not None, text
        ids, weights, values = decoded
        with monkeypatch.context() as patch:
            patch.setattr(kernels, "COMPILED", None)
            python = _decode_compact(ranges, with_values)
        assert np.array_equal(ids, python.ids), text
        assert np.array_equal(weights.view(np.int32), python.weights.view(np.int32)), text
        assert ids.dtype == np.int32 and weights.dtype == np.float32
        if with_values:
            assert values is not None and python.values is not None
            assert np.array_equal(values[0], python.values.data) and np.array_equal(values[1], python.values.offsets)
            compressed += int(values[1][-1]) > 2000  # long enough for its lengths to have been compressed
        else:
            assert values is None
        compared += 1
        multi_segment += len(ranges) > 1
    assert compared >= 300 and multi_segment >= 100
    assert compressed >= 10 or not with_values or fieldname == "title"  # the body's common words: compressed


@needs_kernels
@pytest.mark.corpus
@pytest.mark.parametrize("with_values", [False, True])
def test_compiled_decoder_declines_damaged_ranges_rather_than_reading_past(corpus_sample_index: SampleIndex,
                                                                           with_values: bool) -> None:
    rng = random.Random(7)
    ranges = [r for _, r in itertools.islice(_ranges(corpus_sample_index, "body", 40), 40)]
    for term_ranges in ranges:
        data = bytes(term_ranges[0][0])
        for cut in {0, 1, 3, 4, 5, 9, len(data) // 2, len(data) - 1, *(rng.randrange(len(data)) for _ in range(10))}:
            if cut < len(data):
                assert kernels.decode_postings([(data[:cut], 0)], with_values) is None
        for _ in range(20):  # flipped bytes: declined, or read within the range (never a crash)
            damaged = bytearray(data)
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
            result = kernels.decode_postings([(bytes(damaged), 0)], with_values)
            assert result is None or len(result[0]) == len(result[1])
            if result is not None and with_values:
                assert result[2] is not None and int(result[2][1][-1]) == len(result[2][0])
    assert kernels.decode_postings([(b"not a posting list", 0)], with_values) is None
    assert kernels.decode_postings([], with_values) is not None  # nothing to read: empty arrays
    with pytest.raises(TypeError):
        kernels.COMPILED.decode_postings([("text", 0)])  # type: ignore[union-attr]


# ------------------------------------------------------------------ phrases


@needs_kernels
@pytest.mark.corpus
def test_compiled_phrase_keys_equal_the_numpy_decoding(corpus_sample_index: SampleIndex) -> None:
    rng = np.random.default_rng(3)
    snap = Archive.open(corpus_sample_index.path)._snapshot
    decode_many = VarintPositions().decode_many
    checked = 0
    for text, _ in itertools.islice(_ranges(corpus_sample_index, "body", 30), 30):
        postings = snap.postings("body", text, with_values=True)
        assert postings.values is not None
        for size in (1, 10, len(postings) // 3, len(postings)):
            rows = np.sort(rng.choice(len(postings), min(size, len(postings)), replace=False)).astype(np.int64)
            for offset in (0, 1, 3):
                keys = kernels.phrase_keys(postings.values.data, postings.values.offsets, rows, offset)
                chosen = postings.values.take(rows)
                owner, positions = decode_many(chosen.data, chosen.offsets)
                fits = positions >= offset
                expected = np.unique(owner[fits] * (1 << 32) + (positions[fits] - offset))
                assert keys is not None and np.array_equal(keys, expected), (text, size, offset)
                checked += len(keys)
    assert checked > 50_000
    with pytest.raises(IndexError):
        kernels.phrase_keys(np.zeros(4, dtype=np.uint8), np.array([0, 2, 4]), np.array([2]), 0)
    # a value whose last varint runs past its end: declined, for the numpy way to deal with
    assert kernels.phrase_keys(np.array([5, 0x81], dtype=np.uint8), np.array([0, 2]), np.array([0]), 0) is None


@needs_kernels
@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_compiled_intersection_equals_numpys(dtype: Any) -> None:
    rng = np.random.default_rng(5)
    for a_size, b_size in ((0, 10), (1, 1), (1_000, 1_000), (50_000, 20_000), (3, 90_000)):
        a = np.unique(rng.integers(0, 200_000, a_size)).astype(dtype)
        b = np.unique(rng.integers(0, 200_000, b_size)).astype(dtype)
        both = kernels.intersect_sorted(a, b)
        assert both is not None and both.dtype == dtype and np.array_equal(both, np.intersect1d(a, b))
    assert kernels.intersect_sorted(np.arange(3, dtype=np.int32), np.arange(3, dtype=np.int64)) is None


@needs_kernels
def test_compiled_union_equals_numpys() -> None:
    rng = np.random.default_rng(6)
    for a_size, b_size in ((0, 10), (1, 1), (1_000, 1_000), (50_000, 20_000), (3, 90_000)):
        a = np.unique(rng.integers(0, 200_000, a_size)).astype(np.int32)
        b = np.unique(rng.integers(0, 200_000, b_size)).astype(np.int32)
        either = kernels.union_sorted(a, b)
        assert either is not None and either.dtype == np.int32 and np.array_equal(either, np.union1d(a, b))
    assert kernels.union_sorted(np.arange(3, dtype=np.int64), np.arange(3, dtype=np.int32)) is None


@needs_kernels
def test_compiled_rows_of_finds_each_candidate_in_a_words_postings() -> None:
    rng = np.random.default_rng(9)
    ids = np.unique(rng.integers(0, 300_000, 60_000)).astype(np.int32)
    for size in (0, 1, 500, len(ids)):
        rows = np.sort(rng.choice(len(ids), size, replace=False))
        found = kernels.rows_of(ids, ids[rows])
        assert found is not None and np.array_equal(found, rows)
    missing = np.array([int(ids[0]) + 1 if ids[1] != ids[0] + 1 else -5], dtype=np.int32)
    assert kernels.rows_of(ids, missing) is None  # not among the postings: the caller's numpy way decides


# ------------------------------------------------------------------ facets


def _random_pairs(rng: np.random.Generator, documents: int, names: int) -> NamePairs:
    per_doc = rng.integers(0, 12, size=documents)
    start = np.zeros(documents + 1, dtype=np.int64)
    np.cumsum(per_doc, out=start[1:])
    name = rng.integers(0, names, size=int(start[-1]))
    return NamePairs(["person", "place"], [0, names // 2, names], name, start)


@needs_kernels
@pytest.mark.parametrize(("names", "doc_dtype"), [(3_000, np.int32), (3_000, np.int64), (70_000, np.int32)])
def test_compiled_name_counts_equal_numpys(names: int, doc_dtype: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(names)
    pairs = _random_pairs(rng, 20_000, names)
    pairs.name = pairs.name.astype(np.uint16 if names < 65_536 else np.int32)
    for size in (0, 1, 50, 5_000, 20_000):
        docs = np.sort(rng.choice(20_000, size, replace=False)).astype(doc_dtype)
        compiled = pairs.counts(docs)
        with monkeypatch.context() as patch:
            patch.setattr(kernels, "COMPILED", None)
            numpy = pairs.counts(docs)
        for facet in ("person", "place"):
            assert np.array_equal(compiled[facet], numpy[facet]), (size, facet)


@needs_kernels
def test_compiled_table_counts_equal_bincount() -> None:
    rng = np.random.default_rng(11)
    table = rng.integers(0, 175, size=30_000).astype(np.int32)
    for size in (0, 7, 30_000):
        for dtype in (np.int32, np.int64):
            docs = np.sort(rng.choice(30_000, size, replace=False)).astype(dtype)
            assert np.array_equal(kernels.table_counts(table, docs, 176), np.bincount(table[docs], minlength=176))
    with pytest.raises(IndexError):
        kernels.table_counts(table, np.array([30_000], dtype=np.int32), 176)
    with pytest.raises(IndexError):
        kernels.table_counts(np.array([5], dtype=np.int32), np.array([0], dtype=np.int32), 5)


@needs_kernels
def test_compiled_name_counts_refuse_numbers_outside_their_tables() -> None:
    names = np.array([0, 1, 2], dtype=np.uint16)
    starts = np.array([0, 2, 3], dtype=np.int64)
    with pytest.raises(IndexError):
        kernels.name_counts(names, starts, np.array([2], dtype=np.int32), 3)  # no document 2
    with pytest.raises(IndexError):
        kernels.name_counts(names, starts, np.array([-1], dtype=np.int64), 3)
    with pytest.raises(IndexError):
        kernels.name_counts(names, starts, np.array([0, 1], dtype=np.int32), 2)  # name 2 has no count
    counts = kernels.name_counts(names, starts, np.array([0, 1], dtype=np.int32), 3)
    assert counts is not None and counts.tolist() == [1, 1, 1]


# ------------------------------------------------------------------ scores and whole searches


@needs_kernels
@pytest.mark.corpus
def test_compiled_bm25_gives_numpys_scores_to_the_last_bit(corpus_sample_index: SampleIndex,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    archive = Archive.open(corpus_sample_index.path)
    snap = archive._snapshot
    scored = 0
    for query in QUERIES:
        node = archive._match(snap, query, None, None).node
        docs = snap.docs(node)
        pairs = snap.scored_terms(node)
        compiled = snap.scores(pairs, docs)
        with monkeypatch.context() as patch:
            patch.setattr(kernels, "COMPILED", None)
            numpy = snap.scores(pairs, docs)
        assert np.array_equal(compiled.view(np.int32), numpy.view(np.int32)), query
        scored += len(docs)
    assert scored > 5_000


@needs_kernels
@pytest.mark.corpus
def test_searches_are_the_same_with_and_without_the_compiled_loops(corpus_sample_index: SampleIndex,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    archive = Archive.open(corpus_sample_index.path)

    def answers() -> list[tuple[Any, ...]]:
        found = []
        for query in QUERIES:
            archive.clear_caches()
            result = archive.search(query, limit=10)
            found.append((query, result.total, result.facets, [(h.id, h.score, h.snippet) for h in result.hits]))
        return found

    compiled = answers()
    with monkeypatch.context() as patch:
        patch.setattr(kernels, "COMPILED", None)
        numpy = answers()
    assert compiled == numpy
    assert sum(total for _, total, _, _ in compiled) > 3_000


# ------------------------------------------------------------------ term lookups


@pytest.mark.corpus
def test_terms_read_in_place_are_whooshs_terms(corpus_sample_index: SampleIndex) -> None:
    """whoosh_io._term_extent reads Whoosh's hash file of terms in place: for every term of three fields, and for
    words that are not terms, it gives what Whoosh's term_info gives (or declines, for inlined postings)."""
    reader = Archive.open(corpus_sample_index.path)._snapshot.reader
    read = declined = 0
    for segment, _ in leaf_readers(reader):
        terms = segment._terms
        for fieldname in ("title", "body", "persons"):
            for btext, info in segment.iter_field(fieldname):
                extent = _term_extent(terms, fieldname, btext)
                if extent is False:
                    assert info.is_inlined()
                    declined += 1
                    continue
                offset, length = info.extent()
                if isinstance(length, tuple):  # W3TermInfo.from_bytes keeps struct.unpack's 1-tuple
                    (length,) = length
                assert not info.is_inlined() and extent == (offset, length)
                read += 1
            for missing in ("ليست_كلمة", "zzzz", "", "x" * 300):
                assert _term_extent(terms, fieldname, missing.encode("utf-8")) is None
        assert _term_extent(terms, "no such field", "مصر".encode()) is None
    assert read > 50_000


@needs_kernels
def test_compiled_analysis_gives_the_analyzers_terms_and_positions(corpus_sample_records: list[Any],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The index processes' compiled pass (kernels.analysed_positions) against term_positions, which tests/
    test_analysis.py holds to the Whoosh analyzer: real articles, words with harakat, tatweel, zero-width joiners,
    underscores, digits and Latin, junk too long to index; and the analyzer's cache emptied while a text is read."""
    texts = [record.title + "\n" + record.body for record in corpus_sample_records[:300]]
    texts += ["", "_", "a_b __c", "\u064bقال", "قَالَ مُحَمَّدٌ\u200cي", "x" * 300 + " قال " + "ب" * 70, "😀قال",
              "١٢٣ abc ABC 45", "ـــ كتـــاب", "\u200cقال\u200c ثم في من", "في من على", "#عاصي_الحلاني", "\u00adو"]
    for text in texts:
        assert kernels.analysed_positions(text) == analysis.term_positions(text)
    in_word = re.compile(f"[{analysis._IN_WORD}]")
    assert [chr(code) for first, last in analysis.IN_WORD_RANGES for code in range(first, last + 1)] == \
        sorted(chr(code) for code in range(0x110000) if in_word.match(chr(code)))
    monkeypatch.setattr(analysis, "TERM_CACHE_SIZE", 3)  # emptied again and again inside each text
    for text in texts[:40]:
        analysis.TERM_CACHE.clear()
        expected = analysis.term_positions(text)
        analysis.TERM_CACHE.clear()
        assert kernels.analysed_positions(text) == expected
    analysis.TERM_CACHE.clear()


# ------------------------------------------------------------------ snippets and facet tops


@needs_kernels
def test_compiled_word_matches_give_find_matches_exactly(corpus_sample_records: list[Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The snippet's scan (snippets.find_matches) in one compiled pass against its Python loop: real articles with
    the terms of their own words (one to five of them, frequent and rare), the scan stopped early or not, narrow
    and wide windows; hostile text; the analyzer's cache emptied while a text is read."""
    rnd = random.Random(5)
    texts = [record.title + "\n" + record.body for record in corpus_sample_records[:250]]
    texts += ["", "_", "a_b __c", "\u064bقال", "قَالَ مُحَمَّدٌ\u200cي", "x" * 300 + " قال " + "ب" * 70, "😀قال",
              "١٢٣ abc ABC 45 abc", "ـــ كتـــاب", "\u200cقال\u200c ثم في من", "#عاصي_الحلاني", "\u00adو قال قال"]
    cases = []
    for text in texts:
        terms = [t for t in (analysis.term_of(w) for w in analysis.WORDS.findall(text)) if t] or ["مصر"]
        for _ in range(4):
            wanted = rnd.sample(terms, min(len(terms), rnd.choice([1, 1, 2, 3, 5])))
            if rnd.random() < 0.3:
                wanted.append("ليست_كلمة")  # a term no word has: the scan never stops early
            cases.append((text, wanted, rnd.random() < 0.7, rnd.choice([20, 60, 240, 1000])))

    def run() -> list[list[tuple[int, int, str]]]:
        return [snippets.find_matches(text, wanted, stop_when_all=stop, window=window)
                for text, wanted, stop, window in cases]

    compiled = run()
    with monkeypatch.context() as patch:
        patch.setattr(kernels, "COMPILED", None)
        python = run()
    assert compiled == python
    assert sum(map(len, compiled)) > 1_000 and any(len(found) == 1 for found in compiled)
    monkeypatch.setattr(analysis, "TERM_CACHE_SIZE", 3)  # emptied again and again inside each text
    for text, wanted, stop, window in cases[:80]:
        analysis.TERM_CACHE.clear()
        assert snippets.find_matches(text, wanted, stop, window) == \
            python[cases.index((text, wanted, stop, window))]
    analysis.TERM_CACHE.clear()


@needs_kernels
def test_compiled_word_matches_refuse_bad_wanted_numbers() -> None:
    with pytest.raises(ValueError, match="outside"):
        kernels.word_matches("قال الرئيس", {analysis.term_of("قال") or "": 5}, False, 240)
    assert kernels.word_matches("قال الرئيس", {}, True, 240) == []


@needs_kernels
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_compiled_top_counts_rank_as_the_numpy_sort(dtype: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """docarrays._top: the largest nonzero counts by count descending then name, with many ties at the cut, none
    at all, fewer than the limit, a limit of one; negative counts rank last as numpy's sort ranks them."""
    rng = np.random.default_rng(17)
    names = [f"name {number:05d}" for number in range(40_000)]
    arrays = [np.zeros(40_000, dtype=dtype), rng.integers(0, 4, size=40_000).astype(dtype),
              (rng.random(40_000) < 0.001).astype(dtype) * rng.integers(1, 3, size=40_000).astype(dtype),
              rng.integers(-3, 3, size=40_000).astype(dtype), rng.integers(0, 10**6, size=40_000).astype(dtype),
              np.array([0, 5, 0, 5, 7], dtype=dtype), np.array([], dtype=dtype)]
    for counts in arrays:
        for limit in (0, 1, 3, 50, 10**6):
            compiled = docarrays._top(names[: len(counts)], counts, limit)
            with monkeypatch.context() as patch:
                patch.setattr(kernels, "COMPILED", None)
                numpy = docarrays._top(names[: len(counts)], counts, limit)
            assert compiled == numpy, (counts[:10], limit)
    assert docarrays._top(names, arrays[1], 3) == [(names[i], 3) for i in np.flatnonzero(arrays[1] == 3)[:3]]
