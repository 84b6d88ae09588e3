"""The data of one report run: load, audit, exceptions, drift, and the files a run writes.

:func:`prepare` is the report template's first cell; it returns the :class:`ReportContext` every
section of :mod:`fedaudit.reporting.sections` reads. This is the only IO of the kernel side: loading the
evidence (fetching metadata URLs into the report folder), the history database, and, when
``output_dir`` is set, ``findings.csv``, ``findings.json`` and the run facts that
:func:`fedaudit.reporting.render.report` turns into ``manifest.json``. The clock is read for the
default as-of date and the "generated" time only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from fedaudit._version import __version__
from fedaudit.errors import ReportError, UsageError
from fedaudit.frames import frame_records
from fedaudit.records import SEVERITIES
from fedaudit.engine.core import to_utc
from fedaudit.engine import core as engine
from fedaudit.evidence.load import load
from fedaudit.io.clock import Clock, system_clock
from fedaudit.engine.core import AuditResult

__all__ = ["RUN_FILE", "ReportContext", "lab_inputs", "prepare", "save_outputs"]

#: The run facts the kernel hands to :func:`fedaudit.reporting.render.report` (removed once read).
RUN_FILE = ".fedaudit-run.json"


@dataclass
class ReportContext:
    """Everything the sections show. Built by :func:`prepare`."""

    result: AuditResult
    parameters: dict[str, Any]
    fail_on: str = "high"
    exit_code: int = 0
    title: str = "Federation certificate audit"
    organisation: str | None = None
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    drift: dict[str, pd.DataFrame] | None = None
    generated_at: dt.datetime | None = None
    output_dir: str | None = None
    unmatched_exceptions: list[str] = field(default_factory=list)  # accepted exceptions covering no finding

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.result.as_of)

    @property
    def evidence(self) -> Any:
        return self.result.evidence

    def path(self, value: Any) -> str:
        """A path or origin as the report shows it: relative when inside the report folder."""
        text = str(value)
        if self.output_dir:
            root = str(Path(self.output_dir)) + os.sep
            if text.startswith(root):
                return text[len(root) :]
        return text

    def open_findings(self) -> pd.DataFrame:
        found = self.result.findings
        if "excepted" in found.columns:
            return found[~found["excepted"].fillna(False).astype(bool)]
        return found

    def counts(self) -> dict[str, int]:
        """Open findings by severity, and how many are excepted."""
        open_ = self.open_findings()
        counts: dict[str, int] = {sev: int((open_["severity"] == sev).sum()) for sev in SEVERITIES}
        counts["excepted"] = len(self.result.findings) - len(open_)
        return counts


def _as_of(value: Any, now: dt.datetime) -> dt.datetime:
    """``value`` as tz-aware UTC (``YYYY-MM-DD``, ISO 8601, date or datetime); None is ``now``."""
    return now if value is None else to_utc(value)


def _optional(module: str, parameter: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        raise ReportError(f"the {parameter} parameter needs {module}, which this installation lacks") from None


def _paths(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    if not isinstance(value, Iterable):
        raise UsageError(f"{name}: expected a list of paths, got {value!r}")
    return [os.fspath(v) for v in value]


def prepare(
    inputs: Sequence[str] | str,
    *,
    metadata: Sequence[str] = (),
    ca_bundle: str | None = None,
    as_of: Any = None,
    title: str | None = None,
    organisation: str | None = None,
    culture: str | None = None,
    thresholds: Mapping[str, Any] | None = None,
    fail_on: str = "high",
    history: str | None = None,
    audit_name: str | None = None,
    exceptions: str | None = None,
    output_dir: str | None = None,
    clock: Clock = system_clock,
) -> ReportContext:
    """Load, audit, apply exceptions and drift: the data of one report.

    With ``output_dir`` (set by :func:`fedaudit.reporting.render.report`), fetched metadata is kept in
    ``output_dir/metadata`` as evidence, and :func:`save_outputs` writes the machine outputs there.
    """

    input_list, metadata_list = _paths(inputs, "inputs"), _paths(metadata, "metadata")
    if not input_list:
        raise UsageError("inputs: give at least one export file or folder")
    generated_at = clock()
    when = _as_of(as_of, generated_at)
    parameters = {
        "inputs": input_list,
        "metadata": metadata_list,
        "ca_bundle": ca_bundle,
        "as_of": when.isoformat(),
        "title": title,
        "organisation": organisation,
        "culture": culture,
        "thresholds": dict(thresholds) if thresholds else None,
        "fail_on": fail_on,
        "history": history,
        "audit_name": audit_name,
        "exceptions": exceptions,
    }
    evidence_dir = None
    # metadata URLs (in either list) are fetched into the report folder: the documents are evidence
    if output_dir and any(str(m).lower().startswith(("https://", "http://")) for m in input_list + metadata_list):
        evidence_dir = os.path.join(output_dir, "metadata")
        os.makedirs(evidence_dir, exist_ok=True)
    evidence = load(*input_list, metadata=metadata_list, ca_bundle=ca_bundle, culture=culture, evidence_dir=evidence_dir)
    result = engine.audit(evidence, when, thresholds=thresholds, exceptions=exceptions or None)
    unmatched = list(result.unmatched_exceptions)
    drift_frames = None
    if history:
        drift_frames = _optional("fedaudit.ops.history", "history").drift_section(history, audit_name, result)
    effective = {k: v for k, v in asdict(result.thresholds).items() if k != "notification_date"}
    ctx = ReportContext(
        result=result,
        parameters=parameters,
        fail_on=fail_on,
        exit_code=engine.exit_code(result, fail_on),
        title=title or "Federation certificate audit",
        organisation=organisation,
        thresholds=effective,
        drift=drift_frames,
        generated_at=generated_at,
        output_dir=output_dir,
        unmatched_exceptions=unmatched,
    )
    # paths inside the report folder (a staged exceptions file) are shown relative to it
    ctx.parameters = {
        k: [ctx.path(i) for i in v] if isinstance(v, list) else ctx.path(v) if isinstance(v, str) else v
        for k, v in parameters.items()
    }
    if output_dir:
        save_outputs(ctx, output_dir)
    return ctx


def save_outputs(ctx: ReportContext, output_dir: str | os.PathLike[str]) -> None:
    """Write ``findings.csv``, ``findings.json`` and the run facts into ``output_dir``."""
    folder = Path(output_dir)
    found = ctx.result.findings
    table = found.copy()
    if "evidence" in table.columns:
        table["evidence"] = [json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, tuple, dict)) else v for v in table["evidence"]]
    table.to_csv(folder / "findings.csv", index=False, lineterminator="\n")
    document = {"fedaudit": __version__, **ctx.result.to_dict()}
    # no indent: json's C encoder only runs without one (5x faster on a 1,000-domain audit)
    (folder / "findings.json").write_text(json.dumps(document, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    run = {
        "exit_code": ctx.exit_code,
        "counts": ctx.counts(),
        "unmatched_exceptions": ctx.unmatched_exceptions,
        "as_of": ctx.as_of.isoformat(),
        "parameters": ctx.parameters,
        "inputs": [
            {"path": ctx.path(i.path), "size": i.size, "sha256": i.sha256, "kind": i.kind,
             "captured_at": i.captured_at.isoformat() if i.captured_at else None, "captured_from": i.captured_from}
            for i in ctx.evidence.inputs
        ],
        "metadata": [
            {
                "url": r["url"],
                "origin": ctx.path(r["origin"]) if r["origin"] else None,
                "fetched_at": r["fetched_at"],
                "http_status": r["http_status"],
                "reachable": r["reachable"],
                "tls_verified": r["tls_verified"],
                "signature": r["signature"],
                "sha256": r.get("sha256"),
                "error": r["error"],
            }
            for r in frame_records(ctx.evidence.metadata)
        ],
    }
    (folder / RUN_FILE).write_text(json.dumps(run, indent=2, default=str), encoding="utf-8")


def lab_inputs(
    inputs: Sequence[str] | str | None = None,
    as_of: Any = None,
    *,
    default: str | os.PathLike[str] = "../data/samples",
    clock: Clock = system_clock,
) -> tuple[list[str], dt.datetime]:
    """Inputs and as-of for the explore notebook: the values given, else ``FEDAUDIT_INPUTS``
    (paths separated by ``os.pathsep``) and ``FEDAUDIT_AS_OF`` as ``make lab`` sets them, else
    ``default`` and now."""
    if inputs is None:
        raw = os.environ.get("FEDAUDIT_INPUTS", "").strip()
        inputs = [p for p in raw.split(os.pathsep) if p] if raw else [os.fspath(default)]
    return _paths(inputs, "inputs"), _as_of(as_of or os.environ.get("FEDAUDIT_AS_OF") or None, clock())
