"""Sync checks (runbook Step 2): AD FS primary/secondary against Entra's two certificates."""

from __future__ import annotations

import re

import pytest
from _evidence_builder import AS_OF, Estate, assert_well_formed, findings_of

from fedaudit import audit

FARM = "fs.contoso.com"


def _estate(*, entra=("p",), secondary=False, domains=("contoso.com",), entra_next=None):
    """AD FS primary p (and secondary s); Entra holds the named certificates ('p', 's', 'old')."""
    est = Estate()
    certs = {"p": est.cert("p", days=200), "s": est.cert("s", days=560, lifetime=365), "old": est.cert("old", days=-160)}
    est.farm(FARM)
    est.adfs(FARM, certs["p"])
    if secondary:
        est.adfs(FARM, certs["s"], slot="secondary")
    for d in domains:
        held = entra if isinstance(entra, tuple) else entra.get(d, ("p",))
        est.domain(d, farm=FARM, signing=certs[held[0]] if held else None,
                   next=certs[held[1]] if len(held) > 1 else None, issuer_uri=f"http://{d}/adfs/services/trust/"
                   if len(domains) > 1 else None)
    est.fetch(FARM, listed=[certs["p"]] + ([certs["s"]] if secondary else []), signer=certs["p"])
    return est, certs


OKTA_ISSUER = "http://www.okta.com/exk1contoso"


def _okta(*, metadata_lists_new=True):
    """contoso.com federated with Okta; Okta's own metadata (loaded) lists a new certificate."""
    est = Estate()
    cur, new = est.cert("okta-current", days=90), est.cert("okta-next", days=450)
    est.domain("contoso.com", signing=cur, issuer_uri=OKTA_ISSUER, idp="okta",
               passive="https://contoso.okta.com/app/office365/exk1contoso/sso/wsfed/passive")
    est.fetch(None, url="https://contoso.okta.com/app/exk1contoso/sso/saml/metadata", entity_id=OKTA_ISSUER,
              listed=[cur, new] if metadata_lists_new else [cur], signer=None, signature="absent")
    return est.evidence()


CASES = {
    "sync.idp-certificate-not-in-entra": (_okta, lambda: _okta(metadata_lists_new=False)),
    "sync.primary-not-in-entra": (
        lambda: _estate(entra=("old",))[0].evidence(),
        lambda: _estate(entra=("old", "p"))[0].evidence(),  # Entra accepts its NextSigningCertificate too
    ),
    "sync.secondary-not-in-entra": (
        lambda: _estate(entra=("p",), secondary=True)[0].evidence(),
        lambda: _estate(entra=("p", "s"), secondary=True)[0].evidence(),
    ),
    "sync.entra-stale-certificate": (
        lambda: _estate(entra=("p", "old"))[0].evidence(),
        lambda: _estate(entra=("p",))[0].evidence(),
    ),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_positive(check_id):
    ev = CASES[check_id][0]()
    found = findings_of(check_id, ev)
    assert [f.id for f in found] == [check_id]
    assert found[0].domain == "contoso.com"
    assert found[0].farm == (None if check_id == "sync.idp-certificate-not-in-entra" else FARM)
    assert_well_formed(found, ev)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_negative(check_id):
    assert findings_of(check_id, CASES[check_id][1]()) == []


def test_primary_missing_evidence_names_both_sides():
    est, certs = _estate(entra=("old",))
    (f,) = findings_of("sync.primary-not-in-entra", est.evidence())
    facts = {(e["fact"], e["value"]) for e in f.evidence}
    assert ("AD FS primary thumbprint", certs["p"].thumbprint) in facts
    assert ("Entra SigningCertificate thumbprint", certs["old"].thumbprint) in facts
    assert all(e["origin"] for e in f.evidence)
    assert f.severity == "critical"


UPD = "Update-MgDomainFederationConfiguration -DomainId $d -InternalDomainFederationId $fed.Id"


def test_remediation_covers_every_federated_domain_of_the_farm():
    domains = ("contoso.com", "fabrikam.com", "sub.contoso.com")
    est, certs = _estate(entra={"contoso.com": ("p",), "fabrikam.com": ("old",), "sub.contoso.com": ("p",)},
                         domains=domains)
    (f,) = findings_of("sync.primary-not-in-entra", est.evidence())
    assert f.domain == "fabrikam.com"
    # Graph, once for the farm: every federated domain in one loop, the primary exported by thumbprint
    assert "$domains = @('contoso.com', 'fabrikam.com', 'sub.contoso.com')" in f.remediation
    assert "foreach ($d in $domains) {" in f.remediation
    assert f"Where-Object {{ $_.Thumbprint -eq '{certs['p'].thumbprint}' }}" in f.remediation
    assert "if (-not $c[0].IsPrimary)" in f.remediation
    assert "Connect-MgGraph -Scopes 'Domain-InternalFederation.ReadWrite.All'" in f.remediation
    # no secondary: the primary goes to SigningCertificate only where neither slot holds it
    assert ("if ($fed.SigningCertificate -ne $b64Primary -and $fed.NextSigningCertificate -ne $b64Primary) "
            f"{{ {UPD} -SigningCertificate $b64Primary }}") in f.remediation
    # MSOnline is retired: at most a comment says so; the documented errors are not repeated
    code = [ln for ln in f.remediation.splitlines() if not ln.lstrip().startswith("#")]
    assert not any("Msol" in ln for ln in code)
    assert "-DomainName" not in "\n".join(ln for ln in code if "Update-MgDomain" in ln)
    assert "-SupportMultipleDomain" not in "\n".join(code)
    assert "Where-Object { -not $_.IsPrimary }" not in f.remediation
    # self-signed farm: the Entra Connect task, with its name and caveats
    assert "Configure > Manage federation > Reset Microsoft Entra ID trust" in f.remediation
    assert "self-signed certificates only" in f.remediation and "2.4.18.0" in f.remediation


def test_ca_issued_farm_gets_no_entra_connect_reset():
    est = Estate()
    ca = est.cert("ca", days=200, issuer="CN=Contoso Issuing CA")
    est.farm(FARM)
    est.adfs(FARM, ca)
    est.domain("contoso.com", farm=FARM, signing=est.cert("old", days=-160))
    (f,) = findings_of("sync.primary-not-in-entra", est.evidence())
    assert "Reset Microsoft Entra ID trust" not in f.remediation


def test_secondary_goes_to_the_slot_that_does_not_hold_the_primary():
    est, certs = _estate(entra=("p",), secondary=True)
    (f,) = findings_of("sync.secondary-not-in-entra", est.evidence())
    rem = f.remediation
    assert f"Where-Object {{ $_.Thumbprint -eq '{certs['s'].thumbprint}' }}" in rem
    # decided per domain from what Entra ID holds when the block runs: the primary's slot is kept
    assert f"if ($fed.SigningCertificate -eq $b64Primary) {{ {UPD} -NextSigningCertificate $b64Next }}" in rem
    assert f"elseif ($fed.NextSigningCertificate -eq $b64Primary) {{ {UPD} -SigningCertificate $b64Next }}" in rem
    assert f"else {{ {UPD} -SigningCertificate $b64Primary -NextSigningCertificate $b64Next }}" in rem


def test_federation_id_is_read_from_graph_at_run_time():
    est, certs = _estate(entra=("old",))
    est.domains[-1]["federation_id"] = "6601d14b-d113-8f64-fda2-9b5ddda18ecc"
    (f,) = findings_of("sync.primary-not-in-entra", est.evidence())
    assert "$fed = @(Get-MgDomainFederationConfiguration -DomainId $d)" in f.remediation
    assert "-InternalDomainFederationId $fed.Id" in f.remediation


def test_a_thousand_domains_loop_from_graph_in_constant_text():
    """Issue 13: beyond LIST_LIMIT domains the block lists the farm's domains from Graph, scoped
    to the farm's sign-in host, so a finding's text does not grow with the domains."""
    from fedaudit.checks.remediation import LIST_LIMIT

    sizes = {}
    for n in (LIST_LIMIT + 1, 200):
        domains = tuple(f"d{i}.example" for i in range(n))
        est, _ = _estate(entra={d: ("old",) if d == "d0.example" else ("p",) for d in domains}, domains=domains)
        (f,) = [x for x in findings_of("sync.primary-not-in-entra", est.evidence()) if x.domain == "d0.example"]
        assert "d1.example" not in f.remediation
        assert "Get-MgDomain -All" in f.remediation
        assert "if (([uri]$fed.PassiveSignInUri).Host -ne 'fs.contoso.com') { continue }" in f.remediation
        assert "Connect-MgGraph -Scopes 'Domain.Read.All', 'Domain-InternalFederation.ReadWrite.All'" in f.remediation
        sizes[n] = len(re.sub(r"\(\d+ in the evidence", "", f.remediation))
    assert sizes[LIST_LIMIT + 1] == sizes[200]


def test_msonline_federation_property_records_alone():
    """Get-MsolFederationProperty: the 'ADFS Server' record (AD FS view, per domain) against the
    'Microsoft Office 365' record, with no Get-AdfsCertificate export and no farm named."""
    est = Estate()
    adfs = est.cert("adfs", days=300)
    stale = est.cert("o365", days=5)
    est.adfs(None, adfs, domain="contoso.com", origin="fedprop.txt")
    est.domain("contoso.com", signing=stale, origin="fedprop.txt")
    ev = est.evidence()
    (f,) = findings_of("sync.primary-not-in-entra", ev)
    assert f.domain == "contoso.com" and adfs.thumbprint in f.detail
    est2 = Estate()
    est2.adfs(None, adfs, domain="contoso.com", origin="fedprop.txt")
    est2.domain("contoso.com", signing=adfs, origin="fedprop.txt")
    assert findings_of("sync.primary-not-in-entra", est2.evidence()) == []
    row = audit(est2.evidence(), AS_OF).verdicts.iloc[0]
    assert bool(row["in_sync"]) is True


def test_conflicting_entra_exports_make_sync_unknown_not_a_pass_or_an_alarm():
    est, certs = _estate(entra=("p",))
    # a second export of the same domain, taken earlier, shows the old certificate
    est.domain("contoso.com", farm=FARM, signing=certs["old"], authentication=None, origin="old-export.json")
    ev = est.evidence()
    assert findings_of("sync.primary-not-in-entra", ev) == []
    assert [f.id for f in findings_of("evidence.conflicting-exports", ev)] == ["evidence.conflicting-exports"]
    row = audit(ev, AS_OF).verdicts.iloc[0]
    assert row["in_sync"] is pd_na() and row["action"] == "insufficient-evidence"


def test_primary_missing_from_every_export_is_certain_despite_conflict():
    est, certs = _estate(entra=("old",))
    other = est.cert("other", days=-100)
    est.domain("contoso.com", farm=FARM, signing=other, authentication=None, origin="old-export.json")
    assert [f.id for f in findings_of("sync.primary-not-in-entra", est.evidence())] == ["sync.primary-not-in-entra"]


def pd_na():
    import pandas as pd

    return pd.NA


def test_fresh_secondary_with_public_metadata_is_only_a_warning():
    est = Estate()
    p = est.cert("p", days=19)
    s = est.cert("s", days=365 + 0.5, lifetime=365)  # generated half a day ago
    est.farm(FARM).adfs(FARM, p).adfs(FARM, s, slot="secondary")
    est.domain("contoso.com", farm=FARM, signing=p)
    est.fetch(FARM, listed=[p, s], signer=p)
    (f,) = findings_of("sync.secondary-not-in-entra", est.evidence())
    assert f.severity == "warning"
