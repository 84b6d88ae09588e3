"""Both notebooks run top to bottom on the sample estate (papermill, this interpreter's kernel)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fedaudit.reporting import render as reporting

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
NOTEBOOKS = ROOT / "notebooks"

pytestmark = pytest.mark.slow


def _as_of() -> str:
    return re.search(r"^As-of date:\s*(\S+)", (SAMPLES / "README.md").read_text(), re.M).group(1)


def _outputs(nb):
    return {c.id: c.outputs for c in nb.cells if c.cell_type == "code"}


def _no_errors_or_warnings(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", (cell.id, out.get("evalue"))
            assert not (out.output_type == "stream" and out.name == "stderr"), (cell.id, out.text[:500])


def test_explore_notebook_runs_on_the_samples(tmp_path, monkeypatch):
    # as `make lab` does: the inputs come from the environment, the parameters stay None
    monkeypatch.setenv("FEDAUDIT_INPUTS", str(SAMPLES))
    monkeypatch.setenv("FEDAUDIT_AS_OF", _as_of())
    nb = reporting.execute_template(NOTEBOOKS / "explore.ipynb", tmp_path / "explore.ipynb", {}, cwd=NOTEBOOKS)
    _no_errors_or_warnings(nb)
    outputs = _outputs(nb)
    for cell in ("timeline", "matrix", "expiry", "domain"):
        html = outputs[cell][0]["data"]["text/html"]
        assert '<img src="data:image/png;base64,' in html, cell
    assert "text/html" in outputs["audit"][0]["data"]  # the verdicts frame
    detail = outputs["domain"][0]["data"]["text/html"]
    assert detail.startswith("<h2>") and "Findings (" in detail


def test_report_template_runs_on_the_samples_without_writing_files(tmp_path):
    nb = reporting.execute_template(
        NOTEBOOKS / "audit_report.ipynb",
        tmp_path / "report.ipynb",
        {"inputs": [str(SAMPLES)], "as_of": _as_of(), "organisation": "Contoso"},
        cwd=tmp_path,
    )
    _no_errors_or_warnings(nb)
    outputs = _outputs(nb)
    assert outputs["drift"][0]["data"]["text/html"] == ""  # no history given
    for cell in ("status", "verdicts", "timeline", "matrix", "findings", "issues", "methodology", "certificates", "manifest"):
        html = outputs[cell][0]["data"]["text/html"]
        assert html.startswith(f'<section id="{cell}">') or cell == "status", cell
    assert [p.name for p in tmp_path.iterdir()] == ["report.ipynb"]  # output_dir unset: nothing else written
