"""The wire simulation (scripts/wire_sim.py): planted agency reuse, scored against the derivations.

The floors below were MEASURED first (24 stories, seed 1, 110 articles; both loads take ~2 s:
`python scripts/wire_sim.py --stories 24 --seed 1`) and sit about one article below the measured
figures, which are given next to each assertion. Other seeds (24 stories, seeds 2-6, same code)
measured: dated direction 0.657-0.818, where decidable 0.811-0.940, extent 0.972-1.0,
common-source 1.0, dated wrong-direction 0.057-0.096, undated wrong-direction 0 except seed 3
(0.013: one rewrite of an AFP story said to have copied a verbatim AFP copy, by containment with
no dates), undated undetermined 0.394-0.488. The corpus comes from scripts/synth_reuse.py's
sentence machinery, so the figures move a little when that generator changes.

The tests at the end are minimal reproductions of bugs the simulation exposed (chains through a
same-day copy, rule order of credits and quotes, two-article boilerplate).
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from pathlib import Path

import pytest

from datasette_provenance.load import load_paths

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "wire_sim.py"
STORIES, SEED = 24, 1


def _load_script():
    spec = importlib.util.spec_from_file_location("wire_sim", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ws = _load_script()


@pytest.fixture(scope="module")
def dated(tmp_path_factory):
    return ws.run(STORIES, SEED, dated=True, workdir=tmp_path_factory.mktemp("wire-dated"))


@pytest.fixture(scope="module")
def undated(tmp_path_factory):
    return ws.run(STORIES, SEED, dated=False, workdir=tmp_path_factory.mktemp("wire-undated"))


# ------------------------------------------------------------------------------ the generator


def test_generator_is_deterministic_and_undated_only_drops_dates():
    a_records, a_truth = ws.generate(6, seed=5)
    b_records, b_truth = ws.generate(6, seed=5)
    assert a_records == b_records and a_truth == b_truth
    u_records, _ = ws.generate(6, seed=5, dated=False)
    assert [{**r, "published": None} for r in a_records] == u_records
    assert all(r["published"] for r in a_records)


def test_generator_plants_every_case_and_only_the_planted_credits():
    records, truth = ws.generate(12, seed=SEED)
    arts = truth["articles"]
    assert {t["case"] for t in arts.values()} == {
        "agency", "wholly", "partial", "rewrite", "chain-b", "chain-c", "independent", "upstream", "update"}
    assert {r["id"] for r in records} == set(arts)
    for ext, t in arts.items():
        agency = ws._agency_of(ext) or (t["source"] if t["case"] == "upstream" else None)
        if t["case"] in ("agency", "update"):
            assert t["credits"] == [t["outlet"]], ext  # its own dateline
        elif t["case"] == "upstream":
            assert t["credits"] == [t["source"]], ext
        elif t["case"] == "chain-c":
            assert len(t["credits"]) <= 1, ext  # its own credit or one carried over from B
        else:
            assert bool(t["credits"]) == bool(t.get("credit")), ext
        assert agency is None or set(t["credits"]) <= {agency}, ext


def test_generator_keeps_extent_labels_clear():
    _, truth = ws.generate(12, seed=SEED)
    for ext, t in truth["articles"].items():
        if t["relation"] in ("copied", "same-outlet"):
            assert not ws.MARGIN[0] < t["share"] < ws.MARGIN[1], (ext, t["share"])
            assert t["extent"] == ("wholly" if t["share"] >= ws.WHOLLY else "partially")


def _answer_db(path: Path, truth: dict, *, reverse: bool = False) -> str:
    """A database holding only articles and the truth as derivations (reversed: sources copy their copies)."""
    conn = sqlite3.connect(path)
    conn.execute("create table articles (id integer primary key, external_id text)")
    conn.execute("create table derivations (derived_article_id, source_article_id, source_name, relation, extent,"
                 " shared_chars)")
    ids = {e: i for i, e in enumerate(truth["articles"], 1)}
    conn.executemany("insert into articles values (?, ?)", [(i, e) for e, i in ids.items()])
    for e, t in truth["articles"].items():
        if t["relation"] == "common-source":
            conn.execute("insert into derivations values (?, null, ?, ?, ?, 1)",
                         (ids[e], t["source"].upper(), t["relation"], t["extent"]))
        elif t["relation"] != "none":
            d, s = (ids[t["source"]], ids[e]) if reverse else (ids[e], ids[t["source"]])
            conn.execute("insert into derivations values (?, ?, null, ?, ?, 1)", (d, s, t["relation"], t["extent"]))
    conn.commit()
    conn.close()
    return str(path)


def test_scorer_on_the_truth_itself_and_on_its_reverse(tmp_path):
    _, truth = ws.generate(8, seed=SEED)
    perfect = ws.evaluate(_answer_db(tmp_path / "perfect.db", truth), truth)
    for key in ("direction_accuracy", "direction_accuracy_decidable", "extent_accuracy", "common_source_accuracy",
                "same_outlet_accuracy"):
        assert perfect[key] == 1.0, key
    for key in ("undetermined_rate", "wrong_direction_rate", "spurious_rate", "speaker_rate"):
        assert perfect[key] == 0.0, key
    reverse = ws.evaluate(_answer_db(tmp_path / "reverse.db", truth, reverse=True), truth)
    assert reverse["direction_accuracy"] == 0.0 and reverse["common_source_accuracy"] == 1.0
    directed = perfect["n_copied"] + perfect["n_same_outlet"]
    assert reverse["wrong_direction_rate"] == round(directed / perfect["n_derived"], 3)


# ------------------------------------------------------------------------------ dated run


def test_dated_direction(dated):
    assert dated["n_copied"] >= 50 and dated["n_decidable"] >= 40  # measured 64 and 57
    # Measured 0.734 (47 of 64). The misses: same-day pairs at day precision (no order, so an honest
    # ``undetermined``), copies given an earlier sibling copy as source (below), quote relays.
    assert dated["direction_accuracy"] >= 0.71
    # Measured 0.825 (47 of 57) where the dates or a credit order the pair.
    assert dated["direction_accuracy_decidable"] >= 0.80
    # Measured 0.100 (8 of 80 derivations), nearly all of it (measured sibling_rate 0.125 of copies) copies
    # attributed to an earlier verbatim copy of the same agency story rather than to the agency: the
    # nearest-carrier policy of _best_sources (tests/test_provenance.py::test_copy_of_a_copy_names_its_
    # direct_source) -- the text cannot tell them apart, the truth here is the agency. A ceiling.
    assert dated["wrong_direction_rate"] <= 0.115
    assert dated["undetermined_rate"] <= 0.09  # measured 0.075 (6 of 80); a ceiling
    assert dated["originals_marked_copied"] == 0  # measured 0


def test_dated_extent_and_relations(dated):
    assert dated["extent_accuracy"] >= 0.98  # measured 1.000 (75)
    # Measured 1.000 (12): both outlets credit the agency, and that beats the shared quote's speaker
    # (test_both_crediting_the_agency_beats_the_quoted_speaker).
    assert dated["common_source_accuracy"] >= 0.9
    assert dated["same_outlet_accuracy"] == 1.0  # measured 1.000 (4)
    assert dated["speaker_rate"] <= 0.02  # measured 0.000 (64 copies); none read as a relay of the speaker


def test_dated_spurious(dated):
    assert dated["spurious_independent"] == 0  # measured 0 of 12 independent reports
    assert dated["chain_shortcuts"] == 0  # measured 0 of 11 chains
    assert dated["spurious_rate"] == 0.0  # measured 0.000


# ------------------------------------------------------------------------------ undated run


def test_undated_says_undetermined_instead_of_guessing(undated, dated):
    # Measured 0.000 (of 80): without dates a wrong direction is never asserted (README: "it never names a
    # wrong direction"; seed 3 has one, see the module docstring) ...
    assert undated["wrong_direction_rate"] == 0.0
    # ... the undecidable pairs are answered undetermined (measured 0.475 = 38 of 80, dated 0.075) ...
    assert undated["undetermined_rate"] >= 0.45
    # ... and credited copies are still right (measured 1.000 of 21).
    assert undated["direction_accuracy_decidable"] >= 0.95
    assert undated["direction_accuracy"] >= 0.39  # measured 0.406 (26 of 64)
    assert undated["direction_accuracy"] < dated["direction_accuracy"]  # measured 0.406 vs 0.734
    assert undated["originals_marked_copied"] == 0  # measured 0


def test_undated_extent_relations_and_spurious(undated):
    assert undated["extent_accuracy"] >= 0.98  # measured 1.000 (54)
    assert undated["common_source_accuracy"] >= 0.9  # measured 1.000 (12), as dated
    assert undated["same_outlet_accuracy"] == 1.0  # measured 1.000 (4)
    assert undated["speaker_rate"] <= 0.02  # measured 0.000
    assert undated["spurious_independent"] == 0 and undated["chain_shortcuts"] == 0  # measured 0 and 0
    assert undated["spurious_rate"] == 0.0  # measured 0.000


# ------------------------------------------------------------------------------ bugs, minimally

FACTS = [
    "The central bank of Norland raised its key interest rate by 75 basis points on Thursday, the largest increase"
    " in two decades.",
    "Officials said the decision was taken unanimously after a two-day meeting in the capital, Velgrad.",
    "Inflation in Norland reached 11.4 percent in September, driven by food and energy prices.",
    "The krona fell nearly 2 percent against the euro in early trading before recovering some of its losses.",
    "Analysts had expected a smaller increase of half a percentage point, according to a survey of economists.",
    "The bank signalled that further increases were likely before the end of the year if prices kept rising.",
]
OWN_B = [
    "Small business owners in the northern port of Halvik said higher borrowing costs would delay their expansion"
    " plans.",
    "Mortgage brokers in Velgrad reported a rush of customers trying to lock in fixed rates before the announcement.",
]
OWN_C = [
    "Students protesting outside the parliament building carried banners calling for rent controls in university"
    " towns.",
    "The opposition Green Alliance announced it would table a motion on household energy subsidies next Tuesday.",
]
OWN_P = [
    "Farmers in the Lower Dalen valley warned that fertiliser prices had tripled since the spring planting season"
    " began.",
    "A regional hospital in Orvik said it had postponed the purchase of new scanners because of higher financing"
    " costs.",
    "The city council of Brekka voted to freeze public transport fares until next summer to help commuters.",
]
QUOTES = [
    '"We will not accept any attempt to use the grain corridor as a pretext for new pressure on our country,"'
    " Foreign Minister Irina Petrenko told reporters in Velgrad.",
    '"Our position on the transit fees remains unchanged, and we will continue to defend the interests of our'
    ' farmers," Petrenko added.',
]
TITLE = "Norland central bank makes biggest rate rise in 20 years"


def _article(ext, outlet, published, title, sentences, tail=""):
    return {"id": ext, "outlet": outlet, "url": None, "published": published, "title": title,
            "text": title + "\n\n" + "\n\n".join(sentences) + tail}


def _derivations(tmp_path: Path, records: list[dict]) -> set[tuple[str, str, str]]:
    """(derived, source id or upstream name, relation) of a tiny corpus."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "corpus.db"
    load_paths(str(db), [str(corpus)])
    conn = sqlite3.connect(db)
    try:
        return set(conn.execute(
            "select d.external_id, coalesce(s.external_id, x.source_name), x.relation from derivations x"
            " join articles d on d.id = x.derived_article_id left join articles s on s.id = x.source_article_id"))
    finally:
        conn.close()


def test_copy_of_a_copy_names_only_its_direct_source(tmp_path):
    # A (minute) -> B (next day, day precision; 4 of A's sentences + 2 own) -> C (minute; 2 of A's + B's 2 own
    # + its own). Got: C copied from A (0.7) AND from B (0.6): the shortcut C <- A although all of it is in B.
    got = _derivations(tmp_path, [
        _article("A", "Reuters", "2022-05-17T15:02Z", TITLE, FACTS),
        _article("B", "Eastern Chronicle", "2022-05-18", "What the rate rise means for Norland", FACTS[:4] + OWN_B),
        _article("C", "Global Dispatch Daily", "2022-05-19T15:12Z", "Anger grows over cost of living",
                 FACTS[:2] + OWN_B + OWN_C),
    ])
    assert ("B", "A", "copied") in got
    assert ("C", "B", "copied") in got and ("C", "A", "copied") not in got


def test_copy_of_a_copy_on_the_same_day_does_not_name_the_agency(tmp_path):
    # As above, but C (minute precision) appears on B's day, and B has day precision: C-B is a tie, so
    # undetermined. Got: C copied from A (0.7, "published later") as well, though everything C shares with A
    # is also in B (with B's own sentences), and C does not credit A.
    got = _derivations(tmp_path, [
        _article("A", "Reuters", "2022-05-17T08:00Z", TITLE, FACTS),
        _article("B", "Eastern Chronicle", "2022-05-18", "What the rate rise means for Norland", FACTS[:4] + OWN_B),
        _article("C", "Global Dispatch Daily", "2022-05-18T15:00Z", "Anger grows over cost of living",
                 FACTS[:2] + OWN_B + OWN_C),
    ])
    assert ("B", "A", "copied") in got
    assert ("C", "A", "copied") not in got


def test_both_crediting_the_agency_beats_the_quoted_speaker(tmp_path):
    # X and Y both end with "SOURCE: Reuters" and share two quote paragraphs of Irina Petrenko (framing included);
    # Reuters is not in the corpus. Got: common-source "Irina Petrenko" for both.
    got = _derivations(tmp_path, [
        _article("X", "Levant Observer", "2022-06-01T10:00Z", "Norland rejects grain pressure", QUOTES + OWN_P[:1],
                 "\n\nSOURCE: Reuters"),
        _article("Y", "Baltic Monitor", "2022-06-01T12:30Z", "Petrenko: no pressure on grain", QUOTES + OWN_C[:1],
                 "\n\nSOURCE: Reuters"),
    ])
    assert got == {("X", "Reuters", "common-source"), ("Y", "Reuters", "common-source")}


def test_outlet_boilerplate_in_two_articles_is_not_reuse(tmp_path):
    # Two unrelated Northline News articles share only their footer line. Got: N2 same-outlet N1.
    footer = "\n\nNorthline News is not responsible for the content of external websites"
    got = _derivations(tmp_path, [
        _article("N1", "Northline News", "2022-06-01", "Norland rejects grain pressure", OWN_P, footer),
        _article("N2", "Northline News", "2022-09-03", "Protests in Velgrad", OWN_B + OWN_C, footer),
    ])
    assert got == set()
