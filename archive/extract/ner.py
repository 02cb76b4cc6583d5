"""A learned recognizer of person, place and organization names: a linear-chain CRF (python-crfsuite) over
normalized words, for the names the registry does not know.

The model (archive/data/ner.crfsuite) is trained on NewsFANE Gold (Alotaibi & Lee, COLING 2014; CC BY-SA 3.0,
see archive/data/ner-model-NOTICE.txt) by `python bench/train_ner.py`, which also says how the held-out part
was chosen. NewsFANE is clitic-segmented ("و قال", "ان ه"); the trainer re-joins the clitics, so the model sees
words as raw news writes them ("وقال", "انه") and this module tokenizes raw text the same way: runs of letters,
runs of digits, single other characters, each normalize()d.

Features are word identity, the word without its proclitics, affixes, shape, corpus frequency
(archive/data/lexicon.tsv) and gazetteers (given names, titles, registry name words), for the word and its two
neighbours on each side. Word-level features are cached, so a sentence costs list concatenation plus the CRF's
own C code. Callers choose which sentences to tag (archive/extract/people.py tags only those that can hold a
name): tagging every word of a long archive is the expensive part.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pycrfsuite  # reads the model file; decoding (NameTagger) needs only its weights

from archive.resources import DATA_DIR, data_lines
from archive.text.charsets import ARABIC_LETTER_RANGE
from archive.text.normalize import normalize
from archive.text.stemmer import frequency

MODEL_FILE = DATA_DIR / "ner.crfsuite"
CLUSTERS_FILE = DATA_DIR / "word_clusters.tsv"
LABELS = ("PER", "LOC", "ORG")

# the Arabic letters proper, and the extended ones foreign names are written with (ڤ پ چ گ ...)
_LETTERS = ARABIC_LETTER_RANGE + "\u0671-\u06d3\u06fa-\u06ff" + "a-zA-Z"
TOKEN = re.compile(f"[{_LETTERS}]+|[0-9]+|[^\\s{_LETTERS}0-9]")
_PROCLITICS = ("وبال", "وكال", "فبال", "ولل", "فلل", "وال", "فال", "بال", "كال", "لل", "ال", "وب", "ول", "وك", "فب",
               "فل", "و", "ف", "ب", "ل", "ك")


@dataclass(frozen=True, slots=True)
class Gazetteer:
    given: frozenset[str]
    titles: frozenset[str]  # every word of every title or role
    honorifics: frozenset[str]
    function_words: frozenset[str]  # prepositions, pronouns, verbs of saying: the not-name words of titles.json
    name_first: frozenset[str]  # first words of registry names
    name_last: frozenset[str]  # last words of registry names and their short forms
    clusters: dict[str, tuple[str, str]]  # word -> (coarse, fine) distributional cluster (bench/build_clusters.py)
    name_clusters_words: frozenset[str]  # the words of the clusters that are mostly names (learned given names)


def _clean(text: str) -> str:
    return " ".join(normalize(text).split())


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    given = {_clean(word.lstrip("?")) for word in data_lines(DATA_DIR / "given_names.txt")}
    titles_data = json.loads((DATA_DIR / "titles.json").read_text(encoding="utf-8"))
    title_words = {word for title in titles_data["titles"] for word in _clean(title).split()}
    honorifics = {word for title in titles_data["honorifics"] for word in _clean(title).split()}
    function_words = {_clean(w) for w in titles_data["not_name_words"] + titles_data["clause_breakers"]}
    first: set[str] = set()
    last: set[str] = set()
    for line in (DATA_DIR / "people.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith(("#", "name\t")):
            continue
        cells = [*line.split("\t"), "", "", ""][:3]
        fulls = [cells[0], *cells[1].split("|")]
        for full in fulls:
            words = _clean(full).split()
            if len(words) >= 2:
                first.add(words[0])
                last.add(words[-1])
        for short in cells[2].split("|"):
            words = _clean(short.lstrip("?")).split()
            if words:
                last.add(words[-1])
    clusters: dict[str, tuple[str, str]] = {}
    for line in data_lines(CLUSTERS_FILE):
        word, coarse_id, fine_id = [*line.split("\t"), "", ""][:3]
        clusters[word] = (coarse_id, fine_id)
    return Gazetteer(frozenset(given), frozenset(title_words), frozenset(honorifics), frozenset(function_words),
                     frozenset(first), frozenset(last), clusters,
                     _name_cluster_words(clusters, given | first | last, function_words | title_words))


# A fine cluster is a cluster of names when at least this share of its words are known names (given names,
# registry name words), and at least NAME_CLUSTER_MIN_KNOWN of them.
NAME_CLUSTER_SHARE = 0.2
NAME_CLUSTER_MIN_KNOWN = 5


def _name_cluster_words(clusters: dict[str, tuple[str, str]], names: set[str], not_names: set[str]) -> frozenset[str]:
    members: dict[str, list[str]] = {}
    for word, (_, fine_id) in clusters.items():
        members.setdefault(fine_id, []).append(word)
    out: set[str] = set()
    for words in members.values():
        known = sum(1 for word in words if word in names)
        if known >= NAME_CLUSTER_MIN_KNOWN and known >= NAME_CLUSTER_SHARE * len(words):
            out.update(word for word in words if word not in not_names)
    return frozenset(out)


def tokenize(normalized: str) -> list[re.Match[str]]:
    """Tokens of normalize()d text as the model saw them in training."""
    return list(TOKEN.finditer(normalized))


def core(word: str) -> str:
    """The word without the proclitics and article it opens with, when three letters stay."""
    for prefix in _PROCLITICS:
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix):]
    return word


def _frequency_bucket(word: str) -> str:
    count = frequency(word)
    return str(min(12, int(math.log2(count)))) if count else "0"


def _own_features(word: str, gaz: Gazetteer) -> list[str]:
    """What a word says about itself, independent of its neighbours."""
    if not word[0].isalpha():
        return ["w=" + word, "digit" if word.isdigit() else "punct"]
    stem = core(word)
    out = ["w=" + word, "c=" + stem, "p2=" + word[:2], "p3=" + word[:3], "s2=" + word[-2:], "s3=" + word[-3:],
           "cs2=" + stem[-2:], "cp2=" + stem[:2], "f=" + _frequency_bucket(word), "cf=" + _frequency_bucket(stem),
           "len=" + str(min(len(stem), 9))]
    if word != stem:
        out.append("pre=" + word[: len(word) - len(stem)])
    if word.isascii():
        out.append("latin")
    cluster = gaz.clusters.get(word) or gaz.clusters.get(stem)
    if cluster:
        out.append("k=" + cluster[0])
    for flag, members in (("given", gaz.given), ("title", gaz.titles), ("hon", gaz.honorifics),
                          ("fn", gaz.function_words), ("first", gaz.name_first), ("last", gaz.name_last),
                          ("ncl", gaz.name_clusters_words)):
        if word in members or stem in members:
            out.append("g=" + flag)
    return out


def _context_features(word: str, gaz: Gazetteer) -> list[str]:
    """What a word says about its neighbours: its identity, its core and its gazetteer flags."""
    if not word[0].isalpha():
        return ["w=" + word]
    stem = core(word)
    out = ["w=" + word, "c=" + stem]
    cluster = gaz.clusters.get(word) or gaz.clusters.get(stem)
    if cluster:
        out.append("k=" + cluster[0])
    for flag, members in (("given", gaz.given), ("title", gaz.titles), ("fn", gaz.function_words),
                          ("last", gaz.name_last), ("ncl", gaz.name_clusters_words)):
        if word in members or stem in members:
            out.append("g=" + flag)
    return out


_OFFSETS = (-2, -1, 1, 2)
_WORD_CACHE = 200_000  # distinct words whose scores a tagger keeps


class FeatureCache:
    """Features of words, cached: a word's own features and, per offset, the features it lends a neighbour."""

    def __init__(self, gaz: Gazetteer, limit: int = 200_000):
        self.gaz = gaz
        self.limit = limit
        self.own: dict[str, list[str]] = {}
        self.context: dict[str, list[list[str]]] = {}

    def _own(self, word: str) -> list[str]:
        found = self.own.get(word)
        if found is None:
            if len(self.own) > self.limit:
                self.own.clear()
            found = self.own[word] = _own_features(word, self.gaz)
        return found

    def _context(self, word: str) -> list[list[str]]:
        found = self.context.get(word)
        if found is None:
            if len(self.context) > self.limit:
                self.context.clear()
            base = _context_features(word, self.gaz)
            found = self.context[word] = [[f"{offset}:{feature}" for feature in base] for offset in _OFFSETS]
        return found

    def sentence(self, words: Sequence[str]) -> list[list[str]]:
        contexts = [self._context(word) for word in words]
        count = len(words)
        out = []
        for i, word in enumerate(words):
            features = list(self._own(word))
            if i == 0:
                features.append("BOS")
            if i == count - 1:
                features.append("EOS")
            for slot, offset in enumerate(_OFFSETS):
                j = i + offset
                if 0 <= j < count:
                    features += contexts[j][slot]
            out.append(features)
        return out


def sentence_features(words: Sequence[str], cache: FeatureCache | None = None) -> list[list[str]]:
    """CRF features of a sentence of normalized words (the trainer and the tagger share this)."""
    return (cache or FeatureCache(gazetteer())).sentence(words)


@dataclass(frozen=True, slots=True)
class Entity:
    start: int  # character offsets into the normalized text
    end: int
    label: str  # PER, LOC or ORG
    text: str  # the normalized words


def spans_from_tags(tokens: Sequence[re.Match[str]], tags: Sequence[str], text: str) -> list[Entity]:
    """IOB2 tags over TOKENS as entities; an I- tag without its B- opens one (the CRF rarely does that)."""
    entities = []
    start = end = -1
    label = ""

    def close() -> None:
        if label:
            entities.append(Entity(start, end, label, " ".join(text[start:end].split())))

    for token, tag in zip(tokens, tags, strict=True):
        if tag == "O":
            close()
            label = ""
            continue
        kind = tag[2:]
        if tag.startswith("B-") or kind != label:
            close()
            label, start = kind, token.start()
        end = token.end()
    close()
    return entities


class NameTagger:
    """The trained CRF, opened once per process; `tag(text, ranges)` finds names in parts of normalized text.

    Decoding is our own Viterbi over the model's weights, not crfsuite's: a linear-chain CRF's score for a
    label at a word is the sum of the weights of the word's features, and every feature here belongs either to
    the word itself or to one neighbour, so the sum splits into a vector per (word, position of the word) that
    is computed once per distinct word and cached. A sentence then costs a few additions and a 7x7 Viterbi
    step per word instead of looking up thirty feature strings; the tags are the same as crfsuite's
    (tests/test_ner.py checks it)."""

    def __init__(self, model_file: Path = MODEL_FILE):
        reader = pycrfsuite.Tagger()
        reader.open(str(model_file))
        info = reader.info()
        self.labels = sorted(info.labels, key=lambda label: int(info.labels[label]))
        index = {label: i for i, label in enumerate(self.labels)}
        size = len(self.labels)
        # one row of label weights per attribute; row 0 is all zeros (every sum starts from it)
        self.rows: dict[str, int] = {}
        for attribute, _ in info.state_features:
            self.rows.setdefault(attribute, len(self.rows) + 1)
        self.matrix = np.zeros((len(self.rows) + 1, size))
        for (attribute, label), weight in info.state_features.items():
            self.matrix[self.rows[attribute], index[label]] = weight
        self.transitions = np.zeros((size, size))
        for (before, after), weight in info.transitions.items():
            self.transitions[index[before], index[after]] = weight
        self.outside = index["O"]
        self.name_columns = [i for label, i in index.items() if label != "O"]
        # the most a transition into or out of a name label can add over staying O (see tag_sentences)
        self.transition_slack = 2 * max(0.0, float(self.transitions.max() - self.transitions[self.outside,
                                                                                              self.outside]))
        self.bos = self.matrix[self.rows.get("BOS", 0)]
        self.eos = self.matrix[self.rows.get("EOS", 0)]
        self.gaz = gazetteer()
        self.word_ids: dict[str, int] = {}
        self.table = np.zeros((1024, len(_OFFSETS) + 1, size))

    def _word_id(self, word: str) -> int:
        """The word's row in self.table: (5, labels) scores, its own, then what it adds to the word 2 and 1 after
        it and 1 and 2 before it (the rows of _OFFSETS seen from the neighbour). Row 0 is all zeros."""
        found = self.word_ids.get(word)
        if found is None:
            if len(self.word_ids) >= _WORD_CACHE:
                self.word_ids.clear()  # the table's rows are then overwritten from row 1 on
            found = self.word_ids[word] = len(self.word_ids) + 1
            if found >= len(self.table):
                grown = np.zeros((min(2 * len(self.table), _WORD_CACHE + 1), *self.table.shape[1:]))
                grown[: len(self.table)] = self.table
                self.table = grown
            self.table[found] = self._word_scores(word)
        return found

    def _word_scores(self, word: str) -> np.ndarray:
        base = _context_features(word, self.gaz)
        rows = self.rows
        indexes = [0, *(rows[f] for f in _own_features(word, self.gaz) if f in rows)]
        starts = [0]
        for offset in _OFFSETS:
            starts.append(len(indexes))
            indexes.append(0)
            indexes += [rows[name] for name in (f"{offset}:{feature}" for feature in base) if name in rows]
        return np.add.reduceat(self.matrix[indexes], starts)

    def tag_sentences(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """Viterbi over several sentences at once (one pass of array operations per position, for all of them)."""
        tags = self._tag_sparse(sentences)
        return [found if found is not None else ["O"] * len(sentence) for found, sentence in zip(tags, sentences,
                                                                                                  strict=True)]

    def _tag_sparse(self, sentences: Sequence[Sequence[str]]) -> list[list[str] | None]:
        """tag_sentences, with None for a sentence that is all O."""
        sentences = list(sentences)
        lengths = np.array([len(s) for s in sentences])
        if not len(sentences) or lengths.max() == 0:
            return [None for _ in sentences]
        # the sentences one after the other with two empty words between them: a neighbour's row for an offset
        # of up to 2 then never reaches into the next sentence, and the shifted additions need no masks
        gap = 2
        ids: list[int] = []
        word_id = self._word_id
        for sentence in sentences:
            ids += [word_id(word) for word in sentence]
            ids += (0, 0)
        table = self.table[ids]  # (N + 2 per sentence, 5, labels)
        scores = table[:, 0].copy()
        for slot, offset in enumerate(_OFFSETS, start=1):
            if offset < 0:
                scores[-offset:] += table[:offset, slot]
            else:
                scores[:-offset] += table[offset:, slot]
        sentence_of = np.repeat(np.arange(len(sentences)), lengths)
        first_of = np.cumsum(lengths) - lengths
        position = np.arange(int(lengths.sum())) - np.repeat(first_of, lengths)
        scores = scores[np.repeat(np.cumsum(lengths + gap) - lengths - gap, lengths) + position]
        nonempty = lengths > 0
        scores[first_of[nonempty]] += self.bos
        scores[(first_of + lengths - 1)[nonempty]] += self.eos
        # A sentence in which no word scores any name label above O (by more than transitions could add) is all O:
        # a path leaving O gains at most its emission margins plus, at each of its two ends, the best transition
        # minus O->O; when every margin is below that, the all-O path wins. Most windows end here.
        margins = scores[:, self.name_columns].max(1) - scores[:, self.outside]
        needed = np.zeros(len(sentences), dtype=bool)
        needed[nonempty] = np.maximum.reduceat(margins, first_of[nonempty]) > -self.transition_slack
        out: list[list[str] | None] = [None] * len(sentences)
        if not needed.any():
            return out
        keep = needed[sentence_of]
        sentence_of = np.cumsum(needed)[sentence_of[keep]] - 1
        position = position[keep]
        scores = scores[keep]
        lengths = lengths[needed]
        count, longest, size = len(lengths), int(lengths.max()), len(self.labels)
        padded = np.zeros((count, longest, size))
        padded[sentence_of, position] = scores
        best = padded[:, 0]
        back = np.zeros((longest, count, size), dtype=np.int64)
        history = [best]
        for i in range(1, longest):
            candidates = best[:, :, None] + self.transitions[None]
            back[i] = candidates.argmax(1)
            best = candidates.max(1) + padded[:, i]
            history.append(best)
        for k, index in enumerate(np.flatnonzero(needed).tolist()):
            length = int(lengths[k])
            label = int(history[length - 1][k].argmax())
            path = [label]
            for i in range(length - 1, 0, -1):
                label = int(back[i, k, label])
                path.append(label)
            out[index] = [self.labels[j] for j in reversed(path)]
        return out

    def tag_words(self, words: Sequence[str]) -> list[str]:
        return self.tag_sentences([words])[0] if words else []

    def tag(self, text: str, ranges: Iterable[tuple[int, int]] | None = None) -> list[Entity]:
        """Entities in normalized TEXT, or only in the given (start, end) character ranges of it, each range
        tagged as one sentence."""
        spans = list(ranges) if ranges is not None else [(0, len(text))]
        word_lists = [TOKEN.findall(text, start, end) for start, end in spans]
        entities: list[Entity] = []
        for (start, end), sentence_tags in zip(spans, self._tag_sparse(word_lists), strict=True):
            if sentence_tags is not None:  # only sentences holding a name need their tokens' offsets
                entities += spans_from_tags(list(TOKEN.finditer(text, start, end)), sentence_tags, text)
        return entities


@lru_cache(maxsize=1)
def name_tagger() -> NameTagger | None:
    """The process's tagger, or None when the model file is missing (then only the registry and the rules find
    people)."""
    return NameTagger() if MODEL_FILE.exists() else None
