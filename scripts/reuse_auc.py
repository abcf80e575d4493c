#!/usr/bin/env python3
"""How well the document-level figures separate reused from independent texts, on a labelled corpus.

usage: python scripts/reuse_auc.py CORPUS_DB GOLD.json [--pieces] [--direction] [--apart] [--exclude IDS]

GOLD holds {"pairs": [{"id1", "id2", "label", "category"?}]}: id1 is the derived text (an answer, a
newspaper article), id2 its candidate source, label 1 when id1 reuses id2 (the Clough & Stevenson
corpus in ../shared/corpora/clough_stevenson has this shape; it is read from there, never copied).
Prints the ROC AUC of ``articles.reuse_share`` (text shared with any other article) and of the
share of id1 aligned with id2 (``alignments``), the reused/independent pairs each orders wrongly
(ties count half), and both figures per category.

With ``--pieces``, also what the alignment leaves: per category, the sentences of id1 (six words or
more) not in any link, and the share of them made of pieces of id2 (words at least half covered by
runs of four or more words found in id2: clauses of source sentences merged, split or trimmed); for
the independent category, the share of all its sentences: how often same-topic text written apart
looks like pieces.

With ``--direction``, also what the provenance stage says of each pair, per category: id1 copied from
id2 (right), id2 from id1 (reversed), id1 from another text, undetermined with id2 or with another
text, or no row; and the extent (wholly / partially) of the row between id1 and id2 when there is one.

With ``--apart``, also what clustering leaves of the links between reused pairs: the links of an id1
sentence to an id2 sentence, those whose id1 sentence is in no cluster with id2 (linked to the
source, then counted without it), and of those the ones in no cluster at all (counted nowhere).
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
    ap.add_argument("--pieces", action="store_true", help="also the unaligned sentences made of source pieces")
    ap.add_argument("--direction", action="store_true", help="also the derivation rows of each pair, per category")
    ap.add_argument("--apart", action="store_true", help="also the links of reused pairs clustered apart")
    ap.add_argument("--exclude", default="", help="comma-separated id1s left out (e.g. texts that reuse each other)")
    args = ap.parse_args()
    left_out = set(filter(None, args.exclude.split(",")))
    pairs = [p for p in json.load(open(args.gold))["pairs"] if p["id1"] not in left_out]
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
        pos, neg = [r[n] for r in rows if r[0]], [r[n] for r in rows if not r[0]]
        area = auc(pos, neg)
        out[f"{name}_auc"] = round(area, 3)
        # the pairs the AUC counts against: what a target such as 0.95 allows is a whole number of them
        out[f"{name}_misordered"] = f"{round((1 - area) * len(pos) * len(neg), 1):g} of {len(pos) * len(neg)}"
        by = defaultdict(list)
        for r in rows:
            by[r[1]].append(r[n])
        out[f"{name}_median_by_category"] = {k: round(median(v), 2) for k, v in sorted(by.items())}
    if args.pieces:
        out["pieces"] = pieces(conn, [(ids[p["id1"]], ids[p["id2"]], p["label"], p.get("category", str(p["label"])))
                                      for p in pairs])
    if args.direction:
        out["direction"] = direction(conn, [(ids[p["id1"]], ids[p["id2"]], p.get("category", str(p["label"])))
                                            for p in pairs])
    if args.apart:
        out["apart"] = apart(conn, [(ids[p["id1"]], ids[p["id2"]]) for p in pairs if p["label"]])
    print(json.dumps(out))


def apart(conn: sqlite3.Connection, pairs: list[tuple[int, int]]) -> dict:
    """Links from an id1 sentence to an id2 sentence of these pairs; those whose id1 sentence is in no
    cluster with id2; of them, those in no cluster at all."""
    source_of = set(pairs)
    article = dict(conn.execute("select id, article_id from sentences"))
    clusters: dict[int, set[int]] = defaultdict(set)  # sentence -> its clusters
    holders: dict[int, set[int]] = defaultdict(set)  # cluster -> its articles
    for cid, sid, aid in conn.execute("select cluster_id, sentence_id, article_id from cluster_members"):
        clusters[sid].add(cid)
        holders[cid].add(aid)
    counts = {"links": 0, "in_no_cluster_with_id2": 0, "in_no_cluster": 0}
    for a, b in conn.execute("select sentence_a, sentence_b from links"):
        for x, y in ((a, b), (b, a)):
            if (article[x], article[y]) in source_of:
                counts["links"] += 1
                if not any(article[y] in holders[c] for c in clusters[x]):
                    counts["in_no_cluster_with_id2"] += 1
                    counts["in_no_cluster"] += not clusters[x]
    return counts


def direction(conn: sqlite3.Connection, pairs: list[tuple[int, int, str]]) -> dict:
    """Per category: how many pairs get each verdict, and the extents of the rows between the two."""
    rows = defaultdict(list)
    for derived, source, relation, extent in conn.execute(
            "select derived_article_id, source_article_id, relation, extent from derivations"):
        rows[derived].append((source, relation, extent))
    verdicts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    extents: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for x, y, category in pairs:
        between = [(r, e, "x") for s, r, e in rows[x] if s == y] + [(r, e, "y") for s, r, e in rows[y] if s == x]
        if between:
            relation, extent, side = between[0]
            extents[category][extent] += 1
            verdict = {("copied", "x"): "copied from id2", ("copied", "y"): "reversed"}.get(
                (relation, side), f"{relation} with id2")
        elif rows[x]:
            verdict = ("copied from another text" if any(r == "copied" for _, r, _ in rows[x])
                       else "undetermined with another text" if any(r == "undetermined" for _, r, _ in rows[x])
                       else "other rows")
        else:
            verdict = "no row"
        verdicts[category][verdict] += 1
    return {k: {"verdicts": dict(sorted(v.items())), "extent_with_id2": dict(sorted(extents[k].items()))}
            for k, v in sorted(verdicts.items())}


def pieces(conn: sqlite3.Connection, pairs: list[tuple[int, int, int, str]], n: int = 4, cover: float = 0.5,
           min_words: int = 6) -> dict:
    """Per category: sentences considered, and the share at least ``cover`` covered by ``n``-word runs of the source."""
    from datasette_provenance.segment import normal_form

    linked = {s for pair in conn.execute("select sentence_a, sentence_b from links") for s in pair}

    def sentences(article: int) -> list[tuple[int, list[str]]]:
        return [(sid, normal_form(text).split()) for sid, text in conn.execute(
            'select s.id, substr(p.text, s.start + 1, s."end" - s.start) from sentences s join paragraphs p'
            " on p.id = s.paragraph_id where s.article_id = ? and s.kind in ('text', 'title', 'short')", (article,))]

    found: dict[str, list[bool]] = {category: [] for *_, category in pairs}
    for derived, source, label, category in pairs:
        grams = {tuple(w[i:i + n]) for _, w in sentences(source) for i in range(len(w) - n + 1)}
        for sid, words in sentences(derived):
            if len(words) < min_words or (label and sid in linked):
                continue
            covered = set()
            for i in range(len(words) - n + 1):
                if tuple(words[i:i + n]) in grams:
                    covered.update(range(i, i + n))
            found[category].append(len(covered) >= cover * len(words))
    return {k: {"sentences": len(v), "share_of_pieces": round(sum(v) / len(v), 3) if v else None}
            for k, v in sorted(found.items())}


if __name__ == "__main__":
    main()
