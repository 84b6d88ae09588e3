"""The history database of scheduled runs, and drift between runs.

``history.sqlite`` under the output root of ``fedaudit run`` holds one row per run and, for each
complete run, what it saw and judged::

    runs          id, audit, status, started, finished, as_of, counts (JSON), report_path, ...
    inputs        run_id, path, size, sha256, kind          every file the run loaded
    certificates  run_id, source, farm, domain, role, slot, thumbprint, not_after, ...
    domains       run_id, domain, farm, update_result, update_last_run, ...
    verdicts      run_id, domain, farm, action, reason, severity, days_left, ...
    findings      run_id, key, id, severity, farm, domain, title, ..., excepted, exception

Crash safety. A run is inserted as ``running`` (committed at once), and everything it recorded
is written and the row marked ``complete`` in ONE transaction at the end. SQLite's rollback
journal (the default mode; WAL needs shared memory that network shares lack) undoes a
transaction cut short by a kill or power loss the next time the file is opened, so a run is
either complete with all its rows or not complete with none. A ``running`` row whose process is
gone is shown as ``incomplete``.

Drift. :func:`drift_section` compares an :class:`~fedaudit.engine.core.AuditResult` with the last
complete run of the same audit; :func:`diff_runs` compares two recorded runs. Both return the
same frames (see :func:`compare`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from fedaudit._version import __version__
from fedaudit.engine.core import AuditResult, finding_keys
from fedaudit.errors import HistoryError, UsageError
from fedaudit.frames import utc_column
from fedaudit.io.clock import system_clock

__all__ = [
    "DB_NAME",
    "DRIFT_FRAMES",
    "Snapshot",
    "begin_run",
    "compare",
    "complete_run",
    "connect",
    "diff_runs",
    "drift_section",
    "fail_run",
    "finding_keys",
    "iter_audits",
    "last_complete_run",
    "mark_pruned",
    "resolve_run",
    "result_counts",
    "run_info",
    "runs",
    "snapshot_of",
    "stored_snapshot",
]

#: File name of the database under the output root.
DB_NAME = "history.sqlite"
SCHEMA_VERSION = 1
#: Keys of the dict :func:`compare`, :func:`drift_section` and :func:`diff_runs` return.
DRIFT_FRAMES = ("baseline", "findings", "certificates", "update_status", "actions")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    audit TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    started TEXT NOT NULL,
    finished TEXT,
    as_of TEXT NOT NULL,
    host TEXT,
    pid INTEGER,
    fedaudit_version TEXT,
    fail_on TEXT,
    exit_code INTEGER,
    counts TEXT,
    report_path TEXT,
    report_folder TEXT,
    evidence_path TEXT,
    outputs TEXT,
    error TEXT,
    pruned TEXT
);
CREATE INDEX IF NOT EXISTS runs_audit ON runs (audit, id);
CREATE TABLE IF NOT EXISTS inputs (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    path TEXT NOT NULL, size INTEGER, sha256 TEXT, kind TEXT
);
CREATE TABLE IF NOT EXISTS certificates (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    source TEXT, farm TEXT, domain TEXT, role TEXT, slot TEXT, thumbprint TEXT, sha256 TEXT,
    subject TEXT, not_before TEXT, not_after TEXT, origin TEXT
);
CREATE TABLE IF NOT EXISTS domains (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    domain TEXT, farm TEXT, authentication TEXT, issuer_uri TEXT, signing_thumbprint TEXT,
    next_signing_thumbprint TEXT, update_result TEXT, update_last_run TEXT, origin TEXT
);
CREATE TABLE IF NOT EXISTS verdicts (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    domain TEXT, farm TEXT, action TEXT, reason TEXT, severity TEXT, days_left REAL,
    in_sync INTEGER, auto_certificate_rollover INTEGER, metadata_public INTEGER
);
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT, id TEXT, severity TEXT, farm TEXT, domain TEXT, title TEXT, detail TEXT,
    remediation TEXT, reference TEXT, controls TEXT, excepted INTEGER, exception TEXT, evidence TEXT
);
CREATE INDEX IF NOT EXISTS certificates_run ON certificates (run_id);
CREATE INDEX IF NOT EXISTS domains_run ON domains (run_id);
CREATE INDEX IF NOT EXISTS verdicts_run ON verdicts (run_id);
CREATE INDEX IF NOT EXISTS findings_run ON findings (run_id);
CREATE INDEX IF NOT EXISTS inputs_run ON inputs (run_id);
"""

_SEVERITY_RANK = {"critical": 0, "high": 1, "warning": 2, "info": 3}
# A 'running' row on another host cannot be probed; after this long it is taken as abandoned.
_FOREIGN_RUNNING_GRACE = dt.timedelta(hours=24)


# -- connection ---------------------------------------------------------------------------------


def connect(db_path: str | os.PathLike[str], *, create: bool = True) -> sqlite3.Connection:
    """Open (and create or check the schema of) the history database. Raises :class:`HistoryError`.

    The connection is in autocommit mode; writers use explicit ``BEGIN IMMEDIATE`` transactions.
    """
    path = Path(db_path)
    if not create and not path.exists():
        raise HistoryError(f"{path}: no history database here (run `fedaudit run` first)")
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None)
    except (sqlite3.Error, OSError) as exc:
        raise HistoryError(f"{path}: cannot open history database: {exc}") from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        version = _schema_version(conn)
        if version is None:
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            conn.execute("COMMIT")
        elif version > SCHEMA_VERSION:
            raise HistoryError(
                f"{path}: history schema version {version} was written by a newer fedaudit "
                f"(this one reads up to {SCHEMA_VERSION}); upgrade fedaudit"
            )
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise HistoryError(f"{path}: not a usable history database: {exc}") from None
    except HistoryError:
        conn.close()
        raise
    return conn


def _schema_version(conn: sqlite3.Connection) -> int | None:
    row = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
    if row is None:
        return None
    value = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(value[0]) if value else None


@dataclass
class _Tx:
    conn: sqlite3.Connection

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.conn.execute("COMMIT")
        else:
            self.conn.execute("ROLLBACK")


def _iso(value: Any) -> str | None:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise UsageError(f"naive datetime {value!r}: history stores tz-aware UTC only")
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _clean(value: Any) -> Any:
    """A frame cell as an SQLite value: NA -> None, numpy scalars -> Python, bool -> int."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return _iso(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    return value


# -- writing runs -------------------------------------------------------------------------------


def begin_run(
    db_path: str | os.PathLike[str],
    audit: str,
    *,
    as_of: dt.datetime,
    started: dt.datetime,
    fail_on: str | None = None,
    evidence_path: str | None = None,
) -> int:
    """Insert a ``running`` row for ``audit`` and commit it; returns the run id."""

    with closing(connect(db_path)) as conn, _Tx(conn):
        cur = conn.execute(
            "INSERT INTO runs (audit, status, started, as_of, host, pid, fedaudit_version, fail_on, evidence_path)"
            " VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)",
            (audit, _iso(started), _iso(as_of), socket.gethostname(), os.getpid(), __version__, fail_on, evidence_path),
        )
        assert cur.lastrowid is not None  # sqlite3 sets it after an INSERT
        return int(cur.lastrowid)


def fail_run(db_path: str | os.PathLike[str], run_id: int, *, finished: dt.datetime, error: str) -> None:
    """Mark a run ``failed`` with the error that stopped it."""
    with closing(connect(db_path)) as conn, _Tx(conn):
        conn.execute(
            "UPDATE runs SET status = 'failed', finished = ?, error = ? WHERE id = ? AND status = 'running'",
            (_iso(finished), error, run_id),
        )


def result_counts(result: AuditResult) -> dict[str, Any]:
    """Counts a run row keeps: open findings by severity, excepted, and the size of the estate."""
    findings = result.findings
    excepted = _excepted_mask(findings)
    counts: dict[str, Any] = {
        s: int(((findings["severity"].astype("string") == s) & ~excepted).sum()) for s in _SEVERITY_RANK
    }
    counts["excepted"] = int(excepted.sum())
    counts["findings"] = len(findings)
    evidence = getattr(result, "evidence", None)
    for name in ("domains", "farms", "certificates", "issues"):
        frame = getattr(evidence, name, None) if evidence is not None else None
        counts[name] = len(frame) if frame is not None else 0
    ids = set(findings["id"].astype("string").dropna()) if "id" in findings.columns else set()
    if "evidence.nothing-loaded" in ids:
        counts["no_evidence"] = True  # index.html shows the run as "no evidence", never a healthy "complete"
    verdicts = getattr(result, "verdicts", None)
    if verdicts is not None and len(verdicts):
        actions = verdicts["action"].astype("string").value_counts(dropna=True)
        counts["actions"] = {str(k): int(v) for k, v in actions.items()}
    return counts


def _excepted_mask(findings: pd.DataFrame) -> pd.Series:
    if "excepted" not in findings.columns:
        return pd.Series(False, index=findings.index)
    return findings["excepted"].astype("boolean").fillna(False).astype(bool)


def complete_run(
    db_path: str | os.PathLike[str],
    run_id: int,
    result: AuditResult,
    *,
    finished: dt.datetime,
    report_path: str | os.PathLike[str] | None = None,
    exit_code: int | None = None,
    outputs: Mapping[str, str] | None = None,
) -> None:
    """Record what run ``run_id`` saw and judged, and mark it ``complete``: one transaction.

    ``result`` is an :class:`~fedaudit.engine.core.AuditResult`. ``outputs`` maps extra files the run
    wrote (findings.jsonl ...) to their SHA-256.
    """
    evidence = result.evidence
    counts = result_counts(result)
    report = Path(report_path) if report_path is not None else None
    with closing(connect(db_path)) as conn, _Tx(conn):
        row = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise HistoryError(f"{db_path}: no run {run_id} to complete")
        if row[0] != "running":
            raise HistoryError(f"{db_path}: run {run_id} is {row[0]}, not running")
        _insert_inputs(conn, run_id, getattr(evidence, "inputs", ()))
        _insert_frame(
            conn,
            "certificates",
            run_id,
            evidence.certificates,
            (
                "source",
                "farm",
                "domain",
                "role",
                "slot",
                "thumbprint",
                "sha256",
                "subject",
                "not_before",
                "not_after",
                "origin",
            ),
        )
        _insert_frame(
            conn,
            "domains",
            run_id,
            evidence.domains,
            (
                "domain",
                "farm",
                "authentication",
                "issuer_uri",
                "signing_thumbprint",
                "next_signing_thumbprint",
                "update_result",
                "update_last_run",
                "origin",
            ),
        )
        _insert_frame(
            conn,
            "verdicts",
            run_id,
            result.verdicts,
            (
                "domain",
                "farm",
                "action",
                "reason",
                "severity",
                "days_left",
                "in_sync",
                "auto_certificate_rollover",
                "metadata_public",
            ),
        )
        _insert_findings(conn, run_id, result.findings)
        conn.execute(
            "UPDATE runs SET status = 'complete', finished = ?, exit_code = ?, counts = ?, report_path = ?,"
            " report_folder = ?, outputs = ? WHERE id = ?",
            (
                _iso(finished),
                exit_code,
                json.dumps(counts, sort_keys=True),
                str(report) if report is not None else None,
                report.parent.name if report is not None else None,
                json.dumps(dict(outputs or {}), sort_keys=True),
                run_id,
            ),
        )


def _insert_inputs(conn: sqlite3.Connection, run_id: int, inputs: Iterable[Any]) -> None:
    conn.executemany(
        "INSERT INTO inputs (run_id, path, size, sha256, kind) VALUES (?, ?, ?, ?, ?)",
        [(run_id, str(i.path), int(i.size), i.sha256 or None, i.kind) for i in inputs],
    )


def _insert_frame(
    conn: sqlite3.Connection, table: str, run_id: int, frame: pd.DataFrame, columns: tuple[str, ...]
) -> None:
    present = [c for c in columns if c in frame.columns]
    if not len(frame):
        return
    rows = [(run_id, *(_clean(v) for v in values)) for values in frame[present].itertuples(index=False, name=None)]
    marks = ", ".join("?" * (len(present) + 1))
    conn.executemany(f"INSERT INTO {table} (run_id, {', '.join(present)}) VALUES ({marks})", rows)


def _insert_findings(conn: sqlite3.Connection, run_id: int, findings: pd.DataFrame) -> None:
    frame = findings.copy()
    frame["key"] = finding_keys(frame)
    frame["excepted"] = _excepted_mask(frame)
    if "evidence" in frame.columns:
        frame["evidence"] = [
            json.dumps(v, default=str, sort_keys=True) if v is not None else None for v in frame["evidence"]
        ]
    _insert_frame(
        conn,
        "findings",
        run_id,
        frame,
        (
            "key",
            "id",
            "severity",
            "farm",
            "domain",
            "title",
            "detail",
            "remediation",
            "reference",
            "controls",
            "excepted",
            "exception",
            "evidence",
        ),
    )


def mark_pruned(db_path: str | os.PathLike[str], run_id: int, when: dt.datetime) -> None:
    """Record that retention removed the report folder of run ``run_id``."""
    with closing(connect(db_path)) as conn, _Tx(conn):
        conn.execute("UPDATE runs SET pruned = ? WHERE id = ?", (_iso(when), run_id))


# -- reading runs -------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def _display_status(row: Mapping[str, Any], now: dt.datetime) -> str:
    status = row["status"]
    if status != "running":
        return status
    if row["host"] == socket.gethostname():
        # Our own pid can only hold a 'running' row the caller did not list as live when an
        # earlier run in this process died without being marked failed: that run is over.
        alive = bool(row["pid"]) and row["pid"] != os.getpid() and _pid_alive(int(row["pid"]))
        return "running" if alive else "incomplete"
    started = dt.datetime.fromisoformat(row["started"])
    return "running" if now - started < _FOREIGN_RUNNING_GRACE else "incomplete"


_RUN_COLUMNS = (
    "id",
    "audit",
    "status",
    "started",
    "finished",
    "as_of",
    "host",
    "pid",
    "fedaudit_version",
    "fail_on",
    "exit_code",
    "counts",
    "report_path",
    "report_folder",
    "evidence_path",
    "outputs",
    "error",
    "pruned",
)


def runs(
    db_path: str | os.PathLike[str],
    audit: str | None = None,
    *,
    now: dt.datetime | None = None,
    live_ids: Iterable[int] = (),
) -> pd.DataFrame:
    """Every recorded run (oldest first) with ``status`` as shown to people.

    A ``running`` row whose process has gone is shown as ``incomplete``; ``live_ids`` are runs the
    caller itself is still working on (shown as ``running``). ``counts`` is a dict.
    """
    now = now or system_clock()
    live = set(live_ids)
    path = Path(db_path)
    if not path.exists():
        rows: list[Mapping[str, Any]] = []
    else:
        with closing(connect(path)) as conn:
            conn.row_factory = sqlite3.Row
            sql = f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs"
            params: tuple[Any, ...] = ()
            if audit is not None:
                sql += " WHERE audit = ?"
                params = (audit,)
            rows = [dict(r) for r in conn.execute(sql + " ORDER BY id", params)]
    out = []
    for row in rows:
        row = dict(row)
        row["recorded_status"] = row["status"]
        row["status"] = "running" if row["id"] in live else _display_status(row, now)
        row["counts"] = json.loads(row["counts"]) if row["counts"] else {}
        row["outputs"] = json.loads(row["outputs"]) if row["outputs"] else {}
        out.append(row)
    frame = pd.DataFrame(out, columns=[*_RUN_COLUMNS, "recorded_status"])
    for c in (
        "audit",
        "status",
        "host",
        "fedaudit_version",
        "fail_on",
        "report_path",
        "report_folder",
        "evidence_path",
        "error",
        "recorded_status",
    ):
        # Text columns hold str or None (never NaN), so callers can test isinstance(value, str).
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    for c in ("started", "finished", "as_of", "pruned"):
        frame[c] = utc_column(frame[c])
    for c in ("id", "pid", "exit_code"):
        frame[c] = frame[c].astype("Int64")
    return frame


def run_info(db_path: str | os.PathLike[str], run_id: int) -> dict[str, Any]:
    """The row of one run (as :func:`runs` shows it)."""
    frame = runs(db_path)
    match = frame[frame["id"] == run_id]
    if not len(match):
        raise HistoryError(f"{db_path}: no run {run_id}")
    return match.iloc[0].to_dict()


def last_complete_run(db_path: str | os.PathLike[str], audit: str, *, before: int | None = None) -> int | None:
    """The id of the newest complete run of ``audit`` (older than run ``before`` when given)."""
    if not Path(db_path).exists():
        return None
    with closing(connect(db_path)) as conn:
        sql = "SELECT max(id) FROM runs WHERE audit = ? AND status = 'complete'"
        params: tuple[Any, ...] = (audit,)
        if before is not None:
            sql += " AND id < ?"
            params += (before,)
        row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def resolve_run(db_path: str | os.PathLike[str], ref: str | int, *, audit: str | None = None) -> int:
    """A run id from a reference: an id, a report folder name (or path), ``latest`` or ``previous``.

    ``latest`` is the newest complete run and ``previous`` the complete run before it, both of
    ``audit`` (which may be omitted when the database holds a single audit).
    """
    frame = runs(db_path)
    text = str(ref).strip()
    if text.isdigit():
        run_id = int(text)
        if not (frame["id"] == run_id).any():
            raise UsageError(f"no run {run_id} in {db_path}")
        return run_id
    if text in ("latest", "previous"):
        audits = sorted(set(frame["audit"]))
        if audit is None:
            if len(audits) > 1:
                raise UsageError(
                    f"{text!r} is ambiguous: the history holds audits {', '.join(audits)}; pass --audit NAME"
                )
            if not audits:
                raise UsageError(f"no runs recorded in {db_path}")
            audit = audits[0]
        complete = frame[(frame["audit"] == audit) & (frame["recorded_status"] == "complete")]["id"].tolist()
        need = 1 if text == "latest" else 2
        if len(complete) < need:
            raise UsageError(f"{text!r}: audit {audit!r} has {len(complete)} complete run(s) in {db_path}")
        return int(complete[-need])
    name = Path(text.rstrip("/\\")).name
    hits = frame[(frame["report_folder"] == name)]
    if audit is not None:
        hits = hits[hits["audit"] == audit]
    if len(hits) == 1:
        return int(hits.iloc[0]["id"])
    if len(hits) > 1:
        raise UsageError(f"{text!r} names several runs ({', '.join(str(i) for i in hits['id'])}); pass a run id")
    raise UsageError(f"{text!r} is not a run id, a report folder name, 'latest' or 'previous' in {db_path}")


# -- snapshots and drift ------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What drift compares: findings, certificate observations, Entra domains and verdicts of a run."""

    findings: pd.DataFrame
    certificates: pd.DataFrame
    domains: pd.DataFrame
    verdicts: pd.DataFrame


_SNAP_COLUMNS = {
    "findings": ("key", "id", "severity", "farm", "domain", "title", "excepted"),
    "certificates": ("source", "farm", "domain", "role", "slot", "thumbprint", "subject", "not_after"),
    "domains": ("domain", "farm", "update_result", "update_last_run"),
    "verdicts": ("domain", "farm", "action", "severity"),
}


def _normalise(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    columns = _SNAP_COLUMNS[name]
    out = pd.DataFrame(index=range(len(frame)))
    for c in columns:
        if c in frame.columns:
            values = frame[c].reset_index(drop=True)
        else:
            values = pd.Series([pd.NA] * len(frame))
        if c in ("not_after", "update_last_run"):
            out[c] = utc_column(values)
        elif c == "excepted":
            out[c] = values.astype("boolean").fillna(False).astype(bool)
        else:
            out[c] = values.astype("string")
    return out


def snapshot_of(result: AuditResult) -> Snapshot:
    """The snapshot of an :class:`~fedaudit.engine.core.AuditResult`."""
    findings = result.findings.copy()
    findings["key"] = finding_keys(findings)
    evidence = result.evidence
    return Snapshot(
        findings=_normalise("findings", findings),
        certificates=_normalise("certificates", evidence.certificates),
        domains=_normalise("domains", evidence.domains),
        verdicts=_normalise("verdicts", result.verdicts),
    )


def stored_snapshot(db_path: str | os.PathLike[str], run_id: int) -> Snapshot:
    """The snapshot of recorded run ``run_id``."""
    with closing(connect(db_path, create=False)) as conn:
        frames = {}
        for name, columns in _SNAP_COLUMNS.items():
            cur = conn.execute(f"SELECT {', '.join(columns)} FROM {name} WHERE run_id = ? ORDER BY rowid", (run_id,))
            frames[name] = _normalise(name, pd.DataFrame(cur.fetchall(), columns=list(columns)))
    return Snapshot(**frames)


def _rank(severity: Any) -> int:
    return _SEVERITY_RANK.get(str(severity), 9) if not pd.isna(severity) else 9


def _compare_findings(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = {r["key"]: r for r in before.drop_duplicates("key").to_dict(orient="records")}
    a = {r["key"]: r for r in after.drop_duplicates("key").to_dict(orient="records")}
    rows = []
    for change, keys, source in (
        ("new", [k for k in a if k not in b], a),
        ("resolved", [k for k in b if k not in a], b),
        ("unchanged", [k for k in a if k in b], a),
    ):
        for k in keys:
            r = source[k]
            rows.append(
                {
                    "change": change,
                    "id": r["id"],
                    "severity": r["severity"],
                    "previous_severity": b[k]["severity"] if k in b else pd.NA,
                    "farm": r["farm"],
                    "domain": r["domain"],
                    "title": r["title"],
                    "excepted": bool(r["excepted"]),
                    "key": k,
                }
            )
    order = {"new": 0, "resolved": 1, "unchanged": 2}
    rows.sort(key=lambda r: (order[r["change"]], _rank(r["severity"]), str(r["id"]), str(r["key"])))
    columns = ["change", "id", "severity", "previous_severity", "farm", "domain", "title", "excepted", "key"]
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:
        frame[c] = frame[c].astype("boolean" if c == "excepted" else "string")
    return frame


def _slot_scope(row: Mapping[str, Any]) -> str:
    # AD FS and metadata certificates belong to a farm; Entra's to a domain.
    source = row["source"]
    first = ("domain", "farm") if source == "entra" else ("farm", "domain")
    for c in first:
        v = row[c]
        if not pd.isna(v):
            return str(v).casefold()
    return ""


def _slots(frame: pd.DataFrame) -> dict[tuple[str, ...], dict[str, Any]]:
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in frame.to_dict(orient="records"):
        if pd.isna(row["thumbprint"]):
            continue
        key = (
            "" if pd.isna(row["source"]) else str(row["source"]),
            _slot_scope(row),
            "" if pd.isna(row["role"]) else str(row["role"]),
            "" if pd.isna(row["slot"]) else str(row["slot"]),
        )
        slot = out.setdefault(key, {"thumbprints": {}, "farm": pd.NA, "domain": pd.NA})
        tp = str(row["thumbprint"])
        prev = slot["thumbprints"].get(tp)
        if prev is None or (not pd.isna(row["not_after"]) and (pd.isna(prev) or row["not_after"] > prev)):
            slot["thumbprints"][tp] = row["not_after"]
        for c in ("farm", "domain"):
            if pd.isna(slot[c]) and not pd.isna(row[c]):
                slot[c] = row[c]
    return out


def _latest_expiry(thumbprints: Mapping[str, Any]) -> Any:
    dates = [d for d in thumbprints.values() if not pd.isna(d)]
    return max(dates) if dates else pd.NaT


def _compare_certificates(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b, a = _slots(before), _slots(after)
    rows = []
    for key in sorted(set(b) | set(a)):
        old = b.get(key, {"thumbprints": {}, "farm": pd.NA, "domain": pd.NA})
        new = a.get(key, {"thumbprints": {}, "farm": pd.NA, "domain": pd.NA})
        old_tps, new_tps = set(old["thumbprints"]), set(new["thumbprints"])
        if old_tps == new_tps:
            continue
        change = "appeared" if not old_tps else "disappeared" if not new_tps else "rotated"
        shown = new if new_tps else old
        rows.append(
            {
                "change": change,
                "source": key[0] or pd.NA,
                "farm": shown["farm"],
                "domain": shown["domain"],
                "role": key[2] or pd.NA,
                "slot": key[3] or pd.NA,
                "before": ", ".join(sorted(old_tps)) or pd.NA,
                "after": ", ".join(sorted(new_tps)) or pd.NA,
                "before_not_after": _latest_expiry(old["thumbprints"]),
                "after_not_after": _latest_expiry(new["thumbprints"]),
            }
        )
    columns = [
        "change",
        "source",
        "farm",
        "domain",
        "role",
        "slot",
        "before",
        "after",
        "before_not_after",
        "after_not_after",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if c.endswith("not_after"):
            frame[c] = utc_column(frame[c])
        else:
            frame[c] = frame[c].astype("string")
    return frame


def _by_domain(frame: pd.DataFrame, value: str, extra: str | None = None) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in frame.to_dict(orient="records"):
        if pd.isna(row["domain"]):
            continue
        d = str(row["domain"]).casefold()
        slot = out.setdefault(
            d, {"domain": row["domain"], "farm": pd.NA, value: pd.NA, **({extra: pd.NaT} if extra else {})}
        )
        for c in ("farm", value) + ((extra,) if extra else ()):
            if pd.isna(slot[c]) and not pd.isna(row[c]):
                slot[c] = row[c]
    return out


def _compare_update_status(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b = _by_domain(before, "update_result", "update_last_run")
    a = _by_domain(after, "update_result", "update_last_run")
    rows = []
    for d in sorted(set(b) | set(a)):
        old, new = b.get(d), a.get(d)
        old_v = old["update_result"] if old else pd.NA
        new_v = new["update_result"] if new else pd.NA
        same = (pd.isna(old_v) and pd.isna(new_v)) or (
            not pd.isna(old_v) and not pd.isna(new_v) and str(old_v).casefold() == str(new_v).casefold()
        )
        if same:
            continue
        shown = new or old
        assert shown is not None  # d comes from one of the two
        rows.append(
            {
                "domain": shown["domain"],
                "farm": shown["farm"],
                "before": old_v,
                "after": new_v,
                "before_last_run": old["update_last_run"] if old else pd.NaT,
                "after_last_run": new["update_last_run"] if new else pd.NaT,
            }
        )
    columns = ["domain", "farm", "before", "after", "before_last_run", "after_last_run"]
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:
        frame[c] = utc_column(frame[c]) if c.endswith("last_run") else frame[c].astype("string")
    return frame


def _compare_actions(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    b, a = _by_domain(before, "action"), _by_domain(after, "action")
    rows = []
    for d in sorted(set(b) | set(a)):
        old_v = b[d]["action"] if d in b else pd.NA
        new_v = a[d]["action"] if d in a else pd.NA
        if (pd.isna(old_v) and pd.isna(new_v)) or (not pd.isna(old_v) and not pd.isna(new_v) and old_v == new_v):
            continue
        shown = a.get(d) or b[d]
        rows.append({"domain": shown["domain"], "farm": shown["farm"], "before": old_v, "after": new_v})
    columns = ["domain", "farm", "before", "after"]
    frame = pd.DataFrame(rows, columns=columns)
    for c in columns:
        frame[c] = frame[c].astype("string")
    return frame


def _baseline(rows: list[Mapping[str, Any]]) -> pd.DataFrame:
    columns = ["which", "run_id", "audit", "started", "as_of", "report_path"]
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    frame["run_id"] = frame["run_id"].astype("Int64")
    for c in ("which", "audit", "report_path"):
        frame[c] = frame[c].astype("string")
    for c in ("started", "as_of"):
        frame[c] = utc_column(frame[c])
    return frame


def compare(before: Snapshot, after: Snapshot, baseline: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """What changed from ``before`` to ``after``. Keys (:data:`DRIFT_FRAMES`):

    * ``baseline``: the run(s) compared (``which`` = before/after, run_id, audit, started, as_of, report_path)
    * ``findings``: ``change`` new / resolved / unchanged (by finding ``key``), id, severity,
      previous_severity, farm, domain, title, excepted, key
    * ``certificates``: ``change`` appeared / disappeared / rotated for each certificate slot
      (source, farm or domain, role, slot), with ``before``/``after`` thumbprints and expiries
    * ``update_status``: Entra ``signingCertificateUpdateStatus`` results that changed, per domain
    * ``actions``: verdict actions that changed, per domain
    """
    return {
        "baseline": baseline if baseline is not None else _baseline([]),
        "findings": _compare_findings(before.findings, after.findings),
        "certificates": _compare_certificates(before.certificates, after.certificates),
        "update_status": _compare_update_status(before.domains, after.domains),
        "actions": _compare_actions(before.verdicts, after.verdicts),
    }


def _empty_drift() -> dict[str, pd.DataFrame]:
    empty = Snapshot(*(_normalise(n, pd.DataFrame()) for n in ("findings", "certificates", "domains", "verdicts")))
    return compare(empty, empty)


def _baseline_row(db_path: str | os.PathLike[str], run_id: int, which: str) -> dict[str, Any]:
    info = run_info(db_path, run_id)
    return {
        "which": which,
        "run_id": run_id,
        "audit": info["audit"],
        "started": info["started"],
        "as_of": info["as_of"],
        "report_path": info["report_path"],
    }


def drift_section(
    db_path: str | os.PathLike[str] | None, audit_name: str | None, result: AuditResult
) -> dict[str, pd.DataFrame]:
    """Drift of ``result`` since the last complete run of ``audit_name`` (the report's
    "since the last run" section). With no database, or no earlier complete run, every frame is
    empty and ``baseline`` has no rows: the report says this is the first recorded run.
    """
    if db_path is None or audit_name is None or not Path(db_path).exists():
        return _empty_drift()
    previous = last_complete_run(db_path, audit_name)
    if previous is None:
        return _empty_drift()
    baseline = _baseline([_baseline_row(db_path, previous, "before")])
    return compare(stored_snapshot(db_path, previous), snapshot_of(result), baseline)


def diff_runs(
    db_path: str | os.PathLike[str],
    run_a: str | int,
    run_b: str | int,
    *,
    audit: str | None = None,
    force: bool = False,
) -> dict[str, pd.DataFrame]:
    """What changed from recorded run ``run_a`` to run ``run_b`` (see :func:`resolve_run`).

    Runs of two different audits describe two different estates, so everything would show as
    appeared or disappeared: refused (UsageError) unless ``force``."""
    a = resolve_run(db_path, run_a, audit=audit)
    b = resolve_run(db_path, run_b, audit=audit)
    names = []
    for run_id in (a, b):
        info = run_info(db_path, run_id)
        if info["recorded_status"] != "complete":
            raise UsageError(f"run {run_id} is {info['status']}: only complete runs can be compared")
        names.append(str(info["audit"]))
    if names[0] != names[1] and not force:
        raise UsageError(
            f"run {a} is of audit {names[0]!r} and run {b} of audit {names[1]!r}: comparing two different audits "
            "shows every finding and certificate as new or gone; pass --force to compare them anyway"
        )
    baseline = _baseline([_baseline_row(db_path, a, "before"), _baseline_row(db_path, b, "after")])
    return compare(stored_snapshot(db_path, a), stored_snapshot(db_path, b), baseline)


def iter_audits(db_path: str | os.PathLike[str]) -> Iterator[str]:
    """Audit names present in the database, sorted."""
    yield from sorted(set(runs(db_path)["audit"]))
