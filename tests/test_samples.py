"""The demo estate in data/samples: reproducible, and it loads into the estate the README describes.

The scenario table in data/samples/README.md says which farm, domain and certificate stands for
which runbook row; these tests hold the loaded frames to it. Verdicts are the engine's golden
tests (tests/test_golden*.py); here we check the evidence they rest on.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import fedaudit
from fedaudit.frames import ACTIONS

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
UTC = dt.timezone.utc


def _make_samples():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="module")
def make_samples():
    return _make_samples()


@pytest.fixture(scope="module")
def evidence():
    return fedaudit.load(SAMPLES)


def _files(root: Path, tops: tuple[str, ...]) -> dict[str, bytes]:
    out = {}
    for top in tops:
        for path in sorted((root / top).rglob("*")):
            if path.is_file():
                out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def test_regenerating_gives_byte_identical_files(make_samples, tmp_path):
    make_samples.generate(tmp_path)
    fresh = _files(tmp_path, make_samples.OWNED)
    committed = _files(SAMPLES, make_samples.OWNED)
    assert sorted(fresh) == sorted(committed)
    differing = [name for name in fresh if fresh[name] != committed[name]]
    assert differing == [], "run `make samples` and commit the result"


def test_readme_states_the_as_of_date_the_makefile_and_generator_use(make_samples):
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    # the Makefile: sed -n 's/^As-of date: *\([0-9-]*\).*/\1/p' data/samples/README.md
    dates = re.findall(r"^As-of date: *([0-9-]*)", readme, re.M)
    assert dates == ["2026-11-27"]
    assert make_samples.AS_OF == dt.datetime(2026, 11, 27, tzinfo=UTC)
    actions = re.findall(r"`([a-z-]+)` for ", readme)
    assert set(actions) == set(ACTIONS)  # the scenarios exercise every action value



def test_demo_keys_are_labelled_and_skipped_by_the_loader(evidence):
    keys = sorted((SAMPLES / "keys").glob("*.key"))
    assert keys and all(k.read_text().startswith("DEMO KEY - NOT SECRET") for k in keys)
    assert not any("/keys/" in i.path.replace("\\", "/") for i in evidence.inputs)


FARMS = {
    # farm: (AutoCertificateRollover, generation threshold, promotion threshold)
    "fs.contoso.com": (True, 20, 5),
    "fs.litware.com": (True, 20, 5),
    "adfs.woodgrovebank.com": (False, 20, 5),
    "fs.wingtiptoys.com": (False, 20, 5),
    "sts.fabrikam.com": (True, 10, 7),
    "sts.tailspintoys.com": (True, 15, 5),
    "adfs.adventure-works.com": (True, 20, 5),
    "fs.proseware.com": (True, 20, 5),
}
FEDERATED = {
    "contoso.com": "fs.contoso.com",
    "litware.com": "fs.litware.com",
    "litware.de": "fs.litware.com",
    "litware.co.uk": "fs.litware.com",
    "woodgrovebank.com": "adfs.woodgrovebank.com",
    "wingtiptoys.com": "fs.wingtiptoys.com",
    "contosolabs.com": None,  # (h) listed as federated, no settings exported
    "fabrikam.com": "sts.fabrikam.com",
    "tailspintoys.com": "sts.tailspintoys.com",
    "adventure-works.com": "adfs.adventure-works.com",
    "proseware.com": "fs.proseware.com",
}
MANAGED = {"contoso.onmicrosoft.com", "contoso.mail.onmicrosoft.com", "fabrikam.onmicrosoft.com"}
# days from the as-of date to the AD FS primary token-signing certificate's NotAfter (floor)
PRIMARY_DAYS = {
    "fs.contoso.com": 174,
    "fs.litware.com": 351,
    "adfs.woodgrovebank.com": 28,
    "fs.wingtiptoys.com": 150,
    "sts.fabrikam.com": 4,
    "sts.tailspintoys.com": 12,
    "adfs.adventure-works.com": 30,
    "fs.proseware.com": 32,
}
AS_OF = pd.Timestamp("2026-11-27", tz="UTC")


def test_farms(evidence):
    farms = evidence.farms.set_index("farm")
    assert set(farms.index) == set(FARMS)
    for name, (rollover, generation, promotion) in FARMS.items():
        row = farms.loc[name]
        assert row["identifier"] == f"http://{name}/adfs/services/trust"
        assert (row["auto_certificate_rollover"], row["certificate_generation_threshold"], row["certificate_promotion_threshold"]) == (
            rollover, generation, promotion), name


def test_domains_and_their_farms_come_from_content(evidence):
    domains = evidence.domains.set_index("domain")
    assert set(domains.index) == set(FEDERATED) | MANAGED
    for name, farm in FEDERATED.items():
        row = domains.loc[name]
        assert row["authentication"] == "Federated", name
        assert (row["farm"] if row["farm"] is not pd.NA else None) == farm, name
        assert bool(row["has_settings"]) is (farm is not None), name
    for name in MANAGED:
        assert domains.loc[name, "authentication"] == "Managed"
    litware = [domains.loc[d, "issuer_uri"] for d in ("litware.com", "litware.de", "litware.co.uk")]
    assert litware == [f"http://{d}/adfs/services/trust/" for d in ("litware.com", "litware.de", "litware.co.uk")]


def _adfs(evidence, farm: str, slot: str, role: str = "token-signing") -> pd.DataFrame:
    c = evidence.certificates
    return c[(c.source == "adfs") & (c.farm == farm) & (c.slot == slot) & (c.role == role)]


FARMS_TIED_TODAY = [f for f in PRIMARY_DAYS if f not in ("adfs.woodgrovebank.com", "fs.proseware.com")]


@pytest.mark.parametrize("farm", FARMS_TIED_TODAY)
def test_adfs_primary_token_signing_certificates(evidence, farm):
    rows = _adfs(evidence, farm, "primary")
    assert rows.thumbprint.nunique() == 1
    days = (rows.not_after.iloc[0] - AS_OF) / pd.Timedelta(days=1)
    assert int(days) == PRIMARY_DAYS[farm]


@pytest.mark.parametrize("farm", ["adfs.woodgrovebank.com", "fs.proseware.com"])
def test_adfs_certificates_tied_by_thumbprint_only(evidence, farm):
    rows = _adfs(evidence, farm, "primary")
    assert rows.thumbprint.nunique() == 1
    assert int((rows.not_after.iloc[0] - AS_OF) / pd.Timedelta(days=1)) == PRIMARY_DAYS[farm]


def test_the_scenarios_certificate_facts(evidence):
    d = evidence.domains.set_index("domain")
    # (a) Entra holds the AD FS primary
    assert d.loc["contoso.com", "signing_thumbprint"] == _adfs(evidence, "fs.contoso.com", "primary").thumbprint.iloc[0]
    # (b) primary in Entra, the freshly generated secondary is not; the poll failed
    tail_primary = _adfs(evidence, "sts.tailspintoys.com", "primary").thumbprint.iloc[0]
    assert not _adfs(evidence, "sts.tailspintoys.com", "secondary").empty
    assert d.loc["tailspintoys.com", "signing_thumbprint"] == tail_primary
    assert d.loc["tailspintoys.com", "next_signing_thumbprint"] is pd.NA
    assert d.loc["tailspintoys.com", "update_result"] == "couldNotAccessRemoteHost"
    # (c) CA-issued, rollover off, 28 days
    woodgrove = evidence.certificates[evidence.certificates.thumbprint == d.loc["woodgrovebank.com", "signing_thumbprint"]]
    assert not woodgrove.self_signed.any()
    assert set(woodgrove.issuer.dropna()) == {"CN=Woodgrove Bank Issuing CA 01,DC=woodgrovebank,DC=com"}
    assert int((woodgrove.not_after.iloc[0] - AS_OF) / pd.Timedelta(days=1)) == 28
    # (d) mid-rollover: Entra already has the secondary as next
    assert d.loc["fabrikam.com", "signing_thumbprint"] == _adfs(evidence, "sts.fabrikam.com", "primary").thumbprint.iloc[0]
    assert d.loc["fabrikam.com", "next_signing_thumbprint"] == _adfs(evidence, "sts.fabrikam.com", "secondary").thumbprint.iloc[0]
    # (e) litware.co.uk lags with the old certificate, the other two hold both
    new = _adfs(evidence, "fs.litware.com", "primary").thumbprint.iloc[0]
    old = _adfs(evidence, "fs.litware.com", "secondary").thumbprint.iloc[0]
    for name in ("litware.com", "litware.de"):
        assert (d.loc[name, "signing_thumbprint"], d.loc[name, "next_signing_thumbprint"]) == (new, old)
    assert (d.loc["litware.co.uk", "signing_thumbprint"], d.loc["litware.co.uk", "next_signing_thumbprint"]) == (old, pd.NA)
    # (g) the two Source records of Get-MsolFederationProperty disagree
    c = evidence.certificates
    prop = c[c.origin.str.endswith("federation-property-litware.co.uk.txt")]
    assert set(prop[prop.source == "adfs"].thumbprint) == {new}
    assert set(prop[prop.source == "entra"].thumbprint) == {old}
    # (i) weak token-decrypting certificate; Entra's poll found nothing new
    weak = _adfs(evidence, "adfs.adventure-works.com", "primary", "token-decrypting")
    assert (int(weak.key_size.iloc[0]), weak.signature_hash.iloc[0]) == (1024, "sha1")
    assert d.loc["adventure-works.com", "update_result"] == "noNewCertificateFound"
    # (k) in sync but Entra cannot reach the metadata
    assert d.loc["proseware.com", "update_result"] == "couldNotAccessRemoteHost"


def test_metadata_evidence(evidence):
    m = evidence.metadata
    fetched = m[m.reachable.fillna(False).astype(bool)]
    assert set(fetched.farm) == {"fs.contoso.com", "fs.litware.com", "fs.wingtiptoys.com", "sts.fabrikam.com", "adfs.adventure-works.com"}
    assert fetched.tls_verified.all() and (fetched.signature == "valid").all()
    for _, row in fetched.iterrows():  # signed by the AD FS primary, as AD FS signs its metadata
        assert row["signer_thumbprint"] == _adfs(evidence, row["farm"], "primary").thumbprint.iloc[0]
    failed = m[m.reachable.eq(False).fillna(False)]
    assert sorted(failed.url.str.extract(r"https://([^/]+)/")[0]) == ["fs.proseware.com", "sts.tailspintoys.com"]
    saved = m[m.reachable.isna()]  # saved from a browser: no fetch record
    assert list(saved.farm) == ["adfs.woodgrovebank.com"] and list(saved.signature) == ["valid"]


def test_the_broken_file_is_one_load_issue_and_everything_else_loads(evidence):
    issues = evidence.issues
    serious = issues[issues.severity != "info"]
    assert len(serious) == 1
    assert serious.origin.iloc[0].endswith("tailspintoys.com-federationConfiguration (2).json")
    kinds = {Path(i.path).name: i.kind for i in evidence.inputs}
    assert kinds["tailspintoys.com-federationConfiguration (2).json"] == "unreadable"
    assert [n for n, k in kinds.items() if k in ("unreadable", "unrecognised")] == ["tailspintoys.com-federationConfiguration (2).json"]


def test_folder_and_file_names_do_not_matter(evidence, tmp_path):
    """Flatten every export under meaningless names: the same farms, domains and ties."""
    for i, path in enumerate(sorted(p for top in ("ad-fs", "entra") for p in (SAMPLES / top).rglob("*") if p.is_file())):
        shutil.copyfile(path, tmp_path / f"export-{i:03d}.dat")
    shutil.copytree(SAMPLES / "metadata", tmp_path / "fetched")  # sidecars name their bodies
    again = fedaudit.load(tmp_path)
    assert set(again.farms.farm) == set(evidence.farms.farm)
    left = again.domains.set_index("domain")[["farm", "signing_thumbprint", "next_signing_thumbprint"]].sort_index()
    right = evidence.domains.set_index("domain")[["farm", "signing_thumbprint", "next_signing_thumbprint"]].sort_index()
    pd.testing.assert_frame_equal(left, right)


def test_benchmark_estate_loads_completely(tmp_path):
    """The `make bench` estate, scaled down: every form it mixes loads and every domain is tied."""
    from benchmarks.load import build_estate

    counts = build_estate(tmp_path / "estate", farms=5, domains_per_farm=10, farms_per_tenant=2)
    assert (tmp_path / "certificates.bin").stat().st_size > 0
    ev = fedaudit.load(tmp_path / "estate")
    assert len(ev.farms) == 5 and ev.farms.auto_certificate_rollover.all()
    federated = ev.domains[ev.domains.authentication == "Federated"]
    assert len(federated) == counts["domains"] == 50
    assert federated.farm.notna().all() and federated.signing_thumbprint.notna().all()
    assert set(ev.issues.severity) <= {"info"}
    assert (ev.metadata.signature == "valid").all() and len(ev.metadata) == 5
