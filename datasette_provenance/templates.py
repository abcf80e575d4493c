"""An outlet's templates: lines it repeats near-verbatim across its *unrelated* stories (footers,
standfirsts, house paragraphs, editors' notes), found from the links between them rather than from
patterns.

They are kept in the text but flagged (``sentences.kind = 'template'``) and leave the clusters:
an outlet's own footer in two articles is not one article taking text from the other.

Versions of one story are not templates. An agency files a first take, a write-through, updates and
a full version within hours, sharing most sentences; counted by articles, those sentences look like
house lines, and the story would leave its clusters with the newspapers that copied it. So a line
counts once per story: two articles carrying it are separate stories only when their alignment
covers little of either beyond the line. The numbers behind the bars: of 3,841 same-outlet article
pairs that share only house lines (``scripts/synth_reuse.py`` natural, seeds 1, 3, 7;
``scripts/wire_sim.py`` 24 stories, seeds 1-3), none covers more than 0.16 of either article, and
20 pairs of unrelated stories that also share a story sentence reach 0.34; the 12 simulated
story/update pairs cover 0.67-0.97 of one side, the ferry story's versions in
``tests/test_templates.py`` 0.70-1.0. ``STORY_SHARE`` sits in that gap. The first take against
the later versions, which rewrote its lead, covers 0.47: hence the day asked of the two-article
rule (versions come hours apart; wire_sim's updates 1-10 hours).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
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
                if article_of[m] == article_of[n] or similarity(n, m) < TEMPLATE_JACCARD:
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
    one of them outside the paragraphs that hold the line in question (a version shares its lead
    and background besides; a brief that is mostly footer shares nothing else), or ``WHOLE_SHARE``
    of one in all (a one-paragraph web item is the line itself, and lies wholly inside the story it
    opens). Figures come from ``alignments`` and ``links``, fixed once both articles are loaded.
    """

    def __init__(self, conn: sqlite3.Connection | None):
        self.conn = conn
        self._partners: dict[int, set[int]] = {}  # articles of its outlet covering half of it, or it of them
        self._covered: dict[tuple[int, int], tuple[float, float]] = {}
        self._sentences: dict[int, dict[int, tuple[int, int]]] = {}  # article -> sentence -> (paragraph, chars)
        self._paragraphs: dict[int, dict[int, int]] = {}  # article -> paragraph -> chars
        self._aligned: dict[tuple[int, int], dict[int, tuple[int, dict[int, int]]]] = {}
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
            sentences, paragraphs = self._sentences[side], self._paragraphs[side]
            line = {sentences[c][0] for c in copies if c in sentences}  # paragraphs holding the line
            shared, shared_in = aligned[side]
            rest = sum(paragraphs.values()) - sum(paragraphs[p] for p in line)
            if rest > 0 and shared - sum(shared_in.get(p, 0) for p in line) >= STORY_SHARE * rest:
                return True
        return False

    def _pair(self, a: int, b: int) -> dict[int, tuple[int, dict[int, int]]]:
        """Per side, the characters aligned with the other article: in all, and by paragraph."""
        if (a, b) not in self._aligned:
            self._load([x for x in (a, b) if x not in self._sentences])
            in_a, in_b = self._sentences[a], self._sentences[b]
            ends = {n for s, t in select_in(self.conn, "select sentence_a, sentence_b from links where sentence_a in ({0})"
                                                       " union all select sentence_a, sentence_b from links"
                                                       " where sentence_b in ({0})", sorted(in_a), repeat=2)
                    if (s in in_a and t in in_b) or (s in in_b and t in in_a) for n in (s, t)}
            self._aligned[a, b] = {}
            for side, sentences in ((a, in_a), (b, in_b)):
                by_paragraph: dict[int, int] = defaultdict(int)
                for n in ends & sentences.keys():
                    by_paragraph[sentences[n][0]] += sentences[n][1]
                self._aligned[a, b][side] = sum(by_paragraph.values()), by_paragraph
        return self._aligned[a, b]

    def _load(self, articles: list[int]) -> None:
        """Each article's matchable sentences (as the alignment counts them) and their lengths."""
        for a in articles:
            self._sentences[a], self._paragraphs[a] = {}, defaultdict(int)
        for sid, aid, pid, text in select_in(
                self.conn, 'select s.id, s.article_id, s.paragraph_id, substr(p.text, s.start + 1, s."end" - s.start)'
                           " from sentences s join paragraphs p on p.id = s.paragraph_id where s.article_id in ({})"
                           " and s.kind in ('text', 'title', 'template', 'short')", articles):
            chars = len(normal_form(text))
            self._sentences[aid][sid] = (pid, chars)
            self._paragraphs[aid][pid] += chars


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
