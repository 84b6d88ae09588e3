"""Export-Clixml into PSObjects: the real sample, references, escapes and hostile XML."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from fedaudit.errors import HostileXMLError, ParseError
from fedaudit.parse.clixml import parse_clixml, unescape
from fedaudit.parse.textio import decode
from tests._structured_render import clixml_adfs_certificates, clixml_adfs_properties, facts, utf16

UTC = dt.timezone.utc
DATA = Path(__file__).parent.parent / "data" / "formats" / "structured"
NS = 'xmlns="http://schemas.microsoft.com/powershell/2004/04"'


def wrap(body: str) -> str:
    return f'<Objs Version="1.1.0.1" {NS}>{body}</Objs>'


@pytest.fixture(scope="module")
def ders():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    return [
        mint_certificate("CN=ADFS Signing - sts.contoso.com", start, start + dt.timedelta(days=365)),
        mint_certificate("CN=ADFS Encryption - sts.contoso.com", start, start + dt.timedelta(days=365), key_slot=1),
    ]


def test_real_x509certificate2_sample():
    text, _ = decode((DATA / "clixml-x509certificate2-azurevpn.xml").read_bytes(), "s.xml")
    [obj] = parse_clixml(text, "s.xml")
    assert obj.type_names[0] == "System.Security.Cryptography.X509Certificates.X509Certificate2"
    raw = obj.properties["RawData"]
    assert isinstance(raw, bytes) and len(raw) == 757
    assert obj.properties["ToString"].startswith("[Subject]\r\n  CN=azureVPNRootCert\r\n\r\n[Issuer]")
    assert obj.properties["PSChildName"] == "C8A900563F172F6BD10109D9AA8B12EE1037C2A4"
    assert obj.properties["PSIsContainer"] is False
    assert obj.lines["RawData"] == 10
    assert obj.line == 2


def test_type_name_and_object_references_resolve(ders):
    text = clixml_adfs_certificates([(ders[0], "Token-Signing", True), (ders[1], "Token-Decrypting", False)])
    objs = parse_clixml(text, "c.xml")
    assert [o.type_names[0] for o in objs] == ["Microsoft.IdentityServer.Management.Resources.ServiceCertificate"] * 2
    assert objs[1].properties["StoreLocation"] == "CurrentUser"  # enum via TNRef: its name
    assert objs[1].properties["StoreName"] == "My"
    assert objs[1].properties["IsPrimary"] is False
    assert objs[1].properties["Certificate"]["RawData"] == ders[1]
    assert objs[0].properties["Thumbprint"] == facts(ders[0])["thumbprint"]


def test_ref_points_at_an_earlier_object():
    body = (
        '<Obj RefId="0"><TN RefId="0"><T>X</T></TN><Props><S N="Name">a</S>'
        '<Obj N="Inner" RefId="1"><Props><S N="V">shared</S></Props></Obj></Props></Obj>'
        '<Obj RefId="2"><TNRef RefId="0" /><Props><S N="Name">b</S><Ref N="Inner" RefId="1" /><Ref N="Missing" RefId="99" /></Props></Obj>'
    )
    a, b = parse_clixml(wrap(body), "r.xml")
    assert b.type_names == ("X",)
    assert b.properties["Inner"] == {"V": "shared"}
    assert b.properties["Missing"] is None


def test_primitives_collections_and_dates():
    body = (
        '<Obj RefId="0"><Props>'
        '<DT N="Local">2018-05-05T16:01:18.1234567-07:00</DT><DT N="Utc">2021-08-25T07:44:46Z</DT>'
        '<DT N="Unspecified">0001-01-01T00:00:00</DT><TS N="Window">PT1H30M</TS><TS N="Neg">-P1DT2S</TS>'
        '<I64 N="Big">9000000000</I64><Db N="D">1.5</Db><C N="Ch">65</C><G N="Id">6601d14b-d113-8f64-fda2-9b5ddda18ecc</G>'
        '<Version N="Ver">1.2.3</Version><Nil N="Nothing" /><B N="T">true</B>'
        '<Obj N="List" RefId="1"><LST><S>a</S><I32>2</I32></LST></Obj>'
        '<Obj N="Dict" RefId="2"><DCT><En><S N="Key">@odata.context</S><S N="Value">https://graph.microsoft.com/v1.0/$metadata#domains(\'a.com\')/federationConfiguration/$entity</S></En></DCT></Obj>'
        '<BA N="Broken">not base64!</BA>'
        "</Props></Obj>"
    )
    [obj] = parse_clixml(wrap(body), "p.xml")
    p = obj.properties
    assert p["Local"] == dt.datetime(2018, 5, 5, 23, 1, 18, 123456, tzinfo=UTC)
    assert p["Utc"] == dt.datetime(2021, 8, 25, 7, 44, 46, tzinfo=UTC)
    assert p["Unspecified"] == "0001-01-01T00:00:00"  # no offset: the instant is unknown
    assert p["Window"] == dt.timedelta(hours=1, minutes=30)
    assert p["Neg"] == -dt.timedelta(days=1, seconds=2)
    assert (p["Big"], p["D"], p["Ch"], p["Ver"], p["Nothing"], p["T"]) == (9000000000, 1.5, "A", "1.2.3", None, True)
    assert p["Id"] == "6601d14b-d113-8f64-fda2-9b5ddda18ecc"
    assert p["List"] == ["a", 2]
    assert p["Dict"]["@odata.context"].endswith("$entity")
    assert p["Broken"] == "notbase64!"  # kept as text: the certificate mapper reports it


def test_adfs_properties_clixml(tmp_path):
    text, encoding = decode(utf16(clixml_adfs_properties("sts.contoso.com", "http://sts.contoso.com/adfs/services/trust", False)), "p.xml")
    assert encoding == "utf-16-le"
    [obj] = parse_clixml(text, "p.xml")
    assert obj.properties["Identifier"] == "http://sts.contoso.com/adfs/services/trust"
    assert obj.properties["AutoCertificateRollover"] is False
    assert obj.properties["CertificateGenerationThreshold"] == 20
    assert obj.properties["AcceptableIdentifiers"] == []


@pytest.mark.parametrize(
    "escaped,plain",
    [
        ("a_x000D__x000A_b", "a\r\nb"),
        ("_x0041__x0042_", "AB"),
        ("_xD83D__xDE00_", "\U0001F600"),  # a surrogate pair
        ("under_score_x", "under_score_x"),
        ("_x00_", "_x00_"),
    ],
)
def test_unescape(escaped, plain):
    assert unescape(escaped) == plain


def test_escaped_property_names():
    [obj] = parse_clixml(wrap('<Obj RefId="0"><MS><S N="Display_x0020_Name">x</S></MS></Obj>'), "n.xml")
    assert obj.properties == {"Display Name": "x"}


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE Objs [<!ENTITY a "aaaa">]><Objs ' + NS + '><Obj RefId="0"><Props><S N="x">&a;</S></Props></Obj></Objs>',
        '<?xml version="1.0"?><!DOCTYPE Objs SYSTEM "http://127.0.0.1:1/evil.dtd"><Objs ' + NS + "/>",
        '<Objs ' + NS + '><!ENTITY x "y"></Objs>',
    ],
)
def test_dtd_and_entities_refused(text):
    with pytest.raises(HostileXMLError):
        parse_clixml(text, "h.xml")


def test_deep_nesting_refused():
    depth = 150
    body = "".join(f'<Obj N="n" RefId="{i}"><Props>' for i in range(depth)) + "".join("</Props></Obj>" for _ in range(depth))
    with pytest.raises((HostileXMLError, ParseError)):
        parse_clixml(wrap(f'<Obj RefId="x"><Props>{body}</Props></Obj>'), "deep.xml")


def test_malformed_xml_names_the_line():
    with pytest.raises(ParseError) as info:
        parse_clixml(f"<Objs {NS}>\n<Obj>\n<S N='a'>x</Obj>\n</Objs>", "m.xml")
    assert info.value.line == 3


def test_xml_that_is_not_clixml():
    with pytest.raises(ParseError, match="not PowerShell CLIXML"):
        parse_clixml("<EntityDescriptor/>", "x.xml")


def test_xml_declaration_with_encoding_is_accepted():
    [obj] = parse_clixml(f'<?xml version="1.0" encoding="utf-16"?>\n<Objs {NS}><Obj RefId="0"><Props><S N="a">b</S></Props></Obj></Objs>', "d.xml")
    assert obj.properties == {"a": "b"}


def test_top_level_primitives_are_not_objects():
    assert parse_clixml(wrap("<S>just a string</S><I32>3</I32>"), "s.xml") == []
