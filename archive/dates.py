"""Publication dates (placeholder: replaced by the full parser)."""
from __future__ import annotations

import datetime


def parse_date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def publication_date(lines: list[str]) -> datetime.date | None:
    return None


def is_date_line(line: str) -> bool:
    return False
