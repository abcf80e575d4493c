"""The corpus database: public schema, settings and the few writes that must stay together.

Only the loader writes here. Tables are created once and extended, never renamed, because users
query them in Datasette and cite them. WAL mode lets Datasette read while a load runs.
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import fields, replace
from typing import Any

import numpy as np
import sqlite_utils

from .dates import NO_DAY, publication_day
from .segment import normal_form
from .signatures import Settings

_BAND_KEYS = """create table if not exists {} (
    period integer not null,           -- band_periods(): the window-wide run of days its article is from
    key integer not null,              -- MinHash band (see settings), mixed with its band index
    sentence_id integer not null,      -- sentences(id); no foreign key or second index:
    primary key (period, key, sentence_id)  -- the hottest insert (42 rows a sentence)
) without rowid;"""

SCHEMA = f"""
create table if not exists articles (
    id integer primary key,
    external_id text not null unique,  -- the record's id; for text files the file's relative path
    outlet text,
    url text,
    published text,                    -- ISO 8601 UTC: a date, or a date and time
    published_precision text,          -- day | minute | second
    title text,
    text text not null,                -- the article as given (line endings normalised only)
    reuse_share real,                  -- share of its own (non-boilerplate) text found elsewhere
    source_file text,
    source_line integer,
    extra text,                        -- other input fields, as JSON
    content_hash text not null,
    language text                      -- the record's language tag, else the one guessed from the text
);
create table if not exists paragraphs (
    id integer primary key,
    article_id integer not null references articles(id),
    position integer not null,
    start integer not null,            -- offset in articles.text
    text text not null,
    boilerplate integer not null,      -- 1: navigation, meta lines, contact/credit lines, outlet templates
    kind text not null                 -- text | title | heading | navigation | meta | related | credit | contact | form | wire | template
);
create table if not exists sentences (
    id integer primary key,
    paragraph_id integer not null references paragraphs(id),
    article_id integer not null references articles(id),
    start integer not null,            -- offsets in paragraphs.text
    "end" integer not null,
    kind text not null                 -- text | title | short | repeat | boilerplate | template
);
create table if not exists clusters (
    id integer primary key,
    members integer not null,
    articles integer not null,
    outlets integer not null,
    first_published text,
    first_article_id integer references articles(id),
    text text not null,                -- the wording of the earliest member
    speaker text                       -- whom the statement quotes, when the articles name one
);
create table if not exists cluster_members (
    cluster_id integer not null references clusters(id),
    paragraph_id integer not null references paragraphs(id),
    sentence_id integer not null references sentences(id),
    article_id integer not null references articles(id),
    start integer not null,            -- offsets of the matched passage in paragraphs.text
    "end" integer not null,
    primary key (cluster_id, sentence_id)
);
create table if not exists links (
    sentence_a integer not null references sentences(id),
    sentence_b integer not null references sentences(id),
    jaccard real not null,             -- exact, on character 5-gram sets
    containment real not null,         -- of the shorter sentence in the longer
    aligned integer not null default 0, -- 1: a link only because its articles align around it
    primary key (sentence_a, sentence_b)
) without rowid;
create table if not exists alignments (  -- article pairs that share text, aligned as a whole
    article_a integer not null references articles(id),
    article_b integer not null references articles(id),
    pairs integer not null,            -- aligned sentence pairs (0: they share only a loose lone match)
    anchors integer not null,          -- of them, pairs that link on their own
    covered_a real not null,           -- share of a's matchable text aligned with b
    covered_b real not null,
    primary key (article_a, article_b)
) without rowid;
{_BAND_KEYS.format("band_keys")}
create table if not exists sketches (
    sentence_id integer primary key,   -- sentences(id) of a matchable sentence
    sketch blob not null,              -- low byte of each MinHash value (signatures.sketches)
    size integer not null,             -- distinct character 5-grams: with the sketch, screens candidates
    day integer                        -- the article's publication day (proleptic ordinal), null if not known
);
create table if not exists outlet_edges (
    day text,                          -- substr(published, 1, 10) of the derived articles; null if undated
    source text,                       -- the source article's outlet, or the upstream source's name
    target text,                       -- the derived article's outlet
    source_kind text not null,         -- 'outlet' (an article in the corpus) or 'upstream'
    relation text not null,            -- as in derivations
    derivations integer not null,
    shared_chars integer not null
);
create table if not exists outlet_edge_totals (
    source text,                       -- as in outlet_edges, summed over every day: the unfiltered graph
    target text,                       -- and the overview's outlet ranking read these instead of
    source_kind text not null,         -- grouping outlet_edges or derivations on each request
    relation text not null,
    derivations integer not null,
    shared_chars integer not null
);
create table if not exists graph_edges (
    source text not null,              -- an outlet_edge_totals edge as the graph page shows it: unknown
    target text not null,              -- names labelled, relations merged; kept so the page reads a page
    source_kind text not null,         -- of edges, not every edge ('outlet' if any article is the source)
    derivations integer not null,
    shared_chars integer not null,
    relations text not null            -- JSON: derivations per relation
);
create table if not exists graph_nodes (
    id text primary key,               -- an outlet or upstream source as the graph page names it
    kind text not null,                -- 'outlet' or 'upstream'
    given integer not null,
    taken integer not null,
    volume integer not null,           -- derivations in and out (reuse inside the outlet once)
    shared_chars integer not null
);
create table if not exists derivations (
    id integer primary key,
    derived_article_id integer not null references articles(id),
    source_article_id integer references articles(id),
    source_name text,
    relation text not null,
    extent text,
    shared_chars integer,
    confidence real,
    evidence text
);
create table if not exists attributions (
    id integer primary key,
    article_id integer not null references articles(id),
    source_name text not null,
    phrase text not null,
    start integer not null,            -- offsets in articles.text
    "end" integer not null,
    kind text                          -- credit | reported | dateline
);
create table if not exists quotes (
    id integer primary key,
    article_id integer not null references articles(id),
    speaker text not null,
    role text,
    start integer not null,            -- offsets of the quoted words in articles.text
    "end" integer not null,
    cue text                           -- the words that attribute it, e.g. "the spokeswoman stressed"
);
create table if not exists load_errors (
    id integer primary key,
    load_id integer references loads(id),
    source text not null,
    line integer,
    record_id text,
    reason text not null
);
create table if not exists loads (
    id integer primary key,
    started text not null,
    finished text,
    paths text not null,
    articles_added integer,
    articles_skipped integer,
    errors integer
);
create table if not exists outlet_roles (  -- from the outlet files (data/outlets.json, --aliases): evidence of direction
    outlet text primary key,           -- canonical outlet name, lower-cased
    role text not null                 -- agency | publisher
) without rowid;
create table if not exists settings (
    key text primary key,
    value text not null
);
create index if not exists paragraphs_article on paragraphs(article_id, position);
create index if not exists sentences_paragraph on sentences(paragraph_id);
create index if not exists sentences_article on sentences(article_id);
create index if not exists clusters_spread on clusters(outlets desc, articles desc);
create index if not exists members_sentence on cluster_members(sentence_id);
create index if not exists members_article on cluster_members(article_id);
create index if not exists members_paragraph on cluster_members(paragraph_id);
create index if not exists links_b on links(sentence_b);
create index if not exists alignments_b on alignments(article_b);
create index if not exists articles_outlet on articles(outlet, published);
create index if not exists articles_published on articles(published);
create index if not exists articles_content on articles(content_hash);  -- loaded before? (no id of its own)
create index if not exists derivations_derived on derivations(derived_article_id);
create index if not exists derivations_source on derivations(source_article_id);
create index if not exists attributions_article on attributions(article_id);
create index if not exists attributions_source on attributions(source_name);
create index if not exists quotes_article on quotes(article_id);
create index if not exists derivations_name on derivations(source_name);
create index if not exists outlet_edges_day on outlet_edges(day);
create index if not exists outlet_edge_totals_key on outlet_edge_totals(source, target, source_kind, relation);
create unique index if not exists graph_edges_key on graph_edges(source, target);
create index if not exists graph_edges_target on graph_edges(target);
create index if not exists graph_edges_busiest on graph_edges(derivations desc, source, target);
create index if not exists graph_nodes_busiest on graph_nodes(volume desc, id);
"""


UNDATED_PERIOD = -1  # band keys of sentences whose articles have no known day


class IncompatibleSettings(Exception):
    """The database holds signatures made with other settings: mixing them would be silently wrong."""


class InvalidSettings(ValueError):
    """Settings no load can use (no bands, a threshold of 0): refused before they are stored, since a
    database keeps the settings it was made with."""


class NotACorpus(Exception):
    """The file is some other SQLite database (or not one at all): writing our tables into it would damage it."""


def connect(path: str, factory: type[sqlite3.Connection] = sqlite3.Connection) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, factory=factory)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=normal")
    conn.execute("pragma cache_size=-262144")  # 256 MB of pages: index inserts stay in memory
    conn.execute("pragma temp_store=memory")
    conn.execute("pragma foreign_keys=on")
    return conn


def open_corpus(path: str, settings: Settings | Mapping[str, Any] | None = None) -> tuple[sqlite3.Connection, Settings]:
    """Connect to the corpus at ``path`` (made if missing) and return it with the settings in force,
    holding the corpus for this load until the connection closes.

    Everything that refuses a load — a file that is not a corpus, invalid settings, settings the
    database contradicts — is decided by reading alone, before the first write (even switching the
    file to WAL is one): a refused load leaves the file as it was, or no file.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if path != ":memory:" and not os.path.isdir(folder):
        raise ValueError(f"{path}: there is no folder {folder} to make the database in")
    settings_in_force(*_existing(path), settings)
    conn = connect(path, _Loading)
    try:
        conn.hold(path)
        return conn, ensure_schema(conn, settings)  # read again once held: another load may have made it
    except BaseException:
        conn.close()
        raise


class _Loading(sqlite3.Connection):
    """A loader's connection, holding the corpus while it is open. A load keeps what it knows of the
    corpus (band keys, clusters) between its transactions, so two loads at once would each miss the
    other's articles: a second one waits. An advisory lock on the file (flock), which SQLite's own
    byte-range locks do not see; none where the platform has none."""

    _held: int | None = None

    def hold(self, path: str) -> None:
        try:
            import fcntl
        except ImportError:  # Windows
            return
        if path == ":memory:":
            return
        self._held = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(self._held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"{path}: another load is running into this database; waiting for it to finish", file=sys.stderr)
            fcntl.flock(self._held, fcntl.LOCK_EX)

    def close(self) -> None:
        super().close()
        if self._held is not None:
            os.close(self._held)  # releases the lock
            self._held = None


_OURS = frozenset(re.findall(r"create table if not exists (\w+)", SCHEMA))


def stored_settings(path: str) -> dict[str, str]:
    """The rows of the corpus's settings table, read without writing; none for a new database."""
    return _existing(path)[0]


def _existing(path: str) -> tuple[dict[str, str], bool, bool]:
    """The file's stored settings, whether it holds signatures and whether it holds no article.

    Read with a plain connection, which writes nothing. A corpus is known by its settings; a file
    without them may only hold our tables, empty (a first load killed while it made them).
    """
    path = os.fspath(path)
    if path == ":memory:" or not os.path.isfile(path):
        return {}, False, True
    try:
        with closing(sqlite3.connect(path, timeout=60)) as conn:
            tables = {name for (name,) in conn.execute("select name from sqlite_master where type = 'table'")}
            stored = dict(conn.execute("select key, value from settings")) if "settings" in tables else {}
            filled = {t for t in tables & _OURS if conn.execute(f'select exists (select 1 from "{t}")').fetchone()[0]}
    except sqlite3.DatabaseError as e:
        if isinstance(e, sqlite3.OperationalError):  # locked, unreadable: not a verdict on the file
            raise
        raise NotACorpus(f"{path} is not an SQLite database ({e}); nothing was written to it") from None
    if not {"num_perm", "bands", "rows"} <= stored.keys():
        foreign = sorted(t for t in tables - _OURS if not t.startswith(("sqlite_", "articles_fts")))
        if foreign or filled:
            raise NotACorpus(
                f"{path} is an SQLite database but not a corpus (it holds "
                + ", ".join(foreign[:5] + (["…"] if len(foreign) > 5 else []) or sorted(filled))
                + "); nothing was written to it: load into a new file")
    return stored, "band_keys" in filled, "articles" not in filled


def settings_in_force(stored: dict[str, str], signed: bool, empty: bool,
                      settings: Settings | Mapping[str, Any] | None) -> Settings:
    """The settings a load uses: the stored ones win; a new database takes the defaults and what was chosen.

    ``settings`` is complete, or only the values a user chose (a mapping). Refuses values no load
    can use, a chosen value the database contradicts, and a database made by other code. Invalid
    settings stored without any article (by a version that stored them before checking) decided
    nothing and are replaced. ``signed``: signatures are stored; ``empty``: no article is.
    """
    if stored and empty and settings_problems(Settings.from_rows(stored)):
        stored = {}
    existing = Settings.from_rows(stored) if stored else Settings()
    if old := existing.unreproducible():
        raise IncompatibleSettings(
            "the database was built by another version of datasette-provenance ("
            + ", ".join(f"{k}={getattr(existing, k)}, this version makes {getattr(Settings, k)}" for k in old)
            + "): its sentences and signatures cannot be matched with new ones; load everything into a new database"
        )
    if isinstance(settings, Mapping):  # what a user chose: each value must agree with the database
        unknown = sorted(set(settings) - {f.name for f in fields(Settings)})
        if unknown:
            raise InvalidSettings(f"unknown setting {unknown[0]!r}")
        wanted = replace(existing, **settings)
        clash = [k for k, v in settings.items() if v != getattr(existing, k)]
    else:  # complete settings: the signature ones must agree once signatures are stored
        wanted = settings or existing
        clash = existing.incompatible(wanted) if signed else []
    if problems := settings_problems(wanted if not stored or clash else existing):
        raise InvalidSettings(("the database's settings are invalid: " if stored and not clash else "invalid settings: ")
                              + "; ".join(problems))
    if clash and stored:
        raise IncompatibleSettings(
            "the database was built with other settings ("
            + ", ".join(f"{k}={getattr(existing, k)} not {getattr(wanted, k)}" for k in clash)
            + "); load into a new database or use the stored settings"
        )
    return existing if stored else wanted


def settings_problems(s: Settings) -> list[str]:
    """What makes settings unusable: each would fail a load later, or worse, find nothing and say nothing."""
    problems = []
    for f in fields(Settings):
        value, kind = getattr(s, f.name), type(f.default)
        if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind):
            problems.append(f"{f.name} must be {'a number' if kind is float else 'an integer' if kind is int else 'text'},"
                            f" not {value!r}")
    if problems:
        return problems
    for name in ("k", "num_perm", "bands", "rows", "lone_rows", "max_bucket"):
        if getattr(s, name) < 1:
            problems.append(f"{name} must be at least 1, not {getattr(s, name)}")
    if s.bands >= 1 and s.rows >= 1 and s.bands * s.rows > s.num_perm:
        problems.append(f"bands × rows must be at most num_perm ({s.bands} × {s.rows} = {s.bands * s.rows}"
                        f" > {s.num_perm})")
    if s.lone_rows >= 1 and s.lone_bands * s.lone_rows > s.num_perm:
        problems.append(f"lone_bands × lone_rows must be at most num_perm ({s.lone_bands} × {s.lone_rows}"
                        f" = {s.lone_bands * s.lone_rows} > {s.num_perm})")
    for name in ("jaccard", "containment", "containment_jaccard"):
        if not 0 < getattr(s, name) <= 1:
            problems.append(f"{name} must be above 0 and at most 1, not {getattr(s, name)}")
    for name in ("prefilter", "prefilter_margin", "lone_words", "rendered_words"):
        if not 0 <= getattr(s, name) <= 1:
            problems.append(f"{name} must be between 0 and 1, not {getattr(s, name)}")
    for name in ("window", "min_chars", "lone_bands"):
        if getattr(s, name) < 0:
            problems.append(f"{name} must be at least 0, not {getattr(s, name)}")
    return problems


def ensure_schema(conn: sqlite3.Connection, settings: Settings | Mapping[str, Any] | None = None) -> Settings:
    """Create what is missing; return the settings in force (see settings_in_force)."""
    conn.executescript(SCHEMA)
    if "day" not in {r[1] for r in conn.execute("pragma table_info(sketches)")}:
        _add_sketch_days(conn)
    # After the column exists: a window reads the day of each band-key hit from this small index.
    conn.execute("create index if not exists sketches_day on sketches(sentence_id, day)")
    _enable_search(conn)
    stored = dict(conn.execute("select key, value from settings").fetchall())
    signed = conn.execute("select 1 from band_keys limit 1").fetchone() is not None
    empty = conn.execute("select 1 from articles limit 1").fetchone() is None
    in_force = settings_in_force(stored, signed, empty, settings)
    if not stored or Settings.from_rows(stored) != in_force:  # new, or invalid ones replaced
        conn.executemany("insert or replace into settings(key, value) values (?, ?)", in_force.as_rows())
    if "period" not in {r[1] for r in conn.execute("pragma table_info(band_keys)")}:
        _add_band_periods(conn, in_force.window)
    return in_force


def _add_sketch_days(conn: sqlite3.Connection) -> None:
    """Databases made before the window: their sentences' days, so a window compares them by day too."""
    conn.execute("begin immediate")
    conn.execute("alter table sketches add column day integer")
    rows = conn.execute("select k.sentence_id, a.published from sketches k join sentences s on s.id = k.sentence_id"
                        " join articles a on a.id = s.article_id").fetchall()
    conn.executemany("update sketches set day = ? where sentence_id = ?",
                     [(day, sid) for sid, published in rows if (day := publication_day(published)) != NO_DAY])
    conn.execute("commit")


def _add_band_periods(conn: sqlite3.Connection, window: int) -> None:
    """Databases made before band keys were kept by period: the index rebuilt in that order, in one transaction."""
    conn.execute("begin immediate")
    conn.execute(_BAND_KEYS.format("band_keys_by_period"))
    conn.execute("insert into band_keys_by_period select case when :window = 0 then 0 when k.day is null then :undated"
                 " else k.day / :window end, b.key, b.sentence_id from band_keys b"
                 " left join sketches k on k.sentence_id = b.sentence_id order by 1, 2, 3",
                 {"window": window, "undated": UNDATED_PERIOD})
    conn.execute("drop table band_keys")
    conn.execute("alter table band_keys_by_period rename to band_keys")
    conn.execute("commit")


def band_periods(days: np.ndarray, window: int) -> np.ndarray:
    """The period of each publication day: the band-key index is ordered by it first.

    Band keys are random, so one index over the whole corpus takes a batch's inserts and lookups
    to every page of it, and each commit rewrites all of them: the cost of a batch grew with the
    corpus. With a window a batch needs only the periods within its days ± the window, and writes
    only to its own, so its cost stays that of a few windows of articles. Without a window every
    sentence is compared with every other, and there is one period.
    """
    if not window:
        return np.zeros(len(days), dtype=np.int64)
    return np.where(days == NO_DAY, UNDATED_PERIOD, days // window)


# The periods in the band-key index, one seek each (SQLite does not skip-scan without statistics).
PERIODS = """with recursive periods(period) as (
    select min(period) from band_keys
    union all
    select (select min(period) from band_keys where period > periods.period) from periods where period is not null
)"""


def _enable_search(conn: sqlite3.Connection) -> None:
    """Full-text search on titles and text, so Datasette's search box works on articles.

    Checked on every load: a load killed while the index or its triggers were being made leaves
    them half there, and the next load rebuilds them.
    """
    db = sqlite_utils.Database(conn)
    triggers = dict(conn.execute("select name, sql from sqlite_master where type = 'trigger'"
                                 " and tbl_name = 'articles' and name like 'articles_a%'").fetchall())
    if not (db["articles"].detect_fts() and len(triggers) == 3):
        db["articles"].enable_fts(["title", "text"], create_triggers=True, replace=True)
        triggers = {}
    if "update of" not in triggers.get("articles_au", "").lower():
        # sqlite-utils re-indexes an article on any update; the loader updates reuse_share of every
        # article a batch touches, and the text and title never change: re-index only if they do.
        conn.execute('drop trigger if exists "articles_au"')
        conn.execute(_FTS_UPDATE_TRIGGER)


_FTS_UPDATE_TRIGGER = """create trigger "articles_au" after update of "title", "text" on "articles" begin
  insert into "articles_fts" ("articles_fts", rowid, "title", "text") values ('delete', old.rowid, old."title", old."text");
  insert into "articles_fts" (rowid, "title", "text") values (new.rowid, new."title", new."text");
end"""


_PARAMETERS = 999  # SQLite's limit on a statement's parameters before 3.32


def insert_rows(conn: sqlite3.Connection, head: str, columns: int, values: list) -> None:
    """Run ``head`` (``insert … values``) on ``values``, ``columns`` to a row, flattened, with as many
    rows a statement as SQLite takes: executemany's work per statement was more than half the cost of
    the band-key index (2.5 M rows: 2.8 s, against 1.2 s so)."""
    per = _PARAMETERS // columns
    row = "(" + ",".join("?" * columns) + ")"
    step = per * columns
    full = len(values) // step * step
    if full:
        conn.executemany(head + ",".join([row] * per), (values[i:i + step] for i in range(0, full, step)))
    if rest := values[full:]:
        conn.execute(head + ",".join([row] * (len(rest) // columns)), rest)


def select_in(conn: sqlite3.Connection, sql: str, values: Iterable[int | str], repeat: int = 1, size: int = 900) -> list[tuple]:
    """Run ``sql`` with its ``in ({})`` filled by parameters, in chunks SQLite accepts."""
    values = list(values)
    out: list[tuple] = []
    for i in range(0, len(values), size):
        chunk = values[i:i + size]
        marks = ",".join("?" * len(chunk))
        out.extend(conn.execute(sql.format(marks), chunk * repeat).fetchall())
    return out


def sentence_norms(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    rows = select_in(conn, 'select s.id, s.article_id, substr(p.text, s.start + 1, s."end" - s.start) from sentences s'
                     " join paragraphs p on p.id = s.paragraph_id where s.id in ({})", list(ids))
    return {sid: (aid, normal_form(text)) for sid, aid, text in rows}


def next_id(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"select coalesce(max(id), 0) + 1 from {table}").fetchone()[0]
