"""fedaudit.fetch against hostile servers on 127.0.0.1 (trustme CA): a server that trickles its
headers or its body one byte every 0.5 s, an escape-sequence reason phrase, redirects whose
Location does not parse, and URL arguments that are not UTF-8.

Every attempt must end within max(3T, T + 5) seconds of --timeout T and leave a sidecar; the
trickle handlers send at most a bounded number of bytes and stop when the server shuts down.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trustme
from support.loopback import LoopbackHTTPS, send
from urllib3.exceptions import LocationParseError

import fedaudit.io.fetch as fetch_module
from fedaudit.cli import main
from fedaudit.io.fetch import attempt_bound, fetch_one

DOC = (Path(__file__).parent.parent / "data" / "metadata" / "adfs20-msidlab7.xml").read_bytes()

#: Most bytes a trickle handler sends (at 0.5 s each, 100 s): far beyond any bound tested.
TRICKLE_BYTES = 200
HOSTILE_REASON = "\x1b]0;pwned\x07\x1b[2J Not Found"


def _trickle(h, server: LoopbackHTTPS, data: bytes) -> None:
    """Write ``data`` one byte every 0.5 s until it is sent, the client goes or the server stops."""
    for byte in data[:TRICKLE_BYTES]:
        if server.stop.wait(0.5):
            return
        try:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
        except OSError:
            return


def _respond(h) -> None:
    server: LoopbackHTTPS = h.server.fedaudit_site
    if h.path == "/trickle-headers":
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        _trickle(h, server, b"X-Slow: " + b"a" * 1000)
    elif h.path == "/trickle-body":
        h.send_response(200)
        h.send_header("Content-Type", "application/samlmetadata+xml")
        h.send_header("Content-Length", str(len(DOC)))
        h.end_headers()
        _trickle(h, server, DOC)
    elif h.path == "/hostile-reason":
        body = b"<html>gone</html>"
        h.wfile.write(
            f"HTTP/1.1 404 {HOSTILE_REASON}\r\nContent-Type: text/html\x1b[31m\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("latin-1")
            + body
        )
    elif h.path == "/bad-location-http":
        send(h, 302, b"", headers={"Location": "http://[oops]/"})
    elif h.path == "/bad-location-https":
        send(h, 302, b"", headers={"Location": "https://[oops]/federationmetadata.xml"})
    elif h.path == "/bad-port":
        send(h, 301, b"", headers={"Location": "https://127.0.0.1:99999999/x"})
    else:
        send(h, 404, b"", "text/plain")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    return {"leaf": ca.issue_cert("127.0.0.1"), "bundle": str(folder / "ca.pem")}


@pytest.fixture(scope="module")
def server(pki):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    pki["leaf"].configure_cert(context)
    with LoopbackHTTPS(_respond, context=context) as srv:
        srv.server.fedaudit_site = srv
        yield srv


def _sidecar(result) -> dict:
    obj = json.loads(Path(result.sidecar_path).read_bytes())
    assert obj["fedaudit_fetch"] == 1
    assert obj["error"] == result.error
    return obj


@pytest.mark.parametrize(
    "path,phase", [("/trickle-headers", "reading the response headers"), ("/trickle-body", "reading the body")]
)
def test_trickling_server_is_stopped_at_the_attempt_deadline(server, pki, tmp_path, path, phase):
    timeout = 1.0
    start = time.monotonic()
    result = fetch_one(server.url(path), tmp_path, ca_bundle=pki["bundle"], timeout=timeout, retries=2)
    took = time.monotonic() - start
    bound = attempt_bound(timeout)
    assert bound == 6
    # A byte every 0.5 s never trips the 1 s socket timeout: only the deadline ends the attempt
    # (the error says so), and it is not retried. The documented bound, with slack for a busy
    # machine, is a correctness limit (without the watchdog this takes 100 s), not a speed target.
    assert took <= bound + 3
    assert not result.ok
    assert result.error.startswith(f"attempt stopped at its {bound:g}-second deadline, {phase}")
    assert len(result.attempts) == 1
    obj = _sidecar(result)
    assert obj["body"] is None and obj["bytes"] is None


def test_cli_fetch_timeout_bounds_a_trickled_body(server, pki, tmp_path, capsys):
    start = time.monotonic()
    code = main(
        ["fetch", server.url("/trickle-body"), "--out", str(tmp_path), "--ca-bundle", pki["bundle"], "--timeout", "1"]
    )
    took = time.monotonic() - start
    assert code == 1
    assert took <= max(3 * 1, 1 + 5) + 2
    line = capsys.readouterr().out
    assert line.startswith("FAILED 200  attempt stopped at its 6-second deadline")
    assert len(list(tmp_path.glob("*.fetch.json"))) == 1


def test_hostile_reason_phrase_and_header_are_stored_and_printed_escaped(server, pki, tmp_path, capsys):
    result = fetch_one(server.url("/hostile-reason"), tmp_path, ca_bundle=pki["bundle"], timeout=5, retries=0)
    assert result.status == 404
    assert "\x1b" not in result.error and "\x07" not in result.error
    assert result.error == "HTTP 404 \\x1b]0;pwned\\x07\\x1b[2J Not Found"
    obj = _sidecar(result)
    assert obj["content_type"] == "text/html\\x1b[31m"
    raw = Path(result.sidecar_path).read_bytes()
    assert b"\x1b" not in raw and b"\\u001b" not in raw
    assert (
        main(
            [
                "fetch",
                server.url("/hostile-reason"),
                "--out",
                str(tmp_path),
                "--ca-bundle",
                pki["bundle"],
                "--retries",
                "0",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;pwned\\x07" in out


@pytest.mark.parametrize("path", ["/bad-location-http", "/bad-location-https", "/bad-port"])
def test_redirect_location_that_does_not_parse_is_a_recorded_failure(server, pki, tmp_path, path):
    result = fetch_one(server.url(path), tmp_path, ca_bundle=pki["bundle"], timeout=5, retries=0)
    assert not result.ok
    assert "redirect to a Location that is not a URL" in result.error
    obj = _sidecar(result)
    assert obj["redirects"] and obj["redirects"][0]["status"] in (301, 302)


def test_location_parse_error_inside_requests_is_a_recorded_failure(server, pki, tmp_path, monkeypatch):
    """Whatever the HTTP stack raises (urllib3's LocationParseError is a ValueError) is a result."""

    def boom(*args, **kwargs):
        raise LocationParseError("http://[oops]/")

    monkeypatch.setattr(fetch_module.requests.Session, "get", boom)
    result = fetch_one(server.url("/anything"), tmp_path, ca_bundle=pki["bundle"], timeout=5, retries=0)
    assert result.error.startswith("the HTTP client failed: LocationParseError")
    _sidecar(result)


def test_url_argument_that_is_not_utf8_is_a_recorded_failure(tmp_path):
    """A real argv of bytes (as a shell passes a Latin-1 URL): no traceback, a sidecar, exit 1."""
    exe = Path(sys.executable).with_name("fedaudit")
    proc = subprocess.run(
        [os.fsencode(exe), b"fetch", b"https://127.0.0.1:9/caf\xe9/\x1b[2J", b"--out", os.fsencode(tmp_path)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    assert b"Traceback" not in proc.stderr
    assert b"\x1b" not in proc.stdout
    line = proc.stdout.decode("utf-8")
    assert line.startswith("FAILED")
    assert "https://127.0.0.1:9/caf%E9/%1B[2J" in line
    (sidecar,) = tmp_path.glob("*.fetch.json")
    obj = json.loads(sidecar.read_bytes())
    assert obj["url"] == "https://127.0.0.1:9/caf%E9/%1B[2J"
    assert "not UTF-8" in obj["error"]
