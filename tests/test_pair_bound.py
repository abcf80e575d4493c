"""scripts/pair_bound.py on constructed sentence pairs: a corpus lexical overlap separates gets 1.0, one
whose labels overlap cannot explain stays near always saying the majority label."""

from __future__ import annotations

import json
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("harbour council budget storm vote rail strike court ruling minister tariff grain export police inquiry"
         " election turnout hospital vaccine drought river flood bridge museum tender").split()


def corpus(tmp_path: Path, labels: list[int], *, separable: bool) -> tuple[Path, Path]:
    articles, pairs = [], []
    for i, label in enumerate(labels):
        words = [WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(12)]
        first = f"The {' '.join(words)} was discussed on day {i}."
        same = label if separable else (i % 2)
        other = f"The {' '.join(reversed(words[3:9]))} closed early."
        second = first.replace("discussed", "debated") if same else other
        articles += [{"id": f"a{i}", "text": first}, {"id": f"b{i}", "text": second}]
        pairs.append({"id1": f"a{i}", "id2": f"b{i}", "label": label})
    (tmp_path / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    (tmp_path / "gold.json").write_text(json.dumps({"pairs": pairs}))
    return tmp_path / "articles.jsonl", tmp_path / "gold.json"


def bound(articles: Path, gold: Path, *options: str) -> dict[str, float]:
    out = run(articles, gold, *options)
    line = r"^(.*?)(?:, fitted on these pairs)?: accuracy (\d\.\d+)$"
    return {m[1]: float(m[2]) for m in re.finditer(line, out, re.M)}


def run(articles: Path, gold: Path, *options: str) -> str:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "pair_bound.py"), str(articles), str(gold), *options],
                          check=True, capture_output=True, text=True).stdout


def test_overlap_that_decides_the_label_is_found(tmp_path):
    got = bound(*corpus(tmp_path, [i % 3 != 0 for i in range(60)], separable=True))
    assert got["best threshold of character 5-gram Jaccard"] == 1.0
    assert got["logistic regression over all five, 5-fold cross-validated"] >= 0.95


def test_labels_overlap_cannot_explain_stay_near_the_majority(tmp_path):
    labels = [int(i % 4 != 0) for i in range(80)]  # 0.75 labelled 1, independently of the text's overlap
    got = bound(*corpus(tmp_path, labels, separable=False))
    assert got["logistic regression over all five, 5-fold cross-validated"] <= 0.8
    assert got["best threshold of character 5-gram Jaccard"] < 0.85


def test_pairs_the_loader_leaves_below_its_own_bar(tmp_path):
    """With --db: of the pairs at or above the loader's Jaccard bar, those it did not link or cluster.
    Near copies are all linked and clustered; the negatives share too little to reach the bar."""
    from datasette_provenance.load import load_paths
    articles, gold = corpus(tmp_path, [i % 3 != 0 for i in range(30)], separable=True)
    load_paths(str(tmp_path / "corpus.db"), [articles], jobs=1)
    out = run(articles, gold, "--db", str(tmp_path / "corpus.db"))
    assert "accuracy" in out and "labelled 1: " not in out and "labelled 0: " not in out
    with sqlite3.connect(tmp_path / "corpus.db") as conn:
        conn.execute("delete from cluster_members")
    out = run(articles, gold, "--db", str(tmp_path / "corpus.db"))
    assert re.search(r"labelled 1: 20 linked, no common cluster$", out, re.M)


def test_versions_against_neighbouring_segments(tmp_path):
    """A groups gold (versions of one text): versions that share their wording are all found at 1 % of
    neighbouring segments linked; versions with no word in common are not."""
    articles, groups = [], []
    for n in range(40):
        words = [WORDS[(n * 5 + j) % len(WORDS)] for j in range(8)]
        text = f"The {' '.join(words)} report number {n} was read."
        other = "Nothing alike here." if n % 2 else text.replace("was read", "has been read")
        ids = [f"wmt:xx-en:s{n:04d}:A", f"wmt:xx-en:s{n:04d}:B"]
        articles += [{"id": ids[0], "text": text}, {"id": ids[1], "text": other}]
        groups.append({"english_versions": ids})
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    (tmp_path / "g.json").write_text(json.dumps({"groups": groups}))
    out = run(tmp_path / "a.jsonl", tmp_path / "g.json")
    assert "40 pairs of versions, 156 pairs of neighbouring segments" in out  # 39 steps, A and B with A and B
    found = re.findall(r"^(.*?): 1% of neighbours linked: (\d\.\d+) found", out, re.M)
    assert len(found) == 5 and all(float(share) == 0.5 for _, share in found), out
    # no outlets given: every pair of neighbours counts as of two outlets, the protocol
    assert len(re.findall(r"^.*?: 1% of neighbours in two outlets linked: 0\.500 found", out, re.M)) == 5, out
    # "Nothing alike here." is under the loader's sentence floor: no rule can link those 20
    assert "20 pairs of versions have one under the loader's 40-character floor: at most 0.500 can be linked" in out
    bars = dict(re.findall(r"^(.*?) alone: (\d\.\d+) found", out, re.M))
    assert bars == {"character 5-gram Jaccard >= 0.28": "0.500", "word stems' Jaccard >= 0.4": "0.500"}, out


def test_mutual_best_matches_below_the_bar(tmp_path):
    """--mutual: versions that share too little for the bar, but are each the other's best match in the
    other desk by far, are found by the mutual rule above its floor, and nothing else is linked."""
    rng = random.Random(3)
    articles, groups = [], []
    for n in range(24):
        w = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4)) for _ in range(6)]
        ids = [f"wmt:xx-en:s{n:04d}:A", f"wmt:xx-en:s{n:04d}:B"]
        articles += [{"id": ids[0], "outlet": "Desk A",
                      "text": f"On day {n} the {w[0]} {w[1]} met the {w[2]} and the {w[3]} about {w[4]} {w[5]}."},
                     {"id": ids[1], "outlet": "Desk B",  # Jaccard 0.19 with its version, 0.04 with the others
                      "text": f"Talks of the {w[0]} were held with {w[2]}s and others over {w[5]} on day {n}."}]
        groups.append({"english_versions": ids})
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    (tmp_path / "g.json").write_text(json.dumps({"groups": groups}))
    out = run(tmp_path / "a.jsonl", tmp_path / "g.json", "--mutual")
    rows = {m[1]: tuple(map(float, m.groups()[1:])) for m in re.finditer(
        r"^(.*?): (\d\.\d+) of versions found, (\d+\.\d+) pairs .*?; with one version of each text only, (\d+\.\d+)$",
        out, re.M)}
    assert len(rows) == 10, out
    assert rows["the bar alone"] == (0.0, 0.0, 0.0)
    assert rows["mutual best at Jaccard >= 0.15, 1.5 x the second best"] == (1.0, 0.0, 0.0)
    assert rows["mutual best at Jaccard >= 0.2, 1.0 x the second best"] == (0.0, 0.0, 0.0)  # under its floor


def test_versions_the_loader_leaves_above_its_bar(tmp_path):
    """A groups gold with --db: the versions at or above the bar the loader did not link, split by the
    sentence floor. Copies of a long sentence are all linked; copies under 40 characters are not."""
    from datasette_provenance.load import load_paths
    articles, groups = [], []
    for n in range(12):
        words = [WORDS[(n * 5 + j) % len(WORDS)] for j in range(8)]
        text = f"The {' '.join(words)} report number {n} was read." if n % 3 else f"Report {n} was read."
        ids = [f"wmt:xx-en:s{n:04d}:A", f"wmt:xx-en:s{n:04d}:B"]
        articles += [{"id": ids[0], "outlet": "Desk A", "text": text}, {"id": ids[1], "outlet": "Desk B", "text": text}]
        groups.append({"english_versions": ids})
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    (tmp_path / "g.json").write_text(json.dumps({"groups": groups}))
    load_paths(str(tmp_path / "corpus.db"), [tmp_path / "a.jsonl"], jobs=1)
    out = run(tmp_path / "a.jsonl", tmp_path / "g.json", "--db", str(tmp_path / "corpus.db"))
    assert re.search(r"^versions at or above Jaccard 0.28, a version under 40 characters: 4 not linked$", out, re.M)
    assert "both at least" not in out


def test_the_loaders_rule_with_and_without_the_word_rule(tmp_path):
    """Renderings below the character bar in the same words (``one_sentence_renderings``) are linked by
    the loader's rule for two articles of one sentence only with the word rule, and only across
    outlets; unrelated pairs by neither."""
    from conftest import one_sentence_renderings

    rendered = one_sentence_renderings(10, seed=3)
    articles = rendered + [{"id": f"u{i}", "text": f"The {WORDS[i]} and the {WORDS[i + 10]} met on day {i}."}
                           for i in range(10)]
    pairs = [{"id1": f"ra{n}", "id2": f"rb{n}", "label": 1} for n in range(10)]
    pairs += [{"id1": f"u{i}", "id2": f"ra{i}", "label": 0} for i in range(10)]
    (tmp_path / "a.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    (tmp_path / "g.json").write_text(json.dumps({"pairs": pairs}))
    got = bound(tmp_path / "a.jsonl", tmp_path / "g.json")
    assert got["the loader's rule for two articles of one sentence, with words at 0.4"] == 1.0
    assert got["the loader's rule without the word rule (--lone-words 0)"] == 0.5
    # one outlet's renderings of its own items: the word rule links only across outlets
    (tmp_path / "a.jsonl").write_text("".join(json.dumps({**a, "outlet": "Desk A"}) + "\n" for a in articles))
    got = bound(tmp_path / "a.jsonl", tmp_path / "g.json")
    assert got["the loader's rule for two articles of one sentence, with words at 0.4"] == 0.5
