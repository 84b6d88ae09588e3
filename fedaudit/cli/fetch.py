"""``fedaudit fetch``: fetch federation metadata URLs into an evidence folder.

Prints one line per URL: ``ok``/``FAILED``, the HTTP status (``-`` when none), the first 12
hex digits of the body's SHA-256 or the error, then the URL. Exit codes: 0 when every URL was
fetched as federation metadata, 1 when any failed, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TextIO

from fedaudit.cli._common import positive_int
from fedaudit.errors import UsageError
from fedaudit.evidence.load import load
from fedaudit.io.fetch import FetchResult, fetch_all
from fedaudit.metadata import discover_metadata_urls
from fedaudit.neutral import term

__all__ = ["register", "run"]

EPILOG = """\
examples:
  fedaudit fetch https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml --out evidence/
  fedaudit fetch --discover exports/ --out evidence/
  fedaudit fetch https://fs.lab.local/federationmetadata/2007-06/federationmetadata.xml \\
      --out evidence/ --ca-bundle lab-ca.pem --timeout 5

Every URL leaves a sidecar <host>_<path>_<timestamp>.fetch.json (and the body, when any) in
--out; `fedaudit inventory evidence/` loads them. --insecure disables TLS verification; it is
recorded in the sidecar and reported by the audit.

exit codes: 0 all fetched, 1 any failed, 2 usage error"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "fetch",
        help="fetch federation metadata URLs as evidence (body + sidecar JSON)",
        description="Fetch federation metadata over HTTPS into an evidence folder: the body and a "
        "sidecar JSON per URL (status, TLS certificate, sha256, redirects, error).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="metadata URL(s) to fetch (https://)")
    parser.add_argument("--out", required=True, metavar="DIR", help="evidence folder (created if needed)")
    parser.add_argument(
        "--ca-bundle", metavar="FILE", help="PEM file of CA certificates to trust instead of the default store"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="S", help="connect and read timeout in seconds (default 10)"
    )
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (recorded as evidence)")
    parser.add_argument(
        "--discover",
        nargs="+",
        metavar="PATH",
        default=[],
        help="derive metadata URLs from exports in PATH (farm HostName, domain sign-in/issuer hosts)",
    )
    parser.add_argument("--workers", type=positive_int, default=8, metavar="N", help="concurrent fetches (default 8)")
    parser.add_argument(
        "--retries", type=int, default=2, metavar="N", help="retries on connection errors and 5xx (default 2)"
    )
    parser.add_argument(
        "--max-bytes", type=int, default=10 * 2**20, metavar="N", help="response size cap (default 10 MiB)"
    )
    parser.set_defaults(func=run)


class ProgressBar:
    """A one-line progress bar on a terminal, redrawn in place as each URL finishes."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total, self.stream = total, stream
        self.done = self.failed = 0
        self.lock = threading.Lock()
        self.draw()

    def draw(self) -> None:
        width = 30
        filled = int(width * self.done / self.total) if self.total else width
        self.stream.write(
            f"\rfetch [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total}  failed {self.failed}"
        )
        self.stream.flush()

    def update(self, result: FetchResult) -> None:
        with self.lock:
            self.done += 1
            self.failed += 0 if result.ok else 1
            self.draw()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def run(args: argparse.Namespace) -> int:
    urls = list(args.urls)
    if args.discover:
        import pandas as pd

        mapping = discover_metadata_urls(load(*args.discover))
        for row in mapping.itertuples(index=False):
            who = ", ".join(str(v) for v in (row.farm, row.domain) if not pd.isna(v))
            sys.stderr.write(f"discovered {term(row.url)} <- {term(row.derived_from)} ({term(who or 'unnamed')})\n")
        if mapping.empty:
            sys.stderr.write("discovered no metadata URL (no farm HostName or domain URIs in the exports)\n")
        urls += [u for u in dict.fromkeys(mapping["url"].tolist()) if u not in urls]
    if not urls:
        raise UsageError("give at least one URL, or --discover PATH with exports to derive them from")
    bar = ProgressBar(len(urls), sys.stderr) if sys.stderr.isatty() else None
    try:
        results = fetch_all(
            urls,
            args.out,
            ca_bundle=args.ca_bundle,
            insecure=args.insecure,
            timeout=args.timeout,
            workers=args.workers,
            retries=args.retries,
            max_bytes=args.max_bytes,
            on_result=bar.update if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()
    for r in results:
        status = str(r.status) if r.status is not None else "-"
        detail = f"sha256:{r.sha256[:12]}" if r.ok and r.sha256 else (r.error or "failed")
        sys.stdout.write(f"{'ok' if r.ok else 'FAILED':<6} {status:>3}  {term(detail)}  {term(r.url)}\n")
    return 0 if all(r.ok for r in results) else 1
