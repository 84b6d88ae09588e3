"""`fedaudit check` and `fedaudit checks`: output formats and exact exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from fedaudit.checks import REGISTRY
from fedaudit.cli import main

SAMPLES = Path(__file__).parent.parent.parent / "data" / "samples"
AS_OF = "2026-11-27"

needs_samples = pytest.mark.skipif(not (SAMPLES / "README.md").exists(), reason="data/samples not generated")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_checks_lists_the_registry(capsys):
    code, out, err = run(capsys, "checks")
    assert code == 0 and err == ""
    for c in REGISTRY:
        assert c.id in out
    assert "NIST SP 800-53 r5 SC-12" in out and "runbook:" in out
    # the heading says what the order is: the registry's (the order the checks run), not severity's
    assert out.splitlines()[0] == f"{len(REGISTRY)} checks, in the order they run (severities: critical > high > warning > info)"
    ids = [line.split()[0] for line in out.splitlines()[3:] if line and not line.startswith(" ")]
    assert ids == [c.id for c in REGISTRY]


def test_checks_json(capsys):
    code, out, _ = run(capsys, "checks", "--format", "json")
    assert code == 0
    rows = json.loads(out)["checks"]
    assert [r["id"] for r in rows] == [c.id for c in REGISTRY]
    assert set(rows[0]) >= {"id", "severity", "title", "reference", "controls", "description"}


def test_check_help_documents_exit_codes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert "Exit status:" in out
    for line in ("0  no finding at or above --fail-on", "1  findings at or above --fail-on", "2  usage error or unreadable input"):
        assert line in out
    for flag in ("--metadata", "--ca-bundle", "--culture", "--as-of", "--format", "--fail-on", "--notification-date"):
        assert flag in out


def test_missing_path_is_exit_2_with_one_line(capsys, tmp_path):
    code, out, err = run(capsys, "check", str(tmp_path / "nope"), "--as-of", AS_OF)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no such file or folder" in err


def test_bad_as_of_is_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "check", str(tmp_path), "--as-of", "27.11.2026")
    assert code == 2 and "--as-of" in err


def test_bad_fail_on_is_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["check", str(tmp_path), "--fail-on", "severe"])
    assert exc.value.code == 2


def test_empty_folder_is_not_a_pass(capsys, tmp_path):
    code, out, _ = run(capsys, "check", str(tmp_path), "--as-of", AS_OF)
    assert code == 1
    assert "insufficient-evidence" in out and "evidence.nothing-loaded" in out
    code, _, _ = run(capsys, "check", str(tmp_path), "--as-of", AS_OF, "--fail-on", "none")
    assert code == 0


@needs_samples
@pytest.mark.parametrize("fail_on, expected", [("critical", 1), ("high", 1), ("warning", 1), ("info", 1), ("none", 0)])
def test_samples_exit_codes(capsys, fail_on, expected):
    code, _, _ = run(capsys, "check", str(SAMPLES), "--as-of", AS_OF, "--fail-on", fail_on, "--format", "json")
    assert code == expected


@needs_samples
def test_samples_table_is_readable(capsys):
    code, out, err = run(capsys, "check", str(SAMPLES), "--as-of", AS_OF)
    assert code == 1
    assert out.startswith("fedaudit check: as of 2026-11-27 00:00 UTC")
    assert "VERDICTS - will sign-in keep working, and what must be done?" in out
    assert "DOMAIN" in out and "ACTION" in out and "DAYS LEFT" in out
    for domain in ("contoso.com", "litware.co.uk", "tailspintoys.com", "woodgrovebank.com"):
        assert domain in out
    assert "In short: 2 renew-now" in out and "What the actions mean:" in out
    assert "CRITICAL (" in out and "HIGH (" in out and "    Fix:" in out
    assert "Connect-MgGraph -Scopes 'Domain-InternalFederation.ReadWrite.All'" in out
    assert "Update-MsolFederatedDomain -DomainName" not in out
    assert out.rstrip().endswith("exit 1: findings at or above --fail-on high")
    assert "Traceback" not in out + err


@needs_samples
def test_samples_json_object(capsys):
    code, out, _ = run(capsys, "check", str(SAMPLES), "--as-of", AS_OF, "--format", "json")
    doc = json.loads(out)
    assert list(doc) == ["as_of", "verdicts", "findings", "timeline", "issues"]
    assert doc["as_of"].startswith("2026-11-27")
    actions = {v["domain"]: v["action"] for v in doc["verdicts"]}
    assert actions["contoso.com"] == "none"
    assert {"domain", "farm", "auto_certificate_rollover", "in_sync", "metadata_public", "days_left", "action",
            "reason"} <= set(doc["verdicts"][0])


@needs_samples
def test_samples_csv_sections(capsys):
    code, out, _ = run(capsys, "check", str(SAMPLES), "--as-of", AS_OF, "--format", "csv", "--fail-on", "none")
    assert code == 0
    head = f"# as_of: {AS_OF}T00:00:00+00:00\n# verdicts\n"
    assert out.startswith(head)
    marks = [out.index(f"\n\n# {name}\n") for name in ("findings", "timeline", "issues")]
    assert marks == sorted(marks)
    rows = list(csv.DictReader(io.StringIO(out[len(head): marks[0]])))
    assert {r["domain"] for r in rows} >= {"contoso.com", "fabrikam.com"}
    findings = list(csv.DictReader(io.StringIO(out[marks[0] + len("\n\n# findings\n"): marks[1]])))
    assert any("Update-MsolFederatedDomain" in f["remediation"] for f in findings)  # multi-line cells quoted


@needs_samples
def test_notification_date(capsys):
    code, out, _ = run(capsys, "check", str(SAMPLES), "--as-of", AS_OF, "--notification-date", "2026-11-20",
                       "--format", "json")
    ids = {f["id"] for f in json.loads(out)["findings"]}
    assert ids & {"notification.action-needed", "notification.no-action-needed", "notification.undetermined"}
    assert json.loads(out)["notification_date"] == "2026-11-20"
