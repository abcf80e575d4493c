"""The loader: idempotent, incremental, refuses to mix signatures, and never loses good input."""

import json
import shutil
import sqlite3
from contextlib import closing

import pytest
from click.testing import CliRunner
from datasette.cli import cli

from datasette_provenance.candidates import hits_sql
from datasette_provenance.load import load_paths, upgrade_due
from datasette_provenance.signatures import Settings
from datasette_provenance.store import IncompatibleSettings

from conftest import SEEDS, one_sentence_renderings, one_sentence_rewrites


def snapshot(path):
    """Everything a load decides, keyed by stable names so two databases can be compared."""
    db = sqlite3.connect(path)
    ext = dict(db.execute("select id, external_id from articles"))
    clusters = sorted(
        tuple(sorted((ext[a], s, e) for a, s, e in db.execute(
            'select m.article_id, p.start + m.start, p.start + m."end" from cluster_members m'
            " join paragraphs p on p.id = m.paragraph_id where m.cluster_id = ?", (c,))))
        for (c,) in db.execute("select id from clusters")
    )
    derivations = sorted(
        (ext[d], ext.get(s) or "", name or "", rel, extent, chars)
        for d, s, name, rel, extent, chars in db.execute(
            "select derived_article_id, source_article_id, source_name, relation, extent, shared_chars"
            " from derivations")
    )
    shares = sorted((ext[a], r) for a, r in db.execute("select id, reuse_share from articles"))
    db.close()
    return clusters, derivations, shares


def test_loading_twice_changes_nothing(tmp_path, seed_db):
    path = tmp_path / "again.db"
    shutil.copy(seed_db, path)
    before = snapshot(path)
    summary = load_paths(str(path), [str(SEEDS)])
    assert summary.articles_added == 0 and summary.articles_unchanged == 5
    assert snapshot(path) == before
    assert before[0], "the seed corpus has clusters"


def test_incremental_load_equals_full_load(tmp_path, seed_db):
    files = sorted(SEEDS.glob("*.txt"))
    path = tmp_path / "incremental.db"
    load_paths(str(path), [str(f) for f in files[3:]])
    load_paths(str(path), [str(f) for f in files[:2]])
    summary = load_paths(str(path), [str(files[2])])
    assert summary.articles_added == 1
    assert snapshot(path) == snapshot(seed_db)


def test_bad_input_is_reported_and_the_rest_loads(tmp_path):
    data = tmp_path / "in"
    data.mkdir()
    good = {"id": "g1", "outlet": "A", "text": "The minister said the talks would resume in Geneva next week, officials confirmed."}
    (data / "a.jsonl").write_text(
        json.dumps(good) + "\n{broken json\n" + json.dumps({"id": "n1", "title": "no text"}) + "\n"
        + json.dumps({**good, "id": "g2"}) + "\n"
    )
    (data / "b.csv").write_text("id,outlet\nx,y\n")
    (data / "c.txt").write_bytes(b"\xff\xfe\x00garbage \xff bytes")
    path = tmp_path / "c.db"
    summary = load_paths(str(path), [str(data)])
    assert summary.articles_added == 2
    messages = [str(e) for e in summary.errors]
    assert any("a.jsonl:2" in m for m in messages), messages
    assert any("a.jsonl:3" in m and "text" in m for m in messages), messages
    assert any("b.csv" in m and "text" in m for m in messages), messages
    assert any("c.txt" in m for m in messages), messages
    db = sqlite3.connect(path)
    assert {r[0] for r in db.execute("select external_id from articles")} == {"g1", "g2"}
    rows = db.execute("select source, line, reason from load_errors").fetchall()
    assert len(rows) == len(summary.errors) and any(r[1] == 2 for r in rows)


def test_duplicate_id_with_other_text_keeps_the_first(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text(json.dumps({"id": "x", "text": "First version of the story, long enough to be an article."}) + "\n")
    b = tmp_path / "b.jsonl"
    b.write_text(json.dumps({"id": "x", "text": "Second, different version of the story text."}) + "\n")
    path = str(tmp_path / "d.db")
    load_paths(path, [str(a)])
    summary = load_paths(path, [str(b)])
    assert summary.articles_added == 0
    assert "duplicate id 'x'" in str(summary.errors[0])
    assert sqlite3.connect(path).execute("select text from articles").fetchone()[0].startswith("First")


def test_incompatible_signature_settings_are_refused(tmp_path, seed_db):
    path = tmp_path / "s.db"
    shutil.copy(seed_db, path)
    with pytest.raises(IncompatibleSettings, match="num_perm"):
        load_paths(str(path), [str(SEEDS)], settings=Settings(num_perm=256, bands=85))


def test_articles_of_one_sentence_have_bands_of_their_own(tmp_path):
    """An article of one sentence has no neighbour to align from: its sentence is also in the looser
    lone bands, so that a rewrite just above the Jaccard bar is found nearly always, not six times in
    ten. A sentence of a longer article is not in them, so a story costs no more to load."""
    records = one_sentence_rewrites(40)
    longer = {"id": "long", "outlet": "Desk C", "text": " ".join(r["text"] for r in records[:6:2])}
    src = tmp_path / "lone.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records + [longer]) + "\n")

    def linked_and_rows(settings):
        path = tmp_path / f"lone{settings.lone_bands}.db"
        load_paths(str(path), [str(src)], settings=settings)
        with sqlite3.connect(path) as db:
            pairs = {tuple(sorted(p)) for p in db.execute(
                "select x.external_id, y.external_id from links l join sentences a on a.id = l.sentence_a"
                " join sentences b on b.id = l.sentence_b join articles x on x.id = a.article_id"
                " join articles y on y.id = b.article_id")}
            rows = dict(db.execute("select a.external_id, count(*) / count(distinct k.sentence_id) from band_keys k"
                                   " join sentences s on s.id = k.sentence_id join articles a on a.id = s.article_id"
                                   " group by a.external_id"))
        found = sum((f"a{n}", f"b{n}") in pairs for n in range(40))
        strays = {p for p in pairs if "long" not in p and p[0][1:] != p[1][1:]}
        return found, strays, rows

    found, strays, rows = linked_and_rows(Settings())
    without, _, rows_without = linked_and_rows(Settings(lone_bands=0))
    assert found >= 39 and without <= 32 and not strays
    assert rows["a0"] == 42 + 64 and rows["long"] == 42
    assert set(rows_without.values()) == {42}


def test_a_database_from_before_the_lone_bands_goes_on_without_them(tmp_path):
    """Its stored sentences have no lone keys, so a later one-sentence article must not expect any:
    a database whose settings do not name lone_bands was built with none."""
    records = one_sentence_rewrites(4)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(json.dumps(r) + "\n" for r in records[::2]))
    second.write_text("".join(json.dumps(r) + "\n" for r in records[1::2]))
    path = tmp_path / "old.db"
    load_paths(str(path), [str(first)], settings=Settings(lone_bands=0))
    with sqlite3.connect(path) as db:
        db.execute("delete from settings where key in ('lone_bands', 'lone_rows', 'lone_words')")
    load_paths(str(path), [str(second)])
    with sqlite3.connect(path) as db:
        per_sentence = {n for (n,) in db.execute("select count(*) from band_keys group by sentence_id")}
        settings = Settings.from_rows(dict(db.execute("select key, value from settings")))
    assert per_sentence == {42} and settings.lone_bands == 0 and settings.lone_words == 0


def _linked_pairs(path) -> set[tuple[str, str]]:
    with sqlite3.connect(path) as db:
        return {tuple(sorted(p)) for p in db.execute(
            "select x.external_id, y.external_id from links l join sentences a on a.id = l.sentence_a"
            " join sentences b on b.id = l.sentence_b join articles x on x.id = a.article_id"
            " join articles y on y.id = b.article_id")}


# One-sentence renderings a little below the character bar, in the same words (word-stem Jaccard
# 0.48 and 0.41), and sentences of the same stories that say something else (0.32-0.35).
RENDERED = [("The minister said on Tuesday that the new border rules would take effect in March.",
             "New rules for the border are taking effect in March, according to the minister's statement on"
             " Tuesday."),
            ("The court sentenced the former mayor to four years in prison for corruption.",
             "The ex-mayor got four years' imprisonment from the court for corrupt practices.")]
SAME_STORY = [("Police arrested three men suspected of robbing the bank near the royal palace.",
               "The bank near the royal palace reopened on Monday after the robbery, police said."),
              ("Heavy rains caused flooding in several villages in the south of the country.",
               "Heavy rains are forecast for the south of the country later this week."),
              (None, "The former mayor denied the corruption charges in court and said he would appeal.")]


def test_articles_of_one_sentence_link_on_their_words(tmp_path):
    """Two articles of one sentence each have no neighbours to align: a translation that inflects
    and reorders the words falls below the character bar. They link when the words cut to five
    letters agree (``lone_words``) and the two are of two outlets; sentences of the same story that
    say something else do not, and the same renderings inside longer articles need their alignment,
    as before."""
    records = one_sentence_renderings(40)
    for n, (ours, theirs) in enumerate(RENDERED + SAME_STORY):
        records += [{"id": f"x{n}", "outlet": "Desk A", "text": ours}] * (ours is not None)
        records.append({"id": f"y{n}", "outlet": "Desk B", "text": theirs})
    longer = []  # the same renderings, each after an unrelated sentence of its own
    for n, (ours, theirs) in enumerate(RENDERED):
        longer += [{"id": f"lx{n}", "outlet": "Desk C", "text": f"Weather stations recorded frost in {n + 2} valleys"
                                                                 f" overnight, the earliest in years. {ours}"},
                    {"id": f"ly{n}", "outlet": "Desk D", "text": f"Ticket sales for the {n + 3} concerts of the summer"
                                                                 f" festival opened this morning online. {theirs}"}]
    for name, rows in (("rendered", records), ("longer", longer)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    load_paths(str(tmp_path / "words.db"), [str(tmp_path / "rendered.jsonl")])
    load_paths(str(tmp_path / "none.db"), [str(tmp_path / "rendered.jsonl")], settings=Settings(lone_words=0))
    load_paths(str(tmp_path / "longer.db"), [str(tmp_path / "longer.jsonl")])
    (tmp_path / "one.jsonl").write_text("".join(json.dumps({**r, "outlet": "Desk A"}) + "\n" for r in records))
    load_paths(str(tmp_path / "one.db"), [str(tmp_path / "one.jsonl")])
    pairs, without = _linked_pairs(tmp_path / "words.db"), _linked_pairs(tmp_path / "none.db")
    found = sum((f"ra{n}", f"rb{n}") in pairs for n in range(40))
    assert found >= 30 and not without
    assert not _linked_pairs(tmp_path / "one.db")  # one outlet words its own items alike: no provenance
    assert {p for p in pairs if p[0][0] == "x"} == {("x0", "y0"), ("x1", "y1")}  # not x1-y4: another statement
    assert {p for p in pairs if p[0][0] == "r"} <= {(f"ra{n}", f"rb{n}") for n in range(40)}  # no strays
    assert not _linked_pairs(tmp_path / "longer.db")


def test_outlet_boilerplate_is_flagged_not_linked(tmp_path):
    """A line one outlet repeats in many articles is its template, not provenance."""
    footer = "Follow Example News on our channel for more stories and exclusive reports every day"
    records = []
    bodies = ["Farmers in the northern valley harvested record wheat yields after an unusually wet spring.",
              "The central bank kept interest rates unchanged, citing persistent inflation in services.",
              "A new bridge over the river opened to traffic on Monday after four years of construction.",
              "Scientists reported that the glacier lost a third of its mass over the past two decades."]
    for i, body in enumerate(bodies):
        records.append({"id": f"e{i}", "outlet": "Example News", "text": f"{body}\n{footer.replace('every', f'each {i}' if i == 3 else 'every')}"})
    src = tmp_path / "e.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    path = tmp_path / "e.db"
    load_paths(str(path), [str(src)])
    db = sqlite3.connect(path)
    assert db.execute("select count(*) from cluster_members").fetchone()[0] == 0
    kinds = {k for (k,) in db.execute("select kind from paragraphs where text like 'Follow Example%'")}
    assert kinds <= {"template", "contact"} and db.execute(
        "select count(*) from paragraphs where text like 'Follow Example%' and boilerplate = 1").fetchone()[0] == 4


def test_command_line_loads_and_summarises(tmp_path):
    path = tmp_path / "cli.db"
    result = CliRunner().invoke(cli, ["provenance", "load", str(path), str(SEEDS), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "5 articles added" in result.output
    assert "clusters in the corpus" in result.output
    bad = CliRunner().invoke(cli, ["provenance", "load", str(path), str(SEEDS), "--published", "not a date"])
    assert bad.exit_code != 0 and "not a date" in bad.output


def test_command_line_says_why_a_load_waits_after_an_upgrade(tmp_path):
    """A database an older version clustered or derived is redone before the first batch (minutes on a
    large corpus, the bar at 0 %): the command says so first, and only then."""
    path = tmp_path / "cli.db"
    load = ["provenance", "load", str(path), str(SEEDS), "--quiet"]
    first = CliRunner().invoke(cli, load)
    assert first.exit_code == 0 and "older version" not in first.output
    assert upgrade_due(str(path)) == [] and upgrade_due(str(tmp_path / "none.db")) == []
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("update settings set value = 'older' where key = 'provenance_rules'")
    assert upgrade_due(str(path)) == ["derivations"]
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("delete from settings where key = 'cluster_rules'")
    assert upgrade_due(str(path)) == ["clusters", "derivations"]
    again = CliRunner().invoke(cli, load)
    assert again.exit_code == 0, again.output
    assert f"the clusters and derivations in {path} were made by an older version's rules" in again.output
    assert "clusters of" in again.output and upgrade_due(str(path)) == []
    assert "older version" not in CliRunner().invoke(cli, load).output


def test_a_later_load_takes_the_databases_settings(tmp_path):
    """Options given once stay with the database: later loads need not repeat them and may not contradict them."""
    path = tmp_path / "kept.db"
    load = ["provenance", "load", str(path), str(SEEDS), "--quiet", "--jobs", "1"]
    assert CliRunner().invoke(cli, load + ["--window", "7", "--jaccard", "0.3"]).exit_code == 0
    again = CliRunner().invoke(cli, load)
    assert again.exit_code == 0 and "5 already loaded" in again.output, again.output
    for option, clash in [(["--window", "0"], "window=7 not 0"), (["--jaccard", "0.28"], "jaccard=0.3 not 0.28"),
                          (["--num-perm", "256"], "num_perm=128 not 256")]:
        refused = CliRunner().invoke(cli, load + option)
        assert refused.exit_code == 1 and clash in refused.output, refused.output
    assert CliRunner().invoke(cli, load + ["--window", "7"]).exit_code == 0
    db = sqlite3.connect(path)
    assert dict(db.execute("select key, value from settings where key in ('window', 'jaccard')")) == {
        "window": "7", "jaccard": "0.3"}
    db.close()


def test_full_text_index_follows_text_not_reuse_share(tmp_path, seed_db):
    """Updating reuse_share (every batch does) leaves the search index alone; a changed title is re-indexed.
    A database whose trigger re-indexes on any update (as sqlite-utils makes it) is narrowed on the next load."""
    path = tmp_path / "fts.db"
    shutil.copy(seed_db, path)
    db = sqlite3.connect(path)
    db.executescript('drop trigger articles_au; create trigger "articles_au" after update on "articles" begin'
                     ' insert into "articles_fts" ("articles_fts", rowid, "title", "text")'
                     " values ('delete', old.rowid, old.\"title\", old.\"text\");"
                     ' insert into "articles_fts" (rowid, "title", "text") values (new.rowid, new."title", new."text");'
                     " end;")
    db.close()
    load_paths(str(path), [str(SEEDS)])
    db = sqlite3.connect(path)
    before = db.total_changes
    db.execute("update articles set reuse_share = 0.5 where id = 1")
    assert db.total_changes - before == 1, "the search index was rewritten for a reuse_share update"
    db.execute("update articles set title = 'Zanzibarian headline' where id = 1")
    assert db.execute("select rowid from articles_fts where articles_fts match 'zanzibarian'").fetchall() == [(1,)]
    db.close()


def test_batches_grow_to_the_batch_size_on_a_small_database(tmp_path, monkeypatch):
    """Into a new database the first batch is small (the loader starts while workers prepare the next)
    and later ones full size; into one larger than a batch every batch is full size."""
    from datasette_provenance import load

    sizes: list[int] = []
    real = load._load_batch
    monkeypatch.setattr(load, "_load_batch", lambda conn, batch, *a: sizes.append(len(batch.articles))
                        or real(conn, batch, *a))
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"a{i}", "outlet": "X", "text": f"Article number {i} says little."})
                              + "\n" for i in range(600)), encoding="utf-8")
    path = str(tmp_path / "b.db")
    load.load_paths(path, [str(corpus)], batch_size=250)
    assert sizes == [200, 250, 150]  # the ramp starts at 200; the last batch is what is left
    sizes.clear()
    more = tmp_path / "more.jsonl"
    more.write_text(corpus.read_text("utf-8").replace('"a', '"b'), encoding="utf-8")
    load.load_paths(path, [str(more)], batch_size=300)
    assert sizes == [300, 300]  # 600 stored > 300: full batches at once
    assert [len(b) for b in load._chunks(range(3000), 1000, 250)] == [250, 500, 1000, 1000, 250]
    assert [x for b in load._chunks(range(3000), 1000, 250) for x in b] == list(range(3000))
    assert [len(b) for b in load._chunks(range(3000), 2000, 250)] == [250, 500, 1000, 625, 312, 313]  # wound down
    assert [x for b in load._chunks(range(3000), 2000, 250) for x in b] == list(range(3000))
    sizes.clear()
    load.load_paths(str(tmp_path / "new.db"), [str(corpus)], batch_size=400)
    assert sizes == [200, 400]
    sizes.clear()  # with workers it grows by an eighth (load.WORKER_RAMP), and winds down
    load.load_paths(str(tmp_path / "jobs.db"), [str(corpus), str(more)], batch_size=2000, jobs=2)
    assert sizes == [200, 225, 253, 284, 238]
    assert [x for b in load._chunks(range(3000), 2000, 200, 1.125) for x in b] == list(range(3000))


@pytest.mark.parametrize("window", [False, True])
def test_a_batch_seeks_each_of_its_band_keys_in_each_period(seed_db, window):
    """The planner must not scan a period of the band-key index per key (a join order it prefers on
    small tables, and a batch's cost that grows with the corpus)."""
    plan = sqlite3.connect(seed_db).execute(
        "explain query plan " + hits_sql(window),
        {"none": -1, "keys": "[1, 2]", "periods": "[0]", "first": 10, "lo": 0, "hi": 9, "bucket": 64}).fetchall()
    steps = [row[-1] for row in plan]
    assert "SEARCH b USING PRIMARY KEY (period=? AND key=? AND sentence_id<?)" in steps, steps
    assert not any(step.startswith("SCAN b") for step in steps), steps


# Tables that grow with the corpus: a batch that reads one of them whole costs more with every batch.
_CORPUS_TABLES = {"articles", "paragraphs", "sentences", "links", "band_keys", "sketches", "clusters",
                  "cluster_members", "derivations", "attributions", "quotes"}
# Once a load, not once a batch: the corpus summary, the search index when it is (re)built, and
# whether the outlet counts are missing (exists: the first row answers).
_ONCE_A_LOAD = ("select count(*) from clusters", 'insert into "articles_fts" (rowid, "title", "text")',
                "select (not exists (select 1 from outlet_edges)",
                "select id from articles order by id")  # only when older rules made the derivations: all are redone


def test_no_statement_of_a_load_reads_a_corpus_table_whole(tmp_path, monkeypatch):
    """Every statement the loader runs, planned by SQLite: none scans a table that grows with the corpus
    (a scan per batch made a million-article load slower with every batch)."""
    from datasette_provenance import store

    statements: list[str] = []
    connect = store.connect

    def traced(path: str, *factory) -> sqlite3.Connection:
        conn = connect(path, *factory)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(store, "connect", traced)
    for window in (0, 7):
        db = tmp_path / f"traced{window}.db"
        load_paths(str(db), [str(SEEDS)], batch_size=2, settings={"window": window})
        load_paths(str(db), [str(SEEDS)], batch_size=2)
    assert len(statements) > 100
    conn = sqlite3.connect(db)
    scans = {}
    for sql in set(statements):
        text = " ".join(sql.split())
        if not text.lower().startswith(("select", "with", "insert", "update", "delete")) or \
                text.lower().startswith(_ONCE_A_LOAD) or " limit 1" in text.lower() or " reclustered" in text:
            continue  # (reclustered: the temporary table of a load that reclusters after an upgrade)
        for *_, step in conn.execute("explain query plan " + sql):
            words = step.split()
            if words[0] == "SCAN" and words[1] in _CORPUS_TABLES or words[:2] == ["SCAN", "l"]:
                scans[text[:200]] = step
    assert not scans, scans


def test_summary_counts_what_direction_depends_on(tmp_path):
    """An article without an outlet, a date or a time is counted, and the summary says what that costs."""
    text = "The harbour master ordered every fishing boat to stay moored until the storm had passed the {} coast."
    records = [
        {"id": "full", "outlet": "A", "published": "2022-02-03T10:00:00Z", "text": text.format("northern")},
        {"id": "bare", "text": text.format("southern")},  # no outlet, no date
        {"id": "day", "outlet": "B", "published": "2022-02-03", "text": text.format("eastern")},
        {"id": "day-no-outlet", "published": "3 February 2022", "text": text.format("western")},
    ]
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    path = tmp_path / "c.db"
    summary = load_paths(str(path), [str(data)])
    assert (summary.articles_added, summary.without_outlet, summary.without_date, summary.day_only) == (4, 2, 1, 2)
    assert ("2 of the 4 articles added have no outlet, 1 no date, 2 a date without a time:"
            " the direction between them rests on text alone") in str(summary)
    again = load_paths(str(path), [str(data)])  # nothing added: nothing to warn about
    assert again.articles_added == 0 and "rests on text alone" not in str(again)
    dated = tmp_path / "dated.jsonl"
    dated.write_text(json.dumps({"id": "x", "outlet": "C", "published": "2022-02-04T08:00:00Z",
                                 "text": text.format("whole")}) + "\n")
    result = CliRunner().invoke(cli, ["provenance", "load", str(path), str(dated), "--quiet"])
    assert result.exit_code == 0 and "1 articles added" in result.output
    assert "rests on text alone" not in result.output
    result = CliRunner().invoke(cli, ["provenance", "load", str(tmp_path / "d.db"), str(data), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "2 of the 4 articles added have no outlet, 1 no date, 2 a date without a time" in result.output
    # One outlet for all: only the dates are missing.
    result = CliRunner().invoke(cli, ["provenance", "load", str(tmp_path / "e.db"), str(data), "--quiet",
                                      "--outlet", "Z"])
    assert "1 of the 4 articles added has no date, 2 a date without a time" in result.output, result.output


@pytest.mark.parametrize("rows", [0, 1, 332, 333, 334, 1000])
def test_insert_rows_writes_every_row_once(rows):
    """Many rows a statement (store.insert_rows): whole statements, the rest, and nothing."""
    from datasette_provenance.store import insert_rows

    conn = sqlite3.connect(":memory:")
    conn.execute("create table t(a integer, b integer, c text)")
    expected = [(i, -i, f"row {i}") for i in range(rows)]
    insert_rows(conn, "insert into t(a, b, c) values ", 3, [v for row in expected for v in row])
    assert conn.execute("select a, b, c from t order by rowid").fetchall() == expected


def test_a_second_load_waits_for_the_one_running(tmp_path):
    """A load keeps what it knows of the corpus (band keys, clusters) between its transactions: two at
    once into a new database each missed the other's articles (every link between them), and loading
    again never repaired it. The second waits, says so, and then loads as a later load would."""
    import subprocess
    import sys
    import time

    from datasette_provenance import store

    path, log = tmp_path / "busy.db", tmp_path / "err.txt"
    conn, _ = store.open_corpus(str(path))  # as a running load holds it
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "datasette", "provenance", "load", str(path), str(SEEDS),
                                 "--quiet", "--jobs", "1"], stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        deadline = time.monotonic() + 120
        while "waiting for it to finish" not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "another load is running into this database; waiting for it to finish" in log.read_text()
        time.sleep(1)
        assert proc.poll() is None  # waiting, not loading
        assert sqlite3.connect(path).execute("select count(*) from articles").fetchone() == (0,)
    finally:
        conn.close()
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, log.read_text()
    assert "5 articles added" in out


def test_a_database_in_a_folder_that_does_not_exist_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["provenance", "load", str(tmp_path / "nowhere" / "c.db"), str(SEEDS), "--quiet"])
    assert result.exit_code == 1 and "there is no folder" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "nowhere").exists()


def test_name_files_given_once_stay_with_the_database(tmp_path):
    """--aliases and --sources are kept with the database, like its settings: a later load without them
    forgot an outlet's role (redoing derivations) and missed credits the first load read, so the corpus
    depended on the order of loads."""
    aliases, sources = tmp_path / "aliases.json", tmp_path / "sources.json"
    aliases.write_text(json.dumps({"roles": {"Harbour Wire": "agency"}}))
    sources.write_text(json.dumps({"aliases": {"Zorbix Media": "Zorbix Media", "Zorbix": "Zorbix Media"}}))
    story = ("The port authority will close the northern terminal for repairs from Monday, Zorbix Media reported,"
             " citing two officials who said the work would take at least three weeks and cost millions.")
    files = []
    for n, (name, outlet, day) in enumerate([("x", "Harbour Wire", "2022-03-01"), ("y", "Beta Paper", "2022-03-01")]):
        files.append(tmp_path / f"{name}.jsonl")
        files[-1].write_text(json.dumps({"id": name, "outlet": outlet, "published": day,
                                         "text": story + (" Shipping lines were told on Friday." if n else "")}) + "\n")

    def corpus(db):
        conn = sqlite3.connect(db)
        try:
            return (conn.execute("select outlet, role from outlet_roles order by 1").fetchall(),
                    conn.execute("select a.external_id, t.source_name from attributions t join articles a"
                                 " on a.id = t.article_id order by 1, 2").fetchall(),
                    conn.execute("select da.external_id, sa.external_id, d.source_name, d.relation from derivations d"
                                 " join articles da on da.id = d.derived_article_id left join articles sa"
                                 " on sa.id = d.source_article_id order by 1, 2, 3").fetchall())
        finally:
            conn.close()

    options = {"aliases": str(aliases), "sources": str(sources)}
    load_paths(str(tmp_path / "once.db"), files, **options)
    load_paths(str(tmp_path / "later.db"), files[:1], **options)
    load_paths(str(tmp_path / "later.db"), files[1:])
    once, later = corpus(tmp_path / "once.db"), corpus(tmp_path / "later.db")
    assert ("harbour wire", "agency") in once[0] and ("y", "Zorbix Media") in once[1]
    assert later == once


def test_the_same_id_and_text_from_another_outlet_is_reported(tmp_path):
    """Exports number each outlet's articles from 1: Beta's copy of Alpha's article 1 under the same id is
    not "already loaded" (it was dropped without a word), it is reported; Alpha's file again is."""
    text = "The harbour cranes restart on Monday after a strike that lasted six weeks, the union said."
    for name, outlet in (("a", "Alpha"), ("b", "Beta")):
        (tmp_path / f"{name}.jsonl").write_text(json.dumps({"id": "1", "outlet": outlet, "text": text}) + "\n")
    path = str(tmp_path / "o.db")
    load_paths(path, [str(tmp_path / "a.jsonl")])
    summary = load_paths(path, [str(tmp_path / "b.jsonl")])
    assert summary.articles_added == 0 and summary.articles_unchanged == 0
    assert [str(e) for e in summary.errors] == [f"{tmp_path / 'b.jsonl'}:1: duplicate id '1' with different outlet"
                                                " (Beta, not Alpha): the version loaded first is kept"]
    again = load_paths(path, [str(tmp_path / "a.jsonl")])
    assert again.articles_unchanged == 1 and not again.errors


def test_an_interrupted_load_says_what_its_committed_batches_added(tmp_path):
    """The batches committed before an interruption are kept: the load's row counts them (it said nothing,
    so the loads table summed to fewer articles than the corpus holds), and has no finishing time."""
    path = str(tmp_path / "i.db")

    def stop(records, chars):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        load_paths(path, [str(SEEDS)], batch_size=2, progress=stop)
    load_paths(path, [str(SEEDS)], batch_size=2)
    conn = sqlite3.connect(path)
    rows = conn.execute("select finished is null, articles_added, articles_skipped from loads order by id").fetchall()
    assert rows[0][0] == 1 and 0 < rows[0][1] < 5 and rows[1][0] == 0
    assert sum(r[1] for r in rows) == conn.execute("select count(*) from articles").fetchone()[0] == 5
    assert rows[1][2] == rows[0][1]  # the second load skipped what the first had added
    conn.close()
