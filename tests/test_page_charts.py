"""Charts of reuse over time (issue 17): their SVG draws what their JSON says, their CSV is their JSON's
rows, their counts are the derivations' and members' own, and the undated are counted, not drawn."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import xml.etree.ElementTree as ET
from collections import Counter
from contextlib import closing
from datetime import date, timedelta

import pytest
from datasette.app import Datasette
from datasette.utils import tilde_encode

from datasette_provenance.pages import charts

from conftest import edited_copy
from test_permissions import XSS_OUTLET, build_corpus

SVG = "{http://www.w3.org/2000/svg}"
BASE = "/corpus/-/provenance/chart"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db):
    return build_corpus(tmp_path_factory.mktemp("charts"), seed_db)


def query(corpus, sql, params=()):
    with closing(sqlite3.connect(corpus)) as conn:
        return conn.execute(sql, params).fetchall()


def monday(day: str) -> str:
    d = date.fromisoformat(day[:10])
    return (d - timedelta(days=d.weekday())).isoformat()


def svg_of(text: str) -> ET.Element:
    return ET.fromstring(text)  # well-formed, or this fails


def notes(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "note"]


def bars(root: ET.Element) -> dict[str, int]:
    return {g.get("data-period"): int(g.get("data-count")) for g in root.iter(f"{SVG}g") if g.get("class") == "bar"}


def segments(root: ET.Element) -> Counter:
    out = Counter()
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "bar":
            for rect in g.iter(f"{SVG}rect"):
                out[(g.get("data-period"), rect.get("data-series"))] += int(rect.get("data-count"))
    return out


@pytest.mark.asyncio
async def test_overview_counts_every_dated_derivation_by_day(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get(f"{BASE}/overview.json")).json()
    # From the derivations themselves, not the per-day edges the chart reads.
    expected, undated = Counter(), 0
    for (published,) in query(corpus, "select a.published from derivations d"
                                      " join articles a on a.id = d.derived_article_id"):
        if published:
            expected[published[:10]] += 1
        else:
            undated += 1
    assert undated > 0 and len(expected) > 1, "the corpus must have dated and undated derivations"
    assert data["bucket"] == "day"
    assert {r["period"]: r["derivations"] for r in data["rows"] if r["derivations"]} == dict(expected)
    # every day from the first to the last, the empty ones too
    days = [r["period"] for r in data["rows"]]
    assert days == [(date.fromisoformat(min(expected)) + timedelta(days=i)).isoformat() for i in range(len(days))]
    assert days[-1] == max(expected)
    assert data["undated"] == {"derivations": undated,
                               "articles": query(corpus, "select count(*) from articles where published is null")[0][0]}


@pytest.mark.asyncio
async def test_overview_svg_draws_the_json(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get(f"{BASE}/overview.json")).json()
    r = await ds.client.get(f"{BASE}/overview.svg")
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    root = svg_of(r.text)
    assert bars(root) == {row["period"]: row["derivations"] for row in data["rows"] if row["derivations"]}
    heights = {g.get("data-period"): float(g.find(f"{SVG}rect").get("height"))
               for g in root.iter(f"{SVG}g") if g.get("class") == "bar"}
    one = next(p for p, n in bars(root).items() if n == 1)
    two = next(p for p, n in bars(root).items() if n == 2)
    assert heights[two] == pytest.approx(2 * heights[one])  # bars to scale
    assert f"{data['undated']['derivations']} undated derivations not shown" in notes(root)
    assert f"{data['undated']['articles']} undated article not shown" in notes(root)


@pytest.mark.asyncio
@pytest.mark.parametrize("path", ["overview", "outlet/Islam+Times", "outlet/TRT+World", "cluster/1", "cluster/2",
                                  f"outlet/{tilde_encode(XSS_OUTLET)}"])
async def test_csv_rows_are_the_json_rows(corpus, path):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get(f"{BASE}/{path}.json")).json()
    r = await ds.client.get(f"{BASE}/{path}.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    got = list(csv.DictReader(io.StringIO(r.text)))
    assert data["rows"], path
    assert got == [{k: "" if v is None else str(v) for k, v in row.items()} for row in data["rows"]]


def taken(corpus, outlet: str) -> Counter:
    """(week, source) -> derivations into the outlet's dated articles, reuse inside the outlet and links of
    undetermined direction left out."""
    out = Counter()
    for published, source in query(corpus, """
        select da.published, coalesce(sa.outlet, d.source_name) from derivations d
        join articles da on da.id = d.derived_article_id left join articles sa on sa.id = d.source_article_id
        where da.outlet = ? and d.relation not in ('same-outlet', 'undetermined')""", [outlet]):
        if published:
            out[(monday(published), source)] += 1
    return out


@pytest.mark.asyncio
async def test_outlet_chart_counts_what_it_took_by_week_and_source(corpus):
    ds = Datasette([str(corpus)])
    outlets = [o for (o,) in query(corpus, "select distinct outlet from articles where outlet is not null")]
    assert any(taken(corpus, o) for o in outlets)
    for outlet in outlets:
        data = (await ds.client.get(f"{BASE}/outlet/{tilde_encode(outlet)}.json")).json()
        assert data["outlet"] == outlet and data["bucket"] == "week"
        assert Counter({(r["period"], r["source"]): r["derivations"] for r in data["rows"]}) == taken(corpus, outlet)
        root = svg_of((await ds.client.get(f"{BASE}/outlet/{tilde_encode(outlet)}.svg")).text)
        assert segments(root) == taken(corpus, outlet), outlet
    islam = (await ds.client.get(f"{BASE}/outlet/Islam+Times.json")).json()
    assert {(r["period"], r["source"], r["source_kind"]) for r in islam["rows"]} == {
        ("2022-01-31", "TRT World", "outlet"), ("2022-01-31", "TASS", "upstream")}


@pytest.mark.asyncio
async def test_outlet_chart_counts_its_undated(corpus):
    ds = Datasette([str(corpus)])
    outlet, undated_articles = query(corpus, "select outlet, count(*) from articles where published is null"
                                             " and outlet is not null group by outlet")[0]
    into_undated = query(corpus, """select count(*) from derivations d join articles a on a.id = d.derived_article_id
                                    where a.outlet = ? and a.published is null and d.relation != 'same-outlet'""",
                         [outlet])[0][0]
    assert into_undated > 0
    data = (await ds.client.get(f"{BASE}/outlet/{tilde_encode(outlet)}.json")).json()
    assert data["undated"] == {"articles": undated_articles, "derivations": into_undated}
    root = svg_of((await ds.client.get(f"{BASE}/outlet/{tilde_encode(outlet)}.svg")).text)
    assert f"{into_undated} undated derivation{'s' if into_undated != 1 else ''} not shown" in notes(root)


@pytest.mark.asyncio
async def test_outlet_chart_counts_undetermined_links_apart(corpus, tmp_path):
    """A link nothing decided the direction of is not something taken: not drawn, counted on both outlets."""
    with edited_copy(corpus, tmp_path) as (copy, conn):
        trt = conn.execute("select id from articles where outlet = 'TRT World'").fetchone()[0]
        undated = conn.execute("select id from articles where outlet = 'Sputnik' and published is null").fetchone()[0]
        conn.execute("insert into derivations(derived_article_id, source_article_id, relation, shared_chars)"
                     " values (?, ?, 'undetermined', 95)", (trt, undated))
    ds = Datasette([str(copy)])
    data = (await ds.client.get(f"{BASE}/outlet/TRT+World.json")).json()
    assert [s["source"] for s in data["sources"]] == ["AFP"] and {r["source"] for r in data["rows"]} == {"AFP"}
    assert data["undetermined"] == 1
    root = svg_of((await ds.client.get(f"{BASE}/outlet/TRT+World.svg")).text)
    assert set(segments(root)) == {(monday("2022-02-03"), "AFP")}
    assert "1 link of undetermined direction not shown" in notes(root)
    sputnik = (await ds.client.get(f"{BASE}/outlet/Sputnik.json")).json()
    assert sputnik["undetermined"] == 1  # its undated copy: the source side of the stored row
    islam = (await ds.client.get(f"{BASE}/outlet/Islam+Times.json")).json()
    assert islam["undetermined"] == 0
    assert not [n for n in notes(svg_of((await ds.client.get(f"{BASE}/outlet/Islam+Times.svg")).text))
                if "undetermined" in n]


def test_outlet_svg_stacks_the_busiest_sources_and_sums_the_rest():
    sources = [f"Source {i}" for i in range(9)]
    rows = [{"period": "2022-01-03" if i % 2 else "2022-01-17", "source": s, "source_kind": "upstream",
             "derivations": 10 - i, "shared_chars": 1} for i, s in enumerate(sources)]
    data = {"outlet": "X", "bucket": "week", "rows": rows, "undated": {"articles": 0, "derivations": 0},
            "sources": [{"source": s, "derivations": 10 - i} for i, s in enumerate(sources)]}
    root = svg_of(charts.outlet_svg(data))
    legend = [g.get("data-series") for g in root.iter(f"{SVG}g") if g.get("class") == "legend-item"]
    assert legend == sources[:charts.TOP_SOURCES] + [charts.OTHER_SOURCES]
    drawn = segments(root)
    rest = sum(10 - i for i in range(charts.TOP_SOURCES, 9))
    assert sum(n for (_, s), n in drawn.items() if s == charts.OTHER_SOURCES) == rest
    assert sum(drawn.values()) == sum(r["derivations"] for r in rows)
    assert set(bars(root)) == {"2022-01-03", "2022-01-17"}  # the empty week between is on the axis, not a bar
    assert "3 more sources summed as (other sources)" in notes(root)


def test_periods_fill_gaps_and_long_spans_are_coarser():
    assert charts.periods(date(2021, 12, 30), date(2022, 1, 2), "day")[-1] == date(2022, 1, 2)
    assert len(charts.periods(date(2021, 12, 30), date(2022, 1, 2), "day")) == 4
    assert charts.periods(date(2021, 11, 15), date(2022, 2, 1), "month") == [
        date(2021, 11, 1), date(2021, 12, 1), date(2022, 1, 1), date(2022, 2, 1)]
    assert charts.periods(date(2022, 1, 5), date(2022, 1, 18), "week") == [
        date(2022, 1, 3), date(2022, 1, 10), date(2022, 1, 17)]
    assert charts.choose_bucket([date(2020, 1, 1), date(2020, 6, 1)]) == "day"
    assert charts.choose_bucket([date(2020, 1, 1), date(2022, 6, 1)]) == "week"
    assert charts.choose_bucket([date(2000, 1, 1), date(2022, 6, 1)]) == "month"


@pytest.mark.asyncio
@pytest.mark.parametrize("cid", [1, 2, 3])
async def test_cluster_chart_places_each_dated_member(corpus, cid):
    ds = Datasette([str(corpus)])
    members = query(corpus, """select distinct a.id, a.published, coalesce(a.outlet, '(unknown outlet)')
                               from cluster_members m join articles a on a.id = m.article_id where m.cluster_id = ?""",
                    [cid])
    dated = sorted((p, i, o) for i, p, o in members if p)
    data = (await ds.client.get(f"{BASE}/cluster/{cid}.json")).json()
    assert sorted((r["published"], r["article_id"], r["outlet"]) for r in data["rows"]) == dated
    assert data["undated"]["articles"] == len(members) - len(dated)
    root = svg_of((await ds.client.get(f"{BASE}/cluster/{cid}.svg")).text)
    circles = [c for c in root.iter(f"{SVG}circle") if "member" in c.get("class").split()]
    assert [int(c.get("data-article")) for c in circles] == [r["article_id"] for r in data["rows"]]
    assert [c.get("data-outlet") for c in circles] == [r["outlet"] for r in data["rows"]]
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs)  # by publication time
    if len(set(r["published"] for r in data["rows"])) > 1:
        assert xs[0] < xs[-1]
    n = data["undated"]["articles"]
    assert (f"{n} undated article{'s' if n != 1 else ''} not shown" in notes(root)) == bool(n)


def test_cluster_svg_keeps_every_member_when_outlets_share_a_lane():
    rows = [{"article_id": i, "outlet": f"Outlet {i % 30:02d}", "published": f"2022-01-{1 + i % 28:02d}T10:00:00Z",
             "published_precision": "second" if i % 3 else "day", "passages": 1} for i in range(60)]
    rows.sort(key=lambda r: (r["published"], r["article_id"]))
    root = svg_of(charts.cluster_svg({"cluster": 9, "rows": rows, "undated": {"articles": 2}}))
    lanes = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "lane-label"]
    assert len(lanes) == charts.MAX_LANES and lanes[-1] == f"({30 - charts.MAX_LANES + 1} more outlets)"
    circles = [c for c in root.iter(f"{SVG}circle") if "member" in c.get("class").split()]
    assert [int(c.get("data-article")) for c in circles] == [r["article_id"] for r in rows]
    assert sum("day-only" in c.get("class") for c in circles) == sum(r["published_precision"] == "day" for r in rows)
    last_lane = max(float(c.get("cy")) for c in circles)
    assert sum(float(c.get("cy")) == last_lane for c in circles) == sum(
        r["outlet"] not in lanes[:-1] for r in rows)  # the outlets beyond the cap, on the shared lane
    assert "2 undated articles not shown" in notes(root)


def _style_of(classes: set[str], style: str) -> dict[str, str]:
    """What the SVG's stylesheet gives an element of these classes (rules of class selectors only:
    the most classes win, then the later rule), as a browser would."""
    found: dict[str, tuple] = {}
    for order, (selector, body) in enumerate(re.findall(r"([^{}]+)\{([^}]*)\}", style)):
        for one in selector.split(","):
            wanted = set(re.findall(r"\.([\w-]+)", one))
            if not wanted or not wanted <= classes:
                continue
            for decl in filter(None, (d.strip() for d in body.split(";"))):
                prop, value = (x.strip() for x in decl.split(":", 1))
                if (len(wanted), order) >= found.get(prop, ((0, -1), ""))[0]:
                    found[prop] = ((len(wanted), order), value)
    return {prop: value for prop, (_, value) in found.items()}


def test_the_earliest_member_dated_to_the_day_is_hollow_and_orange():
    """The caption: hollow when dated only to the day, the earliest in orange; the earliest known only to
    the day (the seed corpus's TRT World) is both, not a solid dot that hides its precision."""
    rows = [{"article_id": 1, "outlet": "A", "published": "2022-02-03", "published_precision": "day", "passages": 1},
            {"article_id": 2, "outlet": "B", "published": "2022-02-04T10:00:00Z", "published_precision": "minute",
             "passages": 1}]
    root = svg_of(charts.cluster_svg({"cluster": 1, "rows": rows, "undated": {"articles": 0}}))
    style = "".join(s.text for s in root.iter(f"{SVG}style"))
    circles = [c for c in root.iter(f"{SVG}circle") if "member" in c.get("class").split()]
    origin, later = (_style_of(set(c.get("class").split()), style) for c in circles)
    assert origin["fill"] == "#fff" and origin["stroke"] == "#c05621"
    assert later["fill"] == "#2b6cb0"
    rows[0]["published"], rows[0]["published_precision"] = "2022-02-03T09:00:00Z", "minute"
    root = svg_of(charts.cluster_svg({"cluster": 1, "rows": rows, "undated": {"articles": 0}}))
    first = next(c for c in root.iter(f"{SVG}circle") if "member" in c.get("class").split())
    assert _style_of(set(first.get("class").split()), style)["fill"] == "#c05621"  # dated to the minute: solid


@pytest.mark.asyncio
async def test_hostile_names_stay_text(corpus):
    ds = Datasette([str(corpus)])
    name = tilde_encode(XSS_OUTLET)
    for path in (f"{BASE}/outlet/{name}.svg", f"{BASE}/cluster/1.svg"):
        r = await ds.client.get(path)
        assert r.status_code == 200, path
        root = svg_of(r.text)
        assert "<b>" not in r.text and "&lt;b&gt;" in r.text, path
        assert not [e for e in root.iter() if e.tag in (f"{SVG}b", f"{SVG}script", f"{SVG}foreignObject")]
    cluster = svg_of((await ds.client.get(f"{BASE}/cluster/1.svg")).text)
    assert XSS_OUTLET in {c.get("data-outlet") for c in cluster.iter(f"{SVG}circle")}
    assert (await ds.client.get(f"{BASE}/outlet/{name}.json")).json()["outlet"] == XSS_OUTLET


def test_svg_drops_characters_xml_cannot_hold():
    data = {"outlet": "A\x00B\x1f", "bucket": "week", "undated": {"articles": 0, "derivations": 0},
            "rows": [{"period": "2022-01-03", "source": "S\x07", "source_kind": "upstream", "derivations": 2,
                      "shared_chars": 1}], "sources": [{"source": "S\x07", "derivations": 2}]}
    root = svg_of(charts.outlet_svg(data))
    assert root.find(f"{SVG}title").text == "What AB took, by week and source"


@pytest.mark.asyncio
async def test_pages_show_their_chart_and_link_its_data(corpus):
    ds = Datasette([str(corpus)])
    for page, chart in (("", "overview"), ("/outlet/Islam+Times", "outlet/Islam+Times"), ("/cluster/1", "cluster/1")):
        html = (await ds.client.get(f"/corpus/-/provenance{page}")).text
        assert f'<img src="{BASE}/{chart}.svg"' in html, page
        for fmt in ("json", "csv"):
            assert f'href="{BASE}/{chart}.{fmt}"' in html, (page, fmt)
    # an upstream source takes nothing: its page has no chart of what it took
    assert "prov-chart" not in (await ds.client.get("/corpus/-/provenance/outlet/AFP")).text


@pytest.mark.asyncio
@pytest.mark.parametrize("path,status", [
    ("outlet/AFP.json", 404), ("outlet/Nobody.svg", 404), ("cluster/999999.json", 404), ("cluster/x.csv", 404),
    ("cluster/-1.svg", 404), ("overview.png", 404), ("overview", 404), ("cluster/1.json", 200),
])
async def test_unknown_charts(corpus, path, status):
    ds = Datasette([str(corpus)])
    r = await ds.client.get(f"{BASE}/{path}")
    assert r.status_code == status, (path, r.text[:200])


CHART_PATHS = {charts.overview_chart: [f"{BASE}/overview.json", f"{BASE}/overview.svg", f"{BASE}/overview.csv"],
               charts.outlet_chart: [f"{BASE}/outlet/Islam+Times.json", f"{BASE}/outlet/Sputnik.svg"],
               charts.cluster_chart: [f"{BASE}/cluster/1.json", f"{BASE}/cluster/1.svg"]}


@pytest.mark.asyncio
@pytest.mark.parametrize("table", sorted({t for c in charts.CHARTS for t in c.TABLES}))
async def test_a_hidden_table_refuses_the_charts_that_read_it(corpus, table):
    ds = Datasette([str(corpus)], metadata={"databases": {"corpus": {"tables": {table: {"allow": False}}}}})
    for chart, paths in CHART_PATHS.items():
        for path in paths:
            r = await ds.client.get(path)
            assert r.status_code == (403 if table in chart.TABLES else 200), (table, path, r.status_code)
            if r.status_code == 403:
                assert "TRT World" not in r.text and "Islam Times" not in r.text


@pytest.mark.asyncio
async def test_charts_read_only_the_tables_they_check(corpus):
    from datasette.plugins import pm
    from test_security import TableRecorder

    recorder = TableRecorder()
    pm.register(recorder, name="test-charts-table-recorder")
    try:
        for chart, paths in CHART_PATHS.items():
            for path in paths:
                # New connections for each: SQLite asks the authorizer only when it prepares a statement.
                ds = Datasette([str(corpus)])
                await ds.client.get("/corpus/-/provenance/graph.json")  # schema read, reads nothing of the chart's
                recorder.reset(recording=True)
                r = await ds.client.get(path)
                recorder.recording = False
                assert r.status_code == 200, path
                assert recorder.tables, path
                assert recorder.tables <= set(chart.TABLES), (path, sorted(recorder.tables - set(chart.TABLES)))
                assert not recorder.writes, path
    finally:
        pm.unregister(name="test-charts-table-recorder")


# ------------------------------------------------------------------ in a real browser (test_security's harness)

import test_security  # noqa: E402
from test_security import Visit, hostile_pages  # noqa: E402

browser, server, hostile = test_security.browser, test_security.server, test_security.hostile  # its fixtures, here


def test_hostile_charts_run_nothing_and_draw_as_images(browser, server, hostile):
    """Each chart of the hostile corpus, opened as a document, runs nothing; on its page it is an image
    the browser can draw (a malformed SVG would be a broken image)."""
    pages = hostile_pages(*hostile)
    outlets = [p.rsplit("/", 1)[1] for p in pages["outlets"]]
    clusters = [p.rsplit("/", 1)[1] for p in pages["clusters"]]
    assert outlets and clusters
    base = "/corpus/-/provenance"
    svgs = [f"{base}/chart/overview.svg"] + [f"{base}/chart/cluster/{c}.svg" for c in clusters]
    with closing(sqlite3.connect(hostile[0])) as conn:
        own = {tilde_encode(o) for (o,) in conn.execute("select distinct outlet from articles where outlet is not null")}
    svgs += [f"{base}/chart/outlet/{o}.svg" for o in outlets if o in own]
    visit = Visit(browser, server)
    drawn = {}
    try:
        for path in svgs:
            visit.open(path)
        for page in [base, pages["clusters"][0], *[p for p in pages["outlets"] if p.rsplit("/", 1)[1] in own][:3]]:
            visit.open(page)
            img = visit.page.locator("figure.prov-chart img")
            img.scroll_into_view_if_needed()  # loaded lazily: once in view
            visit.page.wait_for_function("() => document.querySelector('figure.prov-chart img').complete")
            drawn[page] = visit.page.evaluate(
                "() => Array.from(document.querySelectorAll('figure.prov-chart img'))"
                ".map(img => img.complete && img.naturalWidth > 0)")
    finally:
        visit.close()
    assert visit.problems == [], "\n".join(visit.problems[:20])
    assert all(v == [True] for v in drawn.values()) and len(drawn) >= 3, drawn
