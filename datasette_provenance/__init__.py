"""datasette-provenance: Datasette hooks only; the work lives in the pipeline modules and pages/."""

from datasette import hookimpl


@hookimpl
def register_commands(cli):
    from .commands import provenance

    cli.add_command(provenance)


@hookimpl
def register_routes(datasette):
    from .pages import charts, routes

    return routes() + charts.routes()


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


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """Link articles, clusters and outlets in Datasette's table, row and query pages (canned or not)
    to the provenance pages (0.65 arguments only); which columns: ``pages.common.cell_target``."""
    if value is None or value == "":
        return None
    from .pages.common import cell_target

    target = cell_target(table, column, row)
    if target is None:
        return None

    async def inner():
        from datasette.utils import tilde_encode

        from .pages.common import Urls, cell_link, is_provenance_database

        if not await is_provenance_database(datasette, database):
            return None
        row_url = None
        if isinstance(value, dict) and target != "outlet":
            other = "clusters" if target == "cluster" else "articles"
            row_url = datasette.urls.row(database, other, tilde_encode(str(value.get("value"))))
        return cell_link(Urls(datasette, database), target, value, row_url)

    return inner


@hookimpl
def extra_body_script(template, database, table, view_name, datasette):
    """The table pages of articles and clusters: a provenance link beside each id (Datasette renders
    the primary key itself, without ``render_cell``)."""
    if view_name != "table" or table not in ("articles", "clusters") or not database:
        return None

    async def inner():
        from .pages.common import Urls, is_provenance_database, pk_link_script

        if not await is_provenance_database(datasette, database):
            return ""  # Datasette would print None into an empty <script> as code
        return pk_link_script(Urls(datasette, database), table) or ""

    return inner


async def _visible_provenance_database(datasette, actor, database):
    """A corpus whose overview the actor may open: no menu or action leads to a page that refuses."""
    from .pages.common import can_view, is_provenance_database
    from .pages.overview import TABLES

    return await is_provenance_database(datasette, database) and await can_view(datasette, actor, database, TABLES)


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
def top_homepage(datasette, request):
    """Datasette 1.0a (0.65 has no such hook, and pluggy leaves an implementation without one uncalled):
    a visible line of links to the provenance pages of each corpus the actor may see."""

    async def inner():
        from markupsafe import Markup

        from .pages.common import Urls, entry_links

        lines = [entry_links(Urls(datasette, name), name) for name in list(datasette.databases)
                 if await _visible_provenance_database(datasette, request.actor, name)]
        return Markup("").join(lines)

    return inner


@hookimpl
def top_database(datasette, request, database):
    """Datasette 1.0a: the same line at the top of the corpus database page."""

    async def inner():
        from .pages.common import Urls, entry_links

        if not await _visible_provenance_database(datasette, request.actor, database):
            return ""
        return entry_links(Urls(datasette, database))

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
