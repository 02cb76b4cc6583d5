"""Run every benchmark in turn (`make bench`); each writes its figures to bench/results/NAME.json.

The benchmarks need the shared corpus (../shared/corpora/ant-multisource.jsonl.gz); they say so and stop when it
is absent. Run them on a quiet machine: the figures are medians and ratios, but two cores shared with other work
still move them.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = ["analyzer.py", "extract.py", "web.py", "indexing.py", "search.py", "hostile_queries.py", "load.py",
         "cluster.py"]


def main() -> int:
    failed = []
    for name in ORDER:
        script = BENCH / name
        if not script.exists():
            print(f"== {name}: not present, skipped")
            continue
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)], cwd=BENCH.parent)
        print(f"== {name}: exit {code} in {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
