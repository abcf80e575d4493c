"""``--window DAYS``: only articles published at most DAYS apart are compared (undated ones with all)."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from datasette_provenance.dates import publication_day
from datasette_provenance.load import load_paths
from datasette_provenance.signatures import Settings

from conftest import ROOT, SEEDS
from test_crash_safety import check_consistency, snapshot

STATEMENT = ("The foreign ministry said on Tuesday that the delegation would travel to Geneva next week "
             "to resume talks on the grain corridor and the exchange of prisoners.")
FILLERS = [
    "Farmers in the northern valley reported an early harvest of apricots after a mild spring.",
    "The city council approved a new budget for repairing bridges along the river embankment.",
    "A local football club unveiled plans for a stadium with seats for twenty thousand fans.",
    "Scientists recorded unusual bird migrations over the coastal wetlands during the autumn.",
    "The museum opened an exhibition of medieval manuscripts borrowed from three monasteries.",
    "Rail operators announced timetable changes for the suburban lines starting in December.",
]
PUBLISHED = {"a": "2024-03-01", "b": "2024-03-05", "c": "2024-03-20", "undated": None, "month": "2024-03"}


def _articles(path: Path) -> Path:
    """One statement carried by five outlets: two close days, one two weeks later, one undated, one month-only."""
    lines = []
    for i, (name, published) in enumerate(PUBLISHED.items()):
        text = f"{FILLERS[i]}\n\n{STATEMENT}\n\n{FILLERS[(i + 1) % len(FILLERS)][::-1]}"
        lines.append(json.dumps({"id": name, "outlet": f"Outlet {name}", "published": published,
                                 "title": f"Report {name}", "text": text}))
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def _linked(db: Path) -> set[frozenset[str]]:
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("""
            select a.external_id, b.external_id from links l
            join sentences sa on sa.id = l.sentence_a join articles a on a.id = sa.article_id
            join sentences sb on sb.id = l.sentence_b join articles b on b.id = sb.article_id
        """).fetchall()
    return {frozenset(r) for r in rows}


def test_publication_day_needs_a_whole_date():
    assert publication_day("2024-03-05T23:59:00Z") == publication_day("2024-03-05") > publication_day("2024-03-04")
    assert publication_day("2024-03") == publication_day(None) == publication_day("2024-02-30") == -1


@pytest.mark.parametrize("window, apart", [(0, set()), (30, set()), (7, {("a", "c"), ("b", "c")}),
                                           (3, {("a", "b"), ("a", "c"), ("b", "c")})])
def test_only_articles_published_within_the_window_are_linked(tmp_path, window, apart):
    db = tmp_path / "window.db"
    load_paths(str(db), [str(_articles(tmp_path / "a.jsonl"))], settings=replace(Settings(), window=window))
    everyone = {frozenset((x, y)) for x in PUBLISHED for y in PUBLISHED if x < y}
    assert _linked(db) == everyone - {frozenset(p) for p in apart}  # undated and month-only: linked with all


def test_the_window_is_kept_with_the_database(tmp_path):
    db = tmp_path / "kept.db"
    corpus = str(_articles(tmp_path / "a.jsonl"))
    command = [sys.executable, "-m", "datasette", "provenance", "load", str(db), corpus, "--quiet", "--jobs", "1"]
    assert subprocess.run(command + ["--window", "7"], capture_output=True, text=True).returncode == 0
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("select value from settings where key = 'window'").fetchone() == ("7",)
    refused = subprocess.run(command + ["--window", "30"], capture_output=True, text=True)
    assert refused.returncode == 1 and "window=7 not 30" in refused.stderr, refused.stderr
    again = subprocess.run(command + ["--window", "7"], capture_output=True, text=True)
    assert again.returncode == 0 and "5 already loaded" in again.stdout, again.stderr
    assert _linked(db) == {frozenset(p) for p in [("a", "b"), *[(x, y) for x in "abc" for y in ("undated", "month")],
                                                  ("month", "undated")]}


def test_a_database_from_before_the_window_gets_its_sentences_days(tmp_path):
    """Sketches made before days were kept get the day of their article's publication, in one transaction;
    band keys with the day column an earlier version gave them still load."""
    db = tmp_path / "old.db"
    with closing(sqlite3.connect(db)) as conn:  # as databases made before the window had them
        conn.execute("create table sketches (sentence_id integer primary key, sketch blob not null,"
                     " size integer not null)")
        conn.execute("create table band_keys (key integer not null, sentence_id integer not null, day integer,"
                     " primary key (key, sentence_id)) without rowid")
    load_paths(str(db), [str(SEEDS)])
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("drop index sketches_day")  # as if these sentences were loaded back then
        conn.execute("alter table sketches drop column day")
        conn.commit()
    load_paths(str(db), [str(_articles(tmp_path / "a.jsonl"))])
    check_consistency(db)
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("select k.day, a.published from sketches k join sentences s on s.id = k.sentence_id"
                            " join articles a on a.id = s.article_id").fetchall()
    assert {day for day, published in rows if published is None or len(published) < 10} == {None}
    dated = [(day, published) for day, published in rows if published and len(published) >= 10]
    assert dated and all(day == publication_day(published) for day, published in dated)
    assert {published[:4] for _, published in dated} == {"2017", "2022", "2024"}  # seeds (backfilled) and new


@pytest.fixture(scope="module")
def dated_corpus(tmp_path_factory) -> tuple[list[str], list[str]]:
    """A synthetic corpus in four parts with some articles undated, and its publication days."""
    folder = tmp_path_factory.mktemp("window-corpus")
    synth = folder / "synth.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth_reuse.py"), "generate", str(synth),
                    "--stories", "40", "--seed", "2"], check=True, capture_output=True)
    records = [json.loads(line) for line in synth.read_text("utf-8").splitlines() if line.strip()]
    for rec in records[::9]:
        rec["published"] = None
    parts = []
    for i in range(4):
        part = folder / f"part{i}.jsonl"
        part.write_text("".join(json.dumps(r) + "\n" for r in records[i::4]), "utf-8")
        parts.append(str(part))
    return parts, [r["published"] for r in records if r["published"]]


def test_the_window_gives_the_same_corpus_in_any_load_order(tmp_path, dated_corpus):
    parts, _ = dated_corpus
    window = replace(Settings(), window=1)
    one, everything = tmp_path / "one.db", tmp_path / "everything.db"
    load_paths(str(one), parts, settings=window)
    load_paths(str(everything), parts)
    assert _linked(one) < _linked(everything), "the window must leave some pair out for this test to mean anything"
    for seed in (1, 2):
        order = parts[:]
        random.Random(seed).shuffle(order)
        db = tmp_path / f"separate{seed}.db"
        for path in order:
            load_paths(str(db), [path], settings=window, batch_size=11)
        check_consistency(db)
        assert snapshot(db) == snapshot(one)


def _sentence_links(db: Path) -> set[frozenset[tuple]]:
    """Links by article and offset, with each article's publication day: comparable across databases."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("""
            select a.external_id, pa.start + sa.start, a.published, b.external_id, pb.start + sb.start, b.published
            from links l
            join sentences sa on sa.id = l.sentence_a join paragraphs pa on pa.id = sa.paragraph_id
            join articles a on a.id = sa.article_id
            join sentences sb on sb.id = l.sentence_b join paragraphs pb on pb.id = sb.paragraph_id
            join articles b on b.id = sb.article_id""").fetchall()
    return {frozenset([(r[0], r[1], r[2]), (r[3], r[4], r[5])]) for r in rows}


@pytest.mark.parametrize("window", [1, 3])
def test_stored_band_keys_read_by_period_lose_no_pair_within_the_window(tmp_path, dated_corpus, window):
    """In batches of a few articles nearly every pair is found through the stored index, which a window
    reads only in the periods near a batch's days: it must link exactly the pairs a load without a window
    links whose articles are at most ``window`` days apart, or not dated to the day."""
    parts, _ = dated_corpus
    everything, windowed = tmp_path / "everything.db", tmp_path / "windowed.db"
    load_paths(str(everything), parts)
    load_paths(str(windowed), parts, settings=replace(Settings(), window=window), batch_size=4)

    def within(link: frozenset[tuple]) -> bool:
        (_, _, x), (_, _, y) = link
        dx, dy = publication_day(x), publication_day(y)
        return -1 in (dx, dy) or abs(dx - dy) <= window

    expected = {link for link in _sentence_links(everything) if within(link)}
    assert len(expected) < len(_sentence_links(everything)), "the window must leave some pair out"
    assert _sentence_links(windowed) == expected
    with closing(sqlite3.connect(windowed)) as conn:
        rows = conn.execute("select b.period, k.day from band_keys b join sketches k on k.sentence_id = b.sentence_id"
                            ).fetchall()
        assert len({p for p, _ in rows}) > 3, "the corpus must span several periods"
        assert all(p == (-1 if day is None else day // window) for p, day in rows)
        assert conn.execute("select count(*) from band_keys").fetchone()[0] == len(rows)
    with closing(sqlite3.connect(everything)) as conn:  # without a window, one period
        assert conn.execute("select distinct period from band_keys").fetchall() == [(0,)]


def test_a_database_from_before_periods_gets_its_band_keys_reordered(tmp_path, dated_corpus):
    """Band keys stored without their period are rebuilt in period order on the next load, in one
    transaction, and the database then goes on as one that always had them."""
    parts, _ = dated_corpus
    window = replace(Settings(), window=2)
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    for db in (old, new):
        load_paths(str(db), parts[:2], settings=window)
    with closing(sqlite3.connect(old)) as conn:  # as such databases had them
        keys = conn.execute("select key, sentence_id from band_keys order by 1, 2").fetchall()
        conn.execute("drop table band_keys")
        conn.execute("create table band_keys (key integer not null, sentence_id integer not null,"
                     " primary key (key, sentence_id)) without rowid")
        conn.executemany("insert into band_keys values (?, ?)", keys)
        conn.commit()
    for db in (old, new):
        load_paths(str(db), parts[2:])
    check_consistency(old)
    assert snapshot(old) == snapshot(new)
    assert _sentence_links(old) == _sentence_links(new)
    with closing(sqlite3.connect(old)) as a, closing(sqlite3.connect(new)) as b:
        query = "select period, key, sentence_id from band_keys order by 1, 2, 3"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        assert len({p for (p,) in a.execute("select distinct period from band_keys")}) > 3
        assert not a.execute("select 1 from sqlite_master where name = 'band_keys_by_period'").fetchone()
