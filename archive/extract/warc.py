"""Web archives: WARC (`.warc`, `.warc.gz`) and ARC (`.arc`, `.arc.gz`) files, as Heritrix, Browsertrix, wget
`--warc-file` and other crawlers write them, read record by record with warcio (streamed: a multi-GB file never sits
in memory; one page's payload at a time, and at most MAX_PAGE_BYTES of it).

Every `response` (or `resource`) record with an HTML payload and status 200 becomes a RawRecord carrying the HTML,
its target URI, the capture date and the charset the HTTP headers declare; build_article reads the page
(archive/extract/web.py). Records that are no candidate article (`warcinfo`, `request`, `metadata`, `conversion`)
are not counted. Counted and skipped with a reason: revisits (no payload of their own), non-200 responses, non-HTML
payloads. Counted as duplicates: a capture of a URL already met in the file, or a payload whose digest was already
met (the same page under two URLs). The origin of a record is `FILE:@OFFSET`, the record's byte offset in the file
(`warcio extract FILE OFFSET` prints it; for a file gzipped whole, the offset in the decompressed data).
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from archive.article import normalize_url
from archive.extract.records import RawRecord, ReadOptions
from archive.extract.report import IngestReport, Skipped
from archive.extract.web import MAX_PAGE_BYTES, looks_like_html

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
_CANDIDATE_TYPES = ("response", "resource", "revisit")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _seen(seen: set[bytes], data: bytes) -> bool:
    """True when DATA was met before; remembers it (12-byte digests: a million captures cost ~60 MB at most)."""
    key = hashlib.blake2b(data, digest_size=12).digest()
    if key in seen:
        return True
    seen.add(key)
    return False


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    """("text/html", "windows-1256") from "text/html; charset=windows-1256"."""
    if not content_type:
        return "", None
    kind, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    return kind.strip().lower(), charset


class DamagedArchive(Exception):
    """The archive cannot be read further; the message is the one-line reason."""


# what warcio raises on a truncated or damaged file: its own error, or whatever its parser meets (a header line cut in
# the middle leaves a record without a target URI, which it then calls .startswith on)
_WARCIO_ERRORS = (ArchiveLoadFailed, OSError, EOFError, zlib.error, ValueError, AttributeError, KeyError, IndexError,
                  TypeError)


def _one_line(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return " ".join(str(error).split()) or type(error).__name__


def _next(records: Iterator[ArcWarcRecord]) -> ArcWarcRecord | None:
    try:
        return next(records)
    except StopIteration:
        return None
    except ArchiveLoadFailed as error:
        if "non-chunked gzip" in str(error):
            raise
        raise DamagedArchive(_one_line(error)) from None
    except _WARCIO_ERRORS as error:
        raise DamagedArchive(f"damaged record ({_one_line(error)})") from None


def _check_signature(path: Path) -> None:
    """DamagedArchive unless PATH starts (after gzip) like a WARC ("WARC/1.0") or an ARC ("filedesc://"): warcio
    reads any text as an ARC record of some kind, and a file that is no archive must be reported, not pass empty."""
    with open(path, "rb") as stream:
        head = stream.read(2)
        stream.seek(0)
        try:
            start = gzip.GzipFile(fileobj=stream).read(16) if head == b"\x1f\x8b" else stream.read(16)
        except (OSError, EOFError, zlib.error) as error:
            raise DamagedArchive(f"damaged gzip ({_one_line(error)})") from None
    if not start.lstrip().startswith((b"WARC/", b"filedesc:")):
        raise DamagedArchive(f"not a WARC or ARC file (it starts with {start[:12]!r})")


def _records(path: Path) -> Iterator[tuple[int, ArcWarcRecord]]:
    """(offset, record) for every record of PATH. Crawlers gzip each record on its own; a file gzipped whole
    (`gzip crawl.warc`) is read again through one decompressing stream, skipping the records already given, its
    offsets then counted in the decompressed data. DamagedArchive where the file cannot be read further."""
    _check_signature(path)
    given = 0
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream, arc2warc=True)
        iterator = iter(records)
        try:
            while (record := _next(iterator)) is not None:
                given += 1
                # where this record starts (get_record_offset() would read the record to its end, payload and all)
                yield records.offset, record
            return
        except ArchiveLoadFailed:
            pass  # gzipped whole: read below
    with gzip.open(path, "rb") as stream:
        records = ArchiveIterator(stream, arc2warc=True)
        iterator = iter(records)
        number = 0
        while (record := _next(iterator)) is not None:
            number += 1
            if number > given:
                yield records.offset, record


def _payload(record: ArcWarcRecord) -> bytes:
    try:
        return record.content_stream().read(MAX_PAGE_BYTES + 1)
    except _WARCIO_ERRORS as error:
        raise DamagedArchive(f"damaged payload ({_one_line(error)})") from None


def read_warc(path: Path, report: IngestReport, options: ReadOptions) -> Iterator[RawRecord]:
    """The HTML pages captured in the WARC/ARC file PATH, in file order (module docstring)."""
    urls: set[bytes] = set()
    digests: set[bytes] = set()
    offset = 0
    try:
        for offset, record in _records(path):
            kind = record.rec_type
            if kind not in _CANDIDATE_TYPES:
                continue
            origin = f"{path}:@{offset}"
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            report.read += 1
            if kind == "revisit":
                report.skipped.append(Skipped(origin, f"revisit: no payload of its own, a re-capture of {uri}"))
                continue
            if record.http_headers is not None and kind == "response":
                status = record.http_headers.get_statuscode() or "?"
                if status != "200":
                    location = record.http_headers.get_header("Location")
                    moved = f" (to {location})" if location and status.startswith("3") else ""
                    report.skipped.append(Skipped(origin, f"HTTP status: {status} for {uri}{moved}"))
                    continue
                content_type = record.http_headers.get_header("Content-Type")
            else:
                content_type = record.rec_headers.get_header("Content-Type")
            media_type, charset = _media_type(content_type)
            # an image or a video is skipped unread; an undeclared type is sniffed
            sniff = media_type in ("", "text/plain", "application/octet-stream")
            payload = _payload(record) if media_type in _HTML_TYPES or sniff else b""
            if media_type not in _HTML_TYPES and not (sniff and looks_like_html(payload)):
                report.skipped.append(Skipped(origin, f"not HTML: {media_type or 'no content type'} for {uri}"))
                continue
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            url_seen = bool(uri) and _seen(urls, normalize_url(uri).encode("utf-8", "surrogatepass"))
            if url_seen or _seen(digests, digest.encode("ascii", "replace") if digest else payload):
                report.duplicates += 1
                continue
            captured = record.rec_headers.get_header("WARC-Date")
            yield RawRecord(origin=origin, body="", url=uri or None, html=payload, charset=charset,
                            captured=captured, provenance={"url": "warc"} if uri else {},
                            arabic_only=not options.any_language)
    except (DamagedArchive, OSError, zlib.error, EOFError) as error:
        report.read += 1
        report.skipped.append(Skipped(f"{path}:@{offset}", f"unreadable archive: {_one_line(error)}"))


def _is_html_page(record: ArcWarcRecord) -> bool:
    if record.rec_type not in ("response", "resource"):
        return False
    http = record.http_headers
    if http is not None and http.get_statuscode() != "200":
        return False
    content_type = http.get_header("Content-Type") if http is not None else record.rec_headers.get_header(
        "Content-Type")
    return _media_type(content_type)[0] in _HTML_TYPES


def estimate_warc_pages(path: Path, sample: int = 400) -> int:
    """The number of 200 HTML responses in PATH, extrapolated from its first SAMPLE records by byte offset (exact for
    a file of fewer records): the progress bar's ETA must not read a multi-GB archive twice."""
    size = path.stat().st_size
    pages = 0
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream, arc2warc=True)
        try:
            for seen, record in enumerate(records, start=1):
                pages += _is_html_page(record)
                if seen >= sample:
                    reached = records.get_record_offset() or 0
                    return round(pages * size / reached) if reached else pages
        except _WARCIO_ERRORS:
            pass  # the reader reports the damage; the estimate counts what it saw
    return pages
