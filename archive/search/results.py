"""What a search returns: hits and the result, with their `--json` shape (the contract in ../shared/DESIGN.md)
and their one-line terminal summary; and the orders a search can be sorted in."""

from __future__ import annotations

import datetime
import html
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archive.index.schema import ENTITY_FIELDS, day_to_date
from archive.search.notices import Notice, texts
from archive.search.snippets import highlight_text, make_snippet

SORTS = ("relevance", "newest", "oldest")
MATCHES = ("all", "any")
# a keyed notice (archive/data/messages.json): the "any word" fallback after an all-words query found nothing
FALLBACK_NOTICE = Notice("fallback_any")
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
    metadata: dict[str, str] = field(default_factory=dict)  # metadata facets: {"section": "sport"}
    places: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    # other versions of the same article (same outlet, same day, lightly edited), when results are collapsed
    versions: list[Hit] = field(default_factory=list)

    @property
    def date_iso(self) -> str | None:
        return self.date.isoformat() if self.date else None

    def to_dict(self) -> dict[str, Any]:
        """The hit of `search --json`: the keys of ../shared/DESIGN.md, then one key per metadata facet (its
        value or null), then `versions` (ids) when collapsed versions were found."""
        found = {"id": self.id, "title": self.title, "source": self.source, "date": self.date_iso,
                 "persons": list(self.persons), "score": self.score, "snippet": self.snippet,
                 "places": list(self.places), "organizations": list(self.organizations)}
        found |= {name: value for name, value in self.metadata.items() if name not in found}
        if self.versions:
            found["versions"] = [version.id for version in self.versions]
        return found


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
    notice: str | None = None  # every notice in English, joined by "; " (the command line prints it)
    sort: str = "relevance"
    notices: list[Notice] = field(default_factory=list)
    metadata_facets: list[str] = field(default_factory=list)  # names of the metadata facets of the index
    # the person facet's merged people: {shown spelling: its other spellings} (archive/search/person_merge.py)
    person_variants: dict[str, list[str]] = field(default_factory=dict)
    # every facet person's other spellings, registered (variants, short forms, Latin) and merged alike
    # (archive/search/names.py: person_spellings): what the app shows beside a listed or chosen person
    person_spellings: dict[str, list[str]] = field(default_factory=dict)
    # the place and organization facets' merged names: {facet: {shown spelling: its other spellings}}
    entity_variants: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def notices_in(self, lang: str) -> list[str]:
        """Every notice in an interface language ("en", "ar")."""
        return texts(self.notices, lang)

    def to_dict(self) -> dict[str, Any]:
        """Exactly the `search --json` object of ../shared/DESIGN.md."""
        return {
            "query": self.query,
            "total": self.total,
            "took_ms": self.took_ms,
            "hits": [hit.to_dict() for hit in self.hits],
            "facets": {name: [[key, count] for key, count in pairs] for name, pairs in self.facets.items()},
            # extra top-level key: what the search ignored, relaxed or could not match, with message keys
            "notices": [notice.to_dict() if isinstance(notice, Notice) else {"text": str(notice)}
                        for notice in self.notices],
            # extra top-level key: the other spellings of the facet's people merged across the archive
            **({"person_variants": self.person_variants} if self.person_variants else {}),
            # extra top-level key: every other spelling the facet's people stand for, registered and merged
            **({"person_spellings": self.person_spellings} if self.person_spellings else {}),
            # extra top-level key: the other spellings of the facets' places and organizations merged across it
            **({"entity_variants": self.entity_variants} if self.entity_variants else {}),
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


def persons_of(stored: dict[str, Any], fieldname: str = "persons") -> list[str]:
    """The names a stored comma-separated field holds (persons, places, organizations)."""
    value = stored.get(fieldname) or ""
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [name.strip() for name in str(value).split(",") if name.strip()]


def build_hit(stored: dict[str, Any], day: int, docnum: int, score: float, terms: set[str],
              metadata: dict[str, str] | None = None) -> Hit:
    """A hit from a document's stored fields and its day number, with a snippet marking TERMS."""
    body = stored.get("body") or ""
    title = stored.get("title") or ""
    snippet, plain = make_snippet(body, terms, title=title)
    return Hit(
        id=str(stored.get("id")), title=title, source=stored.get("source") or None,
        date=day_to_date(day), persons=persons_of(stored), score=round(score, 4),
        url=stored.get("url") or None, snippet=snippet, plain_snippet=plain,
        title_html=highlight_text(title, terms) if terms else html.escape(title), docnum=docnum,
        metadata=dict(metadata or {}), places=persons_of(stored, "places"),
        organizations=persons_of(stored, "organizations"))


def ranked_counts(names: list[str], counts: np.ndarray) -> list[tuple[str, int]]:
    """(name, count) of every name counted at least once, count descending then name."""
    return sorted(((name, int(n)) for name, n in zip(names, counts.tolist(), strict=True) if n),
                  key=lambda item: (-item[1], item[0]))


def name_stats(counts: dict[str, tuple[list[str], np.ndarray]], top: int) -> dict[str, Any]:
    """The `stats` entries of the multi-valued facets (person, place, organization) from {facet: (names, article
    counts)}: the TOP most named (count descending, then name) and how many distinct names there are. One index and
    a sharded one (its shards' counts added up under the collection's names) both answer through it."""
    found: dict[str, Any] = {}
    for facet, (names, numbers) in counts.items():
        plural = "people" if facet == "person" else ENTITY_FIELDS[facet]
        ranked = ranked_counts(names, numbers)
        found[plural] = dict(ranked[:top])
        found[f"distinct_{plural}"] = len(ranked)
    return found
