#!/usr/bin/env python3
"""Synthetic wire -> outlets simulation with planted ground truth, and a scorer for the derivations table.

The generator plants known reuse, ``load_paths`` builds a corpus database and ``evaluate`` compares
its ``derivations`` with the truth. The truth is what the generator planted, never what the
project's own detectors say: every sentence carries the id of the sentence it was made from
(its *origin*), so the share of an article that came from a source, and which articles explain it,
are counted from the plan; every credit ("(Reuters) -", "SOURCE: AFP", "By NAME, PA News",
"According to AP, ...") is recorded where it is written. Nothing is measured, retried or clamped
against a similarity: copies are verbatim or trimmed (synth_reuse's clause cuts), rewrites are
synth_reuse's translation-like variants at a freedom drawn once, and fall at whatever Jaccard they
land; shares fall anywhere (the truth says ``wholly`` when >= 0.7 of the planted text came from the
source). The only rejections are structural, as in synth_reuse's natural difficulty: an own sentence
must have 80-250 characters and not repeat a sentence of the corpus or say what another own sentence
says (same written-out template, or same stance and object); no own sentence names an agency (the
{agency} slot of synth_reuse's frames is filled with "state television" and the like), so the only
agency credits are the planted ones. Deterministic for a seed (one ``random.Random``).

Outlets: agencies Reuters, AFP, AP, TASS and PA Media (their datelines: "MOSCOW, Feb 3 (Reuters) -",
"/TASS/.", "(AP) —", "(AFP) -"; PA copy has a "By NAME, PA News" byline instead), all minute-precision;
newspapers with made-up names, each with its own boilerplate lines, at minute precision half of the
time and day precision otherwise.

Stories, in a cycle of KINDS:

* ``wire``: the agency article, and ``wholly`` (a newspaper copies nearly all of it verbatim),
  ``partial`` (2-4 of its sentences, verbatim or trimmed, among own sentences), ``rewrite`` (85 %:
  rewrites of most or of 3-5 of its sentences), ``chain-b``/``chain-c`` (60 %: B copies the agency
  and adds own sentences, C copies B with some of B's own sentences: C's source is B), and
  ``independent`` (80 %: a report of the same event, same speakers and frames, no shared sentence: it
  must get no row). Copies credit the agency half of the time (rewrites 30 %, chain-c 25 %).
* ``versions``: the agency's first take (3-5 sentences), a write-through 40-180 minutes later (the
  first take, one sentence perhaps revised, and 3-5 new ones) and the full version 1-6 hours after
  that (the write-through, perhaps one sentence fewer, and 3-6 new ones): ``version`` articles,
  ``same-outlet`` from the previous version. 2-3 newspapers (``ver-client``) copy one version (wholly
  or 2-4 sentences) some minutes to days after it: ``copied`` from that version, and any version
  that explains as much of the copy's planted text is accepted too.
* ``relay`` (copies of copies): the agency article (e.g. Reuters 07:45); ``relay-copy``, a newspaper
  copying it verbatim 1-3 hours later and crediting it (its dateline, a source line or the PA byline);
  then another newspaper rewriting that copy 2-8 hours later without credit. When the copy added
  nothing of its own that the rewrite carries (``relay-rw``), the rewrite's source is the agency and
  the copy is a sibling; when the copy added sentences of its own and the rewrite carries them
  (``relay-rw-own``), its source is the copy. Half of these stories also have another verbatim
  client (``wholly``) of the agency.
* ``background``: the agency files a story (``bg-agency``) that repeats, verbatim, 3-4 background
  sentences of its own earlier story, 2-6 weeks older and NOT in the corpus; a newspaper
  (``bg-paper``) in the corpus had carried those sentences (with some of the absent story's news)
  shortly after the absent story, so weeks before the agency's new story. Accepted for the newspaper:
  copied from the agency's story in the corpus (roles: text flows agency -> clients) or
  common-source naming the agency; an undetermined row with it counts as undetermined. The agency's
  story copies nothing from the corpus: a row making it copy the newspaper is a reversed agency edge.
  Half of these stories also have a client of the new story (``bg-client``).
* ``upstream``: the agency article is NOT in the corpus; two newspapers carry its text (sharing at
  least two sentences) and both credit it: ``common-source`` with source_name = the agency. Its
  extent is measured on what the other copy also carries (only that is observable).

Truth per article (``truth["articles"][external_id]``): ``case``, ``story``, ``outlet``, ``role``
(agency / newspaper), ``relation`` (copied, common-source, same-outlet, none), ``source`` (the planted
source: an external id, possibly of an absent article, or the upstream's name), ``accept`` (relation
-> accepted source ids or names), ``partners`` (articles an undetermined row may pair it with),
``extent_by`` (accepted source -> wholly/partially, from the planted share), ``share``, ``credits``
(agencies the article credits as planted), ``published``.

Metrics (``evaluate``), per case and overall. Each truly derived article gets one outcome: *right* (a
row with an accepted relation and source); else *sibling* (``copied`` from another newspaper copy in
its story that is not an accepted source: the text of a verbatim copy cannot tell it from the
original, but the truth here is the original); else *other* (any other ``copied``, ``same-outlet`` or
``common-source`` row, e.g. the agency for a rewrite that carries the intermediate copy's own
sentences, or a quoted speaker); else *undetermined* (an ``undetermined`` row with an accepted source
or partner); else *none*. Apart from that, a *reversed* row makes an article derive (``copied``,
``same-outlet``) from one that took its text from it, as planted (transitively: an agency's first take
said same-outlet from its full version is reversed); ``wrong_direction_rate`` is the share of derived
articles some reversed row names as the source, ``reversed_agency_edges`` the reversed rows making an
agency article derive from a newspaper's. Also: extent accuracy on right rows; direction accuracy
where the planted evidence orders the pair (the copy credits an accepted source's outlet, or the
dates put it later: both at minute precision, or on different days); the day-precision copies of
agency stories as a group; rows on independent reports; agency originals given a source. And the
newspapers' reused characters that their passages share with an article carrying them, and the
precision of those passages (``reused_chars``; each unit's span is in the truth, ``spans``).

Usage::

    python scripts/wire_sim.py [--stories N] [--seed S] [--undated] [--cases] [--keep DIR] [--archive] [--naive]

``--archive`` lays the agencies' copy out as their archives hold it (``ARCHIVE_LAYOUTS``: header block,
hard-wrapped lines, paragraph marks, TeX quotes, end markers); ``--naive`` also scores the reused
characters that scripts/naive_baseline.py finds in the same corpus (``reused_chars``).
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
import textwrap
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from datasette_provenance.load import load_paths

HERE = Path(__file__).resolve().parent


def _script(name: str):
    """scripts/NAME.py (scripts are not a package): loaded by path, once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


sr = _script("synth_reuse")
_NEEDED = ("_new_sentence", "_natural_rewrite", "_rewrite", "_synonymise", "_determiners", "_paraphrase", "_reduce",
           "_draw", "_draw_edits", "_fill", "_cap", "_make_story", "_headline_template", "_self_attributed",
           "normalise", "char_grams", "jaccard", "BOILERPLATE", "GENERIC_TITLES", "FIRST_F", "FIRST_M", "SURNAMES",
           "SENT_MIN", "SENT_MAX", "NAT_FREEDOM", "NAT_REWRITE_EDIT", "NAT_EDITS_PER_PARTIAL", "NAT_SAME_FRAME")
if missing := [name for name in _NEEDED if not hasattr(sr, name)]:
    raise ImportError(f"scripts/synth_reuse.py no longer has {', '.join(missing)}: wire_sim.py needs updating")


def _make_story(idx: int, rng: random.Random, used_names: set, used_people: set, usage: Counter):
    """synth_reuse's story maker, whichever of its signatures is current (it grew a ``usage`` counter)."""
    params = inspect.signature(sr._make_story).parameters
    args = [idx, rng, used_names, used_people] + ([usage] if len(params) >= 5 else [])
    return sr._make_story(*args)


WHOLLY = 0.7  # the extent threshold of provenance.py: wholly when >= 70 % of the planted text is the source's

# (name as outlet and credit, key, domain, boilerplate lines)
AGENCIES = [
    ("Reuters", "reuters", "reuters.com",
     ["Reporting by {p1}; Editing by {p2}", "Our Standards: The Thomson Reuters Trust Principles."]),
    ("AFP", "afp", "afp.com", ["{i1}/{i2}", "© Agence France-Presse {year}"]),
    ("AP", "ap", "apnews.com", ["Copyright {year} The Associated Press. All rights reserved."]),
    ("TASS", "tass", "tass.com", ["Follow TASS on Telegram for breaking news and analysis"]),
    ("PA Media", "pa", "pamediagroup.com", ["Distributed by PA Media to its subscribers"]),
]
AGENCY_NAMES = frozenset(a[0] for a in AGENCIES)
# Newspapers: made-up names, none of them known to datasette_provenance/data/outlets.json.
NEWSPAPERS = [
    ("courier", "Daily Courier"), ("metro", "Metro Herald"), ("caspian", "Caspian Herald"),
    ("northline", "Northline News"), ("dispatch", "Global Dispatch Daily"), ("levant", "Levant Observer"),
    ("baltic", "Baltic Monitor"), ("sahel", "Sahel Times"), ("pacific", "Pacific Ledger"),
    ("andes", "Andes Courier"), ("danube", "Danube Post"), ("eastern", "Eastern Chronicle"),
    ("harbour", "Harbour Gazette"), ("valley", "Valley Examiner"),
]
KINDS = ("wire", "versions", "relay", "background", "wire", "upstream", "versions", "relay", "background")
CREDIT_FORMS = ("dateline", "source", "according", "reported")
# Stand-ins for synth_reuse's {agency} slot: none of them is an agency of this simulation.
SAFE_RELAYS = ["state television", "local media", "the regional press service", "state radio"]

# Own sentences when synth_reuse's sentences run out: many combinations, story entities.
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
    """A piece of an article's text: what it says, and the id of the own sentence it was made from."""

    __slots__ = ("text", "origin", "sent", "plain", "credit")

    def __init__(self, text: str, origin: str, sent=None, plain: str | None = None, credit: str | None = None):
        self.text = text
        self.origin = origin  # copies, trims and rewrites keep it
        self.sent = sent  # synth_reuse's structure (rewrites are made from it), None once edited
        self.plain = plain if plain is not None else text  # the text without a credit written into it
        self.credit = credit  # the agency this text credits, as planted


class _Art:
    """One planned article."""

    def __init__(self, ext_id: str, outlet: str, role: str, domain: str, profile: dict, case: str, story: int):
        self.ext_id, self.outlet, self.role, self.domain = ext_id, outlet, role, domain
        self.profile, self.case, self.story = profile, case, story
        self.title: _Unit | None = None
        self.dateline: _Unit | None = None
        self.byline: _Unit | None = None  # "By NAME, PA News": a credit, not counted as text
        self.body: list[_Unit] = []
        self.credit_line: str | None = None
        self.credit_line_name: str | None = None
        self.when: datetime | None = None
        self.precision = "minute"
        self.in_corpus = True
        self.truth: dict = {}

    def pieces(self) -> list[_Unit]:
        """The units the share is counted on: title (twice when the outlet repeats it), dateline, body."""
        out = [self.title] * (2 if self.profile.get("repeat_title") else 1) if self.title else []
        return out + ([self.dateline] if self.dateline else []) + self.body

    def origins(self) -> set[str]:
        return {u.origin for u in self.pieces()}

    def explained(self, origins: set[str]) -> int:
        """Characters of this article's text made from the given origins."""
        return sum(len(u.text) for u in self.pieces() if u.origin in origins)

    def share(self, origins: set[str]) -> float:
        total = sum(len(u.text) for u in self.pieces())
        return self.explained(origins) / total if total else 0.0

    def credits(self) -> set[str]:
        return {c for c in [u.credit for u in self.body] + [self.credit_line_name]
                + [u.credit for u in (self.dateline, self.byline) if u] if c}


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


def _stamp(when: datetime, precision: str) -> str:
    return when.strftime("%Y-%m-%dT%H:%MZ") if precision == "minute" else when.strftime("%Y-%m-%d")


def _tex(text: str) -> str:
    """Straight double quotes as an archive's TeX-style pairs: ``like this''."""
    parts = text.split('"')
    return "".join(p + ("``" if k % 2 == 0 else "''") for k, p in enumerate(parts[:-1])) + parts[-1]


def _wrapped(paras: list[str], width: int, opens: str = "", closes: str = "", indent: str = "") -> str:
    """Paragraphs hard-wrapped at ``width``, each opened and closed by its archive's marks."""
    return "".join(opens + (indent if n else "") + "\n".join(textwrap.wrap(_tex(p), width, break_on_hyphens=False))
                   + closes + "\n" for n, p in enumerate(paras))


def _archived(art: _Art, paras: list[list[_Unit]]) -> str:
    """An agency's story as its archive holds it: header block, hard-wrapped paragraphs, end markers."""
    texts = [(art.dateline.text if n == 0 and art.dateline else "") + " ".join(u.text for u in par)
             for n, par in enumerate(paras)]
    when, title = art.when, art.title.text
    slug = "-".join(w.strip(",.:'\"") for w in title.split()[:2])
    return ARCHIVE_LAYOUTS[art.outlet](when, title, slug, art.byline.text if art.byline else "", texts,
                                       "\n".join(art.profile.get("bottom", [])))


ARCHIVE_LAYOUTS = {  # as tests/test_wire_segment.py describes each archive (TASS copy stays as it is)
    "PA Media": lambda when, title, slug, byline, texts, bottom: (
        "\x02" + "-" * 72 + f"\n{when:%H:%M %d/%m/%y}: Page {when.day % 9 + 1} (HHH) NEWS {slug}\n"
        + f"{title.upper()}\n{byline}\n" + _wrapped(texts, 72, closes=" <") + f"{bottom}\nENDS\n\x03"),
    "AP": lambda when, title, slug, byline, texts, bottom: (
        f"\x01a0{when.minute:02d}2 BC-{slug} {when:%m-%d} {40 * len(texts):04d}\x1f\n\x02^BC-{slug},{40 * len(texts):04d}<\n"
        f"^{title}<\n"
        + _wrapped(texts, 69, opens="\t", closes="<") + f"AP-NY-{when:%m-%d-%y %H%M}EST<\n\x03\n{bottom}\n"),
    "Reuters": lambda when, title, slug, byline, texts, bottom: (
        "=" * 70 + f"\nRTRS-{slug}/\n{title}\n{when:%d/%m/%y %H:%M} GMT\n"
        + _wrapped(texts, 70, indent="    ") + f" ({bottom.splitlines()[0]})\n REUTER\n\x03"),
    "AFP": lambda when, title, slug, byline, texts, bottom: (
        "=" * 74 + f"\nAFP {when:%d%H%M} GMT {when:%b %y}".upper() + f"\n{slug.upper()},LEAD\n{title}\n"
        + _wrapped(texts, 74, closes="=") + f"{bottom}\nAFP\n"),
}


def _extent(share: float) -> str:
    return "wholly" if share >= WHOLLY else "partially"


class _Sim:
    """The generator: sentence supply, outlets, and one method per kind of story."""

    def __init__(self, rng: random.Random, archive: bool = False):
        self.rng = rng
        self.seen: set[str] = set()  # normalised text of every own sentence and title
        self.said: set = set()  # what every own sentence says (synth_reuse's keys)
        self.serial = 0
        self.relays = 0
        self.used_names: set[str] = set()
        self.used_people: set[str] = set()
        self.usage: Counter = Counter()
        self.arts: list[_Art] = []
        self.archive = archive  # agencies' copy laid out as their archives hold it (``ARCHIVE_LAYOUTS``)
        self.spans: dict[str, list[tuple[int, int, str]]] = {}
        self.start = datetime(2022, 1, 3, 6, 0)
        self.papers = self._paper_profiles()
        self.agency_profiles = {}
        for name, key, domain, lines in AGENCIES:
            vals = {"p1": f"{rng.choice(sr.FIRST_F)} {rng.choice(sr.SURNAMES)}",
                    "p2": f"{rng.choice(sr.FIRST_M)} {rng.choice(sr.SURNAMES)}",
                    "i1": "".join(rng.choice("abcdefghjklmnprstvw") for _ in range(2)),
                    "i2": "".join(rng.choice("abcdefghjklmnprstvw") for _ in range(3)), "year": "2022"}
            self.agency_profiles[name] = {"name": name, "key": key, "domain": domain, "top": None,
                                          "repeat_title": False, "bottom": [ln.format(**vals) for ln in lines]}

    def _paper_profiles(self) -> list[dict]:
        rng = self.rng
        order = list(range(len(sr.BOILERPLATE)))
        rng.shuffle(order)
        profiles = []
        for i, (key, name) in enumerate(NEWSPAPERS):
            domain = f"{key}{['news', 'times', 'press'][i % 3]}.example"
            vals = {"name": name, "domain": domain, "phone": f"{rng.randint(0, 9999):04d}",
                    "phone2": f"{rng.randint(50, 99)}", "year": "2022"}
            lines = [sr.BOILERPLATE[order[(2 * i + j) % len(order)]].format(**vals) for j in range(2 + i % 2)]
            profiles.append({"key": key, "name": name, "domain": domain, "top": lines[0] if i % 3 == 0 else None,
                             "bottom": lines[1:] if i % 3 == 0 else lines, "repeat_title": i % 2 == 1})
        return profiles

    # -------------------------------------------------------------------------------- sentences

    def _origin(self) -> str:
        self.serial += 1
        return f"o{self.serial}"

    def fresh(self, story, prefer: str | None = None, basis: _Unit | None = None) -> _Unit | None:
        """A new own sentence (structural rejections only); with ``basis``: by its speaker, mostly in its frame."""
        rng = self.rng
        b = basis.sent if basis is not None else None
        for _ in range(30):
            key: list = []
            if b is not None:
                sent = sr._new_sentence(story, rng, b.kind, speaker=b.speaker, key=key)
                if rng.random() < sr.NAT_SAME_FRAME:
                    sent.frame, sent.subject, sent.source = b.frame, b.subject, b.source
                    if sent.kind == "fact" and sr._self_attributed(sent.clauses):
                        sent.frame = ("fact", 0)
            else:
                sent = sr._new_sentence(story, rng, prefer, key=key)
            text = sent.render(story)
            norm = sr.normalise(text)
            if sr.SENT_MIN <= len(text) <= sr.SENT_MAX and norm not in self.seen and key[0] not in self.said:
                self.seen.add(norm)
                self.said.add(key[0])
                return _Unit(text, self._origin(), sent)
        for _ in range(60):
            parts = [rng.choice(F_OPENERS), rng.choice(F_SUBJECTS), rng.choice(F_VERBS), rng.choice(F_OBJECTS),
                     rng.choice(F_TAILS)]
            ents = dict(story.ents, n=str(rng.randint(3, 60)), n2=str(rng.randint(2, 12)),
                        n3=str(rng.randint(40, 900)), n4=f"{rng.randint(1, 90)},{rng.randint(0, 999):03d}",
                        nth=rng.choice(ORDINALS))
            text = sr._cap(sr._fill(f"{parts[0]}{parts[1]} {parts[2]} {parts[3]} {parts[4]}.", ents, story.slots,
                                    rng))
            key = ("filler", *parts[1:4])
            norm = sr.normalise(text)
            if sr.SENT_MIN <= len(text) <= sr.SENT_MAX and norm not in self.seen and key not in self.said:
                self.seen.add(norm)
                self.said.add(key)
                return _Unit(text, self._origin())
        return None

    def own(self, story, art: _Art, n: int, basis_from: list[_Unit] | None = None) -> None:
        """``n`` own sentences; 30 % of them by a speaker of ``basis_from`` (mostly in its frame)."""
        for _ in range(n):
            bases = [u for u in basis_from or () if u.sent is not None]
            basis = self.rng.choice(bases) if bases and self.rng.random() < 0.3 else None
            u = self.fresh(story, basis=basis)
            if u is not None:
                art.body.append(u)

    def title(self, story) -> _Unit:
        rng = self.rng
        opts = list(story.topic["titles"]) + list(sr.GENERIC_TITLES)
        rng.shuffle(opts)
        for k in range(14):
            tmpl = opts[k // 2] if k % 2 else sr._headline_template(story, rng)
            text = sr._cap(sr._fill(tmpl, story.ents, story.slots, rng))
            if sr.normalise(text) not in self.seen:
                self.seen.add(sr.normalise(text))
                return _Unit(text, self._origin())
        return _Unit(f"Latest on {story.topic_words[3]}, update {self.serial}", self._origin())

    def rewrite(self, story, u: _Unit) -> _Unit:
        """A translation-like rewrite (synth_reuse's natural variant at a freedom drawn once); kept as it comes."""
        rng = self.rng
        if u.sent is not None:
            sent, text = sr._natural_rewrite(u.sent, story, rng)
        else:
            f = rng.betavariate(*sr.NAT_FREEDOM)
            text = sr._synonymise(u.plain, min(0.98, 0.3 + 0.7 * f), rng)
            text = sr._paraphrase(sr._determiners(text, 0.4 * f, rng), min(0.95, 0.25 + 0.7 * f), rng)
            sent = None
        if rng.random() < sr.NAT_REWRITE_EDIT:
            text, done = sr._reduce(text, sr._draw_edits(rng, 1), rng)
            sent = None if done else sent
        return _Unit(text, u.origin, sent)

    def trim(self, u: _Unit) -> _Unit:
        """A copy with a clause cut or trimmed where one can be (synth_reuse's reductions); else verbatim."""
        rng = self.rng
        text, done = sr._reduce(u.plain, sr._draw_edits(rng, sr._draw(rng, sr.NAT_EDITS_PER_PARTIAL)), rng)
        return _Unit(text, u.origin, None) if done else u

    # -------------------------------------------------------------------------------- articles

    def agency_art(self, ctx: dict, suffix: str, case: str, when: datetime) -> _Art:
        name, key, domain, _ = ctx["agency"]
        a = _Art(f"{key}-{ctx['idx']:04d}{suffix}", name, "agency", domain, self.agency_profiles[name], case,
                 ctx["idx"])
        a.when, a.precision = when, "minute"
        a.title = self.title(ctx["story"])
        if name == "PA Media":
            a.byline = _Unit(f"By {ctx['reporter']}, PA News", self._origin(), credit=name)
        else:
            a.dateline = _Unit(_dateline(name, ctx["city"], when), self._origin(), credit=name)
        a.truth = {"relation": "none"}
        self.arts.append(a)
        return a

    def paper(self, ctx: dict, case: str) -> _Art:
        prof = ctx["free"].pop()
        art = _Art(f"{prof['key']}-{ctx['idx']:04d}-{case}", prof["name"], "newspaper", prof["domain"], prof, case,
                   ctx["idx"])
        self.arts.append(art)
        return art

    def later(self, art: _Art, after: datetime, minutes: int | None = None) -> None:
        rng = self.rng
        art.when = after + timedelta(minutes=(minutes if minutes is not None else rng.choice(GAPS_MIN))
                                     + rng.randrange(5))
        art.precision = "minute" if rng.random() < 0.5 else "day"

    def credit(self, ctx: dict, art: _Art, form: str, source: _Art | None = None) -> str:
        """Make ``art`` credit the story's agency in ``form`` (or the closest form it allows); returns the form."""
        agency = ctx["agency"][0]
        rng = self.rng
        if form == "dateline":
            if agency == "PA Media":
                art.byline = source.byline if source is not None and source.byline else _Unit(
                    f"By {ctx['reporter']}, PA News", self._origin(), credit=agency)
                return "byline"
            if source is not None and source.dateline is not None and art.body[:1] == source.body[:1]:
                art.dateline = source.dateline  # a verbatim copy keeps the agency's dateline
            else:
                art.dateline = _Unit(_dateline(agency, ctx["city"], art.when), self._origin(), credit=agency)
            return form
        if form in ("according", "reported"):
            taken = source.origins() if source is not None else set()
            for i, u in enumerate(art.body):
                if u.credit or u.origin not in taken:  # the credit goes into text taken from the agency
                    continue
                text = u.text
                if form == "according" and not text.startswith(('"', "According", "As ")):
                    first = text.split(" ", 1)[0]
                    body = text[0].lower() + text[1:] if first in ("The", "A", "An", "It", "There", "If",
                                                                   "Any") else text
                    art.body[i] = _Unit(f"According to {agency}, {body}", u.origin, u.sent, u.text, agency)
                    return form
                if form == "reported" and text.endswith(".") and not text.endswith('."'):
                    art.body[i] = _Unit(f"{text[:-1]}, {agency} reported.", u.origin, u.sent, u.text, agency)
                    return form
        art.credit_line = rng.choice(["SOURCE: {a}", "SOURCE:{a}", "Source: {a}"]).format(a=agency)
        art.credit_line_name = agency
        return "source"

    def credit_maybe(self, ctx: dict, art: _Art, p: float, forms=CREDIT_FORMS, source: _Art | None = None):
        if self.rng.random() >= p:
            return None
        return self.credit(ctx, art, self.rng.choice(forms), source)

    def mix(self, art: _Art, derived: set[str]) -> None:
        """Shuffle the body; half of the time a derived sentence leads."""
        rng = self.rng
        rng.shuffle(art.body)
        lead = next((k for k, u in enumerate(art.body) if u.origin in derived), None)
        if lead is not None and rng.random() < 0.5:
            art.body.insert(0, art.body.pop(lead))

    def copied(self, art: _Art, source: _Art, relation: str = "copied", **extra) -> None:
        art.truth = {"relation": relation, "source": source.ext_id, "accept": {relation: [source.ext_id]},
                     "source_art": source, **extra}

    # -------------------------------------------------------------------------------- stories

    def new_story(self, idx: int) -> dict:
        rng = self.rng
        story = _make_story(idx, rng, self.used_names, self.used_people, self.usage)
        story.ents["agency"] = rng.choice(SAFE_RELAYS)
        story.template_cap = 1  # a written-out template once per corpus (synth_reuse's natural difficulty)
        free = list(self.papers)
        rng.shuffle(free)
        return {"idx": idx, "story": story, "agency": AGENCIES[rng.randrange(len(AGENCIES))],
                "city": story.speakers[0]["capital"], "free": free,
                "t0": self.start + timedelta(days=rng.randrange(700), minutes=rng.randrange(14 * 60)),
                "reporter": f"{rng.choice(sr.FIRST_F + sr.FIRST_M)} {rng.choice(sr.SURNAMES)}"}

    def original(self, ctx: dict, n: int, suffix: str = "", when: datetime | None = None) -> _Art:
        a = self.agency_art(ctx, suffix, "agency", when or ctx["t0"])
        for k in range(n):
            u = self.fresh(ctx["story"], prefer="fact" if k == 0 else None)
            if u is not None:
                a.body.append(u)
        return a

    def whole_copy(self, ctx: dict, a: _Art, case: str, after: datetime | None = None) -> _Art:
        """A newspaper copying nearly all of ``a`` verbatim (its title 60 % of the time)."""
        rng = self.rng
        w = self.paper(ctx, case)
        self.later(w, after or a.when)
        w.title = a.title if rng.random() < 0.6 else self.title(ctx["story"])
        n = len(a.body)
        w.body = list(a.body[:n - (rng.randint(0, 2) if n >= 8 else 0)])
        if rng.random() < 0.4:
            self.own(ctx["story"], w, 1, a.body)
        return w

    def part_copy(self, ctx: dict, a: _Art, case: str, k: int, after: datetime | None = None) -> _Art:
        """A newspaper carrying ``k`` of ``a``'s sentences (verbatim or trimmed) among 3-6 own ones."""
        rng = self.rng
        p = self.paper(ctx, case)
        self.later(p, after or a.when)
        p.title = self.title(ctx["story"])
        picks = sorted(rng.sample(range(len(a.body)), min(k, len(a.body))))
        p.body = [a.body[i] if rng.random() < 0.6 else self.trim(a.body[i]) for i in picks]
        self.own(ctx["story"], p, rng.randint(3, 6), a.body)
        self.mix(p, a.origins())
        return p

    def independent(self, ctx: dict, a: _Art) -> None:
        rng = self.rng
        i_art = self.paper(ctx, "independent")
        i_art.when = a.when + timedelta(minutes=rng.randrange(-1440, 2880))
        i_art.precision = "minute" if rng.random() < 0.5 else "day"
        i_art.title = self.title(ctx["story"])
        story = ctx["story"]
        for _ in range(rng.randint(5, 8)):  # half of its sentences by the agency's speakers, in their frames
            bases = [u for u in a.body if u.sent is not None]
            u = self.fresh(story, basis=rng.choice(bases) if bases and rng.random() < 0.5 else None)
            if u is not None:
                i_art.body.append(u)
        i_art.truth = {"relation": "none"}

    def story_wire(self, ctx: dict) -> None:
        rng, story = self.rng, ctx["story"]
        a = self.original(ctx, rng.randint(8, 14))
        w = self.whole_copy(ctx, a, "wholly")
        self.copied(w, a)
        self.credit_maybe(ctx, w, 0.5, source=a)
        p = self.part_copy(ctx, a, "partial", rng.randint(2, 4))
        self.copied(p, a)
        self.credit_maybe(ctx, p, 0.5, source=a)
        if rng.random() < 0.85:
            r = self.paper(ctx, "rewrite")
            self.later(r, a.when)
            r.title = self.title(story)
            most = rng.random() < 0.4
            n = len(a.body)
            picks = sorted(rng.sample(range(n), max(2, int(n * rng.uniform(0.75, 1.0))) if most
                                      else rng.randint(3, 5)))
            r.body = [self.rewrite(story, a.body[i]) for i in picks]
            if not most:
                self.own(story, r, rng.randint(3, 5), a.body)
                self.mix(r, a.origins())
            self.copied(r, a)
            self.credit_maybe(ctx, r, 0.3, ("according", "reported", "source"), source=a)
        if rng.random() < 0.6:
            b_wholly = rng.random() < 0.4
            b = self.part_copy(ctx, a, "chain-b", len(a.body) if b_wholly else rng.randint(3, 5))
            if b_wholly:  # all of the agency's text verbatim, two own sentences
                b.body = list(a.body)
                self.own(story, b, 2, a.body)
                self.mix(b, a.origins())
            self.copied(b, a)
            self.credit_maybe(ctx, b, 0.4, source=a)
            c = self.paper(ctx, "chain-c")
            self.later(c, b.when)
            c.title = b.title if rng.random() < 0.4 else self.title(story)
            a_orig = a.origins()
            b_own = [u for u in b.body if u.origin not in a_orig]
            b_agency = [u for u in b.body if u.origin in a_orig]
            if rng.random() < 0.5:
                c.body = list(b.body)
            else:
                keep = {id(u) for u in rng.sample(b_own, min(2, len(b_own)))
                        + rng.sample(b_agency, min(len(b_agency), rng.randint(1, 2)))}
                c.body = [u for u in b.body if id(u) in keep]
                self.own(story, c, rng.randint(3, 5), a.body)
                self.mix(c, b.origins())
            self.copied(c, b)
            self.credit_maybe(ctx, c, 0.25, ("reported", "source"), source=a)
        if rng.random() < 0.8:
            self.independent(ctx, a)

    def story_versions(self, ctx: dict) -> None:
        rng, story = self.rng, ctx["story"]
        v1 = self.original(ctx, rng.randint(3, 5))
        v2 = self.agency_art(ctx, "-v2", "version", v1.when + timedelta(minutes=rng.randrange(40, 180)))
        v2.title = v1.title if rng.random() < 0.5 else v2.title
        v2.dateline, v2.byline = v1.dateline, v1.byline  # the story keeps its dateline (or byline)
        kept = list(v1.body)
        revisable = [i for i, u in enumerate(kept) if u.sent is not None]
        if revisable and rng.random() < 0.5:  # a revised sentence: a light rewrite of the first take's
            i = rng.choice(revisable)
            kept[i] = _Unit(sr._rewrite(kept[i].sent, rng, 0.3).render(story), kept[i].origin)
        self.own(story, v2, rng.randint(3, 5), v1.body)
        added = v2.body
        v2.body = kept[:1] + added[:1] + kept[1:] + added[1:]  # a new detail goes after the lead
        self.copied(v2, v1, "same-outlet")
        v3 = self.agency_art(ctx, "-v3", "version", v2.when + timedelta(minutes=rng.randrange(60, 360)))
        v3.title = v2.title if rng.random() < 0.4 else v3.title
        v3.dateline, v3.byline = v2.dateline, v2.byline
        v3.body = list(v2.body)
        if rng.random() < 0.5 and len(v3.body) > 4:
            del v3.body[rng.randrange(2, len(v3.body))]
        self.own(story, v3, rng.randint(3, 6), v1.body)
        self.copied(v3, v2, "same-outlet")
        versions = [v1, v2, v3]
        for _ in range(rng.randint(2, 3)):
            v = rng.choice(versions)
            if rng.random() < 0.5:
                c = self.whole_copy(ctx, v, "ver-client")
            else:
                c = self.part_copy(ctx, v, "ver-client", rng.randint(2, 4))
            self.copied(c, v, versions=[x.ext_id for x in versions])
            self.credit_maybe(ctx, c, 0.5, source=v)
        if rng.random() < 0.4:
            self.independent(ctx, v1)

    def story_relay(self, ctx: dict) -> None:
        rng, story = self.rng, ctx["story"]
        a = self.original(ctx, rng.randint(7, 11))
        self.relays += 1
        adds = self.relays % 2 == 0  # alternately: the copy adds nothing / adds sentences the rewrite carries
        cour = self.paper(ctx, "relay-copy")
        self.later(cour, a.when, rng.randrange(60, 180))
        cour.title = a.title if rng.random() < 0.6 else self.title(story)
        cour.body = list(a.body)
        if adds:  # the copy adds its own sentences (at the end, as a local angle)
            self.own(story, cour, rng.randint(2, 3), a.body)
        self.copied(cour, a)
        self.credit(ctx, cour, rng.choice(("dateline", "dateline", "source")), source=a)
        metro = self.paper(ctx, "relay-rw-own" if adds else "relay-rw")
        metro.when = cour.when + timedelta(minutes=rng.randrange(120, 480))
        metro.precision = "minute" if rng.random() < 0.5 else "day"
        metro.title = self.title(story)
        a_orig = a.origins()
        own_c = [u for u in cour.body if u.origin not in a_orig]
        from_a = [u for u in cour.body if u.origin in a_orig]
        keep = rng.sample(from_a, max(3, int(len(from_a) * rng.uniform(0.6, 1.0))))
        keep_ids = {id(u) for u in keep + own_c}
        metro.body = [self.rewrite(story, u) for u in cour.body if id(u) in keep_ids]
        if rng.random() < 0.5:
            self.own(story, metro, rng.randint(1, 2), a.body)
        if adds:
            self.copied(metro, cour)
        else:
            self.copied(metro, a)
        if rng.random() < 0.5:
            w = self.whole_copy(ctx, a, "wholly")
            self.copied(w, a)
            self.credit_maybe(ctx, w, 0.5, source=a)

    def story_background(self, ctx: dict) -> None:
        rng, story = self.rng, ctx["story"]
        t0 = ctx["t0"]
        # the agency's earlier story, not in the corpus: its background paragraphs and its news
        x = self.agency_art(ctx, "-earlier", "bg-absent", t0 - timedelta(days=rng.randint(14, 42),
                                                                          minutes=rng.randrange(600)))
        x.in_corpus = False
        background = [u for u in (self.fresh(story, prefer="fact") for _ in range(rng.randint(3, 4))) if u]
        self.own(story, x, rng.randint(5, 8))
        x.body = x.body + background
        n_art = self.paper(ctx, "bg-paper")
        self.later(n_art, x.when, rng.randrange(60, 2880))
        n_art.title = self.title(story)
        news = [u for u in x.body if u not in background]
        n_art.body = background + rng.sample(news, min(len(news), rng.randint(2, 4)))
        self.own(story, n_art, rng.randint(2, 4), x.body)
        self.mix(n_art, x.origins())
        credit = self.credit_maybe(ctx, n_art, 0.5, ("source", "according", "reported"), source=x)
        # the agency's new story repeats the background, verbatim or trimmed
        y = self.agency_art(ctx, "", "bg-agency", t0)
        self.own(story, y, rng.randint(6, 10))
        y.body += [u if rng.random() < 0.8 else self.trim(u) for u in background]
        n_art.truth = {"relation": "copied", "source": x.ext_id, "source_art": x,
                       "accept": {"copied": [y.ext_id], "common-source": [ctx["agency"][0]]},
                       "partners": [y.ext_id], "credit": credit}
        if rng.random() < 0.5:
            m = self.whole_copy(ctx, y, "bg-client") if rng.random() < 0.5 else self.part_copy(
                ctx, y, "bg-client", rng.randint(3, 5))
            self.copied(m, y)
            self.credit_maybe(ctx, m, 0.5, source=y)

    def story_upstream(self, ctx: dict) -> None:
        rng, story = self.rng, ctx["story"]
        a = self.original(ctx, rng.randint(8, 12))
        a.in_corpus = False
        n = len(a.body)
        core = rng.sample(range(n - 2), rng.randint(2, 3))  # both carry these, so the upstream shows
        pair = []
        for _ in range(2):
            c = self.paper(ctx, "upstream")
            self.later(c, a.when)
            if rng.random() < 0.5:
                c.title = a.title if rng.random() < 0.5 else self.title(story)
                c.body = list(a.body[:n - rng.randint(0, 2)])
            else:
                c.title = self.title(story)
                rest = [i for i in range(n) if i not in core]
                c.body = [a.body[i] for i in sorted(core + rng.sample(rest, rng.randint(0, 2)))]
                self.own(story, c, rng.randint(3, 5), a.body)
                self.mix(c, a.origins())
            self.credit(ctx, c, rng.choice(CREDIT_FORMS), source=a)
            pair.append(c)
        for c, other in ((pair[0], pair[1]), (pair[1], pair[0])):
            c.truth = {"relation": "common-source", "source": ctx["agency"][0], "source_art": a,
                       "accept": {"common-source": [ctx["agency"][0]]}, "partners": [other.ext_id],
                       "observable": other}

    # -------------------------------------------------------------------------------- output

    def text(self, art: _Art) -> str:
        """The article as its outlet prints it; each unit's [start, end) goes to ``self.spans`` (none for
        an agency's archived copy: reuse is scored on the newspapers)."""
        rng, prof = self.rng, art.profile
        paras, i = [], 0
        while i < len(art.body):
            size = rng.choice([1, 2, 2, 3])
            paras.append(art.body[i:i + size])
            i += size
        if self.archive and art.role == "agency" and art.outlet in ARCHIVE_LAYOUTS:
            return _archived(art, paras)
        out, spans = [], []

        def put(piece: str, unit: _Unit | None = None) -> None:
            at = len(out[-1][1]) + out[-1][0] if out else 0
            if unit is not None:
                spans.append((at, at + len(piece), unit.origin))
            out.append((at, piece))

        lines: list[list[tuple[str, _Unit | None]]] = [[(prof["top"], None)]] if prof.get("top") else []
        lines += [[(art.title.text, art.title)]] * (2 if prof.get("repeat_title") else 1)
        if art.byline:
            lines.append([(art.byline.text, None)])  # a credit, not counted as text (``pieces``)
        for n, par in enumerate(paras):
            line = [(art.dateline.text, art.dateline)] if n == 0 and art.dateline else []
            for k, u in enumerate(par):
                line += [(" ", None)] if k else []
                line.append((u.text, u))
            lines.append(line)
        lines += [[(art.credit_line, None)]] if art.credit_line else []
        lines += [[(ln, None)] for ln in prof.get("bottom", [])]
        for n, line in enumerate(lines):
            if n:
                put("\n\n")
            for piece, unit in line:
                put(piece, unit)
        self.spans[art.ext_id] = spans
        return "".join(piece for _, piece in out)

    def truth_of(self, art: _Art, dated: bool) -> dict:
        t = {k: v for k, v in art.truth.items() if k not in ("source_art", "observable", "versions")}
        t.update(case=art.case, story=art.story, outlet=art.outlet, role=art.role,
                 credits=sorted(art.credits()), published=_stamp(art.when, art.precision) if dated else None)
        if art.truth["relation"] == "none":
            t.update(source=None, accept={}, partners=[])
            return t
        by_ext = {a.ext_id: a for a in self.arts}
        src = art.truth["source_art"]
        t["share"] = round(art.share(src.origins()), 3)
        if "versions" in art.truth:  # any version explaining as much of the copy is accepted
            best = art.explained(src.origins())
            t["accept"] = {"copied": [v for v in art.truth["versions"]
                                      if art.explained(by_ext[v].origins()) >= best]}
        extent_by = {}
        for rel, names in t["accept"].items():
            for s in names:
                if rel == "common-source":  # what another corpus article also carries, or the agency's story
                    other = art.truth.get("observable") or by_ext[t["accept"]["copied"][0]]
                    extent_by[s] = _extent(art.share(other.origins() & src.origins()))
                else:
                    extent_by[s] = _extent(art.share(by_ext[s].origins()))
        t["extent_by"] = extent_by
        t["extent"] = _extent(t["share"])
        t.setdefault("partners", [])
        return t

    def records(self, dated: bool, seed: int, n_stories: int) -> tuple[list[dict], dict]:
        records, truth = [], {}
        for art in self.arts:
            if not art.in_corpus:
                continue
            truth[art.ext_id] = self.truth_of(art, dated)
            records.append({"id": art.ext_id, "outlet": art.outlet, "url": f"https://{art.domain}/news/{art.ext_id}",
                            "published": _stamp(art.when, art.precision) if dated else None,
                            "title": art.title.text, "text": self.text(art)})
        # Each unit's span: [start, end, origin, the other corpus articles that carry the origin, reused (an
        # earlier article, absent ones too, wrote it)]. A dateline is a credit, not text (``pieces`` counts it).
        author, carriers = {}, defaultdict(set)
        dateline_origins = {a.dateline.origin for a in self.arts if a.dateline}
        for art in sorted(self.arts, key=lambda a: a.when):
            for u in art.pieces():
                author.setdefault(u.origin, art.ext_id)
                if art.in_corpus:
                    carriers[u.origin].add(art.ext_id)
        for e, spans in self.spans.items():
            truth[e]["spans"] = [[s, t, o, sorted(carriers[o] - {e}), author[o] != e] for s, t, o in spans
                                 if o not in dateline_origins]
        self.rng.shuffle(records)
        return records, {"articles": truth, "seed": seed, "stories": n_stories, "dated": dated}


def generate(n_stories: int = 12, seed: int = 1, dated: bool = True, archive: bool = False
             ) -> tuple[list[dict], dict]:
    """``n_stories`` stories of wire reuse (kinds in the cycle KINDS); returns (JSON Lines records, truth).
    With ``archive``, the agencies' copy is laid out as their archives hold it (``ARCHIVE_LAYOUTS``)."""
    sim = _Sim(random.Random(seed), archive)
    for idx in range(n_stories):
        ctx = sim.new_story(idx)
        getattr(sim, f"story_{KINDS[idx % len(KINDS)]}")(ctx)
    return sim.records(dated, seed, n_stories)


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------

DIRECTED = ("copied", "same-outlet")
OUTCOMES = ("right", "sibling", "other", "undetermined", "none")


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
    for e, t in arts.items():
        by_story[t["story"]].append(e)

    def sources(e: str) -> set:
        acc = arts[e]["accept"]
        return {*acc.get("copied", ()), *acc.get("same-outlet", ()), arts[e]["source"]} & set(arts)

    ancestors: dict[str, set] = {}

    def ancestry(e: str) -> set:
        """Every article e's text came from, as planted (accepted sources, theirs, and so on)."""
        if e not in ancestors:
            ancestors[e] = set()
            out = set(sources(e))
            for s in sources(e):
                out |= ancestry(s)
            ancestors[e] = out
        return ancestors[e]

    def accepted(e: str, r: dict) -> bool:
        acc = arts[e]["accept"]
        if r["relation"] == "common-source":
            return (r["name"] or "").lower() in {n.lower() for n in acc.get("common-source", ())}
        return r["relation"] in DIRECTED and r["source"] in acc.get(r["relation"], ())

    def partners(e: str) -> set:
        acc = arts[e]["accept"]
        return {*acc.get("copied", ()), *acc.get("same-outlet", ()), *arts[e]["partners"]}

    def right(e: str) -> dict | None:
        good = [r for r in rows[e] if accepted(e, r)]
        return max(good, key=lambda r: r["chars"]) if good else None

    # A reversed row: an article said to derive (copied, same-outlet) from one that took its text from it.
    reversed_rows = sorted((e, r["source"]) for e in arts for r in rows[e]
                           if r["relation"] in DIRECTED and r["source"] in arts and e in ancestry(r["source"]))
    reversed_of = {s for _, s in reversed_rows}

    def siblings(e: str) -> set:
        """Other newspaper copies in e's story that are not an accepted source of e."""
        acc = partners(e)
        return {y for y in by_story[arts[e]["story"]] if y != e and y not in acc
                and arts[y]["relation"] != "none" and arts[y]["role"] == "newspaper"}

    def outcome(e: str) -> str:
        """right > sibling > other > undetermined > none (whether e's direction is reversed is apart)."""
        if right(e):
            return "right"
        named = [r for r in rows[e] if r["relation"] in DIRECTED or r["relation"] == "common-source"]
        if any(r["relation"] == "copied" and r["source"] in siblings(e) for r in named):
            return "sibling"
        if named:
            return "other"
        ps = partners(e)
        if (any(r["relation"] == "undetermined" and r["source"] in ps for r in rows[e])
                or any(r["relation"] == "undetermined" and r["source"] == e for p in ps for r in rows.get(p, ()))):
            return "undetermined"
        return "none"

    def extent_ok(e: str) -> bool:
        r = right(e)
        key = r["name"] if r["relation"] == "common-source" else r["source"]
        want = {k.lower(): v for k, v in arts[e]["extent_by"].items()}.get(str(key).lower())
        return r["extent"] == want

    def speaker_answer(e: str) -> bool:
        """A copy answered as relaying a quoted speaker (a common-source row naming no agency)."""
        return any(r["relation"] == "common-source" and r["name"] not in AGENCY_NAMES for r in rows[e])

    def decidable(e: str) -> bool:
        """The planted evidence orders the pair: e credits an accepted source's outlet, or the dates do."""
        t = arts[e]
        for s in t["accept"].get("copied", ()):
            if arts[s]["outlet"] in t["credits"]:
                return True
            a, b = t["published"], arts[s]["published"]
            if a and b and a > b and (("T" in a and "T" in b) or a[:10] != b[:10]):
                return True
        return False

    derived = [e for e in arts if arts[e]["relation"] != "none"]
    copied = [e for e in derived if arts[e]["relation"] == "copied"]
    outcomes = {e: outcome(e) for e in derived}
    decid = [e for e in copied if decidable(e)]
    scored_extent = [e for e in derived if outcomes[e] == "right"]
    independent = [e for e in arts if arts[e]["case"] == "independent"]
    originals = [e for e in arts if arts[e]["relation"] == "none" and arts[e]["role"] == "agency"]
    agency_edges = [(e, s) for e, s in reversed_rows if arts[e]["role"] == "agency" and arts[s]["role"] == "newspaper"]
    day_copies = [e for e in copied if arts[e]["published"] and "T" not in arts[e]["published"]
                  and any(arts[s]["role"] == "agency" for s in arts[e]["accept"].get("copied", ()))]

    def rate(items, pred) -> float | None:
        return round(sum(1 for e in items if pred(e)) / len(items), 3) if items else None

    def tally(items) -> dict:
        c = Counter(outcomes[e] for e in items if e in outcomes)
        out = {"n": len(items), **{k: c[k] for k in OUTCOMES}}
        out["reversed"] = sum(1 for e in items if e in outcomes and e in reversed_of)
        out["extent_ok"] = sum(1 for e in items if e in outcomes and outcomes[e] == "right" and extent_ok(e))
        out["extent_scored"] = sum(1 for e in items if e in outcomes and outcomes[e] == "right")
        out["with_directed_rows"] = sum(1 for e in items if any(r["relation"] in DIRECTED for r in rows[e]))
        out["with_rows"] = sum(1 for e in items if rows[e])
        return out

    cases = {case: tally([e for e in arts if arts[e]["case"] == case])
             for case in sorted({t["case"] for t in arts.values()})}
    cases["(day-precision copy of an agency)"] = tally(day_copies)
    return {
        "articles": len(arts),
        "direction_accuracy": rate(copied, lambda e: outcomes[e] == "right"),
        "direction_accuracy_decidable": rate(decid, lambda e: outcomes[e] == "right"),
        "extent_accuracy": rate(scored_extent, extent_ok),
        "common_source_accuracy": rate([e for e in derived if arts[e]["relation"] == "common-source"],
                                       lambda e: outcomes[e] == "right"),
        "same_outlet_accuracy": rate([e for e in derived if arts[e]["relation"] == "same-outlet"],
                                     lambda e: outcomes[e] == "right"),
        "undetermined_rate": rate(derived, lambda e: outcomes[e] == "undetermined"),
        "wrong_direction_rate": rate(derived, lambda e: e in reversed_of),
        "sibling_rate": rate(copied, lambda e: outcomes[e] == "sibling"),
        "other_source_rate": rate(copied, lambda e: outcomes[e] == "other"),
        "missed_rate": rate(derived, lambda e: outcomes[e] == "none"),
        "speaker_rate": rate(copied, lambda e: outcomes[e] != "right" and speaker_answer(e)),
        "spurious_rate": rate(independent, lambda e: bool(rows[e])),
        "spurious_independent": sum(1 for e in independent if rows[e]),
        "originals_given_a_source": sum(1 for e in originals if any(r["relation"] in DIRECTED for r in rows[e])),
        "reversed_rows": len(reversed_rows),
        "reversed_agency_edges": len(agency_edges),
        "reversed_row_list": reversed_rows,
        "n_extent": len(scored_extent), "n_copied": len(copied), "n_decidable": len(decid),
        "n_derived": len(derived), "n_independent": len(independent), "n_originals": len(originals),
        "n_common_source": sum(1 for e in derived if arts[e]["relation"] == "common-source"),
        "n_same_outlet": sum(1 for e in derived if arts[e]["relation"] == "same-outlet"),
        "cases": cases,
        "failures": {e: {"truth": {k: arts[e].get(k) for k in ("case", "relation", "source", "accept", "extent_by",
                                                                "credits", "published")},
                         "outcome": outcomes.get(e, "original"), "rows": rows[e]}
                     for e in arts if (e in outcomes and (outcomes[e] != "right" or not extent_ok(e)))
                     or (e not in outcomes and any(r["relation"] in DIRECTED for r in rows[e]))
                     or (arts[e]["case"] == "independent" and rows[e])},
    }


def reused_chars(db_path: str, truth: dict) -> dict:
    """The newspapers' reused characters (planted text an earlier article wrote, which another corpus article
    carries) that ``cluster_members`` puts in a passage with such a carrier (recall), and the characters of
    their passages that a carrier in the same cluster shares (precision). Spaces do not count. Any database
    with the public tables scores alike (``naive_baseline``'s too)."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        ext = dict(conn.execute("select id, external_id from articles"))
        texts = {ext[a]: t for a, t in conn.execute("select id, text from articles")}
        members, passages = defaultdict(set), defaultdict(list)
        for c, a, s, e in conn.execute("select m.cluster_id, p.article_id, p.start + m.start, p.start + m.end"
                                       " from cluster_members m join paragraphs p on p.id = m.paragraph_id"):
            members[c].add(ext[a])
            passages[ext[a]].append((c, s, e))
    finally:
        conn.close()
    reused = found = covered = shared = 0
    for e, t in truth["articles"].items():
        if t["role"] != "newspaper":
            continue
        text = texts[e]
        partners: dict[int, set[str]] = defaultdict(set)  # character -> the articles it shares a cluster with
        for c, s, f in passages[e]:
            for i in range(s, f):
                partners[i] |= members[c] - {e}
        for s, f, _, carriers, is_reused in t["spans"]:
            ink = [i for i in range(s, f) if not text[i].isspace()]
            carrying = set(carriers)
            hit = sum(1 for i in ink if not carrying.isdisjoint(partners.get(i, ())))
            shared += hit
            if is_reused and carriers:
                reused += len(ink)
                found += hit
        covered += sum(1 for i in partners if not text[i].isspace())
    return {"reused_chars": reused, "reused_char_recall": round(found / reused, 3) if reused else None,
            "passage_chars": covered, "passage_char_precision": round(shared / covered, 3) if covered else None}


def run(n_stories: int = 12, seed: int = 1, dated: bool = True, workdir: str | Path | None = None,
        archive: bool = False, naive: bool = False) -> dict:
    """Generate, load into a fresh database with load_paths, and evaluate; with ``naive``, also score the
    reused characters that ``scripts/naive_baseline.py`` finds in the same corpus (``naive_*``)."""
    records, truth = generate(n_stories, seed=seed, dated=dated, archive=archive)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(workdir) if workdir else Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        tag = ("dated" if dated else "undated") + ("-archive" if archive else "")
        corpus = base / f"wire-{tag}.jsonl"
        corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        (base / f"wire-{tag}.truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
        dbs = [(base / f"wire-{tag}.db", "")] + ([(base / f"wire-{tag}-naive.db", "naive_")] if naive else [])
        for db, _ in dbs:
            for old in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                if old.exists():
                    old.unlink()
        load_paths(str(dbs[0][0]), [str(corpus)])
        result = {**evaluate(str(dbs[0][0]), truth), **reused_chars(str(dbs[0][0]), truth)}
        if naive:
            _script("naive_baseline").run(corpus, dbs[1][0])
            result.update({f"naive_{k}": v for k, v in reused_chars(str(dbs[1][0]), truth).items()})
        return result


ROWS = [
    ("traced to the right source", "direction_accuracy", "n_copied"),
    ("  where order is decidable", "direction_accuracy_decidable", "n_decidable"),
    ("extent accuracy", "extent_accuracy", "n_extent"),
    ("common-source accuracy", "common_source_accuracy", "n_common_source"),
    ("same-outlet accuracy", "same_outlet_accuracy", "n_same_outlet"),
    ("wrong direction (reversed)", "wrong_direction_rate", "n_derived"),
    ("  reversed rows", "reversed_rows", None),
    ("sibling given as source", "sibling_rate", "n_copied"),
    ("other wrong source", "other_source_rate", "n_copied"),
    ("undetermined", "undetermined_rate", "n_derived"),
    ("no row", "missed_rate", "n_derived"),
    ("copy read as quote relay", "speaker_rate", "n_copied"),
    ("independent with rows", "spurious_independent", "n_independent"),
    ("agency originals given a source", "originals_given_a_source", "n_originals"),
    ("reversed agency -> client edges", "reversed_agency_edges", None),
    ("newspapers' reused chars found", "reused_char_recall", "reused_chars"),
    ("  precision of their passages", "passage_char_precision", "passage_chars"),
]
NAIVE_ROWS = [
    ("  naive datasketch: found", "naive_reused_char_recall", "naive_reused_chars"),
    ("  naive: precision", "naive_passage_char_precision", "naive_passage_chars"),
]


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stories", type=int, default=45)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--undated", action="store_true", help="only the undated run (default: dated and undated)")
    ap.add_argument("--cases", action="store_true", help="also print per-case outcomes and the failures")
    ap.add_argument("--keep", help="write the corpus, truth and database here instead of a temp dir")
    ap.add_argument("--archive", action="store_true",
                    help="lay the agencies' copy out as their archives hold it: header blocks, hard-wrapped lines")
    ap.add_argument("--naive", action="store_true",
                    help="also load the corpus with scripts/naive_baseline.py and score its reused characters")
    args = ap.parse_args(argv)
    modes = [False] if args.undated else [True, False]
    results = {d: run(args.stories, args.seed, d, args.keep, args.archive, args.naive) for d in modes}
    names = ["dated" if d else "undated" for d in modes]
    print(f"{args.stories} stories, seed {args.seed}, {results[modes[0]]['articles']} articles")
    print(f"{'metric':<30}" + "".join(f"{n:>14}" for n in names))
    for label, key, of in ROWS + (NAIVE_ROWS if args.naive else []):
        cells = [_fmt(results[d][key]) + (f" /{results[d][of]:<3}" if of else "     ") for d in modes]
        print(f"{label:<30}" + "".join(f"{c:>14}" for c in cells))
    for d, name in zip(modes, names):
        print(f"\n{name}: {'case':<34}{'n':>4}{'right':>7}{'sibl.':>6}{'other':>6}{'undet.':>7}{'none':>5}"
              f"{'reversed':>9}{'extent ok':>11}")
        for case, c in results[d]["cases"].items():
            print(f"{'':<{len(name) + 2}}{case:<34}{c['n']:>4}{c['right']:>7}{c['sibling']:>6}{c['other']:>6}"
                  f"{c['undetermined']:>7}{c['none']:>5}{c['reversed']:>9}{c['extent_ok']:>7}/{c['extent_scored']:<3}")
        if args.cases:
            for e, f in results[d]["failures"].items():
                rows = "; ".join(f"{r['relation']} {r['source'] or r['name']} {r['extent']}" for r in f["rows"])
                t = f["truth"]
                print(f"  {e}: {f['outcome']}: want {t['relation']} {t['accept']} {t['extent_by']} "
                      f"(credits {t['credits']}, {t['published']}) got [{rows}]")
            for d_ext, s_ext in results[d]["reversed_row_list"]:
                print(f"  reversed: {d_ext} said to derive from {s_ext}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
