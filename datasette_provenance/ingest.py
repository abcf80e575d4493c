"""Read article files into records: seed text, JSON / JSON Lines (our fields, news-please, Media
Cloud), CSV (our columns, Media Cloud), saved HTML pages and WARC archives.

Bad input never raises: each problem becomes a ``LoadError`` in the output
stream, so one broken line costs one record, not the whole load. HTML and WARC
go through ``extract`` (trafilatura, warcio), imported only when such a file is met.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dates import Parsed, find_date, is_date_line, parse_date
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


@dataclass
class LoadError:
    source: str
    line: int | None
    reason: str
    record_id: str | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.reason}"


_FIELDS = ("id", "outlet", "url", "published", "title", "text")
# Skipped silently inside folders: plainly not articles, so reporting them is noise.
_NOT_ARTICLES = frozenset(
    ".png .jpg .jpeg .gif .webp .svg .ico .bmp .tif .tiff .mp3 .mp4 .wav .avi .mov .webm"
    " .db .sqlite .sqlite3 .db-wal .db-shm .db-journal .zip .gz .tgz .bz2 .xz .7z .tar"
    " .pyc .so .dll .exe .o .woff .woff2 .ttf .otf .css .js .mjs .map .cdx .cdxj".split()
)
_EXPECTED = ".txt, .json, .jsonl, .ndjson, .csv, .tsv, .html, .htm, .warc or .warc.gz"
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
_HEADER = re.compile(r" ?date (?P<date>\d{4}-\d{1,2}-\d{1,2})(?: +(?P<where>\S+))? *")
_MIN_READ = re.compile(r"\d+\s*min(?:ute)?s?\s+read", re.IGNORECASE)
_TITLE_WINDOW = 15  # non-empty lines searched for a title, as for a date
_MAX_TITLE = 300  # longer first lines are body paragraphs, not headlines


@dataclass(frozen=True)
class _Options:
    outlet: str | None
    published: Parsed | None
    aliases: OutletAliases


def read_paths(
    paths: Iterable[str | Path],
    *,
    outlet: str | None = None,
    published: str | None = None,
    aliases: OutletAliases | None = None,
) -> Iterator[Article | LoadError]:
    """Articles and errors from files and folders, in a deterministic order.

    *outlet* and *published* apply to every article read, replacing whatever
    the files state or imply. A *published* that can't be parsed raises
    ValueError at once: it is the caller's mistake, not the data's.
    """
    aliases = aliases or default_aliases()
    stated = None
    if published is not None and (stated := parse_date(published)) is None:
        raise ValueError(f"cannot parse published date {published!r}")
    name = aliases.normalise_name(outlet) if outlet and outlet.strip() else None
    return _read_all(paths, _Options(name, stated, aliases))


def _read_all(paths: Iterable[str | Path], opts: _Options) -> Iterator[Article | LoadError]:
    seen: set[str] = set()  # real paths, so symlink loops and repeats are read once
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from _walk(path, "", opts, seen)
        elif path.exists() or path.is_symlink():
            yield from _read_file(path, path.name, opts, seen, explicit=True)
        else:
            yield LoadError(str(path), None, "no such file or directory")


def _walk(folder: Path, rel: str, opts: _Options, seen: set[str]) -> Iterator[Article | LoadError]:
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda entry: entry.name)
    except OSError as e:
        yield LoadError(str(folder), None, f"cannot read folder: {e.strerror}")
        return
    names = {entry.name.lower() for entry in entries}
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if _saved_page_assets(entry, names):
            continue
        path, name = folder / entry.name, f"{rel}{entry.name}"
        if entry.is_dir():
            yield from _walk(path, f"{name}/", opts, seen)
        else:
            yield from _read_file(path, name, opts, seen, explicit=False)


def _read_file(
    path: Path, name: str, opts: _Options, seen: set[str], *, explicit: bool
) -> Iterator[Article | LoadError]:
    """Dispatch on extension; *name* is the file's id relative to what was given."""
    source, suffix = str(path), _suffix(path.name)
    reader = _READERS.get(suffix)
    if reader is None and suffix not in _ARCHIVE_SUFFIXES:
        if explicit or suffix not in _NOT_ARTICLES:
            yield LoadError(source, None, f"unsupported format {suffix!r}: expected {_EXPECTED}")
        return
    real = os.path.realpath(path)
    if real in seen:
        return
    seen.add(real)
    if path.exists() and not path.is_file():
        yield LoadError(source, None, "not a regular file")
        return
    if reader is None:  # an archive: streamed from the file, never read whole
        yield from _read_warc(path, source, name, opts)
        return
    try:
        data = path.read_bytes()
    except OSError as e:
        yield LoadError(source, None, f"cannot read file: {e.strerror}")
        return
    if suffix in _HTML_SUFFIXES and data.strip():
        yield from _read_html(source, name, data, opts)  # pages declare their own encoding
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield LoadError(source, None, "file is UTF-16 encoded; save it as UTF-8")
    elif not data.removeprefix(codecs.BOM_UTF8).strip():
        yield LoadError(source, None, "empty file")
    else:
        yield from reader(source, name, data, opts)


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
        text=body,
        outlet=opts.outlet or opts.aliases.infer_outlet(url, body),
        url=url,
        published=published[0] if published else None,
        published_precision=published[1] if published else None,
        title=_infer_title(body),
        extra=extra,
        source=source,
    )


def _read_jsonl(source: str, name: str, data: bytes, opts: _Options) -> Iterator[Article | LoadError]:
    """Decoded line by line, so a bad byte or bad JSON costs only its own line."""
    offset = 0
    for number, raw in enumerate(data.split(b"\n"), 1):
        start, offset = offset, offset + len(raw) + 1
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw, start = raw[len(codecs.BOM_UTF8):], start + len(codecs.BOM_UTF8)
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            yield LoadError(source, number, _bad_utf8(start + e.start, raw[e.start]))
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            yield LoadError(source, number, f"invalid JSON: {e.msg} (column {e.colno})")
            continue
        if not isinstance(record, dict):
            yield LoadError(source, number, f"expected a JSON object, got {_json_type(record)}")
            continue
        yield _record_article(record, source, number, f"{name}:{number}", opts)


def _read_json(source: str, name: str, data: bytes, opts: _Options) -> Iterator[Article | LoadError]:
    """One JSON object (news-please writes one file per article), an array of objects, or, under
    a .json name, JSON Lines."""
    text = _decode(source, data)
    if isinstance(text, LoadError):
        yield text
        return
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":  # more than one value: JSON Lines under a .json name
            yield from _read_jsonl(source, name, data, opts)
        else:
            yield LoadError(source, e.lineno, f"invalid JSON: {e.msg} (column {e.colno})")
        return
    if isinstance(value, dict):
        yield _record_article(value, source, None, name, opts)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield _record_article(item, source, None, f"{name}[{index}]", opts, where=f"item {index}: ")
            else:
                yield LoadError(source, None, f"item {index}: expected a JSON object, got {_json_type(item)}")
    else:
        yield LoadError(source, None, f"expected a JSON object or an array of objects, got {_json_type(value)}")


def _read_csv(source: str, name: str, data: bytes, opts: _Options) -> Iterator[Article | LoadError]:
    """First row is the header; records are numbered by the line they start on."""
    text = _decode(source, data)
    if isinstance(text, LoadError):
        yield text
        return
    first_line = text.lstrip("\n").partition("\n")[0]
    delimiter = "\t" if source.lower().endswith(".tsv") or ("\t" in first_line and "," not in first_line) else ","
    rows = [
        row for row in _csv_rows(source, text, delimiter)
        if isinstance(row, LoadError) or any(cell.strip() for cell in row[1])
    ]
    if not rows:
        yield LoadError(source, None, "empty file")
        return
    if isinstance(rows[0], LoadError):
        yield rows[0]
        return
    header_line, header = rows[0]
    keys = [h.strip().lower() if h.strip().lower() in _FIELDS else h.strip() for h in header]
    if (missing := _missing_text(keys, name)) is not None:
        yield LoadError(source, header_line, missing)
        return
    if duplicates := sorted({k for k in keys if keys.count(k) > 1}):
        yield LoadError(source, header_line, f"duplicate columns: {', '.join(duplicates)}")
        return
    if len(rows) == 1:
        yield LoadError(source, None, "no records after the header line")
        return
    for row in rows[1:]:
        if isinstance(row, LoadError):
            yield row
            continue
        number, values = row
        if len(values) != len(keys):
            reason = f"expected {len(keys)} fields as in the header, got {len(values)}"
            yield LoadError(source, number, reason)
            continue
        yield _record_article(dict(zip(keys, values)), source, number, f"{name}:{number}", opts)


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
    return f"no 'text' column (columns: {columns})"


def _csv_rows(source: str, text: str, delimiter: str = ",") -> list[tuple[int, list[str]] | LoadError]:
    """(start line, fields) per row, read eagerly so the field size limit can be restored."""
    rows: list[tuple[int, list[str]] | LoadError] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # long articles exceed the 128 KiB default
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        end = 0
        try:
            for fields in reader:
                rows.append((end + 1, fields))
                end = reader.line_num
        except csv.Error as e:
            rows.append(LoadError(source, end + 1, f"invalid CSV: {e}"))
    finally:
        csv.field_size_limit(limit)
    return rows


def _record_article(
    record: dict[str, Any], source: str, line: int | None, fallback_id: str, opts: _Options, *, where: str = ""
) -> Article | LoadError:
    """An Article from a JSON/CSV record: our own fields, or a news-please or Media Cloud record.

    Dates are not guessed from the text: a record has a field for that, and a
    date found in prose is a worse guess than none. *where* prefixes reasons
    for records that have no line of their own (items of a JSON array).
    """
    schema = _schema(record)
    if schema == "own":
        return _own_article(record, source, line, fallback_id, opts, where)
    return _mapped_article(record, schema, source, line, fallback_id, opts, where)


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
                break
    record_id = values.get("id") or values.get("url")
    if "text" not in values:
        present = [keys[k] for k in _MAPPINGS[schema]["text"] if k in keys]
        detail = f"'{present[0]}' is empty" if present else "no " + " or ".join(f"'{k}'" for k in _MAPPINGS[schema]["text"])
        return LoadError(source, line, f"{where}no text: {detail}", record_id)
    text = _normalise_newlines(values["text"])
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
        text=text,
        outlet=outlet,
        url=values.get("url"),
        published=published[0] if published else None,
        published_precision=published[1] if published else None,
        title=values.get("title"),
        extra=extra,
        source=source,
        line=line,
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
        return LoadError(source, line, f"{where}missing 'text' field", record_id)
    if not isinstance(text, str):
        return LoadError(source, line, f"{where}'text' must be a string, got {_json_type(text)}", record_id)
    if not text.strip():
        return LoadError(source, line, f"{where}empty 'text' field", record_id)
    text = _normalise_newlines(text)
    extra = {k: v for k, v in record.items() if k not in _FIELDS}
    published = None
    if values["published"] is not None and (published := parse_date(values["published"])) is None:
        extra["published_raw"] = values["published"]
    published = opts.published or published
    stated_outlet = values["outlet"] and opts.aliases.normalise_name(values["outlet"])
    return Article(
        external_id=record_id or fallback_id,
        text=text,
        outlet=opts.outlet or stated_outlet or opts.aliases.infer_outlet(values["url"], text),
        url=values["url"],
        published=published[0] if published else None,
        published_precision=published[1] if published else None,
        title=values["title"],
        extra=extra,
        source=source,
        line=line,
    )


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
    yield _page_article(page, name, source, opts, {})


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
            where = f"record at offset {item.offset}"
            if isinstance(item, WarcProblem):
                after = ("the rest of the file could not be read" if item.resumed_at is None
                         else f"reading resumed at offset {item.resumed_at}")
                yield LoadError(source, None, f"{where}: {item.reason}; {after}", _strip_id(item.record_id))
                continue
            record_id = _strip_id(item.record_id)
            try:
                page = extract_page(item.html, item.target_uri, item.charset)
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
            external_id = f"{name}#{record_id}" if record_id else page.url or f"{name}@{item.offset}"
            yield _page_article(page, external_id, source, opts, extra, captured_url=item.target_uri)


def _page_article(
    page: Page, external_id: str, source: str, opts: _Options, extra: dict[str, Any], captured_url: str | None = None
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
_READERS = {
    ".txt": _read_text,
    "": _read_text,
    ".json": _read_json,
    ".jsonl": _read_jsonl,
    ".ndjson": _read_jsonl,
    ".csv": _read_csv,
    ".tsv": _read_csv,
    **{suffix: _read_html for suffix in _HTML_SUFFIXES},
}
