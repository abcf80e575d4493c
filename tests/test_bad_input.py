"""Bad input never costs good data: each case is a folder holding one good article and something bad.

For every case the real loader (``load_paths``) runs on the folder and must not raise; the good
article must be in the database; every problem must be reported with a message naming the file
(and the line or record where there is one), in the summary and in ``load_errors``; records
that are fine must load; and the database must pass the consistency checks of the crash-safety
suite. The expected errors are listed exactly: an unexpected extra error fails the case too.
"""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import os
import pickle
import pwd
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import traceback
import tracemalloc
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from datasette_provenance.load import SKIPPED_LINES, load_paths

from test_crash_safety import check_consistency

GOOD = "good.txt"
GOOD_TEXT = ("Harbour cranes restart after the long strike\n"
             "Dock workers in the northern port returned to work on Monday after a settlement was reached late on"
             " Sunday, the port authority said in a statement.\n")
SENTENCE = "The committee met on Tuesday to discuss the harbour budget and the new ferry timetable for the islands."
GIB = 2**30


@dataclass
class Err:
    """An expected load_errors row: the file (relative to the case folder), line, reason pattern."""

    file: str
    line: int | None
    reason: str  # regular expression, searched in the reason
    record_id: str | None | type(...) = ...  # ... : any


@dataclass
class Case:
    make: Callable[[Path], list[Path] | None]  # writes the bad input; may return the paths to load
    errors: list[Err] = field(default_factory=list)
    loaded: dict[str, dict] = field(default_factory=dict)  # external id -> expected article columns
    check: Callable[[sqlite3.Connection], None] | None = None
    unprivileged: bool = False  # about file permissions: run as a user they apply to (not root)
    max_memory: int | None = None  # bytes Python may allocate during the load (tracemalloc peak)


def write(folder: Path, name: str | bytes, data: str | bytes) -> Path:
    if isinstance(name, bytes):  # a file name that is not UTF-8
        path = os.path.join(os.fsencode(folder), name)
        with open(path, "wb") as fh:
            fh.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        return Path(os.fsdecode(path))
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def jsonl(*records) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records)


def record(rid, text=SENTENCE, **fields) -> dict:
    return {"id": rid, "text": text, **fields}


def sparse(folder: Path, name: str, start: bytes = b"", size: int = GIB) -> None:
    """A file of *size* bytes that costs no disk: *start*, then a hole the file system fills with zeros."""
    path = write(folder, name, start)
    os.truncate(path, size)


def seeded_bytes(n: int, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)


def page(title: str, paragraphs: list[str], charset: str = "utf-8") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!doctype html><html><head><meta charset="{charset}"><title>{title}</title></head>'
            f"<body><article><h1>{title}</h1>{body}</article></body></html>")


PROSE = [f"Paragraph {i}: the regional council approved the plan after a long debate about costs and schedules"
         f" for the coastal railway line." for i in range(4)]


def rid(i: int) -> str:
    return f"urn:uuid:00000000-0000-4000-8000-{i:012d}"


def warc_records(n: int, *, short: int | None = None, mangle: int | None = None) -> tuple[bytes, list[int]]:
    """An uncompressed WARC of *n* HTML responses with known record ids, and the offset of each; the
    *short* record's Content-Length 300 bytes short, the *mangle* record's first line mangled."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    offsets = []
    for i in range(n):
        body = page(f"Railway story number {i}", [p.replace("Paragraph", f"Story {i} paragraph") for p in PROSE])
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        offsets.append(buf.tell())
        writer.write_record(writer.create_warc_record(f"https://example.org/{i}", "response", payload=io.BytesIO(body.encode()),
                                                      http_headers=http, warc_headers_dict={"WARC-Record-ID": f"<{rid(i)}>"}))
    data = buf.getvalue()
    if short is not None:
        at = data.index(b"Content-Length: ", offsets[short]) + len(b"Content-Length: ")
        end = data.index(b"\r\n", at)
        data = data[:at] + str(int(data[at:end]) - 300).encode() + data[end:]
    if mangle is not None:
        data = data[: offsets[mangle]] + b"WARX/9.9" + data[offsets[mangle] + 8 :]
    return data, offsets


def warc(folder: Path, name: str, cut: bool) -> int:
    """A gzipped WARC with two HTML responses; *cut*: truncated inside the second. Returns its offset."""
    data, offsets = warc_records(2)
    first = gzip.compress(data[: offsets[1]])
    packed = first + gzip.compress(data[offsets[1] :])
    write(folder, name, packed[: len(first) + 120] if cut else packed)
    return len(first)


WHOLE_WARC, WHOLE_OFFSETS = warc_records(4, mangle=2)  # to be gzipped as one member, as `gzip crawl.warc` does
SHORT_WARC, SHORT_OFFSETS = warc_records(3, short=1)
# A page of 21 MB: an image inlined as a data: URI longer than libxml2 reads by default, before the story.
BIG_PAGE = page("A page with a large inline map", PROSE).replace(
    "<article>", '<img alt="map" src="data:image/png;base64,' + "iVBORw0KGgoAAAANSUhEUg" * 950_000 + '"><article>')
ZH = "国务院总理朱镕基今天在北京会见了来访的代表团，双方就扩大经济合作和贸易往来深入交换了意见，并签署了多项协议。"
TR = "Sözcü, “sivil kayıpların ayrıntılı biçimde soruşturulması gerektiğini” söyledi ve gelişmelerin izlendiğini belirtti."


def nobody() -> tuple[int, int]:
    try:
        entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        return 65534, 65534


def as_unprivileged(function: Callable, *args):
    """*function*(*args) in a child process that has given up root for the nobody user, whose result
    is returned (or whose exception fails the test): root reads every file whatever its permissions,
    and CI runs as root. Skips, saying so, only where root cannot become nobody.

    Neither the checkout nor the virtualenv has to be readable by nobody (CI's may be root's only):
    the child loads a small article as root first, so that whatever a load imports is in memory,
    and the package's data files, which each load reads afresh, are read from a copy in a folder
    open to all.
    """
    import datasette_provenance

    spare = Path(tempfile.mkdtemp(prefix="bad-input-root-"))
    write(spare, GOOD, GOOD_TEXT)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(reader)
            load_paths(str(spare / "warm.db"), [spare / GOOD])
            package = shutil.copytree(Path(datasette_provenance.__file__).parent, spare / "package",
                                      ignore=shutil.ignore_patterns("__pycache__"))
            for path in [spare, *spare.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
            datasette_provenance.__spec__ = importlib.util.spec_from_file_location(
                "datasette_provenance", package / "__init__.py", submodule_search_locations=[str(package)])
            uid, gid = nobody()
            try:
                os.setgroups([])
                os.setgid(gid)
                os.setuid(uid)
            except OSError as e:
                result = ("skip", f"tests run as root, which reads files whatever their permissions, and cannot"
                                  f" become nobody (uid {uid}) to check them: {e}")
            else:
                result = ("ok", function(*args))
        except BaseException:
            result = ("error", traceback.format_exc())
        with os.fdopen(writer, "wb") as out:
            out.write(pickle.dumps(result))
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as inp:
        payload = inp.read()
    os.waitpid(pid, 0)
    shutil.rmtree(spare)
    kind, value = pickle.loads(payload)
    if kind == "skip":
        pytest.skip(value)
    if kind == "error":
        pytest.fail(f"the unprivileged load failed:\n{value}")
    return value


def shared_folder() -> Path:
    """A folder open to all, so that the nobody user can read the input and write the database
    (pytest's own folders are root's only); the caller removes it."""
    folder = Path(tempfile.mkdtemp(prefix="bad-input-"))
    folder.chmod(0o777)
    return folder


def deep_folders(folder: Path, depth: int) -> None:
    here = os.getcwd()
    try:
        os.chdir(folder)
        for _ in range(depth):
            os.mkdir("d")
            os.chdir("d")
        Path("bottom.txt").write_text("The bottom of the folders\n" + SENTENCE + "\n")
    finally:
        os.chdir(here)


def remove_deep(folder: Path) -> None:
    """rmtree recurses once per level: too deep for it, so the test cleans up after itself."""
    here = os.getcwd()
    try:
        os.chdir(folder)
        levels = 0
        while os.path.isdir("d"):
            os.chdir("d")
            levels += 1
        for name in os.listdir("."):
            os.remove(name)
        for _ in range(levels):
            os.chdir("..")
            os.rmdir("d")
    finally:
        os.chdir(here)


# ------------------------------------------------------------------------------- the cases

BAD_UTF8_TEXT = "Caf\u00e9 owners protest the new rules\nThe owners said the rules came too late.\n"
CASES: dict[str, Case] = {
    # --- binary files and encodings
    "binary .txt": Case(lambda f: write(f, "noise.txt", seeded_bytes(4000)),
                        [Err("noise.txt", 2, r"^NUL byte at offset 70: binary data")]),
    "binary .jsonl": Case(lambda f: write(f, "noise.jsonl", bytes(range(1, 256)).replace(b"\n", b"") * 40 + b"\n" +
                                          seeded_bytes(3000).replace(b"\n", b"").replace(b"\r", b"") + b"\n"),
                          [Err("noise.jsonl", 1, r"^invalid UTF-8: byte 0x80 at offset 126"),
                           Err("noise.jsonl", 2, r"^NUL byte at offset 10230")]),
    "binary .jsonl, many lines": Case(
        lambda f: write(f, "noise.jsonl", b"\n".join(seeded_bytes(200, i).replace(b"\n", b"x").replace(b"\r", b"x")
                                                     for i in range(500))),
        [Err("noise.jsonl", n, r"^(invalid UTF-8|NUL byte|invalid JSON)") for n in range(1, 11)]
        + [Err("noise.jsonl", None, r"^not JSON Lines: none of the first 10 lines is a JSON object")]),
    "invalid UTF-8 in a text file": Case(lambda f: write(f, "latin1.txt", BAD_UTF8_TEXT.encode("latin-1")),
                                         [Err("latin1.txt", 1, r"^invalid UTF-8: byte 0xe9 at offset 3; save the file as UTF-8")]),
    "mixed encodings, JSON Lines": Case(
        lambda f: write(f, "mixed.jsonl", jsonl(record("m1")).encode() + jsonl(record("m2", "Caf\u00e9 news")).encode("cp1252")
                        + jsonl(record("m3", "Caf\u00e9 news in UTF-8")).encode()),
        [Err("mixed.jsonl", 2, r"^invalid UTF-8: byte 0xe9 at offset \d+")],
        {"m1": {}, "m3": {"text": "Caf\u00e9 news in UTF-8"}}),
    "mixed encodings, CSV": Case(
        lambda f: write(f, "mixed.csv", "id,text\nc1,Plain text row here\n".encode() + "c2,Caf\u00e9 row\n".encode("cp1252")
                        + "c3,Caf\u00e9 row in UTF-8\n".encode()),
        [Err("mixed.csv", 3, r"^invalid UTF-8: byte 0xe9 in this record", "c2")],
        {"c1": {}, "c3": {"text": "Caf\u00e9 row in UTF-8"}}),
    "UTF-16 with a byte order mark": Case(lambda f: write(f, "wide.txt", GOOD_TEXT.encode("utf-16")),
                                          [Err("wide.txt", None, r"^file is UTF-16 encoded; save it as UTF-8$")]),
    "UTF-16 without a byte order mark, CSV": Case(
        lambda f: write(f, "wide.csv", "id,text\nw1,Some text\n".encode("utf-16-le")),
        [Err("wide.csv", None, r"^NUL byte at offset 1: binary data, or text in UTF-16 without a byte order mark")]),
    "a page in a declared legacy charset": Case(
        lambda f: write(f, "cyrillic.html", page("Новости порта", [
            "Портовые краны снова работают после долгой забастовки, сообщили в администрации порта в понедельник.",
            "Рабочие вернулись к работе после того, как в воскресенье вечером было достигнуто соглашение."],
            charset="windows-1251").encode("cp1251")),
        [], {"cyrillic.html": {"title": "Новости порта"}}),
    # --- empty files
    "empty files of every format": Case(
        lambda f: [write(f, name, data) for name, data in (
            ("a.txt", b""), ("b.jsonl", b"\n \n\n"), ("c.csv", b"\xef\xbb\xbf"), ("d.json", b"  \n"), ("e.html", b""),
            ("f.warc.gz", b""), ("g.ndjson", b"\r\n\r\n"))] and None,
        [Err(name, None, r"^empty file$") for name in ("a.txt", "b.jsonl", "c.csv", "d.json", "e.html", "f.warc.gz",
                                                       "g.ndjson")]),
    "a text file with only its header line": Case(lambda f: write(f, "header.txt", " date 2022-02-03 WORLD\n"),
                                                  [Err("header.txt", None, r"^no article text after the header line$")]),
    # --- huge files: refused or streamed, never read whole
    "1 GB text file": Case(lambda f: sparse(f, "huge.txt", b"A headline\n"),
                           [Err("huge.txt", None, r"^file is 1\.0 GiB, too large to be read whole \(at most 16\.0 MiB")],
                           max_memory=64 * 2**20),
    "1 GB JSON Lines file (streamed)": Case(
        lambda f: sparse(f, "huge.jsonl", jsonl(record("first")).encode()),
        [Err("huge.jsonl", 2, r"^line is 1024\.0 MiB long, more than the 16\.0 MiB a record may have; skipped$")],
        {"first": {}}, max_memory=64 * 2**20),
    "1 GB CSV file": Case(lambda f: sparse(f, "huge.csv", b"id,text\nx1,Some text\n"),
                          [Err("huge.csv", None, r"^NUL byte at offset 21")], max_memory=64 * 2**20),
    "1 GB JSON file": Case(lambda f: sparse(f, "huge.json", b'[{"text": "x"}'),
                           [Err("huge.json", None, r"^file is 1\.0 GiB, too large .*write it as JSON Lines")],
                           max_memory=64 * 2**20),
    "1 GB HTML file": Case(lambda f: sparse(f, "huge.html", b"<html><body>"),
                           [Err("huge.html", None, r"^file is 1\.0 GiB, too large to be read whole")],
                           max_memory=64 * 2**20),
    "1 GB web archive of zeros": Case(lambda f: sparse(f, "huge.warc.gz"),
                                      [Err("huge.warc.gz", None, r"not a WARC or ARC file")], max_memory=64 * 2**20),
    "10 MB single-line article, text file": Case(
        lambda f: write(f, "long.txt", (SENTENCE + " ") * 95_000),
        [Err("long.txt", None, r"^text is 9,880,000 characters long, more than the 1,000,000 an article may have",
             "long.txt")]),
    "10 MB single-line article, JSON Lines": Case(
        lambda f: write(f, "long.jsonl", jsonl(record("short"), record("long", (SENTENCE + " ") * 95_000))),
        [Err("long.jsonl", 2, r"^text is 9,880,000 characters long", "long")], {"short": {}}),
    "10 MB single-line article, CSV": Case(
        lambda f: write(f, "long.csv", f"id,text\nlong,{(SENTENCE.replace(',', '') + ' ') * 95_000}\nshort,{SENTENCE}\n"),
        [Err("long.csv", 2, r"^text is [\d,]+ characters long", "long")], {"short": {}}),
    # --- JSON Lines
    "JSON Lines with a broken line in the middle": Case(
        lambda f: write(f, "feed.jsonl", jsonl(record("j1"), '{"id": "j2", "text": "broken",, }', record("j3"))),
        [Err("feed.jsonl", 2, r"^invalid JSON: Expecting property name enclosed in double quotes \(column 31\)$")],
        {"j1": {}, "j3": {}}),
    "a JSON line that is a list, a string, a number or null": Case(
        lambda f: write(f, "feed.jsonl", jsonl(["a", "list"], '"just text"', 42, None, record("ok"))),
        [Err("feed.jsonl", 1, r"^expected a JSON object, got array$"), Err("feed.jsonl", 2, r"got string$"),
         Err("feed.jsonl", 3, r"got number$"), Err("feed.jsonl", 4, r"got null$")], {"ok": {}}),
    "fields of the wrong type": Case(
        lambda f: write(f, "feed.jsonl", jsonl(record("t1", 5), record("t2", title={"a": 1}), record("t3", outlet=["x"]),
                                               record("t4", published=True), {"id": "t5"}, record("t6", "  \n "))),
        [Err("feed.jsonl", 1, r"^'text' must be a string, got number$", "t1"),
         Err("feed.jsonl", 2, r"^'title' must be a string, got object$"),
         Err("feed.jsonl", 3, r"^'outlet' must be a string, got array$"),
         Err("feed.jsonl", 4, r"^'published' must be a string, got boolean$"),
         Err("feed.jsonl", 5, r"^missing 'text' field$", "t5"), Err("feed.jsonl", 6, r"^empty 'text' field$", "t6")]),
    "very deep JSON nesting": Case(
        lambda f: [write(f, "deep.json", "[" * 100_000 + "]" * 100_000),
                   write(f, "deep.jsonl", jsonl(record("shallow"), "[" * 100_000 + "]" * 100_000,
                                                json.dumps(record("nested", extra=json.loads("[" * 200 + "]" * 200)))))]
        and None,
        [Err("deep.json", None, r"^invalid JSON: nested more than 64 levels deep$"),
         Err("deep.jsonl", 2, r"^invalid JSON: nested more than 64 levels deep$"),
         Err("deep.jsonl", 3, r"^invalid JSON: nested more than 64 levels deep$")], {"shallow": {}}),
    "a feed whose first records have no text": Case(
        lambda f: write(f, "feed.jsonl", jsonl(*({"title": f"Headline {n}"} for n in range(12)), record("late"))),
        [Err("feed.jsonl", n, r"^missing 'text' field$") for n in range(1, 13)], {"late": {}}),
    "a number with 5000 digits": Case(
        lambda f: write(f, "big.jsonl", jsonl('{"id": ' + "9" * 5000 + ', "text": "x"}', record("fine"))),
        [Err("big.jsonl", 1, r"^invalid JSON: a number has too many digits$")], {"fine": {}}),
    "numeric ids": Case(
        lambda f: write(f, "ids.jsonl", jsonl(record(7), record("7"), record(7, "Another text for the same id"),
                                              record(1.5), record(True))),
        [Err("ids.jsonl", 3, r"^duplicate id '7' with different text: the version loaded first is kept$", "7"),
         Err("ids.jsonl", 5, r"^'id' must be a string, got boolean$")],
        {"7": {"text": SENTENCE}, "1.5": {}},
        check=lambda db: db.execute("select count(*) from articles where external_id = '7'").fetchone()[0] == 1),
    "ids with slashes and other characters": Case(
        lambda f: write(f, "ids.jsonl", jsonl(*(record(i) for i in (
            "a/b", "../../etc/passwd", "/absolute/path", "x?y#z&w=1", "id with spaces", "<script>alert(1)</script>",
            "%2e%2e%2f", "tilde~name")))),
        [], {i: {} for i in ("a/b", "../../etc/passwd", "/absolute/path", "x?y#z&w=1", "id with spaces",
                             "<script>alert(1)</script>", "%2e%2e%2f", "tilde~name")}),
    "duplicate ids with different text": Case(
        lambda f: [write(f, "a.jsonl", jsonl(record("dup", "First version of the story."), record("dup", "First version of the story."),
                                             record("dup", "Second, different version."))),
                   write(f, "b.jsonl", jsonl(record("dup", "A third version from another file.")))] and None,
        [Err("a.jsonl", 3, r"^duplicate id 'dup' with different text: the version loaded first is kept$", "dup"),
         Err("b.jsonl", 1, r"^duplicate id 'dup' with different text", "dup")],
        {"dup": {"text": "First version of the story."}}),
    "lone surrogates in JSON strings": Case(
        lambda f: write(f, "emoji.jsonl", '{"id": "s\\ud83d", "text": "Half an emoji \\ud83d here", "title": "T\\udc00",'
                                          ' "source_note": "x\\ud800"}\n'),
        [], {"s\ufffd": {"text": "Half an emoji \ufffd here", "title": "T\ufffd"}}),
    "NUL characters": Case(
        lambda f: [write(f, "nul.txt", "A headline here\nBody with a \0 NUL byte.\n"),
                   write(f, "nul.jsonl", jsonl(record("escaped", "Escaped \0 NUL"),
                                               '{"id": "raw", "text": "raw \0 NUL"}', record("after"))),
                   write(f, "nul.csv", "id,text\nbig," + "filler words " * 6_000 + "\nn1,before\0after\nn2,fine\n")] and None,
        [Err("nul.txt", 2, r"^NUL byte at offset 28: binary data"), Err("nul.jsonl", 2, r"^NUL byte at offset \d+"),
         Err("nul.csv", 3, r"^NUL byte in this record", "n1")],
        {"escaped": {"text": "Escaped  NUL"}, "after": {}, "big": {}, "n2": {}}),
    "JSON top level that is not an object": Case(
        lambda f: [write(f, "a.json", '"just a string"'), write(f, "b.json", "[]"),
                   write(f, "c.json", f"[\n{json.dumps(record('item0'))},\n  5 ,\n\n{json.dumps(record('item2', 7))}]")]
        and None,  # an array's item is named by its index and the line it starts on
        [Err("a.json", None, r"^expected a JSON object or an array of objects, got string$"),
         Err("b.json", None, r"^no records: the file holds an empty array$"),
         Err("c.json", 3, r"^item 1: expected a JSON object, got number$"),
         Err("c.json", 5, r"^item 2: 'text' must be a string, got number$")], {"item0": {}}),
    # --- CSV
    "CSV with quoted newlines and missing columns": Case(
        lambda f: write(f, "table.csv", 'id,title,text\nc1,"Title\non two lines","Body one\ncontinues here"\n'
                                        "c2,only two\nc3,t,body three\nc4,t,body,extra\n\nc5\n"),
        [Err("table.csv", 5, r"^expected 3 fields as in the header, got 2$"),
         Err("table.csv", 7, r"^expected 3 fields as in the header, got 4$"),
         Err("table.csv", 9, r"^expected 3 fields as in the header, got 1$")],
        {"c1": {"title": "Title\non two lines", "text": "Body one\ncontinues here", "source_line": 2},
         "c3": {"source_line": 6}}),
    "CSV with an unterminated quote": Case(lambda f: write(f, "open.csv", 'id,text\nq1,fine\nq2,"never closed\nq3,more\n'),
                                           [Err("open.csv", 3, r"^invalid CSV: unexpected end of data$")], {"q1": {}}),
    "CSV without a text column, and with duplicate columns": Case(
        lambda f: [write(f, "links.csv", "url,title\nhttps://example.org/1,A title\n"),
                   write(f, "twice.csv", "id,text,text\n1,a,b\n")] and None,
        [Err("links.csv", 1, r"has no text column: export full text or load the HTML/WARC"),
         Err("twice.csv", 1, r"^duplicate columns: text$")]),
    "a semicolon-separated CSV (a European spreadsheet's export)": Case(
        lambda f: write(f, "export.csv", "id;title;text\r\nsc1;Zinsen steigen;Die Inflation lag bei 8,4 %, sagte die Bank.\r\n"
                                          'sc2;"Titel; mit Semikolon";"Text, mit Kommas, und; Semikolon"\r\n'),
        [], {"sc1": {"title": "Zinsen steigen", "text": "Die Inflation lag bei 8,4 %, sagte die Bank."},
             "sc2": {"title": "Titel; mit Semikolon", "text": "Text, mit Kommas, und; Semikolon"}}),
    # --- dates
    "absurd dates": Case(
        lambda f: [write(f, "dates.jsonl", jsonl(*(record(f"d{i}", published=d) for i, d in enumerate(
            ["0000-01-01", "99999-01-01", "2022-13-45", "2022-02-30T25:61:00Z", "-1", 1e300, "9999999999999"])))),
            write(f, "year0.txt", " date 0000-01-01 WORLD\nA headline for year zero\n" + SENTENCE + "\n"),
            write(f, "year99999.txt", " date 99999-12-31 WORLD\nA headline for a far year\n" + SENTENCE + "\n")] and None,
        [], {**{f"d{i}": {"published": None} for i in range(7)},
             "year0.txt": {"published": None, "title": "A headline for year zero"},
             "year99999.txt": {"published": None, "title": "A headline for a far year"}},
        check=lambda db: [json.loads(e)["published_raw"] for (e,) in db.execute(
            "select extra from articles where external_id in ('d2', 'year99999.txt') order by id")]
        == ["2022-13-45", "99999-12-31"]),
    # --- text that is not an article
    "text that is only punctuation": Case(
        lambda f: [write(f, "punct.txt", "!!! ... ??? --- ,,, ;;;\n... !!! ???\n"),
                   write(f, "punct.jsonl", jsonl(record("p1", "\u2014 \u2026 \u00bb\u00ab \U0001F600"), record("p2")))] and None,
        [Err("punct.txt", None, r"^no words in the text: only punctuation, symbols or spaces$", "punct.txt"),
         Err("punct.jsonl", 1, r"^no words in the text", "p1")], {"p2": {}}),
    "text that is only boilerplate": Case(
        lambda f: write(f, "boiler.txt", "Share this article\nFollow us on Twitter and Facebook\nAll rights reserved \u00a9 2022"
                                         "\nSubscribe to our newsletter\nREAD MORE: Another story\nAdvertisement\n"),
        [], {"boiler.txt": {}},
        check=lambda db: db.execute("select min(p.boilerplate) from paragraphs p join articles a on a.id = p.article_id"
                                    " where a.external_id = 'boiler.txt'").fetchone()[0] == 1),
    # --- file names and the file system
    "file names with odd characters": Case(
        lambda f: [write(f, name, f"A headline for odd name {i}\n" + SENTENCE + "\n") for i, name in enumerate((
            "with space.txt", "\u00fcn\u00efc\u00f8d\u00e9 \u6587\u5b57.txt", "new\nline.txt", "quote'\"s.txt",
            "-leading-dash.txt", "semi;colon&amp<b>.txt", "back\\slash.txt", b"caf\xe9.txt"))] and None,
        [], {name: {} for name in ("with space.txt", "\u00fcn\u00efc\u00f8d\u00e9 \u6587\u5b57.txt", "new\nline.txt",
                                   "quote'\"s.txt", "-leading-dash.txt", "semi;colon&amp<b>.txt", "back\\slash.txt",
                                   "caf\\xe9.txt")}),
    "symlink loops and dangling links": Case(
        lambda f: [(f / "loop").symlink_to(f), (f / "sub").mkdir(), (f / "sub" / "up").symlink_to(f),
                   (f / "self.txt").symlink_to(f / "self.txt"), (f / "dangling.txt").symlink_to(f / "missing.txt"),
                   (f / "same.txt").symlink_to(f / GOOD)] and None,
        [Err("self.txt", None, r"^cannot read file: Too many levels of symbolic links$"),
         Err("dangling.txt", None, r"^cannot read file: No such file or directory$")]),
    "a folder without read permission": Case(
        lambda f: [write(f, "locked/a.txt", GOOD_TEXT), (f / "locked").chmod(0)] and None,
        [Err("locked", None, r"^cannot read folder: Permission denied$")], unprivileged=True),
    "a file without read permission": Case(
        lambda f: [write(f, "locked.txt", GOOD_TEXT).chmod(0)] and None,
        [Err("locked.txt", None, r"^cannot read file: Permission denied$")], unprivileged=True),
    "a FIFO named like an article": Case(lambda f: os.mkfifo(f / "pipe.txt"),
                                         [Err("pipe.txt", None, r"^not a regular file$")]),
    "folders nested 1500 deep": Case(lambda f: deep_folders(f, 1500), [], {"d/" * 1500 + "bottom.txt": {}}),
    "a path that does not exist, and an unsupported format": Case(
        lambda f: [write(f, "notes.docx", b"PK\x03\x04" + bytes(100)) and f, f / "missing.jsonl"],
        [Err("notes.docx", None, r"^unsupported format '\.docx': expected \.txt, \.json"),
         Err("missing.jsonl", None, r"^no such file or directory$")]),
    # --- web archives
    "a WARC gzipped as one member (gzip crawl.warc), with a broken record": Case(
        lambda f: write(f, "crawl.warc.gz", gzip.compress(WHOLE_WARC)) and None,
        [Err("crawl.warc.gz", None, rf"^record at offset {WHOLE_OFFSETS[2]} of the decompressed data: .+;"
                                    rf" reading resumed at offset {WHOLE_OFFSETS[3]}$")],
        {f"crawl.warc.gz#{rid(i)}": {"url": f"https://example.org/{i}"} for i in (0, 1, 3)}),
    "a WARC record whose Content-Length is too short": Case(
        lambda f: write(f, "crawl.warc", SHORT_WARC) and None,
        [Err("crawl.warc", None, rf"^record at offset {SHORT_OFFSETS[1]}: the record does not end where its"
                                 rf" Content-Length says .+; reading resumed at offset {SHORT_OFFSETS[2]}$", rid(1))],
        {f"crawl.warc#{rid(i)}": {"url": f"https://example.org/{i}"} for i in (0, 2)}),
    # --- formats that are something else
    "a truncated .warc.gz": Case(
        lambda f: warc(f, "crawl.warc.gz", cut=True) and None,
        [Err("crawl.warc.gz", None, r"^record at offset \d+: the file ends inside this record \(truncated\);"
                                    r" the rest of the file could not be read$")],
        {"crawl.warc.gz#": {}}),
    "an HTML file that is a PDF renamed": Case(
        lambda f: write(f, "report.html", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + seeded_bytes(2000)),
        [Err("report.html", None, r"^file is a PDF document, not an HTML page: convert it to text, HTML or JSON first$")]),
    "JSON Lines that are a ZIP file, JSON that is gzipped": Case(
        lambda f: [write(f, "export.jsonl", b"PK\x03\x04" + seeded_bytes(500)),
                   write(f, "export.json", gzip.compress(json.dumps(record("z")).encode()))] and None,
        [Err("export.jsonl", None, r"^file is a ZIP archive"), Err("export.json", None, r"^file is gzip-compressed data")]),
    "an HTML page over 20 MB": Case(lambda f: write(f, "big.html", BIG_PAGE), [],
                                    {"big.html": {"title": "A page with a large inline map"}}),
    "pages in GB2312 and ISO-8859-9": Case(
        lambda f: [write(f, "zh.html", page("朱镕基会见来访代表团", [ZH, ZH[::-1]], charset="gb2312").encode("gbk")),
                   write(f, "tr.html", page("Soruşturma çağrısı yapıldı", [TR, PROSE[0]], charset="iso-8859-9")
                         .encode("cp1254"))] and None,
        [], {"zh.html": {"title": "朱镕基会见来访代表团"}, "tr.html": {"title": "Soruşturma çağrısı yapıldı"}},
        check=lambda db: [ZH in t or TR in t for (t,) in db.execute(
            "select text from articles where external_id in ('zh.html', 'tr.html')")] == [True, True]),
    "an HTML page with no article in it": Case(
        lambda f: write(f, "menu.html", "<html><body><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></body></html>"),
        [Err("menu.html", None, r"^no article text found in the page$")]),
    "an HTML page of binary noise": Case(lambda f: write(f, "noise.html", bytes(range(1, 256)) * 40),
                                         [Err("noise.html", None, r"^no article text found in the page$")]),
    # --- byte order marks and line endings
    "UTF-8 byte order marks": Case(
        lambda f: [write(f, "bom.txt", "\ufeff date 2022-02-03 WORLD\nA headline after a BOM\n" + SENTENCE + "\n"),
                   write(f, "bom.jsonl", "\ufeff" + jsonl(record("b1"))),
                   write(f, "bom.csv", "\ufeffid,text\nb2," + SENTENCE + "\n")] and None,
        [], {"bom.txt": {"published": "2022-02-03", "title": "A headline after a BOM"}, "b1": {}, "b2": {}}),
    "CRLF and CR-only line endings": Case(
        lambda f: [write(f, "crlf.txt", "A CRLF headline here\r\nFirst line.\r\nSecond line.\r\n"),
                   write(f, "cr.txt", "A CR headline here\rFirst line.\rSecond line.\r"),
                   write(f, "cr.jsonl", jsonl(record("r1"), record("r2")).replace("\n", "\r")),
                   write(f, "cr.csv", 'id,text\rr3,"two\rlines"\rr4,one line\r')] and None,
        [], {"crlf.txt": {"text": "A CRLF headline here\nFirst line.\nSecond line.\n"},
             "cr.txt": {"text": "A CR headline here\nFirst line.\nSecond line.\n"},
             "r1": {"source_line": 1}, "r2": {"source_line": 2}, "r3": {"text": "two\nlines"}, "r4": {"source_line": 4}}),
}


def test_there_are_enough_cases():
    assert len(CASES) >= 57  # 57 cases, the number the README gives


def test_the_readme_gives_the_number_of_cases():
    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    assert f"Bad input never costs good data: {len(CASES)} cases" in readme


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(tmp_path, capfd, request, name):
    case = CASES[name]
    unprivileged = case.unprivileged and os.geteuid() == 0
    base = shared_folder() if unprivileged else tmp_path
    if unprivileged:
        request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    folder = base / "input"
    folder.mkdir()
    write(folder, GOOD, GOOD_TEXT)
    made = case.make(folder)
    paths = [p for p in made if p is not None] if isinstance(made, list) else [folder]
    db = base / "corpus.db"
    try:
        if case.max_memory:  # what importing the loader's modules allocates is not the load's
            warm = tmp_path / "warm"
            warm.mkdir()
            load_paths(str(tmp_path / "warm.db"), [write(warm, GOOD, GOOD_TEXT)])
            tracemalloc.start()
        if unprivileged:
            errors = as_unprivileged(lambda: load_paths(str(db), paths).errors)
        else:
            errors = load_paths(str(db), paths).errors
        if case.max_memory:
            peak = tracemalloc.get_traced_memory()[1]
            assert peak < case.max_memory, f"the load allocated {peak / 2**20:.0f} MiB"
    finally:
        tracemalloc.stop()
        for p in folder.iterdir():
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)  # so that pytest can clean up
        if (folder / "d").is_dir():
            remove_deep(folder)
    assert capfd.readouterr().err == "", "bad input is reported in load_errors, not on stderr"
    with closing(sqlite3.connect(db)) as conn:
        conn.row_factory = sqlite3.Row
        articles = {r["external_id"]: dict(r) for r in conn.execute("select * from articles")}
        rows = [dict(r) for r in conn.execute("select * from load_errors order by id")]
        assert articles.get(GOOD, {}).get("text") == GOOD_TEXT, "the good article did not load"
        # every problem is in load_errors, as in the summary, and names its file
        assert [(e.source, e.line, e.reason) for e in errors] == [(r["source"], r["line"], r["reason"]) for r in rows]
        for e in errors:
            assert str(e).startswith(e.source + (f":{e.line}" if e.line else "") + ": ")
        match_errors(rows, case.errors, folder)
        # what was fine loaded, as it should
        expected = {GOOD} | set(case.loaded)
        got = set(articles)
        prefixed = {k for k in case.loaded if k.endswith("#")}  # WARC ids end with the record id
        for prefix in prefixed:
            hits = {g for g in got if g.startswith(prefix)}
            assert len(hits) == 1, (prefix, got)
            expected = expected - {prefix} | hits
        assert got == expected, f"loaded {sorted(got - expected)}, missing {sorted(expected - got)}"
        for ext, columns in case.loaded.items():
            if ext in articles:
                for column, value in columns.items():
                    assert articles[ext][column] == value, (ext, column, articles[ext][column])
        if case.check:
            assert case.check(conn), "the case's own check failed"
    check_consistency(db)


def match_errors(rows: list[dict], expected: list[Err], folder: Path) -> None:
    """Each load_errors row matches exactly one expected error, and every expected error is there."""
    left = list(rows)
    for err in expected:
        source = str(folder / err.file)
        found = next((r for r in left if r["source"] == source and r["line"] == err.line
                      and re.search(err.reason, r["reason"])
                      and (err.record_id is ... or r["record_id"] == err.record_id)), None)
        assert found is not None, (f"no error {err} among:\n" + "\n".join(
            f"  {r['source']}:{r['line']}: {r['reason']} [{r['record_id']}]" for r in left))
        left.remove(found)
    assert not left, "unexpected errors:\n" + "\n".join(f"  {r['source']}:{r['line']}: {r['reason']}" for r in left)


def test_odd_file_names_from_the_command_line(tmp_path, monkeypatch):
    """A leading dash is an option to the shell's eye: after ``--`` it is a path like any other."""
    from click.testing import CliRunner
    from datasette.cli import cli

    names = ["-leading-dash.txt", "with space.txt", "quote'\"s.txt"]
    for i, name in enumerate(names):
        write(tmp_path, name, f"A headline for odd name {i}\n" + SENTENCE + "\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["provenance", "load", "corpus.db", "--quiet", "--", *names])
    assert result.exit_code == 0, result.output
    with closing(sqlite3.connect(tmp_path / "corpus.db")) as db:
        assert sorted(e for (e,) in db.execute("select external_id from articles")) == sorted(names)




def test_an_article_of_repeated_sentences_costs_little_memory(tmp_path):
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
    rnd = random.Random(1)
    text = ". ".join(" ".join(rnd.choice(words) for _ in range(12)) for _ in range(900))[:60_000]
    write(tmp_path, "repetitive.txt", text)
    # The peak of this process's own memory (VmHWM): ru_maxrss would count the parent's, kept across exec.
    script = ("import re, sys; from datasette_provenance.load import load_paths;"
              "load_paths(sys.argv[1], [sys.argv[2]]);"
              "print(int(re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())[1]) // 1024)")
    # The baseline loads a short article: what any load costs once (the language model) is not the article's.
    write(tmp_path, "short.txt", GOOD_TEXT)
    baseline = subprocess.run([sys.executable, "-c", script, str(tmp_path / "a.db"), str(tmp_path / "short.txt")],
                              check=True, capture_output=True, text=True)
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "b.db"), str(tmp_path / "repetitive.txt")],
                         check=True, capture_output=True, text=True)
    grew = int(run.stdout) - int(baseline.stdout)
    assert grew < 100, f"loading one 60,000-character article took {grew} MB more than loading nothing"




def test_a_paragraph_with_a_very_long_token_is_segmented():
    """A page's inlined image is one 34,000-character token: the story after it is still read. (Its speed
    is the bench's business; an alarm only stops a runaway pattern.)"""
    import signal

    from datasette_provenance.segment import segment

    blob = "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAAB" * 400
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the segmenter did not finish in 60 s"))
    signal.alarm(60)
    try:
        paragraphs = segment("A headline for the story\nThe photo: " + blob + "\n" + SENTENCE + "\n")
    finally:
        signal.alarm(0)
    photo, story = paragraphs[1], paragraphs[2]
    assert photo.text.endswith(blob)
    assert story.text == SENTENCE and [s.kind for s in story.sentences] == ["text"]


def test_deep_folders_from_the_command_line(tmp_path):
    from click.testing import CliRunner
    from datasette.cli import cli

    folder = tmp_path / "input"
    folder.mkdir()
    deep_folders(folder, 1500)
    try:
        result = CliRunner().invoke(cli, ["provenance", "load", str(tmp_path / "corpus.db"), str(folder), "--quiet"])
    finally:
        remove_deep(folder)
    assert result.exit_code == 0, repr(result.exception)
    with closing(sqlite3.connect(tmp_path / "corpus.db")) as db:
        assert db.execute("select count(*) from articles").fetchone()[0] == 1


def test_the_summary_says_a_reason_many_records_share_once(tmp_path):
    """A file whose every record names the text otherwise is one line of the summary, not one a record
    (its first lines named, and the keys that may hold the text); a few records skipped are each listed; past SKIPPED_LINES the rest are
    counted. ``load_errors`` keeps every one."""
    (tmp_path / "feed.jsonl").write_text("".join(json.dumps({"id": f"r{i}", "body": "Words"}) + "\n" for i in range(400)))
    (tmp_path / "few.jsonl").write_text('{"id": "f1"}\n{"id": "f2", "text": ""}\n')
    (tmp_path / "page.json").write_text(json.dumps([{"body": "Words"}] * 5 + [{"text": 5}], indent=0))
    for i in range(SKIPPED_LINES):
        (tmp_path / f"z{i:03}.json").write_text("{")
    db = tmp_path / "c.db"
    summary = load_paths(str(db), [tmp_path])
    _, listed = str(summary).split("\n458 input records skipped:\n")
    lines = listed.splitlines()
    hint = "missing 'text' field (other keys: body; --field text=KEY reads one)"
    assert lines[:5] == [f"  {tmp_path}/feed.jsonl: {hint} (400 records: lines 1, 2, 3, …)",
                         f"  {tmp_path}/few.jsonl:1: missing 'text' field",
                         f"  {tmp_path}/few.jsonl:2: empty 'text' field",
                         f"  {tmp_path}/page.json: {hint} (5 records: lines 2, 5, 8, …)",
                         f"  {tmp_path}/page.json:17: item 5: 'text' must be a string, got number"]
    assert lines[5] == f"  {tmp_path}/z000.json:1: invalid JSON: Expecting property name enclosed in double quotes" \
                       " (column 2)"
    assert len(lines) == SKIPPED_LINES + 1 and lines[-2].startswith(f"  {tmp_path}/z044.json:1: ")
    assert lines[-1] == "  … and 5 more (the table load_errors holds every skipped record)"
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("select count(*) from load_errors").fetchone()[0] == len(summary.errors) == 458
