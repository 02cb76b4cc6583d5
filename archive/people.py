"""People (placeholder)."""
from __future__ import annotations


def canonical_person(name: str) -> str:
    return name.strip()


def extract_people(title: str, body: str) -> list[str]:
    return []
