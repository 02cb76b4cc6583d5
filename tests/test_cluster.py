"""On a real Dask cluster (a scheduler and two worker processes on 127.0.0.1, started and stopped here): a sharded
index built through the cluster answers query by query as one index built on this machine; a worker killed during
a search or a rebuild never yields a partial or wrong answer; an unreachable scheduler is one line naming it."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import write_test_inputs
from cluster_support import LocalDaskCluster, ensure_workers, read_queries
from corpus_support import SampleIndex
from distributed import Client
from test_sharded import (
    FACET_OPTIONS,
    OPTIONS,
    QUERIES,
    WEB_FIXTURES,
    assert_same_answers,
    assert_same_related_and_exports,
    comparable,
)

from archive.cluster.build import add_on_cluster, plan_parts, rebuild_on_cluster
from archive.cluster.connect import ClusterError, connect
from archive.cluster.search import DaskShards, open_on_cluster
from archive.extract.records import ReadOptions
from archive.index.writer import add_to_index, rebuild_index
from archive.search.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
# The corpus tests index conftest.py's corpus sample (the first 3,000 articles of the shared corpus; the whole
# corpus is the benchmark's: bench/cluster.py).

pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def cluster(dask_cluster: LocalDaskCluster) -> LocalDaskCluster:
    """conftest.py's cluster (a scheduler and two workers, shared with tests/test_person_merge.py)."""
    ensure_workers(dask_cluster)
    return dask_cluster


@pytest.fixture(scope="module")
def client(cluster: LocalDaskCluster) -> Iterator[Client]:
    connected = connect(cluster.address)
    yield connected
    connected.close()


def test_parts_split_a_big_file_into_strides_and_group_small_files(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    big.write_text("x" * 10_000)
    small = []
    for number in range(6):
        path = tmp_path / f"s{number}.txt"
        path.write_text("y" * 300)
        small.append(str(path))
    parts = plan_parts([str(big), *small], 4)
    strides = [part for part in parts if part.stride > 1]
    assert {part.offset for part in strides} == set(range(strides[0].stride)) and strides[0].stride >= 2
    grouped = [file for part in parts if part.stride == 1 for _, file in part.files]
    assert grouped == small  # every small file once, in input order


def test_an_unreachable_scheduler_is_one_line_naming_the_address(tmp_path: Path, seeds_dir: Path) -> None:
    rebuild_index([seeds_dir], tmp_path / "index", workers=1)
    env = dict(os.environ, NEWS_ARCHIVE_CONNECT_SECONDS="1")
    for command in (["search", "موسكو"], ["rebuild-index", str(seeds_dir)], ["add", str(seeds_dir)]):
        done = subprocess.run([sys.executable, "-m", "archive", *command, "--index", str(tmp_path / "index"),
                               "--scheduler", "127.0.0.1:9"], capture_output=True, text=True, env=env, timeout=60,
                              cwd=ROOT)
        assert done.returncode == 1, command
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "tcp://127.0.0.1:9" in lines[0] and "Dask scheduler" in lines[0], done.stderr
    with Archive.open(tmp_path / "index") as archive:  # nothing changed
        assert archive.search("").total == 5


def test_the_seeds_built_and_searched_on_the_cluster_answer_as_one_index(
        tmp_path: Path, seeds_dir: Path, cluster: LocalDaskCluster, client: Client) -> None:
    ensure_workers(cluster)
    rebuild_index([seeds_dir], tmp_path / "single", workers=1)
    summary = rebuild_on_cluster([seeds_dir], tmp_path / "sharded", client, shards=3)
    assert summary.indexed == 5 and summary.duplicates == 0
    with Archive.open(tmp_path / "single") as single:
        sharded = open_on_cluster(tmp_path / "sharded", client)
        assert_same_answers(single, sharded, QUERIES, OPTIONS[:5])
        assert_same_related_and_exports(single, sharded, [hit.id for hit in single.search("").hits])
    # the command line: built, searched and counted through the scheduler
    env = dict(os.environ, NEWS_ARCHIVE_SCHEDULER=cluster.address)
    done = subprocess.run([sys.executable, "-m", "archive", "search", "موسكو", "--json", "--index",
                           str(tmp_path / "sharded")], capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    with Archive.open(tmp_path / "single") as single:
        expected = single.search("موسكو").to_dict()
    got = json.loads(done.stdout)
    assert {k: v for k, v in got.items() if k != "took_ms"} == {k: v for k, v in expected.items() if k != "took_ms"}


def test_add_on_the_cluster_routes_articles_to_their_shards(tmp_path: Path, seeds_dir: Path,
                                                            cluster: LocalDaskCluster, client: Client) -> None:
    ensure_workers(cluster)
    first, *rest = sorted(seeds_dir.glob("*.txt"))
    rebuild_index([first], tmp_path / "single", workers=1)
    rebuild_on_cluster([first], tmp_path / "sharded", client, shards=2)
    assert add_on_cluster(rest, tmp_path / "sharded", client).indexed == 4
    add_to_index(rest, tmp_path / "single")
    with Archive.open(tmp_path / "single") as single, Archive.open(tmp_path / "sharded") as sharded:
        assert_same_answers(single, sharded, ["موسكو", "", "بوتين"], [{}])


def test_metadata_facets_versions_and_read_options_on_the_cluster(tmp_path: Path, cluster: LocalDaskCluster,
                                                                  client: Client) -> None:
    ensure_workers(cluster)
    inputs = write_test_inputs(tmp_path / "inputs")
    rebuild_index(inputs, tmp_path / "single", workers=1)
    summary = rebuild_on_cluster(inputs, tmp_path / "sharded", client, shards=4)
    assert summary.indexed == rebuild_index(inputs, tmp_path / "again", workers=1).indexed
    with Archive.open(tmp_path / "single") as single:
        sharded = open_on_cluster(tmp_path / "sharded", client)
        queries = ["", "مستشفى للأطفال", "موسكو"]
        assert_same_answers(single, sharded, queries, FACET_OPTIONS)
        for query in queries:
            assert sharded.coverage(query) == single.coverage(query)
    # the readers of the workers are told the options: an English feed entry is kept only when asked
    feed = WEB_FIXTURES / "aljazeera.atom"
    assert rebuild_on_cluster([feed], tmp_path / "feed", client, shards=2).indexed == 1
    assert rebuild_on_cluster([feed], tmp_path / "feed", client, shards=2,
                              options=ReadOptions(any_language=True)).indexed == 2
    rebuild_on_cluster([feed], tmp_path / "feed-add", client, shards=2)
    assert add_on_cluster([feed], tmp_path / "feed-add", client, options=ReadOptions(any_language=True)).indexed == 2


@pytest.fixture(scope="module")
def corpus_slice(corpus_sample: Path) -> Path:
    return corpus_sample


@pytest.fixture(scope="module")
def corpus_indexes(tmp_path_factory: pytest.TempPathFactory, corpus_slice: Path, corpus_sample_index: SampleIndex,
                   cluster: LocalDaskCluster, client: Client) -> dict[str, Path]:
    """The corpus sample built on the cluster, beside conftest.py's one index of it built on this machine."""
    ensure_workers(cluster)
    root = tmp_path_factory.mktemp("cluster-corpus")
    summary = rebuild_on_cluster([corpus_slice], root / "sharded", client, shards=4)
    local = corpus_sample_index.summary
    assert (summary.indexed, summary.duplicates, len(summary.skipped)) == \
        (local.indexed, local.duplicates, len(local.skipped))
    return {"single": corpus_sample_index.path, "sharded": root / "sharded"}


def corpus_specs() -> list[dict[str, Any]]:
    specs = read_queries(ROOT / "bench" / "queries.txt")
    # every filtered, boolean, prefix, browsing and phrase query, and a share of the plain words
    chosen = [s for s in specs if s["persons"] or s["sources"] or "date_from" in s or not s["query"].strip()
              or '"' in s["query"] or " OR " in s["query"] or " -" in s["query"] or s["query"].endswith("*")]
    chosen += [s for s in specs if s not in chosen][::4]
    return chosen


@pytest.mark.corpus
def test_on_the_corpus_cluster_answers_equal_single_index_answers_query_by_query(
        corpus_indexes: dict[str, Path], client: Client) -> None:
    specs = corpus_specs()
    compared = 0
    with Archive.open(corpus_indexes["single"]) as single:
        sharded = open_on_cluster(corpus_indexes["sharded"], client)
        for spec in specs:
            options = {k: v for k, v in spec.items() if k != "query"}
            for extra in ({}, {"limit": 20, "page": 2}):
                assert comparable(sharded.search(spec["query"], **options, **extra)) == \
                    comparable(single.search(spec["query"], **options, **extra)), (spec, extra)
                compared += 1
        assert_same_related_and_exports(single, sharded, [h.id for h in single.search("ترامب", limit=4).hits])
    assert compared >= 200 and len([s for s in specs if s["persons"] or s["sources"] or "date_from" in s]) >= 40


@pytest.mark.corpus
def test_a_worker_killed_during_searches_never_gives_a_partial_answer(
        corpus_indexes: dict[str, Path], cluster: LocalDaskCluster, client: Client) -> None:
    ensure_workers(cluster)
    specs = corpus_specs()[:40]
    with Archive.open(corpus_indexes["single"]) as single:
        expected = [comparable(single.search(s["query"], **{k: v for k, v in s.items() if k != "query"}))
                    for s in specs]
    sharded = open_on_cluster(corpus_indexes["sharded"], client)
    outcomes: list[str] = []
    stop = threading.Event()

    def search_continuously() -> None:
        for number in itertools.cycle(range(len(specs))):
            if stop.is_set():
                return
            spec = specs[number]
            try:
                sharded.clear_caches()  # every search reads postings: a long enough window to be killed in
                got = comparable(sharded.search(spec["query"], **{k: v for k, v in spec.items() if k != "query"}))
            except ClusterError as error:
                assert "\n" not in str(error) and "no partial answer" in str(error)
                outcomes.append("error")
                continue
            assert got == expected[number], spec
            outcomes.append("ok")

    searcher = threading.Thread(target=search_continuously)
    searcher.start()
    try:
        while len(outcomes) < 5:
            time.sleep(0.05)
        cluster.kill_worker(cluster.live_workers()[0])  # SIGKILL, mid-search
        before = len(outcomes)
        deadline = time.monotonic() + 120
        while len(outcomes) < before + 15 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        searcher.join(timeout=180)
    assert not searcher.is_alive()
    assert len(outcomes) >= before + 15, "the searches stopped after the worker was killed"
    assert outcomes[-5:] == ["ok"] * 5, outcomes  # later queries succeed, on the worker left
    ensure_workers(cluster)


@pytest.mark.corpus
def test_a_shard_task_cancelled_mid_search_is_one_clear_error_not_a_dask_exception(client: Client) -> None:
    """When the scheduler cancels a shard's task (its worker killed), Dask's wait() raises FuturesCancelledError;
    the search reports it as the one-line ClusterError, no partial answer."""
    future = client.submit(time.sleep, 30, pure=False)
    client.cancel([future])
    shards = object.__new__(DaskShards)  # only what _gather reads
    shards.client, shards.timeout, shards.homes_checked = client, 20.0, 0.0
    with pytest.raises(ClusterError, match="no partial answer") as raised:
        shards._gather({0: future})
    assert "\n" not in str(raised.value)


def test_a_worker_killed_during_a_rebuild_leaves_the_old_index_or_a_whole_new_one(
        corpus_slice: Path, corpus_indexes: dict[str, Path], cluster: LocalDaskCluster, client: Client,
        tmp_path: Path) -> None:
    ensure_workers(cluster)
    index = tmp_path / "index"
    rebuild_index([ROOT / "seeds"], index, workers=1)  # the old index: the five seeds
    outcome: dict[str, Any] = {}

    def rebuild() -> None:
        try:
            outcome["summary"] = rebuild_on_cluster([corpus_slice], index, client, shards=4)
        except ClusterError as error:
            outcome["error"] = error

    builder = threading.Thread(target=rebuild)
    builder.start()
    # kill once extraction is under way on both workers (a task processing on each), not after a guessed delay
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and builder.is_alive() and \
            sum(1 for keys in client.processing().values() if keys) < 2:
        time.sleep(0.05)
    assert builder.is_alive(), "the rebuild ended before both workers were busy: nothing was killed mid-build"
    cluster.kill_worker(cluster.live_workers()[0])
    builder.join(timeout=360)
    assert not builder.is_alive()
    assert not list(index.glob("building-*"))
    with Archive.open(index) as archive:
        if "error" in outcome:  # failed cleanly: the old index answers as before
            assert "\n" not in str(outcome["error"])
            assert archive.search("").total == 5
        else:  # finished on the worker left: whole and identical to one index
            with Archive.open(corpus_indexes["single"]) as single:
                assert_same_answers(single, archive, ["ترامب", "", "الرئيس السوري"], [{}])
    ensure_workers(cluster)


def test_a_killed_test_process_leaves_no_cluster_processes_behind(tmp_path: Path) -> None:
    """A test run killed from outside (a timeout) cannot run its teardown: the scheduler and workers it started
    must still stop, not live on bound to 127.0.0.1."""
    starter = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "sys.path.insert(0, sys.argv[1])\n"
         "from pathlib import Path\n"
         "from cluster_support import LocalDaskCluster\n"
         "cluster = LocalDaskCluster(Path(sys.argv[2])).start(workers=1)\n"
         "print(cluster.scheduler.pid, *(w.pid for w in cluster.workers), flush=True)\n"
         "time.sleep(120)\n", str(Path(__file__).parent), str(tmp_path / "logs")],
        stdout=subprocess.PIPE, text=True)
    try:
        line = starter.stdout.readline() if starter.stdout else ""
        pids = [int(p) for p in line.split()]
        assert len(pids) == 2, line
        assert all(_alive(pid) for pid in pids)
    finally:
        starter.kill()
        starter.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    """Whether PID is a running process (not a zombie awaiting its reaper)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"
