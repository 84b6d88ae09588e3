"""Mint real certificates with ``cryptography`` for samples, tests and benchmarks.

Nothing here is used by the audit itself. Keys are cached per size so that minting thousands of
certificates for a benchmark estate stays fast; every certificate is still a real, signed
X.509 certificate with its own serial and validity.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["mint_certificate", "private_key", "private_key_pem"]


@functools.lru_cache(maxsize=None)
def private_key(key_size: int = 2048, slot: int = 0) -> rsa.RSAPrivateKey:
    """A cached RSA key; ``slot`` gives distinct keys of the same size (e.g. a CA and a leaf)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def private_key_pem(key_size: int = 2048, slot: int = 0) -> bytes:
    return private_key(key_size, slot).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(value: str) -> x509.Name:
    if "=" in value:
        return x509.Name.from_rfc4514_string(value)
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value)])


def mint_certificate(
    subject: str,
    not_before: dt.datetime,
    not_after: dt.datetime,
    *,
    issuer: str | None = None,
    key_size: int = 2048,
    key_slot: int = 0,
    issuer_key_slot: int | None = None,
    hash_name: str = "sha256",
    serial: int | None = None,
) -> bytes:
    """Return the DER bytes of a new certificate.

    ``subject``/``issuer`` are a CN or an RFC 4514 string. Self-signed unless ``issuer`` is
    given (then signed with the key in ``issuer_key_slot``, default ``key_slot + 100``).
    ``serial`` defaults to a value derived from subject and dates, so output is reproducible.
    """
    if not_before.tzinfo is None or not_after.tzinfo is None:
        raise ValueError("not_before and not_after must be tz-aware")
    key = private_key(key_size, key_slot)
    if issuer is None:
        signer = key
        issuer_name = _name(subject)
    else:
        signer = private_key(2048 if key_size < 2048 else key_size, issuer_key_slot if issuer_key_slot is not None else key_slot + 100)
        issuer_name = _name(issuer)
    if serial is None:
        seed = f"{subject}|{issuer}|{not_before.isoformat()}|{not_after.isoformat()}|{key_size}|{key_slot}".encode()
        serial = int.from_bytes(hashlib.sha256(seed).digest()[:16], "big") >> 1 or 1
    algorithm = {"sha256": hashes.SHA256(), "sha1": hashes.SHA256(), "sha384": hashes.SHA384()}[hash_name]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
    )
    cert = builder.sign(signer, algorithm)
    der = cert.public_bytes(serialization.Encoding.DER)
    if hash_name == "sha1":
        der = _resign_sha1(der, signer)
    return der


# DER of the AlgorithmIdentifier OIDs sha256WithRSAEncryption (1.2.840.113549.1.1.11) and
# sha1WithRSAEncryption (1.2.840.113549.1.1.5): same length, so the swap keeps every length.
_OID_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")
_OID_SHA1_RSA = bytes.fromhex("06092a864886f70d010105")


def _resign_sha1(der: bytes, signer: rsa.RSAPrivateKey) -> bytes:
    """Turn a SHA-256 RSA certificate into a real SHA-1 one.

    cryptography no longer signs certificates with SHA-1 (pyca/cryptography#8213), yet old
    AD FS farms still publish them and the audit must flag them. We swap the algorithm OIDs
    (same length) and sign the new TBS bytes with PKCS#1 v1.5 over SHA-1 ourselves.
    """
    from cryptography.hazmat.primitives.asymmetric import padding

    swapped = der.replace(_OID_SHA256_RSA, _OID_SHA1_RSA)
    cert = x509.load_der_x509_certificate(swapped)
    tbs = cert.tbs_certificate_bytes
    signature = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    old_signature = cert.signature
    if len(signature) != len(old_signature) or not swapped.endswith(old_signature):
        raise RuntimeError("unexpected certificate layout while re-signing with SHA-1")
    return swapped[: -len(old_signature)] + signature
