"""The learned name recognizer: names the registry does not know are found in raw news text, its own decoder
gives crfsuite's tags, junk is kept out (prepositions, common words, things named after people), and the
held-out evaluation split never overlaps the training blocks."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest

from archive.extract.builder import build_article, build_articles
from archive.extract.ner import MODEL_FILE, FeatureCache, gazetteer, name_tagger, word_features
from archive.extract.people import extract_people, person_mentions
from archive.extract.readers import iter_raw_records
from archive.extract.report import IngestReport

ROOT = Path(__file__).resolve().parent.parent
NEWSFANE = ROOT.parent / "shared" / "corpora" / "ner" / "NewsFANE_Gold_2014.txt"
CORPUS = ROOT.parent / "shared" / "corpora" / "ant-multisource.jsonl.gz"
FILLER = "وتناولت المحادثات العلاقات الثنائية والتعاون الاقتصادي بين البلدين في مختلف المجالات."


def people(text: str) -> list[str]:
    return extract_people("", text + "\n" + FILLER)


def test_the_model_ships_with_its_licence_note() -> None:
    assert MODEL_FILE.exists() and MODEL_FILE.stat().st_size > 100_000
    notice = (MODEL_FILE.parent / "ner-model-NOTICE.txt").read_text(encoding="utf-8")
    assert "Creative Commons Attribution-ShareAlike 3.0" in notice and "Alotaibi" in notice


@pytest.mark.parametrize(("text", "expected"), [
    # names no registry row and no given name list knows, from their context
    ("وقال رئيس الاتحاد برند غوتشولك إن السوق تفتقر إلى الوضوح.", "برند غوتشولك"),
    ("وأعلن المدرب الإسباني خولين لوبيتيغي تشكيلة الفريق للمباراة المقبلة.", "خولين لوبيتيغي"),
])
def test_unregistered_names_are_found(text: str, expected: str) -> None:
    assert expected in people(text)


def test_a_family_name_alone_later_is_the_same_person() -> None:
    text = "وقال رئيس الاتحاد برند غوتشولك إن السوق صعبة. وأضاف غوتشولك أن الصادرات ستتراجع."
    found = person_mentions("", text)
    assert found.names == ["برند غوتشولك"]
    assert [m.name for m in found.mentions] == ["برند غوتشولك", "برند غوتشولك"]


@pytest.mark.parametrize("text", [
    "وأكد الوزير على ضرورة الالتزام بالاتفاق.",
    "وشدد المسؤول على مدار الساعة على أهمية التعاون.",
    "وحصل الكاتب على جائزة نوبل للآداب عام 1988.",
    "ووصل الوفد إلى مطار فنوكوفو الدولي في موسكو.",
    # named after a king or a sheikh: the honorific between the thing and the name
    "وعبر جسر الملك فهد آلاف المسافرين.",
    "وحصل على جائزة الشيخ زايد للكتاب.",
    "ونقل إلى مستشفى الملك فيصل التخصصي بالرياض.",
])
def test_no_person_from_prepositions_prizes_or_places_named_after_people(text: str) -> None:
    assert people(text) == []


def test_no_person_starts_with_a_preposition() -> None:
    for name in people("وقال على مدار الساعة إن الوضع مستقر. وأكد على ضرورة الحل."):
        assert name.split()[0] not in {"على", "في", "من", "عن", "إلى"}, name


def mentioned(text: str) -> list[tuple[str, str]]:
    """(the words of each person mention, the person) in TEXT as an article body."""
    found = person_mentions("", text)
    return [(text[m.start - 1: m.end - 1], m.name) for m in found.mentions]


# Arabic name structure, on sentences of the shared corpus: a name after بن is the father's, and the son is the person;
# بن أبي / آل need the word after them.
def test_a_registry_name_after_bin_names_the_son_not_the_father() -> None:
    # ant-AL-economy-164-20180305 (محمد بن راشد آل مكتوم is in the registry; his son is not)
    text = ("وقالت وكالة أنباء الإمارات (وام) الرسمية إن الشيخ حمدان بن محمد بن راشد آل مكتوم ولي عهد دبي أمر بعدم "
            "زيادة الرسوم.")
    assert people(text) == ["حمدان بن محمد بن راشد آل مكتوم"]


def test_a_name_ending_in_bin_abi_takes_the_word_after_it() -> None:
    # ant-AL-internationalNews-455-20180313
    assert "علي بن أبي طالب" in people("واعتبر أن رئيس الجمهورية اللبنانية، ميشال عون، من أحفاد علي بن أبي طالب.")


def test_a_registry_mention_is_the_name_without_its_title_and_with_the_family_after_it() -> None:
    # ant-AL-internationalNews-279-20180301: the registry knows "الشيخ تميم"; the name written is تميم بن حمد آل ثاني
    text = ("لم تنشر وكالة الأنباء القطرية ما دار في اتصال الرئيس الأميركي، دونالد ترمب، بأمير قطر الشيخ تميم بن حمد "
            "آل ثاني حول التهديدات الإقليمية.")
    assert ("تميم بن حمد آل ثاني", "تميم بن حمد") in mentioned(text)


def test_a_rare_family_name_opening_with_ba_is_kept() -> None:
    # NewsFANE (dev fifth): برودي is not ب + رودي, a word the corpus rarely uses
    text = ("أعلن بيان لرئاسة مجلس الوزراء الإيطالي أن رئيس الحكومة الإيطالي رومانو برودي اتفق مع الرئيس الفرنسي "
            "جاك شيراك على ضرورة المشاركة.")
    assert "رومانو برودي" in people(text) and "رومانو" not in people(text)


def test_a_family_name_after_another_given_name_is_another_person() -> None:
    # NewsFANE (dev fifth): two people named فهمي in one article
    text = "تشارك في مسلسل من إخراج أحمد فهمي. ويعرض مسلسل قلب الدنيا من بطولة الفنانة تيسير فهمي وتأليف محمد رفعت."
    found = mentioned(text)
    assert ("فهمي", "أحمد فهمي") not in found and "تيسير فهمي" in people(text)


def test_a_full_name_met_again_outside_the_recognizers_windows_counts() -> None:
    # no cue word near the second one: it used to count as the family name alone, one word of the name
    text = ("وأعلن المدرب الإسباني خولين لوبيتيغي تشكيلة الفريق للمباراة المقبلة.\n"
            "وكان خولين لوبيتيغي قد استبعد ثلاثة لاعبين من التشكيلة الأساسية.")
    assert mentioned(text) == [("خولين لوبيتيغي", "خولين لوبيتيغي")] * 2


@pytest.mark.skipif(not NEWSFANE.exists(), reason=f"NewsFANE not found at {NEWSFANE}")
def test_own_decoder_gives_crfsuite_tags_and_the_split_is_disjoint() -> None:
    import pycrfsuite

    sys.path.insert(0, str(ROOT / "bench"))
    from ner_data import read_sentences, split

    parts = split(read_sentences())
    ids = {name: {id(block[0]) for block in blocks} for name, blocks in parts.items()}
    assert not ids["test"] & ids["train"] and not ids["test"] & ids["dev"]
    assert len(parts["test"]) == len(parts["dev"]) and len(parts["train"]) > 3 * len(parts["test"])
    tagger = name_tagger()
    assert tagger is not None
    reference = pycrfsuite.Tagger()
    reference.open(str(MODEL_FILE))
    cache = FeatureCache(gazetteer())
    sentences = [sentence for block in parts["test"][:10] for sentence in block]
    ours = tagger.tag_sentences([s.words for s in sentences])
    theirs = [reference.tag(cache.sentence(s.words)) for s in sentences]
    assert ours == theirs
    assert any(tag != "O" for tags in ours for tag in tags)


def test_the_model_read_from_its_dump_is_what_pycrfsuite_reads() -> None:
    """read_model parses crfsuite's text dump with three regex passes instead of pycrfsuite's line parser: the same
    labels, state features (in the same order: the tagger numbers attributes by first appearance) and transitions."""
    import pycrfsuite

    from archive.extract.ner import read_model

    reference = pycrfsuite.Tagger()
    reference.open(str(MODEL_FILE))
    info = reference.info()
    weights = read_model(MODEL_FILE)
    assert weights.labels == info.labels and len(weights.labels) >= 7
    assert list(weights.state_features.items()) == list(info.state_features.items())
    assert weights.transitions == info.transitions and len(weights.state_features) > 10_000


@pytest.mark.parametrize(("text", "expected"), [
    # no given name, title or verb of saying near them: the recognizer reads every sentence
    ("وكان يلتسين إصلاحيا حاول بناء رأسمالية فعالة.", ["يلتسين"]),
    ("ورفض ايكاردي العرض المقدم من النادي.", ["ايكاردي"]),
    # no word of it is a given name, a registry name or in the corpus lexicon
    ("وشاركت ميلودزي مبولاني في المسيرة.", ["ميلودزي مبولاني"]),
])
def test_a_name_with_no_cue_word_near_it_is_found(text: str, expected: list[str]) -> None:
    assert people(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("وقال الزعيمان في بيان مشترك إن", []),  # "the two leaders", which the recognizer reads as a person
    ("وقال البرهان في بيان إن الجيش", ["البرهان"]),  # a name the corpus knows (the person lexicon)
    # Latin letters: a product or a film, not a person ("آيفون X"); the director after it is
    ("وكشفت آبل عن هاتف آيفون X الجديد.", []),
    ("وعرض فيلم the insult للمخرج زياد دويري.", ["زياد دويري"]),
])
def test_a_lone_word_with_the_article_or_a_latin_word_is_a_person_only_with_evidence(
        text: str, expected: list[str]) -> None:
    assert people(text) == expected


def test_the_corpus_person_lexicon_keeps_names_and_leaves_out_what_is_tagged_alone_or_as_a_place() -> None:
    names = gazetteer().corpus_names
    assert {"يلتسين", "ايكاردي", "لافروف"} <= names
    # tagged a person in the corpus, but never inside a longer name (a league, a film, a bank) or as often a place
    assert not {"بوندسليغا", "كفرناحوم", "باركليز", "هونغ", "كونغ"} & names


def test_letters_the_segmentation_cut_off_a_name_are_put_back() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from ner_data import _rejoin

    def words(tokens: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(word, tag) for word, tag, _ in _rejoin(tokens)]

    # a first letter taken for a proclitic, a last letter taken for a pronoun, an alef cut off a word
    assert words([("ف", "B-Politician"), ("يصل", "I-Politician"), ("بن", "I-Politician")]) == [
        ("فيصل", "B-Politician"), ("بن", "I-Politician")]
    assert words([("مصطفي", "B-Artist"), ("فهم", "I-Artist"), ("ي", "I-Artist"), ("و", "O"), ("قال", "O")]) == [
        ("مصطفي", "B-Artist"), ("فهمي", "I-Artist"), ("وقال", "O")]
    assert words([("طائرات", "O"), ("ا", "O"), ("سرائيليه", "O")]) == [("طائرات", "O"), ("اسرائيليه", "O")]
    # an abbreviation's letters stay apart; a lone و before a name still joins it; a pronoun still joins its word
    assert words([("(", "O"), ("ا", "B-Media"), ("ف", "I-Media"), ("ب", "I-Media"), (")", "O")]) == [
        ("(", "O"), ("ا", "B-Media"), ("ف", "I-Media"), ("ب", "I-Media"), (")", "O")]
    assert words([("و", "O"), ("شيراك", "B-Politician"), ("ان", "O"), ("ه", "O")]) == [
        ("وشيراك", "B-Politician"), ("انه", "O")]


@pytest.mark.skipif(not CORPUS.exists(), reason=f"shared corpus not found at {CORPUS}")
def test_articles_built_together_get_the_people_they_get_one_at_a_time() -> None:
    records = list(itertools.islice(iter_raw_records([CORPUS], IngestReport()), 300))
    records += list(iter_raw_records([ROOT / "seeds"], IngestReport()))
    alone = [build_article(raw) for raw in records]
    together = list(build_articles(records, batch=29))  # batches that end mid-way, with skipped records among them
    assert together == alone
    assert sum(len(getattr(a, "persons", [])) for a in together) > 300


def test_word_vector_clusters_are_features_of_a_word_and_lent_to_its_neighbours() -> None:
    gaz = gazetteer()
    assert len(gaz.vector_clusters) > 50_000
    # a name the corpus met often, and with a proclitic it never met it with (the word's core finds the clusters)
    assert "فماكرون" not in gaz.vector_clusters
    for word in ("ماكرون", "فماكرون"):
        own, lent = word_features(word, gaz)
        coarse, middle, fine = gaz.vector_clusters["ماكرون"]
        assert {"v1=" + coarse, "v2=" + middle, "v3=" + fine} <= set(own)
        assert "v2=" + middle in lent and not any(f.startswith(("v1=", "v3=")) for f in lent)
    # names of one kind share a cluster: transliterated heads of state at the middle granularity
    assert gaz.vector_clusters["بوتين"][1] == gaz.vector_clusters["اردوغان"][1] == gaz.vector_clusters["ماكرون"][1]
    # a word the corpus never met has none
    assert not any(f.startswith("v") and "=" in f for f in word_features("قزحبلوطيس", gaz)[0])


def test_given_names_that_are_also_words_have_a_flag_of_their_own() -> None:
    gaz = gazetteer()
    # علي is also على, حكمت "it ruled", أمل "hope": the model weighs them apart from names that are only names
    for word in ("علي", "حكمت", "امل"):
        own, _ = word_features(word, gaz)
        assert "g=agiven" in own and "g=given" not in own
    for word in ("سهير", "محمد", "ميرفت"):
        own, _ = word_features(word, gaz)
        assert "g=given" in own and "g=agiven" not in own
