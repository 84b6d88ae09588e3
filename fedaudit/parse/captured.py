"""When an input was captured, from what the file itself says (sans-IO).

Evidence is judged as of one date; an export taken days earlier describes the farm as it was
then. The capture time of each input, best source first:

* a fetch sidecar's ``fetched_at`` (UTC, written by ``fedaudit fetch``);
* a collector manifest's ``started`` (UTC, ``collect/Collect-FedauditEvidence.ps1``), which also
  dates every file the manifest lists;
* a PowerShell transcript header (``Start-Transcript``: ``Start time: yyyyMMddHHmmss``), which is
  the server's local time without an offset, so it is read as UTC and marked as such;
* otherwise the caller falls back to the file's modification time (marked as such).

:func:`capture_time` returns ``(time, how)`` or ``(None, None)``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

__all__ = ["FROM_MANIFEST", "FROM_MTIME", "FROM_SIDECAR", "FROM_TRANSCRIPT", "capture_time", "manifest_files"]

FROM_SIDECAR = "fetch sidecar fetched_at"
FROM_MANIFEST = "collector manifest started"
FROM_TRANSCRIPT = "PowerShell transcript header (server local time, read as UTC)"
FROM_MTIME = "file modification time (not a capture record)"

_TRANSCRIPT = re.compile(r"^\*{10,}\s*\r?\n(?:Windows )?PowerShell transcript start\s*\r?\nStart time: (\d{14})", re.M)


def _iso(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(dt.timezone.utc)


def _json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None


def _text_head(data: bytes) -> str:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        enc = "utf-16"
    elif len(head) > 1 and head[1:2] == b"\x00":
        enc = "utf-16-le"
    else:
        enc = "utf-8"
    return head.decode(enc, errors="replace").lstrip("\ufeff")


def capture_time(data: bytes, kind: str | None = None) -> tuple[dt.datetime | None, str | None]:
    """The capture time ``data`` states, and how it was found."""
    if kind in ("fetch evidence sidecar", "collector manifest"):
        doc = _json(data)
        if isinstance(doc, dict):
            if doc.get("fedaudit_fetch") == 1:
                t = _iso(doc.get("fetched_at"))
                return (t, FROM_SIDECAR) if t else (None, None)
            if doc.get("fedaudit_collector") is not None:
                t = _iso(doc.get("started"))
                return (t, FROM_MANIFEST) if t else (None, None)
        return None, None
    m = _TRANSCRIPT.search(_text_head(data))
    if m:
        try:
            t = dt.datetime.strptime(m.group(1), "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return None, None
        return t, FROM_TRANSCRIPT
    return None, None


def manifest_files(data: bytes) -> list[str]:
    """The file names a collector manifest lists (dated by its ``started``)."""
    doc = _json(data)
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, list):
        return []
    return [e["name"] for e in files if isinstance(e, dict) and isinstance(e.get("name"), str)]


def sidecar_body(data: bytes) -> str | None:
    """The document file a fetch sidecar names (dated by its ``fetched_at``)."""
    doc = _json(data)
    body = doc.get("body") if isinstance(doc, dict) else None
    return body if isinstance(body, str) else None
