"""The one record type that flows from the readers to the index."""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from archive.text.normalize import normalize


@dataclass(slots=True)
class Article:
    id: str
    title: str
    body: str
    source: str | None = None
    published: datetime.date | None = None
    url: str | None = None
    persons: list[str] = field(default_factory=list)
    # canonical place and organization names (archive/extract/entities.py), in order of first mention
    places: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    # metadata facets: the record's extra short scalar fields by facet name (archive/extract/metadata.py)
    metadata: dict[str, str] = field(default_factory=dict)
    # provenance: the file it came from, with ":LINE" for a record of a JSONL or CSV file
    origin: str = ""
    # page furniture that cleaning took out of the body (reported by `inspect`, never indexed)
    removed_lines: list[str] = field(default_factory=list)
    # content_key(title, body) when extraction already computed it (saves deduplication a second normalize); with
    # the paragraphs learned as boilerplate put back, so an article's identity never depends on the archive
    content: str | None = field(default=None, repr=False, compare=False)
    # where each field came from ("given", "text", "url", "json-ld", "open-graph", "htmldate", "feed", "warc", ...):
    # reported by `inspect`, never indexed
    provenance: dict[str, str] = field(default_factory=dict, compare=False)
    # web input only (not indexed): the language the page declares, its byline, when a crawler captured it
    language: str | None = field(default=None, compare=False)
    author: str | None = field(default=None, compare=False)
    captured: str | None = field(default=None, compare=False)

    @property
    def date_iso(self) -> str | None:
        return self.published.isoformat() if self.published else None


_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_TRACKING_PARAM = re.compile(r"^(utm_[a-z]+|fbclid|gclid|ref|source)$", re.IGNORECASE)


def normalize_url(url: str) -> str:
    """A URL reduced to what identifies the page: no scheme, www., fragment, tracking parameters or
    trailing slash; host lower-cased. Two crawls of the same page give the same string."""
    url = url.strip()
    if not _SCHEME.match(url):
        url = "http://" + url
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = unquote(parts.path).rstrip("/")
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAM.match(k))
    )
    return host + path + (("?" + query) if query else "")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def content_key(title: str, body: str) -> str:
    """Normalized title+body: the same story re-encoded, re-spaced or re-vowelled gives the same key."""
    return " ".join(normalize(title + "\n" + body).split())


def derive_article_id(given_id: str | None, url: str | None, title: str, body: str, content: str | None = None) -> str:
    """Given id; else a stable hash of the normalized URL; else of the normalized title+body
    (CONTENT: content_key(title, body) when the caller already has it)."""
    if given_id is not None and str(given_id).strip():
        return str(given_id).strip()
    if url and url.strip():
        return "u" + _digest(normalize_url(url))
    return "c" + _digest(content if content is not None else content_key(title, body))


def _identity_digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).digest()


def identity_keys(article: Article) -> tuple[str, bytes | None, bytes]:
    """What deduplication compares: the id, a digest of the normalized URL (None without one) and of the
    normalized title+body."""
    url = _identity_digest(normalize_url(article.url)) if article.url else None
    content = _identity_digest(article.content if article.content is not None
                               else content_key(article.title, article.body))
    return article.id, url, content


class Deduplicator:
    """The same article met twice: same id, same normalized URL, or same normalized title+body."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._urls: set[bytes] = set()
        self._contents: set[bytes] = set()

    def is_duplicate(self, article: Article) -> bool:
        """True when an article with the same identity was seen before; otherwise remembers this one."""
        return self.seen(identity_keys(article))

    def seen(self, keys: tuple[str, bytes | None, bytes]) -> bool:
        """is_duplicate of an article by its identity_keys (a cluster build ships the keys, not the articles)."""
        article_id, url, content = keys
        if article_id in self._ids or (url is not None and url in self._urls) or content in self._contents:
            return True
        self._ids.add(article_id)
        if url is not None:
            self._urls.add(url)
        self._contents.add(content)
        return False
