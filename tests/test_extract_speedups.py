"""The shortcuts extraction takes for speed find exactly what the plain way finds: the registry scans that try only
the positions where a word opening a name stands (FormScanner) against a full regex scan, the recognizer's feature
weights summed per template (WordScorer) against a list of feature strings per word, the recognizer's ranges and
entities against every window and every word's tag, memos and skipped work (plain text, proclitics, facet names,
story lines, printable fields) against the work done each time, on real articles and on hostile text."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from archive.article import Article
from archive.extract import cleaning, entities, metadata, ner, people
from archive.extract.builder import build_article
from archive.extract.cleaning import clean_story
from archive.extract.dates import parse_date, publication_date
from archive.extract.people import FormScanner, context_scanner, text_words
from archive.extract.readers import RawRecord, iter_raw_records
from archive.extract.report import IngestReport
from archive.extract.sources import canonical_source, detect_source
from archive.extract.sources import registry as source_registry
from archive.text import normalize as rules
from archive.text.normalize import normalize


def _scanners() -> list[tuple[str, FormScanner]]:
    reg, ent = people.registry(), entities.entity_registry()
    found = [("people forms", reg.form_scanner), ("titles", reg.trigger_scanner),
             ("entity forms", ent.form_scanner), ("head nouns", entities._head_scanner())]
    found += [(f"context of {reg.people[i].name}", scanner) for i, scanner in enumerate(reg.context_scanners)
              if scanner is not None][:20]
    return found


def _same_matches(scanner: FormScanner, text: str) -> None:
    expected = [(m.span(), m.groupdict()) for m in scanner.pattern.finditer(text)]
    assert [(m.span(), m.groupdict()) for m in scanner.finditer(text, text_words(text))] == expected
    assert [(m.span(), m.groupdict()) for m in scanner.finditer(text)] == expected  # words found by the scanner


HOSTILE = [
    "",
    "بوتين",  # a name alone, at both edges of the text
    "وبوتين.ترامب،وللأسد",  # proclitics, no spaces around punctuation
    "xبوتين بوتينx بوتين٣ 3بوتين",  # a Latin letter glued on (no match), a digit glued on (a match)
    "فلاديمير   بوتين\nفلاديمير\nبوتين",  # spaces and line breaks inside a two-word name
    "قال پزشكيان ووپزشكيان وپزشكيان xپزشكيان",  # a form opening with a letter outside the scans' letters
    "وپزشكيان قال",  # ... after a proclitic, at the start of the text
    "پزشكيان",
    "ال الشيخ وال الشيخ لال الشيخ الشيخ ال",  # a one- or two-letter opening word, inside and outside longer words
    "و ل ب ال",
    "الرئيس الرئيس الرئيس فلاديمير بوتين",  # overlapping candidates: a match swallows the next ones
    "وزارة وزارة الدفاع الروسية وبوزارة الخارجية",
    "مصر" * 50 + " مصر",  # a long run of letters holding a form many times: only the last is a word
]


@pytest.mark.parametrize("text", HOSTILE)
def test_form_scanners_find_what_a_full_scan_finds_on_hostile_text(text: str) -> None:
    for _, scanner in _scanners():
        _same_matches(scanner, normalize(text))


def test_form_scanners_find_what_a_full_scan_finds_on_the_seeds(seeds_dir: Path) -> None:
    records = list(iter_raw_records([seeds_dir], IngestReport()))
    assert records
    for record in records:
        text = clean_story(record.body).normalized
        for _, scanner in _scanners():
            _same_matches(scanner, text)


def test_form_scanners_find_what_a_full_scan_finds_on_corpus_articles(corpus_path: Path) -> None:
    matched = 0
    for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 300):
        text = normalize((record.title or "") + "\n") + clean_story(record.body).normalized
        for _, scanner in _scanners():
            _same_matches(scanner, text)
            matched += sum(1 for _ in scanner.pattern.finditer(text))
    assert matched > 1000  # the comparison saw real names, not only empty results


def test_a_form_opening_with_a_character_outside_the_letters_is_still_found() -> None:
    scanner = context_scanner(["پزشكيان", "-اون", "بوتين"])
    assert scanner.opening_chars == ["-", "پ"]
    text = "قال پزشكيان -اون و-اون وبوتين بوتين"  # no proclitics here: "و-اون", "وبوتين" are no match
    assert [m.group() for m in scanner.finditer(text)] == ["پزشكيان", "-اون", "بوتين"]
    assert [m.group() for m in scanner.finditer(text)] == [m.group() for m in scanner.pattern.finditer(text)]


def _corpus_sentences(corpus_path: Path, count: int) -> list[list[str]]:
    """Word lists of real sentences of many lengths: lines of corpus articles cut at full stops."""
    sentences = []
    for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 40):
        for line in normalize(record.body).replace(".", "\n").split("\n"):
            words = ner.TOKEN.findall(line)
            if words:
                sentences.append(words[: 1 + len(sentences) % 60])  # lengths 1 to 60
    return sentences[:count]


def test_tagging_many_sentences_at_once_tags_each_as_alone(corpus_path: Path) -> None:
    """The tagger decodes sentences in groups of similar length; every sentence still gets its own best path."""
    tagger = ner.NameTagger()
    sentences = _corpus_sentences(corpus_path, 400)
    together = tagger.tag_sentences(sentences)
    assert any(tag != "O" for tags in together for tag in tags)
    assert together == [tagger.tag_words(sentence) for sentence in sentences]


def test_tagger_keeps_working_when_its_word_cache_fills_up(monkeypatch: pytest.MonkeyPatch,
                                                           corpus_path: Path) -> None:
    """Once the cache of word scores is full it starts again; a batch mixing words cached before and new ones used
    to fail then (KeyError) after 200,000 distinct words, which a long rebuild reaches."""
    sentences = _corpus_sentences(corpus_path, 300)
    expected = ner.NameTagger().tag_sentences(sentences)
    monkeypatch.setattr(ner, "_WORD_CACHE", 50)
    small = ner.NameTagger()
    got = [small.tag_words(sentences[0])]  # cached, then met again in every later batch
    got += [small.tag_sentences([sentences[0], sentence])[1] for sentence in sentences[1:]]
    assert got == expected
    assert len(small.word_ids) <= max(50, 2 * 60)


def test_normalize_of_long_text_equals_the_character_table_applied_at_once(corpus_path: Path) -> None:
    """A long text is normalized by one str.replace per table character it holds, a short one by str.translate:
    both give the translation of the whole table at once, on real articles and on text made of the table."""
    table = "".join(char for char, _ in rules._RULE_PAIRS)
    texts = [table, table * 3, "ـ" * 200, "\u064e" * 100 + "ا", "ى" * 64, "ى" * 63]
    texts += [record.body for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 200)]
    for text in texts:
        expected = rules.normalize_presentation_forms(text).translate(rules._ALL_RULES_MAP).lower()
        assert normalize(text) == expected
        assert [normalize(line) for line in text.split("\n")] == expected.split("\n")


def test_squeezing_spaces_skips_only_texts_with_nothing_to_squeeze() -> None:
    spaces = [" ", "\t", "\u00a0", "\u2003", "\u200a", "\u202f", "\u205f", "\u3000"]
    texts = ["", "كلمة", "كلمة كلمة", " كلمة ", "\n \n"]
    texts += [f"ا{first}ب" for first in spaces] + [f"ا{first}{second}ب" for first in spaces for second in spaces]
    for text in texts:
        assert cleaning._squeeze_spaces(text) == cleaning._SPACES.sub(" ", text)


def _plain_scores(tagger: ner.NameTagger, words: list[str]) -> np.ndarray:
    """The plain way: each word's feature strings (word_features), their rows summed by one reduceat."""
    empty = (0,) * 4
    indexes: list[int] = []
    starts: list[int] = []
    for word in words:
        own, context = ner.word_features(word, tagger.gaz)
        starts.append(len(indexes))
        indexes += [0, *(row for row in map(tagger.own_rows.get, own) if row is not None)]
        for slot_rows in zip(*[tagger.context_rows.get(feature, empty) for feature in context], strict=True):
            starts.append(len(indexes))
            indexes += [0, *filter(None, slot_rows)]
    return np.add.reduceat(tagger.matrix[indexes], starts).reshape(len(words), 5, -1)


def test_feature_weights_summed_per_template_equal_the_plain_sums_to_the_last_bit(corpus_path: Path) -> None:
    """Equal sums, not close ones: the Viterbi then takes the same path, ties included."""
    tagger = ner.NameTagger()
    words = {"3", "2024", ".", "،", "«", "%", "-", "x", "trump", "بوتين", "وبالرئيس", "لل", "و", "ال", "وال",
             "پزشكيان", "ڤ", "للعراق", "فلاديمير", "الاقتصاديه"}
    for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 100):
        words.update(ner.TOKEN.findall(normalize(record.body)))
    ordered = sorted(words)
    assert len(ordered) > 5000
    assert np.array_equal(tagger.scorer.scores(ordered), _plain_scores(tagger, ordered))
    mixed = ordered[::-7]  # another order, digits and punctuation among the letters
    assert np.array_equal(tagger.scorer.scores(mixed), _plain_scores(tagger, mixed))


def test_word_scores_gathered_slot_by_slot_equal_the_whole_rows_sliced(corpus_path: Path) -> None:
    tagger = ner.NameTagger()
    sentences = _corpus_sentences(corpus_path, 300)
    tagger._ids(sentences)
    longest = max(map(len, sentences))
    grid = np.zeros((len(sentences), longest + 4), dtype=np.intp)
    for row, sentence in enumerate(sentences):
        grid[row, 2: 2 + len(sentence)] = [tagger.word_ids[word] for word in sentence]
    table = tagger.table[grid]  # the plain way: every slot of every word, then each slot's shifted slice
    plain = table[:, 2:-2, 0] + table[:, :-4, 1] + table[:, 1:-3, 2] + table[:, 3:-1, 3] + table[:, 4:, 4]
    assert np.array_equal(tagger._grid_scores(grid), plain)
    assert np.abs(plain).sum() > 0


SENTENCE_TEXTS = [
    "", " ", "\n\n", "محمد", "قال محمد علي. محمد علي", "محمد\nعلي\n\nمحمد علي", "قال.\nقال الرئيس محمد. علي: أحمد",
    "«قال» (محمد) [علي] {أحمد} | \"نعم\" “لا” ؟ ! ؛ .", " . . ", "أحمد " * 40,
]


def test_the_recognizer_reads_every_sentence_cut_at_stops_brackets_quotes_and_line_ends(
        corpus_path: Path, seeds_dir: Path) -> None:
    """sentence_ranges: every run between stops and line ends that holds something other than white space, in
    order (the plain way: split at each stop or line end, then drop the blank pieces); every token of the text is
    in one, except the stops themselves."""
    texts = [normalize(text) for text in SENTENCE_TEXTS]
    records = list(itertools.islice(iter_raw_records([corpus_path], IngestReport()), 300))
    records += list(iter_raw_records([seeds_dir], IngestReport()))
    texts += [normalize((record.title or "") + "\n") + clean_story(record.body).normalized for record in records]
    stops = set(ner.STOP_CLASS.replace("\\", "")) | {"\n"}
    counted = 0
    for text in texts:
        expected = []
        start = 0
        for at, char in enumerate(text + "\n"):
            if char in stops:
                if text[start:at].strip():
                    expected.append((start, at))
                start = at + 1
        ranges = ner.sentence_ranges(text)
        assert ranges == expected
        inside = {i for s, e in ranges for i in range(s, e)}
        assert all(match.start() in inside for match in ner.TOKEN.finditer(text) if match.group() not in stops)
        counted += len(ranges)
    assert counted > 3000  # real articles were cut, not only the short texts


def _entity_first_words(corpus_path: Path, count: int) -> list[str]:
    words = ["للعراق", "للبنان", "ولل", "وللأمم", "فللمغرب", "والعراق", "بمصر", "لمصر", "وبغداد", "كما", "و", "ل"]
    for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), count):
        words += ner.TOKEN.findall(clean_story(record.body).normalized)
    return [normalize(word) for word in words]


def test_proclitics_remembered_per_registry_are_those_worked_out_each_time(monkeypatch: pytest.MonkeyPatch,
                                                                          corpus_path: Path) -> None:
    """_strip_proclitic remembers its answers; a small memory is emptied when full and answers the same."""
    reg = entities.entity_registry()
    words = _entity_first_words(corpus_path, 60)
    expected = [entities._proclitic_of(word, reg) for word in words]
    assert any(clitic for clitic, _ in expected) and any(restored for _, restored in expected)
    assert [entities._strip_proclitic(word, reg) for word in words] == expected
    assert [entities._strip_proclitic(word, reg) for word in words] == expected  # now from the memory
    monkeypatch.setattr(entities, "_PROCLITIC_MEMO", 7)
    reg.proclitics_of.clear()
    assert [entities._strip_proclitic(word, reg) for word in words + words[::-1]] == expected + expected[::-1]
    assert len(reg.proclitics_of) <= 7


def test_plain_text_remembered_for_a_batch_is_the_text_worked_out_again(corpus_path: Path) -> None:
    texts = ["", "مُحَمَّد", "ﻻ إله", "كلمة\u200bكلمة", "ـــمصرـــ"]
    texts += [record.body for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 50)]
    for text in texts + texts:
        assert people._plain(text) == people._plain.__wrapped__(text)
    assert people._plain("مُحَمَّد") == "محمد" and people._plain("ﻻ") == "لا"


def test_story_lines_and_url_read_only_for_what_the_record_does_not_give(corpus_path: Path) -> None:
    """_extract skips splitting the story into lines when the record gives its date and outlet, and the outlet's
    domain look-up when it gives the outlet: every combination gives the plain way's date, outlet and provenance."""
    record = next(iter_raw_records([corpus_path], IngestReport()))
    story = clean_story(record.body)
    pairs = [(line, norm) for line, norm in zip(story.body.split("\n"), story.normalized.split("\n"), strict=True)
             if line]
    lines, norm_lines = [line for line, _ in pairs], [norm for _, norm in pairs]
    seen = set()
    for date, source, url in itertools.product((None, "2023-05-01"), (None, "bbc"),
                                               (None, "https://www.alarabiya.net/x", "https://example.org/y")):
        raw = RawRecord(origin="test", body=record.body, title=record.title, date=date, source=source, url=url)
        article = build_article(raw)
        assert isinstance(article, Article)
        published = parse_date(date) if date else publication_date(lines, norm_lines)
        outlet = canonical_source(source) if source else detect_source(url, lines, norm_lines)
        assert (article.published, article.source) == (published, outlet)
        if outlet is not None:
            expected = "given" if source else "url" if url and source_registry().from_url(url) == outlet else "text"
            assert article.provenance["source"] == expected
            seen.add(expected)
    assert {"given", "url"} <= seen


def _plain_sanitize(text: str) -> str:
    return cleaning._CONTROL.sub("", cleaning._LINE_BREAKS.sub("\n", text))


def test_sanitizing_skips_only_texts_with_nothing_to_remove() -> None:
    """sanitize_text returns a printable text as it is: no character that the plain way changes is printable."""
    changed = [chr(code) for code in range(0x110000) if _plain_sanitize(chr(code)) != chr(code)]
    assert "\x00" in changed and "\r" in changed and "\u200b" in changed and "\u2028" in changed
    assert not any(char.isprintable() for char in changed)
    texts = ["", "عنوان الخبر", "a\tb", "سطر\r\nسطر", "x\x00y", "\ufeffبداية", "كلمة\u200bكلمة", "\x85", "۱۲ %"]
    texts += [prefix + char + "نص" for prefix in ("", "نص ") for char in changed[:200]]
    for text in texts:
        assert cleaning.sanitize_text(text) == _plain_sanitize(text)


def test_facet_names_remembered_are_those_worked_out_each_time() -> None:
    keys = ["category", "Category", " Section ", "قسم", "id", "body", "my key!", "123", "", "___", "x" * 60]
    for key in keys + keys:
        assert metadata.facet_name(key) == metadata.facet_name.__wrapped__(key)
    assert metadata.facet_name("category") == "section" and metadata.facet_name("body") is None


def _plain_entities(tagger: ner.NameTagger, text: str, start: int, end: int,
                    found: list[tuple[int, int]]) -> list[ner.Entity]:
    """The plain way: every word of the range tagged (O where FOUND has nothing), then spans_from_tags."""
    tokens = list(ner.TOKEN.finditer(text, start, end))
    tags = ["O"] * len(tokens)
    for position, label in found:
        tags[position] = tagger.labels[label]
    return ner.spans_from_tags(tokens, tags, text)


def test_entities_read_from_the_named_words_alone_equal_those_of_every_word_tagged(corpus_path: Path) -> None:
    tagger = ner.NameTagger()
    text = normalize("قال الرئيس فلاديمير بوتين في موسكو ووزارة الدفاع الروسية اليوم إن دونالد ترامب وصل")
    count = len(ner.TOKEN.findall(text))
    label_of = {label: index for index, label in enumerate(tagger.labels)}
    names = [label for label in tagger.labels if label != "O"]
    patterns = [[(2, "B-PER"), (3, "I-PER")], [(2, "I-PER"), (3, "I-PER")], [(2, "B-PER"), (3, "B-PER")],
                [(2, "B-PER"), (3, "I-LOC")], [(2, "B-PER"), (4, "I-PER")], [(0, "I-ORG")], [(count - 1, "B-LOC")],
                [(4, "B-LOC"), (5, "I-LOC"), (7, "B-ORG"), (8, "I-ORG"), (9, "I-ORG"), (12, "B-PER")]]
    patterns += [[(i, names[(i * 7 + j) % len(names)]) for i in range(j % 3, count, 1 + j % 2)] for j in range(30)]
    for pattern in patterns:
        found = [(position, label_of[label]) for position, label in pattern if label in label_of]
        assert tagger._entities(text, 0, len(text), found) == _plain_entities(tagger, text, 0, len(text), found)
    tagged = 0
    for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 60):
        norm = normalize((record.title or "") + "\n") + clean_story(record.body).normalized
        ranges = ner.sentence_ranges(norm)
        words = [ner.TOKEN.findall(norm, start, end) for start, end in ranges]
        expected: list[ner.Entity] = []
        for (start, end), found in zip(ranges, tagger._names(words), strict=True):
            expected += _plain_entities(tagger, norm, start, end, found or [])
        assert tagger.tag_many([(norm, ranges)])[0] == expected
        tagged += len(expected)
    assert tagged > 100
