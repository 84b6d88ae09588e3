"""Structured exports for tests, written the way PowerShell and Graph write them.

Independent of fedaudit: each writer follows the serialisation rules quoted in the format notes
(``serialization-json-clixml-csv.md``):

* Export-Clixml: ``<Objs Version="1.1.0.1" xmlns=".../2004/04">``, type names once in ``<TN
  RefId>`` and then ``<TNRef>``, an X509Certificate2 reduced to ``<BA N="RawData">`` plus its
  ``<ToString>`` (CR LF escaped as ``_x000D__x000A_``), enums as ``<Obj>`` with ``<ToString>`` and
  ``<I32>``; UTF-16LE with BOM as Windows PowerShell 5.1 writes it.
* ConvertTo-Json 5.1: ``"\\/Date(ms)\\/"``, enums as integers, RawData as an integer array, two
  spaces after the colon. ConvertTo-Json 7: ISO 8601 dates, two-space indentation.
* Export-Csv: ``#TYPE`` line (5.1), every field quoted, the certificate column its multi-line
  ToString, ``;`` with -UseCulture in de-DE.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from xml.sax.saxutils import escape

from cryptography import x509

UTC = dt.timezone.utc
NS = "http://schemas.microsoft.com/powershell/2004/04"
_STORE_LOCATION = {"CurrentUser": 1, "LocalMachine": 2}
_STORE_NAME = {"My": 5}


def g_pattern(value: dt.datetime, culture: str) -> str:
    """.NET ``DateTime.ToString(CurrentCulture)`` ("G") for the cultures the tests use."""
    if culture == "en-US":
        hour = value.hour % 12 or 12
        return f"{value.month}/{value.day}/{value.year:04d} {hour}:{value:%M:%S} {'AM' if value.hour < 12 else 'PM'}"
    if culture == "en-GB":
        return f"{value:%d/%m/%Y %H:%M:%S}"
    if culture == "de-DE":
        return f"{value:%d.%m.%Y %H:%M:%S}"
    if culture == "ja-JP":
        return f"{value.year:04d}/{value.month:02d}/{value.day:02d} {value.hour}:{value:%M:%S}"
    raise ValueError(culture)


def facts(der: bytes) -> dict:
    cert = x509.load_der_x509_certificate(der)
    return {
        "thumbprint": hashlib.sha1(der).hexdigest().upper(),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": format(cert.serial_number, "X"),
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
    }


def x509_tostring(der: bytes, culture: str = "en-US", newline: str = "\r\n") -> str:
    """``X509Certificate.ToString(true)`` (dotnet/runtime X509Certificate.cs)."""
    f = facts(der)
    parts = [
        ("Subject", f["subject"]),
        ("Issuer", f["issuer"]),
        ("Serial Number", f["serial"]),
        ("Not Before", g_pattern(f["not_before"], culture)),
        ("Not After", g_pattern(f["not_after"], culture)),
        ("Thumbprint", f["thumbprint"]),
    ]
    out = []
    for i, (name, value) in enumerate(parts):
        if i:
            out.append("")
        out.append(f"[{name}]")
        out.append(f"  {value}")
    return newline.join(out) + newline


def _ms(value: dt.datetime) -> int:
    return int((value - dt.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


def _clixml_escape(text: str) -> str:
    return escape(text).replace("\r", "_x000D_").replace("\n", "_x000A_")


# -- Export-Clixml -------------------------------------------------------------------------------


def clixml_adfs_certificates(items: list[tuple[bytes, str, bool]], culture: str = "en-GB") -> str:
    """``Get-AdfsCertificate | Export-Clixml``: items are (der, CertificateType, IsPrimary)."""
    out = [f'<Objs Version="1.1.0.1" xmlns="{NS}">']
    ref = 0
    for n, (der, ctype, primary) in enumerate(items):
        f = facts(der)
        if n == 0:
            tn = (
                '<TN RefId="0"><T>Microsoft.IdentityServer.Management.Resources.ServiceCertificate</T>'
                "<T>System.Object</T></TN>"
            )
            cert_tn = (
                '<TN RefId="1"><T>System.Security.Cryptography.X509Certificates.X509Certificate2</T>'
                "<T>System.Security.Cryptography.X509Certificates.X509Certificate</T><T>System.Object</T></TN>"
            )
            loc_tn = (
                '<TN RefId="2"><T>System.Security.Cryptography.X509Certificates.StoreLocation</T>'
                "<T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN>"
            )
            name_tn = (
                '<TN RefId="3"><T>System.Security.Cryptography.X509Certificates.StoreName</T>'
                "<T>System.Enum</T><T>System.ValueType</T><T>System.Object</T></TN>"
            )
        else:
            tn, cert_tn, loc_tn, name_tn = (f'<TNRef RefId="{i}" />' for i in range(4))
        out.append(f'  <Obj RefId="{ref}">')
        out.append(f"    {tn}")
        out.append("    <ToString>Microsoft.IdentityServer.Management.Resources.ServiceCertificate</ToString>")
        out.append("    <Props>")
        out.append(f'      <Obj N="Certificate" RefId="{ref + 1}">')
        out.append(f"        {cert_tn}")
        out.append(f"        <ToString>{_clixml_escape(x509_tostring(der, culture))}</ToString>")
        out.append(f'        <Props><BA N="RawData">{base64.b64encode(der).decode()}</BA></Props>')
        out.append("      </Obj>")
        out.append(f'      <S N="CertificateType">{ctype}</S>')
        out.append(f'      <B N="IsPrimary">{"true" if primary else "false"}</B>')
        out.append(f'      <Obj N="StoreLocation" RefId="{ref + 2}">{loc_tn}<ToString>CurrentUser</ToString><I32>1</I32></Obj>')
        out.append(f'      <Obj N="StoreName" RefId="{ref + 3}">{name_tn}<ToString>My</ToString><I32>5</I32></Obj>')
        out.append(f'      <S N="Thumbprint">{f["thumbprint"]}</S>')
        out.append("    </Props>")
        out.append("  </Obj>")
        ref += 4
    out.append("</Objs>")
    return "\r\n".join(out) + "\r\n"


def clixml_adfs_properties(host: str, identifier: str, rollover: bool, **thresholds: int) -> str:
    """``Get-AdfsProperties | Export-Clixml`` (the properties fedaudit reads, plus a few others)."""
    t = {"CertificateCriticalThreshold": 2, "CertificateDuration": 365, "CertificateGenerationThreshold": 20,
         "CertificatePromotionThreshold": 5, "CertificateRolloverInterval": 720, "CertificateThresholdMultiplier": 1440}
    t.update(thresholds)
    ints = "".join(f'<I32 N="{k}">{v}</I32>' for k, v in t.items())
    return (
        f'<Objs Version="1.1.0.1" xmlns="{NS}">\r\n'
        '  <Obj RefId="0">\r\n'
        '    <TN RefId="0"><T>Microsoft.IdentityServer.Management.Resources.ServiceProperties</T><T>System.Object</T></TN>\r\n'
        "    <ToString>Microsoft.IdentityServer.Management.Resources.ServiceProperties</ToString>\r\n"
        "    <Props>\r\n"
        '      <Obj N="AcceptableIdentifiers" RefId="1"><TN RefId="1"><T>System.Uri[]</T><T>System.Array</T><T>System.Object</T></TN><LST /></Obj>\r\n'
        f'      <B N="AutoCertificateRollover">{"true" if rollover else "false"}</B>\r\n'
        f"      {ints}\r\n"
        '      <S N="DisplayName">Contoso Corp.</S>\r\n'
        f'      <S N="HostName">{host}</S>\r\n'
        f'      <URI N="Identifier">{identifier}</URI>\r\n'
        '      <DT N="PersistentSsoCutoffTime">0001-01-01T00:00:00</DT>\r\n'
        '      <TS N="ExtranetObservationWindow">PT1H</TS>\r\n'
        "    </Props>\r\n"
        "  </Obj>\r\n"
        "</Objs>\r\n"
    )


# -- ConvertTo-Json ------------------------------------------------------------------------------


def _json51_dump(value: object, indent: int = 0) -> str:
    """JavaScriptSerializer output through Windows PowerShell 5.1's pretty-printer."""
    pad = " " * indent
    if isinstance(value, dict):
        inner = ",\n".join(f'{pad}    "{k}":  {_json51_dump(v, indent + 4).lstrip()}' for k, v in value.items())
        return "{\n" + inner + "\n" + pad + "}"
    if isinstance(value, list):
        inner = ",\n".join(f"{pad}    {_json51_dump(v, indent + 4).lstrip()}" for v in value)
        return "[\n" + inner + "\n" + pad + "]"
    if isinstance(value, dt.datetime):
        return f'"\\/Date({_ms(value)})\\/"'
    return json.dumps(value)


def _cert_object(der: bytes, *, date_style: str) -> dict:
    f = facts(der)

    def d(value: dt.datetime) -> object:
        return value if date_style == "5.1" else value.isoformat()

    return {
        "Archived": False,
        "FriendlyName": "",
        "NotAfter": d(f["not_after"]),
        "NotBefore": d(f["not_before"]),
        "HasPrivateKey": False,
        "RawData": list(der),
        "SerialNumber": f["serial"],
        "Thumbprint": f["thumbprint"],
        "Version": 3,
        "Issuer": f["issuer"],
        "Subject": f["subject"],
    }


def json_adfs_certificates(items: list[tuple[bytes, str, bool]], version: str = "5.1") -> str:
    """``Get-AdfsCertificate | ConvertTo-Json`` in Windows PowerShell 5.1 or PowerShell 7."""
    objs = [
        {
            "Certificate": _cert_object(der, date_style=version),
            "CertificateType": ctype,
            "IsPrimary": primary,
            "StoreLocation": 1,
            "StoreName": 5,
            "Thumbprint": facts(der)["thumbprint"],
        }
        for der, ctype, primary in items
    ]
    data: object = objs if len(objs) != 1 else objs[0]
    if version == "5.1":
        return _json51_dump(data) + "\n"
    return json.dumps(data, indent=2) + "\n"


def json51_adfs_properties(host: str, identifier: str, rollover: bool) -> str:
    """``Get-AdfsProperties | ConvertTo-Json`` (5.1): the [uri] Identifier expands to an object."""
    data = {
        "AutoCertificateRollover": rollover,
        "CertificateCriticalThreshold": 2,
        "CertificateDuration": 365,
        "CertificateGenerationThreshold": 20,
        "CertificatePromotionThreshold": 5,
        "CertificateRolloverInterval": 720,
        "CertificateThresholdMultiplier": 1440,
        "ClientCertRevocationCheck": 0,
        "HostName": host,
        "Identifier": {"AbsolutePath": "/adfs/services/trust", "AbsoluteUri": identifier, "OriginalString": identifier, "Host": host},
        "PersistentSsoCutoffTime": dt.datetime(1, 1, 1, tzinfo=UTC) + dt.timedelta(hours=8),
    }
    return _json51_dump(data) + "\n"


def graph_federation(
    signing: bytes | str | None,
    next_signing: bytes | str | None = None,
    *,
    issuer_uri: str = "http://sts.contoso.com/adfs/services/trust",
    fs_host: str = "sts.contoso.com",
    context_domain: str | None = None,
    result: str = "success",
    last_run: str = "2026-10-01T07:44:46.2616778Z",
    as_list: bool = False,
) -> str:
    """Graph REST ``internalDomainFederation`` (single GET, or the LIST ``value`` collection)."""

    def b64(v: bytes | str | None) -> str | None:
        if v is None or isinstance(v, str):
            return v
        return base64.b64encode(v).decode()

    entity = {
        "@odata.type": "#microsoft.graph.internalDomainFederation",
        "id": "6601d14b-d113-8f64-fda2-9b5ddda18ecc",
        "displayName": "Contoso",
        "issuerUri": issuer_uri,
        "metadataExchangeUri": f"https://{fs_host}/adfs/services/trust/mex",
        "signingCertificate": b64(signing),
        "passiveSignInUri": f"https://{fs_host}/adfs/ls/",
        "preferredAuthenticationProtocol": "wsFed",
        "activeSignInUri": f"https://{fs_host}/adfs/services/trust/2005/usernamemixed",
        "signOutUri": f"https://{fs_host}/adfs/ls/",
        "promptLoginBehavior": "nativeSupport",
        "isSignedAuthenticationRequestRequired": True,
        "nextSigningCertificate": b64(next_signing),
        "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp",
        "signingCertificateUpdateStatus": {"certificateUpdateResult": result, "lastRunDateTime": last_run},
    }
    context = "https://graph.microsoft.com/v1.0/$metadata#" + (
        f"domains('{context_domain}')/federationConfiguration" if context_domain else "domains/federationConfiguration"
    )
    if as_list:
        return json.dumps({"@odata.context": context, "value": [entity]}, indent=2) + "\n"
    return json.dumps({"@odata.context": context + "/$entity", **entity}, indent=2) + "\n"


# -- Export-Csv ----------------------------------------------------------------------------------


def csv_adfs_certificates(
    items: list[tuple[bytes, str, bool]], *, culture: str = "en-US", delimiter: str = ",", type_line: bool = True
) -> str:
    """``Get-AdfsCertificate | Export-Csv`` (5.1: ``#TYPE``, every field quoted)."""

    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"'

    lines = []
    if type_line:
        lines.append("#TYPE Microsoft.IdentityServer.Management.Resources.ServiceCertificate")
    lines.append(delimiter.join(q(h) for h in ("Certificate", "CertificateType", "IsPrimary", "StoreLocation", "StoreName", "Thumbprint")))
    for der, ctype, primary in items:
        row = [x509_tostring(der, culture), ctype, "True" if primary else "False", "CurrentUser", "My", facts(der)["thumbprint"]]
        lines.append(delimiter.join(q(v) for v in row))
    return "\r\n".join(lines) + "\r\n"


def utf16(text: str) -> bytes:
    """UTF-16LE with BOM, CRLF line ends: what ``>`` / Out-File / Export-Clixml write in 5.1."""
    return b"\xff\xfe" + text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-16-le")
