"""fedaudit.parse.x509text: certificates from printed ``[Subject] ... [Thumbprint]`` blocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _text_render import x509_tostring
from fedaudit.parse.certs import certificate_from_der
from fedaudit.errors import CertificateError, DateError, FedauditError
from fedaudit.parse.pslist import parse_format_list
from fedaudit.parse.x509text import certificate_from_text, looks_like_certificate_text, normalise_dn
from support.synth import mint_certificate

TEXT = Path(__file__).parent.parent / "data" / "formats" / "text"
UTC = dt.timezone.utc


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def _block(name: str, prop: str) -> str:
    (obj,) = [o for o in parse_format_list((TEXT / name).read_text(encoding="utf-8"), name) if prop in o.properties][:1]
    return obj.properties[prop]


@pytest.mark.parametrize(
    ("fixture", "prop", "culture", "expected"),
    [
        (
            "adfscertificate_qa2007742_backticks.txt", "Certificate", None,
            ("5A4AE6D2F2164DDCAB1C156828F2594845533213", "CN=ADFS Signing - adfs.lab.com",
             "7B8A1B0D7FF00B8D44FDA36A3B4A4B6A", utc(2024, 8, 1, 15, 57, 51), utc(2025, 8, 1, 15, 57, 51)),
        ),
        (
            "adfscertificate_dede_reconstructed.txt", "Certificate", "de-DE",
            ("5A4AE6D2F2164DDCAB1C156828F2594845533213", "CN=ADFS Signing - adfs.lab.com",
             "7B8A1B0D7FF00B8D44FDA36A3B4A4B6A", utc(2024, 8, 1, 15, 57, 51), utc(2025, 8, 1, 15, 57, 51)),
        ),
        (
            "adfscertificate_jajp_signing_collapsed.txt", "Certificate", None,
            ("41D3FE9CB98FA89BE0899904B3B227DECB8A512A", "CN=ADFS Signing - adfs.test.com",
             "1E841605620028AC4FB542149E31A4A7", utc(2017, 10, 11, 15, 9, 47), utc(2057, 10, 1, 15, 9, 47)),
        ),
        (
            "adfscertificate_jajp_decrypting_collapsed.txt", "Certificate", "ja-JP",
            ("57CA6410E8C213DC14645AEBCCDEF0481FC8C641", "CN=ADFS Encryption - adfs.test.com",
             "3E79CAA431F92DB6454084FEA1AE9995", utc(2017, 10, 11, 15, 9, 47), utc(2057, 10, 1, 15, 9, 47)),
        ),
        (
            "msolfederationproperty_blog2018.txt", "TokenSigningCertificate", None,
            ("B66B38DAA9D962965A349333F6872173998579DF", "CN=ADFS Signing - adfs.domain.tld",
             "5DB54681AC561D994765FA59C1552141", utc(2017, 5, 5, 16, 1, 18), utc(2018, 5, 5, 16, 1, 18)),
        ),
        (
            "x509block_enus_fragment.txt", "TokenSigningCertificate", "en-US",
            ("B66B38DAA9D962965A349333F6872173998579DF", "CN=ADFS Signing - adfs.domain.tld",
             "5DB54681AC561D994765FA59C1552141", utc(2017, 5, 5, 16, 1, 18), utc(2018, 5, 5, 16, 1, 18)),
        ),
    ],
)
def test_verbatim_blocks(fixture: str, prop: str, culture: str | None, expected: tuple) -> None:
    cert = certificate_from_text(_block(fixture, prop), culture=culture, origin=fixture, line=3)
    thumb, subject, serial, not_before, not_after = expected
    assert cert.thumbprint == thumb
    assert cert.subject == cert.issuer == subject
    assert cert.serial == serial
    assert (cert.not_before, cert.not_after) == (not_before, not_after)
    assert cert.self_signed is True and cert.text_derived is True
    assert cert.sha256 is None and cert.key_type is None and cert.der is None


def test_clixml_tostring_matches_the_verified_rawdata_vector() -> None:
    # <ToString> of a real Export-Clixml (x509-thumbprints.md: RawData SHA-1 C8A9...C2A4,
    # NotBefore 2017-04-03T22:11:29Z). The text says 04/04/2017 00:11:29: the exporting machine
    # was at UTC+2 and printed local time, which we read as UTC - two hours off, as documented.
    text = (TEXT / "clixml_tostring_azurevpn.txt").read_text(encoding="utf-8")
    assert "_x000D__x000A_" in text
    cert = certificate_from_text(text)
    assert cert.thumbprint == "C8A900563F172F6BD10109D9AA8B12EE1037C2A4"
    assert cert.serial == "179D404CA0B6B0A345B6919DAE30A989"
    assert cert.subject == cert.issuer == "CN=azureVPNRootCert"
    assert cert.not_before == utc(2017, 4, 4, 0, 11, 29)
    assert cert.not_after == utc(2018, 4, 4, 0, 31, 29)
    assert cert.not_before - utc(2017, 4, 3, 22, 11, 29) == dt.timedelta(hours=2)


def test_export_csv_cell_with_crlf() -> None:
    block = _block("msolfederationproperty_blog2018.txt", "TokenSigningCertificate").replace("\n", "\r\n") + "\r\n"
    cert = certificate_from_text(block)
    assert cert.thumbprint == "B66B38DAA9D962965A349333F6872173998579DF"
    assert cert.not_after == utc(2018, 5, 5, 16, 1, 18)


@pytest.mark.parametrize("culture", ["en-US", "en-GB", "de-DE", "ja-JP", "nl-NL"])
def test_minted_certificate_in_every_culture_matches_its_der(culture: str) -> None:
    # 3 April / 4 March: ambiguous d/M on purpose.
    der = mint_certificate("ADFS Signing - fs.contoso.com", utc(2024, 3, 4, 5, 6, 7), utc(2025, 3, 4, 5, 6, 7))
    truth = certificate_from_der(der)
    cert = certificate_from_text(x509_tostring(der, culture, newline="\r\n"), culture=culture)
    assert cert.thumbprint == truth.thumbprint
    assert cert.serial == truth.serial
    assert cert.subject == truth.subject and cert.issuer == truth.issuer
    assert (cert.not_before, cert.not_after) == (truth.not_before, truth.not_after)
    assert cert.self_signed is truth.self_signed is True


def test_ambiguous_dates_without_culture_raise_date_error() -> None:
    der = mint_certificate("ADFS Signing - fs.contoso.com", utc(2024, 3, 4, 5, 6, 7), utc(2025, 3, 4, 5, 6, 7))
    with pytest.raises(DateError) as info:
        certificate_from_text(x509_tostring(der, "en-GB"), origin="fl.txt", line=12)
    assert info.value.field == "Not Before" and info.value.line == 12
    assert "--culture" in str(info.value)


def test_one_unambiguous_date_settles_the_other() -> None:
    der = mint_certificate("ADFS Signing - fs.contoso.com", utc(2024, 3, 4, 5, 6, 7), utc(2025, 3, 24, 5, 6, 7))
    cert = certificate_from_text(x509_tostring(der, "en-GB"))  # 24/03/2025 says day first
    assert cert.not_before == utc(2024, 3, 4, 5, 6, 7)


def test_ca_issued_certificate_with_quoted_dn_matches_der_spelling() -> None:
    der = mint_certificate(
        "CN=ADFS Signing - fs.contoso.com,O=Contoso\\, Ltd,C=US",
        utc(2024, 1, 20, 0, 0, 0), utc(2026, 1, 20, 0, 0, 0),
        issuer="CN=Contoso Issuing CA 01,O=Contoso\\, Ltd,C=US",
        serial=0x8A1B2C3D4E5F60718293A4B5C6D7E8F9,  # high bit set: DER and .NET add a 00 byte
    )
    truth = certificate_from_der(der)
    text = x509_tostring(der, "en-US")
    assert 'O="Contoso, Ltd"' in text  # how .NET prints it
    assert "  008A1B2C3D4E5F60718293A4B5C6D7E8F9" in text
    cert = certificate_from_text(text)
    assert cert.subject == truth.subject == "CN=ADFS Signing - fs.contoso.com,O=Contoso\\, Ltd,C=US"
    assert cert.issuer == truth.issuer
    assert cert.self_signed is False
    assert cert.serial == truth.serial  # leading 00 of a high-bit serial dropped


def test_normalise_dn() -> None:
    assert normalise_dn('CN=a, O="b, c", S=Bavaria, C=DE') == "CN=a,O=b\\, c,ST=Bavaria,C=DE"
    assert normalise_dn("CN=a + OU=b, O=c") == "CN=a+OU=b,O=c"
    assert normalise_dn("not a dn") == "not a dn"


@pytest.mark.parametrize(
    ("mutate", "error", "message"),
    [
        (lambda b: b.replace("B66B38DAA9D962965A349333F6872173998579DF", "B66B38DAA9D962965A349333F6872173…"),
         CertificateError, "not 40 hex digits"),
        (lambda b: b.split("[Thumbprint]")[0], CertificateError, "no \\[Thumbprint\\]"),
        (lambda b: b.split("[Thumbprint]")[0] + "[Thumbprint]\n", CertificateError, "empty \\[Thumbprint\\]"),
        (lambda b: b.replace("5/5/2018 4:01:18 PM", "5/5/2018 4:01:18 PM…"), DateError, "Not After"),
    ],
    ids=["ellipsis-thumbprint", "no-thumbprint", "empty-thumbprint", "truncated-date"],
)
def test_broken_blocks(mutate, error, message) -> None:
    block = mutate(_block("msolfederationproperty_blog2018.txt", "TokenSigningCertificate"))
    with pytest.raises(error, match=message):
        certificate_from_text(block, origin="b.txt", line=4)


def test_missing_sections_give_none_not_errors() -> None:
    cert = certificate_from_text("[Thumbprint]\n  b66b38daa9d962965a349333f6872173998579df ★<<<")
    assert cert.thumbprint == "B66B38DAA9D962965A349333F6872173998579DF"
    assert (cert.subject, cert.not_after, cert.self_signed, cert.serial) == (None, None, None, None)


def test_collection_form_and_single_line_form() -> None:
    block = _block("msolfederationproperty_blog2018.txt", "TokenSigningCertificate")
    assert certificate_from_text("{" + block + "}").thumbprint == "B66B38DAA9D962965A349333F6872173998579DF"
    one_line = " ".join(block.split())
    cert = certificate_from_text(one_line)
    assert cert.subject == "CN=ADFS Signing - adfs.domain.tld"
    assert cert.not_before == utc(2017, 5, 5, 16, 1, 18)


def test_looks_like_certificate_text() -> None:
    assert looks_like_certificate_text(_block("x509block_enus_fragment.txt", "TokenSigningCertificate"))
    assert not looks_like_certificate_text("MIIC3jCCAcagAwIBAgIQEt0T0G5GPZ9")


_SECTION_LINES = st.sampled_from(
    ["[Subject]", "[Issuer]", "[Serial Number]", "[Not Before]", "[Not After]", "[Thumbprint]", "",
     "  CN=ADFS Signing - x", "  5/5/2017 4:01:18 PM", "  04/05/2017 00:00:00", "  B66B38DAA9D962965A349333F6872173998579DF",
     "  7B8A1B0D7FF00B8D44FDA36A3B4A4B6A", "_x000D__x000A_", "★<<<", "  …"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_SECTION_LINES, st.text(max_size=30)), max_size=16), st.sampled_from([None, "en-US", "de-DE", "ja-JP"]))
def test_arbitrary_blocks_return_a_certificate_or_raise_fedaudit_error(lines: list[str], culture) -> None:
    try:
        cert = certificate_from_text("\n".join(lines), culture=culture)
    except FedauditError as exc:
        assert isinstance(exc, (CertificateError, DateError))
        return
    assert len(cert.thumbprint) == 40 and cert.text_derived
