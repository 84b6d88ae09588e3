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

import re
from collections.abc import Iterable, Sequence

from fedaudit._util import issuer_forms
from fedaudit.evidence.idp import IDP_NAMES

from fedaudit.neutral import shell_command

__all__ = [
    "GRAPH_SCOPE",
    "NEW_SECONDARY",
    "adfs_add_ca_certificate",
    "adfs_emergency_ca",
    "adfs_emergency_urgent",
    "adfs_enable_rollover",
    "adfs_generate",
    "adfs_generation_threshold",
    "adfs_promote",
    "adfs_promote_by_hand",
    "adfs_show",
    "adfs_token_decrypting",
    "connect_repair",
    "fetch_metadata",
    "graph_issuer_align",
    "graph_issuer_fix",
    "graph_overwrite",
    "graph_push",
    "graph_push_external",
    "graph_set_signing",
    "idp_renewal",
    "join",
    "msol_update",
    "multiple_domain_roots",
    "needs_support_multiple_domain",
    "quoted",
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
    """The federated domains that are not subdomains of another one in the list, sorted: one set
    lookup per parent suffix of each name, so linear in the names. The checks read the roots of
    each farm from the view (:meth:`fedaudit.evidence.view.EstateView.farm_domains`), computed
    once per audit."""
    names = sorted({d.lower().strip(".") for d in domains})
    present = set(names)
    return [d for d in names if not any(".".join(d.split(".")[i:]) in present for i in range(1, d.count(".") + 1))]


def needs_support_multiple_domain(domain: str, farm_domains: Iterable[str], issuer_uri: str | None) -> bool:
    """-SupportMultipleDomain must be used consistently when one AD FS federates several
    top-level domains (R6); a domain whose IssuerUri already has the per-domain form
    ``http://<domain>/adfs/services/trust/`` was set up with it. A lone domain using the AD FS
    Identifier must NOT get it: the switch rewrites its IssuerUri to the per-domain form.

    Linear in ``farm_domains``; the checks ask
    :meth:`fedaudit.evidence.view.FarmDomains.needs_support_multiple_domain` instead, which looks
    the farm's roots up."""
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
        + shell_command("fedaudit fetch", url)  # a hostile HostName ($(...)) stays quoted text
    )


# -- emergency rotation, promotion, other IdPs (Graph first) ------------------------------------
#
# Sources:
# * Emergency rotation of the AD FS certificates
#   https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-emergency-ad-fs-certificate-rotation
#   (Update-AdfsCertificate -CertificateType Token-Signing -Urgent when AD FS generates its own
#   certificates; then Microsoft Entra ID is updated with the new certificate).
# * Update-AdfsCertificate https://learn.microsoft.com/powershell/module/adfs/update-adfscertificate
#   ("-Urgent: the certificate rollover should happen immediately ... might result in a service outage").
# * Set-AdfsCertificate https://learn.microsoft.com/powershell/module/adfs/set-adfscertificate
#   (-CertificateType <String> -Thumbprint <String> [-IsPrimary]).
# * Obtain and configure TS and TD certificates for AD FS
#   https://learn.microsoft.com/windows-server/identity/ad-fs/operations/configure-ts-td-certs-ad-fs
#   (certificates are chosen by hand only with AutoCertificateRollover off).
# * Update internalDomainFederation https://learn.microsoft.com/graph/api/internaldomainfederation-update
#   (least privileged permission Domain-InternalFederation.ReadWrite.All; signingCertificate and
#   nextSigningCertificate are base64 certificates) and its PowerShell form
#   https://learn.microsoft.com/powershell/module/microsoft.graph.identity.directorymanagement/update-mgdomainfederationconfiguration

GRAPH_SCOPE = "Domain-InternalFederation.ReadWrite.All"

_HEX_THUMBPRINT = re.compile(r"[0-9A-F]{40}|[0-9A-F]{64}")


def _tp(value: str) -> str:
    """A thumbprint as a command argument: bare when it is hex, else a quoted literal."""
    return value if _HEX_THUMBPRINT.fullmatch(value) else _ps(value)


def quoted(value: str) -> str:
    """A name (domain, farm) as a PowerShell double-quoted argument, escaped."""
    return _dq(value)


def _one_line(value: object) -> str:
    """A value for a ``#`` comment line: whitespace (newlines included) collapsed, so nothing
    from an export can start a line of its own."""
    return " ".join(str(value).split())


def _graph_connect() -> str:
    return f'Connect-MgGraph -Scopes "{GRAPH_SCOPE}"'


def _fed_ref(domain: str, fed_id: str | None, lines: list[str]) -> str:
    if fed_id:
        return _ps(fed_id)
    lines.append(f"$fed = Get-MgDomainFederationConfiguration -DomainId {_dq(domain)}")
    return "$fed.Id"


def graph_set_signing(farm: str | None, domains: Sequence[tuple[str, str | None]], *, thumbprint: str | None = None) -> str:
    """Put the AD FS primary into Entra's SigningCertificate (not Next) for every domain:
    ``domains`` are (domain, federation configuration Id or None). ``thumbprint`` selects the
    certificate; None takes the AD FS primary (just created by an emergency rotation)."""
    where = f"an AD FS server of {_one_line(farm)}" if farm else "the AD FS server"
    if thumbprint:
        pick = f"Where-Object {{ $_.Thumbprint -eq {_ps(thumbprint)} }}"
    else:
        pick = "Where-Object { $_.IsPrimary }"
    lines = [
        f"# Then put the new primary into Entra ID's SigningCertificate (not NextSigningCertificate); on {where}:",
        f"$primary = (Get-AdfsCertificate -CertificateType Token-Signing | {pick}).Certificate",
        "$primary.Thumbprint   # the certificate that signs tokens now",
        "$b64_primary = [System.Convert]::ToBase64String($primary.RawData)",
        _graph_connect(),
    ]
    for domain, fed_id in domains:
        fed = _fed_ref(domain, fed_id, lines)
        lines.append(
            f"Update-MgDomainFederationConfiguration -DomainId {_dq(domain)} -InternalDomainFederationId {fed} "
            "-SigningCertificate $b64_primary"
        )
    if not domains:
        lines.append("# no federated domain of this farm is in the evidence: run the line above for each one "
                     "(Get-MgDomain | Where-Object AuthenticationType -eq Federated)")
    if domains:
        lines.append("# MSOnline equivalent (retired module), on the primary AD FS server: Update-MsolFederatedDomain -DomainName "
                     + _one_line(domains[0][0]) + " (and each other domain)")
    return "\n".join(lines)


def adfs_emergency_urgent(farm: str) -> str:
    """Emergency rotation on a farm whose AD FS generates its own certificates."""
    return (
        f"# Emergency rotation on the primary AD FS server of {_one_line(farm)}: a new primary at once (sign-in keeps\n"
        "# failing until Entra ID holds it, so run the next block straight after):\n"
        "Update-AdfsCertificate -CertificateType Token-Signing -Urgent\n"
        "Get-AdfsCertificate -CertificateType Token-Signing"
    )


def adfs_emergency_ca(farm: str, thumbprint: str | None) -> str:
    """Emergency rotation with a CA-issued certificate: make a valid one primary now."""
    tp = _tp(thumbprint) if thumbprint else "<thumbprint of the renewed certificate>"
    lines = [f"# Emergency rotation on the primary AD FS server of {_one_line(farm)} (CA-issued certificates):"]
    if thumbprint is None:
        lines += [
            "# have the CA issue a new token-signing certificate, install it with its private key on every",
            f"# AD FS server of {_one_line(farm)}, then:",
            f"Add-AdfsCertificate -CertificateType Token-Signing -Thumbprint {tp}",
        ]
    lines.append(f"Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint {tp} -IsPrimary")
    return "\n".join(lines)


def adfs_promote_by_hand(farm: str, thumbprint: str, *, rollover_on: bool) -> str:
    """Promote an existing secondary now. AD FS lets an administrator choose the primary only
    with AutoCertificateRollover off, so the switch is turned off around the promotion."""
    lines = [f"# On the primary AD FS server of {_one_line(farm)}, once Entra ID holds {_one_line(thumbprint)}:"]
    if rollover_on:
        lines += [
            "Get-Service adfssrv   # the rollover job runs in the AD FS service of the primary server",
            "Set-AdfsProperties -AutoCertificateRollover $false",
        ]
    lines.append(f"Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint {_tp(thumbprint)} -IsPrimary")
    if rollover_on:
        lines.append("Set-AdfsProperties -AutoCertificateRollover $true")
    return "\n".join(lines)


def adfs_generation_threshold(farm: str, days: int) -> str:
    return (
        f"# Or bring the promotion inside Entra ID's polling window (35 days before expiry), on the primary\n"
        f"# AD FS server of {_one_line(farm)}:\n"
        f"Set-AdfsProperties -CertificateGenerationThreshold {int(days)}"
    )


def adfs_token_decrypting(farm: str, rollover: bool | None) -> str:
    """Renew the token-decrypting certificate: Update-AdfsCertificate acts only with rollover on."""
    if rollover is True:
        return (
            f"# On the primary AD FS server of {_one_line(farm)} (AutoCertificateRollover is on):\n"
            "Update-AdfsCertificate -CertificateType Token-Decrypting -Urgent\n"
            "Get-AdfsCertificate -CertificateType Token-Decrypting"
        )
    return (
        f"# On the primary AD FS server of {_one_line(farm)} (AutoCertificateRollover is "
        + ("off" if rollover is False else "not known")
        + "; Update-AdfsCertificate\n# acts only with it on): install a new decrypting certificate with its "
        "private key on every server, then:\n"
        "Add-AdfsCertificate -CertificateType Token-Decrypting -Thumbprint <thumbprint of the new certificate>\n"
        "Set-AdfsCertificate -CertificateType Token-Decrypting -Thumbprint <thumbprint of the new certificate> -IsPrimary\n"
        "# tell relying parties and claims providers that encrypt to AD FS (they read it from the metadata)"
    )


def graph_overwrite(domain: str, fed_id: str | None, *, signing: str | None, next_: str | None,
                    farm: str | None) -> str:
    """Overwrite a stale slot in Entra with the certificate(s) AD FS holds (by thumbprint)."""
    where = f"an AD FS server of {_one_line(farm)}" if farm else "the AD FS server"
    lines = [f"# Overwrite the old certificate Entra ID still accepts; on {where}:"]
    args = ""
    for slot, tp in (("SigningCertificate", signing), ("NextSigningCertificate", next_)):
        if not tp:
            continue
        var = "$b64_" + (re.sub(r"[^0-9A-Za-z]", "", tp[:8]) or "cert")
        lines.append(
            f"{var} = [System.Convert]::ToBase64String((Get-AdfsCertificate -CertificateType Token-Signing | "
            f"Where-Object {{ $_.Thumbprint -eq {_ps(tp)} }}).Certificate.RawData)"
        )
        args += f" -{slot} {var}"
    lines.append(_graph_connect())
    fed = _fed_ref(domain, fed_id, lines)
    lines.append(f"Update-MgDomainFederationConfiguration -DomainId {_dq(domain)} -InternalDomainFederationId {fed}{args}")
    return "\n".join(lines)


_IDP_HOW = {
    "okta": "In the Okta admin console (Applications > Microsoft Office 365 > Sign On), create or roll the "
    "SAML/WS-Fed signing certificate; Okta's Microsoft 365 integration pushes it to Entra ID only when it manages "
    "the federation itself. Otherwise push it as below.",
    "ping": "In PingFederate (Security > Signing & Decryption Keys & Certificates) or PingOne, create the new "
    "signing certificate and assign it to the Microsoft 365 connection as the secondary/next certificate; "
    "Entra ID does not fetch it, so push it as below before activating it.",
    "shibboleth": "Add the new signing key/certificate to the Shibboleth IdP's credentials (idp-signing) next to "
    "the old one; Entra ID does not read the Shibboleth metadata, so push it as below before switching.",
    "onelogin": "In OneLogin (Security > Certificates) create the new certificate and attach it to the Microsoft "
    "365 app; push it to Entra ID as below before the app switches to it.",
    "google": "In the Google Admin console (Security > Authentication > SSO with SAML applications) add the new "
    "IdP certificate; push it to Entra ID as below before Google signs with it.",
    "keycloak": "In Keycloak (Realm settings > Keys) add the new RSA key with a lower priority, push its "
    "certificate to Entra ID as below, then raise its priority.",
    "other": "Create the new signing certificate at the identity provider; Entra ID does not fetch certificates "
    "from a non-AD FS provider, so push it as below before the provider signs with it.",
}


def idp_renewal(domain: str, idp: str | None, fed_id: str | None, *, slot: str = "NextSigningCertificate",
                thumbprint: str | None = None) -> str:
    """Who updates Entra ID for a non-AD FS identity provider, and how (Graph PowerShell)."""
    name = IDP_NAMES.get(idp or "other", "the identity provider")
    how = _IDP_HOW.get(idp or "other", _IDP_HOW["other"])
    lines = [f"# {_one_line(domain)} signs in with {name}. {how}"]
    source = (f"the certificate {_one_line(thumbprint)} from the {name} metadata" if thumbprint
              else f"the new signing certificate exported from {name}")
    lines.append(f"# Export {source} (base64 DER, no header lines), then:")
    lines.append("$b64 = '<base64 of that certificate>'")
    lines.append(_graph_connect())
    fed = _fed_ref(domain, fed_id, lines)
    lines.append(f"Update-MgDomainFederationConfiguration -DomainId {_dq(domain)} -InternalDomainFederationId {fed} -{slot} $b64")
    lines.append(f"Get-MgDomainFederationConfiguration -DomainId {_dq(domain)} | Format-List SigningCertificate, NextSigningCertificate")
    return "\n".join(lines)


def graph_issuer_align(domains: Sequence[tuple[str, str, str | None]]) -> str:
    """Set each (domain, expected IssuerUri, federation Id) with Graph PowerShell."""
    lines = ["# Align the IssuerUri of the domains (Microsoft Graph PowerShell):", _graph_connect()]
    for domain, expected, fed_id in domains:
        fed = _fed_ref(domain, fed_id, lines)
        lines.append(
            f"Update-MgDomainFederationConfiguration -DomainId {_dq(domain)} -InternalDomainFederationId {fed} -IssuerUri {_dq(expected)}"
        )
    if domains:
        lines.append("# MSOnline equivalent (retired module): Update-MsolFederatedDomain -DomainName "
                     f"{_one_line(domains[0][0])} -SupportMultipleDomain (and each other domain)")
    return "\n".join(lines)
