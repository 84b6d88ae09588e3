"""Helpers shared by CLI commands: output formats, --as-of, --fail-on."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from typing import Any, Mapping

import pandas as pd

from ..errors import UsageError
from ..frames import frame_records

__all__ = [
    "FAIL_ON",
    "add_as_of",
    "add_fail_on",
    "add_format",
    "parse_as_of",
    "render_frames",
    "write_out",
]

FAIL_ON = ("critical", "high", "warning", "info", "none")


def parse_as_of(value: str | None) -> dt.datetime | None:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 timestamp; None stays None."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--as-of: {value!r} is not a date (use YYYY-MM-DD)") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.astimezone(dt.timezone.utc)


def add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of", metavar="YYYY-MM-DD", help="judge as of this date (UTC midnight); default: now"
    )


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
        return json.dumps(obj, indent=2, default=_json_default, ensure_ascii=False) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        for i, (name, frame) in enumerate(frames.items()):
            if len(frames) > 1:
                if i:
                    out.write("\n")
                out.write(f"# {name}\n")
            rows = frame_records(frame)
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(list(frame.columns))
            for row in rows:
                writer.writerow(["" if row[c] is None else _cell(row[c]) for c in frame.columns])
        return out.getvalue()
    parts = []
    for name, frame in frames.items():
        parts.append(f"{name} ({len(frame)})")
        if len(frame):
            with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.max_rows", 500):
                parts.append(frame.to_string(index=False, na_rep="-"))
        parts.append("")
    return "\n".join(parts)


def _cell(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    return str(value)


def write_out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
