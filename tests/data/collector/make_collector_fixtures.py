"""Write the collector fixtures: what collect/Collect-FedauditEvidence.ps1 writes, byte for byte.

Run from the repository root: ``.venv/bin/python tests/data/collector/make_collector_fixtures.py``.
The output is committed; certificates are minted afresh on every run (support.synth), so
re-running changes the files and the expected values in tests/test_collector_output.py are read
from this module's ESTATE, not from the bytes.

Formats reproduced (see SOURCES.md):
* AD FS and MSOnline files: Windows PowerShell 5.1 ``ConvertTo-Json`` (JavaScriptSerializer
  pretty printer: four-space indent, ``"key":  value``, nested brackets aligned under where they
  open, ``\\/Date(ms)\\/`` dates, ``\\u0027``-style escapes of ' < > &, CRLF line ends).
* Graph files: the response bodies of ``Invoke-MgGraphRequest -OutputType Json`` (compact JSON
  as Microsoft Graph sends it).
* manifest.json: ConvertTo-Json of the PowerShell edition that ran the script (5.1 on the AD FS
  server, PowerShell 7 Newtonsoft layout on the Graph workstation).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from cryptography import x509

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from support._psforms import json51_text  # noqa: E402  (ConvertTo-Json 5.1 layout, shared with synth)
from support.synth import mint_certificate  # noqa: E402

UTC = dt.timezone.utc

#: The estate the fixtures describe; tests read their expected values from here.
ESTATE: dict[str, Any] = {
    "farm": "fs.contoso.com",
    "identifier": "http://fs.contoso.com/adfs/services/trust",
    "certificates": {
        # name: (subject, issuer, not_before, not_after, type, is_primary, store)
        "ts_primary": ("CN=ADFS Signing - fs.contoso.com", None, dt.datetime(2025, 12, 1, 8, tzinfo=UTC), dt.datetime(2026, 12, 1, 8, tzinfo=UTC), "Token-Signing", True, "CurrentUser"),
        "ts_secondary": ("CN=ADFS Signing - fs.contoso.com", None, dt.datetime(2026, 11, 11, 8, tzinfo=UTC), dt.datetime(2027, 11, 11, 8, tzinfo=UTC), "Token-Signing", False, "CurrentUser"),
        "td_primary": ("CN=ADFS Encryption - fs.contoso.com", None, dt.datetime(2025, 12, 1, 8, tzinfo=UTC), dt.datetime(2026, 12, 1, 8, tzinfo=UTC), "Token-Decrypting", True, "CurrentUser"),
        "ssl": ("CN=fs.contoso.com,O=Contoso Ltd", "CN=Contoso Issuing CA 01,DC=contoso,DC=com", dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2027, 3, 1, tzinfo=UTC), "Service-Communications", True, "LocalMachine"),
        "ts_old": ("CN=ADFS Signing - fs.contoso.com", None, dt.datetime(2024, 12, 1, 8, tzinfo=UTC), dt.datetime(2025, 12, 1, 8, tzinfo=UTC), None, None, None),
    },
    # Graph: contoso.com carries the primary and the secondary; contoso.co.uk still the old one.
    "domains": [
        ("contoso.onmicrosoft.com", "Managed", True),
        ("contoso.com", "Federated", False),
        ("contoso.co.uk", "Federated", False),
        ("fabrikam.com", "Managed", False),
    ],
    "federation": {
        "contoso.com": ("ts_primary", "ts_secondary", "success", "2026-11-26T04:12:09.1234567Z", "6601d14b-d113-8f64-fda2-9b5ddda18ecc"),
        "contoso.co.uk": ("ts_old", None, "noNewCertificateFound", "2026-11-26T04:13:51.7654321Z", "0c0e5a1f-2b33-4d6a-9b7e-3c1f2a4d5e6f"),
    },
}


def minted() -> dict[str, bytes]:
    out = {}
    for slot, (name, (subject, issuer, nb, na, *_)) in enumerate(ESTATE["certificates"].items()):
        out[name] = mint_certificate(subject, nb, na, issuer=issuer, key_slot=10 + slot)
    return out


# -- Windows PowerShell 5.1 ConvertTo-Json -------------------------------------------------------


def ps51(value: Any) -> bytes:
    # [IO.File]::WriteAllText with UTF8Encoding($false): UTF-8, no BOM, no trailing newline.
    return json51_text(value).replace("\n", "\r\n").encode("utf-8")


def ps7(value: Any) -> bytes:
    # Newtonsoft Formatting.Indented: two spaces, "key": value; Environment.NewLine on Windows.
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\r\n").encode("utf-8")


# -- the files -----------------------------------------------------------------------------------


def cert_object(der: bytes) -> dict[str, Any]:
    c = x509.load_der_x509_certificate(der)
    return {
        "Subject": _dotnet_name(c.subject),
        "Issuer": _dotnet_name(c.issuer),
        "SerialNumber": format(c.serial_number, "X").rjust(2, "0"),
        "NotBefore": c.not_valid_before_utc,
        "NotAfter": c.not_valid_after_utc,
        "Thumbprint": hashlib.sha1(der).hexdigest().upper(),
        "RawData": base64.b64encode(der).decode("ascii"),
    }


def _dotnet_name(name: x509.Name) -> str:
    # X509Certificate2.Subject: the RDNs most specific first (the reverse of their DER order), ", "-joined.
    parts = []
    for rdn in reversed(list(name.rdns)):
        for attr in rdn:
            key = {"2.5.4.3": "CN", "2.5.4.10": "O", "0.9.2342.19200300.100.1.25": "DC"}.get(attr.oid.dotted_string, attr.oid.dotted_string)
            parts.append(f"{key}={attr.value}")
    return ", ".join(parts)


def adfs_files(certs: dict[str, bytes]) -> dict[str, bytes]:
    properties = {
        "HostName": ESTATE["farm"],
        "Identifier": ESTATE["identifier"],
        "DisplayName": "Contoso Corp.",
        "AutoCertificateRollover": True,
        "CertificateCriticalThreshold": 2,
        "CertificateDuration": 365,
        "CertificateGenerationThreshold": 20,
        "CertificatePromotionThreshold": 5,
        "CertificateRolloverInterval": 720,
        "CertificateThresholdMultiplier": 1440,
        "CertificateSharingContainer": "CN=e6ddcbbc-5dc9-4ef2-9354-5e9ba1cac82d,CN=ADFS,CN=Microsoft,CN=Program Data,DC=contoso,DC=com",
        "FederationPassiveAddress": "/adfs/ls/",
        "HttpsPort": 443,
        "CurrentFarmBehavior": 4,
    }
    objects = []
    for name in ("ts_primary", "ts_secondary", "td_primary", "ssl"):
        _, _, _, _, ctype, primary, store = ESTATE["certificates"][name]
        der = certs[name]
        objects.append(
            {
                "CertificateType": ctype,
                "IsPrimary": primary,
                "StoreLocation": store,
                "StoreName": "My",
                "Thumbprint": hashlib.sha1(der).hexdigest().upper(),
                "Certificate": cert_object(der),
            }
        )
    return {"Get-AdfsProperties.json": ps51(properties), "Get-AdfsCertificate.json": ps51(objects)}


def graph_files(certs: dict[str, bytes]) -> dict[str, bytes]:
    ctx = "https://graph.microsoft.com/v1.0/$metadata#domains"
    domains = [
        {
            "authenticationType": auth, "availabilityStatus": None, "id": name, "isAdminManaged": True,
            "isDefault": name == "contoso.com", "isInitial": initial, "isRoot": True, "isVerified": True,
            "manufacturer": None, "model": None, "passwordNotificationWindowInDays": None,
            "passwordValidityPeriodInDays": None,
            "supportedServices": ["Email", "OfficeCommunicationsOnline"], "state": None,
        }
        for name, auth, initial in ESTATE["domains"]
    ]
    files = {"Get-MgDomain.json": json.dumps({"@odata.context": ctx, "value": domains}, separators=(",", ":")).encode()}
    for domain, (current, nxt, result, last_run, fid) in ESTATE["federation"].items():
        body = {
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#domains('{domain}')/federationConfiguration",
            "value": [
                {
                    "@odata.type": "#microsoft.graph.internalDomainFederation",
                    "id": fid,
                    "displayName": "Contoso Corp.",
                    "issuerUri": ESTATE["identifier"] if domain == "contoso.com" else f"http://{domain}/adfs/services/trust/",
                    "metadataExchangeUri": "https://fs.contoso.com/adfs/services/trust/mex",
                    "signingCertificate": base64.b64encode(certs[current]).decode(),
                    "passiveSignInUri": "https://fs.contoso.com/adfs/ls/",
                    "preferredAuthenticationProtocol": "wsFed",
                    "activeSignInUri": "https://fs.contoso.com/adfs/services/trust/2005/usernamemixed",
                    "signOutUri": "https://fs.contoso.com/adfs/ls/",
                    "promptLoginBehavior": "nativeSupport",
                    "isSignedAuthenticationRequestRequired": None,
                    "nextSigningCertificate": base64.b64encode(certs[nxt]).decode() if nxt else None,
                    "federatedIdpMfaBehavior": "acceptIfMfaDoneByFederatedIdp",
                    "signingCertificateUpdateStatus": {"certificateUpdateResult": result, "lastRunDateTime": last_run},
                }
            ],
        }
        files[f"Get-MgDomainFederationConfiguration.{domain}.json"] = json.dumps(body, separators=(",", ":")).encode()
    return files


def msol_files(certs: dict[str, bytes]) -> dict[str, bytes]:
    domains = [
        {"Name": name, "Status": "Verified", "Authentication": auth, "IsDefault": name == "contoso.com", "IsInitial": initial, "RootDomain": ""}
        for name, auth, initial in ESTATE["domains"]
    ]
    settings, properties = [], []
    for domain, (current, nxt, _, _, _) in ESTATE["federation"].items():
        settings.append(
            {
                "DomainName": domain,
                "ActiveLogOnUri": "https://fs.contoso.com/adfs/services/trust/2005/usernamemixed",
                "FederationBrandName": "Contoso Corp.",
                "IssuerUri": ESTATE["identifier"] if domain == "contoso.com" else f"http://{domain}/adfs/services/trust/",
                "LogOffUri": "https://fs.contoso.com/adfs/ls/",
                "MetadataExchangeUri": "https://fs.contoso.com/adfs/services/trust/mex",
                "NextSigningCertificate": base64.b64encode(certs[nxt]).decode() if nxt else "",
                "PassiveLogOnUri": "https://fs.contoso.com/adfs/ls/",
                "PreferredAuthenticationProtocol": "WsFed",
                "PromptLoginBehavior": "TranslateToFreshPasswordAuth",
                "SigningCertificate": base64.b64encode(certs[current]).decode(),
                "SupportsMfa": None,
            }
        )
        for source, tsc, ntsc in (
            ("ADFS Server", "ts_primary", "ts_secondary"),
            ("Microsoft Office 365", current, nxt),
        ):
            properties.append(
                {
                    "DomainName": domain,
                    "Source": source,
                    "FederationServiceIdentifier": ESTATE["identifier"] if (source == "ADFS Server" or domain == "contoso.com") else f"http://{domain}/adfs/services/trust/",
                    "FederationMetadataUrl": "https://fs.contoso.com/adfs/services/trust/mex",
                    "PassiveClientSignInUrl": "https://fs.contoso.com/adfs/ls/",
                    "TokenSigningCertificate": cert_object(certs[tsc]),
                    "NextTokenSigningCertificate": cert_object(certs[ntsc]) if ntsc else None,
                }
            )
    return {
        "Get-MsolDomain.json": ps51(domains),
        "Get-MsolDomainFederationSettings.json": ps51(settings),
        "Get-MsolFederationProperty.json": ps51(properties),
    }


COMMANDS = {
    "Get-AdfsProperties.json": "Get-AdfsProperties",
    "Get-AdfsCertificate.json": "Get-AdfsCertificate",
    "Get-MgDomain.json": "GET v1.0/domains",
    "Get-MsolDomain.json": "Get-MsolDomain",
    "Get-MsolDomainFederationSettings.json": "Get-MsolDomainFederationSettings -DomainName <each federated domain>",
    "Get-MsolFederationProperty.json": "Get-MsolFederationProperty -DomainName <each federated domain>",
}


def manifest(files: dict[str, bytes], *, started: str, finished: str, computer: str, user: str, version: str, edition: str, collected: list[str]) -> dict[str, Any]:
    entries = []
    for name, data in files.items():
        command = COMMANDS.get(name)
        if command is None:  # Get-MgDomainFederationConfiguration.<domain>.json
            domain = name[len("Get-MgDomainFederationConfiguration.") : -len(".json")]
            command = f"GET v1.0/domains/{domain}/federationConfiguration"
        entries.append({"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "command": command})
    return {
        "fedaudit_collector": 1,
        "collector_version": "1",
        "started": started,
        "finished": finished,
        "computer": computer,
        "user": user,
        "powershell": version,
        "edition": edition,
        "collected": collected,
        "files": entries,
        "problems": [],
    }


def write(folder: Path, files: dict[str, bytes], man: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "manifest.json").write_bytes(man)


def main() -> None:
    certs = minted()
    adfs = adfs_files(certs)
    write(
        HERE / "fedaudit-evidence-20261127T061500Z-ADFS01",
        adfs,
        ps51(manifest(adfs, started="2026-11-27T06:15:00Z", finished="2026-11-27T06:15:04Z", computer="ADFS01",
                      user="CONTOSO\\adm-jdoe", version="5.1.17763.6189", edition="Desktop", collected=["adfs"])),
    )
    graph = graph_files(certs)
    write(
        HERE / "fedaudit-evidence-20261127T063000Z-ADMIN-WS",
        graph,
        ps7(manifest(graph, started="2026-11-27T06:30:00Z", finished="2026-11-27T06:30:07Z", computer="ADMIN-WS",
                     user="CONTOSO\\jdoe", version="7.4.6", edition="Core", collected=["graph"])),
    )
    msol = {**adfs, **msol_files(certs)}
    write(
        HERE / "msol" / "fedaudit-evidence-20261127T062000Z-ADFS01",
        msol,
        ps51(manifest(msol, started="2026-11-27T06:20:00Z", finished="2026-11-27T06:20:12Z", computer="ADFS01",
                      user="CONTOSO\\adm-jdoe", version="5.1.17763.6189", edition="Desktop", collected=["adfs", "msol"])),
    )
    thumbs = {name: hashlib.sha1(der).hexdigest().upper() for name, der in certs.items()}
    (HERE / "expected.json").write_text(json.dumps(thumbs, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
