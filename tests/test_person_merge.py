"""Spellings of one unregistered person merged across the whole archive: one facet entry counted once per article,
a filter or `person:` with any spelling finding all of them (and saying so), a query naming the person widened to
every spelling unless quoted; decided from the whole archive's counts, so a sharded index (here and on a Dask
cluster) answers exactly as one index; different people sharing a family name or consonants never merged."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from cluster_support import LocalDaskCluster, ensure_workers
from test_sharded import comparable

from archive.cluster.connect import connect
from archive.cluster.search import DaskShards, open_on_cluster
from archive.extract.people import merge_spellings, same_person_spellings
from archive.index.shards import shard_of
from archive.index.store import current_index_path
from archive.index.writer import add_to_index, rebuild_index
from archive.interfaces.cli import main
from archive.search.archive import Archive
from archive.search.person_merge import NO_MERGE
from archive.search.sharded import ShardedArchive

SHARDS = 2
# (people as given by the article's metadata, how many articles, in which shard they land)
PEOPLE: list[tuple[list[str], int, int]] = [
    # the shard holding the most articles of Coutinho spells him فيليبي; the archive as a whole spells him فيليب:
    # a shard deciding from its own counts would show its own spelling
    (["فيليب كوتينيو"], 5, 0),
    (["فيليبي كوتينيو"], 4, 1),
    (["فيليب كوتينيو", "فيليبي كوتينيو"], 1, 1),  # both spellings in one article: counted once
    (["عثمان ديمبلي"], 3, 0),
    (["عثمان دمبلي"], 2, 1),
    (["محمود عباس"], 3, 0),  # two people whose names share their consonants
    (["محمد عباس"], 2, 1),
    (["سعد الحريري"], 2, 0),
    (["سعيد الحريري"], 1, 1),
    (["رفيق الحريري"], 1, 0),  # a family name shared: never one person
]
TOPICS = ["المباراة في برشلونة", "الاجتماع في رام الله", "الحكومة في بيروت"]


def _article_id(shard: int, taken: set[str]) -> str:
    number = 0
    while True:
        candidate = f"merge-{number}"
        if candidate not in taken and shard_of(candidate, SHARDS) == shard:
            taken.add(candidate)
            return candidate
        number += 1


def write_articles(path: Path) -> list[dict[str, Any]]:
    records, taken = [], set[str]()
    for persons, count, shard in PEOPLE:
        for copy in range(count):
            names = " و".join(persons)
            topic = TOPICS[len(records) % len(TOPICS)]
            records.append({
                "id": _article_id(shard, taken), "title": f"خبر {len(records)} عن {names}",
                "body": f"تحدث {names} اليوم عن {topic} في لقاء رقم {len(records)} {copy} مع الصحفيين.\n"
                        f"وقال {persons[-1]} إن الوضع يتحسن بعد أسابيع من العمل المتواصل والمتابعة.",
                "source": "وكالة الأنباء", "date": f"2024-03-{len(records) % 27 + 1:02d}", "persons": persons})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return records


def single_and_sharded(root: Path, records: list[dict]) -> dict[str, Any]:
    """ROOT/articles.jsonl built as one index and as SHARDS shards, both opened: the fixture of the merge tests."""
    rebuild_index([root / "articles.jsonl"], root / "single", workers=1)
    rebuild_index([root / "articles.jsonl"], root / "sharded", workers=1, shards=SHARDS)
    return {"root": root, "records": records, "single": Archive.open(root / "single"),
            "sharded": Archive.open(root / "sharded")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("person-merge")
    return single_and_sharded(root, write_articles(root / "articles.jsonl"))


def test_merge_rules_keep_different_people_apart_and_join_transliterations() -> None:
    assert same_person_spellings("فيليب كوتينيو", "فيليبي كوتينيو")
    assert same_person_spellings("بيب غوارديولا", "بيب جوارديولا")
    assert same_person_spellings("رائد صلاح", "رايد صلاح") and same_person_spellings("داوود أوغلو", "داود أوغلو")
    for one, other in [("محمد عباس", "محمود عباس"), ("سعد الحريري", "سعيد الحريري"), ("عمر سعد", "عمر سعيد"),
                       ("محمد حسن", "محمد حسين"), ("حيدر العبادي", "حيدر العبيدي"), ("أحمد الخطيب", "أحمد الخطاب"),
                       ("محمد الحسيني", "محمد الحسني"), ("رفيق الحريري", "سعد الحريري")]:
        assert not same_person_spellings(one, other), (one, other)


def test_no_chain_of_spellings_joins_two_names_that_differ() -> None:
    # حامد and حميد each drop a long vowel of the other, so neither is a spelling of the other; the names are
    # compared pairwise inside a group, never joined through a third spelling
    shown = merge_spellings({"جاسم حامد الشمري": 5, "جاسم حمد الشمري": 4, "جاسم حميد الشمري": 3})
    assert len({shown.get(n, n) for n in ("جاسم حامد الشمري", "جاسم حميد الشمري")}) == 2


def test_the_person_facet_shows_one_entry_per_merged_person_counted_once_per_article(built: dict[str, Any]) -> None:
    result = built["single"].search("", facet_limit=100)
    people = dict(result.facets["person"])
    assert people["فيليب كوتينيو"] == 10 and "فيليبي كوتينيو" not in people
    assert people["عثمان ديمبلي"] == 5 and "عثمان دمبلي" not in people
    assert people["محمود عباس"] == 3 and people["محمد عباس"] == 2
    assert people["سعد الحريري"] == 2 and people["سعيد الحريري"] == 1 and people["رفيق الحريري"] == 1
    assert result.person_variants == {"فيليب كوتينيو": ["فيليبي كوتينيو"], "عثمان ديمبلي": ["عثمان دمبلي"]}
    assert result.to_dict()["person_variants"]["فيليب كوتينيو"] == ["فيليبي كوتينيو"]
    assert built["single"].stats()["people"]["فيليب كوتينيو"] == 10


def test_a_filter_or_person_field_with_any_spelling_finds_every_spelling_and_says_so(built: dict[str, Any]) -> None:
    archive = built["single"]
    for spelling in ("فيليب كوتينيو", "فيليبي كوتينيو", "فيليبى كوتينيو"):
        result = archive.search("", persons=[spelling])
        assert result.total == 10, spelling
        assert [n.key for n in result.notices] == ["person_spellings"]
        assert "فيليب كوتينيو | فيليبي كوتينيو" in result.notice
        assert archive.search(f'person:"{spelling}"').total == 10
    assert archive.search("", persons=["محمد عباس"]).total == 2
    assert archive.search("", persons=["محمد عباس"]).notices == []


def test_a_query_naming_a_merged_person_matches_every_spelling_unless_quoted(built: dict[str, Any]) -> None:
    archive = built["single"]
    records = built["records"]
    in_text = Counter(name for r in records for name in set(r["persons"]))
    both_dembele = in_text["عثمان ديمبلي"] + in_text["عثمان دمبلي"]
    for query in ("ديمبلي", "دمبلي", "عثمان ديمبلي", "عثمان دمبلي", '"عثمان دمبلي"', "ديمبلي OR دمبلي"):
        assert archive.search(query).total == both_dembele, query
    assert archive.search("ديمبلي").normalized_query == archive.search("دمبلي").normalized_query == "(دمبل OR ديمبل)"
    assert archive.search('"ديمبلي"').total == in_text["عثمان ديمبلي"], "a quoted word is searched as written"
    coutinho = archive.search("فيليبي كوتينيو")
    assert coutinho.total == 10 and coutinho.normalized_query == "فيليب كوتينيو", "the stemmer already joins them"
    assert archive.search("محمد عباس").total == in_text["محمد عباس"], "different people are not widened"


def test_a_sharded_index_merges_as_one_index_decided_from_every_shards_counts(built: dict[str, Any]) -> None:
    single, sharded = built["single"], built["sharded"]
    assert isinstance(sharded, ShardedArchive) and sharded.shards == SHARDS
    queries = ["", "ديمبلي", "فيليبي كوتينيو", '"ديمبلي"', "person:فيليبي", "الحريري", "عباس"]
    options: list[dict[str, Any]] = [{}, {"persons": ["فيليبي كوتينيو"]}, {"persons": ["عثمان دمبلي", "محمد عباس"]},
                                     {"facet_limit": 3}]
    for query in queries:
        for option in options:
            assert comparable(sharded.search(query, **option)) == comparable(single.search(query, **option)), \
                (query, option)
    assert sharded.stats()["people"] == single.stats()["people"]
    # shard 1 alone would show فيليبي (5 of its articles against 1): the archive's spelling is shown
    assert dict(sharded.search("").facets["person"])["فيليب كوتينيو"] == 10
    # the decision is kept beside the shards for this state of them; opened again, the index reads it
    kept = list(sharded.path.glob("person-merge-*.json"))
    assert len(kept) == 1
    assert json.loads(kept[0].read_text(encoding="utf-8"))["persons"] == sharded.collection.person_merge.shown
    again = Archive.open(built["root"] / "sharded")
    assert comparable(again.search("دمبلي")) == comparable(single.search("دمبلي"))


def test_an_add_that_changes_which_spelling_is_most_frequent_changes_the_facet_alike(tmp_path: Path) -> None:
    write_articles(tmp_path / "articles.jsonl")
    records = [{"id": f"merge-add-{n}", "title": f"فيليبي كوتينيو يعود {n}", "body": "عاد فيليبي كوتينيو إلى الملعب "
                f"بعد إصابة طويلة أبعدته عن المباريات {n} مرات.", "source": "وكالة الأنباء", "date": "2024-04-01",
                "persons": ["فيليبي كوتينيو"]} for n in range(3)]
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    for name, shards in (("single", 1), ("sharded", SHARDS)):
        rebuild_index([tmp_path / "articles.jsonl"], tmp_path / name, workers=1, shards=shards)
        add_to_index([more], tmp_path / name)
    single, sharded = Archive.open(tmp_path / "single"), Archive.open(tmp_path / "sharded")
    people = dict(single.search("", facet_limit=100).facets["person"])
    assert people["فيليبي كوتينيو"] == 13 and "فيليب كوتينيو" not in people
    assert comparable(sharded.search("", facet_limit=100)) == comparable(single.search("", facet_limit=100))


def test_search_json_lists_the_variants_of_merged_people(built: dict[str, Any],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "", "--person", "عثمان دمبلي", "--json", "--index", str(built["root"] / "single")]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["total"] == 5 and answer["facets"]["person"][0] == ["عثمان ديمبلي", 5]
    assert answer["person_variants"] == {"عثمان ديمبلي": ["عثمان دمبلي"]}
    assert answer["notices"][0]["key"] == "person_spellings"


@pytest.fixture(scope="module")
def cluster(dask_cluster: LocalDaskCluster) -> LocalDaskCluster:
    """conftest.py's cluster (a scheduler and two workers, shared with tests/test_cluster.py)."""
    ensure_workers(dask_cluster)
    return dask_cluster


@pytest.mark.timeout(300)
def test_on_a_dask_cluster_the_shards_merge_as_one_index(built: dict[str, Any], cluster: LocalDaskCluster) -> None:
    client = connect(cluster.address)
    try:
        on_cluster = open_on_cluster(built["root"] / "sharded", client)
        single = built["single"]
        for query, option in [("", {}), ("ديمبلي", {}), ("", {"persons": ["فيليبي كوتينيو"]}),
                              ("person:عثمان دمبلي", {})]:
            assert comparable(on_cluster.search(query, **option)) == comparable(single.search(query, **option))
        # the same workers asked without a decision (a client opening the index) see the names as indexed
        generation = current_index_path(built["root"] / "sharded")
        plain = DaskShards(client, (built["root"] / "sharded").resolve(), generation, SHARDS).run_all("describe")
        assert "فيليبي كوتينيو" in plain[1].person_names and plain[1].person_merge_key == NO_MERGE.key
        assert on_cluster.search("", persons=["فيليبي كوتينيو"]).total == 10
    finally:
        client.close()
