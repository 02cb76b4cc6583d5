"""Searching a sharded index on a Dask cluster: the workers hold the shards open, the client merges.

    archive = open_on_cluster("index", connect("tcp://10.0.0.5:8786"))
    archive.search("بوتين")              # a ShardedArchive: the same answers as one index

Each shard has a home worker (round robin over the workers, in address order). A `ShardCache` worker plugin keeps
the shards a worker has opened (Snapshot, per-document arrays, term caches), keyed by the shard's directory and its
table-of-contents generation, so a worker opens a shard once and an `add` or a rebuild makes it open the new one.
A request is a Dask task per shard, pinned loosely to the shard's home (`allow_other_workers`): when the home dies,
the scheduler reruns the task on another worker, which opens the shard there, so the query is answered whole, or,
when the cluster cannot answer in SEARCH_SECONDS, fails with one line. Never a partial answer: the merge needs
every shard's. The next request re-homes the lost worker's shards on the workers left.

The collection's decision on which spellings are one person (archive/search/person_merge.py) is scattered to the
workers once and passed to every task: a worker applies it to the shard it holds (a view sharing the open shard),
so a shard re-opened on another worker after a loss answers under the same decision.
"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any, cast

from distributed import Client, Future, get_worker, wait
from distributed.diagnostics.plugin import WorkerPlugin

from archive.cluster.connect import (
    SEARCH_SECONDS,
    ClusterError,
    connect,
    one_line,
    scheduler_address,
    scheduler_of,
    worker_addresses,
)
from archive.index.shards import shard_count, shard_dirs, toc_generation
from archive.index.store import check_versions, current_index_path
from archive.search.archive import Archive
from archive.search.person_merge import PersonMerge
from archive.search.sharded import Shard, ShardedArchive, ShardInfo

PLUGIN_NAME = "news-archive-shards"
# Seconds between asking the scheduler which workers are alive (to re-home the shards of lost ones).
REHOME_SECONDS = 2.0
# Generations a worker keeps open at once: the live one and the one before (a reader still on it).
KEPT_GENERATIONS = 2
# Spellings decisions a worker keeps applied per shard (two clients opened before and after an `add` may differ).
KEPT_MERGES = 2


class ShardCache(WorkerPlugin):
    """On each worker: the shards it has opened, by (shard directory, TOC generation), for the newest
    KEPT_GENERATIONS generations it was asked about."""

    name = PLUGIN_NAME

    def __init__(self) -> None:
        self.shards: dict[tuple[str, int], Shard] = {}
        # each open shard under the spellings decisions it was asked with: (shard key) -> {decision key: view}
        self.views: dict[tuple[str, int], dict[str, Shard]] = {}
        self.generations: list[str] = []
        self.lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {}  # shipped empty to each worker: open shards and locks stay where they are

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    def setup(self, worker: Any) -> None:
        self.shards, self.views, self.generations = {}, {}, []

    def teardown(self, worker: Any) -> None:
        with self.lock:
            for shard in self.shards.values():
                shard.close()
            self.shards.clear()
            self.views.clear()

    def shard(self, index_dir: str, generation: str, path: str, number: int, toc: int) -> Shard:
        key = (path, toc)
        with self.lock:
            found = self.shards.get(key)
            if found is not None:
                return found
            found = Shard(Path(index_dir), Path(path), number)
            # an `add` moved this shard to a new TOC generation: its older opening goes
            for old in [k for k in self.shards if k[0] == path]:
                self.views.pop(old, None)
                self.shards.pop(old).close()
            self.shards[key] = found
            self.generations = [g for g in self.generations if g != generation] + [generation]
            for stale in self.generations[:-KEPT_GENERATIONS]:
                for old in [k for k in self.shards if k[0] == stale or Path(k[0]).parent == Path(stale)]:
                    self.views.pop(old, None)
                    self.shards.pop(old).close()
            self.generations = self.generations[-KEPT_GENERATIONS:]
            return found

    def view(self, shard: Shard, path: str, toc: int, merge: PersonMerge | None) -> Shard:
        """SHARD under the collection's spellings decision MERGE (None: as the index holds the names)."""
        if merge is None:
            return shard
        with self.lock:
            views = self.views.setdefault((path, toc), {})
            found = views.get(merge.key)
            if found is None:
                found = views[merge.key] = shard.with_person_merge(merge)
                while len(views) > KEPT_MERGES:
                    views.pop(next(iter(views)))
            return found


def run_on_shard(index_dir: str, generation: str, path: str, number: int, toc: int, merge: PersonMerge | None,
                 method: str, args: tuple[Any, ...]) -> Any:
    """A Dask task: METHOD of the shard at PATH (opened on this worker once and kept) under the collection's
    spellings decision MERGE (Dask hands the scattered decision over as the object)."""
    worker = get_worker()
    cache = cast(ShardCache | None, worker.plugins.get(PLUGIN_NAME))
    if cache is None:  # a worker that joined before the plugin was registered and missed it
        cache = ShardCache()
        worker.plugins[PLUGIN_NAME] = cache
    shard = cache.shard(index_dir, generation, path, number, toc)
    return getattr(cache.view(shard, path, toc, merge), method)(*args)


class DaskShards:
    """The ShardBackend of archive/search/sharded.py that runs each shard's part on the Dask cluster."""

    def __init__(self, client: Client, index_dir: Path, generation: Path, count: int,
                 timeout: float = SEARCH_SECONDS) -> None:
        self.client = client
        self.index_dir = index_dir
        self.count = count
        self.timeout = timeout
        self.generation = str(generation)
        self.directories = [str(d) for d in shard_dirs(generation, count)]
        # the state of each shard this backend serves: a worker holding another opens this one
        self.tocs = [toc_generation(Path(d)) for d in self.directories]
        self.homes: list[str] = []
        self.homes_checked = 0.0
        self.merge: Future | None = None  # the collection's spellings decision, scattered to the workers
        self._rehome()

    def _rehome(self, force: bool = False) -> None:
        """Give the shards of lost workers new homes. Asking the scheduler costs a round trip, so this happens at
        most every REHOME_SECONDS unless a request just failed (a task lost meanwhile is rerun by the scheduler
        elsewhere anyway: the home is a preference, not a requirement)."""
        now = time.monotonic()
        if not force and self.homes and now - self.homes_checked < REHOME_SECONDS:
            return
        self.homes_checked = now
        workers = worker_addresses(self.client)
        if not workers:
            raise ClusterError(f"the Dask cluster at {scheduler_of(self.client)} has no workers: start some with "
                               f"`dask worker {scheduler_of(self.client)}`")
        alive = set(workers)
        if len(self.homes) != self.count:
            self.homes = [workers[number % len(workers)] for number in range(self.count)]
            return
        for number, home in enumerate(self.homes):
            if home not in alive:  # the lost worker's shards go to the workers left, in turn
                self.homes[number] = workers[number % len(workers)]

    def _submit(self, number: int, method: str, args: tuple[Any, ...]) -> Future:
        return self.client.submit(run_on_shard, str(self.index_dir), self.generation, self.directories[number], number,
                                  self.tocs[number], self.merge, method, args, workers=[self.homes[number]],
                                  allow_other_workers=True, pure=False)

    def _gather(self, futures: dict[int, Future]) -> dict[int, Any]:
        # the unfinished and cancelled ones are reported below (wait() raises FuturesCancelledError, a CancelledError,
        # when the scheduler cancels a task of a worker killed mid-search); wait() finds the client as the current one
        with self.client.as_current(), contextlib.suppress(TimeoutError, CancelledError):
            wait(list(futures.values()), timeout=self.timeout, return_when="ALL_COMPLETED")
        pending = [f for f in futures.values() if f.status == "pending"]
        failed = [f for f in futures.values() if f.status in ("error", "cancelled", "lost")]
        if pending or failed:
            self.homes_checked = 0.0  # the next request asks the scheduler which workers are left
            self.client.cancel(list(futures.values()))
            if failed and failed[0].status == "error":
                detail = one_line(failed[0].exception())
            elif pending:
                detail = f"no answer from {len(pending)} of {len(futures)} shards in {self.timeout:.0f} s"
            else:
                detail = "a shard's task was cancelled"
            raise ClusterError(f"the search failed on the Dask cluster at {scheduler_of(self.client)} ({detail}); "
                               f"no partial answer was given, try again")
        return {number: future.result() for number, future in futures.items()}

    def run_all(self, method: str, *args: Any) -> list[Any]:
        return list(self.run_some({number: (method, args) for number in range(self.count)}).values())

    def run_some(self, calls: dict[int, tuple[str, tuple[Any, ...]]]) -> dict[int, Any]:
        self._rehome()
        try:
            futures = {number: self._submit(number, method, args) for number, (method, args) in calls.items()}
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler_of(self.client)} "
                               f"({one_line(error)})") from None
        results = self._gather(futures)
        return {number: results[number] for number in calls}

    def set_person_merge(self, merge: PersonMerge) -> list[ShardInfo]:
        try:
            self.merge = self.client.scatter(merge, broadcast=True)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler_of(self.client)} "
                               f"({one_line(error)})") from None
        return cast(list[ShardInfo], self.run_all("describe"))

    def close(self) -> None:
        """Nothing to release here: the workers keep the shards for the next client (the plugin evicts old ones)."""


def open_on_cluster(index_dir: str | Path, client: Client) -> ShardedArchive:
    """The live index searched on the cluster of CLIENT (every worker must see INDEX_DIR at the same path). An
    unsharded index works too, as one shard."""
    index_dir = Path(index_dir).resolve()
    generation = current_index_path(index_dir)
    check_versions(index_dir)
    try:
        client.register_plugin(ShardCache(), name=PLUGIN_NAME)
    except (OSError, TimeoutError) as error:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler_of(client)} ({one_line(error)})") from None

    def backend_for(path: Path, count: int) -> DaskShards:
        return DaskShards(client, index_dir, path, count)

    backend = backend_for(generation, shard_count(generation))
    return ShardedArchive(index_dir, generation, backend, reopen=backend_for)


def open_archive(index_dir: str | Path, scheduler: str | None = None) -> Archive | ShardedArchive:
    """The index to search: on the Dask cluster at SCHEDULER (else $NEWS_ARCHIVE_SCHEDULER) when one is given,
    else in this process (Archive.open: a sharded index's shards side by side)."""
    address = scheduler_address(scheduler)
    if address is None:
        return Archive.open(index_dir)
    return open_on_cluster(index_dir, connect(address))
