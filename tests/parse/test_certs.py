import base64
import datetime as dt

import pytest

from fedaudit.parse.certs import (
    certificate_from_base64,
    certificate_from_der,
    certificate_from_pem,
    normalise_thumbprint,
)
from fedaudit.errors import CertificateError, FedauditError

UTC = dt.timezone.utc

# Verified vector: real CLIXML of an X509Certificate2 (format notes, x509-thumbprints.md, T5);
# source: Pester test of module azureVpnP2SSelfSignedCertificate.
VECTOR_B64 = (
    "MIIC8TCCAdmgAwIBAgIQF51ATKC2sKNFtpGdrjCpiTANBgkqhkiG9w0BAQsFADAbMRkwFwYDVQQDDBBhenVyZVZQTlJvb3RDZXJ0MB4XDTE3MDQwMzIy"
    "MTEyOVoXDTE4MDQwMzIyMzEyOVowGzEZMBcGA1UEAwwQYXp1cmVWUE5Sb290Q2VydDCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBANfNQtqP"
    "rYvhlpQuKMjFtX7EQM4WbhXKMFUfs4MnOgE3Z3RW6C5AeWrARwonW52MlfMcJbvLEGIxyTRW+FrWIO0y2vsdlz11OpuH31lA9aSFATSi6+eBV5j7th+3"
    "dtWW7GbHof758smfQ5OXTzHdV/SR5t6wNxXXuhDvL4jGWNYGwCVtL3rW2zntTGRQ85uX0AYQAHr6Yy9HF+Guqpzt5VoVdZroeVO/LccNuYYObifiEG8B"
    "SDLzBmgoDg0ejsSPdpalGw4OWyNKsvKw6a6DBjTtlCwgsoKOnhaSQfA/v+oDmyYLFRWLEmfLoJw+kkPY7lbLbYnaavuW58d9x+6H+yMCAwEAAaMxMC8w"
    "DgYDVR0PAQH/BAQDAgIEMB0GA1UdDgQWBBT+IawzYxq9qiQBmJuGHqmyzGfdjjANBgkqhkiG9w0BAQsFAAOCAQEANHFhKveGtFxSSY4IahZlKcoeL/Hv"
    "G7xyJ9+t1pV0Dd2KYqP80/mt2Wyhahe895ZQHIBvuSEE2b/mGrWEmWE4QDBBkvNnljjX9RtSkZTurTv2fotfDhB/qqHIj+uPQMEiBgcmxkkXxsTYJYKn"
    "wkT8IHf/jkxX6vVQqxxsIe1DHY5lVp1tsWnZpWFVC59LGynTZzdgtfuy9YlwuqnKQlss5APWLR8E/06eHGMeJeDZbJ8YfK3deEuU8uRPzlvawel1flCe"
    "jIy80ewpU6FyXn9Muki5nP2fCeFkwTPYYk2JYB8BeCEU10brnSnjYAN0tOcmm3trkNWaGwXHg2bv5LDeLQ=="
)


def test_verified_vector():
    cert = certificate_from_base64(VECTOR_B64)
    assert cert.thumbprint == "C8A900563F172F6BD10109D9AA8B12EE1037C2A4"
    assert cert.serial == "179D404CA0B6B0A345B6919DAE30A989"
    assert cert.not_before == dt.datetime(2017, 4, 3, 22, 11, 29, tzinfo=UTC)
    assert cert.not_after == dt.datetime(2018, 4, 3, 22, 31, 29, tzinfo=UTC)
    assert cert.subject == cert.issuer == "CN=azureVPNRootCert"
    assert cert.self_signed is True
    assert cert.key_type == "RSA" and cert.key_size == 2048
    assert cert.signature_hash == "sha256"
    assert cert.text_derived is False


def test_wrapped_and_pem_armoured_base64_rejoins():
    wrapped = "-----BEGIN CERTIFICATE-----\r\n" + "\r\n   ".join(
        VECTOR_B64[i : i + 64] for i in range(0, len(VECTOR_B64), 64)
    ) + "\n-----END CERTIFICATE-----\n"
    assert certificate_from_base64(wrapped).thumbprint == "C8A900563F172F6BD10109D9AA8B12EE1037C2A4"
    assert [c.thumbprint for c in certificate_from_pem(wrapped * 2)] == ["C8A900563F172F6BD10109D9AA8B12EE1037C2A4"] * 2


@pytest.mark.parametrize(
    "junk",
    [
        "MIIE3jCCAsagAwIBAgIQQcyDaZz3MI",  # Graph docs placeholder (truncated)
        "MIIGFT ... yEzQw==",  # blog abbreviation
        "",
        "not base64 at all!",
        base64.b64encode(b"\x30\x03\x02\x01\x01").decode(),  # valid base64, not a certificate
    ],
)
def test_undecodable_is_certificate_error(junk):
    with pytest.raises(CertificateError):
        certificate_from_base64(junk, origin="x.txt", field="SigningCertificate")


def test_minted_certificate(mint):
    nb = dt.datetime(2026, 1, 1, tzinfo=UTC)
    na = dt.datetime(2027, 1, 1, tzinfo=UTC)
    der = mint("ADFS Signing - fs.contoso.com", nb, na, key_size=1024, hash_name="sha1")
    cert = certificate_from_der(der)
    assert cert.subject == "CN=ADFS Signing - fs.contoso.com"
    assert (cert.not_before, cert.not_after) == (nb, na)
    assert cert.key_size == 1024 and cert.signature_hash == "sha1"
    ca_signed = certificate_from_der(mint("CN=fs.contoso.com", nb, na, issuer="CN=Contoso Issuing CA"))
    assert ca_signed.self_signed is False and ca_signed.issuer == "CN=Contoso Issuing CA"


@pytest.mark.parametrize(
    "raw",
    [
        "c8a900563f172f6bd10109d9aa8b12ee1037c2a4",
        "C8:A9:00:56:3F:17:2F:6B:D1:01:09:D9:AA:8B:12:EE:10:37:C2:A4",
        "\u200ec8 a9 00 56 3f 17 2f 6b d1 01 09 d9 aa 8b 12 ee 10 37 c2 a4",
    ],
)
def test_normalise_thumbprint(raw):
    assert normalise_thumbprint(raw) == "C8A900563F172F6BD10109D9AA8B12EE1037C2A4"


def test_bad_thumbprint_is_fedaudit_error():
    with pytest.raises(FedauditError):
        normalise_thumbprint("1234")
