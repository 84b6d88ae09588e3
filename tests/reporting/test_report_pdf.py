"""report.pdf (WeasyPrint) and the tamper evidence of a report folder, on the demo estate and on
the collector's test estate (tests/data/collector): every input SHA-256 and every certificate
thumbprint is whole in ``pdftotext`` of the PDF, the page title names organisation and as-of
date, the collector's computer and user appear, and ``fedaudit verify`` passes the folder and
fails it, naming report.html, after one byte of it changes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import HAS_WEASYPRINT, samples_as_of  # tests/reporting/conftest.py
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

ROOT = Path(__file__).resolve().parents[2]
COLLECTED = ROOT / "tests" / "data" / "collector"
PDFTOTEXT = shutil.which("pdftotext")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HAS_WEASYPRINT, reason="WeasyPrint is not installed: pip install 'fedaudit[pdf]'"),
    pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed: apt-get install poppler-utils"),
]


def _text(pdf: Path) -> str:
    return subprocess.run([PDFTOTEXT, str(pdf), "-"], check=True, capture_output=True, text=True, timeout=120).stdout


def _keys(tmp: Path) -> tuple[Path, Path]:
    key = ed25519.Ed25519PrivateKey.generate()
    private, public = tmp / "sign.pem", tmp / "sign.pub.pem"
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """``fedaudit report --pdf --sign-key`` over the collector's estate (AD FS + Graph folders)."""
    from fedaudit.cli import main

    base = tmp_path_factory.mktemp("collected")
    private, public = _keys(base)
    folders = [str(p) for p in sorted(COLLECTED.glob("fedaudit-evidence-*"))]
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            ["report", *folders, "--out", str(base / "out"), "--as-of", "2026-11-27", "--organisation", "Contoso Ltd",
             "--pdf", "--paper", "Letter", "--sign-key", str(private), "--fail-on", "none"]
        )
    assert code == 0
    html = Path(out.getvalue().strip())
    return html.parent, public


def _every_hash_is_whole(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    text = _text(folder / "report.pdf")
    for item in manifest["inputs"]:
        assert item["sha256"] in text, item["path"]
    findings = json.loads((folder / "findings.json").read_text())
    assert findings  # the audit ran
    from fedaudit.evidence.load import load

    roots = [p["given"] for p in manifest["input_roots"]]
    for tp in set(load(*roots).certificates["thumbprint"].dropna()):
        assert tp in text, tp


def test_demo_pdf_holds_every_input_hash_and_thumbprint_whole(demo_report):
    folder = demo_report.folder
    assert demo_report.pdf == folder / "report.pdf" and demo_report.pdf.read_bytes().startswith(b"%PDF")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "report.pdf" in manifest["outputs"]
    _every_hash_is_whole(folder)
    text = _text(folder / "report.pdf")
    assert text.lstrip().startswith("Contoso <b>bold</b> \u2013 federation certificate audit \u2013 as of " + samples_as_of())
    assert re.search(r"page 2 of \d+", text)  # page numbers in the footer
    assert "Action required: " in text and "--fail-on none gate" in text  # the status sentence on page 1
    first_page = text.split("\f", 1)[0]
    assert "Domains that need action" in first_page


def test_collected_pdf_names_the_collector_and_the_title(collected):
    folder, _public = collected
    _every_hash_is_whole(folder)
    text = _text(folder / "report.pdf")
    page = (folder / "report.html").read_text()
    assert "<title>Contoso Ltd \u2013 federation certificate audit \u2013 as of 2026-11-27</title>" in page
    for fact in ("ADFS01", "ADMIN-WS", "CONTOSO\\adm-jdoe", "2026-11-27T06:15:00Z", "Desktop 5.1.17763.6189"):
        assert fact in page.replace("&#x27;", "'"), fact
        assert fact in text, fact
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {c["computer"] for c in manifest["collectors"]} >= {"ADFS01", "ADMIN-WS"}
    assert all(f["match"] is True for c in manifest["collectors"] for f in c["files"])
    assert manifest["rendered_by"]["command_line"][:2] == ["fedaudit", "report"]


def test_verify_passes_the_folder_and_names_report_html_after_one_byte_changes(collected, tmp_path, capsys):
    from fedaudit.cli import main

    folder, public = collected
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    assert main(["verify", str(copy)]) == 0
    assert main(["verify", str(copy), "--public-key", str(public)]) == 0
    assert "intact" in capsys.readouterr().out
    html = copy / "report.html"
    data = bytearray(html.read_bytes())
    data[len(data) // 2] ^= 0x01
    html.write_bytes(bytes(data))
    assert main(["verify", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "changed: report.html: manifest.json says SHA-256" in out and "NOT intact: 1 problem" in out
    # a manifest rewritten to match the edit is caught by the signature
    manifest_path = copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    import hashlib

    manifest["outputs"]["report.html"]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=2))
    assert main(["verify", str(copy)]) == 0
    assert main(["verify", str(copy), "--public-key", str(public)]) == 1
    assert "manifest.json.sig does not match manifest.json" in capsys.readouterr().out
