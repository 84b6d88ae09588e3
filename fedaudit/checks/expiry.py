"""Expiry checks (runbook Step 3): "check for the date under Not After. If the date is less than
35 days away, you should take action."

The subject is the AD FS primary token-signing certificate of each farm; for a federated domain
whose AD FS certificates are not in the evidence (another IdP, or a missing export), Entra ID's
current signing certificate. The 35- and 15-day findings are not raised while a successor is
ready: AutoCertificateRollover on, a secondary valid beyond the 35-day window, held by Entra ID
for every federated domain of the farm (decision table row 1: "No action needed").
Token-decrypting certificates do not sign tokens for Entra ID, so their expiry is reported at
lower severity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    CP_2,
    IA_5_2,
    ISO_A_8_24,
    REF_STEP3,
    REF_UPDATE_STEPS,
    SC_12,
    SC_17,
    Check,
    Finding,
    Thresholds,
    define,
    fact,
)
from fedaudit.checks._fix import renew_manually
from fedaudit.checks.rollover import cert_facts, live_secondaries, primary_of
from fedaudit.evidence.view import CertFact, DomainFact, EstateView, FarmFact, metadata_public

CHECKS: list[Check] = []
_CONTROLS = (SC_17, IA_5_2, SC_12, CP_2, ISO_A_8_24)


def successor_ready(view: EstateView, farm: FarmFact, as_of: dt.datetime, th: Thresholds) -> tuple[bool, str]:
    """(ready, why) for the farm's next certificate."""
    if farm.rollover is not True:
        return False, "AutoCertificateRollover is not confirmed on"
    horizon = as_of + dt.timedelta(days=th.expiry_warning_days)
    secs = [c for c in live_secondaries(farm, as_of) if c.not_after is not None and c.not_after > horizon]
    if not secs:
        return False, "AD FS lists no secondary certificate"
    domains = view.farm_domains(farm).with_entra
    if not domains:
        return False, f"AD FS has secondary {secs[0].thumbprint} but no Entra export shows Entra ID holds it"
    for c in secs:
        if all(c.thumbprint in d.entra_thumbprints and not d.entra_conflict for d in domains):
            return True, f"secondary {c.thumbprint} is ready and Entra ID holds it for every federated domain"
    return False, f"Entra ID does not hold the secondary {secs[0].thumbprint} for every federated domain"


def subjects(
    view: EstateView, as_of: dt.datetime, th: Thresholds
) -> Iterator[tuple[FarmFact | None, DomainFact | None, CertFact, str, bool, str]]:
    """(farm, domain, certificate, label, successor ready, why) for each certificate judged."""
    for farm in view.farms.values():
        primary = primary_of(farm)
        if primary is None or primary.not_after is None:
            continue
        ready, why = successor_ready(view, farm, as_of, th)
        yield farm, None, primary, "AD FS primary", ready, why
    for d in view.federated_domains:
        domain_farm = view.farm_of(d)
        if (domain_farm is not None and domain_farm.ts_primaries) or d.adfs_primaries:
            continue
        dated = [c for c in d.entra_current if c.not_after is not None]
        if not dated:
            continue
        current = min(dated, key=lambda c: c.not_after)  # type: ignore[arg-type,return-value]
        horizon = as_of + dt.timedelta(days=th.expiry_warning_days)
        nxt = [c for c in d.entra_next if c.not_after is not None and c.not_after > horizon]
        ready = bool(nxt)
        why = (
            f"Entra ID already holds the next certificate {nxt[0].thumbprint}"
            if nxt
            else "Entra ID holds no next certificate"
        )
        yield domain_farm, d, current, "Entra SigningCertificate", ready, why


def _non_adfs(farm: FarmFact | None, d: DomainFact | None) -> bool:
    """A domain subject whose identity provider is recognised as not AD FS."""
    return d is not None and farm is None and d.idp not in (None, "adfs")


def _remediation(view: EstateView, farm: FarmFact | None, d: DomainFact | None, as_of, th) -> str:
    if d is not None and farm is None:
        if _non_adfs(farm, d):
            return rm.idp_renewal(d.name, d.idp, d.federation_id)
        return rm.graph_push_external(d.name, d.federation_id)
    return renew_manually(view, farm, d, as_of, th)


def emergency_rotation(view: EstateView, farm: FarmFact, as_of: dt.datetime) -> str:
    """The primary has expired (an outage now): Microsoft's emergency rotation, then the new
    primary into Entra ID's SigningCertificate for every federated domain of the farm.

    AD FS generating its own certificates (self-signed): ``Update-AdfsCertificate
    -CertificateType Token-Signing -Urgent`` (it acts only with AutoCertificateRollover on, so a
    farm that switched rollover off turns it on first). CA-issued: ``Set-AdfsCertificate
    -CertificateType Token-Signing -Thumbprint <tp> -IsPrimary`` with a valid renewed certificate
    (the secondary when AD FS already lists one). Sources in :mod:`fedaudit.remediation`.
    """
    domains = [(d.name, d.federation_id) for d in view.domains_of(farm)]
    ca = any(c.self_signed is False for c in farm.ts_primaries)
    if not ca:
        steps = rm.adfs_emergency_urgent(farm.name)
        if farm.rollover is not True:
            steps = rm.join(rm.adfs_enable_rollover(farm.name), steps)
        return rm.join(steps, rm.graph_set_signing(farm.name, domains))
    valid = [c for c in live_secondaries(farm, as_of) if c.not_before is None or c.not_before <= as_of]
    tp = max(valid, key=lambda c: c.not_after or as_of).thumbprint if valid else None
    return rm.join(rm.adfs_emergency_ca(farm.name, tp), rm.graph_set_signing(farm.name, domains, thumbprint=tp))


def _rollover_off(farm: FarmFact | None, d: DomainFact | None) -> bool:
    """AD FS farm subjects with AutoCertificateRollover off belong to expiry.manual-renewal-due."""
    return d is None and farm is not None and farm.rollover is False


def _finding(
    new,
    view: EstateView,
    farm: FarmFact | None,
    d: DomainFact | None,
    cert: CertFact,
    label: str,
    as_of,
    th,
    **fields: Any,
) -> Finding:
    """A finding about one certificate of a farm or domain: its facts, the renewal commands, the
    thumbprint as the finding's subject; ``fields`` carry title, detail and any severity override."""
    return new(
        farm=farm.name if farm else None,
        domain=d.name if d else None,
        evidence=tuple(cert_facts(label, cert)),
        remediation=_remediation(view, farm, d, as_of, th),
        subject=cert.thumbprint,
        **fields,
    )


def _who(farm: FarmFact | None, d: DomainFact | None) -> str:
    return d.name if d is not None else (farm.name if farm else "?")


@define(
    CHECKS,
    id="expiry.expired",
    title="Token-signing certificate expired",
    severity="critical",
    reference=REF_STEP3,
    description="The certificate that signs tokens for Entra ID is past its NotAfter: sign-in is failing or about to.",
    controls=_CONTROLS,
    action="renew-now",
)
def expired(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, d, cert, label, _ready, _why in subjects(view, as_of, th):
        days = cert.days_left(as_of)
        if days is None or days >= 0:
            continue
        fix: str | None
        if d is None and farm is not None:
            fix = emergency_rotation(view, farm, as_of)
            how = (
                " Sign-in fails now. Rotate at once (Microsoft's emergency rotation): a new primary in AD FS, "
                "then that certificate into Entra ID's SigningCertificate for every federated domain."
            )
        else:
            fix = rm.idp_renewal(d.name, d.idp, d.federation_id, slot="SigningCertificate") if d is not None else None
            how = " Sign-in fails now. Put the identity provider's current certificate into Entra ID's SigningCertificate."
        yield new(
            farm=farm.name if farm else None,
            domain=d.name if d else None,
            evidence=tuple(cert_facts(label, cert)),
            remediation=fix,
            subject=cert.thumbprint,
            title=f"{_who(farm, d)}: {label} certificate expired {-days:.0f} days ago",
            detail=f"{label} {cert.label()} expired on {cert.not_after:%Y-%m-%d %H:%M} UTC." + how,
        )


@define(
    CHECKS,
    id="expiry.within-15-days",
    title="Token-signing certificate expires within 15 days, no successor ready",
    severity="high",
    reference=REF_STEP3,
    description="Less than 15 days left and no successor that Entra ID already holds: renew immediately "
    "(decision table row 2).",
    controls=_CONTROLS,
    action="renew-now",
)
def within_15(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, d, cert, label, ready, why in subjects(view, as_of, th):
        days = cert.days_left(as_of)
        if days is None or not (0 <= days < th.expiry_urgent_days) or ready or _rollover_off(farm, d):
            continue
        yield _finding(
            new,
            view,
            farm,
            d,
            cert,
            label,
            as_of,
            th,
            title=f"{_who(farm, d)}: {label} certificate expires in {days:.1f} days",
            detail=f"{label} {cert.label()} expires on {cert.not_after:%Y-%m-%d %H:%M} UTC and {why}.",
        )


@define(
    CHECKS,
    id="expiry.within-35-days",
    title="Token-signing certificate expires within 35 days, no successor ready",
    severity="warning",
    reference=REF_STEP3,
    description="Less than 35 days left (Entra ID has started polling the metadata) and no successor that Entra ID "
    "already holds. Info instead of warning when automatic rollover is on and the metadata is public (AD FS "
    "generates the next certificate at its generation threshold and Entra ID fetches it); high for a domain whose "
    "identity provider is not AD FS and Entra ID holds no next certificate (nobody polls for it: it is pushed by "
    "hand); otherwise make sure the new certificate reaches Entra ID.",
    controls=_CONTROLS,
    action="plan-renewal",
)
def within_35(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, d, cert, label, ready, why in subjects(view, as_of, th):
        days = cert.days_left(as_of)
        if (
            days is None
            or not (th.expiry_urgent_days <= days < th.expiry_warning_days)
            or ready
            or _rollover_off(farm, d)
        ):
            continue
        automatic = (
            d is None and farm is not None and farm.rollover is True and metadata_public(farm.metadata)[0] is True
        )
        nobody_polls = _non_adfs(farm, d)
        yield _finding(
            new,
            view,
            farm,
            d,
            cert,
            label,
            as_of,
            th,
            severity="info" if automatic else ("high" if nobody_polls else None),
            title=f"{_who(farm, d)}: {label} certificate expires in {days:.0f} days",
            detail=f"{label} {cert.label()} expires on {cert.not_after:%Y-%m-%d} and {why}. Entra ID polls the "
            "metadata from 35 days before expiry; make sure the new certificate reaches it.",
        )


@define(
    CHECKS,
    id="expiry.manual-renewal-due",
    title="Rollover off and the certificate expires within 35 days: renew now",
    severity="high",
    reference=REF_STEP3,
    description="Decision table row 3: AutoCertificateRollover is off and the token-signing certificate expires in "
    "less than 35 days: renew immediately by the manual path (new certificate into AD FS, into Entra ID for "
    "every federated domain, then make it primary).",
    controls=_CONTROLS,
    action="renew-now",
)
def manual_renewal_due(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, d, cert, label, _ready, _why in subjects(view, as_of, th):
        if not _rollover_off(farm, d):
            continue
        days = cert.days_left(as_of)
        if days is None or not (0 <= days < th.expiry_warning_days):
            continue
        assert farm is not None
        secs = live_secondaries(farm, as_of)
        domains = view.farm_domains(farm).with_entra
        held = [c for c in secs if domains and all(c.thumbprint in x.entra_thumbprints for x in domains)]
        if held:
            fix = rm.adfs_promote(farm.name, held[0].thumbprint)
            state = (
                f"Its successor {held[0].thumbprint} is in AD FS and in Entra ID: make it primary before the expiry."
            )
        else:
            fix = renew_manually(view, farm, None, as_of, th)
            state = (
                "AD FS has a successor that Entra ID does not hold yet."
                if secs
                else "AD FS has no successor: renew the certificate and put it into AD FS and Entra ID."
            )
        yield new(
            farm=farm.name,
            title=f"{farm.name}: rollover is off and the {label} certificate expires in {days:.0f} days",
            detail=f"{label} {cert.label()} expires on {cert.not_after:%Y-%m-%d}. {state}",
            evidence=tuple([fact("AutoCertificateRollover", False, farm.where)] + cert_facts(label, cert)),
            remediation=fix,
            subject=cert.thumbprint,
        )


@define(
    CHECKS,
    id="expiry.not-yet-valid",
    title="Token-signing certificate not yet valid",
    severity="high",
    reference=REF_STEP3,
    description="The signing certificate's NotBefore is after the audit date: tokens signed with it are rejected "
    "(a wrong certificate was made primary, or the server clock is wrong).",
    controls=_CONTROLS,
    action="renew-now",
)
def not_yet_valid(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, d, cert, label, _ready, _why in subjects(view, as_of, th):
        if cert.not_before is None or cert.not_before <= as_of:
            continue
        yield new(
            farm=farm.name if farm else None,
            domain=d.name if d else None,
            title=f"{_who(farm, d)}: {label} certificate is not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC",
            detail=f"{label} {cert.label()} has NotBefore {cert.not_before:%Y-%m-%d %H:%M} UTC, after the audit date.",
            evidence=tuple([fact(f"{label} NotBefore", cert.not_before, cert.where)] + cert_facts(label, cert)),
            remediation=rm.adfs_show(farm.name)
            if farm
            else rm.graph_push_external(d.name, d.federation_id)
            if d
            else None,
            subject=cert.thumbprint,
        )


def _td(view: EstateView, as_of: dt.datetime) -> Iterator[tuple[FarmFact, CertFact, float]]:
    for farm in view.farms.values():
        dated = [c for c in farm.td_primaries if c.not_after is not None]
        if not dated:
            continue
        cert = min(dated, key=lambda c: c.not_after)  # type: ignore[arg-type,return-value]
        days = cert.days_left(as_of)
        assert days is not None
        yield farm, cert, days


@define(
    CHECKS,
    id="expiry.token-decrypting-expired",
    title="Token-decrypting certificate expired",
    severity="high",
    reference=REF_UPDATE_STEPS,
    description="The AD FS primary token-decrypting certificate is past NotAfter. It does not sign tokens for Entra "
    "ID, but AD FS also protects its own SSO cookies with it, so sign-in through the farm fails, and relying "
    "parties and claims providers that encrypt to AD FS fail. The fix branches on AutoCertificateRollover "
    "(Update-AdfsCertificate -CertificateType Token-Decrypting acts only with it on).",
    controls=(SC_12, SC_17, CP_2, ISO_A_8_24),
    action="renew-now",
)
def td_expired(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, cert, days in _td(view, as_of):
        if days >= 0:
            continue
        yield new(
            farm=farm.name,
            title=f"{farm.name}: token-decrypting certificate expired {-days:.0f} days ago",
            detail=f"Token-decrypting primary {cert.label()}. AD FS cannot decrypt its own SSO cookies or tokens "
            "encrypted to it: renew it now.",
            evidence=tuple(
                cert_facts("AD FS token-decrypting primary", cert)
                + [fact("AutoCertificateRollover", farm.rollover, farm.where)]
            ),
            remediation=rm.adfs_token_decrypting(farm.name, farm.rollover),
            subject=cert.thumbprint,
        )


@define(
    CHECKS,
    id="expiry.token-decrypting-within-35-days",
    title="Token-decrypting certificate expires within 35 days",
    severity="info",
    reference=REF_UPDATE_STEPS,
    description="The AD FS primary token-decrypting certificate expires within 35 days and AD FS lists no "
    "secondary for it.",
    controls=(SC_12, SC_17, ISO_A_8_24),
    action="plan-renewal",
)
def td_within_35(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, cert, days in _td(view, as_of):
        if not (0 <= days < th.expiry_warning_days):
            continue
        if any(c.not_after is None or c.not_after > cert.not_after for c in farm.td_secondaries):  # type: ignore[operator]
            continue
        yield new(
            farm=farm.name,
            title=f"{farm.name}: token-decrypting certificate expires in {days:.0f} days",
            detail=f"Token-decrypting primary {cert.label()}; no secondary listed."
            + (" AutoCertificateRollover is on: AD FS renews it by itself." if farm.rollover else ""),
            evidence=tuple(cert_facts("AD FS token-decrypting primary", cert)),
            remediation=f"# On the primary AD FS server of {rm.comment(farm.name)}:\nUpdate-AdfsCertificate -CertificateType Token-Decrypting",
            subject=cert.thumbprint,
        )
