"""Character normalization of Arabic text: pure functions, one per rule, each naming its code points.

Used by indexing, querying, highlighting and article identity alike. `normalize` applies every rule; the
analyzer applies it to one token at a time (so character offsets still point into the original text).
"""

from __future__ import annotations

import re
import unicodedata

from archive.text.charsets import (
    ALEF,
    ALEF_MAKSURA,
    ALEF_VARIANTS,
    DIGITS,
    HARAKAT_CODEPOINTS,
    HARAKAT_RANGE,
    HEH,
    NFKC_RANGE,
    PERSIAN_LETTERS,
    TATWEEL,
    TEH_MARBUTA,
    YEH,
    ZERO_WIDTH,
)

# The character sets and their code points are named in archive/text/charsets.py; here they become maps.
HARAKAT = re.compile(f"[{HARAKAT_RANGE}]")
_ZERO_WIDTH_MAP = str.maketrans(dict.fromkeys(ZERO_WIDTH))
_TATWEEL_MAP = str.maketrans({TATWEEL: None})
_ALEF_MAP = str.maketrans(dict.fromkeys(ALEF_VARIANTS, ALEF))
_YEH_MAP = str.maketrans({ALEF_MAKSURA: YEH})
_TEH_MARBUTA_MAP = str.maketrans({TEH_MARBUTA: HEH})
_PERSIAN_LETTER_MAP = str.maketrans(PERSIAN_LETTERS)
_DIGIT_MAP = str.maketrans(DIGITS)
# Only text holding a compatibility character needs NFKC (the ranges: charsets.NFKC_RANGE).
_NEEDS_NFKC = re.compile(f"[{NFKC_RANGE}]")


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
_HARAKAT_MAP = str.maketrans(dict.fromkeys(chr(c) for c in HARAKAT_CODEPOINTS))
_ALL_RULES_MAP = {**_HARAKAT_MAP, **_TATWEEL_MAP, **_ZERO_WIDTH_MAP, **_ALEF_MAP, **_YEH_MAP, **_TEH_MARBUTA_MAP,
                  **_PERSIAN_LETTER_MAP, **_DIGIT_MAP}

# The same table as (character, replacement) pairs. str.translate looks every character of the text up in the
# table (about 70 ns a character on Arabic text); a long text is rewritten faster by one str.replace per character
# of the table that it holds (each a C-speed scan). No replacement holds a character of the table, so the
# replacements in turn equal the translation at once.
_RULE_PAIRS = tuple((chr(code), "" if to is None else to if isinstance(to, str) else chr(to))
                    for code, to in sorted(_ALL_RULES_MAP.items()))
assert not {char for _, to in _RULE_PAIRS for char in to} & {char for char, _ in _RULE_PAIRS}
# Below this length translate is the cheaper way (the analyzer normalizes one token at a time).
_REPLACE_FROM_LENGTH = 64


def _apply_rules(text: str) -> str:
    if len(text) < _REPLACE_FROM_LENGTH:
        return text.translate(_ALL_RULES_MAP)
    for char, replacement in _RULE_PAIRS:
        if char in text:
            text = text.replace(char, replacement)
    return text


def character_rules() -> dict[str, str]:
    """normalize()'s one-character rules, for compiled code that applies them in one pass: character -> what is
    written instead ("" deletes it); every such character is below U+10000. normalize() applies NFKC before them
    (normalize_presentation_forms) and case folding after."""
    return dict(_RULE_PAIRS)


def normalize(text: str) -> str:
    """Every rule above: NFKC first (it can produce harakat), then the character rules, then case folding.

    Equal to applying normalize_presentation_forms, strip_harakat, strip_tatweel, strip_zero_width,
    normalize_alef, normalize_alef_maksura, normalize_teh_marbuta, normalize_persian_letters,
    normalize_digits and fold_case in turn (the tests check it).
    """
    if _NEEDS_NFKC.search(text) is not None:
        text = unicodedata.normalize("NFKC", text)
    return _apply_rules(text).lower()
