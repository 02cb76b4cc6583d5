# The compiled loops of extraction (archive/extract/_loops.c); archive/extract/loops.py says when they are used.
from typing import Any

def word_starts(text: str, ranges: tuple[tuple[int, int], ...], /) -> tuple[dict[str, int], bytes, bytes]: ...
def decode(table: Any, labels: int, ids: Any, lengths: Any, bos: Any, eos: Any, transitions: Any, outside: int,
           names: Any, from_outside: Any, from_name: Any, exit_gain: float, /) \
        -> list[list[tuple[int, int]] | None]: ...
