"""A certificate known only from its printed ``[Subject] ... [Thumbprint]`` block.

The block is ``X509Certificate.ToString(true)`` (dotnet/runtime ``X509Certificate.cs``): six
sections in a fixed order, each a header line and a value line indented by two spaces,
sections separated by an empty line::

    [Subject]
      CN=ADFS Signing - adfs.lab.com

    [Issuer]
      CN=ADFS Signing - adfs.lab.com

    [Serial Number]
      7B8A1B0D7FF00B8D44FDA36A3B4A4B6A

    [Not Before]
      01.08.2024 15:57:51

    [Not After]
      01.08.2025 15:57:51

    [Thumbprint]
      5A4AE6D2F2164DDCAB1C156828F2594845533213

It reaches us as a Format-List value (continuation indentation removed or not, indentation
collapsed by a blog), as the CLIXML ``<ToString>`` with ``_x000D__x000A_`` escapes, or as an
Export-Csv cell. Section headers are hard-coded English; the dates are the exporting machine's
culture and local time (see :mod:`fedaudit.parse.dates`), so the record is marked ``text_derived``.
"""

from __future__ import annotations

import datetime as dt
import re

from fedaudit.errors import CertificateError, DateError
from fedaudit.parse._console import strip_annotation
from fedaudit.parse.certs import normalise_thumbprint
from fedaudit.parse.dates import infer_culture, parse_console_datetime_or_none
from fedaudit.records import Certificate

__all__ = ["certificate_blocks", "certificate_from_text", "looks_like_certificate_text", "normalise_dn"]

_SECTIONS = ("Subject", "Issuer", "Serial Number", "Not Before", "Not After", "Thumbprint")
_HEADER = re.compile(r"\[(Subject|Issuer|Serial Number|Not Before|Not After|Thumbprint)\]")
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
# .NET X500DistinguishedName short names that RFC 4514 spells differently.
_DN_TYPES = {"S": "ST", "E": "E", "OID.2.5.4.5": "serialNumber"}


def looks_like_certificate_text(value: str) -> bool:
    """True when ``value`` holds a printed certificate block (``[Subject]`` ... ``[Thumbprint]``)."""
    return isinstance(value, str) and "[Subject]" in value and "[Thumbprint]" in value


def certificate_blocks(text: str) -> list[str]:
    """The separate ``[Subject] ... [Thumbprint]`` blocks in ``text``.

    A collection of certificates (``Get-AdfsClaimsProviderTrust`` ``TokenSigningCertificates``)
    prints as ``{[Subject] ... [Thumbprint] ..., [Subject] ... }``: one block per certificate,
    in order, each ready for :func:`certificate_from_text`.
    """
    text = _unescape_xml_names(text)
    starts = [m.start() for m in re.finditer(r"\[Subject\]", text)]
    blocks = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(text)
        block = text[start:end].rstrip().rstrip("}").rstrip().rstrip(",").rstrip()
        blocks.append(block)
    return blocks


def _unescape_xml_names(text: str) -> str:
    """CLIXML writes control characters as ``_xHHHH_`` (``_x000D__x000A_`` = CRLF)."""
    if not re.search(r"_x000[DdAa]_", text):
        return text  # not CLIXML-escaped: leave underscores in names alone
    return _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def _sections(text: str) -> dict[str, str]:
    """Section name -> value text (lines stripped and joined; annotations removed)."""
    found: dict[str, str] = {}
    matches = list(_HEADER.finditer(text))
    for n, m in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
        raw = text[m.end() : end]
        parts = [strip_annotation(p).strip() for p in raw.split("\n")]
        parts = [p for p in parts if p]
        # A value wrapped by a narrow console continues on the next line: join the pieces.
        value = "".join(parts).strip().rstrip("}").rstrip(",").strip()
        name = m.group(1)
        if name not in found:
            found[name] = value
    return found


def _split_dn(dn: str) -> list[str]:
    """RDNs of a .NET-printed DN (``CN=a, O="b, c", C=US``), respecting quotes and escapes."""
    parts, buf, quoted, escaped = [], [], False, False
    for ch in dn:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\":
            buf.append(ch)
            escaped = True
        elif ch == '"':
            buf.append(ch)
            quoted = not quoted
        elif ch in ",;" and not quoted:
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    return [p for p in parts if p]


def _rfc4514_value(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1].replace('""', '"')
        value = re.sub(r'([,+"\\<>;])', r"\\\1", value)
        if value[:1] in ("#", " "):
            value = "\\" + value
        if value.endswith(" "):
            value = value[:-1] + "\\ "
    return value


def normalise_dn(dn: str) -> str:
    """A .NET-printed distinguished name in the RFC 4514 spelling ``certs`` produces from DER.

    ``CN=ADFS Signing - x, O="Contoso, Ltd", C=US`` becomes
    ``CN=ADFS Signing - x,O=Contoso\\, Ltd,C=US``; ``S=`` becomes ``ST=``. Both list the
    most specific RDN first, so the order is kept. Text that is not ``type=value`` pairs is
    returned stripped.
    """
    rdns = []
    for part in _split_dn(dn):
        avas = []
        for ava in re.split(r"\s+\+\s+", part):
            if "=" not in ava:
                return dn.strip()
            typ, _, val = ava.partition("=")
            typ = typ.strip()
            avas.append(f"{_DN_TYPES.get(typ.upper(), typ)}={_rfc4514_value(val)}")
        rdns.append("+".join(avas))
    return ",".join(rdns)


def certificate_from_text(
    block: str,
    *,
    culture: str | None = None,
    origin: str | None = None,
    line: int | None = None,
) -> Certificate:
    """A text-derived :class:`~fedaudit.records.Certificate` from a printed certificate block.

    Thumbprint (required; normalised with :func:`fedaudit.parse.certs.normalise_thumbprint`),
    subject and issuer (RFC 4514 spelling), serial (upper-case hex without leading zeros),
    not_before/not_after via :func:`fedaudit.parse.dates.parse_console_datetime` with ``culture``
    (local time read as UTC; ``1/1/0001`` gives None). Without a culture, a date whose order is
    ambiguous is settled by the other date of the block when that one is unambiguous, else
    :class:`~fedaudit.errors.DateError`. ``self_signed`` is subject == issuer.
    Raises :class:`~fedaudit.errors.CertificateError` when there is no readable thumbprint.
    """
    if not isinstance(block, str):
        raise CertificateError(f"expected text, got {type(block).__name__}", origin=origin, line=line)
    text = _unescape_xml_names(block).replace("\r\n", "\n").replace("\r", "\n")
    sections = _sections(text)
    thumb = sections.get("Thumbprint")
    if not thumb:
        raise CertificateError(
            "no [Thumbprint] in the certificate text" if "Thumbprint" not in sections else "empty [Thumbprint]",
            origin=origin,
            line=line,
            field="Thumbprint",
            value=block[:120],
        )
    try:
        thumbprint = normalise_thumbprint(thumb)
    except CertificateError as exc:
        raise CertificateError(
            f"[Thumbprint] {thumb!r} is not 40 hex digits (truncated or edited?)",
            origin=origin,
            line=line,
            field="Thumbprint",
            value=exc.value,
        ) from None

    subject = normalise_dn(sections["Subject"]) if sections.get("Subject") else None
    issuer = normalise_dn(sections["Issuer"]) if sections.get("Issuer") else None
    serial_text = re.sub(r"[\s:]", "", sections.get("Serial Number", ""))
    serial = (serial_text.upper().lstrip("0") or "0") if serial_text and _HEX.match(serial_text) else None

    date_texts = {name: sections.get(name) for name in ("Not Before", "Not After")}
    if culture is None:
        culture = infer_culture(t for t in date_texts.values() if t)
    dates: dict[str, dt.datetime | None] = {}
    for name, value in date_texts.items():
        if not value:
            dates[name] = None
            continue
        try:
            dates[name] = parse_console_datetime_or_none(value, culture, origin=origin, line=line, field=name)
        except DateError as exc:
            raise DateError(
                f"certificate {thumbprint}: {exc.message}", origin=origin, line=line, field=name, value=value
            ) from None

    return Certificate(
        thumbprint=thumbprint,
        subject=subject,
        issuer=issuer,
        serial=serial,
        not_before=dates["Not Before"],
        not_after=dates["Not After"],
        self_signed=(subject == issuer) if subject is not None and issuer is not None else None,
        text_derived=True,
    )
