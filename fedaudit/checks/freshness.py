"""Findings that rest on evidence older than a rollover event say so.

An export of a farm taken before AD FS's generation or promotion date (or before the primary's
NotAfter, or before Entra ID's polling window opened) describes a state that has since changed
by itself. Such findings keep their conclusion (it is what the evidence shows) and gain one
sentence naming the capture time and the event, so nobody acts on a stale picture unknowingly.
Pure function of (findings, evidence, as_of, thresholds).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from fedaudit.checks._base import Finding, Thresholds
from fedaudit.checks.rollover import primary_of, projection
from fedaudit.evidence.view import EstateView, FarmFact

__all__ = ["annotate_stale"]

_EVENTS = {
    "generation": "generation of the next token-signing certificate",
    "promotion": "promotion of the next certificate",
    "critical": "CertificateCriticalThreshold",
    "entra_polling_start": "the start of Entra ID's metadata polling",
}


def _capture(farm: FarmFact, when: dict[str, dt.datetime]) -> dt.datetime | None:
    origins = {farm.origin} | {c.origin for c in farm.all_token_signing}
    times = [when[o] for o in origins if o in when]
    return min(times) if times else None


def _events(farm: FarmFact, captured: dt.datetime, as_of: dt.datetime, th: Thresholds) -> list[tuple[str, dt.datetime]]:
    primary = primary_of(farm)
    if primary is None or primary.not_after is None:
        return []
    out: list[tuple[str, dt.datetime]] = []
    if farm.rollover is True:
        p = projection(farm, primary, th, captured)
        out += [(_EVENTS[k], p[k]) for k in ("generation", "promotion", "critical")]
    out.append(
        ("the start of Entra ID's metadata polling", primary.not_after - dt.timedelta(days=th.expiry_warning_days))
    )
    out.append(("the expiry of the AD FS primary", primary.not_after))
    return sorted((name, t) for name, t in out if captured < t <= as_of)


def annotate_stale(findings: Iterable[Finding], view: EstateView, as_of: dt.datetime, th: Thresholds) -> list[Finding]:
    notes: dict[str, str] = {}
    when = {i.path: i.captured_at for i in view.evidence.inputs if i.captured_at is not None}
    if not when:
        return list(findings)
    for farm in view.farms.values():
        captured = _capture(farm, when)
        if captured is None or captured >= as_of:
            continue
        events = _events(farm, captured, as_of, th)
        if not events:
            continue
        listed = "; ".join(f"{name} ({t:%Y-%m-%d})" for name, t in events)
        notes[farm.name] = (
            f" Note: the AD FS evidence of {farm.name} was captured on {captured:%Y-%m-%d %H:%M} UTC, before {listed}, "
            "which fall between capture and the as-of date: the farm may have changed since, so re-export it before acting."
        )
    if not notes:
        return list(findings)
    out = []
    for f in findings:
        note = notes.get(f.farm or "")
        out.append(dataclasses.replace(f, detail=f.detail + note) if note and not f.id.startswith("evidence.") else f)
    return out
