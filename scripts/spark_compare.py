"""The same input loaded by the local engine and by --engine spark, side by side: seconds (Spark's by stage)
and whether the two corpora are identical (articles, clusters as sets of article spans, derivations, and
the rows of every table a load numbers alike) and so are the summaries, but for the work counters
(candidate pairs, pairs compared exactly): those count work, which depends on the batches (a local
load pairs through the bucket heads of each batch's moment, Spark through the final ones), not answers.
Also, for Spark, its monitoring API's figures by stage (input, shuffle, task seconds) and the peak
resident memory by stage of the driver's Python, the JVM and the Python workers (the local engine's:
its loading process and workers). Each engine loads in a process of its own, Spark first.

    python scripts/spark_compare.py INPUT… [--master local[2]] [--jobs 2] [--window DAYS] [--keep DIR] [--conf K=V]
    python scripts/spark_compare.py --generate 20000 [--house-lines 0.3] …   # a corpus_gen.py corpus first
    python scripts/spark_compare.py --generate 5000 --split 4000 …   # its first 4,000 loaded locally into both
                                                                     # corpora first: a load into a loaded corpus

Exit status 1 when the corpora differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
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


def same_rows(a: Path, b: Path, name: str) -> bool:
    """The two corpora's ``name`` tables hold the same rows (as multisets), compared by SQLite on disk:
    at 100,000 articles band_keys alone is 72 M rows."""
    with closing(sqlite3.connect(f"file:{a}?mode=ro", uri=True)) as conn:
        conn.execute("attach database ? as other", (f"file:{b}?mode=ro",))
        columns = ", ".join(f'"{c[1]}"' for c in conn.execute(f"pragma main.table_info({name})"))
        query = (f"select count(*) from (select {columns}, count(*) from main.{name} group by {columns} except"
                 f" select {columns}, count(*) from other.{name} group by {columns})")
        return (conn.execute(f"select count(*) from main.{name}").fetchone() ==
                conn.execute(f"select count(*) from other.{name}").fetchone()) and not conn.execute(query).fetchone()[0]


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


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def _children(pid: int) -> list[int]:
    """Its child processes, whichever of its threads started them."""
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


class Memory(dict):
    """Stage seconds (the engine's ``timings``) that also hold the peak resident memory, in MB, of this
    process (the driver's Python, or the local engine's loading process), of its Java child (Spark's
    JVM: driver and, at local[N], executors) and of the rest of its descendants together (Python
    workers, of either engine), sampled every 0.2 s, by stage: a stage's samples are those between the
    end of the one before and its own end."""

    def __init__(self) -> None:
        super().__init__()
        self.peaks: dict[str, dict[str, float]] = {}
        self.current = {"driver_py": 0, "jvm": 0, "workers": 0}
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        me = os.getpid()
        while not self.done.wait(0.2):
            seen = {"driver_py": _rss(me), "jvm": 0, "workers": 0}
            todo = _children(me)
            while todo:
                pid = todo.pop()
                try:
                    exe = Path(f"/proc/{pid}/exe").resolve().name
                except OSError:
                    continue
                seen["jvm" if exe == "java" else "workers"] += _rss(pid)
                todo += _children(pid)
            with self.lock:
                self.current = {k: max(v, seen[k]) for k, v in self.current.items()}

    def __setitem__(self, stage: str, seconds: float) -> None:
        super().__setitem__(stage, seconds)
        with self.lock:
            peak = self.peaks.setdefault(stage, {k: 0 for k in self.current})
            self.peaks[stage] = {k: max(peak[k], v) for k, v in self.current.items()}
            self.current = {k: 0 for k in self.current}

    def stop(self) -> dict[str, dict[str, float]]:
        self.done.set()
        self.thread.join()
        return {stage: {k: round(v / 1e6) for k, v in peak.items()} for stage, peak in self.peaks.items()}


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
    ap.add_argument("--split", type=int, default=0,
                    help="with --generate: its first N articles are loaded by the local engine into both corpora"
                         " before the engines load the rest")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting (repeatable)")
    ap.add_argument("--only", choices=["spark", "local"], help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only:
        only(args)
        return 0
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
    if args.split and not args.generate:
        ap.error("--split N needs --generate")
    settings = {"window": args.window} if args.window else {}
    here, there = folder / "local.db", folder / "spark.db"
    for db in (here, there, folder / "base.db"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    if args.split:
        inputs = [split(Path(inputs.pop()), args.split, folder, args.jobs, settings)]
        for db in (here, there):
            shutil.copyfile(folder / "base.db", db)
    # Each engine in a process of its own: its memory is its own (a stopped session's JVM stays up).
    got, expected = (run_alone(engine_name, args, inputs, db, settings)
                     for engine_name, db in (("spark", there), ("local", here)))
    answers = [{k: v for k, v in result["summary"].items() if k not in WORK} for result in (got, expected)]
    same = {"summary": answers[0] == answers[1], "snapshot": snapshot(there) == snapshot(here)}
    same.update({name: same_rows(there, here, name) for name in SAME_ROWS})
    summary = got["summary"]
    report = {
        "inputs": inputs, "loaded_before": args.split, **{k: summary[k] for k in ("articles_added", "sentences", "links_added", "clusters")},
        **{k: {"local": expected["summary"][k], "spark": summary[k]} for k in WORK},
        "local": {"jobs": args.jobs, "seconds": expected["seconds"], "peak_rss_mb": expected["peak_rss_mb"]},
        "spark": {"master": args.master, **{k: v for k, v in got.items() if k != "summary"}},
        "corpus_bytes": here.stat().st_size,
        "identical": same,
    }
    print(json.dumps(report, indent=2))
    return 0 if all(same.values()) else 1


def split(generated: Path, first: int, folder: Path, jobs: int, settings: dict) -> str:
    """The first ``first`` records of ``generated`` loaded locally into base.db; the path of the rest."""
    with generated.open() as f:
        lines = f.readlines()
    (folder / "base.jsonl").write_text("".join(lines[:first]))
    (folder / "rest.jsonl").write_text("".join(lines[first:]))
    began = time.perf_counter()
    load_paths(str(folder / "base.db"), [str(folder / "base.jsonl")], jobs=jobs, settings=settings)
    print(f"base of {first} articles, loaded locally: {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    return str(folder / "rest.jsonl")


def run_alone(name: str, args: argparse.Namespace, inputs: list[str], db: Path, settings: dict) -> dict:
    """One engine's load in a child process (``--only``), its result read back."""
    out = db.with_suffix(".result.json")
    subprocess.run([sys.executable, __file__, *inputs, "--only", name, "--db", str(db), "--master", args.master,
                    "--jobs", str(args.jobs), "--window", str(args.window), "--result", str(out),
                    *(f"--conf={c}" for c in args.conf)], check=True)
    result = json.loads(out.read_text())
    print(f"{name}: {result['seconds']} s", file=sys.stderr, flush=True)
    return result


def only(args: argparse.Namespace) -> None:
    """The child's part: one engine's load, its seconds, stages, memory and summary as JSON."""
    settings = {"window": args.window} if args.window else {}
    memory = Memory()
    result: dict = {}
    if args.only == "spark":
        began = time.perf_counter()
        conf = dict(c.split("=", 1) for c in args.conf)
        spark = engine.session(args.master, conf={"spark.ui.showConsoleProgress": "false", **conf})
        result["session_start"] = round(time.perf_counter() - began, 1)
        began = time.perf_counter()
        summary = engine.load_paths(args.db, args.inputs, spark=spark, settings=settings, timings=memory)
        result["seconds"] = round(time.perf_counter() - began, 1)
        result["stages"] = {k: round(v, 1) for k, v in memory.items()}
        result["by_stage"] = stage_metrics(spark)
        spark.stop()
    else:
        began = time.perf_counter()
        summary = load_paths(args.db, args.inputs, jobs=args.jobs, settings=settings)
        result["seconds"] = round(time.perf_counter() - began, 1)
        memory["load"] = result["seconds"]
    result["peak_rss_mb"] = memory.stop()
    result["summary"] = {k: v if isinstance(v, (int, float, str)) else repr(v) for k, v in vars(summary).items()}
    Path(args.result).write_text(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
