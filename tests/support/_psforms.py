"""Print PowerShell objects the way each output path does (the forms of the format notes).

Used by :mod:`support._pswrite` and, through :mod:`support.synth`, by samples, tests and the
load benchmark; never by the audit. Values are a small model of .NET objects (:class:`PSObj`,
:class:`PSEnum`, :class:`PSCert`, :class:`PSUri`, ``datetime``, ``timedelta``, ``bytes``, lists,
dicts). Renderers: Format-List (PowerShell ``ListWriter``), Format-Table (``TableWriter``),
ConvertTo-Json in Windows PowerShell 5.1 (JavaScriptSerializer plus its own pretty-printer) and in
PowerShell 7 (Newtonsoft), Export-Clixml (``PSSerializer``), Export-Csv. Each docstring names the
rule it implements. Text has ``\\n`` line ends; :func:`support.synth.encode` makes the bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from support.synth import dotnet_name, format_datetime, thumbprint, x509_text

__all__ = [
    "MIN_VALUE",
    "PSCert",
    "PSEnum",
    "PSObj",
    "PSUri",
    "format_list",
    "format_table",
    "json51_text",
    "to_clixml",
    "to_csv",
    "to_json51",
    "to_json7",
]

UTC = dt.timezone.utc
_ZERO = dt.timedelta(0)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
#: DateTime.MinValue as AD FS prints PersistentSsoCutoffTime when unset (naive: no zone).
MIN_VALUE = dt.datetime(1, 1, 1)

# ---------------------------------------------------------------------------------------------
# Value model
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PSEnum:
    """A .NET enum value: printed by name, serialised by number (5.1 JSON, CLIXML ``<I32>``)."""

    type_name: str
    name: str
    value: int


@dataclass(frozen=True)
class PSUri:
    """A ``System.Uri``: a string everywhere except CLIXML (``<URI>``)."""

    value: str


@dataclass(frozen=True)
class PSCert:
    """An ``X509Certificate2``. Console and CSV print its ``ToString(true)`` block, CLIXML keeps
    ``RawData`` only, ConvertTo-Json expands its public properties (RawData as integers)."""

    der: bytes


@dataclass(frozen=True)
class PSObj:
    """A PowerShell object: type names (most derived first), ordered properties, ``ToString()``.

    ``to_string`` defaults to the first type name, which is what PowerShell prints for objects
    without a useful ``ToString`` (``Microsoft.IdentityServer.Management.Resources.ContactPerson``).
    """

    type_names: tuple[str, ...]
    props: tuple[tuple[str, Any], ...]
    to_string: str | None = None

    @property
    def text(self) -> str:
        return self.to_string if self.to_string is not None else self.type_names[0]

    def get(self, name: str) -> Any:
        for key, value in self.props:
            if key == name:
                return value
        raise KeyError(name)

    def select(self, names: Sequence[str]) -> "PSObj":
        """``Select-Object`` / ``Format-List a, b``: the named properties in the given order."""
        have = dict(self.props)
        return PSObj(self.type_names, tuple((n, have[n]) for n in names if n in have), self.to_string)


@dataclass(frozen=True)
class _Ctx:
    """Rendering context: how dates print on the exporting machine."""

    culture: str = "en-US"
    utc_offset: dt.timedelta = _ZERO
    ellipsis: str = "..."  # Windows PowerShell 5.1; PowerShell >= 6.2 prints U+2026


def _dt_text(value: dt.datetime, ctx: _Ctx) -> str:
    return format_datetime(value, ctx.culture, utc_offset=ctx.utc_offset)


def _text(value: Any, ctx: _Ctx, *, enumeration_limit: int | None = 4) -> str:
    """A value as Format-List / Format-Table / Export-Csv print it (``ToString`` in the culture).

    Collections: ``{a, b, c, d...}`` with ``$FormatEnumerationLimit`` (4) items in list and
    table views (``enumeration_limit=None``: Export-Csv prints the collection's type name).
    Dictionaries: ``{[key, value]}``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, PSEnum):
        return value.name
    if isinstance(value, PSUri):
        return value.value
    if isinstance(value, PSCert):
        return x509_text(value.der, ctx.culture, utc_offset=ctx.utc_offset)
    if isinstance(value, PSObj):
        return value.text
    if isinstance(value, dt.datetime):
        return _dt_text(value, ctx)
    if isinstance(value, dt.timedelta):
        return _timespan_text(value)
    if isinstance(value, dict):
        if enumeration_limit is None:
            return "System.Collections.Generic.Dictionary`2[System.String,System.Object]"
        items = [f"[{k}, {_text(v, ctx)}]" for k, v in value.items()]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, (list, tuple)):
        if enumeration_limit is None:
            return "System.Object[]"
        shown = [_text(v, ctx) for v in value[:enumeration_limit]]
        more = ctx.ellipsis if len(value) > enumeration_limit else ""
        return "{" + ", ".join(shown) + more + "}"
    raise TypeError(f"cannot print {type(value).__name__}")


def _timespan_text(value: dt.timedelta) -> str:
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    return (f"{days}." if days else "") + f"{h:02d}:{m:02d}:{s:02d}"


# ---------------------------------------------------------------------------------------------
# Format-List
# ---------------------------------------------------------------------------------------------


def _wrap(line: str, cells: int | None) -> list[str]:
    if cells is None or cells <= 0 or len(line) <= cells:
        return [line]
    return [line[i : i + cells] for i in range(0, len(line), cells)]


def format_list(
    objects: Iterable[PSObj],
    *,
    culture: str = "en-US",
    utc_offset: dt.timedelta = _ZERO,
    width: int | None = 120,
    ps7: bool = False,
    trailing_space: bool = True,
    indent_continuations: bool = True,
) -> str:
    """Format-List text as ``ListWriter`` prints it (PowerShell ``FormatAndOutput/common/ListWriter.cs``).

    Labels are padded to the longest label of each object, then ``" : "``. A value's embedded
    newlines and its console wrapping (at ``width`` minus the label column; ``None``: no
    wrapping) continue on lines padded to the value column, which is why an X509 block ends with
    one padded blank-looking line. Output starts with two empty lines, records are separated by
    one, and it ends with two. ``trailing_space=False`` strips line ends as a copy from the
    console window does; ``indent_continuations=False`` starts continuation lines at column 0,
    as text copied from a console whose buffer is wider than its window (and the MS docs'
    Get-AdfsProperties sample) shows them.
    """
    ctx = _Ctx(culture, utc_offset, "\u2026" if ps7 else "...")
    out: list[str] = ["", ""]
    first = True
    for obj in objects:
        if not first:
            out.append("")
        first = False
        if not obj.props:
            continue
        label_width = max(len(k) for k, _ in obj.props)
        pad = " " * (label_width + 3) if indent_continuations else ""
        cells = None if width is None else width - label_width - 3
        for key, value in obj.props:
            text = _text(value, ctx)
            lines = text.split("\n")
            first_line = True
            for raw in lines:
                for chunk in _wrap(raw, cells):
                    if first_line:
                        out.append(f"{key.ljust(label_width)} : {chunk}")
                        first_line = False
                    else:
                        out.append(pad + chunk)
    out.extend(["", ""])
    if not trailing_space:
        out = [line.rstrip() for line in out]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------
# Format-Table
# ---------------------------------------------------------------------------------------------


def format_table(
    objects: Sequence[PSObj],
    columns: Sequence[str] | None = None,
    *,
    culture: str = "en-US",
    utc_offset: dt.timedelta = _ZERO,
    widths: dict[str, int] | None = None,
    ps7: bool = False,
    right_align: Sequence[str] = (),
) -> str:
    """Format-Table text as ``TableWriter`` prints it.

    The underline row has as many dashes as each header's text (not the column width): parsers
    take column starts from it. Columns are one space apart; a column is as wide as its widest
    cell unless ``widths`` says otherwise, and a longer cell is cut with ``...`` (5.1) or ``…``
    (7). Output starts with one empty line and ends with two.
    """
    ctx = _Ctx(culture, utc_offset, "\u2026" if ps7 else "...")
    if columns is None:
        columns = [k for k, _ in objects[0].props] if objects else []
    cells = [[_text(dict(o.props).get(c), ctx) for c in columns] for o in objects]
    sizes = []
    for i, c in enumerate(columns):
        natural = max([len(c)] + [len(row[i]) for row in cells])
        sizes.append((widths or {}).get(c, natural))

    def fit(text: str, size: int, right: bool) -> str:
        if len(text) > size:
            text = text[: max(size - len(ctx.ellipsis), 0)] + ctx.ellipsis
        return text.rjust(size) if right else text.ljust(size)

    def row(values: Sequence[str]) -> str:
        parts = [fit(v, s, c in right_align) for v, s, c in zip(values, sizes, columns)]
        return " ".join(parts).rstrip()

    lines = ["", row(columns), row(["-" * len(c) for c in columns])]
    lines += [row(r) for r in cells]
    lines += ["", ""]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# ConvertTo-Json
# ---------------------------------------------------------------------------------------------

_X509_TYPES = (
    "System.Security.Cryptography.X509Certificates.X509Certificate2",
    "System.Security.Cryptography.X509Certificates.X509Certificate",
    "System.Object",
)


def _cert_object(der: bytes, ctx: _Ctx, *, ps7: bool) -> PSObj:
    """The public properties of ``X509Certificate2`` in reflection order (.NET Framework 4.x for
    Windows PowerShell 5.1; .NET 8 adds ``SerialNumberBytes`` and the PKI module's ETS properties
    for PowerShell 7). Nested objects are :class:`PSObj` so depth limits apply to them."""
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    sig_oid = cert.signature_algorithm_oid.dotted_string
    sig_name = {"1.2.840.113549.1.1.11": "sha256RSA", "1.2.840.113549.1.1.5": "sha1RSA", "1.2.840.113549.1.1.12": "sha384RSA"}.get(sig_oid, sig_oid)

    def oid(value: str, name: str) -> PSObj:
        return PSObj(("System.Security.Cryptography.Oid", "System.Object"), (("Value", value), ("FriendlyName", name)))

    def dn(name: x509.Name) -> PSObj:
        return PSObj(
            ("System.Security.Cryptography.X509Certificates.X500DistinguishedName", "System.Security.Cryptography.AsnEncodedData", "System.Object"),
            (("Name", dotnet_name(name)), ("Oid", oid("", "")), ("RawData", name.public_bytes())),
        )

    ext_types = {
        "2.5.29.15": "System.Security.Cryptography.X509Certificates.X509KeyUsageExtension",
        "2.5.29.19": "System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension",
        "2.5.29.37": "System.Security.Cryptography.X509Certificates.X509EnhancedKeyUsageExtension",
        "2.5.29.14": "System.Security.Cryptography.X509Certificates.X509SubjectKeyIdentifierExtension",
    }
    extensions = [
        PSObj((ext_types.get(e.oid.dotted_string, "System.Security.Cryptography.X509Certificates.X509Extension"), "System.Object"),
              (("Critical", e.critical), ("Oid", oid(e.oid.dotted_string, "")), ("RawData", e.value.public_bytes())))
        for e in cert.extensions
    ]
    public_key = PSObj(
        ("System.Security.Cryptography.X509Certificates.PublicKey", "System.Object"),
        (
            ("EncodedKeyValue", PSObj(("System.Security.Cryptography.AsnEncodedData", "System.Object"), ())),
            ("EncodedParameters", PSObj(("System.Security.Cryptography.AsnEncodedData", "System.Object"), ())),
            ("Key", PSObj(("System.Security.Cryptography.RSACryptoServiceProvider" if not ps7 else "System.Security.Cryptography.RSAImplementation+RSACng", "System.Object"), ())),
            ("Oid", oid("1.2.840.113549.1.1.1", "RSA")),
        ),
    )
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big").hex().upper()
    handle = 2_000_000_000_000 + int.from_bytes(hashlib.sha1(der).digest()[:3], "big")
    props: list[tuple[str, Any]] = [
        ("Archived", False),
        ("Extensions", extensions),
        ("FriendlyName", ""),
        ("IssuerName", dn(cert.issuer)),
        ("NotAfter", cert.not_valid_after_utc),
        ("NotBefore", cert.not_valid_before_utc),
        ("HasPrivateKey", False),
        ("PrivateKey", None),
        ("PublicKey", public_key),
        ("RawData", der),
    ]
    if ps7:
        props.append(("SerialNumberBytes", PSObj(("System.ReadOnlyMemory`1[System.Byte]", "System.ValueType", "System.Object"), (("Length", len(serial) // 2), ("IsEmpty", False)))))
    props += [
        ("SerialNumber", serial),
        ("SubjectName", dn(cert.subject)),
        ("SignatureAlgorithm", oid(sig_oid, sig_name)),
        ("Thumbprint", thumbprint(der)),
        ("Version", 3),
        ("Handle", handle),
        ("Issuer", dotnet_name(cert.issuer)),
        ("Subject", dotnet_name(cert.subject)),
    ]
    if ps7:
        props += [
            ("EnhancedKeyUsageList", []),
            ("DnsNameList", [dotnet_name(cert.subject).split(",")[0].removeprefix("CN=").strip()]),
            ("SendAsTrustedIssuer", False),
            ("EnrollmentPolicyEndPoint", PSObj(("Microsoft.CertificateServices.Commands.EnrollmentEndPointProperty", "System.Object"), (("Url", None), ("Id", None)))),
            ("EnrollmentServerEndPoint", PSObj(("Microsoft.CertificateServices.Commands.EnrollmentEndPointProperty", "System.Object"), (("Url", None), ("Id", None)))),
            ("PolicyId", None),
        ]
    # ToString() of the certificate (what it becomes past -Depth) uses the current culture.
    return PSObj(_X509_TYPES, tuple(props), x509_text(der, ctx.culture, utc_offset=ctx.utc_offset).replace("\n", "\r\n"))


def _string_beyond_depth(value: Any, ctx: _Ctx) -> str:
    """``LanguagePrimitives.ConvertTo(obj, string, InvariantCulture)`` for values past ``-Depth``:
    an array joins its elements with spaces, an X509 certificate gives its verbose block."""
    if isinstance(value, (bytes, bytearray)):
        return " ".join(str(b) for b in value)
    if isinstance(value, (list, tuple)):
        return " ".join(_string_beyond_depth(v, ctx) for v in value)
    if isinstance(value, PSCert):
        return x509_text(value.der, ctx.culture, utc_offset=ctx.utc_offset).replace("\n", "\r\n")
    if isinstance(value, PSObj):
        return value.text
    if isinstance(value, dict):
        return "System.Collections.Hashtable"
    if isinstance(value, dt.timedelta):
        return _timespan_text(value)
    return _text(value, ctx)


def _timespan_props(value: dt.timedelta) -> dict[str, Any]:
    ticks = int(value.total_seconds() * 10_000_000)
    total = value.total_seconds()
    days, rest = divmod(int(total), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)

    def num(x: float) -> int | float:
        return int(x) if float(x).is_integer() else x

    return {
        "Ticks": ticks,
        "Days": days,
        "Hours": hours,
        "Milliseconds": 0,
        "Minutes": minutes,
        "Seconds": seconds,
        "TotalDays": num(total / 86400),
        "TotalHours": num(total / 3600),
        "TotalMilliseconds": num(total * 1000),
        "TotalMinutes": num(total / 60),
        "TotalSeconds": num(total),
    }


class _Date51:
    """Marker for a 5.1 ``\\/Date(ms)\\/`` string (its backslashes must survive escaping)."""

    def __init__(self, ms: int) -> None:
        self.ms = ms


def _process(value: Any, depth: int, max_depth: int, ctx: _Ctx, *, ps7: bool) -> Any:
    """ConvertTo-Json's ``ProcessValue``: primitives pass through; dictionaries, collections and
    objects are expanded while ``depth <= max_depth``, then become strings."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dt.datetime):
        if ps7:
            if value.tzinfo is None:
                return value.isoformat()
            local = value.astimezone(dt.timezone(ctx.utc_offset))
            return local.isoformat()
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)  # DateTime.MinValue and friends
        return _Date51((aware - _EPOCH) // dt.timedelta(milliseconds=1))
    if isinstance(value, PSEnum):
        return value.value  # enums as numbers (no -EnumsAsStrings)
    if isinstance(value, PSUri):
        return value.value
    if depth > max_depth:
        return _string_beyond_depth(value, ctx)
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    if isinstance(value, dt.timedelta):
        return {k: v for k, v in _timespan_props(value).items()}
    if isinstance(value, PSCert):
        value = _cert_object(value.der, ctx, ps7=ps7)
    if isinstance(value, dict):
        return {k: _process(v, depth + 1, max_depth, ctx, ps7=ps7) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_process(v, depth + 1, max_depth, ctx, ps7=ps7) for v in value]
    if isinstance(value, PSObj):
        return {k: _process(v, depth + 1, max_depth, ctx, ps7=ps7) for k, v in value.props}
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _json51_string(s: str) -> str:
    # JavaScriptSerializer escapes ', <, >, & as \u0027 \u003c \u003e \u0026 (HTML-safe output)
    out = json.dumps(s, ensure_ascii=False)
    return out.replace("'", "\\u0027").replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _json51(value: Any, col: int) -> str:
    """Windows PowerShell 5.1's pretty-printer: four-space indents, ``"key":  value`` with two
    spaces, and nested brackets aligned under the column where they open (the ragged layout
    ``"Eras":  [`` / 17 spaces / ``1``). Empty collections print an empty line inside."""
    if isinstance(value, _Date51):
        return '"\\/Date(' + str(value.ms) + ')\\/"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, str):
        return _json51_string(value)
    pad = " " * col
    inner = " " * (col + 4)
    if isinstance(value, dict):
        if not value:
            return "{\n\n" + pad + "}"
        items = []
        for k, v in value.items():
            head = f"{inner}{_json51_string(k)}:  "
            items.append(head + _json51(v, len(head)))
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[\n\n" + pad + "]"
        items = [inner + _json51(v, col + 4) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    raise TypeError(type(value).__name__)


def json51_text(value: Any) -> str:
    """Plain values (dicts, lists, str, int, bool, None, tz-aware datetimes as ``\\/Date(ms)\\/``)
    in Windows PowerShell 5.1's ConvertTo-Json layout, LF line ends, no trailing newline."""

    def dates(v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return _Date51((v - _EPOCH) // dt.timedelta(milliseconds=1))
        if isinstance(v, dict):
            return {k: dates(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [dates(x) for x in v]
        return v

    return _json51(dates(value), 0)


def to_json51(objects: Sequence[PSObj], *, depth: int = 2, culture: str = "en-US", utc_offset: dt.timedelta = _ZERO) -> str:
    """``... | ConvertTo-Json [-Depth n]`` in Windows PowerShell 5.1.

    Several pipeline objects become one array, which puts every object one level deeper: with
    the default ``-Depth 2`` a certificate's ``RawData`` is then stringified (``"48 130 ..."``),
    with ``-Depth 3`` it is an integer array. DateTimes are ``\\/Date(ms since epoch, UTC)\\/``,
    enums numbers.
    """
    ctx = _Ctx(culture, utc_offset)
    top: Any = list(objects) if len(objects) != 1 else objects[0]
    return _json51(_process(top, 0, depth, ctx, ps7=False), 0) + "\n"


def to_json7(objects: Sequence[PSObj], *, depth: int = 2, culture: str = "en-US", utc_offset: dt.timedelta = _ZERO) -> str:
    """``... | ConvertTo-Json [-Depth n]`` in PowerShell 7 (Newtonsoft ``Formatting.Indented``:
    two-space indents, ``"key": value``; DateTimes ISO 8601 with the machine's offset)."""
    ctx = _Ctx(culture, utc_offset)
    top: Any = list(objects) if len(objects) != 1 else objects[0]
    processed = _process(top, 0, depth, ctx, ps7=True)
    return json.dumps(processed, indent=2, ensure_ascii=False, default=_no_default) + "\n"


def _no_default(value: Any) -> Any:
    raise TypeError(type(value).__name__)


# ---------------------------------------------------------------------------------------------
# Export-Clixml
# ---------------------------------------------------------------------------------------------


def _clixml_escape(s: str) -> str:
    """PSSerializer string encoding: control characters as ``_xHHHH_`` (CR LF becomes
    ``_x000D__x000A_``), a literal ``_x`` protected as ``_x005F_x``, then XML escaping."""
    out = []
    for i, ch in enumerate(s):
        code = ord(ch)
        if code < 0x20 or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append(f"_x{code:04X}_")
        elif ch == "_" and s[i + 1 : i + 2] in ("x", "X"):
            out.append("_x005F_")
        else:
            out.append(ch)
    return "".join(out).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _xml_duration(value: dt.timedelta) -> str:
    total = int(value.total_seconds())
    days, rest = divmod(total, 86400)
    h, rest = divmod(rest, 3600)
    m, s = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    time = (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s else "")
    return out + ("T" + time if time else ("T0S" if not days else ""))


class _Clixml:
    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx
        self.lines: list[str] = []
        self.ref = 0
        self.types: dict[tuple[str, ...], int] = {}
        self.type_ref = 0

    def _tn(self, names: tuple[str, ...], indent: str) -> None:
        if names in self.types:
            self.lines.append(f'{indent}<TNRef RefId="{self.types[names]}" />')
            return
        self.types[names] = self.type_ref
        self.lines.append(f'{indent}<TN RefId="{self.type_ref}">')
        self.type_ref += 1
        for t in names:
            self.lines.append(f"{indent}  <T>{_clixml_escape(t)}</T>")
        self.lines.append(f"{indent}</TN>")

    def value(self, name: str | None, value: Any, indent: str, depth: int) -> None:
        n = f' N="{_clixml_escape(name)}"' if name is not None else ""
        if value is None:
            self.lines.append(f"{indent}<Nil{n} />")
        elif isinstance(value, bool):
            self.lines.append(f"{indent}<B{n}>{'true' if value else 'false'}</B>")
        elif isinstance(value, int):
            self.lines.append(f"{indent}<I32{n}>{value}</I32>")
        elif isinstance(value, float):
            self.lines.append(f"{indent}<Db{n}>{value!r}</Db>")
        elif isinstance(value, str):
            self.lines.append(f"{indent}<S{n}>{_clixml_escape(value)}</S>")
        elif isinstance(value, PSUri):
            self.lines.append(f"{indent}<URI{n}>{_clixml_escape(value.value)}</URI>")
        elif isinstance(value, dt.datetime):
            if value.tzinfo is None:
                text = value.strftime("%Y-%m-%dT%H:%M:%S")
            else:
                local = value.astimezone(dt.timezone(self.ctx.utc_offset))
                text = local.strftime("%Y-%m-%dT%H:%M:%S") + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
            self.lines.append(f"{indent}<DT{n}>{text}</DT>")
        elif isinstance(value, dt.timedelta):
            self.lines.append(f"{indent}<TS{n}>{_xml_duration(value)}</TS>")
        elif isinstance(value, (bytes, bytearray)):
            self.lines.append(f"{indent}<BA{n}>{base64.b64encode(bytes(value)).decode()}</BA>")
        elif isinstance(value, PSEnum):
            self._obj_open(n, indent, (value.type_name, "System.Enum", "System.ValueType", "System.Object"), value.name)
            self.lines.append(f"{indent}  <I32>{value.value}</I32>")
            self.lines.append(f"{indent}</Obj>")
        elif isinstance(value, PSCert):
            # X509Certificate2 type data: SerializationMethod SpecificProperties, RawData only.
            self._obj_open(n, indent, _X509_TYPES, x509_text(value.der, self.ctx.culture, utc_offset=self.ctx.utc_offset).replace("\n", "\r\n"))
            self.lines.append(f"{indent}  <Props>")
            self.value("RawData", value.der, indent + "    ", depth + 1)
            self.lines.append(f"{indent}  </Props>")
            self.lines.append(f"{indent}</Obj>")
        elif isinstance(value, (list, tuple)):
            self._obj_open(n, indent, ("System.Object[]", "System.Array", "System.Object"), None)
            self.lines.append(f"{indent}  <LST>")
            for item in value:
                self.value(None, item, indent + "    ", depth + 1)
            self.lines.append(f"{indent}  </LST>")
            self.lines.append(f"{indent}</Obj>")
        elif isinstance(value, dict):
            self._obj_open(n, indent, ("System.Collections.Generic.Dictionary`2[[System.String, mscorlib],[System.Object, mscorlib]]", "System.Object"), None)
            self.lines.append(f"{indent}  <DCT>")
            for k, v in value.items():
                self.lines.append(f"{indent}    <En>")
                self.value("Key", k, indent + "      ", depth + 1)
                self.value("Value", v, indent + "      ", depth + 1)
                self.lines.append(f"{indent}    </En>")
            self.lines.append(f"{indent}  </DCT>")
            self.lines.append(f"{indent}</Obj>")
        elif isinstance(value, PSObj):
            self._obj_open(n, indent, value.type_names, value.text)
            if value.props and depth < 2:  # Export-Clixml -Depth default 2
                self.lines.append(f"{indent}  <Props>")
                for k, v in value.props:
                    self.value(k, v, indent + "    ", depth + 1)
                self.lines.append(f"{indent}  </Props>")
            self.lines.append(f"{indent}</Obj>")
        else:
            raise TypeError(type(value).__name__)

    def _obj_open(self, n: str, indent: str, names: tuple[str, ...], to_string: str | None) -> None:
        self.lines.append(f'{indent}<Obj{n} RefId="{self.ref}">')
        self.ref += 1
        self._tn(names, indent + "  ")
        if to_string is not None:
            self.lines.append(f"{indent}  <ToString>{_clixml_escape(to_string)}</ToString>")


def to_clixml(objects: Sequence[PSObj], *, culture: str = "en-US", utc_offset: dt.timedelta = _ZERO) -> str:
    """``... | Export-Clixml`` (``<Objs Version="1.1.0.1">``, two-space indents, ``TNRef`` for
    repeated type names, certificates as ``<BA N="RawData">`` plus their culture-formatted
    ``<ToString>``, enums as ``<Obj>`` with ``<I32>``). Windows PowerShell 5.1 saves it UTF-16LE."""
    w = _Clixml(_Ctx(culture, utc_offset))
    w.lines.append('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">')
    for obj in objects:
        w.value(None, obj, "  ", 0)
    w.lines.append("</Objs>")
    return "\n".join(w.lines)


# ---------------------------------------------------------------------------------------------
# Export-Csv
# ---------------------------------------------------------------------------------------------


def to_csv(
    objects: Sequence[PSObj],
    *,
    culture: str = "en-US",
    utc_offset: dt.timedelta = _ZERO,
    type_information: bool = True,
    delimiter: str = ",",
) -> str:
    """``... | Export-Csv`` (Windows PowerShell 5.1: ``#TYPE <type>`` first unless
    ``-NoTypeInformation``; every field double-quoted; values are ``ToString()`` in the current
    culture, so a certificate is its multi-line ``[Subject]...`` block with CRLF inside the
    quotes; ``-UseCulture`` gives the culture's list separator, ``;`` for de-DE)."""
    ctx = _Ctx(culture, utc_offset)
    lines = []
    if type_information and objects:
        lines.append(f"#TYPE {objects[0].type_names[0]}")
    header = [k for k, _ in objects[0].props] if objects else []
    lines.append(delimiter.join(f'"{h}"' for h in header))

    def field(value: Any) -> str:
        text = _text(value, ctx, enumeration_limit=None)
        text = text.replace("\n", "\r\n") if isinstance(value, PSCert) else text
        return '"' + text.replace('"', '""') + '"'

    for obj in objects:
        have = dict(obj.props)
        lines.append(delimiter.join(field(have.get(h)) for h in header))
    return "\n".join(lines) + "\n"
