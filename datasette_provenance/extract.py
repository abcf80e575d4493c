"""Main text and metadata from saved web pages (trafilatura) and web archives (warcio).

Both libraries are imported on first use, so loading text, JSON and CSV files never pays for them.
Nothing here touches the network: trafilatura is only given HTML that is already on disk, and
htmldate (its date finder) only ever sees the parsed page.
"""

from __future__ import annotations

import logging
import mmap
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import IO, Any

from .dates import Parsed, parse_date

__all__ = ["Page", "WarcCapture", "WarcProblem", "decode_html", "extract_page", "extractor_version", "warc_captures"]

# htmldate renders the date it finds in this format; "+0300"-style zones are read by parse_date.
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_GZIP_MAGIC = b"\x1f\x8b\x08"
_MIN_PROSE_WORDS = 8
_WARC_MAGIC = b"WARC/1."


@dataclass
class Page:
    """What trafilatura found in one HTML page."""

    text: str  # main text, one paragraph per line
    title: str | None = None
    url: str | None = None  # canonical URL (<link rel=canonical>, og:url), else the URL given
    site_name: str | None = None  # og:site_name, else from <title> or the URL
    published: Parsed | None = None
    published_raw: str | None = None  # a date that parse_date could not read
    meta: dict[str, Any] = field(default_factory=dict)  # author, description, language, tags …


@dataclass
class WarcCapture:
    """An HTML page captured in a WARC response (status 200) or resource record."""

    offset: int  # of the record in the (possibly compressed) file
    record_id: str | None
    target_uri: str | None
    captured: str | None  # WARC-Date, as written
    html: bytes
    charset: str | None  # from the HTTP Content-Type, if any


@dataclass
class WarcProblem:
    """A record that could not be read; *resumed_at* is where reading went on, if anywhere."""

    offset: int
    reason: str
    record_id: str | None = None
    resumed_at: int | None = None


@cache
def extractor_version() -> str:
    import trafilatura

    return f"trafilatura {trafilatura.__version__}"


@cache
def _trafilatura() -> tuple[Any, dict[str, Any]]:
    import trafilatura
    from trafilatura.settings import set_date_params

    # Extraction failures come back as None and are reported by the caller; without a handler
    # of its own trafilatura's log lines would land on stderr (logging's last resort) mid-load.
    logging.getLogger("trafilatura").addHandler(logging.NullHandler())
    logging.getLogger("htmldate").addHandler(logging.NullHandler())
    # No extensive search: it guesses from the copyright year and the like ("© 2022" → 2022-01-01);
    # a missing date is better than a wrong one when dates decide who copied whom.
    return trafilatura.bare_extraction, set_date_params(False) | {"outputformat": _DATE_FORMAT}


def extract_page(html: bytes | str, url: str | None = None, charset: str | None = None) -> Page | None:
    """Main text and metadata of one page, or None if trafilatura finds no main text.

    *url* is where the page was captured, used to resolve a relative canonical link and as the
    URL when the page names none; *charset* is what the server declared, if known.
    """
    bare_extraction, date_params = _trafilatura()
    doc = bare_extraction(
        decode_html(html, charset) if isinstance(html, bytes) else html,
        url=url,
        with_metadata=True,
        include_comments=False,  # readers' comments are not the outlet's text
        include_tables=True,
        include_formatting=False,
        include_links=False,
        include_images=False,
        deduplicate=False,
        date_extraction_params=dict(date_params),
    )
    if doc is None or not _has_prose(doc.text or ""):
        return None
    published, raw = _page_date(doc.date)
    meta = {
        key: value
        for key in ("author", "description", "language", "categories", "tags")
        if (value := getattr(doc, key, None))
    }
    return Page(
        text=doc.text,
        title=_clean(doc.title),
        url=_clean(doc.url) or url,
        site_name=_clean(doc.sitename),
        published=published,
        published_raw=raw,
        meta=meta,
    )


def decode_html(data: bytes, charset: str | None = None) -> str | bytes:
    """The page as text: UTF-8 if it is valid UTF-8, else the declared charset (the server's, then
    the page's own <meta>), read as browsers do (Latin-1 as Windows-1252); bytes left for
    trafilatura to guess when nothing declared fits."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = [charset]
    if match := _META_CHARSET.search(data[:4096]):
        declared.append(match[1].decode("ascii"))
    for label in declared:
        if not label:
            continue
        label = label.strip().lower()
        label = "cp1252" if label in ("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii") else label
        try:
            return data.decode(label)
        except (LookupError, UnicodeDecodeError):
            continue
    return data


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]{1,40})""", re.IGNORECASE)


def _has_prose(text: str) -> bool:
    """At least one line that reads as a sentence: on an index or error page trafilatura's
    fallbacks return the menu, which is not an article."""
    return any(len(line.split()) >= _MIN_PROSE_WORDS for line in text.split("\n"))


def _page_date(value: str | None) -> tuple[Parsed | None, str | None]:
    """htmldate renders every date with seconds: a bare day comes as midnight without a zone (day
    precision), and ":00" seconds may as well have been minutes only (minute precision)."""
    if not value:
        return None, None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T00:00:00", value)
    parsed = parse_date(match[1] if match else value)
    if parsed and parsed[1] == "second" and re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00(?!\d)", value):
        parsed = (parsed[0], "minute")
    return (parsed, None) if parsed else (None, value)


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def warc_captures(fh: IO[bytes]) -> Iterator[WarcCapture | WarcProblem]:
    """HTML captures in a WARC (or ARC) file, compressed or not, in file order.

    A record that cannot be parsed is reported with its offset; reading then resumes at the next
    record boundary found after it (a gzip member, or a line starting ``WARC/1.``), so one broken
    record costs that record, not the rest of the archive. A stretch of damage is one problem,
    reported once reading has resumed (or the file has ended).
    """
    from warcio.archiveiterator import ArchiveIterator

    start: int | None = fh.tell()
    size = os.fstat(fh.fileno()).st_size
    if not _is_archive(fh):
        yield WarcProblem(start, "not a WARC or ARC file (no WARC/ or filedesc:// header at the start)")
        return
    fh.seek(start)
    plain_warc = fh.read(len(_WARC_MAGIC)) == _WARC_MAGIC
    fh.seek(start)
    pending: WarcProblem | None = None  # the first failure of a damaged stretch
    while start is not None:
        fh.seek(start)
        records = ArchiveIterator(fh, arc2warc=True)
        failed = None
        while True:
            offset = records.offset
            try:
                record = next(records)
            except StopIteration:
                if offset < size:  # a gzip member cut short ends the iteration without an error
                    failed = WarcProblem(offset, _TRUNCATED)
                break
            except Exception as e:  # warcio raises many kinds; each means a broken record
                reason = _TRUNCATED if _cut_short(fh, offset, size, plain_warc) else _describe(e)
                failed = WarcProblem(offset, reason)
                break
            if pending is not None:
                pending.resumed_at = offset
                yield pending
                pending = None
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            try:
                found: WarcCapture | WarcProblem | None = _capture(record, offset, record_id)
            except Exception as e:  # a bad payload (e.g. broken Content-Encoding): this record only
                found = WarcProblem(offset, _describe(e), record_id)
            try:
                records.read_to_end()  # so that records.offset is the next record's
            except Exception as e:
                if _cut_short(fh, offset, size, plain_warc):
                    failed = WarcProblem(offset, _TRUNCATED, record_id)
                    break
                if isinstance(found, WarcCapture):
                    yield found
                failed = found if isinstance(found, WarcProblem) else WarcProblem(offset, _describe(e), record_id)
                break
            # warcio reads a last record cut short without a word (part of its page, or nothing):
            # the record that reaches the end of the file is checked to be whole.
            if records.offset >= size and _cut_short(fh, offset, size, plain_warc):
                failed = WarcProblem(offset, _TRUNCATED, record_id)
                break
            if isinstance(found, WarcProblem):
                found.resumed_at = records.offset
            if found is not None:
                yield found
        if failed is None:
            break
        pending = pending or failed
        start = _next_boundary(fh, failed.offset + 1)
    if pending is not None:
        yield pending


_TRUNCATED = "the file ends inside this record (truncated)"


def _cut_short(fh: IO[bytes], offset: int, size: int, plain_warc: bool) -> bool:
    """Whether the record at *offset* runs past the end of the file: a gzip member that never
    ends, or, in an uncompressed WARC, a header block or a content block (its Content-Length)
    that the end of the file cuts. A damaged record is not "cut short". Leaves *fh* where it was."""
    where = fh.tell()
    try:
        fh.seek(offset)
        if fh.read(len(_GZIP_MAGIC)) == _GZIP_MAGIC:
            fh.seek(offset)
            inflate = zlib.decompressobj(31)
            while not inflate.eof and (data := fh.read(1 << 20)):
                while data and not inflate.eof:
                    try:
                        inflate.decompress(data, 1 << 20)  # output dropped, bounded: a bomb costs nothing
                    except zlib.error:
                        return False
                    data = inflate.unconsumed_tail
            return not inflate.eof
        if not plain_warc:
            return False
        fh.seek(offset)
        block = fh.read(65536)
        end = block.find(b"\r\n\r\n")
        if end < 0:
            return offset + len(block) >= size  # the header block itself reaches the end of the file
        length = re.search(rb"(?im)^content-length:[ \t]*(\d+)[ \t]*\r?$", block[:end])
        return bool(length) and offset + end + 4 + int(length[1]) > size
    except OSError:
        return False
    finally:
        fh.seek(where)


def _is_archive(fh: IO[bytes]) -> bool:
    """Whether the file starts like a WARC or ARC file, compressed or not; leaves *fh* where it was."""
    where = fh.tell()
    try:
        head = fh.read(4096)
        if head.startswith(_GZIP_MAGIC):
            try:
                head = zlib.decompressobj(31).decompress(head, 64)
            except zlib.error:
                return False
        return head.lstrip().startswith((_WARC_MAGIC, b"filedesc://"))
    finally:
        fh.seek(where)


def _capture(record: Any, offset: int, record_id: str | None) -> WarcCapture | None:
    """The record as an HTML capture, or None for anything else (requests, images, 404s, …)."""
    if record.rec_type == "response":
        http = record.http_headers
        if http is None or http.get_statuscode() != "200":
            return None
        content_type = http.get_header("Content-Type")
    elif record.rec_type == "resource":
        content_type = record.rec_headers.get_header("Content-Type")
    else:
        return None
    mime, charset = _content_type(content_type)
    if mime is not None and mime not in _HTML_TYPES:
        return None
    html = record.content_stream().read()
    if mime is None and not re.match(rb"\s*(<!doctype html|<html)", html[:1024], re.IGNORECASE):
        return None
    return WarcCapture(
        offset=offset,
        record_id=record_id,
        target_uri=record.rec_headers.get_header("WARC-Target-URI"),
        captured=record.rec_headers.get_header("WARC-Date"),
        html=html,
        charset=charset,
    )


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    mime, *params = (part.strip() for part in value.split(";"))
    charset = next(
        (p.split("=", 1)[1].strip("\"' ") for p in params if p.lower().startswith("charset=")), None
    )
    return mime.lower() or None, charset or None


def _next_boundary(fh: IO[bytes], start: int) -> int | None:
    """Offset of the next place a record may start: a gzip member, or a WARC header line."""
    fh.seek(0)
    head = fh.read(3)
    try:
        view = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (ValueError, OSError):  # empty or not a real file
        return None
    with view:
        if head == _GZIP_MAGIC:
            found = view.find(_GZIP_MAGIC, start)
            return None if found < 0 else found
        found = view.find(b"\n" + _WARC_MAGIC, start - 1)
        return None if found < 0 else found + 1


def _describe(error: Exception) -> str:
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
