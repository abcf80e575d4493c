"""Reuse over time, as charts drawn on the server: ``/<db>/-/provenance/chart/…{.svg,.json,.csv}``.

* ``chart/overview``: derivations by day (by week or month when the corpus spans years), read from
  the loader's per-day ``outlet_edges`` (speakers left out: they are a layer above the agencies).
* ``chart/outlet/<name>``: what an outlet took from each source, week by week, the busiest sources
  stacked and the rest summed; read through the outlet's articles (index ``articles_outlet``), as the
  outlet page does. Reuse inside the outlet (``same-outlet``) is not taking and is left out; nor is a
  link of undetermined direction (its stored source is arbitrary): those are counted, not drawn.
* ``chart/cluster/<id>``: the member articles of a shared statement by publication time, one lane per
  outlet.

Each chart's data is its ``.json`` (the rows) and ``.csv`` (the same rows); the ``.svg`` draws them.
Undated articles have no place on a time axis: they are left out and counted ("N undated not shown").
The SVG is built with ``xml.etree`` (every name escaped, characters XML forbids removed) and the CSV
with ``csv`` (cells a spreadsheet would run as formulas quoted), as on the graph page.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import NotFound, Response

from ..provenance import graph_name
from .common import Urls, int_param, json_response, open_database, parse_published, rows, timeline_key

FORMATS = ("json", "csv", "svg")
_BASE = r"^/(?P<database>[^/]+)/-/provenance/chart/"
_FORMAT = r"\.(?P<format>json|csv|svg)$"
MAX_DAYS = 400  # more days than this are drawn by week; more weeks than this, by month
TOP_SOURCES = 6  # sources drawn one by one on an outlet's chart; the rest are summed
MAX_LANES = 24  # outlets on a cluster's timeline; the rest share one lane
OTHER_SOURCES = "(other sources)"
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
COLOURS = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030", "#718096")
SVG_STYLE = """
text { font: 13px sans-serif; fill: #222; }
.chart-title { font-weight: bold; font-size: 15px; }
.axis line, .axis path { stroke: #888; fill: none; }
.axis .grid { stroke: #ddd; }
.note { fill: #666; font-style: italic; }
.lane { stroke: #eee; }
.member { fill: #2b6cb0; fill-opacity: 0.8; stroke: #fff; }
.member.day-only { fill: #fff; stroke: #2b6cb0; stroke-width: 2; }
.member.origin { fill: #c05621; }
.member.day-only.origin { fill: #fff; stroke: #c05621; }
"""


def chart_url(urls: Urls, kind: str, fmt: str, key=None) -> str:
    """The URL of a chart's SVG, JSON or CSV (``kind``: overview, outlet or cluster)."""
    if kind == "overview":
        return f"{urls.base}/chart/overview.{fmt}"
    if kind == "outlet":
        return f"{urls.base}/chart/outlet/{tilde_encode(key)}.{fmt}"
    return f"{urls.base}/chart/cluster/{int(key)}.{fmt}"


def chart_links(urls: Urls, kind: str, key=None, alt: str = "") -> dict:
    """What a page needs to show a chart: its URLs and a text alternative."""
    return {**{fmt: chart_url(urls, kind, fmt, key) for fmt in FORMATS}, "alt": alt}


def _clean(text) -> str:
    """Text for the SVG: characters XML cannot hold removed (``xml.etree`` escapes the rest)."""
    return _XML_INVALID.sub("", str(text))


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---------------------------------------------------------------- periods


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def bucket_of(day: date, bucket: str) -> date:
    if bucket == "week":  # the Monday of its week
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def _next(period: date, bucket: str) -> date:
    if bucket == "week":
        return period + timedelta(days=7)
    if bucket == "month":
        return (period.replace(day=28) + timedelta(days=4)).replace(day=1)
    return period + timedelta(days=1)


def choose_bucket(days: list[date]) -> str:
    if not days:
        return "day"
    span = (max(days) - min(days)).days + 1
    return "day" if span <= MAX_DAYS else "week" if span <= MAX_DAYS * 7 else "month"


def periods(first: date, last: date, bucket: str) -> list[date]:
    """Every period from the first to the last, empty ones too: a gap in reuse is data."""
    out, p = [], bucket_of(first, bucket)
    while p <= last:
        out.append(p)
        p = _next(p, bucket)
    return out


# ---------------------------------------------------------------- data


async def overview_data(db) -> dict:
    """Derivations (and characters shared) per day of the derived article, from the per-day edges."""
    found = await rows(db, """
        select day, sum(derivations) as derivations, sum(shared_chars) as shared_chars from outlet_edges
        where day is not null and source_kind != 'speaker' group by day
    """)
    # The undated: articles, and derivations into them (their edges have no day); both read an
    # index's null range only (articles_published, outlet_edges_day).
    undated = (await rows(db, """
        select (select count(*) from articles where published is null) as articles,
               (select coalesce(sum(derivations), 0) from outlet_edges where day is null and source_kind != 'speaker')
               as derivations
    """))[0]
    counts: dict[date, list[int]] = {}
    for r in found:
        d = _day(r["day"])
        if d is None:  # not a date: undated as far as a time axis can tell
            undated["derivations"] += r["derivations"]
            continue
        counts[d] = counts.get(d, [0, 0])
        counts[d][0] += r["derivations"]
        counts[d][1] += r["shared_chars"]
    bucket = choose_bucket(list(counts))
    summed: dict[date, list[int]] = {}
    for d, (n, chars) in counts.items():
        s = summed.setdefault(bucket_of(d, bucket), [0, 0])
        s[0] += n
        s[1] += chars
    out = [{"period": p.isoformat(), "derivations": summed.get(p, [0, 0])[0], "shared_chars": summed.get(p, [0, 0])[1]}
           for p in (periods(min(summed), max(summed), bucket) if summed else [])]
    return {"chart": "overview", "bucket": bucket, "measure": "derivations", "rows": out, "undated": undated}


async def outlet_data(db, name: str) -> dict:
    """What an outlet took from each source, per week (month over long spans), busiest sources first."""
    from .outlet import _own  # the outlet page's choice of articles, "(unknown outlet)" included

    own, args = _own(name), {"name": name}
    counted = (await rows(db, f"""
        select count(*) as articles, count(*) - count(a.published) as undated from articles a where {own}
    """, args))[0]
    if not counted["articles"]:
        raise NotFound("No outlet of that name has articles in this corpus")
    found = await rows(db, f"""
        select substr(a.published, 1, 10) as day, coalesce(sa.outlet, d.source_name) as source,
               case when d.source_article_id is null then 'upstream' else 'outlet' end as source_kind,
               count(*) as derivations, coalesce(sum(d.shared_chars), 0) as shared_chars
        from articles a
        join derivations d on d.derived_article_id = a.id
        left join articles sa on sa.id = d.source_article_id
        where {own} and d.relation not in ('same-outlet', 'undetermined')
        group by 1, 2, 3
    """, args)
    # Stored on either side of the link: its articles' derivations and sources (index on each column).
    undetermined = (await rows(db, f"""
        select count(distinct d.id) as n from articles a
        join derivations d on d.derived_article_id = a.id or d.source_article_id = a.id
        where {own} and d.relation = 'undetermined'
    """, args))[0]["n"]
    undated_derivations = 0
    dated = []
    for r in found:
        d = _day(r["day"])
        if d is None:
            undated_derivations += r["derivations"]
        else:
            dated.append((d, graph_name(r["source"], r["source_kind"]), r["source_kind"], r))
    span = [d for d, *_ in dated]
    bucket = "week" if not span or (max(span) - min(span)).days + 1 <= MAX_DAYS * 7 else "month"
    summed: dict[tuple, list[int]] = {}
    totals: dict[str, int] = {}
    for d, source, kind, r in dated:
        s = summed.setdefault((bucket_of(d, bucket), source, kind), [0, 0])
        s[0] += r["derivations"]
        s[1] += r["shared_chars"]
        totals[source] = totals.get(source, 0) + r["derivations"]
    ranked = sorted(totals, key=lambda s: (-totals[s], s))
    order = {s: i for i, s in enumerate(ranked)}
    keys = sorted(summed, key=lambda k: (k[0], order[k[1]], k[2]))  # by period, busiest source first
    out = [{"period": p.isoformat(), "source": source, "source_kind": kind, "derivations": summed[p, source, kind][0],
            "shared_chars": summed[p, source, kind][1]} for p, source, kind in keys]
    return {"chart": "outlet", "outlet": name, "bucket": bucket, "measure": "derivations taken",
            "sources": [{"source": s, "derivations": totals[s]} for s in ranked], "rows": out,
            "undated": {"articles": counted["undated"], "derivations": undated_derivations},
            "undetermined": undetermined}


async def cluster_data(db, cid: int) -> dict:
    """The member articles of a shared statement by publication time (each article once)."""
    found = await rows(db, "select id, articles, outlets from clusters where id = ?", [cid])
    if not found:
        raise NotFound("Cluster not found")
    members = await rows(db, """
        select m.article_id, a.outlet, a.published, a.published_precision, count(*) as passages
        from cluster_members m join articles a on a.id = m.article_id
        where m.cluster_id = ? group by m.article_id
    """, [cid])
    members.sort(key=timeline_key)
    dated = [m for m in members if parse_published(m["published"]) is not None]
    return {"chart": "cluster", "cluster": cid, "measure": "member articles by publication time",
            "rows": [{"article_id": m["article_id"], "outlet": graph_name(m["outlet"]), "published": m["published"],
                      "published_precision": m["published_precision"], "passages": m["passages"]} for m in dated],
            "undated": {"articles": len(members) - len(dated)}}


# ---------------------------------------------------------------- CSV


def to_csv(data: dict) -> str:
    """The rows of a chart's JSON, one line each, under the same column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(data["rows"][0]) if data["rows"] else _COLUMNS[data["chart"]]
    writer.writerow(columns)
    for r in data["rows"]:
        writer.writerow(["" if r[c] is None else _cell(r[c]) if isinstance(r[c], str) else r[c] for c in columns])
    return out.getvalue()


_COLUMNS = {"overview": ["period", "derivations", "shared_chars"],
            "outlet": ["period", "source", "source_kind", "derivations", "shared_chars"],
            "cluster": ["article_id", "outlet", "published", "published_precision", "passages"]}


# ---------------------------------------------------------------- SVG


def _svg(width: int, height: int, title: str, css_class: str) -> ET.Element:
    svg = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {width} {height}",
                             "width": str(width), "height": str(height), "class": f"provenance-chart {css_class}",
                             "role": "img", "aria-labelledby": "chart-title"})
    ET.SubElement(svg, "title", {"id": "chart-title"}).text = _clean(title)
    ET.SubElement(svg, "style").text = SVG_STYLE
    ET.SubElement(svg, "text", {"x": "10", "y": "20", "class": "chart-title"}).text = _clean(title)
    return svg


def _note(svg: ET.Element, x: float, y: float, text: str) -> None:
    ET.SubElement(svg, "text", {"x": f"{x:.0f}", "y": f"{y:.0f}", "class": "note"}).text = _clean(text)


def undated_note(n: int, what: str) -> str:
    return f"{n:,} undated {what}{'' if n == 1 else 's'} not shown" if n else ""


def bar_chart(title: str, bucket: str, labels: list[str], series: list[tuple[str, list[int]]], notes: list[str],
              css_class: str) -> str:
    """Stacked bars, one per period; ``series`` are (name, a count per period), drawn bottom up."""
    left, right, top, plot_h = 60, 20, 40 + 18 * len(notes), 240
    n = max(1, len(labels))
    step = max(2.0, min(60.0, 900 / n))
    width = int(left + right + step * n)
    legend = [name for name, _ in series] if len(series) > 1 else []
    height = int(top + plot_h + 50 + 18 * len(legend))
    svg = _svg(max(width, 420), height, title, css_class)
    for i, text in enumerate(notes):
        _note(svg, 10, 40 + 18 * i, text)
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    base = top + plot_h
    axis = ET.SubElement(svg, "g", {"class": "axis"})
    ET.SubElement(axis, "line", {"x1": str(left), "y1": str(base), "x2": f"{left + step * n:.1f}", "y2": str(base)})
    ET.SubElement(axis, "line", {"x1": str(left), "y1": str(top), "x2": str(left), "y2": str(base)})
    for value in sorted({0, peak // 2, peak}):
        y = base - plot_h * value / peak
        ET.SubElement(axis, "line", {"x1": str(left), "y1": f"{y:.1f}", "x2": f"{left + step * n:.1f}", "y2": f"{y:.1f}",
                                     "class": "grid"})
        ET.SubElement(axis, "text", {"x": str(left - 6), "y": f"{y + 4:.1f}", "text-anchor": "end"}).text = str(value)
    every = max(1, -(-90 // int(step)))  # a date every 90 pixels or more, so that none overlap
    for i, label in enumerate(labels):
        if i % every == 0:
            x = left + step * (i + 0.5)
            ET.SubElement(axis, "text", {"x": f"{x:.1f}", "y": str(base + 16), "text-anchor": "middle",
                                         "class": "tick"}).text = _clean(label)
    bars = ET.SubElement(svg, "g", {"class": "bars"})
    for i, label in enumerate(labels):
        if not totals[i]:
            continue
        group = ET.SubElement(bars, "g", {"class": "bar", "data-period": _clean(label), "data-count": str(totals[i])})
        ET.SubElement(group, "title").text = _clean(f"{bucket} of {label}: {totals[i]}")
        y = base
        for k, (name, values) in enumerate(series):
            if not values[i]:
                continue
            h = plot_h * values[i] / peak
            y -= h
            seg = ET.SubElement(group, "rect", {
                "x": f"{left + step * i + step * 0.1:.1f}", "y": f"{y:.1f}", "width": f"{step * 0.8:.1f}",
                "height": f"{h:.1f}", "fill": COLOURS[k % len(COLOURS)], "class": "segment",
                "data-series": _clean(name), "data-count": str(values[i])})
            ET.SubElement(seg, "title").text = _clean(f"{name}, {bucket} of {label}: {values[i]}")
    for k, name in enumerate(legend):
        y = base + 34 + 18 * k
        item = ET.SubElement(svg, "g", {"class": "legend-item", "data-series": _clean(name)})
        ET.SubElement(item, "rect", {"x": str(left), "y": str(y - 10), "width": "12", "height": "12",
                                     "fill": COLOURS[k % len(COLOURS)]})
        ET.SubElement(item, "text", {"x": str(left + 18), "y": str(y)}).text = _clean(name)
    if not any(totals):
        _note(svg, left + 10, top + plot_h / 2, "Nothing dated to draw")
    return ET.tostring(svg, encoding="unicode")


def overview_svg(data: dict) -> str:
    labels = [r["period"] for r in data["rows"]]
    notes = [t for t in (undated_note(data["undated"]["derivations"], "derivation"),
                         undated_note(data["undated"]["articles"], "article")) if t]
    return bar_chart(f"Derivations by {data['bucket']} of the derived article", data["bucket"], labels,
                     [("derivations", [r["derivations"] for r in data["rows"]])], notes, "chart-overview")


def outlet_svg(data: dict) -> str:
    shown = [s["source"] for s in data["sources"][:TOP_SOURCES]]
    if len(data["sources"]) == TOP_SOURCES + 1:  # one more source is drawn rather than summed
        shown.append(data["sources"][TOP_SOURCES]["source"])
    index = {s: i for i, s in enumerate(shown)}
    rest = len(data["sources"]) > len(shown)
    days = [date.fromisoformat(r["period"]) for r in data["rows"]]
    labels = [p.isoformat() for p in periods(min(days), max(days), data["bucket"])] if days else []
    at = {label: i for i, label in enumerate(labels)}
    series = [(s, [0] * len(labels)) for s in shown] + ([(OTHER_SOURCES, [0] * len(labels))] if rest else [])
    for r in data["rows"]:
        k = index.get(r["source"], len(shown))
        series[k][1][at[r["period"]]] += r["derivations"]
    notes = [t for t in (undated_note(data["undated"]["derivations"], "derivation"),
                         undated_note(data["undated"]["articles"], "article")) if t]
    if data.get("undetermined"):
        n = data["undetermined"]
        notes.append(f"{n:,} link{'' if n == 1 else 's'} of undetermined direction not shown")
    if rest:
        notes.append(f"{len(data['sources']) - len(shown)} more sources summed as {OTHER_SOURCES}")
    return bar_chart(f"What {data['outlet']} took, by {data['bucket']} and source", data["bucket"], labels, series,
                     notes, "chart-outlet")


def cluster_svg(data: dict) -> str:
    """One lane per outlet (in order of first publication), a dot per member article at its time;
    hollow when the article is dated only to the day, orange for the earliest."""
    members = data["rows"]
    lanes: list[str] = []
    for m in members:
        if m["outlet"] not in lanes:
            lanes.append(m["outlet"])
    more = len(lanes) - MAX_LANES if len(lanes) > MAX_LANES else 0
    if more:
        more += 1
        lanes = lanes[:MAX_LANES - 1] + [f"({more} more outlets)"]
    lane_of = {name: i for i, name in enumerate(lanes)}
    notes = [t for t in (undated_note(data["undated"]["articles"], "article"),) if t]
    left, right, top, lane_h, plot_w = 200, 80, 44 + 18 * len(notes), 22, 640
    height = int(top + lane_h * max(1, len(lanes)) + 50)
    svg = _svg(left + plot_w + right, height, f"Statement {data['cluster']}: its articles by publication time",
               "chart-cluster")
    for i, text in enumerate(notes):
        _note(svg, 10, 40 + 18 * i, text)
    times = [parse_published(m["published"]) for m in members]
    if not members:
        _note(svg, left, top + 20, "Nothing dated to draw")
        return ET.tostring(svg, encoding="unicode")
    first, last = min(times), max(times)
    if last - first < timedelta(hours=1):
        first, last = first - timedelta(hours=12), last + timedelta(hours=12)
    span = (last - first).total_seconds()

    def x_of(t: datetime) -> float:
        return left + plot_w * (t - first).total_seconds() / span

    base = top + lane_h * len(lanes)
    axis = ET.SubElement(svg, "g", {"class": "axis"})
    ET.SubElement(axis, "line", {"x1": str(left), "y1": str(base), "x2": str(left + plot_w), "y2": str(base)})
    for k in range(5):
        t = first + (last - first) * k / 4
        label = t.strftime("%Y-%m-%d %H:%M") if span < 4 * 86400 else t.strftime("%Y-%m-%d")
        ET.SubElement(axis, "text", {"x": f"{x_of(t):.1f}", "y": str(base + 16), "text-anchor": "middle",
                                     "class": "tick"}).text = label
    for i, name in enumerate(lanes):
        y = top + lane_h * (i + 0.5)
        ET.SubElement(svg, "line", {"x1": str(left), "y1": f"{y:.1f}", "x2": str(left + plot_w), "y2": f"{y:.1f}",
                                    "class": "lane"})
        ET.SubElement(svg, "text", {"x": str(left - 8), "y": f"{y + 4:.1f}", "text-anchor": "end",
                                    "class": "lane-label"}).text = _clean(name[:40])
    dots = ET.SubElement(svg, "g", {"class": "members"})
    for j, (m, t) in enumerate(zip(members, times)):
        lane = lane_of.get(m["outlet"], len(lanes) - 1)
        day_only = m["published_precision"] == "day" or len(m["published"] or "") == 10
        dot = ET.SubElement(dots, "circle", {
            "cx": f"{x_of(t):.1f}", "cy": f"{top + lane_h * (lane + 0.5):.1f}", "r": "6",
            "class": "member" + (" day-only" if day_only else "") + (" origin" if j == 0 else ""),
            "data-article": str(m["article_id"]), "data-outlet": _clean(m["outlet"])})
        ET.SubElement(dot, "title").text = _clean(f"{m['outlet']}, {m['published']} (article {m['article_id']})")
    return ET.tostring(svg, encoding="unicode")


# ---------------------------------------------------------------- views


def _answer(data: dict, fmt: str, draw, stem: str) -> Response:
    if fmt == "json":
        return json_response(data)
    if fmt == "csv":
        return Response(to_csv(data), status=200, content_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{stem}.csv"'})
    # An SVG opened on its own is a document of this origin: it may not run or fetch anything.
    return Response(draw(data), status=200, content_type="image/svg+xml; charset=utf-8",
                    headers={"content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
                             "x-content-type-options": "nosniff"})


def _stem(database: str, what: str) -> str:
    return re.sub(r"[^\w.-]", "_", f"{database}-provenance-{what}", flags=re.ASCII)


class overview_chart:
    ROUTE = _BASE + "overview" + _FORMAT
    TABLES = ("articles", "outlet_edges")

    @staticmethod
    async def view(datasette, request):
        db = await open_database(datasette, request, overview_chart.TABLES)
        data = {"database": db.name, **await overview_data(db)}
        return _answer(data, request.url_vars["format"], overview_svg, _stem(db.name, "by-day"))


class outlet_chart:
    ROUTE = _BASE + r"outlet/(?P<outlet>[^/]+?)" + _FORMAT
    TABLES = ("articles", "derivations")

    @staticmethod
    async def view(datasette, request):
        db = await open_database(datasette, request, outlet_chart.TABLES)
        name = tilde_decode(request.url_vars["outlet"])
        data = {"database": db.name, **await outlet_data(db, name)}
        return _answer(data, request.url_vars["format"], outlet_svg, _stem(db.name, f"outlet-{name}"))


class cluster_chart:
    ROUTE = _BASE + r"cluster/(?P<id>[^/]+?)" + _FORMAT
    TABLES = ("clusters", "cluster_members", "articles")

    @staticmethod
    async def view(datasette, request):
        db = await open_database(datasette, request, cluster_chart.TABLES)
        cid = int_param(request.url_vars["id"], "Cluster")
        data = {"database": db.name, **await cluster_data(db, cid)}
        return _answer(data, request.url_vars["format"], cluster_svg, _stem(db.name, f"statement-{cid}"))


CHARTS = (overview_chart, outlet_chart, cluster_chart)


def routes() -> list[tuple[str, object]]:
    from . import _machine_formats

    return [(chart.ROUTE, _machine_formats(chart.view)) for chart in CHARTS]
