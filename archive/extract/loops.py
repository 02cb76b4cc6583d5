"""The compiled loops of extraction (archive/extract/_loops.c), when the install could build them.

setup.py builds the extension where a C compiler is found and goes on without it where none is; each caller keeps
its Python or numpy version and uses it when `COMPILED` is None (the results are the same, only slower):
- NameTagger._names (archive/extract/ner.py): the recognizer's Viterbi decoding (`decode`);
- NameTagger.tag_many (archive/extract/ner.py): the recognizer's words, numbered by its table's rows, and where
  each stands, a text cut into its sentences on the way (`range_ids`); the scores of words met for the first time
  (`score_words`, reading the table of what each word is that `word_table` makes);
- word_index (archive/extract/people.py): a text's runs of letters and where each occurs (`word_starts`);
- letters_key and collapse_white_space (archive/extract/cleaning.py): runs of letters, or of anything but white
  space, joined by single spaces (`squeeze`); normalize_squeezed and _squeeze_spaces (cleaning.py): normalize()'s
  character rules, case folding and runs of white space from one table, in one pass (`translate`).

Set NEWS_ARCHIVE_NO_KERNELS=1 to compare the two ways on one install (it turns off the search loops too).
"""

from __future__ import annotations

import os
from types import ModuleType

_built: ModuleType | None
try:
    from archive.extract import _loops as _built
except ImportError:  # built without a C compiler: the Python versions
    _built = None

# the compiled loops, or None: not built, or turned off
COMPILED: ModuleType | None = None if os.environ.get("NEWS_ARCHIVE_NO_KERNELS") else _built


def state() -> str:
    """What extraction in this process uses: "compiled", or why not."""
    if COMPILED is not None:
        return "compiled"
    if _built is None:
        return "Python (not built: no C compiler at install; `pip install -e .` again with one)"
    return "Python (NEWS_ARCHIVE_NO_KERNELS is set)"
