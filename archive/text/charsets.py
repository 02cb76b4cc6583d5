"""Arabic character sets and clitic tables: the one source every regex, map and table is built from.

Like CAMeL Tools' `utils/charsets.py`: each set names its code points once, and the modules that need a
letter range, the harakat, the zero-width characters or the definite-article prefixes import them from here
(normalization, the analyzer's word pattern, the stemmer, the query parser, people, outlets and dates
extraction, the readers' language check, did-you-mean).
"""

from __future__ import annotations

# ---------------------------------------------------------------- letters

# U+0621 ء hamza .. U+064A ي yeh: the Arabic letters proper, as the body of a regex character class.
# (U+063B..U+063F are unassigned or rare Keheh/Farsi forms and U+0640 tatweel sits inside; both are harmless
# in a class used to find word edges.)
ARABIC_LETTER_RANGE = "\u0621-\u064a"
FIRST_ARABIC_LETTER = "\u0621"
LAST_ARABIC_LETTER = "\u064a"
# The letters of normalized Arabic (no أ إ آ ى ة: normalization folds them), for edit-distance candidates.
NORMALIZED_LETTERS = "ءابتثجحخدذرزسشصضطظعغفقكلمنهويئؤ"


def is_arabic_letter(char: str) -> bool:
    return FIRST_ARABIC_LETTER <= char <= LAST_ARABIC_LETTER


# ---------------------------------------------------------------- marks and invisible characters

# U+064B..U+0652 fathatan, dammatan, kasratan, fatha, damma, kasra, shadda, sukun;
# U+0653..U+065F maddah above, hamza above/below and other Quranic marks; U+0670 superscript alef;
# U+06D6..U+06ED Quranic annotation signs (small high ligatures, small waw/yeh, rounded zero, ...).
HARAKAT_CODEPOINTS = (*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE))
HARAKAT_RANGE = "\u064b-\u065f\u0670\u06d6-\u06ed"
# ـ U+0640 (kashida) only stretches a word.
TATWEEL = "\u0640"
# Invisible characters that turn up inside words copied from the web: U+00AD soft hyphen, U+200B zero width
# space, U+200C ZWNJ, U+200D ZWJ, U+200E/U+200F LRM/RLM, U+2060 word joiner, U+FEFF BOM / ZWNBSP.
ZERO_WIDTH = ("\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff")
ZERO_WIDTH_RANGE = "\u00ad\u200b-\u200f\u2060\ufeff"
# Compatibility characters that only NFKC folds: Latin ligatures (U+FB00..U+FB4F), Arabic presentation forms A
# (U+FB50..U+FDFF) and B (U+FE70..U+FEFF), fullwidth/halfwidth forms (U+FF00..U+FFEF).
NFKC_RANGE = "\ufb00-\ufdff\ufe70-\ufeff\uff00-\uffef"

# ---------------------------------------------------------------- letters normalization folds

# أ U+0623, إ U+0625, آ U+0622, ٱ U+0671 (alef wasla), ٲ U+0672, ٳ U+0673 -> ا U+0627
ALEF = "\u0627"
ALEF_VARIANTS = ("\u0623", "\u0625", "\u0622", "\u0671", "\u0672", "\u0673")
# ى U+0649 alef maksura -> ي U+064A
ALEF_MAKSURA = "\u0649"
YEH = "\u064a"
# ة U+0629 taa marbuta -> ه U+0647
TEH_MARBUTA = "\u0629"
HEH = "\u0647"
# Persian/Urdu letters typed for Arabic ones: ک U+06A9 keheh -> ك U+0643; ی U+06CC farsi yeh -> ي U+064A;
# ۀ U+06C0 heh with yeh above and ە U+06D5 ae -> ه U+0647
PERSIAN_LETTERS = {"\u06a9": "\u0643", "\u06cc": "\u064a", "\u06c0": "\u0647", "\u06d5": "\u0647"}
# Arabic-Indic digits U+0660..U+0669 and Extended (Persian) digits U+06F0..U+06F9 -> ASCII
DIGITS = {**{chr(0x0660 + i): str(i) for i in range(10)}, **{chr(0x06F0 + i): str(i) for i in range(10)}}

# ---------------------------------------------------------------- clitics (normalized spelling)

DEFINITE_ARTICLE = "ال"
# The definite-article groups a word can open with, longest first (the first match wins): ال with a conjunction
# (و ف), a preposition (ب ك) or both; لل is ل + ال (للرئيس).
ARTICLE_PREFIXES = ("وبال", "وكال", "فبال", "فكال", "ولل", "فلل", "وال", "فال", "بال", "كال", "لل", "ال")
# Bare proclitics: a conjunction, then a preposition (وب، فل، لـ).
CONJUNCTIONS = frozenset("وف")
PREPOSITIONS = frozenset("بلك")


def strip_article_prefix(word: str, min_rest: int = 2) -> str:
    """The word without the longest definite-article group it opens with, when at least MIN_REST letters stay;
    the word itself otherwise. Plain string work: the stemmer adds its lexicon checks on top."""
    for prefix in ARTICLE_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= min_rest:
            return word[len(prefix):]
    return word


def after_lam_forms(form: str) -> list[str]:
    """A normalized form and the shapes it takes after ل (للأسد: ل + الأسد loses the alef)."""
    out = [form]
    if form.startswith(DEFINITE_ARTICLE):
        rest = form[len(DEFINITE_ARTICLE):]
        out += ["لل" + rest, "ولل" + rest, "فلل" + rest]
    return out


def code_point_ranges(character_class: str) -> tuple[tuple[int, int], ...]:
    """The (first, last) code points of a character class's body made of literal characters and "a-b" ranges (no
    escapes, as the classes here are), for the compiled loops that test characters against ranges
    (archive/index/_kernels.c, archive/extract/_loops.c; their tests check the ranges against the class's regex)."""
    ranges: list[tuple[int, int]] = []
    at = 0
    while at < len(character_class):
        if at + 2 < len(character_class) and character_class[at + 1] == "-":
            ranges.append((ord(character_class[at]), ord(character_class[at + 2])))
            at += 3
        else:
            ranges.append((ord(character_class[at]), ord(character_class[at])))
            at += 1
    return tuple(sorted(ranges))
