"""Where the package's data lives: the reference tables under archive/data/ and the bundled seed articles.

Tables people extend (outlets, people and spelling variants, titles, given names, month and weekday names, stop
words, protected words, page furniture, interface labels) are files in DATA_DIR; the modules that read them name
the file, never the folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
# The bundled seed articles: beside the package in a checkout (the default corpus of `rebuild-index`).
SEEDS_DIR = PACKAGE_DIR.parent / "seeds"
# The Streamlit app `news-archive serve` runs.
APP_FILE = PACKAGE_DIR.parent / "app.py"


def data_lines(path: Path) -> list[str]:
    """The lines of a data file with `#` comments and blank lines dropped ([] when the file is absent)."""
    if not path.exists():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines
