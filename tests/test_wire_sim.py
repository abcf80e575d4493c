"""The wire simulation (scripts/wire_sim.py): planted agency reuse, scored against the derivations.

The truth is what the generator planted (which sentence was made from which, which credit it wrote
where), never what the project's detectors say; similarities and shares fall where the edits put
them. The floors below were MEASURED first (`python scripts/wire_sim.py --stories 45 --seed 1
--cases`, ~190 articles; both loads take ~6 s) and sit a little below the measured figures, which
are given next to each assertion together with the commit they were measured at. The corpus comes
from scripts/synth_reuse.py's sentence machinery, so the figures move when that generator changes.

The tests at the end are minimal reproductions of bugs the simulation exposed (chains through a
same-day copy, rule order of credits and quotes, two-article boilerplate).
"""

from __future__ import annotations

import importlib.util
import json
import random
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest

from datasette_provenance.load import load_paths
from datasette_provenance.segment import normal_form, segment

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "wire_sim.py"
STORIES, SEED = 45, 1


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


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    return ws.run(STORIES, SEED, dated=True, workdir=tmp_path_factory.mktemp("wire-archive"), archive=True)


@pytest.fixture(scope="module")
def planted():
    """The generator's plan itself (articles with their units), for checks the truth file cannot show."""
    sim = ws._Sim(random.Random(SEED))
    for idx in range(18):
        ctx = sim.new_story(idx)
        getattr(sim, f"story_{ws.KINDS[idx % len(ws.KINDS)]}")(ctx)
    return sim


# ------------------------------------------------------------------------------ the generator


def test_generator_is_deterministic_and_undated_only_drops_dates():
    a_records, a_truth = ws.generate(9, seed=5)
    b_records, b_truth = ws.generate(9, seed=5)
    assert a_records == b_records and a_truth == b_truth
    u_records, u_truth = ws.generate(9, seed=5, dated=False)
    assert [{**r, "published": None} for r in a_records] == u_records
    assert all(r["published"] for r in a_records)
    assert {e: {**t, "published": None} for e, t in a_truth["articles"].items()} == u_truth["articles"]


def test_truth_does_not_come_from_the_detectors():
    # The old simulation took credits from find_attributions and threw away sentences it reacted to.
    source = SCRIPT.read_text(encoding="utf-8")
    assert "find_attributions" not in source and "datasette_provenance.attributions" not in source


def test_generator_plants_every_case_with_outlets_and_roles():
    records, truth = ws.generate(9, seed=SEED)
    arts = truth["articles"]
    assert {t["case"] for t in arts.values()} >= {
        "agency", "version", "ver-client", "wholly", "partial", "rewrite", "relay-copy", "relay-rw", "relay-rw-own",
        "bg-agency", "bg-paper", "upstream"}
    assert {r["id"] for r in records} == set(arts)
    assert {t["outlet"] for t in arts.values() if t["role"] == "agency"} <= ws.AGENCY_NAMES
    assert not {t["outlet"] for t in arts.values() if t["role"] == "newspaper"} & ws.AGENCY_NAMES
    roles = json.loads((SCRIPT.parent.parent / "datasette_provenance" / "data" / "outlets.json").read_text())
    known = roles.get("roles", {})
    if known:  # the loader reads roles from this map: our agencies must be in it, our newspapers not
        assert all(known.get(name) == "agency" for name in ws.AGENCY_NAMES)
        assert not {name for _, name in ws.NEWSPAPERS} & set(known)


def test_credits_are_the_planted_ones():
    records, truth = ws.generate(18, seed=SEED)
    arts = truth["articles"]
    text = {r["id"]: r["text"] for r in records}
    agency_of_story = {t["story"]: t["outlet"] for t in arts.values() if t["role"] == "agency"}
    for e, t in arts.items():
        agency = agency_of_story.get(t["story"], t["source"] if t["case"] == "upstream" else None)
        assert set(t["credits"]) <= {agency}, e
        if t["role"] == "agency":
            assert t["credits"] == [t["outlet"]], e  # its own dateline, or the PA byline
        if t["case"] in ("upstream", "relay-copy"):
            assert t["credits"] == [agency], e
        if t["case"] in ("relay-rw", "relay-rw-own", "independent"):
            assert t["credits"] == [], e
        if t["outlet"] == "PA Media":
            assert ", PA News\n" in text[e]
    # PA copy credits PA with a byline: a credit the truth has whether or not a detector reads it
    assert any(t["outlet"] == "PA Media" for t in arts.values())


def test_similarities_and_shares_fall_where_the_edits_put_them(planted):
    first = {}
    for a in planted.arts:
        for u in a.body:
            first.setdefault(u.origin, u)
    rewrites = [ws.sr.jaccard(ws.sr.char_grams(u.text), ws.sr.char_grams(first[u.origin].plain))
                for a in planted.arts if a.case in ("rewrite", "relay-rw", "relay-rw-own")
                for u in a.body if first[u.origin] is not u and u.text != first[u.origin].text]
    assert len(rewrites) >= 30
    assert any(j < 0.3 for j in rewrites) and any(j > 0.6 for j in rewrites)  # no resampling into 0.3-0.6
    _, truth = ws.generate(18, seed=SEED)
    shares = [t["share"] for t in truth["articles"].values() if "share" in t]
    assert any(0.6 < s < 0.8 for s in shares)  # no margin kept around the 0.7 cut
    for t in truth["articles"].values():
        if t["relation"] in ("copied", "same-outlet"):
            assert t["extent"] == ("wholly" if t["share"] >= ws.WHOLLY else "partially")


def test_versions_background_and_relays_are_planted_as_described():
    _, truth = ws.generate(18, seed=SEED)
    arts = truth["articles"]
    stamp = {e: t["published"] for e, t in arts.items()}
    for e, t in arts.items():
        if t["case"] == "version":
            prev = t["source"]
            assert t["relation"] == "same-outlet" and t["accept"] == {"same-outlet": [prev]}
            assert arts[prev]["outlet"] == t["outlet"] and stamp[prev] < stamp[e]
        if t["case"] == "ver-client":
            assert t["source"] in t["accept"]["copied"]
            assert all(arts[v]["outlet"] == arts[t["source"]]["outlet"] for v in t["accept"]["copied"])
        if t["case"] == "bg-paper":
            (agency_story,) = t["accept"]["copied"]
            assert arts[agency_story]["case"] == "bg-agency" and t["source"] not in arts  # the absent story
            assert stamp[e][:10] < stamp[agency_story][:10]  # the newspaper carried it weeks earlier
            assert t["accept"]["common-source"] == [arts[agency_story]["outlet"]]
            assert t["partners"] == [agency_story]
        if t["case"] in ("relay-rw", "relay-rw-own"):
            (src,) = t["accept"]["copied"]
            assert arts[src]["case"] == ("relay-copy" if t["case"] == "relay-rw-own" else "agency")
        if t["case"] == "relay-copy":
            assert arts[t["source"]]["role"] == "agency" and t["share"] >= 0.7
    mins = [e for e, t in arts.items() if t["role"] == "newspaper" and "T" not in t["published"]]
    assert mins and all("T" in t["published"] for t in arts.values() if t["role"] == "agency")


def _scored_db(path: Path, truth: dict) -> tuple[sqlite3.Connection, dict[str, int]]:
    """The truth's articles, and an empty derivations table for a test to fill."""
    conn = sqlite3.connect(path)
    conn.execute("create table articles (id integer primary key, external_id text)")
    conn.execute("create table derivations (derived_article_id, source_article_id, source_name, relation, extent,"
                 " shared_chars)")
    ids = {e: i for i, e in enumerate(truth["articles"], 1)}
    conn.executemany("insert into articles values (?, ?)", [(i, e) for e, i in ids.items()])
    return conn, ids


def _answer_db(path: Path, truth: dict, *, reverse: bool = False) -> str:
    """A database holding only articles and the truth as derivations (reversed: sources copy their copies)."""
    conn, ids = _scored_db(path, truth)
    for e, t in truth["articles"].items():
        if t["relation"] == "none":
            continue
        rel, targets = next(iter(t["accept"].items()))
        if rel == "common-source":
            conn.execute("insert into derivations values (?, null, ?, ?, ?, 1)",
                         (ids[e], targets[0].upper(), rel, t["extent_by"][targets[0]]))
        else:
            d, s = (ids[targets[0]], ids[e]) if reverse else (ids[e], ids[targets[0]])
            conn.execute("insert into derivations values (?, ?, null, ?, ?, 1)",
                         (d, s, rel, t["extent_by"][targets[0]]))
    conn.commit()
    conn.close()
    return str(path)


def test_scorer_on_the_truth_itself_and_on_its_reverse(tmp_path):
    _, truth = ws.generate(18, seed=SEED)
    perfect = ws.evaluate(_answer_db(tmp_path / "perfect.db", truth), truth)
    for key in ("direction_accuracy", "direction_accuracy_decidable", "extent_accuracy", "common_source_accuracy",
                "same_outlet_accuracy"):
        assert perfect[key] == 1.0, key
    for key in ("undetermined_rate", "wrong_direction_rate", "spurious_rate", "speaker_rate", "sibling_rate"):
        assert perfect[key] == 0.0, key
    assert perfect["reversed_rows"] == perfect["reversed_agency_edges"] == 0
    reverse = ws.evaluate(_answer_db(tmp_path / "reverse.db", truth, reverse=True), truth)
    assert reverse["direction_accuracy"] == 0.0 and reverse["common_source_accuracy"] == 1.0
    directed = perfect["n_copied"] + perfect["n_same_outlet"]
    assert reverse["wrong_direction_rate"] == round(directed / perfect["n_derived"], 3)
    assert reverse["reversed_rows"] == directed
    # every background newspaper's reverse row makes the agency its copier
    bg = sum(1 for t in truth["articles"].values() if t["case"] == "bg-paper")
    assert bg and reverse["reversed_agency_edges"] >= bg + reverse["cases"]["wholly"]["n"]


def _passages_db(path: Path, records: list[dict], truth: dict, keep=lambda reused: True, loose: bool = False) -> str:
    """A database whose clusters are the planted spans of one origin each (of a newspaper's, those ``keep``
    passes, given the span's ``reused``), where two articles or more hold one; ``loose``: each newspaper's
    spans that no other article carries also share a cluster with the first agency article's title."""
    conn = sqlite3.connect(path)
    conn.executescript("create table articles (id integer primary key, external_id text, text text);"
                       "create table paragraphs (id integer primary key, article_id integer, start integer);"
                       "create table cluster_members (cluster_id, paragraph_id, start, end)")
    ids = {r["id"]: i for i, r in enumerate(records, 1)}
    conn.executemany("insert into articles values (?, ?, ?)", [(ids[r["id"]], r["id"], r["text"]) for r in records])
    conn.executemany("insert into paragraphs values (?, ?, 0)", [(i, i) for i in ids.values()])
    by_origin = defaultdict(list)
    agency = next(e for e, t in truth["articles"].items() if t["role"] == "agency")
    for e, t in truth["articles"].items():
        for start, end, origin, carriers, reused in t["spans"]:
            if t["role"] != "newspaper" or keep(reused):
                by_origin[origin].append((ids[e], start, end))
            if loose and t["role"] == "newspaper" and not carriers:
                by_origin[f"{e}-{start}"] += [(ids[e], start, end), (ids[agency], *truth["articles"][agency]["spans"][0][:2])]
    members = [m for m in by_origin.values() if len({a for a, _, _ in m}) >= 2]
    conn.executemany("insert into cluster_members values (?, ?, ?, ?)",
                     [(c, *m) for c, ms in enumerate(members, 1) for m in ms])
    conn.commit()
    conn.close()
    return str(path)


def test_reused_characters_scorer_on_the_plan_itself(tmp_path):
    records, truth = ws.generate(18, seed=SEED)
    text = {r["id"]: r["text"] for r in records}
    for e, t in truth["articles"].items():  # each span is a unit of the text
        for start, end, _, carriers, reused in t["spans"]:
            assert text[e][start:end].strip() == text[e][start:end] and end - start >= 10
            assert not (t["case"] == "independent" and (reused or carriers))
    paper = {e: t for e, t in truth["articles"].items() if t["role"] == "newspaper"}
    assert all(any(reused and carriers for *_, carriers, reused in t["spans"]) for t in paper.values()
               if t["relation"] != "none")
    every = ws.reused_chars(_passages_db(tmp_path / "all.db", records, truth), truth)
    assert every["reused_char_recall"] == every["passage_char_precision"] == 1.0
    # A newspaper's own text that a later copy carries is shared (in passages, rightly), not reused.
    assert every["passage_chars"] > every["reused_chars"] > 20_000
    none = ws.reused_chars(_passages_db(tmp_path / "none.db", records, truth, keep=lambda reused: False), truth)
    assert none["reused_char_recall"] == 0.0 and none["reused_chars"] == every["reused_chars"]
    loose = ws.reused_chars(_passages_db(tmp_path / "loose.db", records, truth, loose=True), truth)
    own = sum(len("".join(text[e][s:f].split())) for e, t in paper.items() for s, f, _, carriers, _ in t["spans"]
              if not carriers)
    assert loose["reused_char_recall"] == 1.0 and loose["passage_chars"] == every["passage_chars"] + own
    assert loose["passage_char_precision"] == round(every["passage_chars"] / loose["passage_chars"], 3) < 0.9


def test_archived_agency_copy_is_wrapped_and_read_back_whole():
    """``--archive`` lays the agencies' copy out as archives hold it; every other record is the same.
    Each archived story reads back as the paragraphs it was filed in, none of them navigation (13 of the
    277 of seeds 1-6 were, all AP, before an indent the wrapping did not count could open a paragraph)."""
    plain, truth = ws.generate(18, seed=SEED)
    archived, archived_truth = ws.generate(18, seed=SEED, archive=True)
    by_id = {r["id"]: r for r in plain}
    laid_out = {r["id"] for r in archived if r["outlet"] in ws.ARCHIVE_LAYOUTS}
    assert len(laid_out) >= 12 and {r["outlet"] for r in archived if r["id"] in laid_out} == set(ws.ARCHIVE_LAYOUTS)
    assert [r for r in archived if r["id"] not in laid_out] == [r for r in plain if r["id"] not in laid_out]
    assert archived_truth["articles"] == {e: {k: v for k, v in t.items() if k != "spans" or e not in laid_out}
                                          for e, t in truth["articles"].items()}
    for r in archived:
        if r["id"] not in laid_out:
            continue
        lines = r["text"].splitlines()
        assert len(lines) > len(by_id[r["id"]]["text"].split("\n\n")) and sum(len(ln) > 80 for ln in lines) <= 2
        paragraphs = segment(r["text"], r["title"])
        assert not any(p.kind == "navigation" for p in paragraphs), r["id"]
        filed = [normal_form(p) for p in by_id[r["id"]]["text"].split("\n\n")
                 if any(p.find(by_id[r["id"]]["text"][s:e]) >= 0 for s, e, *_ in truth["articles"][r["id"]]["spans"])]
        read = {normal_form(p.text) for p in paragraphs if p.kind == "text"}
        assert filed[1:] and set(filed[1:]) <= read, r["id"]  # the first is the title


def _rows_db(path: Path, truth: dict, rows: list[tuple]) -> str:
    """A database of the truth's articles with these (derived, source id or None, name, relation) rows."""
    conn, ids = _scored_db(path, truth)
    conn.executemany("insert into derivations values (?, ?, ?, ?, 'partially', 1)",
                     [(ids[d], ids.get(s), name, rel) for d, s, name, rel in rows])
    conn.commit()
    conn.close()
    return str(path)


def test_scorer_names_siblings_reversals_and_agency_edges(tmp_path):
    _, truth = ws.generate(9, seed=SEED)
    arts = truth["articles"]
    of = {t["case"]: e for e, t in arts.items()}  # one article of each case
    metro, courier = of["relay-rw"], next(e for e, t in arts.items()
                                          if t["case"] == "relay-copy" and t["story"] == arts[of["relay-rw"]]["story"])
    paper, agency = of["bg-paper"], arts[of["bg-paper"]]["accept"]["copied"][0]
    v3 = next(e for e, t in arts.items() if t["case"] == "version" and e.endswith("-v3"))
    v1 = arts[arts[v3]["source"]]["source"]
    got = ws.evaluate(_rows_db(tmp_path / "x.db", truth, [
        (metro, courier, None, "copied"),  # the rewrite of a verbatim copy given the copy: a sibling
        (agency, paper, None, "copied"),  # the agency's new story said to copy the newspaper: reversed
        (paper, agency, None, "undetermined"),
        (v1, v3, None, "same-outlet"),  # the first take said to derive from the full version: reversed
    ]), truth)
    assert got["cases"]["relay-rw"]["sibling"] == 1 and got["sibling_rate"] > 0
    assert got["cases"]["bg-paper"]["reversed"] == 1 and got["cases"]["bg-paper"]["undetermined"] == 1
    assert got["reversed_agency_edges"] == 1 and got["reversed_rows"] == 2
    assert got["cases"]["version"]["reversed"] == 1 and got["originals_given_a_source"] == 2


# ------------------------------------------------------------------------------ dated run
# Measured at commit b88520d (45 stories, seed 1, 187 articles; the same figures at 039e8a5 but extent).
# At 4b35ced, before outlet roles, the same corpus measured dated 0.664 traced, 14 reversed agency edges. Issue 16's targets, for reference
# (not fitted): dated >= 0.95 traced and no reversed agency -> client edge; undated >= 0.80 traced
# and no wrong direction; no copy given a sibling when the original explains it as well.


def _right(result: dict, case: str) -> tuple[int, int]:
    c = result["cases"][case]
    return c["right"], c["n"]


def test_dated_direction(dated):
    assert dated["n_copied"] >= 100 and dated["n_decidable"] >= 80  # measured 107 and 87
    # Measured 0.991 (106 of 107) with UNIQUE at 80 characters (0.981 at e0131d3, 0.972 at 7b6cf5a, 0.916 at
    # b88520d). The miss: a rewrite of a copy traced to the agency (the copy's own sentences rewritten past linking).
    # Seeds 2-5 since issue 16's copy-in-between rules: 0.972, 0.981, 0.982, 0.971 (0.935, 0.934, 0.956, 0.951
    # at 7b6cf5a).
    assert dated["direction_accuracy"] >= 0.98
    assert dated["direction_accuracy_decidable"] >= 0.97  # measured 0.989 (86 of 87)
    assert dated["reversed_rows"] == 0 and dated["wrong_direction_rate"] == 0.0  # measured 0
    assert dated["reversed_agency_edges"] == 0  # measured 0
    assert dated["originals_given_a_source"] == 0  # measured 0 of 40
    assert dated["sibling_rate"] == 0.0  # measured 0 since UNIQUE is a sentence's worth (0.009 with 40 characters)
    assert dated["undetermined_rate"] <= 0.02  # measured 0.000 (of 137); a ceiling


def test_dated_new_cases(dated):
    # Background repeated weeks later: the newspaper carried the agency's (absent) story before the
    # agency's new story; never the agency as its copier. Measured 10 of 10 right (copied from the agency).
    assert _right(dated, "bg-paper") == (10, 10)
    assert dated["cases"]["bg-agency"]["with_directed_rows"] == 0  # measured 0 of 10
    # Versions: each same-outlet from the previous one (measured 20 of 20); clients copied from a version
    # that explains them (measured 27 of 27).
    assert _right(dated, "version")[0] >= 19 and _right(dated, "ver-client")[0] >= 25
    # Copies of copies: the rewrite of a verbatim credited copy traces to the agency (measured 5 of 5) ...
    assert _right(dated, "relay-rw")[0] >= 4 and dated["cases"]["relay-rw"]["sibling"] <= 1
    # ... and to the copy when it carries the copy's own sentences (measured 4 of 5 since e0131d3, 2 before:
    # a copy dated to the day is no longer taken as before the agency story timed that day).
    assert _right(dated, "relay-rw-own")[0] >= 3
    # A copy of a newspaper's copy traces to that copy (measured 6 of 6 since e0131d3, 3 before).
    assert _right(dated, "chain-c")[0] >= 5
    assert _right(dated, "relay-copy")[0] >= 9  # measured 10 of 10
    # Day-precision newspapers against minute-precision agencies: measured 46 of 46 right at e0131d3 (44 before).
    assert _right(dated, "(day-precision copy of an agency)")[0] >= 44


def test_dated_extent_and_relations(dated):
    # Measured 0.975 (119 of 122): the misses say wholly where the planted share is below 0.7 (own
    # sentences by the agency's speaker in its frame are linked to the agency's).
    assert dated["extent_accuracy"] >= 0.94
    # Measured 1.000 (10 of 10) since fedd663 reads PA credits (the byline, "SOURCE: PA Media"); 0.400 before.
    assert dated["common_source_accuracy"] >= 0.9
    assert dated["same_outlet_accuracy"] >= 0.95  # measured 1.000 (20)
    assert dated["speaker_rate"] <= 0.02  # measured 0.000 (107 copies)
    assert dated["spurious_independent"] <= 5  # measured 4 of 10 independent reports; a ceiling


def test_reused_characters(dated, undated, archived):
    # Measured 0.981 of 90,245 characters (`wire_sim.py --naive`: the naive datasketch pipeline 0.945);
    # precision 0.896 (naive 0.888). Seeds 2-5: 0.978, 0.976, 0.976, 0.983, precision 0.877-0.915.
    assert dated["reused_chars"] > 80_000
    assert dated["reused_char_recall"] >= 0.97 and dated["passage_char_precision"] >= 0.88
    assert (undated["reused_char_recall"], undated["passage_char_precision"]) == \
        (dated["reused_char_recall"], dated["passage_char_precision"])  # clusters do not read dates
    # The agencies' copy as their archives hold it, hard-wrapped with header blocks: the same figures
    # (measured 0.981, traced 0.991); 0.975 when one AP story in ten was read line by line (08e3784).
    assert archived["reused_char_recall"] >= dated["reused_char_recall"] - 0.002
    assert archived["direction_accuracy"] >= 0.98 and archived["extent_accuracy"] >= 0.97


# ------------------------------------------------------------------------------ undated run


def test_undated_direction(undated):
    # Measured 0.944 (101 of 107) at e0131d3 (0.897 before); where a credit orders the pair 1.000 (55 of 55).
    # Seeds 2-5 since then: 0.954, 0.934, 0.929, 0.961 (0.880, 0.868, 0.867, 0.873 before).
    assert undated["direction_accuracy"] >= 0.92
    assert undated["direction_accuracy_decidable"] >= 0.97
    assert undated["reversed_agency_edges"] == 0  # measured 0
    # Measured 10 reversed rows (0.073 of 137 derivations), all of one kind: an agency's first take said
    # same-outlet from its own later, fuller version, in every one of the 10 version stories (by
    # containment: without dates the shorter text looks derived, but versions grow). A ceiling; the
    # issue's target is 0.
    # Since 67c2e82 (versions grow: the fuller one is the later) measured 0.
    assert undated["reversed_rows"] == 0
    assert undated["originals_given_a_source"] == 0  # measured 0 of 40
    assert undated["sibling_rate"] <= 0.03  # measured 0.000
    assert undated["undetermined_rate"] <= 0.05  # measured 0.022 (3 of 137)


def test_undated_new_cases_and_relations(undated):
    assert _right(undated, "bg-paper") == (10, 10)  # measured 10 of 10
    assert undated["cases"]["bg-agency"]["with_directed_rows"] == 0  # measured 0
    assert _right(undated, "relay-rw")[0] >= 4  # measured 5 of 5
    assert _right(undated, "relay-rw-own")[0] >= 2  # measured 3 of 5 at e0131d3 (0 before: the copy in between)
    assert _right(undated, "ver-client")[0] >= 25  # measured 27 of 27
    assert undated["extent_accuracy"] >= 0.94  # measured 0.975 (116 of 119)
    assert undated["common_source_accuracy"] >= 0.9  # measured 1.000 (10 of 10) since the PA byline credit
    assert undated["same_outlet_accuracy"] >= 0.9  # measured 0.950 (19 of 20)
    assert undated["spurious_independent"] <= 6  # measured 5 of 10; a ceiling


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
