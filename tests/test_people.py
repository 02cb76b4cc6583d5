"""People: registry names and variants merged under one canonical name, ambiguous short forms only with
evidence, names discovered from their titles, and no titles or places taken for people."""

from __future__ import annotations

import pytest

from archive.extract.ner import TOKEN
from archive.extract.people import _trim_name, canonical_person, extract_people, person_mentions, registry, skeleton
from archive.text.normalize import normalize

FILLER = "وتناولت المحادثات العلاقات الثنائية والتعاون الاقتصادي بين البلدين في مختلف المجالات."


def people(text: str) -> list[str]:
    return extract_people("", text + "\n" + FILLER)


@pytest.mark.parametrize(("text", "expected"), [
    # spelling variants of one person
    ("قال ديمتري بيسكوف للصحفيين", ["دميتري بيسكوف"]),
    ("قال دميتري بيسكوف للصحفيين", ["دميتري بيسكوف"]),
    ("وصرح المتحدث باسم الكرملين ديميتري بيسكوف بأن", ["دميتري بيسكوف"]),
    # full name, short form and title+name: one person
    ("استقبل الرئيس الروسي فلاديمير بوتين ضيفه. وقال بوتين إن الزيارة مهمة.", ["فلاديمير بوتين"]),
    ("وقال بوتين إن الزيارة مهمة.", ["فلاديمير بوتين"]),
    # hamza variants fold
    ("وقال أردوغان إن تركيا مستعدة", ["رجب طيب أردوغان"]),
    ("وقال اردوغان إن تركيا مستعدة", ["رجب طيب أردوغان"]),
    ("وقال الرئيس التركي رجب طيب اردوغان", ["رجب طيب أردوغان"]),
    # proclitics and لل
    ("وأكد لبوتين أن الأمر محسوم، ووصف ذلك بالأسد الجريح. وقالت مصادر في دمشق إن للأسد حلفاء", ["فلاديمير بوتين",
                                                                                              "بشار الأسد"]),
])
def test_canonical_names_merge_variants(text: str, expected: list[str]) -> None:
    assert people(text) == expected


def test_ambiguous_short_form_needs_evidence() -> None:
    lions = "زار الأطفال حديقة الحيوان حيث شاهدوا الأسد وهو يزأر، وقالت المرشدة إن الأسد ملك الغابة."
    assert people(lions) == []
    assert people("وقال الرئيس الأسد إن البلاد ستنتصر") == ["بشار الأسد"]  # a title right before it
    assert people("التقى الأسد نظيره في دمشق") == ["بشار الأسد"]  # a context word of the person
    assert people("استقبل بشار الأسد ضيوفه. ثم قال الأسد كلمة.") == ["بشار الأسد"]  # the full name is here


def test_an_ambiguous_short_form_describing_the_noun_before_it_is_no_person() -> None:
    # "هجوم بري": a ground attack, in an article about Lebanon (a context word of نبيه بري)
    attack = "وأكد الأمين العام أن أي هجوم بري إسرائيلي على لبنان سيمثل تصعيدا خطيرا للغاية."
    assert people(attack) == []
    assert people("وقال رئيس مجلس النواب نبيه بري إن لبنان لن يقبل. وأضاف بري أن الحوار مستمر.") == ["نبيه بري"]
    assert people("واستقبل بري في عين التينة السفير. وقال بري إن لبنان يرفض الهجوم.") == ["نبيه بري"]


def test_shared_short_form_goes_to_the_person_named_in_full() -> None:
    text = "قال رئيس الوزراء العراقي نوري المالكي إن الحكومة مستمرة. وأضاف المالكي أن الانتخابات قريبة."
    assert people(text) == ["نوري المالكي"]


def test_family_name_after_another_given_name_is_someone_else() -> None:
    assert "الملك سلمان بن عبد العزيز" not in people("وقال الأمير خالد بن سلمان إن المملكة ملتزمة")


@pytest.mark.parametrize(("text", "expected"), [
    ("وقال وزير الخارجية السوري فيصل المقداد إن", ["فيصل المقداد"]),
    ("وقال المتحدث باسم الكرملين دميتري بيسكوف", ["دميتري بيسكوف"]),
    ("نقلت الصحيفة عن الخبير في مجلس الشؤون الدولية الروسية كيريل سيميونوف أن الأسد يحاول",
     ["كيريل سيميونوف"]),
    ("وقال الناطق باسم وزارة الدفاع بموسكو ايغور كوناشنيكوف إن", ["إيغور كوناشينكوف"]),
    ("وقال وزير الدفاع العماد علي عباس إن", ["علي عباس"]),
    ("وقال السفير الفرنسي جان بيير دوماس إن", ["جان بيير دوماس"]),
    ("ومن الجانب الروسي ألكسندر يفيموف سفير روسيا لدى دمشق، وإيريك فايزولين رئيس اللجنة", ["ألكسندر يفيموف",
                                                                                          "إيريك فايزولين"]),
])
def test_discovery_from_titles_and_roles(text: str, expected: list[str]) -> None:
    assert people(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a three-part name runs through the father's name to a family nisba
    ("وقال رئيس الوزراء العراقي محمد شياع الكعبي إن الحكومة ستواصل عملها", ["محمد شياع الكعبي"]),
    ("وأكد رئيس البرلمان سليم فارس الجبوري أن الجلسة ستعقد غدا", ["سليم فارس الجبوري"]),
    ("وقال الوزير خالد عبد الله الحمادي خلال المؤتمر", ["خالد عبد الله الحمادي"]),
    # ... but not into what follows the name: a nationality, a role word, a verb, a day, or over a comma
    ("وقال السفير جون سميث الأمريكي إن", ["جون سميث"]),
    ("وقال الوزير فيصل المقداد خلال المؤتمر", ["فيصل المقداد"]),
    ("وقال الوزير جون مارتن الحالي إن", ["جون مارتن"]),
    ("التقى المبعوث جون سميث، الفلسطيني الأصل، الوفد", ["جون سميث"]),
    ("وقال الوزير خالد حمدان السابق إن", ["خالد حمدان"]),
    # an ambiguous given name (also a word) after a title and its qualifiers opens a name
    ("وقال رئيس الحكومة اللبنانية نجيب ميقاتي إن", ["نجيب ميقاتي"]),
    ("وقال رئيس الحكومة اللبنانية نجيب حداد إن", ["نجيب حداد"]),
    ("وأعلن وزير الرياضة المغربي سعيد بنموسى أن", ["سعيد بنموسى"]),
    # ... but not when it is a word there
    ("وأعلن وزير الخارجية على هامش القمة أن الاتفاق قريب.", []),
    ("وقال وزير المالية سعيد بالنتائج التي تحققت", []),
    ("وقال مسؤول تركي كبير إن المحادثات مستمرة", []),
    ("وتوفي الفنان الكبير عن عمر يناهز تسعين عاما", []),
    ("ونقل الموفد الأميركي شريف وابنته إلى المستشفى", []),
    # a name cut off by a hashtag is the registry person it opens
    ("قال الرئيس التركي رجب طيب #أردوغان إن", ["رجب طيب أردوغان"]),
])
def test_discovery_of_three_part_and_ambiguous_names(text: str, expected: list[str]) -> None:
    assert people(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # figures of 2019-2026 news, under one name whatever the spelling
    ("قال رئيس الوزراء محمد شياع السوداني إن الحكومة ماضية", ["محمد شياع السوداني"]),
    ("وقال رئيس الحكومة اللبنانية نجيب ميقاتي إن لبنان يمر بأزمة. وأضاف ميقاتي أن", ["نجيب ميقاتي"]),
    ("والتقى الرئيس جوزيف عون رئيس الحكومة نواف سلام في بعبدا", ["جوزيف عون", "نواف سلام"]),
    ("وقال الرئيس الأوكراني فولوديمير زيلنسكي إن كييف صامدة. وأكد زيلينسكي", ["فولوديمير زيلينسكي"]),
    ("واستقبل أحمد الشرع الوفد في دمشق. وقال الشرع إن سوريا تفتح صفحة جديدة", ["أحمد الشرع"]),
    ("وكان أبو محمد الجولاني قائدا للهيئة. وقال الجولاني إن", ["أحمد الشرع"]),
    ("وقال الرئيس الإيراني مسعود بزشكيان إن طهران. وأضاف بيزشكيان", ["مسعود بزشكيان"]),
    ("وقال وزير الخارجية الإيراني عباس عراقجي إن", ["عباس عراقجي"]),
    ("وقال وزير الدفاع يوآف جالانت إن الجيش. وأضاف غالانت", ["يوآف غالانت"]),
    ("وقال أنتوني بلينكن إن واشنطن. وأضاف بلينكين", ["أنتوني بلينكن"]),
    ("والتقى هاكان فيدان نظيره. وقال فيدان إن أنقرة", ["هاكان فيدان"]),
    ("وقال الرئيس عبدالمجيد تبون إن الجزائر. وأكد تبون", ["عبد المجيد تبون"]),
    ("وقال الرئيس التونسي قيس سعيّد إن", ["قيس سعيد"]),
    ("وقال ايتمار بن جفير إن. ورد سموتريتش", ["إيتمار بن غفير", "بتسلئيل سموتريتش"]),
    # short forms that are also words, or other people's names, need evidence
    ("وتحدث التقرير عن السلام والأمن في المنطقة، وقال إن سلام الشجعان ممكن.", []),
    ("وأصدر الرئيس السوداني عمر البشير مراسيم جديدة", ["عمر البشير"]),
    ("وأدت الأزمة بشكل رئيسي إلى ارتفاع الأسعار في إيران", []),
    ("وقال إن أحكام الشرع واضحة في هذه المسألة", []),
    ("وأطلقت القوات الذخيرة الحية على المتظاهرين في غزة وقالت حماس إن", []),
    ("وترأس الوزير الاجتماع في لندن، وقال إنه تراس لجنة بريطانية", []),
    ("وقال الأمين العام لحزب الله إن المقاومة. والتقى قاسم الأعرجي وزير الداخلية", ["قاسم الأعرجي"]),
])
def test_current_figures_and_their_ambiguous_short_forms(text: str, expected: list[str]) -> None:
    assert people(text) == expected


def test_discovered_spelling_variants_merge_within_an_article() -> None:
    text = "قال الخبير كيريل سيميونوف إن اللقاء مهم. وأضاف الخبير كيريل سيمينوف أن موسكو تدعم دمشق."
    assert people(text) == ["كيريل سيميونوف"]


@pytest.mark.parametrize("text", [
    "وقال الرئيس الروسي إن بلاده مستعدة للحوار.",
    "وأكد وزير الدفاع على أن الجيش جاهز.",
    "وأعلن وزير الخارجية على هامش القمة أن الاتفاق قريب.",
    "قال المتحدث باسم الخارجية الأمريكية إن واشنطن تراقب الوضع.",
    "وأشار رئيس الوزراء إلى أن الحكومة ستعلن خطتها يوم الأحد.",
    "وقال مسؤول في وزارة الدفاع الروسية إن القوات انسحبت من المدينة.",
    "وزار الرئيس الفرنسي موسكو ودمشق وبيروت خلال جولته.",
])
def test_titles_and_places_alone_are_not_people(text: str) -> None:
    assert people(text) == []


def test_canonical_person_for_given_metadata() -> None:
    assert canonical_person("ديمتري بيسكوف") == "دميتري بيسكوف"
    assert canonical_person("بوتين") == "فلاديمير بوتين"
    assert canonical_person("اردوغان") == "رجب طيب أردوغان"
    assert canonical_person("الأسد") == "بشار الأسد", "a persons field names a person: the lion reading is out"
    assert canonical_person("المالكي") == "المالكي", "shared by two people: kept as given"
    assert canonical_person("  فلان   الفلاني ") == "فلان الفلاني"


def test_registry_is_large_and_every_canonical_name_finds_itself() -> None:
    reg = registry()
    assert len(reg.people) >= 250
    assert len({p.name for p in reg.people}) == len(reg.people), "one row per person"
    for person in reg.people:
        found = extract_people("", f"وقال {person.name} في تصريح صحفي.")
        assert person.name in found, person.name


def test_skeleton_meets_transliteration_variants() -> None:
    assert skeleton("دميتري") == skeleton("ديمتري") == skeleton("ديميتري")
    assert skeleton("سيميونوف") == skeleton("سيمينوف")


def test_spellings_of_one_unregistered_person_merge_across_the_archive() -> None:
    from archive.extract.people import merge_spellings

    shown = merge_spellings({"فيليب كوتينيو": 57, "فيليبي كوتينيو": 40, "بيب جوارديولا": 4, "بيب غوارديولا": 10,
                             "عثمان دمبلي": 10, "عثمان ديمبلي": 30, "أحمد الطيب": 3, "أحمد طيب": 2})
    assert shown["فيليبي كوتينيو"] == shown["فيليب كوتينيو"] == "فيليب كوتينيو"
    assert shown["بيب جوارديولا"] == "بيب غوارديولا" and shown["عثمان دمبلي"] == "عثمان ديمبلي"
    assert shown["أحمد طيب"] == "أحمد الطيب"


def test_different_people_sharing_a_family_name_or_consonants_never_merge() -> None:
    from archive.extract.people import merge_spellings

    shown = merge_spellings({"محمد عباس": 5, "محمود عباس": 100, "سعد الحريري": 50, "سعيد الحريري": 3,
                             "رفيق الحريري": 20, "بهية الحريري": 4, "ترامب": 9})
    assert shown == {}


@pytest.mark.parametrize(("text", "expected"), [
    # women's given names open a name after a title as men's do, by the rules alone (no recognizer)
    ("وقالت الفنانة سهير البابلي إن المسلسل سيعرض في رمضان", ["سهير البابلي"]),
    ("وأكدت الوزيرة ميرفت التلاوي أن المجلس سيجتمع", ["ميرفت التلاوي"]),
    ("وقالت النائبة عبير صبري إن القانون جاهز", ["عبير صبري"]),
    ("وقالت الفنانة رنيم الشامي إن العرض تأجل", ["رنيم الشامي"]),
    # an Arabic given name opening with و is no conjunction ("وفيق", as "وليد")
    ("وصرح المتحدث وفيق صفا بأن المفاوضات مستمرة", ["وفيق صفا"]),
    # a given name that is also a word ("hope", "ruled") still needs its title right before it
    ("وقال إن لدينا أمل كبير في الحل", []),
    ("وحكمت المحكمة على المتهم بالسجن", []),
])
def test_given_names_of_women_open_names_by_the_rules_alone(text: str, expected: list[str]) -> None:
    assert person_mentions("", text + "\n" + FILLER, use_model=False).names == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("وسمو الشيخ حمدان بن محمد", "حمدان بن محمد"),
    ("صاحب السمو الشيخ محمد بن راشد", "محمد بن راشد"),
    ("فخامة الرئيس ميشال عون", "ميشال عون"),
    ("ومعالي الوزير خالد الفالح", "خالد الفالح"),
])
def test_honorifics_of_address_are_not_part_of_the_name(name: str, expected: str) -> None:
    norm = normalize(name)
    assert " ".join(t.group() for t in _trim_name(registry(), norm, list(TOKEN.finditer(norm)))) == normalize(expected)


def test_a_registered_place_is_never_a_person() -> None:
    # "نور سلطان" (Astana) reads like two given names; the places registry knows it
    text = "وقال إن الاجتماعات التي جرت في سوتشي ونور سلطان ساهمت في التهدئة"
    assert people(text) == []


@pytest.mark.parametrize(("text", "expected"), [
    # a hyphen inside a name is not part of it: the registered person, one facet entry however the outlet writes it
    ("وقال الزعيم الكوري الشمالي كيم جونغ-أون إن بلاده مستعدة", ["كيم جونغ أون"]),
    ("وقال كيم جونغ - أون إن", ["كيم جونغ أون"]),
    # ... and an unregistered name is shown with a space, as its other spellings are
    ("وقال الزعيم الفرنسي جان-لوك ميلانشون إن", ["جان لوك ميلانشون"]),
])
def test_a_hyphen_inside_a_name_is_a_space(text: str, expected: list[str]) -> None:
    assert people(text) == expected
