"""The pages in a real browser: Debian's Chromium driven by Playwright against `datasette serve`.

The server runs in a subprocess on a free localhost port, serving the seed corpus plus a hostile
article loaded through the loader (see ``test_permissions.build_corpus``) with metadata.json, as the
README's quickstart serves it. Each test records
dialogs, page errors and every request: no script from the data may run, and nothing may be
fetched from anywhere but the server. Screenshots go to test-artifacts/screenshots/; those of the
README (docs/screenshots/) to test-artifacts/screenshots/readme/, taken from the seed corpus alone.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections import deque
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urldefrag, urlencode, urlsplit

import pytest
from conftest import free_port, serving

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
