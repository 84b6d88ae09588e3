"""The frame schemas: column names and dtypes of every frame fedaudit returns.

This module is the public contract that notebooks, the report and user scripts rely on.
Records become frames only here (:func:`make_frame`), so every frame has its declared columns
in order, tz-aware UTC datetimes, categoricals for enum-like columns, nullable integers and
booleans, and ``NA`` (never ``""``) for missing values. Extra columns beyond the contract are
allowed and listed after the contract columns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from fedaudit.errors import UsageError
from fedaudit.records import ROLES, SEVERITIES, SLOTS, SOURCES

__all__ = ["SCHEMAS", "UTC", "empty_frame", "frame_records", "make_frame", "utc_column"]

#: Every datetime column: microseconds, UTC. Nanosecond resolution (pandas' old default) ends in
#: 2262; real certificates are valid until 9999-12-31 23:59:59, which microseconds hold.
UTC = "datetime64[us, UTC]"
STR = "string"
INT = "Int64"
BOOL = "boolean"
FLOAT = "Float64"
OBJ = "object"


def _cat(values: Iterable[str]) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(list(values))


ACTIONS = (
    "none",
    "renew-now",
    "update-entra",
    "plan-renewal",
    "fix-metadata",
    "enable-rollover",
    "insufficient-evidence",
)

#: name -> ordered {column: dtype}. The first columns of each are the issue contracts.
SCHEMAS: dict[str, dict[str, Any]] = {
    "certificates": {
        "source": _cat(SOURCES),
        "origin": STR,
        "farm": STR,
        "domain": STR,
        "role": _cat(ROLES),
        "slot": _cat(SLOTS),
        "thumbprint": STR,
        "sha256": STR,
        "subject": STR,
        "issuer": STR,
        "serial": STR,
        "not_before": UTC,
        "not_after": UTC,
        "key_type": STR,
        "key_size": INT,
        "signature_hash": STR,
        "self_signed": BOOL,
        # beyond the contract
        "text_derived": BOOL,
        "line": INT,
    },
    "farms": {
        "farm": STR,
        "host_name": STR,
        "identifier": STR,
        "auto_certificate_rollover": BOOL,
        "certificate_generation_threshold": INT,  # days before NotAfter
        "certificate_promotion_threshold": INT,  # days after generation
        "certificate_critical_threshold": INT,  # days before NotAfter
        "certificate_duration": INT,  # days
        "certificate_rollover_interval": INT,  # minutes
        "origin": STR,
        "line": INT,
        # beyond the contract
        "certificate_threshold_multiplier": INT,  # minutes per threshold "day" (1440)
    },
    "domains": {
        "domain": STR,
        "authentication": _cat(["Federated", "Managed"]),
        "issuer_uri": STR,
        "passive_sign_in_uri": STR,
        "metadata_exchange_uri": STR,
        "preferred_authentication_protocol": STR,
        "signing_thumbprint": STR,
        "next_signing_thumbprint": STR,
        "update_result": STR,
        "update_last_run": UTC,
        "origin": STR,
        # beyond the contract
        "farm": STR,
        "status": STR,
        "federated_idp_mfa_behavior": STR,
        "has_settings": BOOL,
        "line": INT,
        # the identity provider recognised from the Entra settings (fedaudit.evidence.idp.IDPS)
        "idp": STR,
    },
    "issues": {
        "origin": STR,
        "line": INT,
        "field": STR,
        "severity": _cat(SEVERITIES),
        "message": STR,
    },
    "metadata": {
        "origin": STR,
        "url": STR,
        "entity_id": STR,
        "fetched_at": UTC,
        "reachable": BOOL,
        "http_status": INT,
        "tls_verified": BOOL,
        "signature": _cat(["valid", "invalid", "absent", "error"]),
        "signer_thumbprint": STR,
        "valid_until": UTC,
        "error": STR,
        # beyond the contract
        "farm": STR,
        "sha256": STR,
        "digest_algorithm": STR,
        "signature_algorithm": STR,
        "signer_not_after": UTC,
        "insecure": BOOL,
        "tls_not_after": UTC,  # NotAfter of the metadata server's TLS certificate
    },
    # -- audit outputs (fedaudit.audit) --
    "verdicts": {
        "domain": STR,
        "farm": STR,
        "auto_certificate_rollover": BOOL,
        "in_sync": BOOL,
        "metadata_public": BOOL,
        "days_left": FLOAT,
        "action": _cat(ACTIONS),
        "reason": STR,
        # beyond the contract
        "severity": _cat(SEVERITIES),
        "primary_thumbprint": STR,
        "entra_thumbprint": STR,
        "not_after": UTC,
        "missing": STR,
    },
    "findings": {
        "id": STR,
        "severity": _cat(SEVERITIES),
        "farm": STR,
        "domain": STR,
        "title": STR,
        "detail": STR,
        "evidence": OBJ,  # list of {"fact", "value", "origin"} dicts
        "remediation": STR,
        "reference": STR,
        # beyond the contract
        "key": STR,  # stable identity across runs: id|farm|domain|subject
        "controls": STR,  # compliance controls the check supports, "; "-separated
        "excepted": BOOL,  # covered by a live accepted exception
        "exception": STR,  # the exception's justification, owner and expiry (or why it lapsed)
    },
    "timeline": {
        "farm": STR,
        "domain": STR,
        "event": STR,
        "time": UTC,
        "thumbprint": STR,
        "source": STR,
        "detail": STR,
    },
    # -- fedaudit.metadata.discover_metadata_urls: which metadata URL stands for which farm/domain --
    "metadata_urls": {
        "farm": STR,
        "domain": STR,
        "url": STR,
        "derived_from": STR,  # farms.host_name | domains.passive_sign_in_uri | ...
    },
}


def empty_frame(name: str) -> pd.DataFrame:
    """An empty frame with the declared columns and dtypes of ``name``."""
    return make_frame(name, [])


def _to_utc(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return pd.NaT
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise UsageError(f"naive datetime {value!r}: fedaudit frames hold tz-aware UTC only")
    return value


def _one_utc(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return pd.NaT
    if isinstance(value, float) and value != value:
        return pd.NaT
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"not an ISO 8601 date and time: {value[:60]!r}") from None
        if parsed.tzinfo is None:
            raise UsageError(f"naive datetime {value!r}: fedaudit frames hold tz-aware UTC only")
        return parsed.astimezone(dt.timezone.utc)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return _to_utc(value)


def utc_column(values: Iterable[Any]) -> pd.Series:
    """A ``datetime64[us, UTC]`` series from tz-aware datetimes, ISO 8601 strings with offset,
    None/NaT/NA. The fast path is pandas' own conversion; a value past 2262 (which pandas 2
    converts to nanoseconds first and refuses) takes the exact per-value path instead, which
    raises :class:`~fedaudit.errors.UsageError` for a naive or unparsable value."""
    index = values.index if isinstance(values, pd.Series) else None
    items = list(values)
    try:
        series = pd.to_datetime(
            pd.Series([_to_utc(v) for v in items], dtype=object, index=index), utc=True, format="ISO8601"
        )
        return series.astype(UTC)
    except (ValueError, OverflowError):  # OutOfBoundsDatetime (pandas 2 past 2262) or a bad value
        return pd.Series(
            pd.array([_one_utc(v) for v in items], dtype=pd.DatetimeTZDtype(unit="us", tz="UTC")), index=index
        )


_PLAIN = frozenset({str, type(None)})


def _may_hold_empty_string(values: list[Any]) -> bool:
    """False only when no value is an empty string (checked at C speed for the usual columns of
    plain ``str`` and ``None``; ``"" in`` would ask ``pd.NA`` or an array for its truth)."""
    types = set(map(type, values))
    if not any(issubclass(t, str) for t in types):
        return False
    return "" in values if types <= _PLAIN else True


def make_frame(name: str, rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build frame ``name`` from row mappings. Unknown keys become extra columns (object)."""
    schema = SCHEMAS[name]
    rows = list(rows)
    known = set(schema)
    extra: list[str] = []
    seen_keys: set[frozenset[str]] = set()
    for row in rows:
        # Rows of one frame share their keys: look at each distinct key set once.
        keys = frozenset(row)
        if keys in seen_keys:
            continue
        seen_keys.add(keys)
        if keys <= known:
            continue
        for key in row:
            if key not in known and key not in extra:
                extra.append(key)
    columns = list(schema) + extra
    out = {}
    for c in columns:
        # Column by column (a comprehension per column, not a dict lookup per cell in Python).
        values = [row.get(c) for row in rows]
        dtype = schema.get(c, OBJ)
        if dtype != OBJ and _may_hold_empty_string(values):
            values = [None if isinstance(v, str) and v == "" else v for v in values]
        if dtype == UTC:
            out[c] = utc_column(values)
        elif dtype == OBJ:
            out[c] = pd.Series(values, dtype=object)
        else:
            out[c] = pd.Series([pd.NA if v is None else v for v in values], dtype=object).astype(dtype)
    return pd.DataFrame(out, columns=columns).reset_index(drop=True)


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: datetimes ISO 8601 with offset, NA as None."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if isinstance(v, pd.Timestamp):
                clean[k] = v.isoformat() if not pd.isna(v) else None
            elif v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
                clean[k] = None
            elif hasattr(v, "item") and not isinstance(v, (list, dict, str, bytes)):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out
