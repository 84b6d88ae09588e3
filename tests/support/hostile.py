"""A hostile estate: exports whose values are spreadsheet formulas, terminal escape sequences,
shell command substitutions and Unicode line separators (issue 12, "Outputs carry live payloads").

The exports are real (support.synth writers, certificates minted with cryptography); only their
values are the attacker's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from support.synth import WRITERS, AdfsCertificate, AdfsProperties, mint_certificate

UTC = dt.timezone.utc

#: A farm HostName that is a spreadsheet formula.
FORMULA_HOST = '=HYPERLINK("http://evil.example/","open")'
#: An entityID (AD FS Identifier) that is a DDE call.
DDE_IDENTIFIER = "+cmd|'/C calc'!A0"
#: A farm HostName with a shell command substitution: unquoted, bash creates the file "pwned".
SHELL_HOST = "fs.contoso.com$(>pwned)"
#: A certificate subject CN with an OSC title sequence, a clear-screen, U+2028 and U+0085.
ESCAPE_CN = "ADFS Signing \x1b]0;pwned\x07\x1b[2J\u2028line\x85next\x9b31m"
#: The part of ESCAPE_CN a subject keeps verbatim (RFC 4514 escapes the ';').
ESCAPE_TAIL = "pwned\x07\x1b[2J\u2028line\x85next\x9b31m"
#: Characters that must never reach a terminal raw.
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u2028", "\x85")

AS_OF = "2026-11-27"


def _cn(value: str) -> str:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)]).rfc4514_string()


def write_hostile_estate(root: Path) -> Path:
    """Two farms under ``root`` (no federated domain: nothing in them names a host that
    ``fetch --discover`` could reach); returns ``root``."""
    start, end = dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2026, 12, 10, tzinfo=UTC)
    formula = root / "formula-farm"
    formula.mkdir(parents=True, exist_ok=True)
    primary = mint_certificate(_cn(ESCAPE_CN), start, end, key_slot=61)
    (formula / "Get-AdfsProperties.json").write_text(
        WRITERS[("Get-AdfsProperties", "json7")]([AdfsProperties(host_name=FORMULA_HOST, identifier=DDE_IDENTIFIER)]),
        encoding="utf-8",
    )
    (formula / "Get-AdfsCertificate.json").write_text(
        WRITERS[("Get-AdfsCertificate", "json7")]([AdfsCertificate(primary)]), encoding="utf-8"
    )
    shell = root / "shell-farm"
    shell.mkdir(parents=True, exist_ok=True)
    (shell / "Get-AdfsProperties.json").write_text(
        WRITERS[("Get-AdfsProperties", "json7")](
            [AdfsProperties(host_name=SHELL_HOST, identifier="http://fs.contoso.com/adfs/services/trust")]
        ),
        encoding="utf-8",
    )
    return root
