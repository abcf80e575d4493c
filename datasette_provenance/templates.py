"""An outlet's templates: lines it repeats near-verbatim across its articles (footers, standfirsts,
house paragraphs), found from the links between them rather than from patterns.

They are kept in the text but flagged (``sentences.kind = 'template'``) and leave the clusters:
an outlet's own footer in two articles is not one article taking text from the other.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable

from .store import select_in

TEMPLATE_ARTICLES = 3  # one outlet repeating a near-identical line in this many articles: boilerplate
EDGE_PARAGRAPHS = 2  # paragraphs at either end of an article where templates (footers, standfirsts) live
TEMPLATE_JACCARD = 0.8


def outlet_templates(
    group: list[int],
    article_of: dict[int, int],
    outlet_of: dict[int, str | None],
    similarity: Callable[[int, int], float],
    at_edge: Callable[[int], bool] = lambda n: False,
    neighbours: dict[int, set[int]] | None = None,
    conn: sqlite3.Connection | None = None,
) -> set[int]:
    """Members that are one outlet's boilerplate: near-identical across several of its articles.

    Three articles are enough anywhere; two when the line closes or opens both articles, where
    footers and standfirst templates live. With ``neighbours`` (the linked sentences of each
    member) only linked pairs are compared: a near-identical pair is always a link, and an outlet's
    footer in thousands of articles would otherwise cost a quadratic number of comparisons.
    ``conn``, when given, is the corpus: what else the articles share and when they appeared.
    """
    by_outlet: dict[str, list[int]] = defaultdict(list)
    for n in group:
        if outlet_of[n]:
            by_outlet[outlet_of[n]].append(n)
    flagged: set[int] = set()
    for outlet, nodes in by_outlet.items():
        if len({article_of[n] for n in nodes}) < 2:
            continue
        for n in nodes:
            near = nodes if neighbours is None else (m for m in neighbours.get(n, ()) if outlet_of.get(m) == outlet)
            articles = {article_of[n]}
            for m in near:  # stop at the first proof: a footer has thousands of twins
                if article_of[m] in articles or similarity(n, m) < TEMPLATE_JACCARD:
                    continue
                articles.add(article_of[m])
                if len(articles) >= TEMPLATE_ARTICLES or (at_edge(n) and at_edge(m)):
                    flagged.add(n)
                    break
    return flagged


def mark_templates(conn: sqlite3.Connection, templates: set[int]) -> None:
    if not templates:
        return
    select_in(conn, "update sentences set kind = 'template' where id in ({})", templates)
    select_in(conn, """update paragraphs set kind = 'template', boilerplate = 1 where id in (
                          select paragraph_id from sentences where id in ({}))
                        and not exists (select 1 from sentences s where s.paragraph_id = paragraphs.id
                                        and s.kind in ('text', 'title'))""", templates)
