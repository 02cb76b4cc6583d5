"""NewsFANE Gold for training and evaluating the name recognizer: reading, re-joining clitics, coarse labels,
and the fixed split into train / dev / held-out test blocks.

- Clitics: NewsFANE writes "و قال", "ان ه", "ل تصل"; raw news writes "وقال", "انه", "لتصل". A lone و ف ب ل ك
  (an O token: in "د ب ا" the letters belong to a name) joins the next word (ل + ال... gives لل...); a lone ه ها
  هم هما هن كم نا ي joins the previous word. The joined word keeps the tag of its content word.
- Labels: the 50 fine classes become PER (Politician, Athlete, Artist, Other_PER, Religious_PER, Scientist,
  Businessperson, Lawyer, Engineer, Police: a sample shows officers and ministers, not forces), LOC (Nation,
  Population-Center, State-or-Province, GPE-Cluster, Continent, Water-Body, Land, County-or-District,
  Land-Region-Natural) and ORG (Non-Governmental, Sports, Media, Government, Commercial, Educational,
  Religious_ORG, Medical-Science, Entertainment); the rest (groups, nationalities, buildings, works) is O.
- Things named after people (جائزة نوبل, ملعب/قاعة/مستشفى/شركة/مؤسسة/جامعة + a person) are tagged as people in
  NewsFANE; a person span right after such a word is turned to O, for training and evaluation alike.
- Split: blocks of BLOCK_SENTENCES consecutive sentences, shuffled with SEED; the first fifth is the held-out
  test (never trained on, never tuned on), the second fifth is dev (for choosing settings), the rest train.
  The shipped model is trained on train + dev.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive.text.normalize import normalize  # noqa: E402

NEWSFANE = ROOT.parent / "shared" / "corpora" / "ner" / "NewsFANE_Gold_2014.txt"
BLOCK_SENTENCES = 20
SEED = 14

PERSON = {"Politician", "Athlete", "Artist", "Other_PER", "Religious_PER", "Scientist", "Businessperson", "Lawyer",
          "Engineer", "Police"}
PLACE = {"Nation", "Population-Center", "State-or-Province", "GPE-Cluster", "Continent", "Water-Body", "Land",
         "County-or-District", "Land-Region-Natural"}
ORGANIZATION = {"Non-Governmental", "Sports", "Media", "Government", "Commercial", "Educational", "Religious_ORG",
                "Medical-Science", "Entertainment"}
PROCLITICS = {"و", "ف", "ب", "ل", "ك"}
ENCLITICS = {"ه", "ها", "هم", "هما", "هن", "كم", "نا", "ي"}
NAMED_AFTER = {"جائزه", "جائزة", "ملعب", "قاعه", "قاعة", "مستشفي", "مستشفى", "شركه", "شركة", "مؤسسه", "مؤسسة",
               "جامعه", "جامعة", "مركز", "مسجد", "شارع", "مطار", "ميدان", "استاد"}


def coarse(tag: str) -> str:
    if tag == "O" or "-" not in tag:
        return "O"
    prefix, fine = tag.split("-", 1)
    for label, members in (("PER", PERSON), ("LOC", PLACE), ("ORG", ORGANIZATION)):
        if fine in members:
            return f"{prefix}-{label}"
    return "O"


@dataclass
class Sentence:
    words: list[str]  # re-joined, normalize()d
    tags: list[str]  # coarse IOB2
    proclitics: list[int]  # how many letters of each word are re-joined proclitics (و ب ل ...)


def _split_letters(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Letters the segmentation cut off a word, put back as raw news writes them: a name's first letter taken for a
    proclitic ("ف يصل": فيصل, tagged B- then I-), its last letter taken for a pronoun ("مصطفي فهم ي": فهمي, tagged
    I- after the name), and a hamza's alef cut off a word ("ا سرائيليه"). Letters of abbreviations ("ا ف ب",
    "د ب ا": one letter after another) stay apart."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        word, tag = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if len(word) == 1 and word.isalpha() and following is not None and len(following[0]) >= 3 \
                and following[0][0].isalpha() and (
                    (tag.startswith("B-") and following[1] == "I-" + tag[2:])
                    or (word == "ا" and tag == "O")):
            out.append((word + following[0], tag if tag != "O" else following[1]))
            i += 2
            continue
        if len(word) == 1 and word in "يهك" and tag.startswith("I-") and out and len(out[-1][0]) >= 2 \
                and out[-1][1][2:] == tag[2:] and out[-1][1] != "O" and out[-1][0][-1].isalpha():
            out[-1] = (out[-1][0] + word, out[-1][1])
            i += 1
            continue
        out.append((word, tag))
        i += 1
    return out


def _rejoin(tokens: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    tokens = _split_letters(tokens)
    joined: list[tuple[str, str, int]] = []
    pending = ""  # proclitics waiting for their word
    for word, tag in tokens:
        if word in PROCLITICS and tag == "O":
            pending += word
            continue
        attached = 0
        if pending:
            if not word[0].isalpha():
                joined.append((pending, "O", 0))
            elif pending.endswith("ل") and word.startswith("ال") and len(word) > 2:
                word, attached = pending + word[1:], len(pending)
            else:
                word, attached = pending + word, len(pending)
            pending = ""
        if word in ENCLITICS and tag == "O" and joined and joined[-1][0][-1:].isalpha():
            previous, previous_tag, previous_attached = joined[-1]
            joined[-1] = (previous + word, previous_tag, previous_attached)
            continue
        joined.append((word, tag, attached))
    if pending:
        joined.append((pending, "O", 0))
    return joined


def _fix_named_after(tags: list[str], words: list[str]) -> list[str]:
    tags = list(tags)
    for i, tag in enumerate(tags):
        if tag == "B-PER" and i > 0 and words[i - 1] in NAMED_AFTER:
            j = i
            while j < len(tags) and tags[j] in ("B-PER", "I-PER") and (j == i or tags[j] == "I-PER"):
                tags[j] = "O"
                j += 1
    return tags


def read_sentences(path: Path = NEWSFANE) -> list[Sentence]:
    sentences: list[Sentence] = []
    current: list[tuple[str, str]] = []

    def flush() -> None:
        if current:
            triples = _rejoin(current)
            words = [normalize(word) or word for word, _, _ in triples]
            tags = _fix_named_after([coarse(tag) for _, tag, _ in triples], words)
            sentences.append(Sentence(words, tags, [attached for _, _, attached in triples]))
            current.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.replace("\u200e", "").replace("\u200f", "")
        if not line.strip():
            flush()
            continue
        word, _, tag = line.partition("\t")
        word = word.strip()
        if word:
            current.append((word, tag.strip() or "O"))
    flush()
    return sentences


def blocks(sentences: list[Sentence]) -> list[list[Sentence]]:
    return [sentences[i: i + BLOCK_SENTENCES] for i in range(0, len(sentences), BLOCK_SENTENCES)]


def split(sentences: list[Sentence]) -> dict[str, list[list[Sentence]]]:
    """{"train", "dev", "test"}: lists of blocks; test and dev are a fifth each, chosen with SEED."""
    all_blocks = blocks(sentences)
    order = list(range(len(all_blocks)))
    random.Random(SEED).shuffle(order)
    fifth = len(order) // 5
    test, dev = set(order[:fifth]), set(order[fifth: 2 * fifth])
    return {
        "test": [b for i, b in enumerate(all_blocks) if i in test],
        "dev": [b for i, b in enumerate(all_blocks) if i in dev],
        "train": [b for i, b in enumerate(all_blocks) if i not in test and i not in dev],
    }
