"""Trains the name recognizer (archive/data/ner.crfsuite) from NewsFANE Gold, reproducibly.

    .venv/bin/python bench/train_ner.py                # train + dev blocks -> archive/data/ner.crfsuite
    .venv/bin/python bench/train_ner.py --dev          # train blocks only -> $TMPDIR/ner-dev.crfsuite
    .venv/bin/python bench/ner.py --dev --model $TMPDIR/ner-dev.crfsuite \
        --lexicon $TMPDIR/person_lexicon-dev.tsv      # ... scored on the dev fifth

Then the model tags every sentence of the shared news corpus (../shared/corpora/ant-multisource.jsonl.gz, 30k
articles of today's outlets; never NewsFANE text), and the words it tags as person names are written with their
counts to archive/data/person_lexicon.tsv (word, times met, times tagged a person): people extraction takes those
it tags most of the times as cues for where to look ("وكان غورباتشوف", no given name or title nearby).

Needs ../shared/corpora/ner/NewsFANE_Gold_2014.txt. The split (bench/ner_data.py: blocks of 20 sentences,
seed 14) keeps the held-out test fifth out of every training run; `--dev` is for choosing settings without
looking at the test fifth. L-BFGS training of a CRF is deterministic: the same data and settings give the same
model. Takes one to two minutes on one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from ner_data import NEWSFANE, ROOT, split  # beside this script

sys.path.insert(0, str(ROOT))

import pycrfsuite

from archive.extract.ner import MODEL_FILE, PERSON_LEXICON_FILE, STOP_CLASS, TOKEN, FeatureCache, NameTagger, gazetteer
from archive.text.normalize import normalize

CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
# the corpus cut into sentences at stops and line ends, as the recognizer reads an article (ner.sentence_ranges)
_SENTENCE_END = re.compile(f"[\n{STOP_CLASS}]+")
# words kept in the file: met this often, tagged a person at least this share of the times (people extraction takes
# a stricter cut: ner.person_lexicon)
_KEEP_COUNT, _KEEP_SHARE = 3, 0.25

PARAMS = {"c1": 0.1, "c2": 0.2, "max_iterations": 300, "feature.possible_transitions": True}


def train(blocks: list, model_path: Path) -> float:
    cache = FeatureCache(gazetteer())
    trainer = pycrfsuite.Trainer(verbose=False)
    for block in blocks:
        for sentence in block:
            trainer.append(cache.sentence(sentence.words), sentence.tags)
    trainer.set_params(PARAMS)
    started = time.perf_counter()
    trainer.train(str(model_path))
    return time.perf_counter() - started


def build_lexicon(model_path: Path, out: Path) -> int:
    """Tags the shared corpus with MODEL_PATH and writes the person lexicon to OUT; returns its word count."""
    tagger = NameTagger(model_path)
    met: Counter[str] = Counter()
    person: Counter[str] = Counter()
    in_longer: Counter[str] = Counter()  # tagged a person as one word of a name of two or more
    other: Counter[str] = Counter()  # tagged a place or an organization
    batch: list[list[str]] = []

    def tag() -> None:
        for words, tags in zip(batch, tagger.tag_sentences(batch), strict=True):
            for i, (word, tag) in enumerate(zip(words, tags, strict=True)):
                if word[0].isalpha():
                    met[word] += 1
                    if tag.endswith("PER"):
                        person[word] += 1
                        if tag.startswith("I-") or (i + 1 < len(tags) and tags[i + 1] == "I-PER"):
                            in_longer[word] += 1
                    elif tag != "O":
                        other[word] += 1
        batch.clear()

    with gzip.open(CORPUS, "rt", encoding="utf-8") as corpus:
        for line in corpus:
            record = json.loads(line)
            text = normalize((record.get("title") or "") + "\n" + (record.get("body") or ""))
            batch += [words for part in _SENTENCE_END.split(text) if (words := TOKEN.findall(part))]
            if len(batch) >= 2000:
                tag()
    tag()
    kept = sorted((word for word, count in met.items()
                   if count >= _KEEP_COUNT and person[word] >= _KEEP_SHARE * count), key=lambda w: (-met[w], w))
    lines = [f"# word<TAB>times met<TAB>times tagged a person<TAB>of those, in a name of two or more words<TAB>times "
             f"tagged a place or an organization; in {CORPUS.name}, by the recognizer trained on NewsFANE. Built by "
             "bench/train_ner.py."]
    lines += [f"{word}\t{met[word]}\t{person[word]}\t{in_longer[word]}\t{other[word]}" for word in kept]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(kept)


def train_with_lexicon(blocks: list, model_path: Path, lexicon: Path) -> float:
    """The model, then the person lexicon it finds in the corpus."""
    seconds = train(blocks, model_path)
    started = time.perf_counter()
    words = build_lexicon(model_path, lexicon)
    print(f"wrote {lexicon} ({words} words) in {time.perf_counter() - started:.0f} s")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", action="store_true", help="train on the train blocks only and score on dev")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the model (default: see above); its lexicon goes beside it")
    args = parser.parse_args()
    if not NEWSFANE.exists():
        print(f"NewsFANE not found at {NEWSFANE}: nothing to train on")
        return 1
    from ner_data import read_sentences

    if not CORPUS.exists():
        print(f"shared corpus not found at {CORPUS}: needed for the person lexicon")
        return 1
    parts = split(read_sentences())
    if args.dev:
        model = args.out or Path(tempfile.gettempdir()) / "ner-dev.crfsuite"
        lexicon = model.with_name("person_lexicon-dev.tsv" if args.out is None else f"{model.stem}-person_lexicon.tsv")
        seconds = train_with_lexicon(parts["train"], model, lexicon)
        print(f"trained on {sum(len(b) for b in parts['train'])} sentences in {seconds:.0f} s: {model}")
        print(f"score it: .venv/bin/python bench/ner.py --dev --model {model} --lexicon {lexicon}")
        return 0
    model = args.out or MODEL_FILE
    lexicon = PERSON_LEXICON_FILE if args.out is None else model.with_name(f"{model.stem}-person_lexicon.tsv")
    seconds = train_with_lexicon(parts["train"] + parts["dev"], model, lexicon)
    sentences = sum(len(b) for b in parts["train"] + parts["dev"])
    print(f"wrote {model} ({model.stat().st_size // 1024} KB) from {sentences} sentences in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
