"""Every remediation block fedaudit prints is PowerShell that runs as written (issue 11).

Checked with the tree-sitter-powershell grammar (tests/support/pscheck.py): no syntax error, no ``<``
placeholder outside a string, no retired MSOnline/AzureAD cmdlet, every Graph write preceded by
``Connect-MgGraph -Scopes Domain-InternalFederation.ReadWrite.All``, every ``fedaudit fetch`` with
``--out``. Over the findings of the demo estate, the shipped example and collector exports, the
format fixtures, a thousand-domain farm and a hostile estate, and, in the last test of the run,
over every remediation any test of the session built (conftest.py records them), so checks added
later are covered without being listed here. The collector script is parsed the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from _evidence_builder import AS_OF, Estate
from support.pscheck import REMEDIATIONS, fetches, graph_writes, parse, problems

import fedaudit
from fedaudit.checks import remediation as rm

ROOT = Path(__file__).parent.parent.parent
SAMPLES = ROOT / "data" / "samples"
COLLECTOR = ROOT / "collect" / "Collect-FedauditEvidence.ps1"


def _as_of(folder: Path) -> str:
    m = re.search(r"^As-of date: *([0-9-]{10})", (folder / "README.md").read_text(encoding="utf-8"), re.M)
    return m.group(1) if m else "2026-11-27"


def _folders() -> dict[str, tuple[Path, str]]:
    out = {}
    if (SAMPLES / "README.md").exists():
        out["demo"] = (SAMPLES, _as_of(SAMPLES))
    for sub in sorted((ROOT / "tests" / "data" / "collector").glob("*/")):
        out[f"collector/{sub.name}"] = (sub, "2026-11-27")
    for base in (ROOT / "examples" / "exports", ROOT / "tests" / "data" / "formats"):
        if base.exists():
            out[str(base.relative_to(ROOT))] = (base, "2026-11-27")
    return out


def _hostile() -> Estate:
    """Names and values an attacker controls: quotes, newlines, $() and backticks in farm and
    domain names, a federation Id that is not a GUID."""
    est = Estate()
    p = est.cert("p", days=3)
    old = est.cert("old", days=-100)
    farm = "fs.evil.example'; Remove-Item C:\\ -Recurse; '\nRemove-Item C:\\"
    est.farm(farm)
    est.adfs(farm, p)
    for d in ("ok.example", "bad'$(Remove-Item C:\\).example", "nl.example\nRemove-Item C:\\", "tick`.example"):
        est.domain(
            d,
            farm=farm,
            signing=old,
            update_result="couldNotAccessRemoteHost",
            update_last_run=AS_OF - dt.timedelta(days=1),
        )
    est.domains[-1]["federation_id"] = "'; Remove-Item C:\\; '"
    est.fetch(farm, reachable=False, url="https://fs.evil.example/x'$(Remove-Item C:\\)")
    return est


def _big_farm(n: int = rm.LIST_LIMIT + 5) -> Estate:
    est = Estate()
    p, s, old = est.cert("p", days=20), est.cert("s", days=400), est.cert("old", days=-10)
    est.farm("fs.big.example")
    est.adfs("fs.big.example", p)
    est.adfs("fs.big.example", s, slot="secondary")
    for i in range(n):
        est.domain(f"d{i}.big.example", farm="fs.big.example", signing=old if i == 0 else p)
    return est


def _results() -> dict[str, object]:
    out: dict[str, object] = {}
    for name, (folder, as_of) in _folders().items():
        out[name] = fedaudit.audit(fedaudit.load(str(folder)), as_of)
    for name, est in (("hostile", _hostile()), ("big-farm", _big_farm())):
        out[name] = fedaudit.audit(est.evidence(), AS_OF)
    return out


@pytest.fixture(scope="module")
def results():
    return _results()


def _blocks(results) -> list[tuple[str, str, str]]:
    rows = []
    for name, r in results.items():
        for _, f in r.findings.iterrows():
            if isinstance(f["remediation"], str) and f["remediation"]:
                rows.append((name, str(f["id"]), f["remediation"]))
    return rows


def test_the_estates_produce_remediations(results):
    blocks = _blocks(results)
    wanted = {"demo", "hostile", "big-farm"} if "demo" in results else {"hostile", "big-farm"}
    assert {name for name, _, _ in blocks} >= wanted
    assert sum(graph_writes(b) for _, _, b in blocks) > 0
    assert sum(fetches(b) for _, _, b in blocks) > 0


def test_every_remediation_block_is_valid_powershell(results):
    bad = []
    for name, fid, block in _blocks(results):
        for p in problems(block):
            bad.append(f"{name} {fid}: {p}")
    assert not bad, "\n".join(bad[:40])


def test_verdicts_name_complete_commands(results):
    """The verdicts' missing-evidence text: fetch with --out, no retired cmdlet."""
    bad = []
    for name, r in results.items():
        for text in r.verdicts["missing"].dropna():
            for part in str(text).split("; "):
                if "fedaudit fetch" in part and "--out" not in part:
                    bad.append(f"{name}: {part}")
                if re.search(r"\b(?:Get|Set|Update|Connect)-Msol", part):
                    bad.append(f"{name}: {part}")
    assert not bad, "\n".join(bad[:20])


def test_hostile_values_never_reach_a_command(results):
    r = results["hostile"]
    for _, f in r.findings.iterrows():
        block = f["remediation"]
        if not isinstance(block, str):
            continue
        assert not problems(block), (f["id"], block)
        for line in block.splitlines():
            if line.lstrip().startswith("#"):
                continue
            assert "Remove-Item" not in line, (f["id"], line)
    pushes = [b for _, fid, b in _blocks({"hostile": r}) if "foreach ($d in $domains)" in b]
    assert pushes and all("$domains = @('ok.example')" in b for b in pushes)


def test_big_farm_loops_over_graph_not_a_list(results):
    blocks = [b for _, fid, b in _blocks({"big": results["big-farm"]}) if "foreach ($d in $domains)" in b]
    assert blocks and len(set(blocks)) == 1  # every finding of the farm carries the same block
    for b in blocks:
        assert not re.findall(r"d\d+\.big\.example", b)  # no domain list: the loop asks Graph
        assert "Get-MgDomain -All" in b and "'fs.big.example'" in b


def test_collector_script_is_valid_powershell():
    text = COLLECTOR.read_text(encoding="utf-8-sig")
    tree = parse(text)
    errors = [n for n in _errors(tree.root_node)]
    assert not errors, [(e.start_point[0] + 1, (e.text or b"")[:80]) for e in errors]
    # MSOnline only inside the legacy "if ($Msol) { ... }" block, which runs only when asked for
    lines = text.splitlines()
    start = max(i for i, ln in enumerate(lines) if ln == "if ($Msol) {") + 1
    end = start + lines[start:].index("}") + 1
    retired = [int(re.search(r"at line (\d+)", p).group(1)) for p in problems(text) if "retired" in p]
    assert retired and all(start < n <= end for n in retired), (start, end, retired)
    assert "if (-not ($Adfs -or $Graph -or $Msol)) {" in text and "$Graph = [switch]$true" in text  # Graph by default


def _errors(node):
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            yield n
        stack.extend(n.children)


def test_checker_catches_what_it_must():
    """The checker is not a test that cannot fail."""
    assert problems("Update-MsolFederatedDomain -DomainName contoso.com")
    assert problems("Update-MgDomainFederationConfiguration -DomainId 'a' -InternalDomainFederationId 'b'")
    assert problems(
        "Connect-MgGraph -Scopes 'Domain.ReadWrite.All'\nUpdate-MgDomainFederationConfiguration -DomainId 'a'"
    )
    assert problems("fedaudit fetch https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml")
    assert problems("Add-AdfsCertificate -CertificateType Token-Signing -Thumbprint <thumbprint>")
    assert problems("if ($x) { Get-Foo")
    assert problems("Get-Foo | Select-Object Id, Name") == problems("Get-Foo | Select-Object Id, Name")
    assert not problems(
        "# Update-MsolFederatedDomain was retired\n"
        "Connect-MgGraph -Scopes 'Domain-InternalFederation.ReadWrite.All'\n"
        "Update-MgDomainFederationConfiguration -DomainId 'a' -InternalDomainFederationId $fed.Id"
    )


def test_every_remediation_block_the_session_built():
    """Runs last (conftest.py): every remediation any test of this run made, whatever its check."""
    assert REMEDIATIONS, "conftest.py recorded no remediation: is the Finding hook installed?"
    bad = []
    for block, fid in REMEDIATIONS.items():
        for p in problems(block):
            bad.append(f"{fid}: {p}\n    {block[:200]!r}")
    assert not bad, f"{len(bad)} problems in {len(REMEDIATIONS)} blocks:\n" + "\n".join(bad[:30])
