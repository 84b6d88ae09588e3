"""``fedaudit collect entra``: Entra ID's domains and federation configuration from Microsoft Graph
into a new, hashed evidence folder (see docs/entra-collect.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from fedaudit.io.clock import system_clock
from fedaudit.io.graph import (
    DEFAULT_AUTHORITY_HOST,
    DEFAULT_GRAPH_ENDPOINT,
    Credential,
    collect_entra,
)
from fedaudit.neutral import term, term_text

__all__ = ["register"]

#: Warn when the app certificate given to --certificate expires sooner than this.
CERTIFICATE_WARNING = dt.timedelta(days=30)

EPILOG = """\
examples:
  export FEDAUDIT_GRAPH_SECRET=...        # from your secret store, never on the command line
  fedaudit collect entra --tenant 00000000-0000-0000-0000-000000000000 \\
      --client-id 11111111-1111-1111-1111-111111111111 \\
      --client-secret-env FEDAUDIT_GRAPH_SECRET --out evidence/
  fedaudit collect entra --tenant contoso.onmicrosoft.com --client-id APP_ID \\
      --certificate /etc/fedaudit/graph-app.pem --out evidence/
  fedaudit collect entra --tenant TENANT --client-id APP_ID --certificate app.pem \\
      --authority-host https://login.microsoftonline.us \\
      --graph-endpoint https://graph.microsoft.us --out evidence/      # US Government (GCC High)

Reads GET /v1.0/domains (all pages) and, for each Federated domain,
GET /v1.0/domains/{id}/federationConfiguration; keeps the bodies as received with a
manifest.json (sizes, SHA-256, tenant, client, endpoints) in
DIR/fedaudit-evidence-<UTC stamp>-entra-<tenant>/, printed on stdout. Then:
  fedaudit inventory evidence/ ; fedaudit report adfs-exports/ evidence/ --out reports/

The app registration needs the application permission Domain.Read.All with admin consent
(a certificate credential is preferred over a secret). --device-code signs in a user instead
(delegated Domain.Read.All and an Entra role such as Global Reader).

exit codes: 0 collected, 1 collected with problems (listed in the manifest and on stderr),
2 usage error, sign-in or permission failure, network error (no evidence folder written)"""


def register(subparsers: argparse._SubParsersAction) -> None:
    collect = subparsers.add_parser(
        "collect",
        help="collect evidence from a live service (entra: Microsoft Graph)",
        description="Collect evidence from a live service into a new, hashed evidence folder.",
    )
    sub = collect.add_subparsers(dest="source", metavar="SOURCE", parser_class=type(collect))
    p = sub.add_parser(
        "entra",
        help="Entra ID domains and federation configuration from Microsoft Graph",
        description="Collect Entra ID's domains and their federation configuration (signing and "
        "next signing certificates) from Microsoft Graph, with an app registration or a device "
        "code sign-in.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--tenant",
        required=True,
        metavar="TENANT_ID",
        help="directory (tenant) id or its initial domain name",
    )
    p.add_argument(
        "--client-id",
        required=True,
        metavar="APP_ID",
        help="application (client) id of the app registration",
    )
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--client-secret-env",
        metavar="VAR",
        help="name of the environment variable holding the client secret",
    )
    how.add_argument(
        "--certificate",
        metavar="PEM_WITH_KEY",
        help="PEM file with the app's certificate and its private key",
    )
    how.add_argument(
        "--device-code",
        action="store_true",
        help="sign in a user with the device code flow (delegated)",
    )
    p.add_argument(
        "--authority-host",
        metavar="URL",
        default=None,
        help="Entra ID sign-in host (default https://login.microsoftonline.com)",
    )
    p.add_argument(
        "--graph-endpoint",
        metavar="URL",
        default=None,
        help="Microsoft Graph root (default https://graph.microsoft.com)",
    )
    p.add_argument("--ca-bundle", metavar="FILE", help="PEM file of CA certificates to trust for both hosts")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="connect and read timeout per request (default 30)",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder in which the dated evidence folder is created",
    )
    p.set_defaults(func=run_entra)

    def no_source(args: argparse.Namespace) -> int:
        collect.print_help(sys.stderr)
        return 2

    collect.set_defaults(func=no_source)


def run_entra(args: argparse.Namespace) -> int:
    if args.client_secret_env:
        credential = Credential.from_secret_env(args.client_secret_env)
    elif args.certificate:
        credential = Credential.from_certificate_file(args.certificate)
        if credential.not_after is not None:
            left = credential.not_after - system_clock()
            if dt.timedelta(0) < left <= CERTIFICATE_WARNING:
                sys.stderr.write(
                    f"fedaudit: warning: the app certificate {credential.thumbprint} expires on "
                    f"{credential.not_after:%Y-%m-%d} ({left.days} day(s)): renew it before scheduled runs fail\n"
                )
    else:
        credential = Credential.device_code()

    def prompt(message: str) -> None:
        sys.stderr.write(f"{term_text(message)}\n")  # the sign-in server's text: no live escapes
        sys.stderr.flush()

    result = collect_entra(
        args.out,
        tenant=args.tenant,
        client_id=args.client_id,
        credential=credential,
        authority_host=args.authority_host or DEFAULT_AUTHORITY_HOST,
        graph_endpoint=args.graph_endpoint or DEFAULT_GRAPH_ENDPOINT,
        ca_bundle=args.ca_bundle,
        timeout=args.timeout,
        prompt=prompt,
    )
    sys.stderr.write(
        f"fedaudit: collected {result.domains} domain(s), {result.federated} federated, "
        f"{len(result.files)} file(s)"
        + (f", {result.throttled} throttled request(s) retried" if result.throttled else "")
        + "\n"
    )
    for problem in result.problems:
        sys.stderr.write(f"fedaudit: problem: {term(problem)}\n")
    sys.stdout.write(f"{term(result.folder)}\n")
    return 1 if result.problems else 0
