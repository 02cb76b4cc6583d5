"""The Whoosh schema of the archive and the day encoding of dates, shared by the writer and the searcher.

Whoosh pickles the analyzer into the index, so `archive.text.analysis.ArabicAnalyzer` and the classes it is made
of must stay importable under the same names. Any change to analysis or to this schema bumps a version
that the index records; an index with other versions must be rebuilt (`news-archive rebuild-index`).
"""

from __future__ import annotations

import datetime
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from archive.index.formats import VarintPositions, stored_dictionary_digest
from archive.text.analysis import ANALYSIS_VERSION, ArabicAnalyzer

# 2: the analyzer pickled into the schema moved to archive.text.analysis (indexes of version 1 name the old module)
# 3: positions encoded as varints (archive/index/formats.py), not a count and a pickled list
# 4: metadata facets (meta_* fields: the record's extra scalar fields, such as the corpus's category -> section)
# 5: places and organizations (places, organizations: canonical names, as persons)
# 6: stored fields compressed with a preset dictionary (archive/index/formats.py StoredFieldsColumn)
# 7: posting blocks compress only their value lengths (archive/index/whoosh_io.py compress_block)
SCHEMA_VERSION = 7
# The facets of names an article can hold several of, by facet name: the index field holding them (comma-separated
# canonical names, as `persons`). Places and organizations are read, filtered and counted alike.
ENTITY_FIELDS = {"place": "places", "organization": "organizations"}
# Field-name prefix of the metadata facets: meta_section holds the `section` facet's value.
METADATA_PREFIX = "meta_"

# Undated articles get this day number: it sorts before every real date, and no filter range includes it.
UNDATED = 0
TITLE_BOOST = 2.0


def date_to_day(published: datetime.date | None) -> int:
    """yyyymmdd as an integer (20230314), or UNDATED: sortable, range-filterable, readable."""
    return UNDATED if published is None else published.year * 10000 + published.month * 100 + published.day


def day_to_month(day: Any) -> Any:
    """yyyymm of a day number (an int or a numpy array of them): the month a facet counts it under."""
    return day // 100


def month_key(month: int) -> str:
    """"yyyy-mm" of a yyyymm month number, as the month facet names it."""
    return f"{month // 100:04d}-{month % 100:02d}"


def day_to_date(day: int) -> datetime.date | None:
    """The date of a day number; None for UNDATED (or a number that is no calendar date)."""
    if not day:
        return None
    try:
        return datetime.date(day // 10000, day // 100 % 100, day % 100)
    except ValueError:
        return None


def _text(analyzer: Any, field_boost: float = 1.0) -> TEXT:
    """A stored text field with positions (for phrases) in the compact varint encoding."""
    field = TEXT(analyzer=analyzer, stored=True, field_boost=field_boost, phrase=True)
    field.format = VarintPositions(field_boost=field_boost)
    return field


def build_schema() -> Schema:
    analyzer = ArabicAnalyzer()
    schema = Schema(
        id=ID(stored=True, unique=True),
        title=_text(analyzer, TITLE_BOOST),
        body=_text(analyzer),
        # the canonical outlet name; "" when unknown
        source=ID(stored=True),
        # canonical person names, comma-separated (names contain spaces)
        persons=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        # canonical place and organization names, likewise (archive/extract/entities.py)
        places=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        organizations=KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        day=NUMERIC(int, bits=32, stored=True, sortable=True, signed=False, default=UNDATED),
        url=STORED,
        origin=STORED,
    )
    # one term per document and facet: the value as given (exact filters, per-document facet arrays)
    schema.add(METADATA_PREFIX + "*", ID(stored=True), glob=True)
    return schema


def versions() -> dict[str, str | int]:
    """What an index records about how it was written; a mismatch on open means rebuild."""
    return {"schema_version": SCHEMA_VERSION, "analysis_version": ANALYSIS_VERSION,
            "stored_dictionary": stored_dictionary_digest()}
