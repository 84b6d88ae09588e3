"""Golden comparison of everything the demo estate produces: every evidence frame, and the audit
as ``fedaudit check --format json`` prints it (verdicts, findings, timeline, issues), against
tests/data/golden/samples.json.

tests/engine/test_golden_samples.py states the judgement (verdict and finding ids per domain) by hand; this
test pins every other value, so that a refactoring (one join, a faster loader, a new layout)
that changes any frame cell, verdict reason, finding text or timeline row fails here. The
remediation text is left out: it is the one part of a finding meant to change (it is reviewed
by the PowerShell syntax tests instead). After an intended change, review the diff and rewrite
the file: ``FEDAUDIT_UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/engine/test_golden_outputs.py``.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

import fedaudit
from fedaudit.frames import frame_records

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
GOLDEN = ROOT / "tests" / "data" / "golden" / "samples.json"
pytestmark = pytest.mark.skipif(not (SAMPLES / "README.md").exists(), reason="data/samples not generated")


def _as_of() -> str:
    m = re.search(r"^As-of date: *([0-9-]{10})", (SAMPLES / "README.md").read_text(encoding="utf-8"), re.M)
    assert m, "data/samples/README.md has no 'As-of date:' line"
    return m.group(1)


def _document() -> dict[str, Any]:
    ev = fedaudit.load("data/samples")  # relative: origins are the same in every checkout
    audit = fedaudit.audit(ev, _as_of()).to_dict()
    for f in audit["findings"]:
        f.pop("remediation", None)
    return {"frames": {name: frame_records(frame) for name, frame in ev.frames().items()}, "audit": audit}


def _text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def test_frames_and_audit_of_the_samples_are_unchanged(monkeypatch):
    monkeypatch.chdir(ROOT)
    got = _text(_document())
    if os.environ.get("FEDAUDIT_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(got, encoding="utf-8")
    want = GOLDEN.read_text(encoding="utf-8")
    if got != want:
        import difflib

        diff = "".join(
            list(difflib.unified_diff(want.splitlines(True), got.splitlines(True), "golden", "now", n=2))[:80]
        )
        pytest.fail(f"the outputs of data/samples changed (see this module's docstring to update):\n{diff}")
