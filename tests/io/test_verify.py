"""fedaudit verify and manifest signing (fedaudit.io.verify) on a hand-made report folder."""

from __future__ import annotations

import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from fedaudit.cli import main
from fedaudit.errors import UsageError
from fedaudit.io.verify import load_private_key, sign_file, verify_report


def _folder(tmp_path):
    folder = tmp_path / "report"
    (folder / "metadata").mkdir(parents=True)
    files = {"report.html": b"<html>ok</html>", "findings.json": b"{}", "metadata/a.xml": b"<x/>"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    outputs = {n: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in files.items()}
    (folder / "manifest.json").write_text(json.dumps({"outputs": outputs}, indent=2))
    return folder


def _pem(key, tmp_path, name):
    private = tmp_path / f"{name}.pem"
    public = tmp_path / f"{name}.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def test_intact_folder_passes(tmp_path, capsys):
    folder = _folder(tmp_path)
    assert verify_report(folder).intact
    assert main(["verify", str(folder)]) == 0
    assert "intact: 3 file(s) match manifest.json" in capsys.readouterr().out


def test_changed_missing_and_extra_files_are_each_named(tmp_path, capsys):
    folder = _folder(tmp_path)
    (folder / "report.html").write_bytes(b"<html>oK</html>")
    (folder / "metadata" / "a.xml").unlink()
    (folder / "notes.txt").write_text("added later")
    result = verify_report(folder)
    assert {(p.kind, p.path) for p in result.problems} == {
        ("changed", "report.html"), ("missing", "metadata/a.xml"), ("extra", "notes.txt"),
    }
    assert main(["verify", str(folder)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert any(line.startswith("changed: report.html: manifest.json says SHA-256 ") for line in lines)
    assert "missing: metadata/a.xml is listed in manifest.json but not in the folder" in lines
    assert "extra: notes.txt is not listed in manifest.json" in lines
    # each line names its kind once
    for line in lines[:-1]:
        kind = line.split(":", 1)[0]
        assert line.count(kind) == 1, line


def test_a_manifest_that_lists_paths_outside_the_folder_is_refused(tmp_path):
    folder = _folder(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["outputs"]["../outside"] = {"bytes": 1, "sha256": "0" * 64}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert [p.kind for p in verify_report(folder).problems] == ["manifest"]


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["verify", str(tmp_path / "nope")]) == 2
    assert main(["verify", str(_folder(tmp_path)), "--public-key", str(tmp_path / "missing.pem")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["verify"])
    assert exc.value.code == 2
    capsys.readouterr()


def test_no_manifest_is_a_failure_not_a_pass(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "report.html").write_text("x")
    result = verify_report(folder)
    assert not result.intact and result.problems[0].kind == "missing"


@pytest.mark.parametrize("make", [ed25519.Ed25519PrivateKey.generate, lambda: rsa.generate_private_key(65537, 2048)])
def test_signature_catches_a_rewritten_manifest(tmp_path, make, capsys):
    folder = _folder(tmp_path)
    private, public = _pem(make(), tmp_path, "signer")
    sign_file(load_private_key(private), folder / "manifest.json")
    assert main(["verify", str(folder), "--public-key", str(public)]) == 0
    assert "manifest.json.sig verified" in capsys.readouterr().out
    # an edit with a manifest rewritten to match passes the hashes, not the signature
    (folder / "report.html").write_bytes(b"<html>forged</html>")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["outputs"]["report.html"] = {"bytes": 19, "sha256": hashlib.sha256(b"<html>forged</html>").hexdigest()}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert verify_report(folder).intact  # without the key
    result = verify_report(folder, public_key=public)
    assert [p.kind for p in result.problems] == ["signature"]
    # another signer's key does not verify either
    _other, other_public = _pem(ed25519.Ed25519PrivateKey.generate(), tmp_path, "other")
    assert not verify_report(folder, public_key=other_public).intact


def test_unsigned_folder_fails_when_a_key_is_given(tmp_path):
    _private, public = _pem(ed25519.Ed25519PrivateKey.generate(), tmp_path, "k")
    result = verify_report(_folder(tmp_path), public_key=public)
    assert [p.kind for p in result.problems] == ["signature"]


def test_unsupported_or_weak_keys_are_usage_errors(tmp_path):
    private, _ = _pem(ec.generate_private_key(ec.SECP256R1()), tmp_path, "ec")
    with pytest.raises(UsageError, match="Ed25519 or RSA"):
        load_private_key(private)
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(UsageError, match="not a PEM"):
        load_private_key(tmp_path / "junk.pem")
