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
from contextlib import closing
from pathlib import Path

import pytest

from datasette_provenance.load import load_paths

from conftest import ROOT, SEEDS
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
