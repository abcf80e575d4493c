#!/usr/bin/env python3
"""Benchmarks for "a million articles on one small machine": printed figures, baseline in the same run.

Load mode (default)::

    python scripts/bench.py --articles N [--seed S] [--skip-naive] [--incremental K] [--window DAYS] [--workdir DIR]
                            [--setting KEY=VALUE ...]

generates a corpus with planted reuse (scripts/corpus_gen.py: synth_reuse's natural difficulty,
nothing planted relative to the detector's thresholds; N + K articles, cached in the work directory
under a name that carries ``corpus_gen.CORPUS_TAG``), then loads the first N articles with the loader (``load_paths``) and with the naive
datasketch pipeline (scripts/naive_baseline.py), each in its own subprocess so that its peak RSS is
its own (``os.wait4`` rusage). Both databases are scored with synth_reuse's passage-level evaluator
(on the gold's sample when the corpus is too big for full gold; see ``evaluate``). With
``--incremental K`` the last K articles are then loaded into the loader's database and timed.
``--setting KEY=VALUE`` (repeatable) loads ours with that loader setting (signatures.Settings, e.g.
``bands=12``), ``--naive-setting KEY=VALUE`` runs the naive pipeline with it; each keeps the defaults
otherwise: a way to see what a weaker detector scores (and that the tests' floors catch it).

Pages mode::

    python scripts/bench.py --pages DB [--requests 30]

serves DB with ``datasette serve -i`` on a free localhost port and requests every provenance page,
HTML and JSON, a bounded number of times; prints p50/p95 per page, then stops the server.

Profile mode::

    python scripts/bench.py --profile N [--window DAYS]

loads N generated articles in one process (no workers) under cProfile and prints the time of each
stage (preparing: credits, quotes, MinHash, segmenting; then inserting, candidates, reclustering,
provenance).

Wide-story mode::

    python scripts/bench.py --wide N[,N…]

one agency story taken by N papers, each once (two of its sentences verbatim between three lines of
the paper's own, from an hour after the agency through the day): one link component of N articles, which every batch
reclusters and re-derives. Loads it with the loader in a measured subprocess (as ``datasette provenance
load`` does) and prints the wall time, the peak memory of the process tree, the links and clusters.

Shared-line mode::

    python scripts/bench.py --shared-line SHARE [--articles N]

the bench corpus of N articles loaded as it is, then with one background sentence (the same words in
every outlet) as a middle paragraph of SHARE of its articles: each holding it is linked to the
bucket's heads and aligned with each of them. Prints both loads' wall time, memory, links and clusters.

Index mode::

    python scripts/bench.py --index-growth 8,24,64 [--index-batch ROWS]

times what one batch of band keys costs (sorted inserts and the commit) as the stored index grows
(millions of rows; an article stores ~720), with the layout a load without a window uses (one
index) and the one ``--window`` uses (periods, the batch in the newest), each in a fresh database
built to that size.

Every run prints the machine (cores, CPU model, RAM, load average) next to the figures. No figure
here is asserted anywhere: timings are read, not tested.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import corpus_gen  # noqa: E402
import synth_reuse  # noqa: E402

TARGET_RATIO = 25
TARGET_1M_SECONDS = 15 * 60
TARGET_RSS_MB = 4096
TARGET_INCREMENTAL = (10_000, 60)  # 10k articles into 1M in a minute
TARGET_PAGE_P95_MS = 100


# ------------------------------------------------------------------------------------------ machine


def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    return {"nproc": nproc, "cpu": cpu, "ram_mb": mem, "load": os.getloadavg(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version}


def print_machine(m: dict) -> None:
    print(f"machine: {m['nproc']} cores, {m['cpu']}, {m['ram_mb'] / 1024:.1f} GiB RAM; python {m['python']},"
          f" SQLite {m['sqlite']}; load average {m['load'][0]:.2f} {m['load'][1]:.2f} {m['load'][2]:.2f}")


# ------------------------------------------------------------------------------------------ evaluation


def evaluate(db_path: str | Path, gold: dict) -> dict:
    """synth_reuse.evaluate, also for a gold that covers only a sample (``scope``) of the corpus.

    With a scope, the evaluator runs on a copy of the scope articles' rows (so every gold pair can be
    found and every predicted pair among them is judged), and each predicted pair between a scope
    article and an article outside it is added as a wrong prediction: corpus_gen's groups share no
    text, so such a pair is false by construction.
    """
    if "scope" not in gold:
        return synth_reuse.evaluate(str(db_path), gold)
    scope = list(gold["scope"])
    src = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
    with tempfile.TemporaryDirectory() as tmp:
        mini_path = Path(tmp) / "scope.db"
        mini = sqlite3.connect(mini_path)
        mini.executescript(
            "create table articles(id integer primary key, external_id text);"
            "create table paragraphs(id integer primary key, article_id integer, start integer);"
            'create table cluster_members(cluster_id integer, paragraph_id integer, article_id integer,'
            ' start integer, "end" integer);')
        ids: dict[int, str] = {}
        for i in range(0, len(scope), 500):
            chunk = scope[i:i + 500]
            ids.update(src.execute(f"select id, external_id from articles where external_id in"
                                   f" ({','.join('?' * len(chunk))})", chunk).fetchall())
        aids = sorted(ids)
        members, clusters = [], set()
        for i in range(0, len(aids), 500):
            chunk = aids[i:i + 500]
            rows = src.execute('select cm.cluster_id, cm.paragraph_id, cm.article_id, cm.start, cm."end", p.start'
                               " from cluster_members cm join paragraphs p on p.id = cm.paragraph_id"
                               f" where cm.article_id in ({','.join('?' * len(chunk))})", chunk).fetchall()
            members += rows
            clusters.update(r[0] for r in rows)
        mini.executemany("insert into articles values (?, ?)", ids.items())
        mini.executemany("insert or ignore into paragraphs values (?, ?, ?)", {(r[1], r[2], r[5]) for r in members})
        mini.executemany("insert into cluster_members values (?, ?, ?, ?, ?)", [r[:5] for r in members])
        mini.commit()
        mini.close()
        result = synth_reuse.evaluate(str(mini_path), gold)
    cross = 0
    cids = sorted(clusters)
    for i in range(0, len(cids), 500):
        chunk = cids[i:i + 500]
        per: dict[int, list[int]] = {}
        for cid, aid, n in src.execute("select cluster_id, article_id, count(*) from cluster_members where"
                                       f" cluster_id in ({','.join('?' * len(chunk))}) group by cluster_id,"
                                       " article_id", chunk):
            inside = per.setdefault(cid, [0, 0])
            inside[0 if aid in ids else 1] += n
        cross += sum(a * b for a, b in per.values())
    src.close()
    result["cross_scope_pairs"] = cross
    result["predicted_pairs"] += cross
    n = result["predicted_pairs"]
    result["precision"] = result["correct_pairs"] / n if n else 0.0
    result["scope_articles"] = len(scope)
    return result


# ------------------------------------------------------------------------------------------ children


def _child(kind: str, src: str, db: str, settings: str = "{}") -> None:
    """Runs in the measured subprocess; prints one JSON line."""
    started = time.perf_counter()
    if kind == "naive":
        import dataclasses

        import naive_baseline
        from datasette_provenance.signatures import Settings

        out = naive_baseline.run(src, db, dataclasses.replace(Settings(), **json.loads(settings)))
    else:
        from datasette_provenance.load import load_paths

        def progress(done: int, chars: int) -> None:  # after each batch: does the rate hold as the corpus grows?
            print(f"BENCH-PROGRESS {time.perf_counter() - started:.3f} {done}", flush=True)

        # as `datasette provenance load` [--window DAYS] [--bands ...]
        summary = load_paths(db, [src], settings=json.loads(settings) or None,
                             jobs=len(os.sched_getaffinity(0)), progress=progress)
        out = {"articles": summary.articles_added, "sentences": summary.sentences, "links": summary.links_added,
               "candidates": summary.candidates, "checked": summary.checked,
               "clusters": summary.clusters, "errors": len(summary.errors)}
    out["seconds"] = time.perf_counter() - started
    print("BENCH-RESULT " + json.dumps(out))


def run_measured(kind: str, src: Path, db: Path, log: Path, settings: dict | None = None) -> dict:
    """Run a child (``settings``: the loader's, for ours); return its JSON plus process wall time and peak RSS (MB)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_child", kind, str(src), str(db),
           json.dumps(settings or {})]
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=str(HERE.parent))
        peak = [0]
        sampler = threading.Thread(target=_sample_tree_rss, args=(proc.pid, peak), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    sampler.join()
    text = log.read_text(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"{kind} failed (exit {proc.returncode}); log {log}:\n{text[-3000:]}")
    line = next(l for l in reversed(text.splitlines()) if l.startswith("BENCH-RESULT "))
    result = json.loads(line[len("BENCH-RESULT "):])
    result["wall"] = wall
    result["progress"] = [(float(t), int(n)) for t, n in
                          (l.split()[1:3] for l in text.splitlines() if l.startswith("BENCH-PROGRESS "))]
    result["cpu"] = usage.ru_utime + usage.ru_stime  # less disturbed than wall time by other load
    # Worker processes count too: the peak of the whole process tree's RSS, sampled every 200 ms.
    result["peak_rss_mb"] = max(usage.ru_maxrss, peak[0]) / 1024  # KiB on Linux
    return result


def _sample_tree_rss(root: int, peak: list[int]) -> None:
    """Largest sum of memory (KiB) over ``root`` and its descendants until ``root`` is gone: each one's
    proportional set size (Pss) where Linux gives it, so that pages a forked worker shares with the
    loading process count once, else its VmRSS."""
    while True:
        parents, rss = {}, {}
        for stat in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":", 1) for line in stat.read_text().splitlines() if ":" in line)
            except OSError:
                continue
            pid = int(stat.parent.name)
            parents[pid] = int(fields.get("PPid", "0"))
            rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
        if root not in rss or rss[root] == 0:
            return
        tree, grew = {root}, True
        while grew:
            more = {pid for pid, parent in parents.items() if parent in tree} - tree
            tree |= more
            grew = bool(more)
        peak[0] = max(peak[0], sum(_pss(pid, rss[pid]) for pid in tree))
        time.sleep(0.2)


_HAS_PSS = Path("/proc/self/smaps_rollup").exists()


def _pss(pid: int, rss: int) -> int:
    """A process's Pss, or ``rss`` where the kernel gives none. One that exits between its status and
    this read has none left and counts nothing: its stale resident size, on top of the parent that now
    holds the pages they shared alone, counted them twice (a forked worker's 300 MiB read as 570)."""
    if not _HAS_PSS:
        return rss
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), 0)


# ------------------------------------------------------------------------------------------ load mode


def _remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def corpus(total: int, seed: int, workdir: Path, house_lines: float = 0.5) -> tuple[Path, dict, float]:
    tag = f"_{corpus_gen.CORPUS_TAG}" + ("" if house_lines == 0.5 else f"_h{house_lines:g}")
    path = workdir / f"corpus_{total}_s{seed}{tag}.jsonl"
    gold_path = path.with_name(path.stem + ".gold.json")
    took = 0.0
    if not (path.exists() and gold_path.exists()):
        corpus_gen.pool(seed)  # cached pool: not part of the streaming rate
        started = time.perf_counter()
        corpus_gen.stream(total, seed, path, house_lines=house_lines)
        took = time.perf_counter() - started
    return path, json.loads(gold_path.read_text(encoding="utf-8")), took


def split(path: Path, first: int, workdir: Path) -> tuple[Path, Path]:
    base, rest = workdir / f"{path.stem}_first{first}.jsonl", workdir / f"{path.stem}_after{first}.jsonl"
    if not (base.exists() and rest.exists()):
        with path.open(encoding="utf-8") as f, base.open("w", encoding="utf-8") as a, \
                rest.open("w", encoding="utf-8") as b:
            for i, line in enumerate(f):
                (a if i < first else b).write(line)
    return base, rest


def _fmt_row(name: str, r: dict, size: int, m: dict | None) -> str:
    rate = r["articles"] / r["wall"] if r["wall"] else 0.0
    cols = [f"{name:<24}", f"{r['articles']:>8,}", f"{r['wall']:>9.1f}", f"{r['cpu']:>8.1f}", f"{rate:>10,.0f}",
            f"{size / 1e6 / r['wall']:>7.2f}", f"{r['peak_rss_mb']:>8,.0f}"]
    if m:
        cols += [f"{m['precision']:>6.3f}", f"{m['recall']:>6.3f}", f"{m['recall_rewrite']:>6.3f}",
                 f"{m['negatives_linked']:>4}/{m['negatives']:<5}"]
    return " ".join(cols)


def rate_by_tenth(progress: list[tuple[float, int]]) -> list[float]:
    """Articles per second between the batches that end each tenth of a load (empty if too few batches)."""
    if len(progress) < 20:
        return []
    total = progress[-1][1]
    marks = [(0.0, 0)] + [next(p for p in progress if p[1] >= total * k / 10) for k in range(1, 11)]
    return [(n1 - n0) / (t1 - t0) for (t0, n0), (t1, n1) in zip(marks, marks[1:]) if t1 > t0]


HEADER = (f"{'pipeline':<24} {'articles':>8} {'wall s':>9} {'cpu s':>8} {'art/s':>10} {'MB/s':>7} {'RSS MB':>8} "
          f"{'prec':>6} {'recall':>6} {'rewr.':>6} {'neg. linked':>10}")


def load_mode(args: argparse.Namespace) -> dict:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    m = machine()
    print_machine(m)
    total = args.articles + args.incremental
    path, gold, gen_seconds = corpus(total, args.seed, workdir, args.house_lines)
    if args.incremental:
        base, extra = split(path, args.articles, workdir)
        base_gold = corpus_gen.restrict_gold(gold, args.articles)
    else:
        base, extra, base_gold = path, None, gold
    size = base.stat().st_size
    rate = f" in {gen_seconds:.1f}s ({total / gen_seconds:,.0f} articles/s)" if gen_seconds else " (cached)"
    for name, chosen in (("ours", args.setting), ("naive", args.naive_setting)):
        if chosen:
            print(f"{name} loaded with settings: " + ", ".join(f"{k}={v}" for k, v in chosen) + " (else the defaults)")
    print(f"corpus ({corpus_gen.CORPUS_TAG}): {total:,} articles, {path.stat().st_size / 1e6:.1f} MB -> {path}{rate}; gold"
          f" {len(gold['pairs']):,} pairs" + (f" on a sample of {len(gold['scope']):,} articles" if "scope" in gold
                                              else " (whole corpus)"))
    ours_settings = dict(args.setting or [])
    naive_settings = dict(args.naive_setting or [])
    if args.window:
        ours_settings["window"] = args.window
    results: dict = {"machine": m, "articles": args.articles, "seed": args.seed, "input_mb": size / 1e6,
                     "window": args.window, "ours_settings": ours_settings, "naive_settings": naive_settings,
                     "corpus": corpus_gen.CORPUS_TAG}

    def scored(kind: str, src: Path, db: Path, log: str, against: dict, fresh: bool = True) -> dict:
        if fresh:
            _remove_db(db)
        result = run_measured(kind, src, db, workdir / log, ours_settings if kind == "ours" else naive_settings)
        result["metrics"] = evaluate(db, against)
        return result

    ours_db = workdir / f"ours_{path.stem}_{args.articles}.db"
    ours = results["ours"] = scored("ours", base, ours_db, "ours.log", base_gold)
    naive = None
    if not args.skip_naive:
        naive_db = workdir / f"naive_{path.stem}_{args.articles}.db"
        naive = results["naive"] = scored("naive", base, naive_db, "naive.log", base_gold)
    inc = None
    if extra is not None:
        inc = results["incremental"] = scored("ours", extra, ours_db, "incremental.log", gold, fresh=False)

    print()
    print(HEADER)
    print(_fmt_row(f"ours (window {args.window} d)" if args.window else "ours (load_paths)", ours, size,
                   ours["metrics"]))
    if naive:
        print(_fmt_row("naive datasketch", naive, size, naive["metrics"]))
    if inc:
        print(_fmt_row(f"ours +{args.incremental:,} incremental", inc, extra.stat().st_size, inc["metrics"]))
    print()
    if naive:
        ratio = naive["wall"] / ours["wall"]
        results["speed_ratio"] = ratio
        results["cpu_ratio"] = naive["cpu"] / ours["cpu"]
        print(f"speed ratio (naive wall / ours wall{', ours with a window' if args.window else ''}):"
              f" {ratio:.1f}x  (target >= {TARGET_RATIO}x);"
              f" by CPU time: {results['cpu_ratio']:.1f}x")
        t = naive.get("timings", {})
        print("naive phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in t.items())
              + f"; {naive['candidates']:,} candidates verified, {naive['links']:,} links")
    print(f"ours: {ours['sentences']:,} sentences, {ours['links']:,} links, {ours['clusters']:,} clusters;"
          f" database {ours_db.stat().st_size / 1e6:.0f} MB -> {ours_db}")
    if ours.get("candidates") and args.window:
        print(f"ours: {ours['candidates']:,} candidate pairs ({ours['candidates'] / ours['articles']:,.0f} per article),"
              f" {ours['checked']:,} compared exactly; with a {args.window}-day window they grow with the articles"
              " published in a window, not with the corpus")
    elif ours.get("candidates"):
        # Unrelated sentences collide in a band at a steady rate per pair, so candidates grow with the
        # square of the corpus: the figure that decides whether a million articles can be matched.
        scale = (1_000_000 / ours["articles"]) ** 2
        print(f"ours: {ours['candidates']:,} candidate pairs ({ours['candidates'] / ours['articles']:,.0f} per article),"
              f" {ours['checked']:,} compared exactly; at this rate per pair of sentences, 1,000,000 such articles"
              f" would give ~{ours['candidates'] * scale:,.2g} candidates and ~{ours['checked'] * scale:,.2g}"
              " exact comparisons")
    tenths = rate_by_tenth(ours["progress"])
    if tenths:
        print("ours, articles/s in each tenth of the load (flat if a batch costs the same in a larger corpus): "
              + " ".join(f"{r:,.0f}" for r in tenths))
    need = 1_000_000 / TARGET_1M_SECONDS
    print(f"targets: 1M articles in <= {TARGET_1M_SECONDS // 60} min needs >= {need:,.0f} articles/s sustained"
          f" (ours here: {ours['articles'] / ours['wall']:,.0f}/s); peak RSS <= {TARGET_RSS_MB:,} MB;"
          f" incremental {TARGET_INCREMENTAL[0]:,} into 1M <= {TARGET_INCREMENTAL[1]} s")
    for k in ("ours", "naive", "incremental"):
        if k in results and "cross_scope_pairs" in results[k]["metrics"]:
            mm = results[k]["metrics"]
            print(f"{k}: scored on {mm['scope_articles']:,} sampled articles; {mm['cross_scope_pairs']:,} predicted"
                  " pairs leave the sample (counted wrong)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return results


# ------------------------------------------------------------------------------------------ pages mode


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 30.0) -> tuple[int, float, int]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as e:
        body = e.read()
        status = e.code
    return status, (time.perf_counter() - started) * 1000, len(body)


def _targets(db: Path) -> list[tuple[str, str]]:
    """(label, path) of each page to time, with ids picked from the database."""
    from datasette.utils import tilde_encode

    conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        big = conn.execute("select id, first_article_id, text from clusters"
                           " order by members desc, id limit 1").fetchone()
        n = conn.execute("select count(*) from clusters").fetchone()[0]
        mid = conn.execute("select id, text from clusters order by id limit 1 offset ?", (n // 2,)).fetchone()
        na = conn.execute("select max(id) from articles").fetchone()[0]
        art = conn.execute("select id from articles where id >= ? order by id limit 1", (na // 2,)).fetchone()
        outlet = conn.execute("select outlet from articles where outlet is not null group by outlet"
                              " order by count(*) desc limit 1").fetchone()
    finally:
        conn.close()
    name = db.stem
    base = f"/{urllib.parse.quote(name)}/-/provenance"
    pages = [("overview", base)]
    if big:
        pages += [("cluster (largest)", f"{base}/cluster/{big[0]}"),
                  ("cluster (median id)", f"{base}/cluster/{mid[0]}"),
                  ("article (in largest cluster)", f"{base}/article/{big[1]}")]
    if art:
        pages.append(("article (median id)", f"{base}/article/{art[0]}"))
    if outlet:
        pages.append(("outlet (most articles)", f"{base}/outlet/{tilde_encode(outlet[0])}"))
    pages.append(("graph", f"{base}/graph"))
    q = (mid or big or ("", "", "the government said on Monday"))[-1]
    pages.append(("trace", f"{base}/trace?" + urllib.parse.urlencode({"q": q})))
    out = []
    for label, path in pages:
        out.append((label, path))
        p, _, query = path.partition("?")
        out.append((label + " .json", p + ".json" + ("?" + query if query else "")))
    return out


# Where a single-process load spends its time: the stages the README's profile names.
PROFILE_STAGES = [
    ("prepare (in workers with --jobs)", "prepare.py", "prepare"),
    ("  credits (find_attributions)", "attributions.py", "find_attributions"),
    ("  quotes and speakers (find_speakers)", "attributions.py", "find_speakers"),
    ("  MinHash (minhash_signatures)", "signatures.py", "minhash_signatures"),
    ("  segmenting (segment)", "segment.py", "segment"),
    ("load a batch (the loading process)", "load.py", "_load_batch"),
    ("  insert articles", "load.py", "_insert_articles"),
    ("  candidates and exact comparison", "candidates.py", "link_new_sentences"),
    # the band keys (through store.insert_rows) and sketches it stores, and the band keys it looks up
    ("    of which SQLite statements", "sqlite3", ("store_sketches", "insert_rows", "_bucket_rows")),
    ("      band-key inserts", "sqlite3", ("insert_rows",)),
    ("      band-key lookups", "sqlite3", ("_bucket_rows",)),
    ("  reclustering", "clusters.py", "recluster"),
    ("  provenance", "provenance.py", "update"),
]


AGENCY = ["The finance minister announced on Tuesday that the national budget would be cut by four percent next year.",
          "Opposition leaders criticised the decision as reckless and warned of protests in the capital.",
          "The cuts will affect health, education and transport, according to documents seen by reporters.",
          "Unions said they would meet on Thursday to decide on a general strike across the country."]


def wide_story(papers: int, path: Path, seed: int = 1) -> None:
    """The agency's story, then ``papers`` articles of as many outlets, each with its first two
    sentences between lines of random words (which match nothing)."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(5000)]

    def own() -> str:
        return " ".join(rng.choice(words) for _ in range(14)).capitalize() + "."

    with path.open("w", encoding="utf-8") as out:
        out.write(json.dumps({"id": "agency", "outlet": "Agency", "published": "2026-01-01T08:00:00Z",
                              "text": "\n\n".join(AGENCY)}) + "\n")
        for i in range(papers):
            text = "\n\n".join([own(), AGENCY[0], AGENCY[1], own(), own()])
            out.write(json.dumps({"id": f"p{i}", "outlet": f"Paper {i + 1}", "text": text,
                                  "published": f"2026-01-01T{9 + i % 14:02d}:{i % 60:02d}:00Z"}) + "\n")


def wide_mode(args: argparse.Namespace) -> None:
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print_machine(machine())
    for papers in [int(x) for x in args.wide.split(",")]:
        path = workdir / f"wide_{papers}.jsonl"
        wide_story(papers, path)
        db = workdir / f"wide_{papers}.db"
        _remove_db(db)
        r = run_measured("ours", path, db, workdir / f"wide_{papers}.log")
        print(f"one story in {papers:,} papers: {r['wall']:.1f} s, peak {r['peak_rss_mb']:,.0f} MB,"
              f" {r['links']:,} links, {r['clusters']} clusters", flush=True)


BACKGROUND = "The country has been governed by a coalition of three parties since the elections held in the spring of last year."


def with_shared_line(src: Path, share: float, path: Path, seed: int = 1) -> int:
    """``src`` with ``BACKGROUND`` (a background line outlets repeat, verbatim, in story after story)
    as a middle paragraph of ``share`` of its articles, chosen at random; returns how many."""
    rng = random.Random(seed)
    given = 0
    with src.open(encoding="utf-8") as lines, path.open("w", encoding="utf-8") as out:
        for line in lines:
            record = json.loads(line)
            if rng.random() < share:
                paragraphs = record["text"].split("\n\n")
                paragraphs.insert(len(paragraphs) // 2, BACKGROUND)
                record["text"] = "\n\n".join(paragraphs)
                given += 1
            out.write(json.dumps(record) + "\n")
    return given


def shared_line_mode(args: argparse.Namespace) -> None:
    """The bench corpus loaded as it is and with one background line in a share of its articles:
    every article holding the line is linked to the bucket's heads and aligned with each."""
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print_machine(machine())
    path, _, _ = corpus(args.articles, args.seed, workdir, args.house_lines)
    lined = workdir / f"{path.stem}_line{args.shared_line:g}.jsonl"
    given = with_shared_line(path, args.shared_line, lined, args.seed)
    for name, src in (("as generated", path), (f"one line in {given:,} of them", lined)):
        db = workdir / f"{src.stem}.db"
        _remove_db(db)
        r = run_measured("ours", src, db, workdir / f"{src.stem}.log")
        with closing(sqlite3.connect(db)) as conn:  # as align.compared_articles: no outlet, or two
            pairs, apart = conn.execute("select count(*), coalesce(sum(a.outlet is null or a.outlet is not b.outlet), 0)"
                                        " from alignments l"
                                        " join articles a on a.id = l.article_a join articles b on b.id = l.article_b"
                                        ).fetchone()
        print(f"{args.articles:,} articles, {name}: {r['wall']:.1f} s, peak {r['peak_rss_mb']:,.0f} MB,"
              f" {r['links']:,} links, {r['clusters']:,} clusters, {pairs:,} article pairs aligned"
              f" ({apart:,} of two outlets, sentence by sentence)", flush=True)


def profile_mode(args: argparse.Namespace) -> dict:
    """Load the first N articles in this process (no workers) under cProfile; print each stage's time."""
    import cProfile
    import pstats

    from datasette_provenance.load import load_paths

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print_machine(machine())
    path, _, _ = corpus(args.profile, args.seed, workdir, args.house_lines)
    db = workdir / f"profile_{path.stem}.db"
    _remove_db(db)
    settings = {"window": args.window} if args.window else None
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(load_paths, str(db), [str(path)], settings=settings, jobs=1)
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (calls, primitive, own, cumulative, callers)
    print(f"single-process load of {args.profile:,} articles under cProfile: {wall:.1f} s"
          f" ({wall / args.profile * 1000:.1f} ms per article)")
    results = {"articles": args.profile, "wall": wall, "stages": {}}
    for label, file, name in PROFILE_STAGES:
        if file == "sqlite3":  # the time of sqlite3's methods (statements, fetches) called from ``name``s
            seconds = sum(ct for (f, _, n), v in stats.items() if f == "~" and "sqlite3." in n
                          for (_, _, caller), (_, _, _, ct) in v[4].items() if caller in name)
        else:
            seconds = sum(v[3] for (f, _, n), v in stats.items()
                          if n == name and f.endswith(f"datasette_provenance/{file}"))
        results["stages"][label.strip()] = seconds
        print(f"{label:<40} {seconds:>8.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


PERIOD_ROWS = 8 * 500 * 720  # band-key rows of one period: 8 days of ~500 articles of ~720 rows


def index_mode(args: argparse.Namespace) -> dict:
    """Time a batch of band-key inserts and its commit into a stored index of each size, both layouts."""
    from datasette_provenance import store

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    print_machine(machine())
    rng = np.random.default_rng(args.seed)
    batch = args.index_batch
    results: dict = {"batch_rows": batch, "period_rows": PERIOD_ROWS, "sizes": []}
    print(f"{'stored rows':>12} {'one index: s a batch':>22} {'by period: s a batch':>22}   (batches of {batch:,} rows)")
    for millions in [float(x) for x in args.index_growth.split(",")]:
        stored = int(millions * 1e6)
        row = {"stored": stored}
        for layout in ("one index", "by period"):
            db = workdir / "index_growth.db"
            _remove_db(db)
            conn = store.connect(str(db))
            store.ensure_schema(conn)
            # Stored keys are random within a period; the periods before the newest are full.
            periods = np.zeros(stored, dtype=np.int64) if layout == "one index" else np.arange(stored) // PERIOD_ROWS
            newest = int(periods[-1]) if stored else 0
            _append_sorted(conn, periods, rng.integers(-2**62, 2**62, stored), np.arange(stored))
            conn.execute("pragma wal_checkpoint(truncate)")
            seconds, next_id = [], stored
            for _ in range(3):
                keys = rng.integers(-2**62, 2**62, batch)
                started = time.perf_counter()
                _append_sorted(conn, np.full(batch, newest), keys, np.arange(next_id, next_id + batch), batch)
                seconds.append(time.perf_counter() - started)
                next_id += batch
            assert conn.execute("select count(*) from band_keys").fetchone()[0] == stored + 3 * batch
            conn.close()
            row[layout] = statistics.median(seconds)
        results["sizes"].append(row)
        print(f"{stored / 1e6:>11,.1f}M {row['one index']:>22.2f} {row['by period']:>22.2f}")
    _remove_db(workdir / "index_growth.db")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


def _append_sorted(conn: sqlite3.Connection, periods, keys, ids, chunk: int = 1_000_000) -> None:
    """Insert band-key rows in index order, ``chunk`` rows per transaction (a load: one batch's rows)."""
    order = np.lexsort((ids, keys, periods))
    for i in range(0, len(order), chunk):
        part = order[i:i + chunk]
        conn.execute("begin")
        conn.executemany("insert into band_keys(period, key, sentence_id) values (?, ?, ?)",
                         zip(periods[part].tolist(), keys[part].tolist(), ids[part].tolist()))
        conn.execute("commit")


def pages_mode(args: argparse.Namespace) -> dict:
    db = Path(args.pages)
    if not db.exists():
        raise SystemExit(f"no such database: {db}")
    m = machine()
    print_machine(m)
    conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("articles", "clusters", "cluster_members")}
    conn.close()
    print(f"database: {db} ({db.stat().st_size / 1e6:.0f} MB; {counts['articles']:,} articles,"
          f" {counts['clusters']:,} clusters, {counts['cluster_members']:,} members)")
    targets = _targets(db)
    port = _free_port()
    root = f"http://127.0.0.1:{port}"
    log = Path(args.workdir) / "datasette.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "datasette", "serve", "-i", str(db), "--host", "127.0.0.1",
                                   "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    results: dict = {"machine": m, "database": str(db), "pages": []}
    try:
        # Datasette hashes an immutable database's file before it serves (61 s for 32 GB here).
        deadline = time.monotonic() + 60 + 20 * db.stat().st_size / 1e9
        started = time.monotonic()
        while True:
            try:
                if _get(root + "/-/versions.json", timeout=2)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"datasette did not start; log {log}:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        print(f"datasette serving after {time.monotonic() - started:.0f} s")
        print(f"\n{'page':<36} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KB':>7}  status")
        for label, path in targets:
            _get(root + path, timeout=120)  # warm-up: first render compiles templates, fills caches
            times, statuses, size = [], set(), 0
            stop = time.monotonic() + args.page_seconds
            for _ in range(args.requests):
                status, ms, size = _get(root + path, timeout=120)
                times.append(ms)
                statuses.add(status)
                if time.monotonic() > stop:
                    break
            times.sort()
            p50 = statistics.median(times)
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            flag = "" if p95 <= TARGET_PAGE_P95_MS else "  > target"
            print(f"{label:<36} {len(times):>4} {p50:>8.1f} {p95:>8.1f} {times[-1]:>8.1f} {size / 1024:>7.1f}"
                  f"  {','.join(map(str, sorted(statuses)))}{flag}")
            results["pages"].append({"page": label, "path": path, "n": len(times), "p50_ms": p50, "p95_ms": p95,
                                     "max_ms": times[-1], "bytes": size, "status": sorted(statuses)})
        print(f"\ntarget: p95 <= {TARGET_PAGE_P95_MS} ms per page")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--_child"]:
        _child(*argv[1:5])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-naive", action="store_true", help="time the loader only")
    ap.add_argument("--incremental", type=int, default=0, metavar="K",
                    help="then load K more articles into the loader's database and time that")
    ap.add_argument("--house-lines", type=float, default=0.5,
                    help="share of outlets whose every article repeats an own line (an outlet template)")
    ap.add_argument("--window", type=int, default=0, metavar="DAYS",
                    help="load ours with --window DAYS (the naive baseline compares everything)")
    ap.add_argument("--setting", type=synth_reuse.parse_setting, action="append", metavar="KEY=VALUE",
                    help="load ours with this loader setting (signatures.Settings, e.g. bands=12); repeatable")
    ap.add_argument("--naive-setting", type=synth_reuse.parse_setting, action="append", metavar="KEY=VALUE",
                    help="run the naive pipeline with this setting (signatures.Settings); repeatable")
    ap.add_argument("--profile", type=int, metavar="N",
                    help="instead: load N articles in one process under cProfile and print each stage's time")
    ap.add_argument("--pages", metavar="DB", help="time the provenance pages of DB instead")
    ap.add_argument("--wide", metavar="N,N,…", help="instead: load one story taken by N papers")
    ap.add_argument("--shared-line", type=float, metavar="SHARE",
                    help="instead: load the corpus as it is, then with one background line in SHARE of its articles")
    ap.add_argument("--index-growth", metavar="M,M,…",
                    help="instead: time a batch of band-key rows into stored indexes of M million rows")
    ap.add_argument("--index-batch", type=int, default=1_440_000, metavar="ROWS",
                    help="band-key rows a batch inserts (index mode; 2000 articles ≈ 1.44 M)")
    ap.add_argument("--requests", type=int, default=30, help="timed requests per page (pages mode)")
    ap.add_argument("--page-seconds", type=float, default=60.0, help="at most this long per page (pages mode)")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "dp_bench"))
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    if args.pages:
        pages_mode(args)
    elif args.profile:
        profile_mode(args)
    elif args.wide:
        wide_mode(args)
    elif args.shared_line:
        shared_line_mode(args)
    elif args.index_growth:
        index_mode(args)
    else:
        load_mode(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
