"""Ingestion as a whole: duplicates collapsed and counted, worker processes keep input order, the report adds
up; and over the shared corpus, every record accounted for with the people and outlets found printed for review."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from archive.article import Article, Deduplicator
from archive.extract.ingest import iter_articles
from archive.extract.report import IngestReport, Skipped

STORY = "قال المتحدث باسم الكرملين دميتري بيسكوف إن الرئيس فلاديمير بوتين سيزور أنقرة قريبا لبحث الملف السوري."


def article(**fields) -> Article:
    return Article(**{"id": "a", "title": "عنوان", "body": STORY, **fields})


@pytest.mark.parametrize(("first", "second"), [
    (article(id="same"), article(id="same", body=STORY + " وأضاف.")),
    (article(id="1", url="https://www.example.org/news/1/"), article(id="2", url="http://example.org/news/1")),
    (article(id="1"), article(id="2", title="عُنْوَان", body=STORY.replace(" ", "  "))),  # re-vowelled, re-spaced
])
def test_duplicates_by_id_url_or_normalized_content(first: Article, second: Article) -> None:
    dedup = Deduplicator()
    assert not dedup.is_duplicate(first)
    assert dedup.is_duplicate(second)


def test_different_stories_are_not_duplicates() -> None:
    dedup = Deduplicator()
    assert not dedup.is_duplicate(article(id="1", url="https://x.org/1"))
    assert not dedup.is_duplicate(article(id="2", url="https://x.org/2", body=STORY + " وقال أيضا."))


def test_summary_line_adds_up() -> None:
    report = IngestReport(read=10, duplicates=2)
    report.skipped += [Skipped("a:1", "too short: no letters (minimum 20)"), Skipped("a:2", "invalid JSON: x"),
                       Skipped("a:3", "too short: 3 letters of story (minimum 20)")]
    assert report.articles == 5
    assert report.summary() == "read 10 records: 5 articles, 3 skipped (2 too short, 1 invalid JSON), 2 duplicates"
    report.skipped.append(Skipped("a:4", "unreadable file: gone"))
    assert "4 skipped (2 too short, 1 invalid JSON, 1 unreadable file)" in report.summary(), "ties in name order"


def test_worker_processes_keep_input_order_and_counts(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    rows = [{"id": f"r{i}", "body": f"{STORY} رقم {i}."} for i in range(700)]
    rows[100] = rows[50]  # a duplicate
    rows[200] = {"id": "short", "body": "عاجل"}
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken\n", encoding="utf-8")
    serial_report, parallel_report = IngestReport(), IngestReport()
    serial = [(a.id, a.persons) for a in iter_articles([path], serial_report, workers=1)]
    parallel = [(a.id, a.persons) for a in iter_articles([path], parallel_report, workers=2)]
    assert parallel == serial and len(serial) == 698
    assert serial_report.summary() == parallel_report.summary() == (
        "read 701 records: 698 articles, 2 skipped (1 invalid JSON, 1 too short), 1 duplicate")


@pytest.mark.corpus
def test_shared_corpus_is_read_whole_with_people_and_outlets_for_review(corpus_path: Path) -> None:
    report = IngestReport()
    people: Counter[str] = Counter()
    outlets: Counter[str | None] = Counter()
    undated = 0
    for item in iter_articles([corpus_path], report, workers=2):
        people.update(item.persons)
        outlets[item.source] += 1
        undated += item.published is None
    print("\n" + report.summary())
    print("skipped:", Counter(s.reason for s in report.skipped).most_common())
    print("outlets:", outlets.most_common())
    print("top 30 people:", people.most_common(30))
    assert report.read == 30101
    assert report.articles + len(report.skipped) + report.duplicates == report.read
    assert report.articles > 30000 and len(report.skipped) < 30 and report.duplicates < 60
    assert {s.kind for s in report.skipped} <= {"too short"}
    # given outlet names map onto the registry's canonical names, so the facet has exactly five values
    assert set(outlets) == {"سكاي نيوز عربية", "العربية", "بي بي سي عربي", "سي إن إن بالعربية", "فرانس 24"}
    assert undated == 0
    top = [name for name, _ in people.most_common(30)]
    assert top[0] == "دونالد ترامب"
    assert {"فلاديمير بوتين", "رجب طيب أردوغان", "بشار الأسد", "محمد صلاح", "إيمانويل ماكرون"} <= set(top)
    titles = ("الرئيس", "وزير", "رئيس", "المتحدث", "الملك ", "الأمير")
    assert not [name for name in top if name.startswith(titles) and name != "الملك سلمان بن عبد العزيز"]
    assert all(len(name.split()) >= 2 for name in top)
    # no person split into two entries by spelling, once the facet merges the archive's spellings of one person
    from archive.extract.people import merge_spellings, skeleton
    shown = merge_spellings(dict(people))
    facet: Counter[str] = Counter()
    for name, count in people.items():
        facet[shown.get(name, name)] += count
    skeletons = Counter(skeleton(name) for name, _ in facet.most_common(300))
    assert [key for key, count in skeletons.items() if count > 1] == []
