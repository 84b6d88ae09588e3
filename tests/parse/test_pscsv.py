"""Export-Csv into PSObjects."""

from __future__ import annotations

import datetime as dt

import pytest

from fedaudit.errors import ParseError
from fedaudit.parse.pscsv import looks_like_csv, parse_csv, sniff_delimiter
from tests._structured_render import csv_adfs_certificates, facts

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def ders():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 3, 1, 12, tzinfo=UTC)
    return [
        mint_certificate("CN=ADFS Signing - sts.contoso.com", start, start + dt.timedelta(days=365)),
        mint_certificate("CN=ADFS Encryption - sts.contoso.com", start, start + dt.timedelta(days=365), key_slot=1),
    ]


def test_type_line_multiline_cells_and_lines(ders):
    text = csv_adfs_certificates([(ders[0], "Token-Signing", True), (ders[1], "Token-Decrypting", False)]).replace("\r\n", "\n")
    objs = parse_csv(text, "c.csv")
    assert len(objs) == 2
    assert objs[0].type_names == ("Microsoft.IdentityServer.Management.Resources.ServiceCertificate",)
    assert objs[0].properties["Certificate"].startswith("[Subject]\n  CN=ADFS Signing - sts.contoso.com\n")
    assert objs[1].properties["Thumbprint"] == facts(ders[1])["thumbprint"]
    assert objs[0].properties["IsPrimary"] == "True"
    # each certificate cell spans 18 lines (ToString ends with a newline): rows start on 3 and 21
    assert (objs[0].line, objs[1].line) == (3, 21)
    assert objs[1].lines["Thumbprint"] == 21


def test_semicolon_without_type_line(ders):
    text = csv_adfs_certificates([(ders[0], "Token-Signing", True)], culture="de-DE", delimiter=";", type_line=False)
    [obj] = parse_csv(text.replace("\r\n", "\n"), "c.csv")
    assert obj.type_names == ()
    assert "01.03.2026 12:00:00" in obj.properties["Certificate"]


def test_unquoted_header_of_ps7():
    [obj] = parse_csv("Name,Status,Authentication\ncontoso.com,Verified,Federated\n", "d.csv")
    assert obj.properties == {"Name": "contoso.com", "Status": "Verified", "Authentication": "Federated"}
    assert obj.line == 2


def test_format_objects_are_refused_with_advice():
    text = '#TYPE Microsoft.PowerShell.Commands.Internal.Format.FormatStartData\n"ClassId2e4f51ef21dd47e99d3c952918aff9cd","pageHeaderEntry"\n'
    with pytest.raises(ParseError, match="without Format-"):
        parse_csv(text, "f.csv")


def test_extra_fields_are_an_error_naming_the_row():
    with pytest.raises(ParseError, match="3 fields") as info:
        parse_csv('"A","B"\n"1","2"\n"1","2","3"\n', "x.csv")
    assert info.value.line == 3


def test_short_rows_and_blank_rows():
    objs = parse_csv('"A","B"\n"1"\n\n"3","4"\n', "x.csv")
    assert [o.properties for o in objs] == [{"A": "1", "B": ""}, {"A": "3", "B": "4"}]


@pytest.mark.parametrize(
    "header,delim",
    [('"Name","Status"', ","), ('"Name";"Status";"Authentication"', ";"), ("Name\tStatus", "\t"), ("Name Status", None), ("Name", None)],
)
def test_sniff_delimiter(header, delim):
    assert sniff_delimiter(header) == delim


@pytest.mark.parametrize(
    "text,expected",
    [
        ("#TYPE X\n", True),
        ('"Certificate","CertificateType"\n', True),
        ("Name,Status\n", True),
        ("Name                             Status   Authentication\n----  ------  ---\n", False),
        ("CertificateType : Token-Signing\n", False),
        ("Subject, Issuer and more, words here\n", False),
        ("", False),
    ],
)
def test_looks_like_csv(text, expected):
    assert looks_like_csv(text) is expected


def test_no_header():
    with pytest.raises(ParseError, match="without a header"):
        parse_csv("#TYPE X\n\n", "e.csv")
