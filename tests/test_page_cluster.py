"""The cluster page: every wording of one statement, word-level differences, timeline, origin."""

from __future__ import annotations

import re
import sqlite3

import pytest
from datasette.app import Datasette

from test_permissions import XSS_OUTLET, build_corpus

from datasette_provenance.pages.cluster import render_diff, word_diff
from datasette_provenance.pages.common import cluster_label


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db):
    return build_corpus(tmp_path_factory.mktemp("corpus"), seed_db)


def cluster_with(db_path, snippet: str) -> int:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            'select m.cluster_id from cluster_members m join paragraphs p on p.id = m.paragraph_id'
            ' where substr(p.text, m.start + 1, m."end" - m.start) like ? group by m.cluster_id', (f"%{snippet}%",)
        ).fetchall()
    finally:
        conn.close()
    assert len(rows) == 1, rows
    return rows[0][0]


def members_html(html: str) -> dict[str, list[str]]:
    """Outlet -> the wording blocks of its members, as HTML."""
    out: dict[str, list[str]] = {}
    for item in re.findall(r'<li class="prov-member.*?</li>', html, re.S):
        outlet = re.search(r'<span class="prov-outlet">(?:<a [^>]*>)?(.*?)<', item, re.S).group(1)
        wording = re.search(r'<blockquote class="prov-wording">(.*?)</blockquote>', item, re.S).group(1)
        out.setdefault(outlet, []).append(wording)
    return out


@pytest.mark.asyncio
async def test_ready_to_cooperate_wordings_side_by_side(corpus):
    cid = cluster_with(corpus, "ready to cooperate with all interested countries")
    ds = Datasette([str(corpus)])
    r = await ds.client.get(f"/corpus/-/provenance/cluster/{cid}")
    assert r.status_code == 200
    members = members_html(r.text)
    assert {"TRT World", "Islam Times", "Sputnik"} <= set(members)
    # TRT World is the earliest: its wording is marked where later ones share it.
    assert "<mark>Moscow says it is &#34;ready to cooperate" in members["TRT World"][0]
    # Islam Times translated the opening differently: the earliest words deleted, its own inserted.
    islam = members["Islam Times"][0]
    assert "<del>Moscow says it is &#34;ready to cooperate</del>" in islam
    assert "<ins>&#34;[We are] poised for cooperation</ins>" in islam
    assert "<mark>with all interested countries in the interests of establishing a joint effective</mark>" in islam
    sputnik = members["Sputnik"][0]
    assert "<ins>We are</ins>" in sputnik
    assert "<mark>ready to cooperate with all interested countries in the</mark>" in sputnik
    # On the timeline the dated members come first, by date; the undated Sputnik article last.
    order = re.findall(r'<span class="prov-outlet">(?:<a [^>]*>)?(.*?)<', r.text)
    assert order[0] == "TRT World" and order[-1] == "Sputnik"
    assert "undated" in r.text.split('id="member-')[-1]
    assert "Inferred origin" in r.text and "earliest" in r.text


@pytest.mark.asyncio
async def test_cluster_json_has_members_with_offsets(corpus):
    cid = cluster_with(corpus, "ready to cooperate with all interested countries")
    ds = Datasette([str(corpus)])
    data = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}.json")).json()
    assert data["cluster"]["id"] == cid
    conn = sqlite3.connect(corpus)
    for m in data["members"]:
        ptext, pstart = conn.execute("select text, start from paragraphs where id = ?", (m["paragraph_id"],)).fetchone()
        article = conn.execute("select text from articles where id = ?", (m["article_id"],)).fetchone()[0]
        assert m["text"] == ptext[m["start"]:m["end"]]
        assert article[m["article_start"]:m["article_end"]] == m["text"]
        assert m["article_start"] == pstart + m["start"]
        assert {op["op"] for op in m["diff"]} <= {"equal", "delete", "insert", "unshared"}
    conn.close()
    assert data["origin"]["outlet"] == "TRT World" and data["origin"]["published"] == "2022-02-03"
    assert data["members"][0]["is_origin"] and data["members"][0]["similarity_to_origin"] == 1.0
    islam = next(m for m in data["members"] if m["outlet"] == "Islam Times")
    assert 0.3 < islam["similarity_to_origin"] < 0.9
    assert data["members_pagination"]["total"] == len(data["members"])
    # Derivations between the cluster's articles, with their evidence parsed.
    pairs = {(d["derived_outlet"], d["source_outlet"] or d["source_name"]) for d in data["derivations"]}
    assert ("Islam Times", "TRT World") in pairs and ("Islam Times", "TASS") in pairs
    ev = next(d for d in data["derivations"] if d["derived_outlet"] == "Islam Times" and d["source_outlet"] == "TRT World")
    assert ev["evidence"]["containment"] == 0.74


@pytest.mark.asyncio
async def test_hostile_member_and_evidence_are_escaped(corpus):
    cid = cluster_with(corpus, "ready to cooperate with all interested countries")
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}")).text
    assert "<img src=x" not in html and "<script>alert" not in html and "<script>window.__xss" not in html
    assert "<ins>&lt;img src=x onerror=alert(1)&gt;</ins>" in html
    assert "Evil &lt;b&gt;Outlet&lt;/b&gt;" in html and XSS_OUTLET not in html
    assert "&lt;script&gt;alert(&#39;evidence&#39;)&lt;/script&gt;" in html


@pytest.mark.asyncio
async def test_day_precision_ties_are_marked(corpus, tmp_path):
    # Give Islam Times' article TRT World's day (at a minute): the order of those two is unknown.
    copy = tmp_path / "corpus.db"
    copy.write_bytes(corpus.read_bytes())
    conn = sqlite3.connect(copy)
    conn.execute("update articles set published = '2022-02-03T08:00:00Z' where outlet = 'Islam Times'")
    conn.commit()
    conn.close()
    cid = cluster_with(copy, "ready to cooperate with all interested countries")
    ds = Datasette([str(copy)])
    data = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}.json")).json()
    assert data["origin"]["uncertain"] and data["origin"]["tied_with"] == ["Islam Times"]
    html = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}")).text
    assert "same-day tie" in html and "Uncertain" in html


@pytest.mark.asyncio
async def test_missing_and_malformed_ids(corpus):
    ds = Datasette([str(corpus)])
    assert (await ds.client.get("/corpus/-/provenance/cluster/999999")).status_code == 404
    assert (await ds.client.get("/corpus/-/provenance/cluster/1~20or~201=1")).status_code == 404
    r = await ds.client.get("/corpus/-/provenance/cluster/abc.json")
    assert r.status_code == 404 and r.json()["ok"] is False
    assert (await ds.client.get("/corpus/-/provenance/cluster/1?page=0")).status_code == 400


@pytest.mark.asyncio
async def test_members_are_paginated(corpus):
    cid = cluster_with(corpus, "ready to cooperate with all interested countries")
    ds = Datasette([str(corpus)])
    first = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}.json?_size=2")).json()
    second = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}.json?_size=2&page=2")).json()
    assert len(first["members"]) == 2 and first["members_pagination"]["next"] == 2
    assert {m["sentence_id"] for m in first["members"]}.isdisjoint({m["sentence_id"] for m in second["members"]})
    html = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}?_size=2")).text
    assert 'href="?_size=2&amp;page=2"' in html
    assert (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}?_size=100000")).status_code == 400


def test_word_diff_is_escaped_piece_by_piece():
    ops, ratio = word_diff("the <b>minister</b> said", "the <i>minister</i> said today")
    assert str(render_diff(ops)) == ("<mark>the</mark> <del>&lt;b&gt;minister&lt;/b&gt;</del>"
                                     " <ins>&lt;i&gt;minister&lt;/i&gt;</ins> <mark>said</mark> <ins>today</ins>")
    assert 0 < ratio < 1


@pytest.mark.asyncio
async def test_real_loader_output(seed_db):
    """On the loader's own output, every derivation among a cluster's articles is shown."""
    conn = sqlite3.connect(seed_db)
    cids = [c for (c,) in conn.execute("select id from clusters order by id")]
    ds = Datasette([str(seed_db)])
    name = seed_db.stem
    for cid in cids:
        data = (await ds.client.get(f"/{name}/-/provenance/cluster/{cid}.json")).json()
        ids = sorted({m["article_id"] for m in data["members"]})
        marks = ",".join("?" * len(ids))
        expected = conn.execute(
            f"select count(*) from derivations where derived_article_id in ({marks})"
            f" and (source_article_id is null or source_article_id in ({marks}))", ids + ids).fetchone()[0]
        assert len(data["derivations"]) == min(expected, 200)
        count = conn.execute("select count(*) from cluster_members where cluster_id = ?", (cid,)).fetchone()[0]
        assert data["members_pagination"]["total"] == count
        html = (await ds.client.get(f"/{name}/-/provenance/cluster/{cid}")).text
        assert html.count('<li class="prov-member') == min(count, 50)
    conn.close()


@pytest.mark.asyncio
async def test_a_cluster_is_named_by_its_opening_words(corpus):
    cid = cluster_with(corpus, "ready to cooperate with all interested countries")
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}")).text
    conn = sqlite3.connect(corpus)
    text = conn.execute("select text from clusters where id = ?", (cid,)).fetchone()[0]
    conn.close()
    label = cluster_label(text)
    assert label.endswith("…") and text.startswith(label[:-1]) and len(label) <= 61
    h1 = re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)
    assert label.replace('"', "&#34;") in h1 and f"statement {cid}" in h1
    overview = (await ds.client.get("/corpus/-/provenance")).text
    assert "<th>Shared passage</th>" in overview and "<th>Statement</th>" not in overview


def test_cluster_label_cuts_on_a_word_and_escapes_nothing_itself():
    assert cluster_label("Short enough.") == "Short enough."
    assert cluster_label("  Spaces   and\nnewlines  collapse ") == "Spaces and newlines collapse"
    long = "Moscow said it was ready to cooperate with all interested countries in the interests of a response"
    assert cluster_label(long) == "Moscow said it was ready to cooperate with all interested…"
    assert cluster_label(None) == "" and cluster_label("x" * 80) == "x" * 60 + "…"
