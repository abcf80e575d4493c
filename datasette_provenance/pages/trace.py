"""``/<db>/-/provenance/trace?q=…``: where else does a pasted passage appear, and who had it first?

The text goes through the loader's own steps with the settings stored in the database: sentences
(``segment.split_sentences``), normalisation, character shingles, MinHash signatures and band keys.
Stored sentences sharing a band key are candidates; each is verified exactly (Jaccard and
containment on shingle sets, ``candidates.is_link``). Nothing is written, so this works on a
database served immutable.

Only dated matches are ordered: the answer names the earliest dated match and gives each dated one its
lag after it; matches with no (readable) publication date are listed apart, as they cannot be ordered.
Times read as stored: a time kept without a zone is not called UTC (for ordering and lags it counts as
UTC, as the loader takes such times).
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from ..candidates import LONE_SQL, PER_ARTICLE, is_link
from ..segment import matchable_length, normal_form, split_sentences, word_stems
from ..signatures import NO_KEY, Settings, band_keys, minhash_signatures, shingle_sets, similarity
from ..store import PERIODS
from .common import (
    Urls, base_context, cluster_label, day_precision, html, json_response, open_database, parse_published, rows,
    rows_in, same_day_tie, timeline_key, wants_json,
)

ROUTE = r"^/(?P<database>[^/]+)/-/provenance/trace(\.(?P<format>json))?$"
TABLES = ("settings", "band_keys", "sketches", "sentences", "paragraphs", "articles", "cluster_members", "clusters")
MAX_CHARS = 20_000
MAX_CANDIDATES = 5_000  # stored sentences verified per request
async def view(datasette, request):
    db = await open_database(datasette, request, TABLES)
    urls = Urls(datasette, db.name)
    q = request.args.get("q") or ""
    data = {"database": db.name, "q_chars": len(q), "max_chars": MAX_CHARS, "error": None,
            "sentences": [], "earliest_dated": None, "earliest": None, "outlets": [], "undated_outlets": [],
            "statements": [], "earlier_statement": None, "candidates_truncated": False}
    status = 200
    if len(q) > MAX_CHARS:
        data["error"] = (f"The text is {len(q):,} characters long; trace takes at most {MAX_CHARS:,} characters."
                         " Paste a shorter passage (a few paragraphs).")
        status = 400
    elif q.strip():
        settings = Settings.from_rows({r["key"]: r["value"] for r in await rows(db, "select key, value from settings")})
        if settings.unreproducible():
            data["error"] = "This database was built with signature settings this version cannot reproduce."
            status = 400
        else:
            data.update(await trace(db, q, settings, urls))
    if wants_json(request):
        return json_response(data, status=status)
    context = base_context(db.name, urls, "Trace a passage", urls.trace("json", q=q[:MAX_CHARS]))
    context.update(data)
    context["q"] = q
    return await html(datasette, request, "provenance_trace.html", context, status=status)


async def trace(db, q: str, settings: Settings, urls: Urls) -> dict:
    sentences = []
    for i, (s, e) in enumerate(split_sentences(q)):
        norm = normal_form(q[s:e])
        sentences.append({"index": i, "start": s, "end": e, "text": q[s:e], "norm": norm,
                          "matchable": matchable_length(norm) >= settings.min_chars, "matches": []})
    matchable = [s for s in sentences if s["matchable"]]
    truncated = False
    if matchable:
        sets = shingle_sets([s["norm"] for s in matchable], settings.k)
        lone = np.full(len(matchable), len(matchable) == 1)  # a text of one sentence: as the loader keys it
        keys = band_keys(minhash_signatures(sets, settings), settings, lone)
        wanted: dict[int, set[int]] = defaultdict(set)  # band key -> query sentences
        for idx, row in enumerate(keys.tolist()):
            for key in row:
                if key != NO_KEY:
                    wanted[key].add(idx)
        # As the loader pairs a new article: with the rows of each bucket's max_bucket earliest articles
        # (publication time, text digest, external id; undated last), PER_ARTICLE rows of each.
        members: dict[int, list[tuple]] = defaultdict(list)
        for r in await rows_in(db, f"{PERIODS} select b.key, b.sentence_id, s.article_id, a.published,"
                                   " a.content_hash, a.external_id from band_keys b"
                                   " join sentences s on s.id = b.sentence_id join articles a on a.id = s.article_id"
                                   " where b.period in (select period from periods) and b.key in ({})",
                               list(wanted)):
            members[r["key"]].append(((r["published"] or "~", r["content_hash"], r["external_id"]),
                                      r["sentence_id"], r["article_id"]))
        candidates: dict[int, set[int]] = defaultdict(set)  # stored sentence -> query sentences
        for key, found in members.items():
            heads: dict[int, int] = {}
            for _, sid, aid in sorted(found):
                if aid not in heads and len(heads) == settings.max_bucket:
                    break
                if heads.get(aid, 0) < PER_ARTICLE:
                    heads[aid] = heads.get(aid, 0) + 1
                    candidates[sid] |= wanted[key]
        if len(candidates) > MAX_CANDIDATES:
            truncated = True
            candidates = dict(sorted(candidates.items())[:MAX_CANDIDATES])
        stored = await rows_in(db, """
            select s.id as sentence_id, s.article_id, s.start, s."end", p.text as paragraph_text,
                   a.outlet, a.title, a.published, a.published_precision
            from sentences s
            join paragraphs p on p.id = s.paragraph_id
            join articles a on a.id = s.article_id
            where s.id in ({})
        """, sorted(candidates))
        for r in stored:
            r["text"] = r.pop("paragraph_text")[r["start"]:r["end"]]
        stored_norms = [normal_form(r["text"]) for r in stored]
        stored_sets = shingle_sets(stored_norms, settings.k)
        # A text of one sentence meets stored articles of one sentence as the loader links them: also on their words.
        lone = {r["id"] for r in await rows_in(db, LONE_SQL, sorted(candidates))} if len(matchable) == 1 else set()
        stems = word_stems(matchable[0]["norm"]) if lone else frozenset()
        matched: list[dict] = []
        for r, shingles, norm in zip(stored, stored_sets, stored_norms):
            words = (stems, word_stems(norm)) if r["sentence_id"] in lone else None
            for idx in sorted(candidates[r["sentence_id"]]):
                jaccard, containment = similarity(sets[idx], shingles)
                if is_link(jaccard, containment, settings, words):
                    match = {**r, "jaccard": round(jaccard, 3), "containment": round(containment, 3),
                             "article_url": urls.article(r["article_id"]), "cluster_ids": []}
                    matchable[idx]["matches"].append(match)
                    matched.append(match)
        clusters = defaultdict(list)
        for r in await rows_in(db, "select cluster_id, sentence_id from cluster_members where sentence_id in ({})",
                               [m["sentence_id"] for m in matched]):
            clusters[r["sentence_id"]].append(r["cluster_id"])
        for m in matched:
            m["cluster_ids"] = sorted(clusters[m["sentence_id"]])
            m["cluster_urls"] = [urls.cluster(c) for c in m["cluster_ids"]]
    for s in sentences:
        s.pop("norm")
        s["matches"].sort(key=timeline_key)
    every = sorted((m for s in sentences for m in s["matches"]), key=timeline_key)
    for m in every:
        m["dated"] = parse_published(m["published"]) is not None
        m["day_precision"] = m["dated"] and day_precision(m["published"], m["published_precision"])
        m["published_text"] = published_text(m["published"], m["published_precision"]) if m["dated"] else None
    dated = [m for m in every if m["dated"]]
    first = dated[0] if dated else None
    for m in every:
        m.update(lag(first, m) if m["dated"] else {"lag": None, "lag_hours": None, "lag_days": None})
    earliest = None
    if first:
        ties = sorted({m["outlet"] or "(unknown outlet)" for m in dated
                       if m["article_id"] != first["article_id"] and m["outlet"] != first["outlet"]
                       and same_day_tie(first, m)})
        earliest = {key: first[key] for key in ("outlet", "article_id", "title", "published", "published_precision",
                                                 "published_text", "day_precision", "article_url")}
        earliest["tied_with"] = ties
    found = await statements(db, sorted({c for m in every for c in m["cluster_ids"]}), urls)
    labels = {st["id"]: st["label"] for st in found}
    for m in every:
        m["cluster_labels"] = [labels.get(c) for c in m["cluster_ids"]]
    # A rewording matches the copy it is closest to; the statement that copy is in may have been carried
    # earlier, in other words: the agency's story a paper rewrote. Named apart from the matches themselves.
    direct = {m["article_id"] for m in every}
    earlier = next((st for st in found if st["first_published"] and st["first_article_id"] not in direct
                    and (first is None or _first_key(st) < timeline_key(first))), None)
    # "earliest" is the same answer under its former name (before undated matches were kept apart).
    return {"sentences": sentences, "earliest_dated": earliest, "earliest": earliest,
            "outlets": by_outlet(dated, urls), "undated_outlets": by_outlet([m for m in every if not m["dated"]], urls),
            "statements": found, "earlier_statement": earlier, "candidates_truncated": truncated}


async def statements(db, ids: list[int], urls: Urls) -> list[dict]:
    """The statements (clusters) the matches are in, each with its first article, in timeline order."""
    found = await rows_in(db, """
        select c.id, substr(c.text, 1, 200) as text, c.articles, c.outlets, c.first_article_id,
               a.outlet as first_outlet, a.published, a.published_precision
        from clusters c left join articles a on a.id = c.first_article_id where c.id in ({})
    """, ids)
    for st in found:
        published, precision = st.pop("published"), st.pop("published_precision")
        dated = parse_published(published) is not None
        st.update(label=cluster_label(st.pop("text")), url=urls.cluster(st["id"]),
                  first_published=published if dated else None, first_published_precision=precision,
                  first_published_text=published_text(published, precision) if dated else None,
                  day_precision=dated and day_precision(published, precision),
                  first_article_url=urls.article(st["first_article_id"]) if st["first_article_id"] else None)
    return sorted(found, key=_first_key)


def _first_key(statement: dict):
    """A statement's place on the timeline: its first article's."""
    return timeline_key({"published": statement["first_published"], "article_id": statement["first_article_id"],
                         "published_precision": statement["first_published_precision"]})


def by_outlet(matches: list[dict], urls: Urls) -> list[dict]:
    """Matches grouped by outlet, in the order of each outlet's first match (the timeline's, for dated ones)."""
    outlets: dict[str, dict] = {}
    for m in matches:
        name = m["outlet"] or "(unknown outlet)"
        o = outlets.setdefault(name, {
            "outlet": name, "url": urls.outlet(m["outlet"]) if m["outlet"] else None,
            "first_published": m["published"], "first_published_precision": m["published_precision"],
            "first_published_text": m["published_text"], "day_precision": m["day_precision"],
            "first_article_id": m["article_id"], "lag": m["lag"], "lag_hours": m["lag_hours"],
            "lag_days": m["lag_days"], "matches": 0, "articles": []})
        o["matches"] += 1
        if m["article_id"] not in o["articles"]:
            o["articles"].append(m["article_id"])
    return list(outlets.values())


_STORED_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(?:[.,]\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?)?")


def published_text(published: str | None, precision: str | None) -> str | None:
    """A stored publication time as it reads: the day, then the time with the zone it is stored with (none if
    it has none: a time given without a zone is not made UTC here; "Z" reads UTC, an offset is shown as stored);
    a value of another form is shown as stored (the template escapes it)."""
    if not published:
        return None
    m = _STORED_TIME.fullmatch(published.strip())
    if not m:
        return published
    day, minutes, seconds, zone = m.groups()
    if minutes is None or precision == "day":
        return day
    text = f"{day} {minutes}{seconds if seconds and precision == 'second' else ''}"
    if zone == "Z":
        return text + " UTC"
    return f"{text} {zone}" if zone else text


def lag(first: dict | None, m: dict) -> dict:
    """How long after the earliest dated match ``m`` was published: under two days in hours ("+5 h", "+31 h";
    minutes under one), else in days ("+3 days"); between dates known only to the day, in whole days
    ("same day", "+1 day")."""
    a = parse_published(first["published"]) if first else None
    b = parse_published(m["published"])
    if a is None or b is None:
        return {"lag": None, "lag_hours": None, "lag_days": None}
    if first["day_precision"] or m["day_precision"]:
        days = (b.date() - a.date()).days
        label = "same day" if days == 0 else f"{days:+d} day{'' if abs(days) == 1 else 's'}"
        return {"lag": label, "lag_hours": None, "lag_days": days}
    seconds = (b - a).total_seconds()
    sign = "-" if seconds < 0 else "+"
    hours = abs(seconds) / 3600
    if hours < 1:
        label = f"{sign}{round(abs(seconds) / 60)} min"
    elif hours < 48:
        label = f"{sign}{round(hours)} h"
    else:
        label = f"{sign}{hours / 24:.1f}".removesuffix(".0") + " days"
    return {"lag": label, "lag_hours": round(seconds / 3600, 2), "lag_days": round(seconds / 86400, 2)}
