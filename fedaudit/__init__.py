"""fedaudit: audit the token-signing certificates that tie AD FS (or another IdP) to Entra ID.

Load exports and metadata into typed frames (:func:`load`), judge them by Microsoft's renewal
runbook (:func:`audit`), and render a self-contained report (:func:`report`).
Importing fedaudit does no work and does not import the notebook stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fedaudit import _compat
from fedaudit._version import __version__
from fedaudit.errors import (
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
from fedaudit.evidence.join import Evidence, InputFile
from fedaudit.records import (
    AdfsFarm,
    Certificate,
    CertificateObservation,
    EntraDomain,
    LoadIssue,
    MetadataRecord,
    ParseResult,
    PSObject,
)

_compat.install()

if TYPE_CHECKING:  # pragma: no cover
    from fedaudit.engine.core import AuditResult, audit
    from fedaudit.evidence.load import load
    from fedaudit.reporting.render import report

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
    "load": ("fedaudit.evidence.load", "load"),
    "audit": ("fedaudit.engine.core", "audit"),
    "AuditResult": ("fedaudit.engine.core", "AuditResult"),
    "report": ("fedaudit.reporting.render", "report"),
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
