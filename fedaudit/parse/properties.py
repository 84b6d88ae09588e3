"""Property names per cmdlet, for known-key detection in console text and cmdlet recognition.

The lists come from the field lists of the format notes (``../shared/reference/formats/*.md``):
MS docs OUTPUTS sections, the AdfsDsc ``ServiceCertificate`` stub, the Graph resource pages and
the verbatim captures. A console capture shows only the properties the user selected
(``FL Source, TokenSigningCertificate``), and AD FS versions add properties, so recognition
does not ask for a full match. It asks instead that most of the printed names belong to the
cmdlet (an unrelated object that happens to print ``Name`` and ``Status`` is not a domain list),
that at least one of them is more telling than the names every other object prints, and it
scores the overlap by how *distinctive* each name is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "ALL_KNOWN",
    "CMDLET_PROPERTIES",
    "GET_ADFS_CERTIFICATE",
    "GET_ADFS_PROPERTIES",
    "GET_MG_DOMAIN",
    "GET_MG_DOMAIN_FEDERATION_CONFIGURATION",
    "GET_MSOL_DOMAIN",
    "GET_MSOL_DOMAIN_FEDERATION_SETTINGS",
    "GET_MSOL_FEDERATION_PROPERTY",
    "GRAPH_DOMAIN",
    "GRAPH_INTERNAL_DOMAIN_FEDERATION",
    "identify_cmdlet",
]

#: Get-AdfsProperties (ServiceProperties): the OUTPUTS list of the MS docs page plus the
#: properties AD FS 2019+ adds (AdditionalErrorPageInfo, ExtranetLockoutMode, PromptLogin*).
GET_ADFS_PROPERTIES: frozenset[str] = frozenset(
    [
        "AcceptableIdentifiers",
        "AddProxyAuthorizationRules",
        "AllowLocalAdminsServiceAdministration",
        "AllowSystemServiceAdministration",
        "ArtifactDbConnection",
        "AuditLevel",
        "AuthenticationContextOrder",
        "AutoCertificateRollover",
        "BrowserSsoEnabled",
        "BrowserSsoSupportedUserAgents",
        "CertificateCriticalThreshold",
        "CertificateDuration",
        "CertificateGenerationThreshold",
        "CertificatePromotionThreshold",
        "CertificateRolloverInterval",
        "CertificateSharingContainer",
        "CertificateThresholdMultiplier",
        "ClientCertRevocationCheck",
        "ContactPerson",
        "CurrentFarmBehavior",
        "DelegateServiceAdministration",
        "DeviceUsageWindowInDays",
        "DisplayName",
        "EnableIdpInitiatedSignonPage",
        "EnableOauthDeviceFlow",
        "EnableOauthLogout",
        "ExtendedProtectionTokenCheck",
        "ExtranetLockoutEnabled",
        "ExtranetLockoutRequirePDC",
        "ExtranetLockoutThreshold",
        "ExtranetObservationWindow",
        "FederationPassiveAddress",
        "GlobalRelyingPartyClaimsIssuancePolicy",
        "HostName",
        "HttpPort",
        "HttpsPort",
        "Identifier",
        "IdTokenIssuer",
        "IgnoreTokenBinding",
        "InstalledLanguage",
        "IntranetUseLocalClaimsProvider",
        "KmsiEnabled",
        "KmsiLifetimeMins",
        "LocalAuthenticationTypesEnabled",
        "LogLevel",
        "LoopDetectionEnabled",
        "LoopDetectionMaximumTokensIssuedInInterval",
        "LoopDetectionTimeIntervalInSeconds",
        "MonitoringInterval",
        "NetTcpPort",
        "NtlmOnlySupportedClientAtProxy",
        "OrganizationInfo",
        "PasswordValidationDelayInMinutes",
        "PersistentSsoCutoffTime",
        "PersistentSsoEnabled",
        "PersistentSsoLifetimeMins",
        "PreventTokenReplays",
        "ProxyTrustTokenLifetime",
        "RelayStateForIdpInitiatedSignOnEnabled",
        "ReplayCacheExpirationInterval",
        "SamlMessageDeliveryWindow",
        "SendClientRequestIdAsQueryStringParameter",
        "SignedSamlRequestsRequired",
        "SignSamlAuthnRequests",
        "SsoLifetime",
        "TlsClientPort",
        "WiaEvaluationMethod",
        "WIASupportedUserAgents",
        "AdditionalErrorPageInfo",
        "ExtranetLockoutMode",
        "PromptLoginFederation",
        "PromptLoginFallbackAuthenticationType",
    ]
)

#: Get-AdfsCertificate (ServiceCertificate, AdfsDsc stub).
GET_ADFS_CERTIFICATE: frozenset[str] = frozenset(
    ["Certificate", "CertificateType", "IsPrimary", "StoreLocation", "StoreName", "Thumbprint"]
)

#: Get-MsolFederationProperty: the confirmed properties plus SupportsMfa and
#: PreferredAuthenticationProtocol (listed by the brief, not seen verbatim).
GET_MSOL_FEDERATION_PROPERTY: frozenset[str] = frozenset(
    [
        "Source",
        "TokenSigningCertificate",
        "NextTokenSigningCertificate",
        "ActiveClientSignInUrl",
        "FederationServiceDisplayName",
        "FederationServiceIdentifier",
        "FederationMetadataUrl",
        "PassiveClientSignInUrl",
        "PassiveClientSignOutUrl",
        "SupportsMfa",
        "PreferredAuthenticationProtocol",
    ]
)

#: Get-MsolDomainFederationSettings ``| Format-List *`` order.
GET_MSOL_DOMAIN_FEDERATION_SETTINGS: frozenset[str] = frozenset(
    [
        "ExtensionData",
        "ActiveLogOnUri",
        "DefaultInteractiveAuthenticationMethod",
        "FederationBrandName",
        "IssuerUri",
        "LogOffUri",
        "MetadataExchangeUri",
        "NextSigningCertificate",
        "OpenIdConnectDiscoveryEndpoint",
        "PassiveLogOnUri",
        "PasswordChangeUri",
        "PasswordResetUri",
        "PreferredAuthenticationProtocol",
        "PromptLoginBehavior",
        "SigningCertificate",
        "SigningCertificateUpdateStatus",
        "SupportsMfa",
    ]
)

#: Get-MsolDomain (Microsoft.Online.Administration.Domain).
GET_MSOL_DOMAIN: frozenset[str] = frozenset(
    ["Authentication", "Capabilities", "ExtensionData", "IsDefault", "IsInitial", "Name", "RootDomain", "Status"]
)

#: Get-MgDomain (Format-List of the SDK model).
GET_MG_DOMAIN: frozenset[str] = frozenset(
    [
        "AuthenticationType",
        "AvailabilityStatus",
        "DomainNameReferences",
        "FederationConfiguration",
        "Id",
        "IsAdminManaged",
        "IsDefault",
        "IsInitial",
        "IsRoot",
        "IsVerified",
        "Manufacturer",
        "Model",
        "PasswordNotificationWindowInDays",
        "PasswordValidityPeriodInDays",
        "RootDomain",
        "ServiceConfigurationRecords",
        "State",
        "SupportedServices",
        "VerificationDnsRecords",
        "AdditionalProperties",
    ]
)

#: Get-MgDomainFederationConfiguration (PascalCase SDK model).
GET_MG_DOMAIN_FEDERATION_CONFIGURATION: frozenset[str] = frozenset(
    [
        "ActiveSignInUri",
        "DisplayName",
        "FederatedIdpMfaBehavior",
        "Id",
        "IsSignedAuthenticationRequestRequired",
        "IssuerUri",
        "MetadataExchangeUri",
        "NextSigningCertificate",
        "PassiveSignInUri",
        "PasswordResetUri",
        "PreferredAuthenticationProtocol",
        "PromptLoginBehavior",
        "SignOutUri",
        "SigningCertificate",
        "SigningCertificateUpdateStatus",
        "AdditionalProperties",
    ]
)

#: Graph REST ``internalDomainFederation`` (camelCase JSON keys).
GRAPH_INTERNAL_DOMAIN_FEDERATION: frozenset[str] = frozenset(
    [
        "@odata.type",
        "@odata.context",
        "id",
        "displayName",
        "issuerUri",
        "metadataExchangeUri",
        "signingCertificate",
        "passiveSignInUri",
        "preferredAuthenticationProtocol",
        "activeSignInUri",
        "signOutUri",
        "promptLoginBehavior",
        "isSignedAuthenticationRequestRequired",
        "nextSigningCertificate",
        "signingCertificateUpdateStatus",
        "federatedIdpMfaBehavior",
        "passwordResetUri",
    ]
)

#: Graph REST ``domain`` (camelCase JSON keys).
GRAPH_DOMAIN: frozenset[str] = frozenset(
    [
        "@odata.context",
        "id",
        "authenticationType",
        "availabilityStatus",
        "isAdminManaged",
        "isDefault",
        "isInitial",
        "isRoot",
        "isVerified",
        "manufacturer",
        "model",
        "passwordNotificationWindowInDays",
        "passwordValidityPeriodInDays",
        "supportedServices",
        "state",
    ]
)

#: Recognition name -> property names. Keys are the names :func:`identify_cmdlet` returns:
#: cmdlet names, and ``internalDomainFederation`` / ``domain`` for Graph REST JSON.
CMDLET_PROPERTIES: Mapping[str, frozenset[str]] = {
    "Get-AdfsProperties": GET_ADFS_PROPERTIES,
    "Get-AdfsCertificate": GET_ADFS_CERTIFICATE,
    "Get-MsolFederationProperty": GET_MSOL_FEDERATION_PROPERTY,
    "Get-MsolDomainFederationSettings": GET_MSOL_DOMAIN_FEDERATION_SETTINGS,
    "Get-MsolDomain": GET_MSOL_DOMAIN,
    "Get-MgDomain": GET_MG_DOMAIN,
    "Get-MgDomainFederationConfiguration": GET_MG_DOMAIN_FEDERATION_CONFIGURATION,
    "internalDomainFederation": GRAPH_INTERNAL_DOMAIN_FEDERATION,
    "domain": GRAPH_DOMAIN,
}

#: Every property name above (exact case), for known-key detection in Format-List text.
ALL_KNOWN: frozenset[str] = frozenset().union(*CMDLET_PROPERTIES.values())

_FOLDED = {name: frozenset(p.lower() for p in props) for name, props in CMDLET_PROPERTIES.items()}
# How many recognition sets hold each (case-folded) name: a name in one set is distinctive.
_SPREAD: dict[str, int] = {}
for _props in _FOLDED.values():
    for _p in _props:
        _SPREAD[_p] = _SPREAD.get(_p, 0) + 1

#: Names that countless unrelated objects print (Get-Service, Get-Process, Get-ChildItem, CIM
#: classes, X509Certificate2, Get-AdfsRelyingPartyTrust, ...). They count toward a cmdlet's share
#: of the printed names, but names from this list alone never recognise a cmdlet: ``Name : x``
#: is not a Get-MsolDomain row, ``Manufacturer, Model`` is not a Graph domain.
_COMMON: frozenset[str] = frozenset(
    ["name", "status", "displayname", "id", "state", "source", "model", "manufacturer", "thumbprint"]
)

#: Names PowerShell itself adds (remoting, jobs) and OData annotations: they say nothing about
#: which cmdlet ran, so they neither help nor hurt a cmdlet's share.
_NEUTRAL: frozenset[str] = frozenset({"pscomputername", "psshowcomputername", "runspaceid", "pssourcejobinstanceid"})

#: Columns that are not the cmdlet's properties but that its mapper reads, so they are explained
#: (they count toward the share, never as evidence): the fedaudit collector's ``DomainName`` on
#: the Entra settings objects, the certificate's dates and subject beside Get-AdfsCertificate
#: (``Select CertificateType, Thumbprint, @{n='NotAfter';e={$_.Certificate.NotAfter}}``).
_EXPLAINED_TOO: Mapping[str, frozenset[str]] = {
    "Get-AdfsCertificate": frozenset({"notafter", "notbefore", "not after", "not before", "subject"}),
    "Get-MsolFederationProperty": frozenset({"domainname"}),
    "Get-MsolDomainFederationSettings": frozenset({"domainname"}),
    # Get-EntraFederationProperty returns this object with six MSOnline-style alias properties
    # added (microsoftgraph/entra-powershell, Get-EntraFederationProperty.ps1: Add-Member
    # -MemberType AliasProperty); they name the same values, so they explain, never recognise.
    "Get-MgDomainFederationConfiguration": frozenset(
        {
            "domainname",
            "domainid",
            "activeclientsigninurl",
            "federationservicedisplayname",
            "federationserviceidentifier",
            "federationmetadataurl",
            "passiveclientsigninurl",
            "passiveclientsignouturl",
        }
    ),
}


def _neutral(folded_name: str) -> bool:
    return folded_name in _NEUTRAL or folded_name.startswith("@odata.")


def identify_cmdlet(property_names: Iterable[str]) -> str | None:
    """The cmdlet (or Graph resource) whose properties best explain ``property_names``.

    ``property_names`` are the names one object prints. Case-insensitive. A cmdlet qualifies
    only when

    * more than half of the printed names are its properties (or columns its mapper reads,
      such as ``NotAfter`` beside Get-AdfsCertificate); names PowerShell adds itself
      (``PSComputerName``, ``RunspaceId``) and ``@odata.*`` annotations are left out of the count;
    * at least two names match (or the single name given);
    * at least one match is more telling than the names every object prints (``Name``,
      ``Status``, ``Id``, ``DisplayName``, ... on their own recognise nothing).

    Among the qualifying cmdlets each matching name scores ``1 / (number of sets holding it)``,
    so distinctive names (``TokenSigningCertificate``, ``IsPrimary``) outweigh shared ones
    (``Id``, ``IssuerUri``). A tie goes to the set with more exact-case matches (Graph camelCase
    vs SDK PascalCase). Returns None when no cmdlet qualifies or the best is still a tie
    (``["IssuerUri", "SigningCertificate"]``: Get-MsolDomainFederationSettings or
    Get-MgDomainFederationConfiguration?).
    """
    given = [n for n in property_names if isinstance(n, str) and n.strip()]
    if not given:
        return None
    exact = {n.strip() for n in given}
    folded = {n.lower() for n in exact}
    counted = {n for n in folded if not _neutral(n)}
    ranked = []
    for name, props in _FOLDED.items():
        hits = folded & props
        if len(hits) < min(2, len(folded)) or not (hits - _COMMON) - _NEUTRAL:
            continue
        explained = counted & (props | _EXPLAINED_TOO.get(name, frozenset()))
        if 2 * len(explained) <= len(counted):
            continue
        score = sum(1.0 / _SPREAD[h] for h in hits)
        exact_hits = len(exact & CMDLET_PROPERTIES[name])
        ranked.append(((round(score, 6), exact_hits), name))
    if not ranked:
        return None
    ranked.sort(reverse=True)
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        return None
    return ranked[0][1]
