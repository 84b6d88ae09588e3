"""AD FS and Entra records rendered as each cmdlet's output, in every form it appears in.

Used by :mod:`support.synth` (which re-exports the public names), the sample generator and the
load benchmark; never by the audit. Each record (:class:`AdfsProperties`, :class:`AdfsCertificate`,
:class:`FederationSettings`, :class:`FederationProperty`, :class:`Domain`) builds the PowerShell
object its cmdlet returns (type names, properties in output order); :mod:`support._psforms`
prints it. :data:`WRITERS` maps ``(cmdlet, form)`` to a writer. Shapes follow the format notes
(``formats/*.md``); Graph REST bodies are rendered here directly.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from support._psforms import (
    MIN_VALUE,
    PSCert,
    PSEnum,
    PSObj,
    PSUri,
    format_list,
    format_table,
    to_clixml,
    to_csv,
    to_json51,
    to_json7,
)
from support.synth import thumbprint

__all__ = [
    "WRITERS",
    "AdfsCertificate",
    "AdfsProperties",
    "Domain",
    "FederationProperty",
    "FederationSettings",
    "graph_domains",
    "graph_federation_configuration",
]

UTC = dt.timezone.utc

# ---------------------------------------------------------------------------------------------
# Records -> PowerShell objects
# ---------------------------------------------------------------------------------------------

_NS_ADFS = "Microsoft.IdentityServer.Management.Resources"


@dataclass(frozen=True)
class AdfsCertificate:
    """One object of ``Get-AdfsCertificate``. AD FS-generated certificates report
    ``StoreLocation CurrentUser`` / ``StoreName My`` although they live in the configuration
    database; certificates taken from the machine store report ``LocalMachine``."""

    der: bytes
    certificate_type: str = "Token-Signing"
    is_primary: bool = True
    store_location: str = "CurrentUser"
    store_name: str = "My"

    @property
    def thumbprint(self) -> str:
        return thumbprint(self.der)

    def ps(self) -> PSObj:
        return PSObj(
            (f"{_NS_ADFS}.ServiceCertificate", "System.Object"),
            (
                ("Certificate", PSCert(self.der)),
                ("CertificateType", self.certificate_type),
                ("IsPrimary", self.is_primary),
                ("StoreLocation", PSEnum("System.Security.Cryptography.X509Certificates.StoreLocation", self.store_location, {"CurrentUser": 1, "LocalMachine": 2}[self.store_location])),
                ("StoreName", PSEnum("System.Security.Cryptography.X509Certificates.StoreName", self.store_name, {"AddressBook": 1, "AuthRoot": 2, "CertificateAuthority": 3, "Disallowed": 4, "My": 5, "Root": 6, "TrustedPeople": 7, "TrustedPublisher": 8}[self.store_name])),
                ("Thumbprint", thumbprint(self.der)),
            ),
            f"{_NS_ADFS}.ServiceCertificate",
        )


_PROXY_RULES = (
    # The default rule set (MS docs Get-AdfsProperties sample); it does not end in a newline.
    'exists([Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid", Value == "S-1-5-32-544", Issuer =~ "^AD AUTHORITY$"]) => '
    'issue(Type = "http://schemas.microsoft.com/authorization/claims/permit", Value = "true");\n'
    'c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid", Issuer =~ "^AD AUTHORITY$" ]\n'
    " => issue(store=\"_ProxyCredentialStore\",types=(\"http://schemas.microsoft.com/authorization/claims/permit\"),query=\"isProxyTrustManagerSid({0})\", param=c.Value );\n"
    'c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/proxytrustid", Issuer =~ "^SELF AUTHORITY$" ]\n'
    " => issue(store=\"_ProxyCredentialStore\",types=(\"http://schemas.microsoft.com/authorization/claims/permit\"),query=\"isProxyTrustProvisioned({0})\", param=c.Value );"
)


@dataclass(frozen=True)
class AdfsProperties:
    """What ``Get-AdfsProperties`` says about one farm (the certificate fields plus enough of the
    rest to look real). ``identifier`` defaults to ``http://<host_name>/adfs/services/trust``."""

    host_name: str
    identifier: str | None = None
    display_name: str = "AD FS"
    auto_certificate_rollover: bool = True
    certificate_critical_threshold: int = 2
    certificate_duration: int = 365
    certificate_generation_threshold: int = 20
    certificate_promotion_threshold: int = 5
    certificate_rollover_interval: int = 720
    certificate_threshold_multiplier: int = 1440
    installed_language: str = "en-US"
    sharing_container: str = "CN=e6ddcbbc-5dc9-4ef2-9354-5e9ba1cac82d,CN=ADFS,CN=Microsoft,CN=Program Data,DC=contoso,DC=com"

    @property
    def farm_identifier(self) -> str:
        return self.identifier or f"http://{self.host_name}/adfs/services/trust"

    def ps(self) -> PSObj:
        enum = PSEnum
        ns_pm = "Microsoft.IdentityServer.PolicyModel.Configuration"
        props: list[tuple[str, Any]] = [
            ("AcceptableIdentifiers", []),
            ("AddProxyAuthorizationRules", _PROXY_RULES),
            ("ArtifactDbConnection", "Data Source=np:\\\\.\\pipe\\microsoft##wid\\tsql\\query;Initial Catalog=AdfsArtifactStore;Integrated Security=True"),
            ("AuthenticationContextOrder", [PSUri(u) for u in (
                "urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
                "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                "urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient",
                "urn:oasis:names:tc:SAML:2.0:ac:classes:X509",
                "urn:federation:authentication:windows",
                "urn:oasis:names:tc:SAML:2.0:ac:classes:Kerberos",
            )]),
            ("AutoCertificateRollover", self.auto_certificate_rollover),
            ("CertificateCriticalThreshold", self.certificate_critical_threshold),
            ("CertificateDuration", self.certificate_duration),
            ("CertificateGenerationThreshold", self.certificate_generation_threshold),
            ("CertificatePromotionThreshold", self.certificate_promotion_threshold),
            ("CertificateRolloverInterval", self.certificate_rollover_interval),
            ("CertificateSharingContainer", self.sharing_container),
            ("CertificateThresholdMultiplier", self.certificate_threshold_multiplier),
            ("ClientCertRevocationCheck", enum(f"{ns_pm}.RevocationSetting", "None", 0)),
            ("ContactPerson", PSObj((f"{_NS_ADFS}.ContactPerson", "System.Object"), (
                ("Company", None), ("EmailAddresses", []), ("GivenName", None), ("TelephoneNumbers", []), ("Surname", None)))),
            ("DisplayName", self.display_name),
            ("IntranetUseLocalClaimsProvider", False),
            ("ExtendedProtectionTokenCheck", enum(f"{ns_pm}.ProtectionPolicySetting", "Allow", 1)),
            ("FederationPassiveAddress", "/adfs/ls/"),
            ("HostName", self.host_name),
            ("HttpPort", 80),
            ("HttpsPort", 443),
            ("TlsClientPort", 49443),
            ("Identifier", PSUri(self.farm_identifier)),
            ("InstalledLanguage", self.installed_language),
            ("LogLevel", ["Errors", "Information", "Verbose", "Warnings"]),
            ("MonitoringInterval", 1440),
            ("NetTcpPort", 1501),
            ("NtlmOnlySupportedClientAtProxy", True),
            ("OrganizationInfo", None),
            ("PreventTokenReplays", False),
            ("ProxyTrustTokenLifetime", 21600),
            ("ReplayCacheExpirationInterval", 60),
            ("SignedSamlRequestsRequired", False),
            ("SamlMessageDeliveryWindow", 5),
            ("SignSamlAuthnRequests", False),
            ("SsoLifetime", 480),
            ("PersistentSsoLifetimeMins", 10080),
            ("PersistentSsoEnabled", True),
            ("PersistentSsoCutoffTime", MIN_VALUE),
            ("KmsiEnabled", False),
            ("LoopDetectionEnabled", True),
            ("LoopDetectionTimeIntervalInSeconds", 20),
            ("LoopDetectionMaximumTokensIssuedInInterval", 5),
            ("SendClientRequestIdAsQueryStringParameter", True),
            ("WIASupportedUserAgents", ["MSIE 6.0", "MSIE 7.0", "MSIE 8.0", "MSIE 9.0", "MSIE 10.0", "Trident/7.0", "MSIPC", "Windows Rights Management Client"]),
            ("ExtranetLockoutThreshold", 2147483647),
            ("ExtranetLockoutEnabled", False),
            ("ExtranetObservationWindow", dt.timedelta(minutes=30)),
        ]
        return PSObj((f"{_NS_ADFS}.ServiceProperties", "System.Object"), tuple(props))


def _b64(der: bytes | None) -> str | None:
    return base64.b64encode(der).decode("ascii") if der is not None else None


@dataclass(frozen=True)
class FederationSettings:
    """An Entra domain's federation settings: MSOnline ``DomainFederationSettings`` and Graph
    ``internalDomainFederation`` are two views of the same thing.

    :meth:`for_adfs` fills the AD FS URLs. ``multi_domain`` gives the -SupportMultipleDomain
    IssuerUri ``http://<domain>/adfs/services/trust/``.
    """

    domain: str
    issuer_uri: str
    passive_sign_in_uri: str
    active_sign_in_uri: str | None
    sign_out_uri: str | None
    metadata_exchange_uri: str | None
    signing_certificate: bytes | None
    next_signing_certificate: bytes | None = None
    display_name: str | None = None
    preferred_authentication_protocol: str = "wsFed"  # Graph spelling; MSOnline prints WsFed/Samlp
    prompt_login_behavior: str | None = None
    federated_idp_mfa_behavior: str | None = None
    id: str = ""
    update_result: str | None = None
    update_last_run: dt.datetime | None = None
    supports_mfa: bool | None = None

    @classmethod
    def for_adfs(
        cls,
        domain: str,
        host_name: str,
        signing: bytes | None,
        next_signing: bytes | None = None,
        *,
        identifier: str | None = None,
        multi_domain: bool = False,
        display_name: str | None = None,
        update_result: str | None = None,
        update_last_run: dt.datetime | None = None,
        federated_idp_mfa_behavior: str | None = None,
    ) -> "FederationSettings":
        issuer = f"http://{domain}/adfs/services/trust/" if multi_domain else (identifier or f"http://{host_name}/adfs/services/trust")
        return cls(
            domain=domain,
            issuer_uri=issuer,
            passive_sign_in_uri=f"https://{host_name}/adfs/ls/",
            active_sign_in_uri=f"https://{host_name}/adfs/services/trust/2005/usernamemixed",
            sign_out_uri=f"https://{host_name}/adfs/ls/",
            metadata_exchange_uri=f"https://{host_name}/adfs/services/trust/mex",
            signing_certificate=signing,
            next_signing_certificate=next_signing,
            display_name=display_name,
            id=str(uuid.uuid5(uuid.NAMESPACE_DNS, f"federation.{domain}")),
            update_result=update_result,
            update_last_run=update_last_run,
            federated_idp_mfa_behavior=federated_idp_mfa_behavior,
        )

    # -- MSOnline --------------------------------------------------------------------------
    def msol(self) -> PSObj:
        """``Get-MsolDomainFederationSettings | Format-List *`` property set and order."""
        protocol = {"wsFed": "WsFed", "saml": "Samlp"}.get(self.preferred_authentication_protocol, self.preferred_authentication_protocol)
        prompt = {"translateToFreshPasswordAuthentication": "TranslateToFreshPasswordAuth", "nativeSupport": "NativeSupport", "disabled": "Disabled"}.get(self.prompt_login_behavior or "", self.prompt_login_behavior)
        return PSObj(
            ("Microsoft.Online.Administration.DomainFederationSettings", "System.Object"),
            (
                ("ExtensionData", PSObj(("System.Runtime.Serialization.ExtensionDataObject", "System.Object"), ())),
                ("ActiveLogOnUri", self.active_sign_in_uri),
                ("DefaultInteractiveAuthenticationMethod", None),
                ("FederationBrandName", self.display_name),
                ("IssuerUri", self.issuer_uri),
                ("LogOffUri", self.sign_out_uri),
                ("MetadataExchangeUri", self.metadata_exchange_uri),
                ("NextSigningCertificate", _b64(self.next_signing_certificate)),
                ("OpenIdConnectDiscoveryEndpoint", None),
                ("PassiveLogOnUri", self.passive_sign_in_uri),
                ("PasswordChangeUri", None),
                ("PasswordResetUri", None),
                ("PreferredAuthenticationProtocol", protocol),
                ("PromptLoginBehavior", prompt),
                ("SigningCertificate", _b64(self.signing_certificate)),
                ("SigningCertificateUpdateStatus", None),
                ("SupportsMfa", self.supports_mfa),
            ),
        )

    # -- Graph PowerShell ------------------------------------------------------------------
    def mg(self, *, with_context: bool = True) -> PSObj:
        """``Get-MgDomainFederationConfiguration`` object (PascalCase properties, Graph enum values;
        the nested update status prints as its type name; ``AdditionalProperties`` holds
        ``@odata.context`` when the object was fetched by id)."""
        status = PSObj(
            ("Microsoft.Graph.PowerShell.Models.MicrosoftGraphSigningCertificateUpdateStatus", "System.Object"),
            (("CertificateUpdateResult", self.update_result), ("LastRunDateTime", self.update_last_run), ("AdditionalProperties", {})),
        )
        additional = {"@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#domains('{self.domain}')/federationConfiguration/$entity"} if with_context else {}
        return PSObj(
            ("Microsoft.Graph.PowerShell.Models.MicrosoftGraphInternalDomainFederation", "System.Object"),
            (
                ("ActiveSignInUri", self.active_sign_in_uri),
                ("DisplayName", self.display_name),
                ("FederatedIdpMfaBehavior", self.federated_idp_mfa_behavior),
                ("Id", self.id),
                ("IsSignedAuthenticationRequestRequired", None),
                ("IssuerUri", self.issuer_uri),
                ("MetadataExchangeUri", self.metadata_exchange_uri),
                ("NextSigningCertificate", _b64(self.next_signing_certificate)),
                ("PassiveSignInUri", self.passive_sign_in_uri),
                ("PreferredAuthenticationProtocol", self.preferred_authentication_protocol),
                ("PromptLoginBehavior", self.prompt_login_behavior),
                ("SignOutUri", self.sign_out_uri),
                ("SigningCertificate", _b64(self.signing_certificate)),
                ("SigningCertificateUpdateStatus", status),
                ("AdditionalProperties", additional),
            ),
        )

    # -- Graph REST ------------------------------------------------------------------------
    def graph(self) -> dict[str, Any]:
        """The ``internalDomainFederation`` resource as Graph returns it (camelCase, ISO 8601 UTC
        with seven fractional digits for ``lastRunDateTime``)."""
        status: dict[str, Any] | None = None
        if self.update_result is not None or self.update_last_run is not None:
            status = {"certificateUpdateResult": self.update_result, "lastRunDateTime": _graph_time(self.update_last_run)}
        return {
            "@odata.type": "#microsoft.graph.internalDomainFederation",
            "id": self.id,
            "displayName": self.display_name,
            "issuerUri": self.issuer_uri,
            "metadataExchangeUri": self.metadata_exchange_uri,
            "signingCertificate": _b64(self.signing_certificate),
            "passiveSignInUri": self.passive_sign_in_uri,
            "preferredAuthenticationProtocol": self.preferred_authentication_protocol,
            "activeSignInUri": self.active_sign_in_uri,
            "signOutUri": self.sign_out_uri,
            "promptLoginBehavior": self.prompt_login_behavior,
            "isSignedAuthenticationRequestRequired": False,
            "nextSigningCertificate": _b64(self.next_signing_certificate),
            "federatedIdpMfaBehavior": self.federated_idp_mfa_behavior,
            "signingCertificateUpdateStatus": status,
        }


def _graph_time(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    v = value.astimezone(UTC)
    return v.strftime("%Y-%m-%dT%H:%M:%S") + f".{v.microsecond * 10:07d}Z"


@dataclass(frozen=True)
class FederationProperty:
    """One of the two records ``Get-MsolFederationProperty -DomainName d`` prints: ``Source``
    ``ADFS Server`` (read live from AD FS) or ``Microsoft Office 365`` (what Entra holds)."""

    source: str
    token_signing_certificate: bytes | None
    next_token_signing_certificate: bytes | None = None
    identifier: str | None = None
    host_name: str | None = None
    display_name: str | None = None

    def ps(self) -> PSObj:
        host = self.host_name or ""
        return PSObj(
            ("Microsoft.Online.Administration.FederationProperty", "System.Object"),
            (
                ("Source", self.source),
                ("ActiveClientSignInUrl", f"https://{host}/adfs/services/trust/2005/usernamemixed" if host else None),
                ("FederationServiceDisplayName", self.display_name),
                ("FederationServiceIdentifier", self.identifier),
                ("FederationMetadataUrl", f"https://{host}/adfs/services/trust/mex" if host else None),
                ("PassiveClientSignInUrl", f"https://{host}/adfs/ls/" if host else None),
                ("PassiveClientSignOutUrl", f"https://{host}/adfs/ls/" if host else None),
                ("TokenSigningCertificate", PSCert(self.token_signing_certificate) if self.token_signing_certificate else None),
                ("NextTokenSigningCertificate", PSCert(self.next_token_signing_certificate) if self.next_token_signing_certificate else None),
            ),
        )


@dataclass(frozen=True)
class Domain:
    """An Entra domain as ``Get-MsolDomain`` / ``Get-MgDomain`` / Graph ``domain`` show it."""

    name: str
    authentication: str = "Federated"  # Federated | Managed
    status: str = "Verified"
    is_default: bool = False
    is_initial: bool = False
    root_domain: str | None = None

    def msol(self) -> PSObj:
        return PSObj(
            ("Microsoft.Online.Administration.Domain", "System.Object"),
            (
                ("Authentication", PSEnum("Microsoft.Online.Administration.DomainAuthenticationType", self.authentication, {"Managed": 0, "Federated": 1}[self.authentication])),
                ("Capabilities", PSEnum("Microsoft.Online.Administration.DomainCapabilities", "Email, OfficeCommunicationsOnline", 5)),
                ("IsDefault", self.is_default),
                ("IsInitial", self.is_initial),
                ("Name", self.name),
                ("RootDomain", self.root_domain),
                ("Status", PSEnum("Microsoft.Online.Administration.DomainStatus", self.status, {"Unverified": 0, "Verified": 1, "PendingDeletion": 2}[self.status])),
                ("VerificationMethod", PSEnum("Microsoft.Online.Administration.DomainVerificationMethod", "DnsRecord", 1) if not self.is_initial else None),
            ),
        )

    def mg(self) -> PSObj:
        return PSObj(
            ("Microsoft.Graph.PowerShell.Models.MicrosoftGraphDomain", "System.Object"),
            (
                ("AuthenticationType", self.authentication),
                ("AvailabilityStatus", None),
                ("DomainNameReferences", None),
                ("Id", self.name),
                ("IsAdminManaged", True),
                ("IsDefault", self.is_default),
                ("IsInitial", self.is_initial),
                ("IsRoot", self.root_domain is None),
                ("IsVerified", self.status == "Verified"),
                ("Manufacturer", None),
                ("Model", None),
                ("PasswordNotificationWindowInDays", 14),
                ("PasswordValidityPeriodInDays", 2147483647),
                ("ServiceConfigurationRecords", None),
                ("State", PSObj(("Microsoft.Graph.PowerShell.Models.MicrosoftGraphDomainState", "System.Object"), ())),
                ("SupportedServices", ["Email", "OfficeCommunicationsOnline"]),
                ("VerificationDnsRecords", None),
                ("AdditionalProperties", {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains/$entity"}),
            ),
        )

    def graph(self) -> dict[str, Any]:
        return {
            "authenticationType": self.authentication,
            "availabilityStatus": None,
            "id": self.name,
            "isAdminManaged": True,
            "isDefault": self.is_default,
            "isInitial": self.is_initial,
            "isRoot": self.root_domain is None,
            "isVerified": self.status == "Verified",
            "supportedServices": ["Email", "OfficeCommunicationsOnline"],
            "passwordValidityPeriodInDays": None,
            "passwordNotificationWindowInDays": None,
            "state": None,
        }


# ---------------------------------------------------------------------------------------------
# Cmdlet x form writers
# ---------------------------------------------------------------------------------------------


def _graph_json(body: dict[str, Any], *, indent: bool) -> str:
    if indent:  # Graph Explorer's response pane
        return json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False) + "\n"  # raw response body


def graph_federation_configuration(settings: FederationSettings, *, as_list: bool = False, indent: bool = True) -> str:
    """``GET /domains/{d}/federationConfiguration[/{id}]``: one entity with ``@odata.context``, or
    the collection (``value`` list) that the list call returns."""
    base = f"https://graph.microsoft.com/v1.0/$metadata#domains('{settings.domain}')/federationConfiguration"
    if as_list:
        body = {"@odata.context": base, "value": [settings.graph()]}
    else:
        body = {"@odata.context": base + "/$entity", **settings.graph()}
    return _graph_json(body, indent=indent)


def graph_domains(domains: Sequence[Domain], *, indent: bool = True) -> str:
    """``GET /domains``: the tenant's domains with ``authenticationType``."""
    body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains", "value": [d.graph() for d in domains]}
    return _graph_json(body, indent=indent)


def _fl(objs: Sequence[PSObj], **kw: Any) -> str:
    return format_list(objs, **kw)


def _select(obj: PSObj, properties: Sequence[str] | None) -> PSObj:
    """``| Format-List a, b`` (``None``: every property)."""
    return obj if properties is None else obj.select(properties)


def _adfs_certificate_table(certs: Sequence[AdfsCertificate], **kw: Any) -> str:
    """``Get-AdfsCertificate | ft CertificateType, Thumbprint, IsPrimary, @{n='NotAfter';e={$_.Certificate.NotAfter}}``."""
    from cryptography import x509

    rows = [
        PSObj(("System.Management.Automation.PSCustomObject", "System.Object"), (
            ("CertificateType", c.certificate_type),
            ("Thumbprint", c.thumbprint),
            ("IsPrimary", c.is_primary),
            ("NotAfter", x509.load_der_x509_certificate(c.der).not_valid_after_utc),
        ))
        for c in certs
    ]
    return format_table(rows, **kw)


def _msol_property(records: Sequence[FederationProperty], *, properties: Sequence[str] = ("Source", "TokenSigningCertificate"), **kw: Any) -> str:
    """``Get-MsolFederationProperty -DomainName d | FL Source, TokenSigningCertificate`` (the
    runbook's idiom); pass ``properties=None`` for ``FL *``."""
    objs = [r.ps() for r in records]
    if properties is not None:
        objs = [o.select(properties) for o in objs]
    return format_list(objs, **kw)


def _msol_domain_table(domains: Sequence[Domain], **kw: Any) -> str:
    return format_table([d.msol() for d in domains], ["Name", "Status", "Authentication"], **kw)


def _mg_domain_table(domains: Sequence[Domain], **kw: Any) -> str:
    cols = ["Id", "AuthenticationType", "AvailabilityStatus", "IsAdminManaged", "IsDefault", "IsInitial", "IsRoot", "IsVerified"]
    return format_table([d.mg() for d in domains], cols, ps7=True, **kw)


#: ``(cmdlet, form) -> writer(records, **options) -> str``. Forms: ``list`` (Format-List),
#: ``table`` (Format-Table), ``json51`` / ``json7`` (ConvertTo-Json), ``clixml`` (Export-Clixml),
#: ``csv`` (Export-Csv), ``graph`` (Graph REST body). Records are the dataclasses above; the
#: options are the keyword arguments of the renderer each writer calls.
WRITERS: dict[tuple[str, str], Callable[..., str]] = {
    ("Get-AdfsProperties", "list"): lambda props, properties=None, **kw: _fl([_select(p.ps(), properties) for p in props], **kw),
    ("Get-AdfsProperties", "json51"): lambda props, **kw: to_json51([p.ps() for p in props], **kw),
    ("Get-AdfsProperties", "json7"): lambda props, **kw: to_json7([p.ps() for p in props], **kw),
    ("Get-AdfsProperties", "clixml"): lambda props, **kw: to_clixml([p.ps() for p in props], **kw),
    ("Get-AdfsCertificate", "list"): lambda certs, **kw: _fl([c.ps() for c in certs], **kw),
    ("Get-AdfsCertificate", "table"): _adfs_certificate_table,
    ("Get-AdfsCertificate", "json51"): lambda certs, **kw: to_json51([c.ps() for c in certs], **kw),
    ("Get-AdfsCertificate", "json7"): lambda certs, **kw: to_json7([c.ps() for c in certs], **kw),
    ("Get-AdfsCertificate", "clixml"): lambda certs, **kw: to_clixml([c.ps() for c in certs], **kw),
    ("Get-AdfsCertificate", "csv"): lambda certs, **kw: to_csv([c.ps() for c in certs], **kw),
    ("Get-MsolFederationProperty", "list"): _msol_property,
    ("Get-MsolDomainFederationSettings", "list"): lambda settings, **kw: _fl([s.msol() for s in settings], **kw),
    ("Get-MsolDomain", "table"): _msol_domain_table,
    ("Get-MgDomain", "list"): lambda domains, **kw: _fl([d.mg() for d in domains], ps7=True, **kw),
    ("Get-MgDomain", "table"): _mg_domain_table,
    ("Get-MgDomain", "graph"): graph_domains,
    ("Get-MgDomainFederationConfiguration", "list"): lambda settings, **kw: _fl([s.mg() for s in settings], ps7=True, **kw),
    ("Get-MgDomainFederationConfiguration", "graph"): lambda settings, **kw: graph_federation_configuration(settings[0], **kw),
}
