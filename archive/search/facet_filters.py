"""Metadata facet filters as people give them, resolved against the facets and values an index holds: the one
resolution for a single index (archive/search/archive.py) and for a sharded one (archive/search/sharded.py, over
the collection's values), so both filter and warn alike.

`known` maps each metadata facet of the index to its values (sorted), as DocArrays.metadata holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from archive.extract.metadata import facet_name, value_label
from archive.search.engine import normalize_metadata_filters
from archive.search.notices import Notice
from archive.search.query import FieldMatch, Node, iter_positive
from archive.text.normalize import normalize

MetadataFilters = Mapping[str, Sequence[str]]
# place / organization filters: facet name -> names (archive/index/schema.py ENTITY_FIELDS)
EntityFilters = dict[str, list[str]]
ResolvedFilters = tuple[tuple[str, tuple[str, ...]], ...]


def _fold(text: str) -> str:
    return " ".join(normalize(str(text)).casefold().split())


def resolve_metadata(known: Mapping[str, Sequence[str]], facets: MetadataFilters | None) -> ResolvedFilters:
    """Metadata filters with facet names through their aliases (category -> section) and each value matched
    exactly, else ignoring case and spelling variants, else by its label ("رياضة" is the section `sport`).
    A value matching nothing stays as given (and then matches nothing, with a notice)."""
    resolved: dict[str, list[str]] = {}
    for name, values in normalize_metadata_filters(facets):
        facet = facet_name(name) or name
        facet_values = known.get(facet)
        for value in values:
            if facet_values is None or value in facet_values:
                resolved.setdefault(facet, []).append(value)
                continue
            folded = _fold(value)
            matched = [v for v in facet_values if folded in
                       (_fold(v), _fold(value_label(facet, v, "ar")), _fold(value_label(facet, v, "en")))]
            resolved.setdefault(facet, []).extend(matched or [value])
    return normalize_metadata_filters(resolved)


def unknown_metadata_notices(known: Mapping[str, Sequence[str]], facets: MetadataFilters | None) -> list[Notice]:
    """Notices for metadata facets, and values of them, matching nothing in the archive."""
    notices = []
    for name, values in normalize_metadata_filters(facets):
        facet = facet_name(name) or name
        facet_values = known.get(facet)
        if facet_values is None:
            notices.append(Notice("unknown_facet", facet=name, known=list(known) or ["-"]))
            continue
        for value in values:
            resolved = dict(resolve_metadata(known, {facet: [value]})).get(facet, ())
            if not any(v in facet_values for v in resolved):
                notices.append(Notice("unknown_facet_value", facet=facet, value=value))
    return notices


def unknown_name_notices(root: Node | None, persons: Sequence[str], sources: Sequence[str],
                         resolve_persons: Callable[[list[str]], list[str]],
                         resolve_sources: Callable[[list[str]], list[str]]) -> list[Notice]:
    """Notices for person / source names (filters or `person:` / `source:` in the query) matching nobody in the
    archive, as RESOLVE_PERSONS / RESOLVE_SOURCES (one index's or a sharded collection's) find them."""
    notices = []
    persons = [persons] if isinstance(persons, str) else list(persons or ())
    sources = [sources] if isinstance(sources, str) else list(sources or ())
    wanted_persons = [p for p in persons if p and p.strip()]
    wanted_sources = [s for s in sources if s and s.strip()]
    for leaf in iter_positive(root):
        if isinstance(leaf, FieldMatch) and leaf.field in ("person", "source"):
            (wanted_persons if leaf.field == "person" else wanted_sources).append(leaf.value)
    for value in wanted_persons:
        if not resolve_persons([value]):
            notices.append(Notice("unknown_person", value=value))
    for value in wanted_sources:
        if not resolve_sources([value]):
            notices.append(Notice("unknown_source", value=value))
    return notices


def entity_filters(places: Sequence[str] | str | None, organizations: Sequence[str] | str | None) -> EntityFilters:
    """`--place` / `--org` values as the entity filters of a search ({} when neither is given); one name given as a
    plain string is one name."""
    found: EntityFilters = {}
    for facet, values in (("place", places), ("organization", organizations)):
        values = [values] if isinstance(values, str) else list(values or ())
        kept = [v for v in values if v and str(v).strip()]
        if kept:
            found[facet] = kept
    return found


def entity_filters_set(entities: EntityFilters) -> list[str]:
    """The names of the entity filters in use, for the notices."""
    return [facet for facet in ("place", "organization") if entities.get(facet)]


def unknown_entity_notices(root: Node | None, entities: EntityFilters,
                           resolve: Callable[[str, list[str]], list[str]]) -> list[Notice]:
    """Notices for place / organization names (filters or `place:` / `org:` in the query) matching nothing in the
    archive, as RESOLVE (facet, values -> names; one index's or a sharded collection's) finds them."""
    wanted = {facet: list(entities.get(facet, ())) for facet in ("place", "organization")}
    for leaf in iter_positive(root):
        if isinstance(leaf, FieldMatch) and leaf.field in wanted:
            wanted[leaf.field].append(leaf.value)
    return [Notice("unknown_" + facet, value=value)
            for facet, values in wanted.items() for value in values if not resolve(facet, [value])]


def merged_person_notices(root: Node | None, persons: Sequence[str], resolve_persons: Callable[[list[str]], list[str]],
                          spellings_of: Callable[[str], list[str]]) -> list[Notice]:
    """For person names (filters or `person:`) that find a person whose spellings the archive merged
    (archive/search/person_merge.py): which spellings were searched."""
    persons = [persons] if isinstance(persons, str) else list(persons or ())
    wanted = [p for p in persons if p and p.strip()]
    wanted += [leaf.value for leaf in iter_positive(root) if isinstance(leaf, FieldMatch) and leaf.field == "person"]
    notices = []
    for value in dict.fromkeys(wanted):
        for name in resolve_persons([value]):
            spellings = spellings_of(name)
            if len(spellings) > 1:
                notices.append(Notice("person_spellings", value=value, name=name, spellings=spellings))
    return notices
