"""``/<db>/-/provenance``: the most widely shared statements, who takes and gives, corpus figures."""

from __future__ import annotations

from collections import defaultdict

from ..provenance import UNKNOWN_OUTLET
from .charts import chart_links
from .common import Urls, base_context, html, json_response, open_database, page_param, rows, rows_in, wants_json

ROUTE = r"^/(?P<database>[^/]+)/-/provenance(\.(?P<format>json))?$"
TABLES = ("articles", "clusters", "cluster_members", "derivations", "outlet_edge_totals")
OUTLETS_PAGE_SIZE = 25


async def view(datasette, request):
    db = await open_database(datasette, request, TABLES)
    urls = Urls(datasette, db.name)
    page = page_param(request)
    outlets_page = page_param(request, "outlets_page", OUTLETS_PAGE_SIZE)

    # One pass over the covering index articles_outlet(outlet, published), never the table's rows (their
    # text): on a million articles, a scan of a million short index entries. A date without a time is
    # stored as the day alone (YYYY-MM-DD, published_precision 'day'), so its length tells it apart.
    counted = await rows(db, """
        select outlet, count(*) as n, count(*) - count(published) as undated,
               coalesce(sum(length(published) = 10), 0) as day_only
        from articles group by outlet
    """)
    per_outlet = {r["outlet"]: r["n"] for r in counted}
    figures = {"articles": sum(per_outlet.values()), "outlets": len(per_outlet.keys() - {None, ""})}
    # What the direction of reuse depends on: an article's outlet, its date, and the time of day.
    figures["articles_without_outlet"] = sum(r["n"] for r in counted if not r["outlet"])
    figures["articles_without_date"] = sum(r["undated"] for r in counted)
    figures["articles_day_only"] = sum(r["day_only"] for r in counted)
    figures |= (await rows(db, """
        select (select count(*) from clusters) as clusters,
               (select count(distinct article_id) from cluster_members) as articles_with_reuse,
               (select count(*) from derivations) as derivations
    """))[0]
    figures["share_with_reuse"] = (
        round(figures["articles_with_reuse"] / figures["articles"], 4) if figures["articles"] else 0.0
    )

    clusters = await rows(db, """
        select c.id, c.members, c.articles, c.outlets, c.first_published, c.first_article_id, c.text,
               a.outlet as first_outlet, a.title as first_title
        from clusters c left join articles a on a.id = c.first_article_id
        order by c.outlets desc, c.articles desc, c.members desc, c.id
        limit ? offset ?
    """, [page.size, page.offset])
    names = defaultdict(set)
    for r in await rows_in(db, "select m.cluster_id, a.outlet from cluster_members m"
                               " join articles a on a.id = m.article_id where m.cluster_id in ({})",
                           [c["id"] for c in clusters]):
        names[r["cluster_id"]].add(r["outlet"] or "(unknown outlet)")
    for c in clusters:
        c["outlet_names"] = sorted(names[c["id"]])
        c["url"] = urls.cluster(c["id"])
        c["first_article_url"] = urls.article(c["first_article_id"]) if c["first_article_id"] else None

    ranking = await outlet_ranking(db, per_outlet)
    outlet_info = outlets_page.info(len(ranking))
    ranking = ranking[outlets_page.offset:outlets_page.offset + outlets_page.size]
    for o in ranking:
        o["url"] = urls.outlet(o["outlet"]) if o["outlet"] else None
    upstream = await rows(db, """
        select source_name, count(*) as count, coalesce(sum(shared_chars), 0) as shared_chars,
               max(case when json_valid(evidence) then json_array_length(evidence, '$.chain') = 1
                   and json_extract(evidence, '$.pairs[0].decided_by') like 'shared text is a quoted statement%' end)
                   as quoted
        from derivations where source_article_id is null and source_name is not null
        group by source_name order by count desc, source_name limit 50
    """)
    for u in upstream:  # a speaker is quoted, not credited: listed apart
        u["quoted"] = bool(u["quoted"])

    data = {
        "database": db.name,
        "figures": figures,
        "clusters": clusters,
        "clusters_pagination": page.info(figures["clusters"]),
        "outlets": ranking,
        "outlets_pagination": outlet_info,
        "upstream_sources": upstream,
    }
    if wants_json(request):
        return json_response(data)
    context = base_context(db.name, urls, "Provenance", urls.overview("json"))
    context.update(data)
    context["chart"] = chart_links(urls, "overview", alt="Derivations by day")
    context["unknown_outlet_url"] = urls.outlet(UNKNOWN_OUTLET)  # the articles without an outlet, listed
    return await html(datasette, request, "provenance_overview.html", context)


async def outlet_ranking(db, articles: dict[str | None, int]) -> list[dict]:
    """Per outlet: derivations it takes (its articles derived) and gives (its articles the source).

    Same-outlet reuse is neither taking nor giving, so it is left out of the totals. Read from the
    loader's edge totals: grouping every derivation on each request grows with the corpus.
    """
    stats: dict[str, dict] = {}

    def entry(name):
        return stats.setdefault(name, {"outlet": name, "articles": 0, "takes": 0, "takes_chars": 0,
                                       "gives": 0, "gives_chars": 0, "takes_by_relation": {},
                                       "gives_by_relation": {}})

    for side, column, kinds in (("takes", "target", ("outlet", "upstream")), ("gives", "source", ("outlet",))):
        for r in await rows(db, f"""
            select {column} as outlet, relation, sum(derivations) as n, sum(shared_chars) as chars
            from outlet_edge_totals
            where relation != 'same-outlet' and source_kind in ({", ".join("?" * len(kinds))})
            group by 1, 2
        """, list(kinds)):
            e = entry(r["outlet"])
            e[side] += r["n"]
            e[f"{side}_chars"] += r["chars"]
            e[f"{side}_by_relation"][r["relation"]] = r["n"]
    for name, e in stats.items():
        e["articles"] = articles.get(name, 0)
    return sorted(stats.values(), key=lambda e: (-(e["takes"] + e["gives"]), -e["gives"], e["outlet"] or ""))
