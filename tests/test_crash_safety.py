"""Crash safety: a load killed with SIGKILL at any moment leaves a corpus that opens, is consistent,
and holds exactly what an uninterrupted load of the batches committed so far holds; loading again
finishes the job, and the result equals a load that was never interrupted.

The loader runs in a child process, forked from a helper that has already imported it, so that
each of the many kills costs the load itself and not Python's start-up; one more kill goes to the
real command line (``datasette provenance load``). Kill moments are drawn from a seeded random
generator, so a failure can be replayed. ``check_consistency`` is also used by the other
reliability suites (bad input, load order, concurrent reads).
"""

from __future__ import annotations

import hashlib
import os
import random
import select
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from itertools import islice
from pathlib import Path

import pytest

import datasette_provenance.load as loader
from datasette_provenance.ingest import Article, read_paths
from datasette_provenance.load import load_paths

from conftest import ROOT, SEEDS

BATCH = 3  # articles per transaction: many commits, so kills land between and inside them
KILLS = 50  # kills that must land while the loader runs
TIME_BUDGET = 60.0  # seconds for all the kills, or LOADS_BUDGET loads: the test stays bounded whatever the machine
LOADS_BUDGET = 40  # uninterrupted loads' time, where a load is slow (a busy machine: tests run on a worker a core)
SEED = 20240607


# ------------------------------------------------------------------------- consistency


TABLES = ("articles", "paragraphs", "sentences", "clusters", "cluster_members", "links", "band_keys", "sketches",
          "derivations", "attributions", "quotes", "load_errors", "loads", "settings")


def check_consistency(path: str | Path, *, fts: bool = True) -> None:
    """Every invariant a reader of the corpus relies on; raises AssertionError naming the broken one.

    A database killed while its tables were being created may hold only some of them, all empty
    (the state before the load). *fts*: also require the full-text index on articles, complete.
    """
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        assert db.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert db.execute("pragma foreign_key_check").fetchall() == []
        present = {name for (name,) in db.execute("select name from sqlite_master where type = 'table'")}
        if not set(TABLES) <= present:
            for table in present & {"articles", "paragraphs", "sentences", "clusters", "derivations"}:
                assert db.execute(f"select count(*) from {table}").fetchone()[0] == 0, f"{table} filled, schema not"
            return
        orphans = {
            "paragraph without its article":
                "select count(*) from paragraphs p where not exists (select 1 from articles a where a.id = p.article_id)",
            "sentence without its paragraph (or in another article than it)":
                "select count(*) from sentences s left join paragraphs p on p.id = s.paragraph_id"
                " where p.id is null or p.article_id != s.article_id",
            "cluster member without its sentence, paragraph or article":
                "select count(*) from cluster_members m left join sentences s on s.id = m.sentence_id"
                " where s.id is null or s.paragraph_id != m.paragraph_id or s.article_id != m.article_id",
            "cluster member without its cluster":
                "select count(*) from cluster_members m where not exists (select 1 from clusters c where c.id = m.cluster_id)",
            "cluster with members from fewer than two articles":
                "select count(*) from clusters c where (select count(distinct article_id) from cluster_members m"
                " where m.cluster_id = c.id) < 2",
            "cluster whose counts disagree with its members":
                "select count(*) from clusters c where c.members != (select count(*) from cluster_members m"
                " where m.cluster_id = c.id) or c.articles != (select count(distinct article_id) from cluster_members m"
                " where m.cluster_id = c.id)",
            "cluster whose first article is gone":
                "select count(*) from clusters c where c.first_article_id is not null and not exists"
                " (select 1 from articles a where a.id = c.first_article_id)",
            "band key of a sentence that is gone":
                "select count(*) from band_keys b where not exists (select 1 from sentences s where s.id = b.sentence_id)",
            "matchable sentence without its sketch, or a sketch of another sentence":
                "select (select count(*) from sentences s where s.kind in ('text', 'title') and not exists"
                " (select 1 from sketches k where k.sentence_id = s.id)) + (select count(*) from sketches k where"
                " length(k.sketch) != (select value from settings where key = 'num_perm') or not exists"
                " (select 1 from sentences s where s.id = k.sentence_id and s.kind in ('text', 'title', 'template')))",
            "link to a sentence that is gone":
                "select count(*) from links l where not exists (select 1 from sentences s where s.id = l.sentence_a)"
                " or not exists (select 1 from sentences s where s.id = l.sentence_b)",
            "derivation of an article that is gone":
                "select count(*) from derivations d where not exists (select 1 from articles a where a.id = d.derived_article_id)"
                " or (d.source_article_id is not null and not exists"
                " (select 1 from articles a where a.id = d.source_article_id))",
            "attribution or quote of an article that is gone":
                "select (select count(*) from attributions t where not exists (select 1 from articles a where a.id = t.article_id))"
                " + (select count(*) from quotes q where not exists (select 1 from articles a where a.id = q.article_id))",
            "article without paragraphs":
                "select count(*) from articles a where not exists (select 1 from paragraphs p where p.article_id = a.id)",
            "load error of an unknown load":
                "select count(*) from load_errors e where not exists (select 1 from loads l where l.id = e.load_id)",
        }
        for what, sql in orphans.items():
            assert db.execute(sql).fetchone()[0] == 0, what
        texts = dict(db.execute("select id, text from articles"))
        for aid, text, digest in db.execute("select id, text, content_hash from articles"):
            assert hashlib.sha256(text.encode("utf-8")).hexdigest() == digest, f"content hash of article {aid}"
        paragraphs = {}
        for pid, aid, start, ptext in db.execute("select id, article_id, start, text from paragraphs"):
            assert texts[aid][start:start + len(ptext)] == ptext, f"paragraph {pid} offsets"
            paragraphs[pid] = ptext
        sentences = {}
        for sid, pid, start, end in db.execute('select id, paragraph_id, start, "end" from sentences'):
            assert 0 <= start < end <= len(paragraphs[pid]), f"sentence {sid} offsets"
            sentences[sid] = (start, end)
        for cid, sid, pid, start, end in db.execute(
                'select cluster_id, sentence_id, paragraph_id, start, "end" from cluster_members'):
            s, e = sentences[sid]
            assert s <= start < end <= e, f"passage of sentence {sid} in cluster {cid} lies outside the sentence"
        for table in ("attributions", "quotes"):
            for aid, start, end in db.execute(f'select article_id, start, "end" from {table}'):
                assert 0 <= start <= end <= len(texts[aid]), f"{table} offsets in article {aid}"
        for aid, start, end, phrase in db.execute('select article_id, start, "end", phrase from attributions'):
            assert texts[aid][start:end] == phrase, f"attribution phrase of article {aid}"
        if fts:  # full-text search on articles: the index (not the content table) holds every article
            assert "articles_fts" in present, "articles has no full-text index"
            triggers = {name for (name,) in db.execute("select name from sqlite_master where type = 'trigger'")}
            assert {"articles_ai", "articles_ad", "articles_au"} <= triggers, "the full-text index is not kept up"
            indexed = sorted(i for (i,) in db.execute("select id from articles_fts_docsize"))
            assert indexed == sorted(texts), "the full-text index does not hold exactly the articles"


def snapshot(path: str | Path) -> tuple:
    """What a load decides, by external ids and offsets (row ids differ between databases)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        present = {n for (n,) in db.execute("select name from sqlite_master where type = 'table'")}
        if not {"articles", "paragraphs", "cluster_members", "derivations"} <= present:
            return [], [], []  # killed while the tables were being created (check_consistency: all empty)
        ext = dict(db.execute("select id, external_id from articles"))
        members: dict[int, set] = {}
        for cid, aid, start, end in db.execute(
                'select m.cluster_id, m.article_id, p.start + m.start, p.start + m."end"'
                " from cluster_members m join paragraphs p on p.id = m.paragraph_id"):
            members.setdefault(cid, set()).add((ext[aid], start, end))
        clusters = sorted(tuple(sorted(m)) for m in members.values())
        derivations = sorted(
            (ext[d], ext.get(s, ""), name or "", relation, extent or "")
            for d, s, name, relation, extent in db.execute(
                "select derived_article_id, source_article_id, source_name, relation, extent from derivations"))
        return sorted(ext.values()), clusters, derivations


# ------------------------------------------------------------------------- corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[str]:
    """The seeds and a small synthetic corpus with planted reuse (12 stories, ~50 articles)."""
    folder = tmp_path_factory.mktemp("crash-corpus")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth_reuse.py"), "generate", str(folder / "synth.jsonl"),
                    "--stories", "12", "--seed", "3"], check=True, capture_output=True)
    return [str(SEEDS), str(folder / "synth.jsonl")]


@pytest.fixture(scope="module")
def order(corpus) -> list[str]:
    """External ids in the order the loader reads them: committed batches are prefixes of it."""
    items = list(read_paths(corpus))
    assert all(isinstance(i, Article) for i in items), "the crash corpus must load without errors"
    return [i.external_id for i in items]


def prefix_load(path: Path, corpus: list[str], n: int) -> None:
    """An uninterrupted load of the first *n* records, in the same batches."""
    original = loader.read_paths
    loader.read_paths = lambda *a, **k: islice(original(*a, **k), n)
    try:
        load_paths(str(path), corpus, batch_size=BATCH)
    finally:
        loader.read_paths = original


# ------------------------------------------------------------------------- the loader, killable

HELPER = r"""
import os, sys
from datasette_provenance.load import load_paths
paths = sys.argv[2:]
batch = int(sys.argv[1])
load_paths(":memory:", paths, batch_size=batch)  # warm up: lazy imports, alias tables, compiled patterns
for command in sys.stdin:
    db = command.strip()
    pid = os.fork()
    if pid == 0:
        try:
            load_paths(db, paths, batch_size=batch)
        finally:
            os._exit(0)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)
"""


class Loader:
    """A helper process that forks one loader per request; the test kills the loader, not the helper."""

    def __init__(self, corpus: list[str]):
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, "-c", HELPER, str(BATCH), *corpus], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, bufsize=0)
        self.pending = b""

    def _line(self, timeout: float | None = None) -> int | None:
        """The helper's next line as a number, or None if none came within *timeout* seconds."""
        fd = self.proc.stdout.fileno()
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self.pending:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([fd], [], [], wait)[0]:
                return None
            chunk = os.read(fd, 1024)
            assert chunk, "the helper process died"
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return int(line)

    def run(self, db: Path, kill_after: float | None) -> bool:
        """Load into *db*; SIGKILL the loader after *kill_after* seconds. True if the kill landed."""
        self.proc.stdin.write(f"{db}\n".encode())
        pid = self._line()
        started = time.monotonic()
        status = None
        if kill_after is not None:
            # The helper reports the loader's exit: if it comes before the moment, the load finished.
            status = self._line(kill_after)
            if status is None:
                try:
                    os.kill(pid, signal.SIGKILL)  # the helper reaps it only after it exits
                except ProcessLookupError:  # it finished, and was reaped, just as the moment came
                    pass
        if status is None:
            status = self._line()
        self.elapsed = time.monotonic() - started
        if os.WIFSIGNALED(status):
            assert os.WTERMSIG(status) == signal.SIGKILL
            return True
        assert os.WEXITSTATUS(status) == 0
        return False

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def helper(corpus):
    h = Loader(corpus)
    yield h
    h.close()


def loaded_ids(path: Path) -> list[str]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        if not db.execute("select 1 from sqlite_master where name = 'articles'").fetchone():
            return []  # killed while the tables were being created
        return [e for (e,) in db.execute("select external_id from articles")]


# ------------------------------------------------------------------------- tests


def test_sigkill_at_random_moments_loses_nothing_committed(tmp_path, corpus, order, helper):
    reference = tmp_path / "reference.db"
    helper.run(reference, None)
    full_time = helper.elapsed
    check_consistency(reference)
    expected = snapshot(reference)
    assert len(expected[1]) > 20 and len(expected[2]) > 10, "the corpus must have reuse to lose"

    prefixes: dict[int, tuple] = {0: ([], [], []), len(order): expected}
    boundaries = set(range(0, len(order), BATCH)) | {len(order)}

    def prefix_snapshot(n: int) -> tuple:
        if n not in prefixes:
            path = tmp_path / f"prefix-{n}.db"
            prefix_load(path, corpus, n)
            prefixes[n] = snapshot(path)
        return prefixes[n]

    rng = random.Random(SEED)
    landed = rounds = 0
    budget = max(TIME_BUDGET, LOADS_BUDGET * full_time)
    deadline = time.monotonic() + budget
    while landed < KILLS and time.monotonic() < deadline:
        rounds += 1
        db = tmp_path / f"round-{rounds}.db"
        before = 0
        for _ in range(6):  # kill the same load again and again, then let it finish
            remaining = full_time * (1 - before / len(order))  # a resumed load skips what is in
            if not helper.run(db, rng.uniform(0.0, remaining)):
                break
            landed += 1
            if not db.exists():  # killed before the database was even created
                continue
            # The search index is checked apart (test_search_index_survives_a_kill_while_created):
            # a kill inside its creation window would make this test flaky, not more thorough.
            check_consistency(db, fts=False)
            ids = loaded_ids(db)
            n = len(ids)
            assert sorted(ids) == sorted(order[:n]), "the loaded articles are not the batches read first"
            assert n == before or n in boundaries, f"{n} articles: not the end of a committed batch"
            assert n >= before, "a kill lost articles committed by an earlier run"
            assert snapshot(db) == prefix_snapshot(n), f"the state after {n} articles is not a load of those"
            before = n
        helper.run(db, None)  # the rerun completes the load, search index included …
        check_consistency(db)
        assert snapshot(db) == expected, f"round {rounds}: resumed load differs from an uninterrupted one"
        with closing(sqlite3.connect(db)) as conn:  # … and the last load is recorded as finished
            assert conn.execute("select finished from loads order by id desc limit 1").fetchone()[0]
    assert landed >= KILLS, f"only {landed} kills landed in {budget:.0f} s (a load takes {full_time:.2f} s)"
    assert len(prefixes) > 5, "kills landed at too few distinct moments"


def test_sigkill_of_the_command_line(tmp_path, corpus, helper):
    """The real command, killed mid-load (after its first commits), then run again."""
    reference = tmp_path / "reference.db"
    helper.run(reference, None)
    db = tmp_path / "cli.db"
    command = [sys.executable, "-m", "datasette", "provenance", "load", str(db), *corpus,
               "--batch-size", str(BATCH), "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for_commits(proc, db, 4 * BATCH)
    finally:
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert workers, "the command prepares batches in worker processes"
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "worker processes outlived the killed loader"
    check_consistency(db)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("select finished from loads").fetchall() == [(None,)]  # an unfinished load, shown
        partial = conn.execute("select count(*) from articles").fetchone()[0]
    assert 0 < partial < len(snapshot(reference)[0])
    subprocess.run(command, check=True, capture_output=True)
    check_consistency(db)
    assert snapshot(db) == snapshot(reference)




def test_a_worker_killed_mid_load_is_reported_and_loses_nothing(tmp_path, corpus, helper):
    """A worker process that dies (the OOM killer) ends the load with a clear message, not a traceback;
    what was committed stays, and the same command completes the load."""
    reference = tmp_path / "reference.db"
    helper.run(reference, None)
    db = tmp_path / "worker.db"
    command = [sys.executable, "-m", "datasette", "provenance", "load", str(db), *corpus,
               "--batch-size", str(BATCH), "--jobs", "2", "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    killed = _wait_for_commits(proc, db, 2 * BATCH, workers=1)
    if killed:
        os.kill(_workers(proc.pid)[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert killed, "the load ended before a worker could be killed"
    assert proc.returncode == 1, err
    assert "a worker process died" in err and "Traceback" not in err, err
    check_consistency(db)
    subprocess.run(command, check=True, capture_output=True)
    check_consistency(db)
    assert snapshot(db) == snapshot(reference)


def test_workers_abandoned_mid_result_let_the_loader_exit():
    """A worker killed while it writes a prepared batch back (Ctrl-C, then the loader stops its workers)
    leaves half a message in the result pipe. The pool's reading thread waited for the rest, and the
    interpreter for that thread at exit: the loader hung after printing that it was interrupted."""
    import multiprocessing
    import struct
    from concurrent.futures import ProcessPoolExecutor

    from datasette_provenance import prepare

    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    assert pool.submit(int, "7").result(timeout=60) == 7  # a worker up, the reading thread started
    reader = pool._executor_manager_thread
    os.write(pool._result_queue._writer.fileno(), struct.pack("!i", 1 << 20) + b"half a result")
    prepare._abandon(pool)
    pool.shutdown(wait=False, cancel_futures=True)
    reader.join(timeout=30)
    assert not reader.is_alive()


def _wait_for_commits(proc: subprocess.Popen, db: Path, articles: int, workers: int = 0) -> bool:
    """Wait until the loader has committed this many articles (and started this many workers); False
    if it ended first."""
    deadline = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < deadline:
        if db.exists():
            try:
                with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as conn:
                    done = conn.execute("select count(*) from articles").fetchone()[0]
            except sqlite3.OperationalError:
                done = 0
            if done >= articles and len(_workers(proc.pid)) >= workers:
                return True
        time.sleep(0.01)
    return False


INTERRUPTED = "interrupted: the batches committed so far are kept; run the same command again to load the rest"


def test_ctrl_c_prints_one_line_and_loses_nothing(tmp_path, corpus, helper):
    """Ctrl-C during a load with workers: SIGINT to the whole process group, as a terminal sends it.
    One line (the workers' tracebacks were 130-170), the batches committed kept, and a rerun completes."""
    reference = tmp_path / "reference.db"
    helper.run(reference, None)
    db = tmp_path / "interrupted.db"
    command = [sys.executable, "-m", "datasette", "provenance", "load", str(db), *corpus,
               "--batch-size", str(BATCH), "--jobs", "2", "--quiet"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        assert _wait_for_commits(proc, db, 2 * BATCH, workers=2), "the load ended before it could be interrupted"
        workers = _workers(proc.pid)
        # Deterministically, whoever wins the race below: SIGINT is the loader's to handle, never a worker's.
        assert all(_sigint_ignored_or_blocked(w) for w in workers)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert err.splitlines() == [INTERRUPTED] and proc.returncode == 130, err
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers), "worker processes outlived the interrupted loader"
    check_consistency(db)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("select finished from loads").fetchall() == [(None,)]  # interrupted, and shown so
        partial = conn.execute("select count(*) from articles").fetchone()[0]
    assert 2 * BATCH <= partial < len(snapshot(reference)[0])
    subprocess.run(command, check=True, capture_output=True)
    check_consistency(db)
    assert snapshot(db) == snapshot(reference)


def test_a_ctrl_c_python_ignores_in_a_finalizer_still_stops_the_load(monkeypatch, tmp_path):
    """A KeyboardInterrupt raised inside a finalizer (the regex module's patterns have them) is
    printed and dropped by Python, and the load went on: now it stops after the batch, with the one line."""
    from click.testing import CliRunner
    from datasette.cli import cli

    from datasette_provenance import commands

    class Finalized:
        def __del__(self):
            signal.raise_signal(signal.SIGINT)

    def load_paths(*args, progress, **kwargs):
        Finalized()  # collected at once: Ctrl-C lands in its __del__
        progress(1, 1)  # the end of a batch
        raise AssertionError("the load went on after Ctrl-C")

    monkeypatch.setattr(commands, "load_paths", load_paths)
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # Python's, which prints (pytest's keeps it)
    hooks = signal.getsignal(signal.SIGINT), sys.unraisablehook
    result = CliRunner().invoke(cli, ["provenance", "load", str(tmp_path / "c.db"), str(SEEDS), "--quiet"])
    assert (result.exit_code, result.output) == (130, INTERRUPTED + "\n"), result.output
    assert (signal.getsignal(signal.SIGINT), sys.unraisablehook) == hooks  # both given back


def _can_mount_a_small_filesystem() -> bool:
    """A tmpfs of a chosen size in a mount namespace of our own: as root, or as a user where user
    namespaces are allowed."""
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=64k tmpfs "$0"', "/tmp"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_a_small_filesystem(), reason="no mount namespace to make a full disk in")
def test_a_full_disk_is_reported_and_loses_nothing(tmp_path, corpus, helper):
    """The seeds loaded on a small filesystem, then filled to 1 MB of free space, then the rest
    loaded: a clear message instead of SQLite's traceback, the batches committed kept (those of the
    failing load too), and the same command completes the load elsewhere."""
    reference = tmp_path / "reference.db"
    helper.run(reference, None)
    small, kept = tmp_path / "small", tmp_path / "kept"
    small.mkdir()
    kept.mkdir()
    db = small / "full.db"
    load = [sys.executable, "-m", "datasette", "provenance", "load", str(db), "--batch-size", str(BATCH),
            "--jobs", "1", "--quiet"]
    q = shlex.quote
    script = f"""mount -t tmpfs -o size=16m tmpfs {q(str(small))} || exit 99
                 {shlex.join(load + corpus[:1])} > /dev/null || exit 98
                 free=$(df --output=avail -B1 {q(str(small))} | tail -1)
                 head -c $((free - 1024 * 1024)) /dev/zero > {q(str(small / "ballast"))}
                 {shlex.join(load + corpus[1:])}; code=$?
                 cp -a {q(str(db))}* {q(str(kept))}/  # out of the namespace's filesystem, which goes with it
                 exit $code"""
    done = subprocess.run(["unshare", "-rm", "bash", "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [f"Error: {db}: the disk is full (database or disk is full); the batches"
                                        " committed so far are kept: free some space and run the same command"
                                        " again to load the rest"], done.stderr
    db = kept / "full.db"
    check_consistency(db)
    with closing(sqlite3.connect(db)) as conn:
        partial = conn.execute("select count(*) from articles").fetchone()[0]
        assert conn.execute("select count(*) from loads where finished is null").fetchone()[0] == 1
    assert 5 + BATCH <= partial < len(snapshot(reference)[0]), partial  # the seeds and a batch of the rest
    subprocess.run(load[:5] + [str(db)] + load[6:] + corpus, check=True, capture_output=True)
    check_consistency(db)
    assert snapshot(db) == snapshot(reference)


def _workers(pid: int) -> list[int]:
    """The loader's worker processes: forked from it (Linux) or spawned interpreters, not multiprocessing's
    resource tracker."""
    return [w for w in _children(pid) if b"resource_tracker" not in _cmdline(w)]


def _sigint_ignored_or_blocked(pid: int) -> bool:
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    bit = 1 << (signal.SIGINT - 1)
    return bool((int(status["SigIgn"], 16) | int(status["SigBlk"], 16)) & bit)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _killed_during_schema(path: Path, step: str) -> None:
    """The database as a SIGKILL leaves it at *step* of store.ensure_schema (its statements autocommit)."""
    import sqlite_utils

    from datasette_provenance import store
    from datasette_provenance.signatures import Settings

    conn = store.connect(str(path))
    conn.executescript(store.SCHEMA)
    conn.executemany("insert into settings(key, value) values (?, ?)", Settings().as_rows())
    if step == "triggers":  # the index is created and filled, the triggers are not yet
        db = sqlite_utils.Database(conn)
        db.executescript("create virtual table articles_fts using fts5(title, text, content=[articles])")
        db["articles"].populate_fts(["title", "text"])
    conn.close()


@pytest.mark.parametrize("step", ["index", "triggers"])
def test_search_index_survives_a_kill_while_it_is_created(tmp_path, step):
    db = tmp_path / "corpus.db"
    _killed_during_schema(db, step)
    load_paths(str(db), [str(SEEDS)])  # the load run again after the kill
    check_consistency(db)
