"""The runbook's decision table per federated domain, raised by the findings; and the timeline.

Decision table (runbook Step 3), inputs per domain:

=====================  ===========  ==================  ===================  ================================
AutoCertificateRollover  In sync    Metadata public     Days left            Action
=====================  ===========  ==================  ===================  ================================
Yes                    Yes          Yes                 -                    ``none`` (row 1)
Yes                    No           -                   < 15                 ``renew-now`` (row 2)
No                     -            -                   < 35                 ``renew-now`` (row 3)
=====================  ===========  ==================  ===================  ================================

and the cases the table leaves open (documented in ``docs/checks.md``):

* Yes / No / - / >= 15 -> ``update-entra`` (manual Step 2: push AD FS's certificates to Entra ID)
* Yes / Yes / No -> ``fix-metadata`` (automatic renewal cannot reach Entra ID)
* No / - / - / >= 35 -> ``enable-rollover`` (self-signed) or ``plan-renewal`` (CA-issued)

An unknown input (export missing) is handled without guessing: the table is evaluated for every
value the unknown inputs could take; if all give the same action, that is the action (for
example rollover off and 10 days left is ``renew-now`` whatever the metadata), otherwise the
action is ``insufficient-evidence`` and ``missing`` names each absent export with the command
that produces it.

The table is the floor of the judgement: every critical or high finding that stands for the
domain (or its farm) implies an action (:attr:`fedaudit.checks.Check.action`), and the verdict
takes the most urgent of them (:data:`fedaudit.checks.ACTION_RANK`). A verdict is therefore never
``none`` while such a finding stands.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

import pandas as pd

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import ACTION_RANK, SEVERITY_RANK, Finding, Thresholds
from fedaudit.checks.rollover import live_secondaries, primary_of, projection, threshold_days
from fedaudit.evidence.idp import IDP_NAMES
from fedaudit.evidence.view import DomainState, EstateView, FarmFact, domain_state, metadata_public
from fedaudit.frames import make_frame

__all__ = [
    "TIMELINE_EVENTS",
    "build_timeline",
    "build_verdicts",
    "days_left_text",
    "decide",
    "table",
    "urgency_key",
    "urgency_order",
]

#: Timeline ``event`` values and what they mark.
TIMELINE_EVENTS = {
    "not_before": "a certificate becomes valid",
    "not_after": "a certificate expires",
    "projected_generation": "AD FS generates the next token-signing certificate (CertificateGenerationThreshold days before NotAfter)",
    "projected_promotion": "AD FS promotes it to primary (CertificatePromotionThreshold days after generation)",
    "critical_threshold": "AD FS generates and promotes at once if it has not yet (CertificateCriticalThreshold days before NotAfter)",
    "entra_polling_start": "Entra ID starts polling the metadata for a new certificate (35 days before NotAfter)",
    "mark_15_days": "15 days before NotAfter: the runbook's 'renew immediately' line (row 2)",
    "as_of": "the audit date",
}


def _bucket_values(th: Thresholds) -> list[float]:
    """One representative days-left value per region of the table."""
    return [
        -1.0,
        th.expiry_urgent_days / 2,
        (th.expiry_urgent_days + th.expiry_warning_days) / 2,
        th.expiry_warning_days + 365,
    ]


def table(
    rollover: bool, in_sync: bool, metadata_public: bool, days_left: float, *, ca_issued: bool | None, th: Thresholds
) -> tuple[str, str]:
    """(action, row) for fully known inputs."""
    if rollover is False:
        if days_left < th.expiry_warning_days:
            return "renew-now", "row 3"
        return ("plan-renewal" if ca_issued else "enable-rollover"), "rollover off, 35 days or more"
    if in_sync is False:
        if days_left < th.expiry_urgent_days:
            return "renew-now", "row 2"
        return "update-entra", "out of sync, 15 days or more"
    if metadata_public:
        return "none", "row 1"
    return "fix-metadata", "metadata not public"


def decide(
    rollover: bool | None,
    in_sync: bool | None,
    metadata_public: bool | None,
    days_left: float | None,
    *,
    ca_issued: bool | None,
    th: Thresholds,
) -> tuple[str, set[str]]:
    """(action, rows) over every completion of the unknown inputs; insufficient-evidence when
    the completions disagree."""
    rs = [rollover] if rollover is not None else [True, False]
    ss = [in_sync] if in_sync is not None else [True, False]
    ms = [metadata_public] if metadata_public is not None else [True, False]
    ds = [days_left] if days_left is not None else _bucket_values(th)
    outcomes = {table(r, s, m, d, ca_issued=ca_issued, th=th) for r, s, m, d in itertools.product(rs, ss, ms, ds)}
    actions = {a for a, _ in outcomes}
    if len(actions) == 1:
        return actions.pop(), {row for _, row in outcomes}
    return "insufficient-evidence", set()


def _days_text(days: float | None) -> str:
    if days is None:
        return "expiry unknown"
    if days < 0:
        return f"expired {days_left_text(-days)} days ago"
    # the number as the verdict tables print it (one formatter: days_left_text)
    return f"{days_left_text(days)} days left"


def _inputs_text(st: DomainState) -> dict[str, str]:
    r = {True: "automatic rollover is on", False: "automatic rollover is off", None: "the rollover state is unknown"}[
        st.rollover
    ]
    if st.in_sync is None:
        s = "whether Entra ID holds AD FS's certificates is unknown"
    elif st.in_sync:
        s = "Entra ID holds AD FS's certificates"
    elif st.primary_in_entra is False:
        s = f"Entra ID lacks AD FS's primary certificate {st.missing_primary[0].thumbprint[:8]}"
    else:
        s = f"Entra ID lacks AD FS's next certificate {st.missing_secondary[0].thumbprint[:8]}"
    if st.metadata_public is None:
        m = "the metadata was not fetched"
    elif st.metadata_public:
        m = "the metadata is public"
    else:
        m = f"the metadata is not reachable ({st.metadata_basis})"
    d = _days_text(st.days_left)
    if st.broken_now:
        d = (
            "sign-in fails now (0 days left"
            + (
                f"; the AD FS primary itself has {_days_text(st.cert_days)}"
                if st.cert_days is not None and st.cert_days > 0
                else ""
            )
            + ")"
        )
    return {"R": r, "S": s, "M": m, "D": d}


def _base_reason(action: str, rows: set[str], st: DomainState, th: Thresholds) -> str:
    t = _inputs_text(st)
    rowtxt = " or ".join(sorted(r for r in rows if r.startswith("row")))
    rowref = f" (runbook {rowtxt})" if rowtxt else ""
    due = ""
    if st.days_cert is not None and st.days_cert.not_after is not None:
        due = f"{st.days_cert.not_after - dt.timedelta(days=th.expiry_warning_days):%Y-%m-%d}"
    if action == "none":
        return f"No action needed{rowref}: {t['R']}, {t['S']} and {t['M']}; {t['D']}."
    if action == "renew-now":
        if "row 3" in rows and "row 2" not in rows:
            return f"Renew now{rowref}: {t['R']} and {t['D']} (under {th.expiry_warning_days:g})."
        if "row 2" in rows and "row 3" not in rows:
            return f"Renew now{rowref}: {t['S']} and {t['D']} (under {th.expiry_urgent_days:g})."
        return f"Renew now{rowref}: {t['R']}, {t['S']}; {t['D']}."
    if action == "update-entra":
        if st.primary_in_entra is False:
            return f"Update Entra ID: {t['S']}, so its tokens are rejected now; push it at once (manual renewal Step 2); {t['D']}."
        return f"Update Entra ID: {t['S']}; push it before AD FS promotes it (manual renewal Step 2); {t['D']}."
    if action == "fix-metadata":
        return f"Fix the metadata: {t['R']} and {t['S']}, but {t['M']}, so Entra ID cannot fetch the next certificate; {t['D']}."
    if action == "enable-rollover":
        return f"Enable automatic rollover: it is off with self-signed certificates; {t['D']}" + (
            f", so renew by hand before {due} if it stays off." if due else "."
        )
    if action == "plan-renewal":
        return f"Plan the manual renewal: {t['R']} (CA-issued certificate); {t['D']}" + (
            f"; renew before {due}." if due else "."
        )
    unknown = [
        name
        for name, value in (
            ("rollover state", st.rollover),
            ("sync", st.in_sync),
            ("metadata reachability", st.metadata_public),
            ("days left", st.days_left),
        )
        if value is None
    ]
    if not unknown:
        return "Cannot judge: the evidence is incomplete; see missing."
    listed = unknown[0] if len(unknown) == 1 else ", ".join(unknown[:-1]) + " and " + unknown[-1]
    verb = "is" if len(unknown) == 1 else "are"
    return f"Cannot judge: the {listed} {verb} unknown and the answer depends on {'it' if len(unknown) == 1 else 'them'}; see missing."


def _idp_reason(action: str, st: DomainState, th: Thresholds, *, next_held: bool = False) -> str:
    name = IDP_NAMES.get(st.idp or "other", "a non-AD FS identity provider")
    due = ""
    if st.days_cert is not None and st.days_cert.not_after is not None:
        due = f"{st.days_cert.not_after - dt.timedelta(days=th.expiry_warning_days):%Y-%m-%d}"
    head = (
        f"{st.domain.name} signs in with {name}, not AD FS: Entra ID does not fetch its certificates, so each "
        "renewal is pushed to Entra ID by hand"
    )
    if action == "renew-now":
        return (
            f"Renew now (as runbook row 3): {head}, and {_days_text(st.days_left)} (under {th.expiry_warning_days:g})."
        )
    if action == "plan-renewal":
        if next_held:
            return (
                f"Plan the renewal: {head}; {_days_text(st.days_left)} on the current certificate, and Entra ID "
                "already holds the next one (NextSigningCertificate): make sure the provider switches to it in time."
            )
        return f"Plan the renewal: {head}; {_days_text(st.days_left)}" + (
            f"; push the next certificate before {due}." if due else "."
        )
    return f"Cannot judge: {head}; the expiry of the certificate Entra ID holds is unknown; see missing."


def _applies(f: Finding, domain: str | None, farm: str | None) -> bool:
    if domain is not None and f.domain == domain:
        return True
    if f.domain is None and farm is not None and f.farm == farm:
        return True
    if domain is None and farm is not None and f.farm == farm:
        return True
    if domain is None and farm is None and f.domain is None and f.farm is None:
        return True  # the one verdict of evidence with no farm and no domain
    return False


class _FindingIndex:
    """The findings by domain and by farm, so that each verdict looks up the findings that stand
    for it (:func:`_applies`) instead of scanning every finding: linear in findings + verdicts."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.by_domain: dict[str, list[int]] = {}
        self.farm_wide: dict[str, list[int]] = {}  # findings about the farm, no domain
        self.by_farm: dict[str, list[int]] = {}  # every finding naming the farm
        self.nowhere: list[int] = []  # neither farm nor domain
        for i, f in enumerate(findings):
            if f.domain is not None:
                self.by_domain.setdefault(f.domain, []).append(i)
            if f.farm is not None:
                self.by_farm.setdefault(f.farm, []).append(i)
                if f.domain is None:
                    self.farm_wide.setdefault(f.farm, []).append(i)
            elif f.domain is None:
                self.nowhere.append(i)

    def applying(self, domain: str | None, farm: str | None) -> list[Finding]:
        """``[f for f in findings if _applies(f, domain, farm)]``, in the findings' order."""
        if domain is not None:
            hits = set(self.by_domain.get(domain, ()))
            if farm is not None:
                hits.update(self.farm_wide.get(farm, ()))
        elif farm is not None:
            hits = set(self.by_farm.get(farm, ()))
        else:
            hits = set(self.nowhere)
        return [self.findings[i] for i in sorted(hits)]


def _verdict(
    *,
    domain: str | None,
    farm: str | None,
    st: DomainState | None,
    rollover: bool | None,
    in_sync: bool | None,
    mpub: bool | None,
    days: float | None,
    table_days: float | None = None,
    ca_issued: bool | None,
    missing: list[str],
    findings: _FindingIndex,
    th: Thresholds,
    base_reason: str | None,
    primary_tp: str | None,
    entra_tp: str | None,
    not_after: dt.datetime | None,
) -> dict[str, Any]:
    if st is not None and st.non_adfs:
        # No AutoCertificateRollover and no metadata poll: Entra ID holds what was pushed to it, so
        # every renewal is manual, like rollover off with a CA-issued certificate (row 3 under 35 days).
        # A next certificate Entra already holds carries the domain past the current one's expiry.
        nexts = [
            c
            for c in st.domain.entra_next
            if c.not_after is not None
            and st.days_cert is not None
            and st.days_cert.not_after is not None
            and c.not_after > st.days_cert.not_after
        ]
        ahead = days
        if nexts and days is not None and st.days_cert is not None and st.days_cert.not_after is not None:
            best = max(nexts, key=lambda c: c.not_after)  # type: ignore[arg-type,return-value]
            ahead = days + (best.not_after - st.days_cert.not_after).total_seconds() / 86400  # type: ignore[operator]
        action, rows = decide(False, None, None, ahead, ca_issued=True, th=th)
        reason = _idp_reason(action, st, th, next_held=bool(nexts))
    else:
        action, rows = decide(
            rollover, in_sync, mpub, days if table_days is None else table_days, ca_issued=ca_issued, th=th
        )
        reason = _base_reason(action, rows, st, th) if st is not None else (base_reason or "")
    if st is None and action == "insufficient-evidence":
        reason = base_reason or "Cannot judge: no federated domain and no AD FS evidence."
    mine = findings.applying(domain, farm)
    serious = [f for f in mine if f.severity in ("critical", "high")]
    raisers = [f for f in serious if ACTION_RANK[f.action] > ACTION_RANK[action]]
    if raisers:
        top = max(ACTION_RANK[f.action] for f in raisers)
        new_action = next(a for a, r in ACTION_RANK.items() if r == top)
        why = [f for f in raisers if f.action == new_action]
        reason = (
            f"{_ACTION_WORDS[new_action]}: {why[0].title} ({why[0].id}, {why[0].severity})"
            + (f"; also {', '.join(sorted({f.id for f in why[1:]}))}" if len(why) > 1 else "")
            + f". The decision table alone says {action}: {reason}"
        )
        action = new_action
    if action == "none" and serious:  # defensive: a check must never let this through
        action = "insufficient-evidence"
    if action == "none":
        # "No action needed" is never said while a warning that stands for the domain asks for a
        # change in Entra ID, the metadata or the certificates (mixed IssuerUri forms, a stale
        # certificate Entra still accepts, ...): the verdict takes the action of the first one.
        asking = [f for f in mine if f.severity == "warning" and f.action in _WARNING_ACTIONS]
        if asking:
            f0 = asking[0]
            action = f0.action
            reason = (
                f"{_ACTION_WORDS[action]}: {f0.title} ({f0.id}, warning). The decision table alone says none: " + reason
            )
    if action == "none" and None in (rollover, in_sync, mpub, days):
        # Row 1 ignores validity, but "none" is only ever said on complete evidence.
        action = "insufficient-evidence"
        reason = "Cannot judge: the days left are unknown (certificate dates not in the evidence); see missing."
    if missing and action not in ("insufficient-evidence",):
        reason += " Evidence still missing: " + "; ".join(m.split(":")[0] for m in missing) + "."
    severity = max((f.severity for f in mine), key=lambda s: SEVERITY_RANK[s], default=None)
    return {
        "domain": domain,
        "farm": farm,
        "auto_certificate_rollover": rollover,
        "in_sync": in_sync,
        "metadata_public": mpub,
        "days_left": round(days, 2) if days is not None else None,
        "action": action,
        "reason": reason,
        "severity": severity,
        "primary_thumbprint": primary_tp,
        "entra_thumbprint": entra_tp,
        "not_after": not_after,
        "missing": "; ".join(missing) if missing else None,
    }


#: Actions of warnings that keep a verdict from being ``none``.
_WARNING_ACTIONS = ("renew-now", "update-entra", "fix-metadata")

_ACTION_WORDS = {
    "renew-now": "Renew now",
    "update-entra": "Update Entra ID",
    "insufficient-evidence": "Cannot judge",
    "fix-metadata": "Fix the metadata",
    "enable-rollover": "Enable automatic rollover",
    "plan-renewal": "Plan the renewal",
    "none": "No action needed",
}


def build_verdicts(view: EstateView, findings: Iterable[Finding], as_of: dt.datetime, th: Thresholds) -> pd.DataFrame:
    """One row per federated domain; one per farm with no federated domain in the evidence;
    one row for evidence with neither."""
    index = _FindingIndex(list(findings))
    rows: list[dict[str, Any]] = []
    for d in view.federated_domains:
        st = domain_state(view, d, as_of, th)
        entra_tp = sorted(d.current_tps)[0] if d.current_tps else None
        rows.append(
            _verdict(
                domain=d.name,
                farm=d.farm,
                st=st,
                rollover=st.rollover,
                in_sync=st.in_sync,
                mpub=st.metadata_public,
                days=st.days_left,
                table_days=st.cert_days,
                ca_issued=st.ca_issued,
                missing=st.missing,
                findings=index,
                th=th,
                base_reason=None,
                primary_tp=st.days_cert.thumbprint
                if st.days_cert is not None and st.days_cert in st.adfs_primaries
                else (st.adfs_primaries[0].thumbprint if st.adfs_primaries else None),
                entra_tp=entra_tp,
                not_after=st.days_cert.not_after if st.days_cert else None,
            )
        )
    for farm in view.farms.values():
        if view.domains_of(farm):
            continue
        rows.append(_farm_row(view, farm, index, as_of, th))
    if not rows:
        missing = [
            "AD FS properties: Get-AdfsProperties (on an AD FS server)",
            "AD FS token-signing certificates: Get-AdfsCertificate -CertificateType Token-Signing",
            "Entra domains: Get-MgDomain | ConvertTo-Json -Depth 5 | Out-File domains.json "
            "(after Connect-MgGraph -Scopes 'Domain.Read.All', or run collect/Collect-FedauditEvidence.ps1)",
            "Entra settings for each federated domain: Get-MgDomain | Where-Object AuthenticationType -eq Federated "
            "| ForEach-Object { Get-MgDomainFederationConfiguration -DomainId $_.Id | ConvertTo-Json -Depth 5 "
            "| Out-File \"federation-$($_.Id).json\" } (after Connect-MgGraph -Scopes 'Domain.Read.All')",
        ]
        rows.append(
            _verdict(
                domain=None,
                farm=None,
                st=None,
                rollover=None,
                in_sync=None,
                mpub=None,
                days=None,
                ca_issued=None,
                missing=missing,
                findings=index,
                th=th,
                base_reason="Cannot judge: the evidence holds no AD FS farm and no federated domain.",
                primary_tp=None,
                entra_tp=None,
                not_after=None,
            )
        )
    rows.sort(key=_urgency)
    return make_frame("verdicts", rows)


def _urgency(row: dict[str, Any]) -> tuple[int, int, float, str, str]:
    return urgency_key(row.get("days_left"), row.get("severity"), row.get("domain"), row.get("farm"))


def _blank(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def urgency_key(days_left: Any, severity: Any, domain: Any, farm: Any) -> tuple[int, int, float, str, str]:
    """The one urgency order of verdicts (the verdict table, the report's summary and its
    timeline all use it). Most urgent first: sign-in broken now (no days left), then severity,
    then days left (unknown after known), then the name. Missing values (None, NA, NaN) are
    accepted, so it works on a frame's cells as well as on the builder's rows."""
    days = None if _blank(days_left) else float(days_left)
    broken = days is not None and days <= 0
    sev = 0 if _blank(severity) else SEVERITY_RANK.get(str(severity), 0)
    return (
        0 if broken else 1,
        -sev,
        days if days is not None else float("inf"),
        "" if _blank(domain) else str(domain),
        "" if _blank(farm) else str(farm),
    )


def urgency_order(verdicts: pd.DataFrame) -> list[int]:
    """Positions (``iloc``) of a verdicts frame's rows, most urgent first (:func:`urgency_key`)."""
    severity = verdicts["severity"] if "severity" in verdicts.columns else [None] * len(verdicts)
    keys = [
        urgency_key(d, s, n, f)
        for d, s, n, f in zip(verdicts["days_left"], severity, verdicts["domain"], verdicts["farm"])
    ]
    return sorted(range(len(keys)), key=keys.__getitem__)


def days_left_text(days_left: Any) -> str:
    """Days left as every table prints them (the report's summary and verdict table, ``fedaudit
    check``): one decimal under 35 days, whole days from 35 on, "unknown" when missing."""
    if _blank(days_left):
        return "unknown"
    value = float(days_left)
    return f"{value:,.0f}" if abs(value) >= 35 else f"{value:,.1f}"


def _farm_row(
    view: EstateView, farm: FarmFact, findings: _FindingIndex, as_of: dt.datetime, th: Thresholds
) -> dict[str, Any]:
    primary = primary_of(farm)
    days = primary.days_left(as_of) if primary is not None else None
    mpub, _ = metadata_public(farm.metadata)
    missing = [
        f"Entra domains federated with {farm.name}: Get-MgDomain "
        "| Where-Object AuthenticationType -eq Federated | ForEach-Object { Get-MgDomainFederationConfiguration "
        '-DomainId $_.Id | ConvertTo-Json -Depth 5 | Out-File "federation-$($_.Id).json" } '
        "(after Connect-MgGraph -Scopes 'Domain.Read.All')"
    ]
    if farm.rollover is None:
        missing.append(f"AD FS properties of {farm.name}: Get-AdfsProperties (on an AD FS server of {farm.name})")
    if primary is None:
        missing.append(
            f"AD FS token-signing certificates of {farm.name}: Get-AdfsCertificate -CertificateType Token-Signing"
        )
    if mpub is None:
        missing.append(f"federation metadata of {farm.name}: {rm.fetch_command(farm.metadata_url)}")
    ca = None
    flags = [c.self_signed for c in farm.ts_primaries if c.self_signed is not None]
    if flags:
        ca = not all(flags)
    action, _ = decide(farm.rollover, None, mpub, days, ca_issued=ca, th=th)
    if action == "renew-now":
        base = f"Renew now (runbook row 3): automatic rollover is off and {_days_text(days)}; no federated domain of {farm.name} is in the evidence."
    else:
        base = f"Cannot judge {farm.name} for Entra ID: no federated domain of this farm is in the evidence; {_days_text(days)}."
    return _verdict(
        domain=None,
        farm=farm.name,
        st=None,
        rollover=farm.rollover,
        in_sync=None,
        mpub=mpub,
        days=days,
        ca_issued=ca,
        missing=missing,
        findings=findings,
        th=th,
        base_reason=base,
        primary_tp=primary.thumbprint if primary else None,
        entra_tp=None,
        not_after=primary.not_after if primary else None,
    )


# -- timeline ----------------------------------------------------------------------------------


def build_timeline(view: EstateView, as_of: dt.datetime, th: Thresholds) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []

    def add(
        farm: str | None,
        domain: str | None,
        event: str,
        time: dt.datetime | None,
        thumbprint: str | None,
        source: str | None,
        detail: str,
    ) -> None:
        if time is None:
            return
        rows.append(
            {
                "farm": farm,
                "domain": domain,
                "event": event,
                "time": time,
                "thumbprint": thumbprint,
                "source": source,
                "detail": detail,
            }
        )

    for farm in view.farms.values():
        for label, certs in (("AD FS primary", farm.ts_primaries), ("AD FS secondary", farm.ts_secondaries)):
            for c in certs:
                add(
                    farm.name,
                    None,
                    "not_before",
                    c.not_before,
                    c.thumbprint,
                    "adfs",
                    f"{label} token-signing certificate valid from",
                )
                add(
                    farm.name,
                    None,
                    "not_after",
                    c.not_after,
                    c.thumbprint,
                    "adfs",
                    f"{label} token-signing certificate expires",
                )
        primary = primary_of(farm)
        if primary is not None and primary.not_after is not None:
            na = primary.not_after
            gen_d, promo_d, crit_d, interval = threshold_days(farm, th)
            if farm.rollover is not False:
                cond = "" if farm.rollover else " (if AutoCertificateRollover is on: not in the evidence)"
                lag = f"; up to {interval / 60:g} h later (CertificateRolloverInterval {interval:g} min)"
                secs = live_secondaries(farm, as_of)
                # The same dates the rollover checks use (thresholds in CertificateThresholdMultiplier units).
                proj = projection(farm, primary, th, as_of)
                gen = proj["generation"]
                gen_detail = f"CertificateGenerationThreshold {gen_d:g} days before NotAfter{lag}{cond}"
                if secs:
                    gen_detail = f"secondary {secs[0].thumbprint[:8]} generated (its NotBefore)"
                overdue = " (overdue: not promoted)" if secs and proj["promotion"] + proj["interval"] < as_of else ""
                early = (
                    " (before Entra ID starts polling: push the certificate by hand)"
                    if proj["promotion"] < proj["entra_polling_start"]
                    else ""
                )
                add(farm.name, None, "projected_generation", gen, primary.thumbprint, "projection", gen_detail)
                add(
                    farm.name,
                    None,
                    "projected_promotion",
                    proj["promotion"],
                    primary.thumbprint,
                    "projection",
                    f"CertificatePromotionThreshold {promo_d:g} days after generation{lag}{cond}{overdue}{early}",
                )
                add(
                    farm.name,
                    None,
                    "critical_threshold",
                    proj["critical"],
                    primary.thumbprint,
                    "projection",
                    f"CertificateCriticalThreshold {crit_d:g} days before NotAfter{cond}",
                )
            add(
                farm.name,
                None,
                "entra_polling_start",
                na - dt.timedelta(days=th.expiry_warning_days),
                primary.thumbprint,
                "runbook",
                f"Entra ID polls the metadata from {th.expiry_warning_days:g} days before the AD FS primary expires",
            )
            add(
                farm.name,
                None,
                "mark_15_days",
                na - dt.timedelta(days=th.expiry_urgent_days),
                primary.thumbprint,
                "runbook",
                f"{th.expiry_urgent_days:g} days before the AD FS primary expires (decision table row 2)",
            )
        add(farm.name, None, "as_of", as_of, None, "audit", "audit date")

    for d in view.federated_domains:
        for label, certs in (
            ("Entra SigningCertificate", d.entra_current),
            ("Entra NextSigningCertificate", d.entra_next),
        ):
            for c in certs:
                add(d.farm, d.name, "not_before", c.not_before, c.thumbprint, "entra", f"{label} valid from")
                add(d.farm, d.name, "not_after", c.not_after, c.thumbprint, "entra", f"{label} expires")
        st = domain_state(view, d, as_of, th)
        if st.days_cert is not None and st.days_cert.not_after is not None:
            na = st.days_cert.not_after
            add(
                d.farm,
                d.name,
                "entra_polling_start",
                na - dt.timedelta(days=th.expiry_warning_days),
                st.days_cert.thumbprint,
                "runbook",
                f"Entra ID polls the metadata for {d.name} ({st.days_basis})",
            )
            add(
                d.farm,
                d.name,
                "mark_15_days",
                na - dt.timedelta(days=th.expiry_urgent_days),
                st.days_cert.thumbprint,
                "runbook",
                f"{th.expiry_urgent_days:g} days before expiry ({st.days_basis})",
            )
        add(d.farm, d.name, "as_of", as_of, None, "audit", "audit date")
    frame = make_frame("timeline", rows)
    if len(frame):
        frame = frame.sort_values(["farm", "domain", "time", "event"], na_position="first", kind="stable").reset_index(
            drop=True
        )
    return frame
