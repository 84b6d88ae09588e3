"""``fedaudit run --config FILE``: the scheduled audit of every estate a configuration names."""

from __future__ import annotations

import argparse
import sys

from fedaudit.cli._common import add_as_of, parse_as_of
from fedaudit.neutral import term
from fedaudit.ops.config import load_config
from fedaudit.ops.schedule import run_audits

EPILOG = """\
Example:
  fedaudit run --config /etc/fedaudit/fedaudit.toml
  fedaudit run --config fedaudit.toml --only contoso --as-of 2026-11-27

For each [[audit]]: fetch its metadata URLs, load its exports, run the checks, render the report
into <root>/<audit>/<dated folder>/ (with findings.jsonl and findings.ocsf.jsonl for a SIEM),
record the run in <root>/history.sqlite and rewrite <root>/index.html.

Progress lines go to stderr when it is a terminal; under cron (no terminal) or with --quiet
nothing is printed unless something fails.

Exit status:
  0  every audit completed with no open finding at or above its fail_on
  1  some audit has open findings at or above its fail_on (accepted exceptions do not count)
  2  configuration or usage error, or an audit could not run (recorded as failed)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run",
        help="run the audits of a configuration file, keep history, write index.html",
        description="Run every audit a TOML configuration file describes (see docs/scheduling.md).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", required=True, metavar="FILE", help="the TOML configuration file")
    p.add_argument("--only", metavar="NAME", help="run only the audit with this name")
    add_as_of(p)
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing unless something fails")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    config = load_config(args.config)
    as_of = parse_as_of(args.as_of)
    show = not args.quiet and sys.stderr.isatty()

    def progress(message: str) -> None:
        sys.stderr.write(f"fedaudit: {term(message)}\n")
        sys.stderr.flush()

    summary = run_audits(config, only=args.only, as_of=as_of, progress=progress if show else None)
    for r in summary.runs:
        if r.status != "complete":
            sys.stderr.write(f"fedaudit: error: audit {term(r.audit)}: run {r.run_id} failed: {term(r.error)}\n")
    return summary.exit_code
