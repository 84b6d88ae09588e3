"""Scheduled audits: what ``fedaudit run --config FILE`` does, as a library.

For each audit of a :class:`~fedaudit.ops.config.Config`, :func:`run_audits`

1. inserts a ``running`` row in ``<root>/history.sqlite`` (:mod:`fedaudit.ops.history`);
2. with ``entra = {...}``, collects Entra ID's domains and federation configuration from
   Microsoft Graph (:func:`fedaudit.io.graph.collect_entra`) into a dated folder with its
   manifest under ``<root>/<audit>/evidence/<UTC stamp>/``, and fetches the metadata URLs (and,
   with ``discover = true``, the URLs the exports point at) into the same folder with their
   evidence sidecars;
3. renders the report with :func:`fedaudit.reporting.render.report` into ``<root>/<audit>/`` (a new
   dated folder; the report's drift section reads the history database);
4. writes ``findings.jsonl`` and ``findings.ocsf.jsonl`` beside the report (:mod:`fedaudit.reporting.siem`);
5. records inputs, certificates, domains, verdicts and findings and marks the run ``complete``
   in one transaction (a failure marks it ``failed``; a killed process leaves it ``running``,
   shown as ``incomplete``);
6. applies ``[output] retention`` (report folders older than that many days are removed, never
   the newest complete run of an audit);

and finally rewrites ``<root>/index.html`` (:func:`write_index`) listing every run.

Exit status (:attr:`RunSummary.exit_code`): 0 every audit completed with nothing at or above its
``fail_on``; 1 some audit has findings at or above its ``fail_on`` (accepted exceptions never
count); 2 some audit could not run (its row says ``failed`` and why).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from fedaudit.engine.core import AuditResult
from fedaudit.engine.core import audit as run_audit
from fedaudit.engine.waivers import AcceptedException, load_exceptions
from fedaudit.errors import FedauditError, ReportError
from fedaudit.evidence.load import load
from fedaudit.io.clock import Clock, system_clock
from fedaudit.io.fetch import fetch_all
from fedaudit.io.files import write_text_atomic
from fedaudit.io.graph import Credential, collect_entra
from fedaudit.metadata import discover_metadata_urls
from fedaudit.ops import history
from fedaudit.ops.config import AuditConfig, Config
from fedaudit.reporting.render import add_outputs, report
from fedaudit.reporting.siem import finding_records, to_ocsf, write_jsonl

__all__ = ["AuditRun", "RunSummary", "render_index", "run_audits", "write_index"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class AuditRun:
    """How one audit's run ended."""

    audit: str
    run_id: int
    status: str  # complete | failed
    exit_code: int  # 0, 1 or 2 (failed)
    report_html: Path | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """All audits of one ``fedaudit run``."""

    root: Path
    db_path: Path
    index_html: Path
    runs: tuple[AuditRun, ...]

    @property
    def exit_code(self) -> int:
        codes = [r.exit_code for r in self.runs]
        if any(c == 2 for c in codes):
            return 2
        return 1 if any(c == 1 for c in codes) else 0


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stamp(when: dt.datetime) -> str:
    return when.strftime("%Y%m%dT%H%M%S") + f"{when.microsecond // 1000:03d}Z"


def run_audits(
    config: Config,
    *,
    only: str | None = None,
    as_of: dt.datetime | None = None,
    progress: Progress | None = None,
    clock: Clock = system_clock,
) -> RunSummary:
    """Run every audit of ``config`` (or only the one named ``only``). See the module docstring.

    ``progress`` receives one line per step (the CLI prints them); ``clock`` stamps run times.
    """

    say = progress or (lambda message: None)
    audits = [config.audit(only)] if only is not None else list(config.audits)
    # A broken exceptions file is a configuration error: found before any run starts.
    for audit in audits:
        if audit.exceptions:
            load_exceptions(audit.exceptions)
    root = config.root
    root.mkdir(parents=True, exist_ok=True)
    db_path = root / history.DB_NAME
    history.connect(db_path).close()  # create or check the schema before any work
    done: list[AuditRun] = []
    try:
        for audit in audits:
            done.append(_run_one(config, audit, db_path, as_of, say, clock))
    finally:
        # even when an audit was interrupted: the index lists what the history now holds
        try:
            index = write_index(db_path, root, generated=clock())
        except OSError as exc:
            raise ReportError(f"{root}: cannot write index.html: {exc.strerror or exc}") from None
    say(f"index: {index}")
    return RunSummary(root=root, db_path=db_path, index_html=index, runs=tuple(done))


def _run_one(
    config: Config, audit: AuditConfig, db_path: Path, as_of: dt.datetime | None, say: Progress, clock: Clock
) -> AuditRun:
    started = clock()
    judged_as_of = as_of or started
    audit_dir = config.root / audit.name
    evidence_dir = audit_dir / "evidence" / _stamp(started)
    run_id = history.begin_run(
        db_path, audit.name, as_of=judged_as_of, started=started, fail_on=audit.fail_on, evidence_path=str(evidence_dir)
    )
    say(f"{audit.name}: run {run_id} started (as of {judged_as_of.date().isoformat()})")
    try:
        outcome = _execute(config, audit, db_path, run_id, judged_as_of, evidence_dir, say, clock)
    except FedauditError as exc:
        history.fail_run(db_path, run_id, finished=clock(), error=str(exc))
        say(f"{audit.name}: run {run_id} failed: {exc}")
        return AuditRun(audit.name, run_id, "failed", 2, error=str(exc))
    except Exception as exc:
        # A full disk, or a bug: this audit failed, recorded with its cause; the other audits
        # and the index still happen.
        error = (
            f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, OSError)
            else (f"{exc.filename + ': ' if isinstance(exc.filename, str) else ''}{exc.strerror or exc}")
        )
        history.fail_run(db_path, run_id, finished=clock(), error=error)
        say(f"{audit.name}: run {run_id} failed: {error}")
        return AuditRun(audit.name, run_id, "failed", 2, error=error)
    except BaseException as exc:
        # Ctrl-C: say so in the history, then let it propagate.
        history.fail_run(db_path, run_id, finished=clock(), error=f"{type(exc).__name__}: {exc}")
        raise
    try:
        _apply_retention(audit.retention or config.retention, config.root, db_path, audit.name, say, clock())
    except OSError as exc:  # a folder that cannot be removed: the run itself stands
        say(f"{audit.name}: retention could not remove a folder: {exc.strerror or exc}")
    return outcome


def _execute(
    config: Config,
    audit: AuditConfig,
    db_path: Path,
    run_id: int,
    as_of: dt.datetime,
    evidence_dir: Path,
    say: Progress,
    clock: Clock,
) -> AuditRun:

    exceptions = load_exceptions(audit.exceptions) if audit.exceptions else []
    urls = list(audit.metadata)
    inputs: list[str] = [str(p) for p in (*audit.exports, *audit.metadata_files)]
    entra_folder: list[Path] = []
    if audit.entra is not None:
        # First, so that discovery also sees the sign-in URIs Entra ID holds for each domain.
        entra_folder.append(_collect_entra(audit, evidence_dir, say, clock))
        inputs.append(str(evidence_dir))
    if audit.discover:
        urls += [u for u in _discovered_urls(audit, entra_folder) if u not in urls]
        say(f"{audit.name}: {len(urls)} metadata URL(s) after discovery")
    if urls:
        evidence_dir.mkdir(parents=True, exist_ok=True)
        say(f"{audit.name}: fetching {len(urls)} metadata document(s)")
        fetch_all(urls, evidence_dir, ca_bundle=audit.ca_bundle)
        if str(evidence_dir) not in inputs:
            inputs.append(str(evidence_dir))
    say(f"{audit.name}: rendering the report")

    rr = report(
        inputs,
        config.root / audit.name,
        as_of=as_of,
        title=audit.title,
        organisation=audit.organisation,
        culture=audit.culture,
        thresholds=dict(audit.thresholds) or None,
        fail_on=audit.fail_on,
        history=db_path,
        audit_name=audit.name,
        # The file itself, so that the report folder keeps a copy of what was accepted.
        exceptions=str(audit.exceptions) if audit.exceptions else None,
        pdf=audit.pdf,
        paper=audit.paper,
        sign_key=audit.sign_key,
    )
    result = getattr(rr, "result", None)
    if result is None:
        result = _judge(inputs, audit, as_of, exceptions)
    unmatched = getattr(result, "unmatched_exceptions", ())
    if unmatched:
        say(f"{audit.name}: warning: {len(unmatched)} accepted exception(s) match no finding: " + "; ".join(unmatched))
    folder = Path(rr.folder)
    outputs = _write_siem(folder, result, audit.name, as_of=as_of, time=_run_started(db_path, run_id), ocsf=config.ocsf)
    if (folder / "manifest.json").is_file():  # list the SIEM files too, so that fedaudit verify passes the folder
        add_outputs(folder, list(outputs), sign_key=audit.sign_key)
    exit_code = int(rr.exit_code)
    history.complete_run(
        db_path, run_id, result, finished=clock(), report_path=Path(rr.html), exit_code=exit_code, outputs=outputs
    )
    counts = history.result_counts(result)
    say(
        f"{audit.name}: run {run_id} complete: "
        + ", ".join(f"{counts[s]} {s}" for s in ("critical", "high", "warning", "info"))
        + (f", {counts['excepted']} excepted" if counts.get("excepted") else "")
        + f" - {rr.html}"
    )
    return AuditRun(audit.name, run_id, "complete", exit_code, Path(rr.html), counts)


def _collect_entra(audit: AuditConfig, evidence_dir: Path, say: Progress, clock: Clock) -> Path:
    """``fedaudit collect entra`` for this audit, into its evidence folder (a failure, such as a
    missing permission, fails the run: an audit without Entra's side would judge half the estate)."""
    entra = audit.entra
    assert entra is not None
    if entra.certificate is not None:
        credential = Credential.from_certificate_file(entra.certificate)
    else:
        credential = Credential.from_secret_env(str(entra.client_secret_env))
    evidence_dir.mkdir(parents=True, exist_ok=True)
    say(f"{audit.name}: collecting Entra ID tenant {entra.tenant} from {entra.graph_endpoint}")
    result = collect_entra(
        evidence_dir,
        tenant=entra.tenant,
        client_id=entra.client_id,
        credential=credential,
        authority_host=entra.authority_host,
        graph_endpoint=entra.graph_endpoint,
        ca_bundle=audit.ca_bundle,
        timeout=entra.timeout,
        clock=clock,
    )
    say(
        f"{audit.name}: collected {result.domains} domain(s), {result.federated} federated, into {result.folder.name}"
        + (f" ({len(result.problems)} problem(s) in its manifest)" if result.problems else "")
    )
    return result.folder


def _run_started(db_path: Path, run_id: int) -> dt.datetime:
    return history.run_info(db_path, run_id)["started"].to_pydatetime()


def _discovered_urls(audit: AuditConfig, collected: list[Path]) -> list[str]:
    """Metadata URLs the exports (and the Entra folder ``collected`` this run) point at (farm host
    names, Entra sign-in URIs): a first load."""
    paths = [*audit.exports, *collected]
    if not paths:
        return []
    evidence = load(*paths, culture=audit.culture)
    found = discover_metadata_urls(evidence)
    return list(dict.fromkeys(str(u) for u in found["url"].dropna()))


def _judge(
    inputs: list[str], audit: AuditConfig, as_of: dt.datetime, exceptions: list[AcceptedException]
) -> AuditResult:
    evidence = load(*inputs, culture=audit.culture)
    return run_audit(evidence, as_of, thresholds=dict(audit.thresholds) or None, exceptions=exceptions)


def _write_siem(
    folder: Path, result: AuditResult, audit: str, *, as_of: dt.datetime, time: dt.datetime, ocsf: bool
) -> dict[str, str]:

    records = finding_records(result.findings, time=time, as_of=as_of, audit=audit)
    written = [write_jsonl(folder / "findings.jsonl", records)]
    if ocsf:
        written.append(write_jsonl(folder / "findings.ocsf.jsonl", [to_ocsf(r) for r in records]))
    return {p.name: _sha256(p) for p in written}


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


#: Left-overs younger than this are never swept: another ``fedaudit run`` may be writing them.
SWEEP_AGE = dt.timedelta(days=1)
# The names fedaudit.reporting.render.report gives a report folder and its temporary sibling.
_REPORT_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}T\d{6}Z-[a-z0-9-]+(?:-\d+)?")
_PARTIAL_FOLDER = re.compile(r"\.\d{4}-\d{2}-\d{2}T\d{6}Z-[a-z0-9-]+\..+\.partial")


def _sweep(
    audit_dir: Path, linked: set[str], *, orphans: bool, say: Progress, audit: str, now: dt.datetime
) -> list[str]:
    """Remove what a killed run left in ``audit_dir`` more than :data:`SWEEP_AGE` ago: hidden
    ``.partial`` report folders (always), and, with ``orphans``, visible report folders that no
    recorded run links (killed after the report was published, before the run was recorded:
    no index row points at them). Returns the names removed."""
    removed: list[str] = []
    cutoff = (now - SWEEP_AGE).timestamp()
    try:
        entries = list(os.scandir(audit_dir))
    except OSError:
        return removed
    for entry in entries:
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_mtime > cutoff:
                continue
        except OSError:
            continue
        partial = _PARTIAL_FOLDER.fullmatch(entry.name) is not None
        orphan = orphans and _REPORT_FOLDER.fullmatch(entry.name) is not None and entry.name not in linked
        if partial or orphan:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
            say(f"{audit}: removed {'an unfinished' if partial else 'an unrecorded'} report folder {entry.name}")
    return removed


def _linked_folders(frame: pd.DataFrame) -> set[str]:
    """Names of the report folders the history links (any run, any status)."""
    names: set[str] = set()
    for column in ("report_path", "report_folder"):
        for value in frame[column] if column in frame.columns else ():
            if isinstance(value, str) and value:
                path = Path(value)
                names.add((path.parent if path.suffix.lower() == ".html" else path).name)
    return names


def _apply_retention(
    retention: int | None, root: Path, db_path: Path, audit: str, say: Progress, now: dt.datetime
) -> None:
    """Remove report and evidence folders of ``audit`` older than ``retention`` days, and
    (:func:`_sweep`) left-overs of killed runs older than a day: ``.partial`` folders always,
    unrecorded report folders when a retention is set."""
    frame_all = history.runs(db_path, audit)
    _sweep(root / audit, _linked_folders(frame_all), orphans=bool(retention), say=say, audit=audit, now=now)
    if not retention:
        return
    cutoff = now - dt.timedelta(days=retention)
    frame = frame_all
    complete = frame[frame["recorded_status"] == "complete"]
    if not len(complete):
        return
    newest = int(complete["id"].max())
    for row in complete.itertuples():
        if int(row.id) == newest or not pd.isna(row.pruned) or row.started >= cutoff:
            continue
        removed = []
        for value in (row.report_path, row.evidence_path):
            if not isinstance(value, str):
                continue
            target = Path(value)
            target = target.parent if target.suffix.lower() == ".html" else target
            # Only ever delete inside the output root, whatever the database says.
            if target.exists() and _inside(target, root) and target.resolve() != root.resolve():
                shutil.rmtree(target)
                removed.append(target.name)
        history.mark_pruned(db_path, int(row.id), now)
        say(f"{audit}: retention removed run {row.id}'s folders ({', '.join(removed) or 'already gone'})")


# -- index.html -----------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem;color:#1b1b1b;background:#fff}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
p.meta{color:#555;margin:0 0 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.n{text-align:right;font-variant-numeric:tabular-nums}
.s{font-weight:600;padding:0 .3rem;border-radius:3px;white-space:nowrap}
.complete{background:#e3f4e3}.failed,.no-evidence{background:#fbe0e0}.incomplete{background:#fdf1d6}.running{background:#e2ecfb}
.exit1{color:#8a1c1c;font-weight:600}
@media (max-width:700px){table{font-size:.8rem}th,td{padding:.2rem .3rem}}
@media print{a{color:inherit;text-decoration:none}}
"""

_STATUS_TEXT = {
    "complete": "complete",
    "failed": "failed",
    "incomplete": "incomplete (stopped before it finished)",
    "running": "running",
    "no-evidence": "no evidence (nothing to judge: failed)",
}


def _status_text(status: str, exit_text: str, fail_on: Any) -> str:
    """The status as the index shows it, in agreement with the exit code the run returned: a
    no-evidence run fails at the default gate (exit 1), but passes one set above high."""
    if status == "no-evidence" and exit_text == "0":
        gate = f"--fail-on {fail_on}" if isinstance(fail_on, str) and fail_on else "its gate"
        return f"no evidence (nothing to judge; {gate} let it pass: exit 0)"
    if status == "no-evidence" and exit_text not in ("1", "-"):
        return f"no evidence (nothing to judge: exit {exit_text})"
    return _STATUS_TEXT.get(status, status)


def _href(target: Any, root: Path) -> str | None:
    if not isinstance(target, str) or not target:
        return None
    path = Path(target)
    if not path.exists():
        return None
    rel = os.path.relpath(path, root)
    return quote(rel.replace(os.sep, "/"))


def _fmt_time(value: Any) -> str:
    if value is None or pd.isna(value):
        return "-"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M UTC")


def render_index(frame: pd.DataFrame, root: Path, *, generated: dt.datetime) -> str:
    """The HTML of ``index.html``: every run of ``frame`` (as :func:`fedaudit.ops.history.runs`
    returns it), newest first, grouped by audit. Self-contained: no script, no external file;
    every value escaped."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>fedaudit runs</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>fedaudit: scheduled audit runs</h1>",
        f'<p class="meta">{len(frame)} run(s) recorded in {e(history.DB_NAME)}; page written {e(_fmt_time(generated))}. '
        "Counts are open findings (accepted exceptions counted apart).</p>",
    ]
    if not len(frame):
        parts.append("<p>No runs yet.</p>")
    for audit_name in sorted(set(frame["audit"])):
        rows = frame[frame["audit"] == audit_name].sort_values("id", ascending=False)
        parts.append(f'<h2 id="{e(quote(audit_name))}">{e(audit_name)}</h2>')
        parts.append(
            "<table><thead><tr><th>Run</th><th>Started</th><th>As of</th><th>Status</th>"
            "<th>Critical</th><th>High</th><th>Warning</th><th>Info</th><th>Excepted</th>"
            "<th>Exit</th><th>Report</th><th>Machine-readable</th></tr></thead><tbody>"
        )
        for row in rows.to_dict(orient="records"):
            counts = row["counts"] or {}
            status = str(row["status"])
            if status == "complete" and counts.get("no_evidence"):
                status = "no-evidence"
            exit_code = row["exit_code"]
            # what `fedaudit run` returned for this audit: a failed run returns 2 (none is recorded)
            exit_text = (
                ("2" if status == "failed" else "-") if exit_code is None or pd.isna(exit_code) else str(int(exit_code))
            )
            cells = [
                f'<td class="n">{e(str(row["id"]))}</td>',
                f"<td>{e(_fmt_time(row['started']))}</td>",
                f"<td>{e(_fmt_time(row['as_of'])[:10])}</td>",
                f'<td><span class="s {e(status)}">{e(_status_text(status, exit_text, row.get("fail_on")))}</span>'
                + (f"<br>{e(str(row['error']))}" if isinstance(row.get("error"), str) else "")
                + "</td>",
            ]
            for sev in ("critical", "high", "warning", "info", "excepted"):
                value = counts.get(sev)
                cells.append(f'<td class="n">{e(str(value)) if value is not None else "-"}</td>')
            cells.append(f'<td class="n{" exit1" if exit_text in ("1", "2") else ""}">{e(exit_text)}</td>')
            report_href = _href(row["report_path"], root)
            if report_href:
                label = row["report_folder"] if isinstance(row["report_folder"], str) else "report"
                cells.append(f'<td><a href="{e(report_href)}">{e(label)}</a></td>')
            elif not pd.isna(row.get("pruned")):
                cells.append(f"<td>removed by retention {e(_fmt_time(row['pruned'])[:10])}</td>")
            else:
                cells.append("<td>-</td>")
            links = []
            report_path = row["report_path"]
            if isinstance(report_path, str):
                for name in ("findings.jsonl", "findings.ocsf.jsonl", "findings.json", "manifest.json"):
                    href = _href(str(Path(report_path).parent / name), root)
                    if href:
                        links.append(f'<a href="{e(href)}">{e(name)}</a>')
            cells.append(f"<td>{' '.join(links) or '-'}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_index(db_path: Path, root: Path, *, generated: dt.datetime, live_ids: tuple[int, ...] = ()) -> Path:
    """(Re)write ``<root>/index.html`` from the history database, atomically."""
    frame = history.runs(db_path, now=generated, live_ids=live_ids)
    text = render_index(frame, root, generated=generated)
    # a temporary file unique to this process: two runs at once never share one
    return write_text_atomic(root / "index.html", text)
