"""Entra ID side checks: the domain's IssuerUri, and Entra's own metadata poll.

IssuerUri must equal the AD FS ``Identifier`` unless the domain was federated with
-SupportMultipleDomain, in which case it is ``http://<domain>/adfs/services/trust/`` (or, for a
subdomain, its root's) - format notes, R6.

``signingCertificateUpdateStatus.certificateUpdateResult`` is Entra's result of its last poll of
the metadata (enum: success, noNewCertificateFound, couldNotAccessRemoteHost, xmlParsingError,
...; the docs print "Success" too, so values are compared case-insensitively). Entra polls from
35 days before expiry, daily, so inside that window a last run older than a few days means it is
not polling.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    CM_6,
    IA_5_2,
    ISO_A_8_16,
    ISO_A_8_9,
    REF_NOTIFICATION,
    REF_STEP2,
    REF_UPDATE_STEPS,
    SI_4,
    Check,
    Finding,
    define,
    fact,
)
from fedaudit.checks._fix import push_to_entra
from fedaudit.evidence.view import EstateView, norm_uri, domain_state, farm_thresholds, issuer_forms

CHECKS: list[Check] = []

#: certificateUpdateResult values that mean "polled, nothing wrong".
OK_RESULTS = {"success"}
#: ... that mean "polled, read the metadata, found no new certificate".
NO_NEW = {"nonewcertificatefound"}


def _expected_issuer(view: EstateView, d, farm) -> str | None:
    """The IssuerUri the domain should carry: the per-domain form when the farm federates several
    top-level domains (-SupportMultipleDomain), else the AD FS Identifier."""
    roots = rm.multiple_domain_roots([x.name for x in view.domains_of(farm)] + [d.name])
    if len(roots) > 1:
        root = next((r for r in roots if d.name == r or d.name.endswith("." + r)), d.name)
        return f"http://{root}/adfs/services/trust/"
    return farm.identifier


@define(
    CHECKS,
    id="entra.issuer-uri-mismatch",
    title="IssuerUri does not match the AD FS Identifier",
    severity="high",
    reference=REF_STEP2,
    description="Entra's IssuerUri for the domain is neither the AD FS Identifier nor the -SupportMultipleDomain "
    "form http://<domain>/adfs/services/trust/: tokens from the farm carry an issuer Entra ID does not expect.",
    controls=(IA_5_2, CM_6, ISO_A_8_9),
    action="update-entra",
)
def issuer_uri_mismatch(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for d in view.federated_domains:
        farm = view.farm_of(d)
        if farm is None or not farm.identifier or not d.issuer_uri:
            continue
        allowed = {norm_uri(farm.identifier)} | {norm_uri(f) for f in issuer_forms(d.name)}
        if norm_uri(d.issuer_uri) in allowed:
            continue
        expected = _expected_issuer(view, d, farm) or farm.identifier
        yield new(
            farm=farm.name,
            domain=d.name,
            title=f"{d.name}: IssuerUri {d.issuer_uri} does not match {farm.name}",
            detail=f"AD FS Identifier is {farm.identifier}; the -SupportMultipleDomain form would be "
            f"{issuer_forms(d.name)[0]}. Entra ID holds {d.issuer_uri}.",
            evidence=(
                fact("Entra IssuerUri", d.issuer_uri, d.settings_origin),
                fact("AD FS Identifier", farm.identifier, farm.where),
            ),
            remediation=rm.join(
                push_to_entra(view, farm, d, as_of, th).split("\n\n")[0],
                rm.graph_issuer_fix(d.name, expected, d.federation_id),
            ),
            subject=d.issuer_uri,
        )


def _days_left(view: EstateView, d, as_of, th) -> float | None:
    return domain_state(view, d, as_of, th).days_left


def _poll_facts(d) -> tuple[dict, ...]:
    out = [fact("certificateUpdateResult", d.update_result, d.settings_origin)]
    if d.update_last_run is not None:
        out.append(fact("lastRunDateTime", d.update_last_run, d.settings_origin))
    return tuple(out)


@define(
    CHECKS,
    id="entra.poll-failed",
    title="Entra ID's last metadata poll failed",
    severity="high",
    reference=REF_NOTIFICATION,
    description="signingCertificateUpdateStatus reports a failure (couldNotAccessRemoteHost, xmlParsingError, "
    "connectionError, ...): Entra ID cannot pick up the next certificate and will e-mail a renewal notice. "
    "Warning instead of high when the poll is older than the 35-day window (an earlier cycle), or when "
    "AutoCertificateRollover is off (the manual path, where the poll is expected to fail; "
    "expiry.manual-renewal-due covers the renewal).",
    controls=(SI_4, ISO_A_8_16),
    action="fix-metadata",
)
def poll_failed(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for d in view.federated_domains:
        result = d.update_result_norm
        if result is None or result in OK_RESULTS or result in NO_NEW:
            continue
        old = d.update_last_run is not None and d.update_last_run < as_of - dt.timedelta(days=th.expiry_warning_days)
        farm = view.farm_of(d)
        manual = farm is not None and farm.rollover is False
        yield new(
            severity="warning" if old or manual else None,
            farm=d.farm,
            domain=d.name,
            title=f"{d.name}: Entra ID's metadata poll reported {d.update_result}",
            detail="Entra ID could not read the federation metadata at its last poll"
            + (f" on {d.update_last_run:%Y-%m-%d %H:%M} UTC" if d.update_last_run else "")
            + ". Fix the metadata publication, or push the next certificate by hand.",
            evidence=_poll_facts(d),
            remediation=rm.join(
                rm.fetch_metadata(farm.metadata_url) if farm else f"# Check the IdP metadata of {d.name} from the internet.",
                push_to_entra(view, farm, d, as_of, th) if farm else None,
            ),
            subject=d.update_result,
        )


@define(
    CHECKS,
    id="entra.poll-no-new-certificate",
    title="Entra ID polled but found no new certificate",
    severity="warning",
    reference=REF_NOTIFICATION,
    description="Entra ID read the metadata (noNewCertificateFound) but saw no new certificate. Before AD FS's "
    "generation date that is expected (info: the case behind notifications sent when no action is needed); after "
    "it, the next certificate is not being published.",
    controls=(SI_4, ISO_A_8_16),
    action="fix-metadata",
)
def poll_no_new(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for d in view.federated_domains:
        if d.update_result_norm not in NO_NEW:
            continue
        st = domain_state(view, d, as_of, th)
        gen_d, _, _, _ = farm_thresholds(st.farm, th)
        expected = st.days_left is not None and st.days_left > gen_d
        yield new(
            severity="info" if expected else None,
            farm=d.farm,
            domain=d.name,
            title=f"{d.name}: Entra ID found no new certificate in the metadata",
            detail=(
                f"Expected: the signing certificate has {st.days_left:.0f} days left and AD FS generates the next one "
                f"{gen_d:g} days before expiry."
                if expected
                else "AD FS should have a new certificate by now; check that the metadata lists it."
            ),
            evidence=_poll_facts(d),
            remediation=None if expected else (rm.fetch_metadata(st.farm.metadata_url) if st.farm else None),
            subject=d.update_result,
        )


@define(
    CHECKS,
    id="entra.poll-stale",
    title="Entra ID is not polling the metadata",
    severity="warning",
    reference=REF_UPDATE_STEPS,
    description="Inside the 35-day window Entra ID polls the metadata daily; a lastRunDateTime older than "
    "poll_stale_days (3) means it is not.",
    controls=(SI_4, ISO_A_8_16),
    action="fix-metadata",
)
def poll_stale(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for d in view.federated_domains:
        if d.update_last_run is None or d.update_last_run > as_of:
            continue
        days = _days_left(view, d, as_of, th)
        if days is None or not (0 <= days < th.expiry_warning_days):
            continue
        age = (as_of - d.update_last_run).total_seconds() / 86400
        if age <= th.poll_stale_days:
            continue
        yield new(
            farm=d.farm,
            domain=d.name,
            title=f"{d.name}: Entra ID's last metadata poll was {age:.0f} days ago",
            detail=f"The signing certificate expires in {days:.0f} days, inside the window where Entra ID polls daily, "
            f"but its last run was {d.update_last_run:%Y-%m-%d %H:%M} UTC.",
            evidence=_poll_facts(d),
            remediation=f"Get-MgDomainFederationConfiguration -DomainId {d.name} | Select-Object -ExpandProperty "
            "SigningCertificateUpdateStatus",
            subject=None,
        )
