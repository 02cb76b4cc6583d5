"""The Arabic analysis every indexed and queried text goes through, as a Whoosh analyzer.

    ArabicAnalyzer() = ArabicTokenizer() | ArabicTermFilter()

- `ArabicTokenizer` finds words in the ORIGINAL text with a pattern that keeps harakat, tatweel and zero-width
  joiners inside a word (Python's `\\w` alone splits مُحَمَّد at every mark), so token offsets point at the
  article's own words and Whoosh highlights them.
- `ArabicTermFilter` turns each word into its index term: `normalize` (archive/text/normalize.py), then drops stop
  words (archive/data/stopwords.txt) and over-long junk, then `stem` (archive/text/stemmer.py). The whole per-word path
  is one cached function, `term_of`, so each distinct word is analysed once per process.

Stop words are removed and the kept terms numbered consecutively (as Whoosh's StopFilter does), so a phrase
query with a stop word inside still matches. Whoosh pickles the analyzer
into the index schema: the classes here must keep their names, and ANALYSIS_VERSION must change whenever the terms
produced change (the index records it and asks for a rebuild on mismatch).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import cast

from whoosh.analysis import CompositeAnalyzer, Filter, RegexTokenizer
from whoosh.analysis.acore import Token

from archive.resources import DATA_DIR, data_lines
from archive.text.charsets import HARAKAT_RANGE, TATWEEL, ZERO_WIDTH_RANGE, code_point_ranges
from archive.text.normalize import normalize
from archive.text.stemmer import stem_uncached

ANALYSIS_VERSION = "ar-light-6"

STOPWORDS_FILE = DATA_DIR / "stopwords.txt"

# A word: letters and digits (\w without the underscore, so #عاصي_الحلاني gives two words), with combining marks,
# tatweel and zero-width joiners allowed inside and at the end (مُحَمَّد, كتـــاب, می‌خواهم). Each repetition of the
# group consumes at least one mark, so matching stays linear.
_IN_WORD = f"{HARAKAT_RANGE}{TATWEEL}{ZERO_WIDTH_RANGE}"
WORD_PATTERN = rf"[^\W_]+(?:[{_IN_WORD}]+[^\W_]*)*"
WORDS = re.compile(WORD_PATTERN)


# _IN_WORD's characters as ranges, for the index processes' compiled analysis (archive/index/kernels.py)
IN_WORD_RANGES = code_point_ranges(_IN_WORD)
# Terms longer than this are junk (base64, glued URLs, repeated letters) and are not indexed: the longest real
# Arabic or Latin words are far shorter, and a 10,000-character token must not bloat the index.
MAX_TERM_LENGTH = 60
# Raw tokens longer than this are dropped before any work (and never enter the cache).
MAX_RAW_LENGTH = 4 * MAX_TERM_LENGTH


def load_stopwords(path: Path = STOPWORDS_FILE) -> frozenset[str]:
    """Normalized stop words; `#` starts a comment. Each also counts with a leading و (وهو, وفي, ومن)."""
    words: set[str] = set()
    for line in data_lines(path):
        word = normalize(line)
        words.add(word)
        words.add("و" + word)
    return frozenset(words)


STOPWORDS = load_stopwords()


def term_of_uncached(word: str) -> str | None:
    """The index term of one raw word of text, or None when it is not indexed (stop word, junk, empty)."""
    text = normalize(word)
    if not text or len(text) > MAX_TERM_LENGTH or text in STOPWORDS:
        return None
    if "_" in text:
        text = text.strip("_")
        if not text:
            return None
    return stem_uncached(text)


term_of = lru_cache(maxsize=100_000)(term_of_uncached)

# The analyzer's own memo of raw word -> term. A plain dict: a hit costs half an lru_cache hit, and the analyzer
# looks up every word of every article (the benchmark: bench/analyzer.py). Emptied when full, which keeps memory
# bounded (about 40 MB) and costs only re-analysing the words met afterwards.
TERM_CACHE: dict[str, str | None] = {}
TERM_CACHE_SIZE = 250_000
_MISSING = object()


def clear_caches() -> None:
    TERM_CACHE.clear()
    term_of.cache_clear()


def remember_term(raw: str) -> str | None:
    """The term of a raw word not yet in TERM_CACHE, which then holds it (raw words over MAX_RAW_LENGTH are
    neither analysed nor kept). Emptied when full: a caller holding a term looked up before must keep its own
    reference (the compiled term_positions does)."""
    if len(raw) > MAX_RAW_LENGTH:
        return None
    term = TERM_CACHE.get(raw, _MISSING)  # a word met twice in the text it was first met in
    if term is not _MISSING:
        return term  # type: ignore[return-value]
    term = term_of_uncached(raw)
    if len(TERM_CACHE) >= TERM_CACHE_SIZE:
        TERM_CACHE.clear()
    TERM_CACHE[raw] = term
    return term


def term_positions(text: str) -> dict[str, list[int]]:
    """Each index term of TEXT with its positions, ascending: what `ArabicAnalyzer()(text, positions=True)` yields,
    term by term and position by position (tests/test_analysis.py checks it), without a Token per word. The
    index processes' analysis (archive/index/whoosh_io.py): the words are found by one `findall` and looked up in
    TERM_CACHE together; only the words met for the first time go through `term_of_uncached`.

    Positions as ArabicTermFilter numbers them: the first kept term at its word's index in the text (the words
    dropped before it counted), every later kept term one more than the previous kept one."""
    words = WORDS.findall(text)
    looked_up: list[object] = list(map(TERM_CACHE.get, words, repeat(_MISSING)))
    if _MISSING in looked_up:
        looked_up = [remember_term(words[index]) if term is _MISSING else term for index, term in enumerate(looked_up)]
    terms = cast("list[str | None]", looked_up)
    first = 0
    for term in terms:
        if term is not None:
            break
        first += 1
    else:
        return {}
    positions: dict[str, list[int]] = {}
    found = positions.get
    for position, term in enumerate([term for term in terms if term is not None], first):
        at = found(term)
        if at is None:
            positions[term] = [position]
        else:
            at.append(position)
    return positions


def _is_stop(word: str) -> bool:
    return normalize(word) in STOPWORDS


class ArabicTokenizer(RegexTokenizer):
    """Whoosh RegexTokenizer with WORD_PATTERN: words with their vowel marks, offsets into the original text."""

    def __init__(self, expression: str = WORD_PATTERN, gaps: bool = False) -> None:
        super().__init__(expression, gaps=gaps)


class ArabicTermFilter(Filter):
    """Normalizes and stems each token, drops stop words and junk, and numbers the kept terms consecutively.

    Positions are renumbered like Whoosh's StopFilter does by default: the query parser also drops stop words
    from a phrase, so "بوتين إلى موسكو" must find بوتين and موسكو at adjacent positions.

    When the caller asks to keep stop words (`removestops=False`, as Whoosh's query parser does for some
    queries), they pass through marked `stopped`, like Whoosh's StopFilter.
    """

    def __eq__(self, other: object) -> bool:
        return other is not None and self.__class__ is other.__class__

    def __hash__(self) -> int:
        return hash(self.__class__.__name__)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        lookup = TERM_CACHE.get
        pos = None
        for t in tokens:
            raw = t.text
            term = lookup(raw, _MISSING)
            if term is _MISSING:
                term = remember_term(raw)
            if term is not None:
                t.text = term  # the tokenizer has set t.stopped = False
                if t.positions:
                    if pos is None:
                        pos = t.pos
                    else:
                        pos += 1
                        t.pos = pos
                yield t
            elif not t.removestops and len(raw) <= MAX_RAW_LENGTH and _is_stop(raw):
                t.text = normalize(raw)
                t.stopped = True
                yield t


def ArabicAnalyzer() -> CompositeAnalyzer:
    """The analyzer of every text field: tokenizer | filter, used for indexing, querying and highlighting."""
    return ArabicTokenizer() | ArabicTermFilter()


def tokenize(text: str) -> list[str]:
    """The raw words of text, as they appear in it (vowel marks and all)."""
    return [t.text for t in ArabicTokenizer()(text)]


def analyze_terms(text: str) -> list[str]:
    """The index terms of text, in order (stop words and junk left out)."""
    return [t.text for t in ArabicAnalyzer()(text)]
