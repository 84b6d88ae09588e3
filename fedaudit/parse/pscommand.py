"""Validation and quoting for the commands fedaudit prints (PowerShell, and the POSIX shell or
PowerShell that runs ``fedaudit`` itself).

Every value that reaches a printed command comes from an export or a server an attacker may
control. Domain names, GUIDs, thumbprints and URLs are validated here before they are
interpolated, and what is interpolated is single-quoted for PowerShell (every kind of single
quote doubled). Comment text is flattened to one line so that no value can end a ``#`` comment.
The templates themselves are in :mod:`fedaudit.checks.remediation`; this module sits in the parse
stage (sans-IO text rules) so that the evidence view's "missing evidence" text uses them too.
"""

from __future__ import annotations

import re

__all__ = [
    "EVIDENCE_DIR",
    "comment",
    "fetch_command",
    "graph_read",
    "ps_quote",
    "safe_domain",
    "safe_guid",
    "safe_thumbprint",
    "safe_url",
]

#: Where ``fedaudit fetch`` writes its evidence in the printed commands (the CLI's own example).
EVIDENCE_DIR = "evidence"

_DNS = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_THUMB = re.compile(r"^[0-9A-Fa-f]{40}$")
# Characters a URL may carry unquoted in both a POSIX shell and PowerShell; anything else
# (?, &, =, #, ...) is single-quoted; quotes, spaces and control characters make it unusable.
_URL_PLAIN = re.compile(r"^[A-Za-z0-9\-._~:/%]+$")
_URL_OK = re.compile(r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+$")
# PowerShell takes these four as single quotes too (its tokenizer's IsSingleQuote).
_PS_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


# -- validation and quoting -------------------------------------------------------------------
def safe_domain(name: str | None) -> str | None:
    """``name`` as a lower-case DNS name (trailing dot dropped), or None when it is not one.
    IDNs must come in their ``xn--`` form, which is what Entra ID stores."""
    if not isinstance(name, str):
        return None
    n = name.strip().lower().rstrip(".")
    return n if _DNS.match(n) else None


def safe_guid(value: str | None) -> str | None:
    """A GUID in canonical lower case, or None."""
    if not isinstance(value, str):
        return None
    v = value.strip().strip("{}")
    return v.lower() if _GUID.match(v) else None


def safe_thumbprint(value: str | None) -> str | None:
    """A SHA-1 thumbprint (40 hex digits) in upper case, or None."""
    if not isinstance(value, str):
        return None
    v = value.strip().replace(" ", "").replace(":", "")
    return v.upper() if _THUMB.match(v) else None


def safe_url(url: str | None) -> str | None:
    """An http(s) URL with no quote, space or control character, or None."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    return u if _URL_OK.match(u) else None


def ps_quote(value: str) -> str:
    """A PowerShell single-quoted string literal (every kind of single quote doubled)."""
    out = []
    for ch in value:
        out.append(ch + ch if ch in _PS_SINGLE_QUOTES else ch)
    return "'" + "".join(out) + "'"


def comment(text: str) -> str:
    """Text for a ``#`` line: control characters and line breaks become one space."""
    return _CONTROL.sub(" ", text).strip()


def fetch_command(
    url: str | None,
    out: str = EVIDENCE_DIR,
    *,
    placeholder: str = "https://FEDERATION-SERVICE-NAME/federationmetadata/2007-06/federationmetadata.xml",
) -> str:
    """``fedaudit fetch URL --out DIR``, complete and quoted for both a POSIX shell and PowerShell;
    a URL that cannot be quoted safely becomes a placeholder the user fills in."""
    u = safe_url(url)
    if u is None:
        return f"fedaudit fetch '{placeholder}' --out {out}"
    return f"fedaudit fetch {u if _URL_PLAIN.match(u) else ps_quote(u)} --out {out}"


def graph_read(domain: str, *, out_file: bool = False) -> str:
    """Read one domain's federation configuration (G2, G4): the export fedaudit reads."""
    d = safe_domain(domain)
    if d is None:
        return f"# {comment(str(domain))[:80]} is not a DNS name: not interpolated into a command."
    cmd = f"Get-MgDomainFederationConfiguration -DomainId {ps_quote(d)}"
    if out_file:
        cmd += f" | ConvertTo-Json -Depth 5 | Out-File {ps_quote('federation-' + d + '.json')}"
    return f"Connect-MgGraph -Scopes 'Domain.Read.All'\n{cmd}"
