"""RSS and Atom feeds saved as files: each entry becomes an article (title, link, date in the feed's own time zone,
full content or summary, outlet from the feed), through the same cleaning and identity as every other format."""

from __future__ import annotations

from pathlib import Path

from archive.article import Article
from archive.extract.builder import build_article
from archive.extract.feeds import feed_records
from archive.extract.ingest import iter_articles
from archive.extract.records import ReadOptions
from archive.extract.report import IngestReport

FIXTURES = Path(__file__).parent / "fixtures" / "web"


def test_rss_entries_become_articles_with_content_summary_and_the_feeds_outlet() -> None:
    report = IngestReport()
    articles = list(iter_articles([FIXTURES / "sana.rss"], report))
    assert [a.title for a in articles] == ["افتتاح مشروع لإعادة تأهيل محطة مياه في ريف دمشق",
                                           "انطلاق فعاليات معرض الزهور الدولي في حديقة تشرين"]
    first, second = articles
    # 01:20 in Damascus on the 15th is still the 14th in UTC: the feed's own date is the publication date
    assert (first.date_iso, second.date_iso) == ("2023-03-15", "2023-03-14")
    assert first.source == second.source == "سانا"  # "سانا - أخبار محلية" names the outlet before the dash
    assert first.url == "https://sana.sy/?p=2011001" and first.origin.endswith("sana.rss:#1")
    # the full content (content:encoded), paragraphs kept, its script dropped; the summary when there is no content
    assert first.body.split("\n")[1].startswith("وأوضح مدير المشروع") and "alert" not in first.body
    assert first.provenance["body"] == "feed-content" and second.provenance["body"] == "feed-summary"
    assert second.body.startswith("انطلقت اليوم في حديقة تشرين")
    assert first.provenance["title"] == first.provenance["date"] == first.provenance["source"] == "feed"
    assert first.author == "سانا" and first.language == "ar"
    assert [(s.origin.rsplit(":", 1)[1], s.kind) for s in report.skipped] == [("#3", "too short")]
    assert report.read == 3


def test_atom_entries_are_read_and_a_non_arabic_entry_is_skipped_unless_asked() -> None:
    report = IngestReport()
    articles = list(iter_articles([FIXTURES / "aljazeera.atom"], report))
    assert [(a.title, a.date_iso, a.source) for a in articles] == [
        ("بلينكن: محادثات تبادل المحتجزين مستمرة والأيام المقبلة حاسمة", "2024-02-07", "الجزيرة")]
    assert articles[0].persons == ["أنتوني بلينكن"]
    assert [s.kind for s in report.skipped] == ["not Arabic"]
    kept = list(iter_articles([FIXTURES / "aljazeera.atom"], IngestReport(), options=ReadOptions(any_language=True)))
    assert [a.title for a in kept][-1] == "Breaking: markets rally"
    assert kept[-1].date_iso == "2024-02-07"  # an entry with only <updated>


def test_an_xml_file_that_is_no_feed_is_reported() -> None:
    report = IngestReport()
    assert list(iter_articles([FIXTURES / "sitemap.xml"], report)) == []
    assert [s.kind for s in report.skipped] == ["not a feed"] and report.read == 1


def test_feed_entry_and_the_same_story_as_a_saved_page_are_one_article() -> None:
    report = IngestReport()
    articles = list(iter_articles([FIXTURES / "aljazeera-opengraph.htm.gz", FIXTURES / "aljazeera.atom"], report,
                                  options=ReadOptions(any_language=True)))
    assert len(articles) == 2 and report.duplicates == 1  # the same URL: the Atom entry of the page already read


def test_hostile_feeds_are_reported_not_raised(tmp_path: Path) -> None:
    cases = {
        "empty.rss": b"",
        "binary.rss": bytes(range(256)) * 10,
        "broken.xml": b"<?xml version='1.0'?><rss><channel><item><title>x",
        "no-link.rss": ("<rss version='2.0'><channel><title>موقع</title><item><title>خبر بلا رابط عن الاقتصاد</title>"
                        "<description>نص الخبر الكامل عن الاقتصاد العربي والأسواق والأسعار اليوم</description>"
                        "</item></channel></rss>").encode(),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    report = IngestReport()
    articles = list(iter_articles([tmp_path], report))
    assert [a.title for a in articles] == ["خبر بلا رابط عن الاقتصاد"] and articles[0].url is None
    assert report.read == len(articles) + len(report.skipped) + report.duplicates
    assert {Path(s.origin.split(":#")[0]).name for s in report.skipped} >= {"empty.rss", "binary.rss"}


def test_feed_text_goes_through_the_products_cleaning() -> None:
    feed = ("<rss version='2.0'><channel><title>الشرق الأوسط</title><item><title>عنوان الخبر عن القمة</title>"
            "<link>https://aawsat.com/x/1</link><description>&lt;p&gt;انطلقت القمة العربية اليوم في العاصمة بحضور "
            "واسع من القادة والزعماء العرب وممثلي المنظمات الدولية.&lt;/p&gt;&lt;p&gt;اقرأ أيضاً: خبر آخر لا علاقة له"
            "&lt;/p&gt;</description></item></channel></rss>").encode()
    raws = list(feed_records(feed, "feed.rss", IngestReport(), ReadOptions()))
    article = build_article(raws[0])
    assert isinstance(article, Article) and article.source == "الشرق الأوسط"
    assert "اقرأ أيضاً" not in article.body and article.removed_lines
