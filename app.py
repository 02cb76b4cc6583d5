"""The browser app: faceted search of the Arabic news archive.

Presentation only. Every decision (what matches, facet counts, normalization, similar articles, same-story
coverage, what an export holds) is made by the library behind archive.search.archive.Archive; this file lays it out.
The index directory is $NEWS_ARCHIVE_INDEX, else ./index (`news-archive serve` sets the variable).

Page state lives in one ViewState (archive/interfaces/ui.py) mirrored to the URL, so a search can be bookmarked. Widgets
are keyed "w_*" and copied into the ViewState by their on_change callbacks: the state, not the widget, is the
source of truth, which keeps a selection when its facet counts (shown in the option labels) change.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from archive.cluster import search as cluster_search
from archive.errors import ArchiveError, IndexMissingError
from archive.index.writer import rebuild_index
from archive.interfaces import ui
from archive.resources import SEEDS_DIR
from archive.search.archive import Archive
from archive.search.sharded import ShardedArchive
from archive.text.normalize import normalize

SCRIPT_STARTED = time.perf_counter()
INDEX_DIR = Path(os.environ.get("NEWS_ARCHIVE_INDEX") or "index")
PERSON_FACET_LIMIT = 200
SOURCE_FACET_LIMIT = 100
COVERAGE_SOURCES = 6
TOP_PEOPLE = 15

st.set_page_config(page_title="أرشيف الأخبار العربية · Arabic news archive", page_icon="📰", layout="wide")


# ---------------------------------------------------------------- state


def _url_params(params: Any) -> dict[str, list[str]]:
    """Query parameters as sorted lists of values, to compare the page's URL with the one last written."""
    found: dict[str, list[str]] = {}
    for name in list(params.keys()):
        values = params.get_all(name) if hasattr(params, "get_all") else params[name]
        values = values if isinstance(values, list) else [values]
        found[name] = sorted(str(v) for v in values)
    return dict(sorted(found.items()))


def view() -> ui.ViewState:
    """The state of the page. Read from the URL on the first run, and again whenever the URL is not the one this
    session last wrote: the browser's Back and Forward buttons change the URL and rerun the script, and the page
    must then show that state (the article closed, the previous query) rather than keep its own."""
    written = st.session_state.get("_url_written")
    navigated = written is not None and _url_params(st.query_params) != _url_params(written)
    if "view" not in st.session_state or navigated:
        st.session_state.view = ui.ViewState.from_query_params(st.query_params)
        if navigated:
            st.session_state["_url_written"] = st.session_state.view.to_query_params()
    return st.session_state.view


def set_view(**changes: Any) -> None:
    st.session_state.view = replace(view(), **changes)


def on_widget(widget_key: str, attribute: str, reset_page: bool = True) -> Callable[[], None]:
    """A callback copying a widget's new value into the view state (and back to page 1 when the results change)."""

    def copy() -> None:
        value = st.session_state[widget_key]
        changes: dict[str, Any] = {attribute: value}
        if reset_page:
            changes["page"] = 1
        set_view(**changes)

    return copy


def on_date(widget_key: str, attribute: str) -> Callable[[], None]:
    def copy() -> None:
        set_view(**{attribute: st.session_state.get(widget_key) or None, "page": 1})

    return copy


def toggle_facet_value(facet: str, value: str) -> None:
    """A facet list's checkbox: add or remove one value of a facet's filter ("any of the chosen")."""
    state = view()
    if facet == "person":
        chosen = list(state.persons)
    elif facet == "source":
        chosen = list(state.sources)
    else:
        chosen = list(state.facets.get(facet, []))
    chosen = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
    if facet == "person":
        set_view(persons=chosen, page=1)
    elif facet == "source":
        set_view(sources=chosen, page=1)
    else:
        facets = {k: v for k, v in state.facets.items() if k != facet}
        if chosen:
            facets[facet] = chosen
        set_view(facets=facets, page=1)


def toggle_more(facet: str) -> None:
    st.session_state[f"_more_{facet}"] = not st.session_state.get(f"_more_{facet}", False)


def on_sort() -> None:
    set_view(sort=st.session_state.get("w_sort"), page=1)


def go(**changes: Any) -> None:
    """A button's on_click: jump to another state (an article, a suggestion, a relaxed filter)."""
    set_view(**changes)


def sync_url(state: ui.ViewState) -> None:
    params = state.to_query_params()
    if st.session_state.get("_url_written") != params:
        st.query_params.from_dict(params)
        st.session_state["_url_written"] = params


def lab(key: str, **values: object) -> str:
    return ui.label(key, view().lang, **values)


# ---------------------------------------------------------------- the index


@st.cache_resource(show_spinner=False)
def open_archive(index_dir: str) -> Archive | ShardedArchive:
    # on the Dask cluster of $NEWS_ARCHIVE_SCHEDULER when set (`news-archive serve --scheduler ADDRESS`)
    return cluster_search.open_archive(Path(index_dir))


def rebuild(paths: list[Path], message_key: str = "index_rebuilding") -> str:
    """Rebuild the index from `paths` with a progress bar; returns the summary line."""
    bar = st.progress(0.0, text=lab(message_key, done=0, total="…"))

    def progress(done: int, total: int | None) -> None:
        fraction = min(done / total, 1.0) if total else 0.0
        bar.progress(fraction, text=lab(message_key, done=done, total=total if total else "…"))

    summary = rebuild_index(paths, INDEX_DIR, progress=progress)
    bar.progress(1.0, text=lab(message_key, done=summary.indexed, total=summary.indexed))
    open_archive.clear()
    return summary.line()


def rebuild_then_rerun(paths: list[Path]) -> None:
    """Rebuild, remember the summary for the next run, and redraw; a failure stays on the page as one message."""
    try:
        st.session_state["_rebuilt"] = rebuild(paths)
    except ArchiveError as error:
        st.error(str(error))
        return
    st.rerun()


def rebuild_controls(key: str) -> None:
    folder = st.text_input(lab("index_folder"), value=str(SEEDS_DIR), key=f"{key}_folder")
    if st.button(lab("index_rebuild"), key=f"{key}_button", type="secondary"):
        path = Path(folder.strip()).expanduser()
        if not path.exists():
            st.error(lab("index_path_missing", path=str(path)))
            return
        rebuild_then_rerun([path])


def no_index_page() -> None:
    st.info(lab("no_index", path=str(INDEX_DIR)))
    if st.button(lab("build_from_seeds"), type="primary", key="build_seeds"):
        rebuild_then_rerun([SEEDS_DIR])


def index_error_page(error: ArchiveError) -> None:
    st.error(f"{lab('index_error')}\n\n{error}")
    st.caption(lab("index_error_hint"))
    no_index_button_and_folder()


def no_index_button_and_folder() -> None:
    if st.button(lab("build_from_seeds"), type="primary", key="build_seeds_after_error"):
        rebuild_then_rerun([SEEDS_DIR])
    with st.expander(lab("index_rebuild")):
        rebuild_controls("error_rebuild")


def index_panel(archive: Any) -> None:
    lang = view().lang
    with st.expander(lab("index_panel"), expanded=False):
        try:
            stats = archive.stats()
        except ArchiveError as error:
            st.error(str(error))
            stats = {}
        # plain rows, not st.metric: a metric in a narrow sidebar column clips 30,060 to "…060"
        rows = [(lab("index_articles"), f'<span dir="ltr">{stats.get("articles", 0):,}</span>'),
                (lab("index_sources"), f'<span dir="ltr">{len(stats.get("sources") or {}):,}</span>')]
        date_range = stats.get("date_range") or [None, None]
        if date_range and date_range[0]:  # one row each: a range on one line overflows the narrow sidebar
            rows.append((lab("date_from"), ui.date_html(date_range[0], lang)))
            rows.append((lab("date_to"), ui.date_html(date_range[-1], lang)))
        if stats.get("undated"):
            rows.append((lab("undated"), f'<span dir="ltr">{stats["undated"]:,}</span>'))
        direction = "rtl" if lang == "ar" else "ltr"
        st.html(f'<div class="na-index" dir="{direction}">' + "".join(
            f'<div class="na-meta-row"><span class="na-meta-key">{ui.esc(key)}</span> {value}</div>'
            for key, value in rows) + "</div>")
        if stats.get("built_at"):
            seconds = stats.get("build_seconds")
            st.caption(lab("index_built", built_at=str(stats["built_at"])[:19].replace("T", " "),
                           seconds=f"{seconds:.1f}" if isinstance(seconds, int | float) else "?"))
        if st.session_state.get("_rebuilt"):
            st.success(lab("index_rebuilt", summary=st.session_state["_rebuilt"]))
        rebuild_controls("panel_rebuild")


# ---------------------------------------------------------------- searching (all through the Archive)


def run_search(archive: Any, state: ui.ViewState, *, limit: int = ui.PAGE_SIZE, page: int = 1,
               facet_limit: int = PERSON_FACET_LIMIT, collapse: bool = False) -> Any:
    return archive.search(state.query, limit=limit, page=page, facet_limit=facet_limit, collapse=collapse,
                          **state.search_kwargs())


def facet_sources(archive: Any, state: ui.ViewState, main: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Each facet's counts come from the search without that facet's own filter, so the list shows what choosing
    another value would add ("any of the chosen"), while the other filters still apply. Also the other spellings
    of the people listed (person_spellings of the search the person list comes from, and of the main one)."""
    facets: dict[str, Any] = {}
    spellings: dict[str, list[str]] = dict(main.person_spellings)
    names = [("person", bool(state.persons), "person"), ("source", bool(state.sources), "source"),
             ("date", state.has_date_range, "month")]
    names += [(name, bool(state.facets.get(name)), name) for name in (*ui.ENTITY_FACETS, *main.metadata_facets)]
    for facet, active, key in names:
        result = run_search(archive, state.without(facet), limit=1) if active else main
        facets[key] = result.facets.get(key, [])
        if key == "person":
            spellings.update(result.person_spellings)
    return facets, spellings


# ---------------------------------------------------------------- sidebar


def _widget_key(prefix: str, value: str) -> str:
    return f"{prefix}_{hashlib.blake2b(value.encode('utf-8'), digest_size=6).hexdigest()}"


def facet_list(facet: str, pairs: list[Any], selected: list[str], allow_typed: bool = False,
               spellings: dict[str, list[str]] | None = None) -> None:
    """A facet as a list one click away: its top values with their counts as checkboxes, the chosen ones first,
    a box to find a value among the rest, and "more". SPELLINGS (people): each value's other spellings, shown as
    the checkbox's tooltip, under a chosen value, and found by the box (Trump finds دونالد ترامب)."""
    spellings = spellings or {}
    lang = view().lang
    title = ui.facet_title(facet, lang)
    counts = ui.facet_counts(pairs)
    st.markdown(f"**{title}**")
    values = list(dict.fromkeys([*selected, *ui.facet_options(counts, [])]))
    find_key = f"w_find_{facet}"
    wanted = ""
    if len(values) > ui.FACET_TOP or allow_typed:
        wanted = st.text_input(lab("facet_find", facet=title), key=find_key, placeholder=lab("facet_find", facet=title),
                               label_visibility="collapsed").strip()
    if wanted:
        folded = " ".join(normalize(wanted).casefold().split())
        values = [v for v in values if v in selected or folded in " ".join(normalize(
            " ".join([ui.facet_value_name(facet, v, lang), v, *spellings.get(v, [])])).casefold().split())]
    more = st.session_state.get(f"_more_{facet}", False)
    limit = ui.FACET_MORE if (more or wanted) else ui.FACET_TOP
    shown = [v for v in values if v in selected] + [v for v in values if v not in selected][: max(0, limit)]
    with st.container(key=f"facet_{facet}", gap=None):
        for value in shown:
            key = _widget_key(f"w_fv_{facet}", value)
            st.session_state[key] = value in selected
            name = ui.facet_value_name(facet, value, lang)
            text = f"{name} ({counts[value]:,})" if value in counts else name
            note = ui.spellings_note(spellings.get(value), lang)
            st.checkbox(text, key=key, on_change=toggle_facet_value, args=(facet, value), help=note or None)
            if note and value in selected:
                st.caption(note)
    hidden = len(values) - len(shown)
    if hidden > 0 or more:
        st.button(lab("facet_less") if more else lab("facet_more", count=hidden), key=f"more_{facet}",
                  type="tertiary", on_click=toggle_more, args=(facet,))
    if wanted and not [v for v in values if v not in selected]:
        if allow_typed:
            st.button(lab("facet_add_typed", value=wanted), key=f"typed_{facet}", on_click=toggle_facet_value,
                      args=(facet, wanted))
        else:
            st.caption(lab("facet_no_match", value=wanted))


def sidebar(archive: Any, state: ui.ViewState, facets: dict[str, Any], stats: dict[str, Any],
            metadata_facets: list[str], spellings: dict[str, list[str]]) -> None:
    with st.sidebar:
        language_switch(state)
        st.subheader(lab("filters"))
        # any name can be typed into the people list's box (the searcher resolves spelling variants)
        facet_list("person", facets["person"], state.persons, allow_typed=True, spellings=spellings)
        facet_list("source", facets["source"], state.sources)
        for name in ui.ENTITY_FACETS:  # places, organizations: any name can be typed, as for people
            facet_list(name, facets.get(name, []), state.facets.get(name, []), allow_typed=True)
        for name in metadata_facets:
            facet_list(name, facets.get(name, []), state.facets.get(name, []))

        st.markdown(f"**{lab('facet_date')}**")
        date_range = stats.get("date_range") or [None, None]
        first = _as_date(date_range[0]) if date_range else None
        last = _as_date(date_range[-1]) if date_range else None
        chosen = [d for d in (state.date_from, state.date_to) if d is not None]
        # a bookmarked range may reach past the index's dates: widen the pickers' bounds rather than drop it
        first = min([d for d in (first, *chosen) if d is not None], default=None)
        last = max([d for d in (last, *chosen) if d is not None], default=None)
        # two inputs, not one range: a range in a narrow sidebar clips its end date
        with st.container(horizontal=True, gap="small"):
            st.session_state["w_date_from"] = state.date_from
            st.date_input(lab("date_from"), value=None, min_value=first, max_value=last, key="w_date_from",
                          format="YYYY-MM-DD", on_change=on_date("w_date_from", "date_from"))
            st.session_state["w_date_to"] = state.date_to
            st.date_input(lab("date_to"), value=None, min_value=first, max_value=last, key="w_date_to",
                          format="YYYY-MM-DD", on_change=on_date("w_date_to", "date_to"))
        st.session_state["w_undated"] = state.include_undated
        st.checkbox(lab("include_undated", count=f"{ui.undated_count(facets['month']):,}"), key="w_undated",
                    disabled=not state.has_date_range, on_change=on_widget("w_undated", "include_undated"))
        months = ui.month_rows(facets["month"])
        if months:
            st.caption(lab("month_histogram"))
            window, outside = ui.histogram_window(months)
            drawn = months if state.whole_span else window
            frame = pd.DataFrame(drawn, columns=["month", "count"])
            st.altair_chart(month_chart(frame, height=130, axis_titles=False), width="stretch")
            if outside and not state.whole_span:
                st.caption(lab("hist_zoomed", count=f"{outside:,}"))
            if outside or state.whole_span:
                st.button(lab("hist_zoom") if state.whole_span else lab("hist_whole"), key="hist_span",
                          type="tertiary", on_click=go, kwargs={"whole_span": not state.whole_span})

        if state.has_filters:
            st.button(lab("clear_filters"), key="clear_filters", on_click=go,
                      kwargs={"persons": [], "sources": [], "date_from": None, "date_to": None,
                              "include_undated": False, "facets": {}, "page": 1})
        st.divider()
        index_panel(archive)


def month_chart(frame: pd.DataFrame, height: int, axis_titles: bool = True, color: str | None = None,
                share: bool = False) -> alt.Chart:
    """Bars per calendar month on a time axis (gaps between months stay visible); SHARE: the values are shares
    of each outlet's articles, drawn as percentages side by side (they do not add up)."""
    frame = frame.assign(month=pd.to_datetime(frame["month"] + "-01"))
    measure = lab("chart_share") if share else lab("chart_articles")
    value_format = ".1%" if share else "d"
    encoding: dict[str, Any] = {
        "x": alt.X("yearmonth(month):T", title=lab("chart_month") if axis_titles else None,
                   axis=alt.Axis(format="%Y-%m", labelAngle=0, labelOverlap=True)),
        "y": alt.Y("sum(count):Q", title=measure if axis_titles else None,
                   axis=alt.Axis(format=".0%") if share else alt.Axis(format="d", tickMinStep=1),
                   stack=None if share else "zero"),
        "tooltip": [alt.Tooltip("yearmonth(month):T", format="%Y-%m", title=lab("chart_month")),
                    alt.Tooltip("sum(count):Q", title=measure, format=value_format)],
    }
    if share and color:
        encoding["xOffset"] = alt.XOffset(f"{color}:N")
    if color:
        encoding["color"] = alt.Color(f"{color}:N", title=lab("chart_source"),
                                      legend=alt.Legend(orient="bottom", columns=3, labelLimit=260))
        encoding["tooltip"].insert(0, alt.Tooltip(f"{color}:N", title=lab("chart_source")))
    return alt.Chart(frame).mark_bar().encode(**encoding).properties(height=height)


def ordered(options: list[str]) -> list[str]:
    """Button rows read right to left in Arabic; the widgets themselves stay ltr (their borders assume it)."""
    return list(reversed(options)) if view().lang == "ar" else options


def language_switch(state: ui.ViewState) -> None:
    names = ui.language_names()
    st.session_state["w_lang"] = state.lang
    st.segmented_control(lab("language"), options=list(names), format_func=names.get, key="w_lang",
                         on_change=on_widget("w_lang", "lang", reset_page=False), required=True,
                         label_visibility="collapsed")


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


# ---------------------------------------------------------------- main column


def search_box(state: ui.ViewState) -> None:
    st.session_state["w_q"] = state.query
    box, help_column = st.columns([5, 1.3], vertical_alignment="bottom")
    with box:
        st.text_input(lab("search_label"), key="w_q", placeholder=lab("search_placeholder"),
                      on_change=on_widget("w_q", "query"), label_visibility="collapsed")
    with help_column, st.popover(lab("query_help_title"), width="stretch"):
        st.markdown(lab("search_help"))
    with st.container(horizontal=True, gap="small", vertical_alignment="center", key="examples"):
        st.caption(lab("examples"), width="content")
        for example in ui.example_queries():
            st.button(example, key=f"example_{example}", type="tertiary", on_click=go,
                      kwargs={"query": example, "page": 1, "article": None})


def summary_line(result: Any, state: ui.ViewState) -> None:
    total = result.total
    count = lab("results_count_one") if total == 1 else lab("results_count", total=f"{total:,}")
    if total > 0:
        first = (result.page - 1) * result.limit + 1
        last = min(total, result.page * result.limit)
        shown = lab("results_range", first=first, last=last)
        st.markdown(f"**{count}** · {shown}")
    else:
        st.markdown(f"**{count}**")
    if result.normalized_query:
        st.html(ui.normalized_query_html(result.normalized_query, state.lang))
    for notice in result.notices_in(state.lang):
        st.html(ui.notice_html(notice))


def hit_card(hit: Any, state: ui.ViewState, key: str, rank: int | None = None, compact: bool = False) -> None:
    with st.container(border=True, gap=None, key=f"card_{key}_{hit.id}"):
        st.html(ui.hit_card_html(hit, state.lang, rank=rank, compact=compact))
        st.button(lab("open_article"), key=f"{key}_{hit.id}", type="tertiary", on_click=go,
                  kwargs={"article": hit.id}, icon=":material/article:")
        versions = getattr(hit, "versions", None) or []
        if versions:
            count = len(versions) + 1
            title = lab("versions_two") if count == 2 else lab("versions", count=count)
            with st.expander(title, icon=":material/layers:"), st.container(key=f"versions_{hit.id}"):
                for version in versions:
                    st.html(ui.hit_card_html(version, state.lang, compact=True))
                    st.button(lab("open_article"), key=f"version_{version.id}", type="tertiary", on_click=go,
                              kwargs={"article": version.id}, icon=":material/article:")


def sort_control(state: ui.ViewState) -> None:
    st.session_state["w_sort"] = state.effective_sort()
    st.segmented_control(lab("sort"), options=ordered(list(ui.SORTS)), format_func=lambda s: lab(f"sort_{s}"),
                         key="w_sort", on_change=on_sort, label_visibility="collapsed")


def results_panel(archive: Any, state: ui.ViewState, result: Any) -> None:
    if result.total == 0:
        empty_results(archive, state, result)
        return
    first_rank = (result.page - 1) * result.limit + 1
    for offset, hit in enumerate(result.hits):
        hit_card(hit, state, "open", rank=first_rank + offset)
    pages = max(1, -(-result.total // result.limit))
    if pages > 1:
        pager(min(state.page, pages), pages)


def page_numbers(page: int, pages: int) -> list[int | None]:
    """The pages a pager offers: the first, the last, and two either side of the current one (None: a gap)."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def pager(page: int, pages: int) -> None:
    """Page buttons in reading order: in Arabic the main column is right to left, so page 1 and "previous" sit
    on the right and "next" on the left (a stock pagination widget runs left to right whatever the language)."""
    with st.container(horizontal=True, gap="small", key="pager", vertical_alignment="center"):
        st.button(lab("page_previous"), key="page_prev", disabled=page <= 1, on_click=go, kwargs={"page": page - 1})
        for number in page_numbers(page, pages):
            if number is None:
                st.markdown("…", width="content")
                continue
            st.button(f"{number:,}", key=f"page_{number}", type="primary" if number == page else "secondary",
                      on_click=go, kwargs={"page": number})
        st.button(lab("page_next"), key="page_next", disabled=page >= pages, on_click=go, kwargs={"page": page + 1})
    st.caption(lab("page_of", page=f"{page:,}", pages=f"{pages:,}"))


def empty_results(archive: Any, state: ui.ViewState, result: Any) -> None:
    st.warning(lab("no_results"))
    if result.suggestions:
        st.markdown(lab("did_you_mean"))
        columns = st.columns(min(len(result.suggestions), 5))
        for column, suggestion in zip(columns, result.suggestions[:5], strict=False):
            column.button(suggestion, key=f"suggest_{suggestion}", on_click=go,
                          kwargs={"query": suggestion, "page": 1})
    relaxations = []
    for facet, active in (("person", bool(state.persons)), ("source", bool(state.sources)),
                          ("date", state.has_date_range),
                          *((name, True) for name, values in state.facets.items() if values),
                          ("query", bool(state.query.strip() and state.has_filters))):
        if active:
            relaxed = state.without(facet)
            total = run_search(archive, relaxed, limit=1, facet_limit=1).total
            if total:
                relaxations.append((facet, relaxed, total))
    if relaxations:
        st.markdown(lab("relax_filters"))
        for facet, relaxed, total in relaxations:
            st.button(ui.relax_label(facet, state.lang, f"{total:,}"), key=f"relax_{facet}", on_click=go,
                      kwargs={"query": relaxed.query, "persons": relaxed.persons, "sources": relaxed.sources,
                              "date_from": relaxed.date_from, "date_to": relaxed.date_to, "facets": relaxed.facets,
                              "page": 1})


def charts_panel(archive: Any, state: ui.ViewState, result: Any) -> None:
    if result.total == 0:
        st.info(lab("no_results"))
        return
    st.subheader(lab("chart_coverage"))
    st.session_state["w_measure"] = state.measure
    st.segmented_control(lab("chart_measure"), options=ordered(list(ui.MEASURES)),
                         format_func=lambda m: lab(f"chart_measure_{m}"), key="w_measure", required=True,
                         on_change=on_widget("w_measure", "measure", reset_page=False), label_visibility="collapsed")
    kwargs = {k: v for k, v in state.search_kwargs().items() if k != "sort"}
    coverage = archive.coverage(state.query, top_sources=COVERAGE_SOURCES, **kwargs)
    if coverage:
        share = state.measure == "share"
        frame = pd.DataFrame([(row["month"], ui.source_name(row["source"], state.lang),
                               row["share"] if share else row["count"]) for row in coverage],
                             columns=["month", "source", "count"])
        st.altair_chart(month_chart(frame, height=300, color="source", share=share), width="stretch")
        st.caption(lab("chart_shown_share") if share else lab("chart_shown_count"))
    else:
        st.caption(lab("chart_no_dates"))
    for facet, title, tooltip in (("person", "chart_people", "chart_person"),
                                  ("place", "chart_places", "chart_place"),
                                  ("organization", "chart_organizations", "chart_organization")):
        spellings = result.person_spellings if facet == "person" else {}
        names_chart(result.facets.get(facet, []), lab(title), lab(tooltip), spellings,
                    state.persons if facet == "person" else [])


def names_chart(pairs: list[Any], title: str, tooltip: str, spellings: dict[str, list[str]] | None = None,
                chosen: list[str] | None = None) -> None:
    """The names a facet counts most among the matches (people, places, organizations), as bars. SPELLINGS: each
    name's other spellings, in the bar's tooltip, and under the chart for the CHOSEN names (the person filter)."""
    top = list(pairs)[:TOP_PEOPLE]
    if not top:
        return
    spellings = spellings or {}
    lang = view().lang
    st.subheader(title)
    frame = pd.DataFrame([(str(n), int(c), ui.spellings_note(spellings.get(str(n)), lang)) for n, c in top],
                         columns=["name", "count", "spellings"])
    tooltips = [alt.Tooltip("name:N", title=tooltip), alt.Tooltip("count:Q", title=lab("chart_articles"))]
    if spellings:
        tooltips.append(alt.Tooltip("spellings:N", title=" "))
    chart = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260, labelFontSize=13)),
        x=alt.X("count:Q", title=lab("chart_articles"), axis=alt.Axis(format="d", tickMinStep=1)),
        tooltip=tooltips,
    ).properties(height=max(120, 26 * len(top)))
    st.altair_chart(chart, width="stretch")
    for name in chosen or []:
        note = ui.spellings_note(spellings.get(name), lang)
        if note:
            st.caption(f"{name} — {note}")


def export_panel(archive: Any, state: ui.ViewState, result: Any) -> None:
    st.markdown(lab("export_intro", total=f"{result.total:,}"))
    stem = ui.export_file_stem(state.query)
    kwargs = state.search_kwargs()
    query = state.query

    extra = list(result.metadata_facets)

    # Built only when a button is clicked (Streamlit runs the callable then): an export of every match can be large.
    def csv_bytes() -> bytes:
        return ui.export_csv(archive.iter_matches(query, **kwargs), extra)

    def jsonl_bytes() -> bytes:
        return ui.export_jsonl(archive.iter_matches(query, **kwargs), extra)

    left, right, _ = st.columns([1, 1, 2])
    left.download_button(lab("export_csv"), data=csv_bytes, file_name=f"{stem}.csv", mime="text/csv",
                         key="export_csv", disabled=result.total == 0, icon=":material/download:")
    right.download_button(lab("export_jsonl"), data=jsonl_bytes, file_name=f"{stem}.jsonl",
                          mime="application/x-ndjson", key="export_jsonl", disabled=result.total == 0,
                          icon=":material/download:")
    if result.hits:
        st.caption(lab("export_preview"))
        lang = state.lang
        rows = [{ui.export_column_label("title", lang): h.title,
                 ui.export_column_label("source", lang): ui.source_name(h.source, lang),
                 ui.export_column_label("date", lang): ui.format_date(h.date, lang),
                 ui.export_column_label("persons", lang): ("؛ " if lang == "ar" else "; ").join(h.persons),
                 **{ui.export_column_label(name, lang): ui.facet_value_name(name, h.metadata.get(name, ""), lang)
                    for name in extra}} for h in result.hits]
        frame = pd.DataFrame(rows)
        # the table draws left to right: in Arabic its first column (the title) goes last, so it reads from the right
        st.dataframe(frame[list(reversed(frame.columns))] if lang == "ar" else frame, hide_index=True,
                     width="stretch")


def related_list(hits: list[Any], state: ui.ViewState, key: str, empty_key: str) -> None:
    if not hits:
        st.caption(lab(empty_key))
        return
    for hit in hits:
        hit_card(hit, state, key, compact=True)


def article_page(archive: Any, state: ui.ViewState) -> None:
    st.button(lab("back_to_results"), key="back", on_click=go, kwargs={"article": None})
    article = archive.get(state.article)
    if article is None:
        st.warning(lab("article_not_found"))
        return
    st.html(ui.article_header_html(article, state.lang))
    # the first column is on the right in Arabic (the main column is rtl there)
    body_column, side_column = st.columns([3, 2], gap="large")
    with body_column:
        st.html(ui.article_body_html(archive.highlight_body(article.id, state.query)))
    with side_column:
        st.markdown(f"##### {lab('same_story')}")
        related_list(archive.same_story(article.id, limit=5), state, "same", "same_story_none")
        st.markdown(f"##### {lab('similar')}")
        related_list(archive.similar(article.id, limit=5), state, "similar", "similar_none")


# ---------------------------------------------------------------- page


def timing_line(search_ms: str) -> None:
    """Server-side timings, behind the debug switch (?debug=1): for whoever tunes the app, not for readers."""
    if view().debug:
        page_ms = (time.perf_counter() - SCRIPT_STARTED) * 1000
        st.caption(lab("timing", search_ms=search_ms, page_ms=f"{page_ms:.0f}"))


def on_panel() -> None:
    set_view(panel=st.session_state.get("w_panel") or "results")


def main() -> None:
    state = view()
    st.html(ui.page_css(state.lang))
    st.title(lab("app_title"))

    try:
        archive = open_archive(str(INDEX_DIR.resolve()))
        archive.reload_if_changed()
    except IndexMissingError:
        no_index_page()
        sync_url(state)
        return
    except ArchiveError as error:
        open_archive.clear()
        index_error_page(error)
        sync_url(state)
        return

    try:
        stats = archive.stats()
        if state.article:
            with st.sidebar:
                language_switch(state)
                index_panel(archive)
            article_page(archive, state)
            sync_url(state)
            timing_line("–")
            return
        st.caption(lab("app_subtitle"))
        search_box(state)
        result = run_search(archive, state, page=state.page, collapse=True)
        facets, spellings = facet_sources(archive, state, result)
    except ArchiveError as error:
        st.error(f"{lab('search_error')}\n\n{error}")
        sync_url(state)
        return

    sidebar(archive, state, facets, stats, result.metadata_facets, spellings)
    summary_line(result, state)
    panels = {"results": lab("tab_results"), "charts": lab("tab_charts"), "export": lab("tab_export")}
    with st.container(horizontal=True, horizontal_alignment="distribute", vertical_alignment="center"):
        st.session_state["w_panel"] = state.panel
        st.segmented_control("panel", options=ordered(list(panels)), format_func=panels.get, key="w_panel",
                             required=True, label_visibility="collapsed", on_change=on_panel)
        if state.panel == "results" and result.total > 0:
            sort_control(state)
    if state.panel == "charts":
        charts_panel(archive, state, result)
    elif state.panel == "export":
        export_panel(archive, state, result)
    else:
        results_panel(archive, state, result)
    sync_url(state)
    timing_line(f"{result.took_ms:.0f}")


main()
