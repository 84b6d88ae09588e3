"""JSON exports: ``ConvertTo-Json`` (Windows PowerShell 5.1 and PowerShell 7) and Graph REST JSON.

Sans-IO: :func:`parse_json` takes decoded text and returns :class:`~fedaudit.records.PSObject`
records; the cmdlet mappers in :mod:`fedaudit.parse.cmdlets` read them.

What differs between the producers (``serialization-json-clixml-csv.md`` in the format notes):

* Windows PowerShell 5.1 (``JavaScriptSerializer``): ``"\\/Date(<ms since epoch, UTC>)\\/"`` dates,
  enums as integers, ``"key":  value`` (two spaces), a ``[uri]`` expanded to an object
  (``AbsoluteUri``, ``OriginalString`` ...), a ``Get-Date`` value wrapped as
  ``{"value": "\\/Date(..)\\/", "DisplayHint": 2, "DateTime": "..."}``, an array passed with
  ``-InputObject`` wrapped as ``{"value": [...], "Count": n}``.
* PowerShell 7 (Newtonsoft): ISO 8601 dates (left as strings here; the mappers read them),
  byte arrays (``RawData``) as arrays of integers in both versions.
* Graph REST (``Invoke-MgGraphRequest``, Graph Explorer, ``az rest``): camelCase keys, a single
  entity at top level with ``@odata.context``, a collection as ``{"value": [...]}`` and, in one
  Graph docs example, a single entity wrapped as ``{"value": {...}}`` (doc error, accepted).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from fedaudit.errors import ParseError
from fedaudit.parse.properties import GRAPH_DOMAIN, GRAPH_INTERNAL_DOMAIN_FEDERATION
from fedaudit.records import PSObject

__all__ = [
    "FORM_GRAPH",
    "FORM_PS51",
    "FORM_PS7",
    "json_form",
    "parse_json",
]

FORM_PS51 = "ConvertTo-Json 5.1"
FORM_PS7 = "ConvertTo-Json 7"
FORM_GRAPH = "Graph JSON"

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
# After json.loads "\/Date(1797006597000)\/" reads "/Date(1797006597000)/"; an offset suffix
# ("+0200") may follow the milliseconds, which are UTC either way.
_MS_DATE = re.compile(r"^/Date\((-?\d{1,16})(?:[+-]\d{4})?\)/$")
# JavaScriptSerializer's pretty printer writes two spaces after the colon.
_PS51_STYLE = re.compile(r'"[^"\n]{1,200}":  \S')
_RAWDATA = re.compile(r'"rawdata"\s*:', re.I)
# Graph REST property names (camelCase): a JSON file keyed by these came from Graph.
_GRAPH_KEYS = frozenset(k.lower() for k in GRAPH_INTERNAL_DOMAIN_FEDERATION | GRAPH_DOMAIN if not k.startswith("@"))


def _ms_date(value: str) -> dt.datetime | None:
    m = _MS_DATE.match(value)
    if not m:
        return None
    try:
        return _EPOCH + dt.timedelta(milliseconds=int(m.group(1)))
    except OverflowError:  # beyond datetime's range (year 1..9999): leave the text as it is
        return None


def _convert(value: Any, key: str | None = None, depth: int = 0) -> Any:
    """Turn 5.1 dates into datetimes and RawData integer arrays into bytes, recursively."""
    if depth > _MAX_DEPTH:
        raise ParseError(f"JSON nested too deeply (more than {_MAX_DEPTH} levels)")
    if isinstance(value, str):
        if value.startswith("/Date("):
            stamp = _ms_date(value)
            if stamp is not None:
                return stamp
        return value
    if isinstance(value, list):
        if (
            key is not None
            and key.lower() == "rawdata"
            and value
            and all(type(v) is int and 0 <= v <= 255 for v in value)
        ):
            return bytes(value)
        return [_convert(v, None, depth + 1) for v in value]
    if isinstance(value, dict):
        # A Get-Date DateTime with ETS members: {"value": "\/Date(..)\/", "DisplayHint": 2, "DateTime": "..."}
        if "DisplayHint" in value and "value" in value and isinstance(value["value"], str):
            stamp = _ms_date(value["value"])
            if stamp is not None:
                return stamp
        return {str(k): _convert(v, str(k), depth + 1) for k, v in value.items()}
    return value


def json_form(text: str) -> str:
    """Which producer wrote this JSON: :data:`FORM_PS51`, :data:`FORM_PS7` or :data:`FORM_GRAPH`."""
    head = text[:200_000]
    if "\\/Date(" in head or ('":  ' in head and _PS51_STYLE.search(head)):
        return FORM_PS51
    if '"@odata.' in head:
        return FORM_GRAPH
    keys = set(re.findall(r'"([A-Za-z@][A-Za-z0-9_.@]*)"\s*:', head[:20_000]))
    lower_first = {k for k in keys if k[:1].islower()}
    if lower_first and len(lower_first) * 2 >= len(keys) and {k for k in lower_first if k.lower() in _GRAPH_KEYS}:
        return FORM_GRAPH
    return FORM_PS7


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _lines_of(text: str, offsets: list[int]) -> list[int | None]:
    """1-based lines of ascending ``offsets``: newlines counted once, between neighbours (a
    10,000-element array costs one pass over the text, not one pass per element)."""
    out: list[int | None] = []
    line, previous = 1, 0
    for offset in offsets:
        line += text.count("\n", previous, offset)
        previous = offset
        out.append(line)
    return out


def _array_offsets(text: str, start: int) -> list[int] | None:
    """Start offsets of the elements of the JSON array whose ``[`` is at ``start``."""
    decoder = json.JSONDecoder()
    offsets: list[int] = []
    i = start + 1
    n = len(text)
    ws = " \t\r\n"
    while i < n and text[i] in ws:
        i += 1
    if i < n and text[i] == "]":
        return offsets
    while i < n:
        offsets.append(i)
        try:
            _, i = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            return None
        while i < n and text[i] in ws:
            i += 1
        if i < n and text[i] == ",":
            i += 1
            while i < n and text[i] in ws:
                i += 1
            continue
        if i < n and text[i] == "]":
            return offsets
        return None
    return None


#: Deepest nesting accepted. ConvertTo-Json caps at -Depth 100; real exports use 2 to 10.
_MAX_DEPTH = 64


def _deeper_than(data: Any, limit: int) -> bool:
    """True when ``data`` nests lists/objects more than ``limit`` levels (iterative, early exit)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (list, dict)):
            if depth >= limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, (list, dict)))
    return False


def parse_json(text: str, origin: str) -> list[PSObject]:
    """Objects of a JSON export, in order. Raises :class:`ParseError` for text that is not JSON
    or not an object / list of objects."""
    body = text.lstrip("\ufeff")
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", origin=origin, line=exc.lineno
        ) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply", origin=origin) from None
    # Python 3.12+ decodes deep nesting without a RecursionError: refuse it here, as before.
    # Nesting never exceeds the number of opening brackets (counted in C, strings included):
    # most exports have fewer than the limit, and need no walk of the decoded value.
    if body.count("[") + body.count("{") > _MAX_DEPTH and _deeper_than(data, _MAX_DEPTH):
        raise ParseError(f"JSON nested too deeply (more than {_MAX_DEPTH} levels)", origin=origin)
    form = json_form(body)
    context: str | None = None
    items: list[Any]
    lines: list[int | None]
    if isinstance(data, list):
        items = data
        offsets = _array_offsets(body, body.index("["))
        lines = _lines_of(body, offsets) if offsets and len(offsets) == len(items) else [None] * len(items)
    elif isinstance(data, dict):
        wrapped = data.get("value")
        context = data.get("@odata.context") if isinstance(data.get("@odata.context"), str) else None
        if isinstance(wrapped, list) and (
            context is not None or set(data) <= {"value", "Count", "@odata.context", "@odata.nextLink", "@odata.count"}
        ):
            items = wrapped
            m = re.search(r'"value"\s*:\s*\[', body)
            offsets = _array_offsets(body, m.end() - 1) if m else None
            lines = _lines_of(body, offsets) if offsets and len(offsets) == len(items) else [None] * len(items)
        elif isinstance(wrapped, dict) and set(data) <= {"value", "@odata.context"}:
            # Graph docs' single-GET example wraps the entity in "value": {...} (doc error 4).
            items = [wrapped]
            m = re.search(r'"value"\s*:\s*\{', body)
            lines = [_line_of(body, m.end() - 1) if m else None]
        else:
            items = [data]
            lines = [_line_of(body, body.index("{"))]
    else:
        raise ParseError("JSON is not an object or a list of objects", origin=origin, line=1)
    # Only 5.1 dates and RawData arrays need converting; Graph JSON (the bulk) has neither.
    needs_convert = "/Date(" in body or _RAWDATA.search(body) is not None
    out: list[PSObject] = []
    for item, line in zip(items, lines):
        if not isinstance(item, dict):
            continue
        props = _convert(item) if needs_convert else dict(item)
        if context is not None and "@odata.context" not in props:
            props["@odata.context"] = context
        odata_type = props.get("@odata.type")
        type_names = (odata_type.lstrip("#"),) if isinstance(odata_type, str) else ()
        out.append(PSObject(origin=origin, form=form, properties=props, line=line, type_names=type_names))
    return out
