"""The bundled seeds end to end through build_article: clean titles, the publication dates issue 3 names, outlets
where the text names one, and exactly the people of each story (none from removed furniture)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from archive.article import content_key
from archive.extract.builder import build_article
from archive.extract.ingest import iter_articles
from archive.extract.readers import RawRecord
from archive.extract.report import IngestReport

SEEDS = {
    "000_53b8d6396a1067f8.txt": dict(
        title="بوتين والأسد يلتقيان في الكرملين … ماذا في زيارة الأسد إلى موسكو ؟", date=None, source="سبوتنيك",
        persons={"فلاديمير بوتين", "بشار الأسد", "فيصل المقداد", "سيرغي شويغو"},
        furniture_names={"عبد الفتاح السيسي", "عبد الفتاح البرهان"}),
    "001_fa708f07afe93bea.txt": dict(
        title="الأسد إلتقى بوتين في موسكو لبحث العمليات الحربية والأهم مستقبل الحل السياسي في سوريا",
        date=datetime.date(2019, 8, 19), source="الديار",
        persons={"بشار الأسد", "فلاديمير بوتين", "الملك سلمان بن عبد العزيز", "دميتري بيسكوف", "إيغور كوناشينكوف",
                 "جوناثان ماركوس", "سيرغي شويغو", "رجب طيب أردوغان", "جون كيري", "دميتري مدفيديف", "رياض حداد"},
        furniture_names={"دونالد ترامب", "وائل كفوري"}),
    "002_cc4ae27b147aee05.txt": dict(
        title="الرئيسان الأسد وبوتين يبحثان في جلسة موسعة التعاون المشترك بمختلف أشكاله والتطورات الإقليمية والدولية",
        date=None, source="سانا",
        persons={"بشار الأسد", "فلاديمير بوتين", "سيرغي لافروف", "يوري أوشاكوف", "دميتري بيسكوف", "سيرغي شويغو",
                 "أنطون سيلوانوف", "إيريك فايزولين", "ألكسندر لافرنتييف", "ألكسندر يفيموف", "فيصل المقداد",
                 "علي عباس"},
        furniture_names=set()),
    "003_98cf9488d9f03ab7.txt": dict(
        title="الأسد في موسكو..للبحث بتطوير آفاق التعاون الثنائي", date=datetime.date(2023, 3, 14), source=None,
        persons={"بشار الأسد", "فلاديمير بوتين", "ميخائيل بوغدانوف", "ألكسندر يفيموف", "بشار الجعفري",
                 "رجب طيب أردوغان", "كيريل سيميونوف"},
        furniture_names=set()),
    "004_f36f79693c7c2b1c.txt": dict(
        title=None, date=datetime.date(2021, 9, 14), source=None,
        persons={"دميتري بيسكوف", "فلاديمير بوتين", "بشار الأسد", "فيصل المقداد", "سيرغي شويغو"},
        furniture_names=set()),
}


@pytest.fixture(scope="module")
def articles(seeds_dir: Path) -> dict:
    report = IngestReport()
    found = {Path(a.origin).name: a for a in iter_articles([seeds_dir], report)}
    assert report.summary() == "read 5 records: 5 articles, 0 skipped, 0 duplicates"
    return found


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_title_date_and_outlet(name: str, articles: dict) -> None:
    article, expected = articles[name], SEEDS[name]
    if expected["title"] is not None:
        assert article.title == expected["title"]
    assert article.published == expected["date"]
    assert article.source == expected["source"]


def test_seed_004_starts_mid_story_and_gets_a_title_from_its_first_sentence(articles: dict) -> None:
    title = articles["004_f36f79693c7c2b1c.txt"].title
    assert title.startswith("وأكد المتحدث باسم الرئاسة الروسية، ديمتري بيسكوف، إن الاجتماع")
    assert len(title) <= 101 and title.endswith("…")


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_people_exactly(name: str, articles: dict) -> None:
    article, expected = articles[name], SEEDS[name]
    assert set(article.persons) == expected["persons"]
    assert len(article.persons) == len(set(article.persons)), "one entry per person"
    assert not set(article.persons) & expected["furniture_names"]


def test_seed_furniture_is_reported_not_indexed(articles: dict) -> None:
    seed0, seed1 = articles["000_53b8d6396a1067f8.txt"], articles["001_fa708f07afe93bea.txt"]
    assert "شاهد أيضاً" in seed0.removed_lines and "السيسي" not in seed0.body
    assert "مواضيع تهمك" in seed1.removed_lines and "وائل كفوري" not in seed1.body
    assert articles["003_98cf9488d9f03ab7.txt"].removed_lines.count("increase حجم الخط decrease") == 2
    assert "قد يعجبك ايضا" in articles["002_cc4ae27b147aee05.txt"].removed_lines


def test_ids_are_stable_and_content_shortcut_equals_content_key(articles: dict, seeds_dir: Path) -> None:
    again = {Path(a.origin).name: a.id for a in iter_articles([seeds_dir], IngestReport())}
    assert again == {name: a.id for name, a in articles.items()}
    for article in articles.values():
        assert article.content == content_key(article.title, article.body)


def test_given_fields_win_and_are_canonical() -> None:
    body = "قال المتحدث باسم الكرملين ديمتري بيسكوف إن الرئيس بوتين سيزور أنقرة قريبا لبحث الملف السوري."
    article = build_article(RawRecord(origin="x.jsonl:1", body=body, title="عنوان معطى", source="Sky News Arabia",
                                      date="2018-05-01", persons=["ديمتري بيسكوف", "دميتري بيسكوف"], id="given-1"))
    assert (article.id, article.title, article.source, article.published, article.persons) == (
        "given-1", "عنوان معطى", "سكاي نيوز عربية", datetime.date(2018, 5, 1), ["دميتري بيسكوف"])


def test_an_impossible_given_date_leaves_the_article_undated_not_guessed() -> None:
    body = "الثلاثاء 2023/03/14\nقال المتحدث باسم الكرملين إن الرئيس سيزور أنقرة قريبا لبحث الملف السوري."
    assert build_article(RawRecord(origin="x", body=body, date="2023-02-30")).published is None


@pytest.mark.parametrize("body", ["", "موسكو - سانا", "ًٌٍَُِّْ" * 50, "!!؟؟...،،" * 40, "\u200b\u200c" * 40,
                                  "** جميع المقالات المنشورة تمثل رأي كتابها فقط."])
def test_too_short_or_empty_story_is_skipped_with_a_reason(body: str) -> None:
    result = build_article(RawRecord(origin="x.jsonl:7", body=body))
    assert result.origin == "x.jsonl:7" and result.reason.startswith("too short")
