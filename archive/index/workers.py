"""The index processes of a rebuild: each builds Whoosh segments from batches of documents sent by the parent.

As Whoosh's MpWriter with multisegment=True, but a dead or failing process is reported instead of hanging the
build, and a process whose parent dies (SIGKILL) dies with it instead of holding the index's build lock.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import traceback
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError
from archive.index.store import release_held_locks
from archive.index.whoosh_io import SegmentBuilder

# Linux prctl option: the signal the kernel sends this process when its parent dies.
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Linux: the kernel kills this process when the parent dies. Polling getppid() is not enough: a parent killed
    while sending a batch leaves a half-written message, and `jobs.get` then blocks reading it forever, holding the
    inherited build.lock so that every later rebuild or add is refused as busy."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux: the getppid() polling below still applies
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # it died before the line above
        os._exit(1)


def _index_worker(generation_dir: Path, jobs: Any, results: Any, number: int, parent_pid: int) -> None:
    """An index process: documents in batches from JOBS until None, then its segments on RESULTS."""
    _die_with_parent(parent_pid)
    release_held_locks()
    builder = None
    try:
        builder = SegmentBuilder(generation_dir)
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


class IndexProcesses:
    """WORKERS processes building segments; a dead or failing worker raises here instead of hanging."""

    def __init__(self, generation_dir: Path, workers: int) -> None:
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
                self.segments.extend(payload)
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
