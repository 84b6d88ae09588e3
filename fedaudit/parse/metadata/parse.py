"""Sans-IO parser for SAML 2.0 / WS-Federation metadata: bytes in, frozen records out.

Hardening (metadata comes from the network and from strangers' repositories):

* Documents over ``max_bytes`` are refused before any parsing.
* Any DOCTYPE is refused outright (:class:`~fedaudit.errors.HostileXMLError`): metadata never
  needs one (SAML metadata schema, saml-schema-metadata-2.0.xsd, declares no DTD), and a DTD is
  how external entities (file reads, SSRF) and entity-expansion bombs get in. We look for it twice:
  a byte scan before parsing and libxml2's own ``docinfo`` as soon as the root element starts.
* lxml runs with ``resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False``.
* Depth is counted while parsing (``iterparse``) and the parse stops at ``max_depth``, so a
  200,000-deep document is refused after reading a few hundred bytes.
* Comments and processing instructions are dropped: exclusive/inclusive C14N without comments
  (what metadata signatures use) does not cover them, so text we read must not include them
  either (the "comment truncation" trick, e.g. ``MIIC<!---->...`` inside a certificate).
* Only structural positions are read: ``EntitiesDescriptor/EntityDescriptor/<role>/KeyDescriptor``.
  A KeyDescriptor hidden in ``md:Extensions``, ``ds:Object`` or anywhere else is never a
  certificate of the entity (signature wrapping relies on parsers that search with ``//``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from cryptography.utils import CryptographyDeprecationWarning
from lxml import etree

from fedaudit._util import host_of
from fedaudit.errors import CertificateError, DateError, HostileXMLError, ParseError
from fedaudit.parse.certs import certificate_from_base64
from fedaudit.records import Certificate, LoadIssue, Severity

__all__ = [
    "Endpoint",
    "MAX_DEPTH",
    "MAX_DOCUMENT_BYTES",
    "MetadataDocument",
    "MetadataEntity",
    "MetadataKey",
    "MetadataRole",
    "NS",
    "SignatureInfo",
    "document_from_tree",
    "parse_metadata",
    "parse_tree",
    "parse_xs_datetime",
    "quiet_serial_warning",
]

#: Documents larger than this are refused (the loader refuses larger files anyway).
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
#: Deepest element nesting accepted. Real metadata (aggregates with mdui/mdattr extensions and
#: enveloped signatures included) stays under 20.
MAX_DEPTH = 100

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "fed": "http://docs.oasis-open.org/wsfed/federation/200706",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
_MD = "{%s}" % NS["md"]
_DS = "{%s}" % NS["ds"]
_FED = "{%s}" % NS["fed"]
_WSA = "{%s}" % NS["wsa"]
_XSI_TYPE = "{%s}type" % NS["xsi"]

#: Role descriptor elements of SAML metadata (saml-metadata-2.0-os section 2.4).
_ROLE_TAGS = {
    _MD + "RoleDescriptor",
    _MD + "IDPSSODescriptor",
    _MD + "SPSSODescriptor",
    _MD + "AuthnAuthorityDescriptor",
    _MD + "AttributeAuthorityDescriptor",
    _MD + "PDPDescriptor",
}
_DOCTYPE_MARKERS = tuple(
    "<!DOCTYPE".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
) + tuple("<!ENTITY".encode(enc) for enc in ("ascii", "utf-16-le", "utf-16-be"))


@dataclass(frozen=True)
class MetadataKey:
    """A certificate from ``KeyDescriptor/ds:KeyInfo/ds:X509Data/ds:X509Certificate``.

    ``use`` is ``signing``, ``encryption`` or ``unspecified`` (no ``use`` attribute: the key
    serves both, saml-metadata-2.0-os 2.4.1.1).
    """

    use: str
    certificate: Certificate
    descriptor: str
    line: int | None = None


@dataclass(frozen=True)
class Endpoint:
    """An endpoint: SAML ``Location`` (SingleSignOnService ...) or WS-Fed ``wsa:Address``."""

    kind: str
    location: str
    descriptor: str
    binding: str | None = None
    line: int | None = None

    @property
    def host(self) -> str | None:
        return _location_host(self.location)


def _location_host(location: str) -> str | None:
    """Lower-case host of an endpoint URL (None when it has none)."""
    return host_of(location)


@dataclass(frozen=True)
class MetadataRole:
    """A role descriptor. ``kind`` is ``IDPSSODescriptor``, ``SPSSODescriptor``, ...; a
    ``RoleDescriptor`` with a WS-Federation ``xsi:type`` is ``fed:SecurityTokenServiceType`` or
    ``fed:ApplicationServiceType``."""

    kind: str
    protocols: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class MetadataEntity:
    """One ``EntityDescriptor``. ``valid_until``/``cache_duration`` are effective values: the
    earliest ``validUntil`` of the entity and its enclosing EntitiesDescriptors, the nearest
    ``cacheDuration`` (saml-metadata-2.0-os 2.3.1)."""

    entity_id: str | None
    xml_id: str | None = None
    valid_until: dt.datetime | None = None
    cache_duration: str | None = None
    roles: tuple[MetadataRole, ...] = ()
    keys: tuple[MetadataKey, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    line: int | None = None

    @property
    def hosts(self) -> tuple[str, ...]:
        """Endpoint host names, lower-case, sorted, unique."""
        return tuple(sorted({e.host for e in self.endpoints if e.host}))

    def certificates(self, use: str) -> tuple[Certificate, ...]:
        """Unique certificates usable for ``use`` (``signing``/``encryption``), in order; keys
        without a ``use`` attribute count for both."""
        seen: dict[str, Certificate] = {}
        for key in self.keys:
            if key.use in (use, "unspecified"):
                seen.setdefault(key.certificate.thumbprint, key.certificate)
        return tuple(seen.values())


@dataclass(frozen=True)
class SignatureInfo:
    """The document root's ``ds:Signature`` as written (not yet verified)."""

    reference_uris: tuple[str | None, ...]
    signature_method: str | None
    digest_methods: tuple[str, ...]
    canonicalization: str | None
    key_info_certificates: tuple[Certificate, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class MetadataDocument:
    """A parsed metadata document: the root, its entities and the root ``ds:Signature``.

    ``inner_signatures`` counts ``ds:Signature`` elements that are not a child of the root: they
    never authenticate the document (see :mod:`fedaudit.parse.metadata.verify`).
    """

    origin: str
    root: str  # EntityDescriptor | EntitiesDescriptor
    sha256: str
    name: str | None = None  # entityID of the root EntityDescriptor, Name of an EntitiesDescriptor
    xml_id: str | None = None
    valid_until: dt.datetime | None = None
    cache_duration: str | None = None
    entities: tuple[MetadataEntity, ...] = ()
    signature: SignatureInfo | None = None
    signature_count: int = 0
    inner_signatures: int = 0
    issues: tuple[LoadIssue, ...] = field(default=(), compare=False)


@contextmanager
def quiet_serial_warning() -> Iterator[None]:
    """Silence cryptography's warning about non-positive serial numbers (RFC 5280 4.1.2.2).

    Real federation certificates have them (SWAMID, TestShib, Duo Access Gateway); the parser
    reports them as an ``info`` load issue instead of a warning on stderr.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*serial number.*", category=CryptographyDeprecationWarning)
        yield


def parse_tree(
    data: bytes, origin: str, *, max_bytes: int = MAX_DOCUMENT_BYTES, max_depth: int = MAX_DEPTH
) -> etree._Element:
    """Parse ``data`` safely and return the root element of a metadata document.

    Raises :class:`HostileXMLError` (DOCTYPE/entities, size, depth) or :class:`ParseError`
    (not well-formed, not metadata).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ParseError(f"expected bytes, got {type(data).__name__}", origin=origin)
    data = bytes(data)
    if len(data) > max_bytes:
        raise HostileXMLError(f"document is {len(data)} bytes, over the {max_bytes}-byte limit", origin=origin)
    if not data.strip():
        raise ParseError("empty document", origin=origin)
    for marker in _DOCTYPE_MARKERS:
        at = data.find(marker)
        if at >= 0:
            raise HostileXMLError(
                "DOCTYPE/ENTITY declarations are refused (metadata never needs a DTD; they carry "
                f"external-entity and entity-expansion attacks) at byte {at}",
                origin=origin,
            )
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = 0
    root: etree._Element | None = None
    try:
        for event, element in events:
            if event == "end":
                depth -= 1
                continue
            depth += 1
            if root is None:
                root = element
                info = element.getroottree().docinfo
                if info.internalDTD is not None or info.externalDTD is not None or info.system_url:
                    raise HostileXMLError("DOCTYPE declarations are refused", origin=origin, line=1)
            if depth > max_depth:
                raise HostileXMLError(
                    f"elements nested deeper than {max_depth} levels are refused",
                    origin=origin,
                    line=element.sourceline,
                )
    except etree.XMLSyntaxError as exc:
        message = str(exc.msg if getattr(exc, "msg", None) else exc)
        line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
        if any(word in message.lower() for word in ("excessive depth", "huge", "amplification")):
            raise HostileXMLError(f"refused by the XML parser: {message}", origin=origin, line=line) from None
        raise ParseError(f"not well-formed XML: {message}", origin=origin, line=line) from None
    if root is None:
        raise ParseError("no root element", origin=origin)
    if root.tag not in (_MD + "EntityDescriptor", _MD + "EntitiesDescriptor"):
        raise ParseError(
            f"root element is {root.tag}, not md:EntityDescriptor or md:EntitiesDescriptor (namespace {NS['md']})",
            origin=origin,
            line=root.sourceline,
        )
    return root


_DATETIME = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?\s*$")


def parse_xs_datetime(value: str) -> dt.datetime:
    """An ``xs:dateTime`` as tz-aware UTC. No offset means UTC (SAML core 1.3.3 requires UTC).

    .NET writes up to 7 fractional digits; we keep microseconds.
    """
    m = _DATETIME.match(value)
    if not m:
        raise DateError(f"not an xs:dateTime: {value!r}", value=value)
    year, month, day, hour, minute, second = (int(g) for g in m.group(1, 2, 3, 4, 5, 6))
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    zone = m.group(8)
    tz = dt.timezone.utc
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        tz = dt.timezone(sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    day_carry = 0
    if hour == 24 and minute == 0 and second == 0 and micro == 0:  # xs:dateTime allows 24:00:00
        hour, day_carry = 0, 1
    stamp = dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    return (stamp + dt.timedelta(days=day_carry)).astimezone(dt.timezone.utc)


class _Collector:
    """Walks the tree structurally and collects records and load issues."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.issues: list[LoadIssue] = []

    def issue(
        self,
        message: str,
        element: etree._Element | None = None,
        field: str | None = None,
        severity: Severity = "warning",
    ) -> None:
        line = element.sourceline if element is not None else None
        self.issues.append(LoadIssue(self.origin, message, line=line, field=field, severity=severity))

    def date(self, element: etree._Element, attr: str) -> dt.datetime | None:
        raw = element.get(attr)
        if raw is None:
            return None
        try:
            return parse_xs_datetime(raw)
        except (DateError, ValueError) as exc:  # ValueError: a date that does not exist (month 13)
            self.issue(f"{attr}: {exc}", element, field=attr)
            return None

    def certificates(self, key_info: etree._Element, field_name: str) -> Iterator[tuple[Certificate, etree._Element]]:
        for x509_data in key_info.findall(_DS + "X509Data"):
            for cert_el in x509_data.findall(_DS + "X509Certificate"):
                text = "".join(cert_el.itertext())
                try:
                    # certs reads a non-positive serial without cryptography's warning
                    cert = certificate_from_base64(text, origin=self.origin, field=field_name)
                except CertificateError as exc:
                    self.issue(f"unreadable certificate: {exc.message}", cert_el, field=field_name)
                    continue
                for problem in cert.problems:  # the rest of the certificate and the document stand
                    self.issue(f"certificate {cert.thumbprint}: {problem}", cert_el, field=field_name)
                if cert.serial is None or cert.serial == "0":
                    self.issue(
                        f"certificate {cert.thumbprint} has a serial number that is not positive (RFC 5280 4.1.2.2)",
                        cert_el,
                        field=field_name,
                        severity="info",
                    )
                yield cert, cert_el

    def role_kind(self, element: etree._Element) -> str:
        local = etree.QName(element).localname
        if local != "RoleDescriptor":
            return local
        xsi_type = element.get(_XSI_TYPE)
        if not xsi_type:
            return "RoleDescriptor"
        prefix, _, name = xsi_type.rpartition(":")
        namespace = element.nsmap.get(prefix or None)
        if namespace == NS["fed"]:
            return f"fed:{name}"
        return f"RoleDescriptor[{xsi_type}]"

    def endpoints(self, role: etree._Element, kind: str) -> Iterator[Endpoint]:
        for child in role:
            if not isinstance(child.tag, str):
                continue
            if child.tag.startswith(_MD) and child.get("Location") is not None:
                yield Endpoint(
                    kind=etree.QName(child).localname,
                    location=child.get("Location", "").strip(),
                    descriptor=kind,
                    binding=child.get("Binding"),
                    line=child.sourceline,
                )
            elif child.tag.startswith(_FED) and child.tag.endswith("Endpoint"):
                # fed:PassiveRequestorEndpoint / SecurityTokenServiceEndpoint / ...:
                # <fed:X><wsa:EndpointReference><wsa:Address>URL</wsa:Address>
                for ref in child.findall(_WSA + "EndpointReference"):
                    for address in ref.findall(_WSA + "Address"):
                        yield Endpoint(
                            kind=etree.QName(child).localname,
                            location="".join(address.itertext()).strip(),
                            descriptor=kind,
                            line=address.sourceline,
                        )

    def entity(self, element: etree._Element, valid_until: dt.datetime | None, cache: str | None) -> MetadataEntity:
        own_until = self.date(element, "validUntil")
        until = min((d for d in (own_until, valid_until) if d is not None), default=None)
        entity_id = element.get("entityID")
        if not entity_id:
            self.issue("EntityDescriptor has no entityID", element, field="entityID")
        roles: list[MetadataRole] = []
        keys: list[MetadataKey] = []
        endpoints: list[Endpoint] = []
        for role in element:
            if role.tag not in _ROLE_TAGS:
                continue
            kind = self.role_kind(role)
            protocols = tuple((role.get("protocolSupportEnumeration") or "").split())
            roles.append(MetadataRole(kind=kind, protocols=protocols, line=role.sourceline))
            for kd in role.findall(_MD + "KeyDescriptor"):
                use = kd.get("use") or "unspecified"
                if use not in ("signing", "encryption", "unspecified"):
                    self.issue(
                        f"KeyDescriptor use={use!r} is not signing or encryption; read as unspecified", kd, field="use"
                    )
                    use = "unspecified"
                for key_info in kd.findall(_DS + "KeyInfo"):
                    for cert, cert_el in self.certificates(key_info, "KeyDescriptor/X509Certificate"):
                        keys.append(MetadataKey(use=use, certificate=cert, descriptor=kind, line=cert_el.sourceline))
            endpoints.extend(self.endpoints(role, kind))
        return MetadataEntity(
            entity_id=entity_id or None,
            xml_id=element.get("ID"),
            valid_until=until,
            cache_duration=element.get("cacheDuration") or cache,
            roles=tuple(roles),
            keys=tuple(keys),
            endpoints=tuple(endpoints),
            line=element.sourceline,
        )

    def walk(
        self, element: etree._Element, valid_until: dt.datetime | None, cache: str | None
    ) -> Iterator[MetadataEntity]:
        if element.tag == _MD + "EntityDescriptor":
            yield self.entity(element, valid_until, cache)
            return
        own = self.date(element, "validUntil")
        until = min((d for d in (own, valid_until) if d is not None), default=None)
        cache = element.get("cacheDuration") or cache
        for child in element:
            if child.tag in (_MD + "EntityDescriptor", _MD + "EntitiesDescriptor"):
                yield from self.walk(child, until, cache)

    def signature(self, sig: etree._Element) -> SignatureInfo:
        signed_info = sig.find(_DS + "SignedInfo")
        refs: list[str | None] = []
        digests: list[str] = []
        method = c14n = None
        if signed_info is not None:
            sm = signed_info.find(_DS + "SignatureMethod")
            method = sm.get("Algorithm") if sm is not None else None
            cm = signed_info.find(_DS + "CanonicalizationMethod")
            c14n = cm.get("Algorithm") if cm is not None else None
            for ref in signed_info.findall(_DS + "Reference"):
                refs.append(ref.get("URI"))
                dm = ref.find(_DS + "DigestMethod")
                if dm is not None and dm.get("Algorithm"):
                    digests.append(dm.get("Algorithm"))
        certs: list[Certificate] = []
        key_info = sig.find(_DS + "KeyInfo")
        if key_info is not None:
            certs = [c for c, _ in self.certificates(key_info, "Signature/KeyInfo/X509Certificate")]
        return SignatureInfo(
            reference_uris=tuple(refs),
            signature_method=method,
            digest_methods=tuple(digests),
            canonicalization=c14n,
            key_info_certificates=tuple(certs),
            line=sig.sourceline,
        )


def parse_metadata(
    data: bytes, origin: str, *, max_bytes: int = MAX_DOCUMENT_BYTES, max_depth: int = MAX_DEPTH
) -> MetadataDocument:
    """Parse a metadata document. Raises :class:`HostileXMLError` or :class:`ParseError` (only
    :class:`~fedaudit.errors.FedauditError` escapes); smaller problems (an unreadable
    certificate or certificate field, a bad date) become ``issues`` and the rest is read."""
    root = parse_tree(data, origin, max_bytes=max_bytes, max_depth=max_depth)
    return document_from_tree(root, bytes(data), origin)


def document_from_tree(root: etree._Element, data: bytes, origin: str) -> MetadataDocument:
    """Records from a tree returned by :func:`parse_tree` (without comments)."""
    c = _Collector(origin)
    entities = tuple(c.walk(root, None, None))
    root_sigs = root.findall(_DS + "Signature")
    all_sigs = sum(1 for _ in root.iter(_DS + "Signature"))
    is_entity = root.tag == _MD + "EntityDescriptor"
    if not entities:
        c.issue("the document describes no EntityDescriptor", root, severity="warning")
    return MetadataDocument(
        origin=origin,
        root=etree.QName(root).localname,
        sha256=hashlib.sha256(data).hexdigest(),
        name=root.get("entityID") if is_entity else root.get("Name"),
        xml_id=root.get("ID"),
        valid_until=_Collector(origin).date(root, "validUntil"),  # issues already noted by walk
        cache_duration=root.get("cacheDuration"),
        entities=entities,
        signature=c.signature(root_sigs[0]) if root_sigs else None,
        signature_count=len(root_sigs),
        inner_signatures=all_sigs - len(root_sigs),
        issues=tuple(c.issues),
    )
