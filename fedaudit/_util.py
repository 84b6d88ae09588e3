"""Small helpers every stage shares: the one host / URI normaliser.

Two questions are asked of a URI, and both go through :func:`norm_uri`:

* *Is it the same endpoint?* (the evidence join ties an Entra ``IssuerUri`` to an AD FS
  ``Identifier``, and merges two exports of one farm): :func:`uri_key`, which also ignores the
  case of the path and a trailing slash, since two exports of one farm print it either way.
* *Will Entra ID accept it?* (the check ``entra.issuer-uri-mismatch``): :func:`norm_uri`, the
  scheme and host compared case-insensitively and the path as written, trailing slash included:
  Entra ID compares the token's issuer with the IssuerUri it holds, and the
  -SupportMultipleDomain form always ends in ``/adfs/services/trust/``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from fedaudit.errors import ConfigError

__all__ = ["host_of", "issuer_forms", "norm_uri", "uri_key"]


def host_of(url: str | None) -> str | None:
    """The lower-case host of ``url`` (None when it has none or does not parse)."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.lower() if host else None


def norm_uri(uri: str | None) -> str | None:
    """Scheme and host lower-cased, the path (and query) as written; text that is not an absolute
    URI is returned stripped, as written."""
    if not uri:
        return None
    uri = uri.strip()
    if not uri:
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    if not parts.scheme or not parts.netloc:
        return uri
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def uri_key(uri: str | None) -> str | None:
    """The key under which two spellings of one endpoint are the same: :func:`norm_uri` made
    case-insensitive throughout and without a trailing slash. Lower-casing the whole text makes
    the scheme/host split of :func:`norm_uri` moot, so this is computed without it (the join asks
    it for every domain)."""
    if not uri:
        return None
    return uri.strip().lower().rstrip("/") or None


def issuer_forms(domain: str) -> list[str]:
    """The -SupportMultipleDomain IssuerUri forms a domain may carry: its own, or (for a
    subdomain of a federated root) a parent's, always with the trailing slash (R6)."""
    labels = domain.lower().strip(".").split(".")
    return [f"http://{'.'.join(labels[i:])}/adfs/services/trust/" for i in range(len(labels) - 1)]


def read_text_file(path: Path, what: str, *, utf8_hint: str = "") -> str:
    """The text of a small UTF-8 file the user wrote (a configuration or exceptions file; a BOM
    is allowed). Missing, unreadable or non-UTF-8 files are :class:`ConfigError` naming ``what``."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}){utf8_hint}") from None
