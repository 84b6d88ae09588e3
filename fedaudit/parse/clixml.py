"""``Export-Clixml`` files (PowerShell serialization XML, ``<Objs Version="1.1.0.1" ...>``).

Sans-IO: :func:`parse_clixml` takes decoded text and returns one :class:`~fedaudit.records.PSObject`
per top-level ``<Obj>``. The shapes handled (``serialization-json-clixml-csv.md``):

* primitives ``<S> <B> <I32> <I64> <Db> <DT> <TS> <G> <URI> <Version> <BA> <Nil/>`` and friends;
* ``<Obj>`` with adapted ``<Props>`` and extended ``<MS>`` members, type names in ``<TN>`` or a
  back-reference ``<TNRef RefId>``, and object back-references ``<Ref RefId>``;
* an X509Certificate2 serialises as ``<BA N="RawData">`` plus its ``<ToString>`` text only
  (``PropertySerializationSet = RawData`` in PowerShell's type table); it becomes a ``dict`` with
  ``RawData`` (bytes) and ``ToString``;
* an enum is an ``<Obj>`` with ``<ToString>`` (its name) and ``<I32>`` (its value); the name is kept,
  as Format-List and Export-Csv show it;
* collections ``<LST> <IE> <STK> <QUE>`` become lists, ``<DCT>`` a dict;
* strings carry XmlConvert escapes such as ``_x000D__x000A_`` (CR LF), undone here.

The XML parser is hardened: no DTD, no entity expansion, no network, ``huge_tree`` off; a
document with a DOCTYPE or an entity declaration is refused (:class:`HostileXMLError`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from typing import Any

from lxml import etree

from fedaudit.errors import HostileXMLError, ParseError
from fedaudit.records import PSObject

__all__ = ["CLIXML_NS", "FORM", "parse_clixml", "unescape"]

FORM = "Export-Clixml"
CLIXML_NS = "http://schemas.microsoft.com/powershell/2004/04"
_NS = "{" + CLIXML_NS + "}"
_MAX_DEPTH = 100

_ESCAPE = re.compile(r"(?:_x[0-9A-Fa-f]{4}_)+")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _unescape_run(match: re.Match[str]) -> str:
    run = match.group(0)
    units = [int(run[i + 2 : i + 6], 16) for i in range(0, len(run), 7)]
    raw = b"".join(u.to_bytes(2, "little") for u in units)
    # surrogate pairs (_xD83D__xDE00_) combine; lone surrogates are kept as replacement chars
    return raw.decode("utf-16-le", errors="replace")


def unescape(text: str) -> str:
    """Undo PowerShell's ``_xHHHH_`` escapes (``_x000D__x000A_`` is CR LF)."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(_unescape_run, text)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


_INTS = {"I16", "I32", "I64", "U16", "U32", "U64", "By", "SB"}
_FLOATS = {"Db", "Sg", "D"}
_STRINGS = {"S", "G", "URI", "Version", "XD", "SBK", "SS"}
_COLLECTIONS = {"LST", "IE", "STK", "QUE"}
_PRIMITIVES = _INTS | _FLOATS | _STRINGS | {"B", "C", "DT", "TS", "BA", "Nil"}

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<d>\d+)D)?(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_FRACTION = re.compile(r"(\.\d{6})\d+")


def _datetime(text: str) -> dt.datetime | str:
    """``<DT>``: .NET round-trip format, up to 7 fractional digits, ``Z``/offset or none.

    With an offset (Local or Utc kind) the instant is known and returned in UTC. Without one
    (Unspecified kind) it is not: the text is returned for the mapper to report.
    """
    value = _FRACTION.sub(r"\1", text.strip())
    try:
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return text
    if stamp.tzinfo is None:
        return text
    return stamp.astimezone(dt.timezone.utc)


def _duration(text: str) -> dt.timedelta | str:
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "PT"):
        return text
    td = dt.timedelta(
        days=int(m.group("d") or 0),
        hours=int(m.group("h") or 0),
        minutes=int(m.group("m") or 0),
        seconds=float(m.group("s") or 0),
    )
    return -td if m.group("sign") else td


class _Reader:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.objects: dict[str, Any] = {}
        self.type_names: dict[str, tuple[str, ...]] = {}

    def local(self, el: etree._Element) -> str:
        tag = el.tag
        if not isinstance(tag, str):
            return ""
        return tag[len(_NS) :] if tag.startswith(_NS) else tag

    def name(self, el: etree._Element) -> str | None:
        n = el.get("N")
        return unescape(n) if n is not None else None

    def value(self, el: etree._Element, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise HostileXMLError(
                f"CLIXML nested deeper than {_MAX_DEPTH} levels", origin=self.origin, line=el.sourceline
            )
        tag = self.local(el)
        text = el.text or ""
        if tag == "Nil":
            return None
        if tag in _STRINGS:
            return unescape(text)
        if tag == "B":
            return text.strip().lower() == "true"
        if tag in _INTS:
            try:
                return int(text.strip())
            except ValueError:
                return unescape(text)
        if tag in _FLOATS:
            try:
                return float(text.strip())
            except ValueError:
                return unescape(text)
        if tag == "C":
            try:
                return chr(int(text.strip()))
            except (ValueError, OverflowError):
                return unescape(text)
        if tag == "DT":
            return _datetime(text)
        if tag == "TS":
            return _duration(text)
        if tag == "BA":
            body = re.sub(r"\s+", "", text)
            try:
                return base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                return body  # the certificate mapper reports it, with file, line and field
        if tag == "Ref":
            return self.objects.get(el.get("RefId") or "")
        if tag == "Obj":
            return self.obj(el, depth)[0]
        if tag in _COLLECTIONS:
            return [self.value(child, depth + 1) for child in el if self.local(child)]
        if tag == "DCT":
            return self.dct(el, depth)
        return unescape(text) if text.strip() else None

    def dct(self, el: etree._Element, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for entry in el:
            if self.local(entry) != "En":
                continue
            key: Any = None
            val: Any = None
            for part in entry:
                n = part.get("N")
                if n == "Key":
                    key = self.value(part, depth + 1)
                elif n == "Value":
                    val = self.value(part, depth + 1)
            if key is not None:
                out[str(key)] = val
        return out

    def types(self, el: etree._Element) -> tuple[str, ...]:
        for child in el:
            tag = self.local(child)
            if tag == "TN":
                names = tuple(unescape(t.text or "") for t in child if self.local(t) == "T")
                ref = child.get("RefId")
                if ref is not None:
                    self.type_names[ref] = names
                return names
            if tag == "TNRef":
                return self.type_names.get(child.get("RefId") or "", ())
        return ()

    def members(self, el: etree._Element, depth: int) -> tuple[dict[str, Any], dict[str, int]]:
        props: dict[str, Any] = {}
        lines: dict[str, int] = {}
        for child in el:
            tag = self.local(child)
            if tag not in ("Props", "MS"):
                continue
            for member in child:
                if not self.local(member):
                    continue
                name = self.name(member)
                if name is None:
                    continue
                props[name] = self.value(member, depth + 1)
                if member.sourceline is not None:
                    lines[name] = member.sourceline
        return props, lines

    def obj(self, el: etree._Element, depth: int) -> tuple[Any, dict[str, Any], dict[str, int], tuple[str, ...]]:
        """(value, member properties, member lines, type names) of one ``<Obj>``."""
        type_names = self.types(el)
        to_string: str | None = None
        primitive: Any = None
        has_primitive = False
        items: list[Any] | None = None
        mapping: dict[str, Any] | None = None
        for child in el:
            tag = self.local(child)
            if tag == "ToString":
                to_string = unescape(child.text or "")
            elif tag in _PRIMITIVES and child.get("N") is None:
                primitive = self.value(child, depth + 1)
                has_primitive = True
            elif tag in _COLLECTIONS:
                items = [self.value(c, depth + 2) for c in child if self.local(c)]
            elif tag == "DCT":
                mapping = self.dct(child, depth + 1)
        props, lines = self.members(el, depth)
        result: Any
        if "System.Enum" in type_names and to_string is not None:
            result = to_string  # an enum: its name, as Format-List and Export-Csv print it
        elif has_primitive and not props:
            result = primitive
        elif items is not None and not props:
            result = items
        elif mapping is not None and not props:
            result = mapping
        elif props:
            result = dict(props)
            if to_string is not None and "ToString" not in result:
                result["ToString"] = to_string
        else:
            # Beyond the serialisation depth an object keeps only its ToString.
            result = to_string
        ref = el.get("RefId")
        if ref is not None:
            self.objects[ref] = result
        return result, props, lines, type_names


def parse_clixml(text: str, origin: str) -> list[PSObject]:
    """Top-level objects of an Export-Clixml document, in order.

    Raises :class:`HostileXMLError` for DTDs/entities, :class:`ParseError` for malformed XML or
    a document that is not CLIXML.
    """
    body = text.lstrip("\ufeff")
    if re.search(r"<!(DOCTYPE|ENTITY)", body[:100_000], re.I) or "<!ENTITY" in body:
        raise HostileXMLError("XML with a DOCTYPE or entity declaration refused", origin=origin)
    body = _XML_DECL.sub("", body, count=1)
    try:
        root = etree.fromstring(body.encode("utf-8"), _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        raise ParseError(f"not well-formed XML ({exc.msg})", origin=origin, line=line) from None
    if root is None or root.tag != _NS + "Objs":
        raise ParseError("XML but not PowerShell CLIXML (no <Objs> root in the 2004/04 namespace)", origin=origin)
    reader = _Reader(origin)
    out: list[PSObject] = []
    for el in root:
        if reader.local(el) != "Obj":
            continue
        value, props, lines, type_names = reader.obj(el, 0)
        if not isinstance(value, dict):
            continue  # a bare string, number or list at top level is not a cmdlet object
        props = value
        out.append(
            PSObject(
                origin=origin,
                form=FORM,
                properties=props,
                line=el.sourceline,
                lines=lines,
                type_names=type_names,
            )
        )
    return out
