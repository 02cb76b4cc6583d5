"""Trains the name recognizer (archive/data/ner.crfsuite) from NewsFANE Gold, reproducibly.

    .venv/bin/python bench/train_ner.py                # train + dev blocks -> archive/data/ner.crfsuite
    .venv/bin/python bench/train_ner.py --dev          # train blocks only -> $TMPDIR/ner-dev.crfsuite
    .venv/bin/python bench/ner.py --dev --model $TMPDIR/ner-dev.crfsuite   # ... scored on the dev fifth

Needs ../shared/corpora/ner/NewsFANE_Gold_2014.txt. The split (bench/ner_data.py: blocks of 20 sentences,
seed 14) keeps the held-out test fifth out of every training run; `--dev` is for choosing settings without
looking at the test fifth. L-BFGS training of a CRF is deterministic: the same data and settings give the same
model. Takes one to two minutes on one core.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ner_data import NEWSFANE, ROOT, split  # beside this script

sys.path.insert(0, str(ROOT))

import pycrfsuite

from archive.extract.ner import MODEL_FILE, FeatureCache, gazetteer

PARAMS = {"c1": 0.1, "c2": 0.05, "max_iterations": 300, "feature.possible_transitions": True}


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", action="store_true", help="train on the train blocks only and score on dev")
    parser.add_argument("--out", type=Path, default=None, help="where to write the model (default: see above)")
    args = parser.parse_args()
    if not NEWSFANE.exists():
        print(f"NewsFANE not found at {NEWSFANE}: nothing to train on")
        return 1
    from ner_data import read_sentences

    parts = split(read_sentences())
    if args.dev:
        model = args.out or Path(tempfile.gettempdir()) / "ner-dev.crfsuite"
        seconds = train(parts["train"], model)
        print(f"trained on {sum(len(b) for b in parts['train'])} sentences in {seconds:.0f} s: {model}")
        print(f"score it: .venv/bin/python bench/ner.py --dev --model {model}")
        return 0
    model = args.out or MODEL_FILE
    seconds = train(parts["train"] + parts["dev"], model)
    sentences = sum(len(b) for b in parts["train"] + parts["dev"])
    print(f"wrote {model} ({model.stat().st_size // 1024} KB) from {sentences} sentences in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
