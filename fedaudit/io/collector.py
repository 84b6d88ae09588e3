"""The manifest that ``collect/Collect-FedauditEvidence.ps1`` writes beside the files it collects.

``manifest.json`` carries ``"fedaudit_collector": 1`` (so :func:`fedaudit.evidence.load.sniff_kind`
recognises it by content), the machine, user and PowerShell version that collected, the files with
their size and SHA-256, and the problems the collector met. When a folder is loaded the manifest
is checked: a file that changed since collection is a ``high`` load issue, a listed file that is
missing a ``warning``, and each problem the collector reported an ``info`` or ``warning`` issue, so
the audit says when its evidence is incomplete or was edited.

:func:`check_manifest` is sans-IO; :func:`verify_manifest_file` reads the files beside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fedaudit.records import LoadIssue, ParseResult

__all__ = ["KIND", "check_manifest", "verify_manifest_file"]

#: ``ParseResult.kind`` and ``InputFile.kind`` of a collector manifest.
KIND = "collector manifest"


def check_manifest(data: bytes, origin: str, present: Mapping[str, str | None]) -> ParseResult:
    """Check manifest ``data`` against ``present``: listed file name -> the SHA-256 of that file
    beside the manifest now (None when it is missing)."""
    issues: list[LoadIssue] = []
    try:
        doc: Any = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return ParseResult(
            origin=origin,
            kind=KIND,
            issues=(LoadIssue(origin, f"collector manifest is not JSON: {exc}", severity="warning"),),
        )
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list):
        return ParseResult(
            origin=origin,
            kind=KIND,
            issues=(LoadIssue(origin, "collector manifest without a 'files' list", severity="warning"),),
        )
    for entry in files:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("sha256"), str)
        ):
            issues.append(
                LoadIssue(origin, f"collector manifest entry without name and sha256: {entry!r}"[:300], field="files")
            )
            continue
        name, expected = entry["name"], entry["sha256"].lower()
        actual = present.get(name)
        if actual is None:
            issues.append(
                LoadIssue(
                    origin,
                    f"{name} is listed in the collector manifest but is not beside it",
                    field="files",
                    severity="warning",
                )
            )
        elif actual.lower() != expected:
            issues.append(
                LoadIssue(
                    origin,
                    f"{name} changed after collection: the manifest says SHA-256 {expected}, the file now has {actual.lower()}",
                    field="files",
                    severity="high",
                )
            )
    for problem in doc.get("problems") or []:
        if isinstance(problem, dict):
            step, message = problem.get("Step") or problem.get("step"), problem.get("Message") or problem.get("message")
            issues.append(
                LoadIssue(
                    origin,
                    f"the collector reported a problem ({step}): {message}",
                    field="problems",
                    severity="warning",
                )
            )
    return ParseResult(origin=origin, kind=KIND, issues=tuple(issues))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_manifest_file(path: Path, data: bytes) -> ParseResult:
    """Check the manifest at ``path`` (its bytes ``data``) against the files beside it."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
        names = [e["name"] for e in doc.get("files", []) if isinstance(e, dict) and isinstance(e.get("name"), str)]
    except (UnicodeDecodeError, ValueError, AttributeError):
        names = []
    present: dict[str, str | None] = {}
    for name in names:
        candidate = path.parent / name
        # A name is a plain file name; anything reaching outside the folder is not looked up.
        if Path(name).name != name or not candidate.is_file():
            present[name] = None
            continue
        try:
            present[name] = _sha256(candidate)
        except OSError:
            present[name] = None
    return check_manifest(data, str(path), present)
