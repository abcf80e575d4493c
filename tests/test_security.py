"""Security of the pages: untrusted text never runs, parameters never reach SQL, private tables stay private.

* **Script injection**, in a real browser (Debian's Chromium through Playwright, the flags of
  test_browser.py): hostile articles loaded through the real loader carry payloads in every field
  the pages show — titles, text, URLs, outlet names — and the rows the loader derives from them
  (credit phrases and names, speakers, upstream sources, evidence) get payloads too. Every page is
  opened: overview, each cluster and article page of the hostile articles, each outlet and
  upstream page, the graph (and its SVG export), the trace page with the payloads pasted in ``q``,
  and Datasette's own table and row pages. Nothing may run: no dialog, no ``window.__xss``, no
  page error, no injected element with a handler, no request the data caused, and no link whose
  target is ``javascript:``/``data:``/``vbscript:``.
* **SQL injection** through the URL and query parameters: each URL gets its pinned status, a 200
  answers exactly what the clean parameter answers, and no statement prepared meanwhile writes or
  reads a table the page does not declare (an SQLite authorizer records them: Datasette's read-only
  connections would refuse a write anyway, so comparing the database before and after proves nothing).
* **Permissions**: with any one table the pages read hidden, every page and export that reads it
  refuses (403, in JSON for JSON requests) and shows none of its rows; the others still work.
  An SQLite authorizer records which tables each page actually reads, so that a page reading a
  table it does not check permissions for cannot slip through.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path
from urllib.parse import quote, urlencode

import datasette
import pytest
from conftest import datasette_server
from datasette import hookimpl
from datasette.app import Datasette
from datasette.utils import tilde_encode

from datasette_provenance.provenance import refresh_outlet_edges
from datasette_provenance.load import load_paths
from datasette_provenance.pages import article, cluster, graph, outlet, overview, trace

from test_permissions import build_corpus

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]

# Each payload marks what ran: window.__xss = '<its name>'.
PAYLOADS = {
    "script": "<script>window.__xss='script';alert('script')</script>",
    "img": "<img src=x onerror=\"window.__xss='img';alert('img')\">",
    "svg": "<svg onload=\"window.__xss='svg';alert('svg')\"><circle r=1></circle></svg>",
    "attr-break": "\"><script>window.__xss='attr-break'</script><b x=\"",
    "single-quote": "'><img src=x onerror=window.__xss='single-quote'>",
    "template": "{{7*7}} {% if true %}jinja{% endif %} ${7*7} #{7*7}",
    "style": "</style><script>window.__xss='style'</script><style>",
    "textarea": "</textarea><script>window.__xss='textarea'</script>",
    "title": "</title><script>window.__xss='title'</script>",
    "link": "<a href=\"javascript:window.__xss='link'\">click</a>",
    "iframe": "<iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
    "details": "<details open ontoggle=\"window.__xss='details'\">x</details>",
    "mxss": "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss='mxss'>",
    "comment": "<!--<img src=\"--><img src=x onerror=window.__xss='comment'//\">",
    "cdata": "]]><script>window.__xss='cdata'</script>",
    "unicode": "\u202e<scr\u200bipt>window.__xss='unicode'</scr\u200bipt>\u2028\u2029 \uff1cscript\uff1ewindow.__xss='fullwidth'\uff1c/script\uff1e",
    "entity": "&lt;script&gt;window.__xss='entity'&lt;/script&gt; &#x3C;img src=x onerror=window.__xss='entity2'&#x3E;",
    "json": "</script><script>window.__xss='json'</script>\"}]",
}
ALL = " ".join(PAYLOADS.values())
# URLs the pages may make links of: none may become a script link.
BAD_URLS = ["javascript:window.__xss='url';alert('url')", " JaVaScRiPt:window.__xss='url2'",
            "java\tscript:window.__xss='url3'", "data:text/html,<script>window.__xss='url4'</script>",
            "vbscript:msgbox(1)", "https://evil.example/\"><script>window.__xss='url6'</script>"]
OUTLETS = [f"Evil {PAYLOADS['img']} Wire", f"Bad {PAYLOADS['attr-break']} News", f"Sly {PAYLOADS['template']} Post"]
SHARED = ("The harbour authority said on Monday that the new ferry timetable for the northern islands would start"
          " next month after a long dispute with the unions {payload} according to officials.")
SECOND = ("Officials in the capital confirmed that the bridge repairs would be paid for from the regional budget"
          " {payload} and finished before the winter storms.")


def hostile_records() -> list[dict]:
    """Two articles per hostile outlet, days apart, sharing passages that carry payloads."""
    records = []
    names = list(PAYLOADS)
    for i in range(6):
        o = i // 2
        mine = [PAYLOADS[names[(i * 3 + k) % len(names)]] for k in range(3)]
        records.append({
            "id": f"hostile-{i}",
            "outlet": OUTLETS[o],
            "url": BAD_URLS[i],
            "published": f"2022-03-{10 + i:02d}T0{i}:00:00Z",
            "title": f"{mine[0]} Ferry timetable {PAYLOADS['template']} {i}",
            "text": "\n\n".join([
                f"{mine[0]} Ferry timetable {PAYLOADS['template']} {i}",
                SHARED.format(payload=mine[1] if i % 2 else PAYLOADS["script"]),
                SECOND.format(payload=PAYLOADS["img"] if i < 3 else PAYLOADS["svg"]),
                f"A paragraph of its own, number {i}, carrying {ALL} and more words to make a sentence.",
                f"\"{mine[2]} We will respond to every question in time,\" said John Smith, the harbour director.",
                f"SOURCE: {PAYLOADS['script']}",
                f"MOSCOW, March 3 (Reuters) - Reporting {mine[1]} by the wires.",
            ]),
        })
    return records


def build_hostile_corpus(folder: Path, seed_db: Path) -> tuple[Path, dict[str, int]]:
    """The seeds, the hostile articles through the loader, and payloads in the derived tables."""
    path = folder / "corpus.db"
    shutil.copy(seed_db, path)
    feed = folder / "hostile.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in hostile_records()), "utf-8")
    summary = load_paths(str(path), [str(feed)])
    assert summary.articles_added == 6 and not summary.errors, str(summary)
    with closing(sqlite3.connect(path)) as conn:
        ids = {ext: aid for aid, ext in conn.execute("select id, external_id from articles")}
        hostile = [ids[f"hostile-{i}"] for i in range(6)]
        assert conn.execute(f"select count(distinct cluster_id) from cluster_members where article_id in"
                            f" ({','.join(map(str, hostile))})").fetchone()[0] >= 2, "the hostile articles must share"
        text = conn.execute("select text from articles where id = ?", (hostile[0],)).fetchone()[0]
        start = text.index("SOURCE:")
        conn.executemany('insert into attributions(article_id, source_name, phrase, start, "end", kind)'
                         " values (?, ?, ?, ?, ?, ?)",
                         [(a, f"Agency {PAYLOADS['svg']}", text[start:start + 20], start, start + 20, PAYLOADS["img"])
                          for a in hostile[:1]])
        conn.execute('insert into quotes(article_id, speaker, role, start, "end", cue) values (?, ?, ?, 0, 10, ?)',
                     (hostile[1], PAYLOADS["script"], PAYLOADS["img"], PAYLOADS["svg"]))
        conn.execute("update clusters set speaker = ? where id in (select cluster_id from cluster_members"
                     " where article_id = ?)", (f"Maria {PAYLOADS['img']} Zakharova", hostile[0]))
        derivations = [
            (hostile[1], None, f"Wire {PAYLOADS['script']}", "common-source", {"note": ALL, "siblings": [hostile[2]]}),
            (hostile[3], None, f"{PAYLOADS['single-quote']} Agency", "copied", {"credit": PAYLOADS["svg"]}),
            (hostile[4], hostile[0], None, "copied", {ALL: [ALL, {"k": PAYLOADS["iframe"]}], "clusters": [1]}),
            (ids["000_04a9a5eec5045a67.txt"], None, PAYLOADS["json"], "copied", PAYLOADS["script"]),
        ]
        conn.executemany(
            "insert into derivations(derived_article_id, source_article_id, source_name, relation, extent,"
            " shared_chars, confidence, evidence) values (?, ?, ?, ?, 'partially', 100, 0.5, ?)",
            [(d, s, n, r, e if isinstance(e, str) else json.dumps(e)) for d, s, n, r, e in derivations])
        refresh_outlet_edges(conn)  # as the loader does after writing derivations
        conn.commit()
        conn.execute("pragma wal_checkpoint(truncate)")
    return path, ids


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, seed_db) -> tuple[Path, dict[str, int]]:
    return build_hostile_corpus(tmp_path_factory.mktemp("hostile"), seed_db)


# =============================================================================== script injection




@pytest.fixture(scope="module")
def server(tmp_path_factory, hostile):
    db, _ = hostile
    with datasette_server(db, tmp_path_factory.mktemp("log") / "datasette.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); the browser checks run whenever it is present")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Playwright is not installed (pip install playwright)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


# Inline handlers Datasette's own templates write (1.0a's table page has one): markup, not data.
DATASETTE_HANDLERS = sorted({m.group(1).lower() + "=" + m.group(2) for t in (Path(datasette.__file__).parent
                                                                            / "templates").rglob("*.html")
                             for m in re.finditer(r'\s(on[a-z]+)="([^"]*)"', t.read_text("utf-8"))})
# What a page's DOM must not hold: evidence that data became markup or script.
EVIDENCE_JS = """(shipped) => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name) && !shipped.includes(attr.name.toLowerCase() + '=' + attr.value))
        found.push(`handler ${attr.name} on <${el.localName}>`);
    }
    if (['iframe', 'frame', 'object', 'embed', 'mglyph', 'math'].includes(el.localName)) found.push(`<${el.localName}>`);
    if (el.localName === 'img' && /\\/x$/.test(el.src)) found.push('injected <img src=x>');
    if (el.localName === 'script' && /__xss/.test(el.textContent)) found.push('injected <script>');
  }
  return found;
}"""
# Links whose target runs script: href (or SVG xlink:href) of javascript:, data: or vbscript:, however spelled.
LINKS_JS = """() => Array.from(document.querySelectorAll('a, area'))
  .map(el => el.getAttribute('href') || el.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '')
  .filter(h => /^(javascript|data|vbscript):/i.test(h.replace(/[\\s\\u0000-\\u001f]/g, '')))"""


class Visit:
    """One browser page with everything that must not happen recorded, across navigations."""

    def __init__(self, browser, base: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.problems: list[str] = []
        self.script_links: list[str] = []
        self.where = ""
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.problems.append(f"{self.where}: page error {e}"))
        self.page.on("console", self._console)
        self.page.on("request", self._request)

    def _dialog(self, dialog):
        self.problems.append(f"{self.where}: a dialog opened: {dialog.message}")
        dialog.dismiss()

    def _console(self, message):
        if message.type in ("error", "warning") or "__xss" in message.text:
            self.problems.append(f"{self.where}: console {message.type}: {message.text}")

    def _request(self, request):
        url = request.url
        if not url.startswith((self.base, "data:", "about:")):
            self.problems.append(f"{self.where}: request outside the server: {url}")
        elif re.search(r"/x$", url):
            self.problems.append(f"{self.where}: an injected image was fetched: {url}")

    def open(self, path: str, expect: tuple[int, ...] = (200,)) -> None:
        self.where = path
        response = self.page.goto(self.base + path)
        assert response is not None and response.status in expect, (path, response and response.status)
        self.inspect()

    def inspect(self) -> None:
        flag = self.page.evaluate("typeof window.__xss === 'undefined' ? null : String(window.__xss)")
        if flag is not None:
            self.problems.append(f"{self.where}: a script from the data ran: window.__xss = {flag!r}")
        self.problems += [f"{self.where}: {e}" for e in self.page.evaluate(EVIDENCE_JS, DATASETTE_HANDLERS)]
        self.script_links += [f"{self.where}: {h}" for h in self.page.evaluate(LINKS_JS)]

    def close(self) -> None:
        self.page.wait_for_timeout(150)  # handlers that fire late (image errors, toggles) have fired by now
        self.inspect()
        self.context.close()


def hostile_pages(db: Path, ids: dict[str, int]) -> dict[str, list[str]]:
    """Every page that shows hostile data, by kind."""
    with closing(sqlite3.connect(db)) as conn:
        hostile = [ids[f"hostile-{i}"] for i in range(6)]
        marks = ",".join(map(str, hostile))
        clusters = [c for (c,) in conn.execute(f"select distinct cluster_id from cluster_members where article_id in ({marks})"
                                               " order by cluster_id")]
        upstream = [n for (n,) in conn.execute("select distinct source_name from derivations where source_article_id is null")]
        outlets = [o for (o,) in conn.execute("select distinct outlet from articles where outlet is not null")]
        pages_of_clusters = -(-conn.execute("select count(*) from clusters").fetchone()[0] // 50)
    base = "/corpus/-/provenance"
    return {
        "overview": [base] + [f"{base}?page={p}" for p in range(2, pages_of_clusters + 1)],
        "clusters": [f"{base}/cluster/{c}" for c in clusters],
        "articles": [f"{base}/article/{a}" for a in hostile] + [f"{base}/article/{ids['000_04a9a5eec5045a67.txt']}"],
        "outlets": [f"{base}/outlet/{tilde_encode(n)}" for n in sorted(set(outlets) | set(upstream))],
        "graph": [base + "/graph", base + "/graph?" + urlencode({"since": "2022-03-01"})],
        "trace": [f"{base}/trace?" + urlencode({"q": q}) for q in (
            ALL, SHARED.format(payload=PAYLOADS["script"]) + " " + SECOND.format(payload=PAYLOADS["img"]),
            PAYLOADS["attr-break"] * 3)],
        "datasette": ["/corpus/articles", f"/corpus/articles/{hostile[0]}", "/corpus/derivations",
                      "/corpus/attributions", "/corpus/quotes", "/corpus/clusters", "/corpus/cluster_members",
                      "/corpus/articles?_search=" + quote("ferry"), "/corpus"],
    }


@pytest.mark.parametrize("kind", ["overview", "clusters", "articles", "outlets", "graph", "trace", "datasette"])
def test_no_payload_runs(browser, server, hostile, kind):
    pages = hostile_pages(*hostile)[kind]
    assert pages
    visit = Visit(browser, server)
    wordings = []
    try:
        for path in pages:
            visit.open(path)
            if kind == "clusters":
                wordings += visit.page.locator(".prov-wording").all_inner_texts()
        if kind == "trace":  # pasted into the form and submitted, as a user would
            visit.open("/corpus/-/provenance/trace")
            visit.page.fill("#prov-q", ALL)
            visit.page.get_by_role("button", name="Trace").click()
            visit.page.wait_for_url("**/-/provenance/trace?q=*")
            visit.where = "trace form"
            visit.inspect()
        if kind == "articles":  # shown as text, the template not evaluated
            visit.open(pages[0])
            assert visit.page.locator("h1").inner_text() == hostile_records()[0]["title"]
        if kind == "clusters":  # the payloads are on the page, as text (the splitter may cut one at "window.")
            assert any("__xss='script';alert('script')</script>" in t for t in wordings)
            assert any("<img src=x onerror=" in t for t in wordings)
    finally:
        visit.close()
    assert visit.problems == [], "\n".join(visit.problems[:20])


def test_the_checks_catch_a_payload_that_runs(browser, server):
    """The harness itself: a page that does let the payloads in is caught, every way it is checked."""
    visit = Visit(browser, server)
    body = f"<html><body><a href=\"{BAD_URLS[0]}\">original</a><p>{ALL}</p></body></html>"
    visit.page.route(server + "/selftest", lambda route: route.fulfill(status=200, body=body, content_type="text/html"))
    try:
        visit.open("/selftest")
    finally:
        visit.close()
    found = "\n".join(visit.problems)
    for evidence in ("a dialog opened", "a script from the data ran", "handler onerror", "injected <script>",
                     "<iframe>", "an injected image was fetched"):
        assert evidence in found, evidence
    assert visit.script_links




def test_no_link_is_a_script_link(browser, server, hostile):
    pages = [p for group in hostile_pages(*hostile).values() for p in group]
    visit = Visit(browser, server)
    try:
        for path in pages:
            visit.open(path)
    finally:
        visit.close()
    assert visit.script_links == [], "\n".join(visit.script_links[:10])


def test_clicking_the_original_link_runs_nothing(browser, server, hostile):
    visit = Visit(browser, server)
    try:
        visit.open(f"/corpus/-/provenance/article/{hostile[1]['hostile-0']}")
        link = visit.page.get_by_role("link", name="original")
        if link.count():
            link.first.click()
            visit.page.wait_for_timeout(200)
            visit.inspect()
    finally:
        visit.close()
    assert visit.problems == [], "\n".join(visit.problems)


def test_graph_exports_are_inert(hostile):
    """The SVG, GraphML and CSV downloads: well-formed, no script, no handler; CSV cells no formulas."""
    db, _ = hostile

    async def fetch():
        ds = Datasette([str(db)])
        return {fmt: await ds.client.get(f"/corpus/-/provenance/graph.{fmt}") for fmt in ("svg", "graphml", "csv", "json")}

    got = in_thread(fetch())
    for fmt in ("svg", "graphml"):
        r = got[fmt]
        assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
        root = ET.fromstring(r.text)  # well-formed: nothing broke out of its element
        for el in root.iter():
            assert el.tag.rsplit("}", 1)[-1] not in ("script", "foreignObject", "iframe"), (fmt, el.tag)
            for name, value in el.attrib.items():
                assert not name.lower().startswith("on"), (fmt, el.tag, name)
                if name.endswith("href"):
                    assert not re.match(r"\s*(javascript|data|vbscript):", value, re.I), (fmt, value)
        assert any(PAYLOADS["img"] in (t or "") for t in (el.text for el in root.iter())), "the names are there, as text"
    assert got["json"].headers["content-type"].startswith("application/json")
    import csv as csvmod
    import io
    for row in list(csvmod.reader(io.StringIO(got["csv"].text)))[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_json_is_served_as_json(hostile):
    """Payloads in JSON stay inside JSON strings, served with a JSON content type (never sniffed as HTML)."""
    db, ids = hostile

    async def fetch():
        ds = Datasette([str(db)])
        paths = ["/corpus/-/provenance.json", f"/corpus/-/provenance/article/{ids['hostile-0']}.json",
                 "/corpus/-/provenance/graph.json", "/corpus/-/provenance/trace.json?" + urlencode({"q": ALL}),
                 f"/corpus/-/provenance/outlet/{tilde_encode(OUTLETS[0])}.json"]
        return [(p, await ds.client.get(p)) for p in paths]

    for path, r in in_thread(fetch()):
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("application/json"), path
        r.json()


# =============================================================================== SQL injection


ONE_A = hasattr(Datasette, "allowed")  # Datasette 1.0a
MOSCOW = ("Moscow says it is ready to cooperate with all interested countries in the interests of establishing a joint"
          " effective response to this common threat")
NO_MATCH_TRACE = "/corpus/-/provenance/trace.json?" + urlencode({"q": "The cat sat quietly on the mat today."})
INJECTED_OUTLET = "'; drop table articles;--"  # an outlet of that name is loaded (injection_db)

# (URL, the status it must get, the URL with the clean parameter whose answer a 200 must equal).
# Everything not found answers 404 ("<thing> not found"), every malformed parameter 400 with the
# parameter named; the few that answer 200 answer what the clean parameter answers.
INJECTIONS = [
    ("/corpus/-/provenance/article/1%20or%201=1", 404, None),
    ("/corpus/-/provenance/article/1;drop%20table%20articles", 404, None),
    ("/corpus/-/provenance/article/1'%20or%20'1'='1", 404, None),
    ("/corpus/-/provenance/article/1%20or%201=1.json", 404, None),
    ("/corpus/-/provenance/article/-1", 404, None),
    ("/corpus/-/provenance/article/99999999999999999999999", 404, None),
    ("/corpus/-/provenance/article/0x1", 404, None),
    ("/corpus/-/provenance/article/1e3", 404, None),
    ("/corpus/-/provenance/article/%00", 404, None),
    ("/corpus/-/provenance/article/1.json%00", 404, None),
    ("/corpus/-/provenance/cluster/1%20union%20select%20*%20from%20articles", 404, None),
    ("/corpus/-/provenance/cluster/(select%20max(id)%20from%20articles).json", 404, None),
    ("/corpus/-/provenance/cluster/%2B1.json", 404, None),
    ("/corpus/-/provenance/cluster/1.json?" + urlencode({"x": "1' or '1'='1"}), 200, "/corpus/-/provenance/cluster/1.json"),
    # the outlet whose name is an injection: its page, by the name's tilde-encoding (canonical) or
    # %-encoding (Datasette redirects the HTML page there); %-encoded with .json, the name is taken literally
    ("/corpus/-/provenance/outlet/" + tilde_encode(INJECTED_OUTLET) + ".json", 200, None),
    ("/corpus/-/provenance/outlet/" + quote(INJECTED_OUTLET), 200, None),
    ("/corpus/-/provenance/outlet/" + quote(INJECTED_OUTLET) + ".json", 404, None),
    ("/corpus/-/provenance/outlet/" + quote("' or 1=1--") + ".json", 404, None),
    ("/corpus/-/provenance/outlet/" + tilde_encode("' or 1=1--") + ".json", 404, None),
    ("/corpus/-/provenance/outlet/" + tilde_encode("' or ''='"), 404, None),
    ("/corpus/-/provenance/outlet/" + tilde_encode("' union select key from settings where ''='") + ".json", 404, None),
    ("/corpus/-/provenance/outlet/" + tilde_encode("x\" or \"1\"=\"1"), 404, None),
    ("/corpus/-/provenance/outlet/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 404, None),
    ("/corpus/-/provenance/trace?" + urlencode({"q": "'; drop table articles;--"}), 200, None),
    ("/corpus/-/provenance/trace.json?" + urlencode({"q": "'; drop table articles;--"}), 200, NO_MATCH_TRACE),
    ("/corpus/-/provenance/trace.json?" + urlencode({"q": "1' or '1'='1' union select * from settings --" * 3}), 200,
     NO_MATCH_TRACE),
    ("/corpus/-/provenance/trace.json?" + urlencode({"q": MOSCOW + " ' or '1'='1 --"}), 200,
     "/corpus/-/provenance/trace.json?" + urlencode({"q": MOSCOW})),
    ("/corpus/-/provenance/trace?" + urlencode({"q": "x" * 30_000}), 400, None),
    ("/corpus/-/provenance/graph?" + urlencode({"since": "2022-01-01' or 1=1--"}), 400, None),
    ("/corpus/-/provenance/graph.json?" + urlencode({"until": "'; drop table derivations;--"}), 400, None),
    ("/corpus/-/provenance/graph.csv?" + urlencode({"since": "2022-02-30"}), 400, None),
    ("/corpus/-/provenance/graph.json?" + urlencode({"since": " 2022-02-04 "}), 200,
     "/corpus/-/provenance/graph.json?since=2022-02-04"),
    ("/corpus/-/provenance?" + urlencode({"page": "1; drop table articles"}), 400, None),
    ("/corpus/-/provenance.json?" + urlencode({"page": "-1"}), 400, None),
    ("/corpus/-/provenance.json?page=0", 400, None),
    ("/corpus/-/provenance.json?page=99999999999", 400, None),
    ("/corpus/-/provenance.json?page=1e9", 400, None),
    ("/corpus/-/provenance.json?" + urlencode({"_size": "1 union select 1"}), 400, None),
    ("/corpus/-/provenance.json?_size=0", 400, None),
    ("/corpus/-/provenance.json?_size=-5", 400, None),
    ("/corpus/-/provenance.json?_size=100000", 400, None),
    ("/corpus/-/provenance.json?" + urlencode({"outlets_page": "x' or 1=1"}), 400, None),
    ("/corpus/-/provenance/cluster/1.json?" + urlencode({"page": "2 or 1=1"}), 400, None),
    # Datasette's own routes take these: 0.65 reads "-" as a table and the rest as SQL, 1.0a finds no route
    ("/corpus/-/provenance.json;drop%20table%20articles", 404 if ONE_A else 400, None),
    ("/corpus%27/-/provenance", 404, None),
    ("/corpus;drop/-/provenance", 404, None),
    ("/corpus.json?" + urlencode({"sql": "drop table articles"}), 400, None),
    ("/corpus.json?" + urlencode({"sql": "delete from articles"}), 400, None),
    ("/corpus/articles.json?" + urlencode({"_where": "1=1); drop table articles; --"}), 400, None),
]
WRITES = {getattr(sqlite3, name) for name in dir(sqlite3) if name.startswith(("SQLITE_CREATE_", "SQLITE_DROP_"))} | {
    sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE, sqlite3.SQLITE_ALTER_TABLE,
    sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH, sqlite3.SQLITE_REINDEX, sqlite3.SQLITE_ANALYZE}


def in_thread(coroutine):
    """Run a coroutine to completion in a thread of its own: the browser tests' Playwright keeps an
    event loop running in this one while its module-scoped fixture lives."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def injection_db(tmp_path_factory, seed_db) -> Path:
    """The page tests' corpus plus an outlet whose name is an injection, loaded through the loader."""
    folder = tmp_path_factory.mktemp("injection")
    db = build_corpus(folder, seed_db)
    feed = folder / "drop.jsonl"
    feed.write_text(json.dumps({"id": "drop-1", "outlet": INJECTED_OUTLET, "title": "x' or '1'='1",
                                "published": "2022-02-06", "text": "Moscow says it is ready to cooperate with all"
                                " interested countries in the interests of establishing a joint effective response"
                                " to this common threat; drop table articles;--"}) + "\n", "utf-8")
    assert load_paths(str(db), [str(feed)]).articles_added == 1
    return db


def answer(r) -> object:
    """What a JSON answer says. A trace: the stored sentences matched, the outlets and the earliest
    (not the scores or the pasted text, which the injected characters change by design)."""
    data = r.json()
    if "sentences" in data:
        matched = [ids for s in data["sentences"] if (ids := sorted(m["sentence_id"] for m in s["matches"]))]
        return {"matched": matched, **{k: data[k] for k in ("error", "outlets", "earliest", "candidates_truncated")}}
    return data


def page_of(path: str):
    """The provenance page module that answers a URL, if any."""
    from urllib.parse import unquote

    route = unquote(path.split("?")[0])
    return next((page for page in PAGES if re.match(page.ROUTE, route)), None)


def test_parameters_never_reach_sql(injection_db):
    """Each hostile URL gets its pinned status; a 200 answers what the clean parameter answers; no
    statement prepared while answering writes, or reads a table the page does not declare (an
    SQLite authorizer sees every statement, even one a read-only connection would refuse)."""
    from datasette.plugins import pm

    recorder = TableRecorder()

    async def requests():
        ds = Datasette([str(injection_db)])
        await ds.client.get("/corpus/-/provenance.json")  # connections made, schema cached
        answers = []
        for path, _, clean in INJECTIONS:
            recorder.reset(recording=True)
            # Datasette answers some spellings with a redirect to its canonical URL: the answer is where it leads.
            r = await ds.client.get(path, follow_redirects=True)
            recorder.recording = False
            seen = (set(recorder.tables), list(recorder.writes))
            answers.append((path, r, seen, clean and await ds.client.get(clean)))
        return answers

    pm.register(recorder, name="test-security-injection-recorder")
    try:
        answers = in_thread(requests())
    finally:
        pm.unregister(name="test-security-injection-recorder")
    assert len(answers) == len(INJECTIONS) and any(tables for _, _, (tables, _), _ in answers), "nothing recorded"
    failures = []
    for (path, status, _), (_, r, (tables, writes), clean) in zip(INJECTIONS, answers):
        if r.status_code != status:
            failures.append(f"{path}: {r.status_code}, not {status}: {r.text[:150]}")
        elif clean is not None and (clean.status_code != 200 or answer(r) != answer(clean)):
            failures.append(f"{path}: answers otherwise than its clean form: {r.text[:150]}")
        if writes:
            failures.append(f"{path}: prepared a write: {writes}")
        page = page_of(path)
        if page is not None and not tables <= set(page.TABLES):
            failures.append(f"{path}: read {sorted(tables - set(page.TABLES))}, which {page.__name__} does not declare")
    assert failures == [], "\n".join(failures)
    own = next(r for (path, _, _), (_, r, _, _) in zip(INJECTIONS, answers) if path.endswith(".json") and
               tilde_encode(INJECTED_OUTLET) in path)
    assert own.json()["outlet"] == INJECTED_OUTLET and own.json()["articles_count"] == 1
    clean_trace = next(clean for (_, _, url), (*_, clean) in zip(INJECTIONS, answers) if url and "Moscow" in url)
    assert clean_trace.json()["outlets"], "the clean trace must find the statement, or comparing says nothing"


# =============================================================================== permissions

PAGES = {
    overview: ["/corpus/-/provenance", "/corpus/-/provenance.json"],
    cluster: ["/corpus/-/provenance/cluster/1", "/corpus/-/provenance/cluster/1.json"],
    article: ["/corpus/-/provenance/article/1", "/corpus/-/provenance/article/2.json"],
    outlet: ["/corpus/-/provenance/outlet/TRT+World", "/corpus/-/provenance/outlet/AFP.json"],
    graph: ["/corpus/-/provenance/graph", "/corpus/-/provenance/graph.json", "/corpus/-/provenance/graph.graphml",
            "/corpus/-/provenance/graph.csv", "/corpus/-/provenance/graph.svg"],
    trace: ["/corpus/-/provenance/trace?q=Moscow+says+it+is+ready+to+cooperate+with+all+interested+countries",
            "/corpus/-/provenance/trace.json?q=Moscow+says+it+is+ready+to+cooperate+with+all+interested+countries"],
}
READ_TABLES = sorted({t for page in PAGES for t in page.TABLES})
# Text found only in one table's rows (with the paths that would show it).
SECRETS = {
    "articles": ["TRT World", "Islam Times", "Baghdadi"],
    "derivations": ["evidence", "TRT World published a day before"],
    "attributions": ["the Tass news agency reported", "SOURCE:AFP"],
    "clusters": ["ready to cooperate"],
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db) -> Path:
    return build_corpus(tmp_path_factory.mktemp("perm"), seed_db)


@pytest.mark.parametrize("table", READ_TABLES)
def test_one_hidden_table_hides_its_rows_everywhere(corpus, table):
    async def requests():
        ds = Datasette([str(corpus)], metadata={"databases": {"corpus": {"tables": {table: {"allow": False}}}}})
        pages = [(page, path, await ds.client.get(path)) for page, paths in PAGES.items() for path in paths]
        own = [(path, await ds.client.get(path))
               for path in (f"/corpus/{table}", f"/corpus/{table}.json", f"/corpus/{table}/1.json")]
        return pages, own, (await ds.client.get("/corpus.json")).json()

    pages, own, listed = in_thread(requests())
    for page, path, r in pages:
        if table in page.TABLES:
            assert r.status_code == 403, (table, path, r.status_code)
            if ".json" in path:
                assert r.headers["content-type"].startswith("application/json"), path
            for secret in [s for t in SECRETS.values() for s in t]:
                assert secret not in r.text, (table, path, secret)
        else:
            assert r.status_code == 200, (table, path, r.status_code, r.text[:200])
    # Datasette's own views of the table, and the database page's list, hide it as well
    for path, r in own:
        assert r.status_code == 403, (table, path, r.status_code)
    assert table not in {t["name"] for t in listed["tables"]}


class TableRecorder:
    """Records every table SQLite reads for the 'corpus' database (an authorizer on each connection)."""

    __name__ = "test_security_table_recorder"  # Datasette lists plugins by name

    def __init__(self):
        self.tables: set[str] = set()
        self.writes: list[tuple[int, str | None]] = []
        self.recording = False

    def reset(self, recording: bool = False) -> None:
        self.tables.clear()
        self.writes.clear()
        self.recording = recording

    @hookimpl
    def prepare_connection(self, conn, database, datasette):
        if database != "corpus":
            return

        def authorize(action, arg1, arg2, dbname, source):
            if self.recording and action == sqlite3.SQLITE_READ and arg1 and not arg1.startswith("sqlite_"):
                self.tables.add(arg1)
            if self.recording and action in WRITES and not (arg1 or "").startswith("sqlite_"):
                self.writes.append((action, arg1))
            return sqlite3.SQLITE_OK

        conn.set_authorizer(authorize)


def test_pages_read_only_the_tables_they_check(corpus):
    """Each page's TABLES (what open_database checks permissions for) covers every table its SQL reads."""
    from datasette.plugins import pm

    recorder = TableRecorder()

    async def requests():
        ds = Datasette([str(corpus)])
        await ds.client.get("/corpus/-/provenance.json")  # connections made, schema cached
        found = []
        for page, paths in PAGES.items():
            for path in paths:
                recorder.tables.clear()
                recorder.recording = True
                r = await ds.client.get(path)
                recorder.recording = False
                found.append((page, path, r.status_code, {t for t in recorder.tables if not t.startswith("sqlite_")}))
        return found

    pm.register(recorder, name="test-security-table-recorder")
    try:
        found = in_thread(requests())
    finally:
        pm.unregister(name="test-security-table-recorder")
    assert any(read for *_, read in found), "the recorder saw nothing"
    for page, path, status, read in found:
        assert status == 200, path
        assert read <= set(page.TABLES), (path, sorted(read - set(page.TABLES)))
