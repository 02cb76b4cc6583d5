"""A sharded index (rebuild-index --shards N) answers exactly as one index: totals, facets, the page with its scores,
ties, sorts, filters, fallbacks, did-you-mean, similar, same story, export, stats; `add` routes articles to their
shard. On the seeds (no corpus needed) and on a slice of the shared corpus."""

from __future__ import annotations

import datetime
import itertools
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from browser_support import VERSION_RECORDS, write_test_inputs
from cluster_support import read_queries
from corpus_support import SampleIndex

from archive.extract.records import ReadOptions
from archive.index import whoosh_io
from archive.index.shards import shard_count, shard_dirs, shard_of
from archive.index.store import INDEX_NAME, current_index_path
from archive.index.writer import add_to_index, rebuild_index
from archive.interfaces.cli import main
from archive.search.archive import Archive
from archive.search.sharded import ShardedArchive

QUERIES = ["موسكو", "بوتين", '"الرئيس الروسي"', "سوري*", "بوتين OR الأسد", "-دمشق موسكو", "person:بوتين",
           "", "source:سانا", "موسكوو", "بوتين كيم", "title:موسكو", "(موسكو OR دمشق) بوتين", "الرئيس", "ترامب",
           "place:إدلب", "org:الكرملين موسكو", "-place:دمشق بوتين", "org:Kremlin OR place:Atlantis"]
OPTIONS: list[dict[str, Any]] = [
    {}, {"sort": "newest"}, {"sort": "oldest"}, {"persons": ["بوتين"]}, {"sources": ["سانا"]},
    {"date_from": datetime.date(2020, 1, 1)}, {"date_to": datetime.date(2020, 1, 1), "include_undated": True},
    {"limit": 2, "page": 2}, {"match": "any"}, {"persons": ["نيكولاس مادورو", "xyz"]},
    {"places": ["سوريا"]}, {"places": ["Idlib", "أطلانطس"]}, {"organizations": ["الأمم المتحدة"], "places": ["دمشق"]},
    {"organizations": ["UN"]},
]


WEB_FIXTURES = Path(__file__).parent / "fixtures" / "web"


def comparable(result: Any) -> dict[str, Any]:
    """Everything a search answers, but the time it took."""
    answer = result.to_dict()
    answer.pop("took_ms")
    answer.update(notice=result.notice, suggestions=result.suggestions, fell_back=result.fell_back,
                  match_used=result.match_used, sort=result.sort, normalized=result.normalized_query,
                  raw_scores=[hit.score for hit in result.hits])
    return answer


def assert_same_answers(single: Any, sharded: Any, queries: list[str], options: list[dict[str, Any]]) -> int:
    compared = 0
    for query, option in itertools.product(queries, options):
        expected = comparable(single.search(query, **option))
        assert comparable(sharded.search(query, **option)) == expected, (query, option)
        compared += 1
    return compared


def assert_same_related_and_exports(single: Any, sharded: Any, article_ids: list[str]) -> None:
    for article_id in article_ids:
        assert [h.to_dict() for h in sharded.similar(article_id)] == [h.to_dict() for h in single.similar(article_id)]
        assert [h.to_dict() for h in sharded.same_story(article_id)] == \
            [h.to_dict() for h in single.same_story(article_id)]
        assert sharded.get(article_id) == single.get(article_id)
        assert sharded.highlight_body(article_id, "موسكو") == single.highlight_body(article_id, "موسكو")
    for query in ("موسكو", "", "سوري*"):
        assert list(sharded.iter_matches(query)) == list(single.iter_matches(query))
    assert list(sharded.iter_matches("بوتين", sort="oldest")) == list(single.iter_matches("بوتين", sort="oldest"))
    expected, got = single.stats(), sharded.stats()
    for key in ("articles", "sources", "unknown_source", "people", "distinct_people", "places", "distinct_places",
                "organizations", "distinct_organizations", "date_range", "undated"):
        assert got[key] == expected[key], key


@pytest.fixture(scope="module")
def seed_indexes(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sharded-seeds")
    built = {"single": root / "single", "sharded-1w": root / "sharded-1w", "sharded-2w": root / "sharded-2w"}
    rebuild_index([seeds_dir], built["single"], workers=1)
    rebuild_index([seeds_dir], built["sharded-1w"], workers=1, shards=3)
    rebuild_index([seeds_dir], built["sharded-2w"], workers=2, shards=4)
    return built


def test_a_sharded_generation_holds_one_whoosh_index_per_shard_and_records_the_count(
        seed_indexes: dict[str, Path]) -> None:
    generation = current_index_path(seed_indexes["sharded-2w"])
    assert shard_count(generation) == 4
    assert [d.name for d in shard_dirs(generation)] == ["shard-000", "shard-001", "shard-002", "shard-003"]
    assert all((d / "_MAIN_1.toc").exists() for d in shard_dirs(generation))
    assert shard_count(current_index_path(seed_indexes["single"])) == 1


def test_every_article_lives_in_the_shard_its_id_hashes_to(seed_indexes: dict[str, Path]) -> None:
    with Archive.open(seed_indexes["sharded-2w"]) as sharded:
        assert isinstance(sharded, ShardedArchive)
        ids = [record["id"] for record in sharded.iter_matches("")]
        assert len(ids) == 5
        parts = sharded.backend.run_all("stats_part")
        for article_id in ids:
            home = shard_of(article_id, 4)
            assert sharded.backend.run_some({home: ("article", (article_id,))})[home] is not None
        assert sum(part["articles"] for part in parts) == 5


def test_the_shard_of_an_id_is_stable_across_processes_and_versions() -> None:
    # BLAKE2b of the id, not Python's salted hash(): these values must never change, or an index built
    # before would route an `add` to the wrong shard
    assert [shard_of(article_id, 8) for article_id in ("a", "موسكو-1", "u1234abcd")] == \
        [shard_of(article_id, 8) for article_id in ("a", "موسكو-1", "u1234abcd")]
    assert shard_of("a", 8) == int.from_bytes(__import__("hashlib").blake2b(b"a", digest_size=8).digest(), "big") % 8
    assert shard_of("anything", 1) == 0


@pytest.mark.parametrize("layout", ["sharded-1w", "sharded-2w"])
def test_a_sharded_index_answers_every_search_exactly_as_one_index(seed_indexes: dict[str, Path],
                                                                   layout: str) -> None:
    with Archive.open(seed_indexes["single"]) as single, Archive.open(seed_indexes[layout]) as sharded:
        assert isinstance(sharded, ShardedArchive) and not isinstance(single, ShardedArchive)
        assert assert_same_answers(single, sharded, QUERIES, OPTIONS) == len(QUERIES) * len(OPTIONS)
        ids = [hit.id for hit in single.search("", limit=10).hits]
        assert_same_related_and_exports(single, sharded, ids)
        assert single.suggest("موسكوو") == sharded.suggest("موسكوو")


def test_stats_lists_the_shards_with_their_articles(seed_indexes: dict[str, Path],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--index", str(seed_indexes["sharded-2w"]), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert [shard["shard"] for shard in stats["shards"]] == [0, 1, 2, 3]
    assert sum(shard["articles"] for shard in stats["shards"]) == stats["articles"] == 5


def test_add_routes_each_article_to_its_shard_and_answers_stay_identical(tmp_path: Path, seeds_dir: Path) -> None:
    single, sharded = tmp_path / "single", tmp_path / "sharded"
    first, *rest = sorted(seeds_dir.glob("*.txt"))
    rebuild_index([first], single, workers=1)
    rebuild_index([first], sharded, workers=1, shards=3)
    for path in rest:
        shutil.copy(path, tmp_path / path.name)
    added = [tmp_path / path.name for path in rest]
    summary_single = add_to_index(added, single)
    summary_sharded = add_to_index(added, sharded)
    assert summary_sharded.indexed == summary_single.indexed == 4
    add_to_index([first], sharded)  # an update in place: same id, same shard, no second copy
    add_to_index([first], single)
    with Archive.open(single) as one, Archive.open(sharded) as many:
        assert many.stats()["articles"] == one.stats()["articles"] == 5
        for record in one.iter_matches(""):
            home = shard_of(record["id"], 3)
            assert many.backend.run_some({home: ("article", (record["id"],))})[home] is not None
        assert_same_answers(one, many, ["موسكو", "", "بوتين", "سوري*"], [{}, {"sort": "newest"}])


def test_a_rebuild_keeps_the_shard_count_unless_told_otherwise(tmp_path: Path, seeds_dir: Path) -> None:
    index = tmp_path / "index"
    rebuild_index([seeds_dir], index, workers=1, shards=3)
    rebuild_index([seeds_dir], index, workers=1)  # after an analysis change: same layout
    assert shard_count(current_index_path(index)) == 3
    rebuild_index([seeds_dir], index, workers=1, shards=1)
    assert shard_count(current_index_path(index)) == 1
    rebuild_index([seeds_dir], tmp_path / "new", workers=1)
    assert shard_count(current_index_path(tmp_path / "new")) == 1


def test_an_open_sharded_index_picks_up_an_add_and_a_rebuild(tmp_path: Path, seeds_dir: Path) -> None:
    first, second, *_ = sorted(seeds_dir.glob("*.txt"))
    index = tmp_path / "index"
    rebuild_index([first], index, workers=1, shards=2)
    with Archive.open(index) as archive:
        assert archive.search("").total == 1
        add_to_index([second], index)
        assert archive.reload_if_changed()
        assert archive.search("").total == 2
        rebuild_index([seeds_dir], index, workers=1, shards=3)
        assert archive.reload_if_changed()
        assert archive.search("").total == 5 and isinstance(archive, ShardedArchive) and archive.shards == 3


@pytest.fixture(scope="module")
def daily_use_indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The app's test inputs (the seeds, their paragraphs as articles with an outlet, a month and a `category`,
    two versions of one article, a hostile article), as one index and as two sharded layouts; the two versions
    live in different shards of both."""
    root = tmp_path_factory.mktemp("sharded-daily-use")
    inputs = write_test_inputs(root / "inputs")
    built = {"single": root / "single", "sharded-2": root / "sharded-2", "sharded-4": root / "sharded-4"}
    rebuild_index(inputs, built["single"], workers=1)
    rebuild_index(inputs, built["sharded-2"], workers=1, shards=2)
    rebuild_index(inputs, built["sharded-4"], workers=2, shards=4)
    return built


FACET_OPTIONS: list[dict[str, Any]] = [
    {"facets": {"section": ["health"]}}, {"facets": {"category": ["economy", "culture"]}, "sort": "oldest"},
    {"facets": {"section": ["no-such-section"]}}, {"facets": {"no-such-facet": ["x"]}},
    {"facets": {"section": ["politics"]}, "sources": ["سانا"], "limit": 3, "page": 2},
    {"collapse": True}, {"collapse": True, "limit": 3, "page": 2}, {"collapse": True, "sort": "newest", "limit": 50},
    {"collapse": True, "facets": {"section": ["health"]}},
]


@pytest.mark.parametrize("layout", ["sharded-2", "sharded-4"])
def test_metadata_facets_versions_and_coverage_answer_as_one_index(daily_use_indexes: dict[str, Path],
                                                                   layout: str) -> None:
    versions = [record["id"] for record in VERSION_RECORDS]
    shards = int(layout.split("-")[1])
    assert shard_of(versions[0], shards) != shard_of(versions[1], shards), "the versions must sit in two shards"
    queries = ["", "موسكو", "مستشفى للأطفال", "بوتين الأسد", "دمشق"]
    with Archive.open(daily_use_indexes["single"]) as single, Archive.open(daily_use_indexes[layout]) as sharded:
        assert isinstance(sharded, ShardedArchive)
        assert assert_same_answers(single, sharded, queries, FACET_OPTIONS) == len(queries) * len(FACET_OPTIONS)
        # the metadata facet is counted, and the versions collapse across shards
        everything = sharded.search("", limit=5)
        assert "section" in everything.facets and everything.metadata_facets == ["section"]
        collapsed = sharded.search("مستشفى للأطفال", collapse=True)
        assert collapsed.total == 2 and len(collapsed.hits) == 1
        assert sorted([collapsed.hits[0].id, *(v.id for v in collapsed.hits[0].versions)]) == sorted(versions)
        # notices keyed as on one index, in both languages
        for option in ({"facets": {"section": ["no-such-section"]}}, {"persons": ["xyz"]},
                       {"facets": {"section": ["health"]}, "sources": ["الجزيرة"]}):
            expected, got = single.search("دمشق", **option), sharded.search("دمشق", **option)
            assert [(n.key, n.text("ar"), n.text("en")) for n in got.notices] == \
                [(n.key, n.text("ar"), n.text("en")) for n in expected.notices] != []
        for query, option in itertools.product(["", "موسكو", "بوتين الأسد", "no-such-word"],
                                               [{}, {"facets": {"section": ["politics"]}}, {"sources": ["سانا"]}]):
            assert sharded.coverage(query, **option) == single.coverage(query, **option), (query, option)
        assert sharded.coverage("موسكو", top_sources=2) == single.coverage("موسكو", top_sources=2)
        assert list(sharded.iter_matches("", facets={"section": ["culture"]})) == \
            list(single.iter_matches("", facets={"section": ["culture"]}))
        for article_id in [*versions, "para-000", "para-007"]:
            assert sharded.get(article_id) == single.get(article_id)
            assert sharded.get(article_id).metadata  # type: ignore[union-attr]


def _segments(index_path: Path) -> list[Any]:
    from whoosh import index as whoosh_index

    return list(whoosh_index.open_dir(str(index_path), indexname=INDEX_NAME)._segments())


@pytest.mark.parametrize("workers", [1, 2])
def test_shards_are_written_as_the_single_writer_writes(tmp_path: Path, workers: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # a segment closed every 20 articles of a shard, as SegmentBuilder rolls them (12,000 in production)
    monkeypatch.setattr(whoosh_io, "SEGMENT_ARTICLES", 20)
    inputs = write_test_inputs(tmp_path / "inputs")
    rebuild_index(inputs, tmp_path / "single", workers=workers)
    rebuild_index(inputs, tmp_path / "sharded", workers=workers, shards=2)
    generation = current_index_path(tmp_path / "sharded")
    for directory in shard_dirs(generation):
        segments = _segments(directory)
        assert len(segments) > 1, "rolling segments in every shard"
        assert all(isinstance(segment.codec(), whoosh_io.CompactCodec) for segment in segments)
    with Archive.open(tmp_path / "single") as single, Archive.open(tmp_path / "sharded") as sharded:
        # the same documents: metadata facets (meta_section), and the same answers
        assert sharded.search("").metadata_facets == single.search("").metadata_facets == ["section"]
        assert_same_answers(single, sharded, ["", "موسكو", '"الرئيس الروسي"'],
                            [{}, {"facets": {"section": ["economy"]}}])
    # an add to a sharded index writes compact segments too
    add_to_index([tmp_path / "inputs" / "test-articles.jsonl"], tmp_path / "sharded")
    for directory in shard_dirs(current_index_path(tmp_path / "sharded")):
        assert all(isinstance(segment.codec(), whoosh_io.CompactCodec) for segment in _segments(directory))


def test_read_options_reach_the_readers_of_a_sharded_rebuild_and_add(tmp_path: Path, seeds_dir: Path) -> None:
    feed = WEB_FIXTURES / "aljazeera.atom"  # one Arabic entry, one English one
    rebuild_index([feed], tmp_path / "arabic", workers=1, shards=2)
    rebuild_index([feed], tmp_path / "any", workers=2, shards=2, options=ReadOptions(any_language=True))
    with Archive.open(tmp_path / "arabic") as arabic, Archive.open(tmp_path / "any") as any_language:
        assert arabic.search("").total == 1 and any_language.search("").total == 2
    rebuild_index([seeds_dir], tmp_path / "added", workers=1, shards=3)
    add_to_index([feed], tmp_path / "added", options=ReadOptions(any_language=True))
    with Archive.open(tmp_path / "added") as added:
        assert added.search("").total == 5 + 2


@pytest.mark.corpus
def test_on_a_slice_of_the_corpus_a_sharded_index_answers_as_one_index(
        tmp_path: Path, corpus_sample: Path, corpus_sample_index: SampleIndex) -> None:
    """conftest.py's corpus sample (3,000 articles) and its one index, against a sharded index of it."""
    rebuild_index([corpus_sample], tmp_path / "sharded", workers=2, shards=5)
    specs = read_queries(Path(__file__).parent.parent / "bench" / "queries.txt")[::3]
    compared = 0
    with Archive.open(corpus_sample_index.path) as single, Archive.open(tmp_path / "sharded") as sharded:
        for spec in specs:  # with their person / source / date filters, sorts and match modes
            options = {k: v for k, v in spec.items() if k != "query"}
            assert comparable(sharded.search(spec["query"], **options)) == \
                comparable(single.search(spec["query"], **options)), spec
            compared += 1
        ids = [hit.id for hit in single.search("ترامب", limit=5).hits]
        assert_same_related_and_exports(single, sharded, ids)
    assert compared >= 60
