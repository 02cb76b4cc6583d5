"""Batching of records between processes: one helper and the batch sizes of each pipeline stage."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

# Raw records per task of the extraction pool: amortizes pickling without holding much in flight.
EXTRACT_BATCH = 256
# Documents per message to an index process: large enough that queue overhead vanishes, small enough to balance.
INDEX_BATCH = 64


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of SIZE consecutive items (the last may be shorter); itertools.batched from Python 3.12, as lists."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
