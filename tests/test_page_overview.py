"""The overview page, and the ways into the pages: links in tables, menus, assets, base_url, -i."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from datasette.app import Datasette
from datasette.database import Database

from datasette_provenance.load import load_paths

from conftest import edited_copy
from test_permissions import build_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db):
    return build_corpus(tmp_path_factory.mktemp("corpus"), seed_db)


@pytest.mark.asyncio
async def test_overview_json(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get("/corpus/-/provenance.json")).json()
    assert data["figures"] == {"articles": 6, "outlets": 5, "clusters": 6, "articles_with_reuse": 5,
                               "derivations": 7, "share_with_reuse": round(5 / 6, 4), "articles_without_outlet": 0,
                               "articles_without_date": 1, "articles_day_only": 1}
    first = data["clusters"][0]
    assert "ready to cooperate" in first["text"] and first["outlets"] == 4
    assert first["outlet_names"] == sorted(["Evil <b>Outlet</b>", "Islam Times", "Sputnik", "TRT World"])
    assert [c["outlets"] for c in data["clusters"]] == sorted((c["outlets"] for c in data["clusters"]), reverse=True)
    outlets = {o["outlet"]: o for o in data["outlets"]}
    assert data["outlets"][0]["outlet"] == "TRT World"
    assert (outlets["TRT World"]["gives"], outlets["TRT World"]["takes"]) == (3, 1)  # it takes from AFP
    assert outlets["Sputnik"]["takes_by_relation"] == {"common-source": 1, "copied": 1}  # same-outlet left out
    assert outlets["Islam Times"]["takes_chars"] == 452 + 220  # from TRT World and from TASS
    assert [(u["source_name"], u["count"]) for u in data["upstream_sources"]] == [("AFP", 1), ("TASS", 1)]


@pytest.mark.asyncio
async def test_overview_html(corpus):
    ds = Datasette([str(corpus)])
    html = (await ds.client.get("/corpus/-/provenance")).text
    assert "<strong>83%</strong> of articles share a passage" in html
    links = re.findall(r'<a class="prov-cluster-link" href="/corpus/-/provenance/cluster/(\d+)">([^<]*)</a>', html)
    assert len(links) == 6 and "ready to cooperate" in links[0][1]
    assert '<a href="/corpus/-/provenance/outlet/TRT+World">TRT World</a>' in html
    assert "Evil &lt;b&gt;Outlet&lt;/b&gt;" in html and "<b>Outlet" not in html
    assert '<a href="/corpus/-/provenance/outlet/AFP">AFP</a>' in html
    assert '<link rel="stylesheet" href="/-/static-plugins/datasette-provenance/provenance.css">' in html


@pytest.mark.asyncio
async def test_overview_pagination(corpus):
    ds = Datasette([str(corpus)])
    one = (await ds.client.get("/corpus/-/provenance.json?_size=4")).json()
    two = (await ds.client.get("/corpus/-/provenance.json?_size=4&page=2")).json()
    assert len(one["clusters"]) == 4 and len(two["clusters"]) == 2
    assert one["clusters_pagination"]["pages"] == 2
    assert not {c["id"] for c in one["clusters"]} & {c["id"] for c in two["clusters"]}
    html = (await ds.client.get("/corpus/-/provenance?_size=4&page=2")).text
    assert 'href="?_size=4&amp;page=1"' in html and "page 2 of 2" in html
    assert (await ds.client.get("/corpus/-/provenance?page=x")).status_code == 400


@pytest.mark.asyncio
async def test_table_cells_link_to_the_pages(corpus):
    ds = Datasette([str(corpus)])
    members = (await ds.client.get("/corpus/cluster_members")).text
    assert re.search(r'<a class="provenance-link" href="/corpus/-/provenance/cluster/1" [^>]*>1</a>', members)
    assert re.search(r'href="/corpus/-/provenance/article/\d+"', members)
    derivations = (await ds.client.get("/corpus/derivations")).text
    assert 'href="/corpus/-/provenance/article/2"' in derivations  # derived_article_id
    articles = (await ds.client.get("/corpus/articles")).text
    assert '<a class="provenance-link" href="/corpus/-/provenance/outlet/TRT+World">TRT World</a>' in articles
    assert "Evil &lt;b&gt;Outlet&lt;/b&gt;</a>" in articles and "<b>Outlet" not in articles
    # A foreign key Datasette expands to a label keeps its link to the row and gains one to the page.
    clusters = (await ds.client.get("/corpus/clusters")).text
    assert re.search(r'<a href="/corpus/articles/1">[^<]+</a>&nbsp;<em>1</em> <a class="provenance-link"'
                     r' href="/corpus/-/provenance/article/1"', clusters)
    row = (await ds.client.get("/corpus/clusters/1")).text  # the row page passes its primary key too
    assert ('<a class="provenance-link" href="/corpus/-/provenance/cluster/1"'
            ' title="This statement across outlets">1</a>') in row


@pytest.mark.asyncio
async def test_menu_and_actions_lead_to_the_pages(corpus):
    ds = Datasette([str(corpus)])
    home = (await ds.client.get("/")).text
    assert '<a href="/corpus/-/provenance">Provenance: corpus</a>' in home
    table = (await ds.client.get("/corpus/articles")).text
    for path in ("/corpus/-/provenance", "/corpus/-/provenance/graph", "/corpus/-/provenance/trace"):
        assert f'href="{path}"' in table
    database = (await ds.client.get("/corpus")).text
    assert 'href="/corpus/-/provenance/graph"' in database


@pytest.mark.asyncio
async def test_row_actions_on_datasette_1(corpus):
    ds = Datasette([str(corpus)])
    html = (await ds.client.get("/corpus/articles/2")).text
    if not hasattr(ds, "allowed"):  # 0.65 has no row_actions hook: the id cell links instead
        assert '<a class="provenance-link" href="/corpus/-/provenance/article/2"' in html
        return
    assert re.search(r'<a href="/corpus/-/provenance/article/2"[^>]*>\s*Provenance of this article', html)


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["datasette-provenance", "datasette_provenance"])
async def test_static_assets_are_served(corpus, name):
    ds = Datasette([str(corpus)])
    css = await ds.client.get(f"/-/static-plugins/{name}/provenance.css")
    assert css.status_code == 200 and ".prov-timeline" in css.text
    js = await ds.client.get(f"/-/static-plugins/{name}/provenance.js")
    assert js.status_code == 200 and "prov-counter" in js.text and "http" not in js.text


@pytest.mark.asyncio
async def test_base_url(corpus):
    ds = Datasette([str(corpus)], settings={"base_url": "/prefix/"})
    # datasette.client puts base_url in front of the paths it is given.
    html = (await ds.client.get("/corpus/-/provenance")).text
    assert 'href="/prefix/corpus/-/provenance/cluster/1"' in html
    assert 'href="/prefix/-/static-plugins/datasette-provenance/provenance.css"' in html
    hrefs = re.findall(r'(?:href|action)="(/[^"]*)"', html)
    assert hrefs and all(h.startswith("/prefix/") for h in hrefs), [h for h in hrefs if not h.startswith("/prefix/")]
    css = await ds.client.get("/-/static-plugins/datasette-provenance/provenance.css")
    assert ".prov-timeline" in css.text
    for page in ("cluster/1", "article/2", "outlet/TRT+World", "graph", "trace?q=Moscow+says+it+is+ready"):
        body = (await ds.client.get(f"/corpus/-/provenance/{page}")).text
        bad = [h for h in re.findall(r'(?:href|action)="(/[^"]*)"', body) if not h.startswith("/prefix/")]
        assert not bad, (page, bad)
    members = (await ds.client.get("/corpus/cluster_members")).text
    assert 'href="/prefix/corpus/-/provenance/cluster/1"' in members


@pytest.mark.asyncio
async def test_immutable_database_is_served_read_only(corpus, tmp_path):
    copy = tmp_path / "corpus.db"
    copy.write_bytes(corpus.read_bytes())
    copy.chmod(0o444)
    before = copy.read_bytes()
    ds = Datasette([], immutables=[str(copy)])
    paths = ["/corpus/-/provenance.json", "/corpus/-/provenance/cluster/1.json", "/corpus/-/provenance/article/2",
             "/corpus/-/provenance/outlet/Sputnik", "/corpus/-/provenance/graph.graphml",
             "/corpus/-/provenance/trace.json?q=Moscow+says+it+is+ready+to+cooperate+with+all+interested+countries"]
    for path in paths:
        r = await ds.client.get(path)
        assert r.status_code == 200, (path, r.text[:200])
    assert copy.read_bytes() == before
    assert not (tmp_path / "corpus.db-wal").exists() and not (tmp_path / "corpus.db-journal").exists()


@pytest.mark.asyncio
async def test_real_loader_output(seed_db):
    conn = sqlite3.connect(seed_db)
    expected = {
        "articles": conn.execute("select count(*) from articles").fetchone()[0],
        "clusters": conn.execute("select count(*) from clusters").fetchone()[0],
        "derivations": conn.execute("select count(*) from derivations").fetchone()[0],
    }
    top = conn.execute("select max(outlets) from clusters").fetchone()[0]
    conn.close()
    ds = Datasette([str(seed_db)])
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance.json")).json()
    assert {k: data["figures"][k] for k in expected} == expected
    assert data["clusters"][0]["outlets"] == top


@pytest.mark.asyncio
async def test_speakers_are_quoted_not_credited(seed_db):
    """Maria Zakharova is quoted by the seeds, not credited: she is listed apart from AFP and TASS."""
    ds = Datasette([str(seed_db)])
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance.json")).json()
    kinds = {u["source_name"]: u["quoted"] for u in data["upstream_sources"]}
    assert kinds == {"AFP": False, "TASS": False, "Maria Zakharova": True}
    html = (await ds.client.get(f"/{seed_db.stem}/-/provenance")).text
    credited, quoted = html.split("Upstream sources credited")[1].split("Speakers quoted")
    assert "AFP" in credited and "TASS" in credited and "Zakharova" not in credited and "Zakharova" in quoted
    # Each speaker has a page (what they are named the source of): the entry leads to it.
    link = f"/{seed_db.stem}/-/provenance/outlet/Maria+Zakharova"
    assert f'<a href="{link}">Maria Zakharova</a>' in quoted
    assert (await ds.client.get(link)).status_code == 200


@pytest.mark.asyncio
async def test_overview_counts_what_direction_depends_on(tmp_path, monkeypatch):
    """Articles without an outlet, a date or a time, counted over the corpus from an index alone."""
    text = "The harbour master ordered every fishing boat to stay moored until the storm had passed the {} coast."
    records = [{"id": "full", "outlet": "A", "published": "2022-02-03T10:00:00Z", "text": text.format("northern")},
               {"id": "bare", "text": text.format("southern")},
               {"id": "day", "outlet": "B", "published": "2022-02-03", "text": text.format("eastern")},
               {"id": "day-2", "published": "2022-02-04", "text": text.format("western")},
               {"id": "nodate", "outlet": "<i>C</i>", "text": text.format("whole")}]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    db = tmp_path / "gaps.db"
    load_paths(str(db), [str(data)])
    statements = []
    execute = Database.execute

    async def recording(self, sql, params=None, **kwargs):
        if self.name == "gaps":  # not Datasette's own databases
            statements.append((sql, params))
        return await execute(self, sql, params, **kwargs)

    monkeypatch.setattr(Database, "execute", recording)
    ds = Datasette([str(db)])
    figures = (await ds.client.get("/gaps/-/provenance.json")).json()["figures"]
    assert (figures["articles"], figures["outlets"]) == (5, 3)
    gaps = ("articles_without_outlet", "articles_without_date", "articles_day_only")
    assert [figures[k] for k in gaps] == [2, 2, 2]
    html = (await ds.client.get("/gaps/-/provenance")).text
    assert re.search(r"2 of the 5 articles have no outlet, 2 no date, 2 a date without a time:\s+"
                     r"the direction between them rests on text alone", html)
    assert 'no outlet: counted as an <a href="/gaps/-/provenance/outlet/~28unknown+outlet~29">unknown outlet</a>' in html
    assert (await ds.client.get("/gaps/-/provenance/outlet/~28unknown+outlet~29")).status_code == 200
    # No statement of the page reads the articles' rows whole (their text): an index at most.
    conn = sqlite3.connect(db)
    assert any("from articles" in sql for sql, _ in statements)
    for sql, params in statements:
        plan = " | ".join(r[3] for r in conn.execute("explain query plan " + sql, params or []))
        assert not re.search(r"SCAN (articles|a)\b(?! USING COVERING INDEX)", plan), (sql, plan)
    conn.close()
    # A corpus where every article has all three says nothing about them.
    load_paths(str(tmp_path / "plain.db"), [str(data)], outlet="X", published="2022-02-03 10:00")
    plain = (await Datasette([str(tmp_path / "plain.db")]).client.get("/plain/-/provenance")).text
    assert "rests on text alone" not in plain and "<h2>Most widely shared statements</h2>" in plain


@pytest.mark.asyncio
async def test_the_home_page_leads_to_the_overview(tmp_path, seed_db):
    """Served as the quickstart serves it (corpus.db, metadata.json): the home and database pages link to
    the provenance overview, and the link answers with the overview."""
    import json as _json
    import shutil
    from pathlib import Path

    db = tmp_path / "corpus.db"
    shutil.copy(seed_db, db)
    metadata = _json.loads((Path(__file__).parent.parent / "metadata.json").read_text("utf-8"))
    ds = Datasette([str(db)], metadata=metadata)
    home = (await ds.client.get("/")).text  # visible on the page, not only in the menus
    assert '<a href="/corpus/-/provenance">Open the provenance overview</a>' in home
    assert '<a href="/corpus/-/provenance">Provenance overview</a>' in (await ds.client.get("/corpus")).text
    overview = await ds.client.get("/corpus/-/provenance")
    assert overview.status_code == 200 and "Maria Zakharova" in overview.text


ENTRY = re.compile(r'<p class="provenance-entry">(.*?)</p>', re.S)


@pytest.mark.asyncio
async def test_home_and_database_pages_show_the_way_in_on_datasette_1(corpus, tmp_path):
    """Datasette 1.0a's top_homepage/top_database hooks: a visible line of links to the provenance pages of
    each corpus the actor may see, on the home page and the corpus database page, and nowhere else."""
    from datasette import hookspecs

    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("create table articles (id integer primary key)").connection.close()
    ds = Datasette([str(corpus), str(plain)])
    home = await ds.client.get("/")
    assert home.status_code == 200  # on 0.65 too: the hooks it does not know are left uncalled
    if not hasattr(hookspecs, "top_homepage"):
        assert "provenance-entry" not in home.text
        pytest.skip("Datasette 0.65 has no top_homepage/top_database hooks")
    lines = ENTRY.findall(home.text)
    assert len(lines) == 1 and "<em>corpus</em>" in lines[0] and "plain" not in lines[0]
    hrefs = re.findall(r'href="([^"]+)"', lines[0])
    assert hrefs == ["/corpus/-/provenance", "/corpus/-/provenance/graph", "/corpus/-/provenance/trace"]
    database = ENTRY.findall((await ds.client.get("/corpus")).text)
    assert len(database) == 1 and re.findall(r'href="([^"]+)"', database[0]) == hrefs
    assert not ENTRY.findall((await ds.client.get("/plain")).text)
    assert not ENTRY.findall((await ds.client.get("/corpus/articles")).text)
    for href in hrefs:
        page = await ds.client.get(href)
        assert page.status_code == 200 and "<h1>" in page.text, href
    # An actor who may not see the database is not shown the way in.
    hidden = Datasette([str(corpus)], metadata={"databases": {"corpus": {"allow": {"id": "admin"}}}})
    assert not ENTRY.findall((await hidden.client.get("/")).text)
    admin = {"ds_actor": hidden.sign({"a": {"id": "admin"}}, "actor")}
    assert len(ENTRY.findall((await hidden.client.get("/", cookies=admin)).text)) == 1
    # Names are escaped, and base_url is followed.
    prefixed = Datasette([str(corpus)], settings={"base_url": "/prefix/"})
    line = ENTRY.findall((await prefixed.client.get("/")).text)[0]
    assert 'href="/prefix/corpus/-/provenance"' in line


def test_entry_line_escapes_the_database_name():
    from datasette_provenance.pages.common import Urls, entry_links

    class FakeUrls:
        def database(self, name):
            return "/" + name

    class FakeDatasette:
        urls = FakeUrls()

    name = '<img src=x onerror=alert(1)>"'
    line = str(entry_links(Urls(FakeDatasette(), name), name))
    assert "<img" not in line and "&lt;img src=x onerror=alert(1)&gt;&#34;" in line
    assert 'href="/&lt;img' in line


@pytest.fixture(scope="module")
def undetermined_corpus(tmp_path_factory, corpus):
    """The corpus plus a link nothing decided the direction of, stored with TRT World's article (the original
    of everything) as the derived one and Sputnik's undated copy as the source: the order is arbitrary."""
    with edited_copy(corpus, tmp_path_factory.mktemp("undetermined"), refresh=True) as (copy, conn):
        trt = conn.execute("select id from articles where outlet = 'TRT World'").fetchone()[0]
        undated = conn.execute("select id from articles where outlet = 'Sputnik' and published is null").fetchone()[0]
        conn.execute("insert into derivations(derived_article_id, source_article_id, relation, shared_chars, confidence)"
                     " values (?, ?, 'undetermined', 95, 0.2)", (trt, undated))
    return copy


@pytest.mark.asyncio
async def test_undetermined_links_are_neither_taken_nor_given(undetermined_corpus):
    """A link of undetermined direction is counted apart, on both its outlets, never as taking or giving."""
    ds = Datasette([str(undetermined_corpus)])
    data = (await ds.client.get("/corpus/-/provenance.json")).json()
    outlets = {o["outlet"]: o for o in data["outlets"]}
    trt, sputnik = outlets["TRT World"], outlets["Sputnik"]
    assert (trt["takes"], trt["gives"], trt["shares"], trt["shares_chars"]) == (1, 3, 1, 95)
    assert trt["takes_by_relation"] == {"copied": 1} and trt["takes_chars"] == 300
    assert (sputnik["takes"], sputnik["gives"], sputnik["shares"]) == (2, 0, 1)
    assert sputnik["gives_by_relation"] == {}
    assert all("undetermined" not in {**o["takes_by_relation"], **o["gives_by_relation"]} for o in data["outlets"])
    # Ordered by takes and gives, then gives, then shared text, then name: the same order on every request.
    assert data["outlets"] == sorted(data["outlets"], key=lambda o: (
        -(o["takes"] + o["gives"]), -o["gives"], -o["shares"], o["outlet"] is None, o["outlet"] or ""))
    html = (await ds.client.get("/corpus/-/provenance")).text
    row = html.split('<a href="/corpus/-/provenance/outlet/TRT+World">TRT World</a>')[1].split("</tr>")[0]
    assert "undetermined" not in row.split("</td>")[1]  # the takes cell
    assert re.search(r'<td class="num prov-shares">1 <span class="prov-muted">95 characters</span></td>', row)


@pytest.mark.asyncio
async def test_a_page_past_the_end_says_so(corpus):
    """Past the last page, a list says so and links back; the "nothing yet" lines are for an empty corpus."""
    ds = Datasette([str(corpus)])
    data = (await ds.client.get("/corpus/-/provenance.json?_size=4&page=3&outlets_page=9")).json()
    assert data["clusters"] == [] and data["outlets"] == []
    assert (data["clusters_pagination"]["total"], data["clusters_pagination"]["pages"]) == (6, 2)
    outlets = data["outlets_pagination"]["total"]
    assert outlets == 4 and data["outlets_pagination"]["pages"] == 1
    html = (await ds.client.get("/corpus/-/provenance?_size=4&page=3&outlets_page=9")).text
    assert "Page 3 is past the end: 6 statements, 2 pages." in html
    assert 'href="?_size=4&amp;outlets_page=9&amp;page=2"' in html
    assert "Page 9 is past the end: 4 outlets, 1 page." in html
    assert 'href="?_size=4&amp;page=3&amp;outlets_page=1"' in html
    assert "No passage is shared" not in html and "No derivations" not in html


@pytest.mark.asyncio
async def test_an_empty_corpus_says_so_on_any_page(corpus, tmp_path):
    with edited_copy(corpus, tmp_path, refresh=True) as (copy, conn):
        for table in ("cluster_members", "clusters", "derivations"):
            conn.execute(f"delete from {table}")
    ds = Datasette([str(copy)])
    for query in ("", "?page=3&outlets_page=9"):
        html = (await ds.client.get("/corpus/-/provenance" + query)).text
        assert "No passage is shared between articles yet." in html, query
        assert "No derivations have been inferred yet." in html and "past the end" not in html, query
    # Reuse inside outlets only: derivations there are, but none between outlets.
    with edited_copy(corpus, tmp_path, refresh=True) as (copy, conn):
        conn.execute("delete from derivations where relation != 'same-outlet'")
    html = (await Datasette([str(copy)]).client.get("/corpus/-/provenance")).text
    assert "No derivation links two outlets" in html and "No derivations have been inferred yet." not in html


@pytest.mark.asyncio
async def test_each_upstream_list_is_limited_on_its_own(seed_db, tmp_path):
    """60 more credited agencies do not push the quoted speakers off the page, and the cut is paged."""
    with edited_copy(seed_db, tmp_path, refresh=True) as (copy, conn):
        article = conn.execute("select min(id) from articles").fetchone()[0]
        conn.executemany("insert into derivations(derived_article_id, source_name, relation, shared_chars)"
                         " values (?, ?, 'copied', 100)", [(article, f"Agency {n:02d}") for n in range(60)])
    ds = Datasette([str(copy)])
    data = (await ds.client.get("/corpus/-/provenance.json")).json()
    credited = [u["source_name"] for u in data["upstream_sources"] if not u["quoted"]]
    assert len(credited) == 50 and credited[:2] == ["AFP", "Agency 00"]
    assert [u["source_name"] for u in data["upstream_sources"] if u["quoted"]] == ["Maria Zakharova"]
    assert (data["upstream_sources_pagination"]["total"], data["upstream_sources_pagination"]["pages"]) == (62, 2)
    assert data["speakers_pagination"]["total"] == 1
    rest = (await ds.client.get("/corpus/-/provenance.json?sources_page=2")).json()
    assert [u["source_name"] for u in rest["upstream_sources"] if not u["quoted"]][-2:] == ["Agency 59", "TASS"]
    assert set(credited) | {u["source_name"] for u in rest["upstream_sources"]} >= {f"Agency {n:02d}" for n in range(60)}
    html = (await ds.client.get("/corpus/-/provenance")).text
    sources, speakers = html.split("Upstream sources credited")[1].split("Speakers quoted")
    assert "page 1 of 2 (62 in all)" in sources and 'href="?sources_page=2"' in sources
    assert '<a href="/corpus/-/provenance/outlet/Maria+Zakharova">Maria Zakharova</a>' in speakers
    past = (await ds.client.get("/corpus/-/provenance?speakers_page=3")).text.split("Speakers quoted")[1]
    assert "Page 3 is past the end: 1 speaker, 1 page." in past and 'href="?speakers_page=1"' in past
