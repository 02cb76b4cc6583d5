"""Dates in every form Arabic outlets write them, and which one is the publication date."""

from __future__ import annotations

import datetime

import pytest

from archive.extract.dates import is_date_line, parse_date, publication_date

D = datetime.date


@pytest.mark.parametrize(("text", "expected"), [
    # numeric
    ("2023/03/14", D(2023, 3, 14)), ("2019.08.19 20:06", D(2019, 8, 19)), ("14/03/2023", D(2023, 3, 14)),
    ("14-3-2023", D(2023, 3, 14)), ("2023-03-14T21:40:00+03:00", D(2023, 3, 14)), ("2023-03-14 08:15", D(2023, 3, 14)),
    ("03/14/2023", D(2023, 3, 14)),
    # Arabic-Indic and Persian digits
    ("١٤/٠٣/٢٠٢٣", D(2023, 3, 14)), ("۱۴ آذار ۲۰۲۳", D(2023, 3, 14)),
    # Levantine / Iraqi
    ("14 كانون الثاني 2016", D(2016, 1, 14)), ("3 شباط 2019", D(2019, 2, 3)), ("14 آذار 2023", D(2023, 3, 14)),
    ("1 نيسان 2020", D(2020, 4, 1)), ("5 أيار 2021", D(2021, 5, 5)), ("9 حزيران 2017", D(2017, 6, 9)),
    ("17 تموز 2021", D(2021, 7, 17)), ("2 آب 2018", D(2018, 8, 2)), ("14 أيلول 2021", D(2021, 9, 14)),
    ("6 تشرين الأول 2019", D(2019, 10, 6)), ("11 تشرين الثاني 2019", D(2019, 11, 11)),
    ("15 كانون الأول 2022", D(2022, 12, 15)),
    # Egyptian / Gulf, with spelling variants
    ("1 يناير 2020", D(2020, 1, 1)), ("2 فبراير 2020", D(2020, 2, 2)), ("3 مارس 2020", D(2020, 3, 3)),
    ("4 أبريل 2020", D(2020, 4, 4)), ("4 ابريل 2020", D(2020, 4, 4)), ("4 إبريل 2020", D(2020, 4, 4)),
    ("5 مايو 2020", D(2020, 5, 5)), ("6 يونيو 2020", D(2020, 6, 6)), ("6 يونيه 2020", D(2020, 6, 6)),
    ("7 يوليو 2020", D(2020, 7, 7)), ("7 يوليه 2020", D(2020, 7, 7)), ("8 أغسطس 2020", D(2020, 8, 8)),
    ("8 اغسطس 2020", D(2020, 8, 8)), ("9 سبتمبر 2020", D(2020, 9, 9)), ("10 أكتوبر 2020", D(2020, 10, 10)),
    ("11 نوفمبر 2020", D(2020, 11, 11)), ("12 ديسمبر 2020", D(2020, 12, 12)),
    # Maghrebi
    ("1 جانفي 2019", D(2019, 1, 1)), ("2 فيفري 2019", D(2019, 2, 2)), ("3 أفريل 2019", D(2019, 4, 3)),
    ("4 ماي 2019", D(2019, 5, 4)), ("5 جوان 2019", D(2019, 6, 5)), ("6 جويلية 2019", D(2019, 7, 6)),
    ("7 أوت 2019", D(2019, 8, 7)), ("8 غشت 2019", D(2019, 8, 8)), ("9 شتنبر 2019", D(2019, 9, 9)),
    ("10 نونبر 2019", D(2019, 11, 10)), ("11 دجنبر 2019", D(2019, 12, 11)),
    # paired, weekday, "من", "عام"
    ("15 كانون الأول/ديسمبر 2022", D(2022, 12, 15)), ("3 فبراير/ شباط 2019", D(2019, 2, 3)),
    ("الأحد، 3 فبراير/شباط 2019", D(2019, 2, 3)), ("الثلاثاء 14 من أيلول 2021", D(2021, 9, 14)),
    ("14 من شهر أيلول عام 2021", D(2021, 9, 14)), ("11 فبراير/ شباط عام 1964", D(1964, 2, 11)),
    # Hijri, converted to Gregorian
    ("1 محرم 1445 هـ", D(2023, 7, 19)), ("20 رمضان 1440هـ", D(2019, 5, 25)), ("14 ذو الحجة 1440 هـ", D(2019, 8, 15)),
    ("12 ربيع الأول 1441 هـ", D(2019, 11, 9)), ("1 جمادى الآخرة 1445 هـ", D(2023, 12, 14)),
])
def test_each_date_form(text: str, expected: datetime.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2023-02-30", "2023-13-01", "9999-99-99", "3000-01-01", "أمس", "1899-04-30", ""])
def test_impossible_or_implausible_dates_are_none(text: str) -> None:
    assert parse_date(text) is None


def lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


STORY = "وقال الوزير إن المحادثات ستستمر خلال الأسابيع المقبلة في العاصمة الروسية موسكو بين الوفدين المعنيين."


@pytest.mark.parametrize(("text", "expected"), [
    ("الثلاثاء 2023/03/14\nآخر تحديث: 21:40 (بيروت)\n" + STORY + " وفي 15 كانون الأول/ديسمبر 2022 أعلن",
     D(2023, 3, 14)),
    ("رئيس التحرير\n2019.08.19 20:06\n" + STORY, D(2019, 8, 19)),
    ("القاهرة، 14 مارس 2023 (رويترز) - " + STORY, D(2023, 3, 14)),
    (STORY + "\nونقلت وكالة تاس، اليوم الثلاثاء 14 من أيلول، عن بيسكوف قوله.\nوفي 14 من كانون الثاني 2016 بدأت "
     "العمليات في أيلول 2015 واستمرت حتى 2021.", D(2021, 9, 14)),
    (STORY + "\nوذكر البيان اليوم، 3 من آذار، أن الوفد وصل في 2019 و2020.", D(2020, 3, 3)),  # no weekday: latest year
    (STORY + "\nتاريخ النشر: 05/06/2018", D(2018, 6, 5)),
    ("الرياض، 15 ربيع الأول 1445 هـ الموافق 30 سبتمبر 2023 (واس) -- " + STORY, D(2023, 9, 30)),  # paired calendars
    ("الرياض، 15 ربيع الأول 1445 هـ (واس) - " + STORY, D(2023, 9, 30)),  # Hijri alone, converted
])
def test_publication_date_comes_from_dateline_stamp_or_today(text: str, expected: datetime.date) -> None:
    assert publication_date(lines(text)) == expected


@pytest.mark.parametrize("text", [
    STORY + "\nوفي 14 من كانون الثاني 2016 شنت موسكو عمليات جوية مشتركة.",  # an event date is not a dateline
    STORY + "\n" + STORY + "\nوكان ذلك في 2011.",
    "عنوان\n" + STORY + " وأوضح أن 90 شخصا قتلوا وأصيب 136 آخرون.",
    STORY + "\nونقلت الوكالة اليوم، 14 من أيلول، الخبر.",  # today, but no year anywhere: undated, not a guess
])
def test_no_publication_date_means_undated(text: str) -> None:
    assert publication_date(lines(text)) is None


@pytest.mark.parametrize(("text", "expected"), [
    # numeric dates in a dateline that opens the story, with the agency between the date and the dash
    ("رام الله 3-1-2024 وفا- " + STORY, D(2024, 1, 3)),
    ("رام الله 3/1/2024 وفا- " + STORY, D(2024, 1, 3)),
    ("رام الله 2024-01-03 وفا - " + STORY, D(2024, 1, 3)),
    ("رام الله 2024/01/03 (وفا) - " + STORY, D(2024, 1, 3)),
    ("الرياض 3.1.2024 واس - " + STORY, D(2024, 1, 3)),
    ("بيروت 14-3-2023 «الشرق الأوسط»: " + STORY, D(2023, 3, 14)),
    ("بغداد 14/3/2023/ المدى: " + STORY, D(2023, 3, 14)),
    ("القاهرة ٣-١-٢٠٢٤ أ ش أ - " + STORY, D(2024, 1, 3)),  # Arabic-Indic digits
    # on its own line
    ("عنوان الخبر\nرام الله 3-1-2024 وفا\n" + STORY, D(2024, 1, 3)),
])
def test_numeric_dateline_with_agency(text: str, expected: datetime.date) -> None:
    assert publication_date(lines(text)) == expected


@pytest.mark.parametrize("text", [
    # a date followed by words that are not an agency is an event in the story, not a dateline
    "رام الله 3-1-2024 شهدت المدينة مواجهات عنيفة بين الشبان وقوات الاحتلال استمرت ساعات طويلة - بحسب شهود",
    # a slash after the date leads to no agency (a misspelt paired month)
    "وسيعرض الفيلم يوم 18 أبريل/نسيان الجاري في صالة سينما تسع 620 مقعدا في مدينة الرياض وسط إقبال كبير",
    "في 3-1-2024 الحياة توقفت في المدينة بعد أن أغلقت القوات جميع المداخل والطرقات المؤدية إليها لساعات طويلة",
])
def test_numeric_date_followed_by_story_words_is_not_a_dateline(text: str) -> None:
    assert publication_date(lines(text)) is None


def test_date_lines_are_recognized_for_title_skipping() -> None:
    assert is_date_line("الثلاثاء 2023/03/14") and is_date_line("2019.08.19 20:06")
    assert not is_date_line("الأسد في موسكو..للبحث بتطوير آفاق التعاون الثنائي")


# Month first, as some outlets print it, and year first (issue 11): these came out undated before.
@pytest.mark.parametrize(("text", "expected"), [
    ("مارس 14، 2023", datetime.date(2023, 3, 14)),
    ("أكتوبر 20 2018", datetime.date(2018, 10, 20)),
    ("الثلاثاء، مارس 14، 2023", datetime.date(2023, 3, 14)),
    ("كانون الثاني 5، 2020", datetime.date(2020, 1, 5)),
    ("أيلول ٢١، ٢٠١٩", datetime.date(2019, 9, 21)),
    ("March 14, 2023", datetime.date(2023, 3, 14)),
    ("Oct. 5, 2021", datetime.date(2021, 10, 5)),
    ("14 March 2023", datetime.date(2023, 3, 14)),
    ("2023 مارس 14", datetime.date(2023, 3, 14)),
])
def test_month_first_and_year_first_dates_are_read(text: str, expected: datetime.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["مارس 14 قتيلا", "سبتمبر 2023", "Marching 14, 2023"])
def test_a_month_name_and_a_number_without_a_full_date_are_no_date(text: str) -> None:
    assert parse_date(text) is None


def test_a_month_first_dateline_dates_the_article() -> None:
    lines = ["الثلاثاء، مارس 14، 2023 - 21:40",
             "قال الرئيس الروسي فلاديمير بوتين في موسكو إن الأمر محسوم ومهم جدا لكل الأطراف المعنية بالأزمة."]
    assert publication_date(lines) == datetime.date(2023, 3, 14)
