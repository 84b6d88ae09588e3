"""Rollover checks: AutoCertificateRollover (runbook Step 1) and the state of AD FS's own
renewal (manual renewal, Step 1), with the projected generation and promotion dates.

AD FS generates a new token-signing certificate ``CertificateGenerationThreshold`` days before
the primary's NotAfter and promotes it ``CertificatePromotionThreshold`` days after generating
it; the rollover service looks every ``CertificateRolloverInterval`` minutes, so each event can
come up to one interval late (Q&A 122472: "kicked in 6 hours late").
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    CM_6,
    CP_2,
    ISO_A_5_37,
    ISO_A_8_24,
    ISO_A_8_9,
    REF_DEFAULT,
    REF_MANUAL,
    REF_MANUAL1,
    REF_STEP1,
    SC_12,
    SC_17,
    Check,
    Finding,
    define,
    fact,
)
from fedaudit.checks._fix import renew_manually
from fedaudit.evidence.view import CertFact, EstateView, FarmFact, farm_thresholds, next_secondaries

CHECKS: list[Check] = []


def cert_facts(label: str, c: CertFact) -> list[dict[str, Any]]:
    out = [fact(f"{label} thumbprint", c.thumbprint, c.where)]
    if c.not_after is not None:
        out.append(fact(f"{label} NotAfter", c.not_after, c.where))
    return out


def primary_of(farm: FarmFact) -> CertFact | None:
    dated = [c for c in farm.ts_primaries if c.not_after is not None]
    if dated:
        return min(dated, key=lambda c: c.not_after)  # type: ignore[arg-type,return-value]
    return farm.ts_primaries[0] if farm.ts_primaries else None


def live_secondaries(farm: FarmFact, as_of: dt.datetime) -> list[CertFact]:
    """The farm's next token-signing certificates (not the previous primary kept as secondary)."""
    return next_secondaries(farm.ts_primaries, farm.ts_secondaries, as_of)


def projection(farm: FarmFact, primary: CertFact, th: Any, as_of: dt.datetime | None = None) -> dict[str, dt.datetime]:
    """Rollover events for the primary (needs its NotAfter). Generation is projected from
    CertificateGenerationThreshold, or, once AD FS has generated the next certificate (given
    ``as_of``), taken from that certificate's NotBefore; promotion follows it."""
    gen_d, promo_d, crit_d, interval = farm_thresholds(farm, th)
    na = primary.not_after
    assert na is not None
    generation = na - dt.timedelta(days=gen_d)
    if as_of is not None:
        made = [c.not_before for c in live_secondaries(farm, as_of) if c.not_before is not None]
        if made:
            generation = min(made)
    return {
        "generation": generation,
        "promotion": generation + dt.timedelta(days=promo_d),
        "critical": na - dt.timedelta(days=crit_d),
        "entra_polling_start": na - dt.timedelta(days=th.expiry_warning_days),
        "mark_15_days": na - dt.timedelta(days=th.expiry_urgent_days),
        "interval": dt.timedelta(minutes=interval),  # type: ignore[dict-item]
    }


def _ca_issued(farm: FarmFact) -> bool:
    return any(c.self_signed is False for c in farm.ts_primaries)


def _thresholds_facts(farm: FarmFact, th: Any) -> list[dict[str, Any]]:
    gen_d, promo_d, crit_d, interval = farm_thresholds(farm, th)
    src = farm.where if farm.generation_days is not None else "AD FS default"
    return [
        fact("CertificateGenerationThreshold (days before NotAfter)", gen_d, src),
        fact("CertificatePromotionThreshold (days after generation)", promo_d, src),
        fact("CertificateRolloverInterval (minutes)", interval, farm.where if farm.interval_minutes is not None else "AD FS default"),
    ]


@define(
    CHECKS,
    id="adfs.auto-rollover-disabled",
    title="AutoCertificateRollover is off",
    severity="warning",
    reference=REF_STEP1,
    description="AutoCertificateRollover is False on a farm with self-signed token-signing certificates: the AD FS "
    "default has been switched off, so every renewal is manual (decision table row 3 once under 35 days).",
    controls=(CM_6, SC_12, ISO_A_8_9, ISO_A_8_24),
    action="enable-rollover",
)
def auto_rollover_disabled(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        if farm.rollover is not False or _ca_issued(farm):
            continue
        primary = primary_of(farm)
        facts = [fact("AutoCertificateRollover", False, farm.where)]
        when = ""
        if primary is not None:
            facts += cert_facts("AD FS primary", primary)
            if primary.not_after is not None:
                when = f" Renew by hand before {primary.not_after - dt.timedelta(days=th.expiry_warning_days):%Y-%m-%d} (35 days before it expires) if it stays off."
        yield new(
            farm=farm.name,
            title=f"AutoCertificateRollover is off on {farm.name}",
            detail="AD FS will not generate the next token-signing certificate by itself." + when,
            evidence=tuple(facts),
            remediation=rm.adfs_enable_rollover(farm.name),
        )


@define(
    CHECKS,
    id="adfs.ca-issued-manual-path",
    title="CA-issued token-signing certificate: manual renewal path",
    severity="info",
    reference=REF_MANUAL,
    description="A token-signing certificate issued by an organisational CA with AutoCertificateRollover off is "
    "the runbook's first manual-renewal scenario: every renewal needs AD FS and Entra ID updated by hand before "
    "the 35-day mark.",
    controls=(SC_17, CP_2, ISO_A_5_37),
    action="plan-renewal",
)
def ca_issued_manual_path(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        if farm.rollover is not False or not _ca_issued(farm):
            continue
        primary = primary_of(farm)
        assert primary is not None
        due = (
            f"; next renewal due before {primary.not_after - dt.timedelta(days=th.expiry_warning_days):%Y-%m-%d}"
            if primary.not_after
            else ""
        )
        yield new(
            farm=farm.name,
            title=f"{farm.name} signs with a CA-issued certificate: renewals are manual",
            detail=f"Issuer {primary.issuer or 'unknown'}; AutoCertificateRollover is off as the manual path requires{due}.",
            evidence=tuple([fact("AutoCertificateRollover", False, farm.where), fact("issuer", primary.issuer, primary.where)]
                           + cert_facts("AD FS primary", primary)),
            remediation=renew_manually(view, farm, None, as_of, th),
        )


@define(
    CHECKS,
    id="rollover.single-certificate-within-5-days",
    title="Only one token-signing certificate, expiring within 5 days",
    severity="critical",
    reference=REF_MANUAL1,
    description="Runbook manual Step 1.4: 'If you only see one certificate, and the NotAfter date is within 5 days, "
    "you need to generate a new certificate' (Update-AdfsCertificate -CertificateType Token-Signing), then "
    "update Entra ID.",
    controls=(SC_12, SC_17, CP_2, ISO_A_8_24),
    action="renew-now",
)
def single_certificate(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        primary = primary_of(farm)
        if primary is None or primary.not_after is None or live_secondaries(farm, as_of):
            continue
        days = primary.days_left(as_of)
        assert days is not None
        if not (0 <= days <= th.single_certificate_days):
            continue
        yield new(
            farm=farm.name,
            title=f"{farm.name} has a single token-signing certificate expiring in {days:.1f} days",
            detail=f"AD FS lists only the primary ({primary.thumbprint}), which expires on {primary.not_after:%Y-%m-%d %H:%M} UTC. "
            "Generate a new certificate now and put it into Entra ID for every federated domain before it expires.",
            evidence=tuple(cert_facts("AD FS primary", primary) + [fact("AD FS secondary", "none", None)]),
            remediation=renew_manually(view, farm, None, as_of, th),
            subject=primary.thumbprint,
        )


@define(
    CHECKS,
    id="rollover.secondary-overdue",
    title="AD FS has not generated the next certificate on time",
    severity="high",
    reference=REF_MANUAL1,
    description="AutoCertificateRollover is on and the primary is past CertificateGenerationThreshold (plus one "
    "CertificateRolloverInterval), yet AD FS lists no secondary: automatic rollover is not working.",
    controls=(SC_12, SC_17, CM_6, ISO_A_8_24),
    action="renew-now",
)
def secondary_overdue(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        primary = primary_of(farm)
        if farm.rollover is not True or primary is None or primary.not_after is None or live_secondaries(farm, as_of):
            continue
        days = primary.days_left(as_of)
        assert days is not None
        if days < 0 or days <= th.single_certificate_days:
            continue  # expired: expiry.expired; within 5 days: rollover.single-certificate-within-5-days
        p = projection(farm, primary, th)
        due = p["generation"] + p["interval"]
        if as_of <= due:
            continue
        yield new(
            farm=farm.name,
            title=f"{farm.name}: no new token-signing certificate although generation was due on {p['generation']:%Y-%m-%d}",
            detail=f"The primary expires on {primary.not_after:%Y-%m-%d} ({days:.1f} days). With AutoCertificateRollover on, "
            f"AD FS should have generated a secondary by {due:%Y-%m-%d %H:%M} UTC. Check the AD FS service and event log, "
            "then generate the certificate by hand.",
            evidence=tuple(cert_facts("AD FS primary", primary) + [fact("AutoCertificateRollover", True, farm.where)]
                           + _thresholds_facts(farm, th)),
            remediation=renew_manually(view, farm, None, as_of, th),
            subject=primary.thumbprint,
        )


@define(
    CHECKS,
    id="rollover.secondary-short-lived",
    title="The next certificate is not about a year out",
    severity="warning",
    reference=REF_MANUAL1,
    description="Runbook manual Step 1.3: next to a primary within 5 days, the secondary's NotAfter should be 'about "
    "a year in the future'. A secondary that expires soon buys little time after promotion.",
    controls=(SC_12, SC_17, ISO_A_8_24),
    action="plan-renewal",
)
def secondary_short_lived(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, primary, days, best, left in _pairs_near_promotion(view, as_of, th):
        if left >= _about_a_year(farm, th):
            continue
        yield new(
            farm=farm.name,
            title=f"{farm.name}: the secondary token-signing certificate has only {left:.0f} days left",
            detail=f"The primary expires in {days:.1f} days; the secondary {best.thumbprint} that replaces it expires on "
            f"{best.not_after:%Y-%m-%d}, not about a year out.",
            evidence=tuple(cert_facts("AD FS primary", primary) + cert_facts("AD FS secondary", best)),
            remediation=rm.join(
                f"# Check CertificateDuration (days) on {farm.name}: Get-AdfsProperties | Format-List CertificateDuration",
                rm.adfs_show(farm.name),
            ),
            subject=best.thumbprint,
        )


def _pairs_near_promotion(
    view: EstateView, as_of: dt.datetime, th: Any
) -> Iterator[tuple[FarmFact, CertFact, float, CertFact, float]]:
    """Farms whose primary is within the 5-day window (manual Step 1.3) and that hold a live
    secondary: (farm, primary, its days left, the longest-lived secondary, that one's days left)."""
    for farm in view.farms.values():
        primary = primary_of(farm)
        secs = live_secondaries(farm, as_of)
        if primary is None or primary.not_after is None or not secs:
            continue
        days = primary.days_left(as_of)
        if days is None or not (0 <= days <= th.single_certificate_days):
            continue
        best = max(secs, key=lambda c: c.not_after or as_of)
        left = best.days_left(as_of)
        if left is not None:
            yield farm, primary, days, best, left


def _about_a_year(farm: FarmFact, th: Any) -> float:
    if farm.duration_days:
        return min(th.about_a_year_days, 0.8 * farm.duration_days)
    return th.about_a_year_days


@define(
    CHECKS,
    id="rollover.pair-ready",
    title="New certificate generated and waiting for promotion",
    severity="info",
    reference=REF_MANUAL1,
    description="Runbook manual Step 1.3: a primary within 5 days plus a secondary about a year out means AD FS has "
    "generated the next certificate: healthy, provided Entra ID holds it (see the sync checks).",
    controls=(SC_12, SC_17, ISO_A_8_24),
    action="none",
)
def pair_ready(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, primary, days, best, left in _pairs_near_promotion(view, as_of, th):
        if left < _about_a_year(farm, th):
            continue
        yield new(
            farm=farm.name,
            title=f"{farm.name}: next token-signing certificate ready ({left:.0f} days of validity)",
            detail=f"Primary {primary.thumbprint} expires in {days:.1f} days; secondary {best.thumbprint} expires on "
            f"{best.not_after:%Y-%m-%d}. This is the healthy state the runbook describes.",
            evidence=tuple(cert_facts("AD FS primary", primary) + cert_facts("AD FS secondary", best)),
            subject=best.thumbprint,
        )


@define(
    CHECKS,
    id="rollover.forecast",
    title="Projected rollover dates",
    severity="info",
    reference=REF_DEFAULT,
    description="From the primary's NotAfter and the farm's CertificateGenerationThreshold, "
    "CertificatePromotionThreshold and CertificateRolloverInterval: when AD FS will generate and promote the next "
    "certificate, and when Entra ID starts polling the metadata (35 days before expiry).",
    controls=(SC_12, ISO_A_8_24),
    action="none",
)
def forecast(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        primary = primary_of(farm)
        if farm.rollover is not True or primary is None or primary.not_after is None:
            continue
        if primary.not_after <= as_of:
            continue
        p = projection(farm, primary, th, as_of)
        interval_h = p["interval"].total_seconds() / 3600
        secs = live_secondaries(farm, as_of)
        if secs:
            gen = f"generated {min(c.not_before or as_of for c in secs):%Y-%m-%d} (secondary present)"
        else:
            gen = f"generation around {p['generation']:%Y-%m-%d}"
        yield new(
            farm=farm.name,
            title=f"{farm.name}: next rollover {gen}, promotion around {p['promotion']:%Y-%m-%d}",
            detail=f"Primary {primary.thumbprint} expires {primary.not_after:%Y-%m-%d %H:%M} UTC. Entra ID starts polling "
            f"the metadata on {p['entra_polling_start']:%Y-%m-%d}; the 15-day mark is {p['mark_15_days']:%Y-%m-%d}; AD FS's "
            f"critical threshold is {p['critical']:%Y-%m-%d}. Each AD FS event can come up to {interval_h:g} h late "
            "(CertificateRolloverInterval).",
            evidence=tuple(cert_facts("AD FS primary", primary) + _thresholds_facts(farm, th)),
            subject=primary.thumbprint,
        )
