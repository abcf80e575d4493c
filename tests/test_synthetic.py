"""Planted-reuse benchmark: the synthetic generator is sane, and the loader finds the reuse.

scripts/synth_reuse.py writes a corpus in which outlets carry statements of a story as exact
copies, partial copies and translation-like rewrites (char-5gram Jaccard ~0.3-0.55), next to
same-topic sentences that are not copies (< 0.25). See the script's docstring.

That default ("banded") leaves a gap between negatives and rewrites that a Jaccard threshold sits
in, so the loader scores almost perfectly on it by construction. The "natural" difficulty removes
the gap (heavy rewrites below 0.28, hard negatives up to 0.35); its tests measure where the
method's limits are instead of only that it works.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
from pathlib import Path

import pytest

from datasette_provenance.load import load_paths

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
    """Banded difficulty, seed 7, 40 stories (144 articles), as the README's table. Measured
    (`python scripts/synth_reuse.py generate s.jsonl --stories 40 --seed 7 && datasette provenance load s.db s.jsonl
    && python scripts/synth_reuse.py evaluate s.db s.gold.json`):

        precision 1.000 (382/382)   recall 0.982 (382/389)   recall rewrite 0.963 (182/189)
        recall by gold-pair Jaccard:  0.28-0.4 45/50   0.4-0.6 137/139   >=0.6 200/200
        negatives linked 0/427 (banded negatives are all below 0.25: none is "hard")

    The floors let one or two pairs go (a pair is 0.003 of precision or recall, 0.005 of rewrite recall).
    """
    records, gold = synth.generate(n_stories=40, seed=7)
    src = tmp_path / "synthetic.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "synthetic.db"
    load_paths(str(db), [str(src)])
    m = synth.evaluate(str(db), gold)
    report = json.dumps(m, indent=1)
    bins = m["recall_bins"]
    assert m["precision"] >= 0.995, report  # measured 1.000
    assert m["recall"] >= 0.975, report  # measured 0.982
    assert m["recall_rewrite"] >= 0.95, report  # measured 0.963
    assert bins["0.28-0.4"]["recall"] >= 0.85, report  # measured 0.900 (45/50)
    assert bins[">=0.6"]["recall"] == 1.0, report  # measured 200/200: exact and near-exact copies are always found
    # No same-topic negative is linked to anything (measured 0 of 427), and the corpus has no hard ones.
    assert m["negatives"] >= 400 and m["negatives_linked"] == 0, report
    assert m["hard_negatives"] == 0 and m["hard_negatives_linked"] == 0, report


# ------------------------------------------------------------------ natural difficulty


@pytest.fixture(scope="module")
def natural_corpus():
    return synth.generate(n_stories=40, seed=7, difficulty="natural")


def test_difficulty_argument():
    with pytest.raises(ValueError):
        synth.generate(n_stories=2, seed=1, difficulty="easy")
    records, gold = synth.generate(n_stories=6, seed=1, difficulty="natural")
    assert gold["difficulty"] == "natural"
    again = synth.generate(n_stories=6, seed=1, difficulty="natural")
    assert json.dumps(again, sort_keys=True) == json.dumps((records, gold), sort_keys=True)
    banded = synth.generate(n_stories=6, seed=1)
    assert banded[1]["difficulty"] == "banded"
    assert json.dumps(banded, sort_keys=True) != json.dumps((records, gold), sort_keys=True)


def test_banded_negatives_measured(corpus):
    records, gold = corpus
    measured = gold["negatives_measured"]
    assert len(measured) == len(gold["negatives"])
    assert not any(m["hard"] for m in measured)
    assert max(m["jaccard"] for m in measured) < 0.25


def test_natural_corpus_has_no_gap(natural_corpus):
    """The natural corpus really holds pairs a 0.28 threshold misses and negatives above 0.25."""
    records, gold = natural_corpus
    texts = {r["id"]: r["text"] for r in records}
    rewrites = []
    for p in gold["pairs"]:
        j = synth.jaccard(texts[p["a"]][slice(*p["a_span"])], texts[p["b"]][slice(*p["b_span"])])
        assert abs(j - p["jaccard"]) < 1e-3
        if p["kind"] == "rewrite":
            rewrites.append(j)
    assert len(rewrites) >= 100
    assert min(rewrites) >= synth.NAT_PAIR_MIN_J and max(rewrites) <= synth.NAT_PAIR_MAX_J
    below = sum(j < 0.28 for j in rewrites)
    assert below / len(rewrites) >= 0.10  # measured (seed 7): 44 of 227 rewrite pairs, 0.19
    assert sum(j < 0.2 for j in rewrites) >= 5  # measured: 13
    assert sum(0.25 <= j <= 0.55 for j in rewrites) / len(rewrites) >= 0.6  # measured: 0.81
    assert 0.28 <= statistics.median(rewrites) <= 0.5  # measured: 0.379

    # negatives: same topic, up to 0.35 / 0.6 against the story's statements, about a fifth hard
    story_of = {a: s for s in gold["stories"] for a in s["articles"]}
    members: dict[str, list[str]] = {}
    for st in gold["statements"]:
        for art, s, e in st["members"]:
            members.setdefault(story_of[art]["id"], []).append(texts[art][s:e])
    measured = gold["negatives_measured"]
    assert len(measured) == len(gold["negatives"]) >= 40
    for (art, s, e), m in zip(gold["negatives"], measured):
        neg = texts[art][s:e]
        story = story_of[art]
        assert any(w.lower() in neg.lower() for w in story["topic_words"]), neg
        sims = [(synth.jaccard(neg, o), synth.containment(neg, o)) for o in members.get(story["id"], [])]
        j = max((x for x, _ in sims), default=0.0)
        c = max((y for _, y in sims), default=0.0)
        assert abs(j - m["jaccard"]) < 1e-3 and abs(c - m["containment"]) < 1e-3
        assert j < synth.NAT_NEG_MAX_J and c < synth.NAT_NEG_MAX_C, neg
        assert m["hard"] == (j >= 0.25)
    hard = sum(m["hard"] for m in measured)
    assert 0.12 <= hard / len(measured) <= 0.30  # measured: 82 of 419, 0.196


def test_evaluate_reports_bins_and_hard_negatives(tmp_path):
    records, gold = synth.generate(n_stories=8, seed=3, difficulty="natural")
    perfect = [st["members"] for st in gold["statements"]]
    _build_db(tmp_path / "perfect.db", records, perfect)
    m = synth.evaluate(str(tmp_path / "perfect.db"), gold)
    assert m["precision"] == 1.0 and m["recall"] == 1.0
    assert [label for _, _, label in synth.JACCARD_BINS] == list(m["recall_bins"])
    assert sum(b["gold"] for b in m["recall_bins"].values()) == len(gold["pairs"])
    assert all(b["recall"] == 1.0 for b in m["recall_bins"].values() if b["gold"])
    hard = [n for n, meas in zip(gold["negatives"], gold["negatives_measured"]) if meas["hard"]]
    assert hard and m["hard_negatives"] == len(hard) and m["hard_negatives_linked"] == 0

    # link one hard negative to a member of another article; drop the first statement
    texts = {r["id"]: r["text"] for r in records}
    neg = hard[0]
    other = max((mem for st in gold["statements"] for mem in st["members"] if mem[0] != neg[0]),
                key=lambda mem: synth.jaccard(texts[neg[0]][neg[1]:neg[2]], texts[mem[0]][mem[1]:mem[2]]))
    _build_db(tmp_path / "flawed.db", records, perfect[1:] + [[neg, other]])
    m = synth.evaluate(str(tmp_path / "flawed.db"), gold)
    assert m["hard_negatives_linked"] == 1
    assert m["hard_negatives_linked_share"] == pytest.approx(1 / len(hard))
    dropped = [p for p in gold["pairs"] if p["statement"] == gold["statements"][0]["id"]]
    label = synth.jaccard_bin(dropped[0]["jaccard"])
    assert m["recall_bins"][label]["matched"] < m["recall_bins"][label]["gold"]
    assert m["precision"] < 1.0


def test_cli_natural(tmp_path, capsys):
    out = tmp_path / "nat.jsonl"
    assert synth.main(["generate", str(out), "--stories", "5", "--seed", "2", "--difficulty", "natural"]) == 0
    gold_path = tmp_path / "nat.gold.json"
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    assert gold["difficulty"] == "natural"
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    _build_db(tmp_path / "nat.db", records, [st["members"] for st in gold["statements"]])
    capsys.readouterr()
    assert synth.main(["evaluate", str(tmp_path / "nat.db"), str(gold_path)]) == 0
    printed = capsys.readouterr().out
    assert "recall by Jaccard" in printed and "hard negatives linked" in printed
    for _, _, label in synth.JACCARD_BINS:
        assert label in printed


def test_loader_on_natural_difficulty(tmp_path, natural_corpus):
    """Measures the loader where the generator enforces no gap. The floors sit a bit below what
    was measured (seed 7, 40 stories, 133 articles; loader: char-5gram Jaccard >= 0.28 or
    containment >= 0.7 with Jaccard >= 0.15):

        precision 0.827 (339/410)   recall 0.854 (339/397)   recall rewrite 0.744
        recall by gold-pair Jaccard:  <0.2 0/13   0.2-0.28 5/31   0.28-0.4 70/87
                                      0.4-0.6 83/85   >=0.6 181/181   (0.28-0.6: 153/172 = 0.890)
        hard negatives linked 27/82 = 0.329   (negatives linked 34/419)

    Below 0.28 the threshold misses nearly everything (by design of the method, not of the
    benchmark); a third of the hard negatives get linked. The hard-negative figure is a ceiling:
    fewer linked is better.
    """
    records, gold = natural_corpus
    # the corpus is not trivial: pairs a 0.28 threshold misses, negatives above 0.25
    assert sum(p["jaccard"] < 0.28 for p in gold["pairs"]) / len(gold["pairs"]) >= 0.06  # measured 44/397
    assert sum(m["hard"] for m in gold["negatives_measured"]) >= 40  # measured 82

    src = tmp_path / "natural.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "natural.db"
    load_paths(str(db), [str(src)])
    m = synth.evaluate(str(db), gold)
    report = json.dumps(m, indent=1)
    bins = m["recall_bins"]
    mid_gold = bins["0.28-0.4"]["gold"] + bins["0.4-0.6"]["gold"]
    mid_recall = (bins["0.28-0.4"]["matched"] + bins["0.4-0.6"]["matched"]) / mid_gold
    assert m["precision"] >= 0.81, report  # measured 0.827 (339/410)
    assert m["recall"] >= 0.84, report  # measured 0.854 (339/397)
    assert mid_recall >= 0.87, report  # measured 0.890 (153/172)
    assert bins[">=0.6"]["recall"] == 1.0, report  # measured 181/181
    # A ceiling: measured 27 of 82 hard negatives linked (0.329); 30 (0.366) fails.
    assert m["hard_negatives"] >= 40 and m["hard_negatives_linked_share"] <= 0.36, report
    assert m["negatives_linked"] <= 37, report  # a ceiling: measured 34 of 419
