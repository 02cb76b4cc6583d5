"""The storage layout of an index directory, shared by the write side and the read side.

This module alone knows the layout, the `CURRENT` pointer, the build lock, the build record and its version
check, and how a failure to open an index becomes one of archive.errors (with the rebuild hint):

    index/
      CURRENT            the name of the live generation, one line; replaced atomically (os.replace)
      build.lock         flock()ed by a rebuild or an add for as long as it runs (holder written inside)
      gen-20261123T112300-1a2b/    the live generation: a Whoosh index + build.json (how it was built)
      gen-20261123T101500-9f8e/    the previous generation, kept until the next rebuild for readers still on it
      building-.../      a rebuild in progress; one left behind by a crash is removed by the next rebuild

A reader resolves CURRENT once and opens that generation, so it sees the old index or the new one, never a
half-built one: a rebuild writes everything into `building-*`, renames it `gen-*`, and only then replaces
CURRENT. A crashed rebuild (exception, SIGKILL) never touched CURRENT, so the old index keeps working.
Inside a generation the searcher keeps its per-document arrays in `search-arrays-<TOC generation>.npz`, and each
segment's share of them in `segment-arrays-<segment id>.npz` (archive/search/segment_arrays.py).
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import pickle
import shutil
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage, StorageError
from whoosh.filedb.filetables import FileFormatError
from whoosh.index import EmptyIndexError

from archive.errors import ArchiveError, IndexBusyError, IndexCorruptError, IndexMissingError, IndexVersionError
from archive.index.schema import versions

CURRENT_FILE = "CURRENT"
LOCK_FILE = "build.lock"
BUILD_INFO_FILE = "build.json"
GENERATION_PREFIX = "gen-"
BUILDING_PREFIX = "building-"
INDEX_NAME = "MAIN"  # Whoosh's default, so plain `whoosh.index.open_dir(generation)` works too
# Cache file of the searcher's per-document arrays inside a generation directory: search-arrays-<TOC generation>.npz
ARRAYS_CACHE_PREFIX = "search-arrays-"
# Cache files of each segment's share of those arrays, for reopening after an `add`: segment-arrays-<segment id>.npz
SEGMENT_ARRAYS_PREFIX = "segment-arrays-"

REBUILD_HINT = "run `news-archive rebuild-index`"

# What opening or reading a damaged index raises: truncated, garbled or missing files (tests/test_faults.py and
# tests/test_app.py corrupt them nine ways). Whoosh's own IndexError (not the builtin) covers its format checks.
READ_ERRORS: tuple[type[BaseException], ...] = (
    OSError, ValueError, EOFError, KeyError, IndexError, TypeError, struct.error, zlib.error, pickle.UnpicklingError,
    whoosh_index.IndexError, StorageError, FileFormatError,
)


# ---------------------------------------------------------------- locating the live generation

def current_index_path(index_dir: str | Path) -> Path:
    """The directory of the live generation; IndexMissingError when there is no index yet."""
    index_dir = Path(index_dir)
    name = read_current(index_dir)
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


def open_generation(index_dir: Path, generation: Path, mapped: bool = False) -> tuple[Any, Any]:
    """(Whoosh index, reader) of one generation, for searching; every failure is one of archive.errors.

    MAPPED: segments memory-mapped, for a caller that has loaded archive/index/whoosh_io.py, whose MappedFile reads
    them without copying. Without it, plain file reads: Whoosh's own compound-segment reader copies every mmapped
    segment into a BytesIO (whoosh/filedb/structfile.py BufferFile), i.e. the whole index into RAM on each open
    (+189 MB and ~0.4 s at 30,000 articles)."""
    try:
        storage = FileStorage(str(generation), supports_mmap=mapped, readonly=True)
        index = storage.open_index(INDEX_NAME)
        return index, index.reader()
    except (AttributeError, ImportError) as error:
        # the schema pickles the analyzer: a renamed or removed class means another version wrote it
        raise IndexVersionError(f"the index in {index_dir} was written by an incompatible version ({error}): "
                                f"{REBUILD_HINT}") from error
    except READ_ERRORS as error:
        if not generation.exists():
            raise IndexMissingError(f"no index in {index_dir}: {REBUILD_HINT} first") from error
        raise IndexCorruptError(f"the index in {index_dir} cannot be read ({type(error).__name__}: {error}): "
                                f"{REBUILD_HINT}") from error


def read_current(index_dir: Path) -> str | None:
    try:
        name = (index_dir / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise IndexCorruptError(f"cannot read {index_dir / CURRENT_FILE}: {error}") from None
    if not name.startswith(GENERATION_PREFIX) or "/" in name or "\\" in name:
        raise IndexCorruptError(f"{index_dir / CURRENT_FILE} does not name a generation: {REBUILD_HINT}")
    return name


# ---------------------------------------------------------------- durable writes

def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old content or the new, never a partial file, even after a crash."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)


def fsync_tree(path: Path) -> None:
    for file in path.iterdir():
        if file.is_file():
            with open(file, "rb") as stream:
                os.fsync(stream.fileno())
    fsync_dir(path)


def directory_bytes(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


# ---------------------------------------------------------------- locking

# Lock descriptors held by this process: forked helpers close their copies (release_held_locks), so a helper that
# outlives a crashed parent cannot keep the index locked.
HELD_LOCKS: set[int] = set()


def release_held_locks() -> None:
    """In a forked helper (an index process, an extraction worker): close the copies of the parent's lock
    descriptors it inherited, first thing, so that the lock dies with the parent and not with the last helper."""
    for fd in list(HELD_LOCKS):
        with contextlib.suppress(OSError):
            os.close(fd)
    HELD_LOCKS.clear()


@contextlib.contextmanager
def exclusive(index_dir: Path, action: str, wait_seconds: float = 0.0) -> Iterator[None]:
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
        holder = {"action": action, "pid": os.getpid(), "since": now_iso()}
        os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)
        HELD_LOCKS.add(fd)
        yield
    finally:
        HELD_LOCKS.discard(fd)
        os.close(fd)  # releases the lock


def _describe_holder(lock_path: Path) -> str:
    try:
        holder = json.loads(lock_path.read_text(encoding="utf-8"))
        return f"another {holder['action']} is running (pid {holder['pid']}, since {holder['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another rebuild or add is running"


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------- generations

def new_generation_name() -> str:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    return f"{GENERATION_PREFIX}{stamp}-{os.getpid():x}-{os.urandom(2).hex()}"


def remove_stale(index_dir: Path, keep: set[str]) -> None:
    """Builds a crash left behind, and generations older than the live one (called with the lock held)."""
    for entry in index_dir.iterdir():
        if entry.is_dir() and entry.name not in keep and entry.name.startswith((BUILDING_PREFIX, GENERATION_PREFIX)):
            shutil.rmtree(entry, ignore_errors=True)
    for entry in index_dir.glob(f".{CURRENT_FILE}.*.tmp"):
        with contextlib.suppress(OSError):
            entry.unlink()


def live_article_count(index_dir: Path) -> int | None:
    """Articles in the live index, or None when there is none (or it cannot be read)."""
    try:
        return int(read_build_info(index_dir).get("articles", 0))
    except (ArchiveError, TypeError, ValueError):
        return None
