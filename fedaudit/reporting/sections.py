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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from fedaudit._version import __version__
from fedaudit.checks import ACTION_RANK, REGISTRY, by_id
from fedaudit.engine.core import AuditResult
from fedaudit.engine.verdict import days_left_text, urgency_order
from fedaudit.errors import UsageError
from fedaudit.records import SEVERITIES
from fedaudit.reporting.context import (
    RUN_FILE,
    ReportContext,
    lab_inputs,
    page_title,
    prepare,
    save_outputs,
    status_sentence,
)
from fedaudit.reporting.context import (
    plural as _plural,
)
from fedaudit.reporting.plots import (
    MATRIX_VIEWS,
    ResultLike,
    days_to_expiry_figure,
    figure_png,
    matrix_note,
    mismatch_rows,
    timeline_figure,
)

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
    "assurance",
    "findings",
    "header",
    "page_title",
    "status_sentence",
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
    ("assurance", "Checks performed and controls"),
    ("issues", "Load issues and fetch failures"),
    ("methodology", "Methodology"),
    ("certificates", "Certificate appendix"),
    ("manifest", "Chain of custody"),
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


_DASH = "\u2014"
_MONO = ' class="mono"'


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
    mono: Iterable[str] = (),
    sortable: bool = False,
    cards: bool | None = None,
) -> str:
    """``frame`` as an escaped HTML table. ``columns`` maps column to heading (or lists
    columns); ``formatters`` map a column to a function of one cell; ``mono`` columns (hashes,
    thumbprints) are set in a monospace face that breaks inside the cell. Columns with no value
    at all are left out unless ``keep_empty``. Every cell carries its heading as ``data-label``:
    a table of more than five columns (or ``cards=True``) becomes one card per row on a phone
    and on paper instead of being cut. ``sortable`` tables get sort buttons and a filter box."""
    if frame is None or not len(frame):
        return f'<p class="fa-note">{_e(empty)}</p>'
    if columns is None:
        columns = list(frame.columns)
    names = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    mono_set = set(mono)
    present = [c for c in names if c in frame.columns]
    kept: list[tuple[str, list[str]]] = []
    for column in present:
        values = frame[column].tolist()
        fmt = (formatters or {}).get(column)
        if fmt is None and pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            fmt = _fmt_time
        if fmt is not None:
            values = [fmt(v) for v in values]
        cells = ["\u2014" if _na(v) else str(v) for v in values]
        if not keep_empty and all(c == "\u2014" for c in cells):
            continue  # a column with nothing in it says nothing
        kept.append((column, cells))
    as_cards = cards if cards is not None else len(kept) > 5
    head = "".join(f'<th scope="col">{_e(names[c])}</th>' for c, _ in kept)
    body = []
    for i in range(len(frame)):
        tds = "".join(
            f'<td data-label="{_e(names[c])}"{_MONO if c in mono_set else ""}>{_e(cells[i])}</td>' for c, cells in kept
        )
        body.append(f"<tr>{tds}</tr>")
    klass = "fa-data" + (" fa-cards" if as_cards else "") + (" fa-sort" if sortable else "")
    return (
        f'<div class="fa-table"><table class="{klass}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


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
    return Fragment(f'<figure><img src="{src}" alt="{_e(alt)}" width="{width}" height="{height}">{cap}</figure>', alt)


def show(fig: Figure, alt: str = "figure") -> Fragment:
    """Display a figure in a notebook without pyplot (the explore notebook's helper)."""
    return figure(fig, alt=alt)


# --------------------------------------------------------------------------- sections


#: Verdict action -> badge class (colour); the badge always prints the action's name too.
_ACTION_CLASS = {
    "renew-now": "fa-b-crit",
    "update-entra": "fa-b-crit",
    "insufficient-evidence": "fa-b-high",
    "fix-metadata": "fa-b-high",
    "enable-rollover": "fa-b-warn",
    "plan-renewal": "fa-b-info",
    "none": "fa-b-ok",
}


def _badge(action: Any) -> str:
    name = "unknown" if _na(action) else str(action)
    return f'<span class="fa-badge {_ACTION_CLASS.get(name, "fa-b-info")}">{_e(name)}</span>'


#: Broken domains listed in the summary; the verdict table has every one.
SUMMARY_ROWS = 15


def header(ctx: ReportContext) -> Fragment:
    """The first screen and the cover of the printout: title, scope, one status sentence, the
    domains that need action (most urgent first, with coloured action badges), counts by
    severity, what changed since the last run, and a table of contents."""
    counts = ctx.counts()
    sentence = status_sentence(ctx)
    word = sentence.split(":", 1)[0]
    klass = {"Action required": "fa-fail", "Review": "fa-review"}.get(word, "fa-pass")
    gate = _e(f"--fail-on {ctx.fail_on}")
    said = _e(sentence.split(": ", 1)[1]).replace(gate, f'<span class="fa-nowrap">{gate}</span>', 1)
    status = f'<p class="fa-status {klass}" role="status"><strong>{_e(word)}</strong>: {said}</p>'
    chips = "".join(
        f'<li class="fa-chip fa-sev-{s}{" fa-zero" if not counts[s] else ""}"><strong>{counts[s]}</strong> {s}</li>'
        for s in SEVERITIES
    )
    if counts["excepted"]:
        chips += f'<li class="fa-chip fa-chip-exc"><strong>{counts["excepted"]}</strong> excepted</li>'
    sev = f'<ul class="fa-chips" aria-label="Open findings by severity">{chips}</ul>'
    verdicts_ = ctx.result.verdicts
    broken = verdicts_[verdicts_["action"].astype("string").fillna("insufficient-evidence") != "none"]
    if len(broken):
        order = urgency_order(broken)
        rows = []
        for i in order[:SUMMARY_ROWS]:
            r = broken.iloc[i]
            days = days_left_text(r["days_left"])
            reason = "" if _na(r["reason"]) else str(r["reason"])
            rows.append(
                f'<tr><td data-label="action">{_badge(r["action"])}</td><td data-label="domain"><strong>{_e(_plain(r["domain"]))}</strong>'
                f'<br><span class="fa-note">{_e("" if _na(r["farm"]) else r["farm"])}</span></td>'
                f'<td data-label="days left">{_e(days)}</td><td data-label="why" class="fa-wrap">{_e(reason)}</td></tr>'
            )
        more = len(broken) - min(len(broken), SUMMARY_ROWS)
        broken_html = (
            f"<h3>{_need_heading(broken, verdicts_)}</h3>"
            '<div class="fa-table"><table class="fa-data fa-broken"><thead><tr><th>action</th><th>domain (farm)</th>'
            f"<th>days left</th><th>why</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
            + (
                f'<p class="fa-note">And {more} more: the <a href="#verdicts">verdict table</a> lists every domain.</p>'
                if more
                else ""
            )
        )
    else:
        broken_html = ""
    changed = _drift_summary(ctx)
    unmatched = getattr(ctx, "unmatched_exceptions", None)
    if unmatched:
        changed += (
            f'<p class="fa-status fa-review"><strong>Warning:</strong> {len(unmatched)} accepted exception(s) match no '
            f"finding (fixed, renamed or mistyped; retire or correct them): {_e('; '.join(unmatched))}.</p>"
        )
    scope = [
        ("Organisation", ctx.organisation),
        ("As of", f"{ctx.as_of:%Y-%m-%d %H:%M} UTC"),
        ("Gate", f"--fail-on {ctx.fail_on} (exit code {ctx.exit_code})"),
        (
            "Scope",
            f"{len(ctx.evidence.inputs)} input file(s), {_plural(int(verdicts_['domain'].notna().sum()), 'federated domain')}",
        ),
        ("Generated", f"{ctx.generated_at:%Y-%m-%d %H:%M:%S} UTC" if ctx.generated_at else None),
        ("By", " on ".join(v for v in (ctx.run.get("user"), ctx.run.get("host")) if v) or None),
        ("fedaudit", __version__),
    ]
    toc_items = [(a, h) for a, h in SECTIONS if a not in ("status",) and (a != "drift" or ctx.drift is not None)]
    toc = "".join(f'<li><a href="#{a}">{_e(h)}</a></li>' for a, h in toc_items)
    body = (
        '<header class="fa-cover">'
        f'<p class="fa-running" aria-hidden="true">{_e(page_title(ctx))}</p>'
        f"<h1>{_e(ctx.title)}</h1>"
        + (f'<p class="fa-sub">{_e(ctx.organisation)}</p>' if ctx.organisation else "")
        + f'<section id="status"><h2 class="fa-vh">{_e(_HEADINGS["status"])}</h2>{status}{sev}'
        + f'<div class="fa-scope">{_dl(scope)}</div>'
        + broken_html
        + changed
        + "</section></header>"
        + f'<nav class="fa-toc" aria-label="Contents"><ol>{toc}</ol></nav>'
    )
    return Fragment(body, sentence)


def _need_heading(broken: pd.DataFrame, verdicts_: pd.DataFrame) -> str:
    """ "Domains that need action (7 of 11) and 1 farm without a federated domain": counted as
    the status sentence counts; without any federated domain it says what needs action instead."""
    domains = int(verdicts_["domain"].notna().sum())
    need = int(broken["domain"].notna().sum())
    farms = int((broken["domain"].isna() & broken["farm"].notna()).sum())
    other = len(broken) - need - farms
    farm_text = f"{_plural(farms, 'AD FS farm')} without a federated domain"
    # a row with neither farm nor domain: the evidence holds nothing to judge
    nothing = "the evidence holds no AD FS farm and no federated domain, so there is nothing to judge"
    if domains:
        text = f"Domains that need action ({need} of {domains})"
        if farms:
            text += f" and {farm_text}"
        if other:
            text += f"; {nothing}"
        return text
    if farms:
        return f"Needs action: {farm_text}" + (f"; {nothing}" if other else "")
    return "Nothing to judge: the evidence holds no AD FS farm and no federated domain"


def _drift_summary(ctx: ReportContext) -> str:
    """One line of "since the last run" for the summary (the section has the detail)."""
    if ctx.drift is None:
        return ""
    baseline = ctx.drift.get("baseline")
    if baseline is None or not len(baseline):
        return (
            '<p class="fa-note"><strong>Since the last run:</strong> this is the first recorded run of this audit.</p>'
        )
    parts: list[str] = []
    for name, noun in (("findings", "finding"), ("certificates", "certificate change"), ("actions", "verdict change")):
        frame = ctx.drift.get(name)
        if frame is None or not len(frame):
            continue
        if "change" in frame.columns:
            tally = frame["change"].astype("string").value_counts()
            parts.extend(f"{n} {c} {noun}{'s' if n != 1 else ''}" for c, n in tally.items() if c != "unchanged")
        else:
            parts.append(_plural(len(frame), noun))
    text = ", ".join(parts) if parts else "nothing changed"
    return f'<p><strong>Since the last run:</strong> {_e(text)} (<a href="#drift">details</a>).</p>'


_DRIFT_TITLES = {
    "baseline": "Compared with",
    "findings": "Findings new, resolved and unchanged",
    "certificates": "Certificates that appeared, disappeared or rotated",
    "update_status": "Entra update-status changes",
    "actions": "Verdict changes",
}


def drift(ctx: ReportContext) -> Fragment:
    """ "Since the last run" (only when the report was given a history database)."""
    if ctx.drift is None:
        return Fragment("", "")
    frames = ctx.drift
    baseline = frames.get("baseline")
    if baseline is None or not len(baseline):
        return _section(
            "drift", '<p class="fa-note">This is the first recorded run of this audit: nothing to compare with.</p>'
        )
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
        return days_left_text(value)
    return "\u2014" if _na(value) else str(value)


#: Past this many federated domains, the domains of one farm with the same action share a row.
VERDICT_ROWS = 60


def verdicts(ctx: ReportContext) -> Fragment:
    """The runbook's decision table per federated domain: its inputs, the action and why.

    One block per domain: the inputs and the action (a coloured badge with its name) on the
    first row, the reason (and any missing evidence, with the command that produces it) on a
    full-width second row. The table sorts by any column and filters by text. Past
    :data:`VERDICT_ROWS` domains, the domains of one farm that share an action are one row.
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
        return _section(
            "verdicts", intro + '<p class="fa-note">No federated domain in the evidence.</p>', "no verdicts"
        )
    # one urgency order for the table, the summary and the timeline (fedaudit.engine.verdict.urgency_key)
    frame = frame.iloc[urgency_order(frame)].reset_index(drop=True)
    frame["_rank"] = [-ACTION_RANK.get(str(a), 0) for a in frame["action"].astype("string").fillna("")]
    frame["_pos"] = range(len(frame))
    summarised = None
    if len(frame) > VERDICT_ROWS:
        # many domains: the domains of one farm that share an action become one row (with the
        # fewest days left, one reason as an example and every name); lone ones keep their block
        key = frame["farm"].astype("string").fillna("(no farm)") + "\x00" + frame["action"].astype("string").fillna("")
        sizes = key.map(key.value_counts())
        summarised, frame = frame[sizes > 1], frame[sizes <= 1]
    head = "".join(f'<th scope="col">{_e(title)}</th>' for _, title in _VERDICT_COLUMNS)
    blocks = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<td data-label="{_e(title)}"'
            + (f' data-sort="{-float(row["_rank"]):g}"' if c == "action" else "")
            + f">{_badge(row[c]) if c == 'action' else _e(_verdict_cell(c, row[c]))}</td>"
            for c, title in _VERDICT_COLUMNS
        )
        why = f"<strong>Why:</strong> {_e(row['reason'])}" if not _na(row["reason"]) else ""
        if "missing" in frame.columns and not _na(row["missing"]):
            why += f"<br><strong>Missing evidence:</strong> {_e(row['missing'])}"
        blocks.append(
            f'<tbody class="fa-verdict fa-action-{_e(row["action"])}"><tr>{cells}</tr>'
            f'<tr><td class="fa-why" colspan="{len(_VERDICT_COLUMNS)}">{why}</td></tr></tbody>'
        )
    table_html = (
        (
            '<div class="fa-table"><table class="fa-data fa-verdicts fa-sort">'
            f"<thead><tr>{head}</tr></thead>{''.join(blocks)}</table></div>"
        )
        if blocks
        else ""
    )
    if summarised is not None and len(summarised):
        per_group = []
        groups = summarised.groupby(
            [summarised["farm"].astype("string").fillna("(no farm)"), summarised["action"].astype("string")],
            sort=False,
        )
        # groups in the urgency order of their most urgent domain
        for (farm, action), group in sorted(groups, key=lambda g: int(g[1]["_pos"].min())):
            rank = int(group["_rank"].iloc[0])
            days = group["days_left"].astype("Float64").dropna()
            names = ", ".join(str(d) for d in group["domain"])
            example = group.iloc[0]
            reason = "" if _na(example["reason"]) else str(example["reason"])
            missing = "" if "missing" not in group.columns or _na(example["missing"]) else str(example["missing"])
            per_group.append(
                f'<tr><td data-label="action" data-sort="{-float(rank):g}">{_badge(action)}</td>'
                f'<td data-label="farm">{_e(farm)}</td><td data-label="domains">{len(group)}</td>'
                f'<td data-label="fewest days left">{_e(days_left_text(days.min() if len(days) else None))}</td>'
                f'<td data-label="why (first domain)">{_e(reason)}'
                + (f"<br><strong>Missing evidence:</strong> {_e(missing)}" if missing else "")
                + f'<details><summary>the {len(group)} domains</summary><p class="fa-names">{_e(names)}</p></details></td></tr>'
            )
        table_html = (
            f"<h3>{len(summarised)} domains in {len(per_group)} groups: one farm, one action</h3>"
            '<div class="fa-table"><table class="fa-data fa-sort fa-vgroups"><thead><tr><th>action</th><th>farm</th>'
            f"<th>domains</th><th>fewest days left</th><th>why (first domain of the group)</th></tr></thead>"
            f"<tbody>{''.join(per_group)}</tbody></table></div>"
            + (f"<h3>Other domains ({len(frame)})</h3>" if blocks else "")
            + table_html
        )
    total = len(frame) + (0 if summarised is None else len(summarised))
    return _section("verdicts", intro + table_html, f"{total} verdict(s)")


#: The focused timeline: days before and after the as-of date.
FOCUS_DAYS = (30, 120)


def timeline(ctx: ReportContext, *, max_rows: int = 40) -> Fragment:
    """Three figures, the decisive one first: the weeks around the as-of date (as-of − 30 to
    + 120 days, the 35- and 15-day marks and the projected rollover events labelled with
    their dates), the full validity of every certificate, and the days left per domain.
    Each shows the ``max_rows`` most urgent rows and says how many it leaves out."""

    poll = f"{float(ctx.thresholds.get('expiry_warning_days', 35)):g}"
    urgent = f"{float(ctx.thresholds.get('expiry_urgent_days', 15)):g}"
    before, after = FOCUS_DAYS
    focus = figure(
        timeline_figure(ctx.result, max_rows=max_rows, window=FOCUS_DAYS),
        alt=f"Token-signing certificates from {before} days before to {after} days after the as-of date, with the "
        f"{poll}- and {urgent}-day marks before each primary's expiry and the projected rollover events, dated.",
        caption=f"The weeks that decide a renewal: as of {ctx.as_of:%Y-%m-%d} \u2212 {before} to + {after} days. "
        f"Shaded from the labelled mark: the {poll} days before the primary's expiry (Entra ID polls the metadata) "
        f"and the last {urgent} (renew now). Markers: projected AD FS generation and promotion and Entra's first poll.",
    ).html
    overview = figure(
        timeline_figure(ctx.result, max_rows=max_rows),
        alt="Timeline of token-signing certificates per farm and domain over their whole validity, coloured by source.",
        caption="Every token-signing certificate from not-before to not-after, most urgent first. "
        "The certificate appendix lists every certificate.",
    ).html
    days = figure(
        days_to_expiry_figure(ctx.result, max_rows=max_rows),
        alt="Days left per federated domain on the certificate Entra ID relies on, banded at the polling and urgency marks.",
        caption=f"Days left per federated domain; the bands are the {poll}- and {urgent}-day marks.",
    ).html
    return _section("timeline", focus + overview + days)


_MATRIX_CLASS = {"P": "fa-m-p", "S": "fa-m-s", "?": "fa-m-x", "": "fa-m-none"}
#: cell state -> (class, symbol, words for the tooltip and screen readers)
_CELL_STATE = {
    "ok": ("fa-c-ok", "\u2713", "agrees"),
    "mismatch": ("fa-c-bad", "\u2717", "mismatch"),
    "none": ("fa-c-none", "\u2205", "holds none"),
    "gap": ("fa-c-gap", "", "not in the evidence"),
}


def matrix_table(result: ResultLike, *, max_rows: int = 40, domains: Iterable[str] | str | None = None) -> str:
    """The mismatch matrix (:func:`fedaudit.reporting.plots.mismatch_rows`) as an HTML table: text a
    reader can copy and a screen reader can read, the full thumbprints in each cell's tooltip.
    A cell is marked by colour and by symbol: \u2713 agrees, \u2717 mismatch, \u2205 the
    evidence holds none (Entra has no next certificate), \u2014 not in the evidence."""

    rows = mismatch_rows(result, domains=domains)
    if not rows:
        return '<p class="fa-note">No federated domain with a verdict.</p>'
    shown = rows[:max_rows]
    head = '<th scope="col">domain (farm)</th>' + "".join(f'<th scope="col">{_e(v)}</th>' for v in MATRIX_VIEWS)
    body = []
    for row in shown:
        who = row.domain if not row.farm else f"{row.domain} ({row.farm})"
        cells = []
        states = row.states or ("ok",) * len(row.texts)
        for view, code, text, tps, state in zip(MATRIX_VIEWS, row.cell_codes, row.texts, row.thumbprints, states):
            klass, symbol, words = _CELL_STATE.get(state, _CELL_STATE["ok"])
            if state == "gap":
                title, shown_text = "not in the evidence", "\u2014"
            elif not tps:
                title, shown_text = f"{view}: the evidence holds none", f"{symbol} none"
            else:
                title, shown_text = f"{words}: " + ", ".join(tps), f"{symbol} {text}"
            cells.append(
                f'<td class="{klass} {_MATRIX_CLASS[code]}" data-label="{_e(view)}" title="{_e(title)}">{_e(shown_text)}</td>'
            )
        body.append(f'<tr class="fa-m-row-{row.state}"><th scope="row">{_e(who)}</th>{"".join(cells)}</tr>')
    legend = (
        '<p class="fa-note"><span class="fa-c-ok fa-key">\u2713</span> agrees '
        '<span class="fa-c-bad fa-key">\u2717</span> mismatch '
        '<span class="fa-c-none fa-key">\u2205</span> the export is there and holds none '
        '<span class="fa-c-gap fa-key">\u2014</span> not in the evidence. Then the code: P the AD FS primary, '
        "S the AD FS secondary, ? a certificate AD FS does not hold, and the first four hex digits of the "
        "thumbprint (hover for all of it; the certificate appendix lists each whole).</p>"
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
                f'<tr><td>{_e(item.get("fact", ""))}</td><td class="mono">{_e(_plain(item.get("value")))}</td>'
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


#: Findings of one check on one farm are shown as one block from this many on: the same fix is
#: written once per farm (a farm with hundreds of domains would otherwise repeat the same title
#: and remedy hundreds of times).
GROUP_FROM = 2
#: Rows of a grouped finding shown before the rest fold away (on paper every row prints).
GROUP_ROWS = 20
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
    row_list = [
        f"<tr><td>{_e(_plain(r['domain']))}</td><td>{_e(r['title'])}"
        + ("" if _na(r["detail"]) else f'<br><span class="fa-note">{_e(r["detail"])}</span>')
        + f"</td><td>{_e(_evidence_inline(r['evidence'], path))}</td></tr>"
        for _, r in group.iterrows()
    ]
    head = "<thead><tr><th>domain</th><th>finding</th><th>evidence</th></tr></thead>"
    rows = "".join(row_list[:GROUP_ROWS])
    rest = (
        f"<details><summary>{len(row_list) - GROUP_ROWS} more domains</summary>"
        f'<div class="fa-table"><table class="fa-data">{head}<tbody>{"".join(row_list[GROUP_ROWS:])}</tbody></table></div></details>'
        if len(row_list) > GROUP_ROWS
        else ""
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
        f'<div class="fa-table"><table class="fa-data">{head}<tbody>{rows}</tbody></table></div>{rest}{remedy}</article>'
    )


def findings(ctx: ReportContext) -> Fragment:
    """Every finding, most severe first: what, where, the evidence used and the exact remedy.

    A sortable, filterable index comes first; findings of one check on one farm share one block
    (from :data:`GROUP_FROM` on); info observations collapse into one compact table."""
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
    info = keyed[keyed["severity"].astype("string") == "info"]
    main = keyed[keyed["severity"].astype("string") != "info"]
    parts = []
    index_rows = []
    for n, (_, group) in enumerate(main.groupby(["_rank", "_id", "_farm", "_exc"], sort=True)):
        anchor = f"finding-{n + 1}"
        article = _grouped_article(group, ctx.path) if len(group) >= GROUP_FROM else _finding_articles(group, ctx.path)
        parts.append(article.replace("<article ", f'<article id="{anchor}" ', 1))
        first = group.iloc[0]
        where = ", ".join(sorted({str(d) for d in group["domain"].dropna()})[:3])
        if group["domain"].notna().sum() > 3:
            where += f" and {int(group['domain'].notna().sum()) - 3} more"
        index_rows.append(
            f'<tr><td data-label="severity" data-sort="{int(first["_rank"])}">{_sev(first["severity"])}</td>'
            f'<td data-label="check"><a href="#{anchor}">{_e(first["id"])}</a></td>'
            f'<td data-label="farm">{_e(first["_farm"] or _DASH)}</td><td data-label="domains">{_e(where or _DASH)}</td>'
            f'<td data-label="findings">{len(group)}</td>'
            f'<td data-label="status">{"excepted" if bool(first["_exc"]) else "open"}</td></tr>'
        )
    counts = ctx.counts()
    intro = "<p>" + ", ".join(f"{counts[s]} {s}" for s in SEVERITIES) + " open"
    intro += f"; {counts['excepted']} excepted (accepted risks, shown dashed)" if counts["excepted"] else ""
    intro += ".</p>"
    index = (
        '<div class="fa-table fa-screen"><table class="fa-data fa-sort fa-findex"><thead><tr><th>severity</th><th>check</th>'
        f"<th>farm</th><th>domains</th><th>findings</th><th>status</th></tr></thead><tbody>{''.join(index_rows)}</tbody></table></div>"
        if index_rows
        else ""
    )
    info_html = ""
    if len(info):
        compact = info.assign(
            where=[
                ", ".join(str(v) for v in (f, d) if not _na(v)) or "estate"
                for f, d in zip(info["farm"], info["domain"])
            ]
        )
        info_table = table(
            compact,
            {"id": "check", "where": "farm / domain", "title": "observation", "detail": "detail"},
            sortable=True,
            cards=False,
        )
        info_html = (
            f'<details class="fa-info"><summary>{_plural(len(info), "info observation")} '
            "(not failures: projected dates, pairs waiting for promotion, notes on the evidence)</summary>"
            f"{info_table}</details>"
            f'<div class="fa-print"><h3>Info observations ({len(info)})</h3>{info_table}</div>'
        )
    return _section("findings", intro + index + "".join(parts) + info_html, f"{len(frame)} finding(s)")


def _families(checks: Any) -> str:
    """ "27 checks: rollover (6), sync (3) ..." for a comma-separated list of check ids."""
    ids = [c.strip() for c in str(checks).split(",") if c.strip()]
    families: dict[str, int] = {}
    for cid in ids:
        fam = cid.split(".", 1)[0]
        families[fam] = families.get(fam, 0) + 1
    if len(ids) <= 3:
        return ", ".join(ids)
    return f"{len(ids)} checks: " + ", ".join(f"{f} ({n})" for f, n in families.items())


def assurance(ctx: ReportContext) -> Fragment:
    """Positive assurance: every check on every farm or domain it applies to, and each
    declared NIST SP 800-53 r5 / ISO/IEC 27001:2022 control with the status of its checks."""
    performed, controls = ctx.assurance()
    if not len(performed):
        return _section("assurance", '<p class="fa-note">No check was run.</p>')
    rows = []
    for cid, group in performed.groupby("check", sort=False):
        tally = group["status"].astype("string").value_counts()
        first = group.iloc[0]
        unit = str(first["unit"])

        def named(status: str, group: pd.DataFrame = group) -> str:
            sel = group[group["status"] == status]
            names = [
                str(d if not _na(d) else f if not _na(f) else "estate") for f, d in zip(sel["farm"], sel["domain"])
            ]
            text = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            if status == "not evaluated":
                missing = sorted({str(m) for m in sel["missing"].dropna()})
                text += ": missing " + "; ".join(missing) if missing else ""
            return text

        detail = "; ".join(
            f"{st} \u2014 {named(st)}" for st in ("fail", "excepted", "not evaluated") if tally.get(st, 0)
        )
        cells = "".join(
            f'<td data-label="{st}" class="fa-st-{st.replace(" ", "-")}{" fa-zero" if not tally.get(st, 0) else ""}">'
            f"{int(tally.get(st, 0))}</td>"
            for st in ("pass", "fail", "excepted", "not applicable", "not evaluated")
        )
        worst = next(
            (st for st in ("fail", "excepted", "not evaluated", "pass", "not applicable") if tally.get(st, 0)), "pass"
        )
        rows.append(
            f'<tr><td data-label="check"><span class="fa-stbadge fa-st-{worst.replace(" ", "-")}">{_e(worst)}</span> '
            f'<code>{_e(cid)}</code> <span class="fa-note">per {_e(unit)}</span><br>'
            f'<span class="fa-note">{_e(first["title"])}</span></td>{cells}<td data-label="where">{_e(detail or _DASH)}</td></tr>'
        )
    statuses = "".join(f"<th>{_e(st)}</th>" for st in ("pass", "fail", "excepted", "not applicable", "not evaluated"))
    performed_html = (
        "<p>Every check, judged per farm, per federated domain or for the whole estate: <em>pass</em> (the evidence "
        "it needs was there and nothing was found), <em>fail</em> (an open finding at warning or above), "
        "<em>excepted</em> (only accepted exceptions), <em>not applicable</em>, and <em>not evaluated</em> "
        "(evidence it needs is missing, named in the last column). Counts are farms, domains or the estate; "
        "<code>assurance.json</code> holds every cell.</p>"
        '<div class="fa-table"><table class="fa-data fa-sort fa-assure"><thead><tr><th>check</th>'
        f"{statuses}<th>where it failed or could not be judged</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
    ctl_rows = "".join(
        f'<tr><td data-label="framework">{_e(r["framework"])}</td><td data-label="control"><strong>{_e(r["control"])}</strong></td>'
        f'<td data-label="status"><span class="fa-stbadge fa-st-{_e(str(r["status"]).replace(" ", "-"))}">{_e(r["status"])}</span></td>'
        f'<td data-label="cells">{int(r["pass"])} pass, {int(r["fail"])} fail, {int(r["excepted"])} excepted, '
        f'{int(r["not evaluated"])} not evaluated</td><td data-label="checks" class="fa-small">{_e(_families(r["checks"]))}</td></tr>'
        for _, r in controls.iterrows()
    )
    controls_html = (
        "<h3>Controls</h3><p>Each control the checks declare support for, and the combined result of those checks: "
        "<em>partial</em> means every evaluated cell passed but some could not be evaluated. Supporting a control "
        "is evidence towards it, not a certification.</p>"
        '<div class="fa-table"><table class="fa-data fa-sort"><thead><tr><th>framework</th><th>control</th><th>status</th>'
        f"<th>cells</th><th>checks</th></tr></thead><tbody>{ctl_rows}</tbody></table></div>"
    )
    return _section("assurance", performed_html + controls_html, f"{len(performed)} check cells")


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
    """The rules applied, as one compact table: as-of, runbook, decision table, thresholds,
    checks (by family) and controls. ``fedaudit checks`` and docs/checks.md describe each check."""

    families: dict[str, list[str]] = {}
    for c in REGISTRY:
        families.setdefault(c.id.split(".", 1)[0], []).append(c.id.split(".", 1)[-1])
    controls = sorted({ctl for c in REGISTRY for ctl in c.controls})
    decision = "; ".join(
        f"rollover {r[0]}, in sync {r[1]}, metadata public {r[2]}, validity {r[3]} \u2192 {r[4]}"
        for r in _DECISION_TABLE
    )
    rows = [
        ("As of", f"{ctx.as_of:%Y-%m-%d %H:%M} UTC; no check reads the clock."),
        (
            "Rules",
            "Microsoft's runbook \u201cRenew federation certificates for Microsoft 365 and Microsoft Entra ID\u201d.",
        ),
        ("Decision table (Step 3)", decision + "."),
        (
            "Other actions",
            "update-entra, plan-renewal, fix-metadata, enable-rollover and insufficient-evidence for the cases the table "
            "leaves open; a critical or high finding raises the domain's action.",
        ),
        (
            "Polling",
            "\u201c35 days before the expiration of the token signing certificates, Microsoft Entra ID checks if new "
            "certificates are available by polling the federation metadata.\u201d",
        ),
        ("Thresholds", ", ".join(f"{k} = {v}" for k, v in ctx.thresholds.items())),
        (f"Checks ({len(REGISTRY)})", "; ".join(f"{fam}: {', '.join(ids)}" for fam, ids in families.items())),
        ("Controls supported", "; ".join(controls) or "none declared"),
        (
            "Gate",
            f"--fail-on {ctx.fail_on}: exit code 1 when an open finding is at or above it; accepted exceptions do not count.",
        ),
    ]
    body = "".join(f'<tr><th scope="row">{_e(k)}</th><td>{_e(v)}</td></tr>' for k, v in rows)
    return _section(
        "methodology",
        f'<div class="fa-table"><table class="fa-data fa-method"><tbody>{body}</tbody></table></div>'
        '<p class="fa-note"><code>fedaudit checks</code> describes every check; the checks-performed table above '
        "shows each one's result.</p>",
    )


#: Past this many distinct certificates the appendix lists them in one folded block per farm.
CERT_ROWS = 200


def certificates(ctx: ReportContext) -> Fragment:
    """Every certificate in the evidence, once per certificate (by thumbprint), grouped by
    farm: its dates, key and signature, and every place it was seen."""
    certs = ctx.evidence.certificates
    if not len(certs):
        return _section("certificates", '<p class="fa-note">No certificate in the evidence.</p>')
    groups: dict[str, dict[str, Any]] = {}
    lines = certs["line"].tolist() if "line" in certs.columns else [pd.NA] * len(certs)
    for row, line in zip(certs.itertuples(index=False), lines):
        tp = str(row.thumbprint)
        entry = groups.get(tp)
        if entry is None:
            entry = groups[tp] = {
                "row": row,
                "farms": set(),
                "seen": {},
                "origins": [],
            }
        if not _na(row.farm):
            entry["farms"].add(str(row.farm))
        where = SOURCE_WORDS.get(str(row.source), str(row.source))
        if not _na(row.slot):
            where += f" {row.slot}"
        if not _na(row.role) and str(row.role) != "token-signing":
            where += f" ({row.role})"
        entry["seen"].setdefault(where, set()).add(str(row.domain) if not _na(row.domain) else "")
        if not _na(row.origin) and len(entry["origins"]) < 6:
            text = ctx.path(row.origin) + ("" if _na(line) else f":{int(line)}")
            if text not in entry["origins"]:
                entry["origins"].append(text)
    by_farm: dict[str, list[dict[str, Any]]] = {}
    for entry in groups.values():
        farm = ", ".join(sorted(entry["farms"])) or "(no farm)"
        by_farm.setdefault(farm, []).append(entry)
    parts = []
    for farm in sorted(by_farm):
        items = sorted(
            by_farm[farm],
            key=lambda e: (
                pd.Timestamp(e["row"].not_after) if not _na(e["row"].not_after) else pd.Timestamp.max.tz_localize("UTC")
            ),
        )
        cards = []
        for entry in items:
            r = entry["row"]
            seen = []
            for where, domains in entry["seen"].items():
                named = sorted(d for d in domains if d)
                if not named:
                    seen.append(where)
                elif len(named) <= 3:
                    seen.append(f"{where} of {', '.join(named)}")
                else:
                    seen.append(f"{where} of {len(named)} domains")
            key = "" if _na(r.key_type) else f"{r.key_type} {'' if _na(r.key_size) else int(r.key_size)}".strip()
            facts = [
                ("subject", r.subject),
                ("issuer", r.issuer),
                ("not before", _fmt_time(r.not_before)),
                ("not after", _fmt_time(r.not_after)),
                ("key", key),
                ("signature", r.signature_hash),
                ("seen as", "; ".join(seen)),
                ("origin", "; ".join(entry["origins"])),
            ]
            cards.append(
                f'<div class="fa-cert"><p class="fa-tp"><span class="fa-note">thumbprint</span> <code>{_e(r.thumbprint)}</code>'
                + ("" if _na(r.sha256) else f'<br><span class="fa-note">SHA-256</span> <code>{_e(r.sha256)}</code>')
                + f"</p>{_dl(facts)}</div>"
            )
        parts.append(f"<h3>{_e(farm)} ({len(items)})</h3>" + "".join(cards))
    body = (
        f"<p>{len(groups)} certificate(s) in {len(certs)} observation(s), once per certificate, by farm, "
        "soonest expiry first.</p>"
    )
    if len(groups) > CERT_ROWS:
        body += "".join(f"<details><summary>{p[4 : p.index('</h3>')]}</summary>{p}</details>" for p in parts)
    else:
        body += "".join(parts)
    return _section("certificates", body)


SOURCE_WORDS = {"adfs": "AD FS", "entra": "Entra ID", "metadata": "metadata", "file": "certificate file"}


def manifest(ctx: ReportContext) -> Fragment:
    """Chain of custody: who collected the evidence (collector manifests, with each file's
    hash checked), each metadata fetch, every input with its SHA-256, and who rendered this
    report, where, with which command line."""
    run = ctx.run
    command = run.get("command_line")
    report_facts = [
        ("fedaudit", run.get("fedaudit") or __version__),
        ("Python", run.get("python")),
        ("Rendered by", run.get("user")),
        ("Host", run.get("host")),
        ("Platform", run.get("platform")),
        ("Command line", " ".join(_shell_quote(a) for a in command) if command else None),
        ("As of", f"{ctx.as_of:%Y-%m-%d %H:%M} UTC"),
        ("Started", f"{ctx.generated_at:%Y-%m-%d %H:%M:%S} UTC" if ctx.generated_at else None),
        ("Input roots", "; ".join(ctx.path(r) for r in ctx.roots) if ctx.roots else None),
    ]
    parts = [
        "<p>Paths are shown relative to the input folders given. <code>manifest.json</code> beside this file repeats "
        "these facts with the run's start and end and the SHA-256 of every file the run wrote; "
        "<code>fedaudit verify</code> checks them.</p>",
        "<h3>This report</h3>",
        _dl(report_facts),
    ]
    parts.append(f"<h3>Evidence collection ({len(ctx.collectors)} collector manifest(s))</h3>")
    if not ctx.collectors:
        parts.append(
            '<p class="fa-note">No collector manifest in the inputs: who collected the exports, where and when '
            "is not recorded (collect/Collect-FedauditEvidence.ps1 writes one).</p>"
        )
    for c in ctx.collectors:
        facts = [
            ("manifest", c.get("manifest")),
            ("computer", c.get("computer")),
            ("user", c.get("user")),
            ("started", c.get("started")),
            ("finished", c.get("finished")),
            ("PowerShell", " ".join(v for v in (c.get("edition"), c.get("powershell")) if v) or None),
            ("collector version", c.get("collector_version")),
            ("tool", _tool_line(c)),
            ("msal", c.get("msal")),
            ("tenant", c.get("tenant_id")),
            ("app (client id)", c.get("client_id")),
            ("signed in with", c.get("credential")),
            ("collected", c.get("collected")),
            ("problem", c.get("error")),
        ]
        files = pd.DataFrame(c.get("files") or [])
        if len(files):
            files["match"] = [
                "yes" if m is True else "NO: changed after collection" if m is False else "not among the inputs"
                for m in files["match"]
            ]
        parts.append(
            '<div class="fa-custody">'
            + _dl(facts)
            + table(
                files,
                {"name": "file", "command": "command", "match": "hash matches", "sha256": "SHA-256 (manifest)"},
                mono=("sha256",),
                cards=True,
                empty="The manifest lists no file.",
            )
            + "</div>"
        )
    meta = ctx.evidence.metadata
    parts.append(f"<h3>Metadata documents ({len(meta)})</h3>")
    if len(meta):
        fetches = pd.DataFrame(
            {
                "url": meta["url"],
                "file": [ctx.path(o) if not _na(o) else o for o in meta["origin"]],
                "fetched": meta["fetched_at"],
                "http": meta["http_status"],
                "tls": [_yes_no(v) for v in meta["tls_verified"]],
                "server": [ctx.servers.get(str(o), pd.NA) for o in meta["origin"]],
                "sha256": meta["sha256"],
                "error": meta["error"],
            }
        )
        parts.append(
            table(
                fetches,
                {
                    "url": "URL",
                    "file": "file",
                    "fetched": "fetched",
                    "http": "HTTP",
                    "tls": "TLS verified",
                    "server": "server certificate",
                    "sha256": "SHA-256",
                    "error": "error",
                },
                mono=("sha256",),
                cards=True,
            )
        )
    else:
        parts.append('<p class="fa-note">No metadata document.</p>')
    inputs = ctx.evidence.inputs
    parts.append(f"<h3>Input files ({len(inputs)})</h3>")
    rows = "".join(
        f'<tr><td data-label="file">{_e(ctx.path(i.path))}<br><span class="fa-note">{_e(i.kind)} \u00b7 {int(i.size):,} bytes'
        f" \u00b7 captured {_e(_captured(i))}</span>"
        f'<br><code class="fa-hash">{_e(i.sha256)}</code></td></tr>'
        for i in inputs
    )
    parts.append(
        f'<div class="fa-table"><table class="fa-data fa-inputs"><thead><tr><th>file, kind, size and SHA-256</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
        if inputs
        else '<p class="fa-note">No input file.</p>'
    )
    params = pd.DataFrame(
        {
            "parameter": list(ctx.parameters),
            "value": [json.dumps(v, ensure_ascii=False, default=str) for v in ctx.parameters.values()],
        }
    )
    parts.append("<h3>Parameters</h3>" + table(params))
    return _section("manifest", "".join(parts))


def _captured(item: Any) -> str:
    """When and from what an input was captured (the loader's ``captured_at``/``captured_from``)."""
    when = getattr(item, "captured_at", None)
    if not when:
        return "unknown"
    source = getattr(item, "captured_from", None)
    return f"{when:%Y-%m-%d %H:%M} UTC" + (f" ({source})" if source else "")


def _tool_line(collector: Mapping[str, Any]) -> str | None:
    """``fedaudit collect entra (Python 3.11.7)`` for a manifest that names its tool."""
    tool = collector.get("tool")
    if not tool:
        return None
    python = collector.get("python")
    return f"{tool} (Python {python})" if python else str(tool)


def _shell_quote(arg: str) -> str:
    import shlex

    return shlex.quote(str(arg))


_CERT_COLUMNS = {
    "source": "source",
    "farm": "farm",
    "domain": "domain",
    "role": "role",
    "slot": "slot",
    "not_after": "not after",
    "thumbprint": "thumbprint",
    "subject": "subject",
    "not_before": "not before",
    "origin": "origin",
}


def domain_detail(result: AuditResult, domain: str | None = None) -> Fragment:
    """One federated domain up close (the most urgent one when ``domain`` is None): its
    verdict, findings (with those of its farm), certificates and timeline."""

    verdicts_ = result.verdicts
    if not len(verdicts_):
        return Fragment('<p class="fa-note">No federated domain in the evidence.</p>', "no domains")
    if domain is None:
        order = urgency_order(verdicts_)
        named = [i for i in order if not _na(verdicts_["domain"].iloc[i])]
        domain = str(verdicts_["domain"].iloc[(named or order)[0]])
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
        + table(certs[in_scope], _CERT_COLUMNS, mono=("thumbprint",))
    )
    return Fragment(body, f"{domain}: {verdict['action']}")
