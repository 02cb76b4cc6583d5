"""Shared fixtures: the bundled seeds and, when present, the shared corpus; and what several test files build from
them, built once per test process (one per pytest-xdist worker) instead of once per file:

- `test_index_dir`: the app's test index (tests/browser_support.py), read by the app, browser, daily-use and load
  tests; none of them writes into it.
- `corpus_sample`, `corpus_sample_index`, `corpus_sample_records`: the first CORPUS_SAMPLE records of the shared
  corpus, one index of them (two index processes) and the Article records ingestion makes of them (the independent
  side of the corpus checks), for the search, name-search, sharded and cluster tests over the corpus.
- `dask_cluster`: a scheduler and two workers on 127.0.0.1 for the cluster tests; stopped, with every process it
  started, at the end of the run.

Tests using the corpus and cluster fixtures share an xdist group (XDIST_GROUPS below) so that `make test`
(`pytest -n 2 --dist loadgroup`) builds them in one worker only; every other test file is a group of its own, so a
module's fixtures are built once too.
"""

from __future__ import annotations

import gzip
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import build_test_index
from cluster_support import LocalDaskCluster, local_cluster
from corpus_support import SampleIndex
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

from archive.article import Article
from archive.extract.ingest import iter_articles, learn_boilerplate
from archive.extract.report import IngestReport
from archive.index.writer import rebuild_index
from archive.text.analysis import analyze_terms

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
# Records of the shared corpus in the sample the corpus search, name, sharded and cluster tests index.
CORPUS_SAMPLE = 3000

# Test files run in one xdist worker together because they share session fixtures (the corpus sample's index, the
# Dask cluster); every other file is a group of its own, so that a module's fixtures are built once too.
XDIST_GROUPS = dict.fromkeys(["test_cluster.py", "test_person_merge.py", "test_sharded.py", "test_name_search.py",
                              "test_search_corpus.py", "test_kernels.py"], "corpus-and-cluster")
# The slowest groups, slowest first: they start first, so that the other worker takes the many short files meanwhile
# and the run does not end waiting on one long file.
SLOW_FIRST = ["corpus-and-cluster", "test_ingest_corpus.py", "test_browser.py", "test_faults.py", "test_load.py",
              "test_hostile_input.py", "test_indexer.py", "test_rebuild_cli.py"]


def xdist_group(nodeid: str) -> str:
    """The group of a test: the shared one of XDIST_GROUPS, else its file's name (tests/ has no subfolders)."""
    name = nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return XDIST_GROUPS.get(name, name)


class FileGroupScheduling(LoadScopeScheduling):
    """pytest-xdist's --dist loadgroup, with the groups of xdist_group(): each unit of work is a whole group, handed
    out in collection order (SLOW_FIRST first, below) to whichever worker is free. (xdist's own way, `xdist_group`
    markers, renames each test's node id, which pytest 9 no longer allows.)"""

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False  # keep SLOW_FIRST's order, not the biggest groups by test count

    def _split_scope(self, nodeid: str) -> str:
        return xdist_group(nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadScopeScheduling | None:
    return FileGroupScheduling(config, log) if config.getvalue("dist") == "loadgroup" else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The groups of SLOW_FIRST first, in that order; each keeps its tests' order."""

    rank = {group: number for number, group in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(xdist_group(item.nodeid), len(SLOW_FIRST)))


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def corpus_path() -> Path:
    if not CORPUS.exists():
        pytest.skip(f"shared corpus not found at {CORPUS} (tests over real articles need ../shared/corpora/)")
    return CORPUS


@pytest.fixture(scope="session")
def test_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_index(tmp_path_factory.mktemp("test-index"))


@pytest.fixture(scope="session")
def corpus_sample(tmp_path_factory: pytest.TempPathFactory, corpus_path: Path) -> Path:
    """The first CORPUS_SAMPLE records of the shared corpus, gzipped JSONL as the corpus is."""
    sample = tmp_path_factory.mktemp("corpus-sample") / "sample.jsonl.gz"
    with gzip.open(corpus_path, "rt", encoding="utf-8") as source, \
            gzip.open(sample, "wt", encoding="utf-8", compresslevel=1) as out:
        out.writelines(itertools.islice(source, CORPUS_SAMPLE))
    return sample


@pytest.fixture(scope="session")
def corpus_sample_index(tmp_path_factory: pytest.TempPathFactory, corpus_sample: Path) -> SampleIndex:
    """One index of the corpus sample, built by two index processes. Read only: tests that change an index copy it."""
    path = tmp_path_factory.mktemp("corpus-sample-index") / "index"
    return SampleIndex(path, rebuild_index([corpus_sample], path, workers=2))


@pytest.fixture(scope="session")
def corpus_sample_records(corpus_sample: Path) -> list[Article]:
    """The Article records ingestion makes of the corpus sample, with the boilerplate a rebuild learns from it."""
    boilerplate = learn_boilerplate([corpus_sample]).boilerplate()
    return list(iter_articles([corpus_sample], IngestReport(), boilerplate=boilerplate))


@pytest.fixture(scope="session")
def corpus_sample_terms(corpus_sample_records: list[Article]) -> dict[str, set[str]]:
    """Record id -> the analyzed terms of its title and body."""
    return {a.id: set(analyze_terms(a.title)) | set(analyze_terms(a.body)) for a in corpus_sample_records}


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDaskCluster]:
    with local_cluster(tmp_path_factory.mktemp("dask-logs")) as running:
        yield running
    assert not running.live_workers() and running.scheduler is not None and running.scheduler.poll() is not None
