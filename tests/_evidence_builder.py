"""Build :class:`fedaudit.Evidence` for engine tests from real minted certificates.

Frames are made with :func:`fedaudit.frames.make_frame`, exactly as the loader makes them, so the
checks see the same shapes they see in production. A typical estate::

    est = Estate(AS_OF)
    p = est.cert("primary", days=200)
    est.farm("fs.contoso.com", rollover=True)
    est.adfs("fs.contoso.com", p, slot="primary")
    est.domain("contoso.com", farm="fs.contoso.com", signing=p)
    est.fetch("fs.contoso.com", reachable=True, tls=True, listed=[p], signer=p)
    ev = est.evidence()
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from fedaudit.parse.certs import certificate_from_der
from fedaudit.evidence.join import Evidence, InputFile
from fedaudit.frames import make_frame
from fedaudit.records import Certificate
from support.synth import mint_certificate

UTC = dt.timezone.utc
AS_OF = dt.datetime(2026, 11, 27, tzinfo=UTC)


def days(n: float) -> dt.timedelta:
    return dt.timedelta(days=n)


class Estate:
    def __init__(self, as_of: dt.datetime = AS_OF) -> None:
        self.as_of = as_of
        self.certificates: list[dict[str, Any]] = []
        self.farms: list[dict[str, Any]] = []
        self.domains: list[dict[str, Any]] = []
        self.issues: list[dict[str, Any]] = []
        self.metadata: list[dict[str, Any]] = []
        self.inputs: list[InputFile] = []

    # -- certificates ------------------------------------------------------------------------
    def cert(
        self,
        name: str,
        *,
        days: float = 200,
        lifetime: float = 365,
        issuer: str | None = None,
        key_size: int = 2048,
        hash_name: str = "sha256",
        not_before: dt.datetime | None = None,
    ) -> Certificate:
        """A real certificate expiring ``days`` after as_of, valid for ``lifetime`` days."""
        not_after = self.as_of + dt.timedelta(days=days)
        nb = not_before or (not_after - dt.timedelta(days=lifetime))
        der = mint_certificate(f"CN=ADFS Signing - {name}", nb, not_after, issuer=issuer, key_size=key_size,
                               hash_name=hash_name)
        return certificate_from_der(der)

    def _cert_row(self, cert: Certificate, **kw: Any) -> dict[str, Any]:
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
            "text_derived": False,
        }
        row.update(kw)
        return row

    def adfs(self, farm: str | None, cert: Certificate, *, slot: str = "primary", role: str = "token-signing",
             origin: str = "adfs-certificates.xml", domain: str | None = None) -> Estate:
        self.certificates.append(self._cert_row(cert, source="adfs", origin=origin, farm=farm, domain=domain,
                                                role=role, slot=slot))
        return self

    # -- farms and domains -------------------------------------------------------------------
    def farm(self, name: str, *, rollover: bool | None = True, identifier: str | None = None, generation: int | None = 20,
             promotion: int | None = 5, critical: int | None = 2, duration: int | None = 365,
             interval: int | None = 720, origin: str = "adfs-properties.xml") -> Estate:
        self.farms.append({
            "farm": name,
            "host_name": name,
            "identifier": identifier or f"http://{name}/adfs/services/trust",
            "auto_certificate_rollover": rollover,
            "certificate_generation_threshold": generation,
            "certificate_promotion_threshold": promotion,
            "certificate_critical_threshold": critical,
            "certificate_duration": duration,
            "certificate_rollover_interval": interval,
            "origin": origin,
            "line": 1,
        })
        return self

    def domain(self, name: str, *, farm: str | None = None, signing: Certificate | None = None,
               next: Certificate | None = None, authentication: str | None = "Federated",
               issuer_uri: str | None = None, settings: bool = True, update_result: str | None = None,
               update_last_run: dt.datetime | None = None, origin: str | None = None,
               passive: str | None = None, idp: str | None = None) -> Estate:
        """A domain: the Get-MgDomain row plus (``settings``) its federation configuration."""
        if authentication is not None:
            self.domains.append({"domain": name, "authentication": authentication, "origin": "domains.json",
                                 "status": "Verified", "has_settings": False})
        if settings:
            origin = origin or f"federation-{name}.json"
            self.domains.append({
                "domain": name,
                "issuer_uri": issuer_uri if issuer_uri is not None else (f"http://{farm}/adfs/services/trust" if farm else None),
                "passive_sign_in_uri": passive if passive is not None else (f"https://{farm}/adfs/ls/" if farm else None),
                "signing_thumbprint": signing.thumbprint if signing else None,
                "next_signing_thumbprint": next.thumbprint if next else None,
                "update_result": update_result,
                "update_last_run": update_last_run,
                "origin": origin,
                "farm": farm,
                "has_settings": True,
                "idp": idp or ("adfs" if farm else None),
            })
            for cert, slot in ((signing, "current"), (next, "next")):
                if cert is not None:
                    self.certificates.append(self._cert_row(cert, source="entra", origin=origin, farm=farm,
                                                            domain=name, role="token-signing", slot=slot))
        return self

    # -- metadata ----------------------------------------------------------------------------
    def fetch(self, farm: str | None, *, reachable: bool | None = True, tls: bool | None = True,
              signature: str | None = "valid", signer: Certificate | None = None,
              listed: list[Certificate] = (), insecure: bool | None = False, url: str | None = None,
              valid_until: dt.datetime | None = None, error: str | None = None,
              entity_id: str | None = None, tls_not_after: dt.datetime | None = None) -> Estate:
        url = url or f"https://{farm}/federationmetadata/2007-06/federationmetadata.xml"
        origin = "fetch-" + hashlib.sha1(url.encode()).hexdigest()[:8] + ".xml"
        self.metadata.append({
            "origin": origin,
            "url": url,
            "entity_id": entity_id or (f"http://{farm}/adfs/services/trust" if reachable is not False and farm else None),
            "fetched_at": self.as_of - dt.timedelta(hours=1) if reachable is not None else None,
            "reachable": reachable,
            "http_status": 200 if reachable else None,
            "tls_verified": tls,
            "signature": signature if reachable is not False else None,
            "signer_thumbprint": signer.thumbprint if signer else None,
            "valid_until": valid_until,
            "error": error,
            "farm": farm,
            "insecure": insecure,
            "tls_not_after": tls_not_after,
        })
        for cert in listed:
            self.certificates.append(self._cert_row(cert, source="metadata", origin=origin, farm=farm,
                                                    role="token-signing", slot=None))
        return self

    def issue(self, origin: str, message: str, *, severity: str = "warning", line: int | None = None,
              field: str | None = None) -> Estate:
        self.issues.append({"origin": origin, "line": line, "field": field, "severity": severity, "message": message})
        return self

    def input(self, path: str, captured_at: dt.datetime | None, *, how: str = "collector manifest started",
              kind: str = "Get-AdfsCertificate (Export-Clixml, UTF-16LE)") -> Estate:
        """An input file record with its capture time (what the loader adds to the evidence)."""
        self.inputs.append(InputFile(path, 1, "0" * 64, kind, captured_at, how if captured_at else None))
        return self

    def evidence(self) -> Evidence:
        return Evidence(
            inputs=tuple(self.inputs),
            certificates=make_frame("certificates", self.certificates),
            farms=make_frame("farms", self.farms),
            domains=make_frame("domains", self.domains),
            issues=make_frame("issues", self.issues),
            metadata=make_frame("metadata", self.metadata),
        )


def healthy(as_of: dt.datetime = AS_OF, *, days_left: float = 200, domains: tuple[str, ...] = ("contoso.com",),
            farm: str = "fs.contoso.com") -> tuple[Estate, Certificate]:
    """Row 1 of the decision table: rollover on, in sync, metadata public."""
    est = Estate(as_of)
    p = est.cert(f"{farm}-primary-{days_left}", days=days_left)
    est.farm(farm, rollover=True)
    est.adfs(farm, p, slot="primary")
    for d in domains:
        est.domain(d, farm=farm, signing=p)
    est.fetch(farm, listed=[p], signer=p)
    return est, p


# -- running checks ---------------------------------------------------------------------------

def findings_of(check_id: str, evidence: Evidence, as_of: dt.datetime = AS_OF, *, thresholds: Any = None,
                notification_date: dt.datetime | None = None) -> list:
    """The findings one registered check returns (called exactly as the engine calls it)."""
    from fedaudit.checks import Thresholds, by_id

    th = Thresholds.from_mapping(thresholds, notification_date=notification_date)
    return by_id(check_id).func(evidence, as_of, th)


def assert_well_formed(findings: list, evidence: Evidence) -> None:
    """Every finding: registered id, known severity, evidence items with fact/value/origin, and a
    remediation that names its real domain and farm instead of a placeholder."""
    from fedaudit.checks import by_id
    from fedaudit.records import SEVERITIES

    for f in findings:
        check = by_id(f.id)
        assert f.severity in SEVERITIES
        assert f.reference == check.reference and f.controls == check.controls
        assert f.title and f.detail
        for item in f.evidence:
            assert set(item) == {"fact", "value", "origin"}
        if f.remediation:
            assert "<domain>" not in f.remediation and "<d>" not in f.remediation
            if f.domain and not f.id.startswith(("evidence.", "notification.")):
                assert f.domain in f.remediation, (f.id, f.remediation)
            if f.farm and f.domain is None:
                assert f.farm in f.remediation, (f.id, f.remediation)
