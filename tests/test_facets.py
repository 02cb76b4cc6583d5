"""Facet counts and filter masks from the per-document arrays, checked against brute force over the records,
on an index with several segments and with deleted (updated) documents."""

from __future__ import annotations

import datetime
import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from archive.index.writer import add_to_index, rebuild_index
from archive.search import docarrays
from archive.search.archive import Archive

PEOPLE = ["فلاديمير بوتين", "دونالد ترامب", "بشار الأسد", "رجب طيب أردوغان", "إيمانويل ماكرون", "محمد بن سلمان"]
OUTLETS = ["BBC Arabic", "CNN Arabic", "Al Arabiya", "Sky News Arabia", None]
WORDS = ["موسكو", "واشنطن", "دمشق", "انتخابات", "اقتصاد", "نفط", "مباراة", "قمة", "صواريخ", "لاجئين"]


def _record(number: int, rnd: random.Random) -> dict:
    words = rnd.sample(WORDS, 3)
    day = None if rnd.random() < 0.15 else datetime.date(2018, 1, 1) + datetime.timedelta(days=rnd.randrange(300))
    return {
        "id": f"r{number}",
        "title": f"خبر رقم {number} عن {words[0]}",
        "body": " ".join(words) + f" في تقرير مطول رقم {number} " + "نص إضافي للخبر " * 3,
        "source": rnd.choice(OUTLETS),
        "date": day.isoformat() if day else None,
        "persons": rnd.sample(PEOPLE, rnd.randrange(4)),
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Archive, dict[str, dict]]:
    rnd = random.Random(7)
    base = tmp_path_factory.mktemp("facets")
    records = {r["id"]: r for r in (_record(n, rnd) for n in range(400))}
    data = base / "records.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records.values()) + "\n", encoding="utf-8")
    index = base / "index"
    rebuild_index([data], index, workers=2)  # two index processes: two segments
    # update 30 records in place: the old versions become deleted documents that must not be counted
    changed = []
    for number in range(0, 60, 2):
        record = _record(number, rnd)
        records[record["id"]] = record
        changed.append(record)
    extra = base / "changed.jsonl"
    extra.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in changed) + "\n", encoding="utf-8")
    add_to_index([extra], index)
    return Archive.open(index), records


def _canonical(archive: Archive, outlet: str | None) -> str | None:
    from archive.extract.sources import canonical_source

    return canonical_source(outlet) if outlet else None


def _matches(record: dict, word: str) -> bool:
    return word in record["title"] or word in record["body"]


@pytest.mark.parametrize("word", ["", *WORDS[:5]])
def test_facets_equal_brute_force_counts(built, word: str) -> None:
    archive, records = built
    result = archive.search(word, limit=5, facet_limit=100)
    matched = [r for r in records.values() if not word or _matches(r, word)]
    assert result.total == len(matched)
    assert dict(result.facets["source"]) == dict(Counter(_canonical(archive, r["source"])
                                                         for r in matched if r["source"]))
    assert dict(result.facets["person"]) == dict(Counter(p for r in matched for p in r["persons"]))
    assert dict(result.facets["month"]) == dict(Counter(r["date"][:7] if r["date"] else None for r in matched))


@pytest.mark.parametrize("word", WORDS[:4])
def test_facets_of_queries_matching_most_of_the_archive_equal_brute_force(built, word: str) -> None:
    """"-word" matches about 70% of the articles: its people are counted over the articles NOT matched and
    subtracted from the archive's totals (DocArrays.facet_counts), which must give the same counts."""
    archive, records = built
    result = archive.search(f"-{word}", limit=5, facet_limit=100)
    matched = [r for r in records.values() if not _matches(r, word)]
    assert len(matched) * 2 > len(records)  # the complement path is taken
    assert result.total == len(matched)
    assert dict(result.facets["person"]) == dict(Counter(p for r in matched for p in r["persons"]))
    assert dict(result.facets["source"]) == dict(Counter(_canonical(archive, r["source"])
                                                         for r in matched if r["source"]))


def test_filters_equal_brute_force(built) -> None:
    archive, records = built
    rnd = random.Random(3)
    for _ in range(25):
        persons = rnd.sample(PEOPLE, rnd.randrange(3))
        outlets = rnd.sample([o for o in OUTLETS if o], rnd.randrange(3))
        start = datetime.date(2018, 1, 1) + datetime.timedelta(days=rnd.randrange(200))
        end = start + datetime.timedelta(days=rnd.randrange(150))
        use_dates = rnd.random() < 0.6
        include_undated = rnd.random() < 0.5
        word = rnd.choice(["", *WORDS])
        expected = {
            r["id"] for r in records.values()
            if (not word or _matches(r, word))
            and (not persons or set(persons) & set(r["persons"]))
            and (not outlets or r["source"] in outlets)
            and (not use_dates or (r["date"] is None and include_undated)
                 or (r["date"] is not None and start.isoformat() <= r["date"] <= end.isoformat()))
        }
        options = {"persons": persons, "sources": outlets, "include_undated": include_undated}
        if use_dates:
            options |= {"date_from": start, "date_to": end}
        result = archive.search(word, limit=1000, **options)
        assert {h.id for h in result.hits} == expected, options
        assert result.total == len(expected)
        assert sum(n for _, n in result.facets["month"]) == len(expected)


@pytest.mark.parametrize("widths", ["narrow", "wide"])
def test_name_counts_equal_brute_force_for_every_facet_and_share_of_the_archive(
        built, widths: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Narrow: name numbers in 16 bits, pairs walked with 32-bit positions (any archive of fewer than 65,536
    names); wide: the 32- and 64-bit ways a larger archive takes."""
    archive, _ = built
    arrays = archive._snapshot.arrays
    if widths == "wide":
        monkeypatch.setattr(docarrays, "_UINT16_NAMES", 0)
        monkeypatch.setattr(docarrays, "_INT32_PAIRS", 0)
        arrays = arrays.changed()
    assert arrays.name_pairs().name.dtype == (np.uint16 if widths == "narrow" else np.int32)
    docs = archive._snapshot.all_docs
    facets = {"person": (arrays.pair_doc, arrays.pair_person, len(arrays.person_names)),
              **{name: (facet.pair_doc, facet.pair_name, len(facet.names)) for name, facet in arrays.entities.items()}}
    assert sum(len(pair_doc) for pair_doc, _, _ in facets.values()) > len(arrays.pair_doc) > 0
    # 1/20 and 1/3 of the archive gather the documents' names; 2/3 and all of it count the live rest and subtract
    for chosen in (docs[::20], docs[::3], np.setdiff1d(docs, docs[::3]), docs, docs[:0]):
        dense = np.zeros(arrays.count, dtype=bool)
        dense[chosen] = True
        counts = arrays.name_counts(chosen)
        assert set(counts) == set(facets)
        for facet, (pair_doc, pair_name, size) in facets.items():
            brute = np.bincount(pair_name[dense[pair_doc]], minlength=size)
            assert counts[facet].tolist() == brute.tolist(), (facet, len(chosen))


def test_deleted_versions_are_not_searchable(built) -> None:
    archive, records = built
    snap = archive._snapshot
    assert snap.live_count == len(records) < snap.count
    for record_id in ("r0", "r2", "r58"):
        article = archive.get(record_id)
        assert article is not None and article.title == records[record_id]["title"]


def test_facet_limit_keeps_the_top_counts(built) -> None:
    archive, _ = built
    full = archive.search("", facet_limit=100).facets["person"]
    top = archive.search("", facet_limit=2).facets["person"]
    assert top == full[:2]
    assert [n for _, n in full] == sorted((n for _, n in full), reverse=True)


def test_empty_index_has_empty_facets(tmp_path: Path) -> None:
    data = tmp_path / "one.jsonl"
    data.write_text(json.dumps({"id": "x", "title": "عنوان", "body": "نص قصير عن موسكو " * 5}, ensure_ascii=False)
                    + "\n", encoding="utf-8")
    rebuild_index([data], tmp_path / "index", workers=1)
    archive = Archive.open(tmp_path / "index")
    result = archive.search("واشنطن")
    assert result.total == 0 and result.facets == {"person": [], "source": [], "month": [], "place": [],
                                                   "organization": []}
