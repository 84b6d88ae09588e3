"""Certificate records from DER, PEM or base64 bytes, via ``cryptography``.

Thumbprint conventions (``x509-thumbprints.md`` in the format notes): AD FS and .NET print the
SHA-1 of the DER bytes as 40 upper-case hex digits; openssl prints ``C8:A9:...``; the Windows
certificate dialog shows lower-case pairs with spaces and, when copied, a leading U+200E.
:func:`normalise_thumbprint` folds all of those to the AD FS form.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import warnings
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

from fedaudit.errors import CertificateError
from fedaudit.records import Certificate

__all__ = [
    "certificate_from_base64",
    "certificate_from_der",
    "certificate_from_pem",
    "looks_like_base64_certificate",
    "normalise_thumbprint",
]

_PEM_ARMOUR = re.compile(r"-----(BEGIN|END) [A-Z0-9 ]+-----")
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/=]")
_THUMB_NOISE = re.compile(r"[\s:\u200e\u200f\-]")


def normalise_thumbprint(value: str) -> str:
    """Return ``value`` as 40 upper-case hex digits, or raise :class:`CertificateError`."""
    tp = _THUMB_NOISE.sub("", value).upper()
    if len(tp) != 40 or any(c not in "0123456789ABCDEF" for c in tp):
        raise CertificateError("not a SHA-1 thumbprint (need 40 hex digits)", value=value)
    return tp


def _key_facts(cert: x509.Certificate, problems: list[str]) -> tuple[str | None, int | None]:
    try:
        key = cert.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:  # still a certificate
        problems.append(f"public key: not readable ({_brief(exc)})")
        return None, None
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, None


def _brief(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _name(cert: x509.Certificate, which: str, problems: list[str]) -> tuple[x509.Name | None, str | None]:
    """``cert.subject``/``cert.issuer`` and its RFC 4514 text; cryptography parses names lazily
    and raises ValueError for one it rejects (a real eduID aggregate has such a certificate)."""
    try:
        name = getattr(cert, which)
        return name, name.rfc4514_string()
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        problems.append(f"{which}: not readable by cryptography ({_brief(exc)})")
        return None, None


# One certificate usually appears in many exports (every domain of a farm carries the farm's
# signing certificate; a metadata document repeats its keys in every role): each distinct value is
# decoded once. Certificate records are frozen, so sharing one is safe. Only successful decodes
# are kept (an error is raised afresh with the caller's origin and field); the caches are bounded
# (cleared when full) so a long-lived process does not grow without limit.
_DECODED_MAX = 8192
_Key = TypeVar("_Key", bytes, str)
_BY_DER: dict[bytes, Certificate] = {}
_BY_TEXT: dict[str, Certificate] = {}
# cryptography warns (CryptographyDeprecationWarning) when it parses a serial number that is not
# positive (RFC 5280 4.1.2.2); real federation certificates have them (SWAMID, TestShib, Duo).
# The record carries the fact instead: ``serial`` is None (negative) or "0" (zero), and callers
# that report such things (fedaudit.metadata) raise an info load issue from it.
_SERIAL_WARNING = ".*serial number.*"


def _remember(cache: dict[_Key, Certificate], key: _Key, cert: Certificate) -> Certificate:
    if len(cache) >= _DECODED_MAX:
        cache.clear()
    cache[key] = cert
    return cert


def certificate_from_der(der: bytes, *, origin: str | None = None, field: str | None = None) -> Certificate:
    """Decode DER bytes into a :class:`Certificate`. Raises only :class:`CertificateError`
    (bytes that are not a certificate at all).

    A field ``cryptography`` rejects in an otherwise readable certificate (subject, issuer,
    public key) is None and named in ``Certificate.problems``, for the caller's load issue.
    A serial number that is not positive is read without a warning: ``serial`` is None for a
    negative one and ``"0"`` for zero."""
    try:
        der = bytes(der)
    except TypeError as exc:
        raise CertificateError(f"not a DER X.509 certificate ({exc})", origin=origin, field=field) from None
    cached = _BY_DER.get(der)
    if cached is not None:
        return cached
    return _remember(_BY_DER, der, _decode_der(der, origin, field))


def _decode_der(der: bytes, origin: str | None, field: str | None) -> Certificate:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_SERIAL_WARNING, category=CryptographyDeprecationWarning)
        try:
            cert = x509.load_der_x509_certificate(der)
            not_before = cert.not_valid_before_utc
            not_after = cert.not_valid_after_utc
            serial_number = cert.serial_number
        except (ValueError, TypeError, UnsupportedAlgorithm, OverflowError, x509.InvalidVersion) as exc:
            # InvalidVersion (a version field other than v1-v3) is no ValueError: found by make fuzz
            raise CertificateError(f"not a DER X.509 certificate ({_brief(exc)})", origin=origin, field=field) from None
        problems: list[str] = []
        key_type, key_size = _key_facts(cert, problems)
        try:
            algo = cert.signature_hash_algorithm
            sig_hash = algo.name if algo is not None else None
        except Exception:  # cryptography raises UnsupportedAlgorithm for exotic OIDs
            sig_hash = None
        subject_name, subject = _name(cert, "subject", problems)
        issuer_name, issuer = _name(cert, "issuer", problems)
        self_signed = subject_name == issuer_name if subject_name is not None and issuer_name is not None else None
    return Certificate(
        thumbprint=hashlib.sha1(der).hexdigest().upper(),
        sha256=hashlib.sha256(der).hexdigest().upper(),
        subject=subject,
        issuer=issuer,
        serial=format(serial_number, "X") if serial_number >= 0 else None,
        not_before=not_before,
        not_after=not_after,
        key_type=key_type,
        key_size=key_size,
        signature_hash=sig_hash,
        self_signed=self_signed,
        text_derived=False,
        der=der,
        problems=tuple(problems),
    )


def certificate_from_base64(text: str, *, origin: str | None = None, field: str | None = None) -> Certificate:
    """Decode base64 DER, tolerating PEM armour, CR/LF, spaces and Format-List wrapping.
    Raises only :class:`CertificateError` (see :func:`certificate_from_der`)."""
    cached = _BY_TEXT.get(text)
    if cached is not None:
        return cached
    body = _PEM_ARMOUR.sub("", text)
    body = re.sub(r"\s+", "", body)
    if not body:
        raise CertificateError("empty certificate value", origin=origin, field=field)
    if _NOT_B64.search(body):
        bad = _NOT_B64.search(body).group(0)  # type: ignore[union-attr]
        raise CertificateError(
            f"not base64: character {bad!r} at position {_NOT_B64.search(body).start()}",  # type: ignore[union-attr]
            origin=origin,
            field=field,
            value=text[:80],
        )
    try:
        der = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError(f"not base64 ({exc})", origin=origin, field=field, value=text[:80]) from None
    return _remember(_BY_TEXT, text, certificate_from_der(der, origin=origin, field=field))


def certificate_from_pem(data: bytes | str, *, origin: str | None = None) -> list[Certificate]:
    """Every certificate in a PEM bundle. Raises only :class:`CertificateError`."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", text, re.S)
    if not blocks:
        raise CertificateError("no PEM certificate block", origin=origin)
    return [certificate_from_base64(b, origin=origin) for b in blocks]


def looks_like_base64_certificate(text: str) -> bool:
    """True for strings that start like base64 DER of a certificate (``MII...``)."""
    stripped = _PEM_ARMOUR.sub("", text).strip()
    return stripped.startswith("MI") and not _NOT_B64.search(re.sub(r"\s+", "", stripped))
