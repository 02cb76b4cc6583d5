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
from browser_support import HOSTILE_RECORD, build_test_index
from streamlit.testing.v1 import AppTest

from archive.interfaces import ui

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_index(tmp_path_factory.mktemp("app-index"))


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
    assert card_ids(app) == [hit.id for hit in archive.search("", sort="newest").hits]


# ---------------------------------------------------------------- facets


def test_person_facet_lists_counts_and_filters(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    app.text_input(key="w_q").input("موسكو").run()
    box = app.multiselect(key="w_person")
    expected = dict(archive.search("موسكو").facets["person"])
    top = box.options[0]
    name = top.rsplit(" (", 1)[0]
    assert top == f"{name} ({expected[name]})", "the option label carries the facet count"
    assert expected[name] == max(expected.values()), "the most frequent person comes first"
    box.select(name).run()
    filtered = archive.search("موسكو", persons=[name])
    assert total_of(app) == filtered.total == expected[name]
    assert qp(app, "person") == [name]
    # the other facets now count only within the chosen person's articles
    source_labels = app.multiselect(key="w_source").options
    assert sum(int(label.rsplit("(", 1)[1].rstrip(")")) for label in source_labels) <= filtered.total


def test_source_facet_filters_and_keeps_other_sources_choosable(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    sources = dict(archive.search("").facets["source"])
    name = "سانا"
    app.multiselect(key="w_source").select(name).run()
    assert total_of(app) == sources[name]
    # its own facet still offers the other outlets with their counts over the whole query ("any of the chosen")
    labels = app.multiselect(key="w_source").options
    assert f"سبوتنيك ({sources['سبوتنيك']})" in labels
    app.multiselect(key="w_source").select("سبوتنيك").run()
    assert total_of(app) == sources[name] + sources["سبوتنيك"]
    assert qp(app, "source") == [name, "سبوتنيك"]


def test_date_range_filters_and_undated_can_be_added_back(app: AppTest, archive) -> None:  # type: ignore[no-untyped-def]
    run(app)
    assert app.checkbox(key="w_undated").disabled, "undated only means something with a range"
    span = (datetime.date(2023, 2, 1), datetime.date(2023, 3, 31))
    app.date_input(key="w_dates").set_value(span).run()
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
    pager = app.pagination(key="w_page")
    total = archive.stats()["articles"]
    assert pager.num_pages == -(-total // ui.PAGE_SIZE)
    pager.set_value(2).run()
    assert card_ids(app) == [hit.id for hit in archive.search("", page=2, limit=ui.PAGE_SIZE).hits]
    assert qp(app, "page") == ["2"]
    # a new query starts again at page 1
    app.text_input(key="w_q").input("بوتين").run()
    assert "page" not in app.query_params
    assert card_ids(app) == [hit.id for hit in archive.search("بوتين").hits]


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
    assert app.multiselect(key="w_source").value == ["سانا"]
    assert app.date_input(key="w_dates").value == (datetime.date(2023, 1, 1), datetime.date(2023, 12, 31))
    expected = archive.search("موسكو", sources=["سانا"], sort="oldest", date_from=datetime.date(2023, 1, 1),
                              date_to=datetime.date(2023, 12, 31))
    assert total_of(app) == expected.total
    assert card_ids(app) == [hit.id for hit in expected.hits]


def test_language_switch_changes_interface_labels(app: AppTest) -> None:
    run(app)
    assert app.title[0].value == ui.label("app_title", "ar")
    app.button_group(key="w_lang").set_value("en").run()
    assert app.title[0].value == ui.label("app_title", "en")
    assert app.multiselect(key="w_person").label == "People"
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
