"""Split an article into paragraphs and sentences with offsets, and flag what is not article text.

Offsets always point into the text as given, so a span shown on a page is the span that was
scraped. Scrapes mix the story with navigation lists, meta-tag lines, contact lines and repeated
titles; those are kept (the article stays whole) but flagged, so matching never sees them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import regex
from sentencex import get_sentence_boundaries

# Paragraph kinds that are never treated as the outlet's own reporting.
BOILERPLATE_KINDS = frozenset(
    {"navigation", "meta", "contact", "related", "credit", "form", "wire", "template"}
)
# Sentences shorter than this (normalised characters) are too generic to prove reuse.
MIN_MATCH_CHARS = 40

# A word: letters, combining marks and digits of any script. `re`'s \w leaves out marks, so Hindi's
# vowel signs and decomposed (NFD) accents would split words.
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_LETTER = regex.compile(r"[\p{L}\p{M}]")
# Scripts written without spaces between words, and those whose one character carries about a word.
_UNSPACED = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]")
_DENSE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_DENSE_WEIGHT = 3  # a Chinese or Japanese character counts as this many normalised characters
# Sentence ends of other scripts, where lines are tested for ending a sentence.
_STOPS = ("。", "！", "？", "।", "॥", "۔", "؟", "።", "။", "…")
_SURROGATE = re.compile("[\ud800-\udfff]")
SPLITTER = "sentencex-1"  # stored in settings: another splitter makes other sentences
DEFAULT_LANGUAGE = "en"
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE_LINE = re.compile(
    rf"^[\W\d_]*((mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(\d{{1,2}}\s+{_MONTH}|{_MONTH}\s+\d{{1,2}},?)?"
    rf"[\s,]*\d{{4}}\b[\W\d_]*(am|pm|gmt|utc|[ap]\.m\.)?[\W\d_]*$",
    re.I,
)
# (kind, pattern, words one of which the lower-cased line must contain for an unanchored pattern to match:
# a substring test skips the pattern on most lines, where the regex would try every position).
_PATTERNS: list[tuple[str, re.Pattern[str], tuple[str, ...]]] = [
    ("meta", re.compile(r"^\d+\s+min(ute)?s?\s+read$", re.I), ()),
    ("meta", re.compile(r"^(https?://|www\.)\S+$|^/html/|^\S*[/@]\S*\s+\S*[/@]\S*$", re.I), ()),
    ("meta", re.compile(r"^story code\s*:|^updated\s*:|^published\s*:|^last updated\b", re.I), ()),
    ("meta", re.compile(r"^\d{1,2}[:.]\d{2}(\s*[ap]\.?m\.?)?$|^\d{4}-\d{2}-\d{2}T[\d:+\-Z]+$", re.I), ()),
    ("meta", re.compile(r"©|\ball rights reserved\b|^copyright\b", re.I), ("©", "all rights reserved", "copyright")),
    ("form", re.compile(r"^leave a (reply|comment)|email address will not be published|required fields"
                        r" are marked|captcha|time limit is exhausted|^(post|submit) comment$", re.I),
     ("leave a", "email address", "required fields", "captcha", "time limit", "comment")),
    ("contact", re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+\.[\w.]+|^follow (us|\w+) on\b|^(tel|phone|fax)\s*[:.]",
                           re.I), ("@", "follow", "tel", "phone", "fax")),
    ("related", re.compile(r"^(read more|read also|also read|see also|related|recommended|watch|more on"
                           r" this|explore|trending|most read|latest news|top stories)\b\s*:?", re.I), ()),
    ("credit", re.compile(r"^sources?\s*:|\bwith inputs from\b|^\(?(reporting|writing|editing|additional"
                          r" reporting) by\b", re.I),
     ("source", "with inputs from", "reporting", "writing", "editing")),
    ("meta", re.compile(r"^(share|tweet|print|subscribe|sign up|log in|cookies?|we use cookies|accept"
                        r"( all)?|advertisement|discuss|comments?)\b.{0,60}$", re.I), ()),
    ("wire", re.compile(r"^(\(?more\)?|\(?ends?\)?|-+\s*0\s*-+|#+|zczc|nnnn|=+|\*+|bc-\S+)$", re.I), ()),
    ("meta", re.compile(r"^(?=.*\bcookies?\b).*\b(accept|agree|policy|consent|experience|use of|storing)\b"
                        r"|\b(sign up|subscribe)\b.*\bnewsletter\b|^subscribe to\b|^tags?\s*:"
                        r"|^like this (story|article)\b|^share (it|this|on)\b"
                        r"|^(posted |written |published )?by [A-Z][\w.'’-]+( [A-Z][\w.'’-]+){0,3}\.?$", re.I),
     ("cookie", "newsletter", "subscribe", "tag", "like this", "share", "by ")),
    ("contact", re.compile(r"^(join|follow|find) (us|our \w+)( \w+)? on\b|\b(telegram|whatsapp|twitter|facebook"
                           r"|instagram|youtube|tiktok) (channel|page|account)\b", re.I),
     ("join", "follow", "find", "telegram", "whatsapp", "twitter", "facebook", "instagram", "youtube", "tiktok")),
    ("related", re.compile(r"^(click here|you (may|might) also like|more (from|on|in)\b|don'?t miss)", re.I), ()),
]
_SHORT_ONLY = 30  # the last three patterns describe short lines; a long sentence that matches is reporting


@dataclass
class Sentence:
    start: int  # offset inside the paragraph text
    end: int
    kind: str = "text"  # text | title | short | repeat | boilerplate

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
    ("announced.The") do not break the match, and so that composed and decomposed accents (NFC and
    NFD) give the same shingles; the offsets let a match be mapped back to the text.
    """
    composed = unicodedata.is_normalized("NFC", text)
    out: list[str] = []
    pos: list[int] = []
    for m in _WORD.finditer(text):
        if out:
            out.append(" ")
            pos.append(m.start() - 1)
        word = m.group()
        if composed and len(low := word.lower()) == len(word):
            out.append(low)
            pos.extend(range(m.start(), m.end()))
            continue
        # Decomposed text, or a character whose lower case is longer (e.g. 'İ'): each grapheme is
        # composed on its own and its pieces point at its first character. The word is lowered whole,
        # as normal_form lowers it (a final sigma depends on its neighbours, never on its length).
        pieces = [(unicodedata.normalize("NFC", g.group()), m.start() + g.start()) for g in _GRAPHEME.finditer(word)]
        out.append("".join(p for p, _ in pieces).lower())
        for piece, i in pieces:
            pos.extend([i] * len(piece.lower()))
    return "".join(out), pos


_GRAPHEME = regex.compile(r"\X")


def normal_form(text: str) -> str:
    """``normalise(text)[0]`` without the offsets: the hot path, for shingling."""
    if unicodedata.is_normalized("NFC", text):
        return " ".join(_WORD.findall(text)).lower()
    return normalise(text)[0]


def matchable_length(norm: str) -> int:
    """Length of a normalised sentence for the ``MIN_MATCH_CHARS`` floor: a Chinese or Japanese
    character says about as much as three letters of an alphabet."""
    return len(norm) if norm.isascii() else len(norm) + (_DENSE_WEIGHT - 1) * len(_DENSE.findall(norm))


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
    sample = text[:1000]
    if not _LETTER.search(sample):
        return DEFAULT_LANGUAGE
    return _identifier().classify(sample)[0]


@lru_cache(maxsize=1)
def _identifier():
    import py3langid

    return py3langid


def segment(text: str, title: str | None = None, language: str | None = None) -> list[Paragraph]:
    paragraphs = _split_paragraphs(text)
    _classify_paragraphs(paragraphs, title)
    language = language or language_of(text)
    seen: set[str] = set()
    for p in paragraphs:
        p.sentences = [Sentence(s, e) for s, e in split_sentences(p.text, language)]
        for s in p.sentences:
            norm = normal_form(p.text[s.start:s.end])
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
    masked = text.translate(_QUOTES_AS_SPACES)
    if _SURROGATE.search(masked):  # a lone surrogate cannot cross into sentencex; same length, same offsets
        masked = _SURROGATE.sub("\ufffd", masked)
    spans: list[tuple[int, int]] = []
    done = 0
    for b in get_sentence_boundaries(language or language_of(text), masked):
        start, end = done, b["end_index"]  # sentencex's spans are contiguous: each starts where the last ended
        while end > start and masked[end - 1].isspace():
            end -= 1
        while end < len(text) and text[end] in _CLOSERS:
            end += 1
        done = max(done, end)
        while start < end and text[start].isspace():
            start += 1
        if start < end:
            spans.append((start, end))
    return spans


_QUOTES = "\"“”„‟«»「」『』‹›'‘’‚‛"
_QUOTES_AS_SPACES = str.maketrans(_QUOTES, " " * len(_QUOTES))
_CLOSERS = frozenset("\"”’»」』›'")


def _split_paragraphs(text: str) -> list[Paragraph]:
    """One paragraph per line, except hard-wrapped wire copy, whose blocks are joined back."""
    paragraphs: list[Paragraph] = []
    for block in re.finditer(r"[^\n]+(?:\n[^\n]+)*", text):
        lines = list(re.finditer(r"[^\n]+", block.group()))
        if _is_wrapped(lines):
            ranges = [(block.start(), block.end())]
        else:
            ranges = [(block.start() + m.start(), block.start() + m.end()) for m in lines]
        for s, e in ranges:
            raw = text[s:e]
            lead = len(raw) - len(raw.lstrip())
            body = raw.strip()
            if body:
                paragraphs.append(Paragraph(len(paragraphs), s + lead, body))
    return paragraphs


def _is_wrapped(lines: list[re.Match[str]]) -> bool:
    """Hard-wrapped copy: long lines of even length that do not end a sentence."""
    heads = [m.group().rstrip() for m in lines[:-1]]
    if not heads or any(not 50 <= len(h) <= 100 or h.endswith((".", "!", "?", ":", '"', "”")) for h in heads):
        return False
    following = lines[1].group().lstrip()[:1]
    return len(heads) >= 2 and max(map(len, heads)) - min(map(len, heads)) <= 30 or following.islower()


def _headline_like(text: str) -> bool:
    return 3 <= word_count(text) <= 25 and not text.rstrip().endswith((".", "!", '."', ".”", ":") + _STOPS)


def _classify_paragraphs(paragraphs: list[Paragraph], title: str | None) -> None:
    for p in paragraphs:
        p.kind = _line_kind(p.text)
    if not title:  # no title given: the first headline-like line is the title
        first = next((p for p in paragraphs if p.kind == "text"), None)
        title = first.text if first and _headline_like(first.text) else None
    title_norm = normal_form(title) if title else None
    for p in paragraphs:
        if title_norm and p.kind in ("text", "heading") and normal_form(p.text) == title_norm:
            p.kind = "title"
    # Runs of three or more headline-like lines are lists of links to other stories.
    run: list[Paragraph] = []
    for p in paragraphs + [Paragraph(-1, -1, ".")]:
        if p.kind in ("text", "related") and _headline_like(p.text):
            run.append(p)
            continue
        if len(run) >= 3:
            for q in run:
                q.kind = "navigation"
        run = []
    # A lone headline in Title Case inside the body is a link to a related story.
    for p in paragraphs:
        if p.kind == "text" and _headline_like(p.text) and _title_case(p.text) and len(p.text.split()) >= 5:
            p.kind = "related"


def _line_kind(text: str) -> str:
    words = word_count(text)
    low = text.casefold().replace("ı", "i")  # the letters re.IGNORECASE also equates with ASCII ones
    for i, (kind, pattern, needs) in enumerate(_PATTERNS):
        if kind in ("contact", "credit") and words > 25 or i >= len(_PATTERNS) - 3 and words > _SHORT_ONLY:
            continue  # a long sentence that merely mentions an e-mail, a source or cookies is text
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
