"""Property names per cmdlet, for known-key detection in console text and cmdlet recognition.

The lists come from the field lists of the format notes (``../shared/reference/formats/*.md``):
MS docs OUTPUTS sections, the AdfsDsc ``ServiceCertificate`` stub, the Graph resource pages and
the verbatim captures. A console capture shows only the properties the user selected
(``FL Source, TokenSigningCertificate``), and AD FS versions add properties, so recognition
scores the overlap of *distinctive* names rather than asking for a full match.
"""

from __future__ import annotations

from typing import Iterable, Mapping

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
    """
    AcceptableIdentifiers AddProxyAuthorizationRules AllowLocalAdminsServiceAdministration
    AllowSystemServiceAdministration ArtifactDbConnection AuditLevel AuthenticationContextOrder
    AutoCertificateRollover BrowserSsoEnabled BrowserSsoSupportedUserAgents
    CertificateCriticalThreshold CertificateDuration CertificateGenerationThreshold
    CertificatePromotionThreshold CertificateRolloverInterval CertificateSharingContainer
    CertificateThresholdMultiplier ClientCertRevocationCheck ContactPerson CurrentFarmBehavior
    DelegateServiceAdministration DeviceUsageWindowInDays DisplayName EnableIdpInitiatedSignonPage
    EnableOauthDeviceFlow EnableOauthLogout ExtendedProtectionTokenCheck ExtranetLockoutEnabled
    ExtranetLockoutRequirePDC ExtranetLockoutThreshold ExtranetObservationWindow
    FederationPassiveAddress GlobalRelyingPartyClaimsIssuancePolicy HostName HttpPort HttpsPort
    Identifier IdTokenIssuer IgnoreTokenBinding InstalledLanguage IntranetUseLocalClaimsProvider
    KmsiEnabled KmsiLifetimeMins LocalAuthenticationTypesEnabled LogLevel LoopDetectionEnabled
    LoopDetectionMaximumTokensIssuedInInterval LoopDetectionTimeIntervalInSeconds
    MonitoringInterval NetTcpPort NtlmOnlySupportedClientAtProxy OrganizationInfo
    PasswordValidationDelayInMinutes PersistentSsoCutoffTime PersistentSsoEnabled
    PersistentSsoLifetimeMins PreventTokenReplays ProxyTrustTokenLifetime
    RelayStateForIdpInitiatedSignOnEnabled ReplayCacheExpirationInterval SamlMessageDeliveryWindow
    SendClientRequestIdAsQueryStringParameter SignedSamlRequestsRequired SignSamlAuthnRequests
    SsoLifetime TlsClientPort WiaEvaluationMethod WIASupportedUserAgents
    AdditionalErrorPageInfo ExtranetLockoutMode PromptLoginFederation
    PromptLoginFallbackAuthenticationType
    """.split()
)

#: Get-AdfsCertificate (ServiceCertificate, AdfsDsc stub).
GET_ADFS_CERTIFICATE: frozenset[str] = frozenset(
    ["Certificate", "CertificateType", "IsPrimary", "StoreLocation", "StoreName", "Thumbprint"]
)

#: Get-MsolFederationProperty: the confirmed properties plus SupportsMfa and
#: PreferredAuthenticationProtocol (listed by the brief, not seen verbatim).
GET_MSOL_FEDERATION_PROPERTY: frozenset[str] = frozenset(
    """
    Source TokenSigningCertificate NextTokenSigningCertificate ActiveClientSignInUrl
    FederationServiceDisplayName FederationServiceIdentifier FederationMetadataUrl
    PassiveClientSignInUrl PassiveClientSignOutUrl SupportsMfa PreferredAuthenticationProtocol
    """.split()
)

#: Get-MsolDomainFederationSettings ``| Format-List *`` order.
GET_MSOL_DOMAIN_FEDERATION_SETTINGS: frozenset[str] = frozenset(
    """
    ExtensionData ActiveLogOnUri DefaultInteractiveAuthenticationMethod FederationBrandName
    IssuerUri LogOffUri MetadataExchangeUri NextSigningCertificate OpenIdConnectDiscoveryEndpoint
    PassiveLogOnUri PasswordChangeUri PasswordResetUri PreferredAuthenticationProtocol
    PromptLoginBehavior SigningCertificate SigningCertificateUpdateStatus SupportsMfa
    """.split()
)

#: Get-MsolDomain (Microsoft.Online.Administration.Domain).
GET_MSOL_DOMAIN: frozenset[str] = frozenset(
    ["Authentication", "Capabilities", "ExtensionData", "IsDefault", "IsInitial", "Name", "RootDomain", "Status"]
)

#: Get-MgDomain (Format-List of the SDK model).
GET_MG_DOMAIN: frozenset[str] = frozenset(
    """
    AuthenticationType AvailabilityStatus DomainNameReferences FederationConfiguration Id
    IsAdminManaged IsDefault IsInitial IsRoot IsVerified Manufacturer Model
    PasswordNotificationWindowInDays PasswordValidityPeriodInDays RootDomain
    ServiceConfigurationRecords State SupportedServices VerificationDnsRecords AdditionalProperties
    """.split()
)

#: Get-MgDomainFederationConfiguration (PascalCase SDK model).
GET_MG_DOMAIN_FEDERATION_CONFIGURATION: frozenset[str] = frozenset(
    """
    ActiveSignInUri DisplayName FederatedIdpMfaBehavior Id IsSignedAuthenticationRequestRequired
    IssuerUri MetadataExchangeUri NextSigningCertificate PassiveSignInUri PasswordResetUri
    PreferredAuthenticationProtocol PromptLoginBehavior SignOutUri SigningCertificate
    SigningCertificateUpdateStatus AdditionalProperties
    """.split()
)

#: Graph REST ``internalDomainFederation`` (camelCase JSON keys).
GRAPH_INTERNAL_DOMAIN_FEDERATION: frozenset[str] = frozenset(
    """
    @odata.type @odata.context id displayName issuerUri metadataExchangeUri signingCertificate
    passiveSignInUri preferredAuthenticationProtocol activeSignInUri signOutUri promptLoginBehavior
    isSignedAuthenticationRequestRequired nextSigningCertificate signingCertificateUpdateStatus
    federatedIdpMfaBehavior passwordResetUri
    """.split()
)

#: Graph REST ``domain`` (camelCase JSON keys).
GRAPH_DOMAIN: frozenset[str] = frozenset(
    """
    @odata.context id authenticationType availabilityStatus isAdminManaged isDefault isInitial
    isRoot isVerified manufacturer model passwordNotificationWindowInDays
    passwordValidityPeriodInDays supportedServices state
    """.split()
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


def identify_cmdlet(property_names: Iterable[str]) -> str | None:
    """The cmdlet (or Graph resource) whose properties best explain ``property_names``.

    Case-insensitive. Each matching name scores ``1 / (number of sets holding it)``, so
    distinctive names (``TokenSigningCertificate``, ``IsPrimary``) outweigh shared ones
    (``Id``, ``IssuerUri``). A tie goes to the set with more exact-case matches (Graph camelCase
    vs SDK PascalCase). At least two names must match (or the single name given). Returns None
    when nothing fits or the best is still a tie (``["Id"]``: Get-MgDomain or its federation
    configuration?).
    """
    given = [n for n in property_names if isinstance(n, str) and n.strip()]
    if not given:
        return None
    exact = {n.strip() for n in given}
    folded = {n.lower() for n in exact}
    ranked = []
    for name, props in _FOLDED.items():
        hits = folded & props
        if len(hits) < min(2, len(folded)):
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
