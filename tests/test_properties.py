"""Property-based tests (hypothesis): on any input, offsets point at the text they claim, and no
exception escapes the segmenter, the date parser, the credit and speaker finders, or the readers.

Text comes from two strategies mixed: arbitrary Unicode (control characters, line and paragraph
separators, characters whose lower case is longer, zero-width marks…) and "newsy" text assembled
from the fragments the parsers look for (quotes, credits, datelines, dates, reporting verbs,
abbreviations, boilerplate), so that the interesting branches are reached, not only the dull ones.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import unicodedata
from datetime import date, datetime
from pathlib import Path

import regex
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from datasette_provenance.attributions import default_aliases, find_attributions, find_speakers
from datasette_provenance.dates import find_date, is_date_line, parse_date
from datasette_provenance.extract import markup_text
from datasette_provenance.ingest import Article, LoadError, _item_lines, read_paths
from datasette_provenance.load import load_paths
from datasette_provenance.segment import normal_form, normalise, segment, split_sentences

from test_crash_safety import check_consistency
from test_segment import check_control_characters, wire_like

GRAPHEME = regex.compile(r"\X")

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FRAGMENTS = [
    " ", " ", " ", "\n", "\n\n", "\r\n", "\r", "\t", ". ", ".", ", ", "!", "?", ":", ";", " - ", "\u2014", "\u2026",
    '"', "\u201c", "\u201d", "'", "\u2018", "\u2019", "\u00ab", "\u00bb", "(", ")", "[", "]",
    "The", "the", "minister", "said", "told", "reported", "stressed", "added", "according to", "she said",
    "he said", "the spokeswoman", "the Foreign Ministry", "Maria Zakharova", "Zakharova", "John Smith", "Mr.", "Dr.",
    "U.S.", "e.g.", "Reuters", "(Reuters) -", "MOSCOW, Feb 3 (Reuters) -", "SOURCE:", "SOURCE: AFP", "TASS", "Tass",
    "the Tass news agency reported", "news agency", "AP", "AFP", "[Xinhua]", "with inputs from Agencies", "CNN",
    "reported on Thursday", "Sputnik", "RT", "2022-02-03", "2022-02-03T12:54+0000", "Feb 3, 2022",
    "Friday 4 February 2022 - 22:17", "3 February 2022", "12:54 pm", "GMT+3", "EST", "20220203125400",
    "1643892840", "2022/02/03", "0000-01-01", "2022-13-45", "99999-01-01", "READ MORE:", "Share this article",
    "Follow us on Twitter", "\u00a9 2022", "All rights reserved", "email@example.com", "https://example.org/a",
    "announced.The", "ready to cooperate with all interested countries", "\u0130stanbul", "\u00df", "\ufb01",
    "\u200b", "\u202e", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\U0001F600", "\u0301", "\x00", "<b>", "&amp;",
]
newsy = st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join)
anything = st.text(max_size=300)  # any code point but lone surrogates
texts = st.one_of(newsy, anything, st.tuples(newsy, anything, newsy).map("".join))


# ------------------------------------------------------------------------------- segmenter


@FAST
@given(st.one_of(texts, wire_like()), st.one_of(st.none(), texts))
def test_segment_offsets_point_at_their_text(text, title):
    paragraphs = segment(text, title)
    end = 0
    for n, p in enumerate(paragraphs):
        assert p.position == n
        assert p.start >= end, "paragraphs overlap or go backwards"
        assert text[p.start:p.start + len(p.text)] == p.text
        assert p.text and p.text == p.text.strip()
        check_control_characters(p)
        end = p.start + len(p.text)
        last = 0
        for s in p.sentences:
            assert last <= s.start < s.end <= len(p.text), (s, p.text)
            assert p.text[s.start:s.end].strip(), "an empty sentence"
            last = s.end


@FAST
@given(texts)
def test_split_sentences_spans(text):
    last = 0
    for s, e in split_sentences(text):
        assert last <= s < e <= len(text)
        last = e


@FAST
@given(texts)
@example("Ё")  # folded to е (a desk's habit, ``segment._HABITS``): found by hypothesis in a fresh clone
def test_normalise_maps_every_character_back(text):
    norm, pos = normalise(text)
    assert len(norm) == len(pos)
    assert norm == normal_form(text)
    for ch, i in zip(norm, pos):
        assert 0 <= i < len(text)
        # A character of the normal form points at the first character of its grapheme, which is composed
        # (NFC: "e" + U+0301 is "é"), lowered (a word-final sigma lowers to "ς") and, where a spelling is a
        # desk's habit, folded as the normal form of the grapheme alone folds it ("Ё" is "е").
        grapheme = unicodedata.normalize("NFC", GRAPHEME.match(text, i).group()).lower()
        assert ch == " " or ch in grapheme or ch in normal_form(grapheme) or (ch == "ς" and "σ" in grapheme), \
            (ch, text[i:i + 3])
    assert pos == sorted(pos)


# ------------------------------------------------------------------------------- dates


def _valid(parsed) -> None:
    if parsed is None:
        return
    value, precision = parsed
    assert precision in ("day", "minute", "second")
    moment = date.fromisoformat(value) if precision == "day" else datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert 1800 <= moment.year <= date.today().year + 1
    if precision != "day":
        # UTC ("Z"), or as given when the text names no zone: never another offset
        assert value.endswith("Z") and moment.utcoffset().total_seconds() == 0 or moment.tzinfo is None


@FAST
@given(texts)
def test_parse_date_never_raises(text):
    _valid(parse_date(text))


@FAST
@given(st.integers(-10**15, 10**15), st.sampled_from(["", ".5", " ", "Z"]))
def test_parse_date_on_numbers(number, suffix):
    _valid(parse_date(f"{number}{suffix}"))


@FAST
@given(st.integers(0, 99999), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99),
       st.sampled_from(["", "Z", "+0300", "-14:00", "+99:99", " GMT", " EST", " UTC+3", " pm", " am"]))
def test_parse_date_on_impossible_fields(year, month, day, hour, minute, zone):
    for form in (f"{year:04d}-{month:02d}-{day:02d}", f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}{zone}",
                 f"{day} February {year}, {hour}:{minute:02d}{zone}", f"{year:04d}{month:02d}{day:02d}{hour:02d}{minute:02d}00"):
        _valid(parse_date(form))


@FAST
@given(texts)
def test_find_date_never_raises(text):
    _valid(find_date(text))
    for line in text.split("\n")[:5]:
        is_date_line(line)


# ------------------------------------------------------------------------------- credits and speakers

ALIASES = default_aliases()


@FAST
@given(texts)
def test_attributions_and_speakers_point_at_their_text(text):
    found = find_attributions(text, ALIASES)
    for a in found:
        assert 0 <= a.start <= a.end <= len(text)
        assert text[a.start:a.end] == a.phrase
        assert a.source_name and a.kind in ("credit", "reported", "dateline")
    for s in find_speakers(text, ALIASES, found):
        assert 0 <= s.quote_start <= s.quote_end <= len(text)
        assert s.name
        assert s.cue and s.cue in text


# ------------------------------------------------------------------------------- readers


def read_one(name: str, data: bytes) -> list[Article | LoadError]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        items = list(read_paths([path]))
        for item in items:
            assert isinstance(item, (Article, LoadError))
            if isinstance(item, LoadError):
                assert item.reason and item.source == str(path)
            else:
                item.text.encode("utf-8")  # storable
                assert "\0" not in item.text
        return items


def newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class Tally:
    """What share of a property's generated inputs loaded as articles. The properties below check the
    articles that load; if every input became a load error they would check nothing, so each test runs its
    property and then asserts that a good share of the inputs (counted over every example hypothesis ran)
    did load."""

    def __init__(self) -> None:
        self.inputs = self.loaded = 0

    def count(self, items: list, inputs: int = 1) -> list[Article]:
        articles = [i for i in items if isinstance(i, Article)]
        self.inputs += inputs
        self.loaded += len(articles)
        return articles

    @property
    def share(self) -> float:
        assert self.inputs >= 100, f"only {self.inputs} inputs ran"
        return self.loaded / self.inputs


def test_seed_text_file_keeps_its_text():
    tally = Tally()

    @FAST
    @given(texts)
    def keeps_its_text(text):
        assume(not newlines(text).lstrip("\ufeff").startswith((" date ", "date ")))
        items = read_one("a.txt", text.encode("utf-8"))
        assert len(items) == 1
        for item in tally.count(items):
            assert item.text == newlines(text.removeprefix("\ufeff"))
            assert item.external_id == "a.txt"

    keeps_its_text()
    # Measured over 20 runs (--hypothesis-seed 1 to 20, 200 examples each): 0.70-0.89 of the texts loaded, 0.82
    # of all (the others are empty or white space only, and reported); with CI=1 (hypothesis's derandomized "ci"
    # profile) 170 of 200, 0.850. The floor sits below the lowest random run.
    assert tally.share >= 0.6, vars(tally)


def test_seed_text_after_a_header_keeps_its_body():
    tally = Tally()

    @FAST
    @given(texts, st.sampled_from(["2022-02-03", "2022-13-45", "99999-01-01"]),
           st.sampled_from(["", " WORLD", " https://rt.com/x"]))
    def keeps_its_body(body, day, where):
        items = read_one("a.txt", f" date {day}{where}\n{body}".encode("utf-8"))
        assert len(items) == 1
        for item in tally.count(items):
            assert item.text == newlines(body)

    keeps_its_body()
    assert tally.share >= 0.6, vars(tally)  # measured as above: 0.74-0.89, 0.80 of all; CI=1 160/200, 0.800


@FAST
@given(st.binary(max_size=200), st.sampled_from([b"\n", b"\r"]), st.integers(1, 9), st.integers(1, 30))
def test_lines_are_split_the_same_whatever_the_chunks(data, sep, chunk, limit):
    """The JSON Lines streamer: any chunk size, any line limit, the lines of ``data.split(sep)``."""
    from datasette_provenance import ingest

    saved = ingest._CHUNK, ingest._MAX_LINE_BYTES
    ingest._CHUNK, ingest._MAX_LINE_BYTES = chunk, limit
    try:
        got = list(ingest._lines(io.BytesIO(data), sep))
    finally:
        ingest._CHUNK, ingest._MAX_LINE_BYTES = saved
    expected = data.split(sep)
    if expected and expected[-1] == b"":
        expected.pop()  # a final separator ends the last line, it does not start another
    assert [n for n, *_ in got] == list(range(1, len(expected) + 1))
    offset = 0
    for (number, start, raw, length), line in zip(got, expected):
        assert (start, length) == (offset, len(line))
        assert raw == line or (raw is None and len(line) > limit)
        offset += len(line) + 1


def test_json_lines_records_keep_their_text():
    tally = Tally()

    @FAST
    @given(st.lists(st.tuples(st.one_of(st.none(), texts), texts, st.one_of(st.none(), texts)), max_size=4))
    def keep_their_text(records):
        lines = [json.dumps({k: v for k, v in (("id", rid), ("text", text), ("title", title)) if v is not None})
                 for rid, text, title in records]
        items = read_one("feed.jsonl", "\n".join(lines).encode("utf-8"))
        for a in tally.count(items, len(records)):
            rid, text, title = records[a.line - 1]
            given = newlines(text).replace("\0", "")
            read = markup_text(given)  # a text that holds HTML is read as HTML
            assert (a.text, a.markup) == ((given, False) if read is None else (read, True))
            assert a.external_id == ((rid.replace("\0", "").strip() if rid else None) or f"feed.jsonl:{a.line}")

    keep_their_text()
    # Measured as above: 0.64-0.84 of the records, 0.72 of all; CI=1 370 of 527, 0.702.
    assert tally.share >= 0.5, vars(tally)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["id", "text", "title", "outlet", "url", "published", "maintext", "date_publish", "source_domain",
         "stories_id", "publish_date", "media_name", "story_text", "x"]), inner, max_size=6),
    max_leaves=12)


@FAST
@given(st.lists(json_values, max_size=4))
def test_any_json_never_raises(values):
    read_one("feed.jsonl", "\n".join(json.dumps(v) for v in values).encode("utf-8"))
    read_one("one.json", json.dumps(values).encode("utf-8"))
    read_one("page.json", json.dumps({"x": values, "id": 1}).encode("utf-8"))  # an API's page, or an odd record


@FAST
@given(st.lists(json_values, max_size=5), st.sampled_from([None, 0, 2]), st.booleans())
def test_an_arrays_items_are_named_by_the_lines_they_start_on(values, indent, wrapped):
    """Each item of an array, or of the array an object holds, is found on the line it starts on, whatever
    the items and the spaces around them."""
    items = [json.dumps(v, indent=indent) for v in values]
    starts = [2 + sum(item.count("\n") + 1 for item in items[:i]) for i in range(len(items))]
    array = "[\n" + ",\n".join(items) + "\n]"
    text = '{"x": [1], "k":\n' + array + ', "y": {"k": []}}' if wrapped else array
    assert json.loads(text) == ({"x": [1], "k": values, "y": {"k": []}} if wrapped else values)
    assert list(_item_lines(text, "k" if wrapped else None)) == [line + wrapped for line in starts]


def test_csv_records_keep_their_text():
    tally = Tally()

    @FAST
    @given(st.lists(st.tuples(texts, texts), min_size=1, max_size=4))
    def keep_their_text(rows):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "text"])
        for i, (text, _) in enumerate(rows):
            writer.writerow([f"r{i}", text])
        items = read_one("table.csv", out.getvalue().encode("utf-8"))
        for a in tally.count(items, len(rows)):
            assert a.text == newlines(rows[int(a.external_id[1:])][0])

    keep_their_text()
    # Measured as above: 0.57-0.78 of the rows, 0.72 of all; CI=1 287 of 429, 0.669.
    assert tally.share >= 0.45, vars(tally)


@FAST
@given(st.binary(max_size=400), st.sampled_from(["a.txt", "a.jsonl", "a.csv", "a.tsv", "a.json", "a.ndjson", "a"]))
def test_any_bytes_never_raise(data, name):
    read_one(name, data)


@SLOW
@given(st.binary(max_size=400) | texts.map(lambda t: f"<html><body><p>{t}</p></body></html>".encode("utf-8", "replace")),
       st.sampled_from(["a.html", "a.warc", "a.warc.gz"]))
def test_any_page_or_archive_never_raises(data, name):
    read_one(name, data)


@SLOW
@given(st.lists(st.tuples(texts, st.sampled_from(["Alpha Post", "Beta News", None])), min_size=1, max_size=5))
def test_any_records_load_into_a_consistent_corpus(records):
    """The whole loader, end to end: whatever the text, the load finishes and the corpus is consistent."""
    shared = "Officials said the harbour would reopen on Monday after the long strike by the dock workers ended."
    with tempfile.TemporaryDirectory() as folder:
        feed = Path(folder) / "feed.jsonl"
        feed.write_text("".join(json.dumps({"id": f"r{i}", "outlet": outlet, "text": f"{text}\n{shared}\n{text}"}) + "\n"
                                for i, (text, outlet) in enumerate(records)), "utf-8")
        db = Path(folder) / "corpus.db"
        summary = load_paths(str(db), [str(feed)], batch_size=2)
        assert summary.articles_added + len(summary.errors) == len(records)
        check_consistency(db)
