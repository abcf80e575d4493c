from datetime import date

import pytest

from datasette_provenance.dates import find_date, is_date_line, parse_date


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022-02-03", ("2022-02-03", "day")),
        ("2022-02-03T12:54+0000", ("2022-02-03T12:54:00Z", "minute")),
        ("2022-02-03T12:54:10Z", ("2022-02-03T12:54:10Z", "second")),
        ("2022-02-03 12:54", ("2022-02-03T12:54:00Z", "minute")),
        ("2022-02-03T23:30:00-05:00", ("2022-02-04T04:30:00Z", "second")),
        ("2022-02-03T12:54:10.123Z", ("2022-02-03T12:54:10Z", "second")),
        ("Thu, 03 Feb 2022 12:54:00 +0300", ("2022-02-03T09:54:00Z", "second")),
        ("Thu, 03 Feb 2022 12:54:00 GMT", ("2022-02-03T12:54:00Z", "second")),
        ("Thu, 03 Feb 2022 07:54:00 EST", ("2022-02-03T12:54:00Z", "second")),
        ("Friday 4 February 2022 - 22:17", ("2022-02-04T22:17:00Z", "minute")),
        ("February 3, 2022", ("2022-02-03", "day")),
        ("February 13, 2017, 2:43 pm", ("2017-02-13T14:43:00Z", "minute")),
        ("February 13, 2017, 12:05 a.m.", ("2017-02-13T00:05:00Z", "minute")),
        ("3 February 2022", ("2022-02-03", "day")),
        ("3rd of February, 2022", ("2022-02-03", "day")),
        ("03.02.2022", ("2022-02-03", "day")),
        ("Feb 3, 2022", ("2022-02-03", "day")),
        ("Sept. 30, 2021 at 23:15 GMT+3", ("2021-09-30T20:15:00Z", "minute")),
        ("  3 February 2022.  ", ("2022-02-03", "day")),
        # exports and extractors: news-please, Media Cloud, htmldate, GDELT, JSON numbers
        ("2022-02-03 12:54:00", ("2022-02-03T12:54:00Z", "second")),
        ("2022-02-03 12:54:00.123456", ("2022-02-03T12:54:00Z", "second")),
        ("2022-02-03T14:25:00+0300", ("2022-02-03T11:25:00Z", "second")),
        ("2022-02-03 12:54:00+00:00", ("2022-02-03T12:54:00Z", "second")),
        ("2022/02/03", ("2022-02-03", "day")),
        ("2022/02/03 12:54", ("2022-02-03T12:54:00Z", "minute")),
        ("03 Feb 2022 12:54:00 +0300", ("2022-02-03T09:54:00Z", "second")),
        ("Thu, 3 Feb 2022 12:54:00 +0000 (UTC)", ("2022-02-03T12:54:00Z", "second")),
        ("2022-02-03T12:54:00+03:00[Europe/Moscow]", ("2022-02-03T09:54:00Z", "second")),
        ("1643892840", ("2022-02-03T12:54:00Z", "second")),
        ("1643892840.75", ("2022-02-03T12:54:00Z", "second")),
        ("1643892840000", ("2022-02-03T12:54:00Z", "second")),
        ("20220203", ("2022-02-03", "day")),
        ("20220203125400", ("2022-02-03T12:54:00Z", "second")),
        ("20220203T125400Z", ("2022-02-03T12:54:00Z", "second")),
    ],
)
def test_parse_date_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "yesterday",
        "2022-02-30",  # no such day
        "1799-12-31",  # absurdly old
        f"{date.today().year + 2}-01-01",  # absurdly far ahead
        "2022-02-03T25:00Z",
        "February 3, 2022, 13:10 pm",
        "2022-02-03T12:54+1600",  # no such offset
        "On 3 February 2022 the raid happened",  # a phrase, not a date
        "February 2022",  # no day
        "2022/02-03",  # mixed separators
        "20221340",  # compact, but no such month
        "99999999999",  # 11 digits: neither epoch seconds nor milliseconds
        "1234567890123456",
    ],
)
def test_parse_date_rejects(text):
    assert parse_date(text) is None


def test_next_year_is_allowed():
    year = date.today().year + 1
    assert parse_date(f"{year}-01-01") == (f"{year}-01-01", "day")


def test_zone_conversion_can_change_the_day():
    assert parse_date("3 February 2022 01:30 +0300") == ("2022-02-02T22:30:00Z", "minute")


def test_find_date_prefers_a_dateline_to_a_date_in_prose():
    text = "Title here\n\nRaid reported... 03.02.2022, Sputnik International\n\n2022-02-03T12:54+0000\n"
    assert find_date(text) == ("2022-02-03T12:54:00Z", "minute")


def test_find_date_falls_back_to_a_date_in_prose():
    text = "Title here\nOfficials met on 5 March 2021 in Geneva to talk.\nMore text.\n"
    assert find_date(text) == ("2021-03-05", "day")


def test_find_date_only_scans_the_first_non_empty_lines():
    text = "\n\n".join(["Some line of text"] * 15 + ["February 3, 2022"])
    assert find_date(text) is None
    assert find_date(text, max_lines=16) == ("2022-02-03", "day")


def test_find_date_skips_invalid_dates():
    assert find_date("Posted 31.02.2022\nUpdated: 1 March 2022") == ("2022-03-01", "day")


def test_export_forms_are_not_found_in_prose():
    """Epoch and compact numbers are dates only as a whole field: in text they are ids and counts."""
    assert find_date("Story Code : 1643892840\nRef 20220203\nhttps://example.com/2022/02/03/story\n") is None


def test_find_date_none():
    assert find_date("No dates here.\nIn October 2019 something happened.") is None


@pytest.mark.parametrize(
    "line, expected",
    [
        ("February 3, 2022", True),
        ("Published: Feb 3, 2022 12:00 GMT", True),
        ("Friday 4 February 2022 - 22:17", True),
        ("Talks resume on 3 February 2022 in Astana after a long pause", False),
        ("Russia 'supports' US anti-terror efforts in Syria", False),
    ],
)
def test_is_date_line(line, expected):
    assert is_date_line(line) is expected
