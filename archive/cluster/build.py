"""Building (and adding to) a sharded index on a Dask cluster: reading, extraction and shard writing spread over the
workers; the lock, the build record and the atomic swap stay with archive/index/writer.py on the client.

    rebuild_on_cluster(["corpus/"], "index", client, shards=8)

1. **Parts.** The inputs are split into parts of similar size: whole files for a folder of many, and for a file
   larger than a part, strides of its records (part j of k keeps records j, j+k, ...: a JSONL of millions of
   lines is extracted by every worker, each reading it and extracting its own share). Each part is a task: read,
   extract (the same `build_article` as one machine), and split the articles by shard.
2. **Deduplication** runs on the client over the parts' identity keys (id, URL digest, text digest) in input order,
   exactly as one process would: the first article of a duplicate group is kept, wherever its part ran.
3. **Shards.** One task per shard gathers its articles from every part (Dask moves them between workers), puts
   them in input order and writes the shard as one Whoosh segment into a directory of its own attempt; the client
   renames the attempt that finished to `shard-NNN`. A retried task (its worker died) writes a new attempt, so a
   worker that was only cut off cannot write over the shard that counts.

Faults: Dask reruns the tasks of a lost worker on the others (lost parts are recomputed from their inputs); a
task that keeps killing workers, or no worker left for NO_WORKERS_SECONDS, fails the build with one line, and the
writer then removes the half-built generation: the old index answers as before.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import Client, Future, wait

from archive.article import Deduplicator, identity_keys
from archive.cluster.connect import NO_WORKERS_SECONDS, ClusterError, one_line, scheduler_of, worker_addresses
from archive.errors import ArchiveError
from archive.extract.boilerplate import Boilerplate, ParagraphCounts
from archive.extract.builder import build_article
from archive.extract.fetch import is_url
from archive.extract.ingest import learn_boilerplate
from archive.extract.readers import ReadOptions, _files_under, _is_sidecar, iter_raw_records
from archive.extract.report import IngestReport, Skipped
from archive.index.schema import build_schema
from archive.index.shard_writer import IndexTargets, KnownArticles, write_shard
from archive.index.shards import shard_dirs, shard_name, shard_of
from archive.index.writer import (
    ArticleAdder,
    BuildSummary,
    BuiltGeneration,
    GenerationBuilder,
    ProgressCallback,
    add_to_index,
    article_fields,
    rebuild_index,
)

# Parts per worker: enough that a lost worker's share is spread over the others and the last part is short.
PARTS_PER_WORKER = 3
ATTEMPT_MARK = ".attempt-"

# (file number, record number in the file): the input order deduplication and shard document order follow
Position = tuple[int, int]


@dataclass(frozen=True)
class PartSpec:
    files: tuple[tuple[int, str], ...]  # (file number in input order, path)
    stride: int = 1  # keep records r with r % stride == offset (a big file shared between parts)
    offset: int = 0


@dataclass
class PartResult:
    by_shard: dict[int, list[tuple[Position, dict[str, Any]]]]
    keys: list[tuple[Position, tuple[str, bytes | None, bytes]]]
    read: int
    skipped: list[Skipped]
    duplicates: int = 0  # met by a reader itself (a WARC's repeated captures)


# ---------------------------------------------------------------- planning (client)

def input_files(paths: Sequence[str | Path]) -> list[str]:
    """Every file the readers would read for PATHS, in their order (folders expanded as archive/extract/readers.py
    does; unsupported files included: their part reports them as skipped)."""
    files: list[str] = []
    for given in paths:
        if isinstance(given, str) and is_url(given):  # a feed URL: read (fetched) by one part
            files.append(given)
            continue
        path = Path(given)
        if path.is_dir():
            files.extend(str(file) for file in _files_under(path) if not _is_sidecar(file))
        else:
            files.append(str(path))
    return files


def plan_parts(files: list[str], parts: int) -> list[PartSpec]:
    """About PARTS parts of similar byte size; a file bigger than a part is split into strides of its records."""
    sizes = []
    for file in files:
        try:
            sizes.append(max(os.path.getsize(file), 1))
        except OSError:
            sizes.append(1)
    target = max(sum(sizes) / max(parts, 1), 1)
    planned: list[PartSpec] = []
    group: list[tuple[int, str]] = []
    group_bytes = 0
    for number, (file, size) in enumerate(zip(files, sizes, strict=True)):
        if size > target:
            if group:
                planned.append(PartSpec(tuple(group)))
                group, group_bytes = [], 0
            strides = min(parts, max(2, round(size / target)))
            planned.extend(PartSpec(((number, file),), strides, offset) for offset in range(strides))
            continue
        group.append((number, file))
        group_bytes += size
        if group_bytes >= target:
            planned.append(PartSpec(tuple(group)))
            group, group_bytes = [], 0
    if group:
        planned.append(PartSpec(tuple(group)))
    return planned


# ---------------------------------------------------------------- tasks (workers)

def extract_part(spec: PartSpec, shards: int, options: ReadOptions | None = None,
                 boilerplate: Boilerplate | None = None) -> PartResult:
    """Read and extract one part (the readers told OPTIONS, the archive's BOILERPLATE paragraphs removed, as on one
    machine); articles split by shard, with their identity keys for deduplication."""
    by_shard: dict[int, list[tuple[Position, dict[str, Any]]]] = {}
    keys: list[tuple[Position, tuple[str, bytes | None, bytes]]] = []
    read = duplicates = 0
    skipped: list[Skipped] = []
    try:
        for number, file in spec.files:
            report = IngestReport()
            yielded = 0
            for record_number, raw in enumerate(iter_raw_records([file], report, options)):
                yielded += 1
                if record_number % spec.stride != spec.offset:
                    continue
                read += 1
                result = build_article(raw, boilerplate)
                if isinstance(result, Skipped):
                    skipped.append(result)
                    continue
                position = (number, record_number)
                keys.append((position, identity_keys(result)))
                by_shard.setdefault(shard_of(result.id, shards), []).append((position, article_fields(result)))
            if spec.offset == 0:
                # what the reader itself counted beyond the records it gave (records it could not read, a WARC's
                # repeated captures): reported once, by the first stride
                read += report.read - yielded
                skipped.extend(report.skipped)
                duplicates += report.duplicates
    finally:
        close = getattr(options.known_id if options else None, "close", None)
        if close is not None:
            close()
    return PartResult(by_shard, keys, read, skipped, duplicates)


def part_summary(part: PartResult) -> tuple[list[tuple[Position, tuple[str, bytes | None, bytes]]], int,
                                            list[Skipped], int]:
    return part.keys, part.read, part.skipped, part.duplicates


def part_of_shard(part: PartResult, shard: int) -> list[tuple[Position, dict[str, Any]]]:
    return part.by_shard.get(shard, [])


def _documents(pieces: Sequence[list[tuple[Position, dict[str, Any]]]], dropped: frozenset[Position]
               ) -> Iterator[dict[str, Any]]:
    merged = sorted((item for piece in pieces for item in piece), key=lambda item: item[0])
    return (document for position, document in merged if position not in dropped)


def write_shard_task(generation: str, shard: int, dropped: frozenset[Position],
                     *pieces: list[tuple[Position, dict[str, Any]]]) -> tuple[str, int, int]:
    """Writes one shard into a fresh attempt directory; (its name, articles written, segments written)."""
    attempt = Path(generation) / f"{shard_name(shard)}{ATTEMPT_MARK}{uuid.uuid4().hex[:12]}"
    attempt.mkdir()
    count, segments = write_shard(_documents(pieces, dropped), attempt, build_schema())
    return attempt.name, count, segments


def update_shard_task(index_dir: str, generation: str, shards: int, shard: int, dropped: frozenset[Position],
                      *pieces: list[tuple[Position, dict[str, Any]]]) -> tuple[int, int]:
    """`add` on one shard: each article added or replacing its id; (added, updated). Rerunning it (a retried task)
    writes the same articles again: an update by id is idempotent."""
    targets = IndexTargets(Path(index_dir), Path(generation), shards)
    added = updated = 0
    try:
        for document in _documents(pieces, dropped):
            updated += targets.update(document)
            added += 1
        targets.commit()
    except BaseException:
        targets.cancel()
        raise
    return added, updated


# ---------------------------------------------------------------- the client's side

class _Watch:
    """Fails a build that has had no worker at all for NO_WORKERS_SECONDS (Dask would wait for one forever)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.alone_since: float | None = None

    def check(self) -> None:
        if worker_addresses(self.client):
            self.alone_since = None
            return
        now = time.monotonic()
        self.alone_since = self.alone_since or now
        if now - self.alone_since > NO_WORKERS_SECONDS:
            raise ClusterError(f"no Dask worker left on the cluster at {scheduler_of(self.client)} for "
                               f"{NO_WORKERS_SECONDS:.0f} s; the index was not changed")


def _wait_all(client: Client, futures: list[Future], watch: _Watch,
              on_done: Callable[[Future], None] | None = None) -> None:
    """Until every future is finished; ClusterError (one line) for a failed or cancelled one. ON_DONE is called
    once per future as it finishes (progress)."""
    reported: set[Any] = set()
    while True:
        with client.as_current(), contextlib.suppress(TimeoutError):  # wait() finds the client as the current one
            wait(futures, timeout=1.0, return_when="ALL_COMPLETED")
        done = [f for f in futures if f.status != "pending"]
        pending = [f for f in futures if f.status == "pending"]
        for future in done:
            if future.status == "error":
                raise ClusterError(f"the cluster build failed ({one_line(future.exception())}); the index was not "
                                   f"changed")
            if future.status == "cancelled":
                raise ClusterError("the cluster build was cancelled (a worker or the scheduler went away); the index "
                                   "was not changed")
            if on_done is not None and future.key not in reported:
                reported.add(future.key)
                on_done(future)
        if not pending:
            return
        watch.check()


def _distribute(client: Client, paths: Sequence[str | Path], shards: int, on_progress: ProgressCallback | None,
                total: int | None, options: ReadOptions | None, boilerplate: Boilerplate | None = None
                ) -> tuple[list[Future], list[list[Future]], list[frozenset[Position]], IngestReport, int, str]:
    """Parts extracted on the workers, deduplicated here: (part futures, each shard's pieces, each shard's dropped
    positions, the report, articles kept, a token naming the build's tasks)."""
    workers = worker_addresses(client)
    if not workers:
        raise ClusterError(f"the Dask cluster at {scheduler_of(client)} has no workers: start some with "
                           f"`dask worker {scheduler_of(client)}`")
    token = uuid.uuid4().hex[:8]
    specs = plan_parts(input_files(paths), len(workers) * PARTS_PER_WORKER)
    parts = [client.submit(extract_part, spec, shards, options, boilerplate,
                           key=f"news-archive-extract-{token}-{number}", pure=False)
             for number, spec in enumerate(specs)]
    summaries = [client.submit(part_summary, part, key=f"news-archive-keys-{token}-{number}", pure=False)
                 for number, part in enumerate(parts)]
    read_so_far = 0

    def progress(future: Future) -> None:
        nonlocal read_so_far
        read_so_far += future.result()[1]
        if on_progress is not None:
            on_progress(read_so_far, total)

    try:
        _wait_all(client, summaries, _Watch(client), progress)
        collected = client.gather(summaries)
    except BaseException:
        client.cancel([*parts, *summaries])
        raise
    report = IngestReport()
    for _, read, skipped, duplicates in collected:
        report.read += read
        report.skipped.extend(skipped)
        report.duplicates += duplicates
    report.skipped.sort(key=lambda skipped: _origin_order(skipped.origin))
    deduplicator = Deduplicator()
    dropped: list[set[Position]] = [set() for _ in range(shards)]
    kept = 0
    every_key = sorted((item for part_keys, _, _, _ in collected for item in part_keys), key=lambda item: item[0])
    for position, keys in every_key:
        if deduplicator.seen(keys):
            report.duplicates += 1
            dropped[shard_of(keys[0], shards)].add(position)
        else:
            kept += 1
    pieces = [[client.submit(part_of_shard, part, shard, key=f"news-archive-piece-{token}-{number}-{shard}",
                             pure=False) for number, part in enumerate(parts)] for shard in range(shards)]
    return parts, pieces, [frozenset(d) for d in dropped], report, kept, token


def _origin_order(origin: str) -> tuple[str, int]:
    path, _, line = origin.rpartition(":")
    return (path, int(line)) if line.isdigit() and path else (origin, 0)


def _builder(client: Client) -> GenerationBuilder:
    """The GenerationBuilder of archive/index/writer.py that writes a generation's shards on the cluster."""

    def build(paths: Sequence[str | Path], generation: Path, workers: int, on_progress: ProgressCallback | None,
              total: int | None, shards: int, options: ReadOptions | None = None) -> BuiltGeneration:
        # the boilerplate pass reads the inputs here first, as one machine does (archive/extract/boilerplate.py)
        counts = learn_boilerplate(paths, options=options)
        counts.save(generation)
        parts, pieces, dropped, report, kept, token = _distribute(client, paths, shards, on_progress, total,
                                                                  options, counts.boilerplate())
        writes = [client.submit(write_shard_task, str(generation), shard, dropped[shard], *pieces[shard],
                                key=f"news-archive-shard-{token}-{shard}", pure=False)
                  for shard in range(shards)]
        try:
            _wait_all(client, writes, _Watch(client))
            results = client.gather(writes)
        finally:
            client.cancel([*parts, *(p for shard in pieces for p in shard)])
        indexed = 0
        for shard, (attempt, count, _) in enumerate(results):
            os.rename(generation / attempt, shard_dirs(generation, shards)[shard])
            indexed += count
        for leftover in generation.glob(f"*{ATTEMPT_MARK}*"):  # attempts of tasks that were retried elsewhere
            _remove_tree(leftover)
        if indexed != kept:
            raise ArchiveError(f"the cluster build wrote {indexed} articles where {kept} were expected; the index "
                               f"was not changed")
        if on_progress is not None:
            done = indexed + len(report.skipped) + report.duplicates
            on_progress(done, max(done, total or 0))
        return BuiltGeneration(indexed=indexed, report=report, segments=sum(r[2] for r in results),
                               record={"cluster": {"scheduler": scheduler_of(client),
                                                   "workers": len(worker_addresses(client))}})

    return build


def _remove_tree(path: Path) -> None:
    for child in sorted(path.rglob("*"), reverse=True):
        if child.is_dir():
            child.rmdir()
        else:
            child.unlink(missing_ok=True)
    path.rmdir()


def rebuild_on_cluster(paths: Sequence[str | Path], index_dir: str | Path, client: Client, shards: int | None,
                       progress: ProgressCallback | None = None, *, wait_seconds: float = 0.0,
                       allow_empty: bool = False, options: ReadOptions | None = None) -> BuildSummary:
    """rebuild_index with the shards written by the cluster's workers (see the module docstring); SHARDS None: as
    many as the live index has. OPTIONS: how the readers treat what they find, as on one machine."""
    if shards is not None and shards < 1:
        raise ArchiveError("a cluster build needs at least one shard")
    return rebuild_index(paths, index_dir, workers=max(1, len(worker_addresses(client))), progress=progress,
                         wait_seconds=wait_seconds, allow_empty=allow_empty, shards=shards,
                         build_generation=_builder(client), options=options)


def _adder(client: Client) -> ArticleAdder:
    """The ArticleAdder of archive/index/writer.py that applies an add on the cluster: parts extracted by the
    workers, deduplicated here, each shard updated by one task."""

    def add(paths: Sequence[str | Path], index_dir: Path, generation: Path, shards: int,
            wait_seconds: float, options: ReadOptions) -> tuple[int, int, IngestReport]:
        # a feed entry already in the archive is not fetched again: the part reading the feed asks the shards
        read_options = ReadOptions(any_language=options.any_language, known_id=KnownArticles(generation, shards),
                                   fetcher=options.fetcher)
        counts = ParagraphCounts.load(generation)
        if not any(isinstance(path, str) and is_url(path) for path in paths):  # a feed is not fetched twice
            counts = learn_boilerplate(paths, counts, options)
        parts, pieces, dropped, report, _, token = _distribute(client, paths, shards, None, None, read_options,
                                                               counts.boilerplate())
        updates = [client.submit(update_shard_task, str(index_dir), str(generation), shards, shard, dropped[shard],
                                 *pieces[shard], key=f"news-archive-add-{token}-{shard}", pure=False)
                   for shard in range(shards)]
        try:
            _wait_all(client, updates, _Watch(client))
            results = client.gather(updates)
        finally:
            client.cancel([*parts, *(p for shard in pieces for p in shard)])
        counts.save(generation)
        return sum(r[0] for r in results), sum(r[1] for r in results), report

    return add


def add_on_cluster(paths: Sequence[str | Path], index_dir: str | Path, client: Client, *,
                   wait_seconds: float = 0.0, options: ReadOptions | None = None) -> BuildSummary:
    """add_to_index with reading, extraction and the shards' updates on the cluster's workers. Shards commit one by
    one (a search meanwhile may see some shards updated and not others); the build record is updated last."""
    return add_to_index(paths, index_dir, wait_seconds=wait_seconds, add_articles=_adder(client), options=options)
