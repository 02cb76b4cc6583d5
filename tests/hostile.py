"""Generators of hostile input for the reliability tests: a corpus of malformed records mixed into good ones,
with the exact ledger of what must become of each record, hostile queries, and a synthetic corpus of
well-formed articles for the fault and load tests.

Everything is generated at test time into a temporary directory (nothing generated is committed) and is
deterministic: the same call writes the same bytes, so a failure can be reproduced.

Good text comes from the bundled seed articles: real Arabic paragraphs, each record made unique by a
marker word (`marker(n)`) that no real text contains, so a test can find every good record by its marker.

What must become of each kind of damage (indexed, skipped with a reason, or collapsed as a duplicate) is decided
once, in `DECISIONS`, with the reason; the ledger carries one `Expected` per record.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gzip
import io
import json
import os
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archive.article import derive_article_id

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

INDEXED = "indexed"
SKIPPED = "skipped"
DUPLICATE = "duplicate"
ANY_DATE = "any"  # the record's date is extracted from its text: not asserted

# Why each kind of damage ends as it does. A record is GOOD when its story is intact, whatever else is wrong
# with it; it is SKIPPED (with a reason) when there is no story, or when its structure is broken (a wrong JSON
# type means the exporting program is broken, and the user must hear about it rather than get a half-read
# record); a second copy of an article already read is a DUPLICATE.
DECISIONS: dict[str, tuple[str, str]] = {
    "good": (INDEXED, "seed-derived Arabic article with id, title, source, valid date and url"),
    "good_text_field": (INDEXED, "`text` instead of `body` is allowed by ../shared/DESIGN.md"),
    "good_numeric_id": (INDEXED, "an integer id is read as its decimal string"),
    "good_iso_datetime": (INDEXED, "an ISO timestamp with time and zone gives its date"),
    "good_crlf": (INDEXED, "Windows line endings"),
    "good_last_line_no_newline": (INDEXED, "the last line of a file without a final newline is still a record"),
    "html_and_script": (INDEXED, "HTML and <script> are text to index; the app escapes it, never runs it"),
    "bidi_overrides": (INDEXED, "RLO/LRO/PDF characters in title and body do not make a story unreadable"),
    "zero_width_in_words": (INDEXED, "zero-width characters inside words: the words stay findable"),
    "long_title": (INDEXED, "an extremely long title is still an article (shortened for display if need be)"),
    "long_token": (INDEXED, "a 10,000-character token inside a story: the story is indexed, the token not"),
    "control_chars": (INDEXED, "NUL and control characters are removed, the story kept"),
    "huge_body": (INDEXED, "a body of several MB is a (very long) article"),
    "impossible_date": (INDEXED, "a date that does not exist (2023-02-30, 9999-99-99): article kept, undated"),
    "future_date": (INDEXED, "a publication date centuries ahead (year 3000) cannot be true: kept, undated"),
    "txt_utf8_bom": (INDEXED, "UTF-8 with BOM"),
    "txt_utf16_bom": (INDEXED, "UTF-16 LE/BE with BOM"),
    "txt_utf16_no_bom": (INDEXED, "UTF-16 LE/BE without BOM, detected"),
    "txt_cp1256": (INDEXED, "Windows-1256 without any declaration, detected (not mojibake)"),
    "txt_stray_invalid_byte": (INDEXED, "UTF-8 with one broken byte: decoded as UTF-8 with one replacement "
                                        "character, not guessed as another encoding (that would be mojibake)"),
    "txt_cr_only": (INDEXED, "old-Mac line endings"),
    "txt_nul_bytes": (INDEXED, "NUL bytes inside a text file are removed"),
    "txt_deep_tree": (INDEXED, "a file eight folders deep"),
    "csv_cp1256": (INDEXED, "a CSV file in Windows-1256"),
    "csv_utf16": (INDEXED, "a CSV file in UTF-16 with BOM"),
    "csv_bom_header": (INDEXED, "a CSV with a UTF-8 BOM before its header: the `id` column still read"),
    "csv_multiline_body": (INDEXED, "quoted bodies spanning lines"),
    "csv_huge_field": (INDEXED, "a 1 MB cell (beyond the csv module's default field limit)"),
    "invalid_json": (SKIPPED, "truncated or garbled JSON line"),
    "not_an_object": (SKIPPED, "a JSON line that is a list, string, number, true or null"),
    "missing_body": (SKIPPED, "no body/text field, or an empty/null one"),
    "wrong_type": (SKIPPED, "body: 5, title: [..], date: {}, persons: [1, 2], id: {} ..."),
    "invalid_utf8_line": (SKIPPED, "a JSONL line that is not UTF-8 (JSON text must be UTF-8)"),
    "only_diacritics": (SKIPPED, "harakat only: no letters, so too short"),
    "only_punctuation": (SKIPPED, "punctuation only: no words, so too short"),
    "only_whitespace": (SKIPPED, "blank body: too short"),
    "only_invisible": (SKIPPED, "zero-width and direction marks only: nothing visible, too short"),
    "too_short": (SKIPPED, "a body of two words"),
    "binary_file": (SKIPPED, "random bytes, an image, a NUL-filled file named .txt"),
    "empty_file": (SKIPPED, "a .txt of zero bytes or whitespace only"),
    "unsupported_file": (SKIPPED, "a file of no input format inside a folder (an image, Markdown)"),
    "not_a_feed": (SKIPPED, "an .xml file that is not an RSS or Atom feed"),
    "not_gzip": (SKIPPED, "a .jsonl.gz that is not gzip: the file is reported unreadable"),
    "invalid_sidecar": (SKIPPED, "a .txt whose sidecar .json is broken: the given metadata cannot be honoured"),
    "csv_missing_body": (SKIPPED, "a CSV row with an empty body cell"),
    "csv_extra_cells": (SKIPPED, "a CSV row with more cells than the header"),
    "csv_no_body_column": (SKIPPED, "a CSV whose header has no body/text column: one report for the file"),
    "csv_empty_file": (SKIPPED, "a CSV of zero bytes"),
    "dup_same_id": (DUPLICATE, "the same id again"),
    "dup_same_url": (DUPLICATE, "the same URL with another scheme, www., tracking parameters, trailing slash"),
    "dup_same_content": (DUPLICATE, "same title and body, re-vowelled and re-spaced, no id or url"),
    "dup_txt_copy": (DUPLICATE, "a .txt copy of a JSONL record"),
    "dup_symlink": (DUPLICATE, "a symlink to a file already read"),
}

# What a skip reason must say, per kind (case-insensitive regex): the user must learn what was wrong.
REASONS: dict[str, str] = {
    "invalid_json": r"json",
    "not_an_object": r"object|type",
    "missing_body": r"body",
    "wrong_type": r"type|must be",
    "invalid_utf8_line": r"utf-?8|decod|encoding",
    "only_diacritics": r"short|empty|no (text|words|letters)",
    "only_punctuation": r"short|empty|no (text|words|letters)",
    "only_whitespace": r"short|empty|no (text|words|letters)",
    "only_invisible": r"short|empty|no (text|words|letters)",
    "too_short": r"short",
    "binary_file": r"binary|encoding|decod|short|empty|not text",
    "empty_file": r"short|empty",
    "unsupported_file": r"unsupported|not \.txt",
    "not_a_feed": r"not a feed",
    "not_gzip": r"gzip|unreadable|compress",
    "invalid_sidecar": r"sidecar",
    "csv_missing_body": r"body",
    "csv_extra_cells": r"cells|column|field",
    "csv_no_body_column": r"body",
    "csv_empty_file": r"body|empty|header",
}


@dataclass(frozen=True, slots=True)
class Expected:
    """What must become of one record."""

    origin: str  # path relative to the corpus root, with ":LINE" for a JSONL/CSV record
    kind: str
    article_id: str | None = None  # the id it must have in the index, when it can be known in advance
    probe: str | None = None  # a marker word the stored body must contain (proves it was decoded right)
    date: datetime.date | str | None = ANY_DATE

    @property
    def outcome(self) -> str:
        return DECISIONS[self.kind][0]

    @property
    def reason_pattern(self) -> str | None:
        return REASONS.get(self.kind)


@dataclass
class HostileCorpus:
    root: Path
    ledger: list[Expected] = field(default_factory=list)
    # article id -> a marker word its body writes with a zero-width character inside it
    zero_width_words: dict[str, str] = field(default_factory=dict)

    def by_outcome(self, outcome: str) -> list[Expected]:
        return [entry for entry in self.ledger if entry.outcome == outcome]

    @property
    def malformed(self) -> list[Expected]:
        """Every record with something wrong or unusual about it (all but plain good ones)."""
        return [entry for entry in self.ledger if entry.kind != "good"]

    def relative_origin(self, origin: str) -> str:
        """An origin as the readers report it (absolute or as given), relative to the corpus root."""
        path, sep, line = origin.rpartition(":") if re.search(r":\d+$", origin) else (origin, "", "")
        relative = os.path.relpath(path, self.root)
        return relative + (f":{line}" if sep else "")


# ---------------------------------------------------------------- text material

# Letters that no light stemmer strips as prefix or suffix (not ا ل و ب ك ف ت ن ه ة ي س), so a marker word is its
# own index term.
_MARKER_LETTERS = "جحخدذرزشصضطظعغقم"


def marker(number: int) -> str:
    """A unique word, no real text contains it: "قخ" + the number in base 16 written with the letters above."""
    digits = []
    for _ in range(4):
        number, remainder = divmod(number, 16)
        digits.append(_MARKER_LETTERS[remainder])
    return "قخ" + "".join(reversed(digits))


_DIGIT = re.compile("[0-9\u0660-\u0669\u06f0-\u06f9]")


def seed_paragraphs() -> list[str]:
    """Long paragraphs of the seed articles, without digits (so no date can be extracted from them)."""
    paragraphs: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = " ".join(line.split())
            if len(line) >= 80 and not _DIGIT.search(line) and line not in paragraphs:
                paragraphs.append(line)
    if len(paragraphs) < 20:
        raise RuntimeError(f"the seeds give only {len(paragraphs)} usable paragraphs")
    return paragraphs


def seed_sentences() -> list[str]:
    sentences = []
    for paragraph in seed_paragraphs():
        sentences.extend(part.strip() + "." for part in re.split(r"[.!؟]", paragraph) if len(part.strip()) > 25)
    return sentences


SOURCES = ["سكاي نيوز عربية", "العربية", "بي بي سي عربي", "سي إن إن بالعربية", "فرانس 24", "سانا", "سبوتنيك"]


class _Writer:
    """Makes good records (each with a fresh marker) and keeps the ledger."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ledger: list[Expected] = []
        self.rng = random.Random(20240611)
        self.paragraphs = seed_paragraphs()
        self.count = 0

    def next_marker(self) -> str:
        self.count += 1
        return marker(self.count)

    def story(self, probe: str, paragraphs: int = 3) -> str:
        chosen = self.rng.sample(self.paragraphs, paragraphs)
        return "\n".join([f"وقال مصدر مطلع إن ملف {probe} ما زال مفتوحا أمام المفاوضين.", *chosen])

    def good_fields(self, *, dated: bool = True) -> dict:
        probe = self.next_marker()
        day = datetime.date(2018, 1, 1) + datetime.timedelta(days=self.rng.randrange(365))
        record = {
            "id": f"hostile-{self.count:05d}",
            "title": " ".join(self.rng.choice(self.paragraphs).split()[:7]) + f" {probe}",
            "body": self.story(probe),
            "source": self.rng.choice(SOURCES),
            "url": f"https://news.example.org/{self.count:05d}/story.html",
        }
        if dated:
            record["date"] = day.isoformat()
        return record

    def expect(self, origin: str, kind: str, record: dict | None = None, **kwargs) -> None:
        if record is not None and DECISIONS[kind][0] == INDEXED:
            probe = kwargs.pop("probe", None) or _marker_in(record.get("body") or record.get("text") or "")
            given_id = record.get("id")
            kwargs.setdefault("article_id", str(given_id) if given_id is not None else None)
            kwargs.setdefault("probe", probe)
            if "date" not in kwargs and isinstance(record.get("date"), str):
                kwargs["date"] = datetime.date.fromisoformat(record["date"][:10])
        self.ledger.append(Expected(origin, kind, **kwargs))

    def path(self, relative: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path


_MARKER = re.compile(f"قخ[{_MARKER_LETTERS}]{{4}}")


def _marker_in(text: str) -> str | None:
    found = _MARKER.search(text)
    return found.group(0) if found else None


def _json_line(record: object) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


class _Lines:
    """A JSONL file built line by line, so line numbers are known (1-based, blank lines counted)."""

    def __init__(self, writer: _Writer, relative: str) -> None:
        self.writer, self.relative, self.lines = writer, relative, []

    def add(self, raw: bytes, kind: str | None, record: dict | None = None, **kwargs) -> None:
        self.lines.append(raw)
        if kind is not None:
            self.writer.expect(f"{self.relative}:{len(self.lines)}", kind, record, **kwargs)

    def add_record(self, record: object, kind: str, **kwargs) -> None:
        self.add(_json_line(record), kind, record if isinstance(record, dict) else None, **kwargs)

    def blank(self) -> None:
        self.lines.append(b"   ")

    def write(self, *, newline: bytes = b"\n", final_newline: bool = True) -> None:
        data = newline.join(self.lines) + (newline if final_newline else b"")
        path = self.writer.path(self.relative)
        if self.relative.endswith(".gz"):
            # mtime fixed: the same bytes every run
            with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as stream:
                stream.write(data)
        else:
            path.write_bytes(data)


# ---------------------------------------------------------------- the hostile corpus


def make_hostile_corpus(root: Path) -> HostileCorpus:
    """Writes the hostile corpus under ROOT and returns it with its ledger (one Expected per record)."""
    root.mkdir(parents=True, exist_ok=True)
    w = _Writer(root)
    good_records: list[dict] = []

    # -- plain good records in every format: the bulk the damaged ones hide among
    for relative in ("good/batch-a.jsonl", "good/batch-b.jsonl.gz"):
        lines = _Lines(w, relative)
        for _ in range(50):
            record = w.good_fields()
            good_records.append(record)
            lines.add_record(record, "good")
            if w.count % 17 == 0:
                lines.blank()  # blank lines are not records
        lines.write()
    _write_csv(w, "good/batch-c.csv", [(w.good_fields(), "good") for _ in range(30)])

    # -- a JSONL file of damaged records interleaved with good ones
    lines = _Lines(w, "mixed/damaged.jsonl")

    def good_between() -> None:
        record = w.good_fields()
        lines.add_record(record, "good")

    good_between()
    for text in ['{"id": "x1", "body": "نص مقطوع', '{"body": }', "{'body': 'single quotes'}", "{body: 1}",
                 '{"body": "x"} trailing', "not json at all", "{", "}", '{"body": "\\uZZZZ"}', '[{"body": "a"']:
        lines.add(text.encode("utf-8"), "invalid_json")
        good_between()
    for value in ([1, 2], "just a string", 42, None, True, 3.5):
        lines.add_record(value, "not_an_object")
    good_between()
    for index in range(6):
        record = w.good_fields()
        del record["body"]
        lines.add_record(record, "missing_body")
        if index % 2:
            good_between()
    for empty in (None, "", None):
        record = w.good_fields()
        record["body"] = empty
        lines.add_record(record, "missing_body")
    wrong_types: list[tuple[str, object]] = [
        ("body", 5), ("body", 5), ("body", ["نص", "في", "قائمة"]), ("body", {"text": "نص"}), ("body", True),
        ("title", ["عنوان", "في قائمة"]), ("title", ["a"]), ("title", 12), ("title", {"ar": "عنوان"}),
        ("date", {}), ("date", {"y": 2018}), ("date", 20180101), ("date", [2018, 1, 1]),
        ("source", 7), ("source", ["العربية"]), ("url", []), ("url", 404),
        ("persons", [1, 2]), ("persons", {"name": "بوتين"}), ("persons", 5),
        ("id", {}), ("id", [1]), ("id", True),
    ]
    for index, (field_name, value) in enumerate(wrong_types):
        record = w.good_fields()
        record[field_name] = value
        lines.add_record(record, "wrong_type")
        if index % 3 == 0:
            good_between()
    for index in range(10):
        record = w.good_fields()
        raw = _json_line(record)
        # one byte that is never valid UTF-8 inside the body, or a truncated multi-byte sequence
        cut = raw.index(b'"body": "') + 12 + index * 7
        damaged = raw[:cut] + (b"\xff" if index % 2 else b"\xd8") + raw[cut:]
        lines.add(damaged, "invalid_utf8_line")
    good_between()
    harakat = "ًٌٍَُِّْ"
    for length in (1, 10, 40, 200, 1000, 5000):
        lines.add_record({"id": f"diacritics-{length}", "title": "حركات",
                          "body": (harakat * (length // len(harakat) + 1))[:length]}, "only_diacritics")
    for length in (3, 40, 200, 2000):
        lines.add_record({"id": f"kashida-marks-{length}", "body": ("ـَ" * length)}, "only_diacritics")
    good_between()
    punctuation = "!!؟؟...،،؛؛«»—–-()[]{}\"'*&^%$#@~`|\\/<>?:;.,"
    for length in (5, 40, 300, 3000):
        lines.add_record({"id": f"punct-{length}", "body": (punctuation * (length // len(punctuation) + 1))[:length]},
                         "only_punctuation")
    for body in ("١٢٣٤٥ ٦٧٨٩٠ " * 10, "- - - - - - - - - - - - - - - - - - - -", "..." * 100, "★☆♥♦" * 30):
        lines.add_record({"id": f"punct-{len(lines.lines)}", "body": body}, "only_punctuation")
    for body in ("   ", "\n\n\n\t\t   \n", "\u00a0" * 50, "\u3000 \u2003" * 30):
        lines.add_record({"id": f"blank-{len(lines.lines)}", "body": body}, "only_whitespace")
    for body in ("\u200c" * 100, "\u200b\u200c\u200d\u200e\u200f" * 40, "\u202e\u202d\u202c" * 50,
                 "\ufeff\u2060\u00ad" * 40, "\u202a\u202b\u2066\u2067\u2068\u2069" * 20):
        lines.add_record({"id": f"invisible-{len(lines.lines)}", "body": body}, "only_invisible")
    for body in ("خبر قصير", "عاجل", "موسكو - سانا", "ok"):
        lines.add_record({"id": f"short-{len(lines.lines)}", "body": body}, "too_short")
    good_between()

    # damaged but GOOD: the story is intact
    for index in range(8):
        record = w.good_fields()
        probe = _marker_in(record["body"])
        html = [
            f"<p>{record['body']}</p><script>alert('xss-{index}')</script>",
            f"<div onclick=\"steal()\"><b>{probe}</b></div>\n{record['body']}<img src=x onerror=alert(1)>",
            f"{record['body']}\n<iframe src=javascript:alert(1)></iframe><style>body{{display:none}}</style>",
            f"<![CDATA[ ]]><!-- comment -->{record['body']}</textarea></title><svg onload=alert(1)>",
        ][index % 4]
        record["body"] = html
        record["title"] = f"<script>alert({index})</script> " + record["title"]
        lines.add_record(record, "html_and_script")
    for index in range(8):
        record = w.good_fields()
        record["title"] = "\u202e" + record["title"] + "\u202c \u202dLTR\u202c"
        record["body"] = "\u202e" + record["body"].replace("\n", "\u202c\n\u202d", 2) + "\u202c" * (index + 1)
        lines.add_record(record, "bidi_overrides")
    zero_width_words: dict[str, str] = {}
    for index in range(8):
        record = w.good_fields()
        word = w.next_marker()  # a second marker, written with a zero-width character inside it
        hidden = word[:3] + ["\u200c", "\u200d", "\u200b", "\u2060", "\ufeff", "\u00ad", "\u200e", "\u200f"][index] \
            + word[3:]
        record["body"] = record["body"] + f"\nوذكرت الوكالة أن {hidden} وصل إلى المدينة."
        zero_width_words[record["id"]] = word
        lines.add_record(record, "zero_width_in_words")
    for length in (1000, 5000, 20000, 100000):
        record = w.good_fields()
        record["title"] = (record["title"] + " ") * (length // (len(record["title"]) + 1) + 1)
        lines.add_record(record, "long_title")
    for index in range(4):
        record = w.good_fields()
        token = (("ب" if index % 2 else "aZ9") * 10000)[:10000]
        record["body"] = record["body"].replace("\n", f" {token} \n", 1)
        if index == 3:
            record["title"] = token
        lines.add_record(record, "long_token")
    for _ in range(4):
        record = w.good_fields()
        record["body"] = record["body"].replace(" ", " \x00", 3).replace("\n", "\x07\x1b[31m\n\x0b", 2) + "\x7f\x85"
        lines.add_record(record, "control_chars")
    for text_date in ("2023-02-30", "9999-99-99", "2023-13-01", "0000-00-00", "2018-02-29", "أمس", "2019/31/31",
                      "1899-04-31"):
        record = w.good_fields()
        record["date"] = text_date
        lines.add_record(record, "impossible_date", date=None)
    for text_date in ("3000-01-01", "2999-12-31", "9999-12-31"):
        record = w.good_fields()
        record["date"] = text_date
        lines.add_record(record, "future_date", date=None)
    for _ in range(3):
        record = w.good_fields()
        record["text"] = record.pop("body")
        lines.add_record(record, "good_text_field")
    for _ in range(2):
        record = w.good_fields()
        record["id"] = 900000 + w.count
        lines.add_record(record, "good_numeric_id")
    for stamp in ("T10:00:00Z", "T23:59:59+03:00", " 08:15"):
        record = w.good_fields()
        record["date"] = record["date"] + stamp
        lines.add_record(record, "good_iso_datetime")
    # several MB: paragraphs with the marker at the start, so the probe is found without reading it all
    record = w.good_fields()
    filler = "\n".join(w.paragraphs)
    record["body"] = record["body"] + "\n" + "\n".join([filler] * (3_000_000 // len(filler.encode("utf-8")) + 1))
    lines.add_record(record, "huge_body")
    record = w.good_fields()
    lines.add(_json_line(record), "good_last_line_no_newline", record)
    lines.write(final_newline=False)

    lines = _Lines(w, "mixed/windows.jsonl")
    for _ in range(3):
        record = w.good_fields()
        record["body"] = record["body"].replace("\n", "\r\n")
        lines.add_record(record, "good_crlf")
    lines.write(newline=b"\r\n")

    # -- .txt files in every encoding met in the wild; a sidecar gives the url, hence a known id
    def txt(relative: str, kind: str, encode, *, sidecar: dict | None = None, probe_expected: bool = True,
            date: datetime.date | None = None) -> None:
        probe = w.next_marker()
        title = f"عنوان الخبر {probe}"
        body = w.story(probe)
        path = w.path(relative)
        path.write_bytes(encode(f"{title}\n\n{body}\n"))
        meta = {"url": f"https://txt.example.org/{probe}"} if sidecar is None else sidecar
        if meta:
            path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        url = meta.get("url") if isinstance(meta, dict) else None
        article_id = derive_article_id(None, url, "", "") if url else None
        w.expect(relative, kind, article_id=article_id, probe=probe if probe_expected else None,
                 date=date)

    txt("encodings/utf8-bom.txt", "txt_utf8_bom", lambda t: codecs.BOM_UTF8 + t.encode("utf-8"))
    txt("encodings/utf16le-bom.txt", "txt_utf16_bom", lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"))
    txt("encodings/utf16be-bom.txt", "txt_utf16_bom", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"))
    txt("encodings/utf16le-nobom.txt", "txt_utf16_no_bom", lambda t: t.encode("utf-16-le"))
    txt("encodings/utf16be-nobom.txt", "txt_utf16_no_bom", lambda t: t.encode("utf-16-be"))
    for index in range(3):
        txt(f"encodings/cp1256-{index}.txt", "txt_cp1256", lambda t: t.encode("cp1256", errors="replace"))
    txt("encodings/stray-byte-end.txt", "txt_stray_invalid_byte", lambda t: t.encode("utf-8")[:-2] + b"\xd9")
    txt("encodings/stray-byte-middle.txt", "txt_stray_invalid_byte",
        lambda t: t.encode("utf-8").replace(b"\n", b"\n\xff", 1))
    txt("encodings/cr-only.txt", "txt_cr_only", lambda t: t.replace("\n", "\r").encode("utf-8"))
    txt("encodings/crlf-with-nul.txt", "txt_nul_bytes",
        lambda t: t.replace("\n", "\r\n").replace(" ", " \x00", 5).encode("utf-8"))
    txt("encodings/impossible-date.txt", "impossible_date", lambda t: t.encode("utf-8"),
        sidecar={"url": "https://txt.example.org/impossible-date", "date": "2023-02-30"})
    txt("encodings/dated-sidecar.txt", "good", lambda t: t.encode("utf-8"),
        sidecar={"url": "https://txt.example.org/dated", "date": "2018-07-04"}, date=datetime.date(2018, 7, 4))
    txt("tree/a/b/c/d/e/f/g/h/deep.txt", "txt_deep_tree", lambda t: t.encode("utf-8"))
    # a broken sidecar: reported, the article not guessed at
    txt("encodings/broken-sidecar.txt", "invalid_sidecar", lambda t: t.encode("utf-8"), sidecar={})
    w.path("encodings/broken-sidecar.json").write_text('{"url": "https://txt.example.org/x", "date": ', "utf-8")
    w.ledger[-1] = Expected("encodings/broken-sidecar.txt", "invalid_sidecar")

    binary_rng = random.Random(7)
    binaries = {
        "binary/random.txt": bytes(binary_rng.randrange(256) for _ in range(4096)),
        "binary/png-named.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(binary_rng.randrange(256)
                                                                              for _ in range(2048)),
        "binary/nul-filled.txt": b"\x00" * 5000,
        "binary/elf-like.txt": b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 8,
        "binary/gzip-named-txt.txt": gzip.compress("نص عربي مضغوط ".encode() * 200, mtime=0),
    }
    for relative, data in binaries.items():
        w.path(relative).write_bytes(data)
        w.expect(relative, "binary_file")
    for relative, data in {"binary/empty.txt": b"", "binary/spaces.txt": b" \n\t\r\n   \n",
                           "binary/bom-only.txt": codecs.BOM_UTF8}.items():
        w.path(relative).write_bytes(data)
        w.expect(relative, "empty_file")
    for relative in ("tree/photo.png", "tree/a/notes.md", "tree/a/b/data.xml"):
        w.path(relative).write_bytes(b"\x89PNG\r\n\x1a\n" if relative.endswith(".png") else b"<x>not an article</x>")
        w.expect(relative, "not_a_feed" if relative.endswith(".xml") else "unsupported_file")
    w.path("tree/.hidden/ignored.txt").write_text("ملف مخفي لا يقرأ " * 20, "utf-8")  # hidden: not a record
    (w.root / "tree/a/b/c/loop").symlink_to("..", target_is_directory=True)  # a loop: must not be followed

    # -- gzip
    w.path("gz/not-gzip.jsonl.gz").write_bytes(_json_line(w.good_fields()) + b"\n")
    w.expect("gz/not-gzip.jsonl.gz", "not_gzip")

    # -- CSV files
    cp1256_rows = []
    for _ in range(5):
        record = w.good_fields()
        record["body"] = record["body"].encode("cp1256", errors="replace").decode("cp1256")
        record["title"] = record["title"].encode("cp1256", errors="replace").decode("cp1256")
        cp1256_rows.append((record, "csv_cp1256"))
    _write_csv(w, "csv/cp1256.csv", cp1256_rows, encoding="cp1256")
    _write_csv(w, "csv/utf16.csv", [(w.good_fields(), "csv_utf16") for _ in range(3)], encoding="utf-16")
    _write_csv(w, "csv/bom-header.csv", [(w.good_fields(), "csv_bom_header") for _ in range(3)],
               encoding="utf-8-sig")
    rows: list[tuple[dict, str]] = []
    for index in range(16):
        record = w.good_fields()
        if index % 4 == 0:
            record["body"] = record["body"].replace("\n", "\n\n", 2) + '\n"مقتبس" بين علامات, وفاصلة'
            rows.append((record, "csv_multiline_body"))
        elif index % 4 == 1:
            record["body"] = ""
            rows.append((record, "csv_missing_body"))
        elif index % 4 == 2:
            rows.append((record, "good"))
        else:
            record["date"], kind = [("2023-02-30", "impossible_date"), ("3000-01-01", "future_date"),
                                    ("9999-99-99", "impossible_date"), ("2021-11-31", "impossible_date")][index // 4]
            rows.append((record, kind))
    record = w.good_fields()
    record["body"] = record["body"] + "\n" + "\n".join(w.paragraphs) * (1_000_000 // len("\n".join(w.paragraphs)))
    rows.append((record, "csv_huge_field"))
    _write_csv(w, "csv/mixed.csv", rows, extra_cells={1, 6})
    w.path("csv/no-body-column.csv").write_text("id,title,date\n1,عنوان,2018-01-01\n2,عنوان آخر,2018-01-02\n",
                                                "utf-8")
    w.expect("csv/no-body-column.csv", "csv_no_body_column")
    w.path("csv/empty.csv").write_bytes(b"")
    w.expect("csv/empty.csv", "csv_empty_file")

    # -- duplicates, in files read after the originals (z_ sorts last)
    lines = _Lines(w, "z_dups/dups.jsonl")
    originals = good_records[:40]
    for original in originals[0:5]:
        copy = dict(original, title="عنوان مختلف تماما", body=w.story(w.next_marker()))
        lines.add(_json_line(copy), "dup_same_id")
    for index, original in enumerate(originals[5:10]):
        copy = dict(original, body=w.story(w.next_marker()))
        del copy["id"]
        host = original["url"].replace("https://", "http://www." if index % 2 else "HTTP://")
        copy["url"] = host + ["?utm_source=tw", "#comments", "/", "?fbclid=abc&utm_medium=x", ""][index]
        lines.add(_json_line(copy), "dup_same_url")
    for original in originals[10:15]:
        body = original["body"].replace("ا", "اَ", 3).replace(" ", "  ").replace("\n", "\n\n")
        copy = {"title": original["title"] + " ", "body": body}
        lines.add(_json_line(copy), "dup_same_content")
    lines.write()
    for index, original in enumerate(originals[15:17]):
        relative = f"z_dups/copy-{index}.txt"
        w.path(relative).write_text(f"{original['title']}\n\n{original['body']}\n", "utf-8")
        w.expect(relative, "dup_txt_copy")
    (w.root / "z_dups/link-to-batch-a.jsonl").symlink_to(w.root / "good/batch-a.jsonl")
    for entry in [e for e in w.ledger if e.origin.startswith("good/batch-a.jsonl:")]:
        w.ledger.append(Expected(entry.origin.replace("good/batch-a.jsonl", "z_dups/link-to-batch-a.jsonl"),
                                 "dup_symlink"))

    return HostileCorpus(root, w.ledger, zero_width_words)


def _write_csv(w: _Writer, relative: str, rows: list[tuple[dict, str]], *, encoding: str = "utf-8",
               extra_cells: set[int] = frozenset()) -> None:
    """A CSV with a header; each row's ledger origin is the line it starts on (quoted bodies span lines)."""
    columns = ["id", "title", "body", "source", "date", "url"]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for index, (record, kind) in enumerate(rows):
        line = buffer.getvalue().count("\n") + 1
        cells = [record.get(column, "") for column in columns]
        if index in extra_cells:
            cells.append("خلية زائدة")
            kind = "csv_extra_cells"
        writer.writerow(cells)
        w.expect(f"{relative}:{line}", kind, record if DECISIONS[kind][0] == INDEXED else None,
                 **({"date": None} if kind in ("impossible_date", "future_date") else {}))
    w.path(relative).write_bytes(buffer.getvalue().encode(encoding))


# ---------------------------------------------------------------- hostile queries

# Words every test index built from the seeds (or from seed sentences) contains.
REAL_WORDS = ("موسكو", "بوتين", "سوريا")


@dataclass(frozen=True, slots=True)
class HostileQuery:
    name: str
    text: str
    # a real word whose results this query must still find (when the word alone finds something)
    finds: str | None = None


def hostile_queries() -> list[HostileQuery]:
    q = HostileQuery
    word = "موسكو"
    return [
        q("empty", ""),
        q("spaces", "   "),
        q("tabs and newlines", "\t\n\r\n"),
        q("lone AND", "AND"),
        q("lone OR", "OR"),
        q("lone NOT", "NOT"),
        q("lone minus", "-"),
        q("lone plus", "+"),
        q("operators only", "AND OR NOT AND"),
        q("arabic operators only", "و أو ليس بدون"),
        q("trailing AND", f"{word} AND", word),
        q("leading OR", f"OR {word}", word),
        q("double OR", f"{word} OR OR بوتين", word),
        q("trailing NOT", f"{word} NOT", word),
        q("lone quote", '"'),
        q("unbalanced quote", f'"{word} بوتين', word),
        q("unbalanced closing quote", f'{word}"', word),
        q("empty phrase", '""'),
        q("1001 quotes", '"' * 1001),
        q("lone open paren", "("),
        q("lone close paren", ")"),
        q("reversed parens", ")("),
        q("unbalanced open paren", f"({word}", word),
        q("unbalanced close paren", f"{word})", word),
        q("500-deep nested parens", "(" * 500 + word + ")" * 500, word),
        q("5000 open parens", "(" * 5000 + word),  # the word lies past the length cap: cut off, and said so
        q("10,000 chars of words", (word + " ") * 1667),
        q("10,000-char token", "ب" * 10000),
        q("10,000 chars mixed", ("AND (\"" + word + "* OR -") * 1000),
        q("star alone", "*"),
        q("double star", "**"),
        q("question mark alone", "?"),
        q("one-letter prefix", "م*"),
        q("latin one-letter prefix", "a*"),
        q("leading wildcard", f"*{word[2:]}"),
        q("infix wildcards", "*س*"),
        q("single-char wildcard", "م?سكو"),
        q("unknown field", "foo:bar"),
        q("unknown field with real word", f"foo:{word}", word),
        q("empty field value", "title:"),
        q("field colons only", "::"),
        q("empty source field", "source:"),
        q("person field", "person:بوتين"),
        q("title field wildcard", "title:*"),
        q("all fields wildcard", "*:*"),
        q("id field wildcard", "id:*"),
        q("unclosed range", "[a TO"),
        q("range of words", f"[{word} TO سوريا]"),
        q("open range", "{ TO }"),
        q("numeric range on day", "day:[0 TO 99999999]"),
        q("caret alone", "^"),
        q("boost without value", f"{word}^", word),
        q("huge boost", f"{word}^1000000", word),
        q("negative boost", f"{word}^-1", word),
        q("boost not a number", f"{word}^abc", word),
        q("tilde alone", "~"),
        q("fuzzy", f"{word}~", word),
        q("fuzzy huge distance", f"{word}~100"),
        q("NUL", "\x00"),
        q("NUL inside word", f"{word}\x00", word),
        q("control characters", "\x07\x1b[31m\x08\x7f"),
        q("SQL injection", "' OR 1=1 --"),
        q("SQL drop table", "'; DROP TABLE articles; --"),
        q("SQL with real word", f"{word}' OR '1'='1", word),
        q("HTML script", "<script>alert(1)</script>"),
        q("HTML img onerror", "<img src=x onerror=alert(1)>"),
        q("HTML with real word", f"<b>{word}</b>", word),
        q("RTL override around word", f"\u202e{word}\u202c", word),
        q("direction marks only", "\u202d\u202e\u200f\u200e"),
        q("zero-width inside word", word[:2] + "\u200c" + word[2:], word),
        q("zero-width only", "\u200b\u200c\u200d"),
        q("emoji", "🙂🔥"),
        q("emoji with real word", f"{word} 🇷🇺", word),
        q("only diacritics", "ًٌٍَُِّْ"),
        q("diacritized real word", "مُوسْكُو", word),
        q("tatweel inside word", "موسـكو", word),
        q("tatweel only", "ـــــ"),
        q("arabic-indic digits", "٢٠١٨"),
        q("regex", "/.*/"),
        q("backslash", "\\"),
        q("trailing backslash", f"{word}\\", word),
        q("percent encoding", "%00%D9%85"),
        q("lone surrogate (from a command-line byte)", "\udcff" + word),
        q("noncharacters", "\uffff\ufffe"),
        q("only negation", f"-{word}"),
        q("NOT word", f"NOT {word}"),
        q("word minus itself", f"{word} -{word}"),
        q("1000-term OR chain", " OR ".join(f"كلمة{i}" for i in range(1000))),
        q("500 distinct words", " ".join(marker(i) for i in range(500))),
        q("newline between words", f"{word}\nبوتين", word),
        q("mixed scripts", f"Moscow {word}", word),
        q("field and phrase and prefix", f'title:"{word}" OR بوت* -foo:', None),
    ]


# ---------------------------------------------------------------- a synthetic corpus of good articles


def synthetic_articles(count: int, *, seed: int = 1, start: int = 0) -> Iterator[dict]:
    """COUNT well-formed JSONL records made of seed sentences: distinct ids, urls and markers, dated in 2018,
    spread over a few outlets. Articles `start .. start+count` of one numbering, so two calls with different
    ranges never share an article."""
    rng = random.Random(seed * 1_000_003 + start)
    sentences = seed_sentences()
    for number in range(start, start + count):
        probe = marker(50_000 + number)
        chosen = rng.sample(sentences, rng.randrange(4, 9))
        day = datetime.date(2018, 1, 1) + datetime.timedelta(days=rng.randrange(365))
        yield {
            "id": f"syn-{number:06d}",
            "title": " ".join(chosen[0].split()[:8]).rstrip(".") + f" {probe}",
            "body": f"ذكر تقرير {probe} أن الأمور تتطور.\n" + "\n".join(chosen),
            "source": SOURCES[number % len(SOURCES)],
            "date": day.isoformat(),
            "url": f"https://synthetic.example.org/{number}",
        }


def write_synthetic_corpus(path: Path, count: int, *, seed: int = 1, start: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        for record in synthetic_articles(count, seed=seed, start=start):
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


# Mixed realistic queries for the load test: words, phrases, prefixes, operators, filters.
def mixed_queries() -> list[dict]:
    words = ["موسكو", "بوتين", "سوريا", "الأسد", "الكرملين", "الرئيس", "روسيا", "لموسكو", "المحادثات", "الحرب"]
    queries: list[dict] = []
    for index, word in enumerate(words):
        queries.append({"query": word})
        queries.append({"query": f"{word} {words[(index + 3) % len(words)]}"})
        queries.append({"query": f"{word} {words[(index + 5) % len(words)]}", "match": "any", "sort": "newest"})
    queries += [
        {"query": '"الرئيس الروسي"'}, {"query": "بوت*"}, {"query": "موسكو OR دمشق"}, {"query": "روسيا -سوريا"},
        {"query": ""}, {"query": "", "sort": "oldest", "page": 2},
        {"query": "الرئيس", "sources": [SOURCES[0]]},
        {"query": "روسيا", "date_from": datetime.date(2018, 3, 1), "date_to": datetime.date(2018, 6, 30)},
        {"query": "title:موسكو"}, {"query": "سوريا", "limit": 20, "page": 3},
    ]
    return queries


# ---------------------------------------------------------------- concurrent searches (test_load.py, bench/load.py)


def result_signature(result) -> tuple:
    """Everything a search answers that must not depend on other threads: total, hits in order with their
    snippets, facets, fallback and notice."""
    return (result.total, result.match_used, result.fell_back, result.notice,
            tuple((hit.id, round(hit.score, 6), hit.snippet) for hit in result.hits),
            tuple((name, tuple(map(tuple, counts))) for name, counts in sorted(result.facets.items())))


@dataclass
class LoadReport:
    threads: int
    seconds: float
    searches: int = 0
    errors: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    per_thread: list[int] = field(default_factory=list)

    def summary(self) -> dict:
        ordered = sorted(self.latencies_ms) or [0.0]
        return {
            "threads": self.threads, "seconds": round(self.seconds, 2), "searches": self.searches,
            "searches_per_second": round(self.searches / self.seconds, 1) if self.seconds else None,
            "latency_ms_median": round(ordered[len(ordered) // 2], 2),
            "latency_ms_p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 2),
            "latency_ms_max": round(ordered[-1], 2),
            "errors": len(self.errors), "mismatches": len(self.mismatches),
            "min_searches_per_thread": min(self.per_thread) if self.per_thread else 0,
        }


def run_concurrent_searches(archive, queries: list[dict], *, threads: int = 8, seconds: float = 10.0,
                            reload_every: int = 25) -> LoadReport:
    """THREADS threads search one open Archive for SECONDS, cycling through QUERIES (each thread from its own
    offset), comparing every answer with the single-threaded answer computed first. Each thread also calls
    `reload_if_changed()` every RELOAD_EVERY searches, as the app does on every run."""
    import threading
    import time as _time

    reference = [result_signature(archive.search(**spec)) for spec in queries]
    report = LoadReport(threads=threads, seconds=seconds)
    lock = threading.Lock()
    deadline = _time.perf_counter() + seconds
    start = threading.Barrier(threads)

    def worker(number: int) -> None:
        done, latencies, errors, mismatches = 0, [], [], []
        start.wait()
        position = number * 7
        while _time.perf_counter() < deadline:
            index = position % len(queries)
            position += 1
            began = _time.perf_counter()
            try:
                signature = result_signature(archive.search(**queries[index]))
                if done % reload_every == reload_every - 1:
                    archive.reload_if_changed()
            except Exception as error:  # the point of the test: none may happen
                errors.append(f"{queries[index]!r}: {type(error).__name__}: {error}")
                continue
            latencies.append((_time.perf_counter() - began) * 1000)
            done += 1
            if signature != reference[index]:
                mismatches.append(f"{queries[index]!r}")
        with lock:
            report.searches += done
            report.latencies_ms.extend(latencies)
            report.errors.extend(errors)
            report.mismatches.extend(mismatches)
            report.per_thread.append(done)

    began = _time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,), name=f"load-{n}") for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    report.seconds = _time.perf_counter() - began
    return report


# ---------------------------------------------------------------- browser sessions at once (test_load, bench/load)


def _count_text(total: int) -> str:
    """How the app states a result count (as tests/test_browser.py reads it)."""
    return f"عدد المقالات: {total:,}" if total != 1 else "مقالة واحدة"


SESSION_QUERIES = ("لموسكو", "بوتين", "الأسد", "سوريا", "الكرملين", "الرئيس", "موسكو")


def run_browser_sessions(base_url: str, archive, sessions: int = 5, timeout_ms: int = 60_000) -> dict:
    """SESSIONS browser pages use the app at the same time (asyncio + Playwright, Debian's chromium): each types
    its own query, then narrows by the top person and the top outlet through the URL, and checks the count the
    page shows against the library. Returns per-step timings (seconds) and every error seen."""
    import asyncio
    import time as _time
    from urllib.parse import urlencode

    from playwright.async_api import async_playwright

    chromium_args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
    idle_js = """() => { const app = document.querySelector('[data-testid="stApp"]');
                         return app && app.getAttribute('data-test-script-state') === 'notRunning'; }"""

    async def session(browser, number: int) -> dict:
        query = SESSION_QUERIES[number % len(SESSION_QUERIES)]
        context = await browser.new_context(viewport={"width": 1300, "height": 900}, locale="ar")
        page = await context.new_page()
        page.set_default_timeout(timeout_ms)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(f"session {number}: {error}"))
        steps: dict[str, float] = {}

        async def step(name: str, expected_total: int, action) -> None:
            began = _time.perf_counter()
            await action()
            await page.get_by_text(_count_text(expected_total)).first.wait_for(state="visible")
            await page.wait_for_function(idle_js)
            steps[name] = round(_time.perf_counter() - began, 3)
            if await page.locator('[data-testid="stException"]').count():
                errors.append(f"session {number}: an exception is shown after {name}")

        try:
            await step("open", archive.stats()["articles"], lambda: page.goto(base_url))
            result = archive.search(query)

            async def type_query() -> None:
                box = page.get_by_role("textbox", name="البحث")
                await box.fill(query)
                await box.press("Enter")

            await step("query", result.total, type_query)
            params: dict[str, list[str]] = {"q": [query]}
            if result.facets["person"]:
                person = result.facets["person"][0][0]
                params["person"] = [person]
                narrowed = archive.search(query, persons=[person])
                await step("person", narrowed.total, lambda: page.goto(f"{base_url}/?{urlencode(params, True)}"))
                result = narrowed
            if result.facets["source"]:
                params["source"] = [result.facets["source"][0][0]]
                both = archive.search(query, persons=params.get("person", []), sources=params["source"])
                await step("source", both.total, lambda: page.goto(f"{base_url}/?{urlencode(params, True)}"))
        except Exception as error:  # a timeout: the page never showed the library's count
            errors.append(f"session {number} ({query}): {type(error).__name__}: {str(error).splitlines()[0]}")
        finally:
            await context.close()
        return {"query": query, "steps": steps, "errors": errors}

    async def main() -> list[dict]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                       args=chromium_args)
            try:
                return await asyncio.gather(*(session(browser, n) for n in range(sessions)))
            finally:
                await browser.close()

    began = _time.perf_counter()
    results = asyncio.run(main())
    step_times = sorted(t for r in results for t in r["steps"].values())
    return {
        "sessions": sessions, "seconds": round(_time.perf_counter() - began, 2),
        "steps_done": len(step_times),
        "step_seconds_median": step_times[len(step_times) // 2] if step_times else None,
        "step_seconds_max": step_times[-1] if step_times else None,
        "errors": [e for r in results for e in r["errors"]], "per_session": results,
    }
