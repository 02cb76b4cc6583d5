"""The place and organization registries as written (archive/data/places.tsv, organizations.tsv): one row per
place or organization, read by the entity extraction (archive/extract/entities.py) and by the people's rules
(archive/extract/people.py: a place's name after ب/ل ends a person's name). Their own module so that both read the
files one way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archive.resources import DATA_DIR

PLACES_FILE = DATA_DIR / "places.tsv"
ORGANIZATIONS_FILE = DATA_DIR / "organizations.tsv"
PLACE, ORGANIZATION = "place", "organization"


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split("|") if part.strip()]


@dataclass(slots=True)
class Entry:
    name: str
    kind: str  # PLACE or ORGANIZATION
    variants: list[str] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    ambiguous_short: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    type: str = ""  # country, city, region, club, party ... ("-": a generic word that is no name)
    latin: list[str] = field(default_factory=list)


def load_entries(path: Path, kind: str) -> list[Entry]:
    """The rows of a registry file: name | variants | short forms ("?": ambiguous) | context words | type | Latin."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("name\t"):
            continue
        name, variants, short, context, kind_of, latin = ([cell.strip() for cell in line.split("\t")] + [""] * 6)[:6]
        shorts = _split(short)
        entries.append(Entry(name=name, kind=kind, variants=_split(variants),
                             short=[s for s in shorts if not s.startswith("?")],
                             ambiguous_short=[s[1:] for s in shorts if s.startswith("?")], context=_split(context),
                             type=kind_of, latin=_split(latin)))
    return entries
