"""``fedaudit check PATH...``: load the exports, run the audit, print verdicts and findings."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import textwrap
from typing import Any

import pandas as pd

from fedaudit.checks import ACTION_RANK
from fedaudit.cli._common import (
    add_as_of,
    add_fail_on,
    add_format,
    add_load_options,
    check_paths,
    load_options,
    parse_as_of,
    render_frames,
    write_out,
)
from fedaudit.engine.core import AuditResult, audit, exit_code
from fedaudit.engine.verdict import days_left_text
from fedaudit.evidence.load import load
from fedaudit.neutral import json_dumps, term

__all__ = ["register", "render_table", "run"]

EPILOG = """\
Examples:
  fedaudit check data/samples --as-of 2026-11-27
  fedaudit check exports/ --metadata https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml
  fedaudit check exports/ --format json --fail-on critical > audit.json
  fedaudit check exports/ --notification-date 2026-10-30    # was the renewal e-mail of that day real?
  fedaudit check exports/ --exceptions exceptions.toml      # accepted risks: marked, never fail --fail-on

Output: a verdict per federated domain (the runbook's decision table: AutoCertificateRollover,
in sync with Entra ID, metadata public, days left -> action), then the findings by severity with
the exact commands that fix them. --format json prints one object with the keys as_of,
verdicts, findings, timeline and issues; --format csv prints those frames as CSV sections.

Actions: none, renew-now, update-entra, fix-metadata, enable-rollover, plan-renewal,
insufficient-evidence (see docs/checks.md).

Exit status:
  0  no finding at or above --fail-on (default high)
  1  findings at or above --fail-on
  2  usage error or unreadable input
"""

_ACTION_HELP = {
    "none": "nothing to do (runbook decision table row 1)",
    "renew-now": "renew the token-signing certificate now, by hand (rows 2 and 3)",
    "update-entra": "put AD FS's certificate(s) into Entra ID (manual renewal, Step 2)",
    "fix-metadata": "make the federation metadata reachable and correct, so Entra ID can fetch the next certificate",
    "enable-rollover": "turn AutoCertificateRollover on (or renew by hand before 35 days)",
    "plan-renewal": "schedule the manual renewal before the 35-day mark",
    "insufficient-evidence": "an export is missing; collect what 'missing' names",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check",
        help="audit exports and metadata: a verdict per federated domain and findings with fixes",
        description="Audit AD FS / Entra ID exports (and federation metadata) by Microsoft's certificate renewal runbook.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "paths", nargs="+", metavar="PATH", help="export files or folders (read recursively); metadata URLs allowed"
    )
    add_load_options(p)
    add_as_of(p)
    p.add_argument(
        "--notification-date",
        metavar="YYYY-MM-DD",
        help="the day a certificate renewal e-mail arrived: say whether action was needed then",
    )
    p.add_argument(
        "--exceptions",
        metavar="FILE",
        help="accepted exceptions (TOML or CSV, docs/scheduling.md): covered findings are marked and do not "
        "count for --fail-on; expired ones re-open their findings",
    )
    add_format(p)
    add_fail_on(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:

    check_paths(args.paths)
    as_of = parse_as_of(args.as_of) or dt.datetime.now(dt.timezone.utc)  # the CLI is the edge: it may read the clock
    nd = parse_as_of(args.notification_date, "--notification-date") if args.notification_date else None
    evidence = load(*args.paths, **load_options(args))
    result = audit(evidence, as_of, notification_date=nd, exceptions=args.exceptions or None)
    if result.unmatched_exceptions:
        sys.stderr.write(
            f"fedaudit check: warning: {len(result.unmatched_exceptions)} accepted exception(s) match no finding: "
            + "; ".join(term(u) for u in result.unmatched_exceptions)
            + "\n"
        )
    code = exit_code(result, args.fail_on)
    if args.format == "json":
        write_out(json_dumps(result.to_dict(), indent=2, default=str) + "\n")
    elif args.format == "csv":
        write_out(
            render_frames(
                {
                    "verdicts": result.verdicts,
                    "findings": result.findings,
                    "timeline": result.timeline,
                    "issues": result.issues,
                },
                "csv",
                {"as_of": result.as_of},
            )
        )
    else:
        write_out(render_table(result, args.fail_on, code))
    return code


# -- the readable table ------------------------------------------------------------------------


def _v(value: Any) -> Any:
    return (
        None
        if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)
        else value
    )


def _yn(value: Any, yes: str, no: str) -> str:
    value = _v(value)
    return "unknown" if value is None else (yes if bool(value) else no)


def _days(value: Any) -> str:
    return days_left_text(_v(value))


def _wrap(text: str, indent: int, width: int = 100) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for para in str(text).splitlines() or [""]:
        out.extend(
            textwrap.wrap(
                para, width, initial_indent=pad, subsequent_indent=pad, break_on_hyphens=False, break_long_words=False
            )
            or [pad]
        )
    return out


def render_table(result: AuditResult, fail_on: str, code: int) -> str:
    v = result.verdicts
    f = result.findings
    n_dom = int(v["domain"].notna().sum())
    lines = [
        f"fedaudit check: as of {result.as_of:%Y-%m-%d %H:%M} UTC; {n_dom} federated domain(s), "
        f"{len(result.evidence.farms)} AD FS farm record(s), {len(result.evidence.inputs)} input file(s)",
    ]
    if result.notification_date is not None:
        lines.append(
            f"Renewal notification triage for {result.notification_date:%Y-%m-%d} is in the findings (notification.*)."
        )
    lines += ["", "VERDICTS - will sign-in keep working, and what must be done?", ""]
    header = ("DOMAIN", "FARM", "ROLLOVER", "IN SYNC", "METADATA", "DAYS LEFT", "ACTION")
    table = [header]
    for row in v.itertuples(index=False):
        table.append(
            (
                term(_v(row.domain) or "(no domain)"),
                term(_v(row.farm) or "(unknown farm)"),
                _yn(row.auto_certificate_rollover, "on", "OFF"),
                _yn(row.in_sync, "yes", "NO"),
                _yn(row.metadata_public, "public", "NOT PUBLIC"),
                _days(row.days_left),
                str(row.action),
            )
        )
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for r in table:
        lines.append("  " + "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip())
    lines.append("")
    for row in v.itertuples(index=False):
        who = term(_v(row.domain) or _v(row.farm) or "evidence")
        # one paragraph each: a line break inside a hostile value shows as \n, it starts no line
        lines.extend(_wrap(f"{who}: {term(row.reason)}", 2))
        if _v(row.missing):
            # one item per line: the items are commands, and " | " would read as a PowerShell pipe
            for item in str(row.missing).split("; "):
                lines.extend(_wrap("missing: " + term(item), 6))
    counts = v["action"].astype(str).value_counts()
    used = [a for a in _ACTION_HELP if a in counts]
    urgent_first = sorted(used, key=lambda a: -ACTION_RANK[a])
    lines += [
        "",
        "In short: " + ", ".join(f"{int(counts[a])} {a}" for a in urgent_first) + ".",
        "",
        "What the actions mean:",
    ]
    width = max(len(a) for a in used)
    lines += [f"  {a:<{width}}  {_ACTION_HELP[a]}" for a in used]

    lines += ["", f"FINDINGS ({len(f)})" + (" - none" if not len(f) else "")]
    for sev in ("critical", "high", "warning", "info"):
        part = f[f["severity"].astype(str) == sev]
        if not len(part):
            continue
        lines += ["", f"{sev.upper()} ({len(part)})"]
        for row in part.itertuples(index=False):
            exc = " [excepted]" if _v(row.excepted) else ""
            lines.append(f"  * {term(row.title)}{exc}")
            lines.append(
                f"    id {term(row.id)}"
                + (f" | farm {term(row.farm)}" if _v(row.farm) else "")
                + (f" | domain {term(row.domain)}" if _v(row.domain) else "")
            )
            if _v(row.exception):
                lines.extend(_wrap("Exception: " + str(row.exception), 4))
            if sev == "info":
                continue
            lines.extend(_wrap(str(row.detail), 4))
            if _v(row.remediation):
                lines.append("    Fix:")
                lines.extend("      " + ln for ln in str(row.remediation).splitlines())
            if _v(row.reference):
                lines.extend(_wrap("Runbook: " + str(row.reference).split(" § ", 1)[-1], 4))
    if len(result.issues):
        lines += ["", f"{len(result.issues)} load issue(s) are listed above as evidence.load-issue findings."]
    verdict = (
        f"exit 1: findings at or above --fail-on {fail_on}"
        if code
        else f"exit 0: no finding at or above --fail-on {fail_on}"
    )
    lines += ["", verdict]
    return "\n".join(lines) + "\n"
