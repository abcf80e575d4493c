"""Planted-reuse benchmark: the synthetic generator is sane, and the loader finds the reuse.

scripts/synth_reuse.py writes a corpus in which outlets carry statements of a story as exact
copies, partial copies and translation-like rewrites (char-5gram Jaccard ~0.3-0.55), next to
same-topic sentences that are not copies (< 0.25). See the script's docstring.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "synth_reuse.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("synth_reuse", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("synth_reuse", module)
    spec.loader.exec_module(module)
    return module


synth = _load_script()


@pytest.fixture(scope="module")
def corpus():
    return synth.generate(n_stories=40, seed=1)


# ------------------------------------------------------------------ generator sanity


def test_deterministic_for_a_seed():
    one = json.dumps(synth.generate(n_stories=10, seed=1), sort_keys=True)
    assert json.dumps(synth.generate(n_stories=10, seed=1), sort_keys=True) == one
    assert json.dumps(synth.generate(n_stories=10, seed=2), sort_keys=True) != one


def test_records_shape(corpus):
    records, gold = corpus
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    for r in records:
        assert set(r) == {"id", "outlet", "url", "published", "title", "text"}
        assert r["title"] in r["text"]  # the title is repeated as a heading
        assert len(r["published"]) == 10 and r["published"][4] == "-"
        for paragraph in r["text"].split("\n\n"):
            assert paragraph.strip()
    # derived articles are published the same day as the original or later
    by_id = {r["id"]: r for r in records}
    for story in gold["stories"]:
        first = by_id[story["original"]]["published"]
        assert all(by_id[a]["published"] >= first for a in story["articles"])
    kinds = {p["kind"] for p in gold["pairs"]}
    assert kinds == {"exact", "partial", "rewrite"}


def test_undated():
    records, _ = synth.generate(n_stories=3, seed=4, dated=False)
    assert records and all(r["published"] is None for r in records)


def test_outlet_boilerplate_repeats_but_is_not_gold(corpus):
    records, gold = corpus
    by_outlet: dict[str, list[str]] = {}
    for r in records:
        by_outlet.setdefault(r["outlet"], []).append(r["text"])
    texts = {r["id"]: r["text"] for r in records}
    gold_spans = [texts[m[0]][m[1] : m[2]] for st in gold["statements"] for m in st["members"]]
    for outlet, arts in by_outlet.items():
        if len(arts) < 2:
            continue
        last_par = arts[0].split("\n\n")[-1]
        assert all(last_par in t for t in arts), outlet
        assert not any(last_par in g for g in gold_spans)


def test_gold_spans_point_into_text(corpus):
    records, gold = corpus
    texts = {r["id"]: r["text"] for r in records}
    for p in gold["pairs"]:
        for art, span in ((p["a"], p["a_span"]), (p["b"], p["b_span"])):
            s, e = span
            assert art in texts and 0 <= s < e <= len(texts[art])
            assert texts[art][s:e].strip() == texts[art][s:e]
        assert p["a"] != p["b"]
    for st in gold["statements"]:
        arts = [m[0] for m in st["members"]]
        assert len(arts) == len(set(arts)) >= 2
        for art, s, e in st["members"]:
            assert 0 <= s < e <= len(texts[art])
    for art, s, e in gold["negatives"]:
        assert 0 <= s < e <= len(texts[art])
    # pairs = every pair of members of a statement
    n_pairs = sum(len(st["members"]) * (len(st["members"]) - 1) // 2 for st in gold["statements"])
    assert n_pairs == len(gold["pairs"])


def test_jaccard_bands(corpus):
    records, gold = corpus
    texts = {r["id"]: r["text"] for r in records}
    measured: dict[str, list[float]] = {"exact": [], "partial": [], "rewrite": []}
    for p in gold["pairs"]:
        a = texts[p["a"]][slice(*p["a_span"])]
        b = texts[p["b"]][slice(*p["b_span"])]
        j = synth.jaccard(a, b)
        assert abs(j - p["jaccard"]) < 1e-3
        measured[p["kind"]].append(j)
    assert all(j == 1.0 for j in measured["exact"])
    rewrites = measured["rewrite"]
    assert len(rewrites) >= 40
    assert 0.28 <= statistics.median(rewrites) <= 0.6
    assert sum(0.28 <= j <= 0.6 for j in rewrites) / len(rewrites) >= 0.8
    # rewrites are hard: word overlap is low although the characters say "same statement"
    assert statistics.median(measured["partial"]) > statistics.median(rewrites)


def test_negatives_are_same_topic_but_not_copies(corpus):
    records, gold = corpus
    texts = {r["id"]: r["text"] for r in records}
    story_of = {a: s for s in gold["stories"] for a in s["articles"]}
    members: dict[str, list[str]] = {}
    for st in gold["statements"]:
        for art, s, e in st["members"]:
            members.setdefault(story_of[art]["id"], []).append(texts[art][s:e])
    assert len(gold["negatives"]) >= 40
    for art, s, e in gold["negatives"]:
        neg = texts[art][s:e]
        story = story_of[art]
        low = neg.lower()
        assert any(w.lower() in low for w in story["topic_words"]), neg
        for m in members.get(story["id"], []):
            assert synth.jaccard(neg, m) < 0.25, (neg, m)


def test_normalisation():
    assert synth.normalise("  “We SUPPORT” the U.S.-led  coalition!! ") == "we support the u s led coalition"
    assert synth.jaccard("abcdefg", "abcdefg") == 1.0


# ------------------------------------------------------------------ evaluator


def _build_db(path, records, clusters):
    """A database in the documented public schema, with ``clusters`` = lists of (id, start, end)."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.executescript(
        "create table articles(id integer primary key, external_id text, text text);"
        "create table paragraphs(id integer primary key, article_id integer, start integer, text text);"
        "create table cluster_members(cluster_id integer, paragraph_id integer, start integer, end integer);"
    )
    pars = {}
    for n, r in enumerate(records, 1):
        conn.execute("insert into articles values (?, ?, ?)", (n, r["id"], r["text"]))
        pos = 0
        for par in r["text"].split("\n\n"):
            pid = conn.execute("insert into paragraphs(article_id, start, text) values (?, ?, ?)",
                               (n, pos, par)).lastrowid
            pars.setdefault(r["id"], []).append((pid, pos, pos + len(par)))
            pos += len(par) + 2
    for cid, members in enumerate(clusters, 1):
        for art, s, e in members:
            pid, p0, _ = next(p for p in pars[art] if p[1] <= s and e <= p[2])
            conn.execute("insert into cluster_members values (?, ?, ?, ?)", (cid, pid, s - p0, e - p0))
    conn.commit()
    conn.close()


def test_evaluate_scores_a_hand_built_database(tmp_path):
    records, gold = synth.generate(n_stories=6, seed=3)
    perfect = [st["members"] for st in gold["statements"]]
    _build_db(tmp_path / "perfect.db", records, perfect)
    m = synth.evaluate(str(tmp_path / "perfect.db"), gold)
    assert m["precision"] == 1.0 and m["recall"] == 1.0 and m["negatives_linked"] == 0
    assert m["recall_rewrite"] == 1.0 and m["predicted_pairs"] == len(gold["pairs"])

    # drop one statement, link two negatives from different articles
    negs = gold["negatives"]
    other = next(n for n in negs if n[0] != negs[0][0])
    _build_db(tmp_path / "flawed.db", records, perfect[1:] + [[negs[0], other]])
    m = synth.evaluate(str(tmp_path / "flawed.db"), gold)
    dropped = len(perfect[0]) * (len(perfect[0]) - 1) // 2
    assert m["negatives_linked"] == 2
    assert m["correct_pairs"] == len(gold["pairs"]) - dropped
    assert m["precision"] == pytest.approx(m["correct_pairs"] / (m["correct_pairs"] + 1))
    assert m["recall"] == pytest.approx((len(gold["pairs"]) - dropped) / len(gold["pairs"]))

    # spans match when they overlap by half of the shorter one (so any contained span matches);
    # a span on the wrong sentence of the right article does not
    st = gold["statements"][0]["members"]
    (a, a0, a1), (b, b0, b1) = st[0], st[1]
    wrong = next(n for n in negs if n[0] == b)
    clusters = [[(a, a0, a0 + (a1 - a0) * 3 // 4), (b, b0 + 5, b1)], [(a, a0, a0 + 10), (b, b1 - 10, b1)],
                [(a, a0, a1), tuple(wrong)]]
    _build_db(tmp_path / "spans.db", records, clusters)
    m = synth.evaluate(str(tmp_path / "spans.db"), gold)
    assert m["predicted_pairs"] == len(clusters) and m["correct_pairs"] == 2


# ------------------------------------------------------------------ end to end


def test_loader_finds_planted_reuse(tmp_path):
    load = pytest.importorskip(
        "datasette_provenance.load", reason="datasette_provenance.load (the loader) is not importable yet"
    )
    records, gold = synth.generate(n_stories=40, seed=7)
    src = tmp_path / "synthetic.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "synthetic.db"
    started = time.monotonic()
    load.load_paths(str(db), [str(src)])
    elapsed = time.monotonic() - started
    m = synth.evaluate(str(db), gold)
    report = json.dumps(m, indent=1)
    assert m["precision"] >= 0.90, report
    assert m["recall"] >= 0.85, report
    assert m["recall_rewrite"] >= 0.75, report
    assert elapsed < 20, f"loading {len(records)} articles took {elapsed:.1f}s"
