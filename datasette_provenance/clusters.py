"""Group linked sentences into clusters that each carry one statement, and locate the passage.

Connected components of pairwise links chain distinct statements together (A~B on one clause,
B~C on another). Instead, two groups merge only when most of the cross-article pairs between them
are links themselves (average linkage over exact similarities), strongest links first. The result
depends only on the links inside a connected component, so an incremental load can recluster
just the components it touched and get what a full load would.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

import numpy as np

MERGE_SHARE = 0.5  # share of cross-article pairs between two groups that must be links
MAX_PAIRS = 4000  # cross pairs checked per merge; beyond this an even sample is checked
TEMPLATE_ARTICLES = 3  # one outlet repeating a near-identical line in this many articles: boilerplate
EDGE_PARAGRAPHS = 2  # paragraphs at either end of an article where templates (footers, standfirsts) live
TEMPLATE_JACCARD = 0.8

Link = tuple[int, int, float, float]


def cluster(
    links: list[Link],
    article_of: dict[int, int],
    is_linked: Callable[[int, int], bool],
) -> list[list[int]]:
    """Clusters (sorted sentence ids, at least two articles each), deterministic for a link set."""
    parent: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    for a, b, _, _ in links:
        for n in (a, b):
            if n not in parent:
                parent[n] = n
                members[n] = [n]

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b, _, _ in sorted(links, key=lambda l: (-l[2], -l[3], l[0], l[1])):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        cross = [(x, y) for x in members[ra] for y in members[rb] if article_of[x] != article_of[y]]
        if len(cross) > MAX_PAIRS:
            cross = cross[:: len(cross) // MAX_PAIRS + 1]
        if sum(is_linked(x, y) for x, y in cross) >= MERGE_SHARE * len(cross):
            small, big = sorted((ra, rb), key=lambda r: (len(members[r]), r))
            parent[small] = big
            members[big].extend(members.pop(small))
    groups = [sorted(m) for m in members.values() if len({article_of[n] for n in m}) >= 2]
    return sorted(groups)


def outlet_templates(
    group: list[int],
    article_of: dict[int, int],
    outlet_of: dict[int, str | None],
    similarity: Callable[[int, int], float],
    at_edge: Callable[[int], bool] = lambda n: False,
    neighbours: dict[int, set[int]] | None = None,
) -> set[int]:
    """Members that are one outlet's boilerplate: near-identical across several of its articles.

    Three articles are enough anywhere; two when the line closes or opens both articles, where
    footers and standfirst templates live. With ``neighbours`` (the linked sentences of each
    member) only linked pairs are compared: a near-identical pair is always a link, and an outlet's
    footer in thousands of articles would otherwise cost a quadratic number of comparisons.
    """
    by_outlet: dict[str, list[int]] = defaultdict(list)
    for n in group:
        if outlet_of[n]:
            by_outlet[outlet_of[n]].append(n)
    flagged: set[int] = set()
    for outlet, nodes in by_outlet.items():
        if len({article_of[n] for n in nodes}) < 2:
            continue
        for n in nodes:
            near = nodes if neighbours is None else (m for m in neighbours.get(n, ()) if outlet_of.get(m) == outlet)
            articles = {article_of[n]}
            for m in near:  # stop at the first proof: a footer has thousands of twins
                if article_of[m] in articles or similarity(n, m) < TEMPLATE_JACCARD:
                    continue
                articles.add(article_of[m])
                if len(articles) >= TEMPLATE_ARTICLES or (at_edge(n) and at_edge(m)):
                    flagged.add(n)
                    break
    return flagged


def passage_span(positions: np.ndarray, shared: np.ndarray, norm_len: int, k: int) -> tuple[int, int] | None:
    """The densest run of shared shingles, in normalised-text positions [start, end).

    A translation shares scattered 5-grams with its twin; the maximum-sum run (+1 for a covered
    character, -1 for an uncovered one) is the passage the two have in common, without the
    unrelated lead-in or tail of a longer sentence.
    """
    hit = np.isin(positions, shared)
    if not hit.any():
        return None
    cover = np.zeros(norm_len + 1, dtype=np.int64)
    starts = np.flatnonzero(hit)
    np.add.at(cover, starts, 1)
    np.add.at(cover, np.minimum(starts + k, norm_len), -1)
    weights = np.where(np.cumsum(cover[:norm_len]) > 0, 1, -1)
    best, best_span, run, run_start = 0, None, 0, 0
    for i, w in enumerate(weights.tolist()):
        if run <= 0:
            run, run_start = 0, i
        run += w
        if run > best:
            best, best_span = run, (run_start, i + 1)
    return best_span
