"""News pages from the web: a saved or captured HTML page becomes the fields of a RawRecord.

The page's own metadata wins over text extraction, field by field, and each field records where it came from
(`RawRecord.provenance`, shown by `inspect`):

- title: JSON-LD `NewsArticle`/`Article` headline ("json-ld"), else `og:title` ("open-graph"), else `<title>` without
  the outlet's name ("html-title"); else the builder takes it from the text.
- publication date: JSON-LD `datePublished`, else `article:published_time`; else htmldate over the page's markup
  (meta tags, `<time>`, the URL: "htmldate", never later than the capture date); else the builder's dateline
  extraction from the text. htmldate's "extensive search" of free text is left out: it takes any date in the story.
- outlet: the first of `og:site_name`, JSON-LD publisher and the URL's domain that the outlet registry
  (archive/data/outlets.json) knows; else the site name as the page gives it; else the builder's credit detection.
- URL: `<link rel=canonical>`, else `og:url`, else JSON-LD `url`, else the URL it was captured or fetched from, else
  the "saved from" comment a browser or SingleFile writes into a saved page. A canonical link to a site's home page is
  ignored (a broken CMS gives every article the same one, which would merge them all into one).
- language: `<html lang>`, JSON-LD `inLanguage`, `og:locale` (declared); whether the text is Arabic is decided on the
  extracted text itself (the builder skips non-Arabic records unless asked).
- main text: trafilatura (comments, navigation, teasers and footers left out), then the product's own cleaning.

`read_page` is pure and picklable, so it runs in the extraction worker processes (trafilatura is the slow part).
"""

from __future__ import annotations

import codecs
import datetime
import gzip
import html
import json
import re
import zlib
from collections.abc import Iterator
from configparser import ConfigParser
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import htmldate
import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import use_config

from archive.extract.cleaning import sanitize_text
from archive.extract.dates import parse_date
from archive.extract.records import RawRecord, ReadOptions, RecordError, arabic_share, decode_bytes
from archive.extract.report import IngestReport, Skipped
from archive.extract.sources import canonical_source, name_key, registry

PAGE_SUFFIXES = (".html", ".htm", ".xhtml", ".html.gz", ".htm.gz")
# A news page is rarely over 2 MB of HTML; past this it is a dump or an attack, and parsing it would take seconds.
MAX_PAGE_BYTES = 16 * 1024 * 1024

# schema.org types whose object is the story itself (NewsArticle's subtypes first: a page may also describe itself
# as a WebPage or carry a BreadcrumbList)
_NEWS_TYPES = ("newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
               "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle")
_ARTICLE_TYPES = ("article", "blogposting", "liveblogposting", "report", "socialmediaposting")
_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:«»]+\s+|\s*::\s*|\s+[|｜]\s*")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# "<!-- saved from url=(0077)https://... -->" (Chrome, Internet Explorer), "url: https://..." (SingleFile)
_SAVED_FROM = re.compile(r"<!--\s*(?:saved from url=\(\d+\)|[\s\S]{0,200}?\burl:\s*)(https?://[^\s>]+)", re.IGNORECASE)
_CHARSET_ALIASES = {"windows-1256": "cp1256", "x-cp1256": "cp1256", "iso-8859-6": "iso8859_6"}


@dataclass(slots=True)
class PageFacts:
    """What a page says about itself, each value with where it came from."""

    title: str | None = None
    date: str | None = None
    source: str | None = None
    url: str | None = None
    author: str | None = None
    language: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, value: str | None, origin: str) -> bool:
        """Sets field NAME unless already set; True when VALUE was taken."""
        if value and getattr(self, name) is None:
            setattr(self, name, value)
            self.provenance[name] = origin
            return True
        return False


# ---------------------------------------------------------------- decoding and parsing


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_page(data: bytes, declared: str | None = None) -> str:
    """The text of an HTML page: a BOM, else the charset the HTTP response declared, else the page's own
    `<meta charset>`, else the product's detection (UTF-8, UTF-16, Windows-1256). RecordError when undecidable."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode_bytes(data)
    for candidate in (declared, *(m.group(1).decode("ascii", "replace") for m in _META_CHARSET.finditer(data[:4096]))):
        codec = _codec(candidate)
        if codec is None:
            continue
        if codec == "utf-8":
            break  # declared UTF-8 is often wrong on old Arabic sites: let detection confirm it or find cp1256
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue  # a wrong declaration: fall through to detection
    try:
        return decode_bytes(data)
    except RecordError:
        # the detection judges the share of Arabic letters, which markup's Latin tag names dilute on a short page
        text = data.decode("cp1256", errors="replace")
        if "\ufffd" not in text and arabic_share(_TAG.sub(" ", text)) >= 0.6:
            return text
        raise


def parse_html(text: str) -> lxml.html.HtmlElement:
    """The page's element tree (lxml refuses str input that still carries an XML encoding declaration)."""
    text = _XML_DECLARATION.sub("", text, count=1)
    try:
        tree = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError) as error:
        raise RecordError(f"not HTML: {' '.join(str(error).split()) or 'empty document'}") from None
    return tree


# ---------------------------------------------------------------- metadata


def _clean(value: object) -> str | None:
    """A metadata value as one tidy line: HTML entities and tags out, whitespace collapsed."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, str) and item.strip()), None)
    if not isinstance(value, str):
        return None
    value = html.unescape(re.sub(r"<[^>]{0,200}>", " ", value))
    value = " ".join(sanitize_text(value).split())
    return value or None


def _types(item: dict[str, Any]) -> list[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return [k.rsplit("/", 1)[-1].lower() for k in kinds if isinstance(k, str)]


def _json_ld_objects(tree: lxml.html.HtmlElement) -> Iterator[dict[str, Any]]:
    for script in tree.xpath("//script[translate(@type, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
                             "'abcdefghijklmnopqrstuvwxyz')='application/ld+json']"):
        text = (script.text or "").strip()
        text = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$", "", text)
        if not text:
            continue
        try:
            data = json.loads(text, strict=False)  # strict=False: raw newlines inside strings are common
        except ValueError:
            continue  # one broken block does not hide the page's other metadata
        stack: list[tuple[Any, int]] = [(data, 0)]
        while stack:
            value, depth = stack.pop(0)
            if depth > 6:
                continue
            if isinstance(value, list):
                stack.extend((item, depth + 1) for item in value)
            elif isinstance(value, dict):
                yield value
                for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement"):
                    if isinstance(value.get(key), dict | list):
                        stack.append((value[key], depth + 1))


def _story_object(tree: lxml.html.HtmlElement) -> dict[str, Any] | None:
    """The JSON-LD object describing the story: a NewsArticle (or subtype) first, else an Article."""
    fallback = None
    for item in _json_ld_objects(tree):
        kinds = _types(item)
        if any(kind in _NEWS_TYPES for kind in kinds):
            return item
        if fallback is None and any(kind in _ARTICLE_TYPES for kind in kinds):
            fallback = item
    return fallback


def _names(value: object) -> list[str]:
    """Names of a schema.org Person/Organization value: a string, an object with `name`, or a list of them."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = _clean(item.get("name")) if isinstance(item, dict) else _clean(item)
        if name and name not in names:
            names.append(name)
    return names


def _meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """`<meta property|name|itemprop=... content=...>` by lower-cased key; the first of each key wins."""
    found: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = element.get("content")
        if not content:
            continue
        for attribute in ("property", "name", "itemprop"):
            key = (element.get(attribute) or "").strip().lower()
            if key and key not in found:
                found[key] = content
    return found


def _language_tag(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("alternateName") or value.get("name")
    if not isinstance(value, str) or not value.strip():
        return None
    return re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0] or None


def _absolute(url: str | None, base: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


def _is_home_page(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path.strip("/") in ("", "index.html", "index.php", "ar", "arabic") and not parts.query


def _outlet_of(name: str | None) -> str | None:
    return registry().canonical(name) if name else None


def _strip_site_name(title: str, site_names: list[str]) -> str:
    """"<headline> | سكاي نيوز عربية" -> "<headline>": an end of <title> that is the outlet's name goes."""
    pieces = _TITLE_SEPARATORS.split(title)
    if len(pieces) < 2:
        return title
    keys = {name_key(name) for name in site_names if name}

    def is_site(piece: str) -> bool:
        return bool(piece.strip()) and (name_key(piece) in keys or registry().canonical(piece.strip()) is not None)

    if is_site(pieces[-1]):
        return title[: title.rfind(pieces[-1])].rstrip(" |｜-–—:«»").strip() or title
    if is_site(pieces[0]):
        return title[len(pieces[0]):].lstrip(" |｜-–—:«»").strip() or title
    return title


def page_facts(tree: lxml.html.HtmlElement, page_text: str, base_url: str | None,
               captured: str | None = None, base_url_from: str = "captured") -> PageFacts:
    """Title, date, outlet, URL, author and declared language from the page's own markup (module docstring)."""
    facts = PageFacts()
    meta = _meta(tree)
    story = _story_object(tree) or {}

    # URL first: it resolves relative links and names the domain
    for link in tree.xpath("//link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            url = _absolute(link.get("href"), base_url)
            if url and not _is_home_page(url):
                facts.set("url", url, "canonical-link")
            break
    for value, origin in ((meta.get("og:url"), "open-graph"), (story.get("url"), "json-ld")):
        url = _absolute(value if isinstance(value, str) else None, base_url)
        if url and not _is_home_page(url):
            facts.set("url", url, origin)
    if base_url:
        facts.set("url", base_url, base_url_from)
    saved = _SAVED_FROM.search(page_text[:3000])
    if saved:
        facts.set("url", saved.group(1), "saved-from")

    site_name = _clean(meta.get("og:site_name"))
    publisher = next(iter(_names(story.get("publisher"))), None)

    facts.set("title", _clean(story.get("headline") or story.get("name")), "json-ld")
    facts.set("title", _clean(meta.get("og:title")), "open-graph")
    facts.set("title", _clean(meta.get("twitter:title")), "meta")
    title_element = tree.find(".//title")
    if title_element is not None and facts.title is None:
        raw_title = _clean(title_element.text_content())
        if raw_title:
            facts.set("title", _strip_site_name(raw_title, [n for n in (site_name, publisher) if n]), "html-title")

    for value, origin in ((story.get("datePublished") or story.get("dateCreated"), "json-ld"),
                          (meta.get("article:published_time"), "open-graph")):
        text = _clean(value)
        published = parse_date(text) if text else None
        if published is not None:
            facts.set("date", published.isoformat(), origin)
            break
    if facts.date is None:
        found = _markup_date(tree, facts.url, captured)
        facts.set("date", found, "htmldate")

    domain_outlet = registry().from_url(facts.url) if facts.url else None
    for name, origin in ((site_name, "open-graph"), (publisher, "json-ld")):
        outlet = _outlet_of(name)
        if outlet:
            facts.set("source", outlet, origin)
    facts.set("source", domain_outlet, "domain")
    facts.set("source", canonical_source(site_name) if site_name else None, "open-graph")
    facts.set("source", canonical_source(publisher) if publisher else None, "json-ld")

    authors = _names(story.get("author"))
    facts.set("author", "، ".join(authors) if authors else None, "json-ld")
    og_author = meta.get("article:author", "")
    facts.set("author", None if og_author.startswith("http") else _clean(og_author), "open-graph")  # often a URL
    facts.set("author", _clean(meta.get("author")), "meta")

    root = tree.getroottree().getroot()
    facts.set("language", _language_tag(root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")),
              "html-lang")
    facts.set("language", _language_tag(story.get("inLanguage")), "json-ld")
    facts.set("language", _language_tag(meta.get("og:locale")), "open-graph")
    return facts


def _markup_date(tree: lxml.html.HtmlElement, url: str | None, captured: str | None) -> str | None:
    """htmldate over the page's markup and URL, no later than the capture date (a page cannot predate itself)."""
    latest = datetime.date.today()
    if captured:
        latest = parse_date(captured) or latest
    try:
        found = htmldate.find_date(tree, url=url, extensive_search=False, original_date=True,
                                   outputformat="%Y-%m-%d", max_date=latest.isoformat())
    except (ValueError, TypeError, lxml.etree.LxmlError):
        return None
    published = parse_date(found) if found else None
    return published.isoformat() if published else None


# ---------------------------------------------------------------- main text


def _extractor_config() -> ConfigParser:
    config = use_config()
    # trafilatura treats a main text under 250 characters as a failure and falls back to the whole page's text
    # (menus, ticker, teasers); a news brief is one sentence of ~100 characters
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", str(MIN_STORY_CHARACTERS))
    return config


MIN_STORY_CHARACTERS = 60
_CONFIG = _extractor_config()


def _extract(tree: lxml.html.HtmlElement, url: str | None, tables: bool) -> str | None:
    # fast=True: trafilatura's own extraction without its fallback comparison (readability, jusText), which on
    # one-paragraph stories picked a block holding the breaking-news ticker; measured on pages built from the corpus
    return trafilatura.extract(tree, url=url, fast=True, include_comments=False, include_tables=tables,
                               include_images=False, include_links=False, deduplicate=False, config=_CONFIG) or None


def _is_layout_table(text: str) -> bool:
    """Old sites lay the whole page out in a <table>: a table row of the output repeats a paragraph of the story."""
    rows = [line for line in text.split("\n") if line.startswith("|")]
    if not rows:
        return False
    paragraphs = [line[:60] for line in text.split("\n") if not line.startswith("|") and len(line) >= 60]
    return any(paragraph in row for row in rows for paragraph in paragraphs)


def main_text(tree: lxml.html.HtmlElement, url: str | None) -> str | None:
    """The story's text, paragraphs on their own lines, without navigation, teasers, comments or footer."""
    text = _extract(tree, url, tables=True)
    if text is not None and _is_layout_table(text):
        text = _extract(tree, url, tables=False) or text  # the story without the menus and teasers around it
    return text


def _without_title(text: str, title: str | None) -> str:
    """The extractor keeps the page's <h1>: a first line that repeats the title is dropped."""
    if not title:
        return text
    first, _, rest = text.partition("\n")
    first_key, title_key = name_key(first), name_key(title)
    if first_key and (first_key == title_key or (len(first_key) > 12 and title_key.startswith(first_key))):
        return rest.lstrip("\n")
    return text


def read_page(raw: RawRecord) -> RawRecord | Skipped:
    """RAW (a record carrying `html`) with body, title, date, outlet, URL, author, language and provenance filled
    from the page; fields the record already has (from a feed, say) are kept when the page has nothing better.
    Skipped with a one-line reason when the page cannot be read or holds no main text."""
    assert raw.html is not None
    if len(raw.html) > MAX_PAGE_BYTES:
        return Skipped(raw.origin, f"too large: {len(raw.html) // (1024 * 1024)} MB of HTML "
                                   f"(limit {MAX_PAGE_BYTES // (1024 * 1024)} MB)")
    try:
        text = decode_page(raw.html, raw.charset)
        tree = parse_html(text)
    except RecordError as error:
        return Skipped(raw.origin, str(error))
    given = raw.provenance or {}
    facts = page_facts(tree, text, raw.url, raw.captured, given.get("url", "captured"))
    body = main_text(tree, facts.url)
    body_from = "trafilatura"
    if body is None and raw.body.strip():
        body, body_from = raw.body, given.get("body", "given")  # a feed entry's own text, when its page has none
    if body is None:
        return Skipped(raw.origin, "no article text: the page has no main text the extractor recognizes")
    provenance: dict[str, str] = {}
    for key in ("title", "date", "source", "url", "author", "language"):
        if getattr(facts, key):
            provenance[key] = facts.provenance[key]
        elif getattr(raw, key) and key in given:
            provenance[key] = given[key]
    provenance["body"] = body_from
    title = facts.title or raw.title
    return RawRecord(
        origin=raw.origin, body=sanitize_text(_without_title(body, title)), id=raw.id, title=title,
        source=facts.source or raw.source, date=facts.date or raw.date, url=facts.url or raw.url,
        persons=raw.persons, provenance=provenance, language=facts.language or raw.language,
        author=facts.author or raw.author, captured=raw.captured, arabic_only=raw.arabic_only,
    )


# ---------------------------------------------------------------- saved pages on disk


def read_html_file(path: Path, report: IngestReport, options: ReadOptions) -> Iterator[RawRecord]:
    """One saved page (`.html`, `.htm`, or either gzipped) as a record whose HTML build_article reads."""
    origin = str(path)
    report.read += 1
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as stream:
                data = stream.read(MAX_PAGE_BYTES + 1)
        else:
            with open(path, "rb") as stream:
                data = stream.read(MAX_PAGE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        detail = error.strerror if isinstance(error, OSError) and error.strerror else " ".join(str(error).split())
        report.skipped.append(Skipped(origin, f"unreadable file: {detail or type(error).__name__}"))
        return
    yield RawRecord(origin=origin, body="", html=data, arabic_only=not options.any_language)


def looks_like_html(data: bytes) -> bool:
    """A payload that is an HTML document whatever its declared type: a doctype or <html>/<head>/<body> early on."""
    head = data[:1024].lstrip(codecs.BOM_UTF8).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head



_BLOCK_TAGS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article",
               "figcaption", "pre", "ul", "ol", "table", "hr")


def fragment_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed entry's summary or content), one line per paragraph or block."""
    if "<" not in fragment:
        return sanitize_text(html.unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return sanitize_text(html.unescape(re.sub(r"<[^>]{0,500}>", " ", fragment)))
    for element in root.xpath("//script|//style|//noscript|//iframe|//form"):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n" + (element.tail or "")
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return sanitize_text("\n".join(line for line in lines if line))
