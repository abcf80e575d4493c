"""The outlet page: whom it takes from, who takes from it, volumes and typical lag."""

from __future__ import annotations

import sqlite3

import pytest
from datasette.app import Datasette
from datasette.utils import tilde_encode

from test_permissions import XSS_OUTLET, build_corpus


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
    # TRT World's article is dated 2022-02-03 (day); Islam Times' 2022-02-04 22:17 UTC.
    assert gives["Islam Times"]["median_lag_days"] == pytest.approx(1.93, abs=0.01)
    assert gives["Islam Times"]["count"] == 1 and gives["Islam Times"]["relations"] == {"copied": 1}
    assert gives["Sputnik"]["median_lag_days"] is None  # the Sputnik article is undated
    assert data["articles"][0]["title"] == "Russia 'supports' US anti-terror efforts in Syria"


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
    copy = tmp_path / "corpus.db"
    copy.write_bytes(corpus.read_bytes())
    conn = sqlite3.connect(copy)
    trt = conn.execute("select id from articles where outlet = 'TRT World'").fetchone()[0]
    # Two more Islam Times takes from TRT World: lags of 1.93, 10 and 20 days give a median of 10.
    for days in (10, 20):
        new = conn.execute("insert into articles(external_id, outlet, published, published_precision, text,"
                           " content_hash) values (?, 'Islam Times', ?, 'day', 'x', 'x')",
                           (f"extra-{days}", f"2022-02-{3 + days:02d}")).lastrowid
        conn.execute("insert into derivations(derived_article_id, source_article_id, relation, shared_chars)"
                     " values (?, ?, 'copied', 100)", (new, trt))
    conn.commit()
    conn.close()
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
    assert "An upstream source credited" in html


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
    copy = tmp_path / "corpus.db"
    copy.write_bytes(corpus.read_bytes())
    conn = sqlite3.connect(copy)
    conn.execute("update articles set outlet = 'AP/Reuters. Pool' where outlet = 'The BRICS Post'")
    conn.commit()
    conn.close()
    ds = Datasette([str(copy)])
    data = (await ds.client.get("/corpus/-/provenance/outlet/" + tilde_encode("AP/Reuters. Pool") + ".json")).json()
    assert data["outlet"] == "AP/Reuters. Pool" and data["articles_count"] == 1


@pytest.mark.asyncio
async def test_articles_are_paginated(corpus):
    ds = Datasette([str(corpus)])
    first = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik.json?_size=1")).json()
    second = (await ds.client.get("/corpus/-/provenance/outlet/Sputnik.json?_size=1&page=2")).json()
    assert first["articles_pagination"] == {"page": 1, "page_size": 1, "total": 2, "pages": 2, "next": 2,
                                            "previous": None}
    assert first["articles"][0]["id"] != second["articles"][0]["id"]


@pytest.mark.asyncio
async def test_real_loader_output(seed_db):
    conn = sqlite3.connect(seed_db)
    ds = Datasette([str(seed_db)])
    for (outlet,) in conn.execute("select distinct outlet from articles where outlet is not null").fetchall():
        data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/outlet/{tilde_encode(outlet)}.json")).json()
        takes = conn.execute("select count(*) from derivations d join articles a on a.id = d.derived_article_id"
                             " where a.outlet = ?", (outlet,)).fetchone()[0]
        gives = conn.execute("select count(*) from derivations d join articles a on a.id = d.source_article_id"
                             " where a.outlet = ?", (outlet,)).fetchone()[0]
        assert sum(g["count"] for g in data["takes_from"]) == takes
        assert sum(g["count"] for g in data["gives_to"]) == gives
    conn.close()
