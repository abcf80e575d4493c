#!/usr/bin/env python3
"""One statement carried by N outlets: does the cost grow with N, or with N²?

A wire story in 2,000 papers is ordinary news. This builds N outlets (no agency article loaded):
half carry a ministry statement in one wording and half in another, each with the same credited
wire paragraph and a line of its own, all on one day, and loads them with the loader. It prints
the load time, peak memory, database size, derivation rows, the largest and total evidence, and
the cluster page's time and size, for N and for N/2 in the same run: the ratio says how each grows
(2.0 is linear, 4.0 quadratic).

    python scripts/bench_fanout.py --outlets 2000 [--window 8] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDINGS = [
    '"We are ready to cooperate with all interested countries in the interest of establishing an effective joint'
    ' reaction to this common threat," the ministry spokeswoman Anna Lindqvist said on Thursday.',
    '"We stand ready to cooperate with all the interested countries in the interests of establishing a joint'
    ' effective response to this common threat," Anna Lindqvist, the ministry spokeswoman, told reporters.',
]
WIRE = ("The talks between the two delegations will resume in the capital next week after a pause of almost"
        " a month, the Associated Press reported.")


def own_line(i: int) -> str:
    """A sentence of the outlet's own, sharing no wording with any other outlet's (seeded nonsense words)."""
    rng = random.Random(i)
    syllables = "ba ko ri sun te lam vo ga pel dri no sha mu ek tor yi".split()
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(14)]
    return " ".join(words).capitalize() + "."


def corpus(n: int, path: Path) -> None:
    with path.open("w") as f:
        for i in range(n):
            own = own_line(i)
            f.write(json.dumps({"id": f"o{i}", "outlet": f"Outlet {i}", "published": "2022-03-01",
                                "text": f"{WORDINGS[i % 2]}\n\n{WIRE}\n\n{own}"}) + "\n")


def child(db: str, src: str, window: int) -> None:
    from datasette_provenance.load import load_paths
    from datasette_provenance.signatures import Settings
    load_paths(db, [src], settings=Settings(window=window) if window else None, jobs=1)


def cluster_page(db: str) -> tuple[float, int]:
    """Time (a second, warm request) and size of the biggest cluster's page (HTML), through Datasette's test client."""
    import asyncio

    from datasette.app import Datasette
    cid = sqlite3.connect(db).execute("select id from clusters order by members desc limit 1").fetchone()[0]

    async def fetch():
        ds = Datasette([db], immutables=[])
        await ds.invoke_startup()
        name = Path(db).stem
        await ds.client.get(f"/{name}/-/provenance/cluster/{cid}")  # the first request also warms Datasette up
        start = time.perf_counter()
        r = await ds.client.get(f"/{name}/-/provenance/cluster/{cid}")
        return time.perf_counter() - start, len(r.content), r.status_code

    seconds, size, status = asyncio.run(fetch())
    assert status == 200, status
    return seconds, size


def measure(n: int, work: Path, window: int) -> dict:
    src, db = work / f"fanout_{n}.jsonl", work / f"fanout_{n}.db"
    corpus(n, src)
    db.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--_child", str(db), str(src), str(window)])
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status:
        raise SystemExit(f"load of {n} outlets failed")
    conn = sqlite3.connect(db)
    rows, total, largest = conn.execute(
        "select count(*), coalesce(sum(length(evidence)), 0), coalesce(max(length(evidence)), 0) from derivations").fetchone()
    page_s, page_bytes = cluster_page(str(db))
    return {"outlets": n, "load_s": seconds, "rss_mb": usage.ru_maxrss / 1024, "db_mb": db.stat().st_size / 2**20,
            "rows": rows, "evidence_mb": total / 2**20, "largest_evidence_kb": largest / 1024,
            "page_s": page_s, "page_kb": page_bytes / 1024}


def main(argv: list[str] | None = None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--_child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outlets", type=int, default=2000)
    ap.add_argument("--window", type=int, default=0, help="load with --window DAYS")
    ap.add_argument("--workdir")
    args = ap.parse_args(argv)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="fanout-"))
    work.mkdir(parents=True, exist_ok=True)
    results = [measure(n, work, args.window) for n in (args.outlets // 2, args.outlets)]
    keys = list(results[0])
    print(f"one statement in N outlets (window {args.window or 'none'}); same run, N/2 then N")
    print("  ".join(f"{k:>18}" for k in keys))
    for r in results:
        print("  ".join(f"{r[k]:>18.2f}" if isinstance(r[k], float) else f"{r[k]:>18}" for k in keys))
    print("  ".join(f"{'x' + format(b / a, '.2f') if a else '-':>18}" for a, b in
                    ((results[0][k], results[1][k]) for k in keys)) + "   (N over N/2: 2 is linear, 4 quadratic)")
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
