"""Dates as Arabic outlets write them, and the publication date of an article.

Forms recognized (on normalize()d text, so Arabic-Indic digits and hamza/taa-marbuta variants agree):
numeric 2023/03/14, 2019.08.19, 14/03/2023, 14-3-2023, ISO with time and zone; month names of every
series in archive/data/months.json — Levantine/Iraqi (كانون الثاني … كانون الأول), Egyptian/Gulf
(يناير، أبريل/ابريل، يونيو/يونيه …), Maghrebi (جانفي، أفريل، ماي، جوان، أوت …), English (March, Mar) — alone or
paired ("كانون الأول/ديسمبر"), with or without a weekday and "من" ("الثلاثاء 14 من أيلول"), day first
("14 مارس 2023"), month first as some outlets print it ("مارس 14، 2023", "أكتوبر 20 2018", "March 14, 2023") or year
first ("2023 مارس 14"); and Hijri dates
(محرم … ذو الحجة, "هـ") converted to Gregorian with hijridate.

The publication date is a date in the dateline, byline or timestamp near the top, an explicit stamp
("تاريخ النشر", "آخر تحديث"), or one the article calls today ("اليوم الثلاثاء 14 من أيلول"). Dates of events
in the story are not publication dates; an article without one is undated.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from functools import lru_cache

from hijridate import Hijri

from archive.extract.sources import registry as outlet_registry
from archive.resources import DATA_DIR
from archive.text.charsets import ARABIC_LETTER_RANGE
from archive.text.normalize import normalize

_LETTER = ARABIC_LETTER_RANGE
MIN_YEAR, MAX_YEAR = 1900, 2099


@dataclass(frozen=True, slots=True)
class DateMatch:
    start: int
    end: int
    day: int
    month: int
    year: int | None  # None when the text names no year
    weekday: int | None  # Python weekday (Monday = 0) named with the date
    hijri: bool = False

    def to_date(self, year: int | None = None) -> datetime.date | None:
        year = self.year if self.year is not None else year
        if year is None:
            return None
        try:
            if self.hijri:
                return datetime.date(*Hijri(year, self.month, self.day).to_gregorian().datetuple())
            return datetime.date(year, self.month, self.day)
        except (ValueError, OverflowError):
            return None


def _alternation(names: dict[str, int]) -> str:
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class _Patterns:
    month_number: dict[str, int]
    hijri_number: dict[str, int]
    weekday_number: dict[str, int]
    textual: re.Pattern[str]
    month_first: re.Pattern[str]
    year_first: re.Pattern[str]
    hijri: re.Pattern[str]
    ymd: re.Pattern[str]
    dmy: re.Pattern[str]
    today: re.Pattern[str]
    stamp: re.Pattern[str]


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    months = json.loads((DATA_DIR / "months.json").read_text(encoding="utf-8"))
    weekdays = json.loads((DATA_DIR / "weekdays.json").read_text(encoding="utf-8"))
    month_number = {
        " ".join(normalize(name).split()): int(number)
        for series in months["gregorian"].values() for number, names in series.items() for name in names
    }
    hijri_number = {" ".join(normalize(name).split()): int(n) for n, names in months["hijri"].items() for name in names}
    weekday_number = {normalize(name): int(n) for n, names in weekdays.items() if n.isdigit() for name in names}

    def flexible(alternation: str) -> str:
        return alternation.replace(r"\ ", r"\s+")  # "كانون الاول" may be split by any run of spaces

    month = flexible(_alternation(month_number))
    hijri_month = flexible(_alternation(hijri_number))
    weekday = _alternation(weekday_number)
    end = f"(?![{_LETTER}a-z])"
    start = f"(?<![{_LETTER}a-z])"
    weekday_part = rf"(?:(?P<wd>{weekday}){end}\s*[،,]?\s*)?"
    day = r"(?<!\d)(?P<d>[0-3]?\d)(?!\d)"
    year = r"(?:\s*[،,]?\s*(?:(?:عام|سنه)\s+)?(?P<y>(?:19|20)\d\d)(?!\d))?"
    textual = re.compile(
        weekday_part + day + r"\s*(?:من\s+)?(?:شهر\s+)?"
        + rf"(?P<m>{month}){end}(?:\s*[/(\-]\s*(?:{month}){end}\s*\)?)?" + year
    )
    # month first needs the year (without it "مارس 14 قتيلا" would be a date); year first needs the day
    month_first = re.compile(
        weekday_part + start + rf"(?P<m>{month}){end}\.?\s*(?P<d>[0-3]?\d)(?!\d)(?:st|nd|rd|th)?"
        r"\s*[،,]?\s*(?P<y>(?:19|20)\d\d)(?!\d)"
    )
    year_first = re.compile(
        weekday_part + r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*[،,]?\s*" + start + rf"(?P<m>{month}){end}\s*"
        r"(?P<d>[0-3]?\d)(?!\d)"
    )
    hijri = re.compile(
        weekday_part + day + rf"\s*(?:من\s+)?(?:شهر\s+)?(?P<m>{hijri_month}){end}\s*(?:سنه\s+|عام\s+)?"
        r"(?P<y>1[2-5]\d\d)(?!\d)\s*(?:ه|هجريه|للهجره)?" + f"(?![{_LETTER}])"
    )
    sep_month = r"\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*"
    ymd = re.compile(weekday_part + r"(?<!\d)(?P<y>(?:19|20)\d\d)" + sep_month + r"(?P<d>\d{1,2})(?!\d)")
    dmy = re.compile(weekday_part + r"(?<![\d.])(?P<d>\d{1,2})" + sep_month + r"(?P<y>(?:19|20)\d\d)(?!\d)")
    today = re.compile(rf"(?<![{_LETTER}])(?:اليوم|الليله|هذا اليوم)\s*[،,]?\s*$")
    stamp = re.compile(
        r"(?:تاريخ النشر|نشر بتاريخ|نشر في|تم النشر|تاريخ الاضافه|اخر تحديث|تم التحديث|Published|Updated)"
        r"\s*[:،,-]?\s*$",
        re.IGNORECASE,
    )
    return _Patterns(month_number, hijri_number, weekday_number, textual, month_first, year_first, hijri, ymd, dmy,
                     today, stamp)


def _month_of(name: str, table: dict[str, int]) -> int:
    return table[" ".join(name.split())]


def find_dates(normalized: str) -> list[DateMatch]:
    """Every date written in NORMALIZED text (see normalize()), in order of position, without overlaps."""
    p = _patterns()
    found: list[DateMatch] = []

    def weekday_of(match: re.Match[str]) -> int | None:
        name = match.group("wd")
        return p.weekday_number[name] if name else None

    for match in p.textual.finditer(normalized):
        year = match.group("y")
        found.append(DateMatch(match.start(), match.end(), int(match.group("d")),
                               _month_of(match.group("m"), p.month_number), int(year) if year else None,
                               weekday_of(match)))
    for pattern in (p.month_first, p.year_first):
        for match in pattern.finditer(normalized):
            found.append(DateMatch(match.start(), match.end(), int(match.group("d")),
                                   _month_of(match.group("m"), p.month_number), int(match.group("y")),
                                   weekday_of(match)))
    for match in p.hijri.finditer(normalized):
        found.append(DateMatch(match.start(), match.end(), int(match.group("d")),
                               _month_of(match.group("m"), p.hijri_number), int(match.group("y")),
                               weekday_of(match), hijri=True))
    for pattern in (p.ymd, p.dmy):
        for match in pattern.finditer(normalized):
            day, month = int(match.group("d")), int(match.group("m"))
            if pattern is p.dmy and month > 12 and day <= 12:  # 03/14/2023: month first, as US feeds write it
                day, month = month, day
            found.append(DateMatch(match.start(), match.end(), day, month, int(match.group("y")), weekday_of(match)))
    found.sort(key=lambda m: (m.start, -m.end))
    result: list[DateMatch] = []
    for date_match in found:
        if result and date_match.start < result[-1].end:
            continue
        if 1 <= date_match.day <= 31 and 1 <= date_match.month <= 12:
            result.append(date_match)
    return result


def plausible(date: datetime.date | None) -> datetime.date | None:
    """DATE unless it cannot be a publication date: before 1900 or more than a year ahead of today."""
    if date is None or date.year < MIN_YEAR or date > datetime.date.today() + datetime.timedelta(days=366):
        return None
    return date


_ISO_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}")


def parse_date(text: str) -> datetime.date | None:
    """A date given as metadata: ISO (with or without time and zone) or any form find_dates knows; None when it
    is not a real, plausible date (2023-02-30, 2023-13-01, 3000-01-01, "أمس")."""
    text = text.strip()
    try:
        return plausible(datetime.date.fromisoformat(text[:10]))
    except ValueError:
        if _ISO_LIKE.match(text):
            return None  # an ISO date that does not exist: not to be re-read as another form
    for match in find_dates(normalize(text)):
        return plausible(match.to_date())
    return None


_DIGIT = re.compile(r"\d")
# a cheap first test for step 2 of publication_date: the words its stamp and today patterns need
_STAMP_OR_TODAY_WORD = re.compile(r"اليوم|الليله|نشر|تحديث|الاضافه|published|updated", re.IGNORECASE)
_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:[ap]\.?m\.?|ص|م|صباحا|مساء))?", re.IGNORECASE)
_ZONE = re.compile(r"(?:T|Z|[+-]\d{2}:?\d{2}|GMT|UTC|بتوقيت \S+|\([^)]{0,20}\))")
_WORD = re.compile(f"[{_LETTER}A-Za-z]+")


def _leftover_words(normalized_line: str, match: DateMatch) -> int:
    rest = normalized_line[: match.start] + " " + normalized_line[match.end:]
    rest = _ZONE.sub(" ", _TIME.sub(" ", rest))
    return len(_WORD.findall(rest))


def is_date_line(line: str) -> bool:
    """A line that is a date or timestamp (maybe with a weekday, time, city or a stamp word), not a headline."""
    if len(line) > 80:
        return False
    normalized = normalize(line)
    if not _DIGIT.search(normalized):
        return False
    dates = find_dates(normalized)
    return bool(dates) and _leftover_words(normalized, dates[0]) <= 3


# what may stand between the two dates of a paired dateline: "الموافق", "م", a slash, a comma
_DATE_JOINER = re.compile(r"\s*(?:م\b)?\s*[،,/]?\s*(?:الموافق(?:\s*ل)?|وفق|\()?\s*")
TOP_LINES = 6  # the dateline, byline and timestamp of a page sit above or at the start of the story
DATELINE_CHARS = 60


def _resolve_year(match: DateMatch, years_mentioned: list[int]) -> datetime.date | None:
    """A date with no year: the year that agrees with its weekday (among the years the article mentions,
    and the year either side), else the latest year mentioned; none mentioned -> no date."""
    if not years_mentioned:
        return None
    latest = max(years_mentioned)
    if match.weekday is not None:
        candidates = sorted({y + delta for y in years_mentioned for delta in (0, 1, -1)},
                            key=lambda y: (abs(y - latest), -y))
        for year in candidates:
            date = match.to_date(year)
            if date is not None and date.weekday() == match.weekday:
                return date
    return match.to_date(latest)


_DASH_AFTER_DATE = re.compile(r"\s*[-–—:(|]")
_SLASH = re.compile(r"\s*/")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def publication_date(lines: list[str], normalized_lines: list[str] | None = None) -> datetime.date | None:
    """The publication date of an article given its (cleaned, non-empty) lines, or None when undated."""
    if normalized_lines is None:
        normalized_lines = [normalize(line) for line in lines]
    chosen: DateMatch | None = None
    # 1. a dateline, byline or timestamp near the top: a short line that is mostly a date, or a date that
    #    opens the first paragraph before its dash ("القاهرة، 14 مارس 2023 (رويترز) -")
    for index, line in enumerate(normalized_lines[:TOP_LINES]):
        if not _DIGIT.search(line):
            continue
        if len(line) <= 80:
            dates = find_dates(line)
            if dates and _leftover_words(line, dates[0]) <= 5:
                chosen = dates[0]
                break
        else:
            dates = find_dates(line[: DATELINE_CHARS + 80])
            if dates and dates[0].start <= DATELINE_CHARS:
                # a dateline may pair calendars ("15 ربيع الأول 1445 هـ الموافق 30 سبتمبر 2023 (واس) -"):
                # the dash follows the last date of the pair; the Gregorian one is the exact day
                pair = [dates[0]]
                for following in dates[1:]:
                    if not _DATE_JOINER.fullmatch(line[pair[-1].end: following.start]):
                        break
                    pair.append(following)
                rest = line[pair[-1].end:]
                # the agency may stand between the date and the dash: "رام الله 3-1-2024 وفا- قال ...", and a slash
                # may lead to it ("14/3/2023/ المدى:"), though not to anything else ("18 أبريل/نسيان الجاري")
                slash = _SLASH.match(rest)
                if _DASH_AFTER_DATE.match(rest) or outlet_registry().dateline_name_re.match(
                        rest, slash.end() if slash else 0):
                    chosen = next((d for d in pair if not d.hijri), pair[0])
                    break
        if index >= 2 and len(line) > 80:
            break  # the story has started
    if chosen is None:
        # 2. an explicit stamp anywhere ("تاريخ النشر: ..."), or a date the article calls today
        p = _patterns()
        for line in normalized_lines:
            if not _DIGIT.search(line) or not _STAMP_OR_TODAY_WORD.search(line):
                continue
            for match in find_dates(line):
                before = line[max(0, match.start - 24): match.start]
                if p.stamp.search(before) or p.today.search(before):
                    chosen = match
                    break
            if chosen is not None:
                break
    if chosen is None:
        return None
    if chosen.year is not None:
        return plausible(chosen.to_date())
    years = [int(y) for line in normalized_lines for y in _YEAR.findall(line)]
    years = [y for y in years if MIN_YEAR <= y <= datetime.date.today().year + 1]
    return plausible(_resolve_year(chosen, years))
