"""Expiry checks (runbook Step 3): 35 and 15 days, expired, not yet valid, token decrypting."""

from __future__ import annotations

import datetime as dt

import pytest
from _evidence_builder import AS_OF, Estate, assert_well_formed, findings_of

FARM = "fs.contoso.com"


def _farm(days, *, rollover=True, secondary=None, entra_holds_secondary=True, public=True, td_days=None,
          td_secondary=False, not_before=None):
    est = Estate()
    p = est.cert("p", days=days, not_before=not_before)
    est.farm(FARM, rollover=rollover).adfs(FARM, p)
    nxt = None
    if secondary is not None:
        s = est.cert("s", days=secondary)
        est.adfs(FARM, s, slot="secondary")
        nxt = s if entra_holds_secondary else None
    if td_days is not None:
        est.adfs(FARM, est.cert("td", days=td_days), slot="primary", role="token-decrypting")
        if td_secondary:
            est.adfs(FARM, est.cert("td2", days=td_days + 365), slot="secondary", role="token-decrypting")
    est.domain("contoso.com", farm=FARM, signing=p, next=nxt)
    est.fetch(FARM, reachable=public, tls=public, listed=[p], signer=p)
    return est.evidence()


def _other_idp(days, *, next_days=None):
    """A domain federated with an IdP that is not in the evidence: judged by Entra's certificate."""
    est = Estate()
    cur = est.cert("idp", days=days)
    nxt = est.cert("idp-next", days=next_days) if next_days is not None else None
    est.domain("tailspin.example", signing=cur, next=nxt, issuer_uri="https://idp.example/saml",
               passive="https://idp.example/sso")
    return est.evidence()


CASES = {
    "expiry.expired": (lambda: _farm(-3), lambda: _farm(3)),
    "expiry.within-15-days": (lambda: _farm(10), lambda: _farm(10, secondary=360)),
    "expiry.within-35-days": (lambda: _farm(30, public=False), lambda: _farm(36, public=False)),
    "expiry.manual-renewal-due": (lambda: _farm(30, rollover=False), lambda: _farm(40, rollover=False)),
    "expiry.not-yet-valid": (
        lambda: _farm(200, not_before=AS_OF + dt.timedelta(days=2)),
        lambda: _farm(200),
    ),
    "expiry.token-decrypting-expired": (lambda: _farm(200, td_days=-1), lambda: _farm(200, td_days=1)),
    "expiry.token-decrypting-within-35-days": (
        lambda: _farm(200, td_days=20),
        lambda: _farm(200, td_days=20, td_secondary=True),
    ),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_positive(check_id):
    ev = CASES[check_id][0]()
    found = findings_of(check_id, ev)
    assert [f.id for f in found] == [check_id]
    assert found[0].farm == FARM
    assert_well_formed(found, ev)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_negative(check_id):
    assert findings_of(check_id, CASES[check_id][1]()) == []


@pytest.mark.parametrize(
    "days, expected",
    [(-0.01, "expiry.expired"), (0.5, "expiry.within-15-days"), (14.99, "expiry.within-15-days"),
     (15, "expiry.within-35-days"), (34.9, "expiry.within-35-days"), (35, None)],
)
def test_window_boundaries(days, expected):
    ev = _farm(days, public=False)
    ids = {f.id for cid in CASES for f in findings_of(cid, ev)} & {"expiry.expired", "expiry.within-15-days", "expiry.within-35-days"}
    assert ids == ({expected} if expected else set())


def test_within_35_is_info_when_the_automatic_path_is_in_place():
    (f,) = findings_of("expiry.within-35-days", _farm(30, public=True))
    assert f.severity == "info"
    (f,) = findings_of("expiry.within-35-days", _farm(30, public=False))
    assert f.severity == "warning"


def test_successor_must_be_held_by_entra():
    ev = _farm(10, secondary=360, entra_holds_secondary=False)
    (f,) = findings_of("expiry.within-15-days", ev)
    assert "does not hold the secondary" in f.detail


def test_rollover_off_is_the_manual_check_not_the_windows():
    ev = _farm(10, rollover=False)
    assert findings_of("expiry.within-15-days", ev) == []
    (f,) = findings_of("expiry.manual-renewal-due", ev)
    assert f.severity == "high"
    assert "$domains = @('contoso.com')" in f.remediation and "Update-MgDomainFederationConfiguration" in f.remediation


def test_manual_renewal_with_successor_in_entra_says_promote():
    ev = _farm(10, rollover=False, secondary=360)
    (f,) = findings_of("expiry.manual-renewal-due", ev)
    assert "Set-AdfsCertificate -IsPrimary -CertificateType Token-Signing -Thumbprint" in f.remediation


def test_ca_issued_manual_path_remediation():
    est = Estate()
    p = est.cert("ca", days=20, issuer="CN=Woodgrove Issuing CA 01")
    est.farm(FARM, rollover=False).adfs(FARM, p)
    est.domain("contoso.com", farm=FARM, signing=p)
    (f,) = findings_of("expiry.manual-renewal-due", est.evidence())
    assert "Add-AdfsCertificate -CertificateType Token-Signing" in f.remediation
    assert "Update-AdfsCertificate" not in f.remediation  # needs AutoCertificateRollover; not the CA path


def test_domain_of_another_idp_is_judged_by_entras_certificate():
    ev = _other_idp(10)
    (f,) = findings_of("expiry.within-15-days", ev)
    assert f.domain == "tailspin.example" and f.farm is None
    assert "Entra SigningCertificate" in f.title
    assert "-DomainId 'tailspin.example'" in f.remediation and "-NextSigningCertificate $b64" in f.remediation
    assert_well_formed([f], ev)
    # Entra already holds the IdP's next certificate: nothing to do
    assert findings_of("expiry.within-15-days", _other_idp(10, next_days=400)) == []


def test_expired_detail_and_subject():
    ev = _farm(-3)
    (f,) = findings_of("expiry.expired", ev)
    assert "expired 3 days ago" in f.title and f.severity == "critical"
    assert f.key.startswith("expiry.expired|fs.contoso.com||")
