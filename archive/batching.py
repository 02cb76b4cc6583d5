"""Batching of records between processes: one helper and the batch sizes of each pipeline stage."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

# Raw records per task of the extraction pool: amortizes pickling without holding much in flight.
EXTRACT_BATCH = 256
# ... and at most this many bytes of text and HTML per task: web pages are 50-500 KB of HTML each, so 256 of them
# in each of the batches in flight would hold hundreds of MB (a WARC must stream in flat memory).
EXTRACT_BATCH_BYTES = 4 * 1024 * 1024
# Articles whose people are found together (archive/extract/builder.py: build_articles): the name recognizer
# tags the sentences of all of them in one pass of array operations, whose fixed cost is then paid once.
PEOPLE_BATCH = 64
# Documents per message to an index process: large enough that queue overhead vanishes, small enough to balance.
INDEX_BATCH = 64


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of SIZE consecutive items (the last may be shorter); itertools.batched from Python 3.12, as lists."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def batched_by_weight(items: Iterable[T], size: int, max_weight: int, weight: Callable[[T], int]) -> Iterator[list[T]]:
    """Lists of at most SIZE consecutive items whose WEIGHTs add up to at most MAX_WEIGHT (a single heavier item
    makes a batch of its own)."""
    batch: list[T] = []
    total = 0
    for item in items:
        item_weight = weight(item)
        if batch and (len(batch) >= size or total + item_weight > max_weight):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += item_weight
    if batch:
        yield batch
