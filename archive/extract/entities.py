"""Places and organizations named in an article, each under one canonical name.

Built like the person facet (archive/extract/people.py), from two sources of evidence on normalize()d text:

1. The registries (archive/data/places.tsv, archive/data/organizations.tsv): a canonical name, its spelling
   variants and short forms (جمهورية مصر العربية -> مصر, أمريكا -> الولايات المتحدة, الناتو -> حلف شمال الأطلسي),
   matched with the proclitics they carry (وبمصر, للعراق). Both registries are one pattern, so the longest name
   wins: "ريال مدريد" is the club, not the city; "مجلس الأمن القومي" is not the UN Security Council. A short form
   marked "?" (جدة: also "his grandfather"; الأهلي: also "civil") counts only with the full name in the same
   article, a cue word right before it ("مدينة جدة", "نادي الأهلي") or one of its context words.
2. The learned recognizer's LOC and ORG names (archive/extract/ner.py), from its reading of every sentence of
   the article (people extraction's, or made here when the record gave its people), and of the few words after an
   organization's head noun ("وزارة", "حزب", "شركة"...) read again alone: "رئيس اتحاد القدم السعودي" holds a name
   the sentence hides. A recognized name is folded (proclitics stripped, hamza, ى/ي, ة/ه as normalize() does) and mapped
   to the registry when the registry knows it, whatever label the recognizer gave it; otherwise it is shown as
   the text spells it (harakat removed).

Not places or organizations: nationality adjectives ("المصري", "الأمريكية"), generic nouns ("الحكومة",
"الجيش" alone: the rows of kind "-" in the registries), anything inside a person's name, and anything in removed
page furniture or teasers (callers pass the cleaned body, as for people).

Canonical choices (documented in the README): a capital is a city, not its country (القاهرة, واشنطن, موسكو);
a country and its capital written alike are the country (تونس, الجزائر, الكويت); غزة and قطاع غزة are one entry;
bare عمان is Oman or Amman as the article says (archive/data/places.tsv: context words, the nearest evidence
when both have some), neither without evidence.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from archive.extract.entity_tables import ORGANIZATION, ORGANIZATIONS_FILE, PLACE, PLACES_FILE, Entry, load_entries
from archive.extract.ner import TOKEN, Entity, NameTagger, gazetteer, name_tagger, sentence_ranges
from archive.extract.people import LETTERS, FormScanner, Mention, _plain, text_words, trie_regex
from archive.text.charsets import DEFINITE_ARTICLE, HARAKAT_RANGE, after_lam_forms
from archive.text.normalize import HARAKAT, normalize
from archive.text.stemmer import frequency

KINDS = (PLACE, ORGANIZATION)
# the recognizer's label for each kind
_LABEL_KIND = {"LOC": PLACE, "ORG": ORGANIZATION}

_EDGE_BEFORE = f"(?<![{LETTERS}])"
_EDGE_AFTER = f"(?![{LETTERS}])"
_PROCLITIC = "(?:وب|ول|وك|فب|فل|و|ف|ب|ل|ك)?"
_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "و", "ف", "ب", "ل", "ك")

# Words right before an ambiguous short form that make it the place or organization ("مدينة جدة", "نادي الأهلي").
_CUES = {
    PLACE: ("مدينة", "العاصمة", "محافظة", "ولاية", "منطقة", "إقليم", "بلدة", "قرية", "جزيرة", "دولة", "مطار",
            "ميناء"),
    ORGANIZATION: ("نادي", "فريق", "حزب", "حركة", "شركة", "منظمة", "جماعة", "تنظيم", "مجموعة", "بنك", "جامعة",
                   "صحيفة", "وكالة", "قناة", "مباراة", "لاعب", "مدرب"),
}
# Head nouns of organizations: after one, the recognizer reads the next few words ("وزارة الدفاع الروسية",
# "حزب العدالة والتنمية"); an organization opening with one holds a place name without being that place
# ("بنك إنجلترا المركزي", "جامعة القاهرة").
_ORGANIZATION_HEADS = frozenset(normalize(word) for word in (
    "وزارة", "حزب", "حركة", "شركة", "منظمة", "جماعة", "تنظيم", "بنك", "البنك", "جامعة", "الجامعة", "نادي", "مجلس",
    "المجلس", "هيئة", "الهيئة", "مؤسسة", "وكالة", "صندوق", "اتحاد", "الاتحاد", "جيش", "الجيش", "الحكومة",
    "حكومة", "سفارة", "السفارة", "محكمة", "المحكمة", "برلمان", "البرلمان", "قوات", "رابطة", "لجنة", "اللجنة",
    "مركز", "معهد", "صحيفة", "قناة", "مجموعة", "الشرطة", "شرطة", "جبهة", "الحرس", "ائتلاف", "تحالف",
    "التحالف", "منتخب", "المنتخب", "بورصة", "هيئة", "مصرف", "المصرف"))
# the head nouns after which the recognizer reads a few words (the names after the others are mostly in the
# registry or generic: "الحكومة", "الجيش", "مجلس")
_WINDOW_HEADS = frozenset(normalize(word) for word in (
    "وزارة", "حزب", "حركة", "شركة", "منظمة", "جماعة", "تنظيم", "بنك", "جامعة", "نادي", "وكالة", "صندوق", "اتحاد",
    "مؤسسة", "صحيفة", "قناة", "مجموعة", "جبهة", "ائتلاف", "مصرف", "هيئة", "محكمة"))
_HEAD_WINDOW_WORDS = 4
# Longest name the recognizer may give (words), and the corpus frequency above which a single word with the
# article ("الحكومة", "الاتحاد", "الجيش") is a common noun rather than a name the registry lacks.
_MAX_WORDS = 6
_COMMON_WITH_ARTICLE = 2000
# "المصري", "الأمريكية", "الروسيين": a nationality or relation adjective, not a place
_ADJECTIVE = re.compile(f"^{DEFINITE_ARTICLE}.{{2,}}(?:ي|يه|يون|يين|يتين|يان)$")
_NAME_CHARS = re.compile(f"^[{LETTERS} ]+$")
# "الصحيفة البريطانية", "الوكالة الروسية": a description, not a name
_DESCRIPTIVE_HEADS = frozenset(normalize(word) for word in (
    "الصحيفة", "الوكالة", "القناة", "الموقع", "المجلة", "الشبكة", "الإذاعة", "الحكومة", "الدولة", "السلطات",
    "الفريق", "النادي", "المنتخب"))  # "الفريق البافاري", "النادي اللندني": a club described, not named


def _clean(text: str) -> str:
    return " ".join(normalize(text).split())


@dataclass
class EntityRegistry:
    entries: list[Entry]
    forms: dict[str, list[tuple[int, str]]]  # normalized surface -> [(entry index, "full"|"short"|"ambiguous")]
    # the same, sorted out once: surface -> (its first sure entry or None, its full-name entries, its ambiguous ones)
    form_kinds: dict[str, tuple[int | None, tuple[int, ...], tuple[int, ...]]]
    form_scanner: FormScanner  # the forms, with a proclitic: groups "pre" and "name"
    by_key: dict[str, list[int]]  # folded name, variant or unambiguous short form -> entry indexes (places first)
    by_latin: dict[str, int]
    not_names: frozenset[str]  # folded generic words (rows of type "-")
    ambiguous_keys: frozenset[str]  # folded ambiguous short forms: the registry pass alone decides about them
    cue_words: dict[str, frozenset[str]]  # kind -> normalized cue words
    context_scanners: list[FormScanner | None]  # per entry, its context words
    # entries whose name is written with a mark that tells it from another entry's ambiguous form ("عمّان": its
    # shadda makes it Amman, not عمان Oman): the mark-tolerant pattern of that written name -> entry index
    marked: list[tuple[re.Pattern[str], int]] = field(default_factory=list)
    # entry -> the other entries whose full names open with its full name ("حزب العمال" -> "حزب العمال الكردستاني")
    extended_by: dict[int, tuple[int, ...]] = field(default_factory=dict)
    proclitics_of: dict[str, tuple[int, bool]] = field(default_factory=dict)  # _strip_proclitic's answers so far


@lru_cache(maxsize=1 << 16)
def fold(name: str) -> str:
    """A name as lookups compare it: normalized, spaces collapsed, the article of its first word dropped
    (العراق/عراق, الأمم المتحدة/أمم المتحدة) so that a recognized name meets the registry with or without it."""
    words = _clean(name).split()
    if words and words[0].startswith(DEFINITE_ARTICLE) and len(words[0]) > 4:
        words[0] = words[0][len(DEFINITE_ARTICLE):]
    return " ".join(words)


@lru_cache(maxsize=1)
def entity_registry() -> EntityRegistry:
    entries = [*load_entries(PLACES_FILE, PLACE), *load_entries(ORGANIZATIONS_FILE, ORGANIZATION)]
    forms: dict[str, list[tuple[int, str]]] = {}
    by_key: dict[str, list[int]] = {}
    by_latin: dict[str, int] = {}
    not_names: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.type == "-":
            not_names.update(fold(word) for word in (entry.name, *entry.variants))
            continue
        ambiguous = {_clean(short) for short in entry.ambiguous_short}
        for full in (entry.name, *entry.variants):
            by_key.setdefault(fold(full), []).append(index)
            if _clean(full) in ambiguous:
                continue  # "جدة", "الأهلي": the name alone is one of its ambiguous forms
            for surface in after_lam_forms(_clean(full)):
                forms.setdefault(surface, []).append((index, "full"))
        for kind, shorts in (("short", entry.short), ("ambiguous", entry.ambiguous_short)):
            for short in shorts:
                if kind == "short":
                    by_key.setdefault(fold(short), []).append(index)
                for surface in after_lam_forms(_clean(short)):
                    forms.setdefault(surface, []).append((index, kind))
        for latin in entry.latin:
            by_latin.setdefault(" ".join(latin.casefold().split()), index)
    form_scanner = FormScanner(f"{_EDGE_BEFORE}(?P<pre>{_PROCLITIC})(?P<name>{trie_regex(list(forms))}){_EDGE_AFTER}",
                               forms, ("", *_PROCLITICS))
    context_scanners = [_context_scanner(entry.context) if entry.context else None for entry in entries]
    cue_words = {kind: frozenset(_clean(word) for word in words) for kind, words in _CUES.items()}
    ambiguous_keys = frozenset(fold(short) for entry in entries for short in entry.ambiguous_short)
    form_kinds = {surface: (next((index for index, kind in found if kind != "ambiguous"), None),
                            tuple(index for index, kind in found if kind == "full"),
                            tuple(index for index, kind in found if kind == "ambiguous"))
                  for surface, found in forms.items()}
    marked = [(_marked_pattern(entry.name), index) for index, entry in enumerate(entries)
              if entry.type != "-" and HARAKAT.search(entry.name) and _clean(entry.name) in ambiguous_keys]
    full_keys = {index: {_clean(full) for full in (entry.name, *entry.variants)} for index, entry in enumerate(entries)
                 if entry.type != "-"}
    extended_by = {}
    for index, keys in full_keys.items():
        longer = tuple(other for other, other_keys in full_keys.items() if other != index and any(
            longer_key.startswith(key + " ") for key in keys for longer_key in other_keys))
        if longer:
            extended_by[index] = longer
    return EntityRegistry(entries, forms, form_kinds, form_scanner, by_key, by_latin, frozenset(not_names),
                          ambiguous_keys, cue_words, context_scanners, marked, extended_by)


def _marked_pattern(name: str) -> re.Pattern[str]:
    """NAME as written, its marks required (in any order within a letter's marks) and other marks allowed:
    "عمّان" matches عمّان, عمَّان and عَمّان, not عمان."""
    pieces = []
    for letter, marks in re.findall(f"([^{HARAKAT_RANGE}])([{HARAKAT_RANGE}]*)", name):
        required = "".join(f"(?=[{HARAKAT_RANGE}]*{re.escape(mark)})" for mark in marks)
        pieces.append(re.escape(letter) + required + f"[{HARAKAT_RANGE}]*")
    return re.compile(f"(?<![{LETTERS}])" + "".join(pieces) + f"(?![{LETTERS}])")


def _marked_positions(reg: EntityRegistry, text: str) -> dict[int, int]:
    """{start in normalize(TEXT): entry} where TEXT writes an entry's marked name ("عمّان")."""
    found: dict[int, int] = {}
    for pattern, index in reg.marked:
        for match in pattern.finditer(text):
            found[len(normalize(text[: match.start()]))] = index
    return found


def _context_scanner(words: list[str]) -> FormScanner:
    """Any of an entry's context WORDS as a whole word, with a proclitic too (والأردن, بالأردن, للأردن)."""
    forms = list(dict.fromkeys(form for word in words for form in after_lam_forms(_clean(word))))
    return FormScanner(f"{_EDGE_BEFORE}(?:{_PROCLITIC})(?:{trie_regex(forms)}){_EDGE_AFTER}", forms,
                       ("", *_PROCLITICS))


def canonical_entity(name: str, kind: str) -> str:
    """The registry's canonical name for NAME (a variant, an unambiguous short form, a Latin-script name) when it
    is a KIND (PLACE or ORGANIZATION), else NAME tidied: what a filter value means."""
    reg = entity_registry()
    index = _lookup(reg, fold(name), kind)
    if index is None:
        index = reg.by_latin.get(" ".join(name.casefold().split()))
    if index is not None and reg.entries[index].kind == kind:
        return reg.entries[index].name
    return " ".join(name.split())


def _lookup(reg: EntityRegistry, key: str, kind: str | None = None) -> int | None:
    """The entry a folded name names: of KIND when one of that kind has it ("ليفربول" the club for ORG, the city
    for LOC), else the first."""
    indexes = [index for index in dict.fromkeys(reg.by_key.get(key, ())) if reg.entries[index].kind != "-"]
    if not indexes:
        return None
    return next((index for index in indexes if reg.entries[index].kind == kind), indexes[0])


def canonical_place(name: str) -> str:
    return canonical_entity(name, PLACE)


def canonical_organization(name: str) -> str:
    return canonical_entity(name, ORGANIZATION)


# ---------------------------------------------------------------- extraction


@dataclass
class EntitiesFound:
    places: list[str]  # canonical names, in order of first mention
    organizations: list[str]


_LAST_WORD_ON_LINE = re.compile(f"([{LETTERS}]+)[^{LETTERS}\n]*$")


def _previous_word(norm: str, start: int) -> str:
    match = _LAST_WORD_ON_LINE.search(norm[max(0, start - 30): start])
    if not match:
        return ""
    word = match.group(1)
    return word[1:] if len(word) > 3 and word[0] in "وف" else word


def _registry_spans(reg: EntityRegistry, norm: str, words: Collection[str], text: str | None = None
                    ) -> list[tuple[int, int, int]]:
    """(start, end, entry index) of the registry's names in NORM, whose words are WORDS (start after any
    proclitic). TEXT, the text NORM was made from, when known: a name written with its marks decides an ambiguous
    form ("عمّان" is Amman)."""
    found: list[tuple[int, int, int]] = []
    marked: dict[int, int] = {}
    ambiguous: list[tuple[int, int, tuple[int, ...], int | None, str]] = []
    fulls: dict[int, list[int]] = {}  # entry -> where its full names stand
    surfaces: dict[int, set[str]] = {}  # entry -> the full names it is named by
    nothing: tuple[None, tuple[int, ...], tuple[int, ...]] = (None, (), ())
    for match in reg.form_scanner.finditer(norm, words):
        surface = " ".join(match.group("name").split())
        sure, full, candidates = reg.form_kinds.get(surface, nothing)
        for index in full:
            fulls.setdefault(index, []).append(match.start("name"))
            surfaces.setdefault(index, set()).add(surface)
        # the city "ليفربول" unless the club's cue or context words say otherwise
        ambiguous.append((match.start("name"), match.end(), candidates, sure, surface))
    context: dict[int, list[int]] = {}
    marked_entries = {index for _, index in reg.marked}

    def context_at(index: int) -> list[int]:
        """Where the entry's context words stand in the article."""
        if index not in context:
            scanner = reg.context_scanners[index]
            context[index] = [m.start() for m in scanner.finditer(norm, words)] if scanner is not None else []
        return context[index]

    if text is not None and reg.marked and any(index in marked_entries for _, _, candidates, _, _ in ambiguous
                                                for index in candidates):
        marked = _marked_positions(reg, text)  # only where a form a marked name decides stands: "عمان"
    for start, end, candidates, otherwise, surface in ambiguous:
        if marked.get(start) in candidates:
            found.append((start, end, marked[start]))  # "عمّان": the text's shadda says Amman
            continue
        if otherwise is not None and otherwise in reg.extended_by:
            # "حزب العمال" after "حزب العمال الكردستاني" in the same article is the PKK, not Labour
            longer = [index for index in reg.extended_by[otherwise] if index in fulls]
            if len(longer) == 1 and surfaces.get(otherwise, set()) <= {surface}:
                found.append((start, end, longer[0]))
                continue
        previous = _previous_word(norm, start) if candidates else ""
        accepted = [index for index in candidates
                    if index in fulls or previous in reg.cue_words[reg.entries[index].kind] or context_at(index)]
        if len(accepted) > 1:
            # both عمان: Oman and Amman have evidence in the article; the nearest decides, a tie neither
            distance = {index: min(abs(at - start) for at in [*fulls.get(index, ()), *context_at(index)])
                        if index in fulls or context_at(index) else len(norm) for index in accepted}
            nearest = min(distance.values())
            accepted = [index for index in accepted if distance[index] == nearest]
        if len(accepted) == 1:
            found.append((start, end, accepted[0]))
        elif otherwise is not None:
            found.append((start, end, otherwise))
    return sorted(found)


def _strip_proclitic(word: str, reg: EntityRegistry) -> tuple[int, bool]:
    """How many letters at the start of WORD are a proclitic, and whether the article's alef was dropped after
    it (للعراق: ل + العراق; but للبنان: ل + لبنان). Remembered per registry: the same words open names in
    article after article."""
    known = reg.proclitics_of.get(word)
    if known is None:
        if len(reg.proclitics_of) >= _PROCLITIC_MEMO:
            reg.proclitics_of.clear()
        known = reg.proclitics_of[word] = _proclitic_of(word, reg)
    return known


_PROCLITIC_MEMO = 1 << 16


def _proclitic_of(word: str, reg: EntityRegistry) -> tuple[int, bool]:
    """_strip_proclitic worked out: و/ف/ب/ل/ك and their pairs come off when what stays opens with the article, is a
    registry name, or is a more frequent word than WORD."""
    for lam in ("ولل", "فلل", "لل"):
        if word.startswith(lam) and len(word) > len(lam) + 1:
            with_article = DEFINITE_ARTICLE + word[len(lam):]
            without = word[len(lam) - 1:]
            if fold(without) in reg.by_key or (fold(with_article) not in reg.by_key
                                               and frequency(without) > frequency(with_article)):
                return len(lam) - 1, False
            return len(lam) - 1, True
    for prefix in _PROCLITICS:
        rest = word[len(prefix):]
        if word.startswith(prefix) and len(rest) >= 3 and fold(word) not in reg.by_key and (
                fold(rest) in reg.by_key or frequency(rest) > frequency(word)
                or (rest.startswith(DEFINITE_ARTICLE) and 0 < frequency(word) <= frequency(rest))):
            return len(prefix), False
    return 0, False


# a name neither opens nor ends with a preposition, conjunction or pronoun
_PARTICLES = frozenset(normalize(word) for word in (
    "في", "من", "على", "إلى", "عن", "مع", "لدى", "عند", "منذ", "حتى", "نحو", "أن", "إن", "أو", "ثم", "بين", "بعد",
    "قبل", "خلال", "حول", "ضد", "عبر", "التي", "الذي", "الذين", "هذا", "هذه", "ذلك", "تلك", "هو", "هي", "كما", "لكن",
    "قال", "قالت", "أكد", "أعلن", "وقال", "وقالت"))
_RELATION_SUFFIX = re.compile("(?:ي|يه|يون|يين|يان)$")


def _is_nationality(reg: EntityRegistry, word: str) -> bool:
    """"روسي", "مصرية", "عراقيون": the adjective of a registered place (روسيا, مصر, العراق)."""
    suffix = _RELATION_SUFFIX.search(word)
    if suffix is None:
        return False
    stem = fold(word[: suffix.start()])
    return len(stem) >= 3 and any(form in reg.by_key for form in (stem, stem + "ا", stem + "يا", stem + "ه"))


_NEXT_ADJECTIVE = re.compile(f"[^\\S\\n]+({DEFINITE_ARTICLE}[{LETTERS}]{{2,}}(?:ي|يه))(?![{LETTERS}])")


@lru_cache(maxsize=1)
def _name_adjectives() -> frozenset[str]:
    """Adjectives that end the names of organizations: those inside the registered ones (الإسلامية, الديمقراطي,
    الوطني, الكردستاني, الدولي ...), normalized."""
    return frozenset(word for entry in entity_registry().entries if entry.kind == ORGANIZATION
                     for name in (entry.name, *entry.variants) for word in _clean(name).split()[1:]
                     if _ADJECTIVE.match(word) and word.endswith(("ي", "يه")))


def _name_adjectives_end(reg: EntityRegistry, norm: str, start: int, end: int) -> int:
    """Where an organization the recognizer read from START to END really ends: the recognizer often stops before
    the adjectives that end it ("حزب الشعب" of "حزب الشعب الجمهوري", "حزب الرابطة" of "حزب الرابطة الإسلامية",
    "الجيش الوطني" of "الجيش الوطني اليمني"). A registered name is complete as it is ("حزب الله" of "حزب الله
    الإرهابي"); others take the adjectives right after them that end registered organizations' names or name a
    registered place (اليمني, الروسية), up to _MAX_WORDS words."""
    count = len(norm[start: end].split())
    if _lookup(reg, fold(norm[start: end]), ORGANIZATION) is not None:
        return end
    while count < _MAX_WORDS:
        match = _NEXT_ADJECTIVE.match(norm, end)
        if match is None:
            break
        word = match.group(1)
        if word not in _name_adjectives() and not _is_nationality(reg, word):
            break
        end, count = match.end(), count + 1
    return end


def _is_rejected(reg: EntityRegistry, words: list[str]) -> bool:
    """A recognized name that is no place or organization: a generic word, an adjective, a stray letter."""
    key = fold(" ".join(words))
    if not key or key in reg.not_names or len(words) > _MAX_WORDS:
        return True
    gaz = gazetteer()
    if words[0] in _PARTICLES or words[-1] in _PARTICLES:
        return True
    if words[0] in _DESCRIPTIVE_HEADS and all(_ADJECTIVE.match(word) for word in words[1:]):
        return True
    if len(words) == 1:
        word = words[0]
        if len(word) < 3 or word in gaz.titles or word in gaz.given or word in gaz.ambiguous_given:
            return True
        if _ADJECTIVE.match(word) or _is_nationality(reg, word):
            return True
        if word.startswith(DEFINITE_ARTICLE) and frequency(word) > _COMMON_WITH_ARTICLE:
            return True
    return False


@lru_cache(maxsize=1)
def _head_scanner() -> FormScanner:
    """A head noun that opens a named organization, with its proclitics, and up to _HEAD_WINDOW_WORDS words after
    it on the same line and in the same sentence."""
    forms = [surface for head in _WINDOW_HEADS for surface in after_lam_forms(head)]
    return FormScanner(f"{_EDGE_BEFORE}{_PROCLITIC}(?:{trie_regex(forms)}){_EDGE_AFTER}"
                       f"(?:[^\\S\\n]+[{LETTERS}]+){{1,{_HEAD_WINDOW_WORDS}}}", forms, ("", *_PROCLITICS))


def _head_ranges(norm: str, words: Collection[str], covered: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ranges after an organization's head noun ("وزارة الدفاع الروسية") not tagged or matched already (NORM's
    words: WORDS)."""
    ranges: list[tuple[int, int]] = []
    for match in _head_scanner().finditer(norm, words):
        start, end = match.span()
        if not any(s <= start < e for s, e in covered):
            ranges.append((start, end))
    return ranges


def entity_mentions(title: str, body: str, normalized: str | None = None, *,
                    entities: Sequence[Entity] | None = None, people: Sequence[Mention] = (),
                    tagger: NameTagger | None = None, use_model: bool = True
                    ) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, name) of every place and organization in TITLE and BODY (offsets into
    normalize(title + "\\n" + body), which NORMALIZED is when given). ENTITIES: what the recognizer already
    tagged in this text, every sentence of it (PeopleFound.entities); None: the recognizer reads it here. PEOPLE:
    the person mentions, never a place or organization."""
    article = ArticleEntities(title, body, normalized, entities, people)
    return entity_mentions_of([article], tagger=tagger, use_model=use_model)[0]


@dataclass(frozen=True, slots=True)
class ArticleEntities:
    """What entity_mentions_of reads of one article: its TITLE and BODY, NORMALIZED = normalize(title + "\\n" +
    body) when known, and what people extraction found there (see entity_mentions)."""
    title: str
    body: str
    normalized: str | None = None
    entities: Sequence[Entity] | None = None  # the recognizer's reading of every sentence; None: not read yet
    people: Sequence[Mention] = ()
    words: Collection[str] | None = None  # text_words(normalized), when known


def entity_mentions_of(articles: Sequence[ArticleEntities], *, tagger: NameTagger | None = None,
                       use_model: bool = True) -> list[list[tuple[int, int, str, str]]]:
    """entity_mentions for many articles, the recognizer run once for the sentences and head-noun windows of all of
    them (one batch of array operations instead of one small one per article)."""
    reg = entity_registry()
    if not use_model:
        return [_plan(reg, article, None).found for article in articles]
    tagger = tagger or name_tagger()
    plans = [_plan(reg, article, tagger) for article in articles]
    if tagger is not None:
        tagged = tagger.tag_many([(plan.norm, plan.ranges) for plan in plans])
    else:
        tagged = [[] for _ in plans]
    return [_finish(reg, plan, article, read_here)
            for plan, article, read_here in zip(plans, articles, tagged, strict=True)]


@dataclass(slots=True)
class _Plan:
    """An article's registry names, and what the recognizer is to read: every sentence when people extraction has
    not, and the windows after head nouns."""
    text: str
    norm: str
    found: list[tuple[int, int, str, str]]
    ranges: list[tuple[int, int]]


def _plan(reg: EntityRegistry, article: ArticleEntities, tagger: NameTagger | None) -> _Plan:
    """The registry's names; with a TAGGER, the sentences (when people extraction has not read them) and the
    windows after head nouns not covered by a name already."""
    text = article.title + "\n" + article.body
    norm = article.normalized if article.normalized is not None else normalize(text)
    words = article.words if article.words is not None else text_words(norm)
    found: list[tuple[int, int, str, str]] = []
    for start, end, number in _registry_spans(reg, norm, words, text):
        entry = reg.entries[number]
        found.append((start, end, entry.kind, entry.name))
    ranges: list[tuple[int, int]] = []
    if tagger is not None:
        if article.entities is None:
            ranges = sentence_ranges(norm)
        covered = [(e.start, e.end) for e in article.entities or ()] + [(s, e) for s, e, _, _ in found]
        ranges += _head_ranges(norm, words, covered)
    return _Plan(text, norm, found, ranges)


def _finish(reg: EntityRegistry, plan: _Plan, article: ArticleEntities, read_here: list[Entity]
            ) -> list[tuple[int, int, str, str]]:
    text, norm, found, people = plan.text, plan.norm, plan.found, article.people
    model = [e for e in article.entities or () if e.label in _LABEL_KIND]
    model += [e for e in read_here if e.label in _LABEL_KIND]
    taken = [(s, e) for s, e, _, _ in found] + [(m.start, m.end) for m in people]
    plain: str | None = None
    seen: set[tuple[int, int]] = set()
    for entity in sorted(model, key=lambda e: (e.start, -e.end)):
        if (entity.start, entity.end) in seen:
            continue
        seen.add((entity.start, entity.end))
        if entity.label != "ORG" and any(s < entity.end and entity.start < e for s, e in taken):
            continue  # a registry name or a person here already (the check below, made before the work)
        tokens = list(TOKEN.finditer(norm, entity.start, entity.end))
        if not tokens or not _NAME_CHARS.match(norm[entity.start: entity.end].replace("\n", "\0")):
            continue  # "صحيفة "ماركا", "العربية.نت": punctuation inside
        clitic, restored = _strip_proclitic(tokens[0].group(), reg)
        start = tokens[0].start() + clitic
        end = entity.end
        if entity.label == "ORG" and norm[start: end].split()[0] in _ORGANIZATION_HEADS:
            end = _name_adjectives_end(reg, norm, start, end)
            if any(s < end and entity.end < e for s, e in taken):
                end = entity.end  # the words after it are a name of their own
        words = norm[start: end].split()
        if restored:  # للعراق: ل + العراق, the alef of the article dropped
            words[0] = "ا" + words[0]
        if _is_rejected(reg, words):
            continue
        key = fold(" ".join(words))
        if key in reg.ambiguous_keys:
            continue  # "جده": the registry pass took it, with a cue or context, or left it as a word
        inner = [(s, e) for s, e in taken if s < end and entity.start < e]
        index = _lookup(reg, key, _LABEL_KIND[entity.label])
        if inner:
            # a registry name or a person here already; an organization opening with a head noun and holding a
            # place ("بنك إنجلترا المركزي") is that organization instead of the place
            registry_places = [(s, e, k, n) for s, e, k, n in found if s < end and entity.start < e]
            if not (entity.label == "ORG" and index is None and words[0] in _ORGANIZATION_HEADS
                    and len(words) >= 2 and registry_places
                    and all(k == PLACE and start <= s and e <= end for s, e, k, _ in registry_places)
                    and not any(m.start < end and entity.start < m.end for m in people)):
                continue
            found = [f for f in found if f not in registry_places]
        if index is not None:
            entry = reg.entries[index]
            found.append((start, end, entry.kind, entry.name))
        else:
            if plain is None:
                plain = _plain(text)
            shown = " ".join(plain[start: end].split()) if len(plain) == len(norm) else " ".join(words)
            if restored:
                shown = "ا" + shown
            found.append((start, end, _LABEL_KIND[entity.label], shown))
        taken.append((start, end))
    return sorted(found)


def extract_entities(title: str, body: str, normalized: str | None = None, *,
                     entities: Sequence[Entity] | None = None, people: Sequence[Mention] = (),
                     tagger: NameTagger | None = None, use_model: bool = True) -> EntitiesFound:
    """The places and organizations of an article, each once, in order of first mention (see entity_mentions)."""
    article = ArticleEntities(title, body, normalized, entities, people)
    return extract_entities_of([article], tagger=tagger, use_model=use_model)[0]


def extract_entities_of(articles: Sequence[ArticleEntities], *, tagger: NameTagger | None = None,
                        use_model: bool = True) -> list[EntitiesFound]:
    """extract_entities for many articles at once: the same results, faster (see entity_mentions_of)."""
    out = []
    for mentions in entity_mentions_of(articles, tagger=tagger, use_model=use_model):
        places: dict[str, None] = {}
        organizations: dict[str, None] = {}
        for _, _, kind, name in mentions:
            (places if kind == PLACE else organizations).setdefault(name, None)
        out.append(EntitiesFound(list(places), list(organizations)))
    return out
