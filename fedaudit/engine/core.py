"""``fedaudit.audit``: run every check over the evidence, then the verdict and the timeline.

::

    result = fedaudit.audit(fedaudit.load("exports/"), as_of="2026-11-27")
    result.verdicts      # one row per federated domain: decision-table inputs, action, reason
    result.findings      # one row per finding, most severe first, with evidence and remediation
    result.timeline      # certificate and rollover events per farm and domain
    result.to_dict()     # the JSON object `fedaudit check --format json` prints

Nothing here reads the clock: ``as_of`` is required.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fedaudit.checks import REGISTRY, SEVERITY_RANK, Finding, Thresholds
from fedaudit.checks._base import DEFAULT_THRESHOLDS
from fedaudit.checks.freshness import annotate_stale
from fedaudit.engine.verdict import build_timeline, build_verdicts
from fedaudit.engine.waivers import (
    AcceptedException,
    apply_exceptions,
    describe_unmatched,
    load_exceptions,
    unmatched_exceptions,
)
from fedaudit.errors import UsageError
from fedaudit.evidence.join import Evidence
from fedaudit.evidence.view import EstateView, build_view
from fedaudit.frames import empty_frame, frame_records, make_frame

__all__ = [
    "AuditResult",
    "DEFAULT_THRESHOLDS",
    "FAIL_ON",
    "audit",
    "exit_code",
    "finding_keys",
    "to_utc",
]

#: ``--fail-on`` values, most severe first; ``none`` never fails.
FAIL_ON = ("critical", "high", "warning", "info", "none")


def to_utc(value: dt.datetime | dt.date | str, name: str = "as_of") -> dt.datetime:
    """A tz-aware UTC datetime from a datetime (tz-aware), a date (midnight UTC) or ``YYYY-MM-DD``
    (an ISO 8601 timestamp with offset is accepted too)."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                value = dt.date.fromisoformat(text)
            else:
                value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"{name}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise UsageError(f"{name}: {value!r} has no time zone; pass a tz-aware datetime or a date")
        return value.astimezone(dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    raise UsageError(f"{name}: expected a datetime, a date or 'YYYY-MM-DD', got {type(value).__name__}")


@dataclass(frozen=True)
class AuditResult:
    """What :func:`audit` returns. Frames follow :data:`fedaudit.frames.SCHEMAS`."""

    as_of: dt.datetime
    evidence: Evidence = field(repr=False)
    verdicts: pd.DataFrame = field(repr=False)
    findings: pd.DataFrame = field(repr=False)
    timeline: pd.DataFrame = field(repr=False)
    notification_date: dt.datetime | None = None
    thresholds: Thresholds = field(default_factory=Thresholds, repr=False)
    #: accepted exceptions that cover no finding (one line each): warned, never silently carried
    unmatched_exceptions: tuple[str, ...] = ()

    @property
    def issues(self) -> pd.DataFrame:
        """The load issues of the evidence (also reported as ``evidence.load-issue`` findings)."""
        return self.evidence.issues if self.evidence is not None else empty_frame("issues")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of ``fedaudit check --format json``."""
        out: dict[str, Any] = {"as_of": self.as_of.isoformat()}
        if self.notification_date is not None:
            out["notification_date"] = self.notification_date.date().isoformat()
        out["verdicts"] = frame_records(self.verdicts)
        out["findings"] = frame_records(self.findings)
        out["timeline"] = frame_records(self.timeline)
        out["issues"] = frame_records(self.issues)
        return out

    def __repr__(self) -> str:
        counts = self.findings["severity"].value_counts() if len(self.findings) else {}
        parts = ", ".join(f"{s}={int(counts[s])}" for s in SEVERITY_RANK if counts.get(s))
        return (
            f"<AuditResult as_of={self.as_of:%Y-%m-%d} verdicts={len(self.verdicts)} "
            f"findings={len(self.findings)}{' (' + parts + ')' if parts else ''}>"
        )


def run_checks(
    evidence: Evidence, as_of: dt.datetime, thresholds: Thresholds, view: EstateView | None = None
) -> list[Finding]:
    """Every registered check's findings, de-duplicated by key, most severe first. Every check
    reads ``view`` (built from ``evidence`` when not given): one view per audit."""
    if view is None:
        view = build_view(evidence)
    order = {c.id: i for i, c in enumerate(REGISTRY)}
    seen: set[str] = set()
    out: list[Finding] = []
    for check in REGISTRY:
        found = check.on_view(view, as_of, thresholds) if check.on_view else check.func(evidence, as_of, thresholds)
        for f in found:
            if f.key in seen:
                continue
            seen.add(f.key)
            out.append(f)
    out.sort(key=lambda f: (-SEVERITY_RANK[f.severity], order.get(f.id, 0), f.farm or "", f.domain or "", f.key))
    return annotate_stale(out, view, as_of, thresholds)


def audit(
    evidence: Evidence,
    as_of: dt.datetime | dt.date | str,
    *,
    notification_date: dt.datetime | dt.date | str | None = None,
    thresholds: Mapping[str, float] | Thresholds | None = None,
    exceptions: str | os.PathLike[str] | Iterable[AcceptedException] | None = None,
) -> AuditResult:
    """Judge ``evidence`` as of ``as_of`` by the renewal runbook.

    ``notification_date``: the day a renewal e-mail arrived; adds the notification triage.
    ``thresholds``: overrides of :data:`DEFAULT_THRESHOLDS` (unknown names are a UsageError).
    ``exceptions``: accepted exceptions, as an exceptions file (TOML or CSV, see
    :mod:`fedaudit.engine.waivers`) or as records; the findings they cover are marked
    ``excepted`` (kept, never failing :func:`exit_code`). Applied here and nowhere else.
    """
    if not isinstance(evidence, Evidence):
        raise UsageError(f"audit() needs an Evidence (from fedaudit.load), got {type(evidence).__name__}")
    when = to_utc(as_of, "as_of")
    nd = to_utc(notification_date, "notification_date") if notification_date is not None else None
    th = Thresholds.from_mapping(thresholds, notification_date=nd)
    # the one view of this audit: frames edited in place since an earlier audit are read afresh
    view = build_view(evidence)
    findings = run_checks(evidence, when, th, view)
    frame = make_frame("findings", [f.row() for f in findings])
    unmatched: tuple[str, ...] = ()
    if exceptions is not None:
        accepted = load_exceptions(exceptions) if isinstance(exceptions, (str, os.PathLike)) else list(exceptions)
        frame = apply_exceptions(frame, accepted, when)
        unmatched = tuple(describe_unmatched(e) for e in unmatched_exceptions(frame, accepted))
    return AuditResult(
        as_of=when,
        evidence=evidence,
        verdicts=build_verdicts(view, findings, when, th),
        findings=frame,
        timeline=build_timeline(view, when, th),
        notification_date=nd,
        thresholds=th,
        unmatched_exceptions=unmatched,
    )


def exit_code(result: AuditResult, fail_on: str) -> int:
    """1 when a finding not covered by an exception is at or above ``fail_on``, else 0."""
    if fail_on not in FAIL_ON:
        raise UsageError(f"fail_on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    if fail_on == "none" or not len(result.findings):
        return 0
    floor = SEVERITY_RANK[fail_on]
    frame = result.findings
    excepted = (
        frame["excepted"].fillna(False).astype(bool) if "excepted" in frame else pd.Series(False, index=frame.index)
    )
    for severity, exc in zip(frame["severity"].astype(str), excepted):
        if not exc and SEVERITY_RANK.get(severity, 0) >= floor:
            return 1
    return 0


def finding_keys(findings: pd.DataFrame) -> pd.Series:
    """The stable identity of each finding across runs: the engine's ``key``, else id|farm|domain."""

    def fallback(row: Any) -> str:
        return "|".join("" if pd.isna(row[c]) else str(row[c]) for c in ("id", "farm", "domain"))

    if not len(findings):
        return pd.Series([], dtype="string", index=findings.index)
    made = findings.apply(fallback, axis=1).astype("string")
    if "key" in findings.columns:
        return findings["key"].astype("string").fillna(made)
    return made
