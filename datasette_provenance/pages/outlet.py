"""``/<db>/-/provenance/outlet/<name>``: whom an outlet takes from, who takes from it, and how fast.

The name in the URL is tilde-encoded (as Datasette encodes table names) and matched as
stored. A name with no articles of its own (an agency outside the corpus) still has a page when
loaded articles credit it (``attributions.source_name``) or derivations name it as their source
with no source article (``derivations.source_name``): what it supplied, with only its "taken by"
side. A name stored in another case only ("tass": outlet_roles keeps names lower-cased, and a
query's ``outlet`` column is linked) redirects to the stored spelling; any other name is 404. A
loaded outlet's page also lists the articles of other outlets that credit it.

The graph names articles with no outlet "(unknown outlet)" and derivations with neither a source
article nor a source name "(unknown source)"; those names have pages too: the articles with no
outlet (what they took and gave, and the list of them), and the derivations naming no source.
"""

from __future__ import annotations

from collections import defaultdict

from datasette.utils import tilde_decode
from datasette.utils.asgi import NotFound, Response

from ..provenance import UNKNOWN_OUTLET, UNKNOWN_SOURCE
from .charts import chart_links
from .common import (
    Urls, base_context, cluster_label, html, json_response, lag_days, median, open_database, page_param, rows,
    rows_in, wants_json,
)

ROUTE = r"^/(?P<database>[^/]+)/-/provenance/outlet/(?P<outlet>[^/]+?)(\.(?P<format>json))?$"
TABLES = ("articles", "derivations", "attributions", "clusters", "outlet_edge_totals")

# Articles that credit the name, leaving out the outlet's own articles (a dateline naming oneself).
_CREDITING = """
    from articles a
    where a.id in (select article_id from attributions where source_name = :name)
      and a.outlet is not :name
"""
# A link whose direction nothing decided (``cluster.is_undirected``, as the article page tells them): which
# side is stored as the source is arbitrary, so it is neither taken nor given but listed apart.
_UNDIRECTED = """d.id, (d.relation = 'undetermined' or coalesce(json_extract(case when json_valid(d.evidence)
    then d.evidence end, '$.direction') = 'undetermined', 0)) as undirected"""
# Derivations that name it as their source when no source article is known ({} is ``_named``).
_NAMING = """
    from derivations d join articles da on da.id = d.derived_article_id
    where d.source_article_id is null and {}
"""


def _own(name: str, alias: str = "a") -> str:
    """The articles of outlet ``:name``; the graph's "(unknown outlet)" also takes those with none."""
    if name == UNKNOWN_OUTLET:
        return f"({alias}.outlet = :name or {alias}.outlet is null or {alias}.outlet = '')"
    return f"{alias}.outlet = :name"


def _named(name: str) -> str:
    """Derivations naming ``:name``; the graph's "(unknown source)" also takes those naming none."""
    if name == UNKNOWN_SOURCE:
        return "(d.source_name = :name or d.source_name is null or d.source_name = '')"
    return "d.source_name = :name"


def outlet_url(urls: Urls, name: str | None, kind: str = "outlet") -> str:
    """The page of an outlet or source, or of the graph's unknown outlet (source) when it has no name."""
    return urls.outlet(name or (UNKNOWN_SOURCE if kind == "upstream" else UNKNOWN_OUTLET))


async def view(datasette, request):
    db = await open_database(datasette, request, TABLES)
    name = tilde_decode(request.url_vars["outlet"])
    urls = Urls(datasette, db.name)
    page = page_param(request)
    # ?_size= sets the size of every list on the page; each list has its own page number.
    credits_page = page_param(request, "credits_page", page.size)
    derivations_page = page_param(request, "derivations_page", page.size)
    own, naming, args = _own(name), _NAMING.format(_named(name)), {"name": name}
    count = (await rows(db, f"select count(*) as n from articles a where {own}", args))[0]["n"]
    credited_count = (await rows(db, "select count(*) as n " + _CREDITING, args))[0]["n"]
    named_count = (await rows(db, "select count(*) as n " + naming, args))[0]["n"]
    quoted = not count and await _quoted_speaker(db, name)
    if count:
        kind = "outlet"
        takes = await rows(db, """
            select coalesce(sa.outlet, d.source_name) as partner,
                   case when d.source_article_id is null then 'upstream' else 'outlet' end as partner_kind,
                   d.relation, d.shared_chars, sa.published as source_published, a.published as derived_published,
                   {undirected}
            from articles a
            join derivations d on d.derived_article_id = a.id
            left join articles sa on sa.id = d.source_article_id
            where {own}
        """.format(own=own, undirected=_UNDIRECTED), args)
        gives = await rows(db, """
            select da.outlet as partner, 'outlet' as partner_kind, d.relation, d.shared_chars,
                   a.published as source_published, da.published as derived_published, {undirected}
            from articles a
            join derivations d on d.source_article_id = a.id
            join articles da on da.id = d.derived_article_id
            where {own}
        """.format(own=own, undirected=_UNDIRECTED), args)
    elif credited_count or named_count:
        kind = "upstream"
        takes = []
        gives = await rows(db, """
            select da.outlet as partner, 'outlet' as partner_kind, d.relation, d.shared_chars,
                   null as source_published, da.published as derived_published, {}
        """.format(_UNDIRECTED) + naming, args)
    elif quoted:
        kind = "speaker"
        takes, gives = [], []
    elif spelled := await _spelled(db, name):  # outlet_roles keeps names lower-cased, and a query links them
        query = request.query_string
        return Response.redirect(urls.outlet(spelled, request.url_vars.get("format")) + (f"?{query}" if query else ""))
    else:
        raise NotFound("No outlet or credited source of that name")
    # Once each (both sides may be its own: versions of one story), and with no lag: there is no order.
    shares = {r["id"]: {**r, "source_published": None} for r in takes + gives if r["undirected"]}
    takes, gives = ([r for r in side if not r["undirected"]] for side in (takes, gives))
    articles = await rows(db, f"""
        select a.id, a.title, a.published, a.published_precision, a.reuse_share from articles a
        where {own} order by a.published desc, a.id desc limit :limit offset :offset
    """, {**args, "limit": page.size, "offset": page.offset})
    for a in articles:
        a["url"] = urls.article(a["id"])

    data = {
        "database": db.name,
        "outlet": name,
        "kind": kind,
        # The graph's "(unknown outlet)": articles with no outlet (and any outlet of that very name).
        "unknown_outlet": name == UNKNOWN_OUTLET,
        "articles_count": count,
        "takes_from": group_pairs(takes, urls),
        "gives_to": group_pairs(gives, urls),
        "shares_text_with": group_pairs(list(shares.values()), urls),
        "articles": articles,
        "articles_pagination": page.info(count),
        "credited_by_count": credited_count,
        "credited_by": await crediting_articles(db, name, credits_page, urls),
        "credited_by_pagination": credits_page.info(credited_count),
        "named_by_derivations_count": named_count,
        "named_by_derivations": await naming_derivations(db, name, derivations_page, urls),
        "named_by_derivations_pagination": derivations_page.info(named_count),
    }
    if quoted:  # a speaker may also be named as the source of statements no agency is credited for
        data.update(await _statements(db, name, page_param(request, "statements_page", page.size), urls))
    if wants_json(request):
        return json_response(data)
    context = base_context(db.name, urls, name, urls.outlet(name, "json"))
    context.update(data)
    context["chart"] = chart_links(urls, "outlet", name, f"Derivations {name} took, by week and source")
    return await html(datasette, request, "provenance_outlet.html", context)


async def _spelled(db, name: str) -> str | None:
    """The name as the corpus spells it, when it differs from ``name`` in case only."""
    found = await rows(db, """
        select outlet as name from articles where outlet = :name collate nocase
        union all select source_name from attributions where source_name = :name collate nocase
        union all select source_name from derivations where source_name = :name collate nocase
        limit 1
    """, {"name": name})
    return found[0]["name"] if found and found[0]["name"] != name else None


async def _quoted_speaker(db, name: str) -> bool:
    """A person or body whose statements clusters quote (a graph's speaker node)."""
    return bool((await rows(db, "select exists (select 1 from clusters where speaker = ?) as e", [name]))[0]["e"])


async def _statements(db, name: str, page, urls: Urls) -> dict:
    """A speaker's page: the statements quoting them (paginated, most carried first) and the upstream
    sources that carried them, from the graph's speaker layer."""
    count = (await rows(db, "select count(*) as n from clusters where speaker = ?", [name]))[0]["n"]
    quoted = await rows(db, """
        select id, text, articles, outlets, first_published from clusters where speaker = :name
        order by outlets desc, articles desc, id limit :limit offset :offset
    """, {"name": name, "limit": page.size, "offset": page.offset})
    for c in quoted:
        c["url"] = urls.cluster(c["id"])
        c["label"] = cluster_label(c.pop("text"))
    carried = await rows(db, """
        select target as upstream, sum(derivations) as derivations from outlet_edge_totals
        where source = ? and source_kind = 'speaker' group by target order by 2 desc, 1
    """, [name])
    for u in carried:
        u["url"] = outlet_url(urls, u["upstream"], "upstream")
    return {"statements_count": count, "statements": quoted, "statements_pagination": page.info(count),
            "carried_by": carried}


async def crediting_articles(db, name: str, page, urls: Urls) -> list[dict]:
    """One page of the articles that credit ``name``, latest first, each with its credit phrases."""
    found = await rows(db, """
        select a.id as article_id, a.outlet, a.title, a.published, a.published_precision
    """ + _CREDITING + " order by a.published desc, a.id desc limit :limit offset :offset",
        {"name": name, "limit": page.size, "offset": page.offset})
    phrases = defaultdict(list)
    for c in await rows_in(db, """
        select article_id, phrase, kind from attributions
        where article_id in ({}) and source_name = ? order by article_id, start, id
    """, [a["article_id"] for a in found], [name]):
        phrases[c["article_id"]].append({"phrase": c["phrase"], "kind": c["kind"]})
    for a in found:
        a["url"] = urls.article(a["article_id"])
        a["outlet_url"] = outlet_url(urls, a["outlet"])
        a["credits"] = phrases[a["article_id"]]
    return found


async def naming_derivations(db, name: str, page, urls: Urls) -> list[dict]:
    """One page of the derivations whose source is ``name`` with no source article, latest first."""
    found = await rows(db, """
        select d.id, d.derived_article_id, da.outlet as derived_outlet, da.title as derived_title,
               da.published as derived_published, da.published_precision as derived_published_precision,
               d.relation, d.extent, d.shared_chars, d.confidence
    """ + _NAMING.format(_named(name)) + " order by da.published desc, d.id desc limit :limit offset :offset",
        {"name": name, "limit": page.size, "offset": page.offset})
    for d in found:
        d["derived_url"] = urls.article(d["derived_article_id"])
        d["derived_outlet_url"] = outlet_url(urls, d["derived_outlet"])
    return found


def group_pairs(records: list[dict], urls: Urls) -> list[dict]:
    """Derivations grouped by the other side: volume, relations and the median lag in days."""
    groups: dict[tuple, dict] = {}
    lags = defaultdict(list)
    for r in records:
        key = (r["partner"], r["partner_kind"])
        g = groups.setdefault(key, {"partner": r["partner"], "partner_kind": r["partner_kind"], "count": 0,
                                    "shared_chars": 0, "relations": {}})
        g["count"] += 1
        g["shared_chars"] += r["shared_chars"] or 0
        g["relations"][r["relation"]] = g["relations"].get(r["relation"], 0) + 1
        lag = lag_days(r["source_published"], r["derived_published"])
        if lag is not None:
            lags[key].append(lag)
    out = []
    for key, g in groups.items():
        g["median_lag_days"] = median(lags[key])
        g["lag_samples"] = len(lags[key])
        g["url"] = outlet_url(urls, g["partner"], g["partner_kind"])
        out.append(g)
    return sorted(out, key=lambda g: (-g["count"], -g["shared_chars"], g["partner"] or ""))
