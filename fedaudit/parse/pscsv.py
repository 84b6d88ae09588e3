"""``Export-Csv`` / ``ConvertTo-Csv`` files.

Sans-IO: :func:`parse_csv` takes decoded text and returns one :class:`~fedaudit.records.PSObject`
per row. What PowerShell writes (``serialization-json-clixml-csv.md``, Export-Csv section):

* Windows PowerShell 5.1 starts with ``#TYPE <full type name>`` unless ``-NoTypeInformation``;
  PowerShell 7 does not. The type name is kept in ``PSObject.type_names``.
* The header is the first object's property names; every value is its ``ToString()``: a
  certificate column holds the multi-line ``[Subject] ...`` text inside quotes, enums their names,
  dates the current culture's text.
* ``-UseCulture`` writes the culture's list separator (``;`` in de-DE, fr-FR): the delimiter is
  sniffed from the header line.
* ``Format-* | Export-Csv`` writes formatting objects (``ClassId2e4f51ef21dd47e99d3c952918aff9cd``
  columns) instead of data: refused with a message that says how to export again.
"""

from __future__ import annotations

import csv
import io
import re

from fedaudit.errors import ParseError
from fedaudit.records import PSObject

__all__ = ["FORM", "looks_like_csv", "parse_csv", "sniff_delimiter"]

FORM = "Export-Csv"
_FORMAT_CLASSID = "ClassId2e4f51ef21dd47e99d3c952918aff9cd"
_NAME = r'(?:"[^"\r\n]{1,200}"|[A-Za-z_@][A-Za-z0-9_.@ -]{0,199})'


def _header_lines(text: str) -> tuple[str | None, str | None, int]:
    """(``#TYPE`` name or None, header line or None, 1-based header line number)."""
    type_name = None
    lineno = 0
    for raw in text.splitlines():
        lineno += 1
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#TYPE"):
            if type_name is None:
                type_name = line[5:].strip()
                continue
        return type_name, line, lineno
    return type_name, None, lineno


def sniff_delimiter(header: str) -> str | None:
    """``,``, ``;`` or TAB when ``header`` is a delimited list of at least two names, else None."""
    best = None
    for delim in (",", ";", "\t"):
        parts = header.split(delim)
        if len(parts) < 2:
            continue
        if all(re.fullmatch(_NAME, p.strip()) for p in parts):
            if best is None or len(parts) > len(header.split(best)):
                best = delim
    return best


def looks_like_csv(text: str) -> bool:
    """True for text that starts with ``#TYPE`` or a delimited header of property names."""
    type_name, header, _ = _header_lines(text[:20_000])
    if type_name is not None:
        return True
    if header is None or ('"' not in header and "," not in header and ";" not in header):
        return False
    delim = sniff_delimiter(header)
    if delim is None:
        return False
    # Unquoted headers must still look like PowerShell property names (no spaces around names)
    return '"' in header or all(" " not in p for p in header.split(delim))


def parse_csv(text: str, origin: str) -> list[PSObject]:
    """Rows of an Export-Csv file as objects. Raises :class:`ParseError` when it is not one."""
    body = text.lstrip("\ufeff")
    type_name, header, header_line = _header_lines(body)
    if header is None:
        raise ParseError("CSV without a header line", origin=origin)
    if _FORMAT_CLASSID in header:
        raise ParseError(
            "this CSV holds Format-List/Format-Table formatting objects, not data: "
            "export again without Format-* (e.g. Get-AdfsCertificate | Export-Csv file.csv)",
            origin=origin,
            line=header_line,
        )
    delim = sniff_delimiter(header)
    if delim is None:
        raise ParseError("CSV header is not a delimited list of property names", origin=origin, line=header_line)
    lines = body.splitlines(keepends=True)
    stream = io.StringIO("".join(lines[header_line - 1 :]), newline="")
    reader = csv.reader(stream, delimiter=delim, strict=False)
    try:
        names = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ParseError(f"unreadable CSV header ({exc})", origin=origin, line=header_line) from None
    names = [n.strip() for n in names]
    out: list[PSObject] = []
    type_names = (type_name,) if type_name else ()
    offset = header_line - 1
    previous_end = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ParseError(f"malformed CSV ({exc})", origin=origin, line=offset + reader.line_num) from None
        start = offset + previous_end + 1
        previous_end = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        props = {}
        row_lines = {}
        for i, name in enumerate(names):
            if not name:
                continue
            value = row[i] if i < len(row) else ""
            props[name] = value
            row_lines[name] = start
        if len(row) > len(names):
            extra = row[len(names) :]
            if any(cell.strip() for cell in extra):
                raise ParseError(
                    f"row has {len(row)} fields but the header names {len(names)}",
                    origin=origin,
                    line=start,
                )
        out.append(
            PSObject(origin=origin, form=FORM, properties=props, line=start, lines=row_lines, type_names=type_names)
        )
    return out
