"""Candidate pairs from MinHash band collisions, by sorting band keys instead of hashing buckets.

A candidate is only a hint: every one is verified exactly (``verify_pairs``) before it becomes a
link. Buckets that many sentences share (formulaic phrases) are not expanded into all their
pairs; each member is paired with its ``max_bucket`` predecessors instead, which keeps real wire
copy connected (true copies share many bands) while bounding the work.
"""

from __future__ import annotations

import numpy as np

from .signatures import Settings, distinct, overlap_ratios


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
