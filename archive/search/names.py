"""Search that knows names: a query word or phrase that names a registered person — in any spelling of the
registry (archive/data/people.tsv), an unambiguous short form, or Latin script — matches every spelling of that
person: `ترامب` searches ترامب OR ترمب OR trump, `Putin` searches بوتين (and the person's full names where no
short form stands for them). The query's "searched as" line shows the widened form. A word typed in quotes
(`"ترمب"`) is searched as written.

The registry's people are widened by their registered spellings. An ambiguous short form ("?الأسد": also the
lion) is never widened. People outside the registry whose spellings the archive merged (archive/search/
person_merge.py: فيليب/فيليبي كوتينيو) are widened too, when the open archive's decision is given: a phrase or
words side by side spelling the full name match every spelling of it, and a family name written differently in
its spellings (ديمبلي/دمبلي) matches each of them. A word in quotes is searched as written here too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from archive.extract.people import registry
from archive.search.person_merge import PersonMerge
from archive.search.query import And, Node, Not, Or, ParsedQuery, Phrase, Word, make_leaf
from archive.text.analysis import analyze_terms
from archive.text.normalize import normalize


def _clean(text: str) -> str:
    return " ".join(normalize(text).replace("-", " ").split())


@dataclass(frozen=True)
class _Spellings:
    words: tuple[str, ...]  # one-word forms: short forms and Latin short names
    phrases: tuple[str, ...]  # full names not covered by a one-word form


@lru_cache(maxsize=1)
def _spellings() -> tuple[dict[tuple[str, ...], int], dict[int, _Spellings]]:
    """{index terms of a spelling -> person index}, {person index -> its spellings}. Matching on index terms,
    a spelling with a proclitic (وبوتين) or other vowel marks names the person too."""
    reg = registry()
    lookup: dict[tuple[str, ...], int] = {}
    owners: dict[tuple[str, ...], set[int]] = {}
    table: dict[int, _Spellings] = {}
    for index, person in enumerate(reg.people):
        words = [_clean(w) for w in (*person.short, *person.latin) if len(_clean(w).split()) == 1]
        fulls = [_clean(f) for f in (person.name, *person.variants, *person.latin) if len(_clean(f).split()) > 1]
        words = list(dict.fromkeys(w for w in words if w))
        phrases = [f for f in dict.fromkeys(fulls) if not set(f.split()) & set(words)]
        table[index] = _Spellings(tuple(words), tuple(phrases))
        for form in (*words, *fulls):
            terms = tuple(analyze_terms(form))
            if terms:
                owners.setdefault(terms, set()).add(index)
    for key, indexes in owners.items():
        if len(indexes) == 1:  # a spelling two people share (المالكي) widens to neither
            lookup[key] = next(iter(indexes))
    return lookup, table


def _widened(node: Word | Phrase) -> Node | None:
    if isinstance(node, Word) and node.exact:
        return None
    lookup, table = _spellings()
    terms: tuple[str, ...] = node.terms if isinstance(node, Word) else tuple(term for term, _ in node.terms)
    index = lookup.get(terms)
    if index is None:
        return None
    spellings = table[index]
    children: list[Node] = []
    for form, is_phrase in [*((w, False) for w in spellings.words), *((p, True) for p in spellings.phrases)]:
        leaf = make_leaf(form, is_phrase, None, [])
        if isinstance(leaf, Word | Phrase):
            leaf = dataclasses.replace(leaf, fields=node.fields)
            if leaf not in children:
                children.append(leaf)
    return Or(tuple(children)) if len(children) > 1 else None


@dataclass(frozen=True)
class MergedSpellings:
    """What a query can widen to for the archive's merged people (not in the registry)."""
    # index terms of a full spelling -> every spelling of that person (its words)
    names: dict[tuple[str, ...], tuple[tuple[str, ...], ...]]
    # index term of a family name written differently in the spellings -> every way it is written
    family: dict[str, tuple[str, ...]]


_MERGED_CACHE: dict[str, MergedSpellings] = {}


def merged_spellings(merge: PersonMerge) -> MergedSpellings:
    """The widening table of an archive's merge decision (kept for the last few decisions)."""
    found = _MERGED_CACHE.get(merge.key)
    if found is not None:
        return found
    names: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    owners: dict[tuple[str, ...], int] = {}
    parent: dict[str, str] = {}  # family-name terms written differently, joined (union-find)
    forms: dict[str, set[str]] = {}

    def root(term: str) -> str:
        while parent.setdefault(term, term) != term:
            term = parent[term]
        return term

    for number, (shown, variants) in enumerate(sorted(merge.variants().items())):
        spellings = [tuple(_clean(s).split()) for s in (shown, *variants)]
        analyzed = [tuple(analyze_terms(" ".join(words))) for words in spellings]
        if len(set(analyzed)) > 1:  # spellings the analyzer already makes one need nothing
            for terms in set(analyzed):
                if terms:
                    owners[terms] = -1 if owners.get(terms, number) != number else number
                    names[terms] = tuple(dict.fromkeys(spellings))
        family = {words[-1]: tuple(analyze_terms(words[-1])) for words in spellings}
        family_terms = {terms[0] for terms in family.values() if len(terms) == 1}
        if len(family_terms) > 1:
            first = root(next(iter(sorted(family_terms))))
            for term in family_terms:
                parent[root(term)] = first
            for word, terms in family.items():
                if len(terms) == 1:
                    forms.setdefault(terms[0], set()).add(word)
    names = {terms: spellings for terms, spellings in names.items() if owners[terms] >= 0}  # shared: neither
    groups: dict[str, set[str]] = {}
    for term, words in forms.items():
        groups.setdefault(root(term), set()).update(words)
    family_table = {term: tuple(sorted(groups[root(term)])) for term in forms}
    found = MergedSpellings(names, family_table)
    if len(_MERGED_CACHE) >= 4:
        _MERGED_CACHE.pop(next(iter(_MERGED_CACHE)))
    _MERGED_CACHE[merge.key] = found
    return found


def _words_node(words: tuple[str, ...], fields: tuple[str, ...], as_phrase: bool) -> Node | None:
    leaf = make_leaf(" ".join(words), as_phrase, None, [])
    if isinstance(leaf, Word | Phrase):
        return dataclasses.replace(leaf, fields=fields)
    return None


def _spellings_or(spellings: tuple[tuple[str, ...], ...], fields: tuple[str, ...], as_phrase: bool) -> Node | None:
    children: list[Node] = []
    for words in spellings:
        if as_phrase:
            child = _words_node(words, fields, True)
        else:  # words side by side, as typed: each spelling's words side by side
            parts = [_words_node((word,), fields, False) for word in words]
            kept = [part for part in parts if part is not None]
            child = kept[0] if len(kept) == 1 else And(tuple(kept)) if kept else None
        if child is not None and child not in children:
            children.append(child)
    return Or(tuple(children)) if len(children) > 1 else None


def _merged_word(node: Word, merged: MergedSpellings) -> Node | None:
    """A family name written differently by a merged person's spellings, widened to each way it is written."""
    if node.exact or len(node.terms) != 1 or node.terms[0] not in merged.family:
        return None
    return _spellings_or(tuple((word,) for word in merged.family[node.terms[0]]), node.fields, False)


def _merged_phrase(node: Phrase, merged: MergedSpellings) -> Node | None:
    spellings = merged.names.get(tuple(term for term, _ in node.terms))
    return _spellings_or(spellings, node.fields, True) if spellings else None


def _merged_run(children: tuple[Node, ...], merged: MergedSpellings) -> list[tuple[Node, bool]]:
    """Words side by side that spell a merged person's full name become every spelling of it: the children, each
    with whether it is such a widening (not to be widened again)."""
    out: list[tuple[Node, bool]] = []
    at = 0
    while at < len(children):
        widened = None
        size = 0
        for size in range(min(4, len(children) - at), 1, -1):
            run = children[at:at + size]
            words = [c for c in run if isinstance(c, Word) and not c.exact and len(c.terms) == 1]
            if len(words) < size or len({w.fields for w in words}) != 1:
                continue
            spellings = merged.names.get(tuple(w.terms[0] for w in words))
            widened = _spellings_or(spellings, words[0].fields, False) if spellings else None
            if widened is not None:
                break
        if widened is not None:
            out.append((widened, True))
            at += size
        else:
            out.append((children[at], False))
            at += 1
    return out


def _expand(node: Node, merged: MergedSpellings | None = None) -> Node:
    if isinstance(node, Word):
        return _widened(node) or (_merged_word(node, merged) if merged else None) or node
    if isinstance(node, Phrase):
        return _widened(node) or (_merged_phrase(node, merged) if merged else None) or node
    if isinstance(node, And):
        if merged is not None and node.implicit:
            children = [child if done else _expand(child, merged) for child, done in _merged_run(node.children, merged)]
        else:
            children = [_expand(child, merged) for child in node.children]
        return children[0] if len(children) == 1 else And(tuple(children), node.implicit)
    if isinstance(node, Or):
        return Or(tuple(_expand(child, merged) for child in node.children))
    if isinstance(node, Not):
        return Not(_expand(node.child, merged))
    return node


def widen_person_names(parsed: ParsedQuery, merge: PersonMerge | None = None) -> ParsedQuery:
    """PARSED with every word or phrase that names a registered person widened to all of the person's spellings;
    with MERGE (the open archive's decision), the spellings of its merged people too."""
    if parsed.root is None:
        return parsed
    merged = merged_spellings(merge) if merge is not None and merge.shown else None
    root = _expand(parsed.root, merged)
    return parsed if root == parsed.root else ParsedQuery(parsed.text, root, list(parsed.notices))


@lru_cache(maxsize=1)
def _registered_spellings() -> dict[str, tuple[str, ...]]:
    """{a registered person's canonical name: its other spellings}: full-name variants, short forms (an
    ambiguous one too: it is how articles write the person when the context says who) and Latin-script names, each
    once, in the registry's order."""
    found: dict[str, tuple[str, ...]] = {}
    for person in registry().people:
        others = [s for s in dict.fromkeys((*person.variants, *person.short, *person.ambiguous_short, *person.latin))
                  if s and s != person.name]
        if others:
            found[person.name] = tuple(others)
    return found


def person_spellings(names: Sequence[str], merge: PersonMerge | None = None) -> dict[str, list[str]]:
    """{name: the other spellings its facet entry stands for} for the NAMES (the facet's shown names) that have
    any: a registered person's variants, short forms and Latin-script names (ترامب: ترمب, Trump ...), then the
    spellings the archive merged (MERGE: the open archive's decision). A name with no other spelling is left out."""
    registered = _registered_spellings()
    found: dict[str, list[str]] = {}
    for name in names:
        merged = merge.variants_of([name]).get(name, []) if merge is not None else []
        others = list(dict.fromkeys((*registered.get(name, ()), *merged)))
        if others:
            found[name] = others
    return found
