"""``/<db>/-/provenance/cluster/<id>``: every wording of one statement, side by side, on a timeline.

Each member's wording is compared word by word with the earliest member's (difflib on normalised
words); the HTML is built piece by piece with ``markupsafe.escape``, so scraped text stays text.
Each derivation between them whose evidence names this statement (``evidence.clusters``) reads as one
line (``verdict_line``: the rule that decided it and its key evidence), its whole evidence folded below;
a link with no direction reads "shares text with". Two articles of a statement may share others too:
derivations about those are not this statement's evidence, only counted, with links to their statements.
"""

from __future__ import annotations

import re
from collections import defaultdict
from difflib import SequenceMatcher
from typing import Any

from datasette.utils.asgi import NotFound
from markupsafe import Markup

from ..segment import normalise
from .charts import chart_links
from .common import (
    Urls, base_context, cluster_label, evidence_clusters, evidence_html, evidence_json, html, int_param,
    json_response, open_database, page_param, rows, rows_in, same_day_tie, statement_labels, timeline_key, wants_json,
)

ROUTE = r"^/(?P<database>[^/]+)/-/provenance/cluster/(?P<id>[^/]+?)(\.(?P<format>json))?$"
TABLES = ("clusters", "cluster_members", "paragraphs", "articles", "derivations")
MAX_DERIVATIONS = 200
MAX_TIES = 50  # outlets named as tied with a member on its day
MAX_ELSEWHERE = 20  # other statements linked from the note on derivations about them
_TOKEN = re.compile(r"\S+")


async def view(datasette, request):
    db = await open_database(datasette, request, TABLES)
    cid = int_param(request.url_vars["id"], "Cluster")
    urls = Urls(datasette, db.name)
    page = page_param(request)
    found = await rows(db, "select * from clusters where id = ?", [cid])  # * : later columns (speaker) too
    if not found:
        raise NotFound("Cluster not found")
    cluster = found[0]
    members = await rows(db, """
        select m.sentence_id, m.paragraph_id, m.article_id, m.start, m."end", p.start as paragraph_start,
               p.text as paragraph_text, a.outlet, a.title, a.url, a.published, a.published_precision
        from cluster_members m
        join paragraphs p on p.id = m.paragraph_id
        join articles a on a.id = m.article_id
        where m.cluster_id = ?
    """, [cid])
    members.sort(key=timeline_key)
    for m in members:
        m["text"] = m.pop("paragraph_text")[m["start"]:m["end"]]
        m["article_start"] = m["paragraph_start"] + m["start"]
        m["article_end"] = m["paragraph_start"] + m["end"]
        m["article_url"] = urls.article(m["article_id"])
        m["outlet_url"] = urls.outlet(m["outlet"]) if m["outlet"] else None
    origin = members[0] if members else None
    pagination = page.info(len(members))
    shown = page.of(members)
    by_day = defaultdict(list)  # a story in 2,000 papers: ties and diffs for the page shown, not every pair
    for o in members:
        by_day[(o["published"] or "")[:10]].append(o)
    for m in {id(m): m for m in [origin, *shown] if m}.values():
        m["day_tie_with"] = sorted({o["outlet"] or f"article {o['article_id']}" for o in by_day[(m["published"] or "")[:10]]
                                    if o["article_id"] != m["article_id"] and same_day_tie(m, o)})[:MAX_TIES]
    for m in members:
        m["is_origin"] = m is origin
    origin_info = None
    if origin is not None:
        origin_info = {
            "article_id": origin["article_id"],
            "outlet": origin["outlet"],
            "published": origin["published"],
            "published_precision": origin["published_precision"],
            "dated": bool(origin["published"]),
            "uncertain": bool(origin["day_tie_with"]) or not origin["published"],
            "tied_with": origin["day_tie_with"],
            "article_url": origin["article_url"],
        }
        marked = _base_marks(origin["text"], sorted({m["text"] for m in members
                                                     if m["article_id"] != origin["article_id"]})[:MAX_DERIVATIONS])
        for m in shown:
            if m is origin:
                m["diff"] = [{"op": "equal" if shared else "unshared", "text": t} for t, shared in marked]
                m["similarity_to_origin"] = 1.0
            else:
                m["diff"], m["similarity_to_origin"] = word_diff(origin["text"], m["text"])

    article_ids = sorted({m["article_id"] for m in members})
    derivations = await rows_in(db, """
        select d.id, d.derived_article_id, d.source_article_id, d.source_name, d.relation, d.extent,
               d.shared_chars, d.confidence, d.evidence, da.outlet as derived_outlet,
               sa.outlet as source_outlet
        from derivations d
        join articles da on da.id = d.derived_article_id
        left join articles sa on sa.id = d.source_article_id
        where d.derived_article_id in ({})
    """, article_ids)
    inside = set(article_ids)
    derivations = [d for d in derivations if d["source_article_id"] is None or d["source_article_id"] in inside]
    # Two articles of this statement may share others too: a derivation is this statement's evidence
    # only when its evidence names it among its clusters; the rest are counted, with their statements.
    named = {d["id"]: evidence_clusters(evidence_json(d["evidence"])) for d in derivations}
    elsewhere = [named[d["id"]] for d in derivations if cid not in named[d["id"]]]
    derivations = [d for d in derivations if cid in named[d["id"]]]
    derivations.sort(key=lambda d: (-(d["confidence"] or 0), d["id"]))
    truncated = len(derivations) > MAX_DERIVATIONS
    derivations = derivations[:MAX_DERIVATIONS]
    labels = await statement_labels(db, set().union(*(named[d["id"]] for d in derivations)))
    for d in derivations:
        d["evidence_html"] = evidence_html(d["evidence"], urls, labels)  # HTML only: dropped from .json below
        d["evidence"] = evidence_json(d["evidence"])
        d["undirected"] = is_undirected(d["relation"], d["evidence"])
        source = d["source_outlet"] or d["source_name"] or (
            f"article {d['source_article_id']}" if d["source_article_id"] else None)
        d["summary"] = verdict_line(d["relation"], d["evidence"],
                                    d["derived_outlet"] or f"article {d['derived_article_id']}", source)
        d["derived_url"] = urls.article(d["derived_article_id"])
        d["source_url"] = urls.article(d["source_article_id"]) if d["source_article_id"] else None

    data = {
        "database": db.name,
        "cluster": cluster,
        "label": cluster_label(cluster["text"]),
        "origin": origin_info,
        "members": [{k: v for k, v in m.items() if k != "paragraph_text"} for m in shown],
        "members_pagination": pagination,
        "derivations": derivations,
        "derivations_truncated": truncated,
        "derivations_elsewhere": await _elsewhere(db, urls, cid, elsewhere),
    }
    if wants_json(request):
        for d in derivations:
            del d["evidence_html"]
        return json_response(data)
    for m in shown:
        m["diff_html"] = render_diff(m["diff"])
    context = base_context(db.name, urls, cluster_label(cluster["text"]) or f"Statement {cid}", urls.cluster(cid, "json"))
    context.update(data)
    context["members"] = shown
    context["cluster_outlets"] = sorted({m["outlet"] or "(unknown)" for m in members})
    context["chart"] = chart_links(urls, "cluster", cid, f"The articles of statement {cid} by publication time")
    return await html(datasette, request, "provenance_cluster.html", context)


async def _elsewhere(db, urls: Urls, cid: int, named: list[set[int]]) -> dict:
    """The derivations between a statement's articles that concern other statements (``named``: the
    statements each names): how many, and those statements, whose pages show them (by id, the first
    ``MAX_ELSEWHERE`` that exist)."""
    ids = sorted(set().union(*named) - {cid})
    found = await statement_labels(db, ids)
    shown = [c for c in ids if c in found]
    return {
        "count": len(named),
        "without_statement": sum(not n for n in named),
        "statement_count": len(shown),
        "statements": [{"id": c, "label": found[c], "url": urls.cluster(c)} for c in shown[:MAX_ELSEWHERE]],
    }


def _tokens(text: str) -> list[tuple[int, int, str]]:
    out = []
    for t in _TOKEN.finditer(text):
        key = normalise(t.group())[0] or t.group()
        out.append((t.start(), t.end(), key))
    return out


def word_diff(base: str, text: str) -> tuple[list[dict], float]:
    """Word-level opcodes turning ``base`` into ``text``: equal / delete (base only) / insert (text only)."""
    a, b = _tokens(base), _tokens(text)
    sm = SequenceMatcher(None, [t[2] for t in a], [t[2] for t in b], autojunk=False)
    out: list[dict] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.append({"op": "equal", "text": text[b[j1][0]:b[j2 - 1][1]]})
            continue
        if tag in ("delete", "replace"):
            out.append({"op": "delete", "text": base[a[i1][0]:a[i2 - 1][1]]})
        if tag in ("insert", "replace"):
            out.append({"op": "insert", "text": text[b[j1][0]:b[j2 - 1][1]]})
    return out, round(sm.ratio(), 3)


def _base_marks(base: str, others: list[str]) -> list[tuple[str, bool]]:
    """The earliest wording cut into runs of words that some later wording shares, or none does."""
    a = _tokens(base)
    if not a:
        return [(base, False)] if base else []
    shared = [False] * len(a)
    for other in others:
        sm = SequenceMatcher(None, [t[2] for t in a], [t[2] for t in _tokens(other)], autojunk=False)
        for i, _, size in sm.get_matching_blocks():
            for k in range(i, i + size):
                shared[k] = True
    runs: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, len(a) + 1):
        if i == len(a) or shared[i] != shared[start]:
            runs.append((base[a[start][0]:a[i - 1][1]], shared[start]))
            start = i
    return runs


_TAGS = {"equal": "mark", "delete": "del", "insert": "ins"}


def render_diff(ops: list[dict]) -> Markup:
    """Escaped HTML of diff opcodes: <mark> shared words, <del> words only the earliest has, <ins> new ones."""
    parts = []
    for op in ops:
        tag = _TAGS.get(op["op"])
        if tag:
            parts.append(Markup("<{0}>{1}</{0}>").format(Markup(tag), op["text"]))
        else:
            parts.append(Markup('<span class="unshared">{}</span>').format(op["text"]))
    return Markup(" ").join(parts)


# ---------------------------------------------------------------- one line per derivation

_RELATION_WORDS = {"copied": "copied", "common-source": "common source", "same-outlet": "same outlet",
                   "undetermined": "shares text"}


def is_undirected(relation: Any, evidence: Any) -> bool:
    """A link whose direction nothing decided: relation ``undetermined``, or evidence saying so."""
    return relation == "undetermined" or (isinstance(evidence, dict) and evidence.get("direction") == "undetermined")


def verdict_line(relation: Any, evidence: Any, derived: str | None = None, source: str | None = None) -> str:
    """The rule that decided a derivation and its key evidence, in one plain-text line.

    ``evidence`` is the parsed ``derivations.evidence``; ``derived`` / ``source`` name the two sides
    (outlet, or the upstream's name). Every value is read defensively (the evidence is untrusted data
    of any shape) and the line is plain text: the template escapes it. An undirected link is worded
    as shared text, never as a direction.
    """
    ev = evidence if isinstance(evidence, dict) else {}
    pairs = ev.get("pairs") if isinstance(ev.get("pairs"), list) else []
    pair = next((p for p in pairs if isinstance(p, dict)), {})  # a common-source row keeps its rule per pair
    rule = _text(ev.get("decided_by")) or _text(pair.get("decided_by"))
    relation = _text(relation) or "unknown"
    label = _RELATION_WORDS.get(relation, relation)
    derived, source = _text(derived) or "this article", _text(source) or "the source"
    gap = _gap(ev.get("time_gap_hours"), ev.get("precision"))
    contained = _percent(ev.get("containment_derived"))
    parts: list[str] = []
    if is_undirected(relation, ev):
        head = "same outlet, " if relation == "same-outlet" or rule == "same outlet" else ""
        parts.append(f"{head}shares text with {source}: direction undetermined")
        count = _count(ev.get("other_count"))
        if count:
            parts.append(f"{count} other article{'s' if count != 1 else ''} share it too")
    elif rule == "same outlet":
        direction = _text(ev.get("direction"))
        parts.append(f"same outlet: {direction}" if direction else
                     f"same outlet: published {gap} later" if gap else "same outlet: published later")
    elif rule.startswith("both credit "):
        parts.append(f"{label}: {rule}")
    elif rule.startswith("shared text is a quoted statement"):
        speaker = _text(ev.get("speaker")) or _text(pair.get("speaker")) or _text(ev.get("upstream")) or source
        parts.append(f"{label}: both quote {speaker}")
        mine, theirs = _names(pair.get("credits_derived", ev.get("credits_derived"))), \
            _names(pair.get("credits_other", ev.get("credits_other")))
        if mine or theirs:
            other = _text(pair.get("other_outlet", ev.get("other_outlet")))
            parts.append(f"credits: {derived}: {', '.join(mine) or 'none'}"
                         f" / {other or 'the other'}: {', '.join(theirs) or 'none'}")
    elif rule.startswith("an agency's text goes to its clients"):
        roles = ev.get("roles") if isinstance(ev.get("roles"), dict) else {}
        other_role = _text(roles.get("other"))
        parts.append(f"{label}: {source} is an {other_role if other_role.startswith('agency') else 'agency'},"
                     f" its text goes to its clients")
        if "agency's story is later" in rule:
            later = _gap(-(_number(ev.get("time_gap_hours")) or 0), ev.get("precision"))
            parts.append("the agency's story is later: it repeats text of its own"
                         + (f" ({later} later)" if later else ""))
        elif gap:
            parts.append(f"published {gap} later")
    elif rule == "published later":
        parts.append(f"{label}: published {gap} later" if gap else f"{label}: published later")
        if contained:
            parts.append(f"{contained} of its text is in the source")
    elif rule.startswith("containment"):
        parts.append(f"{label}: no publication order")
        other = _percent(ev.get("containment_other"))
        if contained:
            parts.append(f"{contained} of its text is in the source"
                         + (f", {other} of the source's in it" if other else ""))
    elif rule.startswith("the original of the texts"):
        parts.append(f"{label}: no publication order; {source} has all that {derived} shares with other articles,"
                     f" and the most that others took: the original of them")
        if contained:
            parts.append(f"{contained} of its text is in the source")
    elif rule.startswith("the copy in between"):
        runner = ev.get("runner_up") if isinstance(ev.get("runner_up"), dict) else {}
        via = _text(runner.get("other_outlet"))
        parts.append(f"{label}: {source} is the copy in between" + (f" {via} and {derived}" if via else "")
                     + f": it has a sentence of its own that {derived} carries")
    elif rule and (relation != "copied" or " credits " in rule):
        parts.append(f"{label}: {rule}")
    else:
        parts.append(label)
    chain = _names(ev.get("chain"))
    if len(chain) > 1:
        parts.append("upstream: " + " ← ".join(reversed(chain)))
    runner = ev.get("runner_up")
    if isinstance(runner, dict) and not rule.startswith("the copy in between") and _text(runner.get("other_outlet")):
        parts.append(f"runner-up: {_text(runner.get('other_outlet'))}")
    return "; ".join(parts)


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _names(value: Any) -> list[str]:
    return [n for n in (_text(v) for v in value) if n] if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value else None


def _count(value: Any) -> int:
    n = _number(value)
    return int(n) if n and n > 0 else 0


def _percent(value: Any) -> str:
    x = _number(value)
    return f"{round(x * 100)} %" if x is not None and 0 < x <= 1 else ""


def _gap(hours: Any, precision: Any) -> str:
    """A positive time gap as "5 h", "40 min", "2 days"; "" when unknown, zero or negative."""
    h = _number(hours)
    if h is None or h <= 0 or h == float("inf"):
        return ""
    if precision == "day" or h >= 48:
        days = max(1, round(h / 24))
        return f"{days} day{'s' if days != 1 else ''}"
    if h < 1:
        return f"{max(1, round(h * 60))} min"
    return f"{round(h)} h"
