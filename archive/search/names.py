"""Search that knows names: a query word or phrase that names a registered person — in any spelling of the
registry (archive/data/people.tsv), an unambiguous short form, or Latin script — matches every spelling of that
person: `ترامب` searches ترامب OR ترمب OR trump, `Putin` searches بوتين (and the person's full names where no
short form stands for them). The query's "searched as" line shows the widened form. A word typed in quotes
(`"ترمب"`) is searched as written.

Only the registry's people are widened: their spellings are known to be one person. An ambiguous short form
("?الأسد": also the lion) is never widened.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache

from archive.extract.people import registry
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


def _expand(node: Node) -> Node:
    if isinstance(node, Word | Phrase):
        return _widened(node) or node
    if isinstance(node, And):
        return And(tuple(_expand(child) for child in node.children), node.implicit)
    if isinstance(node, Or):
        return Or(tuple(_expand(child) for child in node.children))
    if isinstance(node, Not):
        return Not(_expand(node.child))
    return node


def widen_person_names(parsed: ParsedQuery) -> ParsedQuery:
    """PARSED with every word or phrase that names a registered person widened to all of the person's spellings."""
    if parsed.root is None:
        return parsed
    root = _expand(parsed.root)
    return parsed if root == parsed.root else ParsedQuery(parsed.text, root, list(parsed.notices))
