"""The plain-text table of the CLI: left-aligned, one line per row, long cells clipped."""

import datetime as dt
import re

import pandas as pd
import pytest

from fedaudit.cli import main
from fedaudit.cli._common import TABLE_CELL_WIDTH, render_frames
from fedaudit.frames import make_frame


def test_table_clips_long_cells_and_keeps_file_name_ends():
    long_path = "/srv/evidence/" + "x" * 80 + "/adfs-certificates.xml"
    issues = make_frame(
        "issues",
        [{"origin": long_path, "line": 3, "severity": "warning", "message": "m " * 100}],
    )
    text = render_frames({"issues": issues}, "table")
    lines = text.splitlines()
    assert lines[0] == "issues (1)"
    assert lines[1].split() == ["ORIGIN", "LINE", "FIELD", "SEVERITY", "MESSAGE"]
    row = lines[2]
    assert "adfs-certificates.xml" in row and row.startswith("\u2026")
    assert row.endswith("\u2026")
    assert max(len(cell.strip()) for cell in re.split(r" {2,}", row)) <= TABLE_CELL_WIDTH
    assert " - " in row  # a missing field shows as '-', never as <NA> or ''


def test_table_formats_times_and_numbers():
    frame = pd.DataFrame(
        {"when": [pd.Timestamp(dt.datetime(2026, 11, 27, 10, 30, tzinfo=dt.timezone.utc))], "days": [4.666]}
    )
    text = render_frames({"t": frame}, "table")
    assert "2026-11-27 10:30Z" in text and "4.7" in text


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["check", "x", "--fail-on", "bogus"], "fedaudit check: error: argument --fail-on: invalid choice: 'bogus'"),
        (["inventory"], "fedaudit inventory: error: the following arguments are required: PATH"),
        (["bogus"], "fedaudit: error: argument COMMAND: invalid choice: 'bogus'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(capsys, argv, needle):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(needle)


def test_bad_notification_date_names_its_own_option(capsys, tmp_path):
    assert main(["check", str(tmp_path), "--notification-date", "garbage"]) == 2
    assert capsys.readouterr().err == "fedaudit: error: --notification-date: 'garbage' is not a date (use YYYY-MM-DD)\n"


def test_report_history_needs_a_database_and_an_audit_name(capsys, tmp_path):
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "r"), "--history", str(tmp_path / "h.sqlite")]) == 2
    assert "--history needs --audit-name" in capsys.readouterr().err
    argv = ["report", str(tmp_path), "--out", str(tmp_path / "r"), "--history", str(tmp_path), "--audit-name", "a"]
    assert main(argv) == 2
    assert "not a history database file" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_device_is_not_evidence(capsys):
    assert main(["inventory", "/dev/null"]) == 2
    assert capsys.readouterr().err == (
        "fedaudit: error: /dev/null: not a regular file or folder (a device, socket or pipe is not evidence)\n"
    )


def test_check_csv_states_its_as_of(capsys, tmp_path):
    assert main(["check", str(tmp_path), "--as-of", "2026-11-27", "--format", "csv", "--fail-on", "none"]) == 0
    assert capsys.readouterr().out.startswith("# as_of: 2026-11-27T00:00:00+00:00\n# verdicts\n")


@pytest.mark.parametrize("command", [["fetch", "https://127.0.0.1:9/x", "--out", "OUT"], ["check", "."], ["inventory", "."]])
def test_every_workers_option_refuses_what_is_not_a_whole_number_of_one_or_more(command, tmp_path, capsys):
    from fedaudit.cli import main

    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    for bad in ("0", "-2", "x", " 3"):
        with pytest.raises(SystemExit) as exc:
            main([*args, "--workers", bad])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "--workers" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # refused before any fetch
