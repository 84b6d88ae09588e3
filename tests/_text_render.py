"""Console text for tests, printed the way PowerShell prints it (independent of support.synth).

* :func:`g_pattern`: .NET ``DateTime.ToString(CurrentCulture)`` ("G" = short date + long time).
* :func:`x509_tostring`: ``X509Certificate.ToString(true)`` (dotnet/runtime X509Certificate.cs).
* :func:`format_list`: ListWriter: labels padded to the longest label, ``" : "``, extra value
  lines padded with label width + 3 spaces (a value ending in a newline leaves one padded,
  whitespace-only line), a blank line between objects, two blank lines before the first.
* :func:`format_table`: TableWriter: header, dash underline, left-aligned cells.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509


def g_pattern(value: dt.datetime, culture: str) -> str:
    if culture == "en-US":
        hour = value.hour % 12 or 12
        return f"{value.month}/{value.day}/{value.year:04d} {hour}:{value:%M:%S} {'AM' if value.hour < 12 else 'PM'}"
    if culture in ("en-GB", "fr-FR"):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d} {value:%H:%M:%S}"
    if culture == "de-DE":
        return f"{value.day:02d}.{value.month:02d}.{value.year:04d} {value:%H:%M:%S}"
    if culture == "ja-JP":
        return f"{value.year:04d}/{value.month:02d}/{value.day:02d} {value.hour}:{value:%M:%S}"
    if culture == "nl-NL":
        return f"{value.day}-{value.month}-{value.year:04d} {value:%H:%M:%S}"
    raise ValueError(culture)


def _dotnet_value(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ',+"\\<>;=') else value


def dotnet_name(name: x509.Name) -> str:
    """X500DistinguishedName.Name: most specific RDN first, ``", "`` between, quoted values."""
    short = {"countryName": "C", "commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
             "stateOrProvinceName": "S", "localityName": "L"}
    parts = []
    for rdn in reversed(list(name.rdns)):
        avas = [f"{short.get(a.oid._name, a.oid.dotted_string)}={_dotnet_value(str(a.value))}" for a in rdn]
        parts.append(" + ".join(avas))
    return ", ".join(parts)


def x509_tostring(der: bytes, culture: str, *, newline: str = "\n") -> str:
    cert = x509.load_der_x509_certificate(der)
    serial = cert.serial_number.to_bytes((cert.serial_number.bit_length() + 8) // 8, "big").hex().upper()
    lines = [
        "[Subject]", "  " + dotnet_name(cert.subject), "",
        "[Issuer]", "  " + dotnet_name(cert.issuer), "",
        "[Serial Number]", "  " + serial, "",
        "[Not Before]", "  " + g_pattern(cert.not_valid_before_utc.replace(tzinfo=None), culture), "",
        "[Not After]", "  " + g_pattern(cert.not_valid_after_utc.replace(tzinfo=None), culture), "",
        "[Thumbprint]", "  " + hashlib.sha1(der).hexdigest().upper(), "",
    ]
    return newline.join(lines)


def format_list(objects: list[list[tuple[str, str]]], *, label=lambda s: s) -> str:
    out = ["", ""]
    for props in objects:
        width = max(len(k) for k, _ in props)
        for key, value in props:
            pieces = value.split("\n")
            out.append(f"{label(key.ljust(width))} : {pieces[0]}")
            out.extend(" " * (width + 3) + piece for piece in pieces[1:])
        out.append("")
    out.append("")
    return "\n".join(out)


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    def line(cells: list[str]) -> str:
        return " ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    # TableWriter underlines each header with dashes of the header's own length.
    out = ["", line(header), line(["-" * len(h) for h in header])]
    out.extend(line(r) for r in rows)
    out.extend(["", ""])
    return "\n".join(out)
