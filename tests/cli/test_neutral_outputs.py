"""Outputs carry no live payload (issue 12): no formula cell in any CSV fedaudit writes, no raw
escape sequence on the terminal, no live ``$(`` in a printed shell command, no raw U+2028/U+0085
in JSON Lines. Every test uses the hostile estate of support.hostile."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from support.hostile import (
    AS_OF,
    DDE_IDENTIFIER,
    ESCAPE_CN,
    ESCAPE_TAIL,
    FORMULA_HOST,
    RAW_CONTROLS,
    SHELL_HOST,
    write_hostile_estate,
)

from fedaudit.cli import main
from fedaudit.engine import audit
from fedaudit.evidence.load import load
from fedaudit.neutral import (
    CSV_TRIGGERS,
    csv_cell,
    json_text,
    shell_command,
    term,
    term_text,
    uncsv_cell,
)
from fedaudit.ops import history
from fedaudit.reporting.siem import finding_records, jsonl_text, to_ocsf

UTC = dt.timezone.utc
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


@pytest.fixture(scope="module")
def estate(tmp_path_factory) -> Path:
    return write_hostile_estate(tmp_path_factory.mktemp("hostile"))


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def csv_cells(text: str) -> list[str]:
    """Every cell of fedaudit's CSV output (sections separated by ``# name`` lines)."""
    body = "\n".join(line for line in text.splitlines() if not line.startswith("# "))
    return [cell for row in csv.reader(io.StringIO(body)) for cell in row]


def assert_no_formula(cells: list[str]) -> None:
    live = [c for c in cells if c and c[0] in CSV_TRIGGERS and not NUMBER.fullmatch(c)]
    assert not live, live[:5]


def strings(obj) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return []


def assert_no_raw_controls(text: str) -> None:
    for char in RAW_CONTROLS:
        assert char not in text, f"raw {char!r} in output"


# -- the helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [FORMULA_HOST, DDE_IDENTIFIER, "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1"]
)
def test_csv_cell_prefixes_every_formula_start(value):
    assert csv_cell(value) == "'" + value
    assert uncsv_cell(csv_cell(value)) == value


@pytest.mark.parametrize("value", ["-3.5", "+12", "-1e3", "42", "", "fs.contoso.com", "'=already"])
def test_csv_cell_leaves_numbers_and_plain_text(value):
    assert csv_cell(value) == value


def test_term_shows_every_control_character():
    assert term(ESCAPE_CN) == "ADFS Signing \\x1b]0;pwned\\x07\\x1b[2J\\u2028line\\x85next\\x9b31m"
    assert term("a\nb\tc\x7f") == "a\\nb\\tc\\x7f"
    assert term("caf\udce9") == "caf\\xe9"  # a byte that is not UTF-8 (surrogateescape)
    assert term_text("line 1\n\tline 2\x1b[2J") == "line 1\n\tline 2\\x1b[2J"


def test_json_text_escapes_line_separators_and_stays_the_same_json():
    value = {"subject": ESCAPE_CN, "path": "caf\udce9"}
    text = json_text(json.dumps(value, ensure_ascii=False))
    assert_no_raw_controls(text)
    assert json.loads(text) == value
    text.encode("utf-8")  # the lone surrogate is an escape now


# -- CSV outputs -------------------------------------------------------------------------------


def test_check_csv_has_no_formula_cell(estate, capsys):
    code, out, _ = run(capsys, "check", estate, "--as-of", AS_OF, "--format", "csv", "--fail-on", "none")
    assert code == 0
    cells = csv_cells(out)
    assert "'" + FORMULA_HOST.lower() in cells  # the farm: shown, as text
    assert_no_formula(cells)
    assert_no_raw_controls(out)


def test_inventory_csv_has_no_formula_cell(estate, capsys):
    code, out, _ = run(capsys, "inventory", estate, "--format", "csv")
    assert code == 0
    cells = csv_cells(out)
    assert any(c.startswith("'+cmd|") for c in cells)  # the Identifier
    assert "'" + FORMULA_HOST.lower() in cells
    assert_no_formula(cells)
    assert_no_raw_controls(out)


def test_diff_csv_has_no_formula_cell(estate, tmp_path, capsys):
    db = tmp_path / "history.sqlite"
    evidence = load(estate)
    for day in (20, 27):
        as_of = dt.datetime(2026, 11, day, tzinfo=UTC)
        run_id = history.begin_run(db, "hostile", as_of=as_of, started=as_of, fail_on="high")
        history.complete_run(db, run_id, audit(evidence, as_of), finished=as_of, exit_code=0)
    code, out, _ = run(capsys, "diff", "1", "2", "--db", db, "--format", "csv")
    assert code == 0
    cells = csv_cells(out)
    assert "'" + FORMULA_HOST.lower() in cells
    assert_no_formula(cells)
    assert_no_raw_controls(out)


# -- the terminal ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "{estate}", "--as-of", AS_OF, "--fail-on", "none"],
        ["inventory", "{estate}"],
        ["check", "{estate}", "--as-of", AS_OF, "--format", "json", "--fail-on", "none"],
        ["inventory", "{estate}", "--format", "json"],
    ],
)
def test_printed_values_show_escapes_not_control_sequences(estate, capsys, argv):
    code, out, err = run(capsys, *[a.format(estate=estate) for a in argv])
    assert code == 0
    assert_no_raw_controls(out + err)
    if "json" in argv:
        # the JSON value is intact, only written as \u escapes
        assert any(ESCAPE_TAIL in s for s in strings(json.loads(out)))
    else:
        assert "\\x1b]0" in out


def test_one_line_errors_escape_the_value_they_name(tmp_path, capsys):
    hostile = tmp_path / "exports\x1b]0;pwned\x07\x1b[2J"
    code, out, err = run(capsys, "check", hostile, "--as-of", AS_OF)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "no such file or folder" in err
    assert_no_raw_controls(err)
    assert "exports\\x1b]0;pwned\\x07\\x1b[2J" in err
    code, _, err = run(capsys, "check", tmp_path, "--culture", "de-\x1b[2J")
    assert code == 2 and err.count("\n") == 1
    assert_no_raw_controls(err)


# -- shell commands ----------------------------------------------------------------------------


def fetch_commands(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("fedaudit fetch ")]


def test_printed_fetch_command_with_hostile_host_is_not_live_shell(estate, tmp_path, capsys):
    code, out, _ = run(capsys, "check", estate, "--as-of", AS_OF, "--format", "json", "--fail-on", "none")
    assert code == 0
    result = json.loads(out)
    commands = {c for f in result["findings"] for c in fetch_commands(f.get("remediation") or "")}
    commands |= {
        m.split(": ", 1)[1]
        for v in result["verdicts"]
        for m in (v.get("missing") or "").split("; ")
        if ": fedaudit fetch " in m
    }
    assert commands
    for command in commands:
        # Run it as a user pasting it would, with fedaudit replaced by a function that prints
        # its arguments: the URL arrives as one literal argument (or, for a URL fedaudit will not
        # print, a placeholder) and nothing else runs.
        proc = subprocess.run(
            ["bash", "-c", 'fedaudit() { printf "%s\\n" "$@"; }\n' + command],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        args = proc.stdout.splitlines()
        assert args[0] == "fetch" and args[2:] == ["--out", "evidence"], args
        assert not (tmp_path / "pwned").exists()


def test_the_same_command_unquoted_would_run(tmp_path):
    """The payload is live: without shell_command, pasting the line creates the file."""
    url = f"https://{SHELL_HOST.lower()}/federationmetadata/2007-06/federationmetadata.xml"
    subprocess.run(["bash", "-c", f"fedaudit() {{ :; }}\nfedaudit fetch {url}"], cwd=tmp_path, timeout=30, check=True)
    assert (tmp_path / "pwned").exists()
    assert shlex.split(shell_command("fedaudit fetch", url)) == ["fedaudit", "fetch", url]


def test_discover_never_derives_a_url_from_a_hostile_host(estate, tmp_path, capsys):
    code, _, err = run(capsys, "fetch", "--discover", estate, "--out", tmp_path / "evidence")
    assert code == 2  # nothing to fetch: neither HostName is a DNS name
    assert "$(" not in err and "HYPERLINK" not in err.upper().replace("'", "")
    assert_no_raw_controls(err)


# -- JSON Lines --------------------------------------------------------------------------------


def test_json_lines_have_no_raw_line_separators(estate):
    as_of = dt.datetime(2026, 11, 27, tzinfo=UTC)
    result = audit(load(estate), as_of)
    records = finding_records(result.findings, time=as_of, as_of=as_of, audit="hostile")
    for text in (jsonl_text(records), jsonl_text([to_ocsf(r) for r in records])):
        assert_no_raw_controls(text)
        lines = text.split("\n")[:-1]
        assert len(lines) == len(records)
        assert all(json.loads(line) for line in lines)
    assert any(ESCAPE_TAIL in s for s in strings(records))
