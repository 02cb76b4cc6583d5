"""The layout of a sharded index generation, shared by the write side and the read side.

A generation built with `rebuild-index --shards N` (N > 1) holds N Whoosh indexes, one per shard, and its build
record says how many:

    gen-20261130T101500-1a2b/
      build.json          ..., "shards": 4
      shard-000/          a Whoosh index: the articles whose id hashes to shard 0
      shard-001/ ...

An article lives in shard `shard_of(id, N)`: a stable hash of its id (BLAKE2b, not Python's salted `hash`), so a
rebuild, an `add` and a search agree on where an article is without asking anyone. A generation without a shard
count (every index built before sharding, and `--shards 1`) is one Whoosh index at the generation's top, as before.
The generation is still swapped in as a whole through CURRENT (archive/index/store.py): readers see every shard
of the old index or every shard of the new one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from archive.index.store import BUILD_INFO_FILE
from archive.index.whoosh_io import latest_toc_generation

SHARD_PREFIX = "shard-"
# More shards than this is a mistake on the command line, not a plan: each shard is a Whoosh index with its own
# open files, term dictionary and per-document arrays.
MAX_SHARDS = 1024


def shard_of(article_id: str, shards: int) -> int:
    """The shard holding an article: stable across processes, machines and Python versions."""
    if shards <= 1:
        return 0
    digest = hashlib.blake2b(str(article_id).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def shard_name(number: int) -> str:
    return f"{SHARD_PREFIX}{number:03d}"


def shard_count(generation: Path) -> int:
    """How many shards a generation has (1 when its build record says nothing: an unsharded index)."""
    try:
        info = json.loads((generation / BUILD_INFO_FILE).read_text(encoding="utf-8"))
        count = int(info.get("shards") or 1) if isinstance(info, dict) else 1
    except (OSError, ValueError, TypeError):
        return 1
    return max(1, count)


def shard_dirs(generation: Path, count: int | None = None) -> list[Path]:
    """The Whoosh index directory of each shard of a generation, in shard order."""
    count = shard_count(generation) if count is None else count
    if count <= 1:
        return [generation]
    return [generation / shard_name(number) for number in range(count)]


def toc_generation(index_path: Path) -> int:
    """Whoosh's table-of-contents generation of the index in INDEX_PATH (every commit of an `add` advances it);
    -1 when there is none. Lists the directory only: cheap enough to ask on every interaction of the app."""
    return latest_toc_generation(index_path)
