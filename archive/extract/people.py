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
import itertools
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from archive.resources import DATA_DIR
from archive.text.charsets import ARABIC_LETTER_RANGE, DEFINITE_ARTICLE, after_lam_forms
from archive.text.normalize import normalize

LETTERS = ARABIC_LETTER_RANGE + "a-z"
_EDGE_BEFORE = f"(?<![{LETTERS}])"
_EDGE_AFTER = f"(?![{LETTERS}])"
# proclitics a name can carry: و ف ب ل ك and their pairs ("وبوتين", "لبوتين", "وللأسد" is handled as a form)
_PROCLITIC = "(?:وب|ول|وك|فب|فل|و|ف|ب|ل|ك)?"
_WORD = re.compile(f"[{LETTERS}0-9]+|[^\\s{LETTERS}0-9]+")
_SENTENCE_PUNCT = set(".:؛;!?؟()[]{}\"“”«»'|/")


def _clean(name: str) -> str:
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


# ---------------------------------------------------------------- registry


@dataclass(slots=True)
class Person:
    name: str
    variants: list[str] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    ambiguous_short: list[str] = field(default_factory=list)
    context: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


_VOWELS = re.compile("[اويءئؤ ]")


def skeleton(name: str) -> str:
    """Normalized name without long vowels, hamza carriers and spaces: transliteration variants meet
    (دميتري/ديمتري/ديميتري -> دمتر, سيميونوف/سيمينوف -> سمنف)."""
    return _VOWELS.sub("", _clean(name))


@dataclass
class Registry:
    people: list[Person]
    forms: dict[str, list[tuple[int, str]]]  # normalized surface -> [(person index, "full"|"short"|"ambiguous")]
    form_re: re.Pattern[str]
    by_key: dict[str, int]  # normalized full name or variant -> person index
    by_skeleton: dict[str, int]
    by_opening: dict[str, int]  # the first two words of a 3+-word full name or variant, when only one person has them
    given: set[str]
    ambiguous_given: set[str]
    titles: set[str]  # normalized single words and phrases that introduce a name
    honorifics: set[str]
    not_name: set[str]
    breakers: set[str]
    particles: set[str]
    trigger_re: re.Pattern[str]
    title_words: set[str]  # every word of every title, for "a name followed by its role"
    context_res: list[re.Pattern[str] | None]


def _load_people(path: Path) -> list[Person]:
    people = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("name\t"):
            continue
        cells = [cell.strip() for cell in line.split("\t")] + [""] * 5
        name, variants, short, context, roles = cells[:5]

        def split(cell: str) -> list[str]:
            return [part.strip() for part in cell.split("|") if part.strip()]

        shorts = split(short)
        people.append(Person(
            name=name, variants=split(variants), short=[s for s in shorts if not s.startswith("?")],
            ambiguous_short=[s[1:] for s in shorts if s.startswith("?")], context=split(context), roles=split(roles),
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
    form_re = re.compile(f"{_EDGE_BEFORE}(?P<pre>{_PROCLITIC})(?P<name>{trie_regex(list(forms))}){_EDGE_AFTER}")

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
    trigger_re = re.compile(f"{_EDGE_BEFORE}(?:و|ف)?(?P<title>{trie_regex(triggers)}){_EDGE_AFTER}")
    title_words = {word for t in titles for word in t.split()}
    context_res = [
        re.compile(f"{_EDGE_BEFORE}(?:{trie_regex([_clean(c) for c in person.context])}){_EDGE_AFTER}")
        if person.context else None
        for person in people
    ]
    return Registry(
        people=people, forms=forms, form_re=form_re, by_key=by_key, by_skeleton=by_skeleton,
        by_opening={opening: next(iter(indexes)) for opening, indexes in openings.items() if len(indexes) == 1},
        given=given,
        ambiguous_given=ambiguous_given, titles=titles, honorifics=honorifics,
        not_name={_clean(w) for w in data["not_name_words"]}, breakers={_clean(w) for w in data["clause_breakers"]},
        particles={_clean(w) for w in data["name_particles"]}, trigger_re=trigger_re, title_words=title_words,
        context_res=context_res,
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
        index = reg.by_skeleton.get(skeleton(name))
    return reg.people[index].name if index is not None else " ".join(name.split())


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


def _plain(text: str) -> str:
    if _NEEDS_NFKC.search(text):
        text = unicodedata.normalize("NFKC", text)
    return _DELETE.sub("", text)


@dataclass
class _Found:
    order: int
    name: str
    registry_index: int | None = None


def _previous_word(text: str, start: int) -> str:
    match = re.search(f"([{LETTERS}]+)[^{LETTERS}]*$", text[max(0, start - 40): start])
    return match.group(1) if match else ""


def _strip_proclitic(word: str) -> str:
    return word[1:] if len(word) > 3 and word[0] in "وف" else word


def _registry_matches(reg: Registry, norm: str) -> tuple[dict[int, int], list[tuple[int, int]]]:
    """Registry people in NORM: {person index: first position}, and the spans matched (for discovery)."""
    full_found: dict[int, int] = {}
    short_hits: list[tuple[int, int, list[tuple[int, str]]]] = []
    spans: list[tuple[int, int]] = []
    for match in reg.form_re.finditer(norm):
        surface = " ".join(match.group("name").split())
        entries = reg.forms.get(surface, [])
        fulls = [index for index, kind in entries if kind == "full"]
        if fulls:
            spans.append((match.start("name"), match.end()))
            full_found.setdefault(fulls[0], match.start())
        else:
            short_hits.append((match.start("name"), match.end(), entries))
    found = dict(full_found)
    context_found: dict[int, bool] = {}  # one search of the whole text per person, not one per mention

    def in_context(index: int) -> bool:
        if index not in context_found:
            pattern = reg.context_res[index]
            context_found[index] = pattern is not None and pattern.search(norm) is not None
        return context_found[index]

    # a short form not accepted ("سعيد" in "الوزير سعيد بنموسى") leaves its words to discovery
    for position, end, entries in short_hits:
        previous = _strip_proclitic(_previous_word(norm, position))
        if previous in reg.given or previous in reg.ambiguous_given or previous in reg.particles:
            continue  # another person of that family ("خالد بن سلمان", "علي الأسد")
        titled = previous in reg.titles or previous in reg.honorifics or previous in reg.title_words
        accepted = [index for index, kind in entries if index in full_found or kind == "short" or titled
                    or in_context(index)]
        accepted = list(dict.fromkeys(accepted))
        if len(accepted) > 1:  # shared short form: only the person whose full name is here
            accepted = [index for index in accepted if index in full_found]
        if len(accepted) == 1:
            found[accepted[0]] = min(position, found.get(accepted[0], position))
            spans.append((position, end))
    return found, spans


def _is_name_word(reg: Registry, word: str) -> bool:
    return (
        len(word) >= 2 and word.isalpha() and word not in reg.not_name and word not in reg.breakers
        and word not in reg.titles and word not in reg.title_words and word not in reg.honorifics
    )


_COMPOUND_GIVEN = frozenset({"عبد", "ابو"})


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
        if words and (not _is_name_word(reg, token) or _is_adjective(token)) and token not in reg.particles:
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


def _discover(reg: Registry, norm: str, taken: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of names introduced by a title/role, or followed by one; spans already taken are skipped."""
    found: list[tuple[int, int]] = []
    # Taken spans sorted by start, with the furthest end reached so far: an overlap test is one bisection, not a
    # scan of every span (a body of megabytes has thousands of them and as many triggers).
    ordered = sorted(taken)
    starts = [s for s, _ in ordered]
    reach = list(itertools.accumulate((e for _, e in ordered), max))

    def overlaps(start: int, end: int) -> bool:
        before_end = bisect.bisect_left(starts, end)  # the spans starting before END
        return before_end > 0 and reach[before_end - 1] > start

    for trigger in reg.trigger_re.finditer(norm):
        title = trigger.group("title")
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


def extract_people(title: str, body: str, normalized: str | None = None) -> list[str]:
    """Canonical names of the people named in TITLE and BODY (cleaned of furniture), in order of first mention.

    NORMALIZED, when the caller has it, is normalize(title + "\n" + body)."""
    reg = registry()
    text = title + "\n" + body
    norm = normalized if normalized is not None else normalize(text)
    plain: str | None = None
    registry_found, spans = _registry_matches(reg, norm)
    results: dict[str, _Found] = {}
    for found_index, position in registry_found.items():
        name = reg.people[found_index].name
        results.setdefault(name, _Found(position, name, found_index))
    by_skeleton: dict[str, str] = {}
    for start, end in _discover(reg, norm, spans):
        normalized_name = " ".join(norm[start:end].split())
        key = skeleton(normalized_name)
        index = reg.by_key.get(normalized_name, reg.by_skeleton.get(key))
        if index is None and len(normalized_name.split()) == 2:
            # the rest of a registry name cut off by a hashtag or odd spelling: "رجب طيب #أردوغان", "كيم جونغ-أون"
            index = reg.by_opening.get(normalized_name)
        if index is not None:
            name = reg.people[index].name
            results.setdefault(name, _Found(start, name, index))
            continue
        if key in by_skeleton:
            continue  # another spelling of a name already found in this article
        if plain is None:
            plain = _plain(text)
        display = " ".join(plain[start:end].split()) if len(plain) == len(norm) else normalized_name
        by_skeleton[key] = display
        results.setdefault(display, _Found(start, display))
    return [found.name for found in sorted(results.values(), key=lambda f: f.order)]
