"""RSS and Atom feeds (`.rss`, `.atom`, `.xml` holding a feed): each entry becomes a RawRecord, with feedparser.

From an entry: title, link, publication date (as the feed writes it, in the feed's own time zone: feedparser's
`published_parsed` is in UTC, which moves a story published after midnight in Beirut to the day before), author,
and the text of its full content when the feed carries it (`content:encoded`, Atom `content`), else of its summary.
The outlet: an entry's `<source>`, else the feed's title or the entry link's domain as the outlet registry knows
them, else the feed's title when it is short enough to be a name. Provenance of every field: "feed".

The origin of an entry is `FILE:#N` (its number in the feed, from 1). Feed URLs given to `add` are fetched, and
their entries' pages with them, by archive/extract/fetch.py.
"""

from __future__ import annotations

import email.utils
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser

from archive.extract.dates import parse_date
from archive.extract.records import RawRecord, ReadOptions
from archive.extract.report import IngestReport, Skipped
from archive.extract.sources import registry
from archive.extract.web import fragment_text

FEED_SUFFIXES = (".rss", ".atom", ".xml")
MAX_FEED_BYTES = 64 * 1024 * 1024
_TITLE_PARTS = re.compile(r"\s+[|\-–—:»«]+\s+")


def _tidy(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def entry_date(entry: Any) -> str | None:
    """The entry's publication (else update) date, yyyy-mm-dd, in the time zone the feed wrote it in."""
    for key in ("published", "updated", "created"):
        text = _tidy(entry.get(key))
        if not text:
            continue
        try:
            written = email.utils.parsedate_to_datetime(text)  # RSS: "Wed, 15 Mar 2023 01:00:00 +0300"
            published = parse_date(written.date().isoformat())
        except (TypeError, ValueError, IndexError):
            published = parse_date(text)  # Atom: ISO 8601; and other styles the product reads
        if published is not None:
            return published.isoformat()
    return None


def feed_outlet(feed: Any, link: str | None) -> str | None:
    """The outlet of a feed's entries (module docstring), None when nothing names one."""
    title = _tidy(feed.get("title"))
    if title:
        for candidate in (title, *_TITLE_PARTS.split(title)):
            outlet = registry().canonical(candidate)
            if outlet:
                return outlet
    for url in (link, _tidy(feed.get("link"))):
        outlet = registry().from_url(url) if url else None
        if outlet:
            return outlet
    return title if title and len(title.split()) <= 5 else None


def _entry_body(entry: Any) -> tuple[str, str]:
    """(text, "feed-content" | "feed-summary"): the full content when the feed has it, else the summary."""
    contents = [item.get("value") or "" for item in entry.get("content") or [] if isinstance(item, dict)]
    content = max(contents, key=len, default="")
    summary = entry.get("summary") or ""
    if content and len(content) >= len(summary):
        return fragment_text(content), "feed-content"
    return fragment_text(summary), "feed-summary"


def parse_feed(data: bytes) -> Any:
    """feedparser's result for DATA (always bytes through a stream: given a str, feedparser would open it as a URL
    or a file name)."""
    return feedparser.parse(io.BytesIO(data), sanitize_html=True, resolve_relative_uris=True)


def is_feed(parsed: Any) -> bool:
    return bool(parsed.get("version")) or bool(parsed.entries)


def feed_records(data: bytes, where: str, report: IngestReport, options: ReadOptions) -> Iterator[RawRecord]:
    """One RawRecord per entry of the feed DATA read from WHERE (a path or a URL)."""
    parsed = parse_feed(data)
    if not is_feed(parsed):
        report.read += 1
        problem = parsed.get("bozo_exception")
        detail = f": {' '.join(str(problem).split())}" if problem else ""
        report.skipped.append(Skipped(where, f"not a feed: no RSS or Atom entries{detail}"))
        return
    language = _tidy(parsed.feed.get("language"))
    for number, entry in enumerate(parsed.entries, start=1):
        report.read += 1
        link = _tidy(entry.get("link"))
        body, body_from = _entry_body(entry)
        entry_source = entry.get("source") or {}
        outlet = registry().canonical(_tidy(entry_source.get("title")) or "") or feed_outlet(parsed.feed, link)
        title = _tidy(entry.get("title"))
        date = entry_date(entry)
        author = _tidy(entry.get("author"))
        provenance = {"body": body_from}
        provenance.update({key: "feed" for key, value in (("title", title), ("url", link), ("date", date),
                                                           ("source", outlet), ("author", author),
                                                           ("language", language)) if value})
        yield RawRecord(origin=f"{where}:#{number}", body=body, title=title, url=link, date=date, source=outlet,
                        author=author, language=language.split("-")[0].lower() if language else None,
                        provenance=provenance, arabic_only=not options.any_language)


def read_feed_file(path: Path, report: IngestReport, options: ReadOptions) -> Iterator[RawRecord]:
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_FEED_BYTES + 1)
    except OSError as error:
        report.read += 1
        report.skipped.append(Skipped(str(path), f"unreadable file: {error.strerror or error}"))
        return
    if len(data) > MAX_FEED_BYTES:
        report.read += 1
        report.skipped.append(Skipped(str(path), f"too large: a feed over {MAX_FEED_BYTES // (1024 * 1024)} MB"))
        return
    yield from feed_records(data, str(path), report, options)
