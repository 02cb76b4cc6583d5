"""Connecting to a Dask scheduler, and what the cluster's failures become: one line naming the address.

The scheduler's address is `--scheduler ADDRESS`, else the NEWS_ARCHIVE_SCHEDULER environment variable; `tcp://`
is assumed when no scheme is given (`127.0.0.1:8786`). Every worker must see the inputs and the index directory
at the same paths as the client (shared storage: README, "Running on a Dask cluster").
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from distributed import Client

from archive.errors import ArchiveError

SCHEDULER_ENV = "NEWS_ARCHIVE_SCHEDULER"
# Seconds to reach the scheduler before giving up with a one-line error.
CONNECT_SECONDS = float(os.environ.get("NEWS_ARCHIVE_CONNECT_SECONDS", "10"))
# Seconds a search may wait for its shards' answers (a shard moving to another worker reopens there).
SEARCH_SECONDS = float(os.environ.get("NEWS_ARCHIVE_SEARCH_SECONDS", "120"))
# A build with no worker at all for this long fails instead of waiting for workers that may never come.
NO_WORKERS_SECONDS = float(os.environ.get("NEWS_ARCHIVE_NO_WORKERS_SECONDS", "30"))


class ClusterError(ArchiveError):
    """The cluster could not do the work (scheduler unreachable, workers lost); the index is unchanged."""


def scheduler_address(given: str | None = None) -> str | None:
    """The scheduler to use: the given address, else $NEWS_ARCHIVE_SCHEDULER, else None (no cluster)."""
    address = (given or os.environ.get(SCHEDULER_ENV) or "").strip()
    if not address:
        return None
    return address if "://" in address else f"tcp://{address}"


def connect(address: str, timeout: float = CONNECT_SECONDS) -> Client:
    """A client of the scheduler at ADDRESS; ClusterError (one line, naming it) when it cannot be reached."""
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({one_line(error)}): start it with "
                           f"`dask scheduler` or check the address") from None
    except ValueError as error:  # a malformed address
        raise ClusterError(f"not a Dask scheduler address: {address} ({one_line(error)})") from None


def worker_addresses(client: Client) -> list[str]:
    """The workers the scheduler knows now, sorted (a stable home for each shard)."""
    return sorted(client.scheduler_info(n_workers=-1).get("workers", {}))


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def close_quietly(client: Any) -> None:
    # closing a client whose scheduler is gone must not hide the error being reported
    with contextlib.suppress(Exception):
        client.close(timeout=5)


def scheduler_of(client: Client) -> str:
    """The address of the client's scheduler (for messages)."""
    return str(getattr(client.scheduler, "address", None) or "the Dask scheduler")
