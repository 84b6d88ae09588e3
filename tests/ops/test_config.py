"""The audit configuration file: paths relative to the file, clear errors for every mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from fedaudit.ops.config import load_config, parse_config
from fedaudit.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def write(tmp_path: Path, text: str, name: str = "fedaudit.toml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    (tmp_path / "exports" / "contoso").mkdir(parents=True)
    (tmp_path / "exports" / "fabrikam").mkdir(parents=True)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "corp-ca.pem").write_text("not checked here\n")
    (tmp_path / "exceptions.toml").write_text("")
    return tmp_path


def test_issue_example_loads_with_paths_relative_to_the_file(estate: Path, tmp_path: Path, monkeypatch) -> None:
    cfg = write(
        estate,
        """
        [output]
        root = "audits"

        [[audit]]
        name = "contoso"
        exports = ["exports/contoso"]
        metadata = ["https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml"]
        ca_bundle = "certs/corp-ca.pem"
        """,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the working folder must not matter
    config = load_config(cfg)
    assert config.root == (estate / "audits").resolve()
    assert config.retention is None and config.ocsf is True
    (audit,) = config.audits
    assert audit.name == "contoso"
    assert audit.exports == ((estate / "exports" / "contoso").resolve(),)
    assert audit.metadata == ("https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml",)
    assert audit.ca_bundle == (estate / "certs" / "corp-ca.pem").resolve()
    assert audit.fail_on == "high" and audit.discover is False and audit.exceptions is None


def test_defaults_apply_to_every_audit_and_audits_override_them(estate: Path) -> None:
    cfg = write(
        estate,
        """
        [output]
        root = "audits"
        retention = 400
        ocsf = false

        [defaults]
        fail_on = "warning"
        culture = "de-DE"
        organisation = "Contoso Group"

        [[audit]]
        name = "contoso"
        exports = "exports/contoso"
        discover = true
        exceptions = "exceptions.toml"

        [[audit]]
        name = "fabrikam"
        exports = ["exports/fabrikam"]
        metadata = ["saved-metadata", "http://fs.fabrikam.com/federationmetadata/2007-06/federationmetadata.xml"]
        fail_on = "critical"
        culture = "en-US"
        thresholds = { expiry_warning_days = 45 }
        """,
    )
    (estate / "saved-metadata").mkdir()
    config = load_config(cfg)
    assert config.retention == 400 and config.ocsf is False
    contoso, fabrikam = config.audits
    assert (contoso.fail_on, contoso.culture, contoso.organisation, contoso.discover) == ("warning", "de-DE", "Contoso Group", True)
    assert contoso.exceptions == (estate / "exceptions.toml").resolve()
    assert (fabrikam.fail_on, fabrikam.culture) == ("critical", "en-US")
    assert fabrikam.metadata_files == ((estate / "saved-metadata").resolve(),)
    assert fabrikam.metadata == ("http://fs.fabrikam.com/federationmetadata/2007-06/federationmetadata.xml",)
    assert dict(fabrikam.thresholds) == {"expiry_warning_days": 45}
    assert config.audit("fabrikam") is fabrikam


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[output]\nroot = "audits"\n[[audit]]\nname = "c"\nexport = ["exports/contoso"]\n',
            "[[audit]] #1 ('c'): unknown key 'export' (did you mean 'exports'?)",
        ),
        (
            '[ouput]\nroot = "audits"\n',
            "the top level: unknown key 'ouput' (did you mean 'output'?)",
        ),
        (
            '[output]\nroot = "audits"\nretension = 3\n[[audit]]\nname = "c"\nexports = ["exports/contoso"]\n',
            "[output]: unknown key 'retension' (did you mean 'retention'?)",
        ),
        (
            '[[audit]]\nname = "c"\nexports = ["exports/missing"]\n',
            "[[audit]] #1 ('c') exports: folder or file not found: ",
        ),
        (
            '[[audit]]\nname = "c"\nexports = ["exports/contoso"]\n[[audit]]\nname = "c"\nexports = ["exports/fabrikam"]\n',
            "[[audit]] #2 ('c'): duplicate audit name 'c' (also [[audit]] #1)",
        ),
        (
            '[[audit]]\nname = "c"\nexports = ["exports/contoso"]\ndiscover = "yes"\n',
            "[[audit]] #1 ('c') discover: expected true or false, got a string 'yes'",
        ),
        (
            '[[audit]]\nname = "c"\nexports = ["exports/contoso"]\nfail_on = "hihg"\n',
            "fail_on: 'hihg' is not a severity (did you mean 'high'?)",
        ),
        (
            '[[audit]]\nname = "c"\nexports = [1, 2]\n',
            "[[audit]] #1 ('c') exports: expected an array of strings, got [1, 2]",
        ),
        (
            '[[audit]]\nname = "c d/e"\nexports = ["exports/contoso"]\n',
            "name: 'c d/e' is not a usable name",
        ),
        (
            '[[audit]]\nexports = ["exports/contoso"]\n',
            "[[audit]] #1: missing key 'name'",
        ),
        (
            '[[audit]]\nname = "c"\n',
            "missing key 'exports'",
        ),
        (
            '[output]\nroot = "audits"\n',
            "no [[audit]] table",
        ),
        (
            '[output]\nretention = -1\n[[audit]]\nname = "c"\nexports = ["exports/contoso"]\n',
            "[output] retention: expected a whole number of days (1 to 36500), got -1",
        ),
        (
            '[[audit]]\nname = "c"\nexports = ["exports/contoso"]\nca_bundle = "certs"\n',
            "ca_bundle: ",
        ),
        (
            '[[audit]]\nname = "c"\nexports = ["exports/contoso"]\nmetadata = ["ftp://fs.contoso.com/md.xml"]\n',
            "only https:// (or http://) URLs can be fetched",
        ),
        (
            '[[audit]]\nname = "c"\nexports = ["exports/contoso"]\nthresholds = { expiry_warning_days = "soon" }\n',
            "thresholds.expiry_warning_days: expected a number of days (0 to 36500), got 'soon'",
        ),
        (
            '[defaults]\nexports = ["x"]\n[[audit]]\nname = "c"\nexports = ["exports/contoso"]\n',
            "[defaults]: key 'exports' belongs in each [[audit]], not here",
        ),
        (
            '[[audit]\nname = "c"\n',
            "not valid TOML",
        ),
        (
            'audit = "c"\n',
            "'audit' must be written as [[audit]] tables",
        ),
    ],
)
def test_mistakes_give_clear_errors(estate: Path, body: str, message: str) -> None:
    cfg = write(estate, body)
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    text = str(err.value)
    assert text.startswith(str(cfg) + ": ")
    assert message in text


def test_missing_folder_names_the_resolved_path(estate: Path) -> None:
    cfg = write(estate, '[[audit]]\nname = "c"\nexports = ["exports/nowhere"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert str((estate / "exports" / "nowhere").resolve()) in str(err.value)
    assert "written as 'exports/nowhere'" in str(err.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml")


def test_unknown_audit_name_suggests_the_closest(estate: Path) -> None:
    cfg = write(estate, '[[audit]]\nname = "contoso"\nexports = ["exports/contoso"]\n')
    with pytest.raises(ConfigError, match=r"no audit named 'contosso' \(did you mean 'contoso'\?\)"):
        load_config(cfg).audit("contosso")


def test_check_paths_false_skips_the_filesystem(tmp_path: Path) -> None:
    config = parse_config(
        '[[audit]]\nname = "c"\nexports = ["nowhere"]\n', origin="inline.toml", base_dir=tmp_path, check_paths=False
    )
    assert config.audits[0].exports == ((tmp_path / "nowhere").resolve(),)


def test_example_config_loads(tmp_path: Path) -> None:
    """examples/fedaudit.toml is valid (its folders are the example estate's)."""
    config = load_config(EXAMPLES / "fedaudit.toml")
    assert [a.name for a in config.audits] == ["contoso", "fabrikam"]
    assert all(p.exists() for a in config.audits for p in a.exports)
    contoso = config.audit("contoso")
    assert contoso.exceptions is not None and contoso.exceptions.exists()


def test_retention_per_audit_overrides_the_output_default(estate: Path) -> None:
    cfg = write(
        estate,
        """
        [output]
        retention = 400

        [[audit]]
        name = "contoso"
        exports = ["exports/contoso"]
        retention = 30

        [[audit]]
        name = "fabrikam"
        exports = ["exports/fabrikam"]
        """,
    )
    config = load_config(cfg)
    assert config.retention == 400
    assert [a.retention for a in config.audits] == [30, None]
    bad = write(estate, '[[audit]]\nname = "c"\nexports = ["exports/contoso"]\nretention = 0\n', "bad.toml")
    with pytest.raises(ConfigError, match=r"\[\[audit\]\] #1 \('c'\) retention: expected a whole number of days"):
        load_config(bad)


def test_example_exceptions_name_the_farms_and_domains_of_their_audit() -> None:
    """examples/exceptions.toml (and its CSV twin) is attached to the contoso audit: every farm it
    names is a farm that audit fetches metadata from, every domain a contoso domain."""
    from urllib.parse import urlsplit

    from fedaudit.engine.waivers import load_exceptions

    contoso = load_config(EXAMPLES / "fedaudit.toml").audit("contoso")
    farms = {urlsplit(u).hostname for u in contoso.metadata}
    assert contoso.exceptions is not None
    for path in (contoso.exceptions, EXAMPLES / "exceptions.csv"):
        records = load_exceptions(path)
        assert records
        for r in records:
            assert r.farm is None or r.farm in farms, (path.name, r.farm)
            assert r.domain is None or r.domain.split(".")[0] == "contoso", (path.name, r.domain)
