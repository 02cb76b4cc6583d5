"""The shared corpus for the benchmarks, and samples of its first articles for measuring how costs grow."""

from __future__ import annotations

import gzip
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"


def write_first_lines(count: int, path: Path) -> Path:
    """The corpus's first COUNT records as plain JSONL at PATH (the same sample every run)."""
    with gzip.open(CORPUS, "rt", encoding="utf-8") as corpus, open(path, "w", encoding="utf-8") as out:
        for number, line in enumerate(corpus):
            if number >= count:
                break
            out.write(line)
    return path
