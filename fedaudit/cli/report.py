"""``fedaudit report``: render the audit as a self-contained HTML report in a new dated folder."""

from __future__ import annotations

import argparse
import os
import sys

from fedaudit.errors import UsageError
from fedaudit.cli._common import add_as_of, add_fail_on, parse_as_of
from fedaudit.reporting.render import report

__all__ = ["register", "run"]

EPILOG = """\
Writes a new folder under DIR (never overwriting one) with report.html, the executed notebook,
findings.csv, findings.json and manifest.json (SHA-256 of every input and output), and prints
the path of report.html.

Example:
  fedaudit report exports/ --metadata https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml \\
      --out reports --organisation "Contoso" --as-of 2026-11-27

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage error,
unreadable input or a report that could not be rendered.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="render a self-contained HTML audit report",
        description="Audit exports and metadata, and render the report into a new dated folder.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="export files or folders (metadata URLs allowed)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder under which the report folder is created")
    parser.add_argument(
        "--metadata", action="append", default=[], metavar="URL|FILE",
        help="federation metadata URL (fetched and kept as evidence) or saved file; repeatable",
    )
    parser.add_argument("--ca-bundle", metavar="FILE", help="PEM bundle to verify metadata TLS with")
    add_as_of(parser)
    parser.add_argument("--title", metavar="T", help="report title")
    parser.add_argument("--organisation", metavar="O", help="organisation named in the report")
    parser.add_argument("--culture", metavar="C", help="culture console dates were printed in (en-US, de-DE, ...)")
    add_fail_on(parser)
    parser.add_argument("--exceptions", metavar="FILE", help="accepted exceptions (TOML or CSV)")
    parser.add_argument("--history", metavar="DB", help="history database (fedaudit run) for a 'since the last run' section")
    parser.add_argument("--audit-name", metavar="NAME", help="the audit's name in the history database")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    if args.history is not None:
        # A drift section needs both: without them it would silently say "first recorded run".
        if not args.audit_name:
            raise UsageError("--history needs --audit-name (the audit's name in that database)")
        if not os.path.exists(args.history):
            sys.stderr.write(
                f"fedaudit report: note: no history database at {args.history} yet: "
                "the report shows this as the first recorded run\n"
            )
        elif not os.path.isfile(args.history):
            raise UsageError(f"--history: {args.history}: not a history database file")
    result = report(
        args.paths,
        args.out,
        metadata=args.metadata,
        ca_bundle=args.ca_bundle,
        as_of=parse_as_of(args.as_of),
        title=args.title,
        organisation=args.organisation,
        culture=args.culture,
        fail_on=args.fail_on,
        exceptions=args.exceptions,
        history=args.history,
        audit_name=args.audit_name,
    )
    if result.unmatched_exceptions:
        sys.stderr.write(
            f"fedaudit report: warning: {len(result.unmatched_exceptions)} accepted exception(s) match no finding: "
            + "; ".join(result.unmatched_exceptions) + "\n"
        )
    print(result.html)
    return result.exit_code
