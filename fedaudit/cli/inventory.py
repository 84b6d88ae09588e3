"""``fedaudit inventory PATH...``: load exports and print what they hold."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from fedaudit.cli._common import add_format, add_load_options, check_paths, load_options, render_frames, write_out
from fedaudit.evidence.load import load

EPILOG = """\
Examples:
  fedaudit inventory data/samples
  fedaudit inventory adfs/ entra/ --culture de-DE --format json > inventory.json
  fedaudit inventory settings.txt --domain-map settings.txt=contoso.com --strict

PATH is a file or a folder (read recursively). Each file is recognised by its content, not its
name: Get-AdfsProperties, Get-AdfsCertificate, Get-MgDomain, Get-MgDomainFederationConfiguration,
the Microsoft Entra module's Get-EntraDomain, Get-EntraFederationProperty and
Get-EntraDomainFederationSettings, the legacy MSOnline Get-MsolFederationProperty,
Get-MsolDomainFederationSettings and Get-MsolDomain, and Graph REST JSON, as console text
(Format-List, Format-Table), ConvertTo-Json (5.1 and 7), Export-Clixml or Export-Csv, in UTF-16
or UTF-8; also federation metadata files and fetch evidence.

--format json prints one object with the keys certificates, farms, domains, issues, metadata
and inputs, each a list of row objects (datetimes ISO 8601 with offset, missing values null).

Exit status:
  0  loaded (load issues, if any, are listed)
  1  --strict and there are load issues
  2  usage error or a PATH that cannot be read
"""

# Columns shown by the table format (json and csv carry every column).
_TABLE_COLUMNS = {
    "inputs": ["path", "kind"],
    "certificates": ["source", "farm", "domain", "role", "slot", "thumbprint", "not_after", "subject"],
    "farms": [
        "farm",
        "identifier",
        "auto_certificate_rollover",
        "certificate_generation_threshold",
        "certificate_promotion_threshold",
        "certificate_critical_threshold",
        "certificate_duration",
    ],
    "domains": [
        "domain",
        "authentication",
        "farm",
        "issuer_uri",
        "signing_thumbprint",
        "next_signing_thumbprint",
        "update_result",
    ],
    "issues": ["severity", "origin", "line", "field", "message"],
    "metadata": ["farm", "entity_id", "url", "reachable", "signature", "valid_until", "error"],
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "inventory",
        help="load exports and list certificates, farms, domains and load issues",
        description="Load AD FS and Entra ID exports (files or folders) and print the inventory.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="export files or folders (folders are read recursively)")
    add_load_options(p)
    p.add_argument("--strict", action="store_true", help="exit 1 when there are load issues")
    add_format(p)
    p.set_defaults(func=run)


def _inputs_frame(evidence) -> pd.DataFrame:
    rows = [
        {
            "path": i.path,
            "size": i.size,
            "sha256": i.sha256 or None,
            "kind": i.kind,
            "captured_at": i.captured_at,
            "captured_from": i.captured_from,
        }
        for i in evidence.inputs
    ]
    frame = pd.DataFrame(rows, columns=["path", "size", "sha256", "kind"])
    return frame.astype({"path": "string", "size": "Int64", "sha256": "string", "kind": "string"})


def run(args: argparse.Namespace) -> int:

    check_paths(args.paths)
    evidence = load(*args.paths, strict=False, **load_options(args))
    frames = dict(evidence.frames())
    if args.format == "table":
        shown = {"inputs": _inputs_frame(evidence)[_TABLE_COLUMNS["inputs"]]}
        for name, frame in frames.items():
            if name == "metadata" and not len(frame):
                continue
            shown[name] = frame[[c for c in _TABLE_COLUMNS[name] if c in frame.columns]]
        write_out(render_frames(shown, "table"))
    else:
        frames["inputs"] = _inputs_frame(evidence)
        write_out(render_frames(frames, args.format))
    if args.strict and len(evidence.issues):
        n = len(evidence.issues)
        sys.stderr.write(
            f"fedaudit inventory: --strict: {n} load issue{'s' if n != 1 else ''} (listed under issues), so exit 1\n"
        )
        return 1
    return 0
