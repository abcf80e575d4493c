"""``/<db>/-/provenance/graph``: the derivation network between outlets and upstream sources.

Drawn on the server as SVG with a deterministic circular layout (no script, nothing fetched), and
exported as GraphML (for Gephi), CSV, SVG and JSON. Every export is built with ``xml.etree`` or
``csv``, so names are escaped; ``?since=``/``?until=`` filter on the derived article's date, which
leaves out the undated articles: the page and its JSON say how many.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET

from datasette.utils.asgi import BadRequest, Response
from markupsafe import Markup

from ..provenance import UNKNOWN_OUTLET, UNKNOWN_SOURCE, graph_edges, graph_nodes
from .common import Urls, base_context, date_param, html, json_response, open_database, page_param

ROUTE = r"^/(?P<database>[^/]+)/-/provenance/graph(\.(?P<format>json|graphml|csv|svg))?$"
TABLES = ("articles", "derivations", "outlet_edges", "graph_nodes", "graph_edges")  # the edges are counted from these
MAX_SVG_NODES = 40
MAX_SVG_EDGES = 120  # more arrows than this between 40 circles is a hairball, and a slow page
EDGES_PAGE = 200
SVG_STYLE = """
.edge-line { fill: none; stroke: #7a8ca5; stroke-opacity: 0.75; }
.loop { fill: none; stroke: #7a8ca5; }
.arrow-head { fill: #7a8ca5; }
.edge-label { font: bold 14px sans-serif; fill: #333; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.node circle { fill: #2b6cb0; fill-opacity: 0.85; stroke: #fff; stroke-width: 2; }
.node.upstream circle { fill: #c05621; }
.node.speaker circle { fill: #6b46c1; }
.node-label { font: 15px sans-serif; fill: #111; }
.node a:hover circle { fill-opacity: 1; stroke: #111; }
"""
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


async def view(datasette, request):
    db = await open_database(datasette, request, TABLES)
    urls = Urls(datasette, db.name)
    since, until = date_param(request, "since"), date_param(request, "until")
    if since is not None and until is not None and since > until:
        raise BadRequest(f"?since={since} is after ?until={until}: no day is in between; swap them")
    page = page_param(request, size=EDGES_PAGE)
    fmt = request.url_vars.get("format")
    stem = re.sub(r"[^\w.-]", "_", db.name, flags=re.ASCII) + "-provenance-graph"
    if fmt in ("graphml", "csv", "svg"):  # the downloads have every edge
        nodes, edges = await network(db, since, until)
        if fmt == "graphml":
            return _download(graphml(nodes, edges), "application/graphml+xml; charset=utf-8", f"{stem}.graphml")
        if fmt == "csv":
            return _download(edges_csv(edges), "text/csv; charset=utf-8", f"{stem}.csv")
        return _download(draw_svg(nodes, edges, urls)[0], "image/svg+xml; charset=utf-8", f"{stem}.svg")
    # The page and its JSON list the edges a page at a time (busiest first).
    nodes, count, shown_edges, drawable = await network_page(db, since, until, page.offset, page.size)
    pagination = page.info(count)
    undated = await left_out(db) if since is not None or until is not None else None
    if fmt == "json":
        return json_response({"database": db.name, "since": since, "until": until, "undated_left_out": undated,
                              "nodes": nodes, "edges": shown_edges, "edges_pagination": pagination})
    svg, shown = draw_svg(nodes, drawable, urls)
    context = base_context(db.name, urls, "Derivation network", urls.graph("json", since=since, until=until))
    context.update({
        "since": since, "until": until, "undated_left_out": undated,
        "nodes": nodes, "edges": shown_edges, "edges_pagination": pagination,
        "svg": Markup(svg), "shown_nodes": shown,
        "max_svg_nodes": MAX_SVG_NODES, "max_svg_edges": MAX_SVG_EDGES,
        "exports": {f: urls.graph(f, since=since, until=until) for f in ("graphml", "csv", "svg", "json")},
    })
    return await html(datasette, request, "provenance_graph.html", context)


async def network(db, since: str | None, until: str | None) -> tuple[list[dict], list[dict]]:
    """Nodes (outlets and upstream sources) and directed edges source → derived outlet, busiest first."""
    if since is None and until is None:  # the loader keeps the whole corpus's graph
        return await _stored_nodes(db), await _stored_edges(db)
    # Summed per day on each request; tuples until the end: a dict per row is measurable at 10^4 edges.
    records = await db.execute("""
        select source, target, source_kind, relation, sum(derivations), sum(shared_chars) from outlet_edges
        where (:since is null or day >= :since) and (:until is null or day <= :until)
        group by 1, 2, 3, 4
    """, {"since": since, "until": until})
    edges = graph_edges(records.rows)
    nodes = graph_nodes(edges)
    return ([_node((k, *v)) for k, v in sorted(nodes.items(), key=lambda kv: (-kv[1][3], kv[0]))],
            [_edge((s, t, n, c, r)) for (s, t), (n, c, r, _) in sorted(edges.items(), key=lambda e: (-e[1][0], e[0]))])


async def left_out(db) -> dict:
    """What a date filter leaves out: the undated articles, and the derivations into undated articles
    (their edges have no day). Both read an index's null range only: articles_published, outlet_edges_day."""
    result = await db.execute("""
        select (select count(*) from articles where published is null),
               (select coalesce(sum(derivations), 0) from outlet_edges where day is null and source_kind != 'speaker')
    """)
    articles, derivations = result.rows[0]
    return {"articles": articles, "derivations": derivations}


async def network_page(
    db, since: str | None, until: str | None, offset: int, size: int
) -> tuple[list[dict], int, list[dict], list[dict]]:
    """Every node, the number of edges, one page of edges, and the edges the drawing may need.

    Without a date filter this reads a page of the loader's graph rows, so its cost does not grow
    with the number of edges (which can approach the number of derivations).
    """
    if since is not None or until is not None:
        nodes, edges = await network(db, since, until)
        return nodes, len(edges), edges[offset:offset + size], _among(nodes, edges)
    nodes = await _stored_nodes(db)
    count = (await db.execute("select count(*) from graph_edges")).rows[0][0]
    names = [n["id"] for n in nodes[:MAX_SVG_NODES]]
    marks = ", ".join("?" * len(names))
    return (nodes, count, await _stored_edges(db, "limit ? offset ?", [size, offset]),
            await _stored_edges(db, f"limit {MAX_SVG_EDGES}", names + names,
                                f"where source in ({marks}) and target in ({marks})"))


NODE_FIELDS = ("id", "kind", "given", "taken", "volume", "shared_chars")


async def _stored_nodes(db) -> list[dict]:
    rows = await db.execute(f"select {', '.join(NODE_FIELDS)} from graph_nodes order by volume desc, id")
    return [_node(r) for r in rows.rows]


async def _stored_edges(db, limit: str = "", params: list | None = None, where: str = "") -> list[dict]:
    """The loader's graph edges, busiest first."""
    rows = await db.execute(f"select source, target, derivations, shared_chars, relations from graph_edges {where}"
                            f" order by derivations desc, source, target {limit}", params or [])
    return [_edge(r) for r in rows.rows]


def _node(r) -> dict:
    return dict(zip(NODE_FIELDS, r))


def _edge(r) -> dict:
    source, target, n, chars, relations = r
    return {"source": source, "target": target, "count": n, "shared_chars": chars,
            "relations": json.loads(relations) if isinstance(relations, str) else dict(sorted(relations.items()))}


def _among(nodes: list[dict], edges: list[dict]) -> list[dict]:
    names = {n["id"] for n in nodes[:MAX_SVG_NODES]}
    return [e for e in edges if e["source"] in names and e["target"] in names][:MAX_SVG_EDGES]


def _clean(text) -> str:
    return _XML_INVALID.sub("", str(text))


def graphml(nodes: list[dict], edges: list[dict]) -> str:
    root = ET.Element("graphml", {"xmlns": "http://graphml.graphdrawing.org/xmlns"})
    keys = [("label", "node", "string"), ("kind", "node", "string"), ("volume", "node", "int"),
            ("given", "node", "int"), ("taken", "node", "int"), ("weight", "edge", "int"),
            ("shared_chars", "edge", "int"), ("relations", "edge", "string")]
    for name, for_, type_ in keys:
        ET.SubElement(root, "key", {"id": name, "for": for_, "attr.name": name, "attr.type": type_})
    graph = ET.SubElement(root, "graph", {"id": "provenance", "edgedefault": "directed"})
    ids = {}
    for i, n in enumerate(nodes):
        ids[n["id"]] = f"n{i}"
        el = ET.SubElement(graph, "node", {"id": f"n{i}"})
        for key, value in (("label", n["id"]), ("kind", n["kind"]), ("volume", n["volume"]),
                           ("given", n["given"]), ("taken", n["taken"])):
            ET.SubElement(el, "data", {"key": key}).text = _clean(value)
    for i, e in enumerate(edges):
        el = ET.SubElement(graph, "edge", {"id": f"e{i}", "source": ids[e["source"]], "target": ids[e["target"]]})
        relations = ", ".join(f"{k}: {v}" for k, v in sorted(e["relations"].items()))
        for key, value in (("weight", e["count"]), ("shared_chars", e["shared_chars"]), ("relations", relations)):
            ET.SubElement(el, "data", {"key": key}).text = _clean(value)
    ET.indent(root)
    return "<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(root, encoding="unicode") + "\n"


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def edges_csv(edges: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "target", "count", "shared_chars", "relations"])
    for e in edges:
        relations = "; ".join(f"{k}: {v}" for k, v in sorted(e["relations"].items()))
        writer.writerow([_cell(e["source"]), _cell(e["target"]), e["count"], e["shared_chars"], _cell(relations)])
    return out.getvalue()


def draw_svg(nodes: list[dict], edges: list[dict], urls: Urls) -> tuple[str, list[dict]]:
    """A circular layout of the busiest nodes and the busiest edges between them, sized by volume,
    edges curved and labelled with counts."""
    shown = nodes[:MAX_SVG_NODES]
    drawn = _among(nodes, edges)  # busiest first
    size, margin = 600, 140
    cx = cy = size / 2 + margin
    ring = size / 2 - 30 if len(shown) > 1 else 0
    top = max((n["volume"] for n in shown), default=1) or 1
    top_edge = max((e["count"] for e in drawn), default=1) or 1
    place = {}
    for i, n in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, len(shown))
        place[n["id"]] = (cx + ring * math.cos(angle), cy + ring * math.sin(angle), angle,
                          8 + 22 * math.sqrt(n["volume"] / top))
    total = size + 2 * margin
    svg = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {total} {total}",
                             "width": str(total), "height": str(total), "class": "provenance-graph",
                             "role": "img", "aria-labelledby": "graph-title"})
    ET.SubElement(svg, "title", {"id": "graph-title"}).text = (
        f"Derivations between {len(shown)} outlets and sources: arrows point from source to the outlet that took")
    ET.SubElement(svg, "style").text = SVG_STYLE
    defs = ET.SubElement(svg, "defs")
    marker = ET.SubElement(defs, "marker", {"id": "arrow", "viewBox": "0 0 10 10", "refX": "9", "refY": "5",
                                            "markerUnits": "userSpaceOnUse", "markerWidth": "12",
                                            "markerHeight": "12", "orient": "auto-start-reverse"})
    ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "class": "arrow-head"})
    edge_layer = ET.SubElement(svg, "g", {"class": "edges"})
    for e in drawn:
        x1, y1, _, r1 = place[e["source"]]
        x2, y2, angle2, r2 = place[e["target"]]
        width = f"{1 + 4 * math.sqrt(e['count'] / top_edge):.1f}"
        group = ET.SubElement(edge_layer, "g", {"class": "edge", "data-source": _clean(e["source"]),
                                                "data-target": _clean(e["target"])})
        ET.SubElement(group, "title").text = _clean(
            f"{e['source']} → {e['target']}: {e['count']} derivations, {e['shared_chars']} characters shared")
        if e["source"] == e["target"]:  # reuse inside one outlet: a loop beside the node, along the ring
            side = angle2 + math.pi / 2
            lx, ly = x2 + (r2 + 10) * math.cos(side), y2 + (r2 + 10) * math.sin(side)
            ET.SubElement(group, "circle", {"cx": f"{lx:.1f}", "cy": f"{ly:.1f}", "r": "12", "class": "loop",
                                            "stroke-width": width})
            label_at = (lx + 22 * math.cos(side), ly + 22 * math.sin(side))
        else:
            dx, dy = x2 - x1, y2 - y1
            # Bend every edge to its right, so A→B and B→A are two curves, not one line.
            qx, qy = (x1 + x2) / 2 + dy * 0.15, (y1 + y2) / 2 - dx * 0.15
            sx, sy = _towards(x1, y1, qx, qy, r1)
            tx, ty = _towards(x2, y2, qx, qy, r2 + 2)
            ET.SubElement(group, "path", {"d": f"M {sx:.1f} {sy:.1f} Q {qx:.1f} {qy:.1f} {tx:.1f} {ty:.1f}",
                                          "class": "edge-line", "stroke-width": width, "marker-end": "url(#arrow)"})
            label_at = (0.25 * sx + 0.5 * qx + 0.25 * tx, 0.25 * sy + 0.5 * qy + 0.25 * ty)
        ET.SubElement(group, "text", {"x": f"{label_at[0]:.1f}", "y": f"{label_at[1]:.1f}",
                                      "class": "edge-label", "text-anchor": "middle",
                                      "dominant-baseline": "middle"}).text = str(e["count"])
    node_layer = ET.SubElement(svg, "g", {"class": "nodes"})
    for n in shown:
        x, y, angle, r = place[n["id"]]
        group = ET.SubElement(node_layer, "g", {"class": f"node {n['kind']}", "data-name": _clean(n["id"])})
        known = n["id"] not in (UNKNOWN_OUTLET, UNKNOWN_SOURCE)
        link = ET.SubElement(group, "a", {"href": urls.outlet(n["id"]) if known else "#"})
        ET.SubElement(link, "title").text = _clean(
            f"{n['id']} ({n['kind']}): gave {n['given']}, took {n['taken']} derivations")
        ET.SubElement(link, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": f"{r:.1f}"})
        lx, ly = x + (r + 6) * math.cos(angle), y + (r + 6) * math.sin(angle)
        anchor = "start" if math.cos(angle) > 0.2 else "end" if math.cos(angle) < -0.2 else "middle"
        if len(shown) == 1:
            lx, ly, anchor = x, y + r + 16, "middle"
        ET.SubElement(link, "text", {"x": f"{lx:.1f}", "y": f"{ly:.1f}", "text-anchor": anchor,
                                     "dominant-baseline": "middle", "class": "node-label"}).text = _clean(n["id"])
    return ET.tostring(svg, encoding="unicode"), shown


def _towards(x: float, y: float, px: float, py: float, distance: float) -> tuple[float, float]:
    dx, dy = px - x, py - y
    d = math.hypot(dx, dy) or 1
    return x + dx / d * distance, y + dy / d * distance


def _download(body: str, content_type: str, filename: str) -> Response:
    return Response(body, status=200, content_type=content_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
