"""Group linked sentences into clusters that each carry one statement, and locate the passage.

Connected components of pairwise links chain distinct statements together (A~B on one clause,
B~C on another). Instead, two groups merge only when most of the cross-article pairs between them
are links themselves (average linkage over exact similarities), strongest links first; a sentence
left alone then joins the group whose centre it copies (``_attached``). The result
depends only on the links inside a connected component, so an incremental load can recluster
just the components it touched and get what a full load would.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from itertools import islice
from typing import Callable

import numpy as np

from .align import RENDERED
from .candidates import Link, pair_keys
from .dates import within_day
from .segment import normalise, source_end
from .signatures import Settings, in_sorted, shingle_positions, shingle_sets, similarity
from .store import next_id, select_in, sentence_norms
from .templates import EDGE_PARAGRAPHS, STORY_SHARE, mark_templates, outlet_templates

MERGE_SHARE = 0.5  # share of cross-article pairs between two groups that must be links
MAX_PAIRS = 4000  # cross pairs checked per merge; beyond this an even sample is checked

NEAR_IDENTICAL = 0.9  # Jaccard of two sentences that are copies of one text, linked or not
MAX_HOLDS = 64  # other members a sentence is checked against for holding their wording (of 10,000: 10^8 checks)
JOIN_ANCHORS = 2  # anchors of two articles' alignment before a lone sentence joins a cluster through it
# ... or this many where the alignment covers under half of the sentence's article (``RENDERED``): a paper
# that mixes an agency's sentences with its own reporting is a copy in part. Clough's light and heavy
# revisions that the alignment covers 0.47-0.50 of, with 4 to 6 anchors, left loose copies of source
# lines in no cluster (README, clusters: the figures and their commands).
JOIN_ANCHORS_PARTLY = 3
# A lone sentence joins a cluster its article is in already only as another piece of the centre's sentence
# than its article's member there holds: this share of what it shares with the centre is not in that member
# (one sentence split in two, or two the centre's outlet merged). A line of the paper's own in the frame of
# a copied one shares the frame, which the copy has.
OTHER_HALF = 0.5
# Groups of up to this many sentences join a centre's cluster as a lone sentence does, when every member would:
# two loose copies of a source line that resemble each other more than the source pair off outside its cluster
# (those measured were pairs). Bounded, as each (group, centre) is checked member by member.
JOIN_GROUP = 4
EDGE_SLACK = 20  # characters of a sentence outside the matched run still counted as matched
RULES = "2026-12-07.4"  # the clustering rules' version: a corpus clustered by older ones is reclustered
MAX_SIMS = 1_000_000  # similarities of unlinked pairs kept at once while reclustering (~150 MB)
FAST_PAIRS = 256  # cross pairs of a merge above which ``Copies`` checks its sample in numpy
RECLUSTER_CHUNK = 2000  # linked sentences whose components are reclustered at a time when all are


def cluster(
    links: list[Link],
    article_of: dict[int, int],
    is_linked: Callable[[int, int], bool],
    key: Callable[[int], tuple] = lambda n: (n,),
    related: Callable[[int, int], bool] = lambda a, b: True,
    near: Callable[[int, int], bool] = lambda x, y: False,
    restated: Callable[[int, int], bool] = lambda x, y: False,
    joins: Callable[[int, int], bool] = lambda x, y: False,
    copies: "Copies | None" = None,
    other_half: Callable[[int, list[int], int], bool] = lambda x, pieces, p: False,
) -> list[list[int]]:
    """Clusters (sorted sentence ids, at least two articles each), deterministic for a link set.

    Ties are broken by ``key``, a sentence's content (its article's text hash and its offset), not
    by its id: ids follow the load order, and the same corpus must cluster alike however it came in.
    Two groups merge only if every pair of their articles is ``related`` (their texts align) or the
    two sentences are ``near`` (copies of one text, which a band bucket's heads kept from meeting):
    a cluster never chains articles that share nothing through a third. A link of two sentences that
    are ``restated`` (one outlet saying a thing again in another of its stories, loosely) merges
    after the others: a cluster is a statement outlets share, which the restatement joins if linked
    enough, rather than taking the sentence first and leaving the other outlets' renderings out.

    With ``copies`` (``Copies``, which must agree with ``near``, ``related`` and ``is_linked``), the
    sample of a large merge is checked in numpy: the same clusters, in a fraction of the time when
    one story is copied word for word by thousands of papers.
    """
    parent: dict[int, int] = {}
    members: dict[int, list[int]] = {}  # each group's members in content order (``key``)
    for a, b, _, _ in links:
        for n in (a, b):
            if n not in parent:
                parent[n] = n
                members[n] = [n]
    rank = {n: i for i, n in enumerate(sorted(parent, key=key))}.__getitem__

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    refused: dict[tuple[int, int], tuple[int, int]] = {}  # group pairs that did not merge, at their sizes
    for a, b, _, _ in sorted(links, key=lambda l: (restated(l[0], l[1]), -l[2], -l[3],
                                                   *sorted((key(l[0]), key(l[1]))))):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        # Groups only grow, so two that did not merge at these sizes would not merge now: each further link
        # between them (a footer's thousands) would cost a full check.
        if key(ra) > key(rb):  # the sample of cross pairs is taken in content order, not in id order
            ra, rb = rb, ra
        sizes = (len(members[ra]), len(members[rb]))
        if refused.get((ra, rb)) == sizes:
            continue
        xs, ys = members[ra], members[rb]
        if copies is not None and len(xs) * len(ys) > FAST_PAIRS:
            fits = copies.fits(xs, ys, related, near)
        else:
            fits = _all_related(xs, ys, article_of, related, near) and _linked_enough(xs, ys, article_of, is_linked)
        if not fits:
            refused[ra, rb] = sizes
            continue
        small, big = sorted((ra, rb), key=lambda r: (len(members[r]), key(r)))
        parent[small] = big
        # Two runs in content order: merged in linear time, where sorting each group at each try
        # (a story in 10,000 papers: a group of 10,000 sorted 10,000 times) took the most of it.
        members[big] = sorted(members[big] + members.pop(small), key=rank)
    # Small groups first, then single sentences, each decided on the groups as they stand.
    for h, root in _attached(links, members, find, article_of, is_linked, key, joins, other_half, alone=False):
        parent[h] = root
        members[root] = sorted(members[root] + members.pop(h), key=rank)
    for n, root in _attached(links, members, find, article_of, is_linked, key, joins, other_half, alone=True):
        members[root].append(n)
    groups = [sorted(m) for m in members.values() if len({article_of[n] for n in m}) >= 2]
    return sorted(groups)


def _attached(links: list[Link], members: dict[int, list[int]], find: Callable[[int], int],
              article_of: dict[int, int], is_linked: Callable[[int, int], bool],
              key: Callable[[int], tuple], joins: Callable[[int, int], bool],
              other_half: Callable[[int, list[int], int], bool], alone: bool) -> list[tuple[int, int]]:
    """(sentence, group) for each sentence left alone with a link that ``joins`` it to a group's
    centre: a member linked to more than half of the group's members in other articles (of an even
    sample of ``MAX_PAIRS``), through its strongest such link, when its article already shares a
    group with the centre's (the two articles' link is shown; the sentence only adds to it) but has
    no member in this one (a second piece of a merged sentence would chain the two statements it holds)
    -- unless it and that member are each a piece of the centre's sentence, different pieces
    (``other_half``): one sentence split in two, or two merged into the centre, one passage.
    Not ``alone``: (group, group) for each group of up to ``JOIN_GROUP``, no larger than the other,
    whose every member is linked to such a centre and would join it so.

    Copies of one source sentence are a star around it (loose copies seldom link to each other), so
    average linkage leaves a loose copy out of the cluster of the sentence it came from, and two
    loose copies that resemble each other more than the source pair off outside it. Joining
    through the centre, not through any member, keeps a chain of clauses (A~B, B~C) apart. Decided
    on the groups as merged, never on what another group or lone sentence joined."""
    centre: dict[int, bool] = {}
    best: dict[int, tuple] = {}
    fits: dict[tuple[int, int], bool] = {}  # (group, centre) -> every member would join through it
    shown: dict[int, set[int]] = defaultdict(set)  # article -> the groups it is in
    held: dict[tuple[int, int], list[int]] = defaultdict(list)  # (group, article) -> its members there
    for root, group in members.items():
        if len(group) > 1:
            for n in group:
                shown[article_of[n]].add(root)
                held[root, article_of[n]].append(n)

    def would_join(y: int, h: int, g: int, p: int) -> bool:
        """y, of group h, would join group g through its member p as a lone sentence does."""
        return (is_linked(y, p) and joins(y, p) and bool((shown[article_of[y]] & shown[article_of[p]]) - {h})
                and (g not in shown[article_of[y]] or other_half(y, held[g, article_of[y]], p)))

    for a, b, j, c in links:
        for x, p in ((a, b), (b, a)):
            h, g = find(x), find(p)
            size = len(members[h])
            if h == g or (size == 1) != alone or size > min(len(members[g]), JOIN_GROUP) or len(members[g]) < 2:
                continue
            if (h, p) not in fits:
                fits[h, p] = all(would_join(y, h, g, p) for y in members[h])
            if not fits[h, p]:
                continue
            if p not in centre:
                group = members[g]  # in content order
                sample = group[:: len(group) // MAX_PAIRS + 1]
                others = [o for o in sample if article_of[o] != article_of[p]]
                centre[p] = 2 * sum(is_linked(p, o) for o in others) > len(others)
            rank = (-j, -c, key(p))
            if centre[p] and (h not in best or rank < best[h][0]):
                best[h] = (rank, g)
    # Not into a group that moves itself: what joins it was decided on it as it stands.
    return [(h, best[h][1]) for h in sorted(best, key=key) if best[h][1] not in best]


def _all_related(xs: list[int], ys: list[int], article_of: dict[int, int], related: Callable[[int, int], bool],
                 near: Callable[[int, int], bool]) -> bool:
    """Every cross pair of two groups lies in related articles, or is ``near`` (copies of one text);
    beyond ``MAX_PAIRS`` pairs, an even sample of them."""
    total = len(xs) * len(ys)
    step = total // MAX_PAIRS + 1
    seen: set[tuple[int, int]] = set()
    for t in range(0, total, step):
        x, y = xs[t // len(ys)], ys[t % len(ys)]
        p, q = article_of[x], article_of[y]
        if p == q or (p, q) in seen:
            continue
        if not (related(p, q) or near(x, y)):
            return False
        seen.add((p, q))
    return True


def _linked_enough(xs: list[int], ys: list[int], article_of: dict[int, int],
                   is_linked: Callable[[int, int], bool]) -> bool:
    """At least ``MERGE_SHARE`` of the cross-article pairs of two groups (in content order) are links;
    beyond ``MAX_PAIRS`` pairs an even sample of them, taken without listing them all (two groups of
    10,000 members have 10^8)."""
    total = len(xs) * len(ys)
    if total <= 16 * MAX_PAIRS:
        cross = [(x, y) for x in xs for y in ys if article_of[x] != article_of[y]]
        cross = cross[:: len(cross) // MAX_PAIRS + 1]
    else:
        cross = [(xs[t // len(ys)], ys[t % len(ys)]) for t in range(0, total, total // MAX_PAIRS + 1)]
        cross = [(x, y) for x, y in cross if article_of[x] != article_of[y]]
    need = MERGE_SHARE * len(cross)
    linked = 0
    for done, (x, y) in enumerate(cross):  # stops once the answer is known: one outcome decides a star's merges
        linked += is_linked(x, y)
        if linked >= need or linked + len(cross) - done - 1 < need:
            break
    return linked >= need


class Copies:
    """``_all_related`` and ``_linked_enough`` over numpy arrays, for merges with large samples.

    Holds each sentence's article and text class (equal normalised texts: copies, which ``near``
    always holds), the stored links ``is_linked`` counts and the aligned article pairs that ``related``
    reads, as sorted keys. Only the sampled pairs of two different texts call ``near``; which pairs
    are sampled, and the answer, are those of the functions it stands in for."""

    def __init__(self, ids: list[int], article: list[int], text: list[int], linked: set[tuple[int, int]],
                 aligned: set[tuple[int, int]]):
        order = np.argsort(np.array(ids, dtype=np.int64), kind="stable")
        self.ids = np.array(ids, dtype=np.int64)[order]
        self.article = np.array(article, dtype=np.int64)[order]
        self.text = np.array(text, dtype=np.int64)[order]
        # As the sets are asked: (smaller, larger), so a pair kept the other way round is never found.
        self.linked = np.sort(np.array([(a << 32) | b for a, b in linked], dtype=np.int64))
        self.aligned = np.sort(np.array([(p << 32) | q for p, q in aligned], dtype=np.int64))

    def fits(self, xs: list[int], ys: list[int], related: Callable[[int, int], bool],
             near: Callable[[int, int], bool]) -> bool:
        """``_all_related`` and then ``_linked_enough`` of two groups, read into arrays once."""
        xa, ya = np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64)
        rows_x, rows_y = np.searchsorted(self.ids, xa), np.searchsorted(self.ids, ya)
        return self._all_related(xa, ya, rows_x, rows_y, related, near) and \
            self._linked_enough(xa, ya, rows_x, rows_y, near)

    def _all_related(self, xa, ya, rows_x, rows_y, related, near) -> bool:
        """Each article pair is judged by the first sampled pair of its sentences (a pair that passes
        stands for its articles' later ones)."""
        total = len(xa) * len(ya)
        t = np.arange(0, total, total // MAX_PAIRS + 1)
        x, y, rx, ry = xa[t // len(ya)], ya[t % len(ya)], rows_x[t // len(ya)], rows_y[t % len(ya)]
        p, q = self.article[rx], self.article[ry]
        apart = np.flatnonzero(p != q)
        _, first = np.unique((p[apart] << 32) | q[apart], return_index=True)
        judged = apart[first]
        for i in judged[self.text[rx[judged]] != self.text[ry[judged]]].tolist():
            if not (related(int(p[i]), int(q[i])) or near(int(x[i]), int(y[i]))):
                return False
        return True

    def _linked_enough(self, xa, ya, rows_x, rows_y, near) -> bool:
        """The same sample of cross-article pairs as ``_linked_enough``, counted at once."""
        total = len(xa) * len(ya)
        if total <= 16 * MAX_PAIRS:
            i, j = np.repeat(np.arange(len(xa)), len(ya)), np.tile(np.arange(len(ya)), len(xa))
            cross = np.flatnonzero(self.article[rows_x[i]] != self.article[rows_y[j]])
            cross = cross[:: len(cross) // MAX_PAIRS + 1]
            i, j = i[cross], j[cross]
        else:
            t = np.arange(0, total, total // MAX_PAIRS + 1)
            i, j = t // len(ya), t % len(ya)
            keep = self.article[rows_x[i]] != self.article[rows_y[j]]
            i, j = i[keep], j[keep]
        x, y, rx, ry = xa[i], ya[j], rows_x[i], rows_y[j]
        linked = in_sorted(self.linked, pair_keys(x, y))
        unaligned = ~in_sorted(self.aligned, pair_keys(self.article[rx], self.article[ry]))
        linked |= unaligned & (self.text[rx] == self.text[ry])
        for k in np.flatnonzero(~linked & unaligned).tolist():
            linked[k] = near(int(x[k]), int(y[k]))
        return int(linked.sum()) >= MERGE_SHARE * len(x)


def passage_span(positions: np.ndarray, lengths: np.ndarray, shared: np.ndarray, norm_len: int) -> tuple[int, int] | None:
    """The densest run of shared shingles, in normalised-text positions [start, end).

    A translation shares scattered 5-grams with its twin; the maximum-sum run (+1 for a covered
    character, -1 for an uncovered one) is the passage the two have in common, without the
    unrelated lead-in or tail of a longer sentence.
    """
    hit = np.isin(positions, shared)
    if not hit.any():
        return None
    cover = np.zeros(norm_len + 1, dtype=np.int64)
    starts = np.flatnonzero(hit)
    np.add.at(cover, starts, 1)
    np.add.at(cover, np.minimum(starts + lengths[starts], norm_len), -1)
    weights = np.where(np.cumsum(cover[:norm_len]) > 0, 1, -1)
    best, best_span, run, run_start = 0, None, 0, 0
    for i, w in enumerate(weights.tolist()):
        if run <= 0:
            run, run_start = 0, i
        run += w
        if run > best:
            best, best_span = run, (run_start, i + 1)
    return best_span


def recluster(
    conn: sqlite3.Connection, seeds: list[int], settings: Settings, shingled: dict[int, np.ndarray]
) -> set[int]:
    """Recluster the link components holding ``seeds``; return the articles whose clusters changed."""
    return _recluster(conn, *_component(conn, set(seeds)), settings, shingled)


def _recluster(conn: sqlite3.Connection, component: set[int], old_templates: set[int], settings: Settings,
               shingled: dict[int, np.ndarray]) -> set[int]:
    """``recluster`` of a component already walked (``_component``)."""
    if not component:
        return set()
    links = _links_within(conn, component)
    info = sentence_norms(conn, sorted(component | old_templates))
    article_of = {s: a for s, (a, _) in info.items()}
    outlet_of, edge, content = {}, set(), {}
    for sid, outlet, position, last, digest, offset in select_in(
        conn, "select s.id, a.outlet, p.position, (select max(position) from paragraphs q where q.article_id = a.id),"
              " a.content_hash, p.start + s.start"
              " from sentences s join articles a on a.id = s.article_id join paragraphs p on p.id = s.paragraph_id"
              " where s.id in ({})", component | old_templates):
        outlet_of[sid] = outlet
        content[sid] = (digest, offset)
        if position < EDGE_PARAGRAPHS or position > last - EDGE_PARAGRAPHS:
            edge.add(sid)
    missing = [sid for sid in info if sid not in shingled]  # sentences this batch has not shingled yet
    shingles = {sid: shingled[sid] for sid in info if sid in shingled}
    shingles.update(zip(missing, shingle_sets([info[sid][1] for sid in missing], settings.k)))
    known = {(a, b): (j, c) for a, b, j, c, _ in links}
    neighbours: dict[int, set[int]] = defaultdict(set)
    for a, b in [l[:2] for l in links] + [
        (a, b) for a, b in _links_touching(conn, old_templates) if a in info and b in info
    ]:
        neighbours[a].add(b)
        neighbours[b].add(a)
    sims: dict[tuple[int, int], tuple[float, float]] = {}

    def sim(x: int, y: int) -> tuple[float, float]:
        key = (min(x, y), max(x, y))
        if key in known:
            return known[key]
        if info[x][1] == info[y][1]:  # copies: the normalised texts are equal, no set to intersect
            return 1.0, 1.0
        if key not in sims:
            if len(sims) >= MAX_SIMS:  # a story in thousands of papers: its pairs would fill the memory
                sims.clear()
            sims[key] = similarity(shingles[key[0]], shingles[key[1]])
        return sims[key]

    old_clusters = sorted({c for (c,) in select_in(conn, "select distinct cluster_id from cluster_members"
                                                 " where sentence_id in ({})", component)})
    touched = {a for (a,) in select_in(conn, "select distinct article_id from cluster_members where cluster_id in ({})",
                                 old_clusters)}
    old_of = defaultdict(set)
    for c, s in select_in(conn, "select cluster_id, sentence_id from cluster_members where cluster_id in ({})",
                    old_clusters):
        old_of[s].add(c)
    select_in(conn, "delete from cluster_members where cluster_id in ({})", old_clusters)
    select_in(conn, "delete from clusters where id in ({})", old_clusters)

    # Templates first, over every sentence of the component, and the clustering never goes through
    # them: whether a line is an outlet's template, and what it would have joined, then depend on the
    # links alone, whatever order they came in (a later load meets the template already flagged).
    nodes = sorted(component)
    outlets = {outlet_of[n] for n in nodes}
    earlier = [t for t in sorted(old_templates) if outlet_of[t] in outlets]
    templates = outlet_templates(nodes + earlier, article_of, outlet_of, lambda x, y: sim(x, y)[0],
                                 edge.__contains__, neighbours, conn=conn) - set(earlier)
    stored = links
    links = _grounded(links, article_of, templates | set(earlier))
    linked = {(a, b) for a, b, _, _ in links}
    # Only stored links count (a pair the alignment of its articles turned down must not come back here),
    # and a cluster never holds two articles whose texts do not touch.
    arts = sorted(set(article_of.values()))
    covered, anchors, rendered = {}, {}, {}  # rendered: share of an article the alignment covers
    for a, b, x, y, n in select_in(conn, "select article_a, article_b, covered_a, covered_b, anchors from alignments"
                                         " where article_a in ({})", arts):
        covered[a, b], anchors[a, b] = max(x, y), n
        rendered[a, b], rendered[b, a] = x, y
    aligned = set(covered)
    on_own = {(l[0], l[1]) for l in stored if not l[4]}  # links that pass the rule, not aligned in context

    def joins(x: int, y: int) -> bool:
        """A lone sentence may join its partner's cluster through their link when the link passes on
        its own and the sentence's article renders the partner's (their alignment covers ``RENDERED``
        of it, with ``JOIN_ANCHORS`` anchors) or took ``JOIN_ANCHORS_PARTLY`` of its sentences: in a
        copy, such a match is a rewrite of the line it matches. Beside a copied line or two in a text
        of its own, or through a loose pair aligned only in context, it is as often a line of its own
        about the same thing."""
        p, q = article_of[x], article_of[y]
        n = anchors.get((min(p, q), max(p, q)), 0)
        return ((min(x, y), max(x, y)) in on_own and n >= JOIN_ANCHORS
                and (rendered.get((p, q), 0.0) >= RENDERED or n >= JOIN_ANCHORS_PARTLY))

    def near(x: int, y: int) -> bool:
        return sim(x, y)[0] >= NEAR_IDENTICAL

    def other_half(x: int, pieces: list[int], p: int) -> bool:
        """x is a piece of p (the shorter of the two mostly inside the other) other than each of
        ``pieces``, its article's members in p's group: at least ``OTHER_HALF`` of what x shares with p
        is not in that one. A line of the paper's own in the frame of p shares less of it (the
        synthetic same-frame negatives: about half), or what a piece has already."""
        if sim(x, p)[1] < settings.containment:
            return False
        common = np.intersect1d(shingles[x], shingles[p], assume_unique=True)
        return all(len(np.setdiff1d(common, shingles[n], assume_unique=True)) >= OTHER_HALF * len(common)
                   for n in pieces)

    def is_linked(x: int, y: int) -> bool:
        """A stored link; or, for articles never aligned with each other (a story in more papers than a
        band bucket pairs: each met only the bucket's heads), a near-identical sentence pair: copies
        of one text, not a formula with other names and numbers, which the alignment turns down."""
        p, q = article_of[x], article_of[y]
        if (min(x, y), max(x, y)) in linked:
            return True
        return (min(p, q), max(p, q)) not in aligned and near(x, y)

    def restated(x: int, y: int) -> bool:
        """One outlet's loose link between two of its separate stories (not versions of one story,
        which share most of their text, nor copies of one line)."""
        p, q = article_of[x], article_of[y]
        return (outlet_of[x] == outlet_of[y] and not near(x, y)
                and covered.get((min(p, q), max(p, q)), 0.0) < STORY_SHARE)

    nodes_linked = sorted({n for l in links for n in l[:2]})
    texts: dict[str, int] = {}
    copies = Copies(nodes_linked, [article_of[n] for n in nodes_linked],
                    [texts.setdefault(info[n][1], len(texts)) for n in nodes_linked], linked, aligned)
    kept = cluster(links, article_of, is_linked, content.__getitem__,
                   lambda p, q: (min(p, q), max(p, q)) in aligned, near, restated, joins, copies, other_half)
    mark_templates(conn, templates)
    next_new = max([next_id(conn, "clusters")] + [c + 1 for c in old_clusters])
    taken: set[int] = set()
    for g in kept:  # a cluster keeps the lowest id it had, so links to it stay valid across loads
        reuse = sorted({c for n in g for c in old_of.get(n, ())} - taken)
        if reuse:
            cid = reuse[0]
        else:
            cid, next_new = next_new, next_new + 1
        taken.add(cid)
        _write_cluster(conn, cid, g, info, shingles, settings)
        touched |= {article_of[n] for n in g}
    return touched | {article_of[n] for n in templates}


def outdated(conn: sqlite3.Connection) -> bool:
    """The corpus was clustered by other rules than this version's (``RULES``), or before they were kept."""
    return conn.execute("select value from settings where key = 'cluster_rules'").fetchone() != (RULES,)


def recluster_old(conn: sqlite3.Connection, settings: Settings) -> int:
    """Recluster every component of a corpus that older rules clustered (settings ``cluster_rules``),
    so that a load after an upgrade adds to clusters made as a fresh load makes them; returns the
    linked sentences reclustered. Components done are noted in a temporary table, not in memory:
    a corpus of millions of articles has tens of millions of linked sentences."""
    done = 0
    if outdated(conn):
        conn.execute("create temp table if not exists reclustered(id integer primary key)")
        conn.execute("delete from reclustered")
        top = conn.execute("select max(id) from sentences").fetchone()[0] or 0
        for lo in range(0, top + 1, RECLUSTER_CHUNK):  # by ranges of ids: each statement reads its range only
            span = {"lo": lo, "hi": lo + RECLUSTER_CHUNK}
            seeds = {s for (s,) in conn.execute(
                "select sentence_a from links where sentence_a >= :lo and sentence_a < :hi"
                " union select sentence_b from links where sentence_b >= :lo and sentence_b < :hi", span)}
            seeds -= {s for (s,) in conn.execute("select id from reclustered where id >= :lo and id < :hi", span)}
            if not seeds:
                continue
            component, old_templates = _component(conn, seeds)
            conn.executemany("insert or ignore into reclustered values (?)", [(s,) for s in sorted(component | seeds)])
            _recluster(conn, component, old_templates, settings, {})
            done += len(component)
        conn.execute("drop table reclustered")
    conn.execute("insert or replace into settings(key, value) values ('cluster_rules', ?)", (RULES,))
    return done


def _write_cluster(conn, cid: int, group: list[int], info, shingles, settings: Settings) -> None:
    rows = select_in(conn, 'select s.id, s.paragraph_id, s.article_id, s.start, s."end", p.text, a.published, a.outlet,'
                     " a.content_hash, p.start + s.start from sentences s join paragraphs p on p.id = s.paragraph_id"
                     " join articles a on a.id = s.article_id where s.id in ({})", group)
    by_id = {r[0]: r for r in rows}
    per_article: dict[int, list[np.ndarray]] = defaultdict(list)
    for n in group:
        per_article[by_id[n][2]].append(shingles[n])
    unions = {a: np.unique(np.concatenate(v)) for a, v in per_article.items()}
    values, counts = np.unique(np.concatenate(list(unions.values())), return_counts=True)
    members = []
    ordered = sorted(group, key=lambda o: (by_id[o][8], by_id[o][9]))  # by content, once for every member
    for n in group:
        _, pid, aid, start, end, ptext, *_ = by_id[n]
        s, e = start, end
        others = list(islice((o for o in ordered if by_id[o][2] != aid), MAX_HOLDS))
        if _holds_more(n, others, shingles, settings):
            mine = np.isin(values, unions[aid], assume_unique=True)
            shared = values[counts - mine > 0]  # shingles some other article's member has
            span = _passage(ptext[start:end], shared, settings.k)
            s, e = (start + span[0], start + span[1]) if span else (start, end)
        members.append((cid, pid, n, aid, s, e))
    earliest = min(group, key=lambda n: (within_day(by_id[n][6] or "9999"), by_id[n][6] or "", by_id[n][8],
                                         by_id[n][9]))  # ties by content
    # Articles with no outlet are one "(unknown outlet)", as the graph and the outlet pages have them.
    _, _, aid, start, end, ptext, *_ = by_id[earliest]
    conn.execute(
        "insert into clusters(id, members, articles, outlets, first_published, first_article_id, text)"
        " values (?, ?, ?, ?, ?, ?, ?)",
        (cid, len(group), len({by_id[n][2] for n in group}), len({by_id[n][7] or None for n in group}),
         by_id[earliest][6], aid, ptext[start:end]),
    )
    conn.executemany('insert into cluster_members(cluster_id, paragraph_id, sentence_id, article_id, start, "end")'
                     " values (?, ?, ?, ?, ?, ?)", members)


def _holds_more(n: int, others: list[int], shingles: dict[int, np.ndarray], settings: Settings) -> bool:
    """The sentence holds every other article's wording and more (a clause added to a copy): only
    then is its passage the shared run inside it. A rendering of the same sentence (a translation,
    a rewrite) shares scattered shingles, and its passage is the whole sentence."""
    mine = shingles[n]
    return bool(others) and all(
        len(shingles[o]) < len(mine)
        and len(np.intersect1d(mine, shingles[o], assume_unique=True)) >= settings.containment * len(shingles[o])
        for o in others)


def _passage(text: str, shared: np.ndarray, k: int) -> tuple[int, int] | None:
    """The shared passage of one sentence, in offsets of the sentence text, on word boundaries."""
    norm, pos = normalise(text)
    span = passage_span(*shingle_positions(norm, k), shared, len(norm))
    if not span or not pos:
        return None
    s, e = pos[span[0]], source_end(text, pos[min(span[1], len(pos)) - 1])
    while s > 0 and text[s - 1].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum():
        e += 1
    if len(text[:s].strip()) <= EDGE_SLACK:  # a few stray words left over: the whole sentence is shared
        s = 0
    if len(text[e:].strip()) <= EDGE_SLACK:
        e = len(text)
    while s < e and text[s].isspace():
        s += 1
    return s, e


def _component(conn: sqlite3.Connection, seeds: set[int]) -> tuple[set[int], set[int]]:
    """Every sentence reachable through links from the seeds, and the templates linked to them.

    Templates are not walked through, but they are returned: a later copy of an outlet's repeated
    line is recognised by its earlier, already flagged copies. The links of one pair of articles
    come in together: whether a loose aligned pair holds depends on the other links of its articles
    (``_grounded``), so it is reclustered whenever they are.
    """
    seen: set[int] = set()
    templates: set[int] = set()
    frontier = seeds
    while frontier:
        seen |= frontier
        nxt = set()
        for a, b in _pair_links(conn, _links_touching(conn, frontier)):
            nxt.update((a, b))
        found = {s for (s,) in select_in(conn, "select id from sentences where kind = 'template' and id in ({})",
                                   nxt - seen - templates)}
        templates |= found
        frontier = nxt - seen - templates
    flagged = {s for (s,) in select_in(conn, "select id from sentences where kind = 'template' and id in ({})", seen)}
    return seen - flagged, templates | flagged


def _pair_links(conn: sqlite3.Connection, links: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """These links and every other link between the same two articles."""
    if not links:
        return []
    article_of = dict(select_in(conn, "select id, article_id from sentences where id in ({})",
                                {n for l in links for n in l}))
    pairs = {tuple(sorted((article_of[a], article_of[b]))) for a, b in links}
    articles = sorted({x for pair in pairs for x in pair})
    sentences = dict(select_in(conn, "select id, article_id from sentences where article_id in ({})", articles))
    return links + [(a, b) for a, b in _links_touching(conn, set(sentences))
                    if a in sentences and b in sentences and tuple(sorted((sentences[a], sentences[b]))) in pairs]


def _links_within(conn: sqlite3.Connection, nodes: set[int]) -> list[tuple[int, int, float, float, int]]:
    return [
        l for l in select_in(conn, "select sentence_a, sentence_b, jaccard, containment, aligned from links"
                             " where sentence_a in ({})", nodes)
        if l[1] in nodes
    ]


def _grounded(links: list[tuple[int, int, float, float, int]], article_of: dict[int, int],
              templates: set[int]) -> list[Link]:
    """The links left once an outlet's templates are known: a pair aligned only because its articles
    share a footer is not reuse, so a pair of articles keeps its aligned links only while a link
    that holds on its own, outside templates, remains between them."""
    def pair(l):
        return tuple(sorted((article_of[l[0]], article_of[l[1]])))

    kept = [l for l in links if l[0] not in templates and l[1] not in templates]
    anchored = {pair(l) for l in kept if not l[4]}
    return [l[:4] for l in kept if not l[4] or pair(l) in anchored]


def _links_touching(conn: sqlite3.Connection, nodes: set[int]) -> list[tuple[int, int]]:
    """The (a, b) sentence pairs of every link with an end in ``nodes``."""
    return select_in(conn, "select sentence_a, sentence_b from links where sentence_a in ({0})"
                           " union select sentence_a, sentence_b from links where sentence_b in ({0})",
                     nodes, repeat=2)


