"""Golden comparison of everything the demo estate produces: every evidence frame, and the audit
as ``fedaudit check --format json`` prints it (verdicts, findings, timeline, issues), against
tests/data/golden/samples.json.

tests/engine/test_golden_samples.py states the judgement (verdict and finding ids per domain) by hand; this
test pins every other value, so that a refactoring (one join, a faster loader, a new layout)
that changes any frame cell, verdict reason, finding text or timeline row fails here. Columns and
keys may be added (the contract allows it); a missing or changed one fails. The
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


def _changes(want: Any, got: Any, where: str = "") -> list[str]:
    """Where ``got`` differs from ``want``. A key ``got`` has and ``want`` lacks is no change: the
    contract lets frames and JSON objects gain columns and keys (a new column of another branch
    must not fail this test), never lose or alter one."""
    if isinstance(want, dict) and isinstance(got, dict):
        out = []
        for key, value in want.items():
            if key not in got:
                out.append(f"{where}.{key}: missing")
            else:
                out.extend(_changes(value, got[key], f"{where}.{key}"))
        return out
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return [f"{where}: {len(got)} items, golden has {len(want)}"]
        return [c for i, (w, g) in enumerate(zip(want, got)) for c in _changes(w, g, f"{where}[{i}]")]
    return [] if want == got else [f"{where}: {got!r} (golden {want!r})"]


def test_frames_and_audit_of_the_samples_are_unchanged(monkeypatch):
    monkeypatch.chdir(ROOT)
    doc = _document()
    if os.environ.get("FEDAUDIT_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(_text(doc), encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = json.loads(_text(doc))  # the same JSON round trip as the golden file
    changes = _changes(want, got)
    if changes:
        shown = "\n".join(changes[:40])
        pytest.fail(f"the outputs of data/samples changed (see this module's docstring to update):\n{shown}")


def test_the_comparison_allows_added_keys_and_nothing_else():
    want = {"a": [{"x": 1, "y": None}], "b": "s"}
    assert _changes(want, {"a": [{"x": 1, "y": None, "new": 2}], "b": "s", "c": 0}) == []
    assert _changes(want, {"a": [{"x": 1}], "b": "s"}) == [".a[0].y: missing"]
    assert _changes(want, {"a": [{"x": 2, "y": None}], "b": "s"}) == [".a[0].x: 2 (golden 1)"]
    assert _changes(want, {"a": [], "b": "s"}) == [".a: 0 items, golden has 1"]
