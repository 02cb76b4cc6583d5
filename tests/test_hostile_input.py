"""Hostile and broken input: a corpus of malformed records mixed into good ones (tests/hostile.py writes it and
its exact ledger). Every good record must be indexed with its story intact, every bad one reported with a
reason, duplicates collapsed, and the counts must add up exactly: read == indexed + skipped + duplicates.

What is decided per kind of damage (good, skipped or duplicate, and why) is `hostile.DECISIONS`; the
per-kind test below names the kind, so a failure says which damage the archive mishandles.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hostile import ANY_DATE, DECISIONS, DUPLICATE, INDEXED, SKIPPED, HostileCorpus, make_hostile_corpus

from archive.extract.ingest import iter_articles
from archive.extract.report import IngestReport

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> HostileCorpus:
    return make_hostile_corpus(tmp_path_factory.mktemp("hostile") / "corpus")


@pytest.fixture(scope="module")
def ingested(corpus: HostileCorpus):
    """(report, {relative origin: Article}, {relative origin: Skipped}) from reading the whole corpus."""
    report = IngestReport()
    articles = {corpus.relative_origin(a.origin): a for a in iter_articles([corpus.root], report)}
    skipped = {corpus.relative_origin(s.origin): s for s in report.skipped}
    return report, articles, skipped


def test_hostile_corpus_has_at_least_200_malformed_records_of_every_kind(corpus: HostileCorpus) -> None:
    assert len(corpus.malformed) >= 200
    assert {entry.kind for entry in corpus.ledger} == set(DECISIONS)
    assert len({entry.origin for entry in corpus.ledger}) == len(corpus.ledger), "one ledger entry per record"


def test_ingest_counts_add_up_exactly(corpus: HostileCorpus, ingested) -> None:
    report, articles, skipped = ingested
    expected = Counter(entry.outcome for entry in corpus.ledger)
    assert report.read == len(corpus.ledger)
    assert report.read == len(articles) + len(report.skipped) + report.duplicates
    assert (len(articles), len(report.skipped), report.duplicates) == (
        expected[INDEXED], expected[SKIPPED], expected[DUPLICATE])
    assert len(skipped) == len(report.skipped), "two skips reported for one origin"


def _problems_of_kind(kind: str, corpus: HostileCorpus, articles: dict, skipped: dict) -> list[str]:
    problems = []
    for entry in (e for e in corpus.ledger if e.kind == kind):
        article, skip = articles.get(entry.origin), skipped.get(entry.origin)
        if entry.outcome == INDEXED:
            if article is None:
                problems.append(f"{entry.origin}: not read ({skip.reason if skip else 'counted as a duplicate'})")
                continue
            if entry.article_id is not None and article.id != entry.article_id:
                problems.append(f"{entry.origin}: id {article.id!r}, expected {entry.article_id!r}")
            if entry.probe is not None and entry.probe not in article.body:
                problems.append(f"{entry.origin}: story garbled, {entry.probe} not in {article.body[:60]!r}")
            if entry.date != ANY_DATE and article.published != entry.date:
                problems.append(f"{entry.origin}: date {article.published}, expected {entry.date}")
            if not article.title.strip():
                problems.append(f"{entry.origin}: empty title")
        elif entry.outcome == SKIPPED:
            if skip is None:
                problems.append(f"{entry.origin}: not reported as skipped "
                                f"({'indexed' if article else 'counted as a duplicate'})")
            elif not re.search(entry.reason_pattern, skip.reason, re.IGNORECASE):
                problems.append(f"{entry.origin}: reason {skip.reason!r} does not say /{entry.reason_pattern}/")
            elif "\n" in skip.reason or not skip.reason.strip():
                problems.append(f"{entry.origin}: reason is not one line: {skip.reason!r}")
        elif article is not None or skip is not None:
            problems.append(f"{entry.origin}: not collapsed as a duplicate "
                            f"({'indexed' if article else skip.reason})")
    return problems


@pytest.mark.parametrize("kind", sorted(DECISIONS))
def test_each_kind_of_record_ends_as_decided(kind: str, corpus: HostileCorpus, ingested) -> None:
    _, articles, skipped = ingested
    problems = _problems_of_kind(kind, corpus, articles, skipped)
    assert not problems, f"{kind} ({DECISIONS[kind][1]}):\n" + "\n".join(problems)


def test_nothing_is_read_that_the_ledger_does_not_know(corpus: HostileCorpus, ingested) -> None:
    _, articles, skipped = ingested
    known = {entry.origin for entry in corpus.ledger}
    assert sorted(set(articles) - known) == []
    assert sorted(set(skipped) - known) == []


def test_a_truncated_gzip_keeps_the_records_before_the_cut_and_reports_the_file(tmp_path: Path) -> None:
    from hostile import synthetic_articles

    records = list(synthetic_articles(400))
    data = gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode(), mtime=0)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    report = IngestReport()
    articles = list(iter_articles([path], report))
    assert [s.reason for s in report.skipped if s.origin.startswith(str(path))], "the cut is not reported"
    assert len(report.skipped) <= 2  # the cut, and at most the half line before it
    read_ids = [a.id for a in articles]
    assert read_ids == [r["id"] for r in records[: len(read_ids)]], "records before the cut lost or reordered"
    assert len(read_ids) >= 100
    assert report.read == len(articles) + len(report.skipped) + report.duplicates


# ---------------------------------------------------------------- through the command line into an index


@pytest.fixture(scope="module")
def built(corpus: HostileCorpus, tmp_path_factory: pytest.TempPathFactory):
    index_dir = tmp_path_factory.mktemp("hostile-index") / "index"
    run = subprocess.run([sys.executable, "-m", "archive", "rebuild-index", str(corpus.root), "--index",
                          str(index_dir), "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return run, index_dir


def test_rebuild_index_over_the_hostile_corpus_reports_every_skip_and_exact_counts(corpus: HostileCorpus,
                                                                                    built) -> None:
    run, _ = built
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    expected = Counter(entry.outcome for entry in corpus.ledger)
    summary = run.stdout.strip().splitlines()[-1]
    numbers = [int(n) for n in re.findall(r"\d+", summary)]
    assert f"indexed {expected[INDEXED]} " in summary, summary
    assert f"skipped {expected[SKIPPED]} " in summary, summary
    assert f"{expected[DUPLICATE]} duplicate" in summary, summary
    assert numbers, summary
    skip_lines = [line for line in run.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skip_lines) == expected[SKIPPED]


def test_every_good_record_is_in_the_index_and_found_by_its_marker(corpus: HostileCorpus, built, ingested) -> None:
    from archive.search.archive import Archive

    run, index_dir = built
    assert run.returncode == 0, run.stderr[-2000:]
    _, articles, _ = ingested
    archive = Archive.open(index_dir)
    assert archive.stats()["articles"] == sum(1 for e in corpus.ledger if e.outcome == INDEXED)
    missing, unfound = [], []
    for entry in corpus.ledger:
        if entry.outcome != INDEXED or entry.origin not in articles:
            continue
        article_id = articles[entry.origin].id
        stored = archive.get(article_id)
        if stored is None or (entry.probe and entry.probe not in stored.body):
            missing.append(entry.origin)
        if entry.probe:
            result = archive.search(entry.probe, limit=5)
            if article_id not in [hit.id for hit in result.hits]:
                unfound.append(f"{entry.origin} ({entry.kind}): {entry.probe} -> {[h.id for h in result.hits]}")
    assert missing == []
    assert unfound == []


def test_words_written_with_zero_width_characters_are_found_by_their_plain_spelling(corpus: HostileCorpus,
                                                                                    built) -> None:
    from archive.search.archive import Archive

    archive = Archive.open(built[1])
    for article_id, word in corpus.zero_width_words.items():
        assert article_id in [hit.id for hit in archive.search(word).hits], word


def test_html_in_an_article_is_stored_as_text_and_escaped_in_snippets(corpus: HostileCorpus, built) -> None:
    from archive.search.archive import Archive

    archive = Archive.open(built[1])
    entries = [e for e in corpus.ledger if e.kind == "html_and_script"]
    for entry in entries:
        stored = archive.get(entry.article_id)
        assert stored is not None and "<script>" in stored.title + stored.body  # kept as the text it is
        for hit in archive.search(entry.probe).hits:
            assert "<script" not in hit.snippet and "<img" not in hit.snippet and "<iframe" not in hit.snippet
            assert "<script" not in archive.highlight_body(hit.id, entry.probe)
