"""People named in an article, each under one canonical name.

Two sources of evidence, both matched on normalize()d text (so أردوغان/اردوغان, harakat and ة/ه agree):

1. The registry (archive/data/people.tsv): canonical name, spelling variants, short forms, context words.
   A full name or variant always counts. A short form (a family name alone: "بوتين") counts when it is
   unambiguous; an ambiguous one ("?الأسد": also "the lion") only when the full name is in the same
   article, a title stands right before it ("الرئيس الأسد"), or one of its context words appears.
2. Discovery of names the registry lacks, from their context: a title or role, a few qualifier words,
   then a name opening with a known given name (archive/data/given_names.txt): "وزير الخارجية السوري
   فيصل المقداد", "المتحدث باسم الكرملين دميتري بيسكوف", "الخبير ... كيريل سيميونوف"; and a name
   followed by its role in a list ("ألكسندر يفيموف سفير روسيا"). Spelling variants of one discovered name
   within an article merge on a consonant skeleton (سيميونوف/سيمينوف), and a discovered name whose
   skeleton is a registry person's becomes that person.

Precision over recall: a title alone ("الرئيس الروسي") is never a person, and nothing is taken from
removed page furniture (callers pass the cleaned body).
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import json
import re
import unicodedata
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from archive.extract import loops
from archive.extract.entity_tables import PLACE, PLACES_FILE, load_entries
from archive.extract.ner import TOKEN, Entity, NameTagger, core, gazetteer, name_tagger
from archive.resources import DATA_DIR
from archive.text.charsets import ARABIC_LETTER_RANGE, DEFINITE_ARTICLE, after_lam_forms, code_point_ranges
from archive.text.normalize import normalize
from archive.text.stemmer import frequency

LETTERS = ARABIC_LETTER_RANGE + "a-z"
_EDGE_BEFORE = f"(?<![{LETTERS}])"
_EDGE_AFTER = f"(?![{LETTERS}])"
# proclitics a name can carry: و ف ب ل ك and their pairs ("وبوتين", "لبوتين", "وللأسد" is handled as a form)
_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")
_PROCLITIC = "(?:" + "|".join(_PROCLITICS) + ")?"
_WORD = re.compile(f"[{LETTERS}0-9]+|[^\\s{LETTERS}0-9]+")
# a word as the registry scans see it: a run of letters (what _EDGE_BEFORE/_EDGE_AFTER delimit)
_ALPHA_WORD = re.compile(f"[{LETTERS}]+")
_SENTENCE_PUNCT = set(".:؛;!?؟()[]{}\"“”«»'|/")


@lru_cache(maxsize=1 << 16)
def _clean(name: str) -> str:
    """NAME normalized, spaces collapsed (cached: the same names and words are asked about again and again)."""
    return " ".join(normalize(name).split())


# ---------------------------------------------------------------- trie regex


def trie_regex(forms: list[str]) -> str:
    """One regex alternation for many literal forms, factored as a trie so matching stays fast with
    hundreds of forms (Python's re tries alternatives one by one). A space in a form matches any spaces."""
    trie: dict = {}
    for form in forms:
        node = trie
        for ch in form:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        end = "" in node
        branches = []
        for ch in sorted(k for k in node if k):
            piece = r"\s+" if ch == " " else re.escape(ch)
            branches.append(piece + build(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return build(trie)


_LETTER_CHARS = frozenset(chr(code) for code in range(0x3000) if re.match(f"[{LETTERS}]", chr(code)))


# the code points of LETTERS, for the compiled word_index
_LETTER_RANGES = code_point_ranges(LETTERS)


# A text's words (word_index): each distinct run of letters with the number of its first run; per run, where it starts
# and the number of the next run of the same letters (-1: none)
WordIndex = tuple[dict[str, int], Sequence[int], Sequence[int]]


@lru_cache(maxsize=256)
def word_index(normalized: str) -> WordIndex:
    """The words of NORMALIZED as the scans see them (runs of LETTERS, _ALPHA_WORD's matches) and where each occurs.
    Found in one pass (compiled: archive/extract/_loops.c, a tenth of a regex pass's time) and kept for the texts in
    work: an article's registry, recognizer and family-name scans all ask it of the same text, and its people and
    places are found in batches of PEOPLE_BATCH articles."""
    if loops.COMPILED is not None:
        index, starts, nexts = loops.COMPILED.word_starts(normalized, _LETTER_RANGES)
        return index, memoryview(starts).cast("i"), memoryview(nexts).cast("i")
    index = {}
    start_list: list[int] = []
    next_list: list[int] = []
    last: dict[str, int] = {}
    for run, match in enumerate(_ALPHA_WORD.finditer(normalized)):
        word = match.group()
        start_list.append(match.start())
        next_list.append(-1)
        if word in last:
            next_list[last[word]] = run
        else:
            index[word] = run
        last[word] = run
    return index, start_list, next_list


def _occurrences(norm: str, wanted: Iterable[str]) -> list[tuple[int, int, str]]:
    """(start, end, word) of every whole-word occurrence in NORM of the WANTED words (_ALPHA_WORD's matches that
    equal one of them), in text order: read from word_index. A wanted word that is not a run of letters (no caller
    asks for one) is looked for in the text, with no letter either side."""
    found: list[tuple[int, int, str]] = []
    index, starts, nexts = word_index(norm)
    for word in wanted:
        run = index.get(word)
        if run is not None:
            size = len(word)
            while run >= 0:
                start = starts[run]
                found.append((start, start + size, word))
                run = nexts[run]
        elif word and not _ALPHA_WORD.fullmatch(word):
            found += _whole_word_finds(norm, word)
    found.sort()
    return found


def _whole_word_finds(norm: str, word: str) -> list[tuple[int, int, str]]:
    """Where WORD stands in NORM with no letter right before or after it."""
    found = []
    letters = _LETTER_CHARS
    size = len(norm)
    start = norm.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or norm[start - 1] not in letters) and (end == size or norm[end] not in letters):
            found.append((start, end, word))
        start = norm.find(word, end)
    return found


class FormScanner:
    """A regex of literal forms that matches whole words only, found by trying only the positions where a match
    can start, instead of every position of the text: the same matches as `pattern.finditer`, several times
    cheaper on a news article.

    PATTERN must start with _EDGE_BEFORE, then one of PROCLITICS (optional, literal), then one of FORMS (a
    trie_regex), then _EDGE_AFTER; anything may follow. A match then starts where no letter stands before it:
    either at a word (a run of LETTERS) made of a proclitic and the letters the form opens with (all of the form
    when it is one word: "وبوتين"; its first word: "فلاديمير"), or, for a form opening with a character that is
    no letter ("پزشكيان"), at that character or at a proclitic right before it ("وپزشكيان")."""

    def __init__(self, pattern: str, forms: Iterable[str], proclitics: Iterable[str] = ("",)):
        self.pattern = re.compile(pattern)
        forms, proclitics = list(forms), list(proclitics)
        openings = [_ALPHA_WORD.match(form) for form in forms]
        leading = {opening.group() for opening in openings if opening}
        self.opening_words = frozenset(proclitic + word for word in leading for proclitic in proclitics)
        self.opening_chars = sorted({form[0] for form, opening in zip(forms, openings, strict=True)
                                     if not opening and form})
        self.proclitics = proclitics

    def finditer(self, text: str, words: Collection[str] | None = None) -> Iterator[re.Match[str]]:
        """The matches in TEXT, in order, as pattern.finditer gives them. WORDS: the words of TEXT (text_words)
        when the caller has them."""
        present = self.opening_words.intersection(words if words is not None else _ALPHA_WORD.findall(text))
        starts = [start for start, _, _ in _occurrences(text, present)]
        if self.opening_chars:
            starts = sorted(starts + self._char_starts(text))
        reached = 0
        for start in starts:
            if start < reached:
                continue  # inside the previous match
            match = self.pattern.match(text, start)
            if match is not None:
                reached = match.end()
                yield match

    def search(self, text: str, words: Collection[str] | None = None) -> re.Match[str] | None:
        return next(self.finditer(text, words), None)

    def _char_starts(self, text: str) -> list[int]:
        """Where a match of a form opening with one of the opening characters can start: at the character, or at
        a proclitic right before it, with no letter before either."""
        starts = []
        for char in self.opening_chars:
            at = text.find(char)
            while at >= 0:
                for proclitic in self.proclitics:
                    start = at - len(proclitic)
                    if start >= 0 and text.startswith(proclitic, start) and (
                            start == 0 or text[start - 1] not in _LETTER_CHARS):
                        starts.append(start)
                at = text.find(char, at + 1)
        return starts


def context_scanner(words: list[str]) -> FormScanner:
    """Any of WORDS (normalized) as a whole word."""
    return FormScanner(f"{_EDGE_BEFORE}(?:{trie_regex(words)}){_EDGE_AFTER}", words)


def text_words(normalized: str) -> AbstractSet[str]:
    """The words of normalized text as the scans see them (runs of letters), found once for all of them: the keys
    of word_index's table (a view: a copy into a set of its own cost 2% of extraction)."""
    return word_index(normalized)[0].keys()


# ---------------------------------------------------------------- registry


@dataclass(slots=True)
class Person:
    name: str
    variants: list[str] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    ambiguous_short: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    latin: list[str] = field(default_factory=list)  # Latin-script names: "Donald Trump", "Trump"


_VOWELS = re.compile("[اويءئؤ ]")


def skeleton(name: str) -> str:
    """Normalized name without long vowels, hamza carriers and spaces: transliteration variants meet
    (دميتري/ديمتري/ديميتري -> دمتر, سيميونوف/سيمينوف -> سمنف)."""
    return _VOWELS.sub("", _clean(name))


@dataclass
class Registry:
    people: list[Person]
    forms: dict[str, list[tuple[int, str]]]  # normalized surface -> [(person index, "full"|"short"|"ambiguous")]
    form_scanner: FormScanner  # the forms, with a proclitic: groups "pre" and "name"
    by_key: dict[str, int]  # normalized full name or variant -> person index
    by_skeleton: dict[str, int]
    by_opening: dict[str, int]  # the first two words of a 3+-word full name or variant, when only one person has them
    by_latin: dict[str, int]  # a Latin-script name or short form, lower-cased -> person index
    given: set[str]
    ambiguous_given: set[str]
    titles: set[str]  # normalized single words and phrases that introduce a name
    named_after: set[str]  # "مطار", "جائزة": what follows is named after a person, not a person here
    described: set[str]  # "هجوم": an ambiguous short form after it is a common word describing it ("هجوم بري")
    honorifics: set[str]
    not_name: set[str]
    breakers: set[str]
    particles: set[str]
    trigger_scanner: FormScanner  # titles and honorifics, after و or ف: group "title"
    title_words: set[str]  # every word of every title, for "a name followed by its role"
    honorific_words: set[str]  # every word of every honorific ("صاحب" and "السمو" of "صاحب السمو")
    context_scanners: list[FormScanner | None]  # per person, its context words


def _load_people(path: Path) -> list[Person]:
    people = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("name\t"):
            continue
        cells = [cell.strip() for cell in line.split("\t")] + [""] * 6
        name, variants, short, context, roles, latin = cells[:6]

        def split(cell: str) -> list[str]:
            return [part.strip() for part in cell.split("|") if part.strip()]

        shorts = split(short)
        people.append(Person(
            name=name, variants=split(variants), short=[s for s in shorts if not s.startswith("?")],
            ambiguous_short=[s[1:] for s in shorts if s.startswith("?")], context=split(context), roles=split(roles),
            latin=split(latin),
        ))
    return people


_surfaces = after_lam_forms


@lru_cache(maxsize=1)
def registry() -> Registry:
    people = _load_people(DATA_DIR / "people.tsv")
    forms: dict[str, list[tuple[int, str]]] = {}
    by_key: dict[str, int] = {}
    by_skeleton: dict[str, int] = {}
    openings: dict[str, set[int]] = {}
    for index, person in enumerate(people):
        for full in (person.name, *person.variants):
            key = _clean(full)
            by_key.setdefault(key, index)
            by_skeleton.setdefault(skeleton(full), index)
            if len(key.split()) >= 3:
                opening = " ".join(key.split()[:2])
                openings.setdefault(opening, set()).add(index)
            for surface in _surfaces(key):
                forms.setdefault(surface, []).append((index, "full"))
        for kind, shorts in (("short", person.short), ("ambiguous", person.ambiguous_short)):
            for short in shorts:
                for surface in _surfaces(_clean(short)):
                    forms.setdefault(surface, []).append((index, kind))
    form_scanner = FormScanner(f"{_EDGE_BEFORE}(?P<pre>{_PROCLITIC})(?P<name>{trie_regex(list(forms))}){_EDGE_AFTER}",
                               forms, ("", *_PROCLITICS))

    given: set[str] = set()
    ambiguous_given: set[str] = set()
    for line in (DATA_DIR / "given_names.txt").read_text(encoding="utf-8").splitlines():
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        (ambiguous_given if word.startswith("?") else given).add(_clean(word.lstrip("?")))
    given -= ambiguous_given

    data = json.loads((DATA_DIR / "titles.json").read_text(encoding="utf-8"))
    titles = {_clean(t) for t in data["titles"]}
    honorifics = {_clean(t) for t in data["honorifics"]}
    triggers = sorted(titles | honorifics)
    trigger_scanner = FormScanner(f"{_EDGE_BEFORE}(?:و|ف)?(?P<title>{trie_regex(triggers)}){_EDGE_AFTER}", triggers,
                                  ("و", "ف", ""))
    title_words = {word for t in titles for word in t.split()}
    context_scanners = [context_scanner([_clean(c) for c in person.context]) if person.context else None
                        for person in people]
    return Registry(
        people=people, forms=forms, form_scanner=form_scanner, by_key=by_key, by_skeleton=by_skeleton,
        by_opening={opening: next(iter(indexes)) for opening, indexes in openings.items() if len(indexes) == 1},
        by_latin={_clean(latin): index for index, person in enumerate(people) for latin in person.latin},
        given=given, named_after={_clean(w) for w in data.get("named_after_words", [])},
        described={_clean(w) for w in data.get("described_nouns", [])},
        ambiguous_given=ambiguous_given, titles=titles, honorifics=honorifics,
        not_name={_clean(w) for w in data["not_name_words"]}, breakers={_clean(w) for w in data["clause_breakers"]},
        particles={_clean(w) for w in data["name_particles"]}, trigger_scanner=trigger_scanner,
        title_words=title_words, honorific_words={word for h in honorifics for word in h.split()},
        context_scanners=context_scanners,
    )


def canonical_person(name: str) -> str:
    """The registry's canonical name for NAME (any variant, or an unambiguous short form), else NAME tidied."""
    reg = registry()
    key = _clean(name)
    index = reg.by_key.get(key)
    if index is None:
        entries = [i for i, kind in reg.forms.get(key, []) if kind != "full"]
        if len(set(entries)) == 1:
            index = entries[0]
    if index is None:
        index = reg.by_latin.get(key)
    if index is None:
        index = _by_skeleton(reg, key)
    return reg.people[index].name if index is not None else " ".join(name.split())


def _by_skeleton(reg: Registry, name: str) -> int | None:
    """The registry person NAME (normalized) is another spelling of: same skeleton, and every word a spelling of
    the registered word (so محمد عباس is not محمود عباس, nor سعيد الحريري سعد الحريري)."""
    index = reg.by_skeleton.get(skeleton(name))
    if index is None:
        return None
    person = reg.people[index]
    return index if any(spellings_agree(name, form, MIN_VOWEL_VARIANT_LETTERS_KNOWN)
                        for form in (person.name, *person.variants)) else None


# ---------------------------------------------------------------- extraction


def _deletions() -> re.Pattern[str]:
    """Characters normalize() deletes (harakat, tatweel, zero-width marks): removing just these gives a text
    whose characters line up one-to-one with the normalized text, to show names in their own spelling."""
    candidates = [*range(0x0600, 0x0700), *range(0x0750, 0x0780), *range(0x08D3, 0x0900), *range(0x200B, 0x2010),
                  0x2060, 0xFEFF]
    deleted = "".join(re.escape(chr(cp)) for cp in candidates if normalize(chr(cp)) == "")
    return re.compile(f"[{deleted}]+")


_DELETE = _deletions()
_NEEDS_NFKC = re.compile("[\ufb50-\ufdff\ufe70-\ufeff\u0675-\u0678]")


@lru_cache(maxsize=1)
def _plain_table() -> bytes:
    """_plain as the compiled translate reads it (archive/extract/_loops.c): -2 (deleted) for what _DELETE matches,
    -3 (give up: the plain way) for what _NEEDS_NFKC matches, -1 (kept) for the rest."""
    table = array("i", [-1]) * 65536
    for code in range(65536):
        char = chr(code)
        if _NEEDS_NFKC.match(char):
            table[code] = -3
        elif _DELETE.match(char):
            table[code] = -2
    return table.tobytes()


@lru_cache(maxsize=256)
def _plain(text: str) -> str:
    """TEXT with only what normalize() deletes taken out (NFKC first where needed), in one compiled pass where built.
    Cached for a batch's articles: the people's rules and the places' and organizations' both ask for it, one after
    the other."""
    if loops.COMPILED is not None:
        done = loops.COMPILED.translate(text, _plain_table())
        if done is not None:  # else a character NFKC folds: the plain way
            return done[0]
    if _NEEDS_NFKC.search(text):
        text = unicodedata.normalize("NFKC", text)
    return _DELETE.sub("", text)


@dataclass
class _Found:
    order: int
    name: str
    registry_index: int | None = None


def _previous_word(text: str, start: int) -> str:
    """The last run of letters in the 40 characters before START."""
    words = _ALPHA_WORD.findall(text, max(0, start - 40), start)
    return words[-1] if words else ""


def _strip_proclitic(word: str) -> str:
    return word[1:] if len(word) > 3 and word[0] in "وف" else word


def _named_after_before(reg: Registry, norm: str, start: int) -> bool:
    """A word for something named after a person right before START ("مطار خالد"), or before the title or
    honorific that stands there ("جسر الملك فهد", "جائزة الشيخ زايد", "مستشفى الملك فيصل التخصصي")."""
    previous = _previous_word(norm, start)
    if core(_strip_proclitic(previous)) in reg.named_after:
        return True
    if previous in reg.honorific_words or previous in reg.titles or previous in reg.title_words:
        at = norm.rfind(previous, max(0, start - 40), start)
        return at > 0 and core(_strip_proclitic(_previous_word(norm, at))) in reg.named_after
    return False


# Arabic name structure: بن/ابن/بنت join a person to the father's name ("علي بن أبي طالب"), أبو/أبي/أبا/عبد open a
# name that needs the next word ("أبو مازن", "عبد الله"), آل (normalized ال, standing alone) a family ("آل مكتوم")
_PATRONYMIC = frozenset({"بن", "ابن", "بنت"})
_JOINERS = _PATRONYMIC | frozenset({"ابو", "ابي", "ابا", "عبد", "ال"})
_KUNYA = frozenset({"ابو", "ابي", "ابا"})
_ORDINALS = frozenset({"الاول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن"})
_WORD_AFTER = re.compile(f"[ \\t]+([{LETTERS}]+)(?![{LETTERS}0-9])")
_WORD_BEFORE = re.compile(f"(?<![{LETTERS}0-9])([{LETTERS}]+)[ \\t]+$")


def _word_before(norm: str, start: int) -> str:
    """The word right before START, with only spaces between (no punctuation, no line break), else ""."""
    before = _WORD_BEFORE.search(norm, max(0, start - 40), start)
    return before.group(1) if before else ""


def _grow_name(reg: Registry, norm: str, start: int, end: int, low: int = 0, high: int | None = None
               ) -> tuple[int, int]:
    """START..END of a name grown over the words that Arabic name structure says belong to it, within LOW..HIGH:
    the word a trailing بن/أبي/عبد/آل needs ("علي بن أبي" + "طالب"), a father's name after بن ("حمد بن خليفه" +
    "آل ثاني"), and the person a بن before the name points to ("علي بن" + "موسى الرضا")."""
    high = len(norm) if high is None else high
    gaz = gazetteer()
    for _ in range(8):
        last = _ALPHA_WORD.findall(norm, start, end)[-1:]
        after = _WORD_AFTER.match(norm, end)
        if not last or after is None or after.end() > high:
            break
        word = after.group(1)
        if last[0] in _JOINERS and word not in _PATRONYMIC and not (word in reg.not_name and len(word) <= 3) and (
                word not in reg.breakers or last[0] in _KUNYA):  # "علي بن أبي" + "طالب" (طالب: also "demanded")
            end = after.end()
            continue
        if word in _PATRONYMIC or word == DEFINITE_ARTICLE:
            father = _WORD_AFTER.match(norm, after.end())
            if father is not None and father.end() <= high and (
                    father.group(1) in _KUNYA or father.group(1) == "عبد" or father.group(1) in reg.given
                    or father.group(1) in reg.ambiguous_given or father.group(1) in gaz.name_first
                    or (word == DEFINITE_ARTICLE and len(father.group(1)) >= 3
                        and father.group(1) not in reg.not_name)):
                end = father.end()
                continue
        break
    for _ in range(4):
        before = _WORD_BEFORE.search(norm, max(low, start - 40), start)
        if before is None:
            break
        word = before.group(1)
        if word in _KUNYA:
            start = before.start(1)
            continue
        if word in _PATRONYMIC:
            son = _WORD_BEFORE.search(norm, max(low, before.start(1) - 40), before.start(1))
            son_word = son.group(1) if son is not None else ""
            if son is not None and son_word not in reg.particles and son_word not in reg.breakers and (
                    son_word in reg.given or son_word in reg.ambiguous_given or son_word in gaz.name_first
                    or (_is_name_word(reg, son_word) and not _is_common_word(son_word))):
                start = son.start(1)
                continue
        break
    return start, end


def _registry_matches(reg: Registry, norm: str, words: Collection[str]
                      ) -> tuple[dict[int, int], list[tuple[int, int, int]]]:
    """Registry people in NORM (whose words are WORDS): {person index: first position}, and the spans matched with
    their person."""
    full_found: dict[int, int] = {}
    short_hits: list[tuple[int, int, list[tuple[int, str]]]] = []
    spans: list[tuple[int, int, int]] = []
    for match in reg.form_scanner.finditer(norm, words):
        if not match.group("pre") and _word_before(norm, match.start()) in _PATRONYMIC:
            continue  # "حمدان بن محمد بن راشد آل مكتوم" names the son, not محمد بن راشد
        surface = " ".join(match.group("name").split())
        entries = reg.forms.get(surface, [])
        fulls = [index for index, kind in entries if kind == "full"]
        if fulls:
            spans.append((match.start(), match.end(), fulls[0]))
            full_found.setdefault(fulls[0], match.start())
        else:
            short_hits.append((match.start(), match.end(), entries))
    found = dict(full_found)
    context_found: dict[int, bool] = {}  # one search of the whole text per person, not one per mention

    def in_context(index: int) -> bool:
        if index not in context_found:
            scanner = reg.context_scanners[index]
            context_found[index] = scanner is not None and scanner.search(norm, words) is not None
        return context_found[index]

    # a short form not accepted ("سعيد" in "الوزير سعيد بنموسى") leaves its words to discovery
    for position, end, entries in short_hits:
        previous = _strip_proclitic(_previous_word(norm, position))
        if _named_after_before(reg, norm, position):
            continue  # "مدينة الصدر", "جائزة زايد", "جسر الملك فهد": named after the person, not the person
        if previous in reg.given or previous in reg.ambiguous_given or previous in reg.particles:
            continue  # another person of that family ("خالد بن سلمان", "علي الأسد")
        titled = previous in reg.titles or previous in reg.honorifics or previous in reg.title_words
        described = core(previous) in reg.described  # "هجوم بري": a ground attack, not نبيه بري
        accepted = [index for index, kind in entries if kind == "short" or (not described and (
            index in full_found or titled or in_context(index)))]
        accepted = list(dict.fromkeys(accepted))
        if len(accepted) > 1:  # shared short form: only the person whose full name is here
            accepted = [index for index in accepted if index in full_found]
        if len(accepted) == 1:
            found[accepted[0]] = min(position, found.get(accepted[0], position))
            spans.append((position, end, accepted[0]))
    return found, spans


def _is_name_word(reg: Registry, word: str) -> bool:
    return (
        len(word) >= 2 and word.isalpha() and word not in reg.not_name and word not in reg.breakers
        and word not in reg.titles and word not in reg.title_words and word not in reg.honorifics
        and not (word[0] in "وف" and (word[1:] in reg.breakers or word[1:] in reg.title_words
                                      or word[1:] in reg.not_name))  # "أبو طه فقال", "عبد القوي وإخراج"
    )


_COMPOUND_GIVEN = frozenset({"عبد", "ابو"})


def _conjoined(reg: Registry, word: str) -> bool:
    """"ورجاله", "وغيرها", "فرجع": و or ف joining the next clause or person to a name, not a word of the name
    (وليد, وانغ, وديعة: names the gazetteers know, or words more frequent with the و than without it)."""
    if len(word) < 4 or word[0] not in "وف":
        return False
    gaz = gazetteer()
    if word in reg.given or word in reg.ambiguous_given or word in gaz.name_first or word in gaz.name_last \
            or word in gaz.name_clusters_words:
        return False
    return _is_common_word(word) or frequency(word[1:]) > frequency(word)


def _is_adjective(word: str) -> bool:
    """"الرياضية", "الاقتصادية": a definite feminine adjective (a newspaper, a section), not a family name."""
    return word.startswith(DEFINITE_ARTICLE) and word.endswith("يه") and len(word) > 5


def _is_nisba(reg: Registry, word: str) -> bool:
    """"السوداني", "الكاظمي": a family name of the form ال...ي, not a nationality or role ("العراقي", "الحالي")."""
    return len(word) >= 6 and word.startswith(DEFINITE_ARTICLE) and word.endswith("ي") and _is_name_word(reg, word)


def _name_from(reg: Registry, tokens: list[re.Match[str]], start: int) -> int:
    """How many word tokens from START make a name: a given name then a family name (with particles), or 0."""
    words: list[str] = []
    i = start
    while i < len(tokens) and len(words) < 4:
        token = tokens[i].group()
        if not token[0].isalpha():
            break
        if words and "\n" in tokens[i - 1].string[tokens[i - 1].end(): tokens[i].start()]:
            break  # a name does not run over a line break
        if words and (not _is_name_word(reg, token) or _is_adjective(token) or _conjoined(reg, token)) \
                and token not in reg.particles:
            break
        words.append(token)
        i += 1
        # keep going only while the name is clearly not finished
        if len(words) >= (3 if words[0] in _COMPOUND_GIVEN else 2) and words[-1] not in reg.particles \
                and words[-1] not in reg.given:
            # a father's name then a family nisba: "محمد شياع السوداني", not "فيصل المقداد خلال"
            opened = not words[-1].startswith(DEFINITE_ARTICLE) or words[-2] in _COMPOUND_GIVEN  # "شياع", "عبد الله"
            if len(words) < 4 and opened and i < len(tokens) \
                    and _is_nisba(reg, tokens[i].group()) \
                    and not re.search(r"[\n.،,:؛]", tokens[i - 1].string[tokens[i - 1].end(): tokens[i].start()]):
                words.append(tokens[i].group())
                i += 1
            break
    while words and words[-1] in reg.particles:
        words.pop()
    needed = 3 if words and words[0] in _COMPOUND_GIVEN else 2  # "عبد الرحمن" alone is a given name only
    if len(words) < needed or words[0] in reg.particles - _COMPOUND_GIVEN:
        return 0
    return len(words)


# a word after an ambiguous given name that cannot be a family name: a preposition + article ("بالنتائج"), a
# conjunction ("وابنته"), or a word with Latin letters ("لCNN")
_NOT_A_SURNAME = re.compile(f"بال|لل|كال|فال|و|.*[^{ARABIC_LETTER_RANGE}]")


def _ambiguous_after_title(reg: Registry, word: str, norm: str, token: re.Match[str]) -> bool:
    """An ambiguous given name (نجيب, سعيد) after a title and its qualifiers ("رئيس الحكومة اللبنانية نجيب
    ميقاتي"): a name, unless the word is also a function word (علي = على) or the next word cannot be a family
    name ("سعيد بالنتائج")."""
    if word in reg.not_name or word in reg.breakers or DEFINITE_ARTICLE + word in reg.not_name:
        return False  # علي = على; تركي = Turkish ("مسؤول تركي كبير")
    following = _WORD.match(norm, token.end() + 1) if norm[token.end(): token.end() + 1] == " " else None
    return bool(following and not _NOT_A_SURNAME.match(following.group()))


_NAME_BEFORE = re.compile(f"(?<![{LETTERS}])[وف]?([{LETTERS}]+) ([{LETTERS}]+)\\s*[،,]?\\s*$")


def _discover(reg: Registry, norm: str, words: Collection[str], taken: list[tuple[int, int]]
              ) -> list[tuple[int, int]]:
    """Spans of names introduced by a title/role, or followed by one, in NORM (whose words are WORDS); spans
    already taken are skipped."""
    found: list[tuple[int, int]] = []
    # Taken spans sorted by start, with the furthest end reached so far: an overlap test is one bisection, not a
    # scan of every span (a body of megabytes has thousands of them and as many triggers).
    ordered = sorted(taken)
    starts = [s for s, _ in ordered]
    reach = list(itertools.accumulate((e for _, e in ordered), max))

    def overlaps(start: int, end: int) -> bool:
        before_end = bisect.bisect_left(starts, end)  # the spans starting before END
        return before_end > 0 and reach[before_end - 1] > start

    for trigger in reg.trigger_scanner.finditer(norm, words):
        title = trigger.group("title")
        if trigger.group("title") in reg.honorifics and _named_after_before(reg, norm, trigger.start("title")):
            continue  # "جسر الملك فهد", "جائزة الشيخ زايد": what follows names a thing after a person
        if title in reg.titles:
            # "ألكسندر يفيموف سفير روسيا", "وأنطوان سيلوانوف وزير المالية": a name, then its role
            before = _NAME_BEFORE.search(norm, max(0, trigger.start() - 60), trigger.start())
            if (before and before.group(1) in reg.given and before.group(1) not in _COMPOUND_GIVEN
                    and _is_name_word(reg, before.group(2)) and not _is_adjective(before.group(2))):
                start, end = before.start(1), before.end(2)
                if not overlaps(start, end) and (start, end) not in found:
                    found.append((start, end))
        honorific = title in reg.honorifics
        qualifiers = 0
        loose = False
        tokens: list[re.Match[str]] = []
        for token in _WORD.finditer(norm, trigger.end(), min(len(norm), trigger.end() + 160)):
            tokens.append(token)
            text = token.group()
            if not text[0].isalpha():
                if any(ch in _SENTENCE_PUNCT for ch in text) or text.isdigit():
                    break
                continue  # a comma before the name: "المتحدث باسم الرئاسة الروسية، ديمتري بيسكوف"
            if text in reg.given or (text in reg.ambiguous_given and (
                    (honorific and qualifiers == 0)
                    or (not honorific and not loose and _ambiguous_after_title(reg, text, norm, token)))):
                i = len(tokens) - 1
                tokens.extend(_WORD.finditer(norm, token.end(), min(len(norm), token.end() + 80)))
                length = _name_from(reg, tokens, i)
                if length:
                    start, end = token.start(), tokens[i + length - 1].end()
                    if not overlaps(start, end):
                        found.append((start, end))
                break
            if text in reg.breakers or qualifiers >= 6 or overlaps(token.start(), token.end()):
                break  # the clause moved on, or a registry name stands here ("الرئيس الروسي فلاديمير بوتين")
            qualifiers += 1
            # "الفنان الراحل عن عمر يناهز": a preposition means the words after it are no longer the title's
            loose = loose or (text in reg.not_name and len(text) <= 3 and text not in reg.title_words)
    return found


# ---------------------------------------------------------------- the learned recognizer

# A single word the recognizer calls a person counts only when the corpus rarely uses it (names like
# "غوتشولك" are rare; "ضرورة" or "مدار" are common words), or it is the family name of a name found in full.
_SINGLE_NAME_MAX_FREQUENCY = 400


def _trim_name(reg: Registry, norm: str, tokens: list[re.Match[str]]) -> list[re.Match[str]]:
    """The name's own words: titles, function words and punctuation at its edges are not the name."""
    while tokens and (not tokens[0].group()[0].isalpha() or _title_word(reg, tokens[0].group())
                      or _title_word(reg, _without_conjunction(tokens[0].group()))  # "وسمو الشيخ"
                      or tokens[0].group() in reg.breakers or _joined_function_word(reg, tokens[0].group())):
        tokens = tokens[1:]
    # a nationality before a name of two or more words ("اللاعب الكونغولي شاباني نوندا"): Arab names open with a
    # given name, not with an ال-adjective the corpus knows as a word
    if len(tokens) >= 3 and _is_nisba(reg, tokens[0].group()) and tokens[1].group() not in _PATRONYMIC \
            and tokens[0].group() not in reg.given and tokens[0].group() not in gazetteer().name_first \
            and frequency(tokens[0].group()) >= 20:
        tokens = tokens[1:]
    while tokens and (not tokens[-1].group()[0].isalpha() or tokens[-1].group() in reg.particles
                      or tokens[-1].group() in reg.breakers or tokens[-1].group() in reg.not_name
                      or _joined_function_word(reg, tokens[-1].group())
                      or _preposition_before_word(tokens[-1].group())):
        if len(tokens) >= 2 and tokens[-1].group()[0].isalpha() and tokens[-1].group() not in reg.particles and (
                tokens[-2].group() in _JOINERS or (tokens[-1].group() in _ORDINALS and (
                    tokens[-2].group() in reg.given or tokens[-2].group() in reg.ambiguous_given))):
            break  # "الحسن بن علي", "علي بن أبي طالب", "عباس الأول"
        tokens = tokens[:-1]
    # two names joined by و ("عبدالرحمن وعباس"), a name and the next clause ("علي ورجاله"): the first one only
    for i in range(1, len(tokens)):
        word = tokens[i].group()
        if (word.startswith("و") and len(word) > 3 and word[1:] in reg.given) or _conjoined(reg, word):
            return tokens[:i]
    return tokens


def _title_word(reg: Registry, word: str) -> bool:
    """A word of a title or of an honorific ("صاحب" of "صاحب السمو")."""
    return word in reg.title_words or word in reg.titles or word in reg.honorific_words


def _without_conjunction(word: str) -> str:
    """WORD without the و or ف it opens with ("" when it opens with neither)."""
    return word[1:] if word[:1] in ("و", "ف") and len(word) > 3 else ""


def _joined_function_word(reg: Registry, word: str) -> bool:
    """و or ف before a word that is never a name's ("وليس اسماعيل", "فإنه"): the edge of a clause, not of a name."""
    return len(word) > 2 and word[0] in "وف" and (word[1:] in reg.not_name or word[1:] in reg.breakers)


# a preposition or conjunction with the article attached ("بالاسلام", "للصحفيين"): not a name's word when what
# follows it is a common word (بالاسيوس, كالديرون and فالنسيا are names)
_NOT_IN_NAME = re.compile("(?:وبال|ولل|بال|لل|وال)..")


def _preposition_before_word(word: str) -> bool:
    if not _NOT_IN_NAME.match(word):
        return False
    stem = core(word)
    return frequency(stem) > _SINGLE_NAME_MAX_FREQUENCY and frequency(stem) > 3 * frequency(word)


@lru_cache(maxsize=1)
def _place_words() -> frozenset[str]:
    """The one-word names of the places registry (archive/data/places.tsv: names, variants, short forms),
    normalized: "بكربلاء" after a name is "in Karbala", not the name's last word."""
    forms = (_clean(form) for entry in load_entries(PLACES_FILE, PLACE)
             for form in (entry.name, *entry.variants, *entry.short, *entry.ambiguous_short))
    return frozenset(form for form in forms if form and " " not in form)


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    """The names and variants of the places registry, normalized: "نور سلطان" is a city, not a person, whatever
    the recognizer reads (its "?" short forms are not here: those are words or people too)."""
    forms = (_clean(form) for entry in load_entries(PLACES_FILE, PLACE) for form in (entry.name, *entry.variants))
    return frozenset(form for form in forms if form)


def _preposition_and_word(word: str) -> bool:
    """ل/ب before a place or a word the corpus uses often ("بالرياض", "بكربلاء", "للغناء", "بكونها"), not a family
    name opening with those letters (برودي, برام, بشارة: رودي, رام and شارة are rare words)."""
    if word.startswith("لل") and len(word) > 4:
        return True
    stem, rest = core(word), word[1:]
    places = _place_words()
    if stem in places or rest in places or DEFINITE_ARTICLE + stem in places:
        return True
    common = max(frequency(stem), frequency(rest))
    return common >= _COMMON_AFTER_PREPOSITION and common > 3 * frequency(word)


# a word after ب/ل this frequent in the corpus is a common word (رئيسي 269, كونها 267), rarer ones may be the rest of a
# name (رام 142, شارة 86, رودي 60)
_COMMON_AFTER_PREPOSITION = 200


def _is_common_word(word: str, in_name: bool = False) -> bool:
    """A word the corpus uses often, or ل/ب before a word used much more often than WORD itself. IN_NAME: the word
    follows another word of a name, where the stem must be common itself ("رومانو برودي", "خيري بشارة": رودي and
    شارة are rarer than a common word; "بالقاهرة" is not)."""
    stem = core(word)
    return max(frequency(word), frequency(stem)) > _SINGLE_NAME_MAX_FREQUENCY or (
        word != stem and word.startswith(("ل", "ب")) and frequency(stem) > 3 * frequency(word)
        and (not in_name or frequency(stem) > _SINGLE_NAME_MAX_FREQUENCY))


def _proclitic_length(word: str) -> int:
    """How many letters at the start of WORD are a proclitic (وشيراك -> 1, لمعاويه -> 1, وليد -> 0): stripped
    when what stays is a known name word or a more frequent word than WORD."""
    gaz = gazetteer()
    for prefix in ("وب", "ول", "فب", "فل", "و", "ف", "ب", "ل", "ك"):
        rest = word[len(prefix):]
        if word.startswith(prefix) and len(rest) >= 3:
            if word in gaz.given or word in gaz.ambiguous_given or word in gaz.name_first or word in gaz.name_last:
                return 0
            known = rest in gaz.given or rest in gaz.ambiguous_given or rest in gaz.name_first \
                or rest in gaz.name_last or rest in gaz.name_clusters_words
            # ك ("like") seldom stands before a name: only before a name word ("كايل ووكر" is Kyle, not ايل)
            if known or (prefix != "ك" and frequency(rest) > frequency(word)):
                return len(prefix)
    return 0


def _short_words(reg: Registry, words: list[re.Match[str]]) -> int:
    return sum(1 for word in words if len(word.group()) <= 2 and word.group() not in reg.particles)


def _only_given_names(reg: Registry, words: list[str]) -> bool:
    """"عبد الله", "فارس": a given name alone names nobody in particular (Arab full names made of given names,
    "محمد علي", "صالح أحمد", stay names)."""
    if len(words) == 2 and words[0] == "عبد":
        words = words[1:]  # "عبد الله" (أبو أيوب, أبو بكر: a kunya names someone)
    return len(words) == 1 and (words[0] in reg.given or words[0] in reg.ambiguous_given
                                or words[0] in gazetteer().name_first or words[0] == "الله")


def _model_names(reg: Registry, entities: list[Entity], norm: str, plain: Callable[[], str | None],
                 taken: list[tuple[int, int]], given_alone: list[tuple[int, int, str]] | None = None
                 ) -> list[tuple[int, int, int]]:
    """(start, name start after any proclitic, end) of the people the recognizer finds. GIVEN_ALONE, when given,
    receives (start, end, given name) of the given names alone it tagged ("وقال مايكل"): no person by themselves."""
    ordered = sorted(taken)
    starts = [s for s, _ in ordered]
    reach = list(itertools.accumulate((e for _, e in ordered), max))

    def overlaps(start: int, end: int) -> bool:
        before_end = bisect.bisect_left(starts, end)
        return before_end > 0 and reach[before_end - 1] > start

    found = []
    for entity in entities:
        if entity.label != "PER" or overlaps(entity.start, entity.end):
            continue
        words = _trim_name(reg, norm, list(TOKEN.finditer(norm, entity.start, entity.end)))
        if not words or len(words) > 5 or _short_words(reg, words) >= 2:
            continue  # "لبي بي سي"
        before = core(_previous_word(norm, words[0].start()))
        if _named_after_before(reg, norm, words[0].start()) or (len(words) == 1 and before in reg.described):
            continue  # "مطار فنوكوفا", "جائزة نوبل"; "هجوم بري" (a ground attack)
        clitic = _proclitic_length(words[0].group())
        first = words[0].group()[clitic:]
        if first in reg.not_name or first in reg.particles - _COMPOUND_GIVEN:
            # علي and على normalize alike: the name, unless the text writes the preposition
            original = plain() if first == "علي" else None
            if original is None or original[words[0].start() + clitic: words[0].end()] != "علي":
                continue
        while len(words) > 1 and words[-1].group()[0] in "لب" and (
                _is_common_word(words[-1].group(), in_name=True) or _preposition_and_word(words[-1].group())):
            words = words[:-1]  # "... بالقاهرة", "الحسني بكربلاء", "فيصل بن فهد بالرياض"
        gaz = gazetteer()
        known_first = first in reg.given or first in reg.ambiguous_given or first in gaz.name_first \
            or first in gaz.name_clusters_words
        last = words[-1].group()
        if len(words) > 1 and not known_first and _is_common_word(last, in_name=True) and (
                frequency(first) == 0 or (last not in gaz.name_last and last not in gaz.name_clusters_words)):
            continue  # "مستشايرن روس": a word the corpus uses often, after a word that opens no name
        if len(words) == 2 and first in reg.ambiguous_given and _is_common_word(last, in_name=True) \
                and last not in gaz.name_last and last not in gaz.name_clusters_words:
            continue  # "مسؤول تركي كبير", "أمل جديد": a given name that is also a word, before a common word
        if len(words) == 1 and (_is_common_word(first) or len(first) < 3 or _preposition_before_word(first)
                                or first in reg.title_words):
            continue
        if any(word.group().isascii() and word.group().isalpha() for word in words):
            continue  # "آيفون X", "the insult": Arabic news writes a person's name in Arabic letters
        if len(words) == 1 and first.startswith(DEFINITE_ARTICLE) and first not in gaz.corpus_names \
                and first not in gaz.name_last:
            # "التقى الزعيمان", "السيف": alone, a word with the article is a person only when the corpus knows it as
            # a name (الحريري, السيسي) or it ends a registry name; its full name elsewhere in the article still
            # makes it a mention (_family_names_alone)
            continue
        if " ".join([first] + [w.group() for w in words[1:]]) in _place_names():
            continue
        if _only_given_names(reg, [first] + [w.group() for w in words[1:]]):
            if given_alone is not None and len(words) == 1:
                given_alone.append((words[0].start(), words[0].end(), first))
            continue
        found.append((words[0].start(), words[0].start() + clitic, words[-1].end()))
    return found


def _family_names_alone(reg: Registry, norm: str, article_words: AbstractSet[str], results: dict[str, _Found],
                        mentions: list[Mention]) -> None:
    """Later mentions of a person found in the article: the full name again where no rule or the recognizer read it, and
    the family name alone ("برند غوتشولك" ... "وقال غوتشولك"); NORM's words: ARTICLE_WORDS. A family name is the
    last word of a name of two or more words, unless it is the second half of a compound (بن/أبي/عبد/آل + word:
    "معاوية بن أبي سفيان" is not "سفيان", "عبد الله" not "الله"); a single-word name the recognizer found counts
    again alone ("أينشتاين"). An occurrence right after بن/أبو/عبد/آل or after another given name ("تيسير فهمي"
    is not "أحمد فهمي") belongs to someone else."""
    families: dict[str, str | None] = {}
    fulls: dict[str, str] = {}  # a found name of two or more words, normalized -> the person
    singles_found: dict[str, str] = {}  # a one-word name the recognizer found -> itself
    for found in results.values():
        if found.registry_index is not None:
            continue
        words = _clean(found.name).split()
        if len(words) < 2:
            if len(words) == 1 and len(words[0]) >= 3:
                singles_found[words[0]] = found.name
            continue
        fulls.setdefault(" ".join(words), found.name)
        family = words[-1]
        if len(family) < 3 or family in reg.given or family in reg.not_name or family in reg.particles \
                or words[-2] in _JOINERS:
            continue
        families[family] = None if family in families and families[family] != found.name else found.name
    by_skeleton = {skeleton(family): name for family, name in families.items() if name}
    singles = [name for name, found in results.items()
               if found.registry_index is None and len(name.split()) == 1]
    for single in singles:
        owner = families.get(_clean(single)) or by_skeleton.get(skeleton(single))  # سيمينوف / سيميونوف
        if owner:
            del results[single]
            singles_found.pop(_clean(single), None)
            for i, mention in enumerate(mentions):
                if mention.name == single:
                    mentions[i] = Mention(mention.start, mention.end, owner)
    wanted: dict[str, str] = {}  # a surface of a family name, with the proclitics it may carry -> the person
    for family, name in [*families.items(), *singles_found.items()]:
        if name:
            for surface in _surfaces(family):
                for proclitic in _FAMILY_PROCLITICS:
                    wanted.setdefault(proclitic + surface, name)
    if not wanted and not fulls:
        return
    taken = sorted((m.start, m.end) for m in mentions)

    def free(start: int, end: int) -> bool:
        at = bisect.bisect_left(taken, (end, end))
        return not any(s < end and start < e for s, e in taken[max(0, at - 8): at])

    def take(start: int, end: int, name: str) -> None:
        mentions.append(Mention(start, end, name))
        bisect.insort(taken, (start, end))

    by_first: dict[str, list[tuple[str, str]]] = {}  # a full name's first word -> (" " + the rest, the person)
    for full, name in fulls.items():
        first, rest = full.split(" ", 1)
        if first in article_words:
            by_first.setdefault(first, []).append((" " + rest, name))
    size = len(norm)
    for start, end, first in _occurrences(norm, by_first) if by_first else ():
        for rest, name in by_first[first]:
            stop = end + len(rest)
            if norm.startswith(rest, end) and (stop == size or norm[stop] not in _LETTER_CHARS) \
                    and _word_before(norm, start) not in _JOINERS:
                # free, or holding only a part of it read as the same person ("لوبيتيغي" of "خولين لوبيتيغي")
                inside = [m for m in mentions if m.start < stop and start < m.end]
                if inside and all(m.name == name and start <= m.start and m.end <= stop for m in inside):
                    for mention in inside:
                        mentions.remove(mention)
                        taken.remove((mention.start, mention.end))
                if free(start, stop):
                    take(start, stop, name)
                    break
    if not wanted:
        return
    gaz = gazetteer()
    for start, end, word in _occurrences(norm, article_words & wanted.keys()):
        name = wanted[word]
        if not free(start, end):
            continue
        before = _word_before(norm, start)
        if before in _JOINERS:
            continue  # "بن مكتوم", "عبد الله"
        own = _clean(name).split()
        if before and len(own) >= 2 and before == own[-2]:
            previous = _WORD_BEFORE.search(norm, max(0, start - 40), start)
            if previous is not None and free(previous.start(1), end):
                take(previous.start(1), end, name)  # the name's last two words: "فايزة أبو النجا"
                continue
        if before and before not in own and (before in reg.given or before in gaz.name_first):
            continue  # "تيسير فهمي" is not "أحمد فهمي"
        take(start, end, name)


def _given_names_alone(results: dict[str, _Found], mentions: list[Mention], given_alone: list[tuple[int, int, str]]
                       ) -> None:
    """A given name alone that the recognizer tagged ("ويعتقد مايكل") is a mention of the one person of the article
    whose name opens with it, and of nobody when none or several do."""
    openers: dict[str, set[str]] = {}
    for name in results:
        words = normalize(name).split()
        if len(words) >= 2:
            openers.setdefault(words[0], set()).add(name)
    taken = [(m.start, m.end) for m in mentions]
    for start, end, given in given_alone:
        owners = openers.get(given, set())
        if len(owners) == 1 and not any(s < end and start < e for s, e in taken):
            mentions.append(Mention(start, end, next(iter(owners))))


_FAMILY_PROCLITICS = ("", "و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل")


_NOT_NAME_CHARS = re.compile("[#@_-]+")  # "دونالد #ترمب", "كيم جونغ-أون": not part of a name
# prepositions as the text writes them: a name never opens with one
_PREPOSITIONS = frozenset({"على", "إلى", "الى", "في", "من", "عن", "مع", "لدى", "عند", "منذ", "حتى", "نحو"})


@dataclass(frozen=True, slots=True)
class Mention:
    start: int  # offsets into normalize(title + "\n" + body)
    end: int
    name: str  # the person it names (canonical or display name)


@dataclass
class PeopleFound:
    names: list[str]  # one entry per person, in order of first mention
    mentions: list[Mention]
    # everything the recognizer tagged on the way (places and organizations too: archive/extract/entities.py)
    entities: list[Entity] = field(default_factory=list)
    # the article's words (text_words), for the scans that follow
    words: AbstractSet[str] = field(default_factory=frozenset)


def extract_people(title: str, body: str, normalized: str | None = None) -> list[str]:
    """Canonical names of the people named in TITLE and BODY (cleaned of furniture), in order of first mention.

    NORMALIZED, when the caller has it, is normalize(title + "\n" + body)."""
    return person_mentions(title, body, normalized).names


def extract_people_of(articles: Sequence[tuple[str, str, str | None]]) -> list[list[str]]:
    """extract_people for many (title, body, normalized) articles at once: the same results, faster (the
    recognizer tags the sentences of all of them together)."""
    return [found.names for found in mentions_of(articles)]


def person_mentions(title: str, body: str, normalized: str | None = None, *, use_model: bool = True,
                    tagger: NameTagger | None = None) -> PeopleFound:
    """The people of an article and where each is named: the registry first, then names introduced by a title
    or role, then names the learned recognizer finds (archive/extract/ner.py) in the sentences that can hold
    one. A name found once counts for its other mentions in the article: its family name alone later
    ("وقال غوتشولك") is the same person."""
    return mentions_of([(title, body, normalized)], use_model=use_model, tagger=tagger)[0]


def mentions_of(articles: Sequence[tuple[str, str, str | None]], *, use_model: bool = True,
                tagger: NameTagger | None = None) -> list[PeopleFound]:
    """person_mentions for many (title, body, normalized) articles, the recognizer run once for all of them."""
    reg = registry()
    tagger = (tagger or name_tagger()) if use_model else None
    plans = [_plan(reg, title, body, normalized) for title, body, normalized in articles]
    # the recognizer reads every sentence of every article (ranges None)
    entities = tagger.tag_many([(plan.norm, None) for plan in plans]) if tagger is not None else [[] for _ in plans]
    return [_finish(reg, plan, found) for plan, found in zip(plans, entities, strict=True)]


@dataclass(slots=True)
class _Plan:
    """An article's registry matches (the recognizer reads every sentence of it)."""
    text: str
    norm: str
    words: AbstractSet[str]  # text_words(norm)
    registry_found: dict[int, int]
    registry_spans: list[tuple[int, int, int]]


def _plan(reg: Registry, title: str, body: str, normalized: str | None) -> _Plan:
    text = title + "\n" + body
    norm = normalized if normalized is not None else normalize(text)
    words = text_words(norm)
    registry_found, registry_spans = _registry_matches(reg, norm, words)
    return _Plan(text, norm, words, registry_found, registry_spans)


def _first_names_of_others(reg: Registry, plan: _Plan, entities: list[Entity]
                           ) -> tuple[dict[int, int], list[tuple[int, int, int]]]:
    """The plan's registry people and spans without the one-word forms that open a longer name the recognizer
    read ("بالسفير الأميركي جيفري فيلتمان" is not جيم جيفري: جيفري is a first name here)."""
    people = [e for e in entities if e.label == "PER"]
    dropped = [(start, end, index) for start, end, index in plan.registry_spans
               if " " not in plan.norm[start:end].strip() and _ambiguous_form(reg, plan.norm, start, end, index)
               and any(e.start <= start < e.end and e.end > end
                       and not _registered_words(reg, index, plan.norm, end, e.end)
                       and not _registry_form_at(reg, plan.norm, end) for e in people)]
    if not dropped:
        return plan.registry_found, plan.registry_spans
    spans = [span for span in plan.registry_spans if span not in dropped]
    kept = {index for _, _, index in spans}
    found = {index: position for index, position in plan.registry_found.items() if index in kept}
    return found, spans


def _ambiguous_form(reg: Registry, norm: str, start: int, end: int, index: int) -> bool:
    """Whether NORM[START:END] is one of person INDEX's ambiguous short forms ("?صلاح"; not "ترمب")."""
    word = _ALPHA_WORD.findall(norm, start, end)[-1:]
    return bool(word) and any(kind == "ambiguous" and i == index
                              for i, kind in reg.forms.get(word[0], reg.forms.get(_strip_proclitic(word[0]), [])))


def _registry_form_at(reg: Registry, norm: str, end: int) -> bool:
    """Whether the word after END is a registry form of its own ("قمة ترمب كيم": two people side by side)."""
    after = _WORD_AFTER.match(norm, end)
    return after is not None and (after.group(1) in reg.forms or _strip_proclitic(after.group(1)) in reg.forms)


def _registered_words(reg: Registry, index: int, norm: str, start: int, end: int) -> bool:
    """Whether the words of NORM[START:END] all belong to registry person INDEX's names."""
    person = reg.people[index]
    own = {word for form in (person.name, *person.variants, *person.short, *person.ambiguous_short)
           for word in _clean(form).split()}
    return all(word in own for word in _ALPHA_WORD.findall(norm, start, end))


def _registry_mention(reg: Registry, norm: str, start: int, end: int, taken_end: int) -> tuple[int, int]:
    """A registry match as a mention of the name: a title it opens with is not the name ("الملك عبدالله الثاني"),
    and the father's and family names after it are ("الشيخ تميم" + "بن حمد آل ثاني")."""
    opening = _ALPHA_WORD.match(norm, start)
    if opening is not None and opening.end() < end and (
            opening.group() in reg.title_words or opening.group() in reg.honorifics):
        words = list(_ALPHA_WORD.finditer(norm, start, end))
        while len(words) > 1 and (words[0].group() in reg.title_words or words[0].group() in reg.honorifics):
            words = words[1:]
        start = words[0].start()
    after = _WORD_AFTER.match(norm, end)
    if after is None or (after.group(1) not in _PATRONYMIC and after.group(1) != DEFINITE_ARTICLE
                         and not norm[start:end].endswith(_JOINER_ENDINGS)):
        return start, end  # most registry names: nothing after them belongs to the name
    return start, _grow_name(reg, norm, start, end, start, taken_end)[1]


_JOINER_ENDINGS = tuple(" " + joiner for joiner in _JOINERS)


def _finish(reg: Registry, plan: _Plan, entities: list[Entity]) -> PeopleFound:
    text, norm, words = plan.text, plan.norm, plan.words
    plain: str | None = None
    registry_found, registry_spans = _first_names_of_others(reg, plan, entities)
    results: dict[str, _Found] = {}
    mentions: list[Mention] = []
    for found_index, position in registry_found.items():
        name = reg.people[found_index].name
        results.setdefault(name, _Found(position, name, found_index))
    registry_spans = sorted(registry_spans)
    for i, (start, end, index) in enumerate(registry_spans):
        following = registry_spans[i + 1][0] if i + 1 < len(registry_spans) else len(norm)
        mention_start, mention_end = _registry_mention(reg, norm, start, end, following)
        mentions.append(Mention(mention_start, mention_end, reg.people[index].name))
    spans = [(min(start, mention.start), max(end, mention.end))
             for (start, end, _), mention in zip(registry_spans, mentions, strict=True)]
    by_skeleton: dict[str, str] = {}
    def add(start: int, end: int, normalized_name: str, name_start: int | None = None) -> None:
        """A name found at START..END of NORM (NAME_START: where the name proper begins, after a proclitic)."""
        nonlocal plain
        normalized_name = " ".join(_NOT_NAME_CHARS.sub(" ", normalized_name).split())  # "دونالد #ترمب"
        key = skeleton(normalized_name)
        index = reg.by_key.get(normalized_name) or _by_skeleton(reg, normalized_name)
        if index is None and len(normalized_name.split()) == 2:
            # the rest of a registry name cut off by a hashtag or odd spelling: "رجب طيب #أردوغان", "كيم جونغ-أون"
            index = reg.by_opening.get(normalized_name)
        if index is not None:
            name = reg.people[index].name
            results.setdefault(name, _Found(start, name, index))
            mentions.append(Mention(start, end, name))
            return
        if key in by_skeleton and spellings_agree(by_skeleton[key], normalized_name, MIN_VOWEL_VARIANT_LETTERS_KNOWN):
            # another spelling of a name already found in this article
            mentions.append(Mention(start, end, by_skeleton[key]))
            return
        if plain is None:
            plain = _plain(text)
        begin = start if name_start is None else name_start
        display = " ".join(_NOT_NAME_CHARS.sub(" ", plain[begin:end]).split()) if len(plain) == len(norm) \
            else normalized_name
        if display.split()[0] in _PREPOSITIONS:
            return  # "على ضرورة": على and the name علي normalize alike; the text wrote the preposition
        by_skeleton[key] = display
        results.setdefault(display, _Found(start, display))
        mentions.append(Mention(start, end, display))

    # a place or an organization to the recognizer is no person to the rules ("أبو ظبي", "لوكهيد مارتن")
    not_people = [(e.start, e.end) for e in entities if e.label != "PER"]
    discovered = [(start, end) for start, end in _discover(reg, norm, words, spans)
                  if not any(s <= start and end <= e for s, e in not_people)]
    model_found: list[tuple[int, int, int]] = []
    given_alone: list[tuple[int, int, str]] = []
    if any(entity.label == "PER" for entity in entities):
        def aligned_plain() -> str | None:
            nonlocal plain
            if plain is None:
                plain = _plain(text)
            return plain if len(plain) == len(norm) else None

        model_found = _model_names(reg, entities, norm, aligned_plain, spans, given_alone)
    # a title's rule stops after two to four words: a longer name the recognizer read around it is the name
    # ("الزبير بشير طه", "محمد عبدالله القرقاوي", "أبو القاسم عبدي صلاد حسن")
    discovered = [(ds, de) for ds, de in discovered
                  if not any(s <= ds and de <= e and e - s > de - ds for s, _, e in model_found)]
    model_found = [(s, ns, e) for s, ns, e in model_found if not any(ds < e and s < de for ds, de in discovered)]
    taken_starts = sorted(start for start, _ in spans)
    taken_ends = sorted(end for _, end in spans)
    grown: list[tuple[int, int, int]] = []
    for start, name_start, end in [(s, s, e) for s, e in discovered] + model_found:
        # within the registry names around it: the last one ending before it, the first one starting after it
        before = bisect.bisect_right(taken_ends, start)
        after = bisect.bisect_left(taken_starts, end)
        low = taken_ends[before - 1] if before else 0
        high = taken_starts[after] if after < len(taken_starts) else len(norm)
        new_start, new_end = _grow_name(reg, norm, start, end, low, high)
        grown.append((new_start, name_start if new_start == start else new_start, new_end))
    grown.sort()
    for i, (start, name_start, end) in enumerate(grown):
        if i and start < grown[i - 1][2]:
            continue  # grown into the name before
        add(start, end, " ".join(norm[name_start:end].split()), name_start)
    _family_names_alone(reg, norm, words, results, mentions)
    if given_alone:
        _given_names_alone(results, mentions, given_alone)
    ordered = sorted(results.values(), key=lambda f: f.order)
    return PeopleFound([found.name for found in ordered], sorted(mentions, key=lambda m: m.start), entities, words)




# ---------------------------------------------------------------- spellings across the archive

# How two spellings of one name-word may differ (the list): hamza carriers (رائد/رايد), غ/ج/ق for a Latin g
# (غوارديولا/جوارديولا), a doubled و or ي (داوود/داود), with or without ال; and, in a long word, long vowels written
# or left out (ديمبلي/دمبلي, فيليب/فيليبي, كوتينيو/كوتنيو). ى/ي, ة/ه and أ/إ/آ/ا are one letter already (normalize).
_HAMZA_FOLD = str.maketrans({"ئ": "ي", "ؤ": "و", "ء": None})
_SPELLING_FOLD = str.maketrans({"ئ": "ي", "ؤ": "و", "ء": None, "غ": "ج", "ق": "ج"})
_DOUBLED_VOWEL = re.compile("(و|ي)\\1+")
_LONG_VOWELS = frozenset("اوي")
# Long vowels may be written or left out only in words this long: short native names that differ by one long
# vowel are different names (سعد/سعيد, حسن/حسين, عمر/عمار/عامر, حمد/حامد, نصر/ناصر, حسني/حسيني).
MIN_VOWEL_VARIANT_LETTERS = 5
# A candidate block needs this many consonants over all its words: shorter names meet too easily.
MIN_BLOCK_CONSONANTS = 5


def _name_word(word: str) -> str:
    """A normalized name-word as spellings compare: ال dropped, hamza carriers folded, غ/ق as ج, doubled و/ي once."""
    if word.startswith(DEFINITE_ARTICLE) and len(word) > 4:
        word = word[2:]
    return _DOUBLED_VOWEL.sub("\\1", word.translate(_SPELLING_FOLD))


def spelling_block(name: str) -> str | None:
    """What every spelling of one person shares: two or more words, each word's consonants (long vowels dropped,
    see _name_word). Only names of one block are compared (merge_spellings); None: never merged (one word, or too
    short to tell people apart)."""
    words = _clean(name).split()
    if len(words) < 2:
        return None
    key = " ".join(_VOWELS.sub("", _name_word(word)) for word in words)
    return key if len(key) - len(words) + 1 >= MIN_BLOCK_CONSONANTS else None


def _known_given(word: str, reg: Registry) -> bool:
    return word in reg.given or word in reg.ambiguous_given or word in _COMPOUND_GIVEN


@lru_cache(maxsize=1)
def arabic_name_words() -> frozenset[str]:
    """Arabic name-words written one way only (normalized, ال dropped): the Arabic section of given_names.txt and
    arabic_name_words.txt. Their long vowels, a final ي or an ال make another name, not another spelling."""
    words: set[str] = set()
    lines = (DATA_DIR / "given_names.txt").read_text(encoding="utf-8").splitlines()
    for line in itertools.takewhile(lambda text: not text.startswith("# foreign"), lines):
        if line.strip() and not line.startswith("#"):
            words.add(_clean(line.strip().lstrip("?")))
    for line in (DATA_DIR / "arabic_name_words.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(_clean(line.strip()))
    return frozenset(word[2:] if word.startswith(DEFINITE_ARTICLE) and len(word) > 4 else word for word in words)


def _arabic_name(word: str) -> bool:
    """An Arabic name-word written one way only, also as a nisba (الإبراهيمي: إبراهيم + ي)."""
    bare = word[2:] if word.startswith(DEFINITE_ARTICLE) and len(word) > 4 else word
    names = arabic_name_words()
    return bare in names or (bare.endswith("ي") and bare[:-1] in names)


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(letter in letters for letter in short)


def _same_word(a: str, b: str, reg: Registry, min_vowel_letters: int = MIN_VOWEL_VARIANT_LETTERS) -> bool:
    """Whether two normalized words of two names can be spellings of one name-word (long vowels may differ in
    words of MIN_VOWEL_LETTERS or more)."""
    if a == b:
        return True
    if _known_given(a, reg) and _known_given(b, reg):
        return False  # two given names that differ are two names (محمد/محمود, سعد/سعيد), whatever their letters
    if _arabic_name(a) or _arabic_name(b):
        # an Arabic name is written one way: only hamza carriers and a doubled و/ي may differ (داوود/داود; not ال:
        # أحمد حسن / أحمد الحسن; not غ/ج/ق: قاسم is not جاسم)
        return _written_form(a) == _written_form(b)
    fa, fb = _name_word(a), _name_word(b)
    if fa == fb:
        return True
    if (a.startswith(DEFINITE_ARTICLE) and len(a) > 4) != (b.startswith(DEFINITE_ARTICLE) and len(b) > 4):
        return False  # ال in one of them: the rest must be the same word (الأرميني is not أرمين)
    short, long = (fa, fb) if len(fa) <= len(fb) else (fb, fa)
    # in a long word, long vowels written or not (ديمبلي/دمبلي); never one vowel for another (عبادي/عبيدي)
    return len(short) >= min_vowel_letters and differ_by_long_vowels(short, long)


def differ_by_long_vowels(short: str, long: str) -> bool:
    """Whether LONG is SHORT with long vowels (ا و ي) written in: ديمبلي / دمبلي, كاليفورنيا / كليفورنيا."""
    return _is_subsequence(short, long) and all(letter in _LONG_VOWELS for letter in _difference(short, long))


def _written_form(word: str) -> str:
    return _DOUBLED_VOWEL.sub("\\1", word.translate(_HAMZA_FOLD))


def _difference(short: str, long: str) -> str:
    """The letters of LONG left over once SHORT (a subsequence of it) is matched from the left."""
    extra, at = [], 0
    for letter in long:
        if at < len(short) and short[at] == letter:
            at += 1
        else:
            extra.append(letter)
    return "".join(extra)


# Where one side is already known to be a spelling of the person (a registry name; a name found earlier in the same
# article), shorter words may differ by a long vowel too (فلاديمير بوتن / بوتين, هاري كين / كاين); two different
# given names or Arabic names still never meet.
MIN_VOWEL_VARIANT_LETTERS_KNOWN = 3


def spellings_agree(a: str, b: str, min_vowel_letters: int = MIN_VOWEL_VARIANT_LETTERS) -> bool:
    """Whether names A and B can be two spellings of one name: as many words, each pair of words spellings of one
    name-word (_same_word). محمد عباس / محمود عباس, سعد / سعيد الحريري: no."""
    reg = registry()
    words_a, words_b = _clean(a).split(), _clean(b).split()
    return len(words_a) == len(words_b) and all(
        _same_word(x, y, reg, min_vowel_letters) for x, y in zip(words_a, words_b, strict=True))


def same_person_spellings(a: str, b: str) -> bool:
    """Whether names A and B, of two or more words each, can be two spellings of one person (spellings_agree)."""
    return len(_clean(a).split()) >= 2 and spellings_agree(a, b)


# Bump when the rules of same_person_spellings change: decisions kept in the arrays' cache are then made again.
MERGE_RULES_VERSION = 1


@lru_cache(maxsize=1)
def merge_rules_digest() -> str:
    """What a decision on spellings depends on besides the names and counts: the rules' version and the tables they
    read (people.tsv, given_names.txt, arabic_name_words.txt). A cached decision with another digest is made again."""
    digest = hashlib.sha1(str(MERGE_RULES_VERSION).encode())
    for name in ("people.tsv", "given_names.txt", "arabic_name_words.txt"):
        digest.update((DATA_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def merge_spellings(counts: Mapping[str, int], blocks: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """{spelling: the spelling to show} for the names of COUNTS (name -> articles of the whole archive) that are
    spellings of one person; names absent from the result stay as they are. BLOCKS: spelling_block of each name,
    when already known (an index caches them).

    Names of one spelling_block are taken most frequent first (ties by name); each joins the first group whose
    every member it can be a spelling of (same_person_spellings: every pair, not a chain, so two different names
    never meet through a third), else starts a group. A group holding two registry people stays apart; the
    registry's name, else the group's most frequent spelling, stands for all. The result depends only on the names
    and their counts: one index and a sharded one holding the same articles merge alike."""
    by_block: dict[str, list[str]] = {}
    for name in counts:
        block = blocks[name] if blocks is not None and name in blocks else spelling_block(name)
        if block is not None:
            by_block.setdefault(block, []).append(name)
    return group_spellings(by_block.values(), counts, same_person_spellings,
                           {person.name for person in registry().people})


def group_spellings(candidates: Iterable[list[str]], counts: Mapping[str, int], same: Callable[[str, str], bool],
                    canonical: Collection[str]) -> dict[str, str]:
    """{spelling: the spelling to show} from lists of CANDIDATES that may be spellings of one name (one block
    each): taken most frequent first (COUNTS; ties by name), each joins the first group whose every member it is
    SAME as (every pair, not a chain), else starts a group; a group holding two CANONICAL (registry) names stays
    apart; the registry's name, else the group's most frequent spelling, stands for all. Shared by people and by
    places and organizations (archive/search/person_merge.py)."""
    out: dict[str, str] = {}
    for names in candidates:
        if len(names) < 2:
            continue
        groups: list[list[str]] = []
        for name in sorted(names, key=lambda n: (-counts[n], n)):
            for group in groups:
                if all(same(name, member) for member in group):
                    group.append(name)
                    break
            else:
                groups.append([name])
        for group in groups:
            registered = [n for n in group if n in canonical]
            if len(group) < 2 or len(registered) > 1:
                continue  # two registry names: the registry keeps them apart
            shown = registered[0] if registered else group[0]
            out.update(dict.fromkeys(group, shown))
    return out
