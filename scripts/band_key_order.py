"""How fast the band-key index takes one period's rows in the two orders a load can write them: batch
by batch, each batch sorted (the local engine, and the Spark engine up to commit ef05573), or all of
them in the index's order (the Spark engine since). A period is the articles of one window (or the
whole corpus without one); once its rows outgrow SQLite's cache (256 MB in a corpus the loader
opens), every batch touches every page of it. Random band keys, 20 sentences an article, 42 bands,
written with ``candidates.store_band_keys`` into a corpus made by ``store.open_corpus``, each order
into a new one, in one transaction as a Spark load writes them.

    python scripts/band_key_order.py [--articles 40000] [--batch 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datasette_provenance.candidates import store_band_keys  # noqa: E402
from datasette_provenance.store import open_corpus  # noqa: E402

SENTENCES, BANDS = 20, 42


def write(folder: Path, name: str, chunks) -> tuple[float, tuple]:
    """Seconds to write these (periods, keys, ids) chunks into a new corpus, committed, and a digest
    of the rows it then holds."""
    conn, _ = open_corpus(str(folder / f"{name}.db"))
    with closing(conn):
        began = time.perf_counter()
        conn.execute("begin")
        for periods, keys, ids in chunks:
            store_band_keys(conn, periods, keys, ids)
        conn.execute("commit")
        seconds = time.perf_counter() - began
        return seconds, conn.execute("select count(*), sum(key % 1000003), sum(sentence_id) from band_keys").fetchone()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=40_000)
    ap.add_argument("--batch", type=int, default=2000, help="articles a batch")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    n = args.articles * SENTENCES * BANDS
    keys = rng.integers(-(2 ** 62), 2 ** 62, size=n)
    ids = np.repeat(np.arange(1, args.articles * SENTENCES + 1), BANDS)
    periods = np.zeros(n, dtype=np.int64)
    per = args.batch * SENTENCES * BANDS
    in_batches = ((periods[i:i + per], keys[i:i + per], ids[i:i + per]) for i in range(0, n, per))
    order = np.argsort(keys, kind="stable")
    chunk = 1 << 20
    in_order = ((periods[order[i:i + chunk]], keys[order[i:i + chunk]], ids[order[i:i + chunk]])
                for i in range(0, n, chunk))
    with tempfile.TemporaryDirectory(prefix="band-key-order-") as tmp:
        batches, held = write(Path(tmp), "batches", in_batches)
        ordered, other = write(Path(tmp), "ordered", in_order)
    same = held == other and held[0] == n  # every row, once, either way
    print(f"{args.articles:,} articles, one period: {n:,} band-key rows; the same rows either way:"
          f" {'yes' if same else 'NO'}")
    print(f"batch by batch ({args.batch:,} articles a batch, each sorted): {batches:.1f} s")
    print(f"in the index's order: {ordered:.1f} s ({batches / ordered:.1f}x)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
