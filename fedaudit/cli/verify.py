"""``fedaudit verify REPORT_DIR...``: was a report folder changed after it was written?"""

from __future__ import annotations

import argparse
import sys

from fedaudit.io.verify import verify_report

__all__ = ["register", "run"]

EPILOG = """\
Recomputes the SHA-256 of every file manifest.json lists and checks that every file of the
folder is listed. With --public-key, also checks manifest.json.sig (written by
`fedaudit report --sign-key KEY.pem`), so a changed manifest is caught too.

Example:
  fedaudit verify reports/2026-11-27T103000Z-contoso
  fedaudit verify reports/2026-11-27T103000Z-contoso --public-key audit-signing.pub.pem

Exit codes: 0 intact (every folder given); 1 a file changed, is missing, is not listed, or the signature fails
(each is named on stdout); 2 usage error (no such folder, unreadable key).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        help="check a report folder against its manifest.json (and signature)",
        description="Check that a report folder is as fedaudit report wrote it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folders", nargs="+", metavar="REPORT_DIR", help="report folder(s) (each holds manifest.json)")
    parser.add_argument(
        "--public-key", metavar="PEM", help="public key (or certificate) to check manifest.json.sig with"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    results = [verify_report(folder, public_key=args.public_key) for folder in args.folders]
    code = 0
    for result in results:
        where = f"{result.folder}: " if len(results) > 1 else ""
        for note in result.notes:
            sys.stderr.write(f"fedaudit verify: note: {where}{note}\n")
        if result.intact:
            signed = "; manifest.json.sig verified" if result.signed else ""
            print(f"{where}intact: {result.checked} file(s) match manifest.json{signed}")
            continue
        code = 1
        for problem in result.problems:
            print(f"{where}{problem.kind}: {problem.message}")
        print(f"{where}NOT intact: {len(result.problems)} problem(s); {result.checked} file(s) match manifest.json")
    return code
