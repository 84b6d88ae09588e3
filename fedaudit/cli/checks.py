"""``fedaudit checks``: list the registered checks (id, severity, title, runbook section, controls)."""

from __future__ import annotations

import argparse
import textwrap

import pandas as pd

from fedaudit.checks import REGISTRY
from fedaudit.cli._common import add_format, render_frames, write_out

__all__ = ["checks_frame", "register", "run"]

EPILOG = """\
Examples:
  fedaudit checks
  fedaudit checks --format json > checks.json

Every check is a pure function of the loaded evidence and the audit date. Ids are stable (they
key accepted exceptions and the history database); docs/checks.md describes each one.
--format json prints {"checks": [...]} with id, severity, title, reference, description,
controls and action (the verdict action its critical/high findings imply).

Exit status: 0 (2 on a usage error).
"""


def checks_frame() -> pd.DataFrame:

    rows = [
        {
            "id": c.id,
            "severity": c.severity,
            "title": c.title,
            "reference": c.reference,
            "controls": "; ".join(c.controls),
            "action": c.action,
            "description": c.description,
        }
        for c in REGISTRY
    ]
    return pd.DataFrame(
        rows, columns=["id", "severity", "title", "reference", "controls", "action", "description"]
    ).astype("string")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "checks",
        help="list the audit checks (id, severity, title, runbook section, controls)",
        description="List every check fedaudit runs, in report order.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_format(p)
    p.set_defaults(func=run)


def _table(frame: pd.DataFrame) -> str:
    width = max(len(x) for x in frame["id"]) if len(frame) else 10
    # registry order is the order the checks run and the report lists them, not severity order
    lines = [f"{len(frame)} checks, in the order they run (severities: critical > high > warning > info)", ""]
    lines.append(f"{'ID':<{width}}  {'SEVERITY':<8}  TITLE")
    for row in frame.itertuples(index=False):
        lines.append(f"{row.id:<{width}}  {row.severity:<8}  {row.title}")
        ref = str(row.reference).split(" § ", 1)[-1]
        for text in textwrap.wrap(f"runbook: {ref}", 100 - width):
            lines.append(f"{'':<{width}}  {'':<8}  {text}")
        for text in textwrap.wrap(f"controls: {row.controls}", 100 - width):
            lines.append(f"{'':<{width}}  {'':<8}  {text}")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    frame = checks_frame()
    if args.format == "table":
        write_out(_table(frame))
    else:
        write_out(render_frames({"checks": frame}, args.format))
    return 0
