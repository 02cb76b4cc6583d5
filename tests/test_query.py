"""The query language: what each form parses to, and that no input makes the parser fail."""

from __future__ import annotations

import pytest

from archive.search.query import (
    MAX_CLAUSES,
    MAX_QUERY_CHARS,
    And,
    FieldMatch,
    Not,
    Or,
    Phrase,
    Prefix,
    Word,
    has_implicit_and,
    parse,
    with_match,
)


@pytest.mark.parametrize(
    ("query", "described"),
    [
        ("موسكو", "موسكو"),
        ("لموسكو", "موسكو"),  # bare proclitic stripped by the shared analyzer
        ("بوتين الأسد", "بوتين اسد"),
        ("بوتين -ترامب", "بوتين -ترامب"),
        ("بوتين NOT ترامب", "بوتين -ترامب"),
        ("بوتين OR ترامب", "(بوتين OR ترامب)"),
        ("بوتين أو ترامب", "(بوتين OR ترامب)"),
        ("بوتين AND ترامب", "بوتين AND ترامب"),
        ("بوتين و ترامب", "بوتين ترامب"),  # a standalone و is prose for "and": the default anyway
        ("(بوتين OR ترامب) موسكو", "(بوتين OR ترامب) موسكو"),
        ("title:موسكو", "title:موسكو"),
        ('source:"Sky News Arabia"', 'source:"Sky News Arabia"'),
        ("person:بوتين", "person:بوتين"),
        ("المصدر:BBC", "source:BBC"),
        ("اقتصا*", "اقتصا*"),
        ("الاقتصا*", "الاقتصا*"),
    ],
)
def test_query_forms_parse_to_the_expected_tree(query: str, described: str) -> None:
    parsed = parse(query)
    assert parsed.describe() == described
    assert parsed.notices == []


def test_phrase_is_its_analyzed_words_in_order() -> None:
    from archive.text.analysis import term_of

    assert parse('"الرئيس الروسي"').describe() == f'"{term_of("الرئيس")} {term_of("الروسي")}"'


def test_phrase_positions_are_the_analyzers_own() -> None:
    from archive.text.analysis import ArabicAnalyzer

    text = "زيارة الأسد إلى موسكو"
    root = parse(f'"{text}"').root
    assert isinstance(root, Phrase)
    analyzed = [(t.text, t.pos) for t in ArabicAnalyzer()(text, positions=True)]
    # the stop word إلى is not a term; whatever numbering the analyzer gives the rest, the phrase uses it
    assert root.terms == tuple((term, pos - analyzed[0][1]) for term, pos in analyzed)


def test_prefix_offers_the_form_without_article() -> None:
    root = parse("الاقتصا*").root
    assert isinstance(root, Prefix)
    assert root.prefixes == ("الاقتصا", "اقتصا")


def test_field_values_are_filters_not_words() -> None:
    root = parse('بوتين source:"BBC Arabic" person:الأسد').root
    assert isinstance(root, And)
    kinds = [type(child) for child in root.children]
    assert kinds == [Word, FieldMatch, FieldMatch]
    assert root.children[1] == FieldMatch("source", "BBC Arabic")
    assert root.children[2] == FieldMatch("person", "الأسد")


def test_title_field_restricts_the_word_to_titles() -> None:
    root = parse("title:موسكو").root
    assert isinstance(root, Word) and root.fields == ("title",)


def test_match_any_turns_implicit_and_into_or_but_keeps_exclusions() -> None:
    root = parse("بوتين موسكو -ترامب").root
    assert has_implicit_and(root)
    anyroot = with_match(root, "any")
    assert isinstance(anyroot, And) and not anyroot.implicit
    assert isinstance(anyroot.children[0], Or)
    assert isinstance(anyroot.children[1], Not)
    # an explicit AND is the user's choice: it stays
    explicit = parse("بوتين AND موسكو").root
    assert not has_implicit_and(explicit)
    assert with_match(explicit, "any") == explicit


# Malformed input: always a result, words kept, a notice saying what was ignored.
@pytest.mark.parametrize(
    ("query", "kept_words", "notice_part"),
    [
        ('"بوتين موسكو', ["بوتين", "موسكو"], "quotation mark"),
        ("(بوتين موسكو", ["بوتين", "موسكو"], "parenthesis was not closed"),
        ("بوتين موسكو)", ["بوتين", "موسكو"], "closing parenthesis"),
        ("AND", [], "operator"),
        ("بوتين OR", ["بوتين"], "operator"),
        ("OR بوتين", ["بوتين"], "operator"),
        ("NOT", [], "operator"),
        ("بوتين AND AND موسكو", ["بوتين", "موسكو"], None),
        ("foo:موسكو", ["foo", "موسكو"], "unknown field"),
        ("*", [], "`*`"),
        ("title:", [], "needs a value"),
        ("<script>alert('موسكو')</script>", ["script", "alert", "موسكو"], None),
        ("موسكو'; DROP TABLE articles; --", ["موسكو", "drop", "table", "articles"], None),
        ("موسكو\x00\x07\x1b[31m بوتين", ["موسكو", "31m", "بوتين"], None),
        ("((((((((((((موسكو))))))))))))", ["موسكو"], "nested deeper"),
    ],
)
def test_malformed_queries_keep_their_words(query: str, kept_words: list[str], notice_part: str | None) -> None:
    parsed = parse(query)
    from archive.text.analysis import term_of

    expected = {term_of(w) for w in kept_words}
    assert parsed.positive_terms() == expected
    if notice_part:
        assert any(notice_part in notice for notice in parsed.notices), parsed.notices


def test_ten_thousand_characters_are_cut_and_bounded() -> None:
    words = " ".join(["موسكو", "بوتين", "سوريا", "اقتصاد"] * 2500)
    parsed = parse(words)
    assert any("cut" in n for n in parsed.notices)
    leaves = list(_leaves(parsed.root))
    assert len(leaves) <= MAX_CLAUSES
    assert len(parsed.text) == len(words)
    long_word = parse("ب" * 10_000)
    assert long_word.root is None
    assert MAX_QUERY_CHARS <= 2000


def _leaves(node):
    if isinstance(node, And | Or):
        for child in node.children:
            yield from _leaves(child)
    elif isinstance(node, Not):
        yield from _leaves(node.child)
    elif node is not None:
        yield node


def test_only_stop_words_is_empty_with_a_notice() -> None:
    parsed = parse("في من")
    assert parsed.root is None
    assert parsed.notices


def test_empty_query_is_empty_without_notice() -> None:
    assert parse("").root is None and parse("   ").notices == []


def test_lowercase_english_or_is_a_word() -> None:
    root = parse("war or peace").root
    assert isinstance(root, And)
    assert [c.terms for c in root.children] == [("war",), ("or",), ("peace",)]


# ---------------------------------------------------------------- Arabic prose is not syntax (issue 11)


@pytest.mark.parametrize(("query", "described"), [
    # driverless car: بدون is a word of the query, never a NOT that drops the very articles meant
    ("سيارة بدون سائق", "سيار دون سائق"),
    ("عالم ليس فيه حروب", "عالم حروب"),
    # أو binds the two words beside it, as the prose means: (oil or gas) in the Gulf
    ("النفط أو الغاز الخليج", "(نفط OR غاز) خليج"),
    ("بوتين ترامب OR كيم", "بوتين (ترامب OR كيم)"),
    # a و or أو at either end joins nothing: it is prose, dropped without a notice
    ("و بوتين", "بوتين"),
    ("بوتين أو", "بوتين"),
    ("أو بوتين و", "بوتين"),
])
def test_arabic_prose_words_are_not_operators(query: str, described: str) -> None:
    parsed = parse(query)
    assert parsed.describe() == described
    assert parsed.notices == []


@pytest.mark.parametrize("word", ["ليس", "بدون", "و", "أو"])
def test_a_single_prose_word_is_not_an_operator_with_nothing_to_join(word: str) -> None:
    notices = parse(word).notices
    assert not any(n.key == "lone_operator" for n in notices)


def test_english_operators_and_the_minus_sign_still_exclude() -> None:
    assert parse("بوتين NOT ترامب").describe() == "بوتين -ترامب"
    assert parse("-دمشق موسكو").describe() == "-دمشق موسكو"
    assert [n.key for n in parse("بوتين OR").notices] == ["lone_operator"]


def test_notices_carry_a_key_and_read_in_arabic_and_english() -> None:
    notice = parse('"بوتين موسكو').notices[0]
    assert notice.key == "unclosed_quote"
    assert str(notice) == notice.text("en") == "a quotation mark was not closed; its words were searched as words"
    assert notice.text("ar") != notice.text("en") and "تنصيص" in notice.text("ar")
    cut = parse("موسكو " * 400).notices[0]
    assert cut.key == "query_cut" and cut.params["chars"] <= 1000 and str(cut.params["chars"]) in cut.text("ar")
