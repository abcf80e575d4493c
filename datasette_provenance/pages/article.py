"""``/<db>/-/provenance/article/<id>``: one article with its reused passages and credits marked.

Reused passages are the article's cluster_members spans (offsets in paragraphs.text, placed in
the article through paragraphs.start); credits are its attributions (offsets in articles.text).
Statements that follow each other in the article and are shared with the same articles are listed
as one shared passage (``shared_passages``): a copied story reads as the one or few passages it
took, not as a list of its sentences. Each lists the first ``MAX_OTHERS`` articles it is also in, in the
cluster page's order (dated first, by time), and counts them all (``others_total``): the rest are there.
The HTML is cut at every span boundary and each piece escaped on its own. Its derivations are listed
as "Derived from" and "Taken by", each with its one-line verdict (``cluster.verdict_line``); one whose
direction nothing decided is listed, on both its articles, under "Shares text with" instead. "Taken
by" and "Shares text with" are paged (``?taken_page=``, ``?shares_page=``): a story in thousands of papers.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from urllib.parse import urlsplit

from datasette.utils.asgi import NotFound
from markupsafe import Markup

from .common import (
    Urls, base_context, cluster_label, evidence_clusters, evidence_html, evidence_json, html, int_param,
    json_response, open_database, page_param, rows, rows_in, statement_labels, timeline_key, wants_json,
)
from .cluster import is_undirected, verdict_line

ROUTE = r"^/(?P<database>[^/]+)/-/provenance/article/(?P<id>[^/]+?)(\.(?P<format>json))?$"
TABLES = ("articles", "paragraphs", "clusters", "cluster_members", "attributions", "derivations")
MAX_OTHERS = 20  # other articles listed per passage; the cluster page lists them all


async def view(datasette, request):
    db = await open_database(datasette, request, TABLES)
    aid = int_param(request.url_vars["id"], "Article")
    urls = Urls(datasette, db.name)
    found = await rows(db, "select id, external_id, outlet, url, published, published_precision, title, text,"
                           " reuse_share from articles where id = ?", [aid])
    if not found:
        raise NotFound("Article not found")
    article = found[0]
    paragraphs = await rows(db, "select id, position, start, text, boilerplate, kind from paragraphs"
                                " where article_id = ? order by position", [aid])
    spans = await rows(db, """
        select m.cluster_id, m.paragraph_id, m.sentence_id, m.start, m."end", c.articles as cluster_articles,
               c.outlets as cluster_outlets, c.text as cluster_text
        from cluster_members m join clusters c on c.id = m.cluster_id
        where m.article_id = ?
    """, [aid])
    start_of = {p["id"]: p["start"] for p in paragraphs}
    text_of = {p["id"]: p["text"] for p in paragraphs}
    position_of = {p["id"]: p["position"] for p in paragraphs}
    spans.sort(key=lambda s: (position_of.get(s["paragraph_id"], 0), s["start"], s["cluster_id"]))

    others = defaultdict(dict)
    partners = defaultdict(set)  # every other article of each statement, for telling passages apart
    sharing = await rows_in(db, """
        select m.cluster_id, m.article_id, a.outlet, a.title, a.published
        from cluster_members m join articles a on a.id = m.article_id
        where m.cluster_id in ({}) and m.article_id != ?
    """, [s["cluster_id"] for s in spans], extra=[aid])
    # In the cluster page's order (dated first, by time, then undated): SQL would put NULL dates first.
    for r in sorted(sharing, key=timeline_key):
        partners[r["cluster_id"]].add(r["article_id"])
        if len(others[r["cluster_id"]]) < MAX_OTHERS:
            others[r["cluster_id"]].setdefault(r["article_id"], {
                "article_id": r["article_id"], "outlet": r["outlet"], "title": r["title"],
                "published": r["published"], "url": urls.article(r["article_id"]),
            })
    passages = []
    for n, s in enumerate(spans, 1):
        ptext = text_of.get(s["paragraph_id"], "")
        passages.append({
            "number": n,
            "cluster_id": s["cluster_id"],
            "cluster_url": urls.cluster(s["cluster_id"]),
            "cluster_label": cluster_label(s["cluster_text"]),
            "cluster_articles": s["cluster_articles"],
            "cluster_outlets": s["cluster_outlets"],
            "paragraph_id": s["paragraph_id"],
            "sentence_id": s["sentence_id"],
            "start": s["start"],
            "end": s["end"],
            "article_start": start_of.get(s["paragraph_id"], 0) + s["start"],
            "article_end": start_of.get(s["paragraph_id"], 0) + s["end"],
            "text": ptext[s["start"]:s["end"]],
            "others": list(others[s["cluster_id"]].values()),
            "others_total": len(partners[s["cluster_id"]]),  # "others" stops at MAX_OTHERS
            # The first passage of each statement is the target of the cluster page's links.
            "anchor": None if any(q["cluster_id"] == s["cluster_id"] for q in passages)
            else f"passage-cluster-{s['cluster_id']}",
        })

    shared = shared_passages(passages, partners, article["text"], paragraphs)

    attributions = await rows(db, "select * from attributions where article_id = ? order by start, id", [aid])
    derived_from = await rows(db, """
        select d.id, d.source_article_id, d.source_name, d.relation, d.extent, d.shared_chars, d.confidence,
               d.evidence, a.outlet as source_outlet, a.title as source_title, a.published as source_published
        from derivations d left join articles a on a.id = d.source_article_id
        where d.derived_article_id = ? order by d.confidence desc, d.id
    """, [aid])
    sources_for = await rows(db, """
        select d.id, d.derived_article_id, d.relation, d.extent, d.shared_chars, d.confidence, d.evidence,
               a.outlet as derived_outlet, a.title as derived_title, a.published as derived_published
        from derivations d join articles a on a.id = d.derived_article_id
        where d.source_article_id = ? order by d.confidence desc, d.id
    """, [aid])
    this = article["outlet"] or f"article {aid}"
    raw = {}
    for d in derived_from + sources_for:
        raw[d["id"]] = d["evidence"]
        d["evidence"] = evidence_json(d["evidence"])
        d["undirected"] = is_undirected(d["relation"], d["evidence"])
    # An agency's story in thousands of papers: "Taken by" (and what shares text without a direction)
    # a page at a time, their evidence rendered for that page only.
    taken_page, shares_page = page_param(request, "taken_page"), page_param(request, "shares_page")
    shares_text_with = [d for d in derived_from + sources_for if d["undirected"]]
    derived_from = [d for d in derived_from if not d["undirected"]]
    sources_for = [d for d in sources_for if not d["undirected"]]
    taken_info, shares_info = taken_page.info(len(sources_for)), shares_page.info(len(shares_text_with))
    sources_for = taken_page.of(sources_for)
    shares_text_with = shares_page.of(shares_text_with)
    labels = await statement_labels(db, set().union(*(evidence_clusters(d["evidence"])
                                                      for d in derived_from + sources_for + shares_text_with)))
    for d in derived_from + sources_for + shares_text_with:
        d["evidence_html"] = evidence_html(raw[d["id"]], urls, labels)  # HTML only: dropped from .json below
        taken = "derived_outlet" in d  # a row of "Taken by": this article is its source
        other = d["derived_article_id"] if taken else d["source_article_id"]
        d["url"] = urls.article(other) if other else None
        d["other_article_id"] = other
        d["other_name"] = (d["derived_outlet"] if taken else d["source_outlet"] or d["source_name"]) \
            or (f"article {other}" if other else None)
        if d["undirected"]:  # no direction decided: the other article, whichever side the row has it
            d["summary"] = verdict_line(d["relation"], d["evidence"], this, d["other_name"])
        else:
            d["summary"] = verdict_line(d["relation"], d["evidence"], d["other_name"] if taken else this,
                                        this if taken else d["other_name"])

    data = {
        "database": db.name,
        "article": article,
        "paragraphs": paragraphs,
        "passages": passages,
        "shared_passages": shared,
        "attributions": attributions,
        "derived_from": derived_from,
        "sources_for": sources_for,
        "sources_for_pagination": taken_info,
        "shares_text_with": shares_text_with,
        "shares_text_with_pagination": shares_info,
    }
    if wants_json(request):
        for d in derived_from + sources_for + shares_text_with:
            del d["evidence_html"]
        return json_response(data)
    shown = []
    for p in paragraphs:
        shown.append({**p, "html": mark_paragraph(p, [q for q in passages if q["paragraph_id"] == p["id"]],
                                                 attributions)})
    context = base_context(db.name, urls, article["title"] or f"Article {aid}", urls.article(aid, "json"))
    context.update(data)
    context["shown_paragraphs"] = shown
    context["outlet_url"] = urls.outlet(article["outlet"]) if article["outlet"] else None
    context["original_url"] = web_url(article["url"])
    return await html(datasette, request, "provenance_article.html", context)


GAP_LETTERS = 40  # letters of the article's own text between two statements that part them (a sentence)


def shared_passages(passages: list[dict], partners: dict[int, set[int]], text: str,
                    paragraphs: list[dict]) -> list[dict]:
    """Runs of statements (``passages``, in reading order) shared with the same articles, with no
    sentence of the article's own text between them (boilerplate lines do not part them)."""
    groups: list[dict] = []
    starts = [p["start"] for p in paragraphs]
    for q in passages:
        last = groups[-1] if groups else None
        if (last is None or partners[q["cluster_id"]] != last["partners"]
                or _own_letters(text, paragraphs, starts, last["article_end"], q["article_start"]) >= GAP_LETTERS):
            last = {"number": len(groups) + 1, "statements": [], "clusters": [], "partners": partners[q["cluster_id"]],
                    "article_start": q["article_start"], "article_end": q["article_end"], "others": q["others"],
                    "others_total": q["others_total"], "cluster_url": q["cluster_url"]}
            groups.append(last)
        last["statements"].append(q["number"])
        if q["cluster_id"] not in last["clusters"]:
            last["clusters"].append(q["cluster_id"])
        last["article_end"] = max(last["article_end"], q["article_end"])
    for g in groups:
        g["text"] = text[g["article_start"]:g["article_end"]]
        g["articles"] = len(g.pop("partners"))
    return groups


def _own_letters(text: str, paragraphs: list[dict], starts: list[int], start: int, end: int) -> int:
    """Letters between two offsets of the article, outside its boilerplate paragraphs (in reading order:
    only those the gap reaches are looked at, so a long article's passages cost no more than its text)."""
    count = 0
    first = max(bisect_right(starts, start) - 1, 0)
    for p in paragraphs[first:]:
        if p["start"] >= end:
            break
        lo, hi = max(start, p["start"]), min(end, p["start"] + len(p["text"]))
        if lo < hi and not p["boilerplate"]:
            count += sum(ch.isalpha() for ch in text[lo:hi])
    return count


def mark_paragraph(paragraph: dict, passages: list[dict], attributions: list[dict]) -> Markup:
    """The paragraph as escaped HTML, reused passages as links to their cluster, credits underlined."""
    text = paragraph["text"]
    base = paragraph["start"]
    reuse = [(max(0, q["start"]), min(len(text), q["end"]), q) for q in passages]
    credits = [(max(0, a["start"] - base), min(len(text), a["end"] - base), a) for a in attributions]
    credits = [c for c in credits if c[0] < c[1]]
    reuse = [r for r in reuse if r[0] < r[1]]
    cuts = sorted({0, len(text)} | {x for s, e, _ in reuse + credits for x in (s, e)})
    out: list[Markup] = []
    for x, y in zip(cuts, cuts[1:]):
        piece = Markup.escape(text[x:y])
        credit = next((a for s, e, a in credits if s <= x and y <= e), None)
        if credit is not None:
            piece = Markup('<span class="credit" title="Credit: {}">{}</span>').format(credit["source_name"], piece)
        here = [q for s, e, q in reuse if s <= x and y <= e]
        if here:
            q = here[0]
            names = ", ".join(sorted({o["outlet"] or "?" for o in q["others"]}))
            more = q["others_total"] - len(q["others"])
            names += f" and {more} more articles" if more > 0 else ""
            piece = Markup('<a class="reuse" href="{}" data-passage="{}" title="Shared with {}">{}</a>').format(
                q["cluster_url"], q["number"], names or "other articles", piece)
        out.append(piece)
        for s, e, q in reuse:
            if e == y:
                out.append(Markup('<sup class="passage-ref"><a href="#passage-{0}">{0}</a></sup>').format(q["number"]))
    return Markup("").join(out)


def web_url(url: str | None) -> str | None:
    """The article's own address, only when it is an http(s) link: never a javascript: or data: one."""
    if not url:
        return None
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    return cleaned if urlsplit(cleaned).scheme.lower() in ("http", "https") else None
