"""Read article files into records: seed text, JSON / JSON Lines (our fields, news-please, Media
Cloud), CSV (our columns, Media Cloud), saved HTML pages and WARC archives.

Bad input never raises: each problem becomes a ``LoadError`` in the output
stream, so one broken line costs one record, not the whole load. HTML and WARC
go through ``extract``, whose libraries (trafilatura, warcio, w3lib) are imported only when such a
file is met, as does a record's text that holds HTML (``extract.markup_text``).

Nothing is held in memory for its size' sake: JSON Lines and CSV are streamed (a line or a record
at a time, each at most 16 MiB), archives are read record by record, and the formats read whole
(text, JSON, HTML) are refused unread above a size no such file reaches. An article over
``MAX_TEXT_CHARS`` is reported, not loaded. Files that are something else under a text name (PDF,
ZIP, gzip, images, UTF-16 with or without a byte order mark) are named for what they are; folders
are walked without recursion, so no depth of nesting or symlink loop can stop a load. Strings of a
JSON record are made storable: U+0000 is dropped and a lone surrogate becomes U+FFFD.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import json
import lzma
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import chain
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .dates import Parsed, find_date, is_date_line, parse_date
from .extract import MAX_PAGE_BYTES, markup_text
from .outlets import OutletAliases, bare_host, default_aliases

if TYPE_CHECKING:
    from .extract import Page

__all__ = ["Article", "LoadError", "read_paths"]


@dataclass
class Article:
    external_id: str
    text: str
    outlet: str | None = None
    url: str | None = None
    published: str | None = None
    published_precision: str | None = None
    title: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    line: int | None = None
    # The id was made from the path the file was reached by (and a line or offset), not given by the
    # record: the same file reached by another path gets another id, so the loader decides "already
    # loaded" for such ids by content, not by id.
    id_from_path: bool = False
    markup: bool = False  # the record's text held HTML and was read as HTML (``extract.markup_text``)


@dataclass
class LoadError:
    source: str
    line: int | None
    reason: str
    record_id: str | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.reason}"

    @property
    def cause(self) -> str:
        """The reason without the item of an array it names (``where`` of ``_record_article``): what
        the records of one file may share."""
        return _ITEM.sub("", self.reason)


_ITEM = re.compile(r"^item \d+: ")


_FIELDS = ("id", "outlet", "url", "published", "title", "text")
# Skipped silently inside folders: plainly not articles, so reporting them is noise.
_NOT_ARTICLES = frozenset(
    ".png .jpg .jpeg .gif .webp .svg .ico .bmp .tif .tiff .mp3 .mp4 .wav .avi .mov .webm"
    " .db .sqlite .sqlite3 .db-wal .db-shm .db-journal .zip .gz .tgz .bz2 .xz .7z .tar"
    " .pyc .so .dll .exe .o .woff .woff2 .ttf .otf .css .js .mjs .map .cdx .cdxj".split()
)
_EXPECTED = (".txt, .json, .jsonl, .ndjson, .csv, .tsv, .html, .htm, .xhtml (each also compressed: .gz, .bz2, .xz),"
             " .warc, .warc.gz, .arc or .arc.gz")
# Keys only news-please writes; "title", "url", "authors", "language" are shared with others.
_NEWS_PLEASE_KEYS = frozenset(
    {"maintext", "date_publish", "date_download", "date_modify", "source_domain", "title_page", "title_rss", "localpath"}
)
_MEDIA_CLOUD_TEXT = ("text", "story_text")
# Article lists from GDELT (GKG, events, DOC API): URLs and scores, never the text.
_GDELT_KEYS = frozenset(
    {"documentidentifier", "v2documentidentifier", "sourceurl", "gkgrecordid", "globaleventid",
     "sourcecommonname", "seendate", "mobileurl"}
)
# Any number of year digits, so that " date 99999-01-01" is still read as the header (and its
# impossible date reported) rather than becoming the first line of the article.
_HEADER = re.compile(r" ?date (?P<date>\d{1,9}-\d{1,2}-\d{1,2})(?: +(?P<where>\S+))? *")
_MIN_READ = re.compile(r"\d+\s*min(?:ute)?s?\s+read", re.IGNORECASE)
_TITLE_WINDOW = 15  # non-empty lines searched for a title, as for a date
_MAX_TITLE = 300  # longer first lines are body paragraphs, not headlines
# Limits that keep one bad file from costing the load its memory. The longest news articles run to
# ~100,000 characters; a "record" of millions is a whole site, a book or many articles run together.
MAX_TEXT_CHARS = 1_000_000
_MIB = 2**20
# Formats read whole (one article or one JSON document); larger files are refused unread.
_MAX_WHOLE_FILE = {".txt": 16 * _MIB, "": 16 * _MIB, ".json": 128 * _MIB, ".html": MAX_PAGE_BYTES,
                   ".htm": MAX_PAGE_BYTES, ".xhtml": MAX_PAGE_BYTES}
_MAX_LINE_BYTES = 16 * _MIB  # one JSON Lines record; JSON Lines and CSV files are streamed, any size
_MAX_FIELD_CHARS = 16 * _MIB  # one CSV field
_MAX_DEPTH = 64  # nesting of a JSON record; news exports nest two or three levels
_HEAD_BYTES = 64 * 1024  # what is sniffed for binary content
_CHUNK = _MIB
# Files that are something else under a text name: (signature at the start, what the file is).
# Only signatures no article, page or JSON can start with.
_MAGIC = (
    (re.compile(rb"%PDF-"), "a PDF document"),
    (re.compile(rb"PK\x03\x04"), "a ZIP archive (or a .docx/.xlsx/.epub document)"),
    (re.compile(rb"\x1f\x8b"), "gzip-compressed data"),
    (re.compile(rb"\x89PNG\r\n\x1a\n"), "a PNG image"),
    (re.compile(rb"\xff\xd8\xff"), "a JPEG image"),
    (re.compile(rb"GIF8[79]a"), "a GIF image"),
    (re.compile(rb"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), "an old Microsoft Office document (.doc/.xls)"),
    (re.compile(rb"\{\\rtf1"), "an RTF document"),
    (re.compile(rb"SQLite format 3\x00"), "an SQLite database"),
    (re.compile(rb"\x7fELF"), "an executable"),
    (re.compile(rb"BZh[1-9]1AY&SY"), "bzip2-compressed data"),
    (re.compile(rb"\xfd7zXZ\x00"), "xz-compressed data"),
    (re.compile(rb"7z\xbc\xaf\x27\x1c"), "a 7-Zip archive"),
)


@dataclass(frozen=True)
class _Options:
    outlet: str | None
    published: Parsed | None
    aliases: OutletAliases
    fields: tuple[tuple[str, str], ...] = ()  # (our field, the record's key) of ``read_paths``'s *fields*


def read_paths(
    paths: Iterable[str | Path],
    *,
    outlet: str | None = None,
    published: str | None = None,
    aliases: OutletAliases | None = None,
    fields: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> Iterator[Article | LoadError]:
    """Articles and errors from files and folders, in a deterministic order.

    *outlet* and *published* apply to every article read, replacing whatever
    the files state or imply. *fields* names where a JSON or CSV record keeps
    one of ours (``{"text": "body", "outlet": "source.name"}``: a key, or a
    path of keys into nested objects; or (ours, key) pairs, the first key a
    record has giving the field, for files of several shapes). An option that can't be used (a date
    that can't be parsed, a field we don't have) raises ValueError at once:
    it is the caller's mistake, not the data's.
    """
    return _read_all(paths, reading_options(outlet, published, aliases, fields))


def reading_options(outlet: str | None = None, published: str | None = None, aliases: OutletAliases | None = None,
                    fields: Mapping[str, str] | Iterable[tuple[str, str]] | None = None) -> _Options:
    """``read_paths``'s options, checked."""
    aliases = aliases or default_aliases()
    stated = None
    if published is not None and (stated := parse_date(published)) is None:
        raise ValueError(f"cannot parse published date {published!r}")
    pairs = tuple(fields.items() if isinstance(fields, Mapping) else fields or ())
    for ours, key in pairs:
        if ours not in _FIELDS:
            raise ValueError(f"--field {ours}={key}: {ours!r} is none of our fields ({', '.join(_FIELDS)})")
        if not key.strip():
            raise ValueError(f"--field {ours}=: which key of the records holds the {ours}?")
    name = aliases.normalise_name(outlet) if outlet and outlet.strip() else None
    return _Options(name, stated, aliases, pairs)


def _read_all(paths: Iterable[str | Path], opts: _Options) -> Iterator[Article | LoadError]:
    seen: set[tuple] = set()  # files and folders read: symlink loops and repeats are read once
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = _walk(path, opts, seen)
        elif path.exists() or path.is_symlink():
            found = _read_file(path, _printable(path.name), opts, seen, explicit=True)
        else:
            found = iter([LoadError(_printable(str(path)), None, "no such file or directory")])
        for item in found:
            yield _checked(item)


def _checked(item: Article | LoadError) -> Article | LoadError:
    """The last word on an article, whatever format it came from: one too long to be an article
    is reported, rather than costing the load its memory further on."""
    if isinstance(item, Article) and len(item.text) > MAX_TEXT_CHARS:
        return LoadError(item.source, item.line, _too_long(len(item.text)), item.external_id)
    if isinstance(item, Article) and not _WORD.search(item.text):
        return LoadError(item.source, item.line, "no words in the text: only punctuation, symbols or spaces",
                         item.external_id)
    return item


_WORD = re.compile(r"[^\W_]")  # a letter or a digit, in any script


def _too_long(chars: int) -> str:
    return (f"text is {chars:,} characters long, more than the {MAX_TEXT_CHARS:,} an article may have"
            " (a whole site, or many articles in one record?): split it")


def _walk(top: Path, opts: _Options, seen: set[tuple]) -> Iterator[Article | LoadError]:
    """Files under *top*, sorted by name at each level, a subfolder read where its name sorts.

    Iterative, with a stack of open folders: folders nested thousands deep cannot exhaust
    Python's recursion limit.
    """
    stack: list[tuple[Iterator[os.DirEntry[str]], set[str], Path, str]] = []
    yield from _enter(top, "", seen, stack)
    while stack:
        entries, names, folder, rel = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        if entry.name.startswith(".") or _saved_page_assets(entry, names):
            continue
        path, name = folder / entry.name, f"{rel}{_printable(entry.name)}"
        if _is_dir(entry):
            yield from _enter(path, f"{name}/", seen, stack)
        else:
            yield from _read_file(path, name, opts, seen, explicit=False)


def _enter(folder: Path, rel: str, seen: set[tuple], stack: list) -> Iterator[LoadError]:
    """Push *folder*'s entries on *stack*, unless it was read already (symlink loops) or is unreadable."""
    real = _identity(folder)
    if real in seen:
        return
    seen.add(real)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda entry: entry.name)
    except OSError as e:
        yield LoadError(_printable(str(folder)), None, f"cannot read folder: {e.strerror}")
        return
    stack.append((iter(entries), {entry.name.lower() for entry in entries}, folder, rel))


def _identity(path: Path) -> tuple:
    """What makes two paths the same file or folder: device and inode (symlinks followed), so that
    loops and repeats are read once. Cheap at any depth, unlike resolving every component of the
    path. A path that cannot be followed (a dangling or looping link) is itself."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return ("path", os.path.abspath(path))
    return ("inode", st.st_dev, st.st_ino)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _printable(name: str) -> str:
    """A file name as text that can be stored: bytes that are not UTF-8 (kept by the file system
    as lone surrogates) written as ``\\xe9``, so that two such names stay apart."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _read_file(
    path: Path, name: str, opts: _Options, seen: set[tuple], *, explicit: bool
) -> Iterator[Article | LoadError]:
    """Dispatch on extension (a compressed file's on the one before ``.gz``, ``.bz2`` or ``.xz``);
    *name* is the file's id relative to what was given."""
    source, suffix = _printable(str(path)), _suffix(path.name)
    opener: Callable[..., IO[bytes]] = open
    if suffix in _COMPRESSED and (inner := _suffix(path.name[:-len(suffix)])) and (
            inner in _READERS or inner in _STREAMED):
        opener, suffix = _COMPRESSED[suffix], inner
    reader = _READERS.get(suffix)
    streamed = _STREAMED.get(suffix)
    if reader is None and streamed is None and suffix not in _ARCHIVE_SUFFIXES:
        if explicit or suffix not in _NOT_ARTICLES:
            yield LoadError(source, None, f"unsupported format {suffix!r}: expected {_EXPECTED}")
        return
    real = _identity(path)
    if real in seen:
        return
    seen.add(real)
    if path.exists() and not path.is_file():
        yield LoadError(source, None, "not a regular file")  # a FIFO or a device would never end
        return
    if reader is None and streamed is None:  # an archive: streamed from the file, never read whole
        yield from _read_warc(path, source, name, opts)
        return
    last = None  # the line of the last record a streamed file gave, for an error after it
    try:
        with opener(path, "rb") as fh:
            head = fh.read(_HEAD_BYTES)
            if problem := _sniff(head, suffix):
                yield LoadError(source, None, problem)
                return
            if streamed is not None:
                fh.seek(0)
                for item in streamed(source, name, fh, opts):
                    last = item.line if item.line is not None else last
                    yield item
                return
            limit = _MAX_WHOLE_FILE[suffix]
            if opener is open:
                size = os.fstat(fh.fileno()).st_size
                data = head + fh.read() if size <= limit else b""
            else:  # its size is known once it is read
                data = head + fh.read(limit + 1 - len(head))
                size = len(data)
            if size > limit:
                what = _bytes(size) if opener is open else f"more than {_bytes(limit)} uncompressed"
                yield LoadError(source, None, f"file is {what}, too large to be read whole (at most"
                                f" {_bytes(limit)} for {suffix or 'files without an extension'}){_TOO_BIG_HINT[reader]}")
                return
    except (EOFError, lzma.LZMAError, OSError) as e:
        if opener is open:
            yield LoadError(source, None, f"cannot read file: {e.strerror or e}")
        else:  # what came before the damage is read: its records stand
            at = None if last is None else last + 1
            yield LoadError(source, at, f"compressed data is damaged or cut short{' by this line' * (at is not None)}:"
                            f" {e}")
        return
    if suffix in _HTML_SUFFIXES and data.strip():
        yield from _read_html(source, name, data, opts)  # pages declare their own encoding
    elif not data.removeprefix(codecs.BOM_UTF8).strip():
        yield LoadError(source, None, "empty file")
    elif (nul := data.find(b"\0")) >= 0:
        yield LoadError(source, _line_at(data, nul), _nul_bytes(nul))
    else:
        yield from reader(source, name, data, opts)


def _sniff(head: bytes, suffix: str) -> str | None:
    """Why a file is not the text its name says, judged from its first bytes; None if it may be."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "file is UTF-16 encoded; save it as UTF-8"
    for magic, what in _MAGIC:
        if magic.match(head):
            kind = "an HTML page" if suffix in _HTML_SUFFIXES else f"{suffix or 'text'} text"
            return f"file is {what}, not {kind}: convert it to text, HTML or JSON first"
    # A CSV file is parsed as one stream: if it starts binary (UTF-16 without a byte order mark puts
    # a NUL in every other byte), the whole file is; a stray NUL later costs only its record.
    nul = head.find(b"\0")
    if suffix in (".csv", ".tsv") and nul >= 0 and (nul < head.find(b"\n") + 1 or head.count(b"\0") * 100 > len(head)):
        return _nul_bytes(nul)
    return None


def _nul_bytes(offset: int) -> str:
    return (f"NUL byte at offset {offset}: binary data, or text in UTF-16 without a byte order mark;"
            " save it as UTF-8 text")


def _line_at(data: bytes, offset: int) -> int:
    return _normalise_newlines(data[:offset].decode("utf-8", "replace")).count("\n") + 1


def _bytes(size: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", _MIB), ("KiB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def _read_text(source: str, name: str, data: bytes, opts: _Options) -> Iterator[Article | LoadError]:
    """Seed text format: an optional ' date YYYY-MM-DD <url|section>' line, then the article."""
    text = _decode(source, data)
    if isinstance(text, LoadError):
        yield text
        return
    first, _, rest = text.partition("\n")
    header = _HEADER.fullmatch(first)
    body = rest if header else text
    if not body.strip():
        yield LoadError(source, None, "no article text after the header line")
        return
    if len(body) > MAX_TEXT_CHARS:  # before the outlet and date searches read all of it
        yield LoadError(source, None, _too_long(len(body)), name)
        return
    extra: dict[str, Any] = {}
    stated = url = None
    if header:
        if (stated := parse_date(header["date"])) is None:
            extra["published_raw"] = header["date"]
        if where := header["where"]:
            if where.lower().startswith("http"):
                url = where
            else:
                extra["section"] = where
    published = opts.published or _pick_date(stated, find_date(body))
    yield Article(
        external_id=name,
        id_from_path=True,
        text=body,
        outlet=opts.outlet or opts.aliases.infer_outlet(url, body),
        url=url,
        published=published[0] if published else None,
        published_precision=published[1] if published else None,
        title=_infer_title(body),
        extra=extra,
        source=source,
    )


def _lines(fh: IO[bytes], sep: bytes) -> Iterator[tuple[int, int, bytes | None, int]]:
    """(number, byte offset, content, length) of each line ending in *sep*, read in chunks.

    A line longer than ``_MAX_LINE_BYTES`` comes with content None: it is skipped, never held.
    """
    number = 1
    offset = 0  # of the current line
    buf = b""  # the current line so far, then the rest of the chunk
    skipped = 0  # bytes of an over-long current line already dropped
    while chunk := fh.read(_CHUNK):
        buf += chunk
        pos = 0
        while (end := buf.find(sep, pos)) >= 0:
            length = skipped + end - pos
            yield number, offset, None if skipped else buf[pos:end], length
            number, offset, pos, skipped = number + 1, offset + length + 1, end + 1, 0
        if skipped or len(buf) - pos > _MAX_LINE_BYTES:
            skipped += len(buf) - pos
            buf = b""
        else:
            buf = buf[pos:]
    if buf or skipped:
        yield number, offset, None if skipped else buf, skipped + len(buf)


def _read_jsonl_file(source: str, name: str, fh: IO[bytes], opts: _Options) -> Iterator[Article | LoadError]:
    """JSON Lines streamed from the file: any size, one record's line in memory at a time."""
    head = fh.read(_HEAD_BYTES)
    fh.seek(0)
    # A file with carriage returns and no line feed at all is JSON Lines written with old Mac line
    # ends. (JSON cannot hold a raw CR inside a string, so a CR can only end a line or pad one.)
    sep = b"\r" if b"\n" not in head and b"\r" in head else b"\n"
    yield from _jsonl_records(source, name, _lines(fh, sep), opts)


def _read_jsonl(source: str, name: str, data: bytes, opts: _Options) -> Iterator[Article | LoadError]:
    """JSON Lines already in memory (a .json file that holds more than one value)."""
    sep = b"\r" if b"\n" not in data and b"\r" in data else b"\n"
    yield from _jsonl_records(source, name, _lines(io.BytesIO(data), sep), opts)


_GIVE_UP_AFTER = 10  # failed lines before any good one: not JSON Lines at all


def _jsonl_records(
    source: str, name: str, lines: Iterator[tuple[int, int, bytes | None, int]], opts: _Options
) -> Iterator[Article | LoadError]:
    """Decoded line by line, so a bad byte, bad JSON or an over-long line costs only its own line."""
    failed = good = 0
    for number, start, raw, length in lines:
        if raw is not None and number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw, start = raw[len(codecs.BOM_UTF8):], start + len(codecs.BOM_UTF8)
        if raw is not None and not raw.strip():
            continue
        item, is_object = _jsonl_line(source, name, number, start, raw, length, opts)
        if is_object:
            good += 1
        else:  # not even a JSON object: a record that lacks its text does not count
            failed += 1
        yield item
        if failed >= _GIVE_UP_AFTER and not good:
            yield LoadError(source, None, f"not JSON Lines: none of the first {failed} lines is a JSON object;"
                            " the rest of the file is skipped")
            return
    if not failed and not good:
        yield LoadError(source, None, "empty file")


def _jsonl_line(
    source: str, name: str, number: int, start: int, raw: bytes | None, length: int, opts: _Options
) -> tuple[Article | LoadError, bool]:
    """The record of one line, and whether the line held a JSON object at all."""
    if raw is None or length > _MAX_LINE_BYTES:
        return LoadError(source, number, f"line is {_bytes(length)} long, more than the {_bytes(_MAX_LINE_BYTES)}"
                         " a record may have; skipped"), False
    if (nul := raw.find(b"\0")) >= 0:
        return LoadError(source, number, _nul_bytes(start + nul)), False
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return LoadError(source, number, _bad_utf8(start + e.start, raw[e.start])), False
    record = _parse_json(line)
    if isinstance(record, _JsonProblem):
        return LoadError(source, number, record.reason), False
    if not isinstance(record, dict):
        return LoadError(source, number, f"expected a JSON object, got {_json_type(record)}"), False
    return _record_article(record, source, number, f"{name}:{number}", opts), True


@dataclass
class _JsonProblem:
    reason: str
    line: int | None = None


def _parse_json(text: str) -> Any:
    """The JSON value, or a _JsonProblem: invalid, nested too deeply, or a number too long to convert."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        return _JsonProblem(f"invalid JSON: {e.msg} (column {e.colno})", e.lineno)
    except RecursionError:
        return _JsonProblem(f"invalid JSON: nested more than {_MAX_DEPTH} levels deep")
    except ValueError as e:  # an integer of more digits than Python converts (4300)
        reason = "a number has too many digits" if "digits" in str(e) else _describe(e)
        return _JsonProblem(f"invalid JSON: {reason}")
    if _deeper_than(value, _MAX_DEPTH):
        return _JsonProblem(f"invalid JSON: nested more than {_MAX_DEPTH} levels deep")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return False


def _read_json(source: str, name: str, data: bytes, opts: _Options) -> Iterator[Article | LoadError]:
    """One JSON object (news-please writes one file per article), an array of objects, an object
    whose one array holds them (an API's page: ``{"status": …, "articles": [...]}``), or, under a
    .json name, JSON Lines."""
    text = _decode(source, data)
    if isinstance(text, LoadError):
        yield text
        return
    value = _parse_json(text)
    if isinstance(value, _JsonProblem):
        if value.reason.startswith("invalid JSON: Extra data"):  # more than one value: JSON Lines
            yield from _read_jsonl(source, name, data, opts)
        else:
            yield LoadError(source, value.line, value.reason)
        return
    key = _wrapping_key(value) if isinstance(value, dict) else None
    if key is not None:
        value = value[key]
    if isinstance(value, dict):
        yield _record_article(value, source, None, name, opts)
    elif isinstance(value, list):
        if not value:
            yield LoadError(source, None, "no records: the file holds an empty array")
        for index, (item, line) in enumerate(zip(value, _lines_of_items(text, key, len(value)))):
            if isinstance(item, dict):
                yield _record_article(item, source, line, f"{name}[{index}]", opts, where=f"item {index}: ")
            else:
                yield LoadError(source, line, f"item {index}: expected a JSON object, got {_json_type(item)}")
    else:
        yield LoadError(source, None, f"expected a JSON object or an array of objects, got {_json_type(value)}")


def _wrapping_key(value: dict) -> str | None:
    """The key of the records in an object that is no record but holds them: its one array of
    objects, some with a text."""
    texts = {"text", "maintext", *_MEDIA_CLOUD_TEXT}
    if value.keys() & texts:
        return None
    arrays = [k for k, v in value.items() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)]
    return arrays[0] if len(arrays) == 1 and any(i.keys() & texts for i in value[arrays[0]]) else None


_SPACE = re.compile(r"[ \t\n\r]*")  # what JSON allows between tokens


def _lines_of_items(text: str, key: str | None, items: int) -> list[int | None]:
    """``_item_lines``, or no line for any item should the walk not find them all: a record is never
    lost for want of its line."""
    try:
        lines: list[int | None] = list(_item_lines(text, key))
    except (ValueError, IndexError, TypeError):
        lines = []
    return lines if len(lines) == items else [None] * items


def _item_lines(text: str, key: str | None) -> Iterator[int]:
    """The line each item of the file's array starts on (of the array under ``key`` in the file's
    object), so that a bad item is named by its line, as a JSON Lines record is. The text is valid
    JSON (it was parsed), so the walk needs no checks; a key given twice counts where it was last."""
    decode = json.JSONDecoder().raw_decode
    i = _SPACE.match(text).end()
    if key is not None:
        at, i = None, _SPACE.match(text, i + 1).end()
        while text[i] != "}":
            name, i = decode(text, i)
            i = _SPACE.match(text, _SPACE.match(text, i).end() + 1).end()
            at = i if name == key else at
            i = _SPACE.match(text, decode(text, i)[1]).end()
            i = _SPACE.match(text, i + (text[i] == ",")).end()
        i = at
    i, line, counted = _SPACE.match(text, i + 1).end(), 1, 0
    while text[i] != "]":
        line, counted = line + text.count("\n", counted, i), i
        yield line
        i = _SPACE.match(text, decode(text, i)[1]).end()
        i = _SPACE.match(text, i + (text[i] == ",")).end()


def _read_csv_file(source: str, name: str, fh: IO[bytes], opts: _Options) -> Iterator[Article | LoadError]:
    """First row is the header; records are numbered by the line they start on. Streamed from the
    file, so a CSV of any size loads; a byte that is not UTF-8 costs its own record only."""
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
    leading: list[str] = []
    for line in text:  # blank lines before the header are skipped, as blank rows are
        leading.append(line)
        if line.strip():
            break
    delimiter = "\t" if source.lower().endswith(".tsv") else _delimiter(leading[-1] if leading else "")
    rows = (row for row in _csv_rows(source, chain(leading, text), delimiter)
            if isinstance(row, LoadError) or any(cell.strip() for cell in row[1]))
    header_row = next(rows, None)
    if header_row is None:
        yield LoadError(source, None, "empty file")
        return
    if isinstance(header_row, LoadError):
        yield header_row
        return
    header_line, header = header_row
    if bad := _csv_row_problem(header):
        yield LoadError(source, header_line, f"header: {bad}")
        return
    keys = [h.strip().lower() if h.strip().lower() in _FIELDS else h.strip() for h in header]
    if (missing := _missing_text(keys + [ours for ours, key in opts.fields if key in keys], name)) is not None:
        yield LoadError(source, header_line, missing)
        return
    if duplicates := sorted({k for k in keys if keys.count(k) > 1}):
        yield LoadError(source, header_line, f"duplicate columns: {', '.join(duplicates)}")
        return
    records = 0
    for row in rows:
        records += 1
        if isinstance(row, LoadError):
            yield row
            continue
        number, values = row
        if len(values) != len(keys):
            reason = f"expected {len(keys)} fields as in the header, got {len(values)}"
            yield LoadError(source, number, reason)
            continue
        if bad := _csv_row_problem(values):
            record_id = dict(zip(keys, values)).get("id")
            yield LoadError(source, number, bad, record_id if record_id and not _csv_row_problem([record_id]) else None)
            continue
        values = [_normalise_newlines(v) for v in values]
        yield _record_article(dict(zip(keys, values)), source, number, f"{name}:{number}", opts)
    if not records:
        yield LoadError(source, None, "no records after the header line")


def _delimiter(header: str) -> str:
    """The delimiter the header line uses: spreadsheets in much of Europe export with semicolons,
    others with tabs or bars. Sniffed from the header alone, as article text holds every one of
    them; a header of one column has none, and comma is as good as any."""
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8, kept by surrogateescape


def _csv_row_problem(values: list[str]) -> str | None:
    for value in values:
        if bad := _UNDECODED.search(value):
            byte = ord(bad.group()) - 0xDC00
            return f"invalid UTF-8: byte 0x{byte:02x} in this record; save the file as UTF-8"
        if "\0" in value:
            return _nul_bytes_in_record()
    return None


def _nul_bytes_in_record() -> str:
    return "NUL byte in this record: binary data, or text in UTF-16 without a byte order mark"


def _missing_text(keys: list[str], name: str) -> str | None:
    """Why a CSV header can give no article text, or None if it can."""
    lower = {k.lower() for k in keys}
    schema = _schema(lower)
    if "text" in lower or (schema == "media-cloud" and lower & set(_MEDIA_CLOUD_TEXT)):
        return None
    columns = ", ".join(keys)
    if schema == "media-cloud" or lower & _GDELT_KEYS or lower & {"url", "link"}:
        kind = {"media-cloud": "Media Cloud export"}.get(schema) or ("GDELT export" if lower & _GDELT_KEYS else name)
        return f"{kind} has no text column: export full text or load the HTML/WARC (columns: {columns})"
    return f"no 'text' column (columns: {columns}; --field text=COLUMN reads one)"


def _csv_rows(source: str, lines: Iterable[str], delimiter: str = ",") -> Iterator[tuple[int, list[str]] | LoadError]:
    """(start line, fields) per row, then a LoadError if the CSV breaks (reading stops there).

    The field size limit is raised (long articles exceed the 128 KiB default) only while a row is
    read, so the rest of the program keeps the default between rows.
    """
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    end = 0
    while True:
        limit = csv.field_size_limit(_MAX_FIELD_CHARS)
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            message = str(e)
            if "field larger than field limit" in message:
                message = f"a field is longer than {_MAX_FIELD_CHARS:,} characters"
            yield LoadError(source, end + 1, f"invalid CSV: {message}")
            return
        finally:
            csv.field_size_limit(limit)
        yield end + 1, fields
        end = reader.line_num


def _record_article(
    record: dict[str, Any], source: str, line: int | None, fallback_id: str, opts: _Options, *, where: str = ""
) -> Article | LoadError:
    """An Article from a JSON/CSV record: our own fields, or a news-please or Media Cloud record.

    Dates are not guessed from the text: a record has a field for that, and a
    date found in prose is a worse guess than none. *where* prefixes reasons
    for the items of a JSON array (which item).
    """
    record = _clean_strings(_with_fields(record, opts.fields) if opts.fields else record)
    schema = _schema(record)
    if schema == "own":
        return _own_article(record, source, line, fallback_id, opts, where)
    return _mapped_article(record, schema, source, line, fallback_id, opts, where)


def _other_keys(record: dict[str, Any]) -> str:
    """Where the text may be, for a record without one: the keys it has that are none of ours."""
    others = [k[:40] for k in record if k.lower() not in _FIELDS]
    if not others:
        return ""
    return f" (other keys: {', '.join(others[:8])}{', …' if len(others) > 8 else ''}; --field text=KEY reads one)"


def _with_fields(record: dict[str, Any], fields: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The record with each of our fields taken from where the caller said it is, the first place the
    record has; a key taken is not kept twice in ``extra``."""
    found: dict[str, Any] = {}
    taken = set()
    for ours, key in fields:
        if ours not in found and (value := _lookup(record, key)) is not _ABSENT:
            found[ours] = value
            taken.add(key)
    return {**{k: v for k, v in record.items() if k not in taken}, **found}


def _lookup(record: dict[str, Any], key: str) -> Any:
    """The value of a key, else of a path of keys into nested objects (``source.name``)."""
    if key in record:
        return record[key]
    value: Any = record
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return _ABSENT
        value = value[part]
    return value


_ABSENT = object()
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_strings(value: Any) -> Any:
    """Strings of a JSON record as SQLite can store them: a lone surrogate (``"\\ud83d"``, half an
    emoji cut by a scraper) becomes U+FFFD as browsers show it, and U+0000 is dropped. The
    record is no deeper than ``_MAX_DEPTH``, so recursion is bounded."""
    if isinstance(value, str):
        if "\0" in value:
            value = value.replace("\0", "")
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {_clean_strings(k): _clean_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_strings(v) for v in value]
    return value


def _schema(keys: Iterable[str]) -> str:
    """Whose record this is: "own" whenever our own outlet/published fields are there."""
    lower = {k.lower() for k in keys}
    if lower & {"outlet", "published"}:
        return "own"
    if lower & _NEWS_PLEASE_KEYS:
        return "news-please"
    if "stories_id" in lower or ("publish_date" in lower and lower & {"media_name", "media_url"}):
        return "media-cloud"
    return "own"


# Which keys of an export hold each of our fields, tried in order; the rest go to `extra`.
_MAPPINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "news-please": {
        "url": ("url",),
        "title": ("title", "title_page", "title_rss"),
        "published": ("date_publish",),
        "captured": ("date_download",),
        "site": ("source_domain",),
        "text": ("maintext", "text"),
    },
    "media-cloud": {
        "id": ("stories_id", "id"),
        "url": ("url",),
        "title": ("title",),
        "published": ("publish_date",),
        "site_name": ("media_name",),
        "site": ("media_url",),
        "text": _MEDIA_CLOUD_TEXT,
    },
}


def _mapped_article(
    record: dict[str, Any], schema: str, source: str, line: int | None, fallback_id: str, opts: _Options,
    where: str,
) -> Article | LoadError:
    keys = {}
    for key in record:
        keys.setdefault(key.lower(), key)
    values: dict[str, str] = {}
    names: dict[str, str] = {}  # the record's key each value came from
    used: set[str] = set()
    for name, candidates in _MAPPINGS[schema].items():
        for candidate in candidates:
            key = keys.get(candidate)
            value = record.get(key) if key is not None else None
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            elif value is not None and not isinstance(value, str):
                return LoadError(source, line, f"{where}'{key}' must be a string, got {_json_type(value)}")
            if value and value.strip():
                values[name] = value if name == "text" else value.strip()
                used.add(key)
                names[name] = key
                break
    record_id = values.get("id") or values.get("url")
    if "text" not in values:
        present = [keys[k] for k in _MAPPINGS[schema]["text"] if k in keys]
        detail = f"'{present[0]}' is empty" if present else "no " + " or ".join(f"'{k}'" for k in _MAPPINGS[schema]["text"])
        return LoadError(source, line, f"{where}no text: {detail}", record_id)
    text = _normalise_newlines(values["text"])
    if len(text) > MAX_TEXT_CHARS:  # before the outlet search reads all of it
        return LoadError(source, line, f"{where}{_too_long(len(text))}", record_id)
    text, markup = _field_text(text)
    if not text:
        return LoadError(source, line, f"{where}no text: '{names['text']}' holds HTML and no text", record_id)
    extra = {k: v for k, v in record.items() if k not in used and v not in (None, "", [], {})}
    published = parse_date(values["published"]) if "published" in values else None
    if "published" in values and published is None:
        extra["published_raw"] = values["published"]
    if "captured" in values:
        if captured := parse_date(values["captured"]):
            extra["captured"] = captured[0]
        else:
            extra["captured_raw"] = values["captured"]
    published = opts.published or published
    outlet = opts.outlet or opts.aliases.site_outlet(
        values.get("site"), values.get("url"), site_name=values.get("site_name"), text=text
    )
    return Article(
        external_id=record_id or fallback_id,
        id_from_path=not record_id,
        text=text,
        outlet=outlet,
        url=values.get("url"),
        published=published[0] if published else None,
        published_precision=published[1] if published else None,
        title=values.get("title"),
        extra=extra,
        source=source,
        line=line,
        markup=markup,
    )


def _own_article(
    record: dict[str, Any], source: str, line: int | None, fallback_id: str, opts: _Options, where: str
) -> Article | LoadError:
    """An Article from a record with our own fields (id, outlet, url, published, title, text)."""
    values: dict[str, str | None] = {}
    for key in _FIELDS[:-1]:
        value = record.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        elif value is not None and not isinstance(value, str):
            return LoadError(source, line, f"{where}'{key}' must be a string, got {_json_type(value)}")
        values[key] = (value.strip() or None) if value is not None else None
    record_id = values["id"]
    text = record.get("text")
    if text is None:
        return LoadError(source, line, f"{where}missing 'text' field{_other_keys(record)}", record_id)
    if not isinstance(text, str):
        return LoadError(source, line, f"{where}'text' must be a string, got {_json_type(text)}", record_id)
    if not text.strip():
        return LoadError(source, line, f"{where}empty 'text' field", record_id)
    text = _normalise_newlines(text)
    if len(text) > MAX_TEXT_CHARS:  # before the outlet search reads all of it
        return LoadError(source, line, f"{where}{_too_long(len(text))}", record_id)
    text, markup = _field_text(text)
    if not text:
        return LoadError(source, line, f"{where}'text' holds HTML and no text", record_id)
    extra = {k: v for k, v in record.items() if k not in _FIELDS}
    published = None
    if values["published"] is not None and (published := parse_date(values["published"])) is None:
        extra["published_raw"] = values["published"]
    published = opts.published or published
    stated_outlet = values["outlet"] and opts.aliases.normalise_name(values["outlet"])
    return Article(
        external_id=record_id or fallback_id,
        id_from_path=not record_id,
        text=text,
        outlet=opts.outlet or stated_outlet or opts.aliases.infer_outlet(values["url"], text),
        url=values["url"],
        published=published[0] if published else None,
        published_precision=published[1] if published else None,
        title=values["title"],
        extra=extra,
        source=source,
        line=line,
        markup=markup,
    )


def _field_text(text: str) -> tuple[str, bool]:
    """A record's text as given, or, where it holds HTML, that HTML read; and whether it did."""
    read = markup_text(text)
    return (text, False) if read is None else (read, True)


def _decode(source: str, data: bytes) -> str | LoadError:
    """UTF-8 (BOM dropped) with newlines normalised, or an error naming the bad byte."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return _normalise_newlines(data[bom:].decode("utf-8"))
    except UnicodeDecodeError as e:
        offset = bom + e.start
        line = _normalise_newlines(data[:offset].decode("utf-8", "replace")).count("\n") + 1
        return LoadError(source, line, _bad_utf8(offset, data[offset]))


def _bad_utf8(offset: int, byte: int) -> str:
    return f"invalid UTF-8: byte 0x{byte:02x} at offset {offset}; save the file as UTF-8"


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _pick_date(stated: Parsed | None, found: Parsed | None) -> Parsed | None:
    """The stated (header) day wins, unless the text gives a time on that same day."""
    if stated is None:
        return found
    if found and stated[1] == "day" and found[1] != "day" and found[0][:10] == stated[0]:
        return found
    return stated


def _infer_title(text: str) -> str | None:
    """First line that reads like a headline: not a dateline, label or 'N MIN READ'."""
    lines = [line.strip() for line in text.split("\n") if line.strip()][:_TITLE_WINDOW]
    for line in lines:
        if is_date_line(line) or line.endswith(":") or len(line.split()) < 3 or _MIN_READ.fullmatch(line):
            continue
        return line if len(line) <= _MAX_TITLE else None
    return None


def _read_html(source: str, name: str, data: bytes, opts: _Options) -> Iterator[Article | LoadError]:
    """A saved page: main text and metadata by trafilatura; the id is the path, as for text files."""
    from .extract import extract_page

    try:
        page = extract_page(data)
    except Exception as e:  # trafilatura's parser on a hostile page: this file only
        yield LoadError(source, None, f"cannot extract the page: {_describe(e)}")
        return
    if page is None:
        yield LoadError(source, None, "no article text found in the page")
        return
    yield _page_article(page, name, source, opts, {}, id_from_path=True)


def _read_warc(path: Path, source: str, name: str, opts: _Options) -> Iterator[Article | LoadError]:
    """Each HTML capture (status 200) of a WARC/ARC file is one article; other records are skipped."""
    from .extract import WarcProblem, extract_page, warc_captures

    try:
        if path.stat().st_size == 0:
            yield LoadError(source, None, "empty file")
            return
        fh = open(path, "rb")
    except OSError as e:
        yield LoadError(source, None, f"cannot read file: {e.strerror}")
        return
    with fh:
        for item in warc_captures(fh):
            where = f"record at offset {item.offset}{_in_stream(item.member)}"
            if isinstance(item, WarcProblem):
                after = ("the rest of the file could not be read" if item.resumed_at is None
                         else f"reading resumed at offset {item.resumed_at}")
                yield LoadError(source, None, f"{where}: {item.reason}; {after}", _strip_id(item.record_id))
                continue
            record_id = _strip_id(item.record_id)
            try:
                page = extract_page(item.html, item.target_uri, item.content_type)
            except Exception as e:
                yield LoadError(source, None, f"{where}: cannot extract the page: {_describe(e)}", record_id)
                continue
            if page is None:
                yield LoadError(source, None, f"{where}: no article text found in {item.target_uri}", record_id)
                continue
            extra: dict[str, Any] = {}
            if item.captured and (captured := parse_date(item.captured)):
                extra["captured"] = captured[0]
            elif item.captured:
                extra["captured_raw"] = item.captured
            if item.target_uri and item.target_uri != page.url:
                extra["captured_url"] = item.target_uri
            extra |= {"warc_record_id": record_id, "warc_offset": item.offset}
            if item.member is not None:
                extra["warc_decompressed_from"] = item.member
            external_id = f"{name}#{record_id}" if record_id else page.url or f"{name}@{item.offset}"
            yield _page_article(page, external_id, source, opts, extra, captured_url=item.target_uri,
                                id_from_path=bool(record_id) or not page.url)


def _in_stream(member: int | None) -> str:
    """Where offsets count from in a WARC gzipped as one stream (``gzip`` run on a whole WARC):
    the decompressed data, as no offset in the file can be sought to a record in it."""
    if member is None:
        return ""
    return " of the decompressed data" + (f" from the gzip member at offset {member}" if member else "")


def _page_article(
    page: Page, external_id: str, source: str, opts: _Options, extra: dict[str, Any], captured_url: str | None = None,
    id_from_path: bool = False,
) -> Article:
    """An Article from an extracted page. The outlet: the known domain of the URL it was captured
    from, then of its canonical URL (unless that names another site: a syndicated copy is the
    outlet's that served it), the site name (og:site_name) through the aliases or as given, the
    text's signature lines, and last the bare host."""
    from .extract import extractor_version

    meta: dict[str, Any] = {"site_name": page.site_name} if page.site_name else {}
    meta |= page.meta
    if page.published_raw:
        meta["published_raw"] = page.published_raw
    # A day from the markup gains its time from a dateline on that day in the text ("3 Feb 2022, 14:05").
    published = opts.published or (_pick_date(page.published, find_date(page.text)) if page.published else None)
    urls = [captured_url, page.url]
    if captured_url and page.url and bare_host(captured_url) != bare_host(page.url):
        urls = [captured_url]
    outlet = opts.outlet or opts.aliases.site_outlet(*urls, site_name=page.site_name, text=page.text)
    return Article(
        external_id=external_id,
        id_from_path=id_from_path,
        text=_normalise_newlines(page.text),
        outlet=outlet,
        url=page.url,
        published=published[0] if published else None,
        published_precision=published[1] if published else None,
        title=page.title,
        extra=meta | extra | {"extracted_with": extractor_version()},
        source=source,
    )


def _strip_id(record_id: str | None) -> str | None:
    """``<urn:uuid:…>`` is written with angle brackets; the id is what is inside."""
    return record_id.strip().removeprefix("<").removesuffix(">") if record_id else None


def _describe(error: Exception) -> str:
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _suffix(name: str) -> str:
    """The extension that decides the format; ``.warc.gz`` and ``.arc.gz`` count as one."""
    lower = name.lower()
    for suffix in _ARCHIVE_SUFFIXES:
        if lower.endswith(suffix):
            return suffix
    return Path(lower).suffix


def _saved_page_assets(entry: os.DirEntry[str], names: set[str]) -> bool:
    """A browser's "save page, complete" folder (``page_files/`` beside ``page.html``): scripts,
    styles and embedded frames of the page, not articles."""
    if not entry.name.endswith("_files") or not entry.is_dir():
        return False
    stem = entry.name[: -len("_files")].lower()
    return any(f"{stem}{suffix}" in names for suffix in _HTML_SUFFIXES)


_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_ARCHIVE_SUFFIXES = (".warc.gz", ".arc.gz", ".warc", ".arc")
# A format compressed (``articles.jsonl.gz``, as datasets are shared): read through the decompressor.
_COMPRESSED: dict[str, Callable[..., IO[bytes]]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
# Formats read whole (each file is one article, one page or one JSON document) …
_READERS = {
    ".txt": _read_text,
    "": _read_text,
    ".json": _read_json,
    **{suffix: _read_html for suffix in _HTML_SUFFIXES},
}
# … and formats streamed from the open file, so that their size does not matter.
_STREAMED = {
    ".jsonl": _read_jsonl_file,
    ".ndjson": _read_jsonl_file,
    ".csv": _read_csv_file,
    ".tsv": _read_csv_file,
}
_TOO_BIG_HINT = {
    _read_text: ": one article is never this long",
    _read_json: ": write it as JSON Lines (one object per line), which is read line by line",
    _read_html: ": a saved page is never this long",
}
