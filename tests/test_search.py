"""Search over a real index built by the indexer from the seeds and small hand-written articles."""

from __future__ import annotations

import datetime
import html
import json
import re
import threading
from collections import Counter
from pathlib import Path

import pytest

from archive.article import Article
from archive.extract.ingest import iter_articles
from archive.extract.report import IngestReport
from archive.extract.sources import canonical_source
from archive.index.writer import add_to_index, rebuild_index
from archive.search.archive import FALLBACK_NOTICE, Archive
from archive.text.analysis import analyze_terms

PUTIN, ASSAD, TRUMP = "فلاديمير بوتين", "بشار الأسد", "دونالد ترامب"

# id, title, body, source, date, persons
ARTICLES = [
    ("a1", "بوتين يستقبل الأسد في الكرملين",
     "وصل الرئيس السوري إلى العاصمة الروسية. وقال بوتين إن زيارة الأسد لموسكو تأتي في إطار التعاون. "
     "وناقش الرئيس الروسي مع ضيفه ملفات الاقتصاد والطاقة.",
     "Sky News Arabia", "2018-03-10", [PUTIN, ASSAD]),
    ("a2", "ترامب يهاجم الصحافة في واشنطن",
     "شن الرئيس الأمريكي هجوما جديدا على وسائل الإعلام في البيت الأبيض، وقال ترامب إن الأخبار كاذبة.",
     "CNN Arabic", "2018-03-12", [TRUMP]),
    ("a3", "الاقتصاد الروسي يتعافى",
     "قال بوتين إن الاقتصاد الروسي تجاوز مرحلة الركود، وإن موسكو ستزيد صادرات الطاقة والقمح هذا العام.",
     "BBC Arabic", "2018-04-01", [PUTIN]),
    ("a4", "معرض للكتاب في موسكو",
     "افتتح في موسكو معرض دولي للكتاب بمشاركة دور نشر عربية، وشهد المعرض إقبالا كبيرا من الزوار.",
     "Al Arabiya", None, []),
    ("a5", "<script>alert('x')</script> موسكو & \"الشرق\"",
     "نص فيه <b>موسكو</b> & علامات \"اقتباس\" و<img src=x onerror=alert(1)> ثم الاقتصاد.",
     "France 24 Arabic", "2018-05-20", []),
    ("a6", "الأسد يزور موسكو ويلتقي بوتين في الكرملين",
     "التقى الرئيس الروسي بوتين في الكرملين الرئيس السوري الأسد خلال زيارة إلى موسكو لبحث التعاون بين البلدين "
     "في الاقتصاد والطاقة.",
     "CNN Arabic", "2018-03-11", [PUTIN, ASSAD]),
    ("a7", "قمة في هلسنكي",
     "عقد الرئيس الروسي بوتين قمة مع نظيره الأمريكي ترامب في هلسنكي، وتحدث الرئيس الروسي عن العلاقات.",
     "BBC Arabic", "2018-07-16", [PUTIN, TRUMP]),
    ("a8", "الروسي والرئيس",
     "كتب الصحفي الروسي مقالا عن الرئيس الفرنسي وعن الانتخابات المقبلة في باريس.",
     "France 24 Arabic", "2018-07-20", []),
]


def _records() -> list[dict]:
    return [{"id": i, "title": t, "body": b, "source": s, "date": d, "persons": p}
            for i, t, b, s, d, p in ARTICLES]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    base = tmp_path_factory.mktemp("search")
    data = base / "articles.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in _records()) + "\n", encoding="utf-8")
    index = base / "index"
    summary = rebuild_index([data, seeds_dir], index, workers=1)
    assert summary.indexed == len(ARTICLES) + 5
    return index


@pytest.fixture(scope="module")
def archive(index_dir: Path) -> Archive:
    return Archive.open(index_dir)


@pytest.fixture(scope="module")
def indexed(index_dir: Path, seeds_dir: Path) -> dict[str, Article]:
    """The Article records as ingestion makes them from the same inputs (canonical outlet names and all),
    computed without the index: the independent side of the facet checks."""
    report = IngestReport()
    return {a.id: a for a in iter_articles([index_dir.parent / "articles.jsonl", seeds_dir], report)}


def outlet(name: str) -> str:
    return canonical_source(name)


def ids(result) -> set[str]:
    return {hit.id for hit in result.hits}


def all_ids(archive: Archive, query: str, **options) -> set[str]:
    return {row["id"] for row in archive.iter_matches(query, **options)}


def test_prefixed_form_finds_the_same_articles(archive: Archive) -> None:
    plain = all_ids(archive, "موسكو")
    assert {"a1", "a3", "a4", "a5", "a6"} <= plain
    assert all_ids(archive, "لموسكو") == plain
    assert all_ids(archive, "بموسكو") == plain
    assert archive.search("لموسكو").normalized_query == "موسكو"


def test_words_are_anded_by_default(archive: Archive) -> None:
    result = archive.search("بوتين ترامب", limit=50)
    assert result.match_used == "all" and not result.fell_back
    assert ids(result) == {"a7"}


def test_no_article_with_all_words_falls_back_to_any_and_says_so(archive: Archive) -> None:
    result = archive.search("هلسنكي معرض", limit=50)
    assert result.fell_back and result.match_used == "any"
    assert result.notice is not None and FALLBACK_NOTICE in result.notice
    assert ids(result) == {"a4", "a7"}


def test_match_all_is_never_relaxed(archive: Archive) -> None:
    result = archive.search("هلسنكي معرض", match="all")
    assert result.total == 0 and not result.fell_back


def test_match_any_ranks_articles_with_more_words_first(archive: Archive) -> None:
    result = archive.search("الكرملين هلسنكي الأسد", match="any", limit=50)
    assert not result.fell_back and result.match_used == "any"
    assert result.hits[0].id in {"a1", "a6"}
    assert "a7" in ids(result)


def test_person_filter_narrows_to_articles_naming_any_chosen_person(
        archive: Archive, indexed: dict[str, Article]) -> None:
    everything = all_ids(archive, "الرئيس")
    with_trump = all_ids(archive, "الرئيس", persons=[TRUMP])
    assert with_trump == {"a2", "a7"} & everything
    either = all_ids(archive, "", persons=[TRUMP, ASSAD])
    assert {"a1", "a2", "a6", "a7"} <= either
    assert either == {a.id for a in indexed.values() if {TRUMP, ASSAD} & set(a.persons)}
    # one name as a plain string is that name
    assert all_ids(archive, "", persons=TRUMP) == all_ids(archive, "", persons=[TRUMP])
    # a typed short form finds the canonical name
    assert all_ids(archive, "", persons=["ترامب"]) == all_ids(archive, "", persons=[TRUMP])


def test_source_filter_is_any_of_the_chosen(archive: Archive) -> None:
    assert all_ids(archive, "", sources=["BBC Arabic"]) == {"a3", "a7"}
    assert all_ids(archive, "", sources=["BBC Arabic", "Al Arabiya"]) == {"a3", "a4", "a7"}
    assert all_ids(archive, "", sources=[outlet("BBC Arabic")]) == {"a3", "a7"}  # the canonical name itself


def test_date_range_excludes_undated_unless_asked(archive: Archive, indexed: dict[str, Article]) -> None:
    april_on = all_ids(archive, "موسكو", date_from=datetime.date(2018, 4, 1))
    assert "a4" not in april_on and {"a3", "a5"} <= april_on and "a1" not in april_on
    with_undated = all_ids(archive, "موسكو", date_from=datetime.date(2018, 4, 1), include_undated=True)
    undated = {i for i in all_ids(archive, "موسكو") if indexed[i].published is None}
    assert "a4" in undated
    assert with_undated == april_on | undated
    march = all_ids(archive, "", date_from=datetime.date(2018, 3, 1), date_to=datetime.date(2018, 3, 31))
    assert march == {"a1", "a2", "a6"}
    # no range: undated articles are in
    assert "a4" in all_ids(archive, "موسكو")


def test_field_filters_in_the_query(archive: Archive) -> None:
    assert all_ids(archive, 'موسكو source:"BBC Arabic"') == {"a3"}
    assert all_ids(archive, "source:bbc") == {"a3", "a7"}  # any case, part of the name
    assert all_ids(archive, "person:ترامب") == {"a2", "a7"}
    assert all_ids(archive, "title:موسكو") >= {"a4", "a5", "a6"}
    assert "a1" not in all_ids(archive, "title:موسكو")  # only its body names Moscow


def test_boolean_operators(archive: Archive) -> None:
    assert all_ids(archive, "هلسنكي OR معرض") == {"a4", "a7"}
    assert all_ids(archive, "هلسنكي أو معرض") == {"a4", "a7"}
    assert "a3" not in all_ids(archive, "بوتين -الاقتصاد")
    assert all_ids(archive, "بوتين NOT الاقتصاد") == all_ids(archive, "بوتين -الاقتصاد")
    assert all_ids(archive, "(هلسنكي OR معرض) -الكتاب") == {"a7"}


def test_phrase_needs_the_words_adjacent_and_in_order(archive: Archive) -> None:
    phrase = all_ids(archive, '"الرئيس الروسي"')
    assert {"a1", "a6", "a7"} <= phrase
    assert "a8" not in phrase  # both words, not side by side
    assert "a8" in all_ids(archive, "الرئيس الروسي")
    assert all_ids(archive, '"الروسي الرئيس"').isdisjoint({"a1", "a7"})
    # a stop word inside the phrase: the index and the query number positions alike
    assert "a6" in all_ids(archive, '"زيارة إلى موسكو"')
    assert "a1" not in all_ids(archive, '"زيارة إلى موسكو"')


def test_prefix_search_typed_as_the_surface_word_meets_its_stemmed_terms(archive: Archive) -> None:
    # سوريا، السوري، سوريين are all indexed as the term سور: the prefix the user types is longer than the stem
    syria = all_ids(archive, "سوريا") | all_ids(archive, "السوري")
    assert syria
    assert syria <= all_ids(archive, "سوري*")
    assert all_ids(archive, "السوري*") == all_ids(archive, "سوري*")


def test_prefix_search_expands_to_index_terms(archive: Archive) -> None:
    found = all_ids(archive, "اقتصا*")
    assert {"a1", "a3", "a5", "a6"} <= found
    assert all_ids(archive, "الاقتصا*") == found


@pytest.mark.parametrize("query", [
    '"موسكو', "(موسكو", "موسكو)", "AND", "OR موسكو", "موسكو NOT", "foo:موسكو", "*", "**", "title:",
    "موسكو" * 2000, "موسكو " * 3000, "\x00\x01موسكو\x7f", "<script>alert(1)</script>", "'; DROP TABLE x; --",
    "((((((((((((((((((((موسكو", "))))", '""', "-", "- -", "person:", "source:\"", "\u200f\u200eموسكو",
    "موسكو*" + "*" * 100, "ا*", "%s%s%n", "{}[]$^", "\\", "\ud800",
])
def test_malformed_queries_never_fail_and_keep_their_words(archive: Archive, query: str) -> None:
    result = archive.search(query)
    json.dumps(result.to_dict(), ensure_ascii=False)  # serializable
    if "موسكو" in query and query.count("موسكو") < 2000:
        assert result.total > 0, (query, result.notice)


def test_sort_orders(archive: Archive) -> None:
    newest = archive.search("", sort="newest", limit=50).hits
    days = [h.date for h in newest if h.date]
    assert days == sorted(days, reverse=True)
    assert all(h.date is None for h in newest[len(days):])  # undated last
    oldest = archive.search("", sort="oldest", limit=50).hits
    days = [h.date for h in oldest if h.date]
    assert days == sorted(days)
    relevance = archive.search("موسكو", sort="relevance", limit=50).hits
    scores = [h.score for h in relevance]
    assert scores == sorted(scores, reverse=True)


def test_empty_query_browses_everything_newest_first(archive: Archive) -> None:
    result = archive.search("")
    assert result.total == len(ARTICLES) + 5
    assert result.sort == "newest"
    assert result.hits[0].date == max(h.date for h in archive.search("", limit=100).hits if h.date)


def test_pages_partition_the_results(archive: Archive) -> None:
    total = archive.search("", limit=100)
    seen = []
    for page in range(1, 6):
        seen.extend(h.id for h in archive.search("", limit=3, page=page).hits)
    assert seen == [h.id for h in total.hits]
    assert len(seen) == len(set(seen)) == total.total
    relevance = [h.id for p in (1, 2, 3) for h in archive.search("الرئيس", limit=2, page=p).hits]
    assert relevance == [h.id for h in archive.search("الرئيس", limit=6).hits]
    assert archive.search("موسكو", page=99).hits == []


def test_snippet_escapes_html_and_marks_the_articles_own_words(archive: Archive) -> None:
    result = archive.search("لموسكو", limit=50)
    hit = next(h for h in result.hits if h.id == "a5")
    assert "<script>" not in hit.snippet and "<img" not in hit.snippet and "<b>" not in hit.snippet
    assert "&lt;b&gt;<mark>موسكو</mark>&lt;/b&gt;" in hit.snippet
    assert "<script>" not in hit.title_html and "&lt;script&gt;" in hit.title_html
    # outside the marks there is no markup at all
    assert re.sub(r"</?mark>", "", hit.snippet).count("<") == 0
    a1 = next(h for h in result.hits if h.id == "a1")
    assert "<mark>لموسكو</mark>" in a1.snippet  # the article's own word, prefix and all
    assert html.unescape(re.sub(r"</?mark>", "", a1.snippet)).replace("… ", "") in a1.plain_snippet.replace("… ", "")


def test_snippet_keeps_vowel_marks_inside_the_mark(archive: Archive, tmp_path: Path) -> None:
    from archive.search.snippets import make_snippet

    snippet, plain = make_snippet("استقبل مُحَمَّد ضيوفه في مُوسْكُو أمس", set(analyze_terms("محمد موسكو")))
    assert "<mark>مُحَمَّد</mark>" in snippet and "<mark>مُوسْكُو</mark>" in snippet
    assert "<" not in plain


def test_highlight_body_marks_every_occurrence_and_keeps_paragraphs(
        archive: Archive, indexed: dict[str, Article]) -> None:
    body = archive.highlight_body("a6", "موسكو بوتين")
    assert body.count("<mark>") == 2 and "<mark>بوتين</mark>" in body
    seed = next(a for a in indexed.values() if "\n" in a.body and "بوتين" in a.body)
    full = archive.highlight_body(seed.id, "بوتين")
    assert "\n" in full and "<mark>" in full
    assert archive.highlight_body("no-such-id", "بوتين") == ""


def test_did_you_mean_for_a_misspelled_word(archive: Archive) -> None:
    result = archive.search("موسكوا")
    assert result.total == 0 or result.fell_back is False
    if result.total == 0:
        assert "موسكو" in result.suggestions
    assert "الكرملين" in archive.suggest("الكرملبن") or "كرملين" in " ".join(archive.suggest("الكرملبن"))
    assert archive.suggest("موسكو") == []  # nothing to correct


def test_did_you_mean_rewrites_only_the_part_of_a_huge_query_that_is_read(archive: Archive) -> None:
    from archive.search.query import MAX_QUERY_CHARS

    for query in ["الكرملبن " + "x" * 10_000, "الكرملبن " * 3_000]:
        suggestions = archive.suggest(query)
        assert suggestions, query[:30]
        assert all(len(s) <= MAX_QUERY_CHARS for s in suggestions)
        assert all(s.startswith(("الكرملين", "كرملين")) for s in suggestions)


def test_filters_that_exclude_every_match_say_so_instead_of_claiming_a_fallback(archive: Archive) -> None:
    words = archive.search("بوتين موسكو")
    assert words.total > 0
    result = archive.search("بوتين موسكو", date_from=datetime.date(2090, 1, 1))
    assert result.total == 0 and not result.fell_back and not result.hits
    assert "some of them" not in (result.notice or "")
    # it names the filter that was set, not filters that were not
    assert f"{words.total} articles match without the date filter" in (result.notice or "")
    both = archive.search("بوتين موسكو", sources=[words.facets["source"][0][0]], date_from=datetime.date(2090, 1, 1))
    assert f"{words.total} articles match without the outlet and date filters" in (both.notice or "")
    assert "دون مرشّحات المصادر والتاريخ" in " ".join(both.notices_in("ar"))


def test_similar_articles_share_the_story(archive: Archive) -> None:
    similar = archive.similar("a1", limit=3)
    assert "a6" in [h.id for h in similar]  # the seeds tell the same story too
    assert all(h.id != "a1" for h in similar)
    assert archive.similar("missing") == []


def test_same_story_is_another_outlet_close_in_time(archive: Archive) -> None:
    same = archive.same_story("a1")
    assert [h.id for h in same][:1] == ["a6"]
    assert all(h.source != outlet("Sky News Arabia") for h in same)
    assert "a3" not in {h.id for h in same}  # a different story three weeks later


def test_get_returns_the_stored_article(archive: Archive) -> None:
    article = archive.get("a1")
    assert article is not None
    assert article.title == ARTICLES[0][1] and article.source == outlet("Sky News Arabia")
    assert article.published == datetime.date(2018, 3, 10) and set(article.persons) == {PUTIN, ASSAD}
    assert archive.get("nope") is None


def test_iter_matches_yields_every_match_with_body(archive: Archive) -> None:
    rows = list(archive.iter_matches("موسكو"))
    assert len(rows) == archive.search("موسكو").total
    assert set(rows[0]) == {"id", "title", "source", "date", "persons", "url", "body", "places", "organizations"}


def test_facets_are_exact_against_the_records(archive: Archive, indexed: dict[str, Article]) -> None:
    for query in ["موسكو", "الرئيس", "الاقتصاد", "بوتين"]:
        result = archive.search(query, limit=1)
        # independent: the articles whose analysed text holds the query's term
        term = analyze_terms(query)[0]
        matched = [a for a in indexed.values() if term in analyze_terms(a.title + " " + a.body)]
        assert {a.id for a in matched} == all_ids(archive, query)
        assert result.total == len(matched)
        assert dict(result.facets["source"]) == dict(Counter(a.source for a in matched if a.source))
        assert dict(result.facets["person"]) == dict(Counter(p for a in matched for p in a.persons))
        assert dict(result.facets["month"]) == dict(
            Counter(a.published.isoformat()[:7] if a.published else None for a in matched))


def test_facets_count_all_matches_not_the_page(archive: Archive) -> None:
    result = archive.search("", limit=1)
    assert sum(n for _, n in result.facets["month"]) == result.total
    assert len(result.hits) == 1


def test_to_dict_is_the_design_object(archive: Archive) -> None:
    data = archive.search("موسكو", limit=2).to_dict()
    # the design's keys first, with their meaning; `notices` is an extra top-level key (the design allows them)
    assert list(data)[:6] == ["query", "total", "took_ms", "hits", "facets", "notices"]
    # and the other spellings of the facet's people (a registered person's: موسكو's articles name بوتين)
    assert list(data)[6:] == ["person_spellings"]
    assert data["person_spellings"]["فلاديمير بوتين"] == ["فلاديمير فلاديميروفيتش بوتين", "بوتين", "Vladimir Putin",
                                                          "Putin"]
    # DESIGN.md's keys, and the place and organization facets it allows to be added
    assert set(data["hits"][0]) == {"id", "title", "source", "date", "persons", "score", "snippet", "places",
                                    "organizations"}
    assert set(data["facets"]) == {"person", "source", "month", "place", "organization"}
    undated = archive.search("معرض").to_dict()
    assert [None, 1] in undated["facets"]["month"]
    assert undated["hits"][0]["date"] is None


def test_stats_counts_the_index(archive: Archive, indexed: dict[str, Article]) -> None:
    stats = archive.stats()
    assert stats["articles"] == len(ARTICLES) + 5
    assert stats["sources"][outlet("BBC Arabic")] == 2 and stats["sources"][outlet("CNN Arabic")] == 2
    assert stats["people"][PUTIN] == sum(PUTIN in a.persons for a in indexed.values()) >= 4
    assert stats["index_bytes"] > 0 and stats["built_at"]
    assert stats["date_range"][0] <= "2018-03-10"
    json.dumps(stats, ensure_ascii=False)


def test_archive_is_safe_to_share_between_threads(archive: Archive) -> None:
    expected = {q: archive.search(q, limit=5).to_dict()["hits"] for q in ["موسكو", "بوتين", "ترامب", ""]}
    errors = []

    def worker() -> None:
        try:
            for _ in range(30):
                for query, hits in expected.items():
                    archive.clear_caches()
                    assert archive.search(query, limit=5).to_dict()["hits"] == hits
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_reload_picks_up_an_added_article(tmp_path: Path, seeds_dir: Path) -> None:
    index = tmp_path / "index"
    rebuild_index([seeds_dir], index, workers=1)
    archive = Archive.open(index)
    assert archive.search("هلسنكي").total == 0
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps(_records()[6], ensure_ascii=False) + "\n", encoding="utf-8")
    add_to_index([extra], index)
    assert archive.search("هلسنكي").total == 0  # the open snapshot is unchanged
    assert archive.reload_if_changed() is True
    assert archive.search("هلسنكي").total == 1
    assert archive.reload_if_changed() is False
    # an update replaces the article: still one match, with the new title
    updated = dict(_records()[6], title="قمة هلسنكي الجديدة")
    extra.write_text(json.dumps(updated, ensure_ascii=False) + "\n", encoding="utf-8")
    add_to_index([extra], index)
    assert archive.reload_if_changed()
    result = archive.search("هلسنكي")
    assert result.total == 1 and result.hits[0].title == "قمة هلسنكي الجديدة"
    assert dict(result.facets["source"]) == {outlet("BBC Arabic"): 1}


def test_reload_picks_up_a_rebuild(tmp_path: Path, seeds_dir: Path) -> None:
    index = tmp_path / "index"
    rebuild_index([seeds_dir], index, workers=1)
    archive = Archive.open(index)
    before = archive.search("").total
    data = tmp_path / "a.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in _records()) + "\n", encoding="utf-8")
    rebuild_index([data], index, workers=1)
    assert archive.search("").total == before  # old generation still readable
    assert archive.reload_if_changed()
    assert archive.search("").total == len(ARTICLES)


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    from archive.errors import IndexMissingError

    with pytest.raises(IndexMissingError, match="rebuild-index"):
        Archive.open(tmp_path / "nothing-here")


def test_unknown_person_or_outlet_says_so(archive: Archive) -> None:
    assert "no outlet" in (archive.search("source:nowhere").notice or "")
    assert "no article names a person" in (archive.search("", persons=["نكرة تماما"]).notice or "")


def test_fallback_with_a_misspelled_word_suggests_the_fix(archive: Archive) -> None:
    result = archive.search("هلسنكب معرض")
    assert result.fell_back and result.total == 1
    assert "هلسنكي معرض" in result.suggestions


def test_arrays_cache_file_is_written_reused_and_replaced_after_add(tmp_path: Path, seeds_dir: Path) -> None:
    from archive.index.store import ARRAYS_CACHE_PREFIX

    index = tmp_path / "index"
    rebuild_index([seeds_dir], index, workers=1)
    first = Archive.open(index)
    caches = list(first.path.glob(ARRAYS_CACHE_PREFIX + "*.npz"))
    assert len(caches) == 1
    facets = first.search("").facets
    again = Archive.open(index)  # reads the file
    assert again.search("").facets == facets
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps(_records()[6], ensure_ascii=False) + "\n", encoding="utf-8")
    add_to_index([extra], index)
    after = Archive.open(index)
    assert after.search("").total == first.search("").total + 1
    assert [p.name for p in after.path.glob(ARRAYS_CACHE_PREFIX + "*.npz")] != [caches[0].name]
    assert len(list(after.path.glob(ARRAYS_CACHE_PREFIX + "*.npz"))) == 1
    # a damaged cache file is ignored and rewritten
    cache = next(after.path.glob(ARRAYS_CACHE_PREFIX + "*.npz"))
    cache.write_bytes(b"not a zip file")
    assert Archive.open(index).search("").total == after.search("").total
