"""Remediation text that depends on the joined view: which domains, which slot, which certificate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fedaudit._util import issuer_forms
from fedaudit.checks import remediation as rm
from fedaudit.evidence.view import (
    CertFact,
    DomainFact,
    DomainState,
    EstateView,
    FarmFact,
    domain_state,
    next_secondaries,
)

__all__ = ["farm_domain_names", "plan_push", "push_to_entra", "renew_manually"]


def farm_domain_names(view: EstateView, farm: FarmFact | None, domain: DomainFact | None) -> list[DomainFact]:
    """Every federated domain of the farm (or the lone domain when the farm is unknown)."""
    if farm is not None:
        ds = view.domains_of(farm)
        if domain is not None and not _in_farm(view, farm, domain):
            ds = sorted(ds + [domain], key=lambda d: d.name)
        return ds
    return [domain] if domain is not None else []


def _has_issuer_form(d: DomainFact) -> bool:
    issuer = d.issuer_uri
    return issuer is not None and issuer.strip().lower() in issuer_forms(d.name)


def _in_farm(view: EstateView, farm: FarmFact, domain: DomainFact) -> bool:
    fd = view.farm_domains(farm)
    return domain.name in fd.root_of


def _latest(certs: list[CertFact]) -> CertFact | None:
    dated = [c for c in certs if c.not_after is not None]
    if dated:
        return max(dated, key=lambda c: c.not_after)  # type: ignore[arg-type,return-value]
    return certs[0] if certs else None


def plan_push(state: DomainState, *, new_secondary: bool = False) -> tuple[str | None, str | None] | None:
    """(thumbprint for -SigningCertificate, thumbprint for -NextSigningCertificate) that bring
    Entra ID in line with AD FS for one domain, or None when nothing needs pushing.

    The AD FS primary goes to SigningCertificate when Entra ID lacks it (with the secondary as
    NextSigningCertificate); a missing secondary goes to NextSigningCertificate, or to
    SigningCertificate when Entra ID keeps the AD FS primary in NextSigningCertificate, so the
    certificate that signs today's tokens is never overwritten (remediation notes, R4).
    """
    primary = state.days_cert if state.days_cert in state.adfs_primaries else _latest(state.adfs_primaries)
    if primary is None:
        return None
    d = state.domain
    secondary = _latest(state.adfs_secondaries)
    if new_secondary and secondary is None:
        sec_tp: str | None = rm.NEW_SECONDARY
    else:
        sec_tp = secondary.thumbprint if secondary else None
    if state.primary_in_entra is False:
        return primary.thumbprint, sec_tp
    if sec_tp is not None and (sec_tp == rm.NEW_SECONDARY or state.secondary_in_entra is False):
        if primary.thumbprint in d.next_tps and primary.thumbprint not in d.current_tps:
            return sec_tp, None
        return None, sec_tp
    return None


def push_to_entra(
    view: EstateView,
    farm: FarmFact | None,
    domain: DomainFact | None,
    as_of: dt.datetime,
    th: Any,
    *,
    new_secondary: bool = False,
) -> str:
    """Runbook manual Step 2 for every federated domain of the farm: MSOnline, Graph, Connect.

    The text depends on the farm, not on which of its domains a finding is about, so it is
    written once per farm and audit (memoised on the view) and every finding of the farm
    shares it."""
    if farm is not None and (domain is None or _in_farm(view, farm, domain)):
        key = ("push_to_entra", farm.name, as_of, th, new_secondary)
        if key not in view.cache:
            view.cache[key] = _push_to_entra(view, farm, view.domains_of(farm), as_of, th, new_secondary)
        return view.cache[key]
    return _push_to_entra(view, farm, farm_domain_names(view, farm, domain), as_of, th, new_secondary)


def _push_to_entra(
    view: EstateView,
    farm: FarmFact | None,
    domains: list[DomainFact],
    as_of: dt.datetime,
    th: Any,
    new_secondary: bool,
) -> str:
    # rm.needs_support_multiple_domain for each domain, with the roots of the list computed once
    multiple = len(rm.multiple_domain_roots(d.name for d in domains)) > 1
    msol = rm.msol_update(
        farm.name if farm else None,
        [(d.name, multiple or _has_issuer_form(d)) for d in domains],
    )
    pushes: list[tuple[str, str | None, str | None, str | None]] = []
    unknown: list[str] = []
    for d in domains:
        state = domain_state(view, d, as_of, th)
        if not d.has_entra_certs:
            unknown.append(d.name)
            continue
        plan = plan_push(state, new_secondary=new_secondary)
        if plan is not None:
            pushes.append((d.name, plan[0], plan[1], d.federation_id))
    graph = rm.graph_push(farm.name if farm else None, pushes, unknown=unknown)
    return rm.join(msol, graph, rm.connect_repair(farm.name if farm else None))


def renew_manually(
    view: EstateView, farm: FarmFact | None, domain: DomainFact | None, as_of: dt.datetime, th: Any
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
