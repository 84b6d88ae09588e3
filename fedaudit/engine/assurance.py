"""Positive assurance: which check was performed on which farm or domain, and with what result.

A report that lists only failures cannot tell "checked and fine" from "never checked". Two
frames answer that, from an :class:`~fedaudit.engine.AuditResult` alone (pure, no IO):

* :func:`checks_performed` - one row per check and unit it applies to (a farm, a federated
  domain, or the whole estate), with ``status`` one of :data:`STATUSES`:

  - ``fail``: an open finding of warning severity or above
  - ``excepted``: such findings exist and every one is an accepted exception
  - ``pass``: the evidence the check needs was there and nothing was found (info
    observations are counted in ``notes``; they are not failures)
  - ``not applicable``: the check has nothing to judge here (the notification triage without
    a notification date)
  - ``not evaluated``: evidence the check needs is missing; ``missing`` names it

* :func:`control_matrix` - one row per compliance control the checks declare (NIST SP 800-53
  r5, ISO/IEC 27001:2022): the checks that support it and the combined status.

:func:`assurance_document` is both as the JSON object ``assurance.json`` holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from fedaudit.checks import REGISTRY
from fedaudit.frames import frame_records

__all__ = [
    "CONTROL_STATUSES",
    "STATUSES",
    "CheckScope",
    "assurance_document",
    "checks_performed",
    "control_matrix",
    "scope_of",
]

STATUSES = ("fail", "excepted", "pass", "not applicable", "not evaluated")
CONTROL_STATUSES = ("fail", "excepted", "pass", "partial", "not evaluated", "not applicable")
_FAILING = ("critical", "high", "warning")

#: Evidence a check may need, with the words a reader sees when it is missing.
ADFS_CERTS = "AD FS certificates (Get-AdfsCertificate)"
ADFS_PROPS = "AD FS properties (Get-AdfsProperties)"
ENTRA = "Entra ID federation settings of the domain (Get-MgDomainFederationConfiguration)"
METADATA = "federation metadata of the farm"
FETCH = "a fetch of the farm's metadata URL (fedaudit fetch)"
FARM = "the AD FS farm of the domain"
NOTIFICATION = "a notification date (--notification-date)"


@dataclass(frozen=True)
class CheckScope:
    """What a check is judged per (``farm``, ``domain`` or ``estate``) and what it needs."""

    unit: str
    needs: tuple[str, ...] = ()


#: By check id, else by family (the part before the dot). A check that is not named here is
#: judged per farm with no declared needs: it still appears, as pass or fail.
_SCOPES: dict[str, CheckScope] = {
    "adfs.auto-rollover-disabled": CheckScope("farm", (ADFS_PROPS,)),
    "adfs": CheckScope("farm", (ADFS_CERTS,)),
    "rollover": CheckScope("farm", (ADFS_CERTS,)),
    "expiry.manual-renewal-due": CheckScope("farm", (ADFS_CERTS, ADFS_PROPS)),
    "expiry": CheckScope("farm", (ADFS_CERTS,)),
    "crypto": CheckScope("farm", (ADFS_CERTS,)),
    "metadata.unreachable": CheckScope("farm", (FETCH,)),
    "metadata.tls-invalid": CheckScope("farm", (FETCH,)),
    "metadata.insecure-fetch": CheckScope("farm", (FETCH,)),
    "metadata": CheckScope("farm", (METADATA,)),
    "sync": CheckScope("domain", (FARM, ADFS_CERTS, ENTRA)),
    "entra.issuer-uri-mismatch": CheckScope("domain", (FARM, ADFS_PROPS, ENTRA)),
    "entra": CheckScope("domain", (ENTRA,)),
    "notification": CheckScope("domain", (NOTIFICATION,)),
    "evidence": CheckScope("estate"),
}


def scope_of(check_id: str) -> CheckScope:
    """The unit a check is judged per and the evidence it needs."""
    family = check_id.split(".", 1)[0]
    return _SCOPES.get(check_id) or _SCOPES.get(family) or CheckScope("farm")


def _s(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    text = str(value)
    return text if text and text != "<NA>" else None


_COLUMNS = {
    "check": "string",
    "title": "string",
    "severity": "string",
    "unit": "string",
    "farm": "string",
    "domain": "string",
    "status": "string",
    "findings": "Int64",
    "excepted": "Int64",
    "notes": "Int64",
    "missing": "string",
    "controls": "string",
}


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def checks_performed(result: Any, checks: Iterable[Any] | None = None) -> pd.DataFrame:
    """Every check x every farm or federated domain it applies to, with its status (see the
    module docstring). ``checks`` defaults to :data:`fedaudit.checks.REGISTRY`."""
    checks = list(REGISTRY if checks is None else checks)
    evidence = result.evidence
    certs = evidence.certificates
    verdicts = result.verdicts
    found = result.findings

    adfs_farms = {f for f in certs.loc[certs["source"] == "adfs", "farm"].dropna().astype(str)}
    props_farms = {
        str(f)
        for f, auto in zip(evidence.farms["farm"], evidence.farms["auto_certificate_rollover"])
        if not pd.isna(auto)
    }
    meta = evidence.metadata
    meta_farms = {str(f) for f in meta["farm"].dropna()} if len(meta) else set()
    fetch_farms = {str(f) for f, url in zip(meta["farm"], meta["url"]) if _s(f) and _s(url)} if len(meta) else set()
    domains_frame = evidence.domains
    entra_domains = {
        str(d).lower()
        for d, has in zip(domains_frame["domain"], domains_frame["has_settings"])
        if not pd.isna(has) and bool(has)
    }
    domain_farm: dict[str, str | None] = {}
    for domain, farm in zip(verdicts["domain"], verdicts["farm"]):
        if _s(domain):
            domain_farm[str(domain)] = _s(farm)
    farms = sorted(
        {str(f) for f in evidence.farms["farm"].dropna()} | adfs_farms | {f for f in domain_farm.values() if f}
    )
    notification = getattr(result, "notification_date", None) is not None

    def has(need: str, farm: str | None, domain: str | None) -> bool:
        if need == ADFS_CERTS:
            return farm in adfs_farms
        if need == ADFS_PROPS:
            return farm in props_farms
        if need == METADATA:
            return farm in meta_farms
        if need == FETCH:
            return farm in fetch_farms
        if need == ENTRA:
            return domain is not None and domain.lower() in entra_domains
        if need == FARM:
            return farm is not None
        if need == NOTIFICATION:
            return notification
        return True

    # findings per (check, farm) and (check, domain): counted once, looked up per cell
    open_by: dict[tuple[str, str, str], list[int]] = {}
    excepted_flags = (
        found["excepted"].fillna(False).astype(bool).tolist() if "excepted" in found.columns else [False] * len(found)
    )
    for cid, sev, farm, domain, exc in zip(
        found["id"], found["severity"], found["farm"], found["domain"], excepted_flags
    ):
        key_farm, key_domain = _s(farm) or "", (_s(domain) or "").lower()
        slot = 0 if str(sev) in _FAILING and not exc else 1 if str(sev) in _FAILING else 2
        for key in ((str(cid), "farm", key_farm), (str(cid), "domain", key_domain), (str(cid), "estate", "")):
            counts = open_by.setdefault(key, [0, 0, 0])
            counts[slot] += 1
        if not key_domain:  # a farm-wide finding of a per-domain check stands for each domain of the farm
            counts = open_by.setdefault((str(cid), "farm-wide", key_farm), [0, 0, 0])
            counts[slot] += 1

    rows: list[dict[str, Any]] = []
    for check in checks:
        scope = scope_of(check.id)
        if scope.unit == "estate":
            units: list[tuple[str | None, str | None]] = [(None, None)]
        elif scope.unit == "domain":
            units = [
                (farm, domain) for domain, farm in sorted(domain_farm.items(), key=lambda kv: (kv[1] or "", kv[0]))
            ]
        else:
            units = [(farm, None) for farm in farms]
        for farm, domain in units:
            if scope.unit == "estate":
                counts = open_by.get((check.id, "estate", ""), [0, 0, 0])
            elif scope.unit == "domain":
                own = open_by.get((check.id, "domain", (domain or "").lower()), [0, 0, 0])
                wide = open_by.get((check.id, "farm-wide", farm or ""), [0, 0, 0]) if farm else [0, 0, 0]
                counts = [a + b for a, b in zip(own, wide)]
            else:
                counts = open_by.get((check.id, "farm", farm or ""), [0, 0, 0])
            missing = [n for n in scope.needs if not has(n, farm, domain)]
            if counts[0]:
                status = "fail"
            elif counts[1]:
                status = "excepted"
            elif NOTIFICATION in missing:
                status = "not applicable"
            elif missing:
                status = "not evaluated"
            else:
                status = "pass"
            rows.append(
                {
                    "check": check.id,
                    "title": check.title,
                    "severity": check.severity,
                    "unit": scope.unit,
                    "farm": farm,
                    "domain": domain,
                    "status": status,
                    "findings": counts[0],
                    "excepted": counts[1],
                    "notes": counts[2],
                    "missing": "; ".join(m for m in missing if m != NOTIFICATION) or None,
                    "controls": "; ".join(check.controls) or None,
                }
            )
    if not rows:
        return _empty(_COLUMNS)
    return pd.DataFrame(rows).astype(_COLUMNS)


_CONTROL_COLUMNS = {
    "framework": "string",
    "control": "string",
    "checks": "string",
    "status": "string",
    "fail": "Int64",
    "excepted": "Int64",
    "pass": "Int64",
    "not evaluated": "Int64",
    "not applicable": "Int64",
}


def _framework(control: str) -> tuple[str, str]:
    for prefix in ("NIST SP 800-53 r5", "ISO/IEC 27001:2022"):
        if control.startswith(prefix + " "):
            return prefix, control[len(prefix) + 1 :]
    return "other", control


def control_matrix(performed: pd.DataFrame, checks: Iterable[Any] | None = None) -> pd.DataFrame:
    """Each declared control -> the checks that support it -> the combined status of their cells:
    ``fail`` (any cell fails), ``excepted``, ``pass`` (every cell passed), ``partial`` (passes
    where evaluated, some cells not evaluated), ``not evaluated`` or ``not applicable``."""
    checks = list(REGISTRY if checks is None else checks)
    by_check: dict[str, dict[str, int]] = {}
    for cid, status in zip(performed["check"], performed["status"]):
        tally = by_check.setdefault(str(cid), dict.fromkeys(STATUSES, 0))
        tally[str(status)] += 1
    controls: dict[str, list[str]] = {}
    for check in checks:
        for control in check.controls:
            controls.setdefault(control, []).append(check.id)
    rows = []
    for control in sorted(controls, key=lambda c: (_framework(c)[0], _control_key(_framework(c)[1]))):
        ids = controls[control]
        tally = dict.fromkeys(STATUSES, 0)
        for cid in ids:
            for status, n in by_check.get(cid, {}).items():
                tally[status] += n
        if tally["fail"]:
            status = "fail"
        elif tally["excepted"]:
            status = "excepted"
        elif tally["pass"] and tally["not evaluated"]:
            status = "partial"
        elif tally["pass"]:
            status = "pass"
        elif tally["not evaluated"]:
            status = "not evaluated"
        else:
            status = "not applicable"
        framework, name = _framework(control)
        rows.append({"framework": framework, "control": name, "checks": ", ".join(ids), "status": status, **tally})
    if not rows:
        return _empty(_CONTROL_COLUMNS)
    return pd.DataFrame(rows).astype(_CONTROL_COLUMNS)


def _control_key(name: str) -> tuple[Any, ...]:
    """``SC-12`` after ``SC-8``, ``A.8.24`` after ``A.8.9``: numbers compare as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def assurance_document(result: Any) -> dict[str, Any]:
    """``assurance.json``: the as-of date, both frames as records, and the status words used."""
    performed = checks_performed(result)
    return {
        "as_of": pd.Timestamp(result.as_of).isoformat(),
        "statuses": list(STATUSES),
        "checks_performed": frame_records(performed),
        "controls": frame_records(control_matrix(performed)),
    }
