"""``fedaudit collect entra`` against a local Entra ID + Microsoft Graph (HTTPS on 127.0.0.1,
trustme CA; tests/support/graph_server.py): msal signs in for real (client secret, certificate
assertion, device code), Graph is paged and throttled, and what lands on disk loads like the
PowerShell collector's folder."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from cryptography.hazmat.primitives import serialization
from support.graph_server import (
    GRAPH_FIXTURE,
    TP,
    LocalEntra,
    client_certificate,
    federation_bodies,
    fixture_pages,
)

import fedaudit
import fedaudit.io.graph as graph_module
from fedaudit.cli import main
from fedaudit.errors import FetchError, UsageError
from fedaudit.io.graph import Credential, GraphPermissionError, collect_entra

TENANT = "8f3e2a1b-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
CLIENT = "2b7c9d1e-3f4a-4b5c-9d6e-7f8a9b0c1d2e"
SECRET = "Qx8~s3cr3t.V4lue-that-must-never-be-written_0123456789"
UTC = dt.timezone.utc

EXPECTED_DOMAINS = [
    ["contoso.co.uk", "Federated", TP["ts_old"], None],
    ["contoso.com", "Federated", TP["ts_primary"], TP["ts_secondary"]],
    ["contoso.onmicrosoft.com", "Managed", None, None],
    ["fabrikam.com", "Managed", None, None],
]


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """Retry-After waits are recorded, not slept (msal's device-flow poll too)."""
    seen: list[float] = []
    monkeypatch.setattr(graph_module.time, "sleep", lambda s: seen.append(s))
    return seen


@pytest.fixture
def entra(tmp_path, request):
    options = getattr(request, "param", {})
    cert, pem = client_certificate(tmp_path)
    server = LocalEntra(
        tenant=TENANT,
        client_id=CLIENT,
        domain_pages=fixture_pages(),
        federation=federation_bodies(),
        secret=SECRET,
        certificate=cert,
        **options,
    ).start(tmp_path)
    server.pem = pem  # type: ignore[attr-defined]
    yield server
    server.stop()


def _args(server, out: Path, *how: str) -> list[str]:
    return [
        "collect",
        "entra",
        "--tenant",
        TENANT,
        "--client-id",
        CLIENT,
        *how,
        "--authority-host",
        server.url,
        "--graph-endpoint",
        server.url,
        "--ca-bundle",
        str(server.ca_bundle),
        "--timeout",
        "10",
        "--out",
        str(out),
    ]


def _everything_written(out: Path, *texts: str) -> bytes:
    blobs = [p.read_bytes() for p in out.rglob("*") if p.is_file()]
    return b"\n".join(blobs + [t.encode() for t in texts])


def _assert_no_secret(server, blob: bytes) -> None:
    assert server.issued, "no token was issued"
    for secret in (SECRET, *server.issued, *(a["raw"] for a in server.assertions)):
        assert secret.encode() not in blob
    assert b"PRIVATE KEY" not in blob and b"Bearer" not in blob


def _check_folder(folder: Path, server) -> dict:
    assert re.fullmatch(rf"fedaudit-evidence-\d{{8}}T\d{{6}}Z-entra-{TENANT}", folder.name)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for key in (
        "fedaudit_collector",
        "collector_version",
        "started",
        "finished",
        "computer",
        "user",
        "files",
        "problems",
    ):
        assert key in manifest
    assert manifest["fedaudit_collector"] == 1 and manifest["problems"] == []
    assert (manifest["tenant_id"], manifest["client_id"]) == (TENANT, CLIENT)
    assert manifest["authority_host"] == manifest["graph_endpoint"] == server.url
    listed = {e["name"]: e for e in manifest["files"]}
    assert set(listed) == {p.name for p in folder.iterdir()} - {"manifest.json"}
    assert set(listed) == {
        "Get-MgDomain.json",
        "Get-MgDomain.page2.json",
        "Get-MgDomain.page3.json",
        "Get-MgDomainFederationConfiguration.contoso.com.json",
        "Get-MgDomainFederationConfiguration.contoso.co.uk.json",
    }
    for name, entry in listed.items():
        data = (folder / name).read_bytes()
        assert entry["size"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    # The bodies exactly as the server sent them.
    assert (folder / "Get-MgDomain.page2.json").read_bytes() == server.bodies["page2"]
    for domain, body in federation_bodies().items():
        assert (folder / f"Get-MgDomainFederationConfiguration.{domain}.json").read_bytes() == body
    return manifest


def _inventory(folder: Path, capsys) -> dict:
    capsys.readouterr()
    assert main(["inventory", str(folder), "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def _assert_inventory_exact(inventory: dict) -> None:
    assert inventory["issues"] == []
    rows = sorted(
        [d["domain"], d["authentication"], d["signing_thumbprint"], d["next_signing_thumbprint"]]
        for d in inventory["domains"]
    )
    assert rows == EXPECTED_DOMAINS
    # signingCertificateUpdateStatus and federatedIdpMfaBehavior come through too.
    federated = {d["domain"]: d for d in inventory["domains"] if d["authentication"] == "Federated"}
    assert {k: (d["update_result"], d["federated_idp_mfa_behavior"]) for k, d in federated.items()} == {
        "contoso.com": ("success", "acceptIfMfaDoneByFederatedIdp"),
        "contoso.co.uk": ("noNewCertificateFound", "acceptIfMfaDoneByFederatedIdp"),
    }
    assert federated["contoso.com"]["update_last_run"].startswith("2026-11-26T04:12:09")
    certs = sorted((c["domain"], c["slot"], c["thumbprint"]) for c in inventory["certificates"])
    assert certs == [
        ("contoso.co.uk", "current", TP["ts_old"]),
        ("contoso.com", "current", TP["ts_primary"]),
        ("contoso.com", "next", TP["ts_secondary"]),
    ]
    kinds = {Path(i["path"]).name: i["kind"] for i in inventory["inputs"]}
    assert kinds["manifest.json"] == "collector manifest"
    assert kinds["Get-MgDomain.page3.json"].startswith("Graph domain (Graph JSON")


@pytest.mark.parametrize("entra", [{"throttle_first": True}], indirect=True)
def test_secret_from_environment_collects_a_folder_inventory_lists_exactly(entra, tmp_path, monkeypatch, capsys, waits):
    monkeypatch.setenv("FEDAUDIT_TEST_SECRET", SECRET)
    out = tmp_path / "evidence"
    assert main(_args(entra, out, "--client-secret-env", "FEDAUDIT_TEST_SECRET")) == 0
    captured = capsys.readouterr()
    folder = Path(captured.out.strip())
    assert folder.parent == out and [p.name for p in out.iterdir()] == [folder.name]  # no hidden leftovers
    manifest = _check_folder(folder, entra)
    assert manifest["credential"] == "client secret" and manifest["client_secret_env"] == "FEDAUDIT_TEST_SECRET"
    assert manifest["throttled"] == 1 and waits == [2.0]  # the 429's Retry-After, honoured once
    assert "4 domain(s), 2 federated" in captured.err
    # msal fetched the OpenID configuration of the custom host (no instance discovery anywhere
    # else: the test machine has no route to login.microsoftonline.com), then the token.
    paths = [(r.method, r.path.split("?")[0]) for r in entra.log]
    assert paths[:2] == [
        ("GET", f"/{TENANT}/v2.0/.well-known/openid-configuration"),
        ("POST", f"/{TENANT}/oauth2/v2.0/token"),
    ]
    assert paths.count(("GET", "/v1.0/domains")) == 4  # 429, then three pages
    graph_requests = [r for r in entra.log if r.path.startswith("/v1.0/")]
    assert all(r.headers["Authorization"] == f"Bearer {entra.issued[0]}" for r in graph_requests)
    _assert_inventory_exact(_inventory(out, capsys))
    # `fedaudit check` reads the folder with no flag too, with the same verdicts as the PowerShell
    # collector's folder of the same bodies.
    argv = ["--as-of", "2026-11-27", "--format", "json", "--fail-on", "none"]
    assert main(["check", str(out), *argv]) == 0
    ours = {(v["domain"], v["action"]) for v in json.loads(capsys.readouterr().out)["verdicts"]}
    assert main(["check", str(GRAPH_FIXTURE), *argv]) == 0
    theirs = {(v["domain"], v["action"]) for v in json.loads(capsys.readouterr().out)["verdicts"]}
    assert ours == theirs and {d for d, _ in ours} == {"contoso.com", "contoso.co.uk"}
    _assert_no_secret(entra, _everything_written(out, captured.out, captured.err))


def test_certificate_assertion_collects_a_folder_inventory_lists_exactly(entra, tmp_path, capsys, waits):
    out = tmp_path / "evidence"
    assert main(_args(entra, out, "--certificate", str(entra.pem))) == 0
    captured = capsys.readouterr()
    folder = Path(captured.out.strip())
    manifest = _check_folder(folder, entra)
    (assertion,) = entra.assertions
    # {"private_key", "public_certificate"}: PS256 with the certificate's SHA-256 thumbprint.
    assert assertion["header"]["alg"] == "PS256" and "x5t#S256" in assertion["header"]
    der = entra.certificate.public_bytes(serialization.Encoding.DER)
    assert manifest["client_certificate_sha256"] == hashlib.sha256(der).hexdigest().upper()
    assert manifest["client_certificate_thumbprint"] == hashlib.sha1(der).hexdigest().upper()
    assert manifest["credential"] == "certificate" and waits == []
    _assert_inventory_exact(_inventory(folder, capsys))
    blob = _everything_written(out, captured.out, captured.err)
    _assert_no_secret(entra, blob)
    assert entra.pem.read_bytes().split(b"-----BEGIN RSA PRIVATE KEY-----")[1][:64] not in blob


@pytest.mark.parametrize("entra", [{"deny": True}], indirect=True)
def test_403_exits_2_with_one_line_naming_the_permission(entra, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FEDAUDIT_TEST_SECRET", SECRET)
    out = tmp_path / "evidence"
    assert main(_args(entra, out, "--client-secret-env", "FEDAUDIT_TEST_SECRET")) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err
    assert "Domain.Read.All" in lines[0] and "application permission" in lines[0]
    assert "HTTP 403 Authorization_RequestDenied" in lines[0]
    assert list(out.iterdir()) == []  # nothing written, no hidden partial folder either
    _assert_no_secret(entra, captured.err.encode())


def test_403_in_a_process_has_no_traceback(entra, tmp_path):
    """The same through the installed entry point: one line on stderr, exit 2."""
    import os
    import subprocess
    import sys

    entra.deny = True
    env = {**os.environ, "FEDAUDIT_TEST_SECRET": SECRET}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fedaudit",
            *_args(entra, tmp_path / "out", "--client-secret-env", "FEDAUDIT_TEST_SECRET"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and "Domain.Read.All" in proc.stderr and "Traceback" not in proc.stderr
    _assert_no_secret(entra, (proc.stdout + proc.stderr).encode())


def test_a_wrong_secret_is_one_line_with_the_aadsts_code_and_not_the_secret(entra, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FEDAUDIT_TEST_SECRET", "wrong-" + SECRET)
    out = tmp_path / "evidence"
    assert main(_args(entra, out, "--client-secret-env", "FEDAUDIT_TEST_SECRET")) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "AADSTS7000215" in err and "invalid_client" in err
    assert SECRET not in err and "Trace ID" not in err
    assert not out.exists()  # a failed sign-in creates nothing


def test_device_code_prints_the_instructions_and_records_who_signed_in(entra, tmp_path, capsys, waits):
    out = tmp_path / "evidence"
    assert main(_args(entra, out, "--device-code")) == 0
    captured = capsys.readouterr()
    assert "enter the code FEDAUDIT1" in captured.err
    manifest = json.loads((Path(captured.out.strip()) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["credential"] == "device code" and manifest["signed_in_user"] == "auditor@contoso.com"
    form = [r.body.decode() for r in entra.log if r.path.endswith("/devicecode")][0]
    assert "Domain.Read.All" in form  # the delegated permission on this cloud's Graph resource
    _assert_no_secret(entra, _everything_written(out, captured.out, captured.err))


def test_the_ca_bundle_is_obeyed_although_requests_ca_bundle_is_set(entra, tmp_path, monkeypatch, capsys):
    """REQUESTS_CA_BUNDLE would replace a Session's verify default: without --ca-bundle the
    local CA is not trusted (TLS failure, exit 2); with it, it is (the runs above)."""
    monkeypatch.setenv("FEDAUDIT_TEST_SECRET", SECRET)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "graph-app.pem"))  # a PEM that trusts nothing here
    args = _args(entra, tmp_path / "evidence", "--client-secret-env", "FEDAUDIT_TEST_SECRET")
    assert main(args) == 0
    capsys.readouterr()
    i = args.index("--ca-bundle")
    del args[i : i + 2]
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "TLS certificate verification failed" in err


def test_a_next_link_to_another_host_is_refused_and_gets_no_token(entra, tmp_path):
    doc = json.loads(entra.bodies["page1"])
    doc["@odata.nextLink"] = "https://graph.attacker.invalid/v1.0/domains?$skiptoken=x"
    entra.bodies["page1"] = json.dumps(doc).encode()
    with pytest.raises(FetchError, match="nextLink .* is not a new URL on"):
        collect_entra(
            tmp_path / "out",
            tenant=TENANT,
            client_id=CLIENT,
            credential=Credential(kind="client secret", secret=SECRET),
            authority_host=entra.url,
            graph_endpoint=entra.url,
            ca_bundle=entra.ca_bundle,
        )
    assert list((tmp_path / "out").iterdir()) == []


def test_a_missing_federation_configuration_is_a_manifest_problem_the_loader_reports(entra, tmp_path):
    del entra.federation["contoso.co.uk"]
    result = collect_entra(
        tmp_path / "out",
        tenant=TENANT,
        client_id=CLIENT,
        credential=Credential(kind="client secret", secret=SECRET),
        authority_host=entra.url,
        graph_endpoint=entra.url,
        ca_bundle=entra.ca_bundle,
    )
    assert result.problems == (
        "Graph contoso.co.uk: GET "
        "v1.0/domains/contoso.co.uk/federationConfiguration: HTTP 404 Request_ResourceNotFound",
    )
    issues = fedaudit.load(result.folder).issues
    assert issues["message"].str.contains("the collector reported a problem \\(Graph contoso.co.uk\\)").any()


def test_two_runs_in_the_same_second_never_share_a_folder(entra, tmp_path):
    fixed = dt.datetime(2026, 11, 27, 6, 30, tzinfo=UTC)
    kwargs = dict(
        tenant=TENANT,
        client_id=CLIENT,
        credential=Credential(kind="client secret", secret=SECRET),
        authority_host=entra.url,
        graph_endpoint=entra.url,
        ca_bundle=entra.ca_bundle,
        clock=lambda: fixed,
    )
    first = collect_entra(tmp_path, **kwargs)
    second = collect_entra(tmp_path, **kwargs)
    assert first.folder.name == f"fedaudit-evidence-20261127T063000Z-entra-{TENANT}"
    assert second.folder.name == first.folder.name + "-2"
    assert json.loads((first.folder / "manifest.json").read_text())["started"] == "2026-11-27T06:30:00Z"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://login.microsoftonline.com", "must be an https:// URL"),
        ("https://login.microsoftonline.com/tenant", "give the host only"),
        ("login.microsoftonline.com", "must be an https:// URL"),
    ],
)
def test_endpoints_must_be_https_hosts(value, message, tmp_path):
    with pytest.raises(UsageError, match=message):
        collect_entra(
            tmp_path,
            tenant=TENANT,
            client_id=CLIENT,
            credential=Credential.device_code(),
            authority_host=value,
        )


def test_certificate_file_problems_are_usage_errors(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cert_a, pem_a = client_certificate(tmp_path / "a")
    _, pem_b = client_certificate(tmp_path / "b")
    only_cert = tmp_path / "cert.pem"
    only_cert.write_bytes(cert_a.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(UsageError, match="found 1 certificate\\(s\\), 0 private key\\(s\\)"):
        Credential.from_certificate_file(only_cert)
    mismatched = tmp_path / "mismatch.pem"
    key_b = pem_b.read_bytes().split(b"-----END CERTIFICATE-----\n")[1]
    mismatched.write_bytes(cert_a.public_bytes(serialization.Encoding.PEM) + key_b)
    with pytest.raises(UsageError, match="no certificate in the file matches its private key"):
        Credential.from_certificate_file(mismatched)
    with pytest.raises(UsageError, match="no such file"):
        Credential.from_certificate_file(tmp_path / "absent.pem")
    good = Credential.from_certificate_file(pem_a)
    assert good.kind == "certificate" and "PRIVATE KEY" not in repr(good)


def test_credential_repr_never_shows_the_secret() -> None:
    assert SECRET not in repr(Credential(kind="client secret", secret=SECRET))


def test_permission_error_is_a_fetch_error() -> None:
    assert issubclass(GraphPermissionError, FetchError)


def test_an_empty_federation_configuration_loads_as_a_warning_not_an_unknown_file(entra, tmp_path):
    """Graph's answer "no federation configuration" for a Federated domain: the body is kept as
    evidence and the loader says what it means (Entra holds no signing certificate for it)."""
    entra.federation["contoso.co.uk"] = (
        b'{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#domains(\'contoso.co.uk\')/federationConfiguration","value":[]}'
    )
    result = collect_entra(
        tmp_path / "out",
        tenant=TENANT,
        client_id=CLIENT,
        credential=Credential(kind="client secret", secret=SECRET),
        authority_host=entra.url,
        graph_endpoint=entra.url,
        ca_bundle=entra.ca_bundle,
    )
    evidence = fedaudit.load(result.folder)
    kinds = {Path(i.path).name: i.kind for i in evidence.inputs}
    assert (
        kinds["Get-MgDomainFederationConfiguration.contoso.co.uk.json"]
        == "Graph internalDomainFederation (Graph JSON, no entries)"
    )
    (issue,) = evidence.issues.to_dict(orient="records")
    assert issue["severity"] == "warning"
    assert issue["message"].startswith("Microsoft Graph returned no federation configuration for contoso.co.uk")


@pytest.mark.parametrize("entra", [{"expire_after": 2}], indirect=True)
def test_an_expired_token_is_renewed_and_the_collection_goes_on(entra, tmp_path):
    result = collect_entra(
        tmp_path / "out",
        tenant=TENANT,
        client_id=CLIENT,
        credential=Credential(kind="client secret", secret=SECRET),
        authority_host=entra.url,
        graph_endpoint=entra.url,
        ca_bundle=entra.ca_bundle,
    )
    # 3 domain pages + 2 federation configurations, two requests a token: three tokens.
    assert len(entra.issued) == 3 and result.problems == ()
    manifest = json.loads((result.folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["token_renewals"] == 2
    _assert_inventory_exact_evidence(result.folder)


def _assert_inventory_exact_evidence(folder: Path) -> None:
    evidence = fedaudit.load(folder)
    assert len(evidence.issues) == 0
    rows = sorted(
        [
            r.domain,
            r.authentication,
            *(None if pd.isna(v) else v for v in (r.signing_thumbprint, r.next_signing_thumbprint)),
        ]
        for r in evidence.domains.itertuples()
    )
    assert rows == EXPECTED_DOMAINS


def test_a_401_names_the_cloud_mismatch(entra, tmp_path):
    # Graph takes none of the tokens (as with a token from another cloud's sign-in): after the
    # bounded renewals, one line that says what to check.
    entra.expire_after = 0
    with pytest.raises(GraphPermissionError, match="name the same cloud"):
        collect_entra(
            tmp_path / "out",
            tenant=TENANT,
            client_id=CLIENT,
            credential=Credential(kind="client secret", secret=SECRET),
            authority_host=entra.url,
            graph_endpoint=entra.url,
            ca_bundle=entra.ca_bundle,
        )


def test_the_docs_use_only_real_flags_and_name_the_permission() -> None:
    from fedaudit.cli import build_parser

    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "entra-collect.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    collect = sub.choices["collect"]
    entra = next(a for a in collect._actions if a.dest == "source").choices["entra"]
    known = {o for a in entra._actions for o in a.option_strings}
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", doc.split("## The app registration")[0]))
    assert used and used <= known, used - known
    assert "Domain.Read.All" in doc and "instance_discovery=False" in doc and "http_client=" in doc
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "docs/entra-collect.md" in readme and "fedaudit collect entra" in readme


def test_an_expired_app_certificate_stops_before_sign_in_and_a_near_expiry_warns(entra, tmp_path, capsys) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "soon").mkdir()
    _, expired = client_certificate(tmp_path / "old", days=-1)
    assert main(_args(entra, tmp_path / "out", "--certificate", str(expired))) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "expired on" in err and "upload it to the app registration" in err
    assert not any(r.path.endswith("/token") for r in entra.log)  # Entra was never asked
    cert, soon = client_certificate(tmp_path / "soon", days=10)
    entra.certificate = cert
    assert main(_args(entra, tmp_path / "out", "--certificate", str(soon))) == 0
    captured = capsys.readouterr()
    assert "warning: the app certificate" in captured.err and "expires on" in captured.err
    manifest = json.loads((Path(captured.out.strip()) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["client_certificate_not_after"] == f"{cert.not_valid_after_utc:%Y-%m-%dT%H:%M:%SZ}"
