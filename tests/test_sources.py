"""Outlets: canonical names for given metadata, and the evidence order URL -> dateline/credit -> self-reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive.extract.sources import canonical_source, detect_source, registry

DATA = Path(__file__).resolve().parent.parent / "archive" / "data" / "outlets.json"
STORY = "وقال مسؤول في الحكومة إن المحادثات ستستأنف الأسبوع المقبل بعد توقف دام أكثر من شهرين بسبب الخلافات."


@pytest.mark.parametrize(("given", "canonical"), [
    ("Sky News Arabia", "سكاي نيوز عربية"), ("سكاي نيوز", "سكاي نيوز عربية"), ("Al Arabiya", "العربية"),
    ("BBC Arabic", "بي بي سي عربي"), ("بي بي سي", "بي بي سي عربي"), ("CNN Arabic", "سي إن إن بالعربية"),
    ("France 24 Arabic", "فرانس 24"), ("فرانس24", "فرانس 24"), ("sputnik", "سبوتنيك"), ("SANA", "سانا"),
    ("  Some   Local Paper ", "Some Local Paper"),
])
def test_given_names_map_to_one_canonical_facet_value(given: str, canonical: str) -> None:
    assert canonical_source(given) == canonical


def test_registry_has_the_main_arabic_outlets_and_the_corpus_five() -> None:
    outlets = json.loads(DATA.read_text(encoding="utf-8"))["outlets"]
    assert len(outlets) >= 45
    assert all(o["name"] and o["latin"] and o["domains"] for o in outlets)
    names = {o["latin"] for o in outlets}
    assert {"Sky News Arabia", "Al Arabiya", "BBC Arabic", "CNN Arabic", "France 24 Arabic"} <= names


def lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


@pytest.mark.parametrize(("url", "text", "expected"), [
    # the URL's domain first, whatever the text says
    ("https://www.skynewsarabia.com/world/1", "موسكو-سانا\n" + STORY, "سكاي نيوز عربية"),
    ("https://arabic.cnn.com/middle-east/x", STORY, "سي إن إن بالعربية"),
    ("https://www.bbc.com/arabic/x", STORY, "بي بي سي عربي"),
    # then a dateline or credit at the top
    (None, "موسكو-سانا\n" + STORY, "سانا"),
    (None, "دبي، الإمارات العربية المتحدة (CNN)— " + STORY, "سي إن إن بالعربية"),
    (None, "القاهرة - رويترز - " + STORY, "رويترز"),
    # or at the bottom
    (None, STORY + "\nsputnik", "سبوتنيك"),
    (None, STORY + "\nفرانس24/ أ ف ب", "فرانس 24"),
    (None, STORY + "\nالمصدر: بي بي سي", "بي بي سي عربي"),
    # then an outlet naming itself
    (None, STORY + "\nوكان موقع الديار أشار إليها قبل شهر.\n" + STORY, "الديار"),
    # otherwise unknown: a cited agency or a city is not the outlet
    (None, STORY + "\nونقلت وكالة “تاس” الروسية عن المتحدث قوله.\n" + STORY, None),
    (None, "الرياض\n" + STORY, None),
    (None, STORY + "\nالديار", "الديار"),
    (None, STORY + "\nوأعلنت الرياض أن الخليج يشهد توترا.", None),
])
def test_outlet_evidence_order(url: str | None, text: str, expected: str | None) -> None:
    assert detect_source(url, lines(text)) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # CITY - «OUTLET», on its own line or opening the first paragraph: a bare name (also a word) counts here
    ("بيروت - «الشرق الأوسط»\n" + STORY, "الشرق الأوسط"),
    ("بيروت - «الشرق الأوسط»: " + STORY, "الشرق الأوسط"),
    ("عنوان الخبر\nبيروت - \"الشرق الأوسط\"\n" + STORY, "الشرق الأوسط"),
    ("بيروت: «الشرق الأوسط»: " + STORY, "الشرق الأوسط"),
    # CITY/ OUTLET, CITY (OUTLET) -, CITY - OUTLET
    ("بغداد/ المدى\n" + STORY, "المدى"),
    ("بغداد/ المدى: " + STORY, "المدى"),
    ("عمان (بترا) - " + STORY, "بترا"),
    ("بيروت (الشرق الأوسط) - " + STORY, "الشرق الأوسط"),
    ("بيروت (النهار)\n" + STORY, "النهار"),
    ("القاهرة - الأهرام\n" + STORY, "الأهرام"),
    ("دبي، الإمارات العربية المتحدة - «البيان»: " + STORY, "البيان"),
    # a date between the city and the agency
    ("رام الله 3-1-2024 وفا- " + STORY, "وفا"),
    ("رام الله 3/1/2024 وفا- " + STORY, "وفا"),
    ("رام الله 2024-01-03 (وفا) - " + STORY, "وفا"),
    ("الرياض 3.1.2024 واس - " + STORY, "واس"),
    # (OUTLET) closing the story
    (STORY + "\n" + STORY + " (الشرق الأوسط)", "الشرق الأوسط"),
    (STORY + "\n(المدى)", "المدى"),
    # a tatweel as the dash (normalize() deletes it)
    ("بيروت ـ «الشرق الأوسط»: " + STORY, "الشرق الأوسط"),
    ("لندن ـ «القدس العربي»: " + STORY, "القدس العربي"),
    # a labelled credit at the bottom
    ("\n".join([STORY] * 4) + "\nالمصدر: الشرق الأوسط", "الشرق الأوسط"),
    ("\n".join([STORY] * 4) + "\nمصدر الخبر - المدى", "المدى"),
    # not datelines: a quoted outlet inside a sentence, a word after a colon, a city alone
    ("قال مسؤول لـ«الشرق الأوسط»: " + STORY, None),
    ("وقال الوزير: الحياة صعبة في المدينة " + STORY, None),
    ("بيروت\n" + STORY, None),
    ("وقال مسؤول «الحياة» صعبة " + STORY, None),
    ("\n".join([STORY] * 4) + "\nوقال مصدر لـ«الشرق الأوسط»\n" + STORY, None),
    ("\n".join([STORY] * 4) + "\nالمصدر: الحياة صعبة هنا", None),
    # an agency cited in the story, a related link
    (STORY + "\nونقلت وكالة الأنباء الرسمية الفلسطينية (وفا) عن المدير قوله\n" + STORY, None),
    (STORY + "\nوأوردت (وام) أن الشيخ وصل إلى العاصمة مساء أمس في زيارة رسمية تستمر يومين\n" + STORY, None),
    (STORY + "\nوقال لـ(سانا): إن الوضع مستقر في المدينة بعد انسحاب المسلحين منها صباح اليوم\n" + STORY, None),
    (STORY + "\nللمزيد - الشرق الأوسط: إيران تطغى على الجولة\n" + STORY, None),
    ("وأضاف أن المدى الذي بلغته الصواريخ - بحسب الخبراء - كبير " + STORY, None),
])
def test_dateline_city_then_outlet(text: str, expected: str | None) -> None:
    assert detect_source(None, lines(text)) == expected


def test_every_alias_and_domain_resolves_to_its_own_outlet() -> None:
    reg = registry()
    for outlet in reg.outlets:
        for alias in (outlet.latin, *outlet.aliases, *outlet.bare):
            assert reg.canonical(alias) == outlet.name, alias
        for domain in outlet.domains:
            assert reg.from_url(f"https://www.{domain}/a/b") == outlet.name, domain
