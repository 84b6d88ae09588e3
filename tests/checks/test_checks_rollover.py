"""Rollover checks: AutoCertificateRollover (runbook Step 1), AD FS's own renewal (manual Step 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from _evidence_builder import AS_OF, Estate, assert_well_formed, findings_of, healthy

from fedaudit import audit

FARM = "fs.contoso.com"


def _farm(rollover=True, *, primary_days=200.0, secondary_days=None, issuer=None, **farm_kw):
    est = Estate()
    p = est.cert("p", days=primary_days, issuer=issuer)
    est.farm(FARM, rollover=rollover, **farm_kw)
    est.adfs(FARM, p, slot="primary")
    entra = [p]
    if secondary_days is not None:
        s = est.cert("s", days=secondary_days, lifetime=365)
        est.adfs(FARM, s, slot="secondary")
        entra.append(s)
    est.domain("contoso.com", farm=FARM, signing=entra[0], next=entra[1] if len(entra) > 1 else None)
    est.fetch(FARM, listed=entra, signer=p)
    return est.evidence()


CASES = {
    "adfs.auto-rollover-disabled": (lambda: _farm(False), lambda: _farm(True)),
    "adfs.ca-issued-manual-path": (
        lambda: _farm(False, issuer="CN=Contoso Issuing CA 01"),
        lambda: _farm(False),
    ),
    "rollover.single-certificate-within-5-days": (
        lambda: _farm(True, primary_days=3),
        lambda: _farm(True, primary_days=3, secondary_days=360),
    ),
    "rollover.secondary-overdue": (
        lambda: _farm(True, primary_days=10),
        lambda: _farm(True, primary_days=25),
    ),
    "rollover.secondary-short-lived": (
        lambda: _farm(True, primary_days=3, secondary_days=100),
        lambda: _farm(True, primary_days=3, secondary_days=360),
    ),
    "rollover.pair-ready": (
        lambda: _farm(True, primary_days=3, secondary_days=360),
        lambda: _farm(True, primary_days=3, secondary_days=100),
    ),
    "rollover.forecast": (lambda: _farm(True), lambda: _farm(False)),
    # generated 17 days ago, promotion (5 days later) 12 days overdue
    "rollover.promotion-overdue": (
        lambda: _farm(True, primary_days=3, secondary_days=348),
        lambda: _farm(True, primary_days=3, secondary_days=360),
    ),
    # generation 60 days before expiry: promotion 55 days before, Entra polls from 35
    "rollover.promotion-before-entra-polls": (
        lambda: _farm(True, primary_days=70, generation=60),
        lambda: _farm(True, primary_days=70),
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


def test_rollover_disabled_remediation_is_set_adfsproperties():
    (f,) = findings_of("adfs.auto-rollover-disabled", _farm(False, primary_days=100))
    assert "Set-AdfsProperties -AutoCertificateRollover $true" in f.remediation
    # renew by hand 35 days before NotAfter if it stays off
    due = (AS_OF + dt.timedelta(days=100 - 35)).date().isoformat()
    assert due in f.detail


def test_single_certificate_remediation_generates_then_pushes():
    (f,) = findings_of("rollover.single-certificate-within-5-days", _farm(True, primary_days=3))
    assert f.severity == "critical"
    assert "Update-AdfsCertificate -CertificateType Token-Signing\n" in f.remediation + "\n"
    assert "-Urgent" not in f.remediation  # -Urgent breaks sign-in; the runbook's step is without it
    assert not any("Msol" in ln for ln in f.remediation.splitlines() if not ln.startswith("#"))
    # the certificate AD FS is about to generate is told apart by thumbprint from every certificate the
    # audit saw, exactly one or the block stops; never "the one that is not primary"
    assert "Where-Object { -not $_.IsPrimary }" not in f.remediation
    assert "Where-Object { $known -notcontains $_.Thumbprint }" in f.remediation
    assert "if ($c.Count -ne 1) { throw" in f.remediation
    assert "$domains = @('contoso.com')" in f.remediation
    assert "{ Update-MgDomainFederationConfiguration -DomainId $d -InternalDomainFederationId $fed.Id -NextSigningCertificate $b64Next }" in f.remediation


def test_single_certificate_expired_is_left_to_expiry_check():
    assert findings_of("rollover.single-certificate-within-5-days", _farm(True, primary_days=-1)) == []


def test_secondary_overdue_honours_the_farms_own_thresholds_and_interval():
    # generation threshold 10 days: at 12 days left AD FS is not due yet
    assert findings_of("rollover.secondary-overdue", _farm(True, primary_days=12, generation=10)) == []
    # 19.8 days left with the default 20: due 0.2 days ago, but the 720-minute interval gives 0.5 day of slack
    assert findings_of("rollover.secondary-overdue", _farm(True, primary_days=19.8)) == []
    assert findings_of("rollover.secondary-overdue", _farm(True, primary_days=19.8, interval=60)) != []
    # rollover off: AD FS is not expected to generate anything
    assert findings_of("rollover.secondary-overdue", _farm(False, primary_days=10)) == []


def test_previous_primary_kept_as_secondary_is_not_a_successor():
    # After promotion AD FS keeps the old primary (expiring sooner) as secondary: no pair, no successor.
    est = Estate()
    p = est.cert("new", days=3)
    old = est.cert("old", days=2)
    est.farm(FARM).adfs(FARM, p).adfs(FARM, old, slot="secondary")
    est.domain("contoso.com", farm=FARM, signing=p)
    ev = est.evidence()
    assert findings_of("rollover.pair-ready", ev) == []
    assert [f.id for f in findings_of("rollover.single-certificate-within-5-days", ev)] == [
        "rollover.single-certificate-within-5-days"
    ]


def test_forecast_dates_follow_the_thresholds():
    ev = _farm(True, primary_days=100, generation=30, promotion=7)
    (f,) = findings_of("rollover.forecast", ev)
    na = AS_OF + dt.timedelta(days=100)
    assert f"generation around {(na - dt.timedelta(days=30)):%Y-%m-%d}" in f.title
    assert f"promotion around {(na - dt.timedelta(days=23)):%Y-%m-%d}" in f.title
    assert f"{(na - dt.timedelta(days=35)):%Y-%m-%d}" in f.detail  # Entra polling start


def test_timeline_has_projected_events_per_farm():
    est, p = healthy(days_left=100)
    result = audit(est.evidence(), AS_OF)
    tl = result.timeline
    farm_rows = tl[(tl["farm"] == "fs.contoso.com") & tl["domain"].isna()]
    events = dict(zip(farm_rows["event"], farm_rows["time"]))
    na = p.not_after
    assert events["not_after"] == na
    assert events["projected_generation"] == na - dt.timedelta(days=20)
    assert events["projected_promotion"] == na - dt.timedelta(days=15)
    assert events["critical_threshold"] == na - dt.timedelta(days=2)
    assert events["entra_polling_start"] == na - dt.timedelta(days=35)
    assert events["mark_15_days"] == na - dt.timedelta(days=15)
    assert events["as_of"] == AS_OF
    dom_rows = tl[tl["domain"] == "contoso.com"]
    assert {"entra_polling_start", "mark_15_days", "as_of", "not_after"} <= set(dom_rows["event"])
    assert str(tl["time"].dtype) == "datetime64[us, UTC]"


def test_timeline_omits_projection_when_rollover_is_off():
    result = audit(_farm(False), AS_OF)
    assert not {"projected_generation", "projected_promotion"} & set(result.timeline["event"])
