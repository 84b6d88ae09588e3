"""What collect/Collect-FedauditEvidence.ps1 writes is what fedaudit reads.

PowerShell is not available to the test suite, so the check has two halves:
* the fixtures in tests/data/collector/ are the script's output shape, byte for byte
  (make_collector_fixtures.py, SOURCES.md), and fedaudit.load reads them with the expected values;
* the script's text is parsed to show that it writes exactly those file names and keys.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import fedaudit

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "collect" / "Collect-FedauditEvidence.ps1"
DATA = ROOT / "tests" / "data" / "collector"
ADFS = DATA / "fedaudit-evidence-20261127T061500Z-ADFS01"
GRAPH = DATA / "fedaudit-evidence-20261127T063000Z-ADMIN-WS"
MSOL = DATA / "msol" / "fedaudit-evidence-20261127T062000Z-ADFS01"
TP = json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


def values(frame: pd.DataFrame, columns: list[str]) -> list[list[object]]:
    sub = frame[columns].astype(object)
    return sub.where(sub.notna(), None).values.tolist()


@pytest.fixture(scope="module")
def evidence():
    return fedaudit.load(ADFS, GRAPH)


def test_adfs_and_graph_folders_load_with_their_values(evidence) -> None:
    assert len(evidence.issues) == 0, evidence.issues.to_dict(orient="records")
    (farm,) = evidence.farms.to_dict(orient="records")
    assert (farm["farm"], farm["identifier"], farm["auto_certificate_rollover"]) == (
        "fs.contoso.com", "http://fs.contoso.com/adfs/services/trust", True
    )
    assert [farm[k] for k in ("certificate_generation_threshold", "certificate_promotion_threshold",
                              "certificate_critical_threshold", "certificate_duration", "certificate_rollover_interval")] == [20, 5, 2, 365, 720]
    certs = evidence.certificates.astype({"source": str, "role": str, "slot": str}).sort_values(
        ["source", "domain", "role", "slot", "thumbprint"], na_position="first"
    )
    assert values(certs, ["source", "farm", "domain", "role", "slot", "thumbprint"]) == [
        ["adfs", "fs.contoso.com", None, "service-communications", "primary", TP["ssl"]],
        ["adfs", "fs.contoso.com", None, "token-decrypting", "primary", TP["td_primary"]],
        ["adfs", "fs.contoso.com", None, "token-signing", "primary", TP["ts_primary"]],
        ["adfs", "fs.contoso.com", None, "token-signing", "secondary", TP["ts_secondary"]],
        ["entra", "fs.contoso.com", "contoso.co.uk", "token-signing", "current", TP["ts_old"]],
        ["entra", "fs.contoso.com", "contoso.com", "token-signing", "current", TP["ts_primary"]],
        ["entra", "fs.contoso.com", "contoso.com", "token-signing", "next", TP["ts_secondary"]],
    ]
    # Dates come from the certificate bytes (RawData / base64), not from printed text.
    assert not evidence.certificates["text_derived"].any()
    primary = certs[(certs["source"] == "adfs") & (certs["slot"] == "primary") & (certs["role"] == "token-signing")].iloc[0]
    assert primary["not_after"] == pd.Timestamp("2026-12-01 08:00", tz="UTC")
    ssl = certs[certs["role"] == "service-communications"].iloc[0]
    assert ssl["issuer"] == "CN=Contoso Issuing CA 01,DC=contoso,DC=com" and ssl["self_signed"] == False  # noqa: E712
    doms = evidence.domains.sort_values("domain")
    assert values(doms, ["domain", "authentication", "farm", "signing_thumbprint", "next_signing_thumbprint", "update_result"]) == [
        ["contoso.co.uk", "Federated", "fs.contoso.com", TP["ts_old"], None, "noNewCertificateFound"],
        ["contoso.com", "Federated", "fs.contoso.com", TP["ts_primary"], TP["ts_secondary"], "success"],
        ["contoso.onmicrosoft.com", "Managed", None, None, None, None],
        ["fabrikam.com", "Managed", None, None, None, None],
    ]
    last_run = doms.set_index("domain").loc["contoso.com", "update_last_run"]
    assert last_run.floor("s") == pd.Timestamp("2026-11-26 04:12:09", tz="UTC")


def test_every_collected_file_is_an_input_of_a_known_kind(evidence) -> None:
    kinds = {Path(i.path).name: i.kind for i in evidence.inputs}
    assert kinds["manifest.json"] == "collector manifest"
    assert kinds["Get-AdfsCertificate.json"].startswith("Get-AdfsCertificate (ConvertTo-Json 5.1")
    assert kinds["Get-AdfsProperties.json"].startswith("Get-AdfsProperties (ConvertTo-Json 5.1")
    assert kinds["Get-MgDomain.json"].startswith("Graph domain (Graph JSON")
    assert kinds["Get-MgDomainFederationConfiguration.contoso.com.json"].startswith("Graph internalDomainFederation (Graph JSON")
    assert len(evidence.inputs) == 7


def test_the_manifest_lists_every_file_with_its_hash() -> None:
    import hashlib

    for folder in (ADFS, GRAPH, MSOL):
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["fedaudit_collector"] == 1
        listed = {e["name"]: e for e in manifest["files"]}
        on_disk = {p.name for p in folder.iterdir()} - {"manifest.json"}
        assert set(listed) == on_disk
        for name, entry in listed.items():
            data = (folder / name).read_bytes()
            assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_file_changed_after_collection_is_a_high_issue(tmp_path: Path) -> None:
    copy = tmp_path / ADFS.name
    shutil.copytree(ADFS, copy)
    target = copy / "Get-AdfsProperties.json"
    target.write_bytes(target.read_bytes().replace(b'"AutoCertificateRollover":  true', b'"AutoCertificateRollover":  false'))
    (copy / "Get-AdfsCertificate.json").unlink()
    issues = fedaudit.load(copy).issues
    assert values(issues, ["severity", "field"]) == [["high", "files"], ["warning", "files"]]
    messages = issues["message"].tolist()
    assert messages[0].startswith("Get-AdfsProperties.json changed after collection: the manifest says SHA-256 ")
    assert messages[1] == "Get-AdfsCertificate.json is listed in the collector manifest but is not beside it"


def test_problems_the_collector_reported_become_issues(tmp_path: Path) -> None:
    copy = tmp_path / GRAPH.name
    shutil.copytree(GRAPH, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    manifest["problems"] = [{"Step": "Graph contoso.de", "Message": "Insufficient privileges to complete the operation."}]
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    issues = fedaudit.load(copy).issues
    assert issues["message"].tolist() == [
        "the collector reported a problem (Graph contoso.de): Insufficient privileges to complete the operation."
    ]


def test_msol_folder_loads() -> None:
    evidence = fedaudit.load(MSOL)
    doms = evidence.domains.dropna(subset=["domain"]).sort_values("domain")
    assert values(doms, ["domain", "authentication"]) == [
        ["contoso.co.uk", "Federated"], ["contoso.com", "Federated"],
        ["contoso.onmicrosoft.com", "Managed"], ["fabrikam.com", "Managed"],
    ]
    adfs = evidence.certificates[evidence.certificates["source"] == "adfs"]
    assert set(adfs["thumbprint"]) == {TP["ts_primary"], TP["ts_secondary"], TP["td_primary"], TP["ssl"]}


def test_msol_settings_are_tied_to_their_domain_by_the_domain_name_property() -> None:
    evidence = fedaudit.load(MSOL)
    assert len(evidence.issues) == 0, evidence.issues["message"].tolist()
    doms = evidence.domains.set_index("domain")
    assert doms.loc["contoso.com", "signing_thumbprint"] == TP["ts_primary"]
    assert doms.loc["contoso.com", "next_signing_thumbprint"] == TP["ts_secondary"]
    assert doms.loc["contoso.co.uk", "signing_thumbprint"] == TP["ts_old"]


# -- the script's text --------------------------------------------------------------------------


SOURCE = SCRIPT.read_text(encoding="utf-8")


def _code() -> str:
    """The script without comments (block comments and # to the end of a line outside strings)."""
    code = re.sub(r"<#.*?#>", "", SOURCE, flags=re.S)
    lines = []
    for line in code.splitlines():
        out, quote = [], None
        for ch in line:
            if quote:
                quote = None if ch == quote else quote
            elif ch in "'\"":
                quote = ch
            elif ch == "#":
                break
            out.append(ch)
        lines.append("".join(out))
    return "\n".join(lines)


CODE = _code()


def _blocks() -> list[list[str]]:
    """The keys of every ``[pscustomobject][ordered]@{ ... }`` literal, in order of appearance."""
    out = []
    for m in re.finditer(r"\[pscustomobject\]\[ordered\]@\{", SOURCE):
        i, depth, keys, line_start = m.end(), 1, [], True
        while depth:
            ch = SOURCE[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch in "\n;":
                line_start = True
                i += 1
                continue
            if line_start and depth == 1:
                k = re.match(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*=", SOURCE[i:])
                if k:
                    keys.append(k.group(1))
            line_start = False
            i += 1
        out.append(keys)
    return out


def _object_keys(value) -> list[list[str]]:
    """Key lists of every JSON object in ``value`` (depth first)."""
    found = []
    if isinstance(value, dict):
        found.append(list(value))
        for v in value.values():
            found.extend(_object_keys(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(_object_keys(v))
    return found


def test_script_writes_exactly_the_fixture_file_names() -> None:
    written = set(re.findall(r"Write-EvidenceFile\s+\(?'([^']+)'", CODE))
    # Get-MgDomain pages: the name is chosen on the line before the call.
    (choice,) = re.findall(r"\$name = (.*)\n\s*Write-EvidenceFile \$name ", CODE)
    written |= set(re.findall(r"'([^']+\.json)'", choice))
    assert written == {
        "Get-AdfsProperties.json",
        "Get-AdfsCertificate.json",
        "Get-MgDomain.json",
        "Get-MgDomain.page{0}.json",
        "Get-MgDomainFederationConfiguration.{0}.json",
        "Get-MsolDomain.json",
        "Get-MsolDomainFederationSettings.json",
        "Get-MsolFederationProperty.json",
        "manifest.json",
    }
    fixture_names = {p.name for folder in (ADFS, GRAPH, MSOL) for p in folder.iterdir()}
    patterns = [re.escape(n).replace(r"\{0\}", r"[^/]+") for n in written]
    for name in fixture_names:
        assert any(re.fullmatch(p, name) for p in patterns), name
    # The Graph files are the bodies of these two requests.
    assert "'v1.0/domains'" in SOURCE and "'v1.0/domains/{0}/federationConfiguration'" in SOURCE
    assert "-OutputType Json" in SOURCE


def test_script_objects_have_exactly_the_fixture_keys() -> None:
    script = _blocks()
    fixture_objects = []
    for folder in (ADFS, MSOL):
        for path in sorted(folder.glob("*.json")):
            fixture_objects.extend(_object_keys(json.loads(path.read_text(encoding="utf-8"))))
    fixture_objects.extend(_object_keys(json.loads((GRAPH / "manifest.json").read_text(encoding="utf-8"))))
    for keys in fixture_objects:
        assert keys in script, f"no [pscustomobject][ordered] literal in the script has keys {keys}"
    # ... and every object the script builds appears in the fixtures (the Write-EvidenceFile
    # bookkeeping record and the problem record excepted: they are not written as such).
    unwritten = [["Name", "Command"], ["Step", "Message"]]
    for keys in script:
        assert keys in fixture_objects or keys in unwritten, keys


def test_script_parameters_and_where_it_writes() -> None:
    params = re.search(r"param\((.*?)\n\)", SOURCE, re.S).group(1)
    assert re.findall(r"\$(\w+)", params) == ["OutputPath", "Adfs", "Graph", "Msol"]
    # Files are written in exactly one place, into the new dated folder, as UTF-8 without BOM.
    writers = re.findall(r"\b(Out-File|Set-Content|Add-Content|Export-Clixml|Export-Csv|Tee-Object|WriteAllText|WriteAllBytes)\b", CODE)
    assert writers == ["WriteAllText"]
    assert "[System.IO.File]::WriteAllText($path, $Text, $utf8NoBom)" in SOURCE
    assert "$path = Join-Path -Path $folder -ChildPath $Name" in SOURCE
    assert "New-Item -ItemType Directory -Path $folder -ErrorAction Stop" in SOURCE
    assert "fedaudit_collector = 1" in SOURCE
    # Read-only towards AD FS and Entra: no Set-/Update-/New-/Remove- cmdlets of those modules.
    assert not re.search(r"\b(Set|Update|New|Remove|Add)-(Adfs|Mg|Msol)\w*", CODE)


def test_script_avoids_syntax_windows_powershell_51_lacks() -> None:
    code = CODE
    for pattern, what in [
        (r"\?\?", "null-coalescing ??"),
        (r"\?\.", "null-conditional ?."),
        (r"\s&&\s|\s\|\|\s", "pipeline chain && / ||"),
        (r"-Parallel\b", "ForEach-Object -Parallel"),
        (r"\$Is(Windows|Linux|MacOS|CoreCLR)\b", "$IsWindows and friends"),
        (r"-AsArray\b|-EnumsAsStrings\b|-AsHashtable\b", "PowerShell 6+ ConvertTo-Json/ConvertFrom-Json switches"),
        (r"\bclean\s*\{", "clean block"),
    ]:
        assert not re.search(pattern, code), what
    assert SOURCE.isascii()  # Windows PowerShell 5.1 reads a BOM-less script as the ANSI code page
