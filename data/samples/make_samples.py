#!/usr/bin/env python3
"""Regenerate fedaudit's demo estate (``make samples``).

Eight AD FS farms, two Entra tenants (one exported with MSOnline, one with Microsoft Graph) and
the federation metadata an auditor fetched, in the formats and encodings real exports have. Every
certificate is minted here with ``cryptography`` from the demo keys in ``keys/`` (labelled, test
only), every date is relative to the as-of date on the ``As-of date:`` line of ``README.md``, and
the output is byte-for-byte reproducible: ``tests/test_samples.py`` regenerates the estate into a
temporary folder and compares it with the committed files.

Usage::

    python data/samples/make_samples.py [--out DIR] [--new-keys]

``--new-keys`` creates missing demo keys (never overwrites one). Folder names are for people;
fedaudit ties farms, domains and certificates together from the files' content only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(HERE.parents[1] / "tests"))  # the sample writers: tests/support

from support.synth import (  # noqa: E402
    WRITERS,
    AdfsCertificate,
    AdfsProperties,
    Domain,
    FederationProperty,
    FederationSettings,
    encode,
    federation_metadata,
    fetch_sidecar,
    fetch_stem,
    fixed_keys,
    mint_certificate,
    private_key,
    with_prompt,
    write_key_files,
)

UTC = dt.timezone.utc
#: Top-level folders this script owns (removed and rewritten on every run).
OWNED = ("ad-fs", "entra", "metadata")
KEY_DIR = HERE / "keys"


def read_as_of(readme: Path = HERE / "README.md") -> dt.datetime:
    """The ``As-of date: YYYY-MM-DD`` line of the README (the Makefile reads the same line)."""
    m = re.search(r"^As-of date: *(\d{4}-\d{2}-\d{2})", readme.read_text(encoding="utf-8"), re.M)
    if not m:
        raise SystemExit(f"{readme}: no 'As-of date: YYYY-MM-DD' line")
    return dt.datetime.fromisoformat(m.group(1)).replace(tzinfo=UTC)


AS_OF = read_as_of()

# Demo key slots (2048-bit unless noted): one key per certificate, as AD FS generates them.
SLOTS = {
    "contoso.ts": 1, "contoso.td": 2, "contoso.tls": 3,
    "litware.ts.old": 4, "litware.ts.new": 5, "litware.td.old": 6, "litware.td.new": 7, "litware.tls": 8,
    "woodgrove.ts": 9, "woodgrove.td": 10, "woodgrove.tls": 11,
    "wingtip.ts": 12, "wingtip.td": 13, "wingtip.tls": 14,
    "fabrikam.ts.old": 15, "fabrikam.ts.new": 16, "fabrikam.td.old": 17, "fabrikam.td.new": 18, "fabrikam.tls": 19,
    "tailspin.ts.old": 20, "tailspin.ts.new": 21,
    "adventure.ts": 25, "adventure.tls": 27,
    "proseware.ts": 28, "proseware.td": 29, "proseware.tls": 30,
    "ca.public-tls": 90, "ca.woodgrove": 91,
}
WEAK_SLOT = 26  # the 1024-bit token-decrypting key of adfs.adventure-works.com
KEYS = [(2048, s) for s in sorted(SLOTS.values())] + [(1024, WEAK_SLOT)]

PUBLIC_CA = "CN=Demo Public TLS CA G2,O=fedaudit demo,C=US"
WOODGROVE_CA = "CN=Woodgrove Bank Issuing CA 01,DC=woodgrovebank,DC=com"


def at(days: float, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    """``days`` after the as-of date (negative: before), at ``hh:mm:ss`` UTC."""
    return AS_OF + dt.timedelta(days=days, hours=hh, minutes=mm, seconds=ss)


def self_signed(kind: str, host: str, slot: str, start: dt.datetime, days: int = 365, **kw: object) -> bytes:
    """An AD FS-generated certificate: ``CN=ADFS Signing - <host>`` / ``CN=ADFS Encryption - <host>``."""
    cn = {"ts": "ADFS Signing", "td": "ADFS Encryption"}[kind]
    return mint_certificate(f"CN={cn} - {host}", start, start + dt.timedelta(days=days), key_slot=SLOTS[slot], **kw)  # type: ignore[arg-type]


def tls(host: str, slot: str, start: dt.datetime, end: dt.datetime, *, ca: str = PUBLIC_CA, ca_slot: str = "ca.public-tls") -> bytes:
    return mint_certificate(f"CN={host}", start, end, issuer=ca, key_slot=SLOTS[slot], issuer_key_slot=SLOTS[ca_slot])


def metadata_url(host: str) -> str:
    return f"https://{host}/FederationMetadata/2007-06/FederationMetadata.xml"


class Estate:
    """Collects the files to write: path relative to the output folder -> bytes."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, rel: str, data: bytes) -> None:
        if rel in self.files:
            raise ValueError(f"{rel} written twice")
        self.files[rel] = data

    def fetched(self, host: str, identifier: str, signing: list[bytes], encryption: list[bytes], key_slot: str,
                tls_der: bytes, when: dt.datetime) -> None:
        """Metadata fetched by ``fedaudit fetch`` over verified TLS: body + sidecar."""
        url = metadata_url(host)
        body = federation_metadata(identifier, host, signing, encryption, key=private_key(2048, SLOTS[key_slot]))
        stem = fetch_stem(url, when)
        self.add(f"metadata/{stem}.xml", body)
        self.add(f"metadata/{stem}.fetch.json", encode(fetch_sidecar(url, when, body=body, body_name=f"{stem}.xml", tls_certificate=tls_der), "utf-8", newline="\n"))

    def fetch_failed(self, host: str, when: dt.datetime, error: str, status: int | None = None, tls_der: bytes | None = None) -> None:
        url = metadata_url(host)
        stem = fetch_stem(url, when)
        sidecar = fetch_sidecar(url, when, body=None, body_name=None, status=status, error=error, tls_certificate=tls_der, elapsed_ms=10021)
        self.add(f"metadata/{stem}.fetch.json", encode(sidecar, "utf-8", newline="\n"))


def adfs_certs(*certs: AdfsCertificate) -> list[AdfsCertificate]:
    return list(certs)


def build() -> dict[str, bytes]:
    """The whole estate as ``{relative path: bytes}``."""
    e = Estate()
    W = WRITERS
    fetch_day = at(-1, 15, 2, 11)

    # ---------------------------------------------------------------- (a) fs.contoso.com
    # Healthy: AutoCertificateRollover on, Entra in sync, metadata published. en-US, 5.1.
    host = "fs.contoso.com"
    c_ts = self_signed("ts", host, "contoso.ts", at(-191, 8, 14, 31))
    c_td = self_signed("td", host, "contoso.td", at(-191, 8, 14, 32))
    c_tls = tls(host, "contoso.tls", at(-297), at(99, 23, 59, 59))
    contoso = AdfsProperties(host, display_name="Contoso Corporation")
    e.add("ad-fs/contoso-adfs01/adfs-properties.txt", encode(W["Get-AdfsProperties", "list"]([contoso]), "utf-16le-bom"))
    e.add("ad-fs/contoso-adfs01/adfs-certificates.xml", encode(W["Get-AdfsCertificate", "clixml"](adfs_certs(
        AdfsCertificate(c_tls, "Service-Communications", True, "LocalMachine"),
        AdfsCertificate(c_td, "Token-Decrypting"),
        AdfsCertificate(c_ts, "Token-Signing"),
    )), "utf-16le-bom"))
    e.fetched(host, contoso.farm_identifier, [c_ts], [c_td], "contoso.ts", c_tls, fetch_day)

    # ---------------------------------------------------------------- (e)+(g) fs.litware.com
    # Three federated domains with -SupportMultipleDomain; rolled over 9 days ago (B primary,
    # A secondary until it expires in 6 days). litware.co.uk still trusts only A. de-DE, 5.1.
    host = "fs.litware.com"
    l_ts_a = self_signed("ts", host, "litware.ts.old", at(-359, 11, 48, 55))
    l_ts_b = self_signed("ts", host, "litware.ts.new", at(-14, 11, 49, 20))
    l_td_a = self_signed("td", host, "litware.td.old", at(-359, 11, 48, 56))
    l_td_b = self_signed("td", host, "litware.td.new", at(-14, 11, 49, 21))
    l_tls = tls(host, "litware.tls", at(-150), at(215, 23, 59, 59))
    litware = AdfsProperties(host, display_name="Litware Inc.", installed_language="de-DE")
    e.add("ad-fs/litware-adfs01/adfs-properties.json", encode(W["Get-AdfsProperties", "json51"]([litware]), "utf-16le-bom"))
    e.add("ad-fs/litware-adfs01/adfs-zertifikate.txt", encode(W["Get-AdfsCertificate", "list"](adfs_certs(
        AdfsCertificate(l_tls, "Service-Communications", True, "LocalMachine"),
        AdfsCertificate(l_td_b, "Token-Decrypting", True),
        AdfsCertificate(l_td_a, "Token-Decrypting", False),
        AdfsCertificate(l_ts_b, "Token-Signing", True),
        AdfsCertificate(l_ts_a, "Token-Signing", False),
    ), culture="de-DE"), "utf-16le-bom"))
    # (g) Get-MsolFederationProperty on the AD FS server: the two Source records disagree.
    prop = W["Get-MsolFederationProperty", "list"](
        [FederationProperty("ADFS Server", l_ts_b, l_ts_a, "http://litware.co.uk/adfs/services/trust/", host),
         FederationProperty("Microsoft Office 365", l_ts_a, None, "http://litware.co.uk/adfs/services/trust/", host)],
        culture="de-DE", trailing_space=False)
    e.add("ad-fs/litware-adfs01/federation-property-litware.co.uk.txt", encode(with_prompt(
        prop, "Get-MsolFederationProperty -DomainName litware.co.uk -SupportMultipleDomain | FL Source, TokenSigningCertificate",
        prompt="PS C:\\Windows\\system32>"), "utf-8-bom"))
    e.fetched(host, litware.farm_identifier, [l_ts_b, l_ts_a], [l_td_b, l_td_a], "litware.ts.new", l_tls, fetch_day)

    # ---------------------------------------------------------------- (c) adfs.woodgrovebank.com
    # AutoCertificateRollover off, certificates from the bank's CA; token signing expires in 28
    # days. en-GB, 5.1 (Export-Clixml, Export-Csv with #TYPE). Metadata saved from a browser.
    host = "adfs.woodgrovebank.com"
    w_ts = mint_certificate("CN=adfs-signing.woodgrovebank.com,O=Woodgrove Bank,L=London,C=GB", at(-702, 10, 2, 44), at(28, 10, 2, 44),
                            issuer=WOODGROVE_CA, key_slot=SLOTS["woodgrove.ts"], issuer_key_slot=SLOTS["ca.woodgrove"])
    w_td = mint_certificate("CN=adfs-encryption.woodgrovebank.com,O=Woodgrove Bank,L=London,C=GB", at(-515, 9, 15, 3), at(215, 9, 15, 3),
                            issuer=WOODGROVE_CA, key_slot=SLOTS["woodgrove.td"], issuer_key_slot=SLOTS["ca.woodgrove"])
    w_tls = tls(host, "woodgrove.tls", at(-255), at(142, 23, 59, 59))
    woodgrove = AdfsProperties(host, display_name="Woodgrove Bank", auto_certificate_rollover=False, certificate_duration=730,
                               installed_language="en-GB")
    e.add("ad-fs/woodgrove-adfs-p1/adfs-properties.xml", encode(W["Get-AdfsProperties", "clixml"]([woodgrove], culture="en-GB"), "utf-16le-bom"))
    e.add("ad-fs/woodgrove-adfs-p1/adfs-certificates.csv", encode(W["Get-AdfsCertificate", "csv"](adfs_certs(
        AdfsCertificate(w_tls, "Service-Communications", True, "LocalMachine"),
        AdfsCertificate(w_td, "Token-Decrypting", True, "LocalMachine"),
        AdfsCertificate(w_ts, "Token-Signing", True, "LocalMachine"),
    ), culture="en-GB"), "ascii"))
    e.add("ad-fs/woodgrove-adfs-p1/FederationMetadata.xml",
          federation_metadata(woodgrove.farm_identifier, host, [w_ts], [w_td], key=private_key(2048, SLOTS["woodgrove.ts"])))

    # ---------------------------------------------------------------- (l) fs.wingtiptoys.com
    # AutoCertificateRollover off with AD FS's own self-signed certificates (two-year duration),
    # 150 days left. de-DE; properties copied from a console whose buffer is wider than its
    # window (long lines unwrapped, embedded newlines at column 0, as in the MS docs sample);
    # certificates Export-Csv -UseCulture (';').
    host = "fs.wingtiptoys.com"
    t_ts = self_signed("ts", host, "wingtip.ts", at(-580, 13, 37, 8), days=730)
    t_td = self_signed("td", host, "wingtip.td", at(-580, 13, 37, 9), days=730)
    t_tls = tls(host, "wingtip.tls", at(-100), at(265, 23, 59, 59))
    wingtip = AdfsProperties(host, display_name="Wingtip Toys GmbH", auto_certificate_rollover=False, certificate_duration=730,
                             installed_language="de-DE")
    e.add("ad-fs/wingtip-adfs/adfs-properties.txt", encode(with_prompt(
        W["Get-AdfsProperties", "list"]([wingtip], culture="de-DE", width=None, trailing_space=False, indent_continuations=False),
        "Get-AdfsProperties"), "utf-8"))
    e.add("ad-fs/wingtip-adfs/adfs-certificates.csv", encode(W["Get-AdfsCertificate", "csv"](adfs_certs(
        AdfsCertificate(t_tls, "Service-Communications", True, "LocalMachine"),
        AdfsCertificate(t_td, "Token-Decrypting"),
        AdfsCertificate(t_ts, "Token-Signing"),
    ), culture="de-DE", delimiter=";", type_information=False), "ascii"))
    e.fetched(host, wingtip.farm_identifier, [t_ts], [t_td], "wingtip.ts", t_tls, fetch_day + dt.timedelta(seconds=3))

    # ---------------------------------------------------------------- (d) sts.fabrikam.com
    # Mid-rollover: primary expires in 4.7 days, secondary generated 5.3 days ago (thresholds
    # 10/7 days) and already in Entra as NextSigningCertificate. ja-JP, 5.1 '>' redirects.
    host = "sts.fabrikam.com"
    f_ts_a = self_signed("ts", host, "fabrikam.ts.old", at(-361, 17, 25, 9))
    f_ts_b = self_signed("ts", host, "fabrikam.ts.new", at(-6, 17, 25, 40))
    f_td_a = self_signed("td", host, "fabrikam.td.old", at(-361, 17, 25, 10))
    f_td_b = self_signed("td", host, "fabrikam.td.new", at(-6, 17, 25, 41))
    f_tls = tls(host, "fabrikam.tls", at(-40), at(325, 23, 59, 59))
    fabrikam = AdfsProperties(host, display_name="Fabrikam", certificate_generation_threshold=10, certificate_promotion_threshold=7,
                              installed_language="ja-JP")
    e.add("ad-fs/fabrikam-sts01/adfs-properties.txt", encode(W["Get-AdfsProperties", "list"]([fabrikam], culture="ja-JP"), "utf-16le-bom"))
    e.add("ad-fs/fabrikam-sts01/adfs-certificates.txt", encode(W["Get-AdfsCertificate", "list"](adfs_certs(
        AdfsCertificate(f_tls, "Service-Communications", True, "LocalMachine"),
        AdfsCertificate(f_td_a, "Token-Decrypting", True),
        AdfsCertificate(f_td_b, "Token-Decrypting", False),
        AdfsCertificate(f_ts_a, "Token-Signing", True),
        AdfsCertificate(f_ts_b, "Token-Signing", False),
    ), culture="ja-JP"), "utf-16le-bom"))
    e.fetched(host, fabrikam.farm_identifier, [f_ts_a, f_ts_b], [f_td_a, f_td_b], "fabrikam.ts.old", f_tls, fetch_day + dt.timedelta(seconds=7))

    # ---------------------------------------------------------------- (b) sts.tailspintoys.com
    # Row 2: rollover on, NOT in sync (Entra lacks the secondary AD FS generated 2.7 days ago,
    # promotion due in 2.3 days), primary expires in 12 days; metadata unreachable. en-US.
    host = "sts.tailspintoys.com"
    s_ts_a = self_signed("ts", host, "tailspin.ts.old", at(-353, 6, 40, 12))
    s_ts_b = self_signed("ts", host, "tailspin.ts.new", at(-3, 6, 40, 45))
    tailspin = AdfsProperties(host, display_name="Tailspin Toys", certificate_generation_threshold=15)
    e.add("ad-fs/tailspin-adfs/adfs-properties.txt", encode(W["Get-AdfsProperties", "list"]([tailspin]), "utf-16le-bom"))
    # Get-AdfsCertificate -CertificateType Token-Signing | ConvertTo-Json -Depth 3 > ...
    e.add("ad-fs/tailspin-adfs/adfs-certificates.json", encode(W["Get-AdfsCertificate", "json51"](adfs_certs(
        AdfsCertificate(s_ts_a, "Token-Signing", True),
        AdfsCertificate(s_ts_b, "Token-Signing", False),
    ), depth=3), "utf-16le-bom"))
    e.fetch_failed(host, fetch_day + dt.timedelta(seconds=12),
                   f"connection timed out after 10.0 s (HTTPSConnectionPool(host='{host}', port=443))")

    # ---------------------------------------------------------------- (i) adfs.adventure-works.com
    # Token signing fine (30 days left, AD FS generates the successor at 20; Entra's poll found
    # nothing new yet), but the token-decrypting certificate is RSA-1024 signed with SHA-1.
    host = "adfs.adventure-works.com"
    a_ts = self_signed("ts", host, "adventure.ts", at(-335, 4, 31, 50))
    a_td = mint_certificate(f"CN=ADFS Encryption - {host}", at(-290, 9, 0, 12), at(75, 9, 0, 12), key_size=1024, key_slot=WEAK_SLOT, hash_name="sha1")
    a_tls = tls(host, "adventure.tls", at(-20), at(345, 23, 59, 59))
    adventure = AdfsProperties(host, display_name="Adventure Works")
    subset = ["HostName", "Identifier", "AutoCertificateRollover", "CertificateCriticalThreshold", "CertificateDuration",
              "CertificateGenerationThreshold", "CertificatePromotionThreshold", "CertificateRolloverInterval",
              "CertificateSharingContainer", "CertificateThresholdMultiplier"]
    e.add("ad-fs/adventure-works-adfs/adfs-properties.txt", encode(with_prompt(
        W["Get-AdfsProperties", "list"]([adventure], properties=subset, trailing_space=False),
        "Get-AdfsProperties | FL HostName, Identifier, AutoCert*, Certificate*"), "utf-8"))
    e.add("ad-fs/adventure-works-adfs/adfs-certificates.xml", encode(W["Get-AdfsCertificate", "clixml"](adfs_certs(
        AdfsCertificate(a_tls, "Service-Communications", True, "LocalMachine"),
        AdfsCertificate(a_td, "Token-Decrypting"),
        AdfsCertificate(a_ts, "Token-Signing"),
    )), "utf-16le-bom"))
    e.fetched(host, adventure.farm_identifier, [a_ts], [a_td], "adventure.ts", a_tls, fetch_day + dt.timedelta(seconds=17))

    # ---------------------------------------------------------------- (k) fs.proseware.com
    # Rollover on and in sync, 32 days left, but the metadata is not reachable from outside, so
    # Entra's poll fails (couldNotAccessRemoteHost) and will not pick up the successor.
    host = "fs.proseware.com"
    p_ts = self_signed("ts", host, "proseware.ts", at(-333, 19, 5, 33))
    p_td = self_signed("td", host, "proseware.td", at(-332, 19, 5, 34))
    p_tls = tls(host, "proseware.tls", at(-104), at(260, 23, 59, 59))
    proseware = AdfsProperties(host, display_name="Proseware, Inc.")
    e.add("ad-fs/proseware-adfs/adfs-properties.json", encode(W["Get-AdfsProperties", "json7"]([proseware], utc_offset=dt.timedelta(hours=-8)), "utf-8"))
    e.add("ad-fs/proseware-adfs/adfs-certificates.txt", encode(W["Get-AdfsCertificate", "table"](adfs_certs(
        AdfsCertificate(p_tls, "Service-Communications", True, "LocalMachine"),
        AdfsCertificate(p_td, "Token-Decrypting"),
        AdfsCertificate(p_ts, "Token-Signing"),
    )), "utf-16le-bom"))
    e.fetch_failed(host, fetch_day + dt.timedelta(seconds=23),
                   "HTTP 503 Service Unavailable", status=503, tls_der=p_tls)

    # ---------------------------------------------------------------- Contoso tenant (MSOnline)
    # Windows PowerShell 5.1 on an admin workstation. contosolabs.com is federated but its
    # settings were not exported (h).
    contoso_domains = [
        Domain("contoso.com", is_default=True),
        Domain("contoso.onmicrosoft.com", "Managed", is_initial=True),
        Domain("contoso.mail.onmicrosoft.com", "Managed"),
        Domain("contosolabs.com"),
        Domain("litware.com"),
        Domain("litware.de"),
        Domain("litware.co.uk"),
        Domain("woodgrovebank.com"),
        Domain("wingtiptoys.com"),
    ]
    e.add("entra/contoso-msonline/Get-MsolDomain.txt", encode(W["Get-MsolDomain", "table"](contoso_domains), "utf-16le-bom"))
    blocks = []
    for settings in (
        FederationSettings.for_adfs("contoso.com", "fs.contoso.com", c_ts, display_name="Contoso Corporation"),
        FederationSettings.for_adfs("woodgrovebank.com", "adfs.woodgrovebank.com", w_ts, display_name="Woodgrove Bank"),
        FederationSettings.for_adfs("wingtiptoys.com", "fs.wingtiptoys.com", t_ts, display_name="Wingtip Toys GmbH"),
    ):
        blocks.append(with_prompt(W["Get-MsolDomainFederationSettings", "list"]([settings], trailing_space=False),
                                  f"Get-MsolDomainFederationSettings -DomainName {settings.domain} | Format-List *",
                                  prompt="PS C:\\Users\\j.admin>"))
    e.add("entra/contoso-msonline/federation-settings.txt", encode("".join(blocks), "utf-8-bom"))
    blocks = []
    for domain, signing, nxt in (("litware.com", l_ts_b, l_ts_a), ("litware.de", l_ts_b, l_ts_a), ("litware.co.uk", l_ts_a, None)):
        settings = FederationSettings.for_adfs(domain, "fs.litware.com", signing, nxt, multi_domain=True, display_name="Litware Inc.")
        blocks.append(with_prompt(W["Get-MsolDomainFederationSettings", "list"]([settings], trailing_space=False),
                                  f"Get-MsolDomainFederationSettings -DomainName {domain} | Format-List *"))
    e.add("entra/contoso-msonline/litware-settings.txt", encode("".join(blocks), "utf-16le-bom"))
    prop = W["Get-MsolFederationProperty", "list"](
        [FederationProperty("ADFS Server", c_ts, None, contoso.farm_identifier, "fs.contoso.com"),
         FederationProperty("Microsoft Office 365", c_ts, None, contoso.farm_identifier, "fs.contoso.com")], trailing_space=False)
    e.add("entra/contoso-msonline/federation-property-contoso.com.txt", encode(with_prompt(
        prop, "Get-MsolFederationProperty -DomainName contoso.com | FL Source, TokenSigningCertificate",
        prompt="PS C:\\Users\\j.admin>"), "utf-8"))

    # ---------------------------------------------------------------- Fabrikam tenant (Graph)
    # PowerShell 7 and Graph Explorer: UTF-8 without BOM.
    fabrikam_domains = [
        Domain("fabrikam.com", is_default=True),
        Domain("fabrikam.onmicrosoft.com", "Managed", is_initial=True),
        Domain("tailspintoys.com"),
        Domain("adventure-works.com"),
        Domain("proseware.com"),
    ]
    e.add("entra/fabrikam-graph/domains.json", encode(W["Get-MgDomain", "graph"](fabrikam_domains), "utf-8", newline="\n"))
    fab = FederationSettings.for_adfs("fabrikam.com", "sts.fabrikam.com", f_ts_a, f_ts_b, display_name="Fabrikam",
                                      federated_idp_mfa_behavior="acceptIfMfaDoneByFederatedIdp")
    e.add("entra/fabrikam-graph/fabrikam.com-federation.txt", encode(with_prompt(
        W["Get-MgDomainFederationConfiguration", "list"]([fab], trailing_space=False),
        "Get-MgDomainFederationConfiguration -DomainId fabrikam.com | Format-List", prompt="PS C:\\Users\\m.kobayashi>"), "utf-8"))
    tail = FederationSettings.for_adfs("tailspintoys.com", "sts.tailspintoys.com", s_ts_a, display_name="Tailspin Toys",
                                       update_result="couldNotAccessRemoteHost", update_last_run=at(-1, 21, 47, 13) + dt.timedelta(microseconds=441498))
    e.add("entra/fabrikam-graph/tailspintoys.com-federationConfiguration.json",
          encode(W["Get-MgDomainFederationConfiguration", "graph"]([tail], as_list=True, indent=False), "utf-8"))
    # (j) a second, interrupted save of the same call: the file stops mid-certificate.
    full = W["Get-MgDomainFederationConfiguration", "graph"]([tail], as_list=True, indent=True)
    e.add("entra/fabrikam-graph/tailspintoys.com-federationConfiguration (2).json", encode(full[: int(len(full) * 0.55)], "utf-8", newline="\n"))
    adv = FederationSettings.for_adfs("adventure-works.com", "adfs.adventure-works.com", a_ts, display_name="Adventure Works",
                                      update_result="noNewCertificateFound", update_last_run=at(-1, 9, 12, 40) + dt.timedelta(microseconds=118230))
    e.add("entra/fabrikam-graph/adventure-works.com-federation.json",
          encode(W["Get-MgDomainFederationConfiguration", "graph"]([adv]), "utf-8", newline="\n"))
    pro = FederationSettings.for_adfs("proseware.com", "fs.proseware.com", p_ts, display_name="Proseware",
                                      update_result="couldNotAccessRemoteHost", update_last_run=at(-1, 4, 3, 55) + dt.timedelta(microseconds=902117))
    e.add("entra/fabrikam-graph/proseware.com-federation.json",
          encode(W["Get-MgDomainFederationConfiguration", "graph"]([pro], as_list=True), "utf-8", newline="\n"))
    e.add("entra/fabrikam-graph/proseware.com-domain.txt", encode(with_prompt(
        W["Get-MgDomain", "list"]([Domain("proseware.com")], trailing_space=False),
        "Get-MgDomain -DomainId proseware.com | Format-List", prompt="PS C:\\Users\\m.kobayashi>"), "utf-8"))
    return e.files


def write(out: Path, files: dict[str, bytes]) -> list[Path]:
    for top in OWNED:
        shutil.rmtree(out / top, ignore_errors=True)
    written = []
    for rel, data in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


def generate(out: Path, keys: Path = KEY_DIR) -> list[Path]:
    """Mint with the demo keys in ``keys`` and write the estate under ``out``."""
    with fixed_keys(keys):
        files = build()
    return write(out, files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: data/samples)")
    parser.add_argument("--new-keys", action="store_true", help="create missing demo keys in keys/ first")
    args = parser.parse_args(argv)
    if args.new_keys:
        for path in write_key_files(KEY_DIR, KEYS):
            print(f"created {path.relative_to(HERE)}")
    written = generate(args.out)
    print(f"wrote {len(written)} files under {args.out} (as-of {AS_OF.date()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
