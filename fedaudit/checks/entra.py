"""Entra ID side checks: the domain's IssuerUri, and Entra's own metadata poll.

IssuerUri must equal the AD FS ``Identifier`` unless the domain was federated with
-SupportMultipleDomain, in which case it is ``http://<domain>/adfs/services/trust/`` (or, for a
subdomain, its root's) - format notes, R6.

``signingCertificateUpdateStatus.certificateUpdateResult`` is Entra's result of its last poll of
the metadata; the documented values (Microsoft Graph, signingCertificateUpdateStatus resource type,
https://learn.microsoft.com/graph/api/resources/signingcertificateupdatestatus) are listed in
:data:`UPDATE_RESULTS` with what each means and the next step. The docs print "Success" too, so
values are compared case-insensitively. Entra polls from 35 days before expiry, daily, so inside
that window a last run older than a few days means it is not polling.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    CM_6,
    IA_5_2,
    ISO_A_8_9,
    ISO_A_8_16,
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
from fedaudit.evidence.view import EstateView, domain_state, farm_thresholds, issuer_forms, norm_uri

CHECKS: list[Check] = []

#: Every documented certificateUpdateResult value (lower case) -> (Graph's description, what it
#: means for the renewal, the kind of fix: "metadata" = the published metadata or its endpoint,
#: "settings" = the domain's federation settings in Entra ID, "certificate" = the certificate
#: Entra ID holds, "entra" = Entra ID's side).
UPDATE_RESULTS: dict[str, tuple[str, str, str]] = {
    "success": ("The attempt was successful.", "Entra ID read the metadata and took any new certificate.", "none"),
    "unknownerror": (
        "Do not know the reason for failure.",
        "Entra ID's poll failed for a reason it does not report; it keeps the certificates it holds.",
        "entra",
    ),
    "internalservererror": (
        "Something went wrong on our side.",
        "Entra ID's own service failed during the poll; it retries daily, but do not rely on it near expiry.",
        "entra",
    ),
    "novalidexistingcertfound": (
        "No valid existing signing certificate was found.",
        "Entra ID holds no valid signing certificate for the domain to trust the metadata "
        "with (expired or wrong), so it will not take new certificates from the metadata: "
        "automatic renewal has stopped for this domain.",
        "certificate",
    ),
    "nostsauthurlfound": (
        "No STS Auth Url was found.",
        "The domain's federation settings have no sign-in (STS) URL, so Entra ID does not know where the metadata is.",
        "settings",
    ),
    "nofederationprotocolfound": (
        "No federation protocol was found.",
        "The domain's federation settings name no protocol (PreferredAuthenticationProtocol), "
        "so Entra ID cannot read the metadata.",
        "settings",
    ),
    "nonewcertificatefound": (
        "No new certificate was found.",
        "Entra ID read the metadata and found no certificate it does not already hold.",
        "none",
    ),
    "couldnotaccessremotehost": (
        "Could not reach the provider to get the new certificates.",
        "The metadata endpoint is not reachable from the internet.",
        "metadata",
    ),
    "connectionerror": (
        "There was a connection error",
        "The connection to the metadata endpoint failed (TLS, reset, timeout).",
        "metadata",
    ),
    "xmlparsingerror": (
        "Failed to parse the XML",
        "The document at the metadata URL is not valid federation metadata (a proxy page, a truncated or edited file).",
        "metadata",
    ),
    "badrequest": (
        "Received BadRequest error from the fed metadata request.",
        "The metadata endpoint answered HTTP 400.",
        "metadata",
    ),
    "unauthorized": (
        "Received Unauthorized error from the fed metadata request.",
        "The metadata endpoint answered HTTP 401: it must be published without authentication.",
        "metadata",
    ),
    "forbidden": (
        "Received Forbidden error from the fed metadata request.",
        "The metadata endpoint answered HTTP 403 (a proxy or firewall rule blocks Entra ID).",
        "metadata",
    ),
    "notfound": (
        "Received NotFound error from the fed metadata request.",
        "The metadata endpoint answered HTTP 404: the URL is not published (Web Application Proxy rule?).",
        "metadata",
    ),
    "providererror": (
        "Received InternalServerError from the provider.",
        "The metadata endpoint answered HTTP 500: the AD FS service or its proxy is failing.",
        "metadata",
    ),
}

#: certificateUpdateResult values that mean "polled, nothing wrong".
OK_RESULTS = {"success"}
#: ... that mean "polled, read the metadata, found no new certificate".
NO_NEW = {"nonewcertificatefound"}


def _expected_issuer(view: EstateView, d, farm) -> str | None:
    """The IssuerUri the domain should carry: the per-domain form when the farm federates several
    top-level domains (-SupportMultipleDomain), else the AD FS Identifier."""
    fd = view.farm_domains(farm)
    if d.name in fd.root_of:  # a federated domain of the farm: its roots are looked up
        return fd.expected_issuer(d, farm.identifier)
    roots = rm.multiple_domain_roots(fd.names + [d.name])
    if len(roots) > 1:
        root = next((r for r in roots if d.name == r or d.name.endswith("." + r)), d.name)
        return f"http://{root}/adfs/services/trust/"
    return farm.identifier


_PLAIN_NAME = re.compile(r"[a-z0-9.-]+")


def _normalised_forms(domain: str) -> list[str]:
    """``norm_uri`` of each -SupportMultipleDomain form of ``domain``: the forms themselves for
    a plain host name (they are built lower-case), normalised one by one otherwise."""
    forms = issuer_forms(domain)
    if _PLAIN_NAME.fullmatch(domain.lower().strip(".")):
        return forms
    return [f for f in (norm_uri(x) for x in forms) if f]


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
    identifiers: dict[str, str | None] = {}  # each farm's Identifier, normalised once per audit
    for d in view.federated_domains:
        farm = view.farm_of(d)
        if farm is None or not farm.identifier or not d.issuer_uri:
            continue
        if farm.name not in identifiers:
            identifiers[farm.name] = norm_uri(farm.identifier)
        issuer = norm_uri(d.issuer_uri)
        if issuer == identifiers[farm.name] or issuer in _normalised_forms(d.name):
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
            remediation=rm.graph_issuer_fix(d.name, expected, d.federation_id),
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
    description="signingCertificateUpdateStatus reports a failure: each documented value has its own meaning and "
    "next step (couldNotAccessRemoteHost, connectionError, xmlParsingError and the HTTP errors: the metadata "
    "endpoint; noValidExistingCertFound: Entra ID's own certificate is not valid, so automatic renewal stopped; "
    "noStsAuthUrlFound, noFederationProtocolFound: the domain's settings; unknownError, internalServerError: "
    "Entra ID's side). Entra ID cannot pick up the next certificate and will e-mail a renewal notice. "
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
        doc, meaning, kind = UPDATE_RESULTS.get(
            result,
            ("(not a documented value)", "Entra ID reports a result the Graph documentation does not list.", "entra"),
        )
        when = f" on {d.update_last_run:%Y-%m-%d %H:%M} UTC" if d.update_last_run else ""
        if kind == "metadata":
            step = "Fix the metadata publication, or push the next certificate by hand before AD FS promotes it."
            first = (
                rm.fetch_metadata(farm.metadata_url)
                if farm
                else f"# Check the IdP metadata of {d.name} from the internet."
            )
        elif kind == "certificate":
            step = (
                "Put the certificate the IdP signs with now into Entra ID's SigningCertificate; Entra ID then "
                "trusts the metadata again."
            )
            first = None
        elif kind == "settings":
            step = "Complete the domain's federation settings (sign-in URL and protocol) in Entra ID."
            first = (
                rm.graph_read(d.name) + " | Format-List 'PassiveSignInUri', "
                "'PreferredAuthenticationProtocol', 'IssuerUri'"
            )
        else:
            step = "Entra ID keeps the certificates it holds; push the next certificate by hand rather than wait."
            first = None
        push = (
            push_to_entra(view, farm, d, as_of, th)
            if farm
            else rm.idp_renewal(
                d.name,
                d.idp,
                d.federation_id,
                slot="SigningCertificate" if kind == "certificate" else "NextSigningCertificate",
            )
        )
        yield new(
            severity="warning" if old or manual else None,
            farm=d.farm,
            domain=d.name,
            title=f"{d.name}: Entra ID's metadata poll reported {d.update_result}",
            detail=f'At its last poll{when} Entra ID reported {d.update_result} (Graph: "{doc}"). {meaning} {step}',
            evidence=_poll_facts(d),
            remediation=rm.join(first, push),
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
        expected = st.days_left is not None and st.days_left > gen_d and not st.non_adfs
        yield new(
            severity="info" if expected else None,
            farm=d.farm,
            domain=d.name,
            title=f"{d.name}: Entra ID found no new certificate in the metadata",
            detail=(
                f"Expected: the signing certificate has {st.days_left:.0f} days left and AD FS generates the next one "
                f"{gen_d:g} days before expiry."
                if expected
                else (
                    "The identity provider is not AD FS: Entra ID takes no certificate from it by itself; push the "
                    "next one by hand."
                    if st.non_adfs
                    else "AD FS should have a new certificate by now; check that the metadata lists it."
                )
            ),
            evidence=_poll_facts(d),
            remediation=None
            if expected
            else (
                rm.fetch_metadata(st.farm.metadata_url)
                if st.farm
                else rm.idp_renewal(d.name, st.idp, d.federation_id)
                if st.non_adfs
                else None
            ),
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
            remediation=rm.graph_read(d.name) + " | Select-Object -ExpandProperty SigningCertificateUpdateStatus",
            subject=None,
        )


_NAMED = 5


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:_NAMED])
    return shown + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")


def _form(d, farm) -> str | None:
    """ "identifier" (IssuerUri = the AD FS Identifier), "per-domain" (-SupportMultipleDomain form) or None."""
    issuer = norm_uri(d.issuer_uri)
    if not issuer:
        return None
    if farm.identifier and issuer == norm_uri(farm.identifier):
        return "identifier"
    if issuer in {norm_uri(f) for f in issuer_forms(d.name)}:
        return "per-domain"
    return None


@define(
    CHECKS,
    id="entra.issuer-forms-mixed",
    title="One farm's domains mix IssuerUri forms",
    severity="warning",
    reference=REF_STEP2,
    description="Among the federated domains of one AD FS farm, some carry the farm Identifier as IssuerUri and "
    "others the -SupportMultipleDomain form http://<domain>/adfs/services/trust/. AD FS issues one issuer per "
    "token by the relying-party trust's issuance rule (the -SupportMultipleDomain rule derives it from the "
    "user's UPN suffix), so the domains of one of the two forms fail with AADSTS50107 (\"the requested "
    'federation realm object does not exist"). The fix aligns them with Update-MgDomainFederationConfiguration '
    "-IssuerUri.",
    controls=(IA_5_2, CM_6, ISO_A_8_9),
    action="update-entra",
)
def issuer_forms_mixed(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm in view.farms.values():
        domains = view.domains_of(farm)
        forms = {d.name: _form(d, farm) for d in domains}
        ident = sorted(n for n, f in forms.items() if f == "identifier")
        per = sorted(n for n, f in forms.items() if f == "per-domain")
        if not ident or not per:
            continue
        roots = rm.multiple_domain_roots([d.name for d in domains])
        if len(roots) > 1:
            target = "per-domain"
            wrong = ident
        else:
            target = "identifier"
            wrong = per
        by_name = {d.name: d for d in domains}
        root_set = set(roots)
        # Name at most a few domains of each form (a farm may federate a thousand domains).
        ident_text, per_text = _some(ident), _some(per)
        examples = ident[:_NAMED] + per[:_NAMED]
        for name in wrong:
            d = by_name[name]
            if target == "per-domain":
                # the domain's own root among the farm's top-level domains (a suffix walk, not a scan)
                labels = name.split(".")
                root = next(
                    (".".join(labels[i:]) for i in range(len(labels)) if ".".join(labels[i:]) in root_set), name
                )
                expected = f"http://{root}/adfs/services/trust/"
            else:
                expected = farm.identifier or ""
            yield new(
                farm=farm.name,
                domain=name,
                title=f"{name}: IssuerUri form differs from the other domains of {farm.name}",
                detail=f"On {farm.name}, {ident_text} carry the AD FS Identifier {farm.identifier} as "
                f"IssuerUri; {per_text} carry the -SupportMultipleDomain form http://<domain>/adfs/services/trust/. "
                "The relying-party trust's issuance rule gives every token one issuer form, so sign-in for the domains "
                "of the other form fails with AADSTS50107 (the requested federation realm object does not exist). "
                + (
                    "The farm federates several top-level domains, so all need the per-domain form "
                    "(-SupportMultipleDomain)"
                    if target == "per-domain"
                    else "The farm federates one top-level domain, so all can use the Identifier"
                )
                + f": set {name} to {expected}.",
                evidence=tuple(
                    fact(f"Entra IssuerUri of {n}", by_name[n].issuer_uri, by_name[n].settings_origin)
                    for n in dict.fromkeys([name, *examples])
                )
                + (fact("AD FS Identifier", farm.identifier, farm.where),),
                remediation=rm.graph_issuer_align([(name, expected, d.federation_id)]),
                subject=d.issuer_uri,
            )
