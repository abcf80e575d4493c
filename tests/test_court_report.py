"""A court report as the papers take it from the agency (issue 15, item 3: merged, split and trimmed
sentences), written the way sub-editors rewrite agency copy rather than by a generator: a tabloid
rewrites the lead, merges two sentences, trims the quotes and adds its own; a broadsheet edits lightly,
adds context and joins two quotes; a reporter at the hearing writes an own report that shares only the
judge's words. Every sentence of the papers is labelled with what it took from the agency (``TAKEN``),
so reused characters are counted the way the held-out wire corpus counts them: the share of each paper's
taken sentences in a cluster with the agency, and of its own sentences in one."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from contextlib import closing

import pytest

from datasette_provenance.load import load_paths

AGENCY = [
    "A former hospital porter who stole more than £40,000 from elderly patients over six years was jailed for"
    " three years today.",
    "Derek Hollis, 52, took cash and bank cards from the bedside lockers of patients at St Mary's Hospital in"
    " Kettering while they slept, Northampton Crown Court heard.",
    "Prosecutor Anne Whitcombe said Hollis targeted patients who were too frail or confused to notice that their"
    " belongings had gone.",
    '"He chose his victims with care, picking those least able to protect themselves," she told the court.',
    "Police were alerted in March last year when a nurse saw Hollis leaving a ward with a purse that belonged to an"
    " 87-year-old woman.",
    "Officers later found 23 bank cards in the names of former patients hidden in the loft of his home in Corby.",
    "Hollis, who had worked at the hospital since 1994, admitted 14 counts of theft and asked for 31 others to be"
    " taken into consideration.",
    "Defending, Michael Barnes said his client had run up gambling debts after the breakdown of his marriage and"
    " was deeply ashamed.",
    'Sentencing him, Judge Peter Grainger said: "You abused a position of trust in the most callous way imaginable.',
    '"Your victims were among the most vulnerable people in our society, and you robbed them of their savings and'
    ' their peace of mind."',
    "The hospital trust said it had reviewed its security procedures and apologised to the families affected.",
]
# (sentence, taken from the agency): each a paragraph of its own unless joined with " " in one string
TABLOID = [
    ("A HEARTLESS hospital porter who preyed on sleeping pensioners was behind bars last night.", False),
    ("Derek Hollis, 52, stole more than £40,000 from elderly patients over six years, raiding their bedside"
     " lockers for cash and bank cards while they slept.", True),  # the lead and the second sentence merged
    ("The callous thief chose patients who were too frail or confused to notice their belongings had gone,"
     " Northampton Crown Court heard.", True),
    ('Prosecutor Anne Whitcombe said: "He chose his victims with care, picking those least able to protect'
     ' themselves."', True),
    ("He was caught when a nurse spotted him leaving a ward with the purse of an 87-year-old woman, and cops later"
     " found 23 bank cards belonging to ex-patients stashed in his loft in Corby.", True),  # two merged
    ('Judge Peter Grainger told him: "You abused a position of trust in the most callous way imaginable."', True),
    ("Last night the daughter of one victim said: \"Mum never trusted anyone again after this. I hope he rots.\"",
     False),
]
BROADSHEET = [
    ("A hospital porter who stole more than £40,000 from elderly patients over six years has been jailed for three"
     " years.", True),
    ("Derek Hollis, 52, took cash and bank cards from the bedside lockers of patients at St Mary's Hospital,"
     " Kettering, while they slept, Northampton Crown Court was told.", True),
    ("Hollis targeted patients who were too frail or confused to notice that their belongings were missing, the"
     " prosecutor, Anne Whitcombe, said.", True),
    ("The case is the latest in a series of thefts from NHS wards that have prompted calls for tighter vetting of"
     " hospital staff, which a review ordered by the Health Secretary is due to report on next month.", False),
    ("Police were alerted last March when a nurse saw Hollis leaving a ward with a purse belonging to an"
     " 87-year-old woman.", True),
    ("Officers found 23 bank cards in the names of former patients hidden in the loft of his home in Corby.", True),
    ("Hollis, who had worked at the hospital since 1994, admitted 14 counts of theft and asked for 31 others to be"
     " considered.", True),
    ('Judge Peter Grainger said: "You abused a position of trust in the most callous way imaginable. Your victims'
     ' were among the most vulnerable people in our society, and you robbed them of their savings and their'
     ' peace of mind."', True),  # two quoted sentences joined in one paragraph
    ("The hospital trust has apologised to the families.", True),  # a clause cut from a longer sentence
]
OWN_REPORT = [
    ("Patients at a Northamptonshire hospital were robbed as they slept by a porter who fed his gambling habit"
     " with their savings, a court was told yesterday.", False),
    ("Derek Hollis spent six years working his way through the lockers of St Mary's in Kettering before a nurse"
     " became suspicious.", False),
    ("The 52-year-old, from Corby, was sentenced to three years in prison at Northampton Crown Court.", False),
    ("Families of the victims, some of whom have since died, sat in the public gallery as the case was heard.",
     False),
    ('Judge Peter Grainger said: "You abused a position of trust in the most callous way imaginable."', True),
    ("Outside court, Detective Constable Sarah Lyle said the investigation had taken more than a year and involved"
     " tracing relatives of more than 40 patients.", False),
    ("The trust that runs the hospital said staff now carry photo identification at all times and lockers have"
     " been fitted with key codes.", False),
]
PAPERS = {"tabloid": ("The Sun", TABLOID), "broadsheet": ("The Times", BROADSHEET),
          "own-report": ("The Independent", OWN_REPORT)}


def _load(folder, agency_outlet="PA Media", agency_published="2001-05-03T09:10"):
    records = [{"id": "agency", "outlet": agency_outlet, "published": agency_published, "text": "\n\n".join(AGENCY)}]
    records += [{"id": name, "outlet": outlet, "published": "2001-05-03", "text": "\n\n".join(s for s, _ in lines)}
                for name, (outlet, lines) in PAPERS.items()]
    (folder / "court.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    db = str(folder / "court.db")
    load_paths(db, [str(folder / "court.jsonl")])
    with closing(sqlite3.connect(db)) as conn:
        ids = dict(conn.execute("select external_id, id from articles"))
        spans = conn.execute("""
            select m.article_id, m.cluster_id, p.start + m.start, p.start + m."end" from cluster_members m
            join paragraphs p on p.id = m.paragraph_id""").fetchall()
        rows = conn.execute("select derived_article_id, source_article_id, relation, extent from derivations").fetchall()
        firsts = conn.execute("select first_article_id, text, first_published from clusters").fetchall()
    return ids, spans, rows, firsts


@pytest.fixture(scope="module")
def court(tmp_path_factory):
    return _load(tmp_path_factory.mktemp("court"))


def _with_agency(ids, spans, name):
    """Character offsets of the paper ``name`` in a cluster that the agency's story is in."""
    agency = {c for a, c, _, _ in spans if a == ids["agency"]}
    return {i for a, c, s, e in spans if a == ids[name] and c in agency for i in range(s, e)}


def _shares(name, covered):
    """(share of the taken sentences' characters covered, share of the own sentences' characters covered)."""
    text, start, counts = "\n\n".join(s for s, _ in PAPERS[name][1]), 0, {True: [0, 0], False: [0, 0]}
    for sentence, taken in PAPERS[name][1]:
        start = text.index(sentence, start)
        counts[taken][0] += sum(1 for i in range(start, start + len(sentence)) if i in covered)
        counts[taken][1] += len(sentence)
    return tuple(c / t if t else 0.0 for c, t in (counts[True], counts[False]))


def _planted_share(name):
    lines = PAPERS[name][1]
    return sum(len(s) for s, taken in lines if taken) / sum(len(s) for s, _ in lines)


@pytest.mark.parametrize("name, taken_floor", [("broadsheet", 0.9), ("tabloid", 0.85), ("own-report", 0.9)])
def test_what_each_paper_took_from_the_agency_is_in_its_clusters_and_nothing_of_its_own(court, name, taken_floor):
    # Measured: broadsheet 0.999, tabloid 0.951, own report 1.0 (of its one sentence taken: the judge's words).
    ids, spans, _, _ = court
    taken, own = _shares(name, _with_agency(ids, spans, name))
    assert taken >= taken_floor
    assert own == 0.0


def test_each_paper_is_traced_to_the_agency_and_the_own_report_shares_no_more_than_the_judge(court):
    ids, spans, rows, _ = court
    by_paper = {d: {(s, r, e) for x, s, r, e in rows if x == d} for d in ids.values()}
    for name in ("broadsheet", "tabloid"):  # wholly: 70 % or more of the text taken (0.84 and 0.78 planted)
        assert by_paper[ids[name]] == {(ids["agency"], "copied", "wholly" if _planted_share(name) >= 0.7 else
                                        "partially")}
    assert by_paper[ids["own-report"]] <= {(ids["agency"], "copied", "partially")}
    assert not by_paper[ids["agency"]]
    judge = {c for a, c, _, _ in spans if a == ids["own-report"]}
    assert len(judge) == 1  # the one sentence the hearing gave every reporter


def test_without_a_known_agency_or_an_order_the_tabloid_is_traced_to_the_story_it_took(tmp_path):
    """The agency is a name no role list knows and everything is of one day: no rule orders the tabloid
    against the story, and the judge's words it shares with the own report, in other wordings, read as
    his statement to both. That pair's verdict does not keep the tabloid from the original: the story has
    everything the tabloid shares with anyone and more, which the broadsheet took (the rule of a family
    of copies, confidence 0.5), and the story, carrying the judge's words too, explains them."""
    ids, _, rows, _ = _load(tmp_path, agency_outlet="Harbour Wire", agency_published="2001-05-03")
    tabloid = {(s, r) for x, s, r, _ in rows if x == ids["tabloid"]}
    assert tabloid == {(ids["agency"], "copied")}
    assert {(s, r) for x, s, r, _ in rows if x == ids["broadsheet"]} == {(ids["agency"], "copied")}


def test_the_agency_timed_that_day_is_the_first_wording_of_every_statement(court):
    """The papers are dated to the day, the agency's copy to the minute: no order between them, and each
    statement's first wording (its label on every page) is the agency's, as the derivations have it."""
    ids, _, _, firsts = court
    assert firsts and all(first == ids["agency"] for first, _, _ in firsts)
    assert all(any(text in sentence for sentence in AGENCY) for _, text, _ in firsts)
    assert {published for _, _, published in firsts} == {"2001-05-03T09:10:00"}  # its date, not a paper's


# Three papers word the defence's plea (AGENCY[7]) each their own way. Two of them link to each other as well as
# to the agency (Jaccard 0.52 and 0.50 to it, 0.36 to each other); the third's wording links to the agency's alone
# (0.37; 0.21 and 0.27 to the other two), so average linkage leaves it out of the statement's cluster.
PLEA = {"evening": "Michael Barnes, defending, said Hollis had run up gambling debts after his marriage broke down and"
                   " was deeply ashamed.",
        "morning": "His barrister Michael Barnes told the court that the porter was deeply ashamed and had run up"
                   " gambling debts after the breakdown of his marriage.",
        "regional": "Defending, Mr Barnes said the father of two had run up debts at the bookmakers after the breakdown"
                    " of his marriage."}
REGIONAL_OWN = [
    "St Mary's has been at the centre of a row over ward security in Kettering since the thefts came to light.",
    "Councillors on the borough's health scrutiny panel will question the hospital's chief executive next week.",
    "Relatives of patients on the Cranford and Brampton wards told the Chronicle they were never told of the thefts.",
    "One woman, whose late father lost his wedding ring, said the family had only learned of it from the police.",
    "The hospital's league of friends has set up a fund to replace what was taken from the patients who are alive.",
]


SISTER_OWN = [
    "Corby councillors said the town had lost its best-known hospital volunteer when the story broke.",
    "The Telegraph understands the trust has since ended its contract with the agency that vetted porters.",
    "A collection for the patients who lost their savings has raised more than four thousand pounds.",
]
SISTER_PLEA = ("Defending, Mr Barnes said the father of two had run up heavy debts at the bookmakers after the"
               " breakdown of his marriage.")


def _plea_in_agency_cluster(folder, taken, sister=None):
    """Whether the regional paper's wording of the plea is in a cluster with the agency's, when the paper took
    the agency sentences ``taken`` word for word beside its own reporting, and the share of the paper the
    alignment with the agency covers. ``sister``: the agency sentences a sister paper took, beside its own
    lines, with the plea in nearly the regional paper's words; then also whether its plea is there."""
    records = [{"id": "agency", "outlet": "PA Media", "published": "2001-05-03T09:10", "text": "\n\n".join(AGENCY)},
               {"id": "evening", "outlet": "Evening Post", "published": "2001-05-03",
                "text": "\n\n".join(AGENCY[:4] + [PLEA["evening"]])},
               {"id": "morning", "outlet": "Morning Star", "published": "2001-05-03",
                "text": "\n\n".join(AGENCY[1:2] + AGENCY[4:7] + [PLEA["morning"]])},
               {"id": "regional", "outlet": "Kettering Chronicle", "published": "2001-05-03",
                "text": "\n\n".join(REGIONAL_OWN[:2] + [AGENCY[n] for n in taken] + REGIONAL_OWN[2:]
                                    + [PLEA["regional"]])}]
    if sister is not None:
        records.append({"id": "sister", "outlet": "Corby Telegraph", "published": "2001-05-03",
                        "text": "\n\n".join([AGENCY[n] for n in sister] + SISTER_OWN + [SISTER_PLEA])})
    (folder / "plea.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    load_paths(str(folder / "plea.db"), [str(folder / "plea.jsonl")])
    with closing(sqlite3.connect(folder / "plea.db")) as conn:
        ids = dict(conn.execute("select external_id, id from articles"))
        covered = conn.execute("select covered_a, covered_b from alignments where article_a = ? and article_b = ?",
                               sorted((ids["agency"], ids["regional"]))).fetchone()

        def together(name, plea):
            return conn.execute("""
                select count(*) from cluster_members m join paragraphs p on p.id = m.paragraph_id
                where m.article_id = ? and p.text like ? and m.cluster_id in (
                    select m2.cluster_id from cluster_members m2 join paragraphs p2 on p2.id = m2.paragraph_id
                    where m2.article_id = ? and p2.text like 'Defending, Michael Barnes%')""",
                                (ids[name], plea[:40] + "%", ids["agency"])).fetchone()[0] > 0

        share = covered[1] if ids["agency"] < ids["regional"] else covered[0]
        if sister is None:
            return share, together("regional", PLEA["regional"])
        return share, together("regional", PLEA["regional"]), together("sister", SISTER_PLEA)


def test_a_papers_own_wording_of_an_agency_sentence_joins_its_cluster_where_it_took_three_sentences(tmp_path):
    """A regional paper takes two agency sentences word for word and words the plea its own way, beside more of
    its own reporting (the alignment covers under half of it): three sentences that pass on their own are a copy
    in part, and its plea is the agency's statement (``clusters.JOIN_ANCHORS_PARTLY``). With one sentence taken,
    a loose match beside a text of its own stays out, as before."""
    share, joined = _plea_in_agency_cluster(tmp_path, taken=(1, 4))
    assert share < 0.5 and joined
    (tmp_path / "one").mkdir()
    share, joined = _plea_in_agency_cluster(tmp_path / "one", taken=(1,))
    assert share < 0.5 and not joined


# The agency's lead of the arrest in one sentence (AGENCY[4] and [5] joined); two papers reword it whole, a third
# splits it, copying the first half and rewording the second, which links to the agency's sentence alone (Jaccard
# 0.38, 0.88 of it inside the agency's; the rewordings cut or reword that half).
ARREST = ("Police were alerted in March last year when a nurse saw Hollis leaving a ward with a purse that belonged to"
          " an 87-year-old woman, and officers searching his home in Corby later found 23 bank cards in the names of"
          " former patients hidden in the loft.")
SPLIT = {
    "agency": AGENCY[:2] + [ARREST, AGENCY[6], AGENCY[10]],
    "times": ["A hospital porter who robbed elderly patients of more than £40,000 over six years has been jailed for"
              " three years.",
              "Derek Hollis, 52, took cash and bank cards from the bedside lockers of sleeping patients at St Mary's"
              " Hospital in Kettering, Northampton Crown Court heard.",
              "He was caught in March last year when a nurse saw him leaving a ward with a purse that belonged to an"
              " 87-year-old woman, and police then searched his house.",
              "The trust apologised to the families."],
    "mail": ["Derek Hollis, 52, a porter, took cash and bank cards from the bedside lockers of patients at St Mary's"
             " Hospital in Kettering as they slept, a court heard.",
             "Police were called in March last year after a nurse spotted Hollis on a ward with a purse belonging to an"
             " 87-year-old patient.",
             "He admitted 14 counts of theft at Northampton Crown Court."],
    "sun": [AGENCY[0].replace("today", "yesterday"), AGENCY[1], AGENCY[4],
            "Officers who searched his home in Corby later found 23 bank cards in the names of former patients hidden"
            " in the loft.",
            "Hollis, who had worked at the hospital since 1994, admitted 14 counts of theft."],
}


def test_a_sentence_a_paper_split_in_two_is_one_passage_with_the_agencys(tmp_path):
    """The second half is linked to the agency's sentence only, so average linkage leaves it alone, and its
    article is in the cluster already through the first half: a second piece, which joins only beside the other
    and holding another part of the centre (``clusters.OTHER_HALF``). Before, the paper's passage was half the
    sentence it took."""
    outlets = {"agency": "PA Media", "times": "The Times", "mail": "Daily Mail", "sun": "The Sun"}
    (tmp_path / "split.jsonl").write_text("".join(
        json.dumps({"id": k, "outlet": outlets[k], "published": "2001-05-03T09:10" if k == "agency" else "2001-05-04",
                    "text": "\n\n".join(v)}) + "\n" for k, v in SPLIT.items()))
    load_paths(str(tmp_path / "split.db"), [str(tmp_path / "split.jsonl")])
    with closing(sqlite3.connect(tmp_path / "split.db")) as conn:
        ids = dict(conn.execute("select external_id, id from articles"))
        text = dict(conn.execute("select id, text from articles"))
        members = conn.execute("""
            select m.cluster_id, p.start + m.start, p.start + m."end", m.article_id from cluster_members m
            join paragraphs p on p.id = m.paragraph_id""").fetchall()
    passages = defaultdict(lambda: defaultdict(list))  # cluster -> article name -> its passages there
    for c, s, e, a in members:
        passages[c][next(k for k, v in ids.items() if v == a)].append(text[a][s:e])
    arrest = [p for p in passages.values() if p["agency"] == [ARREST]]
    assert len(arrest) == 1 and {"times", "mail"} <= set(arrest[0])  # both rewordings are the agency's statement
    assert sorted(arrest[0]["sun"]) == sorted(SPLIT["sun"][2:4])


def test_two_papers_that_word_a_sentence_alike_join_the_agencys_cluster_together(tmp_path):
    """A sister paper words the plea almost as the regional paper does (Jaccard 0.90 between the two, 0.36 and
    0.37 to the agency's, linked to neither of the other papers'): the two pair off, and average linkage keeps the
    pair out of the agency's cluster. Each would join it alone (a link that passes on its own, three sentences taken),
    so the pair joins (``clusters.JOIN_GROUP``); when the sister took one sentence beside its own reporting, it
    would not, and the pair stays apart."""
    _, regional, sister = _plea_in_agency_cluster(tmp_path, taken=(1, 4), sister=(8, 9, 10))
    assert regional and sister
    (tmp_path / "one").mkdir()
    _, regional, sister = _plea_in_agency_cluster(tmp_path / "one", taken=(1, 4), sister=(8,))
    assert not regional and not sister
