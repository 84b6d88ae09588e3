"""The decision table per federated domain, its open cases, the floor rule, and a property test:
any evidence combination gives a verdict, and missing inputs never give a false ``none``."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pandas as pd
import pytest
from _evidence_builder import AS_OF, Estate, healthy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedaudit import Evidence, audit
from fedaudit.checks import Thresholds
from fedaudit.engine.core import exit_code
from fedaudit.frames import ACTIONS, SCHEMAS
from fedaudit.engine.verdict import decide, table

FARM = "fs.contoso.com"
TH = Thresholds()


def _estate(*, rollover=True, days=200.0, sync=True, public=True, ca=False, secondary=False):
    est = Estate()
    p = est.cert("p", days=days, issuer="CN=Contoso Issuing CA" if ca else None)
    s = est.cert("s", days=days + 365)
    est.farm(FARM, rollover=rollover).adfs(FARM, p)
    if secondary:
        est.adfs(FARM, s, slot="secondary")
    if sync:
        est.domain("contoso.com", farm=FARM, signing=p, next=s if secondary else None)
    else:
        # out of sync: Entra lacks the secondary AD FS generated (or, without one, the primary)
        old = est.cert("old", days=-100)
        est.domain("contoso.com", farm=FARM, signing=p if secondary else old)
    est.fetch(FARM, reachable=public, tls=public, listed=[p] + ([s] if secondary else []), signer=p)
    return est.evidence()


ROWS = [
    # id, estate kwargs, action, phrase in reason
    ("row 1", dict(), "none", "runbook row 1"),
    ("row 1, pair ready within 5 days", dict(days=4, secondary=True), "none", "runbook row 1"),
    ("row 2", dict(sync=False, secondary=True, days=10), "renew-now", "runbook row 2"),
    ("row 3", dict(rollover=False, days=30), "renew-now", "runbook row 3"),
    ("row 3, CA-issued", dict(rollover=False, days=30, ca=True), "renew-now", "runbook row 3"),
    ("open: out of sync, 15 days or more", dict(sync=False, secondary=True, days=100), "update-entra", "Update Entra ID"),
    ("open: metadata not public", dict(public=False), "fix-metadata", "Fix the metadata"),
    ("open: rollover off, self-signed", dict(rollover=False, days=100), "enable-rollover", "Enable automatic rollover"),
    ("open: rollover off, CA-issued", dict(rollover=False, days=100, ca=True), "plan-renewal", "Plan the manual renewal"),
]


@pytest.mark.parametrize("name, kwargs, action, phrase", ROWS, ids=[r[0] for r in ROWS])
def test_decision_table_row(name, kwargs, action, phrase):
    result = audit(_estate(**kwargs), AS_OF)
    row = result.verdicts.set_index("domain").loc["contoso.com"]
    assert row["action"] == action, row["reason"]
    assert phrase in row["reason"]
    assert bool(row["auto_certificate_rollover"]) is kwargs.get("rollover", True)
    assert bool(row["metadata_public"]) is kwargs.get("public", True)
    assert bool(row["in_sync"]) is kwargs.get("sync", True)
    assert row["days_left"] == pytest.approx(kwargs.get("days", 200.0), abs=0.01)


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ((True, True, True, 400.0), ("none", {"row 1"})),
        ((True, True, True, -5.0), ("none", {"row 1"})),  # the table alone: validity does not matter
        ((True, False, None, 10.0), ("renew-now", {"row 2"})),
        ((False, None, None, 10.0), ("renew-now", {"row 3"})),
        ((None, False, None, 10.0), ("renew-now", {"row 2", "row 3"})),  # renew whatever the rollover state
        ((None, True, True, 200.0), ("insufficient-evidence", set())),
        ((True, None, True, 200.0), ("insufficient-evidence", set())),
        ((True, True, None, 200.0), ("insufficient-evidence", set())),
        ((False, True, True, None), ("insufficient-evidence", set())),
        ((None, None, None, None), ("insufficient-evidence", set())),
    ],
)
def test_decide_over_completions(inputs, expected):
    action, rows = decide(*inputs, ca_issued=False, th=TH)
    assert action == expected[0]
    assert {r for r in rows if r.startswith("row")} == expected[1]


def test_table_thresholds_are_the_runbooks():
    assert table(True, False, True, 14.99, ca_issued=False, th=TH)[0] == "renew-now"
    assert table(True, False, True, 15.0, ca_issued=False, th=TH)[0] == "update-entra"
    assert table(False, True, True, 34.99, ca_issued=False, th=TH)[0] == "renew-now"
    assert table(False, True, True, 35.0, ca_issued=False, th=TH)[0] == "enable-rollover"


def test_unknown_days_never_none():
    ev = _estate()
    ev.certificates["not_after"] = pd.NaT
    row = audit(ev, AS_OF).verdicts.iloc[0]
    assert row["action"] == "insufficient-evidence"


@pytest.mark.parametrize(
    "kwargs, finding, action",
    [
        (dict(days=-2), "expiry.expired", "renew-now"),
        (dict(days=3), "rollover.single-certificate-within-5-days", "renew-now"),
        (dict(days=10), "expiry.within-15-days", "renew-now"),
    ],
)
def test_findings_raise_row_1(kwargs, finding, action):
    result = audit(_estate(**kwargs), AS_OF)
    row = result.verdicts.iloc[0]
    assert row["action"] == action
    assert finding in row["reason"] and "The decision table alone says none" in row["reason"]


def test_weak_key_raises_row_1_to_plan_renewal():
    est = Estate()
    p = est.cert("weak", days=200, key_size=1024)
    est.farm(FARM).adfs(FARM, p).domain("contoso.com", farm=FARM, signing=p).fetch(FARM, listed=[p], signer=p)
    row = audit(est.evidence(), AS_OF).verdicts.iloc[0]
    assert row["action"] == "plan-renewal" and row["severity"] == "high"


def test_farm_finding_applies_to_each_of_its_domains_but_domain_findings_do_not_leak():
    est, p = healthy(domains=("contoso.com", "fabrikam.com"))
    old = est.cert("old", days=-10)
    est.domains[-1]["signing_thumbprint"] = old.thumbprint  # fabrikam.com's settings lack the primary
    est.certificates = [r for r in est.certificates if not (r["source"] == "entra" and r["domain"] == "fabrikam.com")]
    result = audit(est.evidence(), AS_OF)
    v = result.verdicts.set_index("domain")
    assert v.loc["fabrikam.com", "action"] == "update-entra"
    assert v.loc["contoso.com", "action"] == "none"


def test_farm_without_domains_gets_its_own_verdict():
    est = Estate()
    p = est.cert("p", days=20)
    est.farm(FARM, rollover=False).adfs(FARM, p)
    v = audit(est.evidence(), AS_OF).verdicts
    assert len(v) == 1 and v.iloc[0]["farm"] == FARM and v.iloc[0]["domain"] is pd.NA
    assert v.iloc[0]["action"] == "renew-now"  # row 3 needs no Entra evidence
    assert "Get-MgDomain" in v.iloc[0]["missing"]


def test_verdict_frame_schema():
    v = audit(_estate(), AS_OF).verdicts
    assert list(v.columns[: len(SCHEMAS["verdicts"])]) == list(SCHEMAS["verdicts"])
    assert str(v["days_left"].dtype) == "Float64" and str(v["not_after"].dtype) == "datetime64[us, UTC]"


# -- property test -------------------------------------------------------------------------------

_POOL_EST = Estate()
POOL = {
    name: _POOL_EST.cert(f"pool-{name}", days=d, **kw)
    for name, d, kw in [
        ("expired", -20, {}), ("d2", 2, {}), ("d4", 4.5, {}), ("d10", 10, {}), ("d20", 20, {}), ("d30", 30, {}),
        ("d40", 40, {}), ("d200", 200, {}), ("d360", 360, {}), ("d400", 400, {}),
        ("ca", 100, {"issuer": "CN=Issuing CA"}), ("weak", 150, {"key_size": 1024}), ("sha1", 250, {"hash_name": "sha1"}),
        ("future", 500, {"not_before": AS_OF + dt.timedelta(days=3)}),
    ]
}
NAMES = sorted(POOL)
FARMS = ["fs.contoso.com", "sts.fabrikam.com"]
DOMAINS = ["contoso.com", "fabrikam.com", "sub.contoso.com", "other.example"]
RESULTS = [None, "success", "Success", "noNewCertificateFound", "couldNotAccessRemoteHost", "xmlParsingError", "garbage"]


@st.composite
def estates(draw):
    est = Estate()
    for farm in draw(st.lists(st.sampled_from(FARMS), unique=True, max_size=2)):
        if draw(st.booleans()):
            est.farm(farm, rollover=draw(st.sampled_from([True, False, None])),
                     generation=draw(st.sampled_from([None, 20, 10])))
        for slot in draw(st.lists(st.sampled_from(["primary", "secondary"]), max_size=3)):
            est.adfs(draw(st.sampled_from([farm, None])), POOL[draw(st.sampled_from(NAMES))], slot=slot,
                     role=draw(st.sampled_from(["token-signing", "token-signing", "token-decrypting"])))
        kind = draw(st.sampled_from(["none", "ok", "down", "tls", "insecure", "saved"]))
        if kind != "none":
            listed = [POOL[n] for n in draw(st.lists(st.sampled_from(NAMES), max_size=3))]
            est.fetch(draw(st.sampled_from([farm, None])), reachable={"down": False, "saved": None}.get(kind, True),
                      tls={"tls": False, "insecure": None, "saved": None, "down": None}.get(kind, True),
                      insecure=kind == "insecure", listed=listed,
                      signature=draw(st.sampled_from(["valid", "invalid", "absent", "error", None])),
                      signer=POOL[draw(st.sampled_from(NAMES))] if draw(st.booleans()) else None)
    for domain in draw(st.lists(st.sampled_from(DOMAINS), unique=True, max_size=3)):
        signing = draw(st.sampled_from([None] + NAMES))
        nxt = draw(st.sampled_from([None] + NAMES))
        est.domain(
            domain,
            farm=draw(st.sampled_from([None] + FARMS)),
            signing=POOL[signing] if signing else None,
            next=POOL[nxt] if nxt else None,
            authentication=draw(st.sampled_from(["Federated", "Federated", "Managed", None])),
            settings=draw(st.booleans()),
            issuer_uri=draw(st.sampled_from([None, f"http://{domain}/adfs/services/trust/", "urn:x"])),
            update_result=draw(st.sampled_from(RESULTS)),
            update_last_run=draw(st.sampled_from([None, AS_OF - dt.timedelta(days=1), AS_OF - dt.timedelta(days=60)])),
        )
    if draw(st.booleans()):
        est.issue("x.txt", "bad value", severity=draw(st.sampled_from(["critical", "high", "warning", "info"])))
    # random holes: any cell of any row may be missing
    rng = random.Random(draw(st.integers(0, 2**16)))
    holes = draw(st.integers(0, 6))
    for rows in (est.certificates, est.farms, est.domains, est.metadata):
        for _ in range(holes):
            if rows:
                row = rng.choice(rows)
                key = rng.choice(sorted(row))
                row[key] = None
    return est


def _applies(f, domain, farm):
    if domain is not None and f["domain"] == domain:
        return True
    return f["domain"] is None and farm is not None and f["farm"] == farm


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates(), st.sampled_from([None, AS_OF - dt.timedelta(days=20)]))
def test_any_evidence_gives_a_verdict_and_never_a_false_none(est, notification):
    ev = est.evidence()
    result = audit(ev, AS_OF, notification_date=notification)
    v = result.verdicts
    assert len(v) >= 1
    assert set(v["action"].astype(str)) <= set(ACTIONS)
    assert v["reason"].notna().all()
    findings = result.to_dict()["findings"]
    for row in result.to_dict()["verdicts"]:
        inputs = (row["auto_certificate_rollover"], row["in_sync"], row["metadata_public"], row["days_left"])
        if None in inputs:
            assert row["action"] != "none", row
            if row["action"] == "insufficient-evidence":
                assert row["missing"] or row["domain"] is None or row["farm"] is None or any(
                    _applies(f, row["domain"], row["farm"]) for f in findings), row
        if row["action"] == "none":
            serious = [f for f in findings if f["severity"] in ("critical", "high") and _applies(f, row["domain"], row["farm"])]
            assert not serious, (row, serious)
    json.dumps(result.to_dict())
    assert exit_code(result, "high") in (0, 1)
    assert exit_code(result, "none") == 0


# -- the same property over random subsets of the real demo estate --------------------------------

_SAMPLES = Path(__file__).parent.parent.parent / "data" / "samples"
_LOADED: list = []


def _samples_evidence():
    if not _LOADED:
        import fedaudit

        _LOADED.append(fedaudit.load(str(_SAMPLES)))
    return _LOADED[0]


@pytest.mark.skipif(not (_SAMPLES / "README.md").exists(), reason="data/samples not generated")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_subsets_of_the_samples(data):
    full = _samples_evidence()
    frames = {}
    for name, frame in full.frames().items():
        keep = data.draw(st.lists(st.booleans(), min_size=len(frame), max_size=len(frame)), label=name)
        part = frame[[bool(k) for k in keep]].copy()
        for col in data.draw(st.lists(st.sampled_from(list(frame.columns)), max_size=2, unique=True), label=f"{name} NA"):
            if col not in ("source",):
                part[col] = pd.NA if str(part[col].dtype) != "datetime64[us, UTC]" else pd.NaT
        frames[name] = part.reset_index(drop=True)
    ev = Evidence(**frames)
    result = audit(ev, AS_OF)
    for row in result.to_dict()["verdicts"]:
        if None in (row["auto_certificate_rollover"], row["in_sync"], row["metadata_public"], row["days_left"]):
            assert row["action"] != "none", row
    json.dumps(result.to_dict())
