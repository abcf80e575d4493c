"""The provenance pages served by Datasette: one module per page, shared helpers in ``common``."""

from functools import wraps

from datasette.utils import add_cors_headers
from datasette.utils.asgi import Base400, Response

from . import article, cluster, graph, outlet, overview, trace

PAGES = (overview, cluster, article, outlet, graph, trace)


def _machine_formats(view):
    """.json and the exports: errors as JSON, and CORS headers when Datasette runs with --cors.

    Datasette sends Forbidden raised by a plugin route to its ``forbidden`` hook, which renders
    HTML whatever the extension; a client asking for JSON gets JSON with the same status.
    HTML requests re-raise, so Datasette (and auth plugins) handle them as usual.
    """

    @wraps(view)
    async def inner(datasette, request):
        machine = bool(request.url_vars.get("format"))
        try:
            response = await view(datasette, request)
        except Base400 as e:
            if not machine:
                raise
            response = Response.json({"ok": False, "error": str(e.args[0]) if e.args else "", "status": e.status},
                                     status=e.status)
        if machine and getattr(datasette, "cors", False):
            add_cors_headers(response.headers)
        return response

    return inner


def routes() -> list[tuple[str, object]]:
    return [(page.ROUTE, _machine_formats(page.view)) for page in PAGES]
