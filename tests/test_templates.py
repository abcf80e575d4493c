"""An outlet's templates are lines it repeats across unrelated stories, not the versions of one story.

The fixture is a wire desk's day: the Baltic News Agency files a ferry disaster in four versions
within six hours (a first take, a write-through, an update with a new top and new figures, a full
version), sharing their lead, the spokesman's paragraph and three background paragraphs. Two
newspapers copy different versions. The agency ends every story, the versions and three unrelated
ones on other days, with its house line; the Riverside Herald ends its stories (the copy, a local
story and a two-line brief) with its subscription footer.
"""

from __future__ import annotations

import json
import random
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from datasette_provenance.load import load_paths

from test_crash_safety import snapshot

AGENCY, HERALD, TIMES = "Baltic News Agency", "Riverside Herald", "Coastal Times"
HOUSE = ("Editors' note: the Baltic News Agency publishes its stories in English, Latvian, Lithuanian and "
         "Estonian; photographs of this story are available from the picture desk in Riga.")
FOOTER = ("The Riverside Herald has covered the Danube valley since 1921. Subscribe for unlimited access at "
          "riversideherald.example/subscribe.")
TIPS = ("Readers of the Coastal Times can send their news tips and photographs to the newsroom through the "
        "form on our website.")
DATELINE = "VARNA, Bulgaria, March 14 (BNA) - "
BRIDGE = ("The old Danube bridge will be closed to cars and lorries until the end of May for urgent repairs to its "
          "deck, the town hall said.")

LEAD = ("At least 12 people were killed when a passenger ferry carrying more than 200 people capsized off the "
        "Bulgarian port of Varna early on Tuesday, the coastguard said.")
RESCUE = ("Rescue boats and two navy helicopters were searching the cold water for survivors, coastguard "
          "spokesman Ivan Petrov told reporters at the harbour.")
SHIP = ("The Morning Star, a 30-year-old vessel registered in Malta, had left the Turkish port of Zonguldak "
        "late on Monday and was due to dock in Varna at dawn.")
OPERATOR = ("Its operator, Black Sea Lines, said in a statement that the ship had passed a safety inspection in "
            "January and that it was cooperating fully with the investigation.")
STORM = ("Ferry accidents are rare in the Black Sea, but a storm warning had been in force along the Bulgarian "
         "coast since Sunday evening.")
MOURNING = ("Prime Minister Nikolai Denkov called an emergency meeting of the government and declared Wednesday "
            "a day of national mourning.")
BACKGROUND = [SHIP, OPERATOR, STORM]

VERSIONS = {  # first take, write-through, update (new top, new figures), full version
    "bna-ferry-1": ("2023-03-14T09:12:00Z", "URGENT: Ferry capsizes off Varna, at least 12 dead",
                    [DATELINE + LEAD, RESCUE]),  # a first take goes out bare
    "bna-ferry-2": ("2023-03-14T10:05:00Z", "Ferry capsizes off Bulgarian coast, at least 12 dead",
                    [DATELINE + LEAD, RESCUE,
                     '"The sea was very rough overnight and the ferry seems to have turned over within minutes," '
                     "Petrov said, adding that 87 people had been pulled from the water alive.",
                     *BACKGROUND, HOUSE]),
    "bna-ferry-3": ("2023-03-14T12:40:00Z", "Death toll in Bulgarian ferry disaster rises to 27",
                    [DATELINE + "The death toll from the capsizing of a passenger ferry off the Bulgarian port of "
                     "Varna rose to 27 on Tuesday, with dozens of people still missing, the coastguard said.",
                     RESCUE,
                     '"We are still hoping to find people alive, but with every hour the chances are getting '
                     'smaller," Petrov said. He said 94 people had been rescued so far.',
                     *BACKGROUND, MOURNING, HOUSE]),
    "bna-ferry-4": ("2023-03-14T15:30:00Z", "Bulgaria mourns as ferry death toll reaches 31",
                    [DATELINE + "Bulgaria declared a day of national mourning on Wednesday after at least 31 people "
                     "died when a passenger ferry capsized in a storm off the port of Varna, in the country's worst "
                     "maritime disaster in decades.",
                     MOURNING,
                     "Rescue boats and two navy helicopters searched the cold water for survivors throughout the "
                     "day, and 96 people were pulled from the sea alive, coastguard spokesman Ivan Petrov said.",
                     *BACKGROUND,
                     "Relatives of the passengers gathered at the harbour in Varna, where the authorities set up a "
                     "tent with psychologists and lists of the rescued.",
                     "Prosecutors have opened an investigation into possible negligence, a spokeswoman for the "
                     "prosecutor general's office said.",
                     HOUSE]),
}
AGENCY_OTHER = {  # the agency's unrelated stories, other days, the same house line
    "bna-vote": ("2023-02-02T08:30:00Z", "Latvian parliament approves new coalition government", [
        "RIGA, Feb 2 (BNA) - Latvia's parliament approved a three-party coalition government led by Prime Minister "
        "Krisjanis Karins on Thursday, ending two months of negotiations after the October election.",
        "The new cabinet won the support of 54 of the 100 lawmakers, with the nationalist opposition voting "
        "against it.",
        "Karins said his government's first task would be a budget that raises defence spending to 2.5 % of "
        "economic output next year.",
        HOUSE]),
    "bna-grain": ("2023-02-20T13:10:00Z", "Grain exports through Baltic ports hit record", [
        "KLAIPEDA, Lithuania, Feb 20 (BNA) - Grain shipments through the port of Klaipeda reached a record 4.1 "
        "million tonnes last year as traders sought routes around the war in Ukraine, the port authority said.",
        "Most of the wheat and barley came by rail from Belarus and Poland and was loaded for buyers in North "
        "Africa and the Middle East.",
        "The authority plans to build a second grain terminal by 2026 and has asked the government for state "
        "guarantees to finance it.",
        HOUSE]),
    "bna-court": ("2023-03-03T16:45:00Z", "Estonian court jails former minister for bribery", [
        "TALLINN, March 3 (BNA) - An Estonian court sentenced former economy minister Taavi Aas to three years in "
        "prison on Friday for taking bribes from a construction company in exchange for state contracts.",
        "The judge said the evidence, including recorded telephone calls, left no doubt that Aas had abused his "
        "office for personal gain.",
        "His lawyer said the former minister would appeal the verdict to the circuit court within two weeks.",
        HOUSE]),
}
HERALD_STORIES = {
    "herald-ferry": ("2023-03-14T11:00:00Z", "Dozens feared dead as ferry sinks off Bulgaria", [
        "A ferry with more than 200 people on board has sunk in the Black Sea, in the latest disaster to hit "
        "shipping in the region this winter.",
        LEAD, RESCUE, *BACKGROUND, FOOTER]),
    "herald-flood": ("2023-02-10T07:00:00Z", "Council approves new flood wall for the old town", [
        "The town council voted on Thursday to build a two-kilometre flood wall along the Danube embankment, "
        "three years after the river flooded the old town.",
        "The wall will cost 14 million euros, two thirds of it paid by the European Union, and should be finished "
        "before the spring floods of 2025.",
        "Shop owners on the embankment said they welcomed the decision but feared months of road closures.",
        FOOTER]),
    "herald-brief": ("2023-02-25T18:20:00Z", "Market moves", [
        "The Saturday farmers' market moves to the station square for the summer, the town said.",
        FOOTER]),
    # A web item on Friday evening opens Sunday's print story: one story, 36 hours apart.
    "herald-web": ("2023-03-03T19:00:00Z", "Old bridge closed for repairs", [BRIDGE]),
    "herald-bridge": ("2023-03-05T07:00:00Z", "Old bridge to stay closed until May", [
        BRIDGE,
        "Engineers found cracks in two of the steel girders that carry the deck during a routine inspection "
        "on Thursday, the town's chief engineer told the Herald.",
        "Buses will cross the river on the new motorway bridge instead, adding about ten minutes to the journey "
        "from the station to the hospital.",
        FOOTER]),
}
TIMES_STORIES = {
    "times-ferry": ("2023-03-14T17:10:00Z", "Ferry disaster: Bulgaria declares national mourning", [
        "Bulgaria declared a day of national mourning on Wednesday after at least 31 people died when a passenger "
        "ferry capsized in a storm off the port of Varna, in the country's worst maritime disaster in decades.",
        SHIP, STORM,
        "Our correspondent on the coast reports that ferries to Varna and Burgas stayed in port all afternoon "
        "as the storm continued.",
        "Relatives of the passengers gathered at the harbour in Varna, where the authorities set up a tent with "
        "psychologists and lists of the rescued.",
        TIPS]),
    "times-brief": ("2023-03-02T12:00:00Z", "Harbour fees", [  # the footer is most of this brief
        "Burgas raised its harbour fees for yachts by a fifth.",
        TIPS]),
}


def records() -> list[dict]:
    out = []
    for outlet, stories in ((AGENCY, VERSIONS), (AGENCY, AGENCY_OTHER), (HERALD, HERALD_STORIES),
                            (TIMES, TIMES_STORIES)):
        for ext, (published, title, paragraphs) in stories.items():
            out.append({"id": ext, "outlet": outlet, "published": published, "title": title,
                        "text": "\n\n".join(paragraphs)})
    return out


def load(folder: Path, order: list[str], one_at_a_time: bool = False) -> Path:
    """Load the fixture in ``order`` (external ids): at once, or as separate loads."""
    by_id = {r["id"]: r for r in records()}
    db = folder / "corpus.db"
    files = []
    for i, chunk in enumerate([[x] for x in order] if one_at_a_time else [order]):
        path = folder / f"part{i:02d}.jsonl"
        path.write_text("".join(json.dumps(by_id[x]) + "\n" for x in chunk), "utf-8")
        files.append(path)
    for path in files if one_at_a_time else [files[0]]:
        assert load_paths(str(db), [str(path)]).errors == []
    return db


def templates(db: Path) -> set[tuple[str, str]]:
    """(external id, sentence text) of every sentence flagged an outlet's template."""
    with closing(sqlite3.connect(db)) as conn:
        return set(conn.execute(
            "select a.external_id, substr(p.text, s.start + 1, s.\"end\" - s.start) from sentences s"
            " join paragraphs p on p.id = s.paragraph_id join articles a on a.id = s.article_id"
            " where s.kind = 'template'").fetchall())


def clustered_with(db: Path, ext: str, text: str) -> set[str]:
    """The articles sharing a cluster with the passage of ``ext`` that holds ``text``."""
    with closing(sqlite3.connect(db)) as conn:
        ids = {c for (c,) in conn.execute(
            "select m.cluster_id from cluster_members m join paragraphs p on p.id = m.paragraph_id"
            " join articles a on a.id = m.article_id where a.external_id = ? and instr(p.text, ?) > 0", (ext, text))}
        return {x for c in ids for (x,) in conn.execute(
            "select distinct a.external_id from cluster_members m join articles a on a.id = m.article_id"
            " where m.cluster_id = ?", (c,))} - {ext}


ORDER = [r["id"] for r in records()]
FOOTER_SENTENCES = ["The Riverside Herald has covered the Danube valley since 1921.",
                    "Subscribe for unlimited access at riversideherald.example/subscribe."]
HOUSE_LINES = ({(x, HOUSE) for x in [*VERSIONS, *AGENCY_OTHER] if x != "bna-ferry-1"}
               | {(x, s) for x in HERALD_STORIES if x != "herald-web" for s in FOOTER_SENTENCES}
               | {(x, TIPS) for x in TIMES_STORIES})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return load(tmp_path_factory.mktemp("templates"), ORDER)


def test_story_versions_are_not_templates(corpus):
    """The versions share their lead, the spokesman's paragraph and the background within hours:
    a story told again, not a line the agency puts under every story."""
    flagged = templates(corpus)
    assert {x for x, t in flagged if x in VERSIONS} == set(VERSIONS) - {"bna-ferry-1"}  # their house line
    assert not {(x, t) for x, t in flagged if x in VERSIONS and t != HOUSE}, sorted(flagged)


def test_first_take_and_update_hours_apart_are_one_story(corpus):
    """The first take and the 12:40 update share only the spokesman's paragraph, second in both (an
    edge): little else, but three and a half hours apart, so not a line under two stories."""
    assert {"bna-ferry-2", "bna-ferry-3", "herald-ferry"} <= clustered_with(corpus, "bna-ferry-1", RESCUE)


def test_newspapers_cluster_with_the_versions_they_copied(corpus):
    # The Herald took the write-through (10:05), the Times the full version (15:30).
    for sentence in [LEAD, RESCUE, *BACKGROUND]:
        assert "bna-ferry-2" in clustered_with(corpus, "herald-ferry", sentence), sentence[:40]
    for sentence in [SHIP, STORM, "Relatives of the passengers gathered", "Bulgaria declared a day of national"]:
        assert "bna-ferry-4" in clustered_with(corpus, "times-ferry", sentence), sentence[:40]


def test_a_web_item_inside_a_later_print_story_is_not_a_template(corpus):
    """Friday's one-paragraph web item opens Sunday's print story, 36 hours later: the paragraph is
    at an edge of both and the web item has nothing else, but it lies wholly inside the story."""
    assert clustered_with(corpus, "herald-web", BRIDGE) == {"herald-bridge"}


def test_house_lines_and_footers_are_the_templates(corpus):
    """The agency's house line (under the versions and unrelated stories of other days), the
    Herald's footer (under a copy, a local story, a brief and the print story) and the Times' (under
    its copy and a brief it makes most of) are templates, and nothing else is."""
    assert templates(corpus) == HOUSE_LINES
    for ext, line in HOUSE_LINES:
        assert clustered_with(corpus, ext, line) == set(), (ext, line)


@pytest.mark.parametrize("how", ["reversed", "one at a time", "newspapers first, one at a time"])
def test_same_templates_and_clusters_in_any_load_order(tmp_path, corpus, how):
    order = {"reversed": ORDER[::-1], "one at a time": ORDER,
             "newspapers first, one at a time": [x for x in ORDER if not x.startswith("bna")]
             + [x for x in ORDER if x.startswith("bna")][::-1]}[how]
    db = load(tmp_path, order, one_at_a_time=how != "reversed")
    assert templates(db) == templates(corpus) == HOUSE_LINES
    assert snapshot(db) == snapshot(corpus)  # the same clusters and derivations


GAZETTE = "Harbour Gazette"
GAZETTE_LINE = ("The Harbour Gazette is printed in Port Ellis every morning except Sunday; letters to the editor are"
                " welcome at the address on page two.")


def gazette_records(n: int = 24) -> list[dict]:
    """``n`` unrelated Gazette stories on ``n`` days, each closed by the Gazette's line, and one
    undated one: words drawn from a made-up vocabulary, so the stories share nothing else."""
    rng = random.Random(7)
    vocabulary = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(600)]
    out = []
    for i in range(n + 1):
        story = [" ".join(rng.choice(vocabulary) for _ in range(14)).capitalize() + "." for _ in range(4)]
        out.append({"id": f"gazette-{i:02d}", "outlet": GAZETTE,
                    "published": None if i == n else f"2024-01-{i + 1:02d}T08:00:00Z",
                    "text": "\n\n".join(story + [GAZETTE_LINE])})
    return out


def line_links(db: Path) -> set[frozenset[str]]:
    """The article pairs whose copies of the Gazette's line are linked."""
    with closing(sqlite3.connect(db)) as conn:
        return {frozenset(r) for r in conn.execute(
            "select a.external_id, b.external_id from links l"
            " join sentences sa on sa.id = l.sentence_a join paragraphs pa on pa.id = sa.paragraph_id"
            " join articles a on a.id = sa.article_id"
            " join sentences sb on sb.id = l.sentence_b join paragraphs pb on pb.id = sb.paragraph_id"
            " join articles b on b.id = sb.article_id"
            " where pa.text = ? and pb.text = ?", (GAZETTE_LINE, GAZETTE_LINE))}


def test_an_outlets_line_in_every_story_is_linked_to_its_nearest_copies_only(tmp_path):
    """A house line under 24 dated stories is linked to the 8 nearest earlier copies (``max_outlet_bucket``),
    not in all 276 pairs, is still found to be a template in every story, and the pairs do not depend
    on the load order: a story loaded late between two others parts their link."""
    records = gazette_records()
    first = tmp_path / "in_order.db"
    path = tmp_path / "gazette.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), "utf-8")
    assert load_paths(str(first), [str(path)]).errors == []
    links = line_links(first)
    dated = [r["id"] for r in records if r["published"]]
    nearest = {frozenset((a, b)) for i, a in enumerate(dated) for b in dated[max(0, i - 8):i]}
    assert len(nearest) == 8 * 24 - 36  # the first eight have fewer before them
    # The undated copy is of no place among them: the bucket's heads pair it, as across outlets.
    assert links == nearest | {frozenset((a, "gazette-24")) for a in dated}
    with closing(sqlite3.connect(first)) as conn:
        kinds = dict(conn.execute("select a.external_id, s.kind from sentences s join paragraphs p on"
                                  " p.id = s.paragraph_id join articles a on a.id = s.article_id where p.text = ?",
                                  (GAZETTE_LINE,)))
    assert set(kinds) == {r["id"] for r in records} and set(kinds.values()) == {"template"}
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    again = tmp_path / "shuffled.db"
    for i in range(0, len(shuffled), 3):
        part = tmp_path / f"part{i:02d}.jsonl"
        part.write_text("".join(json.dumps(r) + "\n" for r in shuffled[i:i + 3]), "utf-8")
        assert load_paths(str(again), [str(part)]).errors == []
    assert line_links(again) == links and snapshot(again) == snapshot(first)
