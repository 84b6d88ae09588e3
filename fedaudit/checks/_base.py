"""The records every check shares: :class:`Check`, :class:`Finding`, :class:`Thresholds`.

A check is a pure function ``func(evidence, as_of, thresholds) -> list[Finding]``. It reads the
frames of an :class:`~fedaudit.evidence.join.Evidence` (through :func:`fedaudit.evidence.view.view_of`),
never the clock, files or the network; ``as_of`` is injected. :func:`fedaudit.audit` builds the
view once and calls ``on_view(view, as_of, thresholds)`` of every check instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from fedaudit.errors import UsageError
from fedaudit.evidence.view import view_of
from fedaudit.frames import ACTIONS
from fedaudit.records import SEVERITIES

if TYPE_CHECKING:  # pragma: no cover
    from fedaudit.evidence.join import Evidence
    from fedaudit.evidence.view import EstateView

__all__ = [
    "ACTION_RANK",
    "Check",
    "DEFAULT_THRESHOLDS",
    "Finding",
    "SEVERITY_RANK",
    "Thresholds",
    "fact",
]

#: Higher is more severe. ``none`` (a --fail-on value) never matches.
SEVERITY_RANK = {"critical": 4, "high": 3, "warning": 2, "info": 1}

#: How urgent a verdict action is; the verdict takes the most urgent of the decision table's
#: action and the actions implied by the critical/high findings that stand for the domain.
#: ``insufficient-evidence`` ranks above the non-urgent actions so that a gap in the evidence is
#: never hidden behind "plan a renewal", and below the two that say "act now".
ACTION_RANK = {
    "none": 0,
    "plan-renewal": 1,
    "enable-rollover": 2,
    "fix-metadata": 3,
    "insufficient-evidence": 4,
    "update-entra": 5,
    "renew-now": 6,
}
if set(ACTION_RANK) != set(ACTIONS):  # pragma: no cover - frames.ACTIONS and this table must agree
    raise AssertionError("fedaudit.checks.ACTION_RANK does not rank every value of fedaudit.frames.ACTIONS")

#: Tunable numbers (``thresholds=`` of :func:`fedaudit.audit`, ``[audit] thresholds`` of the
#: configuration file). Days unless the name says otherwise. The AD FS ``default_*`` values are
#: used only when a farm's Get-AdfsProperties export does not state its own.
DEFAULT_THRESHOLDS: Mapping[str, float] = {
    # Runbook, "Renewal notification": Entra ID polls the metadata from 35 days before expiry;
    # Step 3: "If the date is less than 35 days away, you should take action".
    "expiry_warning_days": 35,
    # Runbook decision table row 2: "Less than 15 days".
    "expiry_urgent_days": 15,
    # Runbook, manual renewal Step 1: "the NotAfter date is within 5 days".
    "single_certificate_days": 5,
    # ... "and one for which IsPrimary is False and NotAfter is about a year in the future".
    "about_a_year_days": 300,
    # Entra ID "will continue to monitor the metadata on regular daily intervals": a last run
    # older than this, inside the polling window, means it is not polling.
    "poll_stale_days": 3,
    # RSA keys below this many bits are weak (NIST SP 800-131A: 2048 minimum since 2014).
    "min_rsa_bits": 2048,
    # AD FS defaults (Get-AdfsProperties format notes) for farms whose export omits them.
    "default_generation_days": 20,
    "default_promotion_days": 5,
    "default_critical_days": 2,
    "default_rollover_interval_minutes": 720,
    # Exports captured more than this many days before the as-of date describe an older state.
    "evidence_stale_days": 7,
}


@dataclass(frozen=True)
class Thresholds:
    """The numbers checks use, plus the notification date (set by :func:`fedaudit.audit`)."""

    expiry_warning_days: float = 35
    expiry_urgent_days: float = 15
    single_certificate_days: float = 5
    about_a_year_days: float = 300
    poll_stale_days: float = 3
    min_rsa_bits: float = 2048
    default_generation_days: float = 20
    default_promotion_days: float = 5
    default_critical_days: float = 2
    default_rollover_interval_minutes: float = 720
    evidence_stale_days: float = 7
    notification_date: dt.datetime | None = None

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any] | Thresholds | None, *, notification_date: dt.datetime | None = None
    ) -> Thresholds:
        """Defaults overridden by ``values``; an unknown name or a bad number is a UsageError."""
        if isinstance(values, Thresholds):
            base = {f.name: getattr(values, f.name) for f in fields(cls)}
        else:
            base = dict(DEFAULT_THRESHOLDS)
            for key, value in (values or {}).items():
                if key not in DEFAULT_THRESHOLDS:
                    raise UsageError(f"unknown threshold {key!r}; valid: {', '.join(DEFAULT_THRESHOLDS)}")
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != value:
                    raise UsageError(f"threshold {key!r}: expected a number, 0 or more, got {value!r}")
                base[key] = value
            base["notification_date"] = None
        if notification_date is not None:
            base["notification_date"] = notification_date
        return cls(**base)


def fact(name: str, value: Any, origin: Any = None) -> dict[str, Any]:
    """One evidence item of a finding: what was used, its value, and where it came from."""
    if isinstance(value, dt.datetime):
        value = value.isoformat()
    return {"fact": name, "value": value, "origin": origin if origin else None}


@dataclass(frozen=True)
class Finding:
    """One problem (or, for ``info``, one observation) about a farm and/or a domain."""

    id: str
    severity: str
    title: str
    detail: str
    farm: str | None = None
    domain: str | None = None
    evidence: tuple[Mapping[str, Any], ...] = ()
    remediation: str | None = None
    reference: str | None = None
    controls: tuple[str, ...] = ()
    subject: str | None = None  # distinguishing detail for ``key`` (a thumbprint, an origin ...)
    action: str = "none"  # the verdict action this finding implies when it is critical or high

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise UsageError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")
        if self.action not in ACTIONS:
            raise UsageError(f"action must be one of {ACTIONS}, got {self.action!r}")

    @property
    def key(self) -> str:
        """Stable identity across runs: ``id|farm|domain|subject`` (empty parts kept)."""
        return "|".join([self.id, self.farm or "", self.domain or "", self.subject or ""])

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "farm": self.farm,
            "domain": self.domain,
            "title": self.title,
            "detail": self.detail,
            "evidence": [dict(e) for e in self.evidence],
            "remediation": self.remediation,
            "reference": self.reference,
            "key": self.key,
            "controls": "; ".join(self.controls) if self.controls else None,
            "excepted": False,
            "exception": None,
        }


CheckFunc = Callable[["Evidence", dt.datetime, Thresholds], "list[Finding]"]
ViewFunc = Callable[["EstateView", dt.datetime, Thresholds], "list[Finding]"]


@dataclass(frozen=True)
class Check:
    """A registered check. ``severity`` is what its findings carry (``docs/checks.md`` notes the
    few that lower it in a stated case); ``action`` is the verdict action its critical/high
    findings imply; ``reference`` is the runbook section it implements."""

    id: str
    title: str
    severity: str
    reference: str
    description: str
    controls: tuple[str, ...]
    func: CheckFunc = field(repr=False, compare=False)
    action: str = "none"
    #: the same check over an already built view (what :func:`fedaudit.audit` calls)
    on_view: ViewFunc | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise UsageError(f"{self.id}: severity must be one of {SEVERITIES}")
        if self.action not in ACTIONS:
            raise UsageError(f"{self.id}: action must be one of {ACTIONS}")
        if self.severity in ("critical", "high") and self.action == "none":
            raise UsageError(f"{self.id}: a critical/high check must imply an action other than none")

    def finding(self, *, severity: str | None = None, **kwargs: Any) -> Finding:
        """A finding of this check: id, severity, reference, controls and action filled in."""
        return Finding(
            id=self.id,
            severity=severity or self.severity,
            reference=kwargs.pop("reference", self.reference),
            controls=self.controls,
            action=self.action,
            **kwargs,
        )


# -- registration ---------------------------------------------------------------------------

#: Runbook sections (``Renew federation certificates for Microsoft 365 and Microsoft Entra ID``).
RUNBOOK = "Renew federation certificates for Microsoft 365 and Microsoft Entra ID"
REF_DEFAULT = f"{RUNBOOK} § Default configuration of AD FS for token signing certificates"
REF_NOTIFICATION = f"{RUNBOOK} § Renewal notification from the Microsoft 365 admin center or an email"
REF_STEP1 = f"{RUNBOOK} § Check if the certificates need to be updated, Step 1: Check the AutoCertificateRollover state"
REF_STEP2 = f"{RUNBOOK} § Check if the certificates need to be updated, Step 2: Confirm that AD FS and Microsoft Entra ID are in sync"
REF_STEP3 = (
    f"{RUNBOOK} § Check if the certificates need to be updated, Step 3: Check if your certificate is about to expire"
)
REF_AUTO = f"{RUNBOOK} § Renew the token signing certificate automatically (recommended)"
REF_MANUAL = f"{RUNBOOK} § Renew the token signing certificate manually"
REF_MANUAL1 = f"{REF_MANUAL}, Step 1: Ensure that AD FS has new token signing certificates"
REF_MANUAL2 = f"{REF_MANUAL}, Step 2: Update the new token signing certificates for the Microsoft 365 trust"
REF_CONNECT = f"{RUNBOOK} § Repair Microsoft Entra ID trust by using Microsoft Entra Connect"
REF_UPDATE_STEPS = f"{RUNBOOK} § AD FS and Microsoft Entra certificate update steps"

#: Compliance controls, spelled once.
SC_12 = "NIST SP 800-53 r5 SC-12"  # cryptographic key establishment and management
SC_13 = "NIST SP 800-53 r5 SC-13"  # cryptographic protection
SC_17 = "NIST SP 800-53 r5 SC-17"  # public key infrastructure certificates
SC_8 = "NIST SP 800-53 r5 SC-8"  # transmission confidentiality and integrity
IA_5_2 = "NIST SP 800-53 r5 IA-5(2)"  # public key-based authentication
CM_6 = "NIST SP 800-53 r5 CM-6"  # configuration settings
SI_4 = "NIST SP 800-53 r5 SI-4"  # system monitoring
SI_5 = "NIST SP 800-53 r5 SI-5"  # security alerts, advisories and directives
CA_7 = "NIST SP 800-53 r5 CA-7"  # continuous monitoring
CP_2 = "NIST SP 800-53 r5 CP-2"  # contingency plan (continuity of sign-in)
ISO_A_8_24 = "ISO/IEC 27001:2022 A.8.24"  # use of cryptography
ISO_A_8_9 = "ISO/IEC 27001:2022 A.8.9"  # configuration management
ISO_A_8_16 = "ISO/IEC 27001:2022 A.8.16"  # monitoring activities
ISO_A_5_37 = "ISO/IEC 27001:2022 A.5.37"  # documented operating procedures
ISO_A_5_36 = "ISO/IEC 27001:2022 A.5.36"  # compliance with policies, rules and standards


def define(
    registry: list[Check],
    *,
    id: str,
    title: str,
    severity: str,
    reference: str,
    description: str,
    controls: tuple[str, ...],
    action: str,
) -> Callable[[Callable[..., Any]], Check]:
    """Register ``inner(view, as_of, thresholds, new)`` as a check. ``new(**fields)`` makes a
    finding of this check; ``view`` is the joined :class:`~fedaudit.evidence.view.EstateView`."""

    def deco(inner: Callable[..., Any]) -> Check:
        holder: list[Check] = []

        def on_view(view: EstateView, as_of: dt.datetime, thresholds: Thresholds) -> list[Finding]:
            return list(inner(view, as_of, thresholds, holder[0].finding))

        def func(evidence: Evidence, as_of: dt.datetime, thresholds: Thresholds) -> list[Finding]:
            return on_view(view_of(evidence), as_of, thresholds)

        for wrapper in (func, on_view):
            wrapper.__name__ = inner.__name__
            wrapper.__doc__ = inner.__doc__
        check = Check(
            id=id,
            title=title,
            severity=severity,
            reference=reference,
            description=description,
            controls=controls,
            func=func,
            action=action,
            on_view=on_view,
        )
        holder.append(check)
        registry.append(check)
        return check

    return deco
