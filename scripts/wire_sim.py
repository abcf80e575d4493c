#!/usr/bin/env python3
"""Synthetic wire -> outlets simulation with ground truth, and a scorer for the derivations table.

Measured, not assumed: the generator plants known reuse, ``load_paths`` builds a corpus database,
and ``evaluate`` compares its ``derivations`` with the truth. Deterministic for a seed (one
``random.Random``). Sentences, entities, outlet boilerplate and sentence-level rewrites come from
scripts/synth_reuse.py (imported, not edited); every new sentence stays below 0.25 char-5-gram
Jaccard to every other sentence in the corpus, and none names a news source unless planted.

What it plants, story by story:

* ``wire`` stories: an agency article (Reuters, AFP, AP or TASS, with its dateline, e.g.
  "MOSCOW, Feb 3 (Reuters) -"; 8-14 sentences) IN the corpus, and
  - ``wholly``: another outlet copies most of its sentences verbatim;
  - ``partial``: another outlet copies 2-4 of them among its own sentences;
  - ``rewrite``: another outlet carries sentence-level rewrites (synth_reuse's synonyms, reframing,
    clause order; Jaccard 0.3-0.6 to the original) of most or of a few of them;
    each of these credits the agency half of the time ("(Reuters) -" dateline, "SOURCE: Reuters",
    "According to Reuters, ...", "..., Reuters reported.");
  - ``chain-b``/``chain-c`` (60 %): B copies the agency and adds its own sentences, C copies B
    (some of B's own sentences included). C's source is B; the agency counts as an acceptable
    source of C only when C's text credits the agency;
  - ``independent`` (80 %): a report of the same event by another outlet (same people, places and
    topic words, no shared sentence): it must get no derivation row.
* ``upstream`` stories: the agency article is NOT in the corpus; two outlets carry its text (sharing
  at least two sentences) and both credit it: common-source with source_name = the agency.
* ``update`` stories: the agency publishes a later version of its own story: same-outlet.

Dates: agency articles at minute precision; copies later by 7 minutes to 3 days, at minute precision
(55 %) or day precision (a same-day pair at day precision has no order); C after B. Every outlet
keeps its own boilerplate lines. ``dated=False`` drops the dates of the same corpus.

Truth per article (``truth["articles"][external_id]``): ``case``; ``relation`` (copied,
common-source, same-outlet, none); ``source`` (external id, or the upstream's name); ``also_ok``;
``extent`` (wholly if >= 70 % of the article's own non-boilerplate characters -- title, dateline,
body -- come from the source, else partially; independent for no derivation). The generator keeps
copies and updates outside 60-80 % so the label is unambiguous. For common-source the share is
measured on what the other copy also carries (only that is observable), so it can fall in between.

Metrics (``evaluate``):

* direction accuracy: truly copied articles whose derivations name the right source_article_id
  with relation copied; also "where order is decidable": the copy credits the source, or both
  dates are at minute precision, or they fall on different days;
* extent accuracy: on rows naming the right source (and independent reports: no row);
* common-source accuracy: a common-source row with the right source_name (case-insensitive);
* same-outlet accuracy; undetermined rate: true derivations answered only ``undetermined``;
* wrong-direction rate: true derivations where the source is said to copy the derived article, or
  the derived article is said to copy something else instead;
* copy read as quote relay: copies answered common-source with a quoted speaker instead;
* copy given a sibling source: copies answered as copied from another, earlier copy of the same
  source (provenance names the nearest earlier article that carries the text; when that copy is
  verbatim the text cannot tell it from the original, but the truth here is the original);
* spurious rate: (independent reports with any row + chain copies C with a ``copied`` row naming
  the agency that C does not credit) / (independent reports + chain copies).

Usage::

    python scripts/wire_sim.py [--stories N] [--seed S] [--undated] [--cases] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import random
import sqlite3
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from datasette_provenance.attributions import find_attributions
from datasette_provenance.load import load_paths

HERE = Path(__file__).resolve().parent


def _synth_reuse():
    """scripts/synth_reuse.py (not a package): loaded by path, once."""
    if "synth_reuse" in sys.modules:
        return sys.modules["synth_reuse"]
    spec = importlib.util.spec_from_file_location("synth_reuse", HERE / "synth_reuse.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["synth_reuse"] = module
    spec.loader.exec_module(module)
    return module


sr = _synth_reuse()
_NEEDED = ("_Registry", "_new_sentence", "_rewrite", "_synonymise", "_determiners", "_fill", "_cap", "_make_story",
           "_outlet_profiles", "char_grams", "jaccard", "OUTLETS", "FIRST_F", "FIRST_M", "SURNAMES", "SENT_MIN",
           "SENT_MAX", "NEG_MAX_J", "NEG_MAX_C")
if missing := [name for name in _NEEDED if not hasattr(sr, name)]:
    raise ImportError(f"scripts/synth_reuse.py no longer has {', '.join(missing)}: wire_sim.py needs updating")


def _make_story(idx: int, rng: random.Random, used_names: set, used_people: set, usage: Counter):
    """synth_reuse's story maker, whichever of its signatures is current (it grew a ``usage`` counter)."""
    params = inspect.signature(sr._make_story).parameters
    args = [idx, rng, used_names, used_people] + ([usage] if len(params) >= 5 else [])
    return sr._make_story(*args)


WHOLLY = 0.7  # the extent threshold of provenance.py
MARGIN = (0.6, 0.8)  # derived articles are kept outside this band of the derived share
REWRITE_J = (0.3, 0.6)  # char-5-gram Jaccard of a rewrite to the sentence it rewrites

# (name as outlet and credit, key, domain, boilerplate lines)
AGENCIES = [
    ("Reuters", "reuters", "reuters.com",
     ["Reporting by {p1}; Editing by {p2}", "Our Standards: The Thomson Reuters Trust Principles."]),
    ("AFP", "afp", "afp.com", ["{i1}/{i2}", "© Agence France-Presse {year}"]),
    ("AP", "ap", "apnews.com", ["Copyright {year} The Associated Press. All rights reserved."]),
    ("TASS", "tass", "tass.com", ["Follow TASS on Telegram for breaking news and analysis"]),
]
AGENCY_NAMES = frozenset(a[0] for a in AGENCIES)
CREDIT_FORMS = ("dateline", "source", "according", "reported")
# Stand-ins for synth_reuse's {agency} slot: none of them is a source name the attribution finder
# knows, so the only credits in the corpus are the ones planted here.
SAFE_RELAYS = ["state television", "local media", "the regional press service", "state radio"]

# Own (non-derived) sentences when synth_reuse's templates run out: many combinations, story entities.
F_OPENERS = ["", "", "", "Meanwhile, ", "On {weekday} evening, ", "Earlier in the day, ", "Late on {weekday}, ",
             "In {capital}, ", "By midday, ", "Separately, ", "Over the weekend, ", "For the {nth} time this year, "]
F_SUBJECTS = [
    "residents of {town}", "opposition lawmakers in {capital}", "independent observers in {city}",
    "economists at a {ca_adj} bank", "aid workers in {place}", "local journalists in {town}",
    "the mayor of {town}", "diplomats based in {city}", "traders in {capital}", "a group of retired officers",
    "students at the main university in {capital}", "shop owners near {town}", "two human rights groups",
    "a parliamentary committee in {cb_capital}", "religious leaders in {place}", "regional election officials",
    "transport unions in {capital}", "hospital staff in {town}", "farmers from {place}",
    "the chamber of commerce in {cb_capital}", "volunteers from {port}", "a coalition of teachers' unions",
]
F_VERBS = [
    "voiced doubts about", "held a meeting to discuss", "questioned the timing of", "published their own estimate of",
    "demanded more transparency over", "were still awaiting details of", "circulated photographs of",
    "complained about the handling of", "drafted a petition concerning", "asked for a public hearing on",
    "set up a telephone hotline about", "started collecting testimony on", "organised a vigil related to",
    "sent an open letter regarding", "launched a fundraising drive linked to", "staged a small protest over",
]
F_OBJECTS = ["{issue}", "{event}", "{goal}", "the official figures", "the latest developments",
             "the government's plans for {place}", "the new rules announced in {capital}", "last month's decision",
             "the planned visit to {city}", "the budget for {place}", "the reconstruction of {town}"]
F_TAILS = [
    "after {n} days of silence", "in a {n}-page document", "as about {n3} people gathered outside the town hall",
    "with {n4} signatures collected so far", "before a scheduled session on {weekday}", "during a televised debate",
    "while heavy rain fell over {town}", "ahead of a vote expected in {month}", "for the {nth} week in a row",
    "at a crowded community centre in {town}", "using figures from {year}", "in a letter of {n} paragraphs",
    "despite a ban on gatherings of more than {n} people", "at a press event that lasted {n2} hours",
    "less than {n2} kilometres from {port}", "in a park on the edge of {capital}",
]
ORDINALS = ["second", "third", "fourth", "fifth", "sixth", "seventh"]
MONTH_ABBR = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"]
GAPS_MIN = [7, 25, 50, 95, 180, 420, 1440, 1740, 2880, 4320]  # publication after the source, minutes


class _Unit:
    """One sentence of a story: its text, structure (for rewrites) and registry owner."""

    __slots__ = ("text", "sent", "grams", "owner")

    def __init__(self, text, sent, grams, owner):
        self.text, self.sent, self.grams, self.owner = text, sent, grams, owner


class _Art:
    """One article being planned: outlet, body (units + whether each comes from the source), dates."""

    def __init__(self, ext_id, outlet, domain, profile, case):
        self.ext_id, self.outlet, self.domain, self.profile, self.case = ext_id, outlet, domain, profile, case
        self.body: list[tuple[str, bool]] = []  # (sentence text, derived from the true source)
        self.units: list[_Unit] = []  # parallel to body: the unit each sentence is (or came from)
        self.title = ""
        self.title_derived = False
        self.dateline = ""
        self.credit_line: str | None = None
        self.when: datetime | None = None
        self.precision = "minute"
        self.truth: dict = {}
        self.in_corpus = True

    def share(self) -> float:
        title = len(self.title) * (2 if self.profile.get("repeat_title") else 1)
        total = title + len(self.dateline) + sum(len(t) for t, _ in self.body)
        derived = (len(self.title) if self.title_derived else 0) + sum(len(t) for t, d in self.body if d)
        return derived / total if total else 0.0


class _Gen:
    """Sentence supply: synth_reuse's structured sentences, then combinatorial filler, all kept apart."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.registry = sr._Registry()
        self.serial = 0

    def _ok(self, text: str, exclude: str | None = None) -> tuple[bool, float]:
        if not (sr.SENT_MIN <= len(text) <= sr.SENT_MAX) or find_attributions(text):
            return False, 0.0
        j, c = self.registry.worst(sr.char_grams(text), exclude=exclude)
        return j < sr.NEG_MAX_J and c < sr.NEG_MAX_C, j

    def _register(self, text: str, sent, owner: str | None = None) -> _Unit:
        if owner is None:
            self.serial += 1
            owner = f"u{self.serial}"
        grams = sr.char_grams(text)
        self.registry.add(grams, owner)
        return _Unit(text, sent, grams, owner)

    def fresh(self, story, prefer: str | None = None, hard: bool = False) -> _Unit | None:
        """A new sentence about the story, unlike every sentence generated so far (hard: the most alike)."""
        best = None
        for _ in range(10):
            sent = sr._new_sentence(story, self.rng, prefer)
            text = sent.render(story)
            ok, j = self._ok(text)
            if ok and (best is None or j > best[0]):
                best = (j, text, sent)
                if not hard:
                    break
        if best is None:
            for _ in range(60):
                text = self._filler(story)
                ok, j = self._ok(text)
                if ok:
                    best = (j, text, None)
                    break
        return self._register(best[1], best[2]) if best else None

    def _filler(self, story) -> str:
        rng = self.rng
        ents = dict(story.ents, n=str(rng.randint(3, 60)), n2=str(rng.randint(2, 12)), n3=str(rng.randint(40, 900)),
                    n4=f"{rng.randint(1, 90)},{rng.randint(0, 999):03d}", nth=rng.choice(ORDINALS))
        parts = [rng.choice(F_OPENERS), rng.choice(F_SUBJECTS), " ", rng.choice(F_VERBS), " ",
                 rng.choice(F_OBJECTS), " ", rng.choice(F_TAILS), "."]
        return sr._cap(sr._fill("".join(parts), ents, story.slots, rng))

    def rewrite(self, story, unit: _Unit) -> _Unit | None:
        """A sentence-level rewrite of ``unit`` (synth_reuse's synonyms, reframing, clause order)."""
        rng = self.rng
        target = rng.uniform(0.35, 0.55)
        best = None
        for t in range(14):
            strength = 0.4 + 0.6 * t / 14 + rng.uniform(0, 0.3)
            if unit.sent is not None:
                text = sr._rewrite(unit.sent, rng, strength).render(story)
            else:
                text = sr._determiners(sr._synonymise(unit.text, min(0.98, 0.5 + strength / 2), rng), 0.4 * strength,
                                       rng)
            if not (sr.SENT_MIN - 20 <= len(text) <= sr.SENT_MAX + 40) or find_attributions(text):
                continue
            j = sr.jaccard(sr.char_grams(text), unit.grams)
            if not (REWRITE_J[0] <= j <= REWRITE_J[1]):
                continue
            wj, wc = self.registry.worst(sr.char_grams(text), exclude=unit.owner)
            if wj >= sr.NEG_MAX_J or wc >= sr.NEG_MAX_C:
                continue
            if best is None or abs(j - target) < best[0]:
                best = (abs(j - target), text)
        return self._register(best[1], None, owner=unit.owner) if best else None

    def title(self, story, used: list[str]) -> str:
        opts = list(story.topic["titles"])
        self.rng.shuffle(opts)
        for tmpl in opts:
            cand = sr._fill(tmpl, story.ents, story.slots, self.rng)
            g = sr.char_grams(cand)
            if (self.registry.worst(g)[0] < sr.NEG_MAX_J and not find_attributions(cand)
                    and all(sr.jaccard(g, sr.char_grams(t)) < sr.NEG_MAX_J for t in used)):
                self._register(cand, None)
                used.append(cand)
                return cand
        return f"Latest on {story.topic_words[3]}"  # short: never matched


def _dateline(agency: str, city: str, when: datetime) -> str:
    city = city.upper()
    month = MONTH_ABBR[when.month - 1]
    if agency == "TASS":
        return f"{city}, {when:%B} {when.day}. /TASS/. "
    if agency == "AP":
        return f"{city} (AP) — "
    if agency == "AFP":
        return f"{city}, {month} {when.day}, {when.year} (AFP) - "
    return f"{city}, {month} {when.day} (Reuters) - "


def _credit(art: _Art, agency: str, form: str, city: str, when: datetime, rng: random.Random) -> str:
    """Make ``art`` credit the agency in the given form; returns the form actually used."""
    if form in ("according", "reported"):
        for i, (text, derived) in enumerate(art.body):
            if not derived:
                continue
            if form == "according" and not text.startswith(('"', "According", "As ")):
                first = text.split(" ", 1)[0]
                body = text[0].lower() + text[1:] if first in ("The", "A", "An", "It", "There", "If", "Any") else text
                art.body[i] = (f"According to {agency}, {body}", True)
                return form
            if form == "reported" and text.endswith(".") and not text.endswith('."'):
                art.body[i] = (f"{text[:-1]}, {agency} reported.", True)
                return form
        form = "source"
    if form == "dateline":
        art.dateline = _dateline(agency, city, when)
        return form
    art.credit_line = rng.choice(["SOURCE: {a}", "SOURCE:{a}", "Source: {a}"]).format(a=agency)
    return "source"


def _stamp(when: datetime, precision: str) -> str:
    return when.strftime("%Y-%m-%dT%H:%MZ") if precision == "minute" else when.strftime("%Y-%m-%d")


def _text(art: _Art, rng: random.Random) -> str:
    prof = art.profile
    lines = []
    if prof.get("top"):
        lines.append(prof["top"])
    lines.append(art.title)
    if prof.get("repeat_title"):
        lines.append(art.title)
    sentences = [t for t, _ in art.body]
    i, first = 0, True
    while i < len(sentences):
        size = rng.choice([1, 2, 2, 3])
        par = " ".join(sentences[i:i + size])
        i += size
        if first:
            par = art.dateline + par
            first = False
        lines.append(par)
    if art.credit_line:
        lines.append(art.credit_line)
    lines.extend(prof.get("bottom", []))
    return "\n\n".join(lines)


def generate(n_stories: int = 12, seed: int = 1, dated: bool = True) -> tuple[list[dict], dict]:
    """``n_stories`` stories of wire reuse; returns (JSON Lines records, truth)."""
    rng = random.Random(seed)
    gen = _Gen(rng)
    outlets = sr._outlet_profiles(len(sr.OUTLETS), rng)
    for prof in outlets:  # the agency-style dateline of synth_reuse's profiles is ours to plant
        prof["dateline"] = False
    agency_profiles = {}
    for name, key, domain, lines in AGENCIES:
        vals = {"p1": f"{rng.choice(sr.FIRST_F)} {rng.choice(sr.SURNAMES)}",
                "p2": f"{rng.choice(sr.FIRST_M)} {rng.choice(sr.SURNAMES)}",
                "i1": "".join(rng.choice("abcdefghjklmnprstvw") for _ in range(2)),
                "i2": "".join(rng.choice("abcdefghjklmnprstvw") for _ in range(3)), "year": "2022"}
        agency_profiles[name] = {"key": key, "domain": domain, "top": None, "repeat_title": False,
                                 "bottom": [ln.format(**vals) for ln in lines]}
    used_names: set[str] = set()
    used_people: set[str] = set()
    usage: Counter = Counter()
    arts: list[_Art] = []
    start = datetime(2022, 1, 3, 6, 0)

    for idx in range(n_stories):
        kind = "upstream" if idx % 4 == 2 else "update" if idx % 6 == 5 else "wire"
        story = _make_story(idx, rng, used_names, used_people, usage)
        story.ents["agency"] = rng.choice(SAFE_RELAYS)
        agency, akey, adomain, _ = AGENCIES[rng.randrange(len(AGENCIES))]
        city = story.speakers[0]["capital"]
        t0 = start + timedelta(days=rng.randrange(700), minutes=rng.randrange(14 * 60))
        titles: list[str] = []
        free = [p for p in outlets]
        rng.shuffle(free)

        def outlet_art(case: str) -> _Art:
            prof = free.pop()
            return _Art(f"{prof['key']}-{idx:04d}-{case}", prof["name"], prof["domain"], prof, case)

        def own(art: _Art, n: int, hard: bool = False) -> None:
            for _ in range(n):
                u = gen.fresh(story, hard=hard)
                if u is not None:
                    art.body.append((u.text, False))
                    art.units.append(u)

        def later(art: _Art, after: datetime, precision: str | None = None) -> None:
            art.when = after + timedelta(minutes=rng.choice(GAPS_MIN) + rng.randrange(5))
            art.precision = precision or ("minute" if rng.random() < 0.55 else "day")

        # the agency article (kept out of the corpus in upstream stories)
        a = _Art(f"{akey}-{idx:04d}", agency, adomain, agency_profiles[agency], "agency")
        a.in_corpus = kind != "upstream"
        a.when, a.precision = t0, "minute"
        a.title = gen.title(story, titles)
        a.dateline = _dateline(agency, city, t0)
        for k in range(rng.randint(8, 14)):
            u = gen.fresh(story, prefer="fact" if k == 0 else None)
            if u is not None:
                a.body.append((u.text, False))
                a.units.append(u)
        a.truth = {"relation": "none", "source": None, "extent": "independent"}
        arts.append(a)
        pool = list(zip(a.body, a.units))

        def copy(art: _Art, picks: list[int]) -> None:
            for i in sorted(picks):
                art.body.append((pool[i][0][0], True))
                art.units.append(pool[i][1])

        def derived_truth(art: _Art, relation: str, source: str, lo_hi: str, **extra) -> None:
            """Record the truth; pad own sentences (partial) or drop them (wholly) to leave the margin."""
            while lo_hi == "partially" and art.share() > MARGIN[0]:
                before = len(art.body)
                own(art, 1)
                if len(art.body) == before:
                    break
            while lo_hi == "wholly" and art.share() < MARGIN[1]:
                owns = [i for i, (_, d) in enumerate(art.body) if not d]
                if not owns:
                    break
                del art.body[owns[-1]], art.units[owns[-1]]
            share = art.share()
            art.truth = {"relation": relation, "source": source, "extent": "wholly" if share >= WHOLLY else "partially",
                         "share": round(share, 3), **extra}

        def credit_maybe(art: _Art, p: float, forms=CREDIT_FORMS) -> str | None:
            if rng.random() >= p:
                return None
            return _credit(art, agency, rng.choice(forms), city, art.when, rng)

        def mix(art: _Art) -> None:
            """Shuffle the body; half of the time a derived sentence leads."""
            order = list(range(len(art.body)))
            rng.shuffle(order)
            lead = next((k for k, i in enumerate(order) if art.body[i][1]), None)
            if lead is not None and rng.random() < 0.5:
                order.insert(0, order.pop(lead))
            art.body = [art.body[i] for i in order]
            art.units = [art.units[i] for i in order]

        n = len(pool)
        if kind == "update":
            u = _Art(f"{akey}-{idx:04d}-update", agency, adomain, agency_profiles[agency], "update")
            later(u, t0, "minute")
            u.when = t0 + timedelta(minutes=rng.randrange(60, 600))  # an update comes within hours
            u.title = gen.title(story, titles)
            u.dateline = _dateline(agency, city, u.when)
            own(u, rng.randint(2, 4))
            keep = sorted(rng.sample(range(n), n - rng.randint(1, 3)))
            copy(u, keep)
            derived_truth(u, "same-outlet", a.ext_id, "wholly" if rng.random() < 0.5 else "partially")
            arts.append(u)
        elif kind == "upstream":
            siblings: list[_Art] = []
            core = rng.sample(range(n - 2), rng.randint(2, 3))  # both carry these, so the upstream shows
            for case in ("upstream", "upstream"):
                c = outlet_art(case)
                later(c, t0)
                wholly = rng.random() < 0.5
                if wholly:
                    keep_title = rng.random() < 0.5
                    c.title, c.title_derived = (a.title, True) if keep_title else (gen.title(story, titles), False)
                    copy(c, range(n - rng.randint(0, 2)))
                else:
                    c.title = gen.title(story, titles)
                    rest = [i for i in range(n) if i not in core]
                    copy(c, core + rng.sample(rest, rng.randint(0, 2)))
                    own(c, rng.randint(3, 5))
                    mix(c)
                form = _credit(c, agency, rng.choice(CREDIT_FORMS), city, c.when, rng)
                derived_truth(c, "common-source", agency, "wholly" if wholly else "partially", credit=form)
                siblings.append(c)
                arts.append(c)
            # Only text another corpus article also carries can be seen as taken from the upstream: the
            # extent of a common-source derivation is measured on that (the full share stays in "share").
            for c, other in ((siblings[0], siblings[1]), (siblings[1], siblings[0])):
                seen = {u.text for u in other.units}
                title = len(c.title) * (2 if c.profile.get("repeat_title") else 1)
                total = title + len(c.dateline) + sum(len(t) for t, _ in c.body)
                shared = (len(c.title) if c.title_derived and other.title_derived else 0) + sum(
                    len(t) for (t, d), u in zip(c.body, c.units) if d and u.text in seen)
                c.truth["observable_share"] = round(shared / total, 3)
                c.truth["extent"] = "wholly" if shared / total >= WHOLLY else "partially"
        else:
            # wholly copy
            w = outlet_art("wholly")
            later(w, t0)
            w.title, w.title_derived = (a.title, True) if rng.random() < 0.6 else (gen.title(story, titles), False)
            copy(w, range(n - (rng.randint(0, 2) if n >= 10 else 0)))
            if rng.random() < 0.4:
                own(w, 1)
            form = credit_maybe(w, 0.5)
            derived_truth(w, "copied", a.ext_id, "wholly", credit=form)
            arts.append(w)
            # partial copy
            p = outlet_art("partial")
            later(p, t0)
            p.title = gen.title(story, titles)
            copy(p, rng.sample(range(n), rng.randint(2, 4)))
            own(p, rng.randint(3, 6))
            mix(p)
            form = credit_maybe(p, 0.5)
            derived_truth(p, "copied", a.ext_id, "partially", credit=form)
            arts.append(p)
            # rewrite
            if rng.random() < 0.85:
                r = outlet_art("rewrite")
                later(r, t0)
                r.title = gen.title(story, titles)
                most = rng.random() < 0.4
                picks = sorted(rng.sample(range(n), max(2, int(n * rng.uniform(0.75, 1.0))) if most
                                          else rng.randint(3, 5)))
                for i in picks:
                    nu = gen.rewrite(story, pool[i][1])
                    if nu is not None:
                        r.body.append((nu.text, True))
                        r.units.append(nu)
                if not most:
                    own(r, rng.randint(3, 5))
                    mix(r)
                form = credit_maybe(r, 0.3, ("according", "reported", "source"))
                derived_truth(r, "copied", a.ext_id, "wholly" if most else "partially", credit=form)
                arts.append(r)
            # chain: B copies the agency and adds its own sentences; C copies B
            if rng.random() < 0.6:
                b = outlet_art("chain-b")
                later(b, t0)
                b.title = gen.title(story, titles)
                b_wholly = rng.random() < 0.4
                copy(b, range(n) if b_wholly else rng.sample(range(n), rng.randint(3, 5)))
                own(b, 2 if b_wholly else rng.randint(3, 4))
                mix(b)
                form = credit_maybe(b, 0.4)
                derived_truth(b, "copied", a.ext_id, "wholly" if b_wholly else "partially", credit=form)
                arts.append(b)
                c = outlet_art("chain-c")
                later(c, b.when)
                c.title, c.title_derived = (b.title, True) if rng.random() < 0.4 else (gen.title(story, titles), False)
                b_own = [i for i, (_, d) in enumerate(b.body) if not d]
                b_agency = [i for i, (_, d) in enumerate(b.body) if d]
                c_wholly = rng.random() < 0.5
                if c_wholly:
                    picks = list(range(len(b.body)))
                else:
                    picks = rng.sample(b_own, min(2, len(b_own))) + rng.sample(b_agency, min(len(b_agency),
                                                                                          rng.randint(1, 2)))
                for i in sorted(picks):
                    c.body.append((b.body[i][0], True))
                    c.units.append(b.units[i])
                if not c_wholly:
                    own(c, rng.randint(3, 5))
                    mix(c)
                form = credit_maybe(c, 0.25, ("reported", "source"))
                derived_truth(c, "copied", b.ext_id, "wholly" if c_wholly else "partially", credit=form,
                              ancestors=[a.ext_id])
                from_a = {id(u) for u in a.units}  # the extent against the agency, should C be credited to it
                total = len(c.title) * (2 if c.profile.get("repeat_title") else 1) + sum(len(t) for t, _ in c.body)
                share_a = sum(len(t) for (t, d), u in zip(c.body, c.units) if d and id(u) in from_a) / total
                c.truth["extent_by_source"] = {a.ext_id: "wholly" if share_a >= WHOLLY else "partially"}
                arts.append(c)
            # an independent report of the same event
            if rng.random() < 0.8:
                i_art = outlet_art("independent")
                i_art.when = t0 + timedelta(minutes=rng.randrange(-1440, 2880))
                i_art.precision = "minute" if rng.random() < 0.5 else "day"
                i_art.title = gen.title(story, titles)
                own(i_art, rng.randint(5, 8), hard=True)
                i_art.truth = {"relation": "none", "source": None, "extent": "independent"}
                arts.append(i_art)

    records, truth_articles = [], {}
    for art in arts:
        if not art.in_corpus:
            continue
        text = _text(art, rng)
        credits = sorted({x.source_name for x in find_attributions(text)})
        truth = dict(art.truth, case=art.case, outlet=art.outlet, credits=credits,
                     published=_stamp(art.when, art.precision) if dated else None)
        if art.case == "chain-c":  # crediting the agency makes the agency an acceptable source
            truth["also_ok"] = [x for x in truth["ancestors"] if _agency_of(x) in credits]
        truth_articles[art.ext_id] = truth
        records.append({"id": art.ext_id, "outlet": art.outlet,
                        "url": f"https://{art.domain}/news/{art.ext_id}", "published":
                        _stamp(art.when, art.precision) if dated else None, "title": art.title, "text": text})
    rng.shuffle(records)
    return records, {"articles": truth_articles, "seed": seed, "stories": n_stories, "dated": dated}


def _agency_of(ext_id: str) -> str | None:
    key = ext_id.split("-")[0]
    return next((name for name, k, _, _ in AGENCIES if k == key), None)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


def evaluate(db_path: str, truth: dict) -> dict:
    """Score the derivations table of ``db_path`` against ``truth`` (see the module docstring)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        ext = dict(conn.execute("select id, external_id from articles"))
        rows = defaultdict(list)
        for d, s, name, rel, extent, chars in conn.execute(
                "select derived_article_id, source_article_id, source_name, relation, extent, shared_chars"
                " from derivations"):
            rows[ext[d]].append({"source": ext.get(s), "name": name, "relation": rel, "extent": extent,
                                 "chars": chars or 0})
    finally:
        conn.close()
    arts = truth["articles"]
    by_story = defaultdict(list)
    for e in arts:
        by_story[e.split("-")[1]].append(e)

    def ok_sources(e: str) -> set:
        t = arts[e]
        return {t["source"], *t.get("also_ok", ())}

    def correct(e: str) -> bool:
        t = arts[e]
        if t["relation"] == "common-source":
            return any(r["relation"] == "common-source" and (r["name"] or "").lower() == t["source"].lower()
                       for r in rows[e])
        if t["relation"] in ("copied", "same-outlet"):
            return any(r["relation"] == t["relation"] and r["source"] in ok_sources(e) for r in rows[e])
        return not rows[e]

    def partners(e: str) -> set:
        t = arts[e]
        if t["relation"] == "common-source":
            return {o for o in by_story[e.split("-")[1]] if o != e and arts[o]["relation"] == "common-source"}
        return ok_sources(e)

    def undetermined(e: str) -> bool:
        ps = partners(e)
        return (any(r["relation"] == "undetermined" and r["source"] in ps for r in rows[e])
                or any(r["relation"] == "undetermined" and r["source"] == e for p in ps for r in rows.get(p, ())))

    def wrong(e: str) -> bool:
        """A directed answer that is wrong: the source copied from e, or e copied from the wrong article."""
        ps = partners(e)
        directed = ("copied", "same-outlet")
        if any(r["relation"] in directed and r["source"] == e for p in ps for r in rows.get(p, ())):
            return True
        if correct(e):
            return False
        return any(r["relation"] in directed for r in rows[e])

    def answered(e: str) -> dict | None:
        """The row that gives e's right source (on e's side), if any."""
        t = arts[e]
        good = [r for r in rows[e] if (r["relation"] == t["relation"] and r["source"] in ok_sources(e)
                                       if t["relation"] in ("copied", "same-outlet")
                                       else r["relation"] == "common-source"
                                       and (r["name"] or "").lower() == str(t["source"]).lower())]
        return max(good, key=lambda r: r["chars"]) if good else None

    def extent_scored(e: str) -> bool:
        """Extent is judged where the answer names the right source, and on independent reports."""
        return arts[e]["case"] == "independent" or (arts[e]["relation"] != "none" and answered(e) is not None)

    def extent_ok(e: str) -> bool:
        t = arts[e]
        if t["case"] == "independent":
            return not rows[e]
        r = answered(e)
        want = t.get("extent_by_source", {}).get(r["source"], t["extent"])
        return r["extent"] == want

    def sibling_answer(e: str) -> bool:
        """Answered as copied from another copy of the same source (the nearest earlier article carrying
        the text), which the text alone cannot tell from the original when that copy is verbatim."""
        src = arts[e]["source"]
        sibs = {y for y in by_story[e.split("-")[1]] if y != e and arts[y]["relation"] == "copied"
                and src in (arts[y]["source"], *arts[y].get("ancestors", ()))}
        return any(r["relation"] == "copied" and r["source"] in sibs for r in rows[e])

    def speaker_answer(e: str) -> bool:
        """Answered as relaying a quoted speaker (a common-source row naming no agency)."""
        return any(r["relation"] == "common-source" and r["name"] not in AGENCY_NAMES for r in rows[e])

    def is_decidable(e: str) -> bool:
        """The evidence orders the pair: the copy credits its source's outlet, or the dates order them."""
        t, s = arts[e], arts[arts[e]["source"]]
        if s["outlet"] in t["credits"]:
            return True
        a, b = t.get("published"), s.get("published")
        if not a or not b:
            return False
        return ("T" in a and "T" in b) or a[:10] != b[:10]

    copied = [e for e in arts if arts[e]["relation"] == "copied"]
    decidable = [e for e in copied if is_decidable(e)]
    derived = [e for e in arts if arts[e]["relation"] != "none"]
    upstream = [e for e in arts if arts[e]["relation"] == "common-source"]
    same = [e for e in arts if arts[e]["relation"] == "same-outlet"]
    independent = [e for e in arts if arts[e]["case"] == "independent"]
    chains = [e for e in arts if arts[e]["case"] == "chain-c"]
    originals = [e for e in arts if arts[e]["case"] == "agency"]
    scored_extent = [e for e in derived + independent if extent_scored(e)]
    shortcuts = [e for e in chains
                 if any(r["relation"] == "copied" and r["source"] in arts[e]["ancestors"]
                        and r["source"] not in ok_sources(e) for r in rows[e])]
    spurious_ind = [e for e in independent if rows[e]]

    def rate(items, pred) -> float | None:
        return round(sum(1 for e in items if pred(e)) / len(items), 3) if items else None

    cases = {}
    for case in sorted({arts[e]["case"] for e in arts}):
        items = [e for e in arts if arts[e]["case"] == case]
        cases[case] = {"n": len(items), "correct": sum(map(correct, items)),
                       "undetermined": sum(1 for e in items if arts[e]["relation"] != "none" and undetermined(e)),
                       "wrong": sum(1 for e in items if arts[e]["relation"] != "none" and wrong(e)),
                       "speaker": sum(1 for e in items if not correct(e) and speaker_answer(e)),
                       "sibling": sum(1 for e in items if arts[e]["relation"] == "copied" and not correct(e)
                                      and sibling_answer(e)),
                       "extent_ok": sum(1 for e in items if extent_scored(e) and extent_ok(e)),
                       "extent_scored": sum(1 for e in items if extent_scored(e))}
    return {
        "articles": len(arts),
        "direction_accuracy": rate(copied, correct),
        "direction_accuracy_decidable": rate(decidable, correct),
        "extent_accuracy": rate(scored_extent, extent_ok),
        "common_source_accuracy": rate(upstream, correct),
        "same_outlet_accuracy": rate(same, correct),
        "undetermined_rate": rate(derived, lambda e: not correct(e) and undetermined(e)),
        "speaker_rate": rate(copied, lambda e: not correct(e) and speaker_answer(e)),
        "sibling_rate": rate(copied, lambda e: not correct(e) and sibling_answer(e)),
        "wrong_direction_rate": rate(derived, wrong),
        "spurious_rate": (round((len(spurious_ind) + len(shortcuts)) / (len(independent) + len(chains)), 3)
                          if independent or chains else None),
        "originals_marked_copied": sum(1 for e in originals if any(r["relation"] == "copied" for r in rows[e])),
        "n_extent": len(scored_extent), "n_copied": len(copied), "n_decidable": len(decidable),
        "n_derived": len(derived), "n_common_source": len(upstream), "n_same_outlet": len(same),
        "n_independent": len(independent), "n_chains": len(chains),
        "spurious_independent": len(spurious_ind), "chain_shortcuts": len(shortcuts),
        "cases": cases,
        "failures": {e: {"truth": {k: arts[e][k] for k in ("case", "relation", "source", "extent", "credits")},
                         "rows": rows[e]}
                     for e in arts if not correct(e) or (extent_scored(e) and not extent_ok(e))},
    }


def run(n_stories: int = 12, seed: int = 1, dated: bool = True, workdir: str | Path | None = None) -> dict:
    """Generate, load into a fresh database with load_paths, and evaluate."""
    records, truth = generate(n_stories, seed=seed, dated=dated)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(workdir) if workdir else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        tag = "dated" if dated else "undated"
        corpus = base / f"wire-{tag}.jsonl"
        corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        (base / f"wire-{tag}.truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
        db = base / f"wire-{tag}.db"
        for old in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            if old.exists():
                old.unlink()
        load_paths(str(db), [str(corpus)])
        return evaluate(str(db), truth)


ROWS = [
    ("direction accuracy", "direction_accuracy", "n_copied"),
    ("  where order is decidable", "direction_accuracy_decidable", "n_decidable"),
    ("extent accuracy", "extent_accuracy", "n_extent"),
    ("common-source accuracy", "common_source_accuracy", "n_common_source"),
    ("same-outlet accuracy", "same_outlet_accuracy", "n_same_outlet"),
    ("undetermined rate", "undetermined_rate", "n_derived"),
    ("wrong-direction rate", "wrong_direction_rate", "n_derived"),
    ("copy read as quote relay", "speaker_rate", "n_copied"),
    ("copy given a sibling source", "sibling_rate", "n_copied"),
    ("spurious rate", "spurious_rate", None),
    ("  independent with rows", "spurious_independent", "n_independent"),
    ("  chain shortcuts", "chain_shortcuts", "n_chains"),
    ("originals marked copied", "originals_marked_copied", None),
]


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stories", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--undated", action="store_true", help="only the undated run (default: dated and undated)")
    ap.add_argument("--cases", action="store_true", help="also print per-case counts and the failures")
    ap.add_argument("--keep", help="write the corpus, truth and database here instead of a temp dir")
    args = ap.parse_args(argv)
    modes = [False] if args.undated else [True, False]
    results = {d: run(args.stories, args.seed, d, args.keep) for d in modes}
    names = ["dated" if d else "undated" for d in modes]
    print(f"{args.stories} stories, seed {args.seed}, {results[modes[0]]['articles']} articles")
    print(f"{'metric':<28}" + "".join(f"{n:>14}" for n in names))
    for label, key, of in ROWS:
        cells = [_fmt(results[d][key]) + (f" /{results[d][of]:<3}" if of else "     ") for d in modes]
        print(f"{label:<28}" + "".join(f"{c:>14}" for c in cells))
    if args.cases:
        for d, name in zip(modes, names):
            print(f"\n{name}: {'case':<12}{'n':>4}{'correct':>9}{'undet.':>8}{'wrong':>7}{'quote':>7}{'sibl.':>7}"
                  f"{'extent ok':>11}")
            for case, c in results[d]["cases"].items():
                print(f"{'':<{len(name) + 2}}{case:<12}{c['n']:>4}{c['correct']:>9}{c['undetermined']:>8}"
                      f"{c['wrong']:>7}{c['speaker']:>7}{c['sibling']:>7}{c['extent_ok']:>7}/{c['extent_scored']:<3}")
            for e, f in results[d]["failures"].items():
                rows = "; ".join(f"{r['relation']} {r['source'] or r['name']} {r['extent']}" for r in f["rows"])
                t = f["truth"]
                print(f"  {e}: want {t['relation']} {t['source']} {t['extent']} (credits {t['credits']}) "
                      f"got [{rows}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
