"""Load: 8 threads searching one open Archive at once, as the sessions of one Streamlit process do. No search may
fail, and every answer must be identical (hits, scores, snippets, facets) to the single-threaded answer.

Short here (NEWS_ARCHIVE_LOAD_SECONDS, default 8 s); bench/load.py runs 30 s on the shared corpus and reports
throughput and latency.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile import hostile_queries, mixed_queries, run_concurrent_searches, write_synthetic_corpus

SECONDS = float(os.environ.get("NEWS_ARCHIVE_LOAD_SECONDS", "8"))


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory):
    from archive.index.writer import rebuild_index
    from archive.search.archive import Archive

    base = tmp_path_factory.mktemp("load")
    rebuild_index([write_synthetic_corpus(base / "corpus.jsonl", 1500)], base / "index", workers=2)
    return Archive.open(base / "index")


def load_queries(archive) -> list[dict]:
    queries = mixed_queries()
    people = list(archive.stats().get("people", {}))[:2]
    queries += [{"query": "", "persons": [name]} for name in people]
    queries += [{"query": "روسيا", "persons": people, "sort": "oldest"}] if people else []
    queries += [{"query": q.text} for q in hostile_queries()[::6]]
    return queries


@pytest.mark.timeout(120)
def test_eight_threads_searching_one_archive_get_no_errors_and_single_threaded_answers(archive) -> None:
    queries = load_queries(archive)
    assert len(queries) >= 40
    report = run_concurrent_searches(archive, queries, threads=8, seconds=SECONDS)
    print("\nload:", report.summary())
    assert report.errors == []
    assert report.mismatches == []
    assert min(report.per_thread) > 0, "a thread never got to search"
    assert report.searches >= len(queries)


@pytest.mark.timeout(120)
def test_threads_searching_while_the_index_is_rebuilt_see_old_or_new_answers_never_errors(tmp_path: Path) -> None:
    """A rebuild swapped in under running searches: reload_if_changed() moves to the new index between searches;
    every answer is the old index's or the new one's."""
    import threading

    from hostile import result_signature

    from archive.index.writer import rebuild_index
    from archive.search.archive import Archive

    old = write_synthetic_corpus(tmp_path / "old.jsonl", 300, start=0)
    new = write_synthetic_corpus(tmp_path / "new.jsonl", 300, start=20_000)
    index_dir = tmp_path / "index"
    rebuild_index([new], tmp_path / "new-index", workers=1)
    rebuild_index([old], index_dir, workers=1)
    queries = mixed_queries()[:12]
    archive = Archive.open(index_dir)
    new_archive = Archive.open(tmp_path / "new-index")
    expected = [{result_signature(archive.search(**q)), result_signature(new_archive.search(**q))} for q in queries]
    errors: list[str] = []
    stop = threading.Event()

    def searcher(number: int) -> None:
        position = number
        while not stop.is_set():
            index = position % len(queries)
            position += 1
            try:
                archive.reload_if_changed()
                signature = result_signature(archive.search(**queries[index]))
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            if signature not in expected[index]:
                errors.append(f"answer of neither index for {queries[index]!r}")

    threads = [threading.Thread(target=searcher, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    try:
        rebuild_index([new], index_dir, workers=1)
        archive.reload_if_changed()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors[:5] == []
    assert result_signature(archive.search(**queries[0])) == result_signature(new_archive.search(**queries[0]))


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_five_browser_sessions_at_once_search_and_filter_without_errors(test_index_dir: Path):
    from browser_support import chromium_missing_reason, streamlit_server

    if chromium_missing_reason():
        pytest.skip(chromium_missing_reason())
    from hostile import run_browser_sessions

    from archive.search.archive import Archive

    index_dir = test_index_dir  # conftest.py's: the app's test index
    with streamlit_server(index_dir) as base_url:
        report = run_browser_sessions(base_url, Archive.open(index_dir), sessions=5)
    print("\nbrowser sessions:", {k: v for k, v in report.items() if k != "per_session"})
    assert report["errors"] == []
    assert report["steps_done"] >= 5 * 3, report["per_session"]
