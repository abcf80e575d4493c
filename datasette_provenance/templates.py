"""An outlet's templates: lines it repeats near-verbatim across its *unrelated* stories (footers,
standfirsts, house paragraphs, editors' notes), found from the links between them rather than from
patterns.

They are kept in the text but flagged (``sentences.kind = 'template'``) and leave the clusters:
an outlet's own footer in two articles is not one article taking text from the other.

Versions of one story are not templates. An agency files a first take, a write-through, updates and
a full version within hours, sharing most sentences; counted by articles alone, those sentences
would look like house lines and the story, with the newspapers that copied it, would leave its
clusters. So a repeated line counts once per *story*: two articles carrying it count apart only
when their alignment covers little of either beyond the line itself. Measured on the synthetic
corpora (``scripts/synth_reuse.py``, natural, seeds 1, 3, 7: 3,097 same-outlet pairs sharing only
house lines) and the wire simulation (``scripts/wire_sim.py``, 24 stories, seed 1: 279 such
pairs), a pair sharing only house lines covers at most 0.16 of either article; the agency's story
versions cover 0.60-0.95 of one of the two (0.57-1.0 in ``tests/test_templates.py``'s ferry
story). Half sits in that gap.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from itertools import combinations

from .segment import normal_form
from .store import select_in

TEMPLATE_ARTICLES = 3  # an outlet repeating a near-identical line in this many separate stories: boilerplate
EDGE_PARAGRAPHS = 2  # paragraphs at either end of an article where templates (footers, standfirsts) live
TEMPLATE_JACCARD = 0.8
STORY_SHARE = 0.5  # of an article its outlet's other article covers, outside the line: one story
WHOLE_SHARE = 0.8  # of an article covered in all: a take inside its later version, whatever the line
VERSION_HOURS = 24  # two articles at least this far apart are not versions of one filing


def outlet_templates(
    group: list[int],
    article_of: dict[int, int],
    outlet_of: dict[int, str | None],
    similarity: Callable[[int, int], float],
    at_edge: Callable[[int], bool] = lambda n: False,
    neighbours: dict[int, set[int]] | None = None,
    conn: sqlite3.Connection | None = None,
) -> set[int]:
    """Members that are one outlet's boilerplate: near-identical across several of its stories.

    A line is a template when three of the articles carrying it are pairwise separate stories (see
    ``_Stories``); two are enough when the line closes or opens both and they appeared at least a day
    apart, where footers and standfirst templates live (a first take and its update, hours apart,
    may share little but the line that opens both). The rule only ever grows with the corpus (more
    carriers, never fewer separate pairs), so an incremental load flags what a load at once does.
    With ``neighbours`` (the linked sentences of each member) only linked pairs are compared: a
    near-identical pair is always a link, and an outlet's footer in thousands of articles would
    otherwise cost a quadratic number of comparisons. Without ``conn`` (the corpus) every two
    articles count as separate stories.
    """
    by_outlet: dict[str, list[int]] = defaultdict(list)
    for n in group:
        if outlet_of[n]:
            by_outlet[outlet_of[n]].append(n)
    stories = _Stories(conn)
    flagged: set[int] = set()
    for outlet, nodes in by_outlet.items():
        if len({article_of[n] for n in nodes}) < 2:
            continue
        for n in nodes:
            near = nodes if neighbours is None else (m for m in neighbours.get(n, ()) if outlet_of.get(m) == outlet)
            copies = {n}
            edge = at_edge(n)
            # Greedy sets of articles no alignment relates, for a quick proof (a footer has thousands of twins).
            loose, loose_edge = [article_of[n]], [article_of[n]] if edge else []
            proved = False
            for m in near:
                if m in copies or article_of[m] == article_of[n] or similarity(n, m) < TEMPLATE_JACCARD:
                    continue
                copies.add(m)
                a = article_of[m]
                if a not in loose and not stories.partners(a) & set(loose):
                    loose.append(a)
                if edge and at_edge(m) and a not in loose_edge and not stories.partners(a) & set(loose_edge):
                    if any(stories.far_apart(a, b) for b in loose_edge):
                        proved = True
                        break
                    loose_edge.append(a)
                if len(loose) >= TEMPLATE_ARTICLES:
                    proved = True
                    break
            if proved or stories.template(copies, article_of, at_edge if edge else None):
                flagged.add(n)
    return flagged


class _Stories:
    """Which of an outlet's articles tell one story, read from the corpus's alignments.

    Two articles of one outlet are one story when their alignment covers at least ``STORY_SHARE`` of
    one of them outside the paragraphs that hold the line in question (a house line makes up a
    third of a two-line brief; a version shares its background besides), or ``WHOLE_SHARE`` of one
    in all (a one-paragraph first take is the line itself, and wholly inside its write-through).
    Figures come from ``alignments`` and ``links``, which do not depend on load order.
    """

    def __init__(self, conn: sqlite3.Connection | None):
        self.conn = conn
        self._partners: dict[int, set[int]] = {}  # articles of its outlet covering half of it, or it of them
        self._covered: dict[tuple[int, int], tuple[float, float]] = {}
        self._sentences: dict[int, dict[int, tuple[int, int]]] = {}  # article -> sentence -> (paragraph, chars)
        self._aligned: dict[tuple[int, int], set[int]] = {}  # article pair -> sentences of either aligned
        self._published: dict[int, datetime | None] = {}

    def partners(self, article: int) -> set[int]:
        if self.conn is None:
            return set()
        if article not in self._partners:
            self._partners[article] = set()
            for side in ("article_a", "article_b"):  # each side by its index
                for a, b, ca, cb in self.conn.execute(
                        "select al.article_a, al.article_b, al.covered_a, al.covered_b from alignments al"
                        " join articles x on x.id = al.article_a join articles y on y.id = al.article_b"
                        f" where al.{side} = ? and x.outlet = y.outlet and max(al.covered_a, al.covered_b) >= ?",
                        (article, STORY_SHARE)):
                    self._partners[article].add(b if a == article else a)
                    self._covered[a, b] = ca, cb
        return self._partners[article]

    def far_apart(self, x: int, y: int) -> bool:
        """Published at least ``VERSION_HOURS`` apart, or not known to be closer."""
        if self.conn is None:
            return True
        missing = [a for a in (x, y) if a not in self._published]
        for a, published in select_in(self.conn, "select id, published from articles where id in ({})", missing):
            self._published[a] = _instant(published)
        tx, ty = self._published[x], self._published[y]
        return tx is None or ty is None or abs((tx - ty).total_seconds()) >= VERSION_HOURS * 3600

    def template(self, copies: set[int], article_of: dict[int, int],
                 at_edge: Callable[[int], bool] | None) -> bool:
        """The exact test, on every article carrying ``copies``: three pairwise separate stories, or
        (``at_edge`` given) two at an edge, separate and far apart."""
        carriers = sorted({article_of[c] for c in copies})
        if len(carriers) < 2:
            return False
        separate = _Memo(lambda x, y: not self.one_story(x, y, copies))
        if at_edge is not None:
            edges = sorted({article_of[c] for c in copies if at_edge(c)})
            if any(separate(x, y) and self.far_apart(x, y) for x, y in combinations(edges, 2)):
                return True
        for i, x in enumerate(carriers):
            apart = [y for y in carriers[i + 1:] if separate(x, y)]
            if any(separate(y, z) for j, y in enumerate(apart) for z in apart[j + 1:]):
                return True
        return False

    def one_story(self, x: int, y: int, copies: set[int]) -> bool:
        if y not in self.partners(x):
            return False
        a, b = min(x, y), max(x, y)
        if max(self._covered[a, b]) >= WHOLE_SHARE:
            return True
        aligned = self._pair(a, b)
        for side in (a, b):
            sentences = self._sentences[side]
            line = {sentences[c][0] for c in copies if c in sentences}  # paragraphs holding the line
            rest = [(s, chars) for s, (p, chars) in sentences.items() if p not in line]
            total = sum(chars for _, chars in rest)
            if total and sum(chars for s, chars in rest if s in aligned) >= STORY_SHARE * total:
                return True
        return False

    def _pair(self, a: int, b: int) -> set[int]:
        if (a, b) not in self._aligned:
            self._load([x for x in (a, b) if x not in self._sentences])
            in_a, in_b = self._sentences[a], self._sentences[b]
            self._aligned[a, b] = {
                n for s, t in select_in(self.conn, "select sentence_a, sentence_b from links where sentence_a in ({0})"
                                                   " union all select sentence_a, sentence_b from links"
                                                   " where sentence_b in ({0})", sorted(in_a), repeat=2)
                if (s in in_a and t in in_b) or (s in in_b and t in in_a) for n in (s, t)}
        return self._aligned[a, b]

    def _load(self, articles: Iterable[int]) -> None:
        """Each article's matchable sentences (as the alignment counts them) and their lengths."""
        for a in articles:
            self._sentences[a] = {}
        for sid, aid, pid, text in select_in(
                self.conn, 'select s.id, s.article_id, s.paragraph_id, substr(p.text, s.start + 1, s."end" - s.start)'
                           " from sentences s join paragraphs p on p.id = s.paragraph_id where s.article_id in ({})"
                           " and s.kind in ('text', 'title', 'template', 'short')", list(articles)):
            self._sentences[aid][sid] = (pid, len(normal_form(text)))


class _Memo:
    def __init__(self, fn: Callable[[int, int], bool]):
        self.fn, self.seen = fn, {}

    def __call__(self, x: int, y: int) -> bool:
        key = (min(x, y), max(x, y))
        if key not in self.seen:
            self.seen[key] = self.fn(*key)
        return self.seen[key]


def _instant(published: str | None) -> datetime | None:
    """A stored publication time (UTC; a day for day precision), or None when not to the day."""
    try:
        t = datetime.fromisoformat((published or "").replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def mark_templates(conn: sqlite3.Connection, templates: set[int]) -> None:
    if not templates:
        return
    select_in(conn, "update sentences set kind = 'template' where id in ({})", templates)
    select_in(conn, """update paragraphs set kind = 'template', boilerplate = 1 where id in (
                          select paragraph_id from sentences where id in ({}))
                        and not exists (select 1 from sentences s where s.paragraph_id = paragraphs.id
                                        and s.kind in ('text', 'title'))""", templates)
