"""Permissions on every provenance page, and the corpus the page tests share.

``build_corpus`` copies the seed database, loads one hostile article through the loader (script
and image payloads in its title, text and outlet name) and fills ``derivations`` and
``attributions`` the way the provenance step will, so every page has data to show. The page test
files import it from here.

The pages are custom routes, so Datasette checks nothing for them: each must refuse when the
actor may not see the instance, the database or any table it reads, and show none of its rows.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette

from datasette_provenance.load import load_paths
from datasette_provenance.provenance import refresh_outlet_edges

XSS_TITLE = "<script>window.__xss=1;alert(1)</script> Moscow ready <img src=x onerror=alert(1)>"
XSS_OUTLET = "Evil <b>Outlet</b>"
XSS_SENTENCE = ('Moscow says it is "ready to cooperate with all interested countries <img src=x onerror=alert(1)>'
                ' in the interests of establishing a joint effective response to this common threat (terrorism)."')
XSS_RECORD = {
    "id": "xss-1",
    "outlet": XSS_OUTLET,
    "url": "https://evil.example/story",
    "published": "2022-02-05T09:00:00Z",
    "title": XSS_TITLE,
    "text": (XSS_TITLE + "\n\n"
             "Officials spoke on Saturday about the raid in Idlib and what it means for the region.\n\n"
             + XSS_SENTENCE + "\n\n"
             "<script>window.__xss=2;alert(2)</script> The page also carried <img src=x onerror=\"window.__xss=3\">"
             " in its body, which must stay text."),
}
EVIDENCE_PAYLOAD = "<script>alert('evidence')</script>"

# Every page and export of the database "corpus", with the tables each one reads.
ENDPOINTS = [
    "/corpus/-/provenance", "/corpus/-/provenance.json",
    "/corpus/-/provenance/cluster/1", "/corpus/-/provenance/cluster/1.json",
    "/corpus/-/provenance/article/1", "/corpus/-/provenance/article/1.json",
    "/corpus/-/provenance/outlet/TRT+World", "/corpus/-/provenance/outlet/TRT+World.json",
    "/corpus/-/provenance/outlet/AFP.json",
    "/corpus/-/provenance/graph", "/corpus/-/provenance/graph.json", "/corpus/-/provenance/graph.graphml",
    "/corpus/-/provenance/graph.csv", "/corpus/-/provenance/graph.svg",
    "/corpus/-/provenance/trace?q=" + "Moscow+says+it+is+ready+to+cooperate+with+all+interested+countries",
    "/corpus/-/provenance/trace.json?q=" + "Moscow+says+it+is+ready+to+cooperate+with+all+interested+countries",
]
# Text that only the articles table holds (outlet names, titles, wording): none may leak.
ARTICLE_SECRETS = ["TRT World", "Islam Times", "Sputnik", "ready to cooperate", "Baghdadi", "Zakharova", "Evil"]


def build_corpus(folder: Path, seed_db: Path) -> Path:
    """corpus.db in ``folder``: the seeds, a hostile article, derivations and attributions."""
    path = folder / "corpus.db"
    shutil.copy(seed_db, path)
    jsonl = folder / "hostile.jsonl"
    jsonl.write_text(json.dumps(XSS_RECORD) + "\n", encoding="utf-8")
    summary = load_paths(str(path), [str(jsonl)])
    assert summary.articles_added == 1, str(summary)
    conn = sqlite3.connect(path)
    ids = {ext: aid for aid, ext in conn.execute("select id, external_id from articles")}
    trt, islam, sputnik3, sputnik4, brics = (ids[f] for f in (
        "000_04a9a5eec5045a67.txt", "001_9b0a0d5c8cd9f5d1.txt", "002_3ad7aa67cbcc4d25.txt",
        "003_4d6d3eb5b77b4377.txt", "004_c3f9bbc9b9d1c23b.txt"))
    evil = ids["xss-1"]
    # Known rows, whatever the provenance step of the moment infers (tests on its own output are separate).
    conn.execute("delete from derivations")
    conn.execute("delete from attributions")
    derivations = [
        # derived, source, source_name, relation, extent, shared_chars, confidence, evidence
        (islam, trt, None, "copied", "partially", 452, 0.72,
         {"earlier": "TRT World published a day before", "containment": 0.74, "clusters": [1, 2]}),
        (sputnik4, islam, None, "common-source", "partially", 610, 0.41,
         {"note": EVIDENCE_PAYLOAD, "credit": None}),
        (trt, None, "AFP", "copied", "partially", 300, 0.6, {"credit": "SOURCE:AFP"}),
        (islam, None, "TASS", "copied", "partially", 220, 0.8, {"credit": "the Tass news agency reported"}),
        (sputnik4, sputnik3, None, "same-outlet", "partially", 150, 0.5, {"clusters": [6]}),
        (evil, trt, None, "copied", "partially", 160, 0.55, {"earlier": "TRT World, two days before"}),
        (sputnik4, trt, None, "copied", "partially", 290, 0.35, "plain text evidence"),
    ]
    conn.executemany(
        "insert into derivations(derived_article_id, source_article_id, source_name, relation, extent,"
        " shared_chars, confidence, evidence) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [(*d[:7], json.dumps(d[7]) if not isinstance(d[7], str) else d[7]) for d in derivations],
    )
    refresh_outlet_edges(conn)  # as the loader does after writing derivations
    credits = [(trt, "AFP", "SOURCE:AFP"), (islam, "TASS", "the Tass news agency reported"),
               (islam, "CNN", "CNN reported on Thursday"), (brics, "TASS", "told the Russian news agency TASS"),
               (brics, "Xinhua", "[Xinhua]"), (evil, "Reuters <i>wire</i>", "<script>window.__xss=2;alert(2)</script>")]
    for aid, name, phrase in credits:
        text = conn.execute("select text from articles where id = ?", (aid,)).fetchone()[0]
        start = text.index(phrase)
        conn.execute('insert into attributions(article_id, source_name, phrase, start, "end") values (?, ?, ?, ?, ?)',
                     (aid, name, phrase, start, start + len(phrase)))
    conn.commit()
    conn.execute("pragma wal_checkpoint(truncate)")
    conn.close()
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db) -> Path:
    return build_corpus(tmp_path_factory.mktemp("corpus"), seed_db)


def actor_cookies(ds: Datasette, actor: dict) -> dict:
    return {"ds_actor": ds.sign({"a": actor}, "actor")}


def restricted(corpus: Path, metadata: dict) -> Datasette:
    return Datasette([str(corpus)], metadata=metadata)


HIDDEN_ARTICLES = {"databases": {"corpus": {"tables": {"articles": {"allow": {"id": "admin"}}}}}}


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ENDPOINTS)
async def test_hidden_articles_table_leaks_nothing(corpus, path):
    ds = restricted(corpus, HIDDEN_ARTICLES)
    r = await ds.client.get(path)
    assert r.status_code in (403, 404), (path, r.status_code)
    for secret in ARTICLE_SECRETS:
        assert secret not in r.text, (path, secret)


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ENDPOINTS)
async def test_admin_sees_what_anonymous_may_not(corpus, path):
    ds = restricted(corpus, HIDDEN_ARTICLES)
    r = await ds.client.get(path, cookies=actor_cookies(ds, {"id": "admin"}))
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    assert "TRT World" in r.text or "AFP" in r.text


@pytest.mark.asyncio
@pytest.mark.parametrize("metadata", [
    pytest.param({"allow": {"id": "admin"}}, id="instance"),
    pytest.param({"databases": {"corpus": {"allow": {"id": "admin"}}}}, id="database"),
])
async def test_hidden_instance_or_database(corpus, metadata):
    ds = restricted(corpus, metadata)
    for path in ENDPOINTS:
        r = await ds.client.get(path)
        assert r.status_code == 403, (path, r.status_code)
        assert "ready to cooperate" not in r.text and "TRT World" not in r.text
    home = await ds.client.get("/", cookies=actor_cookies(ds, {"id": "someone"}))
    assert "/corpus/-/provenance" not in home.text  # no menu link into a database one cannot see
    admin = await ds.client.get("/corpus/-/provenance.json", cookies=actor_cookies(ds, {"id": "admin"}))
    assert admin.status_code == 200 and admin.json()["figures"]["articles"] == 6


@pytest.mark.asyncio
@pytest.mark.parametrize("table,refused,served", [
    ("derivations", ["/corpus/-/provenance", "/corpus/-/provenance/graph.graphml",
                     "/corpus/-/provenance/outlet/TRT+World", "/corpus/-/provenance/cluster/1.json",
                     "/corpus/-/provenance/article/1"],
     ["/corpus/-/provenance/trace.json?q=x"]),
    ("band_keys", ["/corpus/-/provenance/trace?q=Moscow+says+it+is+ready+to+cooperate+with+all+countries"],
     ["/corpus/-/provenance.json", "/corpus/-/provenance/cluster/1.json"]),
    ("attributions", ["/corpus/-/provenance/article/2.json"], ["/corpus/-/provenance/graph.csv"]),
    ("outlet_edges", ["/corpus/-/provenance/graph", "/corpus/-/provenance/graph.csv"],
     ["/corpus/-/provenance/outlet/TRT+World.json", "/corpus/-/provenance.json"]),
    ("outlet_edge_totals", ["/corpus/-/provenance", "/corpus/-/provenance.json"],
     ["/corpus/-/provenance/graph.json", "/corpus/-/provenance/cluster/1.json"]),
    ("graph_edges", ["/corpus/-/provenance/graph", "/corpus/-/provenance/graph.json?since=2020-01-01"],
     ["/corpus/-/provenance.json", "/corpus/-/provenance/outlet/TRT+World.json"]),
    ("graph_nodes", ["/corpus/-/provenance/graph.json", "/corpus/-/provenance/graph.svg"],
     ["/corpus/-/provenance.json", "/corpus/-/provenance/cluster/1.json"]),
    ("cluster_members", ["/corpus/-/provenance/cluster/1", "/corpus/-/provenance/article/1.json",
                         "/corpus/-/provenance/trace.json?q=x", "/corpus/-/provenance.json"],
     ["/corpus/-/provenance/outlet/TRT+World.json", "/corpus/-/provenance/graph.json"]),
])
async def test_each_page_needs_each_table_it_reads(corpus, table, refused, served):
    ds = restricted(corpus, {"databases": {"corpus": {"tables": {table: {"allow": False}}}}})
    for path in refused:
        r = await ds.client.get(path)
        assert r.status_code == 403, (table, path, r.status_code)
        assert "TASS" not in r.text and "Moscow" not in r.text
    for path in served:
        assert (await ds.client.get(path)).status_code == 200, (table, path)


@pytest.mark.asyncio
async def test_forbidden_json_is_json_and_says_why(corpus):
    ds = restricted(corpus, HIDDEN_ARTICLES)
    r = await ds.client.get("/corpus/-/provenance/cluster/1.json")
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/json")
    assert "permission" in json.dumps(r.json()).lower()


@pytest.mark.asyncio
async def test_table_actions_and_menu_follow_permissions(corpus):
    ds = restricted(corpus, HIDDEN_ARTICLES)
    # Anonymous may still browse the clusters table; its actions lead to the pages (which then refuse).
    page = await ds.client.get("/corpus/clusters")
    assert page.status_code == 200
    assert "/corpus/-/provenance/graph" in page.text
    refused = await ds.client.get("/corpus/-/provenance/graph")
    assert refused.status_code == 403
    hidden = restricted(corpus, {"databases": {"corpus": {"allow": {"id": "admin"}}}})
    assert (await hidden.client.get("/corpus/clusters")).status_code == 403
    assert "Provenance: corpus" not in (await hidden.client.get("/")).text
    admin_home = await hidden.client.get("/", cookies=actor_cookies(hidden, {"id": "admin"}))
    assert "Provenance: corpus" in admin_home.text


@pytest.mark.asyncio
async def test_unknown_database_and_plain_database(corpus, tmp_path):
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain)
    conn.execute("create table articles (id integer primary key, title text)")
    conn.execute("insert into articles values (1, 'not a corpus')")
    conn.commit()
    conn.close()
    ds = Datasette([str(corpus), str(plain)])
    assert (await ds.client.get("/nope/-/provenance")).status_code == 404
    r = await ds.client.get("/plain/-/provenance.json")
    assert r.status_code == 404 and "provenance" in r.text
    table = await ds.client.get("/plain/articles")
    # render_cell and table_actions stay out of databases without the provenance tables
    assert "/plain/-/provenance" not in table.text and "provenance-link" not in table.text
