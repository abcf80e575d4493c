import importlib.util
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from datasette_provenance.load import load_paths
from datasette_provenance.segment import normal_form, word_stems
from datasette_provenance.signatures import shingle_sets, similarity

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


CI = bool(os.environ.get("CI"))
# Spark's settings for loads of a few hundred articles (tests/spark-conf/spark-defaults.conf), also
# in the processes the tests start.
os.environ.setdefault("SPARK_CONF_DIR", str(ROOT / "tests" / "spark-conf"))


def need_spark() -> None:
    """Skip the calling test module when pyspark or Java is missing, except in CI (``CI`` set), where
    that is a failure: .ci/run installs both."""
    if importlib.util.find_spec("pyspark") is None:
        if CI:
            raise ImportError("pyspark is missing: the Spark tests need it in CI (pip install '.[spark]')")
        pytest.skip("pyspark is not installed (pip install 'datasette-provenance[spark]'); the Spark tests run"
                    " whenever it is, and always in CI", allow_module_level=True)
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        if CI:
            raise RuntimeError("java is missing: the Spark tests need it in CI (apt-get install default-jre-headless)")
        pytest.skip("java is missing (apt-get install -y default-jre-headless); the Spark tests run whenever it is"
                    " present, and always in CI", allow_module_level=True)


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> Path:
    """A small synthetic corpus with planted reuse (``scripts/synth_reuse.py``, 20 stories)."""
    path = tmp_path_factory.mktemp("synth") / "synth.jsonl"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "synth_reuse.py"), "generate", str(path),
                    "--stories", "20", "--seed", "1"], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory) -> Path:
    """The demo corpus, built once per test session from seeds/."""
    path = tmp_path_factory.mktemp("seed") / "corpus.db"
    load_paths(str(path), [str(SEEDS)])
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def datasette_server(db: Path, log: Path, immutable: bool = True) -> Iterator[str]:
    """``datasette serve`` on a free localhost port, up and answering, stopped afterwards."""
    port = free_port()
    args = ["datasette", "serve", *(["-i"] if immutable else []), str(db), "-h", "127.0.0.1", "-p", str(port)]
    with serving(args, port, log) as base:
        yield base


@contextmanager
def serving(args: list[str], port: int, log: Path, **popen) -> Iterator[str]:
    """``python -m <args>`` (a Datasette command line) until it answers on ``port``; stopped afterwards."""
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", *args], stdout=out, stderr=subprocess.STDOUT, **popen)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("datasette did not start:\n" + log.read_text(errors="replace"))
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def edited_copy(corpus: Path, folder: Path, refresh: bool = False) -> Iterator[tuple[Path, sqlite3.Connection]]:
    """A copy of a test corpus in ``folder`` as ``corpus.db``, changed in SQL in the block, then committed
    and closed (the outlet counts that the graph and overview read recomputed first when ``refresh``)."""
    from datasette_provenance.provenance import refresh_outlet_edges

    copy = folder / "corpus.db"
    copy.write_bytes(corpus.read_bytes())
    conn = sqlite3.connect(copy)
    try:
        yield copy, conn
        if refresh:
            refresh_outlet_edges(conn)
        conn.commit()
    finally:
        conn.close()


def one_sentence_rewrites(pairs: int, seed: int = 1) -> list[dict]:
    """``pairs`` articles of one sentence each in two outlets, each rewritten in the other to a
    character 5-gram Jaccard of 0.285-0.31: just above the bar, where 42 bands of 3 rows find a pair
    only six times in ten."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnoprstuvwy") for _ in range(rng.randint(3, 9))) for _ in range(400)]
    records = []
    for n in range(pairs):
        ours = [rng.choice(words) for _ in range(16)]
        theirs = list(ours)
        while True:
            theirs[rng.randrange(len(theirs))] = rng.choice(words)
            a, b = shingle_sets([normal_form(" ".join(ours)), normal_form(" ".join(theirs))])
            j = similarity(a, b)[0]
            if j < 0.285:
                theirs = list(ours)  # overshot: start again
            elif j <= 0.31:
                break
        records += [{"id": f"a{n}", "outlet": "Desk A", "text": " ".join(ours).capitalize() + "."},
                    {"id": f"b{n}", "outlet": "Desk B", "text": " ".join(theirs).capitalize() + "."}]
    return records


def one_sentence_renderings(pairs: int, seed: int = 1) -> list[dict]:
    """``pairs`` articles of one sentence each in two outlets, rendered in the other as a translation
    does: the clauses in another order, most words inflected, a few replaced. Character 5-gram
    Jaccard 0.21-0.27, below the bar (the sketch screen lets most through: it holds pairs to 0.18);
    Jaccard of the words cut to five letters at least 0.45."""
    rng = random.Random(seed)
    letters = "abcdefghiklmnoprstuvw"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(6, 10))) for _ in range(400)]
    records = []
    for n in range(pairs):
        while True:
            ours = rng.sample(words, 14)
            cut = rng.randint(4, 10)
            theirs = [w[:5] + "".join(rng.choice(letters) for _ in range(rng.randint(1, 4))) if rng.random() < 0.6
                      else w for w in ours[cut:] + ours[:cut]]
            for _ in range(3):
                theirs[rng.randrange(len(theirs))] = rng.choice(words)
            a, b = normal_form(" ".join(ours)), normal_form(" ".join(theirs))
            stems_a, stems_b = word_stems(a), word_stems(b)
            if 0.21 <= similarity(*shingle_sets([a, b]))[0] <= 0.27 and \
                    len(stems_a & stems_b) >= 0.45 * len(stems_a | stems_b):
                break
        records += [{"id": f"ra{n}", "outlet": "Desk A", "text": " ".join(ours).capitalize() + "."},
                    {"id": f"rb{n}", "outlet": "Desk B", "text": " ".join(theirs).capitalize() + "."}]
    return records
