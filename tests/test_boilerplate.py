"""Boilerplate learned from the archive: a paragraph that recurs in many articles of an outlet (another story's
teaser) is removed from each of them — not searchable as their text, no people from it, listed by `inspect` —
for a folder of raw .txt files, for `rebuild-index` and for `add`; a paragraph met in fewer articles stays."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.extract.boilerplate import MIN_ARTICLES, ParagraphCounts, paragraph_key
from archive.extract.readers import RawRecord
from archive.index.writer import add_to_index, rebuild_index
from archive.search.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
TEASER = ("شاهد أيضا تقرير حصري عن زيارة الممثل الشهير كريستوفر والكينز إلى مهرجان السينما في مدينة كان الفرنسية "
          "وسط حضور جماهيري كبير.")
STORIES = [
    "أعلنت وزارة الزراعة عن خطة جديدة لدعم مزارعي القمح في المحافظات الشمالية خلال الموسم المقبل.",
    "افتتح محافظ المدينة مستشفى جديدا للأطفال يضم مئتي سرير ويخدم سكان الأحياء الجنوبية.",
    "قررت الحكومة رفع أسعار الوقود بنسبة عشرة بالمئة اعتبارا من مطلع الشهر المقبل لتقليص العجز.",
    "شهدت الأسواق المالية تراجعا حادا بعد إعلان البنك المركزي رفع أسعار الفائدة مرة أخرى.",
    "بدأت أعمال صيانة الطريق السريع الذي يربط العاصمة بالمطار وتستمر ثلاثة أسابيع.",
]


def write_story(folder: Path, number: int, text: str, teaser: bool = True) -> None:
    paragraphs = [f"خبر محلي رقم {number}", text, "وأضاف المسؤول أن العمل سيتواصل حتى إنجاز المشروع كاملا."]
    if teaser:
        paragraphs.append(TEASER)
    (folder / f"story{number}.txt").write_text("\n".join(paragraphs) + "\n", encoding="utf-8")


def test_a_paragraph_key_ignores_punctuation_vowels_and_hamza_but_not_the_words() -> None:
    a = paragraph_key("g", "قال الرئيس الأمريكي دونالد ترامب، اليوم الثلاثاء، إن بلاده ستنسحب من الاتفاق النووي")
    plain = "قال الرئيس الامريكي دونالد ترامب اليوم الثلاثاء إن بلاده ستنسحب من الاتفاق النووي."
    b = paragraph_key("g", plain)
    c = paragraph_key("g", "قال الرئيس الفرنسي إيمانويل ماكرون اليوم الثلاثاء إن بلاده ستبقى في الاتفاق النووي")
    assert a == b and a != c
    assert paragraph_key("other outlet", plain) != a
    assert paragraph_key("g", "سكاي نيوز عربية") is None  # short lines are left to the furniture rules


def test_counts_mark_only_paragraphs_of_enough_articles_and_survive_saving(tmp_path: Path) -> None:
    records = [RawRecord(origin=str(i), body=f"{story}\n{TEASER}", source="Outlet")
               for i, story in enumerate(STORIES[:MIN_ARTICLES])]
    counts = ParagraphCounts().add(records[:-1])
    assert paragraph_key("source:outlet", TEASER) not in counts.boilerplate()
    counts.add(records[-1:])
    assert paragraph_key("source:outlet", TEASER) in counts.boilerplate()
    counts.save(tmp_path)
    again = ParagraphCounts.load(tmp_path)
    assert again.boilerplate() == counts.boilerplate()
    assert ParagraphCounts.load(tmp_path / "missing").boilerplate().keys == frozenset()


def test_rebuild_removes_a_recurring_teaser_from_raw_text_files_and_add_learns_more(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for number, text in enumerate(STORIES[:4]):
        write_story(folder, number, text)
    index = tmp_path / "index"
    rebuild_index([folder], index, workers=1)
    archive = Archive.open(index)
    assert archive.search("والكينز").total == 0, "the teaser is not the articles' text"
    assert archive.search("القمح").total == 1
    assert not any("والكينز" in name for name, _ in archive.search("").facets["person"])
    archive.close()

    extra = tmp_path / "more"
    extra.mkdir()
    write_story(extra, 4, STORIES[4])
    add_to_index([extra], index)
    archive = Archive.open(index)
    assert archive.search("والكينز").total == 0, "add judges new articles against the archive's paragraphs"
    assert archive.search("الطريق السريع").total == 1
    archive.close()


def test_a_paragraph_in_fewer_articles_stays(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for number, text in enumerate(STORIES[: MIN_ARTICLES - 1]):
        write_story(folder, number, text)
    index = tmp_path / "index"
    rebuild_index([folder], index, workers=1)
    archive = Archive.open(index)
    assert archive.search("والكينز").total == MIN_ARTICLES - 1
    archive.close()


def test_inspect_lists_the_teaser_as_removed(tmp_path: Path) -> None:
    for number, text in enumerate(STORIES):
        write_story(tmp_path, number, text)
    result = subprocess.run([sys.executable, "-m", "archive", "inspect", str(tmp_path), "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    articles = json.loads(result.stdout)
    assert len(articles) == len(STORIES)
    for article in articles:
        assert TEASER in article["removed_lines"]
        assert not any("والكينز" in name for name in article["persons"])


@pytest.mark.corpus
def test_corpus_teasers_of_other_stories_are_learned(corpus_path: Path) -> None:
    from archive.extract.ingest import learn_boilerplate

    boilerplate = learn_boilerplate([corpus_path]).boilerplate()
    assert 300 <= len(boilerplate) <= 5000, len(boilerplate)


def test_an_articles_id_and_duplicates_do_not_depend_on_what_the_archive_learned(tmp_path: Path) -> None:
    from archive.extract.builder import build_article
    from archive.extract.ingest import learn_boilerplate

    for number, text in enumerate(STORIES):
        write_story(tmp_path, number, text)
    path = tmp_path / "story0.txt"
    raw = RawRecord(origin=str(path), body=path.read_text(encoding="utf-8"))
    learned = learn_boilerplate([tmp_path]).boilerplate()
    alone, in_archive = build_article(raw), build_article(raw, learned)
    assert TEASER in in_archive.removed_lines and TEASER not in alone.removed_lines
    assert alone.id == in_archive.id and alone.content == in_archive.content
