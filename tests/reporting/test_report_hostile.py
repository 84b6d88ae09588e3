"""``fedaudit report`` on hostile input and hostile output locations (issue 12): findings.csv
without formula cells, a file name that is not UTF-8 in the manifest, a link to a file outside
the export folder refused, and read-only or full output locations as one-line errors, exit 2."""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest
from support.hostile import AS_OF, FORMULA_HOST, write_hostile_estate

from fedaudit.cli import main
from fedaudit.engine.waivers import AcceptedException, load_exceptions
from fedaudit.neutral import CSV_TRIGGERS
from fedaudit.reporting import render

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
LATIN1_NAME = b"zertifikat-\xe9t\xe9.json"
JUSTIFICATION = '=HYPERLINK("http://evil.example/","approved")'


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-report")
    exports = write_hostile_estate(base / "exports")
    tailspin = exports / "tailspin"
    shutil.copytree(SAMPLES / "ad-fs" / "tailspin-adfs", tailspin)
    latin1 = True
    try:
        (tailspin / "adfs-certificates.json").rename(tailspin / os.fsdecode(LATIN1_NAME))
    except (UnicodeEncodeError, OSError):
        latin1 = False
    secret = base / "shadow"
    secret.write_text("root:$6$secret:19000:0:99999:7:::\n", encoding="utf-8")
    (exports / "shadow.txt").symlink_to(secret)
    records = [
        AcceptedException(
            "evidence.metadata-missing",
            JUSTIFICATION,
            "-ops@contoso.com",
            dt.date(2027, 1, 1),
            farm=FORMULA_HOST.lower(),
        )
    ]
    result = render.report([exports], base / "out", as_of=AS_OF, fail_on="none", exceptions=records)
    return result, exports, secret, latin1


def test_findings_csv_has_no_formula_cell(hostile_report):
    result, *_ = hostile_report
    text = (result.folder / "findings.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for row in rows for c in row]
    live = [c for c in cells if c and c[0] in CSV_TRIGGERS and not NUMBER.fullmatch(c)]
    assert not live, live[:5]
    header = rows[0]
    farms = {row[header.index("farm")] for row in rows[1:]}
    assert "'" + FORMULA_HOST.lower() in farms


def test_staged_exceptions_csv_is_neutral_and_loads_back(hostile_report):
    result, *_ = hostile_report
    staged = result.folder / "exceptions.csv"
    text = staged.read_text(encoding="utf-8")
    assert "'" + JUSTIFICATION.replace('"', '""') in text and "'-ops@contoso.com" in text
    (accepted,) = load_exceptions(staged)
    assert (accepted.justification, accepted.owner, accepted.farm) == (
        JUSTIFICATION,
        "-ops@contoso.com",
        FORMULA_HOST.lower(),
    )
    findings = json.loads((result.folder / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert any(f["excepted"] for f in findings)  # the exception matched the hostile farm


def test_manifest_carries_escaped_names_and_never_hashes_an_outside_link(hostile_report):
    result, exports, secret, latin1 = hostile_report
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    inputs = {Path(i["path"]).name: i for i in manifest["inputs"]}
    link = inputs["shadow.txt"]
    assert (link["sha256"], link["size"], link["kind"]) == ("", 0, "refused (link outside the folder)")
    assert hashlib.sha256(secret.read_bytes()).hexdigest() not in json.dumps(manifest)
    if latin1:
        entry = inputs["zertifikat-\\xe9t\\xe9.json"]
        data = (exports / "tailspin" / os.fsdecode(LATIN1_NAME)).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


# -- output locations that cannot take a report -------------------------------------------------


def _one_line_exit_2(capsys, argv) -> str:
    assert main([str(a) for a in argv]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    return err


def test_report_out_on_a_read_only_location_is_exit_2(tmp_path, monkeypatch, capsys):
    """A read-only folder (root ignores mode bits, so the file system's answer is simulated)."""
    estate = write_hostile_estate(tmp_path / "exports")
    out = tmp_path / "out"
    out.mkdir()

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(out))

    monkeypatch.setattr(render.tempfile, "mkdtemp", read_only)
    err = _one_line_exit_2(capsys, ["report", estate, "--out", out, "--as-of", AS_OF])
    assert err == f"fedaudit: error: {out}: cannot write a report folder here: Read-only file system\n"


def test_report_on_a_full_disk_is_exit_2_and_leaves_no_folder(tmp_path, monkeypatch, capsys):
    estate = write_hostile_estate(tmp_path / "exports")
    accepted = tmp_path / "accepted.toml"
    accepted.write_text(
        '[[exception]]\ncheck = "evidence.metadata-missing"\nfarm = "x"\n'
        'justification = "j"\nowner = "o"\nexpires = 2027-01-01\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"

    def full(src, dst, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))

    monkeypatch.setattr(render.shutil, "copyfile", full)
    err = _one_line_exit_2(capsys, ["report", estate, "--out", out, "--as-of", AS_OF, "--exceptions", accepted])
    assert err == f"fedaudit: error: {out}: cannot write the report (exceptions.toml): No space left on device\n"
    assert list(out.iterdir()) == []  # the hidden .partial folder is gone too


def test_any_oserror_in_a_command_is_exit_2_not_1(tmp_path, monkeypatch, capsys):
    """Exit 1 means findings to CI and cron; a disk error (or a bug) never says that."""
    estate = write_hostile_estate(tmp_path / "exports")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("fedaudit.cli.check.write_out", full)
    err = _one_line_exit_2(capsys, ["check", estate, "--as-of", AS_OF])
    assert err == "fedaudit: error: No space left on device\n"

    def bug(*args, **kwargs):
        raise KeyError("surprise\x1b[2J")

    monkeypatch.setattr("fedaudit.cli.check.write_out", bug)
    err = _one_line_exit_2(capsys, ["check", estate, "--as-of", AS_OF])
    assert err.startswith("fedaudit: internal error: KeyError: 'surprise\\x1b[2J'") and "\x1b" not in err


def test_a_root_folder_whose_name_is_not_utf8_is_a_usage_error_for_report(tmp_path, capsys):
    root = tmp_path / os.fsdecode(b"caf\xe9-exports")
    try:
        write_hostile_estate(root)
    except (UnicodeEncodeError, OSError):
        pytest.skip("this file system does not take file names that are not UTF-8")
    err = _one_line_exit_2(capsys, ["report", root, "--out", tmp_path / "out", "--as-of", AS_OF])
    assert "caf\\xe9-exports: a path whose name is not UTF-8 cannot be given to the report" in err
    assert not (tmp_path / "out").exists()
    # check reads it, and shows the name escaped
    assert main(["check", str(root), "--as-of", AS_OF, "--format", "json", "--fail-on", "none"]) == 0
    assert "caf\\\\xe9-exports" in capsys.readouterr().out
