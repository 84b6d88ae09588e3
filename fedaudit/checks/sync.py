"""Sync checks (runbook Step 2): does Entra ID hold the certificates AD FS signs with?

Entra ID accepts tokens signed by either of its two certificates (SigningCertificate and
NextSigningCertificate; "there is no primary/secondary concept on the Entra side"), so the test
is membership: the AD FS primary must be one of them, and the AD FS secondary should be too
before AD FS promotes it. Get-MsolFederationProperty's two ``Source`` records, the MSOnline
settings and the Graph federation configuration all feed the same comparison; with several
Entra exports of one domain the AD FS certificate must be in every one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    CP_2,
    IA_5_2,
    ISO_A_8_24,
    REF_MANUAL2,
    REF_STEP2,
    SC_12,
    SC_17,
    Check,
    Finding,
    Thresholds,
    define,
    fact,
)
from fedaudit.checks._fix import push_to_entra
from fedaudit.checks.rollover import primary_of, projection
from fedaudit.evidence.view import DomainFact, DomainState, EstateView, domain_state, norm_uri

CHECKS: list[Check] = []
_CONTROLS = (IA_5_2, SC_12, SC_17, CP_2, ISO_A_8_24)


def entra_facts(d: DomainFact) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for c in d.entra_current:
        out.append(fact("Entra SigningCertificate thumbprint", c.thumbprint, c.where))
    for c in d.entra_next:
        out.append(fact("Entra NextSigningCertificate thumbprint", c.thumbprint, c.where))
    seen = {c.thumbprint for c in d.entra_current + d.entra_next}
    for t in sorted(d.current_tps - seen):
        out.append(fact("Entra SigningCertificate thumbprint", t, d.settings_origin))
    for t in sorted(d.next_tps - seen):
        out.append(fact("Entra NextSigningCertificate thumbprint", t, d.settings_origin))
    return out


def _states(view: EstateView, as_of: Any, th: Thresholds) -> Iterator[DomainState]:
    for d in view.federated_domains:
        yield domain_state(view, d, as_of, th)


@define(
    CHECKS,
    id="sync.primary-not-in-entra",
    title="Entra ID does not hold the AD FS primary token-signing certificate",
    severity="critical",
    reference=REF_STEP2,
    description="The certificate AD FS signs tokens with today is neither Entra's SigningCertificate nor its "
    "NextSigningCertificate for the domain: Entra ID rejects the tokens, so sign-in for the domain fails now.",
    controls=_CONTROLS,
    action="update-entra",
)
def primary_not_in_entra(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for st in _states(view, as_of, th):
        if st.primary_in_entra is not False:
            continue
        d = st.domain
        for c in st.missing_primary:
            yield new(
                farm=d.farm,
                domain=d.name,
                title=f"{d.name}: Entra ID does not hold AD FS's primary signing certificate {c.short}",
                detail=f"AD FS signs with {c.label()}; Entra ID holds "
                + (", ".join(sorted(d.entra_thumbprints)) or "nothing")
                + f" for {d.name}. Tokens for {d.name} are rejected until Entra ID is updated.",
                evidence=tuple([fact("AD FS primary thumbprint", c.thumbprint, c.where)] + entra_facts(d)),
                remediation=push_to_entra(view, st.farm, d, as_of, th),
                subject=c.thumbprint,
            )


@define(
    CHECKS,
    id="sync.secondary-not-in-entra",
    title="Entra ID does not hold the AD FS secondary (next) certificate",
    severity="high",
    reference=f"{REF_STEP2}; {REF_MANUAL2}",
    description="AD FS has generated its next token-signing certificate but Entra ID does not hold it for the "
    "domain. When AD FS promotes it, sign-in breaks unless Entra ID has picked it up from the metadata (it polls "
    "daily from 35 days before expiry) or it is pushed by hand. Warning instead of high while the certificate is "
    "younger than poll_stale_days (3) with rollover on, public metadata and a promotion date inside Entra ID's "
    "polling window: Entra ID's next poll should fetch it.",
    controls=_CONTROLS,
    action="update-entra",
)
def secondary_not_in_entra(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for st in _states(view, as_of, th):
        if st.secondary_in_entra is not False or st.primary_in_entra is False:
            continue
        d = st.domain
        for c in st.missing_secondary:
            fresh = (
                st.rollover is True
                and st.metadata_public is True
                and c.not_before is not None
                and as_of - c.not_before <= dt.timedelta(days=th.poll_stale_days)
                and _polls_before_promotion(st, as_of, th)
            )
            yield new(
                severity="warning" if fresh else None,
                farm=d.farm,
                domain=d.name,
                title=f"{d.name}: Entra ID does not yet hold AD FS's next signing certificate {c.short}",
                detail=f"AD FS secondary {c.label()} is not among the certificates Entra ID holds for {d.name}. "
                "With public metadata Entra ID should pick it up at its next daily poll; otherwise push it before "
                "AD FS promotes it.",
                evidence=tuple([fact("AD FS secondary thumbprint", c.thumbprint, c.where)] + entra_facts(d)),
                remediation=push_to_entra(view, st.farm, d, as_of, th),
                subject=c.thumbprint,
            )


def _polls_before_promotion(st: DomainState, as_of: dt.datetime, th: Thresholds) -> bool:
    """True when Entra ID's polling window (35 days before the primary expires) opens before AD FS
    promotes the secondary: only then can its next poll fetch the certificate in time."""
    farm = st.farm
    if farm is None:
        return False
    primary = primary_of(farm)
    if primary is None or primary.not_after is None:
        return False
    p = projection(farm, primary, th, as_of)
    return p["promotion"] >= p["entra_polling_start"]


@define(
    CHECKS,
    id="sync.entra-stale-certificate",
    title="Entra ID holds a certificate AD FS no longer has",
    severity="warning",
    reference=REF_STEP2,
    description="A certificate in Entra's SigningCertificate/NextSigningCertificate that AD FS lists neither as "
    "primary nor secondary. Entra ID accepts tokens signed by either slot, so it keeps accepting tokens signed "
    "with that old key: high while the certificate is still valid (a rotation away from it, for instance after "
    "a compromise, is not complete until Entra ID forgets it), warning once it has expired. The fix overwrites "
    "the slot with the certificate AD FS holds.",
    controls=_CONTROLS,
    action="update-entra",
)
def entra_stale_certificate(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for st in _states(view, as_of, th):
        if not st.adfs_primaries or st.domain.farm is None:
            continue
        d = st.domain
        farm = st.farm
        known = {c.thumbprint for c in st.adfs_primaries} | {
            c.thumbprint for c in (farm.ts_secondaries if farm else []) + d.adfs_secondaries
        }
        primary = st.days_cert if st.days_cert in st.adfs_primaries else st.adfs_primaries[0]
        nxt = max(st.adfs_secondaries, key=lambda c: c.not_after or as_of) if st.adfs_secondaries else None
        for t in sorted(d.entra_thumbprints - known):
            held = next((c for c in d.entra_current + d.entra_next if c.thumbprint == t), None)
            valid = held is not None and held.not_after is not None and held.not_after > as_of
            in_current = t in d.current_tps
            if in_current:
                signing, next_ = (
                    primary.thumbprint,
                    (nxt.thumbprint if nxt and nxt.thumbprint not in d.next_tps else None),
                )
            else:
                signing, next_ = None, (nxt.thumbprint if nxt else primary.thumbprint)
                if primary.thumbprint not in d.current_tps:
                    signing = primary.thumbprint
            yield new(
                severity="high" if valid else None,
                farm=d.farm,
                domain=d.name,
                title=f"{d.name}: Entra ID still holds {t[:8]}, which AD FS no longer lists",
                detail=(
                    "Entra ID accepts tokens signed by this certificate too"
                    + (
                        f", and it is valid until {held.not_after:%Y-%m-%d}: whoever holds its private key can "
                        f"still sign in to {d.name}"
                        if valid and held is not None and held.not_after
                        else ""
                    )
                    + f". It sits in Entra ID's {'SigningCertificate' if in_current else 'NextSigningCertificate'}; "
                    "overwrite it with the certificate AD FS holds."
                ),
                evidence=tuple(entra_facts(d)),
                remediation=rm.graph_overwrite(d.name, d.federation_id, signing=signing, next_=next_, farm=d.farm),
                subject=t,
            )


@define(
    CHECKS,
    id="sync.idp-certificate-not-in-entra",
    title="The identity provider publishes a signing certificate Entra ID does not hold",
    severity="high",
    reference=f"{REF_STEP2}; {REF_MANUAL2}",
    description="For a domain whose identity provider is not AD FS (Okta, PingFederate, Shibboleth, ...), Entra ID "
    "does not read the provider's metadata: it holds only what was pushed to it. When the provider's own "
    "metadata (loaded with fedaudit fetch or as a file, matched by entityID = IssuerUri) lists a valid signing "
    "certificate Entra ID holds in neither slot, sign-in breaks when the provider switches to it. Push it now "
    "as NextSigningCertificate.",
    controls=_CONTROLS,
    action="update-entra",
)
def idp_certificate_not_in_entra(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for st in _states(view, as_of, th):
        d = st.domain
        if not st.non_adfs or not d.issuer_uri or not d.has_entra_certs:
            continue
        issuer = norm_uri(d.issuer_uri)
        metas = [m for m in view.metadata if m.entity_id and norm_uri(m.entity_id) == issuer]
        seen: set[str] = set()
        for m in metas:
            for c in m.certs:
                if c.role not in (None, "token-signing") or c.thumbprint in d.entra_thumbprints or c.thumbprint in seen:
                    continue
                if c.not_after is not None and c.not_after <= as_of:
                    continue
                seen.add(c.thumbprint)
                yield new(
                    domain=d.name,
                    title=f"{d.name}: the identity provider's metadata lists {c.short}, which Entra ID does not hold",
                    detail=f"{m.name} (entityID {m.entity_id}) lists signing certificate {c.label()}; Entra ID holds "
                    + (", ".join(sorted(d.entra_thumbprints)) or "nothing")
                    + f" for {d.name}. Entra ID does not fetch it by itself: push it before the identity provider "
                    "signs with it.",
                    evidence=tuple([fact("IdP metadata signing thumbprint", c.thumbprint, m.origin)] + entra_facts(d)),
                    remediation=rm.idp_renewal(d.name, st.idp, d.federation_id, thumbprint=c.thumbprint),
                    subject=c.thumbprint,
                )
