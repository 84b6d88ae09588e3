"""Cmdlet mappers: :class:`~fedaudit.records.PSObject` -> typed records.

Whatever form an object arrived in (Format-List text, a table row, JSON, CLIXML, CSV), its
property names say which cmdlet made it; the mappers here read the properties they need by name
(case-insensitively, so Graph's ``issuerUri`` and PowerShell's ``IssuerUri`` are one field) and
return :class:`AdfsFarm`, :class:`EntraDomain`, :class:`CertificateObservation` and
:class:`LoadIssue` records. The field notes quoted below are in ``shared/reference/formats``.

Rules that hold for every cmdlet:

* Certificate bytes win over printed text: ``RawData`` (CLIXML ``<BA>``, a JSON integer array) or a
  base64 value is decoded with ``cryptography``; the printed ``[Subject] ... [Thumbprint]`` block is
  read (text-derived) only when no bytes came with it. A printed ``Thumbprint`` that disagrees with
  the bytes is a load issue.
* Console dates are read with the caller's ``culture``; an ambiguous one is a load issue naming
  file, line and field, never a guess.
* Undecodable base64 (a doc placeholder, a blogger's ``MIIGFT ... yEzQw==``, the Accops sample)
  is a load issue; the object's other facts are still kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# certs decodes each distinct certificate value once (bounded caches): every domain of a farm
# carries the farm's signing certificate.
from fedaudit._util import host_of
from fedaudit.errors import CertificateError, DateError, FedauditError, UsageError
from fedaudit.parse.certs import certificate_from_base64, certificate_from_der, normalise_thumbprint
from fedaudit.parse.dates import parse_console_datetime, parse_console_datetime_or_none
from fedaudit.parse.x509text import certificate_from_text
from fedaudit.records import (
    AdfsFarm,
    Certificate,
    CertificateObservation,
    EntraDomain,
    LoadIssue,
    PSObject,
    Role,
    Severity,
    Slot,
    Source,
)

__all__ = [
    "ADFS_CERTIFICATE",
    "ADFS_PROPERTIES",
    "CERTIFICATE",
    "CMDLETS",
    "GRAPH_DOMAIN",
    "GRAPH_FEDERATION",
    "MG_DOMAIN",
    "MG_FEDERATION",
    "MSOL_DOMAIN",
    "MSOL_FEDERATION_PROPERTY",
    "MSOL_FEDERATION_SETTINGS",
    "Mapped",
    "TYPE_NAMES",
    "certificate_text_file",
    "cmdlet_from_type_names",
    "command_domain",
    "domain_from_issuer_uri",
    "file_certificates",
    "map_objects",
]

ADFS_PROPERTIES = "Get-AdfsProperties"
ADFS_CERTIFICATE = "Get-AdfsCertificate"
MSOL_FEDERATION_PROPERTY = "Get-MsolFederationProperty"
MSOL_FEDERATION_SETTINGS = "Get-MsolDomainFederationSettings"
MSOL_DOMAIN = "Get-MsolDomain"
MG_DOMAIN = "Get-MgDomain"
MG_FEDERATION = "Get-MgDomainFederationConfiguration"
GRAPH_FEDERATION = "Graph internalDomainFederation"
GRAPH_DOMAIN = "Graph domain"
#: Not a cmdlet: a bare X509Certificate2 (``Export-Clixml`` / ``ConvertTo-Json`` of a certificate,
#: e.g. ``(Get-AdfsCertificate).Certificate``); its observation has ``source="file"``.
CERTIFICATE = "X509Certificate2"

CMDLETS = (
    ADFS_PROPERTIES,
    ADFS_CERTIFICATE,
    MSOL_FEDERATION_PROPERTY,
    MSOL_FEDERATION_SETTINGS,
    MSOL_DOMAIN,
    MG_DOMAIN,
    MG_FEDERATION,
    GRAPH_FEDERATION,
    GRAPH_DOMAIN,
    CERTIFICATE,
)

#: .NET / Graph type names (CLIXML ``<TN>``, Export-Csv ``#TYPE``, ``@odata.type``) -> cmdlet.
TYPE_NAMES: dict[str, str] = {
    "microsoft.identityserver.management.resources.serviceproperties": ADFS_PROPERTIES,
    "microsoft.identityserver.management.resources.servicecertificate": ADFS_CERTIFICATE,
    "microsoft.identityserver.powershell.resources.servicecertificate": ADFS_CERTIFICATE,
    "microsoft.online.administration.domainfederationsettings": MSOL_FEDERATION_SETTINGS,
    "microsoft.online.administration.domain": MSOL_DOMAIN,
    "microsoft.graph.powershell.models.microsoftgraphinternaldomainfederation": MG_FEDERATION,
    "microsoft.graph.powershell.models.microsoftgraphdomain": MG_DOMAIN,
    "microsoft.graph.internaldomainfederation": GRAPH_FEDERATION,
    "microsoft.graph.domain": GRAPH_DOMAIN,
    "system.security.cryptography.x509certificates.x509certificate2": CERTIFICATE,
}

_ROLES: dict[str, Role] = {
    "token-signing": "token-signing",
    "token-decrypting": "token-decrypting",
    "service-communications": "service-communications",
}
_SOURCES: dict[str, Source] = {"adfs server": "adfs", "microsoft office 365": "entra"}
# MSOnline DomainAuthenticationType as 5.1 ConvertTo-Json writes it (enums as integers).
_AUTHENTICATION = {"managed": "Managed", "federated": "Federated", "0": "Managed", "1": "Federated"}
# Values that are a .NET type name: the export printed ToString() of an object without data.
_TYPE_NAME_VALUE = re.compile(r"^(System|Microsoft)\.[A-Za-z0-9_.`\[\], ]+$")
_BOOL = re.compile(r"^\s*(true|false|\$true|\$false)(?![A-Za-z0-9])", re.I)
_INT = re.compile(r"^\s*([+-]?\d{1,12})(?![0-9.,])")
_BLOCK_THUMBPRINT = re.compile(r"\[Thumbprint\]\s*([0-9A-Fa-f]{40})\b")
_DOMAIN_TOKEN = re.compile(r"^(?=.{3,253}$)(?:[\w](?:[\w-]{0,61}[\w])?\.)+[\w-]{2,63}\.?$", re.UNICODE)
_CONTEXT_DOMAIN = re.compile(r"domains\('([^']+)'\)")
_HASH_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9]*)=([^;]*)")
_MULTI_DOMAIN_ISSUER = re.compile(r"^http://([^/\s]+)/adfs/services/trust/$", re.I)


@dataclass
class Mapped:
    """What the mappers made of a file's objects."""

    farms: list[AdfsFarm] = field(default_factory=list)
    domains: list[EntraDomain] = field(default_factory=list)
    observations: list[CertificateObservation] = field(default_factory=list)
    issues: list[LoadIssue] = field(default_factory=list)


class _Props:
    """Case-insensitive, empty-aware view of one object's properties."""

    def __init__(self, obj: PSObject) -> None:
        self.obj = obj
        props = obj.properties
        names = tuple(props)
        lows = _LOWS.get(names)
        if lows is None:
            # Objects of one export share their property names: fold each name list once.
            if len(_LOWS) > 4096:
                _LOWS.clear()
            lows = _LOWS[names] = tuple(str(k).lower() for k in names)
        self.lower: dict[str, Any] = dict(zip(lows, names))
        # not _empty(v), with the tests for a plain str and None inline
        self.values: dict[str, Any] = {
            low: v
            for low, v in zip(lows, props.values())
            if (v.strip() not in _BLANK_TEXT if v.__class__ is str else v is not None and not _empty(v))
        }

    def key(self, *names: str) -> str | None:
        for name in names:
            k = self.lower.get(_low(name))
            if k is not None:
                return k
        return None

    def raw(self, *names: str) -> Any:
        """The first of ``names`` that is present and not empty, else None."""
        values = self.values
        for name in names:
            v = values.get(_low(name))
            if v is not None:
                return v
        return None

    def has(self, *names: str) -> bool:
        return any(_low(n) in self.lower for n in names)

    def line(self, *names: str | None) -> int | None:
        for name in names:
            if name is None:
                continue
            k = self.lower.get(_low(name))
            if k is not None and k in self.obj.lines:
                return self.obj.lines[k]
        return self.obj.line


_LOWER: dict[str, str] = {}
_LOWS: dict[tuple[Any, ...], tuple[str, ...]] = {}
_BLANK_TEXT = frozenset(("", "{}", "-"))  # what _empty calls an empty string, once stripped


def _low(name: str) -> str:
    """``name.lower()``, remembered: the mappers ask for the same few dozen names."""
    low = _LOWER.get(name)
    if low is None:
        low = _LOWER[name] = name.lower()
    return low


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        s = value.strip()
        return not s or s in ("{}", "-")
    if isinstance(value, (list, dict, bytes)):
        return len(value) == 0
    return False


def _text(value: Any) -> str | None:
    """A scalar as text; a 5.1 ``[uri]`` object as its string; type-name placeholders as None."""
    if value.__class__ is str:  # the usual case, tested as below
        s = value.strip()
        if not s or s in _BLANK_TEXT:
            return None
        if s.startswith(("System.", "Microsoft.")) and _TYPE_NAME_VALUE.match(s):
            return None
        return s
    if _empty(value):
        return None
    if isinstance(value, dict):
        for k in ("OriginalString", "AbsoluteUri", "value", "ToString"):
            if isinstance(value.get(k), str) and value[k].strip():
                return value[k].strip()
        return None
    if isinstance(value, (list, bytes)):
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    s = str(value).strip()
    if s.startswith(("System.", "Microsoft.")) and _TYPE_NAME_VALUE.match(s):
        return None
    return s


#: Forms printed for a reader (Format-List, Format-Table, pasted text): values there may carry
#: annotations and console wrapping. Every other form is a lossless serialisation.
_CONSOLE_FORMS = frozenset({"list", "table", "text"})


def _first_token(value: str) -> str:
    """Drop an author's annotation after a value (``True ★<<<``, ``wsFed ★<--``)."""
    parts = value.split(None, 1)
    return parts[0] if parts else value


class _Ctx:
    def __init__(self, obj: PSObject, culture: str | None, issues: list[LoadIssue]) -> None:
        self.obj = obj
        self.p = _Props(obj)
        self.culture = culture
        self.issues = issues

    def issue(
        self, message: str, *, field: str | None = None, severity: Severity = "warning", line: int | None = None
    ) -> None:
        if line is None:
            line = self.p.line(field) if field else self.obj.line
        self.issues.append(LoadIssue(self.obj.origin, message, line=line, field=field, severity=severity))

    def text(self, *names: str) -> str | None:
        return _text(self.p.raw(*names))

    def uri(self, *names: str) -> str | None:
        """A URI property. Structured exports (CLIXML, JSON, CSV) are lossless: the value is
        taken whole. Console text may carry an author's annotation after the URI
        (``https://... ★<--``), which is dropped with an info load issue; console-wrapped lines
        of one URI (no spaces in any of them) are joined."""
        value = self.text(*names)
        if not value:
            return None
        if self.obj.form not in _CONSOLE_FORMS:
            return value
        lines = [line.strip() for line in value.split("\n") if line.strip()]
        if lines and all(len(line.split()) == 1 for line in lines):
            return "".join(lines)
        first = _first_token(value)
        key = self.p.key(*names)
        dropped = " ".join(value[len(first) :].split())
        self.issue(
            f"{key}: read as {first!r}; the text after it is not part of a URI and was dropped: {dropped[:80]!r}",
            field=key,
            severity="info",
        )
        return first

    def bool(self, name: str) -> bool | None:
        value = self.p.raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return bool(value)
        m = _BOOL.match(str(value))
        if not m:
            self.issue(f"{name}: expected True or False, got {str(value)[:60]!r}", field=self.p.key(name))
            return None
        return m.group(1).lower().lstrip("$") == "true"

    def int(self, name: str) -> int | None:
        value = self.p.raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            self.issue(f"{name}: expected a whole number, got {value!r}", field=self.p.key(name))
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        m = _INT.match(str(value))
        if not m:
            self.issue(f"{name}: expected a whole number, got {str(value)[:60]!r}", field=self.p.key(name))
            return None
        return int(m.group(1))

    def datetime(self, *names: str) -> Any:
        key = self.p.key(*names)
        value = self.p.raw(*names)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                self.issue(f"{key}: date without an offset: {value.isoformat()}", field=key)
                return None
            return value.astimezone(dt.timezone.utc)
        text = _text(value)
        if text is None:
            return None
        try:
            return parse_console_datetime_or_none(
                text, self.culture, origin=self.obj.origin, line=self.p.line(key), field=key
            )
        except DateError as exc:
            self.issue(exc.message, field=key)
            return None

    def certificate(self, *names: str) -> Certificate | None:
        """The certificate in property ``names``: bytes first, then base64, then a printed block."""
        key = self.p.key(*names)
        value = self.p.raw(*names)
        if key is None or value is None:
            return None
        line = self.p.line(key)
        return _certificate(value, key, line, self)


def _certificate_from_block(block: str, field: str, line: int | None, ctx: _Ctx) -> Certificate | None:

    try:
        return certificate_from_text(block, culture=ctx.culture, origin=ctx.obj.origin, line=line)
    except DateError as exc:
        where = f"{field} [{exc.field}]" if exc.field else field
        ctx.issue(exc.message, field=where, line=exc.line or line)
    except FedauditError as exc:
        ctx.issue(
            f"printed certificate not readable: {getattr(exc, 'message', exc)}",
            field=field,
            line=getattr(exc, "line", None) or line,
        )
    # Keep what the block says for certain: its thumbprint (dates stay unknown).
    m = _BLOCK_THUMBPRINT.search(block)
    if m:
        return Certificate(thumbprint=m.group(1).upper(), text_derived=True)
    return None


_DECIMALS = re.compile(r"\d{1,3}(?:\s+\d{1,3}){15,}")


def _der_from(value: Any) -> bytes | None:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, list) and value and all(type(v) is int and 0 <= v <= 255 for v in value):
        return bytes(value)
    if isinstance(value, str) and _DECIMALS.fullmatch(value.strip()):
        # Windows PowerShell 5.1 past -Depth: ConvertTo-Json writes a byte[] as its string
        # form, the decimal values separated by spaces ("48 130 3 ...").
        numbers = [int(n) for n in value.split()]
        if all(n <= 255 for n in numbers):
            return bytes(numbers)
    return None


def _short(message: str, limit: int = 140) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _certificate(value: Any, field: str, line: int | None, ctx: _Ctx) -> Certificate | None:
    cert = _decode_certificate(value, field, line, ctx)
    if cert is not None:
        for problem in cert.problems:  # a field cryptography rejects: the rest of the certificate stands
            ctx.issue(f"certificate {cert.thumbprint}: {problem}", field=field, line=line)
    return cert


def _decode_certificate(value: Any, field: str, line: int | None, ctx: _Ctx) -> Certificate | None:
    origin = ctx.obj.origin
    der = _der_from(value)
    if der is not None:
        try:
            return certificate_from_der(der, origin=origin, field=field)
        except CertificateError as exc:
            ctx.issue(f"certificate bytes not readable: {_short(exc.message)}", field=field, line=line)
            return None
    if isinstance(value, dict):
        lower = {str(k).lower(): v for k, v in value.items()}
        raw = lower.get("rawdata")
        raw_der = _der_from(raw)
        if raw_der is not None:
            try:
                return certificate_from_der(raw_der, origin=origin, field=field)
            except CertificateError as exc:
                ctx.issue(f"certificate RawData not readable: {_short(exc.message)}", field=field, line=line)
        elif isinstance(raw, str) and raw.strip() and not _TYPE_NAME_VALUE.match(raw.strip()):
            try:
                return certificate_from_base64(raw, origin=origin, field=field)
            except CertificateError as exc:
                ctx.issue(f"certificate RawData not readable: {_short(exc.message)}", field=field, line=line)
        text = lower.get("tostring")
        if isinstance(text, str) and "[Thumbprint]" in text:
            return _certificate_from_block(text, field, line, ctx)
        if raw is not None or "thumbprint" not in lower:
            if raw is None:
                ctx.issue("certificate object without RawData or Thumbprint", field=field, line=line)
            return None
        return _certificate_from_properties(lower, field, line, ctx)
    if isinstance(value, str):
        s = value.strip()
        if "[Subject]" in s or "[Thumbprint]" in s:
            return _certificate_from_block(s, field, line, ctx)
        if _TYPE_NAME_VALUE.match(s):
            ctx.issue(
                f"the export shows only the type name {s!r}, not the certificate; "
                "export with Export-Clixml or ConvertTo-Json instead",
                field=field,
                line=line,
                severity="info",
            )
            return None
        try:
            return certificate_from_base64(s, origin=origin, field=field)
        except CertificateError as exc:
            ctx.issue(f"certificate not decodable: {_short(exc.message)}", field=field, line=line)
            return None
    ctx.issue(f"unexpected certificate value of type {type(value).__name__}", field=field, line=line)
    return None


def _certificate_from_properties(
    lower: Mapping[str, Any], field: str, line: int | None, ctx: _Ctx
) -> Certificate | None:
    """A certificate object without RawData (ConvertTo-Json beyond its depth): its printed facts."""
    thumb = lower.get("thumbprint")
    if not isinstance(thumb, str):
        ctx.issue("certificate object without RawData or Thumbprint", field=field, line=line)
        return None
    try:
        tp = normalise_thumbprint(thumb)
    except CertificateError:
        ctx.issue(f"certificate Thumbprint is not 40 hex digits: {thumb[:60]!r}", field=field, line=line)
        return None
    dates: dict[str, dt.datetime | None] = {}
    for name in ("notbefore", "notafter"):
        v = lower.get(name)
        if isinstance(v, dt.datetime):
            dates[name] = v.astimezone(dt.timezone.utc) if v.tzinfo else None
        elif isinstance(v, str) and v.strip():
            try:
                dates[name] = parse_console_datetime(
                    v, ctx.culture, origin=ctx.obj.origin, line=line, field=f"{field}.{name}"
                )
            except DateError as exc:
                ctx.issue(exc.message, field=field, line=line)
                dates[name] = None
        else:
            dates[name] = None
    serial = lower.get("serialnumber")
    return Certificate(
        thumbprint=tp,
        subject=_text(lower.get("subject")),
        issuer=_text(lower.get("issuer")),
        serial=serial.upper() if isinstance(serial, str) and re.fullmatch(r"[0-9A-Fa-f]+", serial) else None,
        not_before=dates["notbefore"],
        not_after=dates["notafter"],
        text_derived=True,
    )


# -- domains -----------------------------------------------------------------------------------


def _clean_domain(token: str) -> str | None:
    token = token.strip().strip("\"'").strip().rstrip(".")
    if not token or token[0] in "$(@<" or not _DOMAIN_TOKEN.match(token):
        return None
    return token.lower()


# What people paste in place of a label they hide: <redacted>, [tenant], {name}, ****.
_REDACTED_LABEL = re.compile(r"<[^<>\s]{1,63}>|\[[^\[\]\s]{1,63}\]|\{[^{}\s]{1,63}\}|\*{1,63}")


def _domain_name(value: str) -> str | None:
    """``value`` (a Get-MsolDomain Name, a Get-MgDomain Id) lower-cased, or None when it does not
    look like a DNS domain name (``wuauserv``, ``x``, ``192.0.2.1``). A label hidden by the person
    who shared the capture (``<redacted>.example``) still counts as a label."""
    domain = _first_token(value).strip().lower()
    probe = _REDACTED_LABEL.sub("redacted", domain.strip("\"'").rstrip("."))
    if not _DOMAIN_TOKEN.match(probe) or probe.rsplit(".", 1)[-1].isdigit():
        return None
    return domain


_STAGE_END = re.compile(r"[|;}]")
_POSITIONAL = re.compile(r"\s+(\"[^\"]*\"|'[^']*'|[^\s-][^\s]*)")
_DOMAIN_PARAMETER = re.compile(r"-Domain(?:Name|Id)\s*[: ]\s*(\"[^\"]*\"|'[^']*'|[^\s|;}]+)", re.I)
_CMDLET_PATTERNS: dict[str, re.Pattern[str]] = {}


def _cmdlet_pattern(cmdlet: str) -> re.Pattern[str]:
    pattern = _CMDLET_PATTERNS.get(cmdlet)
    if pattern is None:
        if len(_CMDLET_PATTERNS) > 256:
            _CMDLET_PATTERNS.clear()
        pattern = _CMDLET_PATTERNS[cmdlet] = re.compile(re.escape(cmdlet) + r"(?![A-Za-z])", re.I)
    return pattern


def command_domain(command: str | None, cmdlet: str | None = None) -> str | None:
    """The domain a captured command line names (``-DomainName x`` / ``-DomainId x`` / positional).

    Only the pipeline stage that runs ``cmdlet`` is read when it is given; a variable
    (``-DomainName $_.Name``) or a placeholder (``<domain>``) names no domain.
    """
    if not command:
        return None
    text = command.replace("\u2013", "-").replace("\u2014", "-")
    stage = text
    if cmdlet:
        m = _cmdlet_pattern(cmdlet).search(text)
        if not m:
            return None
        stage = _STAGE_END.split(text[m.end() :], maxsplit=1)[0]
        positional = _POSITIONAL.match(stage)
        if positional:
            return _clean_domain(positional.group(1))
    m = _DOMAIN_PARAMETER.search(stage)
    return _clean_domain(m.group(1)) if m else None


def domain_from_issuer_uri(issuer_uri: str | None) -> str | None:
    """``http://<domain>/adfs/services/trust/`` (Update-MsolFederatedDomain -SupportMultipleDomain
    sets IssuerUri to this per-domain form, trailing slash included) -> ``<domain>``."""
    if not issuer_uri:
        return None
    m = _MULTI_DOMAIN_ISSUER.match(issuer_uri.strip())
    return _clean_domain(m.group(1)) if m else None


def _context_domain(ctx: _Ctx) -> str | None:
    for name in ("@odata.context", "AdditionalProperties"):
        value = ctx.p.raw(name)
        if value is None:
            continue
        m = _CONTEXT_DOMAIN.search(value if isinstance(value, str) else str(value))
        if m:
            return _clean_domain(m.group(1))
    return None


_host = host_of


def _resolve_domain(ctx: _Ctx, cmdlet: str, given: str | None, issuer_uri: str | None) -> tuple[str | None, str | None]:
    """(domain, how) for a settings-like record that does not print its domain.

    Order: a ``DomainName``/``DomainId`` property, the captured command line, the Graph
    ``@odata.context``, the caller's ``domain`` (``domain_map``), the -SupportMultipleDomain
    IssuerUri form. Disagreements are reported.
    """
    named = ctx.text("DomainName", "DomainId")
    candidates = [
        # A property that names the domain (the fedaudit collector adds DomainName to each object).
        ("DomainName property", _clean_domain(named) if named else None),
        ("command line", command_domain(ctx.obj.command, cmdlet) or command_domain(ctx.obj.command)),
        ("@odata.context", _context_domain(ctx)),
        ("domain_map", _clean_domain(given) if given else None),
        ("IssuerUri", domain_from_issuer_uri(issuer_uri)),
    ]
    found = [(how, d) for how, d in candidates if d]
    if not found:
        return None, None
    how, domain = found[0]
    for other_how, other in found[1:]:
        if other != domain and other_how != "IssuerUri":
            ctx.issue(f"the {how} says domain {domain!r} but the {other_how} says {other!r}; using {domain!r}")
    return domain, how


# -- the mappers -------------------------------------------------------------------------------


def _map_adfs_properties(ctx: _Ctx, out: Mapped) -> None:
    host = ctx.text("HostName")
    identifier = ctx.uri("Identifier")
    multiplier = ctx.int("CertificateThresholdMultiplier")
    if multiplier is not None and multiplier != 1440:
        ctx.issue(
            f"CertificateThresholdMultiplier is {multiplier} minutes, not 1440: the certificate "
            f"thresholds are in units of {multiplier} minutes, not days (test-lab setting?)",
            field=ctx.p.key("CertificateThresholdMultiplier"),
        )
    farm = AdfsFarm(
        origin=ctx.obj.origin,
        host_name=_first_token(host).lower() if host else None,
        identifier=identifier,
        auto_certificate_rollover=ctx.bool("AutoCertificateRollover"),
        certificate_generation_threshold=ctx.int("CertificateGenerationThreshold"),
        certificate_promotion_threshold=ctx.int("CertificatePromotionThreshold"),
        certificate_critical_threshold=ctx.int("CertificateCriticalThreshold"),
        certificate_duration=ctx.int("CertificateDuration"),
        certificate_rollover_interval=ctx.int("CertificateRolloverInterval"),
        line=ctx.obj.line,
        certificate_threshold_multiplier=multiplier,
    )
    out.farms.append(farm)


def _map_adfs_certificate(ctx: _Ctx, out: Mapped) -> None:
    ctype = ctx.text("CertificateType")
    role = _ROLES.get(_first_token(ctype).lower()) if ctype else None
    if ctype and role is None:
        ctx.issue(f"certificate type {ctype!r} is not audited", field=ctx.p.key("CertificateType"), severity="info")
        return
    if role is None:
        ctx.issue("certificate without CertificateType", field=None)
    primary = ctx.bool("IsPrimary")
    cert = ctx.certificate("Certificate")
    printed = ctx.text("Thumbprint")
    printed_tp = None
    if printed:
        try:
            printed_tp = normalise_thumbprint(_first_token(printed))
        except CertificateError:
            ctx.issue(f"Thumbprint is not 40 hex digits: {printed[:60]!r}", field=ctx.p.key("Thumbprint"))
    if cert is None and printed_tp is not None:
        # Format-Table / Select-Object captures: the thumbprint and perhaps a NotAfter column.
        not_after = ctx.datetime("NotAfter", "Not After")
        not_before = ctx.datetime("NotBefore", "Not Before")
        cert = Certificate(
            thumbprint=printed_tp,
            subject=ctx.text("Subject"),
            not_before=not_before,
            not_after=not_after,
            text_derived=True,
        )
    elif cert is not None and printed_tp is not None and printed_tp != cert.thumbprint:
        ctx.issue(
            f"Thumbprint {printed_tp} differs from the certificate's own {cert.thumbprint}",
            field=ctx.p.key("Thumbprint"),
            severity="high",
        )
    if cert is None:
        ctx.issue("AD FS certificate without a certificate or thumbprint", field=ctx.p.key("Certificate"))
        return
    slot: Slot | None = None if primary is None else ("primary" if primary else "secondary")
    if primary is None and not ctx.p.has("IsPrimary"):
        ctx.issue(
            f"certificate {cert.thumbprint} shown without IsPrimary: primary or secondary is unknown", severity="info"
        )
    out.observations.append(
        CertificateObservation(
            certificate=cert,
            source="adfs",
            origin=ctx.obj.origin,
            role=role,
            slot=slot,
            line=ctx.obj.line,
        )
    )


def _map_federation_property(ctx: _Ctx, out: Mapped, domain_arg: str | None) -> None:
    raw_source = ctx.text("Source")
    source = _SOURCES.get(raw_source.lower()) if raw_source else None
    if source is None:
        # Without Source nobody can tell whether AD FS or Entra holds the certificate: keep the
        # certificate facts as a plain file observation and say so.
        shown = f"with Source {raw_source!r}" if raw_source else "without a Source"
        ctx.issue(
            f"Get-MsolFederationProperty record {shown} (expected 'ADFS Server' or "
            "'Microsoft Office 365'): its certificates are kept with source 'file'",
            field=ctx.p.key("Source"),
        )
        for name in ("TokenSigningCertificate", "NextTokenSigningCertificate"):
            cert = ctx.certificate(name)
            if cert is not None:
                out.observations.append(
                    CertificateObservation(
                        certificate=cert,
                        source="file",
                        origin=ctx.obj.origin,
                        role="token-signing",
                        line=ctx.p.line(name),
                    )
                )
        return
    identifier = ctx.uri("FederationServiceIdentifier", "IssuerUri")
    passive = ctx.uri("PassiveClientSignInUrl", "PassiveSignInUri")
    mex = ctx.uri("FederationMetadataUrl", "MetadataExchangeUri")
    active = ctx.uri("ActiveClientSignInUrl", "ActiveSignInUri")
    domain, how = _resolve_domain(ctx, MSOL_FEDERATION_PROPERTY, domain_arg, identifier if source == "entra" else None)
    hints: dict[str, str] = {}
    if source == "adfs":
        if identifier:
            hints["identifier"] = identifier
        hosts = sorted({h for h in (_host(passive), _host(mex), _host(active)) if h})
        if hosts:
            hints["hosts"] = " ".join(hosts)
    else:
        record = str(len(out.domains))
        hints["record"] = record
        out.domains.append(
            EntraDomain(
                origin=ctx.obj.origin,
                domain=domain,
                issuer_uri=identifier,
                passive_sign_in_uri=passive,
                metadata_exchange_uri=mex,
                preferred_authentication_protocol=ctx.text("PreferredAuthenticationProtocol"),
                has_settings=True,
                line=ctx.obj.line,
            )
        )
    if how:
        hints["domain_from"] = how
    slots: tuple[Slot, Slot] = ("primary", "secondary") if source == "adfs" else ("current", "next")
    for name, slot in zip(("TokenSigningCertificate", "NextTokenSigningCertificate"), slots):
        cert = ctx.certificate(name)
        if cert is None:
            continue
        out.observations.append(
            CertificateObservation(
                certificate=cert,
                source=source,
                origin=ctx.obj.origin,
                role="token-signing",
                slot=slot,
                domain=domain,
                line=ctx.p.line(name),
                hints=dict(hints),
            )
        )


def _update_status(ctx: _Ctx) -> tuple[str | None, Any]:
    """(certificateUpdateResult, lastRunDateTime) from SigningCertificateUpdateStatus."""
    key = ctx.p.key("SigningCertificateUpdateStatus")
    value = ctx.p.raw("SigningCertificateUpdateStatus")
    if value is None:
        return None, None
    if isinstance(value, dict):
        # Graph JSON: {"certificateUpdateResult": ..., "lastRunDateTime": ...}; PS 7 JSON: PascalCase.
        sub = PSObject(origin=ctx.obj.origin, form=ctx.obj.form, properties=value, line=ctx.p.line(key))
        inner = _Ctx(sub, ctx.culture, ctx.issues)
        return inner.text("certificateUpdateResult"), inner.datetime("lastRunDateTime")
    text = _text(value)
    if text is not None and text.lstrip().startswith("@{"):
        # A PSCustomObject printed by Format-List: Get-EntraDomainFederationSettings copies the
        # status through ConvertTo-Json | ConvertFrom-Json, so the console shows
        # @{CertificateUpdateResult=success; LastRunDateTime=...}.
        pairs = dict(_HASH_PAIR.findall(text.strip()[2:].rstrip("}")))
        folded = {k.lower(): v.strip() for k, v in pairs.items()}
        result = folded.get("certificateupdateresult") or None
        last = folded.get("lastrundatetime") or None
        when = None
        if last:
            try:
                when = parse_console_datetime(last, ctx.culture)
            except (DateError, FedauditError) as exc:
                ctx.issue(f"SigningCertificateUpdateStatus LastRunDateTime {last!r}: {exc}", field=key)
        return result, when
    if text is None:
        ctx.issue(
            "SigningCertificateUpdateStatus shows only its type name: to see certificateUpdateResult and "
            "lastRunDateTime export with ConvertTo-Json -Depth 5 or Invoke-MgGraphRequest",
            field=key,
            severity="info",
        )
        return None, None
    return _first_token(text), None


def _map_federation_settings(ctx: _Ctx, out: Mapped, cmdlet: str, domain_arg: str | None) -> None:
    issuer = ctx.uri("IssuerUri", "FederationServiceIdentifier")
    domain, how = _resolve_domain(ctx, cmdlet, domain_arg, issuer)
    result, last_run = _update_status(ctx)
    protocol = ctx.text("PreferredAuthenticationProtocol")
    mfa = ctx.text("FederatedIdpMfaBehavior")  # Graph / Get-MgDomainFederationConfiguration only
    record = str(len(out.domains))
    out.domains.append(
        EntraDomain(
            origin=ctx.obj.origin,
            domain=domain,
            issuer_uri=issuer,
            passive_sign_in_uri=ctx.uri("PassiveLogOnUri", "PassiveSignInUri", "PassiveClientSignInUrl"),
            metadata_exchange_uri=ctx.uri("MetadataExchangeUri", "FederationMetadataUrl"),
            preferred_authentication_protocol=_first_token(protocol) if protocol else None,
            update_result=result,
            update_last_run=last_run,
            federated_idp_mfa_behavior=_first_token(mfa) if mfa else None,
            has_settings=True,
            line=ctx.obj.line,
        )
    )
    hints = {"record": record}
    if how:
        hints["domain_from"] = how
    entra_slots: tuple[tuple[str, Slot], ...] = (("SigningCertificate", "current"), ("NextSigningCertificate", "next"))
    for name, slot in entra_slots:
        cert = ctx.certificate(name)
        if cert is None:
            continue
        out.observations.append(
            CertificateObservation(
                certificate=cert,
                source="entra",
                origin=ctx.obj.origin,
                role="token-signing",
                slot=slot,
                domain=domain,
                line=ctx.p.line(name),
                hints=dict(hints),
            )
        )


def _domain_row(
    ctx: _Ctx, out: Mapped, *, name_key: str, auth_key: str, missing: str, label: str, status: str | None
) -> None:
    """One Entra domain row (Get-MsolDomain, Get-MgDomain, Graph domain): a DNS name in
    ``name_key`` and Managed/Federated in ``auth_key``; anything else is a load issue."""
    name = ctx.text(name_key)
    if not name:
        ctx.issue(missing, field=None)
        return
    domain = _domain_name(name)
    if domain is None:
        ctx.issue(f"{label} {name[:60]!r} is not a domain name: row skipped", field=ctx.p.key(name_key))
        return
    auth = ctx.text(auth_key)
    authentication = _AUTHENTICATION.get(_first_token(auth).lower()) if auth else None
    if auth and authentication is None:
        ctx.issue(f"{auth_key} {auth!r} is neither Managed nor Federated", field=ctx.p.key(auth_key))
    out.domains.append(
        EntraDomain(
            origin=ctx.obj.origin,
            domain=domain,
            authentication=authentication,
            status=status,
            line=ctx.obj.line,
        )
    )


def _map_msol_domain(ctx: _Ctx, out: Mapped) -> None:
    status = ctx.text("Status")
    _domain_row(
        ctx,
        out,
        name_key="Name",
        auth_key="Authentication",
        missing="Get-MsolDomain row without a Name",
        label="Get-MsolDomain Name",
        status=_first_token(status) if status else None,
    )


def _map_mg_domain(ctx: _Ctx, out: Mapped) -> None:
    verified = ctx.bool("IsVerified")
    _domain_row(
        ctx,
        out,
        name_key="Id",
        auth_key="AuthenticationType",
        missing="domain without an Id",
        label="domain Id",
        status=None if verified is None else ("Verified" if verified else "Unverified"),
    )


def _map_certificate_object(ctx: _Ctx, out: Mapped) -> None:
    cert = _certificate(dict(ctx.obj.properties), "RawData", ctx.obj.line, ctx)
    if cert is None:
        return
    printed = ctx.text("Thumbprint", "PSChildName")
    if printed and re.fullmatch(r"[0-9A-Fa-f]{40}", printed) and printed.upper() != cert.thumbprint:
        ctx.issue(
            f"Thumbprint {printed.upper()} differs from the certificate's own {cert.thumbprint}",
            field=ctx.p.key("Thumbprint", "PSChildName"),
            severity="high",
        )
    out.observations.append(
        CertificateObservation(certificate=cert, source="file", origin=ctx.obj.origin, line=ctx.obj.line)
    )


def certificate_text_file(text: str, origin: str, culture: str | None) -> Mapped:
    """A file that holds only a printed certificate block (``[Subject] ... [Thumbprint]``)."""
    out = Mapped()
    obj = PSObject(origin=origin, form="text", properties={"Certificate": text}, line=1)
    ctx = _Ctx(obj, culture, out.issues)
    cert = _certificate_from_block(text, "Certificate", 1, ctx)
    if cert is not None:
        out.observations.append(CertificateObservation(certificate=cert, source="file", origin=origin, line=1))
    return out


def file_certificates(certs: Iterable[Certificate], origin: str) -> list[CertificateObservation]:
    """Observations (``source="file"``) for certificates read from a DER/PEM file."""
    return [CertificateObservation(certificate=c, source="file", origin=origin) for c in certs]


def certificate_problems(certs: Iterable[Certificate], origin: str) -> list[LoadIssue]:
    """Load issues for the fields ``cryptography`` could not read (``Certificate.problems``)."""
    return [
        LoadIssue(origin, f"certificate {c.thumbprint}: {problem}", field="certificate")
        for c in certs
        for problem in c.problems
    ]


def map_objects(
    cmdlet: str,
    objects: Iterable[PSObject],
    *,
    culture: str | None = None,
    domain: str | None = None,
    into: Mapped | None = None,
) -> Mapped:
    """Map objects that ``cmdlet`` produced into records (appended to ``into`` when given, so
    that one file's records share one numbering). Never raises for bad values."""
    out = into if into is not None else Mapped()
    for obj in objects:
        ctx = _Ctx(obj, culture, out.issues)
        if cmdlet == ADFS_PROPERTIES:
            _map_adfs_properties(ctx, out)
        elif cmdlet == ADFS_CERTIFICATE:
            _map_adfs_certificate(ctx, out)
        elif cmdlet == MSOL_FEDERATION_PROPERTY:
            _map_federation_property(ctx, out, domain)
        elif cmdlet in (MSOL_FEDERATION_SETTINGS, MG_FEDERATION, GRAPH_FEDERATION):
            _map_federation_settings(ctx, out, cmdlet if cmdlet != GRAPH_FEDERATION else MG_FEDERATION, domain)
        elif cmdlet == MSOL_DOMAIN:
            _map_msol_domain(ctx, out)
        elif cmdlet in (MG_DOMAIN, GRAPH_DOMAIN):
            _map_mg_domain(ctx, out)
        elif cmdlet == CERTIFICATE:
            _map_certificate_object(ctx, out)
        else:
            raise UsageError(f"unknown cmdlet {cmdlet!r}; expected one of {CMDLETS}")
    return out


def cmdlet_from_type_names(type_names: Sequence[str]) -> str | None:
    """The cmdlet a .NET/Graph type name belongs to (``Deserialized.`` prefix ignored)."""
    for name in type_names:
        key = name.strip().lstrip("#").lower()
        if key.startswith("deserialized."):
            key = key[len("deserialized.") :]
        if key in TYPE_NAMES:
            return TYPE_NAMES[key]
    return None
