"""Align two articles that share text: which sentences of one are renderings of which of the other.

Sentence pairs judged one at a time miss what reuse looks like in news: a newspaper joins two agency
sentences, splits one, trims clauses, and a translation renders some sentences loosely. Inside an
article pair that already shares sentences, a loose match next to a close one is very likely a
rendering too, while the same loose match alone between two long articles is more likely two
stories saying a similar thing (a formula with other names and numbers). So each candidate article
pair is aligned as a whole:

1. anchors: sentence pairs that pass the strict rule on their own (``candidates.is_link``), unless
   their numbers disagree (formulaic sentences about other facts);
2. extension: a sentence next to an aligned pair (in reading order, on both sides) is aligned to the
   neighbour of its partner when they still share ``aligned_jaccard`` of their shingles and are each
   other's closest match, or when it is mostly contained in it (a sentence split in two, two merged
   into one); a single sentence left between two aligned pairs on both sides needs half that bar, and
   to be the other's closest only among sentences not aligned yet.
   Short sentences (too generic to anchor) are aligned this way too;
3. support: the pair is kept when it aligns sentences of two or more on each side, or one close
   pair (``lone_jaccard``), or one that shares a long stretch (``lone_shared`` shingles: a background
   paragraph recycled), or the one sentence a short article has; a short, loose lone anchor is
   dropped (and remembered with no pairs, so clustering knows the two texts touch);
4. rewording: where the alignment holds half the sentences of one side (a rendering of the other),
   two sentences left out that are each other's closest and pass ``candidates.is_link``'s word rule
   (a little below the bar, the same words cut to five letters: a translation inflects and
   reorders) are aligned too, and the extension grows from them; where the alignment's order puts
   one at the other's place, at the lower bar the rest of the pair allows (``rendered_words``).

The result depends on the two articles only, never on what else is loaded or in which order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .candidates import Link, is_link, near_bar, same_words
from .segment import matchable_length, normal_form, stated_numbers, word_stems
from .signatures import Settings, distinct, shingle_sets
from .store import select_in


@dataclass(frozen=True)
class Aligned:
    """One aligned sentence pair: rows of the two articles' sentence lists and their similarity."""

    a: int
    b: int
    jaccard: float
    containment: float
    anchor: bool  # passed the strict rule on its own
    shared: int  # shingles in common, in letters' worth (a Chinese character's shingle counts three)


def overlaps(sets_a: list[np.ndarray], sets_b: list[np.ndarray]) -> np.ndarray:
    """(len(sets_a), len(sets_b)) counts of shared shingles, from sorted unique arrays, in one pass."""
    counts = _overlaps(_Index(sets_a), _Index(sets_b), limit=None)
    assert counts is not None
    return counts


class _Index:
    """One article's sentences' shingles as flat arrays, built once however many pairs it is in.
    ``weights``: each sentence's letters' worth per character (``segment.matchable_length``), where
    one is not 1."""

    def __init__(self, sets: list[np.ndarray], weights: list[float] | None = None):
        self.n = len(sets)
        self.weights = None if weights is None else np.array(weights, dtype=np.float64)
        self.sizes = np.array([len(x) for x in sets], dtype=np.int64)
        self.values = np.concatenate(sets) if sets else np.zeros(0, dtype=np.uint32)
        self.rows = np.repeat(np.arange(self.n), self.sizes)
        order = np.argsort(self.values, kind="stable")
        self.sorted_values, self.sorted_rows = self.values[order], self.rows[order]
        self.distinct = distinct(self.sorted_values)


def _overlaps(a: _Index, b: _Index, limit: int | None) -> np.ndarray | None:
    """Shared-shingle counts of every sentence pair, or None when counting would expand more than
    ``limit`` (sentence, sentence, shingle) triples (articles of one sentence repeated thousands of times)."""
    counts = np.zeros((a.n, b.n), dtype=np.int64)
    if not a.n or not b.n or not len(a.values) or not len(b.values):
        return counts
    # The shingles both articles hold first, by merging their distinct values: most pairs share a
    # sentence or two, and seeking each of one article's shingles in the other cost 8 times as much.
    common = np.intersect1d(a.distinct, b.distinct, assume_unique=True)
    if not len(common):
        return counts
    lo_a, lo_b = np.searchsorted(a.sorted_values, common), np.searchsorted(b.sorted_values, common)
    in_a = np.searchsorted(a.sorted_values, common, side="right") - lo_a  # sentences of a holding each
    in_b = np.searchsorted(b.sorted_values, common, side="right") - lo_b
    pairs = in_a * in_b
    total = int(pairs.sum())
    if limit is not None and total > limit:
        return None
    value = np.repeat(np.arange(len(common)), pairs)
    nth = np.arange(total) - np.repeat(np.cumsum(pairs) - pairs, pairs)  # each value's sentence pairs
    rows = a.sorted_rows[lo_a[value] + nth // in_b[value]]
    cols = b.sorted_rows[lo_b[value] + nth % in_b[value]]
    return np.bincount(rows * b.n + cols, minlength=a.n * b.n).reshape(a.n, b.n)


def _weights(index: _Index) -> np.ndarray:
    return np.ones(index.n) if index.weights is None else index.weights


def align(
    sets_a: list[np.ndarray] | _Index,
    sets_b: list[np.ndarray] | _Index,
    settings: Settings,
    numbers_a: list[frozenset[str]] | None = None,
    numbers_b: list[frozenset[str]] | None = None,
    short_a: list[bool] | None = None,
    short_b: list[bool] | None = None,
    extend: bool = True,
    words_a: list[frozenset[str]] | None = None,
    words_b: list[frozenset[str]] | None = None,
) -> list[Aligned] | None:
    """The aligned sentence pairs of two articles (sentences in reading order), or none; None when
    the two are too large to compare sentence by sentence (``MAX_CELLS``, ``MAX_SHARED``). With the
    sentences' ``word_stems`` (``words_a``, ``words_b``), two articles of one sentence each link by
    ``candidates.is_link``'s word rule, and an alignment that stands grows by it (``_reworded``).

    Sentences marked short (too generic to prove reuse on their own) never anchor, but are aligned
    next to pairs that do. Without ``extend`` only anchors are kept: two articles of one outlet
    share its house lines, and what sits next to a footer is not reuse."""
    a = sets_a if isinstance(sets_a, _Index) else _Index(sets_a)
    b = sets_b if isinstance(sets_b, _Index) else _Index(sets_b)
    if a.n * b.n > MAX_CELLS:
        return None
    inter = _overlaps(a, b, MAX_SHARED)
    if inter is None:
        return None
    if not inter.any():
        return []
    shared = inter if a.weights is None and b.weights is None else np.rint(
        inter * np.minimum(_weights(a)[:, None], _weights(b)[None, :])).astype(np.int64)
    size_a, size_b = a.sizes.astype(np.float64)[:, None], b.sizes.astype(np.float64)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        jac = np.nan_to_num(inter / (size_a + size_b - inter))
        con = np.nan_to_num(inter / np.minimum(size_a, size_b))
    passing = (inter > 0) & ((jac >= settings.jaccard)
                             | ((con >= settings.containment) & (jac >= settings.containment_jaccard)))
    long_a, long_b = a.n - sum(short_a or ()), b.n - sum(short_b or ())
    if words_a is not None and words_b is not None and long_a == long_b == 1:  # two articles of one sentence
        i, j = (short_a or [False]).index(False), (short_b or [False]).index(False)
        passing[i, j] |= bool(inter[i, j]) and is_link(jac[i, j], con[i, j], settings, (words_a[i], words_b[j]))
    if short_a:
        passing[np.array(short_a, dtype=bool), :] = False
    if short_b:
        passing[:, np.array(short_b, dtype=bool)] = False
    got = {(int(i), int(j)): Aligned(int(i), int(j), float(jac[i, j]), float(con[i, j]), True, int(shared[i, j]))
           for i, j in zip(*np.nonzero(passing)) if not _numbers_disagree(numbers_a, numbers_b, int(i), int(j))}
    if not got:
        return []
    if extend:
        _extend(got, jac, con, shared, settings)
    kept = _supported(sorted(got.values(), key=lambda p: (p.a, p.b)), long_a, long_b, settings)
    if kept and extend and words_a is not None and words_b is not None and (
            len({p.a for p in kept}) >= RENDERED * long_a or len({p.b for p in kept}) >= RENDERED * long_b):
        kept = _reworded(kept, (jac, con, shared), (words_a, words_b), (numbers_a, numbers_b), (short_a, short_b),
                         settings)
    return kept


# An alignment holding at least this share of one side's sentences (not short) makes that article a
# rendering of the other: the sentences it left out are then very likely renderings too.
RENDERED = 0.5


def _reworded(kept: list[Aligned], figures: tuple[np.ndarray, np.ndarray, np.ndarray], words: tuple, numbers: tuple,
              short: tuple, settings: Settings) -> list[Aligned]:
    """The alignment of an article that renders the other (``RENDERED``), grown by the sentences it
    left out that render each other in the same words: each the other's closest, a little below the
    bar, their word stems alike (``candidates.is_link``'s word rule; at ``rendered_words`` where the
    alignment's order puts one at the other's place: the pair vouches for them there), numbers not
    disagreeing; the extension then grows from them. A translation inflects and reorders words,
    which the character bar misses where no neighbour is aligned. Not where an alignment only
    stands: two stories that share a few sentences say other things in the same frame words, and the
    rule must never start one (it joined answers to one exam question that share a formula)."""
    jac, con, shared = figures
    loose = near_bar(jac, settings)
    for axis, rows, mask in ((0, [p.a for p in kept], short[0]), (1, [p.b for p in kept], short[1])):
        left_out = np.ones(jac.shape[axis], dtype=bool)
        left_out[rows] = False
        if mask:
            left_out &= ~np.array(mask, dtype=bool)
        loose &= left_out[:, None] if axis == 0 else left_out[None, :]
    got = {(p.a, p.b): p for p in kept}
    for i, j in zip(*np.nonzero(loose)):
        i, j = int(i), int(j)
        if _mutual(jac, i, j) and not _numbers_disagree(*numbers, i, j) and same_words(
                words[0][i], words[1][j], settings.rendered_words if _in_place(kept, i, j) else settings.lone_words):
            got[i, j] = Aligned(i, j, float(jac[i, j]), float(con[i, j]), False, int(shared[i, j]))
    if len(got) == len(kept):
        return kept
    _extend(got, jac, con, shared, settings)
    return sorted(got.values(), key=lambda p: (p.a, p.b))


def _in_place(kept: list[Aligned], i: int, j: int) -> bool:
    """Sentence j lies where the alignment puts sentence i's rendering: every aligned sentence before i
    has its partner before j, every one after it after j. A translation keeps the order; a paper's
    own line in the agency's frame lands anywhere (the synthetic same-frame negatives: all out of
    place)."""
    return all(p.b < j for p in kept if p.a < i) and all(p.b > j for p in kept if p.a > i)


def _supported(kept: list[Aligned], long_a: int, long_b: int, settings: Settings) -> list[Aligned]:
    """The pairs, or none when they come down to one loose match between two longer texts."""
    if kept and min(long_a, long_b) > 1 and (len({p.a for p in kept}) == 1 or len({p.b for p in kept}) == 1):
        best = max(kept, key=lambda p: (p.jaccard, p.shared))  # one sentence on a side: one piece of evidence
        if best.jaccard < settings.lone_jaccard and best.shared < settings.lone_shared:
            return []
    return kept


def _extend(
    got: dict[tuple[int, int], Aligned], jac: np.ndarray, con: np.ndarray, shared: np.ndarray, settings: Settings
) -> None:
    """Grow the alignment from its pairs into the sentences next to them, until nothing changes.

    Tried in a fixed order (pairs by position, diagonal neighbours before merges), so the result is
    a function of the two articles alone.
    """
    n, m = jac.shape
    used_a = {a for a, _ in got}
    used_b = {b for _, b in got}
    changed = True
    while changed:
        changed = False
        for a, b in sorted(got):
            for da, db in ((1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)):
                i, j = a + da, b + db
                if not (0 <= i < n and 0 <= j < m) or (i, j) in got:
                    continue
                fresh_a, fresh_b = i not in used_a, j not in used_b
                if da and db:  # the next sentence on both sides
                    ok = fresh_a and fresh_b and (jac[i, j] >= settings.aligned_jaccard and _mutual(jac, i, j)
                                                  or con[i, j] >= settings.containment)
                else:  # a sentence split in two, or two merged: the piece lies mostly inside the whole
                    ok = (fresh_a or fresh_b) and con[i, j] >= settings.containment \
                        and jac[i, j] >= settings.aligned_jaccard
                if ok:
                    got[i, j] = Aligned(i, j, float(jac[i, j]), float(con[i, j]), False, int(shared[i, j]))
                    used_a.add(i)
                    used_b.add(j)
                    changed = True
        # One sentence left on each side between two aligned pairs: renderings of each other at half
        # the neighbours' bar, each the other's closest of the sentences not aligned yet. Its place says
        # which sentence it renders; a translation often shares more with the aligned sentence before
        # it (who speaks, what about), which its own partner already accounts for.
        for a, b in sorted(got):
            i, j = a + 1, b + 1
            if ((i + 1, j + 1) in got and i not in used_a and j not in used_b
                    and jac[i, j] >= settings.aligned_jaccard / 2 and _mutual(jac, i, j, used_a, used_b)):
                got[i, j] = Aligned(i, j, float(jac[i, j]), float(con[i, j]), False, int(shared[i, j]))
                used_a.add(i)
                used_b.add(j)
                changed = True


def _mutual(jac: np.ndarray, i: int, j: int, taken_a: Collection[int] = (), taken_b: Collection[int] = ()) -> bool:
    """Each is the other's closest sentence: a loose match next to an aligned pair is a rendering only
    if nothing else in the other text is closer (a paper's own line about the same speaker often is).
    Sentences in ``taken_a`` and ``taken_b`` (aligned elsewhere) are not compared."""
    row, col = jac[i], jac[:, j]
    if taken_a or taken_b:  # copies only then: the extension asks this of every neighbour
        row, col = row.copy(), col.copy()
        row[list(taken_b)] = 0
        col[list(taken_a)] = 0
    return jac[i, j] >= row.max() and jac[i, j] >= col.max()


def _numbers_disagree(numbers_a, numbers_b, i: int, j: int) -> bool:
    """Both sentences state numbers and share none: a formula about other facts. (A number updated
    in a later version, or rounded by a paraphrase, leaves the others in common.)"""
    if numbers_a is None or numbers_b is None:
        return False
    x, y = numbers_a[i], numbers_b[j]
    return bool(x) and bool(y) and not x & y


def coverage(aligned: list[Aligned], chars_a: list[int], chars_b: list[int],
             totals: tuple[int, int] | None = None) -> tuple[float, float]:
    """Share of each article's matchable characters inside aligned sentences (``totals``: their sums,
    when the caller keeps them: an article is in thousands of pairs)."""
    total_a, total_b = totals or (sum(chars_a), sum(chars_b))
    return (sum(chars_a[r] for r in {p.a for p in aligned}) / total_a if total_a else 0.0,
            sum(chars_b[r] for r in {p.b for p in aligned}) / total_b if total_b else 0.0)


# Work bounds per article pair: a pair of giant articles keeps the passing pairs it has.
MAX_CELLS = 400_000  # sentence pairs compared (about 630 matchable sentences a side)
MAX_SHARED = 4_000_000  # shared-shingle occurrences expanded while counting overlaps
# Pairs kept per sentence and article pair: a run of variants of one template passes with every
# sentence of the other article (400,000 links for two articles of 630 sentences, and clustering
# them took 17.6 GB); reuse maps a sentence to one or two (a merge, a split).
PER_SENTENCE = 4


def strongest(kept: list[Aligned]) -> list[Aligned]:
    """The pairs among the ``PER_SENTENCE`` closest of their sentence on either side (closest by
    Jaccard, then shingles in common, then reading order): a function of the two articles, and every
    sentence that was aligned stays aligned, so coverage does not change."""
    if len(kept) <= 1:  # most pairs: one outlet's two articles sharing a house line
        return kept
    rank = sorted(kept, key=lambda p: (-p.jaccard, -p.shared, p.a, p.b))
    seen_a: dict[int, int] = {}
    seen_b: dict[int, int] = {}
    out = []
    for p in rank:
        if seen_a.get(p.a, 0) < PER_SENTENCE or seen_b.get(p.b, 0) < PER_SENTENCE:
            out.append(p)
        seen_a[p.a] = seen_a.get(p.a, 0) + 1
        seen_b[p.b] = seen_b.get(p.b, 0) + 1
    return sorted(out, key=lambda p: (p.a, p.b))


def align_new(
    conn: sqlite3.Connection, links: list[Link], shingles: dict[int, np.ndarray], settings: Settings,
    norms: Mapping[int, str] | None = None,
) -> list[tuple[int, int, float, float, int]]:
    """Align every article pair the new links join; store each pair's figures in ``alignments``.

    Returns the links to store: (sentence_a, sentence_b, jaccard, containment, aligned), ``aligned``
    being 1 for a pair that holds only because its articles align around it. Pairs of articles are
    aligned once, when the later of the two is loaded: both are whole by then. Two articles of one
    outlet keep the passing pairs they have, checked for support only: most such pairs share
    nothing but house lines, and comparing them sentence by sentence would be most of a load's work.
    """
    if not links:
        return []
    article_of = dict(select_in(conn, "select id, article_id from sentences where id in ({})",
                                {n for l in links for n in l[:2]}))
    involved = {article_of[n] for l in links for n in l[:2]}
    heads = {aid: (digest, name) for aid, digest, name in
             select_in(conn, "select id, content_hash, outlet from articles where id in ({})", sorted(involved))}
    out, rows = align_links(links, article_of, heads, sentence_rows(conn, involved), shingles, settings, norms=norms)
    conn.executemany("insert or replace into alignments(article_a, article_b, pairs, anchors, covered_a, covered_b)"
                     " values (?, ?, ?, ?, ?, ?)", rows)
    return out


def align_links(links: list[Link], article_of: Mapping[int, int], heads: Mapping[int, tuple[str, str | None]],
                sentences: list[tuple[int, int, str, str]], shingles: dict[int, np.ndarray], settings: Settings,
                compared: set[int] | None = None, norms: Mapping[int, str] | None = None,
                ) -> tuple[list[tuple[int, int, float, float, int]], list[tuple]]:
    """``align_new`` without the database: the links' articles' ``heads`` (text digest, outlet) and
    ``sentence_rows`` given (``norms``: the normal forms of some of them, made already). Returns the
    links to store and the ``alignments`` rows. ``compared``, the articles given shingle sets, is by
    default ``compared_articles`` of these links' pairs; a part of a load's links passes the whole
    load's, so that it aligns as one call for all would."""
    digest = {aid: d for aid, (d, _) in heads.items()}
    outlet = {aid: name for aid, (_, name) in heads.items()}
    by_pair: dict[tuple[int, int], list[Link]] = {}
    for link in links:
        # Each pair is aligned one way round, decided by content, so that it aligns alike in any load order.
        x, y = article_of[link[0]], article_of[link[1]]
        if (digest[y], y) < (digest[x], x):
            x, y, link = y, x, (link[1], link[0], *link[2:])
        by_pair.setdefault((x, y), []).append(link)
    if compared is None:
        compared = compared_articles(by_pair, outlet)
    texts = _matchable(sentences, {n for pair in by_pair for n in pair}, compared, shingles, settings, norms or {})
    out, rows = [], []
    for (x, y), pair_links in sorted(by_pair.items()):
        mx, my = texts[x], texts[y]
        kept = None
        if x in compared and y in compared and (outlet[x] is None or outlet[x] != outlet[y]):
            kept = align(mx.index(), my.index(), settings, mx.numbers, my.numbers, mx.short, my.short,
                         words_a=mx.words, words_b=my.words)
        if kept is None:  # one outlet's pair, or too large to compare: the passing pairs it has
            kept = _supported(_given(pair_links, mx, my), mx.long, my.long, settings)
        if not kept:  # remembered, so that clustering knows the two texts touch
            rows.append((min(x, y), max(x, y), 0, 0, 0.0, 0.0))
            continue
        kept = strongest(kept)
        for p in kept:
            a, b = mx.ids[p.a], my.ids[p.b]
            out.append((min(a, b), max(a, b), p.jaccard, p.containment, int(not p.anchor)))
        cx, cy = coverage(kept, mx.chars, my.chars, (mx.total, my.total))
        if x > y:
            x, y, cx, cy = y, x, cy, cx
        rows.append((x, y, len(kept), sum(p.anchor for p in kept), round(cx, 4), round(cy, 4)))
    return sorted(set(out)), rows


def sentence_rows(conn: sqlite3.Connection, articles: Iterable[int]) -> list[tuple[int, int, str, str]]:
    """(id, article, text, kind) of the sentences of these articles that can be aligned, in id order.

    Lines already flagged as an outlet's template are included: whether a line is a template is
    decided from its links, so it must be linked whatever was loaded before it."""
    return sorted(select_in(conn, 'select s.id, s.article_id, substr(p.text, s.start + 1, s."end" - s.start), s.kind'
                                  " from sentences s join paragraphs p on p.id = s.paragraph_id"
                                  " where s.article_id in ({}) and s.kind in ('text', 'title', 'template', 'short')",
                            sorted(articles)))


def compared_articles(pairs: Iterable[tuple[int, int]], outlet: Mapping[int, str | None]) -> set[int]:
    """The articles of pairs of two outlets (or without one): only they are aligned sentence by
    sentence, so only their sentences need shingle sets."""
    return {n for x, y in pairs if outlet[x] is None or outlet[x] != outlet[y] for n in (x, y)}


@dataclass
class Matchable:
    """An article's sentences that can be aligned, in reading order."""

    ids: list[int]
    sets: list[np.ndarray]
    numbers: list[frozenset[str]]
    chars: list[int]
    short: list[bool]  # too short to anchor
    sizes: list[int]  # shingles in each
    words: list[frozenset[str]]  # word_stems of each
    weights: list[float]  # letters' worth of each character (more than 1 in Chinese, Japanese, Korean)
    _index: _Index | None = None
    _row: dict[int, int] | None = None

    @property
    def row(self) -> dict[int, int]:
        """Sentence id -> row, built once however many pairs the article is in."""
        if self._row is None:
            self._row = {s: i for i, s in enumerate(self.ids)}
        return self._row

    @cached_property
    def long(self) -> int:
        return len(self.ids) - sum(self.short)

    @cached_property
    def total(self) -> int:
        return sum(self.chars)

    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self.sets, self.weights if any(w != 1 for w in self.weights) else None)
        return self._index


def _matchable(rows: list[tuple[int, int, str, str]], articles: set[int], compared: set[int],
               shingles: dict[int, np.ndarray], settings: Settings, known: Mapping[int, str]) -> dict[int, Matchable]:
    """Each article's matchable sentences (``sentence_rows``) in reading order; shingle sets only for
    ``compared`` ones, or where ``shingles`` has them; normal forms ``known`` or made here."""
    norms = [known.get(sid) or normal_form(text) for sid, _, text, *_ in rows]
    missing = [i for i, (sid, aid, *_) in enumerate(rows) if sid not in shingles and aid in compared]
    computed = dict(zip(missing, shingle_sets([norms[i] for i in missing], settings.k)))
    by_article: dict[int, Matchable] = {a: Matchable([], [], [], [], [], [], [], []) for a in articles}
    empty = np.zeros(0, dtype=np.uint32)
    for i, (sid, aid, text, kind) in enumerate(rows):
        m = by_article[aid]
        m.ids.append(sid)
        m.sets.append(shingles[sid] if sid in shingles else computed.get(i, empty))
        m.numbers.append(stated_numbers(text, norms[i]))
        m.chars.append(len(norms[i]))
        m.short.append(kind == "short")
        m.sizes.append(max(len(norms[i]) - settings.k + 1, 0))  # an upper bound where the set is not made
        m.words.append(word_stems(norms[i]) if aid in compared else frozenset())  # only compared ones align
        m.weights.append(matchable_length(norms[i]) / len(norms[i]) if norms[i] else 1.0)
    return by_article


def _given(links: list[Link], mx: Matchable, my: Matchable) -> list[Aligned]:
    """The passing pairs of two articles (first sentence in ``mx``), as aligned anchors, but for those
    whose numbers share none."""
    kept = []
    for a, b, j, c in links:
        i, k = mx.row[a], my.row[b]
        if _numbers_disagree(mx.numbers, my.numbers, i, k):
            continue
        size_a, size_b = len(mx.sets[i]) or mx.sizes[i], len(my.sets[k]) or my.sizes[k]
        shared = j * (size_a + size_b) / (1 + j) * min(mx.weights[i], my.weights[k])  # from Jaccard
        kept.append(Aligned(i, k, j, c, True, round(shared)))
    return sorted(kept, key=lambda p: (p.a, p.b))
