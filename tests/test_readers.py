"""Readers: every input format and encoding is read, every broken record is reported with origin and reason."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest

from archive.extract.readers import RawRecord, decode_bytes, iter_raw_records
from archive.extract.report import IngestReport

STORY = ("قال المتحدث باسم الكرملين دميتري بيسكوف إن الرئيس الروسي فلاديمير بوتين سيلتقي نظيره التركي "
         "رجب طيب أردوغان في موسكو الأسبوع المقبل لبحث الملف السوري.")


def read(*paths: Path) -> tuple[list[RawRecord], IngestReport]:
    report = IngestReport()
    return list(iter_raw_records(list(paths), report)), report


def reasons(report: IngestReport) -> list[tuple[str, str]]:
    return [(Path(s.origin).name, s.kind) for s in report.skipped]


# ---------------------------------------------------------------- each reader


def test_txt_reads_one_article_with_its_whole_text(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("عنوان الخبر\n\n" + STORY, encoding="utf-8")
    records, report = read(path)
    assert [r.body for r in records] == ["عنوان الخبر\n\n" + STORY]
    assert records[0].origin == str(path) and records[0].title is None
    assert report.read == 1 and report.skipped == []


def test_sidecar_json_gives_metadata_that_wins(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "a.json").write_text(json.dumps({
        "title": "عنوان من الملف", "source": "Sky News Arabia", "date": "2021-09-14", "url": "https://x.org/a",
        "persons": ["فلاديمير بوتين"]}, ensure_ascii=False), encoding="utf-8")
    records, report = read(tmp_path)
    assert len(records) == 1, "the sidecar is metadata, not an article of its own"
    record = records[0]
    assert (record.title, record.source, record.date, record.url, record.persons) == (
        "عنوان من الملف", "Sky News Arabia", "2021-09-14", "https://x.org/a", ["فلاديمير بوتين"])
    assert report.read == 1


def test_broken_sidecar_is_reported_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "a.json").write_text("{not json", encoding="utf-8")
    records, report = read(tmp_path / "a.txt")
    assert records == []
    assert reasons(report) == [("a.txt", "invalid sidecar a.json")]


def test_jsonl_given_fields_kept_missing_ones_left_for_extraction(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(
        json.dumps({"id": "x1", "title": "عنوان", "body": STORY, "source": "BBC Arabic"}, ensure_ascii=False) + "\n"
        + "\n"  # a blank line is not a record
        + json.dumps({"text": STORY, "id": 42}, ensure_ascii=False) + "\n", encoding="utf-8")
    records, report = read(path)
    assert [(r.id, r.title, r.source, r.date, r.origin) for r in records] == [
        ("x1", "عنوان", "BBC Arabic", None, f"{path}:1"), ("42", None, None, None, f"{path}:3")]
    assert report.read == 2


def test_jsonl_gz_is_read_like_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for number in range(3):
            out.write(json.dumps({"id": f"g{number}", "body": STORY}, ensure_ascii=False) + "\n")
    records, report = read(path)
    assert [r.id for r in records] == ["g0", "g1", "g2"] and report.read == 3


def test_csv_with_header_quoted_newlines_and_line_origins(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text('id,title,body,source\nc1,عنوان,"سطر أول\nسطر ثان ' + STORY + '",CNN Arabic\n'
                    f"c2,,{STORY},\n", encoding="utf-8")
    records, report = read(path)
    assert report.read == 2 and report.skipped == []
    assert [(r.id, r.title, r.source, r.origin) for r in records] == [
        ("c1", "عنوان", "CNN Arabic", f"{path}:2"), ("c2", None, None, f"{path}:4")]
    assert "سطر أول\nسطر ثان" in records[0].body


def test_csv_without_a_body_column_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,title\n1,x\n", encoding="utf-8")
    records, report = read(path)
    assert records == [] and reasons(report) == [("a.csv", "missing body")]


def test_directory_is_read_recursively_in_a_stable_order(tmp_path: Path) -> None:
    (tmp_path / "b" / "c").mkdir(parents=True)
    (tmp_path / "b" / "c" / "deep.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "a.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "notes.md").write_text("# not an article", encoding="utf-8")
    records, report = read(tmp_path)
    assert [Path(r.origin).name for r in records] == ["a.txt", "deep.txt"]
    assert reasons(report) == [("notes.md", "unsupported file")], "nothing is dropped silently"


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize(("name", "encode"), [
    ("utf-8", lambda t: t.encode("utf-8")),
    ("utf-8 with BOM", lambda t: codecs.BOM_UTF8 + t.encode("utf-8")),
    ("utf-16 with BOM", lambda t: t.encode("utf-16")),
    ("utf-16-le without BOM", lambda t: t.encode("utf-16-le")),
    ("utf-16-be without BOM", lambda t: t.encode("utf-16-be")),
    ("windows-1256", lambda t: t.encode("cp1256")),
])
def test_each_encoding_decodes_to_the_same_text(name: str, encode) -> None:
    assert decode_bytes(encode(STORY)) == STORY, name


def test_one_stray_byte_in_utf8_stays_utf8() -> None:
    data = STORY.encode("utf-8")
    text = decode_bytes(data[:40] + b"\xff" + data[40:])
    assert "\ufffd" in text and "دميتري بيسكوف" in text


def test_undecidable_encoding_is_skipped_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("Le président français a déclaré à l'été qu'il irait à Moscou.".encode("cp1252"))
    records, report = read(path)
    assert records == [] and reasons(report) == [("latin.txt", "undecidable encoding")]


@pytest.mark.parametrize(("raw", "expected"), [
    ("سطر\r\nسطر", "سطر\nسطر"),
    ("سطر\rسطر", "سطر\nسطر"),
    ("نص\x00 فيه\x07 تحكم\x1b\tوجدول", "نص فيه تحكم\tوجدول"),
])
def test_line_endings_and_control_characters(tmp_path: Path, raw: str, expected: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(raw.encode("utf-8"))
    records, _ = read(path)
    assert records[0].body == expected


# ---------------------------------------------------------------- broken records


def test_each_broken_record_kind_is_reported_and_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    good = json.dumps({"id": "ok", "body": STORY}, ensure_ascii=False)
    path.write_bytes("\n".join([
        good,
        '{"id": "broken", "body": "x"',  # invalid JSON
        '["a", "list"]',  # not an object
        json.dumps({"id": "nobody", "title": "x"}),  # missing body
        json.dumps({"id": "typed", "body": STORY, "title": 5}, ensure_ascii=False),  # wrong type
        json.dumps({"id": "ok2", "body": STORY}, ensure_ascii=False),
    ]).encode("utf-8") + b"\n\xff\xfe{}\n")
    records, report = read(path, tmp_path / "missing.txt")
    assert [r.id for r in records] == ["ok", "ok2"]
    assert [(s.origin.rsplit("/", 1)[-1], s.kind) for s in report.skipped] == [
        ("mixed.jsonl:2", "invalid JSON"), ("mixed.jsonl:3", "wrong type"), ("mixed.jsonl:4", "missing body"),
        ("mixed.jsonl:5", "wrong type"), ("mixed.jsonl:7", "undecodable line"), ("missing.txt", "unreadable file")]
    assert all("\n" not in s.reason for s in report.skipped)
    assert report.read == 8


def test_truncated_gzip_keeps_records_before_the_cut(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    lines = "".join(json.dumps({"id": f"r{i}", "body": STORY + str(i)}, ensure_ascii=False) + "\n" for i in range(300))
    data = gzip.compress(lines.encode("utf-8"))
    path.write_bytes(data[: len(data) // 2])
    records, report = read(path)
    assert records and [r.id for r in records] == [f"r{i}" for i in range(len(records))]
    assert [s.kind for s in report.skipped][-1] == "unreadable file"
