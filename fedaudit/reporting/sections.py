"""The report's sections as HTML fragments, for the report template and for JupyterLab.

The report template (``fedaudit/reporting/templates/audit_report.ipynb``) calls :func:`prepare` once and
then one section function per cell; each returns a :class:`Fragment`, which Jupyter displays as
HTML. Every piece of text that comes from the evidence (subjects, file names, domain names,
reasons) is escaped here, with :func:`html.escape` or ``DataFrame.to_html(escape=True)``: a
certificate subject such as ``CN=<img src=x onerror=alert(1)>`` is shown as text, never markup.

Nothing here does IO: :func:`prepare` (from :mod:`fedaudit.reporting.context`, re-exported here so
the template needs one module) loads, audits and writes the machine outputs.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from fedaudit._version import __version__
from fedaudit.errors import UsageError
from fedaudit.records import SEVERITIES
from fedaudit.reporting.context import RUN_FILE, ReportContext, lab_inputs, prepare, save_outputs
from fedaudit.reporting.plots import figure_png
from fedaudit.checks import ACTION_RANK
from fedaudit.reporting.plots import timeline_figure
from fedaudit.reporting.plots import MATRIX_VIEWS, matrix_note, mismatch_rows
from fedaudit.checks import by_id
from fedaudit.checks import REGISTRY
from fedaudit.engine.core import AuditResult
from fedaudit.reporting.plots import ResultLike

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "RUN_FILE",
    "SECTIONS",
    "Fragment",
    "ReportContext",
    "certificates",
    "domain_detail",
    "drift",
    "figure",
    "findings",
    "header",
    "lab_inputs",
    "load_issues",
    "manifest",
    "matrix",
    "matrix_table",
    "methodology",
    "prepare",
    "save_outputs",
    "show",
    "table",
    "timeline",
    "verdicts",
]

#: (anchor, heading) of each section, in the order an auditor reads them.
SECTIONS = (
    ("status", "Overall status"),
    ("drift", "Since the last run"),
    ("verdicts", "Verdict per federated domain"),
    ("timeline", "Certificate timeline"),
    ("matrix", "Thumbprint agreement"),
    ("findings", "Findings"),
    ("issues", "Load issues and fetch failures"),
    ("methodology", "Methodology"),
    ("certificates", "Certificate appendix"),
    ("manifest", "Manifest"),
)
_HEADINGS = dict(SECTIONS)


@dataclass(frozen=True)
class Fragment:
    """A piece of the report: escaped HTML, and a one-line text for plain displays."""

    html: str
    text: str = ""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.html, "text/plain": self.text or "(HTML)"}

    def __str__(self) -> str:
        return self.html


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _section(anchor: str, body: str, text: str | None = None) -> Fragment:
    heading = _HEADINGS[anchor]
    return Fragment(f'<section id="{anchor}"><h2>{_e(heading)}</h2>\n{body}</section>', text or heading)


def _na(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- tables


def _fmt_time(value: Any) -> Any:
    if _na(value):
        return pd.NA
    stamp = pd.Timestamp(value)
    if stamp.hour == stamp.minute == stamp.second == 0:
        return f"{stamp:%Y-%m-%d}"
    return f"{stamp:%Y-%m-%d %H:%M} UTC"


def _yes_no(value: Any, unknown: str = "unknown") -> str:
    if _na(value):
        return unknown
    return "yes" if bool(value) else "no"


def table(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | Sequence[str] | None = None,
    *,
    formatters: Mapping[str, Callable[[Any], Any]] | None = None,
    empty: str = "None.",
    keep_empty: bool = False,
) -> str:
    """``frame`` as an escaped HTML table in a scrolling wrapper. ``columns`` maps column to
    heading (or lists columns); ``formatters`` map a column to a function of one cell. Columns
    with no value at all are left out unless ``keep_empty``."""
    if frame is None or not len(frame):
        return f'<p class="fa-note">{_e(empty)}</p>'
    if columns is None:
        columns = list(frame.columns)
    names = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    present = [c for c in names if c in frame.columns]
    out = pd.DataFrame(index=range(len(frame)))
    for column in present:
        values = frame[column].tolist()
        fmt = (formatters or {}).get(column)
        if fmt is None and pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            fmt = _fmt_time
        if fmt is not None:
            values = [fmt(v) for v in values]
        cells = pd.Series(["\u2014" if _na(v) else v for v in values], dtype=object)
        if not keep_empty and (cells == "\u2014").all():
            continue  # a column with nothing in it says nothing
        out[names[column]] = cells
    markup = out.to_html(index=False, escape=True, border=0, classes="fa-data", justify="left")
    return f'<div class="fa-table">{markup}</div>'


def _sev(severity: Any) -> str:
    name = "info" if _na(severity) else str(severity)
    return f'<span class="fa-sev fa-sev-{_e(name)}">{_e(name)}</span>'


def _dl(items: Iterable[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items if not _na(v) and v != "")
    return f"<dl>{rows}</dl>" if rows else ""


# --------------------------------------------------------------------------- figures


def figure(fig: Figure, *, alt: str, caption: str | None = None) -> Fragment:
    """A matplotlib figure as an embedded PNG (a ``data:`` URI) with alt text and a caption."""

    png = figure_png(fig)
    width, height = (int(round(v)) for v in fig.get_size_inches() * fig.dpi)
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return Fragment(
        f'<figure><img src="{src}" alt="{_e(alt)}" width="{width}" height="{height}">{cap}</figure>', alt
    )


def show(fig: Figure, alt: str = "figure") -> Fragment:
    """Display a figure in a notebook without pyplot (the explore notebook's helper)."""
    return figure(fig, alt=alt)


# --------------------------------------------------------------------------- sections


def header(ctx: ReportContext) -> Fragment:
    """Title, scope, the overall status and counts by severity, and a table of contents."""
    counts = ctx.counts()
    worst = next((sev for sev in SEVERITIES if counts[sev]), None)
    if worst in ("critical", "high"):
        klass, word = "fa-fail", "Action required"
    elif worst == "warning":
        klass, word = "fa-review", "Review"
    else:
        klass, word = "fa-pass", "No problem found"
    verdicts_ = ctx.result.verdicts
    # Only rows that are federated domains count as domains (farm-only and no-evidence rows are not).
    domain_rows = verdicts_[verdicts_["domain"].notna()] if len(verdicts_) else verdicts_
    domains = len(domain_rows)
    actions = domain_rows["action"].astype("string").value_counts() if domains else pd.Series(dtype=int)
    act_text = ", ".join(f"{n} {a}" for a, n in actions.items())
    exit_word = "fails" if ctx.exit_code else "passes"
    status = (
        f'<div class="fa-status {klass}" role="status"><strong>{_e(word)}</strong>: '
        + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES)
        + (f" open finding(s); {counts['excepted']} excepted" if counts["excepted"] else " finding(s)")
        + f".<br>{domains} federated domain(s): {_e(act_text) if act_text else 'none in the evidence'}."
        + f"<br>This run {exit_word} the <code>--fail-on {_e(ctx.fail_on)}</code> gate (exit code {ctx.exit_code})."
        + (f'<br><strong>Warning:</strong> {len(ctx.unmatched_exceptions)} accepted exception(s) match no finding '
           f"(fixed, renamed or mistyped; retire or correct them): {_e('; '.join(ctx.unmatched_exceptions))}."
           if getattr(ctx, "unmatched_exceptions", None) else "")
        + "</div>"
    )
    sev_rows = pd.DataFrame(
        {"severity": list(SEVERITIES), "open findings": [counts[s] for s in SEVERITIES]}
    )
    scope = [
        ("Organisation", ctx.organisation),
        ("As of", f"{ctx.as_of:%Y-%m-%d %H:%M} UTC"),
        ("Generated", f"{ctx.generated_at:%Y-%m-%d %H:%M:%S} UTC" if ctx.generated_at else None),
        ("fedaudit", __version__),
        ("Inputs", f"{len(ctx.evidence.inputs)} file(s)"),
    ]
    toc_items = [(a, h) for a, h in SECTIONS if a != "drift" or ctx.drift is not None]
    toc = "".join(f'<li><a href="#{a}">{_e(h)}</a></li>' for a, h in toc_items)
    body = (
        f'<h1>{_e(ctx.title)} <small class="fa-asof">as of {ctx.as_of:%Y-%m-%d %H:%M} UTC</small></h1>'
        + (f'<p class="fa-sub">{_e(ctx.organisation)}</p>' if ctx.organisation else "")
        + f'<nav class="fa-toc" aria-label="Contents"><ol>{toc}</ol></nav>'
        + f'<section id="status"><h2>{_e(_HEADINGS["status"])}</h2>{status}'
        + '<div class="fa-finding" style="border-left-color:#888">'
        + _dl(scope)
        + "</div>"
        + table(sev_rows, formatters={"severity": lambda s: s})
        + "</section>"
    )
    return Fragment(body, f"{word}: " + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES))


_DRIFT_TITLES = {
    "baseline": "Compared with",
    "findings": "Findings new, resolved and unchanged",
    "certificates": "Certificates that appeared, disappeared or rotated",
    "update_status": "Entra update-status changes",
    "actions": "Verdict changes",
}


def drift(ctx: ReportContext) -> Fragment:
    """"Since the last run" (only when the report was given a history database)."""
    if ctx.drift is None:
        return Fragment("", "")
    frames = ctx.drift
    baseline = frames.get("baseline")
    if baseline is None or not len(baseline):
        return _section("drift", '<p class="fa-note">This is the first recorded run of this audit: nothing to compare with.</p>')
    parts = []
    for name, frame in frames.items():
        parts.append(f"<h3>{_e(_DRIFT_TITLES.get(name, name.replace('_', ' ').capitalize()))}</h3>")
        parts.append(table(frame, empty="No change."))
    return _section("drift", "".join(parts))


_VERDICT_COLUMNS = (
    ("domain", "domain"),
    ("farm", "farm"),
    ("action", "action"),
    ("days_left", "days left"),
    ("auto_certificate_rollover", "AutoCertificateRollover"),
    ("in_sync", "AD FS and Entra in sync"),
    ("metadata_public", "metadata public"),
)


def _verdict_cell(column: str, value: Any) -> str:
    if column in ("auto_certificate_rollover", "in_sync", "metadata_public"):
        return _yes_no(value)
    if column == "days_left":
        return "unknown" if _na(value) else f"{float(value):,.1f}"
    return "\u2014" if _na(value) else str(value)


def verdicts(ctx: ReportContext) -> Fragment:
    """The runbook's decision table per federated domain: its inputs, the action and why.

    One block per domain: the inputs and the action on the first row, the reason (and any
    missing evidence, with the command that produces it) on a full-width second row.
    """

    frame = ctx.result.verdicts.copy()
    intro = (
        "<p>AutoCertificateRollover, sync and metadata are the inputs of the runbook's decision table "
        "(<em>Check if the certificates need to be updated</em>, Step 3), with the days left on the "
        "certificate Entra ID relies on; the action is the table's row, raised by any critical or high "
        "finding that stands for the domain or its farm. Most urgent first: sign-in broken now, then by severity, "
        "then by days left.</p>"
    )
    if not len(frame):
        return _section("verdicts", intro + '<p class="fa-note">No federated domain in the evidence.</p>', "no verdicts")
    # The verdicts frame is already in urgency order (fedaudit.verdict: broken now, severity, days left).
    head = "".join(f'<th scope="col">{_e(title)}</th>' for _, title in _VERDICT_COLUMNS)
    blocks = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td data-label="{_e(title)}">{_e(_verdict_cell(c, row[c]))}</td>' for c, title in _VERDICT_COLUMNS
        )
        why = f"<strong>Why:</strong> {_e(row['reason'])}" if not _na(row["reason"]) else ""
        if "missing" in frame.columns and not _na(row["missing"]):
            why += f"<br><strong>Missing evidence:</strong> {_e(row['missing'])}"
        blocks.append(
            f'<tbody class="fa-verdict fa-action-{_e(row["action"])}"><tr>{cells}</tr>'
            f'<tr><td class="fa-why" colspan="{len(_VERDICT_COLUMNS)}">{why}</td></tr></tbody>'
        )
    table_html = (
        '<div class="fa-table"><table class="fa-data fa-verdicts">'
        f"<thead><tr>{head}</tr></thead>{''.join(blocks)}</table></div>"
    )
    return _section("verdicts", intro + table_html, f"{len(frame)} verdict(s)")


def timeline(ctx: ReportContext, *, max_rows: int = 40) -> Fragment:
    """The certificate timeline: the most urgent ``max_rows`` rows.

    Days left per domain are in the verdict table, so the report leaves out
    :func:`fedaudit.reporting.plots.days_to_expiry_figure` (the explore notebook shows it).
    """

    poll = f"{float(ctx.thresholds.get('expiry_warning_days', 35)):g}"
    urgent = f"{float(ctx.thresholds.get('expiry_urgent_days', 15)):g}"
    fig = timeline_figure(ctx.result, max_rows=max_rows)
    body = figure(
        fig,
        alt="Timeline of token-signing certificates per farm and domain, coloured by source, with the as-of date, "
        f"the {poll}- and {urgent}-day windows before the primary's expiry and projected rollover events.",
        caption=f"Token-signing certificates from not-before to not-after, most urgent first. Shaded: the {poll} days "
        f"before the primary's expiry (Entra ID polls the metadata) and the last {urgent} (renew now). "
        "The certificate appendix lists every certificate.",
    ).html
    return _section("timeline", body)


_MATRIX_CLASS = {"P": "fa-m-p", "S": "fa-m-s", "?": "fa-m-x", "": "fa-m-none"}


def matrix_table(result: ResultLike, *, max_rows: int = 40, domains: Iterable[str] | str | None = None) -> str:
    """The mismatch matrix (:func:`fedaudit.reporting.plots.mismatch_rows`) as an HTML table: text a
    reader can copy and a screen reader can read, the full thumbprints in each cell's tooltip,
    colours doubled by the printed code."""

    rows = mismatch_rows(result, domains=domains)
    if not rows:
        return '<p class="fa-note">No federated domain with a verdict.</p>'
    shown = rows[:max_rows]
    head = '<th scope="col">domain (farm)</th>' + "".join(f'<th scope="col">{_e(v)}</th>' for v in MATRIX_VIEWS)
    body = []
    for row in shown:
        who = row.domain if not row.farm else f"{row.domain} ({row.farm})"
        cells = "".join(
            f'<td class="{_MATRIX_CLASS[code]}" title="{_e(", ".join(tps) or "not in the evidence")}">{_e(text)}</td>'
            for code, text, tps in zip(row.cell_codes, row.texts, row.thumbprints)
        )
        body.append(f'<tr><th scope="row">{_e(who)}</th>{cells}</tr>')
    legend = (
        '<p class="fa-note"><span class="fa-m-p fa-key">P</span> the AD FS primary certificate '
        '<span class="fa-m-s fa-key">S</span> the AD FS secondary '
        '<span class="fa-m-x fa-key">?</span> a certificate AD FS does not hold '
        '<span class="fa-m-none fa-key">\u2014</span> not in the evidence; then the first four hex digits '
        "of the thumbprint (hover for all of it).</p>"
    )
    return (
        f'<p class="fa-note">{_e(matrix_note(rows, len(shown)))}</p>'
        f'<div class="fa-table"><table class="fa-data fa-matrix"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{legend}"
    )


def matrix(ctx: ReportContext, *, max_rows: int = 40) -> Fragment:
    """Which token-signing thumbprints agree across AD FS, Entra ID and the published metadata."""
    body = (
        "<p>For each federated domain: the AD FS primary and secondary token-signing certificates of its farm, "
        "the certificates Entra ID holds (current and next), and those the farm's metadata publishes. "
        "Entra ID's current certificate must be the AD FS primary (runbook Step 2).</p>"
        + matrix_table(ctx.result, max_rows=max_rows)
    )
    return _section("matrix", body)


def _evidence_table(items: Any, path: Callable[[Any], str] = str) -> str:
    if not isinstance(items, (list, tuple)) or not items:
        return ""
    rows = []
    for item in items:
        if isinstance(item, Mapping):
            origin = item.get("origin")
            origin = "\u2014" if _na(origin) else path(origin)
            rows.append(
                f"<tr><td>{_e(item.get('fact', ''))}</td><td class=\"mono\">{_e(_plain(item.get('value')))}</td>"
                f"<td>{_e(origin)}</td></tr>"
            )
        else:
            rows.append(f'<tr><td colspan="3">{_e(item)}</td></tr>')
    return (
        '<div class="fa-table"><table class="fa-data"><thead><tr><th>fact</th><th>value</th><th>origin</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "\u2014" if _na(value) else str(value)


def _finding_articles(frame: pd.DataFrame, path: Callable[[Any], str] = str) -> str:
    """One ``<article>`` per finding, most severe first; ``path`` shows evidence origins."""
    rank: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
    order = sorted(
        range(len(frame)),
        key=lambda i: (
            rank.get(str(frame["severity"].iloc[i]), 9),
            str(frame["id"].iloc[i]),
            str(frame["farm"].iloc[i]),
            str(frame["domain"].iloc[i]),
        ),
    )
    has_exceptions = "excepted" in frame.columns
    parts = []
    for i in order:
        row = frame.iloc[i]
        sev = "info" if _na(row["severity"]) else str(row["severity"])
        excepted = has_exceptions and not _na(row["excepted"]) and bool(row["excepted"])
        klass = f"fa-finding fa-sev-{_e(sev)}-box" + (" fa-excepted" if excepted else "")
        meta = _dl(
            [
                ("check", row["id"]),
                ("farm", row["farm"]),
                ("domain", row["domain"]),
                ("runbook", row["reference"]),
                ("controls", row.get("controls")),
                ("exception", row.get("exception")),
            ]
        )
        remedy = (
            ""
            if _na(row["remediation"])
            else f"<p><strong>Remediation</strong></p><pre><code>{_e(row['remediation'])}</code></pre>"
        )
        detail = "" if _na(row["detail"]) else f"<p>{_e(row['detail'])}</p>"
        tag = " (excepted)" if excepted else ""
        parts.append(
            f'<article class="{klass}"><h3>{_sev(sev)} {_e(row["title"])}{_e(tag)}</h3>{meta}{detail}'
            f"{_evidence_table(row['evidence'], path)}{remedy}</article>"
        )
    return "".join(parts)


#: Findings of one check on one farm are shown as one block from this many on (a farm with
#: hundreds of domains would otherwise repeat the same title and remedy hundreds of times).
GROUP_FROM = 4
_BLANK_LINE = "\n\n"


def _check_title(check_id: str) -> str:
    """The registered check's title, else its id (a finding's own title names one domain)."""

    try:
        return by_id(check_id).title
    except KeyError:
        return check_id


def _evidence_inline(items: Any, path: Callable[[Any], str]) -> str:
    if not isinstance(items, (list, tuple)):
        return ""
    parts = []
    for item in items:
        if isinstance(item, Mapping):
            origin = item.get("origin")
            where = "" if _na(origin) else f" ({path(origin)})"
            parts.append(f"{item.get('fact', '')}: {_plain(item.get('value'))}{where}")
        else:
            parts.append(str(item))
    return "; ".join(parts)


def _grouped_article(group: pd.DataFrame, path: Callable[[Any], str]) -> str:
    """Findings of one check, severity and farm (and exception state) as one block: a row per
    finding, and each distinct block of remediation commands once, in order of appearance."""
    first = group.iloc[0]
    sev = "info" if _na(first["severity"]) else str(first["severity"])
    excepted = "excepted" in group.columns and not _na(first["excepted"]) and bool(first["excepted"])
    klass = f"fa-finding fa-sev-{_e(sev)}-box" + (" fa-excepted" if excepted else "")
    farm = None if _na(first["farm"]) else str(first["farm"])
    where = f" on {farm}" if farm else ""
    heading = f"{_check_title(str(first['id']))}: {len(group)} findings{where}"
    meta = _dl(
        [
            ("check", first["id"]),
            ("farm", first["farm"]),
            ("runbook", first["reference"]),
            ("controls", first.get("controls")),
            ("exception", first.get("exception")),
        ]
    )
    rows = "".join(
        f"<tr><td>{_e(_plain(r['domain']))}</td><td>{_e(r['title'])}"
        + ("" if _na(r["detail"]) else f'<br><span class="fa-note">{_e(r["detail"])}</span>')
        + f"</td><td>{_e(_evidence_inline(r['evidence'], path))}</td></tr>"
        for _, r in group.iterrows()
    )
    blocks: list[str] = []
    for text in group["remediation"]:
        if _na(text):
            continue
        for block in str(text).split(_BLANK_LINE):
            if block.strip() and block not in blocks:
                blocks.append(block)
    remedy = (
        "<p><strong>Remediation</strong> (the commands of all these findings; a block they share is shown once)</p>"
        f"<pre><code>{_e(_BLANK_LINE.join(blocks))}</code></pre>"
        if blocks
        else ""
    )
    return (
        f'<article class="{klass}"><h3>{_sev(sev)} {_e(heading)}{" (excepted)" if excepted else ""}</h3>{meta}'
        '<div class="fa-table"><table class="fa-data"><thead><tr><th>domain</th><th>finding</th><th>evidence</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></div>{remedy}</article>"
    )


def findings(ctx: ReportContext) -> Fragment:
    """Every finding, most severe first: what, where, the evidence used and the exact remedy.

    From :data:`GROUP_FROM` findings of one check on one farm on, they share one block."""
    frame = ctx.result.findings
    if not len(frame):
        return _section("findings", '<p class="fa-note">No finding.</p>', "no findings")
    rank: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}
    keyed = frame.assign(
        _rank=[rank.get(str(v), 9) for v in frame["severity"]],
        _exc=frame["excepted"].fillna(False).astype(bool) if "excepted" in frame.columns else False,
        _farm=frame["farm"].astype("string").fillna(""),
        _id=frame["id"].astype("string"),
    )
    parts = []
    for _, group in keyed.groupby(["_rank", "_id", "_farm", "_exc"], sort=True):
        if len(group) >= GROUP_FROM:
            parts.append(_grouped_article(group, ctx.path))
        else:
            parts.append(_finding_articles(group, ctx.path))
    counts = ctx.counts()
    intro = "<p>" + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES) + " open"
    intro += f"; {counts['excepted']} excepted (accepted risks, shown dashed)" if counts["excepted"] else ""
    return _section("findings", intro + ".</p>" + "".join(parts), f"{len(frame)} finding(s)")


_ISSUE_COLUMNS = {"severity": "severity", "origin": "file", "line": "line", "field": "field", "message": "message"}
_FETCH_COLUMNS = {
    "url": "URL",
    "origin": "file",
    "fetched_at": "fetched",
    "http_status": "HTTP",
    "reachable": "reachable",
    "tls_verified": "TLS verified",
    "signature": "signature",
    "error": "error",
}


def load_issues(ctx: ReportContext) -> Fragment:
    """Problems met while reading the inputs, and metadata that could not be fetched or trusted."""
    issues = ctx.result.issues.copy()
    if "origin" in issues.columns:
        issues["origin"] = [ctx.path(o) if not _na(o) else o for o in issues["origin"]]
    meta = ctx.evidence.metadata.copy()
    if len(meta):
        bad = (
            (meta["reachable"] == False)  # noqa: E712 - nullable boolean: NA stays out
            | (meta["tls_verified"] == False)  # noqa: E712
            | meta["signature"].isin(["invalid", "error"])
            | meta["error"].notna()
        ).fillna(False)
        meta = meta[bad.astype(bool)]
        meta["origin"] = [ctx.path(o) if not _na(o) else o for o in meta["origin"]]
    bools = {"reachable": _yes_no, "tls_verified": _yes_no}
    body = (
        "<p>A load issue means part of an input could not be read; the audit went on without it, "
        "and any verdict that needed it says <em>insufficient-evidence</em>.</p>"
        f"<h3>Load issues ({len(issues)})</h3>"
        + table(issues, _ISSUE_COLUMNS, formatters={"severity": lambda s: s}, empty="No load issue.")
        + f"<h3>Metadata fetch failures ({len(meta)})</h3>"
        + table(meta, _FETCH_COLUMNS, formatters=bools, empty="No metadata fetch failed.")
    )
    return _section("issues", body, f"{len(issues)} load issue(s), {len(meta)} fetch failure(s)")


_DECISION_TABLE = (
    ("Yes", "Yes", "Yes", "-", "No action needed."),
    ("Yes", "No", "-", "Less than 15 days", "Renew immediately."),
    ("No", "-", "-", "Less than 35 days", "Renew immediately."),
)


def methodology(ctx: ReportContext) -> Fragment:
    """The rules applied (the check registry), the thresholds, the as-of date and the runbook."""

    checks = pd.DataFrame(
        [
            {
                "id": c.id,
                "title": c.title,
                "severity": c.severity,
                "runbook": c.reference,
                "what it checks": c.description,
                "controls": "; ".join(c.controls),
            }
            for c in REGISTRY
        ]
    )
    thresholds = pd.DataFrame({"threshold": list(ctx.thresholds), "value": [str(v) for v in ctx.thresholds.values()]})
    controls = sorted({ctl for c in REGISTRY for ctl in c.controls})
    rows = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r) + "</tr>" for r in _DECISION_TABLE)
    body = (
        f"<p>Evidence was judged as of <strong>{ctx.as_of:%Y-%m-%d %H:%M} UTC</strong>; no check reads the clock. "
        "The rules implement Microsoft's runbook <em>Renew federation certificates for Microsoft 365 and "
        "Microsoft Entra ID</em>. Its decision table (Step 3):</p>"
        '<div class="fa-table"><table class="fa-data"><thead><tr><th>AutoCertificateRollover</th>'
        "<th>Certificates in sync with Entra ID</th><th>Federation metadata publicly accessible</th>"
        f"<th>Validity</th><th>Action</th></tr></thead><tbody>{rows}</tbody></table></div>"
        "<p>\u201c35 days before the expiration of the token signing certificates, Microsoft Entra ID checks if new "
        "certificates are available by polling the federation metadata.\u201d Cases the table leaves open get the "
        "documented actions <code>update-entra</code>, <code>plan-renewal</code>, <code>fix-metadata</code>, "
        "<code>enable-rollover</code> and <code>insufficient-evidence</code>.</p>"
        f"<h3>Checks applied ({len(checks)})</h3>"
        + table(checks, formatters={"severity": lambda s: s})
        + "<h3>Thresholds</h3>"
        + table(thresholds)
        + "<h3>Controls supported</h3>"
        + ("<p>" + _e("; ".join(controls)) + "</p>" if controls else '<p class="fa-note">None declared.</p>')
    )
    return _section("methodology", body)


_CERT_COLUMNS = {
    "source": "source",
    "farm": "farm",
    "domain": "domain",
    "role": "role",
    "slot": "slot",
    "thumbprint": "thumbprint",
    "subject": "subject",
    "issuer": "issuer",
    "not_before": "not before",
    "not_after": "not after",
    "key": "key",
    "signature_hash": "signature",
    "origin": "origin",
}


def certificates(ctx: ReportContext) -> Fragment:
    """Every certificate observation in the evidence."""
    certs = ctx.evidence.certificates.copy()
    if len(certs):
        certs["key"] = [
            pd.NA if _na(t) else f"{t} {'' if _na(s) else int(s)}".strip() for t, s in zip(certs["key_type"], certs["key_size"])
        ]
        certs["origin"] = [
            pd.NA if _na(o) else ctx.path(o) + ("" if _na(line) else f":{int(line)}")
            for o, line in zip(certs["origin"], certs["line"] if "line" in certs.columns else [pd.NA] * len(certs))
        ]
        certs = certs.sort_values(["farm", "domain", "source", "slot", "not_after"], na_position="first", kind="stable")
    body = table(certs, _CERT_COLUMNS, empty="No certificate in the evidence.")
    return _section("certificates", f"<p>{len(certs)} observation(s), one per certificate per place it was seen.</p>" + body)


def manifest(ctx: ReportContext) -> Fragment:
    """What this report was made from: parameters, input files with SHA-256, metadata fetches."""
    params = pd.DataFrame(
        {
            "parameter": list(ctx.parameters),
            "value": [json.dumps(v, ensure_ascii=False, default=str) for v in ctx.parameters.values()],
        }
    )
    inputs = pd.DataFrame(
        [{"path": ctx.path(i.path), "kind": i.kind, "bytes": i.size, "SHA-256": i.sha256,
          "captured": (f"{i.captured_at:%Y-%m-%d %H:%M} UTC ({i.captured_from})" if i.captured_at else "unknown")}
         for i in ctx.evidence.inputs]
    )
    meta = ctx.evidence.metadata.copy()
    if len(meta):
        meta["origin"] = [ctx.path(o) if not _na(o) else o for o in meta["origin"]]
    body = (
        "<p><code>manifest.json</code> beside this file repeats these facts and adds the run's start and end "
        "and the SHA-256 of every file the run wrote.</p>"
        "<h3>Parameters</h3>"
        + table(params)
        + f"<h3>Input files ({len(inputs)})</h3>"
        + table(inputs, formatters={"bytes": lambda n: f"{int(n):,}"}, empty="No input file.")
        + f"<h3>Metadata documents ({len(meta)})</h3>"
        + table(
            meta,
            {"url": "URL", "origin": "file", "fetched_at": "fetched", "http_status": "HTTP", "sha256": "SHA-256", "error": "error"},
            empty="No metadata document.",
        )
    )
    return _section("manifest", body)


def domain_detail(result: AuditResult, domain: str | None = None) -> Fragment:
    """One federated domain up close (the most urgent one when ``domain`` is None): its
    verdict, findings (with those of its farm), certificates and timeline."""

    verdicts_ = result.verdicts
    if not len(verdicts_):
        return Fragment('<p class="fa-note">No federated domain in the evidence.</p>', "no domains")
    if domain is None:
        urgency = [
            (-ACTION_RANK.get(str(a), 0), -1e9 if _na(d) else float(d), str(n))
            for a, d, n in zip(verdicts_["action"], verdicts_["days_left"], verdicts_["domain"])
        ]
        domain = min(urgency)[2]
    match = verdicts_[verdicts_["domain"].astype("string").str.lower() == domain.lower()]
    if not len(match):
        known = ", ".join(map(str, verdicts_["domain"]))
        raise UsageError(f"{domain!r} is not a federated domain of this audit; try one of {known}")
    verdict = match.iloc[0]
    farm = None if _na(verdict["farm"]) else str(verdict["farm"])
    found = result.findings
    # the domain's own findings, and its farm's findings that name no domain
    own = found["domain"].astype("string").str.lower() == domain.lower()
    of_farm = found["domain"].isna() & (found["farm"].astype("string") == (farm or ""))
    mine = found[(own | of_farm).fillna(False).astype(bool)]
    certs = result.evidence.certificates
    in_scope = (certs["domain"].astype("string").str.lower() == domain.lower()).fillna(False)
    if farm:
        in_scope |= (certs["domain"].isna() & (certs["farm"] == farm)).fillna(False)
    body = (
        f"<h2>{_e(domain)}</h2>"
        + _dl([(title, _verdict_cell(c, verdict[c])) for c, title in _VERDICT_COLUMNS[1:]])
        + (f"<p><strong>Why:</strong> {_e(verdict['reason'])}</p>" if not _na(verdict["reason"]) else "")
        + figure(timeline_figure(result, domains=domain), alt=f"Certificate timeline of {domain} and its farm").html
        + matrix_table(result, domains=domain)
        + f"<h3>Findings ({len(mine)})</h3>"
        + (_finding_articles(mine) if len(mine) else '<p class="fa-note">No finding.</p>')
        + "<h3>Certificates</h3>"
        + table(certs[in_scope], _CERT_COLUMNS)
    )
    return Fragment(body, f"{domain}: {verdict['action']}")
