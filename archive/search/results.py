"""What a search returns: hits and the result, with their `--json` shape (the contract in ../shared/DESIGN.md)
and their one-line terminal summary; and the orders a search can be sorted in."""

from __future__ import annotations

import datetime
import html
import math
from dataclasses import dataclass
from typing import Any

from archive.index.schema import day_to_date
from archive.search.snippets import highlight_text, make_snippet

SORTS = ("relevance", "newest", "oldest")
MATCHES = ("all", "any")
FALLBACK_NOTICE = "no article has all the words; showing articles with some of them"
MAX_LIMIT = 1000


@dataclass
class Hit:
    id: str
    title: str
    source: str | None
    date: datetime.date | None
    persons: list[str]
    score: float
    url: str | None
    snippet: str  # HTML-safe: escaped text, the matched words in <mark>
    plain_snippet: str  # no markup, not escaped: for terminals
    title_html: str = ""  # the title escaped, matched words in <mark>
    docnum: int = -1

    @property
    def date_iso(self) -> str | None:
        return self.date.isoformat() if self.date else None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "source": self.source, "date": self.date_iso,
                "persons": list(self.persons), "score": self.score, "snippet": self.snippet}


@dataclass
class SearchResult:
    query: str
    total: int
    took_ms: float
    page: int
    limit: int
    hits: list[Hit]
    match_used: str
    fell_back: bool
    normalized_query: str
    suggestions: list[str]
    facets: dict[str, list[tuple[str | None, int]]]
    notice: str | None = None
    sort: str = "relevance"

    def to_dict(self) -> dict[str, Any]:
        """Exactly the `search --json` object of ../shared/DESIGN.md."""
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": self.took_ms,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {name: [[key, count] for key, count in pairs] for name, pairs in self.facets.items()},
        }

    def summary_line(self) -> str:
        shown = f"{self.total} article{'s' if self.total != 1 else ''}"
        what = f" for «{self.query}»" if self.query.strip() else ""
        terms = (f" (searched as: {self.normalized_query})"
                 if self.normalized_query and self.normalized_query != self.query.strip() else "")
        page = ""
        if self.total > self.limit:
            pages = math.ceil(self.total / self.limit)
            page = f", page {self.page} of {pages}"
        line = f"{shown}{what}{terms}{page}, by {self.sort}, in {self.took_ms:.1f} ms"
        if self.notice:
            line += f" — {self.notice}"
        if self.suggestions:
            line += " — did you mean: " + " | ".join(self.suggestions)
        return line


def persons_of(stored: dict[str, Any]) -> list[str]:
    value = stored.get("persons") or ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [name.strip() for name in str(value).split(",") if name.strip()]


def build_hit(stored: dict[str, Any], day: int, docnum: int, score: float, terms: set[str]) -> Hit:
    """A hit from a document's stored fields and its day number, with a snippet marking TERMS."""
    body = stored.get("body") or ""
    title = stored.get("title") or ""
    snippet, plain = make_snippet(body, terms)
    return Hit(
        id=str(stored.get("id")), title=title, source=stored.get("source") or None,
        date=day_to_date(day), persons=persons_of(stored), score=round(score, 4),
        url=stored.get("url") or None, snippet=snippet, plain_snippet=plain,
        title_html=highlight_text(title, terms) if terms else html.escape(title), docnum=docnum)
