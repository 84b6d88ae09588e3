"""A real TLS server on 127.0.0.1 for tests and benchmarks (never another address): a
``ThreadingHTTPServer`` in a thread with a trustme certificate, each test's handler routing
requests. Used by the fetch, metadata-load, report and run tests and by ``make bench``."""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

__all__ = ["LoopbackHTTPS", "send"]


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

    ``respond`` gets the :class:`BaseHTTPRequestHandler` (``.command``, ``.path``,
``.send_response`` ...) for GET and POST.
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

            def do_POST(self) -> None:  # noqa: N802 - the handler reads the body (Content-Length)
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
