"""fedaudit.audit / AuditResult / exit_code contract, and the check registry."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import importlib.util
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from _evidence_builder import AS_OF, Estate, healthy

import fedaudit
from fedaudit import Evidence, UsageError, audit
from fedaudit.checks import REGISTRY, Check, Finding, Thresholds, by_id
from fedaudit.engine.core import DEFAULT_THRESHOLDS, AuditResult, exit_code
from fedaudit.frames import SCHEMAS

FAMILIES = ["rollover", "sync", "expiry", "metadata", "entra", "crypto", "notification", "evidence"]


def _result(**kw) -> AuditResult:
    est, _ = healthy(**kw)
    return audit(est.evidence(), AS_OF)


@pytest.mark.parametrize(
    "as_of",
    [AS_OF, AS_OF.date(), "2026-11-27", dt.datetime(2026, 11, 27, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
     "2026-11-27T00:00:00Z"],
)
def test_as_of_forms(as_of):
    r = audit(Evidence(), as_of)
    assert r.as_of == AS_OF and r.as_of.tzinfo is not None


@pytest.mark.parametrize("bad", [dt.datetime(2026, 11, 27), "27/11/2026", "yesterday", 20261127])
def test_bad_as_of_is_a_usage_error(bad):
    with pytest.raises(UsageError):
        audit(Evidence(), bad)


def test_audit_needs_evidence():
    with pytest.raises(UsageError, match="Evidence"):
        audit({"certificates": []}, AS_OF)  # type: ignore[arg-type]


def test_public_surface():
    assert fedaudit.audit is audit
    assert fedaudit.AuditResult is AuditResult


def test_frames_follow_schemas():
    r = _result()
    for name in ("verdicts", "findings", "timeline"):
        frame = getattr(r, name)
        assert list(frame.columns[: len(SCHEMAS[name])]) == list(SCHEMAS[name]), name
    assert r.issues is r.evidence.issues
    f = r.findings
    assert f["excepted"].eq(False).all() and f["exception"].isna().all()
    assert f["controls"].notna().all()
    assert f["key"].is_unique


def test_finding_keys_are_stable_and_distinguishing():
    est, p = healthy(domains=("contoso.com", "fabrikam.com"))
    ev = est.evidence()
    a = audit(ev, AS_OF).findings["key"].tolist()
    b = audit(ev, AS_OF).findings["key"].tolist()
    assert a == b
    assert all(k.count("|") >= 3 for k in a)


def test_findings_sorted_most_severe_first():
    est = Estate()
    p = est.cert("p", days=-1, key_size=1024)
    est.farm("fs.contoso.com", rollover=False).adfs("fs.contoso.com", p)
    est.domain("contoso.com", farm="fs.contoso.com", signing=p)
    sev = audit(est.evidence(), AS_OF).findings["severity"].astype(str).tolist()
    order = {"critical": 0, "high": 1, "warning": 2, "info": 3}
    assert sev == sorted(sev, key=order.get)


def test_to_dict_is_the_json_contract():
    r = _result()
    d = r.to_dict()
    assert list(d) == ["as_of", "verdicts", "findings", "timeline", "issues"]
    assert d["as_of"] == "2026-11-27T00:00:00+00:00"
    v = d["verdicts"][0]
    for key in ("domain", "farm", "auto_certificate_rollover", "in_sync", "metadata_public", "days_left", "action", "reason"):
        assert key in v
    assert v["action"] == "none" and v["in_sync"] is True
    f = d["findings"][0]
    assert isinstance(f["evidence"], list) and set(f["evidence"][0]) == {"fact", "value", "origin"}
    json.dumps(d)


def test_days_left_moves_with_as_of_and_nothing_reads_the_clock():
    est, _ = healthy(days_left=100)
    ev = est.evidence()
    a = audit(ev, AS_OF).verdicts.iloc[0]["days_left"]
    b = audit(ev, AS_OF + dt.timedelta(days=10)).verdicts.iloc[0]["days_left"]
    assert a == pytest.approx(100) and b == pytest.approx(90)


def test_no_clock_in_library_code():
    root = Path(fedaudit.__file__).parent
    files = [*sorted((root / "engine").glob("*.py")), *sorted((root / "checks").glob("*.py")), *sorted((root / "evidence").glob("*.py"))]
    pattern = re.compile(r"\b(now|today|utcnow)\(|time\.time\(|monotonic\(")
    offenders = [str(p) for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.parametrize(
    "fail_on, expected",
    [("critical", 1), ("high", 1), ("warning", 1), ("info", 1), ("none", 0)],
)
def test_exit_code_levels_with_a_critical(fail_on, expected):
    est, p = healthy(days_left=-1)  # expired: critical
    assert exit_code(audit(est.evidence(), AS_OF), fail_on) == expected


@pytest.mark.parametrize("fail_on, expected", [("critical", 0), ("high", 0), ("warning", 0), ("info", 1)])
def test_exit_code_levels_healthy(fail_on, expected):
    assert exit_code(_result(), fail_on) == expected  # healthy: the rollover forecast (info) only


def test_excepted_findings_never_fail():
    est, p = healthy(days_left=-1)
    r = audit(est.evidence(), AS_OF)
    findings = r.findings.copy()
    findings["excepted"] = True
    assert exit_code(dataclasses.replace(r, findings=findings), "info") == 0


def test_bad_fail_on():
    with pytest.raises(UsageError):
        exit_code(_result(), "severe")


def test_thresholds_override_and_validation():
    assert set(DEFAULT_THRESHOLDS) == {f.name for f in dataclasses.fields(Thresholds)} - {"notification_date"}
    est, _ = healthy(days_left=40)
    ev = est.evidence()
    assert "expiry.within-35-days" not in set(audit(ev, AS_OF).findings["id"])
    r = audit(ev, AS_OF, thresholds={"expiry_warning_days": 45})
    assert "expiry.within-35-days" in set(r.findings["id"])
    with pytest.raises(UsageError, match="unknown threshold"):
        audit(ev, AS_OF, thresholds={"warn_days": 10})
    with pytest.raises(UsageError):
        audit(ev, AS_OF, thresholds={"expiry_warning_days": -1})


# -- the registry --------------------------------------------------------------------------------

def test_registry_records():
    ids = [c.id for c in REGISTRY]
    assert len(ids) == len(set(ids))
    for c in REGISTRY:
        assert isinstance(c, Check)
        assert re.fullmatch(r"[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*", c.id), c.id
        assert c.id.split(".")[0] in {"adfs", "rollover", "sync", "expiry", "metadata", "entra", "crypto", "notification", "evidence"}
        assert c.reference.startswith("Renew federation certificates for Microsoft 365 and Microsoft Entra ID")
        assert c.controls and all(x.startswith(("NIST SP 800-53 r5 ", "ISO/IEC 27001:2022 ")) for x in c.controls)
        assert c.title and c.description and callable(c.func)
        if c.severity in ("critical", "high"):
            assert c.action != "none"
    assert by_id("sync.primary-not-in-entra").severity == "critical"
    with pytest.raises(KeyError, match="did you mean"):
        by_id("sync.primary-not-in-entr")


def test_every_check_has_a_positive_and_negative_case():
    covered: set[str] = set()
    checks_tests = Path(__file__).resolve().parents[1] / "checks"
    for family in FAMILIES:
        path = checks_tests / f"test_checks_{family}.py"
        spec = importlib.util.spec_from_file_location(f"_cases_{family}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        covered |= set(module.CASES)
    assert covered == {c.id for c in REGISTRY}


def test_documented_in_docs_checks_md():
    doc = (Path(__file__).parent.parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    for c in REGISTRY:
        assert f"### `{c.id}`" in doc, c.id
        # the section shows the registry's own words (regenerate the list when a description changes)
        section = doc.split(f"### `{c.id}`", 1)[1].split("###", 1)[0]
        assert c.description in section and f"severity `{c.severity}`, implies `{c.action}`" in section, c.id


def test_finding_validation():
    with pytest.raises(ValueError):
        Finding(id="x.y", severity="severe", title="t", detail="d")
    with pytest.raises(ValueError):
        Check(id="x.y", title="t", severity="high", reference="r", description="d", controls=(), func=lambda *a: [],
              action="none")


def test_checks_are_pure_over_the_same_evidence():
    est, p = healthy(days_left=10)
    ev = est.evidence()
    before = {name: frame.copy() for name, frame in ev.frames().items()}
    r1 = audit(ev, AS_OF)
    r2 = audit(ev, AS_OF)
    pd.testing.assert_frame_equal(r1.findings, r2.findings)
    for name, frame in ev.frames().items():
        pd.testing.assert_frame_equal(frame, before[name])


def test_frames_edited_in_place_between_audits_are_re_read():
    est, p = healthy(days_left=200)
    ev = est.evidence()
    assert audit(ev, AS_OF).verdicts.iloc[0]["action"] == "none"
    ev.farms.loc[0, "auto_certificate_rollover"] = False  # a notebook user experimenting
    assert audit(ev, AS_OF).verdicts.iloc[0]["action"] == "enable-rollover"
