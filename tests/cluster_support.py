"""A real Dask cluster on 127.0.0.1 for tests and benchmarks: `dask scheduler` and `dask worker` processes started
from this project's virtualenv (workers without a nanny, so that killing one is a worker lost, not restarted),
stopped on exit with every process they started; and the benchmark query file's reader."""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from distributed import Client

DASK = Path(sys.executable).with_name("dask")
START_SECONDS = 60


# Linux prctl option: the signal the kernel sends a process when its parent dies.
PR_SET_PDEATHSIG = 1
# prctl, looked up here in the parent: the child runs only the call between fork and exec
try:
    _PRCTL: Any = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: stop() and the workers' death timeout remain
    _PRCTL = None


def _die_with_parent() -> None:
    """In a started scheduler or worker, before it runs: the kernel stops it when the test process that started it
    dies, so a test run killed from outside (a timeout, ^C twice) leaves no cluster behind; stop() covers the
    normal end."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalDaskCluster:
    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 (closed with the process)
        env = dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False", PYTHONUNBUFFERED="1")
        return subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True, preexec_fn=_die_with_parent)

    def start(self, workers: int = 2) -> LocalDaskCluster:
        self.scheduler = self._spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                                                   "--no-dashboard", "--no-show"])
        for _ in range(workers):
            self.add_worker()
        self.wait_for_workers(workers)
        return self

    def add_worker(self) -> subprocess.Popen[bytes]:
        number = len(self.workers)
        worker = self._spawn(f"worker-{number}", ["worker", self.address, "--nthreads", "1", "--no-nanny",
                                                  "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{number}",
                                                  "--memory-limit", "0", "--death-timeout", "30"])
        self.workers.append(worker)
        return worker

    def live_workers(self) -> list[subprocess.Popen[bytes]]:
        return [worker for worker in self.workers if worker.poll() is None]

    def wait_for_workers(self, count: int) -> None:
        deadline = time.monotonic() + START_SECONDS
        with Client(self.address, timeout=START_SECONDS, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=max(1.0, deadline - time.monotonic()))

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def stop(self) -> None:
        """The workers first, then the scheduler: a worker whose scheduler is already gone can hang on its way out
        (until the 10 s below ran out, and then SIGKILL), where one stopped first leaves in a fraction of a second."""
        for group in (self.workers, [self.scheduler] if self.scheduler else []):
            for process in group:
                if process.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGTERM)
            for process in group:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


def ensure_workers(cluster: LocalDaskCluster, count: int = 2) -> None:
    """Start workers until COUNT are alive (after a test killed one), and wait until the scheduler has them."""
    while len(cluster.live_workers()) < count:
        cluster.add_worker()
    cluster.wait_for_workers(count)


@contextlib.contextmanager
def local_cluster(log_dir: Path, workers: int = 2) -> Iterator[LocalDaskCluster]:
    cluster = LocalDaskCluster(log_dir)
    try:
        yield cluster.start(workers)
    finally:
        cluster.stop()


def read_queries(path: Path) -> list[dict[str, Any]]:
    """bench/queries.txt: the text, then TAB-separated person= source= from= to= sort= match= options."""
    queries = []
    for line in path.read_text(encoding="utf-8").split("\n")[:-1]:
        if line.startswith("#"):
            continue
        text, *options = line.split("\t")
        spec: dict[str, Any] = {"query": text, "persons": [], "sources": []}
        for option in options:
            key, _, value = option.partition("=")
            if key in ("person", "source"):
                spec[key + "s"].append(value)
            elif key in ("from", "to"):
                spec["date_" + key] = datetime.date.fromisoformat(value)
            else:
                spec[key] = value
        queries.append(spec)
    return queries
