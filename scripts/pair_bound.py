#!/usr/bin/env python3
"""How far lexical overlap alone can go on a labelled sentence-pair corpus: the ceiling of any matcher
that, like ours, decides from the two texts' surface.

usage: python scripts/pair_bound.py ARTICLES.jsonl GOLD.json [--db CORPUS_DB | --mutual]

GOLD may instead hold {"groups": [{"english_versions": [id, ...]}]} (versions of one text, as
../shared/corpora/wmt22_refs/segments.gold.json does, with ids ``PREFIX:sNUMBER:VERSION``): then the
positives are the pairs of a group, the negatives the pairs of consecutive segments (``sN`` and
``sN+1`` of one PREFIX, every version: one document's neighbouring sentences, the issue's protocol),
and it prints, per surface measure, the share of positives found when 1, 2 and 5 % of the negatives are
(then of the negatives in two outlets alone: the issue's protocol), the positives the loader's sentence
floor leaves out whatever the rule, then the loader's two bars alone and its rule (the word rule only for two texts of two outlets, as
``candidates.lone_word_links`` applies it) with the share of negatives each links; with ``--db``, the versions at or above the loader's bar that it did not link or put in no common
cluster, by whether one of them is under the loader's sentence floor (``min_chars``).

GOLD holds {"pairs": [{"id1", "id2", "label"}]} (label 1: same meaning), as the MSRP train split in
../shared/corpora/msrp_train does; it is read from there, never copied. Prints, per measure, the
accuracy of its best threshold fitted on the corpus itself (an upper bound of any threshold rule on
it), then the 5-fold cross-validated accuracy of a logistic regression over all the measures: the
loader's character 5-gram Jaccard and containment (its normal form and shingles), word Jaccard,
whether the numbers differ, and the ratio of the two lengths. With ``--db`` (the corpus the loader
built from ARTICLES), what separates the loader from its own measure's threshold: by label, the pairs
at or above the loader's Jaccard bar that it did not link, and those linked but in no common cluster.

``--mutual`` measures a rule that no pair's surface decides alone, since it reads the whole corpus: two
texts of different outlets are also linked below the loader's Jaccard bar when each is the other's best
match in the other's outlet, at Jaccard >= FLOOR and RATIO times the second best on each side (mutual
nearest neighbours with a margin, as parallel-sentence mining does). It prints, per FLOOR and RATIO, what
the rule with the loader's bar finds: the pairs' accuracy, or the versions found and the pairs of different
texts linked per 100 articles, then the same on a control that keeps one version of every text, so that
nothing in it should link.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import sys
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasette_provenance.candidates import is_link  # noqa: E402
from datasette_provenance.segment import matchable_length, normal_form, word_stems  # noqa: E402
from datasette_provenance.signatures import Settings, shingle_sets, similarity  # noqa: E402

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
    ap.add_argument("--mutual", action="store_true", help="measure the mutual-best-match rule (see above)")
    args = ap.parse_args()
    records = list(map(json.loads, Path(args.articles).read_text().splitlines()))
    texts = {r["id"]: r["text"] for r in records}
    outlet = {r["id"]: r.get("outlet") for r in records}

    def apart(a: str, b: str) -> bool:
        """Of two outlets (or of none): the pairs the word rule links."""
        return outlet[a] is None or outlet[a] != outlet[b]
    ids = sorted(texts)
    sets = dict(zip(ids, shingle_sets([normal_form(texts[i]) for i in ids], Settings().k)))
    gold = json.loads(Path(args.gold).read_text())
    if args.mutual:
        return mutual_bound(records, sets, gold)
    if "groups" in gold:
        positives, jaccard = neighbour_bound(texts, sets, gold["groups"], apart)
        if args.db:
            short = Settings().min_chars
            pairs = [{"id1": a, "id2": b, "label": "a version under" if min(
                matchable_length(normal_form(texts[a])), matchable_length(normal_form(texts[b]))) < short else
                "both at least"} for a, b in positives]
            for (what, label), n in sorted(short_of_the_bar(args.db, pairs, jaccard >= Settings().jaccard).items()):
                print(f"versions at or above Jaccard {Settings().jaccard}, {label} {short} characters: {n} {what}")
        return
    pairs = gold["pairs"]
    x = np.array([measures(texts[p["id1"]], texts[p["id2"]], sets[p["id1"]], sets[p["id2"]]) for p in pairs])
    y = np.array([int(p["label"]) for p in pairs])
    print(f"{len(y)} pairs, {y.mean():.3f} labelled 1 (always saying 1: accuracy {max(y.mean(), 1 - y.mean()):.3f})")
    for i, name in enumerate(MEASURES):
        print(f"best threshold of {name}, fitted on these pairs: accuracy {best_threshold(x[:, i], y):.3f}")
    print(f"logistic regression over all five, 5-fold cross-validated: accuracy {cross_validated(x, y):.3f}")
    for settings in RULES:
        linked = [loader_rule(texts[p["id1"]], texts[p["id2"]], sets[p["id1"]], sets[p["id2"]], settings,
                              apart(p["id1"], p["id2"])) for p in pairs]
        print(f"{_words(settings)}: accuracy {np.mean(np.array(linked) == y):.3f}")
    if args.db:
        missed = short_of_the_bar(args.db, pairs, x[:, 0] >= Settings().jaccard)
        for (what, label), n in sorted(missed.items()):
            print(f"at or above Jaccard {Settings().jaccard}, labelled {int(label)}: {n} {what}")


SURFACES = ["character 5-gram Jaccard (the loader's)", "character 4-gram Jaccard", "character 3-gram Jaccard",
            "word Jaccard", "Jaccard of words cut to 5 letters"]


def surfaces(a: str, b: str, sa: np.ndarray, sb: np.ndarray) -> list[float]:
    def jaccard(x: set, y: set) -> float:
        return len(x & y) / max(1, len(x | y))

    norms = normal_form(a), normal_form(b)
    grams = [jaccard(*({t[i:i + k] for i in range(len(t) - k + 1)} for t in norms)) for k in (4, 3)]
    words = [re.findall(r"\w+", t.lower()) for t in (a, b)]
    return [measures(a, b, sa, sb)[0], *grams, jaccard(*map(set, words)), jaccard(*({w[:5] for w in ws} for ws in words))]


def neighbour_bound(texts: dict[str, str], sets: dict[str, np.ndarray], groups: list[dict],
                    apart: Callable[[str, str], bool]) -> tuple[list[tuple[str, str]], np.ndarray]:
    """Versions of one text against one document's neighbouring segments: the positives each measure
    finds at a given share of negatives linked. Returns the positives and their loader's Jaccard.
    ``apart``: whether two texts are of two outlets, the only pairs the word rule links."""
    positives = [(a, b) for g in groups for i, a in enumerate(g["english_versions"])
                 for b in g["english_versions"][i + 1:] if a in texts and b in texts]
    place = {}
    for i in texts:
        if m := re.fullmatch(r"(.*):s(\d+):([^:]+)", i):
            place.setdefault((m[1], int(m[2])), []).append(i)
    negatives = [(a, b) for (prefix, n), ids in place.items() for a in ids for b in place.get((prefix, n + 1), [])]
    two = np.array([apart(a, b) for a, b in negatives], dtype=bool)
    print(f"{len(positives)} pairs of versions, {len(negatives)} pairs of neighbouring segments"
          f" ({two.sum()} of them in two outlets)")
    pos = np.array([surfaces(texts[a], texts[b], sets[a], sets[b]) for a, b in positives])
    neg = np.array([surfaces(texts[a], texts[b], sets[a], sets[b]) for a, b in negatives])
    for of, rows in (("", neg), (" in two outlets", neg[two])):
        if not len(rows):
            continue
        for i, name in enumerate(SURFACES):
            found = []
            for share in (0.01, 0.02, 0.05):
                bar = np.quantile(rows[:, i], 1 - share)
                found.append(f"{share:.0%} of neighbours{of} linked: {(pos[:, i] > bar).mean():.3f} found"
                             f" (above {bar:.3f})")
            print(f"{name}: " + "; ".join(found))
    s = Settings()
    short = sum(min(matchable_length(normal_form(texts[a])), matchable_length(normal_form(texts[b]))) < s.min_chars
                for a, b in positives)
    print(f"{short} pairs of versions have one under the loader's {s.min_chars}-character floor: at most"
          f" {1 - short / max(1, len(positives)):.3f} can be linked")
    stems = {i: word_stems(normal_form(texts[i])) for pair in positives + negatives for i in pair}
    for name, bar, at in ((f"character 5-gram Jaccard >= {s.jaccard}", s.jaccard, lambda a, b, row: row[0]),
                          (f"word stems' Jaccard >= {s.lone_words}", s.lone_words,
                           lambda a, b, row: len(stems[a] & stems[b]) / max(1, len(stems[a] | stems[b])))):
        found, linked = (np.array([at(a, b, row) >= bar for (a, b), row in zip(pairs, rows)])
                         for pairs, rows in ((positives, pos), (negatives, neg)))
        print(f"{name} alone: {found.mean():.3f} found, {100 * linked.mean():.2f} % of neighbours linked"
              f" ({100 * _share(linked[two]):.2f} % of those in two outlets)")
    for settings in RULES:
        found, linked = (np.mean([loader_rule(texts[a], texts[b], sets[a], sets[b], settings, apart(a, b))
                                  for a, b in pairs]) for pairs in (positives, negatives))
        print(f"{_words(settings)}: {found:.3f} found, {100 * linked:.2f} % of neighbours linked")
    return positives, pos[:, 0]


RULES = [Settings(), Settings(lone_words=0)]


def loader_rule(a: str, b: str, sa: np.ndarray, sb: np.ndarray, settings: Settings, apart: bool = True) -> bool:
    """``candidates.is_link`` for two articles of one sentence each (before the sentence floor), with
    the word rule where they are of two outlets (``candidates.lone_word_links``)."""
    words = (word_stems(normal_form(a)), word_stems(normal_form(b))) if apart else None
    return is_link(*similarity(sa, sb), settings, words)


def _share(linked: np.ndarray) -> float:
    return float(linked.mean()) if len(linked) else 0.0


def _words(settings: Settings) -> str:
    return (f"the loader's rule for two articles of one sentence, with words at {settings.lone_words}"
            if settings.lone_words else "the loader's rule without the word rule (--lone-words 0)")


MUTUAL = [(1.0, 1.0)] + [(floor, ratio) for floor in (0.12, 0.15, 0.2) for ratio in (1.0, 1.5, 2.0)]


def mutual_bound(records: list[dict], sets: dict[str, np.ndarray], gold: dict) -> None:
    """The mutual-best rule (``--mutual``) on the whole corpus, then on the control with no positive."""
    matches = best_matches(records, sets)
    if "groups" not in gold:
        labels = {tuple(sorted((p["id1"], p["id2"]))): int(p["label"]) for p in gold["pairs"]}
        for floor, ratio in MUTUAL:
            linked = mutual_links(matches, floor, ratio)
            right = np.mean([(pair in linked) == bool(y) for pair, y in labels.items()])
            print(f"{_rule(floor, ratio)}: accuracy {right:.3f}")
        return
    groups = [g["english_versions"] for g in gold["groups"]]
    positives = {tuple(sorted((a, b))) for g in groups for i, a in enumerate(g) for b in g[i + 1:]}
    control = [r for r in records if r["id"] in {g[n % len(g)] for n, g in enumerate(groups)}]  # no two versions
    alone = best_matches(control, sets)
    for floor, ratio in MUTUAL:
        linked = mutual_links(matches, floor, ratio)
        print(f"{_rule(floor, ratio)}: {len(linked & positives) / len(positives):.3f} of versions found,"
              f" {100 * len(linked - positives) / len(records):.2f} pairs of different texts per 100 articles;"
              f" with one version of each text only, {100 * len(mutual_links(alone, floor, ratio)) / len(control):.2f}")


def _rule(floor: float, ratio: float) -> str:
    return f"mutual best at Jaccard >= {floor}, {ratio} x the second best" if floor < 1 else "the bar alone"


def best_matches(records: list[dict], sets: dict[str, np.ndarray], block: int = 2048) -> tuple:
    """Each text's best and second-best Jaccard in every other outlet, and where the best is; with the
    pairs of different outlets at the loader's bar. A missing outlet is the text's own."""
    from scipy import sparse  # datasketch's dependency

    ids = [r["id"] for r in records]
    outlets = [r.get("outlet") or f"\0{r['id']}" for r in records]
    order = sorted(range(len(ids)), key=lambda i: outlets[i])
    ids, outlets = [ids[i] for i in order], [outlets[i] for i in order]
    vocab: dict[int, int] = {}
    columns = [[vocab.setdefault(h, len(vocab)) for h in sets[i].tolist()] for i in ids]
    matrix = sparse.csr_matrix((np.ones(sum(map(len, columns)), np.float32), np.concatenate(columns or [[]]),
                                np.cumsum([0, *map(len, columns)])), shape=(len(ids), len(vocab)))
    size = np.diff(matrix.indptr).astype(np.float32)
    outlet = np.unique(outlets, return_inverse=True)[1]
    starts = np.flatnonzero(np.r_[True, outlet[1:] != outlet[:-1]])
    best = np.zeros((len(ids), len(starts)), np.float32)
    second, where = np.zeros_like(best), np.zeros(best.shape, np.int64)
    at_bar = set()
    for lo in range(0, len(ids), block):
        shared = (matrix[lo:lo + block] @ matrix.T).toarray()
        jac = shared / np.maximum(1, size[lo:lo + block, None] + size[None, :] - shared)
        jac[outlet[lo:lo + block, None] == outlet[None, :]] = -1
        at_bar.update(tuple(sorted((ids[lo + a], ids[b]))) for a, b in zip(*np.nonzero(jac >= Settings().jaccard)))
        best[lo:lo + block] = np.maximum.reduceat(jac, starts, axis=1)
        top = jac == np.repeat(best[lo:lo + block], np.diff(np.r_[starts, len(ids)]), axis=1)
        where[lo:lo + block] = [np.flatnonzero(row)[np.searchsorted(np.flatnonzero(row), starts)] for row in top]
        jac[np.arange(len(jac))[:, None], where[lo:lo + block]] = -1
        second[lo:lo + block] = np.maximum.reduceat(jac, starts, axis=1)
    return ids, outlet, best, second, where, at_bar


def mutual_links(matches: tuple, floor: float, ratio: float) -> set[tuple[str, str]]:
    """The pairs at the loader's bar, and those each the other's best match in its outlet at ``floor``
    and ``ratio`` times the second best."""
    ids, outlet, best, second, where, at_bar = matches
    pairs = set(at_bar)
    for a in range(len(ids)):
        for o in np.flatnonzero((best[a] >= floor) & (best[a] >= ratio * second[a])):
            b = where[a, o]
            if where[b, outlet[a]] == a and best[b, outlet[a]] >= ratio * second[b, outlet[a]]:
                pairs.add(tuple(sorted((ids[a], ids[b]))))
    return pairs


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
            out["not linked", p["label"]] += 1
        elif not clusters.get(a, set()) & clusters.get(b, set()):
            out["linked, no common cluster", p["label"]] += 1
    return out


if __name__ == "__main__":
    main()
