"""Cleaning: text made safe to process (`sanitize_text`) and page furniture taken out of a story
(`remove_furniture`), reporting every line removed.

Furniture is what a crawl of a news page brings along that is not the story: font-size controls,
"اقرأ أيضاً" teasers, "مواضيع تهمك"/"قد يعجبك ايضا" blocks, comment headers, sharing lines, "عن <author>"
lines and the run of unrelated headlines at the end of a page. The markers are data
(archive/data/furniture.json), matched on normalized text so spelling variants (أيضاً/ايضا) agree.
"""

from __future__ import annotations

import json
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from archive.extract import loops
from archive.resources import DATA_DIR
from archive.text.charsets import NFKC_RANGE, code_point_ranges
from archive.text.normalize import character_rules, normalize

# C0 controls except TAB (09) and LF (0A), DEL, C1 controls, and invisible marks that break matching:
# U+200B zero width space, U+FEFF BOM / zero width no-break space, U+2028/2029 line/paragraph separators
# become newlines first.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff]")
_LINE_BREAKS = re.compile("\r\n|\r|\u2028|\u2029|\x85")
_SPACE_CHARS = " \t\u00a0\u2000-\u200a\u202f\u205f\u3000"
# only runs that need rewriting (a tab, an exotic space, two or more spaces): a lone space is left alone, which
# keeps the substitution cheap on long texts
_SPACES = re.compile(f"[{_SPACE_CHARS[1:]}][{_SPACE_CHARS}]*| [{_SPACE_CHARS}]+")
_ODD_SPACE = re.compile(f"[{_SPACE_CHARS[1:]}]")


def _squeeze_spaces(text: str) -> str:
    """_SPACES's runs as one space (in one compiled pass where built). Most texts hold none (no two spaces in a row,
    no tab or exotic space), and finding that out is cheaper than the substitution's scan."""
    if loops.COMPILED is not None:
        done = loops.COMPILED.translate(text, _tables().spaces)
        assert done is not None  # that table never gives up
        return done[0]
    if "  " not in text and _ODD_SPACE.search(text) is None:
        return text
    return _SPACES.sub(" ", text)
_NOT_LETTER = re.compile(r"[\W\d_]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")


def sanitize_text(text: str) -> str:
    """Windows and old-Mac line endings to LF; NUL and other control characters removed (TAB and LF kept)."""
    if text.isprintable():  # no control, format or line-separator character at all: nothing to do (most short fields)
        return text
    if "\r" in text or "\u2028" in text or "\u2029" in text or "\x85" in text:  # cheaper than a regex scan
        text = _LINE_BREAKS.sub("\n", text)
    return _CONTROL.sub("", text)


def line_key(line: str) -> str:
    """A line reduced for marker matching: normalized, lower-case, letters only, single spaces.
    (normalize() is idempotent, so an already normalized line may be passed.)"""
    return letters_key(normalize(line))


def collapse_white_space(text: str) -> str:
    """" ".join(text.split()): every run of white space one space, none at the ends (compiled where built)."""
    if loops.COMPILED is not None:
        return loops.COMPILED.squeeze(text, False)
    return " ".join(text.split())


def letters_key(normalized_line: str) -> str:
    """line_key of a line that is already normalized (in one compiled pass where built: archive/extract/_loops.c)."""
    if loops.COMPILED is not None:
        return loops.COMPILED.squeeze(normalized_line, True)
    return " ".join(_NOT_LETTER.sub(" ", normalized_line).split())


@dataclass(frozen=True, slots=True)
class FurnitureMarkers:
    line_exact: frozenset[str]
    line_contains: tuple[str, ...]
    tail_cut: frozenset[str]
    teaser: frozenset[str]
    share_words: frozenset[str]
    separator_chars: str
    contains_probe: tuple[str, ...]  # the longest word of each line_contains marker: a cheap first test


@lru_cache(maxsize=1)
def markers() -> FurnitureMarkers:
    data = json.loads((DATA_DIR / "furniture.json").read_text(encoding="utf-8"))
    return FurnitureMarkers(
        line_exact=frozenset(line_key(x) for x in data["line_exact"]),
        line_contains=tuple(line_key(x) for x in data["line_contains"]),
        tail_cut=frozenset(line_key(x) for x in data["tail_cut"]),
        teaser=frozenset(line_key(x) for x in data["teaser_markers"]),
        share_words=frozenset(line_key(x) for x in data["share_words"]),
        separator_chars=data["separator_line_chars"],
        contains_probe=tuple({max(line_key(x).split(), key=len) for x in data["line_contains"]}),
    )


# Lines short enough to be a control, a marker or a headline; story paragraphs are longer.
SHORT_LINE = 160
HEADLINE_MAX = 140
# Notices ("يمكنكم استلام إشعارات...") can run to a few hundred characters; paragraphs beyond are story.
LONG_LINE = 400
TAIL_SHARE = 0.25
# "عن <author>" footer of WordPress themes: a short line, no sentence punctuation.
_ABOUT_AUTHOR = re.compile(r"^عن\s+\S+(\s+\S+){0,2}$")


def _is_separator(line: str, chars: str) -> bool:
    return len(line) >= 3 and all(ch in chars or ch.isspace() for ch in line)


def _is_share_line(key: str, share_words: frozenset[str]) -> bool:
    if not key:
        return False
    words = key.split()
    i = 0
    while i < len(words):  # share words may be two words long ("فيس بوك", "نسخ الرابط")
        if i + 1 < len(words) and f"{words[i]} {words[i + 1]}" in share_words:
            i += 2
        elif words[i] in share_words:
            i += 1
        else:
            return False
    return True


def _contains_marker(key: str, markers: tuple[str, ...]) -> bool:
    return any(marker in key for marker in markers)


def _looks_like_headline(line: str) -> bool:
    """A teaser headline: short, and not ending like a sentence of the story."""
    stripped = line.strip()
    return 0 < len(stripped) <= HEADLINE_MAX and not stripped.endswith((".", ":", "،"))


@dataclass(frozen=True, slots=True)
class CleanedStory:
    body: str  # the story, lines space-squeezed, furniture removed, runs of blank lines collapsed
    normalized: str  # normalize(body), line for line (same number of lines, same line order)
    removed: list[str]  # furniture lines removed, in order
    # normalized like `normalized`, but with the boilerplate paragraphs kept: what identifies the article (its
    # content id, duplicate detection) must not change with what the rest of the archive holds
    identity: str | None = None  # None: the same as `normalized`


@dataclass(frozen=True)
class _Tables:
    """What the compiled translate reads (archive/extract/_loops.c): per code point below U+10000, -1 (kept), -2
    (deleted), -3 (give up: the plain way), -4 (kept, and the text folded by str.lower() after), -5 (white space: one
    space for a run) or the code point written instead."""
    spaces: bytes  # _SPACE_CHARS's runs as one space, nothing else changed
    normalized: bytes  # normalize() without NFKC (-3 where NFKC would act), then the spaces squeezed


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    """normalize()'s character rules write their character (-2: nothing); another character is written in lower case
    when str.lower() gives one character out of context, kept and flagged (-4: "İ", a final "Σ") when it gives
    another; those NFKC folds first give up (-3)."""
    spaces = array("i", [-1]) * 65536
    for first, last in code_point_ranges(_SPACE_CHARS):
        spaces[first: last + 1] = array("i", [-5]) * (last + 1 - first)
    table = array("i", [-1]) * 65536
    for code in range(65536):
        char = chr(code)
        lower = char.lower()
        if lower != char:
            table[code] = ord(lower) if len(lower) == 1 and char != "Σ" else -4
    for char, replacement in character_rules().items():
        table[ord(char)] = ord(replacement) if replacement else -2
    for first, last in code_point_ranges(NFKC_RANGE):
        table[first: last + 1] = array("i", [-3]) * (last + 1 - first)
    for code, value in enumerate(spaces):
        if value == -5:
            assert table[code] == -1, "a character rule or case folding acts on white space"
            table[code] = -5
    return _Tables(spaces.tobytes(), table.tobytes())


def normalize_squeezed(text: str) -> str:
    """_squeeze_spaces(normalize(TEXT)), in one compiled pass where built (archive/extract/_loops.c): normalize()
    scans a text once per rule character it holds, then again for NFKC and case, and the squeeze once more; on a
    whole article, a tenth of extraction's time."""
    if loops.COMPILED is not None:
        done = loops.COMPILED.translate(text, _tables().normalized)
        if done is not None:  # else a character NFKC folds: the plain way
            translated, flagged = done
            return translated.lower() if flagged else translated
    return _squeeze_spaces(normalize(text))


def _normalized_lines(text: str, lines: list[str]) -> list[str]:
    normalized = [line.strip() for line in normalize_squeezed(text).split("\n")]
    if len(normalized) != len(lines):  # a character normalize() expands into a line break: align line by line
        normalized = [_SPACES.sub(" ", normalize(line)).strip() for line in lines]
    return normalized


def _contains_marker_fast(normalized_line: str, m: FurnitureMarkers) -> bool:
    if not any(word in normalized_line for word in m.contains_probe):
        return False
    return _contains_marker(letters_key(normalized_line), m.line_contains)


def clean_story(text: str, is_boilerplate: Callable[[str], bool] | None = None) -> CleanedStory:
    """The story without its page furniture, with its normalized twin, and the furniture lines removed.

    Whole story paragraphs are never touched by the markers: only short lines are compared with them, and a tail
    block is cut only from a strong marker ("مواضيع تهمك", "شاهد أيضاً", "التعليقات"...) in the second half of the
    page. IS_BOILERPLATE, when given, says which paragraphs recur in so many articles of the outlet that they are
    not this story (archive/extract/boilerplate.py): those are removed too.
    """
    m = markers()
    lines = [line.strip() for line in _squeeze_spaces(text).split("\n")]
    normalized = _normalized_lines(text, lines)
    total_chars = sum(len(line) for line in lines) or 1
    kept: list[int] = []
    removed: list[str] = []
    boilerplate: list[int] = []
    chars_before = 0
    i = 0
    while i < len(lines):
        line, norm = lines[i], normalized[i]
        index = i
        i += 1
        if not line:
            kept.append(index)
            continue
        chars_before += len(line)
        if is_boilerplate is not None and is_boilerplate(line):
            removed.append(line)
            boilerplate.append(index)
            continue
        if len(line) > SHORT_LINE:
            if len(line) <= LONG_LINE and _contains_marker_fast(norm, m):
                removed.append(line)
            else:
                kept.append(index)
            continue
        if not _HAS_LETTER.search(line):
            if _is_separator(line, m.separator_chars) or not line.strip(m.separator_chars + " "):
                removed.append(line)
                continue
            kept.append(index)
            continue
        key = letters_key(norm)
        # a strong marker opens the page's tail when little text follows it (seed 001: 7%, seed 000: 4%);
        # in the middle of a story it is only a line to drop
        in_tail = total_chars - chars_before <= TAIL_SHARE * total_chars
        if key in m.tail_cut and in_tail:
            removed.append(line)
            removed.extend(rest for rest in lines[i:] if rest)
            break
        if key in m.line_exact or _contains_marker(key, m.line_contains):
            removed.append(line)
            if key in m.teaser:
                # a bare teaser marker: the headlines that follow it belong to it
                taken = 0
                while i < len(lines) and taken < 4 and (not lines[i] or _looks_like_headline(lines[i])):
                    if lines[i]:
                        removed.append(lines[i])
                        taken += 1
                    i += 1
            continue
        if any(key.startswith(teaser + " ") for teaser in m.teaser) and _looks_like_headline(line):
            removed.append(line)  # "اقرأ أيضا: <headline>" inline
            continue
        if _is_share_line(key, m.share_words) or (_ABOUT_AUTHOR.match(line) and len(line) < 60):
            removed.append(line)
            continue
        kept.append(index)
    # collapse runs of blank lines and trim blank lines at both ends, on both texts alike
    out: list[int] = []
    for index in kept:
        if not lines[index] and (not out or not lines[out[-1]]):
            continue
        out.append(index)
    while out and not lines[out[-1]]:
        out.pop()
    identity = "\n".join(normalized[k] for k in sorted(out + boilerplate)) if boilerplate else None
    return CleanedStory("\n".join(lines[k] for k in out), "\n".join(normalized[k] for k in out), removed, identity)


def remove_furniture(text: str) -> tuple[str, list[str]]:
    """The story without its page furniture, and the furniture lines removed (stripped, in order)."""
    story = clean_story(text)
    return story.body, story.removed
