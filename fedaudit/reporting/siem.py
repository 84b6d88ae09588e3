"""Findings for machines: JSON Lines for a SIEM, and the OCSF Detection Finding shape.

JSON Lines (``findings.jsonl``): one finding per line, UTF-8, these fields and no others, so
that a SIEM parser written today keeps working (new facts go into ``evidence``):

=============  ==============================================================================
time           when the run that produced the finding started (ISO 8601 UTC)
as_of          the date the audit judged as of (ISO 8601 UTC)
audit          the audit name from the configuration (or null)
id             check id (``fedaudit checks`` lists them)
severity       critical, high, warning or info
farm, domain   the AD FS farm and federated domain (null when not about one)
title, detail  what is wrong, in words
remediation    the exact commands to run
reference      the runbook section the check implements
controls       list of compliance controls the check supports ("NIST SP 800-53 SC-12", ...)
excepted       true when an accepted exception covers the finding (it does not fail a run)
exception      who accepted it, until when, why; or that the exception expired (or null)
key            stable identity of the finding across runs (check id, farm, domain, subject)
evidence       list of {"fact", "value", "origin"} objects: the thumbprints, dates and sources used
=============  ==============================================================================

OCSF (``findings.ocsf.jsonl``): the same findings as OCSF 1.3 Detection Finding events
(``class_uid`` 2004, category 2 Findings, activity 1 Create): ``finding_info`` (uid = key,
title, desc, types = [check id]), ``severity_id`` (Informational 1, Medium 3, High 4,
Critical 5), ``status_id`` (1 New, or 3 Suppressed for an excepted finding), ``remediation``,
``resources`` (the farm and domain), ``evidences`` and, in ``unmapped``, the fedaudit fields OCSF
has no place for (controls, reference, exception, as_of, audit).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from fedaudit._version import __version__
from fedaudit.checks import REGISTRY
from fedaudit.engine.core import finding_keys
from fedaudit.errors import UsageError
from fedaudit.io.files import write_text_atomic
from fedaudit.neutral import json_dumps

__all__ = [
    "JSONL_FIELDS",
    "OCSF_VERSION",
    "finding_records",
    "jsonl_text",
    "to_ocsf",
    "write_jsonl",
]

#: The fields of each JSON Lines record, in order. Stable: add facts to ``evidence`` instead.
JSONL_FIELDS = (
    "time",
    "as_of",
    "audit",
    "id",
    "severity",
    "farm",
    "domain",
    "title",
    "detail",
    "remediation",
    "reference",
    "controls",
    "excepted",
    "exception",
    "key",
    "evidence",
)
#: The OCSF schema version the Detection Finding records follow.
OCSF_VERSION = "1.3.0"

# OCSF severity_id: 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other.
_OCSF_SEVERITY = {
    "info": (1, "Informational"),
    "warning": (3, "Medium"),
    "high": (4, "High"),
    "critical": (5, "Critical"),
}


def _iso(value: dt.datetime | pd.Timestamp) -> str:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if value.tzinfo is None:
        raise UsageError(f"naive datetime {value!r}: pass tz-aware UTC times")
    return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime)):
        return _iso(v)
    if hasattr(v, "item") and not isinstance(v, (str, bytes, list, dict)):
        return v.item()
    return v


def _controls(value: Any, check_id: Any, registry: Mapping[str, tuple[str, ...]]) -> list[str]:
    v = _value(value)
    if isinstance(v, str) and v.strip():
        return [c.strip() for c in v.split(";") if c.strip()]
    if isinstance(v, (list, tuple)):
        return [str(c) for c in v]
    return list(registry.get(str(check_id), ()))


def _registry_controls() -> dict[str, tuple[str, ...]]:
    """check id -> controls, from the check registry."""
    return {c.id: tuple(c.controls) for c in REGISTRY}


def _evidence(value: Any) -> list[Any]:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return [{"fact": "evidence", "value": value, "origin": None}]
        return parsed if isinstance(parsed, list) else [parsed]
    return list(value)


def finding_records(
    findings: pd.DataFrame,
    *,
    time: dt.datetime,
    as_of: dt.datetime,
    audit: str | None = None,
) -> list[dict[str, Any]]:
    """The JSON Lines records (dicts with :data:`JSONL_FIELDS`) of a findings frame."""

    registry = _registry_controls()
    keys = finding_keys(findings)
    out = []
    for (_, row), key in zip(findings.iterrows(), keys):
        rec: dict[str, Any] = {"time": _iso(time), "as_of": _iso(as_of), "audit": audit}
        for f in ("id", "severity", "farm", "domain", "title", "detail", "remediation", "reference"):
            rec[f] = _value(row.get(f))
        rec["controls"] = _controls(row.get("controls"), row.get("id"), registry)
        excepted = _value(row.get("excepted"))
        rec["excepted"] = bool(excepted) if excepted is not None else False
        rec["exception"] = _value(row.get("exception"))
        rec["key"] = _value(key)
        rec["evidence"] = _evidence(row.get("evidence"))
        out.append({f: rec[f] for f in JSONL_FIELDS})
    return out


def _dumps(record: Mapping[str, Any]) -> str:
    # One physical line per record: json.dumps escapes newlines inside strings.
    # U+2028, U+2029, U+0085 (and the other C1 controls) as \\u escapes: line breaks to some readers
    return json_dumps(record, separators=(",", ":"), default=str)


def jsonl_text(records: Iterable[Mapping[str, Any]]) -> str:
    """Records as JSON Lines text (each line ends with a newline)."""
    return "".join(_dumps(r) + "\n" for r in records)


def write_jsonl(path: str | os.PathLike[str], records: Iterable[Mapping[str, Any]]) -> Path:
    """Write records as JSON Lines (UTF-8), atomically: a reader never sees half a file."""
    return write_text_atomic(path, jsonl_text(records))


def to_ocsf(record: Mapping[str, Any]) -> dict[str, Any]:
    """One JSON Lines record as an OCSF Detection Finding (class_uid 2004)."""
    severity_id, severity = _OCSF_SEVERITY.get(str(record.get("severity")), (99, str(record.get("severity"))))
    time_ms = int(dt.datetime.fromisoformat(str(record["time"]).replace("Z", "+00:00")).timestamp() * 1000)
    excepted = bool(record.get("excepted"))
    resources = []
    if record.get("farm"):
        resources.append({"type": "AD FS farm", "name": record["farm"], "uid": record["farm"]})
    if record.get("domain"):
        resources.append({"type": "Entra ID federated domain", "name": record["domain"], "uid": record["domain"]})
    remediation = {"desc": record.get("remediation") or ""}
    if record.get("reference"):
        remediation["references"] = [record["reference"]]
    event: dict[str, Any] = {
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
        "time": time_ms,
        "severity_id": severity_id,
        "severity": severity,
        "status_id": 3 if excepted else 1,
        "status": "Suppressed" if excepted else "New",
        "is_alert": not excepted and severity_id >= 4,
        "message": record.get("title") or "",
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "fedaudit", "vendor_name": "fedaudit", "version": __version__},
            "log_name": "findings",
        },
        "finding_info": {
            "uid": record.get("key") or record.get("id"),
            "title": record.get("title") or "",
            "desc": record.get("detail") or "",
            "types": [record.get("id")],
            "analytic": {"uid": record.get("id"), "name": record.get("id"), "type_id": 1, "type": "Rule"},
        },
        "remediation": remediation,
        "resources": resources,
        "evidences": [{"data": e} for e in record.get("evidence") or []],
        "unmapped": {
            "audit": record.get("audit"),
            "as_of": record.get("as_of"),
            "controls": record.get("controls") or [],
            "reference": record.get("reference"),
            "excepted": excepted,
            "exception": record.get("exception"),
        },
    }
    if excepted and record.get("exception"):
        event["comment"] = record["exception"]
    return event
