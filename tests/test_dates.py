from datetime import date

import pytest

from babel import Locale
from babel.dates import format_date

from datasette_provenance.dates import NEWS_LOCALES, _calendar, _fold, find_date, is_date_line, parse_date


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2022-02-03", ("2022-02-03", "day")),
        ("2022-02-03T12:54+0000", ("2022-02-03T12:54:00Z", "minute")),
        ("2022-02-03T12:54:10Z", ("2022-02-03T12:54:10Z", "second")),
        ("2022-02-03 12:54", ("2022-02-03T12:54:00", "minute")),
        ("2022-02-03T23:30:00-05:00", ("2022-02-04T04:30:00Z", "second")),
        ("2022-02-03T12:54:10.123Z", ("2022-02-03T12:54:10Z", "second")),
        ("Thu, 03 Feb 2022 12:54:00 +0300", ("2022-02-03T09:54:00Z", "second")),
        ("Thu, 03 Feb 2022 12:54:00 GMT", ("2022-02-03T12:54:00Z", "second")),
        ("Thu, 03 Feb 2022 07:54:00 EST", ("2022-02-03T12:54:00Z", "second")),
        ("Friday 4 February 2022 - 22:17", ("2022-02-04T22:17:00", "minute")),
        ("February 3, 2022", ("2022-02-03", "day")),
        ("February 13, 2017, 2:43 pm", ("2017-02-13T14:43:00", "minute")),
        ("February 13, 2017, 12:05 a.m.", ("2017-02-13T00:05:00", "minute")),
        ("3 February 2022", ("2022-02-03", "day")),
        ("3rd of February, 2022", ("2022-02-03", "day")),
        ("03.02.2022", ("2022-02-03", "day")),
        ("Feb 3, 2022", ("2022-02-03", "day")),
        ("Sept. 30, 2021 at 23:15 GMT+3", ("2021-09-30T20:15:00Z", "minute")),
        ("  3 February 2022.  ", ("2022-02-03", "day")),
        # exports and extractors: news-please, Media Cloud, htmldate, GDELT, JSON numbers
        ("2022-02-03 12:54:00", ("2022-02-03T12:54:00", "second")),
        ("2022-02-03 12:54:00.123456", ("2022-02-03T12:54:00", "second")),
        ("2022-02-03T14:25:00+0300", ("2022-02-03T11:25:00Z", "second")),
        ("2022-02-03 12:54:00+00:00", ("2022-02-03T12:54:00Z", "second")),
        ("2022/02/03", ("2022-02-03", "day")),
        ("2022/02/03 12:54", ("2022-02-03T12:54:00", "minute")),
        ("03 Feb 2022 12:54:00 +0300", ("2022-02-03T09:54:00Z", "second")),
        ("Thu, 3 Feb 2022 12:54:00 +0000 (UTC)", ("2022-02-03T12:54:00Z", "second")),
        ("2022-02-03T12:54:00+03:00[Europe/Moscow]", ("2022-02-03T09:54:00Z", "second")),
        ("1643892840", ("2022-02-03T12:54:00Z", "second")),
        ("1643892840.75", ("2022-02-03T12:54:00Z", "second")),
        ("1643892840000", ("2022-02-03T12:54:00Z", "second")),
        ("20220203", ("2022-02-03", "day")),
        ("20220203125400", ("2022-02-03T12:54:00", "second")),
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


def test_an_iso_field_is_read_without_the_calendars():
    """Most feeds date their records in ISO 8601: reading babel's month names for them cost the loading
    process a second (bench.py --articles 3000)."""
    _calendar.cache_clear()
    assert parse_date("2022-02-03T12:54:10Z") == ("2022-02-03T12:54:10Z", "second")
    assert parse_date("2022-02-03 12:54") == ("2022-02-03T12:54:00", "minute")
    assert _calendar.cache_info().currsize == 0
    assert parse_date("2022-02-30") is None  # an ISO form with an impossible day: the other forms are tried
    assert _calendar.cache_info().currsize == 1


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


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3 февраля 2022", ("2022-02-03", "day")),
        ("2022年2月3日", ("2022-02-03", "day")),
        ("3 Şubat 2022", ("2022-02-03", "day")),
        ("3. Februar 2022", ("2022-02-03", "day")),
        ("3 de febrero de 2022", ("2022-02-03", "day")),
        ("3 février 2022", ("2022-02-03", "day")),
        ("3 лютого 2022 р.", ("2022-02-03", "day")),
        ("3 lutego 2022", ("2022-02-03", "day")),
        ("2022. február 3.", ("2022-02-03", "day")),
        ("2022 m. vasario 3 d.", ("2022-02-03", "day")),
        ("3 בפברואר 2022", ("2022-02-03", "day")),
        ("2022년 2월 3일", ("2022-02-03", "day")),
        ("3 de febrer del 2022", ("2022-02-03", "day")),
        ("3. 2. 2022", ("2022-02-03", "day")),
        ("٣ فبراير ٢٠٢٢", ("2022-02-03", "day")),  # Arabic-Indic digits
        ("३ फ़रवरी २०२२", ("2022-02-03", "day")),  # Devanagari digits; vowel signs are marks, not letters
        ("２０２２年２月３日", ("2022-02-03", "day")),  # full-width digits (NFKC)
        ("3 fe\u0301vrier 2022", ("2022-02-03", "day")),  # decomposed accent (NFD)
        ("3 февраля 2022 г., 12:54", ("2022-02-03T12:54:00", "minute")),
        ("2022年02月03日 09:53:10", ("2022-02-03T09:53:10", "second")),
    ],
)
def test_month_names_and_layouts_of_other_languages(text, expected):
    """babel's month names and layouts, in a whole field and in a dateline of a text alike."""
    assert parse_date(text) == expected
    assert find_date(f"A title\n{text}\nThe body of the story.") == expected


@pytest.mark.parametrize("code", NEWS_LOCALES)
def test_every_news_language_reads_what_babel_writes(code):
    """Each language's long, full and (where it names the month) medium date, as babel writes it, for every
    month. A month name that two of the languages read differently (Polish and Croatian "listopad") is never
    read; Thai's long layout, which names an era, is not read."""
    lengths = ["long", "full"] if code != "th" else []
    if "MMM" in Locale.parse(code).date_formats["medium"].pattern:
        lengths.append("medium")
    refused = 0
    for month in range(1, 13):
        for length in lengths:
            text = format_date(date(2022, month, 3), length, locale=code)
            ambiguous = any(_fold(word.strip(".")) in _calendar().ambiguous for word in text.split())
            refused += ambiguous
            # A full date starts with the weekday in its language: a dateline, not a whole field.
            found = find_date(text) if length == "full" else parse_date(text)
            assert found == (None if ambiguous else (f"2022-{month:02d}-03", "day")), (length, text)
    assert refused <= 5  # Croatian: listopada (long, full), lip, srp and lis (medium)


def test_datelines_in_scripts_without_spaces():
    assert find_date("新华社北京2022年2月3日电 记者\n正文。") == ("2022-02-03", "day")
    assert is_date_line("新华社北京2022年2月3日电")
    assert find_date("（2022年2月3日09:53）") == ("2022-02-03T09:53:00", "minute")


def test_a_month_name_two_languages_read_differently_is_never_read():
    assert parse_date("3 listopadu 2022") == ("2022-11-03", "day")  # Czech only: November
    assert parse_date("3 listopada 2022") is None  # Polish November, Croatian October
    assert find_date("3 listopada 2022\nText") is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("le 3 février 2022 à 12h54", ("2022-02-03T12:54:00", "minute")),
        ("3 февраля 2022 г. в 12:54", ("2022-02-03T12:54:00", "minute")),
        ("3 de febrero de 2022 a las 12:54:10", ("2022-02-03T12:54:10", "second")),
        ("2022年2月3日 12時54分", ("2022-02-03T12:54:00", "minute")),
        ("Donnerstag, 3. Februar 2022 um 12:54 Uhr", ("2022-02-03T12:54:00", "minute")),
        ("February the 3rd, 2022", ("2022-02-03", "day")),
    ],
)
def test_other_whole_fields_go_to_dateparser(text, expected):
    assert parse_date(text) == expected


def test_text_never_goes_to_dateparser():
    """dateparser reads whole fields only: in a text the same line gives what the fast patterns find."""
    assert parse_date("February the 3rd, 2022") == ("2022-02-03", "day")
    assert find_date("February the 3rd, 2022\nBody") is None
    assert parse_date("le 3 février 2022 à 12h54") == ("2022-02-03T12:54:00", "minute")
    assert find_date("le 3 février 2022 à 12h54\nBody") == ("2022-02-03", "day")


@pytest.mark.parametrize(
    "read, refused",
    [
        ("le 3 février 2022 à 12h54", "il y a 3 jours"),  # relative dates are no publication dates
        ("3 февраля 2022 г. в 12:54", "3 дня назад"),
        ("February the 3rd, 2022", "3 days ago"),
        ("February the 3rd, 2022", "yesterday"),
        ("February the 3rd, 2022", "in 2 weeks"),
        ("le 3 février 2022 à 12h54", "le 03/02/2022 à 12h54"),  # numbers alone: day and month could be swapped
        ("February the 3rd, 2022", "the 3rd, 2022"),  # no month
        ("February the 3rd, 2022", "Updated 2022 by the desk"),
        ("3 de febrero de 2022 a las 12:54", "3 de febrero a las 12:54"),  # no year
        ("le 3 février 2022 à 12h54", "le 3 février 22 à 12h54"),  # no century
        ("le 3 février 2022 à 12h54", "février 2022 à 12h54"),  # no day
        ("le 3 février 2022 à 12h54", f"le 3 février {date.today().year + 2} à 12h54"),  # ahead
        ("3 lutego 2022 o 12:54", "3 listopada 2022 o 12:54"),  # Polish November, Croatian October
    ],
)
def test_dateparser_guesses_nothing(read, refused):
    """The same form is read, but not where reading it would be a guess."""
    assert parse_date(read) is not None
    assert parse_date(refused) is None


def test_dates_do_not_depend_on_the_machines_time_zone():
    """A time without a zone stays as given, in summer too, whatever TZ says (dateparser's default is the
    machine's); epoch seconds are UTC."""
    import os
    import subprocess
    import sys

    fields = ("le 7 juillet 2022 à 12h54", "7 July 2022 12:54", "1657198440", "7 июля 2022")
    code = f"from datasette_provenance.dates import parse_date; print([parse_date(s) for s in {fields!r}])"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TZ": "Europe/London"},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == str([("2022-07-07T12:54:00", "minute"), ("2022-07-07T12:54:00", "minute"),
                               ("2022-07-07T12:54:00Z", "second"), ("2022-07-07", "day")])
