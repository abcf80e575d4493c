#!/usr/bin/env python3
"""How far lexical overlap alone can go on a labelled sentence-pair corpus: the ceiling of any matcher
that, like ours, decides from the two texts' surface.

usage: python scripts/pair_bound.py ARTICLES.jsonl GOLD.json [--db CORPUS_DB]

GOLD may instead hold {"groups": [{"english_versions": [id, ...]}]} (versions of one text, as
../shared/corpora/wmt22_refs/segments.gold.json does, with ids ``PREFIX:sNUMBER:VERSION``): then the
positives are the pairs of a group, the negatives the pairs of consecutive segments (``sN`` and
``sN+1`` of one PREFIX, every version: one document's neighbouring sentences, the issue's protocol),
and it prints, per surface measure, the share of positives found when 1, 2 and 5 % of the negatives are.

GOLD holds {"pairs": [{"id1", "id2", "label"}]} (label 1: same meaning), as the MSRP train split in
../shared/corpora/msrp_train does; it is read from there, never copied. Prints, per measure, the
accuracy of its best threshold fitted on the corpus itself (an upper bound of any threshold rule on
it), then the 5-fold cross-validated accuracy of a logistic regression over all the measures: the
loader's character 5-gram Jaccard and containment (its normal form and shingles), word Jaccard,
whether the numbers differ, and the ratio of the two lengths. With ``--db`` (the corpus the loader
built from ARTICLES), what separates the loader from its own measure's threshold: by label, the pairs
at or above the loader's Jaccard bar that it did not link, and those linked but in no common cluster.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasette_provenance.segment import normal_form  # noqa: E402
from datasette_provenance.signatures import Settings, shingle_sets  # noqa: E402

MEASURES = ["character 5-gram Jaccard", "character 5-gram containment", "word Jaccard", "numbers differ",
            "length ratio"]


def measures(a: str, b: str, sa: np.ndarray, sb: np.ndarray) -> list[float]:
    shared = len(np.intersect1d(sa, sb))
    wa, wb = (set(re.findall(r"\w+", t.lower())) for t in (a, b))
    na, nb = (set(re.findall(r"\d+(?:[.,]\d+)*", t)) for t in (a, b))
    return [shared / max(1, len(sa) + len(sb) - shared), shared / max(1, min(len(sa), len(sb))),
            len(wa & wb) / max(1, len(wa | wb)), float(na != nb), min(len(sa), len(sb)) / max(1, len(sa), len(sb))]


def best_threshold(x: np.ndarray, y: np.ndarray) -> float:
    """The best accuracy of ``x >= t`` or of ``x < t`` over every t."""
    return max(max(((x >= t) == y).mean(), ((x < t) == y).mean()) for t in np.unique(x))


def cross_validated(features: np.ndarray, y: np.ndarray, folds: int = 5) -> float:
    """Accuracy of an L2 logistic regression (gradient descent on standardised features), by fold."""
    parts = np.array_split(np.random.default_rng(0).permutation(len(y)), folds)
    right = 0
    for k, test in enumerate(parts):
        train = np.concatenate([p for i, p in enumerate(parts) if i != k])
        mean, sd = features[train].mean(0), features[train].std(0) + 1e-9
        xs = np.column_stack([np.ones(len(train)), (features[train] - mean) / sd])
        w = np.zeros(xs.shape[1])
        for _ in range(3000):
            w -= 0.5 * (xs.T @ (1 / (1 + np.exp(-xs @ w)) - y[train]) / len(train) + 1e-3 * w)
        right += ((np.column_stack([np.ones(len(test)), (features[test] - mean) / sd]) @ w > 0) == y[test]).sum()
    return right / len(y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("articles")
    ap.add_argument("gold")
    ap.add_argument("--db", help="the corpus the loader built from ARTICLES")
    args = ap.parse_args()
    texts = {r["id"]: r["text"] for r in map(json.loads, Path(args.articles).read_text().splitlines())}
    ids = sorted(texts)
    sets = dict(zip(ids, shingle_sets([normal_form(texts[i]) for i in ids], Settings().k)))
    gold = json.loads(Path(args.gold).read_text())
    if "groups" in gold:
        return neighbour_bound(texts, sets, gold["groups"])
    pairs = gold["pairs"]
    x = np.array([measures(texts[p["id1"]], texts[p["id2"]], sets[p["id1"]], sets[p["id2"]]) for p in pairs])
    y = np.array([int(p["label"]) for p in pairs])
    print(f"{len(y)} pairs, {y.mean():.3f} labelled 1 (always saying 1: accuracy {max(y.mean(), 1 - y.mean()):.3f})")
    for i, name in enumerate(MEASURES):
        print(f"best threshold of {name}, fitted on these pairs: accuracy {best_threshold(x[:, i], y):.3f}")
    print(f"logistic regression over all five, 5-fold cross-validated: accuracy {cross_validated(x, y):.3f}")
    if args.db:
        missed = short_of_the_bar(args.db, pairs, x[:, 0] >= Settings().jaccard)
        for (what, label), n in sorted(missed.items()):
            print(f"at or above Jaccard {Settings().jaccard}, labelled {label}: {n} {what}")


SURFACES = ["character 5-gram Jaccard (the loader's)", "character 4-gram Jaccard", "character 3-gram Jaccard",
            "word Jaccard", "Jaccard of words cut to 5 letters"]


def surfaces(a: str, b: str, sa: np.ndarray, sb: np.ndarray) -> list[float]:
    def jaccard(x: set, y: set) -> float:
        return len(x & y) / max(1, len(x | y))

    norms = normal_form(a), normal_form(b)
    grams = [jaccard(*({t[i:i + k] for i in range(len(t) - k + 1)} for t in norms)) for k in (4, 3)]
    words = [re.findall(r"\w+", t.lower()) for t in (a, b)]
    return [measures(a, b, sa, sb)[0], *grams, jaccard(*map(set, words)), jaccard(*({w[:5] for w in ws} for ws in words))]


def neighbour_bound(texts: dict[str, str], sets: dict[str, np.ndarray], groups: list[dict]) -> None:
    """Versions of one text against one document's neighbouring segments: the positives each measure
    finds at a given share of negatives linked."""
    positives = [(a, b) for g in groups for i, a in enumerate(g["english_versions"])
                 for b in g["english_versions"][i + 1:] if a in texts and b in texts]
    place = {}
    for i in texts:
        if m := re.fullmatch(r"(.*):s(\d+):([^:]+)", i):
            place.setdefault((m[1], int(m[2])), []).append(i)
    negatives = [(a, b) for (prefix, n), ids in place.items() for a in ids for b in place.get((prefix, n + 1), [])]
    print(f"{len(positives)} pairs of versions, {len(negatives)} pairs of neighbouring segments")
    pos = np.array([surfaces(texts[a], texts[b], sets[a], sets[b]) for a, b in positives])
    neg = np.array([surfaces(texts[a], texts[b], sets[a], sets[b]) for a, b in negatives])
    for i, name in enumerate(SURFACES):
        found = []
        for share in (0.01, 0.02, 0.05):
            bar = np.quantile(neg[:, i], 1 - share)
            found.append(f"{share:.0%} of neighbours linked: {(pos[:, i] > bar).mean():.3f} found (above {bar:.3f})")
        print(f"{name}: " + "; ".join(found))


def short_of_the_bar(db: str, pairs: list[dict], above: np.ndarray) -> Counter:
    """Of the pairs ``above`` the loader's bar, by label: those not linked, and those linked in no common cluster."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        article = dict(conn.execute("select external_id, id from articles"))
        linked = {tuple(sorted(r)) for r in conn.execute(
            "select a.article_id, b.article_id from links l join sentences a on a.id = l.sentence_a"
            " join sentences b on b.id = l.sentence_b")}
        clusters: dict[int, set[int]] = {}
        for aid, cid in conn.execute("select distinct article_id, cluster_id from cluster_members"):
            clusters.setdefault(aid, set()).add(cid)
    out: Counter = Counter()
    for p, is_above in zip(pairs, above):
        a, b = article[p["id1"]], article[p["id2"]]
        if not is_above:
            continue
        if tuple(sorted((a, b))) not in linked:
            out["not linked", int(p["label"])] += 1
        elif not clusters.get(a, set()) & clusters.get(b, set()):
            out["linked, no common cluster", int(p["label"])] += 1
    return out


if __name__ == "__main__":
    main()
