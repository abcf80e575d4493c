"""Split an article into paragraphs and sentences with offsets, and flag what is not article text.

Offsets always point into the text as given, so a span shown on a page is the span that was
scraped. Scrapes mix the story with navigation lists, meta-tag lines, contact lines and repeated
titles; archived agency copy is hard-wrapped, marks paragraphs with control characters and trailing
'<', '¶' or '=', and carries slugs, bylines and end markers. Those are kept (the article stays whole)
but flagged, so matching never sees them; wrapped lines are joined back into the paragraphs they were.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import regex
from sentencex import get_sentence_boundaries

# Paragraph kinds that are never treated as the outlet's own reporting.
BOILERPLATE_KINDS = frozenset(
    {"navigation", "meta", "contact", "related", "credit", "form", "wire", "byline", "template"}
)
# Sentences shorter than this (normalised characters) are too generic to prove reuse.
MIN_MATCH_CHARS = 40

# A word: letters, combining marks and digits of any script. `re`'s \w leaves out marks, so Hindi's
# vowel signs and decomposed (NFD) accents would split words.
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_LETTER = regex.compile(r"[\p{L}\p{M}]")
_GROUPED = regex.compile(r"(?<![\p{N}.,'’])\p{N}{1,3}(?:[,.'’\u00a0\u202f ]\p{N}{3})+(?!\p{N})")
_GROUP_MARK = regex.compile(r"[,.'’\u00a0\u202f ]")
# Scripts written without spaces between words, and those whose one character carries about a word.
_CJ = r"\p{Han}\p{Hiragana}\p{Katakana}"  # Chinese and Japanese characters
_HANGUL = r"\uac00-\ud7a3"  # Korean syllable blocks
_UNSPACED = regex.compile(rf"[{_CJ}\p{{Thai}}\p{{Lao}}\p{{Khmer}}\p{{Myanmar}}\p{{Tibetan}}]")
_DENSE = regex.compile(rf"[{_CJ}]")
_FIGURES_IN_WORDS = regex.compile(rf"[{_CJ}{_HANGUL}]")  # scripts that write a figure inside a word ("12명이")
_DIGITS = regex.compile(r"\p{Nd}+")
_DENSE_WEIGHT = 3  # a Chinese or Japanese character counts as this many normalised characters
# Characters that say more than one letter of an alphabet: Chinese and Japanese ones (group 1) about a
# word, a Korean syllable block two or three letters.
_HEAVY = regex.compile(rf"([{_CJ}])|[{_HANGUL}]")
_SYLLABLE_WEIGHT = 2
_HEAVY_OR_RUN = regex.compile(rf"[{_CJ}{_HANGUL}]|[^{_CJ}{_HANGUL}]+")
# Sentence ends of other scripts, where lines are tested for ending a sentence.
_STOPS = ("。", "！", "？", "।", "॥", "۔", "؟", "።", "။", "…")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Stored in settings: another splitter makes other sentences (2: wrapped lines joined; 3: wire lines,
# tab-opened and capitals copy, headline lists).
SPLITTER = "sentencex-3"
DEFAULT_LANGUAGE = "en"
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_LINE = re.compile(
    rf"^[\W\d_]*((mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(\d{{1,2}}\s+{_MONTH}|{_MONTH}\s+\d{{1,2}},?)?"
    rf"[\s,]*\d{{4}}\b[\W\d_]*(am|pm|gmt|utc|[ap]\.m\.)?[\W\d_]*$",
    re.I,
)
# Words that open sentences too ("Related parties met…", "Watch makers said…"): a link's label only
# when a mark follows them or in a short line.
_LINK_WORDS = "(related|recommended|watch|explore|trending)"
# (kind, pattern, words one of which the lower-cased line must contain for an unanchored pattern to match:
# a substring test skips the pattern on most lines, where the regex would try every position; the most
# words a line may have: a long sentence that mentions an e-mail, a source or cookies is reporting).
_PATTERNS: list[tuple[str, re.Pattern[str], tuple[str, ...], int | None]] = [
    ("meta", re.compile(r"^\d+\s+min(ute)?s?\s+read$", re.I), (), None),
    ("meta", re.compile(r"^(https?://|www\.)\S+$|^/html/|^\S*[/@]\S*\s+\S*[/@]\S*$", re.I), (), None),
    ("meta", re.compile(r"^story code\s*:|^updated\s*:|^published\s*:|^last updated\b", re.I), (), None),
    ("meta", re.compile(r"^\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?$|^\d{4}-\d{2}-\d{2}T[\d:+\-Z]+$", re.I), (), None),
    ("meta", re.compile(r"©|\ball rights reserved\b|^copyright\b", re.I), ("©", "all rights reserved", "copyright"),
     None),
    ("form", re.compile(r"^leave a (reply|comment)|email address will not be published|required fields"
                        r" are marked|captcha|time limit is exhausted|^(post|submit) comment$", re.I),
     ("leave a", "email address", "required fields", "captcha", "time limit", "comment"), None),
    ("contact", re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+\.[\w.]+|^follow (us|\w+) on\b|^(tel|phone|fax)\s*[:.]",
                           re.I), ("@", "follow", "tel", "phone", "fax"), 25),
    ("related", re.compile(rf"^(read more|read also|also read|see also|more on this|most read|latest news|top stories"
                           rf"|{_LINK_WORDS}(\s*$|\s*[:|»›>]|\s+[–—-]\s))", re.I), (), None),
    ("related", re.compile(rf"^{_LINK_WORDS}\b", re.I), (), 6),
    ("credit", re.compile(r"^sources?\s*:|\bwith inputs from\b|^\(?(reporting|writing|editing|additional"
                          r" reporting) by\b", re.I),
     ("source", "with inputs from", "reporting", "writing", "editing"), 25),
    ("meta", re.compile(r"^(share|tweet|print|subscribe|sign up|log in|cookies?|we use cookies|accept"
                        r"( all)?|advertisement|discuss|comments?)\b.{0,60}$", re.I), (), None),
    # The last patterns describe short lines of scraped pages; a long sentence that matches is reporting.
    ("meta", re.compile(r"^(?=.*\bcookies?\b).*\b(accept|agree|policy|consent|experience|use of|storing)\b"
                        r"|\b(sign up|subscribe)\b.*\bnewsletter\b|^subscribe to\b|^tags?\s*:"
                        r"|^like this (story|article)\b|^share (it|this|on)\b"
                        r"|^(posted |written |published )?by [A-Z][\w.'’-]+( [A-Z][\w.'’-]+){0,3}\.?$", re.I),
     ("cookie", "newsletter", "subscribe", "tag", "like this", "share", "by "), 30),
    ("contact", re.compile(r"^(join|follow|find) (us|our \w+)( \w+)? on\b|\b(telegram|whatsapp|twitter|facebook"
                           r"|instagram|youtube|tiktok) (channel|page|account)\b", re.I),
     ("join", "follow", "find", "telegram", "whatsapp", "twitter", "facebook", "instagram", "youtube", "tiktok"), 30),
    ("related", re.compile(r"^(click here|you (may|might) also like|more (from|on|in)\b|don'?t miss)", re.I), (), 30),
]
# Agency copy's own lines: a paragraph each even inside wrapped copy, never the story. Rules; end and
# take markers (ENDS, MORE, (END), -30-, REUTER); slug lines opening with a time and a date or naming a
# page and desk ("09:12 03/02/22: Page 2 (XYZ) POLITICS Treaty"); transmission stamps
# ("AP-NY-02-03-22 1254EST", "AFP 031254 GMT FEB 22"); AFP's desk initials ("jd/pmr"); ANPA slugs and
# selectors ("BC-Fishing Treaty,0612", "a0412"); advisories; copyright notices; bylines.
_NAME = r"\p{Lu}[\p{L}\p{M}.'’-]*(?:\s+(?:\p{Lu}[\p{L}\p{M}.'’-]*|(?:de|van|von|der|den|al|el|bin|da|di|du|la|le)\b)){0,4}"
_TITLED = r"(?:(?:in|of|for|the|and|at|&)\s+)?\p{Lu}[\p{L}\p{M}.'’-]*"
_WIRE_PATTERNS: list[tuple[str, regex.Pattern[str]]] = [
    ("wire", regex.compile(
        r"^(?:[-=_*~#+.\s]*[-=_*~#]{3,}[-=_*~#+.\s]*|[=*#]+|-+\s*(?:0|30)\s*-+|(?i:zczc|nnnn)"
        r"|\(?(?i:more|ends?|end of story|reuters?|advisory|urgent|flash|bulletin|writethru|ap|afp|pa|dpa|tass)\)?"
        r"(?:\s+\d{3,4}(?:\s*\p{Lu}{2,3})?)?)$")),
    ("wire", regex.compile(
        r"^\d{1,2}[:.]\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?\s*)?,?\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b"
        r"|^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}:?\s+\d{1,2}[:.]\d{2}\b|^.{0,40}\b(?i:page)\s+\d+\s*\(\p{Lu}{2,}\)")),
    ("wire", regex.compile(r"^\p{Lu}{2,5}-\p{Lu}{2,3}-\d{2}-\d{2}-\d{2,4}\s+\d{3,4}\s*\p{Lu}{2,4}$"
                           r"|^(?:(?i:afp|ap|pa|reuters?|rtrs)\s+)?\d{6}\s*(?i:gmt|utc)\b.{0,20}$")),
    ("wire", regex.compile(r"^\p{Ll}{2,4}(?:[/-]\p{Ll}{2,5}){1,5}$|^\p{Ll}\d{4}\b"
                           r"|^(?i:bc|am|pm|rtrs|afp|ap|upi)-[\w/'-]+(?:[ ,]+[\w/'-]+)*$")),
    ("wire", regex.compile(r"^(?i:advisory|eds?|editors|editor's note|note to editors|attention|corrections?|corrects?|repeats?"
                           r"|clarification|catchline|keywords?|slug|priority)\b[^:\n]{0,40}:|^(?i:embargo(?:ed)?)\b")),
    ("meta", regex.compile(r"^(?i:copyright|©|\(c\))\s*(?:©|\(c\))?\s*(?:\d{4}|(?i:by|the)\b)")),
    ("byline", regex.compile(rf"^(?i:by)\s+{_NAME}(?:\s*(?:,|\band\b|&)\s*{_NAME})*(?:\s*,\s*{_TITLED}(?:\s+{_TITLED}){{0,6}})?$")),
    ("byline", regex.compile(r"^(?:\p{Lu}[\p{L}.'’-]*\s+){1,4}(?:Writers?|Correspondents?|Editors?|Reporters?|News|Staff)$")),
]
_WIRE_WORDS = 25  # a wire line is short; a sentence that happens to start like one is reporting
# Control characters (tab and the line endings aside): never matched, never at a sentence's edge.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# Wire systems open and close paragraphs and stories with C0 controls (STX, ETX, RS, US, VT, FF); with
# Unicode's line and paragraph separators they end a paragraph. Not inside a word ("Treasury\x12s",
# a mis-encoded apostrophe), nor C1 controls, which are mostly cp1252 quotes and dashes decoded wrongly.
_BREAK = regex.compile(r"(?<![\p{L}\p{N}])[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]"
                       r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029](?![\p{L}\p{N}])")
# A trailing '<' (ANPA's quad), '¶' or '=' closes a paragraph of agency copy, a leading '¶' or ANPA's '^'
# opens one; only next to text, so a rule of '=' is a rule.
_CLOSE_MARK = re.compile(r"(?<=[^\s<¶=])[ \t]*[<¶=]$")
_OPEN_MARK = re.compile(r"^[ \t]*[¶^][ \t]*(?=\S)")
_MIN_WRAP, _MAX_WRAP = 40, 110  # the columns hard-wrapped copy may be filled to
# A dateline opening agency copy: a place in capitals, maybe a region and a date, the agency, a dash
# ("LONDON, Feb 3 (Reuters) -", "OSLO, Norway (AP) _", "SALVADOR, Feb 26 -", "MOSCOW, February 3. /TASS/.").
_DATELINE = regex.compile(
    r"^\p{Lu}[\p{Lu}\p{M}.'’\- ]{1,30}?(?:,\s*\p{Lu}[\p{L}\p{M}.'’\-]*(?:\s\p{Lu}[\p{L}\p{M}.'’\-]*){0,2})??"
    r"(?P<date>,?\s*(?:\p{L}{3,9}\.?\s+\d{1,2}|\d{1,2}\s+\p{L}{3,9})\.?)?"
    r"\s*(?:\([^()\n]{1,40}\)\s*(?:-{1,2}|[—–_])|/[^/\s]{2,20}/\.?|(?(date)(?:-{1,2}|[—–_])|(?!)))(?=\s|$)"
)


@dataclass
class Sentence:
    start: int  # offset inside the paragraph text
    end: int
    kind: str = "text"  # text | title | short | repeat | boilerplate | dateline
    norm: str | None = field(default=None, compare=False, repr=False)  # its normal form, kept for shingling

    @property
    def matchable(self) -> bool:
        return self.kind in ("text", "title")


@dataclass
class Paragraph:
    position: int
    start: int  # offset inside the article text
    text: str
    kind: str = "text"
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def boilerplate(self) -> bool:
        return self.kind in BOILERPLATE_KINDS


def normalise(text: str) -> tuple[str, list[int]]:
    """Lower-case words joined by single spaces, with the source offset of every character.

    Shingles are taken on this form so that punctuation, quotes and missing spaces after periods
    ("announced.The") do not break the match, and so that what is a desk's typing habit rather than
    its wording gives the same shingles: composed and decomposed accents (NFC and NFD), full-width
    and half-width forms, the spellings ``_HABITS`` folds, and what a scrape leaves (character
    references, invisible hints: ``_read``). The offsets let a match be mapped back to the text.
    """
    if _scraped(text):
        read, source = _read(text)
        norm, pos = _normalised(read)
        return norm, [source[i] for i in pos]
    return _normalised(text)


def _normalised(text: str) -> tuple[str, list[int]]:
    plain = unicodedata.is_normalized("NFC", text) and (text.isascii() or not _FOLDED.search(text))
    out: list[str] = []
    pos: list[int] = []
    for m in _WORD.finditer(text):
        word = m.group()
        if plain and len(low := word.lower()) == len(word):
            chars, at = low, range(m.start(), m.end())
        else:
            # Decomposed text, a character whose lower case is longer (e.g. 'İ'), or one to fold: each
            # grapheme is composed on its own and its pieces point at its first character. The word is
            # lowered whole, as normal_form lowers it (a final sigma depends on its neighbours).
            pieces = [(_composed(g.group()), m.start() + g.start()) for g in _GRAPHEME.finditer(word)]
            chars = "".join(p for p, _ in pieces).lower()
            at = [i for piece, i in pieces for _ in piece.lower()]
            if len(folded := chars.translate(_HABITS)) < len(chars):
                at = [i for c, i in zip(chars, at) if _HABITS.get(ord(c), c) is not None]
            chars = folded
        if not chars:  # a run of tatweel, a rule drawn in the text
            continue
        if out:
            out.append(" ")
            pos.append(m.start() - 1)
        out.append(chars)
        pos.extend(at)
    return "".join(out), pos


_GRAPHEME = regex.compile(r"\X")
# Spellings that are a desk's typing habit, not its wording: Arabic's optional vowel marks and its
# tatweel (a stretch of the line), hamza written on alef or left off, a final yeh written dotless,
# the yeh and kaf of Persian keyboards, and Russian ё, which most desks write е. Applied to lower case.
_HABITS: dict[int, str | None] = {
    **{c: None for c in [0x0640, 0x0670, *range(0x064B, 0x0660)]},
    **{c: "\u0627" for c in (0x0622, 0x0623, 0x0625, 0x0671)}, 0x0649: "\u064a", 0x06CC: "\u064a",
    0x06A9: "\u0643", 0x0451: "\u0435",
}
# Forms a desk's tools choose, read as the letters they stand for (Unicode's compatibility forms): full-
# width Latin letters and digits and half-width katakana ("ＮＡＴＯ", "２０２２", "ｳｸﾗｲﾅ"), the width a
# Chinese or Japanese text types them in; the ligatures and Arabic presentation forms of text taken
# from a PDF ("ﬁnance", "ﻣﺮﺣﺒﺎ").
_COMPATIBLE = "\ufb00-\ufb17\ufb50-\ufdff\ufe70-\ufefe\uff00-\uffef"
_WIDE = re.compile(f"[{_COMPATIBLE}]")
_FOLDED = re.compile(f"[{_COMPATIBLE}\u0401" + "".join(map(chr, _HABITS)) + "]")


# Character references a scraper left in the text ("Trump&#8217;s", "&quot;", "caf&eacute;"): read as
# the characters they stand for. Otherwise a desk whose text has the character and one whose scrape
# has the reference share no shingle around it, and "&#8217;" reads as the figure 8217.
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Characters that only hint at a line break or a ligature: a soft hyphen, zero-width space, joiner,
# word joiner, byte-order mark. A site that hyphenates "inter\u00adnational" says "international".
_INVISIBLE = "[\u00ad\u200b\u200d\u2060\ufeff]"
_HIDDEN = re.compile(f"{_REFERENCE.pattern}|{_INVISIBLE}")
_HINT = re.compile(_INVISIBLE)
_READINGS = 3  # a scrape escaped twice or three times is read back; "&amp;amp;…" nested deeper is not text


def _scraped(text: str) -> bool:
    return ("&" in text and _REFERENCE.search(text) is not None) or (
        not text.isascii() and _HINT.search(text) is not None)


def _read(text: str) -> tuple[str, list[int]]:
    """The text with its character references read, those of a scrape escaped twice ("&amp;quot;")
    too, and its invisible hints left out; with the source offset of each of its characters (a
    reference's characters point at its '&', which ``source_end`` steps past)."""
    source = list(range(len(text)))
    for _ in range(_READINGS):
        out: list[str] = []
        at: list[int] = []
        last = 0
        for m in _HIDDEN.finditer(text):
            char = _stands_for(m.group()) if m.group().startswith("&") else ""
            if char is None:
                continue
            out += (text[last:m.start()], char)
            at += [*source[last:m.start()], *[source[m.start()]] * len(char)]
            last = m.end()
        if not last:
            break
        out.append(text[last:])
        text, source = "".join(out), at + source[last:]
    return text, source


def read_quote_references(text: str) -> str:
    """The text with each reference to a quotation mark ("&quot;", "&#8220;") written as the mark,
    padded with spaces to the reference's length, so offsets stay: at its start where it closes a
    quote (after a word or a stop), at its end where it opens one."""
    def mark(m: re.Match) -> str:
        char = _stands_for(m.group())
        if char is None or len(char) != 1 or char not in _QUOTES:
            return m.group()
        before = m.string[m.start() - 1] if m.start() else " "
        pad = " " * (len(m.group()) - 1)
        return char + pad if before.isalnum() or before in ".,!?…" else pad + char
    return _REFERENCE.sub(mark, text) if "&" in text else text


def _stands_for(reference: str) -> str | None:
    """What a character reference stands for; None when HTML does not know it ("&bogus;")."""
    char = html.unescape(reference)
    return None if char == reference else char


def _said_at(text: str, i: int) -> tuple[str, int]:
    """What the text says at ``i`` and the offset after it: a reference read whole."""
    if text.startswith("&", i) and (m := _REFERENCE.match(text, i)) and (char := _stands_for(m.group())) is not None:
        return char, m.end()
    return text[i], i + 1


def source_end(text: str, i: int) -> int:
    """The offset after the source character at ``i``: past the whole reference when one starts there,
    and past a reference escaped twice ("&amp;eacute;"), whose '&' ``_read`` reads and then reads on from."""
    char, end = _said_at(text, i)
    for _ in range(_READINGS - 1):
        m = _REFERENCE.match("&" + text[end:end + 40]) if char == "&" and end > i + 1 else None
        if m is None or (char := _stands_for(m.group())) is None:
            break
        end += m.end() - 1
    return end


def _composed(grapheme: str) -> str:
    return unicodedata.normalize("NFKC" if _WIDE.search(grapheme) else "NFC", grapheme)


def normal_form(text: str) -> str:
    """``normalise(text)[0]`` without the offsets: the hot path, for shingling."""
    if _scraped(text):
        text = _read(text)[0]
    if unicodedata.is_normalized("NFC", text):
        if text.isascii() or not _FOLDED.search(text):
            return " ".join(_WORD.findall(text)).lower()
        if not _WIDE.search(text):  # spellings to fold, one character for one or none
            return " ".join(w for w in " ".join(_WORD.findall(text)).lower().translate(_HABITS).split(" ") if w)
    return _normalised(text)[0]


def stated_numbers(text: str, norm: str | None = None) -> frozenset[str]:
    """The numbers a sentence states, for telling a formula about other facts from a rendering. A
    figure written with digit groups is one number: "50,000", "50.000" and "50 000" are 50000, as a
    translation or a rewrite regroups them, and "1,200" is not "1,500" for sharing a "1". ``norm``:
    the text's normal form when the caller has it, used unless a figure had to be joined."""
    if _scraped(text):
        text, norm = _read(text)[0], None
    joined = _GROUPED.sub(lambda m: _GROUP_MARK.sub("", m[0]), text)
    if joined != text or norm is None:
        norm = normal_form(joined)
    if norm.isascii():
        return frozenset(t for t in norm.split() if t.isdigit())
    # Chinese and Japanese write figures inside a run of words ("2022年2月3日"), Korean attaches a
    # counter and a particle to them ("12명이").
    return frozenset(n for t in norm.split()
                     for n in (_DIGITS.findall(t) if _FIGURES_IN_WORDS.search(t) else [t] * t.isdigit()))


def word_stems(norm: str) -> frozenset[str]:
    """The words of a normalised sentence cut to five characters: a light stemmer for any alphabet
    ("arrested", "arrests" -> "arres"), so that a rendering that inflects or reorders words still
    shares them. Chinese, Japanese and Korean run words together or attach particles to them: there
    each character or syllable is a stem of its own, as a word or a syllable of one."""
    if norm.isascii() or not _HEAVY.search(norm):
        return frozenset(w[:5] for w in norm.split())
    return frozenset(p[:5] for w in norm.split() for p in _HEAVY_OR_RUN.findall(w))


def matchable_length(norm: str) -> int:
    """Length of a normalised sentence for the ``MIN_MATCH_CHARS`` floor: a Chinese or Japanese
    character says about as much as three letters of an alphabet, a Korean syllable two."""
    return len(norm) + sum(w - 1 for _, w in heavy_characters(norm))


def heavy_characters(text: str) -> list[tuple[int, int]]:
    """(position, weight in letters) of the characters of ``text`` that weigh more than one letter:
    what a shingle of five letters' worth spans fewer of."""
    if text.isascii():
        return []
    return [(m.start(), _DENSE_WEIGHT if m.group(1) else _SYLLABLE_WEIGHT) for m in _HEAVY.finditer(text)]


def word_count(text: str) -> int:
    """Words in a line, also in scripts that write none of the spaces ``str.split`` counts: a
    Chinese or Japanese character is about two thirds of a word, a Thai or Khmer one a quarter."""
    if text.isascii() or not _UNSPACED.search(text):
        return len(text.split())
    unspaced = len(_UNSPACED.findall(text))
    dense = len(_DENSE.findall(text))
    return len(_UNSPACED.sub(" ", text).split()) + max(1, round(dense / 1.5 + (unspaced - dense) / 4))


def language_of(text: str, given: str | None = None) -> str:
    """The language of an article: its record's tag ("en-GB", "zh_CN") when it has one, else
    py3langid's guess from its opening (its model ships in the wheel; nothing is fetched)."""
    if given and (m := re.match(r"\s*([A-Za-z]{2,3})(?:$|[-_\s])", given)):
        return m.group(1).lower()
    sample = text[:400]
    if not _LETTER.search(sample):
        return DEFAULT_LANGUAGE
    return _identifier().classify(sample)[0]


@lru_cache(maxsize=1)
def _identifier():
    import py3langid

    return py3langid


def segment(text: str, title: str | None = None, language: str | None = None) -> list[Paragraph]:
    spans, wrapped = _paragraph_spans(text)
    paragraphs = [Paragraph(n, s, text[s:e]) for n, (s, e) in enumerate(spans)]
    _classify_paragraphs(paragraphs, title, wrapped)
    language = language or language_of(text)
    seen: set[str] = set()
    for p in paragraphs:
        # A dateline ("LONDON, Feb 3 (Reuters) -") is the agency's signature, not its reporting: the
        # sentence it opens is matched without it, as a newspaper that drops it prints it.
        dateline = _DATELINE.match(p.text) if p.kind == "text" else None
        skip = dateline.end() if dateline else 0
        p.sentences = [Sentence(0, skip, "dateline")] if dateline else []
        p.sentences += [Sentence(s + skip, e + skip) for s, e in split_sentences(p.text[skip:], language)]
        for s in p.sentences[bool(dateline):]:
            norm = s.norm = normal_form(p.text[s.start:s.end])
            if p.boilerplate:
                s.kind = "boilerplate"
            elif matchable_length(norm) < MIN_MATCH_CHARS:
                s.kind = "short"
            elif norm in seen:
                s.kind = "repeat"  # a title repeated as heading, a caption repeated: not reuse
            elif p.kind == "title":
                s.kind = "title"
            seen.add(norm)
    return paragraphs


def split_sentences(text: str, language: str | None = None) -> list[tuple[int, int]]:
    """Sentence spans in a paragraph, by sentencex's rules for the language (abbreviations,
    "3 p.m.", "announced.The", 。, ।, ۔), with surrounding spaces left out.

    sentencex never ends a sentence inside quotes; a quoted statement of several sentences is what
    outlets translate sentence by sentence, so it sees the quote marks as spaces, and a closing
    quote goes back to the sentence it closes.
    """
    plain = _CONTROL.sub(" ", text) if _CONTROL.search(text) else text  # sentencex reads controls as spaces
    masked = read_quote_references(plain).translate(_AS_SENTENCEX_READS)  # a scrape's "&quot;" too
    if _SURROGATE.search(masked):  # a lone surrogate cannot cross into sentencex; same length, same offsets
        masked = _SURROGATE.sub("\ufffd", masked)
    spans: list[tuple[int, int]] = []
    done = 0
    for b in get_sentence_boundaries(language or language_of(text), masked):
        start, end = done, b["end_index"]  # sentencex's spans are contiguous: each starts where the last ended
        while end > start and masked[end - 1].isspace():
            end -= 1
        while end < len(text) and (said := _said_at(text, end))[0] in _CLOSERS:
            end = said[1]
        done = max(done, end)
        while start < end and plain[start].isspace():
            start += 1
        if start < end:
            spans.append((start, end))
    return spans


_QUOTES = "\"“”„‟«»「」『』‹›'‘’‚‛`"  # ` for TeX's ``quotes''

# What sentencex reads: quotes as spaces, full-width forms as the ASCII they stand for ("０．７５" is
# a figure, not the end of a sentence at "．"). One character for one: offsets stay.
_AS_SENTENCEX_READS = str.maketrans({**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
                                     **{q: " " for q in _QUOTES + "\uff02\uff07\uff40"}})
_CLOSERS = frozenset("\"”’»」』›'")


@dataclass
class _Line:
    start: int  # the line's text in the article, indentation, marks and control characters left out
    end: int
    width: int  # columns it fills, indentation included
    indent: int
    first: int  # columns of its first word: the line before was full if that word would not have fitted
    brk: bool  # a blank line, a control character or a paragraph mark comes before it
    alone: bool = False  # a header, byline or marker: a paragraph of its own

    def text(self, text: str) -> str:
        return text[self.start:self.end]


def _lines(text: str) -> list[_Line]:
    """Physical lines, cut also at control characters, with the marks around them read and left out."""
    lines: list[_Line] = []
    brk, pos = True, 0
    for raw in text.split("\n"):
        base, pos = pos, pos + len(raw) + 1
        pieces = _BREAK.split(raw) if _CONTROL.search(raw) else [raw]
        at = base
        for i, piece in enumerate(pieces):
            offset, at = at, at + len(piece) + 1
            brk = brk or i > 0
            body = piece.rstrip()
            closed = i < len(pieces) - 1
            if (mark := _CLOSE_MARK.search(body)) and _ALNUM.search(body):
                body, closed = body[:mark.start()].rstrip(), True
            opening = _OPEN_MARK.match(body)
            lead = opening.end() if opening else len(body) - len(body.lstrip())
            if lead == len(body):  # nothing but blanks and marks
                brk = True
                continue
            line = raw[:offset - base + len(body)]
            width = len(_BREAK.sub("", line).expandtabs()) if i else len(line.expandtabs())
            word = body[lead:].split(None, 1)[0]
            lines.append(_Line(offset + lead, offset + len(body), width, len(body[:lead].expandtabs()),
                               1 if _UNSPACED.match(word) else len(word), brk or bool(opening)))
            brk = closed
    return lines


_ALNUM = regex.compile(r"[\p{L}\p{N}]")


def flowed(text: str) -> str:
    """The text with each paragraph on one line and each control character a line break, offsets
    unchanged: for matchers that read line by line (credits, quotes), so that they read a sentence
    wrapped over lines of agency copy whole and never read across a paragraph mark."""
    spans, wrapped = _paragraph_spans(text)
    if not wrapped and not _CONTROL.search(text):
        return text
    chars = list(_BREAK.sub("\n", text))
    for start, end in spans:
        for i in range(start, end):
            if chars[i] == "\n":
                chars[i] = " "
    return "".join(chars)


@lru_cache(maxsize=8)  # the loader segments a text and reads its quotes and credits: split it once
def _paragraph_spans(text: str) -> tuple[tuple[tuple[int, int], ...], bool]:
    """Paragraph spans, and whether the text is hard-wrapped: one paragraph per line, except in copy
    filled to a fixed width, whose lines are joined back into the paragraphs that their marks,
    indents and short last lines show."""
    lines = _lines(text)
    capitals = [_capitals(line.text(text)) for line in lines]
    caps_copy = sum(capitals) > max(3, len(lines) // 2)  # old telex copy is all capitals: no headline stands out
    for line, caps in zip(lines, capitals):
        line.alone = _wire_kind(line.text(text)) is not None or caps and not caps_copy
    margin = _margin(lines)
    width = _wrap_width(text, lines, margin, caps_copy)
    spans: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        if i and width and _continues(text, lines[i - 1], line, width, margin, caps_copy):
            spans[-1] = (spans[-1][0], line.end)
        else:
            spans.append((line.start, line.end))
    return tuple(spans), width is not None


def _wrap_width(text: str, lines: list[_Line], margin: int, capitals: bool = False) -> int | None:
    """The column the text was hard-wrapped at, or None if it was not.

    Wrapping fills each line until the next word would not fit, so in wrapped copy most lines that go
    on to another line end near one width, and some break mid-sentence before a lower-case word
    (none does in copy all in ``capitals``); scraped paragraphs are longer, and a list of headlines
    stops short of any width or, of one length, ends no sentence.
    """
    pairs = [(a, b) for a, b in zip(lines, lines[1:]) if not (b.brk or a.alone or b.alone)]
    # An indent that opens a paragraph may fill its line beyond the width (a tab the wrapping did not count).
    widths = sorted(a.width for a, _ in pairs if a.width <= _MAX_WRAP and a.indent <= margin) or \
        sorted(a.width for a, _ in pairs if a.width <= _MAX_WRAP)
    if not widths:
        return None
    runs_on = [_runs_on(a.text(text), b.text(text)) for a, b in pairs]
    pairs = [(a, b, r) for (a, b), r in zip(pairs, runs_on) if b.indent <= margin or r]  # an indent opens a paragraph
    width = widths[len(widths) * 3 // 4]  # the upper quartile: most lines end near it, a few go beyond
    full = sum(width - 2 < a.width + 1 + b.first and a.width - max(0, a.indent - margin) <= width + 8
               for a, b, _ in pairs)
    lower = sum(r for _, _, r in pairs)
    # Without a lower-case line to show a sentence broken across lines, a line that ends one must show
    # that these are paragraphs, not a list of headlines of one length.
    enough = 0.7 if capitals else 0.85
    if width >= _MIN_WRAP and full >= 0.7 * len(pairs) and (
            lower or full >= enough * len(pairs) >= 3 and any(_ends_sentence(line.text(text)) for line in lines)):
        return width
    return None


def _margin(lines: list[_Line]) -> int:
    """The indent of the lines that go on a paragraph (the most common one; the least of a tie)."""
    counts: dict[int, int] = {}
    for line in lines:
        if not line.alone:
            counts[line.indent] = counts.get(line.indent, 0) + 1
    return min(counts, key=lambda n: (-counts[n], n)) if counts else 0


def _continues(text: str, prev: _Line, line: _Line, width: int, margin: int, capitals: bool = False) -> bool:
    """Whether ``line`` goes on with the paragraph of ``prev`` in copy wrapped at ``width`` columns."""
    if line.brk or prev.alone or _DATELINE.match(line.text(text)):  # a dateline opens the story
        return False
    runs_on = _runs_on(prev.text(text), line.text(text))
    if line.indent > margin and not runs_on:  # an indent opens a paragraph, not a sentence's second half
        return False
    full = prev.width + 1 + line.first > width - 2
    if line.alone:  # a marker or byline, unless it is the middle of a sentence ("by Jane Doe, who"; in copy
        # all in capitals, "POLLED / BY REUTERS LAST WEEK.", which no case shows)
        return full and (runs_on or capitals and not _ends_sentence(prev.text(text)))
    return full or runs_on


def _runs_on(line: str, following: str) -> bool:
    """A sentence broken across two lines: the first does not end it and the next starts in lower case."""
    return following[:1].islower() and not _ends_sentence(line)


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSING).endswith((".", "!", "?", ":") + _STOPS)


_CLOSING = "\"'”’»)]"


def _capitals(line: str) -> bool:
    """A line in capitals (an agency's headline), not an initialism: two words with cased letters."""
    if line.upper() != line or line.lower() == line:
        return False
    return sum(w.lower() != w for w in line.split()) >= 2


def _wire_kind(line: str) -> str | None:
    if len(line) > 160 or word_count(line) > _WIRE_WORDS:
        return None
    for kind, pattern in _WIRE_PATTERNS:
        if pattern.search(line):
            return kind
    return None


def _headline_like(text: str) -> bool:
    return 3 <= word_count(text) <= 25 and not _last_mark(text).endswith((".", "!", ":") + _STOPS)


def _question(text: str) -> bool:
    return _last_mark(text).endswith(("?", "？", "؟"))


def _last_mark(text: str) -> str:
    """The line up to its last mark, past closing quotes and brackets."""
    return text.rstrip().rstrip(_CLOSING)


def _classify_paragraphs(paragraphs: list[Paragraph], title: str | None, wrapped: bool = False) -> None:
    for p in paragraphs:
        p.kind = _line_kind(p.text)
    if not title:  # no title given: the first headline-like line is the title
        first = next((p for p in paragraphs if p.kind == "text"), None)
        title = first.text if first and _headline_like(first.text) else None
    title_norm = normal_form(title) if title else None
    for p in paragraphs:
        if title_norm and p.kind in ("text", "heading") and normal_form(p.text) == title_norm:
            p.kind = "title"
    if wrapped:  # wire copy links to no other stories: its short lines are headings, lists and tables
        return
    # Runs of three or more headline-like lines are lists of links to other stories, unless they are
    # mostly questions: a conversation, an interview or readers' questions, where a list of links holds
    # a question now and then.
    run: list[Paragraph] = []
    for p in paragraphs + [Paragraph(-1, -1, ".")]:
        if p.kind in ("text", "related") and _headline_like(p.text):
            run.append(p)
            continue
        if len(run) >= 3 and 2 * sum(_question(q.text) for q in run) < len(run):
            for q in run:
                q.kind = "navigation"
        run = []
    # A lone headline in Title Case inside the body is a link to a related story.
    for p in paragraphs:
        if p.kind == "text" and _headline_like(p.text) and _title_case(p.text) and len(p.text.split()) >= 5:
            p.kind = "related"


def _line_kind(text: str) -> str:
    if kind := _wire_kind(text):
        return kind
    if (dateline := _DATELINE.match(text)) and dateline.end() == len(text):  # a dateline on a line of its own
        return "wire"
    words = word_count(text)
    low = text.casefold().replace("ı", "i")  # the letters re.IGNORECASE also equates with ASCII ones
    for kind, pattern, needs, most in _PATTERNS:
        if most is not None and words > most:
            continue
        if needs and not any(w in low for w in needs):
            continue
        if pattern.search(text):
            return kind
    if _DATE_LINE.match(text):
        return "meta"
    letters = sum(map(str.isalpha, text)) if text.isascii() else len(_LETTER.findall(text))
    if letters < 0.5 * len(text):
        return "meta"
    if words <= 3 and not text.endswith((".", "!", "?", '"', "”") + _STOPS):
        return "meta" if words <= 2 else "heading"
    return "text"


def _title_case(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z][\w'’-]*", text) if len(w) > 3]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.7 * len(words)
