"""scripts/reuse_auc.py on a constructed labelled corpus: reused answers rank above independent ones,
and a sentence made of pieces of three source sentences, left unaligned beside a single anchor, is
counted as such."""

import json
import sqlite3
import subprocess
import sys

from datasette_provenance.load import load_paths

from conftest import ROOT

SOURCE = ["The committee met in Geneva on Monday to discuss the new rules for fishing in international waters.",
          "Delegates from forty countries attended the talks, which were chaired by a Norwegian diplomat.",
          "Environmental groups protested outside the building, calling for a complete ban on bottom trawling.",
          "The talks are expected to continue until Friday, when a final statement will be published."]
PIECES = ("Campaigners wanted a complete ban on bottom trawling while forty countries attended the talks,"
          " which will go on until Friday.")
REUSED = [SOURCE[3], PIECES]  # one anchor, not beside it: too little for the alignment to judge pieces
OTHER = ["A small bakery in the old town has won a national prize for its rye bread and cinnamon rolls.",
         "The owner said the recipe had been passed down by her grandmother, who opened the shop in 1952.",
         "Queues formed outside the door early on Saturday morning as news of the award spread."]


def reuse_auc(tmp_path, records, pairs, flag):
    """Load ``records`` (id, sentences), one outlet each, and run the script on the labelled ``pairs``."""
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"id": i, "outlet": f"Outlet {i}", "text": " ".join(t)}) + "\n"
                              for i, t in records), "utf-8")
    db = tmp_path / "c.db"
    load_paths(str(db), [str(corpus)])
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"pairs": [{"id1": a, "id2": b, "label": int(c != "non"), "category": c}
                                          for a, b, c in pairs]}))
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "reuse_auc.py"), str(db), str(gold), flag],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_auc_and_pieces(tmp_path):
    out = reuse_auc(tmp_path, [("src", SOURCE), ("reused", REUSED), ("other", OTHER)],
                    [("reused", "src", "cut"), ("other", "src", "non")], "--pieces")
    assert out["reuse_share_auc"] == 1.0 and out["aligned_with_source_auc"] == 1.0
    assert out["reuse_share_misordered"] == out["aligned_with_source_misordered"] == "0 of 1"
    # The merged sentence is not aligned (no source sentence holds most of it), and it is made of pieces.
    assert out["pieces"]["cut"] == {"sentences": 1, "share_of_pieces": 1.0}
    assert out["pieces"]["non"] == {"sentences": 3, "share_of_pieces": 0.0}


def test_direction_counts_each_pairs_verdict(tmp_path):
    """--direction: a copy wholly inside its source is copied from it (wholly); a text sharing one
    sentence of four is undetermined with it (no order, no containment that decides); unrelated, no row."""
    out = reuse_auc(tmp_path, [("src", SOURCE), ("copy", SOURCE[:1]), ("reused", REUSED), ("other", OTHER)],
                    [("copy", "src", "cut"), ("reused", "src", "heavy"), ("other", "src", "non")],
                    "--direction")["direction"]
    assert out["cut"] == {"verdicts": {"copied from id2": 1}, "extent_with_id2": {"wholly": 1}}
    assert out["heavy"] == {"verdicts": {"undetermined with id2": 1}, "extent_with_id2": {"partially": 1}}
    assert out["non"] == {"verdicts": {"no row": 1}, "extent_with_id2": {}}


def test_apart_counts_links_to_the_source_left_out_of_its_clusters(tmp_path):
    """--apart: every link of the copy's sentences to the source's, none clustered without the source."""
    out = reuse_auc(tmp_path, [("src", SOURCE), ("copy", SOURCE[:2]), ("other", OTHER)],
                    [("copy", "src", "cut"), ("other", "src", "non")], "--apart")["apart"]
    db = sqlite3.connect(tmp_path / "c.db")
    linked = db.execute("select count(*) from links l join sentences a on a.id = l.sentence_a"
                        " join sentences b on b.id = l.sentence_b join articles x on x.id = a.article_id"
                        " join articles y on y.id = b.article_id"
                        " where x.external_id in ('copy', 'src') and y.external_id in ('copy', 'src')").fetchone()[0]
    assert linked >= 2 and out == {"links": linked, "in_no_cluster_with_id2": 0, "in_no_cluster": 0}


def test_misordered_counts_the_pairs_an_independent_text_outranks_a_reused_one(tmp_path):
    """A text labelled independent that copies the source outranks the reused one on the aligned share
    (1 pair of 1, wrongly ordered); labelled reused, it and the other reused text both outrank an
    unrelated one (2 pairs, none wrong)."""
    records = [("src", SOURCE), ("copy", SOURCE[:2]), ("reused", REUSED), ("other", OTHER)]
    out = reuse_auc(tmp_path, records, [("reused", "src", "heavy"), ("copy", "src", "non")], "--apart")
    assert out["aligned_with_source_auc"] == 0.0 and out["aligned_with_source_misordered"] == "1 of 1"
    (tmp_path / "b").mkdir()
    labelled = [("reused", "src", "heavy"), ("copy", "src", "cut"), ("other", "src", "non")]
    out = reuse_auc(tmp_path / "b", records, labelled, "--apart")
    assert out["aligned_with_source_misordered"] == "0 of 2"
