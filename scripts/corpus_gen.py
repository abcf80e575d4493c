#!/usr/bin/env python3
"""A scalable synthetic corpus (JSON Lines, ~3 KB articles) with planted passage reuse, streamed.

``synth_reuse.generate`` makes realistic reuse (exact copies, partial copies, merged and split
sentences and translation-like rewrites next to same-topic negatives), in its ``natural`` difficulty:
every edit drawn from a distribution of the phenomenon and kept whatever similarity it reaches
(nothing keyed to the detector's thresholds), but at a few hundred articles/s. This module takes a
small pool from it once (cached under /tmp, keyed by seed and ``POOL_VERSION``) and replays the pool
at any scale:

* **groups** — one replay of a pool story: its original and (a random subset of) its derived
  articles, with fresh ids, fresh outlets and fresh dates. The first replay of each pool story is
  verbatim; later replays pass the story through a per-replay *letter permutation* (a substitution
  cipher on a-z, case kept; abbreviations and attribution cue words such as "said" and "according"
  are left alone). A letter permutation maps character 5-grams one to one, so every planted pair
  keeps exactly its character-5-gram similarity (rewrites stay rewrites, negatives stay as close), while
  two replays of one story share next to nothing — clusters stay the size of a story (2-5 articles)
  instead of growing with the corpus, and the gold stays exact;
* **wire pickups** — some groups also get 1-25 extra articles in other outlets that copy 1-3
  sentences of the group's original verbatim (exact pairs; bigger clusters, like wire copy);
* **filler** — every article is padded to ~3 KB (2.2-3.3 KB before the last paragraph) with paragraphs of fresh filler
  sentences (80-250 characters of pseudo-words drawn, Zipf-weighted, from a fixed deterministic
  5,000-word vocabulary), and the rest of the corpus is filler-only articles (about 65 %), so filler
  rarely matches anything;
* **outlets** — ``n/200`` fresh outlets (at least 12), each with footer lines the segmenter flags as
  boilerplate (contact, copyright, share, "read more") and, for half of them, an own matchable
  "house line" repeated in every one of its articles (outlet template detection has to drop it; it
  is never gold). Pool footer lines are replaced by the new outlet's.

Articles are written in publication order (minute timestamps; derived articles after their
original, within the story's day offsets), so a loader reading in batches meets copies in later
batches than their originals, as with a real feed. Memory stays flat: only a reorder buffer of a
few days of articles is held.

Gold (``OUT.gold.json``) has synth_reuse's format (``pairs`` with spans, kinds and ops, ``statements``,
``negatives``, ``stories``) plus ``lines`` (article id -> line number in the JSONL). Up to
``FULL_GOLD_MAX`` articles the gold covers every article; above that it covers a deterministic
sample of about ``GOLD_GROUPS`` groups, listed in ``scope`` (article ids): every pair among scope
articles is in the gold, and any predicted pair between a scope article and an article outside the
scope is wrong by construction (groups share no text), which ``bench.evaluate`` counts as such.

Usage::

    python scripts/corpus_gen.py OUT.jsonl --articles 100000 [--seed 1]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import re
import string
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synth_reuse  # noqa: E402

POOL_STORIES = 60
POOL_DIFFICULTY = "natural"  # synth_reuse's difficulty for the pool (never "banded": true by construction)
POOL_VERSION = 2  # bump when the pool or its generator changes (cache key; 2: natural difficulty)
CORPUS_TAG = f"{POOL_DIFFICULTY}-v{POOL_VERSION}"  # in cached corpus names (bench.py)
FULL_GOLD_MAX = 20_000  # up to this many articles the gold covers the whole corpus
GOLD_GROUPS = 2_000  # otherwise about this many groups are sampled into the gold
REUSE_SHARE = 0.35  # share of articles that belong to a group (story replay or pickup)
PICKUP_P = 0.2  # share of groups that also get wire pickups
ARTICLES_PER_OUTLET = 200
VOCAB_SIZE = 5_000
VOCAB_SEED = 20240601  # the filler vocabulary is the same for every corpus seed
START = datetime(2021, 1, 4, tzinfo=timezone.utc)
TARGET_CHARS = (2200, 3300)

# Left as they are by the letter permutation: the segmenter's abbreviations (so sentences split
# the same way) and attribution cues (so the attribution extraction still has work to do).
_KEEP = frozenset(
    "al approx apr aug co col corp dec dept dr est etc feb fig gen gov inc jan jr jul jun lt ltd mar mr"
    " mrs ms no nos nov oct pres prof rep rev sen sep sept sgt sr st univ vs e g i u s k n"
    " said says say told tells added adds stressed announced according reported".split()
)
_WORDS = re.compile(r"[A-Za-z]+")
_SUFFIXES = ["Herald", "Times", "Post", "Daily", "Observer", "Monitor", "Courier", "Ledger", "Chronicle",
             "Gazette", "Tribune", "Wire", "Journal", "Express", "Standard", "Record", "Review", "Press",
             "News", "Today", "Mirror", "Star", "Sentinel", "Bulletin"]
_TLDS = ["com", "net", "org", "news", "info", "co", "eu", "press"]
# Footer lines the segmenter flags as boilerplate (checked by the tests); each names the outlet.
_FLAGGED_FOOTERS = [
    "Contact the {name} newsroom: newsdesk@{domain}, +44 20 7946 {phone}",
    "© {year} {name}. All rights reserved. Reproduction only with an active hyperlink to {domain}",
    "Share this article: Facebook | X | Telegram | WhatsApp | Email",
    "Got a news tip? Write to tips@{domain} or call +1 202 555 {phone}",
    "Read more world news on {domain}/world",
]


# ------------------------------------------------------------------------------------------ pool


def pool(seed: int = 1, stories: int = POOL_STORIES) -> tuple[list[dict], dict]:
    """synth_reuse.generate(stories, seed, POOL_DIFFICULTY), cached in /tmp."""
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"dp_corpus_pool_{CORPUS_TAG}_s{seed}_n{stories}.json"
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return data["records"], data["gold"]
        except (OSError, ValueError, KeyError):
            pass
    records, gold = synth_reuse.generate(stories, seed=seed, difficulty=POOL_DIFFICULTY)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"records": records, "gold": gold}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return records, gold


@dataclass
class _Par:
    text: str
    chunks: list[tuple[str, bool]]  # (text, letters permuted?)
    spans: list[tuple[int, int, tuple, int]]  # (start, end, unit, member) relative to the paragraph


@dataclass
class _PoolArticle:
    id: str
    title: _Par
    body: list[_Par]
    day: int  # days after the story's original
    units: list[tuple[tuple, int]] = field(default_factory=list)  # (unit, member) in this article


@dataclass
class _PoolStory:
    index: int
    topic: str
    topic_words: list[str]
    original: _PoolArticle
    derived: list[_PoolArticle]


def _chunks(text: str) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    pos = 0
    for m in _WORDS.finditer(text):
        if m.group().lower() in _KEEP:
            if m.start() > pos:
                out.append((text[pos:m.start()], True))
            out.append((m.group(), False))
            pos = m.end()
    if pos < len(text):
        out.append((text[pos:], True))
    return out


def _prepare(records: list[dict], gold: dict) -> tuple[list[_PoolStory], dict[tuple, tuple[str, list[str]]]]:
    """Pool stories as paragraph templates with unit spans, and the pair kind and ops of member pairs.

    A span can hold two units (a sentence merged from two statements), and a unit two spans of one
    article (a sentence split in two)."""
    by_id = {r["id"]: r for r in records}
    unit_at: dict[tuple[str, int, int], list[tuple[tuple, int]]] = {}
    member: dict[tuple[int, str, int, int], int] = {}  # (statement, article, start, end) -> member
    for si, st in enumerate(gold["statements"]):
        for m, (art, s, e) in enumerate(st["members"]):
            unit_at.setdefault((art, s, e), []).append((("s", si), m))
            member[(si, art, s, e)] = m
    for ni, (art, s, e) in enumerate(gold["negatives"]):
        unit_at.setdefault((art, s, e), []).append((("n", ni), 0))
    sid_index = {st["id"]: si for si, st in enumerate(gold["statements"])}
    kinds: dict[tuple, tuple[str, list[str]]] = {}
    for p in gold["pairs"]:
        si = sid_index[p["statement"]]
        ma = member[(si, p["a"], *p["a_span"])]
        mb = member[(si, p["b"], *p["b_span"])]
        kinds[(si, ma, mb)] = kinds[(si, mb, ma)] = (p["kind"], list(p.get("ops", [])))
    spans_of: dict[str, list[tuple[int, int, tuple, int]]] = {}
    for (art, s, e), units in unit_at.items():
        for unit, m in units:
            spans_of.setdefault(art, []).append((s, e, unit, m))

    def article(rid: str, day0: str) -> _PoolArticle:
        rec = by_id[rid]
        text, title = rec["text"], rec["title"]
        spans = sorted(spans_of.get(rid, []))
        body: list[_Par] = []
        pos = 0
        for par in text.split("\n\n"):
            start, end = pos, pos + len(par)
            pos = end + 2
            inside = [(s - start, e - start, u, m) for s, e, u, m in spans if start <= s and e <= end]
            if inside:
                body.append(_Par(par, _chunks(par), inside))
        day = (datetime.fromisoformat(rec["published"]) - datetime.fromisoformat(day0)).days
        pa = _PoolArticle(rid, _Par(title, _chunks(title), []), body, day)
        pa.units = [(u, m) for p in body for _, _, u, m in p.spans]
        return pa

    stories = []
    for i, st in enumerate(gold["stories"]):
        day0 = by_id[st["original"]]["published"]
        original = article(st["original"], day0)
        derived = [article(a, day0) for a in st["articles"] if a != st["original"]]
        derived.sort(key=lambda a: (a.day, a.id))
        stories.append(_PoolStory(i, st["topic"], list(st["topic_words"]), original, derived))
    return stories, kinds


# ------------------------------------------------------------------------------------------ text


def _pseudo_words(n: int, rng: random.Random, min_len: int = 3, max_len: int = 11) -> list[str]:
    onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
              "br", "cr", "dr", "gr", "kr", "pr", "tr", "st", "sk", "sl", "pl", "bl", "ch", "sh", "th", ""]
    vowels = ["a", "e", "i", "o", "u", "ai", "ei", "ou", "ia", "y"]
    codas = ["", "", "", "n", "r", "s", "l", "m", "t", "k", "nd", "rt", "st", "x"]
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        w = "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(rng.randint(1, 4)))
        if min_len <= len(w) <= max_len and w not in seen:
            seen.add(w)
            out.append(w)
    return out


class _Filler:
    """Fresh filler sentences: Zipf-weighted pseudo-words, numpy-drawn in blocks."""

    BLOCK = 1 << 16

    def __init__(self, seed: int):
        vocab_rng = random.Random(VOCAB_SEED)
        self.vocab = _pseudo_words(VOCAB_SIZE, vocab_rng)
        weights = 1.0 / (np.arange(VOCAB_SIZE) + 20.0)
        cdf = np.cumsum(weights / weights.sum())
        # inverse-CDF lookup table: a uniform integer picks a word with its Zipf weight
        self.table = np.minimum(np.searchsorted(cdf, (np.arange(1 << 20) + 0.5) / (1 << 20)), VOCAB_SIZE - 1)
        self.np = np.random.default_rng([seed, 0xF111])
        self.buf: list[str] = []
        self.pos = 0
        self.lens: list[int] = []
        self.lpos = 0

    def _words(self, n: int) -> list[str]:
        if self.pos + n > len(self.buf):
            idx = self.table[self.np.integers(0, 1 << 20, self.BLOCK)]
            vocab = self.vocab
            self.buf = self.buf[self.pos:] + [vocab[i] for i in idx.tolist()]
            self.pos = 0
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def _count(self) -> int:
        if self.lpos >= len(self.lens):
            self.lens = self.np.integers(12, 31, self.BLOCK // 16).tolist()
            self.lpos = 0
        self.lpos += 1
        return self.lens[self.lpos - 1]

    def sentence(self) -> str:
        words = self._words(self._count())
        text = " ".join(words)
        while len(text) < 80:
            text += " " + self._words(1)[0]
        if len(text) > 250:
            text = text[:250].rsplit(" ", 1)[0]
        return text[0].upper() + text[1:] + "."

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence() for _ in range(sentences))

    def headline(self, rng: random.Random) -> str:
        words = self._words(rng.randint(6, 11))
        words[0] = words[0].capitalize()
        return " ".join(words)


@dataclass
class _Outlet:
    key: str
    name: str
    domain: str
    top: str | None
    bottom: list[str]
    repeat_title: bool


def _outlets(n: int, rng: random.Random, filler: _Filler, house_lines: float = 0.5) -> list[_Outlet]:
    names = _pseudo_words(4 * n + 50, random.Random(VOCAB_SEED + 1), 4, 9)
    out = []
    for i in range(n):
        base = names[i].capitalize()
        name = f"{base} {_SUFFIXES[i % len(_SUFFIXES)]}"
        key = f"{names[i]}{i}"
        domain = f"{names[i]}{_SUFFIXES[i % len(_SUFFIXES)].lower()}.{_TLDS[i % len(_TLDS)]}"
        vals = {"name": name, "domain": domain, "phone": f"{rng.randint(0, 9999):04d}", "year": "2021"}
        footers = [t.format(**vals) for t in rng.sample(_FLAGGED_FOOTERS, rng.randint(1, 2))]
        if rng.random() < house_lines:  # an own line in every article: an outlet template, never reuse
            footers.append(f"{name} {filler.sentence()[0].lower()}{filler.sentence()[1:]}")
        top = footers.pop(0) if rng.random() < 0.3 and len(footers) > 1 else None
        out.append(_Outlet(key, name, domain, top, footers, rng.random() < 0.5))
    return out


# ------------------------------------------------------------------------------------------ stream


@dataclass
class _Item:
    """One article under construction: paragraphs with unit spans, placed at a time position."""

    outlet: _Outlet
    title: str
    paras: list[tuple[str, list[tuple[int, int, tuple, int]]]]
    when: float  # position in "article slots"; published = START + when / per_day days
    group: int | None = None
    ext_id: str = ""
    text: str = ""
    spans: list[tuple[int, int, tuple, int]] = field(default_factory=list)


class _Stream:
    def __init__(self, n: int, seed: int, outlets: int | None, house_lines: float = 0.5):
        self.n = n
        self.seed = seed
        self.rng = random.Random(f"corpus_gen:{seed}")
        self.filler = _Filler(seed)
        records, gold = pool(seed)
        self.stories, self.kinds = _prepare(records, gold)
        self.outlets = _outlets(outlets or max(12, n // ARTICLES_PER_OUTLET), self.rng, self.filler, house_lines)
        self.per_day = max(10.0, n / max(30.0, n / 500))  # ~500 articles a day at scale
        self.replays = [0] * len(self.stories)
        self.seq = 0
        avg_group = 3.5 + PICKUP_P * 5
        self.expected_groups = max(1.0, n * REUSE_SHARE / avg_group)
        self.full_gold = n <= FULL_GOLD_MAX
        self.gold_p = 1.0 if self.full_gold else min(1.0, GOLD_GROUPS / self.expected_groups)
        self.gold_rng = random.Random(f"corpus_gen-gold:{seed}")
        self.gold = {"pairs": [], "statements": [], "negatives": [], "stories": []}
        self.gold_ids: set[str] = set()
        self.lines: dict[str, int] = {}

    # -- composition

    def _table(self, story: int, replay: int):
        if replay == 0:
            return None
        r = random.Random(f"cipher:{self.seed}:{story}:{replay}")
        letters = list(string.ascii_lowercase)
        r.shuffle(letters)
        perm = "".join(letters)
        return str.maketrans(string.ascii_lowercase + string.ascii_uppercase, perm + perm.upper())

    @staticmethod
    def _render(par: _Par, table) -> str:
        if table is None:
            return par.text
        return "".join(c.translate(table) if f else c for c, f in par.chunks)

    def _pad(self, paras: list, fixed_chars: int) -> list:
        """Insert filler paragraphs at random places until the article reaches its target size."""
        target = self.rng.randint(*TARGET_CHARS)
        size = fixed_chars + sum(len(p[0]) + 2 for p in paras)
        extra = []
        while size < target:
            text = self.filler.paragraph(self.rng.choice((1, 2, 2, 3)))
            extra.append((text, []))
            size += len(text) + 2
        out = list(paras)
        for par in extra:
            out.insert(self.rng.randint(0, len(out)), par)
        return out

    def _item(self, outlet: _Outlet, title: str, body: list, when: float, group: int | None) -> _Item:
        fixed = len(title) * (2 if outlet.repeat_title else 1) + sum(len(x) + 2 for x in outlet.bottom)
        fixed += len(outlet.top) + 2 if outlet.top else 0
        return _Item(outlet, title, self._pad(body, fixed), when, group)

    def filler_article(self, when: float) -> _Item:
        outlet = self.outlets[self.rng.randrange(len(self.outlets))]
        return self._item(outlet, self.filler.headline(self.rng), [], when, None)

    def group(self, when: float, gi: int, budget: int) -> list[_Item]:
        """One replay of a pool story (plus wire pickups); at most ``budget`` articles."""
        s = self.rng.randrange(len(self.stories))
        story = self.stories[s]
        replay = self.replays[s]
        self.replays[s] += 1
        table = self._table(s, replay)
        derived = [a for a in story.derived if self.rng.random() < 0.85] or [self.rng.choice(story.derived)]
        members = [story.original] + derived
        pickups = 0
        if self.rng.random() < PICKUP_P:
            pickups = min(25, 1 + int(self.rng.expovariate(1 / 4)))
        room = min(budget, len(self.outlets))
        members = members[:room]
        pickups = max(0, min(pickups, room - len(members)))
        outlets = self.rng.sample(self.outlets, len(members) + pickups)
        items = []
        for k, (pa, outlet) in enumerate(zip(members, outlets)):
            body = [(self._render(p, table), p.spans) for p in pa.body]
            at = when if k == 0 else when + pa.day * self.per_day + self.rng.uniform(1, self.per_day)
            items.append(self._item(outlet, self._render(pa.title, table), body, at, gi))
        orig_body = [(self._render(p, table), p.spans) for p in story.original.body]
        units_at: dict[tuple[str, int, int], list[tuple[tuple, int]]] = {}  # a sentence and its units
        for text, spans in orig_body:
            for s0, e0, u, m in spans:
                units_at.setdefault((text, s0, e0), []).append((u, m))
        sentences = [(text[s0:e0], units) for (text, s0, e0), units in units_at.items()]
        for outlet in outlets[len(members):]:
            copied = self.rng.sample(sentences, min(len(sentences), self.rng.randint(1, 3)))
            body = [(t, [(0, len(t), u, m) for u, m in units]) for t, units in copied]
            at = when + self.rng.uniform(0.2, 2.0) * self.per_day
            items.append(self._item(outlet, self.filler.headline(self.rng), body, at, gi))
        items[0].story = (s, replay, story)  # type: ignore[attr-defined]
        return items

    def _finish(self, item: _Item) -> None:
        """Give the article its id and text, and its unit spans in article offsets."""
        self.seq += 1
        item.ext_id = f"{item.outlet.key}-{self.seq:07d}"
        paras: list[tuple[str, list]] = []
        if item.outlet.top:
            paras.append((item.outlet.top, []))
        paras.append((item.title, []))
        if item.outlet.repeat_title:
            paras.append((item.title, []))
        paras += item.paras
        paras += [(line, []) for line in item.outlet.bottom]
        parts, pos = [], 0
        for text, spans in paras:
            item.spans += [(pos + s, pos + e, u, m) for s, e, u, m in spans]
            parts.append(text)
            pos += len(text) + 2
        item.text = "\n\n".join(parts)

    def _gold_group(self, gi: int, items: list[_Item]) -> None:
        s, replay, story = items[0].story  # type: ignore[attr-defined]
        occurrences: dict[tuple, list[tuple[str, int, int, int]]] = {}
        for it in items:
            self.gold_ids.add(it.ext_id)
            for s0, e0, u, m in it.spans:
                occurrences.setdefault(u, []).append((it.ext_id, s0, e0, m))
        texts = {it.ext_id: it.text for it in items}
        table = self._table(s, replay)
        self.gold["stories"].append({
            "id": f"g{gi:07d}", "topic": story.topic, "articles": [it.ext_id for it in items],
            "original": items[0].ext_id, "pool_story": s, "replay": replay,
            "topic_words": [w.translate(table) if table else w for w in story.topic_words]})
        shared = {o[:3] for occ in occurrences.values() if len({o[0] for o in occ}) >= 2 for o in occ}
        for u, occ in occurrences.items():
            if len({o[0] for o in occ}) < 2:  # not carried by another article here: a negative, unless
                # the sentence is also (merged) a member of a statement that is
                self.gold["negatives"].extend([list(o[:3]) for o in occ if o[:3] not in shared])
                continue
            sid = f"g{gi:07d}-{u[0]}{u[1]}"
            self.gold["statements"].append({"id": sid, "members": [list(o[:3]) for o in occ]})
            for a, b in combinations(occ, 2):
                if a[0] == b[0]:
                    continue
                kind, ops = ("exact", []) if a[3] == b[3] or u[0] == "n" else self.kinds[(u[1], a[3], b[3])]
                ta, tb = texts[a[0]][a[1]:a[2]], texts[b[0]][b[1]:b[2]]
                self.gold["pairs"].append({
                    "a": a[0], "a_span": [a[1], a[2]], "b": b[0], "b_span": [b[1], b[2]], "kind": kind,
                    "ops": ops, "jaccard": round(synth_reuse.jaccard(ta, tb), 4), "statement": sid})

    # -- the stream

    def run(self, out) -> None:
        heap: list[tuple[float, int, _Item]] = []
        tie = 0
        made = 0
        groups = 0
        written = 0
        cursor = 0.0

        def emit(item: _Item) -> None:
            nonlocal written
            t = START + timedelta(days=item.when / self.per_day)
            if item.ext_id in self.gold_ids or self.full_gold:
                self.lines[item.ext_id] = written
            rec = {"id": item.ext_id, "outlet": item.outlet.name,
                   "url": f"https://{item.outlet.domain}/{t:%Y/%m/%d}/{item.ext_id}",
                   "published": t.strftime("%Y-%m-%dT%H:%M:00Z"), "title": item.title, "text": item.text}
            out.write(json.dumps(rec, ensure_ascii=False))
            out.write("\n")
            written += 1

        while made < self.n:
            cursor = float(made)
            budget = self.n - made
            if budget >= 2 and self.rng.random() < REUSE_SHARE / (3.5 + PICKUP_P * 5):
                items = self.group(cursor, groups, budget)
                for it in items:
                    self._finish(it)
                if self.full_gold or self.gold_rng.random() < self.gold_p:
                    self._gold_group(groups, items)
                groups += 1
            else:
                items = [self.filler_article(cursor)]
                self._finish(items[0])
            for it in items:
                heapq.heappush(heap, (it.when, tie, it))
                tie += 1
            made += len(items)
            while heap and heap[0][0] <= cursor:
                emit(heapq.heappop(heap)[2])
        while heap:
            emit(heapq.heappop(heap)[2])
        self.groups = groups


def stream(n_articles: int, seed: int = 1, out_path: str | Path = "corpus.jsonl", *,
           outlets: int | None = None, house_lines: float = 0.5) -> Path:
    """Write ``n_articles`` articles to ``out_path`` (JSON Lines) and the gold next to it; return its path.

    ``outlets``: how many (default ``n / ARTICLES_PER_OUTLET``, at least 12); ``house_lines``: the
    share of outlets with an own matchable line in every article (an outlet template).
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    gen = _Stream(n_articles, seed, outlets, house_lines)
    with out_path.open("w", encoding="utf-8") as f:
        gen.run(f)
    gold = gen.gold
    ids = gen.gold_ids if not gen.full_gold else None
    gold["lines"] = gen.lines
    if ids is not None:
        gold["scope"] = sorted(ids, key=gen.lines.__getitem__)
    gold["about"] = (
        f"corpus_gen.stream({n_articles}, seed={seed}): {gen.groups} reuse groups replayed from a pool of "
        f"{len(gen.stories)} synth_reuse stories, the rest filler. "
        + ("The gold covers every article." if ids is None else
           f"The gold covers {len(ids)} articles of sampled groups ('scope'); pairs from a scope article "
           "to any article outside it are false by construction.")
        + " Spans are character offsets into each record's text.")
    gold_path = out_path.with_name(out_path.name[: -len(out_path.suffix)] + ".gold.json"
                                   if out_path.suffix else out_path.name + ".gold.json")
    gold_path.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")
    return gold_path


def restrict_gold(gold: dict, max_line: int) -> dict:
    """The gold for the first ``max_line`` lines of the corpus (a prefix loaded on its own)."""
    lines = gold["lines"]
    keep = {a for a, n in lines.items() if n < max_line}
    out = dict(gold)
    out["pairs"] = [p for p in gold["pairs"] if p["a"] in keep and p["b"] in keep]
    statements = []
    negatives = [n for n in gold["negatives"] if n[0] in keep]
    for st in gold["statements"]:
        members = [m for m in st["members"] if m[0] in keep]
        if len({m[0] for m in members}) >= 2:
            statements.append({"id": st["id"], "members": members})
        else:
            negatives += members
    out["statements"] = statements
    out["negatives"] = negatives
    out["lines"] = {a: n for a, n in lines.items() if a in keep}
    if "scope" in gold:
        out["scope"] = [a for a in gold["scope"] if a in keep]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--outlets", type=int, default=None)
    ap.add_argument("--house-lines", type=float, default=0.5, help="share of outlets with a repeated own line")
    args = ap.parse_args(argv)
    pool(args.seed)
    started = time.perf_counter()
    gold_path = stream(args.articles, args.seed, args.out, outlets=args.outlets, house_lines=args.house_lines)
    took = time.perf_counter() - started
    size = Path(args.out).stat().st_size
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    print(f"{args.articles} articles, {size / 1e6:.1f} MB ({size / args.articles / 1e3:.2f} KB/article) -> {args.out}"
          f" in {took:.1f}s ({args.articles / took:,.0f} articles/s)")
    print(f"gold: {len(gold['pairs'])} pairs, {len(gold['statements'])} statements, {len(gold['negatives'])} negatives"
          f" in {len(gold['stories'])} groups" + (f", scope {len(gold['scope'])} articles" if "scope" in gold else "")
          + f" -> {gold_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
