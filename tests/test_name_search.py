"""Search that knows names: a registered person's name in any registered spelling, short form or Latin script
matches every spelling of that person; totals of each spelling and of their OR agree; quoting a word searches it
as written; `--person`/`person:` accept Latin names."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_support import SampleIndex

from archive.extract.people import canonical_person, registry
from archive.index.writer import rebuild_index
from archive.search.archive import Archive
from archive.search.names import widen_person_names
from archive.search.query import parse
from archive.text.analysis import analyze_terms


def searched_as(query: str) -> str:
    return widen_person_names(parse(query)).describe()


def test_every_spelling_of_a_registered_name_searches_all_of_them() -> None:
    assert searched_as("ترامب") == searched_as("ترمب") == searched_as("Trump") == "(ترامب OR ترمب OR trump)"
    assert searched_as("وبوتين") == searched_as("Putin")
    assert searched_as("title:أردوغان").startswith("(title:اردوغان OR")


def test_quoted_ambiguous_and_unknown_words_are_searched_as_written() -> None:
    assert searched_as('"ترمب"') == "ترمب"
    assert searched_as("الأسد") == "اسد", "an ambiguous short form (also the lion) is not widened"
    assert searched_as("موسكو") == "موسكو"
    assert searched_as("-ترمب موسكو").startswith("-(ترامب OR ترمب")


def test_latin_names_resolve_to_the_registered_person() -> None:
    assert canonical_person("Trump") == canonical_person("ترمب") == "دونالد ترامب"
    assert canonical_person("Vladimir Putin") == canonical_person("putin") == "فلاديمير بوتين"
    assert canonical_person("Erdogan") == "رجب طيب أردوغان"
    with_latin = [p for p in registry().people if p.latin]
    assert len(with_latin) >= 50


@pytest.fixture(scope="module")
def seeds_archive(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Archive:
    index = tmp_path_factory.mktemp("names") / "index"
    rebuild_index([seeds_dir], index, workers=1)
    return Archive.open(index)


def test_latin_query_and_person_filter_find_what_the_arabic_name_finds(seeds_archive: Archive) -> None:
    arabic = seeds_archive.search("بوتين", limit=100)
    latin = seeds_archive.search("Putin", limit=100)
    assert arabic.total == latin.total > 0
    assert {h.id for h in arabic.hits} == {h.id for h in latin.hits}
    assert seeds_archive.search("", persons=["Putin"]).total == seeds_archive.search("", persons=["بوتين"]).total > 0
    assert seeds_archive.search("person:Putin").total == seeds_archive.search("person:بوتين").total > 0
    assert arabic.normalized_query == "(بوتين OR putin)"


@pytest.mark.corpus
def test_totals_of_every_spelling_and_of_their_or_agree_on_the_corpus(
        corpus_sample_index: SampleIndex, corpus_sample_terms: dict[str, set[str]]) -> None:
    """Over conftest.py's corpus sample: its index, and the terms of each record it was built from."""
    archive = Archive.open(corpus_sample_index.path)
    terms = list(corpus_sample_terms.values())
    checked = 0
    for person in registry().people:
        spellings = [s for s in (*person.short, *person.latin) if len(s.split()) == 1]
        if len(spellings) < 2:
            continue
        totals = {s: archive.search(s, match="all").total for s in spellings}
        either = archive.search(" OR ".join(spellings), match="all").total
        union = {term for s in spellings for term in analyze_terms(s)}
        with_a_spelling = sum(1 for t in terms if t & union)  # full-name phrases may add a few more
        assert set(totals.values()) == {either} and either >= with_a_spelling, (person.name, totals, either)
        checked += 1
    assert checked >= 20
