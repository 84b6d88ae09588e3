"""Metadata checks: reachable, TLS valid, signed by the AD FS primary, lists the secondary."""

from __future__ import annotations

import datetime as dt

import pytest
from _evidence_builder import AS_OF, Estate, assert_well_formed, findings_of

from fedaudit import audit

FARM = "fs.contoso.com"


def _estate(*, secondary=False, **fetch):
    est = Estate()
    p = est.cert("p", days=200)
    s = est.cert("s", days=360)
    other = est.cert("other-farm", days=300)
    est.farm(FARM).adfs(FARM, p)
    if secondary:
        est.adfs(FARM, s, slot="secondary")
    est.domain("contoso.com", farm=FARM, signing=p, next=s if secondary else None)
    certs = {"p": p, "s": s, "other": other}
    kw = {"listed": [p] + ([s] if secondary else []), "signer": p}
    for k, v in fetch.items():
        if k == "listed":
            v = [certs[x] for x in v]
        if k == "signer":
            v = certs[v] if v else None
        kw[k] = v
    est.fetch(FARM, **kw)
    return est.evidence()


CASES = {
    "metadata.unreachable": (
        lambda: _estate(reachable=False, tls=None, listed=[], signer=None, signature=None, error="HTTP 503"),
        lambda: _estate(),
    ),
    "metadata.tls-invalid": (lambda: _estate(tls=False), lambda: _estate()),
    "metadata.insecure-fetch": (lambda: _estate(tls=None, insecure=True), lambda: _estate()),
    "metadata.signature-invalid": (lambda: _estate(signature="invalid"), lambda: _estate()),
    "metadata.unsigned": (lambda: _estate(signature="absent", signer=None), lambda: _estate()),
    "metadata.not-signed-by-primary": (lambda: _estate(signer="other"), lambda: _estate()),
    "metadata.primary-missing": (lambda: _estate(listed=["other"]), lambda: _estate()),
    "metadata.secondary-missing": (
        lambda: _estate(secondary=True, listed=["p"]),
        lambda: _estate(secondary=True, listed=["p", "s"]),
    ),
    "metadata.tls-expiring": (
        lambda: _estate(tls_not_after=AS_OF + dt.timedelta(days=20)),
        lambda: _estate(tls_not_after=AS_OF + dt.timedelta(days=90)),
    ),
    "metadata.expired": (
        lambda: _estate(valid_until=AS_OF - dt.timedelta(days=1)),
        lambda: _estate(valid_until=AS_OF + dt.timedelta(days=1)),
    ),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_positive(check_id):
    ev = CASES[check_id][0]()
    found = findings_of(check_id, ev)
    assert [f.id for f in found] == [check_id]
    assert found[0].farm == FARM
    assert_well_formed(found, ev)
    assert "fedaudit fetch https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml --out evidence" in found[0].remediation


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_negative(check_id):
    assert findings_of(check_id, CASES[check_id][1]()) == []


def test_a_failing_url_is_only_a_warning_when_another_fetch_of_the_farm_worked():
    est = Estate()
    p = est.cert("p", days=200)
    est.farm(FARM).adfs(FARM, p).domain("contoso.com", farm=FARM, signing=p)
    est.fetch(FARM, listed=[p], signer=p)
    est.fetch(FARM, url="https://fs-internal.contoso.com/federationmetadata/2007-06/federationmetadata.xml",
              reachable=False, tls=None, error="connection refused")
    ev = est.evidence()
    (f,) = findings_of("metadata.unreachable", ev)
    assert f.severity == "warning"
    assert bool(audit(ev, AS_OF).verdicts.iloc[0]["metadata_public"]) is True


def test_the_checks_read_the_farm_the_join_wrote_and_associate_nothing_again():
    # The evidence join ties a failure sidecar to its farm by the URL's host (test_evidence:
    # test_metadata_rows_and_observations_tie_by_entity_id_or_host). A row the join left open stays
    # open (reported on its own): the view has no second association rule that could disagree
    # with the frames.
    ev = _estate(reachable=False, tls=None, listed=[], signer=None, signature=None)
    (f,) = findings_of("metadata.unreachable", ev)
    assert f.farm == FARM
    ev.metadata["farm"] = None
    (g,) = findings_of("metadata.unreachable", ev)  # untied: reported on its own, tied to no farm
    assert g.farm is None


def test_saved_document_without_fetch_is_content_only():
    est = Estate()
    p = est.cert("p", days=200)
    est.farm(FARM).adfs(FARM, p).domain("contoso.com", farm=FARM, signing=p)
    est.fetch(FARM, reachable=None, tls=None, listed=[p], signer=p)
    ev = est.evidence()
    assert findings_of("metadata.primary-missing", ev) == []
    row = audit(ev, AS_OF).verdicts.iloc[0]
    assert row["metadata_public"] is __import__("pandas").NA
    assert row["action"] == "insufficient-evidence"
    assert "fedaudit fetch https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml --out evidence" in row["missing"]


def test_empty_metadata_frame_is_unknown_not_pass():
    est = Estate()
    p = est.cert("p", days=200)
    est.farm(FARM).adfs(FARM, p).domain("contoso.com", farm=FARM, signing=p)
    ev = est.evidence()
    (f,) = findings_of("evidence.metadata-missing", ev)
    assert f.farm == FARM
    assert audit(ev, AS_OF).verdicts.iloc[0]["action"] == "insufficient-evidence"


def test_secondary_generated_after_the_fetch_is_not_held_against_the_document():
    est = Estate()
    p = est.cert("p", days=19)
    s = est.cert("s", days=365 + 0.01, lifetime=365)  # NotBefore after the fetch (as_of - 1 h)
    est.farm(FARM).adfs(FARM, p).adfs(FARM, s, slot="secondary")
    est.domain("contoso.com", farm=FARM, signing=p, next=s)
    est.fetch(FARM, listed=[p], signer=p)
    assert findings_of("metadata.secondary-missing", est.evidence()) == []


def test_tls_expiring_is_high_within_7_days():
    (f,) = findings_of("metadata.tls-expiring", _estate(tls_not_after=AS_OF + dt.timedelta(days=5)))
    assert f.severity == "high" and "fs.contoso.com" in f.remediation
    (f,) = findings_of("metadata.tls-expiring", _estate(tls_not_after=AS_OF + dt.timedelta(days=20)))
    assert f.severity == "warning"


def test_failed_url_tied_to_no_farm_is_a_finding():
    est = Estate()
    est.fetch(None, reachable=False, tls=None, signature=None, url="https://idp.example.net/metadata.xml",
              error="connection refused")
    (f,) = findings_of("metadata.unreachable", est.evidence())
    assert f.severity == "high" and f.farm is None and "idp.example.net" in f.title
