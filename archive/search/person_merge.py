"""Spellings of one unregistered person merged across the whole archive, at open.

An article's people are indexed as the article spells them (فيليب كوتينيو here, فيليبي كوتينيو there). Which
spellings are one person is decided from the names of the WHOLE archive and the number of articles naming each
(archive/extract/people.py: merge_spellings), so the answer cannot depend on how the archive is laid out:

- one index: from its own live counts, when it is opened (archive/search/engine.py: Snapshot);
- a sharded index: the coordinator adds up every shard's counts, decides once, and every shard applies that one
  decision (archive/search/sharded.py; on a Dask cluster the decision travels to the workers with each request,
  archive/cluster/search.py).

Applied to the per-document arrays (archive/search/docarrays.py), a merged person is one facet entry under its
shown spelling (the registry's name, else the most frequent one), counted once per article whatever spelling the
article uses; the other spellings are its `variants`, and a filter or `person:` with any of them finds all.

Places and organizations the registries do not know are shown as articles spell them (الاسكندرية here,
الإسكندرية there, هامبورغ / هامبورج). The same decision merges their spellings too, facet by facet, from the whole
archive's names (same_entity_spellings: hamza, ى/ي, ة/ه, ال, غ/ق/ج and long vowels in long words; never two registry
entries), applied the same way: one facet entry under the registry's or the most frequent spelling, each article
counted once, a filter with any spelling finding all (the other spellings keep their place in the facet's names,
with no article, so that a name's number does not change).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import cast

import numpy as np

from archive.extract.entities import ORGANIZATION, ORGANIZATIONS_FILE, PLACE, PLACES_FILE, entity_registry, fold
from archive.extract.people import differ_by_long_vowels, group_spellings, merge_rules_digest, merge_spellings
from archive.search.docarrays import DocArrays, NameFacet
from archive.text.normalize import normalize


@dataclass(frozen=True)
class PersonMerge:
    """The decision for one archive: every spelling of a merged person -> the spelling shown (which maps to
    itself). Spellings not listed stay as they are."""
    shown: dict[str, str]
    key: str = field(default="", compare=False)  # a digest of `shown`: which decision a shard applied
    # the same for the place and organization facets: {facet: {spelling: shown}} (only facets with a merge)
    entities: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, shown: Mapping[str, str], entities: Mapping[str, Mapping[str, str]] | None = None) -> PersonMerge:
        ordered = dict(sorted(shown.items()))
        facets = {facet: dict(sorted(merged.items())) for facet, merged in sorted((entities or {}).items()) if merged}
        lines = [f"{a}\t{b}" for a, b in ordered.items()]
        lines += [f"{facet}\t{a}\t{b}" for facet, merged in facets.items() for a, b in merged.items()]
        digest = hashlib.sha1("\n".join(lines).encode("utf-8")).hexdigest()
        return cls(ordered, digest[:16], facets)

    def to_json(self) -> dict[str, object]:
        """The decision as JSON keeps it (beside a sharded index's shards)."""
        return {"persons": self.shown, "entities": self.entities}

    @classmethod
    def from_json(cls, data: object) -> PersonMerge | None:
        if not isinstance(data, dict) or not isinstance(data.get("persons"), dict):
            return None
        entities = data.get("entities")
        return cls.of(data["persons"], entities if isinstance(entities, dict) else {})

    def variants(self) -> dict[str, list[str]]:
        """{shown spelling: its other spellings (sorted)}."""
        return {shown: list(others) for shown, others in self._variants.items()}

    @cached_property
    def _variants(self) -> dict[str, tuple[str, ...]]:
        return _other_spellings(self.shown)

    def spellings_of(self, shown: str) -> list[str]:
        """The shown spelling first, then its variants; just [shown] for a person not merged. A dictionary
        lookup: the facet's names are asked on every search."""
        return [shown, *self._variants.get(shown, ())]

    def variants_of(self, names: Sequence[str]) -> dict[str, list[str]]:
        """{name: its other spellings} for the NAMES (shown spellings) that are merged people."""
        return {name: list(self._variants[name]) for name in names if name in self._variants}

    def entity_variants_of(self, facet: str, names: Sequence[str]) -> dict[str, list[str]]:
        """{name: its other spellings} for the NAMES (shown spellings) of a place or organization FACET that are
        merged."""
        variants = self._entity_variants.get(facet, {})
        return {name: list(variants[name]) for name in names if name in variants}

    @cached_property
    def _entity_variants(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """{facet: {shown spelling: its other spellings (sorted)}}: made once, as facet_variants is asked on every
        search (walking every merged spelling each time cost a millisecond a search)."""
        return {facet: _other_spellings(merged) for facet, merged in self.entities.items()}

    def facet_variants(self, facets: Mapping[str, Sequence[tuple[str | None, int]]]) -> dict[str, dict[str, list[str]]]:
        """{facet: {name: its other spellings}} for the place and organization FACETS (facet -> [(name, count)])
        whose names are merged; facets with none left out."""
        found = {facet: self.entity_variants_of(facet, [str(name) for name, _ in pairs])
                 for facet, pairs in facets.items() if facet in self.entities}
        return {facet: variants for facet, variants in found.items() if variants}

    def __len__(self) -> int:
        return len(self.shown)


def _other_spellings(merged: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """{shown spelling: its other spellings (sorted)} of a decision {spelling: shown}, for the merged names only."""
    found: dict[str, list[str]] = {}
    for spelling, shown in merged.items():
        if spelling != shown:
            found.setdefault(shown, []).append(spelling)
    return {shown: tuple(sorted(others)) for shown, others in found.items()}


NO_MERGE = PersonMerge.of({})


def live_person_counts(arrays: DocArrays) -> dict[str, int]:
    """{spelling: live articles naming it} of one index (or shard), as the arrays hold the names."""
    counts = arrays.live_name_totals()["person"]
    return {name: int(n) for name, n in zip(arrays.person_names, counts.tolist(), strict=True) if n}


def live_entity_counts(arrays: DocArrays) -> dict[str, dict[str, int]]:
    """{facet: {name: live articles naming it}} of one index (or shard), for the place and organization facets."""
    totals = arrays.live_name_totals()
    return {facet: {name: int(n) for name, n in zip(entity.names, totals[facet].tolist(), strict=True) if n}
            for facet, entity in arrays.entities.items()}


def decide(counts: Mapping[str, int], blocks: Mapping[str, str],
           entity_counts: Mapping[str, Mapping[str, int]] | None = None) -> PersonMerge:
    """The decision from whole-archive COUNTS, with BLOCKS (name -> its spelling_block, "" for none) where known,
    and ENTITY_COUNTS ({facet: {name: articles}}) for places and organizations."""
    return PersonMerge.of(merge_spellings(counts, {name: block or None for name, block in blocks.items()}),
                          {facet: merge_entity_spellings(facet, found)
                           for facet, found in (entity_counts or {}).items()})


def own_decision(arrays: DocArrays) -> PersonMerge:
    """The decision for an index that is the whole archive, from its own live counts."""
    return decide(live_person_counts(arrays), dict(zip(arrays.person_names, arrays.person_blocks, strict=True)),
                  live_entity_counts(arrays))


# ---------------------------------------------------------------- places and organizations

# Bump when same_entity_spellings or merge_entity_spellings change: kept decisions are then made again
# (decision_digest, which also reads the place and organization registries).
ENTITY_MERGE_RULES_VERSION = 1
_WRITTEN_FOLD = str.maketrans({"ئ": "ي", "ؤ": "و", "ء": None})
_SOUND_FOLD = str.maketrans({"غ": "ج", "ق": "ج"})  # the g of foreign names: هامبورغ / هامبورج, غوغل / جوجل
_DOUBLED = re.compile("(و|ي)\\1+")
_ENTITY_VOWELS = re.compile("[اوي]")
# Long vowels written or left out only where the shorter word has this many letters (كاليفورنيا / كليفورنيا, not
# تونس / تنس) and both open and end alike (not نابلس / أنابوليس, فلسطين / فلسطينيا); ال only before this many letters
# (الجزائر / جزائر, not الريف / ريف, الريال / ريال); غ/ق/ج only where the name has this many consonants (غوغل / جوجل,
# not غانا / قانا).
MIN_ENTITY_VOWEL_LETTERS = 5
MIN_ENTITY_SOUND_CONSONANTS = 3
_ARTICLE = "ال"


@lru_cache(maxsize=1)
def decision_digest() -> str:
    """What a decision on spellings depends on besides the names and counts: the person rules and their tables
    (people.merge_rules_digest), these rules' version and the place and organization registries. A kept decision
    with another digest is made again."""
    digest = hashlib.sha1(f"{merge_rules_digest()}\t{ENTITY_MERGE_RULES_VERSION}".encode())
    for path in (PLACES_FILE, ORGANIZATIONS_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _written(word: str) -> str:
    """A normalized word as an entity's spellings compare: ال dropped (before 5+ letters), hamza carriers folded,
    doubled و/ي once."""
    if word.startswith(_ARTICLE) and len(word) - len(_ARTICLE) >= MIN_ENTITY_VOWEL_LETTERS:
        word = word[len(_ARTICLE):]
    return _DOUBLED.sub("\\1", word.translate(_WRITTEN_FOLD))


def entity_block(name: str) -> str:
    """What every spelling of one place or organization shares: each word's consonants, غ/ق as ج ("" for none)."""
    return " ".join(_ENTITY_VOWELS.sub("", _written(word).translate(_SOUND_FOLD)) for word in normalize(name).split())


def _same_entity_word(a: str, b: str, sound: bool) -> bool:
    wa, wb = _written(a), _written(b)
    if sound:
        wa, wb = wa.translate(_SOUND_FOLD), wb.translate(_SOUND_FOLD)
    if wa == wb:
        return True
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    # the letters of the word itself count, not an ال kept on a short word (الشعب / الشعوب: two parties)
    letters_of_word = len(short) - (len(_ARTICLE) if short.startswith(_ARTICLE) else 0)
    if letters_of_word < MIN_ENTITY_VOWEL_LETTERS or short[0] != long[0] or short[-1] != long[-1]:
        return False
    return differ_by_long_vowels(short, long)


def same_entity_spellings(a: str, b: str) -> bool:
    """Whether A and B can be two spellings of one place or organization: as many words, each pair written alike
    but for hamza carriers, ى/ي, ة/ه, harakat, ال before a word of 5+ letters and a doubled و/ي; in a name of 3+
    consonants also غ/ق/ج; in a word of 5+ letters also long vowels written or left out inside it (the same first
    and last letter; never one vowel for another)."""
    words_a, words_b = normalize(a).split(), normalize(b).split()
    if len(words_a) != len(words_b) or not words_a:
        return False
    sound = len(entity_block(a).replace(" ", "")) >= MIN_ENTITY_SOUND_CONSONANTS
    return all(_same_entity_word(x, y, sound) for x, y in zip(words_a, words_b, strict=True))


def merge_entity_spellings(facet: str, counts: Mapping[str, int]) -> dict[str, str]:
    """{spelling: the spelling to show} for the names of a place or organization FACET (COUNTS: name -> articles
    of the whole archive) that are spellings of one entity, as merge_spellings does for people: names of one
    entity_block taken most frequent first, each joining the first group whose every member it agrees with (no
    chains); a group holding two registry entries stays apart; the registry's name, else the most frequent spelling,
    stands for all. Depends only on the names and their counts."""
    kind = {"place": PLACE, "organization": ORGANIZATION}.get(facet)
    reg = entity_registry()
    canonical = {entry.name for entry in reg.entries if entry.kind == kind and entry.type != "-"}
    by_block: dict[str, list[str]] = {}
    for name in counts:
        if fold(name) in reg.ambiguous_keys:
            continue  # عمان: Oman or Amman, as each article's context says (extraction), never one by spelling
        block = entity_block(name)
        if block.strip() and all(block.split()):
            by_block.setdefault(block, []).append(name)
    return group_spellings(by_block.values(), counts, same_entity_spellings, canonical)


def position(names: list[str], name: str) -> int | None:
    """Where NAME is in the sorted NAMES (None: absent), without a dictionary of every name."""
    at = bisect.bisect_left(names, name)
    return at if at < len(names) and names[at] == name else None


def merge_person_arrays(arrays: DocArrays, merge: PersonMerge) -> DocArrays:
    """ARRAYS with the spellings of each merged person as one person (named by its shown spelling, names kept
    sorted), each article counted once for it. Unchanged when none of its names is merged. The work per name is a
    set lookup; the rest is per merged spelling or numpy (a few tens of ms for 100,000 names)."""
    names = arrays.person_names
    dropped = {spelling for spelling, shown in merge.shown.items() if spelling != shown}
    kept = np.fromiter((name not in dropped for name in names), dtype=bool, count=len(names))
    if kept.all():
        return arrays
    dropped_at = np.flatnonzero(~kept).tolist()
    # the names stay sorted: drop the merged-away spellings; a shown spelling only another shard holds is added
    missing = sorted({merge.shown[names[at]] for at in dropped_at} - {names[at] for at in np.flatnonzero(kept).tolist()
                                                                      if names[at] in merge.shown})
    if missing:
        block_of = {merge.shown[names[at]]: arrays.person_blocks[at] for at in dropped_at}
        pairs = sorted([*zip(itertools.compress(names, kept), itertools.compress(arrays.person_blocks, kept),
                             strict=True), *((name, block_of[name]) for name in missing)])
        new_names, blocks = [name for name, _ in pairs], [block for _, block in pairs]
        number = {name: i for i, name in enumerate(new_names)}
        remap = np.fromiter((number[merge.shown.get(name, name)] for name in names), dtype=np.int32,
                            count=len(names))
    else:
        new_names = list(itertools.compress(names, kept))
        blocks = list(itertools.compress(arrays.person_blocks, kept))
        remap = (np.cumsum(kept) - 1).astype(np.int32)  # a kept name's place among the kept
        for at in dropped_at:
            remap[at] = remap[cast(int, position(names, merge.shown[names[at]]))]
    pair_doc = arrays.pair_doc
    pair_person = remap[arrays.pair_person] if len(arrays.pair_person) else arrays.pair_person
    # an article naming two spellings of one person counts once
    shown_at = [position(new_names, shown) for shown in set(merge.shown.values())]
    pair_doc, pair_person = _drop_repeated_pairs(pair_doc, pair_person, len(new_names),
                                                 [at for at in shown_at if at is not None])
    person_start = np.searchsorted(pair_doc, np.arange(arrays.count + 1)).astype(np.int64)
    # counts under the merged names are made when first needed (not the unmerged arrays' counts)
    return arrays.changed(person_names=new_names, pair_doc=pair_doc, pair_person=pair_person.astype(np.int32),
                          person_start=person_start, person_blocks=blocks)


def merge_arrays(arrays: DocArrays, merge: PersonMerge) -> DocArrays:
    """ARRAYS with MERGE applied: spellings of one person (merge_person_arrays), of one place, of one
    organization (merge_entity_facet)."""
    merged = merge_person_arrays(arrays, merge)
    entities = {facet: merge_entity_facet(entity, merge.entities.get(facet, {}))
                for facet, entity in arrays.entities.items()}
    if all(entities[facet] is entity for facet, entity in arrays.entities.items()):
        return merged
    return merged.changed(entities=entities)


def merge_entity_facet(facet: NameFacet, shown: Mapping[str, str]) -> NameFacet:
    """FACET with the spellings of each merged name counted under its shown spelling, each document once. The
    names keep their numbers (a merged-away spelling stays, holding no document; a shown spelling only another
    shard holds is added in order), and a mask asked for any spelling finds them all (NameFacet.shown)."""
    names = facet.names
    merged_away = {spelling: to for spelling, to in shown.items() if spelling != to}
    if not merged_away:
        return facet
    if not any(name in merged_away for name in names):
        # none of this shard's names is merged away, but a filter may name a spelling that only another shard holds
        return replace(facet, shown=merged_away)
    new_names = sorted({*names, *(shown[name] for name in names if name in shown)})
    number = {name: i for i, name in enumerate(new_names)}
    remap = np.fromiter((number[shown.get(name, name)] for name in names), dtype=np.int32, count=len(names))
    pair_doc, pair_name = facet.pair_doc, remap[facet.pair_name] if len(facet.pair_name) else facet.pair_name
    # an article naming two spellings of one place counts once
    pair_doc, pair_name = _drop_repeated_pairs(pair_doc, pair_name, len(new_names),
                                               [number[to] for to in set(merged_away.values()) if to in number])
    start = np.searchsorted(pair_doc, np.arange(len(facet.start))).astype(np.int64)
    return NameFacet(new_names, pair_doc, pair_name.astype(np.int32), start, merged_away)


def _drop_repeated_pairs(pair_doc: np.ndarray, pair_name: np.ndarray, size: int, merged: list[int]
                         ) -> tuple[np.ndarray, np.ndarray]:
    """The (document, name) pairs (sorted by document, names numbered below SIZE) with repeated pairs dropped, which
    after a merge can only be pairs of the MERGED names' numbers (an article naming two spellings of one name)."""
    merged_ids = np.zeros(size, dtype=bool)
    merged_ids[merged] = True
    candidates = np.flatnonzero(merged_ids[pair_name]) if len(pair_name) else np.zeros(0, dtype=np.int64)
    if not len(candidates):
        return pair_doc, pair_name
    keys = pair_doc[candidates].astype(np.int64) * size + pair_name[candidates]
    _, first = np.unique(keys, return_index=True)
    if len(first) == len(candidates):
        return pair_doc, pair_name
    keep = np.ones(len(pair_doc), dtype=bool)
    keep[candidates] = False
    keep[candidates[first]] = True
    return pair_doc[keep], pair_name[keep]
