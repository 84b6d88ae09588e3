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
from typing import Any, Iterator

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
    define,
    fact,
)
from fedaudit.checks._fix import push_to_entra
from fedaudit.evidence.view import DomainFact, DomainState, EstateView, domain_state

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


def _states(view: EstateView, as_of: Any, th: Any) -> Iterator[DomainState]:
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
    "younger than poll_stale_days (3) with rollover on and public metadata: Entra ID's next poll should fetch it.",
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


@define(
    CHECKS,
    id="sync.entra-stale-certificate",
    title="Entra ID holds a certificate AD FS no longer has",
    severity="info",
    reference=REF_STEP2,
    description="A certificate in Entra's SigningCertificate/NextSigningCertificate that AD FS lists neither as "
    "primary nor secondary: harmless leftovers of an earlier rollover, replaced at the next update.",
    controls=_CONTROLS,
    action="none",
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
        for t in sorted(d.entra_thumbprints - known):
            yield new(
                farm=d.farm,
                domain=d.name,
                title=f"{d.name}: Entra ID still holds {t[:8]}, which AD FS no longer lists",
                detail="Entra ID accepts tokens signed by this certificate too; it is replaced at the next "
                "Update-MsolFederatedDomain / Update-MgDomainFederationConfiguration.",
                evidence=tuple(entra_facts(d)),
                subject=t,
            )
