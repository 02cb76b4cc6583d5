"""The Whoosh schema of the archive, shared by the indexer (writes) and the searcher (reads).

Whoosh pickles the analyzer into the index, so `archive.analysis.ArabicAnalyzer` and the classes it is made
of must stay importable under the same names. Any change to analysis or to this schema bumps a version
that the index records; an index with other versions must be rebuilt (`news-archive rebuild-index`).
"""

from __future__ import annotations

import datetime

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from archive.analysis import ANALYSIS_VERSION, ArabicAnalyzer

SCHEMA_VERSION = 1

# Undated articles get this day number: it sorts before every real date, and no filter range includes it.
UNDATED = 0
TITLE_BOOST = 2.0


def date_to_day(published: datetime.date | None) -> int:
    """yyyymmdd as an integer (20230314), or UNDATED: sortable, range-filterable, readable."""
    return UNDATED if published is None else published.year * 10000 + published.month * 100 + published.day


def build_schema() -> Schema:
    analyzer = ArabicAnalyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=analyzer, stored=True, field_boost=TITLE_BOOST, phrase=True),
        body=TEXT(analyzer=analyzer, stored=True, phrase=True),
        # the canonical outlet name; "" when unknown
        source=ID(stored=True),
        # canonical person names, comma-separated (names contain spaces)
        persons=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        day=NUMERIC(int, bits=32, stored=True, sortable=True, signed=False, default=UNDATED),
        url=STORED,
        origin=STORED,
    )


def versions() -> dict[str, str | int]:
    """What an index records about how it was written; a mismatch on open means rebuild."""
    return {"schema_version": SCHEMA_VERSION, "analysis_version": ANALYSIS_VERSION}
