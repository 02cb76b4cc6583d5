"""Messages the library gives the command line and the app, in every interface language.

A Notice is a message key with its parameters (archive/data/messages.json holds the texts). It is also a `str`
whose value is the English text, so code that prints or joins notices (the command line, `SearchResult.notice`)
keeps working unchanged, while the app asks for `notice.text(lang)`.

Parameters that name filters (`filters`) are lists of filter keys (person, source, date, or a metadata facet
name), written in the language asked for and joined the way that language joins a list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from archive.extract.metadata import facet_label
from archive.resources import DATA_DIR

MESSAGES_FILE = DATA_DIR / "messages.json"
LANGUAGES = ("en", "ar")


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    return json.loads(MESSAGES_FILE.read_text(encoding="utf-8"))


def message_keys() -> list[str]:
    return list(_table()["messages"])


def join_list(items: Sequence[str], lang: str) -> str:
    """a; a and b; a, b and c (Arabic: أ؛ أ وب؛ أ، ب وج)."""
    table = _table()
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items)
    conjunction = table["conjunction"].get(lang, table["conjunction"]["en"])
    separator = table["separator"].get(lang, table["separator"]["en"])
    return separator.join(items[:-1]) + conjunction + items[-1]


def filter_name(key: str, lang: str) -> str:
    names = _table()["filters"].get(key)
    if names:
        return str(names.get(lang) or names["en"])
    return facet_label(key, lang)


class Notice(str):
    """One message: `key` and `params`; its string value is the English text."""

    key: str
    params: dict[str, Any]

    def __new__(cls, key: str, **params: Any) -> Notice:
        if key not in _table()["messages"]:
            raise KeyError(f"no message {key!r} in {MESSAGES_FILE.name}")
        notice = super().__new__(cls, _render(key, params, "en"))
        notice.key = key
        notice.params = params
        return notice

    def __reduce__(self) -> tuple[Any, ...]:  # keeps key and params through pickling (caches, processes)
        return (_rebuild, (self.key, self.params))

    def text(self, lang: str) -> str:
        """The message in `lang` (English when the table has no such language)."""
        return _render(self.key, self.params, lang)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "params": {k: (list(v) if isinstance(v, list | tuple) else v)
                                            for k, v in self.params.items()}, "text": str(self)}


def _rebuild(key: str, params: dict[str, Any]) -> Notice:
    return Notice(key, **params)


def _render(key: str, params: dict[str, Any], lang: str) -> str:
    entry = _table()["messages"][key]
    template = entry.get(lang) or entry["en"]
    values: dict[str, Any] = {}
    for name, value in params.items():
        if name == "filters":
            values[name] = join_list([filter_name(str(k), lang) for k in value], lang)
        elif name == "facet":
            values[name] = facet_label(str(value), lang)
        elif name in ("suggestions", "spellings", "known", "fields"):
            values[name] = " | ".join(str(v) for v in value) if name in ("suggestions", "spellings") else \
                join_list([str(v) for v in value], lang)
        elif isinstance(value, int) and not isinstance(value, bool):
            values[name] = f"{value:,}"
        else:
            values[name] = value
    return template.format(**values)


def texts(notices: Sequence[str], lang: str) -> list[str]:
    """Each notice in `lang`; a plain string (not a Notice) is passed through as it is."""
    return [n.text(lang) if isinstance(n, Notice) else str(n) for n in notices]
