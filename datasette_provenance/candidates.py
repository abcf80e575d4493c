"""Candidate sentence pairs: band keys stored and looked up, collisions paired, verified exactly.

A candidate is only a hint: every one is verified exactly (``verify_pairs``) before it can become
a link. Buckets that many sentences share (formulaic phrases) are not expanded into all their
pairs; each member is paired with its ``max_bucket`` predecessors instead, which keeps real wire
copy connected (true copies share many bands) while bounding the work. The band keys live in
SQLite (by period with a window), so later loads and the Trace page look them up.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass

import numpy as np

from . import store
from .dates import NO_DAY
from .prepare import PreparedBatch
from .signatures import (
    Settings, distinct, minhash_signatures, overlap_ratios, shingle_sets, sketch_jaccard, sketches, worth_comparing,
)
from .store import select_in, sentence_norms

Link = tuple[int, int, float, float]  # sentence_a < sentence_b, Jaccard, containment of the smaller
_EVERY_DAY = (-(2**62), 2**62)


@dataclass
class NewSentences:
    """The matchable sentences a batch inserted: ids, articles, and rows of the batch's arrays."""

    id: np.ndarray
    article: np.ndarray
    row: np.ndarray
    day: np.ndarray  # the article's publication day (date ordinal), NO_DAY if not known to the day



def link_new_sentences(
    conn: sqlite3.Connection,
    new: NewSentences,
    batch: PreparedBatch,
    first_new: int,
    settings: Settings,
    counts: Counter[str],
) -> tuple[list[Link], dict[int, np.ndarray]]:
    """Band keys for the new sentences, candidates against everything stored, exact verification.

    Returns the sentence pairs that pass the rule (not yet stored: the alignment of their articles
    decides) and the shingle sets of the sentences involved, which alignment and clustering reuse.
    ``counts`` gains the candidate pairs and those compared exactly.
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
    counts["candidates"] += len(pairs)
    estimate = sketch_jaccard(all_sketches[at[:, 0]], all_sketches[at[:, 1]])
    pairs = pairs[worth_comparing(estimate, all_sizes[at[:, 0]], all_sizes[at[:, 1]], settings)]
    counts["checked"] += len(pairs)
    stored = sentence_norms(conn, sorted({n for n in pairs.ravel().tolist() if n not in shingles}))
    shingles.update(zip(stored, shingle_sets([norm for _, norm in stored.values()], settings.k)))
    article_of.update({sid: aid for sid, (aid, _) in stored.items()})
    return verify_pairs(pairs, shingles, article_of, settings), shingles


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


def band_pairs(
    keys: np.ndarray, ids: np.ndarray, articles: np.ndarray, first_new: int, max_bucket: int
) -> np.ndarray:
    """(m, 2) id pairs (a < b) that share a band key, with b a new sentence (id >= first_new).

    ``keys`` is flat (one row per sentence and band), ``ids`` the sentence of each row and
    ``articles`` its article: pairs within one article are never candidates (an article of
    near-repeated sentences would otherwise cost quadratic memory). In a bucket sorted by id each
    member is paired with its ``max_bucket`` predecessors, which bounds the work for formulaic
    buckets and is what an incremental load reproduces from the stored band keys.
    """
    order = np.lexsort((ids, keys))
    keys, ids, articles = keys[order], ids[order], articles[order]
    shared = np.zeros(len(keys), dtype=bool)
    if len(keys) > 1:
        same = keys[1:] == keys[:-1]
        shared[1:] |= same
        shared[:-1] |= same
    keys, ids, articles = keys[shared], ids[shared], articles[shared]
    found = []
    for d in range(1, max_bucket + 1):
        if d >= len(keys):
            break
        same_key = keys[d:] == keys[:-d]
        if not same_key.any():
            break  # no bucket is longer than d
        hit = same_key & (ids[d:] >= first_new) & (articles[d:] != articles[:-d])
        found.append((ids[:-d][hit].astype(np.int64) << 32) | ids[d:][hit].astype(np.int64))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    packed = distinct(np.sort(np.concatenate(found)))
    return np.stack((packed >> 32, packed & 0xFFFFFFFF), axis=1)


def is_link(jaccard: float, containment: float, settings: Settings) -> bool:
    """The same statement: close wording overall, or one sentence mostly inside the other."""
    return jaccard >= settings.jaccard or (
        containment >= settings.containment and jaccard >= settings.containment_jaccard
    )


def verify_pairs(
    pairs: np.ndarray,
    shingles: dict[int, np.ndarray],
    article_of: dict[int, int],
    settings: Settings,
    chunk: int = 1 << 16,
) -> list[tuple[int, int, float, float]]:
    """Exact similarity of each candidate; keep those that pass, never within one article.

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
