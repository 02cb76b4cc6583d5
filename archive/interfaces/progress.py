"""The command line's progress bar for a rebuild: drawn on a terminal only, from the writer's progress callback."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class TerminalProgress:
    """A one-line bar on stderr: done/total, percent, articles/s, ETA; redrawn at most 10 times a second."""

    def __init__(self, stream: TextIO | None = None, label: str = "indexing") -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.started = time.perf_counter()
        self.last_draw = 0.0
        self.drawn = False
        self.last_done: int = 0
        self.last_total: int | None = None

    def __call__(self, done: int, total: int | None, force: bool = False) -> None:
        self.last_done, self.last_total = done, total
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and (total is None or done < total) and not force:
            return
        self.last_draw = now
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        if total:
            fraction = min(done / total, 1.0)
            filled = int(fraction * 24)
            eta = (total - done) / rate if rate > 0 and done < total else 0.0
            line = (f"{self.label} [{'#' * filled}{'.' * (24 - filled)}] {done:,}/{total:,} {fraction:4.0%} "
                    f"{rate:,.0f} articles/s ETA {int(eta) // 60}:{int(eta) % 60:02d}")
        else:
            line = f"{self.label} {done:,} records {rate:,.0f} articles/s"
        self.stream.write("\r" + line + "\033[K")
        self.stream.flush()
        self.drawn = True

    def stage(self, name: str) -> None:
        """A new stage of the build ("finishing"): the label changes and the bar is redrawn at once."""
        self.label = name
        self(self.last_done, self.last_total, force=True)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()
