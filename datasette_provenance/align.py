"""Align two articles that share text: which sentences of one are renderings of which of the other.

Sentence pairs judged one at a time miss what reuse looks like in news: a newspaper joins two agency
sentences, splits one, trims clauses, and a translation renders some sentences loosely. Inside an
article pair that already shares sentences, a loose match next to a close one is very likely a
rendering too, while the same loose match alone between two long articles is more likely two
stories saying a similar thing (a formula with other names and numbers). So each candidate article
pair is aligned as a whole:

1. anchors: sentence pairs that pass the strict rule on their own (``candidates.is_link``), unless
   their numbers disagree (formulaic sentences about other facts);
2. extension: a sentence next to an aligned pair (in reading order, on both sides) is aligned to the
   neighbour of its partner when they still share ``aligned_jaccard`` of their shingles, or when it
   is mostly contained in it (a sentence split in two, two merged into one);
3. support: the pair is kept when it aligns two or more sentence pairs, or one close pair
   (``lone_jaccard``), or the one sentence a short article has; a lone loose anchor is dropped.

The result depends on the two articles only, never on what else is loaded or in which order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .candidates import is_link
from .signatures import Settings


@dataclass(frozen=True)
class Aligned:
    """One aligned sentence pair: rows of the two articles' sentence lists and their similarity."""

    a: int
    b: int
    jaccard: float
    containment: float
    anchor: bool  # passed the strict rule on its own


def overlaps(sets_a: list[np.ndarray], sets_b: list[np.ndarray]) -> np.ndarray:
    """(len(sets_a), len(sets_b)) counts of shared shingles, from sorted unique arrays, in one pass."""
    n, m = len(sets_a), len(sets_b)
    counts = np.zeros((n, m), dtype=np.int64)
    if not n or not m:
        return counts
    va = np.concatenate(sets_a)
    vb = np.concatenate(sets_b)
    if not len(va) or not len(vb):
        return counts
    ra = np.repeat(np.arange(n), [len(s) for s in sets_a])
    rb = np.repeat(np.arange(m), [len(s) for s in sets_b])
    order = np.argsort(vb, kind="stable")
    vb, rb = vb[order], rb[order]
    lo = np.searchsorted(vb, va, side="left")
    hits = np.searchsorted(vb, va, side="right") - lo
    keep = hits > 0
    if not keep.any():
        return counts
    lo, hits, ra = lo[keep], hits[keep], ra[keep]
    total = int(hits.sum())
    first = np.repeat(np.cumsum(hits) - hits, hits)
    cols = rb[np.repeat(lo, hits) + np.arange(total) - first]
    np.add.at(counts, (np.repeat(ra, hits), cols), 1)
    return counts


def align(
    sets_a: list[np.ndarray],
    sets_b: list[np.ndarray],
    settings: Settings,
    numbers_a: list[frozenset[str]] | None = None,
    numbers_b: list[frozenset[str]] | None = None,
) -> list[Aligned]:
    """The aligned sentence pairs of two articles (matchable sentences in reading order), or none."""
    inter = overlaps(sets_a, sets_b)
    if not inter.any():
        return []
    size_a = np.array([len(s) for s in sets_a], dtype=np.float64)[:, None]
    size_b = np.array([len(s) for s in sets_b], dtype=np.float64)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.nan_to_num(inter / (size_a + size_b - inter))
        con = np.nan_to_num(inter / np.minimum(size_a, size_b))
    got: dict[tuple[int, int], Aligned] = {}
    for i, j in zip(*np.nonzero(inter)):
        i, j = int(i), int(j)
        if is_link(jac[i, j], con[i, j], settings) and not _numbers_disagree(numbers_a, numbers_b, i, j):
            got[i, j] = Aligned(i, j, float(jac[i, j]), float(con[i, j]), True)
    if not got:
        return []
    _extend(got, jac, con, settings)
    kept = sorted(got.values(), key=lambda p: (p.a, p.b))
    lone = len(kept) == 1 and kept[0].jaccard < settings.lone_jaccard and min(len(sets_a), len(sets_b)) > 1
    return [] if lone else kept


def _extend(got: dict[tuple[int, int], Aligned], jac: np.ndarray, con: np.ndarray, settings: Settings) -> None:
    """Grow the alignment from its pairs into the sentences next to them, until nothing changes.

    Tried in a fixed order (pairs by position, diagonal neighbours before merges), so the result is
    a function of the two articles alone.
    """
    n, m = jac.shape
    used_a = {a for a, _ in got}
    used_b = {b for _, b in got}
    changed = True
    while changed:
        changed = False
        for a, b in sorted(got):
            for da, db in ((1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)):
                i, j = a + da, b + db
                if not (0 <= i < n and 0 <= j < m) or (i, j) in got:
                    continue
                fresh_a, fresh_b = i not in used_a, j not in used_b
                if da and db:  # the next sentence on both sides
                    ok = fresh_a and fresh_b and (jac[i, j] >= settings.aligned_jaccard
                                                  or con[i, j] >= settings.containment)
                else:  # a sentence split in two, or two merged: the piece lies mostly inside the whole
                    ok = (fresh_a or fresh_b) and con[i, j] >= settings.containment \
                        and jac[i, j] >= settings.aligned_jaccard
                if ok:
                    got[i, j] = Aligned(i, j, float(jac[i, j]), float(con[i, j]), False)
                    used_a.add(i)
                    used_b.add(j)
                    changed = True


def _numbers_disagree(numbers_a, numbers_b, i: int, j: int) -> bool:
    """Both sentences state numbers and neither's are among the other's: a formula about other facts."""
    if numbers_a is None or numbers_b is None:
        return False
    x, y = numbers_a[i], numbers_b[j]
    return bool(x) and bool(y) and not (x <= y or y <= x)


def coverage(aligned: list[Aligned], chars_a: np.ndarray, chars_b: np.ndarray) -> tuple[float, float]:
    """Share of each article's matchable characters inside aligned sentences."""
    rows_a = sorted({p.a for p in aligned})
    rows_b = sorted({p.b for p in aligned})
    total_a, total_b = chars_a.sum(), chars_b.sum()
    return (float(chars_a[rows_a].sum() / total_a) if total_a else 0.0,
            float(chars_b[rows_b].sum() / total_b) if total_b else 0.0)
