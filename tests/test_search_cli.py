"""`news-archive search` and `stats`: the --json object of ../shared/DESIGN.md, batch mode, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from archive.extract import loops
from archive.index import kernels
from archive.index.writer import rebuild_index
from archive.interfaces.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    index = tmp_path_factory.mktemp("cli") / "index"
    rebuild_index([seeds_dir], index, workers=1)
    return index


def run(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse usage errors
        code = exit_.code if isinstance(exit_.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def test_search_json_is_exactly_the_design_object(index_dir: Path, capsys) -> None:
    code, out, err = run(capsys, "search", "لموسكو", "--index", str(index_dir), "--json", "--limit", "3")
    assert code == 0, err
    data = json.loads(out)
    assert list(data)[:5] == ["query", "total", "took_ms", "hits", "facets"]
    assert set(list(data)[5:]) <= {"notices", "person_variants", "person_spellings", "entity_variants"}
    assert data["query"] == "لموسكو" and data["total"] == 5 and isinstance(data["took_ms"], float)
    assert len(data["hits"]) == 3
    for hit in data["hits"]:
        # DESIGN.md's keys in order, then the facets added since (places, organizations)
        assert list(hit) == ["id", "title", "source", "date", "persons", "score", "snippet", "places",
                             "organizations"]
        assert all(isinstance(hit[key], list) for key in ("places", "organizations"))
        assert hit["date"] is None or len(hit["date"]) == 10
        assert isinstance(hit["persons"], list) and isinstance(hit["score"], float)
        assert "<mark>" in hit["snippet"]
    assert list(data["facets"]) == ["person", "source", "month", "place", "organization"]
    assert ["موسكو", 5] in data["facets"]["place"]  # every article found for لموسكو names the city
    for pairs in data["facets"].values():
        assert all(isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], int) for pair in pairs)
    months = dict((k, n) for k, n in data["facets"]["month"])
    assert None in months  # two seeds are undated: JSON null
    assert sum(months.values()) == data["total"]
    assert out.count("\n") == 1


def test_search_options_reach_the_library(index_dir: Path, capsys) -> None:
    code, out, _ = run(capsys, "search", "", "--index", str(index_dir), "--json", "--sort", "oldest",
                       "--from", "2019-01-01", "--limit", "10")
    assert code == 0
    data = json.loads(out)
    dates = [h["date"] for h in data["hits"]]
    assert dates == sorted(dates) and all(d >= "2019-01-01" for d in dates)
    code, out, _ = run(capsys, "search", "xyzzy بوتين", "--index", str(index_dir), "--json", "--match", "all")
    assert json.loads(out)["total"] == 0
    code, out, _ = run(capsys, "search", "xyzzy بوتين", "--index", str(index_dir), "--json")
    assert json.loads(out)["total"] > 0  # fell back to any word


def test_empty_query_browses_newest_first(index_dir: Path, capsys) -> None:
    code, out, _ = run(capsys, "search", "--index", str(index_dir), "--json")
    data = json.loads(out)
    assert code == 0 and data["total"] == 5
    dated = [h["date"] for h in data["hits"] if h["date"]]
    assert dated == sorted(dated, reverse=True)


def test_text_output_has_a_summary_and_numbered_hits(index_dir: Path, capsys) -> None:
    code, out, _ = run(capsys, "search", "بوتين", "--index", str(index_dir), "--limit", "2", "--page", "2")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("5 articles for «بوتين»") and "page 2 of 3" in lines[0]
    assert any(line.startswith("3. ") for line in lines) and any(line.startswith("4. ") for line in lines)
    assert "<mark>" not in out


def test_batch_prints_one_json_object_per_line(index_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    batch = tmp_path / "queries.txt"
    batch.write_text("موسكو\nبوتين الأسد\n\n\"الرئيس الروسي\"\n((\n", encoding="utf-8")
    code, out, err = run(capsys, "search", "--batch", str(batch), "--index", str(index_dir), "--limit", "1")
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["query"] for r in rows] == ["موسكو", "بوتين الأسد", "", '"الرئيس الروسي"', "(("]
    assert all(list(r)[:5] == ["query", "total", "took_ms", "hits", "facets"] for r in rows)
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("موسكو\n"))
    code, out, _ = run(capsys, "search", "--batch", "-", "--index", str(index_dir))
    assert code == 0 and json.loads(out)["total"] == 5


def test_batch_file_missing_is_one_line_exit_1(index_dir: Path, tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, "search", "--batch", str(tmp_path / "none.txt"), "--index", str(index_dir))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "none.txt" in err and "Traceback" not in err


def test_batch_with_a_query_too_is_a_usage_error(index_dir: Path, tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "search", "موسكو", "--batch", "-", "--index", str(index_dir))
    assert code == 2 and "--batch" in err


def test_no_index_exit_1_tells_to_rebuild(tmp_path: Path, capsys) -> None:
    for command in (["search", "موسكو"], ["stats"], ["stats", "--json"]):
        code, out, err = run(capsys, *command, "--index", str(tmp_path / "missing"))
        assert code == 1 and out == ""
        assert err.count("\n") == 1 and "rebuild-index" in err


@pytest.mark.parametrize("argv", [
    ["search", "--limit", "0"], ["search", "--page", "x"], ["search", "--sort", "random"],
    ["search", "--match", "some"], ["search", "--from", "2018-13-01"], ["stats", "--bogus"],
])
def test_usage_errors_exit_2(index_dir: Path, capsys, argv: list[str]) -> None:
    code, _, err = run(capsys, *argv, "--index", str(index_dir))
    assert code == 2 and err


def test_stats_json(index_dir: Path, capsys) -> None:
    code, out, _ = run(capsys, "stats", "--index", str(index_dir), "--json")
    assert code == 0
    stats = json.loads(out)
    for key in ("articles", "sources", "people", "date_range", "undated", "index_bytes", "built_at",
                "build_seconds", "inputs", "versions"):
        assert key in stats
    assert stats["articles"] == 5 and stats["undated"] == 2 and stats["index_bytes"] > 0
    assert stats["search_loops"] == kernels.state() and stats["search_loops"].startswith(("compiled", "numpy ("))
    assert stats["extraction_loops"] == loops.state() and stats["extraction_loops"].startswith(("compiled", "Python ("))
    code, out, _ = run(capsys, "stats", "--index", str(index_dir))
    assert code == 0 and out.startswith("articles: 5")


def test_module_entry_point_runs_search(index_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "archive", "search", "موسكو", "--index", str(index_dir), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"] == 5
    hostile = subprocess.run([sys.executable, "-m", "archive", "search", '"((AND <b>', "--index", str(index_dir)],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert hostile.returncode == 0 and "Traceback" not in hostile.stderr


def test_place_and_org_filters_from_the_command_line_and_the_query(index_dir: Path, capsys) -> None:
    """--place / --org and place: / org: filter alike, through the registry's spellings and Latin names."""
    def total(*args: str) -> int:
        code, out, err = run(capsys, "search", *args, "--index", str(index_dir), "--json")
        assert code == 0, err
        return json.loads(out)["total"]

    idlib = total("", "--place", "إدلب")
    assert 0 < idlib < 5
    assert total("", "--place", "Idlib") == total("place:ادلب") == idlib
    kremlin = total("", "--org", "الكرملين")
    assert 0 < kremlin == total("", "--org", "Kremlin") == total("org:الكرملين")
    assert total("", "--place", "إدلب", "--org", "الكرملين") <= min(idlib, kremlin)
    _, out, _ = run(capsys, "search", "", "--place", "أتلانتس", "--index", str(index_dir), "--json")
    notices = json.loads(out)["notices"]
    assert json.loads(out)["total"] == 0 and [n["key"] for n in notices] == ["unknown_place"]
    _, out, _ = run(capsys, "search", "org:xyzzy", "--index", str(index_dir), "--json")
    assert "unknown_organization" in [n["key"] for n in json.loads(out)["notices"]]
