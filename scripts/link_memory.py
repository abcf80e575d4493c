"""What the Spark driver holds for the verified links, a million made-up ones at a time: as Python
tuples with the maps alignment built from them (sentence → article, article pair → links: the
driver's structures up to commit 70be1ca), against the columns of numbers it holds now
(``spark._link_frame``, grouped into article pairs by ``spark.by_pair``). Checks that both group the
same links into the same pairs, in the same order, then prints the bytes a link of each, measured
with tracemalloc (sort keys and pair bounds included).

    python scripts/link_memory.py [--links 1000000]

Needs the [spark] extra (pandas).
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasette_provenance.spark import _link_frame, by_pair  # noqa: E402

SENTENCES_AN_ARTICLE = 20


def made_up(n: int, seed: int = 0) -> tuple[np.ndarray, ...]:
    """n links between sentences of articles of 20 sentences, mostly within a few hundred ids."""
    rng = np.random.default_rng(seed)
    a = np.sort(rng.integers(0, SENTENCES_AN_ARTICLE * n, n))
    b = a + rng.integers(1, 1000, n)
    keep = np.unique(np.stack((a, b), 1), axis=0, return_index=True)[1]
    return a[keep], b[keep], rng.random(len(keep)), rng.random(len(keep))


def as_tuples(a, b, j, c) -> tuple[list, dict, dict]:
    links = [(int(p), int(q), float(r), float(s)) for p, q, r, s in zip(a.tolist(), b.tolist(), j.tolist(), c.tolist())]
    article_of = {n: n // SENTENCES_AN_ARTICLE for link in links for n in link[:2]}
    pairs: dict[tuple[int, int], list] = {}
    for link in links:
        pairs.setdefault(tuple(sorted((article_of[link[0]], article_of[link[1]]))), []).append(link)
    return links, article_of, pairs


def as_columns(a, b, j, c):
    article_of = {n: n // SENTENCES_AN_ARTICLE for n in np.concatenate((a, b)).tolist()}
    frame = _link_frame(list(zip(a.tolist(), b.tolist(), j.tolist(), c.tolist())), article_of)
    del article_of
    return by_pair(frame)


def held(build, *args) -> tuple[object, int]:
    """What ``build`` returns and the bytes still allocated for it when it returns."""
    tracemalloc.start()
    try:
        got = build(*args)
        return got, tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--links", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    columns = made_up(args.links)
    n = len(columns[0])
    (_, _, old_pairs), old = held(as_tuples, *columns)
    (frame, x, y, bounds), new = held(as_columns, *columns)
    rows = list(zip(frame["a"].tolist(), frame["b"].tolist(), frame["jaccard"].tolist(), frame["containment"].tolist()))
    new_pairs = {(int(x[lo]), int(y[lo])): rows[lo:hi] for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist())}
    same = sorted(old_pairs.items()) == sorted(new_pairs.items())
    print(f"{n:,} links in {len(new_pairs):,} article pairs; the same pairs and order: {'yes' if same else 'NO'}")
    print(f"tuples and maps: {old / n:.0f} bytes a link ({old / 1e6:.0f} MB)")
    print(f"columns:         {new / n:.0f} bytes a link ({new / 1e6:.0f} MB)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
