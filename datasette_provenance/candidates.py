"""Candidate pairs from MinHash band collisions, by sorting band keys instead of hashing buckets.

A candidate is only a hint: every one is verified exactly (``verify_pairs``) before it becomes a
link. Buckets that many sentences share (formulaic phrases) are not expanded into all their
pairs; each member is paired with the first ``max_bucket`` members instead, which keeps real
wire copy connected while bounding the work.
"""

from __future__ import annotations

import numpy as np

from .signatures import Settings, similarity


def band_pairs(keys: np.ndarray, ids: np.ndarray, is_new: np.ndarray, max_bucket: int) -> np.ndarray:
    """(m, 2) sorted id pairs that share a band key and involve at least one new sentence.

    ``keys`` is flat (one row per sentence and band), ``ids`` the sentence of each row.
    """
    if len(keys) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.lexsort((ids, keys))
    keys, ids, is_new = keys[order], ids[order], is_new[order]
    boundaries = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], boundaries))
    ends = np.concatenate((boundaries, [len(keys)]))
    multi = ends - starts > 1
    out: list[np.ndarray] = []
    for s, e in zip(starts[multi], ends[multi]):
        if not is_new[s:e].any():
            continue
        members = ids[s:e]
        heads = members[:max_bucket]
        a = np.repeat(heads, len(members))
        b = np.tile(members, len(heads))
        keep = a < b
        out.append(np.stack((a[keep], b[keep]), axis=1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.unique(np.concatenate(out), axis=0)
    new_ids = set(ids[is_new].tolist())
    touch = np.fromiter((a in new_ids or b in new_ids for a, b in pairs), dtype=bool, count=len(pairs))
    return pairs[touch]


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
) -> list[tuple[int, int, float, float]]:
    """Exact similarity of each candidate; keep those that pass, never within one article."""
    links = []
    for a, b in pairs.tolist():
        if article_of[a] == article_of[b]:
            continue
        j, c = similarity(shingles[a], shingles[b])
        if is_link(j, c, settings):
            links.append((a, b, j, c))
    return links
