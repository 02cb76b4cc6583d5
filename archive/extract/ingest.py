"""Ingestion: readers -> build_article (optionally in worker processes) -> deduplication, with a report
of every record read, skipped (with its reason) and collapsed as a duplicate.

The three stages stay separable (IngestReport: archive/extract/report.py; Deduplicator: archive/article.py):

    report = IngestReport()
    dedup = Deduplicator()
    for raw in iter_raw_records(paths, report):          # counts report.read, records unreadable ones
        result = build_article(raw)                       # pure; safe in a worker process
        if report.add(result, dedup) is not None: ...     # records Skipped / duplicates, returns the Article
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from archive.article import Article, Deduplicator
from archive.batching import EXTRACT_BATCH, EXTRACT_BATCH_BYTES, batched_by_weight
from archive.extract.boilerplate import Boilerplate, ParagraphCounts
from archive.extract.builder import build_articles
from archive.extract.readers import RawRecord, ReadOptions, iter_raw_records
from archive.extract.report import IngestReport, Skipped


def _build_batch(batch: list[RawRecord], boilerplate: Boilerplate | None = None) -> list[Article | Skipped]:
    return list(build_articles(batch, boilerplate))


def _record_bytes(raw: RawRecord) -> int:
    return len(raw.body) * 2 + (len(raw.html) if raw.html is not None else 0)


def iter_built(records: Iterable[RawRecord], workers: int = 1, batch_size: int = EXTRACT_BATCH,
               boilerplate: Boilerplate | None = None,
               worker_start: Callable[[], None] | None = None) -> Iterator[Article | Skipped]:
    """build_article over RECORDS in input order; with workers > 1 in a process pool, a bounded window of
    batches (bounded in count and in bytes) in flight so memory stays flat however large the input. WORKER_START
    runs first in each pool process (the index layer's release_held_locks: a worker must not hold the index's lock
    after its parent dies)."""
    if workers <= 1:
        yield from build_articles(records, boilerplate)
        return
    window = workers * 3
    with multiprocessing.get_context("fork").Pool(workers, initializer=worker_start) as pool:
        pending = []
        for batch in batched_by_weight(records, batch_size, EXTRACT_BATCH_BYTES, _record_bytes):
            pending.append(pool.apply_async(_build_batch, (batch, boilerplate)))
            if len(pending) >= window:
                yield from pending.pop(0).get()
        for result in pending:
            yield from result.get()


def learn_boilerplate(paths: Sequence[str | Path], counts: ParagraphCounts | None = None,
                      options: ReadOptions | None = None) -> ParagraphCounts:
    """COUNTS (or new ones) with the paragraphs of every record in PATHS added: a first pass of reading only."""
    return (counts or ParagraphCounts()).add(iter_raw_records(paths, IngestReport(), options))


def iter_articles(paths: Sequence[str | Path], report: IngestReport, workers: int = 1,
                  options: ReadOptions | None = None, boilerplate: Boilerplate | None = None,
                  worker_start: Callable[[], None] | None = None) -> Iterator[Article]:
    """Articles from PATHS in input order, skipped records and duplicates accounted for in REPORT; paragraphs in
    BOILERPLATE removed from every story."""
    dedup = Deduplicator()
    for result in iter_built(iter_raw_records(paths, report, options), workers, boilerplate=boilerplate,
                             worker_start=worker_start):
        article = report.add(result, dedup)
        if article is not None:
            yield article
