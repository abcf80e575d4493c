"""Who took the text from whom: directed, explained derivations from shared passages.

Publication order alone misleads (two outlets quoting one ministry statement a day apart did not
copy each other; an agency repeating its own background weeks later did not copy the paper that
carried it first), so every decision combines the evidence and records it: credit lines for the
shared passages, whether the shared text is a statement its speaker gave each outlet, outlet roles
(agency text flows to clients), publication order and its precision, containment in each
direction, and — for chains — which earlier article explains the shared text best, the original
before a copy of it. When the evidence does not decide, the relation is ``undetermined``. Work is
bounded per article (its 64 likeliest sources), so a story in N papers costs N rows, not N².
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .outlets import name_key
from .store import select_in

WHOLLY = 0.7  # share of the derived article's own text that makes a derivation "wholly"
QUOTED = 0.5  # share of the shared text inside attributed quotes that makes it a statement
ASYMMETRY = 2.0  # containment ratio that decides direction without a publication order
MIN_EXTRA = 0.3  # share of a further source's text not explained by better sources, to keep it
NO_EVIDENCE = "no evidence of direction"
STATEMENT_RULE = "shared text is a quoted statement, in different wordings"
HEARD_RULE = "two agencies carry only a speaker's words: each heard them"
SPEAKER_RULES = (STATEMENT_RULE, HEARD_RULE)  # the speaker is the common source, not an upstream they credit
HUB_RULE = ("the original of the texts x shares with: it has all x shares with any of them, and the most"
            " text that others share (no publication order)")
VERBATIM = 0.8  # mean Jaccard of the shared passages above which a quoted statement was copied, not re-quoted
NARRATIVE = 80  # characters of shared text outside every quote that make it reporting, not only a statement
OWN_SENTENCE = 80  # characters of its own (a sentence, not a similar headline) that mark a neighbour as the copy in between
UNIQUE = 80  # characters of the derived text that only one of two sources carries, to prefer it over the other
MAX_OTHERS = 64  # articles sharing text with one article that it is weighed against (the strongest)
SIBLINGS_LISTED = 20  # article ids an evidence lists; the count is complete, the list is not (N copies: N rows)
PERSON_HINTS = (" ministry", " office", " government", " department", " council", " agency")


@dataclass(eq=False)
class Doc:
    id: int
    key: str  # external id: ties are broken on it, so the result does not depend on load order
    outlet: str | None
    published: str | None
    precision: str | None
    own_chars: int
    spans: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))  # cluster → spans
    credits: set[str] = field(default_factory=set)
    quotes: list[tuple[int, int, str]] = field(default_factory=list)
    stamp: float | None = None
    chars: dict[int, int] = field(default_factory=dict)  # cluster → characters of its passages here
    quoted: dict[int, int] = field(default_factory=dict)  # cluster → of those, inside attributed quotes
    narrative: dict[int, int] = field(default_factory=dict)  # cluster → of those, in spans no quote touches
    shared: int = 0  # characters in all its shared passages: an original has the most of its copies' text
    role: str | None = None  # agency | publisher, from the outlet files or the article's wire shape
    role_from: str = ""  # which of the two
    wire: bool = False  # wire header, slug or end markers: the agency's own copy
    credit_scopes: list[tuple[str, int, int]] = field(default_factory=list)  # credited name → the text it covers
    titles: set[int] = field(default_factory=set)  # clusters this article carries in its headline

    def summarise(self) -> None:
        """Per-cluster lengths once, since every pair this article is in needs them."""
        self.stamp = _stamp(self)
        quotes = [(s, e) for s, e, _ in self.quotes]
        for c, spans in self.spans.items():
            self.chars[c] = _union_length(spans)
            self.quoted[c] = _union_length(_intersect(spans, quotes)) if quotes else 0
            self.narrative[c] = _union_length([sp for sp in spans if not _intersect([sp], quotes)])
        self.shared = _covered(self, list(self.spans))

    def credits_for(self, clusters: list[int]) -> set[str]:
        """The sources credited for these passages: a credit covers its paragraph, or the whole article
        when it is a dateline, a credit line or in the lead; a credit for another paragraph says nothing of them."""
        spans = [sp for c in clusters for sp in self.spans.get(c, ())]
        return {name for name, s, e in self.credit_scopes if _intersect(spans, [(s, e)])}


DERIVATION_COLUMNS = ("derived_article_id, source_article_id, source_name, relation, extent, shared_chars,"
                      " confidence, evidence")
INSERT_DERIVATIONS = f"insert into derivations({DERIVATION_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?)"


RULES = "2026-12-07.2"  # the rules' version: a database whose derivations older rules made gets them redone
REDERIVE_CHUNK = 2000  # articles traced at a time when every derivation is redone


def outdated(conn: sqlite3.Connection) -> bool:
    """The corpus was derived by other rules than this version's (``RULES``), or before they were kept."""
    return conn.execute("select value from settings where key = 'provenance_rules'").fetchone() != (RULES,)


def rederive_old(conn: sqlite3.Connection, everything: bool = False) -> int:
    """Redo every derivation of a corpus that older rules derived (settings ``provenance_rules``), or
    of any corpus with ``everything`` (its clusters were just redone), so that a load after an upgrade
    adds to derivations made as a fresh load makes them; returns the articles redone. Datasette and
    the pages read them as stored: only a load rewrites them."""
    due = everything or outdated(conn)
    ids = [a for (a,) in conn.execute("select id from articles order by id")] if due else []
    for i in range(0, len(ids), REDERIVE_CHUNK):
        trace(conn, ids[i:i + REDERIVE_CHUNK])
    if ids:
        refresh_outlet_edges(conn)
    conn.execute("insert or replace into settings(key, value) values ('provenance_rules', ?)", (RULES,))
    return len(ids)


def update(conn: sqlite3.Connection, article_ids: list[int]) -> None:
    """Recompute reuse shares, cluster speakers and derivations around these articles, and the outlet graph."""
    days = trace(conn, article_ids)
    if days:
        refresh_outlet_edges(conn, days)


def trace(conn: sqlite3.Connection, article_ids: list[int]) -> set[str | None]:
    """Reuse shares, cluster speakers and derivations around these articles; the days they fall on.

    What it writes depends only on the articles sharing a cluster with these, and theirs: articles
    joined through clusters can be traced apart (the Spark engine's tasks) and the outlet graph,
    which sums over days, refreshed once for all."""
    if not article_ids:
        return set()
    around = neighbours(conn, set(article_ids)) | set(article_ids)
    docs = _docs(conn, around | neighbours(conn, around))
    # Only clusters whose every member is loaded here are re-voted: one at the edge would be re-voted by
    # some of its members, and the stored speaker would depend on the order articles came in.
    speakers = _cluster_speakers(conn, docs, {c for a in around for c in docs[a].spans})
    conn.executemany("update articles set reuse_share = ? where id = ?",
                     [(reuse_share(docs[aid]), aid) for aid in sorted(around)])
    select_in(conn, "delete from derivations where derived_article_id in ({})", sorted(around))
    # Each cluster offers its MAX_OTHERS likeliest sources (agencies, then the earliest), and an article
    # also meets the outlets it credits: a story in N papers costs N x MAX_OTHERS, not N².
    carriers: dict[int, list[Doc]] = defaultdict(list)
    by_outlet: dict[str, list[Doc]] = defaultdict(list)
    for d in sorted(docs.values(), key=lambda d: (d.role != "agency", d.stamp if d.stamp is not None else math.inf,
                                                   d.key)):
        by_outlet[d.outlet].append(d)
        for c in d.spans:
            if len(carriers[c]) < MAX_OTHERS:
                carriers[c].append(d)
    wording, literal = _wording(conn, set(docs))  # also between neighbours: is one nearer the source than x?
    rows = []
    for aid in sorted(around):
        x = docs[aid]
        credited = {y for o in x.credits for y in by_outlet.get(o, ()) if not x.spans.keys().isdisjoint(y.spans)}
        others = _strongest(x, ({y for c in x.spans for y in carriers[c]} | credited) - {x})
        rows.extend(derive(x, sorted(others, key=lambda d: d.key), speakers, wording, literal))
    conn.executemany(
        INSERT_DERIVATIONS,
        rows,
    )
    return {day for (day,) in select_in(conn, "select distinct substr(published, 1, 10) from articles"
                                             " where id in ({})", sorted(around))}


_EDGES = """
    insert into outlet_edges(day, source, target, source_kind, relation, derivations, shared_chars)
    select substr(da.published, 1, 10), coalesce(sa.outlet, d.source_name), da.outlet,
           case when d.source_article_id is null then 'upstream' else 'outlet' end, d.relation,
           count(*), coalesce(sum(d.shared_chars), 0)
    from derivations d
    join articles da on da.id = d.derived_article_id
    left join articles sa on sa.id = d.source_article_id
    where {0}
    group by 1, 2, 3, 4, 5
    union all  -- the layer above: the speaker whose statement an upstream agency carried
    select substr(da.published, 1, 10), json_extract(d.evidence, '$.chain[0]'), d.source_name, 'speaker', d.relation,
           count(*), coalesce(sum(d.shared_chars), 0)
    from derivations d
    join articles da on da.id = d.derived_article_id
    where {0} and d.source_article_id is null
      and case when json_valid(d.evidence) then json_array_length(d.evidence, '$.chain') end > 1
    group by 1, 2, 3, 4, 5
"""


def save_roles(conn: sqlite3.Connection, roles: dict[str, str]) -> None:
    """Keep the outlet roles in force; when one changed, the derivations of that outlet's articles are redone."""
    before = dict(conn.execute("select outlet, role from outlet_roles"))
    if before == roles:
        return
    conn.execute("delete from outlet_roles")
    conn.executemany("insert into outlet_roles values (?, ?)", sorted(roles.items()))
    changed = {o for o in before.keys() | roles.keys() if before.get(o) != roles.get(o)}
    ids = [a for (a, o) in conn.execute("select id, outlet from articles where outlet is not null")
           if name_key(o) in changed]
    update(conn, ids)


def refresh_outlet_edges(conn: sqlite3.Connection, days: set[str | None] | None = None) -> None:
    """Recount the outlet-to-outlet edges of these publication days (all if None), and their totals.

    The graph page sums these per-day counts instead of grouping every derivation on each request;
    the totals change by what the recounted days changed, so a batch costs its days, not the corpus.
    """
    if days is None:
        conn.execute("delete from outlet_edges")
        conn.execute(_EDGES.format("1"))
        rebuild_edge_totals(conn)
        return
    before = _day_edges(conn, days)
    for day in sorted(days, key=lambda d: (d is None, d or "")):
        if day is None:
            conn.execute("delete from outlet_edges where day is null")
            conn.execute(_EDGES.format("da.published is null"))
        else:  # a range on the published index; every suffix of the day sorts below "~"
            conn.execute("delete from outlet_edges where day = ?", (day,))
            conn.execute(_EDGES.format("da.published >= :day and da.published < :day || '~'"
                                       " and substr(da.published, 1, 10) = :day"), {"day": day})
    change = _day_edges(conn, days)
    for key, (n, chars) in before.items():
        m, c = change.get(key, (0, 0))
        change[key] = (m - n, c - chars)
    for key, (n, chars) in change.items():
        if not n and not chars:
            continue
        if not conn.execute("update outlet_edge_totals set derivations = derivations + ?, shared_chars = shared_chars + ?"
                            " where source is ? and target is ? and source_kind = ? and relation = ?",
                            (n, chars, *key)).rowcount:
            conn.execute("insert into outlet_edge_totals values (?, ?, ?, ?, ?, ?)", (*key, n, chars))
    conn.execute("delete from outlet_edge_totals where derivations = 0")
    _refresh_graph(conn, {(graph_name(s, kind), graph_name(t)) for s, t, kind, _ in change})


def rebuild_edge_totals(conn: sqlite3.Connection) -> None:
    conn.execute("delete from outlet_edge_totals")
    conn.execute("insert into outlet_edge_totals select source, target, source_kind, relation, sum(derivations),"
                 " sum(shared_chars) from outlet_edges group by 1, 2, 3, 4")
    conn.execute("delete from graph_edges")
    conn.execute("delete from graph_nodes")
    edges = graph_edges(conn.execute(f"select {_TOTAL_COLUMNS} from outlet_edge_totals"))
    _write_graph(conn, edges, graph_nodes(edges))


UNKNOWN_OUTLET = "(unknown outlet)"
UNKNOWN_SOURCE = "(unknown source)"
_TOTAL_COLUMNS = "source, target, source_kind, relation, derivations, shared_chars"
GraphEdges = dict[tuple[str, str], list]  # (source, target) -> [derivations, shared_chars, relations, kind]
GraphNodes = dict[str, list]  # name -> [kind, given, taken, volume, shared_chars]


def graph_name(name: str | None, kind: str = "outlet") -> str:
    return name or (UNKNOWN_SOURCE if kind == "upstream" else UNKNOWN_OUTLET)


def graph_edges(rows: Iterable[tuple]) -> GraphEdges:
    """Edges as the graph shows them, from (source, target, source_kind, relation, derivations, chars) rows."""
    edges: GraphEdges = {}
    for source, target, kind, relation, n, chars in rows:
        key = (graph_name(source, kind), graph_name(target))
        e = edges.get(key)
        if e is None:
            e = edges[key] = [0, 0, {}, kind]
        e[0] += n
        e[1] += chars
        e[2][relation] = e[2].get(relation, 0) + n
        if kind == "outlet":
            e[3] = "outlet"
    return edges


def graph_nodes(edges: GraphEdges) -> GraphNodes:
    """Every end of these edges with what it gave, took and shared (a loop counts once in its volume).
    A link whose direction nothing decided is stored one way round at random: shared, neither given
    nor taken."""
    nodes: GraphNodes = {}
    for (source, target), (n, chars, relations, kind) in edges.items():
        for end in (target, source):
            if end not in nodes:
                nodes[end] = ["upstream", 0, 0, 0, 0]
        if kind == "speaker":  # speaker -> the agency that carried the statement: neither is a loaded outlet
            nodes[source][0] = "speaker"
        else:
            nodes[target][0] = "outlet"
        if kind == "outlet":
            nodes[source][0] = "outlet"
        decided = n - relations.get("undetermined", 0)
        nodes[source][1] += decided
        nodes[target][2] += decided
        for end in {source, target}:
            nodes[end][3] += n
            nodes[end][4] += chars
    return nodes


def _refresh_graph(conn: sqlite3.Connection, touched: set[tuple[str, str]]) -> None:
    """Recount the graph rows of these edges and of their ends from the totals."""
    edges: GraphEdges = {}
    for source, target in touched:
        rows = conn.execute(f"select {_TOTAL_COLUMNS} from outlet_edge_totals where (source = ? or source is null)"
                            " and (target = ? or target is null)", (source, target))
        edges.update({k: e for k, e in graph_edges(rows).items() if k == (source, target)})
        conn.execute("delete from graph_edges where source = ? and target = ?", (source, target))
    _write_graph(conn, edges, {})
    nodes: GraphNodes = {}
    for name in {end for edge in touched for end in edge}:
        rows = conn.execute("select source, target, derivations, shared_chars, relations, source_kind from graph_edges"
                            " where source = ? union select source, target, derivations, shared_chars, relations,"
                            " source_kind from graph_edges where target = ?", (name, name)).fetchall()
        found = graph_nodes({(s, t): [n, c, json.loads(r), kind] for s, t, n, c, r, kind in rows})
        if name in found:
            nodes[name] = found[name]
        conn.execute("delete from graph_nodes where id = ?", (name,))
    _write_graph(conn, {}, nodes)


def _write_graph(conn: sqlite3.Connection, edges: GraphEdges, nodes: GraphNodes) -> None:
    conn.executemany("insert into graph_edges values (?, ?, ?, ?, ?, ?)",
                     [(s, t, kind, n, c, json.dumps(r, sort_keys=True)) for (s, t), (n, c, r, kind) in edges.items()])
    conn.executemany("insert into graph_nodes values (?, ?, ?, ?, ?, ?)", [(k, *v) for k, v in nodes.items()])


def _day_edges(conn: sqlite3.Connection, days: set[str | None]) -> dict[tuple, tuple[int, int]]:
    """The per-day edges of these days, summed per edge."""
    out: dict[tuple, tuple[int, int]] = {}
    for day in days:
        for *key, n, chars in conn.execute(
            "select source, target, source_kind, relation, derivations, shared_chars from outlet_edges where day is ?",
            (day,),
        ):
            m, c = out.get(tuple(key), (0, 0))
            out[tuple(key)] = (m + n, c + chars)
    return out


def _strongest(x: Doc, others: set[Doc]) -> list[Doc]:
    """The ``MAX_OTHERS`` articles x is weighed against: those it credits, agencies, then the most shared
    text, the earliest and by content. A story in N papers then costs N x MAX_OTHERS, not N²."""
    if len(others) <= MAX_OTHERS:
        return list(others)
    return sorted(others, key=lambda y: (y.outlet not in x.credits, y.role != "agency",
                                         -_covered(x, [c for c in y.spans if c in x.spans]),
                                         y.stamp if y.stamp is not None else math.inf, y.key))[:MAX_OTHERS]


def derive(x: Doc, others: list[Doc], speakers: dict[int, str], wording: dict[tuple[int, int], float],
           literal: dict[tuple[int, int], set[int]]) -> list[tuple]:
    """The derivation rows of article ``x`` (as the derived side) against the articles it shares text with."""
    copied: list[tuple[Doc, dict]] = []
    unordered: list[tuple[Doc, list[int]]] = []  # neighbours whose order against x is unknown
    undecided: list[tuple[Doc, dict]] = []
    versions: list[tuple[Doc, dict]] = []  # the outlet's own earlier texts
    upstream: dict[str, dict] = {}
    open_pairs: list[tuple[Doc, dict]] = []  # neighbours that no rule orders against x
    credited = False  # an upstream both credit, not only a speaker both quote
    rows = []
    loaded: dict[str, set[int]] = defaultdict(set)  # outlet -> the clusters of x its loaded articles carry
    for y in others:
        if y.outlet:
            loaded[y.outlet].update(c for c in y.spans if c in x.spans)
    for y in others:
        shared = sorted(set(x.spans) & set(y.spans))
        ev = _evidence(x, y, shared, speakers)
        ev["wording_jaccard"] = wording.get((x.id, y.id), 0.0)
        relation, source_name, confidence = _decide(x, y, ev, loaded, literal.get((x.id, y.id), set()))
        if ev["order"] in ("tie", "unknown"):
            unordered.append((y, shared))
        if ev.get("_rule") == NO_EVIDENCE:
            open_pairs.append((y, ev))
        if relation is None:
            continue
        ev["decided_by"] = ev.pop("_rule")
        if relation == "common-source":
            credited = credited or ev["decided_by"] not in SPEAKER_RULES
            entry = upstream.setdefault(source_name, {"siblings": [], "sibling_count": 0, "clusters": set(),
                                                      "confidence": 0.0, "credits": sorted(x.credits), "pairs": []})
            entry["sibling_count"] += 1
            if len(entry["siblings"]) < SIBLINGS_LISTED:
                entry["siblings"].append(y.id)
            entry["clusters"].update(shared)
            entry["confidence"] = max(entry["confidence"], confidence)
            entry["pairs"] = sorted(entry["pairs"] + [ev], key=lambda p: (-p["shared_chars_derived"], p["other_article"]))[:3]
        elif relation == "copied":
            ev["confidence"] = confidence
            copied.append((y, ev))
        elif relation == "undetermined":
            undecided.append((y, ev))
        else:
            ev["confidence"] = confidence
            versions.append((y, ev))
    # An outlet's versions of one story chain: each takes the version that explains it best, and a further
    # one only when it explains 30 % more (a background paragraph recycled from another story).
    for y, ev in _explaining(x, versions):
        rows.append(_row(x, y.id, y.outlet, "same-outlet", _covered(x, ev["clusters"]), ev.pop("confidence"), ev))
    # A speaker's words x shares with another paper are about that pair only: they do not keep x from
    # the original it took its story from (which then carries those words too, and explains them).
    if not copied and not credited and (hub := _hub(x, open_pairs)):
        y, ev = hub
        ev.update(decided_by=HUB_RULE, confidence=0.5)
        copied.append((y, ev))
    sources, between = _best_sources(x, copied, unordered, literal)
    for y, ev in sources:
        rows.append(_row(x, y.id, y.outlet, "copied", ev["shared_chars_derived"], ev.pop("confidence"), ev))
    middle = [(z, shared) for z, shared in unordered if z.id in between]
    if middle:  # the copy in between, of unknown order against x: its source explains less of x than it does
        z, shared = max(middle, key=lambda c: (_covered(x, c[1]), c[0].key))
        y = between[z.id]
        ev = _evidence(x, z, shared, speakers)
        ev["wording_jaccard"] = wording.get((x.id, z.id), 0.0)
        ev["decided_by"] = (f"the copy in between: it has all x shares with {_label(y)}, more of it or its"
                            f" wording, and a sentence of its own that x carries")
        ev["runner_up"] = {"other_article": y.id, "other_outlet": y.outlet}
        undecided = [c for c in undecided if c[0] is not z]
        rows.append(_row(x, z.id, z.outlet, "copied", ev["shared_chars_derived"], 0.5, ev))
        sources = [(z, ev)]
    # Two copies of one source in the corpus share text because both took it from there: siblings, no row.
    # So for an upstream both are said to have (a speaker quoted in each): the source x copied carries
    # that text too, and a statement in two papers that took it from one agency story came from the story.
    def explained(clusters) -> bool:
        return any(_unique(x, clusters, z.spans) < UNIQUE for z, _ in sources)
    undecided = [(y, ev) for y, ev in undecided if not explained(ev["clusters"])]
    upstream = {name: entry for name, entry in upstream.items() if not explained(entry["clusters"])}
    if undecided:  # one row, however many share the text undecided: N copies of an absent story give N rows
        y, ev = max(undecided, key=lambda c: (c[1]["shared_chars_derived"], -(c[0].stamp or 0), c[0].key))
        others = sorted(z.id for z, _ in undecided if z is not y)
        ev.update(others=others[:SIBLINGS_LISTED], other_count=len(others))
        clusters = sorted({c for _, e in undecided for c in e["clusters"]})
        rows.append(_row(x, y.id, y.outlet, "undetermined", _covered(x, clusters), 0.2, ev))
    for name, entry in sorted(upstream.items()):
        clusters = sorted(entry.pop("clusters"))
        confidence = entry.pop("confidence")
        chain = _chain(x, name, clusters, speakers)
        entry.update(clusters=clusters, passages=len(clusters), upstream=name, chain=chain)
        rows.append(_row(x, None, chain[-1], "common-source", _covered(x, clusters), confidence, entry))
    return rows


def _chain(x: Doc, name: str, clusters: list[int], speakers: dict[int, str]) -> list[str]:
    """The upstream of x's shared text, farthest first: a speaker, then the agency x credits for it.

    Islam Times carries Maria Zakharova's statement and credits TASS for it: its source is TASS,
    whose source is Zakharova (speaker → agency → outlet), not Zakharova directly.
    """
    quoted = sorted({speakers[c] for c in clusters if c in speakers})
    credited = sorted(x.credits_for(clusters) - {x.outlet, name, *quoted})
    if name in quoted:
        return [name, credited[0]] if credited else [name]
    return ([quoted[0]] if len(quoted) == 1 else []) + [name]


def _decide(x: Doc, y: Doc, ev: dict, loaded: dict[str, set[int]],
            literal: set[int]) -> tuple[str | None, str | None, float]:
    """(relation, source name, confidence) for x as the derived side; None when y is the derived one.

    ``loaded``: for each outlet, the clusters of x that its articles in the corpus carry; ``literal``:
    the clusters in which x and y carry nearly the same sentence (Jaccard >= ``VERBATIM``).
    """
    order = ev["order"]
    if x.outlet and x.outlet == y.outlet:
        ev["_rule"] = "same outlet"
        if order == "later":
            return "same-outlet", y.outlet, 0.9 if ev["precision"] == "exact" else 0.75
        if order == "earlier":
            return None, None, 0.0
        # Without an order, an outlet's versions of one story grow: the fuller one is the later (a first
        # take is all inside the full version, which is not the copy of it).
        direction = {"later": "earlier", "earlier": "later"}.get(_by_containment(ev))
        if direction == "later" or (direction is None and x.key > y.key):
            ev["direction"] = "versions grow: the fuller one is later" if direction else "undetermined"
            return "same-outlet", y.outlet, 0.5 if direction else 0.3
        return None, None, 0.0
    credits_x, credits_y = x.credits_for(ev["clusters"]), y.credits_for(ev["clusters"])
    if y.outlet and y.outlet in credits_x and order != "earlier":
        ev["_rule"] = f"{_label(x)} credits {y.outlet}"
        return "copied", y.outlet, 0.95
    if x.outlet and x.outlet in credits_y and order != "later":
        return None, None, 0.0
    common = sorted((credits_x & credits_y) - {x.outlet, y.outlet, None})
    # Both credit AP, but AP's story is in the corpus and lacks a sentence the two carry word for word:
    # that sentence went from one paper to the other (a paper's own addition carried on by a second
    # paper), so AP is not their common source for it, and the order between them decides. Only a
    # sentence nearly verbatim in both counts: two reports of one event in the same frame (same
    # speaker, same phrasing) share loosely similar sentences without copying each other. An agency
    # not loaded, or whose story carries all they share, is their common source as credited.
    common = [n for n in common if n not in loaded or _covered(
        x, [c for c in ev["clusters"] if c not in loaded[n] and c in literal]) < OWN_SENTENCE]
    if common:
        ev["_rule"] = "both credit " + ", ".join(common)
        return "common-source", common[0], 0.75
    speaker = ev.get("speaker")
    statement = speaker and ev["quoted_share"] >= QUOTED and ev["narrative_chars"] < NARRATIVE
    if statement and ev["wording_jaccard"] < VERBATIM:
        ev["_rule"] = STATEMENT_RULE
        return "common-source", speaker, 0.8
    # The same words of a speaker, and none of each other's reporting, in two agencies' stories: each had
    # a reporter there (a press conference, a court), as agencies do. A paper that carries an agency's
    # quote word for word may have taken it from the agency's story, so only between agencies.
    if statement and x.role == y.role == "agency":
        ev["_rule"] = HEARD_RULE
        return "common-source", speaker, 0.6
    by_role = _by_role(x, y, ev)
    if by_role == "later":
        ev["_rule"] = "an agency's text goes to its clients"
        if order == "earlier":  # the agency's later story repeats its own earlier text, which x carried
            ev["_rule"] += " (the agency's story is later: it repeats text of its own that x carried)"
        return "copied", y.outlet, {"later": 0.85, "earlier": 0.55}.get(order, 0.7)
    if by_role == "earlier":
        return None, None, 0.0
    if order == "later":
        ev["_rule"] = "published later"
        asym = _by_containment(ev)
        confidence = 0.7 if ev["precision"] == "exact" else 0.6
        return "copied", y.outlet, confidence + (0.15 if asym == "later" else -0.1 if asym == "earlier" else 0.0)
    if order == "earlier":
        return None, None, 0.0
    direction = _by_containment(ev)
    if direction == "later":
        ev["_rule"] = "containment (no publication order)"
        return "copied", y.outlet, 0.5
    if direction == "earlier":
        return None, None, 0.0
    ev["_rule"] = NO_EVIDENCE
    if x.key < y.key or _upstream_of(y, x, ev["containment_other"]):  # y's row, if any, says it
        return None, None, 0.0
    return "undetermined", y.outlet, 0.2


def _by_role(x: Doc, y: Doc, ev: dict) -> str | None:
    """'later' when y is an agency and x one of its clients (text flows that way), 'earlier' the reverse."""
    if x.role == y.role or "agency" not in (x.role, y.role):
        return None
    ev["roles"] = {"derived": _role_label(x), "other": _role_label(y)}
    return "later" if y.role == "agency" else "earlier"


def _role_label(d: Doc) -> str:
    return f"{d.role} ({d.role_from})" if d.role else "unknown"


def _unique(x: Doc, clusters: list[int], spans_of: dict[int, list]) -> int:
    """Characters of x in these clusters that the other article does not carry."""
    return _covered(x, [c for c in clusters if c not in spans_of])


def _evidence(x: Doc, y: Doc, shared: list[int], speakers: dict[int, str]) -> dict:
    cx, cy = _covered(x, shared), _covered(y, shared)
    order, gap, precision = _order(x, y)
    quoted_x, quoted_y = _quoted(x, shared), _quoted(y, shared)
    names: Counter[str] = Counter()  # the speaker of most of x's shared text; ties by name, not by cluster id
    for c in shared:
        if c in speakers:
            names[speakers[c]] += x.chars.get(c, 0)
    ev = {
        "other_article": y.id,
        "other_outlet": y.outlet,
        "order": order,
        "time_gap_hours": gap,
        "precision": precision,
        "clusters": shared,
        "passages": len(shared),
        "shared_chars_derived": cx,
        "shared_chars_other": cy,
        "containment_derived": round(cx / x.own_chars, 3) if x.own_chars else 0.0,
        "containment_other": round(cy / y.own_chars, 3) if y.own_chars else 0.0,
        "credits_derived": sorted(x.credits),
        "credits_other": sorted(y.credits),
        "quoted_share": round(min(quoted_x, quoted_y), 3),
        "narrative_chars": min(sum(x.narrative.get(c, 0) for c in shared), sum(y.narrative.get(c, 0) for c in shared)),
    }
    if names:
        ev["speaker"] = min(names, key=lambda name: (-names[name], name))
    return ev


def _best_sources(
    x: Doc, candidates: list[tuple[Doc, dict]], unordered: list[tuple[Doc, list[int]]],
    literal: dict[tuple[int, int], set[int]],
) -> tuple[list[tuple[Doc, dict]], dict[int, Doc]]:
    """Keep the earlier articles that explain x's shared text: a copy of a copy names its direct source.

    Sources are taken by how much of x they explain, then confidence, then nearness in time; a
    further source is kept when it explains ``MIN_EXTRA`` of its shared text more, or a sentence x
    carries word for word that no better source has (``OWN_SENTENCE`` characters, headlines left
    out): x can have taken that sentence only from it, so it read it too. An
    earlier source is also dropped when a neighbour whose order against x is unknown carries what x
    shares with it and is likely the copy in between (see ``_in_between``). Returns the sources, and
    the source each such copy in between stood in for when x is left with none.
    """
    chosen: list[tuple[Doc, dict]] = []
    explained: list[tuple[int, int]] = []
    rank = sorted(candidates, key=lambda c: (-c[1]["shared_chars_derived"], -c[1]["confidence"],
                                             -(c[0].stamp or 0), c[0].key))
    if len(rank) > 1:
        rank = _original_first(x, rank)
    between: dict[int, Doc] = {}
    for y, ev in rank:
        spans = [s for c in ev["clusters"] for s in x.spans[c]]
        total = _union_length(spans)
        middle = [(z, shared) for z, shared in unordered if _in_between(x, y, z, shared, literal)]
        later = [s for _, shared in middle for c in shared for s in x.spans[c]]
        if any(_word_for_word(x, z, literal) for z, _ in middle):
            # x copies the copy in between word for word: only what it has of y word for word is y's
            near = literal.get((x.id, y.id), set())
            spans = [s for c in ev["clusters"] if c in near for s in x.spans[c]]
            total = _union_length(spans)
        new = total - _union_length(_intersect(spans, explained + later))
        if (chosen or later) and (new < MIN_EXTRA * total or not total) and not (
                chosen and not later and _own_verbatim(x, y, ev["clusters"], explained, literal) >= OWN_SENTENCE):
            if not chosen:
                between.update((z.id, y) for z, _ in middle)
            continue
        explained.extend(spans)
        chosen.append((y, ev))
    return chosen, between


def _own_verbatim(x: Doc, y: Doc, clusters: list[int], explained: list[tuple[int, int]],
                  literal: dict[tuple[int, int], set[int]]) -> int:
    """Characters of x that it carries word for word from y (no headline) and no source chosen before explains."""
    near = literal.get((x.id, y.id), set())
    spans = [sp for c in clusters if c in near and c not in x.titles and c not in y.titles for sp in x.spans[c]]
    return _union_length(spans) - _union_length(_intersect(spans, explained))


def _in_between(x: Doc, y: Doc, z: Doc, shared: list[int], literal: dict[tuple[int, int], set[int]]) -> bool:
    """Is z, of unknown order against x, the copy in between y and x (y -> z -> x)?

    - z is not known to be earlier than y. A newspaper dated to the day is not before an agency story
      timed that same day: it may well be its copy (the day's midnight is not its publication time).
    - x carries text of z's own that y lacks (``OWN_SENTENCE`` characters at least: a similar headline
      is not an intermediate copy's own text); a sibling copy of y adds nothing. A paper copies in one
      manner: when x carries y's text word for word (see ``_word_for_word``), z's text counts only
      where x has it word for word too (a loosely similar sentence beside verbatim agency copy is two
      reports of one event in the same frame); a rewrite of y may carry z's text rewritten, but then
      only outside quotes, in both (a statement in two wordings may have reached each paper from its
      speaker, and a rewrite does not turn a quoted statement into a narrative sentence).
    - what x has of y, z has too (x could have had it through z), and z is nearer y than x is: it has
      more of y (copies lose text down a chain), or it has y's wording where x rewrote it (a rewrite
      is not undone further down a chain: a verbatim copy of y cannot have been made from x's
      rewrite). Both are measured on y's text, so a wordier rewrite does not count as having more.
      In the same manner, what an article has of y counts only word for word when it copies y word
      for word (or x copies z so): a loose link beside verbatim copy is the same event in the same
      frame, not text taken from y.
    - A passage x credits to y is not z's own text, whoever else carries it. Otherwise a credit of y
      does not decide: papers copying another paper's copy of an agency story keep the agency's
      credit; what only the copy has, carried by x, shows where x took it.
    Headlines are left out: each outlet writes its own, and a similar one says nothing of the chain.
    Without these, two copies of one story are siblings, and neither is the other's source.
    """
    if y.outlet:  # a passage x credits to y is y's text, whichever neighbour also carries it
        shared = [c for c in shared if y.outlet not in x.credits_for([c])]
    if _word_for_word(x, y, literal):
        own = _unique(x, [c for c in shared if c in literal.get((x.id, z.id), ())], y.spans)
    else:
        own = sum(min(x.narrative.get(c, 0), z.narrative.get(c, 0)) for c in shared if c not in y.spans)
    if _order(z, y)[0] == "earlier" or own < OWN_SENTENCE:
        return False
    titles = x.titles | y.titles | z.titles
    of_x = [c for c in x.spans if c in y.spans and c not in titles]
    of_z = [c for c in z.spans if c in y.spans and c not in titles]
    # What each has of y: where it copies y (or x copies z) word for word, a loose link is not y's text.
    if _word_for_word(x, y, literal) or _word_for_word(x, z, literal):
        of_x = [c for c in of_x if c in literal.get((x.id, y.id), ())]
    if _word_for_word(z, y, literal):
        of_z = [c for c in of_z if c in literal.get((z.id, y.id), ())]
    if _covered(y, [c for c in of_x if c not in z.spans]) >= UNIQUE:  # x has some of y that z lacks
        return False
    if _covered(y, [c for c in of_z if c not in x.spans]) >= UNIQUE:
        return True
    return _word_for_word(z, y, literal) and not _word_for_word(x, y, literal)


def _word_for_word(x: Doc, y: Doc, literal: dict[tuple[int, int], set[int]]) -> bool:
    """x took y's text word for word: at least half of what it shares with y (headlines left out) is linked
    nearly verbatim (Jaccard >= ``VERBATIM``). A few light edits in a copy, or a lone sentence left
    unchanged in a rewrite, do not change how it was made."""
    shared = [c for c in x.spans if c in y.spans and c not in x.titles]
    near = literal.get((x.id, y.id), set())
    return 2 * _covered(x, [c for c in shared if c in near]) >= _covered(x, shared) > 0


def _explaining(x: Doc, candidates: list[tuple[Doc, dict]]) -> list[tuple[Doc, dict]]:
    """The candidates that explain x's shared text: the most first (then the latest), a further one only
    when ``MIN_EXTRA`` of what it explains is not explained yet."""
    chosen, explained = [], []
    for y, ev in sorted(candidates, key=lambda c: (-c[1]["shared_chars_derived"], -(c[0].stamp or 0), c[0].key)):
        spans = [sp for c in ev["clusters"] for sp in x.spans[c]]
        total = _union_length(spans)
        if chosen and total - _union_length(_intersect(spans, explained)) < MIN_EXTRA * total:
            continue
        explained.extend(spans)
        chosen.append((y, ev))
    return chosen


def _original_first(x: Doc, rank: list[tuple[Doc, dict]]) -> list[tuple[Doc, dict]]:
    """Of the sources that explain x's shared text equally well, the original goes first.

    A verbatim copy of an agency story explains a rewrite of it as well as the story does; it is the
    source only when x carries something that only the copy has (its edits, its additions). The
    original is the one the others credit, else an agency, else the earliest, else (undated) the one
    of the outlet with the most text in shared passages, and of that outlet's versions the least full:
    copies of a source each lose some of it, while versions of a story grow. The other is named in
    the evidence as the runner-up, with the characters of x that only one of the two carries.
    """
    top, top_ev = rank[0]
    equal = [c for c in rank if _unique(x, top_ev["clusters"], c[0].spans) < UNIQUE]
    if len(equal) > 1:
        credited = {name for y, _ in equal for name in y.credits}
        fullest: dict[str | None, int] = defaultdict(int)
        for y, _ in equal:
            fullest[y.outlet or y.key] = max(fullest[y.outlet or y.key], y.shared)
        top, top_ev = min(equal, key=lambda c: (c[0].outlet not in credited, c[0].role != "agency",
                                                c[0].stamp if c[0].stamp is not None else math.inf,
                                                -fullest[c[0].outlet or c[0].key], c[0].shared, c[0].key))
    runner, runner_ev = next(c for c in rank if c[0] is not top)
    top_ev["runner_up"] = {
        "other_article": runner.id, "other_outlet": runner.outlet,
        "chars_only_in_source": _unique(x, top_ev["clusters"], runner.spans),
        "chars_only_in_runner_up": _unique(x, runner_ev["clusters"], top.spans),
    }
    return [(top, top_ev)] + [c for c in rank if c[0] is not top]


def _hub(x: Doc, open_pairs: list[tuple[Doc, dict]]) -> tuple[Doc, dict] | None:
    """Of the neighbours no rule orders against x, the one with the most text in shared passages, when
    it is upstream of x (``_upstream_of``): without an order, the original of a family of copies (a
    source that texts took different parts of, each losing some), which a copy is too alike in size
    to tell from by containment alone. Between two articles there is none: it takes a third."""
    if not open_pairs:
        return None
    y, ev = min(open_pairs, key=lambda c: (-c[0].shared, c[0].key))
    return (y, ev) if _upstream_of(x, y, ev["containment_derived"]) else None


def _upstream_of(x: Doc, y: Doc, contained: float) -> bool:
    """y may be x's original: x is mostly (half or more) text it shares with y, y has all the text x
    shares with any article (but for headlines, or under ``UNIQUE`` characters), and ``UNIQUE``
    characters or more that others share with it and x lacks."""
    return (contained >= 0.5
            and _unique(x, [c for c in x.spans if c not in x.titles], y.spans) < UNIQUE
            and _unique(y, [c for c in y.spans if c not in y.titles], x.spans) >= UNIQUE)


def _by_containment(ev: dict) -> str | None:
    """'later' when x looks derived (mostly contained, the other has more of the story)."""
    a, b = ev["containment_derived"], ev["containment_other"]
    if a >= 0.5 and a >= ASYMMETRY * b:
        return "later"
    if b >= 0.5 and b >= ASYMMETRY * a:
        return "earlier"
    return None


def _order(x: Doc, y: Doc) -> tuple[str, float | None, str]:
    """Is x earlier, later, same-day tie, or unknown relative to y — and how precise is that."""
    if not x.published or not y.published:
        return "unknown", None, "missing"
    exact = x.precision in ("minute", "second") and y.precision in ("minute", "second")
    if not exact and x.published[:10] == y.published[:10]:
        return "tie", 0.0, "day"
    gap = (x.stamp - y.stamp) / 3600
    if exact and gap == 0:
        return "tie", 0.0, "exact"
    return ("later" if gap > 0 else "earlier"), round(gap, 2), "exact" if exact else "day"


def _stamp(d: Doc) -> float | None:
    """Seconds since the epoch of a stored (UTC) publication time; a day counts from its UTC midnight.

    Read as UTC whatever the server's time zone: a naive time would be taken as local, and a change
    of clock in that zone reorders articles.
    """
    if not d.published:
        return None
    text = d.published if "T" in d.published else d.published[:10] + "T00:00:00"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _row(x: Doc, source_id: int | None, name: str | None, relation: str, chars: int, confidence: float,
         ev: dict) -> tuple:
    extent = "wholly" if x.own_chars and chars / x.own_chars >= WHOLLY else "partially"
    return (x.id, source_id, name, relation, extent, chars, round(min(max(confidence, 0.0), 1.0), 2),
            json.dumps(ev, ensure_ascii=False, sort_keys=True))


def _label(d: Doc) -> str:
    return d.outlet or f"article {d.id}"


def reuse_share(d: Doc) -> float:
    """Characters of the article's own text inside a shared passage, over all its own text."""
    covered = _union_length([s for spans in d.spans.values() for s in spans])
    return round(min(1.0, covered / d.own_chars), 4) if d.own_chars else 0.0


def _covered(d: Doc, clusters: list[int]) -> int:
    """Passages of different clusters lie in different sentences, so their lengths add up."""
    return sum(d.chars.get(c, 0) for c in clusters)


def _quoted(d: Doc, clusters: list[int]) -> float:
    total = _covered(d, clusters)
    return sum(d.quoted.get(c, 0) for c in clusters) / total if total else 0.0


def _cluster_speakers(conn: sqlite3.Connection, docs: dict[int, Doc], clusters: set[int]) -> dict[int, str]:
    """The speaker each cluster quotes: the name most members give, a person over an organisation."""
    votes: dict[int, Counter] = defaultdict(Counter)
    for d in docs.values():
        for c, spans in d.spans.items():
            if c not in clusters:
                continue
            for s, e, name in d.quotes:
                if any(s < se and e > ss for ss, se in spans):
                    votes[c][name] += 1
    speakers = {}
    for c, counter in votes.items():
        ranked = sorted(counter.items(), key=lambda kv: (not _is_person(kv[0]), -kv[1], kv[0]))
        speakers[c] = ranked[0][0]
    conn.executemany("update clusters set speaker = ? where id = ?", [(speakers.get(c), c) for c in sorted(clusters)])
    return speakers


def _is_person(name: str) -> bool:
    lowered = " " + name.lower()
    return len(name.split()) >= 2 and not any(h in lowered for h in PERSON_HINTS)


def _wording(conn: sqlite3.Connection, ids: set[int]) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], set[int]]]:
    """Mean Jaccard of the linked sentences of each pair of articles: how close their wordings are; and
    for each pair (a, b), the clusters in which a sentence of a is linked to one of b nearly verbatim
    (Jaccard >= ``VERBATIM``)."""
    # From each side through its own index: one query with "or" between the sides reads every link.
    links = {}
    for side in ("s1", "s2"):
        links.update(((sa, sb), rest) for sa, sb, *rest in select_in(
            conn, "select l.sentence_a, l.sentence_b, s1.article_id, s2.article_id, l.jaccard from links l"
                  " join sentences s1 on s1.id = l.sentence_a join sentences s2 on s2.id = l.sentence_b"
                  f" where {side}.article_id in ({{}})", sorted(ids)))
    sums: dict[tuple[int, int], list[float]] = defaultdict(list)
    close = [(sa, sb, a, b) for (sa, sb), (a, b, j) in links.items() if j >= VERBATIM]
    for a, b, j in links.values():
        sums[(a, b)].append(j)
        sums[(b, a)].append(j)
    cluster_of: dict[int, set[int]] = defaultdict(set)
    for sid, c in select_in(conn, "select sentence_id, cluster_id from cluster_members where sentence_id in ({})",
                            sorted({sid for sa, sb, _, _ in close for sid in (sa, sb)})):
        cluster_of[sid].add(c)
    literal: dict[tuple[int, int], set[int]] = defaultdict(set)
    for sa, sb, a, b in close:
        literal[(a, b)] |= cluster_of[sa]
        literal[(b, a)] |= cluster_of[sb]
    return {k: round(math.fsum(v) / len(v), 3) for k, v in sums.items()}, literal  # exact: in any order


def neighbours(conn: sqlite3.Connection, ids: set[int]) -> set[int]:
    """The articles sharing a cluster with these (and these, where they are in one)."""
    return {a for (a,) in select_in(conn, "select distinct m2.article_id from cluster_members m1 join cluster_members m2"
                                    " on m2.cluster_id = m1.cluster_id where m1.article_id in ({})", sorted(ids))}


def _docs(conn: sqlite3.Connection, ids: set[int]) -> dict[int, Doc]:
    ids_list = sorted(ids)
    docs = {
        r[0]: Doc(r[0], r[1], r[2], r[3], r[4], r[5] or 0)
        for r in select_in(conn, "select a.id, a.external_id, a.outlet, a.published, a.published_precision, (select sum(length(p.text))"
                           " from paragraphs p where p.article_id = a.id and p.boilerplate = 0)"
                           " from articles a where a.id in ({})", ids_list)
    }
    for c, aid, s, e, kind in select_in(conn, 'select m.cluster_id, m.article_id, p.start + m.start,'
                                        ' p.start + m."end", t.kind from cluster_members m'
                                        " join paragraphs p on p.id = m.paragraph_id"
                                        " left join sentences t on t.id = m.sentence_id"
                                        " where m.article_id in ({})", ids_list):
        docs[aid].spans[c].append((s, e))
        if kind == "title":
            docs[aid].titles.add(c)
    whole = (0, 1 << 62)
    # A credit covers its paragraph; a dateline, a credit line or a credit in the lead covers the story.
    for aid, name, kind, ps, pe, lead in select_in(
            conn, "select a.article_id, a.source_name, a.kind, p.start, p.start + length(p.text), p.position <="
                  " (select min(q.position) from paragraphs q where q.article_id = a.article_id and q.kind = 'text')"
                  " from attributions a left join paragraphs p on p.article_id = a.article_id and p.start <= a.start"
                  " and a.start < p.start + length(p.text) where a.article_id in ({})", ids_list):
        docs[aid].credits.add(name)
        docs[aid].credit_scopes.append((name, *(whole if kind != "reported" or ps is None or lead else (ps, pe))))
    roles = dict(conn.execute("select outlet, role from outlet_roles"))
    wired = {aid for (aid,) in select_in(conn, "select distinct article_id from paragraphs where kind = 'wire'"
                                               " and article_id in ({})", ids_list)}
    for d in docs.values():
        d.wire = d.id in wired
        known = roles.get(name_key(d.outlet or ""))
        d.role, d.role_from = (known, "outlet roles") if known else ("agency", "wire copy") if d.wire else (None, "")
    for aid, s, e, name in select_in(conn, 'select article_id, start, "end", speaker from quotes where article_id in ({})',
                               ids_list):
        docs[aid].quotes.append((s, e, name))
    for d in docs.values():
        d.summarise()
    return docs


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(max(s, t), min(e, u)) for s, e in a for t, u in b if max(s, t) < min(e, u)]


def _union_length(spans: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(spans):
        if e > end:
            total += e - max(s, end)
            end = e
    return total
