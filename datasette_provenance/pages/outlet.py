"""``/<db>/-/provenance/outlet/<name>``: whom an outlet takes from, who takes from it, and how fast.

The name in the URL is tilde-encoded (as Datasette encodes table names). A name with no articles
that derivations credit as an upstream source (an agency outside the corpus) gets the same page,
with only its "taken by" side.
"""

from __future__ import annotations

from collections import defaultdict

from datasette.utils import tilde_decode
from datasette.utils.asgi import NotFound

from .common import (
    Urls, base_context, html, json_response, lag_days, median, open_database, page_param, rows, wants_json,
)

ROUTE = r"^/(?P<database>[^/]+)/-/provenance/outlet/(?P<outlet>[^/]+?)(\.(?P<format>json))?$"
TABLES = ("articles", "derivations")


async def view(datasette, request):
    db = await open_database(datasette, request, TABLES)
    name = tilde_decode(request.url_vars["outlet"])
    urls = Urls(datasette, db.name)
    page = page_param(request)
    count = (await rows(db, "select count(*) as n from articles where outlet = ?", [name]))[0]["n"]
    if count:
        kind = "outlet"
        takes = await rows(db, """
            select coalesce(sa.outlet, d.source_name) as partner,
                   case when d.source_article_id is null then 'upstream' else 'outlet' end as partner_kind,
                   d.relation, d.shared_chars, sa.published as source_published, a.published as derived_published
            from articles a
            join derivations d on d.derived_article_id = a.id
            left join articles sa on sa.id = d.source_article_id
            where a.outlet = ?
        """, [name])
        gives = await rows(db, """
            select da.outlet as partner, 'outlet' as partner_kind, d.relation, d.shared_chars,
                   a.published as source_published, da.published as derived_published
            from articles a
            join derivations d on d.source_article_id = a.id
            join articles da on da.id = d.derived_article_id
            where a.outlet = ?
        """, [name])
    else:
        takes = []
        gives = await rows(db, """
            select da.outlet as partner, 'outlet' as partner_kind, d.relation, d.shared_chars,
                   null as source_published, da.published as derived_published
            from derivations d join articles da on da.id = d.derived_article_id
            where d.source_article_id is null and d.source_name = ?
        """, [name])
        if not gives:
            raise NotFound("No outlet or credited source of that name")
        kind = "upstream"
    articles = await rows(db, """
        select id, title, published, published_precision, reuse_share from articles
        where outlet = ? order by published desc, id desc limit ? offset ?
    """, [name, page.size, page.offset])
    for a in articles:
        a["url"] = urls.article(a["id"])

    data = {
        "database": db.name,
        "outlet": name,
        "kind": kind,
        "articles_count": count,
        "takes_from": group_pairs(takes, urls),
        "gives_to": group_pairs(gives, urls),
        "articles": articles,
        "articles_pagination": page.info(count),
    }
    if wants_json(request):
        return json_response(data)
    context = base_context(db.name, urls, name, urls.outlet(name, "json"))
    context.update(data)
    return await html(datasette, request, "provenance_outlet.html", context)


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
        g["url"] = urls.outlet(g["partner"]) if g["partner"] else None
        out.append(g)
    return sorted(out, key=lambda g: (-g["count"], -g["shared_chars"], g["partner"] or ""))
