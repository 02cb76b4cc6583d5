"""The browser app driven by streamlit.testing (AppTest) on an index built from the seeds, their paragraphs as
articles of their own (for paging and facets), and a hostile article; plus the presentation helpers of
archive/interfaces/ui.py.
"""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest
from browser_support import HOSTILE_RECORD
from streamlit.testing.v1 import AppTest

from archive.interfaces import ui

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def index_dir(test_index_dir: Path) -> Path:
    """conftest.py's test index (tests/browser_support.py: build_test_index), shared with the other app tests."""
    return test_index_dir


@pytest.fixture(scope="module")
def archive(index_dir: Path):  # type: ignore[no-untyped-def]
    from archive.search.archive import Archive

    return Archive.open(index_dir)


@pytest.fixture
def app(index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("NEWS_ARCHIVE_INDEX", str(index_dir))
    return AppTest.from_file(APP, default_timeout=60)


def run(at: AppTest, **query_params: str | list[str]) -> AppTest:
    for name, value in query_params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def qp(at: AppTest, name: str) -> list[str]:
    """A URL parameter of the page as a list (one value or several)."""
    value = at.query_params.get(name, [])
    return [value] if isinstance(value, str) else list(value)


def html_of(at: AppTest) -> str:
    return "\n".join(element.value for element in at.get("html"))


def card_ids(at: AppTest) -> list[str]:
    """The article ids of the result cards shown, in order (from their "read" buttons)."""
    return [b.key.removeprefix("open_") for b in at.button if b.key and b.key.startswith("open_")]


def facet_boxes(at: AppTest, facet: str) -> list:  # type: ignore[type-arg]
    """The checkboxes of a facet list, in the order shown."""
    return [box for box in at.checkbox if box.key and box.key.startswith(f"w_fv_{facet}_")]


def facet_box(at: AppTest, facet: str, name: str):  # type: ignore[no-untyped-def]
    return next(box for box in facet_boxes(at, facet) if box.label.rsplit(" (", 1)[0] == name)


def box_count(label: str) -> int:
    return int(label.rsplit("(", 1)[1].rstrip(")").replace(",", ""))


def count_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**"))


def total_of(at: AppTest) -> int:
    """The total shown on the page ("**عدد المقالات: 33** · ...")."""
    line = count_line(at).split("**")[1]
    digits = "".join(ch for ch in line if ch.isdigit())
    return 1 if not digits else int(digits)


# ---------------------------------------------------------------- search box


def test_search_box_shows_total_normalized_query_and_highlights(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    app.text_input(key="w_q").input("لموسكو").run()
    expected = archive.search("لموسكو")
    assert total_of(app) == expected.total > 0
    page = html_of(app)
    # the user sees why لموسكو found موسكو
    assert '<code class="na-term">موسكو</code>' in page
    assert "<mark>" in page
    assert card_ids(app) == [hit.id for hit in expected.hits]
    assert qp(app, "q") == ["لموسكو"]


def test_example_query_button_runs_that_query(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    example = ui.example_queries()[0]
    app.button(key=f"example_{example}").click().run()
    assert app.text_input(key="w_q").value == example
    assert total_of(app) == archive.search(example).total


def test_empty_query_browses_everything_newest_first(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    assert total_of(app) == archive.stats()["articles"]
    assert card_ids(app) == [hit.id for hit in archive.search("", sort="newest", collapse=True).hits]


# ---------------------------------------------------------------- facets


def test_person_facet_lists_counts_and_filters(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    app.text_input(key="w_q").input("موسكو").run()
    expected = dict(archive.search("موسكو").facets["person"])
    boxes = facet_boxes(app, "person")
    top = boxes[0].label
    name = top.rsplit(" (", 1)[0]
    assert top == f"{name} ({expected[name]})", "each value is listed with its count, one click away"
    assert expected[name] == max(expected.values()), "the most frequent person comes first"
    assert len(boxes) == min(ui.FACET_TOP, len(expected))
    boxes[0].check().run()
    filtered = archive.search("موسكو", persons=[name])
    assert total_of(app) == filtered.total == expected[name]
    assert qp(app, "person") == [name]
    # the chosen value is listed first, checked; the other facets now count only within its articles
    assert facet_boxes(app, "person")[0].label.startswith(name) and facet_boxes(app, "person")[0].value
    assert sum(box_count(b.label) for b in facet_boxes(app, "source")) <= filtered.total


def test_facet_list_finds_values_and_shows_more(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    people = [name for name, _ in archive.search("", facet_limit=200).facets["person"]]
    assert len(people) > ui.FACET_TOP, "the test index has more people than the list shows at once"
    assert len(facet_boxes(app, "person")) == ui.FACET_TOP
    app.button(key="more_person").click().run()
    assert len(facet_boxes(app, "person")) == min(len(people), ui.FACET_MORE)
    # search in the facet: a value far down the list, found by part of its name
    wanted = people[-1]
    app.text_input(key="w_find_person").input(wanted.split()[-1]).run()
    labels = [b.label.rsplit(" (", 1)[0] for b in facet_boxes(app, "person")]
    assert wanted in labels and len(labels) < len(people)


def test_a_person_shows_the_spellings_its_entry_stands_for(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    """بوتين's articles also write بوتين alone or Putin: the people list says so beside the name (tooltip), under
    the chosen name, and the list's box finds him by a Latin spelling."""
    putin = "فلاديمير بوتين"
    assert putin in dict(archive.search("موسكو").facets["person"]), "the seeds' Moscow articles name Putin"
    run(app, q="موسكو")
    # typed in Latin letters, the list's box finds the person
    app.text_input(key="w_find_person").input("Putin").run()
    assert [b.label.rsplit(" (", 1)[0] for b in facet_boxes(app, "person")] == [putin]
    app.text_input(key="w_find_person").input("").run()
    box = next(b for b in facet_boxes(app, "person") if b.label.startswith(putin))
    assert "Putin" in box.help and "بوتين" in box.help, "the listed person's spellings, as its tooltip"
    assert not [c for c in app.sidebar.caption if "يُكتب أيضًا" in c.value], "no note before a person is chosen"
    box.check().run()
    captions = [c.value for c in app.sidebar.caption]
    assert any("يُكتب أيضًا" in c and "Putin" in c and "Vladimir Putin" in c for c in captions), captions
    # the charts name the chosen person's spellings under the people chart
    app.button_group(key="w_panel").set_value("charts").run()
    assert any(c.value.startswith(f"{putin} — ") and "Putin" in c.value for c in app.main.caption)


def test_source_facet_filters_and_keeps_other_sources_choosable(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    sources = dict(archive.search("").facets["source"])
    name = "سانا"
    facet_box(app, "source", name).check().run()
    assert total_of(app) == sources[name]
    # its own facet still offers the other outlets with their counts over the whole query ("any of the chosen")
    assert f"سبوتنيك ({sources['سبوتنيك']})" in [b.label for b in facet_boxes(app, "source")]
    facet_box(app, "source", "سبوتنيك").check().run()
    assert total_of(app) == sources[name] + sources["سبوتنيك"]
    assert qp(app, "source") == [name, "سبوتنيك"]
    facet_box(app, "source", name).uncheck().run()
    assert total_of(app) == sources["سبوتنيك"]


def test_date_range_filters_and_undated_can_be_added_back(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    assert app.checkbox(key="w_undated").disabled, "undated only means something with a range"
    span = (datetime.date(2023, 2, 1), datetime.date(2023, 3, 31))
    app.date_input(key="w_date_from").set_value(span[0]).run()
    app.date_input(key="w_date_to").set_value(span[1]).run()
    in_range = archive.search("", date_from=span[0], date_to=span[1])
    assert total_of(app) == in_range.total
    assert qp(app, "from") == ["2023-02-01"] and qp(app, "to") == ["2023-03-31"]
    app.checkbox(key="w_undated").check().run()
    assert total_of(app) == archive.search("", date_from=span[0], date_to=span[1], include_undated=True).total
    assert total_of(app) > in_range.total


def test_clear_filters_restores_everything(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app, source="سانا", person="بشار الأسد")
    assert total_of(app) == archive.search("", sources=["سانا"], persons=["بشار الأسد"]).total
    app.button(key="clear_filters").click().run()
    assert total_of(app) == archive.stats()["articles"]
    assert "source" not in app.query_params and "person" not in app.query_params


# ---------------------------------------------------------------- paging and sorting


def test_paging_moves_through_results(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    total = archive.stats()["articles"]
    pages = -(-total // ui.PAGE_SIZE)
    assert app.button(key=f"page_{pages}") and app.button(key="page_prev").disabled
    app.button(key="page_2").click().run()
    assert card_ids(app) == [hit.id for hit in archive.search("", page=2, limit=ui.PAGE_SIZE, collapse=True).hits]
    assert qp(app, "page") == ["2"]
    app.button(key="page_next").click().run()
    assert qp(app, "page") == ["3"]
    # a new query starts again at page 1
    app.text_input(key="w_q").input("بوتين").run()
    assert "page" not in app.query_params
    assert card_ids(app) == [hit.id for hit in archive.search("بوتين", collapse=True).hits]


@pytest.mark.parametrize("sort", ["oldest", "newest", "relevance"])
def test_sort_orders_results(app: AppTest, archive, sort: str) -> None:  # type: ignore[no-untyped-def]
    run(app, q="موسكو")
    app.button_group(key="w_sort").set_value(sort).run()
    assert card_ids(app) == [hit.id for hit in archive.search("موسكو", sort=sort).hits]


# ---------------------------------------------------------------- article view


def test_article_view_shows_highlighted_body_and_goes_back(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app, q="الكرملين")
    first = card_ids(app)[0]
    app.button(key=f"open_{first}").click().run()
    assert qp(app, "article") == [first]
    page = html_of(app)
    assert archive.highlight_body(first, "الكرملين").split("\n")[0].strip()[:60] in page
    assert "<mark>" in page
    assert app.button(key="back")
    app.button(key="back").click().run()
    assert "article" not in app.query_params
    assert card_ids(app)[0] == first


def test_article_view_lists_same_story_and_similar(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    article_id = archive.search("الأسد بوتين").hits[0].id
    run(app, article=article_id)
    expected = [f"same_{h.id}" for h in archive.same_story(article_id, limit=5)]
    expected += [f"similar_{h.id}" for h in archive.similar(article_id, limit=5)]
    shown = [b.key for b in app.button if b.key and b.key.startswith(("same_", "similar_"))]
    assert shown == expected


def test_unknown_article_id_says_so(app: AppTest) -> None:
    run(app, article="no-such-article")
    assert any("غير موجودة" in w.value for w in app.warning)


# ---------------------------------------------------------------- hostile text


def test_hostile_article_is_shown_as_text_everywhere(app: AppTest) -> None:
    run(app, q="بوتين", source=str(HOSTILE_RECORD["source"]))
    page = html_of(app)
    assert card_ids(app) == ["hostile-1"]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    for raw in ("<script", "<img", "onerror=\"", "<b onmouseover"):
        assert raw not in page.split("<style>")[-1].split("</style>")[-1], raw
    app.button(key="open_hostile-1").click().run()
    page = html_of(app)
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in page
    assert "<script" not in page and "<img" not in page
    assert "javascript:" not in page, "a javascript: URL never becomes a link"


# ---------------------------------------------------------------- URL state, language, empty states


def test_bookmarked_url_restores_the_search(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app, q="موسكو", source="سانا", sort="oldest", **{"from": "2023-01-01", "to": "2023-12-31"})
    assert app.text_input(key="w_q").value == "موسكو"
    assert facet_box(app, "source", "سانا").value
    assert app.date_input(key="w_date_from").value == datetime.date(2023, 1, 1)
    assert app.date_input(key="w_date_to").value == datetime.date(2023, 12, 31)
    expected = archive.search("موسكو", sources=["سانا"], sort="oldest", date_from=datetime.date(2023, 1, 1),
                              date_to=datetime.date(2023, 12, 31))
    assert total_of(app) == expected.total
    assert card_ids(app) == [hit.id for hit in expected.hits]


def test_language_switch_changes_interface_labels(app: AppTest) -> None:
    run(app)
    assert app.title[0].value == ui.label("app_title", "ar")
    app.button_group(key="w_lang").set_value("en").run()
    assert app.title[0].value == ui.label("app_title", "en")
    assert "**People**" in [m.value for m in app.markdown]
    assert qp(app, "lang") == ["en"]


def test_no_results_offers_to_relax_the_filter(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    query = "بيسكوف"
    outlets = [name for name, _ in archive.search("").facets["source"]]
    outlet = next(name for name in outlets if archive.search(query, sources=[name]).total == 0)
    run(app, q=query, source=outlet)
    assert total_of(app) == 0
    relax = app.button(key="relax_source")
    assert f"({archive.search(query).total})" in relax.label
    relax.click().run()
    assert total_of(app) == archive.search(query).total > 0
    assert "source" not in app.query_params


def test_no_index_offers_one_click_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "index"
    monkeypatch.setenv("NEWS_ARCHIVE_INDEX", str(empty))
    at = run(AppTest.from_file(APP, default_timeout=120))
    assert any(str(empty) in info.value for info in at.info)
    at.button(key="build_seeds").click().run()
    assert not at.exception
    assert total_of(at) == len(list((ROOT / "seeds").glob("*.txt")))


def test_broken_index_shows_a_clear_error_not_a_traceback(tmp_path: Path, index_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "index"
    shutil.copytree(index_dir, broken)
    for segment in broken.rglob("*.seg"):
        segment.write_bytes(b"not a segment")
    for toc in broken.rglob("_MAIN_*.toc"):
        toc.write_bytes(b"garbage")
    monkeypatch.setenv("NEWS_ARCHIVE_INDEX", str(broken))
    at = run(AppTest.from_file(APP, default_timeout=60))
    assert at.error, "a broken index is reported"
    assert ui.label("index_error", "ar") in at.error[0].value
    assert at.button(key="build_seeds_after_error")


# ---------------------------------------------------------------- export


def test_export_panel_offers_both_formats(app: AppTest) -> None:
    run(app, q="موسكو")
    app.button_group(key="w_panel").set_value("export").run()
    keys = {button.proto.id.split("-")[-1] for button in app.get("download_button")}
    assert any("export_csv" in k for k in keys) and any("export_jsonl" in k for k in keys)


def test_export_files_hold_every_match(archive) -> None:  # type: ignore[no-untyped-def]
    total = archive.search("موسكو").total
    assert total > ui.PAGE_SIZE, "the export must not be limited to one page"
    lines = ui.export_jsonl(archive.iter_matches("موسكو")).decode("utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == total
    assert set(rows[0]) == set(ui.EXPORT_COLUMNS)
    import csv
    import io

    text = ui.export_csv(archive.iter_matches("موسكو")).decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(table) == total
    assert {row["id"] for row in table} == {row["id"] for row in rows}


def test_charts_panel_draws_coverage_and_people(app: AppTest) -> None:
    run(app, q="موسكو")
    app.button_group(key="w_panel").set_value("charts").run()
    assert not app.exception
    assert len(app.get("arrow_vega_lite_chart")) >= 2 or len(app.get("vega_lite_chart")) >= 2


# ---------------------------------------------------------------- presentation helpers


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ui.ViewState()),
    ({"q": "بوتين", "person": ["بشار الأسد", "بشار الأسد"], "page": "3"},
     ui.ViewState(query="بوتين", persons=["بشار الأسد"], page=3)),
    ({"from": "2023-01-01", "to": "not a date", "sort": "sideways", "page": "-2", "lang": "fr"},
     ui.ViewState(date_from=datetime.date(2023, 1, 1))),
    ({"source": ["سانا", "تاس"], "undated": "1", "from": "2020-05-01", "article": "x1", "lang": "en"},
     ui.ViewState(sources=["سانا", "تاس"], include_undated=True, date_from=datetime.date(2020, 5, 1),
                  article="x1", lang="en")),
])
def test_view_state_reads_urls_and_ignores_malformed_parts(params: dict, expected: ui.ViewState) -> None:
    state = ui.ViewState.from_query_params(params)
    assert state == expected
    assert ui.ViewState.from_query_params(state.to_query_params()) == state


@pytest.mark.parametrize(("url", "linked"), [
    ("https://sana.sy/?p=1", True),
    ("http://example.com/a b", True),
    ("javascript:alert(1)", False),
    (" JavaScript:alert(1)", False),
    ("data:text/html,<script>", False),
    ('https://x.org/"><script>', True),
    (None, False),
])
def test_safe_link_only_links_http(url: str | None, linked: bool) -> None:
    link = ui.safe_link(url, url or "")
    assert bool(link) == linked
    assert "<script" not in link and '"><' not in link


def test_every_label_has_both_languages() -> None:
    for key in ui.all_label_keys():
        for lang in ui.LANGUAGES:
            assert str(ui._label_table()["labels"][key].get(lang) or "").strip(), (key, lang)


# ---------------------------------------------------------------- daily use (issue 11)


def test_back_and_forward_follow_the_url(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    """The browser's Back changes the URL and reruns the page: the page must show the URL's state, not its own."""
    run(app, q="الكرملين")
    results_url = dict(app.query_params)
    first = card_ids(app)[0]
    app.button(key=f"open_{first}").click().run()
    assert qp(app, "article") == [first] and '<h2 class="na-article-title"' in html_of(app)
    # Back: the URL is the results' again (as the browser's history sets it), and the script reruns
    for name in list(app.query_params):
        del app.query_params[name]
    for name, value in results_url.items():
        app.query_params[name] = value
    app.run()
    assert '<h2 class="na-article-title"' not in html_of(app), "the article closes when Back restores the results' URL"
    assert card_ids(app)[0] == first and app.text_input(key="w_q").value == "الكرملين"
    # Forward: the article again
    app.query_params["article"] = first
    app.run()
    assert '<h2 class="na-article-title"' in html_of(app)


def test_the_open_panel_is_in_the_url(app: AppTest) -> None:
    run(app, q="موسكو")
    app.button_group(key="w_panel").set_value("charts").run()
    assert qp(app, "panel") == ["charts"]
    restored = run(AppTest.from_file(APP, default_timeout=60), q="موسكو", panel="export")
    assert restored.button_group(key="w_panel").value == "export"
    assert restored.get("download_button")


def test_metadata_facet_is_listed_and_filters(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    assert "**القسم**" in [m.value for m in app.markdown], "the corpus's category field is the section facet"
    sections = dict(archive.search("").facets["section"])
    facet_box(app, "section", ui.facet_value_name("section", "health", "ar")).check().run()  # صحة
    assert total_of(app) == sections["health"] == archive.search("", facets={"section": ["health"]}).total
    assert qp(app, "facet") == ["section:health"]
    assert len(card_ids(app)) == 1 and card_ids(app)[0] in {"version-a", "version-b"}, "two versions, one result"


def test_versions_of_one_article_are_one_result_that_expands(app: AppTest) -> None:
    run(app, q="مستشفى للأطفال")
    assert card_ids(app) == ["version-a"]
    assert [e.label for e in app.expander if "نسخ" in e.label or "نسختان" in e.label] == ["نسختان من المقالة نفسها"]
    app.button(key="version_version-b").click().run()
    assert qp(app, "article") == ["version-b"]


def test_notices_are_in_arabic_in_the_arabic_interface(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    english = ("did you mean", "no outlet", "articles match", "showing articles", "some of them")
    query = "موسكو كلمةمجهولةتماما"
    assert archive.search(query).fell_back
    run(app, q=query)
    page = html_of(app)
    assert "لا توجد مقالة فيها كل الكلمات" in page
    assert not any(word in page for word in english), "no English notice in the Arabic interface"

    filtered = run(AppTest.from_file(APP, default_timeout=60), q="موسكو", source="وكالة لا وجود لها")
    page = html_of(filtered)
    notices = " ".join(line for line in page.split("\n") if "na-notice" in line)
    assert "لا يوجد في الأرشيف مصدر يطابق «وكالة لا وجود لها»" in notices
    assert f"دون مرشّح المصادر: {archive.search('موسكو').total}" in notices, \
        "the relax notice names the filter that was set"
    assert "الأشخاص" not in notices and "التاريخ" not in notices, "and no filter that was not set"
    assert not any(word in page for word in english)


def test_english_interface_gives_english_notices(app: AppTest) -> None:
    run(app, q="موسكو", source="وكالة لا وجود لها", lang="en")
    assert "no outlet in the archive matches" in html_of(app)


def test_export_preview_names_columns_in_the_interface_language(app: AppTest) -> None:
    run(app, q="موسكو", panel="export")
    frame = app.dataframe[0].value
    assert list(frame.columns)[-4:] == ["الأشخاص", "التاريخ", "المصدر", "العنوان"], "read from the right"
    assert "القسم" in frame.columns
    english = run(AppTest.from_file(APP, default_timeout=60), q="موسكو", panel="export", lang="en")
    assert list(english.dataframe[0].value.columns)[:4] == ["Title", "Outlet", "Date", "People"]


def test_timing_line_only_behind_the_debug_switch(app: AppTest) -> None:
    run(app, q="موسكو")
    assert not [c for c in app.caption if "م.ث" in c.value]
    debug = run(AppTest.from_file(APP, default_timeout=60), q="موسكو", debug="1")
    assert [c for c in debug.caption if "م.ث" in c.value]


def test_charts_say_which_measure_is_shown_and_switch(app: AppTest) -> None:
    run(app, q="موسكو", panel="charts")
    assert any(ui.label("chart_shown_share", "ar") == c.value for c in app.caption)
    app.button_group(key="w_measure").set_value("count").run()
    assert qp(app, "measure") == ["count"]
    assert any(ui.label("chart_shown_count", "ar") == c.value for c in app.caption)


def test_index_panel_dates_read_left_to_right_and_counts_are_whole(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    stats = archive.stats()
    page = html_of(app)
    assert f'<span class="na-date" dir="ltr">{stats["date_range"][0]}</span>' in page
    assert f'<span dir="ltr">{stats["articles"]:,}</span>' in page


def test_histogram_zooms_to_the_matches_with_a_way_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from archive.index.writer import rebuild_index

    records = [{"id": f"z{n}", "title": f"خبر رقم {n} عن موسكو", "source": "سانا",
                # each opening its own words (digits do not count): paragraphs that open alike in many articles
                # of an outlet are learned as boilerplate
                "body": f"ملف {'بتثجحخدذرزسشصضطظعغفقكلمنهوي'[n % 27]}{'بتثجحخدذرزسشصضطظعغفقكلمنهوي'[n // 27]}ان: "
                        "قال المسؤول في موسكو إن المحادثات مستمرة حوله بين الجانبين.",
                "date": f"2018-{1 + n % 6:02d}-10"} for n in range(120)]
    records.append({"id": "old", "title": "خبر قديم عن موسكو", "source": "سانا", "date": "2009-05-01",
                    "body": "خبر قديم عن زيارة إلى موسكو في ذلك العام البعيد، لا علاقة له بالأخبار الأخرى."})
    source = tmp_path / "zoom.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    rebuild_index([source], tmp_path / "index", workers=1)
    monkeypatch.setenv("NEWS_ARCHIVE_INDEX", str(tmp_path / "index"))
    at = run(AppTest.from_file(APP, default_timeout=60), q="موسكو")
    assert any(c.value == ui.label("hist_zoomed", "ar", count="1") for c in at.caption)
    at.button(key="hist_span").click().run()
    assert qp(at, "span") == ["all"]
    assert not any(c.value == ui.label("hist_zoomed", "ar", count="1") for c in at.caption)


def test_histogram_window_drops_only_sparse_ends() -> None:
    months = [("2009-05", 1), *((f"2018-{m:02d}", 20) for m in range(1, 7)), ("2021-01", 1)]
    window, outside = ui.histogram_window(months)
    assert window[0][0] == "2018-01" and window[-1][0] == "2018-06" and outside == 2
    dense = [(f"2018-{m:02d}", 5) for m in range(1, 13)]
    assert ui.histogram_window(dense) == (dense, 0)


@pytest.mark.parametrize(("url", "shown"), [
    ("http://www.alarabiya.net/ar/culture-and-art/2018/02/18/%D9%87%D9%83%D8%B0%D8%A7-%D8%AA%D8%AD%D8%A7%D9%84%D9%81%D8%AA",
     "alarabiya.net/ar/culture-and-art/2018/02/18/هكذا-تحالفت"),
    ("https://sana.sy/?p=1", "sana.sy?p=1"),
])
def test_article_link_shows_the_decoded_domain_and_path(url: str, shown: str) -> None:
    assert ui.display_url(url) == shown
    assert "%D9" not in ui.display_url(url)
    assert len(ui.display_url(url + "/" + "ا" * 200)) <= 70


def test_exports_carry_each_matchs_places_and_organizations(archive) -> None:  # type: ignore[no-untyped-def]
    hits = {hit.id: hit for hit in archive.search("موسكو", limit=1000).hits}
    rows = [json.loads(line) for line in ui.export_jsonl(archive.iter_matches("موسكو")).decode("utf-8").splitlines()]
    assert any(row["places"] for row in rows) and any(row["organizations"] for row in rows)
    for row in rows:
        assert row["places"] == hits[row["id"]].places
        assert row["organizations"] == hits[row["id"]].organizations
    import csv
    import io

    text = ui.export_csv(archive.iter_matches("موسكو")).decode("utf-8").removeprefix("\ufeff")
    table = {row["id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert all(table[row["id"]]["places"] == "; ".join(row["places"]) for row in rows)
