import json
import os
import shutil
from pathlib import Path

import pytest

from datasette_provenance.ingest import Article, LoadError, read_paths
from datasette_provenance.outlets import OutletAliases

SEEDS = Path(__file__).parent.parent / "seeds"


def read(*paths, **options) -> list[Article | LoadError]:
    return list(read_paths(paths, **options))


def articles(items) -> list[Article]:
    return [item for item in items if isinstance(item, Article)]


def errors(items) -> list[LoadError]:
    return [item for item in items if isinstance(item, LoadError)]


# --- seed text format -------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> dict[str, Article]:
    items = read(SEEDS)
    assert errors(items) == []
    return {a.external_id: a for a in articles(items)}


SEED_EXPECTATIONS = {
    "000_04a9a5eec5045a67.txt": dict(
        outlet="TRT World",
        published="2022-02-03",
        published_precision="day",
        url=None,
        title="Russia 'supports' US anti-terror efforts in Syria",
        extra={"section": "WORLD"},
    ),
    "001_9b0a0d5c8cd9f5d1.txt": dict(
        outlet="Islam Times",
        published="2022-02-04T22:17:00",  # same day as the header, but to the minute
        published_precision="minute",
        url=None,
        title="Russia to Investigate Death of Civilians during US Operation in Syria",
        extra={"section": "0"},
    ),
    "002_3ad7aa67cbcc4d25.txt": dict(
        outlet="Sputnik",
        published="2022-02-03T12:54:00Z",
        published_precision="minute",
        url="https://sputniknews.com/20220203/us-removed-daesh-leader-al-qurashi-from-battlefield-"
        "in-overnight-raid-in-syria-biden-says-1092718478.html",
        title="US 'Removed' Daesh Leader al-Qurashi 'From Battlefield' in Overnight Raid in Syria, Biden Says",
        extra={},
    ),
    "003_4d6d3eb5b77b4377.txt": dict(
        outlet="Sputnik",
        published=None,
        published_precision=None,
        url=None,
        title="Moscow: Civilian Deaths Caused by US Raid in Syria Should Be 'Thoroughly Investigated' if Confirmed",
        extra={},
    ),
    "004_c3f9bbc9b9d1c23b.txt": dict(
        outlet="The BRICS Post",
        published="2017-02-13T14:43:00",
        published_precision="minute",
        url=None,
        title="Lavrov expects close work with US on Syria terror",
        extra={},
    ),
}


def test_seed_ids_are_file_names(seeds):
    assert sorted(seeds) == sorted(SEED_EXPECTATIONS)
    assert list(seeds) == sorted(seeds)


@pytest.mark.parametrize("name", sorted(SEED_EXPECTATIONS))
def test_seed_metadata(seeds, name):
    article = seeds[name]
    for key, expected in SEED_EXPECTATIONS[name].items():
        assert getattr(article, key) == expected, key
    assert article.source == str(SEEDS / name)
    assert article.line is None


@pytest.mark.parametrize("name", sorted(SEED_EXPECTATIONS))
def test_seed_text_is_file_after_header(seeds, name):
    content = (SEEDS / name).read_text("utf-8")
    expected = content.split("\n", 1)[1] if content.startswith(" date ") else content
    assert seeds[name].text == expected


def test_gold_snippets_are_found_in_the_texts(seeds):
    gold = json.loads((Path(__file__).parent / "seed_gold.json").read_text("utf-8"))
    for group in gold["groups"]:
        for name, snippet in group["members"]:
            assert snippet in seeds[name].text


def test_header_section_url_and_date(tmp_path):
    (tmp_path / "a.txt").write_text(" date 2021-05-06 https://www.reuters.com/x\nHeadline of the story here\nBody.\n")
    (tmp_path / "b.txt").write_text("date 2021-05-06 SPORT\nHeadline of the story here\nBody.\n")
    (tmp_path / "c.txt").write_text(" date 2021-02-31\nHeadline of the story here\nBody.\n")
    a, b, c = read(tmp_path)
    assert (a.url, a.outlet, a.published, a.extra) == ("https://www.reuters.com/x", "Reuters", "2021-05-06", {})
    assert (b.url, b.extra, b.text) == (None, {"section": "SPORT"}, "Headline of the story here\nBody.\n")
    assert (c.published, c.extra) == (None, {"published_raw": "2021-02-31"})


def test_header_date_wins_over_other_day_in_text(tmp_path):
    (tmp_path / "a.txt").write_text(" date 2022-02-03 WORLD\nA headline for the test\nMarch 1, 2020, 10:00 am\n")
    [article] = read(tmp_path / "a.txt")
    assert (article.published, article.published_precision) == ("2022-02-03", "day")


def test_title_skips_meta_lines(tmp_path):
    (tmp_path / "a.txt").write_text("Follow us on:\n\n4 MIN READ\nFebruary 3, 2022\nShort\nThe real headline is here\n")
    (tmp_path / "b.txt").write_text("word " * 100 + "\nSecond line here too\n")
    a, b = read(tmp_path)
    assert a.title == "The real headline is here"
    assert b.title is None  # a first paragraph is no headline


def test_header_only_is_an_error(tmp_path):
    (tmp_path / "a.txt").write_text(" date 2022-02-03 WORLD\n\n")
    [error] = read(tmp_path)
    assert isinstance(error, LoadError)
    assert "no article text" in error.reason


def test_crlf_and_cr_normalised(tmp_path):
    (tmp_path / "a.txt").write_bytes(b" date 2022-02-03 WORLD\r\nA headline for the test\r\n\r\nBody\rmore\r\n")
    [article] = read(tmp_path / "a.txt")
    assert article.text == "A headline for the test\n\nBody\nmore\n"
    assert article.extra == {"section": "WORLD"}


def test_utf8_bom_dropped(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"\xef\xbb\xbf date 2022-02-03 WORLD\nA headline for the test\n")
    [article] = read(tmp_path / "a.txt")
    assert article.text == "A headline for the test\n"
    assert article.published == "2022-02-03"


def test_invalid_utf8_names_line_and_byte(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"Line one ok\nLine two \xff bad\n")
    [error] = read(path)
    assert isinstance(error, LoadError)
    assert (error.source, error.line) == (str(path), 2)
    assert "0xff" in error.reason and "offset 21" in error.reason
    assert str(error).startswith(f"{path}:2: invalid UTF-8")


def test_utf16_is_reported(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("A headline for the test\n".encode("utf-16"))
    [error] = read(path)
    assert "UTF-16" in error.reason


@pytest.mark.parametrize("name", ["a.txt", "a.jsonl", "a.csv", "noext"])
@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\xef\xbb\xbf\n"])
def test_empty_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    [error] = read(path)
    assert isinstance(error, LoadError)
    assert (error.source, error.line, error.reason) == (str(path), None, "empty file")
    assert str(error) == f"{path}: empty file"


def test_options_override(tmp_path):
    (tmp_path / "a.txt").write_text(" date 2022-02-03 https://tass.com/x\nA headline for the test\n")
    (tmp_path / "b.jsonl").write_text('{"text": "t", "outlet": "CNN", "published": "2020-01-01"}\n')
    items = read(tmp_path, outlet="itar-tass", published="Feb 5, 2022 10:00")
    assert [(a.outlet, a.published, a.published_precision) for a in items] == [
        ("TASS", "2022-02-05T10:00:00", "minute"),
        ("TASS", "2022-02-05T10:00:00", "minute"),
    ]


def test_bad_published_option_raises_at_once(tmp_path):
    with pytest.raises(ValueError, match="cannot parse published"):
        read_paths([tmp_path], published="soon")


def test_custom_aliases(tmp_path):
    user = tmp_path / "aliases.json"
    user.write_text('{"signatures": [{"pattern": "^Example Wire$", "outlet": "Example"}]}')
    (tmp_path / "a.txt").write_text("A headline for the test\nBody\nExample Wire\n")
    [article] = read(tmp_path / "a.txt", aliases=OutletAliases.load(user))
    assert article.outlet == "Example"


# --- folders and files ---------------------------------------------------------


def test_folder_recursion_sorted_and_hidden_skipped(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "deep").mkdir()
    (tmp_path / ".hidden").mkdir()
    for rel in ["z.txt", "a.txt", "b/m.txt", "b/deep/x.txt", ".hidden/h.txt", ".dot.txt", "b/pic.png", "b/x.db"]:
        (tmp_path / rel).write_text("A headline for the test\nBody\n")
    items = read(tmp_path)
    assert errors(items) == []
    assert [a.external_id for a in items] == ["a.txt", "b/deep/x.txt", "b/m.txt", "z.txt"]
    assert items[1].source == str(tmp_path / "b" / "deep" / "x.txt")


def test_unknown_extension_reported_in_folder_and_when_explicit(tmp_path):
    (tmp_path / "notes.md").write_text("# A headline\n")
    (tmp_path / "pic.png").write_bytes(b"\x89PNG")
    [error] = read(tmp_path)
    assert error.source == str(tmp_path / "notes.md")
    assert "unsupported format '.md'" in error.reason
    [error] = read(tmp_path / "pic.png")
    assert "unsupported format '.png'" in error.reason


def test_unsupported_format_lists_what_is_supported(tmp_path):
    (tmp_path / "page.mhtml").write_text("MIME-Version: 1.0\n")
    [error] = read(tmp_path)
    assert error.reason == (
        "unsupported format '.mhtml': expected .txt, .json, .jsonl, .ndjson, .csv, .tsv, .html, .htm, .xhtml (each also"
        " compressed: .gz, .bz2, .xz), .warc, .warc.gz, .arc or .arc.gz"
    )


def test_archives_and_compressed_files_by_their_full_suffix(tmp_path):
    """x.warc.gz is a web archive, x.txt.gz compressed text; other .gz files (and page assets) are not
    articles and are skipped."""
    (tmp_path / "notes.txt.gz").write_bytes(b"\x1f\x8b\x08")
    (tmp_path / "backup.tar.gz").write_bytes(b"\x1f\x8b\x08")
    (tmp_path / "app.js").write_text("1")
    (tmp_path / "site.css").write_text("body{}")
    (tmp_path / "CRAWL.WARC.GZ").write_bytes(b"")
    error, cut = read(tmp_path)
    assert (error.source, error.reason) == (str(tmp_path / "CRAWL.WARC.GZ"), "empty file")
    assert (cut.source, cut.line) == (str(tmp_path / "notes.txt.gz"), None)
    assert cut.reason.startswith("compressed data is damaged or cut short: ")


def test_missing_path(tmp_path):
    [error] = read(tmp_path / "nope.txt")
    assert error.reason == "no such file or directory"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_does_not_hang(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("A headline for the test\nBody\n")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    (tmp_path / "sub" / "self").symlink_to(tmp_path / "sub")
    (tmp_path / "sub" / "same.txt").symlink_to(tmp_path / "sub" / "a.txt")
    items = read(tmp_path, tmp_path / "sub")
    assert [a.external_id for a in items] == ["sub/a.txt"]


def test_unreadable_file(tmp_path, request):
    root = os.geteuid() == 0
    folder = tmp_path
    if root:  # root reads every file: read as a user file permissions apply to
        from test_bad_input import as_unprivileged, shared_folder

        folder = shared_folder()
        request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
    path = folder / "a.txt"
    path.write_text("A headline for the test\n")
    path.chmod(0)
    [error] = as_unprivileged(read, path) if root else read(path)
    assert (error.source, error.reason) == (str(path), "cannot read file: Permission denied")


def test_dangling_symlink_reported(tmp_path):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    [error] = read(tmp_path)
    assert error.source == str(tmp_path / "gone.txt")
    assert error.reason.startswith("cannot read file")


# --- JSON Lines ------------------------------------------------------------------


def test_jsonl_fields_and_extra(tmp_path):
    path = tmp_path / "feed.jsonl"
    records = [
        {"id": "a1", "outlet": "associated press", "url": "https://x.org/1", "published": "Thu, 03 Feb 2022 12:54:00 +0300",
         "title": " Title ", "text": "Body\r\none", "lang": "en", "tags": ["x", "y"]},
        {"url": "https://www.rt.com/news/2", "text": "Body two", "published": "last Tuesday"},
        {"id": 7, "text": "Body three\nSputnik\n"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    a, b, c = read(path)
    assert (a.external_id, a.outlet, a.url, a.title, a.text) == ("a1", "AP", "https://x.org/1", "Title", "Body\none")
    assert (a.published, a.published_precision) == ("2022-02-03T09:54:00Z", "second")
    assert a.extra == {"lang": "en", "tags": ["x", "y"]}
    assert (a.source, a.line) == (str(path), 1)
    assert (b.external_id, b.outlet, b.published, b.title) == ("feed.jsonl:2", "RT", None, None)
    assert b.extra == {"published_raw": "last Tuesday"}
    assert (c.external_id, c.outlet, c.line) == ("7", "Sputnik", 3)


def test_jsonl_broken_line_in_the_middle(tmp_path):
    path = tmp_path / "feed.ndjson"
    path.write_text('{"text": "one"}\n{"text": "two",, }\n\n{"text": "four"}\n')
    first, error, fourth = read(path)
    assert [first.text, fourth.text] == ["one", "four"]
    assert [first.line, fourth.line] == [1, 4]
    assert (error.source, error.line) == (str(path), 2)
    assert error.reason.startswith("invalid JSON: ") and "(column 16)" in error.reason
    assert str(error).startswith(f"{path}:2: invalid JSON")


@pytest.mark.parametrize(
    "line, reason",
    [
        ('["text"]', "expected a JSON object, got array"),
        ('"text"', "expected a JSON object, got string"),
        ('{"id": "r1"}', "missing 'text' field"),
        ('{"id": "r1", "text": "  \\n "}', "empty 'text' field"),
        ('{"id": "r1", "text": null}', "missing 'text' field"),
        ('{"id": "r1", "text": 5}', "'text' must be a string, got number"),
        ('{"id": "r1", "text": "x", "title": {"a": 1}}', "'title' must be a string, got object"),
    ],
)
def test_jsonl_bad_records(tmp_path, line, reason):
    path = tmp_path / "feed.jsonl"
    path.write_text('{"text": "fine"}\n' + line + "\n")
    ok, error = read(path)
    assert ok.text == "fine"
    assert (error.source, error.line, error.reason) == (str(path), 2, reason)


def test_jsonl_missing_text_keeps_record_id(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "r1", "title": "No body"}\n')
    [error] = read(path)
    assert error.record_id == "r1"


def test_jsonl_invalid_utf8_costs_one_line(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "one"}\r\n{"text": "t\xc3w"}\r\n{"text": "three"}\r\n')
    one, error, three = read(path)
    assert [one.text, three.text] == ["one", "three"]
    assert error.line == 2 and "0xc3 at offset 31" in error.reason  # offset counts the BOM


# --- CSV ---------------------------------------------------------------------------


def test_csv_quoted_newlines_keep_line_numbers(tmp_path):
    path = tmp_path / "arts.csv"
    path.write_text(
        'id,Outlet,text,section\n'
        'a,tass,"first line\nsecond line\nthird",world\n'
        '\n'
        'b,,"single",sport\n'
        ',xinhua,"two\r\nlines",\n',
        newline="",
    )
    a, b, c = read(path)
    assert (a.external_id, a.line, a.outlet, a.text, a.extra) == (
        "a", 2, "TASS", "first line\nsecond line\nthird", {"section": "world"}
    )
    assert (b.external_id, b.line, b.outlet) == ("b", 6, None)
    assert (c.external_id, c.line, c.outlet, c.text) == ("arts.csv:7", 7, "Xinhua", "two\nlines")


def test_csv_without_text_column(tmp_path):
    path = tmp_path / "arts.csv"
    path.write_text("id,body\n1,hello\n2,world\n")
    [error] = read(path)
    assert (error.source, error.line) == (str(path), 1)
    assert error.reason == "no 'text' column (columns: id, body; --field text=COLUMN reads one)"


def test_csv_row_errors_do_not_stop_the_file(tmp_path):
    path = tmp_path / "arts.csv"
    path.write_text("id,text,published\n1,,\n2,too,many,fields\n3,fine,03.02.2022\n")
    missing, wrong, fine = read(path)
    assert (missing.line, missing.reason, missing.record_id) == (2, "empty 'text' field", "1")
    assert (wrong.line, wrong.reason) == (3, "expected 3 fields as in the header, got 4")
    assert (fine.line, fine.text, fine.published) == (4, "fine", "2022-02-03")


def test_csv_unterminated_quote(tmp_path):
    path = tmp_path / "arts.csv"
    path.write_text('id,text\n1,ok\n2,"never closed\n3,more\n')
    ok, error = read(path)
    assert ok.text == "ok"
    assert error.line == 3 and error.reason.startswith("invalid CSV")


def test_csv_header_only(tmp_path):
    path = tmp_path / "arts.csv"
    path.write_text("id,text\n")
    [error] = read(path)
    assert error.reason == "no records after the header line"


def test_tsv_and_tab_separated_csv(tmp_path):
    (tmp_path / "a.tsv").write_text("id\toutlet\ttext\nt1\ttass\tBody, with a comma\n")
    (tmp_path / "b.csv").write_text("id\ttext\nt2\tTabbed body\n")
    a, b = read(tmp_path)
    assert (a.external_id, a.outlet, a.text) == ("t1", "TASS", "Body, with a comma")
    assert (b.external_id, b.text) == ("t2", "Tabbed body")


@pytest.mark.parametrize("sep", [";", "|"])
def test_csv_with_another_delimiter(tmp_path, sep):
    """Spreadsheets in much of Europe export CSV with semicolons (a comma is their decimal mark)."""
    path = tmp_path / "export.csv"
    path.write_text(f'id{sep}outlet{sep}title{sep}text\r\n'
                    f'e1{sep}tass{sep}"Prices, rates{sep} and more"{sep}"Inflation rose to 8,4 %, the bank said.\r\nIt{sep}s new."\r\n'
                    f'e2{sep}{sep}Second{sep}Body, with commas, only\r\n')
    items = read(path)
    assert [type(item) for item in items] == [Article, Article], items
    a, b = items
    assert (a.external_id, a.outlet, a.title) == ("e1", "TASS", f"Prices, rates{sep} and more")
    assert a.text == f"Inflation rose to 8,4 %, the bank said.\nIt{sep}s new."
    assert (b.external_id, b.outlet, b.title, b.text, b.line) == ("e2", None, "Second", "Body, with commas, only", 4)


def test_csv_of_links_without_text(tmp_path):
    path = tmp_path / "links.csv"
    path.write_text("url,title\nhttps://rt.com/1,Headline\n")
    [error] = read(path)
    assert error.reason == "links.csv has no text column: export full text or load the HTML/WARC (columns: url, title)"


def test_csv_long_field(tmp_path):
    path = tmp_path / "arts.csv"
    body = "word " * 60_000
    path.write_text(f'id,text\n1,"{body}"\n')
    [article] = read(path)
    assert article.text == body
