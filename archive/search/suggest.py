"""Did you mean: queries that would find something when a word of the query is unknown to the archive.

Each unknown word is replaced by the most frequent known word within one edit (the corpus lexicon,
archive/data/lexicon.tsv), else by index terms within two edits (Whoosh's edit-distance automaton; one edit for
long words). Bounded work: at most MAX_SUGGESTED_WORDS words of a query, of at most MAX_FUZZY_CHARS letters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from archive.search.engine import Snapshot
from archive.search.query import MAX_QUERY_CHARS, ParsedQuery, Word, iter_positive
from archive.text.analysis import term_of
from archive.text.charsets import NORMALIZED_LETTERS
from archive.text.normalize import normalize
from archive.text.stemmer import LEXICON

# Unknown words of one query that "did you mean" tries to correct.
MAX_SUGGESTED_WORDS = 3
MAX_FUZZY_CHARS = 12


def suggest_queries(snap: Snapshot, parse: Callable[[str], ParsedQuery], query: str, limit: int = 5) -> list[str]:
    """Queries that would find something: each unknown word replaced by the most frequent known word within
    one or two edits (Arabic letters; the corpus lexicon first, then the index's own terms)."""
    # a suggestion rewrites only the part of the query the parser reads, never 10,000 pasted characters
    if len(query) > MAX_QUERY_CHARS:
        query = query[:MAX_QUERY_CHARS].rsplit(None, 1)[0] if " " in query[:MAX_QUERY_CHARS] else ""
    parsed = parse(query)
    words = [leaf for leaf in iter_positive(parsed.root) if isinstance(leaf, Word)]
    unknown = [w for w in words if any(not snap.doc_frequency("title", t) and not snap.doc_frequency("body", t)
                                       for t in w.terms)]
    if not unknown:
        return []
    # bounded work: a query of many unknown words (a pasted paragraph, a 1000-term OR chain) gets
    # corrections for its first few only
    unknown = unknown[:MAX_SUGGESTED_WORDS]
    options: list[tuple[str, list[str]]] = []
    for number, word in enumerate(unknown):
        with snap.lock:
            candidates = suggestions_for_word(word.raw, snap.reader, lambda t: snap.doc_frequency("body", t)
                                              + snap.doc_frequency("title", t), index_search=number == 0)
        options.append((word.raw, candidates))
    results: list[str] = []
    for rank in range(limit):
        text = query
        changed = False
        for raw, candidates in options:
            if candidates:
                text = text.replace(raw, candidates[min(rank, len(candidates) - 1)], 1)
                changed = True
        if changed and text not in results and text != query:
            results.append(text)
    return results[:limit]


_reverse_lexicon: dict[str, str] | None = None


_reverse_lock = threading.Lock()


def _edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in NORMALIZED_LETTERS]
    inserts = [a + c + b for a, b in splits for c in NORMALIZED_LETTERS]
    return set(deletes + transposes + replaces + inserts)


def _surface_form(term: str) -> str:
    """The most frequent lexicon word whose index term is `term` (a stem reads badly as a suggestion)."""
    global _reverse_lexicon

    with _reverse_lock:
        if _reverse_lexicon is None:
            reverse: dict[str, tuple[int, str]] = {}
            for word, count in LEXICON.items():
                stem = term_of(word)
                if stem and (stem not in reverse or count > reverse[stem][0]):
                    reverse[stem] = (count, word)
            _reverse_lexicon = {stem: word for stem, (_, word) in reverse.items()}
    return _reverse_lexicon.get(term, term)


def suggestions_for_word(raw: str, reader: Any, frequency: Any, limit: int = 5, index_search: bool = True) -> list[str]:
    """Known words close to `raw`: one edit away in the corpus lexicon (ranked by how common they are),
    else (with index_search) index terms up to two edits away (ranked by document frequency), for plain words of
    at most MAX_FUZZY_CHARS letters: Whoosh's edit-distance automaton grows with the word. Only words the index
    has."""

    word = normalize(raw).casefold()
    if not word or len(word) > 40:
        return []
    own_term = term_of(word)
    found: dict[str, int] = {}
    for candidate in _edits1(word):
        count = LEXICON.get(candidate)
        if count:
            term = term_of(candidate)
            if term and term != own_term and frequency(term):
                found[candidate] = max(found.get(candidate, 0), count)
    if not found and index_search and own_term and 3 <= len(own_term) <= MAX_FUZZY_CHARS and own_term.isalpha():
        for fieldname in ("body", "title"):
            # two edits for short words; one for long ones, whose automaton would be slow to walk
            near = reader.terms_within(fieldname, own_term, 2 if len(own_term) <= 7 else 1, prefix=1)
            for term in near:
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                if text != own_term:
                    found[_surface_form(text)] = max(found.get(text, 0), frequency(text))
    return sorted(found, key=lambda w: (-found[w], w))[:limit]
