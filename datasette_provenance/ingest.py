"""Read article files (seed text, JSON Lines, CSV) into records.

Bad input never raises: each problem becomes a ``LoadError`` in the output
stream, so one broken line costs one record, not the whole load.
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
from typing import Any

from .dates import Parsed, find_date, is_date_line, parse_date
from .outlets import OutletAliases, default_aliases

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
    " .pyc .so .dll .exe .o .woff .woff2 .ttf .otf".split()
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
    for entry in entries:
        if entry.name.startswith("."):
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
    source, suffix = str(path), path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        if explicit or suffix not in _NOT_ARTICLES:
            expected = ".txt, .jsonl, .ndjson or .csv"
            yield LoadError(source, None, f"unsupported format {suffix!r}: expected {expected}")
        return
    real = os.path.realpath(path)
    if real in seen:
        return
    seen.add(real)
    if path.exists() and not path.is_file():
        yield LoadError(source, None, "not a regular file")
        return
    try:
        data = path.read_bytes()
    except OSError as e:
        yield LoadError(source, None, f"cannot read file: {e.strerror}")
        return
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
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
        yield _record_article(record, source, name, number, opts)


def _read_csv(source: str, name: str, data: bytes, opts: _Options) -> Iterator[Article | LoadError]:
    """First row is the header; records are numbered by the line they start on."""
    text = _decode(source, data)
    if isinstance(text, LoadError):
        yield text
        return
    rows = [
        row for row in _csv_rows(source, text)
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
    if "text" not in keys:
        yield LoadError(source, header_line, f"no 'text' column (columns: {', '.join(keys)})")
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
        yield _record_article(dict(zip(keys, values)), source, name, number, opts)


def _csv_rows(source: str, text: str) -> list[tuple[int, list[str]] | LoadError]:
    """(start line, fields) per row, read eagerly so the field size limit can be restored."""
    rows: list[tuple[int, list[str]] | LoadError] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)  # long articles exceed the 128 KiB default
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
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
    record: dict[str, Any], source: str, name: str, line: int, opts: _Options
) -> Article | LoadError:
    """An Article from a JSON/CSV record.

    Dates are not guessed from the text: a record has a field for that, and a
    date found in prose is a worse guess than none.
    """
    values: dict[str, str | None] = {}
    for key in _FIELDS[:-1]:
        value = record.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        elif value is not None and not isinstance(value, str):
            return LoadError(source, line, f"'{key}' must be a string, got {_json_type(value)}")
        values[key] = (value.strip() or None) if value is not None else None
    record_id = values["id"]
    text = record.get("text")
    if text is None:
        return LoadError(source, line, "missing 'text' field", record_id)
    if not isinstance(text, str):
        return LoadError(source, line, f"'text' must be a string, got {_json_type(text)}", record_id)
    if not text.strip():
        return LoadError(source, line, "empty 'text' field", record_id)
    text = _normalise_newlines(text)
    extra = {k: v for k, v in record.items() if k not in _FIELDS}
    published = None
    if values["published"] is not None and (published := parse_date(values["published"])) is None:
        extra["published_raw"] = values["published"]
    published = opts.published or published
    stated_outlet = values["outlet"] and opts.aliases.normalise_name(values["outlet"])
    return Article(
        external_id=record_id or f"{name}:{line}",
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


_READERS = {
    ".txt": _read_text,
    "": _read_text,
    ".jsonl": _read_jsonl,
    ".ndjson": _read_jsonl,
    ".csv": _read_csv,
}
