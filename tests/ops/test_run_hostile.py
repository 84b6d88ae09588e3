"""``fedaudit run`` when things go wrong (issue 12, "Files, disks, runs"): oversized numbers and
deep nesting in the configuration, huge CSV fields, one audit failing with an unexpected
exception, left-overs of killed runs, and two processes writing the index at once."""

from __future__ import annotations

import datetime as dt
import errno
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from support.hostile import write_hostile_estate

from fedaudit.cli import main
from fedaudit.ops import history, schedule


def fake_report(fail_for: dict[str, Exception] | None = None):
    """A stand-in for the report renderer (no notebook is executed)."""

    def report(inputs, out, **kwargs):
        error = (fail_for or {}).get(kwargs.get("audit_name"))
        if error is not None:
            raise error
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
        n = len(list(Path(out).glob(f"{stamp}-*")))
        folder = Path(out) / f"{stamp}-{kwargs.get('audit_name')}{f'-{n + 1}' if n else ''}"
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("<html><body>stand-in</body></html>", encoding="utf-8")
        return SimpleNamespace(folder=folder, html=folder / "report.html", exit_code=0)

    return report


def write_config(base: Path, *, output_extra: str = "", audits: tuple[str, ...] = ("first", "second")) -> Path:
    write_hostile_estate(base / "exports")
    lines = ["[output]", 'root = "audits"', output_extra, ""]
    for name in audits:
        lines += ["[[audit]]", f'name = "{name}"', 'exports = ["exports"]', ""]
    cfg = base / "fedaudit.toml"
    cfg.write_text("\n".join(lines), encoding="utf-8")
    return cfg


def one_line_exit_2(capsys, argv) -> str:
    assert main([str(a) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err, err
    return err


# -- configuration and exceptions files --------------------------------------------------------


def test_retention_of_a_million_days_is_a_config_error(tmp_path, capsys):
    cfg = write_config(tmp_path, output_extra="retention = 1000000")
    err = one_line_exit_2(capsys, ["run", "--config", cfg])
    assert "retention: expected a whole number of days (1 to 36500), got 1000000" in err


def test_a_threshold_of_infinity_is_a_config_error(tmp_path, capsys):
    cfg = write_config(tmp_path)
    cfg.write_text(cfg.read_text() + "[audit.thresholds]\nexpiry_warning_days = inf\n", encoding="utf-8")
    err = one_line_exit_2(capsys, ["run", "--config", cfg])
    assert "expected a number of days (0 to 36500), got inf" in err


def test_deeply_nested_toml_is_a_config_error(tmp_path, capsys):
    cfg = tmp_path / "fedaudit.toml"
    cfg.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    err = one_line_exit_2(capsys, ["run", "--config", cfg])
    assert err == f"fedaudit: error: {cfg}: not valid TOML: nested too deeply\n"
    exceptions = tmp_path / "accepted.toml"
    exceptions.write_text(cfg.read_text(), encoding="utf-8")
    write_hostile_estate(tmp_path / "exports")
    err = one_line_exit_2(capsys, ["check", tmp_path / "exports", "--exceptions", exceptions])
    assert "not valid TOML: nested too deeply" in err


def test_an_exceptions_csv_field_over_the_csv_limit_is_a_config_error(tmp_path, capsys):
    write_hostile_estate(tmp_path / "exports")
    exceptions = tmp_path / "accepted.csv"
    huge = "x" * 131_073
    exceptions.write_text(
        "check,farm,domain,justification,owner,expires\n"
        f'evidence.metadata-missing,fs.contoso.com,,"{huge}",ops,2027-01-01\n',
        encoding="utf-8",
    )
    err = one_line_exit_2(capsys, ["check", tmp_path / "exports", "--exceptions", exceptions])
    assert err.startswith(f"fedaudit: error: {exceptions}: line 2: not a CSV record fedaudit accepts (field larger")


# -- one audit failing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        ValueError("Failed to parse: http://[oops]/"),  # what requests raised on a bad redirect
        OSError(errno.ENOSPC, "No space left on device"),
        KeyError("a bug"),
    ],
)
def test_one_audit_failing_never_stops_the_others_or_the_index(tmp_path, monkeypatch, capsys, error):
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report({"first": error}))
    cfg = write_config(tmp_path)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-27"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fedaudit: error: audit first: run 1 failed: ")
    db = tmp_path / "audits" / "history.sqlite"
    frame = history.runs(db)
    assert frame["audit"].tolist() == ["first", "second"]
    assert frame["status"].tolist() == ["failed", "complete"]
    expected = "No space left on device" if isinstance(error, OSError) else type(error).__name__
    assert expected in frame["error"][0]
    index = (tmp_path / "audits" / "index.html").read_text(encoding="utf-8")
    assert "first" in index and "second" in index


# -- left-overs of killed runs -------------------------------------------------------------------


def _age(path: Path, days: float) -> None:
    stamp = time.time() - days * 86400
    os.utime(path, (stamp, stamp))


def test_retention_sweeps_partial_and_unrecorded_report_folders_older_than_a_day(tmp_path, monkeypatch):
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report())
    cfg = write_config(tmp_path, output_extra="retention = 30", audits=("first",))
    audit_dir = tmp_path / "audits" / "first"
    old_partial = audit_dir / ".2026-11-01T101010Z-first.k3j2h1.partial"
    new_partial = audit_dir / ".2026-11-27T101010Z-first.a1b2c3.partial"
    orphan = audit_dir / "2026-11-01T101010Z-first"  # published, then killed before it was recorded
    young_orphan = audit_dir / "2026-11-27T090000Z-first"  # perhaps another run, still working
    keep = audit_dir / "notes"  # not a report folder
    for folder in (old_partial, new_partial, orphan, young_orphan, keep):
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("x", encoding="utf-8")
    for folder in (old_partial, orphan, keep):
        _age(folder, 3)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-27"]) == 0
    assert not old_partial.exists() and not orphan.exists()
    assert new_partial.exists() and young_orphan.exists() and keep.exists()
    recorded = Path(history.runs(tmp_path / "audits" / "history.sqlite")["report_path"][0])
    _age(recorded.parent, 3)  # a recorded report is retention's to judge by its age, not swept
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-27"]) == 0
    assert recorded.is_file()


def test_without_retention_only_partial_folders_are_swept(tmp_path, monkeypatch):
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report())
    cfg = write_config(tmp_path, audits=("first",))
    audit_dir = tmp_path / "audits" / "first"
    partial = audit_dir / ".2026-11-01T101010Z-first.k3j2h1.partial"
    orphan = audit_dir / "2026-11-01T101010Z-first"
    for folder in (partial, orphan):
        folder.mkdir(parents=True)
        _age(folder, 3)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-27"]) == 0
    assert not partial.exists() and orphan.exists()  # no retention: every report is kept


# -- two processes, one index ---------------------------------------------------------------------


def test_index_is_written_through_a_temporary_file_unique_per_writer(tmp_path, monkeypatch):
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report())
    cfg = write_config(tmp_path, audits=("first",))
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-27"]) == 0
    root = tmp_path / "audits"
    db = root / "history.sqlite"
    names: list[str] = []
    real_replace = os.replace

    def replace(src, dst):
        names.append(os.fspath(src))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(10):
                schedule.write_index(db, root, generated=dt.datetime.now(dt.timezone.utc))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert len(names) == 40 and len(set(names)) == 40  # never one fixed index.html.tmp
    assert all(Path(n).name.startswith(".index.html.") and n.endswith(".tmp") for n in names)
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == []  # nothing left over
    assert (root / "index.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
