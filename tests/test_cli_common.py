"""The plain-text table of the CLI: left-aligned, one line per row, long cells clipped."""

import datetime as dt
import re

import pandas as pd

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
