"""``/<db>/-/provenance/graph``: the derivation network between outlets and upstream sources.

Drawn on the server as SVG with a deterministic layout on an ellipse as wide as the page (no script,
nothing fetched), edge labels placed beside their edges clear of other lines where there is room, and
exported as GraphML (for Gephi), CSV, SVG and JSON. Every export is built with ``xml.etree`` or
``csv``, so names are escaped; ``?since=``/``?until=`` filter on the derived article's date, which
leaves out the undated articles: the page and its JSON say how many. ``?speakers=0`` leaves out the
quoted-speaker layer (speaker nodes and their speaker → agency edges) from the page and every export.
Only decided directions are drawn as arrows: the ``undetermined`` part of an edge is a plain line, and
``?undetermined=0`` leaves those derivations ("shares text with") out of the page and every export.
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

from ..provenance import graph_edges, graph_nodes
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
.edge-line.undetermined { stroke: #a0aec0; stroke-dasharray: 5 4; }
.edge-label { font: bold 14px sans-serif; fill: #333; paint-order: stroke; stroke: #fff; stroke-width: 4px;
  stroke-linejoin: round; }
.edge-label.undetermined { fill: #718096; font-weight: normal; }
.node circle { fill: #2b6cb0; fill-opacity: 0.85; stroke: #fff; stroke-width: 2; }
.node.upstream circle { fill: #c05621; }
.node.speaker circle { fill: #6b46c1; }
.node-label { font: 14px sans-serif; fill: #111; text-decoration: none; }
svg.provenance-graph a:link, svg.provenance-graph a:visited { text-decoration: none; }
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
    speakers = speakers_param(request)
    undetermined = switch_param(request, "undetermined", "the shared text of undetermined direction")
    # What every link carries.
    keep = {"since": since, "until": until, "speakers": None if speakers else "0",
            "undetermined": None if undetermined else "0"}
    fmt = request.url_vars.get("format")
    stem = re.sub(r"[^\w.-]", "_", db.name, flags=re.ASCII) + "-provenance-graph"
    if fmt in ("graphml", "csv", "svg"):  # the downloads have every edge
        nodes, edges = await network(db, since, until, speakers, undetermined)
        if fmt == "graphml":
            return _download(graphml(nodes, edges), "application/graphml+xml; charset=utf-8", f"{stem}.graphml")
        if fmt == "csv":
            return _download(edges_csv(edges), "text/csv; charset=utf-8", f"{stem}.csv")
        return _download(draw_svg(nodes, edges, urls)[0], "image/svg+xml; charset=utf-8", f"{stem}.svg")
    # The page and its JSON list the edges a page at a time (busiest first).
    nodes, count, shown_edges, drawable = await network_page(db, since, until, page.offset, page.size, speakers,
                                                             undetermined)
    pagination = page.info(count)
    undated = await left_out(db, undetermined) if since is not None or until is not None else None
    if fmt == "json":
        return json_response({"database": db.name, "since": since, "until": until, "speakers": speakers,
                              "undetermined": undetermined,
                              "undated_left_out": undated,
                              "nodes": nodes, "edges": shown_edges, "edges_pagination": pagination})
    svg, shown = draw_svg(nodes, drawable, urls)
    context = base_context(db.name, urls, "Derivation network", urls.graph("json", **keep))
    context.update({
        "since": since, "until": until, "undated_left_out": undated, "speakers": speakers,
        "speakers_toggle": urls.graph(**{**keep, "speakers": "0" if speakers else None}),
        "undetermined": undetermined,
        "undetermined_toggle": urls.graph(**{**keep, "undetermined": "0" if undetermined else None}),
        "clear_dates": urls.graph(**{**keep, "since": None, "until": None}),
        "nodes": nodes, "edges": shown_edges, "edges_pagination": pagination,
        "svg": Markup(svg), "shown_nodes": shown,
        "max_svg_nodes": MAX_SVG_NODES, "max_svg_edges": MAX_SVG_EDGES,
        "exports": {f: urls.graph(f, **keep) for f in ("graphml", "csv", "svg", "json")},
    })
    return await html(datasette, request, "provenance_graph.html", context)


def speakers_param(request) -> bool:
    """``?speakers=0`` leaves the quoted speakers out; ``1`` or nothing keeps them."""
    return switch_param(request, "speakers", "the quoted speakers")


def switch_param(request, name: str, what: str) -> bool:
    """``?<name>=0`` leaves ``what`` out; ``1`` or nothing keeps it."""
    value = request.args.get(name) or "1"
    if value not in ("0", "1"):
        raise BadRequest(f"?{name}= must be 0 (leave {what} out) or 1")
    return value == "1"


async def network(
    db, since: str | None, until: str | None, speakers: bool = True, undetermined: bool = True
) -> tuple[list[dict], list[dict]]:
    """Nodes (outlets and upstream sources) and directed edges source → derived outlet, busiest first."""
    if since is None and until is None and undetermined:  # the loader keeps the whole corpus's graph
        return await _stored_nodes(db, speakers), await _stored_edges(db, speakers=speakers)
    # Summed per day on each request; tuples until the end: a dict per row is measurable at 10^4 edges.
    records = await db.execute("""
        select source, target, source_kind, relation, sum(derivations), sum(shared_chars) from outlet_edges
        where (:since is null or day >= :since) and (:until is null or day <= :until)
          and (:speakers or source_kind != 'speaker') and (:undetermined or relation != 'undetermined')
        group by 1, 2, 3, 4
    """, {"since": since, "until": until, "speakers": int(speakers), "undetermined": int(undetermined)})
    edges = graph_edges(records.rows)
    nodes = graph_nodes(edges)
    return ([_node((k, *v)) for k, v in sorted(nodes.items(), key=lambda kv: (-kv[1][3], kv[0]))],
            [_edge((s, t, n, c, r)) for (s, t), (n, c, r, _) in sorted(edges.items(), key=lambda e: (-e[1][0], e[0]))])


async def left_out(db, undetermined: bool = True) -> dict:
    """What a date filter takes away from what the other filters keep: the undated articles, and the
    derivations into them (their edges have no day) that ``?undetermined=`` keeps, each once (the speaker
    layer counts some a second time; ``?speakers=`` hides that count, no derivation). Both read an index's
    null range only: articles_published, outlet_edges_day."""
    result = await db.execute("""
        select (select count(*) from articles where published is null),
               (select coalesce(sum(derivations), 0) from outlet_edges where day is null and source_kind != 'speaker'
                  and (:undetermined or relation != 'undetermined'))
    """, {"undetermined": int(undetermined)})
    articles, derivations = result.rows[0]
    return {"articles": articles, "derivations": derivations}


async def network_page(
    db, since: str | None, until: str | None, offset: int, size: int, speakers: bool = True,
    undetermined: bool = True
) -> tuple[list[dict], int, list[dict], list[dict]]:
    """Every node, the number of edges, one page of edges, and the edges the drawing may need.

    Without a date filter or ``undetermined`` switch this reads a page of the loader's graph rows, so its
    cost does not grow with the number of edges (which can approach the number of derivations).
    """
    if since is not None or until is not None or not undetermined:
        nodes, edges = await network(db, since, until, speakers, undetermined)
        return nodes, len(edges), edges[offset:offset + size], _among(nodes, edges)
    nodes = await _stored_nodes(db, speakers)
    count = (await db.execute(f"select count(*) from graph_edges {_NO_SPEAKERS[speakers]}")).rows[0][0]
    names = [n["id"] for n in nodes[:MAX_SVG_NODES]]
    marks = ", ".join("?" * len(names))
    return (nodes, count, await _stored_edges(db, "limit ? offset ?", [size, offset], speakers=speakers),
            await _stored_edges(db, f"limit {MAX_SVG_EDGES}", names + names,
                                f"source in ({marks}) and target in ({marks})", speakers))


NODE_FIELDS = ("id", "kind", "given", "taken", "volume", "shared_chars")


NOT_SPEAKER = "source_kind != 'speaker'"
_NO_SPEAKERS = {True: "", False: f"where {NOT_SPEAKER}"}


async def _stored_nodes(db, speakers: bool = True) -> list[dict]:
    rows = await db.execute(f"select {', '.join(NODE_FIELDS)} from graph_nodes order by volume desc, id")
    nodes = [_node(r) for r in rows.rows]
    if speakers:
        return nodes
    # Without the speaker layer: take the speaker edges out of their ends' totals, and drop the ends
    # (the speakers) that nothing else joins.
    by_name = {n["id"]: n for n in nodes}
    layer = await db.execute("select source, target, derivations, shared_chars from graph_edges"
                             " where source_kind = 'speaker'")
    for source, target, n, chars in layer.rows:
        for name, field in ((source, "given"), (target, "taken")):
            if name in by_name:
                by_name[name][field] -= n
        for name in {source, target}:
            if name in by_name:
                by_name[name]["volume"] -= n
                by_name[name]["shared_chars"] -= chars
    for n in nodes:  # a speaker also credited as a source (a person an outlet names) is drawn as one
        if n["kind"] == "speaker":
            n["kind"] = "upstream"
    return sorted((n for n in nodes if n["volume"] > 0), key=lambda n: (-n["volume"], n["id"]))


async def _stored_edges(db, limit: str = "", params: list | None = None, where: str = "",
                        speakers: bool = True) -> list[dict]:
    """The loader's graph edges, busiest first."""
    where = " and ".join(c for c in (where, "" if speakers else NOT_SPEAKER) if c)
    rows = await db.execute(f"select source, target, derivations, shared_chars, relations from graph_edges"
                            f" {'where ' + where if where else ''}"
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
        if not decided(e):  # shared text, no direction decided: an undirected edge
            el.set("directed", "false")
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


def decided(edge: dict) -> int:
    """The derivations of an edge whose direction was decided: all but the ``undetermined`` ones."""
    return edge["count"] - edge["relations"].get("undetermined", 0)


WIDTH, HEIGHT, MARGIN = 1400, 960, 200  # wider than tall: the drawing fills the page's width
LABELLED = 12  # the busiest edges are labelled even where every place for the label touches something
LABEL_LIMIT = 28  # node labels longer than this are cut (the full name is in the tooltip)


def draw_svg(nodes: list[dict], edges: list[dict], urls: Urls) -> tuple[str, list[dict]]:
    """The busiest nodes on an ellipse (outlets, then upstream sources, then speakers, each busiest first),
    sized by volume, and the busiest edges between them: an arrow for the derivations whose direction was
    decided, a dashed undirected line for a pair's undetermined ones. Edge labels go beside their edge
    where they touch no other edge, node or label."""
    shown = nodes[:MAX_SVG_NODES]
    drawn = _among(nodes, edges)  # busiest first
    cx, cy = WIDTH / 2, HEIGHT / 2
    rx, ry = (WIDTH / 2 - MARGIN, HEIGHT / 2 - MARGIN + 40) if len(shown) > 1 else (0, 0)
    top = max((n["volume"] for n in shown), default=1) or 1
    order = {"outlet": 0, "upstream": 1, "speaker": 2}
    ring = sorted(shown, key=lambda n: (order.get(n["kind"], 3), -n["volume"], n["id"]))
    place = {}
    for i, n in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * i / max(1, len(ring))
        x, y = cx + rx * math.cos(angle), cy + ry * math.sin(angle)
        place[n["id"]] = (x, y, math.atan2(y - cy, x - cx), 6 + 18 * math.sqrt(n["volume"] / top))
    arrows = [e for e in drawn if decided(e) > 0 or e["source"] == e["target"]]
    undirected: dict[tuple[str, str], int] = {}  # a pair's undetermined derivations, whichever way they were stored
    for e in drawn:
        n = e["relations"].get("undetermined", 0)
        if n and e["source"] != e["target"]:
            pair = tuple(sorted((e["source"], e["target"])))
            undirected[pair] = undirected.get(pair, 0) + n
    top_edge = max([decided(e) for e in arrows] + list(undirected.values()) + [1])

    svg = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "viewBox": f"0 0 {WIDTH} {HEIGHT}",
                             "width": str(WIDTH), "height": str(HEIGHT), "class": "provenance-graph",
                             "role": "img", "aria-labelledby": "graph-title"})
    ET.SubElement(svg, "title", {"id": "graph-title"}).text = (
        f"Derivations between {len(shown)} outlets and sources: arrows point from source to the outlet that took;"
        " dashed lines join outlets that share text with no direction decided")
    ET.SubElement(svg, "style").text = SVG_STYLE
    defs = ET.SubElement(svg, "defs")
    marker = ET.SubElement(defs, "marker", {"id": "arrow", "viewBox": "0 0 10 10", "refX": "9", "refY": "5",
                                            "markerUnits": "userSpaceOnUse", "markerWidth": "12",
                                            "markerHeight": "12", "orient": "auto-start-reverse"})
    ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "class": "arrow-head"})

    # The geometry first (busiest first), so that labels can be placed away from every line.
    shapes = []  # (kind, edge or pair, count, points along it, element attributes, label candidates)
    for (a, b), n in sorted(undirected.items(), key=lambda kv: (-kv[1], kv[0])):
        (x1, y1, _, r1), (x2, y2, _, r2) = place[a][:4], place[b][:4]
        sx, sy = _towards(x1, y1, x2, y2, r1)
        tx, ty = _towards(x2, y2, x1, y1, r2)
        points = [(sx + (tx - sx) * t, sy + (ty - sy) * t) for t in _steps(math.hypot(tx - sx, ty - sy))]
        shapes.append(("undirected", (a, b), n, points,
                       {"d": f"M {sx:.1f} {sy:.1f} L {tx:.1f} {ty:.1f}", "class": "edge-line undetermined"},
                       _beside(points, (cx, cy))))
    for e in arrows:
        x1, y1, _, r1 = place[e["source"]]
        x2, y2, angle2, r2 = place[e["target"]]
        if e["source"] == e["target"]:  # reuse inside one outlet: a loop inside the ring, towards the centre
            lx, ly = _towards(x2, y2, cx, cy, r2 + 10)
            points = [(lx + 12 * math.cos(k * math.pi / 8), ly + 12 * math.sin(k * math.pi / 8)) for k in range(16)]
            shapes.append(("loop", e, e["count"], points, {"cx": f"{lx:.1f}", "cy": f"{ly:.1f}", "r": "12",
                                                           "class": "loop"},
                           [_towards(lx, ly, cx, cy, d) for d in (26, 40)] + _beside(points, (x2, y2))))
            continue
        dx, dy = x2 - x1, y2 - y1
        # Bend every edge to its right, so A→B and B→A are two curves, not one line.
        qx, qy = (x1 + x2) / 2 + dy * 0.15, (y1 + y2) / 2 - dx * 0.15
        sx, sy = _towards(x1, y1, qx, qy, r1)
        tx, ty = _towards(x2, y2, qx, qy, r2 + 2)
        points = [((1 - t) ** 2 * sx + 2 * t * (1 - t) * qx + t * t * tx, (1 - t) ** 2 * sy + 2 * t * (1 - t) * qy
                   + t * t * ty) for t in _steps(math.hypot(tx - sx, ty - sy))]
        shapes.append(("arrow", e, decided(e), points,
                       {"d": f"M {sx:.1f} {sy:.1f} Q {qx:.1f} {qy:.1f} {tx:.1f} {ty:.1f}", "class": "edge-line",
                        "marker-end": "url(#arrow)"},
                       _beside(points, ((x1 + x2) / 2, (y1 + y2) / 2))))
    labels = _place_labels(shapes, [place[n["id"]] for n in shown])

    edge_layer = ET.SubElement(svg, "g", {"class": "edges"})
    for i in sorted(range(len(shapes)), key=lambda i: (shapes[i][0] != "undirected", -i)):  # busiest on top
        kind, e, count, _, attrs, _ = shapes[i]
        width = f"{1 + 4 * math.sqrt(count / top_edge):.1f}" if kind != "undirected" else "1.5"
        if kind == "undirected":
            a, b = e
            group = ET.SubElement(edge_layer, "g", {"class": "edge undetermined", "data-source": _clean(a),
                                                    "data-target": _clean(b)})
            ET.SubElement(group, "title").text = _clean(
                f"{a} — {b}: {count} derivations of shared text, direction undetermined")
        else:
            group = ET.SubElement(edge_layer, "g", {"class": "edge", "data-source": _clean(e["source"]),
                                                    "data-target": _clean(e["target"])})
            undecided = e["count"] - count
            ET.SubElement(group, "title").text = _clean(
                f"{e['source']} → {e['target']}: {count} derivations, {e['shared_chars']} characters shared"
                + (f" (and {undecided} of undetermined direction)" if undecided else ""))
        ET.SubElement(group, "circle" if kind == "loop" else "path", {**attrs, "stroke-width": width})
        if labels[i] is not None:
            ET.SubElement(group, "text", {"x": f"{labels[i][0]:.1f}", "y": f"{labels[i][1]:.1f}",
                                          "class": "edge-label" + (" undetermined" if kind == "undirected" else ""),
                                          "text-anchor": "middle", "dominant-baseline": "central"}).text = str(count)
    node_layer = ET.SubElement(svg, "g", {"class": "nodes"})
    for n in ring:
        x, y, angle, r = place[n["id"]]
        group = ET.SubElement(node_layer, "g", {"class": f"node {n['kind']}", "data-name": _clean(n["id"])})
        # Every name has a page, "(unknown outlet)" and "(unknown source)" too: the edge table links the same.
        link = ET.SubElement(group, "a", {"href": urls.outlet(n["id"])})
        ET.SubElement(link, "title").text = _clean(
            f"{n['id']} ({n['kind']}): gave {n['given']}, took {n['taken']} derivations")
        ET.SubElement(link, "circle", {"cx": f"{x:.1f}", "cy": f"{y:.1f}", "r": f"{r:.1f}"})
        name = _clean(n["id"])
        name = name if len(name) <= LABEL_LIMIT else name[:LABEL_LIMIT - 1].rstrip() + "…"
        lx, ly = x + (r + 5) * math.cos(angle), y + (r + 5) * math.sin(angle)
        if len(shown) == 1:
            ET.SubElement(link, "text", {"x": f"{x:.1f}", "y": f"{y + r + 16:.1f}", "text-anchor": "middle",
                                         "dominant-baseline": "central", "class": "node-label"}).text = name
            continue
        # Along the radius, outwards, so that neighbours' labels do not overlap; never upside down.
        left = math.cos(angle) < 0
        turn = math.degrees(angle) + (180 if left else 0)
        ET.SubElement(link, "text", {"x": f"{lx:.1f}", "y": f"{ly:.1f}", "text-anchor": "end" if left else "start",
                                     "transform": f"rotate({turn:.1f} {lx:.1f} {ly:.1f})",
                                     "dominant-baseline": "central", "class": "node-label"}).text = name
    return ET.tostring(svg, encoding="unicode"), shown


def _steps(length: float) -> list[float]:
    """Parameters 0..1 about every 6 units along a line of this length."""
    n = max(4, int(length / 6))
    return [i / n for i in range(n + 1)]


def _beside(points: list[tuple[float, float]], away_from: tuple[float, float]) -> list:
    """Places for a label beside a line: near its middle, then further along, offset across it — first on
    the side away from ``away_from`` (for a bent edge, its chord's midpoint: the outside of the bend)."""
    out = []
    for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
        i = min(len(points) - 2, int(t * (len(points) - 1)))
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        px, py = x0 + (x1 - x0) / 2, y0 + (y1 - y0) / 2
        length = math.hypot(x1 - x0, y1 - y0) or 1
        nx, ny = -(y1 - y0) / length, (x1 - x0) / length
        if (px + nx - away_from[0]) ** 2 + (py + ny - away_from[1]) ** 2 < (px - away_from[0]) ** 2 + (
                py - away_from[1]) ** 2:
            nx, ny = -nx, -ny
        for side in (1, -1):
            out.append((px + side * nx * 13, py + side * ny * 13))
    return out


def _place_labels(shapes: list, nodes: list[tuple]) -> list:
    """Each shape's label position (or None): the first candidate whose box touches no other shape's line,
    no node and no label already placed; failing that, the least crowded one for the busiest edges only."""
    cell = 24
    grid: dict[tuple[int, int], list[tuple[float, float, int]]] = {}
    for i, shape in enumerate(shapes):
        for x, y in shape[3]:
            grid.setdefault((int(x // cell), int(y // cell)), []).append((x, y, i))
    boxes: list[tuple[float, float, float, float]] = []
    busiest = sorted(range(len(shapes)), key=lambda i: (-shapes[i][2], i))
    out: list = [None] * len(shapes)
    for rank, i in enumerate(busiest):
        w, h = 9 * len(str(shapes[i][2])) + 6, 18
        best, best_hits = None, None
        for x, y in shapes[i][5]:
            box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            hits = _hits(box, grid, cell, i) + sum(_overlap(box, b) for b in boxes) * 3 + sum(
                3 for nx, ny, _, r in nodes if _box_circle(box, nx, ny, r + 2))
            if not (0 <= box[0] and box[2] <= WIDTH and 0 <= box[1] and box[3] <= HEIGHT):
                hits += 5
            if best_hits is None or hits < best_hits:
                best, best_hits = (x, y, box), hits
            if hits == 0:
                break
        if best is not None and (best_hits == 0 or rank < LABELLED):
            out[i] = best[:2]
            boxes.append(best[2])
    return out


def _hits(box, grid, cell: int, own: int) -> int:
    """The other shapes whose lines pass through this box (widened by a line's half-width)."""
    x0, y0, x1, y1 = box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3
    found = set()
    for gx in range(int(x0 // cell), int(x1 // cell) + 1):
        for gy in range(int(y0 // cell), int(y1 // cell) + 1):
            for x, y, i in grid.get((gx, gy), ()):
                if i != own and x0 <= x <= x1 and y0 <= y <= y1:
                    found.add(i)
    return len(found)


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _box_circle(box, x: float, y: float, r: float) -> bool:
    nx, ny = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
    return (nx - x) ** 2 + (ny - y) ** 2 < r * r


def _towards(x: float, y: float, px: float, py: float, distance: float) -> tuple[float, float]:
    dx, dy = px - x, py - y
    d = math.hypot(dx, dy) or 1
    return x + dx / d * distance, y + dy / d * distance


def _download(body: str, content_type: str, filename: str) -> Response:
    return Response(body, status=200, content_type=content_type,
                    headers={"content-disposition": f'attachment; filename="{filename}"'})
