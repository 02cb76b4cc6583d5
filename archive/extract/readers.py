"""Readers: files on disk in, `RawRecord`s out, before any extraction.

Formats (../shared/DESIGN.md, "Input formats"): `.txt` (one article, optional sidecar `NAME.json`), `.jsonl`,
`.jsonl.gz`, `.csv` with a header, and directories of these, recursively. From the web (issue 13): saved pages
(`.html`, `.htm`, gzipped too: archive/extract/web.py), WARC/ARC archives (archive/extract/warc.py), RSS/Atom feeds
(`.rss`, `.atom`, `.xml`: archive/extract/feeds.py) and feed URLs (archive/extract/fetch.py).

Every record met is counted in `report.read`; a record that cannot be read (unreadable file, undecidable
encoding, invalid JSON, wrong field types, no body) is recorded in `report.skipped` with its origin and a
one-line reason, and every other record is still read.
"""

from __future__ import annotations

import codecs
import csv
import functools
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from archive.extract.cleaning import sanitize_text
from archive.extract.feeds import FEED_SUFFIXES, read_feed_file
from archive.extract.fetch import is_url, read_feed_url
from archive.extract.metadata import metadata_of
from archive.extract.records import RawRecord, ReadOptions, RecordError, decode_bytes
from archive.extract.report import IngestReport, Skipped
from archive.extract.warc import WARC_SUFFIXES, estimate_warc_pages, read_warc
from archive.extract.web import PAGE_SUFFIXES, read_html_file

__all__ = ["ARTICLE_SUFFIXES", "RawRecord", "ReadOptions", "RecordError", "decode_bytes", "estimate_records",
           "iter_raw_records", "record_from_mapping"]

ARTICLE_SUFFIXES = (".txt", ".jsonl", ".jsonl.gz", ".csv", *PAGE_SUFFIXES, *WARC_SUFFIXES, *FEED_SUFFIXES)
UNSUPPORTED = ("unsupported file: not .txt, .jsonl(.gz), .csv, .html/.htm(.gz), .warc(.gz), .arc(.gz), "
               ".rss, .atom or a feed .xml")
BODY_FIELDS = ("body", "text")
STRING_FIELDS = ("title", "source", "date", "url")


# ---------------------------------------------------------------- records from mappings


def _as_persons(value: object, field: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        parts = re.split(r"[;|،,]", value)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        parts = value
    else:
        raise RecordError(f"wrong type: '{field}' must be a list of strings, got {type(value).__name__}")
    names = [" ".join(sanitize_text(part).split()) for part in parts]
    return [name for name in names if name]


def record_from_mapping(origin: str, mapping: object, *, require_body: bool = True) -> RawRecord:
    """A RawRecord from a JSON object or CSV row; empty strings count as missing."""
    if not isinstance(mapping, dict):
        raise RecordError(f"wrong type: expected a JSON object, got {type(mapping).__name__}")
    body: object = None
    for name in BODY_FIELDS:
        if mapping.get(name) not in (None, ""):
            body = mapping[name]
            break
    if body is None and require_body:
        raise RecordError("missing body: no 'body' or 'text' field")
    if body is not None and not isinstance(body, str):
        raise RecordError(f"wrong type: 'body' must be a string, got {type(body).__name__}")
    fields: dict[str, str | None] = {}
    for name in STRING_FIELDS:
        value = mapping.get(name)
        if value is not None and not isinstance(value, str):
            raise RecordError(f"wrong type: '{name}' must be a string, got {type(value).__name__}")
        value = " ".join(sanitize_text(value).split()) if value else None
        fields[name] = value or None
    given_id = mapping.get("id")
    if (given_id is not None and not isinstance(given_id, str | int)) or isinstance(given_id, bool):
        raise RecordError(f"wrong type: 'id' must be a string or number, got {type(given_id).__name__}")
    given_id = str(given_id).strip() if given_id is not None else None
    return RawRecord(
        origin=origin, body=sanitize_text(body) if isinstance(body, str) else "", id=given_id or None,
        persons=_as_persons(mapping.get("persons"), "persons"), places=_as_persons(mapping.get("places"), "places"),
        organizations=_as_persons(mapping.get("organizations"), "organizations"),
        title=fields["title"], source=fields["source"],
        date=fields["date"], url=fields["url"],
        metadata={name: sanitize_text(value) for name, value in metadata_of(mapping).items()} or None,
    )


# ---------------------------------------------------------------- per format


def _read_txt(path: Path, report: IngestReport, options: ReadOptions) -> Iterator[RawRecord]:
    origin = str(path)
    report.read += 1
    try:
        text = decode_bytes(path.read_bytes())
    except OSError as error:
        report.skipped.append(Skipped(origin, f"unreadable file: {error.strerror or error}"))
        return
    except RecordError as error:
        report.skipped.append(Skipped(origin, str(error)))
        return
    record = RawRecord(origin=origin, body=sanitize_text(text))
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        try:
            given = json.loads(decode_bytes(sidecar.read_bytes()))
            meta = record_from_mapping(origin, given, require_body=False)
        except (OSError, RecordError, json.JSONDecodeError) as error:
            report.skipped.append(Skipped(origin, f"invalid sidecar {sidecar.name}: {_one_line(error)}"))
            return
        record.id, record.title, record.source = meta.id, meta.title, meta.source
        record.date, record.url, record.persons = meta.date, meta.url, meta.persons
        record.places, record.organizations = meta.places, meta.organizations
        record.metadata = meta.metadata
    yield record


def _one_line(error: Exception) -> str:
    if isinstance(error, OSError):
        return error.strerror or str(error)
    return " ".join(str(error).split())


def _read_jsonl(path: Path, report: IngestReport, options: ReadOptions) -> Iterator[RawRecord]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    line_number = 0
    try:
        with opener(path, "rb") as stream:
            for line_number, raw_line in enumerate(stream, start=1):
                if line_number == 1 and raw_line.startswith(codecs.BOM_UTF8):
                    raw_line = raw_line[3:]
                if not raw_line.strip():
                    continue
                origin = f"{path}:{line_number}"
                report.read += 1
                try:
                    text = raw_line.decode("utf-8")
                except UnicodeDecodeError as error:
                    report.skipped.append(Skipped(origin, f"undecodable line: not UTF-8 at byte {error.start}"))
                    continue
                try:
                    yield record_from_mapping(origin, json.loads(text))
                except json.JSONDecodeError as error:
                    report.skipped.append(Skipped(origin, f"invalid JSON: {error.msg} at column {error.colno}"))
                except RecordError as error:
                    report.skipped.append(Skipped(origin, str(error)))
    except (OSError, EOFError, zlib.error) as error:
        where = f"{path}:{line_number + 1}" if line_number else str(path)
        report.read += 1
        report.skipped.append(Skipped(where, f"unreadable file: {_one_line(error)}"))


def _read_csv(path: Path, report: IngestReport, options: ReadOptions) -> Iterator[RawRecord]:
    try:
        text = decode_bytes(path.read_bytes())
    except (OSError, RecordError) as error:
        report.read += 1
        reason = str(error) if isinstance(error, RecordError) else f"unreadable file: {_one_line(error)}"
        report.skipped.append(Skipped(str(path), reason))
        return
    csv.field_size_limit(sys.maxsize)
    # newline="" semantics: the csv module handles quoted newlines itself; CR/CRLF are left for it
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    if not any(name in header for name in BODY_FIELDS):
        report.read += 1
        report.skipped.append(Skipped(str(path), "missing body: the CSV header has no 'body' or 'text' column"))
        return
    reader.fieldnames = header
    start_line = 2
    try:
        for row in reader:
            origin = f"{path}:{start_line}"
            start_line = reader.line_num + 1
            report.read += 1
            if None in row:
                report.skipped.append(Skipped(origin, "wrong type: more cells than header columns"))
                continue
            try:
                yield record_from_mapping(origin, {k: v for k, v in row.items() if v is not None})
            except RecordError as error:
                report.skipped.append(Skipped(origin, str(error)))
    except csv.Error as error:
        report.read += 1
        report.skipped.append(Skipped(f"{path}:{start_line}", f"invalid CSV: {_one_line(error)}"))


Reader = Callable[[Path, IngestReport, ReadOptions], Iterator[RawRecord]]


def _reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    if name.endswith(".txt"):
        return _read_txt
    if name.endswith((".jsonl", ".jsonl.gz")):
        return _read_jsonl
    if name.endswith(".csv"):
        return _read_csv
    if name.endswith(PAGE_SUFFIXES):
        return read_html_file
    if name.endswith(WARC_SUFFIXES):
        return read_warc
    if name.endswith(FEED_SUFFIXES):
        return read_feed_file
    return None


def _is_sidecar(path: Path) -> bool:
    return path.suffix.lower() == ".json" and path.with_suffix(".txt").is_file()


def _files_under(directory: Path) -> Iterator[Path]:
    """Files under a directory in a stable order, hidden files and folders left out."""
    for path in sorted(directory.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(directory).parts):
            continue
        if path.is_file():
            yield path


def iter_raw_records(paths: Sequence[str | Path], report: IngestReport,
                     options: ReadOptions | None = None) -> Iterator[RawRecord]:
    """Every record in PATHS (files, directories, feed URLs), in order; what cannot be read goes to report.skipped."""
    options = options or ReadOptions()
    for given in paths:
        if isinstance(given, str) and is_url(given):
            yield from read_feed_url(given, report, options)
            continue
        path = Path(given)
        if path.is_dir():
            files: Iterable[Path] = (file for file in _files_under(path) if not _is_sidecar(file))
        elif path.is_file():
            files = (path,)
        else:
            report.read += 1
            report.skipped.append(Skipped(str(path), "unreadable file: no such file or directory"))
            continue
        for file in files:
            reader = _reader_for(file)
            if reader is None:
                report.read += 1
                report.skipped.append(Skipped(str(file), UNSUPPORTED))
                continue
            yield from reader(file, report, options)


def estimate_records(paths: Sequence[str | Path]) -> int | None:
    """A quick count of the records in PATHS for the progress bar's ETA (lines of JSONL/CSV, one per .txt or saved
    page, entries of a feed, a WARC's pages extrapolated from its first records); None when it cannot be told
    cheaply. Only an estimate: the readers decide what a record is."""
    total = 0
    try:
        for given in paths:
            if isinstance(given, str) and is_url(given):
                continue
            path = Path(given)
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for file in files:
                name = file.name.lower()
                if name.endswith((".txt", *PAGE_SUFFIXES)):
                    total += 1
                elif name.endswith((".jsonl", ".csv")):
                    with open(file, "rb") as stream:
                        total += sum(chunk.count(b"\n") for chunk in iter(functools.partial(stream.read, 1 << 20), b""))
                    total -= 1 if name.endswith(".csv") else 0
                elif name.endswith(".jsonl.gz"):
                    with gzip.open(file, "rb") as stream:
                        total += sum(chunk.count(b"\n") for chunk in iter(functools.partial(stream.read, 1 << 20), b""))
                elif name.endswith(WARC_SUFFIXES):
                    total += estimate_warc_pages(file)
                elif name.endswith(FEED_SUFFIXES) and file.stat().st_size <= 64 * 1024 * 1024:
                    data = file.read_bytes()
                    total += data.count(b"<item") + data.count(b"<entry")
    except (OSError, EOFError, ValueError):
        return None
    return total or None
