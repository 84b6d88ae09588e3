"""Certificates with a serial number that is not positive, and the decode cache of fedaudit.parse.certs.

cryptography warns (CryptographyDeprecationWarning) when it parses such a serial; pytest runs
with warnings as errors, so any leak fails these tests. Real zero-serial certificates come from
the SWAMID aggregate fixture (tests/data/metadata/SOURCES.md); a negative serial is made by
flipping the sign bit of a minted certificate's serial (a real DER structure whose signature no
longer verifies, which decoding does not check).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import warnings
from pathlib import Path

import pytest

from fedaudit.parse import certs
from fedaudit.parse.certs import certificate_from_base64, certificate_from_der
from fedaudit.errors import CertificateError
from fedaudit.parse import read_export
from support.synth import mint_certificate

DATA = Path(__file__).parent.parent / "data" / "metadata"
UTC = dt.timezone.utc


def _header(der: bytes, i: int) -> tuple[int, int]:
    """(content start, content length) of the DER element at ``i``."""
    n = der[i + 1]
    if n < 0x80:
        return i + 2, n
    k = n & 0x7F
    return i + 2 + k, int.from_bytes(der[i + 2 : i + 2 + k], "big")


def _serial_span(der: bytes) -> tuple[int, int]:
    """(start, length) of the serialNumber INTEGER's content in a certificate's DER."""
    i, _ = _header(der, 0)  # Certificate SEQUENCE
    i, _ = _header(der, i)  # TBSCertificate SEQUENCE
    if der[i] == 0xA0:  # [0] version
        j, n = _header(der, i)
        i = j + n
    assert der[i] == 0x02
    return _header(der, i)


def _zero_serial_b64() -> str:
    text = (DATA / "agg-swamid-1.0.xml").read_text(encoding="utf-8")
    for value in re.findall(r"X509Certificate>([^<]+)<", text):
        der = base64.b64decode(re.sub(r"\s+", "", value))
        if len(der) < 64:
            continue
        start, length = _serial_span(der)
        if der[start : start + length] == b"\x00":
            return value
    raise AssertionError("the SWAMID fixture no longer holds a zero-serial certificate")


def _negative_serial_der() -> bytes:
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    der = bytearray(mint_certificate("CN=negative serial", start, start + dt.timedelta(days=30), serial=0x1234567890ABCDEF))
    at, _ = _serial_span(bytes(der))
    assert der[at] == 0x12
    der[at] |= 0x80  # two's complement: now a negative serial of the same length
    return bytes(der)


@pytest.fixture
def fresh_cache():
    """Empty decode caches, so that the decode under test really parses (other tests in the same
    process may have decoded the same certificate already)."""
    certs._BY_DER.clear()
    certs._BY_TEXT.clear()


def test_zero_serial_decodes_without_warning(fresh_cache):
    value = _zero_serial_b64()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cert = certificate_from_base64(value)
    assert caught == []
    assert cert.serial == "0"
    assert cert.thumbprint == hashlib.sha1(cert.der).hexdigest().upper()


def test_negative_serial_decodes_without_warning_and_is_marked(fresh_cache):
    der = _negative_serial_der()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cert = certificate_from_der(der)
    assert caught == []
    assert cert.serial is None  # the mark: not a positive serial the record could show
    assert cert.subject == "CN=negative serial"
    assert cert.thumbprint == hashlib.sha1(der).hexdigest().upper()


def test_adfs_export_with_negative_serial_loads_without_warning(fresh_cache):
    der = _negative_serial_der()
    tp = hashlib.sha1(der).hexdigest().upper()
    body = json.dumps([{"Certificate": {"RawData": list(der)}, "CertificateType": "Token-Signing",
                        "IsPrimary": True, "Thumbprint": tp}], indent=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = read_export(body.encode(), "adfs-certs.json")
    assert caught == []
    [obs] = result.observations
    assert obs.certificate.thumbprint == tp and obs.certificate.serial is None
    assert obs.slot == "primary" and obs.role == "token-signing"


def test_decoded_once_and_shared():
    start = dt.datetime(2026, 2, 1, tzinfo=UTC)
    der = mint_certificate("CN=shared", start, start + dt.timedelta(days=30))
    b64 = base64.b64encode(der).decode()
    wrapped = "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
    first = certificate_from_der(der)
    assert certificate_from_der(bytearray(der)) is first
    assert certificate_from_base64(b64) is first
    assert certificate_from_base64(wrapped) is first


def test_errors_are_not_cached():
    for origin in ("a.json", "b.json"):
        with pytest.raises(CertificateError) as info:
            certificate_from_base64("MIIBnotbase64!!", origin=origin, field="SigningCertificate")
        assert info.value.origin == origin
        with pytest.raises(CertificateError) as info:
            certificate_from_der(b"\x30\x03\x02\x01\x00", origin=origin)
        assert info.value.origin == origin
    with pytest.raises(CertificateError):
        certificate_from_der("not bytes")  # type: ignore[arg-type]
