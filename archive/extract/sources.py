"""Outlets: the registry (archive/data/outlets.json) and the outlet of an article.

Convention: an outlet's canonical name is its Arabic name (e.g. "سكاي نيوز عربية"); every alias, Latin
name and domain maps to it, given metadata included, so "Sky News Arabia" from a JSONL export and
"سكاي نيوز" from a credit line land on the same facet value. A given name the registry does not know is
kept as given.

Order of evidence: given metadata; the URL's domain; a dateline or credit at the top or bottom of the
story ("موسكو-سانا", "(CNN)—", a closing "sputnik" line); an outlet naming itself in the story
("موقع الديار", "علمت الديار"); otherwise unknown (None).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from archive.resources import DATA_DIR
from archive.text.charsets import ARABIC_LETTER_RANGE, DEFINITE_ARTICLE
from archive.text.normalize import normalize

_NON_ALNUM = re.compile(r"[\W_]+")


def name_key(name: str) -> str:
    """A name reduced for lookup: normalized, lower-case, letters and digits only, no spaces."""
    return _NON_ALNUM.sub("", normalize(name).lower())


@dataclass(frozen=True, slots=True)
class Outlet:
    name: str
    latin: str
    aliases: tuple[str, ...]
    bare: tuple[str, ...]
    domains: tuple[str, ...]


def _name_pattern(name: str) -> str:
    """A regex for NAME in normalized text: any run of spaces/dots/dashes between its parts."""
    parts = [re.escape(part) for part in re.split(r"[\s.]+", normalize(name)) if part]
    return r"[\s.]*".join(parts)


def _is_common_word_name(name: str) -> bool:
    """A one-word name with the article (الرياض، الخليج، الأهرام، الشرق) is also a city, a region or a word:
    as a credit it counts only as a whole line or in a self-reference, like a bare name."""
    return len(name.split()) == 1 and normalize(name).startswith(DEFINITE_ARTICLE)


_DELIM_BEFORE = re.compile(r"(?:^|[(\-–—/|:،,\[])\s*[\"“”«»']?$")
_DELIM_AFTER = re.compile(r"^[\"“”«»']?\s*(?:$|[)\-–—/|:،,\]])")
_LETTERS = f"{ARABIC_LETTER_RANGE}A-Za-z0-9"
# where a dateline's outlet may start: after a dash, slash, colon or bracket, or after the date's last digit
# or before «: normalize() deletes the tatweel some outlets use as the dash ("لندن ـ «القدس العربي»:")
_DATELINE_DELIM = re.compile(r"[\-–—/:(|]|(?<=\d) |\s(?=«)")
# "المصدر: الشرق الأوسط" (not "نقلا عن": an op-ed reprinted from another paper is published by this one)
_SOURCE_LABEL = re.compile(r"\W*(?:المصدر|مصدر الخبر)\s*[:\-–—]?")
# what cannot stand before a dateline's outlet: sentence punctuation, quotes, or the lead of a related link
_DATELINE_PREFIX_BAD = re.compile(r"(?<!\d)\.|[!?؟\"“”«»']|للمزيد|اقرا|شاهد|طالع")
_AFTER_BRACKET = re.compile(r"\s*(?:$|[-–—:])")
_PREFIX_WORD = re.compile(f"[{ARABIC_LETTER_RANGE}A-Za-z]+")


class OutletRegistry:
    def __init__(self, outlets: list[Outlet]) -> None:
        self.outlets = outlets
        self.by_key: dict[str, str] = {}
        self.by_domain: dict[str, str] = {}
        credit_names: dict[str, str] = {}
        bare_names: dict[str, str] = {}
        for outlet in outlets:
            for name in (outlet.name, outlet.latin, *outlet.aliases, *outlet.bare):
                self.by_key.setdefault(name_key(name), outlet.name)
            for domain in outlet.domains:
                self.by_domain[domain.lower()] = outlet.name
            for name in (outlet.name, *outlet.aliases):
                if name in outlet.bare or (name == outlet.name and _is_common_word_name(name)):
                    continue
                credit_names[normalize(name).lower()] = outlet.name
            for name in (outlet.name, *outlet.bare) if _is_common_word_name(outlet.name) else outlet.bare:
                bare_names[normalize(name).lower()] = outlet.name
        self._credit_lookup = {name_key(k): v for k, v in credit_names.items()}
        self._bare_lookup = {name_key(k): v for k, v in bare_names.items()}
        self._any_lookup = {**self._credit_lookup, **self._bare_lookup}

        def alternation(names: dict[str, str]) -> str:
            return "|".join(_name_pattern(n) for n in sorted(names, key=len, reverse=True))

        edge_before, edge_after = f"(?<![{_LETTERS}])", f"(?![{_LETTERS}])"
        self.credit_re = re.compile(f"{edge_before}(?:{alternation(credit_names)}){edge_after}", re.IGNORECASE)
        bare = alternation(bare_names)
        self.bare_line_re = re.compile(rf"^\W*(?:{bare})\W*$", re.IGNORECASE)
        # In a dateline even a name that is also a word (الشرق الأوسط, المدى) is the outlet: set off by a dash,
        # slash, colon or bracket after the city (and date), quoted or not, and closed by a delimiter or the line end.
        any_name = alternation({**credit_names, **bare_names})
        self.dateline_name_re = re.compile(
            rf"\s*[\"“”«»']?\s*(?P<o>{any_name})\s*[\"“”«»']?\s*(?P<close>$|[)\-–—:،,(|/])", re.IGNORECASE)
        self.closing_name_re = re.compile(
            rf"\(\s*[\"“”«»']?\s*(?P<o>{any_name})\s*[\"“”«»']?\s*\)[\W_]*$", re.IGNORECASE)
        self.self_reference_re = re.compile(
            rf"(?<![{_LETTERS}])(?:(?:موقع|لموقع|علمت|مراسل|مراسله)\s+[\"“”«»']?(?P<a>{bare}|{alternation(credit_names)})"
            rf"|(?P<b>{bare})[\"“”«»']?\s+علمت){edge_after}",
            re.IGNORECASE,
        )

    # ------------------------------------------------------------ lookups

    def canonical(self, name: str) -> str | None:
        return self.by_key.get(name_key(name))

    def from_url(self, url: str) -> str | None:
        try:
            host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
        except ValueError:
            return None
        host = host.lower().removeprefix("www.")
        while host:
            if host in self.by_domain:
                return self.by_domain[host]
            host = host.partition(".")[2]
        return None

    def _credits(self, normalized: str) -> list[tuple[int, int, str]]:
        found = []
        for match in self.credit_re.finditer(normalized):
            outlet = self._credit_lookup.get(name_key(match.group()))
            if outlet:
                found.append((match.start(), match.end(), outlet))
        return found

    def _credit_line(self, normalized: str, bottom: bool = False) -> str | None:
        """A short line that is a credit or dateline: "موسكو-سانا", "sputnik", "فرانس24/ أ ف ب". A bare name
        alone on a line ("الديار") is a credit only at the bottom: at the top it is a city dateline (الرياض)."""
        if len(normalized) > 50 or len(normalized.split()) > 6:
            return None
        if self.bare_line_re.match(normalized):
            return self._bare_lookup.get(name_key(normalized)) if bottom else None
        credits = self._credits(normalized)
        return credits[0][2] if credits else None

    def _delimited_credit(self, text: str, offset: int, window: int) -> str | None:
        """A credit set off by brackets or dashes within WINDOW characters: "دبي (CNN)—", "- رويترز"."""
        for start, end, outlet in self._credits(text):
            if not offset <= start <= offset + window:
                continue
            if _DELIM_BEFORE.search(text[max(0, start - 3): start]) or _DELIM_AFTER.match(text[end: end + 3]):
                return outlet
        return None

    def _dateline(self, line: str) -> str | None:
        """The outlet of a dateline that opens LINE: "بيروت - «الشرق الأوسط»", "بغداد/ المدى", "رام الله 3-1-2024
        وفا-", "القاهرة: «الأهرام»:". What stands before the outlet must look like a city and date: a few words,
        no sentence punctuation or quotes (so "قال مصدر لـ«الحياة»:" is not a dateline)."""
        head = line[:100]
        for delim in _DATELINE_DELIM.finditer(head, 0, 46):
            prefix = head[: delim.start()]
            if _DATELINE_PREFIX_BAD.search(prefix):
                break  # a sentence has started: no dateline further on
            if not 1 <= len(_PREFIX_WORD.findall(prefix)) <= 6:
                continue
            match = self.dateline_name_re.match(head, delim.end())
            if not match:
                continue
            # "عمان (بترا) -", not an agency cited in a sentence: "ونقلت وكالة الأنباء (سانا) عن", "لـ(سانا):"
            if delim.group() == "(" and (match.group("close") != ")" or not prefix.endswith(" ")
                                         or not _AFTER_BRACKET.match(line, match.end())):
                continue
            return self._any_lookup.get(name_key(match.group("o")))
        return None

    def detect(self, url: str | None, normalized_lines: list[str]) -> str | None:
        if url and (outlet := self.from_url(url)):
            return outlet
        if not normalized_lines:
            return None
        top, bottom = normalized_lines[:3], normalized_lines[1:][-3:]  # the first line is never a closing credit
        for line in top:
            if outlet := self._credit_line(line) or self._dateline(line):
                return outlet
        first = normalized_lines[0]
        if len(first) > 50 and (outlet := self._delimited_credit(first[:120], 0, 80)):
            return outlet
        for line in reversed(bottom):
            if outlet := self._credit_line(line, bottom=True):
                return outlet
            # "المصدر: الشرق الأوسط": a labelled credit names the outlet even when its name is also a word
            label = _SOURCE_LABEL.match(line) if len(line) <= 50 else None
            if label and (match := self.dateline_name_re.match(line, label.end())):
                return self._any_lookup.get(name_key(match.group("o")))
        last = normalized_lines[-1]
        if match := self.closing_name_re.search(last[-60:]):  # "... (الشرق الأوسط)" closing the story
            return self._any_lookup.get(name_key(match.group("o")))
        if len(last) > 50:
            tail = last[-80:]
            if outlet := self._delimited_credit(tail, max(0, len(tail) - 40), 40):
                return outlet
        for text in normalized_lines:
            match = self.self_reference_re.search(text)
            if match:
                name = match.group("a") or match.group("b")
                return self._bare_lookup.get(name_key(name)) or self._credit_lookup.get(name_key(name))
        return None


@lru_cache(maxsize=1)
def registry() -> OutletRegistry:
    data = json.loads((DATA_DIR / "outlets.json").read_text(encoding="utf-8"))
    return OutletRegistry([
        Outlet(o["name"], o.get("latin", ""), tuple(o.get("aliases", ())), tuple(o.get("bare", ())),
               tuple(o.get("domains", ())))
        for o in data["outlets"]
    ])


def canonical_source(name: str) -> str:
    """The registry's canonical (Arabic) name for NAME, or NAME tidied when the registry does not know it."""
    tidy = " ".join(name.split())
    return registry().canonical(tidy) or tidy


def detect_source(url: str | None, lines: list[str], normalized_lines: list[str] | None = None) -> str | None:
    """The outlet of an article with no given source: URL domain, then credits, then self-references."""
    if normalized_lines is None:
        normalized_lines = [normalize(line) for line in lines]
    return registry().detect(url, normalized_lines)
