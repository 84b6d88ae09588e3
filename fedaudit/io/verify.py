"""Tamper evidence of a report folder: check ``manifest.json`` against the files, sign it.

``fedaudit report`` lists every file it wrote, with its SHA-256, in ``manifest.json``.
:func:`verify_report` recomputes each hash and reports every file that changed, is missing, or
is in the folder without being listed. With a signing key (``--sign-key KEY.pem``, Ed25519 or
RSA), :func:`sign_file` writes ``manifest.json.sig``; :func:`verify_report` with the public key
checks it, so an edit that also rewrites the manifest is caught too.

``manifest.json.sig`` is a small JSON object: ``algorithm`` (``ed25519`` or
``rsa-pss-sha256``), ``signature`` (base64 of the signature over the exact bytes of
``manifest.json``) and ``public_key_sha256`` (SHA-256 of the signer's public key, DER
SubjectPublicKeyInfo), which says which key to verify with.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from fedaudit.errors import UsageError

__all__ = [
    "MANIFEST",
    "SIGNATURE",
    "Problem",
    "Verification",
    "load_private_key",
    "load_public_key",
    "sign_file",
    "verify_report",
]

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH)


@dataclass(frozen=True)
class Problem:
    """One finding of :func:`verify_report`: ``kind`` is changed, missing, extra, manifest or
    signature; ``path`` is relative to the report folder."""

    kind: str
    path: str
    message: str


@dataclass
class Verification:
    """What :func:`verify_report` found: ``problems`` (empty when intact), the number of files
    whose hash matched, and notes that are not failures (a signature left unchecked)."""

    folder: Path
    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signed: bool = False

    @property
    def intact(self) -> bool:
        return not self.problems


def _read_pem(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{what}: {path}: {exc.strerror or exc}") from None
    if b"-----BEGIN" not in data:
        raise UsageError(f"{what}: {path}: not a PEM file")
    return data


def load_private_key(path: str | os.PathLike[str]) -> PrivateKey:
    """An unencrypted Ed25519 or RSA (2048 bits or more) private key from a PEM file."""
    data = _read_pem(path, "--sign-key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--sign-key: {path}: not an unencrypted PEM private key ({exc})") from None
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise UsageError(f"--sign-key: {path}: RSA key of {key.key_size} bits; use 2048 or more")
        return key
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    raise UsageError(f"--sign-key: {path}: {type(key).__name__} keys are not supported; use Ed25519 or RSA")


def load_public_key(path: str | os.PathLike[str]) -> PublicKey:
    """An Ed25519 or RSA public key from a PEM file (a public key, or a certificate)."""
    data = _read_pem(path, "--public-key")
    key: Any
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            from cryptography import x509

            key = x509.load_pem_x509_certificate(data).public_key()
        except ValueError as exc:
            raise UsageError(f"--public-key: {path}: not a PEM public key or certificate ({exc})") from None
    if isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        return key
    raise UsageError(f"--public-key: {path}: {type(key).__name__} keys are not supported; use Ed25519 or RSA")


def _key_id(public: PublicKey) -> str:
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


def sign_file(key: PrivateKey, path: Path) -> Path:
    """Sign the bytes of ``path`` into ``path.sig`` (see the module docstring); return it."""
    data = path.read_bytes()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        algorithm, signature = "ed25519", key.sign(data)
    else:
        algorithm, signature = "rsa-pss-sha256", key.sign(data, _PSS, hashes.SHA256())
    target = path.with_name(path.name + ".sig")
    document = {
        "algorithm": algorithm,
        "signature": base64.b64encode(signature).decode("ascii"),
        "public_key_sha256": _key_id(key.public_key()),
        "signed": path.name,
    }
    target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return target


def _check_signature(folder: Path, manifest_bytes: bytes, public: PublicKey, out: Verification) -> None:
    sig_path = folder / SIGNATURE
    if not sig_path.is_file():
        out.problems.append(Problem("signature", SIGNATURE, f"{SIGNATURE} is missing: the manifest is not signed"))
        return
    try:
        doc = json.loads(sig_path.read_text(encoding="utf-8"))
        algorithm, signature = str(doc["algorithm"]), base64.b64decode(doc["signature"], validate=True)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        out.problems.append(Problem("signature", SIGNATURE, f"{SIGNATURE} cannot be read: {exc}"))
        return
    try:
        if isinstance(public, ed25519.Ed25519PublicKey) and algorithm == "ed25519":
            public.verify(signature, manifest_bytes)
        elif isinstance(public, rsa.RSAPublicKey) and algorithm == "rsa-pss-sha256":
            public.verify(signature, manifest_bytes, _PSS, hashes.SHA256())
        else:
            out.problems.append(
                Problem(
                    "signature",
                    SIGNATURE,
                    f"{SIGNATURE} is an {algorithm} signature; the public key given cannot check it",
                )
            )
            return
    except InvalidSignature:
        out.problems.append(
            Problem("signature", SIGNATURE, f"{SIGNATURE} does not match {MANIFEST} under the public key given")
        )
        return
    out.signed = True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_report(folder: str | os.PathLike[str], *, public_key: str | os.PathLike[str] | None = None) -> Verification:
    """Check a report folder against its ``manifest.json`` (and its signature when
    ``public_key`` is given). A folder that does not exist is a :class:`UsageError`."""
    root = Path(folder)
    if not root.is_dir():
        raise UsageError(f"{folder}: not a report folder")
    public = load_public_key(public_key) if public_key is not None else None
    out = Verification(root)
    manifest_path = root / MANIFEST
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest = json.loads(manifest_bytes.decode("utf-8"))
        outputs = manifest["outputs"]
    except FileNotFoundError:
        out.problems.append(Problem("missing", MANIFEST, f"{MANIFEST} is not in the folder: nothing to verify against"))
        return out
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        out.problems.append(Problem("manifest", MANIFEST, f"{MANIFEST} cannot be read: {exc}"))
        return out
    if not isinstance(outputs, dict):
        out.problems.append(Problem("manifest", MANIFEST, f"{MANIFEST}: 'outputs' is not an object"))
        return out
    if public is not None:
        _check_signature(root, manifest_bytes, public, out)
    elif (root / SIGNATURE).exists():
        out.notes.append(f"{SIGNATURE} present but not checked: give --public-key to check it")
    for name in sorted(outputs):
        entry = outputs[name]
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or not isinstance(entry, dict):
            out.problems.append(
                Problem("manifest", str(name), f"{MANIFEST} lists {name!r}, which is not a file of this folder")
            )
            continue
        path = root / rel
        if not path.is_file():
            out.problems.append(Problem("missing", name, f"{name} is listed in {MANIFEST} but not in the folder"))
            continue
        actual = _sha256(path)
        if actual != str(entry.get("sha256", "")).lower():
            out.problems.append(
                Problem(
                    "changed",
                    name,
                    f"{name}: {MANIFEST} says SHA-256 {entry.get('sha256')}, the file has {actual}",
                )
            )
        else:
            out.checked += 1
    listed = set(outputs) | {MANIFEST, SIGNATURE}
    for path in sorted(root.rglob("*")):
        if path.is_file() or path.is_symlink():
            name = path.relative_to(root).as_posix()
            if name not in listed:
                out.problems.append(Problem("extra", name, f"{name} is not listed in {MANIFEST}"))
    return out
