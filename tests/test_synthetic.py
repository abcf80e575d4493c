"""Planted-reuse benchmark: the synthetic generator is sane, and the loader finds the reuse.

scripts/synth_reuse.py writes a corpus in which outlets carry statements of a story as exact
copies, partial copies (clauses cut or added, sentences merged or split) and translation-like
rewrites, next to same-topic sentences that are not copies. Its default difficulty, ``natural``,
draws every edit from a distribution of the phenomenon and keeps it whatever similarity it reaches:
nothing is planted relative to the detector's thresholds, so the loader's figures on it are
measurements. ``banded`` (rewrites resampled to Jaccard >= 0.28, negatives below 0.25) is kept only
as a check of the method's design: a 0.28 threshold scores almost perfectly on it by construction.

Re-measure (after a change to detection), then move the floors below to just under the figures:

    python scripts/synth_reuse.py measure --seeds 1,3,7            # README rows, natural
    python scripts/synth_reuse.py measure --seeds 7 --difficulty banded

Every floor can fail: the loader tests read loader settings from DP_FLOOR_SETTINGS and list every
floor that fails, e.g. ``DP_FLOOR_SETTINGS=bands=10 pytest tests/test_synthetic.py -k loader`` (fewer
LSH bands: the recall floors fail) or ``DP_FLOOR_SETTINGS=jaccard=0.2`` (a looser rule: the precision
floors and the negative ceilings fail).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import sys
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


def floor_settings() -> dict:
    """Loader settings from DP_FLOOR_SETTINGS ("bands=10,rows=3"): a deliberately weakened detector."""
    raw = os.environ.get("DP_FLOOR_SETTINGS", "")
    return dict(synth.parse_setting(part) for part in raw.split(",") if part.strip())


def failed_floors(m: dict, floors: list[tuple[str, str, float]]) -> list[str]:
    """The floors (name, ">=" or "<=", bound) that ``m`` (name -> measured value) does not meet."""
    out = []
    for name, op, bound in floors:
        value = m[name]
        if not (value >= bound if op == ">=" else value <= bound):
            out.append(f"{name} = {value:.3f}, want {op} {bound}")
    return out


@pytest.fixture(scope="module")
def corpus():
    return synth.generate(n_stories=40, seed=1)


@pytest.fixture(scope="module")
def natural_corpus():
    return synth.generate(n_stories=40, seed=7)


@pytest.fixture(scope="module")
def banded_corpus():
    return synth.generate(n_stories=40, seed=1, difficulty="banded")


def _texts(records):
    return {r["id"]: r["text"] for r in records}


def _span(texts, art, span):
    return texts[art][span[0]:span[1]]


# ------------------------------------------------------------------ generator sanity


def test_deterministic_for_a_seed():
    one = json.dumps(synth.generate(n_stories=10, seed=1), sort_keys=True)
    assert json.dumps(synth.generate(n_stories=10, seed=1), sort_keys=True) == one
    assert json.dumps(synth.generate(n_stories=10, seed=2), sort_keys=True) != one
    banded = json.dumps(synth.generate(n_stories=10, seed=1, difficulty="banded"), sort_keys=True)
    assert banded != one
    assert json.dumps(synth.generate(n_stories=10, seed=1, difficulty="banded"), sort_keys=True) == banded


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
    assert gold["difficulty"] == "natural"
    assert {p["kind"] for p in gold["pairs"]} == {"exact", "partial", "rewrite"}
    ops = {op for p in gold["pairs"] for op in p["ops"]}
    assert {"rewrite", "merge", "split", "cut_tail", "cut_head", "add_tail", "add_head"} <= ops, ops
    for p in gold["pairs"]:  # the kind follows the edits (two copies edited alike can come out exact)
        if p["kind"] == "rewrite":
            assert "rewrite" in p["ops"]
        elif p["kind"] == "partial":
            assert p["ops"] and "rewrite" not in p["ops"]


def test_undated():
    records, _ = synth.generate(n_stories=3, seed=4, dated=False)
    assert records and all(r["published"] is None for r in records)


def test_outlet_boilerplate_repeats_but_is_not_gold(corpus):
    records, gold = corpus
    by_outlet: dict[str, list[str]] = {}
    for r in records:
        by_outlet.setdefault(r["outlet"], []).append(r["text"])
    texts = _texts(records)
    gold_spans = [texts[m[0]][m[1] : m[2]] for st in gold["statements"] for m in st["members"]]
    for outlet, arts in by_outlet.items():
        if len(arts) < 2:
            continue
        last_par = arts[0].split("\n\n")[-1]
        assert all(last_par in t for t in arts), outlet
        assert not any(last_par in g for g in gold_spans)


@pytest.mark.parametrize("which", ["corpus", "banded_corpus"])
def test_gold_spans_point_into_text(which, request):
    records, gold = request.getfixturevalue(which)
    texts = _texts(records)
    for p in gold["pairs"]:
        for art, span in ((p["a"], p["a_span"]), (p["b"], p["b_span"])):
            s, e = span
            assert art in texts and 0 <= s < e <= len(texts[art])
            assert texts[art][s:e].strip() == texts[art][s:e]
        assert p["a"] != p["b"]
    for st in gold["statements"]:
        assert len({m[0] for m in st["members"]}) >= 2
        for art, s, e in st["members"]:
            assert 0 <= s < e <= len(texts[art])
    for art, s, e in gold["negatives"]:
        assert 0 <= s < e <= len(texts[art])
    # pairs = every pair of members of a statement in different articles (a split sentence gives a
    # statement two members in one article; a merged one is a member of two statements)
    n_pairs = sum(1 for st in gold["statements"] for i, a in enumerate(st["members"])
                  for b in st["members"][i + 1:] if a[0] != b[0])
    assert n_pairs == len(gold["pairs"])
    if which == "corpus":
        members = [tuple(m) for st in gold["statements"] for m in st["members"]]
        assert len(members) > len(set(members))  # merged sentences
        assert any(len({m[0] for m in st["members"]}) < len(st["members"]) for st in gold["statements"])  # split


def test_pair_jaccard_is_measured(corpus, banded_corpus):
    for records, gold in (corpus, banded_corpus):
        texts = _texts(records)
        for p in gold["pairs"]:
            a, b = _span(texts, p["a"], p["a_span"]), _span(texts, p["b"], p["b_span"])
            assert abs(synth.jaccard(a, b) - p["jaccard"]) < 1e-3
            if p["kind"] == "exact":
                assert a == b


def test_banded_is_banded(banded_corpus):
    """The design check: rewrites inside 0.28-0.75 and every negative below 0.25 (by construction)."""
    records, gold = banded_corpus
    rewrites = [p["jaccard"] for p in gold["pairs"] if p["kind"] == "rewrite"]
    assert len(rewrites) >= 40
    assert min(rewrites) >= synth.REWRITE_MIN_J and max(rewrites) <= synth.REWRITE_PAIR_MAX_J
    assert statistics.median([p["jaccard"] for p in gold["pairs"] if p["kind"] == "partial"]) > statistics.median(rewrites)
    measured = gold["negatives_measured"]
    assert len(measured) == len(gold["negatives"]) >= 40
    assert not any(m["hard"] for m in measured) and max(m["jaccard"] for m in measured) < synth.NEG_MAX_J


def test_natural_generation_never_measures_similarity(monkeypatch):
    """The natural planner draws edits and keeps them: it never computes a Jaccard or a containment
    nor asks the similarity registry (only the gold, written afterwards, measures)."""
    import random
    from collections import Counter

    def refuse(*_a, **_k):
        raise AssertionError("the natural generator measured a similarity")

    rng = random.Random(3)
    seen, said = set(), set()
    stories = [synth._make_story(i, rng, set(), set(), Counter()) for i in range(6)]
    for name in ("jaccard", "containment"):
        monkeypatch.setattr(synth, name, refuse)
    monkeypatch.setattr(synth._Registry, "worst", refuse)
    for story in stories:
        story.template_cap = 1
        statements, bodies, titles, _ = synth._plan_natural(story, 5, rng, seen, said)
        assert len(titles) == 5 and all(bodies) and any(len(st) > 1 for st in statements)


def test_natural_similarities_run_through_the_thresholds(natural_corpus):
    """No gap and no cliff at the detector's thresholds (Jaccard 0.28, containment 0.7): rewrites
    fall on both sides of 0.28 in about equal numbers near it, negatives reach above 0.25 and 0.28,
    and copies fall on both sides of containment 0.7. Measured (seed 7, 40 stories) in the comments."""
    records, gold = natural_corpus
    texts = _texts(records)
    rewrites = [p["jaccard"] for p in gold["pairs"] if p["kind"] == "rewrite"]
    near_below = sum(0.22 <= j < 0.28 for j in rewrites)  # measured 41
    near_above = sum(0.28 <= j < 0.34 for j in rewrites)  # measured 33
    assert len(rewrites) >= 150  # measured 256
    assert near_below >= 15 and near_above >= 15 and 1 / 3 <= near_below / near_above <= 3
    assert sum(j < 0.2 for j in rewrites) >= 8  # measured 21
    assert sum(j >= 0.6 for j in rewrites) >= 8  # measured 26
    assert 0.3 <= statistics.median(rewrites) <= 0.45  # measured 0.372 (WMT22 twin translations: 0.34)

    copies = [synth.containment(_span(texts, p["a"], p["a_span"]), _span(texts, p["b"], p["b_span"]))
              for p in gold["pairs"] if p["kind"] != "exact"]
    assert sum(0.64 <= c < 0.7 for c in copies) >= 10 and sum(0.7 <= c < 0.76 for c in copies) >= 10  # 36, 33

    # merged and split sentences
    assert sum("merge" in p["ops"] for p in gold["pairs"]) >= 15  # measured 33
    assert sum("split" in p["ops"] for p in gold["pairs"]) >= 10  # measured 44

    # negatives: same topic; their measured closeness to the story's statements is recorded, and
    # reaches past 0.25 and 0.28 Jaccard and 0.7 containment
    story_of = {a: s for s in gold["stories"] for a in s["articles"]}
    members: dict[str, list[str]] = {}
    for st in gold["statements"]:
        for art, s, e in st["members"]:
            members.setdefault(story_of[art]["id"], []).append(texts[art][s:e])
    measured = gold["negatives_measured"]
    assert len(measured) == len(gold["negatives"]) >= 300  # measured 415
    for (art, s, e), m in zip(gold["negatives"], measured):
        neg = texts[art][s:e]
        assert any(w.lower() in neg.lower() for w in story_of[art]["topic_words"]), neg
        sims = [(synth.jaccard(neg, o), synth.containment(neg, o)) for o in members.get(story_of[art]["id"], [])]
        assert abs(max((x for x, _ in sims), default=0.0) - m["jaccard"]) < 1e-3
        assert abs(max((y for _, y in sims), default=0.0) - m["containment"]) < 1e-3
        assert m["hard"] == (m["jaccard"] >= synth.HARD_NEG_MIN_J)
    nj = [m["jaccard"] for m in measured]
    assert sum(0.19 <= j < 0.25 for j in nj) >= 20 and sum(0.25 <= j < 0.31 for j in nj) >= 20  # 65, 40
    assert sum(j >= 0.28 for j in nj) >= 25 and max(nj) >= 0.4  # measured 52, 0.77
    assert sum(m["containment"] >= 0.6 for m in measured) >= 8  # measured 21 (7 at 0.7 or more)
    same = sum(m["same_speaker"] for m in measured)
    assert 0.2 <= same / len(measured) <= 0.4  # measured 118 of 415


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


@pytest.mark.parametrize("difficulty", ["natural", "banded"])
def test_evaluate_scores_a_hand_built_database(tmp_path, difficulty):
    records, gold = synth.generate(n_stories=6, seed=3, difficulty=difficulty)
    perfect = [st["members"] for st in gold["statements"]]
    _build_db(tmp_path / "perfect.db", records, perfect)
    m = synth.evaluate(str(tmp_path / "perfect.db"), gold)
    assert m["precision"] == 1.0 and m["recall"] == 1.0 and m["negatives_linked"] == 0
    assert m["recall_rewrite"] == 1.0 and m["predicted_pairs"] == len(gold["pairs"])
    assert all(o["recall"] == 1.0 for o in m["recall_ops"].values())

    # drop one statement, link two negatives from different articles
    negs = gold["negatives"]
    other = next(n for n in negs if n[0] != negs[0][0])
    _build_db(tmp_path / "flawed.db", records, perfect[1:] + [[negs[0], other]])
    m = synth.evaluate(str(tmp_path / "flawed.db"), gold)
    dropped = sum(p["statement"] == gold["statements"][0]["id"] for p in gold["pairs"])
    assert m["negatives_linked"] == 2
    assert m["correct_pairs"] == len(gold["pairs"]) - dropped
    assert m["precision"] == pytest.approx(m["correct_pairs"] / (m["correct_pairs"] + 1))
    assert m["recall"] == pytest.approx((len(gold["pairs"]) - dropped) / len(gold["pairs"]))

    # spans match when they overlap by half of the shorter one (so any contained span matches);
    # a span on the wrong sentence of the right article does not
    p = gold["pairs"][0]
    (a, (a0, a1)), (b, (b0, b1)) = (p["a"], p["a_span"]), (p["b"], p["b_span"])
    taken = {(art, s, e) for st in gold["statements"] for art, s, e in st["members"]}
    wrong = next(n for n in negs if n[0] == b and tuple(n) not in taken)
    clusters = [[(a, a0, a0 + (a1 - a0) * 3 // 4), (b, b0 + 5, b1)], [(a, a0, a0 + 10), (b, b1 - 10, b1)],
                [(a, a0, a1), tuple(wrong)]]
    _build_db(tmp_path / "spans.db", records, clusters)
    m = synth.evaluate(str(tmp_path / "spans.db"), gold)
    assert m["predicted_pairs"] == len(clusters) and m["correct_pairs"] == 2


def test_evaluate_reports_bins_ops_and_negatives(tmp_path):
    records, gold = synth.generate(n_stories=8, seed=3)
    perfect = [st["members"] for st in gold["statements"]]
    _build_db(tmp_path / "perfect.db", records, perfect)
    m = synth.evaluate(str(tmp_path / "perfect.db"), gold)
    assert m["precision"] == 1.0 and m["recall"] == 1.0
    assert [label for _, _, label in synth.JACCARD_BINS] == list(m["recall_bins"])
    assert sum(b["gold"] for b in m["recall_bins"].values()) == len(gold["pairs"])
    assert all(b["recall"] == 1.0 for b in m["recall_bins"].values() if b["gold"])
    assert sum(b["negatives"] for b in m["negative_bins"].values()) == len(gold["negatives"])
    hard = [n for n, meas in zip(gold["negatives"], gold["negatives_measured"]) if meas["hard"]]
    assert hard and m["hard_negatives"] == len(hard) and m["hard_negatives_linked"] == 0

    # link one hard negative to a member of another article; drop the first statement
    texts = _texts(records)
    neg = hard[0]
    other = max((mem for st in gold["statements"] for mem in st["members"] if mem[0] != neg[0]),
                key=lambda mem: synth.jaccard(texts[neg[0]][neg[1]:neg[2]], texts[mem[0]][mem[1]:mem[2]]))
    _build_db(tmp_path / "flawed.db", records, perfect[1:] + [[neg, other]])
    m = synth.evaluate(str(tmp_path / "flawed.db"), gold)
    assert m["hard_negatives_linked"] == 1
    assert m["hard_negatives_linked_share"] == pytest.approx(1 / len(hard))
    assert sum(b["linked"] for b in m["negative_bins"].values()) == 1
    dropped = [p for p in gold["pairs"] if p["statement"] == gold["statements"][0]["id"]]
    label = synth.jaccard_bin(dropped[0]["jaccard"])
    assert m["recall_bins"][label]["matched"] < m["recall_bins"][label]["gold"]
    assert m["precision"] < 1.0
    for op in dropped[0]["ops"]:
        assert m["recall_ops"][op]["matched"] < m["recall_ops"][op]["gold"]


def test_cli(tmp_path, capsys):
    out = tmp_path / "nat.jsonl"
    assert synth.main(["generate", str(out), "--stories", "5", "--seed", "2"]) == 0
    gold_path = tmp_path / "nat.gold.json"
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    assert gold["difficulty"] == "natural"  # the default
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    _build_db(tmp_path / "nat.db", records, [st["members"] for st in gold["statements"]])
    capsys.readouterr()
    assert synth.main(["evaluate", str(tmp_path / "nat.db"), str(gold_path)]) == 0
    printed = capsys.readouterr().out
    assert "recall by Jaccard" in printed and "hard negatives linked" in printed and "recall by edit" in printed
    for _, _, label in synth.JACCARD_BINS:
        assert label in printed
    assert synth.main(["generate", str(out), "--stories", "3", "--difficulty", "banded"]) == 0
    assert json.loads(gold_path.read_text(encoding="utf-8"))["difficulty"] == "banded"
    with pytest.raises(ValueError):
        synth.generate(n_stories=2, seed=1, difficulty="easy")


# ------------------------------------------------------------------ end to end (floors)


def test_loader_on_natural_difficulty(tmp_path):
    """The loader where nothing is planted relative to its thresholds. Floors sit just below what was
    measured (seed 7, 40 stories, 136 articles; `python scripts/synth_reuse.py measure --seeds 7`):

        precision 0.689 (404/586)   recall 0.873 (404/463)   recall rewrite 0.777
        recall by gold-pair Jaccard:  below 0.28 19/74   0.28-0.4 90/94   0.4-0.6 104/104   >=0.6 191/191
                                      (0.28-0.6: 194/198 = 0.980)
        recall of merged sentences 23/33 = 0.697, of split ones 25/44 = 0.568
        negatives linked 84/415; hard ones (J >= 0.25) 50/74 = 0.676

    Before a lone sentence could join the cluster of its centre (clusters._attached): precision 0.700
    (397/567), recall 0.857: copies split from the line they came from, or counted nowhere. Before it
    could also in an article that took three sentences (anchors) of the centre's but is under half
    copied (``JOIN_ANCHORS_PARTLY``): precision 0.697 (400/574), recall 0.864; of the 8 pairs it adds,
    5 join a loose copy to a cluster that holds a wording of another statement, or of another story.
    Before a piece of the centre's sentence could join where its article has another piece of it
    (``OTHER_HALF``: a caspian story merged two sentences that baltic carries apart): precision 0.692
    (403/582), recall 0.870; the one pair it finds brings three with the cluster's other wordings.

    Before article pairs were aligned (align.py) the same corpus gave precision 0.682, recall 0.825
    and 72 negatives linked: alignment takes a loose neighbour of a copied sentence (Jaccard >= 0.1,
    each the other's closest) as a rendering of it, which finds rewrites below 0.28 (17/74, was 8)
    and also the same-speaker lines the generator puts beside copies. A pair is 0.002 of precision
    or recall here, 0.004 of rewrite recall, 0.03 of merged recall. The negative figures are
    ceilings: fewer linked is better.
    """
    m = synth.measure([7], settings=floor_settings(), workdir=tmp_path)[7]
    bins, ops = m["recall_bins"], m["recall_ops"]
    m["recall_0.28-0.6"] = ((bins["0.28-0.4"]["matched"] + bins["0.4-0.6"]["matched"])
                            / (bins["0.28-0.4"]["gold"] + bins["0.4-0.6"]["gold"]))
    m["recall_>=0.6"] = bins[">=0.6"]["recall"]
    m["recall_merge"], m["recall_split"] = ops["merge"]["recall"], ops["split"]["recall"]
    floors = [
        ("precision", ">=", 0.685),  # measured 0.689 (404/586)
        ("recall", ">=", 0.86),  # measured 0.873 (404/463)
        ("recall_rewrite", ">=", 0.765),  # measured 0.777
        ("recall_0.28-0.6", ">=", 0.96),  # measured 0.980 (194/198)
        ("recall_>=0.6", ">=", 1.0),  # measured 191/191: exact and near-exact copies are always found
        ("recall_merge", ">=", 0.6),  # measured 0.697 (23/33)
        ("recall_split", ">=", 0.5),  # measured 0.568 (25/44)
        ("negatives_linked", "<=", 88),  # a ceiling: measured 84 of 415
        ("hard_negatives_linked_share", "<=", 0.69),  # a ceiling: measured 50/74 = 0.676
    ]
    assert m["gold_pairs"] >= 400 and m["hard_negatives"] >= 40, m
    assert not failed_floors(m, floors), (failed_floors(m, floors), json.dumps(m, indent=1))


def test_loader_on_banded_design_check(tmp_path):
    """Banded difficulty (a design check: rewrites planted at Jaccard >= 0.28, negatives below 0.25),
    seed 7, 40 stories (144 articles). Measured (`python scripts/synth_reuse.py measure --seeds 7
    --difficulty banded`):

        precision 0.937 (389/415)   recall 1.000 (389/389)   recall rewrite 1.000
        recall by gold-pair Jaccard:  0.28-0.4 50/50   0.4-0.6 139/139   >=0.6 200/200
        negatives linked 26/427 (banded negatives are all below 0.25: none is "hard")

    Before article pairs were aligned: precision 1.000, recall 0.982, no negative linked. The 26
    are own lines beside copied sentences that alignment takes as loose renderings (Jaccard 0.1 to
    0.25, each the other's closest): the threshold this check was built around no longer applies
    next to a copy. It shows the method does what it was built for, nothing about news. A pair is
    0.003 of precision or recall, 0.005 of rewrite recall.
    """
    m = synth.measure([7], difficulty="banded", settings=floor_settings(), workdir=tmp_path)[7]
    m["recall_0.28-0.4"] = m["recall_bins"]["0.28-0.4"]["recall"]
    m["recall_>=0.6"] = m["recall_bins"][">=0.6"]["recall"]
    floors = [
        ("precision", ">=", 0.93),  # measured 0.937
        ("recall", ">=", 0.99),  # measured 1.000 (0.987 before JOIN_ANCHORS_PARTLY)
        ("recall_rewrite", ">=", 0.98),  # measured 1.000
        ("recall_0.28-0.4", ">=", 0.94),  # measured 1.000 (50/50)
        ("recall_>=0.6", ">=", 1.0),  # measured 200/200
        ("negatives_linked", "<=", 28),  # a ceiling: measured 26 of 427
    ]
    assert m["negatives"] >= 400 and m["hard_negatives"] == 0, m
    assert not failed_floors(m, floors), (failed_floors(m, floors), json.dumps(m, indent=1))
