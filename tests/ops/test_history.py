"""The history database: runs, crash safety, and drift between runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from fedaudit.ops import history
from fedaudit.errors import HistoryError, UsageError
from fedaudit.evidence.join import Evidence, InputFile
from fedaudit.frames import make_frame

UTC = dt.timezone.utc
ROOT = Path(__file__).resolve().parents[2]

TP = {n: (f"{n:X}" * 40)[:40] for n in range(1, 10)}


@dataclass
class Result:
    """The attributes of fedaudit.engine.core.AuditResult that history reads, over real frames."""

    as_of: dt.datetime
    evidence: Evidence
    verdicts: pd.DataFrame
    findings: pd.DataFrame
    timeline: pd.DataFrame = field(default_factory=lambda: make_frame("timeline", []))


def cert(source, slot, tp, *, farm=None, domain=None, not_after=dt.datetime(2027, 1, 1, tzinfo=UTC)):
    return {
        "source": source, "farm": farm, "domain": domain, "role": "token-signing", "slot": slot,
        "thumbprint": tp, "subject": "CN=ADFS Signing - " + (farm or domain or "x"), "not_after": not_after,
        "origin": f"exports/{source}.json",
    }


def result(certs, domains, verdicts, findings, as_of=dt.datetime(2026, 11, 1, tzinfo=UTC)) -> Result:
    evidence = Evidence(
        certificates=make_frame("certificates", certs),
        domains=make_frame("domains", domains),
        farms=make_frame("farms", [{"farm": "fs.contoso.com", "host_name": "fs.contoso.com"}]),
        inputs=(InputFile("exports/adfs.json", 1234, "ab" * 32, "Get-AdfsCertificate (ConvertTo-Json 5.1, UTF-8)"),),
    )
    return Result(as_of, evidence, make_frame("verdicts", verdicts), make_frame("findings", findings))


def first_result() -> Result:
    return result(
        certs=[
            cert("adfs", "primary", TP[1], farm="fs.contoso.com"),
            cert("adfs", "secondary", TP[2], farm="fs.contoso.com"),
            cert("entra", "current", TP[1], farm="fs.contoso.com", domain="contoso.com"),
            cert("entra", "current", TP[9], farm="fs.contoso.com", domain="contoso.co.uk"),
        ],
        domains=[
            {"domain": "contoso.com", "farm": "fs.contoso.com", "authentication": "Federated", "update_result": "success"},
            {"domain": "contoso.co.uk", "farm": "fs.contoso.com", "authentication": "Federated", "update_result": "noNewCertificateFound"},
        ],
        verdicts=[
            {"domain": "contoso.com", "farm": "fs.contoso.com", "action": "none", "severity": "info"},
            {"domain": "contoso.co.uk", "farm": "fs.contoso.com", "action": "update-entra", "severity": "critical"},
        ],
        findings=[
            {"id": "sync.entra-mismatch", "severity": "critical", "farm": "fs.contoso.com", "domain": "contoso.co.uk",
             "title": "Entra holds another certificate", "key": "sync.entra-mismatch|fs.contoso.com|contoso.co.uk|",
             "evidence": [{"fact": "entra current", "value": TP[9], "origin": "exports/entra.json"}]},
            {"id": "crypto.sha1", "severity": "warning", "farm": "fs.contoso.com", "domain": None,
             "title": "SHA-1", "key": "crypto.sha1|fs.contoso.com||CN=x", "excepted": True, "exception": "excepted until 2027-01-01 (owner o): j"},
        ],
    )


def second_result() -> Result:
    """contoso.co.uk fixed (now carries the primary), the AD FS secondary rotated, a new domain lags."""
    return result(
        certs=[
            cert("adfs", "primary", TP[1], farm="fs.contoso.com"),
            cert("adfs", "secondary", TP[3], farm="fs.contoso.com", not_after=dt.datetime(2027, 11, 1, tzinfo=UTC)),
            cert("entra", "current", TP[1], farm="fs.contoso.com", domain="contoso.com"),
            cert("entra", "current", TP[1], farm="fs.contoso.com", domain="contoso.co.uk"),
            cert("entra", "current", TP[8], farm="fs.contoso.com", domain="new.contoso.com"),
        ],
        domains=[
            {"domain": "contoso.com", "farm": "fs.contoso.com", "update_result": "success"},
            {"domain": "contoso.co.uk", "farm": "fs.contoso.com", "update_result": "Success"},
            {"domain": "new.contoso.com", "farm": "fs.contoso.com", "update_result": "couldNotAccessRemoteHost"},
        ],
        verdicts=[
            {"domain": "contoso.com", "farm": "fs.contoso.com", "action": "none", "severity": "info"},
            {"domain": "contoso.co.uk", "farm": "fs.contoso.com", "action": "none", "severity": "info"},
            {"domain": "new.contoso.com", "farm": "fs.contoso.com", "action": "update-entra", "severity": "critical"},
        ],
        findings=[
            {"id": "sync.entra-mismatch", "severity": "critical", "farm": "fs.contoso.com", "domain": "new.contoso.com",
             "title": "Entra holds another certificate", "key": "sync.entra-mismatch|fs.contoso.com|new.contoso.com|"},
            {"id": "crypto.sha1", "severity": "warning", "farm": "fs.contoso.com", "domain": None,
             "title": "SHA-1", "key": "crypto.sha1|fs.contoso.com||CN=x"},
        ],
        as_of=dt.datetime(2026, 11, 8, tzinfo=UTC),
    )


def record(db: Path, res: Result, audit: str = "contoso", folder: str | None = None) -> int:
    started = dt.datetime(2026, 11, 1, 6, tzinfo=UTC)
    run_id = history.begin_run(db, audit, as_of=res.as_of, started=started, fail_on="high")
    report = db.parent / audit / (folder or f"report-{run_id}") / "report.html"
    history.complete_run(db, run_id, res, finished=started + dt.timedelta(minutes=1), report_path=report, exit_code=1)
    return run_id


def test_a_complete_run_keeps_what_it_saw(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    run_id = record(db, first_result())
    frame = history.runs(db)
    row = frame.iloc[0]
    assert (row["id"], row["audit"], row["status"], row["exit_code"], row["report_folder"]) == (run_id, "contoso", "complete", 1, f"report-{run_id}")
    assert row["as_of"] == pd.Timestamp("2026-11-01", tz="UTC")
    assert row["counts"]["critical"] == 1 and row["counts"]["warning"] == 0 and row["counts"]["excepted"] == 1
    assert row["counts"]["domains"] == 2 and row["counts"]["actions"] == {"none": 1, "update-entra": 1}
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT path, size, sha256 FROM inputs").fetchall() == [("exports/adfs.json", 1234, "ab" * 32)]
        assert conn.execute("SELECT count(*) FROM certificates WHERE run_id = ?", (run_id,)).fetchone() == (4,)
        (evidence, excepted), _ = conn.execute("SELECT evidence, excepted FROM findings ORDER BY rowid").fetchall()
        assert json.loads(evidence)[0]["value"] == TP[9] and excepted == 0
        assert conn.execute("SELECT not_after FROM certificates LIMIT 1").fetchone() == ("2027-01-01T00:00:00+00:00",)


def test_drift_against_the_last_complete_run(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    first = record(db, first_result())
    drift = history.drift_section(db, "contoso", second_result())
    assert set(drift) == set(history.DRIFT_FRAMES)
    base = drift["baseline"]
    assert base[["which", "run_id", "audit"]].values.tolist() == [["before", first, "contoso"]]

    f = drift["findings"]
    assert f[["change", "id", "domain"]].astype(object).where(f[["change", "id", "domain"]].notna(), None).values.tolist() == [
        ["new", "sync.entra-mismatch", "new.contoso.com"],
        ["resolved", "sync.entra-mismatch", "contoso.co.uk"],
        ["unchanged", "crypto.sha1", None],
    ]

    c = drift["certificates"].set_index(["source", "slot", "change"])
    assert c.loc[("adfs", "secondary", "rotated"), ["before", "after"]].tolist() == [TP[2], TP[3]]
    assert c.loc[("adfs", "secondary", "rotated"), "after_not_after"] == pd.Timestamp("2027-11-01", tz="UTC")
    entra = drift["certificates"][drift["certificates"]["source"] == "entra"]
    assert entra[["change", "domain", "before", "after"]].astype(object).where(entra[["change", "domain", "before", "after"]].notna(), None).values.tolist() == [
        ["rotated", "contoso.co.uk", TP[9], TP[1]],
        ["appeared", "new.contoso.com", None, TP[8]],
    ]

    u = drift["update_status"]
    # "noNewCertificateFound" -> "Success" changed; "success" -> "success" did not; new domain appeared.
    assert u[["domain", "before", "after"]].astype(object).where(u[["domain", "before", "after"]].notna(), None).values.tolist() == [
        ["contoso.co.uk", "noNewCertificateFound", "Success"],
        ["new.contoso.com", None, "couldNotAccessRemoteHost"],
    ]
    a = drift["actions"]
    assert a[["domain", "before", "after"]].astype(object).where(a[["domain", "before", "after"]].notna(), None).values.tolist() == [
        ["contoso.co.uk", "update-entra", "none"],
        ["new.contoso.com", None, "update-entra"],
    ]


def test_first_run_has_no_baseline(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    for path in (None, db):
        drift = history.drift_section(path, "contoso", first_result())
        assert len(drift["baseline"]) == 0 and all(len(drift[k]) == 0 for k in history.DRIFT_FRAMES)
        assert list(drift["findings"].columns)[:3] == ["change", "id", "severity"]
    assert not db.exists()  # reading never creates a database
    record(db, first_result(), audit="fabrikam")
    assert len(history.drift_section(db, "contoso", first_result())["baseline"]) == 0


def test_drift_ignores_running_and_failed_runs(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    done = record(db, first_result())
    failed = history.begin_run(db, "contoso", as_of=dt.datetime(2026, 11, 2, tzinfo=UTC), started=dt.datetime(2026, 11, 2, tzinfo=UTC))
    history.fail_run(db, failed, finished=dt.datetime(2026, 11, 2, 0, 1, tzinfo=UTC), error="report failed")
    history.begin_run(db, "contoso", as_of=dt.datetime(2026, 11, 3, tzinfo=UTC), started=dt.datetime(2026, 11, 3, tzinfo=UTC))
    assert history.last_complete_run(db, "contoso") == done
    assert history.drift_section(db, "contoso", second_result())["baseline"]["run_id"].tolist() == [done]
    frame = history.runs(db)
    # The third row's process (this one) is not working on it: it shows as incomplete.
    assert frame["status"].tolist() == ["complete", "failed", "incomplete"]
    assert frame["error"].tolist()[1] == "report failed"
    assert history.runs(db, live_ids=[3])["status"].tolist()[2] == "running"


def test_diff_runs_and_run_references(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    a = record(db, first_result(), folder="2026-11-01T0600Z")
    b = record(db, second_result(), folder="2026-11-08T0600Z")
    drift = history.diff_runs(db, "previous", "latest")
    assert drift["baseline"][["which", "run_id"]].values.tolist() == [["before", a], ["after", b]]
    assert drift["findings"]["change"].tolist() == ["new", "resolved", "unchanged"]
    same = history.diff_runs(db, str(a), "2026-11-08T0600Z")
    pd.testing.assert_frame_equal(same["certificates"], drift["certificates"])
    assert history.resolve_run(db, str(tmp_path / "contoso" / "2026-11-01T0600Z")) == a
    record(db, first_result(), audit="fabrikam")
    with pytest.raises(UsageError, match="ambiguous: the history holds audits contoso, fabrikam; pass --audit NAME"):
        history.resolve_run(db, "latest")
    assert history.resolve_run(db, "latest", audit="contoso") == b
    with pytest.raises(UsageError, match="'nonesuch' is not a run id"):
        history.resolve_run(db, "nonesuch")
    with pytest.raises(UsageError, match="no run 99"):
        history.resolve_run(db, "99")
    with pytest.raises(UsageError, match="'previous': audit 'fabrikam' has 1 complete run"):
        history.resolve_run(db, "previous", audit="fabrikam")


def test_diff_refuses_incomplete_runs(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    a = record(db, first_result())
    b = history.begin_run(db, "contoso", as_of=dt.datetime(2026, 11, 2, tzinfo=UTC), started=dt.datetime(2026, 11, 2, tzinfo=UTC))
    with pytest.raises(UsageError, match=f"run {b} is incomplete: only complete runs can be compared"):
        history.diff_runs(db, a, b)


def test_a_failure_while_recording_rolls_everything_back(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    res = first_result()
    run_id = history.begin_run(db, "contoso", as_of=res.as_of, started=dt.datetime(2026, 11, 1, tzinfo=UTC))
    broken = Result(res.as_of, res.evidence, res.verdicts, res.findings.drop(columns=["severity"]))
    with pytest.raises(KeyError):
        history.complete_run(db, run_id, broken, finished=dt.datetime(2026, 11, 1, 0, 1, tzinfo=UTC))
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("running",)]
        for table in ("inputs", "certificates", "domains", "verdicts", "findings"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    with pytest.raises(HistoryError, match="is complete, not running"):
        history.complete_run(db, record(db, res), res, finished=dt.datetime(2026, 11, 1, tzinfo=UTC))


KILLED_CHILD = textwrap.dedent(
    """
    import datetime as dt, sys, time
    sys.path.insert(0, {tests!r})
    import test_history as t
    from fedaudit.ops import history

    def stall(conn, run_id, findings):
        # Inside complete_run's transaction, after inputs, certificates, domains and verdicts
        # have been written: tell the parent, then wait to be killed.
        print("inside-transaction", flush=True)
        time.sleep(60)

    history._insert_findings = stall
    res = t.first_result()
    run_id = history.begin_run({db!r}, "contoso", as_of=res.as_of, started=dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
    print("run-inserted", run_id, flush=True)
    history.complete_run({db!r}, run_id, res, finished=dt.datetime(2026, 11, 1, 0, 1, tzinfo=dt.timezone.utc))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_run_is_never_complete_and_the_database_stays_sound(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    earlier = record(db, first_result())
    script = KILLED_CHILD.format(tests=str(ROOT / "tests" / "ops"), db=str(db))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        lines = [proc.stdout.readline().strip() for _ in range(2)]
        assert lines[0].startswith("run-inserted") and lines[1] == "inside-transaction"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close()
    killed = int(lines[0].split()[1])
    # The killed process left its journal behind; opening the database rolls it back.
    with history.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT id, status FROM runs ORDER BY id").fetchall() == [(earlier, "complete"), (killed, "running")]
        for table in ("inputs", "certificates", "domains", "verdicts", "findings"):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", (killed,)).fetchone() == (0,)
    assert history.runs(db)["status"].tolist() == ["complete", "incomplete"]
    assert history.last_complete_run(db, "contoso") == earlier
    # And the database takes the next run normally.
    assert record(db, second_result()) == killed + 1


def test_newer_schema_and_foreign_files_are_refused(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite"
    history.connect(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(HistoryError, match="schema version 99 was written by a newer fedaudit"):
        history.connect(db)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(HistoryError, match="not a usable history database"):
        history.connect(junk)
    with pytest.raises(HistoryError, match="no history database here"):
        history.connect(tmp_path / "absent.sqlite", create=False)


def test_schedule_modules_declare_sorted_complete_all() -> None:
    import importlib
    import inspect

    for name in ("fedaudit.ops.config", "fedaudit.ops.history", "fedaudit.engine.waivers", "fedaudit.reporting.siem", "fedaudit.ops.schedule", "fedaudit.io.collector"):
        mod = importlib.import_module(name)
        assert mod.__all__ == sorted(mod.__all__), name
        assert all(hasattr(mod, n) for n in mod.__all__), name
        public = [n for n, v in vars(mod).items() if not n.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
                  and getattr(v, "__module__", None) == name]
        assert set(public) <= set(mod.__all__), (name, set(public) - set(mod.__all__))
