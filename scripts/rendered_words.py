#!/usr/bin/env python3
"""What the lower word bar inside renderings (``Settings.rendered_words``) adds, on a labelled corpus.

usage: python scripts/rendered_words.py CORPUS.jsonl [--bars 0.4,0.35,0.3,0.25]

Loads the corpus once per bar (the first is the baseline: 0.4 is the bar of an isolated pair) and
prints the sentence pairs each adds to the baseline's links. For WMT22 chunks
(../shared/corpora/wmt22_refs/chunks.jsonl, read from there, never copied), whose lines are the
translated segments and whose ids name the two desks' versions of one chunk, it also counts the
added pairs that join the same line of the two versions: sentence-level truth.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from pathlib import Path

from datasette_provenance.load import load_paths
from datasette_provenance.signatures import Settings


def added_pairs(corpus: str, bar: float, workdir: str) -> dict[tuple[int, int], tuple]:
    """(sentence, sentence) -> (article ids, line of each in its article's text) of every link."""
    db = Path(workdir) / f"r{bar}.db"
    load_paths(str(db), [corpus], settings=Settings(rendered_words=bar))
    conn = sqlite3.connect(db)
    ext = dict(conn.execute("select id, external_id from articles"))
    text = dict(conn.execute("select id, text from articles"))
    where = {sid: (ext[aid], text[aid].count("\n", 0, ps + start)) for sid, aid, ps, start in conn.execute(
        "select s.id, s.article_id, p.start, s.start from sentences s join paragraphs p on p.id = s.paragraph_id")}
    return {(a, b): (where[a], where[b]) for a, b in conn.execute("select sentence_a, sentence_b from links")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--bars", default="0.4,0.35,0.3,0.25")
    args = ap.parse_args()
    bars = [float(b) for b in args.bars.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        base = added_pairs(args.corpus, bars[0], tmp)
        for bar in bars[1:]:
            added = [v for k, v in added_pairs(args.corpus, bar, tmp).items() if k not in base]
            versions = [((x, i), (y, j)) for (x, i), (y, j) in added if x.rsplit(":", 1)[0] == y.rsplit(":", 1)[0]]
            same_line = sum(i == j for (_, i), (_, j) in versions)
            print(f"rendered_words {bar}: {len(added)} sentence pairs added to {bars[0]}'s links; of them "
                  f"{len(versions)} between two versions of one text, {same_line} of the same line")


if __name__ == "__main__":
    main()
