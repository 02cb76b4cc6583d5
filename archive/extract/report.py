"""The account of one ingestion: every record read, skipped (with its origin and reason) or collapsed as a duplicate.

Shared by the readers (which count records and skip unreadable ones), ingest (extraction and deduplication), the
index writer (the summary line) and `inspect`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from archive.article import Article, Deduplicator


@dataclass(slots=True)
class Skipped:
    """A record that was not read, and why (one line, "<kind>: <detail>")."""

    origin: str
    reason: str

    @property
    def kind(self) -> str:
        return self.reason.split(":", 1)[0]


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
