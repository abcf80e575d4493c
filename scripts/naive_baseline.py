#!/usr/bin/env python3
"""The straightforward datasketch pipeline, at the loader's settings: the baseline bench.py beats.

Honestly configured, so that the comparison isolates how matching is done:

* the same input parsing and segmentation as the loader (``ingest.read_paths``, ``segment.segment``,
  ``segment.normalise``; only sentences the loader matches: ``Sentence.matchable``);
* the same shingles: character 5-grams of the normalised sentence;
* one ``datasketch.MinHash(num_perm=128, seed=1, scheme="affine32")`` per sentence, updated shingle
  by shingle with ``m.update(shingle.encode())`` (datasketch's default SHA-1 hash), as its docs show;
* ``datasketch.MinHashLSH(num_perm=128, params=(42, 3))`` — the loader's 42 bands x 3 rows —
  queried with each sentence before inserting it;
* every candidate from another article verified exactly with the loader's rule
  (``candidates.is_link`` with ``signatures.Settings``: Jaccard >= 0.28, or containment >= 0.7 with
  Jaccard >= 0.15) on Python sets of the shingles;
* union-find over the verified links; each component then drops one outlet's repeated lines with
  the loader's own rule (``clusters.outlet_templates``: a near-identical line in 3+ articles of one
  outlet is that outlet's boilerplate), and is kept if it spans two articles or more;
* written to SQLite in the public tables the evaluator reads (``articles``, ``paragraphs``,
  ``sentences``, ``clusters``, ``cluster_members`` with whole-sentence offsets), so
  ``synth_reuse.evaluate`` scores it like the loader's database.

It does not do what the loader does beyond matching (attributions, quotes, provenance, full-text
search, incremental loads): bench.py compares end to end anyway, which favours the baseline.

Usage::

    python scripts/naive_baseline.py corpus.jsonl naive.db
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import time
from collections import defaultdict
from pathlib import Path

from datasketch import MinHash, MinHashLSH

from datasette_provenance.candidates import is_link
from datasette_provenance.templates import outlet_templates
from datasette_provenance.ingest import Article, read_paths
from datasette_provenance.segment import normalise, segment
from datasette_provenance.signatures import Settings
from datasette_provenance.store import SCHEMA

K = 5


def _shingles(norm: str, k: int = K) -> set[str]:
    return {norm[i:i + k] for i in range(len(norm) - k + 1)}


def _similarity(a: set[str], b: set[str]) -> tuple[float, float]:
    if not a or not b:
        return 0.0, 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter), inter / min(len(a), len(b))


def run(jsonl: str | Path, db_path: str | Path, settings: Settings | None = None) -> dict:
    """Build ``db_path`` from ``jsonl`` the naive way; return counts and per-phase timings (seconds)."""
    settings = settings or Settings()
    timings = defaultdict(float)
    started = time.perf_counter()
    Path(db_path).unlink(missing_ok=True)
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.executescript(SCHEMA)
    conn.execute("begin")
    lsh = MinHashLSH(num_perm=settings.num_perm, params=(settings.bands, settings.rows))

    norms: dict[int, str] = {}  # sentence id -> normalised text (shingle sets are rebuilt to verify)
    article_of: dict[int, int] = {}
    outlet_of: dict[int, str | None] = {}
    parent: dict[int, int] = {}
    links: list[tuple[int, int, float, float]] = []
    candidates = 0
    aid = pid = sid = 0
    articles = sentences = 0

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    t = time.perf_counter()
    records = read_paths([str(jsonl)])
    for rec in records:
        if not isinstance(rec, Article):
            continue
        aid += 1
        articles += 1
        conn.execute(
            "insert into articles(id, external_id, outlet, url, published, published_precision, title, text,"
            " content_hash) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (aid, rec.external_id, rec.outlet, rec.url, rec.published, rec.published_precision, rec.title,
             rec.text, hashlib.sha256(rec.text.encode("utf-8")).hexdigest()))
        paragraphs = segment(rec.text, rec.title)
        todo: list[tuple[int, str]] = []
        for p in paragraphs:
            pid += 1
            conn.execute("insert into paragraphs values (?, ?, ?, ?, ?, ?, ?)",
                         (pid, aid, p.position, p.start, p.text, int(p.boilerplate), p.kind))
            for s in p.sentences:
                sid += 1
                conn.execute('insert into sentences(id, paragraph_id, article_id, start, "end", kind)'
                             " values (?, ?, ?, ?, ?, ?)", (sid, pid, aid, s.start, s.end, s.kind))
                if s.matchable:
                    todo.append((sid, normalise(p.text[s.start:s.end])[0]))
        now = time.perf_counter()
        timings["parse_segment_write"] += now - t
        t = now
        for n, norm in todo:
            sentences += 1
            shingles = _shingles(norm)
            m = MinHash(num_perm=settings.num_perm, seed=settings.seed, scheme=settings.scheme)
            for sh in shingles:
                m.update(sh.encode())
            now = time.perf_counter()
            timings["minhash"] += now - t
            t = now
            found = lsh.query(m)
            now = time.perf_counter()
            timings["lsh"] += now - t
            t = now
            norms[n], article_of[n], outlet_of[n], parent[n] = norm, aid, rec.outlet, n
            for c in found:
                if article_of[c] == aid:
                    continue
                candidates += 1
                j, cont = _similarity(shingles, _shingles(norms[c]))
                if is_link(j, cont, settings):
                    links.append((min(c, n), max(c, n), j, cont))
                    ra, rb = find(c), find(n)
                    if ra != rb:
                        parent[max(ra, rb)] = min(ra, rb)
            now = time.perf_counter()
            timings["verify"] += now - t
            t = now
            lsh.insert(n, m)
            now = time.perf_counter()
            timings["lsh"] += now - t
            t = now

    components: dict[int, list[int]] = defaultdict(list)
    linked = {x for a, b, _, _ in links for x in (a, b)}
    for x in sorted(linked):
        components[find(x)].append(x)
    cache: dict[int, set[str]] = {}

    def jaccard(x: int, y: int) -> float:
        for z in (x, y):
            if z not in cache:
                cache[z] = _shingles(norms[z])
        return _similarity(cache[x], cache[y])[0]

    groups = []
    for members in components.values():
        flagged = outlet_templates(members, article_of, outlet_of, jaccard)
        cache.clear()
        rest = [n for n in members if n not in flagged]
        if len({article_of[n] for n in rest}) >= 2:
            groups.append(sorted(rest))
    groups.sort()
    now = time.perf_counter()
    timings["cluster"] += now - t
    t = now

    conn.executemany("insert or ignore into links(sentence_a, sentence_b, jaccard, containment) values (?, ?, ?, ?)", links)
    members_rows, cluster_rows = [], []
    for cid, group in enumerate(groups, 1):
        rows = conn.execute(
            'select s.id, s.paragraph_id, s.article_id, s.start, s."end", p.text, a.published, a.outlet'
            " from sentences s join paragraphs p on p.id = s.paragraph_id join articles a on a.id = s.article_id"
            f" where s.id in ({','.join('?' * len(group))})", group).fetchall()
        for n, p, a, s0, e0, _, _, _ in rows:
            members_rows.append((cid, p, n, a, s0, e0))
        first = min(rows, key=lambda r: (r[6] or "9999", r[2], r[0]))
        cluster_rows.append((cid, len(rows), len({r[2] for r in rows}), len({r[7] or r[2] for r in rows}),
                             min((r[6] for r in rows if r[6]), default=None), first[2], first[5][first[3]:first[4]]))
    conn.executemany("insert into clusters(id, members, articles, outlets, first_published, first_article_id, text)"
                     " values (?, ?, ?, ?, ?, ?, ?)", cluster_rows)
    conn.executemany('insert into cluster_members(cluster_id, paragraph_id, sentence_id, article_id, start, "end")'
                     " values (?, ?, ?, ?, ?, ?)", members_rows)
    conn.execute("commit")
    conn.close()
    timings["write_clusters"] += time.perf_counter() - t
    return {"articles": articles, "sentences": sentences, "candidates": candidates, "links": len(links),
            "clusters": len(groups), "seconds": time.perf_counter() - started,
            "timings": {k: round(v, 3) for k, v in timings.items()}}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.split("Usage::")[1].strip(), file=sys.stderr)
        return 2
    print(json.dumps(run(args[0], args[1]), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
