"""Findings for a SIEM: JSON Lines with stable fields, and OCSF Detection Finding records."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fedaudit.frames import make_frame
from fedaudit.reporting.siem import JSONL_FIELDS, OCSF_VERSION, finding_records, jsonl_text, to_ocsf, write_jsonl

UTC = dt.timezone.utc
TIME = dt.datetime(2026, 11, 27, 6, 0, 5, tzinfo=UTC)
AS_OF = dt.datetime(2026, 11, 27, tzinfo=UTC)


def findings():
    return make_frame(
        "findings",
        [
            {
                "id": "sync.entra-mismatch", "severity": "critical", "farm": "fs.contoso.com", "domain": "contoso.com",
                "title": "Entra holds another certificate",
                "detail": "AD FS signs with 1111…\nEntra expects 2222…",
                "evidence": [{"fact": "adfs primary", "value": "1" * 40, "origin": "exports/adfs.json"}],
                "remediation": "Update-MgDomainFederationConfiguration -DomainId contoso.com ...",
                "reference": "Step 2: Confirm that AD FS and Microsoft Entra ID are in sync",
                "key": "sync.entra-mismatch|fs.contoso.com|contoso.com|CN=ADFS Signing - fs.contoso.com",
                "controls": "NIST SP 800-53 SC-12; ISO/IEC 27001:2022 A.8.24",
                "excepted": False,
            },
            {
                "id": "rollover.auto-off", "severity": "warning", "farm": "fs.fabrikam.com", "domain": None,
                "title": "AutoCertificateRollover is off", "excepted": True,
                "exception": "excepted until 2027-01-31 (owner pki@fabrikam.com): CA-issued",
            },
        ],
    )


def test_jsonl_records_have_exactly_the_stable_fields() -> None:
    recs = finding_records(findings(), time=TIME, as_of=AS_OF, audit="contoso")
    assert [list(r) for r in recs] == [list(JSONL_FIELDS)] * 2
    first, second = recs
    assert first["time"] == "2026-11-27T06:00:05Z" and first["as_of"] == "2026-11-27T00:00:00Z"
    assert (first["audit"], first["id"], first["severity"], first["domain"]) == ("contoso", "sync.entra-mismatch", "critical", "contoso.com")
    assert first["controls"] == ["NIST SP 800-53 SC-12", "ISO/IEC 27001:2022 A.8.24"]
    assert first["evidence"] == [{"fact": "adfs primary", "value": "1" * 40, "origin": "exports/adfs.json"}]
    assert first["excepted"] is False and first["exception"] is None
    assert second["domain"] is None and second["excepted"] is True and second["exception"].startswith("excepted until")
    assert second["key"] == "rollover.auto-off|fs.fabrikam.com|"  # no engine key: id|farm|domain
    assert second["evidence"] == [] and second["remediation"] is None


def test_controls_come_from_the_registry_when_the_frame_has_none() -> None:
    from fedaudit.checks import REGISTRY

    check = next(c for c in REGISTRY if c.controls)
    frame = make_frame("findings", [{"id": check.id, "severity": check.severity, "title": check.title}])
    (rec,) = finding_records(frame, time=TIME, as_of=AS_OF)
    assert rec["controls"] == list(check.controls)


def test_jsonl_is_one_line_per_finding_and_round_trips(tmp_path: Path) -> None:
    recs = finding_records(findings(), time=TIME, as_of=AS_OF, audit="contoso")
    text = jsonl_text(recs)
    lines = text.splitlines()
    assert len(lines) == 2 and text.endswith("\n")
    assert [json.loads(line) for line in lines] == recs  # the detail's newline stays inside its line
    path = write_jsonl(tmp_path / "findings.jsonl", recs)
    assert path.read_bytes().decode("utf-8") == text
    assert "…" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes
    assert not (tmp_path / "findings.jsonl.tmp").exists()


def test_no_findings_writes_an_empty_file(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "f.jsonl", finding_records(make_frame("findings", []), time=TIME, as_of=AS_OF))
    assert path.read_bytes() == b""


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        finding_records(findings(), time=dt.datetime(2026, 1, 1), as_of=AS_OF)


def test_ocsf_detection_finding_shape() -> None:
    first, second = (to_ocsf(r) for r in finding_records(findings(), time=TIME, as_of=AS_OF, audit="contoso"))
    # Required by OCSF base_event / finding: class, category, activity, type, time, severity, metadata, finding_info.
    assert (first["class_uid"], first["category_uid"], first["activity_id"], first["type_uid"]) == (2004, 2, 1, 200401)
    assert first["time"] == int(TIME.timestamp() * 1000)
    assert (first["severity_id"], first["severity"]) == (5, "Critical")
    assert first["metadata"]["version"] == OCSF_VERSION and first["metadata"]["product"]["name"] == "fedaudit"
    info = first["finding_info"]
    assert info["uid"] == "sync.entra-mismatch|fs.contoso.com|contoso.com|CN=ADFS Signing - fs.contoso.com"
    assert info["title"] == "Entra holds another certificate" and info["types"] == ["sync.entra-mismatch"]
    assert first["status_id"] == 1 and first["is_alert"] is True
    assert first["resources"] == [
        {"type": "AD FS farm", "name": "fs.contoso.com", "uid": "fs.contoso.com"},
        {"type": "Entra ID federated domain", "name": "contoso.com", "uid": "contoso.com"},
    ]
    assert first["remediation"]["desc"].startswith("Update-MgDomainFederationConfiguration")
    assert first["remediation"]["references"] == ["Step 2: Confirm that AD FS and Microsoft Entra ID are in sync"]
    assert first["unmapped"]["controls"] == ["NIST SP 800-53 SC-12", "ISO/IEC 27001:2022 A.8.24"]
    assert first["evidences"] == [{"data": {"fact": "adfs primary", "value": "1" * 40, "origin": "exports/adfs.json"}}]
    # An excepted finding is Suppressed, not an alert, and says why.
    assert (second["severity_id"], second["status_id"], second["status"], second["is_alert"]) == (3, 3, "Suppressed", False)
    assert second["comment"].startswith("excepted until 2027-01-31")
    json.dumps(first)  # serialisable as is
