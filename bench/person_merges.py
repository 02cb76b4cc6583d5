"""The spellings an index merges into one person (archive/search/person_merge.py), for review by eye.

    .venv/bin/python bench/person_merges.py INDEX            # every merged person, most articles first
    .venv/bin/python bench/person_merges.py INDEX --json     # {shown: {"articles": n, "spellings": {name: n}}}

Each line: the name shown (its articles) <= the other spellings (their articles); counts are live articles naming
that spelling as the index holds it. Ends (on stderr) with the open time, distinct names and merges.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.search.archive import Archive
from archive.search.person_merge import live_person_counts
from archive.search.sharded import ShardedArchive


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    archive = Archive.open(args.index)
    opened = time.perf_counter() - started
    if isinstance(archive, ShardedArchive):  # shards open in this process: add up their names as indexed
        counts: dict[str, int] = {}
        for shard in archive.backend.shards:  # type: ignore[attr-defined]
            for name, count in live_person_counts(shard.snap.raw_arrays).items():
                counts[name] = counts.get(name, 0) + count
        merge = archive.collection.person_merge
    else:
        counts = live_person_counts(archive._snapshot.raw_arrays)
        merge = archive._snapshot.person_merge
    groups = merge.variants()
    rows = sorted(groups.items(), key=lambda item: (-sum(counts.get(n, 0) for n in (item[0], *item[1])), item[0]))
    if args.json:
        print(json.dumps({shown: {"articles": sum(counts.get(n, 0) for n in (shown, *others)),
                                  "spellings": {n: counts.get(n, 0) for n in (shown, *others)}}
                          for shown, others in rows}, ensure_ascii=False, indent=1))
    else:
        for shown, others in rows:
            print(f"{shown} ({counts.get(shown, 0)})  <=  " + ", ".join(f"{o} ({counts.get(o, 0)})" for o in others))
    print(f"opened in {opened:.2f} s; {len(counts)} distinct names; {len(groups)} people merged from "
          f"{len(groups) + sum(len(v) for v in groups.values())} spellings", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
