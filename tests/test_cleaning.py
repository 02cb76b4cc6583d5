"""Cleaning: page furniture out, story whole, every removed line reported; titles from the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.extract.builder import split_title, title_from_sentence
from archive.extract.cleaning import clean_story, remove_furniture, sanitize_text
from archive.text.normalize import normalize

PARAGRAPH = ("وقال المتحدث باسم الكرملين دميتري بيسكوف إن الرئيسين بحثا الوضع في سوريا والتعاون الاقتصادي بين "
             "البلدين، مؤكدا أن اللقاء استمر ساعتين وتناول ملفات كثيرة.")


@pytest.mark.parametrize("furniture", [
    "increase حجم الخط decrease", "اقرأ أيضاً", "اقرأ ايضا", "مواضيع تهمك", "قد يعجبك ايضا", "فيسبوك تويتر واتساب",
    "Facebook Twitter WhatsApp", "عن leroydeshotel", "-----------------------",
    "التعليقات المنشورة تعبر عن آراء أصحابها",
    "** جميع المقالات المنشورة تمثل رأي كتابها فقط.",
])
def test_furniture_line_in_the_middle_is_removed_and_reported(furniture: str) -> None:
    body, removed = remove_furniture(f"{PARAGRAPH}\n{furniture}\n{PARAGRAPH}")
    assert body == f"{PARAGRAPH}\n{PARAGRAPH}"
    assert removed == [furniture]


def test_inline_read_also_teaser_is_removed_but_the_story_around_it_kept() -> None:
    text = f"{PARAGRAPH}\nاقرأ أيضا: ترامب يصف تفتيش مكتب محاميه بأنه اعتداء\n{PARAGRAPH}\n{PARAGRAPH}"
    body, removed = remove_furniture(text)
    assert body.count(PARAGRAPH) == 3
    assert removed == ["اقرأ أيضا: ترامب يصف تفتيش مكتب محاميه بأنه اعتداء"]


def test_strong_marker_in_the_tail_cuts_the_teaser_block_after_it() -> None:
    text = "\n".join([PARAGRAPH] * 4 + ["شاهد أيضاً", "السيسي يستقبل البرهان", "سكاي نيوز : أكد الرئيس المصري …"])
    body, removed = remove_furniture(text)
    assert body == "\n".join([PARAGRAPH] * 4)
    assert removed == ["شاهد أيضاً", "السيسي يستقبل البرهان", "سكاي نيوز : أكد الرئيس المصري …"]


def test_a_story_paragraph_that_mentions_a_marker_word_is_kept() -> None:
    story = "وقال إن التعليقات التي نشرها الوزير على موقع تويتر أثارت جدلا واسعا بين المتابعين في البلاد."
    assert remove_furniture(story) == (story, [])


def test_seed_001_loses_its_headline_block_and_keeps_its_last_paragraph(seeds_dir: Path) -> None:
    text = (seeds_dir / "001_fa708f07afe93bea.txt").read_text(encoding="utf-8")
    body, removed = remove_furniture(text)
    assert body.endswith("مع الرئيس الروسي فلاديمير بوتين.")
    assert "ترامب" not in body and "وائل كفوري" not in body and "مواضيع تهمك" not in body
    assert removed[1:4] == ["مواضيع تهمك", "اقرأ أيضاً", "اقرأ ايضا"]
    assert any("كارنافال ترامب" in line for line in removed)


def test_seed_000_loses_author_line_and_the_unrelated_teaser(seeds_dir: Path) -> None:
    body, removed = remove_furniture((seeds_dir / "000_53b8d6396a1067f8.txt").read_text(encoding="utf-8"))
    assert body.endswith("sputnik") and "السيسي" not in body
    assert removed[:3] == ["عن leroydeshotel", "شاهد أيضاً", "السيسي يستقبل البرهان ويؤكد على ضرورة وقف إطلاق النار"]


def test_normalized_twin_lines_up_with_the_body(seeds_dir: Path) -> None:
    for path in sorted(seeds_dir.glob("*.txt")):
        story = clean_story(path.read_text(encoding="utf-8"))
        assert story.normalized.split("\n") == [normalize(line) for line in story.body.split("\n")]


def test_sanitize_keeps_tabs_and_newlines_only() -> None:
    assert sanitize_text("a\r\nb\rc\x00d\u200be\tf\x85g") == "a\nb\ncd" + "e\tf\ng"


# ---------------------------------------------------------------- titles


@pytest.mark.parametrize(("text", "title"), [
    ("الثلاثاء 2023/03/14\n\nآخر تحديث: 21:40 (بيروت)\n\nالأسد في موسكو للبحث بتطوير آفاق التعاون\n" + PARAGRAPH,
     "الأسد في موسكو للبحث بتطوير آفاق التعاون"),
    ("رئيس التحرير\n2019.08.19 20:06\nعنوان بعد الترويسة\n" + PARAGRAPH, "عنوان بعد الترويسة"),
    ("عنوان الخبر هنا\n" + PARAGRAPH, "عنوان الخبر هنا"),
])
def test_title_is_the_first_substantive_line(text: str, title: str) -> None:
    assert split_title(text)[0] == title


def test_article_starting_mid_story_gets_a_title_from_its_first_sentence() -> None:
    title, body, _ = split_title(PARAGRAPH)
    assert body == PARAGRAPH
    assert len(title) <= 101 and title.endswith("…") and PARAGRAPH.startswith(title[:-1])
    assert title[:-1] == PARAGRAPH[: len(title) - 1] and PARAGRAPH[len(title) - 1] == " ", "cut at a word boundary"


def test_short_first_sentence_is_the_whole_title() -> None:
    assert title_from_sentence("وصل الرئيس إلى موسكو. ثم بدأت المحادثات.") == "وصل الرئيس إلى موسكو"
