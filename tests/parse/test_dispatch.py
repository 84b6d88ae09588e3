"""read_export: form and cmdlet recognised from content; bad input becomes load issues."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from fedaudit.errors import UsageError
from fedaudit.parse import read_export
from fedaudit.parse.dispatch import UNRECOGNISED
from tests._structured_render import (
    clixml_adfs_certificates,
    clixml_adfs_properties,
    csv_adfs_certificates,
    facts,
    graph_federation,
    json51_adfs_properties,
    json_adfs_certificates,
    utf16,
    x509_tostring,
)

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def der():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    return mint_certificate("CN=ADFS Signing - sts.contoso.com", start, start + dt.timedelta(days=365))


def fl(pairs: list[tuple[str, str]]) -> str:
    """A Format-List object as ListWriter prints it (labels padded, continuation indented)."""
    width = max(len(k) for k, _ in pairs)
    out = []
    for key, value in pairs:
        lines = value.split("\n")
        out.append(f"{key.ljust(width)} : {lines[0]}")
        out.extend(" " * (width + 3) + rest for rest in lines[1:])
    return "\r\n\r\n" + "\r\n".join(out) + "\r\n\r\n"


def test_format_list_utf16(der):
    text = "PS C:\\> Get-AdfsCertificate -CertificateType Token-Signing" + fl(
        [
            ("Certificate", x509_tostring(der, "de-DE", "\n")),
            ("CertificateType", "Token-Signing"),
            ("IsPrimary", "True"),
            ("StoreLocation", "CurrentUser"),
            ("StoreName", "My"),
            ("Thumbprint", facts(der)["thumbprint"]),
        ]
    )
    r = read_export(utf16(text), "tok.txt")
    assert r.kind == "Get-AdfsCertificate (Format-List, UTF-16LE)"
    [o] = r.observations
    assert o.certificate.thumbprint == facts(der)["thumbprint"]
    assert o.certificate.not_after == dt.datetime(2027, 3, 1, 12, tzinfo=UTC)
    assert r.issues == ()


@pytest.mark.parametrize(
    "make,kind",
    [
        (lambda d: utf16(clixml_adfs_certificates([(d, "Token-Signing", True)])), "Get-AdfsCertificate (Export-Clixml, UTF-16LE)"),
        (lambda d: json_adfs_certificates([(d, "Token-Signing", True)], "5.1").encode("utf-8"), "Get-AdfsCertificate (ConvertTo-Json 5.1, UTF-8)"),
        (lambda d: b"\xef\xbb\xbf" + json_adfs_certificates([(d, "Token-Signing", True)], "7").encode(), "Get-AdfsCertificate (ConvertTo-Json 7, UTF-8 BOM)"),
        (lambda d: csv_adfs_certificates([(d, "Token-Signing", True)]).encode("ascii"), "Get-AdfsCertificate (Export-Csv, UTF-8)"),
        (lambda d: csv_adfs_certificates([(d, "Token-Signing", True)], culture="de-DE", delimiter=";", type_line=False).encode("cp1252"), "Get-AdfsCertificate (Export-Csv, UTF-8)"),
    ],
)
def test_structured_forms_agree_with_the_bytes(der, make, kind):
    r = read_export(make(der), "x")
    assert r.kind == kind
    [o] = r.observations
    f = facts(der)
    assert (o.source, o.role, o.slot) == ("adfs", "token-signing", "primary")
    assert o.certificate.thumbprint == f["thumbprint"]
    assert o.certificate.not_before == f["not_before"] and o.certificate.not_after == f["not_after"]
    assert r.issues == ()


def test_adfs_properties_in_clixml_and_json51():
    for data, form in (
        (utf16(clixml_adfs_properties("sts.contoso.com", "http://sts.contoso.com/adfs/services/trust", True, CertificateDuration=730)), "Export-Clixml"),
        (json51_adfs_properties("sts.contoso.com", "http://sts.contoso.com/adfs/services/trust", True).encode(), "ConvertTo-Json 5.1"),
    ):
        r = read_export(data, "p")
        assert r.kind.startswith(f"Get-AdfsProperties ({form}")
        [farm] = r.farms
        assert (farm.farm, farm.identifier, farm.auto_certificate_rollover) == ("sts.contoso.com", "http://sts.contoso.com/adfs/services/trust", True)
        assert r.issues == ()


def test_graph_json_and_cp1252(der):
    r = read_export(graph_federation(der, context_domain="contoso.com", as_list=True).encode(), "g.json")
    assert r.kind == "Graph internalDomainFederation (Graph JSON, UTF-8)"
    assert r.domains[0].domain == "contoso.com" and r.domains[0].update_result == "success"
    settings = fl([("IssuerUri", "http://sts.contoso.com/adfs/services/trust"), ("FederationBrandName", "Contoso Gr\u00fcn"), ("SigningCertificate", base64.b64encode(der).decode())])
    r = read_export(("PS C:\\> Get-MsolDomainFederationSettings -DomainName contoso.com" + settings).encode("cp1252"), "s.txt")
    assert r.kind == "Get-MsolDomainFederationSettings (Format-List, cp1252)"
    assert r.domains[0].domain == "contoso.com" and r.observations[0].slot == "current"


def test_domain_argument_reaches_the_settings(der):
    settings = fl([("IssuerUri", "http://sts.contoso.com/adfs/services/trust"), ("SigningCertificate", base64.b64encode(der).decode())])
    r = read_export(settings.encode(), "s.txt", domain="contoso.com")
    assert r.domains[0].domain == "contoso.com" and r.observations[0].domain == "contoso.com"


def test_mixed_table_then_list_capture():
    text = (
        "PS> Get-MsolDomain -Authentication federated | foreach { $_; Get-MsolDomainFederationSettings -DomainName $_.Name }\n\n"
        "Name        Status   Authentication\n----        ------   --------------\ncontoso.com Verified Federated\n"
        + fl([("IssuerUri", "http://sts.contoso.com/adfs/services/trust"), ("PassiveLogOnUri", "https://sts.contoso.com/adfs/ls/")])
    )
    r = read_export(text.encode(), "m.txt")
    assert r.kind == "Get-MsolDomain + Get-MsolDomainFederationSettings (Format-Table + Format-List, UTF-8)"
    assert [d.domain for d in r.domains] == ["contoso.com", None]


def test_certificate_files(der):
    r = read_export(der, "c.cer")
    assert r.kind == "X.509 certificate (DER)" and r.observations[0].source == "file"
    pem = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    r = read_export(pem * 2, "c.pem")
    assert r.kind == "X.509 certificate (PEM)" and len(r.observations) == 2
    r = read_export(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "bad.pem")
    assert r.observations == () and len(r.issues) == 1
    r = read_export(x509_tostring(der, "ja-JP").encode(), "printed.txt")
    assert r.kind == "X.509 certificate (printed text, UTF-8)"
    assert r.observations[0].certificate.not_after == facts(der)["not_after"]


def test_http_exchange_is_read_with_file_line_numbers(der):
    body = graph_federation(der, context_domain="contoso.com")
    r = read_export(("HTTP/1.1 200 OK\nContent-Type: application/json\n\n" + body).encode(), "g.http")
    assert r.domains[0].domain == "contoso.com" and r.domains[0].line == 4


@pytest.mark.parametrize(
    "data,kind,message",
    [
        (b"", "empty", "empty file"),
        (b"  \r\n\t\r\n", "empty", "empty file"),
        (b"hello world\nthis is not an export\n", "unrecognised", UNRECOGNISED),
        (b'{"Calendar":  1}', "unrecognised", UNRECOGNISED),
        (b"<html><body>login</body></html>", "unrecognised", UNRECOGNISED),
        (b"\x00\x01\x02binary\x00\x00\x00\xff", "unreadable", "binary data"),
        (b'{"a": ', "unreadable", "not JSON"),
        (b'<Objs xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj>', "unreadable", "not well-formed"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><Objs xmlns="http://schemas.microsoft.com/powershell/2004/04"/>', "unreadable", "DOCTYPE"),
    ],
)
def test_bad_input_is_an_issue_not_an_exception(data, kind, message):
    r = read_export(data, "bad.txt")
    assert r.kind == kind
    assert len(r.issues) == 1 and message in r.issues[0].message and r.issues[0].origin == "bad.txt"
    assert r.farms == r.domains == r.observations == ()


def test_partly_recognised_capture_notes_the_rest():
    text = fl([("HostName", "sts.contoso.com"), ("Identifier", "http://sts.contoso.com/adfs/services/trust")]) + fl([("Foo", "1"), ("Bar", "2")])
    r = read_export(text.encode(), "p.txt")
    assert len(r.farms) == 1
    assert [i.severity for i in r.issues] == ["info"] and "1 of 2 objects" in r.issues[0].message


def test_culture_inferred_from_the_same_file(der):
    # Two certificates printed on one en-GB machine: 13/... settles 04/05/...
    from support.synth import mint_certificate

    other = mint_certificate("CN=x", dt.datetime(2026, 5, 4, tzinfo=UTC), dt.datetime(2027, 5, 4, tzinfo=UTC), key_slot=3)
    clear = mint_certificate("CN=y", dt.datetime(2026, 5, 13, tzinfo=UTC), dt.datetime(2027, 5, 13, tzinfo=UTC), key_slot=4)
    text = "".join(
        fl([("Certificate", x509_tostring(d, "en-GB", "\n")), ("CertificateType", "Token-Signing"), ("IsPrimary", p), ("Thumbprint", facts(d)["thumbprint"])])
        for d, p in ((other, "True"), (clear, "False"))
    )
    r = read_export(text.encode(), "gb.txt")
    assert [o.certificate.not_before for o in r.observations] == [dt.datetime(2026, 5, 4, tzinfo=UTC), dt.datetime(2026, 5, 13, tzinfo=UTC)]
    assert [i.severity for i in r.issues] == ["info"] and "day first" in r.issues[0].message
    # Alone, the ambiguous one is an issue naming file, line and field; a culture settles it.
    alone = fl([("Certificate", x509_tostring(other, "en-GB", "\n")), ("CertificateType", "Token-Signing"), ("IsPrimary", "True")])
    r = read_export(alone.encode(), "alone.txt")
    assert r.observations[0].certificate.not_before is None
    assert [(i.origin, i.line, i.field) for i in r.issues] == [("alone.txt", 3, "Certificate [Not Before]")]
    r = read_export(alone.encode(), "alone.txt", culture="en-GB")
    assert r.observations[0].certificate.not_before == dt.datetime(2026, 5, 4, tzinfo=UTC) and r.issues == ()


def test_unknown_culture_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown culture"):
        read_export(b"x", "x", culture="xx-XX")
