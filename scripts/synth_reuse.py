#!/usr/bin/env python3
"""Synthetic news corpus with PLANTED passage reuse, and a passage-level evaluator.

The real problem this benchmarks: several outlets carry one statement each in their own English
translation, so true pairs often share only 30-50 % of their character 5-grams, while other
sentences about the same event (same people, places, topic words, even the same speaker) can share
as much. The generator writes:

* stories (events with entities) with an original article and 1-4 derived articles in other outlets;
* derived articles carry statements of the story as ``exact`` copies, ``partial`` copies (clauses
  cut, trimmed or added; sentences merged or split) or translation-like ``rewrite`` s (synonym
  table, reordered clauses, changed quote framing, direct <-> reported speech, determiners and
  hedges, paraphrased stances and reporting verbs, other renderings of titles, organisations and
  places, transliterated names, condensed clauses);
* every other sentence of a story is a same-topic non-copy (a *negative*): it names the story's
  entities and topic words, and about a third of them are by the speaker (or source) of one of the
  story's statements, mostly in its frame;
* sentences are composed (stance x object x adjunct, subject x verb phrase x tail, written-out
  templates capped at two uses per corpus, originals themselves passed through the synonym table);
* titles are repeated as headings inside articles and every outlet has boilerplate lines in all of
  its articles; neither is reuse and neither is in the gold.

Two difficulties:

* ``natural`` (the default, and what scripts/corpus_gen.py and the bench use): every edit is drawn
  once from a distribution chosen for the phenomenon (``NAT_*`` below: how often a statement is
  copied exactly, cut, trimmed, extended, merged with its neighbour, split in two or rewritten; a
  translator's freedom per rewrite from a Beta distribution) and kept whatever similarity it lands
  at. Nothing is measured, retried or clamped against a similarity while generating: rewrites,
  partial copies and negatives reach whatever Jaccard and containment they naturally reach. The only
  rejections are structural: sentence length (80-250 characters for an own sentence); an own
  sentence that repeats a sentence of the corpus, or says what another own sentence of the corpus
  says (the same written-out template, or the same stance, object and slot phrases, or the same
  verb phrase and slot phrases, whatever the entities: that would be a copy, or a template
  repeated across stories at a rate only a small grammar has); a title that repeats one.
* ``banded`` (kept only as a check of the method's design, never as a measurement): rewrites are
  resampled until they land at Jaccard >= 0.28 (the detector's own threshold), every other pair of
  sentences below 0.25 and partial copies at containment >= 0.72, so a loader thresholding inside
  that gap scores almost perfectly *by construction*. It shows the method does what it was built
  for, nothing about how well it does on news.

The gold records every pair's measured Jaccard and the edit operations (``ops``) between its two
sides, and every negative's highest Jaccard and containment against its story's statements;
``evaluate`` reports recall by Jaccard bin and by operation, and negatives linked by Jaccard bin.

Standard library only; deterministic for a seed (one ``random.Random``; no ``hash()``-dependent
iteration).

Usage::

    python scripts/synth_reuse.py generate OUT.jsonl --stories 40 --seed 1 [--undated] [--difficulty banded]
    python scripts/synth_reuse.py evaluate corpus.db OUT.gold.json
    python scripts/synth_reuse.py measure --seeds 1,3,7 [--setting bands=21]   # generate, load, evaluate, print
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import chain, combinations
from pathlib import Path

# --------------------------------------------------------------------------------------------
# Similarity (the measure used throughout: char 5-grams over normalised text)
# --------------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Lowercase, every run of non-alphanumeric characters -> one space, stripped."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def char_grams(text: str, n: int = 5) -> frozenset[str]:
    s = normalise(text)
    if len(s) <= n:
        return frozenset([s]) if s else frozenset()
    return frozenset(s[i : i + n] for i in range(len(s) - n + 1))


def jaccard(a: str | frozenset, b: str | frozenset) -> float:
    ga = a if isinstance(a, frozenset) else char_grams(a)
    gb = b if isinstance(b, frozenset) else char_grams(b)
    if not ga or not gb:
        return 0.0
    inter = len(ga & gb)
    return inter / (len(ga) + len(gb) - inter)


def containment(a: str | frozenset, b: str | frozenset) -> float:
    """Shared grams over the grams of the smaller side."""
    ga = a if isinstance(a, frozenset) else char_grams(a)
    gb = b if isinstance(b, frozenset) else char_grams(b)
    if not ga or not gb:
        return 0.0
    return len(ga & gb) / min(len(ga), len(gb))


DIFFICULTIES = ("natural", "banded")
DEFAULT_DIFFICULTY = "natural"
SENT_MIN, SENT_MAX = 80, 250  # characters of a generated own sentence (both difficulties)

# difficulty="natural": how derived sentences are made. Each is drawn once per carried statement
# and kept as it comes out: no similarity is measured while generating.
NAT_KINDS = (("exact", 0.25), ("partial", 0.25), ("rewrite", 0.5))  # how a carried statement is made
# partial copies: which edits (weights) and how many (1-3). Cuts and trims come first, then a
# split, then additions; a cut or trim removes 2 words up to CUT_MAX_SHARE of them, and cuts and
# splits leave MIN_WORDS words a side (a partial copy keeps the larger part, never a fragment).
NAT_EDITS = (("cut_tail", 3.0), ("cut_head", 2.0), ("trim", 2.0), ("add_tail", 2.0), ("add_head", 1.5))
NAT_EDITS_PER_PARTIAL = ((1, 0.7), (2, 0.25), (3, 0.05))
CUT_MAX_SHARE = 0.5
MIN_WORDS = 5
NAT_FREEDOM = (2.0, 2.0)  # Beta(a, b) per rewrite: the translator's freedom, 0 literal .. 1 free
NAT_REWRITE_EDIT = 0.15  # a rewrite is also cut, trimmed or extended (one edit)
NAT_SPLIT = 0.2  # a carried statement with coordinated clauses is split into two sentences
NAT_MERGE = 0.25  # an article carrying two statements adjacent in their source joins them into one sentence
NAT_SAME_SPEAKER = 0.3  # an own sentence is by the speaker (or source) of a statement of its story ...
NAT_SAME_FRAME = 0.8  # ... and then in that statement's frame this often

# difficulty="banded" (a check of the method's design, not a measurement): thresholds the
# generator enforces by resampling, keyed to the detector's own (Jaccard 0.28, containment 0.7).
NEG_MAX_J = 0.25  # any two sentences that are not one statement: Jaccard below this ...
NEG_MAX_C = 0.50  # ... and containment below this
REWRITE_MIN_J = 0.28  # rewrite pairs: at least this
REWRITE_MAX_J = 0.60  # rewrite vs the member it was made from: at most this
REWRITE_PAIR_MAX_J = 0.75  # ... and vs any other member of the statement
PARTIAL_MIN_J = 0.35
TITLE_MAX_C = 0.6  # titles are short: containment against a long sentence is naturally higher
PARTIAL_MIN_C = 0.72

# Reporting only (evaluate, the gold's "hard" flag): a negative at least this close (Jaccard) to a
# statement member of its story is counted as "hard". Generation never looks at it.
HARD_NEG_MIN_J = 0.25
JACCARD_BINS = ((0.0, 0.2, "<0.2"), (0.2, 0.28, "0.2-0.28"), (0.28, 0.4, "0.28-0.4"), (0.4, 0.6, "0.4-0.6"),
                (0.6, 1.01, ">=0.6"))

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

FIRST_F = [
    "Maria", "Elena", "Aylin", "Fatima", "Sofia", "Ingrid", "Mei", "Priya", "Amara", "Lucia",
    "Olga", "Nadia", "Keiko", "Zeynep", "Leila", "Marta", "Yasmin", "Chloe", "Irina", "Hana",
    "Dilnoza", "Grace", "Beatriz", "Svetlana", "Noura", "Agnieszka", "Thandiwe", "Camila",
]
FIRST_M = [
    "Sergei", "Ahmed", "Jean-Luc", "Carlos", "Hiroshi", "Rajesh", "Kwame", "Tomasz", "Mehmet",
    "Pavel", "Omar", "Dmitri", "Yusuf", "Bogdan", "Arturo", "Kenji", "Samuel", "Viktor", "Hassan",
    "Milan", "Rustam", "Emeka", "Giorgi", "Henrik", "Joaquin", "Tariq", "Nikolai", "Diego",
]
SURNAMES = [
    "Zakharova", "Okonkwo", "Lindqvist", "Haddad", "Moreau", "Tanaka", "Kowalczyk", "Yilmaz",
    "Petrenko", "Mensah", "Castellanos", "Nakamura", "Rahimov", "Van der Berg", "Abdullahi",
    "Fischer", "Kuznetsov", "Oyelaran", "Bertolini", "Sato", "Delacroix", "Hosseini", "Novak",
    "Alvarez", "Gunawardena", "Mwangi", "Eriksen", "Szabo", "Karimova", "Popescu", "Ferreira",
    "Al-Masri", "Dimitrov", "Kiplagat", "Lombardi", "Quispe", "Balogun", "Takahashi", "Yusupov",
    "Harutyunyan", "Mahlangu", "Ivanova", "Chowdhury", "Ortega", "Brennan", "Saarinen", "Wojcik",
    "Demir", "Nasser", "Oduya", "Vasquez", "Kalnins", "Tembo", "Anand", "Morozov", "Guerrero",
    "Pham", "Aksoy", "Lundgren", "Marchetti", "Osei", "Barzani", "Koval", "Suleimenov",
]
# (country, capital, adjective, currency)
COUNTRIES = [
    ("Russia", "Moscow", "Russian", "rouble"), ("the United States", "Washington", "US", "dollar"),
    ("China", "Beijing", "Chinese", "yuan"), ("Turkey", "Ankara", "Turkish", "lira"),
    ("Iran", "Tehran", "Iranian", "rial"), ("France", "Paris", "French", "euro"),
    ("Germany", "Berlin", "German", "euro"), ("India", "New Delhi", "Indian", "rupee"),
    ("Brazil", "Brasilia", "Brazilian", "real"), ("Japan", "Tokyo", "Japanese", "yen"),
    ("Egypt", "Cairo", "Egyptian", "pound"), ("Nigeria", "Abuja", "Nigerian", "naira"),
    ("Kenya", "Nairobi", "Kenyan", "shilling"), ("Ethiopia", "Addis Ababa", "Ethiopian", "birr"),
    ("Pakistan", "Islamabad", "Pakistani", "rupee"), ("Indonesia", "Jakarta", "Indonesian", "rupiah"),
    ("Mexico", "Mexico City", "Mexican", "peso"), ("Argentina", "Buenos Aires", "Argentine", "peso"),
    ("Poland", "Warsaw", "Polish", "zloty"), ("Ukraine", "Kyiv", "Ukrainian", "hryvnia"),
    ("Saudi Arabia", "Riyadh", "Saudi", "riyal"), ("Qatar", "Doha", "Qatari", "riyal"),
    ("South Africa", "Pretoria", "South African", "rand"), ("Vietnam", "Hanoi", "Vietnamese", "dong"),
    ("Kazakhstan", "Astana", "Kazakh", "tenge"), ("Serbia", "Belgrade", "Serbian", "dinar"),
    ("Hungary", "Budapest", "Hungarian", "forint"), ("Italy", "Rome", "Italian", "euro"),
    ("Morocco", "Rabat", "Moroccan", "dirham"), ("Algeria", "Algiers", "Algerian", "dinar"),
    ("Iraq", "Baghdad", "Iraqi", "dinar"), ("Syria", "Damascus", "Syrian", "pound"),
    ("Venezuela", "Caracas", "Venezuelan", "bolivar"), ("Colombia", "Bogota", "Colombian", "peso"),
    ("the Philippines", "Manila", "Philippine", "peso"), ("Malaysia", "Kuala Lumpur", "Malaysian", "ringgit"),
    ("Thailand", "Bangkok", "Thai", "baht"), ("Armenia", "Yerevan", "Armenian", "dram"),
    ("Azerbaijan", "Baku", "Azerbaijani", "manat"), ("Georgia", "Tbilisi", "Georgian", "lari"),
    ("Norway", "Oslo", "Norwegian", "krone"), ("Greece", "Athens", "Greek", "euro"),
    ("Chile", "Santiago", "Chilean", "peso"), ("Uzbekistan", "Tashkent", "Uzbek", "som"),
]
_ONSETS = [
    "Kar", "Vel", "Tash", "Mir", "Ost", "Bel", "Zar", "Nov", "Dar", "Kel", "Sam", "Tor", "Ruv",
    "Ald", "Gor", "Yen", "Pal", "Sev", "Lom", "Hal", "Ber", "Kum", "Nar", "Fel", "Qas", "Ibr",
    "Ul", "Ar", "Sol", "Vin", "Jur", "Dom", "Bakh", "Es", "Tir", "Mar", "Kos", "Lev", "Rad",
]
_MIDDLES = ["a", "o", "e", "i", "u", "ar", "en", "ov", "im", "an", "el", "ur", "ash"]
_ENDINGS = ["sk", "grad", "bad", "ine", "ova", "ar", "ia", "stan", "pur", "mir", "ez", "ul",
            "ana", "esh", "ton", "ville", "abad", "lia", "ko", "dorf"]
PLACE_FORMS = ["{N} province", "{N} region", "the {N} district", "{N} governorate", "the {N} valley"]
TOWN_FORMS = ["the town of {N}", "the village of {N}", "the port city of {N}", "{N}"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
AGENCIES = [
    "the Interfax news agency", "state news agency Ria", "the Anadolu agency", "Xinhua",
    "the Kyodo news agency", "local broadcaster NTV", "the state-run news agency",
    "public broadcaster RTS", "the Nile news agency", "the Antara agency", "the Kazinform agency",
]
SOURCES = [
    "local officials", "state media", "residents", "first responders", "a source in {capital}",
    "officials in {cb_capital}", "a security source", "witnesses", "the regional governor's office",
]
# (role as written before the name, institution, gender or None)
ROLES = {
    "fm_spox_f": ("Foreign Ministry spokeswoman", "Foreign Ministry", "f"),
    "fm_spox_m": ("Foreign Ministry spokesman", "Foreign Ministry", "m"),
    "fm": ("Foreign Minister", "Foreign Ministry", None),
    "defence": ("Defence Minister", "Defence Ministry", None),
    "army": ("army spokesperson", "General Staff", None),
    "energy": ("Energy Minister", "Energy Ministry", None),
    "health": ("Health Minister", "Health Ministry", None),
    "economy": ("Economy Minister", "Economy Ministry", None),
    "trade": ("Trade Minister", "Trade Ministry", None),
    "agri": ("Agriculture Minister", "Agriculture Ministry", None),
    "emerg": ("Emergencies Minister", "Emergencies Ministry", None),
    "interior": ("Interior Minister", "Interior Ministry", None),
    "pm": ("Prime Minister", "government", None),
    "pres_spox": ("presidential spokesperson", "presidential office", None),
    "cb_gov": ("central bank governor", "central bank", None),
}

# Interchangeable phrases, as a translator might pick them. Matched case-sensitively on lowercase
# text, longest first, so proper names ("New Delhi") are never touched. Every phrase is in one
# group only.
SYNONYMS: list[tuple[str, ...]] = [
    # verbs
    ("support", "back", "favour", "endorse"),
    ("supports", "backs", "favours", "endorses"),
    ("cooperate with", "work together with", "collaborate with", "interact with"),
    ("ready to cooperate with", "poised for cooperation with", "open to cooperation with"),
    ("ready to", "prepared to", "poised to", "willing to"),
    ("call on", "urge", "appeal to"),
    ("calls on", "urges", "appeals to"),
    ("called on", "urged", "appealed to"),
    ("stressed", "emphasised", "underlined", "underscored"),
    ("warned", "cautioned"),
    ("expect", "count on"),
    ("expects", "counts on"),
    ("welcome", "applaud", "hail"),
    ("welcomes", "applauds", "hails"),
    ("defend", "protect", "safeguard"),
    ("establishing", "setting up", "creating", "forming"),
    ("exclude", "rule out", "prevent"),
    ("avoid", "steer clear of", "minimise"),
    ("select", "choose", "pick"),
    ("planning", "preparing"),
    ("carrying out", "conducting", "implementing"),
    ("carried out", "conducted", "staged"),
    ("is confirmed", "is verified", "proves true", "is corroborated"),
    ("should become", "should be", "must become", "ought to become"),
    ("lead to", "result in", "bring about"),
    ("make the situation worse", "aggravate the situation", "only escalate tensions"),
    ("show restraint", "exercise restraint", "refrain from escalation"),
    ("resume", "restart", "relaunch"),
    ("reached", "concluded", "achieved"),
    ("announced", "declared", "reported"),
    ("were killed", "died", "lost their lives"),
    ("injured", "wounded", "hurt"),
    ("increase", "raise", "boost"),
    ("reduce", "cut", "lower"),
    ("remains unchanged", "has not changed", "stays the same"),
    ("discuss", "examine", "consider"),
    ("respond", "react", "give an answer"),
    ("take part", "participate"),
    ("taking part", "participating"),
    ("lifted", "removed", "scrapped"),
    ("imposed", "introduced", "slapped"),
    ("seek to", "try to", "strive to"),
    ("will continue to", "are determined to", "intend to keep trying to"),
    ("reserve the right to", "keep the right to", "retain the right to"),
    ("submit", "send", "file"),
    ("assess", "evaluate", "estimate"),
    ("achieve", "attain", "accomplish"),
    ("coordinate", "align", "harmonise"),
    ("raise the issue of", "bring up the question of", "put the matter of"),
    ("turn a blind eye to", "look away from", "close its eyes to"),
    ("criticised", "slammed", "attacked"),
    ("denied", "rejected", "dismissed"),
    ("forced to leave", "compelled to abandon", "driven from"),
    ("spare no effort", "do everything possible", "make every effort"),
    ("chosen", "opted for", "preferred"),
    ("ignore", "disregard", "brush aside"),
    ("studying", "reviewing", "looking into"),
    ("found and punished", "identified and held accountable", "brought to justice"),
    ("prepared for", "got ready for", "readied themselves for"),
    # nouns
    ("countries", "states", "nations"),
    ("efforts", "endeavours", "undertakings"),
    ("response", "reaction", "counteraction"),
    ("threat", "danger", "menace"),
    ("common threat", "shared danger", "threat common to all"),
    ("in the interests of", "in the interest of", "with a view to", "for the purpose of"),
    ("in the fight against", "in countering", "in the struggle against", "in the battle with"),
    ("need", "necessity", "imperative"),
    ("possibility", "risk", "likelihood"),
    ("civilian casualties", "civilian deaths", "deaths of civilians", "loss of civilian life"),
    ("investigation", "inquiry", "probe"),
    ("thorough", "comprehensive", "detailed"),
    ("information", "reports", "data"),
    ("decision", "move", "step"),
    ("partners", "counterparts", "colleagues"),
    ("position", "stance", "approach"),
    ("citizens", "nationals", "compatriots"),
    ("agreement", "deal", "accord"),
    ("talks", "negotiations", "consultations"),
    ("situation", "state of affairs", "developments"),
    ("measures", "steps", "actions"),
    ("damage", "losses", "harm"),
    ("officials", "authorities", "representatives"),
    ("military operations", "military actions", "armed operations"),
    ("targets", "objectives"),
    ("region", "area", "zone"),
    ("border", "frontier"),
    ("troops", "forces", "servicemen"),
    ("residents", "locals", "inhabitants"),
    ("prices", "costs"),
    ("supplies", "deliveries", "shipments"),
    ("exports", "foreign sales", "shipments abroad"),
    ("aid", "assistance", "relief"),
    ("sanctions", "restrictive measures", "penalties"),
    ("attack", "assault", "strike"),
    ("attacks", "assaults", "strikes"),
    ("negotiating table", "dialogue", "path of negotiations"),
    ("international law", "the norms of international law", "international legal norms"),
    ("violation", "breach", "infringement"),
    ("serious", "grave", "gross"),
    ("consequences", "repercussions", "implications"),
    ("request", "appeal", "application"),
    ("experts", "specialists", "technicians"),
    ("priority", "key task", "top objective"),
    ("confrontation", "hostility", "a course of confrontation"),
    ("concerns", "worries", "apprehensions"),
    ("remarks", "comments", "statements"),
    ("accusations", "allegations", "claims"),
    ("delegation", "team of envoys", "mission"),
    ("meeting", "session", "gathering"),
    ("government", "administration", "cabinet"),
    ("security", "stability", "safety"),
    ("incident", "episode", "event"),
    ("families", "households"),
    ("shelter", "a roof over their heads", "housing"),
    ("homes", "dwellings", "residences"),
    ("pretext", "excuse", "justification"),
    ("issue", "question", "matter"),
    ("shortage", "deficit", "lack"),
    ("decline", "drop", "fall"),
    ("growth", "expansion", "rise"),
    # adjectives, adverbs, connectors
    ("joint", "shared", "collective"),
    ("effective", "efficient", "meaningful"),
    ("interested", "concerned", "relevant"),
    ("directly involved in", "actively engaged in", "directly engaged in"),
    ("carefully", "thoroughly", "meticulously", "with great care"),
    ("immediately", "without delay", "at once", "straight away"),
    ("repeatedly", "more than once", "time and again", "on many occasions"),
    ("deeply concerned", "very worried", "seriously alarmed", "gravely concerned"),
    ("temporary", "provisional", "interim"),
    ("as soon as", "once", "the moment that"),
    ("clear", "unambiguous", "definite"),
    ("significant", "considerable", "substantial"),
    ("important", "vital", "crucial"),
    ("difficult", "hard", "tough"),
    ("useful", "productive", "constructive"),
    ("entire", "whole"),
    ("at the same time", "meanwhile", "simultaneously"),
    ("however", "nevertheless", "nonetheless"),
    ("in order to", "so as to"),
    ("regarding", "concerning", "with regard to", "in relation to"),
    ("more than", "in excess of", "upwards of"),
    ("at least", "no fewer than", "a minimum of"),
    ("last week", "the previous week", "a week ago"),
    ("next week", "in the coming week", "within a week"),
    ("early hours", "small hours"),
    ("because", "given that", "in view of the fact that"),
    ("all parties", "all sides", "every party"),
    ("the international community", "the world community", "the global community"),
    ("a series of", "a number of", "a string of"),
    ("dozens of", "scores of", "tens of"),
    ("as well as", "along with", "together with"),
    ("in the near future", "shortly", "in the coming days"),
    ("humanitarian aid", "humanitarian assistance", "relief supplies"),
    ("without preconditions", "with no preconditions", "unconditionally"),
    ("as provided for by", "in line with", "in accordance with", "as stipulated by"),
    ("around the clock", "day and night", "nonstop"),
    ("instead of", "rather than", "in place of"),
    ("additional", "further", "extra"),
    ("constant contact", "permanent contact", "regular contact"),
    ("economic", "financial"),
    ("urgent", "pressing"),
    ("despite", "in spite of", "notwithstanding"),
    ("several years", "many years", "a number of years"),
    ("politically motivated", "driven by politics", "politically biased"),
    ("at odds", "in dispute", "at loggerheads"),
]

_SYN_LOOKUP: dict[str, tuple[str, ...]] = {}
for _group in SYNONYMS:
    for _phrase in _group:
        if _phrase in _SYN_LOOKUP:
            raise AssertionError(f"synonym phrase {_phrase!r} in two groups")
        _SYN_LOOKUP[_phrase] = _group
_SYN_RE = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(p) for p in sorted(_SYN_LOOKUP, key=len, reverse=True)) + r")(?![\w-])"
)

# Phrases filling topic slots; topics override or extend them. "{x}" refers to story entities.
GENERIC_SLOTS: dict[str, list[str]] = {
    "condition": [
        "the situation returns to normal", "our partners meet their obligations",
        "the threat to our citizens disappears", "the other side stops its provocations",
    ],
    "pretext": [
        "new pressure on our country", "interference in our internal affairs",
        "unilateral restrictions", "a military build-up near our borders",
    ],
    "accusation": [
        "escalating the situation", "ignoring earlier agreements", "spreading disinformation about {event}",
        "hiding the truth about {issue}", "stalling the talks in {city}",
    ],
    "cb_action": [
        "expel our diplomats", "suspend the dialogue", "close its airspace to our carriers",
        "freeze the joint projects", "recall its ambassador for consultations",
    ],
}

TOPICS: list[dict] = [
    {
        "name": "raid",
        "roles": ["fm_spox_f", "fm_spox_m", "defence", "army"],
        "orgs": ["the US-led international coalition", "the UN Security Council", "NATO"],
        "keywords": ["raid", "militant", "terrorist", "operation", "civilian", "helicopter"],
        "event": ["the overnight raid in {place}", "the special forces operation in {place}",
                  "the strike on a militant hideout in {town}"],
        "threat": ["terrorism", "international terrorism", "the militant groups operating in {place}"],
        "issue": ["the civilian casualties in {place}", "the presence of foreign fighters in {place}",
                  "the raid on the compound near {town}", "the use of helicopter gunships over {place}"],
        "goal": ["eliminating the remaining militant cells in {place}",
                 "restoring government control over {place}", "preventing new attacks on civilians"],
        "demand": ["withdraw its troops from {place}", "share intelligence about the militant networks",
                   "stop supplying weapons to armed groups in {place}"],
        "consequence": ["a new wave of violence in {place}", "more civilian casualties",
                        "the collapse of the fragile truce in {place}"],
        "activity": ["counter-terrorism operations", "military operations in populated areas",
                     "air strikes against militant positions"],
        "risk": ["civilian casualties", "harm to innocent people", "the destruction of homes and hospitals"],
        "conflict": ["the crisis in {place}", "the long war in {place}"],
        "humanitarian": ["thousands of displaced families live in tents",
                         "hospitals are running out of medicine and fuel"],
        "facts": [
            ["at least {n1} people, including {n2} children, were killed during the raid on a house in {town}",
             "^according to residents and first responders"],
            ["the operation began in the early hours of {weekday}, when helicopters landed near a two-storey building on the outskirts of {town}"],
            ["{place} is home to tens of thousands of fighters who fled there from other parts of {cb}",
             "after a series of government offensives"],
            ["the militant leader had been living with his family in a rented house close to the border with {cc}",
             "^local sources said"],
        ],
        "titles": ["{ca} backs anti-terror efforts, wants probe into {place} deaths",
                   "Civilians among dead in overnight raid in {town}",
                   "{surname}: deaths in {place} raid must be investigated",
                   "What we know about the helicopter raid in {place}",
                   "{ca} ready to cooperate on terrorism after {place} operation",
                   "Militant chief killed as commandos storm house near {town}"],
    },
    {
        "name": "sanctions",
        "roles": ["fm", "trade", "economy", "pres_spox"],
        "orgs": ["the European Union", "the World Trade Organization", "the G20"],
        "keywords": ["sanctions", "trade", "export", "restrictions", "tariff", "assets", "protectionism"],
        "event": ["the new sanctions package announced by {cb}", "the ban on imports of {product}",
                  "the decision to freeze the assets of {ca_adj} banks"],
        "threat": ["protectionism", "the fragmentation of world trade", "unilateral economic pressure"],
        "issue": ["the restrictions on {product}", "the freezing of {ca_adj} assets abroad",
                  "the new tariffs on {product}", "the blacklisting of {ca_adj} companies"],
        "goal": ["restoring normal trade with {cb}", "protecting {ca_adj} exporters",
                 "finding new markets for {product}"],
        "demand": ["lift the illegal restrictions on {product}", "unfreeze the assets of our companies",
                   "return to the rules of the World Trade Organization"],
        "consequence": ["higher prices for consumers in {cb}", "the loss of thousands of jobs",
                        "a shortage of {product} on world markets"],
        "activity": ["trade wars", "the use of sanctions as a political weapon"],
        "risk": ["damage to ordinary consumers", "the disruption of supply chains"],
        "conflict": ["the trade dispute with {cb}", "the tariff war with {cb}"],
        "humanitarian": ["factories have already cut production by a third",
                         "small businesses cannot pay for imported parts"],
        "facts": [
            ["trade between {ca} and {cb} fell by {pct} percent last year", "to about {bn} billion dollars"],
            ["the restrictions cover {product}, machine tools and some types of electronics",
             "and will take effect on the first day of {month}"],
            ["{ca_adj} companies exported {product} worth more than {bn} billion dollars to {cb} before the restrictions"],
            ["the {currency} fell sharply on {weekday} after the announcement",
             "^according to exchange data"],
        ],
        "titles": ["{ca} vows response to {cb_adj} sanctions on {product}",
                   "{surname} slams new {cb_adj} trade curbs",
                   "{ca_adj} exporters brace for losses as {cb} widens blacklist",
                   "Tariff row between {ca} and {cb} deepens",
                   "{cb} freezes assets of {ca_adj} banks",
                   "Markets jittery as {ca} and {cb} trade blows over {product}"],
    },
    {
        "name": "ceasefire",
        "roles": ["fm", "fm_spox_f", "fm_spox_m", "pres_spox"],
        "orgs": ["the OSCE", "the African Union", "the UN Security Council"],
        "keywords": ["ceasefire", "talks", "truce", "negotiations", "peace", "prisoner", "monitor", "shelling"],
        "event": ["the shelling of {town} on {weekday}", "the breakdown of the truce in {place}",
                  "the latest round of talks in {city}"],
        "threat": ["the renewed fighting in {place}", "the spread of the conflict beyond {place}"],
        "issue": ["the violations of the ceasefire in {place}", "the exchange of prisoners of war",
                  "the deployment of monitors along the contact line", "the shelling of {town}"],
        "goal": ["a lasting ceasefire in {place}", "the return of refugees to {place}",
                 "the full exchange of prisoners"],
        "demand": ["pull back its heavy weapons from the contact line",
                   "allow international monitors into {place}", "release all prisoners without delay"],
        "consequence": ["a full-scale war", "the collapse of the peace process",
                        "a new flow of refugees from {place}"],
        "activity": ["peace talks", "the monitoring of the truce"],
        "risk": ["a new escalation", "further bloodshed in {place}"],
        "conflict": ["the conflict in {place}", "the dispute over {place}"],
        "humanitarian": ["the water supply has been cut for a week",
                         "thousands of people are sheltering in basements"],
        "facts": [
            ["the delegations of {ca} and {cb} met behind closed doors in {city} for more than {hours} hours",
             "but did not sign a final document"],
            ["the ceasefire in {place} was agreed in {month} under pressure from {org}",
             "and has been violated almost daily since then"],
            ["observers recorded {n3} explosions near {town} during the night to {weekday}"],
            ["the next round of talks is scheduled for the end of {month}", "^a diplomatic source told reporters"],
        ],
        "titles": ["{ca} and {cb} end {city} talks without deal",
                   "{surname} urges return to truce in {place}",
                   "Shelling of {town} threatens fragile ceasefire",
                   "Diplomats scramble to save {place} peace process",
                   "{org_cap} calls emergency session on {place}",
                   "Prisoner swap on agenda as talks resume in {city}"],
    },
    {
        "name": "earthquake",
        "roles": ["emerg", "interior", "pm", "health"],
        "orgs": ["the Red Cross", "the World Health Organization", "the UN refugee agency"],
        "keywords": ["earthquake", "quake", "rescue", "rubble", "magnitude", "aid", "damage", "evacuated", "humanitarian", "tents", "building"],
        "event": ["the magnitude {mag} earthquake that struck {place}", "the collapse of buildings in {town}",
                  "the aftershocks that hit {place} on {weekday}"],
        "threat": ["new aftershocks", "the outbreak of disease in the camps", "landslides in {place}"],
        "issue": ["the slow pace of rescue work in {town}", "the construction standards in {place}",
                  "the shortage of tents and blankets in {place}", "the number of people still under the rubble"],
        "goal": ["rebuilding the destroyed homes in {town}", "providing shelter for every family before winter",
                 "restoring electricity and water in {place}"],
        "demand": ["send heavy lifting equipment to {town}", "open a second corridor for aid convoys",
                   "speed up the payment of compensation"],
        "consequence": ["an epidemic in the camps", "a second humanitarian disaster",
                        "the loss of the entire harvest in {place}"],
        "activity": ["search and rescue operations", "the distribution of aid"],
        "risk": ["further collapses of damaged buildings", "looting in the evacuated districts"],
        "conflict": ["the disaster in {place}", "the emergency in {place}"],
        "humanitarian": ["families spend the night in cars despite the cold",
                         "rescuers still hear voices from under the rubble"],
        "facts": [
            ["the earthquake of magnitude {mag} struck at a depth of {km} kilometres",
             "^the national seismological centre said"],
            ["at least {n1} people were killed and {n3} injured in {place}", "^according to the latest official figures"],
            ["rescue teams from {cb} and {cc} arrived in {town} on {weekday}", "bringing sniffer dogs and thermal cameras"],
            ["more than {n4} buildings collapsed or were badly damaged", "mostly in the old centre of {town}"],
        ],
        "titles": ["Death toll rises after magnitude {mag} quake hits {place}",
                   "{surname} promises to rebuild {town} within a year",
                   "Rescuers race against time in quake-hit {town}",
                   "{cb} sends rescue teams to {place}",
                   "Aftershocks rattle {place} as survivors sleep outdoors",
                   "Anger grows over building standards after {place} quake"],
    },
    {
        "name": "gas",
        "roles": ["energy", "economy", "pm", "pres_spox"],
        "orgs": ["the International Energy Agency", "OPEC", "the European Commission"],
        "keywords": ["gas", "pipeline", "energy", "supplies", "contract"],
        "event": ["the halt of gas deliveries through the {pipeline} pipeline",
                  "the explosion at the {pipeline} compressor station", "the expiry of the transit contract"],
        "threat": ["an energy crisis in the winter", "the manipulation of gas prices"],
        "issue": ["the maintenance of the {pipeline} pipeline", "the price formula in the new contract",
                  "the transit fees demanded by {cb}", "the shortage of gas in storage facilities"],
        "goal": ["securing stable gas supplies for the winter", "diversifying our energy sources",
                 "building a second line of the {pipeline} pipeline"],
        "demand": ["honour the long-term contract", "return the repaired turbine",
                   "guarantee the safety of the transit route"],
        "consequence": ["rolling blackouts across {ca}", "record energy prices", "the closure of steel plants"],
        "activity": ["energy projects", "the construction of new pipelines"],
        "risk": ["interruptions of supply to households", "an accident at the compressor stations"],
        "conflict": ["the gas dispute with {cb}", "the row over transit fees"],
        "humanitarian": ["many families cannot pay their heating bills",
                         "schools may close if the heating fails"],
        "facts": [
            ["the {pipeline} pipeline can carry up to {bn} billion cubic metres of gas a year",
             "and supplies about a third of the fuel used in {ca}"],
            ["gas prices on the spot market rose by {pct} percent on {weekday}", "^according to trading data"],
            ["storage facilities in {ca} are currently {pct} percent full", "well below the usual level for {month}"],
            ["the transit agreement between {ca} and {cb} expires at the end of {month}"],
        ],
        "titles": ["{ca} warns of winter shortages as {pipeline} flows stop",
                   "{surname}: {cb} must honour gas contract",
                   "Gas prices jump after {pipeline} shutdown",
                   "{ca} and {cb} clash over pipeline transit fees",
                   "{cc} watches {pipeline} talks between {capital} and {cb_capital}",
                   "Blast hits {pipeline} compressor station"],
    },
    {
        "name": "outbreak",
        "roles": ["health", "pm", "pres_spox", "interior"],
        "orgs": ["the World Health Organization", "the Africa Centres for Disease Control", "UNICEF"],
        "keywords": ["outbreak", "virus", "cases", "vaccin", "infection", "quarantine", "health"],
        "event": ["the outbreak of {disease} in {place}", "the closure of schools in {town}",
                  "the first confirmed case of {disease} in {cb}"],
        "threat": ["the spread of {disease}", "new variants of the virus"],
        "issue": ["the quarantine measures in {place}", "the shortage of vaccines in rural clinics",
                  "the rising number of infections in {town}", "the border checks on travellers from {cb}"],
        "goal": ["vaccinating every child in {place}", "containing the outbreak within a month",
                 "reopening the schools in {town}"],
        "demand": ["share the genetic data of the virus", "lift the travel ban on our citizens",
                   "send more doses to the affected regions"],
        "consequence": ["the collapse of the health system in {place}", "thousands of new infections",
                        "long-term damage to the economy"],
        "activity": ["vaccination campaigns", "the testing of travellers"],
        "risk": ["panic among the population", "the spread of the virus to neighbouring {countries_word}"],
        "conflict": ["the epidemic in {place}", "the health emergency in {place}"],
        "humanitarian": ["clinics are treating patients in corridors",
                         "doctors work double shifts without protective equipment"],
        "facts": [
            ["health authorities recorded {n3} new cases of {disease} in {place} over the past day",
             "the highest figure since the outbreak began"],
            ["the quarantine in {town} was extended until the end of {month}", "^the regional administration said"],
            ["a team of {n2} experts from {org} arrived in {place} on {weekday}"],
            ["more than {n4} people have been vaccinated so far", "most of them health workers and the elderly"],
        ],
        "titles": ["{disease_cap} cases surge in {place}",
                   "{surname} extends quarantine in {town}",
                   "{org_cap} experts arrive in {place} as outbreak spreads",
                   "{cb} imposes travel curbs over {disease} fears",
                   "Schools shut in {town} as {disease} spreads",
                   "Vaccine shortage hampers fight against {disease}"],
    },
    {
        "name": "grain",
        "roles": ["agri", "trade", "fm", "pm"],
        "orgs": ["the World Food Programme", "the Food and Agriculture Organization", "the African Union"],
        "keywords": ["grain", "wheat", "harvest", "port", "food", "ship", "famine", "fertilis", "bread"],
        "event": ["the suspension of grain shipments from {port}", "the drone attack on the port of {port}",
                  "the poor wheat harvest in {place}"],
        "threat": ["hunger in the poorest countries", "a global food crisis"],
        "issue": ["the blockade of the port of {port}", "the inspection of grain ships",
                  "the export quota for wheat", "the rising price of fertilisers"],
        "goal": ["the safe passage of grain ships from {port}", "keeping bread prices stable",
                 "supplying wheat to the poorest countries in Africa"],
        "demand": ["stop blocking our agricultural exports", "guarantee the safety of merchant ships",
                   "connect our agricultural bank to the payment system"],
        "consequence": ["famine in East Africa", "a sharp rise in bread prices", "social unrest in importing countries"],
        "activity": ["grain exports", "the inspections of ships in the strait"],
        "risk": ["delays for ships carrying food", "the loss of the harvest"],
        "conflict": ["the dispute over the grain corridor", "the blockade of {port}"],
        "humanitarian": ["millions of people depend on imported wheat",
                         "the price of bread has doubled in the markets"],
        "facts": [
            ["more than {n4} thousand tonnes of wheat are waiting to be loaded in the port of {port}"],
            ["wheat futures rose by {pct} percent in {city} on {weekday}", "after the news of the suspension"],
            ["{ca} harvested {n1} million tonnes of grain last season", "^according to the agriculture ministry"],
            ["the first ship carrying {n3} tonnes of corn left {port} on {weekday}", "bound for {cc}"],
        ],
        "titles": ["Grain ships stuck as {port} exports halted",
                   "{surname} says grain deal cannot work without guarantees",
                   "Wheat prices jump after {port} attack",
                   "{cb} and {ca} blame each other for grain corridor collapse",
                   "{org_cap} warns of hunger as shipments stall",
                   "First grain ship in weeks leaves {port}"],
    },
    {
        "name": "drills",
        "roles": ["defence", "army", "fm_spox_f", "fm"],
        "orgs": ["NATO", "the Collective Security Treaty Organization", "the OSCE"],
        "keywords": ["drills", "exercises", "troops", "military", "border", "missile", "clash", "warship"],
        "event": ["the military exercises near the border with {cb}", "the flight of a reconnaissance drone over {place}",
                  "the deployment of missile systems in {place}"],
        "threat": ["the military build-up near our borders", "provocations in the air space over {place}"],
        "issue": ["the scale of the exercises near {place}", "the presence of foreign warships off {port}",
                  "the deployment of new missile systems", "the violation of our airspace near {town}"],
        "goal": ["strengthening confidence-building measures", "reducing military activity along the border",
                 "restoring the hotline between the general staffs"],
        "demand": ["pull back its troops from the border", "give advance notice of large exercises",
                   "stop the reconnaissance flights over {place}"],
        "consequence": ["an accidental clash", "a new arms race in the region", "the end of arms control"],
        "activity": ["large-scale military exercises", "reconnaissance flights"],
        "risk": ["an accidental collision of aircraft", "a dangerous misunderstanding"],
        "conflict": ["the tensions on the border with {cb}", "the standoff over {place}"],
        "humanitarian": ["residents of border villages have been told to prepare shelters",
                         "farmers cannot reach their fields near the firing ranges"],
        "facts": [
            ["about {n4} troops and {n2} aircraft are taking part in the exercises", "which will last until {weekday}"],
            ["the drills are being held at {n1} training grounds in {place} and near {town}"],
            ["a {cb_adj} reconnaissance drone was spotted near {port} on {weekday}", "^the defence ministry said"],
            ["{cb} and {ca} last held talks on military transparency in {year}", "but the dialogue has been frozen since then"],
        ],
        "titles": ["{ca} launches drills near {cb_adj} border",
                   "{surname} warns {cb} over flights near {place}",
                   "Warships off {port} raise tensions",
                   "{org_cap} concerned about scale of {place} exercises",
                   "{cb} accuses {ca} of provocation near {town}",
                   "Thousands of troops join exercises in {place}"],
    },
    {
        "name": "rates",
        "roles": ["cb_gov", "economy", "pm", "trade"],
        "orgs": ["the International Monetary Fund", "the World Bank", "the Bank for International Settlements"],
        "keywords": ["inflation", "rate", "central bank", "economy", "currency", "percent", "deficit", "lending", "savings"],
        "event": ["the decision to raise the key rate to {pct} percent", "the sharp fall of the {currency}",
                  "the publication of the inflation figures for {month}"],
        "threat": ["runaway inflation", "a recession in the second half of the year"],
        "issue": ["the level of the key rate", "the weakness of the {currency}",
                  "the growth of consumer lending", "the budget deficit"],
        "goal": ["bringing inflation back to the target", "stabilising the {currency}",
                 "protecting the savings of households"],
        "demand": ["stop speculating against our currency", "ease the restrictions on capital flows",
                   "return the reserves frozen abroad"],
        "consequence": ["a wave of bankruptcies", "higher mortgage payments for families", "capital flight"],
        "activity": ["currency interventions", "the tightening of monetary policy"],
        "risk": ["a sharp slowdown of the economy", "panic on the currency market"],
        "conflict": ["the currency crisis", "the dispute over monetary policy"],
        "humanitarian": ["pensioners struggle to pay for food and medicine",
                         "many families have postponed major purchases"],
        "facts": [
            ["annual inflation in {ca} accelerated to {pct} percent in {month}", "^according to the statistics office"],
            ["the {currency} lost about {pct} percent of its value against the dollar since {month}"],
            ["the central bank has raised the key rate {n2} times since the beginning of the year"],
            ["analysts polled by {agency} had expected a smaller increase", "of about {pct} percentage points"],
        ],
        "titles": ["{ca} central bank hikes key rate to {pct} percent",
                   "{surname}: inflation will slow by year-end",
                   "{currency_cap} slides as investors fret over deficit",
                   "{org_cap} cuts growth forecast for {ca}",
                   "Mortgage costs soar after rate decision",
                   "Households feel the squeeze as prices climb"],
    },
    {
        "name": "migration",
        "roles": ["interior", "fm", "pm", "fm_spox_m"],
        "orgs": ["the UN refugee agency", "the International Organization for Migration", "the European Union"],
        "keywords": ["migrants", "refugees", "border", "asylum", "camp"],
        "event": ["the arrival of {n4} migrants at the border crossing near {town}",
                  "the sinking of a boat off the coast of {place}", "the closure of the camp in {town}"],
        "threat": ["human trafficking", "the smuggling networks operating in {place}"],
        "issue": ["the conditions in the camp near {town}", "the pushbacks at the border",
                  "the asylum quota agreed with {cb}", "the funding for the reception centres"],
        "goal": ["a fair distribution of asylum seekers", "dismantling the smuggling networks",
                 "the voluntary return of refugees"],
        "demand": ["stop using migrants as a tool of pressure", "take back its citizens whose applications were rejected",
                   "respect the right to asylum"],
        "consequence": ["a new humanitarian crisis at the border", "more deaths at sea",
                        "the collapse of the reception system"],
        "activity": ["search and rescue at sea", "border controls"],
        "risk": ["deaths at sea", "violence against asylum seekers"],
        "conflict": ["the migration crisis", "the standoff at the border with {cb}"],
        "humanitarian": ["children sleep in the open near the border fence",
                         "the camp has only one water point for hundreds of people"],
        "facts": [
            ["more than {n4} people have crossed the border near {town} since the start of {month}",
             "^according to the border guard service"],
            ["the coast guard rescued {n3} people from a sinking boat off {place} on {weekday}"],
            ["the camp near {town} was built for {n1} hundred people", "but now houses several times as many"],
            ["{ca} and {cb} signed a readmission agreement in {year}", "which has never been fully implemented"],
        ],
        "titles": ["{ca} tightens border controls as arrivals rise",
                   "{surname} accuses {cb} of using migrants as weapon",
                   "Boat sinks off {place}, dozens missing",
                   "Aid groups decry conditions in {town} camp",
                   "{org_cap} urges {ca} to respect right to asylum",
                   "Thousands wait at {town} crossing"],
    },
]

PRODUCTS = ["steel", "aluminium", "fertilisers", "semiconductors", "timber", "fish", "cotton",
            "solar panels", "rare earth metals", "wine", "pharmaceuticals", "car parts"]
DISEASES = ["cholera", "measles", "dengue fever", "a new strain of influenza", "Marburg virus", "mpox"]
PIPELINE_NAMES = ["Northern Star", "Blue Stream", "Silk Route", "Trans-Steppe", "Amber Line",
                  "Caspian Gate", "Southern Arc", "Polar Link"]

# Quote contents, first person (an institution speaking). Clauses: the first is the main clause;
# a leading "^" marks an adjunct that a rewrite may move in front of the main clause.
QUOTES: list[list[str]] = [
    ["we support the efforts of other countries, including members of {org}", "^in the fight against {threat}"],
    ["we are ready to cooperate with all interested countries",
     "^in the interests of establishing a joint and effective response to {threat}"],
    ["in our practical actions we are guided by the need to carefully avoid {risk}",
     "^when planning and carrying out {activity}"],
    ["we call on other countries directly involved in {activity} to do the same",
     "and to take every measure to avoid {risk}"],
    ["if the information about {issue} is confirmed, it should become the subject of a thorough investigation"],
    ["we consider {issue} a serious violation of international law", "and we reserve the right to respond"],
    ["the decision of {cb} to {cb_action} will only make the situation worse",
     "and we urge our partners to show restraint"],
    ["we have repeatedly warned that {issue} would lead to {consequence}"],
    ["our position on {issue} remains unchanged", "and we will continue to defend the interests of our citizens"],
    ["we expect {org} to take a clear position on {issue}", "^instead of remaining silent"],
    ["there can be no military solution to {conflict}", "and all parties must return to the negotiating table"],
    ["we welcome the agreement reached in {city}", "which opens the way to {goal}"],
    ["we are deeply concerned about the situation in {place}", "where {humanitarian}"],
    ["these measures are temporary", "and they will be lifted as soon as {condition}"],
    ["we call on {cb} to {demand} immediately", "^as provided for by the relevant agreements"],
    ["we will not accept any attempts to use {issue} as a pretext for {pretext}"],
    ["the international community must not turn a blind eye to {issue}",
     "^because {consequence} would affect the entire region"],
    ["we have received a request from {cb}", "and our experts are now studying it carefully together with our partners"],
    ["we intend to raise the issue of {issue} at the next meeting of {org}"],
    ["we are ready to send humanitarian aid to {place}", "^if the government of {cb} submits an official request"],
    ["our experts are working around the clock", "^in order to assess the damage caused by {event}"],
    ["we have no doubt that those responsible for {event} will be found and punished"],
    ["any further escalation in {place} would have serious consequences for the security of the entire region"],
    ["we see {goal} as a priority for the coming months", "and we will spare no effort to achieve it"],
    ["we regret that our partners in {cb_capital} have chosen confrontation instead of dialogue"],
    ["we do not rule out additional measures", "^if {cb} continues to ignore our concerns about {issue}"],
    ["the talks with {cb} were difficult but useful", "and we agreed to meet again in {month}"],
    ["we are in constant contact with our colleagues in {org}",
     "^in order to coordinate a joint response to {threat}"],
    ["it is important to focus on {goal}", "^at the same time, without external interference"],
    ["we are ready to discuss {issue} without preconditions", "^as soon as {condition}"],
]

# Reported facts, third person.
FACTS: list[list[str]] = [
    ["{ca} and {cb} have been at odds over {issue} for several years", "^despite repeated attempts at mediation by {org}"],
    ["{p2_full} said on {weekday} that the government in {cb_capital} would not accept {issue}"],
    ["{org_cap} is expected to discuss {issue} at a meeting in {city} next week"],
    ["officials in {cb_capital} have not yet commented on the remarks", "which came hours after {event}"],
    ["analysts say {issue} could become a major test for relations between {capital} and {cb_capital}"],
    ["the last round of talks between the two sides took place in {city} in {month}",
     "but ended without a joint statement"],
    ["{cb} has denied any involvement in {event}", "calling the accusations politically motivated"],
    ["{ca_adj} media reported that a delegation led by {p2_name} would travel to {capital} later this month"],
    ["opposition politicians in {ca} criticised the government for its slow response to {issue}"],
    ["{event_cap} was the most serious incident of its kind in {place} since {year}"],
    ["the remarks came as diplomats from {ca}, {cb} and {cc} prepared for a new round of consultations in {city}"],
    ["the {currency} traded almost unchanged against the dollar on {weekday}", "despite the news from {place}"],
    ["{p2_full} accused {ca} of using {issue} to put pressure on its neighbours"],
    ["the government in {capital} has promised to publish a detailed report on {event}", "^by the end of {month}"],
]

HEAD_SUBJECTS = ["{ca}", "{surname}", "{org_cap}", "{capital}", "{ca_adj} minister", "{cc}"]
HEAD_SUBJECTS_OTHER_SIDE = ["{cb}", "{p2_surname}", "{cb_capital}", "{cb_adj} envoy"]
HEAD_VERBS = ["warns {other} over", "slams", "backs", "urges calm over", "rejects criticism of", "vows to act on",
              "weighs response to", "defends stance on", "questions", "hails progress on", "blames {other} for",
              "seeks talks on", "sounds alarm over", "demands answers on", "braces for", "pushes back on"]
HEAD_OBJECTS = ["{place_n} {hn}", "{hn} in {place_n}", "{town_n} {hn}", "{hn}", "{hn} row with {other}"]
HEAD_TAILS = ["", "", " as tensions rise", " after {weekday} talks", " ahead of {city} meeting", " amid {kw} fears",
              " - report", ": what we know"]
HEAD_NOUNS = {
    "raid": ["raid", "anti-terror operation", "militant hideout strike", "civilian deaths"],
    "sanctions": ["sanctions", "trade curbs", "{product} tariffs", "asset freeze"],
    "ceasefire": ["ceasefire", "truce", "prisoner swap", "peace talks"],
    "earthquake": ["quake relief", "rescue effort", "quake death toll", "rebuilding plan"],
    "gas": ["gas supplies", "{pipeline} flows", "transit fees", "energy crunch"],
    "outbreak": ["{disease} outbreak", "quarantine", "vaccine shortage", "travel curbs"],
    "grain": ["grain corridor", "wheat exports", "{port} blockade", "food crisis"],
    "drills": ["military drills", "border build-up", "drone flights", "missile deployment"],
    "rates": ["rate hike", "{currency} slide", "inflation", "budget deficit"],
    "migration": ["border crossings", "asylum rules", "{town_n} camp", "migrant boats"],
}


def _headline_template(story: "_Story", rng: random.Random) -> str:
    nouns = HEAD_NOUNS[story.topic["name"]]
    obj = rng.choice(HEAD_OBJECTS).replace("{hn}", rng.choice(nouns))
    tail = rng.choice(HEAD_TAILS).replace("{kw}", rng.choice(story.topic["keywords"]))
    if rng.random() < 0.3:
        subject, other = rng.choice(HEAD_SUBJECTS_OTHER_SIDE), "{ca}"
    else:
        subject, other = rng.choice(HEAD_SUBJECTS), "{cb}"
    return f"{subject} {rng.choice(HEAD_VERBS)} {obj}{tail}".replace("{other}", other)


GENERIC_TITLES = [
    "{surname} and {p2_surname} trade barbs over {place}",
    "{capital} and {cb_capital} at odds over {town}",
    "{p2_surname} rejects {ca_adj} claims on {place}",
    "Analysis: what {place} means for {capital} and {cb_capital}",
    "{weekday} briefing: {surname} on {town}",
    "{cc} watches {place} crisis closely",
    "Talks in {city} overshadowed by {place} row",
    "Explainer: {ca}, {cb} and the {place} question",
    "{org_cap} under pressure over {place}",
    "{surname} trip to {city} postponed amid {place} tension",
    "Residents of {town} describe a {weekday} of fear",
    "{ca_adj} envoy summoned in {cb_capital} over {town_n}",
]

# Composed quotes: STANCE + OBJECT [+ ADJUNCT]; short fixed parts, entity-rich slots.
STANCES = [  # (text, polarity): "-" takes bad news, "+" good news, "0" either
    ("we support", "+"), ("we welcome", "+"), ("we strongly condemn", "-"), ("we are deeply concerned about", "-"),
    ("we will not accept", "-"), ("we categorically reject", "-"), ("we are closely following", "0"),
    ("we deeply regret", "-"), ("we attach great importance to", "+"), ("we cannot ignore", "0"),
    ("we have taken note of", "0"), ("we are ready to discuss", "0"), ("we insist on a thorough investigation of", "-"),
    ("we call for an independent inquiry into", "-"), ("we see no alternative to", "+"),
    ("we are carefully studying", "0"), ("we firmly oppose", "-"), ("we have repeatedly warned about", "-"),
    ("we expect a clear explanation of", "-"), ("we do not intend to tolerate", "-"), ("we are seriously alarmed by", "-"),
    ("we fully back", "+"), ("we have always advocated", "+"), ("we are prepared to contribute to", "+"),
    ("our country has never supported", "-"), ("we are disappointed by", "-"), ("we are encouraged by", "+"),
]
OBJECTS = [
    ("{issue}", "-"), ("{issue}", "0"), ("{event}", "-"), ("{goal}", "+"), ("the decision by {cb} to {cb_action}", "-"),
    ("the proposal put forward by {p2_full}", "0"), ("the statements made in {cb_capital} about {issue}", "-"),
    ("any attempt to exploit {issue}", "-"), ("the latest reports from {town}", "0"),
    ("the position taken by {org}", "0"), ("the role played by {cc} in {conflict}", "0"),
    ("what is happening in {place}", "-"), ("the plan to {demand} before the end of {month}", "+"),
    ("the joint declaration signed in {city}", "+"), ("the mediation offered by {cc}", "+"),
    ("the efforts of other countries, including members of {org}", "+"),
]
ADJUNCTS = [
    "^in the fight against {threat}", "^in the interests of {goal}", "^as provided for by the agreements signed in {city}",
    "^in order to prevent {consequence}", "^if {cb} continues to ignore our concerns", "^together with our partners in {org}",
    "^at a time when {humanitarian}", "because it could lead to {consequence}",
    "and we will raise this issue at the next meeting of {org}", "and we urge {cb} to {demand}",
    "and we reserve the right to respond", "^despite the pressure coming from {cb_capital}",
    "^in close coordination with {cc}", "^after {event}", "^since the events in {town}",
    "^for the sake of the people of {place}", "^without any preconditions from {cb}",
    "^when planning and carrying out {activity}", "^in order to exclude {risk}",
    "and we expect the same from the authorities in {cb_capital}", "^given the scale of {consequence} we fear",
    "which is why {claim}", "and {claim}", "^as long as {condition}",
]
# Composed facts: SUBJECT + VERB PHRASE (past tense: no agreement) [+ TAIL].
FACT_SUBJECTS = [
    "{ca_adj} officials", "the government in {cb_capital}", "{p2_full}", "{org}", "residents of {town}",
    "opposition lawmakers in {capital}", "diplomats in {city}", "analysts in {capital}", "the {cb_adj} embassy",
    "aid workers in {place}", "local media in {place}", "a senior {cc_adj} diplomat", "the mayor of {port}",
    "{cb_adj} state television", "business leaders in {capital}", "a spokesperson for {org}",
]
FACT_VERBS = [
    "said on {weekday} that {claim}", "warned that {claim}", "reported that {claim}", "accused {ca} of {accusation}",
    "called for {goal}", "denied any role in {event}", "expressed concern over {issue}",
    "discussed {issue} with a delegation from {cc} on {weekday}", "declined to comment on {event}",
    "welcomed the prospect of {goal}", "described {event} as a turning point", "played down fears of {consequence}",
    "questioned the official account of {event}", "urged {cb} to {demand}",
]
FACT_TAILS = [
    "^on {weekday}", "^in an interview broadcast late on {weekday}", "^speaking in {city}",
    "^in a post on social media", "after a meeting that lasted {hours} hours", "^for the first time since {year}",
    "a claim {cb} has rejected", "^in the run-up to the talks in {city}", "amid growing anger in {place}",
    "^in a rare public comment",
]
TOPIC_CLAIMS = {
    "raid": ["the militants used the village of {town} as a base", "the raid had been planned for months",
             "{n2} of the dead were children", "the helicopters came from a base in {cc}"],
    "sanctions": ["the restrictions would cost {ca} about {bn} billion dollars", "{ca_adj} exporters had found new buyers in {cc}",
                  "the list of sanctioned firms would grow in {month}", "prices of {product} had already risen by {pct} percent"],
    "ceasefire": ["the truce in {place} was broken {n3} times last week", "prisoners would be exchanged in {city}",
                  "monitors had been denied access to {town}", "the next round of talks would start in {month}"],
    "earthquake": ["{n3} aftershocks had been recorded since the main quake", "the hospital in {town} was badly damaged",
                   "the rescue phase would end within {n2} days", "most of the collapsed buildings predated {year}"],
    "gas": ["flows through the {pipeline} pipeline had fallen by {pct} percent", "storage sites were only {pct} percent full",
            "the turbine was still being repaired in {cc}", "a new contract with {cc} was almost ready"],
    "outbreak": ["{n3} new cases were confirmed in {town} overnight", "hospitals in {place} were close to capacity",
                 "the first vaccine doses would arrive from {cc}", "the virus had reached {n2} districts"],
    "grain": ["{n3} ships were waiting to leave {port}", "wheat prices had climbed {pct} percent in a week",
              "the harvest in {place} was the worst since {year}", "inspections in the strait took up to {n2} days"],
    "drills": ["{n4} soldiers had been moved towards {place}", "warships had been spotted near {port}",
               "the exercises would last until {weekday}", "a drone had crossed the border near {town}"],
    "rates": ["inflation had reached {pct} percent in {month}", "the {currency} had lost {pct} percent since {month}",
              "the key rate could rise again in {month}", "mortgage lending had fallen by a third"],
    "migration": ["{n4} people had crossed near {town} since {month}", "the camp near {town} was four times over capacity",
                  "{n3} people were rescued off {place} overnight", "the readmission deal with {cb} had stalled"],
}

OUTLETS = [
    ("meridian", "Meridian Wire", "meridianwire.com"),
    ("caspian", "Caspian Herald", "caspianherald.net"),
    ("northline", "Northline News", "northline-news.org"),
    ("dispatch", "Global Dispatch Daily", "globaldispatch.co"),
    ("levant", "Levant Observer", "levantobserver.com"),
    ("baltic", "Baltic Monitor", "balticmonitor.eu"),
    ("sahel", "Sahel Times", "saheltimes.africa"),
    ("pacific", "Pacific Ledger", "pacificledger.com"),
    ("andes", "Andes Courier", "andescourier.news"),
    ("danube", "Danube Post", "danubepost.com"),
    ("horizon", "Horizon Press Agency", "horizonpress.info"),
    ("eastern", "Eastern Chronicle", "easternchronicle.org"),
]
BOILERPLATE = [
    "Follow {name} on Telegram and X for breaking news",
    "Contact the {name} newsroom: newsdesk@{domain}, +44 20 7946 {phone}",
    "© {year} {name}. All rights reserved. Reproduction only with an active hyperlink to {domain}",
    "Subscribe to the {name} morning briefing and never miss a story",
    "Share this article: Facebook | X | Telegram | WhatsApp | Email",
    "{name} is not responsible for the content of external websites",
    "Got a news tip? Write to tips@{domain} or call +1 202 555 {phone}",
    "Read more world news on {domain}/world",
    "Download the {name} app for iOS and Android",
    "This story was updated to include additional reporting",
    "Comments are moderated. Please read our community rules before posting",
    "{name} | Independent reporting since 19{phone2}",
    "Support independent journalism: become a {name} member today",
    "Join our WhatsApp channel for the latest headlines from {name}",
]

# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

_SLOT_RE = re.compile(r"\{(\w+)\}")


def _cap(s: str) -> str:
    for i, ch in enumerate(s):
        if ch.isalpha():
            return s[:i] + ch.upper() + s[i + 1 :]
    return s


def _fill(template: str, ents: dict, slots: dict, rng: random.Random, trace: list | None = None) -> str:
    """Replace {name} by a story entity, or by a random phrase of a slot (filled in turn); the slot
    phrases chosen are appended to ``trace`` as (slot, phrase)."""

    def repl(m: re.Match) -> str:
        key = m.group(1)
        if key in ents:
            return str(ents[key])
        if key in slots:
            choice = rng.choice(slots[key])
            if trace is not None:
                trace.append((key, choice))
            return _fill(choice, ents, slots, rng, trace)
        raise KeyError(key)

    return _SLOT_RE.sub(repl, template)


_MODALS = {"will", "would", "can", "cannot", "could", "must", "should", "may", "might", "shall"}
_SKIP_ADV = {"also", "still", "firmly", "strongly", "fully", "repeatedly", "now", "always", "never",
             "further", "likewise", "certainly", "probably"}
_IRREG = {"are": "is", "have": "has", "were": "was", "do": "does", "go": "goes", "am": "is"}


def _conj3(verb: str) -> str:
    if verb in _IRREG:
        return _IRREG[verb]
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if len(verb) > 1 and verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _third_person(text: str, subject: str) -> str:
    """First-person-plural institution speech -> reported speech with ``subject`` ('Moscow')."""
    words = text.split(" ")
    out: list[str] = []
    first = True
    i = 0
    while i < len(words):
        w = words[i]
        if w.lower() == "we":
            out.append(subject if first else "it")
            first = False
            j = i + 1
            while j < len(words) and words[j] in _SKIP_ADV:
                out.append(words[j])
                j += 1
            if j < len(words):
                v = words[j]
                core = v.rstrip(",;")
                tail = v[len(core):]
                out.append((core if core in _MODALS else _conj3(core)) + tail)
                j += 1
            i = j
            continue
        if w == "our":
            w = "its"
            if i + 1 < len(words) and words[i + 1].startswith("country"):
                w = "the"
        elif w.startswith("us") and w.rstrip(",;.") == "us":
            w = "it" + w[2:]
        out.append(w)
        i += 1
    return " ".join(out)


# --------------------------------------------------------------------------------------------
# Sentences with structure (so rewrites can reframe and reorder them)
# --------------------------------------------------------------------------------------------

DIRECT_FRAMES = [
    '"{C}," {full} said.',
    '"{C}," {surname} said in a statement on {weekday}.',
    '"{C}," the {role_l} stressed.',
    '{full} said on {weekday}: "{C}."',
    '"{C}," {pron} said, according to {agency}.',
    '"{C}," {surname} told reporters in {capital}.',
    'In a statement, {inst_full} said: "{C}."',
    '"{C}," {surname} added.',
]
INDIRECT_FRAMES = [
    "According to {full}, {R}.",
    "{full_cap} stressed that {R}.",
    "{inst_full_cap} said in a statement on {weekday} that {R}.",
    "{surname} said {R}, {agency} reported.",
    "As {full} put it, {R}.",
    "{surname} noted that {R}.",
]
FACT_FRAMES = ["{R}.", "{R}, according to {source}.", "According to {source}, {R}.",
               "{source_cap} reported that {R}.", "{R}, {source} said."]


class _Sent:
    """A structured sentence: content clauses + how it is framed."""

    __slots__ = ("kind", "clauses", "order", "frame", "speaker", "subject", "source")

    def __init__(self, kind, clauses, order, frame, speaker, subject, source):
        self.kind = kind  # "quote" | "fact"
        self.clauses = clauses  # list[str]; "^" prefix = movable adjunct
        self.order = order  # 0 = natural, 1 = first movable adjunct fronted
        self.frame = frame  # (family, index)
        self.speaker = speaker  # dict or None
        self.subject = subject  # reported-speech subject ("Moscow")
        self.source = source  # fact attribution source or None

    def copy(self) -> "_Sent":
        return _Sent(self.kind, list(self.clauses), self.order, self.frame, self.speaker, self.subject,
                     self.source)

    def content(self) -> str:
        cl = [c.lstrip("^") for c in self.clauses]
        movable = [i for i, c in enumerate(self.clauses) if c.startswith("^") and i > 0]
        if self.order == 1 and movable:
            k = movable[0]
            rest = [cl[i] for i in range(len(cl)) if i != k]
            return cl[k] + ", " + ", ".join(rest)
        return ", ".join(cl)

    def render(self, story: "_Story") -> str:
        content = self.content()
        family, idx = self.frame
        if self.kind == "fact":
            tmpl = FACT_FRAMES[idx]
            src = self.source or "local officials"
            text = tmpl.replace("{R}", _cap(content) if tmpl.startswith("{R}") else content)
            text = text.replace("{source_cap}", _cap(src)).replace("{source}", src)
            return _cap(text)
        sp = self.speaker
        vals = {
            "full": sp["full"], "full_cap": _cap(sp["full"]), "surname": sp["surname"],
            "role_l": sp["role_l"], "pron": sp["pron"], "inst_full": sp["inst_full"],
            "inst_full_cap": _cap(sp["inst_full"]), "weekday": story.ents["weekday"],
            "agency": story.ents["agency"], "capital": sp["capital"],
        }
        if family == "direct":
            tmpl = DIRECT_FRAMES[idx]
            body = _cap(content)
            text = tmpl.replace("{C}", body)
        else:
            tmpl = INDIRECT_FRAMES[idx]
            body = _third_person(content, self.subject)
            text = tmpl.replace("{R}", body)
        text = _SLOT_RE.sub(lambda m: vals[m.group(1)], text)
        return _cap(text)


class _Story:
    def __init__(self, idx: int, topic: dict, ents: dict, slots: dict, speakers: list[dict],
                 topic_words: list[str], usage: Counter | None = None):
        self.idx = idx
        self.usage = usage if usage is not None else Counter()  # shared by the stories of a corpus
        self.template_cap = TEMPLATE_CAP  # uses of a written-out template per corpus
        self.used_here: set = set()
        self.topic = topic
        self.ents = ents
        self.slots = slots
        self.speakers = speakers
        self.topic_words = topic_words


def _place_name(rng: random.Random, used: set[str]) -> str:
    while True:
        n = rng.choice(_ONSETS) + rng.choice(_MIDDLES) + rng.choice(_ENDINGS)
        if n not in used:
            used.add(n)
            return n


def _make_story(idx: int, rng: random.Random, used_names: set[str], used_people: set[str],
                usage: Counter) -> _Story:
    topic = TOPICS[(idx + rng.randrange(len(TOPICS))) % len(TOPICS)] if idx >= len(TOPICS) else TOPICS[idx]
    ca, cb, cc, cd = rng.sample(COUNTRIES, 4)
    place_n = _place_name(rng, used_names)
    town_n = _place_name(rng, used_names)
    port_n = _place_name(rng, used_names)
    place = rng.choice(PLACE_FORMS).replace("{N}", place_n)
    town = rng.choice(TOWN_FORMS).replace("{N}", town_n)
    org = rng.choice(topic["orgs"])

    def person(country, role_key):
        role, inst, gender = ROLES[role_key]
        if gender is None:
            gender = rng.choice("fm")
        for attempt in range(400):
            first = rng.choice(FIRST_F if gender == "f" else FIRST_M)
            sur = rng.choice(SURNAMES)
            # a surname once per corpus while they last, then a full name once per corpus
            if (sur not in used_people if attempt < 60 else f"{first} {sur}" not in used_people):
                break
        used_people.update((sur, f"{first} {sur}"))
        name = f"{first} {sur}"
        adj = country[2]
        inst_full = rng.choice([f"the {adj} {inst}", f"{_poss(country[0])} {inst}"])
        return {
            "name": name, "surname": sur, "role": role, "role_l": role.lower().split(" ")[-1]
            if role.lower().startswith(("foreign ministry", "army", "presidential")) else role.lower(),
            "full": f"{adj} {role} {name}", "pron": "she" if gender == "f" else "he",
            "inst_full": inst_full, "capital": country[1], "country": country,
            "subjects": [country[1], country[0], _INST_SUBJECT.get(inst, "the ministry")],
        }

    speaker = person(ca, rng.choice(topic["roles"]))
    p2 = person(cb, rng.choice(["fm", "pm", "pres_spox", "defence", "economy", "interior"]))
    ents = {
        "ca": _strip_the(ca[0], keep=True), "capital": ca[1], "ca_adj": ca[2],
        "cb": cb[0], "cb_capital": cb[1], "cb_adj": cb[2], "cc": cc[0], "cc_adj": cc[2], "city": cd[1],
        "currency": ca[3], "currency_cap": _cap(ca[3]),
        "place": place, "town": town, "port": port_n, "org": org, "org_cap": _cap(org),
        "weekday": rng.choice(WEEKDAYS), "month": rng.choice(MONTHS), "year": str(rng.randint(2009, 2020)),
        "agency": rng.choice(AGENCIES),
        "n1": str(rng.randint(11, 59)), "n2": str(rng.randint(2, 9)), "n3": str(rng.randint(120, 950)),
        "n4": f"{rng.randint(2, 40)},{rng.randint(0, 999):03d}", "pct": str(rng.randint(6, 38)),
        "bn": str(rng.randint(3, 90)), "hours": str(rng.randint(5, 14)),
        "mag": f"{rng.randint(5, 7)}.{rng.randint(1, 9)}", "km": str(rng.randint(8, 60)),
        "product": rng.choice(PRODUCTS), "disease": rng.choice(DISEASES),
        "pipeline": rng.choice(PIPELINE_NAMES), "countries_word": "countries",
        "surname": speaker["surname"], "p2_full": p2["full"], "p2_name": p2["name"],
        "p2_surname": p2["surname"], "place_n": place_n, "town_n": town_n,
    }
    ents["cb"] = _strip_the(cb[0], keep=True)
    ents["cc"] = _strip_the(cc[0], keep=True)
    ents["disease_cap"] = _cap(ents["disease"])
    slots = {k: v for k, v in GENERIC_SLOTS.items()}
    slots["claim"] = TOPIC_CLAIMS[topic["name"]]
    for key in ("event", "threat", "issue", "goal", "demand", "consequence", "activity", "risk",
                "conflict", "humanitarian"):
        slots[key] = topic[key]
    ents_ev = dict(ents)
    ents["event_cap"] = _cap(_fill(topic["event"][0], ents_ev, slots, rng))
    speakers = [speaker, p2]
    topic_words = [speaker["surname"], p2["surname"], place_n, town_n, port_n, ca[1], cb[1], cd[1],
                   _strip_the(ca[0]), _strip_the(cb[0]), _strip_the(cc[0]), ca[2], cb[2], cc[2], ca[3], org,
                   ents["product"], ents["disease"], ents["pipeline"]] + topic["keywords"]
    return _Story(idx, topic, ents, slots, speakers, topic_words, usage)


_INST_SUBJECT = {"General Staff": "the military", "government": "the government",
                 "presidential office": "the presidency", "central bank": "the central bank"}


def _strip_the(name: str, keep: bool = False) -> str:
    return name if keep or not name.startswith("the ") else name[4:]


def _poss(name: str) -> str:
    return (name + "'") if name.endswith("s") else (name + "'s")


_ATTRIB_RE = re.compile(r"\b(said|told|according to|reported)\b")


def _self_attributed(clauses: list[str]) -> bool:
    return any(_ATTRIB_RE.search(c) for c in clauses)


def _new_sentence(story: _Story, rng: random.Random, prefer: str | None = None,
                  speaker: dict | None = None, key: list | None = None) -> _Sent:
    """A new sentence of ``story``. ``key`` (a list) receives what the sentence says, independent of
    the story's entities and of synonyms: the written-out template, or the stance, object and slot
    phrases of a composed quote, or the verb phrase and slot phrases of a composed fact."""
    trace: list = []
    kind = prefer or ("quote" if rng.random() < 0.55 else "fact")
    if kind == "quote":
        if speaker is not None:
            sp = speaker
        else:
            sp = story.speakers[0] if rng.random() < 0.75 else story.speakers[1]
        ents = dict(story.ents)
        if sp is story.speakers[1]:  # the other side speaking: swap the countries
            ents.update(cb=story.ents["ca"], cb_capital=story.ents["capital"], cb_adj=story.ents["ca_adj"])
        tmpl = _pick_template(story, rng, "q", QUOTES) if rng.random() < 0.35 else None
        what: tuple = ("template", tuple(tmpl or ()))
        if tmpl is None:  # composed: stance + object [+ adjunct]
            stance, pol = rng.choice(STANCES)
            obj = rng.choice([o for o, op in OBJECTS if "0" in (pol, op) or op == pol])
            tmpl = [stance + " " + obj]
            what = ("quote", stance, obj)
            if rng.random() < 0.85:
                tmpl.append(rng.choice(ADJUNCTS))
        clauses = [_vary(_fill(c, ents, story.slots, rng, trace if n == 0 else None), rng) for n, c in enumerate(tmpl)]
        if key is not None:
            key.append(what + tuple(trace))
        family = "direct" if rng.random() < 0.6 else "indirect"
        idx = rng.randrange(len(DIRECT_FRAMES if family == "direct" else INDIRECT_FRAMES))
        return _Sent("quote", clauses, rng.choice([0, 0, 1]), (family, idx), sp, rng.choice(sp["subjects"]), None)
    r = rng.random()
    tmpl = None
    if r < 0.3:
        tmpl = _pick_template(story, rng, "t" + story.topic["name"], story.topic["facts"])
    elif r < 0.45:
        tmpl = _pick_template(story, rng, "f", FACTS)
    what = ("template", tuple(tmpl or ()))
    if tmpl is None:  # composed: subject + verb phrase [+ tail]
        subject, verb = rng.choice(FACT_SUBJECTS), rng.choice(FACT_VERBS)
        tmpl = [subject + " " + verb]
        what = ("fact", verb)
        if rng.random() < 0.6:
            tmpl.append(rng.choice(FACT_TAILS))
    clauses = [_vary(_fill(c, story.ents, story.slots, rng, trace if n == 0 else None), rng)
               for n, c in enumerate(tmpl)]
    if key is not None:
        key.append(what + tuple(trace))
    src = _fill(rng.choice(SOURCES), story.ents, story.slots, rng)
    idx = 0 if _self_attributed(clauses) else rng.choice([0, 0, 1, 2, 3, 4])
    return _Sent("fact", clauses, rng.choice([0, 0, 1]), ("fact", idx), None, None, src)


TEMPLATE_CAP = 2  # a written-out template is used this often in a corpus at most (once a story; natural: once)


def _pick_template(story: _Story, rng: random.Random, family: str, pool: list[list[str]]) -> list[str] | None:
    free = [i for i in range(len(pool)) if story.usage[(family, i)] < story.template_cap
            and (family, i) not in story.used_here]
    if not free:
        return None
    i = rng.choice(free)
    story.usage[(family, i)] += 1
    story.used_here.add((family, i))
    return pool[i]


def _vary(text: str, rng: random.Random) -> str:
    """Originals too pick among synonyms, so two stories never share a template's exact wording."""
    return _synonymise(text, 0.3, rng)


# --------------------------------------------------------------------------------------------
# Rewrites and partial copies
# --------------------------------------------------------------------------------------------


def _synonymise(text: str, p: float, rng: random.Random) -> str:
    def repl(m: re.Match) -> str:
        phrase = m.group(1)
        if rng.random() >= p:
            return phrase
        alts = [a for a in _SYN_LOOKUP[phrase] if a != phrase]
        return rng.choice(alts)

    return _SYN_RE.sub(repl, text)


_THE_RE = re.compile(r"(?<![\w-])the ([a-z][\w-]*)")
_HEDGES = [
    (re.compile(r"(?<![\w-])(should|must|will|would|could) (be|become)(?![\w-])"), r"\1 probably \2"),
    (re.compile(r"(?<![\w-])we (support|call|are|have|welcome|expect|see|regret|intend)(?![\w-])"), r"we also \1"),
    (re.compile(r"(?<![\w-])is confirmed, "), "is confirmed, then "),
    (re.compile(r"(?<![\w-])(has|have) been(?![\w-])"), r"\1 in fact been"),
    (re.compile(r"(?<![\w-])(also|probably|then|in fact) "), ""),
]


def _determiners(text: str, p: float, rng: random.Random) -> str:
    def repl(m: re.Match) -> str:
        word = m.group(1)
        if rng.random() >= p:
            return m.group(0)
        if (word.endswith("s") and not word.endswith("ss")) or rng.random() < 0.6:
            return word  # drop the article, as translations from article-less languages do
        return "this " + word

    return _THE_RE.sub(repl, text)


def _rewrite(sent: _Sent, rng: random.Random, strength: float) -> _Sent:
    new = sent.copy()
    p_syn = min(0.98, 0.3 + 0.7 * strength * rng.uniform(0.6, 1.2))
    p_det = 0.4 * strength
    clauses = []
    for c in new.clauses:
        mark = "^" if c.startswith("^") else ""
        body = c.lstrip("^")
        body = _synonymise(body, p_syn, rng)
        body = _determiners(body, p_det, rng)
        if rng.random() < 0.5 * strength:
            pat, rep = rng.choice(_HEDGES)
            body = pat.sub(rep, body, count=1)
        clauses.append(mark + body)
    new.clauses = clauses
    if rng.random() < 0.6:
        new.order = 1 - new.order
    if new.kind == "quote":
        if rng.random() < 0.9:
            family = rng.choice(["direct", "indirect"])
            n = len(DIRECT_FRAMES if family == "direct" else INDIRECT_FRAMES)
            idx = rng.randrange(n)
            if (family, idx) == new.frame:
                idx = (idx + 1) % n
            new.frame = (family, idx)
        new.subject = rng.choice(new.speaker["subjects"])
    else:
        if rng.random() < 0.8 and not _self_attributed(new.clauses):
            idx = rng.randrange(len(FACT_FRAMES))
            if ("fact", idx) == new.frame:
                idx = (idx + 1) % len(FACT_FRAMES)
            new.frame = ("fact", idx)
    return new


_PARTIAL_EXTRAS = [
    "{surname} added", "{agency} reported", "the statement said", "citing a source in {cb_capital}",
    "amid growing concern over the situation", "a day after the events in {town}",
    "in comments carried by {agency}", "as the crisis entered its second week",
    "in a move likely to anger {cb_capital}", "the report said",
]
_PARTIAL_PREFIXES = ["Meanwhile, ", "On {weekday}, ", "Separately, ", "As reported earlier, ",
                     "Earlier, ", "In {capital}, "]


def _close_quotes(text: str) -> str:
    return text + '"' if text.count('"') % 2 else text


def _partial(text: str, story: _Story, rng: random.Random) -> str | None:
    """A partial copy for difficulty="banded" (the caller resamples it into its band); the natural
    difficulty edits with ``_reduce``, ``_split`` and ``_add`` instead."""
    L = len(text)
    op = rng.choice(["cut_tail", "cut_tail", "cut_head", "add_tail", "add_head"])
    if op == "cut_tail":
        cuts = [m.start() for m in re.finditer(r", | and | but | which | where | when ", text)
                if 0.5 * L <= m.start() <= 0.85 * L]
        if not cuts:
            return None
        pos = rng.choice(cuts)
        body = text[:pos].rstrip(' ,"')
        return _close_quotes(body + ".")
    if op == "cut_head":
        cuts = [m.end() for m in re.finditer(r", (?!(?:where|which|and|but|who|when|as|while|if) )", text)
                if 0.12 * L <= m.start() <= 0.45 * L]
        if not cuts:
            return None
        pos = rng.choice(cuts)
        body = _cap(text[pos:].lstrip(' "'))
        if body.count('"') % 2:
            body = '"' + body
        return body
    return _addition(op, text, story, rng, _BANDED_STARTS)


# first words lowered when something is put in front of a sentence (banded; natural: a few more)
_BANDED_STARTS = frozenset(("The", "A", "An", "It", "Our", "If", "In", "According", "As", "There", "Any", "These"))
_FUNCTION_STARTS = _BANDED_STARTS | {"This", "On", "Meanwhile", "Earlier", "Separately"}


def _addition(op: str, text: str, story: "_Story", rng: random.Random,
              starts: frozenset = _FUNCTION_STARTS) -> str | None:
    """``text`` with a clause added at its end (add_tail) or a lead-in at its start (add_head)."""
    if op == "add_tail":
        extra = _fill(rng.choice(_PARTIAL_EXTRAS), story.ents, story.slots, rng)
        if text.endswith('."'):
            return text[:-2] + '," ' + extra + "."
        if text.endswith("."):
            return text[:-1] + ", " + extra + "."
        return None
    if text.startswith('"'):
        return None
    prefix = _fill(rng.choice(_PARTIAL_PREFIXES), story.ents, story.slots, rng)
    first = text.split(" ", 1)[0]
    return prefix + (text[0].lower() + text[1:] if first in starts else text)



# --------------------------------------------------------------------------------------------
# "natural" difficulty: translation-like variation, and the edits of partial copies, splits and merges
# --------------------------------------------------------------------------------------------

# Paraphrases a translator might choose that the synonym table above does not cover: stances,
# reporting verbs, frame words, units. Applied to the rendered sentence; matched case-sensitively
# on lowercase phrases (so "New Delhi" is never "fresh Delhi"), and capitalised at the start of
# the sentence or of a quote. Every phrase is in one group only.
NATURAL_PARAPHRASES: list[tuple[str, ...]] = [
    ("we strongly condemn", "we resolutely denounce", "we firmly condemn"),
    ("we will not accept", "we shall not tolerate", "we will never agree to"),
    ("we categorically reject", "we flatly reject", "we completely reject"),
    ("we are closely following", "we are closely monitoring", "we keep a close eye on"),
    ("we deeply regret", "we very much regret", "we sincerely regret"),
    ("we attach great importance to", "we place great value on", "we consider highly important"),
    ("we cannot ignore", "we cannot overlook", "we cannot disregard"),
    ("we have taken note of", "we have noted", "we took note of"),
    ("we insist on", "we press for", "we stand firm on"),
    ("we call for", "we ask for", "we appeal for"),
    ("we see no alternative to", "we believe there is no alternative to", "in our view there is no substitute for"),
    ("we are carefully studying", "we are examining in detail", "we are taking a close look at"),
    ("we firmly oppose", "we are firmly against", "we strongly object to"),
    ("we do not intend to tolerate", "we have no intention of tolerating", "we will not put up with"),
    ("we fully back", "we wholeheartedly support", "we give our full backing to"),
    ("we have always advocated", "we have consistently called for", "we have always stood for"),
    ("we are prepared to contribute to", "we stand ready to help with", "we are willing to assist in"),
    ("we are disappointed by", "we are dismayed by", "we are let down by"),
    ("we are encouraged by", "we take heart from", "we are heartened by"),
    ("has never supported", "has never backed", "has at no time endorsed"),
    ("expressed concern over", "voiced concern about", "said it was worried about"),
    ("declined to comment on", "refused to comment on", "would not comment on"),
    ("questioned the official account of", "cast doubt on the official version of", "disputed the official version of"),
    ("played down fears of", "sought to allay fears of", "downplayed fears of"),
    ("described", "characterised", "portrayed"),
    ("welcomed the prospect of", "hailed the prospect of", "greeted the prospect of"),
    ("discussed", "talked over", "debated"),
    ("told reporters", "told journalists", "said to the press"),
    ("in a statement", "in a communique", "in an official statement"),
    ("said", "stated", "noted"),
    ("according to", "citing", "as reported by"),
    ("percent", "per cent"),
    ("billion dollars", "billion US dollars", "bn dollars"),
    ("people", "persons", "individuals"),
    ("children", "minors"),
    ("near", "close to", "in the vicinity of"),
    ("after", "following"),
    ("new", "fresh"),
    ("must", "should", "ought to"),
    ("later this month", "before the end of the month", "in the second half of the month"),
    ("next week", "during the coming week", "in seven days"),
    # reported facts
    ("put pressure on", "exert pressure on", "lean on"),
    ("its neighbours", "neighbouring countries", "the states next door"),
    ("earthquake", "quake", "tremor"),
    ("struck", "hit", "jolted"),
    ("kilometres", "km"),
    ("harvested", "gathered", "brought in"),
    ("million tonnes", "mln tons", "million metric tons"),
    ("last season", "in the previous season", "a season ago"),
    ("signed", "inked"),
    ("has never been fully implemented", "has never been fully applied", "was never fully put into practice"),
    ("welcomed", "praised", "applauded"),
    ("opposition lawmakers", "opposition MPs", "opposition deputies"),
    ("state television", "state TV", "the state broadcaster"),
    ("vaccine doses", "batches of vaccine", "shots"),
    ("key rate", "benchmark rate", "policy rate"),
    ("raised", "hiked", "increased"),
    ("since the beginning of the year", "since January", "so far this year"),
    ("lost about", "shed around", "fell by roughly"),
    ("against the dollar", "versus the dollar", "to the greenback"),
    ("militant cells", "cells of militants", "militant groups"),
    ("remaining", "surviving", "last"),
    ("spreading disinformation about", "disseminating false information about", "spreading fake news about"),
    ("amid growing anger in", "as anger mounted in", "amid rising fury in"),
    ("overnight", "night-time", "nocturnal"),
    ("monitors", "observers", "inspectors"),
    ("contact line", "line of contact", "front line"),
    ("rescue work", "rescue operations", "rescue efforts"),
    ("slow pace", "sluggish pace", "slowness"),
    ("restoring", "reinstating", "bringing back"),
    ("electricity", "power", "electric power"),
    ("local media", "local press", "local outlets"),
    ("witnesses", "eyewitnesses", "onlookers"),
    ("residents", "locals", "inhabitants"),
    ("ships", "vessels"),
    ("soldiers", "troops on the ground", "military personnel"),
    ("prices", "costs"),
    ("hospitals", "medical facilities", "clinics"),
    ("cases", "infections"),
    ("exports", "shipments abroad", "overseas sales"),
    ("the border", "the frontier line", "the boundary"),
    ("pipeline", "gas link", "conduit"),
    ("talks", "discussions"),
]
_PARA_LOOKUP: dict[str, tuple[str, ...]] = {}
for _group in NATURAL_PARAPHRASES:
    for _phrase in _group:
        if _phrase in _PARA_LOOKUP:
            raise AssertionError(f"paraphrase {_phrase!r} in two groups")
        _PARA_LOOKUP[_phrase] = _group
_PARA_ALT = "|".join(re.escape(p) for p in sorted(_PARA_LOOKUP, key=len, reverse=True))
_PARA_RE = re.compile(r"(?<![\w-])(" + _PARA_ALT + r")(?![\w-])")
_PARA_START_RE = re.compile(r'(?:^|(?<=")|(?<=: ))(' + "|".join(
    re.escape(_cap(p)) for p in sorted(_PARA_LOOKUP, key=len, reverse=True)) + r")(?![\w-])")


def _paraphrase(text: str, p: float, rng: random.Random) -> str:
    def pick(phrase: str) -> str:
        if rng.random() >= p:
            return phrase
        return rng.choice([a for a in _PARA_LOOKUP[phrase] if a != phrase])

    text = _PARA_RE.sub(lambda m: pick(m.group(1)), text)
    return _PARA_START_RE.sub(lambda m: _cap(pick(m.group(1)[0].lower() + m.group(1)[1:])), text)


# Transliteration variants of names (Zakharova / Sakharova / Zaharova), the main reason two
# translations of one statement share fewer character n-grams than their wording suggests.
_TRANSLIT = [("kh", "h"), ("kh", "ch"), ("sh", "sch"), ("ch", "tch"), ("zh", "j"), ("ts", "tz"), ("y", "i"),
             ("j", "y"), ("w", "v"), ("v", "w"), ("ou", "u"), ("u", "ou"), ("c", "k"), ("k", "c"), ("x", "ks"),
             ("ph", "f"), ("ee", "i"), ("ai", "ay"), ("ei", "ey"), ("ia", "iya"), ("ie", "ye"), ("ya", "ia"),
             ("yu", "iu"), ("z", "s"), ("s", "z"), ("ll", "l"), ("ov", "off"), ("ev", "yev"), ("i", "y")]


def _translit(name: str, rng: random.Random, n_rules: int) -> str:
    low = name.lower()
    rules = [r for r in _TRANSLIT if r[0] in low]
    rng.shuffle(rules)
    out = low
    for src, dst in rules[: max(1, n_rules)]:
        # change one or two occurrences, not the first letter when the rule is a vowel change
        positions = [m.start() for m in re.finditer(re.escape(src), out)]
        if not positions:
            continue
        for pos in rng.sample(positions, min(len(positions), rng.choice([1, 2]))):
            if out[pos : pos + len(src)] == src:
                out = out[:pos] + dst + out[pos + len(src) :]
    words = re.split(r"([ -])", out)
    orig_words = re.split(r"([ -])", name)
    if len(words) == len(orig_words):
        words = [w[:1].upper() + w[1:] if o[:1].isupper() else w for w, o in zip(words, orig_words)]
    else:
        words = [w[:1].upper() + w[1:] for w in words]
    return "".join(words)


# Other renderings of organisation names (abbreviated, spelled out, described).
ORG_VARIANTS: dict[str, list[str]] = {
    "NATO": ["the North Atlantic Alliance", "the Alliance", "the North Atlantic Treaty Organization"],
    "OPEC": ["the Organization of the Petroleum Exporting Countries", "the oil cartel"],
    "UNICEF": ["the UN Children's Fund", "the United Nations children's agency"],
    "the Africa Centres for Disease Control": ["Africa CDC", "the African disease control agency"],
    "the African Union": ["the AU", "the pan-African bloc"],
    "the Bank for International Settlements": ["the BIS", "the central banks' bank in Basel"],
    "the Collective Security Treaty Organization": ["the CSTO", "the Moscow-led security bloc"],
    "the European Commission": ["the EU executive", "Brussels"],
    "the European Union": ["the EU", "the European bloc", "the 27-nation bloc"],
    "the Food and Agriculture Organization": ["the FAO", "the UN food agency"],
    "the G20": ["the Group of Twenty", "the G-20 club"],
    "the International Energy Agency": ["the IEA", "the Paris-based energy watchdog"],
    "the International Monetary Fund": ["the IMF", "the Fund"],
    "the International Organization for Migration": ["the IOM", "the UN migration agency"],
    "the OSCE": ["the Organization for Security and Cooperation in Europe", "the Vienna-based security body"],
    "the Red Cross": ["the ICRC", "the International Committee of the Red Cross"],
    "the UN Security Council": ["the Security Council of the United Nations", "the UNSC"],
    "the UN refugee agency": ["UNHCR", "the Office of the UN High Commissioner for Refugees"],
    "the US-led international coalition": ["the coalition led by Washington", "the American-led alliance"],
    "the World Bank": ["the Washington-based lender", "the International Bank for Reconstruction and Development"],
    "the World Food Programme": ["the WFP", "the UN food relief agency"],
    "the World Health Organization": ["the WHO", "the UN health agency"],
    "the World Trade Organization": ["the WTO", "the Geneva-based trade body"],
}


def _role_variants(sp: dict) -> list[str]:
    """Other renderings of a speaker's title, as different translations give them."""
    role, (country, _cap_city, adj, _cur) = sp["role"], sp["country"]
    of = _poss(_strip_the(country))
    if role.startswith("Foreign Ministry spokes"):
        head = role.rsplit(" ", 1)[-1]
        return [f"official representative of the {adj} Foreign Ministry",
                f"{head} for the {adj} Ministry of Foreign Affairs", f"{adj} diplomatic {head}"]
    if role == "Foreign Minister":
        return [f"{adj} Minister of Foreign Affairs", f"head of {of} diplomacy", f"{adj} top diplomat"]
    if role == "Prime Minister":
        return [f"{adj} Premier", f"head of the {adj} government", f"{of} head of government"]
    if role == "presidential spokesperson":
        return [f"spokesperson for the {adj} president", f"{adj} presidential press secretary",
                f"press secretary of {of} president"]
    if role == "central bank governor":
        return [f"head of the {adj} central bank", f"chair of {of} central bank", f"{adj} chief central banker"]
    if role == "army spokesperson":
        return [f"spokesperson for the {adj} armed forces", f"{adj} military spokesperson",
                f"{adj} General Staff spokesperson"]
    if role.endswith(" Minister"):
        field = role[: -len(" Minister")]
        return [f"{adj} Minister of {field}", f"head of the {adj} {field} Ministry", f"{of} {field.lower()} minister"]
    return [f"{adj} {role}"]


_PLACE_VARIANTS = [
    (re.compile(r"^(?:the )?(\w+) (province|region|district|governorate|valley)$"),
     ["the {t} of {N}", "{N} {t}", "the {N} {t}"]),
    (re.compile(r"^the (town|village|port city) of (\w+)$"), ["{N}", "the {t} {N}", "{N} {t}"]),
]


def _place_variant(form: str, rng: random.Random) -> str:
    for pat, alts in _PLACE_VARIANTS:
        m = pat.match(form)
        if m:
            groups = m.groups()
            name, kind = (groups[0], groups[1]) if pat is _PLACE_VARIANTS[0][0] else (groups[1], groups[0])
            options = [a.replace("{N}", name).replace("{t}", kind) for a in alts]
            options = [o for o in options if o != form]
            return rng.choice(options) if options else form
    return form


def _story_names(story: _Story) -> list[str]:
    names = []
    for sp in story.speakers:
        names += sp["name"].split(" ", 1)
    e = story.ents
    names += [e["place_n"], e["town_n"], e["port"]]  # invented places; real capitals keep their spelling
    return sorted(set(n for n in names if len(n) >= 3), key=lambda n: (-len(n), n))


def _natural_variant(sent: _Sent, story: _Story, rng: random.Random, strength: float,
                     heavy: float) -> tuple[_Sent, str]:
    """A translation-like variant: ``_rewrite`` at ``strength`` and, with intensity ``heavy`` (0-1),
    paraphrased stances and reporting verbs, another rendering of the speaker's title,
    transliterated names and a dropped adjunct clause. Returns the structure and the text."""
    new = _rewrite(sent, rng, strength)
    if heavy > 0 and len(new.clauses) > 1 and rng.random() < 0.5 * heavy:
        # a translator condenses: an adjunct clause (at most 40 % of the content) goes
        drop = rng.randrange(1, len(new.clauses))
        if len(new.clauses[drop]) <= 0.4 * sum(len(c) for c in new.clauses):
            new.clauses = [c for i, c in enumerate(new.clauses) if i != drop]
    text = new.render(story)
    if heavy <= 0:
        return new, text
    text = _paraphrase(text, min(0.95, 0.25 + 0.7 * heavy), rng)
    sp = new.speaker
    if sp is not None and sp["full"] in text and rng.random() < 0.3 + 0.6 * heavy:
        full = f"{rng.choice(_role_variants(sp))} {sp['name']}"
        text = text.replace(sp["full"], full)
        if text.startswith(full):
            text = _cap(text)
    for key in ("place", "town"):
        form = story.ents[key]
        if form in text and rng.random() < 0.2 + 0.6 * heavy:
            text = text.replace(form, _place_variant(form, rng))
    org = story.ents["org"]
    for form in (org, _cap(org)):
        if form in text and rng.random() < 0.2 + 0.7 * heavy:
            alt = rng.choice(ORG_VARIANTS.get(org, [org]))
            text = text.replace(form, _cap(alt) if form != org else alt)
    for name in _story_names(story):
        if name in text and rng.random() < 0.2 + 0.7 * heavy:
            variant = _translit(name, rng, 1 + int(2 * heavy * rng.random()))
            text = re.sub(r"(?<![\w-])" + re.escape(name) + r"(?![\w-])", variant, text)
    return new, text


def _words(text: str) -> int:
    return len(normalise(text).split())


def _draw(rng: random.Random, options) -> object:
    """One of ``options`` ((value, weight), ...) by weight."""
    values, weights = zip(*options)
    return rng.choices(values, weights=weights)[0]


def _close(body: str) -> str:
    """``body`` as a sentence: a full stop, and a closing quote when a quote is open."""
    body = body.rstrip(' ,;:"')
    return body + ('."' if body.count('"') % 2 else ".")


_CUT_TAIL_RE = re.compile(r", | and | but | which | where | when | while | after | because ")
_CUT_HEAD_RE = re.compile(r", (?!(?:where|which|and|but|who|when|as|while|if) )")


_REDUCTIONS = ("cut_tail", "cut_head", "trim")
_ADJUNCT_RE = re.compile(r", (?:in|on|at|after|amid|despite|according to|citing|including|for|since|with|without|"
                         r"together with|given|when|while|mostly|mainly|especially|even|as well as|ahead of) ")


def _reduction_options(op: str, text: str) -> list[str]:
    """Every way ``op`` can shorten ``text``: a clause cut at any clause boundary, or an inner
    comma-delimited clause trimmed, removing at most CUT_MAX_SHARE of the words (what is kept is
    the larger part: a partial copy, not a fragment) and keeping MIN_WORDS."""
    n = _words(text)
    out: list[str] = []

    def fits(kept: str, removed: str) -> bool:
        return _words(kept) >= MIN_WORDS and 2 <= _words(removed) <= CUT_MAX_SHARE * n

    if op == "cut_tail":
        for m in _CUT_TAIL_RE.finditer(text):
            if fits(text[: m.start()], text[m.start():]):
                out.append(_close(text[: m.start()]))
    elif op == "cut_head":
        for m in _CUT_HEAD_RE.finditer(text):
            kept = text[m.end():].lstrip(' "')
            if fits(kept, text[: m.end()]):
                body = _cap(kept)
                out.append('"' + body if body.count('"') % 2 else body)
    elif op == "trim":  # an adjunct between two commas ("..., in close coordination with X, ...")
        commas = [m.start() for m in re.finditer(", ", text)]
        for a, b in zip(commas, commas[1:]):
            if (_ADJUNCT_RE.match(text, a) and '"' not in text[a:b]
                    and fits(text[:a] + text[b:], text[a:b])):
                out.append(text[:a] + text[b:])
    return out


def _draw_edits(rng: random.Random, n: int) -> list[str]:
    return [_draw(rng, NAT_EDITS) for _ in range(n)]


def _reduce(text: str, edits: list[str], rng: random.Random) -> tuple[str, list[str]]:
    """Apply the reductions among ``edits`` in turn, each at a position drawn uniformly from where
    it can apply (one that cannot is replaced by another reduction that can, or dropped)."""
    done: list[str] = []
    for op in edits:
        if op not in _REDUCTIONS:
            continue
        for alt in [op] + [r for r in _REDUCTIONS if r != op]:
            options = _reduction_options(alt, text)
            if options:
                text = rng.choice(options)
                done.append(alt)
                break
    return text, done


def _add(pieces: list[str], edits: list[str], story: "_Story", rng: random.Random) -> tuple[list[str], list[str]]:
    """Apply the additions among ``edits``: a lead-in to the first piece, a tail to the last (the
    other one when the drawn one cannot apply)."""
    done: list[str] = []
    for op in edits:
        if op in _REDUCTIONS:
            continue
        for alt in (op, "add_head" if op == "add_tail" else "add_tail"):
            k = 0 if alt == "add_head" else len(pieces) - 1
            out = _addition(alt, pieces[k], story, rng)
            if out is not None:
                pieces = pieces[:k] + [out] + pieces[k + 1:]
                done.append(alt)
                break
    return pieces, done


_SPLIT_RE = re.compile(r", (?=(?:and|but|while|which|whereas|adding|saying) )|; ")


def _split(text: str, rng: random.Random) -> tuple[str, str] | None:
    """``text`` as two sentences, at a boundary between coordinated clauses (", and", ", which",
    "; " ...) drawn uniformly from those that leave MIN_WORDS words a side (None when there is none)."""
    cuts = [m for m in _SPLIT_RE.finditer(text)
            if _words(text[: m.start()]) >= MIN_WORDS and _words(text[m.end():]) >= MIN_WORDS]
    if not cuts:
        return None
    m = rng.choice(cuts)
    first = _close(text[: m.start()])
    rest = text[m.end():].lstrip()
    low = rest.lower()
    if low.startswith(("and ", "but ")) and rng.random() < 0.5:
        rest = rest.split(" ", 1)[1]
    elif low.startswith("which "):
        rest = "This " + rest[len("which "):]
    elif low.startswith(("adding ", "saying ")):
        rest = "It " + ("added " if low.startswith("adding ") else "said ") + rest.split(" ", 1)[1]
    second = _cap(rest)
    if second.count('"') % 2:
        second = '"' + second
    return first, second


_MERGE_JOINS = ((", and ", 3.0), ("; ", 2.0), (", while ", 1.0), (" - ", 1.0))


def _merge(first: str, second: str, rng: random.Random) -> str:
    """Two sentences joined into one, as an editor condensing copy does."""
    if first.endswith('."'):
        head = first[:-2] + '"'
    else:
        head = first[:-1] if first.endswith(".") else first
    word = second.split(" ", 1)[0]
    tail = second[0].lower() + second[1:] if word in _FUNCTION_STARTS else second
    return head + _draw(rng, _MERGE_JOINS) + tail


def _natural_rewrite(sent: "_Sent", story: "_Story", rng: random.Random) -> tuple["_Sent", str]:
    """A translation variant of ``sent``: the translator's freedom f ~ Beta(NAT_FREEDOM) sets how
    often words are swapped for synonyms (_rewrite's strength) and how often stances, titles,
    names and organisations are rendered otherwise (_natural_variant's heavy); drawn once."""
    f = rng.betavariate(*NAT_FREEDOM)
    strength = 0.3 + 1.2 * f + rng.uniform(0, 0.3)
    heavy = max(0.0, min(1.0, 1.3 * f - 0.15 + rng.uniform(-0.15, 0.15)))
    return _natural_variant(sent, story, rng, strength=strength, heavy=heavy)


# --------------------------------------------------------------------------------------------
# Similarity registry: Jaccard/containment of a candidate against every sentence in the corpus
# --------------------------------------------------------------------------------------------


class _Registry:
    DF_CAP = 150  # grams in more sentences than this are too common to find candidates by

    def __init__(self) -> None:
        self.grams: list[frozenset] = []
        self.owner: list[str] = []
        self.index: dict[str, list[int]] = defaultdict(list)

    def add(self, grams: frozenset, owner: str) -> None:
        i = len(self.grams)
        self.grams.append(grams)
        self.owner.append(owner)
        for g in grams:
            self.index[g].append(i)

    def worst(self, grams: frozenset, exclude: str | None = None,
              exclude_prefixes: tuple[str, ...] = ()) -> tuple[float, float]:
        """Highest Jaccard and containment against any registered sentence not owned by ``exclude``
        (nor by an owner starting with one of ``exclude_prefixes``)."""
        idx = self.index
        cap = self.DF_CAP
        counts = Counter(chain.from_iterable(idx[g] for g in grams if g in idx and len(idx[g]) <= cap))
        need = max(6, int(0.08 * len(grams)))
        best_j = best_c = 0.0
        for i, n in counts.most_common():
            if n < need:
                break
            if self.owner[i] == exclude or (exclude_prefixes and self.owner[i].startswith(exclude_prefixes)):
                continue
            other = self.grams[i]
            inter = len(grams & other)
            j = inter / (len(grams) + len(other) - inter)
            c = inter / min(len(grams), len(other))
            best_j = max(best_j, j)
            best_c = max(best_c, c)
        return best_j, best_c


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


class _Member:
    __slots__ = ("article", "text", "grams", "sent", "parent", "op", "ops")

    def __init__(self, article, text, grams, sent, parent, op, ops=None):
        self.article = article  # index of the article in the story
        self.text = text
        self.grams = grams
        self.sent = sent  # _Sent or None (edited copies have no structure)
        self.parent = parent  # index in the statement's members, or None for the root
        self.op = op  # "root" | "exact" | "partial" | "rewrite"
        # the edits that made it from its parent: "rewrite", "cut_tail", "split", "merge", ...
        self.ops = tuple(ops) if ops is not None else ((op,) if op in ("partial", "rewrite") else ())


def _path_ops(members: list[_Member], i: int, j: int) -> list[str]:
    """The edits between members ``i`` and ``j``: those on the way from either up to their common ancestor."""

    def path(k):
        out = []
        while k is not None:
            out.append(k)
            k = members[k].parent
        return out

    pi, pj = path(i), path(j)
    common = set(pi) & set(pj)
    return [op for k in pi + pj if k not in common for op in members[k].ops]


def _pair_kind(members: list[_Member], i: int, j: int) -> str:
    if members[i].text == members[j].text:
        return "exact"
    ops = _path_ops(members, i, j)
    return "rewrite" if "rewrite" in ops else "partial" if ops else "exact"


def _outlet_profiles(n: int, rng: random.Random) -> list[dict]:
    base = list(OUTLETS)
    while len(base) < n:
        k = len(base)
        base.append((f"outlet{k}", f"Outlet {k} News", f"outlet{k}.example"))
    chosen = base[:n]
    bp_order = list(range(len(BOILERPLATE)))
    rng.shuffle(bp_order)
    profiles = []
    for i, (key, name, domain) in enumerate(chosen):
        k = 2 + (i % 2)
        lines_idx = [bp_order[(2 * i + j) % len(bp_order)] for j in range(k)]
        vals = {"name": name, "domain": domain, "phone": f"{rng.randint(0, 9999):04d}",
                "phone2": f"{rng.randint(50, 99)}", "year": str(2022)}
        lines = [_SLOT_RE.sub(lambda m: vals[m.group(1)], BOILERPLATE[t]) for t in lines_idx]
        profiles.append({
            "key": key, "name": name, "domain": domain,
            "top": lines[0] if i % 3 == 0 else None,
            "bottom": lines[1:] if i % 3 == 0 else lines,
            "repeat_title": i % 2 == 1,
            "dateline": i % 4 == 2,
        })
    return profiles


def _slug(title: str) -> str:
    return "-".join(normalise(title).split()[:8])


def generate(n_stories: int = 40, seed: int = 1, outlets: int = 8, dated: bool = True,
             difficulty: str = DEFAULT_DIFFICULTY) -> tuple[list[dict], dict]:
    """Generate ``n_stories`` stories of 2-5 articles each, with planted reuse. Returns (records, gold).

    records: ``{id, outlet, url, published, title, text}``; text = paragraphs joined by a blank line.
    gold: ``pairs`` (every two members of a statement in different articles: ``a``, ``a_span``,
    ``b``, ``b_span``, ``kind`` exact|partial|rewrite by how one was made from the other, ``ops``
    the edits between them, measured ``jaccard``, ``statement``), ``statements`` (``id``,
    ``members`` = [article id, start, end]; a merged sentence is a member of two statements, a
    split one gives two members in one article), ``negatives`` ([article id, start, end] of
    sentences that copy nothing), ``negatives_measured`` (aligned with ``negatives``: highest
    ``jaccard`` and ``containment`` against a statement member of the same story, ``hard`` =
    jaccard >= HARD_NEG_MIN_J, ``same_speaker`` when it was made by the speaker or source of a
    statement), ``stories`` (articles, original, topic words), ``difficulty``. Spans are character
    offsets into the record's text.

    ``difficulty``: ``"natural"`` (the default) draws every edit from the NAT_* distributions and
    keeps it whatever similarity it lands at; ``"banded"`` resamples until rewrites sit at Jaccard
    >= 0.28 and negatives below 0.25 (true by construction for a 0.28 threshold: a design check).
    """
    if outlets < 2:
        raise ValueError("need at least two outlets")
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {DIFFICULTIES}, not {difficulty!r}")
    rng = random.Random(seed)
    profiles = _outlet_profiles(outlets, rng)
    registry = _Registry()
    seen: set[str] = set()  # normalised sentences and titles of the corpus (natural)
    said: set[tuple] = set()  # what the own sentences of the corpus say (natural; _new_sentence's key)
    used_names: set[str] = set()
    used_people: set[str] = set()
    usage: Counter = Counter()
    records: list[dict] = []
    gold_statements: list[dict] = []
    gold_pairs: list[dict] = []
    gold_negatives: list[list] = []
    gold_neg_measured: list[dict] = []
    gold_stories: list[dict] = []
    start_day = date(2022, 1, 3)

    for s_idx in range(n_stories):
        story = _make_story(s_idx, rng, used_names, used_people, usage)
        n_articles = min(outlets, rng.choice([2, 3, 3, 4, 4, 5]))
        art_outlets = rng.sample(profiles, n_articles)
        day0 = start_day + timedelta(days=rng.randrange(700))
        days = [day0]
        for _ in range(n_articles - 1):
            days.append(days[-1] + timedelta(days=rng.choice([0, 0, 0, 1, 1, 2, 3])))

        if difficulty == "natural":
            story.template_cap = 1
            statements, articles_body, titles, same_speaker = _plan_natural(story, n_articles, rng, seen, said)
        else:
            statements, articles_body, titles = _plan_banded(story, s_idx, n_articles, rng, registry)
            same_speaker = set()

        # assemble the articles
        spans: dict[tuple[int, int], tuple[str, int, int]] = {}
        story_ids = []
        for a in range(n_articles):
            prof = art_outlets[a]
            rec_id = f"{prof['key']}-{s_idx:04d}"
            story_ids.append(rec_id)
            parts: list[str] = []
            pos = 0

            def put(s: str) -> int:
                nonlocal pos
                if parts:
                    parts.append("\n\n")
                    pos += 2
                start = pos
                parts.append(s)
                pos += len(s)
                return start

            if prof["top"]:
                put(prof["top"])
            put(titles[a])
            if prof["repeat_title"]:
                put(titles[a])
            body = articles_body[a]  # entries (kept together) of sentences, each of one or more members
            i = 0
            first_par = True
            while i < len(body):
                size = rng.choices([1, 2, 3, 4], weights=[3, 4, 2, 1])[0]
                chunk = body[i : i + size]
                i += size
                prefix = ""
                if first_par and prof["dateline"]:
                    city = story.speakers[0]["capital"].upper()
                    prefix = f"{city} ({prof['name']}) - "
                first_par = False
                par = prefix
                offsets = []
                for sentence in chain.from_iterable(chunk):
                    if offsets:
                        par += " "
                    st, m = sentence[0]
                    offsets.append((sentence, len(par), len(statements[st][m].text)))
                    par += statements[st][m].text
                start = put(par)
                for sentence, off, n in offsets:
                    for st, m in sentence:
                        spans[(st, m)] = (rec_id, start + off, start + off + n)
            for line in prof["bottom"]:
                put(line)
            text = "".join(parts)
            published = days[a].isoformat() if dated else None
            url = (f"https://{prof['domain']}/{days[a]:%Y/%m/%d}/{_slug(titles[a])}" if dated
                   else f"https://{prof['domain']}/news/{_slug(titles[a])}-{s_idx}")
            records.append({"id": rec_id, "outlet": prof["name"], "url": url, "published": published,
                            "title": titles[a], "text": text})
            for (st, m), (rid, s0, e0) in spans.items():
                if rid == rec_id:
                    assert text[s0:e0] == statements[st][m].text

        # gold
        copied = [m.grams for members in statements if len(members) > 1 for m in members]
        for st, members in enumerate(statements):
            if len(members) == 1:
                rid, s0, e0 = spans[(st, 0)]
                gold_negatives.append([rid, s0, e0])
                g = members[0].grams
                nj = max((jaccard(g, o) for o in copied), default=0.0)
                nc = max((containment(g, o) for o in copied), default=0.0)
                gold_neg_measured.append({"jaccard": round(nj, 4), "containment": round(nc, 4),
                                          "hard": nj >= HARD_NEG_MIN_J, "same_speaker": st in same_speaker})
                continue
            sid = f"s{s_idx:04d}-{st:02d}"
            gold_statements.append({"id": sid, "members": [list(spans[(st, m)]) for m in range(len(members))]})
            for i, j in combinations(range(len(members)), 2):
                a_id, a0, a1 = spans[(st, i)]
                b_id, b0, b1 = spans[(st, j)]
                if a_id == b_id:
                    continue  # the two halves of a split sentence
                gold_pairs.append({"a": a_id, "a_span": [a0, a1], "b": b_id, "b_span": [b0, b1],
                                   "kind": _pair_kind(members, i, j),
                                   "ops": sorted(set(_path_ops(members, i, j))),
                                   "jaccard": round(jaccard(members[i].grams, members[j].grams), 4),
                                   "statement": sid})
        gold_stories.append({"id": f"story{s_idx:04d}", "topic": story.topic["name"], "articles": story_ids,
                             "original": story_ids[0], "topic_words": story.topic_words})

    order = list(range(len(records)))
    rng.shuffle(order)
    records = [records[i] for i in order]
    gold = {"pairs": gold_pairs, "statements": gold_statements, "negatives": gold_negatives,
            "negatives_measured": gold_neg_measured, "stories": gold_stories, "difficulty": difficulty,
            "about": "Planted reuse in a synthetic corpus (scripts/synth_reuse.py). Spans are character "
                     "offsets into each record's text; 'jaccard' is character-5-gram Jaccard of the two "
                     "spans over normalised text; 'ops' the edits between them; 'negatives_measured' "
                     "(aligned with 'negatives') gives each negative's highest Jaccard and containment "
                     f"against a member of a statement of its story, 'hard' when that Jaccard is at least "
                     f"{HARD_NEG_MIN_J} (a reporting bin: generation never looks at it)."}
    return records, gold


def _write_articles(statements: list[list[_Member]], n_articles: int, rng: random.Random, fresh, carry,
                    body_of, is_own) -> None:
    """A story's articles, sentence by sentence (both difficulties): the original gets a fact and
    7-10 more own sentences (``fresh(article, prefer)``); each derived article carries 2-5 statements
    of the articles before it (``carry(article, chosen)``; quotes and statements carried already are
    preferred), gets 2-4 own sentences, and is shuffled with an own sentence (``is_own(entry)``)
    first most of the time."""
    fresh(0, prefer="fact")
    for _ in range(rng.randint(7, 10)):
        fresh(0)
    for a in range(1, n_articles):
        usable = [st for st in range(len(statements)) if all(m.article != a for m in statements[st])]
        weights = []
        for st in usable:
            w = 3.0 if statements[st][0].sent.kind == "quote" else 1.5
            if len(statements[st]) > 1:
                w *= 1.5
            weights.append(w)
        n_reuse = min(len(usable), rng.randint(2, 5))
        chosen: list[int] = []
        while len(chosen) < n_reuse and usable:
            k = rng.choices(range(len(usable)), weights=weights)[0]
            chosen.append(usable.pop(k))
            weights.pop(k)
        carry(a, chosen)
        for _ in range(rng.randint(2, 4)):
            fresh(a)
        body = body_of(a)
        rng.shuffle(body)
        leads = [i for i, entry in enumerate(body) if is_own(entry)]
        if leads and rng.random() < 0.6:
            body.insert(0, body.pop(leads[0]))


def _plan_natural(story: _Story, n_articles: int, rng: random.Random, seen: set[str],
                  said: set[tuple]) -> tuple[list[list[_Member]], list[list], list[str], set[int]]:
    """One story's statements, article bodies and titles, every edit drawn from the NAT_*
    distributions and kept as it comes out (no similarity is computed here).

    Returns (statements, bodies, titles, same-speaker statements); a body is a list of entries kept
    together in a paragraph, an entry a list of sentences, a sentence a list of (statement, member)."""
    statements: list[list[_Member]] = []
    bodies: list[list] = [[] for _ in range(n_articles)]
    same_speaker: set[int] = set()

    def add_root(article: int, sent: _Sent, text: str) -> None:
        seen.add(normalise(text))
        statements.append([_Member(article, text, char_grams(text), sent, None, "root")])
        bodies[article].append([[(len(statements) - 1, 0)]])

    def fresh(article: int, prefer: str | None = None) -> bool:
        # An own sentence (copies nothing). NAT_SAME_SPEAKER of them are by the speaker or source of
        # one of the story's statements (in the original article any earlier one, later a statement
        # carried by several articles already), in its frame NAT_SAME_FRAME of the time.
        bases = [st for st, mem in enumerate(statements)
                 if mem[0].sent is not None and (article == 0 or len(mem) > 1)]
        basis = None
        if prefer is None and bases and rng.random() < NAT_SAME_SPEAKER:
            weights = [3.0 if statements[st][0].sent.kind == "quote" else 1.0 for st in bases]
            basis = statements[rng.choices(bases, weights=weights)[0]][0].sent
        for _ in range(30):  # structural rejections only: length, a repeated sentence or statement
            key: list = []
            if basis is not None:
                sent = _new_sentence(story, rng, basis.kind, speaker=basis.speaker, key=key)
                if rng.random() < NAT_SAME_FRAME:
                    sent.frame, sent.subject, sent.source = basis.frame, basis.subject, basis.source
                    if sent.kind == "fact" and _self_attributed(sent.clauses):
                        sent.frame = ("fact", 0)
            else:
                sent = _new_sentence(story, rng, prefer, key=key)
            text = sent.render(story)
            if SENT_MIN <= len(text) <= SENT_MAX and normalise(text) not in seen and key[0] not in said:
                said.add(key[0])
                add_root(article, sent, text)
                if basis is not None:
                    same_speaker.add(len(statements) - 1)
                return True
        return False

    def derive(article: int, st: int) -> list[list[tuple[int, int]]]:
        # statement ``st`` carried into ``article``: exact, partial or rewrite of one of its members
        # (the root, or another copy half of the time), then split in two NAT_SPLIT of the time.
        members = statements[st]
        kind = _draw(rng, NAT_KINDS)
        parents = [0] + [k for k in range(1, len(members))
                         if not {"split", "merge"} & set(members[k].ops) and rng.random() < 0.5]
        parent = rng.choice(parents)
        if kind == "rewrite" and members[parent].sent is None:
            parent = 0
        ptext, psent = members[parent].text, members[parent].sent
        edits: list[str] = []
        if kind == "partial":
            edits = _draw_edits(rng, _draw(rng, NAT_EDITS_PER_PARTIAL))
        elif kind == "rewrite" and rng.random() < NAT_REWRITE_EDIT:
            edits = _draw_edits(rng, 1)
        if kind == "rewrite":
            sent, text = _natural_rewrite(psent, story, rng)
            ops = ["rewrite"]
        else:
            text, sent, ops = ptext, psent, []
        text, done = _reduce(text, edits, rng)
        pieces = _split(text, rng) if rng.random() < NAT_SPLIT else None
        pieces, added = _add(list(pieces or (text,)), edits, story, rng)
        ops += done + added + (["split"] if len(pieces) > 1 else [])
        if done or added or len(pieces) > 1:
            sent = None  # an edited copy: no structure to rewrite from
        entry = []
        for piece in pieces:
            seen.add(normalise(piece))
            members.append(_Member(article, piece, char_grams(piece), sent, parent, kind if ops else "exact", ops))
            entry.append([(st, len(members) - 1)])
        return entry

    def merge_neighbours(article: int) -> None:
        # NAT_MERGE of the time, two statements this article carries whole (not split) that stand next
        # to each other in their source article become one sentence (in their source's order)
        if rng.random() >= NAT_MERGE:
            return
        own = {entry[0][0][0]: n for n, entry in enumerate(bodies[article]) if len(entry) == 1
               and statements[entry[0][0][0]][entry[0][0][1]].parent is not None}
        pairs = []
        for src in range(article):
            order = [entry[0][0][0] for entry in bodies[src] if entry[0][0][1] == 0]
            pairs += [(x, y) for x, y in zip(order, order[1:]) if x in own and y in own]
        if not pairs:
            return
        x, y = rng.choice(pairs)
        (_, mx), (_, my) = bodies[article][own[x]][0][0], bodies[article][own[y]][0][0]
        text = _merge(statements[x][mx].text, statements[y][my].text, rng)
        seen.add(normalise(text))
        for st, m in ((x, mx), (y, my)):
            member = statements[st][m]
            member.text, member.grams, member.sent = text, char_grams(text), None
            member.ops = member.ops + ("merge",)
            member.op = "partial" if member.op == "exact" else member.op
        bodies[article][own[x]] = [[(x, mx), (y, my)]]
        del bodies[article][own[y]]

    def carry(article: int, chosen: list[int]) -> None:
        for st in chosen:
            bodies[article].append(derive(article, st))
        merge_neighbours(article)

    _write_articles(statements, n_articles, rng, fresh, carry, bodies.__getitem__,
                    lambda entry: entry[0][0][1] == 0)

    # titles: every article its own headline (another written template or composition), never one
    # already in the corpus
    titles: list[str] = []
    used_templates: set[str] = set()
    for a in range(n_articles):
        opts = list(story.topic["titles"]) + list(GENERIC_TITLES)
        rng.shuffle(opts)
        title = None
        for k in range(14):
            tmpl = opts[k // 2] if k % 2 else _headline_template(story, rng)
            if k % 2 and tmpl in used_templates:
                continue
            title = _cap(_fill(tmpl, story.ents, story.slots, rng))
            if normalise(title) not in seen:
                if k % 2:
                    used_templates.add(tmpl)
                break
        seen.add(normalise(title))
        titles.append(title)
    return statements, bodies, titles, same_speaker


def _plan_banded(story: _Story, s_idx: int, n_articles: int, rng: random.Random,
                 registry: _Registry) -> tuple[list[list[_Member]], list[list], list[str]]:
    """difficulty="banded" (a design check): candidates are generated and kept only inside bands
    keyed to the detector's thresholds (NEG_MAX_J/NEG_MAX_C, REWRITE_MIN_J.., PARTIAL_MIN_C).
    Returns (statements, bodies, titles) in _plan_natural's shapes."""
    statements: list[list[_Member]] = []  # each: members; member 0 is the root
    articles_body: list[list[tuple[int, int]]] = [[] for _ in range(n_articles)]  # (stmt, member)
    local: list[tuple[frozenset, str]] = []  # this story's sentences and titles, with owners

    def local_worst(g: frozenset, exclude: str | None = None) -> tuple[float, float]:
        wj = wc = 0.0
        for other, own in local:
            if own != exclude:
                inter = len(g & other)
                wj = max(wj, inter / (len(g) + len(other) - inter))
                wc = max(wc, inter / min(len(g), len(other)))
        return wj, wc

    def accept(g: frozenset, owner: str, exclude: str | None = None) -> bool:
        """Below the negative band against the whole corpus (the story is checked already)."""
        wj, wc = registry.worst(g, exclude=exclude)
        return wj < NEG_MAX_J and wc < NEG_MAX_C

    def register(g: frozenset, owner: str) -> None:
        registry.add(g, owner)
        local.append((g, owner))

    def fresh(article: int, prefer: str | None = None) -> bool:
        # A same-topic sentence that copies nothing: the candidate closest to the story's other
        # sentences (still below the negative band) 60 % of the time.
        hard = rng.random() < 0.6
        cands = []
        for _ in range(12 if hard else 4):
            sent = _new_sentence(story, rng, prefer)
            text = sent.render(story)
            if not (SENT_MIN <= len(text) <= SENT_MAX):
                continue
            g = char_grams(text)
            j, c = local_worst(g)
            if j >= NEG_MAX_J or c >= NEG_MAX_C:
                continue
            cands.append((-j if hard else 0.0, len(cands), sent, text, g))
        cands.sort(key=lambda x: (x[0], x[1]))
        owner = f"st{s_idx}-{len(statements)}"
        for _, _, sent, text, g in cands:
            if accept(g, owner):
                register(g, owner)
                statements.append([_Member(article, text, g, sent, None, "root")])
                articles_body[article].append((len(statements) - 1, 0))
                return True
        return False

    def derive(article: int, st: int) -> bool:
        # A copy of statement ``st`` in ``article``: exact, partial or rewrite of one member.
        members = statements[st]
        owner = f"st{s_idx}-{st}"
        kind = rng.choices(["exact", "partial", "rewrite"], weights=[0.25, 0.25, 0.5])[0]
        parents = [0] + [k for k in range(1, len(members)) if rng.random() < 0.5]
        parent = rng.choice(parents)
        if kind == "rewrite" and members[parent].sent is None:
            parent = 0
        ptext = members[parent].text
        if kind == "exact":
            members.append(_Member(article, ptext, members[parent].grams, members[parent].sent, parent,
                                   "exact"))
            articles_body[article].append((st, len(members) - 1))
            return True
        cands = []
        target = rng.uniform(0.30, 0.55)
        tries = 14
        for t in range(tries):
            sent = None
            if kind == "partial":
                text = _partial(ptext, story, rng)
                if text is None:
                    continue
            else:
                sent = _rewrite(members[parent].sent, rng, strength=0.4 + 0.6 * t / tries + rng.uniform(0, 0.3))
                text = sent.render(story)
            if not (SENT_MIN - 20 <= len(text) <= SENT_MAX + 40):
                continue
            g = char_grams(text)
            jp = jaccard(g, members[parent].grams)
            if kind == "partial":
                if not (PARTIAL_MIN_J <= jp < 0.97 and containment(g, members[parent].grams) >= PARTIAL_MIN_C):
                    continue
            elif not (REWRITE_MIN_J <= jp <= REWRITE_MAX_J):
                continue
            trial = members + [_Member(article, text, g, sent, parent, kind)]
            ok = True
            for k in range(len(members)):
                pk = _pair_kind(trial, k, len(members))
                jk = jaccard(g, members[k].grams)
                if pk == "rewrite" and not (REWRITE_MIN_J <= jk <= REWRITE_PAIR_MAX_J):
                    ok = False
                elif pk == "partial" and (jk < PARTIAL_MIN_J - 0.05
                                          or containment(g, members[k].grams) < PARTIAL_MIN_C - 0.1):
                    ok = False
            if not ok:
                continue
            wj, wc = local_worst(g, exclude=owner)
            if wj >= NEG_MAX_J or wc >= NEG_MAX_C:
                continue
            cands.append((abs(jp - target) if kind == "rewrite" else 0.0, t, text, g, sent))
        cands.sort(key=lambda x: (x[0], x[1]))
        for _, _, text, g, sent in cands:
            if accept(g, owner, exclude=owner):
                register(g, owner)
                members.append(_Member(article, text, g, sent, parent, kind))
                articles_body[article].append((st, len(members) - 1))
                return True
        return False

    def carry(article: int, chosen: list[int]) -> None:
        for st in chosen:
            derive(article, st)

    _write_articles(statements, n_articles, rng, fresh, carry, articles_body.__getitem__, lambda entry: entry[1] == 0)

    # titles: every article its own, none close to any other text in the corpus
    titles: list[str] = []
    for a in range(n_articles):
        title = None
        opts = list(story.topic["titles"]) + list(GENERIC_TITLES)
        rng.shuffle(opts)
        # written and composed headlines first; then the opening words of an own sentence
        cands = []
        for k in range(14):
            tmpl = opts[k // 2] if k % 2 else _headline_template(story, rng)
            cands.append((_cap(_fill(tmpl, story.ents, story.slots, rng)), None))
        cands += [(" ".join(statements[st][0].text.rstrip('."').split(" ")[:9]).strip('"'), f"st{s_idx}-{st}")
                  for st, m in articles_body[a] if len(statements[st]) == 1]
        scored = []
        for cand, src in cands:
            g = char_grams(cand)
            j, c = local_worst(g, exclude=src)
            if j < NEG_MAX_J and c < TITLE_MAX_C:
                wj, wc = registry.worst(g, exclude=src)
                j, c = max(j, wj), max(c, wc)
                if j < NEG_MAX_J and c < TITLE_MAX_C:
                    title = cand
                    break
            scored.append((j, c, len(scored), cand))
        if title is None:  # the least similar candidate
            title = min(scored)[3]
        titles.append(title)
        register(char_grams(title), f"title{s_idx}-{a}")
    bodies = [[[[ref]] for ref in body] for body in articles_body]
    return statements, bodies, titles


# --------------------------------------------------------------------------------------------
# Evaluation against a built database
# --------------------------------------------------------------------------------------------


def _overlaps(x: tuple[int, int], y: tuple[int, int]) -> bool:
    inter = min(x[1], y[1]) - max(x[0], y[0])
    if inter <= 0:
        return False
    return inter >= 0.5 * min(x[1] - x[0], y[1] - y[0])


def jaccard_bin(j: float) -> str:
    """The label of the JACCARD_BINS bin that ``j`` falls in."""
    for lo, hi, label in JACCARD_BINS:
        if lo <= j < hi:
            return label
    return JACCARD_BINS[-1][2]


def evaluate(db_path: str, gold: dict) -> dict:
    """Passage-level precision/recall of the clusters in ``db_path`` against ``gold``.

    Besides overall and per-kind figures: ``recall_bins`` (recall of the gold pairs by their
    measured char-5gram Jaccard, JACCARD_BINS: where a method's threshold stops finding reuse),
    ``recall_ops`` (recall of the gold pairs with each edit between their sides, when the gold has
    ``ops``: merge, split, cut_tail, rewrite, ...) and, when the gold has ``negatives_measured``,
    how many hard negatives (Jaccard >= HARD_NEG_MIN_J to a statement member of their story) got
    linked to anything: ``hard_negatives``, ``hard_negatives_linked``,
    ``hard_negatives_linked_share`` (None without hard negatives), and negatives linked by their
    Jaccard bin (``negative_bins``) and among those by a statement's speaker (``same_speaker_*``)."""
    conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        rows = conn.execute(
            "select cm.cluster_id, a.external_id, p.start + cm.start, p.start + cm.end "
            "from cluster_members cm join paragraphs p on p.id = cm.paragraph_id "
            "join articles a on a.id = p.article_id"
        ).fetchall()
    finally:
        conn.close()
    by_cluster: dict = defaultdict(list)
    for cid, ext, s, e in rows:
        by_cluster[cid].append((str(ext), int(s), int(e)))

    predicted: set[tuple] = set()
    linked_spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for members in by_cluster.values():
        for x, y in combinations(sorted(set(members)), 2):
            if x[0] == y[0]:
                continue
            predicted.add((x, y) if x <= y else (y, x))
            linked_spans[x[0]].append((x[1], x[2]))
            linked_spans[y[0]].append((y[1], y[2]))

    gold_by_articles: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for gi, p in enumerate(gold["pairs"]):
        a = (p["a"], tuple(p["a_span"]))
        b = (p["b"], tuple(p["b_span"]))
        if b[0] < a[0]:
            a, b = b, a
        gold_by_articles[(a[0], b[0])].append((a[1], b[1], gi))

    matched_gold: set[int] = set()
    correct = 0
    for x, y in predicted:
        hit = False
        for ga, gb, gi in gold_by_articles.get((x[0], y[0]), ()):
            if _overlaps((x[1], x[2]), ga) and _overlaps((y[1], y[2]), gb):
                matched_gold.add(gi)
                hit = True
        if hit:
            correct += 1

    kinds = ("exact", "partial", "rewrite")
    total_by_kind = Counter(p["kind"] for p in gold["pairs"])
    matched_by_kind = Counter(gold["pairs"][gi]["kind"] for gi in matched_gold)
    negatives_linked = 0
    measured = gold.get("negatives_measured")
    hard_total = hard_linked = speaker_total = speaker_linked = 0
    neg_bins: dict[str, dict] = {label: {"negatives": 0, "linked": 0} for _, _, label in JACCARD_BINS}
    for n, (art, s, e) in enumerate(gold.get("negatives", [])):
        linked = any(_overlaps((s, e), sp) for sp in linked_spans.get(art, ()))
        negatives_linked += linked
        if measured is not None:
            b = neg_bins[jaccard_bin(measured[n]["jaccard"])]
            b["negatives"] += 1
            b["linked"] += linked
            if measured[n]["jaccard"] >= HARD_NEG_MIN_J:
                hard_total += 1
                hard_linked += linked
            if measured[n].get("same_speaker"):
                speaker_total += 1
                speaker_linked += linked
    ops: dict[str, dict] = {}
    for gi, p in enumerate(gold["pairs"]):
        for op in p.get("ops", ()):
            o = ops.setdefault(op, {"gold": 0, "matched": 0, "recall": None})
            o["gold"] += 1
            o["matched"] += gi in matched_gold
    for o in ops.values():
        o["recall"] = o["matched"] / o["gold"]

    bins: dict[str, dict] = {label: {"gold": 0, "matched": 0, "recall": None} for _, _, label in JACCARD_BINS}
    for gi, p in enumerate(gold["pairs"]):
        if p.get("jaccard") is None:
            continue  # a gold without measured Jaccard: no bins
        b = bins[jaccard_bin(p["jaccard"])]
        b["gold"] += 1
        b["matched"] += gi in matched_gold
    for b in bins.values():
        if b["gold"]:
            b["recall"] = b["matched"] / b["gold"]

    n_pred = len(predicted)
    n_gold = len(gold["pairs"])
    result = {
        "clusters": len(by_cluster),
        "predicted_pairs": n_pred,
        "correct_pairs": correct,
        "precision": correct / n_pred if n_pred else 0.0,
        "gold_pairs": n_gold,
        "matched_gold_pairs": len(matched_gold),
        "recall": len(matched_gold) / n_gold if n_gold else 0.0,
        "negatives": len(gold.get("negatives", [])),
        "negatives_linked": negatives_linked,
        "negatives_linked_share": negatives_linked / len(gold["negatives"]) if gold.get("negatives") else 0.0,
        "difficulty": gold.get("difficulty", "banded"),
        "recall_bins": bins,
        "hard_negatives": hard_total if measured is not None else None,
        "hard_negatives_linked": hard_linked if measured is not None else None,
        "hard_negatives_linked_share": hard_linked / hard_total if measured is not None and hard_total else None,
        "negative_bins": neg_bins if measured is not None else None,
        "same_speaker_negatives": speaker_total if measured is not None else None,
        "same_speaker_negatives_linked": speaker_linked if measured is not None else None,
        "recall_ops": dict(sorted(ops.items())),
    }
    for k in kinds:
        result[f"gold_{k}"] = total_by_kind.get(k, 0)
        result[f"recall_{k}"] = matched_by_kind.get(k, 0) / total_by_kind[k] if total_by_kind.get(k) else 0.0
    return result


# --------------------------------------------------------------------------------------------
# Statistics and CLI
# --------------------------------------------------------------------------------------------


def jaccard_distribution(records: list[dict], gold: dict) -> dict[str, dict]:
    """min/median/max char-5gram Jaccard per pair kind, plus each negative's highest Jaccard against
    the statement members of its story ('negative-vs-story')."""
    texts = {r["id"]: r["text"] for r in records}
    out: dict[str, dict] = {}
    by_kind: dict[str, list[float]] = defaultdict(list)
    for p in gold["pairs"]:
        a = texts[p["a"]][slice(*p["a_span"])]
        b = texts[p["b"]][slice(*p["b_span"])]
        by_kind[p["kind"]].append(jaccard(a, b))
    story_of = {a: s["id"] for s in gold.get("stories", []) for a in s["articles"]}
    members_by_story: dict[str, list[frozenset]] = defaultdict(list)
    for st in gold["statements"]:
        for art, s, e in st["members"]:
            members_by_story[story_of.get(art, "")].append(char_grams(texts[art][s:e]))
    for art, s, e in gold["negatives"]:
        g = char_grams(texts[art][s:e])
        sims = [jaccard(g, m) for m in members_by_story.get(story_of.get(art, ""), [])]
        if sims:
            by_kind["negative-vs-story"].append(max(sims))
    for k, vals in by_kind.items():
        out[k] = {"n": len(vals), "min": min(vals), "median": statistics.median(vals), "max": max(vals)}
    return out


def _cmd_generate(args: argparse.Namespace) -> int:
    records, gold = generate(args.stories, seed=args.seed, outlets=args.outlets, dated=not args.undated,
                             difficulty=args.difficulty)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    gold_path = out.with_name(out.name[: -len(out.suffix)] + ".gold.json" if out.suffix else out.name + ".gold.json")
    gold_path.write_text(json.dumps(gold, indent=1, ensure_ascii=False), encoding="utf-8")
    n_hard = sum(m["hard"] for m in gold["negatives_measured"])
    print(f"{len(records)} articles ({gold['difficulty']}) -> {out}; gold ({len(gold['pairs'])} pairs, "
          f"{len(gold['statements'])} statements, {len(gold['negatives'])} negatives, {n_hard} of them hard) "
          f"-> {gold_path}")
    print(f"{'kind':<18}{'n':>6}{'min':>8}{'median':>8}{'max':>8}   (char-5gram Jaccard)")
    dist = jaccard_distribution(records, gold)
    for k in ("exact", "partial", "rewrite", "negative-vs-story"):
        if k in dist:
            d = dist[k]
            print(f"{k:<18}{d['n']:>6}{d['min']:>8.3f}{d['median']:>8.3f}{d['max']:>8.3f}")
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    gold = json.loads(Path(args.gold).read_text(encoding="utf-8"))
    m = evaluate(args.db, gold)
    print(f"{'metric':<22}{'value':>10}")
    rows = [
        ("precision", f"{m['precision']:.3f}", f"{m['correct_pairs']}/{m['predicted_pairs']} predicted pairs"),
        ("recall", f"{m['recall']:.3f}", f"{m['matched_gold_pairs']}/{m['gold_pairs']} gold pairs"),
    ]
    for k in ("exact", "partial", "rewrite"):
        rows.append((f"recall {k}", f"{m['recall_' + k]:.3f}", f"of {m['gold_' + k]}"))
    rows.append(("negatives linked", str(m["negatives_linked"]), f"of {m['negatives']}"))
    if m["hard_negatives"] is not None:
        share = m["hard_negatives_linked_share"]
        rows.append(("hard negatives linked", str(m["hard_negatives_linked"]),
                     f"of {m['hard_negatives']} (Jaccard >= {HARD_NEG_MIN_J} to a statement member)"
                     + (f", share {share:.3f}" if share is not None else "")))
    rows.append(("clusters", str(m["clusters"]), ""))
    print(f"{'difficulty':<22}{m['difficulty']:>10}")
    for name, val, note in rows:
        print(f"{name:<22}{val:>10}  {note}")
    print("recall by Jaccard of the gold pair (char 5-grams):")
    for label, b in m["recall_bins"].items():
        val = f"{b['recall']:.3f}" if b["recall"] is not None else "-"
        print(f"  {label:<20}{val:>10}  {b['matched']}/{b['gold']}")
    if m["recall_ops"]:
        print("recall by edit between the two sides (a pair can have several):")
        for op, o in m["recall_ops"].items():
            print(f"  {op:<20}{o['recall']:>10.3f}  {o['matched']}/{o['gold']}")
    if m["negative_bins"]:
        print("negatives linked, by their highest Jaccard to a statement of their story:")
        for label, b in m["negative_bins"].items():
            print(f"  {label:<20}{b['linked']:>10}  of {b['negatives']}")
        print(f"  {'same speaker/source':<20}{m['same_speaker_negatives_linked']:>10}  of {m['same_speaker_negatives']}")
    return 0


def parse_setting(text: str) -> tuple[str, object]:
    """``bands=21`` -> ("bands", 21): a loader setting (signatures.Settings field) for ``measure``."""
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, not {text!r}")
    for cast in (int, float):
        try:
            return key.strip(), cast(value)
        except ValueError:
            pass
    return key.strip(), value


def measure(seeds: list[int], stories: int = 40, difficulty: str = DEFAULT_DIFFICULTY,
            settings: dict | None = None, workdir: str | Path | None = None) -> dict[int, dict]:
    """For each seed: generate a corpus, load it with the loader (``settings``: signatures.Settings
    values for the new database, e.g. {"bands": 21} to weaken it), evaluate. Returns seed -> metrics.
    The same as `generate`, `datasette provenance load` and `evaluate` by hand (the loader's result
    does not depend on its worker count)."""
    from datasette_provenance.load import load_paths  # the package, only for measuring

    out: dict[int, dict] = {}
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for seed in seeds:
            records, gold = generate(stories, seed=seed, difficulty=difficulty)
            src = Path(tmp) / f"s{seed}.jsonl"
            src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
            db = Path(tmp) / f"s{seed}.db"
            load_paths(str(db), [str(src)], settings=settings or None)
            out[seed] = evaluate(str(db), gold)
            out[seed]["articles"] = len(records)
    return out


def measure_row(seed: int, m: dict) -> str:
    """One README table row: precision, recall, rewrites, bins, merges/splits, negatives."""
    bins, ops = m["recall_bins"], m["recall_ops"]

    def frac(d: dict | None, a: str = "matched", b: str = "gold") -> str:
        return f"{d[a]}/{d[b]}" if d and d[b] else "-"

    low = {k: sum(bins[label][k] for label in ("<0.2", "0.2-0.28")) for k in ("matched", "gold")}
    hard = f"{m['hard_negatives_linked']}/{m['hard_negatives']}" if m["hard_negatives"] is not None else "-"
    return (f"| {m['difficulty']}, seed {seed} | {m['precision']:.3f} | {m['recall']:.3f} | {m['recall_rewrite']:.3f}"
            f" | {frac(bins['0.28-0.4'])} | {frac(bins['0.4-0.6'])} | {frac(low)} | {frac(ops.get('merge'))}"
            f" | {frac(ops.get('split'))} | {m['negatives_linked']}/{m['negatives']} | {hard} |")


MEASURE_HEADER = ("| corpus | precision | recall | recall of rewrites | recall at J 0.28-0.4 | at 0.4-0.6 | below 0.28"
                  " | merged | split | negatives linked | of them J >= 0.25 |\n"
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def _cmd_measure(args: argparse.Namespace) -> int:
    settings = dict(args.setting or [])
    seeds = [int(x) for x in args.seeds.split(",")]
    results = measure(seeds, args.stories, args.difficulty, settings)
    if settings:
        print("loader settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    print(MEASURE_HEADER)
    for seed in seeds:
        print(measure_row(seed, results[seed]))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="write a synthetic corpus (JSON Lines) and its gold")
    g.add_argument("out", help="OUT.jsonl; the gold goes to OUT.gold.json")
    g.add_argument("--stories", type=int, default=40)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--outlets", type=int, default=8)
    g.add_argument("--undated", action="store_true", help="published = null")
    difficulty_help = ("natural (default): every edit drawn from distributions of the phenomena, kept whatever "
                       "similarity it reaches; banded: a design check only, rewrites resampled to Jaccard >= 0.28 "
                       "and negatives below 0.25")
    g.add_argument("--difficulty", choices=DIFFICULTIES, default=DEFAULT_DIFFICULTY, help=difficulty_help)
    g.set_defaults(func=_cmd_generate)
    e = sub.add_parser("evaluate", help="score a built database against a gold file")
    e.add_argument("db")
    e.add_argument("gold")
    e.set_defaults(func=_cmd_evaluate)
    m = sub.add_parser("measure", help="generate, load with the loader and evaluate, for each seed; print table rows")
    m.add_argument("--seeds", default="1,3,7", help="comma-separated [1,3,7]")
    m.add_argument("--stories", type=int, default=40)
    m.add_argument("--difficulty", choices=DIFFICULTIES, default=DEFAULT_DIFFICULTY, help=difficulty_help)
    m.add_argument("--setting", type=parse_setting, action="append", metavar="KEY=VALUE",
                   help="a loader setting for the new databases (signatures.Settings), e.g. bands=21; repeatable")
    m.add_argument("--json", metavar="FILE", help="also write every metric as JSON")
    m.set_defaults(func=_cmd_measure)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
