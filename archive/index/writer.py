"""Building the Whoosh index: `rebuild_index` (a fresh generation swapped in atomically) and `add_to_index`
(add or update in place). The directory layout, CURRENT, the lock and the build record: archive/index/store.py.

Speed: extraction runs in ingest's process pool; indexing runs in `workers` index processes
(archive/index/workers.py), each writing its own Whoosh segment through the fast paths of
archive/index/whoosh_io.py (the text fields analysed once each into the term pool, each term written at once:
the segment files byte for byte as Whoosh's own writer's; tests compare them).

Progress is reported to a callable `progress(done, total)` (total None when unknown); one that also has a
`stage(name)` method is told when the build moves to a new stage ("finishing": the index processes sort and write
their segments). Drawing it is the caller's business (the command line's bar: archive/interfaces/progress.py).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import multiprocessing
import os
import pickle
import queue
import shutil
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import whoosh

from archive.article import Article
from archive.batching import INDEX_BATCH, batched
from archive.errors import ArchiveError, IndexCorruptError, InputError
from archive.extract.boilerplate import ParagraphCounts
from archive.extract.fetch import is_url
from archive.extract.ingest import iter_articles, learn_boilerplate
from archive.extract.readers import ReadOptions, estimate_records
from archive.extract.report import IngestReport, Skipped
from archive.index.schema import METADATA_PREFIX, build_schema, date_to_day, versions
from archive.index.shard_writer import IndexTargets, build_shards
from archive.index.shards import shard_count
from archive.index.store import (
    BUILD_INFO_FILE,
    BUILDING_PREFIX,
    CURRENT_FILE,
    GENERATION_PREFIX,
    REBUILD_HINT,
    check_versions,
    current_index_path,
    directory_bytes,
    exclusive,
    fsync_dir,
    fsync_tree,
    live_article_count,
    new_generation_name,
    now_iso,
    read_current,
    release_held_locks,
    remove_stale,
    write_atomically,
)
from archive.index.whoosh_io import SegmentBuilder, commit_segments, create_empty_index
from archive.index.workers import IndexProcesses

ProgressCallback = Callable[[int, "int | None"], None]


@dataclass
class BuildSummary:
    indexed: int
    skipped: list[Skipped]
    duplicates: int
    seconds: float
    index_dir: Path
    # add_to_index only: how many of the indexed articles replaced one with the same id
    updated: int = 0
    read: int = 0
    action: str = "rebuild"  # "rebuild" | "add"

    def skipped_by_kind(self) -> Counter[str]:
        return Counter(skipped.kind for skipped in self.skipped)

    def line(self) -> str:
        """"indexed 30095 articles, skipped 4 (3 too short, 1 invalid JSON), 2 duplicates, in 41.2 s"."""
        articles = "article" if self.indexed == 1 else "articles"
        if self.action == "add":
            head = f"added {self.indexed} {articles} ({self.updated} updated in place)"
        else:
            head = f"indexed {self.indexed} {articles}" + (" (the index is empty)" if self.indexed == 0 else "")
        kinds = ", ".join(f"{count} {kind}" for kind, count in self.skipped_by_kind().most_common())
        skipped = f"skipped {len(self.skipped)}" + (f" ({kinds})" if kinds else "")
        duplicates = "duplicate" if self.duplicates == 1 else "duplicates"
        return f"{head}, {skipped}, {self.duplicates} {duplicates}, in {self.seconds:.1f} s"


def article_fields(article: Article) -> dict[str, Any]:
    """The Whoosh document of an article (field names and meanings: archive/index/schema.py)."""
    def names(values: list[str]) -> str:
        return ",".join(name for name in (" ".join(v.replace(",", " ").split()) for v in values) if name)

    return {
        "id": article.id,
        "title": article.title or "",
        "body": article.body or "",
        "source": article.source or "",
        "persons": names(article.persons),
        "places": names(article.places),
        "organizations": names(article.organizations),
        "day": date_to_day(article.published),
        "url": article.url or "",
        "origin": article.origin or "",
        # metadata facets, one field each (a glob field of the schema): meta_section = "sport"
        **{f"{METADATA_PREFIX}{name}": value for name, value in article.metadata.items() if value},
    }


@dataclass
class BuiltGeneration:
    """What building a generation's index files gives the swap: counts, the report, and anything more the build
    record should hold (a cluster build: its scheduler and workers)."""
    indexed: int
    report: IngestReport
    segments: int = 0
    record: dict[str, Any] = field(default_factory=dict)


# Builds the index files of a generation: (paths, directory, workers, progress, estimated total, shards, how the
# readers treat what they find).
GenerationBuilder = Callable[[Sequence["str | Path"], Path, int, "ProgressCallback | None", "int | None", int,
                              "ReadOptions | None"], BuiltGeneration]


def _build_generation(paths: Sequence[str | Path], generation_dir: Path, workers: int,
                      on_progress: ProgressCallback | None, total: int | None, shards: int = 1,
                      options: ReadOptions | None = None) -> BuiltGeneration:
    schema = build_schema()
    if shards <= 1:
        create_empty_index(generation_dir, schema)
    report = IngestReport()
    indexed = 0
    # a first reading pass learns which paragraphs recur across an outlet's articles (teasers of other stories)
    counts = learn_boilerplate(paths, options=options)
    counts.save(generation_dir)
    boilerplate = counts.boilerplate()

    def documents() -> Generator[dict[str, Any], None, None]:
        nonlocal indexed
        for article in iter_articles(paths, report, workers=workers, options=options, boilerplate=boilerplate,
                                     worker_start=release_held_locks):
            indexed += 1
            if on_progress is not None and indexed % 32 == 0:
                on_progress(indexed + len(report.skipped) + report.duplicates, total)
            yield article_fields(article)

    # Closed explicitly on failure, so ingest's extraction pool is shut down now rather than at garbage collection.
    stream = documents()
    stage = getattr(on_progress, "stage", None)
    if shards > 1:  # archive/index/shard_writer.py: each document to the shard its id hashes to
        try:
            written = build_shards(stream, generation_dir, schema, shards, workers,
                                   (lambda: stage("finishing")) if stage is not None else None)
        finally:
            stream.close()
        if on_progress is not None:
            done = indexed + len(report.skipped) + report.duplicates
            on_progress(done, max(done, total or 0))
        return BuiltGeneration(indexed=indexed, report=report, segments=written)
    if workers <= 1:
        builder = SegmentBuilder(generation_dir)
        try:
            for document in stream:
                builder.add(document)
            segments = builder.finish()
        except BaseException:
            builder.cancel()
            stream.close()
            raise
    else:
        # The index processes fork before ingest's extraction pool exists, so they carry no pool threads or pipes.
        processes = IndexProcesses(generation_dir, workers)
        try:
            for batch in batched(stream, INDEX_BATCH):
                processes.send(batch)
            if stage is not None:
                stage("finishing")  # the index processes now sort and write their segments
            segments = processes.finish()
        finally:
            stream.close()
            processes.stop()
    commit_segments(generation_dir, schema, segments)
    if on_progress is not None:
        done = indexed + len(report.skipped) + report.duplicates
        on_progress(done, max(done, total or 0))
    return BuiltGeneration(indexed=indexed, report=report, segments=len(segments))


def _input_record(path: str | Path) -> dict[str, Any]:
    if isinstance(path, str) and is_url(path):
        return {"url": path}
    resolved = Path(path).resolve()
    record: dict[str, Any] = {"path": str(resolved)}
    with contextlib.suppress(OSError):
        stat = resolved.stat()
        record["bytes"] = stat.st_size if resolved.is_file() else None
        record["modified"] = datetime.datetime.fromtimestamp(stat.st_mtime, datetime.UTC).isoformat(
            timespec="seconds")
    return record


def _require_existing(paths: Sequence[str | Path]) -> None:
    """A path that does not exist is a mistake to report before anything changes, not a record to skip."""
    if not paths:
        raise InputError("nothing to index: give at least one file or folder")
    missing = [str(path) for path in paths if not (isinstance(path, str) and is_url(path)) and not Path(path).exists()]
    if missing:
        raise InputError(f"no such file or folder: {', '.join(missing)} (the index was not changed)")


def rebuild_index(paths: Sequence[str | Path], index_dir: str | Path, workers: int = 2,
                  progress: ProgressCallback | None = None, *, wait_seconds: float = 0.0,
                  allow_empty: bool = False, shards: int | None = None,
                  build_generation: GenerationBuilder | None = None,
                  options: ReadOptions | None = None) -> BuildSummary:
    """Builds a new generation from PATHS and swaps it in atomically (see the module docstring); with SHARDS > 1
    as that many shards (archive/index/shards.py); None keeps the live index's shard count (1 for a new index), so
    a rebuild after an analysis change keeps the layout a deployment chose. BUILD_GENERATION writes the
    generation's index files instead of this machine's processes (archive/cluster/build.py: on a Dask cluster);
    the lock, the checks, the build record and the swap stay here. OPTIONS: how the readers treat what they find
    (ReadOptions; e.g. `any_language` for web pages).

    Refuses (InputError, old index untouched) to replace an index holding articles with one holding none: an
    empty result almost always means a wrong path. `allow_empty=True` overrides that. IndexBusyError when another
    rebuild or add holds the index (after waiting up to WAIT_SECONDS)."""
    if workers > 1 and threading.active_count() > 1 and build_generation is None:
        # Forking a process that runs other threads (Streamlit's sessions) can copy a lock another thread holds
        # and deadlock the child; a freshly spawned, single-threaded process forks the workers safely instead.
        return _rebuild_in_spawned_process(paths, index_dir, workers, progress, wait_seconds, allow_empty,
                                           bool(options and options.any_language), shards)
    options = options or ReadOptions()
    started = time.perf_counter()
    index_dir = Path(index_dir)
    _require_existing(paths)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the index directory {index_dir}: {error.strerror or error}") from None
    on_progress = progress
    with exclusive(index_dir, "rebuild", wait_seconds):
        try:
            previous = read_current(index_dir)
        except IndexCorruptError:
            previous = None  # a damaged pointer is exactly what a rebuild repairs
        remove_stale(index_dir, keep={previous} if previous else set())
        if shards is None:
            shards = shard_count(index_dir / previous) if previous else 1
        name = new_generation_name()
        building = index_dir / (BUILDING_PREFIX + name.removeprefix(GENERATION_PREFIX))
        building.mkdir()
        try:
            total = estimate_records(paths) if on_progress is not None else None
            build = build_generation or _build_generation
            built = build(paths, building, max(1, workers), on_progress, total, shards, options)
            live_articles = live_article_count(index_dir) if previous else None
            if built.indexed == 0 and live_articles and not allow_empty:
                raise InputError(
                    f"no articles found in {', '.join(map(str, paths))} ({built.report.summary()}); the current "
                    f"index of {live_articles} articles was left unchanged")
            seconds = time.perf_counter() - started
            report = built.report
            info = {
                "built_at": now_iso(),
                "inputs": [_input_record(path) for path in paths],
                "articles": built.indexed,
                "read": report.read,
                "skipped": len(report.skipped),
                "skipped_by_reason": dict(report.skipped_by_kind().most_common()),
                "duplicates": report.duplicates,
                "seconds": round(seconds, 3),
                "articles_per_second": round(built.indexed / seconds, 1) if seconds > 0 else None,
                "workers": max(1, workers),
                "segments": built.segments,
                "shards": max(1, shards),
                "index_bytes": directory_bytes(building),
                "versions": versions(),
                "whoosh": whoosh.versionstring(),
                "python": sys.version.split()[0],
                "additions": [],
                **built.record,
            }
            (building / BUILD_INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
            fsync_tree(building)
            generation = index_dir / name
            os.rename(building, generation)
            fsync_dir(index_dir)
            write_atomically(index_dir / CURRENT_FILE, name + "\n")  # the swap: readers now open the new one
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        # The previous generation stays until the next rebuild: readers that opened it may still read its files.
        remove_stale(index_dir, keep={name} | ({previous} if previous else set()))
    return BuildSummary(indexed=built.indexed, skipped=list(report.skipped), duplicates=report.duplicates,
                        seconds=time.perf_counter() - started, index_dir=index_dir, read=report.read)


def _spawned_rebuild(paths: list[str], index_dir: str, workers: int, wait_seconds: float, allow_empty: bool,
                     any_language: bool, messages: Any, shards: int | None = None) -> None:
    """The body of a spawned rebuild: progress and the outcome go back to the caller on MESSAGES."""
    try:
        summary = rebuild_index(paths, index_dir, workers, lambda done, total: messages.put(("progress", done, total)),
                                wait_seconds=wait_seconds, allow_empty=allow_empty, shards=shards,
                                options=ReadOptions(any_language=any_language))
        messages.put(("done", summary, None))
    except BaseException as error:  # sent back whole when it pickles (ArchiveError does), else as one line
        try:
            pickle.dumps(error)
        except (pickle.PicklingError, TypeError, AttributeError):
            error = RuntimeError(f"{type(error).__name__}: {error}")
        messages.put(("error", error, None))


def _rebuild_in_spawned_process(paths: Sequence[str | Path], index_dir: str | Path, workers: int,
                                progress: ProgressCallback | None, wait_seconds: float,
                                allow_empty: bool, any_language: bool, shards: int | None = None) -> BuildSummary:
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    process = context.Process(target=_spawned_rebuild, name="news-archive-rebuild",
                              args=([str(path) for path in paths], str(index_dir), workers, wait_seconds,
                                    allow_empty, any_language, messages, shards))
    process.start()
    try:
        while True:
            try:
                kind, payload, total = messages.get(timeout=0.5)
            except queue.Empty:
                if not process.is_alive():
                    raise ArchiveError(
                        f"the rebuild process stopped unexpectedly (exit code {process.exitcode}); the previous "
                        f"index was left as it was: {REBUILD_HINT} again") from None
                continue
            if kind == "progress":
                if callable(progress):
                    progress(payload, total)
            elif kind == "done":
                return payload
            else:
                raise payload
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()


# add FEED_URL commits every this many articles: pages fetched over minutes are not lost to an interruption, and
# the next add of the same feed does not fetch them again
URL_COMMIT_EVERY = 50

# Applies an add to a generation: (paths, index directory, generation, shards, wait_seconds, options) -> (added,
# updated, report); the default writes through this process, archive/cluster/build.py through the cluster's workers.
ArticleAdder = Callable[[Sequence["str | Path"], Path, Path, int, float, ReadOptions],
                        "tuple[int, int, IngestReport]"]


def _add_here(workers: int) -> ArticleAdder:
    def add(paths: Sequence[str | Path], index_dir: Path, generation: Path, shards: int,
            wait_seconds: float, options: ReadOptions) -> tuple[int, int, IngestReport]:
        # each article to the shard its id hashes to (archive/index/shard_writer.py); unsharded: the one index
        targets = IndexTargets(index_dir, generation, shards, wait_seconds)
        report = IngestReport()
        added = updated = 0
        fetching = any(isinstance(path, str) and is_url(path) for path in paths)
        # the new articles' paragraphs join the archive's counts, then are judged against all of them (a feed URL
        # is not read twice: its pages are judged against what the archive already knows)
        counts = ParagraphCounts.load(generation)
        if not fetching:
            counts = learn_boilerplate(paths, counts, options)
        # a feed entry whose article is already in the archive is not fetched again
        read_options = ReadOptions(any_language=options.any_language, known_id=targets.known,
                                   fetcher=options.fetcher)
        try:
            for article in iter_articles(paths, report, workers=workers, options=read_options,
                                         boilerplate=counts.boilerplate(), worker_start=release_held_locks):
                updated += targets.update(article_fields(article))
                added += 1
                if fetching and added % URL_COMMIT_EVERY == 0:
                    targets.commit_so_far()
            targets.commit()
        except BaseException:
            targets.cancel()
            raise
        counts.save(generation)
        return added, updated, report

    return add


def add_to_index(paths: Sequence[str | Path], index_dir: str | Path, *, wait_seconds: float = 0.0,
                 workers: int = 1, add_articles: ArticleAdder | None = None,
                 options: ReadOptions | None = None) -> BuildSummary:
    """Adds the articles in PATHS to the live index in place; an article whose id is already there replaces it.

    Safe beside running readers (Whoosh commits a new table of contents atomically; open readers keep theirs).
    IndexBusyError while a rebuild or another add runs. Feed URLs among PATHS: entries whose article is already in
    the index are not fetched again, and what was fetched is committed every URL_COMMIT_EVERY articles.
    ADD_ARTICLES writes the articles instead of this process (archive/cluster/build.py)."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    _require_existing(paths)
    current_index_path(index_dir)  # IndexMissingError before anything else
    with exclusive(index_dir, "add", wait_seconds):
        info = check_versions(index_dir)
        generation = current_index_path(index_dir)
        shards = shard_count(generation)
        added, updated, report = (add_articles or _add_here(workers))(paths, index_dir, generation, shards,
                                                                       wait_seconds, options or ReadOptions())
        seconds = time.perf_counter() - started
        articles = IndexTargets(index_dir, generation, shards).doc_count()
        for key in ("generation", "path"):
            info.pop(key, None)
        info["articles"] = articles
        info["index_bytes"] = directory_bytes(generation)
        info.setdefault("additions", []).append({
            "added_at": now_iso(),
            "inputs": [_input_record(path) for path in paths],
            "added": added - updated,
            "updated": updated,
            "skipped": len(report.skipped),
            "duplicates": report.duplicates,
            "seconds": round(seconds, 3),
        })
        write_atomically(generation / BUILD_INFO_FILE, json.dumps(info, ensure_ascii=False, indent=1))
    return BuildSummary(indexed=added, skipped=list(report.skipped), duplicates=report.duplicates,
                        seconds=time.perf_counter() - started, index_dir=index_dir, updated=updated,
                        read=report.read, action="add")
