import numpy as np

from datasette_provenance.clusters import cluster, outlet_templates, passage_span


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
    assert passage_span(positions, shared, 14, 5) == (3, 11)
    assert passage_span(positions, np.array([99], dtype=np.uint32), 14, 5) is None


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
