"""Metadata checks (runbook "Renew the token signing certificate automatically", point 2):
Entra ID finds the next certificate only in the farm's published federation metadata, so it must
be reachable over valid TLS, carry a valid signature by the AD FS primary, and list the AD FS
secondary once AD FS has generated it.

Fetch evidence (``fedaudit fetch`` sidecars) gives reachability and TLS; a saved document gives
content only. No metadata at all is reported by ``evidence.metadata-missing``: unknown, not pass.
"""

from __future__ import annotations

from collections.abc import Iterator

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    ISO_A_8_16,
    ISO_A_8_24,
    REF_AUTO,
    SC_8,
    SC_17,
    SI_4,
    Check,
    Finding,
    define,
    fact,
)
from fedaudit.evidence.view import EstateView, FarmFact, MetaFact, host_of, metadata_public, next_secondaries

CHECKS: list[Check] = []
_CONTROLS = (SC_17, SC_8, SI_4, ISO_A_8_16, ISO_A_8_24)


def _facts(m: MetaFact) -> list[dict]:
    out = [fact("metadata", m.url or m.origin, m.origin)]
    if m.fetched_at is not None:
        out.append(fact("fetched at", m.fetched_at, m.origin))
    if m.http_status is not None:
        out.append(fact("HTTP status", m.http_status, m.origin))
    if m.error:
        out.append(fact("error", m.error, m.origin))
    return out


def _fix(farm: FarmFact) -> str:
    return rm.join(
        f"# Publish https://{rm.comment(farm.host_name or farm.name)}/federationmetadata/2007-06/federationmetadata.xml to the "
        "internet (Web Application Proxy) with a publicly trusted TLS certificate, then re-check:",
        rm.fetch_metadata(farm.metadata_url),
    )


def _fetch_failure(farm: FarmFact, m: MetaFact) -> bool:
    """Lower the severity of one failing URL when another fetch of the farm succeeded."""
    public, _ = metadata_public(farm.metadata)
    return public is True


@define(
    CHECKS,
    id="metadata.unreachable",
    title="Federation metadata not reachable",
    severity="high",
    reference=REF_AUTO,
    description="The metadata URL could not be fetched (DNS, connection, HTTP error): Entra ID cannot pick up the "
    "next certificate automatically (its poll result would be couldNotAccessRemoteHost). Warning instead of high "
    "when another URL of the same farm was fetched successfully. A failed URL tied to no farm is reported too "
    "(with no farm): the audit asked for it and learnt nothing.",
    controls=_CONTROLS,
    action="fix-metadata",
)
def unreachable(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    attached = {id(m) for farm in view.farms.values() for m in farm.metadata}
    for m in view.metadata:
        # A metadata URL that was asked for (check --metadata, fetch, a configured audit) and
        # could not be fetched, tied to no farm: a finding in its own right, never silence.
        if id(m) in attached or m.reachable is not False:
            continue
        yield new(
            title=f"Metadata not reachable at {m.name}",
            detail=f"Fetching {m.name} failed"
            + (f": {m.error}" if m.error else "")
            + ". Nothing was learnt from this URL, so whatever it stands for is not audited.",
            evidence=tuple(_facts(m)),
            remediation=rm.join(
                "# Check the URL, then fetch it again from the public internet:", rm.fetch_metadata(m.url or m.name)
            ),
            subject=m.url or m.origin,
        )
    for farm in view.farms.values():
        for m in farm.metadata:
            if m.reachable is not False:
                continue
            yield new(
                severity="warning" if _fetch_failure(farm, m) else None,
                farm=farm.name,
                title=f"{farm.name}: metadata not reachable at {m.name}",
                detail=f"Fetching {m.name} failed" + (f": {m.error}" if m.error else "") + ".",
                evidence=tuple(_facts(m)),
                remediation=_fix(farm),
                subject=m.url or m.origin,
            )


@define(
    CHECKS,
    id="metadata.tls-invalid",
    title="Federation metadata served with an invalid TLS certificate",
    severity="high",
    reference=REF_AUTO,
    description="The HTTPS certificate of the metadata URL did not verify: Entra ID will not read the metadata. "
    "Warning when another URL of the farm verified.",
    controls=_CONTROLS,
    action="fix-metadata",
)
def tls_invalid(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        for m in farm.metadata:
            if m.tls_verified is not False or m.insecure or m.reachable is False:
                continue
            yield new(
                severity="warning" if _fetch_failure(farm, m) else None,
                farm=farm.name,
                title=f"{farm.name}: TLS certificate of {m.name} did not verify",
                detail="The metadata was served over HTTPS whose certificate is not trusted, expired or for another "
                "host" + (f" ({m.error})" if m.error else "") + ".",
                evidence=tuple(_facts(m) + [fact("TLS verified", False, m.origin)]),
                remediation=_fix(farm),
                subject=m.url or m.origin,
            )


@define(
    CHECKS,
    id="metadata.insecure-fetch",
    title="Metadata fetched without TLS verification",
    severity="warning",
    reference=REF_AUTO,
    description="The metadata was fetched with --insecure, so whether its TLS certificate is valid is unknown and "
    "'publicly accessible' cannot be confirmed.",
    controls=_CONTROLS,
    action="fix-metadata",
)
def insecure_fetch(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        for m in farm.metadata:
            if not m.insecure:
                continue
            yield new(
                farm=farm.name,
                title=f"{farm.name}: {m.name} was fetched without verifying TLS",
                detail="Fetch again without --insecure (give --ca-bundle for a private CA) to confirm TLS.",
                evidence=tuple(_facts(m) + [fact("insecure", True, m.origin)]),
                remediation=rm.fetch_metadata(farm.metadata_url),
                subject=m.url or m.origin,
            )


@define(
    CHECKS,
    id="metadata.signature-invalid",
    title="Metadata signature does not verify",
    severity="high",
    reference=REF_AUTO,
    description="The XML signature of the metadata document is invalid (or could not be checked): the document was "
    "altered after signing or is broken, and Entra ID may refuse it (xmlParsingError).",
    controls=_CONTROLS,
    action="fix-metadata",
)
def signature_invalid(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        for m in farm.metadata:
            if m.signature not in ("invalid", "error"):
                continue
            yield new(
                farm=farm.name,
                title=f"{farm.name}: metadata signature {m.signature} ({m.name})",
                detail="The signature over the metadata does not verify"
                + (f": {m.error}" if m.error else "")
                + ". Serve the document AD FS generates, unmodified.",
                evidence=tuple(_facts(m) + [fact("signature", m.signature, m.origin)]),
                remediation=_fix(farm),
                subject=m.url or m.origin,
            )


@define(
    CHECKS,
    id="metadata.unsigned",
    title="Metadata is not signed",
    severity="warning",
    reference=REF_AUTO,
    description="AD FS signs its federation metadata with the primary token-signing certificate; an unsigned "
    "document is not the one AD FS publishes (a proxy, a copy, or another IdP).",
    controls=_CONTROLS,
    action="fix-metadata",
)
def unsigned(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        for m in farm.metadata:
            if m.signature != "absent":
                continue
            yield new(
                farm=farm.name,
                title=f"{farm.name}: metadata is not signed ({m.name})",
                detail="The document carries no XML signature.",
                evidence=tuple(_facts(m) + [fact("signature", "absent", m.origin)]),
                remediation=_fix(farm),
                subject=m.url or m.origin,
            )


@define(
    CHECKS,
    id="metadata.not-signed-by-primary",
    title="Metadata not signed by the AD FS primary",
    severity="high",
    reference=REF_AUTO,
    description="The metadata signature verifies but with a certificate other than the AD FS primary token-signing "
    "certificate: the document comes from another farm, a stale copy or a cache.",
    controls=_CONTROLS,
    action="fix-metadata",
)
def not_signed_by_primary(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        primaries = {c.thumbprint for c in farm.ts_primaries}
        if not primaries:
            continue
        for m in farm.metadata:
            if m.signature != "valid" or not m.signer_thumbprint or m.signer_thumbprint in primaries:
                continue
            yield new(
                farm=farm.name,
                title=f"{farm.name}: metadata signed by {m.signer_thumbprint[:8]}, not the AD FS primary",
                detail=f"{m.name} is signed by {m.signer_thumbprint}; the AD FS primary is {', '.join(sorted(primaries))}.",
                evidence=tuple(
                    _facts(m)
                    + [fact("signer thumbprint", m.signer_thumbprint, m.origin)]
                    + [fact("AD FS primary thumbprint", c.thumbprint, c.where) for c in farm.ts_primaries]
                ),
                remediation=_fix(farm),
                subject=m.url or m.origin,
            )


def _listed(m: MetaFact) -> set[str]:
    return {c.thumbprint for c in m.certs if c.role in (None, "token-signing")}


@define(
    CHECKS,
    id="metadata.primary-missing",
    title="Metadata does not list the AD FS primary",
    severity="high",
    reference=REF_AUTO,
    description="The published metadata does not carry the AD FS primary token-signing certificate: what Entra ID "
    "reads is not what AD FS signs with.",
    controls=_CONTROLS,
    action="fix-metadata",
)
def primary_missing(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        for m in farm.metadata:
            if not m.certs:
                continue
            listed = _listed(m)
            for c in farm.ts_primaries:
                if c.thumbprint in listed:
                    continue
                yield new(
                    farm=farm.name,
                    title=f"{farm.name}: metadata ({m.name}) does not list the AD FS primary {c.short}",
                    detail=f"The metadata lists {', '.join(sorted(listed)) or 'no token-signing certificate'}; "
                    f"AD FS signs with {c.thumbprint}.",
                    evidence=tuple(
                        _facts(m)
                        + [fact("AD FS primary thumbprint", c.thumbprint, c.where)]
                        + [fact("metadata token-signing thumbprint", t, m.origin) for t in sorted(listed)]
                    ),
                    remediation=_fix(farm),
                    subject=f"{m.url or m.origin}|{c.thumbprint}",
                )


@define(
    CHECKS,
    id="metadata.secondary-missing",
    title="Metadata does not list the AD FS secondary",
    severity="high",
    reference=REF_AUTO,
    description="AD FS has generated its next token-signing certificate but the published metadata does not list "
    "it, so Entra ID cannot pick it up before promotion. (A document fetched before the certificate's NotBefore "
    "is not held against it.)",
    controls=_CONTROLS,
    action="fix-metadata",
)
def secondary_missing(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        secs = next_secondaries(farm.ts_primaries, farm.ts_secondaries, as_of)
        if not secs:
            continue
        for m in farm.metadata:
            if not m.certs:
                continue
            listed = _listed(m)
            for c in secs:
                if c.thumbprint in listed:
                    continue
                if m.fetched_at is not None and c.not_before is not None and m.fetched_at < c.not_before:
                    continue  # fetched before AD FS generated it: not listing it then was right
                yield new(
                    farm=farm.name,
                    title=f"{farm.name}: metadata ({m.name}) does not list the AD FS secondary {c.short}",
                    detail=f"AD FS generated {c.label()}; the metadata lists {', '.join(sorted(listed)) or 'none'}. "
                    "A stale copy or cache is being served.",
                    evidence=tuple(_facts(m) + [fact("AD FS secondary thumbprint", c.thumbprint, c.where)]),
                    remediation=_fix(farm),
                    subject=f"{m.url or m.origin}|{c.thumbprint}",
                )


@define(
    CHECKS,
    id="metadata.expired",
    title="Metadata validUntil has passed",
    severity="warning",
    reference=REF_AUTO,
    description="The document's validUntil is before the audit date; consumers that honour it reject the metadata.",
    controls=_CONTROLS,
    action="fix-metadata",
)
def expired(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        for m in farm.metadata:
            if m.valid_until is None or m.valid_until >= as_of:
                continue
            yield new(
                farm=farm.name,
                title=f"{farm.name}: metadata valid only until {m.valid_until:%Y-%m-%d}",
                detail=f"{m.name} states validUntil {m.valid_until:%Y-%m-%d %H:%M} UTC.",
                evidence=tuple(_facts(m) + [fact("validUntil", m.valid_until, m.origin)]),
                remediation=_fix(farm),
                subject=m.url or m.origin,
            )


@define(
    CHECKS,
    id="metadata.tls-expiring",
    title="The metadata endpoint's TLS certificate expires soon",
    severity="warning",
    reference=REF_AUTO,
    description="The fetch recorded the NotAfter of the HTTPS certificate that served the metadata. When it expires, "
    "Entra ID can no longer read the metadata (couldNotAccessRemoteHost / connectionError) and automatic "
    "renewal stops. Warning within 30 days, high within 7 (and once expired).",
    controls=_CONTROLS,
    action="fix-metadata",
)
def tls_expiring(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    owner = {id(m): farm for farm in view.farms.values() for m in farm.metadata}
    seen: set[tuple[str, str]] = set()
    for m in view.metadata:
        if m.tls_not_after is None or m.reachable is False:
            continue
        left = (m.tls_not_after - as_of).total_seconds() / 86400
        if left >= 30:
            continue
        farm = owner.get(id(m))
        host = host_of(m.url) or m.name
        key = (farm.name if farm else "", host)
        if key in seen:
            continue
        seen.add(key)
        fix = (
            f"# Renew the TLS certificate of {host} (the Web Application Proxy / load balancer that publishes "
            "the metadata) with a publicly trusted CA before it expires, then re-check:"
        )
        yield new(
            severity="high" if left < 7 else None,
            farm=farm.name if farm else None,
            title=f"{farm.name if farm else host}: the TLS certificate of {host} "
            + (f"expires in {left:.0f} days" if left >= 0 else f"expired {-left:.0f} days ago"),
            detail=f"The HTTPS certificate that served {m.name} is valid until {m.tls_not_after:%Y-%m-%d %H:%M} UTC "
            "(recorded by the fetch). After that Entra ID cannot read the metadata and will not pick up the next "
            "token-signing certificate.",
            evidence=tuple(_facts(m) + [fact("TLS certificate NotAfter", m.tls_not_after, m.origin)]),
            remediation=rm.join(fix, rm.fetch_metadata(m.url or (farm.metadata_url if farm else m.name))),
            subject=host,
        )
