"""The article page: text with reused passages linked to their statements, credits, derivations."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from datasette.app import Datasette

from conftest import edited_copy
from test_permissions import EVIDENCE_PAYLOAD, build_corpus

from datasette_provenance.load import load_paths
from datasette_provenance.pages.article import shared_passages


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db):
    return build_corpus(tmp_path_factory.mktemp("corpus"), seed_db)


def article_id(db_path, external_id: str) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("select id from articles where external_id = ?", (external_id,)).fetchone()[0]
    finally:
        conn.close()


ISLAM = "001_9b0a0d5c8cd9f5d1.txt"


@pytest.mark.asyncio
async def test_reused_passages_link_to_statements_and_other_articles(corpus):
    aid = article_id(corpus, ISLAM)
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(f"/corpus/-/provenance/article/{aid}")).text
    assert "<h1>Russia to Investigate Death of Civilians during US Operation in Syria</h1>" in html
    conn = sqlite3.connect(corpus)
    clusters = {c for (c,) in conn.execute("select cluster_id from cluster_members where article_id = ?", (aid,))}
    conn.close()
    linked = {int(c) for c in re.findall(r'<a class="reuse" href="/corpus/-/provenance/cluster/(\d+)"', html)}
    assert linked == clusters and len(clusters) == 5
    # The translated Zakharova statement is highlighted as one passage, linked to its statement page.
    passage = re.search(r'<a class="reuse" href="[^"]+" data-passage="(\d+)" title="Shared with ([^"]+)">'
                        r'&#34;\[We are\] poised for cooperation', html)
    assert passage and "Sputnik" in passage.group(2) and "TRT World" in passage.group(2)
    # Its entry sits in the shared passage that holds it, with the articles that passage is shared with.
    side = next(chunk for chunk in html.split('<li class="prov-shared-passage"')
                if f'id="passage-{passage.group(1)}"' in chunk)
    assert 'title="Statement ' in side and "TRT World" in side and "/corpus/-/provenance/article/" in side
    # Reuse share, credits and derivations in both directions.
    assert "<strong>47%</strong> of its own text" in html
    assert '<span class="credit" title="Credit: TASS">the Tass news agency reported</span>' in html
    assert "<strong>CNN</strong>: “CNN reported on Thursday”" in html
    derived = html.split("<h2>Derived from</h2>")[1].split("<h2>Taken by</h2>")
    assert "TRT World" in derived[0] and "TASS" in derived[0] and "(upstream)" in derived[0]
    assert "Sputnik" in derived[1] and "common-source" in derived[1]


@pytest.mark.asyncio
async def test_the_evidence_names_statements_by_their_opening_words(corpus):
    aid = article_id(corpus, ISLAM)
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(f"/corpus/-/provenance/article/{aid}")).text
    data = (await ds.client.get(f"/corpus/-/provenance/article/{aid}.json")).json()
    named = {c for d in data["derived_from"] for c in (d["evidence"] or {}).get("clusters", [])}
    conn = sqlite3.connect(corpus)
    texts = dict(conn.execute(f"select id, text from clusters where id in ({','.join('?' * len(named))})", sorted(named)))
    conn.close()
    evidence = html.split("<h2>Derived from</h2>")[1].split("<h2>Taken by</h2>")[0]
    assert named and "statement " not in re.sub(r'title="statement \d+"', "", evidence)
    for cid, text in texts.items():
        opening = " ".join(text.split()[:4])
        link = re.search(rf'<a href="/corpus/-/provenance/cluster/{cid}" title="statement {cid}">“([^<]+)”</a>', evidence)
        assert link and link.group(1).replace("&#34;", '"').replace("&#39;", "'").startswith(opening), (cid, opening)


@pytest.mark.asyncio
async def test_boilerplate_is_dimmed(corpus):
    aid = article_id(corpus, ISLAM)
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(f"/corpus/-/provenance/article/{aid}")).text
    dimmed = re.findall(r'<p class="prov-para prov-kind-(\w+) prov-boilerplate"[^>]*>([^<]*)</p>', html)
    assert ("meta", "Story Code : 977259") in dimmed
    assert not any("poised for cooperation" in text for _, text in dimmed)


@pytest.mark.asyncio
async def test_article_json(corpus):
    aid = article_id(corpus, ISLAM)
    ds = Datasette([str(corpus)])
    data = (await ds.client.get(f"/corpus/-/provenance/article/{aid}.json")).json()
    article = data["article"]
    assert article["outlet"] == "Islam Times" and article["reuse_share"] == pytest.approx(0.47, abs=0.01)
    for q in data["passages"]:
        assert article["text"][q["article_start"]:q["article_end"]] == q["text"]
        assert q["others"] and all(o["article_id"] != aid for o in q["others"])
    for p in data["paragraphs"]:
        assert article["text"][p["start"]:p["start"] + len(p["text"])] == p["text"]
    credits = {(a["source_name"], article["text"][a["start"]:a["end"]]) for a in data["attributions"]}
    assert ("TASS", "the Tass news agency reported") in credits
    assert {d["source_outlet"] or d["source_name"] for d in data["derived_from"]} == {"TRT World", "TASS"}
    assert [d["derived_outlet"] for d in data["sources_for"]] == ["Sputnik"]
    assert data["sources_for"][0]["evidence"]["note"] == EVIDENCE_PAYLOAD


@pytest.mark.asyncio
async def test_statements_in_a_row_shared_with_the_same_articles_are_one_passage(seed_db):
    """In the seeds Islam Times carries five sentences of Zakharova's statement in a row: the first two
    shared with TRT World and Sputnik's wording, the last three with TRT World only: two shared passages."""
    aid = article_id(seed_db, ISLAM)
    ds = Datasette([str(seed_db)])
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/article/{aid}.json")).json()
    html = (await ds.client.get(f"/{seed_db.stem}/-/provenance/article/{aid}")).text
    assert "(2 shared passages, 5 statements)" in html and html.count("3 statements in a row, shared with") == 1
    text = data["article"]["text"]
    assert [g["statements"] for g in data["shared_passages"]] == [[1, 2], [3, 4, 5]]
    for g in data["shared_passages"]:
        assert text[g["article_start"]:g["article_end"]] == g["text"]
        assert all(g["text"].find(data["passages"][n - 1]["text"]) >= 0 for n in g["statements"])
    assert [g["articles"] for g in data["shared_passages"]] == [2, 1]


def test_passages_part_at_the_articles_own_sentences_not_at_boilerplate():
    text = "One shared sentence here. Two shared. An own sentence that nobody else has written anywhere at all.\n\n" \
           "Read more: related stories\n\nThree shared sentence."
    paragraphs = [{"start": 0, "text": text[:99], "boilerplate": 0},
                  {"start": 101, "text": "Read more: related stories", "boilerplate": 1},
                  {"start": 129, "text": "Three shared sentence.", "boilerplate": 0}]
    assert text[paragraphs[2]["start"]:] == paragraphs[2]["text"]

    def statement(n, cluster, start, end):
        return {"number": n, "cluster_id": cluster, "article_start": start, "article_end": end, "others": [],
                "others_total": 1, "cluster_url": f"/c/{cluster}"}

    one, two, three = statement(1, 10, 0, 25), statement(2, 11, 26, 37), statement(3, 12, 129, 151)
    same = {10: {7}, 11: {7}, 12: {7}}
    assert [g["statements"] for g in shared_passages([one, two], same, text, paragraphs)] == [[1, 2]]
    # The own sentence between the second and third parts them; a boilerplate line alone would not.
    assert [g["statements"] for g in shared_passages([one, two, three], same, text, paragraphs)] == [[1, 2], [3]]
    assert [g["statements"] for g in shared_passages([one, three], same, text[:26] + " " * 73 + text[99:],
                                                     paragraphs)] == [[1, 3]]
    # Shared with other articles: another passage.
    assert [g["statements"] for g in shared_passages([one, two], {10: {7}, 11: {7, 8}}, text, paragraphs)] == [[1], [2]]


@pytest.mark.asyncio
async def test_hostile_article_is_escaped(corpus):
    aid = article_id(corpus, "xss-1")
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(f"/corpus/-/provenance/article/{aid}")).text
    assert "<script>window.__xss" not in html and "<img src=x" not in html and "<b>Outlet" not in html
    assert ("<h1>&lt;script&gt;window.__xss=1;alert(1)&lt;/script&gt; Moscow ready"
            " &lt;img src=x onerror=alert(1)&gt;</h1>") in html
    assert "&lt;img src=x onerror=&#34;window.__xss=3&#34;&gt;" in html
    # The credit whose phrase is a script tag is underlined as text, its source name escaped.
    assert ('<span class="credit" title="Credit: Reuters &lt;i&gt;wire&lt;/i&gt;">'
            "&lt;script&gt;window.__xss=2;alert(2)&lt;/script&gt;</span>") in html
    # Its shared passage (with the image tag inside) is still highlighted and linked.
    assert re.search(r'<a class="reuse" [^>]+>Moscow says it is &#34;ready to cooperate with all interested countries'
                     r' &lt;img src=x onerror=alert\(1\)&gt;', html)
    assert "Evil &lt;b&gt;Outlet&lt;/b&gt;" in html


@pytest.mark.asyncio
async def test_missing_article(corpus):
    ds = Datasette([str(corpus)])
    assert (await ds.client.get("/corpus/-/provenance/article/424242")).status_code == 404
    r = await ds.client.get("/corpus/-/provenance/article/-1.json")
    assert r.status_code == 404 and r.json()["error"] == "Article not found"


@pytest.mark.asyncio
async def test_real_loader_output(seed_db):
    """Every article of the loader's output: passages = its cluster_members, derivations both ways."""
    conn = sqlite3.connect(seed_db)
    ds = Datasette([str(seed_db)])
    name = seed_db.stem
    for (aid,) in conn.execute("select id from articles").fetchall():
        data = (await ds.client.get(f"/{name}/-/provenance/article/{aid}.json")).json()
        members = conn.execute("select count(*) from cluster_members where article_id = ?", (aid,)).fetchone()[0]
        assert len(data["passages"]) == members
        n = conn.execute("select count(*) from attributions where article_id = ?", (aid,)).fetchone()[0]
        assert len(data["attributions"]) == n, aid
        # Every derivation in or out is listed once: directed ones by direction, undirected ones as shared text.
        listed = {(key, d["id"]) for key in ("derived_from", "sources_for", "shares_text_with") for d in data[key]}
        expected = {(key, i) for key, column in (("derived_from", "derived_article_id"), ("sources_for", "source_article_id"))
                    for (i,) in conn.execute(f"select id from derivations where {column} = ?", (aid,))}
        undirected = {i for (i,) in conn.execute(
            "select id from derivations where (derived_article_id = ? or source_article_id = ?)"
            " and (relation = 'undetermined' or json_extract(evidence, '$.direction') = 'undetermined')", (aid, aid))}
        assert listed == {(("shares_text_with" if i in undirected else key), i) for key, i in expected}, aid
        assert all(d["undirected"] and d["summary"] for d in data["shares_text_with"])
        html = (await ds.client.get(f"/{name}/-/provenance/article/{aid}")).text
        assert html.count('<sup class="passage-ref">') == members
    conn.close()


@pytest.mark.asyncio
async def test_a_time_given_without_a_zone_is_not_called_utc(seed_db):
    """Islam Times gives "22:17" with no zone: stored and shown as given; Sputnik's "+0000" reads UTC."""
    ds = Datasette([str(seed_db)])
    conn = sqlite3.connect(seed_db)
    stamps = dict(conn.execute("select outlet, published from articles where published like '%T%'"))
    assert stamps["Islam Times"] == "2022-02-04T22:17:00" and stamps["Sputnik"].endswith("Z")
    pages = {}
    for outlet in ("Islam Times", "Sputnik"):
        aid = conn.execute("select id from articles where outlet = ? and published like '%T%'", (outlet,)).fetchone()[0]
        pages[outlet] = (await ds.client.get(f"/{seed_db.stem}/-/provenance/article/{aid}")).text
    assert "22:17</time>" in pages["Islam Times"] and "22:17 UTC" not in pages["Islam Times"]
    assert re.search(r"\d\d:\d\d UTC</time>", pages["Sputnik"])


# ------------------------------------------------------------------ one line per derivation (issue 17)

HARBOUR = [
    "The regional council approved a plan to rebuild the flooded harbour district within three years.",
    "Engineers warned that the old sea wall could fail again during the next winter storm season.",
    "The mayor said residents of the lower town would receive temporary housing until the spring.",
    "Fishermen complained that compensation payments had not reached most families in the port.",
]
ORCHARD = [
    "Frost destroyed nearly half of the apple blossom in the valley orchards during a single cold night.",
    "Growers asked the agriculture ministry for emergency loans to replace the damaged young trees.",
]
MINE = [
    "Rescuers brought all fourteen trapped miners to the surface after a forty hour operation underground.",
    "The mining company suspended work in the northern shaft while inspectors examine the collapsed tunnel.",
]


OWN = {  # text of each article's own, shared with none
    "Alpha": "Local cafes reported a sharp rise in visitors from neighbouring villages over the long weekend.",
    "Delta": "A choir from the university performed at the memorial service held in the old cathedral.",
    "Epsilon": "Volunteers handed out blankets and hot meals at the sports hall on the northern ring road.",
    "CNN": "Schoolchildren planted a row of chestnut trees beside the new library on Tuesday morning.",
    "Kappa": "The city museum extended its opening hours for an exhibition of nineteenth century maps.",
}


def own(outlet: str) -> str:
    return OWN[outlet]


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory):
    """Loader output with a copy by publication order, a copy by credit and an undetermined pair."""
    folder = tmp_path_factory.mktemp("verdicts")
    records = [
        {"id": "alpha", "outlet": "Alpha", "published": "2022-03-01T08:00:00Z",
         "text": "\n\n".join(HARBOUR + [own("Alpha")])},
        {"id": "beta", "outlet": "Beta", "published": "2022-03-01T13:00:00Z", "text": "\n\n".join(HARBOUR)},
        {"id": "delta", "outlet": "Delta", "published": "2022-03-02", "text": "\n\n".join(ORCHARD + [own("Delta")])},
        {"id": "epsilon", "outlet": "Epsilon", "published": "2022-03-02", "text": "\n\n".join(ORCHARD + [own("Epsilon")])},
        {"id": "cnn", "outlet": "CNN", "published": "2022-03-03", "text": "\n\n".join(MINE + [own("CNN")])},
        {"id": "kappa", "outlet": "Kappa", "published": "2022-03-03",
         "text": "\n\n".join([MINE[0], MINE[1] + " That was according to CNN.", own("Kappa")])},
    ]
    src = folder / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    path = folder / "verdicts.db"
    load_paths(str(path), [str(src)])
    return path


async def sections(ds, db_path, external_id) -> dict[str, str]:
    """The article page's side lists by heading: 'Derived from', 'Taken by', 'Shares text with'."""
    html = (await ds.client.get(f"/{db_path.stem}/-/provenance/article/{article_id(db_path, external_id)}")).text
    side = html.split("<h2>Derived from</h2>")[1].split("</aside>")[0]
    out = {"Derived from": side.split("<h2>")[0]}
    for part in side.split("<h2>")[1:]:
        head, body = part.split("</h2>", 1)
        out[head] = body
    return out


def verdict_lines(html: str) -> list[str]:
    return re.findall(r'<p class="prov-verdict">([^<]+)</p>\s*<details class="prov-evidence-full">', html)


@pytest.mark.asyncio
async def test_each_link_reads_as_one_line_on_both_articles(verdicts):
    ds = Datasette([str(verdicts)])
    conn = sqlite3.connect(verdicts)
    rules = dict(conn.execute("select a.external_id, json_extract(d.evidence, '$.decided_by') from derivations d"
                              " join articles a on a.id = d.derived_article_id"))
    conn.close()
    assert rules == {"beta": "published later", "kappa": "Kappa credits CNN", "epsilon": "no evidence of direction"} or \
        rules == {"beta": "published later", "kappa": "Kappa credits CNN", "delta": "no evidence of direction"}
    beta, alpha = await sections(ds, verdicts, "beta"), await sections(ds, verdicts, "alpha")
    line = "copied: published 5 h later; 100 % of its text is in the source"
    assert verdict_lines(beta["Derived from"]) == [line] and "Alpha</a>" in beta["Derived from"]
    assert verdict_lines(alpha["Taken by"]) == [line] and "Beta</a>" in alpha["Taken by"]
    assert "Shares text with" not in beta and "Shares text with" not in alpha
    kappa = await sections(ds, verdicts, "kappa")
    assert verdict_lines(kappa["Derived from"]) == ["copied: Kappa credits CNN"]
    data = (await ds.client.get(f"/verdicts/-/provenance/article/{article_id(verdicts, 'beta')}.json")).json()
    assert [(d["summary"], d["undirected"]) for d in data["derived_from"]] == [(line, False)]
    assert data["shares_text_with"] == [] and "evidence_html" not in data["derived_from"][0]


@pytest.mark.asyncio
async def test_an_undetermined_link_shares_text_on_both_articles(verdicts):
    ds = Datasette([str(verdicts)])
    for me, other in (("delta", "Epsilon"), ("epsilon", "Delta")):
        page = await sections(ds, verdicts, me)
        assert "None inferred." in page["Derived from"] and "None inferred." in page["Taken by"], me
        assert f">{other}</a>" in page["Shares text with"]
        assert verdict_lines(page["Shares text with"]) == [f"shares text with {other}: direction undetermined"]
        data = (await ds.client.get(f"/verdicts/-/provenance/article/{article_id(verdicts, me)}.json")).json()
        assert data["derived_from"] == [] and data["sources_for"] == []
        assert [(d["other_name"], d["undirected"]) for d in data["shares_text_with"]] == [(other, True)]


@pytest.mark.asyncio
async def test_same_outlet_without_direction_is_not_derived_from_nor_taken_by(seed_db):
    conn = sqlite3.connect(seed_db)
    derived, source = conn.execute("select derived_article_id, source_article_id from derivations"
                                   " where relation = 'same-outlet'").fetchone()
    ext = dict(conn.execute("select id, external_id from articles"))
    conn.close()
    ds = Datasette([str(seed_db)])
    for me, other in ((derived, source), (source, derived)):
        page = await sections(ds, seed_db, ext[me])
        assert f"/article/{other}" not in page["Derived from"] + page["Taken by"]
        assert f'<a href="/{seed_db.stem}/-/provenance/article/{other}">Sputnik</a>' in page["Shares text with"]
        assert verdict_lines(page["Shares text with"]) == ["same outlet, shares text with Sputnik: direction undetermined"]
    page = await sections(ds, seed_db, ext[derived])  # its directed link keeps its place, with its line
    assert verdict_lines(page["Derived from"]) == ["common source: both quote Maria Zakharova; credits: Sputnik: none"
                                                   " / Islam Times: CNN, TASS"]


@pytest.mark.asyncio
async def test_the_article_verdict_line_is_escaped(corpus, tmp_path):
    with edited_copy(corpus, tmp_path) as (copy, conn):
        conn.execute("update derivations set evidence = ? where source_name = 'TASS'",
                     (json.dumps({"decided_by": "<script>alert(1)</script> credits <b>TASS</b>"}),))
    aid = article_id(copy, ISLAM)
    html = (await Datasette([str(copy)]).client.get(f"/corpus/-/provenance/article/{aid}")).text
    assert "<script>alert(1)" not in html and "<b>TASS" not in html
    assert ('<p class="prov-verdict">copied: &lt;script&gt;alert(1)&lt;/script&gt; credits &lt;b&gt;TASS&lt;/b&gt;</p>'
            in html)


# ------------------------------------------------------------------ "also in": order and the rest counted

CROWD_STATEMENT = ("The port authority confirmed that all container traffic through the eastern terminal"
                   " will stop for repairs until the end of the month.")


def _own_lines(seed: int):
    """A paragraph of random words (matching nothing) at each call."""
    import random

    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghiklmnoprstuvw") for _ in range(rng.randint(5, 9))) for _ in range(600)]
    return lambda: " ".join(rng.sample(words, 18)).capitalize() + "."


def _loaded(folder, name: str, records: list[dict]):
    src = folder / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    path = folder / f"{name}.db"
    load_paths(str(path), [str(src)])
    return path


@pytest.fixture(scope="module")
def crowd(tmp_path_factory):
    """One statement in 25 articles: 22 dated (ids in the reverse of their date order, two at one
    minute) and 3 undated, each with a paragraph of its own."""
    own = _own_lines(7)
    records = []
    for n in range(25):
        published = None if n in (3, 11, 19) else f"2022-05-{28 - n:02d}T09:00:00Z"
        if n == 21:
            published = "2022-05-08T09:00:00Z"  # the minute of article 20: the article id breaks the tie
        records.append({"id": f"crowd-{n:02d}", "outlet": f"Outlet {n:02d}", "published": published,
                        "text": CROWD_STATEMENT + "\n\n" + own()})
    return _loaded(tmp_path_factory.mktemp("crowd"), "crowd", records)


@pytest.mark.asyncio
async def test_also_in_lists_dated_articles_first_then_undated(seed_db):
    """TRT World's statements are also in Islam Times (dated) and Sputnik (undated): SQLite sorts NULL
    first, the site's timelines put the undated last."""
    aid = article_id(seed_db, "000_04a9a5eec5045a67.txt")
    ds = Datasette([str(seed_db)])
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/article/{aid}.json")).json()
    with_sputnik = [q for q in data["passages"] if "Sputnik" in {o["outlet"] for o in q["others"]}]
    assert with_sputnik
    for q in with_sputnik:
        assert q["others"][-1]["outlet"] == "Sputnik" and q["others"][-1]["published"] is None
        assert all(o["published"] for o in q["others"][:-1])
    html = (await ds.client.get(f"/{seed_db.stem}/-/provenance/article/{aid}")).text
    also = re.search(r'<div class="prov-also">also in:(.*?)</div>', html, re.S).group(1)
    assert also.index(">Islam Times</a>") < also.index(">Sputnik</a>") and "more" not in also


@pytest.mark.asyncio
async def test_also_in_says_how_many_more_and_where_to_see_them(crowd):
    conn = sqlite3.connect(crowd)
    aid = article_id(crowd, "crowd-00")
    (cid,) = {c for (c,) in conn.execute("select cluster_id from cluster_members where article_id = ?", (aid,))}
    dated = [i for (i,) in conn.execute(
        "select id from articles where id != ? and published is not null order by published, id", (aid,))]
    conn.close()
    assert len(dated) == 21
    ds = Datasette([str(crowd)])
    data = (await ds.client.get(f"/crowd/-/provenance/article/{aid}.json")).json()
    (q,), (g,) = data["passages"], data["shared_passages"]
    # The 20 earliest in date order (the two of one minute by article id), the undated left for later.
    assert [o["article_id"] for o in q["others"]] == dated[:20]
    assert q["others_total"] == g["others_total"] == 24 and g["others"] == q["others"]
    html = (await ds.client.get(f"/crowd/-/provenance/article/{aid}")).text
    also = re.search(r'<div class="prov-also">also in:(.*?)</div>', html, re.S).group(1)
    assert also.count("/crowd/-/provenance/article/") == 20
    assert re.search(rf'<a href="/crowd/-/provenance/cluster/{cid}"[^>]*>and 4 more</a>', also)
    assert re.search(r'<a class="reuse" [^>]*title="Shared with [^"]* and 4 more articles"', html)


@pytest.fixture(scope="module")
def agency_story(tmp_path_factory):
    """An agency's story taken by 60 papers, each once and an hour or more after it."""
    own = _own_lines(3)
    records = [{"id": "agency", "outlet": "Agency", "published": "2022-06-01T08:00:00Z", "text": CROWD_STATEMENT}]
    records += [{"id": f"paper-{n:02d}", "outlet": f"Paper {n:02d}", "text": CROWD_STATEMENT + "\n\n" + own(),
                 "published": f"2022-06-01T{9 + n // 10:02d}:{n % 10 * 5:02d}:00Z"} for n in range(60)]
    return _loaded(tmp_path_factory.mktemp("agency"), "agency", records)


@pytest.mark.asyncio
async def test_taken_by_is_paged_for_a_story_in_many_papers(agency_story):
    """An agency's story in thousands of papers made a page of every one of them (14 MB for 10,000):
    "Taken by" lists a page of 50, says how many in all, and the next page has the rest."""
    ds = Datasette([str(agency_story)])
    aid = article_id(agency_story, "agency")
    url = f"/agency/-/provenance/article/{aid}"
    first, second = (await ds.client.get(f"{url}.json")).json(), (await ds.client.get(f"{url}.json?taken_page=2")).json()
    assert first["sources_for_pagination"]["total"] == 60 and first["sources_for_pagination"]["pages"] == 2
    assert len(first["sources_for"]) == 50 and len(second["sources_for"]) == 10
    taken = [d["derived_article_id"] for d in first["sources_for"] + second["sources_for"]]
    conn = sqlite3.connect(agency_story)
    papers = {i for (i,) in conn.execute("select id from articles where external_id like 'paper-%'")}
    conn.close()
    assert sorted(taken) == sorted(papers)
    html = (await ds.client.get(url)).text
    section = html.split("<h2>Taken by</h2>")[1].split("<h2>")[0]
    assert section.count('<li><a href="/agency/-/provenance/article/') == 50
    assert "page 1 of 2 (60 in all)" in section and 'href="?taken_page=2"' in section
    past = (await ds.client.get(f"{url}?taken_page=3")).text.split("<h2>Taken by</h2>")[1].split("<h2>")[0]
    assert "Page 3 is past the end: 60 articles, 2 pages." in past
