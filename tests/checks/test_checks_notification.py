"""Notification triage: was action needed on the day the renewal e-mail arrived?"""

from __future__ import annotations

import datetime as dt

import pytest
from _evidence_builder import AS_OF, Estate, assert_well_formed, findings_of

from fedaudit import audit

FARM = "fs.contoso.com"
ND = AS_OF - dt.timedelta(days=3)  # the e-mail came three days before the audit


def _estate(*, days=30, rollover=True, public=True, next_in_entra=False, settings=True):
    est = Estate()
    p = est.cert("p", days=days)
    est.farm(FARM, rollover=rollover).adfs(FARM, p)
    nxt = None
    if next_in_entra:
        nxt = est.cert("s", days=380, lifetime=365, not_before=ND - dt.timedelta(days=1))
        est.adfs(FARM, nxt, slot="secondary")
    est.domain("contoso.com", farm=FARM, signing=p if settings else None, next=nxt, settings=settings)
    est.fetch(FARM, reachable=public, tls=public, listed=[p], signer=p)
    return est.evidence()


CASES = {
    "notification.action-needed": (lambda: _estate(rollover=False), lambda: _estate()),
    "notification.no-action-needed": (lambda: _estate(), lambda: _estate(public=False)),
    "notification.undetermined": (lambda: _estate(settings=False, rollover=None), lambda: _estate()),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_positive(check_id):
    ev = CASES[check_id][0]()
    found = findings_of(check_id, ev, notification_date=ND)
    assert [f.id for f in found] == [check_id]
    assert found[0].domain == "contoso.com"
    assert_well_formed(found, ev)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_negative(check_id):
    assert findings_of(check_id, CASES[check_id][1](), notification_date=ND) == []


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_silent_without_a_notification_date(check_id):
    assert findings_of(check_id, CASES[check_id][0]()) == []


@pytest.mark.parametrize(
    "kwargs, outcome, phrase",
    [
        ({"days": 200}, "no-action-needed", "more than the 35 days"),
        ({"days": 30}, "no-action-needed", "runbook warns"),
        ({"days": 30, "public": False}, "action-needed", "not publicly reachable"),
        ({"days": 30, "rollover": False}, "action-needed", "rollover is off"),
        ({"days": 30, "public": False, "next_in_entra": True}, "no-action-needed", "already held the next"),
    ],
)
def test_triage_outcomes(kwargs, outcome, phrase):
    ev = _estate(**kwargs)
    found = [f for cid in CASES for f in findings_of(cid, ev, notification_date=ND)]
    assert [f.id for f in found] == [f"notification.{outcome}"]
    assert phrase in found[0].detail


def test_certificate_issued_after_the_notification_means_it_was_handled():
    est = Estate()
    p = est.cert("renewed", days=360, lifetime=365)  # issued 5 days before as_of, after ND - 10
    est.farm(FARM, rollover=False).adfs(FARM, p).domain("contoso.com", farm=FARM, signing=p)
    (f,) = findings_of("notification.no-action-needed", est.evidence(), notification_date=AS_OF - dt.timedelta(days=10))
    assert "already happened" in f.detail


def test_audit_passes_notification_date_through():
    result = audit(_estate(rollover=False), AS_OF, notification_date=ND.date())
    assert result.notification_date == ND
    assert "notification.action-needed" in set(result.findings["id"])
    assert result.to_dict()["notification_date"] == ND.date().isoformat()
