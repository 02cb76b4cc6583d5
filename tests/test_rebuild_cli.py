"""`news-archive rebuild-index` and `add` run as the user runs them: exit codes, the summary line, one-line errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive.index import store, whoosh_io

ROOT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"^indexed 5 articles, skipped 0, 0 duplicates, in \d+\.\d s\n$")


def run(*args: str, env: dict | None = None, stderr=subprocess.PIPE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "archive", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr,
                          text=True, timeout=300,
                          env=env or {k: v for k, v in os.environ.items() if k != "NEWS_ARCHIVE_INDEX"})


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def record(article_id: str, title: str) -> dict:
    body = (ROOT / "seeds" / "000_53b8d6396a1067f8.txt").read_text(encoding="utf-8")
    return {"id": article_id, "title": title, "body": body, "source": "سانا", "date": "2023-03-14"}


def test_rebuild_seeds_prints_one_summary_line_and_exits_0(tmp_path: Path) -> None:
    result = run("rebuild-index", "seeds", "--index", str(tmp_path / "index"))
    assert result.returncode == 0, result.stderr
    assert SUMMARY.match(result.stdout), result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    assert (tmp_path / "index" / "CURRENT").exists()


def search_arrays_ready(index_dir: Path) -> bool:
    """Whether the live generation holds the searcher's per-document arrays for its current state (so the first
    search need not build them)."""
    generation = store.current_index_path(index_dir)
    toc = whoosh_io.latest_toc_generation(generation)
    return (generation / f"{store.ARRAYS_CACHE_PREFIX}{toc}.npz").exists()


def test_rebuild_and_add_leave_the_search_arrays_ready_for_the_first_search(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    assert run("rebuild-index", str(jsonl(tmp_path / "a.jsonl", [record("a1", "عنوان أول")])), "--index",
               str(index_dir)).returncode == 0
    assert search_arrays_ready(index_dir)
    assert run("add", str(jsonl(tmp_path / "b.jsonl", [record("b1", "عنوان آخر عن طهران")])), "--index",
               str(index_dir)).returncode == 0
    assert search_arrays_ready(index_dir)


def test_rebuild_without_paths_indexes_the_bundled_seeds(tmp_path: Path) -> None:
    result = run("rebuild-index", "--index", str(tmp_path / "index"), "--workers", "1")
    assert result.returncode == 0, result.stderr
    assert SUMMARY.match(result.stdout)


def test_rebuild_uses_the_index_directory_from_the_environment(tmp_path: Path) -> None:
    env = dict(os.environ, NEWS_ARCHIVE_INDEX=str(tmp_path / "from-env"))
    result = run("rebuild-index", "seeds", env=env)
    assert result.returncode == 0, result.stderr
    assert store.read_build_info(tmp_path / "from-env")["articles"] == 5


@pytest.mark.parametrize("args", [
    ["rebuild-index", "--workers", "0"],
    ["rebuild-index", "--workers", "two"],
    ["rebuild-index", "--no-such-option"],
    ["add"],
])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    result = run(*args, "--index", str(tmp_path / "index"))
    assert result.returncode == 2
    assert "usage:" in result.stderr
    assert not (tmp_path / "index").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["rebuild-index", "no/such/folder"], r"news-archive: no such file or folder: no/such/folder \(the index was not"),
    (["add", "seeds"], r"news-archive: no index in .*: run `news-archive rebuild-index` to build one"),
])
def test_failures_exit_1_with_one_line_on_stderr(args: list[str], message: str, tmp_path: Path) -> None:
    result = run(*args, "--index", str(tmp_path / "index"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert re.match(message, result.stderr), result.stderr


def test_rebuild_while_another_runs_exits_1_saying_so(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    assert run("rebuild-index", "seeds", "--index", str(index_dir)).returncode == 0
    with store.exclusive(index_dir, "rebuild"):
        result = run("rebuild-index", "seeds", "--index", str(index_dir))
        added = run("add", "seeds", "--index", str(index_dir))
    assert (result.returncode, added.returncode) == (1, 1)
    assert re.fullmatch(r"news-archive: cannot rebuild: another rebuild is running \(pid \d+, since .*\) on .*; "
                        r"wait for it to finish and try again\n", result.stderr), result.stderr
    assert added.stderr.startswith("news-archive: cannot add: another rebuild is running")


def test_add_updates_an_article_by_id_and_reports_it(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    first = jsonl(tmp_path / "first.jsonl", [record("a1", "عنوان قديم"), record("a2", "عنوان ثان")])
    assert run("rebuild-index", str(first), "--index", str(index_dir)).returncode == 0
    update = jsonl(tmp_path / "update.jsonl", [record("a1", "عنوان جديد عن طهران")])
    result = run("add", str(update), "--index", str(index_dir))
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"added 1 article \(1 updated in place\), skipped 0, 0 duplicates, in \d+\.\d s\n",
                        result.stdout)
    with store.open_index(index_dir).searcher() as searcher:
        titles = {fields["id"]: fields["title"] for fields in searcher.all_stored_fields()}
    assert titles == {"a1": "عنوان جديد عن طهران", "a2": "عنوان ثان"}


def test_skipped_records_are_listed_on_stderr_and_counted_in_the_summary(tmp_path: Path) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_text(json.dumps(record("ok", "عنوان"), ensure_ascii=False) + "\n{broken\n", encoding="utf-8")
    result = run("rebuild-index", str(source), "--index", str(tmp_path / "index"))
    assert result.returncode == 0
    assert re.fullmatch(r"indexed 1 article, skipped 1 \(1 invalid JSON\), 0 duplicates, in \d+\.\d s\n", result.stdout)
    assert re.fullmatch(rf"skipped {re.escape(str(source))}:2: invalid JSON: .*\n", result.stderr)


def test_index_of_another_version_exits_1_asking_for_a_rebuild(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    assert run("rebuild-index", "seeds", "--index", str(index_dir)).returncode == 0
    build_json = store.current_index_path(index_dir) / "build.json"
    info = json.loads(build_json.read_text())
    info["versions"]["schema_version"] = -1
    build_json.write_text(json.dumps(info))
    result = run("add", "seeds", "--index", str(index_dir))
    assert result.returncode == 1
    assert re.fullmatch(r"news-archive: the index in .* was built with schema_version -1, this program uses \d+: "
                        r"run `news-archive rebuild-index`\n", result.stderr), result.stderr
    assert run("rebuild-index", "seeds", "--index", str(index_dir)).returncode == 0


def test_progress_bar_is_drawn_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    import pty

    controller, terminal = pty.openpty()
    try:
        result = run("rebuild-index", "seeds", "--index", str(tmp_path / "index"), stderr=terminal)
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(controller)
    assert result.returncode == 0
    text = drawn.decode("utf-8", "replace")
    assert re.search(r"(indexing|finishing) \[#+\.*\] 5/5 100% [\d,]+ articles/s ETA 0:00", text), text
    assert SUMMARY.match(result.stdout)
