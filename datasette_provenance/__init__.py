"""datasette-provenance: Datasette hooks only; the work lives in the pipeline modules and pages/."""

from datasette import hookimpl
from markupsafe import Markup


@hookimpl
def register_commands(cli):
    from .commands import provenance

    cli.add_command(provenance)


@hookimpl
def register_routes(datasette):
    from .pages import routes

    return routes()


@hookimpl(trylast=True)
def permission_allowed(datasette, actor, action, resource):
    """Datasette 0.65 (last, so that its refusal stands): the rules of ``pages.access``."""
    if action not in ("view-table", "execute-sql", "view-query"):
        return None

    async def inner():
        from .pages.access import verdict_065

        return await verdict_065(datasette, actor, action, resource)

    return inner


@hookimpl
def permission_resources_sql(datasette, actor, action):
    """Datasette 1.0a: the same rules, as rows that refuse (``pages.access``)."""

    async def inner():
        from .pages.access import denials_1a, permission_sql_1a

        denied = await denials_1a(datasette, actor, action)
        return permission_sql_1a(denied) if denied else None

    return inner


@hookimpl
def filters_from_request(request, database, table, datasette):
    """Datasette 0.65: before the table view expands foreign-key labels, note the hidden targets."""
    if hasattr(datasette, "allowed"):
        return None  # 1.0a checks view-table on the other table before expanding

    async def inner():
        from .pages.access import hide_labels

        await hide_labels(datasette, request.actor, database, table)
        return None

    return inner


@hookimpl
def get_metadata(datasette, key, database, table):
    """Datasette 0.65: hidden foreign-key targets get their id as label column (see ``hide_labels``)."""
    from .pages.access import label_overrides

    return label_overrides()


# Columns whose values are article or cluster ids (or outlet names) in the provenance tables.
_ARTICLE_COLUMNS = {
    ("articles", "id"), ("paragraphs", "article_id"), ("sentences", "article_id"),
    ("cluster_members", "article_id"), ("clusters", "first_article_id"), ("attributions", "article_id"),
    ("derivations", "derived_article_id"), ("derivations", "source_article_id"),
}
_CLUSTER_COLUMNS = {("clusters", "id"), ("cluster_members", "cluster_id")}
_OUTLET_COLUMNS = {("articles", "outlet")}


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link ids in the ordinary table and row pages to the provenance pages (0.65 arguments only)."""
    key = (table, column)
    if value is None or not (key in _ARTICLE_COLUMNS or key in _CLUSTER_COLUMNS or key in _OUTLET_COLUMNS):
        return None

    async def inner():
        from .pages.common import Urls, is_provenance_database

        if not await is_provenance_database(datasette, database):
            return None
        urls = Urls(datasette, database)
        raw, label = (value.get("value"), value.get("label")) if isinstance(value, dict) else (value, None)
        if key in _OUTLET_COLUMNS:
            if not isinstance(raw, str) or not raw:
                return None
            return Markup('<a class="provenance-link" href="{}">{}</a>').format(urls.outlet(raw), raw)
        try:
            ident = int(raw)
        except (TypeError, ValueError):
            return None
        href = urls.cluster(ident) if key in _CLUSTER_COLUMNS else urls.article(ident)
        if label is not None and str(label) != str(raw):
            # An expanded foreign key: keep Datasette's link to the row, add one to the provenance page.
            from datasette.utils import tilde_encode

            other = "clusters" if key in _CLUSTER_COLUMNS else "articles"
            row_url = datasette.urls.row(database, other, tilde_encode(str(ident)))
            return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em> <a class="provenance-link" href="{}"'
                          ' title="Provenance">provenance</a>').format(row_url, label, ident, href)
        title = "This statement across outlets" if key in _CLUSTER_COLUMNS else "Provenance of this article"
        return Markup('<a class="provenance-link" href="{}" title="{}">{}</a>').format(href, title, ident)

    return inner


async def _visible_provenance_database(datasette, actor, database):
    from .pages.common import can_view, is_provenance_database

    return await is_provenance_database(datasette, database) and await can_view(datasette, actor, database)


@hookimpl
def menu_links(datasette, actor, request):
    async def inner():
        from .pages.common import Urls

        links = []
        for name in list(datasette.databases):
            if await _visible_provenance_database(datasette, actor, name):
                links.append({"href": Urls(datasette, name).overview(), "label": f"Provenance: {name}"})
        return links

    return inner


@hookimpl
def table_actions(datasette, actor, database, table, request):
    async def inner():
        from .pages.common import Urls

        if not await _visible_provenance_database(datasette, actor, database):
            return []
        urls = Urls(datasette, database)
        links = [{"href": urls.overview(), "label": "Provenance: most shared statements"},
                 {"href": urls.graph(), "label": "Provenance: derivation network"},
                 {"href": urls.trace(), "label": "Provenance: trace a passage"}]
        return links

    return inner


@hookimpl
def database_actions(datasette, actor, database, request):
    return table_actions(datasette, actor, database, None, request)


@hookimpl
def row_actions(datasette, actor, request, database, table, row):
    """Datasette 1.0a: from an article or cluster row to its provenance page (0.65 has no such hook)."""
    if table not in ("articles", "clusters"):
        return None

    async def inner():
        from .pages.common import Urls, is_provenance_database

        if not await is_provenance_database(datasette, database):
            return []
        try:
            ident = int(row["id"])
        except (KeyError, IndexError, TypeError, ValueError):
            return []
        urls = Urls(datasette, database)
        if table == "articles":
            return [{"href": urls.article(ident), "label": "Provenance of this article"}]
        return [{"href": urls.cluster(ident), "label": "This statement across outlets"}]

    return inner
