"""Parse the date forms news articles use into ISO 8601 UTC with a precision.

Times that carry a zone (``Z``, ``UTC``, ``GMT``, ``+0300``, ``GMT+3`` or an
RFC 2822 US zone such as ``EST``) are converted to UTC and stored with ``Z``.
Times without a zone are stored as given, without one, and ordered as if UTC:
scraped pages rarely say which zone they mean, guessing one per outlet would be
worse than a documented, consistent rule, and the pages must not call such a
time UTC. Nothing depends on the machine's time zone.

Month names are babel's (CLDR) for the languages of NEWS_LOCALES, in every
form it has (genitive "февраля", abbreviated "févr.", "2月"), and so are the
words those languages put between day, month and year: "3 de febrero de
2022", "3. Februar 2022", "2022年2月3日", "2022. február 3.", "3 בפברואר 2022".
Text is read in NFKC form (full-width "２０２２年") and digits may be any
script's ("٣ فبراير ٢٠٢٢"). A name that means different months in two of those
languages (Croatian October, Polish November: "listopad") is never read: no
date beats a wrong one.

A field that holds nothing but a date may also use the forms of data exports,
which ``parse_date`` accepts but ``find_date`` never looks for in prose: Unix
epoch seconds (9-10 digits, optionally with a fraction) or milliseconds (13
digits), GDELT's compact ``YYYYMMDD``, ``YYYYMMDDhhmmss`` and
``YYYYMMDDThhmmssZ``, and ``2022/02/03`` (which in prose is mostly a URL path).
A whole field that no form here reads but that names a month and a four-digit
year goes to dateparser ("le 3 février 2022 à 12h54"), which never reads
relative dates ("3 days ago" is no publication date) nor guesses a missing
part. Prose never goes to dateparser: it is slow and would find dates in any
phrase.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import regex

if TYPE_CHECKING:
    from babel import Locale

__all__ = ["parse_date", "find_date", "is_date_line", "NEWS_LOCALES"]

MIN_YEAR = 1800

# babel locales whose month names and date layouts are read: the most used languages of the web and
# of the news agencies (AFP, AP, Reuters, dpa, EFE, ANSA, TASS, Xinhua, Kyodo, Yonhap, Anadolu, IRNA),
# with Croatian because it spells Polish and Czech months for other ones, so that those are dropped
# rather than misread. Not all of babel's 330 languages: reading them takes 0.6 s, and across them 68
# names, "mar", "may" and "jan" among them, mean different months.
NEWS_LOCALES = (
    "en", "en_GB", "ar", "az", "be", "bg", "bn", "bs", "ca", "cs", "da", "de", "el", "es", "et", "fa", "fi",
    "fil", "fr", "he", "hi", "hr", "hu", "hy", "id", "it", "ja", "ka", "kk", "ko", "lt", "lv", "mk", "ms",
    "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sq", "sr", "sr_Latn", "sv", "sw", "ta", "th", "tr",
    "uk", "ur", "uz", "vi", "zh", "zh_Hant",
)

# RFC 2822 section 4.3 zone names; other letter zones are too ambiguous to use.
_NAMED_ZONES = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5,
    "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
}

_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_TIME = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?"
    r"(?:\s*(?P<zone>(?:utc|gmt)\s*[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}(?::?\d{2})?"
    r"|utc|gmt|ut|z|[ecmp][sd]t)(?![a-z]))?"
)
_SEP = r"(?:\s*[,|\-\u2013\u2014]\s*|\s+at\s+|\s+)"
# Scripts written without spaces: a date may touch their words ("北京2022年2月3日电", "3日09:53").
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
_WORD = rf"[^\W{_CJK}]"
_TIME_TAIL = rf"(?:(?:{_SEP}|(?<=[{_CJK}])){_TIME})?"
_START = rf"(?<!{_WORD}|\.)"
# Every date is matched from its first digit, which a regex finds fast; what comes before it (a weekday,
# a month name) is looked behind, into the group "lead" (see _span).
_LEAD = rf"(?:(?<=(?P<lead>{_START}{_WEEKDAY}))|)"

# Whole-field forms only: in prose these digits are counts, ids and phone numbers.
_COMPACT = re.compile(
    r"(?P<year>\d{4})(?P<month_num>\d{2})(?P<day>\d{2})"
    r"(?:t?(?P<hour>\d{2})(?P<minute>\d{2})(?P<second>\d{2})(?P<zone>z)?)?",
    re.IGNORECASE,
)
_SLASHED = re.compile(r"^(\d{4})/(\d{2})/(\d{2})(?=$|[T\s])", re.IGNORECASE)
_EPOCH = re.compile(r"(?P<seconds>\d{9,10})(?:\.\d+)?|(?P<millis>\d{13})")
# Trailing decorations some serialisers add after a zone: "+0000 (UTC)", "+03:00[Europe/Moscow]".
_ZONE_COMMENT = re.compile(r"(?<=\S)\s*(?:\([a-z ]{1,40}\)|\[[\w/+\-]{1,40}\])$", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_WORDS = regex.compile(r"[\p{L}\p{M}\p{N}]+")

Parsed = tuple[str, str]


@dataclass(frozen=True)
class _Calendar:
    months: dict[str, int]  # folded name -> month number
    ambiguous: frozenset[str]  # folded names that mean different months in different languages
    names: tuple[str, ...]  # every name as babel writes it, ambiguous ones too
    languages: dict[str, frozenset[str]]  # folded name -> the NEWS_LOCALES that write it
    patterns: tuple[regex.Pattern[str], ...]  # the forms read with babel's names and layouts (ISO is _iso's)


@cache
def _calendar() -> _Calendar:
    """Month names and date layouts of NEWS_LOCALES, read on first use rather than at import: reading them
    from babel and compiling the patterns takes ~0.4 s, which the Datasette server (importing
    publication_day) never needs."""
    from babel import Locale

    meanings: dict[str, set[int]] = {}  # folded name -> the months it names
    languages: dict[str, set[str]] = {}
    spellings: dict[str, str] = {}  # folded name -> as babel writes it
    marks: set[str] = set()
    # Text between day, month and year (and after them) by field order; babel's layouts lack two English
    # forms: "3rd of February" and "Feb 3 2022".
    layouts: dict[str, tuple[set[str], set[str], set[str]]] = {
        "dmy": ({"of"}, set(), set()), "mdy": (set(), {" "}, set()),
    }
    for code in NEWS_LOCALES:
        locale = Locale.parse(code)
        for context in locale.months.values():
            for width in ("wide", "abbreviated"):
                for number, name in context[width].items():
                    name = unicodedata.normalize("NFKC", name)
                    while name and unicodedata.category(name[-1]) == "Po":  # "févr.", "जन॰", "ינו׳"
                        marks.add(name[-1])
                        name = name[:-1]
                    padded = name[:1].isdigit() and not name[1:2].isdigit()  # "2月" is also written "02月"
                    for spelling in (name, "0" + name) if padded else (name,):
                        meanings.setdefault(key := _fold(spelling), set()).add(number)
                        languages.setdefault(key, set()).add(code)
                        spellings[key] = spelling
        for length in ("long", "medium"):
            if layout := _layout(locale, locale.date_formats[length].pattern):
                order, gaps = layout
                for known, found in zip(layouts.setdefault(order, (set(), set(), set())), gaps):
                    known.add(found)
    ambiguous = frozenset(key for key, numbers in meanings.items() if len(numbers) > 1)
    months = {key: numbers.pop() for key, numbers in meanings.items() if key not in ambiguous}
    fields = {"d": _DAY, "y": _YEAR, "m": rf"(?P<month>\L<month>)[{regex.escape(''.join(sorted(marks)))}]?"}
    patterns = [
        # "03.02.2022", "3. 2. 2022", "3.02.2022 г.": day first, as wherever dots separate them
        rf"{_LEAD}{_START}{_DAY}\.\s?(?P<month_num>\d{{1,2}})\.\s?{_YEAR}{_gap(layouts['dmy'][2], trailing=True)}"
        rf"(?:{_SEP}{_TIME})?",
    ]
    for order, (first, second, after) in sorted(layouts.items()):
        head, middle, last = (fields[f] for f in order)
        if order[0] == "m":  # "Feb 3, 2022": the month is looked behind the day
            head = rf"(?<=(?P<lead>{_START}(?:{_WEEKDAY})?{head}{_gap(first)})){middle}"
        else:
            head = rf"{_LEAD}{_START}{head}{_gap(first)}{middle}"
        patterns.append(f"{head}{_gap(second)}{last}{_gap(after, trailing=True)}{_TIME_TAIL}")
    names = [spellings[key] for key in months]
    compiled = tuple(_compiled(body, names) for body in patterns)
    languages = {key: frozenset(codes) for key, codes in languages.items()}
    return _Calendar(months, ambiguous, tuple(spellings.values()), languages, compiled)


@cache
def _iso() -> regex.Pattern[str]:
    """ISO 8601, tried first: it needs no month names, so that a field in this form (most feeds' and
    exports') is read without loading babel's calendars."""
    return _compiled(rf"{_LEAD}{_START}{_YEAR}-(?P<month_num>\d{{2}})-(?P<day>\d{{2}})(?:(?:t|\s+){_TIME})?", ())


def _compiled(body: str, names: list[str] | tuple[str, ...]) -> regex.Pattern[str]:
    return regex.compile(rf"(?=\d){body}(?!{_WORD})", regex.IGNORECASE, **({"month": names} if "<month>" in body else {}))


def _layout(locale: Locale, pattern: str) -> tuple[str, tuple[str, str, str]] | None:
    """The field order and the text between and after the fields of a CLDR date pattern with a month name
    (``d 'de' MMMM 'de' y`` -> ``("dmy", ("de", "de", ""))``, " " for spaces only); None for other patterns."""
    from babel.dates import tokenize_pattern

    january = locale.months["format"]["abbreviated"][1]
    suffix = january[1:] if january[:1] == "1" else None  # "月" of "1月": y年M月d日 names months too
    order, gaps, strip = "", [""], None
    for kind, value in tokenize_pattern(pattern):
        if kind == "chars":
            if strip:
                if not value.startswith(strip):
                    return None
                value, strip = value[len(strip):], None
            gaps[-1] += value
            continue
        field, width = value
        if field in "ML" and width < 3 and suffix:
            strip = suffix
        elif field not in "dyML" or (field in "ML" and width < 3):
            return None  # weekday, era or numeric month
        order += "m" if field in "ML" else field
        gaps.append("")
    if strip or sorted(order) != ["d", "m", "y"]:
        return None
    return order, tuple(" ".join(unicodedata.normalize("NFKC", gap).split()) or gap[:1] and " " for gap in gaps[1:])


def _gap(literals: set[str], trailing: bool = False) -> str:
    """A regex for the text between two fields, or after the last (then optional): one of the *literals*
    with optional spaces around it and an abbreviation's dot optional ("г." or "г"); the literal " " stands
    for spaces only and "" for nothing at all ("2022年2月3日")."""
    words = sorted((w for w in literals if w.strip()), key=len, reverse=True)
    alternatives = [r"\s*".join(_literal(part) for part in word.split()) for word in words]
    either = rf"\s*(?:{'|'.join(alternatives)})" if alternatives else ""
    if trailing:
        return f"(?:{either})?" if either else ""
    bare = r"\s*" if "" in literals else r"\s+" if " " in literals else ""
    return "(?:" + "|".join(filter(None, [either and either + r"\s*", bare])) + ")"


def _literal(part: str) -> str:
    if len(part) > 1 and part.endswith("."):
        return regex.escape(part[:-1]) + r"\.?"
    return regex.escape(part)


def _fold(s: str) -> str:
    return unicodedata.normalize("NFKC", s.casefold())


def _nfkc(s: str) -> str:
    return s if unicodedata.is_normalized("NFKC", s) else unicodedata.normalize("NFKC", s)


def parse_date(s: str) -> Parsed | None:
    """Return ``(iso_utc, precision)`` if the whole of *s* is one date, else None.

    Precision is ``'day'``, ``'minute'`` or ``'second'`` so that callers never
    mistake a bare date for midnight.
    """
    s = _ZONE_COMMENT.sub("", _nfkc(s).strip().rstrip(".,").strip())
    s = _SLASHED.sub(r"\1-\2-\3", s)  # 2022/02/03: a field's form; in prose it is mostly a URL path
    known = False  # a form read here, with impossible values ("13:10 pm"), is not handed to dateparser
    for pattern in _patterns():
        if match := next((m for m in pattern.finditer(s) if _span(m) == (0, len(s))), None):
            if parsed := _convert(match):
                return parsed
            known = True
    if match := _COMPACT.fullmatch(s):
        return _convert(match)
    if match := _EPOCH.fullmatch(s):
        seconds = int(match["seconds"]) if match["seconds"] else int(match["millis"]) // 1000
        return _from_epoch(seconds)
    return None if known else _parse_field(s)


def _patterns() -> Iterator[regex.Pattern[str]]:
    yield _iso()
    yield from _calendar().patterns


def find_date(text: str, max_lines: int = 15) -> Parsed | None:
    """The date of an article from its first *max_lines* non-empty lines.

    A line that is mostly a date (a dateline) is trusted over a date mentioned
    inside prose, even if the prose comes first: prose cites other days.
    """
    lines = [line for line in text.split("\n") if line.strip()][:max_lines]
    found = [hit for line in lines if (hit := _first_date(line))]
    for parsed, is_dateline in found:
        if is_dateline:
            return parsed
    return found[0][0] if found else None


def is_date_line(line: str) -> bool:
    """True if *line* is a dateline, so it can't be a title or body text."""
    hit = _first_date(line)
    return bool(hit and hit[1])


def _first_date(line: str) -> tuple[Parsed, bool] | None:
    """The earliest (then longest) valid date in *line*, and whether it is a dateline."""
    if not _DIGIT.search(line := _nfkc(line)):
        return None
    hits = [
        (*_span(match), parsed)
        for pattern in _patterns()
        for match in pattern.finditer(line)
        if (parsed := _convert(match))
    ]
    if not hits:
        return None
    start, end, parsed = min(hits, key=lambda hit: (hit[0], -hit[1]))
    rest = line[:start] + " " + line[end:]
    # "Published on", "Last updated:" and the like may sit next to a dateline.
    return parsed, len(_WORDS.findall(rest)) <= 3


def _span(match: regex.Match[str]) -> tuple[int, int]:
    """Where a matched date starts, with what was looked behind its first digit, and ends."""
    lead = match.start("lead") if "lead" in match.re.groupindex else -1
    return lead if lead >= 0 else match.start(), match.end()


def _convert(match: re.Match[str]) -> Parsed | None:
    """Validate the matched fields and render them as ISO 8601 UTC."""
    fields = match.groupdict()
    month = _calendar().months.get(_fold(fields["month"])) if fields.get("month") else int(fields["month_num"])
    try:
        day = date(int(fields["year"]), month or 0, int(fields["day"]))
    except ValueError:
        return None
    if not _plausible(day.year):
        return None
    if fields.get("hour") is None:
        return day.isoformat(), "day"
    hour = _hour(int(fields["hour"]), fields.get("ampm"))
    offset = _offset(fields["zone"])
    if hour is None or offset is None:
        return None
    try:
        moment = datetime(
            day.year, day.month, day.day, hour, int(fields["minute"]),
            int(fields["second"] or 0), tzinfo=timezone(offset),
        )
    except ValueError:
        return None
    precision = "second" if fields["second"] is not None else "minute"
    if fields["zone"] is None:  # kept as given: shown without a zone, ordered as if UTC
        return moment.strftime("%Y-%m-%dT%H:%M:%S"), precision
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), precision


def _from_epoch(seconds: int) -> Parsed | None:
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    if not _plausible(moment.year):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "second"


def _plausible(year: int) -> bool:
    """Not before MIN_YEAR nor after next year (in UTC, like everything here)."""
    return MIN_YEAR <= year <= datetime.now(timezone.utc).year + 1


# dateparser reads a whole field only as an absolute date with day, month and year, in UTC unless the
# field names a zone (its default is the machine's zone), and says whether the field had a time.
_FIELD_SETTINGS = {
    "PARSERS": ["absolute-time"],  # not "3 days ago", not bare numbers
    "REQUIRE_PARTS": ["day", "month", "year"],
    "STRICT_PARSING": True,
    "PREFER_DATES_FROM": "past",
    "TIMEZONE": "UTC",
    "TO_TIMEZONE": "UTC",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "RETURN_TIME_AS_PERIOD": True,
}
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_SECONDS = re.compile(r"\d:\d{2}:\d{2}")
_ZONE = re.compile(r"(?<![^\W\d_])(?:utc|gmt|ut|z|[ecmp][sd]t)(?![^\W\d_])|[+-]\d{2}:?\d{2}(?!\d)", re.IGNORECASE)


@lru_cache(maxsize=256)
def _field_parser(codes: tuple[str, ...]):
    """dateparser for the languages of these NEWS_LOCALES only: it neither guesses another language nor
    loads all of its ~200 (seconds, the first time a field fails). Imported on first use."""
    from dateparser.date import DateDataParser
    from dateparser.languages import default_loader

    known = default_loader.get_locale_map()
    languages = [code.replace("_", "-") if code.replace("_", "-") in known else code.split("_")[0] for code in codes]
    return DateDataParser(languages=list(dict.fromkeys(languages)), settings=_FIELD_SETTINGS)


@cache
def _month_names() -> regex.Pattern[str]:
    """Any month name of NEWS_LOCALES, those two languages read differently too, as a word of its own
    (but "2月" may touch digits and the words of scripts without spaces)."""
    letter = rf"[^\W\d_{_CJK}]"
    return regex.compile(rf"(?<!\d|{letter})\L<month>(?!{letter})", regex.IGNORECASE, month=_calendar().names)


@lru_cache(maxsize=4096)
def _parse_field(s: str) -> Parsed | None:
    """dateparser for a whole field the patterns don't read ("le 3 février 2022 à 12h54"), only with a
    four-digit year and a month name that no two languages read differently, and in the languages of that
    name: it guesses no century, month, language or day/month order, and fields that are no date cost nothing
    (dateparser takes milliseconds a field)."""
    if not _FOUR_DIGITS.search(s):
        return None
    calendar = _calendar()
    named = {_fold(name) for name in _month_names().findall(s)}
    if not named or named & calendar.ambiguous:
        return None
    found = _field_parser(tuple(sorted(set().union(*(calendar.languages[name] for name in named))))).get_date_data(s)
    moment = found.date_obj
    if moment is None or not _plausible(moment.year):
        return None
    if found.period != "time":
        return moment.date().isoformat(), "day"
    utc = moment.astimezone(timezone.utc)
    precision = "second" if utc.second or _SECONDS.search(s) else "minute"
    return utc.strftime("%Y-%m-%dT%H:%M:%S" if not _ZONE.search(s) else "%Y-%m-%dT%H:%M:%SZ"), precision


def _hour(hour: int, ampm: str | None) -> int | None:
    """24-hour clock hour, or None for impossible ones like '13 pm'."""
    if ampm is None:
        return hour if hour < 24 else None
    if not 1 <= hour <= 12:
        return None
    return hour % 12 + (12 if ampm.lower() == "p" else 0)


def _offset(zone: str | None) -> timedelta | None:
    """UTC offset of a zone token; no zone means UTC (see module docstring)."""
    if zone is None:
        return timedelta(0)
    zone = zone.lower().replace(" ", "")
    if zone in _NAMED_ZONES:
        return timedelta(hours=_NAMED_ZONES[zone])
    match = re.fullmatch(r"(?:utc|gmt)?([+-])(\d{1,2}):?(\d{2})?", zone)
    if not match:
        return None
    sign, hours, minutes = match[1], int(match[2]), int(match[3] or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return -delta if sign == "-" else delta


NO_DAY = -1
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def publication_day(published: str | None) -> int:
    """The day an article was published, as a date ordinal; NO_DAY for undated or month-precision ones."""
    m = _ISO_DAY.match(published or "")
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).toordinal() if m else NO_DAY
    except ValueError:
        return NO_DAY


def within_day(published: str) -> tuple[str, bool]:
    """How a publication time sorts: by day, and within one day an article with a time before those known
    only to the day. A paper dated to the day is not published at its midnight (``provenance``: no order
    between the two), and the timed one — an agency's copy, typically — is then the likelier original:
    the order a cluster's first wording and its pages' timelines show."""
    return published[:10], len(published) <= 10
