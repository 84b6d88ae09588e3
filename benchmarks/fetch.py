"""Fetch throughput: 200 metadata URLs from a loopback HTTPS server that answers each request
after 200 ms, sequential (``workers=1``) against concurrent, in one run.

``python -m benchmarks fetch``. Also home of :class:`LoopbackHTTPS`, the real TLS server
(127.0.0.1 only) that the fetch tests use.
"""

from __future__ import annotations

import socket
import ssl
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

__all__ = ["LoopbackHTTPS", "run"]

URLS = 200
LATENCY = 0.2


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, context: ssl.SSLContext, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.context = context
        self.handler_errors: list[str] = []

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = self.socket.accept()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every response.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The TLS handshake happens in the request thread (handler.setup), so one client that
        # stalls or rejects our certificate never blocks the accept loop.
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that reject the certificate or hang up mid-body are part of the tests.
        self.handler_errors.append(repr(sys.exc_info()[1]))


class LoopbackHTTPS:
    """A threaded HTTPS server on 127.0.0.1 with a per-request ``respond(handler)`` callback.

    ``respond`` gets the :class:`BaseHTTPRequestHandler` (``.path``, ``.send_response`` ...).
    Use as a context manager; ``url(path)`` builds URLs; ``stop`` is an Event that slow handlers
    should wait on so that shutdown is immediate.
    """

    def __init__(self, respond: Callable[[BaseHTTPRequestHandler], None], *, context: ssl.SSLContext) -> None:
        self.respond = respond
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self.request.do_handshake()

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                outer.respond(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                outer.requests.append(format % args)

        self.requests: list[str] = []
        self.server = _Server(context, Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> LoopbackHTTPS:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/xml",
         headers: dict[str, str] | None = None) -> None:
    """Write a complete response with Content-Length."""
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(body)


def _document(n: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" ID="_b{n}" '
        f'entityID="http://fs{n}.bench.example/adfs/services/trust"/>'
    ).encode()


def run(out_dir: Path) -> list[str]:
    import trustme

    from fedaudit.io.fetch import fetch_all

    out_dir = Path(out_dir)
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    def respond(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(LATENCY)
        send(handler, 200, _document(int(handler.path.rsplit("/", 1)[-1])))

    lines = []
    with tempfile.TemporaryDirectory() as tmp, LoopbackHTTPS(respond, context=context) as server:
        bundle = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        urls = [server.url(f"/federationmetadata/{i}") for i in range(URLS)]
        timings = {}
        for label, workers in (("sequential (workers=1)", 1), ("concurrent (workers=8)", 8), ("concurrent (workers=32)", 32)):
            target = out_dir / label.split()[0] / str(workers)
            start = time.perf_counter()
            results = fetch_all(urls, target, ca_bundle=str(bundle), workers=workers, timeout=10)
            timings[workers] = time.perf_counter() - start
            failed = sum(not r.ok for r in results)
            lines.append(f"{label:<24} {URLS} URLs, {LATENCY * 1000:.0f} ms each: {timings[workers]:6.2f} s"
                         f"  ({URLS / timings[workers]:6.1f} URL/s, {failed} failed)")
        lines.append(f"speedup workers=8 vs 1: {timings[1] / timings[8]:.1f}x; "
                     f"workers=32 vs 1: {timings[1] / timings[32]:.1f}x")
    return lines
