"""Helpers shared by CLI commands: output formats, --as-of, --fail-on."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
import sys
from collections.abc import Mapping
from typing import Any

import pandas as pd

from fedaudit.errors import UsageError
from fedaudit.frames import frame_records
from fedaudit.neutral import csv_cell, json_dumps, term_text

__all__ = [
    "FAIL_ON",
    "add_as_of",
    "add_fail_on",
    "add_format",
    "add_load_options",
    "add_trust_cert",
    "check_paths",
    "load_options",
    "positive_int",
    "parse_as_of",
    "parse_domain_map",
    "render_frames",
    "write_out",
]

FAIL_ON = ("critical", "high", "warning", "info", "none")


def parse_as_of(value: str | None, option: str = "--as-of") -> dt.datetime | None:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 timestamp; None stays None.

    ``option`` names the flag in the error message."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc)


def check_paths(paths: list[str]) -> None:
    """Refuse a PATH that does not exist or cannot be read, before any loading (exit 2).

    URLs pass: they are fetched as metadata evidence."""
    import os

    for path in paths:
        if "://" in path:
            continue
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file or folder")
        if not os.access(path, os.R_OK):
            raise UsageError(f"{path}: permission denied")


def add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="judge as of this date (UTC midnight); default: now")


def add_format(parser: argparse.ArgumentParser, default: str = "table") -> None:
    parser.add_argument(
        "--format", choices=("table", "json", "csv"), default=default, help=f"output format (default {default})"
    )


def add_fail_on(parser: argparse.ArgumentParser, default: str = "high") -> None:
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default=default,
        metavar="SEVERITY",
        help=f"exit 1 when a finding is at or above SEVERITY ({', '.join(FAIL_ON)}; default {default})",
    )


def add_load_options(parser: argparse.ArgumentParser) -> None:
    """The options of :func:`fedaudit.load`: --culture, --domain-map, --metadata, --ca-bundle,
    --insecure (shared by every command that loads evidence)."""
    parser.add_argument(
        "--culture",
        metavar="C",
        help="culture the console dates were printed in (en-US, en-GB, de-DE, ja-JP, ... or MDY/DMY/YMD); "
        "without it an ambiguous date such as 04/05/2017 is a load issue",
    )
    parser.add_argument(
        "--domain-map",
        action="append",
        default=[],
        metavar="FILE=DOMAIN",
        help="the domain of a Get-MsolDomainFederationSettings / federation-configuration export that "
        "does not show it (repeatable)",
    )
    parser.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="URL|FILE",
        help="federation metadata to fetch (https URL) or a saved metadata file (repeatable)",
    )
    parser.add_argument("--ca-bundle", metavar="FILE", help="CA bundle (PEM) for fetching metadata over HTTPS")
    add_trust_cert(parser)
    parser.add_argument(
        "--insecure", action="store_true", help="fetch metadata without TLS verification (recorded in the evidence)"
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="processes that read the files (default: the machine's cores for an estate of 400 files or more; "
        "1 reads in this process only); the evidence is the same whatever N",
    )


def positive_int(text: str) -> int:
    """argparse type: a whole number of 1 or more, in ASCII digits (exit 2 otherwise)."""
    if not re.fullmatch(r"[0-9]+", text):  # ASCII digits only (int() also takes " 2", "+2", "\u0662")
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not 1 or more")
    return value


def add_trust_cert(parser: argparse.ArgumentParser) -> None:
    """--trust-cert FILE: a pinned metadata signer (every command that takes --metadata)."""
    parser.add_argument(
        "--trust-cert",
        action="append",
        default=[],
        metavar="FILE",
        help="PEM/DER certificate of a trusted metadata signer (repeatable); metadata certificates count as "
        "authenticated only when the document's signer is pinned this way or is an AD FS primary/secondary "
        "or Entra current/next certificate in the evidence",
    )


def parse_domain_map(values: list[str] | None) -> dict[str, str]:
    """``["FILE=DOMAIN", ...]`` -> ``{FILE: DOMAIN}``. The last ``=`` splits, so paths may hold one."""
    out: dict[str, str] = {}
    for value in values or ():
        path, sep, domain = value.rpartition("=")
        if not sep or not path.strip() or not domain.strip():
            raise UsageError(f"--domain-map: {value!r} is not FILE=DOMAIN")
        out[path.strip()] = domain.strip()
    return out


def load_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for :func:`fedaudit.load` from :func:`add_load_options` options."""
    return {
        "culture": args.culture,
        "domain_map": parse_domain_map(args.domain_map),
        "metadata": tuple(args.metadata),
        "ca_bundle": args.ca_bundle,
        "insecure": args.insecure,
        "trust_certs": tuple(args.trust_cert),
        "workers": args.workers,
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def render_frames(frames: Mapping[str, pd.DataFrame], fmt: str, extra: Mapping[str, Any] | None = None) -> str:
    """Frames as one JSON object, CSV sections, or readable tables."""
    if fmt == "json":
        obj: dict[str, Any] = dict(extra or {})
        for name, frame in frames.items():
            obj[name] = frame_records(frame)
        return json_dumps(obj, indent=2, default=_json_default) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        for key, value in (extra or {}).items():  # e.g. "# as_of: 2026-11-27T00:00:00+00:00"
            out.write(f"# {key}: {_json_default(value) if not isinstance(value, str) else value}\n")
        for i, (name, frame) in enumerate(frames.items()):
            if len(frames) > 1:
                if i:
                    out.write("\n")
                out.write(f"# {name}\n")
            rows = frame_records(frame)
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([csv_cell(str(c)) for c in frame.columns])
            for row in rows:
                writer.writerow(["" if row[c] is None else _csv(row[c]) for c in frame.columns])
        return out.getvalue()
    parts = []
    for name, frame in frames.items():
        parts.append(f"{name} ({len(frame)})")
        if len(frame):
            parts.append(_text_table(frame))
        parts.append("")
    return "\n".join(parts)


#: Widest a cell of the plain-text table may be; longer text is clipped with an ellipsis
#: (the full value is in --format json/csv).
TABLE_CELL_WIDTH = 60


#: Columns whose end matters most (file names): clipped at the start instead.
_CLIP_LEFT = {"path", "origin", "url", "report"}


def _clip(value: Any, left: bool = False) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, pd.Timestamp):
        text = value.strftime("%Y-%m-%d %H:%M") + "Z"
    elif isinstance(value, float):
        text = f"{value:.1f}"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, default=_json_default, ensure_ascii=False)
    else:
        text = str(value)
    text = " ".join(text.split())
    if len(text) <= TABLE_CELL_WIDTH:
        return text
    if left:
        return "\u2026" + text[-(TABLE_CELL_WIDTH - 1) :]
    return text[: TABLE_CELL_WIDTH - 1] + "\u2026"


def _text_table(frame: pd.DataFrame) -> str:
    """Left-aligned columns, one line per row, cells clipped to TABLE_CELL_WIDTH."""
    columns = [str(c) for c in frame.columns]
    left = [c.lower() in _CLIP_LEFT for c in columns]
    rows = [[_clip(v, lf) for v, lf in zip(row, left)] for row in frame.itertuples(index=False, name=None)]
    widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json_dumps(value, default=_json_default)
    return str(value)


def _csv(value: Any) -> str:
    """A CSV cell: numbers as written, text neutralised for spreadsheets (fedaudit.neutral)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return csv_cell(_cell(value))


def write_out(text: str) -> None:
    """Print ``text`` to stdout with control characters shown as escapes (JSON text is passed
    through :func:`fedaudit.neutral.json_text` before, so it has none left to escape)."""
    sys.stdout.write(term_text(text))
    sys.stdout.flush()
