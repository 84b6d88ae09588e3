"""Every verbatim sample of the format notes loads with its expected values.

Console samples: tests/data/formats/text (see its SOURCES.md); JSON, CLIXML and Graph samples:
tests/data/formats/structured (SOURCES.md there). Expected values are those the notes state
(thumbprints, serials, printed dates, flags, domain names); printed dates are local wall-clock
time read as UTC, certificate bytes give the true instant.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import fedaudit
from fedaudit.parse import read_export
from fedaudit.parse.dispatch import UNRECOGNISED

DATA = Path(__file__).parent.parent / "data" / "formats"
TEXT = DATA / "text"
STRUCT = DATA / "structured"
UTC = dt.timezone.utc


def t(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def read(path: Path, **kw):
    return read_export(path.read_bytes(), str(path), **kw)


def messages(result) -> list[str]:
    return [i.message for i in result.issues]


def test_every_sample_file_is_covered():
    covered = {name for name, *_ in CERTIFICATE_SAMPLES} | set(OTHER_SAMPLES)
    on_disk = {p.name for p in (*TEXT.iterdir(), *STRUCT.iterdir()) if p.name != "SOURCES.md"}
    assert on_disk == covered


# name, kind, [(source, role, slot, domain, thumbprint, serial, not_before, not_after, subject)], issue count
ADFS_LAB = ("5A4AE6D2F2164DDCAB1C156828F2594845533213", "7B8A1B0D7FF00B8D44FDA36A3B4A4B6A", t(2024, 8, 1, 15, 57, 51), t(2025, 8, 1, 15, 57, 51), "CN=ADFS Signing - adfs.lab.com")
BLOG = ("B66B38DAA9D962965A349333F6872173998579DF", "5DB54681AC561D994765FA59C1552141", t(2017, 5, 5, 16, 1, 18), t(2018, 5, 5, 16, 1, 18), "CN=ADFS Signing - adfs.domain.tld")
CERTIFICATE_SAMPLES = [
    ("adfscertificate_qa2007742_backticks.txt", "Get-AdfsCertificate (Format-List, UTF-8)", [("adfs", "token-signing", "primary", None, *ADFS_LAB)], 0),
    ("adfscertificate_dede_reconstructed.txt", "Get-AdfsCertificate (Format-List, UTF-8)", [("adfs", "token-signing", "primary", None, *ADFS_LAB)], 0),
    (
        "adfscertificate_jajp_signing_collapsed.txt",
        "Get-AdfsCertificate (Format-List, UTF-8)",
        [("adfs", "token-signing", "secondary", None, "41D3FE9CB98FA89BE0899904B3B227DECB8A512A", "1E841605620028AC4FB542149E31A4A7", t(2017, 10, 11, 15, 9, 47), t(2057, 10, 1, 15, 9, 47), "CN=ADFS Signing - adfs.test.com")],
        0,
    ),
    (
        "adfscertificate_jajp_decrypting_collapsed.txt",
        "Get-AdfsCertificate (Format-List, UTF-8)",
        [("adfs", "token-decrypting", "secondary", None, "57CA6410E8C213DC14645AEBCCDEF0481FC8C641", "3E79CAA431F92DB6454084FEA1AE9995", t(2017, 10, 11, 15, 9, 47), t(2057, 10, 1, 15, 9, 47), "CN=ADFS Encryption - adfs.test.com")],
        0,
    ),
    (
        "msolfederationproperty_blog2018.txt",
        "Get-MsolFederationProperty (Format-List, UTF-8)",
        [("adfs", "token-signing", "primary", "domain.tld", *BLOG), ("entra", "token-signing", "current", "domain.tld", *BLOG)],
        0,
    ),
    ("x509block_enus_fragment.txt", "Get-MsolFederationProperty (Format-List, UTF-8)", [("file", "token-signing", None, None, *BLOG)], 1),
    (
        "clixml_tostring_azurevpn.txt",
        "X.509 certificate (printed text, UTF-8)",
        # en-GB style text of a UTC+2 machine: 04/04/2017 00:11:29 (day == month, unambiguous)
        [("file", None, None, None, "C8A900563F172F6BD10109D9AA8B12EE1037C2A4", "179D404CA0B6B0A345B6919DAE30A989", t(2017, 4, 4, 0, 11, 29), t(2018, 4, 4, 0, 31, 29), "CN=azureVPNRootCert")],
        0,
    ),
    (
        "clixml-x509certificate2-azurevpn.xml",
        "X509Certificate2 (Export-Clixml, UTF-8)",
        # RawData wins over the printed local time: the true instants are 2 hours earlier
        [("file", None, None, None, "C8A900563F172F6BD10109D9AA8B12EE1037C2A4", "179D404CA0B6B0A345B6919DAE30A989", t(2017, 4, 3, 22, 11, 29), t(2018, 4, 3, 22, 31, 29), "CN=azureVPNRootCert")],
        0,
    ),
    (
        "clixml-get-adfscertificate-derived.xml",
        "Get-AdfsCertificate (Export-Clixml, UTF-8)",
        [("adfs", "token-signing", "primary", None, "5A4AE6D2F2164DDCAB1C156828F2594845533213", None, None, None, None)],
        1,
    ),
]


@pytest.mark.parametrize("name,kind,expected,issues", CERTIFICATE_SAMPLES, ids=[c[0] for c in CERTIFICATE_SAMPLES])
def test_certificate_samples(name, kind, expected, issues):
    path = TEXT / name if (TEXT / name).exists() else STRUCT / name
    r = read(path)
    assert r.kind == kind
    got = [
        (o.source, o.role, o.slot, o.domain, o.certificate.thumbprint, o.certificate.serial, o.certificate.not_before, o.certificate.not_after, o.certificate.subject)
        for o in r.observations
    ]
    assert got == expected
    assert len(r.issues) == issues, messages(r)


def test_bytes_make_a_full_record():
    r = read(STRUCT / "clixml-x509certificate2-azurevpn.xml")
    c = r.observations[0].certificate
    assert (c.text_derived, c.key_type, c.key_size, c.signature_hash, c.self_signed) == (False, "RSA", 2048, "sha256", True)
    assert c.sha256 and len(c.sha256) == 64


def _farm(r):
    [f] = r.farms
    return (f.farm, f.identifier, f.auto_certificate_rollover, f.certificate_generation_threshold, f.certificate_promotion_threshold, f.certificate_critical_threshold, f.certificate_duration, f.certificate_rollover_interval)


def _domains(r):
    return [(d.domain, d.authentication, d.status) for d in r.domains]


def _settings(r):
    return [(d.domain, d.issuer_uri, d.passive_sign_in_uri, d.metadata_exchange_uri, d.preferred_authentication_protocol, d.update_result, d.update_last_run) for d in r.domains]


def _issues(r):
    return [(i.line, i.field, i.severity) for i in r.issues]


ACCOPS = ("accops.cloud", "urn:accops.cloud", "https://sso.accops.cloud/saml-sso/Office365", "https://login.microsoftonline.com/", "Samlp", None, None)
GRAPH_DOC = (None, "http://contoso.com/adfs/services/trust", "https://sts.contoso.com/adfs/ls", "https://sts.contoso.com/adfs/services/trust/mex", "wsFed")
OTHER_SAMPLES = {
    "adfsproperties_msdocs_full.txt": lambda r: (
        r.kind == "Get-AdfsProperties (Format-List, UTF-8)"
        and _farm(r) == ("sts.contoso.com", "https://sts.contoso.com/adfs/services/trust", False, 20, 5, 2, 365, 720)
        and r.issues == ()
    ),
    "adfsproperties_qa122472_doublespaced.txt": lambda r: _farm(r) == (None, None, None, 20, 5, 2, 1095, 720) and r.issues == (),
    "adfsproperties_certsubset_reconstructed.txt": lambda r: _farm(r) == (None, None, None, 20, 5, 2, 1095, 720) and r.issues == (),
    "msoldomain_accops_before.txt": lambda r: _domains(r)
    == [("accops.onmicrosoft.com", "Managed", "Verified"), ("accops.cloud", "Managed", "Verified"), ("accops.mail.onmicrosoft.com", "Managed", "Verified")],
    "msoldomain_accops_after_tab.txt": lambda r: _domains(r)
    == [("accops.onmicrosoft.com", "Managed", "Verified"), ("accops.cloud", "Federated", "Verified"), ("accops.mail.onmicrosoft.com", "Managed", "Verified")],
    "msoldomain_issue1435.txt": lambda r: _domains(r) == [("<redacted>.example", "Federated", "Verified")] and r.kind == "Get-MsolDomain (Format-Table, UTF-8)",
    "msoldomainfederationsettings_issue1435_mixed.txt": lambda r: (
        r.kind == "Get-MsolDomain + Get-MsolDomainFederationSettings (Format-Table + Format-List, UTF-8)"
        and _domains(r)[0] == ("<redacted>.example", "Federated", "Verified")
        and _settings(r)[1] == (None, "http://<redacted>/947AF585", "https://<redacted>/947AF585", None, "WsFed", None, None)
        # the excerpt's cut-off "Su" under the empty SigningCertificateUpdateStatus: reported, not lost
        and _issues(r) == [(23, "SigningCertificateUpdateStatus", "info"), (21, "SigningCertificate", "warning")]
        and r.observations == ()
    ),
    "msoldomainfederationsettings_accops_fl.txt": lambda r: (
        _settings(r) == [ACCOPS]  # domain from the captured command line
        and _issues(r) == [(18, "SigningCertificate", "warning")]  # the altered base64: an issue, the row kept
        and r.observations == ()
    ),
    "mgdomainfederationconfiguration_jpazureid.txt": lambda r: (
        _settings(r) == [(None, "http://sts.test.com/adfs/services/trust", "https://sts.sts.test.com/adfs/ls/", "https://sts.sts.test.com/adfs/services/trust/mex", "wsFed", None, None)]
        and _issues(r) == [(16, "SigningCertificate", "warning")]  # "MIIGFT ... yEzQw==" is an abbreviation
    ),
    "mgdomainfederationconfiguration_jpazureid_after_update.txt": lambda r: (
        sorted(_issues(r)) == [(1, "NextSigningCertificate", "warning"), (3, "SigningCertificate", "warning")] and r.observations == ()
    ),
    "mgdomainfederationconfiguration_msdocs.txt": lambda r: (
        _settings(r) == [("contoso.com", "http://contoso.com/adfs/services/trust/", "https://sts.contoso.com/adfs/ls/", "https://sts.contoso.com/adfs/services/trust/mex", "wsFed", None, None)]
        and sorted(_issues(r)) == [(10, "NextSigningCertificate", "warning"), (15, "SigningCertificate", "warning"), (16, "SigningCertificateUpdateStatus", "info")]
    ),
    "mgdomain_msdocs_fl.txt": lambda r: _domains(r) == [("contoso.com", "Managed", "Verified")] and r.kind == "Get-MgDomain (Format-List, UTF-8)",
    "mgdomain_partnercenter_table.txt": lambda r: _domains(r) == [("contoso.com", "Managed", "Verified")] and r.kind == "Get-MgDomain (Format-Table, UTF-8)",
    "msolfederationproperty_ps0139_error.txt": lambda r: r.kind == "unrecognised" and messages(r)[0].startswith(UNRECOGNISED),
    "json51-cultureinfo-calendar.json": lambda r: r.kind == "unrecognised" and messages(r)[0].startswith(UNRECOGNISED),
    "graph-domain-get.json": lambda r: _domains(r) == [("m365x214355.onmicrosoft.com", "Managed", "Verified")] and r.kind == "Graph domain (Graph JSON, UTF-8)",
    "graph-internaldomainfederation-resource.json": lambda r: (
        r.kind == "Graph internalDomainFederation (Graph JSON, UTF-8)"
        and r.domains[0].issuer_uri == "String"
        and sorted(i.field for i in r.issues) == ["nextSigningCertificate", "signingCertificate"]
    ),
    "graph-internaldomainfederation-get.http": lambda r: (
        _settings(r) == [(*GRAPH_DOC, "Success", t(2021, 8, 25, 7, 44, 46, 261677))]
        and sorted(_issues(r)) == [(5, "nextSigningCertificate", "warning"), (5, "signingCertificate", "warning")]
        and r.observations == ()
    ),
    "graph-internaldomainfederation-list.http": lambda r: (
        _settings(r) == [(*GRAPH_DOC, "Success", t(2021, 8, 25, 7, 44, 46, 261677))] and len(r.issues) == 2 and r.domains[0].line == 6
    ),
    "graph-internaldomainfederation-beta-post.http": lambda r: _settings(r) == [(*GRAPH_DOC, None, None)] and len(r.issues) == 2,
    "graph-internaldomainfederation-patch.http": lambda r: (
        r.kind == "Graph internalDomainFederation (Graph JSON, UTF-8)" and _settings(r) == [(None, None, None, None, None, None, None)] and r.issues == ()
    ),
}


@pytest.mark.parametrize("name", sorted(OTHER_SAMPLES))
def test_other_samples(name):
    path = TEXT / name if (TEXT / name).exists() else STRUCT / name
    r = read(path)
    assert OTHER_SAMPLES[name](r), (r.kind, r.farms, r.domains, r.observations, r.issues)


def test_utf16_copies_read_the_same():
    for name in ("adfscertificate_dede_reconstructed.txt", "msoldomainfederationsettings_accops_fl.txt"):
        raw = (TEXT / name).read_bytes()
        as_utf16 = b"\xff\xfe" + raw.decode("utf-8").replace("\n", "\r\n").encode("utf-16-le")
        a, b = read_export(raw, name), read_export(as_utf16, name)
        assert a.observations == b.observations and a.domains == b.domains and a.issues == b.issues
        assert b.kind.endswith("UTF-16LE)")


def test_all_samples_load_together():
    ev = fedaudit.load(TEXT, STRUCT, domain_map={"mgdomainfederationconfiguration_jpazureid.txt": "test.com"})
    d = ev.domains.set_index("domain", drop=False)
    # the settings printed after "Get-MsolDomain ... | foreach { $_; Get-MsolDomainFederationSettings ... }"
    assert d.loc["<redacted>.example", "issuer_uri"] == "http://<redacted>/947AF585"
    assert d.loc["test.com", "issuer_uri"] == "http://sts.test.com/adfs/services/trust"
    assert d.loc["domain.tld", "farm"] == "adfs.domain.tld"
    assert d.loc["domain.tld", "signing_thumbprint"] == BLOG[0]
    # the two Accops tables disagree (before/after federation): kept first, reported
    assert any("accops.cloud: authentication" in m for m in ev.issues.message)
    c = ev.certificates
    lab = c[c.thumbprint == ADFS_LAB[0]]
    assert set(lab.farm) == {"adfs.lab.com"}  # "CN=ADFS Signing - adfs.lab.com"
    assert len(lab) == 1 and len(lab.iloc[0]["origins"]) == 3  # three exports of one certificate
    assert lab.iloc[0]["not_after"] == pd.Timestamp("2025-08-01 15:57:51", tz="UTC")
    vpn = c[c.thumbprint == "C8A900563F172F6BD10109D9AA8B12EE1037C2A4"]
    assert list(vpn.not_before) == [pd.Timestamp("2017-04-03 22:11:29", tz="UTC")]  # bytes win over the printed text
    assert not vpn.iloc[0]["text_derived"]
    unnamed = ev.domains[ev.domains.domain.isna()]
    assert len(unnamed) == 6  # Graph docs examples and the jpazureid excerpt: no domain printed anywhere
    assert (ev.issues.message.str.contains("domain_map=")).sum() == 6
