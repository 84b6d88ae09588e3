"""``read_export``: the bytes of one export in, a :class:`~fedaudit.records.ParseResult` out.

Two questions are answered from the content, never from the file name:

1. **Which form?** decoded text (:func:`fedaudit.parse.textio.decode`: BOM, UTF-16 NUL pattern,
   UTF-8, cp1252) that starts with ``<Objs`` in the PowerShell 2004/04 namespace is Export-Clixml;
   ``{`` or ``[`` that parses as JSON is ConvertTo-Json (5.1 or 7) or Graph REST JSON; a ``#TYPE``
   line or a delimited header of property names is Export-Csv; anything else is console text
   (Format-List / Format-Table captures, prompts and all).
2. **Which cmdlet?** each object's type name when the form carries one (CLIXML ``<TN>``, CSV
   ``#TYPE``, ``@odata.type``), otherwise its property names
   (:func:`fedaudit.parse.properties.identify_cmdlet`). One capture may hold several cmdlets
   (``Get-MsolDomain`` rows followed by ``Get-MsolDomainFederationSettings`` lists).

Bad input never raises: it becomes :class:`~fedaudit.records.LoadIssue` records. The only
exception is a ``culture`` argument that names no culture (:class:`~fedaudit.errors.UsageError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from fedaudit.errors import DateError, FedauditError, InputError, UsageError
from fedaudit.parse import cmdlets as C
from fedaudit.parse.certs import certificate_from_der, certificate_from_pem
from fedaudit.parse.clixml import parse_clixml
from fedaudit.parse.dates import infer_culture, parse_console_datetime
from fedaudit.parse.properties import (
    ALL_KNOWN,
    GET_MG_DOMAIN_FEDERATION_CONFIGURATION,
    GET_MSOL_DOMAIN_FEDERATION_SETTINGS,
    GRAPH_INTERNAL_DOMAIN_FEDERATION,
    identify_cmdlet,
)
from fedaudit.parse.pscsv import looks_like_csv, parse_csv
from fedaudit.parse.psjson import parse_json
from fedaudit.parse.pslist import parse_captures
from fedaudit.parse.textio import decode, strip_ansi
from fedaudit.parse.x509text import looks_like_certificate_text
from fedaudit.records import LoadIssue, ParseResult, PSObject, Severity

__all__ = ["UNRECOGNISED", "check_culture", "identify", "read_export"]

#: Message of the load issue for a file that is no known cmdlet's export.
UNRECOGNISED = "unrecognised: not a known cmdlet export"

_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 BOM",
    "utf-16-le": "UTF-16LE",
    "utf-16-be": "UTF-16BE",
    "utf-32-le": "UTF-32LE",
    "utf-32-be": "UTF-32BE",
    "cp1252": "cp1252",
}
# identify_cmdlet's names for Graph REST resources -> ours
_RECOGNITION = {"internalDomainFederation": C.GRAPH_FEDERATION, "domain": C.GRAPH_DOMAIN}
_CERT_DATES = re.compile(r"\[Not (?:Before|After)\][ \t]*(?:\n|_x000D__x000A_|\\r\\n|\\n)[ \t]*([^\n_\"\\]+)")


def _settings_names() -> frozenset[str]:

    union = (
        GET_MSOL_DOMAIN_FEDERATION_SETTINGS | GET_MG_DOMAIN_FEDERATION_CONFIGURATION | GRAPH_INTERNAL_DOMAIN_FEDERATION
    )
    return frozenset(n.lower() for n in union)


_SETTINGS_NAMES = _settings_names()


def check_culture(culture: str | None) -> None:
    """Raise :class:`~fedaudit.errors.UsageError` when ``culture`` names no culture."""
    if culture is None:
        return

    # The date module validates the culture name before reading any date.
    parse_console_datetime("2000-01-01", culture)


def identify(obj: PSObject) -> str | None:
    """The cmdlet (one of :data:`fedaudit.parse.cmdlets.CMDLETS`) that produced ``obj``, or None."""
    by_type = C.cmdlet_from_type_names(obj.type_names)
    if by_type is not None:
        if by_type == C.MG_FEDERATION and obj.form == "Graph JSON":
            return C.GRAPH_FEDERATION
        if by_type == C.MG_DOMAIN and obj.form == "Graph JSON":
            return C.GRAPH_DOMAIN
        return by_type
    key = tuple(obj.properties)  # the names below follow from the keys alone
    if key in _IDENTIFIED:
        return _IDENTIFIED[key]
    names = [k for k in key if isinstance(k, str) and k != "ToString"]
    if len(_IDENTIFIED) > 4096:
        _IDENTIFIED.clear()
    _IDENTIFIED[key] = found = _identify_names(names)
    return found


# Exports of one kind share their property names: recognise each key list once.
_IDENTIFIED: dict[tuple[object, ...], str | None] = {}


def _identify_names(names: list[str]) -> str | None:

    found = identify_cmdlet(names)
    if found is None:
        folded = {k.lower() for k in names}
        if "rawdata" in folded:
            return C.CERTIFICATE
        # A selection that fits MSOnline settings and the Graph federation object equally
        # (Select IssuerUri, SigningCertificate): both map the same way.
        if (
            folded
            and folded <= _SETTINGS_NAMES
            and folded & {"issueruri", "signingcertificate", "nextsigningcertificate"}
        ):
            return C.GRAPH_FEDERATION if all(k[:1].islower() for k in names) else C.MSOL_FEDERATION_SETTINGS
        return None
    return _RECOGNITION.get(found, found)


def _issue_from(exc: FedauditError, origin: str, severity: Severity = "warning") -> LoadIssue:
    if isinstance(exc, InputError):
        return LoadIssue(origin, exc.message, line=exc.line, field=exc.field, severity=severity)
    return LoadIssue(origin, str(exc), severity=severity)


_HTTP_START = re.compile(r"^(?:HTTP/\d(?:\.\d)? \d{3}|(?:GET|POST|PATCH|PUT) https?://)[^\n]*\n")


def _strip_http(text: str) -> str:
    """A saved HTTP exchange (Graph Explorer, docs): drop the start line and headers."""
    body = text.lstrip("\ufeff \t\n")
    if not _HTTP_START.match(body):
        return text
    skipped = len(text) - len(body)
    end = body.find("\n\n")
    if end < 0:
        return ""
    # Blank out the head but keep its line breaks, so line numbers stay those of the file.
    head = text[: skipped + end]
    return "\n" * head.count("\n") + text[skipped + end :]


def _objects(text: str, origin: str) -> list[PSObject]:
    """Recognise the form and parse it into objects (raises InputError subclasses)."""
    text = _strip_http(text)
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if head.startswith("<"):
        if "<Objs" in head and "schemas.microsoft.com/powershell/2004/04" in head:
            return parse_clixml(text, origin)
        return []
    if head.startswith(("{", "[")):
        try:
            return parse_json(text, origin)
        except FedauditError:
            if head.startswith("{") or not re.match(r"\[\s*[A-Za-z]", head):
                raise
            # "[Subject] ..." is a printed certificate, not a JSON array: read it as text.

    if looks_like_csv(text):
        return parse_csv(text, origin)

    return parse_captures(strip_ansi(text), origin, known=ALL_KNOWN)


def _infer_culture(text: str, culture: str | None, origin: str, issues: list[LoadIssue]) -> str | None:
    """Without a culture, let the file's own unambiguous certificate dates settle the order of
    its ambiguous ones (one export = one machine = one culture)."""
    if culture is not None:
        return culture

    if "[Not " not in text:
        return None
    texts = [m.strip() for m in _CERT_DATES.findall(text)]
    if not texts:
        return None
    ambiguous = []
    for t in texts:
        try:
            parse_console_datetime(t)
        except DateError as exc:
            if "ambiguous" in exc.message:
                ambiguous.append(t)
    if not ambiguous:
        return None
    inferred = infer_culture(texts)
    if inferred is None:
        return None
    order = {"en-US": "month first", "en-GB": "day first", "ja-JP": "year first"}.get(inferred, inferred)
    issues.append(
        LoadIssue(
            origin,
            f"console dates such as {ambiguous[0]!r} read {order}, as other dates in this file show "
            "(pass culture= / --culture to say otherwise)",
            severity="info",
        )
    )
    return inferred


_FORM_NAMES = {"list": "Format-List", "table": "Format-Table"}

# The Microsoft Entra PowerShell module (Microsoft.Entra) returns the Graph objects, or for
# Get-EntraDomainFederationSettings an object with the MSOnline property names; the captured
# command line says which module printed them (learn.microsoft.com/powershell/module/microsoft.entra:
# Get-EntraFederationProperty, Get-EntraDomainFederationSettings, Get-EntraDomain).
_ENTRA_CMDLETS = {
    "get-entrafederationproperty": "Get-EntraFederationProperty",
    "get-entradomainfederationsettings": "Get-EntraDomainFederationSettings",
    "get-entradomain": "Get-EntraDomain",
}
_ENTRA_COMMAND = re.compile(r"\b(Get-Entra(?:FederationProperty|DomainFederationSettings|Domain))(?![A-Za-z])", re.I)


def _entra_name(obj: PSObject, cmdlet: str) -> str:
    """The Entra module cmdlet named on the object's captured command line, else ``cmdlet``."""
    m = _ENTRA_COMMAND.search(obj.command or "")
    return _ENTRA_CMDLETS[m.group(1).lower()] if m else cmdlet


def _kind(cmdlet_names: Iterable[str], forms: Iterable[str], encoding: str) -> str:
    names = " + ".join(dict.fromkeys(cmdlet_names))
    shown = " + ".join(dict.fromkeys(_FORM_NAMES.get(f, f) for f in forms))
    enc = _ENCODING_NAMES.get(encoding, encoding)
    return f"{names} ({shown}, {enc})"


def _describe(objects: list[PSObject]) -> str:
    names: list[str] = []
    for obj in objects:
        for k in obj.properties:
            if isinstance(k, str) and k not in names:
                names.append(k)
    if not names:
        return "no objects found"
    shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
    return f"{len(objects)} object(s) with properties {shown}"


def _certificate_file(data: bytes, origin: str) -> ParseResult | None:
    """A DER or PEM certificate file (``.cer`` / ``.crt`` / ``.pem``), or None."""

    kind = None
    if data[:2] in (b"\x30\x82", b"\x30\x81"):
        try:
            certs = [certificate_from_der(data, origin=origin)]
            kind = "X.509 certificate (DER)"
        except FedauditError:
            return None
    elif data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"-----BEGIN CERTIFICATE-----"):
        try:
            certs = certificate_from_pem(data, origin=origin)
            kind = "X.509 certificate (PEM)"
        except FedauditError as exc:
            return ParseResult(origin=origin, kind="X.509 certificate (PEM)", issues=(_issue_from(exc, origin),))
    else:
        return None
    return ParseResult(
        origin=origin,
        kind=kind,
        observations=tuple(C.file_certificates(certs, origin)),
        issues=tuple(C.certificate_problems(certs, origin)),
    )


def _read(data: bytes, origin: str, culture: str | None, domain: str | None) -> ParseResult:

    as_certificate = _certificate_file(bytes(data), origin)
    if as_certificate is not None:
        return as_certificate
    text, encoding = decode(data, origin)
    if not text.strip():
        return ParseResult(origin=origin, kind="empty", issues=(LoadIssue(origin, "empty file"),))
    objects = _objects(text, origin)
    issues: list[LoadIssue] = []
    found: list[tuple[PSObject, str]] = []
    unknown: list[PSObject] = []
    for obj in objects:
        cmdlet = identify(obj)
        if cmdlet is None:
            unknown.append(obj)
        else:
            found.append((obj, cmdlet))
    if not found and looks_like_certificate_text(text):
        # Only a printed certificate (an X509Certificate2's ToString pasted into a file).
        used_culture = _infer_culture(text, culture, origin, issues)
        mapped = C.certificate_text_file(text, origin, used_culture)
        return ParseResult(
            origin=origin,
            kind=f"X.509 certificate (printed text, {_ENCODING_NAMES.get(encoding, encoding)})",
            observations=tuple(mapped.observations),
            issues=tuple(issues + mapped.issues),
        )
    if not found and not objects:
        empty = _empty_graph_collection(text, origin)
        if empty is not None:
            return empty
    if not found:
        return ParseResult(
            origin=origin,
            kind="unrecognised",
            issues=(LoadIssue(origin, f"{UNRECOGNISED} ({_describe(objects)})", line=None),),
        )
    if unknown:
        first = unknown[0]
        issues.append(
            LoadIssue(
                origin,
                f"{len(unknown)} of {len(objects)} objects are not a known cmdlet's output ({_describe(unknown)})",
                line=first.line,
                severity="info",
            )
        )
    for obj, _ in found:
        for no, key, dropped in obj.dropped:
            issues.append(
                LoadIssue(
                    origin,
                    f"text {dropped[:60]!r} under the empty {key} was not read: it is neither a property nor "
                    "an indented continuation (a cut or re-typed capture?)",
                    line=no,
                    field=key,
                    severity="info",
                )
            )
    used_culture = _infer_culture(text, culture, origin, issues)
    mapped = C.Mapped(issues=issues)
    for obj, cmdlet in found:
        C.map_objects(cmdlet, [obj], culture=used_culture, domain=domain, into=mapped)
    return ParseResult(
        origin=origin,
        kind=_kind((_entra_name(o, c) for o, c in found), (o.form for o, _ in found), encoding),
        farms=tuple(mapped.farms),
        domains=tuple(mapped.domains),
        observations=tuple(mapped.observations),
        issues=tuple(mapped.issues),
    )


_EMPTY_CONTEXT = re.compile(r"/\$metadata#domains(?:\('([^']{1,253})'\)/federationConfiguration)?\Z")


def _empty_graph_collection(text: str, origin: str) -> ParseResult | None:
    """A Graph collection with no entries (``{"@odata.context": ".../$metadata#domains", "value": []}``):
    not an unknown file but an answer that says "none". For a domain's federationConfiguration
    that is worth a warning: Entra ID then holds no signing certificate for the domain."""
    if len(text) > 4096:
        return None
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("value") != [] or not isinstance(doc.get("@odata.context"), str):
        return None
    m = _EMPTY_CONTEXT.search(doc["@odata.context"])
    if m is None:
        return None
    if m.group(1) is None:
        return ParseResult(
            origin=origin,
            kind="Graph domain (Graph JSON, no entries)",
            issues=(LoadIssue(origin, "Microsoft Graph listed no domains in this answer", severity="info"),),
        )
    domain = m.group(1).lower()
    return ParseResult(
        origin=origin,
        kind="Graph internalDomainFederation (Graph JSON, no entries)",
        issues=(
            LoadIssue(
                origin,
                f"Microsoft Graph returned no federation configuration for {domain}: Entra ID holds no "
                "token-signing certificate for it (a domain listed as Federated cannot sign in like this)",
                severity="warning",
            ),
        ),
    )


def read_export(data: bytes, origin: str, *, culture: str | None = None, domain: str | None = None) -> ParseResult:
    """Recognise and read one PowerShell export (any form, any cmdlet fedaudit knows).

    ``origin`` names the input in records and issues (a file path). ``culture`` says how
    console dates were printed (``en-US``, ``de-DE``, ...); without it a date is read only when
    its form, or the other dates in the same file, settle the order. ``domain`` is the domain of
    a Get-MsolDomainFederationSettings / federation-configuration export that does not show it
    (``domain_map`` in :func:`fedaudit.load`).

    Never raises for bad input (the file's problems are in ``ParseResult.issues``); raises
    :class:`~fedaudit.errors.UsageError` for a ``culture`` that names no culture.
    """
    check_culture(culture)
    try:
        return _read(data, origin, culture, domain)
    except UsageError:
        raise
    except FedauditError as exc:
        return ParseResult(origin=origin, kind="unreadable", issues=(_issue_from(exc, origin),))
    except RecursionError:
        return ParseResult(
            origin=origin,
            kind="unreadable",
            issues=(LoadIssue(origin, "input nested too deeply to read", severity="warning"),),
        )
    except Exception as exc:
        return ParseResult(
            origin=origin,
            kind="error",
            issues=(
                LoadIssue(
                    origin,
                    f"internal error while reading this file ({type(exc).__name__}: {exc}); please report it",
                    severity="high",
                ),
            ),
        )
