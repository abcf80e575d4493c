"""--engine spark builds the corpus a local load builds: the same rows, errors, clusters and derivations.

Run at local[2] with one SparkSession for the module. Skipped when pyspark or Java is missing, except
in CI (``CI`` set), where that is a failure: .ci/run installs both.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import sys
import time
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest

from conftest import need_spark  # noqa: E402

need_spark()

from click.testing import CliRunner  # noqa: E402
from datasette.app import Datasette  # noqa: E402

from datasette_provenance import spark as engine  # noqa: E402
from datasette_provenance.align import align_new  # noqa: E402
from datasette_provenance.candidates import store_band_keys  # noqa: E402
from datasette_provenance import load as local_load  # noqa: E402
from datasette_provenance import store  # noqa: E402
from datasette_provenance.commands import provenance as cli  # noqa: E402
from datasette_provenance.load import load_paths  # noqa: E402

from test_crash_safety import check_consistency, snapshot  # noqa: E402
from conftest import one_sentence_renderings, one_sentence_rewrites  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
# Tables whose rows a load numbers alike whatever the engine (clusters are compared as sets of spans).
SAME_ROWS = ["articles", "paragraphs", "sentences", "links", "alignments", "band_keys", "sketches", "attributions",
             "quotes", "derivations"]


@pytest.fixture(scope="module")
def spark():
    session = engine.session("local[2]", conf={
        "spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2", "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false", "spark.driver.memory": "1g"})
    yield session
    session.stop()


@pytest.fixture(scope="module")
def lone(tmp_path_factory) -> Path:
    """Articles of one sentence, which are also in the lone bands, and link on their words below the bar."""
    path = tmp_path_factory.mktemp("spark-lone") / "lone.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in one_sentence_rewrites(12) + one_sentence_renderings(8)))
    return path


def rows(db: Path, table: str) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        columns = [c[1] for c in conn.execute(f"pragma table_info({table})") if c[1] != "id" or table != "derivations"]
        return sorted(conn.execute(f"select {', '.join(map(repr, columns))} from {table}").fetchall(),
                      key=repr)


def errors(db: Path) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return conn.execute("select source, line, record_id, reason from load_errors order by id").fetchall()


def both(tmp_path: Path, spark, paths: list, **options) -> tuple[Path, Path]:
    """The same load by each engine, into a fresh corpus each, each named corpus.db."""
    (tmp_path / "local").mkdir()
    (tmp_path / "spark").mkdir()
    here, there = tmp_path / "local" / "corpus.db", tmp_path / "spark" / "corpus.db"
    expected = load_paths(str(here), paths, jobs=1, **options)
    got = engine.load_paths(str(there), paths, spark=spark, **options)
    assert str(got) == str(expected)
    return here, there


@pytest.mark.parametrize("settings", [{}, {"window": 2}], ids=["no-window", "window"])
def test_same_corpus_as_local(tmp_path, spark, synth, lone, settings, monkeypatch):
    """Alignment in tasks of 20 article pairs, shipped 3 tasks at a time: each task aligns its pairs as
    one call for them all would; band-key rows paired in tasks of about 5,000; clustered a few
    components a task and traced a few groups of articles a task, in corpora in memory holding what
    each reads, as one call for all on the corpus would."""
    monkeypatch.setattr(engine, "PAIRS_PER_TASK", 20)
    monkeypatch.setattr(engine, "SENTENCES_PER_CLUSTERING", 7)
    monkeypatch.setattr(engine, "ARTICLES_PER_TRACE", 5)
    tasks: dict[str, list] = {"_cluster_task": [], "_trace_task": []}
    run = engine._run

    waves = []

    def spy(spark, work, fn):
        tasks.get(fn.__name__, []).extend(pickle.loads(blob)[1] for blob in work)
        waves.append(fn.__name__)
        return run(spark, work, fn)
    monkeypatch.setattr(engine, "_run", spy)
    monkeypatch.setattr(engine, "TASKS_PER_WAVE", 3)
    monkeypatch.setattr(engine, "ROWS_PER_BUCKET_TASK", 5000)
    written = []
    monkeypatch.setattr(engine, "store_band_keys", lambda conn, *columns: written.append(np.stack(columns, axis=1))
                        or store_band_keys(conn, *columns))
    here, there = both(tmp_path, spark, [SEEDS, synth, lone], settings=settings, batch_size=40)
    keys = np.concatenate(written)  # in more than one chunk, in the index's order across them all
    assert len(written) > 2 and len(keys) == len(rows(there, "band_keys"))
    assert (np.lexsort(keys[:, ::-1].T) == np.arange(len(keys))).all()
    assert snapshot(there) == snapshot(here)
    _, clusters, derivations = snapshot(there)
    assert len(clusters) > 50 and len(derivations) > 50  # the corpus has reuse to find
    for table in SAME_ROWS:
        assert rows(there, table) == rows(here, table), table
    check_consistency(str(there))
    with closing(sqlite3.connect(there)) as conn:  # every linked sentence in one task of a few; every article too
        linked = {n for l in conn.execute("select sentence_a, sentence_b from links") for n in l}
        articles = [a for (a,) in conn.execute("select id from articles order by id")]
    assert waves.count("align_pairs") > 1  # the pairs aligned in more than one wave of tasks
    clustered, traced = tasks["_cluster_task"], tasks["_trace_task"]
    assert len(clustered) > 10 and sorted(n for c in clustered for n in c) == sorted(linked)
    assert len(traced) > 10 and sorted(a for c in traced for a in c) == articles


def chained_stories(stories: int, hub: int, seed: int = 3) -> list[dict]:
    """Stories of five papers, each sharing a passage with the story before and one with the story
    after (an archive's topic over months: one group joined through clusters, as long as the archive),
    and ``hub`` papers carrying one statement (one group where every article is the others' neighbour)."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghiklmnoprstuvw") for _ in range(rng.randint(4, 9))) for _ in range(600)]

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(12)).capitalize() + "."
    shared = [sentence() for _ in range(stories)]
    statement = sentence()
    records = [{"id": f"s{n}", "outlet": f"Paper {n % 5}", "published": f"2022-01-{1 + n // 2:02}T{8 + n % 2}:00",
                "text": "\n".join([sentence(), *shared[max(n - 1, 0):n], sentence(), shared[n], sentence()])}
               for n in range(stories)]
    return records + [{"id": f"h{n}", "outlet": f"Daily {n}", "published": "2022-03-01",
                       "text": f"{sentence()}\n{statement}\n{sentence()}"} for n in range(hub)]


def test_stories_that_chain_through_shared_passages_are_traced_in_parts(tmp_path, spark, monkeypatch):
    """A group joined through clusters as long as the archive is traced in parts of
    ``ARTICLES_PER_TRACE``, each task reading only what lies within two clusters of its part, not the
    whole group; a story in every paper, whose parts would each read the whole group, is one task. Both
    give what the local engine gives."""
    monkeypatch.setattr(engine, "ARTICLES_PER_TRACE", 5)
    traced = []
    run = engine._run

    def spy(spark, work, fn):
        traced.extend(pickle.loads(blob) for blob in work if fn.__name__ == "_trace_task")
        return run(spark, work, fn)
    monkeypatch.setattr(engine, "_run", spy)
    path = tmp_path / "chain.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in chained_stories(30, 12)))
    here, there = both(tmp_path, spark, [path])
    assert snapshot(there) == snapshot(here)
    for table in SAME_ROWS:
        assert rows(there, table) == rows(here, table), table
    with closing(sqlite3.connect(there)) as conn:
        ids = dict(conn.execute("select external_id, id from articles"))
        copied = set(conn.execute("select d.external_id, s.external_id from derivations join articles d on"
                                  " d.id = derived_article_id join articles s on s.id = source_article_id"
                                  " where relation = 'copied'"))
    assert {(f"s{n}", f"s{n - 1}") for n in range(1, 30)} <= copied  # each story took its passage from the one before
    chain = sorted(ids[f"s{n}"] for n in range(30))
    parts = [(tables["articles"], articles) for tables, articles, part in traced if part]
    assert sorted(a for _, part in parts for a in part) == chain and all(len(p) <= 5 for _, p in parts)
    assert all(len(read) <= 9 for read, _ in parts)  # a part of five and two stories on each side
    [hub] = [articles for _, articles, part in traced if not part and ids["h0"] in articles]
    assert sorted(ids[f"h{n}"] for n in range(12)) == sorted(hub)


# How the edges are joined before the rounds: by each partition whole, a few edges at a time (as if
# partitions were that small), or each edge alone, so that all is left to the rounds.
STARTS = {"partitions first": 0, "parts of 7 edges": 7, "rounds alone": 1}


def start_with(monkeypatch, start: str) -> None:
    if size := STARTS[start]:
        whole = engine._local_components
        monkeypatch.setattr(engine, "_local_components", lambda frames: (
            part for f in frames for i in range(0, len(f), size) for part in whole(iter([f[i:i + size]]))))


@pytest.mark.parametrize("start", STARTS)
def test_components_are_the_ones_clustering_walks(tmp_path, spark, start, monkeypatch):
    """Connected components by iterative joins: a link joins two sentences, and the links of one
    article pair lie in one component even when nothing else joins them (``clusters._pair_links``)."""
    start_with(monkeypatch, start)
    db = tmp_path / "corpus.db"
    conn, _ = store.open_corpus(str(db))
    with closing(conn):
        conn.executemany("insert into articles(id, external_id, outlet, text, content_hash) values (?, ?, ?, 'x', ?)",
                         [(n, key, key.upper(), key) for n, key in enumerate("abcd", 1)])
        conn.executemany("insert into paragraphs(id, article_id, position, start, text, boilerplate, kind)"
                         " values (?, ?, 0, 0, 'x', 0, 'text')", [(n, n) for n in range(1, 5)])
        article = {10: 1, 11: 1, 12: 1, 20: 2, 21: 2, 30: 3, 31: 3, 40: 4, 41: 4}
        conn.executemany("insert into sentences(id, paragraph_id, article_id, start, \"end\", kind)"
                         " values (?, ?, ?, 0, 1, 'text')", [(sid, aid, aid) for sid, aid in article.items()])
        # Articles 1-2 share two unconnected links, and so do 3-4: each pair is one component. 12-31 joins
        # article 1 to the second through article 3; sharing article 1 does not join it to the first.
        links = [(10, 20), (11, 21), (30, 40), (31, 41), (12, 31)]
        got = engine._components(spark, engine._link_frame([(a, b, 0.5, 0.5) for a, b in links], article)).collect()
    components: dict[int, set[int]] = {}
    for component, sid in got:
        components.setdefault(component, set()).add(sid)
    assert sorted(map(sorted, components.values())) == [[10, 11, 20, 21], [12, 30, 31, 40, 41]]


@pytest.mark.parametrize("start", STARTS)
def test_a_long_chain_is_one_component(spark, start, monkeypatch):
    """A chain of 200 nodes whose edges come in no order, and a separate pair: two components, each
    labelled with its least node, however the edges are joined before the rounds."""
    start_with(monkeypatch, start)
    order = np.random.default_rng(7).permutation(199)
    src, dst = np.arange(199, dtype=np.int64)[order] + 1, np.arange(1, 200, dtype=np.int64)[order] + 1
    src, dst = np.append(src, [-5, 500]), np.append(dst, [500, 501])  # a node below 0 labels but is not listed
    got = engine._connected(spark, src, dst).collect()
    assert sorted(got) == sorted([(1, n) for n in range(1, 201)] + [(-5, 500), (-5, 501)])


@pytest.mark.parametrize("start", STARTS)
def test_components_of_a_random_graph_are_scipys(spark, start, monkeypatch):
    """300 random edges among 250 nodes (some below 0, as article pairs' nodes are): the components
    scipy finds for the whole graph, each labelled with its least node."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    start_with(monkeypatch, start)
    rng = np.random.default_rng(11)
    src, dst = rng.integers(-50, 200, 300), rng.integers(-50, 200, 300)
    nodes, ends = np.unique(np.concatenate((src, dst)), return_inverse=True)
    count, label = connected_components(coo_matrix((np.ones(300), (ends[:300], ends[300:])), shape=(len(nodes),) * 2))
    least = {c: nodes[label == c].min() for c in range(count)}
    expected = sorted((least[c], n) for c, n in zip(label, nodes) if n >= 0)
    assert count > 5 and sorted(engine._connected(spark, src, dst).collect()) == expected


def test_a_partition_joins_its_own_edges_first():
    """The start of the rounds: each node of a partition's edges labelled with the least node it is
    joined to there, over all the partition's batches."""
    pd = pytest.importorskip("pandas")
    frames = [pd.DataFrame({"src": [3, 9, 40], "dst": [9, 12, 41]}), pd.DataFrame({"src": [12, -2], "dst": [7, 41]})]
    got = pd.concat(list(engine._local_components(iter(frames))))
    assert dict(zip(got["node"], got["label"])) == {3: 3, 9: 3, 12: 3, 7: 3, 40: -2, 41: -2, -2: -2}
    assert list(engine._local_components(iter([frames[0].iloc[:0]]))) == []


def test_alignment_tasks_align_as_one_call(tmp_path, spark, monkeypatch):
    """Each article pair aligned in a task of its own gives what one ``align_new`` call for all gives,
    even where that depends on the other pairs: an article in a pair of two outlets has exact shingle
    sets, else upper bounds of their sizes, which can keep a lone loose match of one outlet's pair."""
    filler = ["Harbour works in the north of the country will take another three years to finish.",
              "Forecasters expect heavy rain and strong winds along the coast later in the week ahead.",
              "The council approved a new budget for schools and hospitals after a long debate on Tuesday.",
              "Farmers in the valley reported a record harvest of apples and pears despite the dry summer.",
              "A new bridge over the river opened to traffic two months ahead of the planned schedule.",
              "The museum will show paintings lent by collectors abroad for the first time since the war."]
    texts = {"a1": ("Alpha Times", "The plan is the plan and the plan is the plan and the plan is the plan and the"
                                   " plan is the plan and the plan is the plan, the minister said on Monday."),
             "a2": ("Alpha Times", "We are the plan and the plan is the plan and the plan is the plan and the plan"
                                   " is the plan and the plan is the plan, a spokesman told reporters in the capital."),
             "b1": ("Beta News", "Officials from both sides met behind closed doors for most of the afternoon.")}
    lines = tmp_path / "a.jsonl"
    lines.write_text("".join(json.dumps({"id": key, "outlet": outlet,
                                         "text": "\n\n".join([first, *filler[2 * i:2 * i + 2]])}) + "\n"
                             for i, (key, (outlet, first)) in enumerate(texts.items())))
    db = tmp_path / "corpus.db"
    load_paths(str(db), [lines], jobs=1)
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("select a.external_id, a.id, s.id, s.kind from sentences s"
                            " join articles a on a.id = s.article_id order by s.id").fetchall()
    assert len(rows) == 9 and {kind for *_, kind in rows} <= {"text", "title"}
    first: dict[str, tuple[int, int]] = {}
    for ext, aid, sid, _ in rows:
        first.setdefault(ext, (aid, sid))
    (a1, s1), (a2, s2), (_, s3) = first["a1"], first["a2"], first["b1"]
    loose = (s1, s2, 0.4, 0.5)  # one outlet's pair: a lone match looser than lone_jaccard
    article_of = {sid: aid for _, aid, sid, _ in rows}
    links = [loose, (s1 + 1, s3 + 1, 0.9, 0.95), (s2 + 1, s3 + 2, 0.9, 0.95)]
    monkeypatch.setattr(engine, "PAIRS_PER_TASK", 1)
    results = []
    for n, aligned in enumerate([lambda conn, settings: align_new(conn, links, {}, settings),
                                 lambda conn, settings: [tuple(r) for r in engine._aligned(
                                     spark, conn, engine._link_frame(links, article_of), settings).drop(
                                     columns=["article_a", "article_b"]).itertuples(index=False)],
                                 lambda conn, settings: align_new(conn, [loose], {}, settings)]):
        shutil.copy(db, tmp_path / f"copy{n}.db")
        conn, settings = store.open_corpus(str(tmp_path / f"copy{n}.db"))
        with closing(conn):
            results.append((aligned(conn, settings), conn.execute("select * from alignments order by 1, 2").fetchall()))
    assert results[1] == results[0]
    together, alone = ({row[:2]: row[2] for row in result[1]} for result in (results[0], results[2]))
    assert together[a1, a2] == 0 and alone[a1, a2] == 1  # the dependency the tasks must reproduce


def test_bad_records_reported_like_local(tmp_path, spark, synth):
    good = synth.read_text().splitlines()
    first = json.loads(good[0])
    changed = dict(first, text=first["text"] + "\n\nA paragraph the first version did not have.")
    lines = [good[0], "{not json", json.dumps({"id": "no-text", "outlet": "X"}), *good[1:6], json.dumps(changed),
             good[0]]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    here, there = both(tmp_path, spark, [bad])
    assert errors(there) == errors(here)
    found = {(Path(source).name, line) for source, line, *_ in errors(there)}
    assert {("bad.jsonl", 2), ("bad.jsonl", 3), ("bad.jsonl", 9)} <= found
    assert snapshot(there) == snapshot(here)


def test_later_local_load_continues_a_spark_corpus(tmp_path, spark, synth):
    """A corpus Spark built takes a local incremental load, ending where two local loads end."""
    here, there = tmp_path / "local.db", tmp_path / "spark.db"
    load_paths(str(here), [SEEDS], jobs=1)
    engine.load_paths(str(there), [SEEDS], spark=spark)
    for db in (here, there):
        summary = load_paths(str(db), [SEEDS, synth], jobs=1)
        assert summary.articles_unchanged == len(list(SEEDS.iterdir()))
    assert snapshot(there) == snapshot(here)
    for table in SAME_ROWS:
        assert rows(there, table) == rows(here, table), table
    check_consistency(str(there))


def test_paths_spark_reads(tmp_path, spark, synth):
    """A URI is read by ingest's readers on the executors: the records, errors and order of a local read."""
    folder = tmp_path / "input"
    (folder / "sub" / ".hidden").mkdir(parents=True)
    (folder / "page_files").mkdir()
    for seed in SEEDS.iterdir():
        shutil.copy(seed, folder / "sub" / seed.name)
    shutil.copy(synth, folder / "a.jsonl")
    (folder / "sub" / ".hidden" / "x.jsonl").write_text("{hidden\n")
    (folder / "page.html").write_text("<html><body><p>x</p></body></html>")
    (folder / "page_files" / "x.txt").write_text("a saved page's asset")
    (folder / "z.jsonl").write_text('{"id": "q", "text": "Hello there."}\n{oops\n')
    (tmp_path / "local").mkdir()
    (tmp_path / "spark").mkdir()
    here, there = tmp_path / "local" / "corpus.db", tmp_path / "spark" / "corpus.db"
    load_paths(str(here), [folder], jobs=1)
    engine.load_paths(str(there), [folder.as_uri()], spark=spark)
    assert snapshot(there) == snapshot(here)
    assert [(source.replace("file:", "", 1), *rest) for source, *rest in errors(there)] == errors(here)
    assert [line for _, line, *_ in errors(there)] == [None, 2]


def test_records_stay_off_the_driver(tmp_path, spark, synth, monkeypatch):
    """Local records go to the executors as staged Parquet files (7 records a file here), URIs' stay
    there: the driver keeps only each item's place, and the errors. Input order, errors and corpus
    are a local load's across files, paths and engines; the staging folder is gone afterwards."""
    monkeypatch.setattr(engine._Records, "STAGED", 7)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    good = synth.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([*good[:10], "{not json", *good[10:30], json.dumps({"id": "x"}), *good[30:]]) + "\n")
    folder = tmp_path / "more"
    folder.mkdir()
    for seed in SEEDS.iterdir():
        shutil.copy(seed, folder / seed.name)
    (folder / "z.jsonl").write_text('{oops\n{"id": "q", "text": "Hello there."}\n')
    seen: dict[str, object] = {}
    exit_ = engine._Records.__exit__

    def spy(self, *exc):
        seen.update(files=sorted(os.listdir(self.folder)), items=list(self.items))
        return exit_(self, *exc)

    monkeypatch.setattr(engine._Records, "__exit__", spy)
    (tmp_path / "local").mkdir()
    (tmp_path / "spark").mkdir()
    here, there = tmp_path / "local" / "corpus.db", tmp_path / "spark" / "corpus.db"
    load_paths(str(here), [bad, folder], jobs=1)
    engine.load_paths(str(there), [bad, folder.as_uri()], spark=spark)
    assert snapshot(there) == snapshot(here)
    for table in SAME_ROWS:
        assert rows(there, table) == rows(here, table), table
    assert [(source.replace("file:", "", 1), *rest) for source, *rest in errors(there)] == errors(here)
    assert len(seen["files"]) == -(-len(good) // 7)  # the local file's records, 7 a file
    assert all(item is None or isinstance(item, engine.LoadError) for item in seen["items"])
    assert sum(item is not None for item in seen["items"]) == 3 == len(errors(there))  # two here, one there
    assert os.listdir(tmp_path / "tmp") == []


def parquet(spark, records: list[dict], folder: Path, parts: int) -> list[Path]:
    """``records`` as Spark writes a Parquet dataset (part files, ``_SUCCESS``, ``.crc``), in their order;
    a field a record lacks is a null. Its part files, in order."""
    columns = list(dict.fromkeys(k for r in records for k in r))
    schema = ", ".join(f"`{k}` {'long' if k == 'words' else 'string'}" for k in columns)
    spark.createDataFrame([tuple(r.get(k) for k in columns) for r in records], schema).coalesce(parts) \
        .write.parquet(str(folder))
    written = sorted(folder.glob("part-*.parquet"))
    assert len(written) == parts and (folder / "_SUCCESS").exists()
    return written


def test_parquet_gives_the_corpus_of_its_json_lines(tmp_path, spark, synth):
    """A Parquet dataset (two part files) loads as the JSON Lines of the same records: a null is an
    absent field, other columns are the record's extra fields, a column of ours under another name is
    read where ``fields`` says (on the executors)."""
    records = [json.loads(line) for line in synth.read_text().splitlines()]
    records[3]["section"] = "World"
    records[5]["words"] = 412
    lines = tmp_path / "records.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in records))
    parts = parquet(spark, [{("body" if k == "text" else k): v for k, v in r.items()} for r in records],
                    tmp_path / "records.parquet", 2)
    (tmp_path / "local").mkdir()
    here, there = tmp_path / "local" / "corpus.db", tmp_path / "spark.db"
    expected = load_paths(str(here), [lines], jobs=1)
    got = engine.load_paths(str(there), [tmp_path / "records.parquet"], spark=spark, fields={"text": "body"})
    assert str(got) == str(expected)
    assert snapshot(there) == snapshot(here)
    for table in SAME_ROWS[1:]:
        assert rows(there, table) == rows(here, table), table
    with closing(sqlite3.connect(there)) as conn:
        columns = "external_id, outlet, url, published, title, text, extra, content_hash, language"
        stored = conn.execute(f"select {columns}, source_file, source_line from articles order by id").fetchall()
    with closing(sqlite3.connect(here)) as conn:
        assert [r[:-2] for r in stored] == conn.execute(f"select {columns} from articles order by id").fetchall()
    assert [json.loads(r[6]) for r in stored if r[6]] == [{"section": "World"}, {"words": 412}]
    located = [(source, line) for *_, source, line in stored]  # each row: its part file, its row from 1
    first = sum(source == str(parts[0]) for source, _ in located)
    assert 0 < first < len(records)
    assert located == [(str(parts[0]), n) for n in range(1, first + 1)] + [
        (str(parts[1]), n) for n in range(1, len(records) - first + 1)]


def test_a_partitioned_parquet_dataset(tmp_path, spark, synth):
    """A dataset partitioned by outlet (``outlet=…/part-….parquet``): the partition column is the
    record's field again, its files are read in a local walk's order, and the corpus decides what the
    JSON Lines of its records decides (the load order changes ids, never the answers)."""
    records = [json.loads(line) for line in synth.read_text().splitlines()]
    folder = tmp_path / "by-outlet.parquet"
    spark.createDataFrame(records, "id string, outlet string, url string, published string, title string,"
                                   " text string").write.partitionBy("outlet").parquet(str(folder))
    parts = sorted(folder.glob("outlet=*/part-*.parquet"))
    assert len({part.parent for part in parts}) == len({r["outlet"] for r in records}) > 1
    here, there = tmp_path / "local.db", tmp_path / "spark.db"
    load_paths(str(here), [SEEDS, synth], jobs=1)
    engine.load_paths(str(there), [SEEDS, folder], spark=spark)
    assert snapshot(there) == snapshot(here)
    with closing(sqlite3.connect(there)) as conn:
        stored = conn.execute("select source_file, source_line, outlet from articles where source_line is not null"
                              " order by id").fetchall()
    assert [source for source, *_ in stored] == sorted(source for source, *_ in stored)
    assert {Path(source).parent.name for source, _, outlet in stored} == {f"outlet={r['outlet']}" for r in records}
    assert all(Path(source).parent.name == f"outlet={outlet}" for source, _, outlet in stored)


def test_bad_parquet_rows_reported_with_file_and_row(tmp_path, spark, synth):
    """A bad row of Parquet read through any Spark path is a load_errors row naming its part file and
    its row (from 1), with the reason its JSON Lines record gets."""
    good = [json.loads(line) for line in synth.read_text().splitlines()][:6]
    changed = dict(good[0], text=good[0]["text"] + "\n\nA paragraph the first version did not have.")
    records = [good[0], {"id": "no-text", "outlet": "X"}, dict(good[1], id="blank", text="  "), *good[1:], changed,
               good[0]]
    lines = tmp_path / "bad.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in records))
    [part] = parquet(spark, records, tmp_path / "bad.parquet", 1)
    (tmp_path / "local").mkdir()
    here, there = tmp_path / "local" / "corpus.db", tmp_path / "spark.db"
    load_paths(str(here), [lines], jobs=1)
    engine.load_paths(str(there), [(tmp_path / "bad.parquet").as_uri()], spark=spark)
    assert snapshot(there) == snapshot(here)
    reported = errors(there)
    assert [rest for _, *rest in reported] == [rest for _, *rest in errors(here)]
    assert [(Path(source.removeprefix("file:")), line) for source, line, *_ in reported] == \
        [(part, 2), (part, 3), (part, 9)]
    assert "missing 'text'" in reported[0][3] and "duplicate id" in reported[2][3]


def test_a_failed_job_leaves_the_corpus_as_it_was(tmp_path, spark, monkeypatch):
    """Everything is written in one transaction: a failure after the articles went in takes them back,
    and the same command run again builds the corpus a local load builds."""
    db, expected = tmp_path / "corpus.db", tmp_path / "local.db"

    def lost(*args, **kwargs):
        raise RuntimeError("executor lost")

    monkeypatch.setattr(engine, "mark_templates", lost)  # on the driver, after the articles went in
    with pytest.raises(RuntimeError, match="executor lost"):
        engine.load_paths(str(db), [SEEDS], spark=spark)
    with closing(sqlite3.connect(db)) as conn:
        assert [conn.execute(f"select count(*) from {t}").fetchone()[0] for t in SAME_ROWS] == [0] * len(SAME_ROWS)
    monkeypatch.undo()

    class Poison:
        """Credits no executor can unpickle: every prepare task fails."""

        def __reduce__(self):
            return int, ("not a number",)

    monkeypatch.setattr(engine.SourceAliases, "load", lambda *given: Poison())
    result = CliRunner().invoke(cli, ["load", "--quiet", "--engine", "spark", str(db), str(SEEDS)])
    assert result.exit_code == 1 and "the Spark job failed" in result.output and "as it was" in result.output
    assert "Traceback" not in result.output
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("select count(*) from articles").fetchone()[0] == 0
    monkeypatch.undo()
    engine.load_paths(str(db), [SEEDS], spark=spark)
    load_paths(str(expected), [SEEDS], jobs=1)
    assert snapshot(db) == snapshot(expected)
    check_consistency(str(db))


def test_a_file_that_is_not_parquet_fails_the_load_in_one_line(tmp_path, spark, synth):
    """Spark reads a Parquet dataset as one: a damaged part fails the job, saying which file, and
    nothing of the load is kept."""
    folder = tmp_path / "data.parquet"
    parquet(spark, [json.loads(line) for line in synth.read_text().splitlines()[:3]], folder, 1)
    (folder / "part-00001-damaged.parquet").write_text("not Parquet at all\n")
    db = tmp_path / "corpus.db"
    result = CliRunner().invoke(cli, ["load", "--quiet", "--engine", "spark", str(db), str(SEEDS), str(folder)])
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: the Spark job failed (file:{folder}/part-00001-damaged.parquet is not a Parquet"
                           " file.") and line.endswith("as it was before this load: run the same command again once"
                                                       " the cause is fixed")
    assert not db.exists()  # the records are read before the corpus is opened


def crash_in(monkeypatch, once: Path | None = None) -> None:
    """The Python workers verifying candidate pairs die (os._exit, as when the OS kills one), after
    every article went into the load's transaction; with ``once``, only the first (a marker file
    taken atomically). Spark ships the function to its workers by value."""
    real = engine.verify_pairs

    def dying(*args, **kwargs):
        try:
            if once is None or os.open(once, os.O_CREAT | os.O_EXCL):
                os._exit(1)
        except FileExistsError:
            pass
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "verify_pairs", dying)


def test_a_lost_python_worker_fails_the_load_cleanly(tmp_path, spark, synth, monkeypatch):
    """A worker lost mid-job, after batches were written (local[2]: no task retried): one line, exit
    status 1, no article kept; the same command run again builds the local engine's corpus."""
    db, expected = tmp_path / "corpus.db", tmp_path / "local.db"
    crash_in(monkeypatch)
    written = []
    real_insert = engine._insert_batch
    monkeypatch.setattr(engine, "_insert_batch", lambda *args: written.append(1) or real_insert(*args))
    args = ["load", "--quiet", "--engine", "spark", "--batch-size", "20", str(db), str(SEEDS), str(synth)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and len(written) >= 2
    [line] = result.output.splitlines()
    assert line.startswith("Error: the Spark job failed (Task ") and "as it was before this load" in line
    assert "failed 1 times: Python worker exited unexpectedly (crashed));" in line
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert [conn.execute(f"select count(*) from {t}").fetchone()[0] for t in [*SAME_ROWS, "load_errors"]] == \
            [0] * (len(SAME_ROWS) + 1)
    monkeypatch.undo()
    assert CliRunner().invoke(cli, args).exit_code == 0
    load_paths(str(expected), [SEEDS, synth], jobs=1, batch_size=20)
    assert snapshot(db) == snapshot(expected)
    check_consistency(str(db))


def in_its_transaction(db: Path) -> bool:
    """A load's transaction is open: its ``loads`` row is committed and the write lock is held."""
    with closing(sqlite3.connect(db, timeout=0, isolation_level=None)) as conn:
        try:
            if not conn.execute("select count(*) from loads").fetchone()[0]:
                return False
        except sqlite3.OperationalError:  # no table yet, or its schema being made
            return False
        try:
            conn.execute("begin immediate")
        except sqlite3.OperationalError as e:  # another writer holds the lock
            return "locked" in str(e)
        conn.execute("rollback")
        return False


def test_a_killed_driver_leaves_the_corpus_as_it_was(tmp_path, spark, synth):
    """The driver (the command, its JVM and workers) killed while its load's transaction is open: the
    corpus opens clean and holds nothing of the load, and the same load run again completes it."""
    db, expected = tmp_path / "corpus.db", tmp_path / "local.db"
    load = subprocess.Popen([sys.executable, "-m", "datasette", "provenance", "load", "--quiet", "--engine", "spark",
                             "--spark-master", "local[2]", "--batch-size", "20", str(db), str(SEEDS), str(synth)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                            env={**os.environ, "SPARK_LOCAL_DIRS": str(tmp_path / "spark-local")})
    try:
        while not (db.exists() and in_its_transaction(db)):
            assert load.poll() is None, "the load ended before its transaction was seen open"
            time.sleep(0.05)
    finally:
        os.killpg(load.pid, signal.SIGKILL)
        load.wait()
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("pragma integrity_check").fetchone() == ("ok",)
        assert [conn.execute(f"select count(*) from {t}").fetchone()[0] for t in [*SAME_ROWS, "load_errors"]] == \
            [0] * (len(SAME_ROWS) + 1)
    check_consistency(str(db))
    engine.load_paths(str(db), [SEEDS, synth], spark=spark, batch_size=20)
    load_paths(str(expected), [SEEDS, synth], jobs=1, batch_size=20)
    assert snapshot(db) == snapshot(expected)
    check_consistency(str(db))


def test_a_spark_load_into_a_loaded_corpus_is_the_local_one(tmp_path, spark, synth, monkeypatch):
    """Into a corpus that holds articles Spark prepares and the driver links each batch as the local
    engine does: the corpus two local loads make, the first load's articles counted as unchanged and
    bad records reported alike; a load that fails part-way leaves the corpus as it was."""
    here, there = tmp_path / "local.db", tmp_path / "spark.db"
    first = json.loads(synth.read_text().splitlines()[0])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n" + json.dumps(dict(first, text=first["text"] + "\n\nOne more paragraph.")) + "\n")
    for db in (here, there):
        load_paths(str(db), [SEEDS, bad], jobs=1)
    load_paths(str(here), [SEEDS, synth, bad], jobs=1, batch_size=40)
    before = snapshot(there), errors(there)
    real, calls = local_load._load_batch, []

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("stopped in the third batch")
        return real(*args)

    monkeypatch.setattr(local_load, "_load_batch", failing)
    with pytest.raises(RuntimeError, match="third batch"):
        engine.load_paths(str(there), [SEEDS, synth, bad], spark=spark, batch_size=40)
    assert (snapshot(there), errors(there)) == before
    monkeypatch.setattr(local_load, "_load_batch", real)
    summary = engine.load_paths(str(there), [SEEDS, synth, bad], spark=spark, batch_size=40)
    assert summary.articles_unchanged == len(list(SEEDS.iterdir())) + 1 and summary.links_added > 100
    assert errors(there) == errors(here) and len(summary.errors) == 2  # the bad line and the other text, again
    assert snapshot(there) == snapshot(here)
    for table in SAME_ROWS:
        assert rows(there, table) == rows(here, table), table
    check_consistency(str(there))


@pytest.mark.asyncio
async def test_datasette_serves_it_like_local(tmp_path, spark, synth):
    here, there = both(tmp_path, spark, [SEEDS])
    url = "/corpus/-/provenance/trace.json?" + urlencode({"q": "We are ready to cooperate with all interested"
                                                                " countries in the interest of establishing an"
                                                                " effective joint reaction to this common threat."})
    pages = []
    for db in (here, there):
        response = await Datasette([str(db)]).client.get(url)
        assert response.status_code == 200
        pages.append(response.json())
    assert pages[0] == pages[1] and pages[1]["sentences"][0]["matches"]


def test_command_line(tmp_path, spark):
    """``--engine spark`` runs in the session this process has (its --spark-master is for a new one)."""
    db = tmp_path / "corpus.db"
    result = CliRunner().invoke(cli, ["load", "--quiet", "--engine", "spark", "--spark-master", "local[2]",
                                      str(db), str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "5 articles added" in result.output
    refused = CliRunner().invoke(cli, ["load", "--quiet", "--spark-master", "local[2]", str(db), str(SEEDS)])
    assert refused.exit_code == 2 and "need --engine spark" in refused.output
    refused = CliRunner().invoke(cli, ["load", "--quiet", str(db), "hdfs://namenode/news"])
    assert refused.exit_code == 2 and "read by --engine spark only" in refused.output
    missing = CliRunner().invoke(cli, ["load", "--quiet", str(db), str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_missing_pyspark_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(engine.SparkUnavailable, match=r"pip install 'datasette-provenance\[spark\]'"):
        engine.session("local[2]")


@pytest.mark.parametrize("text, said", [
    ("An error occurred while calling o77.getResult.\n: org.apache.spark.SparkException: Job aborted due to stage"
     " failure: Task 0 in stage 38.0 failed 1 times, most recent failure: Lost task 0.0 in stage 38.0 (TID 423)"
     " (192.0.2.2 executor driver): TaskResultLost (result lost from block manager)",
     "a Spark JVM ran out of memory (a task's result was lost): give it more with SPARK_DRIVER_MEMORY="),
    ("An error occurred while calling o5.collect.\n: java.lang.OutOfMemoryError: Java heap space",
     "a Spark JVM ran out of memory: give it more"),
    ("An exception was thrown from the Python worker:\nTraceback (most recent call last):\n  File \"x.py\"\n"
     "ValueError: bad record", "ValueError: bad record"),
    ("An error occurred while calling o82.getResult.\n: org.apache.spark.SparkException: Exception thrown in"
     " awaitResult: \n\tat org.apache.spark.util.SparkThreadUtils$.awaitResult(SparkThreadUtils.scala:70)\nCaused by:"
     " org.apache.spark.api.python.PythonException: [PYTHON_EXCEPTION] An exception was thrown from the Python worker:"
     " Traceback (most recent call last):\n  File \"worker.py\", line 4207, in invoke_udf\n    func = read_udfs(\n\n"
     "ValueError: invalid literal for int() with base 10: 'x'\n\n\tat org.apache.spark.api.python.BasePythonRunner",
     "ValueError: invalid literal for int() with base 10: 'x'"),
])
def test_a_failure_said_in_one_line(text, said):
    assert engine._said(Exception(text)).startswith(said)
