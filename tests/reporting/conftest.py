"""The demo report, rendered once per session for the browser and PDF tests."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
ARTIFACTS = ROOT / "tests" / "artifacts"
XSS_SUBJECT = r"CN=\<img src=x onerror=alert(1)\>,O=\<script\>alert(2)\</script\>"
XSS_FILE = "<img src=y onerror=alert(3)>.json"
HAS_WEASYPRINT = importlib.util.find_spec("weasyprint") is not None


def samples_as_of() -> str:
    text = (SAMPLES / "README.md").read_text(encoding="utf-8")
    return re.search(r"^As-of date:\s*(\d{4}-\d{2}-\d{2})", text, re.M).group(1)


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory):
    """The demo report (with report.pdf when WeasyPrint is installed) with a markup-laden
    certificate subject and file name added."""
    import support.synth as synth

    from fedaudit.reporting import render

    base = tmp_path_factory.mktemp("demo-report")
    extra = base / "hostile"
    extra.mkdir()
    as_of = samples_as_of()
    day = dt.datetime.fromisoformat(as_of).replace(tzinfo=dt.timezone.utc)
    der = synth.mint_certificate(XSS_SUBJECT, day - dt.timedelta(days=30), day + dt.timedelta(days=300))
    text = synth.WRITERS[("Get-AdfsCertificate", "json7")]([synth.AdfsCertificate(der)])
    (extra / XSS_FILE).write_text(text, encoding="utf-8")
    return render.report(
        [SAMPLES, extra], base / "out", as_of=as_of, fail_on="none", organisation="Contoso <b>bold</b>",
        pdf=HAS_WEASYPRINT,
    )
