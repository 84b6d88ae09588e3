"""``fedaudit report``: render the audit as a self-contained HTML report in a new dated folder."""

from __future__ import annotations

import argparse
import os
import sys

from fedaudit.cli._common import add_as_of, add_fail_on, add_trust_cert, parse_as_of
from fedaudit.errors import UsageError
from fedaudit.neutral import term
from fedaudit.reporting.render import report

__all__ = ["register", "run"]

EPILOG = """\
Writes a new folder under DIR (never overwriting one) with report.html, the executed notebook,
findings.csv, findings.json, assurance.json and manifest.json (SHA-256 of every input and
output); with --pdf also report.pdf, with --sign-key also manifest.json.sig. Prints the
report's status sentence on stderr and the path of report.html on stdout.

Example:
  fedaudit report exports/ --metadata https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml \\
      --out reports --organisation "Contoso" --as-of 2026-11-27 --pdf
  fedaudit verify reports/2026-11-27T103000Z-contoso      # later: was anything changed?

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
        "--metadata",
        action="append",
        default=[],
        metavar="URL|FILE",
        help="federation metadata URL (fetched and kept as evidence) or saved file; repeatable",
    )
    parser.add_argument("--ca-bundle", metavar="FILE", help="PEM bundle to verify metadata TLS with")
    add_trust_cert(parser)
    add_as_of(parser)
    parser.add_argument("--title", metavar="T", help="report title")
    parser.add_argument("--organisation", metavar="O", help="organisation named in the report")
    parser.add_argument("--culture", metavar="C", help="culture console dates were printed in (en-US, de-DE, ...)")
    add_fail_on(parser)
    parser.add_argument("--exceptions", metavar="FILE", help="accepted exceptions (TOML or CSV)")
    parser.add_argument(
        "--history", metavar="DB", help="history database (fedaudit run) for a 'since the last run' section"
    )
    parser.add_argument("--audit-name", metavar="NAME", help="the audit's name in the history database")
    parser.add_argument("--pdf", action="store_true", help="also write report.pdf (needs: pip install 'fedaudit[pdf]')")
    parser.add_argument("--paper", choices=("A4", "Letter"), default="A4", help="paper size of report.pdf (default A4)")
    parser.add_argument(
        "--sign-key",
        metavar="KEY.pem",
        help="PEM private key (Ed25519 or RSA) to sign manifest.json with (writes manifest.json.sig)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the path of report.html")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    if args.history is not None:
        # A drift section needs both: without them it would silently say "first recorded run".
        if not args.audit_name:
            raise UsageError("--history needs --audit-name (the audit's name in that database)")
        if not os.path.exists(args.history):
            sys.stderr.write(
                f"fedaudit report: note: no history database at {term(args.history)} yet: "
                "the report shows this as the first recorded run\n"
            )
        elif not os.path.isfile(args.history):
            raise UsageError(f"--history: {args.history}: not a history database file")
    result = report(
        args.paths,
        args.out,
        metadata=args.metadata,
        ca_bundle=args.ca_bundle,
        trust_certs=args.trust_cert,
        as_of=parse_as_of(args.as_of),
        title=args.title,
        organisation=args.organisation,
        culture=args.culture,
        fail_on=args.fail_on,
        exceptions=args.exceptions,
        history=args.history,
        audit_name=args.audit_name,
        pdf=args.pdf,
        paper=args.paper,
        sign_key=args.sign_key,
        command_line=getattr(args, "argv", None),
    )
    if result.unmatched_exceptions:
        sys.stderr.write(
            f"fedaudit report: warning: {len(result.unmatched_exceptions)} accepted exception(s) match no finding: "
            + "; ".join(term(u) for u in result.unmatched_exceptions)
            + "\n"
        )
    if not args.quiet and result.status:
        sys.stderr.write(term(result.status) + "\n")
    print(term(result.html))
    return result.exit_code
