"""Metadata facets: the extra scalar fields an input record carries (a JSONL key, a CSV column, a sidecar key)
beyond the fields the archive knows (id, title, body/text, source, date, url, persons).

Each becomes a facet of its own without code per field: `category` in the shared corpus is the `section` facet.
Names are folded through the aliases of archive/data/metadata_fields.json (category, section, قسم -> section),
else kept as the input names them (lower-cased, spaces as `_`). Only short scalar values count (a string, number or
boolean up to `max_value_chars`): a long text field is content, not a facet value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from archive.resources import DATA_DIR

METADATA_FILE = DATA_DIR / "metadata_fields.json"
# Fields the archive reads itself: never metadata facets.
KNOWN_FIELDS = frozenset({"id", "title", "body", "text", "source", "date", "url", "persons"})
# Names the facets of `search --json` already use, or will (../shared/DESIGN.md): never a metadata facet's name.
RESERVED_NAMES = KNOWN_FIELDS | {"person", "month", "day", "origin", "place", "places", "organization", "organizations",
                                   "org"}
_NAME = re.compile(r"[^\w]+")


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    return json.loads(METADATA_FILE.read_text(encoding="utf-8"))


def max_value_chars() -> int:
    return int(_table().get("max_value_chars", 80))


@lru_cache(maxsize=4096)
def facet_name(key: str) -> str | None:
    """The facet name of an input field (None for a field the archive reads itself or a name with no letters).
    Cached: every record of a file asks about the same few keys."""
    folded = " ".join(str(key).split()).lower()
    if not folded or folded in RESERVED_NAMES:
        return None
    aliases = _table()["aliases"]
    if folded in aliases:
        return str(aliases[folded])
    name = _NAME.sub("_", folded).strip("_")
    if not name or name in RESERVED_NAMES or name.isdigit():
        return None
    return name[:40]


def metadata_of(mapping: Mapping[str, Any]) -> dict[str, str]:
    """The facet values of a record: {facet name: value} for its short scalar extra fields (at most max_fields,
    the first spelling of a facet wins)."""
    found: dict[str, str] = {}
    limit = int(_table().get("max_fields", 12))
    longest = max_value_chars()
    for key, value in mapping.items():
        if len(found) >= limit:
            break
        if isinstance(value, bool):
            value = "true" if value else "false"
        if not isinstance(value, str | int | float) or key is None:
            continue
        name = facet_name(key)
        if name is None or name in found:
            continue
        text = " ".join(str(value).replace(",", " ").split())
        if text and len(text) <= longest:
            found[name] = text
    return found


def facet_label(name: str, lang: str) -> str:
    """A facet's name in an interface language: its label when the table has one, else the name itself."""
    labels = _table()["labels"].get(name) or {}
    return str(labels.get(lang) or labels.get("en") or name)


def value_label(name: str, value: str, lang: str) -> str:
    """How a facet value reads in an interface language (the corpus's `internationalNews` is دولي in Arabic);
    the value itself when the table does not name it."""
    labels = (_table().get("value_labels", {}).get(name) or {}).get(value) or {}
    return str(labels.get(lang) or value)
