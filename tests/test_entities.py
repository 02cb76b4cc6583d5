"""Places and organizations: the registries and the recognizer together, canonical names, no adjectives, generic
nouns, people or page furniture; on real sentences and on a sample of the shared corpus."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from archive.extract.builder import build_article
from archive.extract.entities import (
    ORGANIZATION,
    PLACE,
    canonical_organization,
    canonical_place,
    entity_registry,
    extract_entities,
)
from archive.extract.people import person_mentions
from archive.extract.readers import iter_raw_records
from archive.extract.records import RawRecord
from archive.extract.report import IngestReport
from archive.text.normalize import normalize


def entities_of(text: str) -> tuple[list[str], list[str]]:
    """Places and organizations of TEXT as an article body, with the recognizer's windows as build_article has them."""
    people = person_mentions("", text)
    found = extract_entities("", text, entities=people.entities, people=people.mentions)
    return found.places, found.organizations


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("جمهورية مصر العربية", "مصر"), ("مصر", "مصر"), ("Egypt", "مصر"), ("المملكة العربية السعودية", "السعودية"),
    ("أمريكا", "الولايات المتحدة"), ("الولايات المتحدة الأميركية", "الولايات المتحدة"), ("USA", "الولايات المتحدة"),
    ("سورية", "سوريا"), ("اسطنبول", "إسطنبول"), ("قطاع غزة", "غزة"), ("القاهره", "القاهرة"),
])
def test_place_spellings_and_latin_names_have_one_canonical_name(spelling: str, canonical: str) -> None:
    assert canonical_place(spelling) == canonical


@pytest.mark.parametrize(("spelling", "canonical"), [
    ("الناتو", "حلف شمال الأطلسي"), ("NATO", "حلف شمال الأطلسي"), ("UN", "الأمم المتحدة"),
    ("مجلس الأمن", "مجلس الأمن الدولي"), ("حركة حماس", "حماس"), ("Hezbollah", "حزب الله"),
    ("الجامعة العربية", "جامعة الدول العربية"), ("تنظيم الدولة الإسلامية", "داعش"),
])
def test_organization_spellings_have_one_canonical_name(spelling: str, canonical: str) -> None:
    assert canonical_organization(spelling) == canonical


def test_a_place_is_not_an_organization_and_unknown_names_stay_as_given() -> None:
    assert canonical_organization("مصر") == "مصر"  # no organization of that name: tidied, not mapped
    assert canonical_place("  تل   الزعتر ") == "تل الزعتر"


def test_capital_is_a_city_not_its_country() -> None:
    places, _ = entities_of("أعلنت القاهرة أمس أن وفدا سيزور واشنطن الأسبوع المقبل.")
    assert places == ["القاهرة", "واشنطن"]


def test_names_with_proclitics_and_the_article_after_lam() -> None:
    places, organizations = entities_of("وصل الوفد إلى العراق ثم توجه للعراق مرة أخرى وبمصر ولسوريا، "
                                        "وقال متحدث باسم للأمم المتحدة إن لحزب الله موقفا.")
    assert places == ["العراق", "مصر", "سوريا"]
    assert organizations == ["الأمم المتحدة", "حزب الله"]


def test_longest_name_wins_club_over_city_and_national_council_over_security_council() -> None:
    places, organizations = entities_of("فاز ريال مدريد على برشلونة في مدريد. واجتمع مجلس الأمن القومي الأمريكي.")
    assert "ريال مدريد" in organizations and "مدريد" in places
    assert "مجلس الأمن الدولي" not in organizations


def test_ambiguous_short_forms_need_a_cue_or_context() -> None:
    # جدة (the city / "his grandfather"), الأهلي (the club / "civil"), فتح (the movement / "opened")
    assert entities_of("زار جده في المستشفى بعد الظهر.") == ([], [])
    assert entities_of("وفتح الباب أمام المجتمع الأهلي والعمل التطوعي.") == ([], [])
    places, organizations = entities_of("وصل إلى مدينة جدة. وفاز نادي الأهلي على الزمالك. وقالت حركة فتح إنها ترفض.")
    assert "جدة" in places and {"الأهلي", "الزمالك", "فتح"} <= set(organizations)


def test_nationality_adjectives_and_generic_nouns_are_not_names() -> None:
    places, organizations = entities_of("قال مسؤول روسي إن الجيش المصري والحكومة العراقية والشركة الأمريكية "
                                        "اتفقت. وأكد الجيش أن الحكومة ستجتمع.")
    assert not {"روسي", "المصري", "العراقية", "الأمريكية"} & set(places)
    assert not {"الجيش", "الحكومة", "الشركة"} & set(organizations)


@pytest.mark.parametrize(("text", "generic"), [
    # words the recognizer, reading every sentence, tags as places alone (shared corpus)
    ("وتقع الغوطة الشرقية في ريف دمشق، على مشارف العاصمة.", "ريف"),
    ("وسيطرت قوات التحالف العربي، الخميس، على مواقع استراتيجية جديدة في مديرية برط.", "مديرية"),
])
def test_a_generic_place_noun_alone_is_no_place(text: str, generic: str) -> None:
    places, _ = entities_of(text)
    assert generic not in places and places, places


def test_a_capital_the_recognizer_cuts_in_two_is_one_registered_place() -> None:
    places, _ = entities_of("واختتمت في العاصمة الإثيوبية أديس أبابا، الخميس، قمة قادة دول إيغاد.")
    assert places == ["أديس أبابا"]


def test_recognizer_adds_organizations_the_registry_lacks() -> None:
    _, organizations = entities_of("وقالت وزارة الداخلية السعودية في بيان إن شركة الراجحي كابيتال وقعت الاتفاق.")
    assert any("الداخلية" in name for name in organizations)
    assert all(name.split()[0] not in ("في", "من", "على") for name in organizations)


def test_registry_rows_are_well_formed() -> None:
    reg = entity_registry()
    kinds = Counter(entry.kind for entry in reg.entries if entry.type != "-")
    assert kinds[PLACE] >= 150 and kinds[ORGANIZATION] >= 100
    names = [(entry.kind, normalize(entry.name)) for entry in reg.entries]
    assert len(names) == len(set(names)), "a name twice in one registry"
    for entry in reg.entries:
        assert entry.name.strip() == entry.name and entry.type, entry.name


def test_seeds_places_come_from_the_story_not_the_furniture(seeds_dir: Path) -> None:
    path = seeds_dir / "001_fa708f07afe93bea.txt"
    article = build_article(RawRecord(origin=str(path), body=path.read_text(encoding="utf-8")))
    assert not isinstance(article, type(None)) and hasattr(article, "places")
    assert {"موسكو", "إدلب", "دير الزور", "الولايات المتحدة"} <= set(article.places)
    assert not {"لبنان", "فرنسا", "كندا", "الجزائر"} & set(article.places)  # the page's menu and teasers
    assert "روسي" not in article.places


def test_shared_corpus_sample_top_places_and_organizations_are_names(corpus_path: Path) -> None:
    """The 100 places and organizations most often found in a sample of the shared corpus (every 15th record):
    the common ones are registered, no top name is an adjective, a generic noun or opens with a preposition."""
    records = itertools.islice(iter_raw_records([corpus_path], IngestReport()), 0, 30_000, 15)
    places: Counter[str] = Counter()
    organizations: Counter[str] = Counter()
    for record in records:
        article = build_article(record)
        if hasattr(article, "places"):
            places.update(article.places)
            organizations.update(article.organizations)
    top_places = [name for name, _ in places.most_common(100)]
    top_organizations = [name for name, _ in organizations.most_common(100)]
    assert top_places[:3] and {"الولايات المتحدة", "روسيا", "إيران"} <= set(top_places[:10])
    assert {"الأمم المتحدة", "الاتحاد الأوروبي", "حزب الله"} <= set(top_organizations[:40])
    registered = {entry.name for entry in entity_registry().entries}
    assert sum(name in registered for name in top_places[:50]) >= 45
    for name in top_places + top_organizations:
        first = name.split()[0]
        assert first not in ("في", "من", "على", "إلى", "عن", "مع"), name
        assert normalize(name) not in ("الحكومه", "الجيش", "الشرطه", "الدوله", "المنطقه"), name
    assert not [name for name in top_places if name not in registered and len(name.split()) == 1
                and name.startswith("ال") and normalize(name).endswith(("يه", "يون", "يين"))]


def test_places_and_organizations_given_by_the_input_win_in_canonical_form(tmp_path: Path) -> None:
    import json

    from archive.index.writer import rebuild_index
    from archive.search.archive import Archive

    story = ("قال وزير الخارجية في مؤتمر صحفي عقده اليوم إن المحادثات مع الوفد الزائر تناولت ملفات التعاون "
             "الاقتصادي والأمني بين البلدين، وإن الجانبين اتفقا على مواصلة المشاورات خلال الأسابيع المقبلة. ") * 3
    records = [{"id": "given", "title": "مباحثات في العاصمة", "body": story, "places": ["جمهورية مصر العربية", "Paris"],
                "organizations": "الامم المتحده; حلف شمال الأطلسي"},
               {"id": "extracted", "title": "مباحثات في القاهرة", "body": "في القاهرة " + story}]
    path = tmp_path / "given.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    raws = list(iter_raw_records([path], IngestReport()))
    given = build_article(raws[0])
    assert given.places == [canonical_place("مصر"), canonical_place("باريس")]
    assert given.organizations == [canonical_organization("الأمم المتحدة"), canonical_organization("الناتو")]
    assert given.provenance["places"] == "given" and build_article(raws[1]).provenance["places"] == "text"
    assert "places" not in given.metadata and "organizations" not in given.metadata
    rebuild_index([path], tmp_path / "index", workers=1)
    archive = Archive.open(tmp_path / "index")
    assert [h.id for h in archive.search("", places=["مصر"]).hits] == ["given"]


def test_stats_list_places_and_organizations_as_browsing_everything_counts_them(seeds_dir: Path,
                                                                                  tmp_path: Path) -> None:
    from archive.index.writer import rebuild_index
    from archive.search.archive import Archive

    rebuild_index([seeds_dir], tmp_path / "index", workers=1)
    archive = Archive.open(tmp_path / "index")
    stats = archive.stats()
    everything = archive.search("", facet_limit=10_000).facets
    assert stats["places"] == dict(everything["place"]) and stats["distinct_places"] == len(everything["place"])
    assert stats["organizations"] == dict(everything["organization"]) and stats["distinct_organizations"] > 3


# Bare عمان is Oman (سلطنة عمان) or Amman (عمّان), spelled alike without vowels: the article decides. Sentences of the
# shared corpus (../shared/corpora/ant-multisource.jsonl.gz, the record id beside each).
AMMAN_AND_OMAN = [
    # the Jordanian capital named as such, and Jordan's officials beside it
    ("ant-BB-middleEast-17-20180214", "وقال تيلرسون في مؤتمر صحفي في العاصمة الأردنية عمان الأربعاء، "
     "\"نساند لبنانا حرا ديمقراطيا لا يخضع لنفوذ الآخرين\".", ["عمّان"]),
    ("ant-SK-middleEast-269-20180313", "أجرى وزير الخارجية الإماراتي، الشيخ عبد الله بن زايد آل نهيان، محادثات في عمان "
     "مع نظيره الأردني أيمن الصفدي. وركزت المباحثات على تعزيز التعاون الثنائي بين عمان وأبوظبي.", ["عمّان"]),
    ("ant-BB-middleEast-559-20180601", "وفي محافظة إربد وعجلون شمالي البلاد، قطع المحتجون الطرق وأحرقوا إطارات "
     "السيارات. وفي عمان أغلقت السيارات الطرق.", ["عمّان"]),
    # the sultanate named in full once, then bare; Omani context words (صلالة, ظفار العمانية)
    ("ant-AL-internationalNews-1314-20180525", "إعصار مكونو يقترب من ظفار العمانية. تتخذ سلطنة عُمان حالة التأهب "
     "القصوى. وقالت الهيئة العامة للطيران المدني إن السلطات ستغلق مطار صلالة، ثاني أكبر مطارات عمان، لمدة 24 ساعة.",
     ["سلطنة عمان"]),
    ("ant-AL-economy-621-20180520", "وكشفت بيانات المصارف المركزية أن النقد الأجنبي في الدول الخليجية بلغ 237 مليار "
     "دولار، فيما بلغ النقد الأجنبي لعمان نحو 6.99 مليار دولار.", ["سلطنة عمان"]),
    # the Gulf of Oman is a place of its own
    ("ant-SK-internationalNews-3298-20180809", "وأجرت إيران، في أوائل أغسطس، عمليات بحرية في الخليج ومضيق هرمز "
     "وخليج عمان.", ["خليج عمان"]),
    # no evidence either way (a list of national teams): neither
    ("ant-SK-sport-674-20180412", "أما المستوى الثالث، فيضم منتخبات قيرغزستان ولبنان وفلسطين وعمان والهند وفيتنام.",
     []),
]


@pytest.mark.parametrize(("record", "text", "expected"), AMMAN_AND_OMAN, ids=[r for r, _, _ in AMMAN_AND_OMAN])
def test_bare_oman_or_amman_is_decided_by_the_article(record: str, text: str, expected: list[str]) -> None:
    places, _ = entities_of(text)
    assert [p for p in places if p in ("عمّان", "سلطنة عمان", "خليج عمان", "عمان")] == expected, (record, places)


# عمّان written with its shadda is Amman whatever the article's other evidence: the mark is the text's own word.
AMMAN_WITH_SHADDA = [
    # a book credit in an article on an Algerian author: no Jordanian context word at all
    ("ant-AL-culture-591-20180716", "الفلاسفة والأنغام: مقاربات فلسفية في فن الموسيقى تأليف: كمال بومنير الناشر: "
     "دار الأيام للنشر والتوزيع، عمّان، 2018م"),
    # a list of capitals with the Omani capital nearer than any Jordanian word (the README's known limit)
    ("ant-AL-economy-709-20180602", "تواصلت الاحتجاجات في عمّان، فيما عقد وزراء المالية اجتماعهم في مسقط."),
    ("ant-AL-economy-709-20180602", "تواصلت الاحتجاجات في عمَّان، فيما عقد وزراء المالية اجتماعهم في مسقط."),
]


@pytest.mark.parametrize(("record", "text"), AMMAN_WITH_SHADDA, ids=[f"{r}-{i}" for i, (r, _) in
                                                                      enumerate(AMMAN_WITH_SHADDA)])
def test_amman_written_with_its_shadda_is_amman(record: str, text: str) -> None:
    places, _ = entities_of(text)
    assert "عمّان" in places and "سلطنة عمان" not in places, (record, places)


# "حزب العمال" alone after "حزب العمال الكردستاني" in the same article is the PKK, not the UK Labour party (BBC Arabic
# and Al Arabiya write the short form once the full name is given).
PKK_SHORT_FORM = [
    ("ant-BB-middleEast-127-20180303", "وتقول تركيا إن الوحدات مرتبطة بحزب العمال الكردستاني المحظور الذي يقاتل من "
     "أجل إقامة إقليم كردي مستقل منذ 1984، وتصنفه تنظيما \"إرهابيا\".\nلكن وحدات حماية الشعب تنفي بشكل قاطع أي "
     "روابط سياسية أو عسكرية بحزب العمال."),
    ("ant-AL-internationalNews-285-20180301", "وأضافت الوكالة أن المدعي طالب عقوبة السجن خمس سنوات للنائبة المتهمة "
     "بأنها \"شرعت\" في 2016 أعمال حزب العمال الكردستاني.\nويقضي عبدالله أوجلان الزعيم التاريخي لحزب العمال منذ "
     "1999 عقوبة بالسجن المؤبد على جزيرة ايمرالي. وأطلق حزب العمال منذ 1984 تمردا ضد أنقرة."),
]


@pytest.mark.parametrize(("record", "text"), PKK_SHORT_FORM, ids=[r for r, _ in PKK_SHORT_FORM])
def test_labour_party_short_form_after_the_pkk_in_full_is_the_pkk(record: str, text: str) -> None:
    _, organizations = entities_of(text)
    assert "حزب العمال الكردستاني" in organizations and "حزب العمال" not in organizations, (record, organizations)


def test_labour_party_alone_or_named_in_full_stays_labour() -> None:
    _, organizations = entities_of("فاز حزب العمال في الانتخابات البريطانية وقال زعيم حزب العمال إن الحكومة ستتغير.")
    assert organizations == ["حزب العمال"]
    _, organizations = entities_of("انتقد حزب العمال البريطاني الحكومة، فيما هاجمت أنقرة حزب العمال الكردستاني. "
                                   "وقال حزب العمال إنه سيصوت ضد القانون.")
    assert "حزب العمال" in organizations and "حزب العمال الكردستاني" in organizations


def test_when_both_have_evidence_the_nearest_decides() -> None:
    # ant-BB-middleEast-1013-20180928: the article names Jordan early, the Gulf states (سلطنة عمان among them), then
    # speaks of عمان beside the Gulf Cooperation Council: Oman
    text = ("اقترح ترامب إنشاء تحالف أمني من ست دول خليجية إضافة لمصر والأردن. والدول الخليجية الست هي السعودية "
            "والإمارات والكويت وقطر وسلطنة عمان والبحرين.\n" + "وأضاف التقرير أن المفاوضات ما زالت جارية. " * 20 +
            "\nكما أن الرؤية الأمريكية للحلف تشمل عمان، وقد ذكرت مصادر عسكرية في مجلس التعاون الخليجي أنه من "
            "المستبعد أن تقبل عمان التخلي عن دورها الحيادي.")
    places, _ = entities_of(text)
    assert "سلطنة عمان" in places and "عمّان" not in places
    # the same words with the Jordanian capital named beside the second mention: each mention its own
    text = ("زار الوزير الأردن وسلطنة عمان الشهر الماضي.\n" + "وأضاف التقرير أن المفاوضات ما زالت جارية. " * 20 +
            "\nوعاد الوفد إلى عمان حيث استقبله العاهل الأردني.")
    places, _ = entities_of(text)
    assert "سلطنة عمان" in places and "عمّان" in places


def test_shared_corpus_articles_on_jordan_name_amman_and_those_on_the_gulf_name_oman(corpus_path: Path) -> None:
    """Every article of the shared corpus writing عمان: where it names Jordan (الأردن, الأردني...) and no Omani
    context, the place found is عمّان; where it names Omani context and nothing of Jordan, سلطنة عمان."""
    jordan = ("الأردن", "الأردني", "الأردنية", "إربد", "الصفدي")
    oman = ("مسقط", "العماني", "العمانية", "صلالة", "قابوس", "سلطنة عمان", "السلطنة")
    checked = Counter()
    for record in iter_raw_records([corpus_path], IngestReport()):
        text = f"{record.title or ''}\n{record.body}"
        if "عمان" not in text:
            continue
        has_jordan, has_oman = any(w in text for w in jordan), any(w in text for w in oman)
        if has_jordan == has_oman:
            continue
        article = build_article(record)
        places = set(getattr(article, "places", ()))
        if has_jordan:
            assert "سلطنة عمان" not in places, (record.origin, places)
            checked["amman"] += "عمّان" in places
        else:
            assert "عمّان" not in places, (record.origin, places)
            checked["oman"] += "سلطنة عمان" in places
    # most such articles name the place (the others write عمان only inside a longer name: خليج عمان, ...)
    assert checked["amman"] >= 100 and checked["oman"] >= 10, checked


# Organizations the recognizer cut short: it often stops before the adjectives that end a name. Sentences of the
# shared corpus (record line in ../shared/corpora/ant-multisource.jsonl.gz beside each).
CUT_SHORT = [
    (2507, "اما سياسيا، فإنجه هو مرشح \"حزب الشعب الجمهوري\" العلماني اليساري المعارض.", "حزب الشعب الجمهوري"),
    (2267, "ومهد الطريق لعودة نواز شريف إلى رئاسة حزب الرابطة الإسلامية الحاكم بعد إقالته من رئاسة الحكومة.",
     "حزب الرابطة الإسلامية"),
    (3771, "وقدم كورديرو عرضا للملف بحضور عادل عزت رئيس اتحاد القدم السعودي وأبرز ما يتضمنه.", "اتحاد القدم السعودي"),
]


@pytest.mark.parametrize(("line", "text", "name"), CUT_SHORT, ids=[name for _, _, name in CUT_SHORT])
def test_an_organization_takes_the_adjectives_that_end_its_name(line: int | None, text: str, name: str) -> None:
    _, organizations = entities_of(text)
    assert name in organizations, (line, organizations)
    assert not [o for o in organizations if name.startswith(o + " ")], organizations


def test_the_imf_written_short_is_the_imf() -> None:
    # ant-multisource line 661: the title writes صندوق النقد, the story صندوق النقد الدولي: one organization
    _, organizations = entities_of("صندوق النقد يتوقع انضمام 3.5 مليون مصري لسوق العمل\nقال مدير بعثة صندوق النقد "
                                   "الدولي لمصر، سوبير لال، إن مصر تمتلك إمكانات هائلة.")
    assert organizations == ["صندوق النقد الدولي"]


def test_a_registered_organization_does_not_take_a_description_after_it() -> None:
    # "الإرهابي", "الشيعي": what the article says about حزب الله, not its name; "الحالي": no adjective of a name
    _, organizations = entities_of("وصنفت الحكومة حزب الله الإرهابي منظمة محظورة. وقال نادي اتحاد جدة الحالي إنه يرفض.")
    assert "حزب الله" in organizations and not [o for o in organizations if o.startswith("حزب الله ")]
    assert not [o for o in organizations if o.endswith("الحالي")]
