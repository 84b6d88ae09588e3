"""A synthetic audited estate as frames, for the plot and report-fragment tests.

Certificates are real (minted with :func:`support.synth.mint_certificate` and decoded with
:func:`fedaudit.parse.certs.certificate_from_der`); frames are built with :func:`fedaudit.frames.make_frame`
in the shapes of :data:`fedaudit.frames.SCHEMAS`, so the figures and report sections can be tested
without going through the loader and engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fedaudit.parse.certs import certificate_from_der
from fedaudit.evidence.join import Evidence, InputFile
from fedaudit.frames import frame_records, make_frame
from support.synth import mint_certificate

UTC = dt.timezone.utc
AS_OF = dt.datetime(2026, 11, 27, tzinfo=UTC)


def _cert(subject: str, start_days: int, end_days: int, serial: int) -> Any:
    der = mint_certificate(
        subject, AS_OF + dt.timedelta(days=start_days), AS_OF + dt.timedelta(days=end_days), serial=serial
    )
    return certificate_from_der(der)


def _cert_row(cert: Any, **kw: Any) -> dict[str, Any]:
    row = {
        "thumbprint": cert.thumbprint,
        "sha256": cert.sha256,
        "subject": cert.subject,
        "issuer": cert.issuer,
        "serial": cert.serial,
        "not_before": cert.not_before,
        "not_after": cert.not_after,
        "key_type": cert.key_type,
        "key_size": cert.key_size,
        "signature_hash": cert.signature_hash,
        "self_signed": cert.self_signed,
        "role": "token-signing",
    }
    row.update(kw)
    return row


def estate(n_domains: int = 3, *, farms: int = 1, subject: str | None = None, domain_prefix: str = "") -> dict[str, Any]:
    """Frames of an estate with ``n_domains`` federated domains spread over ``farms`` farms.

    Domain i cycles through: in sync; Entra lagging (holds an old certificate); no Entra
    settings exported; in sync but the farm's primary expires in 10 days (farm 0 only).
    ``subject`` overrides every certificate subject (for markup tests).
    """
    certificates: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    domains: list[dict[str, Any]] = []
    farm_rows: list[dict[str, Any]] = []
    serial = 1000
    farm_certs = []
    for f in range(farms):
        farm = f"fs{f}.contoso.example"
        days = 10 if f == 0 else 200 + 17 * f
        primary = _cert(subject or f"CN=ADFS Signing - {farm}", days - 365, days, serial := serial + 1)
        secondary = _cert(subject or f"CN=ADFS Signing - {farm}", days - 20, days + 345, serial := serial + 1)
        old = _cert(subject or f"CN=ADFS Signing - {farm}", days - 730, days - 365, serial := serial + 1)
        farm_certs.append((farm, primary, secondary, old, days))
        origin = f"exports/{farm}/Get-AdfsCertificate.json"
        certificates.append(_cert_row(primary, source="adfs", origin=origin, farm=farm, slot="primary"))
        certificates.append(_cert_row(secondary, source="adfs", origin=origin, farm=farm, slot="secondary"))
        certificates.append(_cert_row(primary, source="metadata", origin=f"https://{farm}/federationmetadata.xml", farm=farm))
        farm_rows.append({"farm": farm, "host_name": farm, "auto_certificate_rollover": True, "origin": origin})
        timeline.append({"farm": farm, "event": "projected_generation", "time": primary.not_after - dt.timedelta(days=20)})
        timeline.append({"farm": farm, "event": "projected_promotion", "time": primary.not_after - dt.timedelta(days=15)})
    for i in range(n_domains):
        farm, primary, secondary, old, days = farm_certs[i % farms]
        domain = f"{domain_prefix}d{i:04d}.example.com"
        kind = i % 4 if farm_certs[0][0] == farm else 0
        origin = f"exports/entra/{domain}.json"
        if kind == 0 or kind == 3:
            certificates.append(_cert_row(primary, source="entra", origin=origin, farm=farm, domain=domain, slot="current"))
            certificates.append(_cert_row(secondary, source="entra", origin=origin, farm=farm, domain=domain, slot="next"))
            action, in_sync, left = ("renew-now" if days < 15 else "none"), True, float(days)
        elif kind == 1:
            certificates.append(_cert_row(old, source="entra", origin=origin, farm=farm, domain=domain, slot="current"))
            action, in_sync, left = "update-entra", False, float(days - 365)
        else:
            action, in_sync, left = "insufficient-evidence", None, None
        verdicts.append(
            {
                "domain": domain, "farm": farm, "auto_certificate_rollover": True, "in_sync": in_sync,
                "metadata_public": True, "days_left": left, "action": action,
                "reason": f"<b>reason</b> for {domain}", "severity": "high" if action != "none" else "info",
                "primary_thumbprint": primary.thumbprint,
            }
        )
        domains.append({"domain": domain, "authentication": "Federated", "farm": farm, "origin": origin})
        timeline.append({"farm": farm, "domain": domain, "event": "entra_polling_start", "time": primary.not_after - dt.timedelta(days=35)})
    return {
        "as_of": AS_OF,
        "certificates": make_frame("certificates", certificates),
        "verdicts": make_frame("verdicts", verdicts),
        "timeline": make_frame("timeline", timeline),
        "domains": make_frame("domains", domains),
        "farms": make_frame("farms", farm_rows),
    }


@dataclass(frozen=True)
class Audited:
    """The shape of :class:`fedaudit.engine.core.AuditResult` the report sections read."""

    as_of: dt.datetime
    evidence: Evidence
    verdicts: Any
    findings: Any
    timeline: Any

    @property
    def issues(self) -> Any:
        return self.evidence.issues

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            **{name: frame_records(getattr(self, name)) for name in ("verdicts", "findings", "timeline", "issues")},
        }


def audited(n_domains: int = 3, *, subject: str | None = None, origin_prefix: str = "exports/") -> Audited:
    """An :class:`Audited` estate with findings, a load issue and a failed metadata fetch."""
    frames = estate(n_domains, subject=subject)
    findings = []
    for row in frames["verdicts"].itertuples(index=False):
        if row.action == "none":
            continue
        findings.append(
            {
                "id": "SYNC-CURRENT" if row.action == "update-entra" else "EXPIRY-URGENT",
                "severity": "high",
                "farm": row.farm,
                "domain": row.domain,
                "title": f"Entra ID does not hold the AD FS primary for {row.domain}",
                "detail": f"Detail with <markup> for {row.domain}",
                "evidence": [
                    {"fact": "AD FS primary", "value": row.primary_thumbprint, "origin": f"{origin_prefix}adfs.json"},
                    {"fact": "subject", "value": subject or "CN=ADFS Signing", "origin": None},
                ],
                "remediation": "Connect-MgGraph -Scopes 'Domain-InternalFederation.ReadWrite.All'\n"
                f"$fed = Get-MgDomainFederationConfiguration -DomainId \"{row.domain}\"\n"
                f"Update-MgDomainFederationConfiguration -DomainId \"{row.domain}\" -InternalDomainFederationId $fed.Id "
                "-NextSigningCertificate $b64Next",
                "reference": "Step 2",
                "key": f"SYNC|{row.farm}|{row.domain}|",
                "controls": "NIST SP 800-53 SC-12",
            }
        )
    findings.append(
        {
            "id": "ROLLOVER-OFF", "severity": "warning", "farm": "fs0.contoso.example", "title": "Excepted risk",
            "detail": "accepted", "evidence": [], "reference": "Step 1", "excepted": True,
            "exception": "excepted until 2027-01-01 (owner ops): CA-issued",
        }
    )
    issues = make_frame(
        "issues",
        [{"origin": f"{origin_prefix}broken.txt", "line": 3, "field": "NotAfter", "severity": "warning",
          "message": f"cannot read date {subject or '<script>'}"}],
    )
    metadata = make_frame(
        "metadata",
        [
            {"origin": f"{origin_prefix}fs0.xml", "url": "https://fs0.contoso.example/federationmetadata.xml",
             "reachable": True, "http_status": 200, "tls_verified": True, "signature": "valid",
             "fetched_at": AS_OF, "farm": "fs0.contoso.example", "sha256": "ab" * 32},
            {"origin": f"{origin_prefix}fs1.json", "url": "https://fs1.contoso.example/federationmetadata.xml",
             "reachable": False, "error": "connection refused <b>", "fetched_at": AS_OF},
        ],
    )
    evidence = Evidence(
        certificates=frames["certificates"], farms=frames["farms"], domains=frames["domains"],
        issues=issues, metadata=metadata,
        inputs=(InputFile(f"{origin_prefix}adfs.json", 1234, "cd" * 32, "Get-AdfsCertificate (JSON)"),),
    )
    return Audited(AS_OF, evidence, frames["verdicts"], make_frame("findings", findings), frames["timeline"])
