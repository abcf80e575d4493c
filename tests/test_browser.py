"""The pages in a real browser: Debian's Chromium driven by Playwright against `datasette serve`.

The server runs in a subprocess on a free localhost port, serving the seed corpus plus a hostile
article loaded through the loader (see ``test_permissions.build_corpus``) with metadata.json, as the
README's quickstart serves it. Each test records
dialogs, page errors and every request: no script from the data may run, and nothing may be
fetched from anywhere but the server. Screenshots go to test-artifacts/screenshots/; those of the
README (docs/screenshots/) to test-artifacts/screenshots/readme/, taken from the seed corpus alone.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
import urllib.error
import urllib.request
from collections import deque
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urldefrag, urlencode, urlsplit

import pytest
from conftest import free_port, serving
from datasette.version import __version__ as DATASETTE_VERSION

from test_permissions import XSS_OUTLET, build_corpus

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "screenshots"

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip(f"{CHROMIUM} is missing (install it with: apt-get install -y chromium chromium-driver);"
                " the browser tests run whenever it is present, and always in CI", allow_module_level=True)

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # in CI a missing Playwright is a failure, not a skip
    if os.environ.get("CI"):
        raise
    pytest.skip("Playwright is not installed (pip install playwright)", allow_module_level=True)




@contextmanager
def served_with_metadata(db: Path, log: Path):
    port = free_port()
    args = ["datasette", "serve", "-i", str(db), "-m", str(ROOT / "metadata.json"), "-h", "127.0.0.1", "-p", str(port)]
    with serving(args, port, log) as base:
        yield base


@pytest.fixture(scope="module")
def server(tmp_path_factory, seed_db):
    db = build_corpus(tmp_path_factory.mktemp("browser"), seed_db)
    with served_with_metadata(db, tmp_path_factory.mktemp("log") / "datasette.log") as base:
        yield base


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory, seed_db):
    """The seed corpus exactly as the loader builds it (real verdicts), served as the quickstart serves it."""
    with served_with_metadata(seed_db, tmp_path_factory.mktemp("log") / "datasette.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


class Watched:
    """A page with everything that must not happen recorded."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith((base, "data:", "about:")) else self.foreign.append(r.url))

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def goto(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        return response

    def shot(self, name: str):
        path = SHOTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)

    def check_quiet(self):
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.page.evaluate("typeof window.__xss") == "undefined", "a script from the data ran"
        assert self.errors == [], self.errors
        assert self.foreign == [], f"requests outside the server: {self.foreign}"


@contextmanager
def watched_page(browser, base: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watched = Watched(context.new_page(), base)
    yield watched
    watched.check_quiet()
    context.close()


@pytest.fixture
def page(browser, server):
    with watched_page(browser, server) as watched:
        yield watched


@pytest.fixture
def newcomer(browser, quickstart):
    with watched_page(browser, quickstart) as watched:
        yield watched


def test_overview_to_cluster_to_article(page):
    page.goto("/corpus/-/provenance")
    assert page.page.locator(".prov-figures").inner_text().split()[0] == "6"
    page.shot("overview")
    page.page.get_by_role("link", name="ready to cooperate with all interested countries").first.click()
    page.page.wait_for_url("**/-/provenance/cluster/*")
    members = page.page.locator("li.prov-member")
    outlets = [o.strip() for o in members.locator(".prov-outlet").all_inner_texts()]
    assert {"TRT World", "Islam Times", "Sputnik"} <= set(outlets)
    islam = members.filter(has_text="poised for cooperation").first
    assert islam.locator("del").count() > 0 and islam.locator("ins").count() > 0 and islam.locator("mark").count() > 0
    assert "poised for cooperation" in islam.locator("ins").first.inner_text()
    # The highlight colours come from the plugin's own stylesheet.
    assert islam.locator("mark").first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 243, 163)"
    page.shot("cluster")
    islam.locator(".prov-member-foot a").first.click()
    page.page.wait_for_url("**/-/provenance/article/*")
    assert page.page.locator("h1").inner_text() == "Russia to Investigate Death of Civilians during US Operation in Syria"
    passages = page.page.locator("a.reuse")
    assert passages.count() >= 5
    assert page.page.locator("p.prov-boilerplate").count() > 0
    passages.first.hover()  # the script lights up the passage's entry in the side list
    assert page.page.locator(".prov-passages li.prov-hover").count() == 1
    page.shot("article")


def test_graph_svg_has_its_nodes(page):
    page.goto("/corpus/-/provenance")
    page.page.get_by_role("link", name="Network").click()
    page.page.wait_for_url("**/-/provenance/graph")
    nodes = page.page.locator("svg.provenance-graph g.node")
    names = sorted(nodes.evaluate_all("els => els.map(e => e.getAttribute('data-name'))"))
    assert names == sorted(["AFP", "Islam Times", "Sputnik", "TASS", "TRT World", XSS_OUTLET])
    assert page.page.locator("svg.provenance-graph g.edge").count() == 7
    box = page.page.locator("svg.provenance-graph").bounding_box()
    assert box and box["width"] > 400 and box["height"] > 400
    page.shot("graph")


def test_trace_finds_the_outlets(page):
    page.goto("/corpus/-/provenance/trace")
    page.page.fill("#prov-q", "We are ready to cooperate with all interested countries in the interest of"
                              " establishing an effective joint reaction to this common threat.")
    assert "characters left" in page.page.locator(".prov-counter").inner_text()
    page.page.get_by_role("button", name="Trace").click()
    page.page.wait_for_url("**/-/provenance/trace?q=*")
    table = page.page.locator("table.prov-trace-outlets")
    found = [t.strip() for t in table.locator("tbody tr td:first-child").all_inner_texts()]
    assert {"TRT World", "Islam Times", "Sputnik"} <= set(found)
    assert "TRT World" in page.page.locator(".prov-earliest").inner_text()
    page.shot("trace")


def test_outlet_page(page):
    page.goto("/corpus/-/provenance/outlet/TRT+World")
    assert page.page.locator("h1").inner_text() == "TRT World"
    assert "Islam Times" in page.page.locator("table.prov-pairs").last.inner_text()
    page.shot("outlet")


def test_script_payloads_never_run(page):
    page.goto("/corpus/-/provenance")
    page.page.get_by_role("link", name="Evil <b>Outlet</b>").first.click()
    page.page.wait_for_url("**/-/provenance/outlet/*")
    assert page.page.locator("h1").inner_text() == XSS_OUTLET  # shown as text
    page.page.locator("table").last.get_by_role("link").first.click()
    page.page.wait_for_url("**/-/provenance/article/*")
    assert page.page.locator("h1").inner_text().startswith("<script>window.__xss=1")
    assert page.page.locator("img[src='x']").count() == 0
    page.shot("hostile-article")
    page.goto("/corpus/-/provenance/cluster/1")
    assert "<img src=x onerror=alert(1)>" in page.page.locator("li.prov-member ins").all_inner_texts()
    page.goto("/corpus/-/provenance/trace?" + urlencode({"q": "<script>window.__xss=9;alert(9)</script> Moscow says it is"
                                                               " ready to cooperate with all interested countries"}))
    page.goto("/corpus/articles")  # Datasette's own table page, with our links in its cells
    page.goto("/corpus/-/provenance/graph")
    time.sleep(0.3)  # give any onerror handler a moment to fire


def test_a_newcomer_clicks_from_the_home_page_to_a_verdict(newcomer):
    """From Datasette's home page to the one-line verdict on a shared statement, by visible links only."""
    page = newcomer
    page.goto("/")
    overview = page.page.get_by_role("link", name=re.compile("overview", re.I)).filter(visible=True)
    assert overview.count() >= 1
    overview.first.click()
    page.page.wait_for_url("**/corpus/-/provenance")
    assert page.page.locator("h2", has_text="Most widely shared statements").is_visible()
    page.page.get_by_role("link", name="ready to cooperate with all interested countries").filter(visible=True).first.click()
    page.page.wait_for_url("**/-/provenance/cluster/*")
    verdicts = page.page.locator("p.prov-verdict").filter(visible=True)
    assert verdicts.count() >= 1
    lines = [v.strip() for v in verdicts.all_inner_texts()]
    assert "common source: both quote Maria Zakharova; credits: TRT World: AFP / Islam Times: CNN, TASS;" \
           " upstream: AFP ← Maria Zakharova" in lines, lines
    first = verdicts.first
    line_height = first.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20")
    assert first.bounding_box()["height"] < 2.5 * line_height  # one line (two at most on a narrow column)


# The crawl: the provenance pages are followed. Datasette's own pages of articles and clusters (their
# table pages and the row pages the provenance pages link to) are opened one level deep: their links,
# some added by our script, are checked but only provenance links are followed. Every other link
# (downloads, Datasette's other pages) is fetched once and must answer 200.
PROVENANCE = re.compile(r"^/corpus/-/provenance(/|$)")
DOWNLOAD = re.compile(r"\.(json|csv|svg|graphml)$")
DATASETTE_PAGE = re.compile(r"^/corpus/(articles|clusters)(/[0-9]+)?$")
MAX_URLS = 600


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_every_link_on_the_provenance_pages_answers_200(page):
    start = time.monotonic()
    base = page.base
    checked: set[str] = set()  # fetched (and answered 200)
    visited: set[str] = set()  # opened in the browser, their links collected
    # (url, the page it was found on, whether it was found on a provenance page)
    queue = deque([(base + "/corpus/-/provenance", "(start)", True), (base + "/corpus/articles", "(start)", True),
                   (base + "/corpus/clusters", "(start)", True)])
    broken: list[tuple[str, int, str]] = []
    opened: set[str] = set()
    while queue:
        url, found_on, from_provenance = queue.popleft()
        path = urlsplit(url).path
        provenance = bool(PROVENANCE.match(path)) and not DOWNLOAD.search(path)
        open_it = provenance or (from_provenance and DATASETTE_PAGE.match(path) and not urlsplit(url).query)
        if url in visited or (not open_it and url in checked):
            continue
        (visited if open_it else checked).add(url)
        assert len(visited | checked) <= MAX_URLS, "the crawl does not end: " + ", ".join(sorted(visited)[:40])
        if not open_it:
            status = _status(url)
            if status != 200:
                broken.append((url[len(base):], status, found_on))
            continue
        response = page.page.goto(url)
        opened.add(path)
        status = response.status if response else 0
        if status != 200:
            broken.append((url[len(base):], status, found_on))
            continue
        hrefs = page.page.eval_on_selector_all(  # SVG links too (their .href is no string)
            "a[href]", "els => els.map(a => new URL(a.getAttribute('href'), document.baseURI).href)")
        for href in hrefs:
            href = urldefrag(href)[0]
            if href.startswith(base + "/") or href == base:
                queue.append((href, url[len(base):], provenance))
    assert not broken, "broken links (url, status, found on):\n" + "\n".join(map(str, broken))
    # What the crawl reached: every cluster, article and outlet page of the corpus, and the others.
    for expected in ("/corpus/-/provenance/graph", "/corpus/-/provenance/trace", "/corpus/-/provenance/cluster/6",
                     "/corpus/-/provenance/outlet/TRT+World", "/corpus/-/provenance/outlet/Evil+~3Cb~3EOutlet~3C~2Fb~3E",
                     "/corpus/articles", "/corpus/clusters", "/corpus/articles/1"):
        assert expected in opened, (expected, sorted(opened))
    with urllib.request.urlopen(base + "/corpus/-/provenance.json", timeout=10) as r:
        figures = json.load(r)["figures"]  # every article and every cluster of the corpus has been reached
    assert len({p for p in opened if p.startswith("/corpus/-/provenance/article/")}) == figures["articles"] == 6
    assert len({p for p in opened if p.startswith("/corpus/-/provenance/cluster/")}) == figures["clusters"] == 6
    assert any(urlsplit(u).path.startswith("/corpus/-/provenance/chart/") for u in checked)
    assert len(checked) >= 25 and len(visited) >= 25, (len(checked), len(visited))
    assert time.monotonic() - start < 60


def test_readme_screenshots(newcomer):
    """The README's screenshots (docs/screenshots/), taken from the seed corpus as the quickstart serves it;
    each page is checked for what the screenshot is meant to show before it is taken."""
    page, shots = newcomer, "readme/"
    page.goto("/corpus/-/provenance")
    assert page.page.locator(".prov-figures").is_visible() and page.page.locator("svg").count() >= 1
    page.shot(shots + "overview")
    page.page.get_by_role("link", name="ready to cooperate with all interested countries").first.click()
    page.page.wait_for_url("**/-/provenance/cluster/*")
    assert page.page.locator("li.prov-member").count() >= 3
    assert "common source: both quote Maria Zakharova" in page.page.locator("p.prov-verdict").first.inner_text()
    page.shot(shots + "cluster")
    page.page.locator("li.prov-member").filter(has_text="poised for cooperation").first.locator(
        ".prov-member-foot a").first.click()
    page.page.wait_for_url("**/-/provenance/article/*")
    assert page.page.locator("a.reuse").count() >= 5
    page.shot(shots + "article")
    page.goto("/corpus/-/provenance/outlet/Islam+Times")
    assert page.page.locator("h1").inner_text() == "Islam Times"
    assert page.page.locator("table.prov-pairs").first.get_by_role("link", name="TASS").count() == 1
    chart = page.page.locator("figure.prov-chart img").first
    chart.wait_for()
    assert page.page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
    page.shot(shots + "outlet")
    page.goto("/corpus/-/provenance/graph")
    assert page.page.locator("svg.provenance-graph g.node").count() >= 4
    page.shot(shots + "graph")
    page.goto("/corpus/-/provenance/trace?" + urlencode({"q": (
        "We are ready to cooperate with all interested countries in the interest of establishing an effective"
        " joint reaction to this common threat.")}))
    found = page.page.locator("table.prov-trace-outlets tbody tr td:first-child").all_inner_texts()
    assert {"TRT World", "Islam Times", "Sputnik"} <= {t.strip() for t in found}
    page.shot(shots + "trace")


# ---------------------------------------------------------------- charts drawn with their data
# Each chart is an <img> of a server-side SVG with links to its data (JSON, CSV, SVG). In Chromium:
# the image is drawn; the JSON link answers the data, the CSV link downloads the same rows, and the
# SVG (the image's own URL, opened as a person clicking "SVG" sees it) draws those rows: one bar, dot
# or lane per row with the row's label, at a height or place that follows the row's count or time.

SVG_MARKS = """() => {
  const box = e => { const b = e.getBoundingClientRect(); return {x: b.x, y: b.y, w: b.width, h: b.height}; };
  const own = (e, sel) => Array.from(e.children).filter(c => c.matches(sel));
  const title = e => { const t = own(e, "title")[0]; return t ? t.textContent : null; };
  const q = sel => Array.from(document.querySelectorAll(sel));
  return {
    root: document.documentElement.tagName, heading: (q("text.chart-title")[0] || {}).textContent,
    notes: q("text.note").map(t => t.textContent),
    ticks: q("text.tick").map(t => ({text: t.textContent, box: box(t)})),
    yLabels: q("g.axis > text:not(.tick)").map(t => ({text: t.textContent, box: box(t)})),
    plotTop: Math.min(...q("g.axis > line").map(l => box(l).y)),
    bars: q("g.bar").map(g => ({title: title(g), box: box(g), segments: own(g, "rect").map(r => ({
      title: title(r), box: box(r), fill: getComputedStyle(r).fill}))})),
    legend: q("g.legend-item").map(g => ({text: g.textContent, fill: getComputedStyle(g.querySelector("rect")).fill})),
    lanes: q("text.lane-label").map(t => ({text: t.textContent, box: box(t)})),
    dots: q("circle.member").map(c => ({title: title(c), box: box(c), fill: getComputedStyle(c).fill,
                                        stroke: getComputedStyle(c).stroke})),
  };
}"""


def _plural(n: int, what: str) -> str:
    return f"{n:,} undated {what}{'' if n == 1 else 's'} not shown"


def _undated_notes(data: dict) -> list[str]:
    undated = data["undated"]
    return [_plural(undated[k], k[:-1]) for k in ("derivations", "articles") if undated.get(k)]


def _rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))


def open_chart(page, figure) -> tuple[dict, list[dict], dict]:
    """A chart on the current page as a person meets it: the image drawn, then its JSON (clicked), its CSV
    (downloaded) and its SVG (clicked, the image's own URL); returns (the JSON, the CSV's rows, the marks)."""
    p = page.page
    img = figure.locator("img")
    img.scroll_into_view_if_needed()  # the image loads lazily
    p.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    src = img.evaluate("img => img.currentSrc")
    drawn_width = img.evaluate("img => img.naturalWidth")
    links = {name: figure.get_by_role("link", name=name, exact=True) for name in ("JSON", "CSV", "SVG")}
    hrefs = {name: link.evaluate("a => a.href") for name, link in links.items()}
    assert hrefs["SVG"] == src and hrefs["JSON"] == src[:-4] + ".json" and hrefs["CSV"] == src[:-4] + ".csv", hrefs
    page_url = p.url
    with p.expect_response(hrefs["JSON"]) as answer:
        links["JSON"].click()
    assert answer.value.status == 200
    data = answer.value.json()
    p.go_back()
    p.wait_for_url(page_url)
    with p.expect_download() as download:
        figure.get_by_role("link", name="CSV", exact=True).click()
    assert download.value.failure() is None
    table = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert table == [{k: "" if v is None else str(v) for k, v in r.items()} for r in data["rows"]], "CSV != JSON"
    figure.get_by_role("link", name="SVG", exact=True).click()
    p.wait_for_url(src)
    marks = p.evaluate(SVG_MARKS)
    assert marks["root"].lower() == "svg"
    assert p.evaluate("document.documentElement.getBoundingClientRect().width") == drawn_width  # the image's SVG
    p.go_back()
    p.wait_for_url(page_url)
    return data, table, marks


def _titles(items, pattern: str) -> list[tuple]:
    found = [re.fullmatch(pattern, i["title"] or "") for i in items]
    assert all(found), [i["title"] for i in items]
    return [m.groups() for m in found]


def check_bars(data: dict, marks: dict, expected: dict[str, dict[str, int]]) -> None:
    """A bar chart draws ``expected`` ({period: {series: count}}): one bar per period with a count, titled
    with its period and total, a segment per series titled with its count, heights in proportion."""
    bucket = data["bucket"]
    bars = marks["bars"]
    drawn = {period: int(n) for period, n in _titles(bars, rf"{bucket} of (\S+): (\d+)")}
    assert drawn == {p: sum(s.values()) for p, s in expected.items() if sum(s.values())}, (drawn, expected)
    for bar, (period, _) in zip(bars, _titles(bars, rf"{bucket} of (\S+): (\d+)")):
        titled = _titles(bar["segments"], rf"(.+), {bucket} of {re.escape(period)}: (\d+)")
        segments = {name: int(n) for name, n in titled}
        assert segments == {s: n for s, n in expected[period].items() if n}, (period, segments)
        # each bar stands above the date that names its period (when its period is named)
        ticks = {t["text"]: t["box"] for t in marks["ticks"]}
        if period in ticks:
            centre = ticks[period]["x"] + ticks[period]["w"] / 2
            assert abs(bar["box"]["x"] + bar["box"]["w"] / 2 - centre) < 2, (period, bar["box"], ticks[period])
    if bars:  # heights follow the counts: the same pixels per derivation, the highest at the top label
        per = [b["box"]["h"] / n for b, n in zip(bars, drawn.values())]
        assert max(per) - min(per) < 1, per
        peak = max(drawn.values())
        top_label = [t for t in marks["yLabels"] if t["text"] == str(peak)]
        assert top_label, marks["yLabels"]
        highest = min(b["box"]["y"] for b in bars)
        assert abs(highest - (top_label[0]["box"]["y"] + top_label[0]["box"]["h"] / 2)) < 6, (highest, top_label)
    else:
        assert "Nothing dated to draw" in marks["notes"]


def test_charts_draw_their_data(newcomer):
    """The overview's, each outlet's and each statement's chart, opened from their pages in Chromium."""
    page = newcomer
    p = page.page
    drawn_bars = drawn_dots = 0

    # The overview: derivations by day.
    page.goto("/corpus/-/provenance")
    figures = p.locator("figure.prov-chart")
    assert figures.count() == 1
    data, _, marks = open_chart(page, figures.first)
    assert data["chart"] == "overview" and data["rows"], data
    assert marks["heading"] == f"Derivations by {data['bucket']} of the derived article"
    assert marks["notes"][:len(_undated_notes(data))] == _undated_notes(data) and _undated_notes(data)
    check_bars(data, marks, {r["period"]: {"derivations": r["derivations"]} for r in data["rows"]})
    # the days are named under the axis from the first, one every so often (so that none overlap)
    named, days = [t["text"] for t in marks["ticks"]], [r["period"] for r in data["rows"]]
    stride = -(-len(days) // len(named))
    assert named == days[::stride], (named, days)
    assert all(a["box"]["x"] + a["box"]["w"] < b["box"]["x"] for a, b in zip(marks["ticks"], marks["ticks"][1:]))
    assert marks["legend"] == []  # one series
    drawn_bars += len(marks["bars"])
    # what the chart draws and what it leaves out add up to the overview's own figures
    with urllib.request.urlopen(page.base + "/corpus/-/provenance.json", timeout=10) as r:
        counted = json.load(r)["figures"]
    assert data["undated"]["articles"] == counted["articles_without_date"]
    assert sum(r["derivations"] for r in data["rows"]) + data["undated"]["derivations"] == counted["derivations"]

    # Each outlet that takes from others: what it took, week by week and source.
    for outlet in ("TRT World", "Islam Times", "Sputnik"):
        page.goto("/corpus/-/provenance/outlet/" + outlet.replace(" ", "+"))
        assert p.locator("h1").inner_text() == outlet
        data, _, marks = open_chart(page, p.locator("figure.prov-chart").first)
        assert data["chart"] == "outlet" and data["outlet"] == outlet
        assert marks["heading"] == f"What {outlet} took, by {data['bucket']} and source"
        assert marks["notes"][:len(_undated_notes(data))] == _undated_notes(data)
        assert len(data["sources"]) <= 7, "the seed corpus has few sources: each is drawn apart"
        expected: dict[str, dict[str, int]] = {}
        for r in data["rows"]:
            expected.setdefault(r["period"], {})
            expected[r["period"]][r["source"]] = expected[r["period"]].get(r["source"], 0) + r["derivations"]
        check_bars(data, marks, expected)
        sources = [s["source"] for s in data["sources"]]
        if len(sources) > 1:  # the legend names each source in its colour, as its segments are drawn
            assert [item["text"] for item in marks["legend"]] == sources
            colour = {item["text"]: item["fill"] for item in marks["legend"]}
            for bar in marks["bars"]:
                for seg in bar["segments"]:
                    assert seg["fill"] == colour[seg["title"].split(", ")[0]]
        else:
            assert marks["legend"] == []
        assert sum(s["derivations"] for s in data["sources"]) == sum(r["derivations"] for r in data["rows"])
        drawn_bars += len(marks["bars"])

    # Each statement: its member articles on a timeline, one lane per outlet.
    with urllib.request.urlopen(page.base + "/corpus/clusters.json?_shape=array&_col=id&_size=max", timeout=10) as r:
        cluster_ids = [c["id"] for c in json.load(r)]
    assert len(cluster_ids) == 6
    for cid in cluster_ids:
        page.goto(f"/corpus/-/provenance/cluster/{cid}")
        data, _, marks = open_chart(page, p.locator("figure.prov-chart").first)
        assert data["chart"] == "cluster" and data["cluster"] == cid
        assert marks["heading"] == f"Statement {cid}: its articles by publication time"
        assert marks["notes"] == _undated_notes(data)
        rows = data["rows"]
        # one dot per dated member article, titled with its outlet, date and article
        assert _titles(marks["dots"], r"(.+), (\S+) \(article (\d+)\)") == \
            [(r["outlet"], r["published"], str(r["article_id"])) for r in rows]
        # one lane per outlet, in order of first publication, each dot on its outlet's lane
        lanes = list(dict.fromkeys(r["outlet"] for r in rows))
        assert [lane["text"] for lane in marks["lanes"]] == lanes
        lane_box = {lane["text"]: lane["box"] for lane in marks["lanes"]}
        for r, dot in zip(rows, marks["dots"]):
            centre, label = dot["box"]["y"] + dot["box"]["h"] / 2, lane_box[r["outlet"]]
            assert label["y"] <= centre <= label["y"] + label["h"], (r, dot["box"], label)
        # left to right in time; the earliest orange, the day-only hollow
        when = [datetime.fromisoformat(r["published"].replace("Z", "+00:00")).replace(tzinfo=None) for r in rows]
        x = [dot["box"]["x"] for dot in marks["dots"]]
        for i in range(len(rows)):
            for j in range(len(rows)):
                if when[i] < when[j]:
                    assert x[i] < x[j], (rows[i], rows[j])
        for i, (r, dot) in enumerate(zip(rows, marks["dots"])):
            colour = _rgb("#c05621" if i == 0 else "#2b6cb0")
            if r["published_precision"] == "day" or len(r["published"]) == 10:
                assert (dot["fill"], dot["stroke"]) == ("rgb(255, 255, 255)", colour), (r, dot)
            else:
                assert dot["fill"] == colour, (r, dot)
        # the cards on the page: the same dated articles, with as many passages, and the undated counted apart
        cards = p.locator("li.prov-member")
        dated: dict[int, int] = {}
        undated: set[int] = set()
        for k in range(cards.count()):
            card = cards.nth(k)
            href = card.locator(".prov-member-foot a").first.get_attribute("href")
            article = int(re.search(r"/article/(\d+)", href).group(1))
            if card.locator("time").count():
                dated[article] = dated.get(article, 0) + 1
            else:
                undated.add(article)
        assert dated == {r["article_id"]: r["passages"] for r in rows}
        assert len(undated) == data["undated"]["articles"]
        drawn_dots += len(marks["dots"])
    assert drawn_bars >= 3 and drawn_dots >= 6, (drawn_bars, drawn_dots)  # the seed corpus draws something


# ---------------------------------------------------------------- links in table pages and canned queries


def _cells(row, *columns: str) -> list[str]:
    return [row.locator(f"td.col-{c}").inner_text().strip() for c in columns]


def _click_to(page, link, pattern: str) -> None:
    """Click a link (visible to a person) and land on a provenance page; then that page is the current one."""
    assert link.is_visible()
    link.click()
    page.page.wait_for_url(re.compile(pattern))
    assert page.page.locator("h1").count() == 1


def _article_shown(page, ident: int, title: str | None = None, outlet: str | None = None) -> None:
    p = page.page
    assert urlsplit(p.url).path == f"/corpus/-/provenance/article/{ident}"
    if title is not None:
        assert p.locator("h1").inner_text() == title
    lead = p.locator("p.prov-lead")
    assert lead.get_by_role("link", name="row", exact=True).get_attribute("href") == f"/corpus/articles/{ident}"
    if outlet is not None:
        assert lead.get_by_role("link").first.inner_text() == outlet


def _outlet_shown(page, outlet: str) -> None:
    heading = page.page.locator("h1").inner_text()
    assert heading == outlet or heading.startswith(outlet + " — not in this corpus as an outlet"), (outlet, heading)


def test_table_pages_link_to_the_provenance_pages(newcomer):
    """Datasette's own table pages of articles and clusters: each id has a provenance link beside it,
    the outlet and first article too, and each lands on the page of that article, statement or outlet."""
    page = newcomer
    p = page.page
    page.goto("/corpus/articles")
    rows = p.locator("table.rows-and-columns tbody tr")
    n = rows.count()
    assert n == 5
    titles: dict[int, str] = {}
    for k in range(n):
        page.goto("/corpus/articles")
        row = p.locator("table.rows-and-columns tbody tr").nth(k)
        ident, title, outlet = _cells(row, "id", "title", "outlet")
        ident = int(ident.split()[0])  # "3 provenance"
        titles[ident] = title
        link = row.locator("td.col-id a.provenance-link")
        assert link.inner_text() == "provenance"
        _click_to(page, link, rf"/corpus/-/provenance/article/{ident}$")
        _article_shown(page, ident, title, outlet or None)
        if outlet:
            page.goto("/corpus/articles")
            row = p.locator("table.rows-and-columns tbody tr").nth(k)
            _click_to(page, row.locator("td.col-outlet").get_by_role("link", name=outlet, exact=True),
                      r"/corpus/-/provenance/outlet/[^/]+$")
            _outlet_shown(page, outlet)
            # the outlet page lists the article (its articles are all reachable from it)
            assert p.locator(f"a[href='/corpus/-/provenance/article/{ident}']").count() >= 1

    page.goto("/corpus/clusters")
    rows = p.locator("table.rows-and-columns tbody tr")
    n = rows.count()
    assert n == 6
    for k in range(n):
        page.goto("/corpus/clusters")
        row = p.locator("table.rows-and-columns tbody tr").nth(k)
        ident, members, text = _cells(row, "id", "members", "text")
        ident = int(ident.split()[0])
        link = row.locator("td.col-id a.provenance-link")
        assert link.inner_text() == "provenance"
        _click_to(page, link, rf"/corpus/-/provenance/cluster/{ident}$")
        heading = p.locator("h1").inner_text()
        assert heading.endswith(f"statement {ident}"), heading
        quoted = heading.split("”")[0].lstrip("“").rstrip("…")
        assert quoted and text.startswith(quoted), (quoted, text)
        assert p.locator("li.prov-member").count() == int(members)
        # the first article, an expanded foreign key: Datasette's row link kept, the provenance link beside it
        page.goto("/corpus/clusters")
        cell = p.locator("table.rows-and-columns tbody tr").nth(k).locator("td.col-first_article_id")
        first_id = int(cell.locator("em").inner_text())
        _click_to(page, cell.locator("a.provenance-link"), rf"/corpus/-/provenance/article/{first_id}$")
        _article_shown(page, first_id, titles[first_id])


@pytest.fixture(scope="module")
def with_queries(request, tmp_path_factory, seed_db):
    """The seed corpus with metadata.json's canned queries: Datasette 1.0a reads them from the
    configuration (``-c``) only, 0.65 from the metadata (the quickstart's server)."""
    if not DATASETTE_VERSION.startswith("1."):
        yield request.getfixturevalue("quickstart")
        return
    port = free_port()
    args = ["datasette", "serve", "-i", str(seed_db), "-m", str(ROOT / "metadata.json"), "-c",
            str(ROOT / "metadata.json"), "-h", "127.0.0.1", "-p", str(port)]
    with serving(args, port, tmp_path_factory.mktemp("log") / "datasette.log") as base:
        yield base


def test_canned_query_links_to_the_provenance_pages(browser, with_queries):
    """who_took_from_whom: the derived article, the source article and both outlets (or upstream sources)
    of each derivation link to their provenance pages, which show that article or outlet."""
    with watched_page(browser, with_queries) as page:
        _canned_query_links(page)


def _canned_query_links(page):
    p = page.page
    query = "/corpus/who_took_from_whom"
    page.goto(query)
    rows = p.locator("table.rows-and-columns tbody tr")
    n = rows.count()
    assert n == 4
    clicked = {"derived_article_id": 0, "source_article_id": 0, "derived_outlet": 0, "source": 0}
    for k in range(n):
        def row():
            page.goto(query)
            return p.locator("table.rows-and-columns tbody tr").nth(k)

        derived, derived_outlet, derived_title, source_article, source = _cells(
            row(), "derived_article_id", "derived_outlet", "derived_title", "source_article_id", "source")
        _click_to(page, row().locator("td.col-derived_article_id").get_by_role("link", name=derived, exact=True),
                  rf"/corpus/-/provenance/article/{derived}$")
        _article_shown(page, int(derived), derived_title, derived_outlet)
        clicked["derived_article_id"] += 1
        if source_article:  # another article of the corpus: its outlet is the row's source
            _click_to(page, row().locator("td.col-source_article_id").get_by_role("link", name=source_article,
                                                                                  exact=True),
                      rf"/corpus/-/provenance/article/{source_article}$")
            _article_shown(page, int(source_article), outlet=source)
            # the derived article is shown on its source's page
            assert p.locator(f"a[href^='/corpus/-/provenance/article/{derived}']").count() >= 1
            clicked["source_article_id"] += 1
        else:
            assert row().locator("td.col-source_article_id a").count() == 0
        _click_to(page, row().locator("td.col-derived_outlet").get_by_role("link", name=derived_outlet, exact=True),
                  r"/corpus/-/provenance/outlet/[^/]+$")
        _outlet_shown(page, derived_outlet)
        clicked["derived_outlet"] += 1
        _click_to(page, row().locator("td.col-source").get_by_role("link", name=source, exact=True),
                  r"/corpus/-/provenance/outlet/[^/]+$")
        _outlet_shown(page, source)
        # the source's page names the outlet that took from it
        assert p.get_by_role("link", name=derived_outlet, exact=True).count() >= 1, (source, derived_outlet)
        clicked["source"] += 1
    assert clicked == {"derived_article_id": 4, "source_article_id": 1, "derived_outlet": 4, "source": 4}, clicked

    # most_shared_statements: its cluster column (the statement's id) leads to the statement's page
    query = "/corpus/most_shared_statements"
    page.goto(query)
    n = p.locator("table.rows-and-columns tbody tr").count()
    assert n == 6
    for k in range(n):
        page.goto(query)
        row = p.locator("table.rows-and-columns tbody tr").nth(k)
        cluster, outlets, text = _cells(row, "cluster", "outlets", "text")
        _click_to(page, row.locator("td.col-cluster").get_by_role("link", name=cluster, exact=True),
                  rf"/corpus/-/provenance/cluster/{cluster}$")
        heading = p.locator("h1").inner_text()
        assert heading.endswith(f"statement {cluster}"), heading
        assert text.startswith(heading.split("”")[0].lstrip("“").rstrip("…"))
        shown = {o.strip() for o in p.locator("li.prov-member .prov-outlet").all_inner_texts()}
        assert len(shown) == int(outlets), (cluster, shown)


def test_the_readme_quickstart_opens_the_overview(newcomer):
    """The README's quickstart serves corpus.db with metadata.json (as the quickstart fixture does) and
    says which URL to open; that URL, on Datasette's default port, is the overview."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"datasette corpus\.db -m metadata\.json\b", quickstart), quickstart
    url = re.search(r"[Tt]hen open (http://127\.0\.0\.1:8001(/\S*?))[:.,]?\s", quickstart)
    assert url, "the quickstart does not say which URL to open"
    page = newcomer
    page.goto(url.group(2))
    assert page.page.locator("h1").inner_text() == "Provenance of corpus"
    assert page.page.locator("h2", has_text="Most widely shared statements").is_visible()
    assert page.page.get_by_role("link", name="ready to cooperate with all interested countries").count() >= 1
