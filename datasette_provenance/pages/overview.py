"""``/<db>/-/provenance``: the most widely shared statements, who takes and gives, corpus figures."""

from __future__ import annotations

from collections import defaultdict

from ..provenance import UNKNOWN_OUTLET
from .charts import chart_links
from .common import Urls, base_context, html, json_response, open_database, page_param, rows, rows_in, wants_json

ROUTE = r"^/(?P<database>[^/]+)/-/provenance(\.(?P<format>json))?$"
TABLES = ("articles", "clusters", "cluster_members", "derivations", "outlet_edge_totals")
OUTLETS_PAGE_SIZE = 25
UPSTREAM_PAGE_SIZE = 50
# Upstream sources named by derivations with no source article; ``quoted`` when the shared text is a
# statement of theirs that an outlet carried (a speaker), not a credit.
_UPSTREAM = """
    with grouped as (
        select source_name, count(*) as count, coalesce(sum(shared_chars), 0) as shared_chars,
               coalesce(max(case when json_valid(evidence) then json_array_length(evidence, '$.chain') = 1
                   and json_extract(evidence, '$.pairs[0].decided_by') like 'shared text is a quoted statement%'
                   end), 0) as quoted
        from derivations where source_article_id is null and source_name is not null
        group by source_name)
"""


async def view(datasette, request):
    db = await open_database(datasette, request, TABLES)
    urls = Urls(datasette, db.name)
    page = page_param(request)
    outlets_page = page_param(request, "outlets_page", OUTLETS_PAGE_SIZE)
    # Credited sources and quoted speakers are two lists, each paged on its own.
    sources_page = page_param(request, "sources_page", UPSTREAM_PAGE_SIZE)
    speakers_page = page_param(request, "speakers_page", UPSTREAM_PAGE_SIZE)

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
    ranking = outlets_page.of(ranking)
    for o in ranking:
        o["url"] = urls.outlet(o["outlet"]) if o["outlet"] else None
    totals = {r["quoted"]: r["n"] for r in await rows(db, _UPSTREAM + "select quoted, count(*) as n from grouped"
                                                                      " group by quoted")}
    upstream = await rows(db, _UPSTREAM + """
        select * from (select * from grouped where quoted = 0 order by count desc, source_name
                       limit :sources_size offset :sources_offset)
        union all
        select * from (select * from grouped where quoted = 1 order by count desc, source_name
                       limit :speakers_size offset :speakers_offset)
    """, {"sources_size": sources_page.size, "sources_offset": sources_page.offset,
          "speakers_size": speakers_page.size, "speakers_offset": speakers_page.offset})
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
        "upstream_sources_pagination": sources_page.info(totals.get(0, 0)),
        "speakers_pagination": speakers_page.info(totals.get(1, 0)),
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

    Same-outlet reuse is neither taking nor giving, so it is left out of the totals. A link of
    undetermined direction is stored one way at random: it is neither, and is counted apart as shared
    text on both its outlets. Read from the loader's edge totals: grouping every derivation on each
    request grows with the corpus.
    """
    stats: dict[str, dict] = {}

    def entry(name):
        return stats.setdefault(name, {"outlet": name, "articles": 0, "takes": 0, "takes_chars": 0,
                                       "gives": 0, "gives_chars": 0, "takes_by_relation": {},
                                       "gives_by_relation": {}, "shares": 0, "shares_chars": 0})

    for side, column, kinds in (("takes", "target", ("outlet", "upstream")), ("gives", "source", ("outlet",))):
        for r in await rows(db, f"""
            select {column} as outlet, relation, sum(derivations) as n, sum(shared_chars) as chars
            from outlet_edge_totals
            where relation not in ('same-outlet', 'undetermined') and source_kind in ({", ".join("?" * len(kinds))})
            group by 1, 2
        """, list(kinds)):
            e = entry(r["outlet"])
            e[side] += r["n"]
            e[f"{side}_chars"] += r["chars"]
            e[f"{side}_by_relation"][r["relation"]] = r["n"]
    for r in await rows(db, """
        select source, target, source_kind, sum(derivations) as n, sum(shared_chars) as chars
        from outlet_edge_totals where relation = 'undetermined' and source_kind != 'speaker' group by 1, 2, 3
    """):
        for name in {r["target"], r["source"]} if r["source_kind"] == "outlet" else {r["target"]}:
            e = entry(name)
            e["shares"] += r["n"]
            e["shares_chars"] += r["chars"]
    for name, e in stats.items():
        e["articles"] = articles.get(name, 0)
    return sorted(stats.values(), key=lambda e: (-(e["takes"] + e["gives"]), -e["gives"], -e["shares"],
                                                 e["outlet"] is None, e["outlet"] or ""))
