"""Files an attacker (or a careless copy) puts into an export folder: names that are not UTF-8
and symbolic links that lead outside the folder (issue 12, "Files and disks")."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

import fedaudit
from fedaudit.cli import main
from fedaudit.evidence.load import load

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
needs_samples = pytest.mark.skipif(not (SAMPLES / "README.md").exists(), reason="data/samples not generated")
needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symbolic links")

#: A Latin-1 file name (as a Windows share copied onto Linux gives them), with a clear-screen.
LATIN1_NAME = b"zertifikat-\xe9t\xe9-\x1b[2J.json"


def _fs_name(raw: bytes) -> str:
    return os.fsdecode(raw)


@pytest.fixture
def export_folder(tmp_path) -> Path:
    folder = tmp_path / "exports"
    shutil.copytree(SAMPLES / "ad-fs" / "tailspin-adfs", folder)
    source = folder / "adfs-certificates.json"
    try:
        source.rename(folder / _fs_name(LATIN1_NAME))
    except (UnicodeEncodeError, OSError):
        pytest.skip("this file system does not take file names that are not UTF-8")
    return folder


@needs_samples
def test_a_name_that_is_not_utf8_is_carried_escaped(export_folder, capsys):
    evidence = load(export_folder)
    paths = [i.path for i in evidence.inputs]
    shown = str(export_folder / "zertifikat-\\xe9t\\xe9-\\x1b[2J.json")
    assert shown in paths
    for path in paths:
        path.encode("utf-8")  # always text
    # the file was read (through its real name) and its certificates are there
    assert set(evidence.certificates["origin"]) >= {shown}
    assert main(["inventory", str(export_folder)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\xe9t\\xe9-\\x1b[2J" in out
    assert main(["inventory", str(export_folder), "--format", "json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert shown in [row["path"] for row in obj["inputs"]]


@needs_samples
@needs_symlinks
def test_a_link_leading_outside_the_folder_is_a_load_issue_and_never_read(tmp_path, capsys):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret:19000:0:99999:7:::\n", encoding="utf-8")
    folder = tmp_path / "exports"
    shutil.copytree(SAMPLES / "ad-fs" / "tailspin-adfs", folder)
    (folder / "sub").mkdir()
    (folder / "sub" / "etc-shadow.txt").symlink_to("/etc/shadow" if Path("/etc/shadow").exists() else secret)
    (folder / "secret.txt").symlink_to(secret)
    inside = folder / "certs-again.json"
    inside.symlink_to(folder / "adfs-certificates.json")  # a link within the folder is fine

    evidence = fedaudit.load(folder)
    by_path = {i.path: i for i in evidence.inputs}
    for name in ("secret.txt", "sub/etc-shadow.txt"):
        entry = by_path[str(folder / name)]
        assert entry.kind == "refused (link outside the folder)"
        assert entry.sha256 == "" and entry.size == 0  # not read, not hashed
    issues = evidence.issues
    refused = issues[issues["message"].str.contains("symbolic link that leads outside its folder")]
    assert set(refused["origin"]) == {str(folder / "secret.txt"), str(folder / "sub/etc-shadow.txt")}
    assert set(refused["severity"]) == {"high"}
    assert by_path[str(inside)].sha256  # read

    # the same link given directly on the command line is read as given
    direct = fedaudit.load(folder / "secret.txt")
    (entry,) = direct.inputs
    assert entry.sha256 and entry.kind != "refused (link outside the folder)"

    assert main(["inventory", str(folder), "--strict"]) == 1  # load issues
    capsys.readouterr()
    assert main(["inventory", str(folder), "--format", "json"]) == 0
    text = capsys.readouterr().out
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    assert digest not in text and "$6$secret" not in text
