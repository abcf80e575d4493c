"""Load articles into a corpus database: ingest → segment → signatures → candidates → align → clusters →
provenance, each stage in its own module with its own SQL; this one runs them batch by batch.

A load is a sequence of batches, each committed in one transaction: a batch is either wholly in
the database or not at all. A full load is just incremental loads of consecutive batches; new
sentences are matched against what is stored (band keys, links) and only the link components they
touch are reclustered.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from . import clusters, provenance, store
from .attributions import SourceAliases
from .align import align_new
from .candidates import NewSentences, StoredKeys, link_new_sentences
from .clusters import recluster, recluster_old
from .dates import publication_day
from .ingest import LoadError, read_paths
from .outlets import OutletAliases
from .prepare import PreparedArticle, PreparedBatch, prepared
from .signatures import Settings
from .store import next_id, select_in


@dataclass
class LoadSummary:
    articles_added: int = 0
    articles_unchanged: int = 0
    paragraphs: int = 0
    sentences: int = 0
    links_added: int = 0
    candidates: int = 0  # sentence pairs sharing a band
    checked: int = 0  # of those, the ones the sketches could not rule out: compared exactly
    clusters: int = 0
    errors: list[LoadError] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)  # articles added, by language
    unmatched: Counter[str] = field(default_factory=Counter)  # of those, the ones with no sentence to match
    reclustered: int = 0  # linked sentences that older rules had clustered, reclustered before this load
    rederived: int = 0  # articles whose derivations older rules had made, redone before this load
    # Of the articles added, the ones whose direction of reuse the loader can only partly tell:
    without_outlet: int = 0  # no outlet: shown as an unknown outlet, never told apart from another unknown one
    without_date: int = 0  # no date: no order against other articles, only the text says who took from whom
    day_only: int = 0  # a date without a time (published_precision 'day'): no order against the same day's
    markup: int = 0  # of the articles added, the ones whose record's text held HTML, read as HTML

    def dating(self) -> str | None:
        """The line that says how many articles added lack what orders them, or None if none do."""
        counts = [(self.without_outlet, "no outlet", "counted as an unknown outlet"),
                  (self.without_date, "no date", "no order against any article"),
                  (self.day_only, "a date without a time", "no order within its day")]
        present = [c for c in counts if c[0]]
        if not present:
            return None
        first = present[0][0]
        listed = ", ".join([present[0][1], *(f"{n} {what}" for n, what, _ in present[1:])])
        why = "; ".join(f"{what.removeprefix('a ')}: {why}" for _, what, why in present)
        return (f"{first} of the {self.articles_added} articles added {'has' if first == 1 else 'have'} {listed}:"
                f" the direction between them rests on text alone ({why})")

    def __str__(self) -> str:
        lines = [f"clusters of {self.reclustered} linked sentences redone: this version's rules differ from those"
                 " that made them"] if self.reclustered else []
        lines += [f"derivations of {self.rederived} articles redone: this version's rules differ from those"
                  " that made them"] if self.rederived else []
        lines += [
            f"{self.articles_added} articles added, {self.articles_unchanged} already loaded",
            f"{self.paragraphs} paragraphs, {self.sentences} sentences, {self.links_added} new links"
            f" ({self.candidates} candidate pairs, {self.checked} compared exactly)",
        ]
        if self.languages:
            lines.append("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(self.languages.items(),
                                                                                key=lambda kv: (-kv[1], kv[0]))))
        if dating := self.dating():
            lines.append(dating)
        if self.markup:
            lines.append(f"{self.markup} of the {self.articles_added} articles added had HTML in their record's text:"
                         " read as HTML (its blocks as paragraphs, its tags left out)")
        lines += [f"  {n} of the {self.languages[lang]} articles in {lang} have no sentence that can be matched"
                  " (all shorter than a sentence that proves reuse, or boilerplate): they cannot be linked"
                  for lang, n in sorted(self.unmatched.items())]
        lines += [
            f"{self.clusters} clusters in the corpus",
            f"{len(self.errors)} input records skipped" + (":" if self.errors else ""),
        ]
        lines += [f"  {line}" for line in _skipped(self.errors)]
        return "\n".join(lines)


SKIPPED_ALIKE = 3  # records one file skips for one reason listed one by one; more are one line
SKIPPED_LINES = 50  # lines of skipped records the summary prints; the rest are counted (load_errors has all)


def _skipped(errors: list[LoadError]) -> list[str]:
    """The skipped records as the summary lists them: a file that gives many records one reason (a
    field named otherwise in every record) in one line, and no more than ``SKIPPED_LINES`` lines."""
    alike: dict[tuple[str, str], list[LoadError]] = {}
    for e in errors:
        alike.setdefault((e.source, e.cause), []).append(e)
    lines = []
    for (source, reason), group in alike.items():
        if len(group) <= SKIPPED_ALIKE:
            lines += map(str, group)
            continue
        at = [e.line for e in group if e.line is not None]
        where = f": lines {', '.join(map(str, at[:SKIPPED_ALIKE]))}, …" if at else ""
        lines.append(f"{source}: {reason} ({len(group)} records{where})")
    if len(lines) > SKIPPED_LINES:
        lines[SKIPPED_LINES:] = [f"… and {len(lines) - SKIPPED_LINES} more (the table load_errors holds every"
                                 " skipped record)"]
    return lines


def load_paths(
    db_path: str,
    paths: Iterable[str | Path],
    *,
    outlet: str | None = None,
    published: str | None = None,
    fields: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    aliases: str | None = None,
    sources: str | None = None,
    settings: Settings | Mapping[str, Any] | None = None,
    batch_size: int = 2000,
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> LoadSummary:
    """Load files or folders of articles into ``db_path`` (created if missing); safe to repeat.

    ``outlet``/``published`` override what is inferred; ``aliases`` and ``sources`` are JSON files
    extending the outlet names (data/outlets.json) and the credited source names (data/sources.json).
    ``jobs`` worker processes prepare batches (segments, signatures) while this one links; the
    result does not depend on it. ``progress`` is called after each batch with the records and
    article characters read so far. ``settings``: complete, or a mapping of the values chosen (the
    rest are the database's, or the defaults for a new one); a database built otherwise is refused.
    """
    _check_options(batch_size, jobs)
    paths = [str(p) for p in paths]
    # Everything that can refuse the load is decided before the database is touched.
    names, credits, files = name_files(db_path, aliases, sources)
    records = read_paths(paths, outlet=outlet, published=published, aliases=names, fields=fields)
    with _reporting_a_full_disk(db_path):
        conn, settings = store.open_corpus(db_path, settings)
        try:
            with _transaction(conn):
                keep_names(conn, names, files)
            return _load(conn, paths, records, settings, credits, batch_size, jobs, progress)
        finally:
            conn.close()


def name_files(db_path: str, aliases: str | None, sources: str | None) -> tuple[OutletAliases, SourceAliases, dict]:
    """The outlet and credited-source names in force: the files given, else those the database keeps
    (settings ``aliases_file``, ``sources_file``) from the load that gave them. A later load without
    the options must neither forget an outlet's role (redoing the derivations of its articles) nor
    miss a credit the first load would have read: the same input in any order gives the same corpus."""
    stored = store.stored_settings(db_path)
    texts = {key: Path(path).read_text("utf-8") if path else stored.get(key)
             for key, path in (("aliases_file", aliases), ("sources_file", sources))}
    return (OutletAliases.load(aliases, texts["aliases_file"]), SourceAliases.load(sources, texts["sources_file"]),
            {key: text for key, text in texts.items() if text is not None})


def keep_names(conn: sqlite3.Connection, names: OutletAliases, files: dict[str, str]) -> None:
    """The outlet roles in force, and the name files' texts, so that later loads read names alike."""
    provenance.save_roles(conn, names.roles)
    conn.executemany("insert or replace into settings(key, value) values (?, ?)", sorted(files.items()))


def _load(conn: sqlite3.Connection, paths: list[str], records: Iterator, settings: Settings, credits: SourceAliases,
          batch_size: int, jobs: int, progress: Callable[[int, int], None] | None) -> LoadSummary:
    summary = LoadSummary()
    with _transaction(conn):
        refresh_old_counts(conn, settings, summary)
    load_id = conn.execute(
        "insert into loads(started, paths) values (?, ?)", (_now(), json.dumps(paths))
    ).lastrowid
    done = chars = 0
    first = first_batch(conn, batch_size)
    stored_keys = StoredKeys.read(conn)
    # Closed here, not when the traceback that holds it is freed: an interrupted load stops its workers at once.
    growth = 2 if jobs == 1 else WORKER_RAMP
    with closing(prepared(_chunks(records, batch_size, first, growth), settings, credits, jobs)) as batches:
        for batch in batches:
            with _transaction(conn):
                _load_batch(conn, batch, settings, summary, load_id, stored_keys)
                _counted(conn, load_id, summary)  # an interrupted load's row still says what it added
            done += len(batch.articles) + len(batch.errors)
            chars += sum(len(a.record.text) for a in batch.articles)
            if progress:
                progress(done, chars)
    summary.clusters = conn.execute("select count(*) from clusters").fetchone()[0]
    _counted(conn, load_id, summary, _now())
    conn.execute("pragma wal_checkpoint(truncate)")
    return summary


def _counted(conn: sqlite3.Connection, load_id: int, summary: LoadSummary, finished: str | None = None) -> None:
    conn.execute("update loads set finished = ?, articles_added = ?, articles_skipped = ?, errors = ? where id = ?",
                 (finished, summary.articles_added, summary.articles_unchanged, len(summary.errors), load_id))


def upgrade_due(db_path: str) -> list[str]:
    """What the next load into this database redoes first because an older version's rules made it
    ("clusters", "derivations"; none for a new or current one), read without writing: so that the
    command line can say why a load waits before its first batch."""
    if not Path(db_path).is_file():
        return []
    try:
        with closing(sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            if not conn.execute("select exists (select 1 from articles)").fetchone()[0]:
                return []
            due = ["clusters"] if clusters.outdated(conn) else []
            return due + ["derivations"] if due or provenance.outdated(conn) else due
    except sqlite3.Error:  # not a corpus: the load itself says so
        return []


def refresh_old_counts(conn: sqlite3.Connection, settings: Settings, summary: LoadSummary | None = None) -> None:
    """What older code left out or derived otherwise, redone before a load adds to it: the outlet
    counts of a database from before they were kept, and clusters and derivations made by older rules."""
    reclustered = recluster_old(conn, settings)
    rederived = provenance.rederive_old(conn, everything=reclustered > 0)  # new clusters: derivations from them
    if summary is not None:
        summary.reclustered, summary.rederived = reclustered, rederived
    if conn.execute("select (not exists (select 1 from outlet_edges) or not exists (select 1 from outlet_edge_totals)"
                    " or not exists (select 1 from graph_nodes))"
                    " and exists (select 1 from derivations)"
                    ).fetchone()[0]:
        provenance.refresh_outlet_edges(conn)


class DiskFull(Exception):
    """The disk (or the database's size limit) is full: what was committed is kept, the rest is not loaded."""


_SQLITE_FULL = 13


@contextmanager
def _reporting_a_full_disk(db_path: str) -> Iterator[None]:
    """SQLite's "database or disk is full" as a message that says what it means for the corpus."""
    try:
        yield
    except sqlite3.OperationalError as e:
        if getattr(e, "sqlite_errorcode", None) != _SQLITE_FULL and "database or disk is full" not in str(e):
            raise
        raise DiskFull(f"{db_path}: the disk is full ({e}); the batches committed so far are kept:"
                       " free some space and run the same command again to load the rest") from e


def _check_options(batch_size: int, jobs: int) -> None:
    """Before anything is written: a batch size of 0 loaded nothing and said nothing."""
    for name, value in (("batch_size", batch_size), ("jobs", jobs)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be an integer of at least 1, not {value!r}")


def _load_batch(
    conn: sqlite3.Connection, batch: PreparedBatch, settings: Settings, summary: LoadSummary, load_id: int,
    stored_keys: StoredKeys,
) -> None:
    first_sentence = next_id(conn, "sentences")
    added = add_articles(conn, batch, summary, load_id)
    if added is None:
        return
    _, new = added
    counts: Counter[str] = Counter()
    found = link_new_sentences(conn, new, batch, first_sentence, settings, counts, stored_keys)
    summary.candidates += counts["candidates"]
    summary.checked += counts["checked"]
    links = align_new(conn, found.links, found.shingles, settings, found.norms)
    conn.executemany("insert or ignore into links values (?, ?, ?, ?, ?)", links)
    summary.links_added += len(links)
    # Article pairs re-derived because a head was displaced (candidates.py) are reclustered with the rest.
    touched = recluster(conn, [n for l in links for n in l[:2]] + sorted(found.withdrawn), settings, found.shingles)
    withdrawn = {a for (a,) in select_in(conn, "select distinct article_id from sentences where id in ({})",
                                          sorted(found.withdrawn))}
    provenance.update(conn, sorted(touched | withdrawn | set(new.article.tolist())))


def add_articles(conn: sqlite3.Connection, batch: PreparedBatch, summary: LoadSummary,
                 load_id: int) -> tuple[list[PreparedArticle], NewSentences] | None:
    """Store a batch's errors and its articles not loaded before, counted in ``summary``: the articles
    and their new matchable sentences, or None when there is no new article."""
    errors = list(batch.errors)
    articles = _new_articles(conn, batch.articles, errors, summary)
    conn.executemany(
        "insert into load_errors(load_id, source, line, record_id, reason) values (?, ?, ?, ?, ?)",
        [(load_id, e.source, e.line, e.record_id, e.reason) for e in errors],
    )
    summary.errors.extend(errors)
    if not articles:
        return None
    new = _insert_articles(conn, articles, summary)
    summary.articles_added += len(articles)
    for art in articles:
        summary.languages[art.language] += 1
        summary.without_outlet += not art.record.outlet
        summary.without_date += not art.record.published
        summary.day_only += bool(art.record.published) and art.record.published_precision == "day"
        summary.markup += art.record.markup
        if not any(s.matchable for p in art.paragraphs for s in p.sentences):
            summary.unmatched[art.language] += 1
    return articles, new


def _new_articles(
    conn: sqlite3.Connection, prepared: list[PreparedArticle], errors: list[LoadError], summary: LoadSummary
) -> list[PreparedArticle]:
    """Articles not loaded before.

    An id the record gives is its identity: the same id with other text, or the same text from
    another outlet (exports number each outlet's articles from 1), is an error, not an overwrite.
    An id made from the path (file name, line) is not: the same file reached by another path gets
    another one, another file of the same name the same one. Such a record is already
    loaded when an article with its text, outlet, URL, title and date is (the same text from another
    outlet is reuse, not a duplicate); if new while its id is taken, it gets the id plus a digest of
    that identity, the same whatever else was loaded before it.
    """
    identity = [_identity(art) if art.record.id_from_path else None for art in prepared]
    ids = {art.record.external_id for art in prepared}
    ids |= {_renamed(art.record.external_id, key) for art, key in zip(prepared, identity) if key}
    stored = {i: (digest, outlet) for i, digest, outlet in
              select_in(conn, "select external_id, content_hash, outlet from articles where external_id in ({})", ids)}
    known = set(select_in(conn, "select content_hash, outlet, url, title, published from articles"
                                " where content_hash in ({})", {key[0] for key in identity if key}))
    fresh: dict[str, PreparedArticle] = {}
    for art, key in zip(prepared, identity):
        rec = art.record
        if key:
            if key in known:
                summary.articles_unchanged += 1
                continue
            known.add(key)
            if rec.external_id in stored or rec.external_id in fresh:
                rec.external_id = _renamed(rec.external_id, key)
        earlier = fresh.get(rec.external_id)
        prior = stored.get(rec.external_id) or (earlier and (earlier.digest, earlier.record.outlet))
        if prior is None:
            fresh[rec.external_id] = art
        elif prior == (art.digest, rec.outlet):
            summary.articles_unchanged += 1
        else:
            other = "text" if prior[0] != art.digest else f"outlet ({rec.outlet or 'none'}, not {prior[1] or 'none'})"
            errors.append(LoadError(rec.source, rec.line, f"duplicate id {rec.external_id!r} with different {other}:"
                                    " the version loaded first is kept", rec.external_id))
    return list(fresh.values())


def _identity(art: PreparedArticle) -> tuple:
    """What makes an article without an id of its own the same article: its text and what it says of itself."""
    rec = art.record
    return art.digest, rec.outlet, rec.url, rec.title, rec.published


def _renamed(external_id: str, identity: tuple) -> str:
    """A taken path-made id, made unique by the article's identity: the same whatever was loaded first."""
    return f"{external_id}~{hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:12]}"


def _insert_articles(conn: sqlite3.Connection, articles: list[PreparedArticle], summary: LoadSummary) -> NewSentences:
    """Insert articles, their segments, credits and quotes, numbering them after what is stored."""
    aid, pid, sid = next_id(conn, "articles"), next_id(conn, "paragraphs"), next_id(conn, "sentences")
    art_rows, par_rows, sen_rows, credit_rows, quote_rows = [], [], [], [], []
    new_ids, new_articles, new_rows, new_days = [], [], [], []
    for art in articles:
        rec = art.record
        day = publication_day(rec.published)
        art_rows.append((aid, rec.external_id, rec.outlet, rec.url, rec.published, rec.published_precision,
                         rec.title, rec.text, rec.source, rec.line,
                         json.dumps(rec.extra, ensure_ascii=False) if rec.extra else None, art.digest,
                         art.language))
        credit_rows += [(aid, a.source_name, a.phrase, a.start, a.end, a.kind) for a in art.credits]
        quote_rows += [(aid, q.name, q.role, q.quote_start, q.quote_end, q.cue) for q in art.quotes]
        row = art.first_norm
        for p in art.paragraphs:
            par_rows.append((pid, aid, p.position, p.start, p.text, int(p.boilerplate), p.kind))
            for s in p.sentences:
                sen_rows.append((sid, pid, aid, s.start, s.end, s.kind))
                if s.matchable:
                    new_ids.append(sid)
                    new_articles.append(aid)
                    new_rows.append(row)
                    new_days.append(day)
                    row += 1
                sid += 1
            pid += 1
        aid += 1
    conn.executemany(
        "insert into articles(id, external_id, outlet, url, published, published_precision, title, text,"
        " source_file, source_line, extra, content_hash, language) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        art_rows,
    )
    conn.executemany("insert into paragraphs values (?, ?, ?, ?, ?, ?, ?)", par_rows)
    conn.executemany('insert into sentences(id, paragraph_id, article_id, start, "end", kind)'
                     " values (?, ?, ?, ?, ?, ?)", sen_rows)
    conn.executemany('insert into attributions(article_id, source_name, phrase, start, "end", kind)'
                     " values (?, ?, ?, ?, ?, ?)", credit_rows)
    conn.executemany('insert into quotes(article_id, speaker, role, start, "end", cue) values (?, ?, ?, ?, ?, ?)',
                     quote_rows)
    summary.paragraphs += len(par_rows)
    summary.sentences += len(sen_rows)
    return NewSentences(np.array(new_ids, dtype=np.int64), np.array(new_articles, dtype=np.int64),
                         np.array(new_rows, dtype=np.int64), np.array(new_days, dtype=np.int64))


class _transaction:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("begin immediate")

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.conn.execute("commit")
                return
            except BaseException:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        """SQLite may have rolled back already (a full disk can end the transaction): a second
        rollback would replace the error that says why with "no transaction is active"."""
        if self.conn.in_transaction:
            self.conn.execute("rollback")


# With workers, each batch is an eighth larger than the one before: a worker prepares a batch alone while
# the loading process links the one before, so a batch twice as large kept the loading process waiting
# (3,000 articles on 2 cores: 2.8 s of waits, and 1.7 s with this ramp, all of it for the first batch).
WORKER_RAMP = 1.125


def first_batch(conn: sqlite3.Connection, batch_size: int) -> int:
    """A small first batch gets the loading process going while workers prepare the next; into a
    large database it would only add a pass over the band-key index."""
    return batch_size if next_id(conn, "articles") > batch_size else 200


def _chunks(items: Iterator, size: int, first: int, growth: float = 2) -> Iterator[list]:
    """Batches growing ``growth`` times from ``first`` to ``size`` items, and the last halved down
    towards ``first``.

    The loading process links the last batch while the workers have nothing left to prepare: a
    large one would leave a core idle for its whole length."""
    it = iter(items)
    step = min(first, size)
    batch = list(islice(it, step))
    while batch:
        step = min(max(int(growth * step), step + 1), size)
        ahead = list(islice(it, step))
        while not ahead and len(batch) > 2 * first:
            yield batch[:len(batch) // 2]
            batch = batch[len(batch) // 2:]
        yield batch
        batch = ahead


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
