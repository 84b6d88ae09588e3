"""Exact remediation commands, with the real farm, domain and thumbprint values filled in.

Microsoft Graph PowerShell first. The MSOnline and AzureAD modules are retired: MSOnline stopped
working between April and late May 2025, AzureAD after it (Microsoft Entra blog, "Action required:
MSOnline and AzureAD PowerShell retirement - 2025 info and resources",
https://techcommunity.microsoft.com/blog/microsoft-entra-blog/action-required-msonline-and-azuread-powershell-retirement---2025-info-and-resou/4364991,
short link https://aka.ms/msonlineretirement). ``Update-MsolFederatedDomain`` read AD FS and
pushed everything; its Graph replacement writes only the values it is given, so every block
exports the AD FS certificate by its thumbprint and pushes it in base64.

Sources, cited again next to each template:

* G1 ``Update-MgDomainFederationConfiguration`` (module Microsoft.Graph.Identity.DirectoryManagement):
  ``-DomainId <String> -InternalDomainFederationId <String> [-IssuerUri <String>]
  [-NextSigningCertificate <String>] [-SigningCertificate <String>] ...``
  https://learn.microsoft.com/powershell/module/microsoft.graph.identity.directorymanagement/update-mgdomainfederationconfiguration
  ``-InternalDomainFederationId`` is the federation configuration's GUID ``Id`` (not an AD FS
  server, whatever the 2024 renewal article says); there is no ``-DomainName`` and no
  ``-SupportMultipleDomain``.
* G2 ``Get-MgDomainFederationConfiguration -DomainId <String>`` (List parameter set):
  https://learn.microsoft.com/powershell/module/microsoft.graph.identity.directorymanagement/get-mgdomainfederationconfiguration
* G3 Update internalDomainFederation (``PATCH /domains/{id}/federationConfiguration/{id}``):
  least-privileged permission Domain-InternalFederation.ReadWrite.All (higher: Domain.ReadWrite.All);
  least-privileged roles Domain Name Administrator, External Identity Provider Administrator,
  Hybrid Identity Administrator, Security Administrator.
  https://learn.microsoft.com/graph/api/internaldomainfederation-update
* G4 Get internalDomainFederation: Domain-InternalFederation.Read.All, with
  Domain-InternalFederation.ReadWrite.All among the higher ones, so one sign-in reads and writes.
  https://learn.microsoft.com/graph/api/internaldomainfederation-get
* G5 List domains (``Get-MgDomain -All``): Domain.Read.All.
  https://learn.microsoft.com/graph/api/domain-list
* G6 Microsoft Entra Connect, "Reset Microsoft Entra ID trust" (Configure > Manage federation;
  the 2023 article called the task "Repair Microsoft Entra ID and ADFS Trust"): it resets the
  token-signing certificate among other trust settings, and "can repair or act on only
  certificates that are self-signed".
  https://learn.microsoft.com/entra/identity/hybrid/connect/how-to-connect-fed-management
  https://learn.microsoft.com/entra/identity/hybrid/connect/reference-connect-adfs-settings
  (execution flow "Reset Microsoft Entra ID trust": token signing certificate, algorithm,
  identifier, rules, endpoints)
  https://learn.microsoft.com/entra/identity/hybrid/connect/tutorial-phs-backup ("Reset the AD FS
  and Azure trust": Configure, Manage federation, Reset Microsoft Entra ID trust)
* G7 Microsoft Entra Connect Sync minimum version 2.4.18.0 (October 2024) for the MSOnline
  retirement: older versions lost the AD FS configuration tasks of the wizard in April 2025.
  https://learn.microsoft.com/entra/identity/hybrid/connect/harden-update-ad-fs-pingfederate
* G8 The AD FS cmdlets (runbook, format notes ``remediation-commands.md``): Get-/Update-/
  Add-/Set-AdfsCertificate, Set-AdfsProperties -AutoCertificateRollover.

Two doc errors are deliberately NOT repeated (format notes): the Graph cmdlet has no
``-DomainName``/``-SupportMultipleDomain`` and does not read AD FS.

Every builder returns plain PowerShell text: one statement per line, ``#`` lines saying where to
run it. Every value that comes from evidence is validated (DNS names, GUIDs, thumbprints, URLs)
before it is interpolated, and quoted for PowerShell; what fails validation is left out with a
comment saying so. Comment text is flattened to one line, so no value can end a comment early.
A farm-wide push loops over the farm's domains (``foreach ($d in ...)``) and decides in PowerShell
which slot each certificate goes to, from what Entra ID holds at the time it runs: the text of a
finding does not grow with the number of domains beyond :data:`LIST_LIMIT` (issue 13).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fedaudit._util import issuer_forms
from fedaudit.evidence.idp import IDP_NAMES
from fedaudit.parse.pscommand import (
    EVIDENCE_DIR,
    comment,
    fetch_command,
    graph_read,
    ps_quote,
    safe_domain,
    safe_guid,
    safe_thumbprint,
    safe_url,
)

__all__ = [
    "EVIDENCE_DIR",
    "GRAPH_MODULE",
    "GRAPH_SCOPE",
    "LIST_LIMIT",
    "NEW_SECONDARY",
    "RETIRED",
    "ROLES",
    "WRITE_SCOPE",
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
    "comment",
    "connect_reset_trust",
    "fetch_command",
    "fetch_metadata",
    "graph_issuer_align",
    "graph_issuer_fix",
    "graph_overwrite",
    "graph_push_external",
    "graph_read",
    "graph_set_signing",
    "graph_sync_farm",
    "idp_renewal",
    "join",
    "multiple_domain_roots",
    "needs_support_multiple_domain",
    "ps_quote",
    "quoted",
    "safe_domain",
    "safe_guid",
    "safe_thumbprint",
    "safe_url",
]

#: Stands for "the secondary certificate AD FS is about to generate" in :func:`graph_sync_farm`.
NEW_SECONDARY = "new-secondary"

#: Least-privileged Graph permission for internalDomainFederation writes (G3).
WRITE_SCOPE = "Domain-InternalFederation.ReadWrite.All"
#: The Graph module that holds the *-MgDomainFederationConfiguration cmdlets (G1).
GRAPH_MODULE = "Microsoft.Graph.Identity.DirectoryManagement"
#: Least-privileged Entra roles that may update a domain's federation configuration (G3).
ROLES = (
    "Domain Name Administrator",
    "External Identity Provider Administrator",
    "Hybrid Identity Administrator",
    "Security Administrator",
)
#: The one line that mentions MSOnline: a comment that it is gone.
RETIRED = (
    "# MSOnline (Update-MsolFederatedDomain) and AzureAD were retired in 2025 and no longer run: "
    "https://aka.ms/msonlineretirement"
)
#: Up to this many domains a farm-wide block names its domains; beyond, it lists the farm's
#: federated domains from Graph at run time, so the text stays the same size.
LIST_LIMIT = 20


def _c(value: object) -> str:
    return comment(str(value))


def join(*blocks: str | None) -> str:
    """Blocks separated by one blank line; empty blocks dropped."""
    return "\n\n".join(b.strip("\n") for b in blocks if b)


def _where(farm: str | None, what: str = "the primary AD FS server") -> str:
    return f"{what} of {_c(farm)}" if farm else what


# -- AD FS (G8) -------------------------------------------------------------------------------
def adfs_show(farm: str | None) -> str:
    return (
        f"# On an AD FS server of {_c(farm) if farm else 'the farm'}, to see the current state:\n"
        "Get-AdfsCertificate -CertificateType Token-Signing"
    )


def adfs_generate(farm: str | None, *, urgent: bool = False) -> str:
    """Runbook manual Step 1.5: make AD FS generate a new token-signing certificate.

    Without ``-Urgent`` it adds a secondary (fails with PS0139 if one already exists); with it,
    the primary is replaced at once and sign-in breaks until Entra ID holds the new certificate.
    """
    if urgent:
        return (
            f"# On {_where(farm)} (replaces the primary NOW: sign-in fails until Entra ID\n"
            "# holds the new certificate, so push it to Entra ID immediately afterwards):\n"
            "Update-AdfsCertificate -CertificateType Token-Signing -Urgent"
        )
    return (
        f"# On {_where(farm)} (adds a secondary certificate; needs AutoCertificateRollover $true):\n"
        "Update-AdfsCertificate -CertificateType Token-Signing\n"
        "Get-AdfsCertificate -CertificateType Token-Signing"
    )


def adfs_add_ca_certificate(farm: str | None) -> str:
    """The manual path for CA-issued token-signing certificates (AutoCertificateRollover off).
    The renewed certificate's thumbprint is not known to the audit: the block asks for it in
    ``$renewed`` and refuses to run with anything but 40 hex digits."""
    return (
        "# Renew the token-signing certificate with your certificate authority, install it with its private key\n"
        f"# on every AD FS server of {_c(farm) if farm else 'the farm'}, then on the primary AD FS server:\n"
        "$renewed = 'THUMBPRINT-OF-THE-RENEWED-CERTIFICATE'\n"
        "if ($renewed -notmatch '^[0-9A-Fa-f]{40}$') "
        "{ throw 'Set $renewed to the thumbprint of the renewed certificate first.' }\n"
        "Add-AdfsCertificate -CertificateType Token-Signing -Thumbprint $renewed\n"
        "# after Entra ID holds it (next block), make it the primary:\n"
        "Set-AdfsCertificate -IsPrimary -CertificateType Token-Signing -Thumbprint $renewed"
    )


def adfs_enable_rollover(farm: str | None) -> str:
    return f"# On {_where(farm)}:\nSet-AdfsProperties -AutoCertificateRollover $true"


def adfs_promote(farm: str | None, thumbprint: str) -> str:
    tp = safe_thumbprint(thumbprint)
    if tp is None:
        return f"# The certificate to promote has no valid thumbprint ({_c(thumbprint)[:60]}): see Get-AdfsCertificate."
    return (
        f"# On {_where(farm)}, once Entra ID holds certificate {tp}:\n"
        f"Set-AdfsCertificate -IsPrimary -CertificateType Token-Signing -Thumbprint {ps_quote(tp)}"
    )


# -- -SupportMultipleDomain (R6) --------------------------------------------------------------
def multiple_domain_roots(domains: Iterable[str]) -> list[str]:
    """The federated domains that are not subdomains of another one in the list.

    Sorted once and scanned once: a name's nearest federated ancestor, if any, is found by
    walking its own labels (at most 127) against the set, so the cost is linear in the domains."""
    names = sorted({d.lower().strip(".") for d in domains if d})
    have = set(names)
    roots = []
    for d in names:
        labels = d.split(".")
        if not any(".".join(labels[i:]) in have for i in range(1, len(labels))):
            roots.append(d)
    return roots


def needs_support_multiple_domain(domain: str, farm_domains: Iterable[str], issuer_uri: str | None) -> bool:
    """-SupportMultipleDomain must be used consistently when one AD FS federates several
    top-level domains (R6); a domain whose IssuerUri already has the per-domain form
    ``http://<domain>/adfs/services/trust/`` was set up with it. A lone domain using the AD FS
    Identifier must NOT get it: the switch rewrites its IssuerUri to the per-domain form."""

    if issuer_uri and issuer_uri.strip().lower() in issuer_forms(domain):
        return True
    return len(multiple_domain_roots([*farm_domains, domain])) > 1


# -- Microsoft Graph PowerShell (G1-G5) -------------------------------------------------------
def _graph_header(*, read_domains: bool = False) -> list[str]:
    """The sign-in every Graph write starts with: module, retirement note, roles, scopes (G1, G3, G5)."""
    scopes = ps_quote(WRITE_SCOPE) if not read_domains else f"{ps_quote('Domain.Read.All')}, {ps_quote(WRITE_SCOPE)}"
    return [
        f"# Microsoft Graph PowerShell (Install-Module {GRAPH_MODULE}); sign in as a {', '.join(ROLES[:-1])} "
        f"or {ROLES[-1]}.",
        RETIRED,
        f"Connect-MgGraph -Scopes {scopes}",
    ]


def _export(var: str, tp: str, *, primary: bool = False) -> list[str]:
    """Export one AD FS token-signing certificate by its thumbprint into ``$var`` (base64 DER);
    with ``primary``, stop unless AD FS still signs with it (IsPrimary)."""
    stale = "re-export Get-AdfsCertificate and re-run fedaudit check"
    check = f"if ($c.Count -ne 1) {{ throw 'AD FS does not hold token-signing certificate {tp}: {stale}.' }}"
    lines = [
        "$c = @(Get-AdfsCertificate -CertificateType Token-Signing | Where-Object "
        f"{{ $_.Thumbprint -eq {ps_quote(tp)} }})",
        check,
    ]
    if primary:
        lines.append(
            f"if (-not $c[0].IsPrimary) {{ throw 'Certificate {tp} is no longer the AD FS primary: {stale}.' }}"
        )
    lines.append(f"${var} = [System.Convert]::ToBase64String($c[0].Certificate.RawData)")
    return lines


def _export_new(var: str, known: Sequence[str]) -> list[str]:
    """The secondary AD FS has just generated: the one token-signing certificate whose thumbprint
    is none of those the audit saw. Exactly one, or the block stops."""
    listed = ", ".join(ps_quote(t) for t in known) or "''"
    return [
        f"$known = @({listed})",
        "$c = @(Get-AdfsCertificate -CertificateType Token-Signing | Where-Object "
        "{ $known -notcontains $_.Thumbprint })",
        "if ($c.Count -ne 1) "
        '{ throw "Expected one new token-signing certificate, found $($c.Count): check Get-AdfsCertificate." }',
        'Write-Host "New token-signing certificate: $($c[0].Thumbprint)"',
        f"${var} = [System.Convert]::ToBase64String($c[0].Certificate.RawData)",
    ]


def _domain_loop_source(domains: Sequence[str], host: str | None) -> tuple[list[str], str | None, bool]:
    """(lines before the loop, host filter, whether Domain.Read.All is needed)."""
    if len(domains) <= LIST_LIMIT or host is None:
        listed = ", ".join(ps_quote(d) for d in domains)
        return [f"$domains = @({listed})"], None, False
    return (
        [
            f"# every domain of this tenant that is federated with {host} ({len(domains)} in the evidence):",
            "$domains = @(Get-MgDomain -All | Where-Object { $_.AuthenticationType -eq 'Federated' } "
            "| ForEach-Object { $_.Id })",
        ],
        host,
        True,
    )


def graph_sync_farm(
    farm: str | None,
    domains: Sequence[str],
    primary: str | None,
    secondary: str | None,
    *,
    known: Sequence[str] = (),
    host: str | None = None,
) -> str:
    """Runbook manual Step 2 with Microsoft Graph PowerShell, for every federated domain of a farm.

    ``primary`` is the thumbprint of the certificate AD FS signs with now; ``secondary`` the one
    it will promote (or :data:`NEW_SECONDARY`: the one ``Update-AdfsCertificate`` has just made,
    told apart from ``known`` by thumbprint). Each certificate is exported from AD FS by its
    thumbprint. For each domain the loop reads what Entra ID holds (G2) and writes (G1) so that
    the slot holding the AD FS primary is never overwritten:

    * primary in SigningCertificate -> secondary into NextSigningCertificate;
    * primary in NextSigningCertificate -> secondary into SigningCertificate;
    * primary in neither -> primary into SigningCertificate (and the secondary into
      NextSigningCertificate).

    ``host`` (the farm's federation service name) scopes the loop when the domains are listed
    from Graph (more than :data:`LIST_LIMIT`): only configurations whose PassiveSignInUri is on
    that host are touched. The text depends on the farm only, not on which of its domains a
    finding is about, so every finding of a farm carries the same block.
    """
    p = safe_thumbprint(primary)
    names = [n for n in (safe_domain(d) for d in domains) if n]
    dropped = [d for d in domains if not safe_domain(d)]
    if p is None or not names:
        return ""
    s = secondary if secondary == NEW_SECONDARY else safe_thumbprint(secondary)
    lines = [f"# On {_where(farm, 'an AD FS server')} (AD FS and Graph cmdlets in one Windows PowerShell session):"]
    lines += _export("b64Primary", p, primary=True)
    if s == NEW_SECONDARY:
        lines += _export_new("b64Next", sorted({t for t in (safe_thumbprint(k) for k in known) if t} | {p}))
    elif s is not None:
        lines += _export("b64Next", s)
    h = safe_domain(host)
    pre, filt, read_domains = _domain_loop_source(names, h)
    lines += _graph_header(read_domains=read_domains)
    lines += pre
    for d in dropped:
        lines.append(f"# left out, not a DNS name: {_c(d)[:80]}")
    lines.append("foreach ($d in $domains) {")
    lines.append("    $fed = @(Get-MgDomainFederationConfiguration -DomainId $d)")
    lines.append(
        '    if ($fed.Count -ne 1) { Write-Warning "$d has $($fed.Count) federation configurations in Entra ID: '
        "not changed (a domain without one is not federated; New-MgDomainFederationConfiguration "
        'creates one)."; continue }'
    )
    lines.append("    $fed = $fed[0]")
    if filt:
        lines.append(f"    if (([uri]$fed.PassiveSignInUri).Host -ne {ps_quote(filt)}) {{ continue }}")
    upd = "Update-MgDomainFederationConfiguration -DomainId $d -InternalDomainFederationId $fed.Id"
    lines.append("    # the slot that holds the certificate AD FS signs with now is never overwritten")
    if s is not None:
        lines.append(f"    if ($fed.SigningCertificate -eq $b64Primary) {{ {upd} -NextSigningCertificate $b64Next }}")
        lines.append(
            f"    elseif ($fed.NextSigningCertificate -eq $b64Primary) {{ {upd} -SigningCertificate $b64Next }}"
        )
        lines.append(f"    else {{ {upd} -SigningCertificate $b64Primary -NextSigningCertificate $b64Next }}")
    else:
        lines.append(
            "    if ($fed.SigningCertificate -ne $b64Primary -and $fed.NextSigningCertificate -ne $b64Primary) "
            f"{{ {upd} -SigningCertificate $b64Primary }}"
        )
    lines.append("}")
    lines.append(
        "foreach ($d in $domains) { Get-MgDomainFederationConfiguration -DomainId $d | "
        "Select-Object -Property @{n='Domain';e={$d}}, 'Id', 'SigningCertificateUpdateStatus' }"
        if not filt
        else "# check one: Get-MgDomainFederationConfiguration -DomainId DOMAIN | Format-List"
    )
    return "\n".join(lines)


def graph_push_external(domain: str, fed_id: str | None) -> str:
    """For an IdP that is not AD FS (or whose AD FS export is missing): push a renewed
    certificate exported from the IdP, as base64 DER, into NextSigningCertificate (G1), without
    touching the SigningCertificate tokens are signed with today."""
    d = safe_domain(domain)
    if d is None:
        return f"# {_c(domain)[:80]} is not a DNS name: not interpolated into a command."
    lines = [
        f"# Renew the signing certificate at the identity provider of {d}, save it as renewed.cer (DER or PEM), then",
        "# (X509Certificate2 reads either, as in Microsoft Japan's Graph procedure; its RawData is the DER):",
        "$renewed = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2((Resolve-Path "
        "'renewed.cer').Path)",
        "$renewed.Thumbprint   # check it against the IdP before pushing",
        "$b64 = [System.Convert]::ToBase64String($renewed.RawData)",
        *_graph_header(),
    ]
    fed = _fed_ref(d, fed_id, lines)
    lines.append(
        f"Update-MgDomainFederationConfiguration -DomainId {ps_quote(d)} -InternalDomainFederationId "
        f"{fed} -NextSigningCertificate $b64"
    )
    return "\n".join(lines)


def graph_issuer_fix(domain: str, expected: str, fed_id: str | None) -> str:
    """Set a domain's IssuerUri (G1 ``-IssuerUri``). Graph has no -SupportMultipleDomain: the
    per-domain form is written as a value."""
    d = safe_domain(domain)
    url = safe_url(expected)
    if d is None or url is None:
        return f"# IssuerUri fix for {_c(domain)[:80]}: the values are not safe to interpolate ({_c(expected)[:80]})."
    lines = _graph_header()
    fed = _fed_ref(d, fed_id, lines)
    lines.append(
        f"Update-MgDomainFederationConfiguration -DomainId {ps_quote(d)} -InternalDomainFederationId "
        f"{fed} -IssuerUri {ps_quote(url)}"
    )
    return "\n".join(lines)


# -- Microsoft Entra Connect (G6, G7) ---------------------------------------------------------
def connect_reset_trust(farm: str | None) -> str:
    """The Entra Connect wizard task, for self-signed farms whose trust Entra Connect manages.
    The caller offers it only when the farm's token-signing certificates are self-signed."""
    what = _c(farm) if farm else "this farm"
    return (
        f"# Or, if Microsoft Entra Connect configured and manages the trust of {what}: in the "
        "Microsoft Entra Connect wizard\n"
        "# choose Configure > Manage federation > Reset Microsoft Entra ID trust (older versions: "
        '"Repair Microsoft Entra ID\n'
        "# and ADFS Trust\"). Caveats: it rolls the farm's token-signing certificates over once, "
        "immediately, so every other\n"
        f"# relying party of {what} must pick up the new certificate too; it acts on self-signed "
        "certificates only; it needs\n"
        "# Microsoft Entra Connect 2.4.18.0 or later (older versions lost their AD FS tasks with the "
        "MSOnline retirement)."
    )


# -- fedaudit fetch ---------------------------------------------------------------------------
def fetch_metadata(url: str | None) -> str:
    return (
        "# From a computer on the public internet (off the corporate network), check and record the metadata\n"
        "# (then audit the evidence folder again: fedaudit check evidence):\n" + fetch_command(url)
    )


# -- emergency rotation, promotion, other IdPs (i10-assurance's templates, in this module's rules) --
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
# * G1, G3 above for the Graph writes.

#: The scope every Graph write signs in with (G3); the name the i10 templates used.
GRAPH_SCOPE = WRITE_SCOPE


def quoted(value: str) -> str:
    """A name (domain, farm) as a PowerShell single-quoted argument."""
    return ps_quote(value)


def _thumbprint_variable(var: str, thumbprint: str | None, what: str) -> list[str]:
    """``$var`` set to a known thumbprint, or to a placeholder the block refuses to run with."""
    tp = safe_thumbprint(thumbprint)
    if tp is not None:
        return [f"${var} = {ps_quote(tp)}"]
    return [
        f"${var} = 'THUMBPRINT-OF-THE-{what}'",
        f"if (${var} -notmatch '^[0-9A-Fa-f]{{40}}$') {{ throw 'Set ${var} to the thumbprint of the {what.lower().replace('-', ' ')} first.' }}",
    ]


def _fed_ref(domain: str, fed_id: str | None, lines: list[str]) -> str:
    """The federation configuration Id as a PowerShell value: the known Id quoted, else ``$fed.Id``
    after a line (appended to ``lines``) that reads it from Graph at run time."""
    gid = safe_guid(fed_id)
    if gid:
        return ps_quote(gid)
    lines.append(f"$fed = Get-MgDomainFederationConfiguration -DomainId {ps_quote(domain)}")
    return "$fed.Id"


def graph_set_signing(
    farm: str | None, domains: Sequence[tuple[str, str | None]], *, thumbprint: str | None = None
) -> str:
    """Put the AD FS primary into Entra's SigningCertificate (not Next) for every domain of the
    farm, in one loop: ``domains`` are (domain, federation configuration Id or None; the Id is read
    at run time). ``thumbprint`` selects the certificate; None takes the one AD FS has just made
    primary (an emergency rotation), checked to be exactly one."""
    where = f"an AD FS server of {_c(farm)}" if farm else "the AD FS server"
    names = [n for n in (safe_domain(d) for d, _ in domains) if n]
    tp = safe_thumbprint(thumbprint)
    pick = f"$_.Thumbprint -eq {ps_quote(tp)}" if tp else "$_.IsPrimary"
    lines = [
        f"# Then put the new primary into Entra ID's SigningCertificate (not NextSigningCertificate); on {where}:",
        f"$c = @(Get-AdfsCertificate -CertificateType Token-Signing | Where-Object {{ {pick} }})",
        'if ($c.Count -ne 1) { throw "Expected one token-signing certificate, found $($c.Count): check Get-AdfsCertificate." }',
        "$c[0].Thumbprint   # the certificate that signs tokens now",
        "$b64Primary = [System.Convert]::ToBase64String($c[0].Certificate.RawData)",
        *_graph_header(read_domains=len(names) > LIST_LIMIT or not names),
    ]
    if names and len(names) <= LIST_LIMIT:
        lines.append("$domains = @(" + ", ".join(ps_quote(n) for n in names) + ")")
    else:
        lines.append("# every federated domain of the tenant that this farm serves:")
        lines.append(
            "$domains = @(Get-MgDomain -All | Where-Object { $_.AuthenticationType -eq 'Federated' } | ForEach-Object { $_.Id })"
        )
    lines.append("foreach ($d in $domains) {")
    lines.append("    $fed = @(Get-MgDomainFederationConfiguration -DomainId $d)")
    lines.append(
        '    if ($fed.Count -ne 1) { Write-Warning "$d has $($fed.Count) federation configurations: not changed."; continue }'
    )
    if farm and (host := safe_domain(farm)) and (len(names) > LIST_LIMIT or not names):
        lines.append(f"    if (([uri]$fed[0].PassiveSignInUri).Host -ne {ps_quote(host)}) {{ continue }}")
    lines.append(
        "    Update-MgDomainFederationConfiguration -DomainId $d -InternalDomainFederationId $fed[0].Id "
        "-SigningCertificate $b64Primary"
    )
    lines.append("}")
    return "\n".join(lines)


def adfs_emergency_urgent(farm: str) -> str:
    """Emergency rotation on a farm whose AD FS generates its own certificates."""
    return (
        f"# Emergency rotation on the primary AD FS server of {_c(farm)}: a new primary at once (sign-in keeps\n"
        "# failing until Entra ID holds it, so run the next block straight after):\n"
        "Update-AdfsCertificate -CertificateType Token-Signing -Urgent\n"
        "Get-AdfsCertificate -CertificateType Token-Signing"
    )


def adfs_emergency_ca(farm: str, thumbprint: str | None) -> str:
    """Emergency rotation with a CA-issued certificate: make a valid one primary now."""
    lines = [f"# Emergency rotation on the primary AD FS server of {_c(farm)} (CA-issued certificates):"]
    if safe_thumbprint(thumbprint) is None:
        lines += [
            "# have the CA issue a new token-signing certificate, install it with its private key on every",
            f"# AD FS server of {_c(farm)}, then:",
            *_thumbprint_variable("renewed", None, "RENEWED-CERTIFICATE"),
            "Add-AdfsCertificate -CertificateType Token-Signing -Thumbprint $renewed",
        ]
    else:
        lines += _thumbprint_variable("renewed", thumbprint, "RENEWED-CERTIFICATE")
    lines.append("Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint $renewed -IsPrimary")
    return "\n".join(lines)


def adfs_promote_by_hand(farm: str, thumbprint: str, *, rollover_on: bool) -> str:
    """Promote an existing secondary now. AD FS lets an administrator choose the primary only
    with AutoCertificateRollover off, so the switch is turned off around the promotion."""
    tp = safe_thumbprint(thumbprint)
    if tp is None:
        return f"# The certificate to promote has no valid thumbprint ({_c(thumbprint)[:60]}): see Get-AdfsCertificate."
    lines = [f"# On the primary AD FS server of {_c(farm)}, once Entra ID holds {tp}:"]
    if rollover_on:
        lines += [
            "Get-Service adfssrv   # the rollover job runs in the AD FS service of the primary server",
            "Set-AdfsProperties -AutoCertificateRollover $false",
        ]
    lines.append(f"Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint {ps_quote(tp)} -IsPrimary")
    if rollover_on:
        lines.append("Set-AdfsProperties -AutoCertificateRollover $true")
    return "\n".join(lines)


def adfs_generation_threshold(farm: str, days: int) -> str:
    return (
        f"# Or bring the promotion inside Entra ID's polling window (35 days before expiry), on the primary\n"
        f"# AD FS server of {_c(farm)}:\n"
        f"Set-AdfsProperties -CertificateGenerationThreshold {int(days)}"
    )


def adfs_token_decrypting(farm: str, rollover: bool | None) -> str:
    """Renew the token-decrypting certificate: Update-AdfsCertificate acts only with rollover on."""
    if rollover is True:
        return (
            f"# On the primary AD FS server of {_c(farm)} (AutoCertificateRollover is on):\n"
            "Update-AdfsCertificate -CertificateType Token-Decrypting -Urgent\n"
            "Get-AdfsCertificate -CertificateType Token-Decrypting"
        )
    return "\n".join(
        [
            f"# On the primary AD FS server of {_c(farm)} (AutoCertificateRollover is "
            + ("off" if rollover is False else "not known")
            + "; Update-AdfsCertificate",
            "# acts only with it on): install a new decrypting certificate with its private key on every server, then:",
            *_thumbprint_variable("decrypting", None, "NEW-DECRYPTING-CERTIFICATE"),
            "Add-AdfsCertificate -CertificateType Token-Decrypting -Thumbprint $decrypting",
            "Set-AdfsCertificate -CertificateType Token-Decrypting -Thumbprint $decrypting -IsPrimary",
            "# tell relying parties and claims providers that encrypt to AD FS (they read it from the metadata)",
        ]
    )


def graph_overwrite(
    domain: str, fed_id: str | None, *, signing: str | None, next_: str | None, farm: str | None
) -> str:
    """Overwrite a stale slot in Entra with the certificate(s) AD FS holds (by thumbprint)."""
    d = safe_domain(domain)
    if d is None:
        return f"# {_c(domain)[:80]} is not a DNS name: not interpolated into a command."
    where = f"an AD FS server of {_c(farm)}" if farm else "the AD FS server"
    lines = [f"# Overwrite the old certificate Entra ID still accepts; on {where}:"]
    args = ""
    for slot, var, tp in (("SigningCertificate", "b64Signing", signing), ("NextSigningCertificate", "b64Next", next_)):
        t = safe_thumbprint(tp)
        if t is None:
            continue
        lines += _export(var, t)
        args += f" -{slot} ${var}"
    lines += _graph_header()
    fed = _fed_ref(d, fed_id, lines)
    lines.append(
        f"Update-MgDomainFederationConfiguration -DomainId {ps_quote(d)} -InternalDomainFederationId {fed}{args}"
    )
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


def idp_renewal(
    domain: str,
    idp: str | None,
    fed_id: str | None,
    *,
    slot: str = "NextSigningCertificate",
    thumbprint: str | None = None,
) -> str:
    """Who updates Entra ID for a non-AD FS identity provider, and how (Graph PowerShell): the
    certificate is read from a file (DER or PEM) and its thumbprint checked when one is known."""
    d = safe_domain(domain)
    if d is None or slot not in ("SigningCertificate", "NextSigningCertificate"):
        return f"# {_c(domain)[:80]} is not a DNS name: not interpolated into a command."
    name = IDP_NAMES.get(idp or "other", "the identity provider")
    how = _IDP_HOW.get(idp or "other", _IDP_HOW["other"])
    tp = safe_thumbprint(thumbprint)
    source = (
        f"the certificate {tp} from the {name} metadata" if tp else f"the new signing certificate exported from {name}"
    )
    lines = [
        f"# {d} signs in with {name}. {how}",
        f"# Save {source} as renewed.cer (DER or PEM), then:",
        "$renewed = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2((Resolve-Path "
        "'renewed.cer').Path)",
    ]
    if tp:
        lines.append(
            f'if ($renewed.Thumbprint -ne {ps_quote(tp)}) {{ throw "renewed.cer is $($renewed.Thumbprint), not {tp}" }}'
        )
    else:
        lines.append("$renewed.Thumbprint   # check it against the identity provider before pushing")
    lines.append("$b64 = [System.Convert]::ToBase64String($renewed.RawData)")
    lines += _graph_header()
    fed = _fed_ref(d, fed_id, lines)
    lines.append(
        f"Update-MgDomainFederationConfiguration -DomainId {ps_quote(d)} -InternalDomainFederationId {fed} -{slot} $b64"
    )
    lines.append(
        f"Get-MgDomainFederationConfiguration -DomainId {ps_quote(d)} | Format-List 'SigningCertificate', 'NextSigningCertificate'"
    )
    return "\n".join(lines)


def graph_issuer_align(domains: Sequence[tuple[str, str, str | None]]) -> str:
    """Set each (domain, expected IssuerUri, federation Id) with Graph PowerShell (G1 -IssuerUri)."""
    lines = ["# Align the IssuerUri of the domains (Microsoft Graph PowerShell):", *_graph_header()]
    for domain, expected, fed_id in domains:
        d, url = safe_domain(domain), safe_url(expected)
        if d is None or url is None:
            lines.append(f"# left out, not safe to interpolate: {_c(domain)[:80]} {_c(expected)[:80]}")
            continue
        fed = _fed_ref(d, fed_id, lines)
        lines.append(
            f"Update-MgDomainFederationConfiguration -DomainId {ps_quote(d)} -InternalDomainFederationId {fed} -IssuerUri {ps_quote(url)}"
        )
    return "\n".join(lines)
