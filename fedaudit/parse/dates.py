"""Dates as a PowerShell console prints them, read into tz-aware UTC.

A console (Format-List, Format-Table, the X509 ``[Not After]`` block, Export-Csv) prints a
``DateTime`` with ``ToString(CurrentCulture)``: the culture's "G" pattern (short date + long
time), in the **local time of the machine that ran the command, with no offset** (dotnet/runtime
``X509Certificate.FormatDate``; format notes README "Locale / date formats"). We cannot know that
machine's zone, so we read the wall-clock value as if it were UTC. Callers mark such values as
text-derived; certificate bytes, when present, always win over them.

The date order cannot be told from text alone when day and month are both <= 12
(``04/05/2017``). :func:`parse_console_datetime` therefore takes a ``culture`` (``en-US``,
``de-DE``, ...). Without one it decides only when the text itself settles the order and
otherwise raises :class:`~fedaudit.errors.DateError` asking for ``culture=`` (``--culture`` on
the command line). :func:`infer_culture` looks at several dates from one export (same machine,
same culture) and names a culture when one of them settles the order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from fedaudit.errors import DateError, UsageError

__all__ = [
    "CULTURES",
    "infer_culture",
    "is_min_value",
    "parse_console_datetime",
    "parse_console_datetime_or_none",
]

UTC = dt.timezone.utc

#: Date order per culture name (lower-case). "G" patterns from .NET/ICU: en-US ``M/d/yyyy
#: h:mm:ss tt``, en-GB/fr-FR ``dd/MM/yyyy HH:mm:ss``, de-DE ``dd.MM.yyyy HH:mm:ss``, ja-JP
#: ``yyyy/MM/dd H:mm:ss``, nl-NL ``d-M-yyyy HH:mm:ss``, invariant ``MM/dd/yyyy HH:mm:ss``.
#: Separators and 12/24-hour clocks are read leniently; only the order matters for ambiguity.
CULTURES: dict[str, str] = {
    # month first
    "en-us": "MDY",
    "en-ph": "MDY",
    "es-us": "MDY",
    "invariant": "MDY",
    "iv": "MDY",
    # day first
    "en-gb": "DMY",
    "en-ie": "DMY",
    "en-au": "DMY",
    "en-nz": "DMY",
    "en-in": "DMY",
    "en-za": "DMY",
    "en-sg": "DMY",
    "fr-fr": "DMY",
    "fr-be": "DMY",
    "fr-ch": "DMY",
    "it-it": "DMY",
    "it-ch": "DMY",
    "es-es": "DMY",
    "es-mx": "DMY",
    "es-ar": "DMY",
    "pt-br": "DMY",
    "pt-pt": "DMY",
    "de-de": "DMY",
    "de-at": "DMY",
    "de-ch": "DMY",
    "nl-nl": "DMY",
    "nl-be": "DMY",
    "da-dk": "DMY",
    "nb-no": "DMY",
    "fi-fi": "DMY",
    "pl-pl": "DMY",
    "cs-cz": "DMY",
    "sk-sk": "DMY",
    "ru-ru": "DMY",
    "uk-ua": "DMY",
    "tr-tr": "DMY",
    "el-gr": "DMY",
    "ro-ro": "DMY",
    "he-il": "DMY",
    "ar-ae": "DMY",
    "id-id": "DMY",
    "vi-vn": "DMY",
    "th-th": "DMY",
    # year first
    "ja-jp": "YMD",
    "zh-cn": "YMD",
    "zh-tw": "YMD",
    "ko-kr": "YMD",
    "sv-se": "YMD",
    "hu-hu": "YMD",
    "lt-lt": "YMD",
    "fr-ca": "YMD",
    "en-ca": "YMD",
    "iso": "YMD",
}
# A bare language means its main culture (PowerShell users often say "de" or "ja").
_LANGUAGE_DEFAULT = {
    "en": "en-us",
    "de": "de-de",
    "fr": "fr-fr",
    "ja": "ja-jp",
    "nl": "nl-nl",
    "it": "it-it",
    "es": "es-es",
    "pt": "pt-br",
    "da": "da-dk",
    "nb": "nb-no",
    "no": "nb-no",
    "fi": "fi-fi",
    "pl": "pl-pl",
    "ru": "ru-ru",
    "sv": "sv-se",
    "zh": "zh-cn",
    "ko": "ko-kr",
    "cs": "cs-cz",
}
_ORDER_CULTURE = {"MDY": "en-US", "DMY": "en-GB", "YMD": "ja-JP"}

# Meridiem markers: en (AM/PM, a.m.), ja (午前/午後), zh (上午/下午), ko (오전/오후).
_AM = {"am", "a.m.", "a. m.", "午前", "上午", "오전"}
_PM = {"pm", "p.m.", "p. m.", "午後", "下午", "오후"}
_MERIDIEM = re.compile(r"(?i)\b(a\.\s?m\.|p\.\s?m\.|am|pm)(?![a-z])|午前|午後|上午|下午|오전|오후")

_ISO = re.compile(
    r"""^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})
        (?:[T ](?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]{1,9}))?)?)?
        \s*(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?$""",
    re.VERBOSE,
)
_DATE = re.compile(r"^(?P<a>[0-9]{1,4})(?P<s1>[./-])(?P<b>[0-9]{1,2})(?P<s2>[./-])(?P<c>[0-9]{1,4})\.?$")
_TIME = re.compile(r"^(?P<H>[0-9]{1,2})[:.](?P<M>[0-9]{2})(?:[:.](?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]{1,7}))?)?$")


def _culture_order(culture: str) -> str:
    key = culture.strip().lower().replace("_", "-")
    if key in CULTURES:
        return CULTURES[key]
    if key in _LANGUAGE_DEFAULT:
        return CULTURES[_LANGUAGE_DEFAULT[key]]
    if key.upper() in ("MDY", "DMY", "YMD"):
        return key.upper()
    known = ", ".join(sorted({"en-US", "en-GB", "fr-FR", "de-DE", "ja-JP", "nl-NL", "invariant", "iso"}))
    raise UsageError(
        f"unknown culture {culture!r}: give a .NET culture name such as {known}, or the date order MDY, DMY or YMD"
    )


def _error(message: str, text: str, origin: str | None, line: int | None, field: str | None) -> DateError:
    return DateError(message, origin=origin, line=line, field=field, value=text)


def _split(text: str) -> tuple[str, str, str | None]:
    """(date part, time part, meridiem) from a console date string."""
    s = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    meridiem = None
    m = _MERIDIEM.search(s)
    if m:
        token = m.group(0).lower()
        meridiem = "am" if token in _AM else "pm" if token in _PM else None
        s = (s[: m.start()] + " " + s[m.end() :]).strip()
    parts = s.split()
    if not parts:
        return "", "", meridiem
    date_part, time_part = parts[0], " ".join(parts[1:])
    return date_part, time_part, meridiem


def _us_clock(text: str, date_part: str, meridiem: str | None) -> bool:
    """True for the en-US "G" pattern ``M/d/yyyy h:mm:ss tt``: slashes, no zero-padded month
    or day, an upper-case ``AM``/``PM``. en-AU/en-NZ (``d/MM/yyyy``, ``am``/``AM``) pad the
    month, so ``5/06/2017 4:01:18 PM`` is not taken for en-US."""
    if meridiem is None or "/" not in date_part or re.search(r"\b[AP]M\b", text) is None:
        return False
    first, second = date_part.split("/")[:2]
    return not (first.startswith("0") or second.startswith("0"))


def _candidates(date_part: str) -> tuple[tuple[int, int, int], ...] | None:
    """Every plausible (year, month, day) reading of a date part; None if it is not a date."""
    m = _DATE.match(date_part)
    if not m:
        return None
    a, b, c = m.group("a"), m.group("b"), m.group("c")
    if len(a) == 4 and len(c) <= 2:  # yyyy/MM/dd (ja-JP, zh-CN, sv-SE with dashes)
        return ((int(a), int(b), int(c)),) if m.group("s1") == m.group("s2") else None
    if len(c) != 4 or len(a) > 2:
        return None  # two-digit years and other shapes: not a console "G" date
    if m.group("s1") != m.group("s2"):
        return None
    x, y, year = int(a), int(b), int(c)
    readings = []
    if m.group("s1") in ".-":
        # Dotted and dashed year-last dates are day-first in every culture that uses them
        # (de-DE dd.MM.yyyy, ru-RU, fi-FI d.M.yyyy, nl-NL d-M-yyyy, da-DK dd-MM-yyyy).
        readings.append((year, y, x))
    else:
        readings.extend([(year, x, y), (year, y, x)])  # M/d/y, d/M/y
    return tuple(dict.fromkeys(readings))


def _valid(ymd: tuple[int, int, int]) -> bool:
    y, m, d = ymd
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return True


def _time(time_part: str, meridiem: str | None, text: str, origin, line, field) -> dt.time:
    if not time_part:
        if meridiem:
            raise _error(f"date {text!r} has AM/PM but no time", text, origin, line, field)
        return dt.time(0, 0)
    m = _TIME.match(time_part)
    if not m:
        raise _error(f"cannot read the time {time_part!r} in {text!r}", text, origin, line, field)
    hour, minute = int(m.group("H")), int(m.group("M"))
    second = int(m.group("S") or 0)
    micro = int((m.group("f") or "0").ljust(6, "0")[:6])
    if meridiem:
        if not 1 <= hour <= 12:
            raise _error(f"hour {hour} does not fit a 12-hour clock in {text!r}", text, origin, line, field)
        hour = (hour % 12) + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _error(f"time out of range in {text!r}", text, origin, line, field)
    return dt.time(hour, minute, second, micro)


def _order_reading(cands: tuple[tuple[int, int, int], ...], date_part: str, order: str) -> tuple[int, int, int] | None:
    """The reading of ``date_part`` that ``order`` (MDY/DMY/YMD) prescribes."""
    m = _DATE.match(date_part)
    assert m is not None  # _candidates returned a reading
    a, b, c = m.group("a"), m.group("b"), m.group("c")
    if len(a) == 4:
        return (int(a), int(b), int(c))  # year-first text is unambiguous whatever the culture
    if order == "MDY":
        if m.group("s1") in ".-":
            return None  # no month-first culture writes dots or dashes
        return (int(c), int(a), int(b))
    if order == "DMY":
        return (int(c), int(b), int(a))
    return None  # YMD culture but the year is last


# Exports repeat their dates (every domain's lastRunDateTime, every block of one certificate):
# each (text, culture) is read once. Only readings that succeed are kept (an error is raised
# afresh with the caller's origin, line and field); bounded like the certificate caches.
_READ: dict[tuple[str, str | None], dt.datetime] = {}


def _parse(text: str, culture: str | None, origin, line, field) -> dt.datetime:
    key = (text, culture) if isinstance(text, str) else None
    if key is not None:
        hit = _READ.get(key)
        if hit is not None:
            return hit
    value = _parse_text(text, culture, origin, line, field)
    if key is not None:
        if len(_READ) >= 8192:
            _READ.clear()
        _READ[key] = value
    return value


def _parse_text(text: str, culture: str | None, origin, line, field) -> dt.datetime:
    if not isinstance(text, str):
        raise _error(f"expected text, got {type(text).__name__}", repr(text), origin, line, field)
    raw = text.strip()
    if not raw:
        raise _error("empty date", text, origin, line, field)
    order = _culture_order(culture) if culture is not None else None

    iso = _ISO.match(raw)
    if iso:
        try:
            value = dt.datetime(
                int(iso["y"]),
                int(iso["m"]),
                int(iso["d"]),
                int(iso["H"] or 0),
                int(iso["M"] or 0),
                int(iso["S"] or 0),
                int((iso["f"] or "0").ljust(6, "0")[:6]),
            )
        except ValueError:
            raise _error(f"not a calendar date: {raw!r}", text, origin, line, field) from None
        tz = iso["tz"]
        if tz and tz != "Z":
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace(":", "")
            offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            try:
                return (value - sign * offset).replace(tzinfo=UTC)
            except OverflowError:
                raise _error(f"date out of range: {raw!r}", text, origin, line, field) from None
        return value.replace(tzinfo=UTC)

    date_part, time_part, meridiem = _split(raw)
    cands = _candidates(date_part)
    if cands is None:
        raise _error(f"not a date: {raw!r}", text, origin, line, field)
    if order is not None:
        ymd = _order_reading(cands, date_part, order)
        if ymd is None:
            raise _error(
                f"date {raw!r} does not match the culture {culture!r} (its date order is {order})",
                text,
                origin,
                line,
                field,
            )
        if not _valid(ymd):
            raise _error(f"not a calendar date in culture {culture!r}: {raw!r}", text, origin, line, field)
    else:
        valid = [c for c in cands if _valid(c)]
        if not valid:
            raise _error(f"not a calendar date: {raw!r}", text, origin, line, field)
        if len(valid) > 1 and _us_clock(raw, date_part, meridiem):
            # An AM/PM clock with slashes and unpadded parts is the en-US "G" pattern
            # M/d/yyyy h:mm:ss tt. en-AU and en-NZ print day first (d/MM/yyyy, a padded
            # month, "am" in .NET 5+): those stay ambiguous.
            valid = [_order_reading(cands, date_part, "MDY")]  # type: ignore[list-item]
        if len(valid) > 1:
            raise _error(
                f"ambiguous date {raw!r}: day and month are both <= 12; pass the exporting "
                "machine's culture (culture='en-US' or 'en-GB', --culture on the command line)",
                text,
                origin,
                line,
                field,
            )
        ymd = valid[0]
    clock = _time(time_part, meridiem, raw, origin, line, field)
    return dt.datetime.combine(dt.date(*ymd), clock, tzinfo=UTC)


def parse_console_datetime(
    text: str,
    culture: str | None = None,
    *,
    origin: str | None = None,
    line: int | None = None,
    field: str | None = None,
) -> dt.datetime:
    """Read a culture-formatted console date into a tz-aware UTC datetime.

    ``5/5/2017 4:01:18 PM`` (en-US), ``04/04/2017 00:11:29`` (en-GB, fr-FR),
    ``01.08.2024 15:57:51`` (de-DE), ``2017/10/11 15:09:47`` (ja-JP), ``1-8-2024 15:57:51``
    (nl-NL) and ISO 8601 (an explicit offset is honoured). The wall-clock value is taken as UTC
    because consoles print local time without an offset (see the module docstring).

    Without ``culture`` the order is decided only when unambiguous: year first, dotted or
    dashed day-first dates, an AM/PM clock (en-US), a part greater than 12, or day == month.
    Otherwise :class:`~fedaudit.errors.DateError`. An unknown culture name raises
    :class:`~fedaudit.errors.UsageError`.
    """
    return _parse(text, culture, origin, line, field)


_MIN_VALUE = dt.datetime(1, 1, 1, tzinfo=UTC)


def is_min_value(value: dt.datetime) -> bool:
    """True for .NET ``DateTime.MinValue`` (``1/1/0001 12:00:00 AM``), PowerShell's "never"."""
    return value == _MIN_VALUE


def parse_console_datetime_or_none(
    text: str | None,
    culture: str | None = None,
    *,
    origin: str | None = None,
    line: int | None = None,
    field: str | None = None,
) -> dt.datetime | None:
    """Like :func:`parse_console_datetime`, but ``None`` for an empty value and for .NET
    ``DateTime.MinValue`` (``1/1/0001 12:00:00 AM``, e.g. ``PersistentSsoCutoffTime`` unset)."""
    if text is None or not text.strip():
        return None
    value = _parse(text, culture, origin, line, field)
    return None if is_min_value(value) else value


def infer_culture(texts: Iterable[str]) -> str | None:
    """A culture that reads every date in ``texts`` consistently, or None if they do not say.

    Dates printed by one export come from one machine and so one culture: a single
    ``13/04/2017`` settles ``04/05/2017`` beside it. Returns ``"en-US"`` (month first),
    ``"en-GB"`` (day first) or ``"ja-JP"`` (year first) as a stand-in for the date order,
    for passing on as ``culture=``; None when no date settles the order or they contradict.
    """
    orders = {"MDY", "DMY", "YMD"}
    for text in texts:
        if not isinstance(text, str) or _ISO.match(text.strip()):
            continue
        date_part, _, meridiem = _split(text)
        cands = _candidates(date_part)
        if cands is None:
            continue
        if len(date_part) >= 4 and date_part[:4].isdigit():
            fits = {"YMD"}
        else:
            fits = set()
            for order in ("MDY", "DMY"):
                ymd = _order_reading(cands, date_part, order)
                if ymd is not None and _valid(ymd):
                    fits.add(order)
            if fits == {"MDY", "DMY"} and _us_clock(text, date_part, meridiem):
                fits = {"MDY"}
        if not fits:
            continue  # not a calendar date in any order: the parser will report it
        orders &= fits
        if not orders:
            return None
    if len(orders) != 1:
        return None
    return _ORDER_CULTURE[orders.pop()]
