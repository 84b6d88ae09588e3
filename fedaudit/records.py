"""Frozen records that parsers return. pandas appears only in :mod:`fedaudit.frames`.

Every record carries ``origin`` (the file path or URL it came from) and, where the input has
lines, the 1-based ``line`` it starts at, so a load issue or a finding can point back at it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from fedaudit._util import host_of
from fedaudit.errors import UsageError

__all__ = [
    "AdfsFarm",
    "Certificate",
    "CertificateObservation",
    "EntraDomain",
    "Form",
    "LoadIssue",
    "MetadataRecord",
    "PSObject",
    "ParseResult",
    "ROLES",
    "Role",
    "SEVERITIES",
    "SLOTS",
    "SOURCES",
    "Severity",
    "Slot",
    "Source",
]

#: Who holds a certificate: the ``source`` column of the certificates frame.
Source = Literal["adfs", "entra", "metadata", "file"]
#: What a certificate is for: the ``role`` column.
Role = Literal["token-signing", "token-decrypting", "service-communications"]
#: Its slot: AD FS primary/secondary, Entra current/next.
Slot = Literal["primary", "secondary", "current", "next"]
#: Severities of load issues and findings, most severe first.
Severity = Literal["critical", "high", "warning", "info"]
#: The console or file form an object was read from.
Form = Literal["list", "table", "text", "json", "clixml", "csv"]

SOURCES: tuple[Source, ...] = get_args(Source)
ROLES: tuple[Role, ...] = get_args(Role)
SLOTS: tuple[Slot, ...] = get_args(Slot)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)


@dataclass(frozen=True)
class Certificate:
    """One X.509 certificate, decoded from bytes or, failing that, from printed text.

    ``thumbprint`` is the SHA-1 of the DER bytes as AD FS prints it: 40 upper-case hex digits.
    A certificate known only from a printed ``[Subject] ... [Thumbprint]`` block has
    ``text_derived=True`` and only the fields that text carries (no sha256, key or algorithm).
    ``problems`` names the fields ``cryptography`` could not read from real DER bytes (a subject or
    issuer it rejects, a public key of a type it does not know): those fields are None and every
    parser that meets the certificate turns each problem into a load issue naming its file,
    line and field.
    """

    thumbprint: str
    sha256: str | None = None
    subject: str | None = None
    issuer: str | None = None
    serial: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    key_type: str | None = None
    key_size: int | None = None
    signature_hash: str | None = None
    self_signed: bool | None = None
    text_derived: bool = False
    der: bytes | None = field(default=None, repr=False, compare=False)
    problems: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        tp = self.thumbprint
        if len(tp) != 40 or tp.upper() != tp or any(c not in "0123456789ABCDEF" for c in tp):
            raise UsageError(f"thumbprint must be 40 upper-case hex digits, got {tp!r}")
        for name in ("not_before", "not_after"):
            value = getattr(self, name)
            if value is not None and (value.tzinfo is None or value.utcoffset() != dt.timedelta(0)):
                raise UsageError(f"{name} must be tz-aware UTC, got {value!r}")


@dataclass(frozen=True)
class CertificateObservation:
    """A certificate as one export shows it: who holds it (source), in which role and slot.

    ``farm`` and ``domain`` are what the export itself says (may be None); the evidence join
    fills in the rest from Identifier/IssuerUri/host/thumbprint facts. ``hints`` carries facts
    that help that join (for example ``{"identifier": "http://fs.contoso.com/adfs/services/trust"}``).
    """

    certificate: Certificate
    source: Source
    origin: str
    role: Role | None = None
    slot: Slot | None = None
    farm: str | None = None
    domain: str | None = None
    line: int | None = None
    hints: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class LoadIssue:
    """A problem met while loading; the load goes on. ``severity`` is one of SEVERITIES."""

    origin: str
    message: str
    line: int | None = None
    field: str | None = None
    severity: Severity = "warning"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise UsageError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")


@dataclass(frozen=True)
class PSObject:
    """One PowerShell object as some output form showed it, before we know which cmdlet made it.

    Form parsers (Format-List, Format-Table, JSON, CLIXML, CSV) all return these; the cmdlet
    mappers in :mod:`fedaudit.parse.cmdlets` turn them into typed records.

    ``properties`` maps property name to value, in output order. Values are what the form can
    carry: ``str`` for console text and CSV (multi-line values keep their newlines, continuation
    indentation removed); ``str``/``int``/``float``/``bool``/``None``/``list``/``dict`` for JSON;
    ``bytes`` for a byte array (CLIXML ``<BA>``, a JSON ``RawData`` integer array);
    ``datetime`` (tz-aware) where the form states the offset (CLIXML ``<DT>``, ``\\/Date(ms)\\/``).
    ``lines`` maps property name to the 1-based line it was printed on.
    ``command`` is the command line captured before the object (``PS C:\\> Get-... -DomainName x``),
    with en-dashes normalised to hyphens, when the capture shows one.
    ``dropped`` lists console text the form parser could not place in any value, as
    ``(line, property, text)``: the reader reports each as a load issue, so nothing is lost
    silently.
    """

    origin: str
    form: str
    properties: Mapping[str, Any]
    line: int | None = None
    lines: Mapping[str, int] = field(default_factory=dict)
    type_names: tuple[str, ...] = ()
    command: str | None = None
    dropped: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class AdfsFarm:
    """What Get-AdfsProperties says about one AD FS farm. Thresholds in days, interval in minutes."""

    origin: str
    host_name: str | None = None
    identifier: str | None = None
    auto_certificate_rollover: bool | None = None
    certificate_generation_threshold: int | None = None
    certificate_promotion_threshold: int | None = None
    certificate_critical_threshold: int | None = None
    certificate_duration: int | None = None
    certificate_rollover_interval: int | None = None
    line: int | None = None
    # minutes per threshold "day" (1440 unless a test lab changed it)
    certificate_threshold_multiplier: int | None = None

    @property
    def farm(self) -> str | None:
        """The farm's name in every frame: its federation service host name, lower-case."""
        if self.host_name:
            return self.host_name.strip().lower()
        if self.identifier:
            return host_of(self.identifier) or self.identifier
        return None


@dataclass(frozen=True)
class EntraDomain:
    """A partial view of one Entra ID domain as one export shows it.

    Several exports describe the same domain (Get-MsolDomain: authentication; settings:
    URIs and certificates; Graph: both). The evidence join merges them by ``domain``; a
    field left ``None`` here means "this export does not say", not "empty".
    Certificates (SigningCertificate / NextSigningCertificate) travel as
    :class:`CertificateObservation` with ``source="entra"``.
    """

    origin: str
    domain: str | None
    authentication: str | None = None  # Federated | Managed
    status: str | None = None  # Verified | Unverified | PendingDeletion
    issuer_uri: str | None = None
    passive_sign_in_uri: str | None = None
    metadata_exchange_uri: str | None = None
    preferred_authentication_protocol: str | None = None
    update_result: str | None = None
    update_last_run: dt.datetime | None = None
    # Graph's federatedIdpMfaBehavior (acceptIfMfaDoneByFederatedIdp | enforceMfaByFederatedIdp |
    # rejectMfaByFederatedIdp): whether Entra ID accepts the IdP's MFA claim
    # (https://learn.microsoft.com/en-us/graph/api/resources/internaldomainfederation?view=graph-rest-1.0)
    federated_idp_mfa_behavior: str | None = None
    has_settings: bool = False  # True when this export carries federation settings
    line: int | None = None


@dataclass(frozen=True)
class MetadataRecord:
    """One federation metadata document (saved or fetched) and what we learnt from it."""

    origin: str
    url: str | None = None
    entity_id: str | None = None
    fetched_at: dt.datetime | None = None
    reachable: bool | None = None
    http_status: int | None = None
    tls_verified: bool | None = None
    signature: str | None = None  # valid | invalid | absent | error
    signer_thumbprint: str | None = None
    valid_until: dt.datetime | None = None
    error: str | None = None
    sha256: str | None = None
    digest_algorithm: str | None = None
    signature_algorithm: str | None = None
    signer_not_after: dt.datetime | None = None
    insecure: bool | None = None
    tls_not_after: dt.datetime | None = None  # NotAfter of the server's TLS certificate (fetch sidecar)
    hosts: tuple[str, ...] = ()  # endpoint hosts, for tying the document to a farm by host


@dataclass(frozen=True)
class ParseResult:
    """What one input file yielded. Readers return this; :func:`fedaudit.load` joins them."""

    origin: str
    kind: str  # what the file was recognised as, e.g. "Get-AdfsCertificate (Format-List)"
    farms: tuple[AdfsFarm, ...] = ()
    domains: tuple[EntraDomain, ...] = ()
    observations: tuple[CertificateObservation, ...] = ()
    metadata: tuple[MetadataRecord, ...] = ()
    issues: tuple[LoadIssue, ...] = ()
