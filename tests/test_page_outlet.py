"""The outlet page: whom it takes from, who takes from it, volumes and typical lag; and the page of
a source that loaded articles credit (or derivations name) but that has no articles of its own."""

from __future__ import annotations

import re
import sqlite3

import pytest
from datasette.app import Datasette
from datasette.utils import tilde_encode

from conftest import edited_copy
from test_permissions import XSS_OUTLET, XSS_TITLE, build_corpus

from datasette_provenance.pages.common import lag_days


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db):
    return build_corpus(tmp_path_factory.mktemp("corpus"), seed_db)


@pytest.mark.asyncio
async def test_trt_world_gives_and_takes(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get("/corpus/-/provenance/outlet/TRT+World.json")).json()
    assert data["kind"] == "outlet" and data["articles_count"] == 1
    takes = {g["partner"]: g for g in data["takes_from"]}
    assert set(takes) == {"AFP"} and takes["AFP"]["partner_kind"] == "upstream"
    assert takes["AFP"]["shared_chars"] == 300 and takes["AFP"]["median_lag_days"] is None
    gives = {g["partner"]: g for g in data["gives_to"]}
    assert set(gives) == {"Islam Times", "Sputnik", XSS_OUTLET}
    # TRT World's article is dated 2022-02-03 (day); Islam Times' 2022-02-04 22:17 UTC: one day later in
    # whole days, as the trace page counts them (its midnight would make it 1.93).
    assert gives["Islam Times"]["median_lag_days"] == 1.0
    assert gives["Islam Times"]["count"] == 1 and gives["Islam Times"]["relations"] == {"copied": 1}
    assert gives["Sputnik"]["median_lag_days"] is None  # the Sputnik article is undated
    assert data["articles"][0]["title"] == "Russia 'supports' US anti-terror efforts in Syria"


def test_a_lag_from_or_to_a_day_is_counted_in_whole_days_and_never_before_the_source():
    assert lag_days("2001-05-03T09:10:00", "2001-05-03") == 0.0  # an agency's morning copy, a paper of that day
    assert lag_days("2001-05-03", "2001-05-04T06:00:00Z") == 1.0
    assert lag_days("2001-05-03T09:10:00Z", "2001-05-03T21:10:00Z") == 0.5
    assert lag_days(None, "2001-05-03") is None


@pytest.mark.asyncio
async def test_sputnik_html(corpus):
    ds = Datasette([str(corpus)])
    html = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik")).text
    assert "<h1>Sputnik</h1>" in html and "2 articles in this corpus." in html
    takes = html.split("<h2>Takes from</h2>")[1].split("<h2>Taken by</h2>")[0]
    for partner in ("Islam Times", "TRT World", "Sputnik"):
        assert f'<a href="/corpus/-/provenance/outlet/{tilde_encode(partner)}">{partner}</a>' in takes
    assert "common-source 1" in takes and "same-outlet 1" in takes
    taken = html.split("<h2>Taken by</h2>")[1].split("<h2>Articles</h2>")[0]
    assert "same-outlet 1" in taken and "Islam Times" not in taken  # only its own later article


@pytest.mark.asyncio
async def test_lag_is_a_median(corpus, tmp_path):
    with edited_copy(corpus, tmp_path) as (copy, conn):
        trt = conn.execute("select id from articles where outlet = 'TRT World'").fetchone()[0]
        # Two more Islam Times takes from TRT World: lags of 1.93, 10 and 20 days give a median of 10.
        for days in (10, 20):
            new = conn.execute("insert into articles(external_id, outlet, published, published_precision, text,"
                               " content_hash) values (?, 'Islam Times', ?, 'day', 'x', 'x')",
                               (f"extra-{days}", f"2022-02-{3 + days:02d}")).lastrowid
            conn.execute("insert into derivations(derived_article_id, source_article_id, relation, shared_chars)"
                         " values (?, ?, 'copied', 100)", (new, trt))
    ds = Datasette([str(copy)])
    data = (await ds.client.get("/corpus/-/provenance/outlet/TRT+World.json")).json()
    islam_group = next(g for g in data["gives_to"] if g["partner"] == "Islam Times")
    assert islam_group["count"] == 3 and islam_group["lag_samples"] == 3
    assert islam_group["median_lag_days"] == 10.0 and islam_group["shared_chars"] == 652


@pytest.mark.asyncio
async def test_upstream_source_page(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get("/corpus/-/provenance/outlet/TASS.json")).json()
    assert data["kind"] == "upstream" and data["articles_count"] == 0
    assert [(g["partner"], g["count"]) for g in data["gives_to"]] == [("Islam Times", 1)]
    html = (await ds.client.get("/corpus/-/provenance/outlet/TASS")).text
    assert "not in this corpus as an outlet" in html


@pytest.mark.asyncio
async def test_hostile_outlet_name_round_trips_escaped(corpus):
    ds = Datasette([str(corpus)])
    path = "/corpus/-/provenance/outlet/" + tilde_encode(XSS_OUTLET)
    html = (await ds.client.get(path)).text
    assert "<h1>Evil &lt;b&gt;Outlet&lt;/b&gt;</h1>" in html and XSS_OUTLET not in html
    data = (await ds.client.get(path + ".json")).json()
    assert data["outlet"] == XSS_OUTLET and data["takes_from"][0]["partner"] == "TRT World"


@pytest.mark.asyncio
async def test_unknown_outlet_and_slash_in_name(corpus, tmp_path):
    ds = Datasette([str(corpus)])
    assert (await ds.client.get("/corpus/-/provenance/outlet/Nobody")).status_code == 404
    with edited_copy(corpus, tmp_path) as (copy, conn):
        conn.execute("update articles set outlet = 'AP/Reuters. Pool' where outlet = 'The BRICS Post'")
    ds = Datasette([str(copy)])
    data = (await ds.client.get("/corpus/-/provenance/outlet/" + tilde_encode("AP/Reuters. Pool") + ".json")).json()
    assert data["outlet"] == "AP/Reuters. Pool" and data["articles_count"] == 1


@pytest.mark.asyncio
async def test_articles_are_paginated(corpus):
    ds = Datasette([str(corpus)])
    first = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik.json?_size=1")).json()
    second = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik.json?_size=1&page=2")).json()
    assert first["articles_pagination"] == {"page": 1, "page_size": 1, "total": 2, "pages": 2, "past_end": False, "next": 2,
                                            "previous": None}
    assert first["articles"][0]["id"] != second["articles"][0]["id"]


# A derivation whose direction nothing decided (as the article page tells them apart: cluster.is_undirected).
UNDIRECTED = ("(d.relation = 'undetermined' or coalesce(json_extract(case when json_valid(d.evidence)"
              " then d.evidence end, '$.direction') = 'undetermined', 0))")


@pytest.mark.asyncio
async def test_real_loader_output(seed_db):
    conn = sqlite3.connect(seed_db)
    ds = Datasette([str(seed_db)])
    shared = 0
    for (outlet,) in conn.execute("select distinct outlet from articles where outlet is not null").fetchall():
        data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/outlet/{tilde_encode(outlet)}.json")).json()
        takes, gives, shares = (conn.execute(
            "select count(distinct d.id) from derivations d join articles a on a.id in " + side + " where a.outlet = ?"
            " and " + ("" if undirected else "not ") + UNDIRECTED, (outlet,)).fetchone()[0] for side, undirected in (
            ("(d.derived_article_id)", False), ("(d.source_article_id)", False),
            ("(d.derived_article_id, d.source_article_id)", True)))
        assert sum(g["count"] for g in data["takes_from"]) == takes
        assert sum(g["count"] for g in data["gives_to"]) == gives
        assert sum(g["count"] for g in data["shares_text_with"]) == shares
        shared += shares
    assert shared  # the seeds' two Sputnik versions: no order, and neither is fuller
    conn.close()


@pytest.fixture(scope="module")
def undetermined_corpus(tmp_path_factory, corpus):
    """The corpus plus a link nothing decided the direction of, stored with TRT World's article (the original
    of everything) as the derived one and Sputnik's undated copy as the source; and Sputnik's two versions of
    one story with no order between them (same outlet, ``direction`` undetermined)."""
    with edited_copy(corpus, tmp_path_factory.mktemp("undetermined"), refresh=True) as (copy, conn):
        trt = conn.execute("select id from articles where outlet = 'TRT World'").fetchone()[0]
        undated = conn.execute("select id from articles where outlet = 'Sputnik' and published is null").fetchone()[0]
        conn.execute("insert into derivations(derived_article_id, source_article_id, relation, shared_chars, confidence)"
                     " values (?, ?, 'undetermined', 95, 0.2)", (trt, undated))
        conn.execute("""update derivations set evidence = '{"decided_by": "same outlet", "direction": "undetermined"}'
                        where relation = 'same-outlet'""")
    return copy


@pytest.mark.asyncio
async def test_undetermined_links_are_shared_not_taken(undetermined_corpus):
    """As on the article page: a link of undetermined direction is listed apart, on both outlets, once."""
    ds = Datasette([str(undetermined_corpus)])
    trt = (await ds.client.get("/corpus/-/provenance/outlet/TRT+World.json")).json()
    assert [g["partner"] for g in trt["takes_from"]] == ["AFP"]
    assert "Sputnik" in {g["partner"] for g in trt["gives_to"]}  # the decided copy it gave: still given
    assert [(g["partner"], g["count"], g["relations"], g["median_lag_days"]) for g in trt["shares_text_with"]] == [
        ("Sputnik", 1, {"undetermined": 1}, None)]
    sputnik = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik.json")).json()
    assert {g["partner"]: g["relations"] for g in sputnik["takes_from"]} == {
        "TRT World": {"copied": 1}, "Islam Times": {"common-source": 1}}
    assert sputnik["gives_to"] == []
    assert [(g["partner"], g["count"]) for g in sputnik["shares_text_with"]] == [("Sputnik", 1), ("TRT World", 1)]
    html = (await ds.client.get("/corpus/-/provenance/outlet/TRT+World")).text
    takes = section(html, "Takes from")
    assert "Sputnik" not in takes and "undetermined" not in takes
    shares = section(html, "Shares text with, direction undetermined")
    assert '<a href="/corpus/-/provenance/outlet/Sputnik">Sputnik</a>' in shares and "undetermined 1" in shares
    plain = (await ds.client.get("/corpus/-/provenance/outlet/Islam+Times")).text
    assert "Shares text with" not in plain  # no such link: no section


@pytest.mark.asyncio
async def test_a_page_past_the_end_says_so(corpus):
    """Past the last page a section stays, says so and links back; JSON has the total to tell."""
    ds = Datasette([str(corpus)])
    data = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik.json?page=5")).json()
    assert data["articles"] == [] and data["articles_pagination"]["total"] == data["articles_count"] == 2
    html = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik?page=5")).text
    articles = section(html, "Articles")
    assert "Page 5 is past the end: 2 articles, 1 page." in articles and 'href="?page=1"' in articles
    html = (await ds.client.get("/corpus/-/provenance/outlet/TASS?_size=1&credits_page=4&derivations_page=2")).text
    credited = section(html, "Credited by 2 articles")
    assert "Page 4 is past the end: 2 articles, 2 pages." in credited
    assert 'href="?_size=1&amp;derivations_page=2&amp;credits_page=2"' in credited
    named = section(html, "Named as the source of 1 derivation")
    assert "Page 2 is past the end: 1 derivation, 1 page." in named and "<table" not in named


# ---------------------------------------------------------------- credited sources (issue 16)


def body(html: str) -> str:
    """The page's own content, without Datasette's chrome."""
    return html.split('<nav class="prov-nav"', 1)[1].split("</section>\n</div>", 1)[0]


def section(html: str, heading: str) -> str:
    return html.split(f"<h2>{heading}", 1)[1].split("</section>", 1)[0]


@pytest.mark.asyncio
@pytest.mark.parametrize("agency,crediting", [
    ("TASS", {"Islam Times": ["the Tass news agency reported"],
              "The BRICS Post": ["told the Russian news agency TASS"]}),
    ("AFP", {"TRT World": ["SOURCE:AFP"]}),
])
async def test_credited_agency_has_a_page_on_the_seeds(seed_db, agency, crediting):
    """Credited by loaded articles, with no article and no derivation of its own: 200, not 404."""
    conn = sqlite3.connect(seed_db)
    assert conn.execute("select count(*) from articles where outlet = ?", (agency,)).fetchone()[0] == 0
    ids = {outlet: aid for aid, outlet in conn.execute("select id, outlet from articles where outlet in"
                                                       " ('Islam Times', 'The BRICS Post', 'TRT World')")}
    conn.close()
    ds = Datasette([str(seed_db)])
    base = f"/{seed_db.stem}/-/provenance"
    r = await ds.client.get(f"{base}/outlet/{agency}.json")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["outlet"] == agency and data["kind"] == "upstream" and data["articles_count"] == 0
    assert data["credited_by_count"] == len(crediting)
    assert {a["outlet"]: [c["phrase"] for c in a["credits"]] for a in data["credited_by"]} == crediting
    for a in data["credited_by"]:
        assert a["article_id"] == ids[a["outlet"]] and a["url"] == f"{base}/article/{a['article_id']}"
        assert a["outlet_url"] == f"{base}/outlet/{tilde_encode(a['outlet'])}"
        assert a["title"] and a["published"] and all(c["kind"] for c in a["credits"])
    assert data["credited_by_pagination"]["total"] == len(crediting)

    r = await ds.client.get(f"{base}/outlet/{agency}")
    assert r.status_code == 200
    page = body(r.text)
    assert f"<h1>{agency} " in page and "not in this corpus as an outlet, only credited or named as a source" in page
    credited = section(page, "Credited by")
    for outlet, phrases in crediting.items():
        assert f'<a href="{base}/article/{ids[outlet]}">' in credited
        assert f'<a href="{base}/outlet/{tilde_encode(outlet)}">{outlet}</a>' in credited
        for phrase in phrases:
            assert f"“{phrase}”" in credited
    assert "Takes from" not in page and "<h2>Articles</h2>" not in page


@pytest.mark.asyncio
async def test_tass_credits_on_the_seeds_in_order(seed_db):
    ds = Datasette([str(seed_db)])
    data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/outlet/TASS.json")).json()
    # Latest first: Islam Times (2022) before The BRICS Post (2017); both credits are "reported".
    assert [(a["outlet"], [c["kind"] for c in a["credits"]]) for a in data["credited_by"]] == [
        ("Islam Times", ["reported"]), ("The BRICS Post", ["reported"])]
    html = (await ds.client.get(f"/{seed_db.stem}/-/provenance/outlet/TASS")).text
    assert html.index("Islam Times") < html.index("The BRICS Post")
    assert "(reported)" in section(html, "Credited by")


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["Nobody", "TASS ", "Tass news agency", "Russia"])
async def test_a_name_that_appears_nowhere_is_404(seed_db, name):
    """Not an outlet, not credited, not a derivation's source_name, in any case."""
    ds = Datasette([str(seed_db)])
    for suffix in ("", ".json"):
        r = await ds.client.get(f"/{seed_db.stem}/-/provenance/outlet/{tilde_encode(name)}{suffix}")
        assert r.status_code == 404, (name, suffix)


@pytest.mark.asyncio
@pytest.mark.parametrize("name, spelled", [("tass", "TASS"), ("islam times", "Islam Times"), ("AFP", "AFP")])
async def test_a_name_in_another_case_leads_to_the_page_of_its_spelling(seed_db, name, spelled):
    """outlet_roles keeps names lower-cased and a query's ``outlet`` column is linked: "tass" leads to
    TASS's page, its format and arguments kept; a name as stored is served as it is."""
    ds = Datasette([str(seed_db)])
    base = f"/{seed_db.stem}/-/provenance/outlet/"
    r = await ds.client.get(f"{base}{tilde_encode(name)}.json?_size=1")
    if name == spelled:
        assert r.status_code == 200 and r.json()["outlet"] == spelled
        return
    assert r.status_code == 302 and r.headers["location"] == f"{base}{tilde_encode(spelled)}.json?_size=1"
    page = await ds.client.get(r.headers["location"])
    assert page.status_code == 200 and page.json()["outlet"] == spelled


@pytest.mark.asyncio
async def test_derivations_naming_the_source(corpus):
    """derivations.source_name with no source article: listed with relation, extent, size, confidence."""
    ds = Datasette([str(corpus)])
    conn = sqlite3.connect(corpus)
    islam = conn.execute("select id from articles where outlet = 'Islam Times'").fetchone()[0]
    conn.close()
    data = (await ds.client.get("/corpus/-/provenance/outlet/TASS.json")).json()
    assert data["named_by_derivations_count"] == 1
    (d,) = data["named_by_derivations"]
    assert (d["derived_article_id"], d["derived_outlet"], d["relation"], d["extent"], d["shared_chars"],
            d["confidence"]) == (islam, "Islam Times", "copied", "partially", 220, 0.8)
    assert d["derived_url"] == f"/corpus/-/provenance/article/{islam}"
    assert {a["outlet"] for a in data["credited_by"]} == {"Islam Times", "The BRICS Post"}
    html = (await ds.client.get("/corpus/-/provenance/outlet/TASS")).text
    named = section(html, "Named as the source of 1 derivation")
    assert f'<a href="/corpus/-/provenance/article/{islam}">' in named
    assert "copied" in named and "partially" in named and "220" in named and "80%" in named
    assert "Credited by 2 articles" in html


@pytest.mark.asyncio
async def test_hostile_credited_name_and_phrase_are_escaped(corpus):
    """The hostile article credits "Reuters <i>wire</i>" with a script for its phrase."""
    ds = Datasette([str(corpus)])
    name = "Reuters <i>wire</i>"
    path = "/corpus/-/provenance/outlet/" + tilde_encode(name)
    r = await ds.client.get(path)
    assert r.status_code == 200
    page = body(r.text)
    assert "<h1>Reuters &lt;i&gt;wire&lt;/i&gt; " in page and name not in r.text
    assert "“&lt;script&gt;window.__xss=2;alert(2)&lt;/script&gt;”" in page and "<script>window.__xss" not in r.text
    assert ">Evil &lt;b&gt;Outlet&lt;/b&gt;</a>" in page and XSS_OUTLET not in r.text
    assert "&lt;script&gt;window.__xss=1" in page and "<img" not in page  # the title, escaped
    data = (await ds.client.get(path + ".json")).json()
    assert data["outlet"] == name and data["kind"] == "upstream"
    (a,) = data["credited_by"]
    assert (a["outlet"], a["title"]) == (XSS_OUTLET, XSS_TITLE)
    assert a["credits"] == [{"phrase": "<script>window.__xss=2;alert(2)</script>", "kind": None}]


@pytest.fixture
def credited_corpus(corpus, tmp_path):
    """The shared corpus plus: 3 more articles crediting TASS, 2 more derivations naming it, an
    Islam Times article crediting Sputnik, a Sputnik article crediting itself, and a credit to a
    name with a slash, a dot, a plus and a tilde."""
    with edited_copy(corpus, tmp_path) as (copy, conn):
        islam = conn.execute("select id from articles where outlet = 'Islam Times'").fetchone()[0]
        sputnik = conn.execute("select min(id) from articles where outlet = 'Sputnik'").fetchone()[0]
        for i in range(3):
            new = conn.execute("insert into articles(external_id, outlet, published, published_precision, title, text,"
                               " content_hash) values (?, 'Wire Watch', ?, 'day', ?, 'TASS said', ?)",
                               (f"extra-{i}", f"2023-01-0{i + 1}", f"Extra {i}", f"h{i}")).lastrowid
            conn.execute("insert into attributions(article_id, source_name, phrase, start, \"end\", kind)"
                         " values (?, 'TASS', 'TASS said', 0, 9, 'credit')", (new,))
            if i < 2:
                conn.execute("insert into derivations(derived_article_id, source_name, relation, extent, shared_chars,"
                             " confidence) values (?, 'TASS', 'copied', 'wholly', 9, 0.9)", (new,))
        credits = [(islam, "Sputnik", "Sputnik reported"), (sputnik, "Sputnik", "Sputnik said"),
                   (islam, "A/B. C+D ~E", "A/B. C+D ~E wrote")]
        for aid, name, phrase in credits:
            conn.execute("insert into attributions(article_id, source_name, phrase, start, \"end\", kind)"
                         " values (?, ?, ?, 0, 1, 'reported')", (aid, name, phrase))
    return copy


@pytest.mark.asyncio
async def test_credits_and_derivations_are_paginated(credited_corpus):
    ds = Datasette([str(credited_corpus)])
    base = "/corpus/-/provenance/outlet/TASS"
    first = (await ds.client.get(base + ".json?_size=2")).json()
    assert first["credited_by_count"] == 5 and first["named_by_derivations_count"] == 3
    assert first["credited_by_pagination"] == {"page": 1, "page_size": 2, "total": 5, "pages": 3, "past_end": False, "next": 2,
                                               "previous": None}
    assert first["named_by_derivations_pagination"]["pages"] == 2
    seen = []
    for n in (1, 2, 3):
        data = (await ds.client.get(f"{base}.json?_size=2&credits_page={n}")).json()
        assert data["credited_by_pagination"]["page"] == n
        seen += [a["article_id"] for a in data["credited_by"]]
    assert len(seen) == 5 == len(set(seen))
    assert [a["title"] for a in first["credited_by"]] == ["Extra 2", "Extra 1"]  # latest first
    second = (await ds.client.get(base + ".json?_size=2&derivations_page=2")).json()
    assert [d["derived_outlet"] for d in second["named_by_derivations"]] == ["Islam Times"]
    assert second["credited_by_pagination"]["page"] == 1
    html = (await ds.client.get(base + "?_size=2&credits_page=2")).text
    credited = section(html, "Credited by 5 articles")
    assert 'href="?_size=2&amp;credits_page=3"' in credited and 'href="?_size=2&amp;credits_page=1"' in credited
    named = section(html, "Named as the source of 3 derivations")
    assert 'href="?_size=2&amp;credits_page=2&amp;derivations_page=2"' in named
    for bad in ("credits_page=0", "derivations_page=x"):
        assert (await ds.client.get(f"{base}.json?{bad}")).status_code == 400


@pytest.mark.asyncio
async def test_loaded_outlet_lists_who_credits_it(credited_corpus):
    ds = Datasette([str(credited_corpus)])
    data = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik.json")).json()
    assert data["kind"] == "outlet" and data["articles_count"] == 2
    # Its own article naming it is left out: only other outlets' credits count.
    assert data["credited_by_count"] == 1
    assert [(a["outlet"], a["credits"]) for a in data["credited_by"]] == [
        ("Islam Times", [{"phrase": "Sputnik reported", "kind": "reported"}])]
    html = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik")).text
    assert "<h1>Sputnik</h1>" in html and "not in this corpus as an outlet" not in html
    assert "“Sputnik reported”" in section(html, "Credited by 1 article") and "Sputnik said" not in html
    trt = await ds.client.get("/corpus/-/provenance/outlet/TRT+World")
    assert "Credited by" not in trt.text  # no one credits TRT World: no section
    assert (await ds.client.get("/corpus/-/provenance/outlet/TRT+World.json")).json()["credited_by"] == []


@pytest.mark.asyncio
async def test_credited_name_is_matched_exactly_through_the_url(credited_corpus):
    ds = Datasette([str(credited_corpus)])
    name = "A/B. C+D ~E"
    data = (await ds.client.get("/corpus/-/provenance/outlet/" + tilde_encode(name) + ".json")).json()
    assert data["outlet"] == name and data["credited_by_count"] == 1
    page = (await ds.client.get("/corpus/-/provenance/outlet/" + tilde_encode(name))).text
    assert data["credited_by"][0]["outlet"] == "Islam Times" and "A/B. C+D ~E wrote" in page
    assert (await ds.client.get("/corpus/-/provenance/outlet/" + tilde_encode("A/B. C+D") + ".json")).status_code == 404


@pytest.mark.asyncio
async def test_hidden_attributions_hide_the_credits(corpus):
    """The page reads attributions: an actor who may not see that table gets 403 and no phrase."""
    ds = Datasette([str(corpus)], metadata={"databases": {"corpus": {"tables": {"attributions": {"allow": False}}}}})
    for path in ("/corpus/-/provenance/outlet/TASS", "/corpus/-/provenance/outlet/TASS.json",
                 "/corpus/-/provenance/outlet/Islam+Times.json", "/corpus/-/provenance/outlet/Nobody.json"):
        r = await ds.client.get(path)
        assert r.status_code == 403, (path, r.status_code)
        assert "Tass news agency" not in r.text and "Islam Times" not in r.text


@pytest.fixture(scope="module")
def no_outlet_corpus(tmp_path_factory, corpus):
    """The corpus with two articles whose outlet is not known (NULL, and ''), one derived from TRT World,
    the other from a source nobody named: the graph's "(unknown outlet)" and "(unknown source)"."""
    with edited_copy(corpus, tmp_path_factory.mktemp("no_outlet"), refresh=True) as (copy, conn):
        trt = conn.execute("select id from articles where outlet = 'TRT World'").fetchone()[0]
        ids = []
        for n, outlet in enumerate((None, "")):
            ids.append(conn.execute(
                "insert into articles(external_id, outlet, published, published_precision, title, text, content_hash)"
                " values (?, ?, '2022-02-06', 'day', ?, 'x', 'x')", (f"nameless-{n}", outlet, f"Nameless <i>{n}</i>"),
            ).lastrowid)
        conn.execute("insert into derivations(derived_article_id, source_article_id, relation, shared_chars)"
                     " values (?, ?, 'copied', 120)", (ids[0], trt))
        conn.execute("insert into derivations(derived_article_id, source_article_id, source_name, relation, shared_chars)"
                     " values (?, null, null, 'common-source', 80)", (ids[1],))
    return copy, ids


@pytest.mark.asyncio
async def test_graph_link_to_the_unknown_outlet_answers_200(no_outlet_corpus):
    path, (null_id, empty_id) = no_outlet_corpus
    ds = Datasette([str(path)])
    graph = (await ds.client.get("/corpus/-/provenance/graph")).text
    unknown = re.findall(r'href="(/corpus/-/provenance/outlet/[^"]*unknown\+outlet[^"]*)"', graph)
    assert unknown and set(unknown) == {"/corpus/-/provenance/outlet/~28unknown+outlet~29"}
    r = await ds.client.get(unknown[0])
    assert r.status_code == 200
    assert "<h1>(unknown outlet)</h1>" in r.text and "2 articles in this corpus whose outlet is not known" in r.text
    for aid in (null_id, empty_id):
        assert f'href="/corpus/-/provenance/article/{aid}"' in r.text.split("<h2>Articles</h2>")[1]
    assert "Nameless &lt;i&gt;0&lt;/i&gt;" in r.text and "<i>0" not in r.text
    data = (await ds.client.get(unknown[0].replace("~29", "~29.json"))).json()
    assert data["unknown_outlet"] is True and data["articles_count"] == 2
    assert [(g["partner"], g["count"]) for g in data["takes_from"]] == [("TRT World", 1), (None, 1)]
    assert data["takes_from"][1]["url"] == "/corpus/-/provenance/outlet/~28unknown+source~29"
    # and the graph's "(unknown source)": the derivation that names no source
    source = [h for h in re.findall(r'href="([^"]*)"', graph) if "unknown+source" in h]
    assert source
    s = await ds.client.get(source[0] + ".json")
    assert s.status_code == 200 and [d["derived_article_id"] for d in s.json()["named_by_derivations"]] == [empty_id]
    assert s.json()["named_by_derivations"][0]["derived_outlet_url"].endswith("/outlet/~28unknown+outlet~29")


@pytest.mark.asyncio
async def test_an_outlet_links_to_the_unknown_outlet_that_took_from_it(no_outlet_corpus):
    path, _ = no_outlet_corpus
    ds = Datasette([str(path)])
    html = (await ds.client.get("/corpus/-/provenance/outlet/TRT+World")).text
    taken = html.split("<h2>Taken by</h2>")[1].split("</section>")[0]
    assert '<a href="/corpus/-/provenance/outlet/~28unknown+outlet~29">(unknown outlet)</a>' in taken
    assert (await ds.client.get("/corpus/-/provenance/outlet/~28unknown+outlet~29")).status_code == 200


@pytest.mark.asyncio
async def test_the_unknown_outlet_is_404_when_every_article_has_one(corpus):
    ds = Datasette([str(corpus)])
    for name in ("(unknown outlet)", "(unknown source)"):
        r = await ds.client.get("/corpus/-/provenance/outlet/" + tilde_encode(name) + ".json")
        assert r.status_code == 404, name


@pytest.mark.asyncio
async def test_every_article_is_listed_by_its_outlet_page(no_outlet_corpus):
    """Each article is on its outlet's page (the unknown outlet's when it has none), a page at a time."""
    path, _ = no_outlet_corpus
    conn = sqlite3.connect(path)
    every = dict(conn.execute("select id, outlet from articles").fetchall())
    conn.close()
    ds = Datasette([str(path)])
    listed = {}
    for outlet in {o or "(unknown outlet)" for o in every.values()}:
        page = 1
        while page:
            data = (await ds.client.get("/corpus/-/provenance/outlet/" + tilde_encode(outlet)
                                        + f".json?_size=1&page={page}")).json()
            assert len(data["articles"]) == 1
            for a in data["articles"]:
                assert a["url"] == f"/corpus/-/provenance/article/{a['id']}"
                listed[a["id"]] = outlet
            page = data["articles_pagination"]["next"]
    assert listed == {aid: o or "(unknown outlet)" for aid, o in every.items()}
    for aid in every:
        assert (await ds.client.get(f"/corpus/-/provenance/article/{aid}")).status_code == 200


@pytest.mark.asyncio
async def test_articles_section_pages_in_html(corpus):
    ds = Datasette([str(corpus)])
    first = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik?_size=1")).text.split("<h2>Articles</h2>")[1]
    second = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik?_size=1&page=2")).text.split(
        "<h2>Articles</h2>")[1]
    ids = [re.findall(r'href="/corpus/-/provenance/article/(\d+)"', part) for part in (first, second)]
    assert len(ids[0]) == 1 and len(ids[1]) == 1 and ids[0] != ids[1]
    assert 'href="?_size=1&amp;page=2"' in first and 'href="?_size=1&amp;page=1"' in second


@pytest.mark.asyncio
async def test_a_quoted_speaker_has_a_page_of_statements(tmp_path):
    """The graph's speaker node for a person no derivation names (only the chain speaker -> agency does):
    their page lists the statements quoting them and the agencies that carried them; HTML and JSON."""
    import json as _json

    from datasette_provenance.load import load_paths
    quote_a = ('"We are ready to cooperate with all interested countries in the interest of establishing an effective'
               ' joint reaction to this common threat," Anna Lindqvist said.')
    quote_b = ('"We stand ready to cooperate with all the interested countries in the interests of establishing a joint'
               ' effective response to this common threat," Anna Lindqvist told reporters, according to Reuters.')
    src = tmp_path / "in.jsonl"
    src.write_text("".join(_json.dumps(r) + "\n" for r in [
        {"id": "a", "outlet": "Alpha Daily", "published": "2022-03-01", "text": quote_a + " SOURCE: TASS"},
        {"id": "b", "outlet": "Beta Times", "published": "2022-03-02", "text": quote_b},
    ]))
    db = tmp_path / "q.db"
    load_paths(str(db), [str(src)])
    ds = Datasette([str(db)])
    r = await ds.client.get("/q/-/provenance/outlet/Anna~20Lindqvist.json")
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["kind"] == "speaker" and data["statements_count"] == 1
    assert {u["upstream"] for u in data["carried_by"]} == {"TASS", "Reuters"}
    html = (await ds.client.get("/q/-/provenance/outlet/Anna~20Lindqvist")).text
    assert "quoted, not an outlet" in html and "cooperate with all" in html
    assert (await ds.client.get("/q/-/provenance/outlet/Nobody~20Quoted")).status_code == 404
