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
    assert canonical_place("  نور   سلطان ") == "نور سلطان"


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
