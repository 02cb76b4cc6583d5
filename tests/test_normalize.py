"""Character normalization: every rule and every code point it maps, on its own and through `normalize`."""

from __future__ import annotations

import pytest

from archive.text import normalize as n

# (rule, input, expected): each mapping the issue asks for, by code point.
RULE_TABLE = [
    # harakat U+064B..U+0652, superscript alef U+0670, Quranic marks U+0653..U+065F and U+06D6..U+06ED
    (n.strip_harakat, "مُحَمَّدٌ", "محمد"),
    (n.strip_harakat, "".join(chr(c) for c in range(0x064B, 0x0653)), ""),
    (n.strip_harakat, "هٰذا", "هذا"),  # U+0670 superscript alef
    (n.strip_harakat, "ا\u0653\u0654\u0655\u065f", "ا"),
    (n.strip_harakat, "الرحيم\u06d6\u06da\u06ed", "الرحيم"),
    (n.strip_tatweel, "كتـــــاب", "كتاب"),
    (n.strip_zero_width, "مي\u200cخواهم", "ميخواهم"),  # ZWNJ
    (n.strip_zero_width, "a\u200bb\u200dc\u200ed\u200fe\u2060f\ufeffg\u00adh", "abcdefgh"),
    (n.normalize_alef, "أحمد إيران آمال ٱلله", "احمد ايران امال الله"),
    (n.normalize_alef, "\u0672\u0673", "اا"),
    (n.normalize_alef_maksura, "مصطفى على", "مصطفي علي"),
    (n.normalize_teh_marbuta, "مدرسة الحكومة", "مدرسه الحكومه"),
    (n.normalize_persian_letters, "\u06a9\u06cc\u06c0\u06d5", "كيهه"),
    (n.normalize_digits, "٠١٢٣٤٥٦٧٨٩", "0123456789"),
    (n.normalize_digits, "۰۱۲۳۴۵۶۷۸۹", "0123456789"),
    (n.normalize_presentation_forms, "\ufefb", "لا"),  # ﻻ lam-alef ligature
    (n.normalize_presentation_forms, "\ufdf2", "الله"),  # ﷲ
    (n.normalize_presentation_forms, "\ufe8d\ufedf\ufeae\ufe8e\ufee3", "الرام"),  # isolated/final/medial forms
    (n.normalize_presentation_forms, "ＡＢＣ１２", "ABC12"),  # fullwidth Latin and digits
    (n.fold_case, "Reuters BBC", "reuters bbc"),
]


@pytest.mark.parametrize(("rule", "text", "expected"), RULE_TABLE)
def test_each_rule_maps_its_code_points(rule, text, expected):
    assert rule(text) == expected


# Things the rules must NOT touch (pyarabic's normalize_hamza/normalize_alef do: أحمد -> ءحمد, ى -> ا).
UNTOUCHED = ["ا", "ء", "ؤ", "ئ", "ي", "ه", "مسؤول", "رئيس", "بيئة", "سماء", "hello 42"]


@pytest.mark.parametrize("text", UNTOUCHED)
def test_hamza_on_waw_yeh_and_plain_letters_are_left_alone(text):
    assert n.normalize(text) == n.normalize_teh_marbuta(text)


NORMALIZE_TABLE = [
    ("مُحَمَّدٌ", "محمد"),
    ("الرَّئِيسُ", "الرئيس"),
    ("إِلَى", "الي"),
    ("مدرسةٌ", "مدرسه"),
    ("ﷲ أكبر", "الله اكبر"),
    ("ﻻ", "لا"),
    ("عام ٢٠١٨ و۱۳۹۷", "عام 2018 و1397"),
    ("كتـــاب", "كتاب"),
    ("CNN عربية", "cnn عربيه"),
    ("", ""),
    ("   ", "   "),
    ("آيفون", "ايفون"),
    ("پ چ ژ گ", "پ چ ژ گ"),  # Persian letters with no Arabic counterpart are kept
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZE_TABLE)
def test_normalize_applies_every_rule(text, expected):
    assert n.normalize(text) == expected


def test_normalize_equals_the_rules_applied_in_turn():
    text = ("ﷲ ﻻ مُحَمَّدٌ كتـــاب أإآٱ ى ة \u06a9\u06cc ٠١٢ ۳۴ ABC مي\u200cخواهم هٰذا "
            "الرحيم\u06d6 \ufe8d\ufedf\ufeae")
    expected = text
    for rule in (n.normalize_presentation_forms, n.strip_harakat, n.strip_tatweel, n.strip_zero_width,
                 n.normalize_alef, n.normalize_alef_maksura, n.normalize_teh_marbuta,
                 n.normalize_persian_letters, n.normalize_digits, n.fold_case):
        expected = rule(expected)
    assert n.normalize(text) == expected


def test_normalize_is_idempotent():
    text = "وَقَالَ الرَّئِيسُ الأَمِيرْكِيُّ إِنَّ ﷲ ٢٠١٨ Reuters"
    once = n.normalize(text)
    assert n.normalize(once) == once
