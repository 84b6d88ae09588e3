"""Cryptographic strength of the federation certificates: RSA keys below 2048 bits and SHA-1 (or
MD5) certificate signatures (NIST SP 800-131A: both disallowed for new signatures since 2014).

Certificates known only from console text carry no key or algorithm and are skipped; the AD FS
certificates of a farm are reported once at farm level, Entra's copies only when AD FS's are
not in the evidence.
"""

from __future__ import annotations

from collections.abc import Iterator

from fedaudit.checks import remediation as rm
from fedaudit.checks._base import (
    IA_5_2,
    ISO_A_8_24,
    REF_DEFAULT,
    SC_12,
    SC_13,
    SC_17,
    Check,
    Finding,
    define,
    fact,
)
from fedaudit.evidence.view import CertFact, EstateView

CHECKS: list[Check] = []
_CONTROLS = (SC_12, SC_13, SC_17, IA_5_2, ISO_A_8_24)


def _subjects(view: EstateView) -> Iterator[tuple[str | None, str | None, str, CertFact]]:
    seen: set[tuple[str | None, str]] = set()
    for farm in view.farms.values():
        for label, certs in (
            ("AD FS token-signing primary", farm.ts_primaries),
            ("AD FS token-signing secondary", farm.ts_secondaries),
            ("AD FS token-decrypting primary", farm.td_primaries),
            ("AD FS token-decrypting secondary", farm.td_secondaries),
        ):
            for c in certs:
                if (farm.name, c.thumbprint) in seen:
                    continue
                seen.add((farm.name, c.thumbprint))
                yield farm.name, None, label, c
    for d in view.federated_domains:
        for label, certs in (
            ("Entra SigningCertificate", d.entra_current),
            ("Entra NextSigningCertificate", d.entra_next),
        ):
            for c in certs:
                if (d.farm, c.thumbprint) in seen or (None, c.thumbprint) in seen:
                    continue
                seen.add((d.farm, c.thumbprint) if d.farm else (None, c.thumbprint))
                yield d.farm, d.name, label, c


def _fix(farm: str | None, label: str) -> str:
    if label.startswith("AD FS token-decrypting"):
        return f"# On the primary AD FS server of {rm.comment(farm or 'the farm')}:\nUpdate-AdfsCertificate -CertificateType Token-Decrypting"
    if farm:
        return rm.join(
            "# Replace it with a certificate using a 2048-bit (or larger) RSA key and SHA-256. With "
            "AutoCertificateRollover on, AD FS generates one:",
            rm.adfs_generate(farm),
            "# then put it into Entra ID for every federated domain (see the sync findings) before AD FS promotes it.",
        )
    return "# Ask the identity provider for a signing certificate with a 2048-bit (or larger) RSA key and SHA-256."


@define(
    CHECKS,
    id="crypto.weak-key",
    title="Weak key (RSA below 2048 bits)",
    severity="high",
    reference=REF_DEFAULT,
    description="A token-signing or token-decrypting certificate with an RSA key shorter than min_rsa_bits (2048): "
    "its signatures can be forged with feasible effort.",
    controls=_CONTROLS,
    action="plan-renewal",
)
def weak_key(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, domain, label, c in _subjects(view):
        if c.key_type not in ("RSA", "DSA") or c.key_size is None or c.key_size >= th.min_rsa_bits:
            continue
        yield new(
            farm=farm,
            domain=domain,
            title=f"{domain or farm}: {label} {c.short} has a {c.key_size}-bit {c.key_type} key",
            detail=f"{c.label()} uses a {c.key_size}-bit {c.key_type} key; at least {th.min_rsa_bits:g} bits are required.",
            evidence=(fact(f"{label} thumbprint", c.thumbprint, c.where), fact("key size (bits)", c.key_size, c.where)),
            remediation=_fix(farm, label),
            subject=c.thumbprint,
        )


@define(
    CHECKS,
    id="crypto.sha1-signature",
    title="Certificate signed with SHA-1 or MD5",
    severity="warning",
    reference=REF_DEFAULT,
    description="The certificate's own signature uses SHA-1 (or MD5). For a self-signed token-signing certificate "
    "the risk is small, but it fails policy scans and shows an old, never-renewed configuration.",
    controls=_CONTROLS,
    action="plan-renewal",
)
def sha1_signature(view: EstateView, as_of, th, new) -> Iterator[Finding]:
    for farm, domain, label, c in _subjects(view):
        if (c.signature_hash or "").lower() not in ("sha1", "md5"):
            continue
        yield new(
            farm=farm,
            domain=domain,
            title=f"{domain or farm}: {label} {c.short} is signed with {c.signature_hash.upper()}",  # type: ignore[union-attr]
            detail=f"{c.label()} carries a {c.signature_hash.upper()} signature.",  # type: ignore[union-attr]
            evidence=(
                fact(f"{label} thumbprint", c.thumbprint, c.where),
                fact("signature hash", c.signature_hash, c.where),
            ),
            remediation=_fix(farm, label),
            subject=c.thumbprint,
        )
