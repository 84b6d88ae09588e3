"""fedaudit.io.fetch against a real HTTPS server on 127.0.0.1 (trustme CA), one case per failure mode.

Every case checks the evidence on disk: the sidecar (and the body when there is one), and that
fetch_all returned a result instead of raising.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import ssl
import sys
import threading
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import fedaudit.io.fetch as fetch_module
from fedaudit import __version__
from support.loopback import LoopbackHTTPS, send
from fedaudit.cli import main
from fedaudit.errors import UsageError
from fedaudit.io.fetch import fetch_all, fetch_one
from fedaudit.evidence.load import sniff_kind

DATA = Path(__file__).parent.parent / "data" / "metadata"
DOC = (DATA / "adfs20-msidlab7.xml").read_bytes()
UTC = dt.timezone.utc

SIDECAR_KEYS = {
    "fedaudit_fetch", "url", "final_url", "fetched_at", "status", "elapsed_ms", "tls_verified",
    "server_certificate", "content_type", "sha256", "error", "redirects", "insecure", "body",
}


class Site:
    """Routes of the test server and what it saw."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.user_agents: list[str] = []
        self.server: LoopbackHTTPS | None = None

    def respond(self, h) -> None:
        with self.lock:
            self.hits[h.path] = self.hits.get(h.path, 0) + 1
            hit = self.hits[h.path]
            self.user_agents.append(h.headers.get("User-Agent", ""))
        path = h.path
        if path == "/ok":
            send(h, 200, DOC, "application/samlmetadata+xml")
        elif path == "/missing":
            send(h, 404, b"<html><body>Not here</body></html>", "text/html")
        elif path.startswith("/flaky/"):
            if hit == 1:
                send(h, 500, b"try again", "text/plain")
            else:
                send(h, 200, DOC)
        elif path == "/slow":
            self.server.stop.wait(5)
            send(h, 200, DOC)
        elif path == "/big":
            # No Content-Length: the cap must hold while streaming.
            h.send_response(200)
            h.send_header("Content-Type", "application/xml")
            h.send_header("Connection", "close")
            h.end_headers()
            try:
                for _ in range(64):
                    h.wfile.write(b"<!-- padding -->" * 4096)
            except (OSError, ssl.SSLError):
                return
        elif path == "/big-declared":
            h.send_response(200)
            h.send_header("Content-Type", "application/xml")
            h.send_header("Content-Length", str(50 * 2**20))
            h.end_headers()
        elif path == "/redirect-http":
            send(h, 302, b"", headers={"Location": f"http://127.0.0.1:{self.server.port}/ok"})
        elif path == "/redirect-https":
            send(h, 301, b"", headers={"Location": "/ok"})
        elif path == "/login":
            send(h, 200, b"<html><form>sign in</form></html>", "text/html")
        else:
            send(h, 404, b"", "text/plain")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    other = trustme.CA()
    now = dt.datetime.now(UTC)
    leaf = ca.issue_cert("127.0.0.1")
    expired = ca.issue_cert("127.0.0.1", not_before=now - dt.timedelta(days=30), not_after=now - dt.timedelta(days=1))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    other.cert_pem.write_to_path(str(folder / "other-ca.pem"))
    return {"ca": ca, "leaf": leaf, "expired": expired, "bundle": str(folder / "ca.pem"),
            "other_bundle": str(folder / "other-ca.pem")}


def _context(cert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


def _thumbprint(cert) -> str:
    pem = cert.cert_chain_pems[0].bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der).hexdigest().upper()


@pytest.fixture(scope="module")
def site(pki):
    s = Site()
    with LoopbackHTTPS(s.respond, context=_context(pki["leaf"])) as server:
        s.server = server
        yield s


@pytest.fixture(scope="module")
def expired_site(pki):
    s = Site()
    with LoopbackHTTPS(s.respond, context=_context(pki["expired"])) as server:
        s.server = server
        yield s


def _sidecar(result) -> dict:
    data = Path(result.sidecar_path).read_bytes()
    assert sniff_kind(data) == "fetch-sidecar"
    obj = json.loads(data)
    assert SIDECAR_KEYS <= set(obj)
    assert obj["fedaudit_fetch"] == 1
    assert obj["url"] == result.url
    assert obj["error"] == result.error
    assert obj["status"] == result.status
    assert obj["tls_verified"] == result.tls_verified
    assert dt.datetime.fromisoformat(obj["fetched_at"].replace("Z", "+00:00")) == result.fetched_at
    return obj


def test_success_writes_body_and_sidecar(site, pki, tmp_path):
    result = fetch_one(site.server.url("/ok"), tmp_path, ca_bundle=pki["bundle"], timeout=5)
    assert result.ok and result.error is None and result.status == 200
    assert result.tls_verified is True and result.insecure is False
    assert result.fetched_at.tzinfo is not None and result.fetched_at.utcoffset() == dt.timedelta(0)
    assert result.server_certificate.thumbprint == _thumbprint(pki["leaf"])
    assert result.server_certificate.subject.startswith("OU=Testing cert")
    assert result.sha256 == hashlib.sha256(DOC).hexdigest()
    body = Path(result.body_path)
    assert body.read_bytes() == DOC and body.suffix == ".xml"
    assert body.name.startswith(f"127.0.0.1-{site.server.port}_ok_")
    side = _sidecar(result)
    assert side["body"] == body.name and side["body_kind"] == "metadata"
    assert side["content_type"] == "application/samlmetadata+xml"
    assert side["server_certificate"]["thumbprint"] == _thumbprint(pki["leaf"])
    assert side["redirects"] == [] and len(side["attempts"]) == 1
    assert side["insecure"] is False and side["ca_bundle"] == pki["bundle"]
    assert f"fedaudit/{__version__}" in site.user_agents


def test_404_is_recorded_with_its_body(site, pki, tmp_path):
    result = fetch_one(site.server.url("/missing"), tmp_path, ca_bundle=pki["bundle"], timeout=5)
    assert not result.ok and result.status == 404
    assert result.error == "HTTP 404 Not Found"
    side = _sidecar(result)
    assert side["body"].endswith(".body") and side["body_kind"] == "other"
    assert (tmp_path / side["body"]).read_bytes() == b"<html><body>Not here</body></html>"
    assert len(side["attempts"]) == 1  # 4xx is not retried


def test_500_then_success_is_retried(site, pki, tmp_path):
    result = fetch_one(site.server.url("/flaky/a"), tmp_path, ca_bundle=pki["bundle"], timeout=5, backoff=0.01)
    assert result.ok and result.status == 200
    assert [a.status for a in result.attempts] == [500, 200]
    side = _sidecar(result)
    assert [a["status"] for a in side["attempts"]] == [500, 200]
    assert side["attempts"][0]["error"] == "HTTP 500"


def test_500_exhausts_retries(site, pki, tmp_path):
    result = fetch_one(site.server.url("/flaky/b"), tmp_path, ca_bundle=pki["bundle"], timeout=5, retries=0)
    assert result.status == 500 and result.error == "HTTP 500 Internal Server Error"
    assert len(result.attempts) == 1
    _sidecar(result)


def test_read_timeout(site, pki, tmp_path):
    result = fetch_one(site.server.url("/slow"), tmp_path, ca_bundle=pki["bundle"], timeout=0.3, retries=0)
    assert not result.ok and result.status is None
    assert result.error == "read timeout after 0.3 s"
    side = _sidecar(result)
    assert side["body"] is None and side["sha256"] is None


def test_oversize_body_is_abandoned_while_streaming(site, pki, tmp_path):
    cap = 256 * 1024
    result = fetch_one(site.server.url("/big"), tmp_path, ca_bundle=pki["bundle"], timeout=5, max_bytes=cap)
    assert not result.ok and result.status == 200
    assert result.error.startswith(f"response body exceeds the {cap}-byte cap (stopped after ")
    assert result.body_path is None
    side = _sidecar(result)
    assert side["body"] is None and side["bytes"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [Path(result.sidecar_path).name]


def test_oversize_declared_length_is_refused_before_reading(site, pki, tmp_path):
    result = fetch_one(site.server.url("/big-declared"), tmp_path, ca_bundle=pki["bundle"], timeout=5)
    assert result.error == f"response of {50 * 2**20} bytes (Content-Length) exceeds the {10 * 2**20}-byte cap"
    _sidecar(result)


def test_redirect_to_http_is_refused(site, pki, tmp_path):
    url = site.server.url("/redirect-http")
    result = fetch_one(url, tmp_path, ca_bundle=pki["bundle"], timeout=5)
    target = f"http://127.0.0.1:{site.server.port}/ok"
    assert not result.ok and result.status == 302
    assert result.error == f"redirect to a non-https URL refused: {target}"
    side = _sidecar(result)
    assert side["redirects"] == [{"url": url, "status": 302, "location": target}]
    assert side["final_url"] == url


def test_https_redirect_is_followed_and_recorded(site, pki, tmp_path):
    url = site.server.url("/redirect-https")
    result = fetch_one(url, tmp_path, ca_bundle=pki["bundle"], timeout=5)
    assert result.ok and result.final_url == site.server.url("/ok")
    side = _sidecar(result)
    assert side["redirects"] == [{"url": url, "status": 301, "location": site.server.url("/ok")}]
    assert (tmp_path / side["body"]).read_bytes() == DOC


def test_untrusted_certificate(site, pki, tmp_path):
    result = fetch_one(site.server.url("/ok"), tmp_path, ca_bundle=pki["other_bundle"], timeout=5)
    assert not result.ok and result.status is None
    assert result.error == "TLS certificate verification failed: unable to get local issuer certificate"
    assert result.tls_verified is False
    assert len(result.attempts) == 1  # TLS failures are not retried
    # the certificate the server presented is evidence all the same
    assert result.server_certificate.thumbprint == _thumbprint(pki["leaf"])
    assert _sidecar(result)["server_certificate"]["thumbprint"] == _thumbprint(pki["leaf"])


def test_expired_tls_certificate(expired_site, pki, tmp_path):
    result = fetch_one(expired_site.server.url("/ok"), tmp_path, ca_bundle=pki["bundle"], timeout=5)
    assert not result.ok and result.tls_verified is False
    assert result.error == "TLS certificate verification failed: certificate has expired"
    cert = result.server_certificate
    minted = x509.load_pem_x509_certificate(pki["expired"].cert_chain_pems[0].bytes())
    assert cert.thumbprint == _thumbprint(pki["expired"])
    assert cert.not_after == minted.not_valid_after_utc < result.fetched_at
    side = _sidecar(result)
    assert side["server_certificate"]["not_after"] == cert.not_after.isoformat().replace("+00:00", "Z")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_retried_then_recorded(tmp_path):
    url = f"https://127.0.0.1:{_closed_port()}/federationmetadata/2007-06/federationmetadata.xml"
    result = fetch_one(url, tmp_path, timeout=2, retries=2, backoff=0.01)
    assert not result.ok and result.status is None
    assert result.error == "connection refused"
    assert [a.error for a in result.attempts] == ["connection refused"] * 3
    assert result.tls_verified is None and result.server_certificate is None
    side = _sidecar(result)
    assert side["body"] is None and side["server_certificate"] is None


def test_insecure_fetch_is_recorded(site, pki, tmp_path):
    # Also proves urllib3's InsecureRequestWarning is contained (warnings are errors in pytest).
    result = fetch_one(site.server.url("/ok"), tmp_path, ca_bundle=pki["other_bundle"], insecure=True, timeout=5)
    assert result.ok and result.tls_verified is False and result.insecure is True
    side = _sidecar(result)
    assert side["insecure"] is True and side["tls_verified"] is False
    assert side["server_certificate"]["thumbprint"] == _thumbprint(pki["leaf"])


def test_non_metadata_200_is_a_failure(site, pki, tmp_path):
    result = fetch_one(site.server.url("/login"), tmp_path, ca_bundle=pki["bundle"], timeout=5)
    assert result.status == 200 and not result.ok
    assert result.error == "the response is not federation metadata (content-type text/html)"
    assert Path(result.body_path).suffix == ".body"


def test_plain_http_url_is_refused_without_network(tmp_path):
    result = fetch_one("http://127.0.0.1:9/federationmetadata.xml", tmp_path)
    assert result.error == "refused: not an https:// URL (metadata is fetched over verified TLS only)"
    assert result.attempts == ()
    _sidecar(result)


def test_one_failure_does_not_stop_the_others(site, pki, tmp_path):
    urls = [site.server.url("/ok"), f"https://127.0.0.1:{_closed_port()}/x", site.server.url("/missing"),
            site.server.url("/ok")]
    results = fetch_all(urls, tmp_path, ca_bundle=pki["bundle"], timeout=5, retries=0, workers=4)
    assert [r.url for r in results] == urls
    assert [r.ok for r in results] == [True, False, False, True]
    sidecars = sorted(tmp_path.glob("*.fetch.json"))
    assert len(sidecars) == 4  # the same URL twice: two separate pieces of evidence
    assert len({r.body_path for r in results if r.body_path}) == 3


def test_names_never_overwrite(site, pki, tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module, "_stem", lambda url, when: "same-name")
    first = fetch_one(site.server.url("/ok"), tmp_path, ca_bundle=pki["bundle"], timeout=5)
    before = Path(first.sidecar_path).read_bytes()
    second = fetch_one(site.server.url("/missing"), tmp_path, ca_bundle=pki["bundle"], timeout=5)
    assert Path(first.sidecar_path).name == "same-name.fetch.json"
    assert Path(second.sidecar_path).name == "same-name-1.fetch.json"
    assert Path(first.sidecar_path).read_bytes() == before
    assert json.loads(Path(second.sidecar_path).read_bytes())["body"] == "same-name-1.body"
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_the_library_prints_nothing_and_the_cli_draws_the_bar_on_a_terminal(site, pki, tmp_path, capsys, monkeypatch):
    from fedaudit.cli import main

    fetch_all([site.server.url("/ok")] * 3, tmp_path / "lib", ca_bundle=pki["bundle"], timeout=5)
    out = capsys.readouterr()
    assert out.err == "" and out.out == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["fetch", *[site.server.url("/ok")] * 3, "--out", str(tmp_path / "cli"), "--ca-bundle", pki["bundle"]]) == 0
    err = capsys.readouterr().err
    assert "fetch [" in err and "3/3" in err and err.endswith("\n")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"urls": "https://fs.contoso.com/x"}, "not a single string"),
        ({"urls": ["ftp://fs.contoso.com/x"]}, "not an http(s) URL"),
        ({"urls": ["https:///nohost"]}, "not an http(s) URL"),
        ({"workers": 0}, "workers must be"),
        ({"timeout": -1}, "timeout must be"),
        ({"max_bytes": 0}, "max_bytes must be"),
        ({"retries": -1}, "retries must be"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "no such file"),
    ],
)
def test_bad_arguments_raise_usage_error(tmp_path, kwargs, message):
    args = {"urls": ["https://127.0.0.1:9/x"]} | kwargs
    urls = args.pop("urls")
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fetch_all(urls, tmp_path, **args)
    assert list(tmp_path.iterdir()) == []


def test_empty_url_list(tmp_path):
    assert fetch_all([], tmp_path / "new") == []


def test_cli_fetch_exit_codes(site, pki, tmp_path, capsys):
    out = tmp_path / "evidence"
    ok, missing = site.server.url("/ok"), site.server.url("/missing")
    assert main(["fetch", ok, "--out", str(out), "--ca-bundle", pki["bundle"], "--timeout", "5"]) == 0
    line = capsys.readouterr().out.strip()
    assert line == f"ok     200  sha256:{hashlib.sha256(DOC).hexdigest()[:12]}  {ok}"
    assert main(["fetch", ok, missing, "--out", str(out), "--ca-bundle", pki["bundle"]]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == f"FAILED 404  HTTP 404 Not Found  {missing}"
    assert main(["fetch", "--out", str(out)]) == 2
    assert "give at least one URL" in capsys.readouterr().err
    assert main(["fetch", "ftp://x/y", "--out", str(out)]) == 2
