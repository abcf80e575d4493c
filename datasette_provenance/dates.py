"""Parse the date forms news articles use into ISO 8601 UTC with a precision.

Times that carry a zone (``Z``, ``UTC``, ``GMT``, ``+0300``, ``GMT+3`` or an
RFC 2822 US zone such as ``EST``) are converted to UTC. Times without a zone
are taken as UTC: scraped pages rarely say which zone they mean, and guessing
one per outlet would be worse than a documented, consistent rule.

A field that holds nothing but a date may also use the forms of data exports,
which ``parse_date`` accepts but ``find_date`` never looks for in prose: Unix
epoch seconds (9-10 digits, optionally with a fraction) or milliseconds (13
digits), GDELT's compact ``YYYYMMDD``, ``YYYYMMDDhhmmss`` and
``YYYYMMDDThhmmssZ``, and ``2022/02/03`` (which in prose is mostly a URL path).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

__all__ = ["parse_date", "find_date", "is_date_line"]

MIN_YEAR = 1800

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
# RFC 2822 section 4.3 zone names; other letter zones are too ambiguous to use.
_NAMED_ZONES = {
    "z": 0, "ut": 0, "utc": 0, "gmt": 0,
    "est": -5, "edt": -4, "cst": -6, "cdt": -5,
    "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
}

_WEEKDAY = (
    r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
)
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?"
    r"|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d{4})"
_TIME = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?"
    r"(?:\s*(?P<zone>(?:utc|gmt)\s*[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}(?::?\d{2})?"
    r"|utc|gmt|ut|z|[ecmp][sd]t)(?![a-z]))?"
)
_SEP = r"(?:\s*[,|\-\u2013\u2014]\s*|\s+at\s+|\s+)"

_PATTERNS = [
    re.compile(rf"(?<![\w.]){body}(?![\w])", re.IGNORECASE)
    for body in (
        rf"{_YEAR}-(?P<month_num>\d{{2}})-(?P<day>\d{{2}})(?:(?:t|\s+){_TIME})?",
        rf"{_WEEKDAY}{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}(?:{_SEP}{_TIME})?",
        rf"{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}(?:{_SEP}{_TIME})?",
        rf"{_DAY}\.(?P<month_num>\d{{1,2}})\.{_YEAR}(?:{_SEP}{_TIME})?",
    )
]

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

Parsed = tuple[str, str]


def parse_date(s: str) -> Parsed | None:
    """Return ``(iso_utc, precision)`` if the whole of *s* is one date, else None.

    Precision is ``'day'``, ``'minute'`` or ``'second'`` so that callers never
    mistake a bare date for midnight.
    """
    s = _ZONE_COMMENT.sub("", s.strip().rstrip(".,").strip())
    s = _SLASHED.sub(r"\1-\2-\3", s)  # 2022/02/03: a field's form; in prose it is mostly a URL path
    for pattern in _PATTERNS:
        match = pattern.fullmatch(s)
        if match and (parsed := _convert(match)):
            return parsed
    if match := _COMPACT.fullmatch(s):
        return _convert(match)
    if match := _EPOCH.fullmatch(s):
        seconds = int(match["seconds"]) if match["seconds"] else int(match["millis"]) // 1000
        return _from_epoch(seconds)
    return None


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
    hits = [
        (match.start(), -match.end(), parsed, match)
        for pattern in _PATTERNS
        for match in pattern.finditer(line)
        if (parsed := _convert(match))
    ]
    if not hits:
        return None
    *_, parsed, match = min(hits, key=lambda hit: hit[:2])
    rest = line[: match.start()] + " " + line[match.end():]
    # "Published on", "Last updated:" and the like may sit next to a dateline.
    return parsed, len(re.findall(r"[^\W_]+", rest)) <= 3


def _convert(match: re.Match[str]) -> Parsed | None:
    """Validate the matched fields and render them as ISO 8601 UTC."""
    fields = match.groupdict()
    month = _MONTHS[fields["month"][:3].lower()] if fields.get("month") else int(fields["month_num"])
    try:
        day = date(int(fields["year"]), month, int(fields["day"]))
    except ValueError:
        return None
    if not MIN_YEAR <= day.year <= date.today().year + 1:
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
    utc = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return utc, "second" if fields["second"] is not None else "minute"


def _from_epoch(seconds: int) -> Parsed | None:
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    if not MIN_YEAR <= moment.year <= date.today().year + 1:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "second"


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
