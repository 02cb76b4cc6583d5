"""The app in a real browser: `streamlit run app.py` on a free local port, Debian's chromium through Playwright.

Types an Arabic query, picks a person and an outlet, checks the results and counts on the page against the library,
opens an article, and proves that a hostile article's script does not run. Screenshots go to tests/artifacts/.
Skipped, saying why, when /usr/bin/chromium (`make browser`) or the playwright package is missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import (
    ARTIFACTS,
    HOSTILE_RECORD,
    chromium_missing_reason,
    launch_chromium,
    streamlit_server,
    wait_for_app_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

_missing = chromium_missing_reason()
if _missing:
    pytest.skip(_missing, allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

QUERY = "لموسكو"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def index_dir(test_index_dir: Path) -> Path:
    """conftest.py's test index (tests/browser_support.py: build_test_index), shared with the other app tests."""
    return test_index_dir


@pytest.fixture(scope="module")
def archive(index_dir: Path):  # type: ignore[no-untyped-def]
    from archive.search.archive import Archive

    return Archive.open(index_dir)


@pytest.fixture(scope="module")
def base_url(index_dir: Path) -> Iterator[str]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(index_dir, log_path=ARTIFACTS / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, base_url: str) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ar")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def count_text(total: int) -> str:
    return f"عدد المقالات: {total:,}" if total != 1 else "مقالة واحدة"


def pick(page: Page, facet: str, value: str, count: int) -> None:
    """Tick `value` in a sidebar facet list, as a user would: its line reads "value (count)"."""
    page.locator(f".st-key-facet_{facet}").get_by_text(f"{value} ({count:,})", exact=True).click()


def pwned(page: Page) -> object:
    return page.evaluate("() => window.__pwned")


def test_search_pick_person_and_source_then_read_article(page: Page, base_url: str, archive) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url)
    wait_for_app_idle(page)
    expect(page.get_by_text(count_text(archive.stats()["articles"]))).to_be_visible()
    shot(page, "01-home")

    search = page.get_by_role("textbox", name="البحث")
    search.fill(QUERY)
    search.press("Enter")
    expected = archive.search(QUERY, collapse=True)
    expect(page.get_by_text(count_text(expected.total))).to_be_visible()
    wait_for_app_idle(page)
    # the normalized query says why لموسكو found موسكو; the first result is the library's first hit
    expect(page.locator(".na-term").first).to_have_text("موسكو")
    expect(page.locator(".na-card").first).to_have_attribute("data-article-id", expected.hits[0].id)
    assert page.locator(".na-card mark").count() > 0
    wait_for_app_idle(page)
    shot(page, "02-query")

    person, person_total = expected.facets["person"][0]
    pick(page, "person", person, person_total)
    by_person = archive.search(QUERY, persons=[person], collapse=True)
    expect(page.get_by_text(count_text(by_person.total))).to_be_visible()
    wait_for_app_idle(page)
    source, source_total = by_person.facets["source"][0]
    pick(page, "source", source, source_total)
    both = archive.search(QUERY, persons=[person], sources=[source], collapse=True)
    expect(page.get_by_text(count_text(both.total))).to_be_visible()
    wait_for_app_idle(page)  # stale cards of the previous run stay until this run ends
    ids = page.locator(".na-card").evaluate_all("cards => cards.map(c => c.dataset.articleId)")
    assert ids == [hit.id for hit in both.hits]
    # the chosen person shows with its count among the chosen outlet's matches; the URL can be bookmarked
    person_count = dict(archive.search(QUERY, sources=[source]).facets["person"])[person]
    expect(page.get_by_text(f"{person} ({person_count})")).to_be_visible()
    page.wait_for_url(re.compile(r"person=.*source=|source=.*person="))
    wait_for_app_idle(page)
    shot(page, "03-person-and-source")

    page.get_by_role("button", name="اقرأ المقالة").first.click()
    first = both.hits[0]
    expect(page.locator(".na-article-title")).to_have_text(first.title)
    page.wait_for_url(re.compile(f"article={re.escape(first.id)}"))  # the URL is written as the run ends
    assert page.locator(".na-article-body mark").count() > 0
    wait_for_app_idle(page)
    shot(page, "04-article")
    page.get_by_role("button", name=re.compile("العودة إلى النتائج")).click()
    expect(page.get_by_text(count_text(both.total))).to_be_visible()


def test_hostile_article_script_never_runs(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?q=محسوم")
    wait_for_app_idle(page)
    card = page.locator('.na-card[data-article-id="hostile-1"]')
    expect(card).to_be_visible()
    expect(card.locator(".na-title")).to_contain_text("<script>window.__pwned=1</script>")
    assert page.locator(".stMain script").count() == 0
    assert pwned(page) is None
    shot(page, "05-hostile-result")

    page.get_by_role("button", name="اقرأ المقالة").first.click()
    expect(page.locator(".na-article-title")).to_have_text(str(HOSTILE_RECORD["title"]))
    body = page.locator(".na-article-body")
    expect(body).to_contain_text('<img src=x onerror="window.__pwned=1">')
    assert body.locator("img").count() == 0
    assert page.locator('a[href^="javascript:"]').count() == 0
    page.wait_for_timeout(500)  # give an injected onerror handler every chance to fire
    assert pwned(page) is None
    shot(page, "06-hostile-article")


def test_english_interface_and_charts(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/?q=موسكو&lang=en")
    wait_for_app_idle(page)
    expect(page.get_by_role("heading", name="News archive")).to_be_visible()
    page.get_by_role("radio", name="Charts").click()
    expect(page.get_by_text("Coverage over time by outlet")).to_be_visible()
    expect(page.locator('[data-testid="stVegaLiteChart"]').nth(2)).to_be_visible()
    wait_for_app_idle(page)
    shot(page, "07-charts-en")


# ---------------------------------------------------------------- daily use (issue 11)

WIDTHS = {"desktop": {"width": 1400, "height": 1000}, "phone": {"width": 390, "height": 844}}


def open_page(browser, base_url: str, path: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, locale="ar")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(base_url + path)
    wait_for_app_idle(page)
    return context, page


def test_back_and_forward_move_through_states(page: Page, base_url: str, archive) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?q=الكرملين")
    wait_for_app_idle(page)
    first = archive.search("الكرملين", collapse=True).hits[0]
    page.get_by_role("button", name="اقرأ المقالة").first.click()
    expect(page.locator(".na-article-title")).to_have_text(first.title)
    page.wait_for_url(re.compile("article="))
    wait_for_app_idle(page)
    page.go_back()
    wait_for_app_idle(page)
    assert "article=" not in page.url
    expect(page.locator(".na-article-title")).to_have_count(0)
    expect(page.locator(".na-card").first).to_have_attribute("data-article-id", first.id)
    page.go_forward()
    wait_for_app_idle(page)
    expect(page.locator(".na-article-title")).to_have_text(first.title)
    # the Charts tab is part of the URL too, and Back leaves it
    page.go_back()
    wait_for_app_idle(page)
    page.get_by_role("radio", name="رسوم بيانية").click()
    page.wait_for_url(re.compile("panel=charts"))
    wait_for_app_idle(page)
    page.go_back()
    wait_for_app_idle(page)
    assert "panel=" not in page.url
    expect(page.locator(".na-card").first).to_be_visible()


def test_facet_values_and_counts_are_listed_one_click_away(page: Page, base_url: str, archive) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/?q=موسكو")
    wait_for_app_idle(page)
    expected = archive.search("موسكو", collapse=True)
    person, count = expected.facets["person"][0]
    sidebar = page.locator('[data-testid="stSidebar"]')
    # visible without opening anything
    expect(sidebar.get_by_text(f"{person} ({count})", exact=True)).to_be_visible()
    source, source_count = expected.facets["source"][0]
    expect(sidebar.get_by_text(f"{source} ({source_count})", exact=True)).to_be_visible()
    sidebar.get_by_text(f"{person} ({count})", exact=True).click()
    wait_for_app_idle(page)
    expect(page.get_by_text(count_text(archive.search("موسكو", persons=[person]).total))).to_be_visible()
    page.wait_for_url(re.compile("person="))
    shot(page, "11-facet-lists")


def test_place_and_organization_filters_from_the_sidebar(page: Page, base_url: str, archive) -> None:  # type: ignore[no-untyped-def]
    """Ticking a place, then an organization, in their sidebar lists narrows the results exactly as the library's
    places= / organizations= filters do; the state is in the URL (facet=place:...)."""
    page.goto(f"{base_url}/?q=موسكو")
    wait_for_app_idle(page)
    expected = archive.search("موسكو", collapse=True)
    place, place_count = next((name, n) for name, n in expected.facets["place"] if n < expected.total)
    pick(page, "place", place, place_count)
    wait_for_app_idle(page)
    by_place = archive.search("موسكو", places=[place], collapse=True)
    expect(page.get_by_text(count_text(by_place.total))).to_be_visible()
    page.wait_for_url(re.compile("facet=place"))
    organization, organization_count = by_place.facets["organization"][0]
    pick(page, "organization", organization, organization_count)
    wait_for_app_idle(page)
    both = archive.search("موسكو", places=[place], organizations=[organization], collapse=True)
    expect(page.get_by_text(count_text(both.total))).to_be_visible()
    page.wait_for_url(re.compile("facet=organization"))
    shot(page, "12-place-and-organization")


def test_a_chosen_person_shows_the_spellings_it_stands_for(page: Page, base_url: str, archive) -> None:  # type: ignore[no-untyped-def]
    """Ticking فلاديمير بوتين shows, under the name in the sidebar, the other ways articles write him (بوتين alone,
    Putin...): what the facet entry merges is visible, not only in the JSON."""
    putin = "فلاديمير بوتين"
    page.goto(f"{base_url}/?q=موسكو")
    wait_for_app_idle(page)
    count = dict(archive.search("موسكو", collapse=True).facets["person"])[putin]
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("يُكتب أيضًا:")).to_have_count(0)
    pick(page, "person", putin, count)
    wait_for_app_idle(page)
    note = sidebar.get_by_text(re.compile("^يُكتب أيضًا: .*Putin"))
    expect(note).to_be_visible()
    assert "فلاديمير فلاديميروفيتش بوتين" in note.inner_text()
    shot(page, "13-person-spellings")


def test_pager_runs_right_to_left_in_arabic(page: Page, base_url: str) -> None:
    page.goto(base_url)
    wait_for_app_idle(page)
    one = page.locator(".st-key-page_1 button").bounding_box()
    two = page.locator(".st-key-page_2 button").bounding_box()
    previous = page.locator(".st-key-page_prev button").bounding_box()
    following = page.locator(".st-key-page_next button").bounding_box()
    assert one and two and previous and following
    assert previous["x"] > one["x"] > two["x"] > following["x"], "page 1 on the right, next on the left"
    page.locator(".st-key-page_2 button").click()
    page.wait_for_url(re.compile("page=2"))


def test_query_help_reads_right_to_left(page: Page, base_url: str) -> None:
    page.goto(base_url)
    wait_for_app_idle(page)
    page.get_by_role("button", name="كيف تبحث؟").click()
    body = page.locator('[data-testid="stPopoverBody"]')
    expect(body).to_be_visible()
    assert body.evaluate("e => getComputedStyle(e).direction") == "rtl"
    page.wait_for_timeout(300)
    shot(page, "12-query-help")


@pytest.mark.parametrize("width", list(WIDTHS))
def test_nothing_is_clipped_and_screenshots(browser, base_url: str, width: str) -> None:  # type: ignore[no-untyped-def]
    """At 1400x1000 and at a 390-pixel phone width: the count, the dates, outlet names and facet values are shown
    whole (no element's text overflows its box), and the pages are saved for a person to look at."""
    context, page = open_page(browser, base_url, "/?q=موسكو", WIDTHS[width])
    try:
        clipped = page.evaluate("""() => {
            const sel = '.na-card, .na-meta, .na-date, .na-source, .na-chip, '
                + '[data-testid="stMarkdownContainer"] strong, .stCheckbox label, [data-testid="stDateInput"] input, '
                + '.na-index';
            return [...document.querySelectorAll(sel)].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible');
            }).map(e => e.className + ': ' + (e.value || e.textContent).slice(0, 40));
        }""")
        assert clipped == [], clipped
        count = page.get_by_text(re.compile(r"عدد المقالات: [\d,]+"))
        box = count.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[width]["width"]
        page.screenshot(path=str(ARTIFACTS / f"20-results-{width}.png"), full_page=False)
        # the article and the export tab before the sidebar is opened (a phone keeps it open across pages)
        page.goto(f"{base_url}/?article=para-000&q=موسكو")
        wait_for_app_idle(page)
        page.screenshot(path=str(ARTIFACTS / f"22-article-{width}.png"), full_page=True)
        page.goto(f"{base_url}/?q=موسكو&panel=export")
        wait_for_app_idle(page)
        page.screenshot(path=str(ARTIFACTS / f"23-export-{width}.png"), full_page=True)
        page.goto(f"{base_url}/?q=موسكو")
        wait_for_app_idle(page)
        if width == "phone":
            page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
                         ).first.click()
            wait_for_app_idle(page)
            page.screenshot(path=str(ARTIFACTS / f"21-sidebar-{width}.png"), full_page=False)
        else:
            page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary').last.click()
            wait_for_app_idle(page)
            page.screenshot(path=str(ARTIFACTS / f"21-sidebar-{width}.png"), full_page=True)
    finally:
        context.close()
