"""Accepted exceptions: risks a reviewer has accepted, for one check on one farm or domain, until a date.

An exceptions file is TOML or CSV (chosen by the file's suffix, ``.toml`` or ``.csv``)::

    # exceptions.toml
    [[exception]]
    check = "ROLLOVER-OFF"          # a check id (fedaudit checks lists them)
    farm = "fs.fabrikam.com"        # the farm, or:
    # domain = "fabrikam.com"       # the federated domain (give one, or both to narrow)
    justification = "CA-issued signing certificate; renewed by PKI change CHG-1234"
    owner = "identity-team@fabrikam.com"
    expires = 2026-10-01            # TOML date or "YYYY-MM-DD"; the last day it still applies

    # exceptions.csv (UTF-8, comma or semicolon separated; lines starting with # are comments)
    check,farm,domain,justification,owner,expires
    ROLLOVER-OFF,fs.fabrikam.com,,CA-issued signing certificate,identity-team@fabrikam.com,2026-10-01

:func:`apply_exceptions` marks the findings an exception covers: ``excepted`` is True while the
exception is live (as-of date on or before ``expires``), and ``exception`` says by whom, until
when and why. Excepted findings stay in every output, marked, and never fail ``--fail-on``.
Once the expiry date has passed the finding re-opens (``excepted`` False) and ``exception``
says ``exception expired YYYY-MM-DD (owner ...)`` so the lapse is visible.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fedaudit._util import read_text_file
from fedaudit.checks import REGISTRY
from fedaudit.errors import ConfigError, UsageError
from fedaudit.frames import SCHEMAS
from fedaudit.neutral import uncsv_cell

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

__all__ = [
    "AcceptedException",
    "EXCEPTION_FIELDS",
    "apply_exceptions",
    "describe_unmatched",
    "exception_status",
    "load_exceptions",
    "parse_exceptions_csv",
    "parse_exceptions_toml",
    "unmatched_exceptions",
]

#: Fields of one exception, in CSV column order.
EXCEPTION_FIELDS = ("check", "farm", "domain", "justification", "owner", "expires")
_REQUIRED = ("check", "justification", "owner", "expires")


@dataclass(frozen=True)
class AcceptedException:
    """One accepted risk. ``farm``/``domain`` are matched case-insensitively; at least one is set."""

    check: str
    justification: str
    owner: str
    expires: dt.date
    farm: str | None = None
    domain: str | None = None
    origin: str = ""
    line: int | None = None

    def __post_init__(self) -> None:
        if not self.farm and not self.domain:
            raise UsageError("an exception names a farm or a domain (or both)")

    @property
    def scope(self) -> str:
        """The farm and/or domain it covers, for messages."""
        parts = [p for p in (self.farm, self.domain) if p]
        return " / ".join(parts)

    def matches(self, check_id: Any, farm: Any, domain: Any) -> bool:
        """True when this exception is about ``check_id`` on that farm/domain (dates aside)."""
        if _fold(check_id) != _fold(self.check):
            return False
        if self.farm and _fold(farm) != _fold(self.farm):
            return False
        if self.domain and _fold(domain) != _fold(self.domain):
            return False
        return True

    def live(self, as_of: dt.datetime | dt.date) -> bool:
        """True while ``as_of`` falls on or before the expiry date (UTC)."""
        return _as_date(as_of) <= self.expires

    def describe(self, as_of: dt.datetime | dt.date) -> str:
        """The text of the findings ``exception`` column."""
        if self.live(as_of):
            return f"excepted until {self.expires.isoformat()} (owner {self.owner}): {self.justification}"
        return f"exception expired {self.expires.isoformat()} (owner {self.owner}): {self.justification}"


def _fold(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return str(value).strip().casefold() or None


def _as_date(value: dt.datetime | dt.date) -> dt.date:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise UsageError(f"naive datetime {value!r}: pass a tz-aware UTC as_of")
        return value.astimezone(dt.timezone.utc).date()
    return value


def load_exceptions(path: str | os.PathLike[str]) -> list[AcceptedException]:
    """Read an exceptions file (``.toml`` or ``.csv``). Raises :class:`ConfigError` when invalid."""
    p = Path(path)
    text = read_text_file(p, "exceptions file", utf8_hint="; save the file as UTF-8")
    suffix = p.suffix.lower()
    if suffix == ".toml":
        return parse_exceptions_toml(text, origin=str(p))
    if suffix == ".csv":
        return parse_exceptions_csv(text, origin=str(p))
    raise ConfigError(f"{p}: exceptions file must end in .toml or .csv, got {p.suffix or 'no suffix'!r}")


def parse_exceptions_toml(text: str, *, origin: str) -> list[AcceptedException]:
    """Exceptions from TOML ``[[exception]]`` tables."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{origin}: not valid TOML: nested too deeply") from None
    unknown = [k for k in doc if k != "exception"]
    if unknown:
        raise ConfigError(
            f"{origin}: unknown top-level key {unknown[0]!r}{_did_you_mean(unknown[0], ('exception',))}; "
            "write each exception as an [[exception]] table"
        )
    tables = doc.get("exception", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(f"{origin}: 'exception' must be written as [[exception]] tables")
    lines = _table_lines(text)
    out = []
    for i, table in enumerate(tables):
        line = lines[i] if i < len(lines) else None
        out.append(_build(table, origin, line, f"[[exception]] #{i + 1}"))
    return _checked(out)


def _table_lines(text: str) -> list[int]:
    return [n for n, raw in enumerate(text.splitlines(), 1) if raw.strip().replace(" ", "") == "[[exception]]"]


def parse_exceptions_csv(text: str, *, origin: str) -> list[AcceptedException]:
    """Exceptions from CSV with header ``check,farm,domain,justification,owner,expires``."""
    rows = [
        (n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        return []
    header_line = rows[0][1]
    # Excel saves CSV with the list separator of the user's culture (';' in de-DE, fr-FR).
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO("\n".join(line for _, line in rows)), delimiter=delimiter)
    parsed = []
    try:
        for values in reader:
            parsed.append([uncsv_cell(v) for v in values])
    except csv.Error as exc:  # a field over csv.field_size_limit() (131,072 characters), a NUL ...
        line_no = rows[min(reader.line_num, len(rows)) - 1][0]
        raise ConfigError(f"{origin}: line {line_no}: not a CSV record fedaudit accepts ({exc})") from None
    header = [h.strip().lower() for h in parsed[0]]
    for h in header:
        if h not in EXCEPTION_FIELDS:
            raise ConfigError(
                f"{origin}: line {rows[0][0]}: unknown column {h!r}{_did_you_mean(h, EXCEPTION_FIELDS)}; "
                f"columns: {','.join(EXCEPTION_FIELDS)}"
            )
    missing = [f for f in _REQUIRED if f not in header]
    if missing:
        raise ConfigError(f"{origin}: line {rows[0][0]}: missing column(s) {', '.join(missing)}")
    out = []
    for (line_no, _), values in zip(rows[1:], parsed[1:]):
        if len(values) > len(header):
            raise ConfigError(
                f"{origin}: line {line_no}: {len(values)} fields but the header has {len(header)} "
                "(quote a justification that contains the separator)"
            )
        record = {h: (v.strip() or None) for h, v in zip(header, values)}
        out.append(_build(record, origin, line_no, f"line {line_no}"))
    return _checked(out)


def _did_you_mean(word: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _build(record: Mapping[str, Any], origin: str, line: int | None, where: str) -> AcceptedException:
    prefix = f"{origin}: {where}" if line is None or where.startswith("line") else f"{origin}: {where} (line {line})"
    for key in record:
        if key not in EXCEPTION_FIELDS:
            raise ConfigError(f"{prefix}: unknown key {key!r}{_did_you_mean(key, EXCEPTION_FIELDS)}")
    values: dict[str, Any] = {}
    for key in ("check", "farm", "domain", "justification", "owner"):
        v = record.get(key)
        if v is not None and not isinstance(v, str):
            raise ConfigError(f"{prefix}: {key}: expected a string, got {v!r}")
        values[key] = v.strip() if isinstance(v, str) and v.strip() else None
    for key in ("check", "justification", "owner"):
        if not values[key]:
            raise ConfigError(f"{prefix}: missing {key} (every exception needs check, justification, owner, expires)")
    if not values["farm"] and not values["domain"]:
        raise ConfigError(f"{prefix}: give the farm or the domain the exception covers (an exception is never global)")
    expires = record.get("expires")
    if expires is None:
        raise ConfigError(f"{prefix}: missing expires (the last day the exception applies, YYYY-MM-DD)")
    if isinstance(expires, dt.datetime):
        expires = expires.date()
    elif isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires.strip())
        except ValueError:
            raise ConfigError(f"{prefix}: expires: {expires!r} is not a date (use YYYY-MM-DD)") from None
    elif not isinstance(expires, dt.date):
        raise ConfigError(f"{prefix}: expires: expected a date (YYYY-MM-DD), got {expires!r}")
    return AcceptedException(
        check=values["check"],
        farm=values["farm"],
        domain=values["domain"],
        justification=values["justification"],
        owner=values["owner"],
        expires=expires,
        origin=origin,
        line=line,
    )


def _checked(exceptions: list[AcceptedException]) -> list[AcceptedException]:
    """Refuse check ids the registry does not know, naming the closest (when the registry exists)."""
    ids = _known_check_ids()
    if ids:
        for e in exceptions:
            if e.check.casefold() not in {i.casefold() for i in ids}:
                where = f"{e.origin}: line {e.line}" if e.line else e.origin
                raise ConfigError(
                    f"{where}: unknown check id {e.check!r}{_did_you_mean(e.check, ids)}; `fedaudit checks` lists them"
                )
    return exceptions


def _known_check_ids() -> list[str]:
    return [c.id for c in REGISTRY]


def _pick(candidates: list[AcceptedException], as_of: dt.date) -> AcceptedException:
    # A live exception wins (the one lasting longest); otherwise the most recently expired one,
    # so the re-opened finding says when its cover lapsed.
    live = [e for e in candidates if e.expires >= as_of]
    pool = live or candidates
    return max(pool, key=lambda e: e.expires)


def apply_exceptions(
    findings: pd.DataFrame, exceptions: Iterable[AcceptedException], as_of: dt.datetime | dt.date
) -> pd.DataFrame:
    """A copy of ``findings`` with ``excepted`` and ``exception`` filled from ``exceptions``.

    Findings no exception covers get ``excepted=False`` and ``exception`` NA. Nothing is dropped.
    """

    day = _as_date(as_of)
    exceptions = list(exceptions)
    out = findings.copy()
    excepted: list[bool] = []
    texts: list[Any] = []
    for check_id, farm, domain in zip(out["id"], out["farm"], out["domain"]):
        hits = [e for e in exceptions if e.matches(check_id, farm, domain)]
        if not hits:
            excepted.append(False)
            texts.append(pd.NA)
            continue
        chosen = _pick(hits, day)
        excepted.append(chosen.live(day))
        texts.append(chosen.describe(day))
    schema = SCHEMAS["findings"]
    out["excepted"] = pd.Series(excepted, index=out.index, dtype=object).astype(schema["excepted"])
    out["exception"] = pd.Series(texts, index=out.index, dtype=object).astype(schema["exception"])
    return out


def exception_status(
    findings: pd.DataFrame, exceptions: Iterable[AcceptedException], as_of: dt.datetime | dt.date
) -> pd.DataFrame:
    """One row per exception: whether it is live or expired and how many findings it matches.

    An exception that matches nothing may be stale (the risk was fixed): a reviewer can retire it.
    """
    day = _as_date(as_of)
    rows = []
    for e in exceptions:
        matched = sum(1 for c, f, d in zip(findings["id"], findings["farm"], findings["domain"]) if e.matches(c, f, d))
        rows.append(
            {
                "check": e.check,
                "farm": e.farm,
                "domain": e.domain,
                "owner": e.owner,
                "expires": e.expires.isoformat(),
                "status": "live" if e.live(day) else "expired",
                "matched": matched,
                "justification": e.justification,
                "origin": f"{e.origin}:{e.line}" if e.line else e.origin,
            }
        )
    columns = ["check", "farm", "domain", "owner", "expires", "status", "matched", "justification", "origin"]
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:
        frame[c] = frame[c].astype("Int64" if c == "matched" else "string")
    return frame


def unmatched_exceptions(findings: pd.DataFrame, exceptions: Iterable[AcceptedException]) -> list[AcceptedException]:
    """The accepted exceptions that cover no finding: a fixed risk, a renamed farm or a typo.
    Reported as a warning (the report, one stderr line), never silently carried."""
    ids, farms, domains = list(findings["id"]), list(findings["farm"]), list(findings["domain"])
    return [e for e in exceptions if not any(e.matches(c, f, d) for c, f, d in zip(ids, farms, domains))]


def describe_unmatched(e: AcceptedException) -> str:
    """One line naming the exception and where it was written."""
    scope = ", ".join(x for x in (f"farm {e.farm}" if e.farm else "", f"domain {e.domain}" if e.domain else "") if x)
    where = f"{e.origin}:{e.line}" if e.origin and e.line else e.origin
    text = f"{e.check}" + (f" ({scope})" if scope else "") + (f" at {where}" if where else "") + f", owner {e.owner}"
    return " ".join(text.split())  # one line, whatever the file holds
