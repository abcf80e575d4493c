"""The seed corpus against tests/seed_gold.json: what must be linked, kept apart and credited."""

import json
import sqlite3
from itertools import combinations
from pathlib import Path

import pytest

GOLD = json.loads((Path(__file__).parent / "seed_gold.json").read_text())


@pytest.fixture(scope="module")
def db(seed_db):
    conn = sqlite3.connect(seed_db)
    yield conn
    conn.close()


def article(db, name):
    row = db.execute("select id from articles where external_id = ?", (name,)).fetchone()
    assert row, f"{name} was not loaded"
    return row[0]


def span_of(db, name, snippet):
    """Article-absolute span of a gold snippet, found in the stored paragraphs."""
    aid = article(db, name)
    for start, text in db.execute("select start, text from paragraphs where article_id = ?", (aid,)):
        i = text.find(snippet)
        if i >= 0:
            return aid, start + i, start + i + len(snippet)
    raise AssertionError(f"snippet not found in {name}: {snippet[:40]!r}")


def clusters_at(db, aid, s=None, e=None):
    rows = db.execute(
        'select m.cluster_id, p.start + m.start, p.start + m."end" from cluster_members m'
        " join paragraphs p on p.id = m.paragraph_id where p.article_id = ?",
        (aid,),
    )
    return {c for c, ms, me in rows if s is None or (ms < e and me > s)}


def pairs(section):
    for g in GOLD[section]:
        for (f1, s1), (f2, s2) in combinations(g["members"], 2):
            if f1 != f2:
                yield pytest.param(f1, s1, f2, s2, id=f"{g['id']}:{f1[:3]}~{f2[:3]}")


@pytest.mark.parametrize("f1,s1,f2,s2", list(pairs("groups")))
def test_statement_linked_across_outlets(db, f1, s1, f2, s2):
    assert clusters_at(db, *span_of(db, f1, s1)) & clusters_at(db, *span_of(db, f2, s2))


def group_clusters(db, group):
    return set().union(*(clusters_at(db, *span_of(db, f, s)) for f, s in group["members"]))


@pytest.mark.parametrize(
    "g1,g2",
    [pytest.param(a, b, id=f"{a['id']}|{b['id']}") for a, b in combinations(GOLD["groups"], 2)],
)
def test_distinct_statements_stay_apart(db, g1, g2):
    assert not group_clusters(db, g1) & group_clusters(db, g2)


@pytest.mark.parametrize("name,snippet", GOLD["must_not_link"])
def test_links_to_nothing(db, name, snippet):
    aid = article(db, name)
    mine = clusters_at(db, aid) if snippet == "*" else clusters_at(db, *span_of(db, name, snippet))
    for c in mine:
        others = {a for (a,) in db.execute("select distinct article_id from cluster_members where cluster_id = ?", (c,))}
        assert others == {aid}, f"cluster {c} links {name} to articles {others - {aid}}"


def test_matched_spans_point_into_paragraph_text(db):
    rows = db.execute(
        'select m.start, m."end", length(p.text), s.start, s."end" from cluster_members m'
        " join paragraphs p on p.id = m.paragraph_id join sentences s on s.id = m.sentence_id"
    ).fetchall()
    assert rows
    for start, end, length, s_start, s_end in rows:
        assert 0 <= s_start <= start < end <= s_end <= length


def test_paragraph_offsets_point_into_article_text(db):
    for start, ptext, atext in db.execute(
        "select p.start, p.text, a.text from paragraphs p join articles a on a.id = p.article_id"
    ):
        assert atext[start:start + len(ptext)] == ptext


def test_boilerplate_flagged(db):
    flagged = {t for (t,) in db.execute("select text from paragraphs where boilerplate = 1")}
    assert "Tsunami warning issued as magnitude 6.9 earthquake jolts the Philippines" in flagged
    assert any(t.startswith("Sputnik International feedback@sputniknews.com") for t in flagged)
    assert "SOURCE:AFP" in flagged
    assert not any(t.startswith("Moscow said it was") for t in flagged)


def test_within_article_repeats_are_not_reuse(db):
    """The TRT title appears twice in its own article; that is no cluster."""
    aid = article(db, "000_04a9a5eec5045a67.txt")
    for c in clusters_at(db, aid):
        arts = {a for (a,) in db.execute("select article_id from cluster_members where cluster_id = ?", (c,))}
        assert len(arts) >= 2
