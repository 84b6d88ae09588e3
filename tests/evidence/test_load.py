"""fedaudit.load on a small estate in mixed forms and encodings, written to a temporary folder."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import fedaudit
from fedaudit.evidence import load as loader
from fedaudit.errors import InputError, UsageError
from tests._structured_render import clixml_adfs_properties, facts, graph_federation, utf16, x509_tostring

UTC = dt.timezone.utc
IDENT = "http://sts.contoso.com/adfs/services/trust"


def fl(pairs):
    width = max(len(k) for k, _ in pairs)
    out = []
    for key, value in pairs:
        first, *rest = value.split("\n")
        out.append(f"{key.ljust(width)} : {first}")
        out.extend(" " * (width + 3) + r for r in rest)
    return "\n\n" + "\n".join(out) + "\n\n"


@pytest.fixture(scope="module")
def ders():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 1, 10, 9, tzinfo=UTC)
    return {
        "primary": mint_certificate("CN=ADFS Signing - sts.contoso.com", start, start + dt.timedelta(days=365)),
        "secondary": mint_certificate("CN=ADFS Signing - sts.contoso.com", start + dt.timedelta(days=345), start + dt.timedelta(days=710), key_slot=1),
        "old": mint_certificate("CN=ADFS Signing - sts.contoso.com", start - dt.timedelta(days=365), start, key_slot=2),
    }


@pytest.fixture()
def estate(tmp_path, ders):
    adfs = tmp_path / "adfs"
    entra = tmp_path / "entra"
    adfs.mkdir()
    entra.mkdir()
    (adfs / "props.xml").write_bytes(utf16(clixml_adfs_properties("sts.contoso.com", IDENT, True)))
    certs = "PS C:\\> Get-AdfsCertificate -CertificateType Token-Signing" + "".join(
        fl([("Certificate", x509_tostring(ders[k], "en-US", "\n")), ("CertificateType", "Token-Signing"), ("IsPrimary", p), ("StoreLocation", "CurrentUser"), ("StoreName", "My"), ("Thumbprint", facts(ders[k])["thumbprint"])])
        for k, p in (("primary", "True"), ("secondary", "False"))
    )
    (adfs / "certs.txt").write_bytes(utf16(certs))
    (entra / "graph.json").write_text(graph_federation(ders["primary"], ders["secondary"], context_domain="contoso.com"), encoding="utf-8")
    (entra / "domains.txt").write_text(
        "PS C:\\> Get-MsolDomain\n\nName          Status   Authentication\n----          ------   --------------\ncontoso.com   Verified Federated\nfabrikam.com  Verified Federated\nm.onmicrosoft.com Verified Managed\n",
        encoding="utf-8",
    )
    settings = fl([("IssuerUri", IDENT), ("PassiveLogOnUri", "https://sts.contoso.com/adfs/ls/"), ("PreferredAuthenticationProtocol", "WsFed"), ("SigningCertificate", base64.b64encode(ders["old"]).decode())])
    (entra / "fab-settings.txt").write_bytes(b"\xef\xbb\xbf" + settings.encode())
    (tmp_path / "README.md").write_text("notes, not an export")
    (tmp_path / ".hidden").write_text("never read")
    (tmp_path / "junk.dat").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06")
    return tmp_path


def test_load_joins_the_estate(estate, ders):
    ev = fedaudit.load(estate)
    names = {Path(i.path).name: i.kind for i in ev.inputs}
    assert names == {
        "props.xml": "Get-AdfsProperties (Export-Clixml, UTF-16LE)",
        "certs.txt": "Get-AdfsCertificate (Format-List, UTF-16LE)",
        "domains.txt": "Get-MsolDomain (Format-Table, UTF-8)",
        "fab-settings.txt": "Get-MsolDomainFederationSettings (Format-List, UTF-8 BOM)",
        "graph.json": "Graph internalDomainFederation (Graph JSON, UTF-8)",
        "junk.dat": "unreadable",
    }
    assert all(len(i.sha256) == 64 for i in ev.inputs)
    [farm] = ev.farms.to_dict("records")
    assert (farm["farm"], farm["identifier"], farm["auto_certificate_rollover"], farm["certificate_generation_threshold"]) == ("sts.contoso.com", IDENT, True, 20)
    d = ev.domains.set_index("domain")
    assert d.loc["contoso.com", "farm"] == "sts.contoso.com"
    assert d.loc["contoso.com", "signing_thumbprint"] == facts(ders["primary"])["thumbprint"]
    assert d.loc["contoso.com", "next_signing_thumbprint"] == facts(ders["secondary"])["thumbprint"]
    assert d.loc["contoso.com", "update_result"] == "success"
    assert d.loc["fabrikam.com", "signing_thumbprint"] == facts(ders["old"])["thumbprint"]  # paired
    assert d.loc["fabrikam.com", "farm"] == "sts.contoso.com" and d.loc["fabrikam.com", "preferred_authentication_protocol"] == "WsFed"
    assert d.loc["m.onmicrosoft.com", "authentication"] == "Managed"
    c = ev.certificates
    adfs = c[c.source == "adfs"].set_index("slot")
    assert adfs.loc["primary", "thumbprint"] == facts(ders["primary"])["thumbprint"]
    assert adfs.loc["primary", "farm"] == "sts.contoso.com"
    # the Format-List text said 1/10/2026 9:00:00 AM; the Graph bytes of the same thumbprint win
    assert adfs.loc["primary", "not_before"] == pd.Timestamp("2026-01-10 09:00", tz="UTC") and not adfs.loc["primary", "text_derived"]
    entra = c[c.source == "entra"]
    assert sorted(zip(entra.domain, entra.slot)) == [("contoso.com", "current"), ("contoso.com", "next"), ("fabrikam.com", "current")]
    assert set(entra.farm) == {"sts.contoso.com"}
    messages = list(ev.issues["message"])
    assert any("binary data" in m for m in messages)
    assert any("only federated domain loaded without federation settings" in m for m in messages)
    assert len(ev.issues) == 2


def test_domain_map_settles_the_domain(estate):
    path = estate / "entra" / "fab-settings.txt"
    for key in (str(path), "fab-settings.txt"):
        ev = fedaudit.load(estate, domain_map={key: "fabrikam.com"})
        assert not any("paired" in m for m in ev.issues["message"])
        assert "fabrikam.com" in set(ev.domains.domain)


def test_domain_map_key_that_matches_nothing_is_a_usage_error(estate):
    with pytest.raises(UsageError, match="matches no file"):
        fedaudit.load(estate, domain_map={"nope.txt": "x.com"})


def test_strict_raises_the_first_issue(estate):
    with pytest.raises(InputError) as info:
        fedaudit.load(estate, strict=True)
    assert info.value.origin.endswith("junk.dat") and "binary data" in info.value.message


def test_usage_errors(estate):
    with pytest.raises(UsageError, match="no such file"):
        fedaudit.load(estate / "missing")
    with pytest.raises(UsageError, match="unknown culture"):
        fedaudit.load(estate, culture="Klingon")


def test_oversize_and_unreadable_files_are_issues(estate, monkeypatch):
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 2000)
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == "domains.txt":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    ev = fedaudit.load(estate)
    kinds = {Path(i.path).name: i.kind for i in ev.inputs}
    assert kinds["certs.txt"] == "refused (too large)" and kinds["domains.txt"] == "unreadable"
    high = ev.issues[ev.issues.severity == "high"]
    assert any("over the 2000-byte limit" in m for m in high.message)
    assert any("cannot read file: Permission denied" in m for m in high.message)
    assert len(ev.farms) == 0  # props.xml is also over 2000 bytes


def test_a_single_file_and_no_files(estate, tmp_path_factory):
    ev = fedaudit.load(estate / "entra" / "graph.json")
    assert list(ev.domains.domain) == ["contoso.com"]
    empty = tmp_path_factory.mktemp("empty")
    ev = fedaudit.load(empty)
    assert all(len(f) == 0 for f in ev.frames().values()) and ev.inputs == ()
