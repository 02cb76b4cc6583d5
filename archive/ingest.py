"""Ingestion: readers -> build_article (optionally in worker processes) -> deduplication, with a report
of every record read, skipped (with its reason) and collapsed as a duplicate.

The three stages stay separable so the indexer can run them itself:

    report = IngestReport()
    dedup = Deduplicator()
    for raw in iter_raw_records(paths, report):          # counts report.read, records unreadable ones
        result = build_article(raw)                       # pure; safe in a worker process
        if report.add(result, dedup) is not None: ...     # records Skipped / duplicates, returns the Article
"""

from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archive.article import Article, content_key, normalize_url
from archive.extract import build_article
from archive.readers import RawRecord, Skipped, iter_raw_records

__all__ = ["Deduplicator", "IngestReport", "RawRecord", "Skipped", "build_article", "iter_articles",
           "iter_raw_records"]


@dataclass
class IngestReport:
    read: int = 0  # records met (good or bad)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: int = 0

    @property
    def articles(self) -> int:
        return self.read - len(self.skipped) - self.duplicates

    def add(self, result: Article | Skipped, dedup: Deduplicator | None = None) -> Article | None:
        """Account for one build_article result: the Article to keep, or None (skipped or a duplicate)."""
        if isinstance(result, Skipped):
            self.skipped.append(result)
            return None
        if dedup is not None and dedup.is_duplicate(result):
            self.duplicates += 1
            return None
        return result

    def skipped_by_kind(self) -> Counter[str]:
        return Counter(skipped.kind for skipped in self.skipped)

    def summary(self) -> str:
        """One line: "read 30101 records: 30095 articles, 4 skipped (3 too short, 1 invalid JSON), 2 duplicates"."""
        by_kind = sorted(self.skipped_by_kind().items(), key=lambda item: (-item[1], item[0]))
        kinds = ", ".join(f"{count} {kind}" for kind, count in by_kind)
        skipped = f"{len(self.skipped)} skipped" + (f" ({kinds})" if kinds else "")
        records = "record" if self.read == 1 else "records"
        articles = "article" if self.articles == 1 else "articles"
        duplicates = "duplicate" if self.duplicates == 1 else "duplicates"
        return f"read {self.read} {records}: {self.articles} {articles}, {skipped}, {self.duplicates} {duplicates}"


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()


class Deduplicator:
    """The same article met twice: same id, same normalized URL, or same normalized title+body."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._urls: set[bytes] = set()
        self._contents: set[bytes] = set()

    def is_duplicate(self, article: Article) -> bool:
        """True when an article with the same identity was seen before; otherwise remembers this one."""
        url = _digest(normalize_url(article.url)) if article.url else None
        content = _digest(article.content if article.content is not None else content_key(article.title, article.body))
        if article.id in self._ids or (url is not None and url in self._urls) or content in self._contents:
            return True
        self._ids.add(article.id)
        if url is not None:
            self._urls.add(url)
        self._contents.add(content)
        return False


def _build_batch(batch: list[RawRecord]) -> list[Article | Skipped]:
    return [build_article(raw) for raw in batch]


def _batches(records: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    iterator = iter(records)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def iter_built(records: Iterable[RawRecord], workers: int = 1, batch_size: int = 256) -> Iterator[Article | Skipped]:
    """build_article over RECORDS in input order; with workers > 1 in a process pool, a bounded window of
    batches in flight so memory stays flat however large the input."""
    if workers <= 1:
        for raw in records:
            yield build_article(raw)
        return
    import multiprocessing

    window = workers * 3
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending = []
        for batch in _batches(records, batch_size):
            pending.append(pool.apply_async(_build_batch, (batch,)))
            if len(pending) >= window:
                yield from pending.pop(0).get()
        for result in pending:
            yield from result.get()


def iter_articles(paths: Sequence[str | Path], report: IngestReport, workers: int = 1) -> Iterator[Article]:
    """Articles from PATHS in input order, skipped records and duplicates accounted for in REPORT."""
    dedup = Deduplicator()
    for result in iter_built(iter_raw_records(paths, report), workers):
        article = report.add(result, dedup)
        if article is not None:
            yield article
