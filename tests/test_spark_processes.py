"""Spark in processes of their own: spark-submit, a Spark Connect server, a load whose lost worker
Spark retries, and the scripts whose figures the README gives. Apart from ``tests/test_spark.py`` so
that the two run on two workers (each is minutes of Spark).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CI, ROOT, need_spark

need_spark()

from datasette_provenance import spark as engine  # noqa: E402
from datasette_provenance.load import load_paths  # noqa: E402

from test_crash_safety import check_consistency, snapshot  # noqa: E402

SEEDS = ROOT / "seeds"


def test_a_lost_python_worker_is_retried(tmp_path, synth):
    """Where Spark may retry a task (here local[2,2]: two attempts), a worker lost once costs only its
    task: the load completes, the local engine's corpus."""
    db, expected, marker = tmp_path / "corpus.db", tmp_path / "local.db", tmp_path / "crashed"
    script = f"""
import pytest, sys
sys.path.insert(0, {str(ROOT / "tests")!r})
from pathlib import Path
from test_spark import crash_in
from datasette_provenance.commands import provenance
with pytest.MonkeyPatch.context() as monkeypatch:
    crash_in(monkeypatch, Path({str(marker)!r}))
    provenance.main(["load", "--quiet", "--engine", "spark", "--spark-master", "local[2,2]", {str(db)!r},
                     {str(SEEDS)!r}, {str(synth)!r}])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert marker.exists() and "Python worker exited unexpectedly" in done.stderr  # the first attempt died
    load_paths(str(expected), [SEEDS, synth], jobs=1)
    assert snapshot(db) == snapshot(expected)
    check_consistency(str(db))


def test_spark_connect(tmp_path):
    """--spark-remote: the same corpus through a Spark Connect server (local[2]: one the command starts)."""
    if not CI:  # the [spark] extra brings the Connect client: in CI its absence is a failure
        pytest.importorskip("grpc", reason="the Spark Connect client is not installed (pip install 'pyspark[connect]')")
    here, there = tmp_path / "local.db", tmp_path / "connect.db"
    load_paths(str(here), [SEEDS], jobs=1)
    done = subprocess.run([sys.executable, "-m", "datasette", "provenance", "load", "--quiet", "--engine", "spark",
                           "--spark-remote", "local[2]", str(there), str(SEEDS)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert snapshot(there) == snapshot(here)


def test_spark_submit(tmp_path):
    """spark-submit runs the module as the load command, on spark-submit's own master."""
    submit = Path(sys.executable).parent / "spark-submit"
    if not submit.exists() and not CI:
        pytest.skip(f"{submit} is missing (pyspark installs it)")
    here, there = tmp_path / "local.db", tmp_path / "submitted.db"
    load_paths(str(here), [SEEDS], jobs=1)
    done = subprocess.run([str(submit), "--master", "local[2]", "--conf", "spark.sql.shuffle.partitions=2",
                           engine.__file__, "--quiet", str(there), str(SEEDS)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYSPARK_PYTHON": sys.executable})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "5 articles added" in done.stdout
    assert snapshot(there) == snapshot(here)


def test_the_comparison_script(tmp_path):
    """scripts/spark_compare.py, whose figures the README gives: both engines, each in its own process,
    found identical on the seeds, with Spark's stages, its monitoring API's figures and peak memories."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "spark_compare.py"), str(SEEDS), "--keep",
                           str(tmp_path), "--conf", "spark.sql.shuffle.partitions=2"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["articles_added"] == 5 and all(report["identical"].values())
    spark = report["spark"]
    assert {"insert", "candidates", "align", "cluster"} <= set(spark["stages"]) <= set(spark["peak_rss_mb"])
    assert spark["by_stage"]["candidates"]["tasks"] > 0
    assert max(stage["jvm"] for stage in spark["peak_rss_mb"].values()) > 100  # the JVM was seen
    assert report["local"]["peak_rss_mb"]["load"]["jvm"] == 0 < report["local"]["peak_rss_mb"]["load"]["workers"]


def test_the_link_memory_script():
    """scripts/link_memory.py, whose figures the README gives: the columns group the links into the
    article pairs, in the order, that the tuples and maps did."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "link_memory.py"), "--links", "3000"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the same pairs and order: yes" in done.stdout
    assert [line.split(":")[0] for line in done.stdout.splitlines()[1:]] == ["tuples and maps", "columns"]
