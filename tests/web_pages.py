"""Realistic Arabic news pages, built from an article record (title, body, source, date, url), in several outlet
layouts: the way the web gives news — navigation, breaking-news ticker, share buttons, related-story teasers, most-read
lists, comments, footer — around the story, and the metadata each kind of site carries.

    jsonld    a modern CMS: JSON-LD NewsArticle (headline, datePublished, author, publisher), Open Graph, canonical link
    graph     JSON-LD @graph (WebPage + NewsArticle + BreadcrumbList), the publisher's Latin name, no og:site_name
    opengraph Open Graph and article:published_time only, the story in <div class="story-body">
    legacy    an old site in Windows-1256: no JSON-LD or Open Graph, "<title>headline - outlet</title>", the date only
              in a <time datetime> element, the address only in the "saved from" comment a browser writes

`page_bytes(record, layout)` returns the page as the site would serve it; `FURNITURE` lists text that is on every
page and never in a story (a test checks none of it reaches an article).
"""

from __future__ import annotations

import html
import json
from typing import Any

LAYOUTS = ("jsonld", "graph", "opengraph", "legacy")

# The registry's Arabic names of the shared corpus's outlets, as an Arabic site names itself
ARABIC_NAMES = {"Al Arabiya": "العربية", "Sky News Arabia": "سكاي نيوز عربية", "BBC Arabic": "بي بي سي عربي",
                "CNN Arabic": "سي إن إن بالعربية", "France 24 Arabic": "فرانس 24"}

NAVIGATION = ["الرئيسية", "سياسة", "اقتصاد", "رياضة", "منوعات", "علوم وتكنولوجيا", "فيديو", "بث مباشر"]
TICKER = "عاجل: انقطاع التيار الكهربائي عن عدة أحياء في العاصمة بسبب عطل فني طارئ"
TEASERS = ["ارتفاع أسعار الذهب إلى مستوى قياسي جديد في الأسواق العالمية",
           "منتخب الشباب يتأهل إلى نهائي البطولة بعد فوز مثير بركلات الترجيح",
           "دراسة جديدة تكشف فوائد غير متوقعة لشرب القهوة صباحا"]
MOST_READ = ["مهرجان السينما يعلن قائمة الأفلام المشاركة في دورته المقبلة",
             "خبراء يحذرون من موجة حر شديدة تضرب المنطقة الأسبوع المقبل"]
COMMENTS = ["تعليق القارئ أبو خالد: هذا الكلام غير دقيق والحقيقة مختلفة تماما عما ورد هنا",
            "تعليق القارئة سلمى: شكرا على التغطية المميزة ونتمنى المزيد من التفاصيل"]
FOOTER = "جميع الحقوق محفوظة لشبكة الأخبار 2024 - سياسة الخصوصية - اتصل بنا - أعلن معنا"
FURNITURE = [TICKER, *TEASERS, *MOST_READ, *COMMENTS, FOOTER]
AUTHOR = "مراسل الشبكة"


def _paragraphs(body: str) -> str:
    return "\n".join(f"<p>{html.escape(line.strip())}</p>" for line in body.split("\n") if line.strip())


def _nav() -> str:
    items = "".join(f'<li><a href="/section/{n}">{name}</a></li>' for n, name in enumerate(NAVIGATION))
    return f'<header class="site-header"><div class="logo"><a href="/">الشبكة</a></div><nav><ul>{items}</ul></nav>' \
           f'<div class="ticker"><span>{TICKER}</span></div></header>'


def _share() -> str:
    return ('<div class="share"><a href="#" class="fb">فيسبوك</a> <a href="#" class="tw">تويتر</a> '
            '<a href="#" class="wa">واتساب</a> <button>تكبير الخط</button></div>')


def _teasers() -> str:
    items = "".join(f'<li><a href="/news/{n}"><img src="/img/{n}.jpg" alt=""><h3>{title}</h3></a></li>'
                    for n, title in enumerate(TEASERS))
    return f'<section class="related"><h2>اقرأ أيضا</h2><ul>{items}</ul></section>'


def _most_read() -> str:
    items = "".join(f'<li><a href="/popular/{n}">{title}</a></li>' for n, title in enumerate(MOST_READ))
    return f'<aside class="sidebar"><h2>الأكثر قراءة</h2><ol>{items}</ol></aside>'


def _comments() -> str:
    items = "".join(f'<div class="comment"><p class="comment-body">{text}</p><span class="reply">رد</span></div>'
                    for text in COMMENTS)
    return (f'<section id="comments" class="comments"><h2>التعليقات (2)</h2>{items}'
            '<form class="comment-form"><textarea placeholder="أضف تعليقك"></textarea><button>إرسال</button></form>'
            '</section>')


def _footer() -> str:
    return f'<footer class="site-footer"><p>{FOOTER}</p></footer>'


def page_html(record: dict[str, Any], layout: str) -> str:
    """The page of RECORD in LAYOUT, as text (see page_bytes for what a server sends)."""
    title, body, url = record["title"], record["body"], record["url"]
    arabic_name = ARABIC_NAMES.get(record["source"], record["source"])
    date = record["date"]
    escaped_title = html.escape(title)
    story = _paragraphs(body)
    if layout == "jsonld":
        data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
                "datePublished": f"{date}T09:15:00+03:00", "dateModified": f"{date}T18:40:00+03:00",
                "author": {"@type": "Person", "name": AUTHOR},
                "publisher": {"@type": "Organization", "name": arabic_name},
                "mainEntityOfPage": {"@type": "WebPage", "@id": url}, "inLanguage": "ar"}
        head = (f'<meta charset="utf-8"><title>{escaped_title} | {arabic_name}</title>'
                f'<meta property="og:title" content="{escaped_title}">'
                f'<meta property="og:site_name" content="{arabic_name}"><meta property="og:type" content="article">'
                f'<link rel="canonical" href="{html.escape(url)}">'
                f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>')
        main = (f'<main><article><h1 class="headline">{escaped_title}</h1>'
                f'<div class="byline">{AUTHOR} - <time>{date}</time></div>{_share()}'
                f'<div class="article-body">{story}</div></article>{_teasers()}{_comments()}</main>{_most_read()}')
        return (f"<!DOCTYPE html><html lang=\"ar\" dir=\"rtl\"><head>{head}</head>"
                f"<body>{_nav()}{main}{_footer()}</body></html>")
    if layout == "graph":
        data = {"@context": "https://schema.org", "@graph": [
            {"@type": "WebPage", "@id": url, "name": "الصفحة"},
            {"@type": "BreadcrumbList", "itemListElement": [{"@type": "ListItem", "position": 1, "name": "أخبار"}]},
            {"@type": ["NewsArticle"], "headline": title, "datePublished": f"{date}T23:59:00+04:00",
             "publisher": {"@type": "Organization", "name": record["source"]}, "author": [{"name": AUTHOR}]}]}
        head = (f'<meta charset="UTF-8"><title>{escaped_title}</title>'
                f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False, indent=1)}</script>'
                f'<link rel="canonical" href="{html.escape(url)}">')
        main = (f'<div id="content"><div class="breadcrumbs"><a href="/">الرئيسية</a> › أخبار</div>'
                f'<h1>{escaped_title}</h1>{_share()}<div class="entry-content">{story}</div>'
                f'{_comments()}{_teasers()}</div>{_most_read()}')
        return f'<!DOCTYPE html><html lang="ar"><head>{head}</head><body>{_nav()}{main}{_footer()}</body></html>'
    if layout == "opengraph":
        head = (f'<meta charset="utf-8"><title>{escaped_title} - {arabic_name}</title>'
                f'<meta property="og:title" content="{escaped_title}">'
                f'<meta property="og:site_name" content="{arabic_name}">'
                f'<meta property="og:url" content="{html.escape(url)}">'
                f'<meta property="article:published_time" content="{date}T06:00:00Z">'
                f'<meta property="og:locale" content="ar_AR">')
        main = (f'<div class="container"><div class="col-main"><h1 class="story-title">{escaped_title}</h1>'
                f'<div class="story-meta">نشر في {date}</div><div class="story-body">{story}</div>{_share()}'
                f'</div>{_most_read()}</div>{_teasers()}{_comments()}')
        return f'<!DOCTYPE html><html dir="rtl"><head>{head}</head><body>{_nav()}{main}{_footer()}</body></html>'
    if layout == "legacy":
        saved = f"<!-- saved from url=({len(url.encode('utf-8')):04d}){url} -->\n"
        head = ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
                f'<title>{escaped_title} - {arabic_name}</title>')
        rows = "".join(f"<tr><td><a href='/n/{n}'>{t}</a></td></tr>" for n, t in enumerate(TEASERS))
        main = (f'<table width="100%"><tr><td class="menu">{" | ".join(NAVIGATION)}</td></tr>'
                f'<tr><td><font size="5"><b>{escaped_title}</b></font><br>'
                f'<span class="date"><time datetime="{date}T08:00:00">{date}</time></span>'
                f'<div class="text">{story}</div></td></tr>'
                f'<tr><td><b>أخبار ذات صلة</b><table>{rows}</table></td></tr>'
                f'<tr><td>{_comments()}</td></tr><tr><td class="footer">{FOOTER}</td></tr></table>')
        return f'{saved}<html><head>{head}</head><body dir="rtl">{main}</body></html>'
    raise ValueError(f"unknown layout {layout!r}")


def page_bytes(record: dict[str, Any], layout: str) -> bytes:
    """The page as served: Windows-1256 for the legacy layout (characters it lacks as HTML entities), else UTF-8."""
    text = page_html(record, layout)
    if layout == "legacy":
        return text.encode("cp1256", errors="xmlcharrefreplace")
    return text.encode("utf-8")
