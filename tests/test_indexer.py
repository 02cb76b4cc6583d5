"""The index builder: rebuild into a new generation swapped in atomically, crash safety, add/update in place,
version and lock errors, the fast analysis path, progress and the summary line."""

from __future__ import annotations

import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.qparser import QueryParser

from archive.errors import (
    ArchiveError,
    IndexBusyError,
    IndexCorruptError,
    IndexMissingError,
    IndexVersionError,
    InputError,
)
from archive.extract import readers
from archive.extract.report import Skipped
from archive.index import store, whoosh_io
from archive.index import writer as index_writer
from archive.index.formats import stored_dictionary_digest
from archive.index.schema import build_schema, versions
from archive.index.store import check_versions, current_index_path, open_index, read_build_info
from archive.index.whoosh_io import CompactCodec
from archive.index.writer import BuildSummary, add_to_index, article_fields, rebuild_index
from archive.interfaces.progress import TerminalProgress
from archive.search.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
SEED_IDS = {"c5e82829dd86dda06", "c6dea12bf0f084c69", "c9d57f80e923a2873", "c24548edd4264d30f", "c2c14ed0deeb0c661"}


def seed_bodies(seeds_dir: Path) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in sorted(seeds_dir.glob("*.txt"))]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def news_records(seeds_dir: Path, count: int, prefix: str = "n") -> list[dict]:
    """COUNT distinct articles made from the seed bodies (distinct ids, titles and first lines)."""
    bodies = seed_bodies(seeds_dir)
    return [
        {"id": f"{prefix}{number}", "title": f"خبر رقم {number} عن موسكو", "source": "سانا", "date": "2023-03-14",
         "body": f"السطر الأول للخبر {number} في دمشق.\n" + bodies[number % len(bodies)]}
        for number in range(count)
    ]


def stored_docs(index_dir: Path) -> dict[str, dict]:
    with open_index(index_dir).searcher() as searcher:
        return {fields["id"]: fields for fields in searcher.all_stored_fields()}


def ids_matching(ix, text: str) -> set[str]:
    with ix.searcher() as searcher:
        query = QueryParser("body", ix.schema).parse(text)
        return {hit["id"] for hit in searcher.search(query, limit=None)}


@pytest.fixture
def seeds_index(tmp_path: Path, seeds_dir: Path) -> Path:
    index_dir = tmp_path / "index"
    rebuild_index([seeds_dir], index_dir, workers=1)
    return index_dir


# ---------------------------------------------------------------- rebuild


def test_rebuild_from_seeds_indexes_five_articles_with_stable_ids(tmp_path: Path, seeds_dir: Path) -> None:
    index_dir = tmp_path / "index"
    first = rebuild_index([seeds_dir], index_dir, workers=1)
    first_ids = set(stored_docs(index_dir))
    second = rebuild_index([seeds_dir], index_dir, workers=2)
    assert (first.indexed, second.indexed) == (5, 5)
    assert first_ids == set(stored_docs(index_dir)) == SEED_IDS
    assert first.skipped == [] and first.duplicates == 0


def test_rebuild_stores_every_field_the_searcher_reads(seeds_index: Path) -> None:
    doc = stored_docs(seeds_index)["c9d57f80e923a2873"]
    assert doc["source"] == "سانا"
    assert doc["day"] == 0  # undated
    assert "بشار الأسد" in doc["persons"].split(",")
    assert doc["title"].startswith("الرئيسان الأسد وبوتين")
    assert doc["origin"].endswith("002_cc4ae27b147aee05.txt")
    assert {"id", "title", "body", "source", "persons", "day", "url", "origin"} <= set(doc)
    assert stored_docs(seeds_index)["c6dea12bf0f084c69"]["day"] == 20190819


def test_rebuild_records_when_and_from_what_it_was_built(seeds_index: Path, seeds_dir: Path) -> None:
    info = read_build_info(seeds_index)
    assert info["inputs"][0]["path"] == str(seeds_dir.resolve())
    assert (info["articles"], info["read"], info["skipped"], info["duplicates"]) == (5, 5, 0, 0)
    assert info["versions"] == versions()
    assert info["built_at"].endswith("+00:00") and info["seconds"] > 0
    assert info["index_bytes"] > 0
    assert Path(info["path"]) == current_index_path(seeds_index)


def test_rebuild_swaps_the_current_pointer_and_keeps_only_the_previous_generation(
        tmp_path: Path, seeds_dir: Path) -> None:
    index_dir = tmp_path / "index"
    generations = []
    for _ in range(3):
        rebuild_index([seeds_dir], index_dir, workers=1)
        generations.append(current_index_path(index_dir).name)
    assert len(set(generations)) == 3
    on_disk = sorted(path.name for path in index_dir.iterdir() if path.is_dir())
    assert on_disk == sorted(generations[1:])  # live + previous; the oldest removed
    assert (index_dir / "CURRENT").read_text().strip() == generations[-1]


def test_rebuild_with_two_index_processes_gives_the_same_index_as_one(
        tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_writer, "INDEX_BATCH", 1)  # so both processes get articles and write a segment each
    records = news_records(seeds_dir, 40)
    source = write_jsonl(tmp_path / "news.jsonl", records)
    one, two = tmp_path / "one", tmp_path / "two"
    rebuild_index([source], one, workers=1)
    rebuild_index([source], two, workers=2)
    assert read_build_info(two)["segments"] == 2
    assert stored_docs(one) == stored_docs(two)
    ix_one, ix_two = open_index(one), open_index(two)
    for word in ("موسكو", "لموسكو", "الأسد", '"الرئيس بشار الأسد"', "دمشق"):
        assert ids_matching(ix_one, word) == ids_matching(ix_two, word)
    assert len(ids_matching(ix_one, "دمشق")) == 40


def test_rebuild_reports_skipped_records_and_duplicates(tmp_path: Path, seeds_dir: Path) -> None:
    records = news_records(seeds_dir, 3)
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    lines += [lines[0], "{not json", json.dumps({"id": "short", "body": "قصير"})]
    source = tmp_path / "mixed.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = rebuild_index([source], tmp_path / "index", workers=1)
    assert (summary.indexed, summary.duplicates, len(summary.skipped)) == (3, 1, 2)
    assert summary.line().startswith("indexed 3 articles, skipped 2 (")
    assert "1 duplicate, in " in summary.line()
    assert read_build_info(tmp_path / "index")["skipped_by_reason"] == dict(summary.skipped_by_kind())


# ---------------------------------------------------------------- atomic swap


def test_reader_opened_before_a_rebuild_keeps_seeing_the_old_index(tmp_path: Path, seeds_dir: Path) -> None:
    old_input = tmp_path / "old"
    old_input.mkdir()
    for path in sorted(seeds_dir.glob("*.txt"))[:2]:
        shutil.copy(path, old_input)
    index_dir = tmp_path / "index"
    rebuild_index([old_input], index_dir, workers=1)
    before = open_index(index_dir)
    searcher = before.searcher()
    old_ids = {fields["id"] for fields in searcher.all_stored_fields()}
    assert len(old_ids) == 2

    rebuild_index([seeds_dir], index_dir, workers=1)
    rebuild_index([seeds_dir], index_dir, workers=1)  # the old reader's generation is now deleted from disk

    query = QueryParser("body", searcher.schema).parse("موسكو")  # Index.schema would re-read the deleted TOC
    assert {hit["id"] for hit in searcher.search(query, limit=None)} <= old_ids
    assert {fields["id"] for fields in searcher.all_stored_fields()} == old_ids
    assert searcher.doc_count() == 2
    searcher.close()
    assert set(stored_docs(index_dir)) == SEED_IDS  # a reader opened after sees the new index


# ---------------------------------------------------------------- interrupted rebuilds


def _assert_old_index_intact(index_dir: Path, generation: str) -> None:
    assert current_index_path(index_dir).name == generation
    assert set(stored_docs(index_dir)) == SEED_IDS
    assert ids_matching(open_index(index_dir), "موسكو")


def test_exception_while_writing_leaves_the_old_index_working(
        seeds_index: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generation = current_index_path(seeds_index).name
    original_add = whoosh_io.SegmentBuilder.add

    def failing_add(self, document):
        if self.count == 2:
            raise OSError("disk full (injected)")
        original_add(self, document)

    monkeypatch.setattr(whoosh_io.SegmentBuilder, "add", failing_add)
    with pytest.raises(OSError, match="injected"):
        rebuild_index([seeds_dir], seeds_index, workers=1)
    _assert_old_index_intact(seeds_index, generation)
    assert not list(seeds_index.glob("building-*"))


@pytest.mark.timeout(120)
def test_failing_index_process_is_reported_not_hung_and_old_index_kept(
        seeds_index: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generation = current_index_path(seeds_index).name

    def failing_add(self, document):
        raise ValueError("bad document (injected)")

    monkeypatch.setattr(whoosh_io.SegmentBuilder, "add", failing_add)  # inherited by the forked index processes
    with pytest.raises(ArchiveError, match=r"index process \d failed: ValueError: bad document \(injected\)"):
        rebuild_index([seeds_dir], seeds_index, workers=2)
    _assert_old_index_intact(seeds_index, generation)
    assert not list(seeds_index.glob("building-*"))


@pytest.mark.timeout(120)
def test_index_process_killed_midway_is_reported_and_old_index_kept(
        seeds_index: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generation = current_index_path(seeds_index).name
    monkeypatch.setattr(whoosh_io.SegmentBuilder, "add", lambda self, document: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(ArchiveError, match="died unexpectedly"):
        rebuild_index([seeds_dir], seeds_index, workers=2)
    _assert_old_index_intact(seeds_index, generation)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("workers", [1, 2])
def test_rebuild_killed_with_sigkill_leaves_old_index_and_next_rebuild_cleans_up(
        seeds_index: Path, seeds_dir: Path, tmp_path: Path, workers: int) -> None:
    import psutil

    generation = current_index_path(seeds_index).name
    big = write_jsonl(tmp_path / "big.jsonl", news_records(seeds_dir, 3000))
    process = subprocess.Popen(
        [sys.executable, "-m", "archive", "rebuild-index", str(big), "--index", str(seeds_index),
         "--workers", str(workers), "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list(seeds_index.glob("building-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(seeds_index.glob("building-*")), "the rebuild never started"
    time.sleep(1.5)  # well into extraction and writing
    children = psutil.Process(process.pid).children(recursive=True)
    process.send_signal(signal.SIGKILL)
    process.wait()

    _assert_old_index_intact(seeds_index, generation)
    assert list(seeds_index.glob("building-*"))  # the crash left its half-built generation behind...
    _gone, alive = psutil.wait_procs(children, timeout=20)
    assert not alive, f"helper processes outlived the killed rebuild: {alive}"

    rebuild_index([seeds_dir], seeds_index, workers=1)  # ...which the next rebuild removes
    assert not list(seeds_index.glob("building-*"))
    assert set(stored_docs(seeds_index)) == SEED_IDS


def test_no_helper_of_a_rebuild_holds_the_index_lock(seeds_index: Path, seeds_dir: Path, tmp_path: Path) -> None:
    """Only the rebuild's own process holds build.lock: its extraction workers and index processes close the copy
    they inherit, so that a helper that outlives a killed rebuild cannot keep the index busy."""
    import psutil

    big = write_jsonl(tmp_path / "big.jsonl", news_records(seeds_dir, 3000))
    process = subprocess.Popen(
        [sys.executable, "-m", "archive", "rebuild-index", str(big), "--index", str(seeds_index), "--workers", "2",
         "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = str(seeds_index / store.LOCK_FILE)
    try:
        parent = psutil.Process(process.pid)
        deadline = time.monotonic() + 60
        helpers: list[psutil.Process] = []
        while len(helpers) < 4 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
            helpers = parent.children(recursive=True)  # 2 extraction workers, 2 index processes
        assert len(helpers) >= 4, f"the rebuild's helpers never all started: {helpers}"
        time.sleep(0.5)  # their start-up done
        holders = []
        for helper in helpers:
            try:
                if lock in {f.path for f in helper.open_files()}:
                    holders.append(helper.pid)
            except psutil.NoSuchProcess:
                continue
        assert holders == [], "helpers hold the index lock"
        assert lock in {f.path for f in parent.open_files()}
    finally:
        children = psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []
        process.kill()
        process.wait()
        psutil.wait_procs(children, timeout=20)


def test_empty_rebuild_over_a_non_empty_index_is_refused(seeds_index: Path, tmp_path: Path) -> None:
    generation = current_index_path(seeds_index).name
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match=r"no articles found .* the current index of 5 articles was left unchanged"):
        rebuild_index([empty], seeds_index, workers=1)
    _assert_old_index_intact(seeds_index, generation)
    summary = rebuild_index([empty], seeds_index, workers=1, allow_empty=True)
    assert summary.indexed == 0 and stored_docs(seeds_index) == {}


def test_empty_input_builds_a_valid_empty_index_when_there_is_none(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    summary = rebuild_index([empty], tmp_path / "index", workers=2)
    assert summary.line().startswith("indexed 0 articles (the index is empty), skipped 0")
    assert open_index(tmp_path / "index").doc_count() == 0


def test_missing_input_path_is_an_error_before_anything_changes(seeds_index: Path, tmp_path: Path) -> None:
    generation = current_index_path(seeds_index).name
    with pytest.raises(InputError, match=r"no such file or folder: .*nope"):
        rebuild_index([tmp_path / "nope"], seeds_index)
    with pytest.raises(InputError, match="no such file or folder"):
        add_to_index([tmp_path / "nope"], seeds_index)
    _assert_old_index_intact(seeds_index, generation)


def test_stale_generations_and_builds_are_removed_by_the_next_rebuild(seeds_index: Path, seeds_dir: Path) -> None:
    live = current_index_path(seeds_index).name
    (seeds_index / "building-20200101T000000-1-abcd").mkdir()
    (seeds_index / "gen-20200101T000000-1-abcd").mkdir()
    (seeds_index / "notes.txt").write_text("not ours")
    rebuild_index([seeds_dir], seeds_index, workers=1)
    dirs = sorted(path.name for path in seeds_index.iterdir() if path.is_dir())
    assert dirs == sorted([live, current_index_path(seeds_index).name])
    assert (seeds_index / "notes.txt").exists()  # files that are not ours are left alone


# ---------------------------------------------------------------- add


def test_add_with_an_existing_id_updates_the_article_in_place(tmp_path: Path, seeds_dir: Path) -> None:
    index_dir = tmp_path / "index"
    records = news_records(seeds_dir, 3)
    rebuild_index([write_jsonl(tmp_path / "news.jsonl", records)], index_dir, workers=1)
    changed = dict(records[1], title="عنوان جديد تماما عن طهران")
    new = dict(records[0], id="brand-new", title="خبر إضافي عن بغداد", body="بغداد " + records[0]["body"])
    summary = add_to_index([write_jsonl(tmp_path / "more.jsonl", [changed, new])], index_dir)
    assert (summary.indexed, summary.updated) == (2, 1)
    assert summary.line().startswith("added 2 articles (1 updated in place), skipped 0, 0 duplicates")
    docs = stored_docs(index_dir)
    assert set(docs) == {"n0", "n1", "n2", "brand-new"}
    assert docs["n1"]["title"] == "عنوان جديد تماما عن طهران"
    ix = open_index(index_dir)
    with ix.searcher() as searcher:
        title_query = QueryParser("title", ix.schema).parse("طهران")
        assert [hit["id"] for hit in searcher.search(title_query)] == ["n1"]
        assert searcher.doc_count() == 4
    info = read_build_info(index_dir)
    assert info["articles"] == 4
    assert info["additions"][-1]["updated"] == 1 and info["additions"][-1]["added"] == 1


def test_add_beside_an_open_reader_leaves_the_reader_working(seeds_index: Path, tmp_path: Path,
                                                             seeds_dir: Path) -> None:
    searcher = open_index(seeds_index).searcher()
    add_to_index([write_jsonl(tmp_path / "one.jsonl", news_records(seeds_dir, 1, prefix="added"))], seeds_index)
    assert searcher.doc_count() == 5
    assert len(list(searcher.all_stored_fields())) == 5
    refreshed = searcher.refresh()
    assert refreshed.doc_count() == 6
    refreshed.close()


def test_add_without_an_index_says_to_rebuild(tmp_path: Path, seeds_dir: Path) -> None:
    with pytest.raises(IndexMissingError, match=r"no index in .*: run `news-archive rebuild-index`"):
        add_to_index([seeds_dir], tmp_path / "nothing")


# ---------------------------------------------------------------- versions and missing index


def test_index_of_another_analysis_version_asks_for_a_rebuild(seeds_index: Path, seeds_dir: Path) -> None:
    build_json = current_index_path(seeds_index) / "build.json"
    info = json.loads(build_json.read_text())
    info["versions"]["analysis_version"] = "ar-light-0"
    build_json.write_text(json.dumps(info))
    for attempt in (lambda: check_versions(seeds_index), lambda: open_index(seeds_index),
                    lambda: add_to_index([seeds_dir], seeds_index)):
        expected = r"analysis_version 'ar-light-0', this program uses .*: run `news-archive rebuild-index`"
        with pytest.raises(IndexVersionError, match=expected):
            attempt()
    rebuild_index([seeds_dir], seeds_index, workers=1)
    assert check_versions(seeds_index)["versions"] == versions()


def test_index_written_with_another_stored_fields_dictionary_asks_for_a_rebuild(seeds_index: Path) -> None:
    build_json = current_index_path(seeds_index) / "build.json"
    info = json.loads(build_json.read_text())
    assert info["versions"]["stored_dictionary"] == stored_dictionary_digest()
    info["versions"]["stored_dictionary"] = "0" * 16
    build_json.write_text(json.dumps(info))
    with pytest.raises(IndexVersionError, match="stored_dictionary '0000000000000000', this program uses"):
        open_index(seeds_index)


def test_stored_fields_are_compressed_with_the_dictionary_and_read_back_whole(tmp_path: Path,
                                                                              seeds_dir: Path) -> None:
    records = news_records(seeds_dir, 40)
    index_dir = tmp_path / "index"
    rebuild_index([write_jsonl(tmp_path / "news.jsonl", records)], index_dir, workers=1)
    stored = stored_docs(index_dir)
    assert {doc_id: doc["title"] for doc_id, doc in stored.items()} == {r["id"]: r["title"] for r in records}
    assert all(stored[r["id"]]["body"].startswith(r["body"].split("\n")[0]) for r in records)
    ix = open_index(index_dir)
    with ix.reader() as reader:
        segments = [segment for segment, _ in reader.leaf_readers()] or [reader]
        assert all(type(segment._codec) is CompactCodec for segment in segments)
        assert all(segment.stored_fields(0)["id"] in stored for segment in segments)
        written = sum(segment._perdoc._colfiles["_stored"][2] for segment in segments)
    # Whoosh's own column (zlib level 3, no dictionary) over the same pickles is at least a sixth larger
    plain = sum(len(zlib.compress(pickle.dumps(doc, 2), 3)) for doc in stored.values())
    assert written * 1.15 < plain, (written, plain)


def test_missing_index_raises_with_the_rebuild_hint(tmp_path: Path) -> None:
    for attempt in (lambda: current_index_path(tmp_path), lambda: open_index(tmp_path),
                    lambda: read_build_info(tmp_path / "absent")):
        with pytest.raises(IndexMissingError, match="run `news-archive rebuild-index`"):
            attempt()


def test_plain_whoosh_index_without_a_build_record_asks_for_a_rebuild(tmp_path: Path) -> None:
    whoosh_index.create_in(str(tmp_path), build_schema())
    with pytest.raises(IndexVersionError, match=r"older version .*rebuild-index"):
        open_index(tmp_path)


def test_damaged_current_pointer_is_reported_and_repaired_by_a_rebuild(seeds_index: Path, seeds_dir: Path) -> None:
    (seeds_index / "CURRENT").write_text("../../etc\n")
    with pytest.raises(IndexCorruptError, match="does not name a generation: run `news-archive rebuild-index`"):
        open_index(seeds_index)
    (seeds_index / "CURRENT").write_text("gen-vanished\n")
    with pytest.raises(IndexCorruptError, match="names generation 'gen-vanished', which is missing"):
        open_index(seeds_index)
    rebuild_index([seeds_dir], seeds_index, workers=1)
    assert set(stored_docs(seeds_index)) == SEED_IDS


# ---------------------------------------------------------------- locking


def test_second_rebuild_or_add_while_one_runs_fails_with_a_clear_message(seeds_index: Path,
                                                                         seeds_dir: Path) -> None:
    generation = current_index_path(seeds_index).name
    with store.exclusive(seeds_index, "rebuild"):
        with pytest.raises(IndexBusyError, match=rf"cannot rebuild: another rebuild is running \(pid {os.getpid()}"):
            rebuild_index([seeds_dir], seeds_index)
        with pytest.raises(IndexBusyError, match=r"cannot add: another rebuild is running .* try again"):
            add_to_index([seeds_dir], seeds_index)
    _assert_old_index_intact(seeds_index, generation)
    rebuild_index([seeds_dir], seeds_index, workers=1)  # the lock is free again


def test_rebuild_waits_for_the_lock_when_asked(seeds_index: Path, seeds_dir: Path) -> None:
    import threading

    released = threading.Event()

    def hold() -> None:
        with store.exclusive(seeds_index, "add"):
            time.sleep(0.5)
        released.set()

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.1)
    summary = rebuild_index([seeds_dir], seeds_index, workers=1, wait_seconds=30)
    holder.join()
    assert released.is_set() and summary.indexed == 5


# ---------------------------------------------------------------- fast analysis path


HOSTILE_TEXTS = [
    "مُحَمَّد والرئيس لموسكو فلسطين ـــالأسد",
    "و في من على " * 20 + "النهاية",
    "ب" * 500 + " كلمة " + "x" * 241 + " كلمة",
    "a_b __ _x_ 123 ١٢٣ ۴۵ Hello WORLD hello ﻻ ﷲ",
    "\u200c\u200dكلمة\u200cمع\u200dفواصل",
    "",
]


def test_fast_analysis_path_writes_the_same_postings_as_whooshs_analyzer(tmp_path: Path, seeds_dir: Path) -> None:
    schema = build_schema()
    fast_title = whoosh_io.with_fast_text_fields(schema)["title"]
    assert type(fast_title) is whoosh_io.FastText and type(schema["title"]) is not whoosh_io.FastText
    texts = seed_bodies(seeds_dir) + HOSTILE_TEXTS + [" ".join(["موسكو"] * 5000)]
    for name in ("title", "body"):
        plain, fast = schema[name], whoosh_io.with_fast_text_fields(schema)[name]
        for text in texts:
            assert list(fast.index(text)) == list(plain.index(text)), text[:40]


def test_fast_path_is_used_only_for_text_fields_with_positions() -> None:
    from whoosh.fields import TEXT

    schema = build_schema()
    assert whoosh_io.fast_path_applies(schema["body"]) and whoosh_io.fast_path_applies(schema["title"])
    assert not whoosh_io.fast_path_applies(schema["persons"]) and not whoosh_io.fast_path_applies(schema["id"])
    assert not whoosh_io.fast_path_applies(TEXT(analyzer=schema["body"].analyzer, phrase=False))


def test_fast_path_leaves_boosted_tokens_to_whoosh() -> None:
    from whoosh.analysis import DelimitedAttributeFilter, RegexTokenizer
    from whoosh.fields import TEXT

    boosted = TEXT(analyzer=RegexTokenizer(r"[^ \t\r\n]+") | DelimitedAttributeFilter(), phrase=True)
    text = "موسكو^2.5 دمشق موسكو"
    assert list(whoosh_io.fast_text_postings(boosted, text)) == list(TEXT.index(boosted, text))


def test_index_written_by_the_fast_path_answers_like_whooshs_own_writer(tmp_path: Path, seeds_dir: Path) -> None:
    records = news_records(seeds_dir, 12)
    plain_dir = tmp_path / "plain"
    plain_dir.mkdir()
    plain = whoosh_index.create_in(str(plain_dir), build_schema())
    writer = plain.writer()
    from archive.extract.ingest import iter_articles
    from archive.extract.report import IngestReport

    source = write_jsonl(tmp_path / "news.jsonl", records)
    for article in iter_articles([source], IngestReport()):
        writer.add_document(**article_fields(article))
    writer.commit()
    rebuild_index([source], tmp_path / "fast", workers=1)
    fast = open_index(tmp_path / "fast")
    with plain.searcher() as a, fast.searcher() as b:
        for name in ("title", "body"):
            assert list(a.reader().lexicon(name)) == list(b.reader().lexicon(name))
        for word in ("موسكو", "الأسد", '"الرئيس بشار"', "خبر"):
            qa = QueryParser("body", plain.schema).parse(word)
            hits_a = [(hit["id"], round(hit.score, 6)) for hit in a.search(qa, limit=None)]
            hits_b = [(hit["id"], round(hit.score, 6)) for hit in b.search(qa, limit=None)]
            assert hits_a == hits_b


# ---------------------------------------------------------------- progress and summary


def test_progress_callable_gets_done_and_total_ending_complete(tmp_path: Path, seeds_dir: Path) -> None:
    source = write_jsonl(tmp_path / "news.jsonl", news_records(seeds_dir, 100))
    calls: list[tuple[int, int | None]] = []
    rebuild_index([source], tmp_path / "index", workers=1, progress=lambda done, total: calls.append((done, total)))
    assert len(calls) >= 3
    assert all(total == 100 for _, total in calls)
    dones = [done for done, _ in calls]
    assert dones == sorted(dones) and dones[-1] == 100


def test_terminal_progress_draws_rate_and_eta_then_clears() -> None:
    stream = io.StringIO()
    bar = TerminalProgress(stream=stream)
    bar(50, 200)
    bar(200, 200)
    bar.close()
    text = stream.getvalue()
    assert "50/200" in text and "25%" in text and "articles/s" in text and "ETA" in text
    assert "200/200 100%" in text
    assert text.endswith("\r\033[K")


@pytest.mark.parametrize(("summary", "expected"), [
    (BuildSummary(30095, [Skipped("a", "too short: 3 characters")] * 3 + [Skipped("b", "invalid JSON: x")], 2,
                  41.24, Path("i")),
     "indexed 30095 articles, skipped 4 (3 too short, 1 invalid JSON), 2 duplicates, in 41.2 s"),
    (BuildSummary(1, [], 1, 0.04, Path("i")), "indexed 1 article, skipped 0, 1 duplicate, in 0.0 s"),
    (BuildSummary(0, [], 0, 0.2, Path("i")),
     "indexed 0 articles (the index is empty), skipped 0, 0 duplicates, in 0.2 s"),
    (BuildSummary(3, [], 0, 1.0, Path("i"), updated=2, action="add"),
     "added 3 articles (2 updated in place), skipped 0, 0 duplicates, in 1.0 s"),
])
def test_summary_line(summary: BuildSummary, expected: str) -> None:
    assert summary.line() == expected


def test_estimate_records_counts_lines_and_text_files(tmp_path: Path, seeds_dir: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", news_records(seeds_dir, 7))
    (tmp_path / "b.csv").write_text("id,body\n1,x\n2,y\n", encoding="utf-8")
    assert readers.estimate_records([tmp_path, seeds_dir]) == 7 + 2 + 5


def test_rebuild_called_from_a_thread_runs_in_a_spawned_process_and_reports_progress(
        tmp_path: Path, seeds_dir: Path) -> None:
    """The app rebuilds from a Streamlit thread: forking workers out of a threaded process can deadlock, so the
    rebuild moves to a fresh process; the caller still gets progress, the summary and the swapped-in index."""
    import threading

    data = write_jsonl(tmp_path / "news.jsonl", news_records(seeds_dir, 40))
    index_dir = tmp_path / "index"
    seen: list[tuple[int, int | None]] = []
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["summary"] = rebuild_index([data], index_dir, workers=2,
                                               progress=lambda done, total: seen.append((done, total)))
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive() and "error" not in outcome, outcome
    summary = outcome["summary"]
    assert isinstance(summary, BuildSummary) and summary.indexed == 40
    assert seen and seen[-1][0] == 40
    assert len(stored_docs(index_dir)) == 40


def test_rebuild_from_a_thread_sends_back_the_same_clear_error(tmp_path: Path, seeds_dir: Path) -> None:
    import threading

    index_dir = tmp_path / "index"
    rebuild_index([seeds_dir], index_dir, workers=1)
    empty = tmp_path / "empty"
    empty.mkdir()
    errors: list[BaseException] = []
    thread = threading.Thread(target=lambda: _capture(errors, lambda: rebuild_index([empty], index_dir, workers=2)))
    thread.start()
    thread.join(timeout=120)
    assert len(errors) == 1 and isinstance(errors[0], InputError)
    assert "left unchanged" in str(errors[0])
    assert len(stored_docs(index_dir)) == 5


def _capture(errors: list[BaseException], action) -> None:
    try:
        action()
    except BaseException as error:
        errors.append(error)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_builder_closes_a_segment_every_few_articles_and_the_index_answers_the_same(
        tmp_path: Path, seeds_dir: Path, monkeypatch: pytest.MonkeyPatch, workers: int) -> None:
    """Segments are rolled so that no postings pool spills to disk; the answers do not depend on where they roll."""
    records = news_records(seeds_dir, 12)
    source = write_jsonl(tmp_path / "news.jsonl", records)
    rebuild_index([source], tmp_path / "whole", workers=1)
    monkeypatch.setattr(whoosh_io, "SEGMENT_ARTICLES", 3)
    rebuild_index([source], tmp_path / "rolled", workers=workers)
    assert read_build_info(tmp_path / "rolled")["segments"] >= 4
    whole, rolled = Archive.open(tmp_path / "whole"), Archive.open(tmp_path / "rolled")
    for query in ("موسكو", '"الرئيس الروسي"', "بوتين OR الأسد", ""):
        a, b = whole.search(query, limit=50), rolled.search(query, limit=50)
        assert (a.total, a.facets) == (b.total, b.facets)
        assert sorted((h.id, h.score) for h in a.hits) == sorted((h.id, h.score) for h in b.hits)
