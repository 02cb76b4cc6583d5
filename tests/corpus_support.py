"""Helpers for the tests over the shared corpus (beside conftest.py, whose fixtures say when it is absent)."""

from __future__ import annotations

import gzip
import itertools
from dataclasses import dataclass
from pathlib import Path

from archive.index.writer import BuildSummary


@dataclass(frozen=True)
class SampleIndex:
    """An index of a corpus sample (conftest.py's corpus_sample_index) and the summary of its build."""

    path: Path
    summary: BuildSummary


def write_corpus_sample(corpus_path: Path, path: Path, count: int) -> Path:
    """The first COUNT records of the shared corpus (gzipped JSONL) written to PATH as plain JSONL."""
    with gzip.open(corpus_path, "rt", encoding="utf-8") as corpus:
        path.write_text("".join(itertools.islice(corpus, count)), encoding="utf-8")
    return path
