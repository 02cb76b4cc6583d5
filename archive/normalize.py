"""Character normalization of Arabic text: pure functions, one per rule, each naming its code points.

Used by indexing, querying, highlighting and article identity alike. `normalize` applies every rule; the
analyzer applies it to one token at a time (so character offsets still point into the original text).
"""

from __future__ import annotations

import re
import unicodedata

# U+064B..U+0652 fathatan, dammatan, kasratan, fatha, damma, kasra, shadda, sukun;
# U+0653..U+065F maddah above, hamza above/below and other Quranic marks; U+0670 superscript alef;
# U+06D6..U+06ED Quranic annotation signs (small high ligatures, small waw/yeh, rounded zero, ...).
HARAKAT_CHARS = "\u064b-\u065f\u0670\u06d6-\u06ed"
HARAKAT = re.compile(f"[{HARAKAT_CHARS}]")
TATWEEL = "\u0640"
# Invisible characters that turn up inside words copied from the web: U+00AD soft hyphen, U+200B zero width
# space, U+200C ZWNJ, U+200D ZWJ, U+200E/U+200F LRM/RLM, U+2060 word joiner, U+FEFF BOM / ZWNBSP.
ZERO_WIDTH_CHARS = "\u00ad\u200b-\u200f\u2060\ufeff"
_ZERO_WIDTH_MAP = str.maketrans(dict.fromkeys(["\u00ad", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
                                               "\u2060", "\ufeff"]))
_TATWEEL_MAP = str.maketrans({TATWEEL: None})
# أ U+0623, إ U+0625, آ U+0622, ٱ U+0671 (alef wasla), ٲ U+0672, ٳ U+0673 -> ا U+0627
_ALEF_MAP = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
                           "\u0672": "\u0627", "\u0673": "\u0627"})
# ى U+0649 alef maksura -> ي U+064A
_YEH_MAP = str.maketrans({"\u0649": "\u064a"})
# ة U+0629 taa marbuta -> ه U+0647
_TEH_MARBUTA_MAP = str.maketrans({"\u0629": "\u0647"})
# Persian/Urdu letters typed for Arabic ones: ک U+06A9 keheh -> ك U+0643; ی U+06CC farsi yeh -> ي U+064A;
# ۀ U+06C0 heh with yeh above and ە U+06D5 ae -> ه U+0647
_PERSIAN_LETTER_MAP = str.maketrans({"\u06a9": "\u0643", "\u06cc": "\u064a", "\u06c0": "\u0647",
                                     "\u06d5": "\u0647"})
# Arabic-Indic digits U+0660..U+0669 and Extended (Persian) digits U+06F0..U+06F9 -> ASCII
_DIGIT_MAP = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)},
                            **{chr(0x06F0 + i): str(i) for i in range(10)}})
# Only text holding a compatibility character needs NFKC: Arabic presentation forms A (U+FB50..U+FDFF) and
# B (U+FE70..U+FEFF), fullwidth/halfwidth forms (U+FF00..U+FFEF), Latin ligatures (U+FB00..U+FB4F).
_NEEDS_NFKC = re.compile("[\ufb00-\ufdff\ufe70-\ufeff\uff00-\uffef]")


def strip_harakat(text: str) -> str:
    return HARAKAT.sub("", text)


def strip_tatweel(text: str) -> str:
    """ـ U+0640 (kashida) only stretches a word."""
    return text.translate(_TATWEEL_MAP)


def strip_zero_width(text: str) -> str:
    return text.translate(_ZERO_WIDTH_MAP)


def normalize_alef(text: str) -> str:
    return text.translate(_ALEF_MAP)


def normalize_alef_maksura(text: str) -> str:
    return text.translate(_YEH_MAP)


def normalize_teh_marbuta(text: str) -> str:
    return text.translate(_TEH_MARBUTA_MAP)


def normalize_persian_letters(text: str) -> str:
    return text.translate(_PERSIAN_LETTER_MAP)


def normalize_digits(text: str) -> str:
    return text.translate(_DIGIT_MAP)


def normalize_presentation_forms(text: str) -> str:
    """NFKC folds presentation forms and ligatures (ﻻ U+FEFB -> لا, ﷲ U+FDF2 -> الله) to plain letters.

    Skipped for text without compatibility characters: NFKC would also compose and reorder marks, which the
    later rules make irrelevant, and it is the slowest rule.
    """
    if _NEEDS_NFKC.search(text) is None:
        return text
    return unicodedata.normalize("NFKC", text)


def fold_case(text: str) -> str:
    """Latin (and any other cased script) to lower case; Arabic has no case."""
    return text.lower()


# Every one-character rule above in one table, so `normalize` makes a single pass over the text: the rules map
# disjoint sets of characters, so applying them at once equals applying them in turn.
_HARAKAT_MAP = str.maketrans(dict.fromkeys(
    [chr(c) for c in (*range(0x064B, 0x0660), 0x0670, *range(0x06D6, 0x06EE))]))
_ALL_RULES_MAP = {**_HARAKAT_MAP, **_TATWEEL_MAP, **_ZERO_WIDTH_MAP, **_ALEF_MAP, **_YEH_MAP, **_TEH_MARBUTA_MAP,
                  **_PERSIAN_LETTER_MAP, **_DIGIT_MAP}


def normalize(text: str) -> str:
    """Every rule above: NFKC first (it can produce harakat), then the character rules, then case folding.

    Equal to applying normalize_presentation_forms, strip_harakat, strip_tatweel, strip_zero_width,
    normalize_alef, normalize_alef_maksura, normalize_teh_marbuta, normalize_persian_letters,
    normalize_digits and fold_case in turn (the tests check it).
    """
    if _NEEDS_NFKC.search(text) is not None:
        text = unicodedata.normalize("NFKC", text)
    return text.translate(_ALL_RULES_MAP).lower()
