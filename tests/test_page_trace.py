"""The trace page: paste a passage, find where it appears and which outlet had it first."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest
from datasette.app import Datasette

from test_permissions import build_corpus

from datasette_provenance.load import load_paths
from datasette_provenance.pages.trace import MAX_CHARS

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# A fresh translation of the Zakharova statement that no article in the corpus carries verbatim.
PASTED = ("We are ready to cooperate with all interested countries in the interest of establishing an effective"
          " joint reaction to this common threat. Thanks.")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, seed_db):
    return build_corpus(tmp_path_factory.mktemp("corpus"), seed_db)


def trace_url(q: str, fmt: str = "") -> str:
    return f"/corpus/-/provenance/trace{fmt}?" + urlencode({"q": q})


@pytest.mark.asyncio
async def test_trace_finds_the_outlets_and_the_earliest(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get(trace_url(PASTED, ".json"))).json()
    first, thanks = data["sentences"]
    assert thanks["matchable"] is False and thanks["matches"] == []
    outlets = {m["outlet"] for m in first["matches"]}
    assert {"TRT World", "Islam Times", "Sputnik"} <= outlets
    for m in first["matches"]:
        assert m["jaccard"] >= 0.15 and m["cluster_ids"], m
    assert data["earliest_dated"]["outlet"] == "TRT World" and data["earliest_dated"]["published"] == "2022-02-03"
    assert [o["outlet"] for o in data["outlets"]][0] == "TRT World"
    # Sputnik's article has no date: it is listed apart, not ordered among the dated outlets.
    assert "Sputnik" not in {o["outlet"] for o in data["outlets"]}
    assert [o["outlet"] for o in data["undated_outlets"]] == ["Sputnik"]
    # Matches are the stored sentences' own text.
    conn = sqlite3.connect(corpus)
    for m in first["matches"]:
        ptext, s, e = conn.execute('select p.text, s.start, s."end" from sentences s join paragraphs p'
                                   " on p.id = s.paragraph_id where s.id = ?", (m["sentence_id"],)).fetchone()
        assert m["text"] == ptext[s:e]
    conn.close()


@pytest.mark.asyncio
async def test_trace_html(corpus):
    ds = Datasette([str(corpus)])
    html = (await ds.client.get(trace_url(PASTED))).text
    assert '<textarea id="prov-q" name="q" rows="6" data-max="20000">We are ready to cooperate' in html
    earliest = html.split("<h2>Earliest dated match</h2>")[1].split("</section>")[0]
    assert "TRT World" in earliest and "2022-02-03" in earliest
    dated = html.split('<tbody class="prov-trace-dated">')[1].split("</tbody>")[0]
    for outlet in ("TRT World", "Islam Times", "Evil &lt;b&gt;Outlet&lt;/b&gt;"):
        assert outlet in dated
    undated = html.split('<tbody class="prov-trace-undated">')[1].split("</tbody>")[0]
    assert "Sputnik" in undated and "Sputnik" not in dated
    assert "<b>Outlet" not in html and "<img src=x" not in html  # the hostile match is shown escaped
    assert "too short to match" in html


@pytest.mark.asyncio
async def test_unrelated_text_matches_nothing(corpus):
    ds = Datasette([str(corpus)])
    data = (await ds.client.get(trace_url(
        "The orchestra rehearsed the new symphony for three weeks before the premiere in Vienna.", ".json"))).json()
    assert data["sentences"][0]["matchable"] and data["sentences"][0]["matches"] == []
    assert data["earliest_dated"] is None and data["outlets"] == [] and data["undated_outlets"] == []


@pytest.mark.asyncio
async def test_empty_form(corpus):
    ds = Datasette([str(corpus)])
    html = (await ds.client.get("/corpus/-/provenance/trace")).text
    assert '<form class="prov-trace-form" method="get" action="/corpus/-/provenance/trace">' in html
    assert "Earliest dated match" not in html


@pytest.mark.asyncio
async def test_too_long_text_is_refused_clearly(corpus):
    ds = Datasette([str(corpus)])
    long = (PASTED + " ") * (MAX_CHARS // len(PASTED) + 1)
    r = await ds.client.get(trace_url(long, ".json"))
    assert r.status_code == 400
    assert r.json()["error"].startswith(f"The text is {len(long):,} characters long; trace takes at most 20,000")
    html = await ds.client.get(trace_url(long))
    assert html.status_code == 400 and "trace takes at most 20,000 characters" in html.text


@pytest.mark.asyncio
async def test_trace_works_on_an_immutable_database(corpus, tmp_path):
    copy = tmp_path / "corpus.db"
    copy.write_bytes(corpus.read_bytes())
    copy.chmod(0o444)
    before = copy.read_bytes()
    ds = Datasette([], immutables=[str(copy)])
    data = (await ds.client.get(trace_url(PASTED, ".json"))).json()
    assert data["earliest_dated"]["outlet"] == "TRT World"
    assert copy.read_bytes() == before and not (tmp_path / "corpus.db-wal").exists()


@pytest.mark.asyncio
async def test_stored_settings_are_used(tmp_path):
    """Band keys made with other banding: the stored settings decide, not the defaults."""
    from datasette_provenance.load import load_paths
    from datasette_provenance.signatures import Settings

    path = tmp_path / "other.db"
    load_paths(str(path), [str(SEEDS)], settings=Settings(bands=32, rows=4))
    ds = Datasette([str(path)])
    data = (await ds.client.get("/other/-/provenance/trace.json?" + urlencode({"q": PASTED}))).json()
    # With the default 42 bands of 3 rows no key would be found; with the stored 32 x 4 TRT World's is.
    assert "TRT World" in {m["outlet"] for m in data["sentences"][0]["matches"]}


@pytest.mark.asyncio
async def test_real_loader_output(seed_db):
    """Each stored matchable sentence of the seeds, pasted back, finds at least its own article."""
    conn = sqlite3.connect(seed_db)
    rows = conn.execute("select s.id, s.article_id, p.text, s.start, s.\"end\" from sentences s join paragraphs p"
                        " on p.id = s.paragraph_id where s.kind = 'text' and s.id in"
                        " (select sentence_id from cluster_members) order by s.id").fetchall()
    conn.close()
    ds = Datasette([str(seed_db)])
    for sid, aid, ptext, s, e in rows:
        data = (await ds.client.get(f"/{seed_db.stem}/-/provenance/trace.json?" + urlencode({"q": ptext[s:e]}))).json()
        found = {m["sentence_id"] for sent in data["sentences"] for m in sent["matches"]}
        assert sid in found, (sid, ptext[s:e])


@pytest.mark.asyncio
async def test_a_chinese_passage_is_traced(tmp_path):
    """Sentences are split and weighed as the loader does: a Chinese sentence of 30 characters says as
    much as 90 letters of an alphabet, and ends at 。."""
    import json

    from datasette_provenance.load import load_paths
    from test_scripts import TEXTS

    rows = [{"id": "a", "outlet": "Alpha", "published": "2022-02-03", "text": TEXTS["zh"]},
            {"id": "b", "outlet": "Beta", "published": "2022-02-04", "text": TEXTS["zh"]}]
    (tmp_path / "zh.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    load_paths(str(tmp_path / "zh.db"), [tmp_path / "zh.jsonl"])
    pasted = "扎哈罗娃还呼吁，如果美军行动中出现平民伤亡，应当进行彻底调查。她没有说更多。"
    ds = Datasette([str(tmp_path / "zh.db")])
    data = (await ds.client.get("/zh/-/provenance/trace.json?" + urlencode({"q": pasted}))).json()
    first, short = data["sentences"]
    assert first["text"].endswith("调查。") and first["matchable"] and not short["matchable"]
    assert {m["outlet"] for m in first["matches"]} == {"Alpha", "Beta"}
    assert data["earliest_dated"]["outlet"] == "Alpha"


@pytest.mark.asyncio
async def test_trace_pairs_with_a_buckets_earliest_articles_as_the_loader_does(tmp_path):
    """In a bucket over the cap the loader pairs through its earliest articles, not its first-loaded rows:
    loaded newest first, the trace still finds the two earliest carriers of a line shared by four."""
    import json

    from datasette_provenance.load import load_paths
    from datasette_provenance.signatures import Settings

    line = "The ministry said the talks with the delegation would continue on Monday in Geneva as planned."
    rows = [{"id": f"a{day}", "outlet": f"Outlet {day}", "published": f"2022-02-0{day}",
             "text": f"{line}\nStory number {day} has its own second sentence about the weather in town {day}."}
            for day in (4, 3, 2, 1)]  # newest first: ids follow the load order, the heads do not
    (tmp_path / "l.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    load_paths(str(tmp_path / "l.db"), [tmp_path / "l.jsonl"], settings=Settings(max_bucket=2))
    ds = Datasette([str(tmp_path / "l.db")])
    data = (await ds.client.get("/l/-/provenance/trace.json?" + urlencode({"q": line}))).json()
    assert {m["outlet"] for m in data["sentences"][0]["matches"]} == {"Outlet 1", "Outlet 2"}
    assert data["earliest_dated"]["outlet"] == "Outlet 1"


# ---------------------------------------------------------------- issue 16: dated and undated, zones, lags

LINE = "The ministry said the talks with the delegation would continue on Monday in Geneva as planned."


def line_corpus(folder: Path, dates: dict[str, str | None], stored: dict[str, str] | None = None) -> Path:
    """Articles of the outlets in ``dates`` (the loader's input, in that order) sharing LINE; ``stored``
    then writes other ``published`` values as a database may hold them (a time kept without a zone, or
    with its offset), which the loader itself does not produce."""
    import json

    from datasette_provenance.load import load_paths

    records = []
    for n, (outlet, published) in enumerate(dates.items()):
        record = {"id": f"a{n}", "outlet": outlet,
                  "text": f"{LINE}\nStory number {n} has its own second sentence about the weather in town {n}."}
        if published:
            record["published"] = published
        records.append(record)
    (folder / "l.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    path = folder / "l.db"
    load_paths(str(path), [folder / "l.jsonl"])
    conn = sqlite3.connect(path)
    with conn:
        for outlet, published in (stored or {}).items():
            conn.execute("update articles set published = ? where outlet = ?", (published, outlet))
    conn.close()
    return path


DATES = {"Undated Weekly": None, "Alpha": "2022-02-03T08:00Z", "Beta": "2022-02-03T13:00Z",
         "Gamma": "2022-02-04T15:00Z", "Delta": "2022-02-06T08:00Z", "Echo": "2022-02-10",
         "Undated Daily": None}
# Beta's time as given without a zone; Gamma's with its offset (the same moment as 15:00 UTC).
STORED = {"Beta": "2022-02-03T13:00:00", "Gamma": "2022-02-04T18:00:00+03:00"}


@pytest.fixture(scope="module")
def lines(tmp_path_factory):
    return line_corpus(tmp_path_factory.mktemp("lines"), DATES, STORED)


def outlet_row(html: str, outlet: str) -> str:
    """The row of the outlets table that names ``outlet``."""
    table = html.split('class="prov-table prov-trace-outlets"')[1].split("</table>")[0]
    found = [row for row in table.split("<tr>") if f">{outlet}</a>" in row]
    assert len(found) == 1, (outlet, table)
    return found[0].split("</tr>")[0]


@pytest.mark.asyncio
async def test_earliest_dated_match_with_undated_ones_apart_html(lines):
    ds = Datasette([str(lines)])
    html = (await ds.client.get("/l/-/provenance/trace?" + urlencode({"q": LINE}))).text
    earliest = html.split("<h2>Earliest dated match</h2>")[1].split("</section>")[0]
    assert ">Alpha</a>" in earliest and "Undated Weekly" not in earliest and "Undated Daily" not in earliest
    assert "with no publication date they cannot be ordered" in earliest
    dated = html.split('<tbody class="prov-trace-dated">')[1].split("</tbody>")[0]
    assert [row.split("</a>")[0].rsplit(">", 1)[1] for row in dated.split("<tr>")[1:]] == [
        "Alpha", "Beta", "Gamma", "Delta", "Echo"]
    undated = html.split('<tbody class="prov-trace-undated">')[1].split("</tbody>")[0]
    assert "have no publication date, so they cannot be ordered" in undated
    assert ">Undated Weekly</a>" in undated and ">Undated Daily</a>" in undated
    assert "Undated" not in dated
    # Sentence by sentence too: an undated match says it cannot be ordered, the earliest says what it is.
    sentences = html.split('<ol class="prov-trace-sentences">')[1].split("</ol>")[0]
    undated_item = sentences.split(">Undated Daily</a>")[1].split("</li>")[0]
    assert "undated" in undated_item and "no date: cannot be ordered" in undated_item
    assert "earliest dated match" in sentences.split(">Alpha</a>")[1].split("</li>")[0]


@pytest.mark.asyncio
async def test_earliest_dated_match_with_undated_ones_apart_json(lines):
    ds = Datasette([str(lines)])
    data = (await ds.client.get("/l/-/provenance/trace.json?" + urlencode({"q": LINE}))).json()
    assert data["earliest_dated"]["outlet"] == "Alpha" and data["earliest"] == data["earliest_dated"]
    assert data["earliest_dated"]["published"] == "2022-02-03T08:00:00Z"
    assert [o["outlet"] for o in data["outlets"]] == ["Alpha", "Beta", "Gamma", "Delta", "Echo"]
    assert sorted(o["outlet"] for o in data["undated_outlets"]) == ["Undated Daily", "Undated Weekly"]
    assert all(o["first_published"] is None and o["lag"] is None for o in data["undated_outlets"])
    matches = data["sentences"][0]["matches"]
    assert {m["outlet"]: m["dated"] for m in matches} == {name: name not in ("Undated Weekly", "Undated Daily")
                                                          for name in DATES}
    assert [m["dated"] for m in matches] == [True] * 5 + [False] * 2  # dated first, in time order


@pytest.mark.asyncio
async def test_only_undated_or_unreadable_dates_give_no_earliest(tmp_path):
    """A stored date that cannot be read is no date: it is not "the earliest" for being the only one."""
    path = line_corpus(tmp_path, {"Garbled": "2022-02-03", "Undated Daily": None}, {"Garbled": "last Tuesday"})
    ds = Datasette([str(path)])
    data = (await ds.client.get("/l/-/provenance/trace.json?" + urlencode({"q": LINE}))).json()
    assert data["earliest_dated"] is None and data["outlets"] == []
    assert sorted(o["outlet"] for o in data["undated_outlets"]) == ["Garbled", "Undated Daily"]
    html = (await ds.client.get("/l/-/provenance/trace?" + urlencode({"q": LINE}))).text
    earliest = html.split("<h2>Earliest dated match</h2>")[1].split("</section>")[0]
    assert "None of the matching articles has a publication date, so none can be called the earliest" in earliest
    assert "last Tuesday" not in html.split('<tbody class="prov-trace-undated">')[1]


@pytest.mark.asyncio
async def test_times_keep_their_stored_zone(lines):
    """A time stored without a zone is shown as given (no "UTC", no "Z"); one with an offset with that
    offset; one stored in UTC ("Z") says UTC; a day stays a day."""
    ds = Datasette([str(lines)])
    html = (await ds.client.get("/l/-/provenance/trace?" + urlencode({"q": LINE}))).text
    beta = outlet_row(html, "Beta")
    assert '<time datetime="2022-02-03T13:00:00">2022-02-03 13:00</time>' in beta
    assert "UTC" not in beta and "13:00Z" not in beta and "13:00:00Z" not in beta
    assert '<time datetime="2022-02-04T18:00:00+03:00">2022-02-04 18:00 +03:00</time>' in outlet_row(html, "Gamma")
    assert ">2022-02-03 08:00 UTC</time>" in outlet_row(html, "Alpha")
    assert ">2022-02-10</time>" in outlet_row(html, "Echo") and "(day)" in outlet_row(html, "Echo")
    sentences = html.split('<ol class="prov-trace-sentences">')[1].split("</ol>")[0]
    beta_item = sentences.split(">Beta</a>")[1].split("</li>")[0]
    assert "2022-02-03 13:00" in beta_item and "UTC" not in beta_item
    data = (await ds.client.get("/l/-/provenance/trace.json?" + urlencode({"q": LINE}))).json()
    shown = {o["outlet"]: o["first_published_text"] for o in data["outlets"]}
    assert shown == {"Alpha": "2022-02-03 08:00 UTC", "Beta": "2022-02-03 13:00", "Gamma": "2022-02-04 18:00 +03:00",
                     "Delta": "2022-02-06 08:00 UTC", "Echo": "2022-02-10"}
    assert {o["outlet"]: o["first_published"] for o in data["outlets"]}["Beta"] == "2022-02-03T13:00:00"


@pytest.mark.asyncio
async def test_lags_under_two_days_in_hours_longer_in_days(lines):
    ds = Datasette([str(lines)])
    html = (await ds.client.get("/l/-/provenance/trace?" + urlencode({"q": LINE}))).text
    assert "earliest" in outlet_row(html, "Alpha")
    assert ">+5 h<" in outlet_row(html, "Beta")
    assert ">+31 h<" in outlet_row(html, "Gamma")  # 18:00 +03:00 is 15:00 UTC, 31 hours after 08:00 UTC
    assert ">+3 days<" in outlet_row(html, "Delta")
    assert ">+7 days<" in outlet_row(html, "Echo")  # known only to the day: in whole days
    sentences = html.split('<ol class="prov-trace-sentences">')[1].split("</ol>")[0]
    assert "+31 h" in sentences.split(">Gamma</a>")[1].split("</li>")[0]
    data = (await ds.client.get("/l/-/provenance/trace.json?" + urlencode({"q": LINE}))).json()
    lags = {o["outlet"]: (o["lag"], o["lag_hours"], o["lag_days"]) for o in data["outlets"]}
    assert lags == {"Alpha": ("+0 min", 0.0, 0.0), "Beta": ("+5 h", 5.0, 0.21), "Gamma": ("+31 h", 31.0, 1.29),
                    "Delta": ("+3 days", 72.0, 3.0), "Echo": ("+7 days", None, 7)}


def test_lag_labels():
    from datasette_provenance.pages.trace import lag

    def between(a: str, b: str, pa: bool = False, pb: bool = False) -> str:
        return lag({"published": a, "day_precision": pa}, {"published": b, "day_precision": pb})["lag"]

    assert between("2022-02-03T08:00:00Z", "2022-02-03T08:25:00Z") == "+25 min"
    assert between("2022-02-03T08:00:00Z", "2022-02-05T07:00:00Z") == "+47 h"
    assert between("2022-02-03T08:00:00Z", "2022-02-05T08:00:00Z") == "+2 days"
    assert between("2022-02-03T08:00:00Z", "2022-02-05T20:00:00Z") == "+2.5 days"
    assert between("2022-02-03", "2022-02-03T20:00:00Z", pa=True) == "same day"
    assert between("2022-02-03", "2022-02-04", pa=True, pb=True) == "+1 day"


@pytest.mark.asyncio
async def test_a_sentence_is_traced_on_its_words_as_the_loader_links_it(tmp_path):
    """A text of one sentence meets stored articles of one sentence on their words too (``lone_words``),
    as the loader links two such articles; a longer article's sentence needs the character bar."""
    import json

    from datasette_provenance.load import load_paths
    from test_load import RENDERED

    stored, pasted = RENDERED[0]
    rows = [{"id": "alone", "outlet": "Alpha", "published": "2022-02-03", "text": stored},
            {"id": "story", "outlet": "Beta", "published": "2022-02-02",
             "text": "Weather stations recorded frost in four valleys overnight, the earliest in years. " + stored}]
    (tmp_path / "one.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    load_paths(str(tmp_path / "one.db"), [tmp_path / "one.jsonl"])
    ds = Datasette([str(tmp_path / "one.db")])
    data = (await ds.client.get("/one/-/provenance/trace.json?" + urlencode({"q": pasted}))).json()
    (sentence,) = data["sentences"]
    assert [(m["outlet"], m["jaccard"] < 0.28) for m in sentence["matches"]] == [("Alpha", True)]
    with sqlite3.connect(tmp_path / "one.db") as db:
        db.execute("update settings set value = '0' where key = 'lone_words'")
    data = (await Datasette([str(tmp_path / "one.db")]).client.get(
        "/one/-/provenance/trace.json?" + urlencode({"q": pasted}))).json()
    assert data["sentences"][0]["matches"] == []


@pytest.mark.asyncio
async def test_a_rewording_is_traced_to_the_statement_an_earlier_article_carried_in_other_words(tmp_path):
    """A tabloid merged two of the agency's sentences: pasted, its sentence matches only itself, yet it is
    in a statement with the agency's sentence, carried hours earlier: the page names that too."""
    from test_court_report import AGENCY, TABLOID
    records = [{"id": "agency", "outlet": "PA Media", "published": "2001-05-03T09:10", "text": "\n\n".join(AGENCY)},
               {"id": "tabloid", "outlet": "The Sun", "published": "2001-05-03",
                "text": "\n\n".join(s for s, _ in TABLOID)}]
    (tmp_path / "court.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    db = tmp_path / "corpus.db"
    load_paths(str(db), [str(tmp_path / "court.jsonl")])
    ds = Datasette([str(db)])
    merged = TABLOID[4][0]  # the nurse and the bank cards in one sentence
    data = (await ds.client.get(trace_url(merged, ".json"))).json()
    assert {m["outlet"] for s in data["sentences"] for m in s["matches"]} == {"The Sun"}
    earlier = data["earlier_statement"]
    assert earlier["first_outlet"] == "PA Media" and earlier["first_published"] == "2001-05-03T09:10:00"
    assert earlier["label"].startswith("Police were alerted in March last year")
    html = (await ds.client.get(trace_url(merged))).text
    assert "Earlier in other words" in html and f'href="{earlier["url"]}"' in html
    # The agency's own sentence pasted: the earliest match is the statement's first article, nothing earlier.
    data = (await ds.client.get(trace_url(AGENCY[4], ".json"))).json()
    assert data["earliest_dated"]["outlet"] == "PA Media" and data["earlier_statement"] is None
