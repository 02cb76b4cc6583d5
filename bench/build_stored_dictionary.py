"""Builds archive/data/stored-fields.zdict, the preset dictionary the index compresses each article's stored fields
with (archive/index/formats.py, `StoredFieldsColumn`), and measures what it saves on an outlet it was not built
from.

    .venv/bin/python bench/build_stored_dictionary.py                     # build it from the shared corpus
    .venv/bin/python bench/build_stored_dictionary.py --evaluate          # held-out outlets: sizes and CPU cost

An article's stored fields (title, body, names, url ...) are compressed one article at a time, so that one can be
read alone; deflate then starts every article knowing nothing, and a 3 KB Arabic text compresses poorly. A preset
dictionary gives it the language's common strings to refer back to: here the most frequent words of the shared
corpus's titles and bodies (32 KB, deflate's whole window; the most frequent last, nearest to the text, where
references are cheapest), then the names of the stored fields as Python pickles them.

The file ships with the package (built once; rerunning this changes its bytes, so an index written with another
dictionary is refused on open: archive/index/schema.py records the dictionary's digest among the versions).
`--evaluate` builds a dictionary without one outlet and compresses that outlet's articles (pickled as the index
stores them), against the plain zlib Whoosh used, at the levels given.
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import sys
import time
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.index.formats import STORED_COMPRESSION, STORED_DICTIONARY_FILE  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
WINDOW = 32 * 1024  # deflate refers back at most this far: a longer dictionary's start is never used
# The stored fields an index keeps (archive/index/schema.py), as their pickle carries their names.
FIELDS = ("body", "day", "id", "organizations", "origin", "persons", "places", "source", "title", "url")


def read_corpus(corpus: Path) -> list[dict]:
    with gzip.open(corpus, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def build_dictionary(texts: list[str], size: int = WINDOW) -> bytes:
    """The most frequent words of TEXTS (each followed by a space), as many as fit in SIZE bytes with the field
    names' pickle, the most frequent last; ties in text order, so the same texts give the same bytes."""
    words: Counter[str] = Counter()
    for text in texts:
        words.update(text.split())
    skeleton = pickle.dumps(dict.fromkeys(FIELDS, ""), 2)
    room = size - len(skeleton)
    chosen: list[bytes] = []
    for word, _ in words.most_common():
        encoded = (word + " ").encode("utf-8")
        if len(encoded) > room:
            break
        chosen.append(encoded)
        room -= len(encoded)
    return b"".join(reversed(chosen)) + skeleton


def _compressed_size(blob: bytes, dictionary: bytes | None, level: int) -> int:
    if dictionary is None:
        return len(zlib.compress(blob, 3))  # Whoosh's stored column: zlib level 3, no dictionary
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, dictionary)
    return len(compressor.compress(blob) + compressor.flush())


def stored_blob(record: dict) -> bytes:
    """An article's stored fields roughly as the index pickles them (names are what extraction would find)."""
    return pickle.dumps({"body": record.get("body") or "", "day": 0, "id": record.get("id") or "",
                         "organizations": "", "origin": "", "persons": ",".join(record.get("persons") or []),
                         "places": "", "source": record.get("source") or "", "title": record.get("title") or "",
                         "url": record.get("url") or ""}, 2)


def evaluate(records: list[dict], levels: list[int], articles: int) -> list[dict]:
    outlets = Counter(r.get("source") or "" for r in records)
    rows = []
    for outlet, _ in outlets.most_common():
        dictionary = build_dictionary([f"{r.get('title') or ''}\n{r.get('body') or ''}" for r in records
                                       if (r.get("source") or "") != outlet])
        blobs = [stored_blob(r) for r in records if (r.get("source") or "") == outlet][:articles]
        row: dict = {"held_out_outlet": outlet, "articles": len(blobs),
                     "plain_zlib3_bytes": round(sum(_compressed_size(b, None, 3) for b in blobs) / len(blobs))}
        for level in levels:
            started = time.process_time()
            size = sum(_compressed_size(b, dictionary, level) for b in blobs) / len(blobs)
            row[f"level_{level}"] = {"bytes": round(size), "ratio": round(size / row["plain_zlib3_bytes"], 3),
                                     "compress_us": round((time.process_time() - started) / len(blobs) * 1e6)}
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=STORED_DICTIONARY_FILE)
    parser.add_argument("--evaluate", action="store_true", help="held-out outlets: sizes, no file written")
    parser.add_argument("--levels", type=int, nargs="+", default=[3, STORED_COMPRESSION, 6, 9])
    parser.add_argument("--articles", type=int, default=2000, help="articles compressed per held-out outlet")
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"build_stored_dictionary: no corpus at {args.corpus}", file=sys.stderr)
        return 1
    records = read_corpus(args.corpus)
    if args.evaluate:
        evaluate(records, args.levels, args.articles)
        return 0
    dictionary = build_dictionary([f"{r.get('title') or ''}\n{r.get('body') or ''}" for r in records])
    args.out.write_bytes(dictionary)
    print(f"wrote {args.out} ({len(dictionary):,} bytes) from {len(records):,} articles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
