"""What an actor may see beyond one table's own permission: the rules behind the plugin's permission hooks.

Datasette checks ``view-table`` on the table a page shows. Three ways round that reach a hidden
table's rows, and the plugin closes each for provenance databases:

* **Tables derived from a table hold its text.** ``articles_fts`` (external content ``articles``)
  returns every title and text, its shadow tables (``articles_fts_data``/``_idx``/``_docsize``/
  ``_config``/``_content``) the vocabulary, ``paragraphs`` is the text cut into paragraphs, and
  ``clusters.text``, ``attributions.phrase`` and ``quotes.cue`` are its sentences, credit lines and
  reporting phrases.
  Each is visible only when its source is (``derived_from_schema``). Datasette 1.0a41 does this itself
  for FTS and shadow tables (``Datasette._apply_derived_table_permissions_to_sql``); 0.65 does not,
  and neither knows about ``paragraphs`` and the others.
* **SQL reads any table.** A table's ``allow`` block does not stop ``?sql=`` or a canned query
  from reading it. Arbitrary SQL on a provenance database is refused to an actor who may not see
  every one of its tables; a canned query to one who may not see a table it reads
  (``tables_read``: SQLite's authorizer while the statement is prepared, never run).
* **Foreign-key labels show the other table's label column** (``articles.title`` on
  ``derivations``, ``cluster_members``…). Datasette 1.0a checks ``view-table`` on the other table
  before expanding (``Datasette.expand_foreign_keys(actor, …)``). 0.65's ``expand_foreign_keys``
  checks nothing and has no actor; the only hook on its way is ``label_column_for_table``, read
  from metadata. So on 0.65 the table view's ``filters_from_request`` hook (which runs first, with
  the request) notes the hidden targets of the table's foreign keys for this request
  (``hide_labels``), and ``get_metadata`` names the referenced column as their label column
  (``label_overrides``): the "label" is the id itself, for this request only.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import re
import sqlite3
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import MARKER_TABLES, allowed

# Tables that hold the articles' own text although they are not FTS tables.
TEXT_OF = {"paragraphs": "articles", "clusters": "articles", "attributions": "articles", "quotes": "articles"}
# SQLite's documented shadow tables of each virtual-table module.
SHADOW_SUFFIXES = {
    "fts3": ("_content", "_segdir", "_segments", "_stat", "_docsize"),
    "fts4": ("_content", "_segdir", "_segments", "_stat", "_docsize"),
    "fts5": ("_data", "_idx", "_docsize", "_content", "_config"),
    "rtree": ("_node", "_parent", "_rowid"),
    "rtree_i32": ("_node", "_parent", "_rowid"),
}
_IDENT = r"""(?:"(?:[^"]|"")*"|'(?:[^']|'')*'|`(?:[^`]|``)*`|\[[^\]]*\]|[^\s,()'"`\[\]]+)"""
_VIRTUAL = re.compile(r"^\s*create\s+virtual\s+table\s+(?:if\s+not\s+exists\s+)?" + _IDENT
                      + r"(?:\s*\.\s*" + _IDENT + r")?\s+using\s+(" + _IDENT + r")\s*(?:\((.*)\))?\s*$",
                      re.IGNORECASE | re.DOTALL)
_CONTENT = re.compile(r"(?:^|,)\s*content\s*=\s*(" + _IDENT + r")", re.IGNORECASE)


def _unquote(identifier: str) -> str:
    if identifier[:1] in "\"'`" and identifier[-1:] == identifier[:1]:
        q = identifier[0]
        return identifier[1:-1].replace(q + q, q)
    if identifier[:1] == "[" and identifier[-1:] == "]":
        return identifier[1:-1]
    return identifier


def _derivations(schema: list[tuple[str, str | None]]) -> tuple[dict[str, str], frozenset[str]]:
    names = {name.lower(): name for name, _ in schema}
    derived: dict[str, str] = {}
    shadows = set()
    for name, sql in schema:
        match = _VIRTUAL.match(sql or "")
        if not match:
            continue
        module = _unquote(match.group(1)).lower()
        for suffix in SHADOW_SUFFIXES.get(module, ()):
            if (name + suffix).lower() in names:
                derived[names[(name + suffix).lower()]] = name
                shadows.add(names[(name + suffix).lower()])
        content = _CONTENT.search(match.group(2) or "")
        source = names.get(_unquote(content.group(1)).lower()) if content else None
        if source and source != name:
            derived[name] = source
    for table, source in TEXT_OF.items():
        if table.lower() in names and source.lower() in names:
            derived[names[table.lower()]] = names[source.lower()]
    return derived, frozenset(shadows)


def derived_from_schema(schema: list[tuple[str, str | None]]) -> dict[str, str]:
    """``table -> the table it is derived from``, from ``(name, sql)`` rows of ``sqlite_master``."""
    return _derivations(schema)[0]


@dataclass(frozen=True)
class Schema:
    version: int
    derived: dict[str, str]  # table -> the table it is derived from
    shadows: frozenset[str]  # virtual tables' storage: what they hold, their virtual table shows
    relations: tuple[str, ...]  # tables and views

    @property
    def corpus(self) -> bool:
        return MARKER_TABLES <= set(self.relations)


_schemas: "weakref.WeakKeyDictionary[Any, tuple[tuple, Schema]]" = weakref.WeakKeyDictionary()


def _read_schema(conn, cached: Schema | None) -> Schema:
    version = conn.execute("pragma schema_version").fetchone()[0]
    if cached is not None and cached.version == version:
        return cached
    rows = conn.execute("select name, sql, type from sqlite_master where type in ('table', 'view')").fetchall()
    return Schema(version, *_derivations([(n, q) for n, q, t in rows if t == "table"]), tuple(n for n, _, _ in rows))


def _files(db) -> tuple | None:
    """What the database's files look like now: while it is unchanged, so is its schema."""
    if not db.is_mutable:
        return ()
    if not getattr(db, "path", None):
        return None
    found = []
    for path in (db.path, f"{db.path}-wal"):
        try:
            st = os.stat(path)
        except OSError:
            found.append(None)
        else:
            found.append((st.st_mtime_ns, st.st_size, st.st_ino))
    return tuple(found)


async def schema(db) -> Schema:
    """The database's derived tables, tables and views, read again whenever its files change."""
    files = _files(db)
    cached = _schemas.get(db)
    if cached is not None and files is not None and cached[0] == files:
        return cached[1]
    previous = cached[1] if cached else None
    current = await db.execute_fn(lambda conn: _read_schema(conn, previous))
    _schemas[db] = (files, current)
    return current


async def corpus_schema(datasette, database) -> Schema | None:
    """The schema of a provenance database (None for any other database, or none of that name)."""
    db = datasette.databases.get(database) if isinstance(database, str) and database != "_internal" else None
    found = await schema(db) if db is not None else None
    return found if found is not None and found.corpus else None


class Visibility:
    """Which tables of one database an actor may see: its own view-table, and that of every source.

    ``sees(table)`` is the permission on the table itself: Datasette's check (``allowed``) from
    the pages and 0.65's hook; inside the 1.0a hook, the set Datasette allows without our rules.
    """

    def __init__(self, schema: Schema, sees):
        self.schema = schema
        self.derived = schema.derived
        self.sees = sees

    @classmethod
    def of(cls, datasette, actor, database: str, schema: Schema) -> "Visibility":
        async def sees(table):
            return await allowed(datasette, actor, "view-table", database, table)

        return cls(schema, sees)

    async def __call__(self, table: str) -> bool:
        seen = set()
        while table is not None and table not in seen:
            seen.add(table)
            if not await self.sees(table):
                return False
            table = self.derived.get(table)
        return True

    async def hidden(self) -> list[str]:
        """The tables and views of the database the actor may not see (derived ones included).

        Shadow tables are left out: what they hold, their virtual table shows (1.0a refuses them
        to everyone, and that must not refuse SQL to everyone)."""
        tables = [t for t in self.schema.relations if t not in self.schema.shadows]
        seen = await asyncio.gather(*(self(t) for t in tables))
        return [t for t, ok in zip(tables, seen) if not ok]


# ---------------------------------------------------------------- SQL that reads tables

_reads_cache: dict[tuple[str, int, str], frozenset[str] | None] = {}
_READS_CACHE_SIZE = 256


def _prepare_reads(path: str, immutable: bool, sql: str) -> frozenset[str] | None:
    """The tables ``sql`` reads, seen by SQLite's authorizer while the statement is prepared.

    The statement never runs: it is prefixed with EXPLAIN and given parameters of a type sqlite3
    refuses, which it reports after preparing and before the first step. ``None`` when it cannot
    be prepared (the query would fail anyway; callers refuse it).
    """
    uri = Path(path).resolve().as_uri() + ("?immutable=1" if immutable else "?mode=ro")
    reads: set[str] = set()

    def authorize(action, arg1, arg2, dbname, source):
        if action == sqlite3.SQLITE_READ and arg1:
            reads.add(arg1)
        return sqlite3.SQLITE_OK

    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.set_authorizer(authorize)
        try:
            conn.execute("explain " + sql, object())  # noqa: S608 - never run: the parameters are refused
        except sqlite3.ProgrammingError as e:
            if "unsupported type" not in str(e):
                return None
        except sqlite3.Error:
            return None
        return frozenset(reads)
    finally:
        conn.close()


async def tables_read(db, sql: str, version: int) -> frozenset[str] | None:
    """What ``_prepare_reads`` says, remembered for the database's schema version."""
    if not getattr(db, "path", None):
        return None
    key = (str(db.path), version, sql)
    if key not in _reads_cache:
        if len(_reads_cache) >= _READS_CACHE_SIZE:
            _reads_cache.clear()
        _reads_cache[key] = await asyncio.to_thread(_prepare_reads, str(db.path), not db.is_mutable, sql)
    return _reads_cache[key]


async def reads_hidden(db, sql: str | None, visible: Visibility) -> bool:
    """Whether a (canned) query reads a table the actor may not see, or cannot be told."""
    if not sql:
        return False
    reads = await tables_read(db, sql, visible.schema.version)
    if reads is None:
        return True
    for table in reads:
        if table in visible.schema.relations and table not in visible.schema.shadows and not await visible(table):
            return True
    return False


# ---------------------------------------------------------------- Datasette 0.65: permission_allowed


async def verdict_065(datasette, actor, action: str, resource) -> bool | None:
    """False where a rule above refuses, None (no opinion) everywhere else."""
    database = resource[0] if isinstance(resource, (tuple, list)) else resource
    corpus = await corpus_schema(datasette, database)
    if corpus is None:
        return None
    db = datasette.get_database(database)
    visible = Visibility.of(datasette, actor, database, corpus)
    if action == "view-table":
        source = visible.derived.get(resource[1])
        if source is not None and not await visible(source):
            return False
    elif action == "execute-sql":
        if await visible.hidden():
            return False
    elif action == "view-query":
        query = await datasette.get_canned_query(database, resource[1], actor)
        if query is not None and await reads_hidden(db, query.get("sql"), visible):
            return False
    return None


# ---------------------------------------------------------------- Datasette 1.0a: permission_resources_sql

# Set while the 1.0a hook asks Datasette what the actor may see, so that the hook, called again
# from inside, does not recurse (its own rules are applied by ``Visibility`` instead).
_in_rules = contextvars.ContextVar("datasette_provenance_in_rules", default=False)
RULE_ACTIONS = ("view-table", "execute-sql", "view-query")


async def _allowed_tables_1a(datasette, actor, database: str) -> set[str]:
    """The tables Datasette allows the actor without this plugin's rules (``allowed_resources_sql``)."""
    sql, params = await datasette.allowed_resources_sql(action="view-table", actor=actor, parent=database)
    result = await datasette.get_internal_database().execute(sql, params)
    return {row[1] for row in result.rows if row[0] == database}


async def denials_1a(datasette, actor, action: str) -> list[tuple[str, str | None, str]]:
    """``(database, table or query or None, reason)`` this plugin refuses, for one action."""
    if action not in RULE_ACTIONS or _in_rules.get():
        return []
    token = _in_rules.set(True)
    # Datasette caches verdicts for the rest of the request; those reached while our rules are off
    # go to a throwaway cache instead (a private ContextVar: should it go, the only verdicts cached
    # meanwhile are of FTS content tables, from Datasette's own derived-table check, and no rule of
    # ours covers a content table).
    try:
        from datasette.permissions import _permission_check_cache
        cache_token = _permission_check_cache.set({})
    except ImportError:
        _permission_check_cache = cache_token = None
    try:
        denied = []
        for database, db in list(datasette.databases.items()):
            corpus = await corpus_schema(datasette, database)
            if corpus is None:
                continue
            allowed_tables = await _allowed_tables_1a(datasette, actor, database)

            async def sees(table, allowed_tables=allowed_tables):
                return table in allowed_tables

            visible = Visibility(corpus, sees)
            if action == "view-table":
                for table, source in visible.derived.items():
                    if not await visible(source):
                        denied.append((database, table, f"{table} holds what {source} holds"))
            elif action == "execute-sql":
                hidden = await visible.hidden()
                if hidden:
                    denied.append((database, None, "SQL could read " + ", ".join(sorted(hidden))))
            else:
                page = await datasette.list_queries(database, actor=actor, limit=1000)
                for query in page.queries:
                    if await reads_hidden(db, query.sql, visible):
                        denied.append((database, query.name, "the query reads a table the actor may not see"))
        return denied
    finally:
        if cache_token is not None:
            _permission_check_cache.reset(cache_token)
        _in_rules.reset(token)


def permission_sql_1a(denied: list[tuple[str, str | None, str]]):
    from datasette.permissions import PermissionSQL

    return PermissionSQL(
        sql="select json_extract(value, '$[0]') as parent, json_extract(value, '$[1]') as child, 0 as allow,"
            " json_extract(value, '$[2]') as reason from json_each(:datasette_provenance_denied)",
        params={"datasette_provenance_denied": json.dumps(denied)})


# ---------------------------------------------------------------- Datasette 0.65: labels

# database -> {table: column}: foreign-key targets this request's actor may not see, with the
# column the foreign key references (named as their label column, so labels are the ids).
_hidden_labels: contextvars.ContextVar[dict[str, dict[str, str]] | None] = contextvars.ContextVar(
    "datasette_provenance_hidden_labels", default=None)


async def hide_labels(datasette, actor, database: str, table: str) -> None:
    """Note, for this request, the targets of ``table``'s foreign keys the actor may not see."""
    hidden: dict[str, str] = {}
    corpus = await corpus_schema(datasette, database)
    if corpus is not None:
        db = datasette.get_database(database)
        visible = Visibility.of(datasette, actor, database, corpus)
        for fk in await db.foreign_keys_for_table(table):
            other = fk["other_table"]
            if other not in hidden and not await visible(other):
                hidden[other] = fk["other_column"] or ((await db.primary_keys(other)) or ["rowid"])[0]
    _hidden_labels.set({database: hidden} if hidden else {})


def label_overrides() -> dict[str, Any]:
    """Metadata naming the referenced column as label column of the tables ``hide_labels`` noted."""
    hidden = _hidden_labels.get()
    if not hidden:
        return {}
    return {"databases": {database: {"tables": {t: {"label_column": column} for t, column in tables.items()}}
                          for database, tables in hidden.items()}}
