"""The same input loaded by the local engine and by --engine spark, side by side: seconds (Spark's by stage)
and whether the two corpora are identical (articles, clusters as sets of article spans, derivations, and
the rows of every table a load numbers alike) and so are the summaries, but for the work counters
(candidate pairs, pairs compared exactly): those count work, which depends on the batches (a local
load pairs through the bucket heads of each batch's moment, Spark through the final ones), not answers.

    python scripts/spark_compare.py INPUT… [--master local[2]] [--jobs 2] [--window DAYS] [--keep DIR]
    python scripts/spark_compare.py --generate 20000 [--house-lines 0.3] …   # a corpus_gen.py corpus first

Exit status 1 when the corpora differ.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_crash_safety import snapshot  # noqa: E402

from datasette_provenance import spark as engine  # noqa: E402
from datasette_provenance.load import load_paths  # noqa: E402

WORK = ("candidates", "checked")  # LoadSummary's counters of work done rather than of the corpus
SAME_ROWS = ["articles", "paragraphs", "sentences", "links", "alignments", "band_keys", "sketches", "attributions",
             "quotes"]


def table(db: Path, name: str) -> list[tuple]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return sorted(conn.execute(f"select * from {name}").fetchall(), key=repr)


def stage_metrics(spark) -> dict[str, dict[str, float]]:
    """Per load stage (the job description the engine sets), what Spark's monitoring API counted over
    its completed stages: MB read as input, shuffled (written), and task seconds (run, CPU)."""
    sc = spark.sparkContext
    url = f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}/stages?status=complete"
    with urllib.request.urlopen(url, timeout=30) as response:
        stages = json.load(response)
    out: dict[str, dict[str, float]] = {}
    for st in stages:
        row = out.setdefault(st.get("description") or "?", {"input_mb": 0.0, "shuffle_write_mb": 0.0,
                                                             "task_s": 0.0, "task_cpu_s": 0.0, "tasks": 0})
        row["input_mb"] += st["inputBytes"] / 1e6
        row["shuffle_write_mb"] += st["shuffleWriteBytes"] / 1e6
        row["task_s"] += st["executorRunTime"] / 1e3
        row["task_cpu_s"] += st["executorCpuTime"] / 1e9
        row["tasks"] += st["numTasks"]
    return {k: {m: round(v, 1) for m, v in row.items()} for k, row in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*")
    ap.add_argument("--generate", type=int, help="articles of a scripts/corpus_gen.py corpus to load")
    ap.add_argument("--house-lines", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--jobs", type=int, default=2, help="the local engine's worker processes")
    ap.add_argument("--window", type=int, default=0)
    ap.add_argument("--keep", help="folder for the input and both corpora (default: a temporary one)")
    args = ap.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="spark-compare-"))
    folder.mkdir(parents=True, exist_ok=True)
    inputs = list(args.inputs)
    if args.generate:
        out = folder / f"gen{args.generate}.jsonl"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "corpus_gen.py"), str(out), "--articles",
                        str(args.generate), "--seed", str(args.seed), "--house-lines", str(args.house_lines)],
                       check=True, capture_output=True)
        inputs.append(str(out))
    if not inputs:
        ap.error("give INPUT paths or --generate N")
    settings = {"window": args.window} if args.window else {}
    here, there = folder / "local.db", folder / "spark.db"
    for db in (here, there):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    began = time.perf_counter()
    expected = load_paths(str(here), inputs, jobs=args.jobs, settings=settings)
    local_seconds = time.perf_counter() - began
    print(f"local engine: {local_seconds:.1f} s", file=sys.stderr, flush=True)  # kept if Spark then fails

    began = time.perf_counter()
    spark = engine.session(args.master, conf={"spark.ui.showConsoleProgress": "false"})
    startup = time.perf_counter() - began
    timings: dict[str, float] = {}
    began = time.perf_counter()
    got = engine.load_paths(str(there), inputs, spark=spark, settings=settings, timings=timings)
    spark_seconds = time.perf_counter() - began
    shuffle = stage_metrics(spark)
    spark.stop()

    answers = [{k: v for k, v in vars(summary).items() if k not in WORK} for summary in (got, expected)]
    same = {"summary": answers[0] == answers[1], "snapshot": snapshot(there) == snapshot(here)}
    same.update({name: table(there, name) == table(here, name) for name in SAME_ROWS})
    report = {
        "inputs": inputs, "articles": got.articles_added, "sentences": got.sentences, "links": got.links_added,
        "clusters": got.clusters, **{k: {"local": getattr(expected, k), "spark": getattr(got, k)} for k in WORK},
        "local": {"jobs": args.jobs, "seconds": round(local_seconds, 1)},
        "spark": {"master": args.master, "session_start": round(startup, 1), "seconds": round(spark_seconds, 1),
                  "stages": {k: round(v, 1) for k, v in timings.items()}, "by_stage": shuffle},
        "corpus_bytes": here.stat().st_size,
        "identical": same,
    }
    print(json.dumps(report, indent=2))
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
