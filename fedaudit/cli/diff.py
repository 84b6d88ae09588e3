"""``fedaudit diff RUN_A RUN_B``: what changed between two recorded runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from fedaudit.cli._common import add_format, render_frames, write_out
from fedaudit.ops.config import load_config
from fedaudit.ops.history import DB_NAME, connect, diff_runs

EPILOG = """\
Example:
  fedaudit diff previous latest --root audits --audit contoso
  fedaudit diff 12 17 --db audits/history.sqlite --format json

RUN_A and RUN_B are run ids, report folder names (as listed in index.html), or 'latest' and
'previous' (the newest complete run of the audit and the one before it; give --audit when the
history holds several audits).

Sections: findings new / resolved / unchanged; certificates that appeared, disappeared or rotated
(a slot now holding a different thumbprint); Entra signingCertificateUpdateStatus changes; verdict
action changes.

Runs of two different audits are refused unless --force (two estates: nearly everything differs).

Exit status: 0 printed; 2 usage error (unknown run, no history database, runs of different audits).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "diff",
        help="compare two recorded runs (findings, certificates, Entra update status)",
        description="Show what changed between two runs recorded by `fedaudit run`.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_a", metavar="RUN_A", help="the earlier run: id, report folder name, previous or latest")
    p.add_argument("run_b", metavar="RUN_B", help="the later run: id, report folder name, previous or latest")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--root", metavar="DIR", help="output root holding history.sqlite (default: current folder)")
    where.add_argument("--db", metavar="FILE", help="the history database itself")
    where.add_argument("--config", metavar="FILE", help="take the output root from this configuration file")
    p.add_argument("--audit", metavar="NAME", help="the audit 'latest'/'previous' refer to")
    p.add_argument(
        "--force",
        action="store_true",
        help="compare runs of two different audits (refused otherwise: nearly everything would differ)",
    )
    add_format(p)
    p.set_defaults(func=run)


def _db_path(args: argparse.Namespace) -> Path:

    if args.db:
        return Path(args.db)
    if args.config:
        return load_config(args.config).root / DB_NAME
    return Path(args.root or ".") / DB_NAME


def run(args: argparse.Namespace) -> int:

    db = _db_path(args)
    connect(db, create=False).close()
    frames = diff_runs(db, args.run_a, args.run_b, audit=args.audit, force=args.force)
    if args.format == "table":
        frames = {_TITLES[k]: v for k, v in frames.items()}
    write_out(render_frames(frames, args.format))
    return 0


_TITLES = {
    "baseline": "runs compared",
    "findings": "findings (new / resolved / unchanged)",
    "certificates": "certificates (appeared / disappeared / rotated)",
    "update_status": "Entra update status changes",
    "actions": "verdict action changes",
}
