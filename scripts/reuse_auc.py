#!/usr/bin/env python3
"""How well the document-level figures separate reused from independent texts, on a labelled corpus.

usage: python scripts/reuse_auc.py CORPUS_DB GOLD.json

GOLD holds {"pairs": [{"id1", "id2", "label", "category"?}]}: id1 is the derived text (an answer, a
newspaper article), id2 its candidate source, label 1 when id1 reuses id2 (the Clough & Stevenson
corpus in ../shared/corpora/clough_stevenson has this shape; it is read from there, never copied).
Prints the ROC AUC of ``articles.reuse_share`` (text shared with any other article) and of the
share of id1 aligned with id2 (``alignments``), and both figures per category.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections import defaultdict
from statistics import median


def auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("gold")
    args = ap.parse_args()
    pairs = json.load(open(args.gold))["pairs"]
    conn = sqlite3.connect(args.db)
    ids = {e: i for i, e in conn.execute("select id, external_id from articles")}
    share = {i: s or 0.0 for i, s in conn.execute("select id, reuse_share from articles")}
    aligned = {}
    for a, b, ca, cb in conn.execute("select article_a, article_b, covered_a, covered_b from alignments where pairs > 0"):
        aligned[a, b], aligned[b, a] = ca, cb
    rows = []
    for p in pairs:
        x, y = ids[p["id1"]], ids[p["id2"]]
        rows.append((p["label"], p.get("category", str(p["label"])), share[x], aligned.get((x, y), 0.0)))
    out = {}
    for n, name in ((2, "reuse_share"), (3, "aligned_with_source")):
        out[f"{name}_auc"] = round(auc([r[n] for r in rows if r[0]], [r[n] for r in rows if not r[0]]), 3)
        by = defaultdict(list)
        for r in rows:
            by[r[1]].append(r[n])
        out[f"{name}_median_by_category"] = {k: round(median(v), 2) for k, v in sorted(by.items())}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
