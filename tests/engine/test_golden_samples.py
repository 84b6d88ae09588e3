"""Golden tests over the demo estate in data/samples: the verdict and the finding ids per federated
domain, reviewed by hand against the scenarios of data/samples/README.md (explained in its section
"Expected verdicts (golden tests)"). A change here is a change of judgement: review it the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import fedaudit
from fedaudit.engine.core import exit_code

SAMPLES = Path(__file__).parent.parent.parent / "data" / "samples"
pytestmark = pytest.mark.skipif(not (SAMPLES / "README.md").exists(), reason="data/samples not generated")


def _as_of() -> str:
    m = re.search(r"^As-of date: *([0-9-]{10})", (SAMPLES / "README.md").read_text(encoding="utf-8"), re.M)
    assert m, "data/samples/README.md has no 'As-of date:' line"
    return m.group(1)


@pytest.fixture(scope="module")
def result():
    return fedaudit.audit(fedaudit.load(str(SAMPLES)), _as_of())


# domain: (scenario, rollover, in sync, metadata public, days left (approx.), action)
VERDICTS = {
    "contoso.com": ("a", True, True, True, 174.3, "none"),
    "tailspintoys.com": ("b", True, False, False, 12.3, "renew-now"),
    "woodgrovebank.com": ("c", False, True, None, 28.4, "renew-now"),
    "fabrikam.com": ("d", True, True, True, 4.7, "none"),
    "litware.com": ("e", True, True, True, 351.5, "none"),
    "litware.de": ("e", True, True, True, 351.5, "none"),
    # days left 0 (was 351.5): Entra lacks the certificate AD FS signs with, so sign-in is broken now (issue 10)
    "litware.co.uk": ("e, g", True, False, True, 0.0, "update-entra"),
    "contosolabs.com": ("h", None, None, None, None, "insufficient-evidence"),
    "adventure-works.com": ("i", True, True, True, 30.2, "plan-renewal"),
    "proseware.com": ("k", True, True, False, 32.8, "fix-metadata"),
    "wingtiptoys.com": ("l", False, True, True, 150.6, "enable-rollover"),
}

# domain: finding ids that stand for it (its own and its farm's), all severities
FINDINGS = {
    "contoso.com": {"rollover.forecast"},
    "tailspintoys.com": {
        "sync.secondary-not-in-entra", "expiry.within-15-days", "metadata.unreachable", "entra.poll-failed",
        "rollover.forecast",
    },
    "woodgrovebank.com": {"expiry.manual-renewal-due", "adfs.ca-issued-manual-path", "evidence.metadata-missing"},
    "fabrikam.com": {"rollover.pair-ready", "rollover.forecast"},
    "litware.com": {"rollover.forecast"},
    "litware.de": {"rollover.forecast"},
    "litware.co.uk": {"sync.primary-not-in-entra", "rollover.forecast"},
    "contosolabs.com": {"evidence.entra-settings-missing", "evidence.farm-unknown"},
    "adventure-works.com": {
        "crypto.weak-key", "crypto.sha1-signature", "expiry.within-35-days", "entra.poll-no-new-certificate",
        "rollover.forecast",
    },
    "proseware.com": {
        "metadata.unreachable", "entra.poll-failed", "expiry.within-35-days", "expiry.token-decrypting-within-35-days",
        "rollover.forecast",
    },
    "wingtiptoys.com": {"adfs.auto-rollover-disabled"},
}


def _na(v):
    return None if v is pd.NA or (isinstance(v, float) and v != v) else v


def test_one_verdict_per_federated_domain(result):
    assert sorted(result.verdicts["domain"].dropna()) == sorted(VERDICTS)
    assert len(result.verdicts) == len(VERDICTS)  # every farm has a federated domain


@pytest.mark.parametrize("domain", sorted(VERDICTS))
def test_verdict(result, domain):
    scenario, rollover, in_sync, public, days, action = VERDICTS[domain]
    row = result.verdicts.set_index("domain").loc[domain]
    assert row["action"] == action, (scenario, row["reason"])
    assert _na(row["auto_certificate_rollover"]) == rollover
    assert _na(row["in_sync"]) == in_sync
    assert _na(row["metadata_public"]) == public
    if days is None:
        assert _na(row["days_left"]) is None
    else:
        assert row["days_left"] == pytest.approx(days, abs=0.1)


@pytest.mark.parametrize("domain", sorted(FINDINGS))
def test_findings_per_domain(result, domain):
    f = result.findings
    farm = result.verdicts.set_index("domain").loc[domain, "farm"]
    mine = f[(f["domain"] == domain) | (f["domain"].isna() & f["farm"].notna() & (f["farm"] == farm))]
    assert set(mine["id"]) == FINDINGS[domain]


def test_evidence_level_findings(result):
    f = result.findings
    loose = f[f["domain"].isna() & f["farm"].isna()]
    assert list(loose["id"]) == ["evidence.load-issue", "evidence.load-issue"]  # scenario j + Graph FL type name
    assert set(loose["severity"].astype(str)) == {"warning", "info"}
    assert any("tailspintoys.com-federationConfiguration (2).json" in str(o) for o in result.issues["origin"])


def test_no_none_verdict_has_a_serious_finding(result):
    f = result.findings
    for row in result.verdicts.itertuples(index=False):
        if row.action != "none":
            continue
        mine = f[(f["domain"] == row.domain) | (f["domain"].isna() & (f["farm"] == row.farm))]
        assert not set(mine["severity"].astype(str)) & {"critical", "high"}


# (finding id, domain or farm): the commands its remediation runs, in order (issue 11: Microsoft
# Graph PowerShell, no MSOnline; the Entra Connect task only for self-signed farms). One line per
# remediation: a change here is a change of what administrators are told to run.
_PLUMBING = {"Where-Object", "ForEach-Object", "Select-Object", "ConvertTo-Json", "Out-File", "Write-Warning",
             "Write-Host", "Format-List", "Export-Clixml"}
REMEDIATIONS = {
    ('adfs.auto-rollover-disabled', 'fs.wingtiptoys.com'): ('Set-AdfsProperties',),
    ('adfs.ca-issued-manual-path', 'adfs.woodgrovebank.com'): ('Add-AdfsCertificate', 'Set-AdfsCertificate', 'Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration'),
    ('crypto.sha1-signature', 'adfs.adventure-works.com'): ('Update-AdfsCertificate',),
    ('crypto.weak-key', 'adfs.adventure-works.com'): ('Update-AdfsCertificate',),
    ('entra.poll-failed', 'proseware.com'): ('fedaudit', 'Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration', '[Entra Connect: Reset Microsoft Entra ID trust]'),
    ('entra.poll-failed', 'tailspintoys.com'): ('fedaudit', 'Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration', '[Entra Connect: Reset Microsoft Entra ID trust]'),
    ('evidence.entra-settings-missing', 'contosolabs.com'): ('Connect-MgGraph', 'Get-MgDomainFederationConfiguration'),
    ('evidence.farm-unknown', 'contosolabs.com'): ('Get-AdfsProperties', 'Get-AdfsCertificate'),
    ('evidence.load-issue', ''): (),
    ('evidence.metadata-missing', 'adfs.woodgrovebank.com'): ('fedaudit',),
    ('expiry.manual-renewal-due', 'adfs.woodgrovebank.com'): ('Add-AdfsCertificate', 'Set-AdfsCertificate', 'Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration'),
    ('expiry.token-decrypting-within-35-days', 'fs.proseware.com'): ('Update-AdfsCertificate',),
    ('expiry.within-15-days', 'sts.tailspintoys.com'): ('Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration', '[Entra Connect: Reset Microsoft Entra ID trust]'),
    ('expiry.within-35-days', 'adfs.adventure-works.com'): ('Update-AdfsCertificate', 'Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration', '[Entra Connect: Reset Microsoft Entra ID trust]'),
    ('expiry.within-35-days', 'fs.proseware.com'): ('Update-AdfsCertificate', 'Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration', '[Entra Connect: Reset Microsoft Entra ID trust]'),
    ('metadata.unreachable', 'fs.proseware.com'): ('fedaudit',),
    ('metadata.unreachable', 'sts.tailspintoys.com'): ('fedaudit',),
    ('sync.primary-not-in-entra', 'litware.co.uk'): ('Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration', '[Entra Connect: Reset Microsoft Entra ID trust]'),
    ('sync.secondary-not-in-entra', 'tailspintoys.com'): ('Get-AdfsCertificate', 'Connect-MgGraph', 'Get-MgDomainFederationConfiguration', 'Update-MgDomainFederationConfiguration', '[Entra Connect: Reset Microsoft Entra ID trust]'),
}


def test_remediation_commands_per_finding(result):
    from support.pscheck import commands, parse

    got = {}
    for _, f in result.findings.iterrows():
        rem = f["remediation"]
        if not isinstance(rem, str) or not rem:
            continue
        names: list[str] = []
        for _, n, _ in commands(parse(rem)):
            if not n.startswith("$") and n not in _PLUMBING and n not in names:
                names.append(n)
        if "Reset Microsoft Entra ID trust" in rem:
            names.append("[Entra Connect: Reset Microsoft Entra ID trust]")
        key = (f["id"], f["domain"] if isinstance(f["domain"], str) else (f["farm"] if isinstance(f["farm"], str) else ""))
        got[key] = tuple(names)
    assert got == REMEDIATIONS


def test_remediation_names_every_litware_domain(result):
    f = result.findings
    (rem,) = f[f["id"] == "sync.primary-not-in-entra"]["remediation"]
    assert "$domains = @('litware.co.uk', 'litware.com', 'litware.de')" in rem
    assert "Where-Object { $_.Thumbprint -eq '0FB438AB33132CEEF82806EC351811BEF91518BC' }" in rem  # the AD FS primary
    assert "-SigningCertificate $b64Primary" in rem


def test_exit_code(result):
    assert exit_code(result, "critical") == 1  # litware.co.uk
    assert exit_code(result, "none") == 0


def test_notification_triage_scenario_i():
    """Scenario i: Entra's poll found no new certificate for adventure-works.com; a renewal e-mail
    on 2026-11-26 needed no action for token signing (rollover on, metadata public, AD FS generates
    the next certificate 20 days before expiry)."""
    r = fedaudit.audit(fedaudit.load(str(SAMPLES)), _as_of(), notification_date="2026-11-26")
    f = r.findings
    triage = dict(zip(f[f["id"].str.startswith("notification.")]["domain"], f[f["id"].str.startswith("notification.")]["id"]))
    assert triage["adventure-works.com"] == "notification.no-action-needed"
    assert triage["woodgrovebank.com"] == "notification.action-needed"  # rollover off, 29 days left
    assert triage["proseware.com"] == "notification.action-needed"  # metadata not reachable
    assert triage["contosolabs.com"] == "notification.undetermined"


def test_readme_days_left_are_what_the_tool_prints(result) -> None:
    """data/samples/README.md's expected-verdicts table states days left as the verdict tables
    print them (fedaudit.engine.verdict.days_left_text), never rounded another way."""
    from fedaudit.engine.verdict import days_left_text

    text = (SAMPLES / "README.md").read_text(encoding="utf-8")
    section = text.split("## Expected verdicts", 1)[1]
    printed = {str(d): days_left_text(v) for d, v in zip(result.verdicts["domain"], result.verdicts["days_left"])}
    checked = 0
    for m in re.finditer(r"^\| ([a-z0-9., -]+?) \([a-z, ]+\) \| [^|]*? / [^|]*? / [^|]*? / \**([0-9.,]+)\**", section, re.M):
        for domain in m.group(1).split(", "):
            assert printed[domain] == m.group(2), (domain, m.group(2), printed[domain])
            checked += 1
    assert checked >= 9
