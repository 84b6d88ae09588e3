"""Saved metadata documents and fetch sidecars in, :class:`~fedaudit.records.ParseResult` out.

Sans-IO: the loader reads the files and hands over ``(origin, bytes)`` pairs. A sidecar (the
JSON that :mod:`fedaudit.io.fetch` writes beside every fetched body) is paired with its body by the
body's file name in the same folder, checked by SHA-256; a sidecar without a body (a failed
fetch) still yields a :class:`~fedaudit.records.MetadataRecord` so the failure is on record.

One record per ``EntityDescriptor`` (an aggregate yields one per entity, all sharing the
document's signature verdict: the EntitiesDescriptor's signature covers every entity). Each
KeyDescriptor certificate becomes a :class:`~fedaudit.records.CertificateObservation` with
``source="metadata"``, role ``token-signing`` (``use="signing"`` or no ``use``) or
``token-decrypting`` (``use="encryption"``) and hints ``signature`` (the document's verdict),
``signed_by`` (the signer's thumbprint, only when the signature is valid), ``authenticated``
(``"true"`` only when the signature is valid *and* its signer is one of the ``trusted``
certificates the caller pinned: a document that verifies with its own embedded key proves
integrity, not who published it; the evidence join also authenticates a document whose signer
is an AD FS primary/secondary or Entra current/next certificate of the same evidence), ``use``,
``descriptors`` and, when known, ``entity_id``, ``hosts`` (endpoint hosts, comma-separated) and
``url``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fedaudit.errors import InputError, ParseError
from fedaudit.parse.metadata.parse import MetadataDocument, MetadataEntity, MetadataKey, document_from_tree, parse_tree
from fedaudit.parse.metadata.verify import SignatureVerification, verify_tree
from fedaudit.records import Certificate, CertificateObservation, LoadIssue, MetadataRecord, ParseResult, Role

__all__ = ["CheckedDocument", "FetchSidecar", "check_document", "parse_sidecar", "read_document", "read_metadata"]

#: Sidecars are small JSON objects; anything bigger is not ours.
MAX_SIDECAR_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FetchSidecar:
    """What a fetch sidecar says (see :mod:`fedaudit.io.fetch` for the full JSON)."""

    origin: str
    url: str | None
    final_url: str | None
    fetched_at: dt.datetime | None
    status: int | None
    tls_verified: bool | None
    insecure: bool | None
    content_type: str | None
    sha256: str | None
    body: str | None
    body_kind: str | None
    error: str | None
    tls_not_after: dt.datetime | None = None  # server_certificate.not_after

    @property
    def succeeded(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _split(origin: str) -> tuple[str, str]:
    norm = origin.replace("\\", "/")
    return posixpath.dirname(norm), posixpath.basename(norm)


def _opt(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], origin: str) -> Any:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ParseError(f"{key} has the wrong type ({type(value).__name__})", origin=origin, field=key)
    return value


def parse_sidecar(data: bytes, origin: str) -> FetchSidecar:
    """Read a fetch sidecar. Raises :class:`ParseError` when it is not one."""
    if len(data) > MAX_SIDECAR_BYTES:
        raise ParseError(f"sidecar is {len(data)} bytes, over {MAX_SIDECAR_BYTES}", origin=origin)
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not a JSON fetch sidecar ({exc})", origin=origin) from None
    if not isinstance(obj, dict) or obj.get("fedaudit_fetch") != 1:
        raise ParseError('not a fetch sidecar (needs "fedaudit_fetch": 1)', origin=origin)
    fetched_at = None
    raw_time = _opt(obj, "fetched_at", str, origin)
    if raw_time:
        try:
            fetched_at = dt.datetime.fromisoformat(raw_time.replace("Z", "+00:00"))
        except ValueError:
            raise ParseError(f"fetched_at {raw_time!r} is not ISO 8601", origin=origin, field="fetched_at") from None
        if fetched_at.tzinfo is None:
            raise ParseError("fetched_at has no UTC offset", origin=origin, field="fetched_at")
        fetched_at = fetched_at.astimezone(dt.timezone.utc)
    error = _opt(obj, "error", str, origin)
    tls_not_after = None
    server = obj.get("server_certificate")
    raw_na = server.get("not_after") if isinstance(server, dict) else None
    if isinstance(raw_na, str):
        try:
            parsed = dt.datetime.fromisoformat(raw_na.replace("Z", "+00:00"))
        except ValueError:
            parsed = None  # an unreadable TLS date is not evidence; the fetch itself still counts
        if parsed is not None and parsed.tzinfo is not None:
            tls_not_after = parsed.astimezone(dt.timezone.utc)
    return FetchSidecar(
        origin=origin,
        url=_opt(obj, "url", str, origin),
        final_url=_opt(obj, "final_url", str, origin),
        fetched_at=fetched_at,
        status=_opt(obj, "status", int, origin),
        tls_verified=_opt(obj, "tls_verified", bool, origin),
        insecure=_opt(obj, "insecure", bool, origin),
        content_type=_opt(obj, "content_type", str, origin),
        sha256=_opt(obj, "sha256", str, origin),
        body=_opt(obj, "body", str, origin),
        body_kind=_opt(obj, "body_kind", str, origin),
        error=" ".join(error.split()) if error else None,
        tls_not_after=tls_not_after,
    )


def _fetch_fields(sidecar: FetchSidecar | None) -> dict[str, Any]:
    if sidecar is None:
        return {}
    return {
        "url": sidecar.url,
        "fetched_at": sidecar.fetched_at,
        "reachable": sidecar.succeeded,
        "http_status": sidecar.status,
        "tls_verified": sidecar.tls_verified,
        "insecure": sidecar.insecure,
        "tls_not_after": sidecar.tls_not_after,  # frames hold microseconds: any year fits
    }


def _observations(
    entity: MetadataEntity, origin: str, verdict: SignatureVerification, url: str | None
) -> list[CertificateObservation]:
    # One observation per (certificate, role); the same certificate is usually repeated in
    # every role descriptor (AD FS lists it under fed:SecurityTokenServiceType,
    # fed:ApplicationServiceType, IDPSSODescriptor and SPSSODescriptor).
    grouped: dict[tuple[str, Role], list[MetadataKey]] = {}
    for key in entity.keys:
        role: Role = "token-decrypting" if key.use == "encryption" else "token-signing"
        grouped.setdefault((key.certificate.thumbprint, role), []).append(key)
    out = []
    for (_, role), keys in grouped.items():
        hints = {
            "authenticated": "true" if verdict.status == "valid" and verdict.signer_source == "trusted" else "false",
            "signature": verdict.status,
            "use": ",".join(sorted({k.use for k in keys})),
            "descriptors": ",".join(dict.fromkeys(k.descriptor for k in keys)),
        }
        if verdict.status == "valid" and verdict.signer_thumbprint:
            hints["signed_by"] = verdict.signer_thumbprint
        if entity.hosts:
            hints["hosts"] = ",".join(entity.hosts)
        if entity.entity_id:
            hints["entity_id"] = entity.entity_id
        if url:
            hints["url"] = url
        out.append(
            CertificateObservation(
                certificate=keys[0].certificate,
                source="metadata",
                origin=origin,
                role=role,
                line=keys[0].line,
                hints=hints,
            )
        )
    return out


def _kind(doc: MetadataDocument) -> str:
    if doc.root == "EntitiesDescriptor":
        return f"federation metadata (EntitiesDescriptor, {len(doc.entities)} entities)"
    return "federation metadata (EntityDescriptor)"


@dataclass(frozen=True)
class CheckedDocument:
    """What reading a metadata document gives before its fetch sidecar is known: the parsed
    document and its signature verdict, or why it was refused (message, line, field). The
    costly part of :func:`read_document` (the XML parse and the signature check); a plain
    record, so that another process may compute it (``fedaudit.load`` with workers)."""

    origin: str
    sha256: str  # of the bytes checked
    trusted: tuple[str, ...]  # thumbprints of the pinned signers it was checked with
    document: MetadataDocument | None = None
    verdict: SignatureVerification | None = None
    refused: tuple[str, int | None, str | None] | None = None

    def fits(self, origin: str, sha256: str, trusted: Sequence[Certificate]) -> bool:
        """True when this is the check of these bytes, under this name, with these pins."""
        return self.origin == origin and self.sha256 == sha256 and self.trusted == _pins(trusted)


def _pins(trusted: Iterable[Certificate]) -> tuple[str, ...]:
    return tuple(c.thumbprint or "" for c in trusted)


def check_document(data: bytes, origin: str, *, trusted: Iterable[Certificate] = ()) -> CheckedDocument:
    """Parse and verify one metadata document; never raises for bad input (see read_document)."""
    pinned = tuple(trusted)
    digest = hashlib.sha256(data).hexdigest()
    try:
        # One parse serves the records and the signature check.
        root = parse_tree(data, origin)
        doc = document_from_tree(root, bytes(data), origin)
        verdict = verify_tree(root, data, origin, document=doc, trusted=pinned)
    except InputError as exc:
        return CheckedDocument(origin, digest, _pins(pinned), refused=(exc.message, exc.line, exc.field))
    return CheckedDocument(origin, digest, _pins(pinned), doc, verdict)


def read_document(
    data: bytes,
    origin: str,
    sidecar: FetchSidecar | None = None,
    *,
    trusted: Iterable[Certificate] = (),
    checked: CheckedDocument | None = None,
) -> ParseResult:
    """Parse and verify one metadata document (with its fetch sidecar, if any); ``trusted`` are
    pinned signer certificates (see :func:`~.verify.verify_metadata`). ``checked``: the
    document already parsed and verified by :func:`check_document`; used only when it is the
    check of these very bytes under this origin with the same ``trusted`` (else checked again).
    Never raises for bad input: a hostile or broken document yields a record with ``error`` and
    a load issue; only :class:`~fedaudit.errors.FedauditError` escapes (and only for a caller
    error)."""
    issues: list[LoadIssue] = []
    fetch = _fetch_fields(sidecar)
    digest = hashlib.sha256(data).hexdigest()
    fetch_error = sidecar.error if sidecar else None
    if sidecar is not None and sidecar.sha256 and sidecar.sha256.lower() != digest:
        fetch_error = "body differs from the bytes fetched (sha256 mismatch)"
        issues.append(LoadIssue(origin, f"{fetch_error}; sidecar {sidecar.origin}", field="sha256", severity="high"))
    pinned = tuple(trusted)
    if checked is None or not checked.fits(origin, digest, pinned):
        checked = check_document(data, origin, trusted=pinned)
    doc, verdict = checked.document, checked.verdict
    if checked.refused is not None or doc is None or verdict is None:
        message, line, field = checked.refused or ("not read", None, None)
        issues.append(LoadIssue(origin, message, line=line, field=field, severity="high"))
        record = MetadataRecord(origin=origin, sha256=digest, error=fetch_error or message, **fetch)
        return ParseResult(
            origin=origin, kind="federation metadata (refused)", metadata=(record,), issues=tuple(issues)
        )
    issues.extend(doc.issues)
    return ParseResult(
        origin=origin,
        kind=_kind(doc),
        metadata=tuple(_records(doc, verdict, fetch, fetch_error)),
        observations=tuple(
            obs for entity in doc.entities for obs in _observations(entity, origin, verdict, fetch.get("url"))
        ),
        issues=tuple(issues),
    )


def _records(
    doc: MetadataDocument, verdict: SignatureVerification, fetch: dict[str, Any], fetch_error: str | None
) -> list[MetadataRecord]:
    error = fetch_error
    if error is None and verdict.status in ("invalid", "error"):
        error = f"signature {verdict.status}: {verdict.error}"
    common = dict(
        origin=doc.origin,
        signature=verdict.status,
        signer_thumbprint=verdict.signer_thumbprint,
        signer_not_after=verdict.signer_not_after,
        digest_algorithm=verdict.digest_algorithm,
        signature_algorithm=verdict.signature_algorithm,
        sha256=doc.sha256,
        error=error,
        **fetch,
    )
    if not doc.entities:
        return [MetadataRecord(entity_id=None, valid_until=doc.valid_until, **common)]
    return [
        MetadataRecord(entity_id=entity.entity_id, valid_until=entity.valid_until, hosts=entity.hosts, **common)
        for entity in doc.entities
    ]


def _sidecar_only(sidecar: FetchSidecar) -> ParseResult:
    error = sidecar.error
    issues = []
    if error is None:
        if sidecar.body and sidecar.body_kind == "metadata":
            error = f"the fetched body {sidecar.body} is missing from the evidence folder"
            issues.append(LoadIssue(sidecar.origin, error, field="body", severity="high"))
        else:
            error = "the response is not federation metadata"
    record = MetadataRecord(origin=sidecar.origin, sha256=sidecar.sha256, error=error, **_fetch_fields(sidecar))
    kind = "fetch evidence (failed)" if sidecar.error else "fetch evidence (no metadata)"
    return ParseResult(origin=sidecar.origin, kind=kind, metadata=(record,), issues=tuple(issues))


def read_metadata(
    documents: list[tuple[str, bytes]],
    sidecars: list[tuple[str, bytes]],
    *,
    trusted: Iterable[Certificate] = (),
    checked: Mapping[str, CheckedDocument] | None = None,
) -> list[ParseResult]:
    """Read saved metadata documents and fetch sidecars; one ParseResult per document and per
    sidecar that has no document. ``trusted``: pinned signer certificates (``--trust-cert``).
    ``checked``: documents already parsed and verified with the same ``trusted``, by origin.
    Never raises for bad input."""
    pinned = tuple(trusted)
    results: list[ParseResult] = []
    parsed: list[FetchSidecar] = []
    for origin, data in sidecars:
        try:
            parsed.append(parse_sidecar(bytes(data), origin))
        except InputError as exc:
            results.append(
                ParseResult(
                    origin=origin,
                    kind="fetch evidence (unreadable)",
                    issues=(LoadIssue(origin, exc.message, field=exc.field, severity="warning"),),
                )
            )
    by_place: dict[tuple[str, str], FetchSidecar] = {}
    by_name: dict[str, list[FetchSidecar]] = {}
    for sc in parsed:
        if sc.body:
            folder, _ = _split(sc.origin)
            by_place[(folder, sc.body)] = sc
            by_name.setdefault(sc.body, []).append(sc)
    used: set[str] = set()
    for origin, data in documents:
        data = bytes(data)
        sidecar = by_place.get(_split(origin))
        if sidecar is None:
            # Moved folders: the same file name and the same bytes still identify the fetch.
            digest = hashlib.sha256(data).hexdigest()
            same = [s for s in by_name.get(_split(origin)[1], []) if (s.sha256 or "").lower() == digest]
            sidecar = same[0] if len(same) == 1 else None
        if sidecar is not None:
            used.add(sidecar.origin)
        results.append(read_document(data, origin, sidecar, trusted=pinned, checked=(checked or {}).get(origin)))
    for sc in parsed:
        if sc.origin not in used:
            results.append(_sidecar_only(sc))
    return results
