"""Positive assurance (fedaudit.engine.assurance): every check on every farm or domain it
applies to, with pass / fail / excepted / not applicable / not evaluated, and the controls."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fedaudit
from fedaudit.checks import REGISTRY
from fedaudit.engine.assurance import STATUSES, checks_performed, control_matrix, scope_of
from fedaudit.engine.waivers import apply_exceptions, load_exceptions

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="module")
def result():
    as_of = re.search(r"^As-of date:\s*(\S+)", (SAMPLES / "README.md").read_text(), re.M).group(1)
    return fedaudit.audit(fedaudit.load(str(SAMPLES)), as_of)


def _cell(performed, check, *, farm=None, domain=None):
    rows = performed[performed["check"] == check]
    if farm is not None:
        rows = rows[rows["farm"] == farm]
    if domain is not None:
        rows = rows[rows["domain"] == domain]
    assert len(rows) == 1, (check, farm, domain, len(rows))
    return rows.iloc[0]


def test_every_check_appears_for_every_unit_it_applies_to(result):
    performed = checks_performed(result)
    assert set(performed["check"]) == {c.id for c in REGISTRY}
    assert set(performed["status"]) <= set(STATUSES)
    farms = set(result.evidence.farms["farm"])
    domains = set(result.verdicts["domain"])
    for check in REGISTRY:
        rows = performed[performed["check"] == check.id]
        unit = scope_of(check.id).unit
        if unit == "farm":
            assert farms <= set(rows["farm"]), check.id
        elif unit == "domain":
            assert set(rows["domain"]) == domains, check.id
        else:
            assert len(rows) == 1, check.id


def test_statuses_follow_the_findings_and_the_evidence(result):
    performed = checks_performed(result)
    # a finding fails its cell, and only that one
    assert _cell(performed, "sync.primary-not-in-entra", domain="litware.co.uk")["status"] == "fail"
    assert _cell(performed, "sync.primary-not-in-entra", domain="litware.com")["status"] == "pass"
    assert _cell(performed, "adfs.auto-rollover-disabled", farm="fs.wingtiptoys.com")["status"] == "fail"
    # no Entra settings and no farm for contosolabs.com: not evaluated, naming what is missing
    cell = _cell(performed, "entra.poll-stale", domain="contosolabs.com")
    assert cell["status"] == "not evaluated" and "Entra ID federation settings" in cell["missing"]
    # metadata saved as a file, never fetched: reachability cannot be judged, the signature can
    assert _cell(performed, "metadata.unreachable", farm="adfs.woodgrovebank.com")["status"] == "not evaluated"
    assert _cell(performed, "metadata.signature-invalid", farm="adfs.woodgrovebank.com")["status"] == "pass"
    # the notification triage without a notification date
    assert set(performed[performed["check"].str.startswith("notification.")]["status"]) == {"not applicable"}
    # an info observation is not a failure
    forecast = _cell(performed, "rollover.forecast", farm="fs.contoso.com")
    assert forecast["status"] == "pass" and forecast["notes"] == 1


def test_an_accepted_exception_is_excepted_not_passed(result, tmp_path):
    accepted = tmp_path / "accepted.toml"
    accepted.write_text(
        '[[exception]]\ncheck = "crypto.weak-key"\nfarm = "adfs.adventure-works.com"\n'
        'justification = "replaced in CHG-1"\nowner = "pki@example.com"\nexpires = 2027-06-30\n'
    )
    findings = apply_exceptions(result.findings, load_exceptions(str(accepted)), result.as_of)
    from dataclasses import replace

    performed = checks_performed(replace(result, findings=findings))
    assert _cell(performed, "crypto.weak-key", farm="adfs.adventure-works.com")["status"] == "excepted"


def test_control_matrix_combines_the_checks_of_each_control(result):
    performed = checks_performed(result)
    controls = control_matrix(performed)
    declared = {ctl for c in REGISTRY for ctl in c.controls}
    assert {f"{f} {c}" for f, c in zip(controls["framework"], controls["control"])} == declared
    by = {(f, c): r for f, c, r in zip(controls["framework"], controls["control"], controls.itertuples())}
    assert by[("NIST SP 800-53 r5", "SC-13")].status == "fail"  # crypto.weak-key fails on a farm
    assert by[("NIST SP 800-53 r5", "SI-5")].status == "not applicable"  # notification checks only
    # numbers order as numbers: SC-8 before SC-12
    nist = [c for f, c in zip(controls["framework"], controls["control"]) if f.startswith("NIST")]
    assert nist.index("SC-8") < nist.index("SC-12")
