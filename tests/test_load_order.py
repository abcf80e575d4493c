"""Idempotency and order independence: the corpus a load builds does not depend on how it was fed.

The same input loaded twice, its files in other orders, or loaded as separate loads one file at a
time, must give the same clusters (as sets of (external_id, start, end) passages, offsets in the
article text) and the same derivations (by external ids, relation, source name and extent). The
input is the seeds plus a synthetic corpus with planted reuse (``scripts/synth_reuse.py``, 40
stories) cut into four files.
"""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from datasette_provenance import prepare
from datasette_provenance.candidates import StoredKeys
from datasette_provenance.load import load_paths
from datasette_provenance.store import open_corpus

from conftest import ROOT, SEEDS, one_sentence_renderings, one_sentence_rewrites
from test_crash_safety import check_consistency, snapshot

PARTS = 4


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[str]:
    """[seeds folder, part1.jsonl … part4.jsonl]."""
    folder = tmp_path_factory.mktemp("order-corpus")
    synth = folder / "synth.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth_reuse.py"), "generate", str(synth),
                    "--stories", "40", "--seed", "1"], check=True, capture_output=True)
    lines = [line for line in synth.read_text("utf-8").splitlines() if line.strip()]
    assert len(lines) > 100
    # and articles of one sentence (lone bands; and the word rule below the bar)
    lines += [json.dumps(r) for r in one_sentence_rewrites(12) + one_sentence_renderings(6)]
    parts = []
    for i in range(PARTS):
        part = folder / f"part{i + 1}.jsonl"
        part.write_text("".join(line + "\n" for line in lines[i::PARTS]), "utf-8")  # stories spread over parts
        parts.append(str(part))
    return [str(SEEDS), *parts]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, inputs) -> tuple:
    db = tmp_path_factory.mktemp("order-ref") / "corpus.db"
    summary = load_paths(str(db), inputs)
    assert summary.errors == []
    check_consistency(db)
    result = snapshot(db)
    assert len(result[1]) > 100 and len(result[2]) > 50, "the corpus must have reuse whose order could matter"
    return result


def describe(expected: tuple, got: tuple) -> str:
    """The first differences, readably, for a failure message."""
    lines = []
    for what, a, b in (("articles", expected[0], got[0]), ("clusters", expected[1], got[1]),
                       ("derivations", expected[2], got[2])):
        missing, extra = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        if missing or extra:
            lines.append(f"{what}: {len(missing)} only in the reference, {len(extra)} only in this load")
            lines += [f"  - {json.dumps(m, default=str)[:300]}" for m in missing[:3]]
            lines += [f"  + {json.dumps(e, default=str)[:300]}" for e in extra[:3]]
    return "\n".join(lines)


def assert_same(expected: tuple, db: Path) -> None:
    check_consistency(db)
    got = snapshot(db)
    assert got == expected, describe(expected, got)


def test_loading_twice_changes_nothing(tmp_path, inputs, reference):
    db = tmp_path / "twice.db"
    load_paths(str(db), inputs)
    again = load_paths(str(db), inputs)
    assert (again.articles_added, again.articles_unchanged, again.links_added) == (0, len(reference[0]), 0)
    assert_same(reference, db)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("select count(*) from loads where finished is not null").fetchone()[0] == 2



def test_worker_processes_change_nothing(tmp_path, inputs, reference):
    """Batches prepared by two worker processes (small batches, so several are in flight at once)."""
    db = tmp_path / "jobs.db"
    done = subprocess.run([sys.executable, "-m", "datasette", "provenance", "load", str(db), *inputs,
                           "--jobs", "2", "--batch-size", "9", "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"{len(reference[0])} articles added" in done.stdout
    assert_same(reference, db)


def test_workers_are_forked_only_from_a_process_of_one_thread(tmp_path, inputs, reference):
    """A lock another thread holds at a fork stays locked in the forked worker: with a second thread
    running, the workers are spawned interpreters (the command line above forks them, on Linux), and
    the corpus is the same."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert prepare._context().get_start_method() == "spawn"
        db = tmp_path / "spawned.db"
        load_paths(str(db), inputs, batch_size=9, jobs=2)
    finally:
        stop.set()
        other.join()
    assert_same(reference, db)
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        assert prepare._context().get_start_method() == "fork"


@pytest.mark.parametrize("seed, batch_size", [
    (1, 2000),
    pytest.param(2, 25),
    pytest.param(3, 7),
])
def test_files_in_another_order_in_one_load(tmp_path, inputs, reference, seed, batch_size):
    order = inputs[:]
    random.Random(seed).shuffle(order)
    assert order != inputs
    db = tmp_path / "shuffled.db"
    load_paths(str(db), order, batch_size=batch_size)  # other batch boundaries too
    assert_same(reference, db)


@pytest.mark.parametrize("seed", [4, 5])
def test_files_as_separate_loads(tmp_path, inputs, reference, seed):
    order = inputs[:]
    random.Random(seed).shuffle(order)
    db = tmp_path / "separate.db"
    for path in order:
        load_paths(str(db), [path])
    assert_same(reference, db)


def test_records_in_reverse_order(tmp_path, inputs, reference):
    """Every record in the opposite order: the strongest reordering (who is loaded first changes)."""
    folder = tmp_path / "reversed"
    folder.mkdir()
    for path in inputs[1:]:
        lines = Path(path).read_text("utf-8").splitlines()
        (folder / Path(path).name).write_text("".join(line + "\n" for line in reversed(lines)), "utf-8")
    db = tmp_path / "reversed.db"
    load_paths(str(db), [*sorted(map(str, folder.iterdir()), reverse=True), str(SEEDS)], batch_size=10)
    assert_same(reference, db)


@pytest.mark.parametrize("limit", [0, 20_000])
def test_band_keys_held_or_sought_link_alike(tmp_path, inputs, reference, monkeypatch, limit):
    """The band keys a load holds (candidates.StoredKeys) only spare index seeks: held to the end (the
    reference), dropped part-way (a limit of 20,000 keys) or never held (0), separate loads in small
    batches link as one load."""
    monkeypatch.setattr(StoredKeys, "LIMIT", limit)
    db = tmp_path / "limit.db"
    for path in inputs:
        load_paths(str(db), [path], batch_size=25)
    assert_same(reference, db)


def test_keys_are_held_by_a_load_into_a_new_corpus_only(tmp_path, inputs, monkeypatch):
    """Into a new corpus a load holds the keys it stores and seeks only those; into one that has keys
    it seeks every key (reading them all would cost an incremental load more than it saves)."""
    from datasette_provenance import candidates

    held = []
    real = candidates._bucket_rows

    def traced(conn, keys, *args):
        held.append(len(keys))
        return real(conn, keys, *args)

    monkeypatch.setattr(candidates, "_bucket_rows", traced)
    db = tmp_path / "keys.db"
    load_paths(str(db), inputs[:2], batch_size=25)
    conn, _ = open_corpus(str(db))
    with closing(conn):
        in_index = np.array(sorted(k for (k,) in conn.execute("select distinct key from band_keys")))
        assert len(in_index) > 10_000 and not StoredKeys.read(conn)
    assert held[0] == 0 and 0 < max(held) < len(in_index) // 10, held  # a batch seeks only keys stored before it
    keys = StoredKeys(np.zeros(0, dtype=np.int64))
    keys.add(in_index[::2])
    keys.add(in_index[1::2])
    assert np.array_equal(keys.keys, in_index)
    some = np.sort(np.concatenate((in_index[::7], np.arange(1, 50) * 1_000_003 + 2**61)))
    assert np.array_equal(keys.held(some), in_index[::7])  # the others are in no bucket
    assert StoredKeys(None).held(some) is some  # not held: every key sought
    monkeypatch.setattr(StoredKeys, "LIMIT", len(in_index) - 1)
    keys.add(in_index[:1])
    assert not keys


# ------------------------------------------------------------------ a line shared by more articles than the cap

def _word(rng: random.Random) -> str:
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))


def _prose(rng: random.Random, words: int) -> str:
    return " ".join(_word(rng) for _ in range(words)).capitalize() + "."


SHARED_LINE = ("Readers who want the full background to this report can find the earlier coverage of the"
               " ministry's budget dispute in our special section on public finances.")


def shared_line_corpus(n: int = 70) -> list[dict]:
    """``n`` articles of 30 outlets that all carry one line, in the middle of otherwise unrelated
    text: more articles than a bucket's cap (64). Dates tie, so the first article of a cluster is
    decided by content."""
    rng = random.Random(15)
    out = []
    for i in range(n):
        body = [" ".join(_prose(rng, 14) for _ in range(2)) for _ in range(5)]
        body.insert(2, SHARED_LINE)
        out.append({"id": f"line-{i:03d}", "outlet": f"Outlet {i % 30:02d}", "url": f"https://o{i % 30}.example/{i}",
                    "published": f"2022-03-{1 + i // 7:02d}", "title": _prose(rng, 6), "text": "\n\n".join(body)})
    return out


def full_snapshot(db: Path) -> tuple:
    """snapshot() plus every link (by external id and offsets in the article text) and each cluster's
    text and first article."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        where = {sid: (ext, p + s, p + e) for sid, ext, p, s, e in conn.execute(
            "select s.id, a.external_id, p.start, s.start, s.\"end\" from sentences s"
            " join paragraphs p on p.id = s.paragraph_id join articles a on a.id = s.article_id")}
        links = sorted(tuple(sorted((where[a], where[b]))) + (round(j, 6), aligned)
                       for a, b, j, aligned in conn.execute("select sentence_a, sentence_b, jaccard, aligned from links"))
        firsts = sorted(conn.execute("select c.text, a.external_id, c.members from clusters c"
                                     " join articles a on a.id = c.first_article_id"))
        alignments = sorted(tuple(sorted((x, y))) + (pairs,) for x, y, pairs in conn.execute(
            "select a.external_id, b.external_id, g.pairs from alignments g join articles a on a.id = g.article_a"
            " join articles b on b.id = g.article_b"))
    return snapshot(db), links, firsts, alignments


def assert_same_full(expected: tuple, db: Path) -> None:
    check_consistency(db)
    got = full_snapshot(db)
    diff = [f"{what}: {len(set(map(repr, a)) - set(map(repr, b)))} only at once,"
            f" {len(set(map(repr, b)) - set(map(repr, a)))} only here"
            for what, a, b in zip(("snapshot", "links", "cluster texts", "alignments"), expected, got) if a != b]
    assert not diff, "; ".join(diff)


def test_a_line_in_more_articles_than_the_cap_links_alike_in_any_order(tmp_path):
    """The reviewer's case: a line in 69+ articles was linked to its 64 most recently loaded copies,
    so which copies were linked depended on the load order. At once, reversed in small batches,
    shuffled and one article per load (shuffled), the links, alignments and clusters must be the
    same. (Reversing alone keeps the distances in load order, so it also shuffles.)"""
    records = shared_line_corpus()
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)

    def write(name: str, items: list[dict]) -> str:
        path = tmp_path / name
        path.write_text("".join(json.dumps(r) + "\n" for r in items), "utf-8")
        return str(path)

    at_once = tmp_path / "once.db"
    load_paths(str(at_once), [write("all.jsonl", records)])
    expected = full_snapshot(at_once)
    links = expected[1]
    shared = [l for l in links if l[0][1] - l[0][2] == l[1][1] - l[1][2] == -len(SHARED_LINE)]
    assert len({x for l in shared for x in (l[0][0], l[1][0])}) == len(records), "every copy is linked"

    reversed_db = tmp_path / "reversed.db"
    load_paths(str(reversed_db), [write("reversed.jsonl", records[::-1])], batch_size=5)
    assert_same_full(expected, reversed_db)

    shuffled_db = tmp_path / "shuffled.db"
    load_paths(str(shuffled_db), [write("shuffled.jsonl", shuffled)], batch_size=7)
    assert_same_full(expected, shuffled_db)

    one_by_one = tmp_path / "one-by-one.db"
    for i, record in enumerate(shuffled[::-1]):
        load_paths(str(one_by_one), [write(f"r{i}.jsonl", [record])])
    assert_same_full(expected, one_by_one)


def test_cluster_speakers_loaded_one_at_a_time_equal_a_full_load(tmp_path):
    """A statement of Kenji Sato ("Sato added" in the later copy), then articles that reach its articles
    only through a chain of other shared sentences: loading them one by one must not re-vote the
    statement's cluster with some of its members only (it stored "Sato"; a full load says "Kenji Sato")."""
    import json as _json
    import sqlite3 as _sqlite3

    from datasette_provenance.load import load_paths
    quote = "The harbour will reopen to fishing boats within three weeks once the divers finish clearing the sunken cargo ship"
    s1 = "Insurance companies have estimated the total cost of the storm damage along the western coast at several hundred million."
    s2 = "Engineers from the port authority spent the whole weekend inspecting the damaged northern breakwater and its old lighthouse."
    s4 = "A second team of inspectors from the national railway company arrived to examine the flooded tracks near the station."

    def art(i, day, paras):
        return {"id": i, "outlet": f"outlet {i}", "published": f"2023-05-0{day}T10:00:00Z", "text": "\n\n".join(paras)}

    records = [
        art("H", 1, ["Fishermen gathered at the quay on Monday morning to hear the news from the harbour master.",
                     f'"{quote}," Kenji Sato said on Monday afternoon.', "The mayor thanked volunteers for their patience."]),
        art("G", 2, ["Local traders were relieved by the announcement made in the town hall late yesterday evening.",
                     f'"{quote}," Sato added.', s4]),
        art("F", 3, [s4, "Several shops on the main street stayed closed for a third consecutive day this week.", s2]),
        art("B", 4, [s2, "Residents of the old quarter were asked to avoid the seafront promenade for the time being.", s1]),
        art("A", 5, ["Regional officials met in the capital to discuss emergency funding for the coastal towns.", s1]),
    ]
    speakers = []
    for name, batches in (("one", [[r] for r in records]), ("all", [records])):
        db = tmp_path / f"{name}.db"
        for i, batch in enumerate(batches):
            src = tmp_path / f"{name}{i}.jsonl"
            src.write_text("".join(_json.dumps(r) + "\n" for r in batch))
            load_paths(str(db), [str(src)])
        speakers.append(sorted(_sqlite3.connect(db).execute("select text, speaker from clusters")))
    assert speakers[0] == speakers[1] and ("Kenji Sato" in {s for _, s in speakers[1]})
