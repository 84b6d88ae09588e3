"""Evidence checks: load issues become findings, and a missing export is never a pass.

Each finding names the absent export and the command that produces it, so the verdict's
``missing`` column and the findings tell the auditor exactly what to collect next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    CA_7,
    ISO_A_5_36,
    ISO_A_8_16,
    REF_AUTO,
    REF_MANUAL1,
    REF_STEP1,
    REF_STEP2,
    Check,
    Finding,
    define,
    fact,
)
from fedaudit.evidence.view import EstateView, host_of, metadata_public

CHECKS: list[Check] = []
_CONTROLS = (CA_7, ISO_A_5_36, ISO_A_8_16)

_COLLECT_ALL = (
    "# On an AD FS server of each farm:\n"
    "Get-AdfsProperties | Export-Clixml adfs-properties.xml\n"
    "Get-AdfsCertificate -CertificateType Token-Signing | Export-Clixml adfs-token-signing.xml\n"
    "# With Microsoft Graph PowerShell (or collect/Collect-FedauditEvidence.ps1, which does the same):\n"
    "Connect-MgGraph -Scopes 'Domain.Read.All'\n"
    "Get-MgDomain | ConvertTo-Json -Depth 5 | Out-File domains.json\n"
    "Get-MgDomain | Where-Object AuthenticationType -eq Federated | ForEach-Object { "
    'Get-MgDomainFederationConfiguration -DomainId $_.Id | ConvertTo-Json -Depth 5 | Out-File "federation-$($_.Id).json" }'
)


@define(
    CHECKS,
    id="evidence.nothing-loaded",
    title="No federation evidence was recognised",
    severity="high",
    reference=REF_STEP1,
    description="The evidence holds no AD FS farm and no Entra ID domain (a folder of CA certificates, empty "
    "export folders, only a failed metadata fetch), so nothing could be judged. An empty audit must not pass: "
    "high, so check, report and run exit 1 at the default --fail-on.",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def nothing_loaded(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    # No AD FS farm and no Entra domain: whatever else was read (CA certificates, a metadata
    # document, a failed fetch), nothing the runbook judges is there, so the audit fails.
    if not view.farms and not view.domains:
        n_files = len(view.evidence.inputs)
        ev = view.evidence
        yield new(
            title="No AD FS farm and no Entra ID domain in the evidence",
            detail=f"{n_files} input file(s), {len(view.issues)} load issue(s), {len(ev.certificates)} certificate "
            f"record(s) and {len(ev.metadata)} metadata record(s), but no AD FS farm (Get-AdfsProperties, "
            "Get-AdfsCertificate) and no Entra ID domain (Get-MgDomain, Get-MgDomainFederationConfiguration) was "
            "recognised, so nothing could be judged. Collect the exports below and run the audit again.",
            evidence=(
                fact("input files", n_files),
                fact("load issues", len(view.issues)),
                fact("certificate records", len(ev.certificates)),
                fact("metadata records", len(ev.metadata)),
            ),
            remediation=_COLLECT_ALL,
        )


@define(
    CHECKS,
    id="evidence.load-issue",
    title="An input could not be read completely",
    severity="warning",
    reference=REF_STEP1,
    description="Every load issue (a file or value that could not be read) is reported as a finding with the "
    "load issue's own severity, so a gap in the evidence is visible in the audit.",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def load_issue(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for issue in view.issues:
        origin = issue.get("origin")
        line = issue.get("line")
        field = issue.get("field")
        where = f"{origin}:{int(line)}" if origin and line else origin
        severity = issue.get("severity") or "warning"
        message = issue.get("message") or "load issue"
        yield new(
            severity=str(severity),
            title=f"Load issue in {origin}" if origin else "Load issue",
            detail=str(message) + (f" (field {field})" if field else ""),
            evidence=(fact("load issue", message, where),),
            remediation="# Re-export the file (Export-Clixml or ConvertTo-Json keeps certificate bytes and exact "
            "dates), or pass --culture when console dates are ambiguous.",
            subject=f"{where or ''}|{field or ''}|{message}",
        )


@define(
    CHECKS,
    id="evidence.domain-list-missing",
    title="No list of the tenant's domains",
    severity="warning",
    reference=f"{REF_STEP2}; {REF_MANUAL1}",
    description="Without Get-MgDomain or Get-MsolDomain output fedaudit cannot tell whether every federated "
    "domain is covered (the runbook's note: run the update for all domains listed by "
    "Get-MsolDomain -Authentication Federated).",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def domain_list_missing(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    if view.is_empty or view.has_domain_list:
        return
    yield new(
        title="No Get-MgDomain / Get-MsolDomain export: federated domains may be missing from the audit",
        detail="The evidence has no list of the tenant's domains with their authentication type, so a federated "
        "domain without exported settings would go unnoticed. Domains judged: "
        + (", ".join(d.name for d in view.federated_domains) or "none")
        + ".",
        evidence=(fact("domains with settings", len(view.federated_domains)),),
        remediation="Connect-MgGraph -Scopes 'Domain.Read.All'\n"
        "Get-MgDomain | ConvertTo-Json -Depth 5 | Out-File domains.json\n"
        "# or with the Microsoft Entra module: Get-EntraDomain | ConvertTo-Json -Depth 5 | Out-File domains.json\n"
        "# or without PowerShell, with an app registration: fedaudit collect entra (docs/entra-collect.md)",
    )


@define(
    CHECKS,
    id="evidence.entra-settings-missing",
    title="A federated domain has no exported Entra federation settings",
    severity="warning",
    reference=REF_STEP2,
    description="A domain the tenant lists as Federated without its federation settings (SigningCertificate, "
    "NextSigningCertificate, IssuerUri) cannot be compared with AD FS: missing evidence, not a pass.",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def entra_settings_missing(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for d in view.federated_domains:
        if d.has_entra_certs:
            continue
        yield new(
            farm=d.farm,
            domain=d.name,
            title=f"No Entra federation settings exported for {d.name}",
            detail=f"{d.name} is federated ({'per ' + ', '.join(d.origins) if d.origins else 'per the evidence'}) but no "
            "export shows the certificates Entra ID holds for it, so the sync check cannot run.",
            evidence=(fact("authentication", d.authentication or "Federated", d.origins[0] if d.origins else None),),
            remediation=rm.graph_read(d.name, out_file=True)
            + "\n# or without PowerShell, with an app registration: fedaudit collect entra (docs/entra-collect.md)",
        )


@define(
    CHECKS,
    id="evidence.farm-unknown",
    title="The identity provider of a federated domain is not in the evidence",
    severity="warning",
    reference=REF_STEP1,
    description="No AD FS farm in the evidence matches the domain (by IssuerUri = Identifier, sign-in host = "
    "HostName, or a shared certificate), so rollover state and the AD FS certificates are unknown. Not raised "
    "for domains whose identity provider is recognised as another product (the domains frame's idp column).",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def farm_unknown(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for d in view.federated_domains:
        if d.farm is not None or d.idp not in (None, "adfs"):
            continue  # a recognised non-AD FS IdP is judged by Entra's certificates (no AD FS export exists)
        facts = [fact("IssuerUri", d.issuer_uri, d.settings_origin)] if d.issuer_uri else []
        if d.passive_sign_in_uri:
            facts.append(fact("PassiveSignInUri", d.passive_sign_in_uri, d.settings_origin))
        host = host_of(d.passive_sign_in_uri) or host_of(d.metadata_exchange_uri)
        yield new(
            domain=d.name,
            title=f"No AD FS farm in the evidence federates {d.name}",
            detail=(f"IssuerUri {d.issuer_uri} matches no AD FS Identifier in the evidence. " if d.issuer_uri else "")
            + "Export the farm's properties and certificates; if the identity provider is not AD FS, check its "
            "signing-certificate rollover by hand (fedaudit then judges by Entra ID's certificates alone).",
            evidence=tuple(facts),
            remediation=(
                f"# On an AD FS server of {rm.comment(host)}:\n" if host else "# On an AD FS server of the farm:\n"
            )
            + "Get-AdfsProperties | Export-Clixml adfs-properties.xml\n"
            "Get-AdfsCertificate -CertificateType Token-Signing | Export-Clixml adfs-token-signing.xml",
        )


@define(
    CHECKS,
    id="evidence.adfs-properties-missing",
    title="AD FS properties (AutoCertificateRollover) not exported",
    severity="warning",
    reference=REF_STEP1,
    description="Without Get-AdfsProperties the AutoCertificateRollover state and the rollover thresholds of "
    "the farm are unknown, so the decision table cannot be applied.",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def adfs_properties_missing(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        if farm.rollover is not None:
            continue
        yield new(
            farm=farm.name,
            title=f"AutoCertificateRollover of {farm.name} unknown: no Get-AdfsProperties export",
            detail="The farm appears in the evidence (certificates or Entra sign-in URLs) but its properties were "
            "not exported, so fedaudit cannot tell whether AD FS renews its certificates automatically.",
            evidence=(fact("farm", farm.name, farm.where),),
            remediation=f"# On an AD FS server of {rm.comment(farm.name)}:\nGet-AdfsProperties | Export-Clixml adfs-properties.xml\n"
            "# (the runbook's console form: Get-AdfsProperties | Format-List AutoCert*, Certificate*)",
        )


@define(
    CHECKS,
    id="evidence.adfs-certificates-missing",
    title="AD FS token-signing certificates not exported",
    severity="warning",
    reference=REF_MANUAL1,
    description="Without Get-AdfsCertificate (or Get-MsolFederationProperty's 'ADFS Server' record) the AD FS "
    "primary and secondary token-signing certificates are unknown: sync and expiry cannot be judged from AD FS.",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def adfs_certificates_missing(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        if farm.ts_primaries:
            continue
        domains = view.domains_of(farm)
        if domains and all(d.adfs_primaries for d in domains):
            continue  # every domain has Get-MsolFederationProperty's AD FS view
        yield new(
            farm=farm.name,
            title=f"No token-signing certificate of {farm.name} exported",
            detail="The primary (and any secondary) token-signing certificate of the farm is not in the evidence.",
            evidence=(fact("farm", farm.name, farm.where),),
            remediation=f"# On an AD FS server of {rm.comment(farm.name)}:\n"
            "Get-AdfsCertificate -CertificateType Token-Signing | Export-Clixml adfs-token-signing.xml",
        )


@define(
    CHECKS,
    id="evidence.metadata-missing",
    title="Federation metadata not fetched",
    severity="warning",
    reference=REF_AUTO,
    description="Automatic renewal needs the federation metadata to be publicly reachable; without a fetch "
    "(fedaudit fetch, or check --metadata) that input of the decision table is unknown.",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def metadata_missing(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        public, basis = metadata_public(farm.metadata)
        if public is not None:
            continue
        yield new(
            farm=farm.name,
            title=f"Federation metadata of {farm.name} not fetched",
            detail=f"Whether the metadata is publicly reachable is unknown ({basis}). Fetch it from outside the "
            "corporate network, as the runbook asks.",
            evidence=(fact("metadata evidence", basis),),
            remediation=rm.fetch_metadata(farm.metadata_url),
        )


@define(
    CHECKS,
    id="evidence.conflicting-exports",
    title="Exports disagree about the same certificate slot",
    severity="warning",
    reference=REF_STEP2,
    description="Two exports name different certificates for the same slot (AD FS primary, or Entra "
    "SigningCertificate), usually because they were taken on different days. fedaudit judges conservatively "
    "(every AD FS primary must be in every Entra export; the earliest expiry counts).",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def conflicting_exports(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        if len(farm.ts_primaries) > 1:
            yield new(
                farm=farm.name,
                title=f"Exports name {len(farm.ts_primaries)} different AD FS primary certificates for {farm.name}",
                detail="Re-export Get-AdfsCertificate from the farm now so that all evidence describes the same moment.",
                evidence=tuple(fact("AD FS primary thumbprint", c.thumbprint, c.where) for c in farm.ts_primaries),
                remediation=f"# On an AD FS server of {rm.comment(farm.name)}:\n"
                "Get-AdfsCertificate -CertificateType Token-Signing | Export-Clixml adfs-token-signing.xml",
                subject="adfs-primary",
            )
    for d in view.federated_domains:
        if len(d.current_tps) > 1:
            yield new(
                farm=d.farm,
                domain=d.name,
                title=f"Exports name {len(d.current_tps)} different Entra signing certificates for {d.name}",
                detail="Entra ID holds one SigningCertificate per domain; the exports were taken at different times. "
                "Re-export the domain's federation settings.",
                evidence=tuple(
                    fact("Entra SigningCertificate thumbprint", c.thumbprint, c.where) for c in d.entra_current
                )
                or tuple(fact("Entra SigningCertificate thumbprint", t, None) for t in sorted(d.current_tps)),
                remediation=rm.graph_read(d.name, out_file=True)
                + "\n# or without PowerShell, with an app registration: fedaudit collect entra (docs/entra-collect.md)",
                subject="entra-current",
            )


def _judged_inputs(view: EstateView) -> list:
    return [
        i
        for i in view.evidence.inputs
        if i.captured_at is not None and not str(i.kind).startswith(("unrecognised", "refused", "unreadable"))
    ]


@define(
    CHECKS,
    id="evidence.stale",
    title="Evidence captured long before the as-of date",
    severity="warning",
    reference=REF_STEP1,
    description="An input was captured more than evidence_stale_days (7) before the as-of date (capture time from "
    "the fetch sidecar, the collector manifest, a PowerShell transcript header, else the file's modification "
    "time): it describes the estate as it was then, not at the as-of date. Findings whose conclusion depends on "
    "a rollover event between capture and the as-of date say so in their detail.",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def stale(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    limit = as_of - dt.timedelta(days=th.evidence_stale_days)
    old = sorted((i for i in _judged_inputs(view) if i.captured_at < limit), key=lambda i: i.captured_at)
    if not old:
        return
    oldest = old[0]
    age = (as_of - oldest.captured_at).total_seconds() / 86400
    yield new(
        title=f"{len(old)} input(s) captured more than {th.evidence_stale_days:g} days before the as-of date "
        f"(oldest {age:.0f} days)",
        detail=f"The oldest, {oldest.path}, was captured {oldest.captured_at:%Y-%m-%d %H:%M} UTC ({oldest.captured_from}); "
        f"the audit judges as of {as_of:%Y-%m-%d %H:%M} UTC. AD FS may have generated or promoted a certificate, and "
        "Entra ID may have taken a new one, since then. Re-export before acting on these findings.",
        evidence=tuple(fact("captured at", i.captured_at, f"{i.path} ({i.captured_from})") for i in old[:20]),
        remediation=_COLLECT_ALL,
        subject="stale",
    )
