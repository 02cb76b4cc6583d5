"""A learned recognizer of person, place and organization names: a linear-chain CRF (python-crfsuite) over
normalized words, for the names the registry does not know.

The model (archive/data/ner.crfsuite) is trained on NewsFANE Gold (Alotaibi & Lee, COLING 2014; CC BY-SA 3.0,
see archive/data/ner-model-NOTICE.txt) by `python bench/train_ner.py`, which also says how the held-out part
was chosen. NewsFANE is clitic-segmented ("و قال", "ان ه"); the trainer re-joins the clitics, so the model sees
words as raw news writes them ("وقال", "انه") and this module tokenizes raw text the same way: runs of letters,
runs of digits, single other characters, each normalize()d.

Features are word identity, the word without its proclitics, affixes, shape, corpus frequency
(archive/data/lexicon.tsv), distributional clusters (archive/data/word_clusters.tsv), word-vector clusters at three
granularities (archive/data/word_vector_clusters.tsv) and gazetteers (given names, titles, registry name words),
for the word and its two neighbours on each side (the neighbours lend their identity, core, clusters and gazetteer
flags). The tagger (NameTagger) sums each word's feature weights
once per distinct word and decodes only the segments of a sentence that can hold a name. Callers choose which
sentences to tag (archive/extract/people.py tags only those that can hold a name), and tag many articles'
sentences at once (tag_many).
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pycrfsuite  # reads the model file; decoding (NameTagger) needs only its weights

from archive.extract import loops
from archive.resources import DATA_DIR, data_lines
from archive.text.charsets import ARABIC_LETTER_RANGE, code_point_ranges
from archive.text.normalize import normalize
from archive.text.stemmer import frequencies, frequency, frequency_table

MODEL_FILE = DATA_DIR / "ner.crfsuite"
CLUSTERS_FILE = DATA_DIR / "word_clusters.tsv"
VECTOR_CLUSTERS_FILE = DATA_DIR / "word_vector_clusters.tsv"
# The words the shipped recognizer tags as person names in the shared news corpus (bench/train_ner.py builds it)
PERSON_LEXICON_FILE = DATA_DIR / "person_lexicon.tsv"
# A lexicon word: met at least LEXICON_MIN_COUNT times in the corpus, tagged a person at least LEXICON_MIN_SHARE of the
# times; of those, at least LEXICON_MIN_IN_LONGER in a name of two or more words (a name has a given name or a family
# name beside it somewhere: "بوندسليغا" or "كفرناحوم", tagged alone, are no names); and a person at least
# LEXICON_PERSON_OVER_OTHER times as often as a place or an organization ("هونغ كونغ")
LEXICON_MIN_COUNT = 5
LEXICON_MIN_SHARE = 0.5
LEXICON_MIN_IN_LONGER = 0.25
LEXICON_PERSON_OVER_OTHER = 2
LABELS = ("PER", "LOC", "ORG")

# the Arabic letters proper, and the extended ones foreign names are written with (ڤ پ چ گ ...)
_LETTERS = ARABIC_LETTER_RANGE + "\u0671-\u06d3\u06fa-\u06ff" + "a-zA-Z"
TOKEN = re.compile(f"[{_LETTERS}]+|[0-9]+|[^\\s{_LETTERS}0-9]")
# _LETTERS as code point ranges, for the compiled tokenizer (archive/extract/_loops.c: TOKEN's words, its test checks)
_TOKEN_LETTER_RANGES = code_point_ranges(_LETTERS)
_PROCLITICS = ("وبال", "وكال", "فبال", "ولل", "فلل", "وال", "فال", "بال", "كال", "لل", "ال", "وب", "ول", "وك", "فب",
               "فل", "و", "ف", "ب", "ل", "ك")


# The gazetteer flags a word may have (feature "g=flag"), and those it also lends its neighbours.
_OWN_FLAGS = ("given", "title", "hon", "fn", "first", "last", "ncl", "agiven")
_CONTEXT_FLAGS = frozenset({"given", "title", "fn", "last", "ncl", "agiven"})


@dataclass(frozen=True, slots=True)
class Gazetteer:
    given: frozenset[str]  # given names that are no common word once normalized (flag "given")
    titles: frozenset[str]  # every word of every title or role
    honorifics: frozenset[str]
    function_words: frozenset[str]  # prepositions, pronouns, verbs of saying: the not-name words of titles.json
    name_first: frozenset[str]  # first words of registry names
    name_last: frozenset[str]  # last words of registry names and their short forms
    clusters: dict[str, tuple[str, str]]  # word -> (coarse, fine) distributional cluster (bench/build_clusters.py)
    # word -> its word-vector clusters, coarse to fine (bench/build_word_vectors.py)
    vector_clusters: dict[str, tuple[str, str, str]]
    name_clusters_words: frozenset[str]  # the words of the clusters that are mostly names (learned given names)
    # words the recognizer tags as person names in the shared corpus (PERSON_LEXICON_FILE): what people extraction
    # asks of a word with the article tagged a person alone ("الحريري" yes, "الزعيمان" no); not a feature of the
    # model (trained on the lexicon of its own training names, the model leaned on it)
    corpus_names: frozenset[str] = frozenset()
    # given names that are also common words once normalized, "?" in given_names.txt (flag "agiven": علي = على,
    # أمل = hope, حكمت = "ruled"): a flag of their own, so that the model weighs them apart from the others
    ambiguous_given: frozenset[str] = frozenset()
    # (feature "g=flag", the words that have it, whether a word lends it to its neighbours), in _OWN_FLAGS order
    flag_sets: tuple[tuple[str, frozenset[str], bool], ...] = ()

    def __post_init__(self) -> None:
        members = (self.given, self.titles, self.honorifics, self.function_words, self.name_first, self.name_last,
                   self.name_clusters_words, self.ambiguous_given)
        object.__setattr__(self, "flag_sets", tuple((f"g={flag}", words, flag in _CONTEXT_FLAGS)
                                                    for flag, words in zip(_OWN_FLAGS, members, strict=True)))


def _clean(text: str) -> str:
    return " ".join(normalize(text).split())


def person_lexicon(path: Path) -> frozenset[str]:
    """The words of the person lexicon (word, times met, times tagged a person, of those in a name of two or more
    words, times tagged a place or an organization) that pass the LEXICON_ cuts above: "غورباتشوف", "يلتسين",
    "مالمستروم", which no given-name list or title holds."""
    words = set()
    for line in data_lines(path):
        word, *numbers = line.split("\t")
        met, person, in_longer, other = ([int(n) for n in numbers] + [0, 0, 0, 0])[:4]
        if met >= LEXICON_MIN_COUNT and person >= LEXICON_MIN_SHARE * met \
                and in_longer >= LEXICON_MIN_IN_LONGER * person and person >= LEXICON_PERSON_OVER_OTHER * other:
            words.add(word)
    return frozenset(words)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    given_lines = data_lines(DATA_DIR / "given_names.txt")
    ambiguous_given = {_clean(word[1:]) for word in given_lines if word.startswith("?")}
    given = {_clean(word) for word in given_lines if not word.startswith("?")} - ambiguous_given
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
    vector_clusters: dict[str, tuple[str, str, str]] = {}
    for line in data_lines(VECTOR_CLUSTERS_FILE):
        word, *ids = line.split("\t")
        if len(ids) == 3:
            vector_clusters[word] = (ids[0], ids[1], ids[2])
    known = given | ambiguous_given | first | last
    return Gazetteer(frozenset(given), frozenset(title_words), frozenset(honorifics), frozenset(function_words),
                     frozenset(first), frozenset(last), clusters, vector_clusters,
                     _name_cluster_words(clusters, known, function_words | title_words),
                     person_lexicon(PERSON_LEXICON_FILE), frozenset(ambiguous_given))


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


# What ends a sentence for the recognizer, beside a line end: stops, colons, brackets, quotes and bars. It reads
# every sentence of an article (sentence_ranges); bench/train_ner.py and bench/build_word_vectors.py cut the shared
# corpus the same way.
_STOP_TOKENS = frozenset(".!?؟؛:()[]{}«»\"“”|")
STOP_CLASS = "".join(re.escape(ch) for ch in sorted(_STOP_TOKENS))
_STOPS = "".join(sorted(_STOP_TOKENS))  # the same for the compiled tokenizer (range_ids)
# a sentence: a run between stops and line ends holding something other than white space
_SENTENCE = re.compile(f"[^\n{STOP_CLASS}]*[^\\s{STOP_CLASS}][^\n{STOP_CLASS}]*")


def sentence_ranges(normalized: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of NORMALIZED: what the recognizer tags, one sentence at a time."""
    return [match.span() for match in _SENTENCE.finditer(normalized)]


# _PROCLITICS by their first letter, in the same order: most words open with a letter that starts none
_PROCLITICS_BY_LETTER = {letter: tuple(p for p in _PROCLITICS if p[0] == letter)
                         for letter in {p[0] for p in _PROCLITICS}}


def core(word: str) -> str:
    """The word without the proclitics and article it opens with, when three letters stay."""
    for prefix in _PROCLITICS_BY_LETTER.get(word[:1], ()):
        if word.startswith(prefix) and len(word) - len(prefix) >= 3:
            return word[len(prefix):]
    return word


_BUCKETS = tuple(str(min(12, int(math.log2(count)))) for count in range(1, 1 << 12))  # counts 1 to 4095


# _frequency_bucket by count, for counts 0 to 4,096 (and more: the last one)
_BUCKET_BY_COUNT = ("0", *_BUCKETS, "12")


def _frequency_bucket(word: str) -> str:
    """The word's corpus frequency on a log2 scale, 0 to 12 (4,096 and more)."""
    count = frequency(word)
    return "0" if not count else _BUCKETS[count - 1] if count < 1 << 12 else "12"




def word_features(word: str, gaz: Gazetteer) -> tuple[list[str], list[str]]:
    """What a word says about itself, and what it says about its neighbours (its identity, its core, its cluster
    and its gazetteer flags), independent of where it stands."""
    if not word[0].isalpha():
        return ["w=" + word, "digit" if word.isdigit() else "punct"], ["w=" + word]
    stem = core(word)
    out = ["w=" + word, "c=" + stem, "p2=" + word[:2], "p3=" + word[:3], "s2=" + word[-2:], "s3=" + word[-3:],
           "cs2=" + stem[-2:], "cp2=" + stem[:2], "f=" + _frequency_bucket(word), "cf=" + _frequency_bucket(stem),
           "len=" + str(min(len(stem), 9))]
    context = ["w=" + word, "c=" + stem]
    if word != stem:
        out.append("pre=" + word[: len(word) - len(stem)])
    if word.isascii():
        out.append("latin")
    cluster = gaz.clusters.get(word) or gaz.clusters.get(stem)
    if cluster:
        out.append("k=" + cluster[0])
        context.append("k=" + cluster[0])
    vector_cluster = gaz.vector_clusters.get(word) or gaz.vector_clusters.get(stem)
    if vector_cluster:
        out += ["v1=" + vector_cluster[0], "v2=" + vector_cluster[1], "v3=" + vector_cluster[2]]
        context.append("v2=" + vector_cluster[1])
    for flag, members, lent in gaz.flag_sets:
        if word in members or stem in members:
            out.append(flag)
            if lent:
                context.append(flag)
    return out, context


_OFFSETS = (-2, -1, 1, 2)
# The tagger decodes sentences of up to 12 words, of 13 to 32, and longer ones in three groups (NameTagger._names).
_LENGTH_GROUPS = (12, 32)
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
            found = self.own[word] = word_features(word, self.gaz)[0]
        return found

    def _context(self, word: str) -> list[list[str]]:
        found = self.context.get(word)
        if found is None:
            if len(self.context) > self.limit:
                self.context.clear()
            base = word_features(word, self.gaz)[1]
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


class WordScorer:
    """The summed weights of words' features, for many words at once: per word, its own score for each label and
    what it adds to each of its neighbours' (the slots of _OFFSETS), the sums of the rows of MATRIX that
    word_features' features name.

    Instead of making each word's feature strings and looking each up, the weights are kept by feature template
    ("p2", "s3", "k", "g", ...: the text before "="), and one template is done for all the words at once: its
    values (word[:2], the cluster, ...) looked up in its table with map(). Each word's rows are then added by one
    np.add.reduceat over all the words, in word_features' order of features, exactly as the plain way (a list of
    feature strings per word) adds them, so every score is the same to the last bit
    (tests/test_extract_speedups.py)."""

    def __init__(self, matrix: np.ndarray, own_rows: dict[str, int], context_rows: dict[str, tuple[int, ...]],
                 gaz: Gazetteer):
        self.matrix = matrix
        self.gaz = gaz
        self.own: dict[str, dict[str | None, int]] = {}  # template -> value -> row ("": features without "=")
        for attribute, row in own_rows.items():
            template, equals, value = attribute.partition("=")
            self.own.setdefault(template if equals else "", {})[value if equals else template] = row
        self.context: dict[str, dict[str | None, tuple[int, ...]]] = {}  # template -> value -> row per slot
        for feature, slots in context_rows.items():
            template, _, value = feature.partition("=")
            self.context.setdefault(template, {})[value] = slots
        self.empty = (0,) * len(_OFFSETS)
        # the row of the frequency bucket of each count (0 to 4,096), for the word ("f") and its core ("cf")
        self.bucket_rows = {template: np.array(self._rows(template, _BUCKET_BY_COUNT), dtype=np.intp)
                            for template in ("f", "cf")}

    def plan(self) -> tuple[Any, ...]:
        """What the compiled scorer (archive/extract/_loops.c score_words) reads: the same tables, in the order of
        word_features' features."""
        own, context, empty = self.own, self.context, self.empty
        gaz = self.gaz
        # per flag, its own row and the rows it lends (None: lent to nobody); which words have it: _word_table
        flags = tuple((own.get("g", {}).get(flag[2:], 0), context.get("g", {}).get(flag[2:], empty) if lent
                       else None) for flag, _, lent in gaz.flag_sets)
        return (self.matrix, _PROCLITICS_BY_LETTER,
                np.ascontiguousarray(self.bucket_rows["f"], dtype=np.int64),
                np.ascontiguousarray(self.bucket_rows["cf"], dtype=np.int64),
                tuple(own.get(template, {}) for template in _COMPILED_OWN),
                tuple(own.get("len", {}).get(length, 0) for length in _LENGTHS),
                own.get("", {}).get("latin", 0), own.get("", {}).get("digit", 0), own.get("", {}).get("punct", 0),
                tuple(context.get(template, {}) for template in _COMPILED_CONTEXT), flags, self._word_table())

    def _word_table(self) -> dict[str, tuple[Any, ...]]:
        """Everything the compiled scorer would look up by a whole word, in one table: word -> (its "w" row, its
        "c" row, the rows its "w" and its "c" lend per slot, its cluster, its vector clusters, the flags it has as
        bits in flag_sets' order, its corpus frequency). Words in none of those tables are absent. Two look-ups a
        new word (itself and its core) instead of some thirty in tables too large for the processor's caches: the
        scorer's cost was those memory reads."""
        own_w, own_c = self.own.get("w", {}), self.own.get("c", {})
        lent_w, lent_c = self.context.get("w", {}), self.context.get("c", {})
        gaz, empty, counts = self.gaz, self.empty, frequency_table()
        masks: dict[str, int] = {}
        for bit, (_, members, _) in enumerate(self.gaz.flag_sets):
            for member in members:
                masks[member] = masks.get(member, 0) | 1 << bit
        tables: tuple[dict[Any, Any], ...] = (own_w, own_c, lent_w, lent_c, gaz.clusters, gaz.vector_clusters, masks,
                                              counts)
        words: list[str] = [word for word in set().union(*tables) if isinstance(word, str) and word]
        assert loops.COMPILED is not None  # (the plan is the compiled scorer's)
        return loops.COMPILED.word_table(words, tables, (0, 0, empty, empty, None, None, 0, 0))

    def _rows(self, template: str, values: Iterable[str | None]) -> list[int]:
        """The row of each value's feature (0: not in the model, or None: the word has no such feature)."""
        return list(map(self.own.get(template, {}).get, values, itertools.repeat(0)))

    def _bucket_rows(self, template: str, words: list[str]) -> list[int]:
        """The rows of the words' _frequency_bucket features."""
        counts = np.array(frequencies(words), dtype=np.int64)
        return self.bucket_rows[template][np.minimum(counts, len(_BUCKET_BY_COUNT) - 1)].tolist()

    def _context_rows(self, template: str, values: Iterable[str | None]) -> list[tuple[int, ...]]:
        return list(map(self.context.get(template, {}).get, values, itertools.repeat(self.empty)))

    def scores(self, words: Sequence[str]) -> np.ndarray:
        """(len(WORDS), 1 + len(_OFFSETS), labels): per word, its own scores, then what it adds to the word 2 and
        1 after it and 1 and 2 before it."""
        out = np.zeros((len(words), len(_OFFSETS) + 1, self.matrix.shape[1]))
        letters: list[int] = []
        others: list[int] = []
        for i, word in enumerate(words):
            (letters if word[0].isalpha() else others).append(i)
        if letters:
            out[letters] = self._add(*self._letter_rows([words[i] for i in letters]))
        if others:
            out[others] = self._add(*self._other_rows([words[i] for i in others]))
        return out

    def _other_rows(self, words: list[str]) -> tuple[list[list[int]], list[list[tuple[int, ...]]]]:
        """Digits and punctuation: their identity and "digit" or "punct"; they lend their identity."""
        return ([self._rows("w", words), self._rows("", ["digit" if word.isdigit() else "punct" for word in words])],
                [self._context_rows("w", words)])

    def _add(self, own_rows: list[list[int]], context_rows: list[list[tuple[int, ...]]]) -> np.ndarray:
        """OWN_ROWS, per feature, the row of each word's own feature (0 where it has none); CONTEXT_ROWS the same
        for what it lends each neighbour (a row per slot). Per word and slot: row 0, then its rows that are not 0 in
        order, added by one reduceat (the plain way's exact sums)."""
        own = np.array(own_rows, dtype=np.intp).T  # (words, features)
        context = np.array(context_rows, dtype=np.intp).transpose(1, 2, 0)  # (words, slots, features)
        count = len(own)
        width = 1 + max(own.shape[1], context.shape[2])
        layout = np.zeros((count, len(_OFFSETS) + 1, width), dtype=np.intp)
        layout[:, 0, 1: 1 + own.shape[1]] = own
        layout[:, 1:, 1: 1 + context.shape[2]] = context
        kept = layout != 0
        kept[:, :, 0] = True
        lengths = kept.sum(2).ravel()
        starts = np.zeros(len(lengths), dtype=np.intp)
        np.cumsum(lengths[:-1], out=starts[1:])
        return np.add.reduceat(self.matrix[layout[kept]], starts).reshape(count, len(_OFFSETS) + 1, -1)

    def _letter_rows(self, words: list[str]) -> tuple[list[list[int]], list[list[tuple[int, ...]]]]:
        """Rows of words of letters, by feature in word_features' order: their own, and those they lend."""
        gaz = self.gaz
        stems = [core(word) if word[0] in _PROCLITICS_BY_LETTER else word for word in words]
        pairs = list(zip(words, stems, strict=True))
        clusters = [gaz.clusters.get(word) or gaz.clusters.get(stem) for word, stem in pairs]
        coarse = [cluster[0] if cluster else None for cluster in clusters]
        vectors = [gaz.vector_clusters.get(word) or gaz.vector_clusters.get(stem) for word, stem in pairs]
        middle = [vector[1] if vector else None for vector in vectors]
        flags = [(flag[2:], [flag[2:] if word in members or stem in members else None for word, stem in pairs], lent)
                 for flag, members, lent in gaz.flag_sets]
        own = [
            self._rows("w", words), self._rows("c", stems),
            self._rows("p2", [word[:2] for word in words]), self._rows("p3", [word[:3] for word in words]),
            self._rows("s2", [word[-2:] for word in words]), self._rows("s3", [word[-3:] for word in words]),
            self._rows("cs2", [stem[-2:] for stem in stems]), self._rows("cp2", [stem[:2] for stem in stems]),
            self._bucket_rows("f", words), self._bucket_rows("cf", stems),
            self._rows("len", [_LENGTHS[min(len(stem), 9)] for stem in stems]),
            self._rows("pre", [word[: len(word) - len(stem)] if word != stem else None for word, stem in pairs]),
            self._rows("", ["latin" if word.isascii() else None for word in words]),
            self._rows("k", coarse),
            self._rows("v1", [vector[0] if vector else None for vector in vectors]), self._rows("v2", middle),
            self._rows("v3", [vector[2] if vector else None for vector in vectors]),
            *(self._rows("g", values) for _, values, _ in flags),
        ]
        context = [self._context_rows("w", words), self._context_rows("c", stems), self._context_rows("k", coarse),
                   self._context_rows("v2", middle),
                   *(self._context_rows("g", values) for _, values, lent in flags if lent)]
        return own, context


_LENGTHS = tuple(str(length) for length in range(10))
# the templates of the compiled scorer's tables (archive/extract/_loops.c score_words), in the order it reads them
_COMPILED_OWN = ("w", "c", "p2", "p3", "s2", "s3", "cs2", "cp2", "pre", "k", "v1", "v2", "v3")
_COMPILED_CONTEXT = ("w", "c", "k", "v2")


@dataclass(frozen=True, slots=True)
class ModelWeights:
    """What the tagger reads of a crfsuite model, as pycrfsuite's Tagger.info() gives it: the labels (name -> its
    number, as text), {(attribute, label): weight} and {(label, label): weight}."""
    labels: dict[str, str]
    state_features: dict[tuple[str, str], float]
    transitions: dict[tuple[str, str], float]


_DUMP_SECTION = re.compile(r"^(LABELS|TRANSITIONS|STATE_FEATURES) = \{\n(.*?)^\}", re.M | re.S)
# a section's line as pycrfsuite's dump parser reads it (leading white space off, the pattern from the line's start)
_DUMP_LABEL = re.compile(r"^[ \t]*(\d+): ([^\r\n]*)", re.M)
_DUMP_WEIGHT = re.compile(r"^[ \t]*\(\d+\) ([^\n]+) --> ([^\n]+): ([+-]?\d+\.\d+)", re.M)


def read_model(model_file: Path) -> ModelWeights:
    """The weights of a crfsuite model, from its text dump read by three regex passes over the whole text: what
    pycrfsuite's Tagger.info() gives (tests/test_ner.py compares them), which reads the same dump a line at a time
    in Python, ~0.6 s of every process start (each `inspect`, `add` and extraction process)."""
    reader = pycrfsuite.Tagger()
    reader.open(str(model_file))
    with tempfile.TemporaryDirectory(prefix="ner-dump-") as folder:
        dump = Path(folder) / "model.txt"
        reader.dump(str(dump))
        text = dump.read_bytes().decode("utf-8")
    reader.close()
    sections = {name: body for name, body in _DUMP_SECTION.findall(text)}
    labels = {name: number for number, name in _DUMP_LABEL.findall(sections.get("LABELS", ""))}

    def weights(section: str) -> dict[tuple[str, str], float]:
        return {(first, second): float(weight)
                for first, second, weight in _DUMP_WEIGHT.findall(sections.get(section, ""))}

    return ModelWeights(labels, weights("STATE_FEATURES"), weights("TRANSITIONS"))


class NameTagger:
    """The trained CRF, opened once per process; `tag(text, ranges)` finds names in parts of normalized text.

    Decoding is our own Viterbi over the model's weights, not crfsuite's: a linear-chain CRF's score for a
    label at a word is the sum of the weights of the word's features, and every feature here belongs either to
    the word itself or to one neighbour, so the sum splits into a vector per (word, position of the word) that
    is computed once per distinct word and cached. A sentence then costs a few additions and a 7x7 Viterbi
    step per word instead of looking up thirty feature strings; the tags are the same as crfsuite's
    (tests/test_ner.py checks it)."""

    def __init__(self, model_file: Path = MODEL_FILE):
        info = read_model(model_file)
        self.labels = sorted(info.labels, key=lambda label: int(info.labels[label]))
        index = {label: i for i, label in enumerate(self.labels)}
        size = len(self.labels)
        # one row of label weights per attribute; row 0 is all zeros (every sum starts from it)
        rows: dict[str, int] = {}
        for attribute, _ in info.state_features:
            rows.setdefault(attribute, len(rows) + 1)
        self.matrix = np.zeros((len(rows) + 1, size))
        for (attribute, label), weight in info.state_features.items():
            self.matrix[rows[attribute], index[label]] = weight
        # a word's own attributes -> row; a neighbour's attribute (without its "offset:") -> a row per offset
        prefixes = {f"{offset}:": slot for slot, offset in enumerate(_OFFSETS)}
        self.own_rows: dict[str, int] = {}
        context_rows: dict[str, list[int]] = {}
        for attribute, row in rows.items():
            head, colon, rest = attribute.partition(":")
            slot = prefixes.get(head + colon) if colon else None
            if slot is None:
                self.own_rows[attribute] = row
            else:
                context_rows.setdefault(rest, [0] * len(_OFFSETS))[slot] = row
        self.context_rows = {feature: tuple(slots) for feature, slots in context_rows.items()}
        self.transitions = np.zeros((size, size))
        for (before, after), weight in info.transitions.items():
            self.transitions[index[before], index[after]] = weight
        self.outside = index["O"]
        self.name_columns = [i for label, i in index.items() if label != "O"]
        # for _names' bound: what each label's transition from O, and its best transition from a name label, add
        # over O->O, and the best a transition out of a name into O adds over O->O
        outside, names = self.outside, self.name_columns
        stay = self.transitions[outside, outside]
        self.from_outside = self.transitions[outside, names] - stay
        self.from_name = self.transitions[names][:, names].max(0) - stay
        self.exit_gain = float(self.transitions[names, outside].max() - stay)
        self.bos = self.matrix[rows.get("BOS", 0)]
        self.eos = self.matrix[rows.get("EOS", 0)]
        self.gaz = gazetteer()
        self.word_ids: dict[str, int] = {}
        # per distinct word, (5, labels) scores: its own, then what it adds to the word 2 and 1 after it and 1
        # and 2 before it (the slots of _OFFSETS seen from the neighbour). Row 0 is all zeros (padding). Made at
        # its full size: np.zeros takes zeroed pages from the system as they are first written, so the rows not
        # used yet cost no memory, and the table is never copied to grow.
        self.table = np.zeros((_WORD_CACHE + 1, len(_OFFSETS) + 1, size))
        self.scorer = WordScorer(self.matrix, self.own_rows, self.context_rows, self.gaz)
        # the compiled scorer's tables (archive/extract/_loops.c score_words: the same scores, to the last bit),
        # made when words are first scored (a fifth of a second)
        self._compiled_plan: tuple[Any, ...] | None = None
        # the compiled decoder (archive/extract/_loops.c: the same labels as _decode, to the last tie) and the arrays
        # it reads after the table, the ids and the lengths; None: _decode
        self.decoder = loops.COMPILED

        def doubles(values: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(values, dtype=np.float64)

        self._model = (doubles(self.bos), doubles(self.eos), doubles(self.transitions), self.outside,
                       np.array(self.name_columns, dtype=np.int64), doubles(self.from_outside),
                       doubles(self.from_name), self.exit_gain)

    def _add_words(self, words: Iterable[str]) -> None:
        """Scores of words met for the first time, all at once (the caller makes room: _ids)."""
        words = list(words)
        first = len(self.word_ids) + 1
        needed = first + len(words)
        if needed > len(self.table):  # more new words in one batch than the cache holds
            grown = np.zeros((needed, *self.table.shape[1:]))
            grown[: len(self.table)] = self.table
            self.table = grown
        if loops.COMPILED is not None:
            if self._compiled_plan is None:
                self._compiled_plan = self.scorer.plan()
            scores = np.frombuffer(loops.COMPILED.score_words(words, self._compiled_plan), dtype=np.float64)
            self.table[first:needed] = scores.reshape(len(words), len(_OFFSETS) + 1, len(self.labels))
        else:
            self.table[first:needed] = self.scorer.scores(words)
        self.word_ids.update(zip(words, range(first, needed), strict=True))

    def tag_sentences(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """Viterbi over several sentences at once (one pass of array operations per position, for all of them)."""
        out = []
        for found, sentence in zip(self._names(sentences), sentences, strict=True):
            tags = ["O"] * len(sentence)
            for position, label in found or ():
                tags[position] = self.labels[label]
            out.append(tags)
        return out

    def _names(self, sentences: Sequence[Sequence[str]]) -> list[list[tuple[int, int]] | None]:
        """For each sentence, the (position, label index) of the words its best path does not tag O, or None when
        the path is all O.

        Exact pruning: a run [a, b] of name labels between O words (or a sentence's edges) adds to a path's score,
        over O words in its place, at most first(a) + inner(a+1) + ... + inner(b) + exit, where first(i) is the
        best over name labels of (the word's score for the label + the O->label transition) minus (its score for O
        + O->O), inner(i) the same with the label's best transition from a name label, and exit what the best
        label->O transition adds over O->O (no transition terms at a sentence's edges). A word lying in no run
        whose bound is positive is O on the best path, and the best path splits there into independent segments
        between O words: only those are decoded, each opened by an O->label transition and closed by a label->O
        one. Most words are O by this bound (entering and leaving a name cost transitions), so the decoding
        loop runs over the longest segment, a name and a word or two around it, not the longest sentence."""
        out: list[list[tuple[int, int]] | None] = [None] * len(sentences)
        kept = [i for i, sentence in enumerate(sentences) if sentence]
        if not kept:
            return out
        self._ids(sentences[i] for i in kept)
        if self.decoder is not None:
            flat = [word for i in kept for word in sentences[i]]
            ids = np.fromiter(map(self.word_ids.__getitem__, flat), dtype=np.int64, count=len(flat))
            lengths = np.array([len(sentences[i]) for i in kept], dtype=np.int64)
            for i, found in zip(kept, self.decoder.decode(self.table, len(self.labels), ids, lengths, *self._model),
                                strict=True):
                out[i] = found
            return out
        # Sentences of similar length decoded together: one array for all of them would pad every sentence to the
        # longest (a few long sentences among hundreds of short ones: four times the work); more groups would cost
        # more array operations than they save.
        groups: dict[int, list[int]] = {}
        for i in kept:
            groups.setdefault(bisect.bisect_left(_LENGTH_GROUPS, len(sentences[i])), []).append(i)
        for _, group in sorted(groups.items()):
            for i, found in zip(group, self._decode([sentences[i] for i in group]), strict=True):
                out[i] = found
        return out

    def _ids(self, sentences: Iterable[Sequence[str]]) -> None:
        """Makes sure every word of SENTENCES has its row of scores (self.word_ids), computing the missing ones."""
        words = set(itertools.chain.from_iterable(sentences))
        new = words.difference(self.word_ids)
        if len(self.word_ids) + len(new) > _WORD_CACHE:
            # the cache is full: start again with this batch's words (the table's rows are overwritten from row 1)
            self.word_ids.clear()
            new = words
        if new:
            self._add_words(new)

    def _grid_scores(self, grid: np.ndarray) -> np.ndarray:
        """(sentences, words, labels): each word's score for each label, its own plus what its two neighbours on
        each side add. GRID: the word ids of each sentence (a row), with two padding ids (0) at each end. Each
        slot of the table is gathered only where it is used, not all five slots of every word then sliced: the
        same additions in the same order, with less memory moved."""
        table = self.table
        return (table[grid[:, 2:-2], 0] + table[grid[:, :-4], 1] + table[grid[:, 1:-3], 2]
                + table[grid[:, 3:-1], 3] + table[grid[:, 4:], 4])

    def _decode(self, sentences: Sequence[Sequence[str]]) -> list[list[tuple[int, int]] | None]:
        """_names of non-empty SENTENCES whose words all have their scores."""
        out: list[list[tuple[int, int]] | None] = [None] * len(sentences)
        flat = [word for sentence in sentences for word in sentence]
        ids = np.fromiter(map(self.word_ids.__getitem__, flat), dtype=np.intp, count=len(flat))
        count = len(sentences)
        lengths = np.array([len(sentence) for sentence in sentences])
        longest = int(lengths.max())
        # one row per sentence: two padding words (id 0, all zeros) each side, so that a neighbour's slot for an
        # offset of up to 2 never reaches into another sentence and the shifted additions need no masks
        grid = np.zeros((count, longest + 4), dtype=np.intp)
        valid = np.arange(longest)[None, :] < lengths[:, None]
        grid[:, 2:-2][valid] = ids
        scores = self._grid_scores(grid)
        scores[:, 0] += self.bos
        scores[np.arange(count), lengths - 1] += self.eos
        outside_score = scores[:, :, self.outside]
        name_scores = scores[:, :, self.name_columns]
        inner = np.where(valid, (name_scores + self.from_name).max(2) - outside_score, -1e9)
        first = (name_scores + self.from_outside).max(2) - outside_score
        first[:, 0] = name_scores[:, 0].max(1) - outside_score[:, 0]  # no transition into a sentence's first word
        # bound(a, b) = first[a] - inner[a] + (inner[a] + ... + inner[b]) + exit[b]
        #             = (first[a] - inner[a] - sums[a]) + (sums[b + 1] + exit[b])
        sums = np.zeros((count, longest + 1))
        np.cumsum(inner, axis=1, out=sums[:, 1:])
        opening = np.maximum.accumulate(np.where(valid, first - inner - sums[:, :-1], -1e9), axis=1)
        closing = sums[:, 1:] + np.where(np.arange(longest)[None, :] < (lengths - 1)[:, None], self.exit_gain, 0.0)
        closing = np.maximum.accumulate(closing[:, ::-1], axis=1)[:, ::-1]
        candidate = np.zeros((count, longest + 1), dtype=np.int8)  # a False column ends every row's last run
        candidate[:, :-1] = (opening + closing > -1e-9) & valid
        edges = np.diff(candidate.ravel(), prepend=0)
        run_starts = np.flatnonzero(edges == 1)
        if not len(run_starts):
            return out
        run_lengths = np.flatnonzero(edges == -1) - run_starts
        row, start = np.divmod(run_starts, longest + 1)
        span = int(run_lengths.max())
        positions = np.minimum(start[:, None] + np.arange(span)[None, :], longest - 1)
        runs = scores[row[:, None], positions]  # (runs, span, labels); past a run's end: not used
        runs[:, 0] += np.where((start > 0)[:, None], self.transitions[self.outside][None, :], 0.0)
        last = start + run_lengths - 1
        runs[np.arange(len(row)), run_lengths - 1] += np.where((last < lengths[row] - 1)[:, None],
                                                               self.transitions[:, self.outside][None, :], 0.0)
        transitions = self.transitions
        best = runs[:, 0]
        history = [best]
        backs = []
        for i in range(1, span):
            candidates = best[:, :, None] + transitions
            back = candidates.argmax(1)
            backs.append(back)
            # the best candidate read at its argmax: the same value as candidates.max(1), one reduction fewer
            best = np.take_along_axis(candidates, back[:, None, :], 1)[:, 0] + runs[:, i]
            history.append(best)
        every = np.arange(len(row))
        ends = np.stack(history)[run_lengths - 1, every].argmax(1)
        # back-tracking, all runs at once: a run's path starts at its last word (earlier, its values are unused)
        paths = np.zeros((len(row), span), dtype=np.intp)
        label = ends
        for i in range(span - 1, -1, -1):
            label = np.where(run_lengths - 1 == i, ends, label)
            paths[:, i] = label
            if i:
                label = backs[i - 1][every, label]
        named = (paths != self.outside) & (np.arange(span)[None, :] < run_lengths[:, None])
        which, offset = np.nonzero(named)
        for sentence, position, label_index in zip(row[which].tolist(), (start[which] + offset).tolist(),
                                                   paths[which, offset].tolist(), strict=True):
            found = out[sentence]
            if found is None:
                found = out[sentence] = []
            found.append((position, label_index))
        return out

    def tag_words(self, words: Sequence[str]) -> list[str]:
        return self.tag_sentences([words])[0] if words else []

    def tag(self, text: str, ranges: Iterable[tuple[int, int]] | None = None) -> list[Entity]:
        """Entities in normalized TEXT, or only in the given (start, end) character ranges of it, each range
        tagged as one sentence."""
        parts = [(int(start), int(end)) for start, end in ranges] if ranges is not None else [(0, len(text))]
        return self.tag_many([(text, parts)])[0]

    def tag_many(self, texts: Sequence[tuple[str, Sequence[tuple[int, int]] | None]]) -> list[list[Entity]]:
        """tag() for many (text, ranges) at once: one pass of array operations for all their sentences. Ranges
        None: every sentence of the text (sentence_ranges)."""
        if self.decoder is not None and loops.COMPILED is not None:
            return self._tag_many_compiled(texts)
        parts = [(text, ranges if ranges is not None else sentence_ranges(text)) for text, ranges in texts]
        word_lists = [TOKEN.findall(text, start, end) for text, ranges in parts for start, end in ranges]
        found_all = iter(self._names(word_lists))
        out = []
        for text, ranges in parts:
            entities: list[Entity] = []
            for start, end in ranges:
                found = next(found_all)
                if found is not None:
                    entities += self._entities(text, start, end, found)
            out.append(entities)
        return out

    def _tag_many_compiled(self, texts: Sequence[tuple[str, Sequence[tuple[int, int]] | None]]
                           ) -> list[list[Entity]]:
        """tag_many with the compiled loops (archive/extract/_loops.c): every part's tokens found and numbered by
        their rows in the table in one call (range_ids: no list of words, no Python step per word; a text's
        sentences cut there too), the words met for the first time scored at once, then the compiled decoder."""
        compiled = loops.COMPILED
        assert compiled is not None and self.decoder is not None
        ids_bytes, length_bytes, span_bytes, missing, part_bytes = compiled.range_ids(
            texts, _TOKEN_LETTER_RANGES, self.word_ids, _STOPS)
        if missing and len(self.word_ids) + len(missing) > _WORD_CACHE:
            # the cache is full: start again with these texts' words (the table's rows are overwritten from row 1)
            self.word_ids.clear()
            ids_bytes, length_bytes, span_bytes, missing, part_bytes = compiled.range_ids(
                texts, _TOKEN_LETTER_RANGES, self.word_ids, _STOPS)
        ids = np.frombuffer(ids_bytes, dtype=np.int64)
        if missing:
            self._add_words(missing)
            ids = ids.copy()
            new = ids < 0  # -(k + 1): the k-th missing word
            ids[new] = np.fromiter(map(self.word_ids.__getitem__, missing), dtype=np.int64,
                                   count=len(missing))[-ids[new] - 1]
        lengths = np.frombuffer(length_bytes, dtype=np.int64)
        held = np.flatnonzero(lengths)
        found_all: list[list[tuple[int, int]] | None] = [None] * len(lengths)
        if len(held):
            for part, found in zip(held.tolist(), self.decoder.decode(self.table, len(self.labels), ids,
                                                                      lengths[held], *self._model), strict=True):
                found_all[part] = found
        spans = memoryview(span_bytes).cast("i")
        firsts = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=firsts[1:])
        out = []
        part = 0
        for (text, _), count in zip(texts, memoryview(part_bytes).cast("q"), strict=True):
            entities: list[Entity] = []
            for _ in range(count):
                found = found_all[part]
                if found is not None:  # only parts holding a name need their tokens' offsets
                    first = 2 * int(firsts[part])
                    entities += self._entities(text, 0, len(text), found,
                                               spans[first: first + 2 * int(lengths[part])])
                part += 1
            out.append(entities)
        return out

    def _entities(self, text: str, start: int, end: int, found: list[tuple[int, int]],
                  spans: Sequence[int] | None = None) -> list[Entity]:
        """spans_from_tags over the words of TEXT[START:END] with FOUND's labels and O elsewhere, read from FOUND
        alone: a word missing between two of its positions is an O. SPANS: where each word starts and ends (pairs,
        flat), when the tokenizer gave them (START and END are not read then); else the words from the first named
        one to the last are tokenized again (the word before the first is O, so the entities are those of the whole
        sentence)."""
        found = sorted(found)
        first = found[0][0]
        if spans is None:
            matches = itertools.islice(TOKEN.finditer(text, start, end), first, found[-1][0] + 1)
            spans = [at for match in matches for at in match.span()]
            first_pair = 2 * first
        else:
            first_pair = 0
        labels = self.labels
        entities: list[Entity] = []
        label = ""
        begin = finish = previous = -1
        for position, index in found:
            tag = labels[index]
            kind = tag[2:]
            if label and (position != previous + 1 or tag.startswith("B-") or kind != label):
                entities.append(Entity(begin, finish, label, " ".join(text[begin:finish].split())))
                label = ""
            pair = 2 * position - first_pair
            if not label:  # a B- tag, or an I- tag without its B- (the CRF rarely does that), opens an entity
                label, begin = kind, spans[pair]
            finish = spans[pair + 1]
            previous = position
        if label:
            entities.append(Entity(begin, finish, label, " ".join(text[begin:finish].split())))
        return entities


@lru_cache(maxsize=1)
def name_tagger() -> NameTagger | None:
    """The process's tagger, or None when the model file is missing (then only the registry and the rules find
    people)."""
    return NameTagger() if MODEL_FILE.exists() else None
