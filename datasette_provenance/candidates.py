"""Candidate sentence pairs: band keys stored and looked up, collisions paired, verified exactly.

A candidate is only a hint: every one is verified exactly (``verify_pairs``) before it can become
a link. Buckets that many articles share (a footer, a formulaic phrase) are not expanded into all
their pairs: a bucket's *heads* are the rows of its ``max_bucket`` articles of smallest content
key (publication time, text digest, external id), and a pair is a candidate only when one side is a head.
Two articles of one outlet, both dated or both not, pair only when one is among the other's
``max_outlet_bucket`` nearest earlier such articles of that outlet in the bucket (within the window): a
house line in every article of an outlet would otherwise pair each with 64 others, most of a load's
work, where template detection needs a few links, and a story's versions follow each other. That
is a function of the bucket's final membership, never of the load order; an incremental load meets
it exactly because it reads each touched bucket whole, pairs a new head with every member, and
re-derives the article pairs whose only candidate went through a head that a new article displaced
(``LinkedBatch.withdrawn``). Rows of one article in one bucket count up to ``PER_ARTICLE`` (in
reading order): an article of near-repeated sentences would otherwise pair quadratically. The band
keys live in SQLite (by period with a window), so later loads and the Trace page look them up.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from . import store
from .dates import NO_DAY, publication_day
from .prepare import PreparedBatch
from .segment import word_stems
from .signatures import (
    NO_KEY, Settings, band_keys, distinct, in_sorted, minhash_signatures, overlap_ratios, shingle_sets, sketch_jaccard, sketches, worth_comparing,
)
from .store import insert_rows, select_in, sentence_norms

Link = tuple[int, int, float, float]  # sentence_a < sentence_b, Jaccard, containment of the smaller
_EVERY_DAY = (-(2**62), 2**62)


@dataclass
class NewSentences:
    """The matchable sentences a batch inserted: ids, articles, and rows of the batch's arrays."""

    id: np.ndarray
    article: np.ndarray
    row: np.ndarray
    day: np.ndarray  # the article's publication day (date ordinal), NO_DAY if not known to the day



PER_ARTICLE = 4  # rows of one article a bucket pairs, in reading order


@dataclass
class LinkedBatch:
    """What the candidate stage found for a batch."""

    links: list[Link]  # pairs that pass the rule, not yet stored (the alignment of their articles decides)
    shingles: dict[int, np.ndarray]  # shingle sets of the sentences involved, for alignment and clustering
    withdrawn: set[int]  # sentences whose links were deleted: re-derived article pairs, to recluster
    norms: dict[int, str] = field(default_factory=dict)  # the new sentences' normal forms, where the batch has them


def link_new_sentences(
    conn: sqlite3.Connection,
    new: NewSentences,
    batch: PreparedBatch,
    first_new: int,
    settings: Settings,
    counts: Counter[str],
    stored_keys: StoredKeys,
) -> LinkedBatch:
    """Band keys for the new sentences, candidates against everything stored, exact verification.

    ``counts`` gains the candidate pairs and those compared exactly. ``stored_keys``, kept by the
    load across its batches, spares the index seeks of keys it does not hold.
    """
    if not len(new.id):
        return LinkedBatch([], {}, set())
    ids = new.id
    sets = batch.sets(new.row.tolist())
    mine, new_sketches, sizes = store_signatures(conn, new, batch, settings)
    ordered = np.sort(mine.key)
    keys = distinct(ordered)
    old = _bucket_rows(conn, stored_keys.held(keys), new.day, first_new, settings)
    stored_keys.add(keys)
    rows = old.concat(mine.take(_shared(mine.key, ordered, old.key)))
    rank, kin = _article_ranks(conn, rows.article)
    is_new = rows.sid >= first_new
    keep, head = bucket_heads(rows, rank, settings.max_bucket)
    near = outlet_pairs(rows, keep, rank, kin, settings)
    pairs = band_pairs(rows, keep, head, is_new, kin, near)
    if settings.window:
        pairs = _within_window(pairs, rows.sid, rows.day, settings.window)
    shingles = dict(zip(ids.tolist(), sets))
    article_of = dict(zip(ids.tolist(), new.article.tolist()))
    links = _checked(conn, pairs, shingles, article_of, (ids, new_sketches, sizes), settings, counts)
    # Heads a new article displaced: the article pairs whose candidates went through them are re-derived.
    old_rows = ~is_new
    keep_before, head_before = bucket_heads(rows.take(old_rows), rank[old_rows], settings.max_bucket)
    displaced = np.zeros(len(rows.sid), dtype=bool)
    displaced[np.flatnonzero(old_rows)] = head_before & keep_before
    displaced &= ~head
    # One outlet's pairs of stored articles that a new one came between: no longer nearest.
    kept_before = np.zeros(len(rows.sid), dtype=bool)
    kept_before[np.flatnonzero(old_rows)] = keep_before
    later, earlier = outlet_pairs(rows, kept_before, rank, kin, settings)
    gone = ~np.isin(pair_keys(rows.sid[later], rows.sid[earlier]), pair_keys(rows.sid[near[0]], rows.sid[near[1]]))
    withdrawn: set[int] = set()
    if displaced.any() or gone.any():
        affected = np.unique(np.concatenate((
            _displaced_pairs(rows, keep & ~head & ~is_new, displaced, settings.window),
            _distinct_pairs(rows.article[later], rows.article[earlier], gone))), axis=0)
        again, withdrawn = _rederive(conn, affected, shingles, article_of, settings, counts)
        links = sorted(set(links) | set(again))
    norms = {} if batch.norms is None else dict(zip(ids.tolist(), map(batch.norms.__getitem__, new.row.tolist())))
    return LinkedBatch(links, shingles, withdrawn, norms)


def _shared(keys: np.ndarray, ordered: np.ndarray, stored: np.ndarray) -> np.ndarray:
    """Mask of the new rows whose band key another row holds too (a new one or a stored one;
    ``ordered``: ``keys`` sorted). A key of one row pairs nothing, and most keys are: 60–95 % of a
    batch's rows, whose sorting was a third of the candidate stage."""
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    return np.isin(keys, np.concatenate((repeated, stored)))


def store_signatures(conn: sqlite3.Connection, new: NewSentences, batch: PreparedBatch,
                     settings: Settings) -> tuple["_Rows", np.ndarray, np.ndarray]:
    """Store the new sentences' band keys and sketches, which later loads and the Trace page look up;
    returns their band-key rows, sketches and shingle counts."""
    width = batch.keys.shape[1]
    flat_keys = batch.keys[new.row].ravel()
    held = flat_keys != NO_KEY
    row = np.repeat(np.arange(len(new.id)), width)[held]
    flat_keys, flat_periods = flat_keys[held], store.band_periods(new.day, settings.window)[row]
    store_band_keys(conn, flat_periods, flat_keys, new.id[row])
    new_sketches, sizes = store_sketches(conn, new, batch)
    rows = _Rows(flat_periods, flat_keys, new.id[row], new.article[row], new.day[row])
    return rows, new_sketches, sizes


def store_sketches(conn: sqlite3.Connection, new: NewSentences, batch: PreparedBatch) -> tuple[np.ndarray, np.ndarray]:
    """Store the new sentences' sketches; returns them and their shingle counts."""
    sizes = np.diff(batch.bounds)[new.row]  # shingles per sentence, from the batch's offsets
    new_sketches = sketches(batch.signatures[new.row])
    conn.executemany("insert into sketches(sentence_id, sketch, size, day) values (?, ?, ?, ?)",
                     zip(new.id.tolist(), map(bytes, new_sketches), sizes.tolist(),
                         [None if d == NO_DAY else d for d in new.day.tolist()]))
    return new_sketches, sizes


def store_band_keys(conn: sqlite3.Connection, periods: np.ndarray, keys: np.ndarray, ids: np.ndarray) -> None:
    """Band-key rows into the index, in its order: each page is touched once."""
    by_key = np.argsort(keys, kind="stable")
    order = by_key[np.argsort(periods[by_key], kind="stable")]
    insert_rows(conn, "insert or ignore into band_keys(period, key, sentence_id) values ", 3,
                np.stack((periods[order], keys[order], ids[order]), axis=1).ravel().tolist())


class StoredKeys:
    """The distinct band keys of the index, held by a load into a new corpus while they are few
    (``LIMIT``): most keys of a new sentence are in no bucket yet, and a key known to be nowhere needs no
    index seek (the lookups of 3,000 new articles: 1.6 s of SQLite, 0.4 s so). Into a corpus that has
    keys every key is sought: reading them would cost an incremental load more than it saves. Holding
    more than the index (the keys of a batch rolled back) only costs seeks."""

    LIMIT = 1 << 24  # 128 MB of keys: a load of ~20,000 articles

    def __init__(self, keys: np.ndarray | None):
        self.keys = keys  # sorted and distinct; None: not held

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> StoredKeys:
        if conn.execute("select 1 from band_keys limit 1").fetchone():
            return cls(None)
        return cls(np.zeros(0, dtype=np.int64))

    def held(self, keys: np.ndarray) -> np.ndarray:
        """Of sorted distinct keys, those the index may hold."""
        if self.keys is None:
            return keys
        return keys[in_sorted(self.keys, keys)]

    def add(self, keys: np.ndarray) -> None:
        """Sorted distinct keys the index now holds."""
        if self.keys is not None:
            merged = distinct(np.sort(np.concatenate((self.keys, keys)), kind="stable"))  # two sorted runs: merged
            self.keys = merged if len(merged) <= self.LIMIT else None

    def __bool__(self) -> bool:
        return self.keys is not None


@dataclass
class _Rows:
    """Band-key rows: one per sentence and band key."""

    period: np.ndarray
    key: np.ndarray
    sid: np.ndarray
    article: np.ndarray
    day: np.ndarray

    def concat(self, other: "_Rows") -> "_Rows":
        return _Rows(*(np.concatenate((a, b)) for a, b in zip(self.fields(), other.fields())))

    def take(self, which: np.ndarray) -> "_Rows":
        return _Rows(*(a[which] for a in self.fields()))

    def fields(self) -> tuple[np.ndarray, ...]:
        return self.period, self.key, self.sid, self.article, self.day


def _bucket_rows(conn: sqlite3.Connection, keys: np.ndarray, days: np.ndarray, first: int,
                 settings: Settings) -> _Rows:
    """Every stored row (below sentence ``first``) of these band keys in the periods sentences of
    these days can reach: whole buckets, so that their heads are known."""
    lo, hi = _day_range(days, settings.window)
    periods = _periods_within(conn, lo, hi, settings.window)
    hits = conn.execute(hits_sql(bool(settings.window)), {
        "none": NO_DAY, "keys": "[" + ",".join(map(str, keys.tolist())) + "]", "periods": json.dumps(periods),
        "first": first}).fetchall()
    a = np.array(hits, dtype=np.int64).reshape(-1, 5)
    return _Rows(a[:, 0], a[:, 1], a[:, 2], a[:, 3], a[:, 4])


def _article_ranks(conn: sqlite3.Connection, articles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's article's place in content order (publication time, then text digest, then external
    id; undated last): not its id, which follows the load order. Earliest first: the heads are the
    copies a later one may have come from, and a load in date order never displaces one.

    Also each row's kin (``outlet_pairs``): its outlet and whether it is dated to the day, as a number;
    an article without an outlet is kin to none."""
    ids = distinct(np.sort(articles))
    found, codes, kin = {}, {}, {}
    for aid, published, digest, ext, name in select_in(
            conn, "select id, published, content_hash, external_id, outlet from articles where id in ({})",
            ids.tolist()):
        found[aid] = (published or "~", digest, ext)
        dated = publication_day(published) != NO_DAY
        kin[aid] = -aid if name is None else 2 * codes.setdefault(name, len(codes) + 1) + dated
    by_content = sorted(ids.tolist(), key=found.__getitem__)
    place = np.empty(len(ids), dtype=np.int64)
    place[np.searchsorted(ids, by_content)] = np.arange(len(ids))
    where = np.searchsorted(ids, articles)
    return place[where], np.array([kin[a] for a in ids.tolist()], dtype=np.int64)[where]


def _checked(conn: sqlite3.Connection, pairs: np.ndarray, shingles: dict[int, np.ndarray], article_of: dict[int, int],
             known: tuple[np.ndarray, np.ndarray, np.ndarray], settings: Settings, counts: Counter[str]) -> list[Link]:
    """The candidates that pass: screened by their sketches, then compared exactly. ``known``: ids,
    sketches and sizes of sentences not stored yet; ``shingles`` and ``article_of`` gain the stored ones."""
    ids, known_sketches, known_sizes = known
    old = sorted(set(pairs.ravel().tolist()) - set(ids.tolist()))
    old_ids, old_sketches, old_sizes = _stored_sketches(conn, old, settings)
    all_ids = np.concatenate((ids, old_ids))
    all_sketches = np.concatenate((known_sketches, old_sketches))
    all_sizes = np.concatenate((known_sizes, old_sizes))
    at = _rows_of(all_ids, pairs)  # sketch row of each pair member
    counts["candidates"] += len(pairs)
    estimate = sketch_jaccard(all_sketches[at[:, 0]], all_sketches[at[:, 1]])
    pairs = pairs[worth_comparing(estimate, all_sizes[at[:, 0]], all_sizes[at[:, 1]], settings)]
    counts["checked"] += len(pairs)
    stored = sentence_norms(conn, sorted({n for n in pairs.ravel().tolist() if n not in shingles}))
    shingles.update(zip(stored, shingle_sets([norm for _, norm in stored.values()], settings.k)))
    article_of.update({sid: aid for sid, (aid, _) in stored.items()})
    near: list[Link] = []
    links = verify_pairs(pairs, shingles, article_of, settings, near=near)
    return sorted(links + lone_word_links(conn, near, settings))


def hits_sql(window: bool) -> str:
    """Every stored row of a batch's band keys in the periods it reaches: (period, key, sentence,
    article, day). Whole buckets, not the rows near the batch's days: a bucket's heads depend on all of it.

    Named parameters: ``periods`` and ``keys`` (JSON lists), ``first`` (the batch's first sentence),
    ``none`` (the day of undated rows).
    """
    # Each hit's day costs a lookup per hit (through the small covering index, not the sketch rows);
    # without a window no day is needed, and that lookup would double the query's cost.
    day, join = ("coalesce(k.day, :none)", "left join sketches k indexed by sketches_day on k.sentence_id = b.sentence_id"
                 ) if window else (":none", "")
    return f"""select b.period, b.key, b.sentence_id, s.article_id, {day}
           from json_each(:periods) u cross join json_each(:keys) t  -- in this order: one seek a key
           cross join band_keys b on b.period = u.value and b.key = t.value
           join sentences s on s.id = b.sentence_id
           {join}
           where b.sentence_id < :first"""


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


def bucket_heads(rows: _Rows, rank: np.ndarray, max_articles: int) -> tuple[np.ndarray, np.ndarray]:
    """Which rows a bucket (period and key) pairs at all, and which are its heads.

    A row is paired if it is among the first ``PER_ARTICLE`` of its article in the bucket (in reading
    order: an article's sentence ids follow it); a head if its article is among the bucket's
    ``max_articles`` of smallest ``rank`` (content order). Both depend on the bucket's members only.
    """
    order = np.lexsort((rows.sid, rank, rows.key, rows.period))
    period, key, r = rows.period[order], rows.key[order], rank[order]
    n = len(order)
    idx = np.arange(n)
    new_bucket = np.ones(n, dtype=bool)
    new_bucket[1:] = (period[1:] != period[:-1]) | (key[1:] != key[:-1])
    new_article = new_bucket.copy()
    new_article[1:] |= r[1:] != r[:-1]
    position = idx - np.maximum.accumulate(np.where(new_article, idx, 0))
    articles = np.cumsum(new_article)
    ordinal = articles - articles[np.maximum.accumulate(np.where(new_bucket, idx, 0))]
    keep, head = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    keep[order] = position < PER_ARTICLE
    head[order] = ordinal < max_articles
    return keep, head


def band_pairs(rows: _Rows, keep: np.ndarray, head: np.ndarray, is_new: np.ndarray, kin: np.ndarray,
               near: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(m, 2) sentence id pairs (a < b) of one band key, of two articles, a head on one side and a
    new sentence on one side: what the batch adds to the candidates. A new head is paired with every
    row of its key, an old head with the new rows (it met the old ones when they came). Kin articles
    pair only as ``near`` pairs (``outlet_pairs``)."""
    sel = np.flatnonzero(keep)
    key, new, hd = rows.key[sel], is_new[sel], head[sel]
    buckets = _Buckets(key)
    found = [buckets.pairs(np.flatnonzero(hd & new), np.arange(len(sel))),
             buckets.pairs(np.flatnonzero(hd & ~new), np.flatnonzero(new & ~hd))]  # new heads met them above
    i = sel[np.concatenate([f[0] for f in found])]
    j = sel[np.concatenate([f[1] for f in found])]
    later, earlier = near
    fresh = is_new[later] | is_new[earlier]
    return _distinct_pairs(np.concatenate((rows.sid[i], rows.sid[later[fresh]])),
                           np.concatenate((rows.sid[j], rows.sid[earlier[fresh]])),
                           np.concatenate((_across(i, j, rows, kin), np.ones(int(fresh.sum()), dtype=bool))))


def _across(i: np.ndarray, j: np.ndarray, rows: _Rows, kin: np.ndarray) -> np.ndarray:
    """Rows that the heads pair: of two articles not kin."""
    return (rows.article[i] != rows.article[j]) & (kin[i] != kin[j])


def outlet_pairs(rows: _Rows, keep: np.ndarray, rank: np.ndarray, kin: np.ndarray,
                 settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Row pairs (later, earlier) of kin articles (one outlet's, both dated or both undated) in one
    band key, the earlier among the later's ``max_outlet_bucket`` nearest earlier kin there; dated
    ones published at most ``window`` days before.

    Dated articles in between are in between in time, so a window keeps exactly the pairs a load
    without one makes within it; undated ones are all in one period, which every batch reads."""
    sel = np.flatnonzero(keep & (kin > 0))
    order = sel[np.lexsort((rows.sid[sel], rank[sel], kin[sel], rows.key[sel]))]
    n = len(order)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    key, own, place, day = rows.key[order], kin[order], rank[order], rows.day[order]
    idx = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (key[1:] != key[:-1]) | (own[1:] != own[:-1])
    new_article = new_group.copy()
    new_article[1:] |= place[1:] != place[:-1]
    run = np.cumsum(new_article) - 1  # each row's article, numbered across groups
    run_start = idx[new_article]  # first row of each article
    group = np.cumsum(new_group) - 1
    first_run = run[idx[new_group]][group]  # the group's first article
    lo = run_start[np.maximum(run - settings.max_outlet_bucket, first_run)]
    if settings.window:  # dated rows are in time order within a group: the first one within the window
        stamp = group * (1 << 32) + day
        dated = (own & 1).astype(bool)
        lo[dated] = np.maximum(lo[dated], np.searchsorted(stamp, stamp[dated] - settings.window, side="left"))
    hi = run_start[run]  # this article's first row
    count = np.maximum(hi - lo, 0)
    later = np.repeat(idx, count)
    earlier = np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    return order[later], order[earlier]


def pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unordered pairs of ids as one int64 each: smaller << 32 | larger."""
    a, b = a.astype(np.int64), b.astype(np.int64)
    return (np.minimum(a, b) << 32) | np.maximum(a, b)


def _expand(key: np.ndarray, anchors: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (anchor, pool row) of the same key, as row indices."""
    return _Buckets(key).pairs(anchors, pool)


class _Buckets:
    """Rows grouped by key with one sort, so that several expansions share it, and a pool's rows of a
    key are found by counting rather than by a binary search per anchor."""

    def __init__(self, key: np.ndarray):
        self.order = np.argsort(key, kind="stable")
        ordered = key[self.order]
        starts = np.ones(len(key), dtype=bool)
        starts[1:] = ordered[1:] != ordered[:-1]
        self.group = np.empty(len(key), dtype=np.int64)
        self.group[self.order] = np.cumsum(starts) - 1
        self.groups = int(starts.sum())

    def pairs(self, anchors: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (anchor, pool row) of the same key, as row indices (a pool row's partners in row order)."""
        member = np.zeros(len(self.group), dtype=bool)
        member[pool] = True
        pooled = self.order[member[self.order]]
        size = np.bincount(self.group[pooled], minlength=self.groups)
        group = self.group[anchors]
        count, lo = size[group], (np.cumsum(size) - size)[group]
        first = np.repeat(np.cumsum(count) - count, count)
        return np.repeat(anchors, count), pooled[np.repeat(lo, count) + np.arange(int(count.sum())) - first]


def _distinct_pairs(a: np.ndarray, b: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    packed = distinct(np.sort(pair_keys(a[wanted], b[wanted])))
    return np.stack((packed >> 32, packed & 0xFFFFFFFF), axis=1)


def _pairs_within(key: np.ndarray, article: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (i, j) of one key, i of a pair's first article and j of its second, for each article
    pair (n, 2): a key's rows expanded within the pairs asked for only. A key most articles share (one
    outlet's template sentence in every article) would give the square of its rows."""
    n = len(article)

    def rows_of(arts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (pair, row of its article)
        pair, row = _Buckets(np.concatenate((article, arts))).pairs(np.arange(n, n + len(arts)), np.arange(n))
        return pair - n, row
    (pa, ra), (pb, rb) = rows_of(pairs[:, 0]), rows_of(pairs[:, 1])
    # (pair, key) as one number to bucket by; a collision of two is caught by the check below
    tag = key[np.concatenate((ra, rb))].view(np.uint64) * np.uint64(0x9E3779B97F4A7C15) ^ \
        np.concatenate((pa, pb)).astype(np.uint64)
    left, right = _Buckets(tag).pairs(np.arange(len(ra)), np.arange(len(ra), len(tag)))
    right -= len(ra)
    same = (pa[left] == pb[right]) & (key[ra[left]] == key[rb[right]])
    return ra[left[same]], rb[right[same]]


def _displaced_pairs(rows: _Rows, others: np.ndarray, displaced: np.ndarray, window: int) -> np.ndarray:
    """(m, 2) article pairs (displaced head's, other's) that shared a key through a head this batch
    displaced, ``others`` being the old rows that are not heads now."""
    i, j = _expand(rows.key, np.flatnonzero(displaced), np.flatnonzero(others))
    ok = rows.article[i] != rows.article[j]
    if window:
        di, dj = rows.day[i], rows.day[j]
        ok &= (di == NO_DAY) | (dj == NO_DAY) | (np.abs(di - dj) <= window)
    pairs = np.stack((rows.article[i][ok], rows.article[j][ok]), axis=1)
    return np.unique(pairs, axis=0) if len(pairs) else pairs.reshape(0, 2)


def _rederive(conn: sqlite3.Connection, affected: np.ndarray, shingles: dict[int, np.ndarray],
              article_of: dict[int, int], settings: Settings, counts: Counter[str]) -> tuple[list[Link], set[int]]:
    """Article pairs (displaced head's article, other) that had a head in common and lost it: their links
    and alignment are deleted and their candidates found again under today's heads. Returns the pairs
    that still pass (for ``align_new``) and the sentences whose links were deleted."""
    arts = sorted({int(x) for x in affected.ravel()})
    stored = set(select_in(conn, "select article_a, article_b from alignments where article_a in ({})", arts))
    pairs = {(int(d), int(x)) for d, x in affected.tolist() if (min(d, x), max(d, x)) in stored}
    if not pairs:
        return [], set()
    unordered = {(min(p), max(p)) for p in pairs}
    displaced = sorted({d for d, _ in pairs})
    mine = select_in(conn, f"select s.id, s.article_id, coalesce(k.day, {NO_DAY}) from sentences s join sketches k"
                           " on k.sentence_id = s.id where s.article_id in ({})", displaced)
    norms = sentence_norms(conn, [sid for sid, _, _ in mine])
    per_article = Counter(aid for _, aid, _ in mine)
    lone = np.array([per_article[aid] == 1 for _, aid, _ in mine], dtype=bool)
    keys = band_keys(minhash_signatures(shingle_sets([norms[sid][1] for sid, _, _ in mine], settings.k), settings),
                     settings, lone)
    days = np.array([day for _, _, day in mine], dtype=np.int64)
    rows = _bucket_rows(conn, distinct(np.sort(keys[keys != NO_KEY])), days, 2**62, settings)
    rank, kin = _article_ranks(conn, rows.article)
    keep, head = bucket_heads(rows, rank, settings.max_bucket)
    partners = np.array(sorted({a for p in unordered for a in p}), dtype=np.int64)
    sel = np.flatnonzero(keep & np.isin(rows.article, partners))
    i, j = _pairs_within(rows.key[sel], rows.article[sel], np.array(sorted(unordered), dtype=np.int64))
    i, j = sel[i], sel[j]
    later, earlier = outlet_pairs(rows, keep, rank, kin, settings)
    ok = np.concatenate(((head[i] | head[j]) & _across(i, j, rows, kin), np.ones(len(later), dtype=bool)))
    i, j = np.concatenate((i, later)), np.concatenate((j, earlier))
    wanted = np.array(sorted((a << 32) | b for a, b in unordered), dtype=np.int64)
    ok &= np.isin(pair_keys(rows.article[i], rows.article[j]), wanted)
    candidates = _distinct_pairs(rows.sid[i], rows.sid[j], ok)
    if settings.window:
        candidates = _within_window(candidates, rows.sid, rows.day, settings.window)
    none = np.zeros(0, dtype=np.int64)
    again = _checked(conn, candidates, shingles, article_of,
                     (none, np.zeros((0, settings.num_perm), dtype=np.uint8), none), settings, counts)
    # What the pairs hold now goes; align_new puts back what they still share.
    sentence_article = dict(select_in(conn, "select id, article_id from sentences where article_id in ({})",
                                      sorted({a for p in unordered for a in p})))
    gone = [(a, b) for a, b in select_in(conn, "select sentence_a, sentence_b from links where sentence_a in ({0})"
                                               " union select sentence_a, sentence_b from links where sentence_b in ({0})",
                                         sentence_article, repeat=2)
            if (min(sentence_article.get(a, 0), sentence_article.get(b, 0)),
                max(sentence_article.get(a, 0), sentence_article.get(b, 0))) in unordered]
    conn.executemany("delete from links where sentence_a = ? and sentence_b = ?", gone)
    conn.executemany("delete from alignments where article_a = ? and article_b = ?", sorted(unordered))
    return again, {n for l in gone for n in l}


def is_link(jaccard: float, containment: float, settings: Settings,
            words: tuple[frozenset[str], frozenset[str]] | None = None) -> bool:
    """The same statement: close wording overall, or one sentence mostly inside the other; or, for
    the sentences of two articles of one sentence each (``words``: their ``word_stems``), nearly so
    in the same words (``lone_words``)."""
    return jaccard >= settings.jaccard or (
        containment >= settings.containment and jaccard >= settings.containment_jaccard
    ) or (words is not None and near_bar(jaccard, settings) and same_words(*words, settings.lone_words))


def near_bar(jaccard: float, settings: Settings) -> bool:
    """Close enough below the bar for the word rule: what the sketch screen lets through."""
    return (settings.lone_words > 0) & (jaccard >= settings.jaccard - settings.prefilter_margin)  # also of arrays


def same_words(x: frozenset[str], y: frozenset[str], bar: float) -> bool:
    return bool(x and y) and len(x & y) >= bar * len(x | y)


# Of these sentences, those that are their article's only matchable (sketched) one, with its outlet.
LONE_SQL = ("select s.id, a.outlet from sentences s join articles a on a.id = s.article_id where s.id in ({})"
            " and (select count(*) from sentences t join sketches k on k.sentence_id = t.id"
            " where t.article_id = s.article_id) = 1")


def lone_word_links(conn: sqlite3.Connection, near: list[Link], settings: Settings) -> list[Link]:
    """Of the pairs ``verify_pairs`` found just below the bar, those of two articles of one sentence
    each, of two outlets, that share their words (``is_link`` with ``words``). Decided here, where the
    database says which articles have one sentence, for every engine alike.

    Not within one outlet, as the alignment extends only across outlets: a rendering is what another
    outlet makes of a text, while one outlet's items in the same words below the character bar restate
    it, which is no provenance (its copies pass the character bar)."""
    if not near:
        return []
    outlet = dict(select_in(conn, LONE_SQL, sorted({n for l in near for n in l[:2]})))
    stems = {sid: word_stems(norm) for sid, (_, norm) in sentence_norms(conn, list(outlet)).items()}
    return [l for l in near if l[0] in stems and l[1] in stems
            and (outlet[l[0]] is None or outlet[l[0]] != outlet[l[1]])
            and is_link(l[2], l[3], settings, (stems[l[0]], stems[l[1]]))]


def verify_pairs(
    pairs: np.ndarray,
    shingles: dict[int, np.ndarray],
    article_of: dict[int, int],
    settings: Settings,
    chunk: int = 1 << 16,
    near: list[Link] | None = None,
) -> list[tuple[int, int, float, float]]:
    """Exact similarity of each candidate; keep those that pass, never within one article. ``near``
    gains the pairs close below the bar, which may pass as two articles of one sentence each
    (``lone_word_links``).

    Python sets of every sentence a large batch's candidates name would not fit in memory, so pairs
    are checked in order of their first sentence, a chunk at a time, and a sentence's set is dropped
    once no later pair can name it.
    """
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    sets: dict[int, frozenset[int]] = {}
    links = []
    for i in range(0, len(pairs), chunk):
        part = pairs[i:i + chunk]
        _add_sets(sets, [n for n in distinct(np.sort(part.ravel())).tolist() if n not in sets], shingles)
        for a, b in part.tolist():
            if article_of[a] == article_of[b]:
                continue
            sa, sb = sets[a], sets[b]
            if not sa or not sb:
                continue
            j, c = overlap_ratios(len(sa & sb), len(sa), len(sb))
            if is_link(j, c, settings):
                links.append((a, b, j, c))
            elif near is not None and near_bar(j, settings):
                near.append((a, b, j, c))
        passed = int(part[-1, 0])  # later pairs start at this sentence or after, and end after it
        for n in [n for n in sets if n < passed]:
            del sets[n]
    return links


def _add_sets(sets: dict[int, frozenset[int]], ids: list[int], shingles: dict[int, np.ndarray]) -> None:
    """Python sets of these sentences' shingles, from one list (a .tolist() per array is slow)."""
    arrays = [shingles[n] for n in ids]
    values = np.concatenate(arrays).tolist() if arrays else []
    ends = np.cumsum([len(a) for a in arrays]).tolist()
    sets.update((n, frozenset(values[e - len(a):e])) for n, a, e in zip(ids, arrays, ends))


def _stored_sketches(
    conn: sqlite3.Connection, ids: list[int], settings: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids, sketches and shingle-set sizes of stored sentences (any without a sketch: hashed again)."""
    found = {sid: (np.frombuffer(sk, dtype=np.uint8), size) for sid, sk, size in select_in(
        conn, "select sentence_id, sketch, size from sketches where sentence_id in ({})", ids)}
    missing = sentence_norms(conn, [i for i in ids if i not in found])
    sets = shingle_sets([norm for _, norm in missing.values()], settings.k)
    found.update(zip(missing, zip(sketches(minhash_signatures(sets, settings)), map(len, sets))))
    return (np.array(ids, dtype=np.int64),
            np.array([found[i][0] for i in ids], dtype=np.uint8).reshape(len(ids), settings.num_perm),
            np.array([found[i][1] for i in ids], dtype=np.int64))
