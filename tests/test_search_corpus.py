"""Search over a sample of the shared corpus: totals and every facet count equal an independent computation
from the ingested records (skipped without the corpus). The sample, its index and its records are conftest.py's,
shared with the other corpus tests."""

from __future__ import annotations

import zlib
from collections import Counter

import pytest
from corpus_support import SampleIndex

from archive.article import Article
from archive.extract.people import merge_spellings
from archive.index import whoosh_io
from archive.search.archive import Archive
from archive.text.analysis import analyze_terms

# '"ترامب"' in quotes: searched as written (unquoted, a registered person's name widens to all its spellings,
# tests/test_name_search.py)
QUERIES = ["موسكو", '"ترامب"', "الاقتصاد", "لبنان", "الرئيس الروسي", "كرة القدم", "سوريا"]

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def sample(corpus_sample_index: SampleIndex, corpus_sample_records: list[Article]) -> tuple[Archive, list[Article]]:
    return Archive.open(corpus_sample_index.path), corpus_sample_records


@pytest.fixture(scope="module")
def _terms(corpus_sample_terms: dict[str, set[str]]):  # type: ignore[no-untyped-def]
    """The analyzed terms of a record's title and body (computed once per record)."""
    return lambda article: corpus_sample_terms[article.id]


@pytest.mark.parametrize("query", QUERIES)
def test_total_and_facets_equal_an_independent_count(sample, _terms, query: str) -> None:
    archive, records = sample
    wanted = set(analyze_terms(query))
    matched = [a for a in records if wanted <= _terms(a)]
    result = archive.search(query, match="all", limit=10, facet_limit=10_000)
    assert result.total == len(matched)
    assert dict(result.facets["source"]) == dict(Counter(a.source for a in matched if a.source))
    # one entry per person whose spellings the archive merged, counted once per article (merge_spellings decides
    # from the whole archive's counts: archive/search/person_merge.py)
    shown = merge_spellings(Counter(p for a in records for p in set(a.persons)))
    expected_people = Counter(p for a in matched for p in {shown.get(name, name) for name in a.persons})
    assert dict(result.facets["person"]) == dict(expected_people)
    assert dict(result.facets["month"]) == dict(
        Counter(a.published.isoformat()[:7] if a.published else None for a in matched))


def test_browse_counts_every_article(sample) -> None:
    archive, records = sample
    result = archive.search("", facet_limit=10_000)
    assert result.total == len(records)
    assert dict(result.facets["source"]) == dict(Counter(a.source for a in records if a.source))
    assert sum(n for _, n in result.facets["month"]) == len(records)


def test_filters_on_real_articles(sample) -> None:
    archive, records = sample
    top_person = archive.search("").facets["person"][0][0]
    top_source = archive.search("").facets["source"][0][0]
    result = archive.search("", persons=[top_person], sources=[top_source], limit=1000)
    expected = {a.id for a in records if top_person in a.persons and a.source == top_source}
    assert {h.id for h in result.hits} == expected and result.total == len(expected)


def test_snippets_mark_query_words_in_real_bodies(sample) -> None:
    archive, _ = sample
    for hit in archive.search("موسكو", limit=10).hits:
        assert "<mark>" in hit.snippet or "<mark>" in hit.title_html
        assert "<script" not in hit.snippet


def test_similar_and_same_story_on_real_articles(sample) -> None:
    archive, records = sample
    article = next(a for a in records[100:] if a.published and a.source and len(a.body) > 1000)
    similar = archive.similar(article.id, limit=5)
    assert len(similar) == 5 and article.id not in {h.id for h in similar}
    for hit in archive.same_story(article.id, limit=5):
        assert hit.source != article.source
        assert hit.date is not None and abs((hit.date - article.published).days) <= 3


def test_section_facet_counts_equal_the_records_categories(sample: tuple[Archive, list[Article]], _terms) -> None:
    """The corpus's `category` field is the `section` metadata facet, counted exactly."""
    archive, records = sample
    expected = Counter(article.metadata.get("section") for article in records)
    assert None not in expected, "every corpus record has a category"
    assert dict(archive.search("", facet_limit=100).facets["section"]) == dict(expected)
    for query in QUERIES[:3]:
        wanted = {a.id for a in records if set(analyze_terms(query)) <= _terms(a)}
        got = archive.search(query, facet_limit=100).facets["section"]
        assert dict(got) == dict(Counter(a.metadata["section"] for a in records if a.id in wanted))


def test_a_common_words_documents_are_read_without_inflating_its_positions(
        corpus_sample_index: SampleIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """Posting blocks compress only their positions (whoosh_io.compress_block): the 300 most common body words of
    the corpus sample are read, documents and frequencies, without one zlib call, and equal what Whoosh's own
    block matcher reads; reading their positions inflates the compressed blocks and equals Whoosh's too."""
    reader = Archive.open(corpus_sample_index.path)._snapshot.reader
    leaves = whoosh_io.leaf_readers(reader)
    frequency: Counter[str] = Counter()
    for segment, _ in leaves:
        for btext in segment.lexicon("body"):
            frequency[btext.decode("utf-8")] += segment.doc_frequency("body", btext)
    words = [word for word, _ in frequency.most_common(300)]
    whooshs = {}
    for word in words:
        parts = []
        for segment, offset in leaves:
            if segment.doc_frequency("body", word):
                matcher = segment._terms.matcher("body", word.encode("utf-8"), segment.schema["body"].format)
                parts.append((whoosh_io._decode(matcher, segment.schema["body"], True), offset))
        whooshs[word] = parts
    calls = Counter[str]()

    class CountingZlib:
        compress = staticmethod(zlib.compress)

        @staticmethod
        def decompress(data: bytes) -> bytes:
            calls["inflate"] += 1
            return zlib.decompress(data)

    monkeypatch.setattr(whoosh_io, "zlib", CountingZlib)
    for word in words:
        postings = whoosh_io.read_postings(reader, "body", word)
        assert postings.ids.tolist() == [i + offset for p, offset in whooshs[word] for i in p.ids.tolist()]
        assert postings.weights.tolist() == [w for p, _ in whooshs[word] for w in p.weights.tolist()]
    assert calls["inflate"] == 0
    for word in words:
        postings = whoosh_io.read_postings(reader, "body", word, with_values=True)
        assert postings.values is not None
        assert [postings.values.item(i) for i in range(len(postings))] == \
            [p.values.item(i) for p, _ in whooshs[word] if p.values is not None for i in range(len(p))]
    assert calls["inflate"] > 300  # common words' blocks have compressed positions, in every segment
