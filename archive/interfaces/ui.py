"""Presentation helpers for the browser app (app.py): labels, page state in the URL, safe HTML, export files.

Nothing here decides what matches a query; it only turns what the searcher returns into something to show.
Every untrusted string (title, source, person, URL) is escaped here before it goes into HTML; the only markup
that passes through unescaped is what the searcher already escaped (snippets and highlighted bodies with <mark>).
"""

from __future__ import annotations

import csv
import datetime
import html
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from archive.extract.metadata import facet_label, value_label
from archive.resources import DATA_DIR
from archive.search.notices import filter_name
from archive.search.results import SORTS

LABELS_FILE = DATA_DIR / "ui_labels.json"
LANGUAGES = ("ar", "en")
PAGE_SIZE = 10
EXPORT_COLUMNS = ("id", "title", "source", "date", "persons", "places", "organizations", "url", "body")
# the columns holding a list of names
NAME_LIST_COLUMNS = ("persons", "places", "organizations")
PANELS = ("results", "charts", "export")
MEASURES = ("share", "count")
# Facet values listed at once, and after "more"
FACET_TOP = 6
FACET_MORE = 40

# System fonts only (nothing is downloaded): Naskh for reading, Sans for the interface, then what
# Windows, macOS and most Linux desktops ship with Arabic glyphs.
ARABIC_FONT_STACK = ('"Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans Arabic UI", Amiri, "Segoe UI", '
                     'Tahoma, "Geeza Pro", "DejaVu Sans", sans-serif')
INTERFACE_FONT_STACK = ('"Source Sans", "Source Sans Pro", "Noto Sans Arabic UI", "Noto Sans Arabic", '
                        '"Segoe UI", Tahoma, "DejaVu Sans", sans-serif')

# facets of names held in ViewState.facets beside the metadata facets, filtered as Archive.search's places /
# organizations
ENTITY_FACETS = ("place", "organization")


# ---------------------------------------------------------------- labels


@lru_cache(maxsize=1)
def _label_table() -> dict[str, Any]:
    return json.loads(LABELS_FILE.read_text(encoding="utf-8"))


def label(key: str, lang: str, **values: object) -> str:
    """The interface text `key` in `lang` (falling back to Arabic), with {placeholders} filled."""
    entry = _label_table()["labels"][key]
    text = entry.get(lang) or entry["ar"]
    return text.format(**values) if values else text


def language_names() -> dict[str, str]:
    return dict(_label_table()["languages"])


def example_queries() -> list[str]:
    return list(_label_table()["examples"])


def all_label_keys() -> list[str]:
    return list(_label_table()["labels"])


# ---------------------------------------------------------------- page state <-> URL


def _parse_date(text: str | None) -> datetime.date | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        return None


@dataclass
class ViewState:
    """What the user is looking at: everything needed to redraw the page, and what goes into the URL."""

    query: str = ""
    persons: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    include_undated: bool = False
    sort: str | None = None  # None: the searcher's default (relevance, or newest for an empty query)
    page: int = 1
    article: str | None = None
    lang: str = "ar"
    facets: dict[str, list[str]] = field(default_factory=dict)  # metadata facets: {"section": ["sport"]}
    panel: str = "results"  # results | charts | export
    measure: str = "share"  # charts: share of each outlet's articles, or counts
    whole_span: bool = False  # the month histogram over every year instead of zoomed to the matches
    debug: bool = False  # timing line

    @property
    def has_date_range(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    @property
    def has_filters(self) -> bool:
        return bool(self.persons or self.sources or self.has_date_range or any(self.facets.values()))

    def effective_sort(self) -> str:
        return self.sort or ("relevance" if self.query.strip() else "newest")

    def search_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of Archive.search / iter_matches for this state (without paging). Places and
        organizations are held among the facets (one URL parameter, `facet=place:مصر`) and searched as
        `places` / `organizations`."""
        return {
            "places": tuple(self.facets.get("place", ())),
            "organizations": tuple(self.facets.get("organization", ())),
            "persons": tuple(self.persons),
            "sources": tuple(self.sources),
            "date_from": self.date_from,
            "date_to": self.date_to,
            "include_undated": True if (self.has_date_range and self.include_undated) else None,
            "sort": self.sort,
            "facets": {name: list(values) for name, values in self.facets.items()
                       if values and name not in ENTITY_FACETS},
        }

    def without(self, facet: str) -> ViewState:
        """This state with one facet's filter removed (for its own counts and for 'relax this filter')."""
        if facet == "person":
            return replace(self, persons=[], page=1)
        if facet == "source":
            return replace(self, sources=[], page=1)
        if facet == "date":
            return replace(self, date_from=None, date_to=None, include_undated=False, page=1)
        if facet == "query":
            return replace(self, query="", page=1)
        if facet in self.facets:
            return replace(self, facets={k: v for k, v in self.facets.items() if k != facet}, page=1)
        raise ValueError(f"unknown facet {facet!r}")

    def active_filters(self) -> list[str]:
        """The filters in use: person, source, date, then metadata facet names."""
        return [name for name, used in (("person", bool(self.persons)), ("source", bool(self.sources)),
                                        ("date", self.has_date_range)) if used] + \
            [name for name, values in self.facets.items() if values]

    @classmethod
    def from_query_params(cls, params: Mapping[str, Any]) -> ViewState:
        """Read a bookmarked URL; anything malformed is ignored rather than shown as an error."""

        def get_all(name: str) -> list[str]:
            if hasattr(params, "get_all"):
                values = params.get_all(name)
            else:
                raw = params.get(name, [])
                values = raw if isinstance(raw, list) else [raw]
            return [v for v in (str(x).strip() for x in values) if v]

        def get_one(name: str) -> str | None:
            values = get_all(name)
            return values[-1] if values else None

        page_text = get_one("page") or "1"
        sort = get_one("sort")
        lang = get_one("lang")
        panel = get_one("panel")
        measure = get_one("measure")
        facets: dict[str, list[str]] = {}
        for item in get_all("facet"):
            name, found, value = item.partition(":")
            if found and name.strip() and value.strip() and value.strip() not in facets.get(name.strip(), []):
                facets.setdefault(name.strip(), []).append(value.strip())
        return cls(
            query=get_one("q") or "",
            persons=list(dict.fromkeys(get_all("person"))),
            sources=list(dict.fromkeys(get_all("source"))),
            date_from=_parse_date(get_one("from")),
            date_to=_parse_date(get_one("to")),
            include_undated=get_one("undated") in ("1", "true", "yes"),
            sort=sort if sort in SORTS else None,
            page=int(page_text) if page_text.isdigit() and int(page_text) >= 1 else 1,
            article=get_one("article"),
            lang=lang if lang in LANGUAGES else "ar",
            facets=facets,
            panel=panel if panel in PANELS else "results",
            measure=measure if measure in MEASURES else "share",
            whole_span=get_one("span") == "all",
            debug=get_one("debug") in ("1", "true", "yes"),
        )

    def to_query_params(self) -> dict[str, str | list[str]]:
        """Only what differs from the defaults, so a plain visit has a clean URL."""
        params: dict[str, str | list[str]] = {}
        if self.query.strip():
            params["q"] = self.query.strip()
        if self.persons:
            params["person"] = list(self.persons)
        if self.sources:
            params["source"] = list(self.sources)
        if self.date_from:
            params["from"] = self.date_from.isoformat()
        if self.date_to:
            params["to"] = self.date_to.isoformat()
        if self.has_date_range and self.include_undated:
            params["undated"] = "1"
        if self.sort:
            params["sort"] = self.sort
        if self.page > 1:
            params["page"] = str(self.page)
        if self.article:
            params["article"] = self.article
        if self.lang != "ar":
            params["lang"] = self.lang
        facet_items = [f"{name}:{value}" for name, values in self.facets.items() for value in values]
        if facet_items:
            params["facet"] = facet_items
        if self.panel != "results":
            params["panel"] = self.panel
        if self.measure != "share":
            params["measure"] = self.measure
        if self.whole_span:
            params["span"] = "all"
        if self.debug:
            params["debug"] = "1"
        return params


# ---------------------------------------------------------------- safe HTML


def esc(text: object) -> str:
    """Escape an untrusted value for HTML text or a quoted attribute."""
    return html.escape("" if text is None else str(text), quote=True)


_SAFE_URL = re.compile(r"^https?://", re.IGNORECASE)


def safe_link(url: str | None, text: str) -> str:
    """An <a> only for http(s) URLs (no javascript: or data:), opening in a new tab; else nothing."""
    if not url or not _SAFE_URL.match(url.strip()):
        return ""
    return (f'<a href="{esc(url.strip())}" target="_blank" rel="noopener noreferrer nofollow">'
            f"{esc(text)}</a>")


def display_url(url: str, limit: int = 70) -> str:
    """A URL as people read it: the domain and the decoded path (Arabic letters, not %D8%A7…), without the scheme
    or www., cut with … past LIMIT characters."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = unquote(parts.path).rstrip("/")
    query = ("?" + unquote(parts.query)) if parts.query else ""
    shown = host + path + query
    return shown if len(shown) <= limit else shown[: limit - 1].rstrip("/-") + "…"


def chips_html(names: Iterable[str], css_class: str = "na-chip") -> str:
    return "".join(f'<span class="{css_class}">{esc(name)}</span>' for name in names)


def format_date(value: datetime.date | str | None, lang: str) -> str:
    """yyyy-mm-dd everywhere (cards, article, index panel); shown inside dir="ltr" (date_html) so that a
    right-to-left paragraph does not turn 2012-10-11 into 11-10-2012."""
    if value is None or value == "":
        return label("undated", lang)
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def date_html(value: datetime.date | str | None, lang: str) -> str:
    return f'<span class="na-date" dir="ltr">{esc(format_date(value, lang))}</span>'


def facet_title(name: str, lang: str) -> str:
    """The sidebar title of a facet: people, outlets, or a metadata facet's label."""
    if name == "person":
        return label("facet_person", lang)
    if name == "source":
        return label("facet_source", lang)
    if name in ENTITY_FACETS:
        return label(f"facet_{name}", lang)
    return facet_label(name, lang)


def facet_value_name(facet: str, value: str | None, lang: str) -> str:
    if facet == "source":
        return source_name(value, lang)
    if facet in ("person", *ENTITY_FACETS):
        return str(value)
    return value_label(facet, str(value), lang)


# How many other spellings a person's note lists before "…" (a registered person may have a dozen).
SPELLINGS_SHOWN = 6


def spellings_note(spellings: Sequence[str] | None, lang: str) -> str:
    """The note beside a listed or chosen person: the other spellings its facet entry stands for ("Also written:
    ترمب، Trump"), as search --json's person_spellings gives them; "" for a person with none."""
    if not spellings:
        return ""
    shown = list(spellings[:SPELLINGS_SHOWN]) + (["…"] if len(spellings) > SPELLINGS_SHOWN else [])
    return label("person_also_written", lang, names=("، " if lang == "ar" else ", ").join(shown))


def relax_label(facet: str, lang: str, total: str) -> str:
    if facet in ("person", "source", "date", "query"):
        return label(f"relax_{facet}", lang, total=total)
    return label("relax_facet", lang, facet=filter_name(facet, lang), total=total)


def export_column_label(column: str, lang: str) -> str:
    key = f"column_{column}"
    return label(key, lang) if key in _label_table()["labels"] else facet_label(column, lang)


def source_name(source: str | None, lang: str) -> str:
    return source if source else label("unknown_source", lang)


def title_html(hit: Any) -> str:
    """The searcher's highlighted title when it gives one (already escaped, <mark> added), else the escaped title."""
    highlighted = getattr(hit, "title_html", None)
    return highlighted if isinstance(highlighted, str) and highlighted else esc(hit.title)


def hit_card_html(hit: Any, lang: str, rank: int | None = None, compact: bool = False) -> str:
    """One result as an RTL card. `hit.snippet` is already HTML-safe (escaped by the searcher, <mark> added);
    everything else is escaped here."""
    meta = (f'<span class="na-source">{esc(source_name(hit.source, lang))}</span>'
            f'<span class="na-sep">·</span>{date_html(hit.date, lang)}'
            + "".join(f'<span class="na-sep">·</span><span class="na-facet">{esc(value_label(name, value, lang))}'
                      "</span>" for name, value in (getattr(hit, "metadata", None) or {}).items()))
    number = f'<span class="na-rank">{rank}.</span> ' if rank is not None else ""
    people = chips_html(hit.persons)
    return (
        f'<div class="na-card" dir="rtl" lang="ar" data-article-id="{esc(hit.id)}">'
        f'<div class="na-title">{number}{title_html(hit)}</div>'
        f'<div class="na-meta">{meta}</div>'
        + ("" if compact else f'<div class="na-snippet">{hit.snippet}</div>')
        + (f'<div class="na-chips">{people}</div>' if people and not compact else "")
        + "</div>"
    )


def body_html(highlighted_body: str) -> str:
    """The searcher's highlighted body (escaped, <mark> on matches, paragraphs as newlines) as paragraphs."""
    paragraphs = [p.strip() for p in highlighted_body.split("\n")]
    return "".join(f"<p>{p}</p>" for p in paragraphs if p)


def article_header_html(article: Any, lang: str) -> str:
    rows = [
        (label("article_source", lang), esc(source_name(article.source, lang))),
        (label("article_date", lang), date_html(article.published, lang)),
    ]
    for name, value in (getattr(article, "metadata", None) or {}).items():
        rows.append((facet_label(name, lang), esc(value_label(name, value, lang))))
    if article.persons:
        rows.append((label("article_people", lang), chips_html(article.persons)))
    link = safe_link(article.url, display_url(article.url)) if article.url else ""
    if link:
        rows.append((label("article_link", lang), f'<span dir="ltr" class="na-url">{link}</span>'))
    meta = "".join(f'<div class="na-meta-row"><span class="na-meta-key">{esc(key)}</span> {value}</div>'
                   for key, value in rows)
    meta_direction = "rtl" if lang == "ar" else "ltr"
    return (f'<div class="na-article-head"><h2 class="na-article-title" dir="rtl" lang="ar">{esc(article.title)}</h2>'
            f'<div class="na-article-meta" dir="{meta_direction}">{meta}</div></div>')


def article_body_html(highlighted_body: str) -> str:
    return f'<div class="na-article-body" dir="rtl" lang="ar">{body_html(highlighted_body)}</div>'


def normalized_query_html(normalized: str, lang: str) -> str:
    terms = f'<code class="na-term">{esc(normalized)}</code>'
    return (f'<div class="na-normalized"><span class="na-muted">{esc(label("normalized_query", lang))}</span> '
            f'<span dir="rtl" lang="ar">{terms}</span></div>')


def notice_html(text: str) -> str:
    return f'<div class="na-notice" dir="auto">{esc(text)}</div>'


# ---------------------------------------------------------------- facets and charts


def facet_counts(pairs: Sequence[Sequence[Any]] | None) -> dict[str, int]:
    return {str(name): int(count) for name, count in (pairs or []) if name is not None}


def facet_options(counts: Mapping[str, int], selected: Sequence[str]) -> list[str]:
    """Facet values, most frequent first, with every selected value kept even when it no longer matches
    (so a choice never silently disappears from the box)."""
    ordered = sorted(counts, key=lambda name: (-counts[name], name))
    return list(dict.fromkeys([*selected, *ordered]))


def with_count(name: str, counts: Mapping[str, int], lang: str = "ar") -> str:
    shown = name if name else label("unknown_source", lang)
    return f"{shown} ({counts[name]})" if name in counts else shown


def month_rows(month_facet: Sequence[Sequence[Any]] | None) -> list[tuple[str, int]]:
    """Dated months in calendar order (undated left out: they have no place on a time axis)."""
    return sorted((str(month), int(count)) for month, count in (month_facet or []) if month)


def undated_count(month_facet: Sequence[Sequence[Any]] | None) -> int:
    return sum(int(count) for month, count in (month_facet or []) if not month)


# The histogram zooms to the months holding all but this share of the matches at either end.
HISTOGRAM_TAIL = 0.01


def histogram_window(months: Sequence[tuple[str, int]]) -> tuple[list[tuple[str, int]], int]:
    """The months to draw when zoomed to the matches, and how many matching articles fall outside them.

    A few stray articles years away (a 2012 story in a 2018 collection) would stretch the time axis so that the
    months holding the matches become slivers: the window drops the sparse ends holding at most HISTOGRAM_TAIL of
    the matches on each side."""
    if len(months) < 3:
        return list(months), 0
    total = sum(count for _, count in months)
    allowance = total * HISTOGRAM_TAIL
    first, last = 0, len(months) - 1
    dropped_low = dropped_high = 0
    while first < last and dropped_low + months[first][1] <= allowance:
        dropped_low += months[first][1]
        first += 1
    while last > first and dropped_high + months[last][1] <= allowance:
        dropped_high += months[last][1]
        last -= 1
    return list(months[first: last + 1]), dropped_low + dropped_high


# ---------------------------------------------------------------- export


def _export_row(match: Mapping[str, Any], extra: Sequence[str] = ()) -> dict[str, Any]:
    row = {column: match.get(column) for column in (*EXPORT_COLUMNS, *extra)}
    date = row["date"]
    row["date"] = date.isoformat() if isinstance(date, datetime.date) else (date or None)
    for column in NAME_LIST_COLUMNS:
        row[column] = list(row[column] or [])
    return row


def export_jsonl(matches: Iterable[Mapping[str, Any]], extra: Sequence[str] = ()) -> bytes:
    """One JSON object per line, UTF-8, Arabic kept readable (not \\u-escaped); EXTRA: metadata facet columns."""
    lines = (json.dumps(_export_row(m, extra), ensure_ascii=False) for m in matches)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def export_csv(matches: Iterable[Mapping[str, Any]], extra: Sequence[str] = ()) -> bytes:
    """CSV with a header; persons, places and organizations joined with '; '; UTF-8 with a BOM so spreadsheet
    programs read Arabic."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=(*EXPORT_COLUMNS, *extra), lineterminator="\n")
    writer.writeheader()
    for match in matches:
        row = _export_row(match, extra)
        for column in NAME_LIST_COLUMNS:
            row[column] = "; ".join(row[column])
        row["date"] = row["date"] or ""
        writer.writerow(row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def export_file_stem(query: str) -> str:
    words = re.sub(r"[^\w\s-]", "", query, flags=re.UNICODE).split()
    return "news-archive" + ("-" + "-".join(words[:5]) if words else "")


# ---------------------------------------------------------------- style


def page_css(lang: str) -> str:
    """Direction is set on the elements that hold Arabic text, never on the whole app: a global
    `direction: rtl` reverses Streamlit widgets such as the date range picker."""
    rtl = lang == "ar"
    interface = "rtl" if rtl else "ltr"
    align = "right" if rtl else "left"
    # In Arabic the whole reading order flips: sidebar on the right, columns and button rows right to left.
    # The main column holds no date range input, so rtl is safe there; the sidebar only gets it per element.
    rtl_main = """
/* the sidebar on the right; on a phone it is an overlay that slides in, and row-reverse would leave it squeezed
   into a sliver over the page */
@media (min-width: 768px) { [data-testid="stAppViewContainer"] { flex-direction: row-reverse; } }
.stMain .stMainBlockContainer { direction: rtl; }
/* charts draw their own text; the segmented controls' rounded ends assume ltr (app.py reverses their options) */
.stMain [data-testid="stVegaLiteChart"], .stMain [data-testid="stButtonGroup"],
.stMain [data-testid="stDataFrame"] { direction: ltr; }
.stMain [data-testid="stMarkdownContainer"] { text-align: right; }
/* the query help lives in a popover outside the main column: it reads right to left too */
[data-testid="stPopoverBody"] { direction: rtl; text-align: right; }
[data-testid="stPopoverBody"] code { unicode-bidi: plaintext; }
""" if rtl else ""
    return f"""
<style>
.stApp, .stApp button, .stApp input, .stApp textarea {{ font-family: {INTERFACE_FONT_STACK}; }}
.stMain .stMainBlockContainer {{ padding-top: 2.2rem; }}
.stMain h1 {{ font-size: 2.1rem; padding-bottom: .2rem; }}
.na-card, .na-article-head, .na-article-body, .na-normalized, .na-chip, .na-term {{
  font-family: {ARABIC_FONT_STACK};
}}
.na-card {{ direction: rtl; text-align: right; overflow-wrap: anywhere; }}
.na-title {{ font-size: 1.18rem; font-weight: 700; line-height: 1.6; }}
.na-rank {{ color: #888; font-weight: 400; }}
.na-meta {{ color: #666; font-size: .9rem; margin: .1rem 0 .35rem; }}
.na-sep {{ margin: 0 .4rem; }}
.na-snippet {{ line-height: 1.9; font-size: 1.02rem; }}
.na-card mark, .na-article-body mark {{ background: #ffe58f; color: inherit; padding: 0 .1em; border-radius: .2em; }}
.na-chips {{ margin-top: .35rem; }}
.na-chip {{ display: inline-block; background: rgba(28,131,225,.1); color: #1c5fa8; border-radius: 1rem;
  padding: .05rem .65rem; margin: .15rem 0 .15rem .35rem; font-size: .85rem; white-space: nowrap; }}
.na-article-title {{ direction: rtl; text-align: right; }}
.na-article-meta[dir=ltr] {{ text-align: left; }}
.na-article-title {{ line-height: 1.6; overflow-wrap: anywhere; }}
.na-meta-row {{ margin: .15rem 0; }}
.na-meta-key {{ color: #777; display: inline-block; min-width: 5.5rem; }}
.na-url a {{ word-break: break-all; }}
.na-article-body {{ direction: rtl; text-align: right; font-size: 1.15rem; line-height: 2.05; max-width: 48rem;
  overflow-wrap: anywhere; }}
.na-normalized {{ direction: {interface}; text-align: {align}; margin: .2rem 0; }}
.na-term {{ background: rgba(128,128,128,.12); border-radius: .3rem; padding: .05rem .4rem; margin: 0 .15rem; }}
.na-muted {{ color: #777; }}
/* messages from the library are English or Arabic: each paragraph takes the direction of its own text */
.stAlert p {{ unicode-bidi: plaintext; }}
.na-notice {{ color: #8a6d00; margin: .2rem 0; unicode-bidi: plaintext; }}
.na-facet {{ color: #666; }}
.na-date {{ unicode-bidi: isolate; }}
.na-index .na-meta-key {{ min-width: 4.5rem; }}
/* facet lists: one value per line, compact, long names wrap instead of being clipped */
[class*="st-key-facet_"] .stCheckbox {{ min-height: 1.6rem; }}
[class*="st-key-facet_"] .stCheckbox label p {{ font-family: {ARABIC_FONT_STACK}; overflow-wrap: anywhere; }}
.st-key-pager button p {{ font-variant-numeric: tabular-nums; }}
/* Arabic query, names and outlets inside inputs read right to left in either interface language;
   labels follow the interface. The date range input is left alone: rtl reverses its two dates. */
.st-key-w_q input {{ direction: rtl; text-align: right; font-family: {ARABIC_FONT_STACK}; }}
.stMultiSelect [role="group"] {{ direction: rtl; }}
.stMultiSelect [role="group"] input, .stMultiSelect [data-testid="stMultiSelectTagsContainer"] span {{
  font-family: {ARABIC_FONT_STACK}; text-align: right; }}
[role="listbox"] [role="option"] {{ direction: rtl; text-align: right; font-family: {ARABIC_FONT_STACK}; }}
[data-testid="stSidebar"] [data-testid="stMarkdownContainer"], [data-testid="stWidgetLabel"],
[data-testid="stExpander"] summary, [data-testid="stCaptionContainer"], .stAlert, [data-testid="stHeading"],
.stCheckbox label, .stMetric {{ direction: {interface}; text-align: {align}; }}
{rtl_main}
</style>
"""
