"""What every provenance page shares: the permission shim, database access, paging and URLs.

Custom routes get no permission check from Datasette, so every view calls ``open_database`` with
the tables it reads before it reads anything: view-instance, then view-database, then view-table
for each table. A table the actor may not see ends the request with 403, so no page can show
rows of a table that Datasette itself would hide.

Pages only read: nothing here writes, so they work on a database served immutable (``-i``).
"""

from __future__ import annotations

import json
import statistics
import time
import weakref
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Iterable, Sequence

from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import BadRequest, Forbidden, NotFound, Response
from markupsafe import Markup

from ..dates import within_day

PLUGIN = "datasette-provenance"
# The tables that make a database a provenance corpus (the loader creates them all at once).
MARKER_TABLES = frozenset({"articles", "paragraphs", "sentences", "clusters", "cluster_members"})
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MAX_IN = 500  # values per ``in (...)`` list: well under SQLite's parameter limit

_schema_cache: "weakref.WeakKeyDictionary[Any, dict[str, tuple[bool, float]]]" = weakref.WeakKeyDictionary()
_NEGATIVE_TTL = 10.0  # seconds a "not a provenance database" answer is trusted


# ---------------------------------------------------------------- permissions


async def allowed(datasette, actor, action: str, database: str | None = None, table: str | None = None) -> bool:
    """One permission check on Datasette 1.0a (``allowed`` + resources) or 0.65 (``permission_allowed``)."""
    if hasattr(datasette, "allowed"):
        from datasette.resources import DatabaseResource, TableResource

        if table is not None:
            resource = TableResource(database, table)
        elif database is not None:
            resource = DatabaseResource(database)
        else:
            resource = None
        return bool(await datasette.allowed(action=action, resource=resource, actor=actor))
    resource = (database, table) if table is not None else database
    return bool(await datasette.permission_allowed(actor, action, resource, default=True))


async def can_view(datasette, actor, database: str, tables: Iterable[str] = ()) -> bool:
    """view-instance → view-database → view-table for every table: all must pass."""
    if not await allowed(datasette, actor, "view-instance"):
        return False
    if not await allowed(datasette, actor, "view-database", database):
        return False
    for table in tables:
        if not await allowed(datasette, actor, "view-table", database, table):
            return False
    return True


# ---------------------------------------------------------------- databases


def database_name(datasette, request) -> str:
    """The database named in the URL (its route, tilde-encoded), or 404."""
    route = tilde_decode(request.url_vars["database"])
    try:
        return datasette.get_database(route=route).name
    except KeyError:
        raise NotFound("Database not found")


async def is_provenance_database(datasette, name: str) -> bool:
    """Whether a database has the loader's schema; cached (briefly, when the answer is no)."""
    cache = _schema_cache.setdefault(datasette, {})
    hit = cache.get(name)
    now = time.monotonic()
    if hit and (hit[0] or now - hit[1] < _NEGATIVE_TTL):
        return hit[0]
    db = datasette.databases.get(name)
    ok = False
    if db is not None and name != "_internal":
        try:
            ok = MARKER_TABLES <= set(await db.table_names())
        except Exception:  # a database that cannot be read is not one we can show
            ok = False
    cache[name] = (ok, now)
    return ok


async def open_database(datasette, request, tables: Sequence[str]):
    """The Database for this request after every permission check, or Forbidden/NotFound.

    Permissions are checked before the schema, so a database the actor may not see is not
    even confirmed to be a provenance corpus.
    """
    name = database_name(datasette, request)
    actor = request.actor
    if not await allowed(datasette, actor, "view-instance"):
        raise Forbidden("You do not have permission to view this instance")
    if not await allowed(datasette, actor, "view-database", name):
        raise Forbidden("You do not have permission to view this database")
    db = datasette.get_database(name)
    present = set(await db.table_names())
    if not MARKER_TABLES <= present or not set(tables) <= present:
        raise NotFound("This database has no provenance tables: load it with `datasette provenance load`")
    for table in tables:
        if not await allowed(datasette, actor, "view-table", name, table):
            raise Forbidden("You do not have permission to view the tables this page needs")
    return db


async def rows(db, sql: str, params: Sequence[Any] | dict = ()) -> list[dict]:
    result = await db.execute(sql, params)
    return [dict(zip(result.columns, r)) for r in result.rows]


async def rows_in(db, sql: str, values: Iterable[Any], extra: Sequence[Any] = ()) -> list[dict]:
    """Run ``sql`` whose ``in ({})`` takes ``values`` as parameters, in chunks; ``extra`` follows them."""
    values = list(dict.fromkeys(values))
    out: list[dict] = []
    for i in range(0, len(values), MAX_IN):
        chunk = values[i:i + MAX_IN]
        out.extend(await rows(db, sql.format(",".join("?" * len(chunk))), [*chunk, *extra]))
    return out


# ---------------------------------------------------------------- request parsing


def int_param(value: str, what: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"{what} not found")
    if n < 0 or n > 2**63 - 1:
        raise NotFound(f"{what} not found")
    return n


@dataclass
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def of(self, items: list) -> list:
        """This page's share of a list held whole."""
        return items[self.offset:self.offset + self.size]

    def info(self, total: int) -> dict:
        """Past the last page, ``previous`` is the last page: the one before is past the end too."""
        pages = max(1, -(-total // self.size))
        return {"page": self.number, "page_size": self.size, "total": total, "pages": pages,
                "past_end": self.number > pages, "next": self.number + 1 if self.number < pages else None,
                "previous": min(self.number - 1, pages) if self.number > 1 else None}


def page_param(request, name: str = "page", size: int = PAGE_SIZE) -> Page:
    """The 1-based page number in ``?<name>=``; the main list (``page``) also takes ``?_size=``."""
    raw = request.args.get(name) or "1"
    try:
        number = int(raw)
    except ValueError:
        raise BadRequest(f"?{name}= must be a page number")
    if number < 1 or number > 1_000_000:
        raise BadRequest(f"?{name}= must be between 1 and 1000000")
    if name == "page" and request.args.get("_size"):
        try:
            size = int(request.args["_size"])
        except ValueError:
            raise BadRequest("?_size= must be a number")
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise BadRequest(f"?_size= must be between 1 and {MAX_PAGE_SIZE}")
    return Page(number, size)


def date_param(request, name: str) -> str | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise BadRequest(f"?{name}= must be a date as YYYY-MM-DD")


def query_with(request, **changes) -> str:
    """A query-only URL ("?a=1&page=2"): the current arguments with some replaced, prefix-proof."""
    from urllib.parse import urlencode

    args = [(k, v) for k in request.args.keys() if k not in changes for v in request.args.getlist(k)]
    args += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    return "?" + urlencode(args)


def wants_json(request) -> bool:
    return request.url_vars.get("format") == "json"


# ---------------------------------------------------------------- URLs


class Urls:
    """URLs of the provenance pages of one database, prefix-aware through ``datasette.urls``."""

    def __init__(self, datasette, database: str):
        self.datasette = datasette
        self.database = database
        self.base = datasette.urls.database(database) + "/-/provenance"

    def overview(self, fmt: str | None = None, **query) -> str:
        return _with(self.base + (f".{fmt}" if fmt else ""), query)

    def cluster(self, cid: int, fmt: str | None = None) -> str:
        return f"{self.base}/cluster/{int(cid)}" + (f".{fmt}" if fmt else "")

    def article(self, aid: int, fmt: str | None = None) -> str:
        return f"{self.base}/article/{int(aid)}" + (f".{fmt}" if fmt else "")

    def outlet(self, name: str, fmt: str | None = None, **query) -> str:
        return _with(f"{self.base}/outlet/{tilde_encode(name)}" + (f".{fmt}" if fmt else ""), query)

    def graph(self, fmt: str | None = None, **query) -> str:
        return _with(f"{self.base}/graph" + (f".{fmt}" if fmt else ""), query)

    def trace(self, fmt: str | None = None, **query) -> str:
        return _with(f"{self.base}/trace" + (f".{fmt}" if fmt else ""), query)

    def table(self, table: str) -> str:
        return self.datasette.urls.table(self.database, table)

    def static(self, path: str) -> str:
        return self.datasette.urls.static_plugins(PLUGIN, path)


def _with(path: str, query: dict) -> str:
    from urllib.parse import urlencode

    query = {k: v for k, v in query.items() if v not in (None, "")}
    return path + ("?" + urlencode(query) if query else "")


# ---------------------------------------------------------------- dates and evidence


def parse_published(value: str | None) -> datetime | None:
    """articles.published (ISO 8601 date or UTC date-time) as an aware datetime."""
    if not value:
        return None
    try:
        if len(value) == 10:
            return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def day_precision(published: str | None, precision: str | None) -> bool:
    return bool(published) and (precision == "day" or len(published) == 10)


def same_day_tie(a: dict, b: dict) -> bool:
    """Two dated items whose order cannot be told: same day, and one of them is known only to the day."""
    pa, pb = a.get("published"), b.get("published")
    if not pa or not pb or pa[:10] != pb[:10]:
        return False
    return day_precision(pa, a.get("published_precision")) or day_precision(pb, b.get("published_precision"))


def timeline_key(item: dict):
    """Dated items first, by day, the timed before those known only to the day (``dates.within_day``), by
    time; then by article and sentence so ties keep a stable order."""
    when = parse_published(item.get("published"))
    day = within_day(item["published"]) if when else ("", False)
    return (when is None, day, when.timestamp() if when else 0, item.get("article_id") or 0,
            item.get("sentence_id") or 0)


def lag_days(source: str | None, derived: str | None) -> float | None:
    """Days from source to derived; whole days when one is known only to the day (a paper of the day an
    agency timed its copy is 0 days after it, not a negative fraction: it is not published at midnight)."""
    a, b = parse_published(source), parse_published(derived)
    if a is None or b is None:
        return None
    if day_precision(source, None) or day_precision(derived, None):
        return float((b.date() - a.date()).days)
    return round((b - a).total_seconds() / 86400, 2)


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


_ARTICLE_KEYS = {"article", "other_article", "source_article", "derived_article", "siblings", "articles"}
_CLUSTER_KEYS = {"cluster", "clusters"}


def evidence_json(raw: str | None) -> Any:
    """derivations.evidence parsed (it is JSON text); text that is not JSON is returned as it is."""
    if raw in (None, ""):
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return raw


def evidence_html(raw: str | None, urls: "Urls", labels: dict[int, str] | None = None) -> Markup:
    """derivations.evidence as nested definition lists, every value escaped; ids link to their pages, a
    statement by its opening words where ``labels`` (``statement_labels``) has them."""
    data = evidence_json(raw)
    if data is None:
        return Markup('<span class="prov-muted">no evidence recorded</span>')
    if not isinstance(data, (dict, list)):
        data = {"evidence": data}
    return _evidence_node(data, None, urls, 0, labels or {})


def _evidence_node(value: Any, key: str | None, urls: "Urls", depth: int, labels: dict[int, str]) -> Markup:
    if isinstance(value, dict) and depth < 4:
        items = Markup("").join(
            Markup("<dt>{}</dt><dd>{}</dd>").format(str(k).replace("_", " "),
                                                    _evidence_node(v, str(k), urls, depth + 1, labels))
            for k, v in value.items())
        return Markup('<dl class="prov-evidence">{}</dl>').format(items)
    if isinstance(value, list) and depth < 4:
        if all(isinstance(v, (dict, list)) for v in value) and value:
            # Per-pair detail is long: folded, so the table stays readable.
            return Markup('<details class="prov-evidence-more"><summary>{} item{}</summary>'
                          '<ol class="prov-evidence-list">{}</ol></details>').format(
                len(value), "" if len(value) == 1 else "s", Markup("").join(
                    Markup("<li>{}</li>").format(_evidence_node(v, key, urls, depth + 1, labels)) for v in value))
        separator = Markup("; ") if key in _CLUSTER_KEYS and labels else Markup(", ")  # labels hold commas
        return separator.join(_evidence_node(v, key, urls, depth + 1, labels) for v in value) or Markup("none")
    if isinstance(value, int) and not isinstance(value, bool) and key in _ARTICLE_KEYS | _CLUSTER_KEYS:
        if key in _ARTICLE_KEYS:
            return Markup('<a href="{}">{}</a>').format(urls.article(value), f"article {value}")
        label = f"“{labels[value]}”" if value in labels else f"statement {value}"
        return Markup('<a href="{}" title="{}">{}</a>').format(urls.cluster(value), f"statement {value}", label)
    if value is None:
        return Markup("–")
    if isinstance(value, bool):
        return Markup("yes" if value else "no")
    if isinstance(value, float):
        return Markup.escape(f"{value:.3g}")
    if isinstance(value, (dict, list)):
        return Markup.escape(json.dumps(value, ensure_ascii=False))
    return Markup.escape(str(value))


# ---------------------------------------------------------------- responses


def json_response(data: Any, status: int = 200) -> Response:
    return Response.json(data, status=status)


async def html(datasette, request, template: str, context: dict, status: int = 200) -> Response:
    context.setdefault("page_link", lambda **changes: query_with(request, **changes))
    body = await datasette.render_template(template, context, request=request)
    return Response.html(body, status=status)


def base_context(database: str, urls: Urls, title: str, json_url: str | None = None) -> dict:
    return {
        "database": database,
        "prov": urls,
        "page_title": title,
        "alternate_url_json": json_url,
        "css_url": urls.static("provenance.css"),
        "js_url": urls.static("provenance.js"),
    }


def evidence_clusters(evidence: Any) -> set[int]:
    """The statements a derivation's parsed evidence names (``clusters``); none when it names none."""
    clusters = evidence.get("clusters") if isinstance(evidence, dict) else None
    return {c for c in clusters if isinstance(c, int) and not isinstance(c, bool)} if isinstance(clusters, list) else set()


async def statement_labels(db, ids: Iterable[int]) -> dict[int, str]:
    """The opening words (``cluster_label``) of the statements with these ids that exist."""
    return {r["id"]: cluster_label(r["text"]) for r in await rows_in(
        db, "select id, substr(text, 1, 200) as text from clusters where id in ({})", sorted(set(ids)))}


def cluster_label(text: str | None, limit: int = 60) -> str:
    """A shared passage named by its opening words (whole words, about ``limit`` characters), so a
    reader knows which statement a link leads to without opening it."""
    words = " ".join((text or "").split())
    if len(words) <= limit:
        return words
    cut = words[:limit + 1].rsplit(" ", 1)[0] if " " in words[:limit + 1] else words[:limit]
    return cut.rstrip(",;:–—-") + "…"


# ---------------------------------------------------------------- entry points on Datasette's pages


def entry_links(urls: Urls, database: str | None = None) -> Markup:
    """One visible line of links to the provenance pages, for the top of Datasette's home page (which
    names the database) and of the corpus database page (which does not)."""
    links = Markup(" · ").join(Markup('<a href="{}">{}</a>').format(href, label) for href, label in (
        (urls.overview(), "overview"), (urls.graph(), "graph"), (urls.trace(), "trace a passage")))
    name = Markup(" <em>{}</em>").format(database) if database is not None else Markup("")
    return Markup('<p class="provenance-entry"><strong>Provenance{}:</strong> {} — the statements outlets share,'
                  ' and who took them from whom</p>').format(name, links)


# ---------------------------------------------------------------- links from Datasette's own pages

# Columns whose values are article or cluster ids, or outlet (or upstream source) names, in the
# loader's tables. ``render_cell`` links them to the provenance pages.
_TABLE_ARTICLE_COLUMNS = {
    ("articles", "id"), ("paragraphs", "article_id"), ("sentences", "article_id"),
    ("cluster_members", "article_id"), ("clusters", "first_article_id"), ("attributions", "article_id"),
    ("derivations", "derived_article_id"), ("derivations", "source_article_id"), ("quotes", "article_id"),
    ("alignments", "article_a"), ("alignments", "article_b"),
}
_TABLE_CLUSTER_COLUMNS = {("clusters", "id"), ("cluster_members", "cluster_id")}
_TABLE_OUTLET_COLUMNS = {
    ("articles", "outlet"), ("attributions", "source_name"), ("derivations", "source_name"),
    ("outlet_edges", "source"), ("outlet_edges", "target"), ("outlet_edge_totals", "source"),
    ("outlet_edge_totals", "target"), ("graph_edges", "source"), ("graph_edges", "target"), ("graph_nodes", "id"),
}
# Query results (canned or not) carry no table: their columns are recognised by name.
_QUERY_ARTICLE_COLUMNS = {"article_id", "derived_article_id", "source_article_id", "first_article_id",
                          "article_a", "article_b"}
_QUERY_CLUSTER_COLUMNS = {"cluster_id", "cluster"}
_QUERY_OUTLET_COLUMNS = {"outlet", "derived_outlet", "source_outlet", "source_name"}
# "source", "target" and "derived" name outlets only in a row that pairs a source with what took from it
# (who_took_from_whom, outlet_to_outlet, outlet_edges): load_errors.source is a file name.
_PAIR_COLUMNS = {"source", "target", "derived", "derived_outlet"}


def _row_value(row, key: str) -> Any:
    try:
        value = row[key]
    except (KeyError, IndexError, TypeError):
        return None
    return value.get("value") if isinstance(value, dict) else value


def _row_keys(row) -> set[str]:
    try:
        return set(row.keys())
    except (AttributeError, TypeError):
        return set()


def cell_target(table: str | None, column: str, row) -> str | None:
    """Which provenance page a cell of Datasette's table, row or query pages leads to: "article",
    "cluster", "outlet", or None. A speaker of the graph's tables (``source_kind``/``kind`` "speaker") has
    a page there too; a ``source_name`` beside a source article has none (its article's outlet is the one)."""
    if table is not None:
        key = (table, column)
        if key in _TABLE_ARTICLE_COLUMNS:
            return "article"
        if key in _TABLE_CLUSTER_COLUMNS:
            return "cluster"
        if key not in _TABLE_OUTLET_COLUMNS:
            return None
    elif column in _QUERY_ARTICLE_COLUMNS:
        return "article"
    elif column in _QUERY_CLUSTER_COLUMNS:
        return "cluster"
    elif column not in _QUERY_OUTLET_COLUMNS and not (
            column in _PAIR_COLUMNS and len(_row_keys(row) & _PAIR_COLUMNS) >= 2):
        return None
    if column == "source_name" and _row_value(row, "source_article_id") is not None:
        return None
    return "outlet"


def cell_link(urls: Urls, target: str, value: Any, row_url: str | None = None) -> Markup | None:
    """The HTML of a cell linking to its provenance page; ``value`` may be an expanded foreign key."""
    raw, label = (value.get("value"), value.get("label")) if isinstance(value, dict) else (value, None)
    if target == "outlet":
        if not isinstance(raw, str) or not raw:
            return None
        return Markup('<a class="provenance-link" href="{}">{}</a>').format(urls.outlet(raw), raw)
    try:
        ident = int(raw)
    except (TypeError, ValueError):
        return None
    if isinstance(raw, float) and raw != ident or ident < 0:
        return None
    href = urls.cluster(ident) if target == "cluster" else urls.article(ident)
    if label is not None and str(label) != str(raw) and row_url:
        # An expanded foreign key: keep Datasette's link to the row, add one to the provenance page.
        return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em> <a class="provenance-link" href="{}"'
                      ' title="Provenance">provenance</a>').format(row_url, label, ident, href)
    title = "This statement across outlets" if target == "cluster" else "Provenance of this article"
    return Markup('<a class="provenance-link" href="{}" title="{}">{}</a>').format(href, title, ident)


# Datasette links a table's primary key to its row page without asking ``render_cell``: on the
# table pages of articles and clusters this script adds the provenance link beside each id.
_PK_LINK_SCRIPT = """(function () {
  var base = %s, title = %s;
  document.querySelectorAll("table.rows-and-columns td.type-pk").forEach(function (td) {
    var id = td.textContent.trim();
    if (!/^[0-9]+$/.test(id) || td.querySelector("a.provenance-link")) return;
    var a = document.createElement("a");
    a.className = "provenance-link";
    a.href = base + id;
    a.title = title;
    a.textContent = "provenance";
    td.appendChild(document.createTextNode(" "));
    td.appendChild(a);
  });
})();"""


def _js_string(text: str) -> str:
    """A JavaScript string literal that cannot close the <script> element it sits in."""
    return json.dumps(text).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def pk_link_script(urls: Urls, table: str) -> str | None:
    """The script for the table page of ``articles`` or ``clusters``; None for any other table."""
    if table == "articles":
        base, title = urls.article(0)[:-1], "Provenance of this article"
    elif table == "clusters":
        base, title = urls.cluster(0)[:-1], "This statement across outlets"
    else:
        return None
    return _PK_LINK_SCRIPT % (_js_string(base), _js_string(title))
