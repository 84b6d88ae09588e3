"""The Microsoft Entra PowerShell module's output (Get-EntraDomain, Get-EntraFederationProperty,
Get-EntraDomainFederationSettings) loads in console, JSON and CLIXML form, with its values.

Fixtures and their sources: tests/data/formats/entra/SOURCES.md.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from support.synth import mint_certificate

import fedaudit
from fedaudit.parse.dispatch import read_export

DATA = Path(__file__).parent.parent / "data" / "formats" / "entra"
UTC = dt.timezone.utc
DOC = (
    "contoso.com",
    "http://contoso.com/adfs/services/trust/",
    "https://sts.contoso.com/adfs/ls/",
    "https://sts.contoso.com/adfs/services/trust/mex",
    "wsFed",
)


def _read(name: str):
    return read_export((DATA / name).read_bytes(), name)


def _settings(r):
    return [
        (d.domain, d.issuer_uri, d.passive_sign_in_uri, d.metadata_exchange_uri, d.preferred_authentication_protocol)
        for d in r.domains
    ]


def _placeholder_issues(r):
    """The docs' truncated base64 certificates: one load issue each, never a certificate."""
    return sorted(i.field for i in r.issues if "not decodable" in i.message), r.observations


def test_get_entradomain_list_verbatim():
    r = _read("get-entradomain_msdocs_list.txt")
    assert [(d.domain, d.authentication, d.status) for d in r.domains] == [
        ("test22.com", "Managed", "Unverified"),
        ("test33.com", "Managed", "Unverified"),
        ("test44.com", "Managed", "Unverified"),
    ]
    assert r.issues == () and [d.line for d in r.domains] == [3, 4, 5]


def test_get_entradomain_by_name_verbatim():
    r = _read("get-entradomain_msdocs_byname.txt")
    assert [(d.domain, d.authentication, d.status) for d in r.domains] == [("test22.com", "Managed", "Unverified")]


@pytest.mark.parametrize(
    "name, kind, domains",
    [
        ("get-entradomain_json7_derived.json", "Get-MgDomain (ConvertTo-Json 7, UTF-8)", ["test22.com", "test33.com"]),
        ("get-entradomain_clixml_derived.xml", "Get-MgDomain (Export-Clixml, UTF-8)", ["test22.com"]),
    ],
)
def test_get_entradomain_json_and_clixml(name, kind, domains):
    r = _read(name)
    assert r.kind == kind and r.issues == ()
    assert [(d.domain, d.authentication, d.status) for d in r.domains] == [
        (n, "Managed", "Unverified") for n in domains
    ]


@pytest.mark.parametrize(
    "name, kind, result",
    [
        ("get-entrafederationproperty_fl_derived.txt", "Get-EntraFederationProperty (Format-List, UTF-8)", None),
        (
            "get-entrafederationproperty_json7_derived.json",
            "Get-MgDomainFederationConfiguration (Graph JSON, UTF-8)",
            "success",
        ),
        (
            "get-entrafederationproperty_clixml_derived.xml",
            "Get-MgDomainFederationConfiguration (Export-Clixml, UTF-8)",
            "success",
        ),
        (
            "get-entradomainfederationsettings_fl_derived.txt",
            "Get-EntraDomainFederationSettings (Format-List, UTF-8)",
            "success",
        ),
        (
            "get-entradomainfederationsettings_clixml_derived.xml",
            "Get-MsolDomainFederationSettings (Export-Clixml, UTF-8)",
            "success",
        ),
        (
            "get-entradomainfederationsettings_json7_derived.json",
            "Get-MsolDomainFederationSettings (ConvertTo-Json 7, UTF-8)",
            "success",
        ),
    ],
)
def test_federation_objects_load_with_their_values(name, kind, result):
    r = _read(name)
    assert r.kind == kind
    assert _settings(r) == [DOC]
    assert r.domains[0].update_result == result
    fields, observations = _placeholder_issues(r)
    assert [f.lower() for f in fields] == ["nextsigningcertificate", "signingcertificate"] and observations == ()


def test_runbook_idiom_fl_source_signingcertificate():
    """The 2024 runbook's `| FL Source, SigningCertificate`: no Source property exists, so only
    SigningCertificate prints; the domain comes from the captured command line."""
    r = _read("get-entrafederationproperty_runbook_fl_derived.txt")
    assert r.kind == "Get-EntraFederationProperty (Format-List, UTF-8)"
    assert [d.domain for d in r.domains] == ["contoso.com"]
    assert [i.field for i in r.issues] == ["SigningCertificate"]


def test_update_status_printed_as_a_pscustomobject():
    text = (
        "PS C:\\> Get-EntraDomainFederationSettings -DomainName fabrikam.com\n\n"
        "IssuerUri                      : http://fabrikam.com/adfs/services/trust/\n"
        "SigningCertificateUpdateStatus : @{CertificateUpdateResult=noNewCertificateFound; "
        "LastRunDateTime=2021-08-25T07:44:46.2616778Z}\n"
    )
    r = read_export(text.encode(), "settings.txt")
    (d,) = r.domains
    assert (d.domain, d.update_result) == ("fabrikam.com", "noNewCertificateFound")
    assert d.update_last_run == dt.datetime(2021, 8, 25, 7, 44, 46, 261677, tzinfo=UTC)


def _b64(subject: str, days: int) -> tuple[str, str]:
    now = dt.datetime(2026, 11, 27, tzinfo=UTC)
    der = mint_certificate(subject, now - dt.timedelta(days=300), now + dt.timedelta(days=days))
    return base64.b64encode(der).decode(), hashlib.sha1(der).hexdigest().upper()


def test_real_certificates_in_entra_json_are_observed(tmp_path):
    """Get-EntraFederationProperty | ConvertTo-Json with real certificates: both slots observed
    for the domain, and the audit compares them like any other Entra export."""
    cur, cur_tp = _b64("CN=ADFS Signing - fs.fabrikam.com", 60)
    nxt, nxt_tp = _b64("CN=ADFS Signing - fs.fabrikam.com (next)", 400)
    obj = json.loads((DATA / "get-entrafederationproperty_json7_derived.json").read_text())
    obj.update(
        SigningCertificate=cur,
        NextSigningCertificate=nxt,
        IssuerUri="http://fabrikam.com/adfs/services/trust/",
        FederationServiceIdentifier="http://fabrikam.com/adfs/services/trust/",
    )
    context = obj["AdditionalProperties"]["@odata.context"]
    obj["AdditionalProperties"]["@odata.context"] = context.replace("contoso", "fabrikam")
    r = read_export(json.dumps(obj, indent=2).encode(), "entra.json")
    assert [d.domain for d in r.domains] == ["fabrikam.com"] and r.issues == ()
    assert {(o.slot, o.certificate.thumbprint) for o in r.observations} == {("current", cur_tp), ("next", nxt_tp)}
    (tmp_path / "entra.json").write_text(json.dumps(obj), encoding="utf-8")
    ev = fedaudit.load(str(tmp_path))
    assert set(ev.certificates["thumbprint"]) == {cur_tp, nxt_tp}
