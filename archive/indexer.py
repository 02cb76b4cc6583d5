"""Building the Whoosh index: `rebuild_index` (a fresh generation swapped in atomically) and `add_to_index`
(add or update in place).

Layout of an index directory:

    index/
      CURRENT            the name of the live generation, one line; replaced atomically (os.replace)
      build.lock         flock()ed by a rebuild or an add for as long as it runs (holder written inside)
      gen-20261123T112300-1a2b/    the live generation: a Whoosh index + build.json (how it was built)
      gen-20261123T101500-9f8e/    the previous generation, kept until the next rebuild for readers still on it
      building-.../      a rebuild in progress; one left behind by a crash is removed by the next rebuild

A reader resolves CURRENT once and opens that generation, so it sees the old index or the new one, never a
half-built one: a rebuild writes everything into `building-*`, renames it `gen-*`, and only then replaces
CURRENT. A crashed rebuild (exception, SIGKILL) never touched CURRENT, so the old index keeps working.

Speed: extraction runs in `ingest`'s process pool; indexing runs in `workers` index processes, each writing its
own Whoosh segment (as Whoosh's MpWriter with multisegment=True, but with failures reported instead of hangs).
Text fields are turned into postings by a leaner copy of Whoosh's Positions.word_values (`_fast_text_postings`;
tests check the postings are identical), and field lengths are cached while postings are written.
"""

from __future__ import annotations

import contextlib
import copy
import datetime
import fcntl
import json
import os
import pickle
import queue
import shutil
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import whoosh
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.index import TOC, EmptyIndexError, clean_files
from whoosh.system import pack_uint
from whoosh.writing import LockError, SegmentWriter

from archive.article import Article
from archive.errors import (
    ArchiveError,
    IndexBusyError,
    IndexCorruptError,
    IndexMissingError,
    IndexVersionError,
    InputError,
)
from archive.ingest import IngestReport, iter_articles
from archive.readers import Skipped
from archive.schema import build_schema, date_to_day, versions

CURRENT_FILE = "CURRENT"
LOCK_FILE = "build.lock"
BUILD_INFO_FILE = "build.json"
GENERATION_PREFIX = "gen-"
BUILDING_PREFIX = "building-"
INDEX_NAME = "MAIN"  # Whoosh's default, so plain `whoosh.index.open_dir(generation)` works too

REBUILD_HINT = "run `news-archive rebuild-index`"
# Memory each Whoosh segment writer may use for postings before spilling sorted runs to disk.
WRITER_LIMIT_MB = 512
# zlib level for posting blocks (Whoosh's default is 3): see bench/indexing.py for the size/speed trade.
POSTINGS_COMPRESSION = 3
# Articles per message to an index process: large enough that queue overhead vanishes, small enough to balance.
BATCH_SIZE = 64

ProgressCallback = Callable[[int, "int | None"], None]


# ---------------------------------------------------------------- summary


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


# ---------------------------------------------------------------- locating the live generation


def current_index_path(index_dir: str | Path) -> Path:
    """The directory of the live generation; IndexMissingError when there is no index yet."""
    index_dir = Path(index_dir)
    name = _read_current(index_dir)
    if name is None:
        if index_dir.is_dir() and any(index_dir.glob("_MAIN_*.toc")):
            raise IndexVersionError(f"the index in {index_dir} was written by an older version of news-archive "
                                    f"(no build record): {REBUILD_HINT}")
        raise IndexMissingError(f"no index in {index_dir}: {REBUILD_HINT} to build one")
    path = index_dir / name
    if not path.is_dir():
        raise IndexCorruptError(f"the index in {index_dir} names generation {name!r}, which is missing: "
                                f"{REBUILD_HINT}")
    return path


def read_build_info(index_dir: str | Path) -> dict[str, Any]:
    """When and from what the live index was built: built_at, inputs, counts, seconds, versions, additions."""
    path = current_index_path(index_dir)
    try:
        info = json.loads((path / BUILD_INFO_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"the index in {index_dir} has no build record ({BUILD_INFO_FILE}): "
                                f"{REBUILD_HINT}") from None
    except (OSError, ValueError) as error:
        raise IndexCorruptError(f"the build record of the index in {index_dir} is unreadable ({error}): "
                                f"{REBUILD_HINT}") from None
    if not isinstance(info, dict):
        raise IndexCorruptError(f"the build record of the index in {index_dir} is not an object: {REBUILD_HINT}")
    info["generation"] = path.name
    info["path"] = str(path)
    return info


def check_versions(index_dir: str | Path) -> dict[str, Any]:
    """The build record, after checking the index was written with this program's schema and analysis versions
    (IndexVersionError with the rebuild hint otherwise)."""
    info = read_build_info(index_dir)
    recorded = info.get("versions") or {}
    expected = versions()
    differing = [f"{key} {recorded.get(key)!r}, this program uses {value!r}"
                 for key, value in expected.items() if recorded.get(key) != value]
    if differing:
        raise IndexVersionError(f"the index in {index_dir} was built with {'; '.join(differing)}: {REBUILD_HINT}")
    return info


def open_index(index_dir: str | Path) -> whoosh_index.Index:
    """The live generation as a Whoosh index, versions checked; every failure is one of archive.errors."""
    check_versions(index_dir)
    path = current_index_path(index_dir)
    try:
        return whoosh_index.open_dir(str(path), indexname=INDEX_NAME)
    except EmptyIndexError:
        raise IndexCorruptError(f"the index in {index_dir} has no Whoosh table of contents: {REBUILD_HINT}") from None
    except (AttributeError, ImportError, pickle.UnpicklingError) as error:
        # the schema pickles the analyzer: a renamed or removed class means another version wrote it
        raise IndexVersionError(f"the index in {index_dir} cannot be read by this version ({error}): "
                                f"{REBUILD_HINT}") from None


def _read_current(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise IndexCorruptError(f"cannot read {index_dir / CURRENT_FILE}: {error}") from None
    if not name.startswith(GENERATION_PREFIX) or "/" in name or "\\" in name:
        raise IndexCorruptError(f"{index_dir / CURRENT_FILE} does not name a generation: {REBUILD_HINT}")
    return name


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, text: str) -> None:
    """Readers see the old content or the new, never a partial file, even after a crash."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _fsync_tree(path: Path) -> None:
    for file in path.iterdir():
        if file.is_file():
            with open(file, "rb") as stream:
                os.fsync(stream.fileno())
    _fsync_dir(path)


def _directory_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


# ---------------------------------------------------------------- locking


@contextlib.contextmanager
def _exclusive(index_dir: Path, action: str, wait_seconds: float = 0.0) -> Iterator[None]:
    """One rebuild or add at a time per index directory. flock() is released by the kernel when the holder dies,
    so a crash never leaves a stale lock behind."""
    lock_path = index_dir / LOCK_FILE
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise ArchiveError(f"cannot {action}: cannot write in {index_dir} ({error.strerror or error})") from None
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexBusyError(f"cannot {action}: {_describe_holder(lock_path)} on {index_dir}; "
                                         f"wait for it to finish and try again") from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        holder = {"action": action, "pid": os.getpid(), "since": _now_iso()}
        os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)
        _HELD_LOCKS.add(fd)
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)  # releases the lock


# Lock descriptors held by this process: forked helpers close their copies, so a helper that outlives a crashed
# parent cannot keep the index locked.
_HELD_LOCKS: set[int] = set()


def _describe_holder(lock_path: Path) -> str:
    try:
        holder = json.loads(lock_path.read_text(encoding="utf-8"))
        return f"another {holder['action']} is running (pid {holder['pid']}, since {holder['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another rebuild or add is running"


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- documents


def article_fields(article: Article) -> dict[str, Any]:
    """The Whoosh document of an article (field names and meanings: archive/schema.py)."""
    persons = [" ".join(name.replace(",", " ").split()) for name in article.persons]
    return {
        "id": article.id,
        "title": article.title or "",
        "body": article.body or "",
        "source": article.source or "",
        "persons": ",".join(name for name in persons if name),
        "day": date_to_day(article.published),
        "url": article.url or "",
        "origin": article.origin or "",
    }


# ---------------------------------------------------------------- fast analysis for indexing


def _fast_text_postings(fieldobj: TEXT, text: str) -> Iterator[tuple[bytes, int, float, bytes]]:
    """What `TEXT.index(text)` yields with the Positions format, term for term and byte for byte, from the field's
    own analyzer (so any change of analysis is followed), but without Whoosh's per-token bookkeeping and without
    pickling the positions of the many terms that occur once in an article (their encodings are precomputed)."""
    field_boost = float(fieldobj.format.field_boost)
    positions: dict[str, list[int]] = {}
    for token in fieldobj.analyzer(text, positions=True, boosts=True, mode="index"):
        if token.boost != 1.0:  # a boosting filter: leave the weights to Whoosh
            yield from TEXT.index(fieldobj, text)
            return
        found = positions.get(token.text)
        if found is None:
            positions[token.text] = [token.pos]
        else:
            found.append(token.pos)
    single = _SINGLE_POSITION
    for term, found in positions.items():
        if len(found) == 1 and 0 <= found[0] < len(single):
            yield term.encode("utf-8"), 1, field_boost, single[found[0]]
        else:
            yield term.encode("utf-8"), len(found), len(found) * field_boost, _encode_positions(found)


def _encode_positions(positions: list[int]) -> bytes:
    """Whoosh's Positions.encode: the count, then the pickled list of gaps between positions."""
    deltas = [positions[0]] + [positions[i] - positions[i - 1] for i in range(1, len(positions))]
    return pack_uint(len(deltas)) + _dumps(deltas, 2)


_dumps = pickle.dumps
_SINGLE_POSITION = [_encode_positions([position]) for position in range(4096)]


def _fast_path_applies(fieldobj: object) -> bool:
    """Only for plain TEXT fields with Whoosh's Positions format, whose encoding the fast path reproduces."""
    return type(fieldobj) is TEXT and type(getattr(fieldobj, "format", None)) is Positions


class _FastText(TEXT):
    """A TEXT field whose indexing takes the fast path. It only ever lives in a segment writer's private copy of
    the schema; the schema pickled into the index keeps Whoosh's plain TEXT."""

    def index(self, value, **kwargs):
        if isinstance(value, str) and not kwargs:
            return _fast_text_postings(self, value)
        return super().index(value, **kwargs)


def _with_fast_text_fields(schema: Schema) -> Schema:
    fast = copy.copy(schema)
    fast._fields = dict(schema._fields)
    for name, fieldobj in schema._fields.items():
        if _fast_path_applies(fieldobj):
            replacement = copy.copy(fieldobj)
            replacement.__class__ = _FastText
            fast._fields[name] = replacement
    return fast


class _LengthsOfNewSegment:
    """Field lengths of the segment being written, read once per document and field instead of once per posting
    (Whoosh's add_postings asks for the length of every posting's document: a column read each time)."""

    def __init__(self, per_document_reader: Any, doc_count: int) -> None:
        self._reader = per_document_reader
        self._doc_count = doc_count
        self._lengths: dict[str, list[int | None]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int | None:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            read = self._reader.doc_field_length
            lengths = self._lengths[fieldname] = [read(doc, fieldname, default) for doc in range(self._doc_count)]
        return lengths[docnum]


class _FastSegmentWriter(SegmentWriter):
    """Whoosh's SegmentWriter with field lengths cached while the postings are written (same output)."""

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _LengthsOfNewSegment(reader, self.docnum) if reader is not None else None
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if reader is not None:
            reader.close()


class _SegmentBuilder:
    """Writes one Whoosh segment into a generation directory; the caller lists the finished segments in the TOC.

    The index must exist there already (an empty table of contents). Several builders, one per process, can write
    into the same directory at once: segment file names are random, and none of them touches the TOC."""

    def __init__(self, generation_dir: Path, limitmb: int = WRITER_LIMIT_MB) -> None:
        ix = FileStorage(str(generation_dir)).open_index(INDEX_NAME)
        codec = W3Codec(compression=POSTINGS_COMPRESSION)
        self.writer = _FastSegmentWriter(ix, _lk=False, limitmb=limitmb, codec=codec)
        self.writer.schema = _with_fast_text_fields(self.writer.schema)
        self.count = 0

    def add(self, document: dict[str, Any]) -> None:
        self.writer.add_document(**document)
        self.count += 1

    def finish(self) -> Any | None:
        """The finished segment, or None when nothing was added."""
        writer = self.writer
        try:
            if self.count:
                return writer._finalize_segment()
            writer._close_segment()
            return None
        finally:
            # Its temporary directory (MAIN.tmp) is shared with the other builders: _commit_segments removes it.
            writer.is_closed = True

    def cancel(self) -> None:
        """Closes the files; the generation directory is discarded by the caller. Not writer.cancel(): that
        destroys the temporary directory the other builders are still using."""
        with contextlib.suppress(Exception):
            self.writer._close_segment()
        self.writer.is_closed = True


def _create_empty_index(generation_dir: Path, schema: Schema) -> None:
    storage = FileStorage(str(generation_dir)).create()
    storage.create_index(schema, indexname=INDEX_NAME)


def _commit_segments(generation_dir: Path, schema: Schema, segments: list[Any]) -> None:
    """The table of contents listing the segments the builders wrote: the moment they become an index."""
    storage = FileStorage(str(generation_dir))
    generation = TOC._latest_generation(storage, INDEX_NAME) + 1
    TOC(schema, segments, generation).write(storage, INDEX_NAME)
    clean_files(storage, INDEX_NAME, generation, segments)
    shutil.rmtree(generation_dir / f"{INDEX_NAME}.tmp", ignore_errors=True)


# ---------------------------------------------------------------- index worker processes


def _die_with_parent(parent_pid: int) -> None:
    """Linux: the kernel kills this process when the parent dies. Polling getppid() is not enough: a parent killed
    while sending a batch leaves a half-written message, and `jobs.get` then blocks reading it forever, holding the
    inherited build.lock so that every later rebuild or add is refused as busy."""
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # it died before the line above
        os._exit(1)


def _index_worker(generation_dir: Path, jobs: Any, results: Any, number: int, parent_pid: int) -> None:
    """An index process: documents in batches from JOBS until None, then its segment on RESULTS."""
    _die_with_parent(parent_pid)
    for fd in list(_HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    builder = None
    try:
        builder = _SegmentBuilder(generation_dir)
        while True:
            try:
                batch = jobs.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != parent_pid:  # the parent died (SIGKILL): nobody will read our segment
                    builder.cancel()
                    return
                continue
            if batch is None:
                break
            for document in batch:
                builder.add(document)
        results.put(("segment", number, builder.finish(), builder.count))
    except BaseException as error:  # reported to the parent, which raises it; this process then exits
        if builder is not None:
            builder.cancel()
        detail = "".join(traceback.format_exception_only(type(error), error)).strip()
        results.put(("error", number, detail, 0))


class _IndexProcesses:
    """WORKERS processes building one segment each; a dead or failing worker raises here instead of hanging."""

    def __init__(self, generation_dir: Path, workers: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.jobs = context.Queue(maxsize=workers * 3)
        self.results = context.Queue()
        self.processes = [
            context.Process(target=_index_worker, args=(generation_dir, self.jobs, self.results, number, os.getpid()),
                            name=f"news-archive-index-{number}", daemon=True)
            for number in range(workers)
        ]
        for process in self.processes:
            process.start()
        self.segments: list[Any] = []
        self.reported = 0

    def _take_results(self, timeout: float) -> None:
        """Moves reports off the results queue; raises the first error a worker reported."""
        try:
            kind, number, payload, _count = self.results.get(timeout=timeout) if timeout else \
                self.results.get_nowait()
            while True:
                if kind == "error":
                    raise ArchiveError(f"index process {number} failed: {payload}")
                self.reported += 1
                if payload is not None:
                    self.segments.append(payload)
                kind, number, payload, _count = self.results.get_nowait()
        except queue.Empty:
            pass

    def _check_alive(self) -> None:
        self._take_results(0)
        for process in self.processes:
            if process.exitcode not in (None, 0):
                raise ArchiveError(f"an index process died unexpectedly (exit code {process.exitcode})")

    def send(self, batch: list[dict[str, Any]] | None) -> None:
        while True:
            try:
                self.jobs.put(batch, timeout=0.5)
                return
            except queue.Full:
                self._check_alive()

    def finish(self) -> list[Any]:
        for _ in self.processes:
            self.send(None)
        while self.reported < len(self.processes):
            self._take_results(0.5)
            if self.reported < len(self.processes):
                self._check_alive()
                if all(process.exitcode is not None for process in self.processes):
                    self._take_results(0.5)
                    if self.reported < len(self.processes):
                        raise ArchiveError("an index process ended without reporting its segment")
        for process in self.processes:
            process.join()
        return self.segments

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(timeout=5)
        for channel in (self.jobs, self.results):
            channel.cancel_join_thread()
            channel.close()


# ---------------------------------------------------------------- progress


class TerminalProgress:
    """A one-line bar on stderr: done/total, percent, articles/s, ETA; redrawn at most 10 times a second."""

    def __init__(self, stream=None, label: str = "indexing") -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.started = time.perf_counter()
        self.last_draw = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int | None, force: bool = False) -> None:
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and (total is None or done < total) and not force:
            return
        self.last_draw = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        if total:
            fraction = min(done / total, 1.0)
            filled = int(fraction * 24)
            eta = (total - done) / rate if rate > 0 and done < total else 0.0
            line = (f"{self.label} [{'#' * filled}{'.' * (24 - filled)}] {done:,}/{total:,} {fraction:4.0%} "
                    f"{rate:,.0f} articles/s ETA {int(eta) // 60}:{int(eta) % 60:02d}")
        else:
            line = f"{self.label} {done:,} records {rate:,.0f} articles/s"
        self.stream.write("\r" + line + "\033[K")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()


def estimate_records(paths: Sequence[str | Path]) -> int | None:
    """A quick count of the records in PATHS for the progress bar's ETA (lines of JSONL/CSV, one per .txt);
    None when it cannot be told cheaply. Only an estimate: the readers decide what a record is."""
    import gzip

    total = 0
    try:
        for given in paths:
            path = Path(given)
            files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            for file in files:
                name = file.name.lower()
                if name.endswith(".txt"):
                    total += 1
                elif name.endswith((".jsonl", ".csv")):
                    with open(file, "rb") as stream:
                        total += sum(chunk.count(b"\n") for chunk in iter(lambda s=stream: s.read(1 << 20), b""))
                    total -= 1 if name.endswith(".csv") else 0
                elif name.endswith(".jsonl.gz"):
                    with gzip.open(file, "rb") as stream:
                        total += sum(chunk.count(b"\n") for chunk in iter(lambda s=stream: s.read(1 << 20), b""))
    except (OSError, EOFError, ValueError):
        return None
    return total or None


def _progress_callback(progress: bool | ProgressCallback) -> tuple[ProgressCallback | None, TerminalProgress | None]:
    if progress is True:
        bar = TerminalProgress()
        return bar, bar
    if callable(progress):
        return progress, None
    return None, None


# ---------------------------------------------------------------- rebuild


@dataclass
class _Built:
    indexed: int
    report: IngestReport
    segments: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _batched(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _build_generation(paths: Sequence[str | Path], generation_dir: Path, workers: int,
                      on_progress: ProgressCallback | None, total: int | None) -> _Built:
    schema = build_schema()
    _create_empty_index(generation_dir, schema)
    report = IngestReport()
    indexed = 0

    def documents() -> Iterator[dict[str, Any]]:
        nonlocal indexed
        for article in iter_articles(paths, report, workers=workers):
            indexed += 1
            if on_progress is not None and indexed % 32 == 0:
                on_progress(indexed + len(report.skipped) + report.duplicates, total)
            yield article_fields(article)

    # Closed explicitly on failure, so ingest's extraction pool is shut down now rather than at garbage collection.
    stream = documents()
    if workers <= 1:
        builder = _SegmentBuilder(generation_dir)
        try:
            for document in stream:
                builder.add(document)
            segment = builder.finish()
        except BaseException:
            builder.cancel()
            stream.close()
            raise
        segments = [segment] if segment is not None else []
    else:
        # The index processes fork before ingest's extraction pool exists, so they carry no pool threads or pipes.
        processes = _IndexProcesses(generation_dir, workers)
        try:
            for batch in _batched(stream, BATCH_SIZE):
                processes.send(batch)
            if isinstance(on_progress, TerminalProgress):
                on_progress.label = "finishing"  # the index processes now sort and write their segments
                on_progress(indexed + len(report.skipped) + report.duplicates, total, force=True)
            segments = processes.finish()
        finally:
            stream.close()
            processes.stop()
    _commit_segments(generation_dir, schema, segments)
    if on_progress is not None:
        done = indexed + len(report.skipped) + report.duplicates
        on_progress(done, max(done, total or 0))
    return _Built(indexed=indexed, report=report, segments=len(segments))


def _input_record(path: str | Path) -> dict[str, Any]:
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
    missing = [str(path) for path in paths if not Path(path).exists()]
    if missing:
        raise InputError(f"no such file or folder: {', '.join(missing)} (the index was not changed)")


def _new_generation_name() -> str:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{GENERATION_PREFIX}{stamp}-{os.getpid():x}-{os.urandom(2).hex()}"


def _remove_stale(index_dir: Path, keep: set[str]) -> None:
    """Builds a crash left behind, and generations older than the live one (called with the lock held)."""
    for entry in index_dir.iterdir():
        if entry.is_dir() and entry.name not in keep and entry.name.startswith((BUILDING_PREFIX, GENERATION_PREFIX)):
            shutil.rmtree(entry, ignore_errors=True)
    for entry in index_dir.glob(f".{CURRENT_FILE}.*.tmp"):
        with contextlib.suppress(OSError):
            entry.unlink()


def _live_article_count(index_dir: Path) -> int | None:
    """Articles in the live index, or None when there is none (or it cannot be read)."""
    try:
        return int(read_build_info(index_dir).get("articles", 0))
    except (ArchiveError, TypeError, ValueError):
        return None


def rebuild_index(paths: Sequence[str | Path], index_dir: str | Path, workers: int = 2,
                  progress: bool | ProgressCallback = False, *, wait_seconds: float = 0.0,
                  allow_empty: bool = False) -> BuildSummary:
    """Builds a new generation from PATHS and swaps it in atomically (see the module docstring).

    Refuses (InputError, old index untouched) to replace an index holding articles with one holding none: an
    empty result almost always means a wrong path. `allow_empty=True` overrides that. IndexBusyError when another
    rebuild or add holds the index (after waiting up to WAIT_SECONDS)."""
    if workers > 1 and threading.active_count() > 1:
        # Forking a process that runs other threads (Streamlit's sessions) can copy a lock another thread holds
        # and deadlock the child; a freshly spawned, single-threaded process forks the workers safely instead.
        return _rebuild_in_spawned_process(paths, index_dir, workers, progress, wait_seconds, allow_empty)
    started = time.perf_counter()
    index_dir = Path(index_dir)
    _require_existing(paths)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the index directory {index_dir}: {error.strerror or error}") from None
    on_progress, bar = _progress_callback(progress)
    with _exclusive(index_dir, "rebuild", wait_seconds):
        try:
            previous = _read_current(index_dir)
        except IndexCorruptError:
            previous = None  # a damaged pointer is exactly what a rebuild repairs
        _remove_stale(index_dir, keep={previous} if previous else set())
        name = _new_generation_name()
        building = index_dir / (BUILDING_PREFIX + name.removeprefix(GENERATION_PREFIX))
        building.mkdir()
        try:
            total = estimate_records(paths) if on_progress is not None else None
            built = _build_generation(paths, building, max(1, workers), on_progress, total)
            if bar is not None:
                bar.close()
            live_articles = _live_article_count(index_dir) if previous else None
            if built.indexed == 0 and live_articles and not allow_empty:
                raise InputError(
                    f"no articles found in {', '.join(map(str, paths))} ({built.report.summary()}); the current "
                    f"index of {live_articles} articles was left unchanged")
            seconds = time.perf_counter() - started
            report = built.report
            info = {
                "built_at": _now_iso(),
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
                "index_bytes": _directory_bytes(building),
                "versions": versions(),
                "whoosh": whoosh.versionstring(),
                "python": sys.version.split()[0],
                "additions": [],
            }
            (building / BUILD_INFO_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
            _fsync_tree(building)
            generation = index_dir / name
            os.rename(building, generation)
            _fsync_dir(index_dir)
            _write_atomically(index_dir / CURRENT_FILE, name + "\n")  # the swap: readers now open the new one
        except BaseException:
            if bar is not None:
                bar.close()
            shutil.rmtree(building, ignore_errors=True)
            raise
        # The previous generation stays until the next rebuild: readers that opened it may still read its files.
        _remove_stale(index_dir, keep={name} | ({previous} if previous else set()))
    return BuildSummary(indexed=built.indexed, skipped=list(report.skipped), duplicates=report.duplicates,
                        seconds=time.perf_counter() - started, index_dir=index_dir, read=report.read)


def _spawned_rebuild(paths: list[str], index_dir: str, workers: int, wait_seconds: float, allow_empty: bool,
                     messages: Any) -> None:
    """The body of a spawned rebuild: progress and the outcome go back to the caller on MESSAGES."""
    try:
        summary = rebuild_index(paths, index_dir, workers, lambda done, total: messages.put(("progress", done, total)),
                                wait_seconds=wait_seconds, allow_empty=allow_empty)
        messages.put(("done", summary, None))
    except BaseException as error:  # sent back whole when it pickles (ArchiveError does), else as one line
        try:
            pickle.dumps(error)
        except Exception:
            error = RuntimeError(f"{type(error).__name__}: {error}")
        messages.put(("error", error, None))


def _rebuild_in_spawned_process(paths: Sequence[str | Path], index_dir: str | Path, workers: int,
                                progress: bool | ProgressCallback, wait_seconds: float,
                                allow_empty: bool) -> BuildSummary:
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    process = context.Process(target=_spawned_rebuild, name="news-archive-rebuild",
                              args=([str(path) for path in paths], str(index_dir), workers, wait_seconds,
                                    allow_empty, messages))
    process.start()
    try:
        while True:
            try:
                kind, payload, total = messages.get(timeout=0.5)
            except queue.Empty:
                if not process.is_alive():
                    raise ArchiveError(
                        f"the rebuild process stopped unexpectedly (exit code {process.exitcode}); the previous "
                        f"index was left as it was: run `news-archive rebuild-index` again") from None
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


# ---------------------------------------------------------------- add


def add_to_index(paths: Sequence[str | Path], index_dir: str | Path, *, wait_seconds: float = 0.0,
                 workers: int = 1) -> BuildSummary:
    """Adds the articles in PATHS to the live index in place; an article whose id is already there replaces it.

    Safe beside running readers (Whoosh commits a new table of contents atomically; open readers keep theirs).
    IndexBusyError while a rebuild or another add runs."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    _require_existing(paths)
    current_index_path(index_dir)  # IndexMissingError before anything else
    with _exclusive(index_dir, "add", wait_seconds):
        info = check_versions(index_dir)
        generation = current_index_path(index_dir)
        ix = open_index(index_dir)
        try:
            writer = ix.writer(timeout=wait_seconds, limitmb=WRITER_LIMIT_MB)
        except LockError:
            raise IndexBusyError(f"cannot add: the index in {index_dir} is locked by another writer; "
                                 f"try again when it finishes") from None
        report = IngestReport()
        added = updated = 0
        try:
            with ix.searcher() as searcher:
                for article in iter_articles(paths, report, workers=workers):
                    if searcher.document_number(id=article.id) is not None:
                        updated += 1
                    writer.update_document(**article_fields(article))
                    added += 1
            writer.commit()
        except BaseException:
            with contextlib.suppress(Exception):
                writer.cancel()
            raise
        seconds = time.perf_counter() - started
        with ix.reader() as reader:
            articles = reader.doc_count()
        for key in ("generation", "path"):
            info.pop(key, None)
        info["articles"] = articles
        info["index_bytes"] = _directory_bytes(generation)
        info.setdefault("additions", []).append({
            "added_at": _now_iso(),
            "inputs": [_input_record(path) for path in paths],
            "added": added - updated,
            "updated": updated,
            "skipped": len(report.skipped),
            "duplicates": report.duplicates,
            "seconds": round(seconds, 3),
        })
        _write_atomically(generation / BUILD_INFO_FILE, json.dumps(info, ensure_ascii=False, indent=1))
    return BuildSummary(indexed=added, skipped=list(report.skipped), duplicates=report.duplicates,
                        seconds=time.perf_counter() - started, index_dir=index_dir, updated=updated,
                        read=report.read, action="add")
