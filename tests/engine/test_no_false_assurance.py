"""Issue 10, "No false assurance": the estates that break sign-in in real life, each written as
exports in two forms (console text in de-DE or ja-JP, and JSON: ConvertTo-Json 5.1 / Graph REST),
loaded through fedaudit.load and judged. Each must not be "nothing to do": the verdict is not
``none``, the severity is at least the one the situation deserves, and the remediation carries the
command that fixes it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import fedaudit
from fedaudit.engine.core import exit_code
from support.synth import (
    WRITERS,
    AdfsCertificate,
    AdfsProperties,
    Domain,
    FederationSettings,
    encode,
    federation_metadata,
    fetch_sidecar,
    fetch_stem,
    mint_certificate,
    private_key,
    with_prompt,
)

UTC = dt.timezone.utc
AS_OF = dt.datetime(2026, 11, 27, tzinfo=UTC)
FARM = "fs.contoso.com"
RANK = {"info": 1, "warning": 2, "high": 3, "critical": 4}
#: (form, culture): console text in two cultures, JSON (5.1 and Graph REST).
FORMS = [("text", "de-DE"), ("json", "en-US")]
FORM_IDS = ["text-de-DE", "json"]


def day(n: float) -> dt.datetime:
    return AS_OF + dt.timedelta(days=n)


_SLOT = iter(range(200, 400))


def cert(cn: str, not_before: dt.datetime, not_after: dt.datetime, *, issuer: str | None = None) -> tuple[bytes, int]:
    slot = next(_SLOT)
    return mint_certificate(cn, not_before.replace(microsecond=0), not_after.replace(microsecond=0), issuer=issuer,
                            key_slot=slot), slot


def tp(der: bytes) -> str:
    import hashlib

    return hashlib.sha1(der).hexdigest().upper()


@dataclass
class Spec:
    """An estate: one AD FS farm (optional) and its Entra domains, written as exports."""

    props: AdfsProperties | None = None
    certs: list[AdfsCertificate] = field(default_factory=list)
    settings: list[FederationSettings] = field(default_factory=list)
    domains: list[Domain] = field(default_factory=list)


def write(folder: Path, spec: Spec, form: str, culture: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if form == "text":
        if spec.props is not None:
            (folder / "adfs-properties.txt").write_bytes(encode(with_prompt(
                WRITERS["Get-AdfsProperties", "list"]([spec.props], culture=culture), "Get-AdfsProperties"), "utf-16le-bom"))
        if spec.certs:
            (folder / "adfs-certificates.txt").write_bytes(encode(with_prompt(
                WRITERS["Get-AdfsCertificate", "list"](spec.certs, culture=culture),
                "Get-AdfsCertificate -CertificateType Token-Signing"), "utf-16le-bom"))
        for s in spec.settings:
            (folder / f"msol-settings-{s.domain}.txt").write_bytes(encode(with_prompt(
                WRITERS["Get-MsolDomainFederationSettings", "list"]([s]),
                f"Get-MsolDomainFederationSettings -DomainName {s.domain} | Format-List *"), "utf-16le-bom"))
        if spec.domains:
            (folder / "msol-domains.txt").write_bytes(encode(with_prompt(
                WRITERS["Get-MsolDomain", "table"](spec.domains), "Get-MsolDomain"), "utf-16le-bom"))
    else:
        if spec.props is not None:
            (folder / "adfs-properties.json").write_bytes(encode(WRITERS["Get-AdfsProperties", "json51"]([spec.props]), "utf-16le-bom"))
        if spec.certs:
            (folder / "adfs-certificates.json").write_bytes(encode(
                WRITERS["Get-AdfsCertificate", "json51"](spec.certs, depth=3), "utf-16le-bom"))
        for s in spec.settings:
            (folder / f"federation-{s.domain}.json").write_text(
                WRITERS["Get-MgDomainFederationConfiguration", "graph"]([s]), encoding="utf-8")
        if spec.domains:
            (folder / "domains.json").write_text(WRITERS["Get-MgDomain", "graph"](spec.domains), encoding="utf-8")
    return folder


def judge(tmp_path: Path, spec: Spec, form: str, culture: str, **load_kw):
    folder = write(tmp_path / "exports", spec, form, culture)
    evidence = fedaudit.load(str(folder), culture=culture if form == "text" else None, **load_kw)
    assert not [m for m in evidence.issues["message"] if "cannot" in str(m).lower()]
    return fedaudit.audit(evidence, AS_OF)


def verdict(result, domain: str) -> dict:
    rows = [r for r in result.verdicts.to_dict(orient="records") if r["domain"] == domain]
    assert rows, f"no verdict for {domain}"
    return rows[0]


def findings(result, check_id: str) -> list[dict]:
    return [r for r in result.findings.to_dict(orient="records") if r["id"] == check_id]


def assert_not_all_clear(result, domain: str, check_id: str, severity: str, *commands: str) -> dict:
    v = verdict(result, domain)
    assert v["action"] != "none", v["reason"]
    found = findings(result, check_id)
    assert found, [f["id"] for f in result.findings.to_dict(orient="records")]
    f = found[0]
    assert RANK[f["severity"]] >= RANK[severity], (f["severity"], f["title"])
    for command in commands:
        assert command in (f["remediation"] or ""), (command, f["remediation"])
    assert exit_code(result, "high") == 1
    return f


def adfs_estate(primary: bytes, secondary: bytes | None, *, entra: tuple[bytes | None, bytes | None],
                domains: tuple[str, ...] = ("contoso.com",), **props) -> Spec:
    certs = [AdfsCertificate(primary, "Token-Signing", True)]
    if secondary is not None:
        certs.append(AdfsCertificate(secondary, "Token-Signing", False))
    settings = [FederationSettings.for_adfs(d, FARM, entra[0], entra[1]) for d in domains]
    return Spec(AdfsProperties(host_name=FARM, **props), certs, settings,
                [Domain("contoso.onmicrosoft.com", "Managed", is_initial=True)] + [Domain(d) for d in domains])


# -- promotion overdue -----------------------------------------------------------------------


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_promotion_overdue_is_not_pair_ready(tmp_path, form, culture):
    """Default thresholds; secondary generated 17 days ago, never promoted; primary expires in 3 days."""
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(3 - 365), day(3))
    s, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-17), day(-17 + 365))
    result = judge(tmp_path, adfs_estate(p, s, entra=(p, s)), form, culture)
    f = assert_not_all_clear(result, "contoso.com", "rollover.promotion-overdue", "high",
                             f"Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint '{tp(s)}' -IsPrimary")
    assert "2026-11-15" in f["title"]  # generated 2026-11-10 + 5 days
    assert not findings(result, "rollover.pair-ready")
    v = verdict(result, "contoso.com")
    assert v["action"] == "renew-now"
    # the timeline carries the same promotion date, marked overdue
    promo = result.timeline[result.timeline["event"] == "projected_promotion"].iloc[0]
    assert promo["time"].date() == dt.date(2026, 11, 15) and "overdue" in promo["detail"]


def test_promotion_overdue_inside_critical_threshold_is_critical(tmp_path):
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(1 - 365), day(1))
    s, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-19), day(-19 + 365))
    result = judge(tmp_path, adfs_estate(p, s, entra=(p, s)), "json", "en-US")
    assert findings(result, "rollover.promotion-overdue")[0]["severity"] == "critical"


def test_pair_ready_while_promotion_ahead(tmp_path):
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(4 - 365), day(4))
    s, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-2), day(-2 + 365))
    result = judge(tmp_path, adfs_estate(p, s, entra=(p, s)), "json", "en-US")
    assert findings(result, "rollover.pair-ready") and not findings(result, "rollover.promotion-overdue")


# -- promotion before Entra polls ------------------------------------------------------------


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_promotion_before_entra_polls(tmp_path, form, culture):
    """CertificateGenerationThreshold 60: AD FS promotes 55 days before expiry, Entra polls from 35."""
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(57 - 365), day(57))
    s, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-3), day(-3 + 365))
    result = judge(tmp_path, adfs_estate(p, s, entra=(p, None), certificate_generation_threshold=60), form, culture)
    f = assert_not_all_clear(result, "contoso.com", "rollover.promotion-before-entra-polls", "critical",
                             "-NextSigningCertificate", tp(s)[:8])
    assert "2026-11-29" in f["title"] and "2026-12-19" in f["title"]  # promotion, and Entra's first poll
    sec = findings(result, "sync.secondary-not-in-entra")
    assert sec and sec[0]["severity"] == "high"
    assert "next poll should fetch it" not in sec[0]["detail"] or sec[0]["severity"] == "high"


# -- expired primary: emergency rotation ----------------------------------------------------


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_expired_primary_gets_the_emergency_rotation(tmp_path, form, culture):
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-367), day(-2))
    result = judge(tmp_path, adfs_estate(p, None, entra=(p, None)), form, culture)
    f = assert_not_all_clear(result, "contoso.com", "expiry.expired", "critical",
                             "Update-AdfsCertificate -CertificateType Token-Signing -Urgent", "-SigningCertificate $b64Primary")
    assert "-NextSigningCertificate" not in f["remediation"]
    assert verdict(result, "contoso.com")["action"] == "renew-now"


@pytest.mark.parametrize(("form", "culture"), [("text", "ja-JP"), ("json", "en-US")], ids=["text-ja-JP", "json"])
def test_expired_ca_issued_primary_promotes_the_renewed_certificate(tmp_path, form, culture):
    p, _ = cert("CN=fs.contoso.com token signing", day(-367), day(-2), issuer="CN=Contoso Issuing CA 01")
    s, _ = cert("CN=fs.contoso.com token signing", day(-30), day(700), issuer="CN=Contoso Issuing CA 01")
    spec = adfs_estate(p, s, entra=(p, s), auto_certificate_rollover=False)
    result = judge(tmp_path, spec, form, culture)
    f = assert_not_all_clear(result, "contoso.com", "expiry.expired", "critical",
                             f"$renewed = '{tp(s)}'",
                             "Set-AdfsCertificate -CertificateType Token-Signing -Thumbprint $renewed -IsPrimary",
                             "-SigningCertificate $b64Primary")
    assert "-Urgent" not in f["remediation"]


# -- an expired token-decrypting certificate ------------------------------------------------


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
@pytest.mark.parametrize("rollover", [True, False])
def test_expired_token_decrypting_is_high_and_branches_on_rollover(tmp_path, form, culture, rollover):
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-165), day(200))
    td, _ = cert("CN=ADFS Encryption - fs.contoso.com", day(-370), day(-5))
    spec = adfs_estate(p, None, entra=(p, None), auto_certificate_rollover=rollover)
    spec.certs.append(AdfsCertificate(td, "Token-Decrypting", True))
    result = judge(tmp_path, spec, form, culture)
    command = ("Update-AdfsCertificate -CertificateType Token-Decrypting" if rollover
               else "Add-AdfsCertificate -CertificateType Token-Decrypting")
    f = assert_not_all_clear(result, "contoso.com", "expiry.token-decrypting-expired", "high", command)
    if not rollover:  # the cmdlet acts only with rollover on: not offered as a command
        assert not [ln for ln in f["remediation"].splitlines() if ln.startswith("Update-AdfsCertificate")]


# -- days left on the wrong certificate, and the order of the verdicts ----------------------


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_entra_on_the_previous_certificate_has_no_days_left_and_comes_first(tmp_path, form, culture):
    new, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-14), day(351))
    old, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-359), day(6))
    domains = ("a-ok.com", "b-ok.com", "lagging.com")
    spec = adfs_estate(new, old, entra=(new, old), domains=domains)
    spec.settings[-1] = FederationSettings.for_adfs("lagging.com", FARM, old, None, multi_domain=True)
    spec.settings[0] = FederationSettings.for_adfs("a-ok.com", FARM, new, old, multi_domain=True)
    spec.settings[1] = FederationSettings.for_adfs("b-ok.com", FARM, new, old, multi_domain=True)
    result = judge(tmp_path, spec, form, culture)
    v = verdict(result, "lagging.com")
    assert v["days_left"] <= 0 and v["action"] == "update-entra"
    assert result.verdicts.iloc[0]["domain"] == "lagging.com"
    assert_not_all_clear(result, "lagging.com", "sync.primary-not-in-entra", "critical", "-SigningCertificate")
    # the CLI table keeps the frame's order
    from fedaudit.cli.check import render_table

    table = render_table(result, "high", 1)
    rows = [ln.split()[0] for ln in table.splitlines() if ln.startswith("  ") and ln.strip() and ln.split()[0].endswith(".com")]
    assert rows[0] == "lagging.com"


# -- identity providers other than AD FS -----------------------------------------------------

OKTA_ISSUER = "http://www.okta.com/exk1contoso"


def okta_settings(domain: str, signing: bytes, next_signing: bytes | None = None) -> FederationSettings:
    base = "https://contoso.okta.com/app/office365/exk1contoso/sso/wsfed"
    return FederationSettings(domain=domain, issuer_uri=OKTA_ISSUER, passive_sign_in_uri=f"{base}/passive",
                              active_sign_in_uri=f"{base}/active", sign_out_uri="https://contoso.okta.com/login/signout",
                              metadata_exchange_uri=None, signing_certificate=signing,
                              next_signing_certificate=next_signing, display_name="Okta")


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_okta_domain_names_no_ad_fs_command(tmp_path, form, culture):
    c, _ = cert("CN=Okta contoso", day(-345), day(20))
    spec = Spec(None, [], [okta_settings("contoso.com", c)], [Domain("contoso.com")])
    result = judge(tmp_path, spec, form, culture)
    assert set(result.evidence.domains["idp"].dropna()) == {"okta"}
    f = assert_not_all_clear(result, "contoso.com", "expiry.within-35-days", "high",
                             "Update-MgDomainFederationConfiguration", "Okta")
    v = verdict(result, "contoso.com")
    assert v["action"] == "renew-now" and "Okta" in v["reason"]
    everything = " ".join(str(x) for x in list(result.findings["remediation"]) + list(result.findings["detail"])
                          + [v["reason"], v["missing"]])
    for adfs_only in ("Get-AdfsProperties", "Get-AdfsCertificate", "AD FS server", "AD FS should have"):
        assert adfs_only not in everything
    assert "Domain-InternalFederation.ReadWrite.All" in f["remediation"]


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_idp_metadata_certificate_missing_from_entra(tmp_path, form, culture):
    c, slot = cert("CN=Okta contoso", day(-100), day(265))
    n, _ = cert("CN=Okta contoso next", day(-1), day(730))
    spec = Spec(None, [], [okta_settings("contoso.com", c)], [Domain("contoso.com")])
    folder = write(tmp_path / "exports", spec, form, culture)
    doc = federation_metadata(OKTA_ISSUER, "contoso.okta.com", [c, n], [], key=private_key(2048, slot))
    (folder / "okta-metadata.xml").write_bytes(doc)
    result = fedaudit.audit(fedaudit.load(str(folder), culture=culture if form == "text" else None), AS_OF)
    f = assert_not_all_clear(result, "contoso.com", "sync.idp-certificate-not-in-entra", "high",
                             "-NextSigningCertificate", tp(n))
    assert "Get-Adfs" not in f["remediation"]


# -- mixed IssuerUri forms on one farm ------------------------------------------------------


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_mixed_issuer_forms(tmp_path, form, culture):
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-165), day(200))
    spec = adfs_estate(p, None, entra=(p, None), domains=("contoso.com", "fabrikam.com"))
    spec.settings[1] = FederationSettings.for_adfs("fabrikam.com", FARM, p, None, multi_domain=True)
    result = judge(tmp_path, spec, form, culture)
    f = findings(result, "entra.issuer-forms-mixed")
    assert f and f[0]["severity"] == "warning" and f[0]["domain"] == "contoso.com"
    assert "AADSTS50107" in f[0]["detail"] and "fabrikam.com" in f[0]["detail"]
    assert "-IssuerUri 'http://contoso.com/adfs/services/trust/'" in f[0]["remediation"]
    assert verdict(result, "contoso.com")["action"] != "none"


# -- Entra's own poll status; a stale certificate Entra still accepts -----------------------


@pytest.mark.parametrize("result_value", ["noValidExistingCertFound", "noStsAuthUrlFound", "forbidden", "internalServerError"])
@pytest.mark.parametrize("form", ["graph-single", "graph-list"])
def test_each_update_result_has_its_own_meaning(tmp_path, result_value, form):
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-345), day(20))
    s = FederationSettings.for_adfs("contoso.com", FARM, p, None, update_result=result_value,
                                    update_last_run=AS_OF - dt.timedelta(hours=6))
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "adfs-properties.json").write_bytes(encode(WRITERS["Get-AdfsProperties", "json51"]([AdfsProperties(FARM)]), "utf-16le-bom"))
    (folder / "adfs-certificates.json").write_bytes(encode(WRITERS["Get-AdfsCertificate", "json51"]([AdfsCertificate(p)]), "utf-16le-bom"))
    (folder / "federation.json").write_text(WRITERS["Get-MgDomainFederationConfiguration", "graph"](
        [s], as_list=form == "graph-list", indent=form == "graph-single"), encoding="utf-8")
    result = fedaudit.audit(fedaudit.load(str(folder)), AS_OF)
    (f,) = findings(result, "entra.poll-failed")
    assert f["severity"] == "high" and result_value in f["detail"]
    if result_value != "forbidden":
        assert "could not read the federation metadata" not in f["detail"]
    if result_value == "noValidExistingCertFound":
        assert "SigningCertificate" in f["detail"] and "stopped" in f["detail"]
    if result_value == "noStsAuthUrlFound":
        assert "PassiveSignInUri" in f["remediation"]
    if result_value == "forbidden":
        assert "403" in f["detail"]


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_old_valid_certificate_still_in_entra_is_high(tmp_path, form, culture):
    new, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-10), day(355))
    old, _ = cert("CN=ADFS Signing - fs.contoso.com old", day(-200), day(165))  # rotated away, still valid
    result = judge(tmp_path, adfs_estate(new, None, entra=(new, old)), form, culture)
    f = assert_not_all_clear(result, "contoso.com", "sync.entra-stale-certificate", "high",
                             "Update-MgDomainFederationConfiguration", "-NextSigningCertificate")
    assert tp(old)[:8] in f["title"]


# -- the metadata endpoint's TLS certificate -------------------------------------------------


@pytest.mark.parametrize(("days_left", "severity"), [(5, "high"), (20, "warning")])
def test_metadata_tls_certificate_expiring(tmp_path, days_left, severity):
    p, slot = cert("CN=ADFS Signing - fs.contoso.com", day(-165), day(200))
    tls, _ = cert("CN=fs.contoso.com", day(-360), day(days_left), issuer="CN=Demo Public TLS CA")
    spec = adfs_estate(p, None, entra=(p, None))
    for form, culture in FORMS:
        folder = write(tmp_path / form, spec, form, culture)
        url = f"https://{FARM}/FederationMetadata/2007-06/FederationMetadata.xml"
        fetched = AS_OF - dt.timedelta(hours=3)
        body = federation_metadata(f"http://{FARM}/adfs/services/trust", FARM, [p], [], key=private_key(2048, slot))
        stem = fetch_stem(url, fetched)
        (folder / f"{stem}.xml").write_bytes(body)
        (folder / f"{stem}.fetch.json").write_text(
            fetch_sidecar(url, fetched, body=body, body_name=f"{stem}.xml", tls_certificate=tls), encoding="utf-8")
        result = fedaudit.audit(fedaudit.load(str(folder), culture=culture if form == "text" else None), AS_OF)
        (f,) = findings(result, "metadata.tls-expiring")
        assert f["severity"] == severity and FARM in f["remediation"]
        if severity == "high":
            assert verdict(result, "contoso.com")["action"] == "fix-metadata"


# -- no evidence at all ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["pem", "der"])
def test_folder_of_ca_certificates_fails(tmp_path, encoding, capsys):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from fedaudit.cli import main

    folder = tmp_path / "cas"
    folder.mkdir()
    for i in range(2):
        der, _ = cert(f"CN=Contoso Root CA {i}", day(-1000), day(3000))
        data = der if encoding == "der" else x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)
        (folder / f"root{i}.cer").write_bytes(data)
    code = main(["check", str(folder), "--as-of", "2026-11-27"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0].startswith("fedaudit check: as of 2026-11-27")
    assert "evidence.nothing-loaded" in out and "0 federated domain(s)" in out
    result = fedaudit.audit(fedaudit.load(str(folder)), AS_OF)
    assert findings(result, "evidence.nothing-loaded")[0]["severity"] == "high"


def test_report_counts_no_domain_for_empty_evidence():
    from fedaudit.reporting.context import ReportContext
    from fedaudit.reporting.sections import header

    result = fedaudit.audit(fedaudit.Evidence(), AS_OF)
    ctx = ReportContext(result=result, parameters={}, exit_code=exit_code(result, "high"))
    html = header(ctx).html if hasattr(header(ctx), "html") else str(header(ctx))
    assert "no federated domain is in the evidence" in html and "0 federated domains" in html
    assert "1 federated domain" not in html
    assert "as of 2026-11-27" in html


def test_unreachable_configured_metadata_url_is_a_finding():
    from fedaudit.evidence.join import Evidence
    from fedaudit.frames import make_frame

    ev = Evidence(metadata=make_frame("metadata", [{
        "origin": "fetch.json", "url": "https://127.0.0.1:9/federationmetadata/2007-06/federationmetadata.xml",
        "fetched_at": AS_OF, "reachable": False, "error": "connection refused"}]))
    result = fedaudit.audit(ev, AS_OF)
    ids = {f["id"] for f in result.findings.to_dict(orient="records")}
    assert {"metadata.unreachable", "evidence.nothing-loaded"} <= ids
    assert exit_code(result, "high") == 1


@pytest.mark.slow
def test_run_over_empty_exports_and_failed_fetch_shows_no_evidence(tmp_path, capsys):
    from fedaudit.cli import main

    (tmp_path / "exports" / "contoso").mkdir(parents=True)
    cfg = tmp_path / "fedaudit.toml"
    cfg.write_text('[output]\nroot = "audits"\n\n[[audit]]\nname = "contoso"\nexports = ["exports/contoso"]\n'
                   'metadata = ["https://127.0.0.1:9/federationmetadata/2007-06/federationmetadata.xml"]\n',
                   encoding="utf-8")
    code = main(["run", "--config", str(cfg), "--as-of", "2026-11-27", "--quiet"])
    assert code == 1
    index = (tmp_path / "audits" / "index.html").read_text(encoding="utf-8")
    assert "no evidence" in index and ">complete<" not in index


# -- evidence freshness ----------------------------------------------------------------------


@pytest.mark.parametrize(("form", "culture"), FORMS, ids=FORM_IDS)
def test_stale_collection_is_a_warning_and_findings_name_the_rollover_event(tmp_path, form, culture):
    """Collected 12 days before the as-of date; AD FS's generation date fell in between."""
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-355), day(10))
    spec = adfs_estate(p, None, entra=(p, None))
    folder = write(tmp_path / "exports", spec, form, culture)
    import hashlib

    started = AS_OF - dt.timedelta(days=12)
    files = [{"name": f.name, "size": f.stat().st_size, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
             for f in sorted(folder.iterdir())]
    (folder / "manifest.json").write_text(json.dumps({
        "fedaudit_collector": 1, "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "files": files, "problems": []}),
        encoding="utf-8")
    result = fedaudit.audit(fedaudit.load(str(folder), culture=culture if form == "text" else None), AS_OF)
    captured = {Path(i.path).name: (i.captured_at, i.captured_from) for i in result.evidence.inputs}
    assert captured["adfs-properties." + ("txt" if form == "text" else "json")] == (started, "collector manifest started")
    (stale,) = findings(result, "evidence.stale")
    assert stale["severity"] == "warning" and "12 days" in stale["title"]
    secondary = findings(result, "rollover.secondary-overdue")
    assert secondary and "captured on 2026-11-15" in secondary[0]["detail"]
    assert "generation of the next token-signing certificate (2026-11-17)" in secondary[0]["detail"]


def test_transcript_header_and_mtime_capture_times(tmp_path):
    import os

    from fedaudit.parse.captured import FROM_MTIME, FROM_TRANSCRIPT

    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-165), day(200))
    text = ("**********************\r\nWindows PowerShell transcript start\r\nStart time: 20261120101500\r\n"
            "Username: CONTOSO\\admin\r\n**********************\r\n"
            + with_prompt(WRITERS["Get-AdfsCertificate", "list"]([AdfsCertificate(p)]), "Get-AdfsCertificate"))
    (tmp_path / "transcript.txt").write_bytes(encode(text, "utf-8"))
    (tmp_path / "adfs-properties.json").write_bytes(encode(WRITERS["Get-AdfsProperties", "json51"]([AdfsProperties(FARM)]), "utf-16le-bom"))
    when = (AS_OF - dt.timedelta(days=3)).timestamp()
    os.utime(tmp_path / "adfs-properties.json", (when, when))
    inputs = {Path(i.path).name: i for i in fedaudit.load(str(tmp_path)).inputs}
    assert inputs["transcript.txt"].captured_at == dt.datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    assert inputs["transcript.txt"].captured_from == FROM_TRANSCRIPT
    assert inputs["adfs-properties.json"].captured_at == AS_OF - dt.timedelta(days=3)
    assert inputs["adfs-properties.json"].captured_from == FROM_MTIME


# -- exceptions and diffs that match nothing ------------------------------------------------


def test_exception_matching_nothing_is_one_stderr_line(tmp_path, capsys):
    from fedaudit.cli import main

    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-165), day(200))
    folder = write(tmp_path / "exports", adfs_estate(p, None, entra=(p, None)), "json", "en-US")
    exc = tmp_path / "exceptions.toml"
    exc.write_text('[[exception]]\ncheck = "sync.primary-not-in-entra"\ndomain = "gone.example.com"\n'
                   'justification = "migrated"\nowner = "id-team@contoso.com"\nexpires = 2027-01-31\n', encoding="utf-8")
    main(["check", str(folder), "--as-of", "2026-11-27", "--exceptions", str(exc)])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "match no finding" in err[0] and "gone.example.com" in err[0]


def test_diff_between_audits_needs_force(tmp_path):
    from fedaudit.errors import UsageError
    from fedaudit.ops import history

    db = tmp_path / "history.sqlite"
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-165), day(200))
    result = judge(tmp_path, adfs_estate(p, None, entra=(p, None)), "json", "en-US")
    ids = []
    for name in ("contoso", "fabrikam"):
        run_id = history.begin_run(db, name, as_of=AS_OF, started=AS_OF, fail_on="high", evidence_path=str(tmp_path))
        history.complete_run(db, run_id, result, finished=AS_OF, report_path=tmp_path / "r.html", exit_code=0)
        ids.append(run_id)
    with pytest.raises(UsageError, match="--force"):
        history.diff_runs(db, ids[0], ids[1])
    frames = history.diff_runs(db, ids[0], ids[1], force=True)
    assert "findings" in frames


def test_docs_checks_md_is_generated_from_the_registry():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs"))
    try:
        import make_checks_md
    finally:
        sys.path.pop(0)
    text = make_checks_md.DOC.read_text(encoding="utf-8")
    assert make_checks_md.render(text) == text, "run: .venv/bin/python docs/make_checks_md.py"


def test_okta_domain_with_next_certificate_in_entra_is_planned_not_urgent(tmp_path):
    c, _ = cert("CN=Okta contoso", day(-345), day(20))
    n, _ = cert("CN=Okta contoso next", day(-5), day(360))
    spec = Spec(None, [], [okta_settings("contoso.com", c, n)], [Domain("contoso.com")])
    result = judge(tmp_path, spec, "json", "en-US")
    v = verdict(result, "contoso.com")
    assert v["action"] == "plan-renewal" and "already holds the next one" in v["reason"]
    assert not findings(result, "expiry.within-35-days")


def test_promotion_is_never_later_than_the_critical_threshold(tmp_path):
    """CertificatePromotionThreshold 30 after a 20-day generation: AD FS promotes at the critical
    threshold (2 days before expiry), and the timeline says so."""
    p, _ = cert("CN=ADFS Signing - fs.contoso.com", day(10 - 365), day(10))
    s, _ = cert("CN=ADFS Signing - fs.contoso.com", day(-10), day(355))
    result = judge(tmp_path, adfs_estate(p, s, entra=(p, s), certificate_promotion_threshold=30), "json", "en-US")
    promo = result.timeline[result.timeline["event"] == "projected_promotion"].iloc[0]
    assert promo["time"] == result.timeline[result.timeline["event"] == "critical_threshold"].iloc[0]["time"]
    assert not findings(result, "rollover.promotion-overdue")
