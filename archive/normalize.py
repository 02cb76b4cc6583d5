"""Character normalization of Arabic text: pure functions, one per rule, each naming its code points.

Used by indexing, querying, highlighting and article identity alike.
"""

from __future__ import annotations

import re
import unicodedata

# U+064B..U+0652 fathatan, dammatan, kasratan, fatha, damma, kasra, shadda, sukun;
# U+0653..U+065F maddah above, hamza above/below and other Quranic marks; U+0670 superscript alef;
# U+06D6..U+06ED Quranic annotation signs.
HARAKAT = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
TATWEEL = "\u0640"
# أ U+0623, إ U+0625, آ U+0622, ٱ U+0671 (alef wasla), ٲ U+0672, ٳ U+0673 -> ا U+0627
_ALEF_MAP = str.maketrans({"\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
                           "\u0672": "\u0627", "\u0673": "\u0627"})
# ى U+0649 alef maksura -> ي U+064A
_YEH_MAP = str.maketrans({"\u0649": "\u064a"})
# ة U+0629 taa marbuta -> ه U+0647
_TEH_MARBUTA_MAP = str.maketrans({"\u0629": "\u0647"})
# Arabic-Indic digits U+0660..U+0669 and Extended (Persian) digits U+06F0..U+06F9 -> ASCII
_DIGIT_MAP = str.maketrans({**{chr(0x0660 + i): str(i) for i in range(10)},
                            **{chr(0x06F0 + i): str(i) for i in range(10)}})


def strip_harakat(text: str) -> str:
    return HARAKAT.sub("", text)


def strip_tatweel(text: str) -> str:
    return text.replace(TATWEEL, "")


def normalize_alef(text: str) -> str:
    return text.translate(_ALEF_MAP)


def normalize_alef_maksura(text: str) -> str:
    return text.translate(_YEH_MAP)


def normalize_teh_marbuta(text: str) -> str:
    return text.translate(_TEH_MARBUTA_MAP)


def normalize_digits(text: str) -> str:
    return text.translate(_DIGIT_MAP)


def normalize_presentation_forms(text: str) -> str:
    """NFKC folds presentation forms and ligatures (ﻻ U+FEFB -> لا, ﷲ U+FDF2 -> الله) to plain letters."""
    return unicodedata.normalize("NFKC", text)


def normalize(text: str) -> str:
    """Every rule above, in the order that makes them compose (NFKC first: it can produce harakat)."""
    text = normalize_presentation_forms(text)
    text = strip_harakat(text)
    text = strip_tatweel(text)
    text = normalize_alef(text)
    text = normalize_alef_maksura(text)
    text = normalize_teh_marbuta(text)
    return normalize_digits(text)
