"""A Light10-style Arabic light stemmer (Larkey et al.; Lucene's ArabicStemmer), made safer for news search.

Takes a word already passed through `archive.text.normalize.normalize` (so ة is ه, ى is ي, every alef is ا).
Two data files drive it: archive/data/protected_words.txt (words kept whole, and spelling variants mapped to one
term) and archive/data/lexicon.tsv (normalized word frequencies of the shared corpus, built by
bench/build_lexicon.py; it ships, so the stemmer works without the corpus).

Steps:
1. a protected word is its own term; a listed spelling variant is analysed as its canonical word
   (اميركا = امريكا, سوريا = سورية), also after any prefix.
2. prefixes, one reading chosen:
   - a definite-article group (ال وال بال كال فال لل and و/ف + بال/كال/لل). لل is either ل + ال (للرئيس -> رئيس)
     or ل + a word starting with ل (للبنان -> لبنان): the reading whose full word is more frequent wins.
     After an article, a protected word starting with ال is restored (بالله -> الله), and a word whose own
     first letters read as ال loses them as it does without the article (الألمانية -> مانيه, as ألمانية);
   - otherwise bare proclitics (و/ف, then ب/ل/ك): stripped only when what remains is a word of the lexicon (or
     protected) with at least 3 letters, frequent enough next to the word itself, and the word itself does not
     take the article (الوزير exists, so وزير is a word, not و + زير). Of the possible readings
     (وبموسكو -> بموسكو or موسكو), the one leaving the most frequent word wins.
3. Light10 suffixes, once each, in table order, keeping at least MIN_STEM letters. The endings ان ين ون, which
   also end many names (بوتين، لبنان، ماكرون), are removed only when the stem is itself a known word, and so are
   هم and هما (their), which Light10 lacks; before a suffix, a ت that stands for ة goes too
   (حكومته، حكومتين -> حكوم, as حكومة -> حكوم).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from archive.resources import DATA_DIR, data_lines
from archive.text.charsets import ARTICLE_PREFIXES, CONJUNCTIONS, DEFINITE_ARTICLE, PREPOSITIONS, is_arabic_letter
from archive.text.normalize import normalize

PROTECTED_FILE = DATA_DIR / "protected_words.txt"
LEXICON_FILE = DATA_DIR / "lexicon.tsv"

ARTICLE = DEFINITE_ARTICLE
# Light10 / Lucene order; each removed at most once (ية and ة are يه and ه after normalization).
# هما and هم (their) are not in Light10; they are checked like ان ين ون below.
SUFFIXES = ("هما", "هم", "ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
# Suffixes before which ة is written ت (حكومته، حكومتهم، حكومتي، حكومتان، حكومتين).
TEH_SUFFIXES = frozenset({"هما", "هم", "ها", "ه", "ي", "ان", "ين"})
# Pronoun suffixes a possessed noun carries instead of the article (وزارته, not الوزارته).
PRONOUN_SUFFIXES = ("هما", "هم", "ها", "ه", "ي")
# Suffixes removed only when the stem they leave is a known word.
CHECKED_SUFFIXES = frozenset({"ان", "ين", "ون", "هم", "هما"})
# Light10 keeps 2 letters; 3 keeps بيان/بيانات together and stops 3-letter words being cut to 2.
MIN_STEM = 3
# A bare proclitic is stripped only if the rest has at least this many letters...
MIN_PROCLITIC_REST = 3
# ...occurs at least this often relative to the prefixed word (وقال 18,866 times, قال 9,898: still stripped)...
MIN_REST_SHARE = 0.05
# ...and the word takes the article at most this often relative to itself (الوزير makes وزير a word).
MAX_ARTICLE_SHARE = 0.05
# A checked suffix is removed when the stem (with or without ال) is at least this common next to the word.
MIN_SUFFIX_STEM_SHARE = 0.05
PROTECTED_FREQUENCY = 10**9


def load_protected(path: Path = PROTECTED_FILE) -> tuple[frozenset[str], dict[str, str]]:
    """Lines `word` (kept whole, no prefix or suffix removed) and `variant = word` (analysed as that word)."""
    protected: set[str] = set()
    variants: dict[str, str] = {}
    for line in data_lines(path):
        if "=" in line:
            form, _, canonical = line.partition("=")
            variants[normalize(form.strip())] = normalize(canonical.strip())
        else:
            protected.add(normalize(line))
    return frozenset(protected), variants


def load_lexicon(path: Path = LEXICON_FILE) -> dict[str, int]:
    """word -> corpus frequency; an absent file gives an empty lexicon (then no bare proclitic is stripped)."""
    lexicon: dict[str, int] = {}
    for line in data_lines(path):
        word, _, count = line.partition("\t")
        lexicon[word] = int(count) if count.isdigit() else 1
    return lexicon


PROTECTED, VARIANTS = load_protected()
LEXICON = load_lexicon()


_FREQUENCIES = {**LEXICON, **dict.fromkeys(PROTECTED | VARIANTS.keys(), PROTECTED_FREQUENCY)}


def frequency(word: str) -> int:
    """Corpus frequency; protected words and variants count as the most frequent of all."""
    return _FREQUENCIES.get(word, 0)


def frequency_table() -> dict[str, int]:
    """word -> frequency() for the words whose frequency is not 0 (for compiled code that reads it directly)."""
    return _FREQUENCIES


def frequencies(words: Iterable[str]) -> list[int]:
    """frequency() of each of WORDS (one C-level pass: for many words at once)."""
    return list(map(_FREQUENCIES.get, words, itertools.repeat(0)))


def _canonical(word: str) -> str | None:
    """The term of a protected word or variant, None for any other word."""
    if word in VARIANTS:
        canonical = VARIANTS[word]
        return canonical if canonical in VARIANTS else stem(canonical)
    return word if word in PROTECTED else None


# The prefix tables indexed by first letter (and suffixes by last letter): most words skip the loops entirely.
_ARTICLE_PREFIXES_BY_LETTER = {letter: tuple(p for p in ARTICLE_PREFIXES if p[0] == letter)
                               for letter in {p[0] for p in ARTICLE_PREFIXES}}
_PREFIX_LETTERS = frozenset(_ARTICLE_PREFIXES_BY_LETTER) | CONJUNCTIONS | PREPOSITIONS
_SUFFIXES_BY_LAST_LETTER = {letter: tuple((i, suffix) for i, suffix in enumerate(SUFFIXES) if suffix[-1] == letter)
                            for letter in {suffix[-1] for suffix in SUFFIXES}}


def strip_article(word: str) -> str:
    """The word without its definite-article group, or the word itself when it has none."""
    for prefix in _ARTICLE_PREFIXES_BY_LETTER.get(word[:1], ()):
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            rest = word[len(prefix):]
            if prefix.endswith("لل"):
                lam_word = "ل" + rest
                if frequency(lam_word) > frequency(ARTICLE + rest):
                    return lam_word
            if rest.startswith(ARTICLE) and len(rest) >= 4:
                # a word whose own first letters read as ال (ألمانيا, التزام) loses them with or without
                # the article: الألماني and ألماني meet
                rest = rest[2:]
            return rest
    return word


def _takes_article(word: str, rest_frequency: int) -> bool:
    """Whether the word is a word of its own rather than proclitic + rest, judged by the article.

    A word met with the article is a word of its own (الوزير, so وزير is not و + زير), whereas a prefixed form
    never is (no الوقال, no اللموسكو). A word ending in a pronoun is judged by its base, when that base is more
    common than the rest: وزارته is وزارة + ه (الوزارة), not و + زارته; but وسامي is و + سامي, not وسام + ي.
    """
    article_frequency = frequency(ARTICLE + word)
    if article_frequency and article_frequency > MAX_ARTICLE_SHARE * frequency(word):
        return True
    for suffix in PRONOUN_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            base = word[: -len(suffix)]
            bases = (base, base[:-1] + "ه") if base[-1] == "ت" else (base,)
            for form in bases:
                article_frequency = frequency(ARTICLE + form)
                if (article_frequency > MAX_ARTICLE_SHARE * frequency(form)
                        and article_frequency + frequency(form) > rest_frequency):
                    return True
            break
    return False


def strip_proclitics(word: str) -> str:
    """The word without bare proclitics (و/ف then ب/ل/ك), when the lexicon says they are proclitics."""
    word_frequency = frequency(word)
    if word_frequency >= PROTECTED_FREQUENCY:
        return word
    candidates = []
    if word[0] in CONJUNCTIONS:
        candidates.append(word[1:])
        if len(word) > 1 and word[1] in PREPOSITIONS:
            candidates.append(word[2:])
    elif word[0] in PREPOSITIONS:
        candidates.append(word[1:])
    best, best_frequency = word, 0
    for rest in candidates:
        rest_frequency = frequency(rest)
        if (len(rest) >= MIN_PROCLITIC_REST and rest_frequency > best_frequency
                and rest_frequency >= max(1, MIN_REST_SHARE * word_frequency)):
            best, best_frequency = rest, rest_frequency
    if best is not word and _takes_article(word, best_frequency):
        return word
    return best


def _known_stem(stem_: str, word: str) -> bool:
    stem_family = frequency(stem_) + frequency(ARTICLE + stem_)
    word_family = frequency(word) + frequency(ARTICLE + word)
    return stem_family > 0 and stem_family >= MIN_SUFFIX_STEM_SHARE * word_family


def strip_suffixes(word: str) -> str:
    """Light10 suffixes in table order, each at most once (a checked one only when the stem is known).

    Walks only the suffixes ending in the word's last letter (the analyzer's cold path runs this for every
    distinct word of a corpus); `done` is the table index of the last suffix considered.
    """
    done = -1
    while True:
        for index, suffix in _SUFFIXES_BY_LAST_LETTER.get(word[-1:], ()):
            if index <= done or not word.endswith(suffix) or len(word) - len(suffix) < MIN_STEM:
                continue
            done = index
            stem_ = word[: -len(suffix)]
            # ة is written ت before a suffix: حكومته is حكومة + ه, and reduces like حكومة
            if (suffix in TEH_SUFFIXES and stem_[-1] == "ت" and len(stem_) > MIN_STEM
                    and frequency(stem_[:-1] + "ه") > frequency(stem_)):
                return stem_[:-1]
            if suffix in CHECKED_SUFFIXES and not _known_stem(stem_, word):
                continue
            word = stem_
            break
        else:
            return word


def stem_uncached(word: str) -> str:
    """The light stem of a normalized word (see the module docstring for the steps)."""
    if len(word) < 3 or not is_arabic_letter(word[0]):
        return word
    canonical = _canonical(word)
    if canonical is not None:
        return canonical
    if word[0] not in _PREFIX_LETTERS:
        return strip_suffixes(word)
    stripped = strip_article(word)
    if stripped != word:
        if ARTICLE + stripped in PROTECTED:
            return ARTICLE + stripped  # بالله -> الله
    else:
        stripped = strip_proclitics(word)
        if stripped != word and stripped.startswith(ARTICLE):
            return stem(stripped)  # لالمانيا -> المانيا -> مانيا, as بالمانيا
    canonical = _canonical(stripped)
    if canonical is not None:
        return canonical
    return strip_suffixes(stripped)


# The analyzer caches whole words (archive.text.analysis.term_of) and calls stem_uncached; this cache serves
# other callers.
stem = lru_cache(maxsize=100_000)(stem_uncached)
