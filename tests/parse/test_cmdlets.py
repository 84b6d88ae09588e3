"""Cmdlet mappers: PSObject -> AdfsFarm / EntraDomain / CertificateObservation / LoadIssue."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from fedaudit.parse import cmdlets as C
from fedaudit.records import PSObject
from tests._structured_render import facts, x509_tostring

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def ders():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    return {
        "a": mint_certificate("CN=ADFS Signing - sts.contoso.com", start, start + dt.timedelta(days=365)),
        "b": mint_certificate("CN=ADFS Signing - sts.contoso.com", start + dt.timedelta(days=340), start + dt.timedelta(days=705), key_slot=1),
    }


def obj(props, *, form="list", command=None, lines=None, line=1, type_names=()):
    return PSObject(origin="f.txt", form=form, properties=props, line=line, lines=lines or {}, command=command, type_names=type_names)


def b64(der: bytes, width: int | None = None) -> str:
    s = base64.b64encode(der).decode()
    if width:
        s = "\n".join(s[i : i + width] for i in range(0, len(s), width))
    return s


# -- Get-AdfsProperties --------------------------------------------------------------------------


def test_adfs_properties_text_values():
    m = C.map_objects(
        C.ADFS_PROPERTIES,
        [
            obj(
                {
                    "HostName": "STS.Contoso.com",
                    "Identifier": "http://sts.contoso.com/adfs/services/trust",
                    "AutoCertificateRollover": "True",
                    "CertificateGenerationThreshold": "20",
                    "CertificatePromotionThreshold": "5",
                    "CertificateCriticalThreshold": "2",
                    "CertificateDuration": "1095",
                    "CertificateRolloverInterval": "720",
                    "CertificateThresholdMultiplier": "1440",
                }
            )
        ],
    )
    [farm] = m.farms
    assert farm.farm == "sts.contoso.com" and farm.host_name == "sts.contoso.com"
    assert farm.identifier == "http://sts.contoso.com/adfs/services/trust"
    assert farm.auto_certificate_rollover is True
    assert (farm.certificate_generation_threshold, farm.certificate_promotion_threshold, farm.certificate_critical_threshold) == (20, 5, 2)
    assert (farm.certificate_duration, farm.certificate_rollover_interval) == (1095, 720)
    assert m.issues == []


def test_adfs_properties_json_values_and_uri_object():
    m = C.map_objects(
        C.ADFS_PROPERTIES,
        [obj({"HostName": "sts.contoso.com", "Identifier": {"OriginalString": "http://sts.contoso.com/adfs/services/trust"}, "AutoCertificateRollover": False, "CertificateDuration": 365}, form="ConvertTo-Json 5.1")],
    )
    assert m.farms[0].identifier == "http://sts.contoso.com/adfs/services/trust"
    assert m.farms[0].auto_certificate_rollover is False and m.farms[0].certificate_duration == 365


def test_adfs_properties_bad_values_and_multiplier():
    m = C.map_objects(
        C.ADFS_PROPERTIES,
        [obj({"AutoCertificateRollover": "Yes", "CertificateDuration": "a year", "CertificateThresholdMultiplier": "1"}, lines={"AutoCertificateRollover": 7})],
    )
    farm = m.farms[0]
    assert farm.auto_certificate_rollover is None and farm.certificate_duration is None and farm.farm is None
    messages = [i.message for i in m.issues]
    assert any("AutoCertificateRollover: expected True or False" in s for s in messages)
    assert any("CertificateDuration: expected a whole number" in s for s in messages)
    assert any("CertificateThresholdMultiplier is 1 minutes" in s for s in messages)
    assert [i.line for i in m.issues if i.field == "AutoCertificateRollover"] == [7]


# -- Get-AdfsCertificate -------------------------------------------------------------------------


def test_adfs_certificate_bytes_win_over_printed_text(ders):
    props = {
        "Certificate": {"RawData": ders["a"], "ToString": x509_tostring(ders["b"], "en-US")},
        "CertificateType": "Token-Signing",
        "IsPrimary": True,
        "Thumbprint": facts(ders["a"])["thumbprint"],
    }
    m = C.map_objects(C.ADFS_CERTIFICATE, [obj(props, form="Export-Clixml")])
    [o] = m.observations
    assert (o.source, o.role, o.slot) == ("adfs", "token-signing", "primary")
    assert o.certificate.thumbprint == facts(ders["a"])["thumbprint"]
    assert o.certificate.text_derived is False and o.certificate.sha256
    assert m.issues == []


def test_adfs_certificate_thumbprint_mismatch_is_high(ders):
    props = {"Certificate": ders["a"], "CertificateType": "Token-Signing", "IsPrimary": "False", "Thumbprint": facts(ders["b"])["thumbprint"]}
    m = C.map_objects(C.ADFS_CERTIFICATE, [obj(props)])
    assert m.observations[0].slot == "secondary"
    assert [i.severity for i in m.issues] == ["high"] and "differs" in m.issues[0].message


def test_adfs_certificate_printed_block_with_culture(ders):
    text = x509_tostring(ders["a"], "en-GB", "\n")
    m = C.map_objects(C.ADFS_CERTIFICATE, [obj({"Certificate": text, "CertificateType": "Token-Decrypting", "IsPrimary": "True"})], culture="en-GB")
    c = m.observations[0].certificate
    assert c.text_derived is True and c.not_before == dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    assert m.observations[0].role == "token-decrypting"


def test_ambiguous_printed_date_is_an_issue_and_the_thumbprint_survives(ders):
    block = "[Subject]\n  CN=x\n\n[Issuer]\n  CN=x\n\n[Serial Number]\n  01\n\n[Not Before]\n  04/05/2017 10:00:00\n\n[Not After]\n  04/05/2018 10:00:00\n\n[Thumbprint]\n  " + facts(ders["a"])["thumbprint"] + "\n"
    m = C.map_objects(C.ADFS_CERTIFICATE, [obj({"Certificate": block, "CertificateType": "Token-Signing", "IsPrimary": "True"}, lines={"Certificate": 12})])
    [o] = m.observations
    assert o.certificate.thumbprint == facts(ders["a"])["thumbprint"] and o.certificate.not_after is None
    [issue] = m.issues
    assert issue.origin == "f.txt" and issue.line == 12 and issue.field == "Certificate [Not Before]" and "ambiguous" in issue.message


def test_table_row_with_thumbprint_and_notafter_column(ders):
    tp = facts(ders["a"])["thumbprint"]
    m = C.map_objects(
        C.ADFS_CERTIFICATE,
        [obj({"CertificateType": "Token-Signing", "Thumbprint": tp, "IsPrimary": "True", "NotAfter": "01.03.2027 12:00:00"}, form="table")],
    )
    c = m.observations[0].certificate
    assert c.thumbprint == tp and c.text_derived and c.not_after == dt.datetime(2027, 3, 1, 12, tzinfo=UTC)


def test_other_certificate_types_and_missing_certificate():
    m = C.map_objects(
        C.ADFS_CERTIFICATE,
        [obj({"CertificateType": "Service-Communications", "IsPrimary": "True", "Thumbprint": "A" * 40}), obj({"CertificateType": "Infocard-Signing"}), obj({"CertificateType": "Token-Signing", "IsPrimary": "True"})],
    )
    assert [o.role for o in m.observations] == ["service-communications"]
    assert [i.severity for i in m.issues] == ["info", "warning"]


# -- Get-MsolFederationProperty ------------------------------------------------------------------


def test_federation_property_two_sources(ders):
    command = "Get-MsolFederationProperty -DomainName Contoso.com | FL Source, TokenSigningCertificate"
    objects = [
        obj({"Source": "ADFS Server", "TokenSigningCertificate": x509_tostring(ders["a"], "en-US", "\n"), "NextTokenSigningCertificate": x509_tostring(ders["b"], "en-US", "\n"), "FederationServiceIdentifier": "http://sts.contoso.com/adfs/services/trust", "PassiveClientSignInUrl": "https://sts.contoso.com/adfs/ls/"}, command=command),
        obj({"Source": "Microsoft Office 365", "TokenSigningCertificate": x509_tostring(ders["a"], "en-US", "\n"), "NextTokenSigningCertificate": "", "FederationServiceIdentifier": "http://sts.contoso.com/adfs/services/trust"}, command=command),
    ]
    m = C.map_objects(C.MSOL_FEDERATION_PROPERTY, objects)
    got = [(o.source, o.slot, o.domain, o.certificate.thumbprint) for o in m.observations]
    assert got == [
        ("adfs", "primary", "contoso.com", facts(ders["a"])["thumbprint"]),
        ("adfs", "secondary", "contoso.com", facts(ders["b"])["thumbprint"]),
        ("entra", "current", "contoso.com", facts(ders["a"])["thumbprint"]),
    ]
    assert m.observations[0].hints["identifier"] == "http://sts.contoso.com/adfs/services/trust"
    assert m.observations[0].hints["hosts"] == "sts.contoso.com"
    [d] = m.domains
    assert d.domain == "contoso.com" and d.has_settings and d.issuer_uri == "http://sts.contoso.com/adfs/services/trust"
    assert m.observations[2].hints["record"] == "0"


# -- settings: Get-MsolDomainFederationSettings / Get-MgDomainFederationConfiguration / Graph ----


def test_msol_settings_wrapped_base64_and_next(ders):
    props = {
        "IssuerUri": "http://sts.contoso.com/adfs/services/trust",
        "PassiveLogOnUri": "https://sts.contoso.com/adfs/ls/",
        "MetadataExchangeUri": "https://sts.contoso.com/adfs/services/trust/mex",
        "PreferredAuthenticationProtocol": "WsFed",
        "SigningCertificate": b64(ders["a"], 64),
        "NextSigningCertificate": b64(ders["b"], 100),
        "SigningCertificateUpdateStatus": "",
    }
    m = C.map_objects(C.MSOL_FEDERATION_SETTINGS, [obj(props, command="Get-MsolDomainFederationSettings -DomainName 'contoso.com'")])
    assert [(o.slot, o.certificate.thumbprint, o.domain) for o in m.observations] == [
        ("current", facts(ders["a"])["thumbprint"], "contoso.com"),
        ("next", facts(ders["b"])["thumbprint"], "contoso.com"),
    ]
    d = m.domains[0]
    assert (d.domain, d.preferred_authentication_protocol, d.has_settings) == ("contoso.com", "WsFed", True)
    assert d.metadata_exchange_uri == "https://sts.contoso.com/adfs/services/trust/mex"
    assert m.issues == []


def test_undecodable_base64_keeps_the_row():
    m = C.map_objects(C.MSOL_FEDERATION_SETTINGS, [obj({"IssuerUri": "urn:accops.cloud", "SigningCertificate": "MIIE3jCCAsagAwIBAgIQQcyDaZz3MI"}, lines={"SigningCertificate": 18})], domain="accops.cloud")
    assert m.observations == [] and m.domains[0].domain == "accops.cloud"
    [issue] = m.issues
    assert (issue.line, issue.field) == (18, "SigningCertificate") and "not decodable" in issue.message


def test_graph_update_status_and_context_domain(ders):
    props = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains('Fabrikam.com')/federationConfiguration/$entity",
        "issuerUri": "http://sts.fabrikam.com/adfs/services/trust",
        "passiveSignInUri": "https://sts.fabrikam.com/adfs/ls/",
        "preferredAuthenticationProtocol": "wsFed",
        "signingCertificate": b64(ders["a"]),
        "nextSigningCertificate": None,
        "signingCertificateUpdateStatus": {"certificateUpdateResult": "noNewCertificateFound", "lastRunDateTime": "2026-10-01T07:44:46.2616778Z"},
    }
    m = C.map_objects(C.GRAPH_FEDERATION, [obj(props, form="Graph JSON")])
    d = m.domains[0]
    assert d.domain == "fabrikam.com"
    assert d.update_result == "noNewCertificateFound"
    assert d.update_last_run == dt.datetime(2026, 10, 1, 7, 44, 46, 261677, tzinfo=UTC)
    assert [o.slot for o in m.observations] == ["current"]


def test_type_name_update_status_is_an_info_issue():
    m = C.map_objects(C.MG_FEDERATION, [obj({"IssuerUri": "x", "SigningCertificateUpdateStatus": "Microsoft.Graph.PowerShell.Models.MicrosoftGraphSigningCertificateUpdateStatus"})])
    assert m.domains[0].update_result is None
    assert [i.severity for i in m.issues] == ["info"]


@pytest.mark.parametrize(
    "command,props,given,expected,issues",
    [
        ("Get-MsolDomainFederationSettings -DomainName contoso.com", {}, None, "contoso.com", 0),
        ("Get-MsolDomainFederationSettings \u2013DomainName \"contoso.com\"", {}, None, "contoso.com", 0),
        ("Get-MsolDomainFederationSettings contoso.com", {}, None, "contoso.com", 0),
        ("Get-MsolDomain | foreach { $_; Get-MsolDomainFederationSettings -DomainName $_.Name }", {}, None, None, 0),
        (None, {"IssuerUri": "http://fabrikam.com/adfs/services/trust/"}, None, "fabrikam.com", 0),
        (None, {"IssuerUri": "http://sts.fabrikam.com/adfs/services/trust"}, None, None, 0),
        (None, {}, "Given.com", "given.com", 0),
        ("Get-MsolDomainFederationSettings -DomainName a.com", {}, "b.com", "a.com", 1),
        (None, {"IssuerUri": "http://fabrikam.com/adfs/services/trust/"}, "contoso.com", "contoso.com", 0),
    ],
)
def test_settings_domain_resolution(command, props, given, expected, issues):
    m = C.map_objects(C.MSOL_FEDERATION_SETTINGS, [obj(props, command=command)], domain=given)
    assert m.domains[0].domain == expected
    assert len(m.issues) == issues


@pytest.mark.parametrize(
    "command,cmdlet,expected",
    [
        ("Get-MgDomainFederationConfiguration -DomainId 'contoso.com' -InternalDomainFederationId 'x' | Format-List", "Get-MgDomainFederationConfiguration", "contoso.com"),
        ("Get-MgDomainFederationConfiguration -DomainId <対象のドメイン> | FL", "Get-MgDomainFederationConfiguration", None),
        ("Get-MsolFederationProperty -DomainName:contoso.com", "Get-MsolFederationProperty", "contoso.com"),
        ("Get-MsolDomain", "Get-MsolFederationProperty", None),
        (None, None, None),
    ],
)
def test_command_domain(command, cmdlet, expected):
    assert C.command_domain(command, cmdlet) == expected


@pytest.mark.parametrize(
    "uri,expected",
    [("http://contoso.com/adfs/services/trust/", "contoso.com"), ("http://sts.contoso.com/adfs/services/trust", None), ("urn:x", None), (None, None)],
)
def test_domain_from_issuer_uri(uri, expected):
    assert C.domain_from_issuer_uri(uri) == expected


# -- domain lists ---------------------------------------------------------------------------------


def test_msol_domain_rows_and_enum_integers():
    m = C.map_objects(
        C.MSOL_DOMAIN,
        [obj({"Name": "Contoso.com", "Status": "Verified", "Authentication": "Federated"}), obj({"Name": "b.com", "Authentication": 0}, form="ConvertTo-Json 5.1"), obj({"Name": "c.com", "Authentication": "Weird"}), obj({"Status": "Verified"})],
    )
    assert [(d.domain, d.authentication) for d in m.domains] == [("contoso.com", "Federated"), ("b.com", "Managed"), ("c.com", None)]
    assert len(m.issues) == 2


def test_mg_and_graph_domains():
    m = C.map_objects(C.GRAPH_DOMAIN, [obj({"id": "M365x.onmicrosoft.com", "authenticationType": "Managed", "isVerified": True}, form="Graph JSON")])
    assert (m.domains[0].domain, m.domains[0].authentication, m.domains[0].status) == ("m365x.onmicrosoft.com", "Managed", "Verified")


def test_bare_certificate_object_is_a_file_observation(ders):
    m = C.map_objects(C.CERTIFICATE, [obj({"RawData": ders["a"], "PSChildName": facts(ders["a"])["thumbprint"]}, form="Export-Clixml")])
    assert [(o.source, o.role, o.slot) for o in m.observations] == [("file", None, None)]


def test_type_names_identify_cmdlets():
    assert C.cmdlet_from_type_names(["Deserialized.Microsoft.Online.Administration.DomainFederationSettings"]) == C.MSOL_FEDERATION_SETTINGS
    assert C.cmdlet_from_type_names(["#microsoft.graph.internalDomainFederation"]) == C.GRAPH_FEDERATION
    assert C.cmdlet_from_type_names(["System.Object"]) is None


def test_unknown_cmdlet_is_a_programming_error():
    with pytest.raises(ValueError):
        C.map_objects("Get-Nothing", [obj({})])


def test_domain_name_property_names_the_domain(ders):
    m = C.map_objects(C.MSOL_FEDERATION_SETTINGS, [obj({"DomainName": "Contoso.com", "IssuerUri": "x", "SigningCertificate": b64(ders["a"])}, form="ConvertTo-Json 5.1")])
    assert m.domains[0].domain == "contoso.com" and m.observations[0].hints["domain_from"] == "DomainName property"


def test_json51_rawdata_past_depth_as_decimal_string(ders):
    decimals = " ".join(str(b) for b in ders["a"])
    props = {"Certificate": {"RawData": decimals, "Thumbprint": facts(ders["a"])["thumbprint"]}, "CertificateType": "Token-Signing", "IsPrimary": True}
    m = C.map_objects(C.ADFS_CERTIFICATE, [obj(props, form="ConvertTo-Json 5.1")])
    assert m.observations[0].certificate.text_derived is False and m.issues == []


def test_missing_isprimary_is_noted(ders):
    m = C.map_objects(C.ADFS_CERTIFICATE, [obj({"CertificateType": "Token-Signing", "Thumbprint": facts(ders["a"])["thumbprint"]}, form="table")])
    assert m.observations[0].slot is None
    assert [(i.severity, "without IsPrimary" in i.message) for i in m.issues] == [("info", True)]
