"""Boilerplate learned from the archive itself: paragraphs that recur, verbatim or nearly, in many articles of
one outlet are not the story (the leads of other stories a page appends, promotion lines, related-story
blocks). They are removed like page furniture: not indexed, not used for people, outlets or dates, and listed
by `inspect` as removed.

A paragraph is a line of at least MIN_LETTERS letters; its key is a 64-bit hash of its letters after the
normalization folds (hamza forms, ى/ي, ة/ه, harakat, digits and punctuation dropped), so re-punctuated or
re-vowelled copies meet. Keys are counted once per article, per outlet group (the given outlet, else the URL's
site, else one group for articles of unknown outlet: a folder of raw .txt files). A paragraph found in at least
MIN_ARTICLES articles of its group is boilerplate.

The counts are kept with the index (archive/index/writer.py writes them into each generation), so `add` judges
new articles against the whole archive and adds their paragraphs to the counts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from archive.extract.readers import RawRecord
from archive.text.charsets import ALEF, ALEF_MAKSURA, ALEF_VARIANTS, HEH, TEH_MARBUTA, YEH

MIN_LETTERS = 40
KEY_CHARS = 200
MIN_ARTICLES = 4  # the article and three others: the "recur verbatim in at least three other articles"
COUNTS_FILE = "paragraphs.npz"

# Folds and deletions done with str.replace and bytes.translate: a dict-based str.translate or a regex over every
# paragraph of a large archive costs seconds.
_FOLDS = (*((variant, ALEF) for variant in ALEF_VARIANTS), (ALEF_MAKSURA, YEH), (TEH_MARBUTA, HEH))
_ASCII_NOT_LETTERS = bytes(b for b in range(128) if not chr(b).isalpha())  # digits and punctuation
# punctuation and the commonest vowel marks (fatha, damma, kasra, shadda, sukun, tanwin) outside ASCII
_MARKS = tuple("،؛؟ـ«»“”\u00a0\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652")


def group_of(source: str | None, url: str | None) -> str:
    """The outlet group a record's paragraphs are counted in."""
    if source:
        return "source:" + " ".join(source.lower().split())
    if url:
        host = urlsplit(url if "://" in url else "http://" + url).netloc.lower().removeprefix("www.")
        if host:
            return "site:" + host
    return ""


def paragraph_key(group: str, line: str) -> int | None:
    """The key of LINE as a paragraph of GROUP, or None when the line is too short to be one. Its first
    KEY_CHARS characters and its length in letters make the key: a paragraph that far alike is the same
    paragraph, and reading every character of a long archive twice costs seconds."""
    if len(line) < MIN_LETTERS:
        return None
    head = line[:KEY_CHARS]
    for variant, plain in _FOLDS:
        if variant in head:
            head = head.replace(variant, plain)
    head = "".join(head.split())
    if len(head) < MIN_LETTERS:
        return None
    for mark in _MARKS:
        if mark in head:
            head = head.replace(mark, "")
    data = head.encode("utf-8").translate(None, _ASCII_NOT_LETTERS)
    size = len(line) // 20  # a paragraph cut or extended is another paragraph; a changed comma is not
    digest = hashlib.blake2b(f"{group}\x00{size}\x00".encode() + data, digest_size=8).digest()
    return int.from_bytes(digest, "little")


def record_keys(raw: RawRecord) -> set[int]:
    group = group_of(raw.source, raw.url)
    keys = set()
    for line in raw.body.split("\n"):
        key = paragraph_key(group, line.strip())
        if key is not None:
            keys.add(key)
    return keys


@dataclass(frozen=True)
class Boilerplate:
    """The paragraph keys that are boilerplate; `in` tests a key."""

    keys: frozenset[int] = frozenset()

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class ParagraphCounts:
    """How many articles of each outlet group hold each paragraph key."""

    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    counts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))

    def add(self, records: Iterable[RawRecord]) -> ParagraphCounts:
        fresh: list[int] = []
        for raw in records:
            fresh.extend(record_keys(raw))
        if fresh:
            keys = np.concatenate([self.keys, np.array(fresh, dtype=np.uint64)])
            weights = np.concatenate([self.counts, np.ones(len(fresh), dtype=np.uint32)])
            self.keys, inverse = np.unique(keys, return_inverse=True)
            self.counts = np.bincount(inverse, weights=weights).astype(np.uint32)
        return self

    def boilerplate(self, min_articles: int = MIN_ARTICLES) -> Boilerplate:
        return Boilerplate(frozenset(int(key) for key in self.keys[self.counts >= min_articles]))

    def save(self, folder: Path) -> None:
        """Written beside, then swapped in whole: a reader never sees half a file."""
        partial = folder / (COUNTS_FILE + ".partial")
        with open(partial, "wb") as out:
            np.savez_compressed(out, keys=self.keys, counts=self.counts)
        os.replace(partial, folder / COUNTS_FILE)

    @classmethod
    def load(cls, folder: Path) -> ParagraphCounts:
        """The counts kept in FOLDER (an index generation); empty when it has none (an index built before them)."""
        path = folder / COUNTS_FILE
        if not path.exists():
            return cls()
        with np.load(path) as data:
            return cls(data["keys"].astype(np.uint64), data["counts"].astype(np.uint32))
