"""Loading metadata evidence: fetched bodies paired with their sidecars, failed fetches on record,
``fedaudit.load`` with URLs, URL discovery from exports, ``fedaudit fetch --discover``."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import ssl
from pathlib import Path

import pandas as pd
import pytest
import trustme

import fedaudit
from support.loopback import LoopbackHTTPS, send
from fedaudit.cli import main
from fedaudit.evidence.join import Evidence
from fedaudit.io.fetch import fetch_all
from fedaudit.frames import SCHEMAS, frame_records, make_frame
from fedaudit.metadata import METADATA_PATH, discover_metadata_urls, metadata_url, read_metadata

DATA = Path(__file__).parent.parent / "data" / "metadata"
DOC_NAME = "adfs20-msidlab7.xml"
DOC = (DATA / DOC_NAME).read_bytes()
ENTITY = "http://fs.msidlab7.com/adfs/services/trust"
SIGNER = "28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708"
UTC = dt.timezone.utc


def respond(h) -> None:
    if h.path in ("/ok", METADATA_PATH):
        send(h, 200, DOC, "application/samlmetadata+xml")
    elif h.path == "/login":
        send(h, 200, b"<html>sign in</html>", "text/html")
    else:
        send(h, 404, b"<html>missing</html>", "text/html")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with LoopbackHTTPS(respond, context=context) as srv:
        srv.bundle = str(bundle)
        yield srv


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fetched_evidence_loads_into_frames(server, tmp_path):
    refused = f"https://127.0.0.1:{_closed_port()}/federationmetadata/2007-06/federationmetadata.xml"
    urls = [server.url("/ok"), server.url("/missing"), refused, server.url("/login")]
    results = fetch_all(urls, tmp_path, ca_bundle=server.bundle, timeout=5, retries=0)
    evidence = fedaudit.load(tmp_path)
    assert list(evidence.metadata.columns[: len(SCHEMAS["metadata"])]) == list(SCHEMAS["metadata"])
    rows = {r["url"]: r for r in frame_records(evidence.metadata)}
    assert sorted(rows) == sorted(urls)

    ok = rows[server.url("/ok")]
    assert ok["origin"] == results[0].body_path
    assert ok["entity_id"] == ENTITY
    assert ok["fetched_at"] == results[0].fetched_at.isoformat()
    assert (ok["reachable"], ok["http_status"], ok["tls_verified"], ok["insecure"]) == (True, 200, True, False)
    assert (ok["signature"], ok["signer_thumbprint"], ok["error"]) == ("valid", SIGNER, None)
    assert ok["sha256"] == hashlib.sha256(DOC).hexdigest()

    missing = rows[server.url("/missing")]
    assert missing["origin"] == results[1].sidecar_path
    assert (missing["reachable"], missing["http_status"], missing["error"]) == (False, 404, "HTTP 404 Not Found")
    assert missing["entity_id"] is None and missing["signature"] is None

    gone = rows[refused]
    assert (gone["reachable"], gone["http_status"], gone["tls_verified"], gone["error"]) == (
        False, None, None, "connection refused")
    login = rows[server.url("/login")]
    assert login["error"] == "the response is not federation metadata (content-type text/html)"

    certs = frame_records(evidence.certificates)
    assert {(c["source"], c["role"], c["thumbprint"]) for c in certs} == {
        ("metadata", "token-signing", SIGNER),
        ("metadata", "token-decrypting", "7C72CBF56255A068C51DCA32D2CBD90D89ACB009"),
    }
    # error pages (.body) are evidence on disk but not inputs; nothing is an unrecognised file
    assert not any(i.path.endswith(".body") for i in evidence.inputs)
    assert len(evidence.issues) == 0


def test_load_fetches_urls(server, tmp_path):
    evidence = fedaudit.load(server.url("/ok"), ca_bundle=server.bundle, evidence_dir=tmp_path / "ev")
    assert frame_records(evidence.metadata)[0]["entity_id"] == ENTITY
    assert len(list((tmp_path / "ev").glob("*.fetch.json"))) == 1
    # without evidence_dir: a temporary folder, still loaded
    evidence = fedaudit.load(metadata=[server.url("/ok")], ca_bundle=server.bundle)
    [row] = frame_records(evidence.metadata)
    assert (row["url"], row["signature"]) == (server.url("/ok"), "valid")


def _sidecar(body: str | None, data: bytes | None, **extra) -> bytes:
    obj = {
        "fedaudit_fetch": 1,
        "url": "https://fs.msidlab7.com/federationmetadata/2007-06/federationmetadata.xml",
        "final_url": "https://fs.msidlab7.com/federationmetadata/2007-06/federationmetadata.xml",
        "fetched_at": "2026-11-27T06:15:00.123456Z",
        "status": 200,
        "elapsed_ms": 120,
        "tls_verified": True,
        "insecure": False,
        "server_certificate": None,
        "content_type": "application/samlmetadata+xml",
        "sha256": hashlib.sha256(data).hexdigest() if data is not None else None,
        "body": body,
        "body_kind": "metadata" if body else None,
        "error": None,
        "redirects": [],
    }
    obj.update(extra)
    return json.dumps(obj).encode()


def test_pairing_by_folder_and_name():
    results = read_metadata([("ev/fs.xml", DOC)], [("ev/fs.fetch.json", _sidecar("fs.xml", DOC))])
    [result] = results
    [record] = result.metadata
    assert record.url.endswith("/federationmetadata.xml")
    assert record.fetched_at == dt.datetime(2026, 11, 27, 6, 15, 0, 123456, tzinfo=UTC)
    assert (record.reachable, record.http_status, record.tls_verified, record.insecure) == (True, 200, True, False)
    assert {o.hints["url"] for o in result.observations} == {record.url}


def test_pairing_survives_a_moved_body_when_bytes_match():
    [result] = read_metadata([("copied/fs.xml", DOC)], [("ev/fs.fetch.json", _sidecar("fs.xml", DOC))])
    assert result.metadata[0].url is not None


def test_altered_body_is_flagged():
    altered = DOC.replace(b"fs.msidlab7.com", b"fs.msidlab8.com", 1)
    [result] = read_metadata([("ev/fs.xml", altered)], [("ev/fs.fetch.json", _sidecar("fs.xml", DOC))])
    assert [i.severity for i in result.issues] == ["high"]
    assert result.metadata[0].error == "body differs from the bytes fetched (sha256 mismatch)"
    assert result.metadata[0].signature == "invalid"


def test_missing_body_is_flagged():
    [result] = read_metadata([], [("ev/fs.fetch.json", _sidecar("fs.xml", DOC))])
    assert result.metadata[0].error == "the fetched body fs.xml is missing from the evidence folder"
    assert result.issues[0].field == "body"


def test_failed_fetch_sidecar_yields_a_record():
    side = _sidecar(None, None, status=None, tls_verified=False, error="TLS certificate verification failed: x")
    [result] = read_metadata([], [("ev/x.fetch.json", side)])
    [record] = result.metadata
    assert (record.reachable, record.tls_verified, record.error) == (False, False, "TLS certificate verification failed: x")
    assert result.kind == "fetch evidence (failed)" and result.issues == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not a JSON fetch sidecar"),
        (b'{"fedaudit_fetch": 2}', 'needs "fedaudit_fetch": 1'),
        (json.dumps({"fedaudit_fetch": 1, "status": "200"}).encode(), "status has the wrong type"),
        (json.dumps({"fedaudit_fetch": 1, "fetched_at": "yesterday"}).encode(), "is not ISO 8601"),
        (json.dumps({"fedaudit_fetch": 1, "fetched_at": "2026-01-01T00:00:00"}).encode(), "no UTC offset"),
    ],
)
def test_unreadable_sidecars_are_issues(data, message):
    [result] = read_metadata([], [("x.fetch.json", data)])
    assert message in result.issues[0].message and result.metadata == ()


def test_metadata_url():
    assert metadata_url("FS.Contoso.com") == "https://fs.contoso.com" + METADATA_PATH
    assert metadata_url("https://fs.contoso.com/adfs/ls/") == "https://fs.contoso.com" + METADATA_PATH
    assert metadata_url("https://fs.contoso.com:4443/adfs/ls/") == "https://fs.contoso.com:4443" + METADATA_PATH
    assert metadata_url("http://contoso.com/adfs/services/trust/") == "https://contoso.com" + METADATA_PATH
    assert metadata_url("urn:contoso:sts") is None
    assert metadata_url("  ") is None


def test_discover_from_frames():
    farms = make_frame("farms", [{"farm": "fs.contoso.com", "host_name": "fs.contoso.com"},
                                 {"farm": "fs.nohost.example", "host_name": None}])
    domains = make_frame("domains", [
        {"domain": "contoso.com", "farm": "fs.contoso.com", "issuer_uri": "http://contoso.com/adfs/services/trust/",
         "passive_sign_in_uri": "https://fs.contoso.com/adfs/ls/",
         "metadata_exchange_uri": "https://fs.contoso.com/adfs/services/trust/mex"},
        {"domain": "fabrikam.com", "issuer_uri": "urn:fabrikam:sts", "passive_sign_in_uri": "https://sts.fabrikam.com/adfs/ls/"},
    ])
    frame = discover_metadata_urls(Evidence(farms=farms, domains=domains))
    assert list(frame.columns) == ["farm", "domain", "url", "derived_from"]
    assert all(str(t) == "string" for t in frame.dtypes)
    fs = "https://fs.contoso.com" + METADATA_PATH
    assert frame_records(frame) == [
        {"farm": "fs.contoso.com", "domain": "contoso.com", "url": "https://contoso.com" + METADATA_PATH,
         "derived_from": "domains.issuer_uri"},
        {"farm": "fs.contoso.com", "domain": None, "url": fs, "derived_from": "farms.host_name"},
        {"farm": "fs.contoso.com", "domain": "contoso.com", "url": fs, "derived_from": "domains.metadata_exchange_uri"},
        {"farm": "fs.contoso.com", "domain": "contoso.com", "url": fs, "derived_from": "domains.passive_sign_in_uri"},
        {"farm": None, "domain": "fabrikam.com", "url": "https://sts.fabrikam.com" + METADATA_PATH,
         "derived_from": "domains.passive_sign_in_uri"},
    ]
    empty = discover_metadata_urls(Evidence())
    assert empty.empty and list(empty.columns) == ["farm", "domain", "url", "derived_from"]
    assert isinstance(empty, pd.DataFrame)


def test_cli_discover_fetches_the_farm_metadata(server, tmp_path, capsys):
    exports = tmp_path / "exports"
    exports.mkdir()
    host = f"127.0.0.1:{server.port}"
    (exports / "Get-AdfsProperties.json").write_text(json.dumps({
        "HostName": host, "Identifier": ENTITY, "AutoCertificateRollover": True,
        "CertificateGenerationThreshold": 20, "CertificatePromotionThreshold": 5,
    }))
    out = tmp_path / "evidence"
    code = main(["fetch", "--discover", str(exports), "--out", str(out), "--ca-bundle", server.bundle])
    captured = capsys.readouterr()
    url = f"https://{host}{METADATA_PATH}"
    assert f"discovered {url} <- farms.host_name ({host})" in captured.err
    assert captured.out == f"ok     200  sha256:{hashlib.sha256(DOC).hexdigest()[:12]}  {url}\n"
    assert code == 0
    [row] = frame_records(fedaudit.load(out).metadata)
    assert (row["url"], row["entity_id"], row["signature"]) == (url, ENTITY, "valid")
    # with the exports loaded too, the document joins its farm by entityID = Identifier
    evidence = fedaudit.load(exports, out)
    assert frame_records(evidence.metadata)[0]["farm"] == host
    assert set(evidence.certificates.loc[evidence.certificates["source"] == "metadata", "farm"]) == {host}
