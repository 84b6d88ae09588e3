"""Entra checks: IssuerUri, signingCertificateUpdateStatus (result and lastRunDateTime)."""

from __future__ import annotations

import datetime as dt

import pytest
from _evidence_builder import AS_OF, Estate, assert_well_formed, findings_of

FARM = "fs.contoso.com"


def _estate(*, domain="contoso.com", issuer=None, result=None, last_run=None, days=200, others=()):
    est = Estate()
    p = est.cert("p", days=days)
    est.farm(FARM).adfs(FARM, p)
    est.domain(domain, farm=FARM, signing=p, issuer_uri=issuer, update_result=result, update_last_run=last_run)
    for o in others:
        est.domain(o, farm=FARM, signing=p, issuer_uri=f"http://{o}/adfs/services/trust/")
    est.fetch(FARM, listed=[p], signer=p)
    return est.evidence()


RECENT = AS_OF - dt.timedelta(hours=5)

CASES = {
    "entra.issuer-uri-mismatch": (
        lambda: _estate(issuer="http://sts.contoso.com/adfs/services/trust"),
        lambda: _estate(issuer="http://fs.contoso.com/adfs/services/trust"),
    ),
    "entra.poll-failed": (
        lambda: _estate(result="couldNotAccessRemoteHost", last_run=RECENT),
        lambda: _estate(result="Success", last_run=RECENT),
    ),
    "entra.poll-no-new-certificate": (
        lambda: _estate(result="noNewCertificateFound", last_run=RECENT, days=10),
        lambda: _estate(result="success", last_run=RECENT, days=10),
    ),
    # contoso.com keeps the farm Identifier while fabrikam.com has the -SupportMultipleDomain form
    "entra.issuer-forms-mixed": (
        lambda: _estate(others=("fabrikam.com",)),
        lambda: _estate(issuer="http://contoso.com/adfs/services/trust/", others=("fabrikam.com",)),
    ),
    "entra.poll-stale": (
        lambda: _estate(result="success", last_run=AS_OF - dt.timedelta(days=9), days=20),
        lambda: _estate(result="success", last_run=AS_OF - dt.timedelta(days=1), days=20),
    ),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_positive(check_id):
    ev = CASES[check_id][0]()
    found = findings_of(check_id, ev)
    assert [f.id for f in found] == [check_id]
    assert found[0].domain == "contoso.com" and found[0].farm == FARM
    assert_well_formed(found, ev)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_negative(check_id):
    assert findings_of(check_id, CASES[check_id][1]()) == []


@pytest.mark.parametrize(
    "issuer, ok",
    [
        ("http://fs.contoso.com/adfs/services/trust", True),
        ("HTTP://FS.CONTOSO.COM/adfs/services/trust", True),  # scheme and host are case-insensitive
        ("http://contoso.com/adfs/services/trust/", True),  # -SupportMultipleDomain form
        ("http://fs.contoso.com/adfs/services/trust/", False),  # Entra compares the path as written
        ("http://fabrikam.com/adfs/services/trust/", False),
        ("urn:contoso:idp", False),
    ],
)
def test_issuer_forms(issuer, ok):
    assert (findings_of("entra.issuer-uri-mismatch", _estate(issuer=issuer)) == []) is ok


def test_subdomain_may_carry_its_roots_multiple_domain_form():
    ev = _estate(domain="eu.contoso.com", issuer="http://contoso.com/adfs/services/trust/")
    assert findings_of("entra.issuer-uri-mismatch", ev) == []


def test_issuer_fix_for_multi_domain_farm_is_the_per_domain_form():
    ev = _estate(issuer="http://fs.contoso.com/adfs/services/trust/", others=("fabrikam.com",))
    (f,) = findings_of("entra.issuer-uri-mismatch", ev)
    # Graph has no -SupportMultipleDomain: the per-domain form is written as the IssuerUri value
    assert "-DomainId 'contoso.com' -InternalDomainFederationId $fed.Id -IssuerUri 'http://contoso.com/adfs/services/trust/'" in f.remediation
    assert "Connect-MgGraph -Scopes 'Domain-InternalFederation.ReadWrite.All'" in f.remediation
    assert "Msol" not in "".join(ln for ln in f.remediation.splitlines() if not ln.startswith("#"))


@pytest.mark.parametrize("value", ["couldNotAccessRemoteHost", "XMLPARSINGERROR", "connectionError", "unknownFutureValue"])
def test_poll_failures_case_insensitive(value):
    (f,) = findings_of("entra.poll-failed", _estate(result=value, last_run=RECENT))
    assert f.severity == "high" and value in f.title


@pytest.mark.parametrize("value", ["success", "Success", "SUCCESS", " success "])
def test_success_any_case(value):
    assert findings_of("entra.poll-failed", _estate(result=value, last_run=RECENT)) == []


def test_old_poll_failure_is_a_warning():
    (f,) = findings_of("entra.poll-failed", _estate(result="xmlParsingError", last_run=AS_OF - dt.timedelta(days=200)))
    assert f.severity == "warning"


def test_no_new_certificate_before_generation_is_expected():
    (f,) = findings_of("entra.poll-no-new-certificate", _estate(result="noNewCertificateFound", last_run=RECENT, days=30))
    assert f.severity == "info" and "Expected" in f.detail


def test_stale_poll_only_inside_the_polling_window():
    # 200 days left: Entra does not poll at all yet, an old lastRunDateTime means nothing
    assert findings_of("entra.poll-stale", _estate(result="success", last_run=AS_OF - dt.timedelta(days=90))) == []


def test_poll_failure_on_the_manual_path_is_a_warning():
    est = Estate()
    p = est.cert("p", days=200)
    est.farm(FARM, rollover=False).adfs(FARM, p)
    est.domain("contoso.com", farm=FARM, signing=p, update_result="couldNotAccessRemoteHost", update_last_run=RECENT)
    (f,) = findings_of("entra.poll-failed", est.evidence())
    assert f.severity == "warning"
