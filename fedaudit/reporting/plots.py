"""Figures of an audit: certificate timeline, thumbprint mismatch matrix, days to expiry.

Each function takes an :class:`~fedaudit.engine.core.AuditResult` (or a mapping of its frames, see
:func:`frames_of`) and returns a :class:`matplotlib.figure.Figure` drawn with the object API on
the Agg canvas: no pyplot, no global state, nothing shown. matplotlib is imported on first use, so
``import fedaudit`` stays free of it.

Every figure stays legible from one domain to thousands: rows are ordered most urgent first and
capped at ``max_rows`` (the timeline pages through the rest with ``page``); what is left out is
summarised in a footer line. Colours come from the Okabe-Ito palette (safe for colour-blind
readers) and every colour is doubled by a hatch, a letter or a printed number, so the figures
also read in greyscale. Text that comes from the data (domain and farm names) is drawn with
``parse_math=False``: a ``$`` in a name is a character, not mathtext.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from fedaudit.engine.core import AuditResult
from fedaudit.engine.verdict import urgency_order
from fedaudit.errors import UsageError
from fedaudit.frames import empty_frame

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "MATRIX_STATES",
    "MATRIX_VIEWS",
    "MatrixRow",
    "days_to_expiry_figure",
    "figure_png",
    "frames_of",
    "matrix_note",
    "mismatch_matrix_figure",
    "mismatch_rows",
    "timeline_figure",
]

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Each use is paired with a hatch or printed text for greyscale prints.
BLUE = "#0072B2"
SKY = "#56B4E9"
ORANGE = "#E69F00"
GREEN = "#009E73"
YELLOW = "#F0E442"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#999999"

SOURCE_STYLE = {  # source -> (label, colour, hatch)
    "adfs": ("AD FS", BLUE, ""),
    "entra": ("Entra ID", ORANGE, "///"),
    "metadata": ("metadata", GREEN, "..."),
    "file": ("file", GREY, "xx"),
}
SLOT_LABEL = {"primary": "primary", "secondary": "secondary", "current": "current", "next": "next"}

#: Runbook "Certificate renewal ...", Step 3 and "AD FS and Microsoft Entra certificate update
#: steps": Entra starts polling metadata 35 days before expiry; the decision table says renew
#: immediately below 15 days.
ENTRA_POLL_DAYS = 35
URGENT_DAYS = 15


LABEL_CHARS = 44
ROW_INCHES = 0.26
WIDTH_INCHES = 10.0


# --------------------------------------------------------------------------- inputs

#: What every figure takes: an audit's result, or a mapping of its frames (see :func:`frames_of`).
ResultLike = AuditResult | Mapping[str, Any]


def frames_of(result: ResultLike) -> dict[str, Any]:
    """The frames, ``as_of`` and windows the figures need, from an AuditResult or a mapping.

    A mapping may hold ``certificates``, ``verdicts``, ``timeline`` (frames per
    :data:`fedaudit.frames.SCHEMAS`), ``as_of`` (a tz-aware datetime) and ``thresholds``;
    missing frames are empty. ``poll_days``/``urgent_days`` come from the thresholds
    (``expiry_warning_days``/``expiry_urgent_days``), else the runbook's 35 and 15.
    """
    if isinstance(result, Mapping):
        get = result.get
        out = {name: get(name) for name in ("certificates", "verdicts", "timeline")}
        out["domains"], out["metadata"] = get("domains"), get("metadata")
        as_of = get("as_of")
        thresholds = get("thresholds")
    else:
        evidence = getattr(result, "evidence", None)
        out = {
            "certificates": getattr(evidence, "certificates", None),
            "verdicts": getattr(result, "verdicts", None),
            "timeline": getattr(result, "timeline", None),
            "domains": getattr(evidence, "domains", None),
            "metadata": getattr(evidence, "metadata", None),
        }
        as_of = getattr(result, "as_of", None)
        thresholds = getattr(result, "thresholds", None)
    for name, frame in out.items():
        if frame is None and name in ("certificates", "verdicts", "timeline"):
            out[name] = empty_frame(name)
    out["as_of"] = pd.Timestamp(as_of) if as_of is not None else None
    get_th = thresholds.get if isinstance(thresholds, Mapping) else lambda k, d: getattr(thresholds, k, d)
    out["poll_days"] = float(get_th("expiry_warning_days", ENTRA_POLL_DAYS))
    out["urgent_days"] = float(get_th("expiry_urgent_days", URGENT_DAYS))
    return out


def _s(value: Any) -> str | None:
    """A frame cell as str, NA as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return str(value)


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _place(fig: Figure, ax: Axes, *, above: float, below: float, legend: Any = None, legend_at: str = "top") -> None:
    """Position the axes from measured sizes, in inches: the widest y tick label on the left,
    ``above``/``below`` plus the legend's height at the top or bottom.

    Not a layout engine: with one, savefig draws the whole figure twice (once to lay it out),
    which is most of the time a figure takes.
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # Agg's canvas has it; the base class does not say so
    width, height = fig.get_size_inches()
    labels = [t for t in ax.get_yticklabels() if t.get_text()]
    label_w = max((t.get_window_extent(renderer).width for t in labels), default=0.0) / fig.dpi
    legend_h = legend.get_window_extent(renderer).height / fig.dpi + 0.08 if legend is not None else 0.0
    top = above + (legend_h if legend_at == "top" else 0.0)
    bottom = below + (legend_h if legend_at == "bottom" else 0.0)
    left = min(label_w + 0.2, 0.45 * width)
    fig.subplots_adjust(left=left / width, right=1 - 0.2 / width, top=1 - top / height, bottom=bottom / height)


def figure_png(fig: Figure, *, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (Agg)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def _footer(fig: Figure, text: str) -> None:
    if text:
        fig.text(
            0.01,
            0.04 / fig.get_figheight(),
            text,
            ha="left",
            va="bottom",
            fontsize=8,
            color="#333333",
            parse_math=False,
        )


def _header(fig: Figure, text: str) -> None:
    fig.text(
        0.01, 1 - 0.06 / fig.get_figheight(), text, ha="left", va="top", fontsize=8, color="#333333", parse_math=False
    )


def _empty(fig: Figure, ax: Axes, message: str) -> Figure:
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, transform=ax.transAxes, parse_math=False)
    return fig


def _domain_rank(verdicts: pd.DataFrame) -> dict[str, int]:
    """domain -> its place in the verdicts' urgency order (the verdict table's order:
    :func:`fedaudit.engine.verdict.urgency_order`), most urgent first."""

    rank: dict[str, int] = {}
    for place, i in enumerate(urgency_order(verdicts)):
        domain = _s(verdicts["domain"].iloc[i])
        if domain is not None and domain not in rank:
            rank[domain] = place
    return rank


def _select(values: Iterable[str] | None) -> set[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        return {values.lower()}
    return {v.lower() for v in values}


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class _Bar:
    farm: str | None
    domain: str | None
    source: str
    slot: str | None
    role: str | None
    thumbprint: str
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def group(self) -> tuple[str, str]:
        return (self.farm or "", self.domain or "")

    @property
    def label(self) -> str:
        owner = self.domain or self.farm or "(unassigned)"
        what = SOURCE_STYLE.get(self.source, (self.source, GREY, ""))[0]
        if self.source == "missing":
            what = "no Entra certificate in evidence"
        elif self.slot:
            what += " " + SLOT_LABEL.get(self.slot, self.slot)
        elif self.source == "metadata":
            what += " signing"
        if self.role == "token-decrypting":
            what += " (decrypting)"
        return f"{_short(owner, max(LABEL_CHARS - len(what) - 3, 24))} \u00b7 {what}"


_SLOT_ORDER = {"primary": 0, "current": 0, "secondary": 1, "next": 1}
_SOURCE_ORDER = {"adfs": 0, "metadata": 1, "entra": 2, "file": 3}


def _timeline_bars(certificates: pd.DataFrame, farms: set[str] | None, domains: set[str] | None) -> list[_Bar]:
    seen: set[tuple[Any, ...]] = set()
    bars: list[_Bar] = []
    for row in certificates.itertuples(index=False):
        role = _s(row.role)
        if role not in (None, "token-signing"):
            continue
        start, end = row.not_before, row.not_after
        if pd.isna(start) or pd.isna(end):
            continue
        farm, domain = _s(row.farm), _s(row.domain)
        if farms is not None and (farm or "").lower() not in farms:
            continue
        if domains is not None and (domain or "").lower() not in domains:
            # farm-level rows (AD FS, metadata) stay when one of the selected domains uses the farm
            if domain is not None or farms is not None:
                continue
        bar = _Bar(farm, domain, str(row.source), _s(row.slot), role, str(row.thumbprint), start, end)
        key = (bar.group, bar.source, bar.slot, bar.thumbprint)
        if key not in seen:
            seen.add(key)
            bars.append(bar)
    return bars


def _order_bars(bars: list[_Bar], verdicts: pd.DataFrame) -> list[_Bar]:
    rank = _domain_rank(verdicts)
    worst_of_farm: dict[str, float] = {}
    for bar in bars:
        if bar.domain and bar.domain in rank:
            current = worst_of_farm.get(bar.farm or "")
            if current is None or rank[bar.domain] < current:
                worst_of_farm[bar.farm or ""] = rank[bar.domain]
    tail = math.inf

    def key(bar: _Bar) -> tuple[Any, ...]:
        farm = bar.farm or ""
        # farm-level bars first in their farm; domains without a verdict after those with one
        domain_key = -math.inf if bar.domain is None else rank.get(bar.domain, tail)
        return (
            worst_of_farm.get(farm, tail),
            farm,
            domain_key,
            bar.domain or "",
            _SOURCE_ORDER.get(bar.source, 9),
            _SLOT_ORDER.get(bar.slot or "", 2),
            bar.start,
        )

    return sorted(bars, key=key)


def _primary_expiry(bars: list[_Bar]) -> dict[tuple[str, str], pd.Timestamp]:
    """group -> not_after of the certificate Entra must hold: the AD FS primary of the farm,
    else the domain's Entra current certificate."""
    farm_primary: dict[str, pd.Timestamp] = {}
    for bar in bars:
        if bar.source == "adfs" and bar.slot == "primary" and bar.farm:
            farm_primary[bar.farm] = min(bar.end, farm_primary.get(bar.farm, bar.end))
    out: dict[tuple[str, str], pd.Timestamp] = {}
    for bar in bars:
        if bar.farm and bar.farm in farm_primary:
            out[bar.group] = farm_primary[bar.farm]
        elif bar.source == "entra" and bar.slot == "current":
            out[bar.group] = min(bar.end, out.get(bar.group, bar.end))
    return out


#: timeline frame events drawn as markers: substring of the event name -> (legend, marker, colour)
_EVENT_MARKERS = (
    ("generat", "AD FS generates the next certificate (projected)", "^", PURPLE),
    ("promot", "AD FS promotes it to primary (projected)", "v", VERMILLION),
    ("poll", "Entra ID first polls metadata", "D", "black"),
)


def _event_style(event: str) -> tuple[str, str, str] | None:
    name = event.lower()
    if "35" in name or "15" in name or "critical" in name:
        return None  # windows are shaded instead
    for needle, legend, marker, colour in _EVENT_MARKERS:
        if needle in name:
            return legend, marker, colour
    return None


def _timeline_rows(data: dict[str, Any], farm_sel: set[str] | None, domain_sel: set[str] | None) -> list[_Bar]:
    """The timeline's rows: one per certificate of the selection, a row saying so for a
    federated domain whose Entra certificates are missing, most urgent domain first."""
    bars = _timeline_bars(data["certificates"], farm_sel, domain_sel)
    if domain_sel is not None:
        keep_farms = {b.farm for b in bars if b.domain is not None}
        bars = [b for b in bars if b.domain is not None or b.farm in keep_farms]
    # a federated domain whose Entra certificates are missing gets a row that says so
    with_entra = {b.domain.lower() for b in bars if b.domain}
    for row in data["verdicts"].itertuples(index=False):
        domain, farm = _s(row.domain), _s(row.farm)
        if domain is None or domain.lower() in with_entra:
            continue
        if (domain_sel is not None and domain.lower() not in domain_sel) or (
            farm_sel is not None and (farm or "").lower() not in farm_sel
        ):
            continue
        bars.append(_Bar(farm, domain, "missing", None, None, "", pd.NaT, pd.NaT))
    return _order_bars(bars, data["verdicts"])


def _x_range(shown: list[_Bar], as_of: Any, window: tuple[float, float] | None) -> tuple[Any, Any, Any]:
    """(centre, left, right) of the x axis: the certificates' span around the as-of date,
    at most two years either side, or ``window`` days before and after it."""
    starts = [b.start for b in shown if b.source != "missing"]
    ends = [b.end for b in shown if b.source != "missing"]
    centre = as_of if as_of is not None else min(starts, default=pd.Timestamp("2000-01-01", tz="UTC"))
    lo, hi = min(starts, default=centre), max(ends, default=centre)
    lo = max(lo, centre - pd.Timedelta(days=730))
    hi = min(hi, centre + pd.Timedelta(days=730))
    lo = min(lo, centre - pd.Timedelta(days=30))
    hi = max(hi, centre + pd.Timedelta(days=60))
    pad = (hi - lo) * 0.03
    lo, hi = lo - pad, hi + pad
    if window is not None:
        lo, hi = centre - pd.Timedelta(days=window[0]), centre + pd.Timedelta(days=window[1])
    return centre, lo, hi


def _draw_windows(
    ax: Axes,
    shown: list[_Bar],
    bars: list[_Bar],
    data: dict[str, Any],
    lo: Any,
    hi: Any,
    window: tuple[float, float] | None,
) -> None:
    """Shade each group's polling and urgency windows before its primary's expiry (behind the
    bars); in a focused window, label where each starts."""
    import matplotlib.dates as mdates
    from matplotlib.collections import PolyCollection

    x = mdates.date2num
    expiry = _primary_expiry(bars)
    y_of_group: dict[tuple[str, str], list[int]] = {}
    for y, bar in enumerate(shown):
        y_of_group.setdefault(bar.group, []).append(y)
    # one collection per colour and one barh per source: far fewer artists to draw
    windows: dict[str, list[list[tuple[float, float]]]] = {YELLOW: [], VERMILLION: []}
    for group, ys in y_of_group.items():
        end = expiry.get(group)
        if end is None:
            continue
        y0, y1 = min(ys) - 0.45, max(ys) + 0.45
        for days, colour in ((data["poll_days"], YELLOW), (data["urgent_days"], VERMILLION)):
            start = end - pd.Timedelta(days=days)
            x0, x1 = x(start), x(end)
            windows[colour].append([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
            if window is not None and lo <= start <= hi:
                near_end = start > hi - (hi - lo) * 0.1
                ax.annotate(
                    f"{days:g} d: {start:%m-%d}",
                    xy=(x0, y0),
                    xytext=(-1 if near_end else 1, -0.5),
                    textcoords="offset points",
                    fontsize=6,
                    ha="right" if near_end else "left",
                    va="top",
                    color="#222222",
                    zorder=6,
                    annotation_clip=True,
                    bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
                )
    for colour, verts in windows.items():
        if verts:
            ax.add_collection(PolyCollection(verts, facecolors=colour, alpha=0.28, linewidths=0, zorder=1))


def _draw_bars(ax: Axes, shown: list[_Bar], lo: Any, hi: Any) -> None:
    """Group separators, one bar per certificate (cut bars marked at the edge), and a dashed
    line for a domain whose certificates are missing."""
    import matplotlib.dates as mdates

    x = mdates.date2num
    seps = [y - 0.5 for y in range(1, len(shown)) if shown[y].group != shown[y - 1].group]
    if seps:
        ax.hlines(seps, 0, 1, transform=ax.get_yaxis_transform(), colors="#bbbbbb", linewidth=0.6, zorder=1)

    spans: dict[str, tuple[list[int], list[float], list[float]]] = {}
    cut: dict[tuple[str, str], tuple[list[float], list[int]]] = {}
    missing = [y for y, bar in enumerate(shown) if bar.source == "missing"]
    for y, bar in enumerate(shown):
        if bar.source == "missing":
            continue
        left, right = max(bar.start, lo), min(bar.end, hi)
        if right <= left:
            continue
        ys, lefts, widths = spans.setdefault(bar.source, ([], [], []))
        ys.append(y)
        lefts.append(x(left))
        widths.append(x(right) - x(left))
        for beyond, edge, marker in ((bar.end > hi, hi, ">"), (bar.start < lo, lo, "<")):
            if beyond:
                xs_, ys_ = cut.setdefault((bar.source, marker), ([], []))
                xs_.append(x(edge))
                ys_.append(y)
    for source, (ys, lefts, widths) in spans.items():
        _label, colour, hatch = SOURCE_STYLE.get(source, (source, GREY, "xx"))
        ax.barh(
            ys,
            widths,
            left=lefts,
            height=0.6,
            color=colour,
            hatch=hatch,
            edgecolor="white" if not hatch else "#333333",
            linewidth=0.4,
            zorder=2,
        )
    for (source, marker), (xs_, ys_) in cut.items():
        colour = SOURCE_STYLE.get(source, (source, GREY, ""))[1]
        ax.plot(xs_, ys_, linestyle="", marker=marker, color=colour, markersize=5, zorder=3, clip_on=False)
    if missing:
        ax.hlines(missing, x(lo), x(hi), colors=GREY, linestyles=(0, (2, 3)), linewidth=1, zorder=2)


def _draw_events(
    ax: Axes, shown: list[_Bar], tl: pd.DataFrame, lo: Any, hi: Any, window: tuple[float, float] | None
) -> dict[tuple[str, str, str], tuple[list[float], list[int]]]:
    """Projected rollover events (from the timeline frame) as markers on their rows, labelled
    with their dates in a focused window. Returns them by style, for the legend."""
    import matplotlib.dates as mdates

    x = mdates.date2num
    events: dict[tuple[str, str, str], tuple[list[float], list[int]]] = {}
    row_of: dict[tuple[str, str], int] = {}
    for y, bar in enumerate(shown):
        row_of.setdefault(bar.group, y)
        if bar.source == "adfs" and bar.slot == "primary":
            row_of[(bar.farm or "", "")] = y
        elif bar.source == "entra" and bar.slot == "current":
            row_of[bar.group] = y
    in_view = tl[tl["time"].between(lo, hi)] if len(tl) else tl  # NaT is never between
    for event, time_, farm, domain in zip(
        in_view["event"].tolist(), in_view["time"].tolist(), in_view["farm"].tolist(), in_view["domain"].tolist()
    ):
        style = _event_style(str(event))
        row = row_of.get((_s(farm) or "", _s(domain) or "")) if style else None
        if style is None or row is None:
            continue
        xs_, ys_ = events.setdefault(style, ([], []))
        xs_.append(x(time_))
        ys_.append(row)
    for (_legend, marker, colour), (xs_, ys_) in events.items():
        ax.plot(xs_, ys_, linestyle="", marker=marker, color=colour, markersize=7, markeredgecolor="white", zorder=4)
        if window is not None and marker != "D":  # Entra's first poll is the labelled 35-day mark
            above = marker == "^"  # generation above its marker, promotion below: 5 days apart they do not collide
            for xv, yv in zip(xs_, ys_):
                ax.annotate(
                    f"{mdates.num2date(xv):%m-%d}",
                    xy=(xv, yv),
                    xytext=(0, 4 if above else -4),
                    textcoords="offset points",
                    fontsize=6,
                    ha="center",
                    va="bottom" if above else "top",
                    color=colour,
                    zorder=6,
                )
    return events


def timeline_figure(
    result: ResultLike,
    *,
    max_rows: int = 40,
    page: int = 0,
    farms: Iterable[str] | str | None = None,
    domains: Iterable[str] | str | None = None,
    window: tuple[float, float] | None = None,
) -> Figure:
    """One bar per token-signing certificate (not_before to not_after), grouped by farm and domain.

    Bars are coloured and hatched by source (AD FS, Entra ID, metadata). Before each primary's
    expiry the 35-day Entra polling window and the 15-day urgency window are shaded; the as-of
    date is a vertical line; projected AD FS generation and promotion and Entra's first poll
    (from the timeline frame) are markers. Rows are ordered most urgent domain first; ``page``
    selects which ``max_rows`` rows to draw, and the footer says how many pages there are.
    ``farms``/``domains`` restrict the figure (drilling into one domain keeps its farm's rows).
    ``window`` (days before and after the as-of date, e.g. ``(30, 120)``) focuses the x axis on
    the weeks that decide a renewal: ticks every half month, each polling and urgency window's
    start labelled with its day count and date, and each projected event labelled with its date.
    """
    import matplotlib.dates as mdates
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if max_rows < 1 or page < 0:
        raise UsageError("max_rows must be >= 1 and page >= 0")
    data = frames_of(result)
    farm_sel, domain_sel = _select(farms), _select(domains)
    bars = _timeline_rows(data, farm_sel, domain_sel)
    total = len(bars)
    pages = max(1, math.ceil(total / max_rows))
    shown = bars[page * max_rows : (page + 1) * max_rows]
    rows = max(len(shown), 1)
    fig = _new_figure(WIDTH_INCHES, 1.9 + rows * ROW_INCHES)
    ax = fig.add_subplot()
    if not shown:
        message = "No certificate with validity dates in the evidence." if page == 0 else f"No page {page + 1}."
        return _empty(fig, ax, message)

    as_of = data["as_of"]
    _centre, lo, hi = _x_range(shown, as_of, window)
    x = mdates.date2num

    _draw_windows(ax, shown, bars, data, lo, hi, window)
    _draw_bars(ax, shown, lo, hi)

    events = _draw_events(ax, shown, data["timeline"], lo, hi, window)

    if as_of is not None:
        ax.axvline(x(as_of), color="black", linestyle="--", linewidth=1.1, zorder=5)
        ax.annotate(
            f"as of {as_of:%Y-%m-%d}",
            xy=(x(as_of), 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 2),
            textcoords="offset points",
            fontsize=8,
            ha="left",
            va="bottom",
        )

    ax.set_xlim(x(lo), x(hi))
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_yticks(range(len(shown)), [b.label for b in shown], fontsize=8, parse_math=False)
    locator: Any = mdates.AutoDateLocator(minticks=3, maxticks=8)
    if window is not None:
        locator = mdates.DayLocator(bymonthday=(1, 15))
        ax.xaxis.set_minor_locator(mdates.DayLocator(interval=1))
        ax.tick_params(axis="x", which="minor", length=2)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5, zorder=0)
    ax.set_axisbelow(True)

    handles: list[Any] = []
    for source in ("adfs", "entra", "metadata", "file"):
        if any(b.source == source for b in shown):
            label, colour, hatch = SOURCE_STYLE[source]
            handles.append(Patch(facecolor=colour, hatch=hatch, edgecolor="#333333", label=label))
    handles.append(
        Patch(facecolor=YELLOW, alpha=0.5, label=f"{data['poll_days']:g} days before primary expiry (Entra polls)")
    )
    handles.append(
        Patch(facecolor=VERMILLION, alpha=0.5, label=f"{data['urgent_days']:g} days before primary expiry (renew now)")
    )
    for legend_text, marker, colour in events:
        handles.append(Line2D([], [], linestyle="", marker=marker, color=colour, label=legend_text))
    legend = fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.04 / fig.get_figheight()),
        ncols=3,
        fontsize=7.5,
        frameon=False,
        borderaxespad=0,
    )
    _place(fig, ax, above=0.3, below=0.72, legend=legend)

    first, last = page * max_rows + 1, page * max_rows + len(shown)
    note = f"Rows {first}\u2013{last} of {total}, most urgent first"
    if pages > 1:
        note += f" (page {page + 1} of {pages})"
    _footer(fig, note + ".")
    return fig


# --------------------------------------------------------------------------- mismatch matrix

MATRIX_VIEWS = ("AD FS primary", "AD FS secondary", "Entra current", "Entra next", "metadata signing")
_CODE_STYLE = {  # code -> (face colour, text colour, hatch, legend)
    "P": (BLUE, "white", "", "P = the AD FS primary certificate"),
    "S": (SKY, "black", "", "S = the AD FS secondary certificate"),
    "?": (VERMILLION, "white", "///", "? = a certificate AD FS does not hold"),
    "": ("white", "#555555", "", "\u2014 = not in the evidence"),
}


MATRIX_STATES = ("disagree", "with gaps", "agree")

#: cell state (:attr:`MatrixRow.states`) -> (face colour, text colour, hatch, symbol, legend)
_STATE_STYLE = {
    "ok": ("#d7efdf", "#114d27", "", "\u2713", "\u2713 agrees"),
    "mismatch": (VERMILLION, "white", "///", "\u2717", "\u2717 mismatch"),
    "none": ("white", "#333333", "", "\u2205", "\u2205 the export holds none"),
    "gap": ("#e4e4e4", "#444444", "", "", "\u2014 not in the evidence"),
}


@dataclass(frozen=True)
class MatrixRow:
    """One federated domain of the mismatch matrix. Per view (:data:`MATRIX_VIEWS`): the
    thumbprints seen, their codes (``P`` AD FS primary, ``S`` secondary, ``?`` neither) and the
    cell text; ``state`` indexes :data:`MATRIX_STATES`."""

    domain: str
    farm: str | None
    thumbprints: tuple[tuple[str, ...], ...]
    codes: tuple[tuple[str, ...], ...]
    texts: tuple[str, ...]
    state: int
    #: per view: ``ok``, ``mismatch``, ``none`` (the evidence is there and holds no certificate
    #: for this view) or ``gap`` (that evidence is not in the inputs)
    states: tuple[str, ...] = ()

    @property
    def cell_codes(self) -> tuple[str, ...]:
        """The code a cell is coloured by: ``?`` wins, then ``P``, ``S``; ``""`` for no data."""
        return tuple("?" if "?" in c else (c[0] if c else "") for c in self.codes)


def _matrix_state(codes: list[list[str]]) -> int:
    """0 = disagreement, 1 = gaps in the evidence, 2 = agrees (Entra current holds the primary)."""
    current, nxt, metadata = codes[2], codes[3], codes[4]
    if any("?" in c for c in codes) or (codes[0] and current and "P" not in current):
        return 0
    if not codes[0] or not current or (metadata == [] and codes[0]) or (codes[1] and "S" not in nxt + current):
        return 1
    return 2


def _cell_state(
    view: int, codes: list[str], held: bool, present: bool, primary: bool, secondary: bool, so_far: list[list[str]]
) -> str:
    """``ok``, ``mismatch``, ``none`` or ``gap`` for one matrix cell (views as :data:`MATRIX_VIEWS`).

    Entra's current certificate must be the AD FS primary (runbook Step 2); Entra's next and
    the metadata must hold nothing AD FS does not; the metadata must publish the primary; when
    AD FS has a secondary, Entra must hold it as current or next.
    """
    if not held:
        if not present:
            return "gap"
        if view == 2 or view == 4:
            return "mismatch"  # Entra holds no current certificate / the metadata publishes none
        if view == 3 and secondary and "S" not in so_far[2]:
            return "mismatch"  # AD FS has a next certificate that Entra does not hold
        return "none"
    if "?" in codes:
        return "mismatch"
    if view == 2 and codes != ["P"]:
        return "mismatch"
    if view == 4 and primary and "P" not in codes:
        return "mismatch"
    return "ok"


def mismatch_rows(result: ResultLike, *, domains: Iterable[str] | str | None = None) -> list[MatrixRow]:
    """The mismatch matrix as data, disagreements first (the report draws it as an HTML table)."""
    data = frames_of(result)
    certificates = data["certificates"]
    certs = certificates[certificates["role"].isna() | (certificates["role"] == "token-signing")]
    by_farm: dict[tuple[str, str, str], set[str]] = {}
    by_domain: dict[tuple[str, str], set[str]] = {}
    for row in certs.itertuples(index=False):
        tp = str(row.thumbprint)
        source, slot, farm, domain = str(row.source), _s(row.slot), _s(row.farm), _s(row.domain)
        if source == "adfs" and farm and slot in ("primary", "secondary"):
            by_farm.setdefault((farm, "adfs", slot), set()).add(tp)
        elif source == "metadata" and farm:
            by_farm.setdefault((farm, "metadata", ""), set()).add(tp)
        elif source == "entra" and domain and slot in ("current", "next"):
            by_domain.setdefault((domain.lower(), slot), set()).add(tp)
    sel = _select(domains)
    adfs_farms = {f for (f, src, _slot) in by_farm if src == "adfs"} | {
        str(f) for f in certificates.loc[certificates["source"] == "adfs", "farm"].dropna()
    }
    meta_farms = {f for (f, src, _slot) in by_farm if src == "metadata"}
    if data.get("metadata") is not None and len(data["metadata"]):
        meta_farms |= {str(f) for f in data["metadata"]["farm"].dropna()}
    entra_domains = {d for (d, _slot) in by_domain}
    if data.get("domains") is not None and len(data["domains"]):
        frame = data["domains"]
        entra_domains |= {
            str(d).lower() for d, has in zip(frame["domain"], frame["has_settings"]) if not pd.isna(has) and bool(has)
        }
    out = []
    for row in data["verdicts"].itertuples(index=False):
        domain, farm = _s(row.domain), _s(row.farm)
        if domain is None or (sel is not None and domain.lower() not in sel):
            continue
        primary = by_farm.get((farm or "", "adfs", "primary"), set())
        secondary = by_farm.get((farm or "", "adfs", "secondary"), set())
        views = [
            primary,
            secondary,
            by_domain.get((domain.lower(), "current"), set()),
            by_domain.get((domain.lower(), "next"), set()),
            by_farm.get((farm or "", "metadata", ""), set()),
        ]
        present = (
            (farm or "") in adfs_farms,
            (farm or "") in adfs_farms,
            domain.lower() in entra_domains,
            domain.lower() in entra_domains,
            (farm or "") in meta_farms,
        )
        codes, texts, states = [], [], []
        for view, thumbs in enumerate(views):
            found = {"P" if tp in primary else "S" if tp in secondary else "?" for tp in thumbs}
            cell_codes = [c for c in "PS?" if c in found]
            codes.append(cell_codes)
            if not thumbs:
                texts.append("\u2014")
            elif len(thumbs) == 1:
                texts.append(f"{cell_codes[0]} {next(iter(thumbs))[:4]}")
            else:
                texts.append("+".join(cell_codes) if len(cell_codes) > 1 else f"{len(thumbs)}\u00d7{cell_codes[0]}")
            states.append(
                _cell_state(view, cell_codes, bool(thumbs), present[view], bool(primary), bool(secondary), codes)
            )
        out.append(
            MatrixRow(
                domain,
                farm,
                tuple(tuple(sorted(v)) for v in views),
                tuple(tuple(c) for c in codes),
                tuple(texts),
                _matrix_state(codes),
                tuple(states),
            )
        )
    out.sort(key=lambda r: (r.state, r.domain))
    return out


def matrix_note(rows: list[MatrixRow], shown: int) -> str:
    """The line that says how many domains the matrix shows and what the others are."""
    rest = rows[shown:]
    if not rest:
        return f"{len(rows)} federated domain{'s' if len(rows) != 1 else ''}, disagreements first."
    states = [r.state for r in rest]
    parts = [f"{states.count(i)} {name}" for i, name in enumerate(MATRIX_STATES) if states.count(i)]
    return f"{shown} of {len(rows)} domains shown, disagreements first; the other {len(rest)}: {', '.join(parts)}."


def mismatch_matrix_figure(
    result: ResultLike, *, max_rows: int = 40, domains: Iterable[str] | str | None = None
) -> Figure:
    """Federated domains by views (AD FS primary, AD FS secondary, Entra current, Entra next,
    metadata signing): which token-signing thumbprints agree.

    Each cell is coloured and marked by its state (\u2713 agrees, \u2717 mismatch, \u2205 the
    export holds none, \u2014 not in the evidence, as in the report's HTML table), then prints a
    code and the first four hex digits of the thumbprint: ``P`` the AD FS primary, ``S`` the AD FS
    secondary, ``?`` a certificate AD FS does not hold. Domains that disagree come first, then
    domains with gaps; past ``max_rows`` the footer counts the rest by state.
    """
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    if max_rows < 1:
        raise UsageError("max_rows must be >= 1")
    rows = mismatch_rows(result, domains=domains)
    shown = rows[:max_rows]
    n = max(len(shown), 1)
    fig = _new_figure(WIDTH_INCHES, 1.7 + n * 0.3)
    ax = fig.add_subplot()
    if not shown:
        return _empty(fig, ax, "No federated domain with a verdict.")
    cells: dict[str, list[list[tuple[float, float]]]] = {state: [] for state in _STATE_STYLE}
    for y, row in enumerate(shown):
        states = row.states or tuple("mismatch" if c == "?" else "gap" if not c else "ok" for c in row.cell_codes)
        for x_, (state, text) in enumerate(zip(states, row.texts)):
            face, ink, hatch, symbol, _ = _STATE_STYLE.get(state, _STATE_STYLE["ok"])
            x0, y0 = x_ - 0.5, y - 0.5
            cells[state].append([(x0, y0), (x0 + 1, y0), (x0 + 1, y0 + 1), (x0, y0 + 1)])
            shown_text = text if state == "gap" else f"{symbol} " + ("none" if text == "\u2014" else text)
            ax.text(
                x_,
                y,
                shown_text,
                ha="center",
                va="center",
                fontsize=8,
                color=ink,
                family="monospace",
                fontweight="bold",
                parse_math=False,
                bbox={"facecolor": face, "edgecolor": "none", "pad": 0.6} if hatch else None,
            )
    for state, verts in cells.items():  # one collection per state, not one patch per cell
        if verts:
            face, _ink, hatch, _symbol, _ = _STATE_STYLE[state]
            ax.add_collection(
                PolyCollection(verts, facecolors=face, edgecolors="#333333", linewidths=0.5, hatch=hatch or None)
            )
    ax.set_xlim(-0.5, len(MATRIX_VIEWS) - 0.5)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xticks(range(len(MATRIX_VIEWS)), MATRIX_VIEWS, fontsize=8)
    ax.xaxis.tick_top()
    labels = [_short(r.domain if not r.farm else f"{r.domain} ({r.farm})") for r in shown]
    ax.set_yticks(range(len(shown)), labels, fontsize=8, parse_math=False)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    handles = [
        Patch(facecolor=face, hatch=hatch, edgecolor="#333333", label=legend)
        for face, _ink, hatch, _symbol, legend in _STATE_STYLE.values()
    ]
    legend = fig.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.04 / fig.get_figheight()),
        ncols=4,
        fontsize=7.5,
        frameon=False,
        borderaxespad=0,
    )
    _place(fig, ax, above=0.55, below=0.12, legend=legend, legend_at="bottom")
    note = matrix_note(rows, len(shown))
    _header(fig, note)
    return fig


# --------------------------------------------------------------------------- days to expiry


def _expiry_rows(data: Mapping[str, Any], as_of: pd.Timestamp | None) -> list[tuple[str, float | None]]:
    rows: list[tuple[str, float | None]] = []
    certs = data["certificates"]
    if as_of is not None and len(certs):
        primary = certs[
            (certs["source"] == "adfs")
            & (certs["slot"] == "primary")
            & (certs["role"].isna() | (certs["role"] == "token-signing"))
        ]
        for farm, group in primary.groupby("farm", sort=True):
            end = group["not_after"].min()
            if pd.isna(end):
                continue
            rows.append((f"{farm} \u00b7 AD FS primary", (end - as_of).total_seconds() / 86400))
    for row in data["verdicts"].itertuples(index=False):
        domain = _s(row.domain)
        if domain is None:
            continue
        days = None if row.days_left is None or pd.isna(row.days_left) else float(row.days_left)
        rows.append((domain, days))
    return rows


def _band(days: float | None, poll: float = ENTRA_POLL_DAYS, urgent: float = URGENT_DAYS) -> tuple[str, str, str]:
    """(colour, hatch, band name) for a number of days left."""
    if days is None:
        return "white", "xx", "unknown"
    if days < 0:
        return VERMILLION, "xx", "expired"
    if days < urgent:
        return ORANGE, "///", f"under {urgent:g} days"
    if days < poll:
        return YELLOW, "...", f"under {poll:g} days"
    return GREEN, "", f"{poll:g} days or more"


def days_to_expiry_figure(result: ResultLike, *, max_rows: int = 40, horizon: int = 400) -> Figure:
    """Days left on the token-signing certificate, per farm (AD FS primary) and per domain.

    Bars are banded (expired, under 15 days, under 35 days, later) by colour and hatch, and
    each bar prints its number of days. Unknown days (missing evidence) show as an empty hatched
    bar. Only the ``max_rows`` most urgent rows are drawn; the footer summarises the rest.
    Bars longer than ``horizon`` days are cut at the edge with their number printed.
    """
    from matplotlib.patches import Patch

    if max_rows < 1:
        raise UsageError("max_rows must be >= 1")
    data = frames_of(result)
    rows = _expiry_rows(data, data["as_of"])
    # expired and under 15 days first, then unknown (missing evidence is never a pass), then the rest
    poll, urgent = data["poll_days"], data["urgent_days"]
    rows.sort(key=lambda r: (0 if r[1] is not None and r[1] < urgent else 1 if r[1] is None else 2, r[1] or 0.0, r[0]))
    shown = rows[:max_rows]
    n = max(len(shown), 1)
    fig = _new_figure(WIDTH_INCHES, 1.5 + n * ROW_INCHES)
    ax = fig.add_subplot()
    if not shown:
        return _empty(fig, ax, "No farm or domain with an expiry date.")
    known = [d for _, d in shown if d is not None]
    lo = min([0.0, *known]) if known else 0.0
    lo = max(lo, -horizon / 4)
    hi = min(max([poll * 2, *known]) if known else horizon, horizon)
    span = hi - lo
    bars: dict[tuple[str, str], tuple[list[int], list[float], list[float]]] = {}  # band -> ys, lefts, widths
    for y, (_label, days) in enumerate(shown):
        colour, hatch, _ = _band(days, poll, urgent)
        if days is None:
            ys, lefts, widths = bars.setdefault((colour, hatch), ([], [], []))
            ys.append(y)
            lefts.append(lo)
            widths.append(span * 0.3)
            ax.text(lo + span * 0.31, y, "unknown: evidence missing", va="center", fontsize=7.5, color="#333333")
            continue
        shown_days = min(max(days, lo), hi)
        ys, lefts, widths = bars.setdefault((colour, hatch), ([], [], []))
        ys.append(y)
        lefts.append(0.0)
        widths.append(shown_days)
        text = f"{days:,.0f} d"
        inside = shown_days > span * 0.85
        ax.text(
            shown_days - span * 0.01 if inside else max(shown_days, 0) + span * 0.01,
            y,
            ("\u25c0 " if days < lo else "") + text + (" \u25b6" if days > hi else ""),
            va="center",
            ha="right" if inside else "left",
            fontsize=7.5,
            color="white" if inside and colour in (VERMILLION,) else "black",
        )
    for (colour, hatch), (ys, lefts, widths) in bars.items():  # one barh per band
        ax.barh(
            ys,
            widths,
            left=lefts,
            height=0.6,
            color=colour,
            hatch=hatch,
            edgecolor="#bbbbbb" if colour == "white" else "#333333",
            linewidth=0.4,
        )
    for days, style in ((0.0, "-"), (urgent, "--"), (poll, ":")):
        if lo <= days <= hi:
            ax.axvline(days, color="black", linestyle=style, linewidth=0.9)
            ax.annotate(
                f"{days:g} d",
                xy=(days, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=7.5,
                ha="left",
                va="bottom",
            )
    ax.set_xlim(lo - span * 0.02, hi + span * 0.02)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_yticks(range(len(shown)), [_short(label) for label, _ in shown], fontsize=8, parse_math=False)
    ax.set_xlabel(
        "days left (as of " + (f"{data['as_of']:%Y-%m-%d}" if data["as_of"] is not None else "?") + ")", fontsize=8
    )
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    bands = []
    for probe in (-1.0, min(1.0, urgent / 2), urgent, poll, None):
        colour, hatch, name = _band(probe, poll, urgent)
        bands.append(Patch(facecolor=colour, hatch=hatch, edgecolor="#333333", label=name))
    legend = fig.legend(
        handles=bands,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.04 / fig.get_figheight()),
        ncols=5,
        fontsize=7.5,
        frameon=False,
        borderaxespad=0,
    )
    rest = rows[max_rows:]
    if rest:
        counts: dict[str, int] = {}
        for _, days in rest:
            band = _band(days, poll, urgent)[2]
            counts[band] = counts.get(band, 0) + 1
        soonest = min((d for _, d in rest if d is not None), default=None)
        detail = ", ".join(f"{c} {name}" for name, c in counts.items())
        note = f"{len(shown)} most urgent of {len(rows)} shown; the other {len(rest)}: {detail}"
        if soonest is not None:
            note += f" (soonest {soonest:,.0f} d)"
        _header(fig, note + ".")
    _place(fig, ax, above=0.55 if rest else 0.3, below=0.5, legend=legend, legend_at="bottom")
    return fig
