"""Writing a sharded generation on this machine, and adding to an index whatever its shard count.

Rebuild: documents arrive in input order (after extraction and deduplication) and go to the shard their id hashes
to (archive/index/shards.py). With one worker every shard's segments are written in this process; with W workers,
W index processes each own the shards s with s % W == their number and write every segment of those shards, so a
shard's document order is the input order whatever the worker count (a two-worker single-index build interleaves
its segments in arrival order instead). Segments are written as the single writer writes them (SegmentBuilder:
the compact codec, a new segment every SEGMENT_ARTICLES articles of a shard), from the same documents
(archive/index/writer.article_fields, metadata facets included).

Add: `IndexTargets` routes each article to its shard's Whoosh writer (the compact codec, as a rebuild) and commits
them all at the end; on an unsharded index it is the one writer it always was.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.writing import LockError

from archive.batching import INDEX_BATCH
from archive.errors import ArchiveError, IndexBusyError
from archive.index.shards import shard_dirs, shard_of
from archive.index.store import INDEX_NAME, open_generation, release_held_locks
from archive.index.whoosh_io import WRITER_LIMIT_MB, SegmentBuilder, commit_segments, compact_codec, create_empty_index
from archive.index.workers import _die_with_parent


def create_shards(generation_dir: Path, schema: Schema, shards: int) -> list[Path]:
    """Empty Whoosh indexes for every shard of a new generation."""
    directories = shard_dirs(generation_dir, shards)
    for directory in directories:
        directory.mkdir(exist_ok=True)
        create_empty_index(directory, schema)
    return directories


def write_shard(documents: Iterable[dict[str, Any]], shard_dir: Path, schema: Schema) -> tuple[int, int]:
    """One shard from DOCUMENTS, in their order, into an empty SHARD_DIR (a segment every SEGMENT_ARTICLES
    articles, as SegmentBuilder rolls them); (the article count, the segments written)."""
    create_empty_index(shard_dir, schema)
    builder = SegmentBuilder(shard_dir)
    try:
        for document in documents:
            builder.add(document)
        segments = builder.finish()
    except BaseException:
        builder.cancel()
        raise
    commit_segments(shard_dir, schema, segments)
    return builder.count, len(segments)


def build_shards(documents: Iterable[dict[str, Any]], generation_dir: Path, schema: Schema, shards: int,
                 workers: int, on_finishing: Any = None) -> int:
    """Writes DOCUMENTS into SHARDS shards of GENERATION_DIR with WORKERS processes; the segments written."""
    directories = create_shards(generation_dir, schema, shards)
    if workers <= 1:
        builders = [SegmentBuilder(directory) for directory in directories]
        try:
            for document in documents:
                builders[shard_of(document["id"], shards)].add(document)
            segments = [builder.finish() for builder in builders]
        except BaseException:
            for builder in builders:
                builder.cancel()
            raise
        by_shard = dict(enumerate(segments))
    else:
        processes = ShardProcesses(directories, min(workers, shards))
        try:
            for document in documents:
                processes.send(shard_of(document["id"], shards), document)
            if on_finishing is not None:
                on_finishing()
            by_shard = processes.finish()
        finally:
            processes.stop()
    written = 0
    for number, directory in enumerate(directories):
        shard_segments = by_shard.get(number, [])
        commit_segments(directory, schema, shard_segments)
        written += len(shard_segments)
    return written


def _shard_worker(directories: dict[int, Path], jobs: Any, results: Any, number: int, parent_pid: int) -> None:
    """An index process owning some shards: (shard, document) batches from JOBS until None, then its segments."""
    _die_with_parent(parent_pid)
    release_held_locks()
    builders: dict[int, SegmentBuilder] = {}
    try:
        builders = {shard: SegmentBuilder(directory) for shard, directory in directories.items()}
        while True:
            try:
                batch = jobs.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the parent died: nobody will read our segments
                    for builder in builders.values():
                        builder.cancel()
                    return
                continue
            if batch is None:
                break
            for shard, document in batch:
                builders[shard].add(document)
        results.put(("segments", number, {shard: builder.finish() for shard, builder in builders.items()}))
    except BaseException as error:  # reported to the parent, which raises it
        for builder in builders.values():
            builder.cancel()
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        results.put(("error", number, detail))


class ShardProcesses:
    """WORKERS index processes, each owning the shards s with s % WORKERS == its number; a dead or failing process
    raises here instead of hanging the build (as archive/index/workers.py does for an unsharded build)."""

    def __init__(self, directories: list[Path], workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self.workers = workers
        self.jobs = [context.Queue(maxsize=3) for _ in range(workers)]
        self.results = context.Queue()
        self.pending: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(workers)]
        self.processes = [
            context.Process(target=_shard_worker, name=f"news-archive-shards-{number}", daemon=True,
                            args=({s: d for s, d in enumerate(directories) if s % workers == number},
                                  self.jobs[number], self.results, number, os.getpid()))
            for number in range(workers)
        ]
        for process in self.processes:
            process.start()
        self.segments: dict[int, list[Any]] = {}
        self.reported = 0

    def _take_results(self, timeout: float) -> None:
        try:
            while True:
                kind, number, payload = self.results.get(timeout=timeout) if timeout else \
                    self.results.get_nowait()
                if kind == "error":
                    raise ArchiveError(f"index process {number} failed: {payload}")
                self.reported += 1
                self.segments.update(payload)
                timeout = 0
        except queue.Empty:
            pass

    def _check_alive(self) -> None:
        self._take_results(0)
        for process in self.processes:
            if process.exitcode not in (None, 0):
                raise ArchiveError(f"an index process died unexpectedly (exit code {process.exitcode})")

    def _put(self, owner: int, batch: list[tuple[int, dict[str, Any]]] | None) -> None:
        while True:
            try:
                self.jobs[owner].put(batch, timeout=0.5)
                return
            except queue.Full:
                self._check_alive()

    def send(self, shard: int, document: dict[str, Any]) -> None:
        owner = shard % self.workers
        self.pending[owner].append((shard, document))
        if len(self.pending[owner]) >= INDEX_BATCH:
            self._put(owner, self.pending[owner])
            self.pending[owner] = []

    def finish(self) -> dict[int, list[Any]]:
        for owner in range(self.workers):
            if self.pending[owner]:
                self._put(owner, self.pending[owner])
                self.pending[owner] = []
            self._put(owner, None)
        while self.reported < self.workers:
            self._take_results(0.5)
            if self.reported < self.workers:
                self._check_alive()
                if all(process.exitcode is not None for process in self.processes):
                    self._take_results(0.5)
                    if self.reported < self.workers:
                        raise ArchiveError("an index process ended without reporting its segments")
        for process in self.processes:
            process.join()
        return self.segments

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=5)
        for channel in (*self.jobs, self.results):
            channel.cancel_join_thread()
            channel.close()


class KnownArticles:
    """Whether an article id is in a generation (its shards as they were when first asked): the `known_id` of
    ReadOptions where no IndexTargets is at hand (a cluster worker reading a feed for an add). Pickles as its
    paths; the searchers open on first use, in the process that asks."""

    def __init__(self, generation: Path, shards: int) -> None:
        self.generation = generation
        self.shards = shards
        self.searchers: dict[int, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"generation": self.generation, "shards": self.shards}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.generation = state["generation"]
        self.shards = state["shards"]
        self.searchers = {}

    def __call__(self, article_id: str) -> bool:
        shard = shard_of(article_id, self.shards)
        if shard not in self.searchers:
            directory = shard_dirs(self.generation, self.shards)[shard]
            self.searchers[shard] = whoosh_index.open_dir(str(directory), indexname=INDEX_NAME).searcher()
        return self.searchers[shard].document_number(id=article_id) is not None

    def close(self) -> None:
        while self.searchers:
            _, searcher = self.searchers.popitem()
            with contextlib.suppress(Exception):
                searcher.close()


class IndexTargets:
    """The Whoosh writers an `add` writes through: one per shard touched (all of an unsharded index's articles go
    to its one index). Each article replaces any with its id, in the shard its id hashes to. Searchers (what was
    in the index when the add began) and writers are opened per shard on first use: a shard the add does not touch
    is neither locked nor committed."""

    def __init__(self, index_dir: Path, generation: Path, shards: int, wait_seconds: float = 0.0) -> None:
        self.index_dir = index_dir
        self.directories = shard_dirs(generation, shards)
        self.shards = shards
        self.wait_seconds = wait_seconds
        self.indexes: dict[int, Any] = {}
        self.searchers: dict[int, Any] = {}
        self.writers: dict[int, Any] = {}
        for directory in self.directories:  # a damaged shard is reported as such before anything is written
            _, reader = open_generation(index_dir, directory)
            reader.close()

    def _index(self, shard: int) -> Any:
        if shard not in self.indexes:
            self.indexes[shard] = whoosh_index.open_dir(str(self.directories[shard]), indexname=INDEX_NAME)
        return self.indexes[shard]

    def _searcher(self, shard: int) -> Any:
        if shard not in self.searchers:
            self.searchers[shard] = self._index(shard).searcher()
        return self.searchers[shard]

    def _writer(self, shard: int) -> Any:
        if shard not in self.writers:
            try:
                # the compact codec, as a rebuild's segments (archive/index/whoosh_io.py)
                self.writers[shard] = self._index(shard).writer(timeout=self.wait_seconds, limitmb=WRITER_LIMIT_MB,
                                                                codec=compact_codec())
            except LockError:
                raise IndexBusyError(f"cannot add: the index in {self.index_dir} is locked by another writer; "
                                     f"try again when it finishes") from None
        return self.writers[shard]

    def known(self, article_id: str) -> bool:
        """True when an article with this id was in the index when the add began (add FEED_URL then does not fetch
        its page again)."""
        return self._searcher(shard_of(article_id, self.shards)).document_number(id=article_id) is not None

    def update(self, fields: dict[str, Any]) -> bool:
        """Adds or replaces the document; True when an article with its id was already there."""
        shard = shard_of(fields["id"], self.shards)
        writer = self._writer(shard)
        existed = self.known(fields["id"])
        writer.update_document(**fields)
        return existed

    def commit_so_far(self) -> None:
        """Commits what was written so far and goes on with new writers (a long add of fetched pages loses nothing
        to an interruption); the searchers stay on what was there before the add."""
        while self.writers:  # a shard written to again gets a new writer (_writer)
            _, writer = self.writers.popitem()
            writer.commit()

    def commit(self) -> None:
        """Commits shard by shard: a reader opening the index meanwhile may see the new articles of some shards
        and not yet of others (each shard's commit itself is atomic)."""
        self._close_searchers()
        while self.writers:
            _, writer = self.writers.popitem()
            writer.commit()

    def cancel(self) -> None:
        self._close_searchers()
        while self.writers:
            _, writer = self.writers.popitem()
            with contextlib.suppress(Exception):  # the error being raised is the one to report
                writer.cancel()

    def _close_searchers(self) -> None:
        while self.searchers:
            _, searcher = self.searchers.popitem()
            with contextlib.suppress(Exception):
                searcher.close()

    def doc_count(self) -> int:
        total = 0
        for directory in self.directories:
            with whoosh_index.open_dir(str(directory), indexname=INDEX_NAME).reader() as reader:
                total += reader.doc_count()
        return total
