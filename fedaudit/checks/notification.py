"""Notification triage: given the date a renewal e-mail arrived, was action needed then?

The runbook ("Renewal notification from the Microsoft 365 admin center or an email"): Entra ID
polls the metadata from 35 days before the signing certificate expires and mails only when it
cannot retrieve a new certificate - because the metadata is not reachable or automatic rollover
is off - and "Microsoft is aware of a possible issue that can lead to notifications for
certificate renewal being sent, even when no action is required". With AD FS defaults the next
certificate appears only 20 days before expiry, so a mail between day 35 and day 20 with rollover
on and public metadata needs no action.

These checks run only when :func:`fedaudit.audit` gets ``notification_date``. They judge the
evidence as it stands (exports are a snapshot) at that date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from fedaudit.checks._base import ISO_A_8_16, REF_NOTIFICATION, SI_4, SI_5, Check, Finding, Thresholds, define, fact
from fedaudit.evidence.view import DomainState, EstateView, domain_state, farm_thresholds

CHECKS: list[Check] = []
_CONTROLS = (SI_5, SI_4, ISO_A_8_16)


def triage(
    view: EstateView, state: DomainState, nd: dt.datetime, as_of: dt.datetime, th: Thresholds
) -> tuple[str, str]:
    """(outcome, reason) with outcome in action-needed | no-action-needed | undetermined."""
    cert = state.days_cert
    if cert is None or cert.not_after is None:
        return "undetermined", "the signing certificate's expiry is not in the evidence (" + "; ".join(
            state.missing
        ) + ")"
    if cert.not_before is not None and cert.not_before > nd:
        return (
            "no-action-needed",
            f"the certificate in use now ({cert.thumbprint[:8]}) was issued on {cert.not_before:%Y-%m-%d}, after the "
            "notification: the renewal it announced has already happened",
        )
    days = (cert.not_after - nd).total_seconds() / 86400
    if days >= th.expiry_warning_days:
        return (
            "no-action-needed",
            f"on {nd:%Y-%m-%d} the signing certificate still had {days:.0f} days, more than the 35 days from which Entra ID "
            "polls and notifies; this is one of the notifications the runbook says can be sent when no action is required",
        )
    d = state.domain
    horizon = nd + dt.timedelta(days=th.expiry_warning_days)
    held = [
        c
        for c in d.entra_next + d.entra_current
        if c.thumbprint != cert.thumbprint
        and c.not_after is not None
        and c.not_after > horizon
        and (c.not_before is None or c.not_before <= nd)
    ]
    if held:
        return (
            "no-action-needed",
            f"Entra ID already held the next certificate {held[0].thumbprint[:8]} on {nd:%Y-%m-%d}",
        )
    if state.rollover is False:
        return (
            "action-needed",
            "automatic rollover is off, so the certificate must be renewed by hand (decision table row 3)",
        )
    if state.metadata_public is False:
        return (
            "action-needed",
            f"the metadata is not publicly reachable ({state.metadata_basis}), so Entra ID cannot fetch the new certificate",
        )
    if state.in_sync is False:
        return "action-needed", "Entra ID does not hold the certificates AD FS has (see the sync findings)"
    if state.rollover is True and state.metadata_public is True:
        gen_d, _, _, _ = farm_thresholds(state.farm, th)
        return (
            "no-action-needed",
            f"automatic rollover is on and the metadata is public: AD FS generates the next certificate {gen_d:g} days "
            f"before expiry (around {cert.not_after - dt.timedelta(days=gen_d):%Y-%m-%d}) and Entra ID picks it up; the "
            "runbook warns such notifications can be sent when no action is required",
        )
    return "undetermined", "missing " + "; ".join(state.missing)


def _findings(view: EstateView, as_of: dt.datetime, th: Thresholds, new: Any, want: str) -> Iterator[Finding]:
    nd = th.notification_date
    if nd is None:
        return
    for d in view.federated_domains:
        state = domain_state(view, d, nd, th)
        outcome, reason = triage(view, state, nd, as_of, th)
        if outcome != want:
            continue
        facts = [fact("notification date", nd.date().isoformat(), "--notification-date")]
        if state.days_cert is not None:
            facts.append(fact("signing certificate", state.days_cert.thumbprint, state.days_cert.where))
            if state.days_cert.not_after is not None:
                facts.append(fact("NotAfter", state.days_cert.not_after, state.days_cert.where))
        verdict = {
            "action-needed": "action was needed",
            "no-action-needed": "no action was needed",
            "undetermined": "cannot tell whether action was needed",
        }[outcome]
        yield new(
            farm=d.farm,
            domain=d.name,
            title=f"{d.name}: renewal notification of {nd:%Y-%m-%d}: {verdict}",
            detail=f"{verdict.capitalize()}: {reason}.",
            evidence=tuple(facts),
            subject=nd.date().isoformat(),
        )


@define(
    CHECKS,
    id="notification.action-needed",
    title="Renewal notification: action was needed",
    severity="warning",
    reference=REF_NOTIFICATION,
    description="At the notification date the certificate was inside the 35-day window and Entra ID could not get "
    "the next one by itself (rollover off, metadata not public, or out of sync).",
    controls=_CONTROLS,
    action="plan-renewal",
)
def action_needed(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    yield from _findings(view, as_of, th, new, "action-needed")


@define(
    CHECKS,
    id="notification.no-action-needed",
    title="Renewal notification: no action was needed",
    severity="info",
    reference=REF_NOTIFICATION,
    description="The notification arrived when no action was required (outside the 35-day window, after the "
    "renewal, or with automatic rollover and public metadata in place).",
    controls=_CONTROLS,
    action="none",
)
def no_action_needed(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    yield from _findings(view, as_of, th, new, "no-action-needed")


@define(
    CHECKS,
    id="notification.undetermined",
    title="Renewal notification: cannot tell",
    severity="info",
    reference=REF_NOTIFICATION,
    description="The evidence lacks what the triage needs (the certificate's expiry, rollover state or metadata "
    "reachability); the finding names the missing exports.",
    controls=_CONTROLS,
    action="insufficient-evidence",
)
def undetermined(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    yield from _findings(view, as_of, th, new, "undetermined")
