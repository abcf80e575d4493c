"""Main text and metadata from saved web pages (trafilatura) and web archives (warcio).

They (and w3lib, which decides a page's encoding) are imported on first use, so loading text, JSON
and CSV files never pays for them.
Nothing here touches the network: trafilatura is only given HTML that is already on disk, and
htmldate (its date finder) only ever sees the parsed page.
"""

from __future__ import annotations

import gzip
import io
import logging
import mmap
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from functools import cache
from typing import IO, Any

from .dates import Parsed, parse_date
from .segment import word_count

__all__ = ["MAX_PAGE_BYTES", "Page", "WarcCapture", "WarcProblem", "decode_html", "extract_page", "extractor_version",
           "markup_text", "warc_captures"]

# htmldate renders the date it finds in this format; "+0300"-style zones are read by parse_date.
_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_GZIP_MAGIC = b"\x1f\x8b\x08"
_MIN_PROSE_WORDS = 8
_WARC_MAGIC = b"WARC/1."
MAX_PAGE_BYTES = 64 * 2**20  # a saved page, or the page of a WARC record; larger ones are refused


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

    offset: int  # of the record in the (possibly compressed) file, or in the data of *member*
    record_id: str | None
    target_uri: str | None
    captured: str | None  # WARC-Date, as written
    html: bytes
    content_type: str | None  # the HTTP Content-Type (its charset), if any
    member: int | None = None  # a gzip member read as one stream: *offset* counts its data


@dataclass
class WarcProblem:
    """A record that could not be read; *resumed_at* is where reading went on, if anywhere."""

    offset: int
    reason: str
    record_id: str | None = None
    resumed_at: int | None = None
    member: int | None = None  # as for WarcCapture: *offset* and *resumed_at* count its data


# Elements that end a paragraph where they open or close; other tags are left out.
_BLOCKS = ("p", "div", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "figure",
           "figcaption", "table", "tr", "td", "th", "section", "article", "header", "footer", "aside", "pre")
_BR = r"<br(?:\s[^<>]*)?/?>"
# HTML's block elements as tags (``<p>``, ``</div>``, ``<br/>``, ``<li class=…>``): where a text marks its
# paragraphs with them it is HTML. Prose that compares ("a < b") writes none, nor does a text that
# merely quotes a tag or two (``<script>``, ``<img …>``) and keeps its paragraphs in its line breaks.
_BLOCK = re.compile(rf"</?(?:{'|'.join((*_BLOCKS, 'br'))})(?:\s[^<>]*)?/?>", re.IGNORECASE)
_ESCAPED_TAG = re.compile(r"&(?:lt|#0*60|#x0*3c)", re.IGNORECASE)  # '<' as a reference
# Line breaks: two or more end a paragraph, one is a space (a CMS breaks lines inside sentences with it).
_BREAKS = re.compile(rf"{_BR}(?:\s*{_BR})*", re.IGNORECASE)


def markup_text(text: str) -> str | None:
    """The text of a record's field that is HTML (a CMS export's body: two or more of HTML's block
    tags), read as its paragraphs: blocks, blank lines and a run of ``<br>`` end one, other
    whitespace is a space, tags and scripts are left out, references read; None for plain text. HTML
    escaped once more (``&lt;p&gt;…``: a feed's or an export's body stored as text) is HTML too, where
    the text has no tag of its own."""
    from w3lib.html import remove_comments, remove_tags, remove_tags_with_content, replace_entities, replace_tags

    if "<" not in text:  # only escaped tags can make it HTML: read them once, where there are any
        if not _ESCAPED_TAG.search(text):
            return None
        text = replace_entities(text)
    if not _blocks(text):
        return None
    body = remove_tags_with_content(remove_comments(text), which_ones=("script", "style", "noscript"))
    body = _BREAKS.sub(lambda run: "\n\n" if run[0].lower().count("<br") > 1 else " ", body)
    body = replace_entities(replace_tags(remove_tags(body, keep=_BLOCKS), "\n\n"))
    paragraphs = (" ".join(part.split()) for part in re.split(r"\n\s*\n", body))
    return "\n\n".join(p for p in paragraphs if p)


def _blocks(text: str) -> bool:
    """Two or more block tags."""
    found = _BLOCK.finditer(text)
    return next(found, None) is not None and next(found, None) is not None


@cache
def extractor_version() -> str:
    import trafilatura

    return f"trafilatura {trafilatura.__version__}"


@cache
def _trafilatura() -> tuple[Any, dict[str, Any], Any]:
    import trafilatura
    from trafilatura.settings import set_date_params, use_config

    # Extraction failures come back as None and are reported by the caller; without a handler
    # of its own trafilatura's log lines would land on stderr (logging's last resort) mid-load.
    logging.getLogger("trafilatura").addHandler(logging.NullHandler())
    logging.getLogger("htmldate").addHandler(logging.NullHandler())
    # Our limit, not trafilatura's own 20 MB (MAX_FILE_SIZE), bounds the pages it is given.
    config = use_config()
    config.set("DEFAULT", "MAX_FILE_SIZE", str(MAX_PAGE_BYTES))
    # No extensive search: it guesses from the copyright year and the like ("© 2022" → 2022-01-01);
    # a missing date is better than a wrong one when dates decide who copied whom.
    return trafilatura.bare_extraction, set_date_params(False) | {"outputformat": _DATE_FORMAT}, config


def extract_page(html: bytes | str, url: str | None = None, content_type: str | None = None) -> Page | None:
    """Main text and metadata of one page, or None if trafilatura finds no main text.

    *url* is where the page was captured, used to resolve a relative canonical link and as the
    URL when the page names none; *content_type* is what the server declared (its charset), if known.
    """
    bare_extraction, date_params, config = _trafilatura()
    text = decode_html(html, content_type) if isinstance(html, bytes) else html
    doc = bare_extraction(
        _parsed(text),
        url=url,
        with_metadata=True,
        include_comments=False,  # readers' comments are not the outlet's text
        include_tables=True,
        include_formatting=False,
        include_links=False,
        include_images=False,
        deduplicate=False,
        date_extraction_params=dict(date_params),
        config=config,
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


# libxml2 stops at a text or attribute value of 10,000,000 bytes (of UTF-8) unless told to read huge
# trees, and trafilatura's own parser does not tell it.
_LIBXML_MAX_TEXT = 10_000_000


def _parsed(text: str) -> Any:
    """The page as trafilatura is given it: the text, which it parses, unless a value in it may be
    longer than libxml2 reads by default (an image inlined as a data: URI, a page's data in a
    script): such a page is parsed here, whole, with the options of trafilatura's parser. Our own
    limit on a page's size bounds what that costs."""
    if len(text) <= _LIBXML_MAX_TEXT // 4:  # a character is at most 4 bytes of UTF-8
        return text
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= _LIBXML_MAX_TEXT:
        return text
    from lxml.html import HTMLParser, fromstring

    parser = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True,
                        remove_pis=True, huge_tree=True)
    return fromstring(data, parser=parser)


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """The page as text. Valid UTF-8 is read as UTF-8 whatever is declared (pages saved or served as
    UTF-8 keep a stale Latin-1 declaration, and text in another encoding is almost never valid
    UTF-8); anything else as browsers read it (w3lib): the byte order mark, the server's charset,
    the page's own <meta>, with their substitutions (Latin-1 read as Windows-1252, ISO-8859-9 as
    Windows-1254, GB2312 as GB18030 …), and trafilatura's guess when nothing is declared."""
    try:
        return data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        pass
    from w3lib.encoding import html_to_unicode

    return html_to_unicode(content_type, data, auto_detect_fun=_guess_encoding)[1]


def _guess_encoding(data: bytes) -> str | None:
    from trafilatura.utils import detect_encoding
    from w3lib.encoding import resolve_encoding

    return next(filter(None, map(resolve_encoding, detect_encoding(data))), None)


def _has_prose(text: str) -> bool:
    """At least one line that reads as a sentence: on an index or error page trafilatura's
    fallbacks return the menu, which is not an article. Words are counted in scripts written without
    spaces (Chinese, Japanese, Thai …) too."""
    return any(word_count(line) >= _MIN_PROSE_WORDS for line in text.split("\n"))


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
    reported once reading has resumed (or the file has ended). Each pass starts after the one
    before, so recovery always ends. A gzip member holding more than one record (``gzip`` run on
    a whole WARC) has no record boundaries to seek: from there the file is read as one stream.
    """
    from warcio.archiveiterator import ArchiveIterator

    start: int | None = fh.tell()
    if not _is_archive(fh):
        yield WarcProblem(start, "not a WARC or ARC file (no WARC/ or filedesc:// header at the start)")
        return
    data: _InPlace | _Inflated = _InPlace(fh)
    skip = 0  # records at the start of a stream that were read before the switch to it
    pending: WarcProblem | None = None  # the first failure of a damaged stretch
    while start is not None:
        records = ArchiveIterator(data.at(start), arc2warc=True)
        failed = switched = None
        while True:
            offset = max(records.offset, start)
            with _warnings():
                try:
                    record = next(records)
                except StopIteration:
                    if data.ended_early(offset):  # e.g. a gzip member cut short: no error from warcio
                        failed = WarcProblem(offset, data.cut(offset) or _TRUNCATED)
                    break
                except Exception as e:  # warcio raises many kinds; each means a broken record
                    failed = WarcProblem(offset, data.cut(offset) or _describe(e))
                    break
            if pending is not None and not skip:
                pending.resumed_at = offset
                yield data.placed(pending)
                pending = None
            found, failed = _read_record(record, records, offset, data)
            if skip:  # read before the switch to a stream
                skip, found = skip - 1, None
            if found is not None:
                yield data.placed(found)
            if failed is not None:
                break
            if isinstance(data, _InPlace) and _member_goes_on(records):
                switched = _Inflated(fh, offset)
                break
        if switched is not None:
            data, start, skip = switched, 0, 1
            continue
        if failed is None:
            break
        pending = pending or failed
        start = data.next_boundary(max(failed.offset, start) + 1)
    if pending is not None:
        yield data.placed(pending)


def _member_goes_on(records: Any) -> bool:
    """Whether the gzip member of the record just read holds more after it (warcio, reading on to
    the next record, found a line where the member should have ended): a file gzipped whole, on
    whose next record warcio would fail."""
    return getattr(records.reader, "decompressor", None) is not None and bool(records.next_line)


def _read_record(
    record: Any, records: Any, offset: int, data: _InPlace | _Inflated
) -> tuple[WarcCapture | WarcProblem | None, WarcProblem | None]:
    """The record as a capture or a problem (or None: not a page), and the failure that ends the
    pass, if any. warcio reads a record cut short without a word (part of its page, or nothing),
    and of a record that does not end where its Content-Length says only warns on stderr: both are
    checked here."""
    record_id = record.rec_headers.get_header("WARC-Record-ID")
    with _warnings() as noise:
        warned = records.err_count
        try:
            found: WarcCapture | WarcProblem | None = _capture(record, offset, record_id)
        except Exception as e:  # a bad payload (e.g. broken Content-Encoding): this record only
            found = WarcProblem(offset, _describe(e), record_id)
        try:
            records.read_to_end()  # so that records.offset is the next record's
        except Exception as e:
            if reason := data.cut(offset):
                return None, WarcProblem(offset, reason, record_id)
            if isinstance(found, WarcProblem):
                return None, found
            return found, WarcProblem(offset, _describe(e), record_id)
    if records.err_count > warned:
        return None, WarcProblem(offset, _BAD_LENGTH, record_id)
    if _content_short(record) or data.cut_at_end(offset, records.offset) or noise.getvalue().strip():
        return None, WarcProblem(offset, data.cut(offset) or _damaged(noise.getvalue()), record_id)
    if isinstance(found, WarcProblem):
        found.resumed_at = records.offset
    return found, None


_TRUNCATED = "the file ends inside this record (truncated)"
_BAD_LENGTH = ("the record does not end where its Content-Length says (no blank line there): its content"
               " is cut short or runs into the next record")
_LOOKBEHIND = 2**20  # bytes of a stream kept to resume reading just after a record that failed
_SCAN = 2**16  # bytes read at a time when looking for the next record in a stream


@contextmanager
def _warnings() -> Iterator[io.StringIO]:
    """What warcio writes to stderr meanwhile (a record that does not end where its Content-Length
    says, a gzip member that breaks off), caught: it is the record's problem, not noise mid-load."""
    caught = io.StringIO()
    with redirect_stderr(caught):
        yield caught


def _content_short(record: Any) -> bool:
    """Whether the data ended before the record's Content-Length did (warcio's LimitReader has
    bytes left to give)."""
    return getattr(record.raw_stream, "limit", 0) > 0


def _damaged(warned: str) -> str:
    if warned.strip():
        return f"damaged data ({' '.join(warned.split())})"
    return "its content ends before its Content-Length"


class _InPlace:
    """A WARC/ARC file read where it lies (uncompressed, or one gzip member per record): a broken
    record is skipped by seeking to the next boundary."""

    member = None

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.size = os.fstat(fh.fileno()).st_size
        where = fh.tell()
        self.plain_warc = fh.read(len(_WARC_MAGIC)) == _WARC_MAGIC
        fh.seek(where)

    def at(self, start: int) -> IO[bytes]:
        self.fh.seek(start)
        return self.fh

    def ended_early(self, offset: int) -> bool:
        return offset < self.size

    def cut(self, offset: int) -> str | None:
        """Why the data ends inside the record at *offset*, if it does."""
        return _TRUNCATED if _cut_short(self.fh, offset, self.size, self.plain_warc) else None

    def cut_at_end(self, offset: int, end: int) -> bool:
        return end >= self.size and _cut_short(self.fh, offset, self.size, self.plain_warc)

    def next_boundary(self, after: int) -> int | None:
        return _next_boundary(self.fh, after)

    def placed(self, item: WarcCapture | WarcProblem) -> WarcCapture | WarcProblem:
        return item


class _Inflated:
    """The data of a gzip stream from the member at *member* on, read forward only, offsets counted
    in it. The last ``_LOOKBEHIND`` bytes are kept, so that reading can resume just after a record
    that failed. Compressed data that is cut or damaged ends the data: nothing after it can be
    decompressed, and *error* says why."""

    def __init__(self, fh: IO[bytes], member: int) -> None:
        fh.seek(member)
        self.member = member
        self.error: Exception | None = None
        self._gzip = gzip.GzipFile(fileobj=fh, mode="rb")
        self._kept = bytearray()  # the last bytes decompressed, up to _end
        self._end = 0  # bytes decompressed
        self._pos = 0  # where the next read starts: _end, or inside _kept after going back

    def tell(self) -> int:
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        size = _SCAN if size is None or size < 0 else size
        if self._pos < self._end:
            begin = len(self._kept) - (self._end - self._pos)
            data = bytes(self._kept[begin : begin + size])
        elif self.error is not None:
            data = b""
        else:
            try:
                data = self._gzip.read1(size)  # read1: what was decompressed before an error is kept
            except (EOFError, OSError, zlib.error) as e:  # cut short, not gzip, damaged
                self.error, data = e, b""
            self._end += len(data)
            self._kept += data
            del self._kept[:-_LOOKBEHIND]
        self._pos += len(data)
        return data

    def at(self, start: int) -> _Inflated:
        """Reading from *start*, or from the first byte still kept if it is later."""
        if start > self._end:
            self._pos = self._end
            while self._end < start and self.read(min(_SCAN, start - self._end)):
                pass
        self._pos = min(max(start, self._end - len(self._kept)), self._end)
        return self

    def ended_early(self, offset: int) -> bool:
        return self.error is not None

    def cut(self, offset: int) -> str | None:
        if self.error is None:
            return None
        return _TRUNCATED if isinstance(self.error, EOFError) else f"damaged compressed data ({_describe(self.error)})"

    def cut_at_end(self, offset: int, end: int) -> bool:
        return False  # a record the data ends inside is short of its Content-Length

    def next_boundary(self, after: int) -> int | None:
        """Offset of the next line starting ``WARC/1.`` from *after* on; None if the data ends first."""
        self.at(after - 1)
        base, window = self._pos, b""
        while chunk := self.read(_SCAN):
            window = window[-len(_WARC_MAGIC):] + chunk
            base = self._pos - len(window)
            if (found := window.find(b"\n" + _WARC_MAGIC)) >= 0:
                self.at(base + found + 1)
                return self._pos
        return None

    def placed(self, item: WarcCapture | WarcProblem) -> WarcCapture | WarcProblem:
        item.member = self.member
        return item


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


def _capture(record: Any, offset: int, record_id: str | None) -> WarcCapture | WarcProblem | None:
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
    mime = (content_type or "").split(";")[0].strip().lower() or None
    if mime is not None and mime not in _HTML_TYPES:
        return None
    html = record.content_stream().read(MAX_PAGE_BYTES + 1)
    if len(html) > MAX_PAGE_BYTES:
        return WarcProblem(offset, f"the page is over {MAX_PAGE_BYTES / 2**20:.1f} MiB, the most a saved page may"
                           " have: skipped", record_id)
    if mime is None and not re.match(rb"\s*(<!doctype html|<html)", html[:1024], re.IGNORECASE):
        return None
    return WarcCapture(
        offset=offset,
        record_id=record_id,
        target_uri=record.rec_headers.get_header("WARC-Target-URI"),
        captured=record.rec_headers.get_header("WARC-Date"),
        html=html,
        content_type=content_type,
    )


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
