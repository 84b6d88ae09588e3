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
import getpass
import json
import os
import platform
import socket
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fedaudit._version import __version__
from fedaudit.checks import ACTION_RANK
from fedaudit.engine import core as engine
from fedaudit.engine.assurance import checks_performed, control_matrix
from fedaudit.engine.core import AuditResult, to_utc
from fedaudit.errors import ReportError, UsageError
from fedaudit.evidence.load import load
from fedaudit.frames import frame_records
from fedaudit.io.clock import Clock, system_clock
from fedaudit.io.collector import KIND as COLLECTOR_KIND
from fedaudit.neutral import csv_value, json_dumps, path_text
from fedaudit.records import SEVERITIES

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
    #: the input folders and files as given; paths under them are shown relative to them
    roots: tuple[str, ...] = ()
    #: who rendered the report, where and how: user, host, command line, fedaudit version
    run: dict[str, Any] = field(default_factory=dict)
    #: one entry per collector manifest in the evidence (see :func:`collector_manifests`)
    collectors: list[dict[str, Any]] = field(default_factory=list)
    #: metadata origin -> the TLS server certificate its fetch sidecar recorded, as one line
    servers: dict[str, str] = field(default_factory=dict)
    _assurance: tuple[pd.DataFrame, pd.DataFrame] | None = field(default=None, repr=False)

    @property
    def as_of(self) -> pd.Timestamp:
        return pd.Timestamp(self.result.as_of)

    @property
    def evidence(self) -> Any:
        return self.result.evidence

    def path(self, value: Any) -> str:
        """A path or origin as the report shows it: relative to the report folder when inside it,
        else to the input folder it was found under (prefixed with that folder's name), so the
        report names no absolute path of the machine that rendered it."""
        text = str(value)
        if self.output_dir:
            root = str(Path(self.output_dir)) + os.sep
            if text.startswith(root):
                return text[len(root) :]
        for given in self.roots:
            if given.lower().startswith(("https://", "http://")):
                continue
            root = os.path.abspath(given)
            name = os.path.basename(root.rstrip(os.sep)) or root
            if text == root:
                return name
            if text.startswith(root.rstrip(os.sep) + os.sep):
                return name + "/" + text[len(root.rstrip(os.sep)) + 1 :].replace(os.sep, "/")
        return text

    def assurance(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(checks performed, control matrix) of :mod:`fedaudit.engine.assurance`, computed once."""
        if self._assurance is None:
            performed = checks_performed(self.result)
            self._assurance = (performed, control_matrix(performed))
        return self._assurance

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
    command_line: Sequence[str] | None = None,
    trust_certs: Sequence[str] = (),
) -> ReportContext:
    """Load, audit, apply exceptions and drift: the data of one report.

    With ``output_dir`` (set by :func:`fedaudit.reporting.render.report`), fetched metadata is kept in
    ``output_dir/metadata`` as evidence, and :func:`save_outputs` writes the machine outputs there.
    """

    input_list, metadata_list = _paths(inputs, "inputs"), _paths(metadata, "metadata")
    trust_list = _paths(trust_certs, "trust_certs")
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
        "trust_certs": trust_list,
    }
    evidence_dir = None
    # metadata URLs (in either list) are fetched into the report folder: the documents are evidence
    if output_dir and any(str(m).lower().startswith(("https://", "http://")) for m in input_list + metadata_list):
        evidence_dir = os.path.join(output_dir, "metadata")
        os.makedirs(evidence_dir, exist_ok=True)
    evidence = load(
        *input_list,
        metadata=metadata_list,
        ca_bundle=ca_bundle,
        culture=culture,
        evidence_dir=evidence_dir,
        trust_certs=trust_list,
    )
    result = engine.audit(evidence, when, thresholds=thresholds, exceptions=exceptions or None)
    unmatched = list(result.unmatched_exceptions)
    drift_frames = None
    if history:
        drift_frames = _optional("fedaudit.ops.history", "history").drift_section(history, audit_name, result)
    effective = {k: v for k, v in asdict(result.thresholds).items() if k != "notification_date"}
    ctx = ReportContext(
        roots=tuple(input_list + metadata_list),
        run=_run_facts(command_line),
        collectors=[],
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
    ctx.collectors = collector_manifests(ctx.evidence, ctx.path)
    for origin in ctx.evidence.metadata["origin"].dropna() if len(ctx.evidence.metadata) else ():
        line = server_certificate(origin)
        if line:
            ctx.servers[str(origin)] = line
    # paths inside the report folder (a staged exceptions file) are shown relative to it
    ctx.parameters = {
        k: [ctx.path(i) for i in v] if isinstance(v, list) else ctx.path(v) if isinstance(v, str) else v
        for k, v in parameters.items()
    }
    if output_dir:
        save_outputs(ctx, output_dir)
    return ctx


def save_outputs(ctx: ReportContext, output_dir: str | os.PathLike[str]) -> None:
    """Write ``findings.csv``, ``findings.json`` and the run facts into ``output_dir`` (created
    when missing; a folder that cannot be written is a :class:`ReportError`)."""
    folder = Path(output_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create the output folder {path_text(folder)}: {exc.strerror or exc}") from None
    found = ctx.result.findings
    table = found.copy()
    if "evidence" in table.columns:
        table["evidence"] = [
            json_dumps(v, default=str) if isinstance(v, (list, tuple, dict)) else v for v in table["evidence"]
        ]
    # text cells neutralised for spreadsheets (fedaudit.neutral.csv_cell); numbers stay numbers
    for column in table.columns:
        if table[column].dtype == object or pd.api.types.is_string_dtype(table[column].dtype):
            table[column] = table[column].map(csv_value, na_action="ignore")
    table.to_csv(folder / "findings.csv", index=False, lineterminator="\n")
    document = {"fedaudit": __version__, **ctx.result.to_dict()}
    # no indent: json's C encoder only runs without one (5x faster on a 1,000-domain audit)
    (folder / "findings.json").write_text(json_dumps(document, default=str) + "\n", encoding="utf-8")
    performed, controls = ctx.assurance()
    assurance = {
        "fedaudit": __version__,
        "as_of": ctx.as_of.isoformat(),
        "statuses": ["fail", "excepted", "pass", "not applicable", "not evaluated"],
        # what each check is, once; then one record per cell (check, farm, domain, status ...)
        "checks": {
            str(r["check"]): {
                "title": r["title"],
                "severity": r["severity"],
                "unit": r["unit"],
                "controls": r["controls"],
            }
            for r in frame_records(performed.drop_duplicates("check"))
        },
        "checks_performed": frame_records(performed.drop(columns=["title", "severity", "controls"])),
        "controls": frame_records(controls),
    }
    (folder / "assurance.json").write_text(json_dumps(assurance, default=str) + "\n", encoding="utf-8")
    run = {
        "exit_code": ctx.exit_code,
        "counts": ctx.counts(),
        "unmatched_exceptions": ctx.unmatched_exceptions,
        "as_of": ctx.as_of.isoformat(),
        "parameters": ctx.parameters,
        "inputs": [
            {
                "path": ctx.path(i.path),
                "size": i.size,
                "sha256": i.sha256,
                "kind": i.kind,
                "captured_at": i.captured_at.isoformat() if i.captured_at else None,
                "captured_from": i.captured_from,
            }
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
    run["collectors"] = ctx.collectors
    run["rendered_by"] = ctx.run
    run["page_title"] = page_title(ctx)
    run["status"] = status_sentence(ctx)
    (folder / RUN_FILE).write_text(json_dumps(run, indent=2, default=str), encoding="utf-8")


def page_title(ctx: ReportContext) -> str:
    """The page's ``<title>``: "<organisation> – federation certificate audit – as of <date>"."""
    what = ctx.title if ctx.title and ctx.title != "Federation certificate audit" else "federation certificate audit"
    parts = [ctx.organisation, what, f"as of {ctx.as_of:%Y-%m-%d}"]
    return " \u2013 ".join(p for p in parts if p)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _gate_severities(fail_on: str) -> tuple[str, ...]:
    if fail_on not in SEVERITIES:
        return ()
    return SEVERITIES[: SEVERITIES.index(fail_on) + 1]


def status_sentence(ctx: ReportContext) -> str:
    """One sentence of status that agrees with the exit code and names the gate."""
    counts = ctx.counts()
    verdicts_ = ctx.result.verdicts
    # rows without a domain are farms no federated domain of the evidence uses (or no evidence at
    # all): they are counted apart, not as domains
    has_domain = verdicts_["domain"].notna().tolist() if len(verdicts_) else []
    all_actions = [str(a) for a in verdicts_["action"].astype("string").fillna("insufficient-evidence")]
    actions = [a for a, d in zip(all_actions, has_domain) if d]
    has_farm = verdicts_["farm"].notna().tolist() if len(verdicts_) else []
    farm_need = sum(1 for a, d, f in zip(all_actions, has_domain, has_farm) if not d and f and a != "none")
    need = sorted((a for a in actions if a != "none"), key=lambda a: -ACTION_RANK.get(a, 0))
    by_action: dict[str, int] = {}
    for a in need:
        by_action[a] = by_action.get(a, 0) + 1
    worst = next((sev for sev in SEVERITIES if counts[sev]), None)
    urgent = any(ACTION_RANK.get(a, 0) >= ACTION_RANK["insufficient-evidence"] for a in need)
    if worst in ("critical", "high") or urgent:
        word = "Action required"
    elif worst == "warning" or need or farm_need:
        word = "Review"
    else:
        word = "No action needed"
    if not actions:
        domains = "no federated domain is in the evidence"
    elif need:
        domains = (
            f"{len(need)} of {plural(len(actions), 'federated domain')} need action ("
            + ", ".join(f"{n} {a}" for a, n in by_action.items())
            + ")"
        )
    else:
        domains = f"all {plural(len(actions), 'federated domain')} need no action"
    if farm_need:
        domains += f", and {plural(farm_need, 'farm')} without a federated domain in the evidence"
    open_text = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s] and s != "info")
    findings_text = f"{open_text} finding(s) open" if open_text else "no finding at warning or above is open"
    gate = f"--fail-on {ctx.fail_on}"
    gated = sum(counts[s] for s in _gate_severities(ctx.fail_on))
    if ctx.exit_code:
        tail = f"so this run fails the {gate} gate (exit code {ctx.exit_code})"
    elif ctx.fail_on == "none":
        tail = f"and the {gate} gate fails on nothing, so this run passes it (exit code 0)"
    elif open_text and not gated:
        tail = f"none at or above {ctx.fail_on}, so this run passes the {gate} gate (exit code 0)"
    else:
        tail = f"so this run passes the {gate} gate (exit code 0)"
    return f"{word}: {domains}; {findings_text}, {tail}."


def _run_facts(command_line: Sequence[str] | None) -> dict[str, Any]:
    """Who renders this report, on which host, with which command line."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return {
        "fedaudit": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "user": user,
        "host": socket.gethostname(),
        "command_line": list(command_line) if command_line else None,
    }


#: The keys of a collector manifest the report shows (collect/Collect-FedauditEvidence.ps1 and
#: ``fedaudit collect entra`` write them).
COLLECTOR_KEYS = (
    "computer",
    "user",
    "started",
    "finished",
    "edition",
    "powershell",
    "collector_version",
    "collected",
    # fedaudit collect entra: the tool, its runtime and how it signed in to Microsoft Graph
    "tool",
    "python",
    "msal",
    "tenant_id",
    "client_id",
    "credential",
)


def collector_manifests(evidence: Any, path: Any = str) -> list[dict[str, Any]]:
    """Each collector manifest among the inputs: who collected, where, when, with which
    PowerShell, and per listed file whether the file audited has the SHA-256 the manifest
    recorded (``match``: true, false, or None when the file was not among the inputs).

    Values are strings as the manifest holds them (shown escaped); a manifest that cannot be
    read again is listed with ``error``.
    """
    by_path = {os.path.abspath(i.path): i for i in evidence.inputs}
    out: list[dict[str, Any]] = []
    for item in evidence.inputs:
        if item.kind != COLLECTOR_KIND:
            continue
        entry: dict[str, Any] = {"manifest": path(item.path), "sha256": item.sha256}
        try:
            doc = json.loads(Path(item.path).read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            entry["error"] = f"cannot be read: {exc}"
            out.append(entry)
            continue
        if not isinstance(doc, dict):
            entry["error"] = "not a JSON object"
            out.append(entry)
            continue
        for key in COLLECTOR_KEYS:
            value = doc.get(key)
            if isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            entry[key] = None if value is None or value == "" else str(value)[:200]
        files = []
        folder = os.path.dirname(os.path.abspath(item.path))
        for f in doc.get("files") or []:
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                continue
            name = f["name"]
            expected = str(f.get("sha256") or "").lower()
            loaded = by_path.get(os.path.join(folder, name)) if os.path.basename(name) == name else None
            files.append(
                {
                    "name": name[:200],
                    "command": None if f.get("command") is None else str(f.get("command"))[:200],
                    "sha256": expected[:64],
                    "match": None if loaded is None else loaded.sha256.lower() == expected,
                }
            )
        entry["files"] = files
        out.append(entry)
    return out


def server_certificate(origin: Any) -> str | None:
    """The TLS server certificate a fetch sidecar (``*.fetch.json``) recorded, as one line."""
    if origin is None or pd.isna(origin):
        return None
    text = str(origin)
    sidecar = text if text.endswith(".fetch.json") else (text[:-4] + ".fetch.json" if text.endswith(".xml") else None)
    if sidecar is None:
        return None
    try:
        with open(sidecar, encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, ValueError):
        return None
    cert = doc.get("server_certificate") if isinstance(doc, dict) else None
    if not isinstance(cert, dict):
        return None
    parts = [str(cert.get(k)) for k in ("subject", "issuer") if cert.get(k)]
    if cert.get("thumbprint"):
        parts.append(f"thumbprint {cert['thumbprint']}")
    if cert.get("not_after"):
        parts.append(f"until {cert['not_after']}")
    return "; ".join(parts)[:400] or None


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
