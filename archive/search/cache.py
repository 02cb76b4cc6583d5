"""A small thread-safe LRU, bounded by count and optionally by total weight: the searcher's caches of postings,
match sets, filter masks, prefix expansions and parsed queries."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


class LRU:
    """A small thread-safe LRU; `weight` bounds the total size when given."""

    def __init__(self, max_items: int, max_weight: int | None = None) -> None:
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_items = max_items
        self.max_weight = max_weight
        self.weight = 0
        self.enabled = True

    def get(self, key: Hashable) -> Any:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any, weight: int = 1) -> None:
        if not self.enabled:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self.weight -= old[1]
            self._items[key] = (value, weight)
            self.weight += weight
            while self._items and (len(self._items) > self.max_items
                                   or (self.max_weight is not None and self.weight > self.max_weight)):
                _, (_, dropped) = self._items.popitem(last=False)
                self.weight -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.weight = 0
