"""Evidence checks: load issues as findings; a missing export is never a pass."""

from __future__ import annotations

import datetime as dt

import pytest
from _evidence_builder import AS_OF, Estate, assert_well_formed, findings_of, healthy

from fedaudit import Evidence, audit

FARM = "fs.contoso.com"


def _no_domain_list():
    est, p = healthy()
    est.domains = [r for r in est.domains if r.get("authentication") is None]
    return est.evidence()


def _no_settings():
    est, p = healthy()
    est.domain("contosolabs.com", settings=False)
    return est.evidence()


def _farm_unknown():
    est, p = healthy()
    other = est.cert("other", days=100)
    est.domain("fabrikam.com", signing=other, issuer_uri="http://sts.fabrikam.com/adfs/services/trust",
               passive="https://sts.fabrikam.com/adfs/ls/")
    return est.evidence()


def _no_properties():
    est, p = healthy()
    est.farms = []
    return est.evidence()


def _no_adfs_certs():
    est, p = healthy()
    est.certificates = [r for r in est.certificates if r["source"] != "adfs"]
    return est.evidence()


def _no_metadata():
    est, p = healthy()
    est.metadata = []
    est.certificates = [r for r in est.certificates if r["source"] != "metadata"]
    return est.evidence()


def _conflict():
    est, p = healthy()
    est.adfs(FARM, est.cert("stale", days=20), origin="old-capture.txt")
    return est.evidence()


def _captured(days_ago):
    est, p = healthy()
    est.input("adfs-certificates.xml", AS_OF - dt.timedelta(days=days_ago))
    return est.evidence()


CASES = {
    "evidence.stale": (lambda: _captured(10), lambda: _captured(2)),
    "evidence.nothing-loaded": (lambda: Evidence(), lambda: healthy()[0].evidence()),
    "evidence.load-issue": (
        lambda: healthy()[0].issue("broken.json", "not JSON: Unterminated string", line=10).evidence(),
        lambda: healthy()[0].evidence(),
    ),
    "evidence.domain-list-missing": (_no_domain_list, lambda: healthy()[0].evidence()),
    "evidence.entra-settings-missing": (_no_settings, lambda: healthy()[0].evidence()),
    "evidence.farm-unknown": (_farm_unknown, lambda: healthy()[0].evidence()),
    "evidence.adfs-properties-missing": (_no_properties, lambda: healthy()[0].evidence()),
    "evidence.adfs-certificates-missing": (_no_adfs_certs, lambda: healthy()[0].evidence()),
    "evidence.metadata-missing": (_no_metadata, lambda: healthy()[0].evidence()),
    "evidence.conflicting-exports": (_conflict, lambda: healthy()[0].evidence()),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_positive(check_id):
    ev = CASES[check_id][0]()
    found = findings_of(check_id, ev)
    assert [f.id for f in found] == [check_id]
    assert_well_formed(found, ev)
    assert found[0].remediation  # every gap says how to close it


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_negative(check_id):
    assert findings_of(check_id, CASES[check_id][1]()) == []


@pytest.mark.parametrize("severity", ["critical", "high", "warning", "info"])
def test_load_issue_keeps_its_severity(severity):
    ev = healthy()[0].issue("x.txt", "bad", severity=severity, line=3, field="NotAfter").evidence()
    (f,) = findings_of("evidence.load-issue", ev)
    assert f.severity == severity
    assert f.evidence[0]["origin"] == "x.txt:3" and "NotAfter" in f.detail


def test_missing_settings_name_the_command():
    (f,) = findings_of("evidence.entra-settings-missing", _no_settings())
    assert f.domain == "contosolabs.com"
    assert "Get-MgDomainFederationConfiguration -DomainId 'contosolabs.com' | ConvertTo-Json -Depth 5" in f.remediation
    row = audit(_no_settings(), AS_OF).verdicts.set_index("domain").loc["contosolabs.com"]
    assert row["action"] == "insufficient-evidence"
    assert "Entra settings for contosolabs.com: Get-MgDomainFederationConfiguration -DomainId 'contosolabs.com' | ConvertTo-Json -Depth 5" in row["missing"]


def test_empty_evidence_gives_one_insufficient_verdict_and_fails():
    result = audit(Evidence(), AS_OF)
    assert len(result.verdicts) == 1
    row = result.verdicts.iloc[0]
    assert row["action"] == "insufficient-evidence" and row["severity"] == "high"
    assert "Get-AdfsProperties" in row["missing"]
    from fedaudit.engine.core import exit_code

    assert exit_code(result, "high") == 1


def test_certificates_of_an_unnamed_farm_are_still_judged():
    """Two farms loaded, and a Get-AdfsCertificate capture no fact ties to either."""
    est = Estate()
    est.farm("fs.contoso.com").farm("sts.fabrikam.com")
    lone = est.cert("lone", days=-1)
    est.adfs(None, lone, origin="unknown-server.xml")
    result = audit(est.evidence(), AS_OF)
    f = result.findings
    assert "(unnamed AD FS farm)" in set(f[f["id"] == "expiry.expired"]["farm"])
    row = result.verdicts.set_index("farm").loc["(unnamed AD FS farm)"]
    assert row["action"] == "renew-now"
    assert "fedaudit fetch 'https://FEDERATION-SERVICE-NAME/federationmetadata/2007-06/federationmetadata.xml' --out evidence" in row["missing"]
