"""``fedaudit run`` with an ``entra = {...}`` audit: Entra ID's side is collected from (a local)
Microsoft Graph into the run's evidence folder, loaded beside the AD FS exports, reported and
recorded in the history, in one go. And the configuration table's validation."""

from __future__ import annotations

import json
import shutil
import sqlite3
import textwrap
from pathlib import Path

import pytest
from fedaudit.config import parse_config
from support.graph_server import (
    TP,
    LocalEntra,
    client_certificate,
    federation_bodies,
    fixture_pages,
)

from fedaudit import history
from fedaudit.cli import main
from fedaudit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
ADFS = next((ROOT / "tests" / "data" / "collector").glob("fedaudit-evidence-*-ADFS01"))
TENANT = "contoso.onmicrosoft.com"
CLIENT = "2b7c9d1e-3f4a-4b5c-9d6e-7f8a9b0c1d2e"
SECRET = "run-s3cret~value.that-stays-in-the-environment-42"


@pytest.fixture
def entra(tmp_path):
    cert, pem = client_certificate(tmp_path)
    server = LocalEntra(
        tenant=TENANT,
        client_id=CLIENT,
        domain_pages=fixture_pages(),
        federation=federation_bodies(),
        secret=SECRET,
        certificate=cert,
    ).start(tmp_path)
    server.pem = pem  # type: ignore[attr-defined]
    yield server
    server.stop()


def _config(tmp_path: Path, server, credential: str) -> Path:
    shutil.copytree(ADFS, tmp_path / "exports" / "adfs")
    cfg = tmp_path / "fedaudit.toml"
    cfg.write_text(
        textwrap.dedent(
            f"""\
            [output]
            root = "audits"

            [[audit]]
            name = "contoso"
            exports = ["exports/adfs"]
            ca_bundle = "{server.ca_bundle.name}"
            organisation = "Contoso"
            fail_on = "none"


            [audit.entra]
            tenant = "{TENANT}"
            client_id = "{CLIENT}"
            {credential}
            authority_host = "{server.url}"
            graph_endpoint = "{server.url}"
            """
        ),
        encoding="utf-8",
    )
    return cfg


@pytest.mark.slow
def test_run_collects_entra_loads_and_reports_in_one_go(
    entra, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("FEDAUDIT_GRAPH_SECRET", SECRET)
    cfg = _config(tmp_path, entra, 'client_secret_env = "FEDAUDIT_GRAPH_SECRET"')
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-27"]) == 0
    captured = capsys.readouterr()
    assert captured == ("", "")  # no terminal: quiet, as under cron

    db = tmp_path / "audits" / history.DB_NAME
    (run,) = history.runs(db).to_dict(orient="records")
    assert run["status"] == "complete"
    evidence = Path(run["evidence_path"])
    (folder,) = evidence.iterdir()
    assert folder.name.startswith("fedaudit-evidence-") and folder.name.endswith(
        "-entra-contoso.onmicrosoft.com"
    )
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert (
        manifest["tenant_id"] == TENANT
        and manifest["graph_endpoint"] == entra.url
        and manifest["problems"] == []
    )

    with sqlite3.connect(db) as conn:
        kinds = [
            k for (k,) in conn.execute("SELECT kind FROM inputs WHERE run_id = ?", (run["id"],))
        ]
        domains = sorted(
            conn.execute(
                "SELECT domain, authentication, signing_thumbprint FROM domains WHERE run_id = ?",
                (run["id"],),
            )
        )
        farms = {
            f
            for (f,) in conn.execute(
                "SELECT farm FROM certificates WHERE run_id = ? AND source = 'entra'", (run["id"],)
            )
        }
    assert kinds.count("collector manifest") == 2  # the AD FS collector's and ours
    assert any(k.startswith("Graph domain") for k in kinds) and any(
        k.startswith("Graph internalDomainFederation") for k in kinds
    )
    assert domains == [
        ("contoso.co.uk", "Federated", TP["ts_old"]),
        ("contoso.com", "Federated", TP["ts_primary"]),
        ("contoso.onmicrosoft.com", "Managed", None),
        ("fabrikam.com", "Managed", None),
    ]
    assert farms == {"fs.contoso.com"}  # Entra's certificates joined to the AD FS farm
    report_html = Path(run["report_path"])
    text = report_html.read_text(encoding="utf-8")
    assert "contoso.co.uk" in text and TP["ts_old"][:8] in text.upper()

    # The secret and the token reach no file of the run (report, history, SIEM lines, evidence).
    blob = b"\n".join(p.read_bytes() for p in (tmp_path / "audits").rglob("*") if p.is_file())
    for secret in (SECRET, *entra.issued):
        assert secret.encode() not in blob


def test_a_denied_collection_fails_the_run_with_the_permission(
    entra, tmp_path, monkeypatch, capsys
) -> None:
    entra.deny = True
    cfg = _config(tmp_path, entra, f'certificate = "{entra.pem.name}"')
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-27"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "Domain.Read.All" in err and "Traceback" not in err
    (run,) = history.runs(tmp_path / "audits" / history.DB_NAME).to_dict(orient="records")
    assert run["status"] == "failed" and "Domain.Read.All" in run["error"]


def _parse(body: str, tmp_path: Path):
    (tmp_path / "app.pem").write_text("x", encoding="utf-8")
    return parse_config('[[audit]]\nname = "a"\n' + body, origin="f.toml", base_dir=tmp_path)


def test_entra_table_is_validated(tmp_path) -> None:
    ok = _parse(
        'entra = { tenant = "t.onmicrosoft.com", client_id = "c", client_secret_env = "S" }',
        tmp_path,
    )
    (audit,) = ok.audits
    assert audit.exports == () and audit.entra is not None
    assert (
        audit.entra.client_secret_env,
        audit.entra.authority_host,
        audit.entra.graph_endpoint,
    ) == ("S", "https://login.microsoftonline.com", "https://graph.microsoft.com")
    cert = _parse(
        'entra = { tenant = "t", client_id = "c", certificate = "app.pem", '
        'graph_endpoint = "https://graph.microsoft.us/" }',
        tmp_path,
    )
    assert cert.audits[0].entra.certificate == (tmp_path / "app.pem").resolve()
    assert cert.audits[0].entra.graph_endpoint == "https://graph.microsoft.us"
    for body, message in [
        ('entra = { tenant = "t", client_id = "c" }', "exactly one of client_secret_env"),
        (
            'entra = { tenant = "t", client_id = "c", client_secret_env = "S", '
            'certificate = "app.pem" }',
            "exactly one of",
        ),
        (
            'entra = { tenant = "t", client_id = "c", client_secret_env = "s3cr3t value!" }',
            "not an environment variable name",
        ),
        ('entra = { tenant = "t", client_id = "c", device_code = true }', "needs a person"),
        (
            'entra = { tenant = "t", client_id = "c", client_secret_env = "S", graph = "x" }',
            "unknown key 'graph'",
        ),
        ('entra = { client_id = "c", client_secret_env = "S" }', "missing key 'tenant'"),
        (
            'entra = { tenant = "t/../x", client_id = "c", client_secret_env = "S" }',
            "not a GUID or domain name",
        ),
        (
            'entra = { tenant = "t", client_id = "c", client_secret_env = "S", '
            'authority_host = "http://x" }',
            "https://",
        ),
        (
            'entra = { tenant = "t", client_id = "c", certificate = "missing.pem" }',
            "file not found",
        ),
        ('entra = "t"', "expected a table"),
        ("", "missing key 'exports'"),
    ]:
        with pytest.raises(ConfigError, match=message):
            _parse(body, tmp_path)


@pytest.mark.slow
def test_an_entra_only_audit_discovers_the_metadata_entra_points_at(entra, tmp_path, monkeypatch) -> None:
    """No exports: Entra's federation configuration names the IdP's sign-in host, so discovery
    (which runs after the collection) fetches that host's federation metadata as evidence."""
    # Only loopback in tests: one federated domain, whose every URI names the local server.
    host = f"127.0.0.1:{entra.port}".encode()
    entra.federation = {"contoso.com": federation_bodies()["contoso.com"].replace(b"fs.contoso.com", host)}
    for page in entra.domain_pages:
        for d in page:
            if d["id"] != "contoso.com":
                d["authenticationType"] = "Managed"
    entra._render_pages()
    monkeypatch.setenv("FEDAUDIT_GRAPH_SECRET", SECRET)
    cfg = tmp_path / "fedaudit.toml"
    cfg.write_text(
        textwrap.dedent(
            f"""\
            [[audit]]
            name = "entra-only"
            discover = true
            ca_bundle = "{entra.ca_bundle.name}"
            fail_on = "none"

            [audit.entra]
            tenant = "{TENANT}"
            client_id = "{CLIENT}"
            client_secret_env = "FEDAUDIT_GRAPH_SECRET"
            authority_host = "{entra.url}"
            graph_endpoint = "{entra.url}"
            """
        ),
        encoding="utf-8",
    )
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-27"]) == 0
    (run,) = history.runs(tmp_path / "audits" / history.DB_NAME).to_dict(orient="records")
    assert run["status"] == "complete"
    sidecars = [json.loads(p.read_text(encoding="utf-8")) for p in Path(run["evidence_path"]).glob("*.fetch.json")]
    assert [s["url"] for s in sidecars] == [f"{entra.url}/federationmetadata/2007-06/federationmetadata.xml"]
    assert any(r.path == "/federationmetadata/2007-06/federationmetadata.xml" for r in entra.log)
