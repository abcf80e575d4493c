"""Derivations: direction, upstream sources and speakers, on the seeds and on small constructed cases."""

import json
import sqlite3

import pytest

from datasette_provenance.load import load_paths

GOLD = json.loads(open(__file__.replace("test_provenance.py", "seed_gold.json")).read())

S = [  # distinct statements, each long enough to be matched
    "The regional council approved a plan to rebuild the flooded harbour district within three years.",
    "Engineers warned that the old sea wall could fail again during the next winter storm season.",
    "The mayor said residents of the lower town would receive temporary housing until the spring.",
    "Fishermen complained that compensation payments had not reached most families in the port.",
    "The national railway announced that the coastal line would reopen for freight traffic in May.",
    "Police closed the main bridge after inspectors found deep cracks in two of its supporting piers.",
]
OWN = [
    "Local cafes reported a sharp rise in visitors from neighbouring villages over the weekend.",
    "A choir from the university performed at the memorial service held in the old cathedral.",
    "Volunteers handed out blankets and hot meals at the sports hall on the northern ring road.",
]


@pytest.fixture(scope="module")
def seeds(seed_db):
    db = sqlite3.connect(seed_db)
    db.row_factory = sqlite3.Row
    yield db
    db.close()


def article(db, name):
    return db.execute("select id from articles where external_id = ?", (name,)).fetchone()[0]


def test_seed_credit_lines_become_attributions(seeds):
    for name, expected in GOLD["expected_sources"].items():
        if name == "about":
            continue
        got = {(r["source_name"], r["phrase"]) for r in seeds.execute(
            "select source_name, phrase from attributions where article_id = ?", (article(seeds, name),))}
        for source, phrase in expected:
            assert any(s == source and phrase in p for s, p in got), (name, source, got)


def test_seed_statements_quote_maria_zakharova(seeds):
    groups = {g["id"]: g for g in GOLD["groups"]}
    for gid in GOLD["expected_speaker"]["groups"]:
        f, snippet = groups[gid]["members"][0]
        aid = article(seeds, f)
        speakers = {r[0] for r in seeds.execute(
            "select c.speaker from clusters c join cluster_members m on m.cluster_id = c.id"
            " join paragraphs p on p.id = m.paragraph_id where m.article_id = ? and instr(p.text, ?) > 0",
            (aid, snippet[:60]))}
        assert speakers == {GOLD["expected_speaker"]["speaker"]}, gid


def test_islam_times_did_not_copy_trt(seeds):
    """Both carry one ministry statement: common-source, not 'copied because TRT was a day earlier'."""
    islam, trt = article(seeds, "001_9b0a0d5c8cd9f5d1.txt"), article(seeds, "000_04a9a5eec5045a67.txt")
    rows = seeds.execute("select * from derivations where derived_article_id = ?", (islam,)).fetchall()
    assert rows and all(r["relation"] == "common-source" for r in rows)
    assert not any(r["source_article_id"] == trt for r in rows)
    row = rows[0]
    assert row["source_name"] == "Maria Zakharova" and row["source_article_id"] is None
    evidence = json.loads(row["evidence"])
    assert trt in evidence["siblings"] and "TASS" in evidence["credits"]
    assert evidence["pairs"][0]["order"] in ("later", "earlier", "tie", "unknown")
    assert row["extent"] == "partially" and 0 < row["shared_chars"]


def test_sputnik_recycles_its_own_background(seeds):
    rows = seeds.execute(
        "select d.*, a.outlet from derivations d join articles a on a.id = d.derived_article_id"
        " where relation = 'same-outlet'").fetchall()
    assert len(rows) == 1 and rows[0]["outlet"] == "Sputnik" and rows[0]["source_name"] == "Sputnik"
    assert json.loads(rows[0]["evidence"])["direction"] == "undetermined"  # 003 has no date


def test_reuse_share(seeds):
    share = dict(seeds.execute("select external_id, reuse_share from articles").fetchall())
    assert share["004_c3f9bbc9b9d1c23b.txt"] == 0
    assert 0.2 < share["001_9b0a0d5c8cd9f5d1.txt"] < 0.8
    assert all(0 <= v <= 1 for v in share.values())


def build(tmp_path, records):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    path = tmp_path / "p.db"
    load_paths(str(path), [str(src)])
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    ids = dict(db.execute("select external_id, id from articles").fetchall())
    rows = db.execute("select * from derivations").fetchall()
    return ids, {(r["derived_article_id"], r["source_article_id"], r["relation"]): r for r in rows}


def text(*parts):
    return "\n\n".join(parts)


def test_credit_decides_direction(tmp_path):
    ids, rows = build(tmp_path, [
        {"id": "a", "outlet": "Reuters", "published": "2022-03-01", "text": text(*S[:4], OWN[0])},
        {"id": "b", "outlet": "Beta", "published": "2022-03-01",
         "text": text(S[0], S[1], "Two ministers resigned over the affair, according to Reuters.", OWN[1])},
    ])
    r = rows[(ids["b"], ids["a"], "copied")]
    assert json.loads(r["evidence"])["decided_by"] == "Beta credits Reuters" and r["confidence"] >= 0.9
    assert not any(k[0] == ids["a"] for k in rows)


def test_publication_order_and_extent(tmp_path):
    ids, rows = build(tmp_path, [
        {"id": "a", "outlet": "Alpha", "published": "2022-03-01", "text": text(*S, *OWN)},
        {"id": "b", "outlet": "Beta", "published": "2022-03-03", "text": text(*S[:5])},
        {"id": "c", "outlet": "Gamma", "published": "2022-03-04", "text": text(
            S[0], "Gamma's own reporter walked the empty promenade at dawn and counted the shuttered shops.",
            "Tourism officials in the capital declined to estimate how long the recovery would take.")},
    ])
    b = rows[(ids["b"], ids["a"], "copied")]
    assert b["extent"] == "wholly"
    assert json.loads(b["evidence"])["time_gap_hours"] == 48
    c = [r for k, r in rows.items() if k[0] == ids["c"]]
    assert len(c) == 1 and c[0]["extent"] == "partially" and c[0]["relation"] == "copied"


def test_same_day_without_asymmetry_is_undetermined(tmp_path):
    ids, rows = build(tmp_path, [
        {"id": "a", "outlet": "Alpha", "published": "2022-03-01", "text": text(S[0], S[1], OWN[0])},
        {"id": "b", "outlet": "Beta", "published": "2022-03-01", "text": text(S[0], S[1], OWN[1])},
    ])
    assert [k[2] for k in rows] == ["undetermined"]
    assert json.loads(next(iter(rows.values()))["evidence"])["order"] == "tie"


def test_copy_of_a_copy_names_its_direct_source(tmp_path):
    ids, rows = build(tmp_path, [
        {"id": "a", "outlet": "Alpha", "published": "2022-03-01T08:00Z", "text": text(*S, OWN[0])},
        {"id": "b", "outlet": "Beta", "published": "2022-03-01T10:00Z", "text": text(*S[:4], OWN[1])},
        {"id": "c", "outlet": "Gamma", "published": "2022-03-01T12:00Z", "text": text(*S[:3], OWN[2])},
    ])
    c = {k for k in rows if k[0] == ids["c"]}
    assert c == {(ids["c"], ids["b"], "copied")}
    assert (ids["b"], ids["a"], "copied") in rows
