"""Load articles into a corpus database: ingest → segment → signatures → candidates → clusters.

A load is a sequence of batches, each committed in one transaction: a batch is either wholly in
the database or not at all. A full load is just incremental loads of consecutive batches; new
sentences are matched against what is stored (band keys, links) and only the link components they
touch are reclustered.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from . import clusters as clustering
from . import provenance, store
from .store import select_in
from .attributions import SourceAliases
from .candidates import band_pairs, is_link, verify_pairs
from .dates import NO_DAY, publication_day
from .ingest import LoadError, read_paths
from .outlets import OutletAliases
from .prepare import PreparedArticle, PreparedBatch, prepared
from .segment import normal_form, normalise
from .signatures import (
    Settings, distinct, minhash_signatures, shingle_positions, shingle_sets, similarity, sketch_jaccard, sketches,
    worth_comparing,
)


_EVERY_DAY = (-(2**62), 2**62)
EDGE_SLACK = 20  # characters of a sentence outside the matched run still counted as matched


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

    def __str__(self) -> str:
        lines = [
            f"{self.articles_added} articles added, {self.articles_unchanged} already loaded",
            f"{self.paragraphs} paragraphs, {self.sentences} sentences, {self.links_added} new links"
            f" ({self.candidates} candidate pairs, {self.checked} compared exactly)",
        ]
        if self.languages:
            lines.append("languages: " + ", ".join(f"{k} {v}" for k, v in sorted(self.languages.items(),
                                                                                key=lambda kv: (-kv[1], kv[0]))))
        lines += [f"  {n} of the {self.languages[lang]} articles in {lang} have no sentence that can be matched"
                  " (all shorter than a sentence that proves reuse, or boilerplate): they cannot be linked"
                  for lang, n in sorted(self.unmatched.items())]
        lines += [
            f"{self.clusters} clusters in the corpus",
            f"{len(self.errors)} input records skipped" + (":" if self.errors else ""),
        ]
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)


def load_paths(
    db_path: str,
    paths: Iterable[str | Path],
    *,
    outlet: str | None = None,
    published: str | None = None,
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
    names = OutletAliases.load(aliases)
    credits = SourceAliases.load(sources)
    records = read_paths(paths, outlet=outlet, published=published, aliases=names)
    with _reporting_a_full_disk(db_path):
        conn, settings = store.open_corpus(db_path, settings)
        try:
            return _load(conn, paths, records, settings, credits, batch_size, jobs, progress)
        finally:
            conn.close()


def _load(conn: sqlite3.Connection, paths: list[str], records: Iterator, settings: Settings, credits: SourceAliases,
          batch_size: int, jobs: int, progress: Callable[[int, int], None] | None) -> LoadSummary:
    if conn.execute("select (not exists (select 1 from outlet_edges) or not exists (select 1 from outlet_edge_totals)"
                    " or not exists (select 1 from graph_nodes))"
                    " and exists (select 1 from derivations)"
                    ).fetchone()[0]:
        with _transaction(conn):  # a database from before these counts were kept
            provenance.refresh_outlet_edges(conn)
    load_id = conn.execute(
        "insert into loads(started, paths) values (?, ?)", (_now(), json.dumps(paths))
    ).lastrowid
    summary = LoadSummary()
    done = chars = 0
    # A small first batch gets the loading process going while workers prepare the next; into a
    # large database it would only add a pass over the band-key index.
    first = batch_size if _next_id(conn, "articles") > batch_size else 250
    # Closed here, not when the traceback that holds it is freed: an interrupted load stops its workers at once.
    with closing(prepared(_chunks(records, batch_size, first), settings, credits, jobs)) as batches:
        for batch in batches:
            with _transaction(conn):
                _load_batch(conn, batch, settings, summary, load_id)
            done += len(batch.articles) + len(batch.errors)
            chars += sum(len(a.record.text) for a in batch.articles)
            if progress:
                progress(done, chars)
    summary.clusters = conn.execute("select count(*) from clusters").fetchone()[0]
    conn.execute(
        "update loads set finished = ?, articles_added = ?, articles_skipped = ?, errors = ? where id = ?",
        (_now(), summary.articles_added, summary.articles_unchanged, len(summary.errors), load_id),
    )
    conn.execute("pragma wal_checkpoint(truncate)")
    return summary


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
    conn: sqlite3.Connection, batch: PreparedBatch, settings: Settings, summary: LoadSummary, load_id: int
) -> None:
    errors = list(batch.errors)
    articles = _new_articles(conn, batch.articles, errors, summary)
    conn.executemany(
        "insert into load_errors(load_id, source, line, record_id, reason) values (?, ?, ?, ?, ?)",
        [(load_id, e.source, e.line, e.record_id, e.reason) for e in errors],
    )
    summary.errors.extend(errors)
    if not articles:
        return
    first_sentence = _next_id(conn, "sentences")
    new = _insert_articles(conn, articles, summary)
    summary.articles_added += len(articles)
    for art in articles:
        summary.languages[art.language] += 1
        if not any(s.matchable for p in art.paragraphs for s in p.sentences):
            summary.unmatched[art.language] += 1
    links, shingles = _link_new_sentences(conn, new, batch, first_sentence, settings, summary)
    summary.links_added += len(links)
    touched = _recluster(conn, [n for l in links for n in l[:2]], settings, shingles)
    provenance.update(conn, sorted(touched | set(new.article.tolist())))


def _new_articles(
    conn: sqlite3.Connection, prepared: list[PreparedArticle], errors: list[LoadError], summary: LoadSummary
) -> list[PreparedArticle]:
    """Articles not loaded before.

    An id the record gives is its identity: the same id with other text is an error, not an
    overwrite. An id made from the path (file name, line) is not: the same file reached by another
    path gets another one, another file of the same name the same one. Such a record is already
    loaded when an article with its text, outlet, URL, title and date is (the same text from another
    outlet is reuse, not a duplicate); if new while its id is taken, it gets the id plus a digest of
    that identity, the same whatever else was loaded before it.
    """
    identity = [_identity(art) if art.record.id_from_path else None for art in prepared]
    ids = {art.record.external_id for art in prepared}
    ids |= {_renamed(art.record.external_id, key) for art, key in zip(prepared, identity) if key}
    stored = dict(select_in(conn, "select external_id, content_hash from articles where external_id in ({})", ids))
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
        prior = stored.get(rec.external_id) or (fresh[rec.external_id].digest if rec.external_id in fresh else None)
        if prior is None:
            fresh[rec.external_id] = art
        elif prior == art.digest:
            summary.articles_unchanged += 1
        else:
            errors.append(LoadError(rec.source, rec.line, f"duplicate id {rec.external_id!r} with different"
                                    " text: the version loaded first is kept", rec.external_id))
    return list(fresh.values())


def _identity(art: PreparedArticle) -> tuple:
    """What makes an article without an id of its own the same article: its text and what it says of itself."""
    rec = art.record
    return art.digest, rec.outlet, rec.url, rec.title, rec.published


def _renamed(external_id: str, identity: tuple) -> str:
    """A taken path-made id, made unique by the article's identity: the same whatever was loaded first."""
    return f"{external_id}~{hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:12]}"


@dataclass
class _NewSentences:
    """The matchable sentences a batch inserted: ids, articles, and rows of the batch's arrays."""

    id: np.ndarray
    article: np.ndarray
    row: np.ndarray
    day: np.ndarray  # the article's publication day (date ordinal), NO_DAY if not known to the day


def _insert_articles(conn: sqlite3.Connection, articles: list[PreparedArticle], summary: LoadSummary) -> _NewSentences:
    """Insert articles, their segments, credits and quotes, numbering them after what is stored."""
    aid, pid, sid = _next_id(conn, "articles"), _next_id(conn, "paragraphs"), _next_id(conn, "sentences")
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
    return _NewSentences(np.array(new_ids, dtype=np.int64), np.array(new_articles, dtype=np.int64),
                         np.array(new_rows, dtype=np.int64), np.array(new_days, dtype=np.int64))


def _link_new_sentences(
    conn: sqlite3.Connection,
    new: _NewSentences,
    batch: PreparedBatch,
    first_new: int,
    settings: Settings,
    summary: LoadSummary,
) -> tuple[list[clustering.Link], dict[int, np.ndarray]]:
    """Band keys for the new sentences, candidates against everything stored, exact verification.

    Returns the links and the shingle sets of the sentences involved, which reclustering reuses.
    """
    if not len(new.id):
        return [], {}
    ids = new.id
    sets = batch.sets(new.row.tolist())
    sigs = batch.signatures[new.row]
    keys = batch.keys[new.row]
    flat_keys, flat_ids = keys.ravel(), np.repeat(ids, keys.shape[1])
    flat_periods = np.repeat(store.band_periods(new.day, settings.window), keys.shape[1])
    by_key = np.argsort(flat_keys, kind="stable")  # once: for the insert order and the batch's distinct keys
    order = by_key[np.argsort(flat_periods[by_key], kind="stable")]  # index order: each page touched once
    conn.executemany("insert or ignore into band_keys(period, key, sentence_id) values (?, ?, ?)",
                     zip(flat_periods[order].tolist(), flat_keys[order].tolist(), flat_ids[order].tolist()))
    sizes = np.diff(batch.bounds)[new.row]  # shingles per sentence, from the batch's offsets
    new_sketches = sketches(sigs)
    conn.executemany("insert into sketches(sentence_id, sketch, size, day) values (?, ?, ?, ?)",
                     zip(ids.tolist(), map(bytes, new_sketches), sizes.tolist(),
                         [None if d == NO_DAY else d for d in new.day.tolist()]))
    batch_keys = "[" + ",".join(map(str, distinct(flat_keys[by_key]).tolist())) + "]"  # one parameter, for json_each
    lo, hi = _day_range(new.day, settings.window)
    periods = _periods_within(conn, lo, hi, settings.window)
    hits = conn.execute(
        hits_sql(bool(settings.window)),
        {"none": NO_DAY, "keys": batch_keys, "periods": json.dumps(periods), "first": first_new, "lo": lo, "hi": hi,
         "bucket": settings.max_bucket},
    ).fetchall()
    old_hit = np.array(hits, dtype=np.int64).reshape(-1, 4)
    new_articles = np.repeat(new.article, keys.shape[1])
    pairs = band_pairs(np.concatenate((old_hit[:, 0], flat_keys)), np.concatenate((old_hit[:, 1], flat_ids)),
                       np.concatenate((old_hit[:, 2], new_articles)), first_new, settings.max_bucket)
    if settings.window:
        pairs = _within_window(pairs, np.concatenate((old_hit[:, 1], ids)), np.concatenate((old_hit[:, 3], new.day)),
                               settings.window)
    shingles = dict(zip(ids.tolist(), sets))
    article_of = dict(zip(ids.tolist(), new.article.tolist()))
    old = sorted({n for n in pairs.ravel().tolist() if n not in shingles})
    old_ids, old_sketches, old_sizes = _stored_sketches(conn, old, settings)
    all_ids = np.concatenate((ids, old_ids))
    all_sketches = np.concatenate((new_sketches, old_sketches))
    all_sizes = np.concatenate((sizes, old_sizes))
    at = _rows_of(all_ids, pairs)  # sketch row of each pair member
    summary.candidates += len(pairs)
    estimate = sketch_jaccard(all_sketches[at[:, 0]], all_sketches[at[:, 1]])
    pairs = pairs[worth_comparing(estimate, all_sizes[at[:, 0]], all_sizes[at[:, 1]], settings)]
    summary.checked += len(pairs)
    stored = _sentence_norms(conn, sorted({n for n in pairs.ravel().tolist() if n not in shingles}))
    shingles.update(zip(stored, shingle_sets([norm for _, norm in stored.values()], settings.k)))
    article_of.update({sid: aid for sid, (aid, _) in stored.items()})
    links = verify_pairs(pairs, shingles, article_of, settings)
    conn.executemany("insert or ignore into links values (?, ?, ?, ?)", links)
    return links, shingles


def hits_sql(window: bool) -> str:
    """The latest stored rows of each of a batch's band keys: the predecessors band_pairs pairs with.

    Named parameters: ``periods`` and ``keys`` (JSON lists), ``first`` (the batch's first sentence),
    ``bucket`` (rows kept per key), ``none`` (the day of undated rows), ``lo``/``hi`` (stored days in reach).
    """
    # Each hit's day costs a lookup per hit (through the small covering index, not the sketch rows);
    # without a window no day is needed, and that lookup would double the query's cost.
    day, in_window = ("coalesce(k.day, :none)", "left join sketches k indexed by sketches_day"
                      " on k.sentence_id = b.sentence_id where (k.day is null or k.day between :lo and :hi) and"
                      ) if window else (":none", "where")
    return f"""select h.key, h.sentence_id, s.article_id, h.day from (
             select b.key, b.sentence_id, {day} as day,
                    row_number() over (partition by b.key order by b.sentence_id desc) as rank
             from json_each(:periods) u cross join json_each(:keys) t  -- in this order: one seek a key
             cross join band_keys b on b.period = u.value and b.key = t.value
             {in_window} b.sentence_id < :first) h
           join sentences s on s.id = h.sentence_id
           where h.rank <= :bucket"""


def _day_range(days: np.ndarray, window: int) -> tuple[int, int]:
    """Stored days a batch's sentences can be compared with (every day if the window is off or a day is unknown)."""
    if not window or not len(days) or (days == NO_DAY).any():
        return _EVERY_DAY
    return int(days.min()) - window, int(days.max()) + window


def _periods_within(conn: sqlite3.Connection, lo: int, hi: int, window: int) -> list[int]:
    """The stored band-key periods holding days between ``lo`` and ``hi``, and the undated one."""
    stored = [p for (p,) in conn.execute(f"{store.PERIODS} select period from periods where period is not null")]
    if (lo, hi) == _EVERY_DAY:
        return stored
    return [p for p in stored if p == store.UNDATED_PERIOD or lo // window <= p <= hi // window]


def _within_window(pairs: np.ndarray, ids: np.ndarray, days: np.ndarray, window: int) -> np.ndarray:
    """The candidate pairs whose articles were published at most ``window`` days apart, or not dated."""
    day = days[_rows_of(ids, pairs)]
    a, b = day[:, 0], day[:, 1]
    return pairs[(a == NO_DAY) | (b == NO_DAY) | (np.abs(a - b) <= window)]


def _rows_of(ids: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The row of ``ids`` holding each of ``wanted`` (all present; any row of a repeated id)."""
    order = np.argsort(ids, kind="stable")
    return order[np.searchsorted(ids[order], wanted)]


def _recluster(
    conn: sqlite3.Connection, seeds: list[int], settings: Settings, shingled: dict[int, np.ndarray]
) -> set[int]:
    """Recluster the link components holding ``seeds``; return the articles whose clusters changed."""
    component, old_templates = _component(conn, set(seeds))
    if not component:
        return set()
    links = _links_within(conn, component)
    info = _sentence_norms(conn, sorted(component | old_templates))
    article_of = {s: a for s, (a, _) in info.items()}
    outlet_of, edge = {}, set()
    for sid, outlet, position, last in select_in(
        conn, "select s.id, a.outlet, p.position, (select max(position) from paragraphs q where q.article_id = a.id)"
              " from sentences s join articles a on a.id = s.article_id join paragraphs p on p.id = s.paragraph_id"
              " where s.id in ({})", component | old_templates):
        outlet_of[sid] = outlet
        if position < clustering.EDGE_PARAGRAPHS or position > last - clustering.EDGE_PARAGRAPHS:
            edge.add(sid)
    missing = [sid for sid in info if sid not in shingled]  # sentences this batch has not shingled yet
    shingles = {sid: shingled[sid] for sid in info if sid in shingled}
    shingles.update(zip(missing, shingle_sets([info[sid][1] for sid in missing], settings.k)))
    known = {(a, b): (j, c) for a, b, j, c in links}
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in [l[:2] for l in links] + [
        (a, b) for a, b in _links_touching(conn, old_templates) if a in info and b in info
    ]:
        neighbours[a].add(b)
        neighbours[b].add(a)
    sims: dict[tuple[int, int], tuple[float, float]] = {}

    def sim(x: int, y: int) -> tuple[float, float]:
        key = (min(x, y), max(x, y))
        if key not in sims:
            sims[key] = known.get(key) or similarity(shingles[key[0]], shingles[key[1]])
        return sims[key]

    old_clusters = sorted({c for (c,) in select_in(conn, "select distinct cluster_id from cluster_members"
                                                 " where sentence_id in ({})", component)})
    touched = {a for (a,) in select_in(conn, "select distinct article_id from cluster_members where cluster_id in ({})",
                                 old_clusters)}
    old_of = defaultdict(set)
    for c, s in select_in(conn, "select cluster_id, sentence_id from cluster_members where cluster_id in ({})",
                    old_clusters):
        old_of[s].add(c)
    select_in(conn, "delete from cluster_members where cluster_id in ({})", old_clusters)
    select_in(conn, "delete from clusters where id in ({})", old_clusters)

    # Templates first, over every sentence of the component, and the clustering never goes through
    # them: whether a line is an outlet's template, and what it would have joined, then depend on the
    # links alone, whatever order they came in (a later load meets the template already flagged).
    nodes = sorted(component)
    outlets = {outlet_of[n] for n in nodes}
    earlier = [t for t in sorted(old_templates) if outlet_of[t] in outlets]
    templates = clustering.outlet_templates(nodes + earlier, article_of, outlet_of, lambda x, y: sim(x, y)[0],
                                            edge.__contains__, neighbours) - set(earlier)
    links = [l for l in links if l[0] not in templates and l[1] not in templates]
    kept = clustering.cluster(links, article_of, lambda x, y: is_link(*sim(x, y), settings))
    _mark_templates(conn, templates)
    next_new = max([_next_id(conn, "clusters")] + [c + 1 for c in old_clusters])
    taken: set[int] = set()
    for g in kept:  # a cluster keeps the lowest id it had, so links to it stay valid across loads
        reuse = sorted({c for n in g for c in old_of.get(n, ())} - taken)
        if reuse:
            cid = reuse[0]
        else:
            cid, next_new = next_new, next_new + 1
        taken.add(cid)
        _write_cluster(conn, cid, g, info, shingles, settings)
        touched |= {article_of[n] for n in g}
    return touched | {article_of[n] for n in templates}


def _write_cluster(conn, cid: int, group: list[int], info, shingles, settings: Settings) -> None:
    rows = select_in(conn, 'select s.id, s.paragraph_id, s.article_id, s.start, s."end", p.text, a.published, a.outlet'
                     " from sentences s join paragraphs p on p.id = s.paragraph_id"
                     " join articles a on a.id = s.article_id where s.id in ({})", group)
    by_id = {r[0]: r for r in rows}
    per_article: dict[int, list[np.ndarray]] = defaultdict(list)
    for n in group:
        per_article[by_id[n][2]].append(shingles[n])
    unions = {a: np.unique(np.concatenate(v)) for a, v in per_article.items()}
    values, counts = np.unique(np.concatenate(list(unions.values())), return_counts=True)
    members = []
    for n in group:
        _, pid, aid, start, end, ptext, _, _ = by_id[n]
        mine = np.isin(values, unions[aid], assume_unique=True)
        shared = values[counts - mine > 0]  # shingles some other article's member has
        span = _passage(ptext[start:end], shared, settings.k)
        s, e = (start + span[0], start + span[1]) if span else (start, end)
        members.append((cid, pid, n, aid, s, e))
    earliest = min(group, key=lambda n: (by_id[n][6] or "9999", by_id[n][2], n))
    _, _, aid, start, end, ptext, published, _ = by_id[earliest]
    conn.execute(
        "insert into clusters(id, members, articles, outlets, first_published, first_article_id, text)"
        " values (?, ?, ?, ?, ?, ?, ?)",
        (cid, len(group), len({by_id[n][2] for n in group}), len({by_id[n][7] or by_id[n][2] for n in group}),
         min((by_id[n][6] for n in group if by_id[n][6]), default=None), aid, ptext[start:end]),
    )
    conn.executemany('insert into cluster_members(cluster_id, paragraph_id, sentence_id, article_id, start, "end")'
                     " values (?, ?, ?, ?, ?, ?)", members)


def _passage(text: str, shared: np.ndarray, k: int) -> tuple[int, int] | None:
    """The shared passage of one sentence, in offsets of the sentence text, on word boundaries."""
    norm, pos = normalise(text)
    span = clustering.passage_span(shingle_positions(norm, k), shared, len(norm), k)
    if not span or not pos:
        return None
    s, e = pos[span[0]], pos[min(span[1], len(pos)) - 1] + 1
    while s > 0 and text[s - 1].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum():
        e += 1
    if len(text[:s].strip()) <= EDGE_SLACK:  # a few stray words left over: the whole sentence is shared
        s = 0
    if len(text[e:].strip()) <= EDGE_SLACK:
        e = len(text)
    while s < e and text[s].isspace():
        s += 1
    return s, e


def _component(conn: sqlite3.Connection, seeds: set[int]) -> tuple[set[int], set[int]]:
    """Every sentence reachable through links from the seeds, and the templates linked to them.

    Templates are not walked through, but they are returned: a later copy of an outlet's repeated
    line is recognised by its earlier, already flagged copies.
    """
    seen: set[int] = set()
    templates: set[int] = set()
    frontier = seeds
    while frontier:
        seen |= frontier
        nxt = set()
        for a, b in _links_touching(conn, frontier):
            nxt.update((a, b))
        found = {s for (s,) in select_in(conn, "select id from sentences where kind = 'template' and id in ({})",
                                   nxt - seen - templates)}
        templates |= found
        frontier = nxt - seen - templates
    flagged = {s for (s,) in select_in(conn, "select id from sentences where kind = 'template' and id in ({})", seen)}
    return seen - flagged, templates | flagged


def _links_within(conn: sqlite3.Connection, nodes: set[int]) -> list[clustering.Link]:
    return [
        l for l in select_in(conn, "select sentence_a, sentence_b, jaccard, containment from links"
                             " where sentence_a in ({})", nodes)
        if l[1] in nodes
    ]


def _links_touching(conn: sqlite3.Connection, nodes: set[int]) -> list[tuple[int, int]]:
    """The (a, b) sentence pairs of every link with an end in ``nodes``."""
    return select_in(conn, "select sentence_a, sentence_b from links where sentence_a in ({0})"
                           " union select sentence_a, sentence_b from links where sentence_b in ({0})",
                     nodes, repeat=2)


def _mark_templates(conn: sqlite3.Connection, templates: set[int]) -> None:
    if not templates:
        return
    select_in(conn, "update sentences set kind = 'template' where id in ({})", templates)
    select_in(conn, """update paragraphs set kind = 'template', boilerplate = 1 where id in (
                          select paragraph_id from sentences where id in ({}))
                        and not exists (select 1 from sentences s where s.paragraph_id = paragraphs.id
                                        and s.kind in ('text', 'title'))""", templates)


def _stored_sketches(
    conn: sqlite3.Connection, ids: list[int], settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, sketches and shingle-set sizes of stored sentences (any without a sketch: hashed again)."""
    found = {sid: (np.frombuffer(sk, dtype=np.uint8), size) for sid, sk, size in select_in(
        conn, "select sentence_id, sketch, size from sketches where sentence_id in ({})", ids)}
    missing = _sentence_norms(conn, [i for i in ids if i not in found])
    sets = shingle_sets([norm for _, norm in missing.values()], settings.k)
    found.update(zip(missing, zip(sketches(minhash_signatures(sets, settings)), map(len, sets))))
    return (np.array(ids, dtype=np.int64),
            np.array([found[i][0] for i in ids], dtype=np.uint8).reshape(len(ids), settings.num_perm),
            np.array([found[i][1] for i in ids], dtype=np.int64))


def _sentence_norms(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    rows = select_in(conn, 'select s.id, s.article_id, substr(p.text, s.start + 1, s."end" - s.start) from sentences s'
                     " join paragraphs p on p.id = s.paragraph_id where s.id in ({})", list(ids))
    return {sid: (aid, normal_form(text)) for sid, aid, text in rows}


def _next_id(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"select coalesce(max(id), 0) + 1 from {table}").fetchone()[0]


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


def _chunks(items: Iterator, size: int, first: int) -> Iterator[list]:
    """Batches doubling from ``first`` to ``size`` items."""
    it = iter(items)
    step = min(first, size)
    while batch := list(islice(it, step)):
        yield batch
        step = min(2 * step, size)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
