"""Datasette's own pages lead to the provenance pages: every cell that holds an article, a cluster
or an outlet links to its page (table, row and query pages, canned or not), and every such link
answers 200. The primary keys of articles and clusters, which Datasette renders itself, gain their
link from a small script."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from html import unescape
from urllib.parse import urlencode

import pytest
from datasette.app import Datasette

from test_permissions import build_corpus, hiding

PROV_LINK = re.compile(r'<a class="provenance-link" href="([^"]+)"[^>]*>(.*?)</a>', re.S)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db):
    return build_corpus(tmp_path_factory.mktemp("corpus"), seed_db)


def links(html: str) -> list[tuple[str, str]]:
    return [(unescape(href), text) for href, text in PROV_LINK.findall(html)]


async def all_answer_200(ds: Datasette, hrefs) -> None:
    for href in sorted(set(hrefs)):
        r = await ds.client.get(href)
        assert r.status_code == 200, (href, r.status_code)


def query_html(name_or_sql: str, **params) -> str:
    if name_or_sql.startswith("select"):
        return "/corpus?" + urlencode({"sql": name_or_sql, **params})
    return f"/corpus/{name_or_sql}" + ("?" + urlencode(params) if params else "")


@pytest.mark.asyncio
async def test_canned_queries_link_outlets_and_clusters(corpus):
    ds = hiding(corpus, [])  # as published: metadata.json with its canned queries
    who = (await ds.client.get(query_html("who_took_from_whom"), follow_redirects=True)).text
    found = links(who)
    # derived_outlet and source (an outlet, or the upstream source named with no source article)
    assert ("/corpus/-/provenance/outlet/TRT+World", "TRT World") in found
    assert ("/corpus/-/provenance/outlet/AFP", "AFP") in found and ("/corpus/-/provenance/outlet/TASS", "TASS") in found
    assert ("/corpus/-/provenance/outlet/Islam+Times", "Islam Times") in found
    assert "Evil &lt;b&gt;Outlet&lt;/b&gt;</a>" in who and "<b>Outlet" not in who
    await all_answer_200(ds, [href for href, _ in found])
    shared = links((await ds.client.get(query_html("most_shared_statements"), follow_redirects=True)).text)
    assert ("/corpus/-/provenance/cluster/1", "1") in shared
    assert all(href.startswith("/corpus/-/provenance/cluster/") for href, _ in shared)
    pairs = links((await ds.client.get(query_html("outlet_to_outlet"), follow_redirects=True)).text)
    assert {"/corpus/-/provenance/outlet/Sputnik", "/corpus/-/provenance/outlet/AFP"} <= {h for h, _ in pairs}
    credited = links((await ds.client.get(query_html("credited_sources"), follow_redirects=True)).text)
    assert ("/corpus/-/provenance/outlet/Xinhua", "Xinhua") in credited
    wording = links((await ds.client.get(query_html("article_wording", cluster=1), follow_redirects=True)).text)
    assert ("/corpus/-/provenance/outlet/TRT+World", "TRT World") in wording
    await all_answer_200(ds, [h for h, _ in shared + pairs + credited + wording])


@pytest.mark.asyncio
async def test_who_took_from_whom_links_both_articles(corpus):
    """The canned query names the derived and the source article by id, each linked to its provenance page."""
    ds = hiding(corpus, [])
    data = (await ds.client.get("/corpus/who_took_from_whom.json?_shape=objects", follow_redirects=True)).json()
    columns = list(data["rows"][0])
    assert columns.index("derived_article_id") < columns.index("derived_outlet")
    assert columns.index("source_article_id") < columns.index("source")
    conn = sqlite3.connect(corpus)
    expected = conn.execute("select derived_article_id, source_article_id from derivations").fetchall()
    conn.close()
    assert Counter((r["derived_article_id"], r["source_article_id"]) for r in data["rows"]) == Counter(expected)
    html = (await ds.client.get(query_html("who_took_from_whom"), follow_redirects=True)).text
    articles = {(href, text) for href, text in links(html) if "/-/provenance/article/" in href}
    ids = {i for pair in expected for i in pair if i is not None}
    assert any(source is None for _, source in expected)  # an upstream source: no article, no link
    assert articles == {(f"/corpus/-/provenance/article/{i}", str(i)) for i in ids}
    await all_answer_200(ds, [href for href, _ in articles])


@pytest.mark.asyncio
async def test_query_results_link_article_ids_by_column_name(corpus):
    ds = Datasette([str(corpus)])
    sql = ("select d.derived_article_id, d.source_article_id, d.source_name, m.cluster_id"
           " from derivations d left join cluster_members m on m.article_id = d.derived_article_id")
    found = links((await ds.client.get(query_html(sql), follow_redirects=True)).text)
    hrefs = {h for h, _ in found}
    assert "/corpus/-/provenance/article/2" in hrefs and "/corpus/-/provenance/cluster/1" in hrefs
    assert "/corpus/-/provenance/outlet/AFP" in hrefs
    await all_answer_200(ds, hrefs)


@pytest.mark.asyncio
async def test_source_links_only_where_it_names_an_outlet(corpus):
    ds = Datasette([str(corpus)])
    # a file name in a column called "source" (as in load_errors) is no outlet
    lone = (await ds.client.get(query_html("select 'feeds/a.jsonl' as source, 3 as line"),
                                follow_redirects=True)).text
    assert "feeds/a.jsonl" in lone and "provenance-link" not in lone
    # a source beside what took from it is
    pair = (await ds.client.get(query_html("select source, target from graph_edges"), follow_redirects=True)).text
    hrefs = {h for h, _ in links(pair)}
    assert {"/corpus/-/provenance/outlet/AFP", "/corpus/-/provenance/outlet/Islam+Times"} <= hrefs
    await all_answer_200(ds, hrefs)


@pytest.mark.asyncio
@pytest.mark.parametrize("table", ["articles", "clusters", "cluster_members", "derivations", "attributions",
                                   "paragraphs", "sentences", "outlet_edges", "outlet_edge_totals",
                                   "graph_edges", "alignments", "quotes"])
async def test_every_link_in_the_table_pages_answers_200(corpus, table):
    ds = Datasette([str(corpus)])
    r = await ds.client.get(f"/corpus/{table}?_size=max")
    if r.status_code == 404:  # a table this schema version does not have
        pytest.skip(f"no {table} table")
    found = links(r.text)
    rows = sqlite3.connect(corpus).execute(f'select count(*) from "{table}"').fetchone()[0]
    if rows:
        assert found, table
    await all_answer_200(ds, [h for h, _ in found])


@pytest.mark.asyncio
async def test_table_page_outlet_columns(corpus):
    ds = Datasette([str(corpus)])
    edges = links((await ds.client.get("/corpus/graph_edges")).text)
    assert ("/corpus/-/provenance/outlet/AFP", "AFP") in edges
    credits = links((await ds.client.get("/corpus/attributions")).text)
    assert ("/corpus/-/provenance/outlet/Xinhua", "Xinhua") in credits
    assert ("/corpus/-/provenance/outlet/Reuters+~3Ci~3Ewire~3C~2Fi~3E", "Reuters &lt;i&gt;wire&lt;/i&gt;") in credits
    derivations = links((await ds.client.get("/corpus/derivations")).text)
    assert ("/corpus/-/provenance/outlet/TASS", "TASS") in derivations


@pytest.mark.asyncio
async def test_a_quoted_speaker_links_to_its_page(seed_db):
    """The graph's speaker layer (source_kind "speaker") names people whose statements outlets carried:
    each has a page, as on the overview."""
    ds, db = Datasette([str(seed_db)]), seed_db.stem
    speaker = (f"/{db}/-/provenance/outlet/Maria+Zakharova", "Maria Zakharova")
    conn = sqlite3.connect(seed_db)
    for table in ("graph_edges", "outlet_edge_totals"):
        rows = conn.execute(f"select count(*) from {table} where source = ?", (speaker[1],)).fetchone()[0]
        found = links((await ds.client.get(f"/{db}/{table}?_size=max")).text)
        assert found.count(speaker) == rows >= 3, table  # each of its rows, "speaker" ones too
    conn.close()
    await all_answer_200(ds, [speaker[0]])


@pytest.mark.asyncio
@pytest.mark.parametrize("table,page", [("articles", "article"), ("clusters", "cluster")])
async def test_primary_key_pages_carry_the_link_script(corpus, table, page):
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(f"/corpus/{table}")).text
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    mine = [s for s in scripts if "provenance-link" in s]
    assert len(mine) == 1 and f'"/corpus/-/provenance/{page}/"' in mine[0]
    assert "td.type-pk" in mine[0]
    # the other tables get no such script, nor an empty one that says "None"
    other = (await ds.client.get("/corpus/paragraphs")).text
    assert not [s for s in re.findall(r"<script>(.*?)</script>", other, re.S) if "provenance-link" in s]
    assert "<script>None</script>" not in other


@pytest.mark.asyncio
async def test_no_link_script_outside_provenance_databases(tmp_path):
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("create table articles (id integer primary key, outlet text)")
    conn.execute("insert into articles (outlet) values ('Somebody')")
    conn.commit()
    conn.close()
    ds = Datasette([str(plain)])
    html = (await ds.client.get("/plain/articles")).text
    assert "provenance" not in html and "<script>None</script>" not in html


def test_link_script_cannot_leave_its_script_element():
    from datasette_provenance.pages.common import Urls, pk_link_script

    class FakeUrls:
        def database(self, name):
            return "/" + name

        def static_plugins(self, plugin, path):
            return path

    class FakeDatasette:
        urls = FakeUrls()

    script = pk_link_script(Urls(FakeDatasette(), "x</script><script>alert(1)//"), "articles")
    assert "</script>" not in script.lower() and "<" not in script and "alert(1)" in script
    assert json.loads(re.search(r'var base = ("[^"]*")', script).group(1)) == \
        "/x</script><script>alert(1)///-/provenance/article/"
    assert pk_link_script(Urls(FakeDatasette(), "x"), "paragraphs") is None


def test_link_script_adds_the_link(corpus, tmp_path):
    """Node runs the script against the table page's cells (no browser needed): the id gains a link."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    from datasette_provenance.pages.common import Urls, pk_link_script

    class FakeUrls:
        def database(self, name):
            return "/" + name

    class FakeDatasette:
        urls = FakeUrls()

    script = pk_link_script(Urls(FakeDatasette(), "corpus"), "articles")
    harness = tmp_path / "harness.js"
    harness.write_text("""
    function el(tag) { return {tag: tag, children: [], className: "", textContent: "", href: "", title: "",
      appendChild: function (c) { this.children.push(c); }, querySelector: function () { return null; }}; }
    var cells = [{textContent: " 7 ", children: [], querySelector: function () { return null; },
                  appendChild: function (c) { this.children.push(c); }},
                 {textContent: "x<y", children: [], querySelector: function () { return null; },
                  appendChild: function (c) { this.children.push(c); }}];
    var document = {querySelectorAll: function () { return cells; }, createElement: el,
                    createTextNode: function (t) { return {text: t}; }};
    """ + script + """
    process.stdout.write(JSON.stringify(cells.map(function (c) {
      return c.children.filter(function (x) { return x.tag; }).map(function (x) {
        return [x.className, x.href, x.textContent]; }); })));
    """)
    out = subprocess.run([node, str(harness)], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [[["provenance-link", "/corpus/-/provenance/article/7", "provenance"]], []]


@pytest.mark.asyncio
@pytest.mark.parametrize("table", ["articles", "clusters"])
async def test_the_script_finds_datasettes_primary_key_cells(corpus, table):
    """The script's selector matches the markup Datasette gives the primary key of these tables."""
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(f"/corpus/{table}")).text
    table_html = html.split('<table class="rows-and-columns">')[1]
    assert re.search(r'<td class="col-id type-pk"><a href="/corpus/' + table + r'/1">1</a></td>', table_html)


def test_ids_link_to_provenance_in_a_browser(tmp_path_factory, seed_db):
    """Chromium runs the script on Datasette's table pages: each id gains its link, which answers 200."""
    import os
    from pathlib import Path

    from conftest import datasette_server

    if not Path("/usr/bin/chromium").exists():
        pytest.skip("/usr/bin/chromium is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Playwright is not installed")
    db = build_corpus(tmp_path_factory.mktemp("browser_links"), seed_db)
    with datasette_server(db, tmp_path_factory.mktemp("log") / "datasette.log") as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            for table, kind in (("articles", "article"), ("clusters", "cluster")):
                page.goto(f"{base}/corpus/{table}")
                cells = page.locator("table.rows-and-columns td.type-pk")
                ids = cells.evaluate_all("tds => tds.map(td => td.querySelector('a').textContent)")
                hrefs = cells.evaluate_all(
                    "tds => tds.map(td => td.querySelector('a.provenance-link').getAttribute('href'))")
                assert ids and hrefs == [f"/corpus/-/provenance/{kind}/{i}" for i in ids]
                page.locator("td.type-pk a.provenance-link").first.click()
                page.wait_for_url(f"**/-/provenance/{kind}/*")
                assert page.locator("h1").count() == 1
            assert errors == []
        finally:
            browser.close()
