"""Federation metadata (SAML 2.0 / WS-Federation): safe parsing, signature verification, loading
of saved documents and fetch sidecars, and discovery of each farm's metadata URL.

* :func:`parse_metadata` - sans-IO, hardened lxml parser (bytes -> :class:`MetadataDocument`)
* :func:`verify_metadata` - signxml verification (-> :class:`SignatureVerification`)
* :func:`read_metadata` - documents and sidecars -> :class:`~fedaudit.records.ParseResult` list
* :func:`discover_metadata_urls` - loaded evidence -> frame (farm, domain, url, derived_from)

Fetching over HTTPS lives in :mod:`fedaudit.io.fetch` (IO).
"""

from __future__ import annotations

from fedaudit.evidence.discover import METADATA_PATH, discover_metadata_urls, metadata_url
from fedaudit.parse.metadata.parse import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    Endpoint,
    MetadataDocument,
    MetadataEntity,
    MetadataKey,
    MetadataRole,
    SignatureInfo,
    parse_metadata,
    parse_xs_datetime,
)
from fedaudit.parse.metadata.read import FetchSidecar, parse_sidecar, read_document, read_metadata
from fedaudit.parse.metadata.verify import SIGNATURE_STATES, SignatureVerification, algorithm_name, verify_metadata

__all__ = [
    "Endpoint",
    "FetchSidecar",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "METADATA_PATH",
    "MetadataDocument",
    "MetadataEntity",
    "MetadataKey",
    "MetadataRole",
    "SIGNATURE_STATES",
    "SignatureInfo",
    "SignatureVerification",
    "algorithm_name",
    "discover_metadata_urls",
    "metadata_url",
    "parse_metadata",
    "parse_sidecar",
    "parse_xs_datetime",
    "read_document",
    "read_metadata",
    "verify_metadata",
]
