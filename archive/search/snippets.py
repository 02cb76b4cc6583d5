"""Highlighted snippets and bodies: the article's own words marked, everything else HTML-escaped.

A word of the text is marked when its index term (`archive.text.analysis.term_of`, the same cached function the
analyzer uses) is one of the query's terms, so لموسكو in the article is marked for the query موسكو, and
مُحَمَّد keeps its vowel marks inside the <mark>. Titles and bodies are untrusted: every character outside the
<mark> tags goes through `html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Collection

from archive.index import kernels
from archive.text.analysis import MAX_RAW_LENGTH, WORDS, term_of
from archive.text.normalize import normalize

SNIPPET_CHARS = 240
# Characters of context kept before the first marked word of the window.
LEAD_CHARS = 60


def find_matches(text: str, terms: Collection[str], stop_when_all: bool = False,
                 window: int = SNIPPET_CHARS) -> list[tuple[int, int, str]]:
    """(start, end, term) of each word of text whose term is wanted. With stop_when_all, scanning stops once a
    stretch of `window` characters holds every wanted term (a snippet needs no more)."""
    found: list[tuple[int, int, str]] = []
    if not terms:
        return found
    wanted = set(terms)
    compiled = kernels.word_matches(text, {term: number for number, term in enumerate(wanted)}, stop_when_all,
                                    window)
    if compiled is not None:
        return compiled
    need = len(wanted)
    for match in WORDS.finditer(text):
        word = match.group()
        # the word's index term (words too long to be one are not looked up): every word before the matches
        term = term_of(word) if len(word) <= MAX_RAW_LENGTH else None
        if term is not None and term in wanted:
            found.append((match.start(), match.end(), term))
            if stop_when_all:
                recent = {t for s, _, t in found[-need * 4:] if s >= match.start() - window}
                if len(recent) == need:
                    break
    return found


def _best_window(matches: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    """Indices [i, j) of the run of matches within `width` characters having the most distinct terms
    (then the most matches, then the earliest)."""
    best = (0, 1)
    best_key = (0, 0)
    j = 0
    for i in range(len(matches)):
        j = max(j, i + 1)
        while j < len(matches) and matches[j][1] - matches[i][0] <= width:
            j += 1
        key = (len({m[2] for m in matches[i:j]}), j - i)
        if key > best_key:
            best, best_key = (i, j), key
    return best


def _render(text: str, start: int, end: int, marks: list[tuple[int, int, str]]) -> tuple[str, str]:
    parts_html, cursor = [], start
    for mark_start, mark_end, _ in marks:
        if mark_start < cursor or mark_end > end:
            continue
        parts_html.append(html.escape(text[cursor:mark_start]))
        parts_html.append("<mark>" + html.escape(text[mark_start:mark_end]) + "</mark>")
        cursor = mark_end
    parts_html.append(html.escape(text[cursor:end]))
    return "".join(parts_html), text[start:end]


# How far down page furniture may sit above the story (date stamps, "آخر تحديث", the headline repeated, font-size
# controls, bylines): lines of fewer than LEAD_MIN_WORDS words, or the title again, among the first FURNITURE_LINES.
FURNITURE_LINES = 8
LEAD_MIN_WORDS = 6


def story_start(text: str, title: str = "") -> int:
    """Where the story proper begins: past the short lines at the top of a crawled page ("الثلاثاء 2023/03/14",
    "آخر تحديث: 21:40 (بيروت)", the headline again, "increase حجم الخط decrease"); 0 when the text opens with it."""
    folded_title: str | None = None  # normalized only when a long line is met (most stories open with one)
    offset = 0
    seen = 0
    for line in text.split("\n"):
        words = line.split()
        seen += bool(words)
        if seen > FURNITURE_LINES:
            return 0
        if words and len(words) >= LEAD_MIN_WORDS:  # long enough to be the story, unless it is the title again
            if folded_title is None:
                folded_title = " ".join(normalize(title).split())
            if not folded_title:
                return offset
            folded = " ".join(normalize(line).split())
            if not (folded == folded_title or (len(folded) > 20 and folded in folded_title)):
                return offset
        offset += len(line) + 1
    return 0


def make_snippet(text: str, terms: Collection[str], max_chars: int = SNIPPET_CHARS,
                 title: str = "") -> tuple[str, str]:
    """(html, plain): about max_chars of the story around its best stretch of matching words, on one line.
    With no match, the story's opening. Page furniture above the story (story_start) is left out unless the only
    matches are there."""
    text = text or ""
    lead = story_start(text, title)
    matches = find_matches(text[lead:], terms, stop_when_all=True, window=max_chars)
    if matches or not terms:
        text = text[lead:]
    elif lead:  # the words are only in the furniture above the story (or nowhere): look there, not twice below
        matches = find_matches(text[:lead], terms, stop_when_all=True, window=max_chars)
    if matches:
        i, _ = _best_window(matches, max_chars - LEAD_CHARS // 2)
        first_start = matches[i][0]
        start = max(0, first_start - LEAD_CHARS)
        if start > 0:
            # begin at a word boundary, or right after a sentence end when one is near
            boundary = max(text.rfind(". ", start, first_start), text.rfind("\n", start, first_start))
            if boundary >= 0:
                start = boundary + 1
            else:
                space = text.find(" ", start, first_start)
                start = space + 1 if space >= 0 else start
    else:
        start = 0
    end = min(len(text), start + max_chars)
    if end < len(text):
        space = text.rfind(" ", start + max_chars // 2, end)
        end = space if space > 0 else end
    # the scan above may have stopped early: mark every match inside the chosen stretch
    marks = [(s + start, e + start, t) for s, e, t in find_matches(text[start:end], terms)] if matches else []
    snippet_html, plain = _render(text, start, end, marks)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    # runs of white space made one space (str.split's white space is re's \s: both are str.isspace)
    return (prefix + " ".join(snippet_html.split()) + suffix, prefix + " ".join(plain.split()) + suffix)


def highlight_text(text: str, terms: Collection[str]) -> str:
    """The whole text HTML-escaped, matching words in <mark>; line breaks kept as \\n."""
    text = text or ""
    snippet_html, _ = _render(text, 0, len(text), find_matches(text, terms))
    return snippet_html
