"""Outlets (placeholder)."""
from __future__ import annotations


def canonical_source(name: str) -> str:
    return name.strip()


def detect_source(url: str | None, lines: list[str]) -> str | None:
    return None
