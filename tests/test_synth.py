"""The export writers of support.synth render what PowerShell renders.

Where a real capture exists (tests/data/synth, sources in SOURCES.md) the writer must reproduce
it: we mint a certificate with the capture's subject, serial and dates and compare the text.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from support import synth
from support._psforms import MIN_VALUE, PSObj, format_list, format_table, to_clixml, to_csv, to_json7, to_json51
from fedaudit.parse.certs import certificate_from_der
from fedaudit.evidence.load import sniff_kind
from support.synth import (
    WRITERS,
    AdfsCertificate,
    AdfsProperties,
    Domain,
    FederationProperty,
    encode,
    format_datetime,
    mint_certificate,
    x509_text,
)

DATA = Path(__file__).parent / "data" / "synth"
UTC = dt.timezone.utc
TWO_HOURS = dt.timedelta(hours=2)


def _cert(subject: str, nb: dt.datetime, na: dt.datetime, **kw: object) -> bytes:
    return mint_certificate(subject, nb, na, **kw)  # type: ignore[arg-type]


def _stripped(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


# -- dates and certificate text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "culture", "offset", "expected"),
    [
        (dt.datetime(2017, 5, 5, 16, 1, 18, tzinfo=UTC), "en-US", 0, "5/5/2017 4:01:18 PM"),
        (dt.datetime(2017, 5, 5, 0, 1, 18, tzinfo=UTC), "en-US", 0, "5/5/2017 12:01:18 AM"),
        (dt.datetime(2024, 8, 1, 15, 57, 51, tzinfo=UTC), "de-DE", 0, "01.08.2024 15:57:51"),
        (dt.datetime(2017, 10, 11, 15, 9, 47, tzinfo=UTC), "ja-JP", 0, "2017/10/11 15:09:47"),
        (dt.datetime(2017, 10, 11, 9, 9, 47, tzinfo=UTC), "ja-JP", 0, "2017/10/11 9:09:47"),
        # the real CLIXML sample: UTC 2017-04-03 22:11:29 printed by a UTC+2 machine
        (dt.datetime(2017, 4, 3, 22, 11, 29, tzinfo=UTC), "en-GB", 2, "04/04/2017 00:11:29"),
        (MIN_VALUE, "en-US", 0, "1/1/0001 12:00:00 AM"),
    ],
)
def test_format_datetime_prints_the_culture_pattern(value, culture, offset, expected):
    assert format_datetime(value, culture, utc_offset=dt.timedelta(hours=offset)) == expected


def test_format_datetime_refuses_unknown_culture():
    with pytest.raises(ValueError, match="unsupported culture"):
        format_datetime(dt.datetime(2020, 1, 1, tzinfo=UTC), "fr-CA")


def test_dotnet_name_is_most_specific_first_and_quotes_specials():
    der = _cert("CN=adfs.example.com,O=Woodgrove\\, Bank,ST=Bavaria,C=DE", dt.datetime(2020, 1, 1, tzinfo=UTC), dt.datetime(2021, 1, 1, tzinfo=UTC))
    name = x509.load_der_x509_certificate(der).subject
    assert synth.dotnet_name(name) == 'CN=adfs.example.com, O="Woodgrove, Bank", S=Bavaria, C=DE'


def test_clixml_tostring_matches_a_real_export():
    excerpt = (DATA / "azurevpn-clixml-excerpt.xml").read_text()
    der = base64.b64decode(re.search(r'<BA N="RawData">([^<]+)</BA>', excerpt).group(1))
    real = re.search(r"<ToString>(.*)</ToString>", excerpt).group(1)
    assert synth.thumbprint(der) == "C8A900563F172F6BD10109D9AA8B12EE1037C2A4"
    ours = to_clixml([AdfsCertificate(der).ps()], culture="en-GB", utc_offset=TWO_HOURS)
    assert f"<ToString>{real}</ToString>" in ours
    assert f'<BA N="RawData">{base64.b64encode(der).decode()}</BA>' in ours


def test_get_adfscertificate_format_list_matches_the_de_DE_capture():
    der = _cert("CN=ADFS Signing - adfs.lab.com", dt.datetime(2024, 8, 1, 15, 57, 51, tzinfo=UTC),
                dt.datetime(2025, 8, 1, 15, 57, 51, tzinfo=UTC), serial=0x7B8A1B0D7FF00B8D44FDA36A3B4A4B6A)
    ours = WRITERS["Get-AdfsCertificate", "list"]([AdfsCertificate(der)], culture="de-DE")
    ours = ours.replace(synth.thumbprint(der), "5A4AE6D2F2164DDCAB1C156828F2594845533213")
    assert _stripped(ours) == _stripped((DATA / "adfscertificate-de-DE.txt").read_text())
    # a real console pads the blank lines inside the block to the value column
    assert "\n" + " " * 18 + "\n" in ours


def test_get_msolfederationproperty_matches_the_en_US_capture():
    der = _cert("CN=ADFS Signing - adfs.domain.tld", dt.datetime(2017, 5, 5, 16, 1, 18, tzinfo=UTC),
                dt.datetime(2018, 5, 5, 16, 1, 18, tzinfo=UTC), serial=0x5DB54681AC561D994765FA59C1552141)
    text = WRITERS["Get-MsolFederationProperty", "list"](
        [FederationProperty("ADFS Server", der), FederationProperty("Microsoft Office 365", der)])
    text = synth.with_prompt(text.replace(synth.thumbprint(der), "B66B38DAA9D962965A349333F6872173998579DF"),
                             "Get-MsolFederationProperty -DomainName domain.tld | FL Source, TokenSigningCertificate", prompt="PS>")
    ours = [line for line in _stripped(text)]
    real = _stripped((DATA / "msolfederationproperty-en-US.txt").read_text())
    # PowerShell prints two empty lines before the first record; the blog kept one after the
    # prompt and dropped the trailing ones.
    assert ours[0] == real[0] and ours[1:3] == ["", ""]
    body = ours[3:]
    while body and not body[-1]:
        body.pop()
    assert body == real[2:]


def test_get_adfsproperties_single_line_values_match_the_docs():
    props = AdfsProperties("sts.contoso.com", identifier="https://sts.contoso.com/adfs/services/trust",
                           display_name="Contoso Corp.", auto_certificate_rollover=False)
    ours = {}
    for line in WRITERS["Get-AdfsProperties", "list"]([props], width=None).splitlines():
        m = re.match(r"^([A-Za-z]\w*) +: (.*)$", line)
        if m:
            ours[m.group(1)] = line.rstrip()
    lockout = {"ExtranetLockoutThreshold", "ExtranetLockoutEnabled", "ExtranetObservationWindow"}  # that farm's own settings
    wrapped = {"AddProxyAuthorizationRules", "AuthenticationContextOrder"}  # wrapped at column 0 in the docs
    compared = 0
    for line in (DATA / "adfsproperties-en-US.txt").read_text().splitlines():
        m = re.match(r"^([A-Za-z]\w*) +: ?(.*)$", line)
        if m and m.group(1) in ours and m.group(1) not in lockout | wrapped:
            assert ours[m.group(1)] == line.rstrip(), m.group(1)
            compared += 1
    assert compared >= 40  # label width 42, values and order conventions all agree


def test_get_msoldomain_table_matches_the_capture():
    domains = [Domain(n, "Managed") for n in ("accops.onmicrosoft.com", "accops.cloud", "accops.mail.onmicrosoft.com")]
    ours = _stripped(WRITERS["Get-MsolDomain", "table"](domains, widths={"Name": 32}))
    real = _stripped((DATA / "msoldomain.txt").read_text())
    assert ours[1:6] == real[2:7]


# -- ConvertTo-Json ------------------------------------------------------------------------------

CALENDAR_51 = """{
    "MinSupportedDateTime":  "\\/Date(-62135596800000)\\/",
    "MaxSupportedDateTime":  "\\/Date(253402300799999)\\/",
    "AlgorithmType":  1,
    "CalendarType":  1,
    "Eras":  [
                 1
             ],
    "TwoDigitYearMax":  2029,
    "IsReadOnly":  false
}
"""


def test_json51_pretty_printer_matches_the_docs():
    calendar = PSObj(("System.Globalization.GregorianCalendar", "System.Object"), (
        ("MinSupportedDateTime", dt.datetime(1, 1, 1)),
        ("MaxSupportedDateTime", dt.datetime(9999, 12, 31, 23, 59, 59, 999000)),
        ("AlgorithmType", 1), ("CalendarType", 1), ("Eras", [1]), ("TwoDigitYearMax", 2029), ("IsReadOnly", False),
    ))
    assert to_json51([calendar]) == CALENDAR_51


@pytest.fixture(scope="module")
def pair() -> list[AdfsCertificate]:
    nb = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    return [
        AdfsCertificate(mint_certificate("CN=ADFS Signing - fs.example.org", nb, nb + dt.timedelta(days=365))),
        AdfsCertificate(mint_certificate("CN=ADFS Encryption - fs.example.org", nb, nb + dt.timedelta(days=365), key_slot=1), "Token-Decrypting"),
    ]


def test_json51_depth_decides_whether_rawdata_survives(pair):
    one = json.loads(to_json51([pair[0].ps()]))  # one object: Certificate at depth 1
    assert bytes(one["Certificate"]["RawData"]) == pair[0].der
    assert one["Certificate"]["NotAfter"] == f"/Date({int(x509.load_der_x509_certificate(pair[0].der).not_valid_after_utc.timestamp() * 1000)})/"
    assert one["StoreLocation"] == 1 and one["StoreName"] == 5  # enums as numbers
    two = json.loads(to_json51([c.ps() for c in pair]))  # an array puts each object one level deeper
    assert two[0]["Certificate"]["RawData"] == " ".join(str(b) for b in pair[0].der)
    deep = json.loads(to_json51([c.ps() for c in pair], depth=3))
    assert bytes(deep[1]["Certificate"]["RawData"]) == pair[1].der
    assert deep[1]["Thumbprint"] == pair[1].thumbprint


def test_json51_escapes_like_javascriptserializer():
    text = to_json51([PSObj(("X",), (("Rule", "c:[Type == 'x'] => issue(c) & <y>"),))])
    assert "\\u0027x\\u0027" in text and "=\\u003e" in text and "\\u0026" in text and "\\u003cy\\u003e" in text
    assert json.loads(text)["Rule"] == "c:[Type == 'x'] => issue(c) & <y>"


def test_json7_is_newtonsoft_indented_with_the_machine_offset(pair):
    text = to_json7([pair[0].ps()], utc_offset=dt.timedelta(hours=-8))
    assert text.startswith('{\n  "Certificate": {\n    "Archived": false,')
    data = json.loads(text)
    assert data["Certificate"]["NotBefore"] == "2026-03-03T21:06:07-08:00"
    assert dt.datetime.fromisoformat(data["Certificate"]["NotBefore"]) == dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert bytes(data["Certificate"]["RawData"]) == pair[0].der


# -- Export-Clixml, Export-Csv ---------------------------------------------------------------------


def test_clixml_reuses_type_names_and_escapes_newlines(pair):
    text = to_clixml([c.ps() for c in pair])
    assert text.startswith('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">\n  <Obj RefId="0">')
    assert text.count("<T>Microsoft.IdentityServer.Management.Resources.ServiceCertificate</T>") == 1
    assert '<TNRef RefId="0" />' in text
    assert "[Subject]_x000D__x000A_  CN=ADFS Signing - fs.example.org_x000D__x000A__x000D__x000A_[Issuer]" in text
    assert "<ToString>CurrentUser</ToString>" in text and "<I32>1</I32>" in text
    assert '<B N="IsPrimary">true</B>' in text
    assert "_x005F_x" in to_clixml([PSObj(("X",), (("Path", "C:\\_x0041_"),))])


def test_csv_with_type_line_and_multiline_certificate(pair):
    text = to_csv([c.ps() for c in pair], culture="de-DE")
    lines = text.splitlines()
    assert lines[0] == "#TYPE Microsoft.IdentityServer.Management.Resources.ServiceCertificate"
    assert lines[1] == '"Certificate","CertificateType","IsPrimary","StoreLocation","StoreName","Thumbprint"'
    rows = list(csv.DictReader(io.StringIO(text.split("\n", 1)[1], newline="")))
    assert [r["Thumbprint"] for r in rows] == [c.thumbprint for c in pair]
    assert rows[0]["Certificate"].startswith("[Subject]\r\n  CN=ADFS Signing - fs.example.org\r\n\r\n[Issuer]")
    assert "04.03.2026 05:06:07" in rows[0]["Certificate"]
    semi = to_csv([c.ps() for c in pair], delimiter=";", type_information=False)
    assert semi.startswith('"Certificate";"CertificateType";')


# -- Format-List, Format-Table -------------------------------------------------------------------


def test_format_list_pads_labels_wraps_and_truncates_collections():
    obj = PSObj(("X",), (("A", "x" * 30), ("LongerLabel", ["a", "b", "c", "d", "e"]), ("Empty", None)))
    text = format_list([obj], width=30)
    lines = text.split("\n")
    assert lines[:2] == ["", ""]
    assert lines[2] == "A           : " + "x" * 16
    assert lines[3] == " " * 14 + "x" * 14
    assert lines[4] == "LongerLabel : {a, b, c, d...}"
    assert lines[5] == "Empty       : "
    assert text.endswith("\n\n\n")
    assert "{a, b, c, d\u2026}" in format_list([obj], ps7=True)
    assert "Empty       :\n" in format_list([obj], trailing_space=False)
    flush = format_list([obj], width=30, indent_continuations=False).split("\n")
    assert flush[3] == "x" * 14


def test_format_table_underlines_headers_and_cuts_long_cells():
    rows = [PSObj(("X",), (("Name", "averyveryverylongname.example"), ("N", 5)))]
    text = format_table(rows, widths={"Name": 12}, right_align=("N",))
    assert text.split("\n")[1:4] == ["Name         N", "----         -", "averyvery... 5"]
    assert "averyveryve\u2026" in format_table(rows, widths={"Name": 12}, ps7=True)


# -- files, keys, certificates, metadata ---------------------------------------------------------


def test_encode_writes_the_bytes_a_shell_saves():
    assert encode("a\nb", "utf-16le-bom") == b"\xff\xfea\x00\r\x00\n\x00b\x00"
    assert encode("a\nb", "utf-8-bom", newline="\n") == b"\xef\xbb\xbfa\nb"
    assert encode("caf\u00e9\r\n", "ascii") == b"caf?\r\n"
    assert encode("caf\u00e9", "cp1252") == b"caf\xe9"
    with pytest.raises(ValueError, match="unknown encoding"):
        encode("x", "utf-32")


def test_fixed_keys_make_minting_reproducible(tmp_path):
    created = synth.write_key_files(tmp_path, [(1024, 7)])
    assert [p.name for p in created] == ["demo-rsa-1024-007.key"]
    assert created[0].read_text().startswith("DEMO KEY - NOT SECRET")
    assert synth.write_key_files(tmp_path, [(1024, 7)]) == []  # never overwritten
    nb = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with synth.fixed_keys(tmp_path) as keys:
        assert set(keys) == {(1024, 7)}
        first = mint_certificate("CN=x", nb, nb + dt.timedelta(days=1), key_size=1024, key_slot=7, hash_name="sha1")
        again = mint_certificate("CN=x", nb, nb + dt.timedelta(days=1), key_size=1024, key_slot=7, hash_name="sha1")
        with pytest.raises(LookupError, match="demo-rsa-1024-008.key"):
            synth.private_key(1024, 8)
        with pytest.raises(RuntimeError), synth.fixed_keys(tmp_path):
            synth.private_key(2048, 0)
    assert first == again
    assert synth.private_key(1024, 7).public_key().public_numbers() != keys[(1024, 7)].public_key().public_numbers()


def test_sha1_certificates_carry_a_real_sha1_signature():
    nb = dt.datetime(2026, 1, 1, tzinfo=UTC)
    der = mint_certificate("CN=ADFS Encryption - old.example", nb, nb + dt.timedelta(days=30), key_size=1024, key_slot=3, hash_name="sha1")
    cert = x509.load_der_x509_certificate(der)
    cert.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), hashes.SHA1())
    record = certificate_from_der(der)
    assert (record.key_size, record.signature_hash, record.self_signed) == (1024, "sha1", True)


def test_federation_metadata_is_signed_by_the_primary_and_reproducible(pair):
    from signxml import XMLVerifier

    ts, td = pair[0].der, pair[1].der
    key = synth.private_key(2048, 0)
    doc = synth.federation_metadata("http://fs.example.org/adfs/services/trust", "fs.example.org", [ts], [td], key=key)
    assert doc == synth.federation_metadata("http://fs.example.org/adfs/services/trust", "fs.example.org", [ts], [td], key=key)
    assert sniff_kind(doc) == "metadata"
    pem = x509.load_der_x509_certificate(ts).public_bytes(serialization.Encoding.PEM)
    verified = XMLVerifier().verify(doc, x509_cert=pem).signed_xml
    assert verified.get("entityID") == "http://fs.example.org/adfs/services/trust"
    assert doc.count(b'<KeyDescriptor use="signing">') == 3 and doc.count(b'<KeyDescriptor use="encryption">') == 3
    with pytest.raises(ValueError, match="primary"):
        synth.federation_metadata("http://x/adfs/services/trust", "x", [td], [], key=key)


def test_fetch_sidecar_has_the_fetch_shape():
    when = dt.datetime(2026, 11, 26, 15, 2, 11, tzinfo=UTC)
    url = "https://fs.example.org/FederationMetadata/2007-06/FederationMetadata.xml"
    stem = synth.fetch_stem(url, when)
    assert stem == "fs.example.org_FederationMetadata_2007-06_FederationMetadata.xml_20261126T150211.000000Z"
    text = synth.fetch_sidecar(url, when, body=b"<EntityDescriptor/>", body_name=f"{stem}.xml")
    data = json.loads(text)
    assert data["fedaudit_fetch"] == 1 and data["fetched_at"] == "2026-11-26T15:02:11Z" and data["status"] == 200
    assert sniff_kind(text.encode()) == "fetch-sidecar"
    failed = json.loads(synth.fetch_sidecar(url, when, body=None, body_name=None, status=None, error="timed out"))
    assert failed["error"] == "timed out" and failed["tls_verified"] is None and failed["bytes"] is None


def test_x509_text_has_the_six_sections_in_order(pair):
    text = x509_text(pair[0].der, "ja-JP")
    assert re.findall(r"^\[(.+)\]$", text, re.M) == ["Subject", "Issuer", "Serial Number", "Not Before", "Not After", "Thumbprint"]
    assert "  2026/03/04 5:06:07\n" in text and text.endswith(pair[0].thumbprint + "\n")


def test_every_writer_renders_text():
    nb = dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    der = mint_certificate("CN=ADFS Signing - fs.example.org", nb, nb + dt.timedelta(days=365))
    records = {
        "Get-AdfsProperties": [AdfsProperties("fs.example.org")],
        "Get-AdfsCertificate": [AdfsCertificate(der)],
        "Get-MsolFederationProperty": [FederationProperty("ADFS Server", der), FederationProperty("Microsoft Office 365", der)],
        "Get-MsolDomainFederationSettings": [synth.FederationSettings.for_adfs("example.org", "fs.example.org", der)],
        "Get-MgDomainFederationConfiguration": [synth.FederationSettings.for_adfs("example.org", "fs.example.org", der)],
        "Get-MsolDomain": [Domain("example.org")],
        "Get-MgDomain": [Domain("example.org")],
    }
    for (cmdlet, form), writer in WRITERS.items():
        text = writer(records[cmdlet])
        assert isinstance(text, str) and len(text) > 50, (cmdlet, form)
