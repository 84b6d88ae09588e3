"""fedaudit.parse.dates: console dates in the cultures seen in real exports, read as UTC."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedaudit.parse.dates import (
    CULTURES,
    infer_culture,
    is_min_value,
    parse_console_datetime,
    parse_console_datetime_or_none,
)
from fedaudit.errors import DateError, FedauditError, UsageError

UTC = dt.timezone.utc


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "culture", "expected"),
    [
        # Verbatim values from the format notes (sources there).
        ("5/5/2017 4:01:18 PM", None, utc(2017, 5, 5, 16, 1, 18)),  # en-US, MSOL blog 2018
        ("5/5/2018 4:01:18 PM", "en-US", utc(2018, 5, 5, 16, 1, 18)),
        ("11/24/2018 10:08:13 AM", None, utc(2018, 11, 24, 10, 8, 13)),  # Key Vault docs
        ("2/8/2016 3:11:45 PM", None, utc(2016, 2, 8, 15, 11, 45)),  # AM/PM -> M/d/y
        ("10/11/2020 2:32:12 AM", None, utc(2020, 10, 11, 2, 32, 12)),  # Q&A 122472
        ("1/1/0001 12:00:00 AM", None, utc(1, 1, 1, 0, 0, 0)),  # MS docs PersistentSsoCutoffTime
        ("01.08.2024 15:57:51", None, utc(2024, 8, 1, 15, 57, 51)),  # Q&A 2007742 (de-DE)
        ("01.08.2025 15:57:51", "de-DE", utc(2025, 8, 1, 15, 57, 51)),
        ("2017/10/11 15:09:47", None, utc(2017, 10, 11, 15, 9, 47)),  # jpazureid (ja-JP)
        ("2057/10/01 15:09:47", "ja-JP", utc(2057, 10, 1, 15, 9, 47)),
        ("04/04/2017 00:11:29", None, utc(2017, 4, 4, 0, 11, 29)),  # CLIXML (day == month)
        ("04/04/2018 00:31:29", "en-GB", utc(2018, 4, 4, 0, 31, 29)),
        ("04/05/2017 00:11:29", "fr-FR", utc(2017, 5, 4, 0, 11, 29)),
        ("04/05/2017 00:11:29", "en-US", utc(2017, 4, 5, 0, 11, 29)),
        ("1-8-2024 15:57:51", None, utc(2024, 8, 1, 15, 57, 51)),  # nl-NL d-M-yyyy
        ("1-8-2024 15:57:51", "nl-NL", utc(2024, 8, 1, 15, 57, 51)),
        ("13/04/2017 09:00:00", None, utc(2017, 4, 13, 9, 0, 0)),  # a part > 12 settles it
        ("4/13/2017 9:00:00 AM", None, utc(2017, 4, 13, 9, 0, 0)),
        ("12/31/9999 11:59:59 PM", None, utc(9999, 12, 31, 23, 59, 59)),  # DateTime.MaxValue
        ("2017/10/11 午後 3:09:47", None, utc(2017, 10, 11, 15, 9, 47)),  # ja-JP with tt
        ("2021-08-25T07:44:46.2616778Z", None, utc(2021, 8, 25, 7, 44, 46, 261677)),  # Graph
        ("2018-05-05T16:01:18-07:00", None, utc(2018, 5, 5, 23, 1, 18)),  # CLIXML <DT>
        ("2017-10-11 15:09:47", "sv-SE", utc(2017, 10, 11, 15, 9, 47)),
        ("  5/5/2017   4:01:18\u00a0PM ", None, utc(2017, 5, 5, 16, 1, 18)),
        ("5/5/2017", None, utc(2017, 5, 5)),
        ("5/6/2017 12:00:00 PM", "en_us", utc(2017, 5, 6, 12, 0, 0)),  # culture spelled loosely
        ("06/05/2017 10:00:00", "de", utc(2017, 5, 6, 10, 0, 0)),  # bare language
        ("06/05/2017 10:00:00", "DMY", utc(2017, 5, 6, 10, 0, 0)),
    ],
)
def test_parse_console_datetime(text: str, culture: str | None, expected: dt.datetime) -> None:
    value = parse_console_datetime(text, culture)
    assert value == expected
    assert value.tzinfo is not None and value.utcoffset() == dt.timedelta(0)


def test_ambiguous_date_without_culture_says_how_to_fix() -> None:
    with pytest.raises(DateError) as info:
        parse_console_datetime("04/05/2017 00:11:29", origin="certs.txt", line=7, field="Not After")
    err = info.value
    assert (err.origin, err.line, err.field, err.value) == ("certs.txt", 7, "Not After", "04/05/2017 00:11:29")
    assert "culture=" in str(err) and "--culture" in str(err)
    assert str(err).startswith("certs.txt, line 7, field Not After: ambiguous date")


@pytest.mark.parametrize(
    ("text", "culture", "message"),
    [
        ("2017/10/11 15:09:47", None, None),  # control: fine
        ("5/5/2017 4:01:18 PM", "ja-JP", "does not match the culture"),  # year-last in a YMD culture
        ("01.08.2024 15:57:51", "en-US", "does not match the culture"),  # dots are never month-first
        ("13/13/2017 10:00:00", None, "not a calendar date"),
        ("02/30/2017 10:00:00", "en-US", "not a calendar date"),
        ("5/5/2017 13:01:18 PM", None, "12-hour clock"),
        ("5/5/2017 25:01:18", None, "time out of range"),
        ("5/5/17 4:01 PM", None, "not a date"),  # two-digit years are not a console G pattern
        ("Monday, April 23, 2018", None, "not a date"),
        ("", None, "empty date"),
        ("5/5/2017 4h01", None, "cannot read the time"),
        ("2017-02-30", None, "not a calendar date"),
    ],
)
def test_bad_dates_raise_date_error(text: str, culture: str | None, message: str | None) -> None:
    if message is None:
        parse_console_datetime(text, culture)
        return
    with pytest.raises(DateError, match=message):
        parse_console_datetime(text, culture)


def test_lower_case_am_pm_is_not_taken_for_en_us() -> None:
    # en-AU / en-NZ print d/MM/yyyy h:mm:ss with a lower-case am/pm: day first.
    with pytest.raises(DateError, match="ambiguous"):
        parse_console_datetime("5/06/2017 4:01:18 pm")
    assert parse_console_datetime("5/06/2017 4:01:18 pm", "en-AU") == utc(2017, 6, 5, 16, 1, 18)
    assert parse_console_datetime("25/06/2017 4:01:18 pm") == utc(2017, 6, 25, 16, 1, 18)
    assert infer_culture(["5/06/2017 4:01:18 pm"]) is None
    # Windows PowerShell 5.1 (NLS) prints en-AU with an upper-case PM, but pads the month.
    with pytest.raises(DateError, match="ambiguous"):
        parse_console_datetime("5/06/2017 4:01:18 PM")
    assert infer_culture(["5/06/2017 4:01:18 PM"]) is None


def test_unknown_culture_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown culture 'xx-YY'"):
        parse_console_datetime("5/5/2017 4:01:18 PM", "xx-YY")


def test_min_value_is_none_and_empty_is_none() -> None:
    assert parse_console_datetime_or_none("1/1/0001 12:00:00 AM") is None
    assert parse_console_datetime_or_none("01.01.0001 00:00:00", "de-DE") is None
    assert parse_console_datetime_or_none("   ") is None
    assert parse_console_datetime_or_none(None) is None
    assert parse_console_datetime_or_none("5/5/2017 4:01:18 PM") == utc(2017, 5, 5, 16, 1, 18)
    assert is_min_value(utc(1, 1, 1)) and not is_min_value(utc(1, 1, 2))


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["04/05/2017 10:00:00", "13/05/2018 10:00:00"], "en-GB"),
        (["04/05/2017 10:00:00", "04/13/2018 10:00:00"], "en-US"),
        (["04/05/2017 10:00:00", "04/05/2018 10:00:00"], None),  # nothing settles it
        (["13/05/2017 10:00:00", "04/13/2018 10:00:00"], None),  # contradiction
        (["4/5/2017 4:01:18 PM"], "en-US"),
        (["01.08.2024 15:57:51"], "en-GB"),
        (["2017/10/11 15:09:47", "2057/10/01 15:09:47"], "ja-JP"),
        (["2021-08-25T07:44:46Z", "not a date"], None),
        ([], None),
    ],
)
def test_infer_culture(texts: list[str], expected: str | None) -> None:
    assert infer_culture(texts) == expected


# How .NET's "G" pattern prints a DateTime in a few cultures (short date + long time).
def _g(value: dt.datetime, culture: str) -> str:
    if culture == "en-US":
        hour = value.hour % 12 or 12
        return f"{value.month}/{value.day}/{value.year:04d} {hour}:{value:%M:%S} {'AM' if value.hour < 12 else 'PM'}"
    if culture in ("en-GB", "fr-FR"):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d} {value:%H:%M:%S}"
    if culture == "de-DE":
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d} {value:%H:%M:%S}"
    if culture == "ja-JP":
        return f"{value.year:04d}/{value.month:02d}/{value.day:02d} {value.hour}:{value:%M:%S}"
    if culture == "nl-NL":
        return f"{value.day}-{value.month}-{value.year:04d} {value:%H:%M:%S}"
    raise AssertionError(culture)


_G_CULTURES = ["en-US", "en-GB", "fr-FR", "de-DE", "ja-JP", "nl-NL"]


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)),
    st.sampled_from(_G_CULTURES),
)
def test_round_trip_of_the_g_pattern(value: dt.datetime, culture: str) -> None:
    value = value.replace(microsecond=0)
    text = _g(value, culture)
    assert parse_console_datetime(text, culture) == value.replace(tzinfo=UTC)
    try:
        guessed = parse_console_datetime(text)
    except DateError as exc:
        assert "ambiguous" in str(exc)
        assert value.day <= 12 and value.month <= 12 and value.day != value.month
    else:
        assert guessed == value.replace(tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60), st.sampled_from([None, *sorted(CULTURES)]))
def test_arbitrary_text_returns_utc_or_raises_date_error(text: str, culture: str | None) -> None:
    try:
        value = parse_console_datetime(text, culture)
    except FedauditError as exc:
        assert isinstance(exc, DateError)
        return
    assert value.utcoffset() == dt.timedelta(0)


@settings(max_examples=150, deadline=None)
@given(st.from_regex(r"\A[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{1,4}( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?( [AP]M)?)?\Z"))
def test_date_shaped_text_returns_or_raises_date_error(text: str) -> None:
    for culture in (None, "en-US", "de-DE", "ja-JP"):
        with contextlib.suppress(DateError):
            parse_console_datetime(text, culture)
    assert infer_culture([text]) in (None, "en-US", "en-GB", "ja-JP")
