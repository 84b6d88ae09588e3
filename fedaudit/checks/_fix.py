"""Remediation text that depends on the joined view: which farm, which domains, which certificates.

One block per farm: the certificates are chosen here by thumbprint (the AD FS primary, and the
next secondary or the one AD FS is about to generate); which Entra slot each goes to is decided by
the PowerShell itself, per domain, from what Entra ID holds when it runs, so the certificate AD FS
signs with now is never overwritten (:func:`fedaudit.checks.remediation.graph_sync_farm`).
"""

from __future__ import annotations

import datetime as dt

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import Thresholds
from fedaudit.evidence.view import CertFact, DomainFact, EstateView, FarmFact, adfs_view, next_secondaries

__all__ = ["farm_domain_names", "push_to_entra", "renew_manually"]


def farm_domain_names(view: EstateView, farm: FarmFact | None, domain: DomainFact | None) -> list[DomainFact]:
    """Every federated domain of the farm (or the lone domain when the farm is unknown)."""
    if farm is not None:
        ds = view.domains_of(farm)
        if domain is not None and all(d.name != domain.name for d in ds):
            ds = [*ds, domain]
        return sorted(ds, key=lambda d: d.name)
    return [domain] if domain is not None else []


def _latest(certs: list[CertFact]) -> CertFact | None:
    dated = [c for c in certs if c.not_after is not None]
    if dated:
        return max(dated, key=lambda c: c.not_after)  # type: ignore[arg-type,return-value]
    return certs[0] if certs else None


def _certificates(
    view: EstateView, farm: FarmFact | None, domain: DomainFact | None
) -> tuple[list[CertFact], list[CertFact]]:
    """AD FS primaries and secondaries behind the farm (or, without a farm, behind the domain)."""
    if farm is not None:
        return farm.ts_primaries, farm.ts_secondaries
    if domain is not None:
        return adfs_view(view, domain)
    return [], []


def self_signed(farm: FarmFact | None, primaries: list[CertFact]) -> bool:
    """True when every known token-signing certificate of the farm is self-signed (the only kind
    Entra Connect's Reset Microsoft Entra ID trust acts on)."""
    flags = [c.self_signed for c in primaries + (farm.ts_secondaries if farm else [])]
    return bool(flags) and all(f is True for f in flags)


def push_to_entra(
    view: EstateView,
    farm: FarmFact | None,
    domain: DomainFact | None,
    as_of: dt.datetime,
    th: Thresholds,
    *,
    new_secondary: bool = False,
) -> str:
    """Runbook manual Step 2 for every federated domain of the farm, with Microsoft Graph
    PowerShell; plus the Entra Connect task for self-signed farms.

    The text depends on the farm, not on which of its domains a finding is about, so it is
    written once per farm and audit (memoised on the view) and every finding of the farm shares it."""
    if farm is not None and (domain is None or domain.name in view.farm_domains(farm).root_of):
        key = ("push_to_entra", farm.name, as_of, th, new_secondary)
        if key not in view.cache:
            view.cache[key] = _push_to_entra(view, farm, None, as_of, th, new_secondary)
        return view.cache[key]
    return _push_to_entra(view, farm, domain, as_of, th, new_secondary)


def _push_to_entra(
    view: EstateView,
    farm: FarmFact | None,
    domain: DomainFact | None,
    as_of: dt.datetime,
    th: Thresholds,
    new_secondary: bool,
) -> str:
    domains = [d.name for d in farm_domain_names(view, farm, domain)]
    prim, sec = _certificates(view, farm, domain)
    primary = _latest(prim)
    if primary is None or not domains:
        return rm.adfs_show(farm.name if farm else None)
    nxt = _latest(next_secondaries(prim, sec, as_of))
    secondary = nxt.thumbprint if nxt else (rm.NEW_SECONDARY if new_secondary else None)
    fname = farm.name if farm else None
    graph = rm.graph_sync_farm(
        fname,
        domains,
        primary.thumbprint,
        secondary,
        known=[c.thumbprint for c in prim + sec],
        host=(farm.host_name or farm.name) if farm else None,
    )
    connect = rm.connect_reset_trust(fname) if farm is not None and self_signed(farm, prim) else None
    return rm.join(graph, connect)


def renew_manually(
    view: EstateView, farm: FarmFact | None, domain: DomainFact | None, as_of: dt.datetime, th: Thresholds
) -> str:
    """Manual renewal, Steps 1 and 2: get a new certificate into AD FS, then into Entra ID."""
    fname = farm.name if farm else "the AD FS farm"
    has_secondary = bool(farm and next_secondaries(farm.ts_primaries, farm.ts_secondaries, as_of))
    if farm is not None and farm.rollover is False:
        if has_secondary:
            return push_to_entra(view, farm, domain, as_of, th)
        return rm.join(
            rm.adfs_add_ca_certificate(fname), push_to_entra(view, farm, domain, as_of, th, new_secondary=True)
        )
    if has_secondary:
        return push_to_entra(view, farm, domain, as_of, th)
    return rm.join(rm.adfs_generate(fname), push_to_entra(view, farm, domain, as_of, th, new_secondary=True))
