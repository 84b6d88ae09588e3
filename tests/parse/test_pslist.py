"""fedaudit.parse.pslist: Format-List console text and whole captures, on the verbatim samples."""

from __future__ import annotations

import codecs
import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _text_render import format_list, x509_tostring
from fedaudit.parse.certs import certificate_from_base64, certificate_from_der
from fedaudit.errors import CertificateError, DateError, FedauditError
from fedaudit.parse.properties import ALL_KNOWN, GET_ADFS_CERTIFICATE, identify_cmdlet
from fedaudit.parse.pslist import parse_captures, parse_format_list
from fedaudit.parse.x509text import certificate_from_text
from fedaudit.records import PSObject
from support.synth import mint_certificate
from fedaudit.parse.textio import decode

TEXT = Path(__file__).parent.parent / "data" / "formats" / "text"
FIXTURES = sorted(p.name for p in TEXT.glob("*.txt"))
UTC = dt.timezone.utc


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def read(name: str) -> str:
    return (TEXT / name).read_text(encoding="utf-8")


def lists(name: str, known=ALL_KNOWN) -> list[PSObject]:
    return parse_format_list(read(name), name, known=known)


# -- the verbatim samples ------------------------------------------------------------------------


def test_msdocs_get_adfsproperties_with_flush_left_wrapped_lines() -> None:
    (obj,) = lists("adfsproperties_msdocs_full.txt")
    p = obj.properties
    assert obj.command == "Get-AdfsProperties" and obj.line == 4 and obj.form == "list"
    assert len(p) == 48
    assert p["AutoCertificateRollover"] == "False"
    assert (p["CertificateGenerationThreshold"], p["CertificatePromotionThreshold"], p["CertificateCriticalThreshold"]) == ("20", "5", "2")
    assert (p["CertificateDuration"], p["CertificateRolloverInterval"], p["CertificateThresholdMultiplier"]) == ("365", "720", "1440")
    assert p["HostName"] == "sts.contoso.com"
    assert p["Identifier"] == "https://sts.contoso.com/adfs/services/trust"
    assert p["OrganizationInfo"] == ""
    assert p["PersistentSsoCutoffTime"] == "1/1/0001 12:00:00 AM"
    # Flush-left console-wrapped continuations stay with their property, `urn:` and `c:[` are
    # not keys, and the 5.1 enumeration ellipsis is kept verbatim.
    assert p["AuthenticationContextOrder"] == (
        "{urn:oasis:names:tc:SAML:2.0:ac:classes:Password, urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport,\n"
        "urn:oasis:names:tc:SAML:2.0:ac:classes:TLSClient, urn:oasis:names:tc:SAML:2.0:ac:classes:X509...}"
    )
    rules = p["AddProxyAuthorizationRules"].split("\n")
    assert len(rules) == 10
    assert rules[2].startswith('c:[Type == "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid"')
    assert rules[-1] == "param=c.Value );"
    assert p["WIASupportedUserAgents"] == "{MSIE 6.0, MSIE 7.0, MSIE 8.0, MSIE 9.0...}"
    assert obj.lines["ArtifactDbConnection"] == 15 and obj.lines["ExtranetObservationWindow"] == 61
    assert identify_cmdlet(p) == "Get-AdfsProperties"


@pytest.mark.parametrize("name", ["adfsproperties_qa122472_doublespaced.txt", "adfsproperties_certsubset_reconstructed.txt"])
def test_certificate_subset_as_pasted_and_as_printed(name: str) -> None:
    # Q&A markdown put a blank line and two trailing spaces after every line: still one object.
    (obj,) = lists(name)
    assert obj.properties == {
        "CertificateCriticalThreshold": "2",
        "CertificateDuration": "1095",
        "CertificateGenerationThreshold": "20",
        "CertificatePromotionThreshold": "5",
        "CertificateRolloverInterval": "720",
        "CertificateThresholdMultiplier": "1440",
    }
    assert obj.line == 1
    assert obj.lines["CertificateThresholdMultiplier"] == (11 if "qa" in name else 6)


@pytest.mark.parametrize(
    ("name", "command", "culture"),
    [
        ("adfscertificate_qa2007742_backticks.txt", "Get-AdfsCertificate -CertificateType Token-Signing", None),
        ("adfscertificate_dede_reconstructed.txt", None, "de-DE"),
    ],
)
def test_get_adfscertificate_de_de(name: str, command: str | None, culture: str | None) -> None:
    (obj,) = lists(name)
    p = obj.properties
    assert obj.command == command
    assert list(p) == ["Certificate", "CertificateType", "IsPrimary", "StoreLocation", "StoreName", "Thumbprint"]
    assert (p["CertificateType"], p["IsPrimary"], p["StoreLocation"], p["StoreName"]) == ("Token-Signing", "True", "CurrentUser", "My")
    assert p["Thumbprint"] == "5A4AE6D2F2164DDCAB1C156828F2594845533213"
    assert p["Certificate"].startswith("[Subject]\n  CN=ADFS Signing - adfs.lab.com\n")
    cert = certificate_from_text(p["Certificate"], culture=culture)
    assert cert.thumbprint == p["Thumbprint"]
    assert (cert.not_before, cert.not_after) == (utc(2024, 8, 1, 15, 57, 51), utc(2025, 8, 1, 15, 57, 51))
    assert identify_cmdlet(p) == "Get-AdfsCertificate"


def test_de_de_reconstructed_keeps_the_block_exactly_as_tostring_wrote_it() -> None:
    (obj,) = lists("adfscertificate_dede_reconstructed.txt")
    assert obj.properties["Certificate"] == (
        "[Subject]\n  CN=ADFS Signing - adfs.lab.com\n\n[Issuer]\n  CN=ADFS Signing - adfs.lab.com\n\n"
        "[Serial Number]\n  7B8A1B0D7FF00B8D44FDA36A3B4A4B6A\n\n[Not Before]\n  01.08.2024 15:57:51\n\n"
        "[Not After]\n  01.08.2025 15:57:51\n\n[Thumbprint]\n  5A4AE6D2F2164DDCAB1C156828F2594845533213"
    )
    assert obj.line == 3 and obj.lines["CertificateType"] == 21 and obj.lines["Thumbprint"] == 25


@pytest.mark.parametrize(
    ("name", "ctype", "thumb", "subject"),
    [
        ("adfscertificate_jajp_signing_collapsed.txt", "Token-Signing", "41D3FE9CB98FA89BE0899904B3B227DECB8A512A", "CN=ADFS Signing - adfs.test.com"),
        ("adfscertificate_jajp_decrypting_collapsed.txt", "Token-Decrypting", "57CA6410E8C213DC14645AEBCCDEF0481FC8C641", "CN=ADFS Encryption - adfs.test.com"),
    ],
)
def test_get_adfscertificate_ja_jp_collapsed_with_annotations(name, ctype, thumb, subject) -> None:
    for known in (ALL_KNOWN, None):
        (obj,) = lists(name, known=known)
        p = obj.properties
        assert p["CertificateType"] == ctype  # "★<<<" stripped
        assert p["IsPrimary"] == "False"
        assert p["Thumbprint"] == thumb
        cert = certificate_from_text(p["Certificate"])
        assert (cert.thumbprint, cert.subject) == (thumb, subject)
        assert (cert.not_before, cert.not_after) == (utc(2017, 10, 11, 15, 9, 47), utc(2057, 10, 1, 15, 9, 47))


def test_get_msolfederationproperty_two_sources() -> None:
    objs = lists("msolfederationproperty_blog2018.txt")
    assert [o.properties["Source"] for o in objs] == ["ADFS Server", "Microsoft Office 365"]
    assert [o.line for o in objs] == [3, 23]
    assert {o.command for o in objs} == {"Get-MsolFederationProperty -DomainName domain.tld | FL Source, TokenSigningCertificate"}
    certs = [certificate_from_text(o.properties["TokenSigningCertificate"]) for o in objs]
    assert {c.thumbprint for c in certs} == {"B66B38DAA9D962965A349333F6872173998579DF"}
    assert certs[0].not_after == utc(2018, 5, 5, 16, 1, 18)
    assert identify_cmdlet(objs[0].properties) == "Get-MsolFederationProperty"


def test_blog_markdown_indentation_and_one_lost_blank_line() -> None:
    # The blog published the capture indented by 4 spaces; a copy that also lost the padded
    # line after the block still splits on the repeated Source property.
    text = "\n".join("    " + ln if ln.strip() else ln for ln in read("msolfederationproperty_blog2018.txt").split("\n"))
    text = text.replace("B66B38DAA9D962965A349333F6872173998579DF\n\n\n", "B66B38DAA9D962965A349333F6872173998579DF\n")
    objs = parse_format_list(text, "indented.txt", known=ALL_KNOWN)
    assert [o.properties["Source"] for o in objs] == ["ADFS Server", "Microsoft Office 365"]
    assert all(certificate_from_text(o.properties["TokenSigningCertificate"]).serial == "5DB54681AC561D994765FA59C1552141" for o in objs)


def test_ps0139_error_capture_has_no_objects() -> None:
    assert parse_captures(read("msolfederationproperty_ps0139_error.txt"), "err.txt", known=ALL_KNOWN) == []


def test_msol_settings_accops_format_list_star() -> None:
    (obj,) = lists("msoldomainfederationsettings_accops_fl.txt")
    p = obj.properties
    assert obj.command == 'Get-MSolDomainFederationSettings -DomainName "accops.cloud" | Format-List *'
    assert len(p) == 17 and obj.line == 4
    assert p["IssuerUri"] == "urn:accops.cloud"
    assert p["PreferredAuthenticationProtocol"] == "Samlp"
    assert p["ActiveLogOnUri"] == "https://sso.accops.cloud/saml-sso/Office365"
    assert p["NextSigningCertificate"] == "" and p["SupportsMfa"] == ""
    sig = p["SigningCertificate"].split("\n")
    assert len(sig) == 31 and all(len(s) == 64 for s in sig[:-1]) and sig[-1] == "Ejb8AQeQjI8JCWtYHdO4Fg=="
    assert sig[1] == "MDIxCzAJBgNVBAYTAlVTMRYwFAYDVQQKEw1MZXQncyBFbmNyeXB0MQswCQYDVQQD"  # indentation removed
    with pytest.raises(CertificateError):  # the doc author altered the base64 on purpose
        certificate_from_base64(p["SigningCertificate"])
    assert identify_cmdlet(p) == "Get-MsolDomainFederationSettings"


def test_mixed_table_then_list_capture() -> None:
    text = read("msoldomainfederationsettings_issue1435_mixed.txt")
    objs = parse_captures(text, "mixed.txt", known=ALL_KNOWN)
    assert [o.form for o in objs] == ["table", "list"]
    command = "Get-MsolDomain -Authentication federated | foreach { $_; Get-MsolDomainFederationSettings -DomainName $_.Name }"
    assert {o.command for o in objs} == {command}
    table, settings_ = objs
    assert table.properties == {"Name": "<redacted>.example", "Status": "Verified", "Authentication": "Federated"}
    assert table.line == 5
    assert settings_.line == 7
    assert settings_.properties["IssuerUri"] == "http://<redacted>/947AF585"
    assert settings_.properties["PreferredAuthenticationProtocol"] == "WsFed"
    assert settings_.properties["SigningCertificate"] == "<redacted>[...]"
    # The excerpt is cut at "Su": debris, not the value of the empty property above it.
    assert settings_.properties["SigningCertificateUpdateStatus"] == ""
    assert settings_.dropped == ((23, "SigningCertificateUpdateStatus", "Su"),)  # for a load issue
    assert identify_cmdlet(table.properties) == "Get-MsolDomain"
    assert identify_cmdlet(settings_.properties) == "Get-MsolDomainFederationSettings"
    assert parse_format_list(text, "mixed.txt", known=ALL_KNOWN) == [settings_]


def test_get_mgdomainfederationconfiguration_jpazureid_with_caption() -> None:
    (obj,) = lists("mgdomainfederationconfiguration_jpazureid.txt")
    p = obj.properties
    assert obj.command == "Get-MgDomainFederationConfiguration -DomainId <対象のドメイン> | FL"
    assert obj.line == 4  # after the (実行結果例) caption
    assert p["Id"] == "b393ece7-895a-436c-9794-787c6d1ae77f"
    assert p["IssuerUri"] == "http://sts.test.com/adfs/services/trust"
    assert p["PreferredAuthenticationProtocol"] == "wsFed"
    assert p["SigningCertificate"] == "MIIGFT ... yEzQw=="  # the blogger's abbreviation, kept
    assert p["PromptLoginBehavior"] == "" and p["AdditionalProperties"] == "{}"
    assert identify_cmdlet(p) == "Get-MgDomainFederationConfiguration"


def test_jpazureid_after_update_excerpt() -> None:
    (obj,) = lists("mgdomainfederationconfiguration_jpazureid_after_update.txt")
    assert obj.properties == {"NextSigningCertificate": "MIIC4j ... FOO3A==", "SigningCertificate": "MIIGFT ... yEzQw=="}
    assert obj.lines == {"NextSigningCertificate": 1, "SigningCertificate": 3}


def test_graph_powershell_docs_trailing_spaces_and_misaligned_label() -> None:
    (obj,) = lists("mgdomainfederationconfiguration_msdocs.txt")
    p = obj.properties
    assert obj.command.startswith("Get-MgDomainFederationConfiguration -DomainId 'contoso.com'")
    assert len(p) == 15
    assert p["DisplayName"] == "Contoso"  # trailing space gone
    assert p["FederatedIdpMfaBehavior"] == "rejectMfaByFederatedIdp"
    assert p["IssuerUri"] == "http://contoso.com/adfs/services/trust/"
    assert p["SigningCertificate"] == "MIIC3jCCAcagAwIBAgIQFsO0R8deG4h"
    assert p["NextSigningCertificate"] == "MIIC3jCCAcagAwIBAgIQEt0T0G5GPZ9"
    assert p["PromptLoginBehavior"] == ""  # ":  " with two trailing spaces
    assert p["SigningCertificateUpdateStatus"] == "Microsoft.Graph.PowerShell.Models.MicrosoftGraphSigningCertificateUpdateStatus"
    assert p["AdditionalProperties"].startswith("{[@odata.context, https://graph.microsoft.com/v1.0/$metadata#domains('contoso.com')")


def test_get_mgdomain_format_list() -> None:
    (obj,) = lists("mgdomain_msdocs_fl.txt")
    p = obj.properties
    assert obj.command == "Get-MgDomain | Format-List"
    assert (p["Id"], p["AuthenticationType"], p["IsVerified"], p["IsRoot"]) == ("contoso.com", "Managed", "True", "True")
    assert p["PasswordValidityPeriodInDays"] == "2147483647"
    assert p["SupportedServices"] == "{Email, OfficeCommunicationsOnline}"
    assert identify_cmdlet(p) == "Get-MgDomain"


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_parses_with_and_without_known(name: str) -> None:
    text = read(name)
    for known in (ALL_KNOWN, None):
        for obj in parse_captures(text, name, known=known):
            assert obj.origin == name and obj.form in ("list", "table")
            assert obj.line is not None and set(obj.lines) == set(obj.properties)
            assert all(isinstance(v, str) for v in obj.properties.values())
            assert all(v == v.strip() for v in obj.properties.values())


# -- synthetic captures of minted certificates ------------------------------------------------------


def _adfs_certificate_capture(der_primary: bytes, der_secondary: bytes, culture: str, **kw) -> str:
    objects = []
    for der, primary in ((der_primary, True), (der_secondary, False)):
        truth = certificate_from_der(der)
        objects.append([
            ("Certificate", x509_tostring(der, culture)),
            ("CertificateType", "Token-Signing"),
            ("IsPrimary", str(primary)),
            ("StoreLocation", "CurrentUser"),
            ("StoreName", "My"),
            ("Thumbprint", truth.thumbprint),
        ])
    return "PS C:\\> Get-AdfsCertificate \u2013CertificateType Token-Signing\n" + format_list(objects, **kw)


@pytest.fixture(scope="module")
def ders() -> tuple[bytes, bytes]:
    return (
        mint_certificate("ADFS Signing - fs.fabrikam.com", utc(2024, 3, 4, 5, 6, 7), utc(2025, 3, 4, 5, 6, 7)),
        mint_certificate("ADFS Signing - fs.fabrikam.com", utc(2025, 2, 12, 5, 6, 7), utc(2026, 2, 12, 5, 6, 7)),
    )


@pytest.mark.parametrize("culture", ["en-US", "en-GB", "de-DE", "ja-JP"])
@pytest.mark.parametrize("shape", ["utf16le-bom-crlf", "ansi-labels", "lf-utf8"])
def test_minted_certificates_round_trip_through_a_capture(ders, culture: str, shape: str) -> None:
    label = (lambda s: f"\x1b[32;1m{s}\x1b[0m") if shape == "ansi-labels" else (lambda s: s)
    text = _adfs_certificate_capture(*ders, culture, label=label)
    data = codecs.BOM_UTF16_LE + text.replace("\n", "\r\n").encode("utf-16-le") if shape.startswith("utf16") else text.encode()
    decoded, encoding = decode(data, "capture.txt")
    assert encoding == ("utf-16-le" if shape.startswith("utf16") else "utf-8")
    objs = parse_format_list(decoded, "capture.txt", known=GET_ADFS_CERTIFICATE)
    assert len(objs) == 2
    assert {o.command for o in objs} == {"Get-AdfsCertificate -CertificateType Token-Signing"}  # en-dash
    for obj, der, primary in zip(objs, ders, ("True", "False")):
        truth = certificate_from_der(der)
        assert obj.properties["IsPrimary"] == primary
        assert obj.properties["Thumbprint"] == truth.thumbprint
        cert = certificate_from_text(obj.properties["Certificate"], culture=culture, line=obj.line)
        assert (cert.thumbprint, cert.serial, cert.subject) == (truth.thumbprint, truth.serial, truth.subject)
        assert (cert.not_before, cert.not_after) == (truth.not_before, truth.not_after)


def test_two_objects_split_by_the_second_blank_line_after_a_block(ders) -> None:
    text = _adfs_certificate_capture(*ders, "de-DE")
    objs = parse_format_list(text, "c.txt")
    assert [o.line for o in objs] == [4, 28]
    # the padded whitespace-only line after [Thumbprint] belongs to the value, not the object gap
    assert objs[0].lines["CertificateType"] == 22


def test_ellipsis_truncation_is_kept_verbatim() -> None:
    text = format_list([[
        ("WIASupportedUserAgents", "{MSIE 6.0, MSIE 7.0, MSIE 8.0, MSIE 9.0…}"),
        ("Identifier", "http://fs.contoso.com/adfs/services/trust"),
    ]])
    (obj,) = parse_format_list(text, "ps7.txt")
    assert obj.properties["WIASupportedUserAgents"] == "{MSIE 6.0, MSIE 7.0, MSIE 8.0, MSIE 9.0…}"


def test_known_keys_decide_flush_left_lines() -> None:
    text = "Identifier   : http://a/adfs/services/trust\nNote : wrapped text\nHostName     : a\n"
    (with_known,) = parse_format_list(text, "k.txt", known=ALL_KNOWN)
    assert with_known.properties == {"Identifier": "http://a/adfs/services/trust\nNote : wrapped text", "HostName": "a"}
    (without,) = parse_format_list(text, "k.txt")
    assert without.properties == {"Identifier": "http://a/adfs/services/trust", "Note": "wrapped text", "HostName": "a"}
    # An unknown property aligned with the object's labels is still a property.
    aligned = "Identifier   : x\nNewProperty  : y\nHostName     : a\n"
    (obj,) = parse_format_list(aligned, "k.txt", known=ALL_KNOWN)
    assert obj.properties == {"Identifier": "x", "NewProperty": "y", "HostName": "a"}


def test_prompt_variants_and_bare_commands() -> None:
    text = (
        "PS Cert:\\LocalMachine\\Root> Get-AdfsProperties | FL AutoCert*\n\nAutoCertificateRollover : True\n\n"
        "PS C:\\Windows\\system32>\n\nAutoCertificateRollover : False\n\n"
        "Get-AdfsProperties\n\nAutoCertificateRollover : True\n"
    )
    objs = parse_captures(text, "p.txt")
    assert [(o.command, o.properties["AutoCertificateRollover"]) for o in objs] == [
        ("Get-AdfsProperties | FL AutoCert*", "True"),
        (None, "False"),
        ("Get-AdfsProperties", "True"),
    ]


def test_repeated_key_without_blank_line_starts_a_new_object() -> None:
    text = "Name : a\nStatus : Verified\nName : b\nStatus : Unverified\n"
    objs = parse_format_list(text, "r.txt")
    assert [o.properties for o in objs] == [{"Name": "a", "Status": "Verified"}, {"Name": "b", "Status": "Unverified"}]
    assert [o.line for o in objs] == [1, 3]


def test_empty_and_blank_inputs() -> None:
    assert parse_captures("", "e.txt") == []
    assert parse_captures("\n \n\t\n", "e.txt") == []
    assert parse_captures("PS C:\\>\n", "e.txt") == []
    assert parse_captures("just some words\nand more", "e.txt") == []


# -- property tests ---------------------------------------------------------------------------------


def _check(objs: list[PSObject]) -> None:
    for obj in objs:
        assert isinstance(obj, PSObject)
        for value in obj.properties.values():
            if isinstance(value, str) and "[Thumbprint]" in value:
                try:
                    certificate_from_text(value)
                except FedauditError as exc:
                    assert isinstance(exc, (CertificateError, DateError))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    _check(parse_captures(text, "fuzz.txt"))
    _check(parse_captures(text, "fuzz.txt", known=ALL_KNOWN))


_NOISE = st.sampled_from([
    "", "   ", "PS C:\\>", "PS C:\\> Get-AdfsCertificate", "----  ------", "Name Status", "[Subject]", "[Thumbprint]",
    "  CN=x", "`", "``", "Thumbprint : …", "    x", "\t", "Source                  : ADFS Server", "\x1b[32;1m", "(実行結果例)",
    "Id                            AuthenticationType", "--                            ------------------", "...",
])


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(FIXTURES),
    st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace", "duplicate"]), st.integers(0, 10_000),
                       st.one_of(_NOISE, st.text(max_size=40))), max_size=6),
)
def test_mutated_samples_never_raise_anything_else(name: str, edits) -> None:
    lines = read(name).split("\n")
    for op, pos, new in edits:
        i = pos % (len(lines) + 1)
        if op == "insert":
            lines.insert(i, new)
        elif lines and i < len(lines):
            if op == "delete":
                del lines[i]
            elif op == "replace":
                lines[i] = new
            else:
                lines.insert(i, lines[i])
    text = "\n".join(lines)
    _check(parse_captures(text, name, known=ALL_KNOWN))
    _check(parse_format_list(text, name))
    _check(parse_format_list(text, name, known=GET_ADFS_CERTIFICATE))


def test_large_capture_of_many_objects_keeps_every_object() -> None:
    rng = random.Random(7)
    objects = [
        [("Name", f"d{n}.contoso.com"), ("Status", rng.choice(["Verified", "Unverified"])), ("Authentication", "Federated")]
        for n in range(2000)
    ]
    objs = parse_format_list(format_list(objects), "big.txt", known=ALL_KNOWN)
    assert [o.properties["Name"] for o in objs] == [f"d{n}.contoso.com" for n in range(2000)]


# -- cmdlet recognition from property names (fedaudit.parse.properties) ------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Source", "TokenSigningCertificate"], "Get-MsolFederationProperty"),
        (["CertificateType", "Thumbprint", "IsPrimary", "NotAfter"], "Get-AdfsCertificate"),
        (["AutoCertificateRollover", "CertificateDuration"], "Get-AdfsProperties"),
        (["Name", "Status", "Authentication"], "Get-MsolDomain"),
        (["Id", "AuthenticationType", "IsVerified"], "Get-MgDomain"),
        (["issuerUri", "signingCertificate", "signingCertificateUpdateStatus", "id"], "internalDomainFederation"),
        (["IssuerUri", "SigningCertificate", "SigningCertificateUpdateStatus", "Id"], "Get-MgDomainFederationConfiguration"),
        (["ISSUERURI", "PASSIVELOGONURI"], "Get-MsolDomainFederationSettings"),  # case-insensitive
        (["@odata.context", "authenticationType", "isVerified", "supportedServices"], "domain"),
        (["Id"], None),  # shared by several cmdlets: a tie
        (["Foo", "Bar"], None),
        ([], None),
        (["IssuerUri"], None),  # one shared name is not enough
    ],
)
def test_identify_cmdlet(names: list[str], expected: str | None) -> None:
    assert identify_cmdlet(names) == expected


def test_all_known_is_the_union() -> None:
    from fedaudit.parse import properties as P

    assert P.ALL_KNOWN == frozenset().union(*P.CMDLET_PROPERTIES.values())
    assert {"TokenSigningCertificate", "LoopDetectionMaximumTokensIssuedInInterval", "Manufacturer"} <= P.ALL_KNOWN
    assert "ExtensionData" in P.GET_MSOL_DOMAIN_FEDERATION_SETTINGS


def test_start_transcript_capture(ders) -> None:
    # Start-Transcript (Windows PowerShell 5.1) writes UTF-8 with BOM, a header of
    # "Name: value" lines without padding, prompts with the commands, and a footer.
    body = _adfs_certificate_capture(*ders, "en-US").split("\n", 1)[1]
    text = (
        "**********************\nWindows PowerShell transcript start\nStart time: 20250301101500\n"
        "Username: CONTOSO\\adfsadmin\nRunAs User: CONTOSO\\adfsadmin\nConfiguration Name: \n"
        "Machine: ADFS01 (Microsoft Windows NT 10.0.17763.0)\nPSVersion: 5.1.17763.5830\n"
        "**********************\nTranscript started, output file is C:\\audit\\adfs.txt\n"
        "PS C:\\Windows\\system32> Get-AdfsCertificate -CertificateType Token-Signing\n"
        + body
        + "PS C:\\Windows\\system32> Stop-Transcript\n**********************\n"
        "Windows PowerShell transcript end\nEnd time: 20250301101530\n**********************\n"
    )
    decoded, encoding = decode(codecs.BOM_UTF8 + text.replace("\n", "\r\n").encode(), "transcript.txt")
    assert encoding == "utf-8-sig"
    objs = parse_captures(decoded, "transcript.txt")
    assert [o.properties["IsPrimary"] for o in objs] == ["True", "False"]
    assert {o.command for o in objs} == {"Get-AdfsCertificate -CertificateType Token-Signing"}
    assert [certificate_from_text(o.properties["Certificate"]).thumbprint for o in objs] == [
        certificate_from_der(d).thumbprint for d in ders
    ]


def test_multi_line_command_and_tab_padded_label() -> None:
    text = (
        "PS C:\\> Get-MsolDomain -Authentication Federated |\n"
        ">> ForEach-Object { Get-MsolDomainFederationSettings -DomainName $_.Name } |\n"
        ">> Format-List IssuerUri, PreferredAuthenticationProtocol\n"
        "\n"
        "IssuerUri\t\t\t: http://fs.contoso.com/adfs/services/trust\n"
        "PreferredAuthenticationProtocol : WsFed\n"
    )
    (obj,) = parse_captures(text, "ml.txt", known=ALL_KNOWN)
    assert obj.command == (
        "Get-MsolDomain -Authentication Federated | ForEach-Object { Get-MsolDomainFederationSettings "
        "-DomainName $_.Name } | Format-List IssuerUri, PreferredAuthenticationProtocol"
    )
    assert obj.properties == {"IssuerUri": "http://fs.contoso.com/adfs/services/trust", "PreferredAuthenticationProtocol": "WsFed"}
    assert obj.line == 5


def test_collection_of_certificates_is_one_value(ders) -> None:
    from fedaudit.parse.x509text import certificate_blocks

    items = [x509_tostring(d, "ja-JP") for d in ders]
    value = "{" + ", ".join(items) + "}"
    text = format_list([[("Name", "Fabrikam IdP"), ("TokenSigningCertificates", value), ("Enabled", "True")]])
    (obj,) = parse_format_list(text, "cpt.txt")
    assert obj.properties["Enabled"] == "True"
    blocks = certificate_blocks(obj.properties["TokenSigningCertificates"])
    assert [certificate_from_text(b).thumbprint for b in blocks] == [certificate_from_der(d).thumbprint for d in ders]
