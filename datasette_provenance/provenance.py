"""Provenance: how much of each article is found elsewhere, and (issue 3) who took it from whom."""

from __future__ import annotations

import sqlite3
from collections import defaultdict

from .outlets import OutletAliases


def update(conn: sqlite3.Connection, article_ids: list[int], names: OutletAliases) -> None:
    """Recompute what depends on the clusters of these articles."""
    for aid in article_ids:
        conn.execute("update articles set reuse_share = ? where id = ?", (reuse_share(conn, aid), aid))


def reuse_share(conn: sqlite3.Connection, article_id: int) -> float:
    """Characters of the article's own text inside a shared passage, over all its own text."""
    own = conn.execute(
        "select coalesce(sum(length(text)), 0) from paragraphs where article_id = ? and boilerplate = 0",
        (article_id,),
    ).fetchone()[0]
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pid, s, e in conn.execute(
        'select m.paragraph_id, m.start, m."end" from cluster_members m join paragraphs p on p.id = m.paragraph_id'
        " where m.article_id = ? and p.boilerplate = 0",
        (article_id,),
    ):
        spans[pid].append((s, e))
    covered = sum(_union_length(v) for v in spans.values())
    return round(min(1.0, covered / own), 4) if own else 0.0


def _union_length(spans: list[tuple[int, int]]) -> int:
    total, end = 0, -1
    for s, e in sorted(spans):
        if e > end:
            total += e - max(s, end)
            end = e
    return total
