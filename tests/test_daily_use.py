"""Daily use (issue 11): metadata facets from input to `search --json`, versions of one article, normalized
coverage, notices naming what matched nothing, queries starting with `-`, and snippets that start at the story."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from browser_support import VERSION_RECORDS

from archive.extract.metadata import facet_name, metadata_of
from archive.extract.readers import iter_raw_records
from archive.extract.report import IngestReport
from archive.index.writer import rebuild_index
from archive.interfaces.cli import main
from archive.search.archive import Archive
from archive.search.docarrays import DocArrays


@pytest.fixture(scope="module")
def index_dir(test_index_dir: Path) -> Path:
    """conftest.py's test index (tests/browser_support.py: build_test_index), shared with the other app tests."""
    return test_index_dir


@pytest.fixture(scope="module")
def archive(index_dir: Path) -> Archive:
    return Archive.open(index_dir)


def test_extra_scalar_fields_become_named_facets_and_long_or_nested_ones_do_not() -> None:
    record = {"id": "1", "body": "x", "category": "sport", "القسم": "رياضة", "Author": "سعاد", "views": 12,
              "breaking": True, "summary": "ملخص " * 40, "tags": ["a", "b"], "persons": ["x"]}
    # category and القسم are one `section` facet: the first spelling wins
    assert metadata_of(record) == {"section": "sport", "author": "سعاد", "views": "12", "breaking": "true"}
    assert facet_name("source") is None and facet_name("month") is None and facet_name("Page Section") == \
        "page_section"


def test_readers_keep_metadata_of_jsonl_and_csv(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(json.dumps({"body": "نص المقالة " * 5, "category": "economy"},
                                                 ensure_ascii=False) + "\n", encoding="utf-8")
    with open(tmp_path / "b.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["body", "Section", "country"])
        writer.writerow(["نص المقالة " * 5, "culture", "مصر"])
    records = list(iter_raw_records([tmp_path], IngestReport()))
    assert [r.metadata for r in records] == [{"section": "economy"}, {"section": "culture", "country": "مصر"}]


def test_metadata_facet_counts_filters_and_json_keys(archive: Archive) -> None:
    everything = archive.search("")
    sections = dict(everything.facets["section"])
    # the five seeds and the hostile article carry no category
    assert sum(sections.values()) == everything.total - 6
    sport = archive.search("", facets={"section": ["health"]}, limit=5)
    assert sport.total == sections["health"] == len(VERSION_RECORDS)
    assert all(hit.metadata == {"section": "health"} for hit in sport.hits)
    data = archive.search("موسكو", limit=3).to_dict()
    assert list(data["facets"])[:3] == ["person", "source", "month"] and "section" in data["facets"]
    assert all("section" in hit for hit in data["hits"] if hit["id"].startswith("para-"))
    # any of the values of one facet; a facet value matching nothing says so
    both = archive.search("", facets={"section": ["health", "culture"]})
    assert both.total == sections["health"] + sections["culture"]
    nothing = archive.search("", facets={"section": ["no-such-section"]})
    assert nothing.total == 0 and [n.key for n in nothing.notices] == ["unknown_facet_value"]
    assert "القسم" in nothing.notices[0].text("ar")


def test_metadata_arrays_survive_the_cache_file(archive: Archive, tmp_path: Path) -> None:
    arrays = archive._snapshot.arrays
    arrays.save(tmp_path / "arrays.npz")
    loaded = DocArrays.from_file(tmp_path / "arrays.npz", arrays.count)
    assert loaded is not None and list(loaded.metadata) == ["section"]
    assert loaded.metadata["section"].values == arrays.metadata["section"].values
    assert np.array_equal(loaded.metadata["section"].value_id, arrays.metadata["section"].value_id)


def test_versions_of_one_article_collapse_into_one_hit(archive: Archive) -> None:
    plain = archive.search("مستشفى للأطفال")
    assert [h.id for h in plain.hits] == ["version-a", "version-b"] or \
        sorted(h.id for h in plain.hits) == ["version-a", "version-b"]
    collapsed = archive.search("مستشفى للأطفال", collapse=True)
    assert collapsed.total == 2, "the total still counts articles"
    assert len(collapsed.hits) == 1 and [v.id for v in collapsed.hits[0].versions] == \
        [h.id for h in plain.hits if h.id != collapsed.hits[0].id]
    assert collapsed.to_dict()["hits"][0]["versions"] == [v.id for v in collapsed.hits[0].versions]


def test_different_articles_of_one_outlet_and_day_are_not_versions(archive: Archive) -> None:
    # para articles share outlets and dates in a cycle; their texts differ
    result = archive.search("", collapse=True, limit=100)
    grouped = {h.id for h in result.hits for _ in h.versions}
    assert grouped <= {"version-a", "version-b"}


def test_pages_of_collapsed_results_do_not_repeat_articles(archive: Archive) -> None:
    seen: list[str] = []
    for page in range(1, 12):
        for hit in archive.search("", collapse=True, page=page, limit=10).hits:
            seen += [hit.id, *(v.id for v in hit.versions)]
    assert len(seen) == len(set(seen))


def test_coverage_is_the_share_of_each_outlets_articles(archive: Archive) -> None:
    rows = archive.coverage("موسكو")
    assert rows
    for row in rows:
        everything = archive.search("", sources=[row["source"]], facet_limit=1).facets["month"]
        assert row["outlet_total"] == dict(everything)[row["month"]]
        assert row["share"] == pytest.approx(row["count"] / row["outlet_total"])
        assert 0 < row["share"] <= 1
    counted = archive.search("موسكو").facets["source"]
    assert {r["source"] for r in rows} <= {name for name, _ in counted}


def test_seed_snippet_starts_at_the_story_not_the_page_furniture(tmp_path: Path, seeds_dir: Path) -> None:
    rebuild_index([seeds_dir], tmp_path / "index", workers=1)
    result = Archive.open(tmp_path / "index").search("")
    first = result.hits[0]
    assert first.date is not None and first.date.isoformat() == "2023-03-14"
    assert not first.plain_snippet.startswith("الثلاثاء"), first.plain_snippet[:60]
    assert "آخر تحديث" not in first.plain_snippet and first.plain_snippet.startswith("وصل رئيس النظام السوري")


def test_cli_query_may_start_with_a_minus_and_facet_filters(index_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["search", "-دمشق", "موسكو", "--index", str(index_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["query"] == "-دمشق موسكو" and data["total"] == Archive.open(index_dir).search("-دمشق موسكو").total
    assert main(["search", "--index", str(index_dir), "--facet", "category=health", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"] == 2 and {h["section"] for h in data["hits"]} == {"health"}
    with pytest.raises(SystemExit) as usage:
        main(["search", "--index", str(index_dir), "--facet", "nonsense"])
    assert usage.value.code == 2 and "want NAME=VALUE" in capsys.readouterr().err


def test_an_outlet_missing_from_the_archive_is_a_notice_in_text_and_json(index_dir: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    for name in ("وكالة لا وجود لها", "Foo News"):
        assert main(["search", "--source", name, "--index", str(index_dir)]) == 0
        assert f"no outlet in the archive matches “{name}”" in capsys.readouterr().out
        assert main(["search", "موسكو", "--source", name, "--index", str(index_dir), "--json"]) == 0
        notices = json.loads(capsys.readouterr().out)["notices"]
        assert {"unknown_source", "matches_without_filter"} <= {n["key"] for n in notices}
