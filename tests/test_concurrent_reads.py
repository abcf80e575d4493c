"""Datasette serves the corpus while a load writes to it.

``datasette serve`` (mutable, not ``-i``: the file is being written) runs on a free localhost port
over a corpus that already holds the seeds; a second process loads a synthetic corpus into the
same file in small batches. Meanwhile three client threads fetch the provenance pages, their JSON
and exports, and Datasette's own table, row, search and SQL endpoints, over and over. No response
may be a server error or mention a locked database, the readers must see the corpus grow, and
once the load is done every page shows the finished corpus. All loops are bounded in time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from datasette_provenance.load import load_paths

from conftest import datasette_server, ROOT, SEEDS
from test_crash_safety import check_consistency

DEADLINE = 60.0  # seconds the load may take before the test gives up
TRACE_Q = "We are ready to cooperate with all interested countries in the interest of establishing an effective joint reaction."
PATHS = [
    "/corpus/-/provenance", "/corpus/-/provenance.json", "/corpus/-/provenance.json?page=2&_size=5",
    "/corpus/-/provenance/cluster/1", "/corpus/-/provenance/cluster/2.json", "/corpus/-/provenance/cluster/40.json",
    "/corpus/-/provenance/article/1", "/corpus/-/provenance/article/3.json", "/corpus/-/provenance/article/60.json",
    "/corpus/-/provenance/outlet/TRT+World", "/corpus/-/provenance/outlet/Sputnik.json",
    "/corpus/-/provenance/graph", "/corpus/-/provenance/graph.json", "/corpus/-/provenance/graph.svg",
    "/corpus/-/provenance/graph.csv", "/corpus/-/provenance/graph.graphml?since=2022-01-01",
    "/corpus/-/provenance/trace?" + urlencode({"q": TRACE_Q}), "/corpus/-/provenance/trace.json?" + urlencode({"q": TRACE_Q}),
    "/corpus/articles.json?_size=5&_sort_desc=id", "/corpus/clusters.json?_size=5", "/corpus/cluster_members.json?_size=5",
    "/corpus/derivations.json?_size=5", "/corpus/articles.json?_search=Moscow", "/corpus/articles/1.json",
    "/corpus/clusters", "/corpus/articles", "/corpus.json", "/-/databases.json",
    "/corpus.json?sql=" + quote("select count(*) as n from articles"),
]




def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


@pytest.fixture
def corpus(tmp_path) -> tuple[Path, Path]:
    """corpus.db holding the seeds, and a synthetic corpus (30 stories) still to load."""
    db = tmp_path / "corpus.db"
    load_paths(str(db), [str(SEEDS)])
    synth = tmp_path / "synth.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth_reuse.py"), "generate", str(synth),
                    "--stories", "30", "--seed", "5"], check=True, capture_output=True)
    return db, synth


@pytest.fixture
def server(tmp_path, corpus):
    db, _ = corpus
    log = tmp_path / "datasette.log"
    with datasette_server(db, log, immutable=False) as base:
        yield base, log


def test_pages_answer_while_a_load_writes(corpus, server):
    db, synth = corpus
    base, log = server
    bad: list[str] = []
    counts: set[int] = set()
    done = threading.Event()
    requests = [0]

    def reader(offset: int) -> None:
        i = offset
        while not done.is_set():
            path = PATHS[i % len(PATHS)]
            i += 1
            status, body = fetch(base + path)
            requests[0] += 1
            if status >= 500 or "locked" in body.lower():
                bad.append(f"{status} {path}: {body[:300]}")
            elif path == "/corpus/-/provenance.json" and status == 200:
                counts.add(json.loads(body)["figures"]["articles"])

    threads = [threading.Thread(target=reader, args=(n * 7,), daemon=True) for n in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.3)  # the readers are going before the writer starts
    loader = subprocess.Popen([sys.executable, "-m", "datasette", "provenance", "load", str(db), str(synth),
                               "--batch-size", "3", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        output, _ = loader.communicate(timeout=DEADLINE)
    finally:
        if loader.poll() is None:
            loader.kill()
            loader.wait()
        time.sleep(0.3)  # and a moment after it has finished
        done.set()
        for t in threads:
            t.join(timeout=60)
    assert loader.returncode == 0, output.decode(errors="replace")
    assert not bad, "\n".join(bad[:10])
    assert requests[0] >= 2 * len(PATHS), f"only {requests[0]} requests were answered during the load"
    assert len(counts) >= 3, f"the readers did not see the corpus grow: {sorted(counts)}"
    assert "locked" not in log.read_text(errors="replace").lower()
    check_consistency(db)
    # the finished corpus, as the server shows it
    total = json.loads(fetch(base + "/corpus/-/provenance.json")[1])["figures"]["articles"]
    with open(synth, encoding="utf-8") as fh:
        assert total == 5 + sum(1 for line in fh if line.strip())
    for path in PATHS:
        status, body = fetch(base + path)
        assert status in (200, 404), (path, status, body[:300])
