"""Which metadata URL stands for which farm and domain, derived from loaded exports.

AD FS publishes its metadata at ``https://<federation service name>/federationmetadata/
2007-06/federationmetadata.xml`` (the runbook's automatic path: Entra ID polls this URL from 35
days before the token-signing certificate expires). The federation service name is the farm's
``HostName``; from the Entra side it is the host of the domain's ``PassiveSignInUri`` /
``MetadataExchangeUri`` and, often, of its ``IssuerUri``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from fedaudit.frames import make_frame

__all__ = ["METADATA_PATH", "discover_metadata_urls", "metadata_url"]

METADATA_PATH = "/federationmetadata/2007-06/federationmetadata.xml"

_DOMAIN_COLUMNS = ("passive_sign_in_uri", "metadata_exchange_uri", "issuer_uri")


def _present(value: Any) -> bool:
    return (
        value is not None
        and not (value is pd.NA or value is pd.NaT)
        and not (isinstance(value, float) and value != value)
    )


# A DNS name (RFC 1123 labels; "_" tolerated as real estates have it), after IDNA encoding.
_DNS_NAME = re.compile(
    r"(?=.{1,253}\.?$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*\.?"
)


def host_name_ok(name: str) -> bool:
    """Whether ``name`` is a DNS name or an IP address: a HostName such as
    ``fs.contoso.com$(id)`` from a hostile export never becomes a URL fedaudit fetches or prints."""
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name.strip("[]"))
        return True
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return False
    return _DNS_NAME.fullmatch(ascii_name.lower()) is not None


def metadata_url(host: str) -> str | None:
    """``fs.contoso.com`` or ``https://fs.contoso.com:4443/adfs/ls`` -> the metadata URL;
    None when no host can be read (``urn:`` issuers, empty strings) or the host is not a DNS
    name or IP address (:func:`host_name_ok`)."""
    text = host.strip()
    if not text:
        return None
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        name = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not name or parts.scheme.lower() not in ("http", "https") or not host_name_ok(name):
        return None
    if any(c in parts.netloc for c in " \t\r\n\\\"'`$;|&<>(){}"):
        return None
    name = f"[{name}]" if ":" in name else name  # an IPv6 literal keeps its brackets
    netloc = name.lower() if port in (None, 443, 80) else f"{name.lower()}:{port}"
    return f"https://{netloc}{METADATA_PATH}"


def discover_metadata_urls(evidence: Any) -> pd.DataFrame:
    """Frame ``metadata_urls`` (farm, domain, url, derived_from): one row per fact a URL was
    derived from (``farms.host_name``, ``domains.passive_sign_in_uri`` ...), sorted by url."""
    rows: list[dict[str, Any]] = []
    farms = getattr(evidence, "farms", None)
    if farms is not None and len(farms):
        for row in farms.to_dict(orient="records"):
            host = row.get("host_name")
            if _present(host) and (url := metadata_url(str(host))):
                rows.append(
                    {
                        "farm": row.get("farm") if _present(row.get("farm")) else None,
                        "domain": None,
                        "url": url,
                        "derived_from": "farms.host_name",
                    }
                )
    domains = getattr(evidence, "domains", None)
    if domains is not None and len(domains):
        for row in domains.to_dict(orient="records"):
            for column in _DOMAIN_COLUMNS:
                if column not in row or not _present(row[column]):
                    continue
                value = str(row[column])
                if not value.lower().startswith(("http://", "https://")):
                    continue  # urn: issuers carry no host
                url = metadata_url(value)
                if url:
                    rows.append(
                        {
                            "farm": row.get("farm") if _present(row.get("farm")) else None,
                            "domain": row.get("domain") if _present(row.get("domain")) else None,
                            "url": url,
                            "derived_from": f"domains.{column}",
                        }
                    )
    seen = set()
    unique = []
    for row in rows:
        key = tuple(str(row[c]) for c in ("farm", "domain", "url", "derived_from"))
        if key not in seen:
            seen.add(key)
            unique.append(row)
    unique.sort(key=lambda r: (r["url"], str(r["farm"] or ""), str(r["domain"] or ""), r["derived_from"]))
    return make_frame("metadata_urls", unique)
