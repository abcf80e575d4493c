"""Find the upstream sources an article names, and who its quotes are attributed to.

Copying between outlets is often declared rather than hidden: a credit line (``SOURCE:AFP``,
``[Xinhua]``, ``with inputs from Agencies``), a dateline (``MOSCOW, Feb 3 (Reuters) -``) or a
reporting verb (``the Tass news agency reported``). Naming that source lets a derivation point at
an agency that is not itself in the corpus. Quotes matter for the same reason: two outlets carrying
the same statement of the same speaker are relaying one source, not copying each other.

Everything here is pattern matching with offsets into the text as given, so every phrase can be
shown where it was found. Sources are news organisations: a name counts only when the alias list
knows it or a media word ("news agency", "newspaper", "reported") governs it, so "Apple said" or
"the media outlet said" never becomes a source.

The packaged ``data/sources.json`` can be extended by a user file of the same shape::

    {"aliases": {"ukrinform": "Ukrinform"}, "ambiguous": ["ukr"]}

Photo credits ("Photo: AFP", "REUTERS/Name", "... said. / AA" under a picture, "(AP Photo/Name)") are
left out: they name whoever supplied the picture, not where the text came from.

"ambiguous" aliases (and any of two letters) are also ordinary words or initials ("AP Moller",
"RT"): they count only in credit, dateline and bracket forms, next to "reported"/"news agency",
or, after other reporting cues, written in capitals.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from .outlets import read_alias_json
from .segment import flowed, read_quote_references

__all__ = [
    "Attribution",
    "Speaker",
    "SourceAliases",
    "default_aliases",
    "find_attributions",
    "find_speakers",
    "speaker_at",
]

KINDS = ("credit", "reported", "dateline")
_PRIORITY = {"credit": 1, "reported": 2, "dateline": 3}  # which kind an overlap keeps


@dataclass(frozen=True)
class Attribution:
    source_name: str  # normalised: "TASS", "AFP", "AP", "Reuters", ...
    phrase: str  # the exact text matched, == text[start:end]
    start: int
    end: int
    kind: str  # "credit" | "reported" | "dateline"


@dataclass(frozen=True)
class Speaker:
    name: str  # full name as first introduced, or the organisation as the text names it
    role: str | None  # e.g. "Russian Foreign Ministry Spokeswoman", when the text gives it
    quote_start: int  # offsets of the quoted statement, inside the quotation marks
    quote_end: int
    cue: str  # the attribution cue matched, e.g. "Zakharova said", "she concluded"


# --------------------------------------------------------------------------- aliases


@dataclass(frozen=True, eq=False)
class SourceAliases:
    aliases: dict[str, str]  # lower-case, whitespace-collapsed alias -> canonical source
    ambiguous: frozenset[str]  # alias keys that are also ordinary words or initials

    @classmethod
    def load(cls, extra_path: str | Path | None = None, text: str | None = None) -> SourceAliases:
        """Packaged aliases merged with the user's file (or its ``text``, as a database keeps it; user
        entries win); ValueError if malformed."""
        packaged = resources.files(__package__).joinpath("data/sources.json").read_text("utf-8")
        layers = [_parse_layer(packaged, "packaged sources.json")]
        if extra_path is not None or text is not None:
            text = Path(extra_path).read_text("utf-8") if text is None else text
            layers.append(_parse_layer(text, str(extra_path or "the --sources file the database keeps")))
        aliases: dict[str, str] = {}
        ambiguous: set[str] = set()
        for layer in layers:
            aliases |= {_key(a): s.strip() for a, s in layer["aliases"].items()}
            ambiguous |= {_key(a) for a in layer["ambiguous"]}
        # Every canonical name is its own alias, so "Anadolu Agency" finds "Anadolu Agency".
        for canonical in set(aliases.values()):
            aliases.setdefault(_key(canonical), canonical)
        return cls(aliases, frozenset(ambiguous))

    def lookup(self, name: str) -> str | None:
        """Canonical source for a stated name, case-insensitively; None if unknown."""
        key = _key(name)
        if key in self.aliases:
            return self.aliases[key]
        if key.startswith("the ") and key[4:] in self.aliases:
            return self.aliases[key[4:]]
        return None

    def is_ambiguous(self, name: str) -> bool:
        """Short or word-like aliases must not be read as sources in running prose."""
        key = _key(name)
        return key in self.ambiguous or len(re.sub(r"\W", "", key)) <= 2

    @cached_property
    def known_pattern(self) -> str:
        """Regex alternation of every alias, longest first so "RIA Novosti" beats "RIA"."""
        alts = []
        for key in sorted(self.aliases, key=len, reverse=True):
            # Keys are hyphen-free (see _key): "itar tass" also finds "ITAR-TASS". No line breaks inside.
            alts.append(r"(?:[ \t]*-[ \t]*|[ \t]+)".join(re.escape(w) for w in key.split()))
        return rf"(?<![\w-])(?i:{'|'.join(alts)})(?![\w-])"

    @cached_property
    def known_regex(self) -> re.Pattern[str]:
        return re.compile(self.known_pattern)

    @cached_property
    def _patterns(self) -> list[_Rule]:
        return _build_rules(self.known_pattern)


@cache
def default_aliases() -> SourceAliases:
    """The packaged aliases, loaded once."""
    return SourceAliases.load()


def _parse_layer(raw: str, origin: str) -> dict[str, Any]:
    """Validate one alias file, naming the file and the bad entry on error."""
    data = read_alias_json(raw, origin, ("aliases", "ambiguous"))
    aliases = data.setdefault("aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k.strip() and v.strip() for k, v in aliases.items()
    ):
        raise ValueError(f"{origin}: 'aliases' must map non-empty strings to source names")
    ambiguous = data.setdefault("ambiguous", [])
    if not isinstance(ambiguous, list) or not all(isinstance(a, str) and a.strip() for a in ambiguous):
        raise ValueError(f"{origin}: 'ambiguous' must be a list of non-empty strings")
    return data


def _key(name: str) -> str:
    """Lookup key: case, curly apostrophes, hyphens and spacing do not distinguish names."""
    return " ".join(name.replace("’", "'").replace("-", " ").split()).lower()


# --------------------------------------------------------------------------- source patterns

_DAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTHS = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*"
_TIME = (
    rf"(?:[ \t]+(?:(?:late|early|earlier)[ \t]+)?(?:on[ \t]+)?{_DAYS}(?:[ \t]+(?:morning|afternoon|evening|night))?"
    rf"|[ \t]+(?:earlier|yesterday|today|last[ \t]+(?:week|month|night|year)|this[ \t]+(?:week|month|morning)"
    rf"|on[ \t]+{_MONTHS}\.?[ \t]+\d{{1,2}}))?"
)
# Nouns that make the capitalised name next to them a news organisation.
_DESC = (
    r"(?:news[ \t]+agency|News[ \t]+Agency|wire[ \t]+service|news[ \t]+outlet|news[ \t]+channel|news[ \t]+site"
    r"|news[ \t]+website|agency|newspaper|daily|broadcaster|outlet|channel|television|TV|radio|tabloid|weekly"
    r"|magazine|website|portal)"
)
_ADJ = (
    r"(?:(?:[A-Z][a-z]+(?:-[A-Za-z]+)?(?:['’]s)?|state(?:-run|-owned|-controlled|-backed)?|official|semi-official"
    r"|government(?:-run|-owned)?|private|independent|pro-[A-Za-z]+|local|national|leading|major|main|popular)"
    r"[ \t]+){0,3}"
)
_NAME_TOKEN = r"(?:[A-Z][\w&'’.\-]*|al-[A-Z][\w'’\-]*)"
_UNKNOWN_LAZY = rf"(?P<name>{_NAME_TOKEN}(?:[ \t]+(?:{_NAME_TOKEN}|of|de|la)){{0,4}}?)"
_UNKNOWN_GREEDY = rf"(?P<name>{_NAME_TOKEN}(?:[ \t]+{_NAME_TOKEN}){{0,3}})(?![\w'’\-])(?![ \t]+[A-Z])"
_MEDIA_WORDS = (
    r"(?:Times|Post|News|Journal|Telegraph|Herald|Guardian|Tribune|Gazette|Daily|TV|Radio|Press|Today|Observer"
    r"|Mail|Express|Chronicle|Standard|Independent|Monitor|Insider|Wire|Magazine|Television|Channel|Network"
    r"|Broadcasting|Media|Online|Review|Economist|Mirror|Agency|Izvestia|Gazeta)"
)
_UNKNOWN_MEDIA = (
    rf"(?P<name>(?:{_NAME_TOKEN}[ \t]+(?:of[ \t]+)?){{0,4}}{_MEDIA_WORDS}(?:[ \t]+{_NAME_TOKEN}){{0,2}})"
    r"(?![\w'’\-])"
)
_NOT_SOURCE = frozenset(
    """the a an this that these those it its he she they we i you his her their our and or but
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december state official government local national foreign western
    eastern northern southern arab arabic american british french german dutch greek thai afghan israeli
    iraqi saudi pakistani kuwaiti qatari omani yemeni somali bengali nepali emirati azerbaijani kazakh
    uzbek kyrgyz us uk eu un nato media news press agency""".split()
)
_NATIONALITY = re.compile(r"(?:ian|ean|ese|ish|an)$")
_LEADING_STOP = frozenset(
    """the a an according in on at as but and also however meanwhile while when after before earlier later
    yet so if for from with without by to of under over this that these those last next speaking
    separately since until""".split()
)


@dataclass(frozen=True)
class _Rule:
    kind: str
    regex: re.Pattern[str]
    mode: str  # "credit" | "near" | "prose": how strictly an alias must look like a proper name
    fixed: str | None = None  # source named by the pattern itself ("with agency inputs")
    where: str | None = None  # extra position check: "bracket" | "slash"
    trigger: re.Pattern[str] | None = None  # cheap test a line must pass before the full pattern runs


_LINE = re.compile(r"[^\n]+")
_BYLINE = re.compile(r"[ \t]*[Bb][Yy][ \t]+[A-Z][^\n]{0,60}$")  # "By ANNA BERG": the line above an agency's name
_PICTURE_WORD = re.compile(r"(?i:\b(?:photo(?:graph)?|picture|image|video|credit)s?)\W*$")


def _t(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _build_rules(known: str) -> list[_Rule]:
    """Compile every credit, reporting and dateline form around the alias alternation."""
    S, O = r"[ \t]+", r"[ \t]*"  # spacing never crosses a line: credits and datelines are line-bound
    src = rf"(?P<src>{known})"
    gloss = rf"(?:{O}\({O}{known}{O}\))?"  # "the Associated Press (AP)"
    guard = rf"(?!['’]?{S}(?!{_DAYS}|{_MONTHS})[A-Z][a-z])"  # "AP Moller", "Reuters Institute"
    lst = rf"(?P<list>{known}(?:{O}(?:,|/|&|\band\b){O}{known})*)"
    the = rf"(?:the{S}|The{S})?"
    mentions = {
        "known": rf"(?:the{S})?{src}{guard}{gloss}",
        "desc_before": rf"{the}{_ADJ}(?:{src}|{_UNKNOWN_LAZY}){S}{_DESC}\b",
        "desc_after": rf"{the}{_ADJ}{_DESC}{S}(?:{src}(?!{S}[A-Z][a-z])|{_UNKNOWN_GREEDY})",
    }
    cues = [  # (template, mode for a bare known name, unknown "...Times" names count, trigger)
        (rf"{{M}}(?:{S}(?:has|had|also|first|previously|earlier))*{S}(?:reported|reports|quoted|cited)\b{_TIME}",
         "near", True, r"reported|reports|quoted|cited"),
        (rf"\b[Aa]ccording{S}to{S}(?:(?:a|an|the){S}(?:report|statement|tally|count){S}(?:by|from|in|on){S})?{{M}}",
         "prose", False, r"[Aa]ccording"),
        (rf"\b(?:(?:as|was|were|first){S})?(?:reported|cited|quoted){S}by{S}{{M}}", "near", False,
         r"(?:reported|cited|quoted)[ \t]+by"),
        (rf"\b(?:told|tells|telling|in{S}an?{S}(?:exclusive{S})?interview{S}with|speaking{S}to|talking{S}to"
         rf"|spoke{S}to|in{S}(?:comments|remarks|a{S}statement){S}to){S}{{M}}", "prose", False,
         r"told|tells|telling|interview|speaking|talking|spoke|comments|remarks|statement"),
        (rf"\bciting{S}{{M}}", "prose", False, r"citing"),
    ]
    rules = []
    for template, mode, media, trigger in cues:
        cue = re.compile(trigger)
        for form, mention in mentions.items():
            regex = re.compile(template.replace("{M}", mention))
            rules.append(_Rule("reported", regex, mode if form == "known" else "near", trigger=cue))
        if media:
            rules.append(_Rule("reported", re.compile(template.replace("{M}", the + _UNKNOWN_MEDIA)), "near",
                               trigger=cue))

    place = rf"[A-Z][A-Za-z.'’\-]*(?:{S}[A-Z][A-Za-z.'’\-]*){{0,3}}"
    date = rf"(?:{_MONTHS}\.?{S}\d{{1,2}}(?:{O},?{O}\d{{4}})?|\d{{1,2}}{S}{_MONTHS}\.?(?:{S}\d{{4}})?)\.?"
    dash = r"(?:--?|—|–)"
    byname = rf"[A-Z][\w.'’\-]*(?:{S}[A-Z][\w.'’\-]*){{0,4}}"  # a reporter's name in a byline
    old_ap = r"_(?=[ \t])"  # AP's archives set the dateline's dash as an underscore: "CHICAGO (AP) _ A train"
    m = re.MULTILINE
    rules += [
        _Rule("dateline", re.compile(
            rf"^{O}(?P<p>{place}(?:{O},{O}{place})?(?:{O},?{O}{date})?{O}[(\[/]{O}{lst}{O}[)\]/]"
            rf"{O}(?:{dash}|{old_ap}|:|\.(?!\w)))", m), "credit", trigger=_t(r"[(\[/]")),
        _Rule("dateline", re.compile(rf"[(\[]{O}{lst}{O}[)\]]{O}(?:{dash}|{old_ap})"), "credit", trigger=_t(r"[(\[]")),
        _Rule("credit", re.compile(rf"\b(?:SOURCES?|[Ss]ources?){O}:{O}{lst}"), "credit", trigger=_t("OURCE|ource")),
        _Rule("credit", re.compile(rf"\b[Ww]ith{S}(?:additional{S})?inputs?{S}from{S}{lst}"), "credit",
              trigger=_t("input")),
        _Rule("credit", re.compile(rf"\b[Ww]ith{S}(?:agency|agencies){S}inputs?\b"), "credit", fixed="Agencies",
              trigger=_t("input")),
        _Rule("credit", re.compile(rf"\b(?:[Aa]dditional{S})?[Rr]eporting{S}(?:by|from){S}{lst}"), "credit",
              trigger=_t("eporting")),
        # "Reuters contributed to this report"; "Associated Press writers Jan Olsen in Copenhagen and Karl
        # Ritter contributed to this report": the agency's own footer, kept by the paper that ran its story.
        _Rule("credit", re.compile(
            rf"{lst}(?:{S}(?:[Ss]taff{S})?(?:[Ww]riters?|[Rr]eporters?|[Cc]orrespondents?|[Jj]ournalists?)\b"
            rf"[^\n]{{0,200}}?)?{S}contributed{S}(?:to{S})?(?:this|the){S}(?:report|story|article)"), "credit",
              trigger=_t("contributed")),
        _Rule("credit", re.compile(rf"[(\[]{O}{lst}{O}[)\]]"), "credit", where="bracket", trigger=_t(r"[(\[]")),
        # "© AFP"; a line that opens "Copyright 2023 The Associated Press. All rights reserved.": who owns the
        # text (in a sentence, "the copyright AP holds" is about something else).
        _Rule("credit", re.compile(rf"(?:(?=©)|^{O})(?P<p>(?:©|(?:\([Cc]\){O})?[Cc]opyright\b{O}©?){O}"
                                   rf"(?:\d{{4}}(?:{O}[-–]{O}\d{{4}})?{O},?{O})?{the}{lst})", m), "credit",
              where="copyright", trigger=_t(r"©|opyright")),
        # "With Reuters", "- with AFP and agencies" as the first or last line: the paper's note that the story
        # draws on the agency's copy.
        _Rule("credit", re.compile(rf"^{O}(?P<p>(?:{dash}{O})?[Ww]ith{S}{lst}){O}\.?{O}$", m), "credit",
              where="edge", trigger=_t(r"(?m)^[ \t]*(?:[-—–][ \t]*)?[Ww]ith[ \t]")),
        _Rule("credit", re.compile(rf"(?:^|(?<=[.!?\"”’])){O}(?P<p>{dash}{O}{lst}){O}$", m), "credit",
              trigger=_t("[-—–]")),
        _Rule("credit", re.compile(rf"^{O}(?P<p>[Bb]y{S}{lst}(?:{S}(?:[Ss]taff|[Rr]eporters?|[Ww]riters?))?){O}$", m),
              "credit", trigger=_t(r"(?m)^[ \t]*[Bb]y[ \t]")),
        # A sign-off: the article's first or last line is nothing but the source ("Reuters", "AFP", "Reuters/AP").
        _Rule("credit", re.compile(rf"^{O}(?P<p>{lst}){O}\.?{O}$", m), "credit", where="edge",
              trigger=_t(r"(?m)^[ \t]*[A-Z][^\n]{0,40}$")),
        # A wire byline: "By Jane Doe, PA News", "By JOHN SMITH, Associated Press Writer": the agency's copy.
        _Rule("credit", re.compile(
            rf"^{O}[Bb][Yy]{S}{byname}(?:{O}(?:,|\band\b|&){O}{byname})*{O},{O}(?P<p>{lst})"
            rf"(?:{S}(?:News|NEWS|[Ss]taff|[Cc]orrespondents?|[Rr]eporters?|[Ww]riters?|[Ee]ditors?))*{O}\.?{O}$", m),
              "credit", trigger=_t(r"(?m)^[ \t]*[Bb][Yy][ \t]")),
    ]
    return rules


def find_attributions(text: str, aliases: SourceAliases | None = None) -> list[Attribution]:
    """Every credit line, dateline and reporting phrase naming a source; one per span, by start."""
    aliases = aliases or default_aliases()
    given, text = text, flowed(text)  # a phrase wrapped over lines of agency copy is read whole
    found: list[Attribution] = []
    lines = [m.span() for m in _LINE.finditer(text)]  # every pattern is line-bound
    line_starts = [start for start, _ in lines]
    triggered: dict[re.Pattern[str], list[tuple[int, int]]] = {}
    for rule in aliases._patterns:
        if rule.trigger is None:
            where = lines
        elif (where := triggered.get(rule.trigger)) is None:  # one scan of the text per trigger
            where = triggered[rule.trigger] = _lines_with(rule.trigger, text, lines, line_starts)
        for start, end in where:
            for m in rule.regex.finditer(text, start, end):
                found.extend(_from_match(text, m, rule, aliases))
    if text is given:
        return _merge(found)
    return [replace(a, phrase=given[a.start:a.end]) for a in _merge(found)]


def _lines_with(trigger: re.Pattern[str], text: str, lines: list[tuple[int, int]],
                line_starts: list[int]) -> list[tuple[int, int]]:
    """The lines a trigger occurs on; triggers never span a newline, so a match's start names its line."""
    hit = sorted({bisect_right(line_starts, m.start()) - 1 for m in trigger.finditer(text)})
    return [lines[i] for i in hit if i >= 0]


def _from_match(text: str, m: re.Match[str], rule: _Rule, aliases: SourceAliases) -> Iterator[Attribution]:
    groups = m.re.groupindex
    start, end = m.span("p") if "p" in groups and m.group("p") is not None else m.span()
    kind = rule.kind
    if rule.where == "bracket":
        # A bracketed name is a credit only where credits sit: closing a line or opening it.
        before = text[text.rfind("\n", 0, start) + 1 : start]
        if not (re.match(r"[ \t]*\.?[ \t]*(?:\n|$)", text[end:]) or not before.strip()):
            return
    if rule.where == "copyright" and _PICTURE_WORD.search(text, text.rfind("\n", 0, start) + 1, start):
        return  # "Photo © AFP" is who owns the picture
    if rule.where == "edge" and text[:m.start()].strip() and text[m.end():].strip() and not _BYLINE.match(
            text, text.rfind("\n", 0, m.start() - 1) + 1, m.start() - 1):  # the line above (the match opens its own)
        return  # a name alone on a line inside the text may be a picture's credit under its caption
    if rule.fixed is not None:
        yield Attribution(rule.fixed, text[start:end], start, end, kind)
        return
    if "list" in groups and m.group("list") is not None:
        ls, le = m.span("list")
        items = [(i.start() + ls, i.end() + ls, aliases.lookup(i.group()))
                 for i in aliases.known_regex.finditer(text[ls:le])]
        items = [(s, e, name) for s, e, name in items if name]
        for n, (s, e, name) in enumerate(items):
            s = start if n == 0 else s
            e = end if n == len(items) - 1 else e
            yield Attribution(name, text[s:e], s, e, kind)
        return
    if "src" in groups and m.group("src") is not None:
        said = m.group("src")
        name = aliases.lookup(said)
        if name is None or not _looks_named(said, name, rule.mode, aliases):
            return
    elif "name" in groups and m.group("name") is not None:
        name = _clean_unknown(m.group("name"), aliases)
        if name is None:
            return
    else:
        return
    yield Attribution(name, text[start:end], start, end, kind)


def _looks_named(said: str, canonical: str, mode: str, aliases: SourceAliases) -> bool:
    """In prose an alias must be written as a proper name; ambiguous ones away from media words in capitals."""
    if mode == "credit":
        return True
    if not (said[:1].isupper() or said == canonical):
        return False
    if mode == "prose" and aliases.is_ambiguous(said):
        return said.isupper()
    return True


def _clean_unknown(name: str, aliases: SourceAliases) -> str | None:
    """A capitalised name governed by a media word, unless it is a nationality, day or function word."""
    tokens = name.split()
    while tokens and tokens[0].lower().strip("'’") in _LEADING_STOP:
        tokens.pop(0)
    if not tokens:
        return None
    name = " ".join(tokens)
    if known := aliases.lookup(name):
        return known
    if len(tokens) == 1 and (tokens[0].lower() in _NOT_SOURCE or _NATIONALITY.search(tokens[0].lower())):
        return None
    if tokens[-1].lower() in _NOT_SOURCE or tokens[-1].endswith(("'s", "’s")):
        return None
    return name


def _merge(found: list[Attribution]) -> list[Attribution]:
    """One attribution per span: overlaps of one source are united, of different sources the longer wins."""
    out: list[Attribution] = []
    for a in sorted(found, key=lambda a: (a.start, -(a.end - a.start))):
        if out and a.start < out[-1].end:
            prev = out[-1]
            if a.source_name == prev.source_name:
                kind = max(prev.kind, a.kind, key=_PRIORITY.__getitem__)
                end = max(prev.end, a.end)
                phrase = prev.phrase + a.phrase[prev.end - a.start :] if end > prev.end else prev.phrase
                out[-1] = Attribution(prev.source_name, phrase, prev.start, end, kind)
            elif a.end - a.start > prev.end - prev.start:
                out[-1] = a
            continue
        out.append(a)
    return out


# --------------------------------------------------------------------------- speakers

_PERSON_ROLES = frozenset(
    """spokeswoman spokesman spokesperson spox minister president secretary ambassador envoy diplomat official
    chancellor premier leader senator governor mayor commander chief director chairman chairwoman head
    representative prosecutor adviser advisor aide lawmaker general king queen prince emir sheikh pope judge
    analyst expert deputy mr mrs ms dr mp mep msp congressman congresswoman councillor commissioner administrator
    attorney lawyer barrister solicitor counsel coroner magistrate detective inspector sergeant superintendent
    constable investigator captain coach ceo executive officer founder actor actress singer rapper comedian
    presenter campaigner activist""".split()
)
# Titles written before a name that are no name alone ("said Dr", "Mr Justice"); the abbreviations only
# before another word, so "Hun Sen" keeps its "Sen".
_HONORIFICS = frozenset("mr mrs ms miss mx dr prof rev sen rep gov gen lt col capt sgt det insp supt cllr hon maj"
                        " adm cmdr atty".split())
_ABBREVIATED = "|".join(sorted((w.capitalize() for w in _HONORIFICS), key=len, reverse=True))
# Words that open a sentence before its subject ("Now Smith said", "Yesterday she said"): never a name.
_SENTENCE_OPENERS = (_LEADING_STOP - {"the"}) | frozenset(
    """now however yesterday today tonight tomorrow then still instead indeed finally recently previously
    moreover furthermore nevertheless nonetheless besides afterwards again never always here there thus
    therefore overall elsewhere likewise similarly additionally lastly sadly fortunately unfortunately notably
    importantly reportedly allegedly apparently clearly asked adding monday tuesday wednesday thursday friday
    saturday sunday""".split()
)
_MONTH_NAMES = frozenset(
    "january february march april may june july august september october november december".split()
)
_GIVEN_NAME_MONTHS = frozenset({"april", "may", "june", "august"})  # "June Brown said" is a person
# A subject that is one of these words is nobody in particular.
_NOBODY = _SENTENCE_OPENERS | _MONTH_NAMES | _HONORIFICS | frozenset(
    """the i we you everyone someone somebody nobody many some others both all most few several experts officials
    analysts critics residents witnesses sources observers justices""".split()
)
_GENERIC_PERSON = frozenset({"official", "diplomat", "analyst", "expert", "aide", "lawmaker", "representative"})
_MEDIA_NOUNS = frozenset(
    {"outlet", "agency", "newspaper", "broadcaster", "channel", "network", "daily", "paper", "publication",
     "website", "tabloid", "weekly", "magazine"}
)
_ORG_NOUNS = frozenset(
    {"ministry", "department", "government", "office", "embassy", "army", "military", "company", "kremlin",
     "pentagon", "administration", "council", "committee", "commission", "organisation", "organization",
     "group", "service", "authorities", "police"}
)
_ORG_WORDS = frozenset(
    """ministry office house department government kremlin pentagon army navy embassy council agency committee
    commission service forces military command police company corporation inc ltd university authority
    authorities guard coalition administration assembly federation republic nations states union organization
    organisation institute observatory center centre group party bank court parliament board bureau foundation
    association society club league""".split()
)
_ROLE_RE = "|".join(sorted(_PERSON_ROLES - {"mr", "mrs", "ms", "dr"}, key=len, reverse=True))
_VERBS = (
    r"(?:said|says|say|told|tells|added|adds|stressed|stresses|indicated|indicates|concluded|concludes|announced"
    r"|announces|noted|notes|stated|states|explained|explains|emphasi[sz]ed|emphasi[sz]es|underlined|underscored"
    r"|declared|declares|insisted|insists|warned|warns|claimed|claims|wrote|writes|tweeted|asked|asks|replied"
    r"|responded|continued|argued|argues|pointed[ \t]+out|commented|remarked|urged|urges|maintained|acknowledged"
    r"|admitted|confirmed|promised|vowed|pledged|suggested|observed|recalled|cautioned|predicted|reiterated"
    r"|highlighted|clarified|reported|mentioned|affirmed|asserted|alleged|complained|agreed)"
)
_ADVS = (
    r"(?:also|further|later|then|earlier|again|additionally|previously|has|have|had|would|will|once[ \t]+again"
    rf"|on[ \t]+{_DAYS})"
)
# "Dr. Jane Roe", "Robert A. Smith": a title's or an initial's full stop before a name ends no sentence.
_ABBREVIATION = rf"(?<![\w.'’\-])(?:{_ABBREVIATED}|[A-Z])\.(?=[ \t]+[A-Z])"
_CAP = (
    rf"(?:{_ABBREVIATION}|(?!{_ABBREVIATION})[A-Z](?:[\w'’\-]|\.(?=[A-Za-z]))*"
    r"|(?:al|el|bin|ibn|abu|ben|de|van|von)-[A-Z][\w'’\-]*)"
)
_PARTICLE = r"(?:al|el|bin|ibn|bint|abu|ben|de|da|van|von|der|del|la|le|of|for|the)"
_TOKEN = rf"(?:{_CAP}|{_PARTICLE}|(?i:{_ROLE_RE})|former|deputy|acting|foreign|defen[cs]e|press|prime)"
_SUBJ_NAME = rf"{_CAP}(?:(?:[ \t]+{_TOKEN})*?[ \t]+{_CAP})?"
_SUBJ_NAME_G = rf"{_SUBJ_NAME}(?![\w'’\-])(?![ \t]+[A-Z])"
_PRON = r"\b(?:he|she|they|it|He|She|They|It)\b"
_REF_NOUNS = "|".join(sorted(_PERSON_ROLES | _MEDIA_NOUNS | _ORG_NOUNS, key=len, reverse=True))
_ROLE_REF = rf"\b(?:the|The|this|This)[ \t]+(?:[\w\-]+[ \t]+){{0,2}}?(?:{_REF_NOUNS})\b"
_SUBJ = rf"(?P<subj>{_PRON}|{_ROLE_REF}|(?:the[ \t]+)?{_SUBJ_NAME})"
_FORWARD = re.compile(rf"{_SUBJ}(?:[ \t]+{_ADVS}){{0,3}}[ \t]+(?P<verb>{_VERBS})\b")
_FORWARD_AT = re.compile(rf"^[\s,;:—–\-]*{_SUBJ}(?:[ \t]+{_ADVS}){{0,3}}[ \t]+(?P<verb>{_VERBS})\b")
_INVERTED_AT = re.compile(
    rf"^[\s,;:—–\-]*(?P<verb>{_VERBS})[ \t]+(?P<subj>{_PRON}|{_ROLE_REF}|(?:the[ \t]+)?{_SUBJ_NAME_G})"
)
_ACCORDING = re.compile(rf"\b[Aa]ccording[ \t]+to[ \t]+(?P<subj>{_ROLE_REF}|(?:the[ \t]+)?{_SUBJ_NAME_G})")
_PERSON_NAME = (
    rf"[A-Z][\w'’\-]+(?:[ \t]+(?:{_PARTICLE}[ \t\-]+)?(?:[A-Z][\w'’\-]+|(?:al|el|bin|ibn)-[A-Z][\w'’\-]+)){{0,3}}"
)
_ROLE_NAME = re.compile(
    rf"(?<![\w'’\-])(?P<role>(?:(?:{_CAP}|former|deputy|acting|foreign|defen[cs]e|press|prime|interim|senior|top)"
    rf"[ \t]+){{0,5}}(?<![\w'’\-])(?i:{_ROLE_RE})(?:[ \t]+(?:of|for)[ \t]+(?:the[ \t]+)?{_CAP}(?:[ \t]+{_CAP})*?)?)"
    rf"[ \t]+(?P<name>{_PERSON_NAME})(?![\w'’\-])(?![ \t]+[A-Z])"
)
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)|(?<=[a-z]{2})[.!?](?=[A-Z])|\n")
_ABBREVIATION_END = re.compile(_ABBREVIATION)
_WINDOW = 400  # a cue further than this from its quote is not about it (and keeps run-on text linear)
_OPENERS = {"“": "”", "«": "»", "„": "“”"}
_CLOSERS = "”»“"
_QUOTE_MARK = re.compile('["“”«»„]')


@dataclass
class _Entity:
    name: str
    role: str | None
    kind: str  # "person" | "org" | "media" | "unknown"

    @property
    def gender(self) -> str | None:
        said = f"{self.role or ''} {self.name.split()[0]}".lower()  # a title may open the name: "Mr Justice X"
        if re.search(r"woman\b|\b(?:mrs|ms|miss|queen|lady|dame|actress|baroness|princess)\b", said):
            return "f"
        if re.search(r"(?<!wo)man\b|\b(?:mr|king|prince|sir|lord|baron)\b", said):
            return "m"
        return None

    @property
    def surname(self) -> str:
        return self.name.split()[-1]


@dataclass(frozen=True)
class _Quote:
    start: int
    end: int
    chain: int  # pieces of one quote running over several paragraphs share a chain
    closed: bool


@dataclass(frozen=True)
class _Cue:
    start: int
    end: int
    subj: str
    subj_start: int


def find_speakers(
    text: str, aliases: SourceAliases | None = None, attributions: list[Attribution] | None = None
) -> list[Speaker]:
    """Quoted statements with the speaker the text attributes them to; quotes without a cue are left out.

    ``attributions`` are the text's own, when the caller already has them (they name media speakers).
    """
    view = _readable(text)
    quotes = _quotes(view)
    if not quotes:
        return []
    masked = _mask(view, quotes)
    titles = {m.end() for m in _ABBREVIATION_END.finditer(masked)}
    bounds = sorted({m.end() for m in _SENTENCE_END.finditer(masked)} - titles)
    cues: dict[_Quote, _Cue | None] = {q: _cue_for(q, masked, bounds) for q in quotes}
    by_chain: dict[int, _Cue] = {}
    for q in quotes:
        if (cue := cues[q]) is not None:
            by_chain.setdefault(q.chain, cue)
    if not by_chain:  # nothing attributes a quote: no need to learn who is named where
        return []
    ctx = _Context(masked, attributions if attributions is not None else find_attributions(text, aliases))
    out = []
    for q in quotes:
        cue = cues[q] or by_chain.get(q.chain)
        if cue is None or (entity := ctx.resolve(cue)) is None:
            continue
        out.append(Speaker(entity.name, entity.role, q.start, q.end, text[cue.start : cue.end]))
    return out


def _readable(text: str) -> str:
    """The text as quotes are read in it, offsets unchanged: hard-wrapped paragraphs on one line (a quote
    or its cue runs over lines of agency copy) and TeX's ``quotes'' as curly ones, which archived
    agency copy uses: the opener's second character and the closer's first become the marks; and the
    quotation marks a scrape left as references ("&quot;")."""
    view = read_quote_references(flowed(text))
    if "``" in view or "''" in view:
        view = view.replace("``", " “").replace("''", "” ")
    return view


def speaker_at(speakers: Sequence[Speaker], start: int, end: int) -> Speaker | None:
    """The speaker whose quote overlaps the span most, so a matched passage can be credited to a person."""
    best, best_overlap = None, 0
    for s in speakers:
        overlap = min(end, s.quote_end) - max(start, s.quote_start)
        if overlap > best_overlap:
            best, best_overlap = s, overlap
    return best


def _quotes(text: str) -> list[_Quote]:
    """Outermost quoted spans per paragraph; an unclosed quote continues if the next paragraph reopens it."""
    quotes: list[_Quote] = []
    chain, carry, offset = -1, False, 0
    for line in text.split("\n"):
        base, offset = offset, offset + len(line) + 1
        if not line.strip():
            continue
        stack: list[tuple[str, int]] = []  # (closing characters, index of the opening mark)
        first = len(line) - len(line.lstrip())
        for mark in _QUOTE_MARK.finditer(line):  # every other character leaves the state as it is
            i, ch = mark.start(), mark.group()
            prev = line[i - 1] if i else " "
            nxt = line[i + 1] if i + 1 < len(line) else " "
            if ch == '"':
                can_open = (prev.isspace() or prev in "([{—–-/:\x00") and not nxt.isspace()
                can_close = (nxt.isspace() or nxt in ".,;:!?)]}—–-'’") and not prev.isspace()
                if can_open and can_close:
                    opening = not (stack and stack[-1][0] == '"')
                else:
                    opening = can_open or not (can_close or (stack and stack[-1][0] == '"'))
                if opening:
                    if not stack and not (carry and i == first):
                        chain += 1
                    stack.append(('"', i))
                    continue
            elif ch in _OPENERS and not (ch == "“" and stack and "“" in stack[-1][0]):
                if not stack and not (carry and i == first):
                    chain += 1
                stack.append((_OPENERS[ch], i))
                continue
            elif ch not in _CLOSERS:
                continue
            if stack and (ch in stack[-1][0] or ch == '"'):
                _, opened = stack.pop()
                if not stack and i > opened + 1:
                    quotes.append(_Quote(base + opened + 1, base + i, chain, True))
        carry = bool(stack)
        if stack:
            opened = stack[0][1]
            end = len(line.rstrip())
            if end > opened + 1:
                quotes.append(_Quote(base + opened + 1, base + end, chain, False))
    return quotes


def _whole_word_at(form: str, text: str) -> list[int]:
    """Where ``form`` stands as a whole word (not inside a word or a hyphenated one).

    A loop over ``str.find``, not a regex per name: a corpus names thousands of people, and compiling
    a pattern for each thrashes the ``re`` cache.
    """
    out, at = [], text.find(form) if form else -1
    while at >= 0:
        end = at + len(form)
        if (at == 0 or not _in_word(text[at - 1])) and (end == len(text) or not _in_word(text[end])):
            out.append(at)
            at = text.find(form, end)
        else:
            at = text.find(form, at + 1)
    return out


def _in_word(ch: str) -> bool:
    return ch.isalnum() or ch in "_-"


def _mask(text: str, quotes: list[_Quote]) -> str:
    """Blank quoted words out (offsets kept) so cues and names are only read in the narration."""
    chars = list(text)
    for q in quotes:
        for i in range(q.start - 1, q.end + (1 if q.closed else 0)):
            chars[i] = "\x00"
    return "".join(chars)


def _cue_for(q: _Quote, masked: str, bounds: list[int]) -> _Cue | None:
    """Adjacent cue after the quote, else the nearest before it in the sentence, else any later in it."""
    open_mark = q.start - 1
    close = q.end + 1 if q.closed else q.end
    i = bisect_right(bounds, open_mark)
    left_start = max(bounds[i - 1] if i else 0, open_mark - _WINDOW)
    j = bisect_left(bounds, close + 1)
    right_end = min(bounds[j] if j < len(bounds) else len(masked), close + _WINDOW)
    right = masked[close:right_end]
    for regex in (_INVERTED_AT, _FORWARD_AT):
        if (m := regex.match(right)) and (cue := _make_cue(m, close)):
            return cue
    left = masked[left_start:open_mark]
    before = [c for r in (_FORWARD, _ACCORDING) for m in r.finditer(left) if (c := _make_cue(m, left_start))]
    if before:
        return max(before, key=lambda c: c.end)
    after = [c for r in (_FORWARD, _ACCORDING) for m in r.finditer(right) if (c := _make_cue(m, close))]
    return min(after, key=lambda c: c.start) if after else None


def _make_cue(m: re.Match[str], base: int) -> _Cue | None:
    """A cue with leading sentence words ("Earlier", "Now", "In January") trimmed from its subject; none if
    the subject is only such a word: a capital opening a sentence does not make a name."""
    s = m.start("subj")
    tokens = m.group("subj").split(" ")
    trimmed = False
    while len(tokens) > 1 and _opens_sentence(tokens[0], trimmed):
        s += len(tokens[0]) + 1
        tokens.pop(0)
        trimmed = True
    subj = " ".join(tokens)
    if subj.lower() in _NOBODY:
        return None
    if m.re is _ACCORDING:
        start, end = m.start(), m.end("subj")
    elif m.start("verb") < m.start("subj"):
        start, end = m.start("verb"), m.end("subj")
    else:
        start, end = s, m.end("verb")
    return _Cue(base + start, base + end, subj, base + s)


class _Context:
    """Who has been named where, so pronouns and role nouns can be resolved to the latest fitting one."""

    def __init__(self, masked: str, attributions: list[Attribution]) -> None:
        self.persons: dict[str, _Entity] = {}
        self.mentions: list[tuple[int, _Entity]] = []
        self.full_mentions: list[tuple[int, _Entity]] = []  # persons by full name: who a shared surname means
        for m in _ROLE_NAME.finditer(masked):
            role, name = _after_org(_strip_leading(m.group("role")), m.group("name").split())
            if name[:1].isupper():
                self._person(name, role or None)
        for regex in (_FORWARD, _ACCORDING):
            for m in regex.finditer(masked):
                if (cue := _make_cue(m, 0)) and not re.fullmatch(_PRON + "|" + _ROLE_REF, cue.subj):
                    entity = self._named(cue.subj)
                    if entity is not None and entity.kind != "person":
                        self.mentions.append((cue.subj_start, entity))
        for entity in self.persons.values():
            full = [(at, entity) for at in _whole_word_at(entity.name, masked)]
            self.full_mentions += full
            self.mentions += full
            if entity.surname != entity.name:
                self.mentions += [(at, entity) for at in _whole_word_at(entity.surname, masked)]
        self.full_mentions.sort(key=lambda pm: pm[0])
        for a in attributions:
            self.mentions.append((a.start, _Entity(a.source_name, None, "media")))
        self.mentions.sort(key=lambda pm: pm[0])

    def _person(self, name: str, role: str | None) -> _Entity:
        entity = self.persons.get(name)
        if entity is None:
            entity = self.persons[name] = _Entity(name, role, "person")
        elif entity.role is None:
            entity.role = role
        return entity

    def _named(self, subj: str, pos: int | None = None) -> _Entity | None:
        """The entity a written name refers to: a known person by full name or surname, else as written.

        None when the words name nobody: a bare title ("Dr", "Mr Justice") or, away from ``pos``, a role
        without a name ("the Minister of Defence said"), which ``pos`` resolves to the latest holder."""
        subj = re.sub(r"^(?:the|The)[ \t]+", "", subj)
        for entity in sorted(self.persons.values(), key=lambda e: -len(e.name)):
            if subj == entity.name or subj.endswith(" " + entity.name):
                return entity
        tokens = subj.split()
        if len(tokens) == 1 or _is_role_word(tokens, len(tokens) - 2):
            if found := self._by_surname(tokens[-1], pos):
                return found
        low = [_plain(t) for t in tokens]
        for k in range(len(tokens) - 1):  # a judge's style is a name: "Mr Justice Haddon-Cave", "Lady Justice X"
            if low[k] in {"mr", "mrs", "ms", "miss", "lord", "lady"} and low[k + 1] == "justice":
                if k + 2 == len(tokens):
                    return None
                return self._person(" ".join(tokens[k:]), " ".join(tokens[:k]) or None)
        roles = [i for i in range(len(tokens)) if _is_role_word(tokens, i)]
        if roles:
            rest = tokens[roles[-1] + 1 :]
            if not rest or not rest[0][:1].isupper():  # "California Governor", "the Minister of Defence"
                return self._holder(low[roles[-1]], pos)
            if not _is_org(rest):
                return self._person(" ".join(_without_emphasis(rest)), " ".join(tokens[: roles[-1] + 1]))
        if _is_org(tokens):
            return None if len(tokens) == 1 and tokens[0].endswith(("'s", "’s")) else _Entity(subj, None, "org")
        tokens = _without_emphasis(tokens)
        if len(tokens) >= 2:
            return self._person(" ".join(tokens), None)
        return _Entity(tokens[0], None, "unknown")

    def _by_surname(self, surname: str, pos: int | None) -> _Entity | None:
        """The person a surname alone means: of several who share it, the one last named in full before it."""
        same = [e for e in self.persons.values() if e.surname == surname]
        if len(same) > 1 and pos is not None:
            for p, entity in reversed(self.full_mentions):
                if p < pos and any(entity is e for e in same):
                    return entity
        return same[0] if same else None

    def _holder(self, role: str, pos: int | None) -> _Entity | None:
        """The latest person named with this role before ``pos``; a title alone ("Dr") holds nobody."""
        if pos is None or role in _HONORIFICS:
            return None
        return self._latest(pos, lambda e: e.kind == "person" and _holds(e, role))

    def _latest(self, pos: int, ok: Any) -> _Entity | None:
        for p, entity in reversed(self.mentions):
            if p < pos and ok(entity):
                return entity
        return None

    def resolve(self, cue: _Cue) -> _Entity | None:
        subj, pos = cue.subj, cue.subj_start
        low = subj.lower()
        if low in {"he", "she"}:
            avoid = "m" if low == "she" else "f"
            return self._latest(pos, lambda e: e.kind == "person" and e.gender != avoid)
        if low == "it":
            return self._latest(pos, lambda e: e.kind in {"org", "unknown", "media"})
        if low == "they":
            return None
        if re.fullmatch(_ROLE_REF, subj):
            noun = low.split()[-1]
            if noun in _MEDIA_NOUNS:
                found = self._latest(pos, lambda e: e.kind == "media")
                return _Entity(found.name, " ".join(low.split()[1:]), "media") if found else None
            if noun in _ORG_NOUNS:
                return self._latest(pos, lambda e: e.kind == "org" and noun in e.name.lower())
            found = self._latest(pos, lambda e: e.kind == "person" and _holds(e, noun))
            if found is None and noun in _GENERIC_PERSON:
                found = self._latest(pos, lambda e: e.kind == "person")
            return found
        return self._named(subj, pos)


def _holds(entity: _Entity, noun: str) -> bool:
    """Whether a person was named with this role; "the judge" also means a "Mr Justice X"."""
    key = "spokes" if noun.startswith("spokes") or noun == "spox" else noun
    role = (entity.role or "").lower()
    if len(key) > 3 and key in role or re.search(rf"\b{re.escape(key)}\b", role):  # "mp" is not in "champion"
        return True
    return key == "judge" and re.search(r"\bjustice\b", entity.name.lower()) is not None


def _opens_sentence(word: str, after_opener: bool) -> bool:
    """An adverb or time word before the subject. A month that is also a given name counts only after
    another opener ("In June Smith said"), so "June Brown said" keeps its speaker."""
    low = word.lower().rstrip(",")
    if low in _SENTENCE_OPENERS:
        return True
    return low in _MONTH_NAMES and (after_opener or low not in _GIVEN_NAME_MONTHS)


def _plain(token: str) -> str:
    return token.lower().rstrip(".")


def _is_role_word(tokens: Sequence[str], i: int) -> bool:
    """A role or title at ``tokens[i]``; an abbreviated title only before a name ("Sen. Jane Roe", not "Hun Sen")."""
    word = _plain(tokens[i])
    if word in _PERSON_ROLES and word not in _HONORIFICS:
        return True
    if word in _HONORIFICS:
        return i < len(tokens) - 1
    return "-" in word and any(part in _PERSON_ROLES for part in word.split("-"))  # "Secretary-General"


def _without_emphasis(tokens: list[str]) -> list[str]:
    """Tabloids set a story's first word in capitals ("FORMER Tory MP ..."): such a word is no part of a name.
    Only words with a vowel and three letters or more, so initials ("JK Rowling") stay."""
    while (len(tokens) > 1 and len(tokens[0]) >= 3 and tokens[0].isalpha() and tokens[0].isupper()
           and re.search("[AEIOUY]", tokens[0]) and not tokens[1].isupper()):
        tokens = tokens[1:]
    return tokens


def _after_org(role: str, tokens: list[str]) -> tuple[str, str]:
    """Role and name of "head of the Interior Ministry Jane Roe": the name follows the last organisation
    word, and there is none in "Taiwan Executive Council"."""
    last = max((i for i in range(len(tokens)) if _is_org(tokens[i : i + 1])), default=-1)
    return " ".join([role, *tokens[: last + 1]]).strip(), " ".join(tokens[last + 1 :])


def _is_org(tokens: Sequence[str]) -> bool:
    return any(t.lower().strip("'’") in _ORG_WORDS or t.endswith(("'s", "’s")) for t in tokens)


def _strip_leading(phrase: str) -> str:
    tokens, trimmed = phrase.split(), False
    while tokens and (tokens[0].lower() in _LEADING_STOP or _opens_sentence(tokens[0], trimmed)):
        tokens.pop(0)
        trimmed = True
    return " ".join(tokens)
