"""Format-Table console text (``Get-MsolDomain``, ``Get-MgDomain``, ``Get-AdfsCertificate | ft``).

PowerShell's TableWriter prints a header row, an underline row of dashes, then one line per
object. Column widths change with every capture (Get-MsolDomain's Name column is 33 wide in one
sample and 19 in another), so columns are taken from the dash row: each run of ``-`` marks
where a column starts (format notes README, "Format-Table quirks"). Also handled:

* headers wrapped over two or three lines by a narrow console (``Manufact`` / ``urer``),
  re-joined per column;
* literal TABs from hand edits (Accops Get-MsolDomain sample): expanded to 8-column stops;
* text that spills over a column start: the boundary moves to the nearest gap;
* truncated cells (``...`` in 5.1, ``…`` in 7.x) kept verbatim for the mappers to flag;
* ``-Wrap`` continuation lines (first column empty) appended to the row above.
"""

from __future__ import annotations

import re

from fedaudit.parse._console import Line, command_of
from fedaudit.records import PSObject

__all__ = ["FORM", "is_dash_row", "read_table"]

FORM = "table"

_DASH_ROW = re.compile(r"^\s*-+(?: +-+)*$")
_MAX_HEADER_LINES = 3
_MAX_COLUMNS = 200  # far more than any console shows; bounds the work on hostile input


def is_dash_row(text: str) -> bool:
    """True for a Format-Table underline (runs of dashes separated by spaces)."""
    return bool(_DASH_ROW.match(text.expandtabs(8)))


def _runs(dash_line: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"-+", dash_line)]


def _header_fits(headers: list[str], runs: list[tuple[int, int]]) -> bool:
    """Every dash run has a label above it, and no label text sits far outside the runs."""
    if not runs or len(runs) > _MAX_COLUMNS:
        return False
    for start, end in runs:
        if not any(h[start:end].strip() for h in headers):
            return False
    width = max(len(h) for h in headers)
    covered = bytearray(width)
    for start, end in runs:
        covered[start : min(end, width)] = b"\x01" * max(0, min(end, width) - start)
    inside = outside = 0
    for h in headers:
        for i, ch in enumerate(h):
            if ch != " ":
                if covered[i]:
                    inside += 1
                else:
                    outside += 1
    return outside <= 0.2 * max(1, inside)


def table_at(lines: list[Line], i: int) -> tuple[list[str], list[tuple[int, int]], int] | None:
    """If a table header starts at ``lines[i]``: (column names, column spans, index of the
    dash row). Header lines must be contiguous (soft blanks of a double-spaced paste aside),
    non-blank, and sit right above the dashes."""
    header_idx: list[int] = []
    j = i
    while j < len(lines) and len(header_idx) <= _MAX_HEADER_LINES:
        line = lines[j]
        if line.soft:
            j += 1
            continue
        if not line.text:
            return None
        dash = line.text.expandtabs(8)
        if header_idx and _DASH_ROW.match(dash):
            return _columns([lines[k].text.expandtabs(8) for k in header_idx], dash, j)
        if _DASH_ROW.match(dash):
            return None
        header_idx.append(j)
        j += 1
    return None


def _columns(headers: list[str], dash: str, j: int) -> tuple[list[str], list[tuple[int, int]], int] | None:
    runs = _runs(dash)
    if len(runs) == 1 and runs[0][1] - runs[0][0] < 2:
        return None
    if not _header_fits(headers, runs):
        return None
    spans = _spans(runs)
    names = []
    for start, end in spans:
        parts = [h[start:end].strip() for h in headers]
        names.append("".join(p for p in parts if p))
    if len(set(names)) != len(names) or not all(names):
        return None
    return names, spans, j


def _spans(runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Column spans: from each run's start to the next run's start (the last is open-ended)."""
    starts = [s for s, _ in runs]
    return [(s, starts[n + 1] if n + 1 < len(starts) else 1 << 30) for n, s in enumerate(starts)]


def _snap(line: str, b: int, lo: int, hi: int) -> int:
    """Move column boundary ``b`` to the nearest word start in (lo, hi) when text crosses it."""
    if b <= 0 or b >= len(line) or line[b - 1] == " ":
        return b
    best = None
    for p in range(lo + 1, min(hi, len(line))):
        if line[p - 1] == " " and line[p] != " ":
            if best is None or abs(p - b) < abs(best - b):
                best = p
    return b if best is None else best


def split_row(line: str, spans: list[tuple[int, int]]) -> list[str]:
    """Cells of one table row, boundaries snapped to word starts where text spills over."""
    line = line.expandtabs(8)
    bounds = [s for s, _ in spans]
    for n in range(1, len(bounds)):
        nxt = bounds[n + 1] if n + 1 < len(bounds) else len(line) + 1
        bounds[n] = max(bounds[n - 1] + 1, _snap(line, bounds[n], bounds[n - 1], nxt))
    cells = []
    for n, b in enumerate(bounds):
        end = bounds[n + 1] if n + 1 < len(bounds) else len(line)
        cells.append(line[b:end].strip())
    return cells


def read_table(lines: list[Line], i: int, origin: str, command: str | None) -> tuple[list[PSObject], int] | None:
    """Parse the table whose header starts at ``lines[i]``: (objects, index after the table)."""
    found = table_at(lines, i)
    if found is None:
        return None
    names, spans, dash_idx = found
    rows: list[tuple[int, list[str]]] = []
    j = dash_idx + 1
    while j < len(lines) and (lines[j].text or lines[j].soft):
        if lines[j].soft:
            j += 1
            continue
        if command_of(lines[j].text, at_boundary=False)[0]:
            break
        cells = split_row(lines[j].text, spans)
        if rows and not cells[0] and any(cells[1:]):
            prev = rows[-1][1]
            for n, cell in enumerate(cells):
                if cell:
                    width = spans[n][1] - spans[n][0] if spans[n][1] < (1 << 30) else 0
                    glue = "" if width and len(prev[n]) >= width - 1 else " "
                    prev[n] = (prev[n] + glue + cell).strip() if prev[n] else cell
        elif any(cells):
            rows.append((lines[j].no, cells))
        j += 1
    objects = [
        PSObject(
            origin=origin,
            form=FORM,
            properties=dict(zip(names, cells)),
            line=no,
            lines={name: no for name in names},
            command=command,
        )
        for no, cells in rows
    ]
    return objects, j
