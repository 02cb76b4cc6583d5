"""Quality of name recognition on the held-out fifth of NewsFANE Gold (never trained or tuned on).

    .venv/bin/python bench/ner.py            # the shipped model and the product's people extraction, held-out test
    .venv/bin/python bench/ner.py --dev      # the same on the dev fifth (for choosing settings)

Three measurements on the same blocks (bench/ner_data.py: 20-sentence blocks, seed 14):
  model      the CRF alone: mention precision / recall / F1 for PER, LOC, ORG (exact span and label);
  product    extract_people's people (registry + rules + CRF + article-level merging): person mention F1 and
             per-block person-set precision / recall / F1;
  rules      the same extraction with the CRF switched off: today's registry and rules.
  entities   the product's places and organizations (archive/extract/entities.py: registries + the CRF's LOC/ORG
             names in the sentences people extraction reads and after organization head nouns) against gold LOC
             and ORG mentions: same label, same end, the predicted start inside the gold name's first word (the
             product takes a proclitic off: gold "وباريس", product "باريس"); with and without the CRF.
Person sets: each block's gold names, a one-word name merged into the longer name of the block ending with it;
a predicted name matches a gold one when their last words agree (hamza, ى/ي, ة/ه folded) and, when both have
two or more words, their first words too, or when the words of one are a run of two or more of the other's
("حسني مبارك" / "محمد حسني مبارك"); one-to-one. The strict figure (same normalized string) is reported too.
Writes bench/results/ner.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from ner_data import NEWSFANE, ROOT, Sentence, read_sentences, split  # beside this script

sys.path.insert(0, str(ROOT))

import archive.extract.ner as ner
from archive.extract.entities import ORGANIZATION, PLACE, entity_mentions
from archive.extract.ner import LABELS, TOKEN, NameTagger, spans_from_tags
from archive.extract.people import person_mentions
from archive.text.normalize import normalize

RESULTS = ROOT / "bench" / "results" / "ner.json"


def prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "gold": gold,
            "predicted": predicted}


def block_text(block: list[Sentence]) -> tuple[str, list[tuple[int, int, str]]]:
    """The block as text (a sentence a line) and its gold entities as (start, end, label) character spans."""
    text, spans, _ = block_gold(block)
    return text, spans


def block_gold(block: list[Sentence]) -> tuple[str, list[tuple[int, int, str]], list[str]]:
    """block_text, and the gold person names without the proclitics their first word carries ("وشيراك")."""
    lines, spans, names = [], [], []
    clitic_of: dict[int, int] = {}
    offset = 0
    for sentence in block:
        parts = []
        position = offset
        label, start, end = "", -1, -1
        for word, tag, attached in zip(sentence.words, sentence.tags, sentence.proclitics, strict=True):
            if parts:
                position += 1
            if tag == "O" or tag.startswith("B-") or tag[2:] != label:
                if label:
                    spans.append((start, end, label))
                label, start = (tag[2:], position) if tag != "O" else ("", -1)
                clitic_of[position] = attached
            parts.append(word)
            position += len(word)
            end = position
        if label:
            spans.append((start, end, label))
        line = " ".join(parts)
        lines.append(line)
        offset += len(line) + 1
    text = "\n".join(lines)
    names = [" ".join(text[s + clitic_of.get(s, 0): e].split()) for s, e, label in spans if label == "PER"]
    return text, spans, names


def score_model(model: Path, blocks: list[list[Sentence]], name: str) -> dict:
    tagger = NameTagger(model)
    counts = {label: Counter() for label in LABELS}
    tokens_tagged = 0
    started = time.process_time()
    for block in blocks:
        text, gold = block_text(block)
        predicted = []
        for line_start, line in _lines(text):
            tokens = list(TOKEN.finditer(text, line_start, line_start + len(line)))
            tokens_tagged += len(tokens)
            tags = tagger.tag_words([t.group() for t in tokens])
            predicted += [(e.start, e.end, e.label) for e in spans_from_tags(tokens, tags, text)]
        for label in LABELS:
            g = {s for s in gold if s[2] == label}
            p = {s for s in predicted if s[2] == label}
            counts[label].update(tp=len(g & p), predicted=len(p), gold=len(g))
    seconds = time.process_time() - started
    result = {label: prf(c["tp"], c["predicted"], c["gold"]) for label, c in counts.items()}
    result["tokens_per_second"] = round(tokens_tagged / seconds) if seconds else None
    for label in LABELS:
        print(f"{name} model {label}: P {result[label]['precision']:.3f} R {result[label]['recall']:.3f} "
              f"F1 {result[label]['f1']:.3f} ({result[label]['gold']} gold)")
    print(f"{name} model speed: {result['tokens_per_second']} tokens/s (features + tagging, one core)")
    return result


def _lines(text: str):
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def _last(name: str) -> str:
    words = normalize(name).split()
    last = words[-1] if words else ""
    return last[2:] if last.startswith("ال") and len(last) > 4 else last


def _first(name: str) -> str:
    return normalize(name).split()[0]


def merged_names(names: list[str]) -> list[str]:
    """One entry per person: a one-word name goes into a longer name ending with the same word."""
    longer = [n for n in names if len(n.split()) >= 2]
    out = []
    for name in dict.fromkeys(names):
        if len(name.split()) == 1 and any(_last(other) == _last(name) for other in longer):
            continue
        out.append(name)
    return out


def same_person(a: str, b: str) -> bool:
    """Same last word (one of them a family name alone, or the same first word), or one name's words a run of
    at least two of the other's (a title kept, a long name cut: "حسني مبارك" / "محمد حسني مبارك")."""
    if _last(a) == _last(b) and (len(a.split()) == 1 or len(b.split()) == 1 or _first(a) == _first(b)):
        return True
    short, long_ = sorted((normalize(a).split(), normalize(b).split()), key=len)
    if len(short) < 2:
        return False
    return any(long_[i: i + len(short)] == short for i in range(len(long_) - len(short) + 1))


def set_scores(pairs: list[tuple[list[str], list[str]]], strict: bool = False) -> dict:
    tp = predicted = gold = 0
    for gold_names, predicted_names in pairs:
        g, p = merged_names(gold_names), merged_names(predicted_names)
        unmatched = list(g)
        for name in p:
            match = next((other for other in unmatched
                          if (normalize(name) == normalize(other) if strict else same_person(name, other))), None)
            if match is not None:
                unmatched.remove(match)
                tp += 1
        predicted += len(p)
        gold += len(g)
    return prf(tp, predicted, gold)


def score_product(blocks: list[list[Sentence]], use_model: bool, name: str, tagger: NameTagger | None = None) -> dict:
    mention = Counter()
    pairs = []
    started = time.process_time()
    for block in blocks:
        text, gold, gold_names = block_gold(block)
        gold_people = {(s, e) for s, e, label in gold if label == "PER"}
        found = person_mentions("", text, use_model=use_model, tagger=tagger)
        predicted = {(m.start - 1, m.end - 1) for m in found.mentions}  # the text follows an empty title + "\n"
        mention.update(tp=len(gold_people & predicted), predicted=len(predicted), gold=len(gold_people))
        pairs.append((gold_names, [normalize(n) for n in found.names]))
    seconds = time.process_time() - started
    result = {"person_mentions": prf(mention["tp"], mention["predicted"], mention["gold"]),
              "person_sets": set_scores(pairs), "person_sets_strict": set_scores(pairs, strict=True),
              "blocks": len(blocks), "cpu_seconds": round(seconds, 2)}
    m, s = result["person_mentions"], result["person_sets"]
    print(f"{name}: person mentions P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}; "
          f"per-block person sets P {s['precision']:.3f} R {s['recall']:.3f} F1 {s['f1']:.3f} ({len(blocks)} blocks)")
    return result


def score_entities(blocks: list[list[Sentence]], use_model: bool, name: str, tagger: NameTagger | None = None) -> dict:
    counts = {label: Counter() for label in ("LOC", "ORG")}
    label_of = {PLACE: "LOC", ORGANIZATION: "ORG"}
    started = time.process_time()
    for block in blocks:
        text, gold, _ = block_gold(block)
        people = person_mentions("", text, use_model=use_model, tagger=tagger)
        found = entity_mentions("", text, entities=people.entities, people=people.mentions, tagger=tagger,
                                use_model=use_model)
        predicted = [(s - 1, e - 1, label_of[kind]) for s, e, kind, _ in found]  # after the empty title's "\n"
        for label in ("LOC", "ORG"):
            g = [(s, e) for s, e, lab in gold if lab == label]
            p = [(s, e) for s, e, lab in predicted if lab == label]
            unmatched = list(g)
            tp = 0
            for start, end in p:
                match = next(((gs, ge) for gs, ge in unmatched
                               if ge == end and gs <= start < gs + len(text[gs:ge].split()[0])), None)
                if match is not None:
                    unmatched.remove(match)
                    tp += 1
            counts[label].update(tp=tp, predicted=len(p), gold=len(g))
    seconds = time.process_time() - started
    result = {label: prf(c["tp"], c["predicted"], c["gold"]) for label, c in counts.items()}
    result["cpu_seconds"] = round(seconds, 2)
    for label in ("LOC", "ORG"):
        r = result[label]
        print(f"{name} {'places' if label == 'LOC' else 'organizations'}: P {r['precision']:.3f} "
              f"R {r['recall']:.3f} F1 {r['f1']:.3f} ({r['gold']} gold)")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", action="store_true", help="score the dev fifth instead of the held-out test")
    parser.add_argument("--model", type=Path, default=None, help="a model file other than the shipped one")
    parser.add_argument("--lexicon", type=Path, default=None,
                        help="the person lexicon built with that model (bench/train_ner.py --dev writes one)")
    args = parser.parse_args()
    if args.lexicon is not None:
        ner.PERSON_LEXICON_FILE = args.lexicon
        ner.gazetteer.cache_clear()
    if not NEWSFANE.exists():
        print(f"NewsFANE not found at {NEWSFANE}: nothing to measure")
        return 1
    part = "dev" if args.dev else "test"
    blocks = split(read_sentences())[part]
    from archive.extract.ner import MODEL_FILE

    model = args.model or MODEL_FILE
    result = {
        "split": part, "sentences": sum(len(b) for b in blocks),
        "model": score_model(model, blocks, part),
        "product": score_product(blocks, True, f"{part} product", NameTagger(model)),
        "rules": score_product(blocks, False, f"{part} rules (no model)"),
        "entities": score_entities(blocks, True, f"{part} product", NameTagger(model)),
        "entities_registry_only": score_entities(blocks, False, f"{part} registries only (no model)"),
    }
    if not args.dev and args.model is None and args.lexicon is None:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
