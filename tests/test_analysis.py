"""The Whoosh analyzer: tokens, terms, offsets into the original text, positions, stop words, hostile input,
and a real in-memory Whoosh index (query forms meet, phrases match, highlights mark the article's own words)."""

from __future__ import annotations

import gzip
import itertools
import json
import pickle
import re

import pytest
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.highlight import HtmlFormatter
from whoosh.qparser import OrGroup, QueryParser

from archive.text import analysis
from archive.text.analysis import MAX_TERM_LENGTH, ArabicAnalyzer, analyze_terms, tokenize

TOKEN_TABLE = [
    ("مُحَمَّد", ["مُحَمَّد"]),                          # never split at a vowel mark
    ("قالَ الرَّئِيسُ", ["قالَ", "الرَّئِيسُ"]),
    ("كتـــاب", ["كتـــاب"]),                            # tatweel inside the word
    ("مي\u200cخواهم", ["مي\u200cخواهم"]),              # ZWNJ inside the word
    ("Reuters: BBC عربي", ["Reuters", "BBC", "عربي"]),
    ("عام ٢٠١٨ و2019", ["عام", "٢٠١٨", "و2019"]),
    ("#عاصي_الحلاني", ["عاصي", "الحلاني"]),             # hashtags split at _
    ("«السلام»، (غزة) - القدس.", ["السلام", "غزة", "القدس"]),
    ("", []),
    ("   \n\t ", []),
]


@pytest.mark.parametrize(("text", "expected"), TOKEN_TABLE)
def test_tokenize_keeps_words_whole(text, expected):
    assert tokenize(text) == expected


TERM_TABLE = [
    ("مُحَمَّد", ["محمد"]),
    ("وَقَالَ الرَّئِيسُ الرُّوسِيُّ", ["قال", "رئيس", "روس"]),
    ("في موسكو من لموسكو إلى بموسكو", ["موسكو", "موسكو", "موسكو"]),   # stop words dropped
    ("ﷲ أكبر ﻻ", ["الله", "اكبر"]),                                   # ligatures; لا is a stop word
    ("Reuters BBC عربية", ["reuters", "bbc", "عرب"]),
    ("عام ٢٠١٨ و۱۳۹۷ 2019", ["عام", "2018", "و1397", "2019"]),
    ("كتـــاب الكِتَابُ", ["كتاب", "كتاب"]),
    ("COVID-19 كورونا", ["covid", "19", "كورونا"]),
    ("", []),
    ("   ", []),
    ("في من إلى عن", []),
]


@pytest.mark.parametrize(("text", "expected"), TERM_TABLE)
def test_analyze_terms(text, expected):
    assert analyze_terms(text) == expected


def test_very_long_tokens_are_not_indexed_and_do_not_hurt_neighbours():
    junk = "ب" * 10_000
    assert analyze_terms(f"لبنان {junk} x{'y' * 5000} سوريا") == ["لبنان", "سور"]
    at_limit = "a" * MAX_TERM_LENGTH
    assert analyze_terms(at_limit) == [at_limit]
    assert analyze_terms(at_limit + "a") == []


def test_offsets_point_at_the_original_words():
    text = "وَقَالَ الرَّئِيسُ فِي لِموسكو: «كتـــاب»"
    tokens = [(t.text, t.startchar, t.endchar) for t in ArabicAnalyzer()(text, chars=True)]
    assert [text[start:end] for _, start, end in tokens] == ["وَقَالَ", "الرَّئِيسُ", "لِموسكو", "كتـــاب"]
    assert [term for term, _, _ in tokens] == ["قال", "رئيس", "موسكو", "كتاب"]


def test_positions_number_the_kept_terms_like_whoosh_stopfilter():
    tokens = [(t.text, t.pos) for t in ArabicAnalyzer()("وزير الخارجية في روسيا", positions=True)]
    assert tokens == [("وزير", 0), ("خارج", 1), ("روسيا", 2)]
    shifted = [t.pos for t in ArabicAnalyzer()("في وزير الخارجية", positions=True, start_pos=10)]
    assert shifted == [11, 12]


def test_query_mode_gives_the_same_terms():
    text = "والرئيسُ لموسكو في"
    index_terms = [t.text for t in ArabicAnalyzer()(text, mode="index")]
    query_terms = [t.text for t in ArabicAnalyzer()(text, mode="query")]
    assert index_terms == query_terms == ["رئيس", "موسكو"]


def test_stop_words_are_kept_marked_when_the_caller_asks():
    tokens = [(t.text, t.stopped) for t in ArabicAnalyzer()("في موسكو", removestops=False)]
    assert tokens == [("في", True), ("موسكو", False)]


def test_untokenized_value_is_normalized_as_one_term():
    assert [t.text for t in ArabicAnalyzer()("لموسكو", tokenize=False)] == ["موسكو"]


def test_analyzer_pickles_and_compares_equal():
    analyzer = ArabicAnalyzer()
    restored = pickle.loads(pickle.dumps(analyzer))
    assert restored == analyzer
    assert [t.text for t in restored("بموسكو")] == ["موسكو"]


def test_stop_word_list_is_loaded_normalized_with_waw_forms():
    assert {"في", "الي", "هذه", "وفي", "وهو"} <= analysis.STOPWORDS
    assert "علي" not in analysis.STOPWORDS  # على/علي: kept, علي is also a name


def test_memo_and_cached_function_agree():
    analysis.clear_caches()
    words = ["لموسكو", "في", "مُحَمَّد", "x" * 500]
    first = [t.text for t in ArabicAnalyzer()(" ".join(words))]
    second = [t.text for t in ArabicAnalyzer()(" ".join(words))]
    assert first == second == [term for term in map(analysis.term_of, words) if term]


# ------------------------------------------------------------------- the index processes' analysis

POSITION_TEXTS = [
    "في موسكو من لموسكو إلى بموسكو",                   # stop words first: the first term keeps its word's index
    "مُحَمَّد والرئيس لموسكو فلسطين ـــالأسد موسكو موسكو",
    "و في من على " * 20 + "النهاية",
    "ب" * 500 + " كلمة " + "x" * 241 + " كلمة",           # over-long words count as words but are not terms
    "a_b __ _x_ 123 ١٢٣ ۴۵ Hello WORLD hello ﻻ ﷲ",
    "\u200c\u200dكلمة\u200cمع\u200dفواصل",
    "في من على",                                          # only stop words
    "_ __ ___",
    "",
    " ".join(["موسكو", "في"] * 3000),                    # positions past the precomputed single-position codes
]


def _whoosh_positions(text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for token in ArabicAnalyzer()(text, positions=True, mode="index"):
        found.setdefault(token.text, []).append(token.pos)
    return found


@pytest.mark.parametrize("text", POSITION_TEXTS)
def test_term_positions_equal_the_whoosh_analyzers_terms_and_positions(text):
    for cold in (True, False):  # words met for the first time, then from the memo
        if cold:
            analysis.clear_caches()
        found = analysis.term_positions(text)
        expected = _whoosh_positions(text)
        assert found == expected and list(found) == list(expected)  # the same terms, in first-met order


def test_a_word_met_twice_in_its_first_text_is_analysed_once(monkeypatch):
    analysis.clear_caches()
    calls = []
    original = analysis.term_of_uncached
    monkeypatch.setattr(analysis, "term_of_uncached", lambda word: calls.append(word) or original(word))
    assert analysis.term_positions("لموسكو وصل لموسكو") == {"موسكو": [0, 2], "وصل": [1]}
    assert sorted(calls) == sorted(["لموسكو", "وصل"])


@pytest.mark.corpus
def test_term_positions_equal_the_whoosh_analyzer_on_corpus_articles(corpus_path):
    with gzip.open(corpus_path, "rt", encoding="utf-8") as corpus:
        records = [json.loads(line) for line in itertools.islice(corpus, 1500)]
    analysis.clear_caches()
    for record in records:
        for text in (record.get("title") or "", record.get("body") or record.get("text") or ""):
            assert analysis.term_positions(text) == _whoosh_positions(text), text[:60]


# ------------------------------------------------------------------- a real Whoosh index

ARTICLES = {
    "a1": "وَصَلَ الرَّئِيسُ الرُّوسِيُّ فلاديمير بوتين إلى موسكو بعد زيارة لبنان.",
    "a2": "قال وزير الخارجية اللبناني إن وفداً سيتوجه لموسكو الأسبوع المقبل.",
    "a3": "أعلنت الحكومة الفلسطينية في فلسطين عن خطة جديدة للتعليم.",
    "a4": "افتتح الكاتب معرض الكتاب في مكتبة المدينة.",
}


@pytest.fixture(scope="module")
def index():
    schema = Schema(id=ID(stored=True), body=TEXT(analyzer=ArabicAnalyzer(), stored=True, phrase=True))
    ix = RamStorage().create_index(schema)
    with ix.writer() as writer:
        for article_id, body in ARTICLES.items():
            writer.add_document(id=article_id, body=body)
    return ix


def search_ids(ix, query_text: str) -> set[str]:
    with ix.searcher() as searcher:
        query = QueryParser("body", ix.schema).parse(query_text)
        return {hit["id"] for hit in searcher.search(query, limit=None)}


@pytest.mark.parametrize(("query", "expected"), [
    ("موسكو", {"a1", "a2"}),
    ("بموسكو", {"a1", "a2"}),
    ("والرئيس", {"a1"}),
    ("الرَّئِيس", {"a1"}),
    ("لبنان", {"a1", "a2"}),        # اللبناني reduces to لبنان
    ("للبنان", {"a1", "a2"}),
    ("لفلسطين", {"a3"}),
    ("كتاب", {"a4"}),
    ("كاتب", {"a4"}),
    ("مكتب", {"a4"}),               # مكتبة: ة removed; مكتب stays apart from كتاب/كاتب...
    ("وبوتين", {"a1"}),
])
def test_every_query_form_finds_the_articles(index, query, expected):
    assert search_ids(index, query) == expected


def test_kitab_katib_maktab_do_not_find_each_other(index):
    with index.searcher() as searcher:
        terms = {term.decode() for term in searcher.lexicon("body")}
    assert {"كتاب", "كاتب", "مكتب"} <= terms


def test_phrase_query_across_a_stop_word_gap(index):
    assert search_ids(index, '"وزير الخارجية"') == {"a2"}
    assert search_ids(index, '"الخارجية وزير"') == set()
    assert search_ids(index, '"بوتين إلى موسكو"') == {"a1"}     # the query parser drops إلى too
    assert search_ids(index, '"بوتين زيارة"') == set()


def test_highlight_tags_wrap_the_original_diacritized_words(index):
    with index.searcher() as searcher:
        query = QueryParser("body", index.schema, group=OrGroup).parse("لموسكو والرئيس")
        hits = searcher.search(query)
        hits.formatter = HtmlFormatter(tagname="mark")
        text = {hit["id"]: re.sub(r"<mark[^>]*>", "[", hit.highlights("body", top=3)).replace("</mark>", "]")
                for hit in hits}
    assert "[الرَّئِيسُ]" in text["a1"]
    assert "[موسكو]" in text["a1"]
    assert "[لموسكو]" in text["a2"]
