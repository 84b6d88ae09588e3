"""fedaudit: audit the token-signing certificates that tie AD FS (or another IdP) to Entra ID.

Load exports and metadata into typed frames (:func:`load`), judge them by Microsoft's renewal
runbook (:func:`audit`), and render a self-contained report (:func:`report`).
Importing fedaudit does no work and does not import the notebook stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    CertificateError,
    ConfigError,
    DateError,
    EncodingError,
    FedauditError,
    FetchError,
    HistoryError,
    HostileXMLError,
    InputError,
    ParseError,
    ReportError,
    UsageError,
)
from .evidence import Evidence, InputFile
from .records import (
    AdfsFarm,
    Certificate,
    CertificateObservation,
    EntraDomain,
    LoadIssue,
    MetadataRecord,
    ParseResult,
    PSObject,
)

if TYPE_CHECKING:  # pragma: no cover
    from .engine import AuditResult, audit
    from .loader import load
    from .reporting import report

__all__ = [
    "AdfsFarm",
    "AuditResult",
    "Certificate",
    "CertificateError",
    "CertificateObservation",
    "ConfigError",
    "DateError",
    "EncodingError",
    "EntraDomain",
    "Evidence",
    "FedauditError",
    "FetchError",
    "HistoryError",
    "HostileXMLError",
    "InputError",
    "InputFile",
    "LoadIssue",
    "MetadataRecord",
    "PSObject",
    "ParseError",
    "ParseResult",
    "ReportError",
    "UsageError",
    "__version__",
    "audit",
    "load",
    "report",
]

_LAZY = {
    "load": ("fedaudit.loader", "load"),
    "audit": ("fedaudit.engine", "audit"),
    "AuditResult": ("fedaudit.engine", "AuditResult"),
    "report": ("fedaudit.reporting", "report"),
}


def __getattr__(name: str) -> Any:
    # Lazy so that `import fedaudit` stays cheap and needs no notebook stack.
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fedaudit' has no attribute {name!r}")
