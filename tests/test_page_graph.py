"""The derivation network: server-side SVG, date filters, GraphML and CSV exports."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest
from datasette.app import Datasette

from datasette_provenance.provenance import graph_edges, graph_nodes
from conftest import edited_copy
from test_permissions import XSS_OUTLET, build_corpus

GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db):
    return build_corpus(tmp_path_factory.mktemp("corpus"), seed_db)


@pytest.mark.asyncio
async def test_graph_json_nodes_and_edges(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get("/corpus/-/provenance/graph.json")).json()
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {"TRT World", "Islam Times", "Sputnik", XSS_OUTLET, "AFP", "TASS"}
    assert nodes["AFP"]["kind"] == "upstream" and nodes["TRT World"]["kind"] == "outlet"
    assert nodes["TRT World"]["given"] == 3 and nodes["TRT World"]["taken"] == 1
    edges = {(e["source"], e["target"]): e for e in data["edges"]}
    assert edges[("TRT World", "Islam Times")]["shared_chars"] == 452
    assert edges[("Islam Times", "Sputnik")]["relations"] == {"common-source": 1}
    assert edges[("Sputnik", "Sputnik")]["relations"] == {"same-outlet": 1}
    assert sum(e["count"] for e in data["edges"]) == 7


@pytest.mark.asyncio
async def test_svg_is_drawn_on_the_server(corpus):
    ds = Datasette([str(corpus)])
    html = (await ds.client.get("/corpus/-/provenance/graph")).text
    svg = re.search(r"<svg [^>]*class=\"provenance-graph\".*?</svg>", html, re.S).group(0)
    root = ET.fromstring(svg)  # well-formed XML, names escaped
    names = [g.get("data-name") for g in root.iter(f"{SVG}g") if "node" in (g.get("class") or "").split()]
    assert sorted(names) == sorted(["TRT World", "Islam Times", "Sputnik", XSS_OUTLET, "AFP", "TASS"])
    radius = {g.get("data-name"): float(g.find(f".//{SVG}circle").get("r"))
              for g in root.iter(f"{SVG}g") if g.get("data-name")}
    assert radius["TRT World"] > radius["AFP"]  # sized by volume: 4 derivations against 1
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "edge-label"]
    assert len(labels) == 7 and set(labels) == {"1"}
    assert "<b>Outlet" not in html and "Evil &lt;b&gt;Outlet&lt;/b&gt;" in html
    assert "<script" not in svg
    # The same drawing twice: the layout is deterministic.
    again = (await ds.client.get("/corpus/-/provenance/graph")).text
    assert svg == re.search(r"<svg [^>]*class=\"provenance-graph\".*?</svg>", again, re.S).group(0)


@pytest.mark.asyncio
async def test_date_filter(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get("/corpus/-/provenance/graph.json?since=2022-02-04&until=2022-02-04")).json()
    # Only Islam Times' article (2022-02-04 22:17) is derived in that window.
    assert {(e["source"], e["target"]) for e in data["edges"]} == {("TRT World", "Islam Times"), ("TASS", "Islam Times")}
    data = (await ds.client.get("/corpus/-/provenance/graph.json?since=2022-02-05")).json()
    assert [(e["source"], e["target"]) for e in data["edges"]] == [("TRT World", XSS_OUTLET)]
    html = (await ds.client.get("/corpus/-/provenance/graph?until=2000-01-01")).text
    assert "No derivations in this period" in html
    bad = await ds.client.get("/corpus/-/provenance/graph.json?since=yesterday")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.json()["error"]
    assert (await ds.client.get("/corpus/-/provenance/graph?since=2022-13-01")).status_code == 400
    filtered = (await ds.client.get("/corpus/-/provenance/graph?since=2022-02-04")).text
    assert 'href="/corpus/-/provenance/graph.graphml?since=2022-02-04"' in filtered


@pytest.mark.asyncio
async def test_date_filter_says_what_it_leaves_out(corpus):
    """Sputnik's second article has no date: a date filter drops it and the 3 derivations into it, and says so."""
    ds = Datasette([str(corpus)])
    whole = (await ds.client.get("/corpus/-/provenance/graph.json")).json()
    assert whole["undated_left_out"] is None
    data = (await ds.client.get("/corpus/-/provenance/graph.json?since=1900-01-01")).json()
    assert data["undated_left_out"] == {"articles": 1, "derivations": 3}
    assert sum(e["count"] for e in data["edges"]) + 3 == sum(e["count"] for e in whole["edges"]) == 7
    html = (await ds.client.get("/corpus/-/provenance/graph?until=2000-01-01")).text
    assert "No derivations in this period" in html
    assert re.search(r"Left out by the dates: 1 undated article\s+\(no date to filter on\),"
                     r" and the 3 derivations into undated articles", html)
    assert "Left out by the dates" not in (await ds.client.get("/corpus/-/provenance/graph")).text


@pytest.mark.asyncio
async def test_since_after_until_is_refused(corpus):
    ds = Datasette([str(corpus)])
    for path in ("graph.json", "graph", "graph.csv", "graph.graphml"):
        r = await ds.client.get(f"/corpus/-/provenance/{path}?since=2022-02-05&until=2022-02-04")
        assert r.status_code == 400, path
        assert "?since=2022-02-05 is after ?until=2022-02-04" in (r.json()["error"] if path.endswith("json") else r.text)
    same_day = await ds.client.get("/corpus/-/provenance/graph.json?since=2022-02-04&until=2022-02-04")
    assert same_day.status_code == 200 and same_day.json()["edges"]


@pytest.mark.asyncio
async def test_graphml_export(corpus):
    ds = Datasette([str(corpus)])
    r = await ds.client.get("/corpus/-/provenance/graph.graphml")
    assert r.headers["content-type"].startswith("application/graphml+xml")
    assert 'filename="corpus-provenance-graph.graphml"' in r.headers["content-disposition"]
    root = ET.fromstring(r.content)
    keys = {k.get("id"): k.get("attr.name") for k in root.iter(f"{GRAPHML}key")}
    assert {"label", "kind", "weight", "shared_chars"} <= set(keys)
    graph = root.find(f"{GRAPHML}graph")
    assert graph.get("edgedefault") == "directed"
    label = {n.get("id"): n.find(f"{GRAPHML}data[@key='label']").text for n in graph.iter(f"{GRAPHML}node")}
    assert XSS_OUTLET in label.values()  # stored as text, parsed back intact
    edges = {(label[e.get("source")], label[e.get("target")]): int(e.find(f"{GRAPHML}data[@key='weight']").text)
             for e in graph.iter(f"{GRAPHML}edge")}
    assert edges[("TRT World", "Islam Times")] == 1 and edges[("AFP", "TRT World")] == 1
    assert b"<b>Outlet" not in r.content


@pytest.mark.asyncio
async def test_csv_export(corpus, tmp_path):
    with edited_copy(corpus, tmp_path, refresh=True) as (copy, conn):
        conn.execute("update derivations set source_name = '=HYPERLINK(\"http://x\")' where source_name = 'AFP'")
    ds = Datasette([str(copy)])
    r = await ds.client.get("/corpus/-/provenance/graph.csv")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    by_pair = {(row["source"], row["target"]): row for row in rows}
    assert by_pair[("TRT World", "Islam Times")]["shared_chars"] == "452"
    assert by_pair[("Islam Times", "Sputnik")]["relations"] == "common-source: 1"
    assert ("'=HYPERLINK(\"http://x\")", "TRT World") in by_pair  # no formula for spreadsheets to run
    assert (XSS_OUTLET, "TRT World") not in by_pair and ("TRT World", XSS_OUTLET) in by_pair


@pytest.mark.asyncio
async def test_exports_carry_cors_headers_with_cors(corpus):
    plain = Datasette([str(corpus)])
    assert "access-control-allow-origin" not in (await plain.client.get("/corpus/-/provenance/graph.csv")).headers
    ds = Datasette([str(corpus)], cors=True)
    for fmt in ("csv", "graphml", "json"):
        r = await ds.client.get(f"/corpus/-/provenance/graph.{fmt}")
        assert r.headers["access-control-allow-origin"] == "*", fmt
    assert "access-control-allow-origin" not in (await ds.client.get("/corpus/-/provenance/graph")).headers


@pytest.mark.asyncio
async def test_svg_download(corpus):
    ds = Datasette([str(corpus)])
    r = await ds.client.get("/corpus/-/provenance/graph.svg")
    assert r.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{SVG}svg" and root.find(f"{SVG}style") is not None


@pytest.mark.asyncio
async def test_real_loader_output(seed_db):
    conn = sqlite3.connect(seed_db)
    total = conn.execute("select count(*) + sum(json_array_length(evidence, '$.chain') > 1) from derivations d"
                         " join articles a on a.id = d.derived_article_id").fetchone()[0]  # + the speaker layer
    conn.close()
    ds = Datasette([str(seed_db)])
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/graph.json")).json()
    assert sum(e["count"] for e in data["edges"]) == total
    r = await ds.client.get(f"/{seed_db.stem}/-/provenance/graph.graphml")
    assert len(list(ET.fromstring(r.content).iter(f"{GRAPHML}edge"))) == len(data["edges"])
    html = (await ds.client.get(f"/{seed_db.stem}/-/provenance/graph")).text
    assert ("<svg" in html) == bool(data["nodes"])


DIRECT = """
    select coalesce(sa.outlet, d.source_name), da.outlet,
           case when d.source_article_id is null then 'upstream' else 'outlet' end, d.relation,
           count(*), coalesce(sum(d.shared_chars), 0)
    from derivations d join articles da on da.id = d.derived_article_id
    left join articles sa on sa.id = d.source_article_id
    where (:since is null or da.published >= :since) and (:until is null or substr(da.published, 1, 10) <= :until)
    group by 1, 2, 3, 4
    union all  -- the speaker layer: whose statement the named upstream carried
    select json_extract(d.evidence, '$.chain[0]'), d.source_name, 'speaker', d.relation, count(*), sum(d.shared_chars)
    from derivations d join articles da on da.id = d.derived_article_id
    where (:since is null or da.published >= :since) and (:until is null or substr(da.published, 1, 10) <= :until)
      and d.source_article_id is null and json_array_length(d.evidence, '$.chain') > 1
    group by 1, 2, 3, 4
"""
SUMMED = """
    select source, target, source_kind, relation, sum(derivations), sum(shared_chars) from outlet_edges
    where (:since is null or day >= :since) and (:until is null or day <= :until) group by 1, 2, 3, 4
"""

TOTALS = "select source, target, source_kind, relation, derivations, shared_chars from outlet_edge_totals"


def graph_of(rows) -> tuple[list, list]:
    """The graph page's edges and nodes, computed from (source, target, kind, relation, n, chars) rows."""
    edges = graph_edges(rows)
    return (ordered((s, t, n, c, json.dumps(r, sort_keys=True), kind) for (s, t), (n, c, r, kind) in edges.items()),
            ordered((name, *v) for name, v in graph_nodes(edges).items()))


def stored_graph(conn) -> tuple[list, list]:
    return (ordered(conn.execute("select source, target, derivations, shared_chars, relations, source_kind"
                                 " from graph_edges").fetchall()),
            ordered(conn.execute("select * from graph_nodes").fetchall()))


def ordered(rows) -> list:
    return sorted(rows, key=repr)  # rows hold None


def test_per_day_edges_equal_derivations_after_incremental_loads(tmp_path):
    """The loader keeps outlet_edges and their totals in step with derivations, whatever day a batch changes."""
    import subprocess
    import sys

    from datasette_provenance.load import load_paths
    from conftest import ROOT, SEEDS

    synth = tmp_path / "synth.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth_reuse.py"), "generate", str(synth),
                    "--stories", "12", "--seed", "3"], check=True, capture_output=True)
    records = [json.loads(line) for line in synth.read_text("utf-8").splitlines() if line.strip()]
    for i, rec in enumerate(records[::5]):  # undated and month-precision articles too
        rec["published"] = None if i % 2 else rec["published"][:7]
    for rec in records[1::7]:  # and articles of no known outlet: "(unknown outlet)" in the graph
        rec["outlet"] = rec["url"] = None
    late, early = tmp_path / "late.jsonl", tmp_path / "early.jsonl"  # later days first, then earlier ones
    records.sort(key=lambda r: r["published"] or "")
    half = len(records) // 2
    late.write_text("".join(json.dumps(r) + "\n" for r in records[half:]), "utf-8")
    early.write_text("".join(json.dumps(r) + "\n" for r in records[:half]), "utf-8")
    db = tmp_path / "edges.db"
    everything = {"since": None, "until": None}
    assert any(r["outlet"] is None for r in records) and any(r["outlet"] is not None for r in records)
    for path in (late, SEEDS, early):
        load_paths(str(db), [str(path)], batch_size=7)
        with sqlite3.connect(db) as conn:  # the whole-corpus totals move with every batch's days
            direct = conn.execute(DIRECT, everything).fetchall()
            assert ordered(conn.execute(TOTALS).fetchall()) == ordered(direct)
            assert stored_graph(conn) == graph_of(direct)
    days = [r["published"][:10] for r in records if r["published"]]
    filters = [(None, None), (days[len(days) // 3], None), (None, days[len(days) // 2]),
               (days[len(days) // 4], days[3 * len(days) // 4]), ("2022-02-03", "2022-02-03"), ("2021-02", None)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(distinct day) from outlet_edges").fetchone()[0] > 5
        assert conn.execute("select count(*) from outlet_edges where day is null").fetchone()[0] > 0
        for since, until in filters:
            args = {"since": since, "until": until}
            assert ordered(conn.execute(SUMMED, args).fetchall()) == ordered(conn.execute(DIRECT, args).fetchall())
        before = ordered(conn.execute(SUMMED, everything).fetchall())
        assert before == ordered(conn.execute(TOTALS).fetchall())
    for table in ("outlet_edges", "outlet_edge_totals"):
        with sqlite3.connect(db) as conn:
            conn.execute(f"delete from {table}")  # as a database made before the table was kept
        load_paths(str(db), [str(SEEDS)])  # nothing new: the counts are rebuilt
        with sqlite3.connect(db) as conn:
            assert ordered(conn.execute(SUMMED, everything).fetchall()) == before
            assert ordered(conn.execute(TOTALS).fetchall()) == before
            assert stored_graph(conn) == graph_of(before)
            assert conn.execute("select kind from graph_nodes where id = '(unknown outlet)'").fetchone() == ("outlet",)


@pytest.mark.asyncio
async def test_edges_come_a_page_at_a_time_and_the_downloads_have_them_all(corpus):
    ds = Datasette([str(corpus)])
    everything = list(csv.DictReader(io.StringIO((await ds.client.get("/corpus/-/provenance/graph.csv")).text)))
    assert len(everything) >= 5
    paged, page = [], 1
    while page:
        data = (await ds.client.get(f"/corpus/-/provenance/graph.json?_size=2&page={page}")).json()
        assert len(data["edges"]) <= 2 and data["edges_pagination"]["total"] == len(everything)
        assert len(data["nodes"]) == 6  # nodes are never paged: their totals count every edge
        paged += [(e["source"], e["target"], str(e["count"])) for e in data["edges"]]
        page = data["edges_pagination"]["next"]
    assert paged == [(r["source"], r["target"], r["count"]) for r in everything]  # busiest first, each once
    html = (await ds.client.get("/corpus/-/provenance/graph?_size=2&page=2")).text
    assert 'rel="next"' in html and 'rel="prev"' in html and "page 2 of" in html
    assert (await ds.client.get("/corpus/-/provenance/graph.json?_size=0")).status_code == 400


def test_svg_draws_only_the_busiest_edges(corpus):
    from datasette_provenance.pages.graph import MAX_SVG_EDGES, Urls, draw_svg

    names = [f"Outlet {i:02d}" for i in range(50)]
    edges = sorted(({"source": a, "target": b, "count": (i * 7 + j) % 97 + 1, "shared_chars": 1, "relations": {}}
                    for i, a in enumerate(names) for j, b in enumerate(names) if a != b),
                   key=lambda e: (-e["count"], e["source"], e["target"]))
    nodes = [{"id": n, "kind": "outlet", "given": 1, "taken": 1, "volume": 100 - i, "shared_chars": 1}
             for i, n in enumerate(names)]
    svg, shown = draw_svg(nodes, edges, Urls(Datasette([str(corpus)]), "corpus"))
    root = ET.fromstring(svg)
    lines = [el for el in root.iter() if (el.get("class") or "").split()[:1] in (["edge-line"], ["loop"])]
    assert len(shown) == 40 and len(lines) == MAX_SVG_EDGES <= 200  # of 40 * 39 edges between drawn nodes
    top = next(e for e in edges if e["source"] in {n["id"] for n in shown} and e["target"] in {n["id"] for n in shown})
    assert f">{top['count']}<" in svg  # the busiest edge between drawn nodes is labelled


def svg_of(html: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg [^>]*class=\"provenance-graph\".*?</svg>", html, re.S).group(0))


def drawn_edges(root: ET.Element) -> dict:
    """(source, target) -> (class of the group, the line's attributes, the label or None), as drawn."""
    out = {}
    for g in root.iter(f"{SVG}g"):
        if "edge" in (g.get("class") or "").split():
            line = g.find(f"{SVG}path") if g.find(f"{SVG}path") is not None else g.find(f"{SVG}circle")
            label = g.find(f"{SVG}text")
            out[(g.get("data-source"), g.get("data-target"))] = (g.get("class"), line.attrib,
                                                                 None if label is None else label.text)
    return out


@pytest.fixture(scope="module")
def undecided(corpus, tmp_path_factory):
    """The corpus with TRT World's text in Sputnik of undetermined direction, and a second, undetermined
    derivation beside the copied one from TRT World into Islam Times."""
    with edited_copy(corpus, tmp_path_factory.mktemp("undecided"), refresh=True) as (copy, conn):
        conn.execute("update derivations set relation = 'undetermined' where relation = 'copied' and derived_article_id ="
                      " (select id from articles where external_id = '003_4d6d3eb5b77b4377.txt')")
        conn.execute("insert into derivations(derived_article_id, source_article_id, source_name, relation, extent,"
                     " shared_chars, confidence, evidence) select derived_article_id, source_article_id, source_name,"
                     " 'undetermined', extent, 40, 0.2, '{}' from derivations where shared_chars = 452")
    return copy


@pytest.mark.asyncio
async def test_only_decided_directions_are_arrows(undecided):
    ds = Datasette([str(undecided)])
    data = (await ds.client.get("/corpus/-/provenance/graph.json")).json()
    relations = {(e["source"], e["target"]): e["relations"] for e in data["edges"]}
    assert relations[("TRT World", "Sputnik")] == {"undetermined": 1}
    assert relations[("TRT World", "Islam Times")] == {"copied": 1, "undetermined": 1}
    # A node gives and takes decided derivations only; an undetermined one is in its volume, not its balance.
    whole = {e: sum(r.values()) for e, r in relations.items()}
    for n in data["nodes"]:
        decided = {e: n - relations[e].get("undetermined", 0) for e, n in whole.items()}
        assert n["given"] == sum(c for (s, _), c in decided.items() if s == n["id"]), n
        assert n["taken"] == sum(c for (_, t), c in decided.items() if t == n["id"]), n
    trt = next(n for n in data["nodes"] if n["id"] == "TRT World")  # two undetermined links, in its volume only
    assert (trt["given"], trt["taken"], trt["volume"]) == (2, 1, 5)
    drawn = drawn_edges(svg_of((await ds.client.get("/corpus/-/provenance/graph")).text))
    # Undetermined only: one undirected, dashed line (its ends in name order), no arrow either way.
    assert ("TRT World", "Sputnik") not in drawn
    cls, line, label = drawn[("Sputnik", "TRT World")]
    assert cls == "edge undetermined" and "marker-end" not in line and "undetermined" in line["class"].split()
    assert label == "1"
    # Mixed: the arrow counts only the decided derivation; the undetermined one is a line of its own.
    cls, line, label = drawn[("TRT World", "Islam Times")]
    assert cls == "edge" and line["marker-end"] == "url(#arrow)" and label == "1"
    assert drawn[("Islam Times", "TRT World")][0] == "edge undetermined"
    arrows = [k for k, (_, line, _) in drawn.items() if "marker-end" in line]
    assert sorted(arrows) == sorted([("AFP", "TRT World"), ("TASS", "Islam Times"), ("TRT World", "Islam Times"),
                                     ("Islam Times", "Sputnik"), ("TRT World", XSS_OUTLET)])
    root = ET.fromstring((await ds.client.get("/corpus/-/provenance/graph.graphml")).content)
    label = {n.get("id"): n.find(f"{GRAPHML}data[@key='label']").text for n in root.iter(f"{GRAPHML}node")}
    directed = {(label[e.get("source")], label[e.get("target")]): e.get("directed")
                for e in root.iter(f"{GRAPHML}edge")}
    assert directed[("TRT World", "Sputnik")] == "false"
    assert directed[("TRT World", "Islam Times")] is None and directed[("AFP", "TRT World")] is None


def test_a_pair_undetermined_both_ways_is_one_line(corpus):
    from datasette_provenance.pages.graph import Urls, draw_svg

    nodes = [{"id": n, "kind": "outlet", "given": 1, "taken": 1, "volume": 9 - i, "shared_chars": 1}
             for i, n in enumerate("ABC")]
    edges = [{"source": "A", "target": "B", "count": 5, "shared_chars": 9,
              "relations": {"copied": 2, "undetermined": 3}},
             {"source": "B", "target": "A", "count": 1, "shared_chars": 9, "relations": {"undetermined": 1}},
             {"source": "C", "target": "A", "count": 1, "shared_chars": 9, "relations": {"common-source": 1}}]
    svg = draw_svg(nodes, edges, Urls(Datasette([str(corpus)]), "corpus"))[0]
    groups = [(g.get("class"), g.get("data-source"), g.get("data-target"), g.find(f"{SVG}text").text)
              for g in ET.fromstring(svg).iter(f"{SVG}g") if "edge" in (g.get("class") or "").split()]
    assert sorted(groups) == [("edge", "A", "B", "2"), ("edge", "C", "A", "1"), ("edge undetermined", "A", "B", "4")]


@pytest.mark.asyncio
async def test_speaker_layer_can_be_switched_off_everywhere(seed_db):
    """?speakers=0 leaves out the speaker nodes and speaker → agency edges, in the page and every export, with
    the nodes' totals as if the layer had never been counted."""
    ds, base = Datasette([str(seed_db)]), f"/{seed_db.stem}/-/provenance/graph"
    conn = sqlite3.connect(seed_db)
    rows = conn.execute(f"{TOTALS} where source_kind != 'speaker'").fetchall()
    speaker_edges = conn.execute("select count(*) from graph_edges where source_kind = 'speaker'").fetchone()[0]
    conn.close()
    expected_edges, expected_nodes = graph_of(rows)
    everything = (await ds.client.get(f"{base}.json")).json()
    assert everything["speakers"] is True and speaker_edges > 0
    assert any(n["kind"] == "speaker" for n in everything["nodes"])
    data = (await ds.client.get(f"{base}.json?speakers=0")).json()
    assert data["speakers"] is False and all(n["kind"] != "speaker" for n in data["nodes"])
    assert ordered((n["id"], n["kind"], n["given"], n["taken"], n["volume"], n["shared_chars"])
                   for n in data["nodes"]) == expected_nodes
    pairs = sorted((e["source"], e["target"]) for e in data["edges"])
    assert pairs == sorted((s, t) for s, t, *_ in expected_edges)
    assert len(data["edges"]) == len(everything["edges"]) - speaker_edges
    assert data["edges_pagination"]["total"] == len(pairs)
    csv_pairs = sorted((r["source"], r["target"]) for r in csv.DictReader(io.StringIO(
        (await ds.client.get(f"{base}.csv?speakers=0")).text)))
    assert csv_pairs == pairs
    root = ET.fromstring((await ds.client.get(f"{base}.graphml?speakers=0")).content)
    assert len(list(root.iter(f"{GRAPHML}edge"))) == len(pairs)
    assert "speaker" not in {d.text for d in root.iter(f"{GRAPHML}data") if d.get("key") == "kind"}
    for svg in (ET.fromstring((await ds.client.get(f"{base}.svg?speakers=0")).content),
                svg_of((await ds.client.get(f"{base}?speakers=0")).text)):
        assert sorted(drawn_edges(svg)) == pairs
        assert not [g for g in svg.iter(f"{SVG}g") if "speaker" in (g.get("class") or "").split()]
    # Filtered by date, the layer goes too.
    dated = (await ds.client.get(f"{base}.json?speakers=0&since=1900-01-01")).json()
    assert dated["edges"] and all(n["kind"] != "speaker" for n in dated["nodes"])
    assert len(dated["edges"]) < len((await ds.client.get(f"{base}.json?since=1900-01-01")).json()["edges"])
    # The page links to the other state, and every link keeps the choice.
    on, off = (await ds.client.get(base)).text, (await ds.client.get(f"{base}?speakers=0&since=1900-01-01")).text
    assert f'href="{base}?speakers=0"' in on and "Hide the quoted speakers" in on
    assert f'href="{base}?since=1900-01-01"' in off and "Show the quoted speakers" in off
    for fmt in ("graphml", "csv", "svg", "json"):
        assert f'href="{base}.{fmt}?since=1900-01-01&amp;speakers=0"' in off, fmt
    assert '<input type="hidden" name="speakers" value="0">' in off
    assert (await ds.client.get(f"{base}.json?speakers=no")).status_code == 400


@pytest.mark.asyncio
async def test_svg_is_wider_than_tall_to_fill_the_page(corpus):
    ds = Datasette([str(corpus)])
    root = svg_of((await ds.client.get("/corpus/-/provenance/graph")).text)
    _, _, width, height = map(float, root.get("viewBox").split())
    assert width > 1.3 * height
    css = (await ds.client.get("/-/static-plugins/datasette-provenance/provenance.css")).text
    assert re.search(r"\.prov-graph svg\.provenance-graph \{[^}]*width: 100%", css)


def _path_points(d: str) -> list[tuple[float, float]]:
    """Points along an SVG path of one M and one L or Q segment."""
    nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", d)]
    if " L " in d:
        (x0, y0, x1, y1) = nums
        return [(x0 + (x1 - x0) * t / 40, y0 + (y1 - y0) * t / 40) for t in range(41)]
    x0, y0, qx, qy, x1, y1 = nums
    return [((1 - t) ** 2 * x0 + 2 * t * (1 - t) * qx + t * t * x1,
             (1 - t) ** 2 * y0 + 2 * t * (1 - t) * qy + t * t * y1)
            for t in (i / 40 for i in range(41))]


def test_edge_labels_are_placed_off_other_edges(corpus):
    from datasette_provenance.pages.graph import LABELLED, Urls, draw_svg

    names = [f"Outlet {i:02d}" for i in range(24)]
    edges = sorted(({"source": a, "target": b, "count": (i * 5 + j * 3) % 17 + 1, "shared_chars": 1,
                     "relations": {"copied": (i * 5 + j * 3) % 17 + 1}}
                    for i, a in enumerate(names) for j, b in enumerate(names) if a != b and (i + j) % 4 == 0),
                   key=lambda e: (-e["count"], e["source"], e["target"]))
    nodes = [{"id": n, "kind": "outlet", "given": 1, "taken": 1, "volume": 100 - i, "shared_chars": 1}
             for i, n in enumerate(names)]
    root = ET.fromstring(draw_svg(nodes, edges, Urls(Datasette([str(corpus)]), "corpus"))[0])
    lines, labels = [], []
    for g in root.iter(f"{SVG}g"):
        if (g.get("class") or "").split()[:1] == ["edge"]:
            lines.append(_path_points(g.find(f"{SVG}path").get("d")))
            text = g.find(f"{SVG}text")
            if text is not None:
                labels.append((len(lines) - 1, float(text.get("x")), float(text.get("y")), text.text))
    assert len(labels) >= max(LABELLED, len(lines) // 3)  # many edges keep their label
    busiest = [e for e in edges if e["count"] == edges[0]["count"]]
    assert any(label[3] == str(busiest[0]["count"]) for label in labels)
    crowded = 0
    for own, x, y, text in labels:
        w, h = 9 * len(text) + 6, 18
        if any(abs(px - x) <= w / 2 and abs(py - y) <= h / 2
               for i, points in enumerate(lines) if i != own for px, py in points):
            crowded += 1
    assert crowded <= LABELLED  # only the busiest edges' labels may sit on another edge, where nothing was free
    for a in labels:  # and no two labels overlap
        assert not [b for b in labels if b is not a and abs(a[1] - b[1]) < 12 and abs(a[2] - b[2]) < 16]


@pytest.mark.asyncio
async def test_undetermined_lines_can_be_switched_off_everywhere(undecided):
    """?undetermined=0 leaves out the shared text of undetermined direction ("shares text with"): the dashed
    lines, their edges and their counts, in the page and every export; the page links to both states."""
    ds, base = Datasette([str(undecided)]), "/corpus/-/provenance/graph"
    everything = (await ds.client.get(f"{base}.json")).json()
    assert everything["undetermined"] is True
    assert any("undetermined" in e["relations"] for e in everything["edges"])
    data = (await ds.client.get(f"{base}.json?undetermined=0")).json()
    assert data["undetermined"] is False
    edges = {(e["source"], e["target"]): e for e in data["edges"]}
    assert all("undetermined" not in e["relations"] for e in data["edges"])
    assert ("TRT World", "Sputnik") not in edges  # undetermined only: gone
    mixed = edges[("TRT World", "Islam Times")]  # the copied derivation stays, without the undetermined one
    assert (mixed["count"], mixed["shared_chars"], mixed["relations"]) == (1, 452, {"copied": 1})
    undetermined = sum(e["relations"].get("undetermined", 0) for e in everything["edges"])
    assert sum(e["count"] for e in data["edges"]) == sum(e["count"] for e in everything["edges"]) - undetermined
    nodes = {n["id"]: n for n in data["nodes"]}
    before = {n["id"]: n for n in everything["nodes"]}
    # undetermined links were never given or taken: off, they leave the volumes only
    assert [nodes[n][k] for n in ("Sputnik", "TRT World") for k in ("given", "taken")] == \
        [before[n][k] for n in ("Sputnik", "TRT World") for k in ("given", "taken")]
    assert (nodes["Sputnik"]["volume"], nodes["TRT World"]["volume"]) == \
        (before["Sputnik"]["volume"] - 1, before["TRT World"]["volume"] - 2)
    pairs = sorted(edges)
    csv_rows = list(csv.DictReader(io.StringIO((await ds.client.get(f"{base}.csv?undetermined=0")).text)))
    assert sorted((r["source"], r["target"]) for r in csv_rows) == pairs
    assert not [r for r in csv_rows if "undetermined" in r["relations"]]
    root = ET.fromstring((await ds.client.get(f"{base}.graphml?undetermined=0")).content)
    assert len(list(root.iter(f"{GRAPHML}edge"))) == len(pairs)
    assert not [e for e in root.iter(f"{GRAPHML}edge") if e.get("directed") == "false"]
    for svg in (ET.fromstring((await ds.client.get(f"{base}.svg?undetermined=0")).content),
                svg_of((await ds.client.get(f"{base}?undetermined=0")).text)):
        drawn = drawn_edges(svg)
        assert drawn and not [k for k, (cls, _, _) in drawn.items() if "undetermined" in cls.split()]
    assert [k for k, (cls, _, _) in drawn_edges(svg_of((await ds.client.get(base)).text)).items()
            if "undetermined" in cls.split()]
    # With a date filter and the speakers switched off, the switch still applies and every link keeps it.
    dated = (await ds.client.get(f"{base}.json?undetermined=0&speakers=0&since=1900-01-01")).json()
    assert dated["edges"] and all("undetermined" not in e["relations"] for e in dated["edges"])
    on, off = (await ds.client.get(base)).text, (await ds.client.get(f"{base}?since=1900-01-01&undetermined=0")).text
    assert f'href="{base}?undetermined=0"' in on and "Hide the “shares text with” lines" in on
    assert "a dashed line joins outlets that share text" in on
    assert f'href="{base}?since=1900-01-01"' in off and "Show the “shares text with” lines" in off
    assert "the shared text whose direction is undetermined is left out" in off
    assert f'href="{base}?since=1900-01-01&amp;speakers=0&amp;undetermined=0"' in off  # the speakers switch
    assert f'href="{base}?undetermined=0">clear</a>' in off
    for fmt in ("graphml", "csv", "svg", "json"):
        assert f'href="{base}.{fmt}?since=1900-01-01&amp;undetermined=0"' in off, fmt
    assert '<input type="hidden" name="undetermined" value="0">' in off
    bad = await ds.client.get(f"{base}.json?undetermined=no")
    assert bad.status_code == 400 and "?undetermined= must be 0" in bad.json()["error"]


def edge_total(data: dict) -> int:
    return sum(e["count"] for e in data["edges"])


@pytest.mark.asyncio
async def test_left_out_by_the_dates_counts_only_what_the_other_filters_keep(undecided, tmp_path):
    """The note counts the derivations the dates take away from those ?undetermined= keeps: the total with
    the dates plus the note is the total without them. Sputnik's undated article takes 3 derivations, one
    (from TRT World) undetermined; here the common-source one carries Zakharova's statement through TASS,
    which the speaker layer counts a second time: ?speakers= hides that second count, not a derivation."""
    with edited_copy(undecided, tmp_path, refresh=True) as (copy, conn):
        conn.execute("update derivations set source_article_id = null, source_name = 'TASS',"
                     " evidence = '{\"chain\": [\"Maria Zakharova\", \"TASS\"]}' where relation = 'common-source'")
    ds, base = Datasette([str(copy)]), "/corpus/-/provenance/graph"
    counts = {}
    for switches in ("&speakers=0", "&speakers=0&undetermined=0", "", "&undetermined=0"):
        whole = (await ds.client.get(f"{base}.json?_size=500{switches}")).json()
        dated = (await ds.client.get(f"{base}.json?_size=500&since=1900-01-01{switches}")).json()
        counts[switches] = dated["undated_left_out"]["derivations"]
        speaker_layer = 0 if "speakers=0" in switches else 1  # Zakharova → TASS, undated
        assert edge_total(dated) + counts[switches] + speaker_layer == edge_total(whole), switches
    assert counts == {"&speakers=0": 3, "&speakers=0&undetermined=0": 2, "": 3, "&undetermined=0": 2}
    html = (await ds.client.get(f"{base}?since=1900-01-01&undetermined=0")).text
    assert re.search(r"1 undated article\s+\(no date to filter on\), and the 2 derivations into undated", html)


@pytest.mark.asyncio
async def test_left_out_by_the_dates_leaves_out_the_undetermined_it_never_counted(tmp_path, corpus):
    """All the derivations into the undated article undetermined: with ?undetermined=0 the dates leave out
    none of them, and the note names the article only."""
    with edited_copy(corpus, tmp_path, refresh=True) as (copy, conn):
        conn.execute("update derivations set relation = 'undetermined' where derived_article_id in"
                     " (select id from articles where published is null)")
    ds, base = Datasette([str(copy)]), "/corpus/-/provenance/graph"
    data = (await ds.client.get(f"{base}.json?since=2000-01-01&undetermined=0")).json()
    assert data["undated_left_out"] == {"articles": 1, "derivations": 0}
    assert edge_total(data) == edge_total((await ds.client.get(f"{base}.json?undetermined=0")).json())
    html = (await ds.client.get(f"{base}?since=2000-01-01&undetermined=0")).text
    assert re.search(r"Left out by the dates: 1 undated article\s+\(no date to filter on\)\.", html)
    assert "into undated articles" not in html
    assert (await ds.client.get(f"{base}.json?since=2000-01-01")).json()["undated_left_out"]["derivations"] == 3


@pytest.mark.asyncio
async def test_a_page_past_the_end_says_so_and_leads_back(corpus):
    """?page= past the last page of edges: the page says how many edges and pages there are and links to the
    last page (keeping the other arguments); the JSON's pagination says so and its ``previous`` is that page."""
    ds, base = Datasette([str(corpus)]), "/corpus/-/provenance/graph"
    total = (await ds.client.get(f"{base}.json")).json()["edges_pagination"]["total"]
    assert total == 7
    for query, last in (("page=5", 1), ("_size=2&page=9", 4)):
        data = (await ds.client.get(f"{base}.json?{query}")).json()
        info = data["edges_pagination"]
        assert data["edges"] == [] and data["nodes"]
        assert (info["total"], info["pages"], info["past_end"], info["previous"], info["next"]) == (7, last, True, last, None)
        html = (await ds.client.get(f"{base}?{query}")).text
        number = query.rsplit("=", 1)[1]
        assert re.search(rf"Page {number} is past the end: 7 edges, {last} page{'s' if last > 1 else ''}", html)
        back = f'?_size=2&amp;page={last}' if "_size" in query else f"?page={last}"
        assert f'href="{back}"' in html
        assert 'class="prov-table prov-edges"' not in html  # no empty table
        assert "<svg" in html  # the drawing does not depend on the page
    assert (await ds.client.get(f"{base}.json")).json()["edges_pagination"]["past_end"] is False
    last = (await ds.client.get(f"{base}.json?_size=2&page=4")).json()
    assert last["edges_pagination"]["past_end"] is False and len(last["edges"]) == 1
    dated = (await ds.client.get(f"{base}?until=2000-01-01&page=3")).text  # no edges at all: nothing to page
    assert "No derivations in this period" in dated and "past the end" not in dated


@pytest.mark.asyncio
async def test_the_unknown_outlet_node_links_to_its_page(tmp_path, corpus):
    """Articles with no outlet are drawn as "(unknown outlet)", derivations naming no source as "(unknown source)";
    their nodes link to the pages the edge table links to, which list them, not to "#"."""
    with edited_copy(corpus, tmp_path, refresh=True) as (copy, conn):
        conn.execute("update articles set outlet = null where outlet = 'Sputnik'")
        conn.execute("update derivations set source_name = null where source_name = 'AFP'")
    ds, base = Datasette([str(copy)]), "/corpus/-/provenance/graph"
    html = (await ds.client.get(base)).text
    links = {g.get("data-name"): g.find(f"{SVG}a").get("href") for g in svg_of(html).iter(f"{SVG}g")
             if g.get("data-name")}
    assert "#" not in links.values()
    for name, kind in (("(unknown outlet)", "outlet"), ("(unknown source)", "upstream")):
        href = links[name]
        assert href == "/corpus/-/provenance/outlet/" + name.replace("(", "~28").replace(")", "~29").replace(" ", "+")
        assert f'<a href="{href}">{name}</a>' in html  # the edge table's link
        page = (await ds.client.get(href + ".json")).json()
        assert page["kind"] == kind
    assert (await ds.client.get(links["(unknown outlet)"] + ".json")).json()["articles_count"] == 2
