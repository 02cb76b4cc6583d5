"""`news-archive inspect`: what extraction makes of the seeds, as JSON and as text, without an index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"id", "origin", "title", "source", "date", "persons", "url", "body_chars", "removed_lines"}
# extra keys (issue 13), allowed beside DESIGN.md's: where each field came from, and web metadata
EXTRA_KEYS = {"provenance", "language", "author", "captured", "places", "organizations", "person_spellings"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archive", "inspect", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_inspect_seeds_json() -> None:
    result = run("seeds/", "--json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    assert [Path(item["origin"]).name for item in items] == sorted(p.name for p in (ROOT / "seeds").glob("*.txt"))
    assert all(set(item) == KEYS | EXTRA_KEYS for item in items)
    # a .txt article: the title, outlet, date and people were extracted from its text
    assert all(item["provenance"]["title"] == "text" and item["provenance"]["persons"] == "text" for item in items)
    assert all(item["language"] is None and item["captured"] is None for item in items)
    by_name = {Path(item["origin"]).name[:3]: item for item in items}
    assert [by_name[k]["date"] for k in ("000", "001", "002", "003", "004")] == [
        None, "2019-08-19", None, "2023-03-14", "2021-09-14"]
    assert [by_name[k]["source"] for k in ("000", "001", "002", "003", "004")] == [
        "سبوتنيك", "الديار", "سانا", None, None]
    assert by_name["003"]["title"] == "الأسد في موسكو..للبحث بتطوير آفاق التعاون الثنائي"
    assert "كيريل سيميونوف" in by_name["003"]["persons"] and "دونالد ترامب" not in by_name["001"]["persons"]
    # a registered person's other spellings beside the article's people; none for a person without any
    assert "Putin" in by_name["003"]["person_spellings"]["فلاديمير بوتين"]
    assert "كيريل سيميونوف" not in by_name["003"]["person_spellings"]
    assert "مواضيع تهمك" in by_name["001"]["removed_lines"]
    # places and organizations, canonical, from the story only: 001's furniture lists لبنان, فرنسا, كندا, الجزائر
    assert {"موسكو", "إدلب", "الولايات المتحدة"} <= set(by_name["001"]["places"])
    assert not {"لبنان", "فرنسا", "كندا", "الجزائر"} & set(by_name["001"]["places"])
    assert {"داعش", "جبهة النصرة"} <= set(by_name["001"]["organizations"])
    assert "مجلس الأمن الدولي" in by_name["004"]["organizations"]
    assert all(item["body_chars"] > 1000 for item in items)
    assert result.stderr.strip().endswith("read 5 records: 5 articles, 0 skipped, 0 duplicates")


def test_inspect_text_reports_skipped_records_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"id": "a", "body": "قال المتحدث باسم الكرملين دميتري بيسكوف إن الرئيس سيزور أنقرة قريبا."}\n'
                    '{"id": "b", "body": "x"\n', encoding="utf-8")
    result = run(str(path))
    assert result.returncode == 0
    assert "دميتري بيسكوف" in result.stdout and "undated" in result.stdout
    assert f"skipped {path}:2: invalid JSON" in result.stderr
    assert "read 2 records: 1 article, 1 skipped (1 invalid JSON), 0 duplicates" in result.stderr
