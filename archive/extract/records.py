"""The records the readers produce, and the decoding of text files they share.

`RawRecord` is what a reader found, before extraction (archive/extract/builder.py makes the Article);
`decode_bytes` decides the encoding of a text file (UTF-8, UTF-16, Windows-1256) or refuses it.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from charset_normalizer import from_bytes

from archive.text.charsets import ARABIC_LETTER_RANGE


@dataclass(slots=True)
class RawRecord:
    """What a reader found, before extraction. Fields given by the input win over extraction."""

    origin: str  # path, with ":LINE" for a JSONL/CSV record
    body: str
    id: str | None = None
    title: str | None = None
    source: str | None = None
    date: str | None = None
    url: str | None = None
    persons: list[str] | None = None
    places: list[str] | None = None
    organizations: list[str] | None = None
    # extra short scalar fields of the record by facet name (category -> section): metadata facets
    metadata: dict[str, str] | None = None
    # Web input (archive/extract/web.py, warc.py, feeds.py). A page whose HTML is still to be read carries it here:
    # the main-text extractor is slow, so it runs in build_article, in the extraction worker processes.
    html: bytes | None = None
    charset: str | None = None  # the charset an HTTP response declared for `html`
    # where each given field came from ("json-ld", "open-graph", "feed", "warc", ...): shown by `inspect`
    provenance: dict[str, str] | None = None
    language: str | None = None  # the language the page or feed declares (primary subtag: "ar", "en")
    author: str | None = None
    captured: str | None = None  # when a crawler captured the page (WARC-Date, fetch time), ISO 8601
    arabic_only: bool = False  # web input: a record whose text is not Arabic is skipped (unless asked otherwise)


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How the readers treat what they find (the command line's options)."""

    # index web pages and feed entries whose text is not Arabic instead of skipping them
    any_language: bool = False
    # add FEED_URL: True for an article id already in the archive, whose page is then not fetched again
    known_id: Callable[[str], bool] | None = None
    # the polite HTTP client for feed URLs (archive/extract/fetch.py); None: the default one
    fetcher: Any = None


class RecordError(ValueError):
    """A record's content is unusable; the message is the one-line reason."""


# ---------------------------------------------------------------- decoding

_ARABIC_LETTER = re.compile(f"[{ARABIC_LETTER_RANGE}]")
_LETTER = re.compile(r"[^\W\d_]")


def arabic_share(text: str) -> float:
    """The share of letters in TEXT that are Arabic (0.0 when it has no letters)."""
    letters = len(_LETTER.findall(text))
    return len(_ARABIC_LETTER.findall(text)) / letters if letters else 0.0


def _looks_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: Arabic (U+06xx) or ASCII text puts a regular byte on every other position."""
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:4000]
    even, odd = sample[0::2], sample[1::2]
    for codec, high in (("utf-16-le", odd), ("utf-16-be", even)):
        share = (high.count(0) + high.count(6)) / len(high)
        if share > 0.9:
            return codec
    return None


def decode_bytes(data: bytes) -> str:
    """Text from bytes in UTF-8 (with or without BOM), UTF-16 (BOM or detected) or Windows-1256 (detected).

    Raises RecordError when the encoding cannot be decided: a wrong guess would index mojibake silently.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    # before UTF-8: Arabic in UTF-16 without a BOM is all ASCII-range bytes (0x06 0x48 ...), so valid UTF-8 garbage
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # a stray broken byte in UTF-8 text (a cut download, one bad sector) is still UTF-8: replace it, do not
    # re-read the whole file as another encoding
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") <= max(3, len(data) // 2000) and arabic_share(text) >= 0.3:
        return text
    return _decode_legacy(data)


def _decode_legacy(data: bytes) -> str:
    """Windows-1256 when the bytes read as Arabic text in it, confirmed by charset-normalizer; else refuse."""
    try:
        text = data.decode("cp1256")
    except UnicodeDecodeError:
        text = ""
    if text and arabic_share(text) >= 0.6:
        return text
    best = from_bytes(data).best()
    guess = best.encoding if best is not None else "unknown"
    raise RecordError(f"undecidable encoding: not UTF-8, UTF-16 or Arabic Windows-1256 (best guess {guess})")
