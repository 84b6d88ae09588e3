"""Rollover checks: AutoCertificateRollover (runbook Step 1) and the state of AD FS's own
renewal (manual renewal, Step 1), with the projected generation and promotion dates.

AD FS generates a new token-signing certificate ``CertificateGenerationThreshold`` days before
the primary's NotAfter and promotes it ``CertificatePromotionThreshold`` days after generating
it; the rollover service looks every ``CertificateRolloverInterval`` minutes, so each event can
come up to one interval late (Q&A 122472: "kicked in 6 hours late"). The three thresholds count
in units of ``CertificateThresholdMultiplier`` minutes (1440, a day, unless a lab changed it).
Sources: Set-AdfsProperties (https://learn.microsoft.com/powershell/module/adfs/set-adfsproperties),
the format notes ``get-adfsproperties.md`` (S2, S3, S6).

From these dates the schedule checks follow: AD FS must have promoted the secondary once its
promotion date (plus one interval) has passed (``rollover.promotion-overdue``), and Entra ID
learns a new certificate only by polling the metadata from 35 days before the primary expires,
so a promotion scheduled earlier breaks sign-in unless the certificate is pushed by hand
(``rollover.promotion-before-entra-polls``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, TypedDict

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    CM_6,
    CP_2,
    ISO_A_5_37,
    ISO_A_8_9,
    ISO_A_8_24,
    REF_DEFAULT,
    REF_MANUAL,
    REF_MANUAL1,
    REF_STEP1,
    SC_12,
    SC_17,
    Check,
    Finding,
    Thresholds,
    define,
    fact,
)
from fedaudit.checks._fix import push_to_entra, renew_manually
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


def threshold_days(farm: FarmFact | None, th: Thresholds) -> tuple[float, float, float, float]:
    """(generation, promotion, critical) thresholds in days, and the rollover interval in minutes:
    the thresholds count CertificateThresholdMultiplier minutes each (1440 = a day)."""
    gen_d, promo_d, crit_d, interval = farm_thresholds(farm, th)
    unit = (farm.multiplier_minutes if farm is not None and farm.multiplier_minutes else 1440.0) / 1440.0
    return gen_d * unit, promo_d * unit, crit_d * unit, interval


class _ProjectionDates(TypedDict):
    generation: dt.datetime
    promotion: dt.datetime
    critical: dt.datetime
    entra_polling_start: dt.datetime
    mark_15_days: dt.datetime
    interval: dt.timedelta  # the rollover job's cadence: an event falls up to one interval late


class Projection(_ProjectionDates, total=False):
    """The projected rollover events of one primary (see :func:`projection`)."""

    generated: dt.datetime  # the next certificate's NotBefore, once AD FS has made it


def projection(farm: FarmFact, primary: CertFact, th: Thresholds, as_of: dt.datetime | None = None) -> Projection:
    """Rollover events for the primary (needs its NotAfter). Generation is projected from
    CertificateGenerationThreshold, or, once AD FS has generated the next certificate (given
    ``as_of``), taken from that certificate's NotBefore; promotion follows it. ``generated`` is
    that NotBefore (absent before generation). The timeline frame uses these same dates."""
    gen_d, promo_d, crit_d, interval = threshold_days(farm, th)
    na = primary.not_after
    assert na is not None
    generation = na - dt.timedelta(days=gen_d)
    generated: dt.datetime | None = None
    if as_of is not None:
        made = [c.not_before for c in live_secondaries(farm, as_of) if c.not_before is not None]
        if made:
            generation = generated = min(made)
    critical = na - dt.timedelta(days=crit_d)
    out: Projection = {
        "generation": generation,
        # AD FS promotes CertificatePromotionThreshold after generation, and at the latest at
        # CertificateCriticalThreshold (where it generates and promotes at once).
        "promotion": min(generation + dt.timedelta(days=promo_d), critical),
        "critical": critical,
        "entra_polling_start": na - dt.timedelta(days=th.expiry_warning_days),
        "mark_15_days": na - dt.timedelta(days=th.expiry_urgent_days),
        "interval": dt.timedelta(minutes=interval),
    }
    if generated is not None:
        out["generated"] = generated
    return out


def _ca_issued(farm: FarmFact) -> bool:
    return any(c.self_signed is False for c in farm.ts_primaries)


def _thresholds_facts(farm: FarmFact, th: Thresholds) -> list[dict[str, Any]]:
    gen_d, promo_d, _crit_d, interval = farm_thresholds(farm, th)
    src = farm.where if farm.generation_days is not None else "AD FS default"
    return [
        fact("CertificateGenerationThreshold (days before NotAfter)", gen_d, src),
        fact("CertificatePromotionThreshold (days after generation)", promo_d, src),
        fact(
            "CertificateRolloverInterval (minutes)",
            interval,
            farm.where if farm.interval_minutes is not None else "AD FS default",
        ),
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
            evidence=tuple(
                [fact("AutoCertificateRollover", False, farm.where), fact("issuer", primary.issuer, primary.where)]
                + cert_facts("AD FS primary", primary)
            ),
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
            evidence=tuple(
                cert_facts("AD FS primary", primary)
                + [fact("AutoCertificateRollover", True, farm.where)]
                + _thresholds_facts(farm, th)
            ),
            remediation=renew_manually(view, farm, None, as_of, th),
            subject=primary.thumbprint,
        )


def _held_by_all(view: EstateView, farm: FarmFact, cert: CertFact) -> bool | None:
    """True when every federated domain of the farm with exported Entra settings holds ``cert``;
    None when no such domain is in the evidence."""
    domains = [d for d in view.domains_of(farm) if d.has_entra_certs]
    if not domains:
        return None
    return all(cert.thumbprint in d.entra_thumbprints and not d.entra_conflict for d in domains)


@define(
    CHECKS,
    id="rollover.promotion-overdue",
    title="AD FS has not promoted the next certificate on time",
    severity="high",
    reference=REF_DEFAULT,
    description="AutoCertificateRollover is on, AD FS has generated the next token-signing certificate, and its "
    "promotion date (the secondary's NotBefore plus CertificatePromotionThreshold, plus one "
    "CertificateRolloverInterval) has passed while the old primary still signs: the rollover job is not running. "
    "Critical once the primary is inside CertificateCriticalThreshold. The fix makes sure Entra ID holds the "
    "secondary and promotes it by hand (Set-AdfsCertificate -IsPrimary, which needs rollover off meanwhile).",
    controls=(SC_12, SC_17, CM_6, CP_2, ISO_A_8_24),
    action="renew-now",
)
def promotion_overdue(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        primary = primary_of(farm)
        if farm.rollover is not True or primary is None or primary.not_after is None or primary.not_after <= as_of:
            continue
        secs = live_secondaries(farm, as_of)
        if not secs:
            continue
        p = projection(farm, primary, th, as_of)
        due = p["promotion"] + p["interval"]
        if as_of <= due:
            continue
        best = max(secs, key=lambda c: c.not_after or as_of)
        days = primary.days_left(as_of)
        assert days is not None
        critical = as_of >= p["critical"]
        held = _held_by_all(view, farm, best)
        fix = adfs_promote_by_hand_fix(view, farm, best, held, as_of, th)
        yield new(
            severity="critical" if critical else None,
            farm=farm.name,
            title=f"{farm.name}: AD FS has not promoted {best.short}; promotion was due on {p['promotion']:%Y-%m-%d}",
            detail=f"The secondary {best.label()} was generated on {p['generation']:%Y-%m-%d}; with "
            f"CertificatePromotionThreshold it should have become primary by {due:%Y-%m-%d %H:%M} UTC, but the "
            f"primary {primary.thumbprint} still signs and expires on {primary.not_after:%Y-%m-%d %H:%M} UTC "
            f"({days:.1f} days)"
            + (f", inside CertificateCriticalThreshold (from {p['critical']:%Y-%m-%d %H:%M} UTC)" if critical else "")
            + ". The AD FS rollover job is not running (AD FS service on the primary server, its event log). "
            + (
                "Entra ID already holds the secondary, so promoting it keeps sign-in working."
                if held
                else "Put the secondary into Entra ID first, then promote it."
            ),
            evidence=tuple(
                cert_facts("AD FS primary", primary)
                + cert_facts("AD FS secondary", best)
                + [
                    fact("AutoCertificateRollover", True, farm.where),
                    fact("promotion due", p["promotion"], "projection"),
                    fact("critical threshold", p["critical"], "projection"),
                ]
                + _thresholds_facts(farm, th)
            ),
            remediation=fix,
            subject=best.thumbprint,
        )


def adfs_promote_by_hand_fix(
    view: EstateView, farm: FarmFact, best: CertFact, held: bool | None, as_of: dt.datetime, th: Thresholds
) -> str:
    """Push the secondary where Entra lacks it, then promote it by hand."""
    push = None if held else push_to_entra(view, farm, None, as_of, th)
    return rm.join(push, rm.adfs_promote_by_hand(farm.name, best.thumbprint, rollover_on=farm.rollover is True))


@define(
    CHECKS,
    id="rollover.promotion-before-entra-polls",
    title="AD FS promotes the next certificate before Entra ID can learn it",
    severity="high",
    reference=REF_DEFAULT,
    description="Entra ID picks up a new certificate only by polling the federation metadata, from 35 days "
    "before the current certificate expires. With CertificateGenerationThreshold minus "
    "CertificatePromotionThreshold above 35 days, AD FS promotes the new certificate before Entra ID's first "
    "poll, so sign-in breaks at promotion unless the certificate is pushed by hand. Critical when the "
    "promotion is less than 15 days away. Domains whose Entra settings already hold the new certificate are "
    "not affected.",
    controls=(SC_12, SC_17, CM_6, CP_2, ISO_A_8_24),
    action="update-entra",
)
def promotion_before_entra_polls(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        primary = primary_of(farm)
        if farm.rollover is not True or primary is None or primary.not_after is None or primary.not_after <= as_of:
            continue
        p = projection(farm, primary, th, as_of)
        if p["promotion"] >= p["entra_polling_start"] or p["promotion"] + p["interval"] < as_of:
            continue  # inside Entra's window, or already overdue (rollover.promotion-overdue)
        secs = live_secondaries(farm, as_of)
        best = max(secs, key=lambda c: c.not_after or as_of) if secs else None
        if best is not None and _held_by_all(view, farm, best):
            continue
        until = (p["promotion"] - as_of).total_seconds() / 86400
        gen_d, promo_d, _, _ = threshold_days(farm, th)
        affected = [d.name for d in view.domains_of(farm) if best is None or best.thumbprint not in d.entra_thumbprints]
        what = f"the secondary {best.thumbprint}" if best else "the certificate AD FS generates then"
        yield new(
            severity="critical" if until < th.expiry_urgent_days else None,
            farm=farm.name,
            title=f"{farm.name}: AD FS promotes on {p['promotion']:%Y-%m-%d}, before Entra ID polls from "
            f"{p['entra_polling_start']:%Y-%m-%d}",
            detail=f"CertificateGenerationThreshold {gen_d:g} and CertificatePromotionThreshold {promo_d:g} days put the "
            f"promotion of {what} on {p['promotion']:%Y-%m-%d %H:%M} UTC ({until:.0f} days from now), but Entra ID "
            f"starts polling the metadata only on {p['entra_polling_start']:%Y-%m-%d} (35 days before "
            f"{primary.thumbprint} expires on {primary.not_after:%Y-%m-%d}). From the promotion until then Entra ID "
            "rejects the tokens"
            + (f" for {', '.join(affected)}" if affected else "")
            + ". Push the new certificate to Entra ID before the promotion, or lower the generation threshold.",
            evidence=tuple(
                cert_facts("AD FS primary", primary)
                + (cert_facts("AD FS secondary", best) if best else [])
                + [
                    fact("promotion", p["promotion"], "projection"),
                    fact("Entra ID polling starts", p["entra_polling_start"], "runbook"),
                ]
                + _thresholds_facts(farm, th)
            ),
            remediation=rm.join(
                (
                    "# After AD FS generates the new certificate on " + f"{p['generation']:%Y-%m-%d}, before "
                    f"{p['promotion']:%Y-%m-%d}:"
                )
                if best is None
                else None,
                push_to_entra(view, farm, None, as_of, th, new_secondary=best is None),
                rm.adfs_generation_threshold(farm.name, int(min(20.0, 30.0 + promo_d))),
            ),
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
                f"# Check CertificateDuration (days) on {rm.comment(farm.name)}:\nGet-AdfsProperties | Format-List CertificateDuration",
                rm.adfs_show(farm.name),
            ),
            subject=best.thumbprint,
        )


def _pairs_near_promotion(
    view: EstateView, as_of: dt.datetime, th: Thresholds
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


def _about_a_year(farm: FarmFact, th: Thresholds) -> float:
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
    "generated the next certificate: healthy, provided Entra ID holds it (see the sync checks) and, with "
    "AutoCertificateRollover on, only while its promotion date is still ahead.",
    controls=(SC_12, SC_17, ISO_A_8_24),
    action="none",
)
def pair_ready(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, primary, days, best, left in _pairs_near_promotion(view, as_of, th):
        if left < _about_a_year(farm, th):
            continue
        if farm.rollover is True:
            p = projection(farm, primary, th, as_of)
            if p["promotion"] + p["interval"] < as_of:
                continue  # the promotion date has passed: rollover.promotion-overdue, not the healthy state
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
        promo = "promotion overdue since" if p["promotion"] + p["interval"] < as_of else "promotion around"
        yield new(
            farm=farm.name,
            title=f"{farm.name}: next rollover {gen}, {promo} {p['promotion']:%Y-%m-%d}",
            detail=f"Primary {primary.thumbprint} expires {primary.not_after:%Y-%m-%d %H:%M} UTC. Entra ID starts polling "
            f"the metadata on {p['entra_polling_start']:%Y-%m-%d}; the 15-day mark is {p['mark_15_days']:%Y-%m-%d}; AD FS's "
            f"critical threshold is {p['critical']:%Y-%m-%d}. Each AD FS event can come up to {interval_h:g} h late "
            "(CertificateRolloverInterval).",
            evidence=tuple(cert_facts("AD FS primary", primary) + _thresholds_facts(farm, th)),
            subject=primary.thumbprint,
        )
