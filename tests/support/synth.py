"""Synthetic evidence for samples, tests and benchmarks: real certificates, real export shapes.

Nothing here is used by the audit itself. Three parts:

* **Certificates.** :func:`mint_certificate` returns the DER bytes of a real, signed X.509
  certificate. Keys come from :func:`private_key`: freshly generated and cached per
  ``(key_size, slot)``, or, inside :func:`fixed_keys`, read from PEM files so that the output is
  byte-for-byte reproducible (RSA PKCS#1 v1.5 signatures are deterministic; serials are derived
  from the certificate's facts).
* **Console text helpers.** :func:`format_datetime` prints a ``DateTime`` the way .NET's
  ``ToString(CurrentCulture)`` does for en-US, en-GB, de-DE and ja-JP; :func:`x509_text` is
  ``X509Certificate2.ToString(true)`` (the ``[Subject] ... [Thumbprint]`` block); :func:`encode`
  gives the bytes a shell would save (UTF-16LE with BOM from a Windows PowerShell 5.1 ``>``
  redirect, UTF-8 with or without BOM, ASCII, CRLF or LF).
* **Exports.** :mod:`support._pswrite` renders each cmdlet in each form (Format-List,
  Format-Table, ConvertTo-Json 5.1 and 7, Export-Clixml, Export-Csv, Graph REST JSON); they are
  re-exported here with the record types that describe an AD FS farm and an Entra domain, and
  listed in :data:`WRITERS`. :func:`federation_metadata` writes a signed AD FS metadata document.

Console dates: a real console prints local time with no offset. The writers take a ``utc_offset``
(default zero) so tests can say exactly which wall-clock time was printed; fedaudit reads
offset-less console dates as UTC, so text round trips are exact at offset zero.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

if TYPE_CHECKING:  # pragma: no cover - loaded lazily below
    from support._metadata_doc import federation_metadata, fetch_sidecar, fetch_stem
    from support._pswrite import WRITERS, AdfsCertificate, AdfsProperties, Domain, FederationProperty, FederationSettings

__all__ = [
    "CULTURES",
    "DEMO_KEY_BANNER",
    "WRITERS",
    "AdfsCertificate",
    "AdfsProperties",
    "Domain",
    "FederationProperty",
    "FederationSettings",
    "dotnet_name",
    "encode",
    "federation_metadata",
    "fetch_sidecar",
    "fetch_stem",
    "fixed_keys",
    "format_datetime",
    "key_file_name",
    "mint_certificate",
    "private_key",
    "private_key_pem",
    "thumbprint",
    "with_prompt",
    "write_key_files",
    "x509_text",
]

UTC = dt.timezone.utc

# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------

#: First lines of every demo key file: explanatory text before the PEM armour (RFC 7468 s. 5.2
#: allows it), so nobody mistakes the file for a secret.
DEMO_KEY_BANNER = (
    "DEMO KEY - NOT SECRET. Test-only RSA key used by fedaudit's sample generator so that the\n"
    "sample certificates and signed metadata are byte-reproducible. Never use it for anything else.\n"
)

_generated: dict[tuple[int, int], rsa.RSAPrivateKey] = {}
_fixed: dict[tuple[int, int], rsa.RSAPrivateKey] = {}
_fixed_dir: list[Path] = []  # non-empty while fixed_keys() is active (strict mode)


def key_file_name(key_size: int, slot: int) -> str:
    """File name of the demo key for ``(key_size, slot)`` inside a key folder."""
    return f"demo-rsa-{key_size}-{slot:03d}.key"


def private_key(key_size: int = 2048, slot: int = 0) -> rsa.RSAPrivateKey:
    """The RSA key for ``(key_size, slot)``; ``slot`` gives distinct keys of the same size.

    Inside :func:`fixed_keys` the key is read from that folder and a missing file is an error
    (so a reproducible run can never silently use a random key). Otherwise a key is generated
    once per process and cached.
    """
    key = _fixed.get((key_size, slot))
    if key is not None:
        return key
    if _fixed_dir:
        raise LookupError(
            f"no demo key for key_size={key_size} slot={slot} in {_fixed_dir[-1]} "
            f"(expected {key_file_name(key_size, slot)}; create it with write_key_files)"
        )
    key = _generated.get((key_size, slot))
    if key is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        _generated[(key_size, slot)] = key
    return key


def private_key_pem(key_size: int = 2048, slot: int = 0) -> bytes:
    """:func:`private_key` as unencrypted PKCS#8 PEM."""
    return private_key(key_size, slot).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


_KEY_NAME = re.compile(r"^demo-rsa-(\d+)-(\d+)\.key$")


@contextlib.contextmanager
def fixed_keys(directory: str | Path) -> Iterator[dict[tuple[int, int], rsa.RSAPrivateKey]]:
    """Use the demo keys in ``directory`` (files named by :func:`key_file_name`) for minting.

    While active, :func:`private_key` returns only those keys and raises ``LookupError`` for
    any other ``(key_size, slot)``. Nested use is not supported.
    """
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if _fixed_dir:
        raise RuntimeError("fixed_keys() is already active")
    directory = Path(directory)
    loaded: dict[tuple[int, int], rsa.RSAPrivateKey] = {}
    for path in sorted(directory.glob("demo-rsa-*.key")):
        m = _KEY_NAME.match(path.name)
        if not m:
            continue
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey) or key.key_size != int(m.group(1)):
            raise ValueError(f"{path}: not an RSA-{m.group(1)} private key")
        loaded[(int(m.group(1)), int(m.group(2)))] = key
    _fixed.update(loaded)
    _fixed_dir.append(directory)
    try:
        yield dict(loaded)
    finally:
        _fixed.clear()
        _fixed_dir.clear()


def write_key_files(directory: str | Path, wanted: Sequence[tuple[int, int]]) -> list[Path]:
    """Create the missing demo key files ``(key_size, slot)`` in ``directory``; return new paths.

    Existing files are never overwritten (that would change every sample certificate).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    created = []
    for key_size, slot in wanted:
        path = directory / key_file_name(key_size, slot)
        if path.exists():
            continue
        key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(DEMO_KEY_BANNER.encode("ascii") + pem)
        created.append(path)
    return created


# ---------------------------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------------------------


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
    ``hash_name`` is ``sha256``, ``sha384`` or ``sha1`` (a real SHA-1 signature, see
    :func:`_resign_sha1`).
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


def thumbprint(der: bytes) -> str:
    """SHA-1 of the DER bytes as AD FS prints it (40 upper-case hex digits)."""
    return hashlib.sha1(der).hexdigest().upper()


# ---------------------------------------------------------------------------------------------
# .NET text forms
# ---------------------------------------------------------------------------------------------

#: The cultures the writers can print dates in, with the list separator ``Export-Csv
#: -UseCulture`` uses.
CULTURES: dict[str, str] = {"en-US": ",", "en-GB": ",", "de-DE": ";", "ja-JP": ","}


def format_datetime(value: dt.datetime, culture: str = "en-US", *, utc_offset: dt.timedelta = dt.timedelta(0)) -> str:
    """``DateTime.ToString(CurrentCulture)`` (the "G" pattern) of ``value`` shifted by ``utc_offset``.

    en-US ``M/d/yyyy h:mm:ss tt``, en-GB ``dd/MM/yyyy HH:mm:ss``, de-DE ``dd.MM.yyyy HH:mm:ss``,
    ja-JP ``yyyy/MM/dd H:mm:ss`` (.NET/ICU culture data). ``value`` must be tz-aware; a naive
    value is taken as already local (``DateTime.MinValue`` in Get-AdfsProperties, for example).
    """
    v = value if value.tzinfo is None else (value.astimezone(UTC) + utc_offset).replace(tzinfo=None)
    hms = f"{v.minute:02d}:{v.second:02d}"
    if culture == "en-US":
        h12 = v.hour % 12 or 12
        return f"{v.month}/{v.day}/{v.year:04d} {h12}:{hms} {'AM' if v.hour < 12 else 'PM'}"
    if culture == "en-GB":
        return f"{v.day:02d}/{v.month:02d}/{v.year:04d} {v.hour:02d}:{hms}"
    if culture == "de-DE":
        return f"{v.day:02d}.{v.month:02d}.{v.year:04d} {v.hour:02d}:{hms}"
    if culture == "ja-JP":
        return f"{v.year:04d}/{v.month:02d}/{v.day:02d} {v.hour}:{hms}"
    raise ValueError(f"unsupported culture {culture!r}; use one of {sorted(CULTURES)}")


# .NET X500DistinguishedName short names (CertNameToStr with CERT_X500_NAME_STR): note "S" for
# stateOrProvinceName and "E" for emailAddress, unlike RFC 4514.
_DOTNET_ATTR = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.LOCALITY_NAME: "L",
    NameOID.STATE_OR_PROVINCE_NAME: "S",
    NameOID.COUNTRY_NAME: "C",
    NameOID.EMAIL_ADDRESS: "E",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.STREET_ADDRESS: "STREET",
    NameOID.SERIAL_NUMBER: "SERIALNUMBER",
}


def dotnet_name(name: x509.Name) -> str:
    """A name as .NET prints ``X509Certificate2.Subject``: most specific first, ``", "``-joined,
    values with special characters in double quotes."""
    parts = []
    for rdn in reversed(list(name.rdns)):
        for attr in rdn:
            label = _DOTNET_ATTR.get(attr.oid, f"OID.{attr.oid.dotted_string}")
            value = str(attr.value)
            if any(c in value for c in ',+="\n<>#;') or value != value.strip():
                value = '"' + value.replace('"', '""') + '"'
            parts.append(f"{label}={value}")
    return ", ".join(parts)


def x509_text(der: bytes, culture: str = "en-US", *, utc_offset: dt.timedelta = dt.timedelta(0)) -> str:
    """``X509Certificate2.ToString(true)``: the six-section block, ``\\n`` line ends, trailing newline.

    Layout from dotnet/runtime ``X509Certificate.ToString(bool fVerbose)``: a header line per
    section, the value on the next line after two spaces, an empty line between sections.
    """
    cert = x509.load_der_x509_certificate(der)
    sections = [
        ("Subject", dotnet_name(cert.subject)),
        ("Issuer", dotnet_name(cert.issuer)),
        ("Serial Number", _serial_hex(cert)),
        ("Not Before", format_datetime(cert.not_valid_before_utc, culture, utc_offset=utc_offset)),
        ("Not After", format_datetime(cert.not_valid_after_utc, culture, utc_offset=utc_offset)),
        ("Thumbprint", thumbprint(der)),
    ]
    return "\n".join(f"[{title}]\n  {value}\n" for title, value in sections)


def _serial_hex(cert: x509.Certificate) -> str:
    # .NET prints the serial's big-endian bytes as upper-case hex, keeping a leading 00 byte.
    n = cert.serial_number
    return n.to_bytes((n.bit_length() + 8) // 8, "big").hex().upper() if n else "00"


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

_ENCODINGS = {
    "utf-16le-bom": ("utf-16-le", b"\xff\xfe"),
    "utf-8": ("utf-8", b""),
    "utf-8-bom": ("utf-8", b"\xef\xbb\xbf"),
    "ascii": ("ascii", b""),
    "cp1252": ("cp1252", b""),
}


def encode(text: str, encoding: str = "utf-8", *, newline: str = "\r\n") -> bytes:
    """The bytes a shell saves for ``text`` (written with ``\\n`` line ends).

    ``encoding``: ``utf-16le-bom`` (Windows PowerShell 5.1 ``>``, Out-File, Export-Clixml),
    ``utf-8`` (PowerShell 7, no BOM), ``utf-8-bom`` (Start-Transcript, Notepad), ``ascii``
    (5.1 Export-Csv: non-ASCII becomes ``?``), ``cp1252``.
    """
    try:
        codec, bom = _ENCODINGS[encoding]
    except KeyError:
        raise ValueError(f"unknown encoding {encoding!r}; use one of {sorted(_ENCODINGS)}") from None
    body = text.replace("\r\n", "\n")
    if newline != "\n":
        body = body.replace("\n", newline)
    return bom + body.encode(codec, errors="replace")


def with_prompt(output: str, command: str, *, prompt: str = "PS C:\\>") -> str:
    """Prefix console ``output`` with the captured prompt line ``PS C:\\> <command>``."""
    return f"{prompt} {command}\n{output}"


# The record types and writers live in sibling modules (one idea per file); they import the text
# helpers above, so they are loaded on first use rather than at import time.
_LAZY = {
    "WRITERS": "support._pswrite",
    "AdfsCertificate": "support._pswrite",
    "AdfsProperties": "support._pswrite",
    "Domain": "support._pswrite",
    "FederationProperty": "support._pswrite",
    "FederationSettings": "support._pswrite",
    "federation_metadata": "support._metadata_doc",
    "fetch_sidecar": "support._metadata_doc",
    "fetch_stem": "support._metadata_doc",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'support.synth' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
