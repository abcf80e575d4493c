"""Permissions on every provenance page, and the corpus the page tests share.

``build_corpus`` copies the seed database, loads one hostile article through the loader (script
and image payloads in its title, text and outlet name) and fills ``derivations`` and
``attributions`` the way the provenance step will, so every page has data to show. The page test
files import it from here.

The pages are custom routes, so Datasette checks nothing for them: each must refuse when the
actor may not see the instance, the database or any table it reads, and show none of its rows.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import sqlite3
from pathlib import Path
from urllib.parse import unquote_plus, urlencode

import pytest
from datasette.app import Datasette

from datasette_provenance.load import load_paths
from datasette_provenance.pages.access import TEXT_OF
from datasette_provenance.provenance import refresh_outlet_edges

from conftest import edited_copy

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
    assert r.status_code == 403, (path, r.status_code)  # refused, not "not found": the page exists
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
    # Anonymous may still browse the derivations table, but no action or menu leads to the pages, which refuse.
    page = await ds.client.get("/corpus/derivations")
    assert page.status_code == 200
    # clusters.text, attributions.phrase and quotes.cue are the articles' own words: hidden with them
    for table in ("clusters", "attributions", "quotes", "paragraphs"):
        assert (await ds.client.get(f"/corpus/{table}.json")).status_code == 403, table
    # (its cells still link articles: Datasette 0.65 gives render_cell no actor to ask)
    assert "/corpus/-/provenance/graph" not in page.text and "/corpus/-/provenance/trace" not in page.text
    assert "/corpus/-/provenance" not in (await ds.client.get("/")).text
    assert "/corpus/-/provenance" not in (await ds.client.get("/corpus")).text
    for path in ("/corpus/-/provenance", "/corpus/-/provenance/graph"):
        assert (await ds.client.get(path)).status_code == 403
    admin = actor_cookies(ds, {"id": "admin"})
    assert "/corpus/-/provenance/graph" in (await ds.client.get("/corpus/derivations", cookies=admin)).text
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


# ------------------------------------------------------------------------------------------------
# A crawl of everything Datasette and the plugin serve, as an actor from whom tables are hidden.
#
# The secrets are computed from the database: every sentence or line of a text cell of a hidden
# table (with the tables derived from it: FTS and shadow tables, paragraphs, clusters, attributions)
# that no visible table holds. None may appear in any page, JSON, CSV or export: table and row pages with every label
# option, facets, search, the database page, SQL, canned queries and the provenance pages.

ROOT = Path(__file__).resolve().parent.parent
METADATA = json.loads((ROOT / "metadata.json").read_text("utf-8"))  # with its canned queries
ADMIN = {"id": "admin"}
# Datasette 1.0a's ?_extra= names (0.65 ignores the parameter).
EXTRAS = ("count_sql,count,count_truncated,facet_results,facets_timed_out,suggested_facets,human_description_en,"
          "columns,all_columns,primary_keys,column_details,actions,is_view,debug,request,display_columns,"
          "display_rows,render_cell,query,column_types,set_column_type_ui,metadata,database,table,database_color,"
          "form_hidden_args,filters,custom_table_templates,sorted_facet_results,table_definition,view_definition,"
          "renderers,private,expandable_columns,foreign_key_tables,extras")


DATASETTE_1 = hasattr(Datasette, "allowed")


def hiding(corpus: Path, tables) -> Datasette:
    """Datasette as published (metadata.json, its canned queries) with ``tables`` allowed to the admin only."""
    metadata = json.loads(json.dumps(METADATA))
    configs = metadata["databases"]["corpus"]["tables"]
    for table in tables:
        configs.setdefault(table, {})["allow"] = {"id": "admin"}
    if DATASETTE_1:  # 1.0a takes canned queries from its configuration only
        queries = metadata["databases"]["corpus"].pop("queries")
        return Datasette([str(corpus)], metadata=metadata, config={"databases": {"corpus": {"queries": queries}}})
    return Datasette([str(corpus)], metadata=metadata)


def relations(db: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select name, sql from sqlite_master where type in ('table', 'view')"
                            " and name not like 'sqlite%' order by name").fetchall()


def with_derived(db: Path, tables) -> set[str]:
    """The tables and every table derived from them, however indirectly."""
    from datasette_provenance.pages.access import derived_from_schema

    derived = derived_from_schema(relations(db))
    hidden = set(tables)
    while True:
        more = {t for t, source in derived.items() if source in hidden} - hidden
        if not more:
            return hidden
        hidden |= more


def fragments(text: str):
    for part in re.split(r"\n+|(?<=[.!?])\s+", text):
        part = " ".join(part.split())
        if len(part) >= 16 and re.search(r"[^\W\d_]{3}", part):
            yield part


def secrets_of(db: Path, hidden: set[str]) -> set[str]:
    """Every fragment of a text cell of the hidden tables that no other table holds."""
    with sqlite3.connect(db) as conn:
        def cells(table):
            return [v for row in conn.execute(f'select * from "{table}"') for v in row if isinstance(v, str)]

        names = [name for name, _ in relations(db)]
        visible = "\x00".join(" ".join(c.split()) for t in names if t not in hidden for c in cells(t))
        return {f for t in hidden for c in cells(t) for f in fragments(c) if f not in visible}


def plain(body: str) -> str:
    """A response as the text it shows: HTML entities, JSON and CSV escapes and URL encoding undone."""
    text = html.unescape(body)
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    text = text.replace('\\"', '"').replace("\\/", "/").replace("\\n", "\n").replace("\\t", "\t")
    text = text + "\x00" + text.replace('""', '"') + "\x00" + unquote_plus(text)
    return " ".join(text.split())


def sql_path(sql: str) -> str:
    """Arbitrary SQL: the database page on 0.65, /-/query on 1.0a (0.65's URL redirects there)."""
    return "/corpus.json?" + urlencode({"sql": sql})


def crawl_paths(db: Path) -> list[str]:
    """Every page, JSON and CSV of every table and view (first and last rows), and the rest."""
    from datasette.utils import path_from_row_pks, tilde_encode

    paths = ["/", "/.json", "/corpus", "/corpus.json", "/-/metadata.json", "/-/databases.json"]
    if DATASETTE_1:
        paths += ["/-/jump.json?q=a", "/-/schema.json", "/corpus/-/schema.json", "/corpus/-/queries.json",
                  "/corpus/-/foreign-key-targets", "/-/debug/autocomplete?database=corpus&table=articles"]
    paths += ["/corpus/articles?_search=Syria", "/corpus/articles.json?_search=Syria&_labels=on",
             "/corpus/articles_fts.json?_search=Syria", "/corpus/articles_fts.json?_where=rowid>0",
             "/corpus/clusters.json?_search=Syria"]
    for query in METADATA["databases"]["corpus"]["queries"]:
        paths += [f"/corpus/{query}?cluster=1", f"/corpus/{query}.json?cluster=1", f"/corpus/{query}.csv?cluster=1"]
    paths += ENDPOINTS
    with sqlite3.connect(db) as conn:
        for table, _ in relations(db):
            t = tilde_encode(table)
            paths += [f"/corpus/{t}", f"/corpus/{t}.json?_labels=on&_size=max", sql_path(f'select * from "{table}"'),
                      f"/corpus/{t}.csv?_labels=on&_size=max"]
            if DATASETTE_1:
                paths += [f"/corpus/{t}.json?_extra={EXTRAS}&_size=max", f"/corpus/{t}/-/autocomplete?q=R",
                          f"/corpus/{t}/-/fragment"]
            for _, _, other, column, *_ in conn.execute(f'pragma foreign_key_list("{table}")'):
                paths += [f"/corpus/{t}?_facet={column}", f"/corpus/{t}.json?_facet={column}&_size=max",
                          f"/corpus/{t}.json?_label={column}&_size=max"]
            pks = [r[1] for r in sorted(conn.execute(f'pragma table_info("{table}")'), key=lambda r: r[5]) if r[5]]
            use_rowid = not pks
            columns = pks or ["rowid"]
            select = ", ".join(f'"{c}"' for c in columns)
            descending = ", ".join(f'"{c}" desc' for c in columns)
            try:  # the first and the last row
                ends = [conn.execute(f'select {select} from "{table}" order by {order} limit 1').fetchone()
                        for order in (select, descending)]
            except sqlite3.Error:  # views without rowid
                ends = []
            for values in filter(None, ends):
                row = path_from_row_pks(dict(zip(columns, values)), pks, use_rowid)
                paths += [f"/corpus/{t}/{row}", f"/corpus/{t}/{row}.json?_extras=foreign_key_tables"
                          f"&_extra=foreign_key_tables,render_cell,display_rows&_labels=on"]
    return list(dict.fromkeys(paths))


async def crawl(ds: Datasette, paths, cookies=None) -> list[tuple[str, int, str]]:
    out = []
    for path in paths:
        r = await ds.client.get(path, cookies=cookies, follow_redirects=True)
        out.append((path, r.status_code, plain(r.text)))
    return out


# Hidden tables -> pages the anonymous actor must still get (so that the crawl is not all refusals).
CRAWLS = {
    "articles": ["/corpus/derivations.json?_labels=on", "/corpus/cluster_members?_labels=on",
                 "/corpus/graph_edges.json", "/corpus/outlet_edge_totals.json"],
    "articles+clusters": ["/corpus/derivations.json?_labels=on", "/corpus/cluster_members.json?_labels=on"],
    "derivations": ["/corpus/articles.json", "/corpus/graph_edges.json", "/corpus/most_shared_statements.json"],
    "attributions": ["/corpus/articles.json", "/corpus/derivations.json?_labels=on"],
    "settings": ["/corpus/articles.json", "/corpus/-/provenance.json"],
}


@pytest.mark.asyncio
@pytest.mark.parametrize("hidden", list(CRAWLS))
async def test_crawl_shows_nothing_of_a_hidden_table(corpus, hidden):
    tables = hidden.split("+")
    hidden_all = with_derived(corpus, tables)
    secrets = secrets_of(corpus, hidden_all)
    assert secrets, "a table with nothing of its own is no test"
    ds = hiding(corpus, tables)
    paths = crawl_paths(corpus)
    answers = await crawl(ds, paths)
    leaks = [(path, status, s) for path, status, text in answers for s in secrets if s in text]
    assert leaks == [], "\n".join(f"{status} {path}: {s[:80]!r}" for path, status, s in leaks[:20])
    status = {path: code for path, code, _ in answers}
    # each hidden table and every table derived from it refuses; SQL on the database is refused
    for table in hidden_all:
        assert status[f"/corpus/{table}.json?_labels=on&_size=max"] == 403, table
        assert status[sql_path(f'select * from "{table}"')] == 403, table
    for path in CRAWLS[hidden]:
        r = await ds.client.get(path)
        assert r.status_code == 200 and r.text.count("{") > 2, (path, r.status_code)
    # The admin sees it all, so the secrets are findable in what the crawl reads …
    admin = actor_cookies(ds, ADMIN)
    seen = " ".join(text for _, _, text in await crawl(
        ds, [f"/corpus/{t}.json?_size=max" for t in hidden_all if t in TEXT_OF or t in tables], admin))
    assert {s for s in secrets if s not in seen} == set()
    # … and the labels the anonymous actor does not get are the admin's, on both Datasette versions
    # (articles.title on 0.65, the unique text column external_id on 1.0a)
    if "articles" in tables:
        r = await ds.client.get("/corpus/derivations.json?_labels=on", cookies=admin)
        assert len([s for s in secrets if s in plain(r.text)]) >= 4, r.text[:300]
        assert (await ds.client.get(sql_path("select 1"), cookies=admin, follow_redirects=True)).status_code == 200


@pytest.mark.asyncio
async def test_nothing_hidden_nothing_refused(corpus):
    """The rules refuse only for hidden tables: published as is, SQL, canned queries, search and labels work."""
    ds = hiding(corpus, [])
    for path in [sql_path("select count(*) from articles_fts where articles_fts match 'Syria'"),
                 "/corpus/who_took_from_whom.json", "/corpus/article_wording.json?cluster=1",
                 "/corpus/articles_fts.json?_search=Syria", "/corpus/paragraphs.json",
                 "/corpus/articles.json?_search=Syria"]:
        r = await ds.client.get(path, follow_redirects=True)
        assert r.status_code == 200, (path, r.status_code)
    r = await ds.client.get("/corpus/derivations.json?_labels=on")
    labels = [cell["label"] for row in r.json()["rows"] for cell in row.values() if isinstance(cell, dict)]
    assert labels and all(isinstance(label, str) and not label.isdigit() for label in labels), labels


def test_which_tables_are_derived_from_which():
    """FTS tables (any quoting of content=), their shadow tables and paragraphs follow their source."""
    from datasette_provenance.pages.access import derived_from_schema

    schema = [
        ("articles", "create table articles (id integer primary key, title text, text text)"),
        ("paragraphs", "create table paragraphs (id integer primary key, article_id integer, text text)"),
        ("articles_fts", 'CREATE VIRTUAL TABLE [articles_fts] USING FTS5 ([title], [text], content=[articles])'),
        *[(f"articles_fts_{s}", f"create table 'articles_fts_{s}'(k)") for s in ("data", "idx", "docsize", "config")],
        ("Notes", "create table Notes (id integer primary key, body text)"),
        ("notes_search", "create virtual table if not exists notes_search using fts4(body, content=\"notes\")"),
        ("notes_search_segdir", "create table notes_search_segdir(x)"),
        ("loose_fts", "CREATE VIRTUAL TABLE loose_fts USING fts5(body)"),  # keeps its own text
        ("loose_fts_content", "create table loose_fts_content(id, c0)"),
        ("other", "create table other (id integer primary key, name text)"),
    ]
    assert derived_from_schema(schema) == {
        "paragraphs": "articles", "articles_fts": "articles", "articles_fts_data": "articles_fts",
        "articles_fts_idx": "articles_fts", "articles_fts_docsize": "articles_fts",
        "articles_fts_config": "articles_fts",
        "notes_search": "Notes", "notes_search_segdir": "notes_search", "loose_fts_content": "loose_fts"}


@pytest.mark.asyncio
async def test_unknown_outlet_page_follows_the_permissions(corpus, tmp_path):
    """The page of articles with no outlet (the graph's "(unknown outlet)") reads articles and derivations."""
    with edited_copy(corpus, tmp_path, refresh=True) as (copy, conn):
        conn.execute("update articles set outlet = null where outlet = 'Islam Times'")
    path = "/corpus/-/provenance/outlet/~28unknown+outlet~29"
    for hidden in ("articles", "derivations", "attributions"):
        ds = restricted(copy, {"databases": {"corpus": {"tables": {hidden: {"allow": {"id": "admin"}}}}}})
        for suffix in ("", ".json"):
            r = await ds.client.get(path + suffix)
            assert r.status_code == 403, (hidden, suffix, r.status_code)
            for secret in ARTICLE_SECRETS:
                assert secret not in r.text, (hidden, secret)
        admin = await ds.client.get(path + ".json", cookies=actor_cookies(ds, ADMIN))
        assert admin.status_code == 200 and admin.json()["articles_count"] == 1
        assert "TRT World" in {g["partner"] for g in admin.json()["takes_from"]}
