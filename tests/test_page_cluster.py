"""The cluster page: every wording of one statement, word-level differences, timeline, origin."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from datasette.app import Datasette

from conftest import edited_copy
from test_permissions import XSS_OUTLET, build_corpus

from datasette_provenance import provenance
from datasette_provenance.pages.cluster import is_undirected, render_diff, verdict_line, word_diff
from datasette_provenance.pages.common import timeline_key
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
    # Derivations between the cluster's articles whose evidence names it, with their evidence parsed;
    # those whose evidence names no statement (TASS, AFP, a plain-text one...) only counted.
    pairs = {(d["derived_outlet"], d["source_outlet"] or d["source_name"]) for d in data["derivations"]}
    assert pairs == {("Islam Times", "TRT World")}
    assert data["derivations_elsewhere"]["without_statement"] == data["derivations_elsewhere"]["count"] >= 4
    html = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}")).text
    assert re.search(r'<p class="prov-elsewhere">\d+ derivations between these articles name no statement in their'
                     r" evidence: not shown as this one's.</p>", html)
    ev = next(d for d in data["derivations"] if d["derived_outlet"] == "Islam Times" and d["source_outlet"] == "TRT World")
    assert ev["evidence"]["containment"] == 0.74


@pytest.mark.asyncio
async def test_hostile_member_and_evidence_are_escaped(corpus, tmp_path):
    cid = cluster_with(corpus, "ready to cooperate with all interested countries")
    with edited_copy(corpus, tmp_path) as (copy, conn):  # the payload's derivation made one about the statement
        conn.execute("update derivations set evidence = json_set(evidence, '$.clusters', json_array(?))"
                     " where relation = 'common-source'", (cid,))
    ds = Datasette([str(copy)])
    html = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}")).text
    assert "<img src=x" not in html and "<script>alert" not in html and "<script>window.__xss" not in html
    assert "<ins>&lt;img src=x onerror=alert(1)&gt;</ins>" in html
    assert "Evil &lt;b&gt;Outlet&lt;/b&gt;" in html and XSS_OUTLET not in html
    assert "&lt;script&gt;alert(&#39;evidence&#39;)&lt;/script&gt;" in html


@pytest.mark.asyncio
async def test_day_precision_ties_are_marked(corpus, tmp_path):
    # Give Islam Times' article TRT World's day (at a minute): the order of those two is unknown, and the
    # timed one is shown first (``dates.within_day``), its tie with the article dated to the day marked.
    with edited_copy(corpus, tmp_path) as (copy, conn):
        conn.execute("update articles set published = '2022-02-03T08:00:00Z' where outlet = 'Islam Times'")
    cid = cluster_with(copy, "ready to cooperate with all interested countries")
    ds = Datasette([str(copy)])
    data = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}.json")).json()
    assert data["origin"]["outlet"] == "Islam Times"
    assert data["origin"]["uncertain"] and data["origin"]["tied_with"] == ["TRT World"]
    html = (await ds.client.get(f"/corpus/-/provenance/cluster/{cid}")).text
    assert "same-day tie" in html and "Uncertain" in html


def test_the_timeline_puts_days_in_order_and_within_a_day_the_timed_before_those_known_only_to_the_day():
    items = [{"article_id": 1, "published": None}, {"article_id": 2, "published": "2022-02-03"},
             {"article_id": 3, "published": "2022-02-03T17:00:00Z"}, {"article_id": 4, "published": "2022-02-02"},
             {"article_id": 5, "published": "2022-02-03T08:00", "published_precision": "minute"},
             {"article_id": 6, "published": "2022-02-02T23:59:00Z"}]
    assert [i["article_id"] for i in sorted(items, key=timeline_key)] == [6, 4, 5, 3, 2, 1]


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
    """On the loader's own output, every derivation among a cluster's articles that concerns it is shown,
    and the others counted."""
    conn = sqlite3.connect(seed_db)
    cids = [c for (c,) in conn.execute("select id from clusters order by id")]
    ds = Datasette([str(seed_db)])
    name = seed_db.stem
    for cid in cids:
        data = (await ds.client.get(f"/{name}/-/provenance/cluster/{cid}.json")).json()
        ids = sorted({m["article_id"] for m in data["members"]})
        marks = ",".join("?" * len(ids))
        between = {i for (i,) in conn.execute(
            f"select id from derivations where derived_article_id in ({marks})"
            f" and (source_article_id is null or source_article_id in ({marks}))", ids + ids)}
        assert {d["id"] for d in data["derivations"]} == about(seed_db, cid) & between
        assert data["derivations_elsewhere"]["count"] == len(between - about(seed_db, cid))
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


# ------------------------------------------------------------------ one line per derivation (issue 17)

ZAKHAROVA_PAIRS = [{"decided_by": "shared text is a quoted statement, in different wordings", "speaker": "Maria Zakharova",
                    "credits_derived": ["AFP"], "credits_other": ["CNN", "TASS"], "other_outlet": "Islam Times"}]


@pytest.mark.parametrize("relation, evidence, derived, source, line", [
    ("copied", {"decided_by": "Beta credits Reuters", "time_gap_hours": 2.0, "precision": "exact"}, "Beta", "Reuters",
     "copied: Beta credits Reuters"),
    ("copied", {"decided_by": "published later", "time_gap_hours": 5.2, "precision": "exact", "containment_derived": 0.8},
     "Beta", "Alpha", "copied: published 5 h later; 80 % of its text is in the source"),
    ("copied", {"decided_by": "published later", "time_gap_hours": 48, "precision": "day", "containment_derived": 0.0},
     "Beta", "Alpha", "copied: published 2 days later"),
    ("copied", {"decided_by": "published later", "time_gap_hours": 0.25, "precision": "exact"}, "Beta", "Alpha",
     "copied: published 15 min later"),
    ("common-source", {"chain": ["Maria Zakharova", "AFP"], "pairs": ZAKHAROVA_PAIRS}, "TRT World", "AFP",
     "common source: both quote Maria Zakharova; credits: TRT World: AFP / Islam Times: CNN, TASS;"
     " upstream: AFP ← Maria Zakharova"),
    ("common-source", {"chain": ["TASS"], "pairs": [{"decided_by": "both credit TASS"}]}, "Beta", "TASS",
     "common source: both credit TASS"),
    ("copied", {"decided_by": "an agency's text goes to its clients", "time_gap_hours": 2, "precision": "exact",
                "roles": {"derived": "publisher (outlets.json)", "other": "agency (wire copy)"}}, "Beta", "Reuters",
     "copied: Reuters is an agency (wire copy), its text goes to its clients; published 2 h later"),
    ("copied", {"decided_by": "an agency's text goes to its clients (the agency's story is later: it repeats text of"
                              " its own that x carried)", "time_gap_hours": -30, "precision": "exact",
                "roles": {"other": "agency (outlets.json)"}}, "Beta", "Reuters",
     "copied: Reuters is an agency (outlets.json), its text goes to its clients;"
     " the agency's story is later: it repeats text of its own (30 h later)"),
    ("copied", {"decided_by": "containment (no publication order)", "containment_derived": 1.0, "containment_other": 0.4},
     "Beta", "Alpha", "copied: no publication order; 100 % of its text is in the source, 40 % of the source's in it"),
    ("copied", {"decided_by": provenance.HUB_RULE, "containment_derived": 0.67, "runner_up": {"other_outlet": "Beta"}},
     "Gamma", "Alpha", "copied: no publication order; Alpha has all that Gamma shares with other articles, and the most"
     " that others took: the original of them; 67 % of its text is in the source; runner-up: Beta"),
    ("copied", {"decided_by": "the copy in between: it has all x shares with Alpha, more of it, and a sentence of its"
                              " own that x carries", "runner_up": {"other_article": 1, "other_outlet": "Alpha"}},
     "Gamma", "Beta", "copied: Beta is the copy in between Alpha and Gamma: it has a sentence of its own that Gamma carries"),
    ("copied", {"decided_by": "published later", "runner_up": {"other_outlet": "Wire copy"}}, "Beta", "Alpha",
     "copied: published later; runner-up: Wire copy"),
    ("same-outlet", {"decided_by": "same outlet", "time_gap_hours": 3, "precision": "exact"}, "Sputnik", "Sputnik",
     "same outlet: published 3 h later"),
    ("same-outlet", {"decided_by": "same outlet", "time_gap_hours": None, "precision": "missing"}, "Sputnik", "Sputnik",
     "same outlet: published later"),
    ("same-outlet", {"decided_by": "same outlet", "direction": "versions grow: the fuller one is later"},
     "Sputnik", "Sputnik", "same outlet: versions grow: the fuller one is later"),
    ("same-outlet", {"decided_by": "same outlet", "direction": "undetermined"}, "Sputnik", "Sputnik",
     "same outlet, shares text with Sputnik: direction undetermined"),
    ("undetermined", {"decided_by": "no evidence of direction", "other_count": 2}, "Beta", "Gamma",
     "shares text with Gamma: direction undetermined; 2 other articles share it too"),
    ("copied", {"earlier": "TRT World published a day before"}, "Islam Times", "TRT World", "copied"),
])
def test_verdict_line_names_the_rule_and_its_key_evidence(relation, evidence, derived, source, line):
    assert verdict_line(relation, evidence, derived, source) == line


def test_undirected_links_are_never_given_a_direction():
    assert is_undirected("undetermined", None) and is_undirected("same-outlet", {"direction": "undetermined"})
    assert is_undirected("copied", {"direction": "undetermined"})
    assert not is_undirected("same-outlet", {"direction": "versions grow: the fuller one is later"})
    assert not is_undirected("copied", "direction: undetermined") and not is_undirected("same-outlet", None)
    line = verdict_line("copied", {"direction": "undetermined", "decided_by": "published later", "time_gap_hours": 5,
                                   "chain": ["A", "B"]}, "Beta", "Alpha")
    assert line.startswith("shares text with Alpha: direction undetermined") and "published" not in line


@pytest.mark.parametrize("evidence", [
    None, "plain text evidence", [1, 2], 7,
    {"decided_by": 5, "time_gap_hours": "5", "chain": "A", "pairs": "x", "roles": [], "runner_up": "z",
     "containment_derived": True, "other_count": "many", "direction": ["undetermined"]},
    {"decided_by": "published later", "time_gap_hours": float("nan"), "containment_derived": 3.5},
    {"decided_by": "shared text is a quoted statement", "pairs": [None, {"credits_derived": [1, None]}]},
])
def test_verdict_line_takes_evidence_of_any_shape(evidence):
    line = verdict_line("copied", evidence, None, None)
    assert line.startswith("copied") and "nan" not in line and "None" not in line


def derivation_rows(html: str) -> list[str]:
    body = html.split('<table class="prov-table prov-derivations">')[1].split("</table>")[0]
    return re.findall(r"<tr[ >].*?</tr>", body.split("<tbody>")[1], re.S)


@pytest.mark.asyncio
async def test_each_derivation_reads_in_one_line_above_its_folded_evidence(seed_db):
    cid = cluster_with(seed_db, "ready to cooperate with all interested countries")
    ds = Datasette([str(seed_db)])
    html = (await ds.client.get(f"/{seed_db.stem}/-/provenance/cluster/{cid}")).text
    rows = derivation_rows(html)
    assert rows
    for row in rows:  # the line first, outside any <details>; the whole evidence folded after it
        why = re.search(r'<td><p class="prov-verdict">([^<]+)</p>\s*<details class="prov-evidence-full">'
                        r"<summary>full evidence</summary>(.*)</details></td>", row, re.S)
        assert why, row
        assert "<dt>chain</dt>" in why.group(2)
    lines = re.findall(r'<p class="prov-verdict">([^<]+)</p>', html)
    assert "common source: both quote Maria Zakharova; credits: TRT World: AFP / Islam Times: CNN, TASS;" \
           " upstream: AFP ← Maria Zakharova" in lines
    assert any(line.endswith("upstream: TASS ← Maria Zakharova") for line in lines)
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/cluster/{cid}.json")).json()
    assert sorted(d["summary"] for d in data["derivations"]) == sorted(lines)
    assert not any(d["undirected"] for d in data["derivations"])


@pytest.mark.asyncio
async def test_an_undirected_link_shares_text_instead_of_a_direction(seed_db):
    """Sputnik's two articles: same outlet, no date, no fuller version: neither is "Taken by" nor "From"."""
    conn = sqlite3.connect(seed_db)
    derived, source = conn.execute("select derived_article_id, source_article_id from derivations"
                                   " where relation = 'same-outlet'").fetchone()
    cid = conn.execute("select min(a.cluster_id) from cluster_members a join cluster_members b"
                       " on a.cluster_id = b.cluster_id where a.article_id = ? and b.article_id = ?",
                       (derived, source)).fetchone()[0]
    conn.close()
    ds = Datasette([str(seed_db)])
    html = (await ds.client.get(f"/{seed_db.stem}/-/provenance/cluster/{cid}")).text
    row = next(r for r in derivation_rows(html) if f"/article/{source}" in r)
    assert 'class="prov-undirected"' in row
    assert re.search(rf'<td colspan="2"><a href="[^"]*/article/{derived}">Sputnik</a>\s*'
                     rf'<span class="prov-muted">shares text with</span>\s*<a href="[^"]*/article/{source}">Sputnik</a></td>',
                     row)
    assert "same outlet, shares text with Sputnik: direction undetermined" in row
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/cluster/{cid}.json")).json()
    assert [d["undirected"] for d in data["derivations"] if d["source_article_id"] == source] == [True]


@pytest.mark.asyncio
async def test_the_verdict_line_is_escaped(corpus, tmp_path):
    cid = cluster_with(corpus, "ready to cooperate with all interested countries")
    with edited_copy(corpus, tmp_path) as (copy, conn):
        conn.execute("update derivations set evidence = ? where relation = 'common-source'", (json.dumps({
            "clusters": [cid], "chain": ["<img src=x onerror=alert(1)>", "TASS"],
            "pairs": [{"decided_by": "shared text is a quoted statement", "speaker": "<script>alert('s')</script>",
                       "credits_derived": ["<b>AFP</b>"], "other_outlet": "O'Brien & <i>Co</i>"}]}),))
    html = (await Datasette([str(copy)]).client.get(f"/corpus/-/provenance/cluster/{cid}")).text
    assert "<script>alert(&#39;s&#39;)" not in html and "<img src=x" not in html and "<b>AFP" not in html
    assert ('<p class="prov-verdict">common source: both quote &lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt;;'
            " credits: Sputnik: &lt;b&gt;AFP&lt;/b&gt; / O&#39;Brien &amp; &lt;i&gt;Co&lt;/i&gt;: none;"
            " upstream: TASS ← &lt;img src=x onerror=alert(1)&gt;</p>") in html


# ------------------------------------------------------------------ derivations about this statement only


def about(db_path, cid: int) -> set[int]:
    """The derivations whose evidence names statement ``cid`` among its clusters."""
    conn = sqlite3.connect(db_path)
    try:
        return {i for (i,) in conn.execute(
            "select d.id from derivations d, json_each(d.evidence, '$.clusters') c where c.value = ?", (cid,))}
    finally:
        conn.close()


@pytest.mark.asyncio
async def test_derivations_about_other_statements_are_not_this_statements_evidence(seed_db):
    """Statement 6 ("Damascus has vowed…", no speaker) is in Sputnik's two articles; one of them is also a
    common source with Islam Times for Zakharova's statements 1-5: not evidence about statement 6."""
    cid = cluster_with(seed_db, "Damascus has vowed")
    ds = Datasette([str(seed_db)])
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/cluster/{cid}.json")).json()
    assert data["cluster"]["speaker"] is None
    assert {d["id"] for d in data["derivations"]} == about(seed_db, cid) and data["derivations"]
    assert all(cid in d["evidence"]["clusters"] for d in data["derivations"])
    assert not any("Zakharova" in d["summary"] for d in data["derivations"])
    elsewhere = data["derivations_elsewhere"]
    assert elsewhere["count"] == 1 and elsewhere["without_statement"] == 0
    assert [s["id"] for s in elsewhere["statements"]] == [1, 2, 3, 4, 5] and elsewhere["statement_count"] == 5
    html = (await ds.client.get(f"/{seed_db.stem}/-/provenance/cluster/{cid}")).text
    assert "Zakharova" not in html
    note = re.search(r'<p class="prov-elsewhere">(.*?)</p>', html, re.S).group(1)
    assert "1 more derivation between these articles concerns other statements" in note
    assert re.findall(rf'<a href="/{seed_db.stem}/-/provenance/cluster/(\d+)"', note) == ["1", "2", "3", "4", "5"]
    # Statement 1's page shows that derivation, and says nothing of one elsewhere.
    first = (await ds.client.get(f"/{seed_db.stem}/-/provenance/cluster/1.json")).json()
    assert {d["id"] for d in first["derivations"]} == about(seed_db, 1)
    assert any("both quote Maria Zakharova" in d["summary"] for d in first["derivations"])


@pytest.mark.asyncio
async def test_the_other_statements_are_named_escaped(seed_db, tmp_path):
    cid = cluster_with(seed_db, "Damascus has vowed")
    with edited_copy(seed_db, tmp_path) as (copy, conn):
        conn.execute("update clusters set text = '<script>alert(1)</script> said' where id = 2")
    html = (await Datasette([str(copy)]).client.get(f"/corpus/-/provenance/cluster/{cid}")).text
    note = re.search(r'<p class="prov-elsewhere">(.*?)</p>', html, re.S).group(1)
    assert "<script>alert" not in html and "“&lt;script&gt;alert(1)&lt;/script&gt; said”" in note
