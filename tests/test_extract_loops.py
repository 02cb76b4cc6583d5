"""The compiled loops of extraction (archive/extract/_loops.c) give exactly what the Python and numpy code they
replace gives: the recognizer's labels to the last tie, every word of a text where it stands, and so the same
people, places and organizations for every article; bad input raises instead of reading out of bounds."""

from __future__ import annotations

import itertools
import random
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from archive.extract import loops, ner, people
from archive.extract.builder import build_articles
from archive.extract.readers import RawRecord, iter_raw_records
from archive.extract.report import IngestReport
from archive.text.normalize import normalize

needs_loops = pytest.mark.skipif(loops.COMPILED is None,
                                 reason="the compiled extraction loops are not built here (no C compiler at install, "
                                        "or NEWS_ARCHIVE_NO_KERNELS is set): the Python versions are in use")

HOSTILE_TEXTS = ["", "a", "ب", " ", "قال قال قال", "abc-abc abc", "x" * 5000, "ء" + "ي" * 3000 + " z",
                 "قال\u200cمحمد \U0001f600 محمد😀محمد", "ABC abc Abc", "٣٤ قال ١٢abc", "\u0620\u0621\u064a\u064b",
                 "ﻻ ﺎ لا", "\x00قال\x00"]


def _corpus_texts(corpus_path: Path, count: int) -> list[str]:
    return [normalize((record.title or "") + "\n" + record.body)
            for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), count)]


def _corpus_sentences(corpus_path: Path, count: int) -> list[list[str]]:
    sentences = []
    for text in _corpus_texts(corpus_path, count):
        sentences += [words for line in text.replace(".", "\n").split("\n") if (words := ner.TOKEN.findall(line))]
    return sentences


def test_the_extraction_loops_are_built_where_a_c_compiler_is() -> None:
    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler here: the install went on without the compiled loops, as setup.py allows")
    if loops._built is None:
        pytest.fail("a C compiler is here but archive/extract/_loops.c was not built: `pip install -e .` again")
    assert loops.COMPILED is not None or loops.os.environ.get("NEWS_ARCHIVE_NO_KERNELS")


def test_state_says_whether_extraction_is_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    if loops.COMPILED is not None:
        assert loops.state() == "compiled"
    monkeypatch.setattr(loops, "COMPILED", None)
    monkeypatch.setattr(loops, "_built", None)
    assert loops.state().startswith("Python (not built: no C compiler")
    monkeypatch.setattr(loops, "_built", object())
    assert loops.state() == "Python (NEWS_ARCHIVE_NO_KERNELS is set)"


@needs_loops
def test_compiled_decoder_gives_the_numpy_decoders_labels_on_real_sentences(corpus_path: Path) -> None:
    tagger = ner.NameTagger()
    sentences = _corpus_sentences(corpus_path, 300)
    sentences += [sentence[:cut] for sentence in sentences[:200] for cut in (1, 2, 3)]  # the shortest, at the edges
    compiled = tagger._names(sentences)
    tagger.decoder = None
    assert compiled == tagger._names(sentences)
    assert sum(found is not None for found in compiled) > 500


@needs_loops
@pytest.mark.parametrize("seed", range(6))
def test_compiled_decoder_breaks_ties_and_bounds_as_numpy_does_on_random_weights(seed: int) -> None:
    """Random scores, some rounded to a few values so that paths tie: the first of equal scores is taken the same
    way, and the bound that skips O words keeps the same words."""
    tagger = ner.NameTagger()
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(60)]
    tagger._ids([words])
    rows = len(tagger.word_ids) + 1
    scale = [0.1, 1.0, 3.0][seed % 3]
    table = rng.normal(0, scale, tagger.table[:rows].shape)
    table[:, 0, tagger.name_columns] += scale  # names often enough to decode
    tagger.transitions = rng.normal(0, 1, tagger.transitions.shape)
    if seed % 2:  # many exact ties
        table, tagger.transitions = np.round(table), np.round(tagger.transitions)
    table[0] = 0.0  # the padding row
    tagger.table = np.ascontiguousarray(table)
    stay = tagger.transitions[tagger.outside, tagger.outside]
    names = tagger.name_columns
    tagger.from_outside = tagger.transitions[tagger.outside, names] - stay
    tagger.from_name = tagger.transitions[names][:, names].max(0) - stay
    tagger.exit_gain = float(tagger.transitions[names, tagger.outside].max() - stay)
    tagger._model = (tagger.bos, tagger.eos, np.ascontiguousarray(tagger.transitions), tagger.outside,
                     np.array(names, dtype=np.int64), np.ascontiguousarray(tagger.from_outside),
                     np.ascontiguousarray(tagger.from_name), tagger.exit_gain)
    pick = random.Random(seed)
    sentences = [[pick.choice(words) for _ in range(pick.randint(1, 40))] for _ in range(300)]
    compiled = tagger._names(sentences)
    tagger.decoder = None
    assert compiled == tagger._names(sentences)
    assert sum(found is not None for found in compiled) > 30


@needs_loops
def test_compiled_decoder_refuses_ids_outside_its_table_and_lengths_that_do_not_add_up() -> None:
    tagger = ner.NameTagger()
    tagger._ids([["قال", "محمد"]])
    labels = len(tagger.labels)
    ids = np.array([1, 2], dtype=np.int64)
    decode = loops.COMPILED.decode  # type: ignore[union-attr]
    assert decode(tagger.table, labels, ids, np.array([2], dtype=np.int64), *tagger._model) is not None
    with pytest.raises(ValueError, match="outside the table"):
        decode(tagger.table, labels, np.array([1, len(tagger.table)], dtype=np.int64), np.array([2], dtype=np.int64),
               *tagger._model)
    with pytest.raises(ValueError, match="outside the table"):
        decode(tagger.table, labels, np.array([-1, 1], dtype=np.int64), np.array([2], dtype=np.int64),
               *tagger._model)
    for lengths in ([3], [1], [2, 1], [-1, 3]):
        with pytest.raises(ValueError, match="do not add up"):
            decode(tagger.table, labels, ids, np.array(lengths, dtype=np.int64), *tagger._model)
    with pytest.raises(ValueError, match="do not fit"):
        decode(tagger.table, labels + 1, ids, np.array([2], dtype=np.int64), *tagger._model)
    names = tagger._model[4].copy()
    names[-1] = labels
    bad_names = (*tagger._model[:4], names, *tagger._model[5:])
    with pytest.raises(ValueError, match="name label outside"):
        decode(tagger.table, labels, ids, np.array([2], dtype=np.int64), *bad_names)


@needs_loops
def test_compiled_token_ids_are_the_recognizers_token_pattern_with_their_places(corpus_path: Path) -> None:
    range_ids = loops.COMPILED.range_ids  # type: ignore[union-attr]
    # the same words in texts of each kind of str (Latin-1, two-byte, four-byte): one number each, one listing
    texts = _corpus_texts(corpus_path, 200) + HOSTILE_TEXTS + ["قال ٣٤ 12ab AB_cd ـ \u06fa\u06ff\u0670\u0671 ۰۱",
                                                               "abc zzq قال", "abc zzq", "zzq abc \U0001f600 قال"]
    batch = [(text, [(0, len(text)), (3, len(text) - 2), (len(text) // 2, len(text) // 2 + 80), (5, 2),
                     (-4, len(text) + 9)]) for text in texts]
    every = [match.group() for text, parts in batch for start, end in parts
             for match in ner.TOKEN.finditer(text, max(start, 0), end)]
    known = {word: number for number, word in enumerate(sorted(set(every))[::2], start=1)}  # half of the words
    ids, lengths, spans, missing, part_counts = range_ids(batch, ner._TOKEN_LETTER_RANGES, known, ner._STOPS)
    ids, lengths = np.frombuffer(ids, dtype=np.int64), np.frombuffer(lengths, dtype=np.int64)
    assert np.frombuffer(part_counts, dtype=np.int64).tolist() == [len(parts) for _, parts in batch]
    # each word missing from the dict is listed once, in the order met, and numbered -(its place + 1)
    assert missing == list(dict.fromkeys(word for word in every if word not in known))
    words = {number: word for word, number in known.items()} | {-(k + 1): word for k, word in enumerate(missing)}
    assert [words[number] for number in ids.tolist()] == every
    pairs = list(memoryview(spans).cast("i"))
    at = 0
    counts = iter(lengths.tolist())
    for text, parts in batch:
        for start, end in parts:
            count = next(counts)
            matches = list(ner.TOKEN.finditer(text, max(start, 0), end))
            assert count == len(matches)
            assert pairs[2 * at: 2 * (at + count)] == [where for match in matches for where in match.span()]
            at += count
    assert at == len(ids)
    # bad input raises
    for bad in ([("text", [(0, "x")])], [(1, [(0, 1)])], [("text",)], [(1, None)]):
        with pytest.raises((TypeError, ValueError)):
            range_ids(bad, ner._TOKEN_LETTER_RANGES, {}, ner._STOPS)
    with pytest.raises(ValueError, match="64 stop"):
        range_ids([("text", None)], ner._TOKEN_LETTER_RANGES, {}, "." * 65)


@needs_loops
def test_compiled_token_ids_of_a_texts_sentences_are_those_of_its_sentence_ranges(corpus_path: Path) -> None:
    """Parts None: the text cut into its sentences while it is tokenized, the same parts, tokens and numbers as
    sentence_ranges' ranges passed in (stops at a text's edges, in a row, beside line ends and spaces; no stop is
    a token)."""
    range_ids = loops.COMPILED.range_ids  # type: ignore[union-attr]
    texts = _corpus_texts(corpus_path, 200) + HOSTILE_TEXTS + [
        ".قال. . محمد.", "«قال» (محمد) [علي] {أحمد} | \"نعم\" “لا” ؟ ! ؛ :", "\n\n. \n", " a \n\t b . c ",
        "قال\u2028محمد", "x" * 50 + "." + "y"]
    known = {word: number for number, word in enumerate(sorted({w for t in texts for w in ner.TOKEN.findall(t)}))}
    explicit = range_ids([(text, ner.sentence_ranges(text)) for text in texts], ner._TOKEN_LETTER_RANGES, known,
                         ner._STOPS)
    found = range_ids([(text, None) for text in texts], ner._TOKEN_LETTER_RANGES, known, ner._STOPS)
    assert found == explicit
    assert sum(np.frombuffer(found[4], dtype=np.int64)) > 3000  # real sentences, not only empty texts


@needs_loops
def test_compiled_squeeze_joins_the_runs_as_split_and_the_letters_pattern_do(corpus_path: Path) -> None:
    """squeeze(text, False) is " ".join(text.split()) and squeeze(text, True) the letters-only key of cleaning.py,
    on articles raw and normalized and on hostile text: every Unicode space (U+001C-U+001F, U+3000 ...), digits of
    every script, underscores, numbers that are no digits (², ½), astral characters dropped (the result must still
    be a canonical str, equal to Python's)."""
    squeeze = loops.COMPILED.squeeze  # type: ignore[union-attr]
    not_letter = re.compile(r"[\W\d_]+")
    texts = [record.body for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 150)]
    texts += [normalize(text) for text in texts[:50]] + HOSTILE_TEXTS
    texts += ["  a  b ", "\u00a0x\u2003y\u3000", "a_b", "٣٤ abc ۵", "😀 x", "²½ x", "x\x1c\x1dy\x85z", "😀", "A"]
    for text in texts:
        assert squeeze(text, False) == " ".join(text.split())
        assert squeeze(text, True) == " ".join(not_letter.sub(" ", text).split())
        assert hash(squeeze(text, True)) == hash(" ".join(not_letter.sub(" ", text).split()))


def _python_word_index(text: str, monkeypatch: pytest.MonkeyPatch) -> people.WordIndex:
    with monkeypatch.context() as patch:
        patch.setattr(loops, "COMPILED", None)
        people.word_index.cache_clear()
        return people.word_index(text)


@needs_loops
def test_compiled_word_index_equals_the_regex_pass_on_articles_and_hostile_text(
        corpus_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for text in _corpus_texts(corpus_path, 300) + HOSTILE_TEXTS:
        people.word_index.cache_clear()
        index, starts, nexts = people.word_index(text)
        expected_index, expected_starts, expected_nexts = _python_word_index(text, monkeypatch)
        assert index == expected_index and list(starts) == expected_starts and list(nexts) == expected_nexts
    people.word_index.cache_clear()


@pytest.mark.parametrize("compiled", [True, False])
def test_every_whole_word_occurrence_is_found_and_nothing_inside_longer_words(compiled: bool,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    if compiled and loops.COMPILED is None:
        pytest.skip("the compiled extraction loops are not built here")
    if not compiled:
        monkeypatch.setattr(loops, "COMPILED", None)
    people.word_index.cache_clear()
    text = normalize("قال محمد وقال المحمدي: محمد، ال محمد ال-ال abc abcd محمد")
    found = people._occurrences(text, {"محمد", "ال", "abc", "قال", "غائب"})
    assert [(text[start:end], word) for start, end, word in found] == [
        ("قال", "قال"), ("محمد", "محمد"), ("محمد", "محمد"), ("ال", "ال"), ("محمد", "محمد"), ("ال", "ال"),
        ("ال", "ال"), ("abc", "abc"), ("محمد", "محمد")]
    assert [start for start, _, _ in found] == sorted(start for start, _, _ in found)
    # a wanted form that is no run of letters is still found whole (no caller asks for one today)
    assert [text[s:e] for s, e, _ in people._occurrences(text, {"ال-ال"})] == ["ال-ال"]
    assert people.text_words(text) == set(people._ALPHA_WORD.findall(text))
    people.word_index.cache_clear()


def test_articles_get_the_same_facets_with_and_without_the_compiled_loops(corpus_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if loops.COMPILED is None:
        pytest.skip("the compiled extraction loops are not built here")
    records = list(itertools.islice(iter_raw_records([corpus_path], IngestReport()), 0, 6000, 20))
    records += [RawRecord(origin=r.origin, body=r.body) for r in records[:60]]  # every facet from the text

    def facets() -> list[object]:
        people.word_index.cache_clear()
        return [getattr(result, "reason", None) or (result.title, result.persons, result.places,
                                                    result.organizations, result.source, result.published)
                for result in build_articles(records)]

    compiled = facets()
    with monkeypatch.context() as patch:
        patch.setattr(loops, "COMPILED", None)
        patch.setattr(ner.name_tagger(), "decoder", None)
        plain = facets()
    assert compiled == plain
    assert sum(len(found[1]) for found in compiled if isinstance(found, tuple)) > 300


@needs_loops
def test_compiled_word_scores_are_the_numpy_scorers_to_the_last_bit(corpus_path: Path) -> None:
    tagger = ner.name_tagger()
    words = sorted({word for text in _corpus_texts(corpus_path, 400) for word in ner.TOKEN.findall(text)})
    words += ["ب", "وب", "وبال", "وبالقاهرة", "123", "١٢٣", "،", "(", "abc", "ABC", "x", "ڤيكتور", "ـ", "ي" * 300]
    words += [word for text in HOSTILE_TEXTS for word in ner.TOKEN.findall(text)]
    expected = tagger.scorer.scores(words)
    score_words = loops.COMPILED.score_words  # type: ignore[union-attr]
    found = np.frombuffer(score_words(words, tagger.scorer.plan()), dtype=np.float64).reshape(expected.shape)
    assert np.array_equal(found, expected)
    assert len(words) > 20_000 and np.abs(expected).sum() > 0
    # bad input raises
    for bad_words in (["abc", ""], ["abc", 3]):
        with pytest.raises(TypeError):
            score_words(bad_words, tagger.scorer.plan())
    with pytest.raises((TypeError, ValueError)):
        score_words(["abc"], tagger.scorer.plan()[:-1])


@needs_loops
def test_compiled_normalization_of_a_whole_text_equals_normalize_then_the_spaces_squeezed(corpus_path: Path) -> None:
    """normalize_squeezed (one compiled pass: the character rules, case folding and runs of white space from one
    table) is normalize() then _SPACES's runs as one space, and _squeeze_spaces the substitution alone, on real
    articles raw and on text the table must hand back to str.lower() or to NFKC: dotted İ (two characters in lower
    case), a final sigma, letters above U+FFFF, circled letters, presentation forms (one holds spaces once folded),
    full-width letters, white space of every kind around deleted characters, and random code points of every
    plane."""
    from archive.extract import cleaning

    raw = [(record.title or "") + "\n" + record.body
           for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 300)]
    rng = random.Random(7)
    odd = ["İstanbul ÀÉ ß", "ΣΑΣ ΟΔΟΣ σ", "𐐀𐐁 𝐀𝐁", "Ⓐⓑ ǅ ǈ", "ﻻ ﷲ ＡＢＣ \ufdfa", "إِنَّ\u0640\u200b٣٤ قال",
           "ٱلْحَمْدُ", "a \u200b b\t\t c\u00a0\u3000d  \n  e \u064b f", " \t ", "\u200b \u200b"]
    odd += ["".join(chr(code) for code in (rng.randrange(0x110000) for _ in range(40)) if not 0xD800 <= code < 0xE000)
            for _ in range(2000)]
    odd += ["".join(rng.choice(" \t\u00a0\u2003\u200bأبـً\nXİ") for _ in range(30)) for _ in range(2000)]
    texts = raw + HOSTILE_TEXTS + odd
    assert [cleaning.normalize_squeezed(text) for text in texts] == [cleaning._SPACES.sub(" ", normalize(text))
                                                                      for text in texts]
    assert [cleaning._squeeze_spaces(text) for text in texts] == [cleaning._SPACES.sub(" ", text) for text in texts]
    # the compiled pass did the work for the articles (it gives up only where NFKC acts)
    table = cleaning._tables().normalized
    assert sum(loops.COMPILED.translate(text, table) is not None for text in raw) > 250  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="65,536"):
        loops.COMPILED.translate("abc", b"\0" * 8)  # type: ignore[union-attr]


@needs_loops
def test_compiled_plain_text_takes_out_exactly_what_normalize_deletes(corpus_path: Path) -> None:
    """people._plain (the text names are shown from: harakat, tatweel and zero-width marks out, NFKC first where a
    presentation form stands) in one compiled pass equals its regex way on real articles raw and on random text,
    presentation forms, marks and letters above U+FFFF among them."""
    import unicodedata

    raw = [(record.title or "") + "\n" + record.body
           for record in itertools.islice(iter_raw_records([corpus_path], IngestReport()), 300)]
    rng = random.Random(11)
    odd = ["".join(chr(code) for code in (rng.randrange(0x110000) for _ in range(40)) if not 0xD800 <= code < 0xE000)
           for _ in range(2000)]
    odd += ["".join(rng.choice("إِنَّ\u0640\u200bﻻ abc\u0675😀") for _ in range(30)) for _ in range(2000)]

    def plain_way(text: str) -> str:
        if people._NEEDS_NFKC.search(text):
            text = unicodedata.normalize("NFKC", text)
        return people._DELETE.sub("", text)

    texts = raw + HOSTILE_TEXTS + odd
    assert [people._plain.__wrapped__(text) for text in texts] == [plain_way(text) for text in texts]
    assert sum(loops.COMPILED.translate(text, people._plain_table()) is not None  # type: ignore[union-attr]
               for text in raw) > 250
