import json
import random
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from datasette_provenance import clusters
from datasette_provenance.clusters import cluster, passage_span
from datasette_provenance.load import load_paths
from datasette_provenance.templates import outlet_templates


def test_weak_links_do_not_chain_statements():
    """A~B on one clause and B~C on another: two statements, not one component."""
    article_of = {1: 10, 2: 20, 3: 30, 4: 40}
    links = [(1, 2, 0.5, 0.7), (3, 4, 0.5, 0.7), (2, 3, 0.3, 0.5)]
    linked = {(1, 2), (3, 4), (2, 3)}
    groups = cluster(links, article_of, lambda x, y: (min(x, y), max(x, y)) in linked)
    assert groups == [[1, 2], [3, 4]]


def test_a_statement_carried_by_many_articles_is_one_cluster():
    article_of = {n: n * 10 for n in range(1, 6)}
    links = [(a, b, 0.4, 0.6) for a in range(1, 6) for b in range(a + 1, 6) if (a, b) != (1, 5)]
    groups = cluster(links, article_of, lambda x, y: {x, y} != {1, 5})  # one missed pair does not split it
    assert groups == [[1, 2, 3, 4, 5]]


def test_same_article_members_need_other_articles():
    article_of = {1: 10, 2: 10}
    assert cluster([(1, 2, 0.9, 0.9)], article_of, lambda x, y: True) == []


def test_outlet_templates_need_three_near_identical_articles():
    article_of = {1: 1, 2: 2, 3: 3, 4: 4}
    outlet_of = {1: "A", 2: "A", 3: "A", 4: "B"}
    same = lambda x, y: 1.0 if outlet_of[x] == outlet_of[y] else 0.4
    assert outlet_templates([1, 2, 3, 4], article_of, outlet_of, same) == {1, 2, 3}
    assert outlet_templates([1, 2, 4], article_of, outlet_of, same) == set()


def test_passage_span_is_the_dense_shared_run():
    positions = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], dtype=np.uint32)
    shared = np.array([4, 5, 6, 7], dtype=np.uint32)
    lengths = np.full(10, 5)
    assert passage_span(positions, lengths, shared, 14) == (3, 11)
    assert passage_span(positions, lengths, np.array([99], dtype=np.uint32), 14) is None
    lengths[6] = 2  # a shingle of two Chinese characters ends sooner
    assert passage_span(positions, lengths, shared, 14) == (3, 10)


def test_verify_pairs_in_chunks_matches_one_pass():
    """Sets are dropped between chunks: any order of pairs, any chunk size, the same links."""
    import numpy as np

    from datasette_provenance.candidates import verify_pairs
    from datasette_provenance.signatures import Settings

    rng = np.random.default_rng(5)
    pool = rng.choice(2**32, 110, replace=False).astype(np.uint32)
    shingles = {n: np.unique(rng.choice(pool, 60)) for n in range(80)}  # overlapping sets: many links
    article_of = {n: n // 3 for n in range(80)}
    pairs = np.array([(a, b) for a in range(80) for b in range(a + 1, 80)], dtype=np.int64)
    whole = verify_pairs(pairs, shingles, article_of, Settings(), chunk=len(pairs))
    assert len(whole) > 50
    shuffled = pairs[rng.permutation(len(pairs))]
    for chunk in (1, 7, 100):
        assert verify_pairs(shuffled, shingles, article_of, Settings(), chunk=chunk) == whole


def test_a_cluster_never_chains_articles_whose_texts_do_not_touch():
    """A~B and B~C with A and C sharing nothing: half the cross pairs are links, but A and C are no story
    of one another (WMT22 chunks of one translator's document chained to another's twin this way)."""
    article_of = {1: 10, 2: 20, 3: 30}
    links = [(1, 2, 0.6, 0.8), (2, 3, 0.5, 0.7)]
    linked = {(1, 2), (2, 3)}
    is_linked = lambda x, y: (min(x, y), max(x, y)) in linked
    assert cluster(links, article_of, is_linked) == [[1, 2, 3]]  # half the cross pairs: one cluster
    touching = {(10, 20), (20, 30)}
    assert cluster(links, article_of, is_linked, related=lambda p, q: (min(p, q), max(p, q)) in touching) == [[1, 2]]
    touching.add((10, 30))  # A and C share something elsewhere (their alignment rejected a loose line)
    assert cluster(links, article_of, is_linked, related=lambda p, q: (min(p, q), max(p, q)) in touching) == [[1, 2, 3]]


def test_ties_are_broken_by_content_not_by_id():
    """A chain of equally strong links: whichever end merges first keeps the middle. Which end that is
    follows the sentences' content, so the same corpus clusters alike whatever ids its load order gave."""
    article_of = {1: 10, 2: 20, 3: 30, 4: 40}
    links = [(1, 2, 0.5, 0.7), (2, 3, 0.5, 0.7), (3, 4, 0.5, 0.7)]
    linked = {(1, 2), (2, 3), (3, 4)}
    is_linked = lambda x, y: (min(x, y), max(x, y)) in linked
    content = dict(zip((1, 2, 3, 4), [("a", 0), ("b", 0), ("c", 0), ("d", 0)]))
    assert cluster(links, article_of, is_linked, content.__getitem__) == [[1, 2, 3]]
    content = dict(zip((1, 2, 3, 4), [("d", 0), ("c", 0), ("b", 0), ("a", 0)]))
    assert cluster(links, article_of, is_linked, content.__getitem__) == [[2, 3, 4]]


@pytest.mark.parametrize("seed,sample", [(seed, sample) for seed in range(8) for sample in (7, 4000)])
def test_copies_check_large_merges_in_numpy_and_cluster_alike(seed, sample, monkeypatch):
    """A story copied by many papers, some words changed in some copies, papers aligned with one
    another, links missing: ``Copies`` must give the clusters the per-pair functions give. Every merge
    goes through it here, and with a sample of 7 pairs both of ``_linked_enough``'s ways of sampling do."""
    from datasette_provenance.clusters import Copies

    monkeypatch.setattr(clusters, "FAST_PAIRS", 0)
    monkeypatch.setattr(clusters, "MAX_PAIRS", sample)

    rng = random.Random(seed)
    papers = rng.randint(20, 90)
    texts = ["the minister said the budget would be cut", "unions said they would strike on thursday"]
    article_of, text_of, links = {}, {}, []
    for paper in range(papers):
        for line in range(2):
            sid = 1000 + 2 * paper + line  # ids need not follow the content order
            article_of[sid] = paper
            text_of[sid] = texts[line] + (f" variant {rng.randint(0, 3)}" if rng.random() < 0.3 else "")
    nodes = sorted(article_of)
    for x in nodes:
        for y in nodes:
            if x < y and article_of[x] != article_of[y] and rng.random() < (0.5 if (x - y) % 2 == 0 else 0.1):
                same = text_of[x] == text_of[y]
                links.append((x, y, 1.0 if same else 0.7, 1.0 if same else 0.8))
    linked = {(a, b) for a, b, _, _ in links}
    aligned = {(p, q) for p in range(papers) for q in range(p + 1, papers) if rng.random() < 0.5}
    near = lambda x, y: text_of[x] == text_of[y] or rng_near[min(x, y), max(x, y)]
    rng_near = {(x, y): rng.random() < 0.5 for x in nodes for y in nodes if x < y}
    related = lambda p, q: (min(p, q), max(p, q)) in aligned or rng_related[min(p, q), max(p, q)]
    rng_related = {(p, q): rng.random() < 0.9 for p in range(papers) for q in range(p + 1, papers)}

    def is_linked(x, y):
        p, q = article_of[x], article_of[y]
        return (min(x, y), max(x, y)) in linked or ((min(p, q), max(p, q)) not in aligned and near(x, y))

    key = lambda n: (text_of[n], article_of[n])
    classes: dict[str, int] = {}
    used = sorted({n for l in links for n in l[:2]})
    copies = Copies(used, [article_of[n] for n in used], [classes.setdefault(text_of[n], len(classes)) for n in used],
                    linked, aligned)
    plain = cluster(links, article_of, is_linked, key, related, near)
    assert cluster(links, article_of, is_linked, key, related, near, copies=copies) == plain


def test_copies_judge_two_articles_by_the_first_sampled_pair_of_their_sentences():
    """As ``_all_related`` does: once a pair of sentences of two articles passes, later pairs of those
    two articles are not asked again (the articles are related)."""
    from datasette_provenance.clusters import Copies, _all_related

    article_of = {1: 10, 2: 10, 3: 20}
    near = lambda x, y: {x, y} == {1, 3}  # the first pair is near, the second is not
    related = lambda p, q: False
    copies = Copies([1, 2, 3], [10, 10, 20], [0, 1, 2], set(), set())
    assert _all_related([1, 2], [3], article_of, related, near) is True
    assert copies.fits([1, 2], [3], related, near) is True  # and 1 of its 2 cross pairs near: linked enough
    assert copies.fits([2, 1], [3], related, near) is _all_related([2, 1], [3], article_of, related, near) is False


def test_aligned_links_need_an_anchor_outside_templates():
    from datasette_provenance.clusters import _grounded

    article_of = {1: 10, 2: 20, 3: 10, 4: 20, 5: 30, 6: 20}
    links = [(1, 2, 1.0, 1.0, 0),  # a shared footer, flagged a template once the outlet repeats it
             (3, 4, 0.15, 0.3, 1),  # the line beside it, aligned only because of the footer
             (5, 6, 0.4, 0.6, 0)]
    assert _grounded(links, article_of, set()) == [l[:4] for l in links]
    assert _grounded(links, article_of, {1}) == [(5, 6, 0.4, 0.6)]


def test_a_sentence_in_more_articles_than_a_bucket_pairs_is_one_cluster(tmp_path):
    """100 papers carry one wire paragraph: each meets only a band bucket's heads (max_bucket), yet the
    paragraph is one cluster of 100 articles, not fragments of what happened to be linked."""
    wire = ("The talks between the two delegations will resume in the capital next week after a pause of"
            " almost a month, officials said.")
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"p{i}", "outlet": f"Paper {i}", "published": "2022-03-01",
                                        "text": wire}) + "\n" for i in range(100)))
    load_paths(str(tmp_path / "c.db"), [str(src)], settings={"max_bucket": 8})
    db = sqlite3.connect(tmp_path / "c.db")
    assert db.execute("select count(*) from links").fetchone()[0] < 100 * 99 / 2 / 4  # not every pair met
    assert db.execute("select articles from clusters").fetchall() == [(100,)]


def test_an_outlets_restatement_joins_after_the_other_outlets_renderings():
    """Desk A says one thing in two of its stories (1 and 3, loosely alike); Desk B renders each (2
    and 4). Taken first, A's own link made a cluster of Desk A alone and left B's renderings out,
    which cannot join: B's sentence and A's other story share nothing. Merged after them, each
    rendering stays with its original, and the restatement joins neither (one link in four)."""
    article_of = {1: 10, 2: 20, 3: 30, 4: 40}
    outlet = {1: "A", 2: "B", 3: "A", 4: "B"}
    links = [(1, 3, 0.39, 0.6), (1, 2, 0.33, 0.5), (3, 4, 0.31, 0.5)]
    linked = {(a, b) for a, b, _, _ in links}
    related = lambda p, q: (min(p, q), max(p, q)) in {(10, 30), (10, 20), (30, 40)}
    def groups(restated):
        return cluster(links, article_of, lambda x, y: (min(x, y), max(x, y)) in linked, related=related,
                       restated=restated)
    assert groups(lambda x, y: outlet[x] == outlet[y]) == [[1, 2], [3, 4]]
    assert groups(lambda x, y: False) == [[1, 3]]  # versions of one story: A's link is as good as any


def test_articles_without_an_outlet_count_as_one_unknown_outlet(tmp_path):
    """A statement one outlet and three articles of no outlet carry is shared by two outlets (Alpha and
    the "(unknown outlet)" the graph and the outlet pages have), not four: the overview ranks by it."""
    text = ("The regional council approved the new budget for public transport on Monday after a debate that"
            " lasted more than six hours, its chairman said.")
    rows = [{"id": "a", "outlet": "Alpha", "published": "2022-03-01", "text": text}]
    rows += [{"id": f"u{i}", "published": f"2022-03-0{i + 2}", "text": text} for i in range(3)]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    load_paths(str(tmp_path / "c.db"), [str(src)])
    db = sqlite3.connect(tmp_path / "c.db")
    assert db.execute("select articles, outlets from clusters").fetchall() == [(4, 2)]


def test_a_scrape_that_left_character_references_shares_its_passage_whole(tmp_path):
    """A paper's scrape keeps "&#8217;" and "&eacute;" where the agency has the characters: the copied
    sentence links as the same text, and the paper's passage, a clause added after it, ends past the
    reference that closes the copy (its end pointed inside it, at "&")."""
    agency = ("The minister’s spokesman said the new plan would cost the city 5,000 euros a year to run the old"
              " harbour café")
    paper = ("The minister&#8217;s spokesman said the new plan would cost the city 5,000 euros a year to run the old"
             " harbour caf&eacute;, although opposition leaders, who have fought it for three years, call it"
             " a waste of money no town could afford.")
    rows = [{"id": "a", "outlet": "Agency", "published": "2022-03-01", "text": agency + "."},
            {"id": "p", "outlet": "Paper", "published": "2022-03-02", "text": paper}]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    load_paths(str(tmp_path / "c.db"), [str(src)])
    db = sqlite3.connect(tmp_path / "c.db")
    [(containment,)] = db.execute("select containment from links").fetchall()
    assert containment == 1.0
    spans = dict(db.execute("select a.external_id, substr(p.text, m.start + 1, m.\"end\" - m.start) from"
                            " cluster_members m join articles a on a.id = m.article_id"
                            " join paragraphs p on p.id = m.paragraph_id"))
    assert spans == {"a": agency + ".", "p": paper[:paper.index(";,") + 1]}


def _star():
    """A source sentence (1) copied closely by two articles (2, 3) and loosely by a fourth (4), which
    links to the source only; the fourth article also copies another sentence of the source (6 ~ 5)."""
    article_of = {1: 10, 2: 20, 3: 30, 4: 40, 5: 10, 6: 40}
    links = [(1, 2, 0.9, 0.9), (1, 3, 0.9, 0.9), (2, 3, 0.8, 0.9), (5, 6, 0.7, 0.8), (1, 4, 0.3, 0.5)]
    linked = {l[:2] for l in links}
    return links, article_of, lambda x, y: (min(x, y), max(x, y)) in linked


def test_a_loose_copy_linked_to_the_source_joins_the_sources_cluster():
    """Average linkage alone leaves the loose copy out (1 of 3 cross pairs are links): its text was
    found and then counted nowhere (Clough: 25 answer-to-source links in no common cluster)."""
    links, article_of, is_linked = _star()
    assert cluster(links, article_of, is_linked) == [[1, 2, 3], [5, 6]]
    assert cluster(links, article_of, is_linked, joins=lambda x, y: True) == [[1, 2, 3, 4], [5, 6]]
    # Only through a link the caller accepts (in the loader: one that passes on its own, in a text rendering the other).
    assert cluster(links, article_of, is_linked, joins=lambda x, y: {x, y} != {1, 4}) == [[1, 2, 3], [5, 6]]


def test_a_lone_sentence_joins_only_a_centre_of_an_article_it_already_shares_a_cluster_with():
    links, article_of, is_linked = _star()
    # The fourth article shares nothing else with the source: its one loose line stays alone.
    alone = [l for l in links if l[:2] != (5, 6)]
    assert cluster(alone, article_of, is_linked, joins=lambda x, y: True) == [[1, 2, 3]]
    # Linked to the end of a chain (3 links to 2 but not to 1): no centre, so a chain of clauses stays apart.
    article_of = {1: 10, 2: 20, 3: 30, 4: 40, 5: 30, 6: 40}
    chain = [(1, 2, 0.5, 0.7), (2, 3, 0.5, 0.7), (3, 4, 0.4, 0.6), (5, 6, 0.7, 0.8)]
    linked = {l[:2] for l in chain}
    groups = cluster(chain, article_of, lambda x, y: (min(x, y), max(x, y)) in linked, joins=lambda x, y: True)
    assert [1, 2, 3] in groups and not any(4 in g for g in groups)


def test_a_lone_piece_does_not_join_a_cluster_its_article_is_in_already():
    """A source sentence merging two statements is the centre of both articles' copies: a second piece
    of one article joining it would put two statements in one cluster."""
    links, article_of, is_linked = _star()
    article_of[7] = 40  # the fourth article's close copy of the source sentence's other half
    links = links + [(1, 7, 0.6, 0.9), (2, 7, 0.6, 0.9), (3, 7, 0.6, 0.9)]
    linked = {l[:2] for l in links}
    groups = cluster(links, article_of, lambda x, y: (min(x, y), max(x, y)) in linked, joins=lambda x, y: True)
    assert [1, 2, 3, 7] in groups and not any(4 in g for g in groups)


def test_another_piece_of_the_centres_sentence_joins_the_cluster_its_article_is_in():
    """A paper splits the source sentence (1) in two: its close copy of one half (8) is in the cluster,
    the loose rewording of the other half (9) links to the source only. The two pieces are one passage
    when the caller finds 9 a piece of 1 other than the one each member of its article there holds
    (``other_half``, asked with those members), wherever in the article it stands (a paper reorders: 11)."""
    article_of = {1: 10, 2: 20, 3: 30, 8: 40, 9: 40, 11: 40, 12: 40}
    close = [(1, 2, 0.9, 0.9), (1, 3, 0.9, 0.9), (2, 3, 0.8, 0.9), (1, 8, 0.6, 0.9), (2, 8, 0.6, 0.9), (3, 8, 0.6, 0.9)]
    asked = []

    def groups(piece, halves, more=()):
        links = close + list(more) + [(1, piece, 0.3, 0.8)]
        linked = {l[:2] for l in links}
        return cluster(links, article_of, lambda x, y: (min(x, y), max(x, y)) in linked, joins=lambda x, y: True,
                       other_half=lambda x, pieces, p: asked.append((x, sorted(pieces), p)) or halves(pieces))

    assert groups(9, lambda pieces: True) == [[1, 2, 3, 8, 9]] and asked == [(9, [8], 1)]
    assert groups(11, lambda pieces: True) == [[1, 2, 3, 8, 11]]
    assert groups(9, lambda pieces: False) == [[1, 2, 3, 8]]  # what it shares with 1, 8 has already: one frame
    # Its article holds two pieces there already (8 and 12): the caller weighs it against both.
    asked.clear()
    assert groups(9, lambda pieces: True, [(1, 12, 0.6, 0.9), (2, 12, 0.6, 0.9), (3, 12, 0.6, 0.9)]) == [
        [1, 2, 3, 8, 9, 12]] and asked == [(9, [8, 12], 1)]


def test_two_loose_copies_that_pair_off_join_the_cluster_of_the_centre_both_are_linked_to():
    """Two loose copies of the source sentence (4, 7) resemble each other more than the source and pair
    off: average linkage keeps the pair out (2 of 6 cross pairs are links). Every member is linked to
    the centre and would join it alone, so the pair joins; not when one of them would not, and not a
    chain (7 linked to 4 only)."""
    article_of = {1: 10, 2: 20, 3: 30, 4: 40, 5: 10, 6: 40, 7: 70, 8: 10, 9: 70}
    base = [(1, 2, 0.9, 0.9), (1, 3, 0.9, 0.9), (2, 3, 0.8, 0.9), (5, 6, 0.7, 0.8), (8, 9, 0.7, 0.8),
            (4, 7, 0.8, 0.9)]

    def groups(links, joins=lambda x, y: True):
        linked = {l[:2] for l in links}
        return cluster(links, article_of, lambda x, y: (min(x, y), max(x, y)) in linked, joins=joins)

    star = base + [(1, 4, 0.35, 0.5), (1, 7, 0.3, 0.5)]
    assert groups(star, joins=lambda x, y: False) == [[1, 2, 3], [4, 7], [5, 6], [8, 9]]
    assert groups(star) == [[1, 2, 3, 4, 7], [5, 6], [8, 9]]
    assert groups(star, joins=lambda x, y: {x, y} != {1, 7}) == [[1, 2, 3], [4, 7], [5, 6], [8, 9]]
    assert groups(base + [(1, 4, 0.35, 0.5)]) == [[1, 2, 3], [4, 7], [5, 6], [8, 9]]


SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def _clustered(conn: sqlite3.Connection) -> tuple:
    """Clusters as their content (ids aside: a recreated cluster takes a new one), and the derivations."""
    groups = {}
    for cid, sid, start, end in conn.execute('select cluster_id, sentence_id, start, "end" from cluster_members'):
        groups.setdefault(cid, set()).add((sid, start, end))
    rows = {cid: row for cid, *row in conn.execute("select id, members, articles, outlets, first_published,"
                                                   " first_article_id, text, speaker from clusters")}
    return (sorted((sorted(m), rows[c]) for c, m in groups.items()),
            conn.execute("select derived_article_id, source_article_id, source_name, relation, extent, shared_chars,"
                         " confidence from derivations order by 1, 2, 3, 4").fetchall())


def test_clusters_made_by_older_rules_are_redone_before_the_next_load(tmp_path):
    """A database whose clusters older rules made (settings ``cluster_rules``) is reclustered whole by
    the next load, and its derivations redone from the new clusters, as a fresh load makes them; once."""
    db = tmp_path / "s.db"
    load_paths(str(db), [str(SEEDS)])
    with closing(sqlite3.connect(db)) as conn:
        fresh = _clustered(conn)
        assert len(fresh[0]) > 3 and fresh[1]
        assert conn.execute("select value from settings where key = 'cluster_rules'").fetchone() == (clusters.RULES,)
        with conn:  # what older rules could have left: a cluster missing, derivations made without it
            gone = conn.execute("select min(id) from clusters").fetchone()[0]
            conn.execute("delete from cluster_members where cluster_id = ?", (gone,))
            conn.execute("delete from clusters where id = ?", (gone,))
            conn.execute("update derivations set relation = 'undetermined', confidence = 0.2")
            conn.execute("update settings set value = 'older' where key = 'cluster_rules'")
        assert _clustered(conn) != fresh
    first = load_paths(str(db), [str(SEEDS)])
    assert first.reclustered > 0 and first.rederived > 0
    assert str(first).startswith(f"clusters of {first.reclustered} linked sentences redone")
    with closing(sqlite3.connect(db)) as conn:
        assert _clustered(conn) == fresh
    assert load_paths(str(db), [str(SEEDS)]).reclustered == 0
