"""Exact remediation commands, with the real farm, domain and thumbprint values filled in.

Sources (format notes ``remediation-commands.md``): R1 Update-MsolFederatedDomain syntax, R2
emergency rotation, R3 the runbook, R4 the MS Japan support procedure for Microsoft Graph, R5 the
Update-MgDomainFederationConfiguration reference, R6 the SupportMultipleDomain article.

Two errors of the current Microsoft documentation are deliberately NOT repeated here: the Graph
cmdlet has no ``-DomainName``/``-SupportMultipleDomain`` parameters, ``-InternalDomainFederationId``
is the federation configuration's GUID ``Id`` (not an AD FS server), and the cmdlet does not read
AD FS - it writes only the values it is given, so the certificate is exported and pushed in base64.

Every builder returns plain text: one command per line, ``#`` lines saying where to run it.
"""

from __future__ import annotations

from typing import Iterable, Sequence
from fedaudit.evidence.view import issuer_forms

__all__ = [
    "NEW_SECONDARY",
    "adfs_add_ca_certificate",
    "adfs_enable_rollover",
    "adfs_generate",
    "adfs_promote",
    "adfs_show",
    "connect_repair",
    "fetch_metadata",
    "graph_issuer_fix",
    "graph_push_external",
    "graph_push",
    "join",
    "msol_update",
    "multiple_domain_roots",
    "needs_support_multiple_domain",
]


#: Stands for "the secondary certificate AD FS is about to generate" in :func:`graph_push`.
NEW_SECONDARY = "new-secondary"


def _ps(value: str) -> str:
    """A PowerShell single-quoted string literal."""
    return "'" + value.replace("'", "''") + "'"


def _dq(value: str) -> str:
    """A PowerShell double-quoted literal for names that cannot contain ``$`` or backticks."""
    return '"' + value.replace("`", "``").replace('"', '`"').replace("$", "`$") + '"'


def join(*blocks: str | None) -> str:
    """Blocks separated by one blank line; empty blocks dropped."""
    return "\n\n".join(b.strip("\n") for b in blocks if b)


def adfs_show(farm: str) -> str:
    return f"# On an AD FS server of {farm}, to see the current state:\nGet-AdfsCertificate -CertificateType Token-Signing"


def adfs_generate(farm: str, *, urgent: bool = False) -> str:
    """Runbook manual Step 1.5: make AD FS generate a new token-signing certificate.

    Without ``-Urgent`` it adds a secondary (fails with PS0139 if one already exists); with it,
    the primary is replaced at once and sign-in breaks until Entra ID holds the new certificate.
    """
    if urgent:
        return (
            f"# On the primary AD FS server of {farm} (replaces the primary NOW: sign-in fails until Entra ID\n"
            "# holds the new certificate, so push it to Entra ID immediately afterwards):\n"
            "Update-AdfsCertificate -CertificateType Token-Signing -Urgent"
        )
    return (
        f"# On the primary AD FS server of {farm} (adds a secondary certificate; needs AutoCertificateRollover $true):\n"
        "Update-AdfsCertificate -CertificateType Token-Signing\n"
        "Get-AdfsCertificate -CertificateType Token-Signing"
    )


def adfs_add_ca_certificate(farm: str) -> str:
    """The manual path for CA-issued token-signing certificates (AutoCertificateRollover off)."""
    return (
        f"# Renew the token-signing certificate with your certificate authority, install it with its private key\n"
        f"# on every AD FS server of {farm}, then on the primary AD FS server:\n"
        "Add-AdfsCertificate -CertificateType Token-Signing -Thumbprint <thumbprint of the renewed certificate>\n"
        "# after Entra ID holds it (next block), make it the primary:\n"
        "Set-AdfsCertificate -IsPrimary -CertificateType Token-Signing -Thumbprint <thumbprint of the renewed certificate>"
    )


def adfs_enable_rollover(farm: str) -> str:
    return f"# On the primary AD FS server of {farm}:\nSet-AdfsProperties -AutoCertificateRollover $true"


def adfs_promote(farm: str, thumbprint: str) -> str:
    return (
        f"# On the primary AD FS server of {farm}, once Entra ID holds certificate {thumbprint}:\n"
        f"Set-AdfsCertificate -IsPrimary -CertificateType Token-Signing -Thumbprint {thumbprint}"
    )


def multiple_domain_roots(domains: Iterable[str]) -> list[str]:
    """The federated domains that are not subdomains of another one in the list."""
    names = sorted({d.lower().strip(".") for d in domains})
    return [d for d in names if not any(d != o and d.endswith("." + o) for o in names)]


def needs_support_multiple_domain(domain: str, farm_domains: Iterable[str], issuer_uri: str | None) -> bool:
    """-SupportMultipleDomain must be used consistently when one AD FS federates several
    top-level domains (R6); a domain whose IssuerUri already has the per-domain form
    ``http://<domain>/adfs/services/trust/`` was set up with it. A lone domain using the AD FS
    Identifier must NOT get it: the switch rewrites its IssuerUri to the per-domain form."""

    if issuer_uri and issuer_uri.strip().lower() in issuer_forms(domain):
        return True
    return len(multiple_domain_roots(list(farm_domains) + [domain])) > 1


def msol_update(farm: str | None, domains: Sequence[tuple[str, bool]]) -> str:
    """Runbook manual Step 2 with MSOnline: ``Update-MsolFederatedDomain`` for EVERY federated
    domain of the farm (the runbook note: all domains listed by
    ``Get-MsolDomain -Authentication Federated``), ``-SupportMultipleDomain`` where it applies."""
    where = f"the primary AD FS server of {farm}" if farm else "the primary AD FS server"
    lines = [
        f"# MSOnline (retired module, still in older runbooks), on {where}:",
        "Connect-MsolService",
        "# only if this is not the primary AD FS server: Set-MsolADFSContext -Computer <internal FQDN of the primary AD FS server>",
    ]
    for name, multi in domains:
        lines.append(f"Update-MsolFederatedDomain -DomainName {name}" + (" -SupportMultipleDomain" if multi else ""))
    plain = [name for name, multi in domains if not multi]
    if plain:
        lines.append(
            "# add -SupportMultipleDomain if this errors or the farm federates several top-level domains "
            f"(IssuerUri then becomes http://{plain[0]}/adfs/services/trust/)"
        )
    return "\n".join(lines)


def graph_push(
    farm: str | None,
    pushes: Sequence[tuple[str, str | None, str | None, str | None]],
    *,
    unknown: Sequence[str] = (),
) -> str:
    """Runbook manual Step 2 with Microsoft Graph PowerShell (R4/R5).

    ``pushes``: (domain, thumbprint for -SigningCertificate or None, thumbprint for
    -NextSigningCertificate or None, federation configuration Id or None). Each certificate is
    exported from AD FS by thumbprint and pushed in base64; the existing certificate Entra ID
    already holds for the AD FS primary is never overwritten (the caller picks the parameter).
    """
    if not pushes and not unknown:
        return ""
    where = f"an AD FS server of {farm}" if farm else "the AD FS server"
    lines = ["# Microsoft Graph PowerShell (the replacement; it does not read AD FS, so export the certificate):"]
    thumbs: list[str] = []
    for _, sig, nxt, _ in pushes:
        for t in (sig, nxt):
            if t and t not in thumbs:
                thumbs.append(t)
    if thumbs:
        lines.append(f"# on {where}:")
    var = {}
    for t in thumbs:
        if t == NEW_SECONDARY:
            name = "$b64_new"
            pick = "Where-Object { -not $_.IsPrimary }"
        else:
            name = f"$b64_{t[:8]}"
            pick = f"Where-Object {{ $_.Thumbprint -eq {_ps(t)} }}"
        var[t] = name
        lines.append(
            f"{name} = [System.Convert]::ToBase64String((Get-AdfsCertificate -CertificateType Token-Signing | "
            f"{pick}).Certificate.RawData)"
        )
    lines.append('Connect-MgGraph -Scopes "Domain.ReadWrite.All"')
    for domain, sig, nxt, fed_id in pushes:
        if fed_id:
            fed = _ps(fed_id)
        else:
            lines.append(f"$fed = Get-MgDomainFederationConfiguration -DomainId {_dq(domain)}")
            fed = "$fed.Id"
        args = f"-DomainId {_dq(domain)} -InternalDomainFederationId {fed}"
        if sig:
            args += f" -SigningCertificate {var[sig]}"
        if nxt:
            args += f" -NextSigningCertificate {var[nxt]}"
        lines.append(f"Update-MgDomainFederationConfiguration {args}")
    for domain in unknown:
        lines.append(
            f"# {domain}: its Entra settings were not exported; compare before pushing: "
            f"Get-MgDomainFederationConfiguration -DomainId {_dq(domain)} | Format-List"
        )
    return "\n".join(lines)


def graph_push_external(domain: str, fed_id: str | None) -> str:
    """For an IdP that is not AD FS (or whose AD FS export is missing): push a renewed
    certificate exported from the IdP, as base64 DER, into NextSigningCertificate."""
    fed = _ps(fed_id) if fed_id else "$fed.Id"
    lines = [
        f"# Renew the signing certificate at the identity provider of {domain}, export it (base64 DER), then:",
        "$b64 = '<base64 of the renewed signing certificate>'",
        'Connect-MgGraph -Scopes "Domain.ReadWrite.All"',
    ]
    if not fed_id:
        lines.append(f"$fed = Get-MgDomainFederationConfiguration -DomainId {_dq(domain)}")
    lines.append(
        f"Update-MgDomainFederationConfiguration -DomainId {_dq(domain)} -InternalDomainFederationId {fed} -NextSigningCertificate $b64"
    )
    return "\n".join(lines)


def graph_issuer_fix(domain: str, expected: str, fed_id: str | None) -> str:
    fed = _ps(fed_id) if fed_id else "$fed.Id"
    lines = ['Connect-MgGraph -Scopes "Domain.ReadWrite.All"']
    if not fed_id:
        lines.append(f"$fed = Get-MgDomainFederationConfiguration -DomainId {_dq(domain)}")
    lines.append(f"Update-MgDomainFederationConfiguration -DomainId {_dq(domain)} -InternalDomainFederationId {fed} -IssuerUri {_dq(expected)}")
    return "# Microsoft Graph PowerShell:\n" + "\n".join(lines)


def connect_repair(farm: str | None) -> str:
    what = f"the trust of {farm}" if farm else "this trust"
    return (
        f"# Or, if Microsoft Entra Connect configured {what}: repair it in the Microsoft Entra Connect wizard\n"
        "# (runbook: \"Repair Microsoft Entra ID trust by using Microsoft Entra Connect\")."
    )


def fetch_metadata(url: str) -> str:
    return (
        "# From a computer on the public internet (off the corporate network), check and record the metadata:\n"
        f"fedaudit fetch {url}"
    )
