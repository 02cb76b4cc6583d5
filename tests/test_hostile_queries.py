"""Hostile queries (tests/hostile.py: empty, lone operators, unbalanced quotes and parentheses, 10,000 characters,
wildcards alone, 500-deep nesting, unknown fields, control characters, NUL, SQL and HTML, RTL overrides, emoji,
ranges, boosts, fuzzy, lone surrogates ...) against the seeds index and a small synthetic one.

Each must come back as a SearchResult, never an exception; a query that contains a real word still finds
that word's articles; snippets stay HTML-safe; the JSON the command line prints is valid. Work is bounded:
each test has a timeout far above what a capped query needs, and bench/hostile_queries.py measures the times on
the shared corpus.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import HostileQuery, hostile_queries, write_synthetic_corpus

ROOT = Path(__file__).resolve().parent.parent
QUERIES = hostile_queries()


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> dict:
    from archive.index.writer import rebuild_index
    from archive.search.archive import Archive

    base = tmp_path_factory.mktemp("hostile-queries")
    rebuild_index([seeds_dir], base / "seeds-index", workers=1)
    synthetic = write_synthetic_corpus(base / "synthetic.jsonl", 400)
    rebuild_index([synthetic], base / "synthetic-index", workers=1)
    return {"seeds": Archive.open(base / "seeds-index"), "synthetic": Archive.open(base / "synthetic-index"),
            "dirs": {"seeds": base / "seeds-index", "synthetic": base / "synthetic-index"}}


def test_there_are_at_least_50_hostile_queries() -> None:
    assert len(QUERIES) >= 50
    assert len({q.name for q in QUERIES}) == len(QUERIES)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("index_name", ["seeds", "synthetic"])
@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_hostile_query_returns_a_result_never_an_exception(query: HostileQuery, index_name: str, indexes) -> None:
    from archive.search.archive import SearchResult

    archive = indexes[index_name]
    result = archive.search(query.text)
    assert isinstance(result, SearchResult)
    assert result.total >= len(result.hits) and len(result.hits) <= result.limit
    for hit in result.hits:
        assert "<script" not in hit.snippet and "<img" not in hit.snippet
    # serializable (a lone surrogate echoed back is the command line's to clean: see the test below)
    assert json.loads(json.dumps(result.to_dict()))["total"] == result.total
    assert set(result.to_dict()) >= {"query", "total", "took_ms", "hits", "facets"}
    if query.finds is not None:
        alone = archive.search(query.finds)
        if alone.total:
            assert result.total > 0, f"{query.name!r} lost the results of {query.finds!r} ({result.notice})"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("query", [q for q in QUERIES if q.finds], ids=[q.name for q in QUERIES if q.finds])
def test_hostile_query_with_filters_and_sorts_still_answers(query: HostileQuery, indexes) -> None:
    import datetime

    archive = indexes["synthetic"]
    for options in ({"sort": "newest"}, {"sort": "oldest", "match": "any"},
                    {"date_from": datetime.date(2018, 3, 1), "date_to": datetime.date(2018, 9, 1)},
                    {"sources": ["العربية"], "page": 2}):
        result = archive.search(query.text, **options)
        assert result.total >= len(result.hits)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("query", QUERIES[:40], ids=[q.name for q in QUERIES[:40]])
def test_hostile_query_in_helpers_never_raises(query: HostileQuery, indexes) -> None:
    archive = indexes["seeds"]
    assert isinstance(archive.suggest(query.text), list)
    first = archive.search("موسكو").hits[0].id
    archive.highlight_body(first, query.text)
    for row in archive.iter_matches(query.text):
        assert row["id"]


def test_search_batch_from_the_command_line_answers_every_hostile_line(indexes, tmp_path: Path) -> None:
    lines = [q.text for q in QUERIES if "\n" not in q.text and "\r" not in q.text and "\udcff" not in q.text]
    batch = tmp_path / "queries.txt"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "archive", "search", "--batch", str(batch), "--json", "--index",
                          str(indexes["dirs"]["synthetic"])], cwd=ROOT, capture_output=True, timeout=300)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    answers = [json.loads(line) for line in run.stdout.decode("utf-8").splitlines()]
    assert len(answers) == len(lines)
    assert all(isinstance(answer["total"], int) for answer in answers)


def test_a_query_of_undecodable_bytes_on_the_command_line_prints_valid_json(indexes) -> None:
    # Linux hands a non-UTF-8 argument to Python as lone surrogates (\udcff); it must not break the output.
    run = subprocess.run([sys.executable, "-m", "archive", "search", b"\xff\xfe" + "موسكو".encode(), "--json",
                          "--index", str(indexes["dirs"]["seeds"])], cwd=ROOT, capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    answer = json.loads(run.stdout.decode("utf-8"))
    assert answer["total"] > 0
