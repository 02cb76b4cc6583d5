"""Extraction: a RawRecord becomes an Article — cleaned body, title, publication date, outlet and people.

`build_article` is pure and picklable (module-level, no open handles), so it runs unchanged in worker
processes. Fields the input gives win over extraction; missing ones are extracted from the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import overload

from archive.article import Article, derive_article_id
from archive.batching import PEOPLE_BATCH, batched
from archive.extract.boilerplate import Boilerplate, group_of, paragraph_key
from archive.extract.cleaning import CleanedStory, clean_story, collapse_white_space
from archive.extract.dates import is_date_line, parse_date, publication_date
from archive.extract.entities import (
    ArticleEntities,
    EntitiesFound,
    canonical_organization,
    canonical_place,
    extract_entities_of,
)
from archive.extract.people import canonical_person, mentions_of
from archive.extract.records import RawRecord, arabic_share
from archive.extract.report import Skipped
from archive.extract.sources import canonical_source, detect_source, registry
from archive.extract.web import read_page
from archive.text.normalize import normalize

# A story with fewer letters than this after furniture removal is not an article (an empty page, a lone
# dateline "موسكو - سانا", a disclaimer, harakat or punctuation only); real one-line briefs have 35+ letters.
MIN_STORY_LETTERS = 20
_LETTER = re.compile(r"[^\W\d_]")
# Web input: a page whose text has fewer Arabic letters than this share of its letters is not an Arabic page
# (Arabic stories quoting English names or tweets stay well above it).
MIN_ARABIC_SHARE = 0.5


_ENOUGH_LETTERS = re.compile(f"(?:[\\W\\d_]*[^\\W\\d_]){{{MIN_STORY_LETTERS}}}")


def _story_letters(normalized: str) -> int:
    """Letters in the (normalized: no harakat, no invisible marks) story, counted only as far as needed: a story
    with MIN_STORY_LETTERS or more counts as MIN_STORY_LETTERS."""
    if _ENOUGH_LETTERS.match(normalized):
        return MIN_STORY_LETTERS
    return len(_LETTER.findall(normalized))


TITLE_MAX_LINE = 150
TITLE_FROM_SENTENCE_MAX = 100

# Lines at the top of a page that are not its title: update stamps and bylines.
_NOT_TITLE = re.compile(
    r"^(?:آخر تحديث|اخر تحديث|تاريخ النشر|نشر في|نُشر في|تم النشر|رئيس التحرير|بقلم|كتب|كتبت|إعداد|اعداد|"
    r"تحرير|المحرر|مراسل|حرر|Posted|Updated|By)\b",
)
_SENTENCE_END = re.compile(r"[.!?؟。]")


def _is_title_line(line: str) -> bool:
    if len(line) > TITLE_MAX_LINE or len(line.split()) < 2:
        return False
    if _NOT_TITLE.match(line) or is_date_line(line):
        return False
    # a story sentence (ends with a full stop, "وأكد ... ." starting mid-story) is not a headline
    return not line.rstrip().endswith(".")


def title_from_sentence(text: str, limit: int = TITLE_FROM_SENTENCE_MAX) -> str:
    """The first sentence of TEXT, cut at a word boundary to at most LIMIT characters (with "…" when cut)."""
    flat = " ".join(text.split())
    match = _SENTENCE_END.search(flat)
    sentence = flat[: match.start()] if match else flat
    sentence = sentence.strip(" ،,:;-–—")
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit + 1].rsplit(" ", 1)[0].rstrip(" ،,:;-–—")
    return (cut or sentence[:limit]) + "…"


@overload
def split_title(body: str, normalized: str) -> tuple[str, str, str]: ...
@overload
def split_title(body: str, normalized: None = None) -> tuple[str, str, None]: ...
@overload
def split_title(body: str, normalized: str | None = None) -> tuple[str, str, str | None]: ...
def split_title(body: str, normalized: str | None = None) -> tuple[str, str, str | None]:
    """(title, body without the title line, normalized body without it): the first substantive line among
    the first few, else a title made from the first sentence with the body left whole."""
    lines = body.split("\n")
    norm_lines = normalized.split("\n") if normalized is not None else None
    seen = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        seen += 1
        if seen > 6:
            break
        if _is_title_line(stripped):
            rest = "\n".join(lines[:index] + lines[index + 1:]).strip()
            norm_rest = None
            if norm_lines is not None:
                norm_rest = "\n".join(norm_lines[:index] + norm_lines[index + 1:]).strip()
            return stripped, rest, norm_rest
        if len(stripped) > TITLE_MAX_LINE:
            break  # the story has begun: no headline above it
    return title_from_sentence(body), body, normalized


def build_article(raw: RawRecord, boilerplate: Boilerplate | None = None) -> Article | Skipped:
    """All extraction for one record: an Article, or Skipped with a one-line reason. BOILERPLATE: the paragraphs
    the archive knows to recur across its outlet's articles (archive/extract/boilerplate.py), removed first."""
    front = _extract(raw, boilerplate)
    if isinstance(front, Skipped):
        return front
    return _article(front, *_people([front])[0])


def build_articles(records: Iterable[RawRecord], boilerplate: Boilerplate | None = None,
                   batch: int = PEOPLE_BATCH) -> Iterator[Article | Skipped]:
    """build_article over RECORDS, in order, the same results; faster for many records (see PEOPLE_BATCH)."""
    for chunk in batched(records, batch):
        fronts = [_extract(raw, boilerplate) for raw in chunk]
        ready = [front for front in fronts if not isinstance(front, Skipped)]
        people = iter(_people(ready))
        for front in fronts:
            yield front if isinstance(front, Skipped) else _article(front, *next(people))


def _people(fronts: Sequence[_Front]) -> list[tuple[list[str], EntitiesFound]]:
    """The people of each article (given ones canonicalized, the others extracted, all of them in one batch) and
    its places and organizations (the registries, and what the recognizer tagged around the people)."""
    wanted = [front for front in fronts if front.raw.persons is None]
    found = iter(mentions_of([(front.title, front.body, front.normalized_text) for front in wanted]))
    persons_of: list[list[str]] = []
    articles: list[ArticleEntities] = []
    for front in fronts:
        if front.raw.persons is not None:
            persons_of.append(list(dict.fromkeys(canonical_person(name) for name in front.raw.persons)))
            articles.append(ArticleEntities(front.title, front.body, front.normalized_text))
        else:
            people = next(found)
            persons_of.append(people.names)
            articles.append(ArticleEntities(front.title, front.body, front.normalized_text, people.entities,
                                            people.mentions, people.words))
    return list(zip(persons_of, extract_entities_of(articles), strict=True))


@dataclass(slots=True)
class _Front:
    """An article extracted but for its people."""
    raw: RawRecord
    title: str
    body: str
    normalized_text: str  # normalize(title) + "\n" + the normalized body
    published: date | None
    source: str | None
    provenance: dict[str, str]
    story: CleanedStory


def _extract(raw: RawRecord, boilerplate: Boilerplate | None) -> _Front | Skipped:
    if raw.html is not None:
        page = read_page(raw)  # web input: the page's text and metadata first (archive/extract/web.py)
        if isinstance(page, Skipped):
            return page
        raw = page
    checker = None
    if boilerplate:
        group = group_of(raw.source, raw.url)

        def checker(line: str) -> bool:
            return paragraph_key(group, line) in boilerplate

    story = clean_story(raw.body, checker)
    body, normalized = story.body, story.normalized
    if raw.title:
        title = raw.title
    else:
        title, body, normalized = split_title(body, normalized)
    if body.count("\n") != (normalized or "").count("\n"):
        normalized = normalize(body)  # cannot happen with clean_story; cheap insurance for the alignment below
    letters = _story_letters(normalized)
    if letters < MIN_STORY_LETTERS:
        what = "no letters" if letters == 0 else f"{letters} letters of story"
        return Skipped(raw.origin, f"too short: {what} (minimum {MIN_STORY_LETTERS})")
    if raw.arabic_only:
        share = arabic_share(title + "\n" + body[:5000])
        if share < MIN_ARABIC_SHARE:
            declared = f"declared {raw.language}, " if raw.language else ""
            return Skipped(raw.origin, f"not Arabic: {declared}{share:.0%} of its letters are Arabic "
                                       f"(index it anyway with --any-language)")
    lines: list[str] = []
    norm_lines: list[str] = []
    if not raw.date or not raw.source:  # the story's lines are read only for what the record does not give
        pairs = [(line, norm) for line, norm in zip(body.split("\n"), normalized.split("\n"), strict=True) if line]
        lines = [line for line, _ in pairs]
        norm_lines = [norm for _, norm in pairs]

    # a given date that is not a real, plausible date (2023-02-30, 3000-01-01) leaves the article undated:
    # the story is still good, and a date guessed from the text would contradict what the source said
    published = parse_date(raw.date) if raw.date else publication_date(lines, norm_lines)

    source = canonical_source(raw.source) if raw.source else detect_source(raw.url, lines, norm_lines)
    given = raw.provenance or {}
    provenance = {"title": given.get("title", "given") if raw.title else "text"}
    if raw.date or published is not None:
        provenance["date"] = given.get("date", "given") if raw.date else "text"
    if source is not None:
        if raw.source:
            provenance["source"] = given.get("source", "given")
        else:
            from_url = raw.url is not None and registry().from_url(raw.url) == source
            provenance["source"] = "url" if from_url else "text"
    if raw.url:
        provenance["url"] = given.get("url", "given")
    normalized_text = normalize(title) + "\n" + normalized
    return _Front(raw, title, body, normalized_text, published, source, provenance, story)


def _article(front: _Front, persons: list[str], entities: EntitiesFound) -> Article:
    raw, title, body, story, provenance = front.raw, front.title, front.body, front.story, front.provenance
    given = raw.provenance or {}
    provenance["persons"] = given.get("persons", "given") if raw.persons is not None else "text"
    places, organizations = entities.places, entities.organizations
    if raw.places is not None:  # given names win, in the registry's canonical form
        places = list(dict.fromkeys(canonical_place(name) for name in raw.places))
    if raw.organizations is not None:
        organizations = list(dict.fromkeys(canonical_organization(name) for name in raw.organizations))
    for key, value in (("places", raw.places), ("organizations", raw.organizations)):
        provenance[key] = given.get(key, "given") if value is not None else "text"
    provenance.update({key: value for key, value in given.items() if key not in provenance
                       and key in ("body", "author", "language")})
    # == content_key(title, body) (normalize() works char by char), with any boilerplate paragraphs put back
    content = collapse_white_space(front.normalized_text)
    if story.identity is not None:
        identity_lines = story.identity.split("\n")
        if not raw.title and normalize(title) in identity_lines:  # the title line was taken out of the body
            identity_lines.remove(normalize(title))
        content = collapse_white_space(normalize(title) + "\n" + "\n".join(identity_lines))

    return Article(
        id=derive_article_id(raw.id, raw.url, title, body, content=content), title=title, body=body,
        source=front.source, published=front.published, url=raw.url, persons=persons, places=places,
        organizations=organizations, metadata=dict(raw.metadata or {}), origin=raw.origin,
        removed_lines=story.removed, content=content, provenance=provenance, language=raw.language,
        author=raw.author, captured=raw.captured,
    )
