"""Real-world input (issue #6): saved web pages, WARC archives, news-please and Media Cloud exports.

Every fixture is built here, shaped like what researchers actually have: news pages with
og:site_name, a canonical link, <time datetime>, JSON-LD, menus, "Related stories", share buttons,
a cookie banner and a footer; a crawler's WARC with requests, an image, a 404 and a redirect;
news-please's one-object-per-file JSON; Media Cloud's CSV columns; a GDELT GKG export.
The article texts are the seed articles', so loading them together must find the same reuse.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import re
import socket
import sqlite3
import subprocess
import sys
import zlib
from html import escape as html_escape
from itertools import islice
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.cli import cli

from datasette_provenance.ingest import Article, LoadError, read_paths
from datasette_provenance.load import load_paths
from datasette_provenance.segment import segment

SEEDS = Path(__file__).parent.parent / "seeds"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """Extraction is local: any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def read(*paths, **options) -> list[Article | LoadError]:
    return list(read_paths(paths, **options))


def seed_paragraphs(name: str, first: str, last: str) -> list[str]:
    """The non-empty lines of a seed article from the one starting with *first* to *last*."""
    lines = [line.strip() for line in (SEEDS / name).read_text("utf-8").split("\n") if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.startswith(first))
    end = next(i for i, line in enumerate(lines) if line.startswith(last))
    return lines[start : end + 1]


def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- pages shaped like real news sites ----------------------------------------------------------

COOKIE_BANNER = (
    '<div id="onetrust-banner-sdk" class="cookie-consent"><p>We use cookies to improve your experience on'
    " our site. By continuing to browse you accept our cookie policy.</p><button>Accept all cookies</button>"
    "<button>Manage preferences</button></div>"
)
NAV = (
    '<header class="site-header"><a class="logo" href="/">Home</a><nav class="main-menu"><ul>'
    + "".join(f'<li><a href="/{s.lower()}">{s}</a></li>' for s in ("World", "Middle East", "Europe", "Business", "Opinion", "Video"))
    + '</ul></nav><form class="search"><input name="q" placeholder="Search"></form></header>'
)
SHARE = (
    '<div class="share-buttons"><span>Share</span><a href="https://www.facebook.com/sharer.php">Facebook</a>'
    '<a href="https://twitter.com/intent/tweet">Twitter</a><a href="https://wa.me/">WhatsApp</a>'
    '<a href="#" class="copy">Copy link</a></div>'
)


def news_page(
    *,
    title: str,
    site_name: str | None,
    canonical: str | None,
    body: str,
    json_ld_date: str | None = None,
    time_datetime: str | None = None,
    meta_date: str | None = None,
    charset: str = "utf-8",
    related: tuple[str, ...] = (),
) -> str:
    """A full article page: head metadata, cookie banner, menus, share buttons, the story,
    a related-stories box, a newsletter box and a footer."""
    head = [f'<meta charset="{charset}">', f"<title>{esc(title)}{' | ' + site_name if site_name else ''}</title>",
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta property="og:title" content="{esc(title)}">', '<meta property="og:type" content="article">']
    if site_name:
        head.append(f'<meta property="og:site_name" content="{site_name}">')
    if canonical:
        head += [f'<link rel="canonical" href="{canonical}">', f'<meta property="og:url" content="{canonical}">']
    if meta_date:
        head.append(f'<meta property="article:published_time" content="{meta_date}">')
    if json_ld_date:
        head.append('<script type="application/ld+json">' + json.dumps({
            "@context": "https://schema.org", "@type": "NewsArticle", "headline": title,
            "datePublished": json_ld_date, "mainEntityOfPage": canonical,
            "publisher": {"@type": "Organization", "name": site_name},
        }) + "</script>")
    head.append('<script>window.dataLayer = window.dataLayer || []; dataLayer.push({"event": "pageview"});</script>')
    byline = f'<time datetime="{time_datetime}">{time_datetime[:10]}</time>' if time_datetime else ""
    related_box = ""
    if related:
        items = "".join(f'<li><a href="/story-{i}">{esc(t)}</a></li>' for i, t in enumerate(related))
        related_box = f'<aside class="related"><h3>Related stories</h3><ul>{items}</ul></aside>'
    return f"""<!DOCTYPE html>
<html lang="en"><head>{''.join(head)}</head>
<body class="article-page">
{COOKIE_BANNER}
{NAV}
<main id="content">
<article class="article">
<header><h1 class="article-title">{esc(title)}</h1>
<div class="byline"><span class="author">Staff</span> {byline}</div>
{SHARE}</header>
<div class="article-body">
{body}
</div>
{related_box}
</article>
<section class="newsletter"><h4>Newsletter</h4><p>Get the day's top stories in your inbox.</p>
<form><input type="email" placeholder="Email address"><button>Subscribe</button></form></section>
</main>
<footer class="site-footer"><ul><li><a href="/about">About us</a></li><li><a href="/contact">Contact</a></li>
<li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
<p>&copy; 2022 {site_name or 'The publisher'}. All rights reserved.</p></footer>
</body></html>
"""


def paragraphs_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)


TRT_TEXT = seed_paragraphs("000_04a9a5eec5045a67.txt", "Russia has said it supports", "Tensions between Moscow")
TRT_STORY = [p for p in TRT_TEXT if not p.startswith(("READ MORE", "Recommended", "'Ready"))]
TRT_URL = "https://www.trtworld.com/mea/russia-supports-us-anti-terror-efforts-in-syria-54321"
# Boilerplate a CMS puts inside the story's own container, where extraction keeps it.
TRT_IN_BODY = {
    "read_more": "READ MORE: US kills top Daesh leader and over a dozen civilians in Syria",
    "recommended": "Recommended",
    "share": "Share this article",
    "follow": "Follow us on Twitter and Facebook for the latest updates",
    "credit": "SOURCE: AFP",
    "related_heading": "Related stories",
    "related_1": "Tsunami warning issued as magnitude 6.9 earthquake jolts the Philippines",
    "related_2": "Germany arrests Assad-era militia leader for crimes against humanity in Syria",
    "related_3": "EU rules out seizing Russian assets, proposes reparations-based loan for Ukraine",
    "cookies": "Accept all cookies",
    "advert": "Advertisement",
}


def trt_page() -> str:
    story = paragraphs_html(TRT_STORY[:3])
    rest = paragraphs_html(TRT_STORY[3:])
    b = TRT_IN_BODY
    body = f"""{story}
<p><strong>READ MORE:</strong> <a href="/mea/us-kills-top-daesh-leader">US kills top Daesh leader and over a dozen civilians in Syria</a></p>
<h2>'Ready to cooperate'</h2>
<p>{b['advert']}</p>
<p>{b['recommended']}</p>
{rest}
<p>{b['share']}</p>
<p>{b['follow']}</p>
<p>{b['credit']}</p>
<h3>{b['related_heading']}</h3>
<ul><li><a href="/r1">{b['related_1']}</a></li><li><a href="/r2">{b['related_2']}</a></li><li><a href="/r3">{b['related_3']}</a></li></ul>
<p>{b['cookies']}</p>"""
    return news_page(
        title="Russia 'supports' US anti-terror efforts in Syria", site_name="TRT World", canonical=TRT_URL,
        body=body, json_ld_date="2022-02-03T14:25:00+03:00", time_datetime="2022-02-03T11:25:00Z",
        related=("Daesh leader killed in US raid in northwest Syria, Biden says",
                 "Turkish forces neutralise terrorists in northern Syria",
                 "UN envoy calls for renewed push on Syria peace talks"),
    )


SPUTNIK_TEXT = seed_paragraphs("003_4d6d3eb5b77b4377.txt", "A \"thorough investigation\"", "Secretary of Defence")
SPUTNIK_URL = ("https://sputniknews.com/20220203/moscow-civilian-deaths-caused-by-us-raid-in-syria-should-be-"
               "thoroughly-investigated-1092722171.html")


def sputnik_page() -> str:
    return news_page(
        title="Moscow: Civilian Deaths Caused by US Raid in Syria Should Be 'Thoroughly Investigated' if Confirmed",
        site_name="Sputnik International", canonical=SPUTNIK_URL, meta_date="2022-02-03T16:20+0000",
        body=paragraphs_html(SPUTNIK_TEXT),
    )


RT_TEXT = [
    "Russia's Foreign Ministry has called for a thorough investigation into reports that civilians, including "
    "children, were killed during the US special forces raid in Syria's Idlib province on Thursday.",
    "Spokeswoman Maria Zakharova said Moscow was “ready to cooperate with all interested countries” against "
    "terrorism, but that targets must be chosen with care so that no civilians are harmed.",
    "Local rescuers said at least 13 people, six of them children, died during the two-hour operation.",
]


def rt_page_cp1252() -> bytes:
    """A page served as ISO-8859-1 (read as Windows-1252), with curly quotes; no canonical link."""
    html = news_page(
        title="Moscow calls for probe into civilian deaths in US raid", site_name=None, canonical=None,
        body=paragraphs_html(RT_TEXT), json_ld_date="2022-02-03", charset="iso-8859-1",
    )
    return html.encode("cp1252")


# --- WARC files -------------------------------------------------------------------------------


def write_warc(path: Path, responses: list[dict], *, compress: bool = True) -> dict[str, str]:
    """A crawler's WARC: warcinfo, then a request/response pair per capture. Returns {uri: response record id}."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    ids = {}
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=compress)
        writer.write_record(writer.create_warcinfo_record(path.name, {
            "software": "test-crawler/1.0", "format": "WARC File Format 1.0", "robots": "obey"}))
        for r in responses:
            uri, body = r["uri"], r["body"]
            headers = [("Content-Type", r.get("content_type", "text/html; charset=utf-8"))]
            if r.get("gzip"):
                body = gzip.compress(body)
                headers.append(("Content-Encoding", "gzip"))
            if r.get("location"):
                headers.append(("Location", r["location"]))
            headers.append(("Content-Length", str(len(body))))
            http = StatusAndHeaders(r.get("status", "200 OK"), headers, protocol="HTTP/1.1")
            response = writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Date": r.get("date", "2022-02-05T08:13:44Z")},
            )
            host = uri.split("/")[2]
            request = writer.create_warc_record(
                uri, "request", payload=io.BytesIO(b""),
                http_headers=StatusAndHeaders(f"GET /{uri.split('/', 3)[-1]} HTTP/1.1",
                                              [("Host", host), ("User-Agent", "test-crawler/1.0")],
                                              is_http_request=True),
            )
            writer.write_request_response_pair(request, response)
            ids[uri] = response.rec_headers.get_header("WARC-Record-ID").strip("<>")
        writer.write_record(writer.create_warc_record(
            "metadata://test-crawler/log", "metadata", payload=io.BytesIO(b"fetchTimeMs: 120\n"),
            warc_content_type="application/warc-fields"))
    return ids


RT_URL = "https://www.rt.com/russia/548312-zakharova-civilian-deaths-investigation/"


def crawl_responses() -> list[dict]:
    return [
        {"uri": SPUTNIK_URL, "body": sputnik_page().encode("utf-8"), "date": "2022-02-03T16:42:07Z"},
        {"uri": "https://cdnn1.img.sputniknews.com/img/107943/35/1079433519.jpg", "body": b"\xff\xd8\xff\xe0JFIF",
         "content_type": "image/jpeg"},
        {"uri": "https://www.rt.com/russia/548312/", "body": b"", "status": "301 Moved Permanently",
         "location": RT_URL, "content_type": "text/html"},
        {"uri": RT_URL, "body": rt_page_cp1252(), "content_type": "text/html; charset=ISO-8859-1", "gzip": True,
         "date": "2022-02-03T18:00:00Z"},
        {"uri": "https://www.rt.com/news/gone/", "status": "404 Not Found",
         "body": news_page(title="Page not found", site_name="RT", canonical=None,
                           body="<p>Sorry, the page you requested could not be found on our site.</p>").encode()},
    ]


# --- HTML pages -------------------------------------------------------------------------------


def test_html_page_fields(tmp_path):
    (tmp_path / "trt.html").write_text(trt_page(), "utf-8")
    [article] = read(tmp_path)
    assert article.external_id == "trt.html"
    assert article.outlet == "TRT World"
    assert article.url == TRT_URL
    assert article.title == "Russia 'supports' US anti-terror efforts in Syria"
    # JSON-LD says 14:25:00+03:00; stored in UTC (":00" seconds may be minutes only)
    assert (article.published, article.published_precision) == ("2022-02-03T11:25:00Z", "minute")
    assert article.extra["site_name"] == "TRT World"
    assert article.extra["extracted_with"].startswith("trafilatura ")
    assert article.source == str(tmp_path / "trt.html") and article.line is None


def test_html_text_keeps_paragraphs_and_drops_page_furniture(tmp_path):
    (tmp_path / "trt.htm").write_text(trt_page(), "utf-8")
    [article] = read(tmp_path)
    lines = article.text.split("\n")
    for paragraph in TRT_STORY:
        assert paragraph in lines  # one paragraph per line, as written
    assert lines[0] == TRT_STORY[0]
    for furniture in ("Middle East", "WhatsApp", "Copy link", "Manage preferences", "Newsletter", "Terms of use",
                      "All rights reserved", "dataLayer", "Turkish forces neutralise terrorists"):
        assert furniture not in article.text, furniture


def test_html_boilerplate_that_survives_extraction_is_flagged(tmp_path):
    """Lines a CMS puts inside the story container survive trafilatura; the segmenter flags them."""
    (tmp_path / "trt.html").write_text(trt_page(), "utf-8")
    load_paths(str(tmp_path / "c.db"), [str(tmp_path / "trt.html")])
    db = sqlite3.connect(tmp_path / "c.db")
    flags = {text: (boilerplate, kind) for text, boilerplate, kind in db.execute(
        "select text, boilerplate, kind from paragraphs")}
    for key, line in TRT_IN_BODY.items():
        matches = [text for text in flags if line in text]
        assert matches, f"{key}: {line!r} not in the extracted text"
        for text in matches:
            assert flags[text][0] == 1, (key, text, flags[text])
    for paragraph in TRT_STORY:
        assert flags[paragraph] == (0, "text"), paragraph


# Boilerplate lines seen inside story containers that trafilatura keeps: the segmenter flags them.
INSIDE_STORY = [
    pytest.param("We use cookies to improve your experience on our site. By continuing to browse you accept our"
                 " cookie policy.", id="cookie-notice-long"),
    pytest.param("Our website uses cookies. By using this site you agree to our use of cookies in accordance"
                 " with our Privacy Policy.", id="cookie-notice-our-website"),
    pytest.param("By clicking \u201cAccept\u201d, you agree to the storing of cookies on your device.",
                 id="cookie-consent-by-clicking"),
    pytest.param("Subscribe to our newsletter to get the latest news delivered straight to your inbox every"
                 " morning.", id="newsletter-long"),
    pytest.param("Join our Telegram channel for breaking news", id="join-telegram"),
    pytest.param("Click here to read more stories like this", id="click-here"),
    pytest.param("Like this story? Share it with a friend!", id="like-share"),
    pytest.param("Tags: Syria, Russia, Daesh", id="tags-line"),
    pytest.param("You may also like", id="you-may-also-like"),
    pytest.param("More from World", id="more-from-section"),
    pytest.param("Don't miss: Moscow warns Washington over Ukraine", id="dont-miss"),
    pytest.param("Posted by Staff Writer", id="posted-by"),
]


@pytest.mark.parametrize("line", INSIDE_STORY)
def test_more_boilerplate_is_flagged(tmp_path, line):
    body = paragraphs_html(TRT_STORY[:2]) + f"\n<p>{esc(line)}</p>\n" + paragraphs_html(TRT_STORY[2:])
    page = news_page(title="Russia 'supports' US anti-terror efforts in Syria", site_name="TRT World",
                     canonical=TRT_URL, body=body)
    (tmp_path / "p.html").write_text(page, "utf-8")
    [article] = read(tmp_path / "p.html")
    assert line in article.text.split("\n")  # extraction kept it …
    [paragraph] = [p for p in segment(article.text, article.title) if p.text == line]
    assert paragraph.boilerplate, paragraph.kind  # … and it should be flagged


def test_html_day_precision_and_declared_charset(tmp_path):
    """A date-only JSON-LD date is a day, not midnight; a Windows-1252 page is decoded as declared."""
    (tmp_path / "rt.html").write_bytes(rt_page_cp1252())
    [article] = read(tmp_path)
    assert (article.published, article.published_precision) == ("2022-02-03", "day")
    assert "\u201cready to cooperate with all interested countries\u201d" in article.text
    assert article.url is None and article.outlet is None  # no canonical, no site name, no signature
    assert article.title == "Moscow calls for probe into civilian deaths in US raid"


def test_html_day_gains_the_time_of_a_dateline_on_that_day(tmp_path):
    body = "<p>Published: 3 Feb 2022, 14:05 GMT</p>" + paragraphs_html(TRT_STORY)
    (tmp_path / "a.html").write_text(news_page(title="A headline for the page", site_name="TRT World",
                                               canonical=TRT_URL, body=body, json_ld_date="2022-02-03"))
    (tmp_path / "b.html").write_text(news_page(title="A headline for the page", site_name="TRT World",
                                               canonical=TRT_URL, body=body, json_ld_date="2022-02-02"))
    (tmp_path / "c.html").write_text(news_page(title="A headline for the page", site_name="TRT World",
                                               canonical=TRT_URL, body=body, json_ld_date="2022-02-03T14:25:31+03:00"))
    a, b, c = read(tmp_path)
    assert (a.published, a.published_precision) == ("2022-02-03T14:05:00Z", "minute")
    assert (b.published, b.published_precision) == ("2022-02-02", "day")  # another day: the markup wins
    assert (c.published, c.published_precision) == ("2022-02-03T11:25:31Z", "second")  # a time wins


def test_html_without_a_date_in_the_markup_gets_none(tmp_path):
    """No guessing from the copyright year ("© 2022" is not 2022-01-01)."""
    (tmp_path / "a.html").write_text(news_page(title="A headline for the page", site_name="TRT World",
                                               canonical=TRT_URL, body=paragraphs_html(TRT_STORY)))
    [article] = read(tmp_path)
    assert (article.published, article.published_precision) == (None, None)


def test_html_date_from_meta_and_site_name_alias(tmp_path):
    (tmp_path / "s.html").write_text(sputnik_page(), "utf-8")
    [article] = read(tmp_path)
    assert article.outlet == "Sputnik"  # sputniknews.com, and "Sputnik International" is an alias
    assert (article.published, article.published_precision) == ("2022-02-03T16:20:00Z", "minute")


def test_html_outlet_from_unknown_site_name_or_host(tmp_path):
    body = paragraphs_html(RT_TEXT)
    (tmp_path / "a.html").write_text(news_page(title="A headline for the page", site_name="The Daily Example",
                                               canonical="https://news.example.org/x", body=body))
    (tmp_path / "b.html").write_text(news_page(title="A headline for the page", site_name=None,
                                               canonical="https://www.example.net/y", body=body))
    a, b = read(tmp_path)
    assert a.outlet == "The Daily Example"
    assert b.outlet == "example.net"
    assert read(tmp_path / "a.html", outlet="rt")[0].outlet == "RT"


def test_html_without_article_text_is_an_error(tmp_path):
    (tmp_path / "index.html").write_text(
        "<html><head><title>Home</title></head><body>" + NAV + "<footer>&copy; 2022</footer></body></html>")
    (tmp_path / "empty.html").write_text("  \n")
    errors = read(tmp_path)
    assert [(e.source, e.reason) for e in errors] == [
        (str(tmp_path / "empty.html"), "empty file"),
        (str(tmp_path / "index.html"), "no article text found in the page"),
    ]


def test_saved_page_assets_folder_is_skipped(tmp_path):
    """A browser's "Web page, complete" writes page.html and page_files/ (scripts, styles, ad frames)."""
    (tmp_path / "Russia supports US.html").write_text(trt_page(), "utf-8")
    assets = tmp_path / "Russia supports US_files"
    assets.mkdir()
    (assets / "app.js").write_text("console.log(1)")
    (assets / "style.css").write_text("body{}")
    (assets / "ad-frame.html").write_text(news_page(title="Buy now and save", site_name="Ads", canonical=None,
                                                    body=paragraphs_html(RT_TEXT)))
    (tmp_path / "other_files").mkdir()  # no other.html beside it: an ordinary folder
    (tmp_path / "other_files" / "note.txt").write_text("A headline for the test\nBody\n")
    items = read(tmp_path)
    assert [i.external_id for i in items] == ["Russia supports US.html", "other_files/note.txt"]


# --- WARC -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, compress", [("crawl.warc.gz", True), ("crawl.warc", False)])
def test_warc_html_responses_become_articles(tmp_path, name, compress):
    ids = write_warc(tmp_path / name, crawl_responses(), compress=compress)
    items = read(tmp_path)
    assert all(isinstance(i, Article) for i in items), items  # image, redirect, 404, request, metadata skipped
    sputnik, rt = items
    assert sputnik.external_id == f"{name}#{ids[SPUTNIK_URL]}"
    assert (sputnik.outlet, sputnik.url) == ("Sputnik", SPUTNIK_URL)
    assert (sputnik.published, sputnik.published_precision) == ("2022-02-03T16:20:00Z", "minute")
    assert sputnik.extra["captured"] == "2022-02-03T16:42:07Z"  # capture time kept apart from publication
    assert sputnik.extra["warc_record_id"] == ids[SPUTNIK_URL]
    assert "captured_url" not in sputnik.extra  # canonical and captured URL agree
    assert sputnik.text.split("\n") == SPUTNIK_TEXT
    assert sputnik.source == str(tmp_path / name)
    # gzip Content-Encoding and an ISO-8859-1 charset; no canonical link: the target URI is the URL
    assert (rt.url, rt.outlet, rt.extra["captured"]) == (RT_URL, "RT", "2022-02-03T18:00:00Z")
    assert rt.published == "2022-02-03" and rt.published_precision == "day"
    assert "\u201cready to cooperate with all interested countries\u201d" in rt.text


def test_warc_resource_record_and_syndicated_copy(tmp_path):
    """A resource record (a browser-based crawler's capture) is read too; a copy captured on one site
    whose canonical link names another keeps both URLs, and the site it was captured on is the outlet."""
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "b.warc"
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        writer.write_record(writer.create_warc_record(
            "https://www.rt.com/russia/copy/", "resource", payload=io.BytesIO(sputnik_page().encode()),
            warc_content_type="text/html", warc_headers_dict={"WARC-Date": "2022-02-04T10:00:00.123456Z"}))
        copy = sputnik_page().replace('content="Sputnik International"', 'content="Example Wire"')
        writer.write_record(writer.create_warc_record(
            "https://news.example.net/world/copy/", "resource", payload=io.BytesIO(copy.encode()),
            warc_content_type="text/html; charset=utf-8"))
    rt, example = read(path)
    assert rt.url == SPUTNIK_URL
    assert rt.extra["captured_url"] == "https://www.rt.com/russia/copy/"
    assert rt.outlet == "RT"
    assert rt.extra["captured"] == "2022-02-04T10:00:00Z"
    # an unknown site carrying Sputnik's story with a canonical link to it: the copy is its own
    assert (example.url, example.outlet, example.extra["site_name"]) == (SPUTNIK_URL, "Example Wire", "Example Wire")


def test_warc_record_offsets_are_reported_for_empty_pages(tmp_path):
    responses = crawl_responses()[:1] + [
        {"uri": "https://sputniknews.com/video/", "body": b"<html><body><nav><a href='/'>Home</a></nav></body></html>"}]
    write_warc(tmp_path / "c.warc.gz", responses)
    article, error = read(tmp_path / "c.warc.gz")
    assert article.outlet == "Sputnik"
    assert error.source == str(tmp_path / "c.warc.gz") and error.line is None
    assert error.reason.startswith("record at offset ")
    assert error.reason.endswith("no article text found in https://sputniknews.com/video/")
    assert error.record_id


def warc_offsets(path: Path) -> dict[str, int]:
    """Offsets of the response records, by target URI, as warcio reports them."""
    from warcio.archiveiterator import ArchiveIterator

    offsets = {}
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            if record.rec_type == "response":
                offsets[record.rec_headers.get_header("WARC-Target-URI")] = records.get_record_offset()
    return offsets


@pytest.mark.parametrize("compress", [True, False])
def test_warc_bad_record_costs_only_that_record(tmp_path, compress):
    path = tmp_path / ("c.warc.gz" if compress else "c.warc")
    responses = crawl_responses()
    write_warc(path, responses, compress=compress)
    offsets = warc_offsets(path)
    data = bytearray(path.read_bytes())
    bad = offsets[SPUTNIK_URL]
    if compress:  # garbage inside the gzip member of the Sputnik response
        data[bad + 40 : bad + 240] = b"\x00" * 200
    else:  # a mangled record header line
        assert data[bad : bad + 8] == b"WARC/1.0"
        data[bad : bad + 8] = b"WARX/9.9"
    path.write_bytes(bytes(data))
    items = read(path)
    errors = [i for i in items if isinstance(i, LoadError)]
    assert [a.url for a in items if isinstance(a, Article)] == [RT_URL]
    [error] = errors
    assert error.source == str(path)
    assert error.reason.startswith(f"record at offset {bad}: ")
    assert "reading resumed at offset" in error.reason


def test_warc_truncated_at_the_end(tmp_path):
    path = tmp_path / "c.warc.gz"
    write_warc(path, crawl_responses())
    offsets = warc_offsets(path)
    cut = offsets[RT_URL] + 100
    path.write_bytes(path.read_bytes()[:cut])
    items = read(path)
    assert [a.url for a in items if isinstance(a, Article)] == [SPUTNIK_URL]
    [error] = [i for i in items if isinstance(i, LoadError)]
    assert error.reason.startswith(f"record at offset {offsets[RT_URL]}: ")
    assert error.reason.endswith("the rest of the file could not be read")


def test_warc_not_an_archive(tmp_path):
    (tmp_path / "x.warc").write_text("this is not a web archive\n")
    (tmp_path / "y.warc.gz").write_bytes(b"")
    x, y = read(tmp_path)
    assert x.reason.startswith("record at offset 0: ") and "could not be read" in x.reason
    assert y.reason == "empty file"


# --- WARC gzipped as one stream, and records that are not what their headers say ---------------


def warc_records(pages: list[tuple[str, bytes]], content_type: str = "text/html; charset=utf-8"
                 ) -> tuple[bytes, list[int]]:
    """An uncompressed WARC of one response per (uri, body), and the offset of each record."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    offsets = []
    for uri, body in pages:
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        offsets.append(buf.tell())
        writer.write_record(writer.create_warc_record(uri, "response", payload=io.BytesIO(body), http_headers=http))
    return buf.getvalue(), offsets


def story_pages(n: int) -> list[tuple[str, bytes]]:
    return [(f"https://news.example.org/story-{i}",
             news_page(title=f"Story number {i} of the crawl", site_name="Example News", canonical=None,
                       body=paragraphs_html([f"Story {i}: {p}" for p in RT_TEXT])).encode())
            for i in range(n)]


NO_ARTICLE = b"<html><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></body></html>"


def read_at_most(path: Path, limit: int) -> list[Article | LoadError]:
    """What reading *path* gives, up to *limit* items: a reader that never ends fails, not hangs."""
    items = list(islice(read_paths([path]), limit + 1))
    assert len(items) <= limit, f"more than {limit} items: {items[-3:]}"
    return items


@pytest.mark.parametrize("n", [1, 2, 3, 25])
def test_warc_gzipped_as_one_member_loads_every_record(tmp_path, n):
    """``gzip crawl.warc`` compresses a whole WARC as one gzip member: it is read as one stream,
    and its offsets are those of the decompressed data."""
    data, offsets = warc_records(story_pages(n))
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(gzip.compress(data))
    items = read_at_most(path, n)
    assert all(isinstance(i, Article) for i in items), items
    assert [a.url for a in items] == [uri for uri, _ in story_pages(n)]
    assert [a.extra["warc_offset"] for a in items] == offsets
    assert all(a.text.startswith(f"Story {i}: ") for i, a in enumerate(items))


def test_warc_gzipped_as_one_member_reports_errors_at_offsets_of_its_data(tmp_path):
    pages = story_pages(5)
    pages[3] = (pages[3][0], NO_ARTICLE)
    data, offsets = warc_records(pages)
    data = data[: offsets[1]] + b"WARX/9.9" + data[offsets[1] + 8 :]  # a mangled record header
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(gzip.compress(data))
    items = read_at_most(path, 5)
    assert [a.url for a in items if isinstance(a, Article)] == [pages[i][0] for i in (0, 2, 4)]
    mangled, no_text = [e.reason for e in items if isinstance(e, LoadError)]
    assert mangled.startswith(f"record at offset {offsets[1]} of the decompressed data: ")
    assert mangled.endswith(f"reading resumed at offset {offsets[2]}")
    assert no_text == f"record at offset {offsets[3]} of the decompressed data: no article text found in {pages[3][0]}"


def test_warc_gzipped_as_one_member_and_cut_short(tmp_path):
    data, offsets = warc_records(story_pages(4))
    packed = gzip.compress(data)
    # cut where the data that can still be decompressed ends inside the third record's page
    cut = next(c for c in range(0, len(packed), 16)
               if len(zlib.decompressobj(31).decompress(packed[:c])) > offsets[2] + 900)
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(packed[:cut])
    items = read_at_most(path, 4)
    assert [a.extra["warc_offset"] for a in items if isinstance(a, Article)] == offsets[:2]
    [error] = [e for e in items if isinstance(e, LoadError)]
    assert error.reason == (f"record at offset {offsets[2]} of the decompressed data: the file ends inside this record"
                            " (truncated); the rest of the file could not be read")


def test_warc_with_a_member_of_many_records_after_members_of_one(tmp_path):
    """Records gzipped one by one, then the rest of the crawl gzipped as one member (files joined
    with ``cat``): the members of one record are read in place, the last as a stream."""
    pages = story_pages(5)
    pages[3] = (pages[3][0], NO_ARTICLE)
    data, offsets = warc_records(pages)
    first = gzip.compress(data[: offsets[1]])
    head = first + gzip.compress(data[offsets[1] : offsets[2]])
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(head + gzip.compress(data[offsets[2] :]))
    items = read_at_most(path, 5)
    found = [(a.url, a.extra["warc_offset"], a.extra.get("warc_decompressed_from")) for a in items if isinstance(a, Article)]
    assert found == [(pages[0][0], 0, None), (pages[1][0], len(first), None), (pages[2][0], len(head), None),
                     (pages[4][0], offsets[4] - offsets[2], len(head))]
    [error] = [e for e in items if isinstance(e, LoadError)]
    assert error.reason == (f"record at offset {offsets[3] - offsets[2]} of the decompressed data from the gzip member"
                            f" at offset {len(head)}: no article text found in {pages[3][0]}")


def warc_layout(records: list[bytes], layout: str) -> tuple[bytes, list[int]]:
    """The records as a file: uncompressed, one gzip member each, or gzipped whole; and the offset of
    each, in the file or (gzipped whole) in the decompressed data."""
    if layout == "members":
        members = [gzip.compress(r) for r in records]
        return b"".join(members), [sum(map(len, members[:i])) for i in range(len(members))]
    offsets = [sum(map(len, records[:i])) for i in range(len(records))]
    return (gzip.compress(b"".join(records)) if layout == "whole" else b"".join(records)), offsets


@pytest.mark.parametrize("layout", ["plain", "members", "whole"])
def test_warc_record_whose_content_length_is_short_is_an_error(tmp_path, capfd, layout):
    """warcio reads such a record cut short and warns on stderr only: it is reported with its offset
    instead, and nothing is printed."""
    records = [warc_records([page])[0] for page in story_pages(3)]
    records[1] = re.sub(rb"Content-Length: (\d+)", lambda m: b"Content-Length: %d" % (int(m[1]) - 300), records[1],
                        count=1)
    data, offsets = warc_layout(records, layout)
    path = tmp_path / ("crawl.warc" if layout == "plain" else "crawl.warc.gz")
    path.write_bytes(data)
    items = read_at_most(path, 3)
    assert [a.extra["warc_offset"] for a in items if isinstance(a, Article)] == [offsets[0], offsets[2]]
    [error] = [e for e in items if isinstance(e, LoadError)]
    where = " of the decompressed data" if layout == "whole" else ""
    assert error.reason == (f"record at offset {offsets[1]}{where}: the record does not end where its Content-Length says"
                            " (no blank line there): its content is cut short or runs into the next record;"
                            f" reading resumed at offset {offsets[2]}")
    assert capfd.readouterr().err == ""


class OverBudget(BaseException):
    """Not an Exception: the reader's own handlers must not catch it."""


class MeteredFile(io.FileIO):
    """A file that counts the bytes read from it, and stops a reader that reads too much."""

    def __init__(self, path: Path, budget: int) -> None:
        super().__init__(path, "rb")
        self.budget = budget

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self.budget -= len(data)
        if self.budget < 0:
            raise OverBudget
        return data


def check_recovery_ends(path: Path, records: int, damages: int) -> None:
    """Reading a damaged WARC ends after a bounded number of items and bytes read, with every
    offset in the data and every pass starting after the one before."""
    from datasette_provenance.extract import WarcProblem, warc_captures

    size = path.stat().st_size
    most = 2 * records + 2 * damages + 2  # items: a capture or problem per record, a problem per damage
    with MeteredFile(path, budget=(most + 3) * 4 * max(size, 2**14)) as fh:
        items = list(islice(warc_captures(fh), most + 1))
    assert len(items) <= most, items[-3:]
    last: dict[int | None, int] = {}
    for item in items:
        assert 0 <= item.offset <= 4 * size + 2**16, item
        member = getattr(item, "member", None)  # where offsets count from: the file, or a gzip stream in it
        assert item.offset > last.get(member, -1), (item, last)
        last[member] = item.offset
        if isinstance(item, WarcProblem) and item.resumed_at is not None:
            assert item.resumed_at > item.offset, item
            last[member] = item.resumed_at - 1


def small_warc_records(n: int) -> list[bytes]:
    body = [f"<html><body><p>Record {i} of a crawl, with a sentence or two of text in it.</p></body></html>".encode()
            for i in range(n)]
    return [warc_records([(f"https://example.org/{i}", b)])[0] for i, b in enumerate(body)]


@pytest.mark.parametrize("layout", ["plain", "members", "whole"])
def test_warc_recovery_always_ends_on_every_damaged_copy(tmp_path, layout):
    """Every copy of a small WARC with 24 bytes of garbage at one place, and every copy cut short:
    each is read to its end, in bounded work."""
    data, _ = warc_layout(small_warc_records(4), layout)
    path = tmp_path / "c.warc.gz"
    for at in range(0, len(data), max(1, len(data) // 60)):
        path.write_bytes(data[:at] + bytes(random.Random(at).randrange(256) for _ in range(24)) + data[at + 24 :])
        check_recovery_ends(path, 4, 1)
        path.write_bytes(data[: at + 1])
        check_recovery_ends(path, 4, 1)


@pytest.mark.parametrize("layout", ["plain", "members", "whole"])
def test_warc_recovery_always_ends_property(tmp_path_factory, layout):
    """Any number of records, overwritten, deleted, inserted or cut anywhere: reading ends."""
    from hypothesis import HealthCheck, given, settings, strategies as st

    folder = tmp_path_factory.mktemp("warc")
    damage = st.tuples(st.floats(0, 1), st.sampled_from(["overwrite", "insert", "delete", "cut"]),
                       st.binary(min_size=1, max_size=40))

    @settings(max_examples=120, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(records=st.integers(1, 6), damages=st.lists(damage, max_size=4))
    def check(records, damages):
        data, _ = warc_layout(small_warc_records(records), layout)
        for where, kind, junk in damages:
            at = int(where * len(data))
            data = {"overwrite": data[:at] + junk + data[at + len(junk):], "insert": data[:at] + junk + data[at:],
                    "delete": data[:at] + data[at + len(junk):], "cut": data[:at]}[kind]
        path = folder / "c.warc.gz"
        path.write_bytes(data)
        check_recovery_ends(path, records, len(damages))

    check()


def test_warc_page_over_the_limit_is_refused(tmp_path, monkeypatch):
    from datasette_provenance import extract

    monkeypatch.setattr(extract, "MAX_PAGE_BYTES", 2**20, raising=False)
    pages = story_pages(3)
    pages[1] = (pages[1][0], pages[1][1].replace(b"<main", b"<!--" + b"x" * 2**20 + b"--><main"))
    data, offsets = warc_records(pages)
    path = tmp_path / "crawl.warc"
    path.write_bytes(data)
    items = read(path)
    assert [a.url for a in items if isinstance(a, Article)] == [pages[0][0], pages[2][0]]
    [error] = [e for e in items if isinstance(e, LoadError)]
    assert error.reason == (f"record at offset {offsets[1]}: the page is over 1.0 MiB, the most a saved page may have:"
                            f" skipped; reading resumed at offset {offsets[2]}")


@pytest.mark.parametrize("inline", [
    # 21 MB: an image inlined as a data: URI; trafilatura's own limit is 20 MB, ours (64 MiB) counts
    '<img alt="Map of the province" src="data:image/png;base64,' + "iVBORw0KGgoAAAANSUhEUg" * 950_000 + '">',
    # 3.4 million characters, but 10.2 MB of UTF-8: libxml2's limit is in bytes
    "<script>var captions = '" + "字幕" * 1_700_000 + "';</script>",
], ids=["21 MB data URI", "10 MB of UTF-8 in a script"])
def test_html_page_with_a_value_over_libxml2s_limit_loads(tmp_path, inline):
    """libxml2 stops at a text or attribute value of 10,000,000 bytes unless asked to read huge trees:
    the story after it was lost, reported as "no article text found"."""
    html = news_page(title="Moscow calls for probe into civilian deaths", site_name="RT", canonical=RT_URL,
                     body=inline + paragraphs_html(RT_TEXT))
    (tmp_path / "big.html").write_text(html, "utf-8")
    [article] = read(tmp_path / "big.html")
    assert isinstance(article, Article), article
    assert article.text.split("\n")[-len(RT_TEXT):] == RT_TEXT


ZH_TEXT = [
    "国务院总理朱镕基今天在北京会见了来访的代表团，双方就扩大经济合作和贸易往来深入交换了意见。",
    "朱镕基表示，中方愿同各方一道，进一步加强在基础设施建设、能源和农业等领域的务实合作。",
]
TR_TEXT = [
    "Dışişleri Bakanlığı sözcüsü, “sivil kayıpların ayrıntılı biçimde soruşturulması gerektiğini” söyledi ve"
    " bölgedeki gelişmelerin yakından izlendiğini belirtti.",
    "Yetkililer, operasyon sırasında en az on üç kişinin hayatını kaybettiğini ve altısının çocuk olduğunu açıkladı.",
]


LEGACY_PAGES = [
    # 镕 is in GBK, not in GB2312: pages labelled gb2312 are GBK, and browsers read them as GB18030
    pytest.param("gb2312", "gbk", ZH_TEXT, id="gb2312"),
    # Turkish pages labelled ISO-8859-9 are Windows-1254: its curly quotes are 0x93 and 0x94
    pytest.param("iso-8859-9", "cp1254", TR_TEXT, id="iso-8859-9"),
]


@pytest.mark.parametrize("charset, encoding, text", LEGACY_PAGES)
def test_html_in_a_legacy_charset_is_read_as_browsers_read_it(tmp_path, charset, encoding, text):
    from datasette_provenance.extract import decode_html

    html = news_page(title=text[0][:20], site_name=None, canonical=None, body=paragraphs_html(text), charset=charset)
    decoded = decode_html(html.encode(encoding))
    assert isinstance(decoded, str) and all(paragraph in decoded for paragraph in text)
    (tmp_path / "page.html").write_bytes(html.encode(encoding))
    [article] = read(tmp_path / "page.html")
    assert isinstance(article, Article), article
    assert all(paragraph in article.text for paragraph in text), article.text
    assert not re.search("[\x80-\x9f\ufffd]", article.text)  # no C1 controls, nothing undecodable


@pytest.mark.parametrize("charset, encoding, text", LEGACY_PAGES)
def test_warc_page_in_the_charset_its_server_declared(tmp_path, charset, encoding, text):
    """The HTTP Content-Type's charset decides when the page itself declares none."""
    html = news_page(title="A delegation visits", site_name=None, canonical=None, body=paragraphs_html(text))
    html = html.replace('<meta charset="utf-8">', "")
    data, _ = warc_records([("https://news.example.net/1", html.encode(encoding))],
                           content_type=f"text/html; charset={charset.upper()}")
    (tmp_path / "c.warc").write_bytes(data)
    [article] = read(tmp_path / "c.warc")
    assert isinstance(article, Article), article
    assert all(paragraph in article.text for paragraph in text), article.text
    assert not re.search("[\x80-\x9f\ufffd]", article.text)


# --- news-please ----------------------------------------------------------------------------------

ISLAM_TIMES_TEXT = seed_paragraphs("001_9b0a0d5c8cd9f5d1.txt", "According to the Russian", "At least 13 people")
ISLAM_TIMES_URL = "https://www.islamtimes.org/en/news/977259/russia-to-investigate-death-of-civilians-during-us-operation-in-syria"


def news_please_record(**changes) -> dict:
    """As news-please writes it: one object per article, every key present, null when unknown."""
    record = {
        "authors": [],
        "date_download": "2022-02-05 08:13:44",
        "date_modify": "2022-02-05 08:13:44",
        "date_publish": "2022-02-04 22:17:00",
        "description": "According to the Russian Foreign Ministry Spokeswoman Maria Zakharova, Moscow favors the"
                       " efforts of other states.",
        "filename": "https%3A%2F%2Fwww.islamtimes.org%2Fen%2Fnews%2F977259.json",
        "image_url": "https://www.islamtimes.org/images/docs/000977/n00977259-b.jpg",
        "language": "en",
        "localpath": None,
        "maintext": "\n".join(ISLAM_TIMES_TEXT),
        "source_domain": "www.islamtimes.org",
        "text": None,
        "title": "Russia to Investigate Death of Civilians during US Operation in Syria",
        "title_page": None,
        "title_rss": None,
        "url": ISLAM_TIMES_URL,
    }
    return record | changes


def test_news_please_json_file(tmp_path):
    (tmp_path / "977259.json").write_text(json.dumps(news_please_record(), indent=4))
    [article] = read(tmp_path)
    assert article.external_id == ISLAM_TIMES_URL
    assert (article.outlet, article.url) == ("Islam Times", ISLAM_TIMES_URL)
    assert article.title == "Russia to Investigate Death of Civilians during US Operation in Syria"
    assert (article.published, article.published_precision) == ("2022-02-04T22:17:00", "second")
    assert article.text.split("\n") == ISLAM_TIMES_TEXT
    assert article.extra["captured"] == "2022-02-05T08:13:44"
    assert article.extra["language"] == "en" and article.extra["date_modify"] == "2022-02-05 08:13:44"
    assert {"maintext", "date_publish", "source_domain", "title", "url", "localpath", "text", "authors",
            "date_download"}.isdisjoint(article.extra)
    assert article.line is None


def test_news_please_json_lines_and_bad_records(tmp_path):
    records = [
        news_please_record(),
        news_please_record(maintext=None, url="https://sputniknews.com/x"),
        news_please_record(maintext=None, text="Older news-please wrote the body as text.", url="https://tass.com/1",
                           source_domain="tass.com", date_publish=None, authors=["Staff"]),
        news_please_record(maintext=["not", "text"]),
        news_please_record(url="https://unknown.example.com/a", source_domain="unknown.example.com",
                           date_publish="1643892840"),
    ]
    path = tmp_path / "crawl.json"  # news-please objects, one per line, under a .json name
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    first, no_text, old, wrong, unknown = read(path)
    assert (first.line, first.outlet) == (1, "Islam Times")
    assert (no_text.source, no_text.line, no_text.reason, no_text.record_id) == (
        str(path), 2, "no text: 'maintext' is empty", "https://sputniknews.com/x")
    assert (old.outlet, old.text, old.published, old.extra["authors"]) == (
        "TASS", "Older news-please wrote the body as text.", None, ["Staff"])
    assert (wrong.line, wrong.reason) == (4, "'maintext' must be a string, got array")
    assert (unknown.outlet, unknown.published) == ("example.com", "2022-02-03T12:54:00Z")  # the registered domain


def test_json_file_with_our_fields_or_an_array(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps({"id": "x1", "outlet": "tass", "text": "Body one"}))
    (tmp_path / "many.json").write_text(json.dumps([{"text": "Body two"}, 5, {"title": "no body"}]))
    (tmp_path / "bad.json").write_text('{"text": "unfinished"')
    bad, two, not_object, no_body, one = read(tmp_path)
    assert bad.reason.startswith("invalid JSON")
    assert (two.external_id, two.text) == ("many.json[0]", "Body two")
    assert not_object.reason == "item 1: expected a JSON object, got number"
    assert no_body.reason == "item 2: missing 'text' field"
    assert (one.external_id, one.outlet) == ("x1", "TASS")


def test_compressed_files_are_read_as_what_they_hold(tmp_path):
    """Datasets are shared compressed (``articles.jsonl.gz``): gzip, bzip2 and xz are read through
    their decompressors as the format before the suffix says, each record named by its line. Damage
    ends the file with an error on the line it reached, the records before it stand; a compressed
    file of no format we read is skipped in a folder, and named when given."""
    import bz2
    import lzma
    lines = [json.dumps({"id": f"r{i}", "outlet": "A", "text": f"Body {i} " + "x" * 300}) for i in range(20000)]
    data = "\n".join(lines).encode()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl.gz").write_bytes(gzip.compress(data))
    (folder / "b.json.bz2").write_bytes(bz2.compress(json.dumps([{"id": "j1", "text": "Body j"}], indent=1).encode()))
    (folder / "c.csv.xz").write_bytes(lzma.compress(b"id,text\nc1,Body c\n"))
    (folder / "d.html.gz").write_bytes(gzip.compress(trt_page().encode()))
    whole = gzip.compress(data)
    (folder / "e.jsonl.gz").write_bytes(whole[:len(whole) // 2])
    (folder / "f.txt.gz").write_bytes(b"not compressed at all")
    (folder / "g.tar.gz").write_bytes(gzip.compress(b"x"))
    items = read(folder)
    by_file: dict[str, list] = {}
    for item in items:
        by_file.setdefault(Path(item.source).name, []).append(item)
    assert sorted(by_file) == ["a.jsonl.gz", "b.json.bz2", "c.csv.xz", "d.html.gz", "e.jsonl.gz", "f.txt.gz"]
    assert [(a.external_id, a.line) for a in by_file["a.jsonl.gz"]][-1] == ("r19999", 20000)
    assert [(a.external_id, a.text, a.line) for a in by_file["b.json.bz2"]] == [("j1", "Body j", 2)]
    assert [(a.external_id, a.text) for a in by_file["c.csv.xz"]] == [("c1", "Body c")]
    assert by_file["d.html.gz"][0].title and isinstance(by_file["d.html.gz"][0], Article)
    *kept, damage = by_file["e.jsonl.gz"]
    assert 3000 < len(kept) < 20000 and all(isinstance(a, Article) for a in kept)  # read a MiB at a time
    assert isinstance(damage, LoadError) and damage.line == kept[-1].line + 1
    assert damage.reason.startswith("compressed data is damaged or cut short by this line: ")
    [bogus] = by_file["f.txt.gz"]
    assert bogus.reason.startswith("compressed data is damaged or cut short: Not a gzipped file")
    [tar] = read(folder / "g.tar.gz")
    assert tar.reason.startswith("unsupported format '.gz': expected .txt, .json, .jsonl, .ndjson, .csv, .tsv, .html,"
                                 " .htm, .xhtml (each also compressed: .gz, .bz2, .xz)")


def test_an_array_whose_lines_are_not_all_found_loses_no_record(tmp_path, monkeypatch):
    """Should the walk that finds each item's line miss one, the items are read without lines."""
    from datasette_provenance import ingest
    (tmp_path / "many.json").write_text(json.dumps([{"text": "Body one"}, {"text": "Body two"}], indent=1))
    assert [a.line for a in read(tmp_path)] == [2, 5]
    monkeypatch.setattr(ingest, "_item_lines", lambda text, key: iter([2]))
    assert [(a.text, a.line) for a in read(tmp_path)] == [("Body one", None), ("Body two", None)]


def test_fields_say_where_records_keep_ours(tmp_path):
    """A scraper's or an API's records name our fields their own way (``body``, ``publishedAt``, an
    outlet inside ``source``): ``fields`` says where, a key, a column or a path into nested objects,
    several places for one field where files differ, the first a record has taken. A key taken is
    not kept twice in ``extra``; a record without any of them reads as it would without ``fields``."""
    records = [{"uid": "n1", "source": {"name": "TASS"}, "body": "Body one", "publishedAt": "2022-02-03T10:00:00Z",
                "link": "https://example.com/a", "tags": ["x"]},
               {"uid": "n2", "source": None, "text": "Body two"},
               {"id": "n3", "source": {"name": "AFP"}, "body": "Body three", "text": "Its summary"}]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "b.csv").write_text("Headline,Body,source.name\nT1,Body four,Reuters\n")
    fields = [("id", "uid"), ("text", "body"), ("text", "Body"), ("outlet", "source.name"), ("published", "publishedAt"),
              ("url", "link"), ("title", "Headline")]
    one, two, three, four = read(tmp_path, fields=fields)
    assert (one.external_id, one.text, one.outlet, one.published, one.url) == (
        "n1", "Body one", "TASS", "2022-02-03T10:00:00Z", "https://example.com/a")
    assert one.extra == {"source": {"name": "TASS"}, "tags": ["x"]}
    assert (two.external_id, two.text, two.outlet) == ("n2", "Body two", None)
    assert (three.external_id, three.text, three.outlet) == ("n3", "Body three", "AFP")  # the field said wins
    assert (four.external_id, four.title, four.text, four.outlet) == ("b.csv:2", "T1", "Body four", "Reuters")
    assert [type(r) for r in read(tmp_path / "b.csv")] == [LoadError]  # without them: no text column
    assert read(tmp_path / "a.jsonl", fields={"text": "body"})[0].text == "Body one"
    with pytest.raises(ValueError, match="'body' is none of our fields"):
        read(tmp_path, fields={"body": "text"})


def test_an_api_page_is_read_as_the_records_it_holds(tmp_path):
    """A page of an API or a scraper's export wraps its records in an object (``{"status": …,
    "articles": [...]}``): they are read as an array's are, named as in one, each with the line it
    starts on, what is wrong with an item reported as an array's item is. An object with no text and no array of records with text is
    one record without text, as before (a list of images in it is not its records)."""
    page = {"status": "ok", "total": 3, "tags": ["news"],
            "articles": [{"id": "a1", "outlet": "tass", "text": "Body one"}, {"title": "no body"}, {"text": "Body two"}]}
    (tmp_path / "page.json").write_text(json.dumps(page, indent=1))
    (tmp_path / "photos.json").write_text(json.dumps({"id": "p1", "images": [{"src": "a.jpg", "title": "A"}]}))
    (tmp_path / "records.json").write_text(json.dumps({"text": "Its own body", "related": [{"text": "another"}]}))
    one, no_body, two, photos, record = read(tmp_path)
    assert (one.external_id, one.outlet, two.external_id, two.text) == ("a1", "TASS", "page.json[2]", "Body two")
    assert (one.line, no_body.line, no_body.reason, two.line) == (8, 13, "item 1: missing 'text' field", 16)
    assert (photos.reason, photos.record_id) == ("missing 'text' field (other keys: images; --field text=KEY reads one)",
                                                 "p1")
    assert (record.text, record.extra["related"]) == ("Its own body", [{"text": "another"}])


# One story as a CMS exports its body (markup, references, a script, an inline link) and as plain text.
STORY = ["Officials in the capital said on Monday that the new bridge across the river would open in May.",
         "The project, which cost 40 million euros, was delayed twice by floods and a strike.",
         "Residents welcomed the news but asked for more buses on the route."]
STORY_HTML = ('<div class="body"><p class="lead">Officials in the capital said on Monday that the new bridge'
              ' across the <a href="https://example.com/river">river</a> would open in May.</p>\n'
              '<script>track("view");</script><!-- ad slot -->'
              '<p>The project, which cost 40&nbsp;million euros, was delayed twice by floods and a strike.'
              '</p><p>Residents welcomed the news<br>but asked for more <em>buses</em> on the route.</p></div>')


def test_html_in_a_records_text_is_read_as_html(tmp_path):
    """A record whose text is HTML (ours, news-please's, a CSV's: paragraphs in block tags; escaped
    once more, as a feed's body stored as text is) is read as a page's body is: its blocks as
    paragraphs, tags and scripts left out, references read. Text that compares (a < b) or quotes
    tags, its paragraphs in its line breaks, is plain, escaped or not; markup without text is an
    error naming the record's line."""
    path = tmp_path / "a.jsonl"
    escaped = [{"id": "x1", "outlet": "E", "text": html_escape(STORY_HTML.replace("buses", "caf&eacute; &amp; buses"))},
               {"id": "x2", "outlet": "E", "text": "Where a &lt; b, &lt;p&gt; opens a paragraph.\n\nThe &lt;img&gt; tag &amp;c."}]
    records = [{"id": "h1", "outlet": "A", "text": STORY_HTML},
               news_please_record(maintext="First &ldquo;quoted&rdquo; line.<br><BR/>\nSecond <b>line</b>."),
               {"id": "p1", "outlet": "B", "text": "Prices rose where a < b and c > d held, x<y and z>w too.\n\n"
                                                   "A post quoted <script>alert(1)</script> and <img src=x>, <b>bold</b>."},
               {"id": "e1", "outlet": "C", "text": "<p> </p><br/><p>&nbsp;</p>"},
               news_please_record(maintext="<div><br></div>"), *escaped]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    (tmp_path / "b.csv").write_text('id,outlet,text\nc1,D,"<p>One.</p><p>Two.</p>"\n')
    html, news, plain, empty, news_empty, escaped_html, escaped_plain = read(path)
    assert html.text.split("\n\n") == STORY
    assert html.markup and news.markup and not plain.markup
    assert escaped_html.markup and escaped_html.text == html.text.replace("buses", "caf\u00e9 & buses") != html.text
    assert (escaped_plain.text, escaped_plain.markup) == (escaped[1]["text"], False)
    assert news.text == "First \u201cquoted\u201d line.\n\nSecond line."
    assert plain.text == records[2]["text"]
    assert (empty.line, empty.reason, empty.record_id) == (4, "'text' holds HTML and no text", "e1")
    assert (news_empty.line, news_empty.reason) == (5, "no text: 'maintext' holds HTML and no text")
    [csv_row] = read(tmp_path / "b.csv")
    assert (csv_row.text, csv_row.markup) == ("One.\n\nTwo.", True)


def test_a_story_in_markup_links_whole_to_its_plain_copy(tmp_path):
    """The markup costs the match nothing: every sentence of the HTML record is in a cluster with its
    plain copy's, and the summary says which text was read as HTML."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "h1", "outlet": "Gazette", "published": "2022-02-03T10:00", "text": STORY_HTML})
                    + "\n" + json.dumps({"id": "p1", "outlet": "Courier", "published": "2022-02-03T12:00",
                                         "text": "\n\n".join(STORY)}) + "\n")
    summary = load_paths(str(tmp_path / "c.db"), [str(path)])
    assert "1 of the 2 articles added had HTML in their record's text: read as HTML" in str(summary)
    with sqlite3.connect(tmp_path / "c.db") as conn:
        text = conn.execute("select text from articles where external_id = 'h1'").fetchone()[0]
        assert "<" not in text and "track" not in text
        unclustered = conn.execute(
            "select count(*) from sentences s join articles a on a.id = s.article_id where a.external_id = 'h1'"
            " and s.kind = 'text' and not exists (select 1 from cluster_members m join cluster_members n"
            " on n.cluster_id = m.cluster_id join articles b on b.id = n.article_id"
            " where m.sentence_id = s.id and b.external_id = 'p1')").fetchone()[0]
        assert unclustered == 0
        assert conn.execute("select count(*) from sentences s join articles a on a.id = s.article_id"
                            " where a.external_id = 'h1' and s.kind = 'text'").fetchone()[0] >= 3


def test_our_fields_win_over_export_keys(tmp_path):
    """A record of ours that merely carries a news-please or Media Cloud key keeps its own fields."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "o1", "outlet": "CNN", "published": "2022-02-03", "text": "Body",
                                "date_download": "2022-02-05", "media_name": "x", "publish_date": "2021-01-01"}) + "\n")
    [article] = read(path)
    assert (article.outlet, article.published) == ("CNN", "2022-02-03")
    assert article.extra == {"date_download": "2022-02-05", "media_name": "x", "publish_date": "2021-01-01"}


# --- Media Cloud and GDELT ------------------------------------------------------------------------

BRICS_TEXT = seed_paragraphs("004_c3f9bbc9b9d1c23b.txt", "Russian Foreign Minister Sergei Lavrov",
                             "The upcoming Astana talks")


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    import csv

    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


MC_LEGACY = ["stories_id", "publish_date", "title", "url", "language", "ap_syndicated", "themes", "media_id",
             "media_name", "media_url", "story_text"]


def test_media_cloud_legacy_csv(tmp_path):
    path = tmp_path / "mediacloud-stories.csv"
    write_csv(path, MC_LEGACY, [
        [1571230442, "2017-02-13 14:43:00", "Lavrov expects close work with US on Syria terror",
         "http://thebricspost.com/lavrov-expects-close-work-with-us-on-syria-terror/", "en", "False", "", 1094,
         "The BRICS Post", "http://thebricspost.com", "\n".join(BRICS_TEXT)],
        [2151000012, "2022-02-03 12:54:00.123456", "Daesh leader killed", "https://www.rt.com/news/548300/", "en",
         "False", "", 305, "RT", "http://rt.com", ""],
        [2151000013, "2022-02-03", "Syria raid", "https://example.org/syria", "en", "True", "", 999,
         "Example Gazette", "https://example.org", "Syria raid text."],
    ])
    brics, no_text, gazette = read(path)
    assert brics.external_id == "1571230442" and brics.line == 2
    assert (brics.outlet, brics.url) == ("The BRICS Post", "http://thebricspost.com/lavrov-expects-close-work-with-us-on-syria-terror/")
    assert (brics.published, brics.published_precision) == ("2017-02-13T14:43:00", "second")
    assert brics.title == "Lavrov expects close work with US on Syria terror"
    assert brics.text.split("\n") == BRICS_TEXT
    assert brics.extra == {"language": "en", "ap_syndicated": "False", "media_id": "1094"}
    # records are numbered by the line they start on: the first row's text spans several lines
    assert (no_text.line, no_text.reason, no_text.record_id) == (
        2 + len(BRICS_TEXT), "no text: 'story_text' is empty", "2151000012")
    assert (gazette.outlet, gazette.published, gazette.published_precision) == ("Example Gazette", "2022-02-03", "day")


def test_media_cloud_search_csv(tmp_path):
    """The current search tool's export: id, indexed_date, media_name as a domain; text when asked for."""
    path = tmp_path / "mc-search.csv"
    write_csv(path, ["id", "indexed_date", "language", "media_name", "media_url", "publish_date", "title", "url", "text"], [
        ["5d1b4f6a0e2c", "2022-02-03 14:01:22.51", "en", "sputnikglobe.com", "sputnikglobe.com",
         "2022-02-03 12:54:00", "US 'Removed' Daesh Leader", "https://sputnikglobe.com/20220203/x.html",
         "The United States has eliminated Daesh's top commander, President Joe Biden has announced."],
    ])
    [article] = read(path)
    assert (article.external_id, article.outlet, article.published) == ("5d1b4f6a0e2c", "Sputnik", "2022-02-03T12:54:00")
    assert article.extra == {"indexed_date": "2022-02-03 14:01:22.51", "language": "en"}


def test_exports_without_text_are_one_error_per_file(tmp_path):
    write_csv(tmp_path / "mc.csv", ["id", "indexed_date", "language", "media_name", "media_url", "publish_date", "title", "url"],
              [["a", "2022-02-03", "en", "rt.com", "rt.com", "2022-02-03", "T", "https://rt.com/1"]] * 3)
    write_csv(tmp_path / "gkg.csv", ["GKGRECORDID", "DATE", "SourceCollectionIdentifier", "SourceCommonName",
                                     "DocumentIdentifier", "V2Themes", "V2Tone"],
              [["20220203120000-17", "20220203120000", 1, "trtworld.com", TRT_URL, "TERROR;", "-5.1,1.2,6.3"]] * 3)
    (tmp_path / "events.tsv").write_text("GLOBALEVENTID\tSQLDATE\tActor1Name\tSOURCEURL\n1\t20220203\tRUSSIA\thttps://tass.com/1\n")
    (tmp_path / "links.csv").write_text("url,title\nhttps://rt.com/1,Headline\n")
    events, gkg, links, mc = read(tmp_path)
    assert gkg.reason.startswith("GDELT export has no text column: export full text or load the HTML/WARC (columns:")
    assert events.reason.startswith("GDELT export has no text column")
    assert mc.reason.startswith("Media Cloud export has no text column: export full text or load the HTML/WARC")
    assert links.reason.startswith("links.csv has no text column: export full text")
    assert all(e.line == 1 for e in (events, gkg, links, mc))


# --- a researcher's folder: everything at once ---------------------------------------------------


def researcher_folder(root: Path) -> Path:
    folder = root / "collected"
    (folder / "pages").mkdir(parents=True)
    (folder / "crawl").mkdir()
    (folder / "exports").mkdir()
    (folder / "pages" / "trt-russia-supports.html").write_text(trt_page(), "utf-8")
    write_warc(folder / "crawl" / "CC-NEWS-20220203164207-00042.warc.gz", crawl_responses())
    (folder / "exports" / "islamtimes-977259.json").write_text(json.dumps(news_please_record(), indent=2))
    write_csv(folder / "exports" / "mediacloud.csv", MC_LEGACY, [
        [1571230442, "2017-02-13 14:43:00", "Lavrov expects close work with US on Syria terror",
         "http://thebricspost.com/lavrov/", "en", "False", "", 1094, "The BRICS Post", "http://thebricspost.com",
         "\n".join(BRICS_TEXT)],
        [2151000012, "2022-02-03 12:54:00", "No text here", "https://www.rt.com/news/548300/", "en", "False", "",
         305, "RT", "http://rt.com", ""],
    ])
    write_csv(folder / "exports" / "gdelt-gkg.csv", ["GKGRECORDID", "DATE", "SourceCommonName", "DocumentIdentifier"],
              [["20220203120000-17", "20220203120000", "trtworld.com", TRT_URL]])
    (folder / "exports" / "own.jsonl").write_text(json.dumps(
        {"id": "own-1", "outlet": "Xinhua", "published": "2022-02-04", "text": "Our own record format still loads."}) + "\n")
    (folder / "seed.txt").write_text((SEEDS / "000_04a9a5eec5045a67.txt").read_text("utf-8"), "utf-8")
    return folder


def check_mixed_load(db_path: Path) -> None:
    db = sqlite3.connect(db_path)
    rows = {ext: (outlet, published, extra) for ext, outlet, published, extra in db.execute(
        "select external_id, outlet, published, extra from articles")}
    by_outlet = sorted(outlet for outlet, _, _ in rows.values())
    assert by_outlet == ["Islam Times", "RT", "Sputnik", "TRT World", "TRT World", "The BRICS Post", "Xinhua"]
    warc_ids = [e for e in rows if e.startswith("crawl/CC-NEWS-20220203164207-00042.warc.gz#urn:uuid:")]
    assert len(warc_ids) == 2
    assert all(json.loads(rows[e][2])["captured"].endswith("Z") for e in warc_ids)
    errors = [reason for (reason,) in db.execute("select reason from load_errors")]
    assert len(errors) == 2, errors
    assert any(r == "no text: 'story_text' is empty" for r in errors)
    assert any(r.startswith("GDELT export has no text column") for r in errors)
    # The statement the three outlets translated is found across the formats they came in.
    outlets_per_cluster = [set(json.loads(o)) for (o,) in db.execute(
        "select json_group_array(distinct a.outlet) from cluster_members m join articles a on a.id = m.article_id"
        " group by m.cluster_id")]
    assert any({"TRT World", "Islam Times", "Sputnik"} <= outlets for outlets in outlets_per_cluster), outlets_per_cluster
    # Boilerplate kept by extraction never joins a cluster.
    assert not db.execute(
        "select 1 from cluster_members m join paragraphs p on p.id = m.paragraph_id where p.boilerplate = 1").fetchall()


def test_mixed_folder_loads_with_load_paths(tmp_path):
    folder = researcher_folder(tmp_path)
    summary = load_paths(str(tmp_path / "corpus.db"), [str(folder)])
    assert summary.articles_added == 7
    check_mixed_load(tmp_path / "corpus.db")
    again = load_paths(str(tmp_path / "corpus.db"), [str(folder)])
    assert (again.articles_added, again.articles_unchanged) == (0, 7)


def test_mixed_folder_loads_from_the_command_line(tmp_path):
    folder = researcher_folder(tmp_path)
    result = CliRunner().invoke(cli, ["provenance", "load", str(tmp_path / "corpus.db"), str(folder), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "7 articles added" in result.output
    assert "2 input records skipped" in result.output
    assert "mediacloud.csv:16: no text: 'story_text' is empty" in result.output  # the row after 14 lines of text
    check_mixed_load(tmp_path / "corpus.db")


def test_text_only_loads_do_not_import_the_extractors(tmp_path):
    (tmp_path / "a.txt").write_text("A headline for the test\nBody\n")
    (tmp_path / "b.json").write_text(json.dumps(news_please_record()))
    code = (
        "import sys; from datasette_provenance.load import load_paths; "
        f"load_paths({str(tmp_path / 'c.db')!r}, [{str(tmp_path)!r}]); "
        "print(sorted(m for m in ('trafilatura', 'warcio', 'lxml', 'htmldate') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
