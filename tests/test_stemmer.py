"""The light stemmer: Light10 rules as tables, and the news cases where it must do better than Light10."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.text import stemmer
from archive.text.normalize import normalize
from archive.text.stemmer import stem


def stem_of(word: str) -> str:
    return stem(normalize(word))


# Light10's definite-article group and و, one at a time.
ARTICLE_TABLE = [
    ("الكتاب", "كتاب"), ("والكتاب", "كتاب"), ("بالكتاب", "كتاب"), ("كالكتاب", "كتاب"), ("فالكتاب", "كتاب"),
    ("للكتاب", "كتاب"), ("وبالكتاب", "كتاب"), ("فللمرة", "مره"), ("وللرئيس", "رئيس"),
    ("الاسبوع", "اسبوع"), ("والاسبوع", "اسبوع"),
]

# Light10's suffixes, once each in table order; ة and ية arrive as ه and يه after normalization.
SUFFIX_TABLE = [
    ("كتابها", "كتاب"),      # ها
    ("وزيران", "وزير"),      # ان (dual)
    ("سيارات", "سيار"),      # ات
    ("لاعبون", "لاعب"),      # ون
    ("مسؤولين", "مسؤول"),    # ين
    ("اقتصادية", "اقتصاد"),  # ية
    ("مدرسة", "مدرس"),       # ة
    ("كتابه", "كتاب"),       # ه
    ("روسي", "روس"),         # ي
    ("سياراتها", "سيار"),    # ها then ات
    ("البيانات", "بيان"),    # ات, and the stem keeps 3 letters: بيان is not cut to بي
]

# Too short to lose anything: the minimum stem lengths.
SHORT_TABLE = ["بي", "ال", "علي", "الي", "بيان", "صين", "كتب", "ولد"]


@pytest.mark.parametrize(("word", "expected"), ARTICLE_TABLE)
def test_one_definite_article_group_is_removed(word, expected):
    assert stem_of(word) == expected


@pytest.mark.parametrize(("word", "expected"), SUFFIX_TABLE)
def test_light10_suffixes_are_removed_once_each(word, expected):
    assert stem_of(word) == expected


@pytest.mark.parametrize("word", SHORT_TABLE)
def test_short_words_keep_a_minimum_stem(word):
    assert stem_of(word) == normalize(word)


# Bare proclitics, which Light10 and Lucene leave on (لموسكو != موسكو): stripped when the rest is a known word.
PROCLITIC_GROUPS = [
    ["موسكو", "لموسكو", "بموسكو", "وموسكو", "فموسكو", "كموسكو", "وبموسكو", "ولموسكو"],
    ["بوتين", "لبوتين", "وبوتين", "فبوتين"],
    ["ترامب", "لترامب", "وترامب", "بترامب"],
    ["لندن", "بلندن", "ولندن"],
    ["قال", "وقال", "فقال"],
    ["ماكرون", "لماكرون", "وماكرون"],
]

# Proper names a plain light stemmer mangles (فلسطين -> فلسط, لبنان -> لبن, ايران -> اير), with their variants.
NAME_GROUPS = [
    ["فلسطين", "لفلسطين", "وفلسطين", "بفلسطين"],
    ["لبنان", "للبنان", "بلبنان", "ولبنان", "وللبنان"],
    ["إيران", "ايران", "لإيران", "وإيران", "بإيران"],
    ["بريطانيا", "لبريطانيا", "وبريطانيا", "ببريطانيا"],
    ["البحرين", "بحرين", "والبحرين", "بالبحرين"],
    ["السودان", "للسودان", "بالسودان"],
    ["الله", "لله", "بالله", "والله"],
    ["ألمانيا", "لألمانيا", "بألمانيا", "وألمانيا"],
]

# Common news words whose forms must meet.
NEWS_GROUPS = [
    ["رئيس", "الرئيس", "والرئيس", "للرئيس", "بالرئيس", "رئيسه"],
    ["روسي", "الروسي", "الروسية", "روسية"],
    ["السورية", "السوري", "سوري", "سورية", "سوريا", "لسوريا"],   # سوريا is listed as a spelling of سورية
    ["وزارة", "الوزارة", "وزارات", "والوزارة", "بوزارة"],
    ["أمريكا", "امريكا", "أميركا", "لأمريكا", "وأميركا"],
    ["الأمريكي", "الأميركي", "أمريكي", "أميركي"],
    ["حكومة", "الحكومة", "حكومات", "للحكومة", "حكومته", "حكومتها"],
    ["زيارة", "الزيارة", "زيارته"],
    ["مسؤول", "المسؤول", "مسؤولون", "مسؤولين", "المسؤولين"],
    ["الألمانية", "ألمانية", "الألماني", "ألماني"],
    ["سامي", "لسامي", "وسامي"],
]


@pytest.mark.parametrize("group", PROCLITIC_GROUPS + NAME_GROUPS + NEWS_GROUPS, ids=lambda g: g[0])
def test_forms_of_one_word_meet(group):
    stems = {word: stem_of(word) for word in group}
    assert len(set(stems.values())) == 1, stems


# Protected names keep a readable form rather than a cut one.
@pytest.mark.parametrize(("word", "expected"), [
    ("فلسطين", "فلسطين"), ("لبنان", "لبنان"), ("إيران", "ايران"), ("بريطانيا", "بريطانيا"), ("بوتين", "بوتين"),
    ("سلمان", "سلمان"), ("ياسين", "ياسين"), ("طالبان", "طالبان"), ("نيسان", "نيسان"), ("فراس", "فراس"),
])
def test_protected_names_are_not_cut(word, expected):
    assert stem_of(word) == expected


# Different words stay apart: a root stemmer merges these, a light stemmer must not.
APART = [
    ("كتاب", "كاتب"), ("كتاب", "مكتب"), ("كاتب", "مكتب"), ("كتاب", "كتب"),
    ("وزير", "زير"),        # و belongs to وزير (الوزير exists), so it is not و + زير
    ("كمال", "مال"),        # the name, not ك + مال
    ("فراس", "راس"),
    ("بكين", "كين"),
    ("لبنان", "لبن"),
    ("بوتين", "بوت"),
    ("روسيا", "روس"),        # the country and the adjective stay apart (as in Lucene)
    ("فلسطين", "فلسط"),
    ("وافق", "افق"),
]


@pytest.mark.parametrize(("first", "second"), APART, ids=lambda w: w)
def test_different_words_stay_apart(first, second):
    assert stem_of(first) != stem_of(second)


def test_ambiguous_double_lam_reads_the_more_frequent_word():
    # للبنان = ل + لبنان (no البنان), للرئيس = ل + الرئيس (no لرئيس as a word)
    assert stemmer.strip_article("للبنان") == "لبنان"
    assert stemmer.strip_article("للرئيس") == "رئيس"


def test_non_arabic_and_short_input_is_returned_as_is():
    for word in ["", "a", "reuters", "2018", "ab"]:
        assert stem(word) == word


def test_without_a_lexicon_bare_proclitics_stay_and_light10_still_works(monkeypatch):
    monkeypatch.setattr(stemmer, "_FREQUENCIES", dict.fromkeys(stemmer.PROTECTED | stemmer.VARIANTS.keys(),
                                                               stemmer.PROTECTED_FREQUENCY))
    assert stemmer.stem_uncached("لموسكو") == "لموسكو"
    assert stemmer.stem_uncached("والرئيس") == "رئيس"
    assert stemmer.stem_uncached("لفلسطين") == "فلسطين"  # protected words still count as known


def test_missing_data_files_give_empty_tables(tmp_path: Path):
    assert stemmer.load_lexicon(tmp_path / "absent.tsv") == {}
    assert stemmer.load_protected(tmp_path / "absent.txt") == (frozenset(), {})


def test_protected_file_syntax(tmp_path: Path):
    path = tmp_path / "protected.txt"
    path.write_text("# comment\nفلسطين\n\nأميركا = أمريكا  # a variant\n", encoding="utf-8")
    protected, variants = stemmer.load_protected(path)
    assert protected == {"فلسطين"}
    assert variants == {"اميركا": "امريكا"}


def test_shipped_lexicon_is_small_normalized_and_frequency_ordered():
    size = stemmer.LEXICON_FILE.stat().st_size
    assert size < 2_000_000
    assert len(stemmer.LEXICON) > 50_000
    sample = list(stemmer.LEXICON.items())
    assert all(normalize(word) == word for word, _ in sample[:5000])
    counts = [count for _, count in sample]
    assert counts == sorted(counts, reverse=True)
    assert stemmer.LEXICON["موسكو"] > stemmer.LEXICON.get("لموسكو", 0)


def test_protected_words_file_entries_are_normalized_on_load():
    assert "ايران" in stemmer.PROTECTED  # written إيران in the file
    assert stemmer.VARIANTS["اميركا"] == "امريكا"
