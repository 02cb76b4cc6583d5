"""A Light10-style Arabic light stemmer (Larkey et al.; Lucene's ArabicStemmer), made safer for news search.

Takes a word already passed through `archive.normalize.normalize` (so ة is ه, ى is ي, every alef is ا).

Steps, each table-driven:
1. protected words (archive/data/protected_words.txt) are returned as they are, or as their listed canonical form;
2. one definite-article group (ال وال بال كال فال لل and their و/ف combinations) is stripped;
   لل is read as ل + a word starting with ل (للبنان -> لبنان) when that word is more frequent than the ال- reading;
3. otherwise bare proclitics (و ف then ب ل ك) are stripped only when what remains is a known word of the lexicon
   (archive/data/lexicon.tsv, word frequencies of the shared corpus) that is more frequent than the word itself:
   لموسكو -> موسكو, but وزير stays وزير and كتاب stays كتاب;
4. Light10 suffixes are stripped once each, in table order, keeping at least MIN_STEM letters.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
PROTECTED_FILE = DATA / "protected_words.txt"
LEXICON_FILE = DATA / "lexicon.tsv"

# Longest first: the first match wins.
ARTICLE_PREFIXES = ("وبال", "وكال", "فبال", "فكال", "وال", "فال", "بال", "كال", "ولل", "فلل", "لل", "ال")
CONJUNCTIONS = ("و", "ف")
PREPOSITIONS = ("ب", "ل", "ك")
# Light10 / Lucene order; each removed at most once (ية and ة are يه and ه after normalization).
SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "ه", "ي")
# Light10 keeps 2 letters; 3 keeps بيان/بيانات together and stops 3-letter words being cut to 2.
MIN_STEM = 3
# A bare proclitic is stripped only if the rest is a word of at least this many letters.
MIN_PROCLITIC_REST = 3


def _data_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


def load_protected(path: Path = PROTECTED_FILE) -> dict[str, str]:
    """`word` keeps the word as its own term; `word<TAB or =>canonical` maps a spelling variant to a term."""
    from archive.normalize import normalize

    protected: dict[str, str] = {}
    for line in _data_lines(path):
        if "=" in line or "\t" in line:
            form, _, canonical = line.replace("\t", "=").partition("=")
            protected[normalize(form.strip())] = normalize(canonical.strip())
        else:
            word = normalize(line)
            protected[word] = word
    return protected


def load_lexicon(path: Path = LEXICON_FILE) -> dict[str, int]:
    """word -> corpus frequency; an absent file gives an empty lexicon (then no bare proclitic is stripped)."""
    lexicon: dict[str, int] = {}
    for line in _data_lines(path):
        word, _, count = line.partition("\t")
        lexicon[word] = int(count) if count.isdigit() else 1
    return lexicon


PROTECTED = load_protected()
LEXICON = load_lexicon()


def _frequency(word: str) -> int:
    if word in PROTECTED:
        # a protected word counts as very common, so its prefixed forms always reduce to it
        return max(LEXICON.get(word, 0), 10**9)
    return LEXICON.get(word, 0)


def strip_article(word: str) -> str:
    for prefix in ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            rest = word[len(prefix):]
            if prefix.endswith("لل"):
                # ل + لبنان or ل + الرئيس: pick the reading whose full word is more common
                lam_word = "ل" + rest
                if _frequency(lam_word) > _frequency("ال" + rest):
                    return lam_word
            return rest
    return word


def strip_proclitics(word: str) -> str:
    """Strip و/ف then ب/ل/ك while what remains is a known word more frequent than the current form."""
    for group in (CONJUNCTIONS, PREPOSITIONS):
        if word[:1] in group and len(word) - 1 >= MIN_PROCLITIC_REST:
            rest = word[1:]
            if _frequency(rest) > _frequency(word):
                word = rest
    return word


def strip_suffixes(word: str) -> str:
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            word = word[: -len(suffix)]
    return word


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The light stem of a normalized word (see the module docstring for the steps)."""
    if len(word) < 3 or not ("\u0621" <= word[0] <= "\u064a"):
        return word
    if word in PROTECTED:
        return PROTECTED[word]
    stripped = strip_article(word)
    if stripped == word:
        stripped = strip_proclitics(word)
        if stripped != word and stripped.startswith("ال"):
            stripped = strip_article(stripped)
    if stripped in PROTECTED:
        return PROTECTED[stripped]
    return strip_suffixes(stripped)
